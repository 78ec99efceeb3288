# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of _model's errors: SpecError, SpecErrors and the ErrorCollector other code adds its problems with."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    ErrorCollector,
    SpecError,
    SpecErrors,
    raise_errors,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec, validate

BAD_ROUTE = SpecError('network.interfaces[0].routes[0].via', 'router', 'is not an IP address')
SECOND_IPV4 = SpecError('network.interfaces[0].addresses[1]', '10.0.0.11/24', 'is a second IPv4 address')
UNKNOWN_PORT_GROUP = SpecError('network.interfaces[1].network', 'DC0_DVPG9', 'is not a port group')


def test_one_error_keeps_its_message_and_fields():
    assert str(BAD_ROUTE) == 'network.interfaces[0].routes[0].via: router is not an IP address'
    assert BAD_ROUTE.errors == (BAD_ROUTE,)


def test_several_errors_are_numbered_on_one_line():
    error = SpecErrors([BAD_ROUTE, SECOND_IPV4])
    assert str(error) == ('2 errors: (1) network.interfaces[0].routes[0].via: router is not an IP address; '
                          '(2) network.interfaces[0].addresses[1]: 10.0.0.11/24 is a second IPv4 address')
    assert error.errors == (BAD_ROUTE, SECOND_IPV4)
    # Code that reads one problem gets the first one.
    assert (error.path, error.value, error.reason) == (BAD_ROUTE.path, BAD_ROUTE.value, BAD_ROUTE.reason)
    assert isinstance(error, SpecError) and isinstance(error, ValueError)


def test_spec_errors_flatten_and_need_two():
    nested = SpecErrors([SpecErrors([BAD_ROUTE, SECOND_IPV4]), UNKNOWN_PORT_GROUP])
    assert nested.errors == (BAD_ROUTE, SECOND_IPV4, UNKNOWN_PORT_GROUP)
    with pytest.raises(ValueError, match='at least two errors'):
        raise SpecErrors([BAD_ROUTE])


def test_raise_errors():
    raise_errors([])
    with pytest.raises(SpecError) as info:
        raise_errors([BAD_ROUTE])
    assert info.value is BAD_ROUTE
    with pytest.raises(SpecErrors) as many:
        raise_errors([BAD_ROUTE, SECOND_IPV4])
    assert many.value.errors == (BAD_ROUTE, SECOND_IPV4)


def test_collector_adds_the_callers_problems_to_the_specs():
    """What a module does: the spec's problems and its own (an unknown port group), in one failure."""
    errors = ErrorCollector()
    with errors.catch():
        validate(parse_network_spec({'interfaces': [{'name': 'eth0', 'mtu': 67}, {'name': 'Eth1'}]}))
    errors.add_error(UNKNOWN_PORT_GROUP)
    errors.add('wait.timeout', 0, 'must be at least 1 (seconds)')
    assert len(errors) == 4 and errors
    with pytest.raises(SpecErrors) as info:
        errors.raise_if_any()
    assert [error.path for error in info.value.errors] == [
        'network.interfaces[0].mtu', 'network.interfaces[1].name', 'network.interfaces[1].network', 'wait.timeout']


def test_collector_without_errors_raises_nothing():
    errors = ErrorCollector()
    with errors.catch():
        pass
    assert not errors
    errors.raise_if_any()


def test_collector_context_raises_at_the_end_with_an_escaping_error_last():
    with pytest.raises(SpecErrors) as info:
        with ErrorCollector() as errors:
            errors.add_error(BAD_ROUTE)
            raise SECOND_IPV4
    assert info.value.errors == (BAD_ROUTE, SECOND_IPV4)
    with pytest.raises(SpecError) as single:
        with ErrorCollector() as errors:
            errors.add_error(BAD_ROUTE)
    assert single.value is BAD_ROUTE


def test_collector_lets_other_exceptions_through():
    errors = ErrorCollector()
    with pytest.raises(KeyError):
        with errors.catch():
            raise KeyError('bug')
    with pytest.raises(RuntimeError):
        with ErrorCollector() as collected:
            collected.add_error(BAD_ROUTE)
            raise RuntimeError('vCenter went away')
