# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm against the shared simulator: the whole VM in one task, its SOAP calls, check mode, manifests,
failures, and (with the guest agent playing the guests) what the guest makes of what was written.

Every VM here is called vmm-*; the module removes them at the end. Budgets (issue "One reconcile per VM"): a new VM
with two NICs, cloud-init or LinuxPrep and power-on, not waiting, 12 calls asked and 13 made (see NEW_VM); a no-op 5.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

import guest
import guest_agent
from vmrun import extra, nics, remove_vms, run, vm_props

vim = pytest.importorskip('pyVmomi').vim
vmodl = pytest.importorskip('pyVmomi').vmodl

SESSION = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1}
# A new VM: FindByInventoryPath (not there), one read of templates and placement, one of the template, the clone and a
# read of its state, a read of the new VM (the MACs vCenter gave its NICs), the bootstrap (guestinfo reconfigure or
# customization) and a read of its state, the power-on and a read of its state.
NEW_VM = dict(SESSION, FindByInventoryPath=1, RetrievePropertiesEx=6, CloneVM_Task=1, PowerOnVM_Task=1, total=13)
# Nothing to do: the look-up and one read of the VM (its networks and folders with it).
NOOP = dict(SESSION, FindByInventoryPath=1, RetrievePropertiesEx=1, total=5)
PLACEMENT = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'image': 'linux-template', 'vm_class': {'cpus': 1, 'memory': '1Gi'}}
WAIT = 90


def cloud_init_vm(name, **more):
    network = {'host_name': name.replace('-', ''), 'domain_name': 'vmm.example', 'nameservers': ['10.80.0.53'],
               'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.80.0.11/24', '2001:db8:80::11/64'],
                               'gateway4': '10.80.0.1', 'gateway6': '2001:db8:80::1', 'routes': [{'to': '172.16.0.0/12', 'via': '10.80.0.254'}]},
                              {'name': 'eth1', 'network': 'PG-VLAN100', 'dhcp4': True}]}
    args = dict(PLACEMENT, name=name, remove_unmanaged=True, network=network,
                provider='cloud_init', cloud_init={'cloud_config': {'timezone': 'UTC'}})
    args.update(more)
    return args


def linux_prep_vm(name, **more):
    network = {'host_name': name.replace('-', ''), 'domain_name': 'vmm.example',
               'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.81.0.11/24'], 'gateway4': '10.81.0.1'},
                              {'name': 'eth1', 'network': 'PG-VLAN100', 'addresses': ['10.82.0.11/24']}]}
    args = dict(PLACEMENT, name=name, remove_unmanaged=True, network=network,
                provider='linux_prep', linux_prep={'time_zone': 'Etc/UTC'})
    args.update(more)
    return args


@pytest.fixture(scope='module', autouse=True)
def cleanup(service_instance, simulator):
    yield
    remove_vms(service_instance, simulator, 'vmm-')


# -- a new VM, check mode, the budget, a re-run -------------------------------------------------------------------------

def test_new_vm_with_cloud_init_in_one_task(fresh_calls, service_instance, collections_path, tmp_path):
    args = cloud_init_vm('vmm-web')
    (check,) = run(fresh_calls, collections_path, tmp_path, dict(args, _check_mode=True))
    # check mode predicts every step of a VM that does not exist, and changes nothing
    assert check.status == 'ok' and check.changed is True, check.msg
    assert check.steps == {'deploy': {'changed': True}, 'network': {'changed': True}, 'bootstrap': {'changed': True, 'provider': 'cloud_init'},
                           'power': {'changed': True, 'state': 'poweredOn'}}
    assert check.mutating == {} and check.result['vm']['moid'] is None
    assert [(a['action'], a['interface']) for a in check.result['actions']] == [('add', 'eth0'), ('add', 'eth1'), ('remove', None)]
    netplan = check.result['bootstrap']['applied']['netplan']['ethernets']
    assert netplan['eth0']['match'] == {'macaddress': '(MAC of NIC 1, assigned by vCenter)'}
    assert check.result['diff']['before'] == {'exists': False}
    assert check.result['diff']['after']['power_state'] == 'poweredOn' and len(check.result['diff']['after']['nics']) == 2
    assert vm_props(service_instance, 'vmm-web')[0] is None
    # the run: 13 calls, three of them changes
    new, again = run(fresh_calls, collections_path, tmp_path, args, args)
    assert new.status == 'ok' and new.changed is True, new.msg
    assert new.calls == dict(NEW_VM, ReconfigVM_Task=1), new.calls
    assert new.mutating == {'CloneVM_Task': 1, 'ReconfigVM_Task': 1, 'PowerOnVM_Task': 1}
    assert new.result['vm']['power_state'] == 'poweredOn' and new.result['vm']['moid'].startswith('vm-')
    vm, props = vm_props(service_instance, 'vmm-web')
    cards = nics(props)
    assert [card.externalId for card in cards] == ['guestnet:eth0', 'guestnet:eth1'] and props['runtime.powerState'] == 'poweredOn'
    config = new.result['network']['config']['interfaces']
    assert [item['mac_address'] for item in config] == [card.macAddress for card in cards]
    records = extra(props)
    assert records['guestnet.bootstrap.provider'] == 'cloud_init' and records['guestnet.bootstrap.hash'] == new.result['bootstrap']['hash']
    assert records['guestnet.image'] == '/DC0/vm/linux-template' and json.loads(records['guestnet.class']) == {'cpus': 1, 'memory': 1024}
    # the guest side: cloud-init's own datasource decodes what was written
    view = guest.boot_cloud_init(service_instance, vm, report=False)
    assert view['host_name'] == 'vmmweb' and view['unmatched_macs'] == []
    by_mac = {item['mac_address']: item for item in view['interfaces']}
    assert by_mac[cards[0].macAddress]['addresses'] == ['10.80.0.11/24', '2001:db8:80::11/64']
    assert by_mac[cards[1].macAddress]['dhcp4'] is True
    # nothing to do: 5 calls, nothing sent that changes anything
    assert again.status == 'ok' and again.changed is False, again.msg
    assert again.calls == NOOP and again.mutating == {}
    assert again.steps == {'deploy': {'changed': False}, 'network': {'changed': False}, 'bootstrap': {'changed': False, 'provider': 'cloud_init'},
                           'power': {'changed': False, 'state': 'poweredOn'}}


def test_new_vm_with_linux_prep_records_before_it_customizes(fresh_calls, service_instance, collections_path, tmp_path):
    args = linux_prep_vm('vmm-app', power_state='powered_off')
    (new,) = run(fresh_calls, collections_path, tmp_path, args)
    assert new.status == 'ok' and new.changed is True, new.msg
    # powered off: the clone (with the bootstrap record), the new VM read back, the customization; no power-on
    assert new.mutating == {'CloneVM_Task': 1, 'CustomizeVM_Task': 1}
    assert new.calls['total'] == NEW_VM['total'] - 2, new.calls
    vm, props = vm_props(service_instance, 'vmm-app')
    assert props['config.tools.pendingCustomization'] and extra(props)['guestnet.bootstrap.hash'] == new.result['bootstrap']['hash']
    on, again = run(fresh_calls, collections_path, tmp_path, dict(args, power_state='powered_on'), dict(args, power_state='powered_on'))
    # powered on by the next run: the customization applies (the simulator sets host name and addresses)
    assert on.status == 'ok' and on.changed is True and on.mutating == {'PowerOnVM_Task': 1}, on.msg
    assert on.steps['bootstrap'] == {'changed': False, 'provider': 'linux_prep'}
    read = guest.read_guest(service_instance, vm)
    assert read['host_name'] == 'vmmapp'
    macs = [card.macAddress for card in nics(props)]
    assert {item['mac_address']: item['addresses'] for item in read['interfaces']} == {macs[0]: ['10.81.0.11'], macs[1]: ['10.82.0.11']}
    assert again.changed is False and again.calls == NOOP


def test_new_vm_with_linux_prep_budget(fresh_calls, collections_path, tmp_path):
    (new,) = run(fresh_calls, collections_path, tmp_path, linux_prep_vm('vmm-app2'))
    assert new.status == 'ok' and new.changed is True, new.msg
    assert new.calls == dict(NEW_VM, CustomizeVM_Task=1), new.calls


# -- an existing VM -------------------------------------------------------------------------------------------------------

def test_existing_vm_nics_and_bootstrap_in_one_reconfigure(fresh_calls, service_instance, collections_path, tmp_path):
    name = 'vmm-edit'
    args = cloud_init_vm(name, power_state='powered_off')
    moved = cloud_init_vm(name, power_state='powered_off', interface_connected={'eth1': False},
                          provider='cloud_init', cloud_init={'cloud_config': {'timezone': 'Europe/Berlin'}})
    grown = json.loads(json.dumps(moved))
    grown['network']['interfaces'].append({'name': 'eth2', 'network': 'PG-VLAN200', 'dhcp4': True})
    first, edit, add = run(fresh_calls, collections_path, tmp_path, args, moved, grown)
    assert first.status == edit.status == add.status == 'ok', (first.msg, edit.msg, add.msg)
    # a NIC edit (eth1 disconnected) and new user-data: one ReconfigVM_Task for both
    assert edit.changed is True and edit.mutating == {'ReconfigVM_Task': 1}, edit.calls
    assert edit.steps['network'] == {'changed': True} and edit.steps['bootstrap']['changed'] is True
    # a new NIC: its MAC comes from vCenter, so the NIC change, a read, then the bootstrap's reconfigure
    assert add.changed is True and add.mutating == {'ReconfigVM_Task': 2}, add.calls
    vm, props = vm_props(service_instance, name)
    cards = nics(props)
    assert len(cards) == 3 and cards[1].connectable.startConnected is False
    metadata = add.result['bootstrap']['applied']['netplan']['ethernets']
    assert metadata['eth2']['match'] == {'macaddress': cards[2].macAddress}


# -- a manifest -----------------------------------------------------------------------------------------------------------

MANIFEST = {
    'apiVersion': 'vmoperator.vmware.com/v1alpha3', 'kind': 'VirtualMachine', 'metadata': {'name': 'vmm-vmop', 'namespace': 'demo'},
    'spec': {'className': 'small', 'imageName': 'ubuntu-22.04', 'storageClass': 'fast', 'powerState': 'PoweredOff',
             'volumes': [{'name': 'data', 'persistentVolumeClaim': {'claimName': 'data'}}],
             'bootstrap': {'cloudInit': {'cloudConfig': {'users': [{'name': 'vmware', 'sudo': 'ALL=(ALL) NOPASSWD:ALL'}]}, 'waitOnNetwork4': True}},
             'network': {'hostName': 'vmmvmop',
                         'interfaces': [{'name': 'eth0', 'network': {'name': 'DC0_DVPG1'}, 'addresses': ['10.83.0.5/24'], 'gateway4': '10.83.0.1'}]}},
}


def test_manifest(fresh_calls, service_instance, collections_path, tmp_path):
    args = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'manifest': MANIFEST, 'classes': {'small': {'cpus': 1, 'memory': '512Mi'}},
            'images': {'ubuntu-22.04': 'linux-template'}, 'claims': {'data': {'size': '1Gi'}}}
    new, again, unknown = run(fresh_calls, collections_path, tmp_path, args, args, dict(args, classes={}))
    assert new.status == 'ok' and new.changed is True, new.msg
    assert new.result['vm']['name'] == 'vmm-vmop' and new.result['vm']['vm_class'] == {'cpus': 1, 'memory': 512}
    assert new.result['vm']['image'] == '/DC0/vm/linux-template' and new.result['vm']['power_state'] == 'poweredOff'
    assert any('spec.storageClass has no counterpart' in warning for warning in new.result.get('warnings', [])), new.result.get('warnings')
    assert [(volume['name'], volume['size']) for volume in new.result['volumes']] == [('data', '1Gi')]
    assert new.result['bootstrap']['applied']['metadata']['wait-on-network'] == {'ipv4': True, 'ipv6': False}
    assert again.changed is False and again.calls == NOOP
    assert unknown.status == 'failed' and unknown.calls == {'total': 0}
    assert unknown.msg == 'manifest.spec.className: small is not a class of classes (none given)'


# -- bad input, faults, removal ------------------------------------------------------------------------------------------

def test_every_input_error_at_once_before_any_call(fresh_calls, collections_path, tmp_path):
    args = cloud_init_vm('vmm-bad', vm_class={'cpus': 0}, next_restart_time='tomorrow', wait={'timeout': 0})
    args['network']['interfaces'][0]['gateway4'] = '10.99.0.1'
    (bad,) = run(fresh_calls, collections_path, tmp_path, args)
    assert bad.status == 'failed' and bad.calls == {'total': 0}
    assert bad.msg.startswith('4 errors: (1) vm_class.cpus: 0 is out of range'), bad.msg
    assert 'network.interfaces[0].gateway4: 10.99.0.1 is not inside' in bad.msg and 'next_restart_time: tomorrow' in bad.msg
    assert 'wait.timeout: 0 must be at least 1' in bad.msg


def test_a_failed_power_on_names_the_step_and_a_rerun_converges(fresh_calls, service_instance, collections_path, tmp_path):
    fresh_calls.inject_fault('PowerOnVM_Task', 'vmm-fault', count=1, message='no host has room for it')
    args = cloud_init_vm('vmm-fault')
    failed, rerun = run(fresh_calls, collections_path, tmp_path, args, args)
    assert failed.status == 'failed'
    assert failed.msg == 'power: PowerOnVM_Task on VM /DC0/vm/vmm-fault failed: SystemError: no host has room for it'
    assert failed.result['steps']['deploy'] == {'changed': True} and failed.result['steps']['bootstrap']['changed'] is True
    assert failed.result['vm']['moid'].startswith('vm-') and failed.result['changed'] is True
    assert rerun.status == 'ok' and rerun.changed is True and rerun.mutating == {'PowerOnVM_Task': 1}, rerun.msg
    assert rerun.steps['deploy'] == {'changed': False} and rerun.steps['bootstrap']['changed'] is False


def test_secrets_stay_out_of_the_result(fresh_calls, collections_path, tmp_path):
    secrets = ('Adm1n-S3cret!', 'J0in-S3cret!', 'user-data-secret-7')
    sysprep = dict(PLACEMENT, name='vmm-win', image='windows-template', remove_unmanaged=True, power_state='powered_off',
                   network={'host_name': 'vmmwin', 'domain_name': 'corp.example',
                            'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.84.0.5/24'], 'gateway4': '10.84.0.1'}]},
                   provider='sysprep', sysprep={'password': secrets[0], 'join_domain': 'corp.example', 'domain_admin': 'joiner',
                                                'domain_admin_password': secrets[1]})
    raw = cloud_init_vm('vmm-raw', power_state='powered_off', provider='cloud_init', cloud_init={
        'raw_cloud_config': '#cloud-config\nchpasswd: {list: "root:%s"}\n' % secrets[2]})
    outcomes = run(fresh_calls, collections_path, tmp_path, sysprep, dict(sysprep, _check_mode=True), raw)
    for outcome in outcomes:
        assert outcome.status == 'ok', outcome.msg
        text = json.dumps(outcome.result)
        assert not [secret for secret in secrets if secret in text], text
    assert outcomes[0].result['bootstrap']['applied']['spec']['identity']['guiUnattended']['password']['value'] == '********'


def test_absent(fresh_calls, service_instance, collections_path, tmp_path):
    (made,) = run(fresh_calls, collections_path, tmp_path, cloud_init_vm('vmm-gone', power_state='powered_off'))
    assert made.status == 'ok', made.msg
    check, gone, again = run(fresh_calls, collections_path, tmp_path, {'name': 'vmm-gone', 'datacenter': 'DC0', 'state': 'absent', '_check_mode': True},
                             {'name': 'vmm-gone', 'datacenter': 'DC0', 'state': 'absent'}, {'name': 'vmm-gone', 'datacenter': 'DC0', 'state': 'absent'})
    assert check.changed is True and check.mutating == {}
    assert gone.changed is True and gone.mutating == {'Destroy_Task': 1} and gone.steps == {'deploy': {'changed': True}}
    assert vm_props(service_instance, 'vmm-gone')[0] is None
    assert again.changed is False and again.mutating == {}


# -- waiting for the guest (the guest agent plays cloud-init) -------------------------------------------------------------

def test_wait_until_the_guest_shows_its_addresses(simulator, service_instance, collections_path, tmp_path):
    agent = guest_agent.GuestAgent(simulator, match='^vmm-wait', log=guest_agent.log_stderr)
    agent.start()
    try:
        args = cloud_init_vm('vmm-wait', wait={'timeout': 120})
        (new,) = run(simulator, collections_path, tmp_path, args)
        assert new.status == 'ok' and new.changed is True, new.msg
        assert new.result['drift'] == []
        observed = {item['name']: [a['address'] for a in item['ip']['addresses']] for item in new.result['network']['interfaces']}
        assert observed['eth0'] == ['10.80.0.11/24', '2001:db8:80::11/64'] and observed['eth1'][0].startswith('10.99.')
        assert new.result['primary_ip4'] == '10.80.0.11'
        assert len(agent.booted('vmm-wait')) == 1
    finally:
        agent.stop()
