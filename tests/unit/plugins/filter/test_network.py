# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the network filters (plugins/filter/network.py): thin, loud, native."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import copy
import gzip
import json
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.guestnet.vsphere.plugins.filter.network import FilterModule
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import CLOUD_INIT
from ansible_collections.guestnet.vsphere.plugins.module_utils._render import _cloudinit, _gosc, _netplan
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

FILTERS = FilterModule().filters()
network_config = FILTERS['network_config']
netplan = FILTERS['netplan']
cloud_init_metadata = FILTERS['cloud_init_metadata']
guestinfo = FILTERS['guestinfo']
gosc = FILTERS['gosc']
from_vm_operator = FILTERS['from_vm_operator']

VMOPERATOR_FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'vmoperator')

SPEC = {
    'host_name': 'web01',
    'domain_name': 'example.com',
    'nameservers': ['10.0.0.53'],
    'search_domains': ['example.com'],
    'interfaces': [
        {'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.0.0.10/24', '2001:db8::10/64'],
         'gateway4': '10.0.0.1', 'gateway6': '2001:db8::1'},
        {'name': 'eth1', 'network': 'DC0_DVPG1', 'dhcp4': True},
    ],
}
CAMEL_SPEC = {
    'hostName': 'web01',
    'domainName': 'example.com',
    'nameservers': ['10.0.0.53'],
    'searchDomains': ['example.com'],
    'interfaces': [
        {'name': 'eth0', 'network': {'name': 'DC0_DVPG0'}, 'addresses': ['10.0.0.10/24', '2001:DB8::10/64'],
         'gateway4': '10.0.0.1', 'gateway6': '2001:db8::1'},
        {'name': 'eth1', 'network': {'name': 'DC0_DVPG1'}, 'dhcp4': True},
    ],
}
MACS = {'eth0': '00:50:56:00:00:01', 'eth1': '00-50-56-00-00-02'}


def core(spec=None, provider=None):
    """What the core gives without the filter layer (for SPEC and MACS by default)."""
    return resolve(parse_network_spec(spec or SPEC), vm_name='web01', provider=provider, macs=MACS)


def error_of(function, *args, **kwargs) -> str:
    with pytest.raises(AnsibleFilterError) as info:
        function(*args, **kwargs)
    return str(info.value)


def assert_native(value, path='value'):
    """Only the types YAML/JSON know: filters hand Ansible plain data."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert key.__class__ is str, path
            assert_native(item, '%s.%s' % (path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_native(item, '%s[%d]' % (path, index))
    else:
        assert value is None or value.__class__ in (str, int, bool, float), '%s is a %s' % (path, type(value).__name__)


# --------------------------------------------------------------------------- network_config

def test_network_config_is_the_cores_intended_config():
    result = network_config(SPEC, macs=MACS)
    assert result == intended_config(core())
    assert result['interfaces'][1]['mac_address'] == '00:50:56:00:00:02'
    assert_native(result)


def test_network_config_reads_camel_case_like_snake_case():
    assert network_config(CAMEL_SPEC, macs=MACS) == network_config(SPEC, macs=MACS)


def test_network_config_needs_no_macs():
    result = network_config(SPEC)
    assert all('mac_address' not in iface for iface in result['interfaces'])


def test_host_name_defaults_to_vm_name_and_the_spec_wins():
    spec = dict(SPEC, host_name=None)
    assert network_config(spec, vm_name='db01')['dns']['host_name'] == 'db01'
    assert network_config(SPEC, vm_name='db01')['dns']['host_name'] == 'web01'


def test_no_host_name_and_no_vm_name_is_an_error():
    message = error_of(network_config, {'interfaces': [{'name': 'eth0'}]})
    assert 'network.host_name is not set and no vm_name was given' in message
    assert 'vm_name=' in message


@pytest.mark.parametrize('vm_name', ['', 42, ['web01']])
def test_vm_name_must_be_a_non_empty_string(vm_name):
    assert 'vm_name: %r must be a non-empty string' % (vm_name,) in error_of(network_config, SPEC, vm_name=vm_name)


def test_a_vm_name_that_cannot_be_a_host_name_is_left_out_without_a_provider():
    """vCenter VM names often hold underscores; without a provider nothing writes the host name."""
    result = network_config({'domain_name': 'example.com'}, vm_name='DC0_H0_VM0')
    assert result['dns'] == {'domain_name': 'example.com'}
    assert 'dns' not in network_config({}, vm_name='DC0_H0_VM0')


def test_a_bad_vm_name_is_reported_as_the_host_name_with_a_provider():
    message = error_of(network_config, {}, vm_name='web_01', provider='cloud_init')
    assert message.startswith('network.host_name: web_01 is not a valid host name: use letters, digits and hyphens')
    assert message.endswith('it is the VM name, used because host_name is not set, and cloud_init writes it into the guest: '
                            'set network.host_name to a valid name')


def test_empty_spec_is_one_dhcp_interface():
    result = network_config(None, vm_name='web01')
    assert result['interfaces'] == [{'name': 'eth0', 'guest_device_name': 'eth0', 'ip': {'dhcp': {'ip4': {'enabled': True}}}}]


def test_the_cores_message_names_field_and_value():
    spec = copy.deepcopy(SPEC)
    spec['interfaces'][0]['gateway4'] = '10.0.9.1'
    assert error_of(network_config, spec) == ('network.interfaces[0].gateway4: 10.0.9.1 is not inside any IPv4 address of this '
                                              'interface (10.0.0.10/24)')


def test_camel_case_error_paths_are_snake_case():
    spec = copy.deepcopy(CAMEL_SPEC)
    spec['interfaces'][1]['macAddr'] = 'nope'
    assert error_of(network_config, spec).startswith('network.interfaces[1].mac_address: nope is not a MAC address')


def test_provider_checks_the_capability_table():
    spec = copy.deepcopy(SPEC)
    spec['interfaces'][1]['mtu'] = 9000
    assert network_config(spec, provider='cloud_init')['interfaces'][1]['ip']['mtu'] == 9000
    assert error_of(network_config, spec, provider='linux_prep') == (
        'network.interfaces[1].mtu: 9000 is not supported by linux_prep; supported by: cloud_init')


def test_an_unknown_provider_is_an_error():
    assert error_of(network_config, SPEC, provider='kickstart').startswith('provider: kickstart is not a bootstrap provider; valid providers:')


def test_sysprep_limits_the_host_name():
    message = error_of(network_config, dict(SPEC, host_name='a-very-long-name'), provider='sysprep')
    assert 'network.host_name: a-very-long-name is longer than 15 characters' in message


# --------------------------------------------------------------------------- macs

def test_macs_must_be_a_mapping():
    assert error_of(network_config, SPEC, macs=['00:50:56:00:00:01']).startswith('macs: must be a mapping of interface name -> MAC address')


def test_macs_names_must_be_interfaces():
    assert error_of(network_config, SPEC, macs={'eth0': '00:50:56:00:00:01', 'eht1': '00:50:56:00:00:02'}) == (
        'macs: eht1 is not an interface of this network; its interfaces: eth0, eth1')


def test_macs_of_a_disabled_network():
    assert error_of(network_config, {'disabled': True}, vm_name='web01', macs={'eth0': '00:50:56:00:00:01'}) == (
        'macs: eth0 is not an interface of this network; its interfaces: none (the network is disabled)')


def test_macs_names_must_be_strings():
    assert error_of(network_config, SPEC, macs={0: '00:50:56:00:00:01'}) == 'macs: 0 is not an interface name (a string)'


def test_a_bad_mac_value_is_the_resolvers_error():
    assert error_of(network_config, SPEC, macs={'eth0': 'zz'}) == 'macs[eth0]: zz is not a MAC address'


def test_the_default_interface_takes_a_mac():
    assert network_config({}, vm_name='web01', macs={'eth0': '00:50:56:AA:BB:CC'})['interfaces'][0]['mac_address'] == '00:50:56:aa:bb:cc'


def test_a_spec_mac_that_differs_from_the_vms_is_an_error():
    spec = copy.deepcopy(SPEC)
    spec['interfaces'][0]['mac_address'] = '00:50:56:00:00:09'
    assert "differs from 00:50:56:00:00:01, the MAC address of the VM's NIC" in error_of(netplan, spec, macs=MACS)


# --------------------------------------------------------------------------- netplan

def test_netplan_is_the_cores_render():
    result = netplan(SPEC, macs=MACS)
    assert result == _netplan.render_netplan(core())
    assert result['version'] == 2 and sorted(result['ethernets']) == ['eth0', 'eth1']
    assert_native(result)


def test_netplan_default_route_style():
    result = netplan(CAMEL_SPEC, macs=MACS, gateway_style='default_route')
    assert result == _netplan.render_netplan(core(), 'default_route')
    assert result['ethernets']['eth0']['routes'][0] == {'to': '0.0.0.0/0', 'via': '10.0.0.1'}


def test_netplan_bad_gateway_style():
    assert error_of(netplan, SPEC, macs=MACS, gateway_style='gateway') == "gateway_style: 'gateway' is not one of gateway_keys, default_route"


def test_netplan_needs_no_host_name():
    result = netplan({'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24']}]}, macs={'eth0': '00:50:56:00:00:01'})
    assert result['ethernets']['eth0']['addresses'] == ['10.0.0.10/24']


def test_netplan_still_checks_a_given_host_name():
    assert 'network.host_name: web_01 is not a valid host name' in error_of(netplan, {'host_name': 'web_01'}, macs={'eth0': '00:50:56:00:00:01'})


def test_netplan_says_which_interface_lacks_a_mac_and_how_to_give_it():
    message = error_of(netplan, SPEC, macs={'eth0': '00:50:56:00:00:01'})
    assert message == ("interface eth1 has no MAC address, and netplan matches each interface to its NIC by MAC address: "
                       "pass macs={'eth1': '00:50:56:...'} (interface name -> MAC address of the VM's NIC), "
                       "or set mac_address on the interface in the spec")


def test_netplan_names_every_interface_without_a_mac():
    message = error_of(netplan, SPEC)
    assert message.startswith('interfaces eth0, eth1 have no MAC address')
    assert "macs={'eth0': '00:50:56:...', 'eth1': '00:50:56:...'}" in message


TWO_GATEWAYS = {'interfaces': [
    {'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'},
    {'name': 'eth1', 'addresses': ['10.0.9.10/24'], 'gateway4': '10.0.9.1'},
]}


def test_netplan_refuses_two_default_routes_of_one_family_with_the_same_metric():
    message = error_of(netplan, TWO_GATEWAYS, macs=MACS)
    assert message.startswith('network.interfaces[1].gateway4: 10.0.9.1 is a second IPv4 default route with the default metric')
    assert 'replace gateway4: 10.0.9.1 with routes: [{to: default, via: 10.0.9.1, metric: <n>}]' in message


def test_netplan_takes_two_default_routes_with_different_metrics():
    spec = copy.deepcopy(TWO_GATEWAYS)
    del spec['interfaces'][1]['gateway4']
    spec['interfaces'][1]['routes'] = [{'to': 'default', 'via': '10.0.9.1', 'metric': 200}]
    ethernets = netplan(spec, macs=MACS)['ethernets']
    assert ethernets['eth0']['gateway4'] == '10.0.0.1'
    assert ethernets['eth1']['routes'] == [{'metric': 200, 'to': '0.0.0.0/0', 'via': '10.0.9.1'}]


@pytest.mark.parametrize('provider', ['linux_prep', 'sysprep'])
def test_gosc_takes_a_gateway_on_two_adapters(provider):
    result = gosc(dict(TWO_GATEWAYS, host_name='web01'), provider, macs=MACS)
    assert [mapping['adapter']['gateway'] for mapping in result['nicSettingMap']] == [['10.0.0.1'], ['10.0.9.1']]


def test_network_config_takes_two_default_gateways():
    config = network_config(TWO_GATEWAYS, vm_name='DC0_H0_VM0', macs=MACS)
    assert [iface['ip']['gateway4'] for iface in config['interfaces']] == ['10.0.0.1', '10.0.9.1']


def test_netplan_takes_a_mac_from_the_spec():
    spec = copy.deepcopy(SPEC)
    spec['interfaces'][1]['mac_address'] = '00:50:56:00:00:02'
    assert netplan(spec, macs={'eth0': '00:50:56:00:00:01'}) == netplan(SPEC, macs=MACS)


def test_netplan_of_a_disabled_network():
    assert netplan({'disabled': True}) == {'ethernets': {}, 'version': 2}


# --------------------------------------------------------------------------- cloud_init_metadata

def test_cloud_init_metadata_is_the_cores_render():
    keys = ['ssh-ed25519 AAAA admin@example.com']
    result = cloud_init_metadata(SPEC, macs=MACS, instance_id='i-1', ssh_authorized_keys=keys, wait_on_network4=True)
    assert result == _cloudinit.render_metadata(core(provider=CLOUD_INIT), instance_id='i-1', ssh_authorized_keys=keys, wait_on_network4=True)
    assert result['hostname'] == 'web01.example.com' and result['public-keys'] == keys[0]
    assert result['wait-on-network'] == {'ipv4': True, 'ipv6': False}
    assert_native(result)


def test_cloud_init_metadata_optional_parts():
    result = cloud_init_metadata(SPEC, macs=MACS, instance_id='i-1', gateway_style='default_route')
    assert 'public-keys' not in result and 'wait-on-network' not in result
    assert result['network'] == netplan(SPEC, macs=MACS, gateway_style='default_route')


def test_cloud_init_metadata_uses_the_vm_name():
    result = cloud_init_metadata({}, macs={'eth0': '00:50:56:00:00:07'}, instance_id='app01', vm_name='app01')
    assert result['hostname'] == result['local-hostname'] == 'app01'


def test_cloud_init_metadata_needs_an_instance_id():
    assert error_of(cloud_init_metadata, SPEC, macs=MACS).startswith('instance_id is required')
    assert error_of(cloud_init_metadata, SPEC, macs=MACS, instance_id=' ') == "instance_id: ' ' must be a non-empty string"


def test_cloud_init_metadata_needs_macs():
    assert 'interfaces eth0, eth1 have no MAC address' in error_of(cloud_init_metadata, SPEC, instance_id='i-1')


def test_cloud_init_metadata_rejects_a_single_key_string():
    assert error_of(cloud_init_metadata, SPEC, macs=MACS, instance_id='i-1', ssh_authorized_keys='ssh-ed25519 AAAA') == (
        'ssh_authorized_keys: must be a list of keys, not a single string')


def test_cloud_init_metadata_rejects_a_non_bool_wait():
    assert 'wait_on_network6' in error_of(cloud_init_metadata, SPEC, macs=MACS, instance_id='i-1', wait_on_network6='yes')


# --------------------------------------------------------------------------- guestinfo

def decode(value):
    return gzip.decompress(base64.b64decode(value)).decode('utf-8')


def test_guestinfo_of_metadata_and_cloud_config():
    metadata = cloud_init_metadata(SPEC, macs=MACS, instance_id='i-1')
    result = guestinfo(metadata, userdata={'packages': ['nginx']})
    assert result == _cloudinit.guestinfo(metadata, _cloudinit.render_userdata(cloud_config={'packages': ['nginx']}))
    assert json.loads(decode(result['guestinfo.metadata'])) == metadata
    assert decode(result['guestinfo.userdata']) == '#cloud-config\n{\n  "packages": [\n    "nginx"\n  ]\n}\n'
    assert result['guestinfo.metadata.encoding'] == result['guestinfo.userdata.encoding'] == 'gzip+base64'
    assert result == guestinfo(metadata, userdata={'packages': ['nginx']})   # deterministic
    assert_native(result)


def test_guestinfo_without_userdata():
    assert sorted(guestinfo('instance-id: i-1\n')) == ['guestinfo.metadata', 'guestinfo.metadata.encoding']
    assert sorted(guestinfo('instance-id: i-1\n', userdata={})) == ['guestinfo.metadata', 'guestinfo.metadata.encoding']
    assert sorted(guestinfo('instance-id: i-1\n', userdata='  \n')) == ['guestinfo.metadata', 'guestinfo.metadata.encoding']


def test_guestinfo_does_not_encode_userdata_twice():
    script = '#!/bin/sh\necho booted\n'
    encoded = _cloudinit.encode_gzip_base64(script)
    assert guestinfo('instance-id: i-1\n', userdata=encoded) == guestinfo('instance-id: i-1\n', userdata=script)
    assert decode(guestinfo('instance-id: i-1\n', userdata=encoded)['guestinfo.userdata']) == script


def test_guestinfo_bad_input():
    assert error_of(guestinfo, {}) == 'metadata: must be a non-empty mapping or string'
    assert error_of(guestinfo, 'instance-id: i-1\n', userdata=['x']) == 'userdata: must be a cloud-config mapping or user-data text, not list'


def test_guestinfo_never_shows_userdata_in_errors():
    message = error_of(guestinfo, 'instance-id: i-1\n', userdata={'chpasswd': {'users': [{'name': 'root', 'password': float('nan')}]}})
    assert 'cloud_config.chpasswd.users[0].password' in message and 'nan' not in message


# --------------------------------------------------------------------------- gosc

LINUX_SPEC = dict(SPEC, interfaces=[{'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'}, {'name': 'eth1', 'dhcp4': True}])


def test_gosc_linux_prep_is_the_cores_render():
    result = gosc(LINUX_SPEC, 'linux_prep', macs=MACS, options={'time_zone': 'Europe/Berlin'})
    assert result == _gosc.render_linux_prep(core(LINUX_SPEC, provider='linux_prep'), time_zone='Europe/Berlin')
    assert result['identity']['_type'] == 'vim.vm.customization.LinuxPrep'
    assert_native(result)


def test_gosc_sysprep_with_options():
    options = {'password': 'S3cret!', 'domain_admin': 'joiner@example.com', 'domain_admin_password': 'J0in!', 'time_zone': 110,
               'run_once': ['cmd /c echo hi']}
    result = gosc(LINUX_SPEC, provider='sysprep', macs=MACS, options=options)
    assert result == _gosc.render_sysprep(core(LINUX_SPEC, provider='sysprep'), **options)
    assert result['identity']['identification']['joinDomain'] == 'example.com'
    assert _gosc.secrets(result) == ['S3cret!', 'J0in!']


def test_gosc_null_options_are_unset():
    assert gosc(LINUX_SPEC, 'sysprep', macs=MACS, options={'full_name': None, 'product_id': None}) == gosc(LINUX_SPEC, 'sysprep', macs=MACS)


def test_gosc_unknown_option_lists_the_valid_ones():
    assert error_of(gosc, LINUX_SPEC, 'linux_prep', macs=MACS, options={'timezone': 'UTC'}) == (
        'options.timezone: is not a linux_prep option; valid options: hardware_clock_is_utc, no_ipv4, script_text, time_zone')
    message = error_of(gosc, LINUX_SPEC, 'sysprep', macs=MACS, options={'time_zone_name': 'UTC'})
    assert 'valid options: auto_logon, auto_logon_count, domain_admin,' in message


def test_gosc_options_must_be_a_mapping():
    assert error_of(gosc, LINUX_SPEC, 'linux_prep', macs=MACS, options='UTC') == 'options: must be a mapping of linux_prep options, not str'


@pytest.mark.parametrize('provider', [None, 'cloud_init', 'LinuxPrep'])
def test_gosc_needs_a_gosc_provider(provider):
    assert 'is not a guest OS customization provider; use one of linux_prep, sysprep' in error_of(gosc, LINUX_SPEC, provider, macs=MACS)


def test_gosc_validates_for_the_provider():
    spec = copy.deepcopy(LINUX_SPEC)
    spec['interfaces'][0]['addresses'].append('10.0.0.11/24')
    assert error_of(gosc, spec, 'linux_prep', macs=MACS).startswith(
        'network.interfaces[0].addresses[1]: 10.0.0.11/24 is a second IPv4 address; linux_prep')


def test_gosc_needs_macs():
    message = error_of(gosc, LINUX_SPEC, 'sysprep', macs={'eth1': '00:50:56:00:00:02'})
    assert message.startswith('interface eth0 has no MAC address, and GOSC maps the settings to each network adapter by MAC address')


def test_gosc_errors_never_show_a_password():
    message = error_of(gosc, LINUX_SPEC, 'sysprep', macs=MACS, options={'password': 'S3cret!', 'join_workgroup': 'WG', 'domain_admin': 'x'})
    assert 'S3cret!' not in message and 'mutually exclusive' in message
    assert error_of(gosc, LINUX_SPEC, 'sysprep', macs=MACS, options={'password': 12345}) == 'password must be of type str, got int'


def test_gosc_without_a_host_name_reports_every_other_problem_too():
    """Before: the missing host name hid the bad route and the second IPv4 address."""
    spec = {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24', '10.0.0.11/24'], 'gateway4': '10.0.0.1',
                            'routes': [{'to': '172.16.0.0/12', 'via': 'router'}]}]}
    message = error_of(gosc, spec, 'linux_prep', macs={'eth0': '00:50:56:00:00:01'})
    assert message.startswith('4 errors: (1) network.host_name is not set and no vm_name was given: ')
    assert "(2) network.interfaces[0].routes: [{'to': '172.16.0.0/12', 'via': 'router'}] is not supported by linux_prep" in message
    assert '(3) network.interfaces[0].addresses[1]: 10.0.0.11/24 is a second IPv4 address; linux_prep' in message
    assert message.endswith('(4) network.interfaces[0].routes[0].via: router is not an IP address')


@pytest.mark.parametrize('provider', ['linux_prep', 'sysprep'])
def test_gosc_refuses_a_vm_name_that_cannot_be_a_host_name(provider):
    message = error_of(gosc, {}, provider, macs={'eth0': '00:50:56:00:00:01'}, vm_name='DC0_H0_VM0')
    assert message.startswith('network.host_name: DC0_H0_VM0 is not a valid host name: ')
    assert message.endswith('%s writes it into the guest: set network.host_name to a valid name' % provider)


def test_gosc_needs_a_host_name():
    assert 'network.host_name is not set' in error_of(gosc, {}, 'linux_prep', macs={'eth0': '00:50:56:00:00:01'})
    assert gosc({}, 'linux_prep', macs={'eth0': '00:50:56:00:00:01'}, vm_name='db01')['identity']['hostName']['name'] == 'db01'


# --------------------------------------------------------------------------- from_vm_operator

@pytest.mark.parametrize('version', ['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1alpha4', 'v1alpha5'])
def test_from_vm_operator_reads_every_version(version):
    with open(os.path.join(VMOPERATOR_FIXTURES, version + '.yaml'), encoding='utf-8') as stream:
        fixture = yaml.safe_load(stream)
    result = from_vm_operator(fixture['manifest'])
    assert result == fixture['expected']
    assert_native(result)


def test_from_vm_operator_output_feeds_the_other_filters():
    with open(os.path.join(VMOPERATOR_FIXTURES, 'v1alpha5.yaml'), encoding='utf-8') as stream:
        manifest = yaml.safe_load(stream)['manifest']
    options = from_vm_operator(manifest)
    config = network_config(options['network'], vm_name=options['name'], provider=options['bootstrap']['provider'],
                            macs={'eth1': '00:50:56:00:00:0b'})
    assert [iface['mac_address'] for iface in config['interfaces']] == ['00:50:56:00:00:0a', '00:50:56:00:00:0b']


def test_from_vm_operator_errors():
    assert error_of(from_vm_operator, 'apiVersion: v1') == ('manifest: must be a VirtualMachine resource (a mapping), not text; '
                                                            'parse YAML text with ansible.builtin.from_yaml first')
    assert error_of(from_vm_operator, {'apiVersion': 'v1', 'kind': 'VirtualMachine'}).startswith('manifest.apiVersion: v1 is not supported')
    manifest = {'apiVersion': 'vmoperator.vmware.com/v1alpha3', 'kind': 'VirtualMachine', 'metadata': {'name': 'vm01'},
                'spec': {'network': {'interfaces': [{'name': 'eth0', 'gateway4': '10.0.0.1'}]}}}
    assert error_of(from_vm_operator, manifest) == 'manifest.spec.network.interfaces[0].gateway4: 10.0.0.1 needs an IPv4 address in ' \
                                                   'manifest.spec.network.interfaces[0].addresses'


# --------------------------------------------------------------------------- the wrapper

def test_misspelt_arguments_show_the_usage():
    assert error_of(netplan, SPEC, mac=MACS) == (
        "got an unexpected keyword argument 'mac'; usage: spec | guestnet.vsphere.netplan(macs, gateway_style)")
    assert 'usage: spec | guestnet.vsphere.gosc(provider, macs, options, vm_name)' in error_of(gosc, SPEC, 'sysprep', MACS, {}, 'x', 'y')


def test_errors_do_not_chain_the_cores_exception():
    with pytest.raises(AnsibleFilterError) as info:
        netplan(SPEC)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_filters_do_not_change_their_input():
    spec, macs = copy.deepcopy(CAMEL_SPEC), copy.deepcopy(MACS)
    netplan(spec, macs=macs)
    gosc(LINUX_SPEC, 'sysprep', macs=macs, options={'password': 'x'})
    assert spec == CAMEL_SPEC and macs == MACS
