# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""VM Operator's ``status.conditions`` for a VM, from what one run of the vm module knows. PRIVATE to the collection.

Pure: no Ansible, no pyVmomi, no call to vCenter.

    progress = customization_progress(events, since, vm_moid)   # vCenter's customization events of one VM, interpreted
    conditions = vm_conditions(facts, now)                       # [{type, status, reason, message, last_transition_time}]

The condition types and reasons are VM Operator's (``api/v1alpha5/virtualmachine_types.go``): ``VirtualMachineCreated``,
``VirtualMachineTools``, ``VirtualMachineNetworkReady`` (the VM's NICs are on their networks: VM Operator's network
prerequisites), ``VirtualMachineGuestNetworkConfigSynced`` (the guest shows the intended addresses), and, when they
apply, ``VirtualMachineBootstrapReady`` and ``GuestCustomization``. A True condition has the reason ``True`` (VM
Operator's ``MarkTrue``) unless VM Operator names a better one.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

TRUE, FALSE, UNKNOWN = 'True', 'False', 'Unknown'

CREATED = 'VirtualMachineCreated'
TOOLS = 'VirtualMachineTools'
NETWORK_READY = 'VirtualMachineNetworkReady'
GUEST_NETWORK = 'VirtualMachineGuestNetworkConfigSynced'
BOOTSTRAP_READY = 'VirtualMachineBootstrapReady'
GUEST_CUSTOMIZATION = 'GuestCustomization'

TOOLS_RUNNING = 'VirtualMachineToolsRunning'
TOOLS_NOT_RUNNING = 'VirtualMachineToolsNotRunning'
NO_GUEST_INFO = 'NoGuestInfo'
SYNCED, NOT_SYNCED = 'Synced', 'NotSynced'
NOT_READY = 'NotReady'
CUSTOMIZATION_PENDING = 'GuestCustomizationPending'
CUSTOMIZATION_RUNNING = 'GuestCustomizationRunning'
CUSTOMIZATION_SUCCEEDED = 'GuestCustomizationSucceeded'
CUSTOMIZATION_FAILED = 'GuestCustomizationFailed'

# Tools report the guest while they run, including while they run the guest's scripts (as _vim_records.TOOLS_REPORTING).
_TOOLS_UP = ('guestToolsRunning', 'guestToolsExecutingScripts')

# vCenter's guest customization events (vim.event.*), by the names an EventFilterSpec's eventTypeId takes.
STARTED = 'CustomizationStartedEvent'
SUCCEEDED = 'CustomizationSucceeded'
FAILURES = ('CustomizationFailed', 'CustomizationNetworkSetupFailed', 'CustomizationLinuxIdentityFailed', 'CustomizationSysprepFailed',
            'CustomizationUnknownFailure')
EVENT_TYPES = (STARTED, SUCCEEDED) + FAILURES

# Where a customization of this run stands (CustomizationProgress.phase).
QUEUED = 'queued'            # queued; applies at the VM's next power-on, which this run did not make
APPLYING = 'applying'        # this run powered the VM on, so it applies now; not followed (no wait)
PENDING = 'pending'          # followed: no event of it yet
RUNNING = 'running'          # followed: CustomizationStartedEvent, no outcome yet
SUCCEEDED_PHASE = 'succeeded'
FAILED_PHASE = 'failed'

# Where the guest writes what the customization did, when the event does not say.
GUEST_LOGS = '/var/log/vmware-imc/toolsDeployPkg.log on Linux, C:\\Windows\\Temp\\vmware-imc\\guestcust.log on Windows'


@dataclass(frozen=True)
class CustomizationEvent:
    """One of vCenter's customization events on a VM, as plain data (_vim_records.customization_event)."""
    key: int
    kind: str                          # its type: CustomizationStartedEvent, CustomizationSucceeded, or a failure
    created: datetime.datetime         # createdTime, vCenter's clock
    vm: Optional[str] = None           # moid of the VM it is about
    message: str = ''                  # fullFormattedMessage
    reason: Optional[str] = None       # a failure's reason, when vCenter gives one
    log_location: Optional[str] = None

    @property
    def failed(self) -> bool:
        return self.kind in FAILURES


@dataclass(frozen=True)
class CustomizationProgress:
    """Where the customization of one run stands, and the event that says so."""
    phase: str
    since: Optional[datetime.datetime] = None       # the power-on it applies at (vCenter's clock)
    event: Optional[CustomizationEvent] = None

    @property
    def settled(self) -> bool:
        return self.phase in (SUCCEEDED_PHASE, FAILED_PHASE)

    @property
    def failed(self) -> bool:
        return self.phase == FAILED_PHASE

    def detail(self) -> str:
        """vCenter's own message of the event, with the failure's reason and the guest's log."""
        event = self.event
        if event is None:
            return ''
        text = event.message or event.kind
        if event.reason:
            text += ' (reason: %s)' % event.reason
        if event.failed:
            text += '; the guest\'s log: %s' % (event.log_location or GUEST_LOGS)
        return text

    def describe(self) -> str:
        """One phrase for a message: what is known of the customization."""
        if self.phase == RUNNING:
            return 'running in the guest since %s (%s), no outcome yet' % (iso(self.event.created) if self.event else '?', STARTED)
        if self.phase == PENDING:
            return 'no customization event from vCenter since the power-on%s' % (' at %s' % iso(self.since) if self.since else '')
        if self.phase == QUEUED:
            return 'queued; it applies at the VM\'s next power-on'
        if self.phase == APPLYING:
            return 'applies in the guest at this power-on; not followed (wait follows it)'
        return '%s: %s' % (self.phase, self.detail())

    def failure_message(self, label: str) -> str:
        return ('the guest customization of VM %s failed (%s): %s; nothing is retried: fix the cause, then run with force: true (and '
                'power_cycle: true) to customize it again' % (label, self.event.kind if self.event else 'CustomizationFailed', self.detail()))


def customization_progress(events: Iterable[CustomizationEvent], since: Optional[datetime.datetime], vm: Optional[str]) -> CustomizationProgress:
    """The customization that applies at the power-on at `since`, from vCenter's events on the VM.

    Events of another VM, or created before `since` (an earlier customization's: vCenter's clock on both sides), do not
    count. The latest event tells: started (running), succeeded, or one of the failures.
    """
    mine = sorted((event for event in events if event.kind in EVENT_TYPES and (vm is None or event.vm in (None, vm))
                   and (since is None or event.created >= since)), key=lambda event: event.key)   # vCenter: the oldest event has the smallest key
    if not mine:
        return CustomizationProgress(PENDING, since)
    last = mine[-1]
    phase = RUNNING if last.kind == STARTED else SUCCEEDED_PHASE if last.kind == SUCCEEDED else FAILED_PHASE
    return CustomizationProgress(phase, since, last)


@dataclass(frozen=True)
class VmFacts:
    """What a run of the vm module knows of its VM at the end (check mode: what it predicts), as plain data.

    Nothing is read for it: the VM's read, the steps' plans and results, and what the wait watched.
    """
    label: str                                   # the VM's inventory path (or name), for messages
    check_mode: bool = False
    created: bool = False                        # by this run (check mode: would be)
    power_state: str = ''                        # at the end of the run (check mode: planned)
    power_changed: bool = False                  # the run changed (check mode: would change) the power state
    changed: bool = False                        # the run changed (would change) the VM after its guest was read
    waited: bool = False                         # the guest was watched after the last change: what it showed is current
    tools_running_status: Optional[str] = None   # guest.toolsRunningStatus as last read
    tools_version_status: Optional[str] = None   # guest.toolsVersionStatus2 as read
    network_disabled: bool = False
    nics: Optional[bool] = True                  # NIC step: True done (or nothing to do), False failed, None not reached
    missing: Tuple[str, ...] = ()                # what the guest does not show of the intended network (_step_guest.pending)
    provider: Optional[str] = None               # the bootstrap provider, when the VM is bootstrapped
    bootstrap: Optional[bool] = None             # True written or current, False failed, None not reached
    customization: Optional[CustomizationProgress] = None   # a LinuxPrep or Sysprep customization queued or applied in this run
    failure: Optional[str] = None                # the message of the step that failed


def iso(moment: datetime.datetime) -> str:
    """ISO 8601 in UTC, to the second, as Kubernetes writes a condition's lastTransitionTime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _condition(kind: str, status: str, reason: str, message: str, when: datetime.datetime) -> Dict[str, Any]:
    return {'type': kind, 'status': status, 'reason': reason, 'message': message, 'last_transition_time': iso(when)}


def vm_conditions(facts: VmFacts, now: datetime.datetime) -> List[Dict[str, Any]]:
    """VM Operator's conditions for the VM, in a fixed order; ``now`` stamps those no event dates."""
    out = [_created(facts, now), _tools(facts, now)]
    if not facts.network_disabled:     # VM Operator drops its network conditions for a VM without network
        out += [_network_ready(facts, now), _guest_network(facts, now)]
    if facts.provider:
        out.append(_bootstrap_ready(facts, now))
    if facts.customization is not None:
        out.append(_guest_customization(facts, now))
    return out


def _predicted(facts: VmFacts, message: str) -> str:
    return '%s (check mode: predicted)' % message if facts.check_mode and (facts.changed or facts.created) else message


def _created(facts: VmFacts, now: datetime.datetime) -> Dict[str, Any]:
    if facts.created:
        message = 'would be created by this run (check mode)' if facts.check_mode else 'created by this run'
    else:
        message = 'exists'
    return _condition(CREATED, TRUE, TRUE, 'VM %s %s' % (facts.label, message), now)


def _guest_current(facts: VmFacts, changed: bool) -> bool:
    """Is what was read of the guest still true at the end? In check mode nothing is read after a (predicted) change."""
    if facts.check_mode:
        return not changed
    return facts.waited or not changed


def _tools(facts: VmFacts, now: datetime.datetime) -> Dict[str, Any]:
    if facts.power_state != 'poweredOn':
        return _condition(TOOLS, FALSE, TOOLS_NOT_RUNNING, _predicted(facts, 'the VM is %s' % (facts.power_state or 'not powered on')), now)
    if not _guest_current(facts, facts.power_changed or facts.created):
        message = ('the VM would be powered on: VMware Tools cannot be told yet (check mode)' if facts.check_mode
                   else 'the VM was powered on by this run and VMware Tools was not read since (wait watches it)')
        return _condition(TOOLS, UNKNOWN, NO_GUEST_INFO, message, now)
    status = facts.tools_running_status
    if status in _TOOLS_UP:
        return _condition(TOOLS, TRUE, TOOLS_RUNNING, 'VMware Tools is running (%s)' % status, now)
    if facts.tools_version_status == 'guestToolsNotInstalled':
        return _condition(TOOLS, FALSE, TOOLS_NOT_RUNNING, 'VMware Tools is not installed in the guest', now)
    if status:
        return _condition(TOOLS, FALSE, TOOLS_NOT_RUNNING, 'VMware Tools is not running (%s)' % status, now)
    return _condition(TOOLS, UNKNOWN, NO_GUEST_INFO, 'vCenter reports no VMware Tools status', now)


def _step_done(kind: str, done: Optional[bool], step: str, message: str, facts: VmFacts, now: datetime.datetime) -> Dict[str, Any]:
    """A condition that a step of this run makes True: False when it failed, Unknown when the run ended before it."""
    if done is False:
        return _condition(kind, FALSE, NOT_READY, facts.failure or 'the %s step failed' % step, now)
    if done is None:
        return _condition(kind, UNKNOWN, NOT_READY, 'the run ended before the %s step' % step, now)
    return _condition(kind, TRUE, TRUE, _predicted(facts, message), now)


def _network_ready(facts: VmFacts, now: datetime.datetime) -> Dict[str, Any]:
    return _step_done(NETWORK_READY, facts.nics, 'NIC', 'every interface has its NIC on its network', facts, now)


def _guest_network(facts: VmFacts, now: datetime.datetime) -> Dict[str, Any]:
    if facts.power_state != 'poweredOn':
        message = 'the VM is %s, so its guest shows no network' % (facts.power_state or 'not powered on')
        return _condition(GUEST_NETWORK, FALSE, NOT_SYNCED, _predicted(facts, message), now)
    if not _guest_current(facts, facts.changed or facts.created):
        message = ('the run would change the VM: what its guest shows then cannot be told (check mode)' if facts.check_mode
                   else 'the run changed the VM and its guest was not read since (wait watches it)')
        return _condition(GUEST_NETWORK, UNKNOWN, NO_GUEST_INFO, message, now)
    if facts.missing:
        return _condition(GUEST_NETWORK, FALSE, NOT_SYNCED, 'not shown by the guest: %s' % '; '.join(facts.missing), now)
    return _condition(GUEST_NETWORK, TRUE, SYNCED, 'the guest shows every intended address', now)


def _bootstrap_ready(facts: VmFacts, now: datetime.datetime) -> Dict[str, Any]:
    message = '%s: written to the VM, and recorded in its extraConfig guestnet.bootstrap.hash' % facts.provider
    return _step_done(BOOTSTRAP_READY, facts.bootstrap, 'bootstrap', message, facts, now)


def _guest_customization(facts: VmFacts, now: datetime.datetime) -> Dict[str, Any]:
    progress = facts.customization or CustomizationProgress(QUEUED)
    provider = facts.provider or 'the'
    if facts.check_mode:
        message = ('%s customization applies at the power-on this run would make (check mode): its outcome cannot be told'
                   if progress.phase != QUEUED else '%s customization is or would be queued; it applies at the VM\'s next power-on (check mode)')
        return _condition(GUEST_CUSTOMIZATION, UNKNOWN, CUSTOMIZATION_PENDING, message % provider, now)
    when = progress.event.created if progress.event is not None else now
    if progress.phase == SUCCEEDED_PHASE:
        return _condition(GUEST_CUSTOMIZATION, TRUE, CUSTOMIZATION_SUCCEEDED, progress.detail(), when)
    if progress.phase == FAILED_PHASE:
        return _condition(GUEST_CUSTOMIZATION, FALSE, CUSTOMIZATION_FAILED, progress.detail(), when)
    reason = CUSTOMIZATION_RUNNING if progress.phase == RUNNING else CUSTOMIZATION_PENDING
    return _condition(GUEST_CUSTOMIZATION, FALSE, reason, '%s customization: %s' % (provider, progress.describe()), when)
