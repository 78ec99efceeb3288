# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vm module's conditions (_conditions, pure): vCenter's customization events interpreted, and VM Operator's
conditions from what a run knows; the adapter of the events (_vim_records) and the wait's watch (_events)."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._conditions import (
    APPLYING,
    FAILED_PHASE,
    PENDING,
    QUEUED,
    RUNNING,
    SUCCEEDED_PHASE,
    CustomizationEvent,
    CustomizationProgress,
    VmFacts,
    customization_progress,
    iso,
    vm_conditions,
)

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 5, 4, 10, 0, 0, tzinfo=UTC)
NOW = datetime.datetime(2026, 5, 4, 10, 5, 0, tzinfo=UTC)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def event(key, kind, seconds, vm='vm-7', **more):
    return CustomizationEvent(key=key, kind=kind, created=at(seconds), vm=vm, **more)


def by_type(conditions):
    return {item['type']: (item['status'], item['reason']) for item in conditions}


# -- the events -------------------------------------------------------------------------------------------------------------

def test_no_event_yet_is_pending():
    assert customization_progress([], T0, 'vm-7') == CustomizationProgress(PENDING, T0)


def test_started_then_succeeded():
    started, succeeded = event(11, 'CustomizationStartedEvent', 1), event(12, 'CustomizationSucceeded', 2, message='done')
    assert customization_progress([started], T0, 'vm-7').phase == RUNNING
    progress = customization_progress([succeeded, started], T0, 'vm-7')     # a latestPage is unordered
    assert progress.phase == SUCCEEDED_PHASE and progress.event == succeeded and progress.settled and not progress.failed


@pytest.mark.parametrize('kind', ['CustomizationFailed', 'CustomizationNetworkSetupFailed', 'CustomizationLinuxIdentityFailed',
                                  'CustomizationSysprepFailed', 'CustomizationUnknownFailure'])
def test_every_failure_fails(kind):
    failed = event(12, kind, 2, message='An error occurred while customizing VM web01', reason='customizationDisabled',
                   log_location='/var/log/vmware-imc/toolsDeployPkg.log')
    progress = customization_progress([event(11, 'CustomizationStartedEvent', 1), failed], T0, 'vm-7')
    assert progress.failed and progress.event == failed
    assert progress.detail() == ('An error occurred while customizing VM web01 (reason: customizationDisabled); '
                                 'the guest\'s log: /var/log/vmware-imc/toolsDeployPkg.log')
    message = progress.failure_message('/DC0/vm/web01')
    assert message.startswith('the guest customization of VM /DC0/vm/web01 failed (%s): An error occurred while customizing VM web01' % kind)
    assert 'nothing is retried' in message and 'force: true' in message


def test_stale_events_and_other_vms_do_not_count():
    stale = event(3, 'CustomizationFailed', -60, message='the earlier customization')
    other = event(12, 'CustomizationFailed', 5, vm='vm-8')
    unrelated = event(13, 'VmPoweredOnEvent', 1)
    assert customization_progress([stale, other, unrelated], T0, 'vm-7').phase == PENDING
    assert customization_progress([stale, other, event(14, 'CustomizationSucceeded', 3)], T0, 'vm-7').phase == SUCCEEDED_PHASE
    # an event at the very moment of the power-on counts (vCenter's clock on both sides)
    assert customization_progress([event(15, 'CustomizationStartedEvent', 0)], T0, 'vm-7').phase == RUNNING


def test_the_newest_event_by_key_tells():
    # vCenter: the oldest event has the smallest key; equal times do not reorder them
    events = [event(21, 'CustomizationStartedEvent', 1), event(22, 'CustomizationFailed', 1), event(23, 'CustomizationStartedEvent', 1)]
    assert customization_progress(events, T0, 'vm-7').phase == RUNNING


def test_a_failure_without_log_location_points_to_the_guest_logs():
    progress = customization_progress([event(12, 'CustomizationUnknownFailure', 2, message='')], T0, 'vm-7')
    assert progress.detail().startswith('CustomizationUnknownFailure; the guest\'s log: /var/log/vmware-imc/toolsDeployPkg.log on Linux')


def test_describe():
    assert CustomizationProgress(PENDING, T0).describe() == 'no customization event from vCenter since the power-on at 2026-05-04T10:00:00Z'
    running = CustomizationProgress(RUNNING, T0, event(11, 'CustomizationStartedEvent', 2))
    assert running.describe() == 'running in the guest since 2026-05-04T10:00:02Z (CustomizationStartedEvent), no outcome yet'
    assert 'next power-on' in CustomizationProgress(QUEUED).describe()


def test_iso_is_utc_to_the_second():
    assert iso(datetime.datetime(2026, 5, 4, 12, 0, 1, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))) == '2026-05-04T10:00:01Z'
    assert iso(datetime.datetime(2026, 5, 4, 10, 0, 1)) == '2026-05-04T10:00:01Z'     # naive: taken as UTC


# -- the conditions -------------------------------------------------------------------------------------------------------

def test_a_new_vm_whose_customization_succeeded_while_the_run_waited():
    succeeded = event(12, 'CustomizationSucceeded', 4, message='Customization of VM web01 succeeded.')
    facts = VmFacts(label='/DC0/vm/web01', created=True, power_state='poweredOn', power_changed=True, changed=True, waited=True,
                    tools_running_status='guestToolsRunning', provider='linux_prep', bootstrap=True,
                    customization=CustomizationProgress(SUCCEEDED_PHASE, T0, succeeded))
    conditions = vm_conditions(facts, NOW)
    assert [item['type'] for item in conditions] == ['VirtualMachineCreated', 'VirtualMachineTools', 'VirtualMachineNetworkReady',
                                                     'VirtualMachineGuestNetworkConfigSynced', 'VirtualMachineBootstrapReady', 'GuestCustomization']
    assert all(item['status'] == 'True' for item in conditions), conditions
    assert set(conditions[0]) == {'type', 'status', 'reason', 'message', 'last_transition_time'}
    assert by_type(conditions)['GuestCustomization'] == ('True', 'GuestCustomizationSucceeded')
    assert by_type(conditions)['VirtualMachineTools'] == ('True', 'VirtualMachineToolsRunning')
    assert by_type(conditions)['VirtualMachineGuestNetworkConfigSynced'] == ('True', 'Synced')
    customization = conditions[-1]
    assert customization['message'] == 'Customization of VM web01 succeeded.' and customization['last_transition_time'] == '2026-05-04T10:00:04Z'
    assert conditions[0]['last_transition_time'] == '2026-05-04T10:05:00Z' and conditions[0]['message'] == 'VM /DC0/vm/web01 created by this run'


def test_a_failed_customization_and_the_addresses_it_did_not_set():
    failed = event(12, 'CustomizationNetworkSetupFailed', 4, message='Network setup failed in the guest', reason=None)
    facts = VmFacts(label='/DC0/vm/web01', created=True, power_state='poweredOn', power_changed=True, changed=True, waited=True,
                    tools_running_status='guestToolsRunning', missing=('eth0: 10.0.0.10/24',), provider='sysprep', bootstrap=True,
                    customization=CustomizationProgress(FAILED_PHASE, T0, failed))
    found = {item['type']: item for item in vm_conditions(facts, NOW)}
    assert (found['GuestCustomization']['status'], found['GuestCustomization']['reason']) == ('False', 'GuestCustomizationFailed')
    assert found['GuestCustomization']['message'].startswith('Network setup failed in the guest; the guest\'s log:')
    assert (found['VirtualMachineGuestNetworkConfigSynced']['status'], found['VirtualMachineGuestNetworkConfigSynced']['message']) == (
        'False', 'not shown by the guest: eth0: 10.0.0.10/24')
    assert found['VirtualMachineNetworkReady']['status'] == 'True'      # the NICs are there: the guest did not set them up


@pytest.mark.parametrize('progress, expected', [
    (CustomizationProgress(PENDING, T0), ('False', 'GuestCustomizationPending')),
    (CustomizationProgress(RUNNING, T0, event(11, 'CustomizationStartedEvent', 1)), ('False', 'GuestCustomizationRunning')),
    (CustomizationProgress(QUEUED), ('False', 'GuestCustomizationPending')),
    (CustomizationProgress(APPLYING, T0), ('False', 'GuestCustomizationPending')),
])
def test_a_customization_without_outcome(progress, expected):
    facts = VmFacts(label='web01', power_state='poweredOn', provider='linux_prep', bootstrap=True, customization=progress)
    found = {item['type']: item for item in vm_conditions(facts, NOW)}['GuestCustomization']
    assert (found['status'], found['reason']) == expected
    assert found['message'].startswith('linux_prep customization: ')


def test_check_mode_predicts_and_says_unknown_where_it_cannot_tell():
    facts = VmFacts(label='/DC0/vm/web01', check_mode=True, created=True, power_state='poweredOn', power_changed=True, changed=True,
                    provider='linux_prep', bootstrap=True, customization=CustomizationProgress(APPLYING))
    found = by_type(vm_conditions(facts, NOW))
    assert found == {'VirtualMachineCreated': ('True', 'True'), 'VirtualMachineTools': ('Unknown', 'NoGuestInfo'),
                     'VirtualMachineNetworkReady': ('True', 'True'), 'VirtualMachineGuestNetworkConfigSynced': ('Unknown', 'NoGuestInfo'),
                     'VirtualMachineBootstrapReady': ('True', 'True'), 'GuestCustomization': ('Unknown', 'GuestCustomizationPending')}
    messages = {item['type']: item['message'] for item in vm_conditions(facts, NOW)}
    assert messages['VirtualMachineCreated'] == 'VM /DC0/vm/web01 would be created by this run (check mode)'
    assert messages['VirtualMachineNetworkReady'].endswith('(check mode: predicted)')


def test_check_mode_on_a_vm_with_nothing_to_do_reports_what_was_read():
    facts = VmFacts(label='web01', check_mode=True, power_state='poweredOn', tools_running_status='guestToolsNotRunning', missing=('eth0: x',))
    found = by_type(vm_conditions(facts, NOW))
    assert found['VirtualMachineTools'] == ('False', 'VirtualMachineToolsNotRunning')
    assert found['VirtualMachineGuestNetworkConfigSynced'] == ('False', 'NotSynced')
    assert 'GuestCustomization' not in found and 'VirtualMachineBootstrapReady' not in found


def test_a_change_without_wait_leaves_the_guest_unknown():
    facts = VmFacts(label='web01', power_state='poweredOn', changed=True, tools_running_status='guestToolsRunning')
    found = by_type(vm_conditions(facts, NOW))
    assert found['VirtualMachineTools'] == ('True', 'VirtualMachineToolsRunning')       # the power did not change
    assert found['VirtualMachineGuestNetworkConfigSynced'] == ('Unknown', 'NoGuestInfo')
    powered = by_type(vm_conditions(VmFacts(label='web01', power_state='poweredOn', power_changed=True, changed=True,
                                            tools_running_status='guestToolsNotRunning'), NOW))
    assert powered['VirtualMachineTools'] == ('Unknown', 'NoGuestInfo')


@pytest.mark.parametrize('running, version, expected', [
    ('guestToolsRunning', None, ('True', 'VirtualMachineToolsRunning', 'VMware Tools is running (guestToolsRunning)')),
    ('guestToolsExecutingScripts', None, ('True', 'VirtualMachineToolsRunning', 'VMware Tools is running (guestToolsExecutingScripts)')),
    ('guestToolsNotRunning', 'guestToolsNotInstalled', ('False', 'VirtualMachineToolsNotRunning', 'VMware Tools is not installed in the guest')),
    ('guestToolsNotRunning', 'guestToolsCurrent', ('False', 'VirtualMachineToolsNotRunning', 'VMware Tools is not running (guestToolsNotRunning)')),
    (None, None, ('Unknown', 'NoGuestInfo', 'vCenter reports no VMware Tools status')),
])
def test_tools(running, version, expected):
    facts = VmFacts(label='web01', power_state='poweredOn', tools_running_status=running, tools_version_status=version)
    found = vm_conditions(facts, NOW)[1]
    assert (found['type'], found['status'], found['reason'], found['message']) == ('VirtualMachineTools',) + expected


def test_a_powered_off_vm():
    found = {item['type']: item for item in vm_conditions(VmFacts(label='web01', power_state='poweredOff'), NOW)}
    assert (found['VirtualMachineTools']['status'], found['VirtualMachineTools']['message']) == ('False', 'the VM is poweredOff')
    assert (found['VirtualMachineGuestNetworkConfigSynced']['status'], found['VirtualMachineGuestNetworkConfigSynced']['reason']) == (
        'False', 'NotSynced')


def test_failed_steps_and_a_vm_without_network():
    facts = VmFacts(label='web01', power_state='poweredOn', nics=False, provider='cloud_init', bootstrap=False,
                    failure='reconfiguring the NICs of VM web01 failed: SystemError: no')
    found = {item['type']: item for item in vm_conditions(facts, NOW)}
    assert (found['VirtualMachineNetworkReady']['status'], found['VirtualMachineNetworkReady']['reason']) == ('False', 'NotReady')
    assert found['VirtualMachineNetworkReady']['message'] == 'reconfiguring the NICs of VM web01 failed: SystemError: no'
    assert found['VirtualMachineBootstrapReady']['status'] == 'False'
    unreached = by_type(vm_conditions(VmFacts(label='web01', nics=None, provider='cloud_init', bootstrap=None), NOW))
    assert unreached['VirtualMachineNetworkReady'] == ('Unknown', 'NotReady') and unreached['VirtualMachineBootstrapReady'] == ('Unknown', 'NotReady')
    disabled = by_type(vm_conditions(VmFacts(label='web01', power_state='poweredOn', network_disabled=True), NOW))
    assert set(disabled) == {'VirtualMachineCreated', 'VirtualMachineTools'}
