# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the vApp template helper filters (plugins/filter/vapp.py) over network_config's output."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.guestnet.vsphere.plugins.filter.network import FilterModule as NetworkFilters
from ansible_collections.guestnet.vsphere.plugins.filter.vapp import FilterModule
from ansible_collections.guestnet.vsphere.plugins.module_utils._render import _vapp

FILTERS = FilterModule().filters()
SPEC = {
    'host_name': 'web01',
    'nameservers': ['10.0.0.53', '10.0.0.54', '10.0.0.55'],
    'interfaces': [
        {'name': 'eth0', 'addresses': ['127.0.0.2/8', '10.0.0.10/24', '2001:db8::10/64'], 'gateway4': '10.0.0.1'},
        {'name': 'eth1', 'addresses': ['2001:db8:1::10/64']},
        {'name': 'eth2', 'dhcp4': True, 'dhcp6': True},
    ],
}
CONFIG = NetworkFilters().filters()['network_config'](SPEC, macs={'eth0': '00:50:56:00:00:01'})


def error_of(name, *args, **kwargs) -> str:
    with pytest.raises(AnsibleFilterError) as info:
        FILTERS[name](*args, **kwargs)
    return str(info.value)


def test_exposes_the_eight_helpers():
    assert sorted(FILTERS) == sorted(['first_ip', 'ips_from_nic', 'first_nic_mac', 'format_ip', 'subnet_mask', 'prefix_length',
                                      'format_nameservers', 'is_usable_ip'])


@pytest.mark.parametrize('name, args, kwargs, expected', [
    ('first_ip', (CONFIG,), {}, '10.0.0.10/24'),
    ('first_ip', (CONFIG,), {'family': 6}, '2001:db8::10/64'),
    ('first_ip', (CONFIG, 1), {}, '2001:db8:1::10/64'),
    ('ips_from_nic', (CONFIG,), {}, ['127.0.0.2/8', '10.0.0.10/24']),
    ('ips_from_nic', (CONFIG,), {'nic': 1}, ['2001:db8:1::10/64']),
    ('first_nic_mac', (CONFIG,), {}, '00-50-56-00-00-01'),
    ('format_ip', ('10.0.0.10/24',), {}, '10.0.0.10'),
    ('format_ip', ('10.0.0.10',), {'mask': '255.255.0.0'}, '10.0.0.10/16'),
    ('format_ip', ('2001:db8::10',), {'mask': 64}, '2001:db8::10/64'),
    ('subnet_mask', ('10.0.0.10/22',), {}, '255.255.252.0'),
    ('prefix_length', ('2001:db8::10/64',), {}, 64),
    ('format_nameservers', (CONFIG,), {}, '10.0.0.53,10.0.0.54,10.0.0.55'),
    ('format_nameservers', (CONFIG,), {'count': 2, 'delimiter': ' '}, '10.0.0.53 10.0.0.54'),
    ('format_nameservers', (['1.1.1.1'],), {}, '1.1.1.1'),
    ('is_usable_ip', ('10.0.0.10',), {}, True),
    ('is_usable_ip', ('fe80::1/64',), {}, False),
    ('is_usable_ip', ('::ffff:127.0.0.1',), {}, False),
    ('is_usable_ip', ('not an ip',), {}, False),
    ('is_usable_ip', (None,), {}, False),
])
def test_helpers_give_the_cores_answer(name, args, kwargs, expected):
    assert FILTERS[name](*args, **kwargs) == expected == getattr(_vapp, name)(*args, **kwargs)
    assert expected.__class__ is FILTERS[name](*args, **kwargs).__class__


@pytest.mark.parametrize('name, args, kwargs, expected', [
    ('first_ip', (CONFIG, 2), {}, 'NIC 2 (eth2) has no static IP address (it uses DHCPv4 and DHCPv6, whose lease a template cannot know)'),
    ('first_ip', (CONFIG, 1), {'family': 4}, 'NIC 1 (eth1) has no static IPv4 address'),
    ('first_ip', (CONFIG,), {'family': 5}, 'family must be 4 or 6, got 5'),
    ('first_ip', (CONFIG, 3), {}, 'NIC 3 does not exist: the network config has 3 interface(s)'),
    ('first_ip', (CONFIG, -1), {}, 'the NIC index must be an integer >= 0, got -1'),
    ('first_ip', (CONFIG, '1'), {}, "the NIC index must be an integer >= 0, got '1'"),
    ('ips_from_nic', (CONFIG, 2), {}, 'NIC 2 (eth2) has no static IP address (it uses DHCPv4 and DHCPv6, whose lease a template cannot know)'),
    ('first_nic_mac', ({'interfaces': [{'name': 'eth0'}]},), {}, 'NIC 0 (eth0) has no MAC address yet (read it from the VM first)'),
    ('format_ip', ('10.0.0.10',), {'mask': '255.0.255.0'}, 'the netmask 255.0.255.0 is not canonical (its one bits must come first)'),
    ('format_ip', ('10.0.0.10',), {'mask': '24'}, "the mask '24' is neither a prefix length (/N) nor a netmask"),
    ('subnet_mask', ('2001:db8::10/64',), {}, '2001:db8::10/64 is an IPv6 CIDR, which has no dotted netmask; use prefix_length'),
    ('prefix_length', ('10.0.0.10',), {}, "'10.0.0.10' is not a CIDR (address/prefix)"),
    ('format_nameservers', ({'dns': {}},), {}, 'the network config has no nameservers'),
    ('format_nameservers', ('10.0.0.53',), {}, 'expected the network config or a list of nameservers, got str'),
    ('is_usable_ip', (['10.0.0.10'],), {}, "expects one address (text), got list; for a list use map('guestnet.vsphere.is_usable_ip')"),
])
def test_helpers_fail_loudly_without_repeating_their_name(name, args, kwargs, expected):
    assert error_of(name, *args, **kwargs) == expected


def test_helpers_show_their_usage():
    assert error_of('first_ip', CONFIG, nics=1) == "got an unexpected keyword argument 'nics'; usage: config | guestnet.vsphere.first_ip(nic, family)"
    assert error_of('first_nic_mac') == "missing a required argument: 'config'; usage: config | guestnet.vsphere.first_nic_mac()"


@pytest.mark.parametrize('name', ['first_ip', 'ips_from_nic', 'first_nic_mac', 'format_nameservers'])
def test_a_spec_is_not_a_config(name):
    assert error_of(name, SPEC) == ('expected the intended network config, but the input has host_name, nameservers, which it never has: '
                                    'it looks like a network spec; apply guestnet.vsphere.network_config to it first')
    assert error_of(name, {'interfaces': SPEC['interfaces']}).startswith(
        'expected the intended network config, but the input has interfaces[0].addresses, interfaces[0].gateway4, which it never has')


def test_a_config_without_interfaces_is_still_a_config():
    assert error_of('first_ip', {'dns': {'host_name': 'web01'}}) == 'NIC 0 does not exist: the network config has 0 interface(s)'
