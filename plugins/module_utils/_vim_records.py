# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What was read from vCenter, as the plain records of the core. PRIVATE to the collection.

The one place that turns pyVmomi data into records, for every module (subnet_sync included):

- ``network_records`` / ``catalog_of``: port groups (standard, distributed, NSX opaque) as ``_nics.Network``;
- ``observed_nics`` / ``guest_nics``: a VM's virtual NICs and its ``guest.net`` as ``_nics`` records;
- ``storage_records``: a VM's storage controllers (and the units taken on them) and disks as ``_volumes`` records;
- ``vm_record``: one VM (identity, power, records in extraConfig, hardware, NICs, guest) as a ``VmRecord``;
- ``subnet_snapshot``: a whole-inventory read as the plain snapshot ``_subnet_sync`` works on.
- ``customization_events``: vCenter's guest customization events as ``_conditions.CustomizationEvent`` records.

Only values the property collector returned are touched: no lazy attribute of a managed object is read, so
nothing here makes a call. The rules live here once: which guest.net entry belongs to a NIC (``_nics.guest_of``),
which port group backs a NIC, what an uplink port group is, and when Tools report the guest.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._conditions import EVENT_TYPES as CUSTOMIZATION_EVENT_TYPES, CustomizationEvent
from ansible_collections.guestnet.vsphere.plugins.module_utils._deploy import datastore_of
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import (
    DISTRIBUTED,
    OPAQUE,
    OTHER,
    STANDARD,
    GuestAddress,
    GuestNic,
    Network,
    NetworkCatalog,
    ObservedNic,
    guest_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import normalize_adapter_type, normalize_mac
from ansible_collections.guestnet.vsphere.plugins.module_utils._volumes import ObservedController, ObservedDisk

try:
    from pyVmomi import vim
except ImportError:
    vim = None  # the module reports the missing library (GuestnetModule)

SWITCH_KINDS = ('DistributedVirtualSwitch', 'VmwareDistributedVirtualSwitch')
NETWORK_KINDS = ('Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork')
# What is read of networks and switches to make Network records (kind -> property paths).
NETWORK_PROPERTIES: Dict[str, List[str]] = {
    'Network': ['name'],
    'DistributedVirtualPortgroup': ['name', 'key', 'config.distributedVirtualSwitch', 'config.uplink', 'config.backingType'],
    'OpaqueNetwork': ['name', 'summary.opaqueNetworkId', 'summary.opaqueNetworkType'],
}
SWITCH_PROPERTIES: Dict[str, List[str]] = {'DistributedVirtualSwitch': ['name', 'uuid', 'config.uplinkPortgroup']}

# Tools report the guest (guest.net, guest.ipAddress) while they run, including while they run the guest's scripts.
TOOLS_REPORTING = ('guestToolsRunning', 'guestToolsExecutingScripts')

# What is read of a VM to reconcile it (one call, see _vm_handle).
VM_PROPERTIES = (
    'name', 'parent', 'parentVApp', 'resourcePool', 'network',
    'config.template', 'config.uuid', 'config.instanceUuid', 'config.guestId', 'config.extraConfig', 'config.files.vmPathName',
    'config.hardware.device', 'config.hardware.numCPU', 'config.hardware.memoryMB', 'config.cpuAllocation', 'config.memoryAllocation',
    'config.tools.pendingCustomization', 'runtime.powerState', 'runtime.host',
    'guest.net', 'guest.ipAddress', 'guest.toolsRunningStatus',
)
VAPP_PROPERTY = 'config.vAppConfig'


def moid_of(ref: Any) -> Optional[str]:
    return getattr(ref, '_moId', None)


def option_values(extra_config: Optional[Sequence[Any]]) -> Dict[str, str]:
    """config.extraConfig (a list of OptionValue) as a plain dict."""
    return {option.key: option.value for option in extra_config or []}


# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------

def uplink_moids(switches: Sequence[Any]) -> Set[str]:
    """The uplink port groups of distributed switches (ManagedObjects read with SWITCH_PROPERTIES)."""
    return {moid_of(ref) or '' for switch in switches for ref in switch.get('config.uplinkPortgroup') or []}


def network_record(obj: Any, switches: Mapping[str, Any], uplinks: Set[str]) -> Network:
    """One network (a ManagedObject read with NETWORK_PROPERTIES) as a Network; switches by moid."""
    if obj.kind == 'DistributedVirtualPortgroup':
        switch = switches.get(moid_of(obj.get('config.distributedVirtualSwitch')) or '')
        return Network(moid=obj.moid, name=obj.name or obj.moid, kind=DISTRIBUTED,
                       switch=switch.name if switch is not None else None,
                       switch_uuid=switch.get('uuid') if switch is not None else None,
                       portgroup_key=obj.get('key') or obj.moid,
                       nsx=obj.get('config.backingType') == 'nsx',
                       uplink=bool(obj.get('config.uplink')) or obj.moid in uplinks)
    if obj.kind == 'OpaqueNetwork':
        return Network(moid=obj.moid, name=obj.name or obj.moid, kind=OPAQUE, opaque_id=obj.get('summary.opaqueNetworkId'),
                       opaque_type=obj.get('summary.opaqueNetworkType'), nsx=True)
    return Network(moid=obj.moid, name=obj.name or obj.moid, kind=STANDARD)


def network_records(objects: Sequence[Any]) -> List[Network]:
    """Every network among objects (networks and the switches they need), as Network records."""
    switches = {obj.moid: obj for obj in objects if obj.kind in SWITCH_KINDS}
    uplinks = uplink_moids(list(switches.values()))
    return [network_record(obj, switches, uplinks) for obj in objects if obj.kind in NETWORK_KINDS]


def catalog_of(inventory: Any, datacenter: Any) -> NetworkCatalog:
    """The port groups of one datacenter (an ``Inventory`` read with NETWORK_PROPERTIES and SWITCH_PROPERTIES)."""
    dc_moid = datacenter.moid if datacenter is not None else None
    mine = []
    for obj in inventory.of_kind(*NETWORK_KINDS):
        owner = inventory.datacenter_of(obj)
        if dc_moid is None or (owner is not None and owner.moid == dc_moid):
            mine.append(obj)
    return NetworkCatalog(network_records(mine + inventory.of_kind(*SWITCH_KINDS)), datacenter=datacenter.name if datacenter is not None else None)


# ---------------------------------------------------------------------------
# NICs and guest.net
# ---------------------------------------------------------------------------

def is_nic(device: Any) -> bool:
    return isinstance(device, vim.vm.device.VirtualEthernetCard)


def _backing(device: Any, catalog: NetworkCatalog) -> Tuple[str, Optional[Network], Optional[str]]:
    """(backing kind, its network when the catalog has it, the backing's own name or id)."""
    backing = device.backing
    if isinstance(backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
        port = backing.port
        key = port.portgroupKey if port is not None else None
        return DISTRIBUTED, catalog.find_backing(DISTRIBUTED, key, port.switchUuid if port is not None else None), key
    if isinstance(backing, vim.vm.device.VirtualEthernetCard.OpaqueNetworkBackingInfo):
        return OPAQUE, catalog.find_backing(OPAQUE, backing.opaqueNetworkId), backing.opaqueNetworkId
    if isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo):
        net = catalog.find_backing(STANDARD, moid_of(backing.network)) or catalog.find_backing(STANDARD, backing.deviceName)
        return STANDARD, net, backing.deviceName
    return OTHER, None, None


def observed_nics(devices: Optional[Sequence[Any]], catalog: NetworkCatalog) -> List[ObservedNic]:
    """The VM's virtual NICs (``config.hardware.device``) as ``ObservedNic`` records, in device-key order."""
    out = []
    for device in devices or []:
        if not is_nic(device):
            continue
        kind, net, own_name = _backing(device, catalog)
        connectable = device.connectable
        out.append(ObservedNic(
            key=device.key,
            adapter_type=normalize_adapter_type(type(device).__name__.rsplit('.', 1)[-1]),
            mac_address=normalize_mac(device.macAddress) if device.macAddress else None,
            address_type=device.addressType,
            backing=kind,
            network=net.moid if net is not None else None,
            network_name=net.name if net is not None else own_name,
            switch=net.switch_label if net is not None else (None if kind == OTHER else kind),
            connected=bool(connectable.connected) if connectable is not None else False,
            start_connected=bool(connectable.startConnected) if connectable is not None else False,
            external_id=device.externalId or None,
            label=device.deviceInfo.label if device.deviceInfo is not None else None,
        ))
    return sorted(out, key=lambda nic: nic.key)


def guest_nics(guest_net: Optional[Sequence[Any]]) -> List[GuestNic]:
    """``guest.net`` as ``GuestNic`` records (addresses with prefix lengths from ipConfig when Tools report them)."""
    out = []
    for entry in guest_net or []:
        ip_config = entry.ipConfig
        if ip_config is not None and ip_config.ipAddress:
            addresses = [GuestAddress(address=item.ipAddress, prefix_length=int(item.prefixLength or 0), origin=item.origin or None,
                                      state=item.state or None) for item in ip_config.ipAddress]
        else:
            addresses = [GuestAddress(address=text) for text in entry.ipAddress or []]
        dhcp4 = dhcp6 = None
        if ip_config is not None and ip_config.dhcp is not None:
            dhcp4 = bool(ip_config.dhcp.ipv4.enable) if ip_config.dhcp.ipv4 is not None else None
            dhcp6 = bool(ip_config.dhcp.ipv6.enable) if ip_config.dhcp.ipv6 is not None else None
        dns = None
        if entry.dnsConfig is not None:
            config = entry.dnsConfig
            dns = {key: value for key, value in (
                ('host_name', config.hostName), ('domain_name', config.domainName),
                ('nameservers', list(dict.fromkeys(config.ipAddress or []))),
                ('search_domains', list(dict.fromkeys(config.searchDomain or [])))) if value}
        out.append(GuestNic(mac_address=normalize_mac(entry.macAddress) if entry.macAddress else None,
                            device_key=entry.deviceConfigId, network=entry.network or None, connected=bool(entry.connected),
                            addresses=tuple(addresses), dhcp4=dhcp4, dhcp6=dhcp6, dns=dns or None))
    return out


# ---------------------------------------------------------------------------
# Disks and storage controllers
# ---------------------------------------------------------------------------

# pyVmomi's controller classes as _volumes' controller types.
CONTROLLER_TYPES = {
    'ParaVirtualSCSIController': 'pvscsi', 'VirtualLsiLogicController': 'lsilogic', 'VirtualLsiLogicSASController': 'lsilogic_sas',
    'VirtualBusLogicController': 'buslogic', 'VirtualNVMEController': 'nvme', 'VirtualAHCIController': 'sata', 'VirtualIDEController': 'ide',
}


def _controller_type(device: Any) -> Optional[str]:
    """The type of a storage controller (None for other devices; 'other' for one _volumes has no type for)."""
    known = CONTROLLER_TYPES.get(type(device).__name__.rsplit('.', 1)[-1])
    if known is not None:
        return known
    storage = (vim.vm.device.VirtualSCSIController, vim.vm.device.VirtualNVMEController, vim.vm.device.VirtualSATAController,
               vim.vm.device.VirtualIDEController)
    return 'other' if isinstance(device, storage) else None


def _provisioning(backing: Any) -> Optional[str]:
    thin, eager = getattr(backing, 'thinProvisioned', None), getattr(backing, 'eagerlyScrub', None)
    if thin is None and eager is None:
        return None
    return 'thin' if thin else 'eager_zeroed_thick' if eager else 'thick'


def storage_records(devices: Optional[Sequence[Any]]) -> Tuple[Tuple[ObservedController, ...], Tuple[ObservedDisk, ...], Dict[int, Any]]:
    """The storage controllers (with the units their devices take, CD-ROMs included), the disks, and the raw disk devices by key."""
    devices = list(devices or [])
    used: Dict[int, Set[int]] = {}
    for device in devices:
        if device.controllerKey is not None and device.unitNumber is not None:
            used.setdefault(device.controllerKey, set()).add(device.unitNumber)
    controllers = tuple(ObservedController(key=device.key, type=kind, bus=int(device.busNumber or 0), used=frozenset(used.get(device.key, ())))
                        for device in devices for kind in [_controller_type(device)] if kind is not None)
    disks, raw = [], {}
    for device in devices:
        if not isinstance(device, vim.vm.device.VirtualDisk):
            continue
        backing = device.backing
        capacity = int(device.capacityInBytes) // 1024 if device.capacityInBytes else int(device.capacityInKB or 0)
        file_name = getattr(backing, 'fileName', None) or None
        disks.append(ObservedDisk(key=device.key, controller_key=device.controllerKey, unit=device.unitNumber, capacity_kb=capacity,
                                  file=file_name, datastore=datastore_of(file_name), provisioning=_provisioning(backing)))
        raw[device.key] = device
    return controllers, tuple(sorted(disks, key=lambda disk: disk.key)), raw


def read_vapp(vapp_config: Any) -> Dict[str, Any]:
    """config.vAppConfig: its properties in the vApp renderer's shape, and its OVF environment transports."""
    properties = []
    for prop in (vapp_config.property if vapp_config is not None else None) or []:
        value = prop.value if prop.value is not None else (prop.defaultValue or '')
        properties.append({'key': prop.key, 'id': prop.id, 'type': prop.type or 'string',
                           'user_configurable': bool(prop.userConfigurable), 'value': value})
    transports = list(vapp_config.ovfEnvironmentTransport or []) if vapp_config is not None else []
    return {'properties': properties, 'transports': transports}


# ---------------------------------------------------------------------------
# One VM
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class VmRecord:
    """A VM as read (VM_PROPERTIES), with its inventory path. ``devices`` are the raw NIC devices, by key, for edits."""
    ref: Any
    moid: str
    name: str
    path: str
    datacenter: Optional[str]
    datacenter_moid: Optional[str]
    template: bool
    uuid: Optional[str]
    instance_uuid: Optional[str]
    guest_id: Optional[str]
    power_state: str                                   # poweredOn | poweredOff | suspended ('' when unknown)
    tools_running_status: Optional[str]
    extra_config: Dict[str, str]
    nics: Tuple[ObservedNic, ...]
    guest: Tuple[GuestNic, ...]
    guest_ip: Optional[str]
    hardware: Dict[str, Optional[int]]                 # cpus, memory (MiB), reservations and limits
    pending_customization: Optional[str]
    vm_path_name: Optional[str]
    host_moid: Optional[str]
    pool_moid: Optional[str]
    parent_moid: Optional[str]
    placement: Dict[str, Optional[str]] = field(default_factory=dict)   # datacenter, folder, cluster, host, resource_pool, datastore
    compute_hosts: Tuple[str, ...] = ()                # the hosts of its cluster (or its standalone host)
    devices: Dict[int, Any] = field(default_factory=dict, compare=False)
    vapp: Optional[Dict[str, Any]] = None              # read_vapp, when config.vAppConfig was read
    controllers: Tuple[ObservedController, ...] = ()   # storage controllers and the units taken on them (storage_records)
    disks: Tuple[ObservedDisk, ...] = ()
    disk_devices: Dict[int, Any] = field(default_factory=dict, compare=False)   # raw VirtualDisk devices by key, for edits

    @property
    def powered_on(self) -> bool:
        return self.power_state == 'poweredOn'

    @property
    def tools_reporting(self) -> bool:
        return self.tools_running_status in TOOLS_REPORTING

    def owner_key(self) -> str:
        """What the subnet ledger and the bootstrap hash key this VM by: its instance UUID (its moid without one)."""
        return self.instance_uuid or self.moid


def hardware_of(obj: Any) -> Dict[str, Optional[int]]:
    cpu, memory = obj.get('config.cpuAllocation'), obj.get('config.memoryAllocation')
    return {
        'cpus': obj.get('config.hardware.numCPU'),
        'memory': obj.get('config.hardware.memoryMB'),
        'cpu_reservation': getattr(cpu, 'reservation', None),
        'cpu_limit': getattr(cpu, 'limit', None),
        'memory_reservation': getattr(memory, 'reservation', None),
        'memory_limit': getattr(memory, 'limit', None),
    }


def placement_of(obj: Any, inventory: Any) -> Dict[str, Optional[str]]:
    """Where a VM is: datacenter, folder, cluster, host, resource pool (paths) and datastore, from what was read with it."""
    def found(ref: Any) -> Any:
        return inventory.by_moid.get(moid_of(ref) or '')

    datacenter = inventory.datacenter_of(obj)
    folder = inventory.parent(obj)
    pool = found(obj.get('resourcePool'))
    compute = found(pool.get('owner')) if pool is not None else None
    host = found(obj.get('runtime.host'))
    return {
        'datacenter': datacenter.name if datacenter is not None else None,
        'folder': inventory.path(folder) if folder is not None else None,
        'cluster': compute.name if compute is not None and compute.kind == 'ClusterComputeResource' else None,
        'host': host.name if host is not None else None,
        'resource_pool': inventory.path(pool) if pool is not None else None,
        'datastore': datastore_of(obj.get('config.files.vmPathName')),
    }


def _compute_hosts(obj: Any, inventory: Any) -> Tuple[str, ...]:
    pool = inventory.by_moid.get(moid_of(obj.get('resourcePool')) or '')
    compute = inventory.by_moid.get(moid_of(pool.get('owner')) or '') if pool is not None else None
    hosts = [inventory.by_moid.get(moid_of(ref) or '') for ref in (compute.get('host') if compute is not None else None) or []]
    return tuple(sorted(host.name for host in hosts if host is not None and host.name))


def vm_record(obj: Any, inventory: Any, catalog: NetworkCatalog) -> VmRecord:
    """A VM (a ManagedObject read with VM_PROPERTIES) as a VmRecord; ``inventory`` holds its folders and datacenter."""
    devices = [device for device in obj.get('config.hardware.device') or [] if is_nic(device)]
    controllers, disks, disk_devices = storage_records(obj.get('config.hardware.device'))
    datacenter = inventory.datacenter_of(obj)
    vapp = obj.props.get(VAPP_PROPERTY) if VAPP_PROPERTY in obj.props else None
    return VmRecord(
        ref=obj.ref, moid=obj.moid, name=obj.name or obj.moid, path=inventory.path(obj),
        datacenter=datacenter.name if datacenter is not None else None,
        datacenter_moid=datacenter.moid if datacenter is not None else None,
        template=bool(obj.get('config.template')),
        uuid=obj.get('config.uuid'), instance_uuid=obj.get('config.instanceUuid'), guest_id=obj.get('config.guestId'),
        power_state=str(obj.get('runtime.powerState') or ''),
        tools_running_status=obj.get('guest.toolsRunningStatus'),
        extra_config=option_values(obj.get('config.extraConfig')),
        nics=tuple(observed_nics(devices, catalog)),
        guest=tuple(guest_nics(obj.get('guest.net'))),
        guest_ip=obj.get('guest.ipAddress'),
        hardware=hardware_of(obj),
        pending_customization=obj.get('config.tools.pendingCustomization') or None,
        vm_path_name=obj.get('config.files.vmPathName'),
        host_moid=moid_of(obj.get('runtime.host')),
        pool_moid=moid_of(obj.get('resourcePool')),
        parent_moid=moid_of(obj.get('parent')),
        placement=placement_of(obj, inventory),
        compute_hosts=_compute_hosts(obj, inventory),
        devices={device.key: device for device in devices},
        vapp=read_vapp(vapp) if VAPP_PROPERTY in obj.props else None,
        controllers=controllers, disks=disks, disk_devices=disk_devices,
    )


# ---------------------------------------------------------------------------
# The whole inventory, for subnet_sync
# ---------------------------------------------------------------------------

# One read of the whole inventory for subnet_sync (kind -> property paths).
SNAPSHOT_PROPERTIES: Dict[str, List[str]] = dict(
    NETWORK_PROPERTIES,
    Network=['name', 'host'],
    DistributedVirtualPortgroup=NETWORK_PROPERTIES['DistributedVirtualPortgroup'] + ['config.defaultPortConfig'],
    ComputeResource=['name'],
    HostSystem=['name', 'network', 'config.network.portgroup'],
    VirtualMachine=['name', 'config.instanceUuid', 'config.template', 'config.hardware.device', 'guest.net', 'guest.toolsRunningStatus'],
    **SWITCH_PROPERTIES)


def _vlan(port_config: Any) -> Optional[int]:
    """VLAN ID of a distributed port group's default port setting: the ID, the private VLAN ID, or -1 for a trunk."""
    vlan = getattr(port_config, 'vlan', None)
    if vlan is None:
        return None
    if getattr(vlan, 'pvlanId', None) is not None:
        return int(vlan.pvlanId)
    vlan_id = getattr(vlan, 'vlanId', None)
    if isinstance(vlan_id, int):
        return vlan_id
    return -1 if vlan_id is not None else None


def _one(values: Any) -> Any:
    found = set(values)
    return found.pop() if len(found) == 1 else None


def subnet_snapshot(inventory: Any) -> Dict[str, Any]:
    """The plain-data snapshot _subnet_sync works on (see its docstring), from one read with SNAPSHOT_PROPERTIES."""
    def datacenter(obj: Any) -> Optional[str]:
        found = inventory.datacenter_of(obj)
        return found.name if found is not None else None

    hosts = inventory.of_kind('HostSystem')
    host_names = {host.moid: host.name for host in hosts}
    standard: Dict[Tuple[str, str], Tuple[Any, Any]] = {}     # (host moid, port group name) -> (vlan, vSwitch)
    reaches: Dict[str, Set[str]] = {}                         # port group moid -> host moids
    for host in hosts:
        for portgroup in host.get('config.network.portgroup') or []:
            standard[(host.moid, portgroup.spec.name)] = (portgroup.spec.vlanId, portgroup.spec.vswitchName)
        for ref in host.get('network') or []:
            reaches.setdefault(moid_of(ref) or '', set()).add(host.moid)

    catalogs: Dict[Optional[str], NetworkCatalog] = {}
    for dc in inventory.of_kind('Datacenter'):
        catalogs[dc.name] = catalog_of(inventory, dc)
    portgroups, host_portgroups = [], {}
    for network in inventory.of_kind(*NETWORK_KINDS):
        record = catalogs.get(datacenter(network), NetworkCatalog(())).by_moid.get(network.moid)
        if record is None or record.uplink or record.kind == OPAQUE:
            continue                                          # uplink port groups carry no VMs; NSX networks are not synced
        members = reaches.get(network.moid, set()) | {moid_of(ref) or '' for ref in network.get('host') or []}
        entry: Dict[str, Any] = {'moid': network.moid, 'name': record.name, 'datacenter': datacenter(network),
                                 'hosts': sorted(host_names[moid] for moid in members if moid in host_names)}
        if record.kind == DISTRIBUTED:
            entry.update(kind='distributed', switch=record.switch, switch_uuid=record.switch_uuid,
                         vlan=_vlan(network.get('config.defaultPortConfig')))
        else:
            seen = [standard[(moid, record.name)] for moid in members if (moid, record.name) in standard]
            entry.update(kind='standard', switch=_one(switch for vlan, switch in seen), switch_uuid=None, vlan=_one(vlan for vlan, switch in seen))
        portgroups.append(entry)
        for moid in members:
            host_portgroups.setdefault(moid, []).append(network.moid)

    vms, other_vms = [], []
    for vm in inventory.of_kind('VirtualMachine'):
        if vm.get('config.template') or not vm.get('config.instanceUuid'):   # listed apart: reclaim must know every VM
            other_vms.append({'moid': vm.moid, 'name': vm.name, 'instance_uuid': vm.get('config.instanceUuid') or None,
                              'datacenter': datacenter(vm), 'template': bool(vm.get('config.template'))})
            continue
        where = datacenter(vm)
        catalog = catalogs.get(where, NetworkCatalog(()))
        guest = guest_nics(vm.get('guest.net'))
        devices = vm.get('config.hardware.device') or []
        by_key = {nic.key: nic for nic in observed_nics(devices, catalog)}
        nics = []
        for nic in (by_key[device.key] for device in devices if device.key in by_key):   # the VM's device order (fix_nics counts in it)
            entry_of = guest_of(nic, guest)
            nics.append({'key': nic.key, 'mac': nic.mac_address, 'portgroup': nic.network,
                         'ips': [address.text for address in entry_of.addresses] if entry_of is not None else []})
        vms.append({'moid': vm.moid, 'name': vm.name, 'instance_uuid': vm.get('config.instanceUuid'), 'datacenter': where,
                    'tools_running': vm.get('guest.toolsRunningStatus') in TOOLS_REPORTING, 'nics': nics})
    return {'portgroups': sorted(portgroups, key=lambda item: (item['datacenter'] or '', item['name'], item['moid'])),
            'hosts': [{'moid': host.moid, 'name': host.name, 'datacenter': datacenter(host),
                       'portgroups': sorted(host_portgroups.get(host.moid, []))} for host in hosts],
            'vms': vms, 'other_vms': other_vms}


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

def customization_events(page: Optional[Sequence[Any]]) -> List[CustomizationEvent]:
    """The guest customization events among vCenter events (an EventHistoryCollector's latestPage), as records."""
    out = []
    for event in page or []:
        kind = type(event).__name__.rsplit('.', 1)[-1]
        if kind not in CUSTOMIZATION_EVENT_TYPES or event.createdTime is None:
            continue
        about = getattr(event, 'vm', None)
        out.append(CustomizationEvent(key=int(event.key or 0), kind=kind, created=event.createdTime, vm=moid_of(getattr(about, 'vm', None)),
                                      message=event.fullFormattedMessage or '', reason=getattr(event, 'reason', None) or None,
                                      log_location=getattr(event, 'logLocation', None) or None))
    return out
