# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real NetBox (tests/netbox/harness.py) as the subnet ledger's IPAM will use it, through its REST API with urllib:
a custom field on prefixes, a prefix that carries it, addresses from available-ips until the prefix is exhausted, and
the same from 8 threads at once (distinct addresses, then every thread refused). Prints allocations per second.

Run with `make netbox-test` (which makes build/netbox/venv first). Without that venv the tests are skipped, unless
GUESTNET_NETBOX_REQUIRED=1 (set by make netbox-test), where they fail.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import threading
import time

import pytest

CUSTOM_FIELD = 'guestnet_port_groups'
INSUFFICIENT = 'Insufficient resources are available to satisfy the request'
THREADS = 8
pytestmark = pytest.mark.full_only   # NetBox's API as such: make netbox-test only


@pytest.fixture(scope='module')
def custom_field(netbox):  # pylint: disable=redefined-outer-name
    """The custom field on ipam.prefix where the ledger keeps the port groups of a subnet (JSON: a list of names)."""
    dummy, field = netbox.api('POST', '/api/extras/custom-fields/', {
        'name': CUSTOM_FIELD,
        'label': 'Port groups (guestnet)',
        'type': 'json',
        'object_types': ['ipam.prefix'],
        'description': 'vSphere port groups whose guests take addresses from this prefix',
        'required': False,
    }, expect=201)
    return field


def new_prefix(netbox, prefix, port_groups=None):  # pylint: disable=redefined-outer-name
    body = {'prefix': prefix, 'status': 'active', 'description': 'guestnet smoke test'}
    if port_groups is not None:
        body['custom_fields'] = {CUSTOM_FIELD: port_groups}
    return netbox.api('POST', '/api/ipam/prefixes/', body, expect=201)[1]


def allocate(netbox, prefix_id, description):  # pylint: disable=redefined-outer-name
    """One address from the prefix: (status, answer)."""
    return netbox.api('POST', '/api/ipam/prefixes/%d/available-ips/' % prefix_id,
                      {'description': description, 'status': 'active'})


def test_status_and_token(netbox):  # pylint: disable=redefined-outer-name
    assert netbox.token.startswith('nbt_')
    status, body = netbox.api('GET', '/api/status/')
    assert status == 200 and body['netbox-version'] == netbox.version
    # Without a token (LOGIN_REQUIRED is NetBox's default): refused.
    assert netbox.api('GET', '/api/status/', auth=False) == (403, {'detail': 'Authentication credentials were not provided.'})
    # The keyword may be Token as well: the nbt_ prefix makes it a v2 token. Without the prefix it is taken for v1.
    assert netbox.api('GET', '/api/status/', headers={'Authorization': 'Token ' + netbox.token})[0] == 200
    secret = netbox.token.split('.', 1)[1]
    assert netbox.api('GET', '/api/status/', headers={'Authorization': 'Bearer ' + secret}) == (403, {'detail': 'Invalid v1 token'})


def test_custom_field_on_prefix(netbox, custom_field):  # pylint: disable=redefined-outer-name
    assert custom_field['object_types'] == ['ipam.prefix']
    assert custom_field['type']['value'] == 'json'
    assert custom_field['status']['value'] == 'active'
    prefix = new_prefix(netbox, '10.99.9.0/29', ['PG-VLAN100', 'DC0_DVPG0'])
    dummy, read = netbox.api('GET', '/api/ipam/prefixes/%d/' % prefix['id'], expect=200)
    assert read['custom_fields'][CUSTOM_FIELD] == ['PG-VLAN100', 'DC0_DVPG0']


def test_allocate_until_exhausted(netbox, custom_field):  # pylint: disable=redefined-outer-name,unused-argument
    prefix = new_prefix(netbox, '10.99.0.0/29', ['PG-VLAN100'])
    got = []
    began = time.monotonic()
    for number in range(6):
        status, body = allocate(netbox, prefix['id'], 'guestnet-%d' % number)
        assert status == 201, body
        got.append(body['address'])
    elapsed = time.monotonic() - began
    status, body = allocate(netbox, prefix['id'], 'guestnet-6')
    print('\n# /29: 6 addresses %s in %.2fs; the 7th: HTTP %s %s' % (', '.join(got), elapsed, status, body))
    assert got == ['10.99.0.%d/29' % host for host in range(1, 7)]
    assert status == 409
    assert body == {'detail': INSUFFICIENT}
    dummy, listed = netbox.api('GET', '/api/ipam/prefixes/%d/available-ips/' % prefix['id'], expect=200)
    assert listed == []


def test_allocation_rate_single_thread(netbox):  # pylint: disable=redefined-outer-name
    prefix = new_prefix(netbox, '10.99.1.0/26')      # 62 addresses
    got = []
    began = time.monotonic()
    for number in range(100):                          # bounded: 62 and the refusal
        status, body = allocate(netbox, prefix['id'], 'single-%d' % number)
        if status == 409:
            break
        assert status == 201, body
        got.append(body['address'])
    elapsed = time.monotonic() - began
    print('\n# 1 thread: %d allocations in %.2fs: %.1f allocations/s' % (len(got), elapsed, len(got) / elapsed))
    assert len(got) == len(set(got)) == 62


def test_allocation_concurrent_distinct(netbox):  # pylint: disable=redefined-outer-name
    prefix = new_prefix(netbox, '10.99.2.0/26')      # 62 addresses for 8 threads
    network = ipaddress.ip_network('10.99.2.0/26')
    results = [[] for dummy in range(THREADS)]
    refusals = [None] * THREADS
    errors = []
    start = threading.Barrier(THREADS)
    deadline = time.monotonic() + 300

    def worker(index):
        try:
            start.wait(timeout=60)
            for number in range(100):                  # bounded in count and time
                if time.monotonic() > deadline:
                    errors.append('thread %d: out of time' % index)
                    return
                status, body = allocate(netbox, prefix['id'], 'thread-%d-%d' % (index, number))
                if status == 409:
                    refusals[index] = body
                    return
                if status != 201:
                    errors.append('thread %d: HTTP %s %s' % (index, status, body))
                    return
                results[index].append(body['address'])
        except Exception as exc:  # pylint: disable=broad-except
            errors.append('thread %d: %r' % (index, exc))

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(THREADS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=320)
    elapsed = time.monotonic() - began
    addresses = [address for part in results for address in part]
    print('\n# %d threads: %d allocations in %.2fs: %.1f allocations/s (per thread: %s)' % (
        THREADS, len(addresses), elapsed, len(addresses) / elapsed, [len(part) for part in results]))
    assert not errors, errors
    assert len(addresses) == len(set(addresses)) == 62, sorted(addresses)
    assert all(ipaddress.ip_interface(address).ip in network for address in addresses)
    assert refusals == [{'detail': INSUFFICIENT}] * THREADS
    dummy, listed = netbox.api('GET', '/api/ipam/ip-addresses/?parent=10.99.2.0/26&limit=0', expect=200)
    assert listed['count'] == 62
