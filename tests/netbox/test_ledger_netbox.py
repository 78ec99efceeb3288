# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetboxLedger (plugins/module_utils/_ledger_netbox.py) against a real NetBox (tests/netbox/harness.py, one per module):
every method of the ledger interface, idempotency per owner, exhaustion, release and hold-back, dry runs and batches
that leave NetBox as it was, the error cases (unreachable, bad token, missing prefix, prefix without our fields, a
custom field of another type), and 8 processes racing for a /29. Prints allocations per second through the backend.

Run: GUESTNET_NETBOX_REQUIRED=1 PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pytest tests/netbox -q -s
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import inspect
import ipaddress
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _collection_path() -> str:
    """build/dev (make dev), else a temporary ansible_collections/guestnet/vsphere link to this checkout."""
    dev = REPO / 'build' / 'dev'
    if (dev / 'ansible_collections' / 'guestnet' / 'vsphere').exists():
        return str(dev)
    root = Path(tempfile.mkdtemp(prefix='guestnet-dev-'))
    (root / 'ansible_collections' / 'guestnet').mkdir(parents=True)
    (root / 'ansible_collections' / 'guestnet' / 'vsphere').symlink_to(REPO)
    return str(root)


if _collection_path() not in sys.path:
    sys.path.insert(0, _collection_path())

# pylint: disable=wrong-import-position
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (  # noqa: E402
    ALLOCATED, CONFLICT, FIXED, OBSERVED, AddressRequest, L2Network, LedgerBackend, LedgerError, SubnetExhaustedError, UnknownSubnetError)
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import (  # noqa: E402
    backend_for, check_writable, ledger_exists, ledger_location, open_ledger, scratch_ledger)
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_netbox import NetboxLedger  # noqa: E402

VM1 = '50000000-0000-4000-8000-000000000001'
VM2 = '50000000-0000-4000-8000-000000000002'
D1, D2 = '50000000-0000-4000-8000-0000000000d1', '50000000-0000-4000-8000-0000000000d2'
PROCESSES = 8


@pytest.fixture
def ledger(netbox):  # pylint: disable=redefined-outer-name
    with open_ledger(netbox.url, token=netbox.token) as opened:
        yield opened


def snapshot(netbox):  # pylint: disable=redefined-outer-name
    """Everything the ledger writes in NetBox, without timestamps: to compare before and after."""
    state = {}
    for path in ('/api/ipam/prefixes/', '/api/ipam/ip-addresses/', '/api/ipam/ip-ranges/', '/api/extras/config-contexts/'):
        dummy, answer = netbox.api('GET', path + '?limit=0', expect=200)
        state[path] = sorted((item['display'], repr(item.get('custom_fields')), item.get('description'), repr(item.get('status')),
                              repr(item.get('mark_populated')), repr(item.get('data')), repr(sorted(tag['slug'] for tag in item.get('tags') or ())))
                             for item in answer['results'])
    return state


def ip_objects(netbox, prefix):  # pylint: disable=redefined-outer-name
    dummy, answer = netbox.api('GET', '/api/ipam/ip-addresses/?parent=%s&limit=0' % prefix, expect=200)
    return {item['address'].split('/')[0]: item for item in answer['results']}


# ----- the interface -------------------------------------------------------------------------------------------------

def test_every_method_of_the_interface() -> None:
    assert not NetboxLedger.__abstractmethods__
    for name in sorted(LedgerBackend.__abstractmethods__):
        mine, contract = getattr(NetboxLedger, name), getattr(LedgerBackend, name)
        assert mine is not contract, name
        strip = [(item.name, item.kind, item.default) for item in inspect.signature(contract).parameters.values() if item.name != 'self']
        have = [(item.name, item.kind, item.default) for item in inspect.signature(mine).parameters.values() if item.name != 'self']
        if name == 'check_writable':
            continue   # **options
        assert have == strip, name
    assert backend_for('https://netbox.example.com') is NetboxLedger and ledger_exists('http://127.0.0.1:1')


def test_opening_needs_a_token(monkeypatch) -> None:
    monkeypatch.delenv('NETBOX_TOKEN', raising=False)
    with pytest.raises(LedgerError, match=r'^ledger https://nb\.example\.com: no NetBox token: give ledger_token, or set NETBOX_TOKEN in the '
                                          r'environment the modules run in$'):
        open_ledger('https://nb.example.com/')


# ----- subnets ---------------------------------------------------------------------------------------------------------

def test_subnet_is_a_prefix_with_custom_fields(netbox, ledger):  # pylint: disable=redefined-outer-name
    assert ledger.upsert_subnet('app-net', '10.31.0.0/24', portgroup='dvportgroup-11', gateway='10.31.0.1', nameservers=['10.0.0.53'],
                                search_domains=['example.com'], mtu=9000, reserved=['10.31.0.200-10.31.0.209'], range_end='10.31.0.250') is True
    assert ledger.upsert_subnet('app-net', '10.31.0.0/24', portgroup='dvportgroup-11', gateway='10.31.0.1', nameservers=['10.0.0.53'],
                                search_domains=['example.com'], mtu=9000, reserved=['10.31.0.200-10.31.0.209'], range_end='10.31.0.250') is False
    subnet = ledger.get_subnet('app-net')
    assert (subnet.cidr, subnet.gateway, subnet.mtu, subnet.nameservers, subnet.portgroup, subnet.range_end) == (
        '10.31.0.0/24', '10.31.0.1', 9000, ('10.0.0.53',), 'dvportgroup-11', '10.31.0.250')
    assert 'app-net' in [item.name for item in ledger.list_subnets()]
    dummy, prefixes = netbox.api('GET', '/api/ipam/prefixes/?prefix=10.31.0.0/24', expect=200)
    prefix = prefixes['results'][0]
    assert prefix['custom_fields']['guestnet_subnet'] == 'app-net' and prefix['custom_fields']['guestnet_settings']['mtu'] == 9000
    assert [tag['slug'] for tag in prefix['tags']] == ['guestnet'] and prefix['description'] == 'guestnet subnet app-net'
    dummy, ranges = netbox.api('GET', '/api/ipam/ip-ranges/?parent=10.31.0.0/24', expect=200)
    assert sorted((item['start_address'], item['end_address'], item['mark_populated']) for item in ranges['results']) == [
        ('10.31.0.200/24', '10.31.0.209/24', True), ('10.31.0.251/24', '10.31.0.254/24', True)]
    assert ip_objects(netbox, '10.31.0.0/24')['10.31.0.1']['description'] == 'guestnet: gateway of subnet app-net'
    dummy, fields = netbox.api('GET', '/api/extras/custom-fields/?limit=0', expect=200)
    types = {item['name']: item['type']['value'] for item in fields['results']}
    assert types['guestnet_settings'] == 'json' and types['guestnet_subnet'] == 'text'
    with pytest.raises(LedgerError, match=r'^subnet other: cidr 10\.31\.0\.128/25 overlaps subnet app-net \(10\.31\.0\.0/24, prefix #\d+\) of '
                                          r'ledger %s$' % netbox.url):
        ledger.upsert_subnet('other', '10.31.0.128/25')
    with pytest.raises(LedgerError, match='range_end: 10.31.0.0 is not a usable address'):
        ledger.upsert_subnet('app-net', '10.31.0.0/24', range_end='10.31.0.0')


def test_an_existing_prefix_is_adopted_and_given_back(netbox, ledger):  # pylint: disable=redefined-outer-name
    dummy, made = netbox.api('POST', '/api/ipam/prefixes/', {'prefix': '10.32.0.0/28', 'description': 'made by hand'}, expect=201)
    assert ledger.upsert_subnet('adopted', '10.32.0.0/28') is True
    dummy, read = netbox.api('GET', '/api/ipam/prefixes/%d/' % made['id'], expect=200)
    assert read['custom_fields']['guestnet_subnet'] == 'adopted' and read['description'] == 'made by hand'
    assert ledger.delete_subnet('adopted') is True and ledger.delete_subnet('adopted') is False
    dummy, read = netbox.api('GET', '/api/ipam/prefixes/%d/' % made['id'], expect=200)
    assert read['custom_fields']['guestnet_subnet'] is None and read['tags'] == []


# ----- addresses --------------------------------------------------------------------------------------------------------

def test_allocate_is_idempotent_and_visible(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('alloc-net', '10.33.0.0/28', portgroup='pg-a', gateway='10.33.0.1')
    first = ledger.allocate('alloc-net', VM1, 'eth0', portgroup='pg-a')
    assert first.changed and first.kind == ALLOCATED and first.ip == '10.33.0.2' and first.address == '10.33.0.2/28'
    again = ledger.allocate('alloc-net', VM1, 'eth0')
    assert (again.ip, again.changed) == (first.ip, False)
    other = ledger.allocate('alloc-net', VM1, 'eth1')
    assert other.ip == '10.33.0.3' and other.changed
    obj = ip_objects(netbox, '10.33.0.0/28')['10.33.0.2']
    assert obj['description'] == 'guestnet: allocated to VM %s eth0' % VM1
    assert (obj['custom_fields']['guestnet_vm_uuid'], obj['custom_fields']['guestnet_interface'], obj['custom_fields']['guestnet_kind']) == (
        VM1, 'eth0', 'allocated')
    with pytest.raises(LedgerError, match='is not reachable from port group pg-x'):
        ledger.allocate('alloc-net', VM2, 'eth0', portgroup='pg-x')
    with pytest.raises(LedgerError, match=r'10\.33\.0\.2 is already allocated to %s/eth0' % VM1):
        ledger.allocate('alloc-net', VM2, 'eth0', ip='10.33.0.2')
    with pytest.raises(LedgerError, match='is its gateway'):
        ledger.allocate('alloc-net', VM2, 'eth0', ip='10.33.0.1')
    wanted = ledger.allocate('alloc-net', VM2, 'eth0', ip='10.33.0.9')
    assert wanted.ip == '10.33.0.9' and wanted.changed
    assert [(row.ip, row.kind, row.interface) for row in ledger.addresses('alloc-net', VM1)] == [
        ('10.33.0.2', ALLOCATED, 'eth0'), ('10.33.0.3', ALLOCATED, 'eth1')]
    usage = ledger.usage('alloc-net')[0]
    assert (usage.size, usage.allocated, usage.used, usage.free) == (14, 3, 4, 10)
    defaults = ledger.subnet_defaults('alloc-net', VM1, 'eth0')
    assert defaults.addresses == ('10.33.0.2/28',) and defaults.gateway4 == '10.33.0.1'


def test_the_vm_name_and_interface_show_in_netbox(netbox, ledger):  # pylint: disable=redefined-outer-name
    """What NetBox's IP address list and search show (the description) names the VM and the interface; a renamed VM
    is relabelled (one PATCH, no change reported); a dry run writes nothing."""
    ledger.upsert_subnet('named-net', '10.57.0.0/28', portgroup='pg-n', gateway='10.57.0.1')
    first = ledger.allocate('named-net', VM1, 'eth0', vm_name='web01')
    ledger.record_fixed('10.57.0.9', VM1, 'eth1', vm_name='web01')
    ledger.replace_observed(VM2, [{'ip': '10.57.0.11', 'interface': 'eth0'}, {'ip': first.ip, 'interface': 'eth2'}], vm_name='db01')
    objs = ip_objects(netbox, '10.57.0.0/28')
    assert objs[first.ip]['description'] == 'web01 eth0 (guestnet: allocated to VM %s)' % VM1
    assert objs['10.57.0.9']['description'] == 'web01 eth1 (guestnet: fixed on VM %s)' % VM1
    assert objs['10.57.0.11']['description'] == 'db01 eth0 (guestnet: observed on VM %s)' % VM2
    dummy, found = netbox.api('GET', '/api/ipam/ip-addresses/?q=web01', expect=200)   # NetBox's search finds the VM by name
    assert sorted(item['address'] for item in found['results']) == ['%s/28' % first.ip, '10.57.0.9/28']
    assert {(row.ip, row.kind, row.note) for row in ledger.addresses('named-net') if row.kind != 'reserved'} == {
        (first.ip, ALLOCATED, 'web01'), ('10.57.0.9', FIXED, 'web01'), ('10.57.0.11', OBSERVED, 'db01'), (first.ip, CONFLICT, 'db01')}
    before = snapshot(netbox)
    assert ledger.allocate('named-net', VM1, 'eth0', vm_name='web01-new', dry_run=True).changed is False
    assert ledger.allocate('named-net', VM1, 'eth0', vm_name='web01').changed is False
    assert snapshot(netbox) == before
    again = ledger.allocate('named-net', VM1, 'eth0', vm_name='web01-new')
    assert (again.ip, again.changed) == (first.ip, False)
    assert ip_objects(netbox, '10.57.0.0/28')[first.ip]['description'] == 'web01-new eth0 (guestnet: allocated to VM %s)' % VM1
    ledger.release_owner(VM2)
    ledger.release_owner(VM1)


def test_a_new_subnet_replaces_the_allocation_of_the_family(ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('move-a', '10.34.0.0/29', hold_back=0)
    ledger.upsert_subnet('move-b', '10.34.1.0/29', hold_back=0)
    ledger.allocate('move-a', VM1, 'eth0')
    moved = ledger.allocate('move-b', VM1, 'eth0')
    assert moved.replaced is not None and moved.replaced.subnet == 'move-a'
    assert [row.subnet for row in ledger.addresses(vm_uuid=VM1) if row.interface == 'eth0' and row.subnet.startswith('move')] == ['move-b']


def test_exhaustion(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('tiny', '10.35.0.0/29', reserved=['10.35.0.6'])
    got = [ledger.allocate('tiny', 'vm-%d' % number, 'eth0').ip for number in range(5)]
    assert sorted(got) == ['10.35.0.%d' % host for host in range(1, 6)]
    with pytest.raises(SubnetExhaustedError, match=r'^subnet tiny of ledger %s is exhausted: NetBox has no free address in prefix '
                                                   r'10\.35\.0\.0/29' % netbox.url) as caught:
        ledger.allocate('tiny', 'vm-late', 'eth0')
    assert caught.value.subnet == 'tiny'
    assert ledger.usage('tiny')[0].free == 0
    # an explicit request may take a reserved address
    assert ledger.allocate('tiny', 'vm-reserved', 'eth0', ip='10.35.0.6').ip == '10.35.0.6'


def test_ipv6(netbox, ledger):  # pylint: disable=redefined-outer-name
    owner = '50000000-0000-4000-8000-000000000006'
    ledger.upsert_subnet('six', '2001:db8:60::/124', gateway='2001:db8:60::1', nameservers=['2001:db8::53'], reserved=['2001:db8:60::2'])
    four = ledger.allocate('alloc-net', owner, 'eth0')
    first = ledger.allocate('six', owner, 'eth0')
    assert first.ip == '2001:db8:60::3' and first.address == '2001:db8:60::3/124' and first.replaced is None
    again = ledger.allocate('alloc-net', owner, 'eth0')        # one allocation per family: the IPv4 one stays
    assert (again.ip, again.changed) == (four.ip, False)
    assert ledger.subnet_defaults('six', owner, 'eth0').gateway6 == '2001:db8:60::1'
    assert ip_objects(netbox, '2001:db8:60::/124')['2001:db8:60::3']['custom_fields']['guestnet_interface'] == 'eth0'
    assert sorted(row.ip for row in ledger.release_owner(owner)) == sorted([four.ip, first.ip])


def test_release_holds_back_then_frees(netbox):  # pylint: disable=redefined-outer-name
    now = [1000.0]
    with open_ledger(netbox.url, token=netbox.token, clock=lambda: now[0]) as ledger:  # pylint: disable=redefined-outer-name
        ledger.upsert_subnet('held', '10.36.0.0/30', hold_back=60)      # two addresses: .1 .2
        first = ledger.allocate('held', VM1, 'eth0')
        ledger.allocate('held', VM2, 'eth0')
        released = ledger.release(VM1, 'eth0')
        assert [(row.ip, row.vm_uuid) for row in released] == [(first.ip, VM1)]
        assert ledger.release(VM1, 'eth0') == []
        obj = ip_objects(netbox, '10.36.0.0/30')[first.ip]
        assert obj['status']['value'] == 'deprecated' and obj['custom_fields']['guestnet_kind'] == 'held_back'
        assert obj['description'].startswith('guestnet: held back after release from VM %s eth0, until ' % VM1)
        assert ledger.usage('held')[0].held_back == 1
        with pytest.raises(SubnetExhaustedError):
            ledger.allocate('held', 'vm-3', 'eth0')
        now[0] += 61
        assert ledger.allocate('held', 'vm-3', 'eth0').ip == first.ip
        assert [row.ip for row in ledger.release_owner(VM2)] == ['10.36.0.2']
        # hold_back 0: deleted at once
        ledger.upsert_subnet('held', '10.36.0.0/30', hold_back=0)
        ledger.release('vm-3', 'eth0')
        assert first.ip not in ip_objects(netbox, '10.36.0.0/30')


def test_release_addresses_matches_exactly(ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('reclaim', '10.37.0.0/29', hold_back=0)
    ledger.allocate('reclaim', VM1, 'eth0')
    rows = ledger.addresses('reclaim')
    stale = rows[0].__class__(**dict(rows[0].__dict__, interface='eth9'))
    assert ledger.release_addresses([stale]) == []
    assert [row.ip for row in ledger.release_addresses(rows)] == [rows[0].ip]
    with pytest.raises(LedgerError, match='not an allocated or fixed address'):
        ledger.release_addresses([stale.__class__(**dict(stale.__dict__, kind=OBSERVED))])


def test_fixed_observed_and_conflicts(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('seen', '10.38.0.0/28', portgroup='pg-s', hold_back=0)
    fixed = ledger.record_fixed('10.38.0.5', VM1, 'eth0', portgroup='pg-s', mac='00-50-56-AA-BB-CC')
    assert (fixed.kind, fixed.mac, fixed.subnet) == (FIXED, '00:50:56:aa:bb:cc', 'seen')
    assert ledger.record_fixed('10.38.0.5', VM1, 'eth0').kind == FIXED
    with pytest.raises(LedgerError, match='is in no subnet range'):
        ledger.record_fixed('10.39.0.5', VM1, 'eth0')
    result = ledger.replace_observed(VM2, [{'ip': '10.38.0.7', 'interface': 'eth0', 'portgroup': 'pg-s'},
                                           {'ip': '10.38.0.5', 'interface': 'eth1'}, {'ip': '192.0.2.1', 'interface': 'eth2'}])
    assert result.changed and result.unmatched == ('192.0.2.1',)
    assert [(row.ip, row.kind) for row in result.recorded] == [('10.38.0.7', OBSERVED)]
    assert [(row.ip, row.kind, row.vm_uuid) for row in result.conflicts] == [('10.38.0.5', CONFLICT, VM2)]
    holder = ip_objects(netbox, '10.38.0.0/28')['10.38.0.5']
    assert holder['custom_fields']['guestnet_vm_uuid'] == VM1, 'a conflict never overwrites the holder'
    assert 'guestnet-conflict' in [tag['slug'] for tag in holder['tags']]
    again = ledger.replace_observed(VM2, [{'ip': '10.38.0.7', 'interface': 'eth0', 'portgroup': 'pg-s'}, {'ip': '10.38.0.5', 'interface': 'eth1'}])
    assert not again.changed and again.removed == ()
    assert sorted((row.ip, row.kind) for row in ledger.addresses('seen')) == [('10.38.0.5', CONFLICT), ('10.38.0.5', FIXED), ('10.38.0.7', OBSERVED)]
    # an observed address becomes allocated when its VM asks for one
    assert ledger.allocate('seen', VM2, 'eth0').ip == '10.38.0.7'
    gone = ledger.replace_observed(VM2, [])
    assert gone.changed and [(row.ip, row.kind) for row in gone.removed] == [('10.38.0.5', CONFLICT)]
    assert ledger.usage('seen')[0].conflicts == 0
    # an observed row becomes fixed
    ledger.replace_observed(VM2, [{'ip': '10.38.0.8', 'interface': 'eth3'}])
    assert ledger.record_fixed('10.38.0.8', VM2, 'eth3').kind == FIXED


def test_port_groups_and_additional(netbox, ledger):  # pylint: disable=redefined-outer-name
    first = ledger.sync_networks([L2Network('dvportgroup-1', 'PG-A', 'DSwitch', 100, ('host-2', 'host-1')), {'moid': 'network-7', 'name': 'VM Network'}])
    assert first == {'added': ['dvportgroup-1', 'network-7'], 'updated': [], 'removed': []}
    assert ledger.sync_networks([L2Network('dvportgroup-1', 'PG-A', 'DSwitch', 100, ('host-1', 'host-2'))]) == {'added': [], 'updated': [], 'removed': []}
    assert ledger.list_networks()[0] == L2Network('dvportgroup-1', 'PG-A', 'DSwitch', 100, ('host-1', 'host-2'))
    assert ledger.sync_networks([{'moid': 'dvportgroup-1', 'name': 'PG-A2'}], prune=True) == {
        'added': [], 'updated': ['dvportgroup-1'], 'removed': ['network-7']}
    dummy, contexts = netbox.api('GET', '/api/extras/config-contexts/?name=guestnet.vsphere%20port%20groups', expect=200)
    assert contexts['results'][0]['is_active'] is False and list(contexts['results'][0]['data']['port_groups']) == ['dvportgroup-1']
    ledger.upsert_subnet('reach', '10.40.0.0/28', portgroup='pg-main')
    assert ledger.mark_additional('reach', 'pg-extra') is True and ledger.mark_additional('reach', 'pg-extra') is False
    with pytest.raises(LedgerError, match='is its primary port group'):
        ledger.mark_additional('reach', 'pg-main')
    assert ledger.detect_additional({'pg-seen': ['10.40.0.3'], 'pg-extra': ['10.40.0.4']}) == {'added': [('reach', 'pg-seen')], 'removed': []}
    assert [item.name for item in ledger.subnets_reachable_from('pg-seen')] == ['reach']
    assert ledger.find_subnet_for_ip('10.40.0.3', 'pg-extra').name == 'reach'
    assert ledger.detect_additional({}) == {'added': [], 'removed': [('reach', 'pg-seen')]}
    assert ledger.unmark_additional('reach', 'pg-extra') is True and ledger.unmark_additional('reach', 'pg-extra') is False
    assert ledger.get_subnet('reach').additional == ()


def test_delete_subnet(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('doomed', '10.41.0.0/29', gateway='10.41.0.1', reserved=['10.41.0.5'])
    ledger.allocate('doomed', VM1, 'eth5')
    with pytest.raises(LedgerError, match=r'^subnet doomed of ledger %s: 1 address\(es\) are still recorded in it' % netbox.url):
        ledger.delete_subnet('doomed')
    assert ledger.delete_subnet('doomed', force=True) is True
    with pytest.raises(UnknownSubnetError):
        ledger.get_subnet('doomed')
    assert ip_objects(netbox, '10.41.0.0/29') == {}


# ----- dry runs and batches ---------------------------------------------------------------------------------------------

def test_dry_run_leaves_netbox_unchanged(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('dry', '10.42.0.0/28', portgroup='pg-d', gateway='10.42.0.1', hold_back=30)
    ledger.allocate('dry', D1, 'eth0')
    ledger.replace_observed(D2, [{'ip': '10.42.0.9', 'interface': 'eth0'}])
    before = snapshot(netbox)
    results = [
        ledger.upsert_subnet('dry', '10.42.0.0/28', portgroup='pg-d', gateway='10.42.0.14', mtu=1400, reserved=['10.42.0.10'], dry_run=True),
        ledger.upsert_subnet('dry-new', '10.43.0.0/28', dry_run=True),
        ledger.allocate('dry', D2, 'eth1', dry_run=True).dry_run,
        ledger.allocate('dry', D2, 'eth0', dry_run=True).ip,      # the observed one becomes allocated
        [row.ip for row in ledger.release(D1, 'eth0', dry_run=True)],
        len(ledger.release_owner(D2, dry_run=True)),
        ledger.record_fixed('10.42.0.12', D1, 'eth1', dry_run=True).kind,
        ledger.replace_observed(D2, [{'ip': '10.42.0.2', 'interface': 'eth0'}], dry_run=True).changed,
        ledger.mark_additional('dry', 'pg-x', dry_run=True),
        ledger.detect_additional({'pg-y': ['10.42.0.3']}, dry_run=True),
        ledger.sync_networks([{'moid': 'pg-dry', 'name': 'dry'}], prune=True, dry_run=True)['added'],
        ledger.delete_subnet('dry', force=True, dry_run=True),
    ]
    released_ip = ledger.addresses('dry', D1)[0].ip
    assert results == [True, True, True, '10.42.0.9', [released_ip], 1, FIXED, True, True,
                       {'added': [('dry', 'pg-y')], 'removed': []}, ['pg-dry'], True]
    assert snapshot(netbox) == before


def test_a_dry_run_allocation_writes_nothing(netbox, ledger):  # pylint: disable=redefined-outer-name
    """Check mode on a shared IPAM: not even a create and delete pair in NetBox's change log, and the same answers."""
    ledger.upsert_subnet('preview', '10.52.0.0/29', reserved=['10.52.0.6'], hold_back=30)
    ledger.allocate('preview', D1, 'eth0')
    ledger.replace_observed(D2, [{'ip': '10.52.0.3', 'interface': 'eth0'}])
    dummy, changes = netbox.api('GET', '/api/core/object-changes/?limit=1', expect=200)
    before = (snapshot(netbox), changes['count'])
    assert ledger.allocate('preview', D2, 'eth1', dry_run=True).ip == '10.52.0.2'
    assert ledger.allocate('preview', D2, 'eth0', dry_run=True).ip == '10.52.0.3'          # the observed one
    assert ledger.allocate('preview', D2, 'eth1', ip='10.52.0.6', dry_run=True).ip == '10.52.0.6'   # a reserved one, asked for
    moved = ledger.allocate('preview', D1, 'eth0', ip='10.52.0.5', dry_run=True)
    assert moved.replaced is not None and moved.replaced.ip == '10.52.0.1' and moved.dry_run
    with pytest.raises(LedgerError, match='10.52.0.3 is already observed on %s/eth0' % D2):
        ledger.allocate('preview', D1, 'eth1', ip='10.52.0.3', dry_run=True)
    dummy, changes = netbox.api('GET', '/api/core/object-changes/?limit=1', expect=200)
    assert (snapshot(netbox), changes['count']) == before
    for number in range(3):
        ledger.allocate('preview', 'fill-%d' % number, 'eth0')
    with pytest.raises(SubnetExhaustedError) as preview:
        ledger.allocate('preview', 'late', 'eth0', dry_run=True)
    with pytest.raises(SubnetExhaustedError) as real:
        ledger.allocate('preview', 'late', 'eth0')
    assert str(preview.value) == str(real.value)


def test_a_dry_run_allocate_all_previews_distinct_addresses_and_writes_nothing(netbox, ledger):  # pylint: disable=redefined-outer-name
    """The VM modules' check mode and trial (ledger_plan, dry run): two interfaces on one subnet preview two addresses,
    those the real run then gets, and NetBox's change log does not move."""
    from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import ledger_plan
    from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import DISTRIBUTED, Network, NetworkCatalog
    from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

    ledger.upsert_subnet('trial-net', '10.59.0.0/29', portgroup='dvportgroup-59', gateway='10.59.0.1')
    ledger.allocate('trial-net', D1, 'eth0')                                     # 10.59.0.2 is taken
    catalog = NetworkCatalog([Network(moid='dvportgroup-59', name='PG-59', kind=DISTRIBUTED, switch='DVS0', portgroup_key='dvportgroup-59')],
                             datacenter='DC0')
    spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'subnet': 'trial-net'}, {'name': 'eth1', 'subnet': 'trial-net'}]})
    location = ledger_location({'ledger': netbox.url, 'ledger_token': netbox.token})
    dummy, changes = netbox.api('GET', '/api/core/object-changes/?limit=1', expect=200)
    before = (snapshot(netbox), changes['count'])
    trial, dummy = ledger_plan(location, spec, vm_uuid=D2, catalog=catalog, dry_run=True, vm_name='two-nics')
    wanted = [AddressRequest('trial-net', 'eth0'), AddressRequest('trial-net', 'eth1', ip='10.59.0.5'), AddressRequest('trial-net', 'eth2')]
    assert [(item.ip, item.dry_run) for item in ledger.allocate_all(VM1, wanted, dry_run=True)] == [
        ('10.59.0.3', True), ('10.59.0.5', True), ('10.59.0.4', True)]
    with pytest.raises(LedgerError, match=r'10\.59\.0\.3 is already allocated to %s/eth0' % VM1):   # what the real call says
        ledger.allocate_all(VM1, [AddressRequest('trial-net', 'eth0'), AddressRequest('trial-net', 'eth1', ip='10.59.0.3')], dry_run=True)
    dummy, changes = netbox.api('GET', '/api/core/object-changes/?limit=1', expect=200)
    assert (snapshot(netbox), changes['count']) == before
    assert [item['address'] for item in trial.allocations] == ['10.59.0.3/29', '10.59.0.4/29']
    kept, dummy = ledger_plan(location, spec, vm_uuid=D2, catalog=catalog, dry_run=False, vm_name='two-nics')
    assert kept.allocations == trial.allocations and kept.defaults == trial.defaults
    assert [(row.ip, row.interface, row.note) for row in ledger.addresses('trial-net', D2)] == [
        ('10.59.0.3', 'eth0', 'two-nics'), ('10.59.0.4', 'eth1', 'two-nics')]
    ledger.delete_subnet('trial-net', force=True)


def test_batch_reverts_on_an_exception_and_on_dry_run(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('batch', '10.44.0.0/28', hold_back=30)
    ledger.allocate('batch', VM1, 'eth0')
    before = snapshot(netbox)
    with pytest.raises(RuntimeError):
        with ledger.batch() as inside:
            inside.upsert_subnet('batch-2', '10.45.0.0/28', gateway='10.45.0.1')
            inside.allocate('batch-2', VM2, 'eth0')
            inside.release(VM1, 'eth0')                     # held back: the ip-address changes
            inside.delete_subnet('batch', force=True)       # deleted objects come back (new ids)
            assert [item.name for item in inside.list_subnets() if item.name.startswith('batch')] == ['batch-2']
            raise RuntimeError('boom')
    assert snapshot(netbox) == before
    with ledger.batch(dry_run=True) as inside:
        inside.allocate('batch', VM2, 'eth0')
        assert len(inside.addresses('batch')) == 2          # each change sees the ones before it
    assert snapshot(netbox) == before
    with ledger.batch() as inside:
        inside.allocate('batch', VM2, 'eth0', dry_run=True)  # undoes only itself
        inside.allocate('batch', VM2, 'eth1')
    assert [row.interface for row in ledger.addresses('batch', VM2)] == ['eth1']


# ----- errors -----------------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_netbox_unreachable(netbox):  # pylint: disable=redefined-outer-name
    url = 'http://127.0.0.1:%d' % _free_port()
    for call in (lambda: open_ledger(url, token=netbox.token), lambda: check_writable(url, token=netbox.token)):
        with pytest.raises(LedgerError, match=r'^ledger %s: NetBox does not answer \(GET /api/status/: .*\); check the URL and that NetBox '
                                              r'runs$' % url) as caught:
            call()
        assert netbox.token not in str(caught.value)


def test_bad_token(netbox):  # pylint: disable=redefined-outer-name
    secret = 'nbt_' + 'x' * 12 + '.' + 'y' * 40
    for token in (secret, '0123456789abcdef0123456789abcdef01234567'):
        with pytest.raises(LedgerError, match=r'^ledger %s: NetBox refused the token \(HTTP 40[13] on GET /api/status/: .*\); check '
                                              r'ledger_token \(or NETBOX_TOKEN\)' % netbox.url) as caught:
            check_writable(netbox.url + '/', token=token)
        assert token not in str(caught.value) and 'y' * 10 not in repr(caught.value.args)


def test_read_only_token(netbox):  # pylint: disable=redefined-outer-name
    dummy, me = netbox.api('GET', '/api/users/users/?username=admin', expect=200)
    dummy, made = netbox.api('POST', '/api/users/tokens/', {'user': me['results'][0]['id'], 'write_enabled': False, 'description': 'read-only'},
                             expect=201)
    token = 'nbt_%s.%s' % (made['key'], made['token'])
    with pytest.raises(LedgerError, match=r'^ledger %s: the NetBox token is read-only \(write_enabled: false\); give a token that may write'
                                          % netbox.url) as caught:
        check_writable(netbox.url, token=token)
    assert made['token'] not in str(caught.value) and made['key'] not in str(caught.value)
    with open_ledger(netbox.url, token=token) as ledger:   # pylint: disable=redefined-outer-name
        before = snapshot(netbox)
        with pytest.raises(LedgerError, match=r'^ledger %s: NetBox refused the token \(HTTP 403 on POST /api/ipam/prefixes/\d+/available-ips/ '
                                              r'\(address for VM read-only-vm eth0 in subnet alloc-net\): .*\); check ledger_token '
                                              r'\(or NETBOX_TOKEN\), and that the token '
                                              r'may write' % netbox.url):
            ledger.allocate('alloc-net', 'read-only-vm', 'eth0')
        assert snapshot(netbox) == before
        assert ledger.get_subnet('alloc-net').name == 'alloc-net'     # reads work


def test_the_location_netbox_reads_netbox_url(netbox, monkeypatch):  # pylint: disable=redefined-outer-name
    """ledger: netbox is the NetBox of NETBOX_URL (with NETBOX_TOKEN): what AWX's custom credential type injects."""
    monkeypatch.setenv('NETBOX_URL', netbox.url + '/')
    monkeypatch.setenv('NETBOX_TOKEN', netbox.token)
    check_writable('netbox')
    with open_ledger('netbox') as ledger:   # pylint: disable=redefined-outer-name
        assert ledger.name == netbox.url and isinstance(ledger.list_subnets(), list)


def test_tls_is_verified_and_a_private_ca_is_trusted_through_ssl_cert_file(netbox_tls, monkeypatch):
    """NetBox over https with a certificate of a private CA: refused by default, with a message that says what to do and
    no change; taken with validate_certs false (the modules' ledger_validate_certs) and with the CA in SSL_CERT_FILE."""
    url, token = netbox_tls.url, netbox_tls.token
    assert url.startswith('https://')
    monkeypatch.delenv('SSL_CERT_FILE', raising=False)
    message = (r'^ledger %s: TLS with NetBox failed \(.*CERTIFICATE_VERIFY_FAILED.*\); give its CA with SSL_CERT_FILE, or set '
               r'ledger_validate_certs: false for a lab$' % url)
    for call in (lambda: open_ledger(url, token=token), lambda: check_writable(url, token=token)):
        with pytest.raises(LedgerError, match=message) as caught:
            call()
        assert token not in str(caught.value)
    # the options as the modules give them, through a LedgerLocation
    location = ledger_location({'ledger': url, 'ledger_token': token, 'ledger_validate_certs': False})
    check_writable(location)
    with open_ledger(location) as ledger:   # pylint: disable=redefined-outer-name
        assert ledger.upsert_subnet('tls-net', '10.58.0.0/29', portgroup='pg-t') is True
        assert ledger.allocate('tls-net', VM1, 'eth0', vm_name='tls01').ip == '10.58.0.1'
    monkeypatch.setenv('SSL_CERT_FILE', netbox_tls.cafile)
    with open_ledger(ledger_location({'ledger': url, 'ledger_token': token, 'ledger_validate_certs': True})) as ledger:   # pylint: disable=redefined-outer-name
        assert [(row.ip, row.note) for row in ledger.addresses('tls-net', VM1)] == [('10.58.0.1', 'tls01')]


def test_missing_prefix(netbox, ledger):  # pylint: disable=redefined-outer-name
    with pytest.raises(UnknownSubnetError, match=r'^subnet nowhere is not declared in ledger %s \(no prefix tagged guestnet with '
                                                 r'guestnet_subnet nowhere\)$' % netbox.url):
        ledger.allocate('nowhere', VM1, 'eth0')
    with pytest.raises(UnknownSubnetError):
        ledger.usage('nowhere')


def test_prefix_without_our_fields(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('broken', '10.46.0.0/29')
    dummy, found = netbox.api('GET', '/api/ipam/prefixes/?prefix=10.46.0.0/29', expect=200)
    prefix = found['results'][0]
    netbox.api('PATCH', '/api/ipam/prefixes/%d/' % prefix['id'], {'custom_fields': {'guestnet_settings': None}}, expect=200)
    with pytest.raises(LedgerError, match=r'^ledger %s: prefix 10\.46\.0\.0/29 \(subnet broken\) has no guestnet_settings' % netbox.url):
        ledger.get_subnet('broken')
    netbox.api('PATCH', '/api/ipam/prefixes/%d/' % prefix['id'], {'custom_fields': {'guestnet_subnet': None}}, expect=200)
    with pytest.raises(LedgerError, match=r'^ledger %s: prefix 10\.46\.0\.0/29 is tagged guestnet but its custom field guestnet_subnet is '
                                          r'empty' % netbox.url):
        ledger.list_subnets()
    netbox.api('DELETE', '/api/ipam/prefixes/%d/' % prefix['id'], expect=204)


def test_custom_field_of_another_type(netbox):  # pylint: disable=redefined-outer-name
    dummy, fields = netbox.api('GET', '/api/extras/custom-fields/?name=guestnet_record', expect=200)
    original = fields['results'][0]
    netbox.api('DELETE', '/api/extras/custom-fields/%d/' % original['id'], expect=204)
    dummy, wrong = netbox.api('POST', '/api/extras/custom-fields/', {'name': 'guestnet_record', 'type': 'integer', 'object_types': ['ipam.ipaddress']},
                              expect=201)
    try:
        with pytest.raises(LedgerError, match=r'^ledger %s: NetBox custom field guestnet_record is of type integer, not json as guestnet needs'
                                              % netbox.url):
            open_ledger(netbox.url, token=netbox.token)
    finally:
        netbox.api('DELETE', '/api/extras/custom-fields/%d/' % wrong['id'], expect=204)
    with open_ledger(netbox.url, token=netbox.token) as ledger:  # pylint: disable=redefined-outer-name
        ledger.upsert_subnet('schema-again', '10.47.0.0/29')   # creates the missing field again
        assert ledger.allocate('schema-again', VM1, 'eth7').changed


def test_check_writable_and_scratch(netbox):  # pylint: disable=redefined-outer-name
    before = snapshot(netbox)
    check_writable(netbox.url, token=netbox.token)
    assert snapshot(netbox) == before
    with scratch_ledger(netbox.url) as trial:
        assert trial.name == netbox.url and trial.list_subnets() == []


# ----- the race and the rate ---------------------------------------------------------------------------------------------

def _race_worker(args):
    url, token, owner, barrier = args
    from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import open_ledger as opener  # noqa
    with opener(url, token=token) as ledger:  # pylint: disable=redefined-outer-name
        barrier.wait(timeout=60)
        try:
            return ('ok', ledger.allocate('race', owner, 'eth0').ip)
        except SubnetExhaustedError as exc:
            return ('exhausted', str(exc))
        except Exception as exc:  # pylint: disable=broad-except
            return ('error', '%s: %s' % (type(exc).__name__, exc))


def test_race_eight_processes_on_a_slash_29(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('race', '10.48.0.0/29')
    context = multiprocessing.get_context('fork')
    with context.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with context.Pool(PROCESSES) as pool:
            began = time.monotonic()
            results = pool.map(_race_worker, [(netbox.url, netbox.token, 'race-%d' % number, barrier) for number in range(PROCESSES)])
            elapsed = time.monotonic() - began
    got = [value for status, value in results if status == 'ok']
    print('\n# race: %d processes on a /29: %s in %.2fs' % (PROCESSES, sorted(results), elapsed))
    assert [status for status, value in results if status == 'error'] == [], results
    assert len(got) == len(set(got)) == 6 and all(ipaddress.ip_address(ip) in ipaddress.ip_network('10.48.0.0/29') for ip in got)
    assert sorted(status for status, value in results) == ['exhausted'] * 2 + ['ok'] * 6
    assert len(ip_objects(netbox, '10.48.0.0/29')) == 6


def test_race_one_owner_from_four_processes(netbox, ledger):  # pylint: disable=redefined-outer-name
    """The same owner from 4 processes at once (a VM provisioned from two controllers): one address, the same for all."""
    ledger.upsert_subnet('race-owner', '10.53.0.0/28', hold_back=0)
    context = multiprocessing.get_context('fork')
    with context.Manager() as manager:
        barrier = manager.Barrier(4)
        with context.Pool(4) as pool:
            results = pool.map(_owner_worker, [(netbox.url, netbox.token, barrier)] * 4)
    print('\n# one owner, 4 processes: %s' % results)
    assert len({ip for ip, changed in results}) == 1 and [changed for ip, changed in results].count(True) == 1
    assert [row.ip for row in ledger.addresses('race-owner')] == [results[0][0]]
    assert len(ip_objects(netbox, '10.53.0.0/28')) == 1


def _owner_worker(args):
    url, token, barrier = args
    from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import open_ledger as opener  # noqa
    with opener(url, token=token) as ledger:  # pylint: disable=redefined-outer-name
        barrier.wait(timeout=60)
        allocation = ledger.allocate('race-owner', 'one-owner', 'eth0')
        return allocation.ip, allocation.changed


@pytest.mark.full_only
def test_allocations_per_second(netbox, ledger):  # pylint: disable=redefined-outer-name
    ledger.upsert_subnet('rate', '10.49.0.0/26', hold_back=0)
    began = time.monotonic()
    got = [ledger.allocate('rate', 'rate-%d' % number, 'eth0').ip for number in range(40)]
    elapsed = time.monotonic() - began
    began = time.monotonic()
    for number in range(40):
        assert not ledger.allocate('rate', 'rate-%d' % number, 'eth0').changed
    again = time.monotonic() - began
    print('\n# NetboxLedger: 40 allocations in %.2fs: %.1f allocations/s; 40 idempotent re-runs: %.1f/s' % (
        elapsed, 40 / elapsed, 40 / again))
    assert len(set(got)) == 40


# ----- the callers, unchanged, on NetBox ------------------------------------------------------------------------------------

def test_subnet_sync_and_the_ipam_plan_run_on_netbox(netbox, tmp_path, monkeypatch):  # pylint: disable=redefined-outer-name
    """subnet_sync's step and the ipam plan, as the modules run them (the token from NETBOX_TOKEN), give on NetBox what
    they give on SQLite; a re-run changes nothing."""
    from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
    from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import ledger_plan
    from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import DISTRIBUTED, Network, NetworkCatalog
    from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
    from ansible_collections.guestnet.vsphere.plugins.module_utils._step_subnets import SubnetRequest, sync_subnets
    from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter

    monkeypatch.setenv('NETBOX_TOKEN', netbox.token)
    with open_ledger(netbox.url) as ledger:   # pylint: disable=redefined-outer-name
        for subnet in ledger.list_subnets():  # what the other tests left: this one compares whole ledgers
            ledger.delete_subnet(subnet.name, force=True)
        ledger.sync_networks([], prune=True)
    subnets = [{'name': 'sync-net', 'cidr': '10.51.0.0/24', 'portgroup': 'PG-A', 'gateway': '10.51.0.1'}]
    reports = {}
    plain = str(tmp_path / 'plain.sqlite')
    for location in (netbox.url, plain):
        for run, check_mode in enumerate((True, False, False)):
            ctx = Context(standard_vcenter().client(), check_mode=check_mode, diff=True)
            result = sync_subnets(ctx, SubnetRequest.of({'ledger': location, 'subnets': subnets}))
            reports[location, run] = dict(result.result, ledger=None, ledger_warning=None, changed=result.changed)
    for run in range(3):
        assert reports[netbox.url, run] == reports[plain, run], run
    assert reports[plain, 1]['changed'] is True and reports[plain, 2]['changed'] is False
    with open_ledger(netbox.url) as through, open_ledger(plain) as direct:
        assert through.list_networks() == direct.list_networks()
        assert [item for item in through.list_subnets() if item.name == 'sync-net'] == direct.list_subnets()
        portgroup = direct.get_subnet('sync-net').portgroup
    catalog = NetworkCatalog([Network(moid=portgroup, name='PG-A', kind=DISTRIBUTED, switch='DVS0', portgroup_key=portgroup)], datacenter='DC0')
    spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'subnet': 'sync-net'}]})
    planned, dummy = ledger_plan(netbox.url, spec, vm_uuid=VM1, catalog=catalog, dry_run=True)
    kept, dummy = ledger_plan(netbox.url, spec, vm_uuid=VM1, catalog=catalog, dry_run=False)
    again, dummy = ledger_plan(netbox.url, spec, vm_uuid=VM1, catalog=catalog, dry_run=False)
    assert planned.allocations == kept.allocations and kept.allocations[0]['changed'] is True
    assert again.allocations == [dict(kept.allocations[0], changed=False)]
