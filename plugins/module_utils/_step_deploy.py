# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deploy step: a VM cloned from a template with a VM class, checked against its records, or deleted.

PRIVATE to the collection.

    request = DeployRequest.of(values)                    # validated, before any call
    ensure_deployed(ctx, request)                         # vm_deploy: the whole step in one session
    inventory = read_placement(ctx, request, ...)         # for a new VM only: templates, placement, networks (one call)
    plan = plan_create(request, inventory)                # what the clone will be
    ref = clone(ctx, plan, device_changes=..., extra_config=..., power_on=...)
    existing(ctx, request, vm)                            # an existing VM: immutable records, adopt, placement warnings
    remove(ctx, request, handle)                          # state=absent

The pure decisions (class parsing, records, immutability) live in ``_deploy``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._deploy import (
    CLASS_KEY,
    IMAGE_KEY,
    adapter_types_of,
    check_immutable,
    class_record,
    close_names,
    config_spec,
    hardware_drift,
    new_uuid,
    normalize_uuid,
    parse_class,
    parse_class_record,
    records_spec,
    split_image,
    validate_vm_name,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, StepError, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import require_ledger
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import LedgerError, default_ledger_path
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import check_writable, ledger_exists, ledger_location, open_ledger
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import NetworkCatalog
from ansible_collections.guestnet.vsphere.plugins.module_utils._subnet_sync import placement as subnet_placement
from ansible_collections.guestnet.vsphere.plugins.module_utils._vapi import LibraryItem, LibraryPlacement, VapiClient
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import (
    Inventory,
    ManagedObject,
    VCenterError,
    folder_matches,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import (
    NETWORK_PROPERTIES,
    SWITCH_PROPERTIES,
    VmRecord,
    catalog_of,
    moid_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector, VmHandle
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmodl import to_vmodl

POOL_KINDS = ('ResourcePool', 'VirtualApp')
GUEST_ID_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_]*Guest(64)?$')  # ubuntu64Guest, windows2019srv_64Guest, otherGuest64
POWERED_ON = 'poweredOn'
IMAGE_KINDS = ('auto', 'template', 'library_item', 'vm')


@dataclass(frozen=True)
class DeployRequest:
    """vm_deploy's options, validated."""
    name: str
    state: str = 'present'
    datacenter: Optional[str] = None
    folder: Optional[str] = None
    image: Optional[str] = None
    image_kind: str = 'auto'                         # auto: an inventory template, else a content library item
    image_library: Optional[str] = None
    vm_class: Optional[Dict[str, Any]] = None       # parsed; None: not given (not checked)
    guest_id: Optional[str] = None
    instance_uuid: Optional[str] = None
    bios_uuid: Optional[str] = None
    cluster: Optional[str] = None
    host: Optional[str] = None
    resource_pool: Optional[str] = None
    datastore: Optional[str] = None
    subnets: Tuple[str, ...] = ()
    ledger: str = field(default_factory=default_ledger_path)
    adopt: bool = False
    timeout: int = 3600

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> 'DeployRequest':
        """From module options (vm_deploy's names); SpecError names the option."""
        image = values.get('image')
        if image is not None and not split_image(image)[0]:
            raise SpecError('image', image, 'is not a template name or path')
        image_kind = values.get('image_kind') or 'auto'
        if image_kind == 'auto' and values.get('image_library'):      # a library named: its item, never a template
            image_kind = 'library_item'
        if image_kind not in IMAGE_KINDS:
            raise SpecError('image_kind', image_kind, 'is not one of %s' % ', '.join(IMAGE_KINDS))
        if values.get('image_library') and image_kind not in ('auto', 'library_item'):
            raise SpecError('image_library', values['image_library'], 'names a content library, but image_kind is %s' % image_kind)
        if values.get('image_library') and image is not None and '/' in image.strip('/'):
            raise SpecError('image', image, 'is a path; a content library item is named by its name (and image_library)')
        guest_id = values.get('guest_id')
        if guest_id is not None and not GUEST_ID_RE.match(guest_id):
            raise SpecError('guest_id', guest_id, 'is not a vSphere guest OS id (like ubuntu64Guest or windows2019srv_64Guest)')
        timeout = values.get('timeout') or 3600
        if timeout < 1:
            raise SpecError('timeout', timeout, 'must be at least 1 second')
        return cls(
            name=validate_vm_name(values.get('name')), state=values.get('state') or 'present',
            datacenter=values.get('datacenter') or None, folder=values.get('folder') or None, image=image,
            image_kind=image_kind, image_library=values.get('image_library') or None,
            vm_class=parse_class(values['vm_class']) if values.get('vm_class') is not None else None,
            guest_id=guest_id,
            instance_uuid=normalize_uuid(values['instance_uuid'], 'instance_uuid') if values.get('instance_uuid') else None,
            bios_uuid=normalize_uuid(values['bios_uuid'], 'bios_uuid') if values.get('bios_uuid') else None,
            cluster=values.get('cluster') or None, host=values.get('host') or None, resource_pool=values.get('resource_pool') or None,
            datastore=values.get('datastore') or None, subnets=tuple(dict.fromkeys(values.get('subnets') or ())),
            ledger=ledger_location(values), adopt=bool(values.get('adopt')), timeout=timeout)

    def selector(self) -> Selector:
        return Selector(name=self.name, datacenter=self.datacenter, folder=self.folder)


# ---------------------------------------------------------------------------
# Finding the VM
# ---------------------------------------------------------------------------

def find(ctx: Context, request: DeployRequest, vapp: bool = False) -> VmHandle:
    """The VM of this name (handle.record, None when there is none); a template of that name is an error."""
    handle = VmHandle(ctx.client, request.selector(), vapp=vapp)
    if handle.find() is None and handle.template is not None:
        raise SpecError('name', request.name, 'is a template (%s): guestnet.vsphere creates and deletes VMs, never templates'
                        % handle.template.path)
    return handle


# ---------------------------------------------------------------------------
# Placement (a new VM only)
# ---------------------------------------------------------------------------

def placement_properties(request: DeployRequest, networks: bool) -> Dict[str, List[str]]:
    """What one traversal reads to place a new VM: templates (and VM names), placement objects, and networks if wanted."""
    vm_paths = ['config.template']
    if request.instance_uuid:
        vm_paths.append('config.instanceUuid')
    if request.bios_uuid:
        vm_paths.append('config.uuid')
    properties: Dict[str, List[str]] = {
        'VirtualMachine': vm_paths,
        'Datacenter': ['vmFolder', 'networkFolder'],
        'ComputeResource': ['resourcePool', 'datastore'],   # clusters too (a subtype)
        'HostSystem': ['network'] if request.subnets else [],
        'ResourcePool': ['owner'],                          # vApps too
        'Datastore': [],
    }
    if networks:
        properties.update(NETWORK_PROPERTIES)
        properties.update(SWITCH_PROPERTIES)
    return properties


def read_placement(ctx: Context, request: DeployRequest, networks: bool = False) -> Inventory:
    """One traversal of the inventory for a new VM: the template, where the VM goes, and (networks) its datacenter's networks."""
    return ctx.client.inventory(placement_properties(request, networks))


class Placement:
    """Look-ups of a DeployRequest in a placement read: datacenter, template, folder, cluster, host, pool, datastore."""

    def __init__(self, request: DeployRequest, inventory: Inventory) -> None:
        self.request = request
        self.inv = inventory

    def in_datacenter(self, obj: ManagedObject, datacenter: Optional[ManagedObject]) -> bool:
        return datacenter is None or self.inv.datacenter_of(obj) is datacenter

    def datacenter(self) -> Optional[ManagedObject]:
        wanted = self.request.datacenter
        if not wanted:
            return None
        found = [dc for dc in self.inv.of_kind('Datacenter') if dc.name == wanted]
        if not found:
            raise SpecError('datacenter', wanted, 'is not a datacenter (datacenters: %s)'
                            % ', '.join(close_names(wanted, [dc.name or '' for dc in self.inv.of_kind('Datacenter')])))
        if len(found) > 1:
            raise SpecError('datacenter', wanted, 'names %d datacenters: %s' % (len(found), ', '.join(sorted(self.inv.path(dc) for dc in found))))
        return found[0]

    def lookup(self, option: str, value: str, kinds: Sequence[str], what: str, datacenter: Optional[ManagedObject],
               scope: Optional[Callable[[ManagedObject], bool]] = None, scope_text: str = '') -> ManagedObject:
        """The one object of `kinds` the option names (a name or a path), in the datacenter and scope."""
        name, folder = split_image(value)
        everywhere = [obj for obj in self.inv.of_kind(*kinds) if obj.name == name and self.in_datacenter(obj, datacenter)]
        if folder:
            everywhere = [obj for obj in everywhere if folder_matches(self.inv.path(obj).rsplit('/', 1)[0], folder)]
        found = [obj for obj in everywhere if scope is None or scope(obj)]
        where = ' in datacenter %s' % datacenter.name if datacenter is not None else ''
        if not found:
            if everywhere:
                raise SpecError(option, value, 'is not %s (%s is at %s)' % (scope_text, what, ', '.join(sorted(self.inv.path(obj) for obj in everywhere))))
            names = [obj.name or '' for obj in self.inv.of_kind(*kinds) if self.in_datacenter(obj, datacenter) and (scope is None or scope(obj))]
            hint = 'close names: ' + ', '.join(close_names(name, names)) if names else 'there is none'
            raise SpecError(option, value, 'is not a %s%s%s (%s)' % (what, where, ' ' + scope_text if scope_text else '', hint))
        if len(found) > 1:
            raise SpecError(option, value, 'names %d %ss: %s; give a path or narrow it with datacenter/cluster'
                            % (len(found), what, ', '.join(sorted(self.inv.path(obj) for obj in found))))
        return found[0]

    def image(self, datacenter: Optional[ManagedObject]) -> Optional[ManagedObject]:
        """The inventory template the image names (with image_kind vm: the VM); None when a content library item is meant
        (image_kind library_item, or auto and no VM or template of that name in the inventory)."""
        kind = self.request.image_kind
        if kind == 'library_item':
            return None
        image = self.request.image or ''
        name, folder = split_image(image)
        vms = [vm for vm in self.inv.of_kind('VirtualMachine') if vm.name == name and self.in_datacenter(vm, datacenter)]
        if folder:
            vms = [vm for vm in vms if folder_matches(self.inv.path(vm).rsplit('/', 1)[0], folder)]
        templates = [vm for vm in vms if vm.get('config.template')]
        plain = [vm for vm in vms if not vm.get('config.template')]
        where = ' in datacenter %s' % datacenter.name if datacenter is not None else ''
        if kind == 'vm':     # a VM as the source: only when the user says so, as it is another kind of source
            if len(plain) == 1:
                return plain[0]
            if plain:
                raise SpecError('image', image, 'names %d VMs: %s; give its path or the datacenter'
                                % (len(plain), ', '.join(sorted(self.inv.path(vm) for vm in plain))))
            if templates:
                raise SpecError('image', image, 'is a template (%s), not a VM; set image_kind: template (or auto)'
                                % ', '.join(sorted(self.inv.path(vm) for vm in templates)))
            names = [vm.name or '' for vm in self.inv.of_kind('VirtualMachine') if not vm.get('config.template') and self.in_datacenter(vm, datacenter)]
            hint = 'close names: ' + ', '.join(close_names(name, names)) if names else 'there are none'
            raise SpecError('image', image, 'is not a VM%s (%s)' % (where, hint))
        if len(templates) == 1:
            return templates[0]
        if templates:
            raise SpecError('image', image, 'names %d templates: %s; give its path or the datacenter'
                            % (len(templates), ', '.join(sorted(self.inv.path(vm) for vm in templates))))
        if plain:
            raise SpecError('image', image, 'is a VM, not a template (%s); convert it to a template, name a template, or set '
                            'image_kind: vm to clone the VM' % ', '.join(sorted(self.inv.path(vm) for vm in plain)))
        if kind == 'auto' and not folder:
            return None
        raise SpecError('image', image, 'is not a template%s (%s)' % (where, self.template_hint(name, datacenter)))

    def template_hint(self, name: str, datacenter: Optional[ManagedObject]) -> str:
        names = [vm.name or '' for vm in self.inv.of_kind('VirtualMachine') if vm.get('config.template') and self.in_datacenter(vm, datacenter)]
        return 'close names: ' + ', '.join(close_names(name, names)) if names else 'there are no templates'

    def folder(self, datacenter: ManagedObject) -> ManagedObject:
        root = self.inv.by_moid.get(moid_of(datacenter.get('vmFolder')) or '')
        if root is None:
            raise VCenterError('cannot read the VM folder of datacenter %s' % datacenter.name)
        wanted = self.request.folder
        if not wanted:
            return root
        root_path = self.inv.path(root)
        folders = [f for f in self.inv.of_kind('Folder') if self.inv.path(f) == root_path or self.inv.path(f).startswith(root_path + '/')]
        found = [f for f in folders if folder_matches(self.inv.path(f), wanted)]
        exact = [f for f in found if self.inv.path(f).strip('/') in (wanted.strip('/'), '%s/vm/%s' % (datacenter.name, wanted.strip('/')))]
        if len(exact) == 1:
            return exact[0]
        if len(found) == 1:
            return found[0]
        if found:
            raise SpecError('folder', wanted, 'names %d folders: %s; give the full path' % (len(found), ', '.join(sorted(self.inv.path(f) for f in found))))
        relative = [self.inv.path(f)[len(root_path) + 1:] for f in folders if f is not root]
        raise SpecError('folder', wanted, 'is not a VM folder in datacenter %s (%s)'
                        % (datacenter.name, 'close names: ' + ', '.join(close_names(wanted.strip('/'), relative)) if relative else 'it has no folders'))

    def compute_of(self, obj: Optional[ManagedObject]) -> Optional[ManagedObject]:
        """The compute resource (cluster or standalone host) of a host or a resource pool."""
        if obj is None:
            return None
        if obj.kind == 'HostSystem':
            return self.inv.parent(obj)
        return self.inv.by_moid.get(moid_of(obj.get('owner')) or '')

    def placement(self, datacenter: Optional[ManagedObject], required: bool) -> Tuple[Any, Any, Any, Any]:
        """(cluster, host, pool, datastore) objects the options name; the pool is None only when not required."""
        request = self.request
        cluster = host = pool = datastore = None
        if request.cluster:
            cluster = self.lookup('cluster', request.cluster, ('ClusterComputeResource',), 'cluster', datacenter)
        if request.host:
            host = self.lookup('host', request.host, ('HostSystem',), 'host', datacenter,
                               scope=(lambda obj: self.inv.parent(obj) is cluster) if cluster else None,
                               scope_text='in cluster %s' % cluster.name if cluster else '')
        compute = cluster or self.compute_of(host)
        if request.resource_pool:
            pool = self.lookup('resource_pool', request.resource_pool, POOL_KINDS, 'resource pool', datacenter,
                               scope=(lambda obj: self.compute_of(obj) is compute) if compute else None,
                               scope_text='in %s %s' % ('cluster' if cluster else 'host', compute.name) if compute else '')
            compute = compute or self.compute_of(pool)
        elif compute is not None:
            pool = self.inv.by_moid.get(moid_of(compute.get('resourcePool')) or '')
        if pool is None and required:
            raise ValueError('cluster, host or resource_pool is needed to create VM %s' % request.name)
        if request.datastore:
            available = {moid_of(ref) for ref in (compute.get('datastore') if compute is not None else None) or []}
            datastore = self.lookup('datastore', request.datastore, ('Datastore',), 'datastore', datacenter,
                                    scope=(lambda obj: obj.moid in available) if compute is not None else None,
                                    scope_text='available to %s' % compute.name if compute is not None else '')
        return cluster, host, pool, datastore

    def subnet_host(self, datacenter: Optional[ManagedObject], compute: Optional[ManagedObject], host: Optional[ManagedObject]) -> ManagedObject:
        """The host (the given one, or the first by name in compute) that reaches a port group of every wanted subnet."""
        wanted = list(self.request.subnets)
        require_ledger(self.request.ledger, wanted)
        check_writable(self.request.ledger)      # the steps after the clone allocate in it: find out now, not after the clone
        with open_ledger(self.request.ledger) as ledger:
            declared = ledger.list_subnets()
        hosts = [{'name': obj.name, 'moid': obj.moid, 'portgroups': [moid_of(ref) for ref in obj.get('network') or []]}
                 for obj in self.inv.of_kind('HostSystem')
                 if (datacenter is None or self.inv.datacenter_of(obj) is datacenter) and (compute is None or self.inv.parent(obj) is compute)
                 and (host is None or obj is host)]
        try:
            fits = subnet_placement({'hosts': hosts}, declared, wanted, ledger=self.request.ledger)
        except LedgerError as error:
            raise SpecError('subnets', wanted, str(error)) from None
        if not fits:
            if host is not None:
                who = 'host %s does not reach' % host.name
            else:
                who = 'no host%s reaches' % (' of %s' % compute.name if compute is not None else '')
            raise SpecError('subnets', wanted, '%s a port group of each of them (%d host(s) considered); declare an '
                                               'additional port group on the subnet, or choose another cluster' % (who, len(hosts)))
        return self.inv.by_moid[fits[0]['moid']]

    def view(self, datacenter: Optional[ManagedObject], folder: Optional[ManagedObject], pool: Optional[ManagedObject],
             host: Optional[ManagedObject], datastore_name: Optional[str]) -> Dict[str, Optional[str]]:
        compute = self.compute_of(pool)
        return {
            'datacenter': datacenter.name if datacenter is not None else None,
            'folder': self.inv.path(folder) if folder is not None else None,
            'cluster': compute.name if compute is not None and compute.kind == 'ClusterComputeResource' else None,
            'host': host.name if host is not None else None,
            'resource_pool': self.inv.path(pool) if pool is not None else None,
            'datastore': datastore_name,
        }


# ---------------------------------------------------------------------------
# Creating
# ---------------------------------------------------------------------------

@dataclass
class CreatePlan:
    """A new VM: where it goes and what it is; ``vm`` and ``after`` are the module's views of it."""
    request: DeployRequest
    template: Optional[ManagedObject]    # None: deployed from library_item
    datacenter: ManagedObject
    folder: ManagedObject
    pool: ManagedObject
    host: Optional[ManagedObject]
    datastore: Optional[ManagedObject]
    cls: Dict[str, Any]
    image_record: str
    path: str
    ids: Dict[str, Optional[str]]        # instance_uuid, bios_uuid as asked (None: the module picks one)
    placement: Dict[str, Optional[str]]
    catalog: NetworkCatalog
    library_item: Optional[LibraryItem] = None

    def chosen_ids(self) -> Dict[str, str]:
        """The UUIDs of the new VM, picked once (random version 4) where not given."""
        for key in ('instance_uuid', 'bios_uuid'):
            if not self.ids.get(key):
                self.ids[key] = new_uuid()
        return {key: str(value) for key, value in self.ids.items()}

    def vm_view(self, moid: Optional[str] = None) -> Dict[str, Any]:
        return {'moid': moid, 'name': self.request.name, 'path': self.path, 'instance_uuid': self.ids.get('instance_uuid'),
                'bios_uuid': self.ids.get('bios_uuid'), 'power_state': 'poweredOff', 'image': self.image_record, 'vm_class': self.cls,
                'adapter_types': list(self.cls.get('adapter_types') or [])}

    def state_after(self) -> Dict[str, Any]:
        return {'exists': True, 'image': self.image_record, 'class': self.cls, 'placement': self.placement}


def plan_create(request: DeployRequest, inventory: Inventory, library_item: Optional[LibraryItem] = None) -> CreatePlan:
    """Where the new VM goes (every name resolved and checked), from one placement read; no call. The image is an
    inventory template (or VM), or the content library item found by ``find_library_item``."""
    if not request.image:
        raise ValueError('image is needed to create VM %s (no VM of that name exists%s)'
                         % (request.name, ' in folder %s' % request.folder if request.folder else ''))
    where = Placement(request, inventory)
    datacenter = where.datacenter()
    template = None if library_item is not None else where.image(datacenter)
    if template is None and library_item is None:
        raise ValueError('image %s is a content library item: find it first (find_library_item)' % request.image)
    if template is not None:
        datacenter = datacenter or inventory.datacenter_of(template)
        if datacenter is None:
            raise VCenterError('cannot tell the datacenter of template %s' % inventory.path(template))
    elif datacenter is None:
        datacenters = inventory.of_kind('Datacenter')
        if len(datacenters) != 1:
            names = ', '.join(sorted(dc.name or '' for dc in datacenters))
            raise SpecError('datacenter', None, '', text='datacenter is required to deploy content library item %s: vCenter has %d '
                            'datacenters (%s)' % (library_item.record, len(datacenters), names))
        datacenter = datacenters[0]
    folder = where.folder(datacenter)
    cluster, host, pool, datastore = where.placement(datacenter, required=not request.subnets)
    if request.subnets:
        host = where.subnet_host(datacenter, cluster or where.compute_of(host) or where.compute_of(pool), host)
        if pool is None:
            pool = inventory.by_moid.get(moid_of(where.compute_of(host).get('resourcePool')) or '')
    ids = {'instance_uuid': request.instance_uuid, 'bios_uuid': request.bios_uuid}
    for key, path in (('instance_uuid', 'config.instanceUuid'), ('bios_uuid', 'config.uuid')):
        wanted = ids[key]
        taken = [vm for vm in inventory.of_kind('VirtualMachine') if wanted and (vm.get(path) or '').lower() == wanted]
        if taken:
            raise SpecError(key, wanted, 'is already used by %s' % ', '.join(sorted(inventory.path(vm) for vm in taken)))
    return CreatePlan(request=request, template=template, library_item=library_item, datacenter=datacenter, folder=folder, pool=pool,
                      host=host, datastore=datastore, cls=dict(request.vm_class or {}),
                      image_record=library_item.record if library_item is not None else inventory.path(template),
                      path='%s/%s' % (inventory.path(folder), request.name), ids=ids,
                      placement=where.view(datacenter, folder, pool, host, datastore.name if datastore is not None else None),
                      catalog=catalog_of(inventory, datacenter))


def find_library_item(api: VapiClient, request: DeployRequest, inventory: Inventory) -> Optional[LibraryItem]:
    """The content library item the image names (vAPI reads), or None when it names an inventory template or VM.

    With image_kind auto the inventory comes first (no vAPI call for a template); an image found in neither is one error
    that says where it looked."""
    if not request.image:
        return None                   # plan_create says that an image is needed
    where = Placement(request, inventory)
    datacenter = where.datacenter()
    if request.image_kind != 'library_item' and where.image(datacenter) is not None:
        return None
    try:
        return api.library_item(request.image or '', request.image_library)
    except SpecError as error:
        if request.image_kind != 'auto' or error.path != 'image':
            raise
        name = split_image(request.image or '')[0]
        raise SpecError('image', request.image, 'is not a template%s (%s) nor an item of any content library'
                        % (' in datacenter %s' % datacenter.name if datacenter is not None else '', where.template_hint(name, datacenter))) from None


def clone(ctx: Context, plan: CreatePlan, *, device_changes: Sequence[Any] = (), extra_config: Mapping[str, str] = None,
          power_on: bool = False) -> Any:
    """Clone the template into the new VM (one CloneVM_Task and its check): the class, UUIDs and records, plus what the other
    steps add (NIC changes, more extraConfig). Returns the new VM's reference."""
    ids = plan.chosen_ids()
    request = plan.request
    config = config_spec(plan.cls, plan.image_record, guest_id=request.guest_id, bios_uuid=ids['bios_uuid'], instance_uuid=ids['instance_uuid'])
    config['extraConfig'] += [{'_type': 'vim.option.OptionValue', 'key': key, 'value': value} for key, value in sorted((extra_config or {}).items())]
    spec = to_vmodl({'_type': 'vim.vm.CloneSpec', 'powerOn': power_on, 'template': False, 'location': {'_type': 'vim.vm.RelocateSpec'},
                     'config': config})
    spec.config.deviceChange = list(device_changes)
    spec.location.pool = plan.pool.ref
    if plan.host is not None:
        spec.location.host = plan.host.ref
    if plan.datastore is not None:
        spec.location.datastore = plan.datastore.ref
    return ctx.client.run_task('cloning template %s to VM %s' % (plan.image_record, plan.path), plan.template.ref.CloneVM_Task,
                               folder=plan.folder.ref, name=request.name, spec=spec, timeout=request.timeout, check_first=True)


def deploy_library(ctx: Context, api: VapiClient, plan: CreatePlan, extra_config: Mapping[str, str] = None) -> Any:
    """Deploy the plan's content library item (one vAPI call, answered when the VM exists), then give the VM what a clone gets
    in its CloneSpec (class, UUIDs, guest id, records, ``extra_config``) with one ReconfigVM_Task. Returns the VM's reference."""
    item = plan.library_item
    request = plan.request
    placement = LibraryPlacement(folder=plan.folder.moid, resource_pool=plan.pool.moid, host=plan.host.moid if plan.host is not None else None,
                                 datastore=plan.datastore.moid if plan.datastore is not None else None)
    ref = ctx.client.reference('VirtualMachine', api.deploy(item, request.name, placement))
    ids = plan.chosen_ids()
    config = config_spec(plan.cls, plan.image_record, guest_id=request.guest_id, bios_uuid=ids['bios_uuid'], instance_uuid=ids['instance_uuid'])
    config['extraConfig'] += [{'_type': 'vim.option.OptionValue', 'key': key, 'value': value} for key, value in sorted((extra_config or {}).items())]
    try:
        ctx.client.run_task('recording image, class and identity on VM %s' % plan.path, ref.ReconfigVM_Task, spec=to_vmodl(config),
                            timeout=request.timeout, check_first=True)
    except VCenterError as error:
        raise StepError('VM %s was deployed from %s, but %s; delete it (state: absent, adopt: true) and run again'
                        % (plan.path, item.record, error), {'vm': plan.vm_view(moid_of(ref))}) from None
    return ref


# ---------------------------------------------------------------------------
# An existing VM
# ---------------------------------------------------------------------------

def vm_view(vm: VmRecord, records: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The module's ``vm`` of an existing VM (records: the extraConfig to show, default the VM's)."""
    records = vm.extra_config if records is None else records
    deployed = IMAGE_KEY in records
    return {
        'moid': vm.moid, 'name': vm.name, 'path': vm.path, 'instance_uuid': vm.instance_uuid, 'bios_uuid': vm.uuid,
        'power_state': vm.power_state or None, 'image': records.get(IMAGE_KEY),
        'vm_class': parse_class_record(records.get(CLASS_KEY)) if deployed else {},
        'adapter_types': list(adapter_types_of(records.get(CLASS_KEY))) if deployed else [],
    }


def state_view(vm: VmRecord, records: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    records = vm.extra_config if records is None else records
    return {'exists': True, 'image': records.get(IMAGE_KEY),
            'class': parse_class_record(records.get(CLASS_KEY)) if IMAGE_KEY in records else None,
            'placement': dict(vm.placement)}


def result(ctx: Context, changed: bool, vm: Dict[str, Any], before: Dict[str, Any], after: Dict[str, Any],
           **extra: Any) -> StepResult:
    out: Dict[str, Any] = dict({'vm': vm}, **extra)
    if ctx.diff:
        out['diff'] = {'before': before, 'after': after}
    return StepResult(changed=changed, result=out)


def _foreign(vm: VmRecord, action: str) -> str:
    return ('VM %s exists but was not deployed by guestnet.vsphere (it has no %s record); %s' % (vm.path, IMAGE_KEY, action))


def warn_placement(ctx: Context, request: DeployRequest, vm: VmRecord) -> None:
    """Placement applies at creation: warn where an existing VM is not where the options say (it is not moved).

    Compared by name with what was read of the VM itself (no read of the inventory's placement objects). The host is
    compared only as the compute resource: DRS moves VMs between a cluster's hosts.
    """
    have = vm.placement
    other_host = bool(request.host) and request.host not in vm.compute_hosts
    where = 'VM %s is in %%s, not %%s: vm_deploy places a VM when it creates it and does not migrate it' % vm.path
    if request.cluster and have.get('cluster') != request.cluster:
        ctx.warn(where % ('cluster %s' % (have.get('cluster') or 'none'), request.cluster))
    if other_host:
        ctx.warn(where % ('%s %s (hosts %s)' % ('cluster' if have.get('cluster') else 'host', have.get('cluster') or have.get('host'),
                                                ', '.join(vm.compute_hosts)), 'host %s' % request.host))
    if request.resource_pool and (other_host or not _path_is(have.get('resource_pool'), request.resource_pool)):
        ctx.warn(where % ('resource pool %s' % (have.get('resource_pool') or 'none'),
                          request.resource_pool + (' of host %s' % request.host if other_host else '')))
    if request.datastore and have.get('datastore') != request.datastore:
        ctx.warn(where % ('datastore %s' % (have.get('datastore') or 'none'), request.datastore))


def _path_is(path: Optional[str], wanted: Optional[str]) -> bool:
    have = (path or '').strip('/')
    name = (wanted or '').strip('/')
    return bool(name) and (have == name or have.endswith('/' + name))


def existing(ctx: Context, request: DeployRequest, vm: VmRecord) -> StepResult:
    """An existing VM: its records must match (image, class, identity); a VM we did not deploy is adopted or refused."""
    identity = {'instance_uuid': (request.instance_uuid, vm.instance_uuid), 'bios_uuid': (request.bios_uuid, vm.uuid),
                'guest_id': (request.guest_id, vm.guest_id)}
    warn_placement(ctx, request, vm)
    records = vm.extra_config
    if IMAGE_KEY not in records:
        return adopt(ctx, request, vm, identity)
    check_immutable(records, vm.path, image=request.image, cls=request.vm_class, identity=identity)
    drift = hardware_drift(parse_class_record(records.get(CLASS_KEY)), vm.hardware)
    if drift:
        ctx.warn('VM %s was reconfigured since it was deployed; its hardware differs from its class (%s)' % (vm.path, '; '.join(drift)))
    state = state_view(vm)
    return result(ctx, False, vm_view(vm), state, state)


def adopt(ctx: Context, request: DeployRequest, vm: VmRecord, identity: Mapping[str, Tuple[Optional[str], Optional[str]]]) -> StepResult:
    """Record image and class on a VM guestnet did not deploy (adopt: true), after checking that the class describes it."""
    if not request.adopt:
        raise VCenterError(_foreign(vm, 'rename or delete it, or set adopt: true to record image and class on it'))
    if not request.image:
        raise ValueError('image is needed to adopt VM %s: the image it was deployed from is recorded on it' % vm.path)
    inventory = ctx.client.inventory({'VirtualMachine': ['config.template']})
    template = Placement(request, inventory).image(inventory.by_moid.get(vm.datacenter_moid or ''))
    if template is None:
        raise SpecError('image', request.image, 'is not a template or VM of the inventory: adopt records an inventory image, '
                        'and a VM deployed from a content library has its record already')
    cls = dict(request.vm_class or {})
    drift = hardware_drift(cls, vm.hardware)
    if drift:
        raise SpecError('vm_class', class_record(cls), 'does not describe VM %s, so it cannot be adopted with it (%s)' % (vm.path, '; '.join(drift)))
    image_record = inventory.path(template)
    check_immutable({IMAGE_KEY: image_record, CLASS_KEY: class_record(cls)}, vm.path, identity=identity)
    new_records = dict(vm.extra_config, **{IMAGE_KEY: image_record, CLASS_KEY: class_record(cls)})
    if not ctx.check_mode:
        ctx.client.run_task('recording image and class on VM %s' % vm.path, vm.ref.ReconfigVM_Task, spec=to_vmodl(records_spec(cls, image_record)),
                            timeout=request.timeout, check_first=True)
    return result(ctx, True, vm_view(vm, new_records), state_view(vm), state_view(vm, new_records))


# ---------------------------------------------------------------------------
# Deleting
# ---------------------------------------------------------------------------

def remove(ctx: Context, request: DeployRequest, handle: VmHandle) -> StepResult:
    """state=absent: power the VM off (hard) if it runs, delete it, and release its addresses in the ledger.

    The ledger must take the release before the VM goes (preflight, check mode too): a VM deleted while its addresses
    stay allocated would keep them for good. If the release still fails after the delete, the failure says so, and
    subnet_sync's reclaim releases them.
    """
    vm = handle.find()
    if vm is None:
        return result(ctx, False, {}, {'exists': False}, {'exists': False})
    if IMAGE_KEY not in vm.extra_config and not request.adopt:
        raise VCenterError(_foreign(vm, 'set adopt: true to delete it anyway'))
    ledger_path = request.ledger if vm.instance_uuid and ledger_exists(request.ledger) else None
    if ledger_path is not None:
        try:
            check_writable(ledger_path)
        except LedgerError as error:
            raise VCenterError('VM %s is not deleted: its addresses could not be released, because %s' % (vm.path, error)) from None
    out = result(ctx, True, vm_view(vm), state_view(vm), {'exists': False})
    if not ctx.check_mode:
        if vm.power_state == POWERED_ON:
            ctx.client.run_task('powering off VM %s' % vm.path, vm.ref.PowerOffVM_Task, timeout=request.timeout, check_first=True)
        ctx.client.run_task('deleting VM %s' % vm.path, vm.ref.Destroy_Task, timeout=request.timeout, check_first=True)
        handle.forget()
    if ledger_path is not None:
        try:
            with open_ledger(ledger_path) as ledger:
                released = ledger.release_owner(str(vm.instance_uuid), dry_run=ctx.check_mode)
        except LedgerError as error:
            raise StepError('VM %s is deleted, but releasing its addresses failed: %s; they are released by guestnet.vsphere.subnet_sync '
                            'with reclaim: true' % (vm.path, error), out.module_result()) from None
        out.result['released'] = sorted({'%s %s' % (item.subnet, item.ip) for item in released})
    return out


# ---------------------------------------------------------------------------
# vm_deploy: the step on its own
# ---------------------------------------------------------------------------

def ensure_deployed(ctx: Context, request: DeployRequest) -> StepResult:
    """vm_deploy: create, check or delete the VM, in this session."""
    handle = find(ctx, request)
    if request.state == 'absent':
        return remove(ctx, request, handle)
    vm = handle.record
    if vm is not None:
        return existing(ctx, request, vm)
    inventory = read_placement(ctx, request)
    with VapiClient(ctx.client.params) as api:     # opens a vAPI session only for a content library item
        plan = plan_create(request, inventory, find_library_item(api, request, inventory))
        before = {'exists': False}
        if ctx.check_mode:
            return result(ctx, True, plan.vm_view(), before, plan.state_after())
        ref = clone(ctx, plan) if plan.library_item is None else deploy_library(ctx, api, plan)
    return result(ctx, True, plan.vm_view(moid_of(ref)), before, plan.state_after())
