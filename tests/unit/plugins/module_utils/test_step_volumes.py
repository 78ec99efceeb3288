# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The volumes step (_step_volumes) and its place in the vm module's flows, against the fake vCenter (_fakevc): the device
specs, which call carries them, and that a VM with nothing to do costs nothing more. The session's calls are not counted."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _step_volumes as volume_step
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._reconcile import VmRequest, reconcile
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import storage_records
from ansible_collections.guestnet.vsphere.plugins.module_utils._volumes import (
    NewController,
    ObservedController,
    VolumeAction,
    VolumePlan,
    VolumeRequest,
)
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter, vim

NOOP = {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 1}
GIB = 1024 * 1024
CLASSES = {'fast': {'datastore': 'DS1'}, 'gold': {'storage_policy_id': 'pol-1'}}


def boot_disk(name):
    controller = vim.vm.device.ParaVirtualSCSIController(key=1000, busNumber=0, sharedBus='noSharing')
    backing = vim.vm.device.VirtualDisk.FlatVer2BackingInfo(fileName='[DS0] %s/%s.vmdk' % (name, name), thinProvisioned=True, diskMode='persistent')
    disk = vim.vm.device.VirtualDisk(key=2000, controllerKey=1000, unitNumber=0, capacityInKB=16 * GIB, capacityInBytes=16 * GIB * 1024,
                                     backing=backing, deviceInfo=vim.Description(label='Hard disk 1', summary=''))
    return [controller, disk]


@pytest.fixture(name='fake')
def fake_fixture():
    fake = standard_vcenter()
    datacenter = fake.objects['datacenter-1']
    folder = fake.add('Folder', 'group-s1', name='datastore', parent=datacenter)     # where a placement read finds the datastores
    fake.set(datacenter, datastoreFolder=folder)
    fake.set(fake.objects['datastore-1'], parent=folder)
    ds1 = fake.add('Datastore', 'datastore-2', name='DS1', parent=folder)
    fake.children(folder)
    for moid, name in (('vm-1', 'linux-template'), ('vm-2', 'web01')):
        ref = fake.objects[moid]
        fake.set(ref, config__hardware__device=list(fake.get(ref, 'config.hardware.device')) + boot_disk(name))
    for device in fake.get(fake.objects['vm-2'], 'config.hardware.device'):
        if isinstance(device, vim.vm.device.VirtualEthernetCard):
            device.connectable.connected = True       # web01 runs with its NIC connected: nothing to do but the volumes
    fake.set(fake.objects['domain-c1'], datastore=[fake.objects['datastore-1'], ds1])
    for host in ('host-0', 'host-1'):
        fake.set(fake.objects[host], datastore=[fake.objects['datastore-1'], ds1], name='H%s' % host[-1])
    return fake


def capture(fake, method):
    """The arguments of every call of method (the calls still go through)."""
    seen = []
    original = getattr(fake, '_' + method)

    def wrapper(mo, **kwargs):
        seen.append(kwargs)
        return original(mo, **kwargs)
    setattr(fake, '_' + method, wrapper)
    return seen


def run(fake, params, check_mode=False):
    fake.calls.clear()
    outcome = reconcile(Context(fake.client(), check_mode=check_mode, diff=True), VmRequest.of(params))
    return outcome, dict(fake.calls)


def web01(**more):
    params = dict(name='web01', datacenter='DC0', power_state='powered_on', storage_classes=CLASSES,
                  network={'interfaces': [{'name': 'eth0', 'network': 'PG-A', 'dhcp4': True}]})
    params.update(more)
    return params


def records(fake, moid='vm-2'):
    return {option.key: option.value for option in fake.get(fake.objects[moid], 'config.extraConfig') or []}


# -- the adapter and the device specs -------------------------------------------------------------------------------------

def test_storage_records_read_controllers_units_and_disks():
    cdrom = vim.vm.device.VirtualCdrom(key=3000, controllerKey=15000, unitNumber=0)
    sata = vim.vm.device.VirtualAHCIController(key=15000, busNumber=0)
    backing = vim.vm.device.VirtualDisk.FlatVer2BackingInfo(fileName='[DS1] web01/web01_1.vmdk', thinProvisioned=False, eagerlyScrub=True)
    eager = vim.vm.device.VirtualDisk(key=2001, controllerKey=1000, unitNumber=1, capacityInKB=2 * GIB, backing=backing)
    controllers, disks, raw = storage_records(boot_disk('web01') + [eager, sata, cdrom, vim.vm.device.VirtualVmxnet3(key=4000)])
    assert controllers == (ObservedController(1000, 'pvscsi', 0, frozenset({0, 1})), ObservedController(15000, 'sata', 0, frozenset({0})))
    assert [(d.key, d.unit, d.capacity_kb, d.datastore, d.provisioning) for d in disks] == [
        (2000, 0, 16 * GIB, 'DS0', 'thin'), (2001, 1, 2 * GIB, 'DS1', 'eager_zeroed_thick')]
    assert sorted(raw) == [2000, 2001]


def test_device_changes():
    devices = {2000: boot_disk('web01')[1], 2001: vim.vm.device.VirtualDisk(key=2001, controllerKey=1000, unitNumber=1, capacityInKB=GIB)}
    plan = VolumePlan(actions=[VolumeAction('grow', 'data', size_mib=2048, disk_key=2000), VolumeAction('remove', 'old', disk_key=2001),
                               VolumeAction('add', 'logs', size_mib=512, controller_key=-1001, unit=0, provisioning='eager_zeroed_thick',
                                            storage_class='fast', datastore='DS1', new_key=-2001),
                               VolumeAction('add', 'tmp', size_mib=1024, controller_key=1000, unit=2, storage_class='gold',
                                            storage_policy_id='pol-1', new_key=-2002),
                               VolumeAction('forget', 'gone')],
                      controllers=[NewController(-1001, 'pvscsi', 1), NewController(-1002, 'nvme', 0)], record_before={}, record_after={}, before=[],
                      after=[])
    datastore = vim.Datastore('datastore-2')
    planned = volume_step.VolumesPlanned(request=VolumeRequest(()), plan=plan, own_datastore='DS0', datastores={'DS1': datastore})
    remove, scsi, nvme, logs, tmp, grow = volume_step.device_changes(planned, devices)
    assert (remove.operation, remove.fileOperation, remove.device.key) == ('remove', 'destroy', 2001)
    assert isinstance(scsi.device, vim.vm.device.ParaVirtualSCSIController) and (scsi.device.key, scsi.device.busNumber) == (-1001, 1)
    assert scsi.device.sharedBus == 'noSharing' and scsi.operation == 'add'
    assert isinstance(nvme.device, vim.vm.device.VirtualNVMEController) and nvme.device.busNumber == 0
    assert (logs.operation, logs.fileOperation) == ('add', 'create') and not logs.profile
    disk = logs.device
    assert (disk.key, disk.controllerKey, disk.unitNumber, disk.capacityInKB, disk.capacityInBytes) == (-2001, -1001, 0, 512 * 1024, 512 * GIB)
    assert (disk.backing.fileName, disk.backing.thinProvisioned, disk.backing.eagerlyScrub, disk.backing.diskMode) == ('[DS1]', False, True,
                                                                                                                       'persistent')
    assert disk.backing.datastore == datastore
    assert tmp.device.backing.fileName == '' and tmp.device.backing.thinProvisioned is True
    assert [profile.profileId for profile in tmp.profile] == ['pol-1']
    assert (grow.operation, grow.device.key, grow.device.capacityInKB, grow.device.capacityInBytes) == ('edit', 2000, 2 * GIB, 2 * GIB * 1024)


# -- the flows -------------------------------------------------------------------------------------------------------------

def test_existing_vm_add_grow_remove_each_in_one_reconfigure(fake):
    reconfigures = capture(fake, 'ReconfigVM_Task')
    volumes = [{'name': 'data', 'size': '10Gi', 'storage_class': 'fast'}]
    added, calls = run(fake, web01(volumes=volumes))
    # the class datastore is not the VM's own: one read of its host's datastores, then the reconfigure and its check
    assert calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 3, 'ReconfigVM_Task': 1}, calls
    assert added.changed and added.result['steps']['volumes'] == {'changed': True}
    spec = reconfigures[-1]['spec']
    assert [(change.operation, change.fileOperation, change.device.unitNumber) for change in spec.deviceChange] == [('add', 'create', 1)]
    assert {option.key: option.value for option in spec.extraConfig} == {
        'guestnet.volumes': '{"data":{"provisioning":"thin","slot":"scsi0:1","storage_class":"fast"}}'}
    assert added.result['volumes'] == [{'name': 'data', 'size': '10Gi', 'storage_class': 'fast', 'provisioning': 'thin', 'datastore': 'DS1',
                                        'controller': {'type': 'pvscsi', 'bus': 0}, 'unit': 1, 'file': None}]
    assert added.result['diff']['before']['volumes'] == [] and added.result['diff']['after']['volumes'] == added.result['volumes']
    # the fake gives the new disk a file name, as vCenter would
    for device in fake.get(fake.objects['vm-2'], 'config.hardware.device'):
        if isinstance(device, vim.vm.device.VirtualDisk) and device.unitNumber == 1:
            device.backing.fileName = '[DS1] web01/web01_1.vmdk'
    again, calls = run(fake, web01(volumes=volumes))
    assert not again.changed and calls == NOOP and again.result['volumes'][0]['file'] == '[DS1] web01/web01_1.vmdk'
    grown, calls = run(fake, web01(volumes=[dict(volumes[0], size='12Gi')]))
    assert calls == dict(NOOP, RetrievePropertiesEx=2, ReconfigVM_Task=1) and grown.changed
    assert [(change.operation, change.device.capacityInKB) for change in reconfigures[-1]['spec'].deviceChange] == [('edit', 12 * GIB)]
    assert not reconfigures[-1]['spec'].extraConfig
    removed, calls = run(fake, web01(volumes=[{'name': 'data', 'state': 'absent'}]))
    assert calls == dict(NOOP, RetrievePropertiesEx=2, ReconfigVM_Task=1) and removed.result['volumes'] == []
    assert [(change.operation, change.fileOperation) for change in reconfigures[-1]['spec'].deviceChange] == [('remove', 'destroy')]
    assert 'guestnet.volumes' not in records(fake)


def test_volumes_not_given_are_not_looked_at(fake):
    fake.set(fake.objects['vm-2'], config__extraConfig=list(fake.get(fake.objects['vm-2'], 'config.extraConfig')) + [
        vim.option.OptionValue(key='guestnet.volumes', value='not json')])
    outcome, calls = run(fake, web01())
    assert calls == NOOP and 'volumes' not in outcome.result and 'volumes' not in outcome.result['steps']
    with pytest.raises(ValueError, match="guestnet.volumes record is not JSON"):
        run(fake, web01(volumes=[]))


def test_the_own_datastore_needs_no_read_and_rides_with_the_nic_change(fake):
    reconfigures = capture(fake, 'ReconfigVM_Task')
    outcome, calls = run(fake, web01(connected=False, volumes=[{'name': 'tmp', 'size': 1, 'storage_class': 'gold'}]))
    assert calls == dict(NOOP, RetrievePropertiesEx=3, ReconfigVM_Task=1), calls     # + the NICs read back after their change
    changes = reconfigures[0]['spec'].deviceChange
    assert [type(change.device).__name__.rsplit('.', 1)[-1] for change in changes] == ['VirtualVmxnet3', 'VirtualDisk']
    assert outcome.result['steps']['network'] == {'changed': True} and outcome.result['volumes'][0]['datastore'] == 'DS0'


def test_check_mode_changes_nothing(fake):
    outcome, calls = run(fake, web01(volumes=[{'name': 'tmp', 'size': 1}]), check_mode=True)
    assert calls == NOOP and outcome.changed and outcome.result['volumes'][0]['unit'] == 1
    assert 'guestnet.volumes' not in records(fake)


def test_a_datastore_the_host_does_not_have(fake):
    params = web01(volumes=[{'name': 'data', 'size': 1, 'storage_class': 'far'}], storage_classes={'far': {'datastore': 'DS9'}})
    with pytest.raises(SpecError) as info:
        run(fake, params)
    assert str(info.value) == 'storage_classes.far.datastore: DS9 is not a datastore host H0 of VM /DC0/vm/web01 reaches (DS0, DS1); volume data needs it'
    assert fake.calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 2}


def test_a_new_vm_gets_its_disks_and_record_in_the_clone(fake):
    clones = capture(fake, 'CloneVM_Task')
    params = dict(web01(name='app02', cluster='C0', image='linux-template', remove_unmanaged=True), power_state='powered_off',
                  volumes=[{'name': 'data', 'size': '10Gi', 'storage_class': 'fast'}, {'name': 'logs', 'size': 1, 'controller': {'type': 'nvme'}}])
    outcome, calls = run(fake, params)
    plain, plain_calls = run(fake, dict(params, name='app03', volumes=None))
    assert calls == plain_calls, (calls, plain_calls)
    spec = clones[0]['spec'].config
    kinds = [(change.operation, type(change.device).__name__.rsplit('.', 1)[-1]) for change in spec.deviceChange]
    assert kinds[-3:] == [('add', 'VirtualNVMEController'), ('add', 'VirtualDisk'), ('add', 'VirtualDisk')]
    assert json.loads({option.key: option.value for option in spec.extraConfig}['guestnet.volumes']) == {
        'data': {'provisioning': 'thin', 'slot': 'scsi0:1', 'storage_class': 'fast'},
        'logs': {'provisioning': 'thin', 'slot': 'nvme0:0', 'storage_class': None}}
    assert outcome.result['steps']['volumes'] == {'changed': True} and plain.result['steps'].get('volumes') is None


def test_a_new_vm_class_datastore_outside_the_cluster(fake):
    params = dict(web01(name='app02', cluster='C0', image='linux-template'), storage_classes={'far': {'datastore': 'DS9'}},
                  volumes=[{'name': 'data', 'size': 1, 'storage_class': 'far'}])
    with pytest.raises(SpecError) as info:
        run(fake, params, check_mode=True)
    assert str(info.value) == 'storage_classes.far.datastore: DS9 is not a datastore cluster C0 reaches (DS0, DS1); volume data needs it'


def test_manifest_volumes_name_their_claims():
    manifest = {'apiVersion': 'vmoperator.vmware.com/v1alpha3', 'kind': 'VirtualMachine', 'metadata': {'name': 'vm01'},
                'spec': {'volumes': [{'name': 'data', 'persistentVolumeClaim': {'claimName': 'pvc-1'}}]}}
    request = VmRequest.of({'manifest': manifest, 'claims': {'pvc-1': {'size': '8Gi', 'storage_class': 'fast'}}, 'storage_classes': CLASSES})
    assert [(volume.name, volume.size_mib, volume.storage_class) for volume in request.volumes.volumes] == [('data', 8192, 'fast')]
    assert request.volumes.path == 'manifest.spec.volumes'
    with pytest.raises(SpecError) as info:
        VmRequest.of({'manifest': manifest, 'claims': {'pvc-1': {'size': '8G', 'storage_class': 'slow'}}, 'storage_classes': CLASSES})
    assert [error.message.split(' ')[0] for error in info.value.errors] == ['claims.pvc-1.size:', 'claims.pvc-1.storage_class:']
    # volumes given as an option win: the manifest's claims are not resolved
    own = VmRequest.of({'manifest': manifest, 'volumes': [{'name': 'x', 'size': 1}]})
    assert [volume.name for volume in own.volumes.volumes] == ['x'] and own.volumes.path == 'volumes'
    # deleting the VM: volumes are not looked at
    assert VmRequest.of({'name': 'vm01', 'state': 'absent', 'volumes': [{'name': 'Bad'}]}).volumes is None
