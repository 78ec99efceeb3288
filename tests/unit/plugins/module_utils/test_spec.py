# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of _spec: parsing (keys, types, normalization) and every validation rule."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import copy
import dataclasses

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    NO_GATEWAY,
    PROVIDERS,
    InterfaceSpec,
    NetworkRef,
    NetworkSpec,
    Route,
    SpecError,
    SpecErrors,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import (
    PROVIDER_SUPPORT,
    default_route_family,
    is_usable_ip,
    normalize_adapter_type,
    normalize_mac,
    parse_network_spec,
    spec_to_dict,
    validate,
)


def check(data, **kwargs):
    """Parse and validate like a module does."""
    validate(parse_network_spec(data), **kwargs)


def error_of(data, **kwargs) -> str:
    with pytest.raises(SpecError) as info:
        check(data, **kwargs)
    return str(info.value)


def one_interface(**fields):
    return {'interfaces': [dict({'name': 'eth0'}, **fields)]}


STATIC = {'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'}


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------

FULL_SNAKE = {
    'host_name': 'web01',
    'domain_name': 'example.com',
    'nameservers': ['10.0.0.53'],
    'search_domains': ['example.com'],
    'disabled': False,
    'interfaces': [{
        'name': 'eth0',
        'network': {'name': 'DC0_DVPG0', 'switch': 'DSwitch0'},
        'adapter_type': 'vmxnet3',
        'mac_address': '00:50:56:00:00:01',
        'subnet': 'prod-web',
        'addresses': ['10.0.0.10/24', '2001:db8::10/64'],
        'dhcp4': False,
        'dhcp6': False,
        'gateway4': '10.0.0.1',
        'gateway6': '2001:db8::1',
        'nameservers': ['10.0.0.53'],
        'search_domains': ['example.com'],
        'routes': [{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 100}],
        'mtu': 9000,
        'guest_device_name': 'ens192',
    }],
}

FULL_CAMEL = {
    'hostName': 'web01',
    'domainName': 'example.com',
    'nameservers': ['10.0.0.53'],
    'searchDomains': ['example.com'],
    'disabled': False,
    'interfaces': [{
        'name': 'eth0',
        'network': {'name': 'DC0_DVPG0', 'switch': 'DSwitch0'},
        'adapterType': 'vmxnet3',
        'macAddr': '00:50:56:00:00:01',
        'subnet': 'prod-web',
        'addresses': ['10.0.0.10/24', '2001:db8::10/64'],
        'dhcp4': False,
        'dhcp6': False,
        'gateway4': '10.0.0.1',
        'gateway6': '2001:db8::1',
        'nameservers': ['10.0.0.53'],
        'searchDomains': ['example.com'],
        'routes': [{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 100}],
        'mtu': 9000,
        'guestDeviceName': 'ens192',
    }],
}

FULL_SPEC = NetworkSpec(
    host_name='web01',
    domain_name='example.com',
    nameservers=('10.0.0.53',),
    search_domains=('example.com',),
    interfaces=(InterfaceSpec(
        name='eth0',
        network=NetworkRef('DC0_DVPG0', 'DSwitch0'),
        adapter_type='vmxnet3',
        mac_address='00:50:56:00:00:01',
        subnet='prod-web',
        addresses=('10.0.0.10/24', '2001:db8::10/64'),
        dhcp4=False,
        dhcp6=False,
        gateway4='10.0.0.1',
        gateway6='2001:db8::1',
        nameservers=('10.0.0.53',),
        search_domains=('example.com',),
        routes=(Route('172.16.0.0/12', '10.0.0.254', 100),),
        mtu=9000,
        guest_device_name='ens192',
    ),),
)


def test_parse_snake_case():
    assert parse_network_spec(FULL_SNAKE) == FULL_SPEC


def test_parse_camel_case_gives_the_same_spec():
    assert parse_network_spec(FULL_CAMEL) == FULL_SPEC


def test_parse_none_and_empty():
    assert parse_network_spec(None) == NetworkSpec()
    assert parse_network_spec({}) == NetworkSpec()


def test_parse_treats_none_values_as_unset():
    # Ansible passes every unset suboption as None.
    data = {'host_name': None, 'interfaces': [{'name': 'eth0', 'dhcp4': None, 'mtu': None, 'gateway4': None, 'routes': None}]}
    assert parse_network_spec(data) == NetworkSpec(interfaces=(InterfaceSpec(name='eth0'),))


def test_spec_to_dict_round_trips():
    # disabled: false is the default, so it is left out
    assert spec_to_dict(FULL_SPEC) == {key: value for key, value in FULL_SNAKE.items() if key != 'disabled'}
    assert parse_network_spec(spec_to_dict(FULL_SPEC)) == FULL_SPEC
    no_gateway = NetworkSpec(interfaces=(InterfaceSpec(name='eth0', addresses=('10.0.0.10/24',), gateway4=NO_GATEWAY),))
    assert spec_to_dict(no_gateway)['interfaces'][0]['gateway4'] == 'None'
    assert parse_network_spec(spec_to_dict(no_gateway)) == no_gateway


def test_unknown_key_names_the_path_and_lists_valid_keys():
    message = error_of(one_interface(gatway4='10.0.0.1'))
    assert message.startswith('network.interfaces[0]: gatway4 is not a valid key (did you mean gateway4?); valid keys: name, network,')
    assert 'guest_device_name' in message


def test_unknown_top_level_key():
    assert error_of({'interface': []}).startswith('network: interface is not a valid key (did you mean interfaces?)')


def test_unknown_route_key():
    message = error_of(one_interface(routes=[{'to': 'default', 'via': '10.0.0.1', 'table': 5}]))
    assert message.startswith('network.interfaces[0].routes[0]: table is not a valid key; valid keys: to, via, metric')


def test_same_field_in_both_spellings():
    assert error_of({'host_name': 'a1', 'hostName': 'a1'}) == 'network.host_name: hostName is given twice (as host_name and hostName)'


def test_custom_root_path():
    with pytest.raises(SpecError) as info:
        parse_network_spec({'bogus': 1}, path='manifest.spec.network')
    assert str(info.value).startswith('manifest.spec.network: bogus is not a valid key')


@pytest.mark.parametrize('network, expected', [
    ('DC0_DVPG0', NetworkRef('DC0_DVPG0')),
    ({'name': 'DC0_DVPG0', 'switch': 'DSwitch0'}, NetworkRef('DC0_DVPG0', 'DSwitch0')),
    ({'name': 'my-network', 'kind': 'Network', 'apiVersion': 'netoperator.vmware.com/v1alpha1'}, NetworkRef('my-network')),
])
def test_network_reference_forms(network, expected):
    assert parse_network_spec(one_interface(network=network)).interfaces[0].network == expected


def test_network_reference_needs_a_name():
    assert error_of(one_interface(network={'switch': 'DSwitch0'})) == \
        "network.interfaces[0].network.name: '' is missing; give the port group name"


@pytest.mark.parametrize('given', ['00-50-56-AB-CD-EF', '00:50:56:AB:CD:EF', '00:50:56:ab:cd:ef'])
def test_mac_is_normalized(given):
    assert parse_network_spec(one_interface(mac_address=given)).interfaces[0].mac_address == '00:50:56:ab:cd:ef'


def test_ips_are_canonical_and_keep_host_bits():
    iface = parse_network_spec(one_interface(addresses=['10.0.0.10/24', '2001:DB8:0::0010/64'], gateway6='2001:DB8::1',
                                             nameservers=['2001:4860:4860:0:0:0:0:8888'],
                                             routes=[{'to': '2001:DB8:1::/48', 'via': '2001:DB8::FE'}])).interfaces[0]
    assert iface.addresses == ('10.0.0.10/24', '2001:db8::10/64')
    assert iface.gateway6 == '2001:db8::1'
    assert iface.nameservers == ('2001:4860:4860::8888',)
    assert iface.routes == (Route('2001:db8:1::/48', '2001:db8::fe'),)


def test_netmask_form_is_normalized_to_a_prefix():
    assert parse_network_spec(one_interface(addresses=['10.0.0.10/255.255.255.0'])).interfaces[0].addresses == ('10.0.0.10/24',)


@pytest.mark.parametrize('given', ['None', 'none', 'NONE'])
def test_gateway_none_string_is_no_gateway(given):
    iface = parse_network_spec(one_interface(addresses=['10.0.0.10/24'], gateway4=given, gateway6=given)).interfaces[0]
    assert iface.gateway4 == NO_GATEWAY and iface.gateway6 == NO_GATEWAY


def test_empty_gateway_is_unset():
    assert parse_network_spec(one_interface(gateway4='')).interfaces[0].gateway4 is None


def test_route_to_default_is_kept():
    route = parse_network_spec(one_interface(routes=[{'to': 'Default', 'via': '10.0.0.1', 'metric': '100'}])).interfaces[0].routes[0]
    assert route == Route('default', '10.0.0.1', 100)


def test_digit_strings_are_accepted_for_ints():
    assert parse_network_spec(one_interface(mtu='9000')).interfaces[0].mtu == 9000


@pytest.mark.parametrize('fields, message', [
    ({'mtu': 'abc'}, 'network.interfaces[0].mtu: abc must be an integer'),
    ({'mtu': True}, 'network.interfaces[0].mtu: True must be an integer'),
    ({'mtu': 9000.5}, 'network.interfaces[0].mtu: 9000.5 must be an integer'),
    ({'routes': [{'to': 'default', 'via': '10.0.0.1', 'metric': 'x'}]}, 'network.interfaces[0].routes[0].metric: x must be an integer'),
    ({'dhcp4': 'yes'}, 'network.interfaces[0].dhcp4: yes must be true or false'),
    ({'dhcp6': 1}, 'network.interfaces[0].dhcp6: 1 must be true or false'),
    ({'addresses': '10.0.0.10/24'}, 'network.interfaces[0].addresses: 10.0.0.10/24 must be a list'),
    ({'nameservers': [53]}, 'network.interfaces[0].nameservers[0]: 53 must be a string'),
    ({'routes': [{'to': 'default'}]}, "network.interfaces[0].routes[0].via: '' is missing; a route needs to and via"),
    ({'guest_device_name': 192}, 'network.interfaces[0].guest_device_name: 192 must be a string'),
])
def test_type_errors_name_the_field(fields, message):
    assert error_of(one_interface(**fields)) == message


def test_disabled_must_be_bool():
    assert error_of({'disabled': 'true'}) == 'network.disabled: true must be true or false'


def test_interface_needs_a_name():
    assert error_of({'interfaces': [{'dhcp4': True}]}).startswith("network.interfaces[0].name: '' is missing")


def test_interfaces_must_be_mappings():
    assert error_of({'interfaces': ['eth0']}) == 'network.interfaces[0]: eth0 must be a mapping'


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('given, expected', [
    ('VirtualVmxnet3', 'vmxnet3'), ('VMXNET3', 'vmxnet3'), ('VirtualE1000e', 'e1000e'), ('VirtualPCNet32', 'pcnet32'),
    ('VirtualSriovEthernetCard', 'sriov'), ('e1000', 'e1000'),
])
def test_normalize_adapter_type(given, expected):
    assert normalize_adapter_type(given) == expected


def test_normalize_mac_rejects_mixed_separators():
    assert normalize_mac('00:50-56:00:00:01') is None
    assert normalize_mac(None) is None


@pytest.mark.parametrize('value, usable', [
    ('10.0.0.10', True), ('10.0.0.10/24', True), ('2001:db8::1', True), ('127.0.0.1', False), ('169.254.1.1', False),
    ('fe80::1', False), ('::', False), ('0.0.0.0', False), ('::1', False), ('nonsense', False),
])
def test_is_usable_ip(value, usable):
    assert is_usable_ip(value) is usable


@pytest.mark.parametrize('route, family', [
    (Route('default', '10.0.0.1'), 4), (Route('default', '2001:db8::1'), 6), (Route('0.0.0.0/0', '10.0.0.1'), 4),
    (Route('::/0', '2001:db8::1'), 6), (Route('10.0.0.0/8', '10.0.0.1'), None),
])
def test_default_route_family(route, family):
    assert default_route_family(route) == family


# ---------------------------------------------------------------------------
# Validation: one good and one bad case per rule
# ---------------------------------------------------------------------------

ELEVEN = {'interfaces': [{'name': 'eth%d' % index} for index in range(11)]}
TWO_GATEWAYS = {'interfaces': [dict(name='eth0', **STATIC), {'name': 'eth1', 'addresses': ['10.0.9.5/24'], 'gateway4': '10.0.9.1'}]}
TEN = {'interfaces': [{'name': 'eth%d' % index} for index in range(10)]}

GOOD = [
    # identity
    ('host name label', {'host_name': 'web-01'}, {}),
    ('host name 63 chars', {'host_name': 'a' * 63}, {}),
    ('host name digits first', {'host_name': '1web'}, {}),
    ('host name from a valid VM name', {}, {'vm_name': 'web01'}),
    ('VM name with underscores, nothing rendered', {}, {'vm_name': 'DC0_H0_VM0'}),
    ('long VM name, nothing rendered, windows', {}, {'vm_name': 'a' * 70, 'windows': True}),
    ('IP VM name with a domain, nothing rendered', {'domain_name': 'example.com'}, {'vm_name': '10.0.0.10'}),
    ('host name IP without domain', {'host_name': '10.0.0.10'}, {}),
    ('windows host name 15 chars', {'host_name': 'a' * 15}, {'windows': True}),
    ('sysprep host name 15 chars', {'host_name': 'a' * 15}, {'provider': 'sysprep'}),
    ('linux host name 16 chars', {'host_name': 'a' * 16}, {'provider': 'linux_prep'}),
    ('domain name', {'host_name': 'web01', 'domain_name': 'corp.example.com'}, {}),
    ('single-label domain', {'host_name': 'web01', 'domain_name': 'local'}, {}),
    ('long TLD', {'host_name': 'web01', 'domain_name': 'example.london'}, {}),
    ('hyphen in the TLD', {'domain_name': 'example.a-b'}, {}),
    ('single-label domain with a hyphen', {'domain_name': 'foo-domain'}, {}),
    ('TLD starting with a digit', {'domain_name': 'corp.1-a'}, {}),
    ('punycode TLD', {'domain_name': 'example.xn--p1ai'}, {}),
    ('punycode labels', {'domain_name': 'xn--80ak6aa92e.xn--p1ai'}, {}),
    ('numeric TLD', {'domain_name': 'corp.42'}, {}),
    ('domain 253 chars', {'domain_name': '.'.join(['a' * 63] * 3 + ['b' * 61])}, {}),
    ('global nameservers', {'nameservers': ['10.0.0.53', '2001:db8::53']}, {}),
    ('disabled', {'disabled': True}, {}),
    # interfaces
    ('ten interfaces', TEN, {}),
    ('two distinct names', {'interfaces': [{'name': 'eth0'}, {'name': 'eth1'}]}, {}),
    ('guest device name', one_interface(guest_device_name='ens_192'), {}),
    ('guest device name 15 chars', one_interface(guest_device_name='a' * 15), {}),
    ('interface name 15 chars', {'interfaces': [{'name': 'e' * 15}]}, {}),
    ('adapter type', one_interface(adapter_type='VirtualE1000e'), {}),
    ('MAC in manual range, top', one_interface(mac_address='00:50:56:3F:FF:FF'), {}),
    ('MAC in manual range, dash form', one_interface(mac_address='00-50-56-00-00-01'), {}),
    # addresses, DHCP, gateways
    ('CIDR addresses', one_interface(addresses=['10.0.0.10/24', '2001:db8::10/64']), {}),
    ('dhcp4 with IPv6 static', one_interface(dhcp4=True, addresses=['2001:db8::10/64'], gateway6='2001:db8::1'), {}),
    ('dhcp6 with IPv4 static', one_interface(dhcp6=True, **STATIC), {}),
    ('gateway4 inside the subnet', one_interface(**STATIC), {}),
    ('gateway inside the second address', one_interface(addresses=['10.0.0.10/24', '10.0.9.5/24'], gateway4='10.0.9.1'), {}),
    ('gateway6 inside the subnet', one_interface(addresses=['2001:db8::10/64'], gateway6='2001:db8::1'), {}),
    ('gateway4 None without addresses', one_interface(gateway4='None'), {}),
    ('gateway with addresses pending from the ledger', one_interface(subnet='prod-web', gateway4='10.0.0.1'), {}),
    ('per-interface nameservers', one_interface(nameservers=['10.0.0.53']), {}),
    # routes
    ('route to a CIDR', one_interface(routes=[{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 1}], **STATIC), {}),
    ('route to default, IPv6 via', one_interface(routes=[{'to': 'default', 'via': '2001:db8::1'}]), {}),
    ('route with a host prefix', one_interface(routes=[{'to': '192.0.2.7/32', 'via': '10.0.0.254'}]), {}),
    # MTU
    ('MTU 68 on IPv4', one_interface(mtu=68, **STATIC), {}),
    ('MTU 9216', one_interface(mtu=9216), {}),
    ('MTU 1280 with IPv6', one_interface(mtu=1280, addresses=['2001:db8::10/64']), {}),
    ('MTU 1279 without IPv6', one_interface(mtu=1279, dhcp4=True), {}),
    ('MTU 0 is unset', one_interface(mtu=0, addresses=['2001:db8::10/64']), {}),
    ('MTU 0 on linux_prep is unset, not an unsupported field', one_interface(mtu=0), {'provider': 'linux_prep'}),
    # duplicates and default routes
    ('distinct addresses', {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24']},
                                           {'name': 'eth1', 'addresses': ['10.0.0.11/24']}]}, {}),
    ('one gateway suppressed', {'interfaces': [dict(name='eth0', **STATIC),
                                               {'name': 'eth1', 'addresses': ['10.0.9.5/24'], 'gateway4': 'None'}]}, {}),
    ('distinct default metrics', {'interfaces': [
        {'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'routes': [{'to': 'default', 'via': '10.0.0.1', 'metric': 100}]},
        {'name': 'eth1', 'addresses': ['10.0.9.5/24'], 'routes': [{'to': '0.0.0.0/0', 'via': '10.0.9.1', 'metric': 200}]}]}, {}),
    ('one default per family', {'interfaces': [dict(name='eth0', **STATIC),
                                               {'name': 'eth1', 'addresses': ['2001:db8::10/64'], 'gateway6': '2001:db8::1'}]},
     {'provider': 'cloud_init'}),
    ('gateway and a default route with a metric (netplan: different metrics)', {'interfaces': [
        dict(name='eth0', **STATIC),
        {'name': 'eth1', 'addresses': ['10.0.9.5/24'], 'routes': [{'to': '0.0.0.0/0', 'via': '10.0.9.1', 'metric': 200}]}]},
     {'provider': 'cloud_init'}),
    ('two gateway4, nothing rendered', TWO_GATEWAYS, {}),
    ('two gateway4 on linux_prep', TWO_GATEWAYS, {'provider': 'linux_prep'}),
    ('two gateway4 on sysprep', TWO_GATEWAYS, {'provider': 'sysprep'}),
    ('two gateway4 on vapp_config', TWO_GATEWAYS, {'provider': 'vapp_config'}),
    ('global DNS with use_global defaults on', {'nameservers': ['10.0.0.53'], 'search_domains': ['example.com']},
     {'provider': 'cloud_init', 'use_global_nameservers_as_default': True}),
    ('use_global off without global DNS', one_interface(nameservers=['10.0.0.53']),
     {'provider': 'cloud_init', 'use_global_nameservers_as_default': False, 'use_global_search_domains_as_default': False}),
    # provider gating
    ('no provider, no gating', one_interface(mtu=9000, routes=[{'to': 'default', 'via': '10.0.0.1'}], **{'guest_device_name': 'ens192'}), {}),
    ('cloud_init carries everything', dict(FULL_SNAKE, interfaces=[dict(FULL_SNAKE['interfaces'][0], mac_address='00:50:56:00:00:01')]),
     {'provider': 'cloud_init'}),
    ('sysprep per-interface nameservers', one_interface(nameservers=['10.0.0.53'], **STATIC), {'provider': 'sysprep'}),
    ('linux_prep global DNS', dict(one_interface(**STATIC), nameservers=['10.0.0.53'], search_domains=['example.com']),
     {'provider': 'linux_prep'}),
    ('vapp_config addresses, DHCP, gateways and global DNS',
     dict(one_interface(dhcp6=True, **STATIC), nameservers=['10.0.0.53'], search_domains=['example.com']), {'provider': 'vapp_config'}),
    ('gating skipped on request', one_interface(mtu=9000), {'provider': 'linux_prep', 'check_support': False}),
    ('linux_prep one IPv4 and two IPv6', one_interface(addresses=['10.0.0.10/24', '2001:db8::10/64', '2001:db8::11/64']),
     {'provider': 'linux_prep'}),
    ('cloud_init two IPv4', one_interface(addresses=['10.0.0.10/24', '10.0.0.11/24']), {'provider': 'cloud_init'}),
]


@pytest.mark.parametrize('data, kwargs', [case[1:] for case in GOOD], ids=[case[0] for case in GOOD])
def test_valid(data, kwargs):
    check(copy.deepcopy(data), **kwargs)


BAD = [
    ('unknown provider', {}, {'provider': 'ignition'},
     'provider: ignition is not a bootstrap provider; valid providers: cloud_init, linux_prep, sysprep, vapp_config'),
    # identity
    ('host name with underscore', {'host_name': 'web_01'}, {},
     'network.host_name: web_01 is not a valid host name: use letters, digits and hyphens, not starting or ending with a hyphen'),
    ('host name with a dot', {'host_name': 'web01.example.com'}, {}, 'network.host_name: web01.example.com is not a valid host name'),
    ('host name trailing hyphen', {'host_name': 'web-'}, {}, 'network.host_name: web- is not a valid host name'),
    ('host name 64 chars', {'host_name': 'a' * 64}, {}, 'network.host_name: %s is longer than 63 characters' % ('a' * 64)),
    ('host name from an invalid VM name, cloud_init', {}, {'vm_name': 'web_01', 'provider': 'cloud_init'},
     'network.host_name: web_01 is not a valid host name: use letters, digits and hyphens, not starting or ending with a hyphen '
     '(RFC 1123 label; no dots or underscores); it is the VM name, used because host_name is not set, and cloud_init writes it '
     'into the guest: set network.host_name to a valid name'),
    ('VM name with underscores, linux_prep', {}, {'vm_name': 'DC0_H0_VM0', 'provider': 'linux_prep'},
     'network.host_name: DC0_H0_VM0 is not a valid host name'),
    ('VM name with underscores, vapp_config', {}, {'vm_name': 'DC0_H0_VM0', 'provider': 'vapp_config'},
     'vapp_config writes it into the guest: set network.host_name'),
    ('VM name judged as VM Operator does', {}, {'vm_name': 'web.example', 'vm_name_is_host_name': True},
     'network.host_name: web.example is not a valid host name: use letters, digits and hyphens'),
    ('explicit host name judged without a provider', {'host_name': 'DC0_H0_VM0'}, {'vm_name': 'web01'},
     'network.host_name: DC0_H0_VM0 is not a valid host name: use letters, digits and hyphens, not starting or ending with a '
     'hyphen (RFC 1123 label; no dots or underscores)'),
    ('IP host name with domain', {'host_name': '10.0.0.10', 'domain_name': 'example.com'}, {},
     'network.host_name: 10.0.0.10 is an IP address, which cannot be a host name when domain_name is set'),
    ('windows host name 16 chars', {'host_name': 'a' * 16}, {'windows': True},
     'network.host_name: %s is longer than 15 characters, the limit for a Windows computer name' % ('a' * 16)),
    ('sysprep VM name 16 chars', {}, {'provider': 'sysprep', 'vm_name': 'a' * 16},
     'network.host_name: %s is longer than 15 characters, the limit for a Windows computer name; it is the VM name, used because '
     'host_name is not set, and sysprep writes it into the guest' % ('a' * 16)),
    ('domain 254 chars', {'domain_name': '.'.join(['a' * 63] * 3 + ['b' * 62])}, {}, 'is longer than 253 characters'),
    ('domain label with underscore', {'domain_name': 'my_corp.example.com'}, {},
     "network.domain_name: my_corp.example.com is not a valid domain name: label 'my_corp'"),
    ('domain trailing dot', {'domain_name': 'example.com.'}, {}, "network.domain_name: example.com. is not a valid domain name: label ''"),
    ('one-letter TLD', {'domain_name': 'example.c'}, {},
     "network.domain_name: example.c is not a valid domain name: the top-level domain 'c' must be at least 2 characters"),
    ('TLD ending with a hyphen', {'domain_name': 'example.co-'}, {},
     "network.domain_name: example.co- is not a valid domain name: label 'co-' must be 1-63 letters, digits and hyphens, not "
     'starting or ending with a hyphen (write an internationalized name in punycode, such as xn--p1ai)'),
    ('label starting with a hyphen', {'domain_name': '-corp.example.com'}, {}, "label '-corp' must be 1-63"),
    ('unicode TLD', {'domain_name': 'example.\u0440\u0444'}, {}, 'write an internationalized name in punycode, such as xn--p1ai'),
    ('FQDN over 255', {'host_name': 'h' * 10, 'domain_name': '.'.join(['a' * 63] * 3 + ['b' * 61])}, {},
     'network.domain_name: %s makes the FQDN' % '.'.join(['a' * 63] * 3 + ['b' * 61])),
    ('global nameserver not an IP', {'nameservers': ['10.0.0.53', 'dns.example.com']}, {},
     'network.nameservers[1]: dns.example.com is not an IP address'),
    ('disabled with interfaces', dict(one_interface(), disabled=True), {},
     'network.disabled: True conflicts with network.interfaces (1 given); a disabled network has no interfaces, remove one or the other'),
    # interfaces
    ('eleven interfaces', ELEVEN, {}, 'network.interfaces: 11 is more than the 10 interfaces a VM can have'),
    ('uppercase interface name', {'interfaces': [{'name': 'Eth0'}]}, {},
     'network.interfaces[0].name: Eth0 must match ^[a-z0-9]{2,}$'),
    ('one-letter interface name', {'interfaces': [{'name': 'e'}]}, {}, 'network.interfaces[0].name: e must match ^[a-z0-9]{2,}$'),
    ('interface name 16 chars', {'interfaces': [{'name': 'e' * 16}]}, {},
     'network.interfaces[0].name: %s is longer than 15 characters, the limit of a Linux interface name (the guest device name '
     'defaults to it; netplan ignores a longer set-name)' % ('e' * 16)),
    ('duplicate interface name', {'interfaces': [{'name': 'eth0'}, {'name': 'eth0'}]}, {},
     'network.interfaces[1].name: eth0 is already the name of network.interfaces[0]; interface names must be unique'),
    ('duplicate static MAC (any case)', {'interfaces': [{'name': 'eth0', 'mac_address': '00:50:56:00:00:09'},
                                                        {'name': 'eth1', 'mac_address': '00-50-56-00-00-09'}]}, {},
     'network.interfaces[1].mac_address: 00:50:56:00:00:09 is already the MAC address of network.interfaces[0]; each NIC needs its own'),
    ('guest device name with hyphen', one_interface(guest_device_name='ens-192'), {},
     r'network.interfaces[0].guest_device_name: ens-192 must match ^\w\w+$'),
    ('guest device name one char', one_interface(guest_device_name='e'), {}, r'network.interfaces[0].guest_device_name: e must match'),
    ('guest device name 16 chars', one_interface(guest_device_name='enp11s0f1np1abcd'), {},
     'network.interfaces[0].guest_device_name: enp11s0f1np1abcd is longer than 15 characters, the limit of a Linux interface name '
     '(netplan ignores a longer set-name, and the NIC would keep its kernel name)'),
    ('unknown adapter type', one_interface(adapter_type='rtl8139'), {},
     'network.interfaces[0].adapter_type: rtl8139 is not a network adapter type; valid types: e1000, e1000e'),
    ('short MAC', one_interface(mac_address='00:50:56:00:00'), {},
     'network.interfaces[0].mac_address: 00:50:56:00:00 is not a MAC address; write six hex pairs'),
    ('MAC above the manual range', one_interface(mac_address='00:50:56:40:00:00'), {},
     "network.interfaces[0].mac_address: 00:50:56:40:00:00 is outside VMware's range for static MAC addresses, "
     '00:50:56:00:00:00 to 00:50:56:3f:ff:ff'),
    ('MAC of another vendor', one_interface(mac_address='00:0c:29:00:00:01'), {}, 'is outside VMware\'s range'),
    # addresses, DHCP, gateways
    ('bare IP address', one_interface(addresses=['10.0.0.10']), {},
     'network.interfaces[0].addresses[0]: 10.0.0.10 has no prefix length; write it as a CIDR, e.g. 10.0.0.10/24'),
    ('not an address', one_interface(addresses=['10.0.0.300/24']), {},
     'network.interfaces[0].addresses[0]: 10.0.0.300/24 is not an IP address with a prefix length (CIDR)'),
    ('dhcp4 with IPv4 address', one_interface(dhcp4=True, addresses=['10.0.0.10/24']), {},
     'network.interfaces[0].addresses[0]: 10.0.0.10/24 is an IPv4 address, which conflicts with dhcp4: true'),
    ('dhcp6 with IPv6 address', one_interface(dhcp6=True, addresses=['10.0.0.10/24', '2001:db8::10/64']), {},
     'network.interfaces[0].addresses[1]: 2001:db8::10/64 is an IPv6 address, which conflicts with dhcp6: true'),
    ('dhcp4 with gateway4', one_interface(dhcp4=True, gateway4='10.0.0.1'), {},
     'network.interfaces[0].gateway4: 10.0.0.1 conflicts with dhcp4: true (DHCP supplies the gateway); remove it'),
    ('dhcp6 with gateway6 None', one_interface(dhcp6=True, gateway6='None'), {},
     'network.interfaces[0].gateway6: None conflicts with dhcp6: true'),
    ('gateway4 of the wrong family', one_interface(addresses=['10.0.0.10/24'], gateway4='2001:db8::1'), {},
     'network.interfaces[0].gateway4: 2001:db8::1 is not an IPv4 address'),
    ('gateway6 not an IP', one_interface(addresses=['2001:db8::10/64'], gateway6='router'), {},
     'network.interfaces[0].gateway6: router is not an IPv6 address'),
    ('gateway6 without IPv6 address', one_interface(addresses=['10.0.0.10/24'], gateway6='2001:db8::1'), {},
     'network.interfaces[0].gateway6: 2001:db8::1 needs an IPv6 address in network.interfaces[0].addresses'),
    ('gateway4 outside the subnet', {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'},
                                                    {'name': 'eth1', 'addresses': ['10.0.0.20/24'], 'gateway4': '10.0.9.1'}]}, {},
     'network.interfaces[1].gateway4: 10.0.9.1 is not inside any IPv4 address of this interface (10.0.0.20/24)'),
    ('gateway6 outside the subnet', one_interface(addresses=['2001:db8::10/64'], gateway6='2001:db9::1'), {},
     'network.interfaces[0].gateway6: 2001:db9::1 is not inside any IPv6 address of this interface (2001:db8::10/64)'),
    ('gateway is the own address', one_interface(addresses=['10.0.0.10/24'], gateway4='10.0.0.10'), {},
     'network.interfaces[0].gateway4: 10.0.0.10 is the address of this interface itself'),
    ('per-interface nameserver not an IP', one_interface(nameservers=['dns1']), {},
     'network.interfaces[0].nameservers[0]: dns1 is not an IP address'),
    # routes
    ('route to a bare IP', one_interface(routes=[{'to': '172.16.0.1', 'via': '10.0.0.254'}], **STATIC), {},
     "network.interfaces[0].routes[0].to: 172.16.0.1 has no prefix length; write 'default' or a CIDR, e.g. 172.16.0.1/32"),
    ('route to nonsense', one_interface(routes=[{'to': 'internet', 'via': '10.0.0.254'}]), {},
     "network.interfaces[0].routes[0].to: internet is not 'default' or a CIDR"),
    ('route via not an IP', one_interface(routes=[{'to': '172.16.0.0/12', 'via': 'router'}]), {},
     'network.interfaces[0].routes[0].via: router is not an IP address'),
    ('route family mismatch', one_interface(routes=[{'to': '172.16.0.0/12', 'via': '2001:db8::1'}]), {},
     'network.interfaces[0].routes[0].via: 2001:db8::1 is an IPv6 address but to (172.16.0.0/12) is IPv4'),
    ('route metric 0', one_interface(routes=[{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 0}]), {},
     'network.interfaces[0].routes[0].metric: 0 must be at least 1'),
    # MTU
    ('MTU 67', one_interface(mtu=67), {}, 'network.interfaces[0].mtu: 67 is outside 68..9216 (0 means unset)'),
    ('MTU 9217', one_interface(mtu=9217), {}, 'network.interfaces[0].mtu: 9217 is outside 68..9216'),
    ('MTU -1', one_interface(mtu=-1), {}, 'network.interfaces[0].mtu: -1 is outside 68..9216'),
    ('MTU 1279 with static IPv6', one_interface(mtu=1279, addresses=['2001:db8::10/64']), {},
     'network.interfaces[0].mtu: 1279 is below 1280, the minimum for an interface with IPv6'),
    ('MTU 1279 with DHCPv6', one_interface(mtu=1279, dhcp6=True), {}, 'network.interfaces[0].mtu: 1279 is below 1280'),
    # duplicates
    ('same IP on two interfaces', {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24']},
                                                  {'name': 'eth1', 'addresses': ['10.0.0.10/16']}]}, {},
     'network.interfaces[1].addresses[0]: 10.0.0.10/16 has the same IP as network.interfaces[0].addresses[0]'),
    ('same IP twice on one interface', one_interface(addresses=['2001:db8::10/64', '2001:db8:0::10/64']), {},
     'network.interfaces[0].addresses[1]: 2001:db8::10/64 has the same IP as network.interfaces[0].addresses[0]'),
    # default routes (cloud_init: netplan)
    ('two gateway4', TWO_GATEWAYS, {'provider': 'cloud_init'},
     'network.interfaces[1].gateway4: 10.0.9.1 is a second IPv4 default route with the default metric: interface eth0 already has one '
     '(network.interfaces[0].gateway4: 10.0.0.1), and netplan reports conflicting default routes (ifupdown fails on the second); '
     'give them different metrics (replace gateway4: 10.0.9.1 with routes: [{to: default, via: 10.0.9.1, metric: <n>}]), or give '
     'all but one interface gateway4: None'),
    ('two gateway6', {'interfaces': [{'name': 'eth0', 'addresses': ['2001:db8::10/64'], 'gateway6': '2001:db8::1'},
                                     {'name': 'eth1', 'addresses': ['2001:db9::10/64'], 'gateway6': '2001:db9::1'}]},
     {'provider': 'cloud_init'},
     'network.interfaces[1].gateway6: 2001:db9::1 is a second IPv6 default route with the default metric: interface eth0 already '
     'has one'),
    ('equal default metrics', {'interfaces': [
        {'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'routes': [{'to': 'default', 'via': '10.0.0.1', 'metric': 100}]},
        {'name': 'eth1', 'addresses': ['10.0.9.5/24'], 'routes': [{'to': 'default', 'via': '10.0.9.1', 'metric': 100}]}]},
     {'provider': 'cloud_init'},
     'network.interfaces[1].routes[0]: default via 10.0.9.1 is a second IPv4 default route with metric 100: interface eth0 already '
     'has one (network.interfaces[0].routes[0]: default via 10.0.0.1), and netplan reports conflicting default routes (ifupdown '
     'fails on the second); give them different metrics (give network.interfaces[1].routes[0] another metric)'),
    ('default route without a metric and a gateway', {'interfaces': [
        dict(name='eth0', **STATIC),
        {'name': 'eth1', 'addresses': ['10.0.9.5/24'], 'routes': [{'to': '0.0.0.0/0', 'via': '10.0.9.1'}]}]}, {'provider': 'cloud_init'},
     'network.interfaces[1].routes[0]: 0.0.0.0/0 via 10.0.9.1 is a second IPv4 default route with the default metric: interface eth0 '
     'already has one (network.interfaces[0].gateway4: 10.0.0.1), and netplan reports conflicting default routes (ifupdown fails on '
     'the second); give them different metrics (give network.interfaces[1].routes[0] a metric: <n>)'),
    ('gateway and default route on one interface', one_interface(routes=[{'to': 'default', 'via': '10.0.0.2'}], **STATIC),
     {'provider': 'cloud_init'},
     'network.interfaces[0].routes[0]: default via 10.0.0.2 is a second IPv4 default route with the default metric: interface eth0 '
     'already has one'),
    # global DNS no interface takes (cloud_init's use_global_*_as_default: false)
    ('global nameservers without use_global_nameservers_as_default', dict(one_interface(), nameservers=['10.0.0.53']),
     {'provider': 'cloud_init', 'use_global_nameservers_as_default': False},
     "network.nameservers: ['10.0.0.53'] would reach no interface: use_global_nameservers_as_default is false, so cloud-init uses "
     "each interface's own nameservers only, and netplan has no place for global ones; remove them (give them per interface), or "
     'set use_global_nameservers_as_default: true'),
    ('global search domains without use_global_search_domains_as_default', dict(one_interface(), search_domains=['example.com']),
     {'provider': 'cloud_init', 'use_global_search_domains_as_default': False},
     "network.search_domains: ['example.com'] would reach no interface: use_global_search_domains_as_default is false"),
    # provider gating
    ('routes on linux_prep', one_interface(routes=[{'to': '172.16.0.0/12', 'via': '10.0.0.254'}], **STATIC), {'provider': 'linux_prep'},
     "network.interfaces[0].routes: [{'to': '172.16.0.0/12', 'via': '10.0.0.254'}] is not supported by linux_prep; supported by: cloud_init"),
    ('mtu on sysprep', one_interface(mtu=9000), {'provider': 'sysprep'},
     'network.interfaces[0].mtu: 9000 is not supported by sysprep; supported by: cloud_init'),
    ('guest device name on linux_prep', one_interface(guest_device_name='ens192'), {'provider': 'linux_prep'},
     'network.interfaces[0].guest_device_name: ens192 is not supported by linux_prep; supported by: cloud_init'),
    ('per-interface search domains on sysprep', one_interface(search_domains=['example.com']), {'provider': 'sysprep'},
     "network.interfaces[0].search_domains: ['example.com'] is not supported by sysprep; supported by: cloud_init"),
    ('per-interface nameservers on linux_prep', one_interface(nameservers=['10.0.0.53']), {'provider': 'linux_prep'},
     "network.interfaces[0].nameservers: ['10.0.0.53'] is not supported by linux_prep; supported by: cloud_init, sysprep"),
    ('mtu on vapp_config', one_interface(mtu=9000), {'provider': 'vapp_config'},
     'network.interfaces[0].mtu: 9000 is not supported by vapp_config; supported by: cloud_init'),
    ('per-interface DNS on vapp_config', one_interface(nameservers=['10.0.0.53']), {'provider': 'vapp_config'},
     'is not supported by vapp_config; supported by: cloud_init, sysprep'),
    ('two IPv4 on linux_prep', one_interface(addresses=['10.0.0.10/24', '10.0.0.11/24']), {'provider': 'linux_prep'},
     'network.interfaces[0].addresses[1]: 10.0.0.11/24 is a second IPv4 address; linux_prep (guest OS customization) sets one IPv4 '
     'address per interface; use cloud_init for more'),
    ('two IPv4 on sysprep', one_interface(addresses=['10.0.0.10/24', '2001:db8::1/64', '10.0.0.11/24']), {'provider': 'sysprep'},
     'network.interfaces[0].addresses[2]: 10.0.0.11/24 is a second IPv4 address; sysprep'),
]


@pytest.mark.parametrize('data, kwargs, expected', [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_invalid(data, kwargs, expected):
    message = error_of(copy.deepcopy(data), **kwargs)
    assert expected in message
    # Every message starts with the field path.
    assert message.startswith(('network', 'provider:'))


def test_error_carries_path_value_and_reason():
    with pytest.raises(SpecError) as info:
        check(one_interface(mtu=67))
    assert (info.value.path, info.value.value, info.value.reason) == ('network.interfaces[0].mtu', 67, 'is outside 68..9216 (0 means unset)')
    assert info.value.errors == (info.value,)


def test_validate_uses_the_given_root_path():
    with pytest.raises(SpecError) as info:
        validate(parse_network_spec(one_interface(mtu=67)), path='manifest.spec.network')
    assert str(info.value) == 'manifest.spec.network.interfaces[0].mtu: 67 is outside 68..9216 (0 means unset)'


def test_validate_reports_unnormalized_values_of_a_hand_built_spec():
    spec = NetworkSpec(interfaces=(InterfaceSpec(name='eth0', mac_address='00-50-56-00-00-01'),))
    validate(spec)     # the rule normalizes before comparing with the manual range


def test_capability_table_names_real_fields_and_providers():
    spec_fields = {field.name for field in dataclasses.fields(NetworkSpec)}
    interface_fields = {field.name for field in dataclasses.fields(InterfaceSpec)}
    for key, providers in PROVIDER_SUPPORT.items():
        assert set(providers) <= set(PROVIDERS)
        if key.startswith('interfaces[].'):
            assert key[len('interfaces[].'):] in interface_fields
        else:
            assert key in spec_fields
    # Every interface field the guest sees is in the table.
    assert {key[len('interfaces[].'):] for key in PROVIDER_SUPPORT if key.startswith('interfaces[].')} == interface_fields - {'name'}


# ---------------------------------------------------------------------------
# Every problem at once
# ---------------------------------------------------------------------------

MANY_PROBLEMS = {
    'host_name': 'web_01',
    'interfaces': [
        {'name': 'eth0', 'addresses': ['10.0.0.10/24', '10.0.0.11/24'], 'gateway4': '10.0.0.1',
         'routes': [{'to': '172.16.0.0/12', 'via': 'router'}]},
        {'name': 'eth1', 'addresses': ['10.0.9.5'], 'mtu': 67},
    ],
}


def test_validate_reports_every_problem_at_once_in_spec_order():
    with pytest.raises(SpecErrors) as info:
        check(copy.deepcopy(MANY_PROBLEMS), provider='linux_prep')
    assert [error.path for error in info.value.errors] == [
        'network.host_name',
        'network.interfaces[0].routes',                 # the capability table, for this interface
        'network.interfaces[0].addresses[1]',
        'network.interfaces[0].routes[0].via',
        'network.interfaces[1].mtu',
        'network.interfaces[1].addresses[0]',
        'network.interfaces[1].mtu',
    ]
    message = str(info.value)
    assert message.startswith('7 errors: (1) network.host_name: web_01 is not a valid host name: ')
    assert '; (3) network.interfaces[0].addresses[1]: 10.0.0.11/24 is a second IPv4 address; linux_prep' in message
    assert '; (4) network.interfaces[0].routes[0].via: router is not an IP address; (5) ' in message
    # The first problem's fields, for code that handles one problem at a time.
    assert (info.value.path, info.value.value) == ('network.host_name', 'web_01')
    # Stable: the same input gives the same message.
    assert error_of(copy.deepcopy(MANY_PROBLEMS), provider='linux_prep') == message


def test_every_problem_is_a_value_error_too():
    with pytest.raises(ValueError, match=r'^2 errors: \(1\) network.interfaces\[0\].mtu: 67 is outside'):
        check({'interfaces': [{'name': 'eth0', 'mtu': 67}, {'name': 'eth0'}]})


def test_a_bad_address_does_not_make_the_gateway_look_wrong():
    # Only the address is wrong; "the gateway needs an IPv4 address" would mislead.
    assert error_of(one_interface(addresses=['10.0.0.300/24'], gateway4='10.0.0.1')) == \
        'network.interfaces[0].addresses[0]: 10.0.0.300/24 is not an IP address with a prefix length (CIDR), e.g. 10.0.0.10/24'


def test_parse_reports_every_bad_key_and_value_at_once():
    data = {'host_name': 5, 'bogus': 1, 'interfaces': [
        {'name': 'eth0', 'mtu': 'abc', 'dhcp4': 'yes', 'gatway4': '10.0.0.1'},
        {'name': 'eth1', 'routes': [{'to': 'default'}], 'nameservers': ['10.0.0.53', 53]},
        'eth2',
    ]}
    with pytest.raises(SpecErrors) as info:
        parse_network_spec(data)
    assert [str(error) for error in info.value.errors] == [
        'network: bogus is not a valid key; valid keys: host_name, domain_name, nameservers, search_domains, disabled, interfaces '
        '(camelCase spellings are accepted too)',
        'network.host_name: 5 must be a string',
        'network.interfaces[0]: gatway4 is not a valid key (did you mean gateway4?); valid keys: name, network, adapter_type, '
        'mac_address, subnet, addresses, dhcp4, dhcp6, gateway4, gateway6, nameservers, search_domains, routes, mtu, '
        'guest_device_name (camelCase spellings are accepted too)',
        'network.interfaces[0].dhcp4: yes must be true or false',
        'network.interfaces[0].mtu: abc must be an integer',
        'network.interfaces[1].nameservers[1]: 53 must be a string',
        'network.interfaces[1].routes[0].via: \'\' is missing; a route needs to and via',
        'network.interfaces[2]: eth2 must be a mapping',
    ]


def test_parse_reports_every_bad_field_of_an_interface():
    with pytest.raises(SpecErrors) as info:
        parse_network_spec(one_interface(mtu='abc', dhcp4='yes'))
    assert [error.path for error in info.value.errors] == ['network.interfaces[0].dhcp4', 'network.interfaces[0].mtu']


def test_mtu_zero_parses_as_unset():
    assert parse_network_spec(one_interface(mtu=0)).interfaces[0].mtu is None
    assert parse_network_spec(one_interface(mtu='0')).interfaces[0].mtu is None
    assert 'mtu' not in spec_to_dict(parse_network_spec(one_interface(mtu=0)))['interfaces'][0]
