# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options as the modules receive them: the port from ``port`` (VMWARE_PORT), else from ``hostname``
(VMWARE_HOST as ``host:port``, which is all AWX's vCenter credential can inject), else 443."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import connection_argument_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import ConnectionParams, VCenterError, split_host_port


def params(**options):
    return dict(dict(username='automation@vsphere.local', password='secret', port=None), **options)


@pytest.mark.parametrize('hostname, expected', [
    ('vc.example.com', ('vc.example.com', 443)),
    ('vc.example.com:8443', ('vc.example.com', 8443)),
    ('10.0.0.5:443', ('10.0.0.5', 443)),
    (' vc.example.com:8443 ', ('vc.example.com', 8443)),
    ('[2001:db8::1]:8443', ('2001:db8::1', 8443)),
    ('[2001:db8::1]', ('2001:db8::1', 443)),
    ('2001:db8::1', ('2001:db8::1', 443)),          # a bare IPv6 address: its last group is no port
    ('::1', ('::1', 443)),
])
def test_port_from_hostname_when_no_port_is_given(hostname, expected):
    conn = ConnectionParams.from_module_params(params(hostname=hostname))
    assert (conn.hostname, conn.port) == expected


def test_an_explicit_port_wins_over_the_default():
    conn = ConnectionParams.from_module_params(params(hostname='vc.example.com', port=8443))
    assert (conn.hostname, conn.port) == ('vc.example.com', 8443)


def test_the_same_port_in_both_places_is_fine():
    conn = ConnectionParams.from_module_params(params(hostname='[2001:db8::1]:8443', port=8443))
    assert (conn.hostname, conn.port) == ('2001:db8::1', 8443)


def test_two_different_ports_are_refused():
    with pytest.raises(VCenterError, match=r"hostname 'vc.example.com:8443' names port 8443 but port is 443: give the port in one place"):
        ConnectionParams.from_module_params(params(hostname='vc.example.com:8443', port=443))


@pytest.mark.parametrize('hostname, message', [
    ('vc.example.com:https', r"hostname 'vc.example.com:https': the port 'https' is not a number from 1 to 65535"),
    ('vc.example.com:', r"hostname 'vc.example.com:': the port '' is not a number from 1 to 65535"),
    ('vc.example.com:0', r"the port '0' is not a number from 1 to 65535"),
    ('vc.example.com:65536', r"the port '65536' is not a number from 1 to 65535"),
    ('vc.example.com:-1', r"the port '-1' is not"),
    ('vc.example.com:８４４３', r"is not a number from 1 to 65535"),        # full-width digits: isdigit() but not a port
    ('[2001:db8::1]:x', r"hostname '\[2001:db8::1\]:x': the port 'x' is not a number"),
    ('[2001:db8::1', r"an IPv6 address with a port is written \[address\]:port"),
    ('[2001:db8::1]8443', r"an IPv6 address with a port is written \[address\]:port"),
    ('[]:8443', r"an IPv6 address with a port is written"),
    (':8443', r"hostname ':8443': the host name is missing"),
    ('https://vc.example.com:8443/sdk', r"not a URL"),
])
def test_a_bad_hostname_is_a_clear_error(hostname, message):
    with pytest.raises(VCenterError, match=message):
        ConnectionParams.from_module_params(params(hostname=hostname))


def test_missing_options_name_the_environment_variables():
    with pytest.raises(VCenterError, match='missing connection option.*hostname.*VMWARE_HOST'):
        ConnectionParams.from_module_params(params())


def test_split_host_port():
    assert split_host_port('vc:1') == ('vc', 1)
    assert split_host_port('vc') == ('vc', None)
    assert split_host_port('[fe80::1%eth0]:443') == ('fe80::1%eth0', 443)


def validated(environ, monkeypatch, **options):
    """The options as Ansible hands them to the module: argument spec, environment fallbacks."""
    for name in ('VMWARE_HOST', 'VMWARE_USER', 'VMWARE_PASSWORD', 'VMWARE_PORT', 'VMWARE_VALIDATE_CERTS'):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    result = ArgumentSpecValidator(connection_argument_spec()).validate(options)
    assert not result.error_messages, result.error_messages
    return ConnectionParams.from_module_params(result.validated_parameters)


def test_awx_credential_environment_with_the_port_in_the_host(monkeypatch):
    # What AWX's "VMware vCenter" credential injects: no VMWARE_PORT.
    conn = validated({'VMWARE_HOST': 'vc.example.com:8443', 'VMWARE_USER': 'u', 'VMWARE_PASSWORD': 'p',
                      'VMWARE_VALIDATE_CERTS': 'False'}, monkeypatch)
    assert (conn.hostname, conn.port, conn.validate_certs) == ('vc.example.com', 8443, False)


def test_vmware_port_still_applies(monkeypatch):
    conn = validated({'VMWARE_HOST': 'vc.example.com', 'VMWARE_USER': 'u', 'VMWARE_PASSWORD': 'p', 'VMWARE_PORT': '9443'},
                     monkeypatch)
    assert (conn.hostname, conn.port) == ('vc.example.com', 9443)


def test_port_defaults_to_443(monkeypatch):
    conn = validated({}, monkeypatch, hostname='vc.example.com', username='u', password='p')
    assert (conn.hostname, conn.port) == ('vc.example.com', 443)
