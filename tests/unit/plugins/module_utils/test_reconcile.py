# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vm module's reconcile (_reconcile and the steps under it) against a fake vCenter at the SOAP boundary (_fakevc):
the calls of each flow, what is written, in which order, and the failure paths. The session's three calls are not
counted here (the fake client needs no login); the e2e tests count them against the simulator."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._bootstrap import RECORD_HASH_KEY, RECORD_PROVIDER_KEY
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, StepError
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError, SpecErrors
from ansible_collections.guestnet.vsphere.plugins.module_utils._reconcile import VmRequest, reconcile
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import decode_gzip_base64
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import VCenterError
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter, vim

MUTATING = ('CloneVM_Task', 'ReconfigVM_Task', 'CustomizeVM_Task', 'PowerOnVM_Task', 'PowerOffVM_Task', 'Destroy_Task')
NEW_VM = {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 6, 'CloneVM_Task': 1, 'PowerOnVM_Task': 1}
NOOP = {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 1}


def web(**more):
    params = dict(name='app01', datacenter='DC0', cluster='C0', image='linux-template', vm_class={'cpus': 2, 'memory': '2Gi'},
                  remove_unmanaged=True, network={'host_name': 'app01', 'interfaces': [
                      {'name': 'eth0', 'network': 'PG-A', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'},
                      {'name': 'eth1', 'network': 'VM Network', 'dhcp4': True}]},
                  provider='cloud_init', cloud_init={'cloud_config': {'timezone': 'UTC'}})
    params.update(more)
    return params


def run(fake, params, check_mode=False):
    fake.calls.clear()
    outcome = reconcile(Context(fake.client(), check_mode=check_mode, diff=True), VmRequest.of(params))
    return outcome, dict(fake.calls)


def vm_named(fake, name):
    found = [ref for moid, ref in fake.objects.items() if isinstance(ref, vim.VirtualMachine) and fake.props[moid].get('name') == name]
    return found[0] if found else None


def extra(fake, ref):
    return {option.key: option.value for option in fake.get(ref, 'config.extraConfig') or []}


def macs(fake, ref):
    return [device.macAddress for device in fake.get(ref, 'config.hardware.device') if isinstance(device, vim.vm.device.VirtualEthernetCard)]


@pytest.fixture(name='fake')
def fake_fixture():
    return standard_vcenter()


def test_new_vm_with_cloud_init(fake):
    outcome, calls = run(fake, web())
    assert calls == dict(NEW_VM, ReconfigVM_Task=1)          # + the session's 3: 13
    assert outcome.changed is True
    ref = vm_named(fake, 'app01')
    assert fake.get(ref, 'runtime.powerState') == 'poweredOn' and fake.get(ref, 'config.hardware.numCPU') == 2
    records = extra(fake, ref)
    metadata = json.loads(decode_gzip_base64(records['guestinfo.metadata']))
    # netplan matches the MACs vCenter gave the clone's NICs, read back after the clone
    config = {item['name']: item['mac_address'] for item in outcome.result['network']['config']['interfaces']}
    assert {name: item['match']['macaddress'] for name, item in metadata['network']['ethernets'].items()} == config
    assert sorted(config.values()) == sorted(macs(fake, ref)) and len(set(config.values())) == 2
    assert records[RECORD_PROVIDER_KEY] == 'cloud_init' and records[RECORD_HASH_KEY] == outcome.result['bootstrap']['hash']
    assert records['guestnet.image'] == '/DC0/vm/linux-template'
    assert outcome.result['vm']['path'] == '/DC0/vm/app01' and outcome.result['vm']['power_state'] == 'poweredOn'
    again, calls = run(fake, web())
    assert again.changed is False and calls == NOOP


def test_check_mode_predicts_a_new_vm_and_changes_nothing(fake):
    before = dict(fake.props)
    outcome, calls = run(fake, web(), check_mode=True)
    assert outcome.changed is True and not [method for method in calls if method in MUTATING]
    assert calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 2}   # the look-up, placement, template
    assert fake.props.keys() == before.keys() and vm_named(fake, 'app01') is None
    assert outcome.result['steps']['power'] == {'changed': True, 'state': 'poweredOn'}
    assert outcome.result['vm']['moid'] is None and outcome.result['vm']['instance_uuid'] is None
    netplan = outcome.result['bootstrap']['applied']['netplan']['ethernets']
    assert netplan['eth1']['match'] == {'macaddress': '(MAC of NIC 2, assigned by vCenter)'}


def test_linux_prep_is_recorded_by_the_clone_then_queued(fake):
    params = web(provider='linux_prep', linux_prep={}, cloud_init=None, power_state='powered_off')
    params['network']['interfaces'][1] = {'name': 'eth1', 'network': 'VM Network', 'addresses': ['10.1.0.10/24']}
    outcome, calls = run(fake, params)
    assert calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 5, 'CloneVM_Task': 1, 'CustomizeVM_Task': 1}
    ref = vm_named(fake, 'app01')
    assert extra(fake, ref)[RECORD_HASH_KEY] == outcome.result['bootstrap']['hash']
    assert fake.get(ref, 'config.tools.pendingCustomization')
    mapping = outcome.result['bootstrap']['applied']['spec']['nicSettingMap']
    assert sorted(item['macAddress'] for item in mapping) == sorted(macs(fake, ref))
    # a later run recognises the queued customization and powers the VM on
    on, calls = run(fake, dict(params, power_state='powered_on'))
    assert on.result['steps']['bootstrap']['changed'] is False and calls == dict(NOOP, PowerOnVM_Task=1, RetrievePropertiesEx=2)


def test_existing_vm_nic_edit_and_bootstrap_in_one_reconfigure(fake):
    run(fake, web(power_state='powered_off'))
    params = web(power_state='powered_off', interface_connected={'eth1': False},
                 provider='cloud_init', cloud_init={'cloud_config': {'timezone': 'Europe/Berlin'}})
    outcome, calls = run(fake, params)
    assert calls.get('ReconfigVM_Task') == 1 and outcome.result['steps']['network']['changed'] is True
    grown = json.loads(json.dumps(params))
    grown['network']['interfaces'].append({'name': 'eth2', 'network': 'VM Network', 'dhcp4': True})
    outcome, calls = run(fake, grown)
    assert calls.get('ReconfigVM_Task') == 2            # the new NIC's MAC is vCenter's: change, read, then the guestinfo
    ref = vm_named(fake, 'app01')
    metadata = json.loads(decode_gzip_base64(extra(fake, ref)['guestinfo.metadata']))
    assert metadata['network']['ethernets']['eth2']['match'] == {'macaddress': macs(fake, ref)[2]}


def test_a_refused_customization_puts_the_record_back(fake):
    params = web(provider='linux_prep', linux_prep={}, cloud_init=None, power_state='powered_off')
    params['network']['interfaces'][1] = {'name': 'eth1', 'network': 'VM Network', 'addresses': ['10.1.0.10/24']}
    run(fake, params)
    ref = vm_named(fake, 'app01')
    fake.set(ref, config__tools__pendingCustomization=None)
    recorded = extra(fake, ref)[RECORD_HASH_KEY]
    changed = json.loads(json.dumps(params))
    changed['linux_prep'] = {'time_zone': 'Europe/Berlin'}
    fake.faults['CustomizeVM_Task'] = 'the customization package cannot be written'
    with pytest.raises(StepError) as failure:
        run(fake, changed)
    assert 'nothing is queued and the bootstrap record is as before, so the next run customizes it again' in str(failure.value)
    assert str(failure.value).startswith('bootstrap: customizing VM app01 (linux_prep) failed: SystemError')
    assert extra(fake, ref)[RECORD_HASH_KEY] == recorded
    again, calls = run(fake, changed)
    assert again.result['steps']['bootstrap']['changed'] is True and calls.get('CustomizeVM_Task') == 1


def test_a_failed_power_on_keeps_what_was_done(fake):
    fake.faults['PowerOnVM_Task'] = 'no host has room for it'
    with pytest.raises(StepError) as failure:
        run(fake, web())
    assert str(failure.value) == 'power: PowerOnVM_Task on VM /DC0/vm/app01 failed: SystemError: no host has room for it'
    partial = failure.value.partial
    assert partial['changed'] is True and partial['steps']['deploy'] == {'changed': True} and partial['vm']['moid'].startswith('vm-')
    again, calls = run(fake, web())
    assert [method for method in calls if method in MUTATING] == ['PowerOnVM_Task'] and again.changed is True


def test_every_input_error_at_once(fake):
    params = web(vm_class={'cpus': 0}, next_restart_time='soon', power_state='powered_off')
    params['network']['interfaces'][0]['gateway4'] = '10.9.9.1'
    with pytest.raises(SpecErrors) as failure:
        VmRequest.of(params)
    assert [error.path for error in failure.value.errors] == ['vm_class.cpus', 'network.interfaces[0].gateway4', 'next_restart_time']
    with pytest.raises(SpecError, match='name: .* is required'):
        VmRequest.of({'network': None})


def test_the_ledger_options_reach_every_step_that_opens_the_ledger() -> None:
    request = VmRequest.of(web(ledger='https://netbox.example.com', ledger_token='nbt_key.secret', ledger_validate_certs=False))
    for ledger in (request.deploy.ledger, request.nics.ledger):
        assert ledger == 'https://netbox.example.com' and ledger.options == {'token': 'nbt_key.secret', 'validate_certs': False}


def test_a_name_that_is_a_template(fake):
    with pytest.raises(SpecError, match='is a template'):
        run(fake, web(name='linux-template'))


def test_absent_and_a_vm_found_in_another_folder(fake):
    run(fake, web(power_state='powered_off'))
    ref = vm_named(fake, 'app01')
    folder = fake.add('Folder', 'group-v9', name='moved', parent=fake.objects['group-v1'])
    fake.set(ref, parent=folder)
    fake.children(fake.objects['group-v1'])
    fake.children(folder)
    # not at DC0/vm/app01 any more: found in the placement read instead of cloned a second time
    outcome, calls = run(fake, web(power_state='powered_off'))
    assert outcome.changed is False and 'CloneVM_Task' not in calls
    gone, calls = run(fake, {'name': 'app01', 'datacenter': 'DC0', 'state': 'absent'})
    assert gone.changed is True and calls.get('Destroy_Task') == 1 and vm_named(fake, 'app01') is None
    with pytest.raises(VCenterError, match='no VM matches moid vm-404'):
        run(fake, {'moid': 'vm-404'})
