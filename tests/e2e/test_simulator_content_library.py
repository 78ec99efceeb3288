# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's content library (vAPI /rest) and guest customization events, as clients see them.

REST through urllib (harness.Simulator.rest), SOAP through pyVmomi. Names are prefixed with cl- so the shared
simulator's other users are not disturbed.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import content_library as cl
import harness

vim = pytest.importorskip('pyVmomi').vim

RUN_PY = Path(__file__).resolve().parent.parent / 'simulator' / 'run.py'
CUSTOMIZATION_EVENTS = ['CustomizationStartedEvent', 'CustomizationSucceeded', 'CustomizationFailed',
                        'CustomizationNetworkSetupFailed', 'CustomizationLinuxIdentityFailed', 'CustomizationSysprepFailed',
                        'CustomizationUnknownFailure']
LINUX_LOG = '/var/log/vmware-imc/toolsDeployPkg.log'
WINDOWS_LOG = 'C:\\Windows\\TEMP\\vmware-imc\\guestcust.log'


def nics(devices):
    return [d for d in devices or [] if isinstance(d, vim.vm.device.VirtualEthernetCard)]


def all_macs(si):
    return [nic.macAddress for dummy, props in harness.retrieve_view(si, vim.VirtualMachine, ['config.hardware.device'])
            for nic in nics(props.get('config.hardware.device'))]


@pytest.fixture(scope='module', name='place')
def place_fixture(service_instance):
    """Managed object ids of the place to deploy to, and of the networks."""
    si = service_instance
    vms = {props['name']: props for dummy, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'parent', 'resourcePool'])}
    nets = {props['name']: obj for obj, props in harness.retrieve_view(si, vim.Network, ['name'])}
    clusters = {props['name']: obj for obj, props in harness.retrieve_view(si, vim.ClusterComputeResource, ['name'])}
    return {
        'folder': vms['linux-template']['parent']._moId,
        'pool': vms['DC0_C0_RP0_VM0']['resourcePool']._moId,
        'cluster': clusters['DC0_C0']._moId,
        'networks': {name: obj._moId for name, obj in nets.items()},
    }


@pytest.fixture(scope='module', name='library')
def library_fixture(simulator, service_instance):
    """One library with a VM template item (from linux-template), a Windows one and an OVF item."""
    lib = cl.create_library(simulator, 'cl-test-images', si=service_instance)
    return {
        'id': lib,
        'vmtx': cl.publish_vmtx(simulator, lib, 'cl-linux-vmtx', 'linux-template', si=service_instance),
        'windows': cl.publish_vmtx(simulator, lib, 'cl-windows-vmtx', 'windows-template', si=service_instance),
        'ovf': cl.publish_ovf(simulator, lib, 'cl-linux-ovf', guest_id='debian12_64Guest', network_name='VM Network', disk_gib=2,
                              vapp_properties=['hostname', {'id': 'user-data', 'label': 'User data', 'value': 'e30='}]),
    }


def vm_props(si, moid, paths):
    return harness.retrieve(si, vim.VirtualMachine(moid, si._stub), paths)  # pylint: disable=protected-access


# -- vAPI: sessions, libraries, items -------------------------------------------------------------------------------

def test_session_with_basic_auth_and_header(simulator):
    """POST /rest/com/vmware/cis/session with basic auth answers {"value": id}; the id goes in vmware-api-session-id."""
    ctx = ssl.create_default_context(cafile=simulator.cert_file)
    auth = base64.b64encode(('%s:%s' % (simulator.username, simulator.password)).encode()).decode()
    req = urllib.request.Request(simulator.base_url + '/rest/com/vmware/cis/session', method='POST',
                                 headers={'Authorization': 'Basic ' + auth})
    with urllib.request.urlopen(req, context=ctx) as resp:
        assert resp.headers['Content-Type'] == 'application/json'
        session = json.loads(resp.read())['value']
    req = urllib.request.Request(simulator.base_url + '/rest/com/vmware/content/library', headers={'vmware-api-session-id': session})
    with urllib.request.urlopen(req, context=ctx) as resp:
        assert isinstance(json.loads(resp.read())['value'], list)
    req = urllib.request.Request(simulator.base_url + '/rest/com/vmware/content/library')
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, context=ctx)  # pylint: disable=consider-using-with
    assert err.value.code == 401
    assert json.loads(err.value.read())['type'] == 'com.vmware.vapi.std.errors.unauthenticated'


def test_library_and_items_are_found_by_name(simulator, library):
    assert cl.find_library(simulator, 'cl-test-images') == library['id']
    assert simulator.rest('POST', '/com/vmware/content/library?~action=find', {'spec': {'name': 'cl-no-such-library'}}) == []
    assert library['id'] in simulator.rest('GET', '/com/vmware/content/library')
    got = cl.library(simulator, library['id'])
    assert got['name'] == 'cl-test-images' and got['type'] == 'LOCAL' and 'Item' not in got
    items = {i['name']: i for i in cl.library_items(simulator, library['id'])}
    assert {name: i['type'] for name, i in items.items()} == {
        'cl-linux-vmtx': 'vm-template', 'cl-windows-vmtx': 'vm-template', 'cl-linux-ovf': 'ovf'}
    assert cl.find_items(simulator, 'cl-linux-ovf') == [library['ovf']]
    assert cl.find_items(simulator, 'cl-linux-ovf', library['id']) == [library['ovf']]
    item = cl.item(simulator, library['vmtx'])
    assert item['library_id'] == library['id'] and item['name'] == 'cl-linux-vmtx' and 'Template' not in item
    with pytest.raises(harness.RestError) as err:
        cl.item(simulator, '00000000-0000-0000-0000-000000000000')
    assert err.value.status == 404 and err.value.type == 'com.vmware.vapi.std.errors.not_found'
    with pytest.raises(harness.RestError) as err:
        cl.create_library(simulator, 'cl-test-images')
    assert err.value.type == 'com.vmware.vapi.std.errors.already_exists'
    files = simulator.rest('GET', '/com/vmware/content/library/item/file?library_item_id=%s' % library['ovf'])
    assert sorted(f['name'] for f in files) == ['cl-linux-ovf-disk1.vmdk', 'cl-linux-ovf.ovf']


def test_the_vmtx_template_is_a_template_with_its_own_nic(simulator, service_instance, library):
    si = service_instance
    rows = {props['name']: props for dummy, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'config.template', 'config.hardware.device'])}
    macs = [n.macAddress for n in nics(rows['cl-linux-vmtx']['config.hardware.device'])]
    assert rows['cl-linux-vmtx']['config.template'] is True
    assert macs and macs[0] != nics(rows['linux-template']['config.hardware.device'])[0].macAddress


# -- deploy ---------------------------------------------------------------------------------------------------------

def test_vmtx_deploy_gives_a_powered_off_vm_with_its_own_macs(simulator, service_instance, library, place):
    si = service_instance
    simulator.rest_login()   # the session is opened before the counted part
    simulator.reset_calls()
    moid = cl.deploy_vmtx(simulator, library['vmtx'], 'cl-vmtx-web01', folder=place['folder'], resource_pool=place['pool'])
    calls = simulator.calls(internal=True)
    assert calls['total'] == 0 and 'CloneVM_Task' not in calls   # vCenter's own clone is not the client's call
    assert calls['rest'] == {'POST /rest/vcenter/vm-template/library-items/{id}?action=deploy': 1} and calls['rest_total'] == 1
    assert calls['internal']['CloneVM_Task'] == 1 and calls['internal']['Login'] == 1
    props = vm_props(si, moid, ['name', 'config.template', 'runtime.powerState', 'parent', 'resourcePool', 'config.hardware.device',
                                'guest.net', 'config.guestId'])
    assert props['name'] == 'cl-vmtx-web01' and props['config.template'] is False
    assert props['runtime.powerState'] == 'poweredOff' and props['config.guestId'] == 'ubuntu64Guest'
    assert props['parent']._moId == place['folder'] and props['resourcePool']._moId == place['pool']
    mac = nics(props['config.hardware.device'])[0].macAddress
    assert mac.startswith('00:50:56:') and all_macs(si).count(mac) == 1
    assert [n.macAddress for n in props['guest.net']] == [mac]
    second = cl.deploy_vmtx(simulator, library['vmtx'], 'cl-vmtx-web02', folder=place['folder'], cluster=place['cluster'])
    props2 = vm_props(si, second, ['resourcePool', 'config.hardware.device'])
    assert props2['resourcePool']._moId == place['pool']   # the cluster's root pool
    assert nics(props2['config.hardware.device'])[0].macAddress not in (mac, None)


def test_vmtx_deploy_errors_are_vapi_errors(simulator, library, place):
    with pytest.raises(harness.RestError) as err:
        simulator.rest('POST', '/vcenter/vm-template/library-items/%s?action=deploy' % library['vmtx'],
                       {'spec': {'name': 'cl-nowhere', 'placement': {'resource_pool': place['pool']}}})
    assert err.value.status == 400 and err.value.type == 'com.vmware.vapi.std.errors.invalid_argument'
    assert 'folder' in err.value.messages[0]
    with pytest.raises(harness.RestError) as err:
        cl.deploy_vmtx(simulator, library['ovf'], 'cl-wrong-kind', folder=place['folder'], resource_pool=place['pool'])
    assert err.value.type == 'com.vmware.vapi.std.errors.invalid_argument'


def test_ovf_deploy_gives_the_ovfs_vm_on_the_mapped_network(simulator, service_instance, library, place):
    si = service_instance
    simulator.rest_login()
    simulator.reset_calls()
    moid = cl.deploy_ovf(simulator, library['ovf'], 'cl-ovf-web01', resource_pool=place['pool'], folder=place['folder'],
                         network_mappings={'VM Network': place['networks']['PG-VLAN100']}, properties={'hostname': 'web01'})
    calls = simulator.calls()
    assert calls == {'total': 0, 'rest': {'POST /rest/com/vmware/vcenter/ovf/library-item/id:{id}?~action=deploy': 1}, 'rest_total': 1}
    props = vm_props(si, moid, ['name', 'config.template', 'runtime.powerState', 'parent', 'resourcePool', 'config.hardware.device',
                                'config.guestId', 'config.vAppConfig', 'config.extraConfig'])
    assert props['name'] == 'cl-ovf-web01' and props['config.template'] is False and props['runtime.powerState'] == 'poweredOff'
    assert props['config.guestId'] == 'debian12_64Guest'
    assert props['parent']._moId == place['folder'] and props['resourcePool']._moId == place['pool']
    cards = nics(props['config.hardware.device'])
    assert len(cards) == 1 and isinstance(cards[0], vim.vm.device.VirtualVmxnet3)
    assert cards[0].backing.deviceName == 'PG-VLAN100' and cards[0].connectable.startConnected
    assert cards[0].macAddress.startswith('00:50:56:') and all_macs(si).count(cards[0].macAddress) == 1
    disks = [d for d in props['config.hardware.device'] if isinstance(d, vim.vm.device.VirtualDisk)]
    assert [d.capacityInKB for d in disks] == [2 * 1024 * 1024]
    vapp = props['config.vAppConfig']
    assert vapp.ovfEnvironmentTransport == ['com.vmware.guestInfo']
    assert {p.id: (p.value or '', p.defaultValue or '') for p in vapp.property} == {'hostname': ('web01', ''), 'user-data': ('', 'e30=')}
    assert 'hostname' not in {o.key for o in props.get('config.extraConfig') or []}


def test_ovf_deploy_to_a_distributed_port_group_and_without_a_name(simulator, service_instance, library, place):
    dvpg = place['networks']['DC0_DVPG1']
    moid = cl.deploy_ovf(simulator, library['ovf'], '', resource_pool=place['pool'], network_mappings={'VM Network': dvpg})
    props = vm_props(service_instance, moid, ['name', 'config.hardware.device'])
    assert props['name'] == 'cl-linux-ovf'   # the OVF's name, as vCenter names it
    backing = nics(props['config.hardware.device'])[0].backing
    assert isinstance(backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo)
    with pytest.raises(harness.RestError) as err:
        cl.deploy_ovf(simulator, library['ovf'], 'cl-bad-pool', resource_pool='resgroup-0')
    assert err.value.type == 'com.vmware.vapi.std.errors.invalid_argument'


def test_rest_calls_are_counted_apart_and_reset(simulator, library):
    simulator.rest_login()
    simulator.reset_calls()
    cl.find_library(simulator, 'cl-test-images')
    cl.find_items(simulator, 'cl-linux-ovf', library['id'])
    cl.item(simulator, library['ovf'])
    cl.item(simulator, library['vmtx'])
    assert simulator.calls() == {'total': 0, 'rest_total': 4, 'rest': {
        'POST /rest/com/vmware/content/library?~action=find': 1,
        'POST /rest/com/vmware/content/library/item?~action=find': 1,
        'GET /rest/com/vmware/content/library/item/id:{id}': 2}}
    assert simulator.reset_calls()['rest_total'] == 4
    assert simulator.calls() == {'total': 0}


# -- customization events -----------------------------------------------------------------------------------------

@pytest.fixture(name='clone')
def clone_fixture(service_instance, place, request):
    """A powered-off clone of linux-template, destroyed after the test."""
    si = service_instance
    tmpl = [obj for obj, props in harness.retrieve_view(si, vim.VirtualMachine, ['name']) if props['name'] == 'linux-template'][0]
    folder = vim.Folder(place['folder'], si._stub)  # pylint: disable=protected-access
    pool = vim.ResourcePool(place['pool'], si._stub)  # pylint: disable=protected-access
    name = 'cl-cust-%s' % request.node.name[-20:]
    vm = harness.wait_task(si, tmpl.CloneVM_Task(folder=folder, name=name, spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=pool))))
    yield vm
    if harness.retrieve(si, vm, ['runtime.powerState'])['runtime.powerState'] != 'poweredOff':
        harness.wait_task(si, vm.PowerOffVM_Task())
    harness.wait_task(si, vm.Destroy_Task())


def linux_prep(ip):
    c = vim.vm.customization
    return c.Specification(
        identity=c.LinuxPrep(hostName=c.FixedName(name='web01'), domain='example.com'),
        globalIPSettings=c.GlobalIPSettings(dnsServerList=['10.0.0.53']),
        nicSettingMap=[c.AdapterMapping(adapter=c.IPSettings(ip=c.FixedIp(ipAddress=ip), subnetMask='255.255.255.0', gateway=['10.0.0.1']))])


def read_until_outcome(collector, timeout=15):
    """ReadNextEvents on one collector until a customization outcome shows up: every event read, oldest first."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += collector.ReadNextEvents(10)
        if seen and not isinstance(seen[-1], vim.event.CustomizationStartedEvent):
            return seen
        time.sleep(0.1)
    raise AssertionError('no customization outcome in %ss: %s' % (timeout, seen))


@contextmanager
def event_collector(si, vm):
    """A collector of the VM's customization events, destroyed at the end."""
    flt = vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion='self'), eventTypeId=CUSTOMIZATION_EVENTS)
    collector = harness.service_content(si).eventManager.CreateCollectorForEvents(flt)
    try:
        yield collector
    finally:
        collector.DestroyCollector()


def test_customization_posts_started_then_succeeded(simulator, service_instance, clone):
    si = service_instance
    harness.wait_task(si, clone.CustomizeVM_Task(linux_prep('10.0.0.10')))
    with event_collector(si, clone) as collector:   # created before the power-on, read as events come
        powered_on = datetime.now(timezone.utc)
        harness.wait_task(si, clone.PowerOnVM_Task())
        events = read_until_outcome(collector)
    name = harness.retrieve(si, clone, ['name'])['name']
    assert [type(e) for e in events] == [vim.event.CustomizationStartedEvent, vim.event.CustomizationSucceeded]
    started, done = events
    assert started.key < done.key and started.chainId == started.key
    assert started.fullFormattedMessage == 'Started customization of VM %s. Customization log located at %s in the guest OS.' % (name, LINUX_LOG)
    assert done.fullFormattedMessage == 'Customization of VM %s succeeded. Customization log located at %s in the guest OS.' % (name, LINUX_LOG)
    for event in events:
        assert event.vm.vm == clone and event.vm.name == name and event.logLocation == LINUX_LOG
        assert event.datacenter.name == 'DC0' and event.host is not None and event.computeResource is not None
        assert event.createdTime >= powered_on - timedelta(seconds=1)
    assert done.createdTime - started.createdTime >= timedelta(milliseconds=300)
    guest = harness.retrieve(si, clone, ['guest.ipAddress', 'guest.hostName'])
    assert guest == {'guest.ipAddress': '10.0.0.10', 'guest.hostName': 'web01'}


def test_a_failed_customization_and_a_second_one(simulator, service_instance, clone):
    si = service_instance
    name = harness.retrieve(si, clone, ['name'])['name']
    simulator.set_customization_outcome(name, 'network_setup_failed', reason='NETWORK_SETUP_FAILED', message='cannot bring up eth0')
    assert simulator.customization_outcomes()[0]['outcome'] == 'network_setup_failed'
    harness.wait_task(si, clone.CustomizeVM_Task(linux_prep('10.0.0.11')))
    try:
        with event_collector(si, clone) as collector:
            harness.wait_task(si, clone.PowerOnVM_Task())
            guest = harness.retrieve(si, clone, ['guest.ipAddress', 'guest.net'])
            assert not guest.get('guest.ipAddress')
            assert all(not n.ipAddress and not (n.ipConfig and n.ipConfig.ipAddress) for n in guest['guest.net'])
            first = read_until_outcome(collector)
            assert [type(e) for e in first] == [vim.event.CustomizationStartedEvent, vim.event.CustomizationNetworkSetupFailed]
            assert first[1].fullFormattedMessage == 'cannot bring up eth0' and first[1].reason == 'NETWORK_SETUP_FAILED'
            assert simulator.customization_outcomes() == []   # one shot
            # a second customization later: a new pair with larger keys; the old pair is still there to be told apart
            harness.wait_task(si, clone.PowerOffVM_Task())
            harness.wait_task(si, clone.CustomizeVM_Task(linux_prep('10.0.0.12')))
            harness.wait_task(si, clone.PowerOnVM_Task())
            second = read_until_outcome(collector)
            assert [type(e) for e in second] == [vim.event.CustomizationStartedEvent, vim.event.CustomizationSucceeded]
            assert second[0].key > first[1].key
            assert harness.retrieve(si, clone, ['guest.ipAddress'])['guest.ipAddress'] == '10.0.0.12'
            collector.RewindCollector()
            assert [e.key for e in collector.ReadNextEvents(10)] == [e.key for e in first + second]
            collector.ResetCollector()
            assert collector.ReadNextEvents(10) == [] and [e.key for e in collector.ReadPreviousEvents(2)] == [second[1].key, second[0].key]
    finally:
        simulator.clear_customization_outcomes()


def test_clone_with_customization_and_power_on_posts_the_events(service_instance, place):
    """CloneVM_Task with spec.customization and spec.powerOn: the front powers the clone on in process; events too."""
    si = service_instance
    tmpl = [obj for obj, props in harness.retrieve_view(si, vim.VirtualMachine, ['name']) if props['name'] == 'linux-template'][0]
    stub = si._stub  # pylint: disable=protected-access
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=vim.ResourcePool(place['pool'], stub)),
                            customization=linux_prep('10.0.0.20'), powerOn=True)
    vm = harness.wait_task(si, tmpl.CloneVM_Task(folder=vim.Folder(place['folder'], stub), name='cl-cust-clone-on', spec=spec))
    try:
        with event_collector(si, vm) as collector:
            events = read_until_outcome(collector)
        assert [type(e) for e in events] == [vim.event.CustomizationStartedEvent, vim.event.CustomizationSucceeded]
        assert harness.retrieve(si, vm, ['guest.ipAddress'])['guest.ipAddress'] == '10.0.0.20'
    finally:
        harness.wait_task(si, vm.PowerOffVM_Task())
        harness.wait_task(si, vm.Destroy_Task())


def test_vmtx_deploy_with_a_customization_spec_powered_on(simulator, service_instance, library, place):
    """guest_customization by name and powered_on: Windows' Sysprep spec, so the events name Windows' log."""
    si = service_instance
    moid = cl.deploy_vmtx(simulator, library['windows'], 'cl-win01', folder=place['folder'], resource_pool=place['pool'],
                          powered_on=True, customization='vcsim-windows-static')
    vm = vim.VirtualMachine(moid, si._stub)  # pylint: disable=protected-access
    assert harness.retrieve(si, vm, ['runtime.powerState'])['runtime.powerState'] == 'poweredOn'
    with event_collector(si, vm) as collector:
        events = read_until_outcome(collector)
    assert [type(e) for e in events] == [vim.event.CustomizationStartedEvent, vim.event.CustomizationSucceeded]
    assert all(e.logLocation == WINDOWS_LOG for e in events)


# -- the demo's simulator ------------------------------------------------------------------------------------------

def test_run_py_starts_a_simulator_with_a_content_library(tmp_path):
    pid_file = tmp_path / 'sim.pid'
    env_json = tmp_path / 'env.json'
    proc = subprocess.run([sys.executable, str(RUN_PY), '--background', '--pid-file', str(pid_file), '--env-json', str(env_json),
                           '--content-library', 'demo-images', '--customization-delay-ms', '100,200'],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    try:
        info = json.loads(pid_file.read_text())['info']
        sim = harness.Simulator(info, None, '', 0)
        assert sim.calls() == {'total': 0}   # the set-up's calls are not left in the counters
        lib = cl.find_library(sim, 'demo-images')
        assert {i['name']: i['type'] for i in cl.library_items(sim, lib)} == {'linux-vmtx': 'vm-template', 'linux-ovf': 'ovf'}
        assert '# content library demo-images' in proc.stdout
    finally:
        subprocess.run([sys.executable, str(RUN_PY), '--stop', '--pid-file', str(pid_file)], check=False, timeout=60)
