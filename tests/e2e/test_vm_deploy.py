# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm_deploy against the simulator, through ansible-playbook, with its SOAP calls counted.

Budgets: a new VM (clone) <= 10 calls, a re-run with nothing to do <= 7, the same counts with 10 and 1,000 VMs.
The measured counts are written to tests/output/vm_deploy_calls.json.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
from pathlib import Path

import pytest

import harness

vim = pytest.importorskip('pyVmomi').vim

NEW_VM_BUDGET = 10
RERUN_BUDGET = 7
OUTPUT = Path(__file__).resolve().parent.parent / 'output'
MEASURED = {}

CLASS = {'cpus': 2, 'memory': '4Gi', 'cpu_reservation': 200, 'cpu_limit': 400, 'memory_reservation': 1024, 'memory_limit': 2048,
         'adapter_types': ['e1000', 'VMXNET2']}
CLASS_RECORD = ('{"adapter_types":["e1000","vmxnet2"],"cpu_limit":400,"cpu_reservation":200,"cpus":2,"memory":4096,'
                '"memory_limit":2048,"memory_reservation":1024}')
INSTANCE_UUID = '5013a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71'
BIOS_UUID = '4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71'


@pytest.fixture(scope='module', autouse=True)
def report():
    yield
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / 'vm_deploy_calls.json').write_text(json.dumps(MEASURED, indent=2, sort_keys=True) + '\n')


READ_ONLY = ('CreateFilter', 'DestroyPropertyFilter')


def mutating(calls):
    """The calls that change something: tasks, reconfigure, destroy, power, create, move, mark."""
    return {method: count for method, count in calls.items() if method not in READ_ONLY and (
        method.endswith('_Task') or method.startswith(('Reconfig', 'Destroy', 'Power', 'Clone', 'Mark', 'Create', 'Move', 'Rename')))}


def run(sim, collections_path, tasks):
    """Run tasks (dicts, or (args, keywords) of vm_deploy) in one play; return the playbook result and the calls."""
    plays = []
    for index, task in enumerate(tasks):
        if isinstance(task, tuple):
            args, keywords = task
            task = dict({'name': 'task%d' % index, 'guestnet.vsphere.vm_deploy': args}, **keywords)
        plays.append(task)
    sim.reset_calls()
    result = harness.run_playbook(sim, tasks=plays, collections_path=collections_path)
    calls = sim.calls()
    return result, calls


def deploy(sim, collections_path, args, **keywords):
    """One vm_deploy task; returns (its result dict with 'failed', the calls)."""
    result, calls = run(sim, collections_path, [(args, dict({'ignore_errors': True}, **keywords))])
    assert result.results, result.stdout + result.stderr
    task = result.task('task0')
    out = dict(task['result'])
    out['failed'] = task['status'] == 'failed'
    return out, calls


def vm_by_name(si, name):
    rows = harness.retrieve_view(si, vim.VirtualMachine, ['name'])
    found = [vm for vm, props in rows if props['name'] == name]
    assert len(found) <= 1
    return found[0] if found else None


def names_of(si, kind):
    return {obj: props['name'] for obj, props in harness.retrieve_view(si, kind, ['name'])}


def by_name(si, kind, name):
    found = [obj for obj, value in names_of(si, kind).items() if value == name]
    assert len(found) == 1, (kind, name, found)
    return found[0]


def vm_folder(si):
    dc = by_name(si, vim.Datacenter, 'DC0')
    return harness.retrieve(si, dc, ['vmFolder'])['vmFolder']


def ensure_folder(si, name):
    root = vm_folder(si)
    for child in harness.retrieve(si, root, ['childEntity']).get('childEntity') or []:
        if isinstance(child, vim.Folder) and harness.retrieve(si, child, ['name'])['name'] == name:
            return child
    return root.CreateFolder(name)


def clone_raw(si, template, name, folder, template_flag=False, pool_host='DC0_H0'):
    """A VM (or template) cloned with pyVmomi directly: no guestnet records on it."""
    tmpl = vm_by_name(si, template)
    pool = harness.retrieve(si, by_name(si, vim.ComputeResource, pool_host), ['resourcePool'])['resourcePool']
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=pool), template=template_flag)
    return harness.wait_task(si, tmpl.CloneVM_Task(folder=folder, name=name, spec=spec))


def records(si, vm):
    extra = harness.retrieve(si, vm, ['config.extraConfig']).get('config.extraConfig') or []
    return {option.key: option.value for option in extra if option.key.startswith('guestnet.')}


def web_args(name, **more):
    args = {'name': name, 'image': 'linux-template', 'folder': 'vd-web', 'cluster': 'DC0_C0', 'host': 'DC0_C0_H1',
            'datastore': 'LocalDS_0', 'vm_class': CLASS, 'guest_id': 'rhel9_64Guest'}
    args.update(more)
    return args


@pytest.fixture(scope='module')
def deployed(simulator, service_instance, collections_path):
    """vd-web01 deployed once with everything given; the result and the calls of the run."""
    simulator.clear_faults()
    ensure_folder(service_instance, 'vd-web')
    out, calls = deploy(simulator, collections_path, web_args('vd-web01', instance_uuid=INSTANCE_UUID, bios_uuid=BIOS_UUID.upper()),
                        diff=True)
    MEASURED['new VM (clone), 10 VMs'] = calls
    return out, calls


# -- create --------------------------------------------------------------------------------------------------------

def test_create_places_and_configures(deployed, service_instance):
    out, calls = deployed
    assert not out['failed'], out.get('msg')
    assert out['changed'] is True
    si = service_instance
    vm = vm_by_name(si, 'vd-web01')
    assert vm is not None
    vm_out = out['vm']
    assert vm_out == {
        'moid': vm._moId, 'name': 'vd-web01', 'path': '/DC0/vm/vd-web/vd-web01', 'power_state': 'poweredOff',
        'instance_uuid': INSTANCE_UUID, 'bios_uuid': BIOS_UUID, 'image': '/DC0/vm/linux-template',
        'vm_class': json.loads(CLASS_RECORD), 'adapter_types': ['e1000', 'vmxnet2'],
    }
    props = harness.retrieve(si, vm, ['config.hardware.numCPU', 'config.hardware.memoryMB', 'config.cpuAllocation', 'config.memoryAllocation',
                                      'config.uuid', 'config.instanceUuid', 'config.guestId', 'config.template', 'runtime.powerState',
                                      'runtime.host', 'resourcePool', 'parent', 'config.files.vmPathName'])
    assert props['config.template'] is False and props['runtime.powerState'] == 'poweredOff'
    assert props['config.hardware.numCPU'] == 2 and props['config.hardware.memoryMB'] == 4096
    assert (props['config.cpuAllocation'].reservation, props['config.cpuAllocation'].limit) == (200, 400)
    assert (props['config.memoryAllocation'].reservation, props['config.memoryAllocation'].limit) == (1024, 2048)
    assert props['config.uuid'] == BIOS_UUID and props['config.instanceUuid'] == INSTANCE_UUID
    assert props['config.guestId'] == 'rhel9_64Guest'
    assert names_of(si, vim.HostSystem)[props['runtime.host']] == 'DC0_C0_H1'
    cluster = by_name(si, vim.ClusterComputeResource, 'DC0_C0')
    assert props['resourcePool'] == harness.retrieve(si, cluster, ['resourcePool'])['resourcePool']
    assert harness.retrieve(si, props['parent'], ['name'])['name'] == 'vd-web'
    assert props['config.files.vmPathName'].startswith('[LocalDS_0] ')
    # image and class are recorded in the clone itself: no reconfigure after it
    assert records(si, vm) == {'guestnet.image': '/DC0/vm/linux-template', 'guestnet.class': CLASS_RECORD}


def test_create_call_budget(deployed):
    dummy, calls = deployed
    assert calls['total'] <= NEW_VM_BUDGET, calls
    assert mutating(calls) == {'CloneVM_Task': 1}, calls
    # the VM's name (no datacenter given: the VMs' names), the placement read, the clone's check; no re-read after it
    assert calls.get('RetrievePropertiesEx') == 3 and calls['total'] == 7, calls


def test_create_diff(deployed):
    out, dummy = deployed
    assert out['diff']['before'] == {'exists': False}
    assert out['diff']['after'] == {
        'exists': True, 'image': '/DC0/vm/linux-template', 'class': json.loads(CLASS_RECORD),
        'placement': {'datacenter': 'DC0', 'folder': '/DC0/vm/vd-web', 'cluster': 'DC0_C0', 'host': 'DC0_C0_H1',
                      'resource_pool': '/DC0/host/DC0_C0/Resources', 'datastore': 'LocalDS_0'},
    }


def test_random_uuids_are_returned_without_reread(simulator, service_instance, collections_path):
    out, calls = deploy(simulator, collections_path, {'name': 'vd-plain', 'image': 'linux-template', 'host': 'DC0_H0'})
    assert not out['failed'], out.get('msg')
    props = harness.retrieve(service_instance, vm_by_name(service_instance, 'vd-plain'), ['config.uuid', 'config.instanceUuid', 'config.guestId',
                                                                                          'runtime.host'])
    assert out['vm']['instance_uuid'] == props['config.instanceUuid'] and out['vm']['bios_uuid'] == props['config.uuid']
    assert out['vm']['instance_uuid'] != out['vm']['bios_uuid']
    assert props['config.guestId'] == 'ubuntu64Guest'  # the template's
    assert names_of(service_instance, vim.HostSystem)[props['runtime.host']] == 'DC0_H0'
    assert out['vm']['path'] == '/DC0/vm/vd-plain' and out['vm']['vm_class'] == {} and out['vm']['adapter_types'] == []
    assert records(service_instance, vm_by_name(service_instance, 'vd-plain')) == {'guestnet.image': '/DC0/vm/linux-template', 'guestnet.class': '{}'}
    assert calls['total'] <= NEW_VM_BUDGET


# -- re-run, check mode, diff -----------------------------------------------------------------------------------------

def test_rerun_changes_nothing(deployed, simulator, collections_path):
    first, dummy = deployed
    out, calls = deploy(simulator, collections_path, web_args('vd-web01', image='/DC0/vm/linux-template', instance_uuid=INSTANCE_UUID),
                        diff=True)
    MEASURED['re-run, nothing to do, 10 VMs'] = calls
    assert not out['failed'], out.get('msg')
    assert out['changed'] is False
    assert out['vm'] == first['vm']
    assert out['diff']['before'] == out['diff']['after']
    assert out['diff']['before']['placement']['host'] == 'DC0_C0_H1'
    assert not out.get('warnings')
    assert mutating(calls) == {}, calls
    assert calls['total'] <= RERUN_BUDGET, calls


def test_rerun_by_name_only(deployed, simulator, collections_path):
    out, calls = deploy(simulator, collections_path, {'name': 'vd-web01'})
    assert not out['failed'] and out['changed'] is False
    assert out['vm']['moid'] == deployed[0]['vm']['moid']
    assert mutating(calls) == {}


def test_check_mode_creates_nothing(simulator, service_instance, collections_path):
    out, calls = deploy(simulator, collections_path, web_args('vd-check', folder=None), check_mode=True, diff=True)
    assert not out['failed'], out.get('msg')
    assert out['changed'] is True
    assert out['vm']['moid'] is None and out['vm']['path'] == '/DC0/vm/vd-check' and out['vm']['power_state'] == 'poweredOff'
    assert out['diff']['before'] == {'exists': False} and out['diff']['after']['exists'] is True
    assert out['diff']['after']['placement']['folder'] == '/DC0/vm'
    assert vm_by_name(service_instance, 'vd-check') is None
    assert mutating(calls) == {}, calls


def test_check_mode_absent_deletes_nothing(deployed, simulator, service_instance, collections_path):
    out, calls = deploy(simulator, collections_path, {'name': 'vd-web01', 'state': 'absent'}, check_mode=True, diff=True)
    assert not out['failed'] and out['changed'] is True
    assert out['diff']['before']['exists'] is True and out['diff']['after'] == {'exists': False}
    assert vm_by_name(service_instance, 'vd-web01') is not None
    assert mutating(calls) == {}, calls


def test_placement_is_not_migrated_but_warned(deployed, simulator, collections_path):
    out, calls = deploy(simulator, collections_path, {'name': 'vd-web01', 'host': 'DC0_H0', 'resource_pool': 'Resources'})
    assert not out['failed'] and out['changed'] is False
    # compared with what was read of the VM (no placement read on a re-run)
    assert any('resource pool /DC0/host/DC0_C0/Resources, not Resources of host DC0_H0' in w for w in out['warnings']), out['warnings']
    assert any('cluster DC0_C0 (hosts DC0_C0_H0, DC0_C0_H1, DC0_C0_H2), not host DC0_H0' in w for w in out['warnings']), out['warnings']
    assert mutating(calls) == {}


# -- immutability ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('change, expected', [
    ({'image': 'windows-template'}, 'image windows-template (it was deployed from /DC0/vm/linux-template)'),
    ({'vm_class': dict(CLASS, cpus=4)}, 'vm_class {"adapter_types":["e1000","vmxnet2"],"cpu_limit":400,"cpu_reservation":200,"cpus":4'),
    ({'vm_class': {'cpus': 2}}, 'vm_class {"cpus":2} (it was deployed with {"adapter_types"'),
    ({'instance_uuid': BIOS_UUID}, 'instance_uuid %s (it has %s)' % (BIOS_UUID, INSTANCE_UUID)),
    ({'guest_id': 'ubuntu64Guest'}, 'guest_id ubuntu64Guest (it has rhel9_64Guest)'),
])
def test_immutable_after_deployment(deployed, simulator, service_instance, collections_path, change, expected):
    out, calls = deploy(simulator, collections_path, dict(web_args('vd-web01'), **change))
    assert out['failed'], out
    assert 'VM /DC0/vm/vd-web/vd-web01 cannot change' in out['msg'] and 'redeploy it' in out['msg'], out['msg']
    assert expected in out['msg'], out['msg']
    assert mutating(calls) == {}, calls
    assert harness.retrieve(service_instance, vm_by_name(service_instance, 'vd-web01'), ['config.hardware.numCPU'])['config.hardware.numCPU'] == 2


def test_same_class_in_other_units_is_no_change(deployed, simulator, collections_path):
    out, dummy = deploy(simulator, collections_path, web_args('vd-web01', vm_class=dict(CLASS, memory=4096, adapter_types=['VirtualE1000', 'vmxnet2'])))
    assert not out['failed'] and out['changed'] is False, out.get('msg')


# -- absent ---------------------------------------------------------------------------------------------------------

def test_absent_powers_off_and_deletes(simulator, service_instance, collections_path):
    si = service_instance
    out, dummy = deploy(simulator, collections_path, {'name': 'vd-gone', 'image': 'linux-template', 'cluster': 'DC0_C0'})
    assert not out['failed'], out.get('msg')
    vm = vm_by_name(si, 'vd-gone')
    harness.wait_task(si, vm.PowerOnVM_Task())
    out, calls = deploy(simulator, collections_path, {'name': 'vd-gone', 'state': 'absent'}, diff=True)
    MEASURED['absent, powered-on VM'] = calls
    assert not out['failed'], out.get('msg')
    assert out['changed'] is True and out['vm']['moid'] == vm._moId and out['vm']['power_state'] == 'poweredOn'
    assert out['diff']['before']['exists'] is True and out['diff']['after'] == {'exists': False}
    assert vm_by_name(si, 'vd-gone') is None
    assert mutating(calls) == {'PowerOffVM_Task': 1, 'Destroy_Task': 1}, calls
    out, calls = deploy(simulator, collections_path, {'name': 'vd-gone', 'state': 'absent'})
    MEASURED['absent, nothing to do'] = calls
    assert not out['failed'] and out['changed'] is False and out['vm'] == {}
    assert mutating(calls) == {} and calls['total'] <= 5, calls


# -- VMs vm_deploy did not create -------------------------------------------------------------------------------------

def test_foreign_vm_is_refused_then_adopted(simulator, service_instance, collections_path):
    si = service_instance
    clone_raw(si, 'linux-template', 'vd-foreign', vm_folder(si))
    out, calls = deploy(simulator, collections_path, {'name': 'vd-foreign', 'image': 'linux-template'})
    assert out['failed'] and 'VM /DC0/vm/vd-foreign exists but was not deployed by guestnet.vsphere ' in out['msg'], out
    assert 'adopt: true' in out['msg'] and mutating(calls) == {}
    out, calls = deploy(simulator, collections_path, {'name': 'vd-foreign', 'state': 'absent'})
    assert out['failed'] and 'adopt: true to delete it' in out['msg'] and mutating(calls) == {}
    hardware = harness.retrieve(si, vm_by_name(si, 'vd-foreign'), ['config.hardware.numCPU', 'config.hardware.memoryMB'])
    wrong = {'cpus': hardware['config.hardware.numCPU'] + 1}
    out, calls = deploy(simulator, collections_path, {'name': 'vd-foreign', 'image': 'linux-template', 'vm_class': wrong, 'adopt': True})
    assert out['failed'] and 'cannot be adopted' in out['msg'] and 'cpus: class' in out['msg'], out
    assert mutating(calls) == {}
    right = {'cpus': hardware['config.hardware.numCPU'], 'memory': hardware['config.hardware.memoryMB']}
    args = {'name': 'vd-foreign', 'image': 'linux-template', 'vm_class': right, 'adopt': True}
    out, calls = deploy(simulator, collections_path, args, check_mode=True)
    assert not out['failed'] and out['changed'] is True and mutating(calls) == {}
    assert records(si, vm_by_name(si, 'vd-foreign')) == {}
    out, calls = deploy(simulator, collections_path, args)
    assert not out['failed'] and out['changed'] is True, out.get('msg')
    assert mutating(calls) == {'ReconfigVM_Task': 1}, calls
    assert records(si, vm_by_name(si, 'vd-foreign'))['guestnet.image'] == '/DC0/vm/linux-template'
    out, calls = deploy(simulator, collections_path, args)
    assert not out['failed'] and out['changed'] is False and mutating(calls) == {}


# -- bad input: clear errors before any mutating call -----------------------------------------------------------------

BAD_INPUTS = [
    ({'name': 'vd-bad', 'image': 'linux-templat', 'cluster': 'DC0_C0'},
     'image: linux-templat is not a template (close names: linux-template, '),
    ({'name': 'vd-bad', 'image': 'DC0_H0_VM0', 'cluster': 'DC0_C0'},
     'image: DC0_H0_VM0 is a VM, not a template (/DC0/vm/DC0_H0_VM0)'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'datastore': 'SharedDS'},
     'datastore: SharedDS is not a datastore in datacenter DC0 available to DC0_C0 (close names: LocalDS_0)'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C9'},
     'cluster: DC0_C9 is not a cluster in datacenter DC0 (close names: DC0_C0)'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'host': 'DC0_H0'},
     'host: DC0_H0 is not in cluster DC0_C0 (host is at /DC0/host/DC0_H0/DC0_H0)'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'resource_pool': 'Resources'},
     'resource_pool: Resources names 2 resource pools: /DC0/host/DC0_C0/Resources, /DC0/host/DC0_H0/Resources'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'folder': 'nowhere'},
     'folder: nowhere is not a VM folder in datacenter DC0'),
    ({'name': 'vd-bad', 'image': 'linux-template'},
     'cluster, host or resource_pool is needed to create VM vd-bad'),
    ({'name': 'vd-bad', 'cluster': 'DC0_C0'}, 'image is needed to create VM vd-bad (no VM of that name exists)'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'datacenter': 'DC9'}, 'datacenter: DC9 is not a datacenter (datacenters: DC0)'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'vm_class': {'memory': '4GB'}},
     'vm_class.memory: 4GB is not a memory size'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'vm_class': {'memory': 1022}},
     'vm_class.memory: 1022 is not a multiple of 4 MiB'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'vm_class': {'cpu_reservation': 500, 'cpu_limit': 400}},
     'vm_class.cpu_reservation: 500 is above vm_class.cpu_limit (400)'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'vm_class': {'adapter_types': ['vmxnet3', 'rtl8139']}},
     'vm_class.adapter_types[1]: rtl8139 is not a network adapter type'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'instance_uuid': 'not-a-uuid'}, 'instance_uuid: not-a-uuid is not a UUID'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'guest_id': 'ubuntu'}, 'guest_id: ubuntu is not a vSphere guest OS id'),
    ({'name': 'vd-bad', 'image': 'linux-template', 'cluster': 'DC0_C0', 'instance_uuid': INSTANCE_UUID},
     'instance_uuid: %s is already used by /DC0/vm/vd-web/vd-web01' % INSTANCE_UUID),
    ({'name': 'linux-template', 'image': 'linux-template', 'cluster': 'DC0_C0'},
     'name: linux-template is a template (/DC0/vm/linux-template): guestnet.vsphere creates and deletes VMs, never templates'),
    ({'name': 'linux-template', 'state': 'absent'}, 'name: linux-template is a template'),
    ({'name': 'vd-twin', 'image': 'linux-template', 'cluster': 'DC0_C0'},
     '2 VMs match name vd-twin: /DC0/vm/vd-a/vd-twin, /DC0/vm/vd-b/vd-twin; narrow the selection'),
    ({'name': 'vd-twin', 'state': 'absent'}, '2 VMs match name vd-twin'),
    ({'name': 'vd-bad', 'image': 'vd-twin-template', 'cluster': 'DC0_C0'},
     'image: vd-twin-template names 2 templates: /DC0/vm/vd-a/vd-twin-template, /DC0/vm/vd-b/vd-twin-template'),
]


def test_bad_inputs_fail_before_any_change(deployed, simulator, service_instance, collections_path):
    si = service_instance
    for folder_name in ('vd-a', 'vd-b'):
        folder = ensure_folder(si, folder_name)
        clone_raw(si, 'linux-template', 'vd-twin', folder)
        clone_raw(si, 'linux-template', 'vd-twin-template', folder, template_flag=True)
    before = set(names_of(si, vim.VirtualMachine).values())
    result, calls = run(simulator, collections_path, [(args, {'ignore_errors': True}) for args, dummy in BAD_INPUTS])
    MEASURED['%d bad inputs' % len(BAD_INPUTS)] = calls
    for index, (args, expected) in enumerate(BAD_INPUTS):
        task = result.task('task%d' % index)
        assert task['status'] == 'failed', (args, task['result'])
        assert expected in task['result']['msg'], (args, task['result']['msg'])
    assert mutating(calls) == {}, calls
    assert set(names_of(si, vim.VirtualMachine).values()) == before


def test_argument_errors_name_the_option(simulator, collections_path):
    out, calls = deploy(simulator, collections_path, {'name': 'vd-bad', 'image': 'linux-template', 'class': {'cpus': 2, 'sockets': 2}})
    assert out['failed'] and 'sockets' in out['msg'], out
    assert calls.get('total', 0) == 0


# -- faults ---------------------------------------------------------------------------------------------------------

def test_clone_fault_fails_clearly_and_rerun_converges(fresh_calls, service_instance, collections_path):
    sim = fresh_calls
    sim.inject_fault('CloneVM_Task', 'linux-template', count=1, fault='InsufficientResourcesFault', message='not enough memory in DC0_C0')
    args = {'name': 'vd-retry', 'image': 'linux-template', 'cluster': 'DC0_C0', 'vm_class': {'cpus': 1, 'memory': '512Mi'}}
    out, calls = deploy(sim, collections_path, args)
    assert out['failed']
    assert out['msg'].startswith('cloning template /DC0/vm/linux-template to VM /DC0/vm/vd-retry failed: InsufficientResourcesFault'), out['msg']
    assert 'not enough memory in DC0_C0' in out['msg']
    assert vm_by_name(service_instance, 'vd-retry') is None
    out, calls = deploy(sim, collections_path, args)
    assert not out['failed'] and out['changed'] is True, out.get('msg')
    props = harness.retrieve(service_instance, vm_by_name(service_instance, 'vd-retry'), ['config.hardware.memoryMB'])
    assert props['config.hardware.memoryMB'] == 512
    out, calls = deploy(sim, collections_path, args)
    assert not out['failed'] and out['changed'] is False


# -- inventory size -------------------------------------------------------------------------------------------------

def test_call_counts_do_not_grow_with_inventory(deployed, simulator, collections_path):
    """The same counts with 10 VMs (the shared simulator) and with 1,000 (vms_per_pool=500: a cluster and a host)."""
    from conftest import SHARED_SIZE  # pylint: disable=import-outside-toplevel
    args = {'name': 'vd-size', 'image': 'linux-template', 'folder': 'vd-web', 'cluster': 'DC0_C0', 'vm_class': CLASS}
    small_new = deploy(simulator, collections_path, args)[1]
    small_rerun = deploy(simulator, collections_path, args)[1]
    big = harness.Simulator.start(vms_per_pool=500, **SHARED_SIZE)
    try:
        assert big.inventory['vms'] >= 1000, big.inventory
        root = big.connect()
        ensure_folder(root, 'vd-web')
        big_new_out, big_new = deploy(big, collections_path, args)
        big_rerun_out, big_rerun = deploy(big, collections_path, args)
    finally:
        big.stop()
    assert not big_new_out['failed'] and big_new_out['changed'] is True, big_new_out.get('msg')
    assert not big_rerun_out['failed'] and big_rerun_out['changed'] is False
    MEASURED.update({'new VM, 10 VMs': small_new, 'new VM, 1000 VMs': big_new, 're-run, 10 VMs': small_rerun, 're-run, 1000 VMs': big_rerun})
    assert big_new == small_new and big_rerun == small_rerun, (small_new, big_new, small_rerun, big_rerun)
    assert big_new['total'] <= NEW_VM_BUDGET and big_rerun['total'] <= RERUN_BUDGET
