# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm_network through ansible-playbook against the simulator.

Every test clones its own VMs (vmnet-*) from linux-template (one vmxnet3 NIC on "VM Network"), so tests do not depend
on each other. The SOAP calls of each module task are counted by the simulator: a `uri` task after it takes (and
resets) the counters (DELETE /_calls is plain HTTP, not a SOAP call).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import itertools
import threading
import time

import pytest

import harness

vim = pytest.importorskip('pyVmomi').vim

SESSION = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1}
# no change: session (3) + the VMs' names (1: the tests give a bare name) + the VM with the networks its NICs are on (1)
NOOP = dict(SESSION, RetrievePropertiesEx=2, total=5)
NOOP_BUDGET = 7
# + the datacenter's port groups, read only when an interface names a network none of the VM's NICs is on
NOOP_NEW_NETWORK = dict(SESSION, RetrievePropertiesEx=3, total=6)
# a change: + ReconfigVM_Task and its check (2; the simulator's tasks are done at once) + the NICs read back (1)
CHANGE = dict(SESSION, RetrievePropertiesEx=4, ReconfigVM_Task=1, total=8)
CHANGE_NEW_NETWORK = dict(SESSION, RetrievePropertiesEx=5, ReconfigVM_Task=1, total=9)
CHANGE_BUDGET = 10
MUTATING = {'ReconfigVM_Task', 'PowerOnVM_Task', 'PowerOffVM_Task', 'CloneVM_Task', 'Destroy_Task'}
_RUNS = itertools.count()


class Outcome(harness.StepOutcome):
    @property
    def mutating_calls(self):
        return self.calls_to(MUTATING)

    def actions(self):
        return [(item['action'], item['interface']) for item in self.result['actions']]

    def config(self, name):
        return [item for item in self.result['network']['config'].get('interfaces', []) if item['name'] == name][0]


def run(sim, collections_path, tmp_path, *steps):
    """Run vm_network once per step (module arguments; '_check_mode': True for check mode) in one playbook.

    Returns one Outcome per step, with the SOAP calls that step made."""
    return harness.run_steps(sim, 'guestnet.vsphere.vm_network', steps, collections_path=collections_path,
                             workdir=tmp_path / ('run%d' % next(_RUNS)), outcome=Outcome)


@pytest.fixture(scope='module', name='placement')
def placement_fixture(service_instance):
    rows = harness.retrieve_view(service_instance, vim.VirtualMachine, ['name', 'parent', 'resourcePool'])
    by_name = {props['name']: (vm, props) for vm, props in rows}
    return {'template': by_name['linux-template'][0], 'folder': by_name['linux-template'][1]['parent'],
            'pool': by_name['DC0_C0_RP0_VM0'][1]['resourcePool']}


def clone(si, placement, name, power_on=False):
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=placement['pool']), powerOn=power_on)
    return harness.wait_task(si, placement['template'].CloneVM_Task(folder=placement['folder'], name=name, spec=spec))


@pytest.fixture(name='make_vm')
def make_vm_fixture(service_instance, placement):
    """make_vm(name, power_on=False): a fresh clone of linux-template."""
    return lambda name, power_on=False: clone(service_instance, placement, name, power_on)


def nics_of(si, vm):
    """(type, key, MAC, address type, network name or portgroup key, externalId, startConnected, connected) of each NIC."""
    out = []
    for device in harness.retrieve(si, vm, ['config.hardware.device'])['config.hardware.device']:
        if not isinstance(device, vim.vm.device.VirtualEthernetCard):
            continue
        backing = device.backing
        network = backing.deviceName if isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo) else backing.port.portgroupKey
        out.append((type(device).__name__.rsplit('.', 1)[-1], device.key, device.macAddress, device.addressType, network, device.externalId,
                    device.connectable.startConnected, device.connectable.connected))
    return sorted(out, key=lambda item: item[1])


def portgroup_keys(si):
    rows = harness.retrieve_view(si, vim.dvs.DistributedVirtualPortgroup, ['name'])
    return {props['name']: obj._moId for obj, props in rows}  # pylint: disable=protected-access


# -- create, re-run, budgets ---------------------------------------------------------------------------------------------

def test_default_interface_records_the_template_nic(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-default')
    (before,) = nics_of(service_instance, vm)
    first, again = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-default'}, {'name': 'vmnet-default'})
    assert first.status == 'ok' and first.changed is True
    assert first.result['actions'] == [{'action': 'edit', 'interface': 'eth0', 'device_key': before[1], 'adapter_type': 'vmxnet3',
                                        'network': 'VM Network', 'matched_by': 'any',
                                        'reasons': ['record interface name eth0 on the NIC (externalId)']}]
    assert first.calls == CHANGE and first.calls['total'] <= CHANGE_BUDGET
    (after,) = nics_of(service_instance, vm)
    assert after[:5] == before[:5] and after[5] == 'guestnet:eth0'        # same NIC, same MAC, now recorded
    assert first.result['network']['config'] == {
        'dns': {'host_name': 'vmnet-default'},
        'interfaces': [{'name': 'eth0', 'mac_address': before[2], 'network': 'VM Network', 'guest_device_name': 'eth0',
                        'ip': {'dhcp': {'ip4': {'enabled': True}}}}]}
    assert again.status == 'ok' and again.changed is False and again.calls == NOOP and again.calls['total'] <= NOOP_BUDGET
    assert again.result['actions'][0]['matched_by'] == 'record'
    assert again.result['vm']['name'] == 'vmnet-default' and again.result['vm']['power_state'] == 'poweredOff'
    assert again.result['network']['interfaces'][0]['name'] == 'eth0'
    assert again.result['drift'] == [{'name': 'eth0', 'mac_address': before[2], 'no_dhcp_address': ['ip4']}]


def test_add_reback_both_directions_and_remove(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-reback')
    keys = portgroup_keys(service_instance)
    (template_nic,) = nics_of(service_instance, vm)
    two = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0'}, {'name': 'eth1', 'network': 'PG-VLAN100', 'addresses': ['10.1.0.5/24']}]}
    swapped = {'interfaces': [{'name': 'eth0', 'network': 'VM Network'}, {'name': 'eth1', 'network': 'DC0_DVPG1', 'addresses': ['10.1.0.5/24']}]}
    one = {'interfaces': [{'name': 'eth0', 'network': 'VM Network'}]}
    record, to_dvs, again = run(fresh_calls, collections_path, tmp_path,
                                {'name': 'vmnet-reback'},                        # records the template's NIC as eth0
                                {'name': 'vmnet-reback', 'network': two},        # eth0: standard -> distributed; eth1 added
                                {'name': 'vmnet-reback', 'network': two})
    assert record.changed is True
    assert to_dvs.status == 'ok' and to_dvs.changed is True and to_dvs.calls == CHANGE_NEW_NETWORK
    assert to_dvs.actions() == [('edit', 'eth0'), ('add', 'eth1')]
    assert to_dvs.result['actions'][0]['reasons'] == ['network VM Network -> DC0_DVPG0 (DVS0)']
    eth0, eth1 = nics_of(service_instance, vm)
    assert eth0[:4] == template_nic[:4] and eth0[4] == keys['DC0_DVPG0'] and eth0[5] == 'guestnet:eth0'
    assert eth1[0] == 'VirtualVmxnet3' and eth1[4] == 'PG-VLAN100' and eth1[5] == 'guestnet:eth1' and eth1[6] is True
    assert to_dvs.config('eth1') == {'name': 'eth1', 'mac_address': eth1[2], 'network': 'PG-VLAN100', 'guest_device_name': 'eth1',
                                     'ip': {'addresses': ['10.1.0.5/24']}}
    assert to_dvs.config('eth0')['mac_address'] == template_nic[2]
    assert again.changed is False and again.calls == NOOP and again.mutating_calls == []

    back, dropped_kept = run(fresh_calls, collections_path, tmp_path,
                             {'name': 'vmnet-reback', 'network': swapped},       # eth0: distributed -> standard; eth1: standard -> distributed
                             {'name': 'vmnet-reback', 'network': one})           # eth1 dropped from the spec: kept, unmanaged
    assert back.changed is True and back.calls == CHANGE_NEW_NETWORK and back.actions() == [('edit', 'eth0'), ('edit', 'eth1')]
    assert [(n[1], n[2], n[4]) for n in nics_of(service_instance, vm)] == [(eth0[1], eth0[2], 'VM Network'), (eth1[1], eth1[2], keys['DC0_DVPG1'])]
    assert dropped_kept.changed is False and dropped_kept.actions() == [('keep', 'eth0'), ('unmanaged', None)]

    (dropped,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-reback', 'network': one, 'remove_unmanaged': True})
    assert dropped.changed is True and dropped.actions() == [('keep', 'eth0'), ('remove', None)]
    assert [n[1] for n in nics_of(service_instance, vm)] == [eth0[1]]


def test_static_mac_and_class_adapter_types(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-mac')
    record = '{"adapter_types":["e1000","vmxnet2"],"cpus":1}'
    harness.wait_task(service_instance, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=[
        vim.option.OptionValue(key='guestnet.class', value=record)])))
    net = {'interfaces': [{'name': 'eth0'}, {'name': 'eth1', 'network': 'PG-VLAN200', 'mac_address': '00:50:56:00:20:01'},
                          {'name': 'eth2', 'network': 'PG-VLAN200'}]}
    first, again = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-mac', 'network': net}, {'name': 'vmnet-mac', 'network': net})
    assert first.status == 'ok' and first.changed is True and first.calls == CHANGE_NEW_NETWORK
    found = nics_of(service_instance, vm)
    # eth0 keeps the template's vmxnet3 (class types apply to new NICs); eth1 is the class's 2nd type, eth2 falls back to vmxnet3;
    # vCenter reports a MAC it generated as 'assigned'
    assert [(n[0], n[3], n[4], n[5]) for n in found] == [('VirtualVmxnet3', 'assigned', 'VM Network', 'guestnet:eth0'),
                                                         ('VirtualVmxnet2', 'manual', 'PG-VLAN200', 'guestnet:eth1'),
                                                         ('VirtualVmxnet3', 'assigned', 'PG-VLAN200', 'guestnet:eth2')]
    assert found[1][2] == '00:50:56:00:20:01' and first.config('eth1')['mac_address'] == '00:50:56:00:20:01'
    assert first.config('eth2')['mac_address'] == found[2][2]
    assert again.changed is False and again.calls == NOOP
    assert sorted(item['matched_by'] for item in again.result['actions']) == ['mac', 'record', 'record']


def test_four_nics_budget_does_not_grow_with_the_inventory(tmp_path):
    """4 NICs on a generated VM: the same calls with 10 VMs as with 1,000."""
    net = {'host_name': 'dc0-h0-vm0',
           'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0'}, {'name': 'eth1', 'network': 'DC0_DVPG1'},
                          {'name': 'eth2', 'network': 'PG-VLAN100'}, {'name': 'eth3', 'network': 'PG-VLAN200'}]}
    seen = {}
    for vms_per_pool in (5, 500):
        with harness.Simulator.start(vms_per_pool=vms_per_pool, distributed_portgroups=2,
                                     standard_portgroups=['PG-VLAN100:100', 'PG-VLAN200:200']) as sim:
            collections = harness.stage_collection(tmp_path / ('collections%d' % vms_per_pool))
            first, again = run(sim, collections, tmp_path, {'name': 'DC0_H0_VM0', 'network': net}, {'name': 'DC0_H0_VM0', 'network': net})
            assert first.status == 'ok' and first.changed is True, first.msg
            assert first.actions() == [('edit', 'eth0'), ('add', 'eth1'), ('add', 'eth2'), ('add', 'eth3')]
            assert len(first.result['network']['interfaces']) == 4
            assert again.status == 'ok' and again.changed is False and len(again.result['network']['interfaces']) == 4
            seen[sim.inventory['vms']] = (first.calls, again.calls)
    (small, large) = sorted(seen)
    assert small < 20 and large >= 1000
    for first_calls, again_calls in seen.values():
        assert first_calls == CHANGE_NEW_NETWORK and first_calls['total'] <= CHANGE_BUDGET
        assert again_calls == NOOP and again_calls['total'] <= NOOP_BUDGET
    assert seen[small] == seen[large]


# -- check mode, diff ----------------------------------------------------------------------------------------------------

def test_check_mode_and_diff(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-check')
    before = nics_of(service_instance, vm)
    net = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG1'}, {'name': 'eth1', 'network': 'PG-VLAN100', 'mac_address': '00:50:56:00:30:01'}]}
    (check,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-check', 'network': net, 'remove_unmanaged': True, '_check_mode': True})
    assert check.status == 'ok' and check.changed is True and check.calls == NOOP_NEW_NETWORK and check.mutating_calls == []
    assert nics_of(service_instance, vm) == before
    assert check.actions() == [('add', 'eth0'), ('add', 'eth1'), ('remove', None)]
    assert check.result['diff'] == {
        'before': {'nics': [{'interface': None, 'device_key': before[0][1], 'mac_address': before[0][2], 'adapter_type': 'vmxnet3',
                             'network': 'VM Network', 'switch': 'standard', 'start_connected': True}]},
        'after': {'nics': [{'interface': 'eth0', 'device_key': -1, 'mac_address': None, 'adapter_type': 'vmxnet3', 'network': 'DC0_DVPG1',
                            'switch': 'DVS0', 'start_connected': True},
                           {'interface': 'eth1', 'device_key': -2, 'mac_address': '00:50:56:00:30:01', 'adapter_type': 'vmxnet3',
                            'network': 'PG-VLAN100', 'switch': 'standard', 'start_connected': True}]}}
    assert check.config('eth1')['mac_address'] == '00:50:56:00:30:01' and 'mac_address' not in check.config('eth0')
    (real,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-check', 'network': net, 'remove_unmanaged': True})
    assert real.changed is True and real.actions() == check.actions()
    after = nics_of(service_instance, vm)
    assert [nic['device_key'] for nic in real.result['diff']['after']['nics']] == [n[1] for n in after]
    assert [nic['mac_address'] for nic in real.result['diff']['after']['nics']][1] == '00:50:56:00:30:01'
    assert before[0][2] not in [n[2] for n in after] and [n[5] for n in after] == ['guestnet:eth0', 'guestnet:eth1']


# -- disabled, connected, adapter types -----------------------------------------------------------------------------------

def test_disabled_removes_every_nic(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-disabled')
    off, again = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-disabled', 'network': {'disabled': True}},
                     {'name': 'vmnet-disabled', 'network': {'disabled': True}})
    assert off.status == 'ok' and off.changed is True and off.actions() == [('remove', None)] and off.calls == CHANGE
    assert nics_of(service_instance, vm) == []
    assert off.result['network'] == {'config': {'dns': {'host_name': 'vmnet-disabled'}}, 'interfaces': []}
    assert again.changed is False and again.calls == NOOP and again.result['actions'] == []


def test_connect_disconnect_powered_on(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-connect', power_on=True)
    net = {'interfaces': [{'name': 'eth0'}, {'name': 'eth1', 'network': 'DC0_DVPG0'}]}
    first, again = run(fresh_calls, collections_path, tmp_path,
                       {'name': 'vmnet-connect', 'network': net, 'interface_connected': {'eth1': False}},
                       {'name': 'vmnet-connect', 'network': net, 'interface_connected': {'eth1': False}})
    assert first.status == 'ok' and first.changed is True
    eth0, eth1 = nics_of(service_instance, vm)
    assert eth0[6:] == (True, True) and eth1[6:] == (False, False)
    assert first.result['network']['interfaces'][1]['connected'] is False
    assert again.changed is False and again.calls == NOOP
    (reconnect,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-connect', 'network': net})
    assert reconnect.changed is True and reconnect.result['actions'][1]['reasons'] == ['connect']
    assert nics_of(service_instance, vm)[1][6:] == (True, True)


def test_adapter_type_change(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-adapter')
    net = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'adapter_type': 'e1000e'}]}
    (first,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-adapter'})
    (old,) = nics_of(service_instance, vm)
    (again,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-adapter', 'network': net})
    assert first.changed is True and again.status == 'ok' and again.changed is True and again.calls == CHANGE_NEW_NETWORK
    assert again.actions() == [('replace', 'eth0')]
    assert again.result['actions'][0]['reasons'] == ['adapter type vmxnet3 -> e1000e (the NIC is replaced, with MAC %s)' % old[2],
                                                     'network VM Network -> DC0_DVPG0 (DVS0)']
    # replaced by an e1000e with the same MAC and record, on the new network
    harness.wait_task(service_instance, vm.PowerOnVM_Task())
    (new,) = nics_of(service_instance, vm)
    assert (new[0], new[2], new[4], new[5]) == ('VirtualE1000e', old[2], portgroup_keys(service_instance)['DC0_DVPG0'], 'guestnet:eth0')
    # powered on: the same spec is a no-op; another type is a clear error before any change
    same, other = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-adapter', 'network': net},
                      {'name': 'vmnet-adapter', 'network': {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'adapter_type': 'vmxnet3'}]}})
    assert same.changed is False and same.calls == NOOP
    assert other.status == 'failed' and other.mutating_calls == []
    assert other.msg == ('network.interfaces[0].adapter_type: vmxnet3 differs from e1000e, the type of NIC %d (MAC %s) that backs interface eth0; '
                         'changing an adapter type replaces the NIC and needs the VM powered off (it is poweredOn)' % (new[1], new[2]))


# -- duplicate port group names --------------------------------------------------------------------------------------------

def test_port_group_name_on_two_switches(tmp_path):
    """'NSX-app' is a standard port group, a DVPG on DVS0 and a DVPG on DVS1 (the simulator allows duplicate DVPG names
    that start with NSX-)."""
    with harness.Simulator.start(distributed_portgroups=1, standard_portgroups=['NSX-app']) as sim:
        si = sim.connect()
        content = harness.service_content(si)
        by_name = {props['name']: obj for obj, props in harness.retrieve_view(si, vim.ManagedEntity, ['name'])}
        dvs0, network_folder = by_name['DVS0'], by_name['network']
        pg_spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name='NSX-app', type='earlyBinding', numPorts=8)
        harness.wait_task(si, dvs0.AddDVPortgroup_Task([pg_spec]))
        dvs1 = harness.wait_task(si, network_folder.CreateDVS_Task(
            vim.DistributedVirtualSwitch.CreateSpec(configSpec=vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name='DVS1'))))
        harness.wait_task(si, dvs1.AddDVPortgroup_Task([pg_spec]))
        placement = {'template': by_name['linux-template'], 'folder': by_name['vm'], 'pool': harness.retrieve(
            si, by_name['DC0_C0_RP0_VM0'], ['resourcePool'])['resourcePool']}
        vm = clone(si, placement, 'vmnet-dup')
        assert content.about.apiType == 'VirtualCenter'
        collections = harness.stage_collection(tmp_path / 'collections')
        ambiguous, on_dvs0 = run(
            sim, collections, tmp_path,
            {'name': 'vmnet-dup', 'network': {'interfaces': [{'name': 'eth0', 'network': 'NSX-app'}]}},
            {'name': 'vmnet-dup', 'network': {'interfaces': [{'name': 'eth0', 'network': {'name': 'NSX-app', 'switch': 'DVS0'}}]}})
        assert ambiguous.status == 'failed' and ambiguous.mutating_calls == [] and ambiguous.calls == NOOP_NEW_NETWORK
        assert ambiguous.msg == ('network.interfaces[0].network: NSX-app names 3 port groups in datacenter DC0, on: DVS0 (distributed switch), '
                                 'DVS1 (distributed switch), standard (standard port group); give network: {name: NSX-app, switch: <one of them>}')
        assert on_dvs0.status == 'ok' and on_dvs0.changed is True, on_dvs0.msg
        assert on_dvs0.actions() == [('add', 'eth0'), ('unmanaged', None)] and on_dvs0.result['actions'][0]['switch'] == 'DVS0'
        template_nic, added = nics_of(si, vm)
        dvs0_portgroup = harness.retrieve(si, dvs0, ['portgroup'])['portgroup']
        assert added[4] in [pg._moId for pg in dvs0_portgroup]  # pylint: disable=protected-access
        on_standard, again = run(
            sim, collections, tmp_path,
            {'name': 'vmnet-dup', 'network': {'interfaces': [{'name': 'eth0', 'network': {'name': 'NSX-app', 'switch': 'standard'}}]}},
            {'name': 'vmnet-dup', 'network': {'interfaces': [{'name': 'eth0', 'network': {'name': 'NSX-app', 'switch': 'standard'}}]}})
        assert on_standard.changed is True and on_standard.result['actions'][0]['reasons'] == ['network NSX-app (DVS0) -> NSX-app']
        assert nics_of(si, vm)[1][1:5] == (added[1], added[2], added[3], 'NSX-app')
        assert again.changed is False and again.calls == NOOP


# -- bad input, faults -----------------------------------------------------------------------------------------------------

def test_bad_inputs_fail_before_any_change(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-bad')
    before = nics_of(service_instance, vm)
    outcomes = run(fresh_calls, collections_path, tmp_path,
                   {'name': 'vmnet-bad', 'network': {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG9'}]}},
                   {'name': 'vmnet-bad', 'network': {'interfaces': [{'name': 'Eth_0'}]}},
                   {'name': 'vmnet-bad', 'network': {'interfaces': [{'name': 'eth0', 'mac_address': '00:50:56:80:00:01'}]}},
                   {'name': 'vmnet-bad', 'network': {'interfaces': [{'name': 'eth0', 'adapter_type': 'rtl8139'}]}},
                   {'name': 'vmnet-bad', 'network': {'interfaces': [{'name': 'eth0'}]}, 'interface_connected': {'eth1': False}},
                   {'name': 'vmnet-bad', 'network': {'interfaces': [{'name': 'eth0'}]}, 'interface_connected': {'eth0': 'maybe'}},
                   {'name': 'vmnet-bad', 'network': {'disabled': True, 'interfaces': [{'name': 'eth0'}]}},
                   {'name': 'vmnet-nope'},
                   {'name': 'vmnet-bad', 'wait': {'timeout': 5}},
                   {'name': 'vmnet-bad', 'wait': {'timeout': 0}})
    unknown, bad_name, bad_mac, bad_type, bad_override, bad_bool, conflict, no_vm, wait_off, bad_timeout = outcomes
    assert all(outcome.status == 'failed' and outcome.mutating_calls == [] for outcome in outcomes)
    assert unknown.msg.startswith('network.interfaces[0].network: DC0_DVPG9 is not a port group in datacenter DC0; did you mean DC0_DVPG')
    assert unknown.calls == NOOP_NEW_NETWORK   # an unknown port group: the VM's networks, then the datacenter's
    # spec errors need no round trip at all
    assert bad_name.msg == 'network.interfaces[0].name: Eth_0 must match ^[a-z0-9]{2,}$ (lowercase letters and digits, at least 2)'
    assert bad_name.calls == {'total': 0}
    assert bad_mac.msg.startswith("network.interfaces[0].mac_address: 00:50:56:80:00:01 is outside VMware's range for static MAC addresses")
    assert bad_type.msg.startswith('network.interfaces[0].adapter_type: rtl8139 is not a network adapter type; valid types:')
    assert bad_bool.msg == "interface_connected.eth0: maybe must be true or false" and bad_bool.calls == {'total': 0}
    assert conflict.msg.startswith('network.disabled: True conflicts with network.interfaces (1 given)')
    assert bad_override.msg == 'interface_connected: eth1 is not an interface of network.interfaces (eth0)'
    assert no_vm.msg == 'no VM matches name vmnet-nope'
    assert wait_off.msg.startswith('wait: VM vmnet-bad is poweredOff, so its guest cannot show its addresses')
    assert bad_timeout.msg == 'wait.timeout: 0 must be at least 1 (seconds)' and bad_timeout.calls == {'total': 0}
    assert nics_of(service_instance, vm) == before


def test_reconfigure_fault_then_rerun_converges(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-fault')
    fresh_calls.inject_fault('ReconfigVM_Task', 'vmnet-fault', count=1, message='the host is in maintenance mode')
    net = {'interfaces': [{'name': 'eth0'}, {'name': 'eth1', 'network': 'DC0_DVPG0'}]}
    (failed,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-fault', 'network': net})
    assert failed.status == 'failed' and failed.calls['ReconfigVM_Task'] == 1
    assert failed.msg == 'reconfiguring the NICs of VM vmnet-fault failed: SystemError: the host is in maintenance mode'
    assert [n[5] for n in nics_of(service_instance, vm)] == [None]
    retried, again = run(fresh_calls, collections_path, tmp_path, *[{'name': 'vmnet-fault', 'network': net}] * 2)
    assert retried.status == 'ok' and retried.changed is True and retried.actions() == [('edit', 'eth0'), ('add', 'eth1')]
    assert again.changed is False and again.calls == NOOP
    assert [n[5] for n in nics_of(service_instance, vm)] == ['guestnet:eth0', 'guestnet:eth1']


# -- wait ------------------------------------------------------------------------------------------------------------------

def test_wait_until_the_guest_shows_the_addresses(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    sim = fresh_calls
    vm = make_vm('vmnet-wait', power_on=True)
    net = {'interfaces': [{'name': 'eth0', 'network': 'VM Network', 'addresses': ['10.0.0.10/24', '2001:db8::10/64'], 'gateway4': '10.0.0.1'},
                          {'name': 'eth1', 'network': 'DC0_DVPG0', 'dhcp4': True}]}
    (setup,) = run(sim, collections_path, tmp_path, {'name': 'vmnet-wait', 'network': net})
    assert setup.changed is True
    macs = [n[2] for n in nics_of(service_instance, vm)]
    sim.reset_calls()
    outcome = {}

    def play():
        task = {'name': 'wait', 'guestnet.vsphere.vm_network': {'name': 'vmnet-wait', 'network': net, 'wait': {'timeout': 60}},
                'ignore_errors': True}
        outcome['result'] = harness.run_playbook(sim, tasks=[task], collections_path=collections_path, workdir=tmp_path / 'wait')

    player = threading.Thread(target=play)
    player.start()
    deadline = time.monotonic() + 60
    while sim.calls().get('WaitForUpdatesEx', 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)   # the module is now in (or about to enter) its guest wait
    sim.set_guest('vmnet-wait', toolsRunning=True, ipAddress='10.0.0.10', net=[
        {'macAddress': macs[0], 'ipAddresses': ['10.0.0.10/24', '2001:db8::10/64', 'fe80::250:56ff:fe80:1/64']},
        {'macAddress': macs[1], 'ipAddresses': ['192.168.77.5/24']}])
    player.join(90)
    result = outcome['result'].task('wait')
    calls = sim.calls()
    assert result['status'] == 'ok', result['result'].get('msg')
    assert result['result']['changed'] is False and result['result']['drift'] == []
    assert result['result']['primary_ip4'] == '10.0.0.10' and result['result']['primary_ip6'] == '2001:db8::10'
    observed = result['result']['network']['interfaces']
    assert [item['name'] for item in observed] == ['eth0', 'eth1']
    assert [a['address'] for a in observed[0]['ip']['addresses']] == ['10.0.0.10/24', '2001:db8::10/64', 'fe80::250:56ff:fe80:1/64']
    # no-op (6) + the guest wait: a filter on guest.net and at least two WaitForUpdatesEx (current values, then the report)
    assert calls['CreateFilter'] == 1 and calls['WaitForUpdatesEx'] >= 2 and 'ReconfigVM_Task' not in calls
    assert calls['total'] == NOOP['total'] + 1 + calls['WaitForUpdatesEx']
    # once the guest shows the addresses, waiting costs nothing more than a no-op
    (ready,) = run(sim, collections_path, tmp_path, {'name': 'vmnet-wait', 'network': net, 'wait': {'timeout': 60}})
    assert ready.status == 'ok' and ready.calls == NOOP and ready.result['drift'] == []


def test_wait_times_out_with_the_drift(fresh_calls, service_instance, collections_path, tmp_path, make_vm):
    vm = make_vm('vmnet-timeout', power_on=True)
    net = {'interfaces': [{'name': 'eth0', 'network': 'VM Network', 'addresses': ['10.0.0.20/24']}]}
    mac = nics_of(service_instance, vm)[0][2]
    fresh_calls.set_guest('vmnet-timeout', toolsRunning=True, net=[{'macAddress': mac, 'ipAddresses': ['10.0.0.99/24']}])
    started = time.monotonic()
    (timeout,) = run(fresh_calls, collections_path, tmp_path, {'name': 'vmnet-timeout', 'network': net, 'wait': {'timeout': 3}})
    assert time.monotonic() - started < 60
    assert timeout.status == 'failed' and timeout.changed is True     # the record was written before the wait
    expected = [{'name': 'eth0', 'mac_address': mac, 'missing_addresses': ['10.0.0.20/24'], 'unexpected_addresses': ['10.0.0.99/24']}]
    assert timeout.result['drift'] == expected
    assert timeout.msg.startswith('waiting for the guest of VM vmnet-timeout to show its addresses: gave up after 3 seconds; '
                                  'still missing: eth0: 10.0.0.20/24; drift: [{')
    assert '"unexpected_addresses": ["10.0.0.99/24"]' in timeout.msg
    assert timeout.result['primary_ip4'] == '10.0.0.99'
