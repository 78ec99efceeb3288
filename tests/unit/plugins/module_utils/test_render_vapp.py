# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vApp renderer: VM Operator's template helpers and typed vApp property edits."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import re
from typing import Any, Dict, List

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import VAPP_CONFIG
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import REDACTED, redact, secrets
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._vapp import (
    VappTemplateError, first_ip, first_nic_mac, format_ip, format_nameservers, ips_from_nic, is_usable_ip, prefix_length,
    render_vapp_properties, subnet_mask, vapp_config_spec)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

# The intended config (docs/developing.md): a dual-stack NIC, an IPv6-only NIC with a
# link-local address first, a DHCP NIC, and a NIC without a MAC.
CONFIG: Dict[str, Any] = {
    'dns': {'host_name': 'web01', 'domain_name': 'example.com', 'nameservers': ['10.0.0.53', '2001:db8::53', '10.0.0.54'],
            'search_domains': ['example.com']},
    'interfaces': [
        {'name': 'eth0', 'mac_address': '00:50:56:AB:cd:01',
         'ip': {'addresses': ['169.254.0.9/16', '10.0.0.10/24', '2001:db8::10/64'], 'gateway4': '10.0.0.1', 'gateway6': '2001:db8::1'}},
        {'name': 'eth1', 'mac_address': '00:50:56:ab:cd:02', 'ip': {'addresses': ['fe80::10/64', '2001:db8:1::10/64', '2001:db8:1::11/64']}},
        {'name': 'eth2', 'mac_address': '00:50:56:ab:cd:03', 'ip': {'dhcp': {'ip4': {'enabled': True}, 'ip6': {'enabled': True}}}},
        {'name': 'eth3', 'ip': {'addresses': ['fe80::1/64']}},
    ],
}


def config_with(*interfaces: Dict[str, Any], **dns: Any) -> Dict[str, Any]:
    return {'dns': dns, 'interfaces': list(interfaces)}


# --------------------------------------------------------------------------- first_ip / ips_from_nic

@pytest.mark.parametrize('nic, family, expected', [
    (0, None, '10.0.0.10/24'),          # IPv4 first, the usable one before the link-local one
    (0, 4, '10.0.0.10/24'),
    (0, '6', '2001:db8::10/64'),
    (1, None, '2001:db8:1::10/64'),     # no IPv4: the first usable IPv6
    (1, 6, '2001:db8:1::10/64'),
    (3, None, 'fe80::1/64'),            # only link-local: degrade to it (VM Operator does too)
])
def test_first_ip(nic, family, expected):
    assert first_ip(CONFIG, nic, family) == expected


def test_first_ip_defaults_to_nic_zero():
    assert first_ip(CONFIG) == '10.0.0.10/24'


@pytest.mark.parametrize('nic, family, message', [
    (2, None, r'NIC 2 \(eth2\) has no static IP address \(it uses DHCPv4 and DHCPv6, whose lease a template cannot know\)'),
    (1, 4, r'NIC 1 \(eth1\) has no static IPv4 address$'),
    (4, None, r'NIC 4 does not exist: the network config has 4 interface\(s\)'),
    (-1, None, r'the NIC index must be an integer >= 0, got -1'),
    ('0', None, r"the NIC index must be an integer >= 0, got '0'"),
    (0, 5, r'family must be 4 or 6, got 5'),
    (0, True, r'family must be 4 or 6, got True'),
])
def test_first_ip_errors(nic, family, message):
    with pytest.raises(VappTemplateError, match=message):
        first_ip(CONFIG, nic, family)


def test_first_ip_only_dhcp4_note():
    config = config_with({'name': 'eth0', 'ip': {'dhcp': {'ip4': {'enabled': True}}, 'addresses': ['2001:db8::5/64']}})
    with pytest.raises(VappTemplateError, match=r'no static IPv4 address \(it uses DHCPv4, whose'):
        first_ip(config, family=4)
    assert first_ip(config) == '2001:db8::5/64'


@pytest.mark.parametrize('config', [{}, {'interfaces': []}, config_with()])
def test_first_ip_without_interfaces(config):
    with pytest.raises(VappTemplateError, match='NIC 0 does not exist'):
        first_ip(config)


def test_helpers_want_the_config():
    with pytest.raises(VappTemplateError, match='expected the network config'):
        first_ip(['10.0.0.1/24'])


def test_malformed_address_in_config():
    with pytest.raises(VappTemplateError, match=r"interfaces\[0\]\.ip\.addresses: '10\.0\.0\.300/24' is not a CIDR"):
        first_ip(config_with({'name': 'eth0', 'ip': {'addresses': ['10.0.0.300/24']}}))


@pytest.mark.parametrize('nic, expected', [
    (0, ['169.254.0.9/16', '10.0.0.10/24']),
    (1, ['fe80::10/64', '2001:db8:1::10/64', '2001:db8:1::11/64']),   # unfiltered, as in VM Operator
])
def test_ips_from_nic(nic, expected):
    assert ips_from_nic(CONFIG, nic) == expected


def test_ips_from_nic_dhcp_is_an_error():
    with pytest.raises(VappTemplateError, match=r'ips_from_nic: NIC 2 \(eth2\) has no static IP address \(it uses DHCPv4'):
        ips_from_nic(CONFIG, 2)


# --------------------------------------------------------------------------- first_nic_mac

def test_first_nic_mac_dash_form():
    assert first_nic_mac(CONFIG) == '00-50-56-ab-cd-01'
    assert first_nic_mac(config_with({'name': 'eth0', 'mac_address': '00-50-56-AB-CD-EF'})) == '00-50-56-ab-cd-ef'


@pytest.mark.parametrize('iface, message', [
    ({'name': 'eth0'}, r'NIC 0 \(eth0\) has no MAC address yet'),
    ({'name': 'eth0', 'mac_address': '00:50:56:ab:cd'}, "has the MAC address '00:50:56:ab:cd', which is not six hex octets"),
    ({'name': 'eth0', 'mac_address': '00:50-56:ab:cd:ef'}, 'which is not six hex octets'),
])
def test_first_nic_mac_errors(iface, message):
    with pytest.raises(VappTemplateError, match=message):
        first_nic_mac(config_with(iface))


# --------------------------------------------------------------------------- format_ip / subnet_mask / prefix_length

@pytest.mark.parametrize('ip, mask, expected', [
    ('10.0.0.10/24', '', '10.0.0.10'),
    ('10.0.0.10', '', '10.0.0.10'),
    ('10.0.0.10/24', '/16', '10.0.0.10/16'),
    ('10.0.0.10', '255.255.255.0', '10.0.0.10/24'),
    ('10.0.0.10/8', '255.255.255.128', '10.0.0.10/25'),
    ('10.0.0.10', '0.0.0.0', '10.0.0.10/0'),
    ('10.0.0.10', 24, '10.0.0.10/24'),
    ('10.0.0.10', '/32', '10.0.0.10/32'),
    ('2001:db8::10/64', '', '2001:db8::10'),
    ('2001:DB8:0::10', '/64', '2001:db8::10/64'),
    ('2001:db8::10', 'ffff:ffff:ffff:ffff::', '2001:db8::10/64'),
    ('2001:db8::10', '/128', '2001:db8::10/128'),
])
def test_format_ip(ip, mask, expected):
    assert format_ip(ip, mask) == expected


@pytest.mark.parametrize('ip, mask, message', [
    ('10.0.0.300', '', "format_ip: '10.0.0.300' is not an IP address or CIDR"),
    ('', '', "format_ip: '' is not an IP address"),
    (None, '', 'format_ip: None is not an IP address'),
    ('10.0.0.10', '255.0.255.0', 'the netmask 255.0.255.0 is not canonical'),
    ('10.0.0.10', '255.255.255.1', 'not canonical'),
    ('10.0.0.10', '/33', '/33 is not a prefix length of an IPv4 address'),
    ('10.0.0.10', '/x', '/x is not a prefix length'),
    ('10.0.0.10', '/', '/ is not a prefix length'),
    ('10.0.0.10', '24', "the mask '24' is neither a prefix length"),
    ('2001:db8::10', '/129', 'not a prefix length of an IPv6 address'),
    ('2001:db8::10', '255.255.255.0', 'the IPv4 netmask 255.255.255.0 does not fit the IPv6 address'),
    ('10.0.0.10', 'ffff::', 'the IPv6 netmask ffff:: does not fit the IPv4 address'),
    ('10.0.0.10', True, 'the mask must be a string or a prefix length'),
])
def test_format_ip_errors(ip, mask, message):
    with pytest.raises(VappTemplateError, match=message):
        format_ip(ip, mask)


@pytest.mark.parametrize('cidr, expected', [('10.0.0.10/24', '255.255.255.0'), ('10.0.0.10/0', '0.0.0.0'), ('10.0.0.10/30', '255.255.255.252')])
def test_subnet_mask(cidr, expected):
    assert subnet_mask(cidr) == expected


@pytest.mark.parametrize('cidr, message', [
    ('2001:db8::10/64', 'IPv6 CIDR, which has no dotted netmask; use prefix_length'),
    ('10.0.0.10', "'10.0.0.10' is not a CIDR"),
    ('10.0.0.10/33', 'is not a CIDR'),
])
def test_subnet_mask_errors(cidr, message):
    with pytest.raises(VappTemplateError, match=message):
        subnet_mask(cidr)


@pytest.mark.parametrize('cidr, expected', [('10.0.0.10/24', 24), ('2001:db8::10/64', 64), ('::/0', 0), ('10.0.0.1/32', 32)])
def test_prefix_length(cidr, expected):
    assert prefix_length(cidr) == expected


@pytest.mark.parametrize('cidr', ['10.0.0.10', '2001:db8::10', 'fe80::1/129', 42])
def test_prefix_length_errors(cidr):
    with pytest.raises(VappTemplateError, match='prefix_length: .* is not a CIDR'):
        prefix_length(cidr)


# --------------------------------------------------------------------------- format_nameservers

@pytest.mark.parametrize('count, delimiter, expected', [
    (-1, ',', '10.0.0.53,2001:db8::53,10.0.0.54'),
    (3, ',', '10.0.0.53,2001:db8::53,10.0.0.54'),
    (10, ',', '10.0.0.53,2001:db8::53,10.0.0.54'),
    (1, ',', '10.0.0.53'),
    (2, ' ', '10.0.0.53 2001:db8::53'),
    (0, ',', ''),
])
def test_format_nameservers_from_config(count, delimiter, expected):
    assert format_nameservers(CONFIG, count, delimiter) == expected


def test_format_nameservers_from_list_and_defaults():
    assert format_nameservers(['8.8.8.8', '8.8.4.4']) == '8.8.8.8,8.8.4.4'
    assert format_nameservers(('2001:4860:4860::8888',), 1, ';') == '2001:4860:4860::8888'


@pytest.mark.parametrize('source, count, delimiter, message', [
    (config_with(), -1, ',', 'the network config has no nameservers'),
    ([], -1, ',', 'has no nameservers'),
    ({'interfaces': []}, -1, ',', 'has no nameservers'),
    ('10.0.0.53', -1, ',', 'expected the network config or a list of nameservers, got str'),
    (['10.0.0.53', 'dns.example.com'], -1, ',', "'dns.example.com' is not an IP address$"),
    (['10.0.0.0/8'], -1, ',', "'10.0.0.0/8' is not an IP address$"),
    (['10.0.0.53'], '1', ',', "count must be an integer, got '1'"),
    (['10.0.0.53'], 1, None, 'the delimiter must be a string'),
])
def test_format_nameservers_errors(source, count, delimiter, message):
    with pytest.raises(VappTemplateError, match=message):
        format_nameservers(source, count, delimiter)


# --------------------------------------------------------------------------- is_usable_ip

@pytest.mark.parametrize('ip, usable', [
    ('10.0.0.10', True), ('10.0.0.10/24', True), ('2001:db8::10', True), ('2001:db8::10/64', True), ('239.1.1.1', True),
    ('ff05::2', True), ('0.0.0.0', False), ('::', False), ('127.0.0.1', False), ('::1', False), ('169.254.1.1', False),
    ('fe80::1', False), ('fe80::1/64', False), ('::ffff:10.0.0.1', True),
    # link-local multicast and the IPv4-mapped loopback, as VM Operator's IsUsableIP
    ('224.0.0.251', False), ('ff02::1', False), ('ff12::1', False), ('::ffff:127.0.0.1', False),
])
def test_is_usable_ip(ip, usable):
    assert is_usable_ip(ip) is usable


@pytest.mark.parametrize('ip', ['', 'localhost', '10.0.0.256', '10.0.0.1/33', 'None', None])
def test_is_usable_ip_is_false_for_what_is_not_an_ip(ip):
    """As VM Operator's IsUsableIP: a template can test any value in a condition."""
    assert is_usable_ip(ip) is False


@pytest.mark.parametrize('ip, shown', [(['10.0.0.10'], 'list'), (10, 'int'), ({'ip': '10.0.0.10'}, 'dict')])
def test_is_usable_ip_refuses_what_is_not_text(ip, shown):
    with pytest.raises(VappTemplateError, match=r"^is_usable_ip: expects one address \(text\), got %s; for a list use "
                                                r"map\('guestnet.vsphere.is_usable_ip'\)$" % shown):
        is_usable_ip(ip)


# --------------------------------------------------------------------------- vApp properties

def vm_property(key: int, prop_id: str, prop_type: str, value: str = '', user_configurable: bool = True) -> Dict[str, Any]:
    return {'key': key, 'id': prop_id, 'type': prop_type, 'user_configurable': user_configurable, 'value': value}


def render_one(prop_type: str, value: Any, current: str = '') -> List[Dict[str, Any]]:
    return render_vapp_properties([{'key': 'p', 'value': value}], [vm_property(7, 'p', prop_type, current)])


def only_spec(specs: List[Dict[str, Any]]) -> Dict[str, Any]:
    assert len(specs) == 1, specs
    return specs[0]


def rendered_value(prop_type: str, value: Any) -> str:
    return only_spec(render_one(prop_type, value, current='\0'))['info']['value']


def test_property_spec_shape():
    assert render_one('string', 'web01') == [{
        '_type': 'vim.vApp.PropertySpec',
        'info': {'_type': 'vim.vApp.PropertyInfo', 'key': 7, 'value': 'web01'},
        'operation': 'edit',
    }]


@pytest.mark.parametrize('prop_type, value, expected', [
    ('boolean', True, 'True'), ('boolean', False, 'False'), ('boolean', 'true', 'True'), ('boolean', 'FALSE', 'False'),
    ('boolean', '1', 'True'), ('boolean', 't', 'True'), ('boolean', '0', 'False'), ('boolean', ' f ', 'False'),
    ('int', 42, '42'), ('int', '-7', '-7'), ('int', '+007', '7'), ('int', 2147483647, '2147483647'), ('int', '-2147483648', '-2147483648'),
    ('real', 1.5, '1.5'), ('real', 2, '2.0'), ('real', '1e3', '1e3'), ('real', '-.5', '-.5'), ('real', ' 3.25 ', '3.25'),
    ('ip', '10.0.0.10', '10.0.0.10'), ('ip', '10.0.0.10/24', '10.0.0.10/24'), ('ip', '2001:DB8::10', '2001:db8::10'),
    ('ip', '2001:db8::10/64', '2001:db8::10/64'), ('ip:VM Network', '10.0.0.10', '10.0.0.10'),
    ('string', 'hello', 'hello'), ('string', '', ''), ('string', 5, '5'), ('string', True, 'True'), ('password', 'pw', 'pw'),
    ('expression', '${a}', '${a}'),
    ('string(2..)', 'ab', 'ab'), ('string(..3)', 'abc', 'abc'), ('string(1..3)', 'a', 'a'), ('password(8..64)', 'Long-enough', 'Long-enough'),
    ('int(0..255)', '255', '255'), ('int(-10..-1)', -10, '-10'), ('int(0..99999999999)', '99999999999', '99999999999'),
    ('real(-1.5..1.5)', '1.5', '1.5'), ('real(0..1)', 0, '0.0'), ('real(.5..2.)', '0.5', '0.5'),
])
def test_property_types(prop_type, value, expected):
    assert rendered_value(prop_type, value) == expected


@pytest.mark.parametrize('prop_type, value, message', [
    ('boolean', 'yes', "'yes' is not a boolean"),
    ('boolean', 1, '1 is not a boolean'),
    ('int', '2147483648', 'is out of range -2147483648..2147483647'),
    ('int', -2147483649, 'is out of range'),
    ('int', '1.0', 'is not an integer'),
    ('int', '1_000', 'is not an integer'),
    ('int', True, 'True is not an integer'),
    ('real', 'nan', "'nan' is not a real number"),
    ('real', float('inf'), 'is not finite'),
    ('real', '1,5', 'is not a real number'),
    ('ip', '10.0.0.300', 'is not an IP address or CIDR'),
    ('ip', 10, 'is not an IP address'),
    ('ip:VM Network', 'host.example.com', 'is not an IP address or CIDR'),
    ('string', 'x' * 65536, 'has 65536 characters, outside 0..65535'),
    ('string(2..)', 'a', 'has 1 characters, outside 2..65535'),
    ('string(..3)', 'abcd', 'outside 0..3'),
    ('string(2..3)', 'a', 'outside 2..3'),
    ('int(0..255)', '256', 'is out of range 0..255'),
    ('int(0..255)', -1, 'is out of range 0..255'),
    ('real(-1.5..1.5)', '1.6', 'is out of range -1.5..1.5'),
    ('string', None, 'None is not a scalar'),
    ('string', ['a'], 'is not a scalar'),
])
def test_property_type_errors(prop_type, value, message):
    with pytest.raises(VappTemplateError, match=r"^vapp property 'p' \(type %s\): .*%s" % (re.escape(prop_type), message)):
        render_one(prop_type, value)


@pytest.mark.parametrize('prop_type, message', [
    ('int(5..1)', 'whose minimum exceeds its maximum'),
    ('string(9..1)', 'whose minimum exceeds its maximum'),
    ('real(1..-1)', 'whose minimum exceeds its maximum'),
    ('int(1..)', 'malformed OVF type'),
    ('string(a..b)', 'malformed OVF type'),
    ('real(nan..1)', 'malformed OVF type'),
    ('uint8', "OVF type 'uint8', which is not supported"),
    ('float(0..1)', "OVF type 'float\\(0..1\\)', which is not supported"),
])
def test_malformed_or_unknown_types(prop_type, message):
    with pytest.raises(VappTemplateError, match=message):
        render_one(prop_type, '1')


@pytest.mark.parametrize('prop_type, too_long', [('password', 'S3cret' * 11000), ('password(8..12)', 'S3cret-S3cret')])
def test_password_values_stay_out_of_errors_and_are_redactable(prop_type, too_long):
    with pytest.raises(VappTemplateError, match=r'\(type %s\): the value has %d characters' % (re.escape(prop_type), len(too_long))) as error:
        render_one(prop_type, too_long)
    assert 'S3cret' not in str(error.value)
    spec = only_spec(render_one(prop_type, 'Pa55-word'))
    assert spec['info']['_secret'] is True
    config_spec = vapp_config_spec([spec])
    assert secrets(config_spec) == ['Pa55-word']
    assert redact(config_spec)['property'][0]['info']['value'] == REDACTED
    assert 'Pa55' not in json.dumps(redact(config_spec))


def test_only_changed_values_are_edited():
    vm = [vm_property(1, 'hostname', 'string', 'web01'), vm_property(2, 'enabled', 'boolean', 'true'),
          vm_property(3, 'port', 'int', '0080'), vm_property(4, 'ratio', 'real', '0.50'), vm_property(5, 'ip', 'ip', '2001:DB8::1'),
          vm_property(6, 'dns', 'string', '10.0.0.53'), vm_property(7, 'broken', 'int', 'not-a-number')]
    requested = [{'key': 'hostname', 'value': 'web01'}, {'key': 'enabled', 'value': True}, {'key': 'port', 'value': 80},
                 {'key': 'ratio', 'value': 0.5}, {'key': 'ip', 'value': '2001:db8::1'}, {'key': 'dns', 'value': '10.0.0.54'},
                 {'key': 'broken', 'value': '1'}]
    specs = render_vapp_properties(requested, vm)
    assert [(spec['info']['key'], spec['info']['value']) for spec in specs] == [(6, '10.0.0.54'), (7, '1')]


def test_unset_vm_value_counts_as_empty():
    vm = [{'key': 1, 'id': 'note', 'type': 'string', 'user_configurable': True}]
    assert not render_vapp_properties([{'key': 'note', 'value': ''}], vm)
    assert len(render_vapp_properties([{'key': 'note', 'value': 'x'}], vm)) == 1


def test_properties_without_id_are_addressed_by_key_and_type_defaults_to_string():
    vm = [{'key': 12, 'type': '', 'user_configurable': True, 'value': ''}]
    assert render_vapp_properties([{'key': '12', 'value': 'x'}], vm)[0]['info'] == {'_type': 'vim.vApp.PropertyInfo', 'key': 12, 'value': 'x'}


def test_unknown_property_lists_the_configurable_ones():
    vm = [vm_property(1, 'guestinfo.hostname', 'string'), vm_property(2, 'guestinfo.ip', 'ip'),
          vm_property(3, 'vendor.build', 'string', user_configurable=False)]
    with pytest.raises(VappTemplateError, match=r"vapp property 'guestinfo.hostnme' does not exist on the VM; its user-configurable "
                                                r"properties are: guestinfo.hostname, guestinfo.ip$"):
        render_vapp_properties([{'key': 'guestinfo.hostnme', 'value': 'x'}], vm)
    with pytest.raises(VappTemplateError, match=r'properties are: \(none\)$'):
        render_vapp_properties([{'key': 'x', 'value': 'x'}], [])


def test_non_configurable_property_is_an_error():
    with pytest.raises(VappTemplateError, match="vapp property 'vendor.build' is not user-configurable on the VM"):
        render_vapp_properties([{'key': 'vendor.build', 'value': '2'}], [vm_property(3, 'vendor.build', 'string', user_configurable=False)])


@pytest.mark.parametrize('requested, message', [
    ([{'key': 'p'}], r'vapp properties\[0\]: expected \{key: <property id>, value: ...\}'),
    ([{'value': 'x'}], r'vapp properties\[0\]: expected'),
    ([{'key': 7, 'value': 'x'}], r'vapp properties\[0\]: expected'),
    (['p=x'], r'vapp properties\[0\]: expected'),
    ([{'key': 'p', 'value': 'a'}, {'key': 'p', 'value': 'b'}], "vapp property 'p' is given twice"),
])
def test_malformed_requests(requested, message):
    with pytest.raises(VappTemplateError, match=message):
        render_vapp_properties(requested, [vm_property(7, 'p', 'string')])


def test_vapp_config_spec():
    specs = render_one('string', 'x')
    assert vapp_config_spec(specs) == {'_type': 'vim.vApp.VmConfigSpec', 'ovfEnvironmentTransport': ['com.vmware.guestInfo'],
                                       'property': specs}
    assert vapp_config_spec([]) is None


# --------------------------------------------------------------------------- spec-driven: _spec -> _resolver -> intended config

def test_spec_driven_helpers_over_the_intended_config():
    spec = parse_network_spec({'hostName': 'web01', 'nameservers': ['10.0.0.53', '10.0.0.54'],
                               'interfaces': [{'name': 'eth0', 'addresses': ['fe80::5/64', '2001:db8::10/64', '10.0.0.10/24'],
                                               'gateway4': '10.0.0.1'},
                                              {'name': 'eth1', 'addresses': ['2001:db8:1::10/64']},
                                              {'name': 'eth2', 'dhcp4': True}]})
    config = intended_config(resolve(spec, vm_name='web01', provider=VAPP_CONFIG,
                                     macs={'eth0': '00:50:56:AB:CD:EF', 'eth1': '00:50:56:00:00:02', 'eth2': '00:50:56:00:00:03'}))
    assert first_ip(config) == '10.0.0.10/24'
    assert format_ip(first_ip(config), '') == '10.0.0.10'
    assert subnet_mask(first_ip(config)) == '255.255.255.0'
    assert first_ip(config, 0, 6) == '2001:db8::10/64'
    assert prefix_length(first_ip(config, 1)) == 64
    assert ips_from_nic(config, 1) == ['2001:db8:1::10/64']
    assert first_nic_mac(config) == '00-50-56-ab-cd-ef'
    assert format_nameservers(config, 1) == '10.0.0.53'
    with pytest.raises(VappTemplateError, match=r'NIC 2 \(eth2\) has no static IP address \(it uses DHCPv4'):
        first_ip(config, 2)
