# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The retry policy for transport faults (_transport) as the client applies it, against the fake vCenter: reads are
sent again with backoff, a call that changes something never; a lost task is looked up. The e2e tests meet the same
faults from the simulator's front over real sockets (test_faults.py)."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import http.client
import socket
import ssl
from xml.parsers.expat import ExpatError

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._transport import RETRY_DELAYS, transport_reason
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import TransportError, VCenterError, guard_transport
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmodl import to_vmodl

from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter, vmodl


def lost() -> BaseException:
    return http.client.RemoteDisconnected('Remote end closed connection without response')


@pytest.mark.parametrize('error, expected', [
    (http.client.HTTPException('502 Bad Gateway'), 'the proxy in front of vCenter answered 502 Bad Gateway'),
    (http.client.HTTPException('503 Service Unavailable'), 'answered 503'),
    (http.client.HTTPException('504 Gateway Timeout'), 'answered 504'),
    (http.client.RemoteDisconnected('Remote end closed connection without response'), 'closed without an answer'),
    (ConnectionResetError(104, 'Connection reset by peer'), 'ConnectionResetError (Connection reset by peer)'),
    (ConnectionRefusedError(111, 'Connection refused'), 'ConnectionRefusedError'),
    (BrokenPipeError(32, 'Broken pipe'), 'BrokenPipeError'),
    (ssl.SSLEOFError(8, 'EOF occurred in violation of protocol (_ssl.c:2427)'), 'TLS connection ended'),
    (socket.timeout('timed out'), 'socket timeout'),
    (http.client.IncompleteRead(b'<soapenv', 4096), 'cut off (8 bytes read)'),
    (ExpatError('no element found: line 2, column 247'), 'cut off'),
])
def test_transport_faults_are_recognised(error, expected):
    assert expected in transport_reason(error)


@pytest.mark.parametrize('error', [
    http.client.HTTPException('404 Not Found'),         # a wrong URL: sending again does not help
    ssl.SSLCertVerificationError(1, 'certificate verify failed'),
    vmodl.fault.SystemError(reason='x'),
    ValueError('a bug'),
])
def test_other_failures_are_not_transport_faults(error):
    assert transport_reason(error) is None


@pytest.fixture(name='fake')
def fake_fixture():
    return standard_vcenter()


def guarded(fake):
    client = fake.client()
    pauses = []
    guard_transport(fake, client.endpoint, sleep=pauses.append)
    fake.calls.clear()
    return client, pauses


def test_a_read_is_sent_again_with_backoff(fake):
    client, pauses = guarded(fake)
    fake.transport['RetrievePropertiesEx'] += [(False, http.client.HTTPException('502 Bad Gateway')), (False, lost())]
    (vm,) = client.read([fake.objects['vm-2']], ['name'])
    assert vm.name == 'web01' and fake.calls['RetrievePropertiesEx'] == 3 and pauses == [0.5, 1.0]


def test_a_read_that_keeps_failing_names_vcenter_the_method_and_what_was_read(fake):
    client, pauses = guarded(fake)
    fake.transport['RetrievePropertiesEx'] += [(False, lost())] * 10
    with pytest.raises(TransportError) as caught:
        client.read([fake.objects['vm-2']], ['name'], 'reading VM web01')
    assert str(caught.value).startswith('reading VM web01 failed: lost the connection to vCenter vcenter.test:443 during '
                                        'RetrievePropertiesEx: the connection was closed without an answer (sent 4 times over ')
    assert fake.calls['RetrievePropertiesEx'] == 1 + len(RETRY_DELAYS) and pauses == list(RETRY_DELAYS)


def test_a_change_is_never_sent_twice_and_a_call_vcenter_never_saw_fails_clearly(fake):
    client, pauses = guarded(fake)
    vm = fake.objects['vm-2']
    fake.transport['PowerOffVM_Task'].append((False, ConnectionResetError(104, 'Connection reset by peer')))
    with pytest.raises(TransportError) as caught:
        client.run_task('powering off VM web01', vm.PowerOffVM_Task)
    assert str(caught.value) == (
        'powering off VM web01 failed: lost the connection to vCenter vcenter.test:443 during PowerOffVM_Task on '
        'VirtualMachine vm-2: ConnectionResetError (Connection reset by peer); vCenter may have carried it out, and a call that '
        'changes something is never sent twice: run again, and the run goes on from what vCenter shows; vCenter shows no task of it')
    assert fake.calls['PowerOffVM_Task'] == 1 and pauses == [] and fake.get(vm, 'runtime.powerState') == 'poweredOn'
    assert fake.calls['CurrentTime'] == 1 and fake.calls['RetrievePropertiesEx'] == 1     # the look-up: vCenter's clock, its recent tasks


def test_a_task_whose_answer_was_lost_is_found_and_followed(fake):
    client, dummy = guarded(fake)
    vm = fake.objects['vm-2']
    client.run_task('reconfiguring VM web01', vm.ReconfigVM_Task, spec=to_vmodl({'_type': 'vim.vm.ConfigSpec', 'annotation': 'first'}),
                    check_first=True)
    fake.transport['ReconfigVM_Task'].append((True, lost()))
    spec = to_vmodl({'_type': 'vim.vm.ConfigSpec', 'extraConfig': [{'_type': 'vim.option.OptionValue', 'key': 'k', 'value': 'v'}]})
    client.run_task('reconfiguring VM web01', vm.ReconfigVM_Task, spec=spec, check_first=True)
    extra = {option.key: option.value for option in fake.get(vm, 'config.extraConfig')}
    assert fake.calls['ReconfigVM_Task'] == 2 and extra['k'] == 'v'


def test_a_clone_whose_answer_was_lost_is_not_looked_up(fake):
    client, dummy = guarded(fake)
    template = fake.objects['vm-1']
    fake.transport['CloneVM_Task'].append((False, lost()))
    with pytest.raises(VCenterError, match='during CloneVM_Task .* never sent twice: run again'):
        client.run_task('cloning template linux-template to VM new01', template.CloneVM_Task, folder=fake.objects['group-v1'], name='new01',
                        spec=to_vmodl({'_type': 'vim.vm.CloneSpec', 'template': False, 'powerOn': False, 'location': {'_type': 'vim.vm.RelocateSpec'}}))
    assert fake.calls['CloneVM_Task'] == 1 and fake.calls['CurrentTime'] == 0


def test_with_the_clock_from_the_login_the_look_up_is_one_read_and_an_older_task_is_not_taken(fake):
    client, dummy = guarded(fake)
    client._clock_offset = 0.0  # pylint: disable=protected-access  # as the login sets it: vCenter's clock is ours here
    vm = fake.objects['vm-2']
    spec = to_vmodl({'_type': 'vim.vm.ConfigSpec', 'annotation': 'x'})
    other = fake.client()       # another run's task on the same VM, a few seconds before ours
    other.run_task('reconfiguring VM web01', vm.ReconfigVM_Task, spec=spec, check_first=True)
    earlier = fake.props['TaskManager']['recentTask'][-1]
    fake.set(earlier, info__queueTime=fake.get(earlier, 'info.queueTime') - datetime.timedelta(seconds=5))
    fake.calls.clear()
    fake.transport['ReconfigVM_Task'].append((False, lost()))     # ours never reached vCenter
    with pytest.raises(TransportError, match='vCenter shows no task of it$'):
        client.run_task('reconfiguring VM web01', vm.ReconfigVM_Task, spec=spec)
    assert dict(fake.calls) == {'ReconfigVM_Task': 1, 'RetrievePropertiesEx': 1}
    fake.transport['ReconfigVM_Task'].append((True, lost()))      # ours did
    client.run_task('reconfiguring VM web01', vm.ReconfigVM_Task, spec=spec, check_first=True)
    assert fake.calls['ReconfigVM_Task'] == 2 and fake.calls['CurrentTime'] == 0
