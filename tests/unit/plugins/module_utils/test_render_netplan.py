# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Netplan renderer: golden files, VM Operator's test vectors, and one test per output rule.

Every network rendered here comes from _netfixtures.NETPLAN_CASES, so test_real_guest_tools.py
also checks it with the real netplan and cloud-init.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import os
from typing import Any

import pytest
import yaml

from ansible_collections.guestnet.vsphere.plugins.module_utils._render._netplan import (
    DEFAULT_ROUTE, GATEWAY_KEYS, GATEWAY_STYLES, render_netplan)
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._netfixtures import (
    GOLDEN_DIR, MAC1, NETPLAN_CASES, UPDATE_GOLDEN, case, interface, network)

GOLDEN_CASES = [netplan_case for netplan_case in NETPLAN_CASES if netplan_case.golden]
EMPTY_NETPLAN = {'ethernets': {}, 'version': 2}


class IndentedSafeDumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
    """Indents block sequences under their key, as yamllint (and ansible-lint) expect."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def ethernet(case_name: str, interface_name: str = 'eth0', gateway_style: str = '') -> dict:
    netplan_case = case(case_name)
    return render_netplan(netplan_case.net, gateway_style or netplan_case.gateway_style)['ethernets'][interface_name]


def assert_sorted_keys(value: Any, path: str = 'netplan') -> None:
    if isinstance(value, dict):
        assert list(value) == sorted(value), '%s: keys are not in sorted order' % path
        for key, item in value.items():
            assert_sorted_keys(item, '%s.%s' % (path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_sorted_keys(item, '%s[%d]' % (path, index))


# -- golden files ---------------------------------------------------------------------------

@pytest.mark.parametrize('netplan_case', GOLDEN_CASES, ids=lambda netplan_case: netplan_case.name)
def test_golden(netplan_case):
    path = os.path.join(GOLDEN_DIR, 'netplan', netplan_case.name + '.yaml')
    rendered = netplan_case.render()
    if UPDATE_GOLDEN:
        with open(path, 'w', encoding='utf-8') as stream:
            stream.write('# gateway_style: %s; regenerate: GUESTNET_UPDATE_GOLDEN=1 pytest\n' % netplan_case.gateway_style)
            yaml.dump(rendered, stream, Dumper=IndentedSafeDumper, sort_keys=False, default_flow_style=False, explicit_start=True)
    with open(path, encoding='utf-8') as stream:
        assert rendered == yaml.safe_load(stream)


def test_golden_cases_cover_the_required_networks():
    assert {netplan_case.name for netplan_case in GOLDEN_CASES} == {
        'single_static', 'dual_stack_routes_mtu', 'dhcp_both', 'three_nics_per_interface_dns', 'default_route_style',
        'two_default_routes_with_metrics', 'disabled'}


@pytest.mark.parametrize('netplan_case', NETPLAN_CASES, ids=lambda netplan_case: netplan_case.name)
def test_output_is_deterministic_plain_data_in_sorted_key_order(netplan_case):
    rendered = netplan_case.render()
    assert rendered == netplan_case.render()
    assert json.loads(json.dumps(rendered)) == rendered     # lists, not tuples; JSON-serializable
    assert_sorted_keys(rendered)


# -- VM Operator test vectors (vmoperator_rendering.md section 1) --------------------------------
# Each vector twice: resolved by hand (vmop_vN) and from VM Operator's camelCase spec through
# _spec.parse_network_spec and _resolver.resolve (vmop_vN_spec). Both must give the full output.

VMOP_V1 = {
    'ethernets': {'eth0': {
        'accept-ra': False,
        'addresses': ['10.0.0.10/24'],
        'dhcp4': False,
        'dhcp6': False,
        'gateway4': '10.0.0.1',
        'match': {'macaddress': '00:50:56:ab:cd:ef'},
        'mtu': 9000,
        'nameservers': {'addresses': ['10.0.0.53', '10.0.0.54'], 'search': ['example.com']},
        'routes': [{'metric': 100, 'to': '172.16.0.0/12', 'via': '10.0.0.254'}],
        'set-name': 'ens192',
    }},
    'version': 2,
}
# Divergence: VM Operator writes `nameservers: {}` here; we leave the key out (no DNS to set).
VMOP_V2 = {
    'ethernets': {'eth0': {'accept-ra': True, 'dhcp4': True, 'dhcp6': True, 'match': {'macaddress': MAC1}, 'set-name': 'eth0'}},
    'version': 2,
}
VMOP_V3 = {
    'ethernets': {'eth0': {
        'accept-ra': False,
        'addresses': ['192.168.1.10/24', '192.168.1.11/24', '2001:db8::10/64'],     # IPv4 first
        'dhcp4': False,
        'dhcp6': False,
        'gateway4': '192.168.1.1',
        'gateway6': '2001:db8::1',
        'match': {'macaddress': MAC1},
        'nameservers': {'addresses': ['192.168.1.53']},     # global 8.8.8.8 replaced; no empty search
        'set-name': 'eth0',
    }},
    'version': 2,
}
# Divergence: VM Operator writes `nameservers: {}` on both interfaces; we leave it out.
VMOP_V4 = {
    'ethernets': {
        'eth0': {'accept-ra': False, 'addresses': ['2001:db8::10/64'], 'dhcp4': True, 'dhcp6': False, 'gateway6': '2001:db8::1',
                 'match': {'macaddress': MAC1}, 'set-name': 'eth0'},
        'eth1': {'accept-ra': False, 'addresses': ['10.9.0.5/24'], 'dhcp4': False, 'dhcp6': False,    # gateway4: None -> no gateway
                 'match': {'macaddress': '00:50:56:00:00:02'}, 'routes': [{'to': '10.0.0.0/8', 'via': '10.9.0.1'}],
                 'set-name': 'eth1'},
    },
    'version': 2,
}


@pytest.mark.parametrize('case_name, expected', [
    (name + source, expected)
    for name, expected in (('vmop_v1', VMOP_V1), ('vmop_v2', VMOP_V2), ('vmop_v3', VMOP_V3), ('vmop_v4', VMOP_V4))
    for source in ('', '_spec')
])
def test_vm_operator_vectors_are_reproduced(case_name, expected):
    assert case(case_name).render() == expected


# -- one rule at a time -----------------------------------------------------------------------

def test_ethernets_are_keyed_by_interface_name_and_set_name_is_the_guest_device_name():
    ethernets = case('three_nics_per_interface_dns').render()['ethernets']
    assert {name: entry['set-name'] for name, entry in ethernets.items()} == {'eth0': 'ens192', 'eth1': 'ens224', 'eth2': 'ens256'}


def test_mac_address_is_matched_lowercase_with_colons():
    assert ethernet('mac_uppercase_dashes')['match'] == {'macaddress': '00:50:56:ab:cd:ef'}


@pytest.mark.parametrize('mac_address', [None, ''])
def test_an_interface_without_mac_address_is_an_error_naming_it(mac_address):
    with pytest.raises(ValueError, match='interface eth1 has no MAC address'):
        render_netplan(network(interface('eth0', MAC1), interface('eth1', mac_address)))


def test_dhcp_and_accept_ra_are_always_explicit_booleans():
    assert [ethernet('dhcp_both')[key] for key in ('accept-ra', 'dhcp4', 'dhcp6')] == [True, True, True]
    assert [ethernet('single_static')[key] for key in ('accept-ra', 'dhcp4', 'dhcp6')] == [False, False, False]


def test_dhcp_only_interface_has_no_addresses_key():
    assert 'addresses' not in ethernet('dhcp_both')


@pytest.mark.parametrize('gateway_style', GATEWAY_STYLES)
def test_addresses_list_ipv4_before_ipv6(gateway_style):
    assert ethernet('vmop_v3', gateway_style=gateway_style)['addresses'] == ['192.168.1.10/24', '192.168.1.11/24', '2001:db8::10/64']


def test_gateway_keys_style_writes_gateway4_and_gateway6_and_no_default_route():
    rendered = ethernet('dual_stack_routes_mtu', gateway_style=GATEWAY_KEYS)
    assert (rendered['gateway4'], rendered['gateway6']) == ('10.0.0.1', '2001:db8::1')
    assert [route['to'] for route in rendered['routes']] == ['172.16.0.0/12', '2001:db8:ffff::/48']


def test_default_route_style_puts_the_gateways_first_in_routes_as_all_zero_cidrs():
    # Divergence from the `to: default` spelling: netplan < 0.103 and cloud-init < 25.3 on
    # non-netplan distros reject `default` (test_real_guest_tools shows cloud-init 22.4 failing).
    rendered = ethernet('default_route_style')
    assert 'gateway4' not in rendered and 'gateway6' not in rendered
    assert rendered['routes'] == [
        {'to': '0.0.0.0/0', 'via': '10.0.0.1'},
        {'to': '::/0', 'via': '2001:db8::1'},
        {'metric': 100, 'to': '172.16.0.0/12', 'via': '10.0.0.254'},
    ]


def test_default_route_style_without_routes_of_its_own():
    assert ethernet('default_route_style_ipv4_only')['routes'] == [{'to': '0.0.0.0/0', 'via': '10.0.0.1'}]


@pytest.mark.parametrize('gateway_style', GATEWAY_STYLES)
def test_a_route_to_default_becomes_the_all_zero_cidr_of_its_gateway_family(gateway_style):
    # Divergence: VM Operator copies `to: default` unchanged, next to gateway4 (which cannot carry a
    # metric); netplan < 0.103 and cloud-init outside netplan reject it (see test_real_guest_tools).
    ethernets = render_netplan(case('two_default_routes_with_metrics').net, gateway_style)['ethernets']
    assert ethernets['eth0']['routes'] == [{'metric': 100, 'to': '0.0.0.0/0', 'via': '10.0.0.1'}]
    assert ethernets['eth1']['routes'] == [{'metric': 200, 'to': '0.0.0.0/0', 'via': '10.1.0.1'}]
    assert ethernet('ipv6_only_default_routes', gateway_style=gateway_style)['routes'] == [
        {'metric': 10, 'to': '::/0', 'via': '2001:db8::1'}, {'to': '2001:db8:2::/48', 'via': '2001:db8:1::1'}]


def test_route_metric_only_when_set():
    assert ethernet('vmop_v4', 'eth1')['routes'] == [{'to': '10.0.0.0/8', 'via': '10.9.0.1'}]
    assert ethernet('vmop_v1')['routes'] == [{'metric': 100, 'to': '172.16.0.0/12', 'via': '10.0.0.254'}]


def test_nameservers_holds_only_its_non_empty_parts():
    assert ethernet('dhcp_both')['nameservers'] == {'search': ['example.com']}
    assert ethernet('vmop_v3')['nameservers'] == {'addresses': ['192.168.1.53']}
    assert ethernet('single_static')['nameservers'] == {'addresses': ['10.0.0.53', '10.0.0.54'], 'search': ['example.com']}


def test_nameservers_is_left_out_without_dns():
    # VM Operator writes `nameservers: {}`: valid but meaningless, so we do not.
    assert 'nameservers' not in ethernet('vmop_v2')


def test_nameservers_and_search_domains_are_not_repeated():
    assert ethernet('duplicate_dns')['nameservers'] == {'addresses': ['10.0.0.53', '10.0.0.54'], 'search': ['example.com']}


@pytest.mark.parametrize('case_name, expected', [('vmop_v1', 9000), ('vmop_v2', None), ('mtu_zero_means_unset', None)])
def test_mtu_only_when_set(case_name, expected):
    # VM Operator once rendered `mtu: null`, which netplan rejects (PR #983).
    assert ethernet(case_name).get('mtu') == expected


def test_unknown_gateway_style_names_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"gateway_style: 'routes' is not one of gateway_keys, default_route"):
        render_netplan(case('single_static').net, 'routes')


@pytest.mark.parametrize('case_name', ['disabled', 'no_interfaces'])
@pytest.mark.parametrize('gateway_style', GATEWAY_STYLES)
def test_disabled_network_or_no_interfaces_render_no_ethernets(case_name, gateway_style):
    assert render_netplan(case(case_name).net, gateway_style) == EMPTY_NETPLAN


def test_disabled_network_needs_no_mac_addresses():
    assert render_netplan(network(interface('eth0', None), disabled=True)) == EMPTY_NETPLAN


def test_gateway_styles_and_default_style():
    assert GATEWAY_STYLES == (GATEWAY_KEYS, DEFAULT_ROUTE)
    assert render_netplan(case('single_static').net) == render_netplan(case('single_static').net, GATEWAY_KEYS)
