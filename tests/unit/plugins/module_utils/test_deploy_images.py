# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an image names: an inventory template, an inventory VM (image_kind vm), or a content library item."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import pytest
from pyVmomi import vim

from ansible_collections.guestnet.vsphere.plugins.module_utils._deploy import image_matches
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_deploy import DeployRequest, Placement, plan_create
from ansible_collections.guestnet.vsphere.plugins.module_utils._vapi import LibraryItem
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import Inventory, ManagedObject


def _obj(kind, moid, name, parent=None, **props):
    values = dict(props, name=name)
    if parent is not None:
        values['parent'] = parent.ref
    return ManagedObject(getattr(vim, kind)(moid), values)


def _inventory(datacenters=('DC0',)):
    root = _obj('Folder', 'group-d1', 'Datacenters')
    objects = [root]
    for index, dc_name in enumerate(datacenters):
        vm_folder = _obj('Folder', 'group-v%d' % index, 'vm')
        dc = _obj('Datacenter', 'datacenter-%d' % index, dc_name, root, vmFolder=vm_folder.ref)
        vm_folder.props['parent'] = dc.ref
        cluster = _obj('ClusterComputeResource', 'domain-c%d' % index, 'C%d' % index, dc)
        pool = _obj('ResourcePool', 'resgroup-%d' % index, 'Resources', cluster, owner=cluster.ref)
        cluster.props['resourcePool'] = pool.ref
        objects += [vm_folder, dc, cluster, pool,
                    _obj('VirtualMachine', 'vm-t%d' % index, 'linux-template', vm_folder, **{'config.template': True}),
                    _obj('VirtualMachine', 'vm-v%d' % index, 'golden-vm', vm_folder, **{'config.template': False})]
    return Inventory(objects)


def _request(**values):
    return DeployRequest.of(dict({'name': 'web-1'}, **values))


ITEM = LibraryItem(id='item-1', name='linux-vmtx', type='vm-template', library='images')


def test_auto_prefers_the_inventory_template():
    inventory = _inventory()
    assert Placement(_request(image='linux-template'), inventory).image(None).moid == 'vm-t0'


def test_auto_without_template_means_a_library_item():
    assert Placement(_request(image='linux-vmtx'), _inventory()).image(None) is None


def test_a_path_is_never_a_library_item():
    with pytest.raises(SpecError, match=r'^image: templates/linux-vmtx is not a template \(close names: linux-template\)'):
        Placement(_request(image='templates/linux-vmtx'), _inventory()).image(None)


def test_a_vm_needs_image_kind_vm():
    with pytest.raises(SpecError, match=r'is a VM, not a template \(/DC0/vm/golden-vm\); .* set image_kind: vm to clone the VM'):
        Placement(_request(image='golden-vm'), _inventory()).image(None)
    assert Placement(_request(image='golden-vm', image_kind='vm'), _inventory()).image(None).moid == 'vm-v0'


def test_image_kind_vm_refuses_a_template():
    with pytest.raises(SpecError, match=r'is a template \(/DC0/vm/linux-template\), not a VM; set image_kind: template'):
        Placement(_request(image='linux-template', image_kind='vm'), _inventory()).image(None)


def test_image_kind_template_does_not_look_in_libraries():
    with pytest.raises(SpecError, match=r'^image: linux-vmtx is not a template \(close names: linux-template\)'):
        Placement(_request(image='linux-vmtx', image_kind='template'), _inventory()).image(None)


def test_image_library_means_a_library_item():
    request = _request(image='linux-template', image_library='images')
    assert request.image_kind == 'library_item'
    assert Placement(request, _inventory()).image(None) is None


@pytest.mark.parametrize('values, message', [
    ({'image': 'x', 'image_kind': 'disk'}, r'^image_kind: disk is not one of auto, template, library_item, vm$'),
    ({'image': 'x', 'image_kind': 'vm', 'image_library': 'images'}, r'^image_library: images names a content library, but image_kind is vm$'),
    ({'image': 'a/x', 'image_library': 'images'}, r'^image: a/x is a path; a content library item is named by its name'),
])
def test_bad_image_options(values, message):
    with pytest.raises(SpecError, match=message):
        _request(**values)


def test_plan_for_a_library_item_records_library_and_item():
    plan = plan_create(_request(image='linux-vmtx', cluster='C0'), _inventory(), ITEM)
    assert plan.template is None and plan.library_item == ITEM
    assert plan.image_record == 'library:images/linux-vmtx'
    assert plan.folder.moid == 'group-v0' and plan.pool.moid == 'resgroup-0'
    assert plan.path == '/DC0/vm/web-1'
    assert image_matches(plan.image_record, 'linux-vmtx')
    assert not image_matches(plan.image_record, 'linux-template')


def test_a_library_item_needs_the_datacenter_when_there_are_several():
    with pytest.raises(SpecError, match=r'^datacenter is required to deploy content library item library:images/linux-vmtx: '
                                        r'vCenter has 2 datacenters \(DC0, DC1\)$'):
        plan_create(_request(image='linux-vmtx', cluster='C0'), _inventory(('DC0', 'DC1')), ITEM)
    plan = plan_create(_request(image='linux-vmtx', datacenter='DC1', cluster='C1'), _inventory(('DC0', 'DC1')), ITEM)
    assert plan.path == '/DC1/vm/web-1'
