# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The volumes step: the VM's data disks reconciled with ``volumes``, as device changes that ride in another step's call.

PRIVATE to the collection.

    planned = plan_existing(ctx, request, vm)                   # against the VM as read (a read only to check a new datastore)
    planned = plan_new(request, source=..., inventory=..., plan=...)   # a new VM: against the template's disks
    disks, records = changes(planned)                           # deviceChange and extraConfig for the reconfigure (or clone)
    planned.observe(ctx, vm)                                    # the disks as vCenter made them (files), when the VM was read again

The step makes no call of its own: its changes go into the clone of a new VM, or the ReconfigVM_Task of an existing one
(with the NIC and bootstrap changes, or alone). The planning rules live in ``_volumes``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import Inventory, filter_spec, traversal_specs
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import VmRecord, moid_of
from ansible_collections.guestnet.vsphere.plugins.module_utils._volumes import (
    ADD,
    CONTROLLER_KIND,
    GROW,
    REMOVE,
    VOLUMES_KEY,
    NewController,
    VolumeAction,
    VolumePlan,
    VolumeRequest,
    check_datastores,
    foreign_datastores,
    plan_volumes,
    volume_views,
)

try:
    from pyVmomi import vim
except ImportError:
    vim = None  # the module reports the missing library (GuestnetModule)

_CONTROLLER_CLASSES = {
    'pvscsi': 'ParaVirtualSCSIController', 'lsilogic': 'VirtualLsiLogicController', 'lsilogic_sas': 'VirtualLsiLogicSASController',
    'buslogic': 'VirtualBusLogicController', 'nvme': 'VirtualNVMEController', 'sata': 'VirtualAHCIController',
}
_HOST_DATASTORES = (('HostSystem', 'datastore', []),)


@dataclass
class VolumesPlanned:
    """The volume plan of one VM; ``views`` is what the module shows after the run (predicted until the VM is read again)."""
    request: VolumeRequest
    plan: VolumePlan
    own_datastore: Optional[str]
    datastores: Dict[str, Any] = field(default_factory=dict)     # name -> reference of the class datastores read
    views: List[Dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.views:
            self.views = [dict(view) for view in self.plan.after]

    @property
    def changed(self) -> bool:
        return self.plan.changed

    def diff(self) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        return self.plan.before, self.views

    def observe(self, ctx: Context, vm: VmRecord) -> None:
        """The volumes as vCenter made them (file names of new disks), from a read of the VM after the change."""
        names = [view['name'] for view in self.plan.after]
        seen = volume_views(self.plan.record_after, vm.disks, vm.controllers, names)
        found = {view['name'] for view in seen}
        for name in names:
            if name not in found:
                ctx.warn('volume %s: VM %s shows no disk at %s after the change' % (name, vm.path, self.plan.record_after[name].slot))
        self.views[:] = seen         # in place: the diff's after is this list


def plan_existing(ctx: Context, request: VolumeRequest, vm: VmRecord) -> VolumesPlanned:
    """The plan of an existing VM, from what was read of it; a datastore other than the VM's own that a new disk goes to is
    checked against the datastores of the VM's host (one read, only then)."""
    own = vm.placement.get('datastore')
    plan = plan_volumes(request, record=vm.extra_config.get(VOLUMES_KEY), disks=vm.disks, controllers=vm.controllers, vm=vm.path,
                        own_datastore=own)
    datastores: Dict[str, Any] = {}
    if foreign_datastores(plan, own) and vm.host_moid:
        host = ctx.client.reference('HostSystem', vm.host_moid)
        spec = filter_spec([host], {'Datastore': ['name', 'summary.accessible']}, traversal_specs(_HOST_DATASTORES), skip_roots=True)
        objects = ctx.client.retrieve([spec], 'reading the datastores of VM %s\'s host' % vm.path)
        datastores = {obj.name: obj.ref for obj in objects if obj.kind == 'Datastore' and obj.name and obj.get('summary.accessible') is not False}
        check_datastores(plan, datastores, 'host %s of VM %s' % (vm.placement.get('host') or vm.host_moid, vm.path))
    return VolumesPlanned(request=request, plan=plan, own_datastore=own, datastores=datastores)


def plan_new(request: VolumeRequest, *, source: Optional[VmRecord], inventory: Inventory, pool: Any, datastore: Any, path: str) -> VolumesPlanned:
    """The plan of a new VM: its disks are the template's (``source``; None: not known yet, as a library item's), and the class
    datastores must be ones the target cluster (or host) has, from the placement read (no call)."""
    own = datastore.name if datastore is not None else (source.placement.get('datastore') if source is not None else None)
    plan = plan_volumes(request, record=source.extra_config.get(VOLUMES_KEY) if source is not None else None,
                        disks=source.disks if source is not None else (), controllers=source.controllers if source is not None else (),
                        vm=path, own_datastore=own)
    compute = inventory.by_moid.get(moid_of(pool.get('owner')) or '') if pool is not None else None
    datastores: Dict[str, Any] = {}
    for ref in (compute.get('datastore') if compute is not None else None) or []:
        found = inventory.by_moid.get(moid_of(ref) or '')
        if found is not None and found.name:
            datastores[found.name] = found.ref
    if foreign_datastores(plan, own) and compute is not None:
        check_datastores(plan, datastores, '%s %s' % ('cluster' if compute.kind == 'ClusterComputeResource' else 'host', compute.name))
    return VolumesPlanned(request=request, plan=plan, own_datastore=own, datastores=datastores)


# ---------------------------------------------------------------------------
# Device specs
# ---------------------------------------------------------------------------

def changes(planned: Optional[VolumesPlanned], disk_devices: Mapping[int, Any]) -> Tuple[List[Any], Dict[str, str]]:
    """The deviceChange and the extraConfig (the record) that carry out the plan; nothing without volumes."""
    if planned is None or not planned.changed:
        return [], {}
    return device_changes(planned, disk_devices), planned.plan.record_changes()


def device_changes(planned: VolumesPlanned, disk_devices: Mapping[int, Any]) -> List[Any]:
    """Removals (the disk file destroyed with it), new controllers, new disks, then grown disks.

    ``disk_devices``: the VM's disks by key, as read (an edit sends the whole device back, resized).
    """
    spec = vim.vm.device.VirtualDeviceSpec
    removes, adds, grows = [], [], []
    controllers = [spec(operation='add', device=_controller(new)) for new in planned.plan.controllers]
    for action in planned.plan.actions:
        if action.action == REMOVE:
            removes.append(spec(operation='remove', fileOperation='destroy', device=disk_devices[action.disk_key]))
        elif action.action == ADD:
            adds.append(_new_disk(action, planned.datastores))
        elif action.action == GROW:
            device = disk_devices[action.disk_key]
            size_mib = int(action.size_mib or 0)
            device.capacityInKB = size_mib * 1024          # both: vCenter refuses an edit where they disagree
            device.capacityInBytes = size_mib * 1024 * 1024
            grows.append(spec(operation='edit', device=device))
    return removes + controllers + adds + grows


def _controller(new: NewController) -> Any:
    device = getattr(vim.vm.device, _CONTROLLER_CLASSES[new.type])(key=new.key, busNumber=new.bus)
    if CONTROLLER_KIND[new.type] == 'scsi':
        device.sharedBus = 'noSharing'
    return device


def _new_disk(action: VolumeAction, datastores: Mapping[str, Any]) -> Any:
    size_mib = int(action.size_mib or 0)
    backing = vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent', thinProvisioned=action.provisioning == 'thin',
                                                            eagerlyScrub=action.provisioning == 'eager_zeroed_thick')
    # No datastore: an empty file name puts the disk in the VM's folder; '[name]' puts it in the VM's folder on that datastore.
    backing.fileName = '[%s]' % action.datastore if action.datastore else ''
    if action.datastore and action.datastore in datastores:
        backing.datastore = datastores[action.datastore]
    disk = vim.vm.device.VirtualDisk(key=action.new_key, controllerKey=action.controller_key, unitNumber=action.unit,
                                     capacityInKB=size_mib * 1024, capacityInBytes=size_mib * 1024 * 1024, backing=backing)
    change = vim.vm.device.VirtualDeviceSpec(operation='add', fileOperation='create', device=disk)
    if action.storage_policy_id:
        change.profile = [vim.vm.DefinedProfileSpec(profileId=action.storage_policy_id)]
    return change
