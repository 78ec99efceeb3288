# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark guestnet.vsphere against community.vmware on the same simulated vCenter (`make bench`).

Method. Every run is one `ansible-playbook` process against the govmomi simulator of tests/simulator/, which
adds a fixed latency to every SOAP call (default 20 ms, a vCenter a few network hops away) and counts the calls.
Each scenario runs with our collection ("ours", .venv) and with the peer ("peer": PyPI's `ansible` package, which
ships community.vmware and vmware.vmware, in its own venv under build/bench/peer-venv), alternating ours, peer,
ours, peer ... for several rounds:

- provision: one VM cloned from linux-template, two NICs with static IPv4 ("VM Network" and an extra standard
  port group), LinuxPrep customization, powered on. Ours: the guestnet.vsphere.provision playbook (its role);
  peer: community.vmware.vmware_guest with `networks`, `customization` and `state: poweredon`. Neither waits for
  the guest (guestnet_wait_timeout 0; vmware_guest's waits are off by default): both wait for their tasks only.
- fleet: the same for N VMs (default 20) from one inventory, --forks 10.
- noop: the fleet playbook again on the provisioned fleet; every host must report changed=0.
- scan: every VM's NICs and IPs on a vCenter of M VMs (default 1,000) whose guests report one IPv4 address each.
  Ours: guestnet.vsphere.subnet_sync into a new ledger; peer: community.vmware.vmware_vm_info.

provision, fleet and noop start a fresh simulator per run (fleet and noop share one); scan shares one simulator
for all its runs (it only reads). The wall time is that of the ansible-playbook process; the SOAP calls are the
simulator's counter, reset before the run and read right after it. A run counts only when it succeeded: rc 0 and
a check of the result (the VMs exist once each, powered on, on the intended networks, with the customized host
name and IPs; no changes on the re-run; the scan saw every VM's address). A failed run is reported as failed,
never as a time. Results: a Markdown table (benchmarks/RESULTS.md, or build/bench/smoke.md with --smoke), the
raw runs as JSON in build/bench/, and each run's output in build/bench/work/logs/ (smoke-work/ with --smoke).

    .venv/bin/python benchmarks/bench.py                  # make bench
    .venv/bin/python benchmarks/bench.py --smoke          # make bench-smoke: 1 round, small, peer only if installed
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import ipaddress
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / 'build' / 'bench'
sys.path.insert(0, str(REPO / 'tests' / 'simulator'))

import harness  # noqa: E402  pylint: disable=wrong-import-position

TEMPLATE, DATACENTER, CLUSTER, DOMAIN = 'linux-template', 'DC0', 'DC0_C0', 'bench.example'
EXTRA_PG = 'BENCH-PG'  # a second standard port group (-std-pg): vmware_guest cannot move a NIC off a DVPG
# (interface, port group, host variable with its IPv4 address, gateway); /24 networks
NICS = [('eth0', 'VM Network', 'bench_ip0', '10.1.0.1'), ('eth1', EXTRA_PG, 'bench_ip1', None)]
DNS = ['10.1.0.53']
SCAN_PG, SCAN_CIDR = 'DC0_DVPG0', ipaddress.ip_network('10.100.0.0/20')  # the simulator's VMs have a NIC on DC0_DVPG0
PEER_PACKAGES = ['ansible', 'pyvmomi', 'requests']  # community.vmware also needs requests
TOOLS = {'ours': 'guestnet.vsphere', 'peer': 'community.vmware'}
SCENARIOS = {
    'provision': 'provision one VM',
    'fleet': 'fleet of {fleet} VMs, forks {forks}',
    'noop': 'no-op re-run of the fleet',
    'scan': 'inventory scan, {scan_vms} VMs',
    'scale': 'one-VM no-op on a large vCenter',
}
SCALE_VM = 'DC0_H0_VM0'  # a VM the simulator generates, found by name and datacenter
SCALE_NETWORK = {'host_name': 'dc0-h0-vm0', 'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0'}]}


class BenchError(Exception):
    """A run failed: its playbook or its check."""


@dataclasses.dataclass
class Tool:
    key: str                  # 'ours' or 'peer'
    ansible_playbook: Path
    collections_path: Path    # ours: build/dev; peer: an empty folder, so only the venv's `ansible` package counts
    provision: str            # playbook path or FQCN


@dataclasses.dataclass
class Run:
    scenario: str
    tool: str
    round: int
    seconds: Optional[float] = None
    cpu: Optional[float] = None   # CPU seconds of ansible-playbook and everything it ran (its modules)
    calls: dict = dataclasses.field(default_factory=dict)
    error: Optional[str] = None
    size: Optional[int] = None    # scale: the VMs of the vCenter

    @property
    def ok(self) -> bool:
        return self.error is None and self.seconds is not None


# -- inventory and playbooks (written to the work folder: JSON is YAML) -------------------------------------------------

def fleet_inventory(prefix: str, count: int) -> dict:
    """One inventory for both tools: host variables bench_ip0/1, group variables for each tool derived from them."""
    hosts = {'%s-%02d' % (prefix, i): {var: '10.%d.0.%d' % (n + 1, 10 + i) for n, (dummy, dummy, var, dummy) in enumerate(NICS)}
             for i in range(1, count + 1)}
    interfaces = [dict({'name': name, 'network': pg, 'addresses': ['{{ %s }}/24' % var]}, **({'gateway4': gw} if gw else {}))
                  for name, pg, var, gw in NICS]
    peer_networks = [dict({'name': pg, 'device_type': 'vmxnet3', 'type': 'static', 'ip': '{{ %s }}' % var, 'netmask': '255.255.255.0'},
                          **({'gateway': gw} if gw else {})) for dummy, pg, var, gw in NICS]
    group_vars = {
        # ours: the provision role's variables
        'guestnet_vm': {'image': TEMPLATE, 'datacenter': DATACENTER, 'cluster': CLUSTER},
        'guestnet_network': {'host_name': '{{ inventory_hostname }}', 'domain_name': DOMAIN, 'nameservers': DNS, 'interfaces': interfaces},
        'guestnet_bootstrap': {'provider': 'linux_prep', 'linux_prep': {}},
        'guestnet_wait_timeout': 0,  # vmware_guest does not wait for the guest either
        # peer: vmware_guest's options
        'bench_peer_networks': peer_networks,
        'bench_peer_customization': {'hostname': '{{ inventory_hostname }}', 'domain': DOMAIN, 'dns_servers': DNS},
    }
    return {'all': {'vars': group_vars, 'hosts': hosts}}


PEER_PROVISION = [{
    'name': 'Provision VMs with community.vmware.vmware_guest',
    'hosts': 'all',
    'gather_facts': False,
    'tasks': [{
        'name': 'Clone from the template with two static NICs, customize (LinuxPrep), power on',
        'delegate_to': 'localhost',
        'community.vmware.vmware_guest': {
            'name': '{{ inventory_hostname }}', 'template': TEMPLATE, 'datacenter': DATACENTER, 'cluster': CLUSTER,
            'folder': '/%s/vm' % DATACENTER, 'state': 'poweredon',
            'networks': '{{ bench_peer_networks }}', 'customization': '{{ bench_peer_customization }}'},
    }],
}]


def scan_playbook(tool: str) -> list:
    """The scan: read every VM's NICs and IPs, then check that every VM's address was seen."""
    if tool == 'peer':
        hidden = ('cluster', 'datacenter', 'datastore', 'esxi_hostname', 'folder', 'resource_pool', 'tag', 'attribute', 'allocated')
        options = dict({'vm_type': 'vm', 'show_mac_address': True, 'show_net': True}, **{'show_' + key: False for key in hidden})
        read = {'community.vmware.vmware_vm_info': options}
        seen = ("scan.virtual_machines | map(attribute='vm_network') | map('dict2items') | flatten"
                " | map(attribute='value.ipv4') | flatten | length == bench_vms")
        that = ['scan.virtual_machines | length == bench_vms', seen]
    else:
        read = {'guestnet.vsphere.subnet_sync': {'ledger': '{{ bench_ledger }}',
                                                 'subnets': [{'name': 'bench-scan', 'cidr': str(SCAN_CIDR), 'portgroup': SCAN_PG}]}}
        that = ['scan.subnets[0].usage.observed == bench_vms', 'scan.unmatched | length == 0']
    return [{'name': "Read every VM's NICs and IPs", 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        dict(read, name="Read every VM's NICs and IPs", register='scan'),
        {'name': 'Check that every VM was seen with its address', 'ansible.builtin.assert': {'that': that, 'quiet': True}},
    ]}]


def scale_playbook() -> list:
    """The scale scenario's one-VM no-op: power state and NICs of one VM found by name and datacenter (ours only)."""
    vm = {'name': SCALE_VM, 'datacenter': DATACENTER}
    return [{'name': 'One VM on a large vCenter', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Its power state', 'guestnet.vsphere.vm_power': dict(vm, state='powered_on'), 'register': 'power'},
        {'name': 'Its NICs', 'guestnet.vsphere.vm_network': dict(vm, network=SCALE_NETWORK), 'register': 'nics'},
        {'name': 'Check that nothing changed', 'ansible.builtin.assert': {'that': ['not power.changed', 'not nics.changed'], 'quiet': True}},
    ]}]


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + '\n', encoding='utf-8')
    return path


# -- running and checking ---------------------------------------------------------------------------------------------

class Bench:
    """The configuration, the tools and the runs of one benchmark."""

    def __init__(self, args: argparse.Namespace, tools: list[Tool]):
        self.args = args
        self.tools = tools
        self.runs: list[Run] = []
        self.work = BUILD / ('smoke-work' if args.smoke else 'work')  # so a smoke run (CI, the gate) never clobbers a full run
        shutil.rmtree(self.work, ignore_errors=True)
        (self.work / 'logs').mkdir(parents=True)
        self.binary = harness.build()

    def simulator(self, **size) -> harness.Simulator:
        # 50,000 VMs take a minute to start on this machine
        return harness.Simulator.start(binary=self.binary, latency_ms=self.args.latency_ms, standard_portgroups=[EXTRA_PG], timeout=900, **size)

    def playbook(self, tool: Tool, sim: harness.Simulator, playbook: str, name: str, options: list[str]) -> str:
        """Run ansible-playbook; returns its output (also in logs/NAME.log); raises BenchError unless rc is 0."""
        home = self.work / 'ansible-home' / tool.key
        env = dict(os.environ, **sim.env())
        env.update({'ANSIBLE_COLLECTIONS_PATH': str(tool.collections_path), 'ANSIBLE_HOME': str(home),
                    'ANSIBLE_LOCAL_TEMP': str(home / 'tmp'), 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_RETRY_FILES_ENABLED': 'false',
                    'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false'})
        cmd = [str(tool.ansible_playbook), playbook] + options
        proc = subprocess.run(cmd, cwd=str(self.work), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=self.args.timeout, check=False)
        (self.work / 'logs' / (name + '.log')).write_text(' '.join(cmd) + '\n' + proc.stdout, encoding='utf-8')
        if proc.returncode != 0:
            failed = [line for line in proc.stdout.splitlines() if line.startswith(('fatal:', 'ERROR', 'failed:'))]
            raise BenchError('ansible-playbook rc %d: %s' % (proc.returncode, (failed or ['see logs/%s.log' % name])[0][:300]))
        return proc.stdout

    def measure(self, run: Run, sim: harness.Simulator, tool: Tool, playbook: str, options: list[str],
                check: Optional[Callable[[str], None]] = None) -> Run:
        """Time one playbook run, read its SOAP calls, check its result; a failure is recorded, not timed."""
        sim.reset_calls()
        try:
            began, cpu = time.monotonic(), children_cpu()
            output = self.playbook(tool, sim, playbook, '%s-%s-r%d' % (run.scenario, run.tool, run.round), options)
            seconds, cpu = time.monotonic() - began, children_cpu() - cpu
            calls = sim.calls()  # before the check, whose own calls must not count
            if check:
                check(output)
            run.seconds, run.cpu, run.calls = seconds, cpu, calls
        except (BenchError, harness.SimulatorError, subprocess.TimeoutExpired, OSError) as exc:
            run.error = str(exc)
        return self.record(run)

    def record(self, run: Run) -> Run:
        self.runs.append(run)
        shown = 'FAILED: %s' % run.error if run.error else '%7.2f s  %6.1f CPU s %6d calls' % (run.seconds, run.cpu, run.calls.get('total', 0))
        print('%-9s %-4s round %d  %s' % (run.scenario, run.tool, run.round, shown), flush=True)
        return run

    # -- scenarios: each round runs ours, then the peer ---------------------------------------------------------------
    def provision(self, rnd: int) -> None:
        inventory = fleet_inventory('bench-vm', 1)
        path = write_json(self.work / 'inventory-provision.json', inventory)
        for tool in self.tools:
            with self.simulator() as sim:
                self.measure(Run('provision', tool.key, rnd), sim, tool, tool.provision, ['-i', str(path)], partial(check_vms, sim, inventory))

    def fleet(self, rnd: int) -> None:
        inventory = fleet_inventory('bench-fleet', self.args.fleet)
        options = ['-i', str(write_json(self.work / 'inventory-fleet.json', inventory)), '--forks', str(self.args.forks)]
        for tool in self.tools:
            with self.simulator() as sim:
                if self.measure(Run('fleet', tool.key, rnd), sim, tool, tool.provision, options, partial(check_vms, sim, inventory)).ok:
                    self.measure(Run('noop', tool.key, rnd), sim, tool, tool.provision, options, partial(check_rerun, sim, inventory))
                else:
                    self.record(Run('noop', tool.key, rnd, error='the fleet run failed: nothing to re-run'))

    def scan(self, sim: harness.Simulator, vms: int, rnd: int) -> None:
        for tool in self.tools:
            ledger = self.work / ('ledger-%s-r%d.sqlite' % (tool.key, rnd))  # a new ledger every run
            path = write_json(self.work / ('scan-%s.json' % tool.key), scan_playbook(tool.key))
            extra = json.dumps({'bench_vms': vms, 'bench_ledger': str(ledger)})
            self.measure(Run('scan', tool.key, rnd), sim, tool, str(path), ['-e', extra])  # the playbook asserts

    def scale(self, rnd_count: int) -> None:
        """The same one-VM no-op on vCenters of growing size (ours only: it is about our look-ups)."""
        ours = self.tools[0]
        path = write_json(self.work / 'scale.json', scale_playbook())
        warm = write_json(self.work / 'scale-warm.json', [dict(scale_playbook()[0], tasks=scale_playbook()[0]['tasks'][1:2])])
        for vms in self.args.scale_vms:
            with self.simulator(vms_per_pool=max(1, vms // 2)) as sim:
                self.playbook(ours, sim, str(warm), 'scale-warm-%d' % vms, [])   # records eth0 on the NIC: later runs change nothing
                for rnd in range(1, rnd_count + 1):
                    run = self.measure(Run('scale', 'ours', rnd), sim, ours, str(path), [])
                    run.size = sim.inventory['vms']

    def run_all(self) -> None:
        rounds = range(1, self.args.rounds + 1)
        write_json(self.work / 'peer-provision.json', PEER_PROVISION)
        if 'provision' in self.args.scenarios:
            for rnd in rounds:
                self.provision(rnd)
        if 'fleet' in self.args.scenarios or 'noop' in self.args.scenarios:
            for rnd in rounds:
                self.fleet(rnd)
        if 'scan' in self.args.scenarios:
            per_pool = max(1, self.args.scan_vms // 2)  # VMs per pool: the cluster's root pool and the standalone host
            with self.simulator(vms_per_pool=per_pool) as sim:
                vms = report_guest_addresses(sim)
                for rnd in rounds:
                    self.scan(sim, vms, rnd)
        if 'scale' in self.args.scenarios:
            self.scale(self.args.rounds)


def children_cpu() -> float:
    """User + system CPU seconds of the finished child processes and their waited-for descendants (ansible's forks
    and modules); the simulator is a child too, but it is only reaped after the runs it served."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def check_vms(sim: harness.Simulator, inventory: dict, output: str = '') -> None:  # pylint: disable=unused-argument
    """Each inventory host is one VM, powered on, with NICs on the intended port groups and the customized guest."""
    from pyVim.connect import Disconnect  # pylint: disable=import-outside-toplevel
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    hosts = inventory['all']['hosts']
    si = sim.connect()
    try:
        found: dict[str, list] = {}
        for dummy, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'runtime.powerState', 'config.hardware.device',
                                                                           'guest.hostName', 'guest.net']):
            if props.get('name') in hosts:
                found.setdefault(props['name'], []).append(props)
    finally:
        Disconnect(si)
    problems = []
    for name, host_vars in hosts.items():
        vms = found.get(name, [])
        if len(vms) != 1:
            problems.append('%s: %d VMs of that name' % (name, len(vms)))
            continue
        props = vms[0]
        nics = sorted((d for d in props.get('config.hardware.device') or [] if isinstance(d, vim.vm.device.VirtualEthernetCard)), key=lambda d: d.key)
        networks = [getattr(nic.backing, 'deviceName', None) for nic in nics]
        addresses = sorted(ip for net in props.get('guest.net') or [] for ip in net.ipAddress or [])
        want = {'power': 'poweredOn', 'networks': [pg for dummy, pg, dummy, dummy in NICS], 'host name': name,
                'addresses': sorted(host_vars[var] for dummy, dummy, var, dummy in NICS)}
        have = {'power': props.get('runtime.powerState'), 'networks': networks, 'host name': props.get('guest.hostName'), 'addresses': addresses}
        problems += ['%s: %s is %s, not %s' % (name, key, have[key], want[key]) for key in want if have[key] != want[key]]
    if problems:
        raise BenchError('; '.join(problems[:4]) + (' (and %d more)' % (len(problems) - 4) if len(problems) > 4 else ''))


def check_rerun(sim: harness.Simulator, inventory: dict, output: str) -> None:
    """The PLAY RECAP lists every host with changed=0, and the VMs are still as intended."""
    recap = dict(re.findall(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', output, re.M))
    changed = sorted(host for host in inventory['all']['hosts'] if recap.get(host) != '0')
    if changed:
        raise BenchError('the re-run changed (or did not run) %d hosts: %s' % (len(changed), ', '.join(changed[:5])))
    check_vms(sim, inventory)


def report_guest_addresses(sim: harness.Simulator) -> int:
    """Make every VM's guest report one IPv4 address of SCAN_CIDR on its first NIC (as Tools would); returns the VM count."""
    from pyVim.connect import Disconnect  # pylint: disable=import-outside-toplevel
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    si = sim.connect()
    try:
        vms = [(obj, props) for obj, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'config.template', 'config.hardware.device'])
               if not props.get('config.template')]
    finally:
        Disconnect(si)
    addresses = SCAN_CIDR.hosts()
    for obj, props in vms:
        nic = next(d for d in props['config.hardware.device'] if isinstance(d, vim.vm.device.VirtualEthernetCard))
        ip = str(next(addresses))
        sim.set_guest(obj._moId, toolsRunning=True, ipAddress=ip,  # pylint: disable=protected-access
                      net=[{'macAddress': nic.macAddress, 'ipAddresses': ['%s/%d' % (ip, SCAN_CIDR.prefixlen)]}])
    return len(vms)


# -- tools, versions, report ------------------------------------------------------------------------------------------

def peer_venv(path: Path, mode: str) -> Optional[Path]:
    """The peer's venv: reused when it works; installed from PyPI when mode is 'install'; None when absent."""
    python = path / 'bin' / 'python'

    def usable() -> bool:
        probe = 'import pyVmomi, requests, ansible_collections.community.vmware, ansible_collections.vmware.vmware'
        return (path / 'bin' / 'ansible-playbook').is_file() and subprocess.run(
            [str(python), '-c', probe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0

    if mode == 'skip' or usable():
        return None if mode == 'skip' else path
    if mode == 'auto':
        return None
    print('== installing the peer into %s: pip install %s' % (path, ' '.join(PEER_PACKAGES)), flush=True)
    if not python.exists():
        subprocess.run([sys.executable, '-m', 'venv', str(path)], check=True)
    subprocess.run([str(python), '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check'] + PEER_PACKAGES, check=True)
    if not usable():
        raise BenchError('the peer venv %s does not import community.vmware, vmware.vmware and pyVmomi' % path)
    return path


def versions(python: Path) -> dict:
    """Package and collection versions as seen by one venv's Python."""
    probe = '''
import importlib.metadata as m, json, os
out = {}
for name in ('ansible-core', 'ansible', 'pyvmomi'):
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        pass
try:
    import ansible_collections
    for ns, coll in (('community', 'vmware'), ('vmware', 'vmware')):
        for root in ansible_collections.__path__:
            manifest = os.path.join(root, ns, coll, 'MANIFEST.json')
            if os.path.isfile(manifest):
                out[ns + '.' + coll] = json.load(open(manifest))['collection_info']['version']
except ImportError:
    pass
print(json.dumps(out))
'''
    proc = subprocess.run([str(python), '-c', probe], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(proc.stdout)


def shown_path(path: Path) -> str:
    """A path relative to the checkout when it is inside it (reports are published)."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def machine() -> dict:
    cpu = next((line.split(':', 1)[1].strip() for line in Path('/proc/cpuinfo').read_text(encoding='utf-8').splitlines()
                if line.startswith('model name')), platform.processor() or 'unknown')
    git = subprocess.run(['git', '-C', str(REPO), 'describe', '--always', '--dirty'], stdout=subprocess.PIPE, text=True, check=False).stdout.strip()
    galaxy = re.search(r'^version:\s*(\S+)', (REPO / 'galaxy.yml').read_text(encoding='utf-8'), re.M)
    govmomi = subprocess.run(['dpkg-query', '-W', '-f', '${Version}', 'golang-github-vmware-govmomi-dev'], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, check=False).stdout.strip()
    return {'nproc': os.cpu_count(), 'cpu': cpu, 'os': platform.platform(), 'python': platform.python_version(),
            'guestnet.vsphere': '%s (%s)' % (galaxy.group(1) if galaxy else '?', git or 'no git'), 'govmomi': govmomi or '?',
            'load': '%.1f %.1f %.1f' % os.getloadavg()}


def summary(runs: list[Run], scenario: str, tool: str) -> Optional[dict]:
    mine = [r for r in runs if r.scenario == scenario and r.tool == tool]
    if not mine:
        return None
    good = [r for r in mine if r.ok]
    out = {'runs': len(mine), 'failed': len(mine) - len(good)}
    if good:
        times = [r.seconds for r in good]
        cpus = [r.cpu for r in good if r.cpu is not None]
        calls = [r.calls.get('total', 0) for r in good]
        median_run = sorted(good, key=lambda r: r.calls.get('total', 0))[len(good) // 2]
        out.update(median=statistics.median(times), low=min(times), high=max(times), cpu=statistics.median(cpus) if cpus else None,
                   calls=statistics.median(calls),
                   calls_low=min(calls), calls_high=max(calls), methods=median_run.calls)
    return out


def cell_time(stats: Optional[dict]) -> str:
    if stats is None:
        return 'not run'
    if 'median' not in stats:
        return 'FAILED (%d of %d)' % (stats['failed'], stats['runs'])
    text = '%.1f s (%.1f–%.1f)' % (stats['median'], stats['low'], stats['high'])
    return text + (', %d of %d FAILED' % (stats['failed'], stats['runs']) if stats['failed'] else '')


def cell_calls(stats: Optional[dict]) -> str:
    if not stats or 'calls' not in stats:
        return '–'
    spread = '' if stats['calls_low'] == stats['calls_high'] else ' (%d–%d)' % (stats['calls_low'], stats['calls_high'])
    return '%d%s' % (stats['calls'], spread)


def cell_cpu(stats: Optional[dict], vms: Optional[int] = None) -> str:
    if not stats or stats.get('cpu') is None:
        return '–'
    return '%.2f' % (stats['cpu'] / vms) if vms else '%.1f' % stats['cpu']


def scale_table(runs: list[Run]) -> list[str]:
    """The scale scenario: the same one-VM no-op on each vCenter size, against the smallest."""
    sizes = sorted({r.size for r in runs if r.scenario == 'scale' and r.size})
    rows = {size: summary([r for r in runs if r.size == size], 'scale', 'ours') for size in sizes}
    base = rows[sizes[0]] if sizes else None
    lines = ['', '### One VM on a large vCenter', '',
             'The same no-op on one VM (`vm_power` and `vm_network`, the VM by name and datacenter) on vCenters of growing size; ours only '
             '(the look-ups are the point). Time and CPU per run, and the time against the smallest vCenter.', '',
             '| VMs in vCenter | wall time | CPU s | SOAP calls | time / time at %s VMs |' % (sizes[0] if sizes else '?'), '|---|---|---|---|---|']
    for size in sizes:
        stats = rows[size]
        against = '%.2f×' % (stats['median'] / base['median']) if stats and base and 'median' in stats and 'median' in base else '–'
        lines.append('| %d | %s | %s | %s | %s |' % (size, cell_time(stats), cell_cpu(stats), cell_calls(stats), against))
    return lines


def ratio(peer: Optional[dict], ours: Optional[dict], key: str) -> str:
    if not peer or not ours or not peer.get(key) or not ours.get(key):
        return '–'
    value = peer[key] / ours[key]
    text = '%.0f×' % value if value >= 100 else '%.1f×' % value
    return '**%s**' % text if key == 'median' else text


def break_even(runs: list[Run], names: dict, latency_ms: int) -> list[str]:
    """Where ours is slower on a one-VM scenario: the per-call latency at which it would catch up, assuming each run's
    time grows by its SOAP calls times the added latency (true for one VM, whose calls are sequential)."""
    lines = []
    for key in ('provision', 'scan'):
        ours, peer = summary(runs, key, 'ours'), summary(runs, key, 'peer')
        if ours and peer and 'median' in ours and 'median' in peer and ours['median'] > peer['median'] and peer['calls'] > ours['calls']:
            at = latency_ms + 1000 * (ours['median'] - peer['median']) / (peer['calls'] - ours['calls'])
            lines.append('- %s: ours is slower here; with its %d fewer SOAP calls it would catch up at about **%.0f ms per call** '
                         '(linear estimate from these medians).' % (names[key], peer['calls'] - ours['calls'], at))
    return [''] + lines if lines else []


NOTES = '''\
## What each side runs

Both sides get the same connection (VMWARE_HOST, VMWARE_PORT, VMWARE_USER, VMWARE_PASSWORD,
VMWARE_VALIDATE_CERTS=true with the simulator's CA in SSL_CERT_FILE), the same inventory and the same forks.
Every run is one `ansible-playbook` process; its wall time includes Ansible's own start-up.

- **provision one VM**: clone `linux-template` in DC0_C0, two vmxnet3 NICs with static IPv4 (`VM Network` with a
  gateway, and the standard port group `BENCH-PG`), LinuxPrep with host name, domain and DNS server, power on.
  Ours: `ansible-playbook guestnet.vsphere.provision` (the `provision` role: one `guestnet.vsphere.vm` task per VM,
  delegated to localhost, so its action plugin runs it in the controller's process rather than as a module process;
  `guestnet_wait_timeout: 0`). Peer: one `community.vmware.vmware_guest` task with
  `networks`, `customization` and `state: poweredon`. Neither waits for the guest: both wait for their vCenter tasks
  only (vmware_guest's `wait_for_ip_address` and `wait_for_customization` are off by default, and the role's guest
  wait is off). Each run is checked: the VM exists once, is powered on, has its NICs on the two port groups, and the
  simulator shows the customized host name and both IPs.
- **fleet**: the same for every host of one inventory, `--forks` as in the table's scenario name.
- **no-op re-run**: the fleet playbook again on the provisioned fleet; every host must report `changed=0`. Note the
  two sides do not check the same things: on an existing VM, `vmware_guest` with `state: poweredon` checks the power
  state only (it compares neither NICs nor customization), while the provision role re-reads and compares the VM,
  its NICs, its bootstrap and its power state.
- **inventory scan**: every VM's NICs and IPs on a simulator with that many VMs (each guest reports one IPv4 address,
  set through the simulator before the runs). Ours: `guestnet.vsphere.subnet_sync` into a new SQLite ledger (it also
  reads every port group and host, and records the addresses in the ledger). Peer: `community.vmware.vmware_vm_info`
  with `vm_type: vm`, `show_mac_address` and `show_net` on and every other `show_*` option off (its fastest setting
  that still returns NICs and IPs). Each run asserts that every VM's address was seen.
- **one-VM no-op on a large vCenter** (ours only): `vm_power` (state powered_on) and `vm_network` (its one interface) on
  one VM found by name and datacenter, on simulators of the sizes listed; the playbook asserts that nothing changed.
  The VM is found with `SearchIndex.FindByInventoryPath` and read with one property read, so neither the calls nor the
  payload grow with the inventory.

## Known peer bugs (why both sides use two standard port groups)

Found while building this benchmark, with community.vmware's `vmware_guest`:

- A NIC cannot be moved from a distributed port group to a standard one: with the template's NIC on `DC0_DVPG0` and
  `networks: [{name: VM Network}]` the module fails with `AttributeError: key` (plugins/modules/vmware_guest.py,
  `configure_network`: it compares `nic.device.backing.port.portgroupKey != pg.key`, and a standard `vim.Network`
  has no `key`).
- It refuses to change the device type of a NIC the template already has ("Changing the device type is not possible
  when interface is already present"), so the peer's NICs must be vmxnet3 like the template's.

So the template's NIC stays on `VM Network` (the simulator's default) and the second NIC goes to the standard port
group `BENCH-PG`, a setup both tools handle; ours handles the other cases as well.

## Reading the numbers

Apart from the added latency the simulator answers in microseconds, so a run's wall time is about its CPU time
(Ansible's controller, its forks and the modules' Python with pyVmomi; the CPU columns) spread over the machine's
cores, plus its SOAP calls in sequence × the latency (the calls columns). The calls do not depend on the machine;
the CPU time does, and on this shared 2-core machine a fleet with 10 forks is bound by it. Most of a module task's
CPU time is its module process: a Python start, the AnsiballZ payload and the imports (Ansible's module_utils,
pyVmomi, the collection's code), about half a CPU-second each; our action plugins skip it for tasks that run on the
controller and import the collection's code once per run, before Ansible forks its workers. Against a real vCenter
each call also costs vCenter's own work, which the simulator leaves out.
'''


def report(bench: Bench, info: dict, started: str, took: float, peer_note: str) -> str:
    args = bench.args
    names = {key: text.format(**vars(args)) for key, text in SCENARIOS.items()}
    lines = ['# Benchmark: guestnet.vsphere vs community.vmware', '',
             'Generated by `%s` (benchmarks/bench.py) on %s in %.0f min. %s' % (
                 'make bench-smoke' if args.smoke else 'make bench', started, took / 60, peer_note), '',
             'Same simulated vCenter (govmomi vcsim %s through tests/simulator/), **%d ms added to every SOAP call**, '
             '%d round(s) alternating ours/peer. Per scenario: the median wall time of `ansible-playbook` (min–max), the '
             'median CPU time it and its modules used (user + system), the SOAP calls per run (the simulator\'s counter), and '
             'the ratios peer/ours (above 1: ours is faster or makes fewer calls).' % (
                 info['machine']['govmomi'], args.latency_ms, args.rounds), '',
             '| Scenario | guestnet.vsphere | community.vmware | time peer/ours | CPU s ours | CPU s peer | CPU s per VM ours / peer '
             '| SOAP calls ours | SOAP calls peer | calls peer/ours |',
             '|---|---|---|---|---|---|---|---|---|---|']
    per_vm = {'provision': 1, 'fleet': args.fleet, 'noop': args.fleet}
    for key in SCENARIOS:
        if key not in args.scenarios or key == 'scale':
            continue
        ours, peer = summary(bench.runs, key, 'ours'), summary(bench.runs, key, 'peer')
        cells = [names[key], cell_time(ours), cell_time(peer), ratio(peer, ours, 'median'), cell_cpu(ours), cell_cpu(peer),
                 '%s / %s' % (cell_cpu(ours, per_vm.get(key)), cell_cpu(peer, per_vm.get(key))) if key in per_vm else '–',
                 cell_calls(ours), cell_calls(peer), ratio(peer, ours, 'calls')]
        lines.append('| %s |' % ' | '.join(cells))
    lines += scale_table(bench.runs) if 'scale' in args.scenarios else []
    lines += break_even(bench.runs, names, args.latency_ms)
    lines += ['', '### SOAP calls by method (a median run)', '', '| Scenario | tool | calls |', '|---|---|---|']
    for key in SCENARIOS:
        for tool in ('ours', 'peer'):
            stats = summary(bench.runs, key, tool)
            if stats and stats.get('methods'):
                methods = sorted(((n, c) for n, c in stats['methods'].items() if n != 'total'), key=lambda item: (-item[1], item[0]))
                lines.append('| %s | %s | %s |' % (names[key], TOOLS[tool], ', '.join('%s %d' % item for item in methods)))
    failures = [r for r in bench.runs if not r.ok]
    if failures:
        lines += ['', '### Failed runs', '']
        lines += ['- %s, %s, round %d: %s' % (r.scenario, TOOLS[r.tool], r.round, r.error.replace('|', '\\|')) for r in failures]
    mach = info['machine']
    lines += ['', '## Machine and versions', '',
              '- Machine: %s cores, %s; %s; load average %s at the start, %s at the end (a shared machine: other jobs ran too).' % (
                  mach['nproc'], mach['cpu'], mach['os'], mach['load'], info['load_end']),
              '- Sizes: fleet %d VMs with --forks %d; scan %d VMs; provision and fleet on the simulator\'s default inventory '
              '(4 VMs, 2 templates on 4 hosts) plus the VMs they create.' % (args.fleet, args.forks, args.scan_vms),
              '- guestnet.vsphere %s: ansible-core %s, pyVmomi %s, Python %s.' % (
                  mach['guestnet.vsphere'], info['ours'].get('ansible-core', '?'), info['ours'].get('pyvmomi', '?'), mach['python'])]
    if info.get('peer'):
        peer = info['peer']
        shown = [' '.join(PEER_PACKAGES)] + [peer.get(key, '?') for key in ('ansible', 'ansible-core', 'community.vmware', 'vmware.vmware', 'pyvmomi')]
        lines.append('- Peer (build/bench/peer-venv, `pip install %s`): ansible %s (ansible-core %s), community.vmware %s, '
                     'vmware.vmware %s, pyVmomi %s.' % tuple(shown))
    lines += ['', NOTES]
    return '\n'.join(lines)


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--smoke', action='store_true',
                        help='1 round, fleet 2, scan 20 VMs, no latency, peer only if installed; writes build/bench/smoke.md')
    parser.add_argument('--rounds', type=int)
    parser.add_argument('--latency-ms', type=int)
    parser.add_argument('--fleet', type=int, help='VMs in the fleet (default 20)')
    parser.add_argument('--forks', type=int, help='ansible forks for the fleet (default 10)')
    parser.add_argument('--scan-vms', type=int, help='VMs on the scanned vCenter (default 1000)')
    parser.add_argument('--scale-vms', help='vCenter sizes for the scale scenario, comma-separated (default 100,5000,50000)')
    parser.add_argument('--scenarios', default=','.join(SCENARIOS), help='comma-separated subset of %s' % ', '.join(SCENARIOS))
    parser.add_argument('--peer', choices=['install', 'auto', 'skip'],
                        help='install: install the peer venv when missing (default); auto: use it if present (--smoke); skip')
    parser.add_argument('--peer-venv', type=Path, default=BUILD / 'peer-venv')
    parser.add_argument('--output', type=Path, help='the Markdown report (default benchmarks/RESULTS.md, or build/bench/smoke.md)')
    parser.add_argument('--timeout', type=int, default=1800, help='seconds per ansible-playbook run')
    args = parser.parse_args(argv)
    defaults = ({'rounds': 1, 'latency_ms': 0, 'fleet': 2, 'forks': 2, 'scan_vms': 20, 'scale_vms': '100,1000', 'peer': 'auto',
                 'output': BUILD / 'smoke.md'} if args.smoke else
                {'rounds': 3, 'latency_ms': 20, 'fleet': 20, 'forks': 10, 'scan_vms': 1000, 'scale_vms': '100,5000,50000', 'peer': 'install',
                 'output': REPO / 'benchmarks' / 'RESULTS.md'})
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.scenarios = [s.strip() for s in args.scenarios.split(',') if s.strip()]
    args.scale_vms = [int(size) for size in str(args.scale_vms).split(',') if size.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown or not 1 <= args.fleet <= 200:
        parser.error('unknown scenarios %s' % ', '.join(sorted(unknown)) if unknown else '--fleet must be 1..200')
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    began = time.monotonic()
    ansible_playbook = Path(sys.executable).parent / 'ansible-playbook'
    BUILD.mkdir(parents=True, exist_ok=True)
    tools = [Tool('ours', ansible_playbook, REPO / 'build' / 'dev', 'guestnet.vsphere.provision')]
    venv = peer_venv(args.peer_venv, args.peer)
    if venv:
        empty = BUILD / 'no-collections'
        empty.mkdir(exist_ok=True)
        tools.append(Tool('peer', venv / 'bin' / 'ansible-playbook', empty, 'peer-provision.json'))  # in the work folder, the cwd
        peer_note = ''
    else:
        peer_note = ('**The peer was not run**: %s is absent (`make bench` installs it).' % shown_path(args.peer_venv) if args.peer != 'skip'
                     else '**The peer was not run** (--peer skip).')
        print('== ' + peer_note.replace('**', ''), flush=True)
    if not (REPO / 'build' / 'dev' / 'ansible_collections' / 'guestnet' / 'vsphere').exists():
        raise SystemExit('build/dev is missing: run `make dev` first')
    info = {'machine': machine(), 'ours': versions(Path(sys.executable)), 'peer': versions(venv / 'bin' / 'python') if venv else None}
    print('== %s; latency %d ms, %d round(s), scenarios %s' % (', '.join(t.key for t in tools), args.latency_ms, args.rounds, ', '.join(args.scenarios)),
          flush=True)
    bench = Bench(args, tools)
    try:
        bench.run_all()
    finally:
        info['load_end'] = '%.1f %.1f %.1f' % os.getloadavg()
        took = time.monotonic() - began
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report(bench, info, started, took, peer_note).rstrip('\n') + '\n', encoding='utf-8')
        write_json(args.output.with_suffix('.json') if args.smoke else BUILD / 'results.json',
                   {'args': {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, 'info': info,
                    'runs': [dataclasses.asdict(r) for r in bench.runs]})
        print('== wrote %s (%.0f s)' % (args.output, took), flush=True)
    failed = [r for r in bench.runs if not r.ok]
    if failed:
        print('== %d run(s) FAILED; logs in %s' % (len(failed), bench.work / 'logs'), file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
