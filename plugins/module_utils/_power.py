# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure core of vm_power: VM Operator's power transitions, power op modes and restart times. PRIVATE to the collection.

    decide_restart(next_restart_time, recorded, now_ns) -> RestartDecision   (is a restart due?)
    plan(observed, state, mode, tools_running_status, restart) -> PowerPlan  (the vSphere calls to make, or PowerError)

The transition table is the one of seeds/001 "Transitions" (VM Operator's user documentation), the calls of each mode
those of VM Operator's ``pkg/util/vsphere/vm/power_state.go``. Standard library only: no Ansible, no pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError

# runtime.powerState values
POWERED_ON = 'poweredOn'
POWERED_OFF = 'poweredOff'
SUSPENDED = 'suspended'
POWER_STATES = (POWERED_ON, POWERED_OFF, SUSPENDED)

# the module's `state` choices
STATES = ('powered_on', 'powered_off', 'suspended', 'restarted')

HARD = 'hard'
SOFT = 'soft'
TRY_SOFT = 'try_soft'
MODES = (HARD, SOFT, TRY_SOFT)

POWER_ON = 'power_on'
POWER_OFF = 'power_off'
SUSPEND = 'suspend'
RESTART = 'restart'
ACTION_OF_STATE = {'powered_on': POWER_ON, 'powered_off': POWER_OFF, 'suspended': SUSPEND, 'restarted': RESTART}
STATE_OF_ACTION = {action: state for state, action in ACTION_OF_STATE.items()}
TARGET = {POWER_ON: POWERED_ON, POWER_OFF: POWERED_OFF, SUSPEND: SUSPENDED, RESTART: POWERED_ON}

# The call each mode makes (VM Operator: Hard = PowerOff/Suspend/Reset, Soft = ShutdownGuest/StandbyGuest/RebootGuest;
# powering on is always the hard PowerOn).
HARD_METHOD = {POWER_ON: 'PowerOnVM_Task', POWER_OFF: 'PowerOffVM_Task', SUSPEND: 'SuspendVM_Task', RESTART: 'ResetVM_Task'}
SOFT_METHOD = {POWER_OFF: 'ShutdownGuest', SUSPEND: 'StandbyGuest', RESTART: 'RebootGuest'}

# seeds/001 "Transitions": observed power state -> action -> how it is allowed.
SAME = 'same'        # NA in the table: already there, nothing to do
ANY = 'any'          # any mode
HARD_ONLY = 'hard'   # only with mode hard ("if spec.powerOffMode: hard")
NEVER = 'never'      # refused
TRANSITIONS: Dict[str, Dict[str, str]] = {
    POWERED_ON: {POWER_ON: SAME, POWER_OFF: ANY, SUSPEND: ANY, RESTART: ANY},
    POWERED_OFF: {POWER_ON: ANY, POWER_OFF: SAME, SUSPEND: HARD_ONLY, RESTART: NEVER},
    SUSPENDED: {POWER_ON: ANY, POWER_OFF: NEVER, SUSPEND: SAME, RESTART: NEVER},
}

# Why a refused move is refused, for the error message.
_REFUSED = {
    (POWERED_OFF, RESTART): 'a powered-off VM cannot be restarted; power it on with state=powered_on',
    (SUSPENDED, RESTART): 'a suspended VM cannot be restarted; resume it with state=powered_on first',
    (SUSPENDED, POWER_OFF): 'a suspended VM cannot be powered off; resume it with state=powered_on first',
    (POWERED_OFF, SUSPEND): 'suspending a powered-off VM (power on, then suspend) needs mode=hard',
}

TOOLS_RUNNING = 'guestToolsRunning'

# extraConfig key holding the time (RFC 3339, UTC, nanoseconds) of the last restart this collection made
# (VM Operator keeps its own in vmservice.lastRestartTime).
RESTART_TIME_KEY = 'guestnet.lastRestartTime'

NS_PER_SECOND = 1000000000
_EPOCH = datetime.datetime(1970, 1, 1)


class PowerError(ValueError):
    """A requested power state that the transition table or the VM's Tools do not allow. The message is for the user."""


# -- restart times ------------------------------------------------------------------------------------------------------

_RFC3339 = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$')


def parse_time(value: str, field: str = 'next_restart_time') -> int:
    """An RFC 3339 timestamp (fraction up to nanoseconds, 'T' or ' ' between date and time) -> nanoseconds since the epoch.

    A timestamp without a UTC offset is refused rather than guessed at.
    """
    match = _RFC3339.match(value.strip())
    if not match:
        raise SpecError(field, value, "is neither 'now' nor an RFC 3339 timestamp such as 2026-05-01T12:00:00Z")
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    fraction, zulu, sign, offset_hours, offset_minutes = match.group(7, 8, 9, 10, 11)
    if not zulu and not sign:
        raise SpecError(field, value, 'has no UTC offset; add Z (UTC) or +hh:mm')
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour < 24 and minute < 60 and second < 60):
        raise SpecError(field, value, 'is not a valid date and time')
    offset = 0
    if sign:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            raise SpecError(field, value, 'has an invalid UTC offset')
        offset = (int(offset_hours) * 3600 + int(offset_minutes) * 60) * (1 if sign == '+' else -1)
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    return seconds * NS_PER_SECOND + int((fraction or '').ljust(9, '0'))


def format_time(ns: int) -> str:
    """Nanoseconds since the epoch -> RFC3339Nano in UTC, as Go formats it (trailing zeros of the fraction dropped)."""
    seconds, fraction = divmod(ns, NS_PER_SECOND)
    moment = _EPOCH + datetime.timedelta(seconds=seconds)
    text = '%04d-%02d-%02dT%02d:%02d:%02d' % (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    if fraction:
        text += '.' + ('%09d' % fraction).rstrip('0')
    return text + 'Z'


def parse_recorded(value: Optional[str]) -> Optional[int]:
    """A recorded restart time (RFC 3339, or epoch nanoseconds as VM Operator records them) -> ns; None if absent or unreadable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        return parse_time(text, RESTART_TIME_KEY)
    except SpecError:
        return None


def is_now(value: Optional[str]) -> bool:
    return value is not None and value.strip().lower() == 'now'


@dataclass(frozen=True)
class RestartDecision:
    """Whether state=restarted restarts the VM, following VM Operator's spec.nextRestartTime."""
    requested: Optional[str]     # the restart time asked for, RFC3339Nano UTC (None: no restart asked for)
    last: Optional[str]          # the last recorded restart, RFC3339Nano UTC (None: never, or unreadable)
    due: bool                    # restart now
    reason: str                  # why (or why not), for the user
    future: bool = False         # the requested time is later than now

    @property
    def recorded_after(self) -> Optional[str]:
        """The restart time on the VM once this decision is carried out."""
        return self.requested if self.due else self.last


def decide_restart(next_restart_time: Optional[str], recorded: Optional[str], now_ns: int) -> RestartDecision:
    """Is a restart due? `now` (any case) or no time at all: yes, at now_ns. A timestamp: only when it is later than the
    last recorded restart (so re-running a play with the same timestamp does not restart again) and not in the future
    (VM Operator ignores a future nextRestartTime until it has passed; nothing here schedules restarts). An empty
    string asks for no restart (VM Operator: an empty nextRestartTime keeps the old one)."""
    last_ns = parse_recorded(recorded)
    last = format_time(last_ns) if last_ns is not None else None
    if next_restart_time is None or is_now(next_restart_time):
        return RestartDecision(format_time(now_ns), last, True, 'restart requested now')
    if not next_restart_time.strip():
        return RestartDecision(None, last, False, 'next_restart_time is empty: no restart requested')
    wanted_ns = parse_time(next_restart_time)
    wanted = format_time(wanted_ns)
    if last_ns is not None and wanted_ns <= last_ns:
        return RestartDecision(wanted, last, False, 'already restarted at %s, not earlier than next_restart_time %s' % (last, wanted))
    if wanted_ns > now_ns:
        return RestartDecision(wanted, last, False,
                               'next_restart_time %s is in the future (now is %s): not restarting; restarts are not scheduled, '
                               'run the task again once that time has passed' % (wanted, format_time(now_ns)), future=True)
    return RestartDecision(wanted, last, True, 'next_restart_time %s is later than the last restart (%s)' % (wanted, last or 'none recorded'))


# -- options ------------------------------------------------------------------------------------------------------------

def check_options(state: str, mode: str, next_restart_time: Optional[str] = None, timeout: int = 600, soft_timeout: int = 300) -> None:
    """The checks the argument spec cannot make; errors name the option and its value."""
    if state not in STATES:
        raise SpecError('state', state, 'is not one of %s' % ', '.join(STATES))
    if mode not in MODES:
        raise SpecError('mode', mode, 'is not one of %s' % ', '.join(MODES))
    for name, value in (('timeout', timeout), ('soft_timeout', soft_timeout)):
        if value is None or value < 1:
            raise SpecError(name, value, 'must be at least 1 (seconds)')
    if next_restart_time is not None:
        if state != 'restarted':
            raise SpecError('next_restart_time', next_restart_time, 'is only used with state=restarted (state is %s)' % state)
        if next_restart_time.strip() and not is_now(next_restart_time):
            parse_time(next_restart_time)


# -- planning -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One vSphere call of a plan."""
    method: str                      # PowerOnVM_Task, ShutdownGuest, ...
    target: Optional[str]            # the power state it leads to; None when that cannot be observed (RebootGuest)
    soft: bool = False               # a guest operation: needs Tools, not a task; its effect is watched on runtime.powerState
    fallback: Optional[str] = None   # try_soft: the hard call when this one fails or the target is not reached in time


@dataclass(frozen=True)
class PowerPlan:
    observed: str                    # runtime.powerState before
    state: str                       # the module's state
    mode: str
    action: Optional[str]            # power_on | power_off | suspend | restart; None: nothing to do
    steps: Tuple[Step, ...] = ()
    fallback_reason: Optional[str] = None   # try_soft went straight to the hard call (why)

    @property
    def changed(self) -> bool:
        return bool(self.steps)

    @property
    def target(self) -> str:
        """The power state once the plan is carried out."""
        return TARGET[self.action] if self.action else self.observed

    @property
    def planned(self) -> List[str]:
        """Every call the plan may make, in order (a try_soft fallback after its soft call)."""
        calls: List[str] = []
        for step in self.steps:
            calls.append(step.method)
            if step.fallback:
                calls.append(step.fallback)
        return calls


def allowed_moves(observed: str) -> List[str]:
    """The states that change a VM in this power state, as the user writes them."""
    moves = []
    for state in STATES:
        rule = TRANSITIONS[observed][ACTION_OF_STATE[state]]
        if rule == ANY:
            moves.append('state=%s' % state)
        elif rule == HARD_ONLY:
            moves.append('state=%s with mode=hard' % state)
    return moves


def plan(observed: str, state: str, mode: str = TRY_SOFT, tools_running_status: Optional[str] = None,
         restart: Optional[RestartDecision] = None) -> PowerPlan:
    """The calls that take a VM from its observed power state to `state`, or PowerError naming the allowed moves."""
    check_options(state, mode)
    if observed not in POWER_STATES:
        raise PowerError('its power state %r is not one of %s' % (observed, ', '.join(POWER_STATES)))
    action = ACTION_OF_STATE[state]
    if action == RESTART and restart is not None and not restart.due:
        return PowerPlan(observed, state, mode, None)
    rule = TRANSITIONS[observed][action]
    if rule == SAME:
        return PowerPlan(observed, state, mode, None)
    if rule == NEVER or (rule == HARD_ONLY and mode != HARD):
        raise PowerError('it is %s, and state=%s%s is not an allowed move from %s: %s. Allowed from %s: %s'
                         % (observed, state, ' with mode=%s' % mode if rule == HARD_ONLY else '', observed,
                            _REFUSED[(observed, action)], observed, ', '.join(allowed_moves(observed))))
    target = TARGET[action]
    if action == POWER_ON:
        return PowerPlan(observed, state, mode, action, (Step(HARD_METHOD[POWER_ON], POWERED_ON),))
    if observed == POWERED_OFF and action == SUSPEND:  # mode hard (the seeds table); a powered-off VM must run to be suspended
        return PowerPlan(observed, state, mode, action, (Step(HARD_METHOD[POWER_ON], POWERED_ON), Step(HARD_METHOD[SUSPEND], SUSPENDED)))
    if mode == HARD:
        return PowerPlan(observed, state, mode, action, (Step(HARD_METHOD[action], target),))
    soft_method = SOFT_METHOD[action]
    if tools_running_status != TOOLS_RUNNING:
        status = tools_running_status or 'unknown'
        if mode == SOFT:
            raise PowerError('mode=soft calls %s, which needs VMware Tools running in the guest, but guest.toolsRunningStatus is %s; '
                             'use mode=try_soft or mode=hard' % (soft_method, status))
        why = 'VMware Tools is not running in the guest (guest.toolsRunningStatus is %s): %s skipped' % (status, soft_method)
        return PowerPlan(observed, state, mode, action, (Step(HARD_METHOD[action], target),), fallback_reason=why)
    step = Step(soft_method, None if action == RESTART else target, soft=True,
                fallback=HARD_METHOD[action] if mode == TRY_SOFT else None)
    return PowerPlan(observed, state, mode, action, (step,))
