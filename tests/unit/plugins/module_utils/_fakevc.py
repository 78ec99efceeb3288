# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small vCenter at pyVmomi's SOAP boundary, for unit tests of the client, the VM handle and the steps (not collected:
no test_ prefix).

pyVmomi sends every managed-object method through its stub's ``InvokeMethod(mo, info, args)``; ``FakeVCenter`` is that
stub. Everything above it - ``VCenterClient``, the adapter, the VM handle, the steps - runs as it does against vCenter,
in microseconds, and every call is counted per method (the figure the e2e tests assert against the simulator).

The property collector follows vCenter's rules where govmomi's simulator does not: a TraversalSpec applies only to
objects of its type (or a subtype), a PropertySpec only within its own FilterSpec, and a TraversalSpec path is one
property. A traversal that works here works on vCenter. Tasks finish within the call (state success or error).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import collections
import copy
import datetime
import itertools
from typing import Any, Dict, List, Optional, Tuple

import pytest

vim = pytest.importorskip('pyVmomi').vim
vmodl = pytest.importorskip('pyVmomi').vmodl

from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import ConnectionParams, VCenterClient  # noqa: E402

PC = vmodl.query.PropertyCollector


def _property(name: str, value: Any) -> Any:
    """A DynamicProperty holding a plain list too (a real one holds a typed pyVmomi array; the code reads it the same)."""
    prop = vmodl.DynamicProperty(name=name)
    prop.__dict__['val'] = value
    return prop


def _change(name: str, value: Any) -> Any:
    """A PropertyChange holding a plain list too (as _property)."""
    change = PC.Change(name=name, op='assign')
    change.__dict__['val'] = value
    return change


class FakeVCenter:
    """Objects (moid -> (pyVmomi ref, flat properties)), the methods the collection calls, and a call counter."""

    def __init__(self) -> None:
        self.objects: Dict[str, Any] = {}
        self.props: Dict[str, Dict[str, Any]] = {}
        self.calls: collections.Counter = collections.Counter()
        self.faults: Dict[str, str] = {}            # method -> message of the task error (or fault) it fails with next
        # method -> transport faults its next calls meet: (after, error); after: the call is carried out, its answer lost
        self.transport: Dict[str, List[Tuple[bool, BaseException]]] = collections.defaultdict(list)
        self._ids = itertools.count(100)
        self._macs = itertools.count(1)
        self.add('TaskManager', 'TaskManager', recentTask=[])
        # Waits (WaitForUpdatesEx) and events: each slice after a filter's first runs the next step of the timeline (a
        # callable that changes objects, posts events); a slice with no change ends after maxWaitSeconds of `clock`
        # (tests put it in place of _vcenter's time.monotonic, so no test sleeps).
        self.timeline: List[Any] = []
        self.clock = 0.0
        self.events: List[Any] = []
        self._filters: Dict[str, Tuple[Any, Dict[str, Dict[str, Any]]]] = {}   # filter -> (spec, what it delivered)
        self._event_keys = itertools.count(1)

    # -- the model -------------------------------------------------------------------------------------------------
    def ref(self, kind: str, moid: str) -> Any:
        return getattr(vim, kind)(moid, self)

    def add(self, kind: str, moid: Optional[str] = None, **props: Any) -> Any:
        """An object of kind with flat properties ('name', 'parent', 'config.hardware.device', ...); keyword
        names use '__' for '.' (config__template)."""
        moid = moid or '%s-%d' % ({'VirtualMachine': 'vm', 'Task': 'task'}.get(kind, kind.lower()), next(self._ids))
        ref = self.ref(kind, moid)
        self.objects[moid] = ref
        self.props[moid] = {key.replace('__', '.'): value for key, value in props.items()}
        return ref

    def get(self, ref: Any, path: str, default: Any = None) -> Any:
        return self.props[ref._moId].get(path, default)  # pylint: disable=protected-access

    def set(self, ref: Any, **props: Any) -> None:
        self.props[ref._moId].update({key.replace('__', '.'): value for key, value in props.items()})  # pylint: disable=protected-access

    def children(self, parent: Any) -> None:
        """Keep parent.childEntity in step with the parent properties of its children."""
        moid = parent._moId  # pylint: disable=protected-access
        self.props[moid]['childEntity'] = [self.objects[m] for m, p in self.props.items() if p.get('parent') is not None
                                           and p['parent']._moId == moid]  # pylint: disable=protected-access

    def path(self, ref: Any) -> str:
        names = []
        node = ref
        while node is not None and self.props.get(node._moId, {}).get('parent') is not None:  # pylint: disable=protected-access
            names.append(self.get(node, 'name'))
            node = self.get(node, 'parent')
        return '/'.join(reversed(names))

    def client(self) -> VCenterClient:
        """A VCenterClient bound to this fake (no login: the session's three calls are not counted here)."""
        client = VCenterClient(ConnectionParams(hostname='vcenter.test', username='user', password='secret'))
        client.si = vim.ServiceInstance('ServiceInstance', self)
        client._content = vim.ServiceContent(  # pylint: disable=protected-access
            rootFolder=self.objects['group-d1'], propertyCollector=vim.PropertyCollector('propertyCollector', self),
            taskManager=self.objects['TaskManager'], eventManager=vim.event.EventManager('EventManager', self),
            searchIndex=vim.SearchIndex('SearchIndex', self), about=vim.AboutInfo(apiVersion='8.0.3.0', apiType='VirtualCenter'))
        return client

    # -- the stub --------------------------------------------------------------------------------------------------
    def InvokeMethod(self, mo: Any, info: Any, args: List[Any]) -> Any:  # pylint: disable=invalid-name
        method = info.wsdlName
        self.calls[method] += 1
        named = dict(zip([param.name for param in info.params], args))
        handler = getattr(self, '_' + method, None)
        if handler is None:
            raise vmodl.fault.NotSupported(msg='the fake vCenter has no %s' % method)
        if self.transport.get(method):
            after, error = self.transport[method].pop(0)
            if after:
                handler(mo, **named)
            raise error
        return handler(mo, **named)

    def _CurrentTime(self, mo: Any) -> Any:  # pylint: disable=invalid-name,unused-argument
        return datetime.datetime.now(datetime.timezone.utc)

    def InvokeAccessor(self, mo: Any, info: Any) -> Any:  # pylint: disable=invalid-name
        raise AssertionError('lazy property read of %s.%s: every read goes through the property collector' % (mo, info.name))

    # -- property collector ----------------------------------------------------------------------------------------
    def _RetrievePropertiesEx(self, mo: Any, specSet: List[Any], options: Any) -> Any:  # pylint: disable=invalid-name,unused-argument
        contents: Dict[str, Any] = {}
        for spec in specSet:
            named = {}
            found: List[Any] = []
            for object_spec in spec.objectSet:
                moid = object_spec.obj._moId  # pylint: disable=protected-access
                if moid not in self.props:
                    if spec.reportMissingObjectsInResults:
                        contents[moid] = PC.ObjectContent(obj=object_spec.obj, propSet=[], missingSet=[
                            PC.MissingProperty(path='', fault=vmodl.fault.ManagedObjectNotFound(obj=object_spec.obj))])
                        continue
                    raise vmodl.fault.ManagedObjectNotFound(obj=object_spec.obj)
                if not object_spec.skip:
                    found.append(object_spec.obj)
                self._traverse(object_spec.obj, object_spec.selectSet or [], named, found, set())
            for ref in found:
                props = self.props.get(ref._moId)  # pylint: disable=protected-access
                if props is None:
                    continue
                matching = [prop for prop in spec.propSet if isinstance(ref, prop.type)]
                if not matching:
                    continue
                content = contents.setdefault(ref._moId, PC.ObjectContent(obj=ref, propSet=[]))  # pylint: disable=protected-access
                have = {prop.name for prop in content.propSet}
                for prop in matching:
                    for path in prop.pathSet or []:
                        if path in props and props[path] is not None and path not in have:
                            content.propSet.append(_property(path, props[path]))
                            have.add(path)
        return PC.RetrieveResult(objects=list(contents.values())) if contents else None     # vCenter: no result, not an empty one

    def _traverse(self, ref: Any, select: List[Any], named: Dict[str, Any], found: List[Any], seen: set) -> None:
        named.update({item.name: item for item in select if isinstance(item, PC.TraversalSpec) and item.name})
        for item in select:
            if isinstance(item, PC.TraversalSpec):
                spec = item
            else:
                spec = named.get(item.name)
                if spec is None:
                    raise vmodl.fault.InvalidArgument(invalidProperty='selectSet: no TraversalSpec named %s' % item.name)
            if not isinstance(ref, spec.type):
                continue                          # vCenter: a TraversalSpec applies to objects of its type only
            assert '.' not in spec.path, 'a TraversalSpec path is one property: %s' % spec.path
            value = self.props.get(ref._moId, {}).get(spec.path)  # pylint: disable=protected-access
            targets = value if isinstance(value, list) else [value] if value is not None else []
            for target in targets:
                key = (target._moId, spec.name)  # pylint: disable=protected-access
                if key in seen:
                    continue
                seen.add(key)
                if not spec.skip and target not in found:
                    found.append(target)
                self._traverse(target, spec.selectSet or [], named, found, seen)

    # -- waits -----------------------------------------------------------------------------------------------------
    def _CreateFilter(self, mo: Any, spec: Any, partialUpdates: bool) -> Any:  # pylint: disable=invalid-name,unused-argument
        ref = vmodl.query.PropertyCollector.Filter('session[fake]filter-%d' % next(self._ids), self)
        self._filters[ref._moId] = (spec, {})  # pylint: disable=protected-access
        return ref

    def _DestroyPropertyFilter(self, mo: Any) -> None:  # pylint: disable=invalid-name
        self._filters.pop(mo._moId, None)  # pylint: disable=protected-access

    def _WaitForUpdatesEx(self, mo: Any, version: str, options: Any) -> Any:  # pylint: disable=invalid-name,unused-argument
        """What changed in the objects of the newest filter since it last delivered them (everything, the first time)."""
        key = list(self._filters)[-1]
        spec, delivered = self._filters[key]
        if delivered and self.timeline:
            self.timeline.pop(0)()
        updates = []
        for object_spec in spec.objectSet:
            moid = object_spec.obj._moId  # pylint: disable=protected-access
            props = self.props.get(moid, {})
            paths = [path for prop in spec.propSet if isinstance(object_spec.obj, prop.type) for path in prop.pathSet or []]
            seen = delivered.setdefault(moid, {})
            changes = [_change(path, props.get(path)) for path in paths if path not in seen or seen[path] is not props.get(path)]
            seen.update({change.name: props.get(change.name) for change in changes})
            if changes:
                updates.append(PC.ObjectUpdate(kind='modify', obj=object_spec.obj, changeSet=changes))
        if not updates:
            self.clock += options.maxWaitSeconds
            return None
        return PC.UpdateSet(version=str(next(self._ids)), filterSet=[PC.FilterUpdate(filter=vmodl.query.PropertyCollector.Filter(key, self),
                                                                                     objectSet=updates)])

    # -- events ----------------------------------------------------------------------------------------------------
    def _CreateCollectorForEvents(self, mo: Any, filter: Any) -> Any:  # pylint: disable=invalid-name,redefined-builtin,unused-argument
        ref = self.add('EventHistoryCollector', 'session[fake]collector-%d' % next(self._ids), filter=filter)
        self.set(ref, latestPage=[event for event in self.events if self._matches(filter, event)])
        return ref

    def _DestroyCollector(self, mo: Any) -> None:  # pylint: disable=invalid-name
        del self.props[mo._moId], self.objects[mo._moId]  # pylint: disable=protected-access

    @staticmethod
    def _matches(spec: Any, event: Any) -> bool:
        """The entity (self) and the types; the time is not looked at (neither does govmomi's simulator)."""
        about = getattr(getattr(event, 'vm', None), 'vm', None)
        entity = spec.entity.entity if spec.entity is not None else None
        return (entity is None or (about is not None and about._moId == entity._moId)) and (  # pylint: disable=protected-access
            not spec.eventTypeId or type(event).__name__.rsplit('.', 1)[-1] in spec.eventTypeId)

    def post_event(self, kind: str, vm: Any, created: Optional[datetime.datetime] = None, **fields: Any) -> Any:
        """An event of vim.event.<kind> on vm (now by default), into every collector it matches (a new latestPage)."""
        event = getattr(vim.event, kind)(key=next(self._event_keys), chainId=0, userName='', createdTime=created or datetime.datetime.now(
            datetime.timezone.utc), vm=vim.event.VmEventArgument(vm=vm, name=self.get(vm, 'name')), template=False, **fields)
        self.events.append(event)
        for moid, ref in list(self.objects.items()):
            if isinstance(ref, vim.event.EventHistoryCollector) and self._matches(self.props[moid]['filter'], event):
                self.set(ref, latestPage=[event] + list(self.props[moid]['latestPage']))
        return event

    # -- search index ----------------------------------------------------------------------------------------------
    def _FindByInventoryPath(self, mo: Any, inventoryPath: str) -> Any:  # pylint: disable=invalid-name,unused-argument
        wanted = inventoryPath.strip('/')
        for ref in self.objects.values():
            if self.path(ref) == wanted:
                return ref
        return None

    def _FindAllByUuid(self, mo: Any, datacenter: Any, uuid: str, vmSearch: bool,  # pylint: disable=invalid-name,unused-argument
                       instanceUuid: bool) -> List[Any]:  # pylint: disable=invalid-name
        key = 'config.instanceUuid' if instanceUuid else 'config.uuid'
        return [ref for moid, ref in self.objects.items() if isinstance(ref, vim.VirtualMachine)
                and (self.props[moid].get(key) or '').lower() == uuid.lower()]

    # -- tasks -----------------------------------------------------------------------------------------------------
    def _task(self, method: str, work: Any, entity: Any) -> Any:
        fault = self.faults.pop(method, None)
        info: Dict[str, Any] = {'info.entity': entity, 'info.queueTime': datetime.datetime.now(datetime.timezone.utc)}
        if fault is not None:
            info.update({'info.state': 'error', 'info.error': vmodl.fault.SystemError(reason=fault, msg=fault)})
        else:
            info.update({'info.state': 'success', 'info.result': work()})
        task = self.add('Task', 'task-%d' % next(self._ids), **{key.replace('.', '__'): value for key, value in info.items()})
        self.props['TaskManager']['recentTask'] = self.props['TaskManager']['recentTask'] + [task]
        return task

    def _ReconfigVM_Task(self, mo: Any, spec: Any) -> Any:  # pylint: disable=invalid-name
        return self._task('ReconfigVM_Task', lambda: self.reconfigure(mo, spec), mo)

    def _CustomizeVM_Task(self, mo: Any, spec: Any) -> Any:  # pylint: disable=invalid-name
        def work() -> None:
            if self.get(mo, 'runtime.powerState') != 'poweredOff':
                raise AssertionError('CustomizeVM_Task on a VM that is not powered off')
            self.set(mo, config__tools__pendingCustomization='/vmfs/pending.xml')
        return self._task('CustomizeVM_Task', work, mo)

    def _PowerOnVM_Task(self, mo: Any, host: Any = None) -> Any:  # pylint: disable=invalid-name,unused-argument
        return self._task('PowerOnVM_Task', lambda: self.set(mo, runtime__powerState='poweredOn', config__tools__pendingCustomization=None), mo)

    def _PowerOffVM_Task(self, mo: Any) -> Any:  # pylint: disable=invalid-name
        return self._task('PowerOffVM_Task', lambda: self.set(mo, runtime__powerState='poweredOff'), mo)

    def _Destroy_Task(self, mo: Any) -> Any:  # pylint: disable=invalid-name
        def work() -> None:
            parent = self.get(mo, 'parent')
            del self.props[mo._moId]  # pylint: disable=protected-access
            del self.objects[mo._moId]  # pylint: disable=protected-access
            self.children(parent)
        return self._task('Destroy_Task', work, mo)

    def _CloneVM_Task(self, mo: Any, folder: Any, name: str, spec: Any) -> Any:  # pylint: disable=invalid-name
        def work() -> Any:
            source = self.props[mo._moId]  # pylint: disable=protected-access
            props = {key: copy.deepcopy(value) for key, value in source.items() if key not in ('childEntity',)}
            for device in props.get('config.hardware.device') or []:
                if isinstance(device, vim.vm.device.VirtualEthernetCard) and device.addressType != 'manual':
                    device.macAddress = self.new_mac()
                    device.addressType = 'assigned'
            extra = {option.key: option.value for option in props.get('config.extraConfig') or []}
            props.update({'name': name, 'parent': folder, 'config.template': bool(spec.template), 'runtime.powerState': 'poweredOff',
                          'resourcePool': spec.location.pool, 'runtime.host': spec.location.host or self.get(
                              self.get(spec.location.pool, 'owner'), 'host', [None])[0], 'config.extraConfig': []})
            ref = self.add('VirtualMachine', **{key.replace('.', '__'): value for key, value in props.items()})
            config = spec.config or vim.vm.ConfigSpec()
            instance_uuid = config.instanceUuid or 'i-%s' % ref._moId  # pylint: disable=protected-access
            self.set(ref, config__uuid=config.uuid or source.get('config.uuid'), config__instanceUuid=instance_uuid,
                     config__extraConfig=[vim.option.OptionValue(key=key, value=value) for key, value in extra.items()])
            self.reconfigure(ref, config)
            self.children(folder)
            if spec.powerOn:
                self.set(ref, runtime__powerState='poweredOn')
            return ref
        return self._task('CloneVM_Task', work, mo)

    def new_mac(self) -> str:
        number = next(self._macs)
        return '00:50:56:9a:%02x:%02x' % (number // 256, number % 256)

    def reconfigure(self, ref: Any, spec: Any) -> None:
        """What ReconfigVM_Task does with extraConfig ('' removes a key), hardware and NIC changes."""
        extra = {option.key: option.value for option in self.get(ref, 'config.extraConfig') or []}
        for option in spec.extraConfig or []:
            if option.value in ('', None):
                extra.pop(option.key, None)
            else:
                extra[option.key] = option.value
        self.set(ref, config__extraConfig=[vim.option.OptionValue(key=key, value=value) for key, value in extra.items()])
        for key, path in (('numCPUs', 'config.hardware.numCPU'), ('memoryMB', 'config.hardware.memoryMB'), ('guestId', 'config.guestId')):
            if getattr(spec, key, None):
                self.set(ref, **{path.replace('.', '__'): getattr(spec, key)})
        devices = list(self.get(ref, 'config.hardware.device') or [])
        for change in spec.deviceChange or []:
            device = change.device
            if change.operation in ('remove', 'edit'):
                devices = [d for d in devices if d.key != device.key]
            if change.operation in ('add', 'edit'):
                device = copy.deepcopy(device)
                if change.operation == 'add':
                    device.key = max([d.key for d in devices] + [3999]) + 1
                if isinstance(device, vim.vm.device.VirtualEthernetCard) and not device.macAddress:
                    device.macAddress = self.new_mac()
                    device.addressType = 'assigned'
                devices.append(device)
        self.set(ref, config__hardware__device=devices, network=self.networks_of(devices))

    def networks_of(self, devices: List[Any]) -> List[Any]:
        found = []
        for device in devices:
            backing = getattr(device, 'backing', None)
            if isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo) and backing.network is not None:
                found.append(backing.network)
            elif isinstance(backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
                found += [ref for moid, ref in self.objects.items() if isinstance(ref, vim.dvs.DistributedVirtualPortgroup)
                          and self.props[moid].get('key') == backing.port.portgroupKey]
        return [ref for index, ref in enumerate(found) if ref not in found[:index]]


def nic(key: int, mac: str, network: Any, fake: FakeVCenter, external_id: Optional[str] = None, address_type: str = 'assigned') -> Any:
    """A vmxnet3 NIC on network (a standard port group, or a distributed one)."""
    card = vim.vm.device.VirtualEthernetCard
    if isinstance(network, vim.dvs.DistributedVirtualPortgroup):
        switch = fake.get(network, 'config.distributedVirtualSwitch')
        port = vim.dvs.PortConnection(portgroupKey=fake.get(network, 'key'), switchUuid=fake.get(switch, 'uuid'))
        backing = card.DistributedVirtualPortBackingInfo(port=port)
    else:
        backing = card.NetworkBackingInfo(deviceName=fake.get(network, 'name'), network=network)
    return vim.vm.device.VirtualVmxnet3(key=key, macAddress=mac, addressType=address_type, backing=backing, externalId=external_id,
                                        connectable=vim.vm.device.VirtualDevice.ConnectInfo(connected=False, startConnected=True,
                                                                                            allowGuestControl=True),
                                        deviceInfo=vim.Description(label='Network adapter', summary=''))


def standard_vcenter() -> FakeVCenter:
    """DC0 (in the root folder): cluster C0 (hosts H0, H1, pool Resources), datastore DS0, the standard port group
    'VM Network', switch DVS0 with port group PG-A (and its uplink port group); template linux-template (one NIC on
    VM Network) and VM web01 (one NIC on PG-A), in the datacenter's VM folder."""
    fake = FakeVCenter()
    root = fake.add('Folder', 'group-d1', name='Datacenters')
    datacenter = fake.add('Datacenter', 'datacenter-1', name='DC0', parent=root)
    vm_folder = fake.add('Folder', 'group-v1', name='vm', parent=datacenter)
    host_folder = fake.add('Folder', 'group-h1', name='host', parent=datacenter)
    network_folder = fake.add('Folder', 'group-n1', name='network', parent=datacenter)
    fake.set(datacenter, vmFolder=vm_folder, hostFolder=host_folder, networkFolder=network_folder)
    cluster = fake.add('ClusterComputeResource', 'domain-c1', name='C0', parent=host_folder)
    hosts = [fake.add('HostSystem', 'host-%d' % index, name='H%d' % index, parent=cluster) for index in range(2)]
    pool = fake.add('ResourcePool', 'resgroup-1', name='Resources', parent=cluster, owner=cluster)
    datastore = fake.add('Datastore', 'datastore-1', name='DS0', parent=datacenter)
    fake.set(cluster, host=hosts, resourcePool=pool, datastore=[datastore])
    standard = fake.add('Network', 'network-1', name='VM Network', parent=network_folder)
    switch = fake.add('VmwareDistributedVirtualSwitch', 'dvs-1', name='DVS0', parent=network_folder, uuid='50 2a dv s0')
    uplink = fake.add('DistributedVirtualPortgroup', 'dvportgroup-1', name='DVS0-DVUplinks-1', parent=network_folder, key='dvportgroup-1',
                      config__distributedVirtualSwitch=switch, config__uplink=True)
    portgroup = fake.add('DistributedVirtualPortgroup', 'dvportgroup-2', name='PG-A', parent=network_folder, key='dvportgroup-2',
                         config__distributedVirtualSwitch=switch)
    fake.set(switch, config__uplinkPortgroup=[uplink])
    for ref in (standard, portgroup):
        fake.set(ref, host=hosts)
    for host in hosts:
        fake.set(host, network=[standard, portgroup])
    common = dict(parent=vm_folder, resourcePool=pool, runtime__host=hosts[0], runtime__powerState='poweredOff',
                  config__guestId='ubuntu64Guest', config__hardware__numCPU=1, config__hardware__memoryMB=1024,
                  config__files__vmPathName='[DS0] x/x.vmx')
    running = dict(common)
    running['runtime__powerState'] = 'poweredOn'
    template = fake.add('VirtualMachine', 'vm-1', name='linux-template', config__template=True, config__uuid='4200-tmpl',
                        config__instanceUuid='5000-tmpl', config__extraConfig=[],
                        config__hardware__device=[nic(4000, '00:50:56:80:00:01', standard, fake)], network=[standard], **common)
    web = fake.add('VirtualMachine', 'vm-2', name='web01', config__template=False, config__uuid='4200-web', config__instanceUuid='5000-web',
                   config__extraConfig=[vim.option.OptionValue(key='guestnet.image', value='/DC0/vm/linux-template'),
                                        vim.option.OptionValue(key='guestnet.class', value='{}')],
                   config__hardware__device=[nic(4000, '00:50:56:80:00:02', portgroup, fake, external_id='guestnet:eth0')],
                   network=[portgroup], **running)
    del template, web
    for folder in (root, vm_folder, host_folder, network_folder):
        fake.children(folder)
    fake.set(root, childEntity=[datacenter])
    return fake
