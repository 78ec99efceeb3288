# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The playbooks (guestnet.vsphere.provision, restart, power, decommission) run by ansible-playbook on an inventory,
against the shared session simulator, with the guest agent playing the guests (tests/simulator/guest_agent.py).

Every VM here is called roles-*, so nothing collides with the other e2e tests on the shared simulator; the module
removes what it leaves behind. The shared simulator is enough: tests run one at a time in a session, and each
playbook's SOAP calls are measured from the simulator's /_calls counter, reset before the run.

That counter also sees the guest agent (it runs in this process: a WaitForUpdatesEx per update or every few seconds,
a property read and a session per boot). A playbook's own calls are the counter less the agent's, which are counted
as they are sent (AgentCalls, on pyVmomi's SOAP stub; nothing else in this process talks to the simulator while a
playbook runs). Figures go to tests/output/role_calls.json.

Not repeated here: every transition of the seeds/001 table, allowed and refused, and the try_soft fallback after an
injected ShutdownGuest / RebootGuest fault are covered through vm_power in test_vm_power.py; the power and restart
roles pass state, mode and next_restart_time straight to vm_power.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import collections
import datetime
import json
import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

import guest_agent
import harness

vim = pytest.importorskip('pyVmomi').vim
vmodl = pytest.importorskip('pyVmomi').vmodl
SoapAdapter = pytest.importorskip('pyVmomi.SoapAdapter')

OUTPUT = Path(__file__).resolve().parent.parent / 'output'
FIGURES: Dict[str, Any] = {}

RECONCILE = 'Reconcile the VM (deploy, NICs, bootstrap, power, guest network)'
# provision of one new VM: one vm task (13 calls) and its wait for the guest (a filter and its waits)
BUDGET_NEW = 17
BUDGET_RERUN = 5   # provision re-run on a provisioned VM: the vm task's look-up and read, nothing else
MUTATING = ('CloneVM_Task', 'ReconfigVM_Task', 'CustomizeVM_Task', 'PowerOnVM_Task', 'PowerOffVM_Task', 'ResetVM_Task', 'SuspendVM_Task',
            'ShutdownGuest', 'RebootGuest', 'StandbyGuest', 'Destroy_Task')
RESTART_KEY = 'guestnet.lastRestartTime'
SUMMARY = 'Print name, power state, intended and observed IPs, and drift'
RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)',
                   re.M)
WAIT = 90  # seconds for a guest-agent condition (a cloud-init boot is two subprocesses, 0.7-2.7 s each under load)

PLACEMENT = {'image': 'linux-template', 'class': {'cpus': 1, 'memory': '1Gi'}, 'datacenter': 'DC0', 'cluster': 'DC0_C0'}

# the small fleet: cloud-init with static dual-stack addresses and a route, LinuxPrep, cloud-init with DHCP
WEB = {
    'guestnet_vm': PLACEMENT,
    'guestnet_network': {
        'host_name': 'rolesweb', 'domain_name': 'roles.example', 'nameservers': ['10.61.0.53'], 'search_domains': ['roles.example'],
        'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.61.0.11/24', '2001:db8:61::11/64'], 'gateway4': '10.61.0.1',
                        'gateway6': '2001:db8:61::1', 'routes': [{'to': '172.16.0.0/12', 'via': '10.61.0.254'}]}]},
    'guestnet_bootstrap': {'provider': 'cloud_init', 'cloud_init': {'cloud_config': {'timezone': 'UTC'}}},
}
APP = {
    'guestnet_vm': PLACEMENT,
    'guestnet_network': {
        'domain_name': 'roles.example', 'nameservers': ['10.62.0.53'],
        'interfaces': [{'name': 'eth0', 'network': 'VM Network', 'addresses': ['10.62.0.21/24'], 'gateway4': '10.62.0.1'}]},
    'guestnet_bootstrap': {'provider': 'linux_prep', 'linux_prep': {'time_zone': 'Etc/UTC', 'hardware_clock_is_utc': True}},
}
DHCP = {
    'guestnet_vm': PLACEMENT,
    'guestnet_network': {'interfaces': [{'name': 'eth0', 'network': 'VM Network', 'dhcp4': True},
                                        {'name': 'eth1', 'network': 'PG-VLAN100', 'dhcp4': True, 'dhcp6': True}]},
    'guestnet_bootstrap': {'provider': 'cloud_init', 'cloud_init': {}},
}


# -- measuring, running, reading ----------------------------------------------------------------------------------------

class AgentCalls:
    """Counts the SOAP calls this process sends (the guest agent's), by method, on pyVmomi's SOAP stub."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = collections.Counter()
        self._original = None

    def install(self):
        original = self._original = SoapAdapter.SoapStubAdapter.InvokeMethod
        counts, lock = self._counts, self._lock

        def invoke(stub, mo, info, args, outerStub=None):  # pylint: disable=invalid-name
            with lock:
                counts[info.wsdlName] += 1
            return original(stub, mo, info, args, outerStub)

        SoapAdapter.SoapStubAdapter.InvokeMethod = invoke

    def uninstall(self):
        if self._original is not None:
            SoapAdapter.SoapStubAdapter.InvokeMethod = self._original
            self._original = None

    def snapshot(self):
        with self._lock:
            return collections.Counter(self._counts)


class Run:
    """One ansible-playbook run: its result, its own SOAP calls, the recap per host, and the task results per host."""

    def __init__(self, result: harness.PlaybookResult, calls: Dict[str, int], seconds: float):
        self.result = result
        self.calls = calls
        self.seconds = seconds
        self.recap = {m.group(1): dict(zip(('ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'), map(int, m.groups()[1:])))
                      for m in RECAP.finditer(result.stdout)}

    @property
    def output(self):
        return self.result.stdout[-6000:] + self.result.stderr[-3000:]

    def task(self, name: str, host: str) -> Dict[str, Any]:
        found = [r for r in self.result.results if r['task'] == name and r['host'] == host]
        assert found, '%s: no result of %r\n%s' % (host, name, self.output)
        return found[-1]

    def provision_result(self, host: str) -> Dict[str, Any]:
        return self.task('Publish the intended and observed network as provision_result', host)['result']['ansible_facts']['provision_result']

    def summary(self) -> List[str]:
        return [r for r in self.result.results if r['task'] == SUMMARY][-1]['result']['msg']

    @property
    def mutating_calls(self):
        return sorted(method for method in self.calls if method in MUTATING)

    def unchanged(self, hosts):
        """Every host ok and unchanged in the recap, and no task changed anything."""
        assert self.result.returncode == 0, self.output
        assert {host: (self.recap[host]['changed'], self.recap[host]['failed']) for host in hosts} == {host: (0, 0) for host in hosts}, self.output
        assert [(r['host'], r['task']) for r in self.result.results if r['status'] not in ('ok', 'skipped') or r['result'].get('changed')] == []
        assert self.mutating_calls == [], self.calls


@pytest.fixture(scope='module', name='env')
def env_fixture(simulator, service_instance, collections_path, tmp_path_factory):
    """The guest agent for roles-* VMs, its call counter, a playbook runner; removes the roles-* VMs at the end."""
    counter = AgentCalls()
    counter.install()
    agent = guest_agent.GuestAgent(simulator, match='^roles-', log=guest_agent.log_stderr)
    agent.start()
    simulator.clear_faults()
    workdir = tmp_path_factory.mktemp('roles')
    runs = iter(range(1000))

    def play(playbook, inventory, hosts=None, forks=None, **extra):
        """ansible-playbook guestnet.vsphere.PLAYBOOK -i INVENTORY [-e guestnet_hosts=HOSTS] [--forks]; the playbook's calls."""
        extra_vars = dict(extra, **({'guestnet_hosts': hosts} if hosts else {}))
        while True:  # no agent call may slip between the reset and the snapshot
            before = counter.snapshot()
            simulator.reset_calls()
            if counter.snapshot() == before:
                break
        started = time.monotonic()
        result = harness.run_playbook(simulator, playbook='guestnet.vsphere.%s' % playbook, inventory=inventory, extra_vars=extra_vars or None,
                                      collections_path=collections_path, env={'ANSIBLE_FORKS': str(forks)} if forks else None,
                                      workdir=workdir / ('%s-%d' % (playbook, next(runs))))
        seconds = time.monotonic() - started
        FIGURES.setdefault('runs', []).append('%-12s %-36s %5.1f s' % (playbook, hosts or 'all', seconds))
        agent_calls = counter.snapshot() - before
        server = simulator.calls()
        calls = {method: count - agent_calls.get(method, 0) for method, count in server.items() if method != 'total'}
        calls = {method: count for method, count in sorted(calls.items()) if count > 0}
        calls['total'] = sum(calls.values())
        return Run(result, calls, seconds)

    try:
        yield {'sim': simulator, 'si': service_instance, 'agent': agent, 'play': play, 'dir': workdir}
    finally:
        agent.stop()
        counter.uninstall()
        simulator.clear_faults()
        remove_vms(service_instance)
        OUTPUT.mkdir(exist_ok=True)
        (OUTPUT / 'role_calls.json').write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + '\n', encoding='utf-8')


def remove_vms(si):
    """Power off and destroy every roles-* VM (leave the shared simulator as we found it)."""
    for vm, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'runtime.powerState']):
        if not props.get('name', '').startswith('roles-'):
            continue
        try:
            if props.get('runtime.powerState') != 'poweredOff':
                harness.wait_task(si, vm.PowerOffVM_Task())
            harness.wait_task(si, vm.Destroy_Task())
        except vmodl.MethodFault:
            pass


def write_inventory(path: Path, hosts: Dict[str, Dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({'all': {'hosts': hosts}}, sort_keys=False), encoding='utf-8')
    return path


def vms_by_name(si, prefix='roles-'):
    rows = harness.retrieve_view(si, vim.VirtualMachine, ['name', 'runtime.powerState', 'guest.net', 'guest.hostName', 'config.extraConfig'])
    return {props['name']: (vm, props) for vm, props in rows if props.get('name', '').startswith(prefix)}


def guest_addresses(props) -> Dict[str, List[str]]:
    """guest.net as {mac: ['ip/prefix' (or 'ip' without a prefix)]}."""
    out = {}
    for nic in props.get('guest.net') or []:
        shown = ['%s/%d' % (a.ipAddress, a.prefixLength) if a.prefixLength else a.ipAddress for a in (nic.ipConfig.ipAddress if nic.ipConfig else [])]
        out[(nic.macAddress or '').lower()] = shown or list(nic.ipAddress or [])
    return out


def recorded_restart(props):
    return {o.key: o.value for o in props.get('config.extraConfig') or []}.get(RESTART_KEY)


def stamp(ns: int) -> str:
    """Nanoseconds since the epoch -> RFC 3339 in UTC, as vm_power writes it (no trailing zeros)."""
    seconds, fraction = divmod(ns, 10 ** 9)
    text = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
    return text + ('.' + ('%09d' % fraction).rstrip('0') if fraction else '') + 'Z'


def parse(text: str) -> int:
    """RFC 3339 in UTC (what vm_power records) -> nanoseconds since the epoch."""
    seconds, dummy, fraction = text.rstrip('Z').partition('.')
    moment = datetime.datetime.strptime(seconds, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp()) * 10 ** 9 + int(fraction.ljust(9, '0'))


def observed(result: Dict[str, Any]) -> Dict[str, List[str]]:
    """provision_result.observed as {interface: ['ip/prefix' or 'ip']}."""
    return {iface['name']: [a['address'] + ('/%d' % a['prefix_length'] if a.get('prefix_length') is not None else '')
                            for a in (iface.get('ip') or {}).get('addresses') or []]
            for iface in result['observed']}


def macs(result: Dict[str, Any]) -> Dict[str, str]:
    return {iface['name']: iface['mac_address'] for iface in result['intended']['interfaces']}


def boot_of(agent, name):
    assert agent.wait_for(lambda a: a.booted(name), WAIT), (name, agent.decisions.get(name))
    return agent.booted(name)[-1]


# -- a fleet of 10 (forks 5), the budgets, and the day-2 flows on three of its VMs ---------------------------------------

FLOW = ['roles-app', 'roles-dhcp', 'roles-web']  # cloud-init static, LinuxPrep, cloud-init DHCP: restarted, powered off, decommissioned


def fleet_host(index: int) -> Dict[str, Any]:
    """Every third VM LinuxPrep, the others cloud-init, static or DHCP, on three networks."""
    network = ('VM Network', 'DC0_DVPG0', 'PG-VLAN200')[index % 3]
    static = {'name': 'eth0', 'network': network, 'addresses': ['10.70.%d.10/24' % index], 'gateway4': '10.70.%d.1' % index}
    if index % 3 == 0:
        return {'guestnet_vm': PLACEMENT, 'guestnet_network': {'interfaces': [static]}, 'guestnet_bootstrap': {'provider': 'linux_prep', 'linux_prep': {}}}
    iface = static if index % 3 == 1 else {'name': 'eth0', 'network': network, 'dhcp4': True}
    return {'guestnet_vm': PLACEMENT, 'guestnet_network': {'interfaces': [iface]}, 'guestnet_bootstrap': {'provider': 'cloud_init', 'cloud_init': {}}}


@pytest.fixture(scope='module', name='fleet')
def fleet_fixture(env):
    """Ten VMs: roles-web provisioned alone first (the new-VM budget), then all ten with forks 5, then all ten again.

    One fleet serves every test below: provisioning is what costs time (each module task is a Python process that
    imports pyVmomi), so the three-VM flow runs on three of these ten instead of a fleet of its own.
    """
    hosts = dict({'roles-web': WEB, 'roles-app': APP, 'roles-dhcp': DHCP}, **{'roles-f%02d' % i: fleet_host(i) for i in range(3, 10)})
    inventory = write_inventory(env['dir'] / 'fleet.yml', hosts)
    first = env['play']('provision', inventory, hosts='roles-web')
    provision = env['play']('provision', inventory, forks=5)
    rerun = env['play']('provision', inventory, forks=5)
    FIGURES['provision_new_fleet_of_10_forks_5'] = provision.calls
    FIGURES['provision_rerun_fleet_of_10_forks_5'] = rerun.calls
    FIGURES.setdefault('seconds', {}).update({'provision_new_fleet_of_10_forks_5': round(provision.seconds, 1),
                                              'provision_rerun_fleet_of_10_forks_5': round(rerun.seconds, 1)})
    return {'inventory': inventory, 'hosts': sorted(hosts), 'first': first, 'provision': provision, 'rerun': rerun}


def test_provision_budgets(env, fleet):
    first = fleet['first']
    assert first.result.returncode == 0, first.output
    assert set(first.recap) == {'roles-web'} and first.recap['roles-web']['failed'] == 0 and first.recap['roles-web']['changed'] == 1, first.output
    rerun = env['play']('provision', fleet['inventory'], hosts='roles-web')
    rerun.unchanged(['roles-web'])
    FIGURES['provision_new_vm'] = first.calls
    FIGURES['provision_rerun_vm'] = rerun.calls
    FIGURES.setdefault('seconds', {}).update({'provision_new_vm': round(first.seconds, 1), 'provision_rerun_vm': round(rerun.seconds, 1)})
    print('\nprovision, one new VM: %s\nprovision, re-run on it: %s' % (json.dumps(first.calls), json.dumps(rerun.calls)))
    # one clone, the NIC change and the guestinfo write, one power-on: the calls that change something
    assert first.mutating_calls == ['CloneVM_Task', 'PowerOnVM_Task', 'ReconfigVM_Task'] and first.calls['CloneVM_Task'] == 1
    assert first.calls['total'] <= BUDGET_NEW, first.calls
    assert rerun.calls['total'] <= BUDGET_RERUN, rerun.calls


def test_fleet_of_ten_with_forks_five(env, fleet):
    hosts, provision, rerun = fleet['hosts'], fleet['provision'], fleet['rerun']
    assert provision.result.returncode == 0, provision.output
    new = [h for h in hosts if h != 'roles-web']  # provisioned alone just before
    assert {h: (provision.recap[h]['failed'], provision.recap[h]['changed']) for h in hosts} == dict(dict.fromkeys(new, (0, 1)), **{'roles-web': (0, 0)})
    assert provision.calls['CloneVM_Task'] == provision.calls['PowerOnVM_Task'] == 9
    summary = provision.summary()
    assert summary[0].split() == ['VM', 'POWER', 'INTENDED', 'OBSERVED', 'VOLUMES', 'CONDITIONS', 'DRIFT']
    assert [row.split()[0] for row in summary[1:]] == hosts
    for row in summary[1:]:
        cells = row.split()
        assert cells[1] == 'powered_on' and cells[4] == '-' and cells[-1] == 'none', row
        true, total = cells[5].split('/')
        assert 0 < int(true) <= int(total), row
        if cells[0].startswith('roles-f'):
            index = int(cells[0][-2:])
            intended = 'dhcp' if index % 3 == 2 else '10.70.%d.10/24' % index
            shown = '10.99.' if index % 3 == 2 else '10.70.%d.10' % index if index % 3 == 0 else intended  # GOSC shows no prefix
            assert cells[2] == intended and cells[3].startswith(shown), row
    vms = vms_by_name(env['si'])
    assert {h: vms[h][1]['runtime.powerState'] for h in hosts} == dict.fromkeys(hosts, 'poweredOn')
    # re-run: every task ok, nothing changed, nothing mutating sent, the same summary
    rerun.unchanged(hosts)
    # the same rows; CONDITIONS may count one fewer: GuestCustomization is reported by the run that follows a customization
    assert [row.split()[:5] + row.split()[6:] for row in rerun.summary()] == [row.split()[:5] + row.split()[6:] for row in summary]
    assert all(cell.split('/')[0] == cell.split('/')[1] for cell in (row.split()[5] for row in rerun.summary()[1:])), rerun.summary()
    assert rerun.calls['total'] <= 10 * BUDGET_RERUN, rerun.calls


def test_guest_side_restart_power_off_decommission(env, fleet):
    si, agent, play, inventory = env['si'], env['agent'], env['play'], fleet['inventory']
    hosts = FLOW
    results = {h: fleet['rerun'].provision_result(h) for h in hosts}
    for host in hosts:
        assert results[host]['power_state'] == 'powered_on' and results[host]['drift'] == []

    # the guest side: what the guest agent booted, and guest.net as vCenter shows it
    web, dhcp = boot_of(agent, 'roles-web'), boot_of(agent, 'roles-dhcp')
    web_mac, app_mac, dhcp_macs = macs(results['roles-web'])['eth0'], macs(results['roles-app'])['eth0'], macs(results['roles-dhcp'])
    assert web['host_name'] == 'rolesweb' and web['net'] == {web_mac: ['10.61.0.11/24', '2001:db8:61::11/64']}
    assert dhcp['host_name'] == 'roles-dhcp'  # no host_name in the spec: the VM's name
    leases = dhcp['leases']
    assert set(leases) == set(dhcp_macs.values()) and len(leases[dhcp_macs['eth0']]) == 1 and len(leases[dhcp_macs['eth1']]) == 2
    assert all(lease.startswith(('10.99.', '2001:db8:99:')) for lease in leases[dhcp_macs['eth0']] + leases[dhcp_macs['eth1']])
    assert 'left alone' in agent.decisions['roles-app']  # GOSC: the simulator customizes it at power-on
    vms = vms_by_name(si)
    assert guest_addresses(vms['roles-web'][1])[web_mac] == ['10.61.0.11/24', '2001:db8:61::11/64']
    assert vms['roles-web'][1]['guest.hostName'] == 'rolesweb'
    assert guest_addresses(vms['roles-app'][1]) == {app_mac: ['10.62.0.21']} and vms['roles-app'][1]['guest.hostName'] == 'roles-app'
    assert guest_addresses(vms['roles-dhcp'][1]) == {dhcp_macs[i]: leases[dhcp_macs[i]] for i in ('eth0', 'eth1')}
    # ... and the role's observed network says the same
    assert observed(results['roles-web']) == {'eth0': ['10.61.0.11/24', '2001:db8:61::11/64']}
    assert observed(results['roles-app']) == {'eth0': ['10.62.0.21']}
    assert observed(results['roles-dhcp']) == {'eth0': leases[dhcp_macs['eth0']], 'eth1': leases[dhcp_macs['eth1']]}
    assert results['roles-web']['primary_ip4'] == '10.61.0.11' and results['roles-web']['primary_ip6'] == '2001:db8:61::11'
    summary = {row.split()[0]: row.split()[:4] + row.split()[6:] for row in fleet['rerun'].summary()[1:]}   # VOLUMES, CONDITIONS aside
    assert summary['roles-web'] == ['roles-web', 'powered_on', '10.61.0.11/24,2001:db8:61::11/64', '10.61.0.11/24,2001:db8:61::11/64', 'none']
    assert summary['roles-app'] == ['roles-app', 'powered_on', '10.62.0.21/24', '10.62.0.21', 'none']
    assert summary['roles-dhcp'][2:] == ['dhcp,dhcp', ','.join(leases[dhcp_macs['eth0']] + leases[dhcp_macs['eth1']]), 'none']
    assert len(agent.booted('roles-web')) == len(agent.booted('roles-dhcp')) == 1  # the re-runs booted nothing again

    # restart now: every VM restarts and the time is recorded on it
    before = time.time_ns()
    # Tools run in the LinuxPrep guest since its customization; stopped there, its restart and power-off take the hard way
    env['sim'].set_guest('roles-app', toolsRunning=False)
    now = play('restart', inventory, hosts=','.join(hosts), guestnet_next_restart_time='now')
    assert now.result.returncode == 0 and {h: now.recap[h]['changed'] for h in hosts} == dict.fromkeys(hosts, 1), now.output
    restarted = {h: now.task('Restart the VM', h)['result'] for h in hosts}
    for host in hosts:
        assert restarted[host]['restart']['due'] is True and restarted[host]['power']['after'] == 'poweredOn'
    # the cloud-init guests report running Tools (the agent's boot): a guest reboot; Tools stopped in the LinuxPrep guest: a reset
    assert restarted['roles-web']['power']['path'] == restarted['roles-dhcp']['power']['path'] == ['RebootGuest']
    assert restarted['roles-app']['power']['path'] == ['ResetVM_Task'] and restarted['roles-app']['power']['fallback'] is True
    vms = vms_by_name(si)
    for host in hosts:
        assert recorded_restart(vms[host][1]) == restarted[host]['restart']['recorded']
        assert before <= parse(restarted[host]['restart']['recorded']) <= time.time_ns()

    # a fixed timestamp later than that restart: one restart, however often the play runs
    requested = stamp(time.time_ns())
    once = play('restart', inventory, hosts=','.join(hosts), guestnet_next_restart_time=requested)
    assert once.result.returncode == 0 and {h: once.recap[h]['changed'] for h in hosts} == dict.fromkeys(hosts, 1), once.output
    twice = play('restart', inventory, hosts=','.join(hosts), guestnet_next_restart_time=requested)
    twice.unchanged(hosts)
    for host in hosts:
        assert once.task('Restart the VM', host)['result']['restart']['recorded'] == requested
        restart = twice.task('Restart the VM', host)['result']['restart']
        assert (restart['last'], restart['due'], restart['recorded']) == (requested, False, requested), restart
    vms = vms_by_name(si)
    assert {h: recorded_restart(vms[h][1]) for h in hosts} == dict.fromkeys(hosts, requested)
    FIGURES['restart_same_timestamp_3_vms'] = twice.calls

    # power off: a guest shutdown where Tools run, a hard power-off where they do not
    off = play('power', inventory, hosts=','.join(hosts), guestnet_power_state='powered_off')
    assert off.result.returncode == 0 and {h: off.recap[h]['changed'] for h in hosts} == dict.fromkeys(hosts, 1), off.output
    paths = {h: off.task("Set the VM's power state", h)['result']['power']['path'] for h in hosts}
    assert paths == {'roles-web': ['ShutdownGuest'], 'roles-dhcp': ['ShutdownGuest'], 'roles-app': ['PowerOffVM_Task']}
    vms = vms_by_name(si)
    assert {h: vms[h][1]['runtime.powerState'] for h in hosts} == dict.fromkeys(hosts, 'poweredOff')
    assert vms['roles-f04'][1]['runtime.powerState'] == 'poweredOn'  # outside the play's hosts
    assert agent.wait_for(lambda a: all(a.decisions.get(h, '').startswith('poweredOff') for h in hosts), WAIT), agent.decisions

    # decommission: the VMs are gone; a second run has nothing to do
    gone = play('decommission', inventory, hosts=','.join(hosts))
    assert gone.result.returncode == 0 and {h: gone.recap[h]['changed'] for h in hosts} == dict.fromkeys(hosts, 1), gone.output
    assert gone.calls.get('Destroy_Task') == 3
    left = vms_by_name(si)
    assert not set(hosts) & set(left) and 'roles-f04' in left
    again = play('decommission', inventory, hosts=','.join(hosts))
    again.unchanged(hosts)
    FIGURES['decommission_rerun_3_vms'] = again.calls


# -- an injected PowerOnVM_Task failure ---------------------------------------------------------------------------------

def test_failed_power_on_then_a_rerun_converges(env):
    sim, si, agent, play = env['sim'], env['si'], env['agent'], env['play']
    name = 'roles-fault'
    spec = dict(WEB, guestnet_network=dict(WEB['guestnet_network'], host_name='rolesfault', interfaces=[
        {'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.63.0.31/24'], 'gateway4': '10.63.0.1'}]))
    inventory = write_inventory(env['dir'] / 'fault.yml', {name: spec})
    sim.inject_fault('PowerOnVM_Task', name, count=1, message='no host has room for it')
    failed = play('provision', inventory)
    assert failed.result.returncode == 2 and failed.recap[name]['failed'] == 1, failed.output
    power = failed.task(RECONCILE, name)
    assert power['status'] == 'failed'
    assert power['result']['msg'] == 'power: PowerOnVM_Task on VM /DC0/vm/%s failed: SystemError: no host has room for it' % name
    assert power['result']['msg'] in failed.result.stdout  # what the person running the play reads
    assert power['result']['steps']['deploy'] == {'changed': True} and power['result']['vm']['moid'].startswith('vm-')
    assert [r['task'] for r in failed.result.results if r['host'] == name][-1] == RECONCILE  # nothing ran after it
    assert sim.faults() == []
    assert vms_by_name(si)[name][1]['runtime.powerState'] == 'poweredOff'

    rerun = play('provision', inventory)
    assert rerun.result.returncode == 0 and rerun.recap[name]['failed'] == 0, rerun.output
    assert rerun.task(RECONCILE, name)['result']['power']['path'] == ['PowerOnVM_Task']
    assert [r['task'] for r in rerun.result.results if r['host'] == name and r['result'].get('changed')] == [RECONCILE]
    result = rerun.provision_result(name)
    assert result['power_state'] == 'powered_on' and result['drift'] == [] and observed(result) == {'eth0': ['10.63.0.31/24']}
    assert boot_of(agent, name)['net'] == {macs(result)['eth0']: ['10.63.0.31/24']}
    vms = vms_by_name(si)
    assert vms[name][1]['runtime.powerState'] == 'poweredOn' and vms[name][1]['guest.hostName'] == 'rolesfault'
