# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the filters' shared glue (plugins/plugin_utils/_filters.py)."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import inspect

import pytest
from jinja2 import StrictUndefined, UndefinedError

from ansible.errors import AnsibleFilterError

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError, SpecErrors
from ansible_collections.guestnet.vsphere.plugins.plugin_utils import _filters


def sample(value, option=None):   # a filter to wrap
    if value == 'spec':
        raise SpecError('network.host_name', 'x_y', 'is not a valid host name')
    if value == 'named':
        raise ValueError('sample: already names itself')
    if value == 'type':
        raise TypeError('a bug, not bad input')
    return [value, option]


def test_errors_become_filter_errors(monkeypatch):
    monkeypatch.setattr(_filters, 'NAME_IN_MESSAGE', False)
    wrapped = _filters.filter_errors(sample)
    assert wrapped('ok', option=1) == ['ok', 1]
    with pytest.raises(AnsibleFilterError, match=r'^network\.host_name: x_y is not a valid host name$'):
        wrapped('spec')
    with pytest.raises(AnsibleFilterError, match=r'^already names itself$'):
        wrapped('named')
    with pytest.raises(TypeError):   # bugs are not dressed up as bad input
        wrapped('type')


def test_cores_without_the_plugin_name_get_a_prefix(monkeypatch):
    monkeypatch.setattr(_filters, 'NAME_IN_MESSAGE', True)
    wrapped = _filters.filter_errors(sample)
    with pytest.raises(AnsibleFilterError, match=r'^guestnet\.vsphere\.sample: network\.host_name: x_y is not'):
        wrapped('spec')
    with pytest.raises(AnsibleFilterError, match=r"^guestnet\.vsphere\.sample: got an unexpected keyword argument 'opt'; "
                                                 r'usage: value \| guestnet\.vsphere\.sample\(option\)$'):
        wrapped('ok', opt=1)


@pytest.mark.parametrize('args, kwargs', [
    ((StrictUndefined(name='vm_macs'),), {}),
    (({'interfaces': [{'name': 'eth0', 'mac_address': StrictUndefined(name='vm_macs')}]},), {}),
    (('ok',), {'option': [StrictUndefined(name='vm_macs')]}),
])
def test_undefined_values_raise_their_own_error(args, kwargs):
    # ansible-core < 2.19 passes undefined values to filters; the core would call them "not a mapping"
    with pytest.raises(UndefinedError, match="'vm_macs' is undefined"):
        _filters.filter_errors(sample)(*args, **kwargs)


def test_wrapper_keeps_the_name_and_signature():
    wrapped = _filters.filter_errors(sample)
    assert wrapped.__name__ == 'sample'
    assert list(inspect.signature(wrapped).parameters) == ['value', 'option']


def test_resolve_network_without_a_host_name():
    net = _filters.resolve_network({}, need_host_name=False)
    assert net.host_name == '' and [iface.name for iface in net.interfaces] == ['eth0']
    with pytest.raises(ValueError, match='network.host_name is not set'):
        _filters.resolve_network({})
    assert _filters.resolve_network({}, vm_name='vm01').host_name == 'vm01'


def test_resolve_network_macs():
    net = _filters.resolve_network({}, vm_name='vm01', macs={'eth0': '00-50-56-AB-CD-EF'}, mac_purpose='x')
    assert net.interfaces[0].mac_address == '00:50:56:ab:cd:ef'
    with pytest.raises(ValueError, match=r"^interface eth0 has no MAC address, and because: pass macs=\{'eth0': '00:50:56:...'\}"):
        _filters.resolve_network({}, vm_name='vm01', mac_purpose='because')


def test_resolve_network_reports_every_problem_at_once():
    """The gosc filter without a host name used to hide a bad route and a second IPv4 address."""
    spec = {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24', '10.0.0.11/24'], 'routes': [{'to': '10.9.0.0/16', 'via': 'rtr'}]}]}
    with pytest.raises(SpecErrors) as info:
        _filters.resolve_network(spec, provider='linux_prep', macs={'eth9': '00:50:56:00:00:09'}, mac_purpose='GOSC needs them')
    assert [error.path for error in info.value.errors] == [
        'network.host_name', 'macs', 'network.interfaces[0].routes', 'network.interfaces[0].addresses[1]',
        'network.interfaces[0].routes[0].via', 'macs']
    message = str(info.value)
    assert message.startswith('6 errors: (1) network.host_name is not set and no vm_name was given: set host_name in the network spec')
    assert '(2) macs: eth9 is not an interface of this network; its interfaces: eth0; ' in message
    assert message.endswith("(6) interface eth0 has no MAC address, and GOSC needs them: pass macs={'eth0': '00:50:56:...'} "
                            "(interface name -> MAC address of the VM's NIC), or set mac_address on the interface in the spec")


def test_resolve_network_bad_vm_name_and_macs():
    with pytest.raises(SpecErrors) as info:
        _filters.resolve_network({}, vm_name=5, macs={1: 'x', 2: 'y'})
    assert [str(error) for error in info.value.errors] == [
        'macs: 1 is not an interface name (a string)', 'macs: 2 is not an interface name (a string)',
        'vm_name: 5 must be a non-empty string (the VM name)']


def renderer(net, *, alpha=1, beta=None):
    return net, alpha, beta


def test_keyword_options():
    assert _filters.keyword_options(None, renderer, 'sample') == {}
    assert _filters.keyword_options({'alpha': 2, 'beta': None}, renderer, 'sample') == {'alpha': 2}
    with pytest.raises(ValueError, match=r'^options\.net: is not a sample option; valid options: alpha, beta$'):
        _filters.keyword_options({'net': 1}, renderer, 'sample')
    with pytest.raises(ValueError, match=r'^options: must be a mapping of sample options, not list$'):
        _filters.keyword_options([], renderer, 'sample')


@pytest.mark.parametrize('value', [None, 'text', ['10.0.0.53'], {}, {'dns': {}}, {'interfaces': 'x'},
                                   {'dns': {'host_name': 'a'}, 'interfaces': [{'name': 'eth0', 'ip': {}}, 'x']}])
def test_intended_config_input_lets_the_helper_judge_other_values(value):
    assert _filters.intended_config_input(value) is value


def test_intended_config_input_rejects_a_spec():
    with pytest.raises(ValueError, match=r'the input has domainName, hostName, which it never has'):
        _filters.intended_config_input({'hostName': 'a', 'domainName': 'b.c', 'interfaces': []})
