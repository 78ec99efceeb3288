# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of _vmoperator: one manifest per API version, and the errors."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import copy
import os

import pytest
import yaml

from ansible_collections.guestnet.vsphere.plugins.module_utils._bootstrap import provider_options
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import CLOUD_INIT, SpecError, SpecErrors
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmoperator import from_vm_operator, manifest_options, snake_case

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'vmoperator')
VERSIONS = ['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1alpha4', 'v1alpha5']


def load(version):
    with open(os.path.join(FIXTURES, version + '.yaml'), encoding='utf-8') as stream:
        return yaml.safe_load(stream)


def minimal(**spec):
    return {'apiVersion': 'vmoperator.vmware.com/v1alpha5', 'kind': 'VirtualMachine', 'metadata': {'name': 'vm01'}, 'spec': spec}


def error_of(manifest) -> str:
    with pytest.raises(SpecError) as info:
        from_vm_operator(manifest)
    return str(info.value)


@pytest.mark.parametrize('version', VERSIONS)
def test_manifest_per_api_version(version):
    fixture = load(version)
    assert from_vm_operator(fixture['manifest']) == fixture['expected']


@pytest.mark.parametrize('version', VERSIONS)
def test_converted_network_parses_and_resolves(version):
    result = from_vm_operator(load(version)['manifest'])
    provider = result.get('bootstrap', {}).get('provider')
    net = resolve(parse_network_spec(result['network']), vm_name=result['name'], provider=provider)
    assert net.interfaces


def test_manifest_is_not_modified():
    manifest = load('v1alpha2')['manifest']
    before = copy.deepcopy(manifest)
    from_vm_operator(manifest)
    assert manifest == before


def test_v1alpha6_is_read_like_v1alpha5():
    manifest = dict(load('v1alpha5')['manifest'], apiVersion='vmoperator.vmware.com/v1alpha6')
    assert from_vm_operator(manifest) == load('v1alpha5')['expected']


@pytest.mark.parametrize('api_version', ['vmoperator.vmware.com/v1alpha0', 'vmoperator.vmware.com/v1', 'apps/v1', None])
def test_unknown_api_version(api_version):
    message = error_of(dict(minimal(), apiVersion=api_version))
    assert message.startswith('manifest.apiVersion: %s is not supported; supported: vmoperator.vmware.com/v1alpha1,'
                              % (api_version or "''"))


def test_wrong_kind():
    assert error_of(dict(minimal(), kind='VirtualMachineClass')) == 'manifest.kind: VirtualMachineClass is not VirtualMachine'


def test_not_a_mapping():
    assert error_of(['VirtualMachine']) == 'manifest: list must be a mapping (a VirtualMachine resource)'


def test_empty_spec_gives_an_empty_network():
    assert from_vm_operator(minimal()) == {'name': 'vm01', 'network': {}}


def test_network_errors_name_the_manifest_path():
    manifest = minimal(network={'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10']}]})
    assert error_of(manifest).startswith('manifest.spec.network.interfaces[0].addresses[0]: 10.0.0.10 has no prefix length')


def test_unknown_network_key():
    manifest = minimal(network={'interfaces': [{'name': 'eth0'}], 'vlans': [{'name': 'vlan10', 'id': 10, 'link': 'eth0'}]})
    assert error_of(manifest).startswith('manifest.spec.network: vlans is not a valid key')


def test_network_is_validated_against_the_bootstrap_provider():
    manifest = minimal(bootstrap={'linuxPrep': {}}, network={'interfaces': [{'name': 'eth0', 'mtu': 9000}]})
    assert error_of(manifest) == 'manifest.spec.network.interfaces[0].mtu: 9000 is not supported by linux_prep; supported by: cloud_init'


def test_windows_guest_limits_the_host_name():
    manifest = minimal(guestID='windows2019srv_64Guest', network={'hostName': 'a-very-long-hostname'})
    assert error_of(manifest).startswith('manifest.spec.network.host_name: a-very-long-hostname is longer than 15 characters')


def test_vm_name_stands_in_for_the_host_name():
    manifest = dict(minimal(), metadata={'name': 'web.example'})
    # VM Operator's webhook judges metadata.name as the host name whatever the bootstrap.
    assert error_of(manifest) == (
        'manifest.spec.network.host_name: web.example is not a valid host name: use letters, digits and hyphens, not starting or '
        'ending with a hyphen (RFC 1123 label; no dots or underscores); it is the VM name, used because host_name is not set, and '
        'VM Operator checks it as the host name: set manifest.spec.network.host_name to a valid name')


@pytest.mark.parametrize('bootstrap, message', [
    ({'cloudInit': {}, 'linuxPrep': {}}, 'manifest.spec.bootstrap.cloudInit: cloudInit cannot be combined with linuxPrep'),
    ({'cloudInit': {}, 'vAppConfig': {}}, 'manifest.spec.bootstrap.cloudInit: cloudInit cannot be combined with vAppConfig'),
    ({'linuxPrep': {}, 'sysprep': {'rawSysprep': {'name': 'x'}}}, 'manifest.spec.bootstrap.linuxPrep: linuxPrep cannot be combined with sysprep'),
    ({'sysprep': {}}, 'manifest.spec.bootstrap.sysprep: {} needs one of sysprep or rawSysprep'),
    ({'sysprep': {'sysprep': {}, 'rawSysprep': {'name': 'x'}}},
     'manifest.spec.bootstrap.sysprep.rawSysprep: rawSysprep cannot be combined with sysprep; give one'),
    ({'cloudInit': {'cloudConfig': {}, 'rawCloudConfig': {'name': 'x'}}},
     'manifest.spec.bootstrap.cloudInit.rawCloudConfig: rawCloudConfig cannot be combined with cloudConfig; give one'),
    ({'vAppConfig': {'properties': [{'key': 'a', 'value': {'value': 'b'}}], 'rawProperties': 'x'}},
     'manifest.spec.bootstrap.vAppConfig.rawProperties: rawProperties cannot be combined with properties; give one'),
    ({'vAppConfig': {'properties': [{'key': 'a', 'value': {}}]}},
     'manifest.spec.bootstrap.vAppConfig.properties[0].value: {} needs one of value or from'),
    ({'vAppConfig': {'properties': [{'value': {'value': 'b'}}]}}, "manifest.spec.bootstrap.vAppConfig.properties[0].key: '' is missing"),
    ({'ignition': {}}, 'manifest.spec.bootstrap: ignition is not a bootstrap provider; valid: cloudInit, sysprep, linuxPrep, vAppConfig'),
    ({'cloudInit': {'rawCloudConfig': {'name': 'x', 'key': 'y', 'optional': True}}},
     'manifest.spec.bootstrap.cloudInit.rawCloudConfig: {...} must be a Secret reference {name, key}'),
])
def test_bootstrap_errors(bootstrap, message):
    assert error_of(minimal(bootstrap=bootstrap)) == message


def test_vapp_config_alone_with_raw_properties():
    result = from_vm_operator(minimal(bootstrap={'vAppConfig': {'rawProperties': 'vm01-ovf'}}))
    assert result['bootstrap'] == {'provider': 'vapp_config', 'vapp_config': {'raw_properties': {'secret_name': 'vm01-ovf'}}}


def test_sysprep_raw_and_script_text():
    bootstrap = {'sysprep': {'rawSysprep': {'name': 'unattend-xml', 'key': 'unattend'}}, 'vAppConfig': {'rawProperties': 'props'}}
    result = from_vm_operator(minimal(bootstrap=bootstrap))
    assert result['bootstrap'] == {'provider': 'sysprep', 'sysprep': {'raw_sysprep': {'secret_name': 'unattend-xml', 'key': 'unattend'}},
                                   'vapp_config': {'raw_properties': {'secret_name': 'props'}}}
    script = {'sysprep': {'sysprep': {'scriptText': {'from': {'name': 'scripts', 'key': 'pre'}}}}}
    assert from_vm_operator(minimal(bootstrap=script))['bootstrap']['sysprep'] == {
        'sysprep': {'script_text': {'secret_name': 'scripts', 'key': 'pre'}}}


def test_linux_prep_password_selector():
    bootstrap = {'linuxPrep': {'password': {'password': {'name': 'root-pw', 'key': 'password'}, 'plainText': True},
                               'expirePasswordAfterNextLogin': True}}
    assert from_vm_operator(minimal(bootstrap=bootstrap))['bootstrap'] == {'provider': 'linux_prep', 'linux_prep': {
        'password': {'password': {'secret_name': 'root-pw', 'key': 'password'}, 'plain_text': True},
        'expire_password_after_next_login': True}}


def test_empty_cloud_init_means_cloud_init():
    assert from_vm_operator(minimal(bootstrap={'cloudInit': {}}))['bootstrap'] == {'provider': 'cloud_init', 'cloud_init': {}}


def test_secrets_never_reach_messages():
    bootstrap = {'cloudInit': {'rawCloudConfig': {'name': 's3cr3t-name', 'key': 'k', 'value': 'hunter2'}}}
    message = error_of(minimal(bootstrap=bootstrap))
    assert 'hunter2' not in message


@pytest.mark.parametrize('transport, object_field, bootstrap', [
    ('CloudInit', 'secretName', {'provider': 'cloud_init', 'cloud_init': {'raw_cloud_config': {'secret_name': 'md', 'key': 'user-data'}}}),
    ('ExtraConfig', 'secretName',
     {'provider': 'cloud_init', 'cloud_init': {'raw_cloud_config': {'secret_name': 'md', 'key': 'guestinfo.userdata'}}}),
    ('Sysprep', 'secretName', {'provider': 'sysprep', 'sysprep': {'raw_sysprep': {'secret_name': 'md', 'key': 'unattend'}}}),
    ('OvfEnv', 'configMapName', {'provider': 'linux_prep', 'linux_prep': {'hardware_clock_is_utc': True},
                                 'vapp_config': {'raw_properties': {'config_map_name': 'md'}}}),
    ('vAppConfig', 'configMapName', {'provider': 'vapp_config', 'vapp_config': {'raw_properties': {'config_map_name': 'md'}}}),
])
def test_v1alpha1_transports(transport, object_field, bootstrap):
    manifest = dict(minimal(vmMetadata={'transport': transport, object_field: 'md'}), apiVersion='vmoperator.vmware.com/v1alpha1')
    assert from_vm_operator(manifest)['bootstrap'] == bootstrap


def test_v1alpha1_unknown_transport():
    manifest = dict(minimal(vmMetadata={'transport': 'Ignition'}), apiVersion='vmoperator.vmware.com/v1alpha1')
    assert error_of(manifest) == 'manifest.spec.vmMetadata.transport: Ignition is not one of CloudInit, ExtraConfig, Sysprep, OvfEnv, vAppConfig'


def test_v1alpha1_bad_adapter_type():
    manifest = dict(minimal(networkInterfaces=[{'networkName': 'n', 'ethernetCardType': 'rtl8139'}]), apiVersion='vmoperator.vmware.com/v1alpha1')
    assert error_of(manifest).startswith('manifest.spec.network.interfaces[0].adapter_type: rtl8139 is not a network adapter type')


@pytest.mark.parametrize('field, value, expected_key, expected', [
    ('powerState', 'PoweredOff', 'power_state', 'powered_off'),
    ('powerState', 'suspended', 'power_state', 'suspended'),
    ('powerOffMode', 'TrySoft', 'power_off_mode', 'try_soft'),
    ('suspendMode', 'Hard', 'suspend_mode', 'hard'),
    ('restartMode', 'Soft', 'restart_mode', 'soft'),
])
def test_power_fields(field, value, expected_key, expected):
    assert from_vm_operator(minimal(**{field: value}))[expected_key] == expected


@pytest.mark.parametrize('field, value, message', [
    ('powerState', 'Rebooting', 'manifest.spec.powerState: Rebooting is not one of PoweredOn, PoweredOff, Suspended'),
    ('restartMode', 'Gentle', 'manifest.spec.restartMode: Gentle is not one of Hard, Soft, TrySoft'),
])
def test_bad_power_fields(field, value, message):
    assert error_of(minimal(**{field: value})) == message


@pytest.mark.parametrize('name, expected', [
    ('hardwareClockIsUTC', 'hardware_clock_is_utc'), ('instanceID', 'instance_id'), ('waitOnNetwork4', 'wait_on_network4'),
    ('domainOU', 'domain_ou'), ('TrySoft', 'try_soft'), ('ssh_pwauth', 'ssh_pwauth'),
    ('useGlobalNameserversAsDefault', 'use_global_nameservers_as_default'),
])
def test_snake_case(name, expected):
    assert snake_case(name) == expected


# --------------------------------------------------------------------------- the webhook's rules, every problem at once

def test_every_problem_of_a_manifest_at_once():
    manifest = minimal(powerState='Rebooting', restartMode='Gentle', bootstrap={'linuxPrep': {}, 'sysprep': {'rawSysprep': {'name': 'x'}}},
                       network={'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10']}, {'name': 'eth1', 'mtu': 67}]})
    with pytest.raises(SpecErrors) as info:
        from_vm_operator(manifest)
    assert [error.path for error in info.value.errors] == [
        'manifest.spec.bootstrap.linuxPrep', 'manifest.spec.network.interfaces[0].addresses[0]', 'manifest.spec.network.interfaces[1].mtu',
        'manifest.spec.powerState', 'manifest.spec.restartMode']


@pytest.mark.parametrize('field, values, option', [
    ('nameservers', ['10.0.0.53'], 'useGlobalNameserversAsDefault'),
    ('searchDomains', ['example.com'], 'useGlobalSearchDomainsAsDefault'),
])
def test_global_dns_with_use_global_false_is_refused(field, values, option):
    """Before, the DNS silently disappeared from the netplan."""
    network = {field: values, 'interfaces': [{'name': 'eth0', 'dhcp4': True}]}
    message = error_of(minimal(bootstrap={'cloudInit': {option: False}}, network=network))
    key = 'nameservers' if field == 'nameservers' else 'search_domains'
    assert message.startswith("manifest.spec.network.%s: %s would reach no interface: use_global_%s_as_default is false" % (key, values, key))
    # Accepted with the default (true), with per-interface DNS instead, or with LinuxPrep.
    assert from_vm_operator(minimal(bootstrap={'cloudInit': {option: True}}, network=network))['network'][key] == values
    per_interface = {'interfaces': [{'name': 'eth0', 'dhcp4': True, field: values}]}
    assert from_vm_operator(minimal(bootstrap={'cloudInit': {option: False}}, network=per_interface))
    assert from_vm_operator(minimal(bootstrap={'linuxPrep': {}}, network=network))['network'][key] == values


def test_guest_device_name_without_a_cloud_init_bootstrap_is_refused():
    network = {'interfaces': [{'name': 'eth0', 'guestDeviceName': 'ens192', 'dhcp4': True}]}
    assert error_of(minimal(network=network)) == (
        'manifest.spec.network.interfaces[0].guest_device_name: ens192 needs a bootstrap provider that takes it into the guest '
        '(supported by: cloud_init), and there is none; nothing would rename the NIC')
    assert error_of(minimal(bootstrap={'linuxPrep': {}}, network=network)) == (
        'manifest.spec.network.interfaces[0].guest_device_name: ens192 is not supported by linux_prep; supported by: cloud_init')
    converted = from_vm_operator(minimal(bootstrap={'cloudInit': {}}, network=network))
    assert converted['network']['interfaces'][0]['guest_device_name'] == 'ens192'


def test_without_a_bootstrap_only_what_touches_the_nics_is_taken():
    """VM Operator's webhook refuses the other fields when spec.bootstrap is empty: nothing would take them into the guest."""
    network = {'nameservers': ['10.0.0.53'], 'interfaces': [
        {'name': 'eth0', 'network': {'name': 'DC0_DVPG0'}, 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1', 'mtu': 9000,
         'routes': [{'to': '10.9.0.0/16', 'via': '10.0.0.254'}], 'nameservers': ['10.0.0.54'], 'searchDomains': ['example.com']}]}
    with pytest.raises(SpecErrors) as info:
        from_vm_operator(minimal(network=network))
    assert [error.path for error in info.value.errors] == ['manifest.spec.network.nameservers'] + [
        'manifest.spec.network.interfaces[0].%s' % key for key in ('nameservers', 'search_domains', 'routes', 'mtu')]
    assert 'nothing would configure these DNS servers' in str(info.value)
    for key in ('nameservers', 'routes', 'mtu', 'searchDomains'):
        del network['interfaces'][0][key]
    del network['nameservers']
    assert from_vm_operator(minimal(network=network))['network']['interfaces'][0]['addresses'] == ['10.0.0.10/24']


def test_cloud_config_inactive_is_a_string_as_cloud_init_types_it():
    """VM Operator's API has inactive as int32 and writes it as a string; cloud-init drops a number silently."""
    bootstrap = {'cloudInit': {'cloudConfig': {'users': [{'name': 'ops', 'inactive': 30, 'expiredate': '2030-01-01'}]}}}
    users = from_vm_operator(minimal(bootstrap=bootstrap))['bootstrap']['cloud_init']['cloud_config']['users']
    assert users == [{'name': 'ops', 'inactive': '30', 'expiredate': '2030-01-01'}]
    bootstrap['cloudInit']['cloudConfig']['users'][0]['inactive'] = True
    assert error_of(minimal(bootstrap=bootstrap)) == (
        'manifest.spec.bootstrap.cloudInit.cloudConfig.users[0].inactive: True must be a number of days (cloud-init takes it as a '
        'string, such as "30")')


def test_manifest_options_map_wait_on_network_and_name_what_the_vm_module_leaves_out():
    """The vm module takes cloud_init.wait_on_network (the filter's keywords are wait_on_network4/6), and says which
    manifest fields it does not use instead of dropping them silently."""
    options = manifest_options(load('v1alpha5')['manifest'], classes={'guaranteed-medium': {'cpus': 2, 'memory': '4Gi'}},
                               claims={'web01-data': {'size': '10Gi'}})
    cloud_init = options['bootstrap'][CLOUD_INIT]
    assert cloud_init['wait_on_network'] == {'ipv4': True}
    assert 'wait_on_network4' not in cloud_init and 'wait_on_network6' not in cloud_init
    assert options['ignored'] == ['spec.storageClass', 'spec.minHardwareVersion']
    assert provider_options(CLOUD_INIT, {CLOUD_INIT: cloud_init})['wait_on_network'] == {'ipv4': True}
    # the filter keeps its own shape
    assert from_vm_operator(load('v1alpha5')['manifest'])['bootstrap']['cloud_init']['wait_on_network4'] is True


# -- spec.volumes: claims become disks ----------------------------------------------------------------------------------

def test_volumes_are_claims_with_their_controller():
    volumes = [{'name': 'data', 'persistentVolumeClaim': {'claimName': 'pvc-data', 'readOnly': False}},
               {'name': 'logs', 'persistentVolumeClaim': {
                   'claimName': 'pvc-logs', 'controllerType': 'NVME', 'controllerBusNumber': 1, 'unitNumber': 3, 'diskMode': 'Persistent'}},
               {'name': 'scratch', 'persistentVolumeClaim': {'claimName': 'pvc-scratch', 'controllerBusNumber': 2}}]
    result = from_vm_operator(minimal(volumes=volumes))
    assert result['volumes'] == [{'name': 'data', 'claim_name': 'pvc-data'},
                                 {'name': 'logs', 'claim_name': 'pvc-logs', 'controller': {'type': 'nvme', 'bus': 1}},
                                 {'name': 'scratch', 'claim_name': 'pvc-scratch', 'controller': {'type': 'pvscsi', 'bus': 2}}]
    assert result['ignored'] == ['spec.volumes[1].persistentVolumeClaim.unitNumber', 'spec.volumes[1].persistentVolumeClaim.diskMode']


def test_bad_volumes_in_a_manifest():
    volumes = [{'name': 'old', 'vsphereVolume': {'deviceKey': 2001}}, {'name': 'x', 'persistentVolumeClaim': {}},
               {'name': 'y', 'persistentVolumeClaim': {'claimName': 'c', 'controllerType': 'IDE'}}, 'z']
    with pytest.raises(SpecErrors) as info:
        from_vm_operator(minimal(volumes=volumes))
    assert [error.message for error in info.value.errors] == [
        'manifest.spec.volumes[0]: old is not a persistentVolumeClaim volume (it has vsphereVolume): only claims become disks here',
        "manifest.spec.volumes[1].persistentVolumeClaim.claimName: '' is missing",
        'manifest.spec.volumes[2].persistentVolumeClaim.controllerType: IDE is not one of SCSI, NVME, SATA (IDE disks are not made here)',
        'manifest.spec.volumes[3]: str must be a mapping',
    ]
    assert error_of(minimal(volumes={'name': 'data'})) == 'manifest.spec.volumes: dict must be a list'


def test_claims_give_size_and_storage_class():
    volumes = [{'name': 'data', 'persistentVolumeClaim': {'claimName': 'pvc-data', 'controllerType': 'SATA'}}]
    options = manifest_options(minimal(volumes=volumes), claims={'pvc-data': {'size': '20Gi', 'storage_class': 'fast'}})
    assert options['volumes'] == [{'name': 'data', 'size': '20Gi', 'storage_class': 'fast', 'controller': {'type': 'sata'}, '_paths': {
        'name': 'manifest.spec.volumes[0].name', 'size': 'claims.pvc-data.size', 'storage_class': 'claims.pvc-data.storage_class',
        'controller': 'manifest.spec.volumes[0].persistentVolumeClaim.controllerType', 'provisioning': 'manifest.spec.volumes[0]',
        'state': 'manifest.spec.volumes[0]'}}]
    # the caller's own volumes: the manifest's are not resolved
    assert 'volumes' not in manifest_options(minimal(volumes=volumes), volumes=False)


def test_claims_that_do_not_resolve():
    volumes = [{'name': 'a', 'persistentVolumeClaim': {'claimName': 'one'}}, {'name': 'b', 'persistentVolumeClaim': {'claimName': 'one'}},
               {'name': 'c', 'persistentVolumeClaim': {'claimName': 'two'}}, {'name': 'd', 'persistentVolumeClaim': {'claimName': 'three'}},
               {'name': 'e', 'persistentVolumeClaim': {'claimName': 'four'}}]
    with pytest.raises(SpecErrors) as info:
        manifest_options(minimal(volumes=volumes), claims={'one': {'size': 1}, 'two': '10Gi', 'three': {'size': 1, 'storageClassName': 'x'}})
    assert [error.message for error in info.value.errors] == [
        'manifest.spec.volumes[1].persistentVolumeClaim.claimName: one is claimed by manifest.spec.volumes[0] already: a claim is one disk',
        'claims.two: 10Gi must be a mapping with size and storage_class',
        'claims.three.storageClassName: x is not a claim field; fields: size, storage_class',
        'manifest.spec.volumes[4].persistentVolumeClaim.claimName: four is not a claim of claims (one, three, two)',
    ]
