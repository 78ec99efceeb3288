# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bootstrap step: cloud-init (guestinfo), LinuxPrep, Sysprep or vApp properties, rendered from the network spec.

PRIVATE to the collection.

    request = BootstrapRequest.of(values)          # validated, before any call
    planned = plan(ctx, request, subject, catalog_source)
    apply(ctx, ref, name, planned, device_changes=...)
    ensure_bootstrap(ctx, selector, request)      # vm_bootstrap: the step on its own

``Subject`` is what the step needs of the VM: an existing one (``Subject.of_vm``), or a VM about to be cloned, whose
new NICs have no MAC yet (``placeholders``). The record (``guestnet.bootstrap.provider`` and ``.hash``) is written in
the same reconfigure as the guestinfo or vApp properties it stands for; for LinuxPrep and Sysprep it is written
before the customization is queued, so a run that fails after it leaves a VM the next run recognises (and goes on to
power on); if queueing the customization fails, the record is put back. The pure decisions live in ``_bootstrap``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._bootstrap import (
    GOSC_PROVIDERS,
    RECORD_KEYS,
    applied_hash,
    check_capabilities,
    check_switch,
    check_vapp_request,
    cleared_guestinfo,
    current_cloud_init_documents,
    current_vapp_documents,
    document_secrets,
    extra_config_diff,
    mac_forms,
    match_nics,
    provider_options,
    public_documents,
    read_record,
    record_values,
    render_documents,
    vapp_config_spec,
    vapp_edits,
    vapp_secret_values,
    wanted_guestinfo,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, LedgerRaced, StepError, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import SubnetPlan, check_ledger_path, ledger_plan
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import default_ledger_path
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import ledger_location
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import CLOUD_INIT, LINUX_PREP, PROVIDERS, SYSPREP, VAPP_CONFIG, NetworkSpec
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import IncompleteCatalog, NetworkCatalog, ObservedNic
from ansible_collections.guestnet.vsphere.plugins.module_utils._power import HARD, POWERED_OFF, PowerError
from ansible_collections.guestnet.vsphere.plugins.module_utils._power import plan as power_plan
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import no_ipv4_mode
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import TransportError, VCenterError
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import VmRecord
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector, VmHandle
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmodl import to_vmodl

# A MAC for a NIC that vCenter has not given one yet (a VM about to be cloned): locally administered, never vCenter's.
PLACEHOLDER_MAC = '02:00:00:00:00:%02x'


@dataclass(frozen=True)
class BootstrapRequest:
    """vm_bootstrap's options (and vm's bootstrap), validated."""
    provider: str
    options: Dict[str, Any]
    spec: NetworkSpec
    ledger: str = field(default_factory=default_ledger_path)
    power_cycle: bool = False
    force: bool = False

    @classmethod
    def of(cls, values: Mapping[str, Any], spec: Optional[NetworkSpec] = None) -> 'BootstrapRequest':
        """From the options provider, its section (cloud_init, linux_prep, sysprep, vapp_config), power_cycle and force."""
        provider = values['provider']
        options = provider_options(provider, {name: values.get(name) for name in PROVIDERS})
        spec = spec if spec is not None else parse_network_spec(values.get('network'))
        check_capabilities(spec, provider)
        ledger = ledger_location(values)
        check_ledger_path(spec, ledger)
        if provider == VAPP_CONFIG:
            check_vapp_request(options.get('properties') or [])
        return cls(provider=provider, options=options, spec=spec, ledger=ledger, power_cycle=bool(values.get('power_cycle')),
                   force=bool(values.get('force')))

    @property
    def requested(self) -> List[Mapping[str, Any]]:
        return list(self.options.get('properties') or [])


@dataclass(frozen=True)
class Subject:
    """What the step needs of the VM it bootstraps (an existing VM, or a VM about to be cloned)."""
    name: str
    owner: str                                   # the ledger's and the hash's key: the instance UUID
    instance_id: str                             # cloud-init's default instance-id: the BIOS UUID
    nics: Tuple[ObservedNic, ...]
    extra_config: Mapping[str, str]
    power_state: str
    guest_id: Optional[str] = None
    pending_customization: Optional[str] = None
    vapp: Optional[Mapping[str, Any]] = None
    placeholders: Mapping[str, str] = field(default_factory=dict)   # placeholder MAC -> what the output shows instead

    @classmethod
    def of_vm(cls, vm: VmRecord) -> 'Subject':
        return cls(name=vm.name, owner=vm.owner_key(), instance_id=vm.uuid or vm.moid, nics=vm.nics, extra_config=vm.extra_config,
                   power_state=vm.power_state, guest_id=vm.guest_id, pending_customization=vm.pending_customization, vapp=vm.vapp)

    def with_placeholder_macs(self) -> 'Subject':
        """New NICs (no MAC yet) with placeholder MACs, so the documents can be rendered (and hashed) before they exist."""
        nics, shown = [], dict(self.placeholders)
        for index, nic in enumerate(self.nics):
            if not nic.mac_address:
                mac = PLACEHOLDER_MAC % (index + 1)
                shown[mac] = '(MAC of NIC %d, assigned by vCenter)' % (index + 1)
                nic = replace(nic, mac_address=mac)
            nics.append(nic)
        return replace(self, nics=tuple(nics), placeholders=shown)


@dataclass
class BootstrapPlan:
    """What the step will write (and why), and the module's view of it."""
    request: BootstrapRequest
    subject: Subject
    documents: Dict[str, Any]
    digest: str
    recorded: Tuple[Optional[str], Optional[str]]          # (provider, hash) on the VM before
    extra_changes: Dict[str, str]
    vapp_spec: Optional[Dict[str, Any]]
    edits: List[Dict[str, Any]]
    customization: Optional[Dict[str, Any]]                # the CustomizationSpec as plain data, when one is queued
    power_steps: List[Any]
    subnet_plan: SubnetPlan
    catalog: NetworkCatalog
    network_config: Dict[str, Any]
    macs: Dict[str, str]                                   # interface name -> MAC of its NIC

    @property
    def changed(self) -> bool:
        return bool(self.extra_changes) or self.vapp_spec is not None

    def public(self) -> Dict[str, Any]:
        """The documents for output: secrets redacted, placeholder MACs shown as what they stand for."""
        shown = public_documents(self.request.provider, self.documents)
        if not self.subject.placeholders:
            return shown
        text = json.dumps(shown)
        for mac, label in self.subject.placeholders.items():
            for form in mac_forms(mac):
                text = text.replace(form, label)
        return json.loads(text)


def guest_family_warning(provider: str, guest_id: Optional[str]) -> Optional[str]:
    windows = (guest_id or '').lower().startswith('win')
    if provider == SYSPREP and guest_id and not windows:
        return 'provider sysprep customizes Windows guests, but the VM\'s guest OS is %s' % guest_id
    if provider == LINUX_PREP and windows:
        return 'provider linux_prep customizes Linux guests, but the VM\'s guest OS is %s' % guest_id
    return None


def plan(ctx: Context, request: BootstrapRequest, subject: Subject, catalog_source: Callable[[bool], NetworkCatalog],
         dry_run: bool = True) -> BootstrapPlan:
    """Render the provider's documents for the VM and decide what to write; SpecError before anything changes."""
    provider, options = request.provider, request.options
    vapp = subject.vapp or {'properties': [], 'transports': []}
    ctx.secret(vapp_secret_values(request.requested, vapp['properties']))   # secrets from the moment their type is known
    warning = guest_family_warning(provider, subject.guest_id)
    if warning:
        ctx.warn(warning)
    catalog = catalog_source(False)
    try:
        subnet_plan, spec = ledger_plan(request.ledger, request.spec, vm_uuid=subject.owner, catalog=catalog, dry_run=dry_run,
                                        vm_name=subject.name)
    except IncompleteCatalog:
        catalog = catalog_source(True)
        subnet_plan, spec = ledger_plan(request.ledger, request.spec, vm_uuid=subject.owner, catalog=catalog, dry_run=dry_run,
                                        vm_name=subject.name)
    macs = match_nics(spec, subject.nics, provider=provider, vm_name=subject.name)
    global_dns = provider != CLOUD_INIT or options['use_global_nameservers_as_default']
    global_search = provider != CLOUD_INIT or options['use_global_search_domains_as_default']
    net = resolve(spec, vm_name=subject.name, provider=provider, macs=macs, use_global_nameservers_as_default=global_dns,
                  use_global_search_domains_as_default=global_search, subnets=subnet_plan.defaults)
    documents = render_documents(provider, net, options, instance_id=subject.instance_id,
                                 no_ipv4=no_ipv4_mode(ctx.client.content.about.apiVersion), vm_properties=vapp['properties'])
    ctx.secret(document_secrets(documents))
    recorded = read_record(subject.extra_config)
    check_switch(recorded[0], provider, request.force, subject.name)
    digest = applied_hash(provider, documents, salt=subject.owner, nic_macs=macs)
    wanted: Dict[str, Optional[str]] = dict(record_values(provider, digest))
    if provider == CLOUD_INIT:
        wanted.update(wanted_guestinfo(documents))
    elif recorded[0] == CLOUD_INIT:
        wanted.update(cleared_guestinfo())
    extra_changes = extra_config_diff(subject.extra_config, wanted, force=request.force)
    edits: List[Dict[str, Any]] = []
    vapp_spec = None
    if provider == VAPP_CONFIG:
        edits = vapp_edits(request.requested, vapp['properties'], force=request.force)
        vapp_spec = vapp_config_spec(edits, vapp['transports'])
    customization, power_steps = None, []
    if provider in GOSC_PROVIDERS and extra_changes:
        power_steps = _power_off_first(request, subject)
        if subject.pending_customization:
            raise VCenterError('VM %s already has a customization pending (config.tools.pendingCustomization), which applies at its '
                               'next power-on; vCenter queues one at a time: power the VM on, then run again' % subject.name)
        customization = documents['spec']
    return BootstrapPlan(request=request, subject=subject, documents=documents, digest=digest, recorded=recorded, extra_changes=extra_changes,
                         vapp_spec=vapp_spec, edits=edits, customization=customization, power_steps=power_steps, subnet_plan=subnet_plan,
                         catalog=catalog, network_config=intended_config(net), macs=macs)


def _power_off_first(request: BootstrapRequest, subject: Subject) -> List[Any]:
    """GOSC applies at the next power-on: a VM that runs is powered off first (power_cycle), else the run fails."""
    if subject.power_state in (POWERED_OFF, ''):
        return []
    if not request.power_cycle:
        raise VCenterError('VM %s is %s, and %s customizes at the next power-on, so the VM must be powered off: power it off first '
                           '(guestnet.vsphere.vm_power), or set power_cycle: true to power it off here'
                           % (subject.name, subject.power_state, request.provider))
    try:   # vm_power's transition table: a hard power-off
        return list(power_plan(subject.power_state, 'powered_off', HARD).steps)
    except PowerError as error:
        raise VCenterError('power_cycle: VM %s cannot be powered off for its customization: %s' % (subject.name, error)) from None


def option_values(changes: Mapping[str, str]) -> List[Dict[str, Any]]:
    return [{'_type': 'vim.option.OptionValue', 'key': key, 'value': value} for key, value in sorted(changes.items())]


def config_spec(planned: Optional[BootstrapPlan], device_changes: Sequence[Any] = (), extra_config: Optional[Mapping[str, str]] = None) -> Any:
    """One ConfigSpec with the plan's extraConfig and vApp changes (and the NIC and volume changes, and their records, that go along)."""
    data: Dict[str, Any] = {'_type': 'vim.vm.ConfigSpec'}
    changes = dict(planned.extra_changes if planned is not None else {}, **(extra_config or {}))
    if changes:
        data['extraConfig'] = option_values(changes)
    if planned is not None and planned.vapp_spec is not None:
        data['vAppConfig'] = planned.vapp_spec
    spec = to_vmodl(data)
    if device_changes:
        spec.deviceChange = list(device_changes)
    return spec


def commit_subnets(planned: BootstrapPlan) -> None:
    """Keep the trial allocations right before the VM changes; a lost race changes nothing on the VM."""
    if not planned.subnet_plan.changed:
        return
    request, subject = planned.request, planned.subject
    committed, dummy = ledger_plan(request.ledger, request.spec, vm_uuid=subject.owner, catalog=planned.catalog, dry_run=False,
                                   vm_name=subject.name)
    if committed.defaults != planned.subnet_plan.defaults:
        raise LedgerRaced('the subnet ledger handed an address this run had planned for VM %s to another VM meanwhile; nothing was changed '
                          'on the VM: run again (it keeps %s)' % (subject.name, ', '.join(item['address'] for item in committed.allocations)))
    planned.subnet_plan = committed


def apply(ctx: Context, ref: Any, planned: BootstrapPlan, device_changes: Sequence[Any] = (), timeout: int = 3600,
          extra_config: Optional[Mapping[str, str]] = None) -> None:
    """Carry out the plan: power off (power_cycle), one ReconfigVM_Task (record, guestinfo or vApp, NIC and volume changes with
    extra_config, their records), then CustomizeVM_Task for LinuxPrep and Sysprep. A failed customization puts the previous
    record back."""
    name = planned.subject.name
    for step in planned.power_steps:
        ctx.client.run_task('powering off VM %s for its customization' % name, getattr(ref, step.method), timeout=timeout, check_first=True)
    if planned.changed or device_changes or extra_config:
        ctx.client.run_task('reconfiguring VM %s' % name, ref.ReconfigVM_Task, spec=config_spec(planned, device_changes, extra_config),
                            timeout=timeout, check_first=True)
    if planned.customization is not None:
        customize(ctx, ref, planned, timeout)


def customize(ctx: Context, ref: Any, planned: BootstrapPlan, timeout: int = 3600, previous: Optional[Mapping[str, str]] = None) -> None:
    """Queue the customization (recorded already); when vCenter refuses it, put the previous record back (`previous`:
    the VM's extraConfig before the record was written, by default the subject's).

    When the answer was lost (a transport fault), vCenter may have queued it: the VM's pendingCustomization tells, and
    the record stays when it has (the next run recognises the VM and powers it on).
    """
    name, provider = planned.subject.name, planned.request.provider
    try:
        ctx.client.run_task('customizing VM %s (%s)' % (name, provider), ref.CustomizeVM_Task, spec=to_vmodl(planned.customization),
                            timeout=timeout, check_first=True)
    except VCenterError as error:
        if isinstance(error, TransportError):
            try:
                pending = ctx.client.read([ref], ['config.tools.pendingCustomization'], 'reading the customization of VM %s' % name)[0]
            except VCenterError:
                raise VCenterError('%s; whether it was queued cannot be read either, so its bootstrap record stays: run again' % error) from None
            if pending.get('config.tools.pendingCustomization'):
                raise VCenterError('%s; vCenter shows a customization queued for VM %s, so its bootstrap record stays: run again, and the '
                                   'run powers it on' % (error, name)) from None
        _restore_record(ctx, ref, planned, error, timeout, planned.subject.extra_config if previous is None else previous)


def _restore_record(ctx: Context, ref: Any, planned: BootstrapPlan, error: VCenterError, timeout: int, before: Mapping[str, str]) -> None:
    """The customization was not queued: the record written for it goes back to what it was, and the run fails."""
    name = planned.subject.name
    previous = {key: before.get(key) or '' for key in RECORD_KEYS}
    try:
        ctx.client.run_task('restoring the bootstrap record of VM %s' % name, ref.ReconfigVM_Task,
                            spec=to_vmodl({'_type': 'vim.vm.ConfigSpec', 'extraConfig': option_values(previous)}), timeout=timeout,
                            check_first=True)
    except VCenterError as again:
        raise VCenterError('%s; its bootstrap record could not be put back either (%s): run again with force: true' % (error, again)) from None
    raise VCenterError('%s; nothing is queued and the bootstrap record is as before, so the next run customizes it again' % error) from None


def result(planned: BootstrapPlan, ctx: Context) -> Dict[str, Any]:
    """vm_bootstrap's result: the provider, hash, what was applied (redacted) and updated, and the diff."""
    request = planned.request
    public = planned.public()
    vapp = planned.subject.vapp or {'properties': [], 'transports': []}
    out: Dict[str, Any] = {
        'allocations': planned.subnet_plan.allocations,
        'bootstrap': {
            'provider': request.provider,
            'hash': planned.digest,
            'previous': {'provider': planned.recorded[0], 'hash': planned.recorded[1]},
            'applied': public,
            'updated': {
                'extra_config': sorted(planned.extra_changes),
                'customization': planned.customization is not None,
                'vapp_properties': [_edit_id(edit, vapp['properties']) for edit in planned.edits],
                'ovf_environment_transport': bool(planned.vapp_spec and planned.vapp_spec.get('ovfEnvironmentTransport')),
                'powered_off': bool(planned.power_steps),
            },
            'network_config': planned.network_config,
        },
    }
    if ctx.diff:
        if request.provider == CLOUD_INIT:
            before_documents = current_cloud_init_documents(planned.subject.extra_config)
        elif request.provider == VAPP_CONFIG:
            before_documents = current_vapp_documents(request.requested, vapp['properties'])
        else:
            before_documents = {}   # vCenter cannot show an applied customization: the hash stands for it
        out['diff'] = {
            'before': {'provider': planned.recorded[0], 'hash': planned.recorded[1], 'documents': before_documents},
            'after': {'provider': request.provider, 'hash': planned.digest, 'documents': public},
        }
    return out


def _edit_id(edit: Mapping[str, Any], properties: Sequence[Mapping[str, Any]]) -> str:
    key = edit['info']['key']
    for prop in properties:
        if prop['key'] == key:
            return str(prop.get('id') or key)
    return str(key)


# ---------------------------------------------------------------------------
# vm_bootstrap: the step on its own
# ---------------------------------------------------------------------------

def ensure_bootstrap(ctx: Context, selector: Selector, request: BootstrapRequest) -> StepResult:
    """vm_bootstrap: render, compare with the record, write what differs (and queue a customization)."""
    handle = VmHandle(ctx.client, selector, vapp=request.provider == VAPP_CONFIG)
    vm = handle.find()
    if vm is None:
        raise VCenterError('no VM matches %s (templates are not bootstrapped)' % selector.describe())
    planned = plan(ctx, request, Subject.of_vm(vm), lambda full: handle.full_catalog() if full else handle.catalog())
    if not ctx.check_mode:
        commit_subnets(planned)
        try:
            apply(ctx, vm.ref, planned)
        except VCenterError as error:
            if planned.power_steps:   # the VM was powered off for the customization
                raise StepError(str(error), dict(result(planned, ctx), changed=True)) from None
            raise
    return StepResult(changed=planned.changed or planned.subnet_plan.changed, result=result(planned, ctx))
