# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GOSC renderer: LinuxPrep and Sysprep specifications as plain data."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import LINUX_PREP, NO_GATEWAY, SYSPREP, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import (
    NO_IPV4_DHCP, NO_IPV4_DISABLE, REDACTED, no_ipv4_mode, redact, render_linux_prep, render_sysprep, secrets)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._netfixtures import (
    GOLDEN_DIR, MAC1, MAC2, MAC3, UPDATE_GOLDEN, interface, network)

GOLDEN = Path(GOLDEN_DIR) / 'gosc'   # regenerate with GUESTNET_UPDATE_GOLDEN=1, then review the diff

NS = 'vim.vm.customization.'
DNS = ('10.0.0.53', '10.0.0.54')
SEARCH = ('example.com', 'corp.example.com')
DUAL_STACK = dict(addresses4=('10.0.0.10/24',), addresses6=('2001:db8::10/64', '2001:db8:0:1::10/56', '2001:DB8::11/64'),
                  gateway4='10.0.0.1', gateway6='2001:db8::1')


def adapters(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [mapping['adapter'] for mapping in spec.get('nicSettingMap', [])]


def only_adapter(net_or_iface: Any, **options: Any) -> Dict[str, Any]:
    net = net_or_iface if hasattr(net_or_iface, 'interfaces') else network(net_or_iface)
    (adapter,) = adapters(render_linux_prep(net, **options))
    return adapter


def key_paths_sorted(node: Any) -> bool:
    """Whether every dict in ``node`` has its keys in sorted order (determinism contract)."""
    if isinstance(node, dict):
        return list(node) == sorted(node) and all(key_paths_sorted(value) for value in node.values())
    if isinstance(node, list):
        return all(key_paths_sorted(item) for item in node)
    return True


# --------------------------------------------------------------------------- adapters: IPv4

def test_dhcp_both_families():
    adapter = only_adapter(interface('eth0', MAC1, dhcp4=True, dhcp6=True, accept_ra=True, nameservers=DNS))
    assert adapter == {
        '_type': NS + 'IPSettings',
        'ip': {'_type': NS + 'DhcpIpGenerator'},
        'ipV6Spec': {'_type': NS + 'IPSettings.IpV6AddressSpec', 'ip': [{'_type': NS + 'DhcpIpV6Generator'}]},
    }  # no per-adapter DNS for LinuxPrep, no SLAAC next to DHCPv6


def test_static_ipv4():
    adapter = only_adapter(interface('eth0', MAC1, addresses4=('10.0.0.10/24',), gateway4='10.0.0.1'))
    assert adapter == {
        '_type': NS + 'IPSettings',
        'gateway': ['10.0.0.1'],
        'ip': {'_type': NS + 'FixedIp', 'ipAddress': '10.0.0.10'},
        'subnetMask': '255.255.255.0',
    }


@pytest.mark.parametrize('gateway4', [None, NO_GATEWAY])
def test_static_ipv4_without_gateway(gateway4):
    adapter = only_adapter(interface('eth0', MAC1, addresses4=('192.168.7.9/22',), gateway4=gateway4))
    assert adapter['subnetMask'] == '255.255.252.0'
    assert 'gateway' not in adapter


def test_second_ipv4_address_is_rejected_not_dropped():
    net = network(interface('eth0', MAC1), interface('eth1', MAC2, addresses4=('10.0.0.10/24', '10.0.0.11/24')))
    with pytest.raises(SpecError, match=r'^network\.interfaces\[1\]\.addresses: .* one IPv4 address per NIC'):
        render_linux_prep(net)


# --------------------------------------------------------------------------- adapters: IPv6

def test_dual_stack_several_ipv6_addresses_one_gateway():
    adapter = only_adapter(interface('eth0', MAC1, **DUAL_STACK))
    assert adapter['ip'] == {'_type': NS + 'FixedIp', 'ipAddress': '10.0.0.10'}
    assert adapter['gateway'] == ['10.0.0.1']
    assert adapter['ipV6Spec'] == {
        '_type': NS + 'IPSettings.IpV6AddressSpec',
        # VM Operator appends the gateway once per address: three copies here.
        'gateway': ['2001:db8::1'],
        'ip': [
            {'_type': NS + 'FixedIpV6', 'ipAddress': '2001:db8::10', 'subnetMask': 64},
            {'_type': NS + 'FixedIpV6', 'ipAddress': '2001:db8:0:1::10', 'subnetMask': 56},
            {'_type': NS + 'FixedIpV6', 'ipAddress': '2001:db8::11', 'subnetMask': 64},  # bare and compressed
        ],
    }


def test_static_ipv6_without_gateway():
    adapter = only_adapter(interface('eth0', MAC1, dhcp4=True, addresses6=('2001:db8::10/64',)))
    assert adapter['ip'] == {'_type': NS + 'DhcpIpGenerator'}
    assert 'gateway' not in adapter['ipV6Spec']


@pytest.mark.parametrize('fields', [
    pytest.param(dict(addresses6=('2001:db8::10/64',), gateway6='2001:db8::1'), id='ipv6-only'),
    pytest.param(dict(dhcp6=True), id='dhcp6-only'),
    pytest.param(dict(accept_ra=True), id='slaac-only'),
    pytest.param(dict(), id='nothing'),
])
def test_no_ipv4_disables_ipv4(fields):
    adapter = only_adapter(interface('eth0', MAC1, **fields))
    # `ip` is required: VM Operator left it out once and vCenter rejected the spec (PR #1420).
    assert adapter['ip'] == {'_type': NS + 'DisableIpV4'}
    assert ('ipV6Spec' in adapter) == bool(fields)
    assert 'subnetMask' not in adapter and 'gateway' not in adapter


def test_no_ipv4_dhcp_mode_for_older_vcenter():
    iface = interface('eth0', MAC1, addresses6=('2001:db8::10/64',))
    assert only_adapter(iface, no_ipv4=NO_IPV4_DHCP)['ip'] == {'_type': NS + 'DhcpIpGenerator'}
    assert only_adapter(iface, no_ipv4=NO_IPV4_DISABLE)['ip'] == {'_type': NS + 'DisableIpV4'}
    # The mode only matters without IPv4: a static or DHCP NIC renders the same.
    static = interface('eth0', MAC1, addresses4=('10.0.0.10/24',))
    assert only_adapter(static, no_ipv4=NO_IPV4_DHCP) == only_adapter(static)


def test_no_ipv4_mode_is_checked():
    with pytest.raises(ValueError, match="no_ipv4 must be one of disable, dhcp, got 'off'"):
        render_linux_prep(network(interface('eth0', MAC1)), no_ipv4='off')


@pytest.mark.parametrize('api_version, mode', [
    ('6.7.3', NO_IPV4_DHCP), ('8.0.3.0', NO_IPV4_DHCP), ('9.0.0.0', NO_IPV4_DHCP),
    ('9.1.0.0', NO_IPV4_DISABLE), ('9.1', NO_IPV4_DISABLE), ('10.0.0.0', NO_IPV4_DISABLE),
])
def test_no_ipv4_mode_from_api_version(api_version, mode):
    assert no_ipv4_mode(api_version) == mode


def test_no_ipv4_mode_rejects_garbage():
    with pytest.raises(ValueError, match='not of the form'):
        no_ipv4_mode('latest')


def test_accept_ra_is_slaac_only_without_static_or_dhcp6():
    slaac = only_adapter(interface('eth0', MAC1, addresses4=('10.0.0.10/24',), accept_ra=True))
    assert slaac['ipV6Spec'] == {'_type': NS + 'IPSettings.IpV6AddressSpec', 'ip': [{'_type': NS + 'AutoIpV6Generator'}]}
    static = only_adapter(interface('eth0', MAC1, addresses6=('2001:db8::10/64',), accept_ra=True))
    assert [generator['_type'] for generator in static['ipV6Spec']['ip']] == [NS + 'FixedIpV6']
    dhcp = only_adapter(interface('eth0', MAC1, dhcp6=True, accept_ra=True))
    assert [generator['_type'] for generator in dhcp['ipV6Spec']['ip']] == [NS + 'DhcpIpV6Generator']


# --------------------------------------------------------------------------- the NIC map

def test_one_mapping_per_interface_in_order_with_normalized_macs():
    net = network(interface('eth0', '00-50-56-AB-CD-EF', dhcp4=True), interface('eth1', MAC3, dhcp4=True),
                  interface('eth2', MAC2, dhcp4=True))
    spec = render_linux_prep(net)
    assert [mapping['macAddress'] for mapping in spec['nicSettingMap']] == ['00:50:56:ab:cd:ef', MAC3, MAC2]
    assert {mapping['_type'] for mapping in spec['nicSettingMap']} == {NS + 'AdapterMapping'}


def test_interface_without_mac_is_an_error_naming_it():
    net = network(interface('eth0', MAC1, dhcp4=True), interface('backend', None, dhcp4=True))
    with pytest.raises(ValueError, match=r'network\.interfaces\[1\] \(backend\) has no MAC address'):
        render_linux_prep(net)


def test_disabled_network_has_no_nic_map():
    spec = render_linux_prep(network(disabled=True, nameservers=DNS))
    assert 'nicSettingMap' not in spec
    assert spec['globalIPSettings'] == {'_type': NS + 'GlobalIPSettings', 'dnsServerList': list(DNS)}


# --------------------------------------------------------------------------- LinuxPrep identity

def test_linux_prep_identity_and_global_dns():
    spec = render_linux_prep(network(interface('eth0', MAC1, dhcp4=True), domain_name='example.com', nameservers=DNS,
                                     search_domains=SEARCH),
                             time_zone='Europe/Berlin', hardware_clock_is_utc=False, script_text='#!/bin/sh\necho hi\n')
    assert spec['_type'] == NS + 'Specification'
    assert spec['identity'] == {
        '_type': NS + 'LinuxPrep',
        'domain': 'example.com',
        'hostName': {'_type': NS + 'FixedName', 'name': 'web01'},
        'hwClockUTC': False,
        'scriptText': '#!/bin/sh\necho hi\n',
        'timeZone': 'Europe/Berlin',
    }
    assert spec['globalIPSettings'] == {'_type': NS + 'GlobalIPSettings', 'dnsServerList': list(DNS), 'dnsSuffixList': list(SEARCH)}


def test_linux_prep_defaults():
    spec = render_linux_prep(network(interface('eth0', MAC1, dhcp4=True)))
    # `domain` is required by vSphere: '' when unset, as VM Operator sends it.
    assert spec['identity'] == {'_type': NS + 'LinuxPrep', 'domain': '', 'hostName': {'_type': NS + 'FixedName', 'name': 'web01'},
                                'hwClockUTC': True}
    assert spec['globalIPSettings'] == {'_type': NS + 'GlobalIPSettings'}


@pytest.mark.parametrize('options, message', [
    (dict(time_zone=1), 'time_zone must be of type str, got int'),
    (dict(hardware_clock_is_utc='yes'), 'hardware_clock_is_utc must be of type bool, got str'),
    (dict(script_text=b'x'), 'script_text must be of type str, got bytes'),
])
def test_linux_prep_option_types(options, message):
    with pytest.raises(ValueError, match=message):
        render_linux_prep(network(), **options)


# --------------------------------------------------------------------------- Sysprep

def sysprep(net: Any = None, **options: Any) -> Dict[str, Any]:
    return render_sysprep(net or network(interface('eth0', MAC1, dhcp4=True), domain_name='example.com'), **options)


def test_sysprep_defaults_join_workgroup():
    identity = sysprep()['identity']
    assert identity == {
        '_type': NS + 'Sysprep',
        'guiUnattended': {'_type': NS + 'GuiUnattended', 'autoLogon': False, 'autoLogonCount': 1, 'timeZone': 85},
        'identification': {'_type': NS + 'Identification', 'joinWorkgroup': 'WORKGROUP'},
        'userData': {'_type': NS + 'UserData', 'computerName': {'_type': NS + 'FixedName', 'name': 'web01'},
                     'fullName': 'Administrator', 'orgName': 'Organization', 'productId': ''},
    }


WORKGROUP_NET = network(interface('eth0', MAC1, dhcp4=True))     # no domain_name: Sysprep would join it


def test_sysprep_workgroup_and_user_options():
    identity = sysprep(WORKGROUP_NET, password='Adm1n!', full_name='Ops', org_name='Example', product_id='AAAAA-BBBBB', time_zone=110,
                       auto_logon=True, auto_logon_count=2, join_workgroup='LAB')['identity']
    assert identity['guiUnattended'] == {'_type': NS + 'GuiUnattended', 'autoLogon': True, 'autoLogonCount': 2, 'timeZone': 110,
                                         'password': {'_type': NS + 'Password', 'plainText': True, 'value': 'Adm1n!'}}
    assert identity['userData']['fullName'] == 'Ops' and identity['userData']['orgName'] == 'Example'
    assert identity['userData']['productId'] == 'AAAAA-BBBBB'
    assert identity['identification'] == {'_type': NS + 'Identification', 'joinWorkgroup': 'LAB'}


def test_sysprep_domain_join_explicit():
    identity = sysprep(join_domain='ad.example.com', domain_admin='joiner', domain_admin_password='J0in!',
                       domain_ou='OU=Web,DC=ad,DC=example,DC=com')['identity']
    assert identity['identification'] == {
        '_type': NS + 'Identification',
        'domainAdmin': 'joiner',
        'domainAdminPassword': {'_type': NS + 'Password', 'plainText': True, 'value': 'J0in!'},
        'domainOU': 'OU=Web,DC=ad,DC=example,DC=com',
        'joinDomain': 'ad.example.com',
    }


def test_sysprep_domain_admin_joins_the_network_domain():
    identification = sysprep(domain_admin='joiner', domain_admin_password='J0in!')['identity']['identification']
    assert identification['joinDomain'] == 'example.com'
    assert 'joinWorkgroup' not in identification


def test_sysprep_auto_logon_needs_a_password():
    """vSphere: with autoLogon set, a blank password makes the customization fail."""
    with pytest.raises(SpecError, match=r'^auto_logon needs password: Windows logs on as Administrator with it after customization, '
                                        r'and vSphere documents that the customization fails without one; set password, or auto_logon: false$'):
        sysprep(auto_logon=True)
    assert sysprep(auto_logon=True, password='Adm1n!')['identity']['guiUnattended']['autoLogon'] is True
    assert sysprep(auto_logon=False)['identity']['guiUnattended']['autoLogon'] is False


def test_sysprep_workgroup_with_the_network_domain_is_refused():
    """The network's domain is the one Sysprep joins (as VM Operator): a workgroup as well is a conflict, not a silent pick."""
    with pytest.raises(SpecError) as error:
        sysprep(join_workgroup='LAB')
    assert str(error.value) == (
        'join_workgroup and network.domain_name (example.com) are mutually exclusive: Sysprep joins the domain network.domain_name '
        'names (as VM Operator joins spec.network.domainName, which it refuses with joinWorkgroup); to join the workgroup LAB, leave '
        'network.domain_name unset; to join the domain, give domain_admin and domain_admin_password instead of join_workgroup')
    assert sysprep(WORKGROUP_NET, join_workgroup='LAB')['identity']['identification']['joinWorkgroup'] == 'LAB'


def test_sysprep_every_broken_rule_at_once():
    with pytest.raises(SpecError) as error:
        sysprep(auto_logon=True, join_workgroup='LAB', domain_admin='joiner', domain_admin_password='J0in!')
    assert [item.path for item in error.value.errors] == ['auto_logon', 'join_workgroup']
    assert str(error.value).startswith('2 errors: (1) auto_logon needs password')
    assert 'J0in!' not in str(error.value)


@pytest.mark.parametrize('options, message', [
    (dict(join_workgroup='LAB', join_domain='ad.example.com'), 'join_workgroup and join_domain are mutually exclusive'),
    (dict(join_workgroup='LAB', domain_admin='joiner', domain_admin_password='J0in!'),
     'join_workgroup and domain_admin and domain_admin_password are mutually exclusive'),
    (dict(join_domain='ad.example.com'), 'joining the domain ad.example.com needs domain_admin and domain_admin_password'),
    (dict(join_domain='ad.example.com', domain_admin='joiner'), 'needs domain_admin_password$'),
    (dict(domain_admin_password='J0in!'), 'needs domain_admin$'),
])
def test_sysprep_identification_conflicts(options, message):
    with pytest.raises(ValueError, match=message) as error:
        sysprep(**options)
    assert 'J0in!' not in str(error.value)


def test_sysprep_domain_admin_without_any_domain():
    with pytest.raises(ValueError, match='join_domain is not set and network.domain_name is empty'):
        sysprep(network(interface('eth0', MAC1, dhcp4=True)), domain_admin='joiner', domain_admin_password='J0in!')


def test_sysprep_run_once():
    assert sysprep(run_once=['cmd /c echo one', 'cmd /c echo two'])['identity']['guiRunOnce'] == {
        '_type': NS + 'GuiRunOnce', 'commandList': ['cmd /c echo one', 'cmd /c echo two']}
    assert 'guiRunOnce' not in sysprep(run_once=[])['identity']
    with pytest.raises(ValueError, match='run_once must be a list of command strings'):
        sysprep(run_once='cmd /c echo one')


def test_sysprep_per_adapter_dns():
    net = network(interface('eth0', MAC1, addresses4=('10.0.0.10/24',), gateway4='10.0.0.1', nameservers=DNS, search_domains=SEARCH),
                  interface('eth1', MAC2, dhcp4=True),
                  nameservers=('10.9.9.9',), search_domains=('global.example',))
    first, second = adapters(render_sysprep(net))
    assert first['dnsServerList'] == list(DNS)
    assert first['dnsDomain'] == 'example.com'
    assert 'dnsServerList' not in second and 'dnsDomain' not in second
    # LinuxPrep ignores per-adapter DNS (PR #346): it is not written at all.
    assert all('dnsServerList' not in adapter and 'dnsDomain' not in adapter for adapter in adapters(render_linux_prep(net)))


def test_sysprep_global_dns_reaches_static_adapters_only():
    """On Windows adapter DNS overrides what DHCP hands out: a DHCP adapter keeps only DNS its interface names."""
    spec = render_sysprep(resolved({'hostName': 'win01', 'nameservers': ['10.0.0.53'], 'searchDomains': ['example.com'], 'interfaces': [
        {'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'},
        {'name': 'eth1', 'dhcp4': True},
        {'name': 'eth2', 'dhcp4': True, 'nameservers': ['10.2.0.53']},
        {'name': 'eth3', 'dhcp6': True, 'addresses': ['10.3.0.10/24'], 'macAddr': '00:50:56:00:00:04'},
    ]}, SYSPREP))
    first, second, third, fourth = adapters(spec)
    assert (first['dnsServerList'], first['dnsDomain']) == (['10.0.0.53'], 'example.com')
    assert 'dnsServerList' not in second and 'dnsDomain' not in second
    assert third['dnsServerList'] == ['10.2.0.53'] and 'dnsDomain' not in third
    assert fourth['dnsServerList'] == ['10.0.0.53']          # static IPv4: DHCPv6 does not make it a DHCP adapter
    assert spec['globalIPSettings'] == {'_type': NS + 'GlobalIPSettings', 'dnsServerList': ['10.0.0.53'], 'dnsSuffixList': ['example.com']}
    # LinuxPrep and cloud-init keep the global DNS on a DHCP interface (it adds to what DHCP gives).
    assert resolved({'nameservers': ['10.0.0.53'], 'interfaces': [{'name': 'eth1', 'dhcp4': True}]}, LINUX_PREP).interfaces[0].nameservers == \
        ('10.0.0.53',)


@pytest.mark.parametrize('host_name', ['a' * 16, 'web01-frontend-eu'])
def test_sysprep_computer_name_is_never_truncated(host_name):
    with pytest.raises(SpecError, match=r'^network\.host_name: %s is longer than 15 characters' % host_name):
        sysprep(network(interface('eth0', MAC1, dhcp4=True), host_name=host_name))


def test_sysprep_fifteen_character_name():
    spec = sysprep(network(interface('eth0', MAC1, dhcp4=True), host_name='a' * 15))
    assert spec['identity']['userData']['computerName']['name'] == 'a' * 15


@pytest.mark.parametrize('options, message', [
    (dict(time_zone='85'), 'time_zone must be of type int, got str'),
    (dict(time_zone=True), 'time_zone must be of type int, got bool'),
    (dict(auto_logon='yes'), 'auto_logon must be of type bool'),
    (dict(auto_logon_count=0), 'auto_logon_count must be at least 1'),
    (dict(password=1234), 'password must be of type str, got int'),
    (dict(domain_admin='joiner', domain_admin_password=1234), 'domain_admin_password must be of type str, got int'),
    (dict(full_name=None), 'full_name must be of type str, got NoneType'),
    (dict(product_id=12345), 'product_id must be of type str'),
])
def test_sysprep_option_types(options, message):
    with pytest.raises(ValueError, match=message) as error:
        sysprep(**options)
    assert '1234' not in str(error.value)


def test_raw_sysprep():
    net = network(interface('eth0', MAC1, addresses4=('10.0.0.10/24',), nameservers=DNS), nameservers=DNS, host_name='a-very-long-name-is-fine')
    spec = render_sysprep(net, raw_sysprep='<unattend>secret</unattend>')
    assert spec['identity'] == {'_type': NS + 'SysprepText', 'value': '<unattend>secret</unattend>'}
    # The network part is the same as for inline Sysprep.
    assert spec['nicSettingMap'] == render_sysprep(network(*net.interfaces, nameservers=DNS))['nicSettingMap']
    assert adapters(spec)[0]['dnsServerList'] == list(DNS)


def test_raw_sysprep_excludes_inline_options():
    with pytest.raises(ValueError, match='raw_sysprep and password, run_once, join_domain are mutually exclusive') as error:
        sysprep(raw_sysprep='<unattend/>', password='Adm1n!', run_once=['x'], join_domain='ad.example.com')
    assert 'Adm1n!' not in str(error.value)
    with pytest.raises(ValueError, match='raw_sysprep must be of type str'):
        sysprep(raw_sysprep=b'<unattend/>')


# --------------------------------------------------------------------------- secrets

def secret_spec() -> Dict[str, Any]:
    return sysprep(password='Adm1n-S3cret', domain_admin='joiner', domain_admin_password='J0in-S3cret')


def test_redact_replaces_every_secret_and_copies():
    spec = secret_spec()
    before = json.dumps(spec, sort_keys=True)
    redacted = redact(spec)
    assert json.dumps(spec, sort_keys=True) == before  # the input is not touched
    assert redacted['identity']['guiUnattended']['password'] == {'_type': NS + 'Password', 'plainText': True, 'value': REDACTED}
    assert redacted['identity']['identification']['domainAdminPassword']['value'] == REDACTED
    for text in (repr(redacted), json.dumps(redacted)):
        assert 'S3cret' not in text
    assert redact(render_sysprep(network(), raw_sysprep='<unattend>S3cret</unattend>'))['identity']['value'] == REDACTED


def test_redact_leaves_everything_else_equal():
    spec = secret_spec()
    redacted = redact(spec)
    del spec['identity']['guiUnattended']['password'], redacted['identity']['guiUnattended']['password']
    del spec['identity']['identification']['domainAdminPassword'], redacted['identity']['identification']['domainAdminPassword']
    assert redacted == spec


def test_secrets_lists_raw_values_once():
    assert secrets(secret_spec()) == ['Adm1n-S3cret', 'J0in-S3cret']
    assert secrets(sysprep(password='same', domain_admin='joiner', domain_admin_password='same')) == ['same']
    assert secrets(render_sysprep(network(), raw_sysprep='<unattend/>')) == ['<unattend/>']
    assert not secrets(render_linux_prep(network(interface('eth0', MAC1, dhcp4=True))))
    assert secrets({'_secret': True, 'value': 'marked'}) == ['marked']
    assert redact([{'_secret': True, 'value': 'marked', 'key': 1}]) == [{'_secret': True, 'value': REDACTED, 'key': 1}]


# --------------------------------------------------------------------------- determinism and golden files

GOLDEN_CASES = {
    'linux_prep_dual_stack': lambda: render_linux_prep(
        network(interface('eth0', MAC1, nameservers=DNS, **DUAL_STACK),
                interface('eth1', MAC2, addresses6=('2001:db8:1::10/64',), gateway6='2001:db8:1::1'),
                interface('eth2', MAC3, dhcp4=True, accept_ra=True),
                domain_name='example.com', nameservers=DNS, search_domains=SEARCH),
        time_zone='Etc/UTC'),
    'sysprep_domain': lambda: render_sysprep(
        network(interface('eth0', MAC1, addresses4=('10.0.0.10/24',), gateway4='10.0.0.1', nameservers=DNS, search_domains=SEARCH),
                interface('eth1', MAC2, dhcp4=True, dhcp6=True),
                domain_name='example.com', nameservers=DNS, search_domains=SEARCH),
        password='Adm1n!', time_zone=110, run_once=['cmd /c echo done'], domain_admin='joiner', domain_admin_password='J0in!'),
}


@pytest.mark.parametrize('name', sorted(GOLDEN_CASES))
def test_golden(name):
    spec = GOLDEN_CASES[name]()
    text = json.dumps(redact(spec), indent=2) + '\n'
    path = GOLDEN / ('%s.json' % name)
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()
    assert key_paths_sorted(spec)
    assert GOLDEN_CASES[name]() == spec  # deterministic


# --------------------------------------------------------------------------- spec-driven: _spec -> _resolver -> _gosc

VM_MACS = {'eth0': '00-50-56-AB-CD-EF', 'eth1': MAC2, 'eth2': MAC3}


def resolved(raw_spec: Dict[str, Any], provider: str, vm_name: str = 'web01') -> Any:
    return resolve(parse_network_spec(raw_spec), vm_name=vm_name, provider=provider, macs=VM_MACS)


def test_spec_driven_vm_operator_manifest_linux_prep():
    net = resolved({'hostName': 'web01', 'domainName': 'example.com', 'nameservers': ['10.0.0.53'], 'searchDomains': ['example.com'],
                    'interfaces': [{'name': 'eth0', 'addresses': ['2001:db8::10/64', '10.0.0.10/24', '2001:db8::11/64'],
                                    'gateway4': '10.0.0.1', 'gateway6': '2001:db8::1'},
                                   {'name': 'eth1', 'dhcp6': True},
                                   {'name': 'eth2', 'addresses': ['2001:db8:2::10/64']}]}, LINUX_PREP)
    spec = render_linux_prep(net)
    assert spec['identity']['domain'] == 'example.com'
    assert spec['globalIPSettings'] == {'_type': NS + 'GlobalIPSettings', 'dnsServerList': ['10.0.0.53'], 'dnsSuffixList': ['example.com']}
    eth0, eth1, eth2 = spec['nicSettingMap']
    assert eth0['macAddress'] == '00:50:56:ab:cd:ef'
    assert eth0['adapter']['ip'] == {'_type': NS + 'FixedIp', 'ipAddress': '10.0.0.10'}
    assert [ip['ipAddress'] for ip in eth0['adapter']['ipV6Spec']['ip']] == ['2001:db8::10', '2001:db8::11']
    assert eth0['adapter']['ipV6Spec']['gateway'] == ['2001:db8::1']
    assert eth1['adapter'] == {'_type': NS + 'IPSettings', 'ip': {'_type': NS + 'DisableIpV4'},
                               'ipV6Spec': {'_type': NS + 'IPSettings.IpV6AddressSpec', 'ip': [{'_type': NS + 'DhcpIpV6Generator'}]}}
    assert eth2['adapter']['ip'] == {'_type': NS + 'DisableIpV4'}


def test_spec_driven_default_interface_is_dhcp():
    spec = render_sysprep(resolved({'nameservers': ['10.0.0.53']}, SYSPREP))
    (adapter,) = adapters(spec)
    # Global DNS is not copied onto a DHCP adapter: on Windows adapter DNS overrides what DHCP hands out.
    assert adapter == {'_type': NS + 'IPSettings', 'ip': {'_type': NS + 'DhcpIpGenerator'}}
    assert spec['globalIPSettings']['dnsServerList'] == ['10.0.0.53']
    assert spec['identity']['userData']['computerName']['name'] == 'web01'


def test_spec_driven_rules_live_in_the_spec_layer():
    with pytest.raises(SpecError, match=r'^network\.interfaces\[0\]\.addresses\[1\]: 10\.0\.0\.2/24 is a second IPv4 address'):
        resolved({'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.1/24', '10.0.0.2/24']}]}, LINUX_PREP)
    with pytest.raises(SpecError, match=r'^network\.host_name: .* the limit for a Windows computer name'):
        resolved({}, SYSPREP, vm_name='a-very-long-windows-name')
