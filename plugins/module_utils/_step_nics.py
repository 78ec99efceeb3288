# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The NIC step: a VM's virtual NICs reconciled with the spec's interfaces. PRIVATE to the collection.

    request = NicRequest.of(values)                        # validated, before any call
    planned = plan(request, nics, ...)                     # against the VM (or, for a new VM, the template's NICs)
    changes = device_changes(ctx, planned, devices)        # the deviceChange of one ReconfigVM_Task (or of the clone)
    ensure_network(ctx, selector, request, wait)           # vm_network: the step on its own

The pure matching and planning live in ``_nics``; the ledger's part (subnet interfaces) in ``_ipam``. The VM's
networks are read with the VM; the datacenter's other port groups only when the plan needs one of them.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, LedgerRaced, StepError, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import SubnetPlan, check_ledger_path, ledger_plan
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import default_ledger_path
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import ledger_location
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import NetworkRef, NetworkSpec, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._nic_devices import device_changes as nic_device_changes
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import (
    STANDARD,
    IncompleteCatalog,
    NetworkCatalog,
    NicPlan,
    ObservedNic,
    Wanted,
    class_adapter_types,
    effective_interfaces,
    match_nics,
    names_by_key,
    nic_list,
    plan_nics,
    plan_summary,
    predicted_nics,
    wanted_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec, validate
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_guest import (
    NIC_PROPERTIES,
    Nics,
    Target,
    status,
    timeout_message,
    wait_for_guest,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import VCenterError
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import VmRecord
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector, VmHandle
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmodl import to_vmodl

TASK_TIMEOUT = 1800
Planned = TypeVar('Planned')


@dataclass(frozen=True)
class NicRequest:
    """vm_network's options (and vm's NIC options), validated."""
    spec: NetworkSpec
    ledger: str = field(default_factory=default_ledger_path)
    remove_unmanaged: bool = False
    connected: bool = True
    interface_connected: Mapping[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[str, Any], spec: Optional[NetworkSpec] = None) -> 'NicRequest':
        spec = spec if spec is not None else parse_network_spec(values.get('network'))
        validate(spec)                                   # before any call: bad input costs no round trip
        ledger = ledger_location(values)
        check_ledger_path(spec, ledger)
        overrides = {}
        for name, flag in sorted((values.get('interface_connected') or {}).items()):
            try:
                overrides[name] = boolean(flag, strict=True)
            except TypeError:
                raise SpecError('interface_connected.%s' % name, flag, 'must be true or false') from None
        connected = values.get('connected')
        return cls(spec=spec, ledger=ledger, remove_unmanaged=bool(values.get('remove_unmanaged')),
                   connected=True if connected is None else bool(connected), interface_connected=overrides)


@dataclass
class NicPlanned:
    """The NIC plan of one VM and everything the result and the other steps need of it."""
    request: NicRequest
    spec: NetworkSpec                     # with the ledger's port groups filled in
    subnet_plan: SubnetPlan
    plan: NicPlan
    catalog: NetworkCatalog
    adapter_types: Tuple[str, ...]
    wanted: List[Wanted]
    before: Nics
    after: Nics                           # predicted: new NICs have keys -1, -2, ... and no MAC unless static
    target: Target

    @property
    def changed(self) -> bool:
        return self.plan.changed or self.subnet_plan.changed

    @property
    def adds_nics(self) -> bool:
        """New NICs get their MACs from vCenter: whatever needs them must read the VM again after the change."""
        return any(nic.key < 0 and not nic.mac_address for nic in self.after.nics)

    def summary(self) -> Dict[str, Any]:
        """What the module returns of the plan: actions and allocations (and the diff's NIC lists)."""
        return {'actions': plan_summary(self.plan), 'allocations': self.subnet_plan.allocations}

    def diff(self, after: Nics) -> Dict[str, Any]:
        before_names = {action.key: action.interface for action in self.plan.actions if action.key is not None and action.interface}
        return {'before': {'nics': nic_list(self.before.nics, before_names)}, 'after': {'nics': nic_list(after.nics, after.names)}}


def _with_catalog(source: Callable[[bool], NetworkCatalog], work: Callable[[NetworkCatalog], Planned]) -> Planned:
    """Plan with the networks at hand (the VM's own); read every network of the datacenter only when that is not enough."""
    catalog = source(False)
    try:
        return work(catalog)
    except IncompleteCatalog:
        return work(source(True))


def final_spec(spec: NetworkSpec, plan: NicPlan) -> NetworkSpec:
    """The spec with each interface's actual network filled in, for the intended config."""
    interfaces = []
    for iface in effective_interfaces(spec):
        network = plan.networks.get(iface.name)
        if iface.network is None and network is not None:
            iface = replace(iface, network=NetworkRef(name=network.name, switch=None if network.kind == STANDARD else network.switch_label))
        interfaces.append(iface)
    return replace(spec, interfaces=tuple(interfaces))


def plan(request: NicRequest, *, vm_name: str, owner: str, nics: Sequence[ObservedNic], extra_config: Mapping[str, str],
         power_state: str, guest: Nics, catalog_source: Callable[[bool], NetworkCatalog], dry_run: bool = True) -> NicPlanned:
    """The NIC plan of a VM (its NICs, records and power state), with a trial allocation of its subnet addresses.

    guest: the current observation (guest.net...), kept for the result. Bad input raises SpecError before any change.
    """
    adapter_types = class_adapter_types(extra_config)
    powered_on = power_state == 'poweredOn'

    def work(catalog: NetworkCatalog) -> NicPlanned:
        subnet_plan, spec = ledger_plan(request.ledger, request.spec, vm_uuid=owner, catalog=catalog, dry_run=dry_run, vm_name=vm_name)
        resolved = resolve(spec, vm_name=vm_name, adapter_types=adapter_types, subnets=subnet_plan.defaults)
        interfaces = effective_interfaces(spec)
        targets = {iface.name: catalog.resolve(iface.network, 'network.interfaces[%d].network' % index)
                   for index, iface in enumerate(interfaces) if iface.network is not None}
        wanted = [wanted_of(iface, targets.get(iface.name)) for iface in interfaces]
        names = names_by_key(match_nics(nics, wanted))
        nic_plan = plan_nics(nics, spec, resolved, catalog, remove_unmanaged=request.remove_unmanaged, connected=request.connected,
                             interface_connected=request.interface_connected, powered_on=powered_on, power_state=power_state)
        predicted, predicted_names = predicted_nics(nics, nic_plan, powered_on)
        connected = {name: bool(request.interface_connected.get(name, request.connected)) for name in nic_plan.interfaces}
        target = Target(spec=final_spec(spec, nic_plan), vm_name=vm_name, adapter_types=adapter_types, subnets=subnet_plan.defaults,
                        networks=nic_plan.networks, connected=connected)
        before = replace(guest, nics=tuple(nics), names=names)
        after = replace(guest, nics=tuple(predicted), names=predicted_names)
        resolve(target.spec, vm_name=vm_name, adapter_types=adapter_types, macs=after.macs(), subnets=subnet_plan.defaults)  # before any change
        return NicPlanned(request=request, spec=spec, subnet_plan=subnet_plan, plan=nic_plan, catalog=catalog, adapter_types=adapter_types,
                          wanted=wanted, before=before, after=after, target=target)

    return _with_catalog(catalog_source, work)


def commit_subnets(planned: NicPlanned, owner: str) -> SubnetPlan:
    """Keep the trial allocations (right before the VM changes); the addresses are those of the trial."""
    if not planned.subnet_plan.allocations:
        return planned.subnet_plan
    committed, dummy = ledger_plan(planned.request.ledger, planned.request.spec, vm_uuid=owner, catalog=planned.catalog, dry_run=False,
                                   vm_name=planned.target.vm_name)
    if committed.defaults != planned.subnet_plan.defaults:
        raise LedgerRaced('the subnet ledger handed an address this run had planned for the VM to another VM meanwhile; nothing was '
                          'changed on the VM: run again (it keeps %s)' % ', '.join(item['address'] for item in committed.allocations))
    planned.subnet_plan = committed
    return committed


def device_changes(ctx: Context, planned: NicPlanned, devices: Mapping[int, Any]) -> List[Any]:
    """The deviceChange that carries out the plan (for a ReconfigVM_Task, or a CloneVM_Task's config)."""
    refs = {net.moid: ctx.client.reference('Network', net.moid) for net in planned.catalog.networks if net.kind == STANDARD}
    return nic_device_changes(planned.plan, devices, refs)


def observation(vm: VmRecord, names: Mapping[int, str]) -> Nics:
    return Nics(nics=vm.nics, names=dict(names), guest=vm.guest, guest_ip=vm.guest_ip, extra_config=vm.extra_config,
                powered_on=vm.powered_on)


def plan_for(request: NicRequest, vm: VmRecord, handle: VmHandle, dry_run: bool = True) -> NicPlanned:
    """plan() for an existing VM read by handle."""
    return plan(request, vm_name=vm.name, owner=vm.owner_key(), nics=vm.nics, extra_config=vm.extra_config, power_state=vm.power_state,
                guest=observation(vm, {}), catalog_source=lambda full: handle.full_catalog() if full else handle.catalog(), dry_run=dry_run)


def reread(ctx: Context, vm: VmRecord, planned: NicPlanned) -> Nics:
    """The NICs and guest after a change (one read)."""
    values = ctx.client.read([vm.ref], NIC_PROPERTIES)[0].props
    return planned.before.with_values(values, planned.catalog, planned.wanted)


# ---------------------------------------------------------------------------
# vm_network: the step on its own
# ---------------------------------------------------------------------------

def ensure_network(ctx: Context, selector: Selector, request: NicRequest, wait: Optional[int] = None) -> StepResult:
    """vm_network: reconcile the NICs (one ReconfigVM_Task), report intended and observed network, optionally wait."""
    handle = VmHandle(ctx.client, selector)
    vm = handle.find()
    if vm is None:
        raise VCenterError('no VM matches %s' % selector.describe())
    planned = plan_for(request, vm, handle)
    if wait is not None and not ctx.check_mode and not vm.powered_on:
        raise VCenterError('wait: VM %s is %s, so its guest cannot show its addresses; power it on first (guestnet.vsphere.vm_power), '
                           'or leave out wait' % (vm.name, vm.power_state or 'not powered on'))
    after, timed_out = planned.after, None
    if not ctx.check_mode:
        commit_subnets(planned, vm.owner_key())
        if planned.plan.changed:
            ctx.client.run_task('reconfiguring the NICs of VM %s' % vm.name, vm.ref.ReconfigVM_Task,
                                spec=_config_spec(device_changes(ctx, planned, vm.devices)), timeout=TASK_TIMEOUT, check_first=True)
            if wait is None:
                after = reread(ctx, vm, planned)
        else:
            after = planned.before
        if wait is not None:
            after, timed_out = wait_for_guest(ctx, vm.ref, vm.name, planned.target, planned.catalog, planned.wanted, wait, after,
                                              reread=planned.plan.changed)
    result = network_result(ctx, vm, planned, after)
    if timed_out is not None:
        raise StepError(timeout_message(timed_out, planned.target, after, result), dict(result, changed=planned.changed))
    return StepResult(changed=planned.changed, result=result)


def network_result(ctx: Context, vm: VmRecord, planned: NicPlanned, after: Nics) -> Dict[str, Any]:
    out: Dict[str, Any] = dict({'vm': {'moid': vm.moid, 'name': vm.name, 'power_state': vm.power_state}}, **planned.summary())
    out.update(status(planned.target, after))
    if ctx.diff:
        out['diff'] = planned.diff(after)
    return out


def _config_spec(changes: Sequence[Any]) -> Any:
    spec = to_vmodl({'_type': 'vim.vm.ConfigSpec'})
    spec.deviceChange = list(changes)
    return spec
