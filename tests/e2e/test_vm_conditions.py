# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm's conditions and its wait for a LinuxPrep customization (issue 14) against the shared simulator,
whose front posts vCenter's customization events after the power-on that applies one (CustomizationStartedEvent,
then CustomizationSucceeded, or the failure set by set_customization_outcome; on a failure the guest does not show
the requested addresses).

Every VM here is called vmc-*; the module removes them at the end. Budgets: a new VM with LinuxPrep, power-on and a
wait costs the 13 calls of a new VM (test_vm.NEW_VM), the wait's CreateFilter and its WaitForUpdatesEx slices, and
the customization's follow-up, CreateCollectorForEvents and DestroyCollector (no event read of its own: the
collector's latestPage is watched in the wait's slices); a re-run that changes nothing costs 5.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import pytest

import harness
from vmrun import extra, remove_vms, run, vm_props

SESSION = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1}
NEW_VM = dict(SESSION, FindByInventoryPath=1, RetrievePropertiesEx=6, CloneVM_Task=1, CustomizeVM_Task=1, PowerOnVM_Task=1)
WAIT = {'CreateFilter': 1}
FOLLOW = {'CreateCollectorForEvents': 1, 'DestroyCollector': 1}
NOOP = dict(SESSION, FindByInventoryPath=1, RetrievePropertiesEx=1, total=5)
PLACEMENT = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'image': 'linux-template', 'vm_class': {'cpus': 1, 'memory': '1Gi'}}
TYPES = ['VirtualMachineCreated', 'VirtualMachineTools', 'VirtualMachineNetworkReady', 'VirtualMachineGuestNetworkConfigSynced',
         'VirtualMachineBootstrapReady', 'GuestCustomization']


def linux_prep_vm(name, address, **more):
    network = {'host_name': name.replace('-', ''), 'domain_name': 'vmc.example',
               'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': [address], 'gateway4': address.rsplit('.', 1)[0] + '.1'}]}
    args = dict(PLACEMENT, name=name, remove_unmanaged=True, network=network, provider='linux_prep', linux_prep={'time_zone': 'Etc/UTC'},
                wait={'timeout': 60})
    args.update(more)
    return args


def conditions(outcome):
    return {item['type']: item for item in outcome.result.get('conditions', [])}


def state(outcome, kind):
    found = conditions(outcome)[kind]
    return found['status'], found['reason']


@pytest.fixture(scope='module', autouse=True)
def cleanup(service_instance, simulator):
    yield
    simulator.clear_customization_outcomes()
    remove_vms(service_instance, simulator, 'vmc-')


@pytest.fixture(name='sim')
def sim_fixture(fresh_calls):
    fresh_calls.clear_customization_outcomes()
    yield fresh_calls
    fresh_calls.clear_customization_outcomes()


def test_a_new_linux_prep_vm_waited_for_until_its_customization_succeeded(sim, collections_path, tmp_path):
    args = linux_prep_vm('vmc-ok', '10.93.0.11/24')
    check, new, again = run(sim, collections_path, tmp_path, dict(args, _check_mode=True), args, args)
    # check mode predicts, and says Unknown where it cannot tell
    assert check.status == 'ok' and check.changed is True and check.mutating == {}, check.msg
    assert [item['type'] for item in check.result['conditions']] == TYPES
    assert {kind: state(check, kind)[0] for kind in TYPES} == {
        'VirtualMachineCreated': 'True', 'VirtualMachineTools': 'Unknown', 'VirtualMachineNetworkReady': 'True',
        'VirtualMachineGuestNetworkConfigSynced': 'Unknown', 'VirtualMachineBootstrapReady': 'True', 'GuestCustomization': 'Unknown'}
    assert 'CreateCollectorForEvents' not in check.calls
    # the run: created, customized at the power-on, and the wait followed the customization to its success
    assert new.status == 'ok' and new.changed is True, new.msg
    assert [item['type'] for item in new.result['conditions']] == TYPES
    customization = conditions(new)['GuestCustomization']
    assert (customization['status'], customization['reason']) == ('True', 'GuestCustomizationSucceeded')
    assert customization['message'] == ('Customization of VM vmc-ok succeeded. Customization log located at /var/log/vmware-imc/toolsDeployPkg.log '
                                        'in the guest OS.')
    assert customization['last_transition_time'].endswith('Z') and len(customization['last_transition_time']) == 20
    assert state(new, 'VirtualMachineGuestNetworkConfigSynced') == ('True', 'Synced')
    assert state(new, 'VirtualMachineCreated') == state(new, 'VirtualMachineNetworkReady') == state(new, 'VirtualMachineBootstrapReady') == (
        'True', 'True')
    # the customization runs in VMware Tools: the guest reports Tools running from its start
    assert state(new, 'VirtualMachineTools') == ('True', 'VirtualMachineToolsRunning')
    assert new.result['drift'] == [] and new.result['primary_ip4'] == '10.93.0.11'
    # the calls: a new VM's 13, the wait, and the follow-up (one collector, no event read of its own)
    slices = new.calls['WaitForUpdatesEx']
    assert new.calls == dict(NEW_VM, WaitForUpdatesEx=slices, total=13 + 1 + 2 + slices, **dict(WAIT, **FOLLOW)), new.calls
    assert 1 <= slices <= 3, new.calls     # the first answer, the started event, the outcome
    assert 'ReadNextEvents' not in new.calls and 'QueryEvents' not in new.calls
    print('\nnew VM, LinuxPrep, wait followed to success: %s\nre-run: %s' % (new.calls, again.calls))
    # a re-run changes nothing and follows nothing: 5 calls, no GuestCustomization
    assert again.status == 'ok' and again.changed is False, again.msg
    assert again.calls == NOOP and 'GuestCustomization' not in conditions(again)
    assert state(again, 'VirtualMachineGuestNetworkConfigSynced') == ('True', 'Synced')


def test_a_failed_customization_fails_the_task_and_is_not_retried(sim, service_instance, collections_path, tmp_path):
    off = linux_prep_vm('vmc-fail', '10.93.0.12/24', power_state='powered_off', wait=None)
    on = dict(off, power_state='powered_on', wait={'timeout': 60})
    (queued,) = run(sim, collections_path, tmp_path, off)
    assert queued.status == 'ok' and queued.mutating == {'CloneVM_Task': 1, 'CustomizeVM_Task': 1}, queued.msg
    assert state(queued, 'GuestCustomization') == ('False', 'GuestCustomizationPending')
    assert 'next power-on' in conditions(queued)['GuestCustomization']['message']
    sim.set_customization_outcome('vmc-fail', 'network_setup_failed', reason='customizationDisabled', message='The guest could not set up eth0.')
    failed, rerun = run(sim, collections_path, tmp_path, on, dict(on, wait=None))
    # the power-on applies it; the guest's failure ends the wait at once, with vCenter's message, naming the VM
    assert failed.status == 'failed', failed.msg
    assert failed.msg.startswith('wait: the guest customization of VM /DC0/vm/vmc-fail failed (CustomizationNetworkSetupFailed): The guest '
                                 'could not set up eth0. (reason: customizationDisabled); the guest\'s log: '
                                 '/var/log/vmware-imc/toolsDeployPkg.log; nothing is retried'), failed.msg
    assert failed.mutating == {'PowerOnVM_Task': 1} and failed.calls['CreateCollectorForEvents'] == failed.calls['DestroyCollector'] == 1
    assert failed.result['changed'] is True and failed.result['steps']['power'] == {'changed': True, 'state': 'poweredOn'}
    assert failed.result['vm']['moid'].startswith('vm-')
    assert state(failed, 'GuestCustomization') == ('False', 'GuestCustomizationFailed')
    assert state(failed, 'VirtualMachineGuestNetworkConfigSynced') == ('False', 'NotSynced')
    # nothing retried: the record stays, nothing is queued again; a re-run changes nothing and shows no stale failure
    props = vm_props(service_instance, 'vmc-fail')[1]
    assert not props.get('config.tools.pendingCustomization') and extra(props)['guestnet.bootstrap.provider'] == 'linux_prep'
    assert rerun.status == 'ok' and rerun.changed is False and rerun.calls == NOOP, rerun.msg
    assert 'GuestCustomization' not in conditions(rerun)
    assert state(rerun, 'VirtualMachineGuestNetworkConfigSynced') == ('False', 'NotSynced')


def test_a_new_customization_is_not_failed_by_the_earlier_ones_events(sim, collections_path, tmp_path):
    args = linux_prep_vm('vmc-again', '10.93.0.13/24', power_state='powered_off', wait=None)
    (queued,) = run(sim, collections_path, tmp_path, args)
    assert queued.status == 'ok', queued.msg
    sim.set_customization_outcome('vmc-again', 'failed', message='the first customization failed')
    first, = run(sim, collections_path, tmp_path, dict(args, power_state='powered_on', wait={'timeout': 60}))
    assert first.status == 'failed' and 'the first customization failed' in first.msg, first.msg
    # customize again (force, power_cycle): the earlier failure event is still on the VM (the simulator ignores a
    # collector's time filter, so it comes back in the page): it is older than this power-on and does not count
    renamed = dict(args, power_state='powered_on', wait={'timeout': 60}, force=True, power_cycle=True)
    renamed['network'] = dict(args['network'], host_name='vmcagain2')
    second, = run(sim, collections_path, tmp_path, renamed)
    assert second.status == 'ok', second.msg
    assert second.mutating == {'PowerOffVM_Task': 1, 'ReconfigVM_Task': 1, 'CustomizeVM_Task': 1, 'PowerOnVM_Task': 1}
    assert state(second, 'GuestCustomization') == ('True', 'GuestCustomizationSucceeded')
    assert second.calls['CreateCollectorForEvents'] == second.calls['DestroyCollector'] == 1


def test_the_wait_runs_out_before_the_outcome(collections_path, tmp_path):
    # a simulator of its own whose guests take a minute to end their customization
    slow = harness.Simulator.start(customization_delay_ms=(200, 60000))
    try:
        (short,) = run(slow, collections_path, tmp_path, linux_prep_vm('vmc-slow', '10.93.0.14/24', wait={'timeout': 3}))
    finally:
        slow.stop()
    assert short.status == 'failed', short.msg
    assert short.msg.startswith('waiting for the guest of VM /DC0/vm/vmc-slow to show its addresses and finish its customization: gave up '
                                'after 3 seconds; still missing: nothing; drift: []; the guest customization: running in the guest since '), short.msg
    assert short.msg.endswith('(CustomizationStartedEvent), no outcome yet'), short.msg
    assert state(short, 'GuestCustomization') == ('False', 'GuestCustomizationRunning')
    assert short.result['changed'] is True and short.calls['DestroyCollector'] == 1


def test_check_mode_and_no_wait_follow_nothing(sim, collections_path, tmp_path):
    args = linux_prep_vm('vmc-nowait', '10.93.0.15/24', wait=None)
    new, check = run(sim, collections_path, tmp_path, args, dict(args, wait={'timeout': 60}, _check_mode=True))
    assert new.status == 'ok' and new.calls == dict(NEW_VM, total=13), new.calls
    assert state(new, 'GuestCustomization') == ('False', 'GuestCustomizationPending')
    assert 'not followed' in conditions(new)['GuestCustomization']['message']
    assert state(new, 'VirtualMachineGuestNetworkConfigSynced') == ('Unknown', 'NoGuestInfo')
    # check mode on the VM: nothing to change, what was read (the customization applied at the power-on)
    assert check.status == 'ok' and check.changed is False and check.calls == NOOP, check.msg
    assert state(check, 'VirtualMachineGuestNetworkConfigSynced') == ('True', 'Synced') and 'GuestCustomization' not in conditions(check)
