# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of _resolver: precedence, defaults, MACs, adapter types, intended config, primary IPs."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    NetworkRef,
    ResolvedInterface,
    ResolvedNetwork,
    Route,
    SpecError,
    SubnetDefaults,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config, primary_ips, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec


def resolve_data(data, **kwargs) -> ResolvedNetwork:
    kwargs.setdefault('vm_name', 'vm01')
    return resolve(parse_network_spec(data), **kwargs)


def only_interface(data, **kwargs) -> ResolvedInterface:
    net = resolve_data(data, **kwargs)
    assert len(net.interfaces) == 1
    return net.interfaces[0]


def error_of(data, **kwargs) -> str:
    with pytest.raises(SpecError) as info:
        resolve_data(data, **kwargs)
    return str(info.value)


def one_interface(**fields):
    return {'interfaces': [dict({'name': 'eth0'}, **fields)]}


PROD_WEB = SubnetDefaults(subnet='prod-web', addresses=('10.0.0.10/24',), gateway4='10.0.0.1', nameservers=('10.0.0.53',),
                          search_domains=('prod.example.com',), mtu=9000)


# ---------------------------------------------------------------------------
# VM Operator test vectors V1-V4 (research/vmoperator_rendering.md §1)
# ---------------------------------------------------------------------------

def test_vector_v1_static_ipv4_global_dns_mtu_route():
    data = {
        'hostName': 'web01', 'domainName': 'example.com', 'nameservers': ['10.0.0.53', '10.0.0.54'], 'searchDomains': ['example.com'],
        'interfaces': [{'name': 'eth0', 'guestDeviceName': 'ens192', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1', 'mtu': 9000,
                        'routes': [{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 100}]}],
    }
    net = resolve_data(data, macs={'eth0': '00-50-56-AB-CD-EF'}, provider='cloud_init')
    assert net == ResolvedNetwork(
        vm_name='vm01', host_name='web01', domain_name='example.com', nameservers=('10.0.0.53', '10.0.0.54'),
        search_domains=('example.com',), disabled=False, provider='cloud_init',
        interfaces=(ResolvedInterface(
            name='eth0', guest_device_name='ens192', network=None, adapter_type='vmxnet3', mac_address='00:50:56:ab:cd:ef',
            dhcp4=False, dhcp6=False, accept_ra=False, addresses4=('10.0.0.10/24',), addresses6=(), gateway4='10.0.0.1', gateway6=None,
            routes=(Route('172.16.0.0/12', '10.0.0.254', 100),), nameservers=('10.0.0.53', '10.0.0.54'), search_domains=('example.com',),
            mtu=9000),),
    )
    assert net.fqdn == 'web01.example.com'


def test_vector_v2_dhcp_both_families_no_dns():
    iface = only_interface({'interfaces': [{'name': 'eth0', 'dhcp4': True, 'dhcp6': True}]}, macs={'eth0': '00:50:56:00:00:02'})
    assert iface == ResolvedInterface(
        name='eth0', guest_device_name='eth0', network=None, adapter_type='vmxnet3', mac_address='00:50:56:00:00:02',
        dhcp4=True, dhcp6=True, accept_ra=True, addresses4=(), addresses6=(), gateway4=None, gateway6=None, routes=(),
        nameservers=(), search_domains=(), mtu=None)


def test_vector_v3_dual_stack_per_interface_dns_replaces_global():
    data = {'nameservers': ['8.8.8.8'],
            'interfaces': [{'name': 'eth0', 'addresses': ['2001:db8::10/64', '192.168.1.10/24', '192.168.1.11/24'],
                            'gateway4': '192.168.1.1', 'gateway6': '2001:db8::1', 'nameservers': ['192.168.1.53']}]}
    net = resolve_data(data)
    iface = net.interfaces[0]
    assert (iface.dhcp4, iface.dhcp6, iface.accept_ra) == (False, False, False)
    assert iface.addresses == ('192.168.1.10/24', '192.168.1.11/24', '2001:db8::10/64')
    assert (iface.gateway4, iface.gateway6) == ('192.168.1.1', '2001:db8::1')
    assert iface.nameservers == ('192.168.1.53',)      # global 8.8.8.8 not merged in
    assert iface.search_domains == ()
    assert net.nameservers == ('8.8.8.8',)


def test_vector_v4_dhcp4_with_static_ipv6_and_suppressed_gateway():
    data = {'interfaces': [
        {'name': 'eth0', 'dhcp4': True, 'addresses': ['2001:db8::10/64'], 'gateway6': '2001:db8::1'},
        {'name': 'eth1', 'addresses': ['10.9.0.5/24'], 'gateway4': 'None', 'routes': [{'to': '10.0.0.0/8', 'via': '10.9.0.1'}]},
    ]}
    eth0, eth1 = resolve_data(data).interfaces
    assert (eth0.dhcp4, eth0.dhcp6, eth0.accept_ra, eth0.addresses, eth0.gateway4, eth0.gateway6) == \
        (True, False, False, ('2001:db8::10/64',), None, '2001:db8::1')
    assert (eth1.dhcp4, eth1.dhcp6, eth1.addresses, eth1.gateway4, eth1.routes) == \
        (False, False, ('10.9.0.5/24',), None, (Route('10.0.0.0/8', '10.9.0.1'),))


# ---------------------------------------------------------------------------
# Defaults: interface list, host name, device name, network, DHCP
# ---------------------------------------------------------------------------

def test_no_interfaces_gives_one_default_dhcp_interface():
    net = resolve_data({}, default_network=NetworkRef('VM Network'), macs={'eth0': '00:50:56:AA:00:01'}, adapter_types=['VirtualE1000'])
    assert net.interfaces == (ResolvedInterface(
        name='eth0', guest_device_name='eth0', network=NetworkRef('VM Network'), adapter_type='e1000', mac_address='00:50:56:aa:00:01',
        dhcp4=True, dhcp6=False, accept_ra=False, addresses4=(), addresses6=(), gateway4=None, gateway6=None, routes=(),
        nameservers=(), search_domains=(), mtu=None),)


def test_default_interface_takes_its_subnet_defaults():
    iface = only_interface({}, subnets={'eth0': PROD_WEB})
    assert (iface.addresses, iface.gateway4, iface.dhcp4, iface.subnet) == (('10.0.0.10/24',), '10.0.0.1', False, 'prod-web')


def test_disabled_has_no_interfaces():
    net = resolve_data({'disabled': True}, default_network=NetworkRef('VM Network'))
    assert net.interfaces == () and net.disabled is True
    assert intended_config(net) == {'dns': {'host_name': 'vm01'}}


def test_host_name_defaults_to_vm_name():
    assert resolve_data({}, vm_name='db02').host_name == 'db02'
    assert resolve_data({'host_name': 'web01'}, vm_name='db02').host_name == 'web01'


@pytest.mark.parametrize('vm_name', ['DC0_H0_VM0', 'web.example', 'a' * 64])
def test_a_vm_name_that_cannot_be_a_host_name_is_not_judged_without_a_provider(vm_name):
    """vm_network renders nothing for the guest: a vCenter VM name with underscores is fine; no host name is intended."""
    net = resolve_data({}, vm_name=vm_name)
    assert net.host_name == '' and net.vm_name == vm_name
    assert 'dns' not in intended_config(net)
    assert intended_config(resolve_data({'domain_name': 'example.com'}, vm_name=vm_name))['dns'] == {'domain_name': 'example.com'}


def test_an_ip_vm_name_with_a_domain_is_no_host_name():
    assert resolve_data({'domain_name': 'example.com'}, vm_name='10.0.0.10').host_name == ''
    assert resolve_data({}, vm_name='10.0.0.10').host_name == '10.0.0.10'


@pytest.mark.parametrize('provider', ['cloud_init', 'linux_prep', 'sysprep', 'vapp_config'])
def test_a_provider_refuses_a_vm_name_that_cannot_be_a_host_name(provider):
    message = error_of({}, vm_name='DC0_H0_VM0', provider=provider, macs={'eth0': '00:50:56:00:00:01'})
    assert message.startswith('network.host_name: DC0_H0_VM0 is not a valid host name: ')
    assert message.endswith('it is the VM name, used because host_name is not set, and %s writes it into the guest: '
                            'set network.host_name to a valid name' % provider)
    assert resolve_data({'host_name': 'dc0-h0-vm0'}, vm_name='DC0_H0_VM0', provider=provider).host_name == 'dc0-h0-vm0'


def test_an_explicit_host_name_is_judged_without_a_provider():
    assert error_of({'host_name': 'web_01'}).startswith('network.host_name: web_01 is not a valid host name: ')


def test_guest_device_name_defaults_to_name():
    assert only_interface(one_interface()).guest_device_name == 'eth0'
    assert only_interface(one_interface(guest_device_name='ens192')).guest_device_name == 'ens192'


def test_default_network_fills_interfaces_without_one():
    net = resolve_data({'interfaces': [{'name': 'eth0'}, {'name': 'eth1', 'network': 'DC0_DVPG1'}]}, default_network=NetworkRef('VM Network'))
    assert [iface.network for iface in net.interfaces] == [NetworkRef('VM Network'), NetworkRef('DC0_DVPG1')]


@pytest.mark.parametrize('fields, dhcp4, dhcp6', [
    ({}, True, False),                                              # nothing configured: DHCPv4
    ({'addresses': ['10.0.0.10/24']}, False, False),
    ({'addresses': ['2001:db8::10/64']}, False, False),             # IPv6 only: no DHCPv4
    ({'dhcp6': True}, False, True),
    ({'dhcp4': False}, False, False),                               # explicit: L2 only
    ({'dhcp4': True, 'dhcp6': True}, True, True),
])
def test_dhcp_defaults(fields, dhcp4, dhcp6):
    iface = only_interface(one_interface(**fields))
    assert (iface.dhcp4, iface.dhcp6, iface.accept_ra) == (dhcp4, dhcp6, dhcp6)


# ---------------------------------------------------------------------------
# Precedence: interface > global > subnet > bootstrap defaults
# ---------------------------------------------------------------------------

def test_nameservers_interface_beats_global_and_subnet():
    iface = only_interface(dict(one_interface(nameservers=['10.1.1.53']), nameservers=['10.9.9.53']), subnets={'eth0': PROD_WEB})
    assert iface.nameservers == ('10.1.1.53',)


def test_nameservers_global_beats_subnet():
    iface = only_interface(dict(one_interface(), nameservers=['10.9.9.53']), subnets={'eth0': PROD_WEB})
    assert iface.nameservers == ('10.9.9.53',)


def test_nameservers_subnet_when_global_is_not_a_default():
    iface = only_interface(one_interface(), subnets={'eth0': PROD_WEB}, use_global_nameservers_as_default=False)
    assert iface.nameservers == ('10.0.0.53',)
    assert only_interface(one_interface(), use_global_nameservers_as_default=False).nameservers == ()


def test_global_dns_that_reaches_no_interface_is_an_error():
    """cloud-init with use_global_*_as_default: false has no place for global DNS (VM Operator's webhook refuses it)."""
    data = dict(one_interface(nameservers=['10.1.1.53']), nameservers=['10.9.9.53'], search_domains=['example.com'])
    with pytest.raises(SpecError) as info:
        resolve_data(data, subnets={'eth0': PROD_WEB}, use_global_nameservers_as_default=False, use_global_search_domains_as_default=False)
    assert [error.path for error in info.value.errors] == ['network.nameservers', 'network.search_domains']
    assert str(info.value).startswith("2 errors: (1) network.nameservers: ['10.9.9.53'] would reach no interface: "
                                      'use_global_nameservers_as_default is false')


def test_search_domains_follow_the_same_precedence():
    data = dict(one_interface(), search_domains=['example.com'])
    assert only_interface(data, subnets={'eth0': PROD_WEB}).search_domains == ('example.com',)
    assert only_interface(one_interface(), subnets={'eth0': PROD_WEB}, use_global_search_domains_as_default=False).search_domains == \
        ('prod.example.com',)
    assert only_interface(dict(one_interface(search_domains=['a.example.com']), search_domains=['example.com'])).search_domains == \
        ('a.example.com',)


def test_dns_lists_are_deduplicated_in_order():
    net = resolve_data({'nameservers': ['10.0.0.53', '10.0.0.54', '10.0.0.53'], 'search_domains': ['b.com', 'a.com', 'b.com'],
                        'interfaces': [{'name': 'eth0', 'nameservers': ['10.1.0.53', '10.1.0.53']}, {'name': 'eth1'}]})
    assert net.nameservers == ('10.0.0.53', '10.0.0.54')
    assert net.search_domains == ('b.com', 'a.com')
    assert net.interfaces[0].nameservers == ('10.1.0.53',)
    assert net.interfaces[1].nameservers == ('10.0.0.53', '10.0.0.54')


def test_global_dns_falls_back_to_subnets():
    # Like VM Operator's ConfigMap fallback: GOSC and vApp only see global DNS.
    other = SubnetDefaults(subnet='backup', addresses=('10.0.9.5/24',), nameservers=('10.0.9.53', '10.0.0.53'))
    net = resolve_data({'interfaces': [{'name': 'eth0'}, {'name': 'eth1'}]}, subnets={'eth0': PROD_WEB, 'eth1': other})
    assert net.nameservers == ('10.0.0.53', '10.0.9.53')
    assert net.search_domains == ('prod.example.com',)


def test_subnet_supplies_addresses_gateway_and_mtu():
    iface = only_interface(one_interface(subnet='prod-web'), subnets={'eth0': PROD_WEB})
    assert (iface.addresses, iface.gateway4, iface.mtu, iface.dhcp4, iface.subnet) == (('10.0.0.10/24',), '10.0.0.1', 9000, False, 'prod-web')


def test_static_addresses_win_over_subnet_addresses():
    iface = only_interface(one_interface(addresses=['10.0.0.20/24']), subnets={'eth0': PROD_WEB})
    assert iface.addresses == ('10.0.0.20/24',)
    assert iface.gateway4 == '10.0.0.1'          # the subnet's gateway still applies to a static address in it


def test_addresses_merge_per_family():
    subnet = SubnetDefaults(subnet='dual', addresses=('10.0.0.10/24', '2001:db8::99/64'), gateway4='10.0.0.1', gateway6='2001:db8::1')
    iface = only_interface(one_interface(addresses=['2001:db8::10/64']), subnets={'eth0': subnet})
    assert iface.addresses == ('10.0.0.10/24', '2001:db8::10/64')
    assert (iface.gateway4, iface.gateway6) == ('10.0.0.1', '2001:db8::1')


def test_spec_gateway_beats_subnet_gateway():
    iface = only_interface(one_interface(subnet='prod-web', gateway4='10.0.0.254'), subnets={'eth0': PROD_WEB})
    assert iface.gateway4 == '10.0.0.254'


def test_no_gateway_suppresses_the_subnet_gateway():
    iface = only_interface(one_interface(gateway4='None'), subnets={'eth0': PROD_WEB})
    assert iface.gateway4 is None and iface.addresses == ('10.0.0.10/24',)


def test_subnet_gateway_needs_addresses_of_its_family():
    subnet = SubnetDefaults(subnet='v6only', addresses=('2001:db8::10/64',), gateway4='10.0.0.1', gateway6='2001:db8::1')
    iface = only_interface(one_interface(), subnets={'eth0': subnet})
    assert (iface.gateway4, iface.gateway6, iface.dhcp4) == (None, '2001:db8::1', False)


def test_subnet_gateway_not_applied_with_dhcp():
    iface = only_interface(one_interface(dhcp4=True), subnets={'eth0': PROD_WEB})
    assert (iface.dhcp4, iface.addresses, iface.gateway4) == (True, (), None)


def test_subnet_dhcp_applies_when_the_spec_is_silent():
    subnet = SubnetDefaults(subnet='dhcp-net', dhcp4=True, dhcp6=True)
    iface = only_interface(one_interface(), subnets={'eth0': subnet})
    assert (iface.dhcp4, iface.dhcp6, iface.accept_ra) == (True, True, True)


def test_static_addresses_win_over_subnet_dhcp():
    # VM Operator silently drops them; we keep them.
    subnet = SubnetDefaults(subnet='dhcp-net', dhcp4=True)
    iface = only_interface(one_interface(addresses=['10.0.0.10/24']), subnets={'eth0': subnet})
    assert (iface.dhcp4, iface.addresses) == (False, ('10.0.0.10/24',))


def test_explicit_dhcp_false_overrides_subnet_dhcp():
    subnet = SubnetDefaults(subnet='mixed', dhcp4=True, addresses=('10.0.0.10/24',), gateway4='10.0.0.1')
    iface = only_interface(one_interface(dhcp4=False), subnets={'eth0': subnet})
    assert (iface.dhcp4, iface.addresses, iface.gateway4) == (False, ('10.0.0.10/24',), '10.0.0.1')


def test_subnet_dhcp_false_beats_the_bootstrap_default():
    iface = only_interface(one_interface(), subnets={'eth0': SubnetDefaults(subnet='noipam', dhcp4=False)})
    assert (iface.dhcp4, iface.addresses) == (False, ())


def test_mtu_zero_is_unset_so_the_subnet_mtu_applies():
    assert only_interface(one_interface(subnet='prod-web', mtu=0), subnets={'eth0': PROD_WEB}).mtu == 9000
    assert only_interface(one_interface(mtu=0)).mtu is None
    subnet_zero = SubnetDefaults(subnet='prod-web', addresses=('10.0.0.10/24',), mtu=0)
    assert only_interface(one_interface(subnet='prod-web'), subnets={'eth0': subnet_zero}).mtu is None


def test_spec_mtu_beats_subnet_mtu():
    assert only_interface(one_interface(mtu=1500), subnets={'eth0': PROD_WEB}).mtu == 1500


def test_subnet_values_are_canonicalized():
    subnet = SubnetDefaults(subnet='v6', addresses=('2001:DB8::10/64',), gateway6='2001:DB8::1', nameservers=('2001:DB8::53',))
    iface = only_interface(one_interface(), subnets={'eth0': subnet})
    assert (iface.addresses6, iface.gateway6, iface.nameservers) == (('2001:db8::10/64',), '2001:db8::1', ('2001:db8::53',))


# ---------------------------------------------------------------------------
# Validation inside the resolver
# ---------------------------------------------------------------------------

def test_resolver_validates_the_spec():
    assert error_of(one_interface(addresses=['10.0.0.10'])).startswith('network.interfaces[0].addresses[0]: 10.0.0.10 has no prefix length')


def test_resolver_applies_provider_gating():
    assert error_of(one_interface(mtu=9000), provider='linux_prep') == \
        'network.interfaces[0].mtu: 9000 is not supported by linux_prep; supported by: cloud_init'


def test_subnet_mtu_is_not_gated():
    # The user did not write it; the GOSC renderer leaves it out.
    assert only_interface(one_interface(), subnets={'eth0': PROD_WEB}, provider='linux_prep').mtu == 9000


def test_subnet_gateway_outside_the_static_address_is_an_error():
    message = error_of(one_interface(addresses=['192.168.5.10/24']), subnets={'eth0': PROD_WEB})
    assert message == ('network.interfaces[0].gateway4: 10.0.0.1 is not inside any IPv4 address of this interface (192.168.5.10/24) '
                       '(after applying the ledger defaults: eth0 from subnet prod-web)')


def test_spec_gateway_outside_the_allocated_address_is_an_error():
    message = error_of(one_interface(subnet='prod-web', gateway4='10.1.0.1'), subnets={'eth0': PROD_WEB})
    assert message.startswith('network.interfaces[0].gateway4: 10.1.0.1 is not inside any IPv4 address of this interface (10.0.0.10/24)')


def test_two_subnet_gateways_are_two_default_routes():
    other = SubnetDefaults(subnet='backup', addresses=('10.0.9.5/24',), gateway4='10.0.9.1')
    data = {'interfaces': [{'name': 'eth0', 'subnet': 'prod-web'}, {'name': 'eth1', 'subnet': 'backup'}]}
    macs = {'eth0': '00:50:56:00:00:01', 'eth1': '00:50:56:00:00:02'}
    message = error_of(data, subnets={'eth0': PROD_WEB, 'eth1': other}, provider='cloud_init', macs=macs)
    assert message.startswith('network.interfaces[1].gateway4: 10.0.9.1 is a second IPv4 default route with the default metric: '
                              'interface eth0 already has one')
    assert message.endswith('(after applying the ledger defaults: eth0 from subnet prod-web, eth1 from subnet backup)')
    # The documented remedies work.
    data['interfaces'][1]['gateway4'] = 'None'
    assert resolve_data(data, subnets={'eth0': PROD_WEB, 'eth1': other}, provider='cloud_init').interfaces[1].gateway4 is None
    data['interfaces'][1].update(gateway4='None', routes=[{'to': 'default', 'via': '10.0.9.1', 'metric': 200}])
    assert resolve_data(data, subnets={'eth0': PROD_WEB, 'eth1': other}, provider='cloud_init').interfaces[1].routes


@pytest.mark.parametrize('provider', [None, 'linux_prep', 'sysprep', 'vapp_config'])
def test_two_subnet_gateways_are_fine_where_the_guest_handles_them(provider):
    other = SubnetDefaults(subnet='backup', addresses=('10.0.9.5/24',), gateway4='10.0.9.1')
    data = {'interfaces': [{'name': 'eth0', 'subnet': 'prod-web'}, {'name': 'eth1', 'subnet': 'backup'}]}
    net = resolve_data(data, subnets={'eth0': PROD_WEB, 'eth1': other}, provider=provider)
    assert [iface.gateway4 for iface in net.interfaces] == ['10.0.0.1', '10.0.9.1']


def test_gosc_limit_applies_to_allocated_addresses():
    subnet = SubnetDefaults(subnet='prod-web', addresses=('10.0.0.10/24', '10.0.0.11/24'))
    assert 'is a second IPv4 address; linux_prep' in error_of(one_interface(), subnets={'eth0': subnet}, provider='linux_prep')


def test_subnet_without_allocation_is_an_error():
    assert error_of(one_interface(subnet='prod-web')) == (
        'network.interfaces[0].subnet: prod-web has no allocation for this interface yet; allocate its addresses from the subnet '
        'ledger first, or give addresses')
    # Static addresses or an explicit DHCP need no allocation.
    assert only_interface(one_interface(subnet='prod-web', addresses=['10.0.0.10/24'])).subnet == 'prod-web'
    assert only_interface(one_interface(subnet='prod-web', dhcp4=True)).dhcp4 is True


def test_subnet_name_must_match_the_ledger():
    assert error_of(one_interface(subnet='prod-db'), subnets={'eth0': PROD_WEB}) == \
        'network.interfaces[0].subnet: prod-db differs from subnet prod-web, whose defaults the ledger supplied for this interface'


def test_malformed_ledger_address():
    subnet = SubnetDefaults(subnet='broken', addresses=('10.0.0.10',))
    assert error_of(one_interface(), subnets={'eth0': subnet}) == \
        'subnets[eth0].addresses[0]: 10.0.0.10 is not an IP address with a prefix length (CIDR)'


# ---------------------------------------------------------------------------
# MACs and adapter types
# ---------------------------------------------------------------------------

def test_mac_from_spec():
    assert only_interface(one_interface(mac_address='00:50:56:00:00:0A')).mac_address == '00:50:56:00:00:0a'


def test_mac_from_the_vm_is_normalized():
    assert only_interface(one_interface(), macs={'eth0': '00-50-56-8A-BC-DE'}).mac_address == '00:50:56:8a:bc:de'


def test_mac_given_twice_and_equal():
    iface = only_interface(one_interface(mac_address='00:50:56:00:00:0a'), macs={'eth0': '00-50-56-00-00-0A'})
    assert iface.mac_address == '00:50:56:00:00:0a'


def test_mac_given_twice_and_different():
    assert error_of(one_interface(mac_address='00:50:56:00:00:0a'), macs={'eth0': '00:50:56:00:00:0b'}) == (
        "network.interfaces[0].mac_address: 00:50:56:00:00:0a differs from 00:50:56:00:00:0b, the MAC address of the VM's NIC for "
        'this interface; the MAC of an existing NIC cannot be changed')


def test_mac_unknown():
    assert only_interface(one_interface()).mac_address is None


def test_vm_mac_outside_the_manual_range_is_fine():
    assert only_interface(one_interface(), macs={'eth0': '00:0c:29:aa:bb:cc'}).mac_address == '00:0c:29:aa:bb:cc'


def test_resolve_reports_every_problem_at_once():
    data = {'interfaces': [{'name': 'eth0', 'mtu': 67, 'mac_address': '00:50:56:00:00:01'}, {'name': 'eth1'}]}
    with pytest.raises(SpecError) as info:
        resolve_data(data, macs={'eth0': '00:50:56:00:00:02', 'eth1': 'zz'}, adapter_types=['vmxnet3', 'rtl8139'])
    assert [error.path for error in info.value.errors] == [
        'network.interfaces[0].mtu', 'network.interfaces[0].mac_address', 'adapter_types[1]', 'macs[eth1]']


def test_malformed_vm_mac():
    assert error_of(one_interface(), macs={'eth0': 'zz'}) == 'macs[eth0]: zz is not a MAC address'


def test_adapter_types_spec_then_class_then_vmxnet3():
    data = {'interfaces': [{'name': 'eth0'}, {'name': 'eth1', 'adapter_type': 'e1000e'}, {'name': 'eth2'}]}
    net = resolve_data(data, adapter_types=['VirtualE1000', 'VirtualVmxnet2'])
    assert [iface.adapter_type for iface in net.interfaces] == ['e1000', 'e1000e', 'vmxnet3']


def test_unknown_class_adapter_type():
    assert error_of(one_interface(), adapter_types=['VirtualTokenRing']).startswith(
        'adapter_types[0]: VirtualTokenRing is not a network adapter type; valid types:')


# ---------------------------------------------------------------------------
# Intended config and primary IPs
# ---------------------------------------------------------------------------

def test_intended_config_full_shape():
    data = {
        'host_name': 'web01', 'domain_name': 'example.com', 'nameservers': ['10.0.0.53'], 'search_domains': ['example.com'],
        'interfaces': [{
            'name': 'eth0', 'network': 'DC0_DVPG0', 'guest_device_name': 'ens192', 'addresses': ['2001:db8::10/64', '10.0.0.10/24'],
            'gateway4': '10.0.0.1', 'gateway6': '2001:db8::1', 'routes': [{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 100}],
            'mtu': 9000,
        }, {
            'name': 'eth1', 'network': {'name': 'DC0_DVPG1', 'switch': 'DSwitch0'}, 'dhcp4': True, 'dhcp6': True,
            'nameservers': ['10.1.0.53'], 'search_domains': ['b.example.com'],
        }],
    }
    net = resolve_data(data, macs={'eth0': '00:50:56:00:00:01'})
    assert intended_config(net) == {
        'dns': {'host_name': 'web01', 'domain_name': 'example.com', 'nameservers': ['10.0.0.53'], 'search_domains': ['example.com']},
        'interfaces': [{
            'name': 'eth0',
            'mac_address': '00:50:56:00:00:01',
            'network': 'DC0_DVPG0',
            'guest_device_name': 'ens192',
            'ip': {
                'addresses': ['10.0.0.10/24', '2001:db8::10/64'],
                'gateway4': '10.0.0.1',
                'gateway6': '2001:db8::1',
                'routes': [{'to': '172.16.0.0/12', 'via': '10.0.0.254', 'metric': 100}],
                'mtu': 9000,
            },
            'dns': {'nameservers': ['10.0.0.53'], 'search_domains': ['example.com']},
        }, {
            'name': 'eth1',
            'network': 'DC0_DVPG1',
            'guest_device_name': 'eth1',
            'ip': {'dhcp': {'ip4': {'enabled': True}, 'ip6': {'enabled': True}}},
            'dns': {'nameservers': ['10.1.0.53'], 'search_domains': ['b.example.com']},
        }],
    }


def test_intended_config_minimal():
    net = resolve_data({'interfaces': [{'name': 'eth0', 'dhcp4': False}]})
    assert intended_config(net) == {'dns': {'host_name': 'vm01'}, 'interfaces': [{'name': 'eth0', 'guest_device_name': 'eth0'}]}


def test_intended_config_default_interface():
    assert intended_config(resolve_data({})) == {
        'dns': {'host_name': 'vm01'},
        'interfaces': [{'name': 'eth0', 'guest_device_name': 'eth0', 'ip': {'dhcp': {'ip4': {'enabled': True}}}}],
    }


def test_intended_config_dhcp6_only_route_without_metric():
    net = resolve_data(one_interface(dhcp6=True, routes=[{'to': '10.0.0.0/8', 'via': '10.9.0.1'}]))
    assert intended_config(net)['interfaces'][0]['ip'] == {'dhcp': {'ip6': {'enabled': True}}, 'routes': [{'to': '10.0.0.0/8', 'via': '10.9.0.1'}]}


def test_primary_ips_first_usable_over_interfaces():
    data = {'interfaces': [
        {'name': 'eth0', 'dhcp4': True, 'addresses': ['fe80::10/64', '2001:db8::10/64']},
        {'name': 'eth1', 'addresses': ['169.254.0.5/16', '10.0.9.5/24', '10.0.9.6/24']},
    ]}
    assert primary_ips(resolve_data(data)) == ('10.0.9.5', '2001:db8::10')


def test_primary_ips_none_with_dhcp():
    assert primary_ips(resolve_data(one_interface(dhcp4=True, dhcp6=True))) == (None, None)


def test_primary_ips_one_family():
    assert primary_ips(resolve_data(one_interface(addresses=['2001:db8::10/64']))) == (None, '2001:db8::10')
