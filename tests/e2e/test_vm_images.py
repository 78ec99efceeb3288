# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm and vm_deploy with images from content libraries (a VM template and an OVF template, deployed
through the simulator's vAPI) and from an inventory VM (image_kind vm).

A library item costs, besides what a clone costs: a vAPI session (opened and deleted), the find, one or two reads and
the deploy (REST), and one ReconfigVM_Task more (the records, class and identity a clone gets in its CloneSpec).
Every VM here is called vmi-*; the module removes them at the end.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

import content_library
import guest
import harness
from vmrun import Outcome, extra, nics, remove_vms, run, vm_props

vim = pytest.importorskip('pyVmomi').vim

LIBRARY = 'vmi-images'
VMTX = 'vmi-linux-vmtx'
OVF = 'vmi-linux-ovf'
PLACEMENT = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'vm_class': {'cpus': 2, 'memory': '2Gi'}, 'remove_unmanaged': True}
# The vAPI calls of a deploy (besides the deploy itself): the session opened and deleted, the item found and read, its
# library read for its name.
REST_DEPLOY = {'POST /rest/com/vmware/cis/session': 1, 'POST /rest/com/vmware/content/library/item?~action=find': 1,
               'GET /rest/com/vmware/content/library/item/id:{id}': 1, 'GET /rest/com/vmware/content/library/id:{id}': 1,
               'DELETE /rest/com/vmware/cis/session': 1}
NOOP = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1, 'FindByInventoryPath': 1, 'RetrievePropertiesEx': 1, 'total': 5}


def _network(name, address, network='DC0_DVPG0'):
    return {'host_name': name.replace('-', ''), 'interfaces': [{'name': 'eth0', 'network': network, 'addresses': [address + '/24'],
                                                                'gateway4': address.rsplit('.', 1)[0] + '.1'}]}


@pytest.fixture(scope='module', autouse=True)
def library(service_instance, simulator):
    library_id = content_library.create_library(simulator, LIBRARY)
    content_library.publish_vmtx(simulator, library_id, VMTX, 'linux-template')
    content_library.publish_ovf(simulator, library_id, OVF, guest_id='ubuntu64Guest', network_name='VM Network')
    yield library_id
    remove_vms(service_instance, simulator, 'vmi-')


def _rest(calls):
    return calls.get('rest_total', 0)


def test_a_vm_from_a_vm_template_item(fresh_calls, service_instance, collections_path, tmp_path):
    # A VM template item's template is in the inventory too (vCenter shows it there), so image_kind auto would clone it
    args = dict(PLACEMENT, name='vmi-vmtx', image=VMTX, image_kind='library_item', network=_network('vmi-vmtx', '10.90.0.11'),
                provider='cloud_init', cloud_init={'cloud_config': {'timezone': 'UTC'}})
    check, new, again = run(fresh_calls, collections_path, tmp_path, dict(args, _check_mode=True), args, args)
    # check mode: the item is found (vAPI reads), nothing is deployed or changed
    assert check.status == 'ok' and check.changed is True, check.msg
    assert check.mutating == {} and check.result['vm']['image'] == 'library:%s/%s' % (LIBRARY, VMTX)
    assert check.steps['deploy'] == {'changed': True}
    # the run: deployed through the content library, then reconciled as any VM
    assert new.status == 'ok' and new.changed is True, new.msg
    assert new.steps == {'deploy': {'changed': True}, 'network': {'changed': True}, 'bootstrap': {'changed': True, 'provider': 'cloud_init'},
                         'power': {'changed': True, 'state': 'poweredOn'}}
    # SOAP: a clone's 13 calls, less the template read and the clone, plus the reconfigure that records class, UUIDs and image
    # (and its read) and the NIC reconfigure with its read (a clone carries the NIC changes); REST: REST_DEPLOY
    assert new.calls['total'] == 15 and new.mutating == {'ReconfigVM_Task': 3, 'PowerOnVM_Task': 1}, new.calls
    assert new.calls['rest'] == dict(REST_DEPLOY, **{'POST /rest/vcenter/vm-template/library-items/{id}?action=deploy': 1}), new.calls['rest']
    vm, props = vm_props(service_instance, 'vmi-vmtx', paths=('runtime.powerState', 'config.extraConfig', 'config.hardware.device',
                                                              'config.template', 'config.hardware.numCPU', 'config.hardware.memoryMB'))
    assert props['config.template'] is False and props['runtime.powerState'] == 'poweredOn'
    assert (props['config.hardware.numCPU'], props['config.hardware.memoryMB']) == (2, 2048)
    records = extra(props)
    assert records['guestnet.image'] == 'library:%s/%s' % (LIBRARY, VMTX)
    assert json.loads(records['guestnet.class']) == {'cpus': 2, 'memory': 2048}
    cards = nics(props)
    assert [card.externalId for card in cards] == ['guestnet:eth0']
    template_macs = {card.macAddress for card in nics(vm_props(service_instance, 'linux-template')[1])}
    assert cards[0].macAddress not in template_macs
    # the guest side: cloud-init's own datasource decodes what was written
    view = guest.boot_cloud_init(service_instance, vm, report=False)
    assert view['host_name'] == 'vmivmtx' and view['unmatched_macs'] == []
    assert view['interfaces'][0]['addresses'] == ['10.90.0.11/24']
    # nothing to do: no vAPI call, 5 SOAP calls
    assert again.status == 'ok' and again.changed is False, again.msg
    assert {k: v for k, v in again.calls.items() if k in NOOP} == NOOP and _rest(again.calls) == 0, again.calls


def test_a_vm_from_an_ovf_item_with_linux_prep(fresh_calls, service_instance, collections_path, tmp_path):
    args = dict(PLACEMENT, name='vmi-ovf', image=OVF, network=_network('vmi-ovf', '10.91.0.11'),
                provider='linux_prep', linux_prep={'time_zone': 'Etc/UTC'})
    new, again = run(fresh_calls, collections_path, tmp_path, args, args)
    assert new.status == 'ok' and new.changed is True, new.msg
    assert new.mutating == {'ReconfigVM_Task': 3, 'CustomizeVM_Task': 1, 'PowerOnVM_Task': 1} and new.calls['total'] == 17, new.calls
    assert new.calls['rest'] == dict(REST_DEPLOY, **{'POST /rest/com/vmware/vcenter/ovf/library-item/id:{id}?~action=deploy': 1})
    _vm, props = vm_props(service_instance, 'vmi-ovf', paths=('config.extraConfig', 'config.hardware.device', 'config.template',
                                                              'config.guestId', 'guest.net'))
    assert props['config.template'] is False and props['config.guestId'] == 'ubuntu64Guest'
    assert extra(props)['guestnet.image'] == 'library:%s/%s' % (LIBRARY, OVF)
    cards = nics(props)
    assert [card.externalId for card in cards] == ['guestnet:eth0']
    assert isinstance(cards[0].backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo)
    # the customization applied at power-on: the guest shows the address
    assert any('10.91.0.11' in (net.ipAddress or []) for net in props['guest.net'] or []), props['guest.net']
    assert again.status == 'ok' and again.changed is False and _rest(again.calls) == 0, again.msg


def test_vm_deploy_from_a_library_item_then_an_other_image_is_refused(fresh_calls, service_instance, collections_path, tmp_path):
    args = dict({k: v for k, v in PLACEMENT.items() if k != 'remove_unmanaged'}, name='vmi-deploy', image=VMTX, image_library=LIBRARY)
    new, again, other = harness.run_steps(fresh_calls, 'guestnet.vsphere.vm_deploy', [args, args, dict(args, image='linux-template')],
                                          collections_path=collections_path, workdir=tmp_path / 'deploy', outcome=Outcome)
    assert new.status == 'ok' and new.changed is True and new.result['vm']['image'] == 'library:%s/%s' % (LIBRARY, VMTX), new.msg
    assert again.status == 'ok' and again.changed is False, again.msg
    assert other.failed and 'cannot change its image after deployment' in other.msg and 'library:%s/%s' % (LIBRARY, VMTX) in other.msg
    assert vm_props(service_instance, 'vmi-deploy')[0] is not None


def test_an_inventory_vm_as_the_image_only_when_asked(fresh_calls, service_instance, collections_path, tmp_path):
    source = 'DC0_C0_RP0_VM0'
    args = dict(PLACEMENT, name='vmi-from-vm', image=source, power_state='powered_off')
    refused, cloned = run(fresh_calls, collections_path, tmp_path, args, dict(args, image_kind='vm'))
    assert refused.failed and 'is a VM, not a template' in refused.msg and 'set image_kind: vm' in refused.msg
    assert cloned.status == 'ok' and cloned.changed is True, cloned.msg
    assert cloned.mutating == {'CloneVM_Task': 1}
    _vm, props = vm_props(service_instance, 'vmi-from-vm')
    assert extra(props)['guestnet.image'] == '/DC0/vm/%s' % source


@pytest.mark.parametrize('options, message', [
    ({'image': 'vmi-nowhere'}, 'image: vmi-nowhere is not a template in datacenter DC0 (close names: '),
    ({'image': 'vmi-nowhere', 'image_kind': 'library_item'}, 'image: vmi-nowhere is not an item of any content library'),
    ({'image': VMTX, 'image_library': 'vmi-nolib'}, 'image_library: vmi-nolib is not a content library (libraries: '),
    ({'image': 'vmi-nowhere', 'image_library': LIBRARY}, 'image: vmi-nowhere is not an item in content library %s' % LIBRARY),
])
def test_an_image_found_nowhere_changes_nothing(fresh_calls, service_instance, collections_path, tmp_path, options, message):
    (failed,) = run(fresh_calls, collections_path, tmp_path, dict(PLACEMENT, name='vmi-bad', **options))
    assert failed.failed and message in failed.msg, failed.msg
    assert failed.mutating == {} and vm_props(service_instance, 'vmi-bad')[0] is None
    if 'image_kind' not in options and 'image_library' not in options:
        assert 'nor an item of any content library' in failed.msg
    if options.get('image_library') == 'vmi-nolib':
        assert LIBRARY in failed.msg.split('(libraries: ', 1)[1]
