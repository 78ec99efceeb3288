# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM handle against a fake vCenter at the SOAP boundary (_fakevc): which calls each selector costs, what one read
gives (path, placement, NICs, the VM's networks), and the errors."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import IncompleteCatalog
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import NetworkRef
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import VCenterError
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector, VmHandle

from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import nic, standard_vcenter, vim


@pytest.fixture(name='fake')
def fake_fixture():
    return standard_vcenter()


def find(fake, **selector):
    fake.calls.clear()
    handle = VmHandle(fake.client(), Selector(**selector))
    return handle, handle.find(), dict(fake.calls)


def test_name_with_datacenter_is_one_path_look_up_and_one_read(fake):
    handle, vm, calls = find(fake, name='web01', datacenter='DC0')
    assert calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 1}
    assert (vm.moid, vm.path, vm.datacenter, vm.power_state, vm.instance_uuid) == ('vm-2', '/DC0/vm/web01', 'DC0', 'poweredOn', '5000-web')
    assert vm.placement == {'datacenter': 'DC0', 'folder': '/DC0/vm', 'cluster': 'C0', 'host': 'H0', 'resource_pool': '/DC0/host/C0/Resources',
                            'datastore': 'DS0'}
    assert vm.compute_hosts == ('H0', 'H1')
    assert [(n.key, n.network_name, n.switch, n.record) for n in vm.nics] == [(4000, 'PG-A', 'DVS0', 'eth0')]
    assert vm.extra_config == {'guestnet.image': '/DC0/vm/linux-template', 'guestnet.class': '{}'}
    # the VM's own networks come with it; the datacenter's others are read only on demand
    catalog = handle.catalog()
    assert [net.name for net in catalog.networks] == ['PG-A'] and catalog.complete is False
    assert catalog.resolve(NetworkRef('PG-A'), 'x').moid == 'dvportgroup-2'
    with pytest.raises(IncompleteCatalog):
        catalog.resolve(NetworkRef('VM Network'), 'x')
    fake.calls.clear()
    full = handle.full_catalog()
    assert dict(fake.calls) == {'RetrievePropertiesEx': 1}
    assert sorted(net.name for net in full.networks) == ['DVS0-DVUplinks-1', 'PG-A', 'VM Network']
    assert [net.name for net in full.named('DVS0-DVUplinks-1')] == []      # an uplink port group carries no VM


def test_moid_costs_one_read_and_a_gone_vm_is_none(fake):
    dummy, vm, calls = find(fake, moid='vm-2')
    assert vm.name == 'web01' and calls == {'RetrievePropertiesEx': 1}
    dummy, vm, calls = find(fake, moid='vm-999')
    assert vm is None and calls == {'RetrievePropertiesEx': 1}


def test_uuids_through_the_search_index(fake):
    dummy, vm, calls = find(fake, instance_uuid='5000-WEB')
    assert vm.moid == 'vm-2' and calls == {'FindAllByUuid': 1, 'RetrievePropertiesEx': 1}
    dummy, vm, calls = find(fake, uuid='4200-web')
    assert vm.moid == 'vm-2'


def test_a_bare_name_reads_names_only(fake):
    dummy, vm, calls = find(fake, name='web01')
    assert vm.moid == 'vm-2' and calls == {'RetrievePropertiesEx': 2}


def test_not_at_its_path_falls_back_to_the_names(fake):
    folder = fake.add('Folder', 'group-v2', name='web', parent=fake.objects['group-v1'])
    fake.set(fake.objects['vm-2'], parent=folder)
    fake.children(fake.objects['group-v1'])
    fake.children(folder)
    handle, vm, calls = find(fake, name='web01', datacenter='DC0')
    assert vm.path == '/DC0/vm/web/web01' and calls == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 2}
    # a caller about to read the inventory anyway leaves the names to it
    fake.calls.clear()
    handle = VmHandle(fake.client(), Selector(name='web01', datacenter='DC0'))
    assert handle.find(names=False) is None and handle.unsure is True and dict(fake.calls) == {'FindByInventoryPath': 1}


def test_templates_are_not_vms_and_names_can_be_ambiguous(fake):
    handle, vm, dummy = find(fake, name='linux-template', datacenter='DC0')
    assert vm is None and handle.template.path == '/DC0/vm/linux-template'
    other = fake.add('Folder', 'group-v3', name='other', parent=fake.objects['group-v1'])
    fake.add('VirtualMachine', name='web01', parent=other, config__template=False,
             config__hardware__device=[nic(4000, '00:50:56:80:00:09', fake.objects['network-1'], fake)])
    fake.children(fake.objects['group-v1'])
    fake.children(other)
    with pytest.raises(VCenterError, match='2 VMs match name web01'):
        find(fake, name='web01')


def test_reload_after_a_change(fake):
    handle, vm, dummy = find(fake, moid='vm-2')
    fake.set(fake.objects['vm-2'], runtime__powerState='poweredOff')
    fake.calls.clear()
    assert handle.reload().power_state == 'poweredOff' and dict(fake.calls) == {'RetrievePropertiesEx': 1}
    assert isinstance(vm.ref, vim.VirtualMachine)
