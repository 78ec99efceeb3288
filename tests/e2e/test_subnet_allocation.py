# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interfaces that name a ledger subnet: vm_network and vm_bootstrap allocate from the ledger and agree.

One playbook: subnet_sync declares the subnet on DC0_DVPG0, vm_network puts the VM's NIC there with an address from
the ledger, vm_bootstrap (cloud-init) renders the same address, cloud-init's own code decodes it (guest.py), and
re-runs change nothing. Bad input fails before the ledger or the VM changes.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import sqlite3

import pytest

import guest
import harness

vim = pytest.importorskip('pyVmomi').vim

SUBNET = {'name': 'alloc-net', 'cidr': '10.77.0.0/24', 'portgroup': 'DC0_DVPG0', 'gateway': '10.77.0.1', 'range_start': '10.77.0.20',
          'direction': 'stepup', 'nameservers': ['10.77.0.53'], 'search_domains': ['alloc.example']}
NETWORK = {'host_name': 'alloc01', 'interfaces': [{'name': 'eth0', 'subnet': 'alloc-net'}]}
MUTATING = {'ReconfigVM_Task', 'CustomizeVM_Task', 'PowerOnVM_Task', 'PowerOffVM_Task', 'CloneVM_Task', 'Destroy_Task'}


def clone(si, name):
    rows = {props['name']: (vm, props) for vm, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'parent', 'resourcePool'])}
    template, props = rows['linux-template']
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=rows['DC0_C0_RP0_VM0'][1]['resourcePool']))
    return harness.wait_task(si, template.CloneVM_Task(folder=props['parent'], name=name, spec=spec))


def allocated(ledger):
    with sqlite3.connect(str(ledger)) as conn:
        return conn.execute("SELECT ip, vm_uuid, interface FROM addresses WHERE kind = 'allocated' ORDER BY ip").fetchall()


def play(sim, collections_path, workdir, tasks):
    """Run tasks (name, module, args) in one playbook; each task's result (with `failed`) and the SOAP calls it made."""
    steps = [dict(args, _module=module) for name, module, args in tasks]
    outcomes = harness.run_steps(sim, None, steps, collections_path=collections_path, workdir=workdir)
    return {name: (dict(step.result, failed=step.failed), step.calls) for (name, module, args), step in zip(tasks, outcomes)}


def test_vm_network_and_vm_bootstrap_agree_on_the_ledger_address(simulator, service_instance, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    vm = clone(service_instance, 'alloc01')
    uuid = harness.retrieve(service_instance, vm, ['config.instanceUuid'])['config.instanceUuid']
    common = {'name': 'alloc01', 'ledger': str(ledger), 'network': NETWORK}
    results = play(simulator, collections_path, tmp_path / 'first', [
        ('declare', 'guestnet.vsphere.subnet_sync', {'ledger': str(ledger), 'datacenter': 'DC0', 'subnets': [SUBNET]}),
        ('network check mode', 'guestnet.vsphere.vm_network', dict(common, remove_unmanaged=True, _check_mode=True)),
        ('network', 'guestnet.vsphere.vm_network', dict(common, remove_unmanaged=True)),
        ('bootstrap', 'guestnet.vsphere.vm_bootstrap', dict(common, provider='cloud_init')),
        ('network again', 'guestnet.vsphere.vm_network', dict(common, remove_unmanaged=True)),
        ('bootstrap again', 'guestnet.vsphere.vm_bootstrap', dict(common, provider='cloud_init')),
    ])
    assert not results['declare'][0].get('failed'), results['declare'][0]
    check, check_calls = results['network check mode']
    assert check['changed'] and check['allocations'] == [{'interface': 'eth0', 'subnet': 'alloc-net', 'address': '10.77.0.20/24', 'changed': True}]
    assert not MUTATING & set(check_calls)

    network, calls = results['network']
    assert network['changed'], network
    assert network['allocations'] == [{'interface': 'eth0', 'subnet': 'alloc-net', 'address': '10.77.0.20/24', 'changed': True}]
    eth0 = network['network']['config']['interfaces'][0]
    assert (eth0['network'], eth0['ip']['addresses'], eth0['ip']['gateway4']) == ('DC0_DVPG0', ['10.77.0.20/24'], '10.77.0.1')
    assert eth0['dns'] == {'nameservers': ['10.77.0.53'], 'search_domains': ['alloc.example']}
    assert calls['total'] <= 10           # the ledger costs no SOAP call
    assert allocated(ledger) == [('10.77.0.20', uuid, 'eth0')]

    bootstrap = results['bootstrap'][0]
    assert bootstrap['changed'] and bootstrap['allocations'][0] == {'interface': 'eth0', 'subnet': 'alloc-net', 'address': '10.77.0.20/24',
                                                                    'changed': False}
    for name in ('network again', 'bootstrap again'):
        result, again_calls = results[name]
        assert not result['changed'], (name, result)
        assert not MUTATING & set(again_calls), (name, again_calls)
    assert allocated(ledger) == [('10.77.0.20', uuid, 'eth0')]

    # The guest: cloud-init's own datasource and net-convert find the ledger's address, gateway and DNS on the NIC.
    view = guest.boot_cloud_init(service_instance, vm, report=False)
    assert view['host_name'] == 'alloc01'
    [iface] = view['interfaces']
    assert iface['addresses'] == ['10.77.0.20/24'] and iface['gateway4'] == '10.77.0.1'
    assert iface['mac_address'] == network['network']['interfaces'][0]['mac_address']


def test_bad_subnet_input_changes_nothing(simulator, service_instance, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    clone(service_instance, 'alloc02')
    subnet = dict(SUBNET, name='bad-net', cidr='10.78.0.0/24', gateway='10.78.0.1', range_start='10.78.0.20')
    results = play(simulator, collections_path, tmp_path / 'bad', [
        ('declare', 'guestnet.vsphere.subnet_sync', {'ledger': str(ledger), 'datacenter': 'DC0', 'subnets': [subnet]}),
        ('unknown subnet', 'guestnet.vsphere.vm_network',
         {'name': 'alloc02', 'ledger': str(ledger), 'network': {'interfaces': [{'name': 'eth0', 'subnet': 'bad-net'}, {'name': 'eth1', 'subnet': 'nope'}]}}),
        ('wrong port group', 'guestnet.vsphere.vm_bootstrap',
         {'name': 'alloc02', 'ledger': str(ledger), 'provider': 'cloud_init',
          'network': {'interfaces': [{'name': 'eth0', 'subnet': 'bad-net', 'network': 'VM Network'}]}}),
        ('no ledger', 'guestnet.vsphere.vm_network',
         {'name': 'alloc02', 'ledger': str(tmp_path / 'missing.sqlite'), 'network': {'interfaces': [{'name': 'eth0', 'subnet': 'bad-net'}]}}),
    ])
    unknown, calls = results['unknown subnet']
    assert unknown['failed'] and 'network.interfaces[1].subnet: nope is not a subnet of ledger %s;' % ledger in unknown['msg']
    assert not MUTATING & set(calls)
    wrong, calls = results['wrong port group']
    assert wrong['failed'] and 'network.interfaces[0].network: network-' in wrong['msg'] and 'does not reach subnet bad-net' in wrong['msg']
    assert not MUTATING & set(calls)
    missing, calls = results['no ledger']
    assert missing['failed'] and 'missing.sqlite does not exist, so subnet bad-net is unknown' in missing['msg']
    assert calls == {'total': 0}        # checked before connecting
    assert allocated(ledger) == []
    assert not (tmp_path / 'missing.sqlite').exists()


def test_placement_by_subnet_and_release_on_delete(simulator, service_instance, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    declare = play(simulator, collections_path, tmp_path / 'declare', [
        ('declare', 'guestnet.vsphere.subnet_sync', {'ledger': str(ledger), 'datacenter': 'DC0', 'subnets': [
            dict(SUBNET, name='place-net', cidr='10.79.0.0/24', portgroup='DC0_DVPG1', gateway='10.79.0.1', range_start='10.79.0.20'),
            dict(SUBNET, name='nowhere-net', cidr='10.80.0.0/24', portgroup='DC0_DVPG1', gateway='10.80.0.1', range_start='10.80.0.20')]})])
    assert not declare['declare'][0]['failed'], declare
    with sqlite3.connect(str(ledger)) as conn:   # a port group that no host reaches any more (removed since the last sync)
        conn.execute("UPDATE subnets SET portgroup = 'dvportgroup-gone' WHERE name = 'nowhere-net'")
    deploy = {'image': 'linux-template', 'cluster': 'DC0_C0', 'ledger': str(ledger)}
    results = play(simulator, collections_path, tmp_path / 'place', [
        ('place', 'guestnet.vsphere.vm_deploy', dict(deploy, name='place01', subnets=['place-net'])),
        ('nowhere', 'guestnet.vsphere.vm_deploy', dict(deploy, name='place02', subnets=['nowhere-net'])),
        ('unknown', 'guestnet.vsphere.vm_deploy', dict(deploy, name='place03', subnets=['no-such-net'])),
        ('network', 'guestnet.vsphere.vm_network', {'name': 'place01', 'ledger': str(ledger), 'remove_unmanaged': True,
                                                    'network': {'interfaces': [{'name': 'eth0', 'subnet': 'place-net'}]}}),
        ('delete check mode', 'guestnet.vsphere.vm_deploy', {'name': 'place01', 'state': 'absent', 'ledger': str(ledger), '_check_mode': True}),
        ('delete', 'guestnet.vsphere.vm_deploy', {'name': 'place01', 'state': 'absent', 'ledger': str(ledger)}),
    ])
    placed, calls = results['place']
    assert placed['changed'] and not placed['failed'], placed
    assert placed['diff']['after']['placement']['host'] == 'DC0_C0_H0'   # the first host (by name) that reaches DC0_DVPG1
    assert calls['CloneVM_Task'] == 1
    nowhere, calls = results['nowhere']
    assert nowhere['failed'] and "subnets: ['nowhere-net'] no host of DC0_C0 reaches a port group of each of them" in nowhere['msg'], nowhere
    assert not MUTATING & set(calls)
    unknown, calls = results['unknown']
    expected = 'subnet no-such-net is not declared in ledger %s; declare it with guestnet.vsphere.subnet_sync' % ledger
    assert unknown['failed'] and expected in unknown['msg'], unknown
    assert not MUTATING & set(calls)

    address = results['network'][0]['allocations'][0]['address']
    assert address == '10.79.0.20/24'
    check, calls = results['delete check mode']
    assert check['changed'] and check['released'] == ['place-net 10.79.0.20'] and not MUTATING & set(calls)
    deleted = results['delete'][0]
    assert deleted['changed'] and deleted['released'] == ['place-net 10.79.0.20']
    assert allocated(ledger) == []
    with pytest.raises(harness.SimulatorError):
        harness.find_vm(service_instance, 'place01')
