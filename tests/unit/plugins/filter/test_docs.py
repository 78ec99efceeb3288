# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every filter has its sidecar doc, and the doc's options are the filter's arguments (names, order, defaults)."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import inspect
import os

import pytest
import yaml

from ansible_collections.guestnet.vsphere.plugins.filter import network, vapp

FILTER_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'filter')
FILTERS = dict(network.FilterModule().filters(), **vapp.FilterModule().filters())


def load_doc(name):
    with open(os.path.join(FILTER_DIR, name + '.yml'), encoding='utf-8') as stream:
        return yaml.safe_load(stream)


def test_every_sidecar_doc_belongs_to_a_filter():
    docs = sorted(name[:-len('.yml')] for name in os.listdir(FILTER_DIR) if name.endswith('.yml'))
    assert docs == sorted(FILTERS)


@pytest.mark.parametrize('name', sorted(FILTERS))
def test_doc_matches_the_filter(name):
    doc = load_doc(name)
    assert sorted(doc) == ['DOCUMENTATION', 'EXAMPLES', 'RETURN']
    documentation = doc['DOCUMENTATION']
    assert documentation['name'] == name
    parameters = list(inspect.signature(FILTERS[name]).parameters.values())
    options = documentation['options']
    assert list(options) == ['_input'] + [parameter.name for parameter in parameters[1:]]
    assert options['_input']['required'] is True
    positional = [item.strip() for item in documentation['positional'].split(',')]
    assert positional[0] == '_input' and positional[1:] == [parameter.name for parameter in parameters[1:len(positional)]]
    for parameter in parameters[1:]:
        option = options[parameter.name]
        if 'default' in option:
            assert option['default'] == parameter.default, (name, parameter.name)
        elif not option.get('required'):
            assert parameter.default is None, (name, parameter.name)
    assert '_value' in doc['RETURN']
    assert 'guestnet.vsphere.%s' % name in doc['EXAMPLES']
