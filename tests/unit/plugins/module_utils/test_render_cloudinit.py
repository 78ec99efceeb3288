# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cloud-init renderer: metadata, user-data, gzip+base64 and the guestinfo extraConfig keys.

test_real_guest_tools.py also feeds this output to cloud-init's own VMware datasource.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import gzip
import json
import os

import pytest
import yaml

from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import (
    CLOUD_CONFIG_HEADER, GUESTINFO_KEYS, GZIP_BASE64, decode_gzip_base64, dump_metadata, encode_gzip_base64, guestinfo,
    render_metadata, render_userdata)
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._netplan import DEFAULT_ROUTE, render_netplan
from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._netfixtures import GOLDEN_DIR, UPDATE_GOLDEN, case

SECRET = 'hunter2-do-not-log'
KEYS = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example.com',
        'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@example.com')
# Strings a YAML parser reads differently from JSON unless they are escaped or quoted.
TRICKY_STRINGS = ('yes', 'on', 'no', '0755', '1e3', '~', 'null', '- item', 'key: value', '#not a comment', '{{ ds.meta_data.x }}',
                  'tab\tnew\nline', 'quote " backslash \\ slash /', 'h\u00e9llo', 'emoji \U0001F600', 'NEL \x85', 'LS \u2028 PS \u2029',
                  'DEL \x7f', 'C1 \x9b', 'bell \x07', 'BOM \ufeff', '')


def static_metadata(**options):
    return render_metadata(case('single_static').net, instance_id='iid-web01', **options)


# -- render_metadata --------------------------------------------------------------------------

def test_metadata_has_sorted_keys_fqdn_hostnames_and_the_netplan_embedded():
    metadata = static_metadata(ssh_authorized_keys=KEYS, wait_on_network4=True)
    assert metadata == {
        'hostname': 'web01.example.com',
        'instance-id': 'iid-web01',
        'local-hostname': 'web01.example.com',
        'network': render_netplan(case('single_static').net),
        'public-keys': KEYS[0] + '\n' + KEYS[1],
        'wait-on-network': {'ipv4': True, 'ipv6': False},
    }
    assert list(metadata) == sorted(metadata)


def test_metadata_hostname_without_domain_is_the_host_name():
    metadata = render_metadata(case('vmop_v2').net, instance_id='iid-1')
    assert (metadata['hostname'], metadata['local-hostname']) == ('web01', 'web01')


@pytest.mark.parametrize('case_name, fqdn', [('vmop_v1_spec', 'web01.example.com'), ('vmop_v2_spec', 'web01')])
def test_metadata_from_a_parsed_and_resolved_spec(case_name, fqdn):
    # vmop_v2_spec has no hostName: the resolver falls back to the VM name.
    metadata = render_metadata(case(case_name).net, instance_id='iid-1')
    assert (metadata['hostname'], metadata['local-hostname']) == (fqdn, fqdn)
    assert metadata['network'] == case(case_name).render()


def test_metadata_leaves_out_public_keys_and_wait_on_network_when_not_given():
    assert set(static_metadata()) == {'hostname', 'instance-id', 'local-hostname', 'network'}


def test_metadata_skips_blank_keys_and_strips_whitespace():
    assert static_metadata(ssh_authorized_keys=[' %s\n' % KEYS[0], '  '])['public-keys'] == KEYS[0]
    assert 'public-keys' not in static_metadata(ssh_authorized_keys=['', ' '])


def test_metadata_passes_the_gateway_style_to_the_netplan():
    metadata = render_metadata(case('default_route_style').net, instance_id='iid-1', gateway_style=DEFAULT_ROUTE)
    assert metadata['network'] == render_netplan(case('default_route_style').net, DEFAULT_ROUTE)
    with pytest.raises(ValueError, match='gateway_style'):
        render_metadata(case('default_route_style').net, instance_id='iid-1', gateway_style='bogus')


def test_metadata_network_of_a_disabled_network_has_no_ethernets():
    assert render_metadata(case('disabled').net, instance_id='iid-1')['network'] == {'ethernets': {}, 'version': 2}


@pytest.mark.parametrize('wait4, wait6', [(True, None), (None, True), (False, False), (True, True)])
def test_wait_on_network_writes_both_families_when_either_is_set(wait4, wait6):
    metadata = static_metadata(wait_on_network4=wait4, wait_on_network6=wait6)
    assert metadata['wait-on-network'] == {'ipv4': bool(wait4), 'ipv6': bool(wait6)}


@pytest.mark.parametrize('instance_id', ['', '   ', None, 42])
def test_instance_id_must_be_a_non_empty_string(instance_id):
    with pytest.raises(ValueError, match='instance_id: '):
        render_metadata(case('single_static').net, instance_id=instance_id)


@pytest.mark.parametrize('keys, message', [
    (KEYS[0], 'ssh_authorized_keys: must be a list of keys, not a single string'),
    ([KEYS[0], 7], r'ssh_authorized_keys\[1\]: must be a string, not int'),
])
def test_ssh_authorized_keys_must_be_a_list_of_strings(keys, message):
    with pytest.raises(ValueError, match=message):
        static_metadata(ssh_authorized_keys=keys)


@pytest.mark.parametrize('option', ['wait_on_network4', 'wait_on_network6'])
def test_wait_on_network_must_be_a_boolean(option):
    with pytest.raises(ValueError, match="%s: 'yes' must be true, false or unset" % option):
        static_metadata(**{option: 'yes'})


# -- dump_metadata ----------------------------------------------------------------------------

def test_dump_metadata_is_sorted_indented_json_that_yaml_reads_the_same():
    metadata = static_metadata(ssh_authorized_keys=KEYS)
    text = dump_metadata(metadata)
    assert text == json.dumps(metadata, sort_keys=True, indent=2)
    assert json.loads(text) == metadata
    assert yaml.safe_load(text) == metadata


def test_dump_metadata_golden():
    path = os.path.join(GOLDEN_DIR, 'cloudinit', 'metadata_dual_stack_routes_mtu.json')
    text = dump_metadata(render_metadata(case('dual_stack_routes_mtu').net, instance_id='iid-web01', ssh_authorized_keys=KEYS,
                                         wait_on_network4=True, wait_on_network6=True))
    if UPDATE_GOLDEN:
        with open(path, 'w', encoding='utf-8') as stream:
            stream.write(text + '\n')
    with open(path, encoding='utf-8') as stream:
        assert text + '\n' == stream.read()


# -- render_userdata --------------------------------------------------------------------------

def test_no_userdata_is_none():
    assert render_userdata() is None
    assert render_userdata(cloud_config={}) is None


def test_cloud_config_and_raw_are_mutually_exclusive():
    with pytest.raises(ValueError, match='cloud_config and raw: give one of them, not both'):
        render_userdata(cloud_config={'timezone': 'UTC'}, raw='#cloud-config\n')


def test_cloud_config_is_the_header_and_a_deterministic_json_body():
    userdata = render_userdata(cloud_config={'timezone': 'UTC', 'runcmd': [['echo', 'hi'], 'date'], 'ssh_pwauth': False})
    assert userdata == CLOUD_CONFIG_HEADER + json.dumps(
        {'runcmd': [['echo', 'hi'], 'date'], 'ssh_pwauth': False, 'timezone': 'UTC'}, sort_keys=True, indent=2) + '\n'
    assert userdata.startswith('#cloud-config\n{')     # no "## template: jinja" header (unlike VM Operator)


@pytest.mark.parametrize('text', TRICKY_STRINGS)
def test_cloud_config_strings_read_back_unchanged_as_yaml_and_as_json(text):
    cloud_config = {'write_files': [{'path': '/etc/motd', 'content': text}], text or 'empty': [text]}
    body = render_userdata(cloud_config=cloud_config)[len(CLOUD_CONFIG_HEADER):]
    assert yaml.safe_load(body) == cloud_config
    assert json.loads(body) == cloud_config


def test_cloud_config_numbers_booleans_and_null_keep_their_types():
    cloud_config = {'count': 3, 'ratio': 0.5, 'big': 12345678901234567890, 'flag': True, 'nothing': None, 'negative': -1.25}
    assert yaml.safe_load(render_userdata(cloud_config=cloud_config)) == cloud_config


@pytest.mark.parametrize('cloud_config, message', [
    (['runcmd'], 'cloud_config: must be a mapping, not list'),
    ('#cloud-config', 'cloud_config: must be a mapping, not str'),
    ({'users': [{1: SECRET}]}, r'cloud_config.users\[0\]: keys must be strings, not int'),
    ({'write_files': [{'content': {SECRET}}]}, r'cloud_config.write_files\[0\].content: set is not a YAML scalar'),
    ({'x': b'\x00' + SECRET.encode()}, 'cloud_config.x: bytes is not a YAML scalar'),
    ({'x': 1e20}, 'cloud_config.x: this float cannot be written portably'),
    ({'x': float('nan')}, 'cloud_config.x: this float cannot be written portably'),
    ({'x': float('inf')}, 'cloud_config.x: this float cannot be written portably'),
])
def test_bad_cloud_config_errors_name_the_path_but_never_the_content(cloud_config, message):
    with pytest.raises(ValueError, match=message) as error:
        render_userdata(cloud_config=cloud_config)
    assert SECRET not in str(error.value)


def test_user_inactive_is_written_as_the_string_cloud_init_wants():
    """cloud-init's schema types users[].inactive as a string; Distro.add_user skips a number without a word."""
    cloud_config = {'users': ['default', {'name': 'ops', 'inactive': 30}, {'name': 'dev', 'inactive': '-1'}]}
    assert yaml.safe_load(render_userdata(cloud_config=cloud_config))['users'] == [
        'default', {'name': 'ops', 'inactive': '30'}, {'name': 'dev', 'inactive': '-1'}]
    assert cloud_config['users'][1]['inactive'] == 30      # the caller's data is left alone


@pytest.mark.parametrize('user, message', [
    ({'name': 'ops', 'inactive': True}, r'^cloud_config.users\[0\].inactive: True must be a number of days \(cloud-init takes it as a '
                                        r'string, such as "30"\)$'),
    ({'name': 'ops', 'inactive': 2.5}, r'^cloud_config.users\[0\].inactive: 2.5 must be a number of days'),
    ({'name': 'ops', 'shell': 5}, r'^cloud_config.users\[0\].shell: int must be a string: cloud-init ignores any other type'),
    ({'name': 'ops', 'passwd': 12345}, r'^cloud_config.users\[0\].passwd: int must be a string'),
])
def test_user_options_cloud_init_would_drop_are_refused(user, message):
    with pytest.raises(ValueError, match=message) as error:
        render_userdata(cloud_config={'users': [user]})
    assert '12345' not in str(error.value)


def test_every_bad_user_option_at_once():
    with pytest.raises(ValueError, match=r'^2 errors: \(1\) cloud_config.users\[0\].inactive: False .*; \(2\) cloud_config.users\[1\].inactive: '):
        render_userdata(cloud_config={'users': [{'name': 'a', 'inactive': False}, {'name': 'b', 'inactive': [1]}]})


RAW = '#cloud-config\nchpasswd: {list: "root:%s"}\n' % SECRET


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode('ascii')


@pytest.mark.parametrize('encoded', [
    RAW,
    b64(RAW.encode()),
    b64(gzip.compress(RAW.encode(), mtime=0)),
    b64(b64(gzip.compress(RAW.encode(), mtime=0)).encode()),
    b64(b64(b64(RAW.encode()).encode()).encode()),
    encode_gzip_base64(RAW),
    '\n'.join(b64(gzip.compress(RAW.encode(), mtime=0))[start:start + 76] for start in range(0, len(b64(gzip.compress(RAW.encode(), mtime=0))), 76)),
], ids=['plain', 'base64', 'gzip+base64', 'base64-of-gzip+base64', 'base64x3', 'ours', 'wrapped-at-76'])
def test_raw_userdata_is_decoded_once_so_it_is_not_encoded_twice(encoded):
    assert render_userdata(raw=encoded) == RAW


@pytest.mark.parametrize('text', ['test', 'abcd', '#!/bin/sh\necho hi\n', 'Content-Type: multipart/mixed; boundary="x"\n'])
def test_raw_userdata_that_does_not_decode_to_text_or_gzip_is_kept(text):
    # 'test' and 'abcd' are valid base64, of bytes that are not text: VM Operator would decode them.
    assert render_userdata(raw=text) == text


def test_raw_userdata_that_is_base64_of_text_is_decoded_like_vm_operator_does():
    assert render_userdata(raw='QUJD') == 'ABC'


def test_raw_base64_of_binary_that_is_not_gzip_is_kept_encoded():
    encoded = b64(b'\x00\x01\x02\xff' * 8)
    assert render_userdata(raw=encoded) == encoded


@pytest.mark.parametrize('raw', ['', '  \n', b64(b'   '), encode_gzip_base64('')])
def test_empty_raw_userdata_is_none(raw):
    assert render_userdata(raw=raw) is None


@pytest.mark.parametrize('raw, message', [
    (b64(gzip.compress(RAW.encode(), mtime=0)[:-12]), 'raw: starts like gzip data but does not decompress'),
    (b64(gzip.compress(b'\xff\xfe' + SECRET.encode(), mtime=0)), 'raw: is not UTF-8 text, nor base64 or gzip of it'),
    (RAW.encode(), 'raw: must be a string, not bytes'),
])
def test_bad_raw_userdata_errors_never_show_the_content(raw, message):
    with pytest.raises(ValueError, match=message) as error:
        render_userdata(raw=raw)
    assert SECRET not in str(error.value)


# -- gzip+base64 ------------------------------------------------------------------------------

@pytest.mark.parametrize('text', ['', 'hello', RAW, 'h\u00e9llo \U0001F600\n' * 1000])
def test_gzip_base64_round_trip(text):
    assert decode_gzip_base64(encode_gzip_base64(text)) == text


def test_gzip_base64_is_deterministic_standard_base64_with_a_fixed_gzip_header():
    encoded = encode_gzip_base64(RAW)
    assert encoded == encode_gzip_base64(RAW)
    raw_gzip = base64.b64decode(encoded, validate=True)     # standard alphabet, padded, no newlines
    assert raw_gzip[:10] == b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff'   # no name, mtime 0, max compression, OS unknown
    assert gzip.decompress(raw_gzip) == RAW.encode()


def test_decode_gzip_base64_ignores_line_breaks_in_the_base64():
    encoded = encode_gzip_base64(RAW)
    assert decode_gzip_base64(encoded[:20] + '\n' + encoded[20:] + '\n') == RAW


@pytest.mark.parametrize('text', ['not base64!', b64(b'plain, not gzip'), b64(gzip.compress(b'\xff' + SECRET.encode(), mtime=0))])
def test_decode_gzip_base64_rejects_other_data_without_showing_it(text):
    with pytest.raises(ValueError, match='text: is not gzip\\+base64 encoded UTF-8 text') as error:
        decode_gzip_base64(text)
    assert SECRET not in str(error.value)


@pytest.mark.parametrize('function', [encode_gzip_base64, decode_gzip_base64])
def test_gzip_base64_takes_strings_only(function):
    with pytest.raises(ValueError, match='text: must be a string, not bytes'):
        function(b'data')


# -- guestinfo --------------------------------------------------------------------------------

def test_guestinfo_encodes_metadata_and_userdata():
    metadata = static_metadata()
    userdata = render_userdata(cloud_config={'timezone': 'UTC'})
    extra_config = guestinfo(metadata, userdata)
    assert list(extra_config) == list(GUESTINFO_KEYS) == [
        'guestinfo.metadata', 'guestinfo.metadata.encoding', 'guestinfo.userdata', 'guestinfo.userdata.encoding']
    assert extra_config['guestinfo.metadata.encoding'] == extra_config['guestinfo.userdata.encoding'] == GZIP_BASE64 == 'gzip+base64'
    assert decode_gzip_base64(extra_config['guestinfo.metadata']) == dump_metadata(metadata)
    assert decode_gzip_base64(extra_config['guestinfo.userdata']) == userdata


def test_guestinfo_takes_metadata_text_as_is():
    assert decode_gzip_base64(guestinfo('instance-id: iid-1\n')['guestinfo.metadata']) == 'instance-id: iid-1\n'


@pytest.mark.parametrize('userdata', [None, ''])
def test_guestinfo_writes_userdata_keys_only_with_userdata(userdata):
    assert list(guestinfo(static_metadata(), userdata)) == ['guestinfo.metadata', 'guestinfo.metadata.encoding']


def test_guestinfo_is_deterministic():
    assert guestinfo(static_metadata(), RAW) == guestinfo(static_metadata(), RAW)


@pytest.mark.parametrize('metadata, userdata, message', [
    ('', None, 'metadata: must be a non-empty mapping or string'),
    ({}, None, 'metadata: must be a non-empty mapping or string'),
    (None, None, 'metadata: must be a non-empty mapping or string'),
    ('instance-id: x', b'#cloud-config', 'userdata: must be a string, not bytes'),
])
def test_guestinfo_rejects_bad_arguments(metadata, userdata, message):
    with pytest.raises(ValueError, match=message):
        guestinfo(metadata, userdata)
