# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm's volumes (VM Operator's spec.volumes) against the shared simulator: the disks a new VM gets in its
clone, a re-run that changes nothing, a grow, a refused shrink, a removal, a manifest's claims, check mode, and the calls.

Every VM here is called vmv-*; the module removes them at the end. Budgets: a new VM with volumes costs what it costs
without them (the disks ride in the CloneVM_Task); a no-op 5 calls; a grow or a removal one ReconfigVM_Task.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

import harness
from vmrun import extra, nics, remove_vms, run, vm_props

vim = pytest.importorskip('pyVmomi').vim

NOOP = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1, 'FindByInventoryPath': 1, 'RetrievePropertiesEx': 1, 'total': 5}
# A reconfigure: the no-op's reads, the task and one read of its state.
ONE_RECONFIGURE = dict(NOOP, ReconfigVM_Task=1, RetrievePropertiesEx=2, total=7)
PLACEMENT = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'image': 'linux-template', 'vm_class': {'cpus': 1, 'memory': '1Gi'}}
CLASSES = {'fast': {'datastore': 'LocalDS_0'}, 'gold': {'storage_policy_id': 'aa6d5a82-1c88-45da-85d3-3d74b91a5bad'}}
GIB_KB = 1024 * 1024
ROLE_TASK = 'Reconcile the VM (deploy, NICs, bootstrap, power, guest network)'     # the provision role's vm task


def vm_args(name, **more):
    args = dict(PLACEMENT, name=name, power_state='powered_off', remove_unmanaged=True,
                network={'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'dhcp4': True}]}, storage_classes=CLASSES)
    args.update(more)
    return args


def two_volumes(**more):
    volumes = [{'name': 'data', 'size': '2Gi', 'storage_class': 'fast'},
               {'name': 'logs', 'size': 1, 'provisioning': 'eager_zeroed_thick', 'controller': {'type': 'nvme'}}]
    for volume in volumes:
        volume.update(more.get(volume['name'], {}))
    return volumes


def vmdk_files(si, folder):
    """The .vmdk files in a VM's folder on LocalDS_0, as the datastore browser lists them."""
    for datastore, props in harness.retrieve_view(si, vim.Datastore, ['name', 'browser']):
        if props['name'] == 'LocalDS_0':
            spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=['*.vmdk'])
            found = harness.wait_task(si, props['browser'].SearchDatastore_Task(datastorePath='[LocalDS_0] %s' % folder, searchSpec=spec))
            return sorted(item.path for item in found.file or [])
    raise AssertionError('no datastore LocalDS_0 (%s)' % datastore)


def storage(props):
    """(controllers by key: (type name, bus), disks: [(controller type, bus, unit, KiB, file, thin, eager)])"""
    devices = props.get('config.hardware.device') or []
    controllers = {d.key: (type(d).__name__.rsplit('.', 1)[-1], d.busNumber) for d in devices if isinstance(d, vim.vm.device.VirtualController)}
    disks = []
    for disk in devices:
        if isinstance(disk, vim.vm.device.VirtualDisk):
            kind, bus = controllers[disk.controllerKey]
            disks.append((kind, bus, disk.unitNumber, disk.capacityInKB, disk.backing.fileName, disk.backing.thinProvisioned,
                          disk.backing.eagerlyScrub))
    return controllers, sorted(disks)


@pytest.fixture(scope='module', autouse=True)
def cleanup(service_instance, simulator):
    yield
    remove_vms(service_instance, simulator, 'vmv-')


def test_new_vm_with_two_volumes_costs_what_a_new_vm_costs(fresh_calls, service_instance, collections_path, tmp_path):
    plain, new, again = run(fresh_calls, collections_path, tmp_path, vm_args('vmv-plain'), vm_args('vmv-disks', volumes=two_volumes()),
                            vm_args('vmv-disks', volumes=two_volumes()))
    assert plain.status == 'ok' and new.status == 'ok', (plain.msg, new.msg)
    # the disks, their new NVMe controller and the record ride in the clone: not one call more
    assert new.calls == plain.calls, (new.calls, plain.calls)
    assert new.mutating == {'CloneVM_Task': 1}
    assert new.steps['volumes'] == {'changed': True}
    vm, props = vm_props(service_instance, 'vmv-disks')
    controllers, disks = storage(props)
    template_disk = ('ParaVirtualSCSIController', 0, 0, 16 * GIB_KB)
    assert [disk[:4] for disk in disks] == [('ParaVirtualSCSIController', 0, 0, 16 * GIB_KB), ('ParaVirtualSCSIController', 0, 1, 2 * GIB_KB),
                                            ('VirtualNVMEController', 0, 0, GIB_KB)], disks
    assert disks[0][:4] == template_disk
    data, logs = disks[1], disks[2]
    assert data[4].startswith('[LocalDS_0] vmv-disks/') and data[5:] == (True, False)
    assert logs[4].startswith('[LocalDS_0] vmv-disks/') and logs[5:] == (False, True)
    assert sorted(kind for kind, bus in controllers.values()).count('VirtualNVMEController') == 1
    record = json.loads(extra(props)['guestnet.volumes'])
    assert record == {'data': {'provisioning': 'thin', 'slot': 'scsi0:1', 'storage_class': 'fast'},
                      'logs': {'provisioning': 'eager_zeroed_thick', 'slot': 'nvme0:0', 'storage_class': None}}
    assert new.result['volumes'] == [
        {'name': 'data', 'size': '2Gi', 'storage_class': 'fast', 'provisioning': 'thin', 'datastore': 'LocalDS_0',
         'controller': {'type': 'pvscsi', 'bus': 0}, 'unit': 1, 'file': data[4]},
        {'name': 'logs', 'size': '1Gi', 'storage_class': None, 'provisioning': 'eager_zeroed_thick', 'datastore': 'LocalDS_0',
         'controller': {'type': 'nvme', 'bus': 0}, 'unit': 0, 'file': logs[4]}]
    assert new.result['diff']['after']['volumes'] == new.result['volumes']
    # the same list again: nothing to do, 5 calls
    assert again.status == 'ok' and again.changed is False, again.msg
    assert again.calls == NOOP and again.mutating == {}
    assert again.steps['volumes'] == {'changed': False} and again.result['volumes'] == new.result['volumes']
    assert vm is not None and len(nics(props)) == 1


def test_grow_shrink_remove(fresh_calls, service_instance, collections_path, tmp_path):
    name = 'vmv-grow'
    grown = two_volumes(data={'size': '3Gi'})
    shrunk = two_volumes(data={'size': '1Gi'})
    first, grow = run(fresh_calls, collections_path, tmp_path, vm_args(name, volumes=two_volumes()), vm_args(name, volumes=grown))
    assert first.status == 'ok', first.msg
    # one volume grown: one ReconfigVM_Task, the disk edited in place
    assert grow.status == 'ok' and grow.changed is True, grow.msg
    assert grow.calls == ONE_RECONFIGURE and grow.mutating == {'ReconfigVM_Task': 1}, grow.calls
    assert grow.steps == {'deploy': {'changed': False}, 'network': {'changed': False}, 'volumes': {'changed': True},
                          'power': {'changed': False, 'state': 'poweredOff'}}
    assert grow.result['diff']['before']['volumes'][0]['size'] == '2Gi' and grow.result['diff']['after']['volumes'][0]['size'] == '3Gi'
    vm, props = vm_props(service_instance, name)
    disks = storage(props)[1]
    assert [disk[3] for disk in disks] == [16 * GIB_KB, 3 * GIB_KB, GIB_KB]
    logs_file = disks[2][4].rsplit('/', 1)[-1]
    assert logs_file in vmdk_files(service_instance, name)
    shrink, unlisted, remove, after = run(fresh_calls, collections_path, tmp_path, vm_args(name, volumes=shrunk), vm_args(name, volumes=grown[:1]),
                                          vm_args(name, volumes=[grown[0], {'name': 'logs', 'state': 'absent'}]), vm_args(name, volumes=grown[:1]))
    # a shrink is refused before anything is sent
    assert shrink.status == 'failed' and shrink.calls == NOOP, shrink.calls
    assert shrink.msg == ('volumes[0].size: 1Gi is smaller than the disk of volume data (3Gi): disks never shrink; keep the size, or remove the '
                          'volume (state: absent, which deletes its data) and add it again')
    # a volume left out of the list: refused, with how to keep it or delete it
    assert unlisted.status == 'failed' and unlisted.calls == NOOP
    assert unlisted.msg == ('volumes: volume logs is on VM /DC0/vm/vmv-grow (disk nvme0:0) but not listed; to keep it, list it (with its size); '
                            'to delete it and its disk file, list it with state: absent')
    # state: absent removes the disk and deletes its file, in one reconfigure
    assert remove.status == 'ok' and remove.changed is True, remove.msg
    assert remove.calls == ONE_RECONFIGURE and remove.mutating == {'ReconfigVM_Task': 1}
    assert [volume['name'] for volume in remove.result['volumes']] == ['data']
    vm, props = vm_props(service_instance, name)
    disks = storage(props)[1]
    assert [disk[:3] for disk in disks] == [('ParaVirtualSCSIController', 0, 0), ('ParaVirtualSCSIController', 0, 1)]
    assert logs_file not in vmdk_files(service_instance, name) and disks[1][4].rsplit('/', 1)[-1] in vmdk_files(service_instance, name)
    assert json.loads(extra(props)['guestnet.volumes']) == {'data': {'provisioning': 'thin', 'slot': 'scsi0:1', 'storage_class': 'fast'}}
    # and then it is simply gone: the list without it changes nothing
    assert after.status == 'ok' and after.changed is False and after.calls == NOOP, after.msg


def test_existing_vm_volume_rides_with_the_nic_change(fresh_calls, service_instance, collections_path, tmp_path):
    name = 'vmv-ride'
    moved = vm_args(name, interface_connected={'eth0': False}, volumes=[{'name': 'scratch', 'size': '512Mi', 'storage_class': 'gold'}])
    first, both, again = run(fresh_calls, collections_path, tmp_path, vm_args(name), moved, moved)
    assert first.status == 'ok' and both.status == 'ok', (first.msg, both.msg)
    assert 'volumes' not in first.result       # not given: the disks are not looked at
    # a NIC edit and a new disk (a storage policy, on the VM's own datastore): one ReconfigVM_Task for both
    assert both.mutating == {'ReconfigVM_Task': 1}, both.calls
    assert both.steps['network'] == {'changed': True} and both.steps['volumes'] == {'changed': True}
    assert both.result['volumes'] == [{'name': 'scratch', 'size': '512Mi', 'storage_class': 'gold', 'provisioning': 'thin', 'datastore': 'LocalDS_0',
                                       'controller': {'type': 'pvscsi', 'bus': 0}, 'unit': 1, 'file': None}]
    vm, props = vm_props(service_instance, name)
    assert [disk[:4] for disk in storage(props)[1]][1] == ('ParaVirtualSCSIController', 0, 1, 512 * 1024)
    assert again.changed is False and again.calls == NOOP, again.msg
    assert again.result['volumes'][0]['file'].startswith('[LocalDS_0] vmv-ride/')


def test_bad_volumes_fail_before_any_change(fresh_calls, collections_path, tmp_path):
    name = 'vmv-bad'
    bad = vm_args(name, volumes=[{'name': 'Data', 'size': '10G'}, {'name': 'x', 'size': '1Gi', 'storage_class': 'slow'},
                                 {'name': 'x', 'size': 2}])
    missing = vm_args(name, volumes=[{'name': 'data', 'size': '1Gi', 'storage_class': 'nowhere'}],
                      storage_classes=dict(CLASSES, nowhere={'datastore': 'NoSuchDS'}))
    first, wrong, elsewhere = run(fresh_calls, collections_path, tmp_path, vm_args(name), bad, missing)
    assert first.status == 'ok', first.msg
    assert wrong.status == 'failed' and wrong.calls == {'total': 0}, wrong.calls
    assert wrong.msg == (
        '4 errors: (1) volumes[0].name: Data is not a volume name: lowercase letters, digits and -, starting and ending with a letter or digit, '
        'at most 63 characters (a DNS label, as VM Operator requires); (2) volumes[0].size: 10G has a decimal suffix (G: powers of 1000), which '
        'rarely makes a whole number of MiB; give GiB as an integer, or a Kubernetes quantity with a binary suffix: Mi, Gi or Ti (512Mi, 10Gi, '
        '1.5Ti; Ki when a whole number of MiB); (3) volumes[1].storage_class: slow is not a class of storage_classes (fast, gold); '
        '(4) volumes[2].name: x names a volume twice (also volumes[1].name)')
    # a class datastore the VM's host does not have: one read of its datastores, then the error, nothing changed
    assert elsewhere.status == 'failed' and elsewhere.calls == dict(NOOP, RetrievePropertiesEx=2, total=6), elsewhere.calls
    assert elsewhere.msg.startswith('storage_classes.nowhere.datastore: NoSuchDS is not a datastore host DC0_')
    assert elsewhere.msg.endswith('reaches (LocalDS_0); volume data needs it')


def test_check_mode_predicts_and_changes_nothing(fresh_calls, service_instance, collections_path, tmp_path):
    name = 'vmv-check'
    new_check, made, grow_check = run(fresh_calls, collections_path, tmp_path, vm_args(name, volumes=two_volumes(), _check_mode=True),
                                      vm_args(name, volumes=two_volumes()), vm_args(name, volumes=two_volumes(data={'size': '4Gi'}), _check_mode=True))
    assert new_check.status == 'ok' and new_check.changed is True and new_check.mutating == {}, new_check.msg
    assert [(v['name'], v['controller'], v['unit'], v['file']) for v in new_check.result['volumes']] == [
        ('data', {'type': 'pvscsi', 'bus': 0}, 1, None), ('logs', {'type': 'nvme', 'bus': 0}, 0, None)]
    assert made.status == 'ok', made.msg
    assert [(v['name'], v['controller'], v['unit']) for v in made.result['volumes']] == [
        (v['name'], v['controller'], v['unit']) for v in new_check.result['volumes']]
    assert grow_check.status == 'ok' and grow_check.changed is True and grow_check.mutating == {} and grow_check.calls == NOOP
    assert grow_check.result['volumes'][0]['size'] == '4Gi'
    vm, props = vm_props(service_instance, name)
    assert storage(props)[1][1][3] == 2 * GIB_KB


MANIFEST = {
    'apiVersion': 'vmoperator.vmware.com/v1alpha3', 'kind': 'VirtualMachine', 'metadata': {'name': 'vmv-vmop', 'namespace': 'demo'},
    'spec': {'className': 'small', 'imageName': 'ubuntu-22.04', 'powerState': 'PoweredOff',
             'volumes': [{'name': 'my-disk-1', 'persistentVolumeClaim': {'claimName': 'my-pvc'}}],
             'network': {'interfaces': [{'name': 'eth0', 'network': {'name': 'DC0_DVPG1'}, 'dhcp4': True}]}},
}


def test_manifest_claims(fresh_calls, service_instance, collections_path, tmp_path):
    args = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'manifest': MANIFEST, 'classes': {'small': {'cpus': 1, 'memory': '512Mi'}},
            'images': {'ubuntu-22.04': 'linux-template'}, 'storage_classes': CLASSES, 'claims': {'my-pvc': {'size': '8Gi', 'storage_class': 'fast'}}}
    unknown, new, again = run(fresh_calls, collections_path, tmp_path, dict(args, claims={}), args, args)
    assert unknown.status == 'failed' and unknown.calls == {'total': 0}
    assert unknown.msg == 'manifest.spec.volumes[0].persistentVolumeClaim.claimName: my-pvc is not a claim of claims (none given)'
    assert new.status == 'ok' and new.changed is True, new.msg
    assert new.result['volumes'][0]['name'] == 'my-disk-1' and new.result['volumes'][0]['size'] == '8Gi'
    assert not any('spec.volumes' in warning for warning in new.result.get('warnings', [])), new.result.get('warnings')
    vm, props = vm_props(service_instance, 'vmv-vmop')
    assert [disk[3] for disk in storage(props)[1]] == [16 * GIB_KB, 8 * GIB_KB]
    assert again.changed is False and again.calls == NOOP, again.msg


def test_provision_role_passes_volumes_and_storage_classes(service_instance, simulator, collections_path, tmp_path):
    host_vars = {'guestnet_vm': {'name': 'vmv-role', 'image': 'linux-template', 'class': {'cpus': 1, 'memory': '1Gi'}, 'datacenter': 'DC0',
                                 'cluster': 'DC0_C0', 'power_state': 'powered_off'},
                 'guestnet_network': {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'dhcp4': True}]},
                 'guestnet_volumes': [{'name': 'data', 'size': '3Gi', 'storage_class': 'fast'}],
                 'guestnet_storage_classes': CLASSES, 'guestnet_wait_timeout': 0}
    role = {'name': 'provision', 'ansible.builtin.include_role': {'name': 'guestnet.vsphere.provision'}, 'vars': host_vars}
    result = harness.run_playbook(simulator, tasks=[role, dict(role, name='again')], collections_path=collections_path, workdir=tmp_path)
    assert result.ok, result.stdout + result.stderr
    made, again = [entry['result'] for entry in result.results if entry['task'] == ROLE_TASK]
    assert made['changed'] is True and made['volumes'][0]['size'] == '3Gi' and made['volumes'][0]['datastore'] == 'LocalDS_0'
    assert again['changed'] is False and again['steps']['volumes'] == {'changed': False}
    vm, props = vm_props(service_instance, 'vmv-role')
    assert [disk[3] for disk in storage(props)[1]] == [16 * GIB_KB, 3 * GIB_KB]
