# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vm_bootstrap's pure decisions: options, NIC matching, documents, the applied hash, the extraConfig diff."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import json
from typing import Any, Dict, Optional

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._bootstrap import (
    RECORD_HASH_KEY,
    RECORD_PROVIDER_KEY,
    applied_hash,
    check_capabilities,
    check_switch,
    check_vapp_request,
    cleared_guestinfo,
    current_cloud_init_documents,
    current_vapp_documents,
    decode_guestinfo,
    document_secrets,
    extra_config_diff,
    match_nics,
    provider_options,
    public_documents,
    read_record,
    record_values,
    render_documents,
    same_document,
    vapp_config_spec,
    vapp_edits,
    vapp_secret_values,
    vapp_values,
    wanted_guestinfo,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import ObservedNic
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import encode_gzip_base64
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._vapp import VappTemplateError
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

MAC1, MAC2, MAC3 = '00:50:56:80:00:01', '00:50:56:80:00:02', '00:50:56:80:00:03'
STATIC = {'host_name': 'web01', 'domain_name': 'example.com', 'nameservers': ['10.0.0.53'],
          'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'}]}


def nic(key: int, mac: str, network: Optional[str] = 'VM Network', external_id: Optional[str] = None) -> ObservedNic:
    return ObservedNic(key=key, adapter_type='vmxnet3', mac_address=mac, network=network and 'network-' + network,
                       network_name=network, switch='standard', external_id=external_id)


def resolved(spec: Dict[str, Any], provider: str, macs: Dict[str, str]) -> Any:
    return resolve(parse_network_spec(spec), vm_name='web01', provider=provider, macs=macs)


def documents(provider: str, spec: Optional[Dict[str, Any]] = None, **options: Any) -> Dict[str, Any]:
    spec = spec if spec is not None else STATIC
    full = provider_options(provider, {provider: options})
    return render_documents(provider, resolved(spec, provider, {'eth0': MAC1}), full, instance_id='iid-1')


# -- options --------------------------------------------------------------------------------------------------------

def test_provider_options_fill_defaults():
    assert provider_options('cloud_init', {})['use_global_nameservers_as_default'] is True
    assert provider_options('cloud_init', {'cloud_init': {'gateway_style': 'default_route', 'instance_id': None}})['gateway_style'] == 'default_route'
    assert provider_options('linux_prep', {'linux_prep': None})['hardware_clock_is_utc'] is True
    assert provider_options('sysprep', {'sysprep': {'password': 'x'}})['password'] == 'x'


def test_provider_options_errors():
    with pytest.raises(ValueError, match='^sysprep: is given, but provider is cloud_init; remove the sysprep options or set provider: sysprep$'):
        provider_options('cloud_init', {'cloud_init': {}, 'sysprep': {'password': 'x'}})
    with pytest.raises(ValueError, match='linux_prep.timezone: is not an option of linux_prep'):
        provider_options('linux_prep', {'linux_prep': {'timezone': 'UTC'}})
    with pytest.raises(ValueError, match='vapp_config.properties: is empty'):
        provider_options('vapp_config', {'vapp_config': {'properties': []}})
    with pytest.raises(SpecError, match='provider: ovf is not a bootstrap provider'):
        provider_options('ovf', {})


def test_provider_options_judge_the_sysprep_rules_before_vcenter_is_read():
    with pytest.raises(SpecError) as error:
        provider_options('sysprep', {'sysprep': {'auto_logon': True, 'join_workgroup': 'LAB', 'domain_admin': 'joiner',
                                                 'domain_admin_password': 'J0in!'}})
    assert str(error.value) == ('2 errors: (1) auto_logon needs password: Windows logs on as Administrator with it after customization, '
                                'and vSphere documents that the customization fails without one; set password, or auto_logon: false; '
                                '(2) join_workgroup and domain_admin and domain_admin_password are mutually exclusive: a VM joins a '
                                'workgroup or a domain')
    # network.domain_name is not known yet: a workgroup alone passes here (render_sysprep judges it with the network).
    assert provider_options('sysprep', {'sysprep': {'join_workgroup': 'LAB'}})['join_workgroup'] == 'LAB'
    assert provider_options('sysprep', {'sysprep': {'auto_logon': True, 'password': 'x'}})['auto_logon'] is True
    with pytest.raises(SpecError, match='^joining a domain needs domain_admin_password$'):
        provider_options('sysprep', {'sysprep': {'domain_admin': 'joiner'}})


def test_capabilities_name_the_supporting_providers():
    spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24'],
                                               'routes': [{'to': '10.1.0.0/16', 'via': '10.0.0.254'}]}]})
    check_capabilities(spec, 'cloud_init')
    with pytest.raises(SpecError, match=r"^network.interfaces\[0\].routes: \[\{'to': '10.1.0.0/16', 'via': '10.0.0.254'\}\] is not supported "
                                        r'by linux_prep; supported by: cloud_init$'):
        check_capabilities(spec, 'linux_prep')
    with pytest.raises(SpecError, match='network.host_name: averyveryverylonghost is longer than 15 characters'):
        check_capabilities(parse_network_spec({'host_name': 'averyveryverylonghost'}), 'sysprep')


def test_switching_providers_needs_force():
    check_switch(None, 'cloud_init', False, 'web01')
    check_switch('cloud_init', 'cloud_init', False, 'web01')
    check_switch('cloud_init', 'linux_prep', True, 'web01')
    with pytest.raises(ValueError, match='provider: linux_prep differs from cloud_init, the provider VM web01 was bootstrapped with'):
        check_switch('cloud_init', 'linux_prep', False, 'web01')


# -- NICs -----------------------------------------------------------------------------------------------------------

THREE = {'interfaces': [{'name': 'eth0', 'dhcp4': True}, {'name': 'eth1', 'dhcp4': True}, {'name': 'eth2', 'dhcp4': True}]}


def test_match_nics_in_device_order_by_mac_by_record_and_by_network():
    nics = [nic(4001, MAC2, 'PG-B'), nic(4000, MAC1, 'PG-A'), nic(4002, MAC3, 'PG-C')]
    assert match_nics(parse_network_spec(THREE), nics, provider='cloud_init', vm_name='web01') == {'eth0': MAC1, 'eth1': MAC2, 'eth2': MAC3}
    spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'network': 'PG-C', 'dhcp4': True}, {'name': 'eth1', 'mac_address': MAC1.upper()},
                                              {'name': 'eth2', 'dhcp4': True}]})
    recorded = [nic(4001, MAC2, 'PG-B', external_id='guestnet:eth2'), nic(4000, MAC1, 'PG-A'), nic(4002, MAC3, 'PG-C')]
    assert match_nics(spec, recorded, provider='linux_prep', vm_name='web01') == {'eth0': MAC3, 'eth1': MAC1, 'eth2': MAC2}
    # no interfaces: the default interface takes the first NIC
    assert match_nics(parse_network_spec({}), [nic(4000, MAC1)], provider='cloud_init', vm_name='web01') == {'eth0': MAC1}


def test_missing_nics_are_named():
    with pytest.raises(SpecError) as error:
        match_nics(parse_network_spec(THREE), [nic(4000, MAC1)], provider='cloud_init', vm_name='web01')
    assert str(error.value).startswith('network.interfaces: eth1, eth2 have no NIC on VM web01, which has 1 NIC: 00:50:56:80:00:01 (VM Network); '
                                       'add the missing NICs first (guestnet.vsphere.vm_network).')
    spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'dhcp4': True}, {'name': 'eth1', 'network': 'PG-B', 'dhcp4': True}]})
    with pytest.raises(SpecError, match=r'^network.interfaces: eth1 \(network PG-B\) has no NIC on VM web01, which has 2 NICs'):
        match_nics(spec, [nic(4000, MAC1, 'PG-A'), nic(4001, MAC2, 'PG-C')], provider='cloud_init', vm_name='web01')
    with pytest.raises(SpecError, match=r'eth0 \(MAC 00:50:56:80:00:09\) has no NIC'):
        match_nics(parse_network_spec({'interfaces': [{'name': 'eth0', 'mac_address': '00:50:56:80:00:09'}]}), [nic(4000, MAC1)],
                   provider='sysprep', vm_name='web01')


def test_gosc_needs_an_interface_for_every_nic_cloud_init_does_not():
    nics = [nic(4000, MAC1), nic(4001, MAC2, 'PG-B')]
    spec = parse_network_spec(STATIC)
    assert match_nics(spec, nics, provider='cloud_init', vm_name='web01') == {'eth0': MAC1}
    with pytest.raises(SpecError, match=r'^network.interfaces: eth0 covers only 1 of the 2 NICs of VM web01, and sysprep sets every NIC: '
                                        r'00:50:56:80:00:02 \(PG-B\) has no interface; add an interface for it or remove it'):
        match_nics(spec, nics, provider='sysprep', vm_name='web01')
    with pytest.raises(SpecError, match=r'^network.disabled: True leaves 00:50:56:80:00:01 \(VM Network\) of VM web01 without settings, '
                                        r'and linux_prep sets every NIC: remove it first'):
        match_nics(parse_network_spec({'disabled': True}), [nic(4000, MAC1)], provider='linux_prep', vm_name='web01')
    # vApp properties map what they can
    assert match_nics(parse_network_spec(THREE), [nic(4000, MAC1)], provider='vapp_config', vm_name='web01') == {'eth0': MAC1}


# -- documents, secrets, hash ---------------------------------------------------------------------------------------

def test_cloud_init_documents():
    docs = documents('cloud_init', cloud_config={'runcmd': ['echo token-123']}, ssh_authorized_keys=['ssh-ed25519 AAAA ops'],
                     wait_on_network={'ipv4': True, 'ipv6': None})
    assert docs['metadata']['instance-id'] == 'iid-1' and docs['metadata']['local-hostname'] == 'web01.example.com'
    assert docs['metadata']['wait-on-network'] == {'ipv4': True, 'ipv6': False}
    assert docs['metadata']['network']['ethernets']['eth0']['match'] == {'macaddress': MAC1}
    assert docs['userdata'] == {'_secret': True, 'value': '#cloud-config\n{\n  "runcmd": [\n    "echo token-123"\n  ]\n}\n'}
    public = public_documents('cloud_init', docs)
    assert public['userdata'] == '********' and public['netplan'] == docs['metadata']['network']
    assert 'token-123' not in json.dumps(public)
    assert document_secrets(docs) == [docs['userdata']['value']]
    assert documents('cloud_init', instance_id='custom')['metadata']['instance-id'] == 'custom'
    assert documents('cloud_init')['userdata'] is None


def test_gosc_documents_are_redacted():
    docs = documents('sysprep', password='Adm1n-Pa55', domain_admin='join', domain_admin_password='J0in-Pa55', run_once=['cmd /c x'])
    public = public_documents('sysprep', docs)
    text = json.dumps(public)
    assert 'Adm1n-Pa55' not in text and 'J0in-Pa55' not in text and text.count('********') == 2
    assert public['spec']['identity']['identification']['joinDomain'] == 'example.com'
    assert document_secrets(docs) == ['Adm1n-Pa55', 'J0in-Pa55']
    raw = documents('sysprep', raw_sysprep='<unattend>secret</unattend>')
    assert public_documents('sysprep', raw)['spec']['identity'] == {'_type': 'vim.vm.customization.SysprepText', 'value': '********'}
    linux = documents('linux_prep', time_zone='Europe/Berlin')
    assert linux['spec']['identity']['timeZone'] == 'Europe/Berlin' and document_secrets(linux) == []


def test_applied_hash():
    docs = documents('sysprep', password='Adm1n-Pa55')
    digest = applied_hash('sysprep', docs, 'uuid-1')
    assert digest.startswith('sha256:') and len(digest) == len('sha256:') + 64
    assert applied_hash('sysprep', documents('sysprep', password='Adm1n-Pa55'), 'uuid-1') == digest       # deterministic
    assert applied_hash('sysprep', documents('sysprep', password='Other-Pa55'), 'uuid-1') != digest       # a secret counts
    assert applied_hash('sysprep', docs, 'uuid-2') != digest                                             # salted per VM
    linux = documents('linux_prep')
    assert applied_hash('linux_prep', linux, 'uuid-1') == applied_hash('linux_prep', linux, 'uuid-2')    # no secret: no salt
    assert applied_hash('linux_prep', documents('linux_prep', time_zone='UTC'), 'uuid-1') != applied_hash('linux_prep', linux, 'uuid-1')
    changed = dict(STATIC, host_name='web02')
    assert applied_hash('cloud_init', documents('cloud_init', changed), 'u') != applied_hash('cloud_init', documents('cloud_init'), 'u')


# -- the record and the extraConfig diff ----------------------------------------------------------------------------

def test_record():
    assert read_record({}) == (None, None)
    values = record_values('cloud_init', 'sha256:ab')
    assert values == {RECORD_HASH_KEY: 'sha256:ab', RECORD_PROVIDER_KEY: 'cloud_init'}
    assert read_record(values) == ('cloud_init', 'sha256:ab')


def test_decode_guestinfo():
    assert decode_guestinfo(encode_gzip_base64('{"a": 1}'), 'gzip+base64') == '{"a": 1}'
    assert decode_guestinfo(base64.b64encode(b'text').decode(), 'base64') == 'text'
    assert decode_guestinfo('plain', None) == 'plain'
    assert decode_guestinfo('not base64!', 'gzip+base64') is None
    assert decode_guestinfo('x', 'rot13') is None
    assert decode_guestinfo('', None) is None and decode_guestinfo(None, 'base64') is None
    assert same_document('{"a": 1, "b": 2}', '{\n "b": 2,\n "a": 1\n}') and not same_document('{"a": 1}', '{"a": 2}')


def test_extra_config_diff_compares_decoded_content():
    docs = documents('cloud_init', raw_cloud_config='#cloud-config\n{}\n')
    wanted = dict(wanted_guestinfo(docs), **record_values('cloud_init', 'sha256:1'))
    first = extra_config_diff({}, wanted)
    assert sorted(first) == ['guestinfo.metadata', 'guestinfo.metadata.encoding', 'guestinfo.userdata', 'guestinfo.userdata.encoding',
                             RECORD_HASH_KEY, RECORD_PROVIDER_KEY]
    assert extra_config_diff(first, wanted) == {}
    assert sorted(extra_config_diff(first, wanted, force=True)) == sorted(first)
    # the same documents in another encoding (and other JSON whitespace) are current
    metadata = json.dumps(docs['metadata'])
    other = dict(first, **{'guestinfo.metadata': base64.b64encode(metadata.encode()).decode(), 'guestinfo.metadata.encoding': 'base64',
                           'guestinfo.userdata': '#cloud-config\n{}\n', 'guestinfo.userdata.encoding': ''})
    assert extra_config_diff(other, wanted) == {}
    # a changed document rewrites its pair; a changed record only the key that differs
    assert sorted(extra_config_diff(dict(first, **{'guestinfo.metadata': encode_gzip_base64('{}')}), wanted)) == [
        'guestinfo.metadata', 'guestinfo.metadata.encoding']
    assert extra_config_diff(dict(first, **{RECORD_HASH_KEY: 'sha256:0'}), wanted) == {RECORD_HASH_KEY: 'sha256:1'}
    # no user-data any more: the stale keys are removed
    no_userdata = dict(wanted_guestinfo(documents('cloud_init')), **record_values('cloud_init', 'sha256:1'))
    assert extra_config_diff(first, no_userdata) == {'guestinfo.userdata': '', 'guestinfo.userdata.encoding': ''}
    # switching away from cloud-init clears every guestinfo key that is set
    assert sorted(extra_config_diff(first, dict(cleared_guestinfo(), **record_values('cloud_init', 'sha256:1')))) == [
        'guestinfo.metadata', 'guestinfo.metadata.encoding', 'guestinfo.userdata', 'guestinfo.userdata.encoding']


def test_current_cloud_init_documents():
    assert current_cloud_init_documents({}) == {}
    current = {'guestinfo.metadata': encode_gzip_base64('{"network": {"version": 2}}'), 'guestinfo.metadata.encoding': 'gzip+base64',
               'guestinfo.userdata': encode_gzip_base64('secret'), 'guestinfo.userdata.encoding': 'gzip+base64'}
    assert current_cloud_init_documents(current) == {'metadata': {'network': {'version': 2}}, 'netplan': {'version': 2}, 'userdata': '********'}
    assert current_cloud_init_documents({'guestinfo.metadata': 'x', 'guestinfo.metadata.encoding': 'zip'}) == {
        'metadata': "(not decodable with encoding 'zip')"}


# -- vApp properties ------------------------------------------------------------------------------------------------

PROPS = [
    {'key': 0, 'id': 'hostname', 'type': 'string', 'user_configurable': True, 'value': ''},
    {'key': 1, 'id': 'ip0', 'type': 'ip', 'user_configurable': True, 'value': '10.0.0.5'},
    {'key': 2, 'id': 'debug', 'type': 'boolean', 'user_configurable': True, 'value': 'False'},
    {'key': 3, 'id': 'password', 'type': 'password', 'user_configurable': True, 'value': 'old-secret'},
    {'key': 4, 'id': 'fixed', 'type': 'string', 'user_configurable': False, 'value': 'x'},
]
REQUESTED = [{'key': 'hostname', 'value': 'app01'}, {'key': 'ip0', 'value': '10.0.0.5'}, {'key': 'debug', 'value': 'true'},
             {'key': 'password', 'value': 'new-secret'}]


def test_vapp_values_and_edits():
    values = vapp_values(REQUESTED, PROPS)
    assert values == [{'key': 'hostname', 'value': 'app01'}, {'key': 'ip0', 'value': '10.0.0.5'}, {'key': 'debug', 'value': 'True'},
                      {'key': 'password', 'value': 'new-secret', '_secret': True}]
    docs = {'properties': values}
    assert public_documents('vapp_config', docs)['properties'][3] == {'key': 'password', 'value': '********'}
    assert document_secrets(docs) == ['new-secret']
    assert [edit['info']['key'] for edit in vapp_edits(REQUESTED, PROPS)] == [0, 2, 3]            # ip0 is current
    assert [edit['info']['key'] for edit in vapp_edits(REQUESTED, PROPS, force=True)] == [0, 1, 2, 3]
    assert vapp_secret_values(REQUESTED, PROPS) == ['new-secret']
    assert current_vapp_documents(REQUESTED, PROPS)['properties'] == [
        {'key': 'hostname', 'value': ''}, {'key': 'ip0', 'value': '10.0.0.5'}, {'key': 'debug', 'value': 'False'},
        {'key': 'password', 'value': '********'}]


def test_vapp_errors():
    with pytest.raises(VappTemplateError, match=r"vapp property 'ipaddress' does not exist on the VM; its user-configurable properties are: "
                                                r'debug, hostname, ip0, password'):
        vapp_values([{'key': 'ipaddress', 'value': '1'}], PROPS)
    with pytest.raises(VappTemplateError, match="vapp property 'fixed' is not user-configurable"):
        vapp_values([{'key': 'fixed', 'value': '1'}], PROPS)
    with pytest.raises(VappTemplateError, match=r"vapp property 'ip0' \(type ip\): '10.0.0.300' is not an IP address"):
        vapp_values([{'key': 'ip0', 'value': '10.0.0.300'}], PROPS)
    with pytest.raises(VappTemplateError, match=r'vapp_config.properties\[0\]: expected \{key: <property id>, value: <value>\}'):
        check_vapp_request([{'key': 'hostname'}])


def test_vapp_config_spec_adds_the_guestinfo_transport():
    edits = vapp_edits(REQUESTED, PROPS)
    spec = vapp_config_spec(edits, ['iso'])
    assert spec['ovfEnvironmentTransport'] == ['iso', 'com.vmware.guestInfo'] and len(spec['property']) == 3
    assert 'ovfEnvironmentTransport' not in vapp_config_spec(edits, ['com.vmware.guestInfo'])
    assert vapp_config_spec([], ['com.vmware.guestInfo']) is None
    assert vapp_config_spec([], []) == {'_type': 'vim.vApp.VmConfigSpec', 'ovfEnvironmentTransport': ['com.vmware.guestInfo']}
