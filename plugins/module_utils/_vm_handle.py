# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM a run works on: found by the cheapest exact look-up, read once, re-read only after our own changes.

PRIVATE to the collection.

Finding the VM costs the same on a vCenter of 100 VMs and of 50,000:

- ``moid``: a reference built locally, no call;
- ``uuid`` / ``instance_uuid``: ``SearchIndex.FindAllByUuid`` (one call);
- ``name`` with ``datacenter``: ``SearchIndex.FindByInventoryPath`` of ``DC/vm/[folder/]name`` (one call); when nothing is
  there (the VM sits in another folder, or does not exist), the names of the VMs, and nothing else, are read;
- ``name`` alone: the names of the VMs, and nothing else (one call, which grows with the inventory: give ``datacenter``).

Then one ``RetrievePropertiesEx`` reads everything the steps need of the candidates (``_vim_records.VM_PROPERTIES``),
the folders above them (for paths), the networks their NICs are on, and the distributed switches. Port groups the VM
is not on are read only when a step needs them (``full_catalog``: one call).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import NetworkCatalog
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import (
    Inventory,
    ManagedObject,
    VCenterClient,
    VCenterError,
    filter_spec,
    select_vm,
    traversal_specs,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import (
    NETWORK_PROPERTIES,
    SWITCH_KINDS,
    SWITCH_PROPERTIES,
    VAPP_PROPERTY,
    VM_PROPERTIES,
    VmRecord,
    moid_of,
    network_records,
    vm_record,
)

SELECTOR_KEYS = ('name', 'uuid', 'instance_uuid', 'moid', 'datacenter', 'folder')

# Up from a VM to the root folder (its path and datacenter), and over to the networks its NICs are on.
_UP = (
    ('VirtualMachine', 'parent', ['Folder.parent']),
    ('VirtualMachine', 'parentVApp', ['VirtualApp.parentFolder', 'VirtualApp.parentVApp']),
    ('VirtualApp', 'parentFolder', ['Folder.parent']),
    ('VirtualApp', 'parentVApp', ['VirtualApp.parentFolder', 'VirtualApp.parentVApp']),
    ('Folder', 'parent', ['Folder.parent', 'Datacenter.parent']),
    ('Datacenter', 'parent', ['Folder.parent']),
    ('VirtualMachine', 'network', []),
    ('VirtualMachine', 'resourcePool', ['ResourcePool.parent', 'ResourcePool.owner']),
    ('ResourcePool', 'parent', ['ResourcePool.parent', 'ResourcePool.owner', 'ComputeResource.parent']),
    ('ResourcePool', 'owner', ['ComputeResource.host']),
    ('ComputeResource', 'parent', ['Folder.parent']),
    ('ComputeResource', 'host', []),
)
# Folders, datacenter and vApps above the VM give its path; its pool, the pools above it and their cluster or host give
# where it runs (placement), so a re-run needs no read of the inventory's placement objects.
_ANCESTOR_PROPERTIES = {'Folder': ['name', 'parent'], 'Datacenter': ['name', 'parent', 'networkFolder'],
                        'VirtualApp': ['name', 'parent', 'parentFolder', 'parentVApp', 'owner'],
                        'ResourcePool': ['name', 'parent', 'owner'], 'ComputeResource': ['name', 'parent', 'host'], 'HostSystem': ['name']}
# Down from the root folder through datacenters into their network folders, never into VM or host folders.
_TO_NETWORKS = (
    ('Folder', 'childEntity', ['Folder.childEntity', 'Datacenter.networkFolder']),
    ('Datacenter', 'networkFolder', ['Folder.childEntity']),
)
# Down from the root folder through datacenters into their VM folders and vApps.
_TO_VMS = (
    ('Folder', 'childEntity', ['Folder.childEntity', 'Datacenter.vmFolder', 'VirtualApp.vm']),
    ('Datacenter', 'vmFolder', ['Folder.childEntity']),
    ('VirtualApp', 'vm', []),
)
_FOLDER_DOWN = (('Folder', 'childEntity', ['Folder.childEntity']),)


@dataclass(frozen=True)
class Selector:
    """Which VM: one of name, uuid (BIOS), instance_uuid, moid; narrowed by datacenter and folder."""
    name: Optional[str] = None
    uuid: Optional[str] = None
    instance_uuid: Optional[str] = None
    moid: Optional[str] = None
    datacenter: Optional[str] = None
    folder: Optional[str] = None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> 'Selector':
        return cls(**{key: values.get(key) or None for key in SELECTOR_KEYS})

    def as_dict(self) -> Dict[str, Optional[str]]:
        return {key: getattr(self, key) for key in SELECTOR_KEYS}

    def describe(self) -> str:
        """'name web01 in datacenter DC0', for messages."""
        for key in ('moid', 'instance_uuid', 'uuid', 'name'):
            if getattr(self, key):
                text = '%s %s' % (key.replace('_', ' '), getattr(self, key))
                break
        else:
            text = 'no selector'
        if self.datacenter:
            text += ' in datacenter %s' % self.datacenter
        if self.folder:
            text += ' in folder %s' % self.folder
        return text

    def inventory_path(self) -> Optional[str]:
        """Where a VM of this name sits when the folder (or no folder: the datacenter's VM folder) is meant literally."""
        if not self.name or not self.datacenter:
            return None
        folder = (self.folder or '').strip('/')
        if folder.startswith(self.datacenter + '/vm') or folder == self.datacenter + '/vm':
            base = folder
        elif folder == 'vm' or folder.startswith('vm/'):
            base = '%s/%s' % (self.datacenter, folder)
        else:
            base = '%s/vm/%s' % (self.datacenter, folder) if folder else '%s/vm' % self.datacenter
        return '%s/%s' % (base.rstrip('/'), self.name)


class VmHandle:
    """One VM of a run: ``find()`` once, ``record`` is what was read, ``reload()`` after a change made by the run."""

    def __init__(self, client: VCenterClient, selector: Selector, *, vapp: bool = False) -> None:
        self.client = client
        self.selector = selector
        self.vapp = vapp
        self.record: Optional[VmRecord] = None
        self.template: Optional[VmRecord] = None     # a template the selector names (find() skips templates)
        self.inventory = Inventory(())               # the VM's folders, datacenter, networks and switches
        self._searched = False
        self.unsure = False                          # not at its path, and the VMs' names were not read (find(names=False))
        self._full: Optional[NetworkCatalog] = None

    # -- finding --------------------------------------------------------------------------------------------------
    def find(self, names: bool = True) -> Optional[VmRecord]:
        """The VM (None when there is none), found and read once; VCenterError when the selector names several.

        names=False: when the VM is not at its inventory path, do not read the VMs' names (``unsure`` says so); a caller
        about to read the inventory anyway (to create the VM) looks there and hands what it finds to ``take``.
        """
        if not self._searched:
            self._searched = True
            refs = self._candidates(names)
            if refs:
                self._read(refs, self.selector)
        return self.record

    def take(self, refs: Sequence[Any]) -> Optional[VmRecord]:
        """Read the VMs a caller found (candidates for the selector) as find() reads its own."""
        self.unsure = False
        if refs:
            self._read(refs, self.selector)
        return self.record

    def _candidates(self, names: bool = True) -> List[Any]:
        selector, client = self.selector, self.client
        if selector.moid:
            return [client.reference('VirtualMachine', selector.moid)]
        if selector.instance_uuid or selector.uuid:
            return client.find_all_by_uuid(selector.instance_uuid or selector.uuid or '', bool(selector.instance_uuid),
                                           'looking up VM %s' % selector.describe())
        path = selector.inventory_path()
        if path:
            found = client.find_by_inventory_path(path, 'looking up VM %s' % path)
            if found is not None and ManagedObject(found).kind == 'VirtualMachine':
                return [found]
            if not names:
                self.unsure = True
                return []
        return [obj.ref for obj in self.named(selector.name or '')]

    def named(self, name: str) -> List[ManagedObject]:
        """The VMs (and templates) called name: one read of every VM's name and nothing else."""
        objects = self.client.retrieve([filter_spec([self.client.content.rootFolder], {'VirtualMachine': ['name']}, traversal_specs(_TO_VMS))],
                                       'looking up VMs by name')
        return [obj for obj in objects if obj.kind == 'VirtualMachine' and obj.name == name]

    def _read(self, refs: Sequence[Any], selector: Selector) -> None:
        paths = list(VM_PROPERTIES) + ([VAPP_PROPERTY] if self.vapp else [])
        spec = filter_spec(refs, dict(_ANCESTOR_PROPERTIES, VirtualMachine=paths, **NETWORK_PROPERTIES), traversal_specs(_UP))
        spec.reportMissingObjectsInResults = True      # a moid of a VM that is gone: not found, not a fault
        switches = filter_spec([self.client.content.rootFolder], SWITCH_PROPERTIES, traversal_specs(_TO_NETWORKS), skip_roots=True)
        what = 'reading VM %s' % selector.describe()
        self.inventory = Inventory(self.client.retrieve([spec, switches], what))
        found = select_vm(self.inventory, selector.as_dict())
        if found is not None:
            self.record = vm_record(found, self.inventory, self.catalog_for(found))
            return
        template = select_vm(self.inventory, selector.as_dict(), templates=True)
        if template is not None:
            self.template = vm_record(template, self.inventory, self.catalog_for(template))

    def catalog_for(self, vm: ManagedObject) -> NetworkCatalog:
        """The networks vm's NICs are on (and the switches), from what was read with it."""
        mine = {moid_of(ref) for ref in vm.get('network') or []}
        objects = [obj for obj in self.inventory.by_moid.values() if obj.moid in mine or obj.kind in SWITCH_KINDS]
        datacenter = self.inventory.datacenter_of(vm)
        return NetworkCatalog(network_records(objects), datacenter=datacenter.name if datacenter is not None else None, complete=False)

    # -- after a change ------------------------------------------------------------------------------------------
    def reload(self, ref: Any = None) -> VmRecord:
        """Read the VM again (or, after a clone, the new VM ``ref``): one call."""
        target = ref if ref is not None else (self.record.ref if self.record is not None else None)
        if target is None:
            raise VCenterError('no VM to read again (%s)' % self.selector.describe())
        self.record = None
        self._read([target], Selector(moid=moid_of(target)))
        if self.record is None:
            raise VCenterError('VM %s is gone' % moid_of(target))
        return self.record

    def forget(self) -> None:
        """The VM was deleted."""
        self.record = None

    # -- networks -----------------------------------------------------------------------------------------------
    def catalog(self) -> NetworkCatalog:
        """The full catalog when it was read, else the networks the VM's NICs are on."""
        if self._full is not None:
            return self._full
        found = self.record or self.template
        return self.catalog_for(self.inventory.by_moid[found.moid]) if found is not None else NetworkCatalog(())

    def full_catalog(self) -> NetworkCatalog:
        """Every port group of the VM's datacenter (one call, once)."""
        if self._full is None:
            found = self.record or self.template
            datacenter = self.inventory.by_moid.get(found.datacenter_moid or '') if found is not None else None
            folder = datacenter.get('networkFolder') if datacenter is not None else None
            if folder is None:
                raise VCenterError('cannot read the networks of the datacenter of VM %s' % self.selector.describe())
            properties = dict(NETWORK_PROPERTIES, **SWITCH_PROPERTIES)
            objects = self.client.retrieve([filter_spec([folder], properties, traversal_specs(_FOLDER_DOWN))], 'reading the networks of datacenter %s'
                                           % datacenter.name)
            self._full = NetworkCatalog(network_records(objects), datacenter=datacenter.name)
        return self._full

    def use_catalog(self, catalog: NetworkCatalog) -> None:
        """A full catalog read by someone else (the deploy step's placement read)."""
        self._full = catalog
