# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest agent (tests/simulator/guest_agent.py) plays every VM's guest: cloud-init VMs get their static and DHCP
addresses without a test calling the guest emulator; GOSC and other VMs are left alone; stop() is prompt.

Every wait is bounded and event driven: WaitForUpdatesEx on the VM's guest view, or the agent's own condition.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import guest_agent
import harness

vim = pytest.importorskip('pyVmomi').vim
vmodl = pytest.importorskip('pyVmomi').vmodl

REPO = Path(__file__).resolve().parent.parent.parent
DEV = REPO / 'build' / 'dev'
if not (DEV / 'ansible_collections' / 'guestnet' / 'vsphere').exists():
    pytest.skip('build/dev/ansible_collections/guestnet/vsphere is missing (make dev)', allow_module_level=True)
if str(DEV) not in sys.path:
    sys.path.insert(0, str(DEV))

# pylint: disable=wrong-import-position
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import ResolvedInterface, ResolvedNetwork  # noqa: E402
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import guestinfo, render_metadata  # noqa: E402

AGENT_SCRIPT = Path(guest_agent.__file__).resolve()
WAIT = 90  # seconds: a boot runs two cloud-init subprocesses (0.7-2.7 s each on a loaded machine)


# -- fixtures and helpers -----------------------------------------------------------------------------------------------

@pytest.fixture(scope='module', name='agent')
def agent_fixture(simulator):
    """One agent for the module, for the VMs these tests create (agent-*)."""
    lines = []

    def log(line):
        lines.append(line)
        guest_agent.log_stderr(line)

    agent = guest_agent.GuestAgent(simulator, match='^agent-', log=log)
    agent.lines = lines
    agent.start()
    try:
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope='module', name='inventory')
def inventory_fixture(service_instance):
    rows = harness.retrieve_view(service_instance, vim.VirtualMachine, ['name', 'parent', 'resourcePool'])
    by_name = {props['name']: (vm, props) for vm, props in rows}
    created = []
    yield {'template': by_name['linux-template'][0], 'folder': by_name['linux-template'][1]['parent'],
           'pool': by_name['DC0_C0_RP0_VM0'][1]['resourcePool'], 'created': created}
    for vm in created:  # leave the shared simulator as we found it
        try:
            if harness.retrieve(service_instance, vm, ['runtime.powerState']).get('runtime.powerState') == 'poweredOn':
                harness.wait_task(service_instance, vm.PowerOffVM_Task())
            harness.wait_task(service_instance, vm.Destroy_Task())
        except vmodl.MethodFault:
            pass


def clone(si, inv, name, **spec):
    task = inv['template'].CloneVM_Task(folder=inv['folder'], name=name, spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=inv['pool']), **spec))
    vm = harness.wait_task(si, task)
    inv['created'].append(vm)
    return vm


def add_nic(si, vm, network='VM Network'):
    nic = vim.vm.device.VirtualVmxnet3(key=-1, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=network),
                                       connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True))
    change = vim.vm.device.VirtualDeviceSpec(operation=vim.vm.device.VirtualDeviceSpec.Operation.add, device=nic)
    harness.wait_task(si, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))


def macs(si, vm):
    devices = harness.retrieve(si, vm, ['config.hardware.device'])['config.hardware.device']
    return [d.macAddress.lower() for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)]


def interface(name, mac, dhcp=False, addresses=(), gateway4=None, nameservers=(), search=()):
    return ResolvedInterface(
        name=name, guest_device_name=name, network=None, adapter_type='vmxnet3', mac_address=mac, dhcp4=dhcp, dhcp6=dhcp, accept_ra=False,
        addresses4=tuple(a for a in addresses if ':' not in a), addresses6=tuple(a for a in addresses if ':' in a), gateway4=gateway4,
        gateway6=None, routes=(), nameservers=tuple(nameservers), search_domains=tuple(search), mtu=None)


def write_metadata(si, vm, host_name, interfaces, instance_id):
    net = ResolvedNetwork(vm_name=host_name, host_name=host_name, domain_name='example.com', nameservers=(), search_domains=(),
                          disabled=False, interfaces=tuple(interfaces))
    keys = guestinfo(render_metadata(net, instance_id=instance_id))
    extra = [vim.option.OptionValue(key=k, value=v) for k, v in keys.items()]
    harness.wait_task(si, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=extra)))


def addresses(nic):
    """'ip/prefix' of one guest.net entry."""
    return ['%s/%d' % (a.ipAddress, a.prefixLength) for a in (nic.ipConfig.ipAddress if nic.ipConfig else [])]


def guest_view(props):
    return {(n.macAddress or '').lower(): addresses(n) for n in props.get('guest.net') or []}


def wait_guest(si, vm, predicate, timeout=WAIT):
    """Wait until predicate({mac: ['ip/prefix']}, props) holds: a filter on the VM's guest view and WaitForUpdatesEx."""
    paths = ['guest.net', 'guest.hostName', 'guest.ipAddress', 'guest.toolsRunningStatus']
    pcs = vmodl.query.PropertyCollector
    pc = harness.service_content(si).propertyCollector
    pfilter = pc.CreateFilter(pcs.FilterSpec(objectSet=[pcs.ObjectSpec(obj=vm)], propSet=[pcs.PropertySpec(type=vim.VirtualMachine, pathSet=paths)]),
                              partialUpdates=False)
    props, version, deadline = {}, '', time.monotonic() + timeout
    try:
        while True:
            if props and predicate(guest_view(props), props):
                return props
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('guest view of %s never matched; last: %s %s' % (vm, guest_view(props), props.get('guest.hostName')))
            update = pc.WaitForUpdatesEx(version, pcs.WaitOptions(maxWaitSeconds=max(1, int(min(left, 10)))))
            if update is None:
                continue
            version = update.version
            for fset in update.filterSet:
                for oset in fset.objectSet:
                    for change in oset.changeSet:
                        props[change.name] = change.val
    finally:
        pfilter.DestroyPropertyFilter()


def usable(address):
    return not ipaddress.ip_interface(address).ip.is_link_local


def decision(agent, name, prefix, timeout=WAIT):
    assert agent.wait_for(lambda a: a.decisions.get(name, '').startswith(prefix), timeout), (name, agent.decisions.get(name))
    return agent.decisions[name]


# -- tests --------------------------------------------------------------------------------------------------------------

def test_dhcp_leases_are_deterministic_and_distinct():
    leases = guest_agent.Leases()
    assert leases.v4('00:50:56:80:01:07', 'vm-1') == '10.99.1.7/16' == leases.v4('00:50:56:80:01:07', 'vm-1')
    assert leases.v6('00:50:56:80:01:07', 'vm-1') == '2001:db8:99:0:250:56ff:fe80:107/64'
    # the same MAC on another VM (the simulator's generated MACs repeat) gets the next free address
    assert leases.v4('00:50:56:80:01:07', 'vm-2') == '10.99.1.8/16' and leases.v4('00:50:56:81:01:08', 'vm-3') == '10.99.1.9/16'
    assert leases.v6('00:50:56:80:01:07', 'vm-2') == '2001:db8:99:0:250:56ff:fe80:108/64'
    # never the network, broadcast or server address
    assert leases.v4('00:50:56:80:ff:ff') == '10.99.0.2/16' and leases.v4('00:50:56:80:00:00') == '10.99.0.3/16'


def test_cloud_init_vm_gets_static_and_dhcp_addresses(agent, service_instance, inventory):
    si = service_instance
    vm = clone(si, inventory, 'agent-web01')
    add_nic(si, vm)
    mac0, mac1 = macs(si, vm)
    static = interface('eth0', mac0, addresses=('10.40.0.5/24', '2001:db8:40::5/64'), gateway4='10.40.0.1', nameservers=('10.40.0.53',),
                       search=('example.com',))
    write_metadata(si, vm, 'web01', [static, interface('eth1', mac1, dhcp=True)], 'agent-web01-1')
    decision(agent, 'agent-web01', 'poweredOff')  # written while off: nothing booted yet
    assert agent.booted('agent-web01') == []

    harness.wait_task(si, vm.PowerOnVM_Task())
    props = wait_guest(si, vm, lambda net, p: net.get(mac0) and any(usable(a) for a in net.get(mac1, [])))
    net = guest_view(props)
    assert net[mac0] == ['10.40.0.5/24', '2001:db8:40::5/64']
    v4, v6 = (ipaddress.ip_interface(a) for a in net[mac1])
    assert v4.network == ipaddress.ip_network('10.99.0.0/16') and v4.ip not in (v4.network.network_address, v4.network.broadcast_address)
    assert v6.network == ipaddress.ip_network('2001:db8:99::/64')
    assert props['guest.hostName'] == 'web01' and props['guest.ipAddress'] == '10.40.0.5'
    assert props['guest.toolsRunningStatus'] == 'guestToolsRunning'
    first = agent.booted('agent-web01')
    assert len(first) == 1 and first[0]['leases'] == {mac1: [str(v4), str(v6)]}
    assert any(line.startswith('agent-web01 booted') and '10.40.0.5/24' in line and '(dhcp)' in line for line in agent.lines)

    # a reconfigure that leaves the guestinfo alone is not a new generation: no second boot
    seen = agent.updates
    harness.wait_task(si, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(annotation='touched')))
    assert agent.wait_for(lambda a: a.updates > seen, WAIT)
    assert agent.decisions['agent-web01'] == 'cloud-init: booted' and len(agent.booted('agent-web01')) == 1

    # new metadata while powered on: the guest boots again; its DHCP lease stays the same
    static = interface('eth0', mac0, addresses=('10.40.0.6/24',), gateway4='10.40.0.1')
    write_metadata(si, vm, 'web01b', [static, interface('eth1', mac1, dhcp=True)], 'agent-web01-2')
    props = wait_guest(si, vm, lambda net, p: net.get(mac0) == ['10.40.0.6/24'] and p.get('guest.hostName') == 'web01b')
    assert guest_view(props)[mac1] == [str(v4), str(v6)]
    assert len(agent.booted('agent-web01')) == 2

    # power-cycled: a new boot (new boot time), same answers
    harness.wait_task(si, vm.PowerOffVM_Task())
    decision(agent, 'agent-web01', 'poweredOff')
    harness.wait_task(si, vm.PowerOnVM_Task())
    assert agent.wait_for(lambda a: len(a.booted('agent-web01')) == 3, WAIT)
    assert agent.booted('agent-web01')[-1]['net'] == {mac0: ['10.40.0.6/24'], mac1: [str(v4), str(v6)]}


def test_gosc_and_plain_vms_are_left_alone(agent, service_instance, inventory):
    si = service_instance
    adapter = vim.vm.customization.IPSettings(ip=vim.vm.customization.FixedIp(ipAddress='10.41.0.7'), subnetMask='255.255.255.0')
    spec = vim.vm.customization.Specification(
        identity=vim.vm.customization.LinuxPrep(hostName=vim.vm.customization.FixedName(name='gosc01'), domain='example.com'),
        globalIPSettings=vim.vm.customization.GlobalIPSettings(), nicSettingMap=[vim.vm.customization.AdapterMapping(adapter=adapter)])
    gosc = clone(si, inventory, 'agent-gosc', customization=spec, powerOn=True)
    plain = clone(si, inventory, 'agent-plain', powerOn=True)
    assert 'left alone' in decision(agent, 'agent-gosc', 'left alone')
    assert 'left alone' in decision(agent, 'agent-plain', 'left alone')
    assert agent.booted('agent-gosc') == agent.booted('agent-plain') == []
    # the guest view is the simulator's own: GOSC's address without a prefix, nothing on the plain VM
    assert [guest_view(harness.retrieve(si, vm, ['guest.net'])) for vm in (gosc, plain)] == [
        {macs(si, gosc)[0]: ['10.41.0.7/0']}, {macs(si, plain)[0]: []}]


def test_a_bad_vm_does_not_stop_the_agent(agent, service_instance, inventory):
    si = service_instance
    bad = clone(si, inventory, 'agent-bad')
    extra = [vim.option.OptionValue(key='guestinfo.metadata', value='H4sI this is not gzip'),
             vim.option.OptionValue(key='guestinfo.metadata.encoding', value='gzip+base64')]
    harness.wait_task(si, bad.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=extra)))
    harness.wait_task(si, bad.PowerOnVM_Task())
    decision(agent, 'agent-bad', 'cloud-init: boot failed')
    assert [name for name, dummy in agent.errors] == ['agent-bad']

    # the next VM boots as usual: a single DHCP NIC, whose lease is also guest.ipAddress
    good = clone(si, inventory, 'agent-dhcp')
    mac = macs(si, good)[0]
    write_metadata(si, good, 'dhcp01', [interface('eth0', mac, dhcp=True)], 'agent-dhcp-1')
    harness.wait_task(si, good.PowerOnVM_Task())
    props = wait_guest(si, good, lambda net, p: any(usable(a) for a in net.get(mac, [])))
    lease = guest_view(props)[mac][0]
    assert ipaddress.ip_interface(lease) in ipaddress.ip_network('10.99.0.0/16') and props['guest.ipAddress'] == lease.split('/')[0]


def test_a_boot_that_times_out_is_tried_again(agent, service_instance, inventory, monkeypatch):
    """Under heavy load cloud-init's subprocess can time out; the agent tries the boot again instead of leaving the VM
    without addresses (the provision role's wait for the guest network would run out its 600 s)."""
    si = service_instance
    vm = clone(si, inventory, 'agent-retry')
    mac = macs(si, vm)[0]
    write_metadata(si, vm, 'retry01', [interface('eth0', mac, addresses=['10.97.0.5/24'])], 'agent-retry-1')
    real_boot, failures = guest_agent.guest.boot_cloud_init, []

    def slow_once(si_, target, **kwargs):
        if target._moId == vm._moId and not failures:  # pylint: disable=protected-access
            failures.append(target._moId)  # pylint: disable=protected-access
            raise subprocess.TimeoutExpired(['python3', '-c', 'DataSourceVMware'], 120)
        return real_boot(si_, target, **kwargs)

    monkeypatch.setattr(guest_agent.guest, 'boot_cloud_init', slow_once)
    harness.wait_task(si, vm.PowerOnVM_Task())
    props = wait_guest(si, vm, lambda net, p: '10.97.0.5/24' in net.get(mac, []))
    assert props['guest.hostName'] == 'retry01' and failures == [vm._moId]  # pylint: disable=protected-access
    assert any(line.startswith('agent-retry: boot failed (TimeoutExpired') and 'trying again in 2 s' in line for line in agent.lines)
    assert 'agent-retry' not in [name for name, dummy in agent.errors]
    assert decision(agent, 'agent-retry', 'cloud-init: booted') == 'cloud-init: booted'


def test_stop_is_prompt_even_during_a_boot(simulator, service_instance, inventory):
    si = service_instance
    idle = guest_agent.GuestAgent(simulator, match='^agent-stop', max_wait=30).start()
    started = time.monotonic()
    assert idle.stop() and time.monotonic() - started < 2.0

    vm = clone(si, inventory, 'agent-stop')
    write_metadata(si, vm, 'stop01', [interface('eth0', macs(si, vm)[0], dhcp=True)], 'agent-stop-1')
    busy = guest_agent.GuestAgent(simulator, match='^agent-stop', max_wait=30).start()
    harness.wait_task(si, vm.PowerOnVM_Task())
    decision(busy, 'agent-stop', 'cloud-init: boot queued')
    started = time.monotonic()
    busy.stop()
    assert time.monotonic() - started < 2.0 and not busy.alive


def test_command_line_background_and_stop(simulator, service_instance, inventory, tmp_path):
    si = service_instance
    pid_file, log_file = tmp_path / 'agent.pid', tmp_path / 'agent.log'
    env = dict(os.environ, **simulator.env())
    start = subprocess.run([sys.executable, str(AGENT_SCRIPT), '--background', '--pid-file', str(pid_file), '--log-file', str(log_file),
                            '--match', '^cliagent-'], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert start.returncode == 0, start.stderr
    assert start.stdout.startswith('# guest agent pid ') and pid_file.is_file()
    pid = guest_agent._pid_of(pid_file)  # pylint: disable=protected-access
    try:
        assert b'guest_agent.py' in Path('/proc/%d/cmdline' % pid).read_bytes()
        assert simulator.password.encode() not in Path('/proc/%d/cmdline' % pid).read_bytes().split(b'\0')  # not on the command line
        vm = clone(si, inventory, 'cliagent-01')
        mac = macs(si, vm)[0]
        write_metadata(si, vm, 'cli01', [interface('eth0', mac, addresses=('10.42.0.9/24',))], 'cliagent-01-1')
        harness.wait_task(si, vm.PowerOnVM_Task())
        wait_guest(si, vm, lambda net, p: net.get(mac) == ['10.42.0.9/24'] and p.get('guest.hostName') == 'cli01')
    finally:
        started = time.monotonic()
        stop = subprocess.run([sys.executable, str(AGENT_SCRIPT), '--stop', '--pid-file', str(pid_file)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
        stopped_in = time.monotonic() - started
    assert stop.returncode == 0, stop.stderr
    assert not pid_file.exists() and b'guest_agent.py' not in guest_agent._read(Path('/proc/%d/cmdline' % pid))  # pylint: disable=protected-access
    assert stopped_in < 5.0  # a Python start-up plus the agent's stop (< 2 s)
    log = log_file.read_text(encoding='utf-8')
    assert 'cliagent-01 booted (cloud-init' in log and '10.42.0.9/24' in log and 'stopped after 1 boots' in log
