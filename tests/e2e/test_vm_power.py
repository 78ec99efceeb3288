# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm_power through ansible-playbook against the simulator.

Every test clones its own VMs (pw-*) from linux-template, so tests do not depend on each other. The SOAP calls of each
module task are counted by the simulator: a `uri` task after it takes (and resets) the counters (DELETE /_calls is
plain HTTP, not a SOAP call).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import itertools
import time
from typing import Dict

import pytest

import harness

vim = pytest.importorskip('pyVmomi').vim

SESSION = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1}
# no-op: session (3) + the VMs' names (1: the tests give a bare name) + the VM (1)
NOOP = dict(SESSION, RetrievePropertiesEx=2, total=5)
NOOP_BUDGET = 7
# a task's state read once (the simulator's tasks are done when the call returns; a running task adds a filter and a wait)
TASK_WAIT = {'RetrievePropertiesEx': 1}
# a soft call: a property filter and a wait until runtime.powerState gets there
SOFT_WAIT = {'CreateFilter': 1, 'WaitForUpdatesEx': 1}
MUTATING = {'PowerOnVM_Task', 'PowerOffVM_Task', 'SuspendVM_Task', 'ResetVM_Task', 'ShutdownGuest', 'StandbyGuest', 'RebootGuest',
            'ReconfigVM_Task'}
RESTART_KEY = 'guestnet.lastRestartTime'
_RUNS = itertools.count()


def calls_of(*parts: Dict[str, int], **more: int) -> Dict[str, int]:
    """Add call counts up, with the total."""
    out: Dict[str, int] = {}
    for part in parts + (more,):
        for method, count in part.items():
            if method != 'total' and count:
                out[method] = out.get(method, 0) + count
    out['total'] = sum(out.values())
    return out


class Outcome(harness.StepOutcome):
    @property
    def power(self):
        return self.result.get('power', {})

    @property
    def mutating_calls(self):
        return self.calls_to(MUTATING)


@pytest.fixture(scope='module', name='placement')
def placement_fixture(service_instance):
    rows = harness.retrieve_view(service_instance, vim.VirtualMachine, ['name', 'parent', 'resourcePool'])
    by_name = {props['name']: (vm, props) for vm, props in rows}
    return {'template': by_name['linux-template'][0], 'folder': by_name['linux-template'][1]['parent'],
            'pool': by_name['DC0_C0_RP0_VM0'][1]['resourcePool']}


@pytest.fixture(name='make_vm')
def make_vm_fixture(service_instance, simulator, placement):
    """make_vm(name, power='poweredOn', tools=False): a fresh clone of linux-template in that power state."""
    si = service_instance

    def make(name, power='poweredOn', tools=False):
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=placement['pool']))
        vm = harness.wait_task(si, placement['template'].CloneVM_Task(folder=placement['folder'], name=name, spec=spec))
        if power in ('poweredOn', 'suspended'):
            harness.wait_task(si, vm.PowerOnVM_Task())
        if power == 'suspended':
            harness.wait_task(si, vm.SuspendVM_Task())
        if tools:
            simulator.set_guest(name, toolsRunning=True)
        return vm

    return make


def power_state(si, vm):
    return harness.retrieve(si, vm, ['runtime.powerState'])['runtime.powerState']


def recorded_restart(si, vm):
    options = harness.retrieve(si, vm, ['config.extraConfig']).get('config.extraConfig') or []
    return {option.key: option.value for option in options}.get(RESTART_KEY)


def run(sim, collections_path, tmp_path, *steps):
    """Run vm_power once per step (module arguments; '_check_mode': True for check mode) in one playbook.

    Returns one Outcome per step, with the SOAP calls that step made."""
    return harness.run_steps(sim, 'guestnet.vsphere.vm_power', steps, collections_path=collections_path,
                             workdir=tmp_path / ('run%d' % next(_RUNS)), outcome=Outcome)


# -- no-op budget -------------------------------------------------------------------------------------------------------

def test_noop_budget(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    cases = [('poweredOn', 'powered_on'), ('poweredOff', 'powered_off'), ('suspended', 'suspended')]
    vms = {state: make_vm('pw-noop-%s' % state, power=power) for power, state in cases}
    steps = [{'name': 'pw-noop-%s' % state, 'state': state, 'mode': mode} for dummy, state in cases for mode in MODES]
    outcomes = iter(run(fresh_calls, collections_path, tmp_path, *steps))
    for power, state in cases:
        for mode in MODES:
            noop = next(outcomes)
            assert noop.status == 'ok' and noop.changed is False, (state, mode)
            assert noop.calls == NOOP and noop.calls['total'] <= NOOP_BUDGET, (state, mode)
            assert noop.power == {'before': power, 'after': power, 'state': state, 'mode': mode, 'action': None, 'planned': [], 'path': [],
                                  'fallback': False, 'fallback_reason': None, 'waited': True}
            assert noop.result['diff'] == {'before': {'power_state': power}, 'after': {'power_state': power}}
        assert power_state(service_instance, vms[state]) == power


# -- each mode (one VM per mode, one playbook) --------------------------------------------------------------------------

MODES = ('hard', 'soft', 'try_soft')


def test_power_off_then_on_in_each_mode(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    calls = {'hard': 'PowerOffVM_Task', 'soft': 'ShutdownGuest', 'try_soft': 'ShutdownGuest'}
    vms = {mode: make_vm('pw-off-%s' % mode, tools=True) for mode in MODES}
    steps = []
    for mode in MODES:
        name = 'pw-off-%s' % mode
        steps += [{'name': name, 'state': 'powered_off', 'mode': mode},
                  {'name': name, 'state': 'powered_off', 'mode': mode},
                  {'moid': vms[mode]._moId, 'state': 'powered_on', 'mode': mode},  # pylint: disable=protected-access
                  {'name': name, 'state': 'powered_on', 'mode': mode}]
    outcomes = run(fresh_calls, collections_path, tmp_path, *steps)
    for index, mode in enumerate(MODES):
        off, again, on, on_again = outcomes[4 * index:4 * index + 4]
        call, name, vm = calls[mode], 'pw-off-%s' % mode, vms[mode]
        assert off.status == 'ok' and off.changed is True, mode
        assert off.power['path'] == [call] and off.power['fallback'] is False and off.power['waited'] is True, mode
        assert off.power['planned'] == ([call, 'PowerOffVM_Task'] if mode == 'try_soft' else [call])
        assert off.result['diff'] == {'before': {'power_state': 'poweredOn'}, 'after': {'power_state': 'poweredOff'}}
        assert off.result['vm'] == {'name': name, 'moid': vm._moId, 'path': '/DC0/vm/' + name}  # pylint: disable=protected-access
        # a task: start + a read of its state; a guest shutdown: the call + filter + wait until runtime.powerState is poweredOff
        assert off.calls == calls_of(NOOP, TASK_WAIT if call.endswith('_Task') else SOFT_WAIT, {call: 1}), mode
        assert again.changed is False and again.calls == NOOP
        # by moid: no look-up, one read of the VM
        assert on.changed is True and on.power['path'] == ['PowerOnVM_Task']
        assert on.calls == calls_of(SESSION, TASK_WAIT, RetrievePropertiesEx=1, PowerOnVM_Task=1)
        assert on_again.changed is False and on_again.calls == NOOP
        assert power_state(service_instance, vm) == 'poweredOn'


def test_suspend_then_resume_in_each_mode(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    calls = {'hard': 'SuspendVM_Task', 'soft': 'StandbyGuest', 'try_soft': 'StandbyGuest'}
    vms = {mode: make_vm('pw-suspend-%s' % mode, tools=True) for mode in MODES}
    steps = []
    for mode in MODES:
        steps += [{'name': 'pw-suspend-%s' % mode, 'state': state, 'mode': mode} for state in ('suspended', 'suspended', 'powered_on')]
    outcomes = run(fresh_calls, collections_path, tmp_path, *steps)
    for index, mode in enumerate(MODES):
        suspend, again, resume = outcomes[3 * index:3 * index + 3]
        call = calls[mode]
        assert suspend.changed is True and suspend.power['path'] == [call] and suspend.power['waited'] is True, mode
        assert suspend.power['after'] == 'suspended' and suspend.calls == calls_of(NOOP, TASK_WAIT if call.endswith('_Task') else SOFT_WAIT, {call: 1}), mode
        assert again.changed is False and again.calls == NOOP
        assert resume.changed is True and resume.power['path'] == ['PowerOnVM_Task'] and resume.power['before'] == 'suspended'
        assert power_state(service_instance, vms[mode]) == 'poweredOn'


def test_restart_in_each_mode(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    calls = {'hard': 'ResetVM_Task', 'soft': 'RebootGuest', 'try_soft': 'RebootGuest'}
    vms = {mode: make_vm('pw-restart-%s' % mode, tools=True) for mode in MODES}
    before = time.time_ns()
    steps = []
    for mode in MODES:
        steps += [{'name': 'pw-restart-%s' % mode, 'state': 'restarted', 'mode': mode}] * 2
    outcomes = run(fresh_calls, collections_path, tmp_path, *steps)
    after = time.time_ns()
    for index, mode in enumerate(MODES):
        first, second = outcomes[2 * index:2 * index + 2]
        call = calls[mode]
        # without next_restart_time every run restarts
        for outcome in (first, second):
            assert outcome.status == 'ok' and outcome.changed is True and outcome.power['path'] == [call], mode
            assert outcome.power['fallback'] is False and outcome.power['waited'] is (call == 'ResetVM_Task')
            assert outcome.result['restart']['due'] is True
        # the restart, then ReconfigVM_Task recording the restart time
        restart_calls = {call: 1} if call == 'RebootGuest' else calls_of(TASK_WAIT, {call: 1})
        assert first.calls == calls_of(NOOP, restart_calls, TASK_WAIT, ReconfigVM_Task=1), mode
        recorded = recorded_restart(service_instance, vms[mode])
        assert recorded == second.result['restart']['recorded'] and recorded > first.result['restart']['recorded']
        assert second.result['restart']['last'] == first.result['restart']['recorded']
        assert before <= parse(first.result['restart']['recorded']) <= after
        assert power_state(service_instance, vms[mode]) == 'poweredOn'


def parse(text):
    """RFC3339Nano in UTC (what the module records) -> nanoseconds since the epoch."""
    seconds, dummy, fraction = text.rstrip('Z').partition('.')
    moment = datetime.datetime.strptime(seconds, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp()) * 10 ** 9 + int(fraction.ljust(9, '0'))


def stamp(ns):
    """Nanoseconds since the epoch -> RFC3339Nano in UTC."""
    seconds, fraction = divmod(ns, 10 ** 9)
    text = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
    return text + ('.' + ('%09d' % fraction).rstrip('0') if fraction else '') + 'Z'


# -- try_soft fallbacks -------------------------------------------------------------------------------------------------

def test_try_soft_falls_back_when_the_guest_call_fails(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    sim = fresh_calls
    name = 'pw-fallback-fault'
    vm = make_vm(name, tools=True)
    sim.inject_fault('RebootGuest', name, mode='soap', fault='ToolsUnavailable', message='the guest does not answer')
    sim.inject_fault('ShutdownGuest', name, mode='soap', fault='ToolsUnavailable', message='the guest does not answer')
    restart, off = run(sim, collections_path, tmp_path,
                       {'name': name, 'state': 'restarted', 'next_restart_time': 'now'},
                       {'name': name, 'state': 'powered_off'})
    assert restart.status == 'ok' and restart.changed is True
    assert restart.power['path'] == ['RebootGuest', 'ResetVM_Task'] and restart.power['fallback'] is True
    assert restart.power['fallback_reason'] == 'RebootGuest on VM /DC0/vm/%s failed: ToolsUnavailable: the guest does not answer' % name
    assert off.status == 'ok' and off.changed is True
    assert off.power['path'] == ['ShutdownGuest', 'PowerOffVM_Task'] and off.power['fallback'] is True and off.power['waited'] is True
    assert 'ShutdownGuest on VM /DC0/vm/%s failed: ToolsUnavailable' % name in off.power['fallback_reason']
    assert off.calls == calls_of(NOOP, TASK_WAIT, ShutdownGuest=1, PowerOffVM_Task=1)
    assert power_state(service_instance, vm) == 'poweredOff'
    assert sim.faults() == []


def test_try_soft_falls_back_when_the_guest_ignores_the_request(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    sim = fresh_calls
    name = 'pw-fallback-timeout'
    vm = make_vm(name, tools=True)
    sim.inject_fault('StandbyGuest', name, mode='ignore')
    sim.inject_fault('ShutdownGuest', name, mode='ignore')
    started = time.monotonic()
    suspend, = run(sim, collections_path, tmp_path, {'name': name, 'state': 'suspended', 'soft_timeout': 2})
    assert time.monotonic() - started >= 2
    assert suspend.status == 'ok' and suspend.changed is True
    assert suspend.power['path'] == ['StandbyGuest', 'SuspendVM_Task'] and suspend.power['fallback'] is True
    assert suspend.power['fallback_reason'] == 'suspended not reached within 2 seconds after StandbyGuest'
    assert power_state(service_instance, vm) == 'suspended'
    # resume, then the same for a shutdown the guest ignores
    resume, off = run(sim, collections_path, tmp_path, {'name': name, 'state': 'powered_on'},
                      {'name': name, 'state': 'powered_off', 'soft_timeout': 1})
    assert resume.changed is True
    assert off.power['path'] == ['ShutdownGuest', 'PowerOffVM_Task'] and off.power['fallback'] is True
    assert off.power['fallback_reason'] == 'poweredOff not reached within 1 seconds after ShutdownGuest'
    # the soft wait's filter stays until the logout (which removes it): the task needs none
    assert off.calls['ShutdownGuest'] == 1 and off.calls['PowerOffVM_Task'] == 1 and 'DestroyPropertyFilter' not in off.calls
    assert power_state(service_instance, vm) == 'poweredOff'


def test_soft_mode_fails_honestly_when_the_guest_ignores_the_request(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    sim = fresh_calls
    name = 'pw-soft-timeout'
    vm = make_vm(name, tools=True)
    sim.inject_fault('ShutdownGuest', name, mode='ignore', count=3)
    off, no_wait, try_soft_no_wait = run(sim, collections_path, tmp_path,
                                         {'name': name, 'state': 'powered_off', 'mode': 'soft', 'timeout': 2},
                                         {'name': name, 'state': 'powered_off', 'mode': 'soft', 'wait': False},
                                         {'name': name, 'state': 'powered_off', 'mode': 'try_soft', 'wait': False, 'soft_timeout': 1})
    assert off.failed and off.changed is True  # the guest was asked to shut down
    assert off.result['msg'] == 'waiting for VM /DC0/vm/%s to reach poweredOff after ShutdownGuest: gave up after 2 seconds' % name
    assert off.power['path'] == ['ShutdownGuest'] and off.power['fallback'] is False and off.power['waited'] is False
    # wait: false returns once the guest took the request, without a fallback, and says it did not see the state
    for outcome in (no_wait, try_soft_no_wait):
        assert outcome.status == 'ok' and outcome.changed is True
        assert outcome.power['path'] == ['ShutdownGuest'] and outcome.power['fallback'] is False and outcome.power['waited'] is False
        assert outcome.calls == calls_of(NOOP, ShutdownGuest=1)
    assert power_state(service_instance, vm) == 'poweredOn'


def test_try_soft_without_tools_goes_straight_to_the_hard_call(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    name = 'pw-notools-trysoft'
    vm = make_vm(name, tools=False)
    off, = run(fresh_calls, collections_path, tmp_path, {'name': name, 'state': 'powered_off'})
    assert off.changed is True and off.power['path'] == ['PowerOffVM_Task'] and off.power['fallback'] is True
    assert off.power['fallback_reason'] == ('VMware Tools is not running in the guest (guest.toolsRunningStatus is guestToolsNotRunning): '
                                            'ShutdownGuest skipped')
    assert off.calls == calls_of(NOOP, TASK_WAIT, PowerOffVM_Task=1)
    assert power_state(service_instance, vm) == 'poweredOff'


def test_soft_without_tools_is_a_clear_error_before_any_change(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    name = 'pw-notools-soft'
    vm = make_vm(name, tools=False)
    steps = [{'name': name, 'state': state, 'mode': 'soft'} for state in ('powered_off', 'suspended', 'restarted')]
    outcomes = run(fresh_calls, collections_path, tmp_path, *steps)
    for outcome, call in zip(outcomes, ('ShutdownGuest', 'StandbyGuest', 'RebootGuest')):
        assert outcome.failed and outcome.changed is False
        assert outcome.result['msg'] == ('VM /DC0/vm/%s: mode=soft calls %s, which needs VMware Tools running in the guest, '
                                         'but guest.toolsRunningStatus is guestToolsNotRunning; use mode=try_soft or mode=hard' % (name, call))
        assert outcome.mutating_calls == [] and outcome.calls == NOOP
    assert power_state(service_instance, vm) == 'poweredOn' and recorded_restart(service_instance, vm) is None


# -- the transition table -----------------------------------------------------------------------------------------------

def test_refused_transitions_fail_before_any_change(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    suspended = make_vm('pw-refused-suspended', power='suspended', tools=True)
    off = make_vm('pw-refused-off', power='poweredOff')
    outcomes = run(fresh_calls, collections_path, tmp_path,
                   {'name': 'pw-refused-suspended', 'state': 'powered_off', 'mode': 'hard'},
                   {'name': 'pw-refused-suspended', 'state': 'restarted', 'mode': 'try_soft'},
                   {'name': 'pw-refused-off', 'state': 'restarted', 'mode': 'hard'},
                   {'name': 'pw-refused-off', 'state': 'suspended', 'mode': 'try_soft'},
                   {'name': 'pw-refused-off', 'state': 'suspended', 'mode': 'soft'})
    expected = [
        'VM /DC0/vm/pw-refused-suspended: it is suspended, and state=powered_off is not an allowed move from suspended: '
        'a suspended VM cannot be powered off; resume it with state=powered_on first. Allowed from suspended: state=powered_on',
        'VM /DC0/vm/pw-refused-suspended: it is suspended, and state=restarted is not an allowed move from suspended: '
        'a suspended VM cannot be restarted; resume it with state=powered_on first. Allowed from suspended: state=powered_on',
        'VM /DC0/vm/pw-refused-off: it is poweredOff, and state=restarted is not an allowed move from poweredOff: '
        'a powered-off VM cannot be restarted; power it on with state=powered_on. '
        'Allowed from poweredOff: state=powered_on, state=suspended with mode=hard',
        'VM /DC0/vm/pw-refused-off: it is poweredOff, and state=suspended with mode=try_soft is not an allowed move from poweredOff: '
        'suspending a powered-off VM (power on, then suspend) needs mode=hard. '
        'Allowed from poweredOff: state=powered_on, state=suspended with mode=hard',
        'VM /DC0/vm/pw-refused-off: it is poweredOff, and state=suspended with mode=soft is not an allowed move from poweredOff: '
        'suspending a powered-off VM (power on, then suspend) needs mode=hard. '
        'Allowed from poweredOff: state=powered_on, state=suspended with mode=hard',
    ]
    for outcome, message in zip(outcomes, expected):
        assert outcome.failed and outcome.changed is False and outcome.result['msg'] == message
        assert outcome.mutating_calls == [] and outcome.calls == NOOP
    assert power_state(service_instance, suspended) == 'suspended' and power_state(service_instance, off) == 'poweredOff'


def test_off_to_suspended_with_mode_hard(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('pw-off-suspend-hard', power='poweredOff')
    suspend, again = run(fresh_calls, collections_path, tmp_path, {'name': 'pw-off-suspend-hard', 'state': 'suspended', 'mode': 'hard'},
                         {'name': 'pw-off-suspend-hard', 'state': 'suspended', 'mode': 'hard'})
    assert suspend.changed is True and suspend.power['path'] == ['PowerOnVM_Task', 'SuspendVM_Task']
    assert suspend.result['diff'] == {'before': {'power_state': 'poweredOff'}, 'after': {'power_state': 'suspended'}}
    assert suspend.calls == calls_of(NOOP, TASK_WAIT, TASK_WAIT, PowerOnVM_Task=1, SuspendVM_Task=1)
    assert again.changed is False
    assert power_state(service_instance, vm) == 'suspended'


# -- next_restart_time --------------------------------------------------------------------------------------------------

def test_next_restart_time(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    sim = fresh_calls
    name = 'pw-next-restart'
    vm = make_vm(name, power='poweredOn')
    now, older = run(sim, collections_path, tmp_path,
                     {'name': name, 'state': 'restarted', 'mode': 'hard', 'next_restart_time': 'NOW'},
                     {'name': name, 'state': 'restarted', 'mode': 'hard', 'next_restart_time': '2020-01-01T00:00:00Z'})
    assert now.changed is True and now.power['path'] == ['ResetVM_Task']
    first = now.result['restart']['recorded']
    assert now.result['restart'] == {'requested': first, 'last': None, 'due': True, 'reason': 'restart requested now', 'recorded': first}
    assert now.result['diff'] == {'before': {'power_state': 'poweredOn', 'last_restart_time': None},
                                  'after': {'power_state': 'poweredOn', 'last_restart_time': first}}
    assert recorded_restart(service_instance, vm) == first and first.endswith('Z') and 'T' in first
    assert older.changed is False and older.power['path'] == [] and older.calls == NOOP
    assert older.result['restart']['reason'] == 'already restarted at %s, not earlier than next_restart_time 2020-01-01T00:00:00Z' % first

    # a timestamp of the change request, later than the last restart: one restart, however often the play runs
    requested = stamp(time.time_ns())
    future = stamp(time.time_ns() + 3600 * 10 ** 9)
    later, same, future_run = run(sim, collections_path, tmp_path,
                                  {'name': name, 'state': 'restarted', 'mode': 'hard', 'next_restart_time': requested},
                                  {'name': name, 'state': 'restarted', 'mode': 'hard', 'next_restart_time': requested},
                                  {'name': name, 'state': 'restarted', 'mode': 'hard', 'next_restart_time': future})
    assert later.changed is True and later.result['restart']['last'] == first and later.result['restart']['recorded'] == requested
    assert same.changed is False and same.calls == NOOP and same.result['restart']['last'] == requested
    assert future_run.changed is False and future_run.result['restart']['due'] is False
    assert any('is in the future' in warning for warning in future_run.result.get('warnings', []))
    assert recorded_restart(service_instance, vm) == requested

    # a powered-off VM: an honoured timestamp is fine, a new restart is refused before any change
    harness.wait_task(service_instance, vm.PowerOffVM_Task())
    honoured, refused = run(sim, collections_path, tmp_path,
                            {'name': name, 'state': 'restarted', 'next_restart_time': requested},
                            {'name': name, 'state': 'restarted', 'next_restart_time': 'now'})
    assert honoured.status == 'ok' and honoured.changed is False
    assert refused.failed and 'it is poweredOff, and state=restarted is not an allowed move' in refused.result['msg']
    assert refused.mutating_calls == [] and recorded_restart(service_instance, vm) == requested


def test_unquoted_yaml_timestamp(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    """YAML turns an unquoted timestamp into a datetime; the module still reads it right."""
    vm = make_vm('pw-yaml-time')
    playbook = tmp_path / 'playbook.yml'
    playbook.write_text('''
- name: restart with an unquoted timestamp
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/guestnet.vsphere.vmware: {hostname: %s, port: %d, username: %s, password: %s, validate_certs: true}
  tasks:
    - name: restart
      guestnet.vsphere.vm_power:
        name: pw-yaml-time
        state: restarted
        mode: hard
        next_restart_time: 2020-01-01T10:00:00.5+02:00
''' % (fresh_calls.host, fresh_calls.port, fresh_calls.username, fresh_calls.password), encoding='utf-8')
    result = harness.run_playbook(fresh_calls, playbook=playbook, collections_path=collections_path, workdir=tmp_path)
    assert result.ok, result.stdout + result.stderr
    assert result.task('restart')['result']['restart']['recorded'] == '2020-01-01T08:00:00.5Z'
    assert recorded_restart(service_instance, vm) == '2020-01-01T08:00:00.5Z'


# -- check mode, failures, bad input ------------------------------------------------------------------------------------

def test_check_mode_changes_nothing(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    name = 'pw-check'
    vm = make_vm(name, tools=True)
    off, restart, suspend = run(fresh_calls, collections_path, tmp_path,
                                {'name': name, 'state': 'powered_off', '_check_mode': True},
                                {'name': name, 'state': 'restarted', 'next_restart_time': 'now', '_check_mode': True},
                                {'name': name, 'state': 'suspended', 'mode': 'hard', '_check_mode': True})
    assert off.changed is True and off.power['planned'] == ['ShutdownGuest', 'PowerOffVM_Task'] and off.power['path'] == []
    assert off.power['after'] == 'poweredOff' and off.power['waited'] is False
    assert off.result['diff'] == {'before': {'power_state': 'poweredOn'}, 'after': {'power_state': 'poweredOff'}}
    assert restart.changed is True and restart.result['restart']['due'] is True and restart.power['planned'] == ['RebootGuest', 'ResetVM_Task']
    assert suspend.changed is True and suspend.power['planned'] == ['SuspendVM_Task']
    for outcome in (off, restart, suspend):
        assert outcome.mutating_calls == [] and outcome.calls == NOOP
    assert power_state(service_instance, vm) == 'poweredOn' and recorded_restart(service_instance, vm) is None


def test_failed_power_on_then_a_rerun_converges(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    sim = fresh_calls
    name = 'pw-poweron-fault'
    vm = make_vm(name, power='poweredOff')
    sim.inject_fault('PowerOnVM_Task', name, count=1, message='no host can run it')
    sim.inject_fault('ReconfigVM_Task', name, count=1, message='the datastore is read-only')
    restart = {'name': name, 'state': 'restarted', 'mode': 'hard', 'next_restart_time': '2020-01-01T00:00:00Z'}
    steps = [{'name': name, 'state': 'powered_on'}] * 3 + [restart] * 3
    failed, rerun, again, unrecorded, restart_again, restart_noop = run(sim, collections_path, tmp_path, *steps)
    assert failed.failed and failed.changed is False
    assert failed.result['msg'] == 'PowerOnVM_Task on VM /DC0/vm/%s failed: SystemError: no host can run it' % name
    assert failed.power['path'] == ['PowerOnVM_Task'] and failed.power['waited'] is False
    assert rerun.status == 'ok' and rerun.changed is True and rerun.power['path'] == ['PowerOnVM_Task']
    assert again.changed is False and again.calls == NOOP
    # the VM was restarted but the restart time could not be recorded: an honest failure, and the next run restarts again
    assert unrecorded.failed and unrecorded.changed is True and unrecorded.power['path'] == ['ResetVM_Task']
    assert unrecorded.result['msg'] == ('recording the restart time on VM /DC0/vm/%s (it was restarted) failed: '
                                        'SystemError: the datastore is read-only' % name)
    assert unrecorded.result['restart']['recorded'] is None
    assert restart_again.changed is True and restart_again.result['restart']['recorded'] == '2020-01-01T00:00:00Z'
    assert restart_noop.changed is False
    assert power_state(service_instance, vm) == 'poweredOn' and recorded_restart(service_instance, vm) == '2020-01-01T00:00:00Z'


def test_bad_input_fails_before_any_call(fresh_calls, collections_path, tmp_path, make_vm):
    make_vm('pw-bad-input')
    outcomes = run(fresh_calls, collections_path, tmp_path,
                   {'name': 'pw-bad-input', 'state': 'restarted', 'next_restart_time': 'tomorrow'},
                   {'name': 'pw-bad-input', 'state': 'restarted', 'next_restart_time': '2026-05-01T12:00:00'},
                   {'name': 'pw-bad-input', 'state': 'powered_on', 'next_restart_time': 'now'},
                   {'name': 'pw-bad-input', 'state': 'powered_off', 'timeout': 0},
                   {'name': 'pw-bad-input', 'state': 'powered_off', 'mode': 'gentle'},
                   {'name': 'pw-bad-input', 'moid': 'vm-1', 'state': 'powered_off'},
                   {'name': 'pw-missing', 'state': 'powered_off'})
    messages = [outcome.result['msg'] for outcome in outcomes]
    assert messages[0] == "next_restart_time: tomorrow is neither 'now' nor an RFC 3339 timestamp such as 2026-05-01T12:00:00Z"
    assert messages[1] == 'next_restart_time: 2026-05-01T12:00:00 has no UTC offset; add Z (UTC) or +hh:mm'
    assert messages[2] == 'next_restart_time: now is only used with state=restarted (state is powered_on)'
    assert messages[3] == 'timeout: 0 must be at least 1 (seconds)'
    assert 'mode' in messages[4] and 'gentle' in messages[4]
    assert 'mutually exclusive' in messages[5] and 'name' in messages[5] and 'moid' in messages[5]
    for outcome in outcomes[:6]:
        assert outcome.failed and outcome.calls == {'total': 0}
    assert outcomes[6].failed and messages[6] == 'no VM matches name pw-missing (templates are left out)'
    assert outcomes[6].calls == calls_of(SESSION, RetrievePropertiesEx=1)
