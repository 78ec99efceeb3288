# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vm_power's pure core: every cell of VM Operator's transition table in every mode, and restart times."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import itertools

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _power
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._power import (
    PowerError, RestartDecision, check_options, decide_restart, format_time, parse_recorded, parse_time, plan)

RUNNING = 'guestToolsRunning'
NOT_RUNNING = 'guestToolsNotRunning'

# seeds/001 "Transitions", written out independently of _power.TRANSITIONS:
# ok = allowed in every mode, hard = only with mode hard, same = NA (no change), no = refused.
TABLE = {
    ('poweredOn', 'powered_on'): 'same', ('poweredOn', 'powered_off'): 'ok', ('poweredOn', 'suspended'): 'ok', ('poweredOn', 'restarted'): 'ok',
    ('poweredOff', 'powered_on'): 'ok', ('poweredOff', 'powered_off'): 'same', ('poweredOff', 'suspended'): 'hard', ('poweredOff', 'restarted'): 'no',
    ('suspended', 'powered_on'): 'ok', ('suspended', 'powered_off'): 'no', ('suspended', 'suspended'): 'same', ('suspended', 'restarted'): 'no',
}
ALLOWED = {
    'poweredOn': 'state=powered_off, state=suspended, state=restarted',
    'poweredOff': 'state=powered_on, state=suspended with mode=hard',
    'suspended': 'state=powered_on',
}
HARD_CALL = {'powered_on': 'PowerOnVM_Task', 'powered_off': 'PowerOffVM_Task', 'suspended': 'SuspendVM_Task', 'restarted': 'ResetVM_Task'}
SOFT_CALL = {'powered_off': 'ShutdownGuest', 'suspended': 'StandbyGuest', 'restarted': 'RebootGuest'}
TARGET = {'powered_on': 'poweredOn', 'powered_off': 'poweredOff', 'suspended': 'suspended', 'restarted': 'poweredOn'}


def expected_calls(observed, state, mode, tools):
    """The calls of a move the table allows: (planned calls, fallback reason expected)."""
    if state == 'powered_on':
        return ['PowerOnVM_Task'], False  # always the hard power-on, as VM Operator
    if observed == 'poweredOff' and state == 'suspended':
        return ['PowerOnVM_Task', 'SuspendVM_Task'], False
    if mode == 'hard':
        return [HARD_CALL[state]], False
    if tools != RUNNING:
        return ([HARD_CALL[state]], True) if mode == 'try_soft' else (None, False)
    return ([SOFT_CALL[state], HARD_CALL[state]] if mode == 'try_soft' else [SOFT_CALL[state]]), False


@pytest.mark.parametrize('observed, state, mode, tools', list(itertools.product(
    ('poweredOn', 'poweredOff', 'suspended'), ('powered_on', 'powered_off', 'suspended', 'restarted'), ('hard', 'soft', 'try_soft'),
    (RUNNING, NOT_RUNNING))))
def test_every_cell_of_the_transition_table(observed, state, mode, tools):
    cell = TABLE[(observed, state)]
    if cell == 'same':
        result = plan(observed, state, mode, tools)
        assert not result.changed and result.action is None and result.planned == [] and result.target == observed
        return
    if cell == 'no' or (cell == 'hard' and mode != 'hard'):
        with pytest.raises(PowerError) as error:
            plan(observed, state, mode, tools)
        message = str(error.value)
        assert message.startswith('it is %s, and state=%s' % (observed, state))
        assert message.endswith('Allowed from %s: %s' % (observed, ALLOWED[observed]))
        return
    calls, fallback = expected_calls(observed, state, mode, tools)
    if calls is None:
        with pytest.raises(PowerError) as error:
            plan(observed, state, mode, tools)
        assert 'needs VMware Tools' in str(error.value) and 'guestToolsNotRunning' in str(error.value)
        assert 'mode=try_soft or mode=hard' in str(error.value)
        return
    result = plan(observed, state, mode, tools)
    assert result.changed and result.planned == calls
    assert result.target == TARGET[state]
    assert bool(result.fallback_reason) == fallback
    if fallback:
        assert 'guest.toolsRunningStatus is %s' % tools in result.fallback_reason and SOFT_CALL[state] in result.fallback_reason


def test_the_table_in_the_code_is_the_seeds_table():
    mapping = {_power.SAME: 'same', _power.ANY: 'ok', _power.HARD_ONLY: 'hard', _power.NEVER: 'no'}
    code = {(observed, state): mapping[_power.TRANSITIONS[observed][_power.ACTION_OF_STATE[state]]]
            for observed in _power.POWER_STATES for state in _power.STATES}
    assert code == TABLE


def test_soft_steps():
    off = plan('poweredOn', 'powered_off', 'try_soft', RUNNING).steps
    assert off == (_power.Step('ShutdownGuest', 'poweredOff', soft=True, fallback='PowerOffVM_Task'),)
    standby = plan('poweredOn', 'suspended', 'soft', RUNNING).steps
    assert standby == (_power.Step('StandbyGuest', 'suspended', soft=True),)
    # a guest reboot cannot be seen in runtime.powerState: no target to wait for
    reboot = plan('poweredOn', 'restarted', 'try_soft', RUNNING).steps
    assert reboot == (_power.Step('RebootGuest', None, soft=True, fallback='ResetVM_Task'),)
    assert plan('poweredOn', 'restarted', 'hard', NOT_RUNNING).steps == (_power.Step('ResetVM_Task', 'poweredOn'),)
    assert plan('suspended', 'powered_on', 'soft', None).steps == (_power.Step('PowerOnVM_Task', 'poweredOn'),)


def test_refusal_messages_name_the_observed_state_and_the_moves():
    with pytest.raises(PowerError, match=r'^it is suspended, and state=powered_off is not an allowed move from suspended: '
                                         r'a suspended VM cannot be powered off; resume it with state=powered_on first\. '
                                         r'Allowed from suspended: state=powered_on$'):
        plan('suspended', 'powered_off', 'hard')
    with pytest.raises(PowerError, match='state=suspended with mode=soft is not an allowed move from poweredOff: .*needs mode=hard'):
        plan('poweredOff', 'suspended', 'soft')
    with pytest.raises(PowerError, match='a powered-off VM cannot be restarted'):
        plan('poweredOff', 'restarted', 'hard')
    with pytest.raises(PowerError, match="power state 'unknown' is not one of poweredOn, poweredOff, suspended"):
        plan('unknown', 'powered_on')
    with pytest.raises(PowerError, match='is not one of'):
        plan(None, 'powered_on')


def test_soft_without_tools_is_refused_before_anything():
    with pytest.raises(PowerError, match=r'^mode=soft calls StandbyGuest, which needs VMware Tools running in the guest, '
                                         r'but guest.toolsRunningStatus is unknown; use mode=try_soft or mode=hard$'):
        plan('poweredOn', 'suspended', 'soft', None)
    # a guest whose Tools are starting is not yet one that can take a guest operation
    with pytest.raises(PowerError):
        plan('poweredOn', 'restarted', 'soft', 'guestToolsExecutingScripts')


# -- restart times -------------------------------------------------------------------------------------------------------

NOW = parse_time('2026-05-01T12:00:00.5Z')


@pytest.mark.parametrize('text, expected', [
    ('2026-05-01T12:00:00Z', '2026-05-01T12:00:00Z'),
    ('2026-05-01t12:00:00z', '2026-05-01T12:00:00Z'),
    ('2026-05-01T12:00:00.123456789Z', '2026-05-01T12:00:00.123456789Z'),
    ('2026-05-01T12:00:00.120Z', '2026-05-01T12:00:00.12Z'),
    ('2026-05-01T14:00:00+02:00', '2026-05-01T12:00:00Z'),
    ('2026-05-01T09:30:00.000000001-02:30', '2026-05-01T12:00:00.000000001Z'),
    ('2026-05-01 12:00:00+00:00', '2026-05-01T12:00:00Z'),   # str() of the datetime YAML makes of an unquoted timestamp
    (' 2026-05-01T12:00:00Z ', '2026-05-01T12:00:00Z'),
    ('2024-02-29T23:59:59.999999999Z', '2024-02-29T23:59:59.999999999Z'),
    ('1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'),
    ('1969-12-31T23:59:59.5Z', '1969-12-31T23:59:59.5Z'),
])
def test_rfc3339_round_trip(text, expected):
    assert format_time(parse_time(text)) == expected


def test_nanoseconds():
    assert parse_time('1970-01-01T00:00:01.000000002Z') == 1000000002
    assert format_time(1777636800123456789) == '2026-05-01T12:00:00.123456789Z'


@pytest.mark.parametrize('text, reason', [
    ('tomorrow', "is neither 'now' nor an RFC 3339 timestamp"),
    ('2026-05-01', "is neither 'now' nor an RFC 3339 timestamp"),
    ('2026-05-01T12:00:00.1234567891Z', "is neither 'now' nor an RFC 3339 timestamp"),
    ('2026-05-01T12:00:00', 'has no UTC offset; add Z (UTC) or +hh:mm'),
    ('2026-02-30T12:00:00Z', 'is not a valid date and time'),
    ('2026-05-01T24:00:00Z', 'is not a valid date and time'),
    ('2026-05-01T12:00:60Z', 'is not a valid date and time'),
    ('2026-05-01T12:00:00+24:00', 'has an invalid UTC offset'),
])
def test_bad_timestamps_name_the_field_and_value(text, reason):
    with pytest.raises(SpecError) as error:
        parse_time(text)
    assert str(error.value).startswith('next_restart_time: %s %s' % (text, reason))


def test_recorded_times():
    assert parse_recorded(None) is None and parse_recorded('') is None and parse_recorded('  ') is None
    assert parse_recorded('garbage') is None
    assert parse_recorded('2026-05-01T12:00:00Z') == parse_time('2026-05-01T12:00:00Z')
    assert parse_recorded('1777636800000000000') == parse_time('2026-05-01T12:00:00Z')  # VM Operator's epoch nanoseconds


def test_restart_now():
    for value in (None, 'now', 'NOW', ' Now '):
        decision = decide_restart(value, '2026-05-01T11:00:00Z', NOW)
        assert decision == RestartDecision('2026-05-01T12:00:00.5Z', '2026-05-01T11:00:00Z', True, 'restart requested now')
        assert decision.recorded_after == '2026-05-01T12:00:00.5Z'


def test_restart_timestamp_later_than_the_last_restart():
    decision = decide_restart('2026-05-01T11:30:00Z', '2026-05-01T11:00:00Z', NOW)
    assert decision.due and decision.requested == '2026-05-01T11:30:00Z' and decision.recorded_after == '2026-05-01T11:30:00Z'
    assert decision.reason == 'next_restart_time 2026-05-01T11:30:00Z is later than the last restart (2026-05-01T11:00:00Z)'
    first = decide_restart('2020-01-01T00:00:00Z', None, NOW)
    assert first.due and first.last is None and 'none recorded' in first.reason
    # a recorded value nobody can read does not block restarts
    assert decide_restart('2020-01-01T00:00:00Z', 'garbage', NOW).due


def test_restart_timestamp_already_honoured():
    same = decide_restart('2026-05-01T11:00:00Z', '2026-05-01T11:00:00Z', NOW)
    assert not same.due and same.recorded_after == '2026-05-01T11:00:00Z'
    assert same.reason == 'already restarted at 2026-05-01T11:00:00Z, not earlier than next_restart_time 2026-05-01T11:00:00Z'
    # the same instant in another offset, and an older one
    assert not decide_restart('2026-05-01T13:00:00+02:00', '2026-05-01T11:00:00Z', NOW).due
    assert not decide_restart('2026-05-01T10:59:59.999999999Z', '2026-05-01T11:00:00Z', NOW).due
    # one nanosecond later is later
    assert decide_restart('2026-05-01T11:00:00.000000001Z', '2026-05-01T11:00:00Z', NOW).due


def test_restart_timestamp_in_the_future_is_not_due():
    decision = decide_restart('2026-05-01T12:00:01Z', None, NOW)
    assert not decision.due and decision.future and decision.requested == '2026-05-01T12:00:01Z'
    assert 'is in the future' in decision.reason and 'not scheduled' in decision.reason
    assert decide_restart('2026-05-01T12:00:00.5Z', None, NOW).due  # exactly now is not in the future


def test_empty_restart_time_asks_for_no_restart():
    decision = decide_restart('', '2026-05-01T11:00:00Z', NOW)
    assert not decision.due and decision.requested is None and decision.recorded_after == '2026-05-01T11:00:00Z'


def test_a_restart_that_is_not_due_plans_nothing_in_any_power_state():
    not_due = decide_restart('2026-05-01T11:00:00Z', '2026-05-01T11:00:00Z', NOW)
    for observed in _power.POWER_STATES:
        assert not plan(observed, 'restarted', 'hard', None, not_due).changed
    due = decide_restart('now', None, NOW)
    assert plan('poweredOn', 'restarted', 'hard', None, due).planned == ['ResetVM_Task']
    with pytest.raises(PowerError, match='a powered-off VM cannot be restarted'):
        plan('poweredOff', 'restarted', 'hard', None, due)


# -- options -------------------------------------------------------------------------------------------------------------

def test_options():
    check_options('restarted', 'try_soft', 'now', 600, 300)
    check_options('restarted', 'hard', '2026-05-01T12:00:00Z')
    check_options('restarted', 'hard', '')
    check_options('powered_on', 'soft')
    with pytest.raises(SpecError, match=r'^next_restart_time: now is only used with state=restarted \(state is powered_off\)$'):
        check_options('powered_off', 'hard', 'now')
    with pytest.raises(SpecError, match=r"^next_restart_time: yesterday is neither 'now' nor an RFC 3339 timestamp"):
        check_options('restarted', 'hard', 'yesterday')
    with pytest.raises(SpecError, match=r'^timeout: 0 must be at least 1 \(seconds\)$'):
        check_options('powered_on', 'hard', timeout=0)
    with pytest.raises(SpecError, match=r'^soft_timeout: -5 must be at least 1 \(seconds\)$'):
        check_options('powered_on', 'hard', soft_timeout=-5)
    with pytest.raises(SpecError, match=r'^state: rebooted is not one of powered_on, powered_off, suspended, restarted$'):
        check_options('rebooted', 'hard')
    with pytest.raises(SpecError, match=r'^mode: gentle is not one of hard, soft, try_soft$'):
        check_options('powered_on', 'gentle')
