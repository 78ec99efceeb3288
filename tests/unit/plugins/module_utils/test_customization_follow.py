# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vm module's wait following a LinuxPrep customization's events (_events, _reconcile) against the fake vCenter
(_fakevc): the calls (one collector, no event read of its own), success, failure, stale events, the time running out;
and the adapter of vCenter's events (_vim_records.customization_events)."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _vcenter
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, StepError
from ansible_collections.guestnet.vsphere.plugins.module_utils._events import GuestWatch
from ansible_collections.guestnet.vsphere.plugins.module_utils._reconcile import VmRequest, reconcile
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import customization_events
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter, vim

# A new VM with LinuxPrep, powered on: as test_reconcile's NEW_VM, with the customization.
NEW_VM = {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 6, 'CloneVM_Task': 1, 'CustomizeVM_Task': 1, 'PowerOnVM_Task': 1}
# The wait: the property filter and its slices; following the customization: the collector, made and removed.
FOLLOW = {'CreateFilter': 1, 'CreateCollectorForEvents': 1, 'DestroyCollector': 1}


def linux_prep(**more):
    params = dict(name='app01', datacenter='DC0', cluster='C0', image='linux-template', vm_class={'cpus': 1, 'memory': '1Gi'},
                  remove_unmanaged=True, network={'host_name': 'app01', 'interfaces': [
                      {'name': 'eth0', 'network': 'PG-A', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'}]},
                  provider='linux_prep', linux_prep={}, wait={'timeout': 120})
    params.update(more)
    return params


@pytest.fixture(name='fake')
def fake_fixture(monkeypatch):
    fake = standard_vcenter()
    monkeypatch.setattr(_vcenter.time, 'monotonic', lambda: fake.clock)   # a slice without change costs no real time
    return fake


def run(fake, params, check_mode=False):
    fake.calls.clear()
    ctx = Context(fake.client(), check_mode=check_mode)
    try:
        outcome = reconcile(ctx, VmRequest.of(params))
    except StepError as error:
        return None, error, dict(fake.calls)
    return outcome, None, dict(fake.calls)


def vm_named(fake, name):
    return [ref for moid, ref in fake.objects.items() if isinstance(ref, vim.VirtualMachine) and fake.props[moid].get('name') == name][0]


def show_addresses(fake, name, addresses=('10.0.0.10',), tools='guestToolsRunning'):
    """A timeline step: the guest as the customization leaves it, each NIC with its address (GOSC: no prefix)."""
    def step():
        ref = vm_named(fake, name)
        cards = [device for device in fake.get(ref, 'config.hardware.device') if isinstance(device, vim.vm.device.VirtualEthernetCard)]
        fake.set(ref, guest__toolsRunningStatus=tools, guest__net=[
            vim.vm.GuestInfo.NicInfo(macAddress=card.macAddress, deviceConfigId=card.key, connected=True, ipAddress=[address])
            for card, address in zip(cards, addresses)])
    return step


def post(fake, name, kind, **fields):
    return lambda: fake.post_event(kind, vm_named(fake, name), **fields)


def by_type(result):
    return {item['type']: item for item in result['conditions']}


def test_a_customization_followed_to_its_success(fake):
    fake.timeline = [post(fake, 'app01', 'CustomizationStartedEvent'), show_addresses(fake, 'app01'),
                     post(fake, 'app01', 'CustomizationSucceeded', fullFormattedMessage='Customization of VM app01 succeeded.')]
    outcome, error, calls = run(fake, linux_prep())
    assert error is None, error
    # the addresses came before the outcome: the wait went on until the success event
    assert fake.timeline == []
    slices = calls.pop('WaitForUpdatesEx')
    assert calls == dict(NEW_VM, **FOLLOW) and slices == 4, calls     # the first slice, then one per change
    assert 'ReadNextEvents' not in calls and 'QueryEvents' not in calls
    found = by_type(outcome.result)
    assert (found['GuestCustomization']['status'], found['GuestCustomization']['reason']) == ('True', 'GuestCustomizationSucceeded')
    assert found['GuestCustomization']['message'] == 'Customization of VM app01 succeeded.'
    assert {item: found[item]['status'] for item in found} == dict.fromkeys(found, 'True')
    assert [key for key in fake.props if 'collector' in key] == []      # DestroyCollector


def test_a_failed_customization_fails_the_task_with_vcenters_message(fake):
    fake.timeline = [post(fake, 'app01', 'CustomizationStartedEvent'),
                     post(fake, 'app01', 'CustomizationNetworkSetupFailed', fullFormattedMessage='Network setup failed in the guest OS.',
                          reason='customizationDisabled', logLocation='/var/log/vmware-imc/toolsDeployPkg.log'),
                     lambda: pytest.fail('the wait went on after the failure')]
    outcome, error, calls = run(fake, linux_prep())
    assert outcome is None
    assert str(error).startswith('wait: the guest customization of VM /DC0/vm/app01 failed (CustomizationNetworkSetupFailed): '
                                 'Network setup failed in the guest OS. (reason: customizationDisabled); '
                                 'the guest\'s log: /var/log/vmware-imc/toolsDeployPkg.log; nothing is retried'), str(error)
    assert calls['CustomizeVM_Task'] == 1 and calls['PowerOnVM_Task'] == 1 and calls['DestroyCollector'] == 1
    partial = error.partial
    assert partial['changed'] is True and partial['steps']['deploy'] == {'changed': True} and partial['vm']['moid'].startswith('vm-')
    found = by_type(partial)
    assert (found['GuestCustomization']['status'], found['GuestCustomization']['reason']) == ('False', 'GuestCustomizationFailed')
    assert found['VirtualMachineGuestNetworkConfigSynced']['status'] == 'False'
    # the next run changes nothing, queues nothing and follows nothing: no stale failure
    again, error, calls = run(fake, dict(linux_prep(), wait=None))
    assert error is None and again.changed is False and calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 1}
    assert 'GuestCustomization' not in by_type(again.result)


def test_an_earlier_customizations_events_do_not_count(fake):
    params = linux_prep(power_state='powered_off', wait=None)
    first, error = run(fake, params)[:2]
    assert error is None
    ref = vm_named(fake, 'app01')
    # an earlier customization failed (before this run's power-on); the simulator ignores a collector's time filter too
    fake.post_event('CustomizationFailed', ref, created=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5),
                    fullFormattedMessage='the earlier one')
    fake.timeline = [post(fake, 'app01', 'CustomizationStartedEvent'), show_addresses(fake, 'app01'), post(fake, 'app01', 'CustomizationSucceeded')]
    on, error, calls = run(fake, dict(params, power_state='powered_on', wait={'timeout': 60}))
    assert error is None, error
    # queued by the first run, powered on (and followed) by this one
    assert on.result['steps']['bootstrap']['changed'] is False and calls['PowerOnVM_Task'] == 1 and calls['CreateCollectorForEvents'] == 1
    assert by_type(on.result)['GuestCustomization']['reason'] == 'GuestCustomizationSucceeded'
    assert first.result['conditions'][-1]['reason'] == 'GuestCustomizationPending'
    assert 'next power-on' in first.result['conditions'][-1]['message']


@pytest.mark.parametrize('timeline, reason, said', [
    ([], 'GuestCustomizationPending', 'no customization event from vCenter since the power-on at '),
    (['started'], 'GuestCustomizationRunning', 'running in the guest since '),
])
def test_the_time_runs_out_before_an_outcome(fake, timeline, reason, said):
    fake.timeline = [post(fake, 'app01', 'CustomizationStartedEvent') for step in timeline if step == 'started']
    outcome, error, calls = run(fake, linux_prep(wait={'timeout': 45}))
    assert outcome is None
    message = str(error)
    assert message.startswith('waiting for the guest of VM /DC0/vm/app01 to show its addresses and finish its customization: gave up after 45 '
                              'seconds; still missing: eth0: '), message
    assert '; the guest customization: %s' % said in message
    found = by_type(error.partial)['GuestCustomization']
    assert (found['status'], found['reason']) == ('False', reason)
    assert calls['DestroyCollector'] == 1


def test_no_follow_without_wait_or_without_a_customization(fake):
    outcome, error, calls = run(fake, linux_prep(wait=None))
    assert error is None and calls == NEW_VM
    found = by_type(outcome.result)['GuestCustomization']
    assert (found['status'], found['reason']) == ('False', 'GuestCustomizationPending') and 'not followed' in found['message']
    # cloud-init with wait: the wait watches VMware Tools, follows no customization
    fake.timeline = [show_addresses(fake, 'web02')]
    params = linux_prep(name='web02', provider='cloud_init', linux_prep=None, cloud_init={})
    outcome, error, calls = run(fake, params)
    assert error is None, error
    assert 'CreateCollectorForEvents' not in calls and 'GuestCustomization' not in by_type(outcome.result)
    assert by_type(outcome.result)['VirtualMachineTools']['status'] == 'True'


def test_check_mode_follows_nothing(fake):
    outcome, error, calls = run(fake, linux_prep(), check_mode=True)
    assert error is None and calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 2}
    found = by_type(outcome.result)['GuestCustomization']
    assert (found['status'], found['reason']) == ('Unknown', 'GuestCustomizationPending')


# -- the adapter and the watch -------------------------------------------------------------------------------------------

def test_customization_events_from_pyvmomi_events(fake):
    ref = vm_named(fake, 'web01')
    started = fake.post_event('CustomizationStartedEvent', ref)
    failed = fake.post_event('CustomizationSysprepFailed', ref, fullFormattedMessage='Sysprep failed', reason='wrongMetadataFormat')
    other = vim.event.VmPoweredOnEvent(key=99, chainId=0, userName='', createdTime=started.createdTime, template=False,
                                       vm=vim.event.VmEventArgument(vm=ref, name='web01'))
    records = customization_events([failed, other, started])
    assert [(item.key, item.kind, item.vm) for item in records] == [
        (failed.key, 'CustomizationSysprepFailed', 'vm-2'), (started.key, 'CustomizationStartedEvent', 'vm-2')]
    assert records[0].reason == 'wrongMetadataFormat' and records[0].message == 'Sysprep failed' and records[0].failed


def test_the_watch_reads_tools_and_the_page_of_every_slice(fake):
    ref = vm_named(fake, 'web01')
    since = datetime.datetime.now(datetime.timezone.utc)
    collector = fake.ref('EventHistoryCollector', 'session[fake]c1')
    watch = GuestWatch('vm-2', since, collector)
    assert watch.following and not watch.settled and not watch.stop and watch.objects() == [(collector, ('latestPage',))]
    watch.update({'vm-2': {'guest.toolsRunningStatus': 'guestToolsNotRunning'}, 'session[fake]c1': {}})
    assert watch.tools == {'guest.toolsRunningStatus': 'guestToolsNotRunning'} and watch.progress.phase == 'pending'
    started = fake.post_event('CustomizationStartedEvent', ref)
    watch.update({'vm-2': {}, 'session[fake]c1': {'latestPage': [started]}})
    assert watch.progress.phase == 'running' and watch.tools == {'guest.toolsRunningStatus': 'guestToolsNotRunning'}
    failed = fake.post_event('CustomizationFailed', ref)
    watch.update({'vm-2': {'guest.toolsRunningStatus': 'guestToolsRunning'}, 'session[fake]c1': {'latestPage': [failed, started]}})
    assert watch.stop and watch.settled and watch.tools['guest.toolsRunningStatus'] == 'guestToolsRunning'
    plain = GuestWatch('vm-2')
    assert not plain.following and plain.settled and plain.objects() == [] and plain.progress is None
