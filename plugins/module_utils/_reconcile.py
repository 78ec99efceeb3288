# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole VirtualMachine in one pass, as VM Operator reconciles it: the vm module. PRIVATE to the collection.

    request = VmRequest.of(values)      # every option checked (all problems at once), before any call
    reconcile(ctx, request)             # deploy, NICs, bootstrap, power, guest: one session, merged changes

Every step is planned before the first change, so bad input changes nothing; the changes are then made with as few
calls as vCenter allows:

- a new VM: one read of the templates and placement, one of the template; one CloneVM_Task with the class, records,
  NIC changes (and, for LinuxPrep and Sysprep, the bootstrap record); one read of the new VM for the MACs vCenter gave
  its NICs; one ReconfigVM_Task with the cloud-init guestinfo (or vApp properties), or one CustomizeVM_Task; power-on;
- a new VM from a content library item: the same read of templates and placement, the item found and deployed through
  vAPI (``_vapi``), one ReconfigVM_Task with what a clone gets in its CloneSpec (class, UUIDs, records), one read of
  the new VM; then NICs, bootstrap and power as for an existing VM (the item's NICs are known only once it exists);
- an existing VM: one look-up and one read; NIC changes and the bootstrap's extraConfig or vApp properties in one
  ReconfigVM_Task, unless NICs are added (the bootstrap needs their MACs: a read, then a second reconfigure);
- a VM with nothing to do: the look-up and the read, nothing else.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils import _step_bootstrap as bootstrap_step
from ansible_collections.guestnet.vsphere.plugins.module_utils import _step_deploy as deploy_step
from ansible_collections.guestnet.vsphere.plugins.module_utils import _step_nics as nic_step
from ansible_collections.guestnet.vsphere.plugins.module_utils import _step_power as power_step
from ansible_collections.guestnet.vsphere.plugins.module_utils import _step_volumes as volume_step
from ansible_collections.guestnet.vsphere.plugins.module_utils._bootstrap import GOSC_PROVIDERS, record_values
from ansible_collections.guestnet.vsphere.plugins.module_utils._conditions import APPLYING, QUEUED, CustomizationProgress, VmFacts, vm_conditions
from ansible_collections.guestnet.vsphere.plugins.module_utils._deploy import CLASS_KEY, IMAGE_KEY, class_record
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, LedgerRaced, StepError, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._events import GuestWatch
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import ErrorCollector, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import ObservedNic
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_guest import Nics, pending, status, timeout_message, wait_for_guest
from ansible_collections.guestnet.vsphere.plugins.module_utils._vapi import VapiClient
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import TransportError, VCenterError
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import VmRecord, moid_of
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector, VmHandle
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmoperator import manifest_options
from ansible_collections.guestnet.vsphere.plugins.module_utils._volumes import VolumeRequest

DEPLOY_OPTIONS = ('datacenter', 'folder', 'image', 'image_kind', 'image_library', 'vm_class', 'guest_id', 'instance_uuid', 'bios_uuid',
                  'cluster', 'host', 'resource_pool', 'datastore', 'adopt', 'ledger', 'ledger_token', 'ledger_validate_certs', 'timeout')
MANIFEST_OPTIONS = ('name', 'image', 'vm_class', 'instance_uuid', 'bios_uuid', 'guest_id', 'power_state', 'power_mode', 'next_restart_time',
                    'network', 'volumes')
BOOTSTRAP_OPTIONS = ('provider', 'cloud_init', 'linux_prep', 'sysprep', 'vapp_config')
VOLUMES_FROM = '_volumes_from'      # set when the volumes are a manifest's, so messages name manifest.spec.volumes


@dataclass(frozen=True)
class VmRequest:
    """The vm module's options as the steps' requests."""
    state: str
    selector: Selector
    deploy: deploy_step.DeployRequest
    nics: nic_step.NicRequest
    bootstrap: Optional[bootstrap_step.BootstrapRequest]
    power: power_step.PowerRequest
    restart: Optional[power_step.PowerRequest]          # next_restart_time: a restart when due
    wait: Optional[int]
    notes: Tuple[str, ...] = ()                         # warnings found while reading the options (a manifest's ignored fields)
    volumes: Optional[VolumeRequest] = None             # None: volumes not given, the VM's disks are not looked at

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> 'VmRequest':
        values = {key: value for key, value in params.items() if value is not None}
        notes: List[str] = []
        if values.get('manifest') is not None:
            values = _with_manifest(values, notes)
        errors = ErrorCollector()
        if not any(values.get(key) for key in ('name', 'moid', 'instance_uuid', 'bios_uuid')):
            errors.add('name', '', 'is required (or moid, instance_uuid or bios_uuid to find an existing VM; or a manifest)')
            errors.raise_if_any()
        state = values.get('state') or 'present'
        spec = None
        with errors.catch():
            spec = parse_network_spec(values.get('network'))
        errors.raise_if_any()
        subnets = values.get('subnets')
        if subnets is None:
            subnets = [iface.subnet for iface in spec.interfaces if iface.subnet]
        deploy = nics = bootstrap = power = restart = None
        with errors.catch():
            deploy = deploy_step.DeployRequest.of(dict({key: values.get(key) for key in DEPLOY_OPTIONS}, state=state,
                                                       name=values.get('name') or values.get('moid') or values.get('instance_uuid')
                                                       or values.get('bios_uuid'), subnets=subnets))
        with errors.catch():
            nics = nic_step.NicRequest.of(values, spec)
        if values.get('provider') and state == 'present':
            with errors.catch():
                bootstrap = bootstrap_step.BootstrapRequest.of(values, spec)
        power_state = values.get('power_state') or 'powered_on'
        with errors.catch():
            power = power_step.PowerRequest.of({'state': power_state, 'mode': values.get('power_mode'), 'soft_timeout': values.get('soft_timeout'),
                                                'timeout': min(values.get('timeout') or 600, 3600)})
        if values.get('next_restart_time'):
            if power_state != 'powered_on':
                errors.add('next_restart_time', values['next_restart_time'], 'restarts a powered-on VM, but power_state is %s' % power_state)
            else:
                with errors.catch():
                    restart = power_step.PowerRequest.of({'state': 'restarted', 'mode': values.get('power_mode'),
                                                          'soft_timeout': values.get('soft_timeout'), 'next_restart_time': values['next_restart_time']})
        wait = (values.get('wait') or {}).get('timeout') if values.get('wait') is not None else None
        if wait is not None and wait < 1:
            errors.add('wait.timeout', wait, 'must be at least 1 (seconds)')
        volumes = None
        if values.get('volumes') is not None and state == 'present':
            with errors.catch():
                volumes = VolumeRequest.of(values['volumes'], values.get('storage_classes'), path=values.get(VOLUMES_FROM) or 'volumes')
        errors.raise_if_any()
        selector = Selector(moid=values.get('moid'), name=None if values.get('moid') else values.get('name'),
                            instance_uuid=None if values.get('moid') or values.get('name') else values.get('instance_uuid'),
                            uuid=None if values.get('moid') or values.get('name') or values.get('instance_uuid') else values.get('bios_uuid'),
                            datacenter=values.get('datacenter'), folder=values.get('folder'))
        return cls(state=state, selector=selector, deploy=deploy, nics=nics, bootstrap=bootstrap, power=power, restart=restart, wait=wait,
                   notes=tuple(notes), volumes=volumes)


def _with_manifest(values: Dict[str, Any], notes: List[str]) -> Dict[str, Any]:
    """The manifest's options under the ones given explicitly."""
    found = manifest_options(values['manifest'], values.get('classes'), values.get('images'), values.get('claims'),
                             volumes=values.get('volumes') is None)
    merged = dict(values)
    for key in MANIFEST_OPTIONS:
        if key in found and merged.get(key) is None:
            merged[key] = found[key]
    if 'volumes' in found and values.get('volumes') is None:
        merged[VOLUMES_FROM] = 'manifest.spec.volumes'
    if found.get('bootstrap') and values.get('provider') is None:     # the manifest's bootstrap, unless one is given
        if found.get('secret_references'):
            raise SpecError('manifest.spec.bootstrap', ', '.join(found['secret_references']),
                            'refers to Secrets or ConfigMaps, which only Kubernetes holds; give provider and its section (with the values) '
                            'as options')
        merged.update({key: found['bootstrap'][key] for key in BOOTSTRAP_OPTIONS if key in found['bootstrap']})
    if found.get('ignored'):
        notes.append('manifest: %s %s no counterpart here and %s ignored' % (', '.join(found['ignored']),
                                                                             'has' if len(found['ignored']) == 1 else 'have',
                                                                             'is' if len(found['ignored']) == 1 else 'are'))
    return merged


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

def reconcile(ctx: Context, request: VmRequest) -> StepResult:
    for note in request.notes:
        ctx.warn(note)
    vapp = request.bootstrap is not None and request.bootstrap.provider == 'vapp_config'
    handle = VmHandle(ctx.client, request.selector, vapp=vapp)
    flow: Optional[Run] = None
    try:
        # A run that may create the VM reads the inventory's names with the placement, not before it.
        vm = handle.find(names=not (request.state == 'present' and request.deploy.image))
        if vm is None and handle.template is not None:
            raise SpecError('name', request.deploy.name, 'is a template (%s): guestnet.vsphere creates and deletes VMs, never templates'
                            % handle.template.path)
        if request.state == 'absent':
            removed = deploy_step.remove(ctx, request.deploy, handle)
            return StepResult(changed=removed.changed, result=dict(removed.result, steps={'deploy': {'changed': removed.changed}}))
        if vm is None and not handle.unsure:
            if not request.selector.name:
                raise VCenterError('no VM matches %s; to create one, give its name' % request.selector.describe())
        flow = Creation(ctx, request, handle) if vm is None else Update(ctx, request, handle, vm)
        try:
            return flow.run()
        except LedgerRaced:
            # Another run took the addresses this one planned with. Nothing changed on the VM (a library item's VM may be
            # deployed), and the ledger keeps what it gave this VM's owner: planning once more takes those (a new VM keeps
            # the UUIDs the ledger knows it by).
            if isinstance(flow, Creation) and flow.ids:
                request = replace(request, deploy=replace(request.deploy, **flow.ids))
            deployed = handle.record if isinstance(flow, Creation) else vm
            flow = (Creation(ctx, request, handle) if deployed is None else
                    Update(ctx, request, handle, deployed, created=flow.created if isinstance(flow, Creation) else None))
            return flow.run()
    except TransportError as error:     # the other failures name their step already (Run.fail), or changed nothing
        raise VCenterError('%s: %s' % (flow.step if flow is not None else 'deploy', error)) from None


class Run:
    """What both flows share: the steps' results, and the module result built from them."""

    def __init__(self, ctx: Context, request: VmRequest, handle: VmHandle) -> None:
        self.ctx = ctx
        self.request = request
        self.handle = handle
        self.steps: Dict[str, Dict[str, Any]] = {}
        self.step = 'deploy'                       # the step under way, for a failure that does not say
        self.deployed: Optional[StepResult] = None
        self.nics: Optional[nic_step.NicPlanned] = None
        self.boot: Optional[bootstrap_step.BootstrapPlan] = None
        self.power: Optional[power_step.PowerPlanned] = None
        self.restart: Optional[power_step.PowerPlanned] = None
        self.observed: Optional[Nics] = None
        self.volumes: Optional[volume_step.VolumesPlanned] = None
        self.watch: Optional[GuestWatch] = None             # what the wait watched (Tools, a customization's events)
        self.powered_on_at: Optional[datetime.datetime] = None   # this run's power-on, vCenter's clock
        self.failure: Optional[Tuple[str, str]] = None      # (step, message) of the step that failed
        self.vm_view: Dict[str, Any] = {}
        self.before: Dict[str, Any] = {}
        self.after: Dict[str, Any] = {}

    @property
    def changed(self) -> bool:
        return any(step.get('changed') for step in self.steps.values())

    def fail(self, step: str, error: Exception) -> StepError:
        """A step failed after others changed something: the message names the step, the result shows what was done."""
        message = '%s: %s' % (step, error)
        self.failure = (step, str(error))
        return StepError(message, dict(self.result(), changed=self.changed))

    def result(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {'vm': dict(self.vm_view), 'steps': self.steps}
        if self.nics is not None and self.observed is not None:
            out.update(self.nics.summary())
            out.update(status(self.nics.target, self.observed))
        if self.boot is not None:
            out['bootstrap'] = bootstrap_step.result(self.boot, replace(self.ctx, diff=False))['bootstrap']
        if self.volumes is not None:
            out['volumes'] = self.volumes.views
        for planned, key in ((self.power, 'power'), (self.restart, 'restart_power')):
            if planned is not None:
                out[key] = planned.report(self.ctx.check_mode)
        if self.restart is not None and self.restart.decision is not None:
            out['restart'] = power_step.result(self.ctx, self.restart, done=True).get('restart')
        out['conditions'] = self.conditions()
        if self.ctx.diff:
            out['diff'] = {'before': self.before, 'after': self.after}
        return out

    def conditions(self) -> List[Dict[str, Any]]:
        """VM Operator's conditions (_conditions) from what the run knows: nothing is read for them."""
        ctx, request, record = self.ctx, self.request, self.handle.record
        failed = self.failure[0] if self.failure is not None else ''
        power = self.power.plan if self.power is not None else None
        watch = self.watch if self.watch is not None and self.watch.watched else None
        tools = watch.tools if watch is not None else {}
        facts = VmFacts(
            label=self.vm_view.get('path') or self.vm_view.get('name') or request.deploy.name, check_mode=ctx.check_mode,
            created=self.before.get('exists') is False,
            power_state=power.target if power is not None else (record.power_state if record is not None else 'poweredOff'),
            power_changed=bool((power is not None and power.changed) or (self.restart is not None and self.restart.plan.changed)
                               or (self.boot is not None and self.boot.power_steps)),
            changed=self.changed, waited=watch is not None,
            tools_running_status=tools.get('guest.toolsRunningStatus', record.tools_running_status if record is not None else None),
            tools_version_status=tools.get('guest.toolsVersionStatus2'), network_disabled=request.nics.spec.disabled,
            nics=False if 'network' in failed else None if self.nics is None else True,
            missing=tuple(pending(self.nics.target, self.observed)) if self.nics is not None and self.observed is not None else (),
            provider=request.bootstrap.provider if request.bootstrap is not None else None,
            bootstrap=False if 'bootstrap' in failed else None if self.boot is None else True,
            customization=self.customization(), failure=self.failure[1] if self.failure is not None else None)
        return vm_conditions(facts, datetime.datetime.now(datetime.timezone.utc))

    def customization(self) -> Optional[CustomizationProgress]:
        """Where a LinuxPrep or Sysprep customization this run queued (or found queued and powered on) stands; None without one."""
        queued = self.boot is not None and self.boot.customization is not None
        earlier = self.handle.record is not None and bool(self.handle.record.pending_customization) and not queued
        if not (queued or earlier) or (self.failure is not None and self.failure[0] not in ('power', 'wait')):
            return None     # none, or the run failed before it was queued
        if self.watch is not None and self.watch.progress is not None:
            return self.watch.progress
        power = self.power
        on = power is not None and power.plan.target == 'poweredOn' and (power.plan.changed if self.ctx.check_mode else power.changed)
        return CustomizationProgress(APPLYING if on else QUEUED, self.powered_on_at)

    # -- the steps shared by both flows ---------------------------------------------------------------------------
    def power_on_and_watch(self, ref: Any, label: str, power_state: str, tools: Optional[str], extra: Mapping[str, str]) -> None:
        """The power step (and a restart when next_restart_time says so), then the wait for the guest."""
        ctx, request = self.ctx, self.request
        self.step = 'power'
        self.power = power_step.plan(ctx, request.power, label, power_state, tools, extra)
        if request.restart is not None and power_state == 'poweredOn':
            self.restart = power_step.plan(ctx, request.restart, label, power_state, tools, extra)
        changed = self.power.plan.changed or (self.restart is not None and self.restart.plan.changed)
        self.steps['power'] = {'changed': changed, 'state': self.power.plan.target}
        self.vm_view['power_state'] = self.power.plan.target
        if self.before.get('exists') is not False:
            self.before['power_state'] = self.power.plan.observed
        self.after['power_state'] = self.power.plan.target
        if ctx.check_mode:
            return
        try:
            if self.power.plan.changed:
                power_step.carry_out(ctx, ref, self.power)
                self.powered_on_at = ctx.client.last_queue_time if self.power.plan.target == 'poweredOn' else None
            if self.restart is not None and self.restart.plan.changed:
                power_step.carry_out(ctx, ref, self.restart)
        except VCenterError as error:
            self.steps['power']['changed'] = self.power.changed or bool(self.restart and self.restart.changed)
            raise self.fail('power', error) from None
        if request.wait is not None and self.nics is not None and self.observed is not None:
            if self.power.plan.target != 'poweredOn':
                return
            self.step = 'wait'
            # A LinuxPrep or Sysprep customization applies at this power-on: the wait follows its events too.
            follow = self.customization() is not None and self.powered_on_at is not None
            try:
                self.watch = GuestWatch.open(ctx, ref, label, self.powered_on_at, follow=follow)
            except VCenterError as error:
                raise self.fail('wait', error) from None
            try:
                self.observed, timed_out = wait_for_guest(ctx, ref, label, self.nics.target, self.nics.catalog, self.nics.wanted, request.wait,
                                                          self.observed, reread=self.power.plan.changed or self.steps['network']['changed'],
                                                          watch=self.watch)
            finally:
                self.watch.close(ctx)
            if self.watch.stop and self.watch.progress is not None:
                raise self.fail('wait', VCenterError(self.watch.progress.failure_message(label)))
            if timed_out is not None:
                found = status(self.nics.target, self.observed)
                message = timeout_message(timed_out, self.nics.target, self.observed, found)
                if self.watch.progress is not None and not self.watch.settled:
                    message += '; the guest customization: %s' % self.watch.progress.describe()
                raise StepError(message, dict(self.result(), changed=self.changed))


class Update(Run):
    """An existing VM: check its records, plan every step, then one reconfigure (two when NICs are added)."""

    def __init__(self, ctx: Context, request: VmRequest, handle: VmHandle, vm: VmRecord,
                 created: Optional[deploy_step.CreatePlan] = None) -> None:
        super().__init__(ctx, request, handle)
        self.vm = vm
        self.created = created          # deployed in this run (from a content library item)

    def run(self) -> StepResult:
        ctx, request, vm = self.ctx, self.request, self.vm
        deployed = deploy_step.existing(ctx, request.deploy, vm)
        self.steps['deploy'] = {'changed': deployed.changed or self.created is not None}
        self.vm_view = dict(deployed.result['vm'])
        self.before.update(deploy_step.state_view(vm) if self.created is None else {'exists': False})
        self.after.update(deployed.result.get('diff', {}).get('after') or deploy_step.state_view(vm))
        self.step = 'network'
        self.nics = nic_step.plan_for(request.nics, vm, self.handle)
        self.observed = self.nics.after if ctx.check_mode else self.nics.before
        self.steps['network'] = {'changed': self.nics.changed}
        diff = self.nics.diff(self.nics.after)
        self.before['nics'], self.after['nics'] = diff['before']['nics'], diff['after']['nics']
        if request.bootstrap is not None:
            self.step = 'bootstrap'
            subject = bootstrap_step.Subject.of_vm(vm)
            subject = replace(subject, nics=self.nics.after.nics).with_placeholder_macs()
            self.boot = bootstrap_step.plan(ctx, request.bootstrap, subject, lambda full: self.nics.catalog)
            self._bootstrap_views()
        if request.volumes is not None:
            self.step = 'volumes'
            self.volumes = volume_step.plan_existing(ctx, request.volumes, vm)
            self.steps['volumes'] = {'changed': self.volumes.changed}
            self.before['volumes'], self.after['volumes'] = self.volumes.diff()
        if not ctx.check_mode:
            self.apply_changes()
        power_state = 'poweredOff' if self.boot is not None and self.boot.power_steps else vm.power_state
        self.power_on_and_watch(vm.ref, vm.path, power_state, vm.tools_running_status, vm.extra_config)
        return StepResult(changed=self.changed, result=self.result())

    def _bootstrap_views(self) -> None:
        boot = self.boot
        self.steps['bootstrap'] = {'changed': boot.changed or boot.subnet_plan.changed, 'provider': boot.request.provider}
        self.before['bootstrap'] = {'provider': boot.recorded[0], 'hash': boot.recorded[1]}
        self.after['bootstrap'] = {'provider': boot.request.provider, 'hash': boot.digest, 'documents': boot.public()}

    def apply_changes(self) -> None:
        """The NIC changes, the volume changes and the bootstrap in one ReconfigVM_Task; in two when NICs are added (the bootstrap
        needs the MACs vCenter gives them, so the VM is read in between; the volumes go in the first)."""
        ctx, vm, nics, boot = self.ctx, self.vm, self.nics, self.boot
        nic_step.commit_subnets(nics, vm.owner_key())
        changes = nic_step.device_changes(ctx, nics, vm.devices) if nics.plan.changed else []
        disks, records = volume_step.changes(self.volumes, vm.disk_devices)
        if (changes and (boot is None or nics.adds_nics)) or ((disks or records) and boot is None):
            what = ' and '.join(name for name, has in (('network', changes), ('volumes', disks or records)) if has)
            try:
                ctx.client.run_task('reconfiguring the %s of VM %s' % (what.replace('network', 'NICs'), vm.name), vm.ref.ReconfigVM_Task,
                                    spec=bootstrap_step.config_spec(None, changes + disks, records), timeout=self.request.deploy.timeout,
                                    check_first=True)
            except VCenterError as error:
                raise self.fail(what, error) from None
            had_nics, changes, disks, records = bool(changes), [], [], {}
            if had_nics and boot is not None:
                self.vm = self.handle.reload()
                self.boot = boot = bootstrap_step.plan(ctx, boot.request, bootstrap_step.Subject.of_vm(self.vm), lambda full: nics.catalog)
                self._bootstrap_views()
                self.observed = nic_step.observation(self.vm, nics.before.with_values(
                    {'config.hardware.device': list(self.vm.devices.values())}, nics.catalog, nics.wanted).names)
                if self.volumes is not None:
                    self.volumes.observe(ctx, self.vm)
            elif had_nics:
                self.observed = nic_step.reread(ctx, vm, nics)
        if boot is None:
            return
        try:   # power-off first (power_cycle), one reconfigure (NICs, volumes, record, guestinfo or vApp), then the customization
            bootstrap_step.apply(ctx, vm.ref, boot, device_changes=changes + disks, timeout=self.request.deploy.timeout, extra_config=records)
        except VCenterError as error:
            raise self.fail(' and '.join(name for name, has in (('network', changes), ('volumes', disks or records), ('bootstrap', True)) if has),
                            error) from None
        if changes:
            self.observed = nic_step.reread(ctx, vm, nics)


class Creation(Run):
    """A new VM: place it, plan NICs against the template's, clone (NICs, records in the clone), then bootstrap and power."""

    def __init__(self, ctx: Context, request: VmRequest, handle: VmHandle) -> None:
        super().__init__(ctx, request, handle)
        self.ids: Dict[str, str] = {}                                   # the UUIDs picked for the new VM (the ledger's owner)
        self.created: Optional[deploy_step.CreatePlan] = None            # deployed from a content library item

    def run(self) -> StepResult:
        ctx, request = self.ctx, self.request
        inventory = deploy_step.read_placement(ctx, request.deploy, networks=True)
        if self.handle.unsure:     # not at its inventory path: maybe in another folder of the datacenter
            found = self.handle.take([vm.ref for vm in inventory.of_kind('VirtualMachine') if vm.name == request.selector.name])
            if found is not None:
                return Update(ctx, request, self.handle, found).run()
            if self.handle.template is not None:
                raise SpecError('name', request.deploy.name, 'is a template (%s): guestnet.vsphere creates and deletes VMs, never templates'
                                % self.handle.template.path)
        api = VapiClient(ctx.client.params)     # a session only if the image is a content library item
        try:
            plan = deploy_step.plan_create(request.deploy, inventory, deploy_step.find_library_item(api, request.deploy, inventory))
            self.handle.use_catalog(plan.catalog)
            if plan.library_item is not None and not ctx.check_mode:
                return self.from_library(plan, api)
        finally:
            api.close()
        source = None     # a library item's VM is known once deployed: check mode plans it without NICs or records of its own
        if plan.template is not None:
            template = VmHandle(ctx.client, Selector(moid=plan.template.moid), vapp=request.bootstrap is not None
                                and request.bootstrap.provider == 'vapp_config')
            found = template.find()         # a VM (image_kind vm) is a record, a template is the handle's template
            source = template.template if template.template is not None else found
            if source is None:
                raise VCenterError('cannot read template %s' % plan.image_record)
        owner = plan.ids.get('instance_uuid') or ('(new VM %s)' % request.deploy.name if ctx.check_mode else plan.chosen_ids()['instance_uuid'])
        self.ids = {key: value for key, value in plan.ids.items() if value and not ctx.check_mode}
        records = {IMAGE_KEY: plan.image_record, CLASS_KEY: class_record(plan.cls)}
        extra = dict(source.extra_config if source is not None else {}, **records)
        # The clone's NICs: the template's, with the MACs vCenter gives a clone (none known yet) unless they are static.
        cloned = tuple(_as_cloned(nic) for nic in source.nics) if source is not None else ()
        self.step = 'network'
        self.nics = nic_step.plan(request.nics, vm_name=request.deploy.name, owner=owner, nics=cloned, extra_config=extra,
                                  power_state='poweredOff', guest=Nics(nics=cloned, names={}),
                                  catalog_source=lambda full: plan.catalog)
        self.observed = self.nics.after
        self.steps['deploy'] = {'changed': True}
        self.steps['network'] = {'changed': True}
        self.vm_view = plan.vm_view()
        self.before.update({'exists': False})
        self.after.update(plan.state_after())
        self.after['nics'] = self.nics.diff(self.nics.after)['after']['nics']
        clone_extra: Dict[str, str] = {}
        if request.bootstrap is not None:
            self.step = 'bootstrap'
            subject = bootstrap_step.Subject(name=request.deploy.name, owner=owner, instance_id=plan.ids.get('bios_uuid') or owner,
                                             nics=self.nics.after.nics, extra_config=extra, power_state='poweredOff',
                                             guest_id=request.deploy.guest_id or (source.guest_id if source is not None else None),
                                             vapp=source.vapp if source is not None else None).with_placeholder_macs()
            self.boot = bootstrap_step.plan(ctx, request.bootstrap, subject, lambda full: plan.catalog)
            self.steps['bootstrap'] = {'changed': True, 'provider': request.bootstrap.provider}
            self.after['bootstrap'] = {'provider': request.bootstrap.provider, 'hash': self.boot.digest, 'documents': self.boot.public()}
            if request.bootstrap.provider in GOSC_PROVIDERS:
                clone_extra = record_values(request.bootstrap.provider, self.boot.digest)   # recorded before it is queued
        disks: List[Any] = []
        if request.volumes is not None:     # the disks and their record go into the clone: no call of their own
            self.step = 'volumes'
            self.volumes = volume_step.plan_new(request.volumes, source=source, inventory=inventory, pool=plan.pool, datastore=plan.datastore,
                                                path=plan.path)
            self.steps['volumes'] = {'changed': self.volumes.changed}
            self.after['volumes'] = self.volumes.views
            disks, volume_records = volume_step.changes(self.volumes, source.disk_devices if source is not None else {})
            clone_extra = dict(clone_extra, **volume_records)
        if ctx.check_mode:
            self.power = power_step.plan(ctx, request.power, plan.path, 'poweredOff', None, {})
            self.steps['power'] = {'changed': self.power.plan.changed, 'state': self.power.plan.target}
            self.vm_view['power_state'] = self.power.plan.target
            self.after['power_state'] = self.power.plan.target
            return StepResult(changed=True, result=self.result())
        self.step = 'deploy'
        nic_step.commit_subnets(self.nics, owner)
        ref = deploy_step.clone(ctx, plan, device_changes=_clone_changes(nic_step.device_changes(ctx, self.nics, source.devices)) + disks,
                                extra_config=clone_extra)
        self.vm_view = plan.vm_view(moid_of(ref))
        try:
            vm = self.handle.reload(ref)
        except VCenterError as error:
            raise self.fail('deploy', error) from None
        self.observed = self.nics.before.with_values({'config.hardware.device': list(vm.devices.values()), 'guest.net': [], 'guest.ipAddress': None},
                                                     self.nics.catalog, self.nics.wanted)
        self.observed = replace(self.observed, extra_config=vm.extra_config)
        if self.volumes is not None:
            self.volumes.observe(ctx, vm)
        if self.boot is not None:
            try:
                self.boot = bootstrap_step.plan(ctx, request.bootstrap, bootstrap_step.Subject.of_vm(vm), lambda full: plan.catalog)
                if request.bootstrap.provider in GOSC_PROVIDERS:
                    self.boot.customization = self.boot.documents['spec']
                    if self.boot.extra_changes:     # the MACs changed what the clone recorded: write the record too
                        bootstrap_step.apply(ctx, vm.ref, replace(self.boot, customization=None))
                    # refused: the record goes back to the template's (none), so the next run queues it again
                    bootstrap_step.customize(ctx, vm.ref, self.boot, timeout=request.deploy.timeout, previous=source.extra_config)
                else:
                    bootstrap_step.apply(ctx, vm.ref, self.boot, timeout=request.deploy.timeout)
            except VCenterError as error:
                raise self.fail('bootstrap', error) from None
            self.after['bootstrap'] = {'provider': request.bootstrap.provider, 'hash': self.boot.digest, 'documents': self.boot.public()}
        self.power_on_and_watch(vm.ref, vm.path, 'poweredOff', None, vm.extra_config)
        return StepResult(changed=True, result=self.result())

    def from_library(self, plan: deploy_step.CreatePlan, api: VapiClient) -> StepResult:
        """A content library item: deploy it with the records a clone gets, then reconcile the new VM as an existing one (its
        NICs are the item's, known only now: NICs, bootstrap and power as for any VM)."""
        self.vm_view = plan.vm_view()
        self.ids = {key: value for key, value in plan.chosen_ids().items() if value}
        try:
            ref = deploy_step.deploy_library(self.ctx, api, plan)
        except StepError as error:
            raise StepError(str(error), dict(self.result(), steps={'deploy': {'changed': True}}, changed=True)) from None
        try:
            vm = self.handle.reload(ref)
        except VCenterError as error:
            self.vm_view = plan.vm_view(moid_of(ref))
            raise StepError('deploy: %s' % error, dict(self.result(), steps={'deploy': {'changed': True}}, changed=True)) from None
        self.created = plan
        return Update(self.ctx, self.request, self.handle, vm, created=plan).run()


def _as_cloned(nic: ObservedNic) -> ObservedNic:
    """A template's NIC as its clone will have it: vCenter gives every NIC without a static MAC a new one."""
    if nic.address_type == 'manual':
        return nic
    return replace(nic, mac_address=None)


def _clone_changes(changes: List[Any]) -> List[Any]:
    """The NIC changes for a clone: an edited template NIC must not carry the template's MAC over (vCenter assigns one)."""
    for change in changes:
        device = change.device
        if change.operation == 'edit' and getattr(device, 'addressType', None) != 'manual':
            device.macAddress = None
            device.addressType = 'generated'
    return changes
