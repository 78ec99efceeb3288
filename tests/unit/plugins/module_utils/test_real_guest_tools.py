# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every netplan the suite renders, checked with the real guest tools (Debian packages).

1. ``netplan generate`` (netplan.io) must accept it, and the systemd-networkd files it writes
   must hold the addresses, gateways, routes, DNS, MTU and DHCP settings we intended.
2. ``cloud-init devel net-convert`` must turn it into networkd, ENI and sysconfig files that
   hold the same, except for cloud-init's own known bugs, listed in ``Quirks`` with their issue.
   The conversions run as one batch per output kind: the ``cloud-init`` entry point is called once
   per case inside one interpreter, since each process start costs ~0.5 s (a test checks that the
   batch writes exactly what the ``cloud-init`` command writes).
3. cloud-init's VMware datasource must read our guestinfo keys back (decode, metadata, user-data).
4. cloud-init's cloud-config schema must take the user-data we write.
The rules that exist because of what a tool does (conflicting default routes, interface names
longer than 15 characters) are checked against the tool itself.

The expectation is derived from the ResolvedNetwork (what we meant), never from the rendered
netplan, so a renderer bug shows up as a difference. The tools must really run: a missing tool
skips these tests only when the CI environment variable is unset; under CI it fails them.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import functools
import ipaddress
import json
import os
import pprint
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, TypeVar

import pytest
import yaml

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import CLOUD_INIT, ResolvedInterface, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import guestinfo, render_metadata, render_userdata
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._netplan import GATEWAY_KEYS, render_netplan
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec, validate
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmoperator import from_vm_operator
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._netfixtures import NETPLAN_CASES, NetplanCase, case

TOOL_TIMEOUT = 120
RouteTuple = Tuple[str, str, Optional[int]]     # (destination CIDR, gateway, metric)
T = TypeVar('T')


# -- the tools --------------------------------------------------------------------------------

def find_tool(name: str) -> Optional[str]:
    # /usr/sbin is not on every user's PATH.
    return shutil.which(name) or shutil.which(name, path='/usr/sbin:/usr/bin:/sbin:/bin')


def require(tool: Optional[str], what: str) -> str:
    if tool:
        return tool
    message = '%s is not installed' % what
    if 'CI' in os.environ:
        pytest.fail(message + ' (CI must install it: the guest tools are part of the gate)')
    pytest.skip(message)
    return ''   # not reached


def cloud_init_version(cloud_init: str) -> Tuple[int, int]:
    output = subprocess.run([cloud_init, '--version'], capture_output=True, text=True, check=True, timeout=TOOL_TIMEOUT)
    match = re.search(r'(\d+)\.(\d+)', output.stdout + output.stderr)
    assert match, 'cannot read the cloud-init version from %r' % output
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class Quirks:
    """How a tool's output departs from the netplan it is given: known limits and bugs."""
    route_metrics: bool = True                  # False: cloud-init < 23.3 drops v2 route metrics (canonical/cloud-init#4217)
    ipv6_all_zero_route: str = '::/0'           # cloud-init writes a `to: ::/0` route as ::/64 (canonical/cloud-init#4600, open)
    # cloud-init puts a v2 interface's DNS on its static subnets; the DNS of other interfaces
    # reaches only the networkd renderer and the global resolver config, through a pass over
    # all interfaces that stops at the first one with search domains but no nameservers
    # (22.4: handle_nameserver requires an address and raises InvalidCommand, which is skipped).
    dns_needs_static_address: bool = False
    dns_pass_stops_at_search_only: bool = False
    accept_ra: str = 'explicit'                 # 'explicit' yes/no, 'true_only' (only when true) or '' (not written)
    global_nameserver_limit: Optional[int] = None   # resolv.conf takes 3 nameservers (glibc MAXNS)


@dataclass(frozen=True)
class Tool:
    name: str
    kind: str = ''          # net-convert --output-kind
    distro: str = ''        # net-convert --distro
    has_global_dns: bool = False
    quirks: Quirks = Quirks()


NETPLAN_GENERATE = Tool('netplan-generate')
# route_metrics is set from the installed cloud-init's version (see cloud_init_keeps_route_metrics).
_CLOUD_INIT_QUIRKS = Quirks(ipv6_all_zero_route='::/64', dns_needs_static_address=True, dns_pass_stops_at_search_only=True)
NET_CONVERT = (
    Tool('net-convert-networkd', 'networkd', 'debian', quirks=replace(_CLOUD_INIT_QUIRKS, dns_needs_static_address=False, accept_ra='true_only')),
    Tool('net-convert-eni', 'eni', 'debian', has_global_dns=True, quirks=replace(_CLOUD_INIT_QUIRKS, accept_ra='')),
    Tool('net-convert-sysconfig', 'sysconfig', 'rhel', has_global_dns=True, quirks=replace(_CLOUD_INIT_QUIRKS, global_nameserver_limit=3)),
)


# -- what a device ends up with ----------------------------------------------------------------

@dataclass(frozen=True)
class Device:
    addresses: FrozenSet[str]
    routes: FrozenSet[RouteTuple]       # default gateways included, as all-zero destinations
    nameservers: Tuple[str, ...]
    search_domains: Tuple[str, ...]
    mtu: Optional[int]
    dhcp4: bool
    dhcp6: bool
    accept_ra: Optional[bool]           # None: the tool does not write it


@dataclass(frozen=True)
class GlobalDns:
    nameservers: Tuple[str, ...] = ()
    search_domains: Tuple[str, ...] = ()


def cidr(value: str) -> str:
    return str(ipaddress.ip_interface(value))


def all_zero(gateway: str) -> str:
    return '0.0.0.0/0' if ipaddress.ip_address(gateway).version == 4 else '::/0'


def unique(values: Iterable[str]) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def interfaces_in_netplan_order(netplan_case: NetplanCase) -> List[ResolvedInterface]:
    return [] if netplan_case.net.disabled else sorted(netplan_case.net.interfaces, key=lambda iface: iface.name)


def reached_by_dns_pass(netplan_case: NetplanCase, quirks: Quirks) -> List[ResolvedInterface]:
    reached = []
    for iface in interfaces_in_netplan_order(netplan_case):
        if quirks.dns_pass_stops_at_search_only and iface.search_domains and not iface.nameservers:
            break
        reached.append(iface)
    return reached


def expected_devices(netplan_case: NetplanCase, quirks: Quirks) -> Dict[str, Device]:
    """What the tool should write for each device (by guest device name), from the resolved network."""
    dns_reached = {iface.name for iface in reached_by_dns_pass(netplan_case, quirks)}
    # In the default_route style the gateways are netplan routes too, and share their quirks.
    gateways_are_routes = netplan_case.gateway_style != GATEWAY_KEYS
    devices = {}
    for iface in interfaces_in_netplan_order(netplan_case):
        gateways = [gateway for gateway in (iface.gateway4, iface.gateway6) if gateway]
        routes = {expected_route(all_zero(gateway), gateway, None, quirks, gateways_are_routes) for gateway in gateways}
        routes.update(expected_route(all_zero(item.via) if item.to == 'default' else item.to, item.via, item.metric, quirks)
                      for item in iface.routes)
        has_dns = bool(iface.addresses) or (not quirks.dns_needs_static_address and iface.name in dns_reached)
        devices[iface.guest_device_name] = Device(
            addresses=frozenset(cidr(address) for address in iface.addresses),
            routes=frozenset(routes),
            nameservers=unique(iface.nameservers) if has_dns else (),
            search_domains=unique(iface.search_domains) if has_dns else (),
            mtu=iface.mtu or None,
            dhcp4=iface.dhcp4,
            dhcp6=iface.dhcp6,
            accept_ra={'explicit': iface.accept_ra, 'true_only': True if iface.accept_ra else None}.get(quirks.accept_ra))
    return devices


def expected_route(destination: str, via: str, metric: Optional[int], quirks: Quirks, netplan_route: bool = True) -> RouteTuple:
    if netplan_route and destination == '::/0':
        destination = quirks.ipv6_all_zero_route
    return cidr(destination), via, metric if quirks.route_metrics else None


def expected_global_dns(netplan_case: NetplanCase, quirks: Quirks) -> GlobalDns:
    """cloud-init also merges the interfaces' DNS, in netplan order, into the global resolver config."""
    interfaces = reached_by_dns_pass(netplan_case, quirks)
    nameservers = unique(nameserver for iface in interfaces for nameserver in iface.nameservers)
    return GlobalDns(nameservers[:quirks.global_nameserver_limit], unique(domain for iface in interfaces for domain in iface.search_domains))


# -- parsers of the tools' output --------------------------------------------------------------

def parse_systemd_unit(text: str) -> List[Tuple[str, Dict[str, List[str]]]]:
    """Sections in order, each with its keys' values in order (keys repeat, so do sections)."""
    sections: List[Tuple[str, Dict[str, List[str]]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(('#', ';')):
            continue
        if line.startswith('['):
            sections.append((line.strip('[]'), {}))
        else:
            key, value = line.split('=', 1)
            sections[-1][1].setdefault(key.strip(), []).append(value.strip())
    return sections


def parse_bool(value: str) -> bool:
    return value.lower() in ('yes', 'true', '1', 'on')


def unit_values(sections: List[Tuple[str, Dict[str, List[str]]]], section: str, key: str) -> List[str]:
    return [value for name, keys in sections if name == section for value in keys.get(key, [])]


def parse_networkd(directory: Path) -> Dict[str, Device]:
    devices = {}
    for path in sorted(directory.glob('*.network')):
        sections = parse_systemd_unit(path.read_text())
        values = functools.partial(unit_values, sections)
        routes = {(all_zero(gateway), gateway, None) for gateway in values('Network', 'Gateway')}
        for name, keys in sections:
            if name == 'Route':
                gateway = keys['Gateway'][0]
                metric = keys.get('Metric')
                routes.add((cidr(keys.get('Destination', [all_zero(gateway)])[0]), gateway, int(metric[0]) if metric else None))
        dhcp = (values('Network', 'DHCP') or ['no'])[0]
        accept_ra = values('Network', 'IPv6AcceptRA')
        mtu = values('Link', 'MTUBytes')
        devices[values('Match', 'Name')[0]] = Device(
            addresses=frozenset(cidr(address) for address in values('Network', 'Address') + values('Address', 'Address')),
            routes=frozenset(routes),
            nameservers=tuple(server for value in values('Network', 'DNS') for server in value.split()),
            search_domains=tuple(domain for value in values('Network', 'Domains') for domain in value.split()),
            mtu=int(mtu[0]) if mtu else None,
            dhcp4=dhcp in ('yes', 'ipv4'),
            dhcp6=dhcp in ('yes', 'ipv6'),
            accept_ra=parse_bool(accept_ra[0]) if accept_ra else None)
    return devices


@dataclass
class _DeviceBuilder:
    """Collects one device's settings from a format that spreads them over several places."""
    addresses: Set[str] = field(default_factory=set)
    routes: Set[RouteTuple] = field(default_factory=set)
    nameservers: List[str] = field(default_factory=list)
    search_domains: List[str] = field(default_factory=list)
    mtu: Optional[int] = None
    dhcp4: bool = False
    dhcp6: bool = False
    accept_ra: Optional[bool] = None

    def build(self) -> Device:
        return Device(frozenset(self.addresses), frozenset(self.routes), unique(self.nameservers), unique(self.search_domains),
                      self.mtu, self.dhcp4, self.dhcp6, self.accept_ra)


def parse_eni_route(words: Sequence[str]) -> RouteTuple:
    """``route add [-A inet6] [-net|-host] DEST|default gw GW [metric N]`` (cloud-init's ENI form)."""
    destination, gateway, metric = '', '', None
    tokens = iter(words)
    for word in tokens:
        if word == 'gw':
            gateway = next(tokens)
        elif word == 'metric':
            metric = int(next(tokens))
        elif word == '-A':
            next(tokens)        # the address family
        elif word not in ('-net', '-host'):
            destination = word
    return cidr(all_zero(gateway) if destination == 'default' else destination), gateway, metric


def parse_eni(out: Path) -> Tuple[Dict[str, Device], GlobalDns]:
    builders: Dict[str, _DeviceBuilder] = {}
    global_dns = GlobalDns()
    device = ''
    for line in (out / 'etc/network/interfaces.d/50-cloud-init').read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith('#') or words[0] == 'auto':
            continue
        if words[0] == 'iface':
            device, family, method = words[1:4]
            if device != 'lo':
                builder = builders.setdefault(device, _DeviceBuilder())
                builder.dhcp4 |= (family, method) == ('inet', 'dhcp')
                builder.dhcp6 |= (family, method) == ('inet6', 'dhcp')
            continue
        if device == 'lo':
            if words[0] == 'dns-nameservers':
                global_dns = replace(global_dns, nameservers=tuple(words[1:]))
            elif words[0] == 'dns-search':
                global_dns = replace(global_dns, search_domains=tuple(words[1:]))
            continue
        builder = builders[device]
        if words[0] == 'address':
            builder.addresses.add(cidr(words[1]))
        elif words[0] == 'gateway':
            builder.routes.add((all_zero(words[1]), words[1], None))
        elif words[:3] == ['post-up', 'route', 'add']:
            builder.routes.add(parse_eni_route(words[3:words.index('||')]))
        elif words[0] == 'dns-nameservers':
            builder.nameservers.extend(words[1:])
        elif words[0] == 'dns-search':
            builder.search_domains.extend(words[1:])
        elif words[0] == 'mtu':
            builder.mtu = int(words[1])
    return {name: builder.build() for name, builder in builders.items()}, global_dns


def parse_shell_variables(path: Path) -> Dict[str, str]:
    variables = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith('#') and '=' in line:
            key, value = line.split('=', 1)
            variables[key] = value.strip('"\'')
    return variables


def parse_sysconfig(out: Path) -> Tuple[Dict[str, Device], GlobalDns]:
    scripts = out / 'etc/sysconfig/network-scripts'
    devices = {}
    for ifcfg in sorted(scripts.glob('ifcfg-*')):
        variables = parse_shell_variables(ifcfg)
        name = variables['DEVICE']
        builder = _DeviceBuilder(dhcp4=variables.get('BOOTPROTO') in ('dhcp', 'dhcp4'), dhcp6=variables.get('DHCPV6C') == 'yes')
        for key, value in variables.items():
            if re.fullmatch(r'IPADDR\d*', key):
                builder.addresses.add(cidr('%s/%s' % (value, variables['NETMASK' + key[len('IPADDR'):]])))
        ipv6_addresses = variables.get('IPV6ADDR', '').split() + variables.get('IPV6ADDR_SECONDARIES', '').split()
        builder.addresses.update(cidr(address) for address in ipv6_addresses)
        default_metric = int(variables['METRIC']) if 'METRIC' in variables else None
        builder.routes.update((all_zero(variables[key]), variables[key], default_metric)
                              for key in ('GATEWAY', 'IPV6_DEFAULTGW') if key in variables)
        dns_keys = sorted((key for key in variables if re.fullmatch(r'DNS\d+', key)), key=lambda key: int(key[len('DNS'):]))
        builder.nameservers.extend(variables[key] for key in dns_keys)
        builder.search_domains.extend(variables.get('DOMAIN', '').split())
        builder.mtu = int(variables['MTU']) if 'MTU' in variables else None
        builder.accept_ra = parse_bool(variables['IPV6_FORCE_ACCEPT_RA']) if 'IPV6_FORCE_ACCEPT_RA' in variables else None
        route4 = scripts / ('route-' + name)
        if route4.exists():
            routes = parse_shell_variables(route4)
            for key in routes:
                if key.startswith('ADDRESS'):
                    index = key[len('ADDRESS'):]
                    metric = routes.get('METRIC' + index)
                    builder.routes.add((cidr('%s/%s' % (routes[key], routes['NETMASK' + index])), routes['GATEWAY' + index],
                                        int(metric) if metric else None))
        route6 = scripts / ('route6-' + name)
        if route6.exists():
            for line in route6.read_text().splitlines():
                words = line.split()       # DEST via GW dev NAME [metric N]
                if words and not words[0].startswith('#'):
                    metric = words[words.index('metric') + 1] if 'metric' in words else None
                    builder.routes.add((cidr(words[0]), words[2], int(metric) if metric else None))
        devices[name] = builder.build()
    resolv_conf = out / 'etc/resolv.conf'
    lines = [line.split() for line in resolv_conf.read_text().splitlines()] if resolv_conf.exists() else []
    return devices, GlobalDns(tuple(words[1] for words in lines if words[:1] == ['nameserver']),
                              tuple(domain for words in lines if words[:1] == ['search'] for domain in words[1:]))


# -- running the tools, once per distinct netplan ----------------------------------------------

@dataclass(frozen=True)
class ToolRun:
    returncode: int
    output: str
    out_dir: Path


def netplan_key(netplan_case: NetplanCase) -> str:
    return json.dumps(netplan_case.render(), sort_keys=True)


def distinct_cases() -> List[NetplanCase]:
    """The first case of each distinct netplan: the tools run once per netplan, not once per case."""
    distinct: Dict[str, NetplanCase] = {}
    for netplan_case in NETPLAN_CASES:
        distinct.setdefault(netplan_key(netplan_case), netplan_case)
    return list(distinct.values())


def run(command: Sequence[str], out_dir: Path, stdin: str = '') -> ToolRun:
    completed = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)
    return ToolRun(completed.returncode, '$ %s\n%s%s' % (' '.join(command), completed.stdout, completed.stderr), out_dir)


def run_netplan_generate(netplan: str, document: dict, work: Path) -> ToolRun:
    root = work / 'root'
    config = root / 'etc/netplan/50-guestnet.yaml'
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({'network': document}, sort_keys=False))
    config.chmod(0o600)     # netplan warns about world-readable configuration
    return run([netplan, 'generate', '--root-dir', str(root)], root)


def write_network_data(document: dict, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    network_data = work / 'network-config.yaml'
    network_data.write_text(yaml.safe_dump(document, sort_keys=False))
    return network_data


def net_convert_command(cloud_init: str, tool: Tool, network_data: Path, out_dir: Path) -> List[str]:
    return [cloud_init, 'devel', 'net-convert', '--network-data', str(network_data), '--kind', 'yaml',
            '--distro', tool.distro, '--output-kind', tool.kind, '--directory', str(out_dir)]


def cloud_init_python(cloud_init: str) -> str:
    """The interpreter cloud-init is installed for (Debian's /usr/bin/python3), from its script's #! line."""
    with open(cloud_init, 'rb') as script:
        first_line = script.readline().decode('utf-8', 'replace')
    return first_line[2:].split()[0] if first_line.startswith('#!') else '/usr/bin/python3'


# Calls cloud-init's console entry point (what the `cloud-init` command runs) once per command.
NET_CONVERT_BATCH = r'''
import contextlib, io, json, sys, traceback
from cloudinit.cmd.main import main

results = []
for command in json.load(sys.stdin):
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            returncode = main(command) or 0
        except SystemExit as exit:
            returncode = exit.code if isinstance(exit.code, int) else 1
        except Exception:
            traceback.print_exc()
            returncode = 1
    results.append([returncode, output.getvalue()])
json.dump(results, sys.stdout)
'''


def run_net_convert_batch(cloud_init: str, commands: List[List[str]]) -> List[ToolRun]:
    completed = subprocess.run([cloud_init_python(cloud_init), '-c', NET_CONVERT_BATCH], input=json.dumps(commands),
                               capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)
    assert completed.returncode == 0, completed.stderr
    # cloud-init logs to the process's own stderr; it is attached to every result of the batch.
    return [ToolRun(returncode, '$ %s\n%s%s' % (' '.join(command), output, completed.stderr), Path(command[-1]))
            for command, (returncode, output) in zip(commands, json.loads(completed.stdout))]


def run_all(function: Callable[..., T], argument_lists: Sequence[Tuple[Any, ...]]) -> List[T]:
    """Tools are slow to start (~0.5 s); run them side by side."""
    with ThreadPoolExecutor(max_workers=4) as executor:
        return list(executor.map(lambda arguments: function(*arguments), argument_lists))


def describe_differences(expected: Any, observed: Any) -> Dict[str, Any]:
    """Per device and field, (expected, observed) where they differ."""
    differences: Dict[str, Any] = {}
    for name in sorted(set(expected) | set(observed)):
        if name not in expected or name not in observed:
            differences[name] = (expected.get(name), observed.get(name))
        elif expected[name] != observed[name]:
            differences[name] = {item.name: (getattr(expected[name], item.name), getattr(observed[name], item.name))
                                 for item in fields(expected[name]) if getattr(expected[name], item.name) != getattr(observed[name], item.name)}
    return differences


def assert_no_failures(failures: Dict[str, Any], tool: str) -> None:
    assert not failures, '%s disagrees on %d case(s):\n%s' % (tool, len(failures), pprint.pformat(failures, width=150))


# Each check covers every case in one test: ansible-test runs each test in a fork of its own,
# so work shared through a module fixture would be redone for every test.

# -- 1. netplan generate -----------------------------------------------------------------------

def test_netplan_generate_accepts_every_netplan_and_writes_what_we_intend(tmp_path):
    netplan = require(find_tool('netplan'), 'netplan (Debian package netplan.io)')
    cases = distinct_cases()
    runs = dict(zip([netplan_key(netplan_case) for netplan_case in cases], run_all(
        run_netplan_generate, [(netplan, netplan_case.render(), tmp_path / str(index)) for index, netplan_case in enumerate(cases)])))
    failures: Dict[str, Any] = {}
    for netplan_case in NETPLAN_CASES:
        result = runs[netplan_key(netplan_case)]
        if result.returncode != 0 or 'ERROR' in result.output:
            failures[netplan_case.name] = result.output
            continue
        differences = describe_differences(expected_devices(netplan_case, NETPLAN_GENERATE.quirks),
                                           parse_networkd(result.out_dir / 'run/systemd/network'))
        # The reason the default_route style exists: it never uses the deprecated gateway4/gateway6.
        uses_gateway_keys = any('gateway4' in ethernet or 'gateway6' in ethernet for ethernet in netplan_case.render()['ethernets'].values())
        if ('deprecated' in result.output) != uses_gateway_keys:
            differences['deprecation warning'] = (uses_gateway_keys, result.output)
        if differences:
            failures[netplan_case.name] = differences
    assert_no_failures(failures, 'netplan generate')


# Specs on the line of the default-route rule (_spec._check_default_routes, cloud_init only): netplan
# reports "Conflicting default route declarations" exactly for the ones validate refuses.
_ADDRESS = {'eth0': '10.0.0.10/24', 'eth1': '10.0.9.10/24'}
_V6_ADDRESS = {'eth0': '2001:db8::10/64', 'eth1': '2001:db9::10/64'}
DEFAULT_ROUTE_SPECS = {
    'two gateway4': [{'gateway4': '10.0.0.1'}, {'gateway4': '10.0.9.1'}],
    'two gateway6': [{'gateway6': '2001:db8::1'}, {'gateway6': '2001:db9::1'}],
    'gateway4 and a default route with a metric': [{'gateway4': '10.0.0.1'},
                                                   {'routes': [{'to': 'default', 'via': '10.0.9.1', 'metric': 200}]}],
    'two default routes, metrics 100 and 200': [{'routes': [{'to': 'default', 'via': '10.0.0.1', 'metric': 100}]},
                                                {'routes': [{'to': '0.0.0.0/0', 'via': '10.0.9.1', 'metric': 200}]}],
    'two default routes, metric 100 twice': [{'routes': [{'to': 'default', 'via': '10.0.0.1', 'metric': 100}]},
                                             {'routes': [{'to': 'default', 'via': '10.0.9.1', 'metric': 100}]}],
    'gateway6 and a ::/0 route without a metric': [{'gateway6': '2001:db8::1'}, {'routes': [{'to': '::/0', 'via': '2001:db9::1'}]}],
    'one gateway4 per interface, other one None': [{'gateway4': '10.0.0.1'}, {'gateway4': 'None'}],
    'gateway4 on one, gateway6 on the other': [{'gateway4': '10.0.0.1'}, {'gateway6': '2001:db9::1'}],
}


def default_route_spec(fields: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    interfaces = []
    for name, extra in zip(('eth0', 'eth1'), fields):
        interfaces.append(dict({'name': name, 'addresses': [_ADDRESS[name], _V6_ADDRESS[name]]}, **extra))
    return {'interfaces': interfaces}


def test_netplan_reports_conflicting_default_routes_exactly_where_validate_refuses_them(tmp_path):
    """Why two default routes are refused for cloud_init only when their metrics are equal (a gateway key has netplan's default)."""
    netplan = require(find_tool('netplan'), 'netplan (Debian package netplan.io)')
    macs = {'eth0': '00:50:56:00:00:01', 'eth1': '00:50:56:00:00:02'}
    specs = {name: parse_network_spec(default_route_spec(fields)) for name, fields in DEFAULT_ROUTE_SPECS.items()}
    # Rendered without the rule (no provider), so the refused ones reach netplan too.
    documents = [render_netplan(resolve(spec, vm_name='web01', macs=macs)) for spec in specs.values()]
    runs = run_all(run_netplan_generate, [(netplan, document, tmp_path / str(index)) for index, document in enumerate(documents)])
    disagreements = {}
    for (name, spec), result in zip(specs.items(), runs):
        assert result.returncode == 0, result.output
        if _refused(spec) != ('Conflicting default route declarations' in result.output):
            disagreements[name] = (_refused(spec), result.output)
    assert not disagreements, pprint.pformat(disagreements, width=150)
    # Both sides are exercised: these are the refused ones.
    assert {name for name, spec in specs.items() if _refused(spec)} == {
        'two gateway4', 'two gateway6', 'two default routes, metric 100 twice', 'gateway6 and a ::/0 route without a metric'}


def _refused(spec: Any) -> bool:
    try:
        validate(spec, provider=CLOUD_INIT)
    except SpecError:
        return True
    return False


def test_netplan_ignores_a_set_name_longer_than_15_characters(tmp_path):
    """Why interface names and guest device names are at most 15 characters (Linux IFNAMSIZ - 1)."""
    netplan = require(find_tool('netplan'), 'netplan (Debian package netplan.io)')
    outputs = {}
    for length in (15, 16):
        name = 'e' * length
        document = {'version': 2, 'ethernets': {'eth0': {'match': {'macaddress': '00:50:56:00:00:01'}, 'set-name': name, 'dhcp4': True}}}
        result = run_netplan_generate(netplan, document, tmp_path / str(length))
        assert result.returncode == 0, result.output
        outputs[length] = result.output
        spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'guest_device_name': name}]})
        assert _refused(spec) is (length > 15)
    assert 'too long' not in outputs[15]
    assert "Interface name '%s' is too long. It will be ignored by the backend." % ('e' * 16) in outputs[16]


# -- 2. cloud-init devel net-convert -----------------------------------------------------------

PARSERS: Dict[str, Callable[[Path], Tuple[Dict[str, Device], Optional[GlobalDns]]]] = {
    'net-convert-networkd': lambda out: (parse_networkd(out / 'etc/systemd/network'), None),
    'net-convert-eni': parse_eni,
    'net-convert-sysconfig': parse_sysconfig,
}


def test_cloud_init_net_convert_writes_what_we_intend_for_every_netplan(tmp_path):
    cloud_init = require(find_tool('cloud-init'), 'cloud-init')
    keeps_route_metrics = cloud_init_version(cloud_init) >= (23, 3)
    cases = distinct_cases()
    network_data = {netplan_key(netplan_case): write_network_data(netplan_case.render(), tmp_path / str(index))
                    for index, netplan_case in enumerate(cases)}
    batches = {tool.name: [net_convert_command(cloud_init, tool, path, path.parent / tool.name) for path in network_data.values()]
               for tool in NET_CONVERT}
    batch_results = dict(zip(batches, run_all(run_net_convert_batch, [(cloud_init, commands) for commands in batches.values()])))
    failures: Dict[str, Any] = {}
    for tool in NET_CONVERT:
        runs = dict(zip(network_data, batch_results[tool.name]))
        quirks = replace(tool.quirks, route_metrics=keeps_route_metrics)
        for netplan_case in NETPLAN_CASES:
            result = runs[netplan_key(netplan_case)]
            if result.returncode != 0:
                failures['%s %s' % (netplan_case.name, tool.name)] = result.output
                continue
            devices, global_dns = PARSERS[tool.name](result.out_dir)
            differences = describe_differences(expected_devices(netplan_case, quirks), devices)
            if tool.has_global_dns and global_dns != expected_global_dns(netplan_case, quirks):
                differences['global DNS'] = (expected_global_dns(netplan_case, quirks), global_dns)
            if differences:
                failures['%s %s' % (netplan_case.name, tool.name)] = differences
    assert_no_failures(failures, 'cloud-init devel net-convert')


def test_the_batch_writes_what_the_cloud_init_command_writes(tmp_path):
    cloud_init = require(find_tool('cloud-init'), 'cloud-init')
    network_data = write_network_data(case('three_nics_per_interface_dns').render(), tmp_path)
    commands = [net_convert_command(cloud_init, tool, network_data, tmp_path / 'command' / tool.name) for tool in NET_CONVERT]
    batch_commands = [net_convert_command(cloud_init, tool, network_data, tmp_path / 'batch' / tool.name) for tool in NET_CONVERT]
    command_runs = run_all(run, [(command, Path(command[-1])) for command in commands])
    for command_run, batch_run in zip(command_runs, run_net_convert_batch(cloud_init, batch_commands)):
        assert command_run.returncode == batch_run.returncode == 0, command_run.output + batch_run.output
        assert read_tree(command_run.out_dir) == read_tree(batch_run.out_dir)


def read_tree(directory: Path) -> Dict[str, str]:
    return {str(path.relative_to(directory)): path.read_text() for path in sorted(directory.rglob('*')) if path.is_file()}


def test_cloud_init_rejects_the_to_default_spelling_we_avoid(tmp_path):
    """Why routes say 0.0.0.0/0: outside netplan, cloud-init fails on `to: default` (canonical/cloud-init#3988)."""
    cloud_init = require(find_tool('cloud-init'), 'cloud-init')
    document = {'version': 2, 'ethernets': {'eth0': {'match': {'macaddress': '00:50:56:00:00:01'}, 'set-name': 'eth0',
                                                     'addresses': ['10.0.0.10/24'], 'routes': [{'to': 'default', 'via': '10.0.0.1'}]}}}
    result = run(net_convert_command(cloud_init, NET_CONVERT[0], write_network_data(document, tmp_path), tmp_path / 'out'), Path())
    if result.returncode == 0:
        pytest.skip('this cloud-init reads `to: default` (canonical/cloud-init PR #6391, August 2025)')
    assert 'Address default is not a valid ip' in result.output, result.output


# -- 3. cloud-init's VMware datasource reads our guestinfo -------------------------------------

# Runs under Debian's python3: sets each case's guestinfo as VMX_GUESTINFO_* environment
# variables (the datasource's test transport) and reports what the datasource made of them.
DATASOURCE_SCRIPT = r'''
import json, os, sys, tempfile
from cloudinit import helpers, util
from cloudinit.net import network_state
from cloudinit.sources import DataSourceVMware

results = []
for extra_config in json.load(sys.stdin):
    for key in [key for key in os.environ if key.startswith('VMX_GUESTINFO')]:
        del os.environ[key]
    os.environ['VMX_GUESTINFO'] = '1'
    for key, value in extra_config.items():
        os.environ[DataSourceVMware.get_guestinfo_envvar_key_name(key[len('guestinfo.'):])] = value
    source = DataSourceVMware.DataSourceVMware({}, None, helpers.Paths({'run_dir': tempfile.mkdtemp()}))
    found = source._get_data()
    state = network_state.parse_net_config_data(source.network_config)   # as at boot: skip_broken
    results.append({
        'found': found, 'method': source.data_access_method, 'instance_id': source.get_instance_id(),
        'local_hostname': source.metadata.get('local-hostname'), 'public_keys': source.get_public_ssh_keys(),
        'wait_on_network': source.metadata.get('wait-on-network'), 'network': source.network_config,
        'devices': sorted(interface['name'] for interface in state.iter_interfaces()),
        'userdata': util.load_yaml(source.userdata_raw) if source.userdata_raw else None,
    })
json.dump(results, sys.stdout)
'''

KEYS = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example.com']
CLOUD_CONFIG = {'timezone': 'UTC', 'runcmd': [['echo', 'yes', 'on', '0755']], 'ssh_pwauth': False,
                'write_files': [{'path': '/etc/motd', 'content': 'h\u00e9llo \U0001F600 \u2028 {{ not jinja }}\n'}]}


def test_cloud_init_vmware_datasource_reads_our_guestinfo():
    python = cloud_init_python(require(find_tool('cloud-init'), 'cloud-init'))
    cases = distinct_cases()
    metadata = [render_metadata(netplan_case.net, instance_id='iid-%s' % netplan_case.name, ssh_authorized_keys=KEYS,
                                wait_on_network4=True, gateway_style=netplan_case.gateway_style) for netplan_case in cases]
    userdata = render_userdata(cloud_config=CLOUD_CONFIG)
    extra_configs = [guestinfo(item, userdata if index % 2 == 0 else None) for index, item in enumerate(metadata)]
    completed = subprocess.run([python, '-c', DATASOURCE_SCRIPT], input=json.dumps(extra_configs), capture_output=True,
                               text=True, timeout=TOOL_TIMEOUT, check=False)
    assert completed.returncode == 0, completed.stderr
    for index, (netplan_case, item, result) in enumerate(zip(cases, metadata, json.loads(completed.stdout))):
        assert result == {
            'found': True, 'method': 'envvar', 'instance_id': item['instance-id'], 'local_hostname': netplan_case.net.fqdn,
            'public_keys': KEYS, 'wait_on_network': {'ipv4': True, 'ipv6': False}, 'network': netplan_case.render(),
            'devices': sorted(device for device in expected_devices(netplan_case, Quirks())),
            'userdata': CLOUD_CONFIG if index % 2 == 0 else None,
        }, netplan_case.name


# -- 4. cloud-init's schema takes our user-data -----------------------------------------------

SCHEMA_SCRIPT = r'''
import json, sys
from cloudinit import util
from cloudinit.config.schema import SchemaValidationError, get_schema, validate_cloudconfig_schema

results = []
for text in json.load(sys.stdin):
    try:
        validate_cloudconfig_schema(util.load_yaml(text), get_schema(), strict=True)
        results.append('')
    except SchemaValidationError as error:
        results.append(str(error))
json.dump(results, sys.stdout)
'''


def test_cloud_init_schema_takes_our_user_data():
    """users[].inactive is a string in cloud-init's schema: a number from the user or a VM Operator manifest is written as text."""
    python = cloud_init_python(require(find_tool('cloud-init'), 'cloud-init'))
    manifest = {'apiVersion': 'vmoperator.vmware.com/v1alpha3', 'kind': 'VirtualMachine', 'metadata': {'name': 'web01'},
                'spec': {'bootstrap': {'cloudInit': {'cloudConfig': {
                    'defaultUserEnabled': True, 'users': [{'name': 'ops', 'inactive': 30, 'shell': '/bin/bash'}]}}}}}
    cloud_configs = [
        {'users': ['default', {'name': 'ops', 'inactive': 30, 'expiredate': '2030-01-01', 'shell': '/bin/bash'}]},
        from_vm_operator(manifest)['bootstrap']['cloud_init']['cloud_config'],
        CLOUD_CONFIG,
    ]
    documents = [render_userdata(cloud_config=cloud_config) for cloud_config in cloud_configs]
    # What we avoid: the number as it was given.
    documents.append('#cloud-config\n' + json.dumps({'users': [{'name': 'ops', 'inactive': 30}]}))
    completed = subprocess.run([python, '-c', SCHEMA_SCRIPT], input=json.dumps(documents), capture_output=True, text=True,
                               timeout=TOOL_TIMEOUT, check=False)
    assert completed.returncode == 0, completed.stderr
    *ours, raw_number = json.loads(completed.stdout)
    assert ours == ['', '', ''], ours
    assert 'users.0' in raw_number and 'is not valid' in raw_number, raw_number


def test_a_missing_tool_is_skipped_only_outside_ci(monkeypatch):
    monkeypatch.delenv('CI', raising=False)
    with pytest.raises(pytest.skip.Exception, match='netplan is not installed'):
        require(None, 'netplan')
    monkeypatch.setenv('CI', 'true')
    with pytest.raises(pytest.fail.Exception, match='netplan is not installed .CI must install it'):
        require(None, 'netplan')
    assert require('/usr/sbin/netplan', 'netplan') == '/usr/sbin/netplan'
