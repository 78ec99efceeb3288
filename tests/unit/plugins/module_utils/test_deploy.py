# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vm_deploy's pure planning helpers: VM class, records, immutability, the clone's ConfigSpec."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import uuid

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _deploy, _vmodl
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError

SEED_CLASS = {'cpus': 2, 'memory': '4Gi', 'cpu_reservation': 200, 'cpu_limit': 400, 'memory_reservation': 1024, 'memory_limit': 2048}


# -- memory ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, mib', [
    (4096, 4096), ('4096', 4096), ('4Gi', 4096), ('512Mi', 512), ('1.5Gi', 1536), ('1Ti', 1024 * 1024), (' 8 Gi ', 8192), ('4', 4),
])
def test_memory_sizes(value, mib):
    assert _deploy.parse_memory(value) == mib


@pytest.mark.parametrize('value, reason', [
    ('4GB', 'is not a memory size'), ('4G', 'is not a memory size'), ('4gi', 'is not a memory size'), ('', 'is not a memory size'),
    (True, 'is not a memory size'), (4.5, 'is not a memory size'), ([4], 'is not a memory size'),
    ('0.3Mi', 'is not a whole number of MiB'), (0, 'is out of range'), (-4, 'is out of range'), ('25Ti', 'is out of range'),
    (1022, 'is not a multiple of 4 MiB'), ('1.1Gi', 'is not a whole number of MiB'),
])
def test_bad_memory_names_field_and_value(value, reason):
    with pytest.raises(SpecError) as info:
        _deploy.parse_memory(value)
    assert str(info.value).startswith('vm_class.memory: ')
    assert reason in str(info.value)


def test_memory_error_shows_the_value():
    with pytest.raises(SpecError, match=r'^vm_class\.memory: 4GB is not a memory size: give MiB as an integer or a string like 512Mi, 4Gi or 1Ti$'):
        _deploy.parse_memory('4GB')


# -- class ----------------------------------------------------------------------------------------------------------

def test_seed_class_normalized_and_recorded():
    cls = _deploy.parse_class(dict(SEED_CLASS, adapter_types=['E1000', 'VirtualVmxnet2']))
    assert cls == {'adapter_types': ['e1000', 'vmxnet2'], 'cpu_limit': 400, 'cpu_reservation': 200, 'cpus': 2, 'memory': 4096,
                   'memory_limit': 2048, 'memory_reservation': 1024}
    assert list(cls) == sorted(cls)
    record = _deploy.class_record(cls)
    assert record == ('{"adapter_types":["e1000","vmxnet2"],"cpu_limit":400,"cpu_reservation":200,"cpus":2,"memory":4096,'
                      '"memory_limit":2048,"memory_reservation":1024}')
    assert _deploy.parse_class_record(record) == cls
    assert _deploy.adapter_types_of(record) == ('e1000', 'vmxnet2')


def test_class_unset_fields_are_left_out():
    # Ansible passes every suboption, unset ones as None
    raw = {key: None for key in _deploy.CLASS_FIELDS}
    raw.update(cpus=4)
    assert _deploy.parse_class(raw) == {'cpus': 4}
    assert _deploy.parse_class(None) == {}
    assert _deploy.class_record({}) == '{}'
    assert _deploy.adapter_types_of('{}') == () and _deploy.adapter_types_of(None) == ()


def test_same_class_in_other_units_records_the_same():
    one = _deploy.parse_class({'memory': '4Gi', 'cpus': '2', 'adapter_types': ['VMXNET3']})
    two = _deploy.parse_class({'cpus': 2, 'memory': 4096, 'adapter_types': ['vmxnet3']})
    assert _deploy.class_record(one) == _deploy.class_record(two)


def test_unlimited_limits():
    assert _deploy.parse_class({'cpu_limit': -1, 'cpu_reservation': 1000, 'memory_limit': -1}) == {
        'cpu_limit': -1, 'cpu_reservation': 1000, 'memory_limit': -1}


@pytest.mark.parametrize('raw, message', [
    ({'cpus': 0}, 'vm_class.cpus: 0 is out of range: 1 to 768'),
    ({'cpus': 'two'}, 'vm_class.cpus: two is not an integer'),
    ({'cpus': True}, 'vm_class.cpus: True is not an integer'),
    ({'cpu_reservation': -1}, 'vm_class.cpu_reservation: -1 must be at least 0'),
    ({'cpu_limit': -2}, 'vm_class.cpu_limit: -2 must be at least -1 (-1 means unlimited)'),
    ({'cpu_reservation': 500, 'cpu_limit': 400}, 'vm_class.cpu_reservation: 500 is above vm_class.cpu_limit (400)'),
    ({'memory_reservation': 4096, 'memory_limit': 2048}, 'vm_class.memory_reservation: 4096 is above vm_class.memory_limit (2048)'),
    ({'memory': '1Gi', 'memory_reservation': 2048}, 'vm_class.memory_reservation: 2048 is above the memory size (1024 MB)'),
    ({'adapter_types': 'vmxnet3'}, 'vm_class.adapter_types: vmxnet3 must be a list of network adapter types'),
    ({'adapter_types': ['vmxnet3', 'rtl8139']}, 'vm_class.adapter_types[1]: rtl8139 is not a network adapter type; valid types: e1000,'),
    ({'adapter_types': ['vmxnet3', 7]}, 'vm_class.adapter_types[1]: 7 is not a network adapter type'),
    ({'adapter_types': ['vmxnet3'] * 11}, 'vm_class.adapter_types: 11 adapter types are too many: at most 10'),
    ({'sockets': 2}, 'vm_class.sockets: 2 is not a VM class field; fields: cpus, memory,'),
    ('small', 'vm_class: str must be a mapping'),
])
def test_bad_class(raw, message):
    with pytest.raises(SpecError) as info:
        _deploy.parse_class(raw)
    assert str(info.value).startswith(message), str(info.value)


def test_damaged_class_record():
    with pytest.raises(_deploy.ImmutableError, match='guestnet.class record is not JSON'):
        _deploy.parse_class_record('{cpus: 2')
    with pytest.raises(_deploy.ImmutableError, match='not a JSON object'):
        _deploy.parse_class_record('[1]')


# -- images, names, UUIDs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('image, matches', [
    ('ubuntu', True), ('templates/ubuntu', True), ('vm/templates/ubuntu', True), ('/DC0/vm/templates/ubuntu', True),
    ('DC0/vm/templates/ubuntu/', True), ('buntu', False), ('other/ubuntu', False), ('ubuntu2', False), ('', False),
])
def test_image_matches_record(image, matches):
    assert _deploy.image_matches('/DC0/vm/templates/ubuntu', image) is matches


def test_split_image():
    assert _deploy.split_image('ubuntu') == ('ubuntu', None)
    assert _deploy.split_image('/DC0/vm/templates/ubuntu') == ('ubuntu', 'DC0/vm/templates')


def test_close_names():
    names = ['linux-template', 'windows-template', 'vapp-template', 'zeta']
    assert _deploy.close_names('linux-templat', names)[0] == 'linux-template'
    assert _deploy.close_names('qqqq', names, count=2) == ['linux-template', 'vapp-template']


def test_uuids():
    assert _deploy.normalize_uuid('4213A3E2-7C2A-4E4B-9F5E-2D1C0B9A8F71', 'bios_uuid') == '4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71'
    assert _deploy.normalize_uuid('{4213a3e27c2a4e4b9f5e2d1c0b9a8f71}', 'bios_uuid') == '4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71'
    with pytest.raises(SpecError, match='^instance_uuid: nope is not a UUID'):
        _deploy.normalize_uuid('nope', 'instance_uuid')
    fresh = _deploy.new_uuid()
    assert uuid.UUID(fresh).version == 4 and fresh != _deploy.new_uuid()


def test_vm_names():
    assert _deploy.validate_vm_name('web01') == 'web01'
    with pytest.raises(SpecError, match="^name: '' is not a VM name"):
        _deploy.validate_vm_name('')
    with pytest.raises(SpecError, match='is longer than 80 characters'):
        _deploy.validate_vm_name('x' * 81)


# -- immutability ---------------------------------------------------------------------------------------------------

RECORDS = {_deploy.IMAGE_KEY: '/DC0/vm/linux-template', _deploy.CLASS_KEY: '{"cpus":2,"memory":4096}', 'other': 'x'}


def test_unchanged_passes():
    _deploy.check_immutable(RECORDS, '/DC0/vm/web01')
    _deploy.check_immutable(RECORDS, '/DC0/vm/web01', image='linux-template', cls={'memory': 4096, 'cpus': 2},
                            identity={'bios_uuid': ('ABC', 'abc'), 'instance_uuid': (None, 'x')})


def test_other_image_or_class_says_redeploy():
    with pytest.raises(_deploy.ImmutableError) as info:
        _deploy.check_immutable(RECORDS, '/DC0/vm/web01', image='windows-template', cls={'cpus': 4, 'memory': 4096})
    assert str(info.value) == (
        'VM /DC0/vm/web01 cannot change its image or vm_class after deployment: redeploy it (state=absent, then state=present) '
        'to use image windows-template (it was deployed from /DC0/vm/linux-template); '
        'vm_class {"cpus":4,"memory":4096} (it was deployed with {"cpus":2,"memory":4096})')


def test_partial_class_is_a_different_class():
    with pytest.raises(_deploy.ImmutableError, match=r'vm_class \{"cpus":2\}'):
        _deploy.check_immutable(RECORDS, 'web01', cls={'cpus': 2})


def test_identity_changes_are_refused():
    with pytest.raises(_deploy.ImmutableError, match=r'its guest_id after deployment.*guest_id rhel9_64Guest \(it has ubuntu64Guest\)'):
        _deploy.check_immutable(RECORDS, 'web01', identity={'guest_id': ('rhel9_64Guest', 'ubuntu64Guest')})


def test_hardware_drift():
    cls = {'cpus': 2, 'memory': 4096, 'cpu_limit': 400, 'adapter_types': ['vmxnet3']}
    assert _deploy.hardware_drift(cls, {'cpus': 2, 'memory': 4096, 'cpu_limit': 400}) == []
    assert _deploy.hardware_drift(cls, {'cpus': 4, 'memory': 4096, 'cpu_limit': None}) == ['cpus: class 2, VM 4']
    assert _deploy.hardware_drift({}, {'cpus': 4}) == []


# -- the clone's ConfigSpec -----------------------------------------------------------------------------------------

def test_config_spec_plain_data():
    cls = _deploy.parse_class(dict(SEED_CLASS, adapter_types=['vmxnet3']))
    spec = _deploy.config_spec(cls, '/DC0/vm/linux-template', guest_id='ubuntu64Guest', bios_uuid='b', instance_uuid='i')
    assert spec['numCPUs'] == 2 and spec['memoryMB'] == 4096 and spec['guestId'] == 'ubuntu64Guest'
    assert spec['cpuAllocation'] == {'_type': 'vim.ResourceAllocationInfo', 'limit': 400, 'reservation': 200}
    assert spec['memoryAllocation'] == {'_type': 'vim.ResourceAllocationInfo', 'limit': 2048, 'reservation': 1024}
    assert spec['uuid'] == 'b' and spec['instanceUuid'] == 'i'
    extra = {item['key']: item['value'] for item in spec['extraConfig']}
    assert extra == {'guestnet.image': '/DC0/vm/linux-template', 'guestnet.class': _deploy.class_record(cls)}
    assert json.loads(extra['guestnet.class'])['adapter_types'] == ['vmxnet3']


def test_config_spec_without_class_keeps_the_template_hardware():
    spec = _deploy.config_spec({}, '/DC0/vm/t')
    assert spec['numCPUs'] is None and spec['memoryMB'] is None and spec['cpuAllocation'] is None and spec['guestId'] is None
    assert _deploy.records_spec({}, '/DC0/vm/t') == {'_type': 'vim.vm.ConfigSpec', 'extraConfig': spec['extraConfig']}


@pytest.mark.skipif(not _vmodl.HAS_PYVMOMI, reason='pyVmomi is not installed')
def test_config_spec_converts_to_pyvmomi():
    cls = _deploy.parse_class(SEED_CLASS)
    spec = _vmodl.to_vmodl(_deploy.config_spec(cls, '/DC0/vm/t', guest_id='ubuntu64Guest', bios_uuid=_deploy.new_uuid()))
    assert spec.numCPUs == 2 and spec.memoryMB == 4096 and spec.cpuAllocation.limit == 400
    assert [option.key for option in spec.extraConfig] == ['guestnet.class', 'guestnet.image']
    only_limit = _vmodl.to_vmodl(_deploy.config_spec({'cpu_limit': 300}, '/DC0/vm/t'))
    assert only_limit.cpuAllocation.limit == 300 and only_limit.cpuAllocation.reservation is None
    assert only_limit.memoryAllocation is None


def test_datastore_of():
    assert _deploy.datastore_of('[LocalDS_0] web01/web01.vmx') == 'LocalDS_0'
    assert _deploy.datastore_of('[vsan Datastore] x/x.vmx') == 'vsan Datastore'
    assert _deploy.datastore_of(None) is None and _deploy.datastore_of('web01.vmx') is None
