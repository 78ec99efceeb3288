# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plain data -> pyVmomi: every rendered spec converts, serializes for the wire and reads back."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import builtins
import importlib.util
import sys
from typing import Any, Callable, Dict

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _vmodl
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import (
    NO_IPV4_DHCP, render_linux_prep, render_sysprep)
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._vapp import render_vapp_properties, vapp_config_spec
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._netfixtures import (
    MAC1, MAC2, NETPLAN_CASES, interface, network)
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils.test_render_gosc import GOLDEN_CASES, resolved

needs_pyvmomi = pytest.mark.skipif(not _vmodl.HAS_PYVMOMI, reason='pyVmomi is not installed')

try:
    from pyVmomi import SoapAdapter, VmomiSupport, vim
except ImportError:  # the tests that need pyVmomi are skipped
    pass

NS = 'vim.vm.customization.'
DUAL_STACK = dict(addresses4=('10.0.0.10/24',), addresses6=('2001:db8::10/64', '2001:db8::11/64'), gateway4='10.0.0.1',
                  gateway6='2001:db8::1', nameservers=('10.0.0.53',), search_domains=('example.com',))
VM_PROPERTIES = [
    {'key': 0, 'id': 'guestinfo.hostname', 'type': 'string', 'user_configurable': True, 'value': ''},
    {'key': 1, 'id': 'guestinfo.ipaddress', 'type': 'ip', 'user_configurable': True, 'value': ''},
    {'key': 2, 'id': 'guestinfo.password', 'type': 'password(8..64)', 'user_configurable': True, 'value': ''},
    {'key': 3, 'id': 'guestinfo.debug', 'type': 'boolean', 'user_configurable': True, 'value': 'False'},
    {'key': 4, 'id': 'guestinfo.mtu', 'type': 'int(576..9000)', 'user_configurable': True, 'value': '1500'},
]

SPECS: Dict[str, Callable[[], Dict[str, Any]]] = dict(GOLDEN_CASES)
SPECS.update({
    'linux_prep_dhcp': lambda: render_linux_prep(network(interface('eth0', MAC1, dhcp4=True, dhcp6=True))),
    'linux_prep_ipv6_only': lambda: render_linux_prep(network(interface('eth0', MAC1, addresses6=('2001:db8::10/64',), gateway6='2001:db8::1'))),
    'linux_prep_ipv6_only_old_vcenter': lambda: render_linux_prep(
        network(interface('eth0', MAC1, addresses6=('2001:db8::10/64',))), no_ipv4=NO_IPV4_DHCP),
    'linux_prep_slaac_and_nothing': lambda: render_linux_prep(network(interface('eth0', MAC1, accept_ra=True), interface('eth1', MAC2))),
    'linux_prep_disabled': lambda: render_linux_prep(network(disabled=True)),
    'sysprep_workgroup': lambda: render_sysprep(
        network(interface('eth0', MAC1, **DUAL_STACK), nameservers=('10.0.0.53',), search_domains=('example.com',)),
        password='Adm1n!', auto_logon=True, auto_logon_count=3, product_id='XXXXX-XXXXX', join_workgroup='LAB', run_once=['a', 'b']),
    'sysprep_domain_ou': lambda: render_sysprep(
        network(interface('eth0', MAC1, dhcp4=True)), join_domain='ad.example.com', domain_admin='joiner', domain_admin_password='J0in!',
        domain_ou='OU=Web,DC=ad,DC=example,DC=com'),
    'spec_driven_sysprep': lambda: render_sysprep(resolved(
        {'hostName': 'win01', 'domainName': 'example.com', 'nameservers': ['10.0.0.53'],
         'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24', '2001:db8::10/64'], 'gateway4': '10.0.0.1', 'nameservers': ['10.0.0.9']},
                        {'name': 'eth1', 'dhcp4': True, 'dhcp6': True}]}, 'sysprep'), password='Adm1n!'),
    'sysprep_raw': lambda: render_sysprep(network(interface('eth0', MAC1, dhcp4=True)), raw_sysprep='<?xml version="1.0"?><unattend/>'),
    'vapp_config': lambda: vapp_config_spec(render_vapp_properties(
        [{'key': 'guestinfo.hostname', 'value': 'web01'}, {'key': 'guestinfo.ipaddress', 'value': '2001:db8::10/64'},
         {'key': 'guestinfo.password', 'value': 'Pa55-word'}, {'key': 'guestinfo.debug', 'value': True},
         {'key': 'guestinfo.mtu', 'value': 9000}], VM_PROPERTIES)),
})


def assert_matches(data: Any, obj: Any, path: str = '$') -> None:
    """``obj`` (pyVmomi) holds exactly what ``data`` (plain) says, field by field."""
    if isinstance(data, dict):
        assert VmomiSupport.GetVmodlName(type(obj)) == data['_type'], path
        for name, value in data.items():
            if not name.startswith('_'):
                assert_matches(value, getattr(obj, name), '%s.%s' % (path, name))
    elif isinstance(data, list):
        assert len(obj) == len(data), path
        for index, (item, obj_item) in enumerate(zip(data, obj)):
            assert_matches(item, obj_item, '%s[%d]' % (path, index))
    elif isinstance(data, bool):
        assert obj is data, path  # not 1 for True
    else:
        assert obj == data, path


def gosc_ready(case: Any) -> bool:
    """Whether GOSC can take this netplan case: MACs everywhere, at most one IPv4 per NIC."""
    return all(iface.mac_address and len(iface.addresses4) <= 1 for iface in case.net.interfaces)


# --------------------------------------------------------------------------- every rendered spec

@needs_pyvmomi
@pytest.mark.parametrize('name', sorted(SPECS))
def test_rendered_specs_convert_serialize_and_read_back(name):
    data = SPECS[name]()
    obj = _vmodl.to_vmodl(data)
    assert_matches(data, obj)
    wire = SoapAdapter.Serialize(obj, version=VmomiSupport.newestVersions.GetName('vim'))
    assert b'xsi:type="%s"' % VmomiSupport.GetWsdlName(type(obj)).encode() in wire
    assert_matches(data, SoapAdapter.Deserialize(wire, type(obj)))


@needs_pyvmomi
@pytest.mark.parametrize('case', [case for case in NETPLAN_CASES if gosc_ready(case)], ids=lambda case: case.name)
def test_shared_networks_convert(case):
    for data in (render_linux_prep(case.net), render_sysprep(case.net)):
        assert_matches(data, _vmodl.to_vmodl(data))


@needs_pyvmomi
def test_round_trip_fields():
    spec = _vmodl.to_vmodl(SPECS['sysprep_workgroup']())
    assert isinstance(spec, vim.vm.customization.Specification)
    assert isinstance(spec.identity, vim.vm.customization.Sysprep)
    assert spec.identity.guiUnattended.password.value == 'Adm1n!' and spec.identity.guiUnattended.password.plainText is True
    assert spec.identity.userData.computerName.name == 'web01'
    assert list(spec.identity.guiRunOnce.commandList) == ['a', 'b']
    adapter = spec.nicSettingMap[0].adapter
    assert spec.nicSettingMap[0].macAddress == MAC1
    assert isinstance(adapter.ip, vim.vm.customization.FixedIp) and adapter.ip.ipAddress == '10.0.0.10'
    assert [(ip.ipAddress, ip.subnetMask) for ip in adapter.ipV6Spec.ip] == [('2001:db8::10', 64), ('2001:db8::11', 64)]
    assert list(adapter.ipV6Spec.gateway) == ['2001:db8::1']
    assert list(adapter.dnsServerList) == ['10.0.0.53'] and adapter.dnsDomain == 'example.com'
    vapp = _vmodl.to_vmodl(SPECS['vapp_config']())
    assert isinstance(vapp, vim.vApp.VmConfigSpec)
    assert [(prop.operation, prop.info.key, prop.info.value) for prop in vapp.property] == [
        ('edit', 0, 'web01'), ('edit', 1, '2001:db8::10/64'), ('edit', 2, 'Pa55-word'), ('edit', 3, 'True'), ('edit', 4, '9000')]
    assert list(vapp.ovfEnvironmentTransport) == ['com.vmware.guestInfo']


@needs_pyvmomi
def test_disable_ipv4_needs_api_9_1():
    """Why ``no_ipv4`` exists: for an older vCenter pyVmomi sends DisableIpV4 as an untyped, abstract ip."""
    ipv6_only = _vmodl.to_vmodl(SPECS['linux_prep_ipv6_only']())
    assert b'<ip xsi:type="CustomizationDisableIpV4">' in SoapAdapter.Serialize(ipv6_only, version='vim.version.v9_1_0_0')
    assert b'<ip></ip>' in SoapAdapter.Serialize(ipv6_only, version='vim.version.v8_0_3_0')
    old_vcenter = _vmodl.to_vmodl(SPECS['linux_prep_ipv6_only_old_vcenter']())
    assert b'<ip xsi:type="CustomizationDhcpIpGenerator">' in SoapAdapter.Serialize(old_vcenter, version='vim.version.v8_0_3_0')


# --------------------------------------------------------------------------- errors name the path

@needs_pyvmomi
@pytest.mark.parametrize('data, message', [
    ({'_type': NS + 'Nope'}, r"^\$: unknown vSphere type 'vim\.vm\.customization\.Nope'$"),
    ({'_type': 'vim.VirtualMachine'}, r"^\$: 'vim\.VirtualMachine' is not a vSphere data object type$"),
    ({'_type': 'string'}, r"is not a vSphere data object type"),
    ({'ip': {}}, r'^\$: a data object needs a _type'),
    ({'_type': NS + 'GlobalIPSettings', 'dnsServers': []}, r"^\$: vim\.vm\.customization\.GlobalIPSettings has no property 'dnsServers'$"),
    ({'_type': NS + 'IPSettings', 'ip': {'_type': NS + 'DhcpIpV6Generator'}},
     r'^\$\.ip: vim\.vm\.customization\.DhcpIpV6Generator is not a vim\.vm\.customization\.IpGenerator$'),
    ({'_type': NS + 'IPSettings', 'ip': {'_type': NS + 'DhcpIpGenerator'}, 'gateway': '10.0.0.1'},
     r'^\$\.gateway: expected a list of string, got str$'),
    ({'_type': NS + 'IPSettings', 'ip': {'_type': NS + 'DhcpIpGenerator'}, 'gateway': [10]}, r'^\$\.gateway\[0\]: expected string, got int$'),
    ({'_type': NS + 'IPSettings.IpV6AddressSpec', 'ip': [{'_type': NS + 'FixedIpV6', 'ipAddress': '::1', 'subnetMask': True}]},
     r'^\$\.ip\[0\]\.subnetMask: expected int, got bool$'),
    ({'_type': NS + 'IPSettings.IpV6AddressSpec', 'ip': [{'_type': NS + 'FixedIpV6', 'ipAddress': '::1', 'subnetMask': '64'}]},
     r'^\$\.ip\[0\]\.subnetMask: expected int, got str$'),
    ({'_type': NS + 'IPSettings', 'ip': {'_type': NS + 'FixedIp'}}, r"^\$\.ip: vim\.vm\.customization\.FixedIp requires the property 'ipAddress'$"),
    ({'_type': NS + 'IPSettings'}, r"^\$: vim\.vm\.customization\.IPSettings requires the property 'ip'$"),
    ({'_type': NS + 'IPSettings', 'ip': None}, r"requires the property 'ip'$"),
    ({'_type': NS + 'IPSettings', 'ip': {'_type': NS + 'DhcpIpGenerator'}, 'netBIOS': 'sometimes'},
     r"^\$\.netBIOS: 'sometimes' is not one of enableNetBIOSViaDhcp, enableNetBIOS, disableNetBIOS$"),
    ({'_type': NS + 'GuiUnattended', 'timeZone': 85, 'autoLogon': 'no', 'autoLogonCount': 1}, r'^\$\.autoLogon: expected boolean, got str$'),
])
def test_errors_name_the_path(data, message):
    with pytest.raises(ValueError, match=message):
        _vmodl.to_vmodl(data)


@needs_pyvmomi
def test_errors_never_show_values():
    data = {'_type': NS + 'GuiUnattended', 'timeZone': 85, 'autoLogon': False, 'autoLogonCount': 1,
            'password': {'_type': NS + 'Password', 'plainText': 'yes', 'value': 'Adm1n-S3cret'}}
    with pytest.raises(ValueError, match=r'^\$\.password\.plainText: expected boolean, got str$') as error:
        _vmodl.to_vmodl(data)
    assert 'S3cret' not in str(error.value)
    data['password'] = {'_type': NS + 'Password', 'plainText': True, 'value': 12345678}
    with pytest.raises(ValueError, match=r'^\$\.password\.value: expected string, got int$'):
        _vmodl.to_vmodl(data)


@needs_pyvmomi
def test_annotations_are_skipped_and_numbers_widen():
    info = _vmodl.to_vmodl({'_secret': True, '_type': 'vim.vApp.PropertyInfo', 'key': 3, 'value': 'x'})
    assert (info.key, info.value) == (3, 'x')
    option = _vmodl.to_vmodl({'_type': 'vim.option.OptionValue', 'key': 'a', 'value': 'b'})  # xsd:anyType value
    assert option.value == 'b'
    with pytest.raises(ValueError, match=r'^\$: expected a dict with a _type, got list$'):
        _vmodl.to_vmodl([])


def test_imports_without_pyvmomi(monkeypatch):
    """The module loads without pyVmomi, says why, and to_vmodl raises ImportError."""
    real_import = builtins.__import__

    def no_pyvmomi(name, *args, **kwargs):
        if name.split('.')[0] == 'pyVmomi':
            raise ImportError('No module named %r' % name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_pyvmomi)
    spec = importlib.util.spec_from_file_location('guestnet_vmodl_without_pyvmomi', _vmodl.__file__)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    assert module.HAS_PYVMOMI is False
    assert 'ImportError' in module.PYVMOMI_IMPORT_ERROR and 'pyVmomi' in module.PYVMOMI_IMPORT_ERROR
    with pytest.raises(ImportError, match='to_vmodl needs pyVmomi'):
        module.to_vmodl({'_type': NS + 'GlobalIPSettings'})
