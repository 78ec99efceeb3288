# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Resolved networks shared by the renderer tests (not collected by pytest: no test_ prefix).

NETPLAN_CASES is the one list of every valid network the netplan and cloud-init tests render:
test_real_guest_tools.py feeds each of them to the real netplan and cloud-init, so a case added
here is checked by the guest tools too. Tests look cases up by name with ``case(name)``.
A case is a ResolvedNetwork built directly, or a raw spec that goes through the real
parse -> resolve pipeline on first use (so a resolver bug fails those cases, not the import).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Dict, Optional, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    CLOUD_INIT, DEFAULT_ADAPTER_TYPE, NetworkRef, ResolvedInterface, ResolvedNetwork, Route)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._netplan import DEFAULT_ROUTE, GATEWAY_KEYS, render_netplan

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden')
# Set to rewrite the golden files from the current output (then review the diff).
UPDATE_GOLDEN = bool(os.environ.get('GUESTNET_UPDATE_GOLDEN'))
VM_NAME = 'web01'


def interface(name: str, mac_address: Optional[str], **fields: Any) -> ResolvedInterface:
    """A ResolvedInterface with static, DNS-less, DHCP-off defaults; ``fields`` override them."""
    values: Dict[str, Any] = dict(
        name=name, guest_device_name=name, network=NetworkRef('DC0_DVPG0'), adapter_type=DEFAULT_ADAPTER_TYPE,
        mac_address=mac_address, dhcp4=False, dhcp6=False, accept_ra=False, addresses4=(), addresses6=(),
        gateway4=None, gateway6=None, routes=(), nameservers=(), search_domains=(), mtu=None)
    values.update(fields)
    return ResolvedInterface(**values)


def network(*interfaces: ResolvedInterface, host_name: str = VM_NAME, domain_name: Optional[str] = None,
            nameservers: Tuple[str, ...] = (), search_domains: Tuple[str, ...] = (), disabled: bool = False) -> ResolvedNetwork:
    return ResolvedNetwork(vm_name=host_name, host_name=host_name, domain_name=domain_name, nameservers=nameservers,
                           search_domains=search_domains, disabled=disabled, interfaces=tuple(interfaces))


@dataclass(frozen=True)
class NetplanCase:
    name: str
    resolved: Optional[ResolvedNetwork] = None      # either the resolved network ...
    spec: Optional[Dict[str, Any]] = None           # ... or a raw spec.network (camelCase welcome)
    macs: Optional[Dict[str, str]] = None           # with the VM's NIC MACs, for the resolver
    gateway_style: str = GATEWAY_KEYS
    golden: bool = False                            # compared with golden/netplan/<name>.yaml

    @cached_property
    def net(self) -> ResolvedNetwork:
        if self.resolved is not None:
            return self.resolved
        return resolve(parse_network_spec(self.spec), vm_name=VM_NAME, provider=CLOUD_INIT, macs=self.macs)

    def render(self) -> Dict[str, Any]:
        return render_netplan(self.net, self.gateway_style)


MAC1, MAC2, MAC3 = '00:50:56:00:00:01', '00:50:56:00:00:02', '00:50:56:00:00:03'
DNS = ('10.0.0.53', '10.0.0.54')
SEARCH = ('example.com',)

_DUAL_STACK = dict(addresses4=('10.0.0.10/24',), addresses6=('2001:db8::10/64',), gateway4='10.0.0.1', gateway6='2001:db8::1')

NETPLAN_CASES: Tuple[NetplanCase, ...] = (
    # -- golden: realistic networks ---------------------------------------------------------
    NetplanCase('single_static', golden=True, resolved=network(
        interface('eth0', MAC1, guest_device_name='ens192', addresses4=('10.0.0.10/24',), gateway4='10.0.0.1',
                  nameservers=DNS, search_domains=SEARCH),
        domain_name='example.com', nameservers=DNS, search_domains=SEARCH)),
    NetplanCase('dual_stack_routes_mtu', golden=True, resolved=network(
        interface('eth0', MAC1, guest_device_name='ens192', mtu=9000, nameservers=('10.0.0.53', '2001:db8::53'),
                  search_domains=('example.com', 'corp.example.com'),
                  routes=(Route('172.16.0.0/12', '10.0.0.254', 100), Route('2001:db8:ffff::/48', '2001:db8::fe')), **_DUAL_STACK),
        domain_name='example.com')),
    NetplanCase('dhcp_both', golden=True, resolved=network(
        interface('eth0', MAC1, dhcp4=True, dhcp6=True, accept_ra=True, search_domains=SEARCH),
        search_domains=SEARCH)),
    NetplanCase('three_nics_per_interface_dns', golden=True, resolved=network(
        interface('eth0', MAC1, guest_device_name='ens192', addresses4=('10.0.0.10/24',), gateway4='10.0.0.1',
                  nameservers=DNS, search_domains=SEARCH),
        interface('eth1', MAC2, guest_device_name='ens224', addresses4=('192.168.10.10/24',),
                  nameservers=('192.168.10.53',), search_domains=('backend.example.com',),
                  routes=(Route('192.168.0.0/16', '192.168.10.1'),)),
        interface('eth2', MAC3, guest_device_name='ens256', dhcp4=True, mtu=9000, nameservers=('172.20.0.53',)),
        domain_name='example.com', nameservers=DNS, search_domains=SEARCH)),
    NetplanCase('default_route_style', golden=True, gateway_style=DEFAULT_ROUTE, resolved=network(
        interface('eth0', MAC1, guest_device_name='ens192', nameservers=DNS,
                  routes=(Route('172.16.0.0/12', '10.0.0.254', 100),), **_DUAL_STACK))),
    NetplanCase('two_default_routes_with_metrics', golden=True, resolved=network(
        interface('eth0', MAC1, addresses4=('10.0.0.10/24',), routes=(Route('default', '10.0.0.1', 100),), nameservers=DNS),
        interface('eth1', MAC2, addresses4=('10.1.0.10/24',), routes=(Route('default', '10.1.0.1', 200),)))),
    NetplanCase('disabled', golden=True, resolved=network(
        interface('eth0', MAC1, addresses4=('10.0.0.10/24',), gateway4='10.0.0.1'), disabled=True)),
    # -- VM Operator test vectors V1-V4 (vmoperator_rendering.md section 1), as the resolver should resolve them --
    NetplanCase('vmop_v1', resolved=network(
        interface('eth0', '00:50:56:ab:cd:ef', guest_device_name='ens192', addresses4=('10.0.0.10/24',), gateway4='10.0.0.1',
                  mtu=9000, routes=(Route('172.16.0.0/12', '10.0.0.254', 100),),
                  nameservers=('10.0.0.53', '10.0.0.54'), search_domains=('example.com',)),
        domain_name='example.com', nameservers=('10.0.0.53', '10.0.0.54'), search_domains=('example.com',))),
    NetplanCase('vmop_v2', resolved=network(interface('eth0', MAC1, dhcp4=True, dhcp6=True, accept_ra=True))),
    NetplanCase('vmop_v3', resolved=network(
        interface('eth0', MAC1, addresses4=('192.168.1.10/24', '192.168.1.11/24'), addresses6=('2001:db8::10/64',),
                  gateway4='192.168.1.1', gateway6='2001:db8::1', nameservers=('192.168.1.53',)),
        nameservers=('8.8.8.8',))),
    NetplanCase('vmop_v4', resolved=network(
        interface('eth0', MAC1, dhcp4=True, addresses6=('2001:db8::10/64',), gateway6='2001:db8::1'),
        interface('eth1', MAC2, addresses4=('10.9.0.5/24',), routes=(Route('10.0.0.0/8', '10.9.0.1'),)))),
    # -- the same vectors as VM Operator specs, through _spec.parse_network_spec and _resolver.resolve --
    NetplanCase('vmop_v1_spec', macs={'eth0': '00-50-56-AB-CD-EF'}, spec={
        'hostName': 'web01', 'domainName': 'example.com', 'nameservers': ['10.0.0.53', '10.0.0.54'], 'searchDomains': ['example.com'],
        'interfaces': [{'name': 'eth0', 'guestDeviceName': 'ens192', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1', 'mtu': 9000,
                        'routes': [{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 100}]}]}),
    NetplanCase('vmop_v2_spec', macs={'eth0': MAC1}, spec={'interfaces': [{'name': 'eth0', 'dhcp4': True, 'dhcp6': True}]}),
    NetplanCase('vmop_v3_spec', macs={'eth0': MAC1}, spec={
        'nameservers': ['8.8.8.8'],
        'interfaces': [{'name': 'eth0', 'addresses': ['2001:db8::10/64', '192.168.1.10/24', '192.168.1.11/24'],
                        'gateway4': '192.168.1.1', 'gateway6': '2001:db8::1', 'nameservers': ['192.168.1.53']}]}),
    NetplanCase('vmop_v4_spec', macs={'eth0': MAC1, 'eth1': MAC2}, spec={'interfaces': [
        {'name': 'eth0', 'dhcp4': True, 'addresses': ['2001:db8::10/64'], 'gateway6': '2001:db8::1'},
        {'name': 'eth1', 'addresses': ['10.9.0.5/24'], 'gateway4': 'None', 'routes': [{'to': '10.0.0.0/8', 'via': '10.9.0.1'}]}]}),
    # -- single rules ------------------------------------------------------------------------
    NetplanCase('mac_uppercase_dashes', resolved=network(interface('eth0', '00-50-56-AB-CD-EF', addresses4=('10.0.0.10/24',)))),
    NetplanCase('duplicate_dns', resolved=network(interface(
        'eth0', MAC1, addresses4=('10.0.0.10/24',), nameservers=('10.0.0.53', '10.0.0.54', '10.0.0.53'),
        search_domains=('example.com', 'example.com')))),
    NetplanCase('ipv6_only_default_routes', resolved=network(interface(
        'eth0', MAC1, addresses6=('2001:db8::10/64', '2001:db8:1::10/64'),
        routes=(Route('default', '2001:db8::1', 10), Route('2001:db8:2::/48', '2001:db8:1::1'))))),
    NetplanCase('dhcp4_with_routes_and_dns', resolved=network(interface(
        'eth0', MAC1, dhcp4=True, routes=(Route('172.16.0.0/12', '10.0.0.254', 50),), nameservers=DNS, mtu=1400))),
    NetplanCase('search_only_then_full_dns', resolved=network(
        interface('eth0', MAC1, dhcp4=True, search_domains=SEARCH),
        interface('eth1', MAC2, dhcp4=True, nameservers=('10.1.0.53',), search_domains=('backend.example.com',)))),
    NetplanCase('mtu_zero_means_unset', resolved=network(interface('eth0', MAC1, addresses4=('10.0.0.10/24',), mtu=0))),
    NetplanCase('default_route_style_ipv4_only', gateway_style=DEFAULT_ROUTE, resolved=network(interface(
        'eth0', MAC1, addresses4=('10.0.0.10/24',), gateway4='10.0.0.1'))),
    NetplanCase('no_interfaces', resolved=network()),
    # -- rules of issue 12, through parse -> resolve (provider cloud_init) ---------------------
    NetplanCase('gateway_and_default_route_with_a_metric', macs={'eth0': MAC1, 'eth1': MAC2}, spec={'interfaces': [
        {'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'},
        {'name': 'eth1', 'addresses': ['10.0.9.10/24'], 'routes': [{'to': 'default', 'via': '10.0.9.1', 'metric': 200}]}]}),
    NetplanCase('fifteen_character_device_names', macs={'abcdefghijklmno': MAC1, 'eth1': MAC2}, spec={'interfaces': [
        {'name': 'abcdefghijklmno', 'dhcp4': True},
        {'name': 'eth1', 'guestDeviceName': 'enp11s0f1np1abc', 'mtu': 0, 'addresses': ['10.0.9.10/24']}]}),
)

_CASES_BY_NAME = {netplan_case.name: netplan_case for netplan_case in NETPLAN_CASES}
assert len(_CASES_BY_NAME) == len(NETPLAN_CASES), 'NETPLAN_CASES names must be unique'


def case(name: str) -> NetplanCase:
    return _CASES_BY_NAME[name]
