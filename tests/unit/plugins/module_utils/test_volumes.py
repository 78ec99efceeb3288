# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The volumes' pure planning (_volumes): sizes, options, the record, and every rule and message of the plan."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _volumes as v
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError

GIB = 1024 * 1024      # KiB
CLASSES = {'fast': {'datastore': 'DS1'}, 'gold': {'storage_policy_id': 'pol-1'}, 'both': {'datastore': 'DS2', 'storage_policy_id': 'pol-2'}}
VM = '/DC0/vm/app01'


def message(error_info) -> str:
    return str(error_info.value)


def request(*volumes, classes=None):
    return v.VolumeRequest.of(list(volumes), CLASSES if classes is None else classes)


def scsi(key=1000, bus=0, used=(0,), kind='pvscsi'):
    return v.ObservedController(key=key, type=kind, bus=bus, used=frozenset(used))


def disk(key, controller_key, unit, gib, file='[DS0] app01/app01_1.vmdk', provisioning='thin'):
    return v.ObservedDisk(key=key, controller_key=controller_key, unit=unit, capacity_kb=gib * GIB, file=file, datastore=file[1:file.index(']')],
                          provisioning=provisioning)


BOOT = disk(2000, 1000, 0, 16, file='[DS0] app01/app01.vmdk')


def record(**entries):
    return json.dumps({name: {'provisioning': 'thin', 'slot': slot, 'storage_class': klass} for name, (slot, klass) in entries.items()})


def plan(req, record_text=None, disks=(BOOT,), controllers=None):
    return v.plan_volumes(req, record=record_text, disks=list(disks), controllers=[scsi()] if controllers is None else controllers, vm=VM,
                          own_datastore='DS0')


# -- sizes -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, mib', [
    (10, 10240), ('10', 10240), ('10Gi', 10240), ('512Mi', 512), ('1Ti', 1024 * 1024), ('1.5Gi', 1536), (' 2 Gi ', 2048),
    ('1048576Ki', 1024), ('62Ti', 62 * 1024 * 1024), ('1Mi', 1), ('0.5', 512),
])
def test_sizes(value, mib):
    assert v.parse_size(value, 'volumes[0].size') == mib


@pytest.mark.parametrize('value, reason', [
    ('10G', 'has a decimal suffix (G: powers of 1000)'), ('500M', 'has a decimal suffix (M: powers of 1000)'), ('10GB', 'is not a disk size'),
    ('10gi', 'is not a disk size'), ('', 'is not a disk size'), (True, 'is not a disk size'), (1.5, 'is not a disk size'), ([10], 'is not a disk size'),
    ('-1Gi', 'is not a disk size'), ('1e3Mi', 'is not a disk size'), ('1.5Mi', 'is not a whole number of MiB'), ('100Ki', 'is not a whole number of MiB'),
    (0, 'is out of range: a disk has 1Mi to 62Ti'), ('63Ti', 'is out of range'), (-2, 'is out of range'),
])
def test_bad_sizes_name_the_field_and_value(value, reason):
    with pytest.raises(SpecError) as info:
        v.parse_size(value, 'volumes[3].size')
    assert message(info).startswith('volumes[3].size: ')
    assert reason in message(info)


def test_size_message_says_what_is_accepted():
    with pytest.raises(SpecError) as info:
        v.parse_size('10GB', 'volumes[0].size')
    assert message(info) == ('volumes[0].size: 10GB is not a disk size: give GiB as an integer, or a Kubernetes quantity with a binary suffix: '
                             'Mi, Gi or Ti (512Mi, 10Gi, 1.5Ti; Ki when a whole number of MiB)')


@pytest.mark.parametrize('mib, text', [(10240, '10Gi'), (1536, '1536Mi'), (1024 * 1024, '1Ti'), (3 * 1024 * 1024 + 1024, '3073Gi'), (1, '1Mi')])
def test_format_size(mib, text):
    assert v.format_size(mib) == text
    assert v.parse_size(text, 'x') == mib


def test_format_kb():
    assert v.format_kb(16 * GIB) == '16Gi' and v.format_kb(1536) == '1536Ki'


# -- the options -------------------------------------------------------------------------------------------------------

def test_storage_classes():
    classes = v.parse_storage_classes(CLASSES)
    assert classes['fast'] == v.StorageClass('fast', datastore='DS1')
    assert classes['gold'] == v.StorageClass('gold', storage_policy_id='pol-1')
    assert classes['both'] == v.StorageClass('both', datastore='DS2', storage_policy_id='pol-2')
    assert v.parse_storage_classes(None) == {}


def test_bad_storage_classes_all_at_once():
    with pytest.raises(SpecError) as info:
        v.parse_storage_classes({'a': 'DS1', 'b': {'datastore_name': 'x'}, 'c': {}, 'd': {'datastore': ''}})
    assert message(info) == (
        '4 errors: (1) storage_classes.a: DS1 must be a mapping with datastore or storage_policy_id; (2) storage_classes.b.datastore_name: x is '
        'not a storage class field; fields: datastore, storage_policy_id; (3) storage_classes.c: {} needs datastore (a datastore name) or '
        'storage_policy_id (a vCenter storage policy ID), or both; (4) storage_classes.d.datastore: \'\' must be a non-empty string')
    with pytest.raises(SpecError, match=r'^storage_classes: list must be a mapping'):
        v.parse_storage_classes([])


def test_volume_request_defaults():
    req = request({'name': 'data', 'size': '10Gi'}, {'name': 'old', 'state': 'absent'})
    data, old = req.volumes
    assert data == v.VolumeSpec(name='data', size_mib=10240, storage_class=None, provisioning='thin', controller=None, state='present')
    assert old.size_mib is None and old.state == 'absent'
    assert data.path('size') == 'volumes[0].size' and req.path == 'volumes'


def test_every_volume_problem_at_once():
    with pytest.raises(SpecError) as info:
        request({'name': 'Data_1', 'size': '10Gi'}, {'name': 'logs'}, {'name': 'logs', 'size': 1, 'storage_class': 'slow', 'provisioning': 'thick-ish'},
                {'name': 'a' * 64, 'size': 1, 'controller': {'type': 'ide'}}, {'name': 'b', 'size': 1, 'controller': {'type': 'nvme', 'bus': 4}},
                {'name': 'c', 'size': 1, 'state': 'gone'}, 'd', {'name': 'e', 'size': 1, 'controller': 'pvscsi'})
    errors = [error.message for error in info.value.errors]
    assert errors == [
        'volumes[0].name: Data_1 is not a volume name: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 '
        'characters (a DNS label, as VM Operator requires)',
        "volumes[1].size: '' is required for a volume that is present (for example 10Gi)",
        'volumes[2].name: logs names a volume twice (also volumes[1].name)',
        'volumes[2].storage_class: slow is not a class of storage_classes (both, fast, gold)',
        'volumes[2].provisioning: thick-ish is not one of thin, thick, eager_zeroed_thick',
        'volumes[3].name: %s is not a volume name: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 '
        'characters (a DNS label, as VM Operator requires)' % ('a' * 64),
        'volumes[3].controller.type: ide is not a controller type; types: pvscsi, lsilogic, lsilogic_sas, buslogic, nvme, sata',
        'volumes[4].controller.bus: 4 is not a bus number: 0 to 3',
        'volumes[5].state: gone is not present or absent',
        'volumes[6]: str must be a mapping with name and size',
        'volumes[7].controller: pvscsi must be a mapping with type and bus',
    ]


def test_no_storage_classes_given():
    with pytest.raises(SpecError) as info:
        request({'name': 'data', 'size': 1, 'storage_class': 'fast'}, classes={})
    assert message(info) == 'volumes[0].storage_class: fast is not a class of storage_classes (none given)'


def test_volumes_must_be_a_list():
    with pytest.raises(SpecError, match=r'^volumes: dict must be a list of volumes$'):
        v.VolumeRequest.of({'name': 'data'}, {})


def test_paths_of_a_manifest_volume():
    with pytest.raises(SpecError) as info:
        v.VolumeRequest.of([{'name': 'data', 'size': '10GB', '_paths': {'size': 'claims.pvc-1.size'}}], {}, path='manifest.spec.volumes')
    assert message(info).startswith('claims.pvc-1.size: 10GB is not a disk size')


# -- the record -------------------------------------------------------------------------------------------------------

def test_record_round_trip_and_format():
    entries = {'logs': v.RecordEntry('nvme0:0', None, 'eager_zeroed_thick'), 'data': v.RecordEntry('scsi0:1', 'fast', 'thin')}
    text = v.record_text(entries)
    assert text == ('{"data":{"provisioning":"thin","slot":"scsi0:1","storage_class":"fast"},'
                    '"logs":{"provisioning":"eager_zeroed_thick","slot":"nvme0:0","storage_class":null}}')
    assert v.parse_record(text) == entries
    assert v.record_text({}) == '' and v.parse_record('') == {} and v.parse_record(None) == {}


@pytest.mark.parametrize('text, reason', [
    ('{data', 'is not JSON'), ('[1]', 'is not a JSON object'), ('{"data": {"slot": "disk1"}}', 'has no slot (like scsi0:1) for volume data'),
    ('{"data": 5}', 'has no slot'),
])
def test_damaged_record(text, reason):
    with pytest.raises(v.VolumeRecordError) as info:
        v.parse_record(text)
    assert message(info).startswith("the VM's guestnet.volumes record ") and reason in message(info) and message(info).endswith('fix or remove it')


# -- new volumes: where they go -------------------------------------------------------------------------------------------

def test_new_volumes_on_the_first_scsi_controller_and_a_new_nvme_one():
    req = request({'name': 'data', 'size': '10Gi', 'storage_class': 'fast'}, {'name': 'logs', 'size': 2, 'controller': {'type': 'nvme'},
                                                                              'storage_class': 'gold', 'provisioning': 'eager_zeroed_thick'})
    planned = plan(req)
    assert planned.changed
    assert planned.controllers == [v.NewController(key=-1001, type='nvme', bus=0)]
    data, logs = planned.actions
    assert data == v.VolumeAction('add', 'data', size_mib=10240, controller_key=1000, unit=1, datastore='DS1', storage_class='fast', new_key=-2001)
    assert logs == v.VolumeAction('add', 'logs', size_mib=2048, controller_key=-1001, unit=0, provisioning='eager_zeroed_thick', datastore=None,
                                  storage_class='gold', storage_policy_id='pol-1', new_key=-2002)
    assert planned.record_changes() == {'guestnet.volumes': (
        '{"data":{"provisioning":"thin","slot":"scsi0:1","storage_class":"fast"},'
        '"logs":{"provisioning":"eager_zeroed_thick","slot":"nvme0:0","storage_class":"gold"}}')}
    assert planned.before == []
    assert planned.after == [
        {'name': 'data', 'size': '10Gi', 'storage_class': 'fast', 'provisioning': 'thin', 'datastore': 'DS1', 'controller': {'type': 'pvscsi', 'bus': 0},
         'unit': 1, 'file': None},
        {'name': 'logs', 'size': '2Gi', 'storage_class': 'gold', 'provisioning': 'eager_zeroed_thick', 'datastore': 'DS0',
         'controller': {'type': 'nvme', 'bus': 0}, 'unit': 0, 'file': None}]


def test_scsi_unit_7_is_the_controllers_own():
    req = request(*({'name': 'd%d' % index, 'size': 1} for index in range(8)))
    planned = plan(req, controllers=[scsi(used=(0, 1, 2, 3, 4, 5), kind='lsilogic')])
    assert [(action.controller_key, action.unit) for action in planned.actions] == [
        (1000, 6), (1000, 8), (1000, 9), (1000, 10), (1000, 11), (1000, 12), (1000, 13), (1000, 14)]


def test_a_full_scsi_controller_gets_a_paravirtual_one_next_to_it():
    full = scsi(used=tuple(unit for unit in range(16) if unit != 7), kind='lsilogic_sas')
    planned = plan(request({'name': 'data', 'size': 1}, {'name': 'more', 'size': 1}), controllers=[full])
    assert planned.controllers == [v.NewController(key=-1001, type='pvscsi', bus=1)]
    assert [(action.controller_key, action.unit) for action in planned.actions] == [(-1001, 0), (-1001, 1)]
    assert planned.after[0]['controller'] == {'type': 'pvscsi', 'bus': 1}


def test_paravirtual_scsi_has_63_units():
    assert len(v.units_of('pvscsi')) == 63 and 7 not in v.units_of('pvscsi') and v.units_of('pvscsi')[-1] == 63
    assert len(v.units_of('lsilogic')) == 15 and len(v.units_of('nvme')) == 64 and len(v.units_of('sata')) == 30


def test_no_scsi_controller_at_all():
    planned = plan(request({'name': 'data', 'size': 1}), disks=(), controllers=[])
    assert planned.controllers == [v.NewController(key=-1001, type='pvscsi', bus=0)]


def test_four_full_controllers_leave_no_place():
    full = [scsi(key=1000 + bus, bus=bus, used=[unit for unit in range(16) if unit != 7], kind='buslogic') for bus in range(4)]
    with pytest.raises(SpecError) as info:
        plan(request({'name': 'data', 'size': 1}), disks=(), controllers=full)
    assert message(info) == ("volumes[0].controller: none given leaves no place for volume data: the VM's 4 SCSI controllers have no free unit "
                             "and there is no bus left for another one")


def test_a_bus_asked_for():
    sata = v.ObservedController(key=15000, type='sata', bus=0, used=frozenset({0}))     # a CD-ROM on unit 0
    planned = plan(request({'name': 'a', 'size': 1, 'controller': {'type': 'sata', 'bus': 0}},
                           {'name': 'b', 'size': 1, 'controller': {'type': 'pvscsi', 'bus': 2}},
                           {'name': 'c', 'size': 1, 'controller': {'type': 'sata'}}), controllers=[scsi(), sata])
    assert [(action.controller_key, action.unit) for action in planned.actions] == [(15000, 1), (-1001, 0), (15000, 2)]
    assert planned.controllers == [v.NewController(key=-1001, type='pvscsi', bus=2)]


def test_a_bus_of_another_type_or_full():
    with pytest.raises(SpecError) as info:
        plan(request({'name': 'a', 'size': 1, 'controller': {'type': 'lsilogic', 'bus': 0}}))
    assert message(info) == ('volumes[0].controller: lsilogic bus 0 leaves no place for volume a: the VM has a pvscsi controller at SCSI bus 0; '
                             'name that type, or another bus')
    full = v.ObservedController(key=15000, type='sata', bus=1, used=frozenset(range(30)))
    with pytest.raises(SpecError) as info:
        plan(request({'name': 'a', 'size': 1, 'controller': {'type': 'sata', 'bus': 1}}), controllers=[scsi(), full])
    assert message(info) == ('volumes[0].controller: sata bus 1 leaves no place for volume a: the sata controller at SATA bus 1 has no free unit; '
                             'name another bus')


# -- existing volumes ---------------------------------------------------------------------------------------------------

DATA = disk(2001, 1000, 1, 10, file='[DS1] app01/app01_1.vmdk')
LOGS = disk(3000, 31000, 0, 2, file='[DS0] app01/app01_2.vmdk')
NVME = v.ObservedController(key=31000, type='nvme', bus=0, used=frozenset({0}))
RECORDED = record(data=('scsi0:1', 'fast'), logs=('nvme0:0', None))
ON_VM = dict(record_text=RECORDED, disks=(BOOT, DATA, LOGS), controllers=[scsi(used=(0, 1)), NVME])


def listed(data=None, logs=None):
    return request(dict({'name': 'data', 'size': '10Gi', 'storage_class': 'fast'}, **(data or {})),
                   dict({'name': 'logs', 'size': 2, 'controller': {'type': 'nvme', 'bus': 0}}, **(logs or {})))


def test_the_same_list_changes_nothing():
    planned = plan(listed(), **ON_VM)
    assert not planned.changed and planned.actions == [] and planned.controllers == [] and planned.record_changes() == {}
    assert planned.before == planned.after
    assert planned.after[0] == {'name': 'data', 'size': '10Gi', 'storage_class': 'fast', 'provisioning': 'thin', 'datastore': 'DS1',
                                'controller': {'type': 'pvscsi', 'bus': 0}, 'unit': 1, 'file': '[DS1] app01/app01_1.vmdk'}


def test_grow():
    planned = plan(listed(data={'size': '12Gi'}), **ON_VM)
    assert planned.actions == [v.VolumeAction('grow', 'data', size_mib=12288, disk_key=2001)]
    assert planned.changed and planned.record_changes() == {}
    assert planned.before[0]['size'] == '10Gi' and planned.after[0]['size'] == '12Gi'


def test_shrink_is_refused():
    with pytest.raises(SpecError) as info:
        plan(listed(data={'size': 8}), **ON_VM)
    assert message(info) == ('volumes[0].size: 8Gi is smaller than the disk of volume data (10Gi): disks never shrink; keep the size, or remove the '
                             'volume (state: absent, which deletes its data) and add it again')


def test_a_recorded_volume_left_out():
    with pytest.raises(SpecError) as info:
        plan(request({'name': 'data', 'size': '10Gi', 'storage_class': 'fast'}), **ON_VM)
    assert message(info) == ('volumes: volume logs is on VM /DC0/vm/app01 (disk nvme0:0) but not listed; to keep it, list it (with its size); to '
                             'delete it and its disk file, list it with state: absent')
    with pytest.raises(SpecError) as info:
        v.plan_volumes(v.VolumeRequest.of([], {}, path='manifest.spec.volumes'), vm=VM, own_datastore='DS0', **ON_VM_PLAIN)
    assert [error.message.split(' is on ')[0] for error in info.value.errors] == ['manifest.spec.volumes: volume data', 'manifest.spec.volumes: volume logs']


ON_VM_PLAIN = dict(record=RECORDED, disks=(BOOT, DATA, LOGS), controllers=[scsi(used=(0, 1)), NVME])


def test_absent_removes_the_disk_and_then_forgets_it():
    planned = plan(request({'name': 'data', 'size': '10Gi', 'storage_class': 'fast'}, {'name': 'logs', 'state': 'absent'}), **ON_VM)
    assert planned.actions == [v.VolumeAction('remove', 'logs', disk_key=3000)]
    assert planned.record_changes() == {'guestnet.volumes': '{"data":{"provisioning":"thin","slot":"scsi0:1","storage_class":"fast"}}'}
    assert [view['name'] for view in planned.before] == ['data', 'logs'] and [view['name'] for view in planned.after] == ['data']
    # everything gone: the record is cleared ('' deletes the key)
    gone = plan(request({'name': 'data', 'state': 'absent'}, {'name': 'logs', 'state': 'absent'}), **ON_VM)
    assert [action.action for action in gone.actions] == ['remove', 'remove'] and gone.record_changes() == {'guestnet.volumes': ''}
    # absent and never made: nothing to do
    nothing = plan(request({'name': 'other', 'state': 'absent'}))
    assert not nothing.changed and nothing.actions == []


def test_absent_whose_disk_is_gone_only_forgets_it():
    planned = plan(request({'name': 'logs', 'state': 'absent'}), record_text=record(logs=('nvme0:0', None)), controllers=[scsi()])
    assert planned.actions == [v.VolumeAction('forget', 'logs')] and planned.changed
    assert planned.record_changes() == {'guestnet.volumes': ''}


def test_a_recorded_disk_that_is_gone():
    with pytest.raises(SpecError) as info:
        plan(request({'name': 'logs', 'size': 2}), record_text=record(logs=('nvme0:0', None)))
    assert message(info) == ('volumes[0].name: volume logs is recorded at nvme0:0 of VM /DC0/vm/app01, where there is no disk (removed or moved '
                             'outside guestnet.vsphere); list it with state: absent to forget it, then as present again for a new, empty disk')


def test_storage_class_provisioning_and_controller_are_immutable():
    with pytest.raises(SpecError) as info:
        plan(listed(data={'storage_class': 'gold', 'provisioning': 'thick'}, logs={'storage_class': 'fast', 'controller': {'type': 'sata'}}), **ON_VM)
    redo = ("a volume's storage class, provisioning and controller are fixed when its disk is made: to change them, remove the volume (state: "
            "absent, which deletes its data) and add it again")
    assert [error.message for error in info.value.errors] == [
        'volumes[0].storage_class: gold differs from the storage class of volume data (fast): ' + redo,
        'volumes[0].provisioning: thick differs from the provisioning of volume data (thin): ' + redo,
        "volumes[1].storage_class: fast differs from the storage class of volume logs (none, the VM's datastore): " + redo,
        'volumes[1].controller: sata differs from the controller of volume logs (nvme bus 0, nvme0:0): ' + redo,
    ]
    with pytest.raises(SpecError) as info:
        plan(listed(data={'storage_class': None}, logs={'controller': {'type': 'nvme', 'bus': 1}}), **ON_VM)
    assert [error.message.split(' differs')[0] for error in info.value.errors] == [
        "volumes[0].storage_class: none (the VM's datastore)", 'volumes[1].controller: nvme bus 1']


def test_a_new_volume_does_not_take_a_removed_ones_slot():
    planned = plan(request({'name': 'data', 'state': 'absent'}, {'name': 'logs', 'size': 2, 'controller': {'type': 'nvme'}},
                           {'name': 'new', 'size': 1}), **ON_VM)
    assert [(action.action, action.unit) for action in planned.actions] == [('remove', None), ('add', 2)]


def test_errors_of_several_volumes_come_together():
    with pytest.raises(SpecError) as info:
        plan(request({'name': 'data', 'size': 1, 'storage_class': 'fast'}, {'name': 'logs', 'size': 1, 'provisioning': 'thick'}), **ON_VM)
    assert len(info.value.errors) == 3


# -- datastores ---------------------------------------------------------------------------------------------------------

def test_datastores_to_check():
    planned = plan(request({'name': 'a', 'size': 1, 'storage_class': 'fast'}, {'name': 'b', 'size': 1, 'storage_class': 'both'},
                           {'name': 'c', 'size': 1, 'storage_class': 'gold'}, {'name': 'd', 'size': 1}))
    assert v.foreign_datastores(planned, 'DS0') == ['DS1', 'DS2'] and v.foreign_datastores(planned, 'DS1') == ['DS2']
    v.check_datastores(planned, {'DS0', 'DS1', 'DS2'}, 'host H0')
    with pytest.raises(SpecError) as info:
        v.check_datastores(planned, {'DS0', 'DS1'}, 'host H0 of VM /DC0/vm/app01')
    assert message(info) == 'storage_classes.both.datastore: DS2 is not a datastore host H0 of VM /DC0/vm/app01 reaches (DS0, DS1); volume b needs it'
    existing = plan(listed(), **ON_VM)
    assert v.foreign_datastores(existing, 'DS0') == []


def test_views_of_what_is_recorded():
    views = v.volume_views(v.parse_record(RECORDED), [BOOT, DATA, LOGS], [scsi(used=(0, 1)), NVME], names=['logs', 'data', 'gone'])
    assert [(view['name'], view['controller'], view['unit'], view['size']) for view in views] == [
        ('logs', {'type': 'nvme', 'bus': 0}, 0, '2Gi'), ('data', {'type': 'pvscsi', 'bus': 0}, 1, '10Gi')]
