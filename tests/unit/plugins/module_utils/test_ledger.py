# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The subnet ledger (SQLite backend): declaring subnets, allocation, observations, reachability, usage."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import random
import re
import sqlite3
from typing import Any, List

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _ledger
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (
    ALLOCATED, CONFLICT, DETECTED, FIXED, MARKED, OBSERVED, AdditionalPortgroup, AddressRequest, L2Network, LedgerBackend, LedgerError,
    ObservedAddress, SqliteLedger, SubnetExhaustedError, UnknownSubnetError, Usage, default_ledger_path, path_looks_shared)
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SubnetDefaults

VM1, VM2, VM3 = 'vm-uuid-1', 'vm-uuid-2', 'vm-uuid-3'
PG1, PG2, PG3 = 'dvportgroup-11', 'dvportgroup-12', 'network-13'


class FakeClock:
    """An injectable clock: tests advance time instead of sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(name='clock')
def clock_fixture() -> FakeClock:
    return FakeClock()


@pytest.fixture(name='ledger')
def ledger_fixture(tmp_path: Any, clock: FakeClock) -> SqliteLedger:
    with SqliteLedger(str(tmp_path / 'ledger.sqlite'), clock=clock, rng=random.Random(7)) as opened:
        yield opened


def small(ledger: SqliteLedger, name: str = 'small', **options: Any) -> bool:
    """10.0.0.0/29: hosts .1-.6, gateway .1 -> five allocatable addresses."""
    settings = dict(gateway='10.0.0.1', portgroup=PG1)
    settings.update(options)
    return ledger.upsert_subnet(name, '10.0.0.0/29', **settings)


def take(ledger: SqliteLedger, count: int, subnet: str = 'small', vm_uuid: str = VM1) -> List[str]:
    return [ledger.allocate(subnet, vm_uuid, 'eth%d' % index).ip for index in range(count)]


# ----- declaring subnets -----

def test_upsert_fills_defaults_and_reports_changes(ledger: SqliteLedger) -> None:
    assert ledger.upsert_subnet('prod', '10.0.0.0/24', gateway='10.0.0.1', nameservers=['10.0.0.53'], search_domains=['example.com'],
                                mtu=9000, portgroup=PG1, reserved=['10.0.0.2', '10.0.0.10-10.0.0.19', {'start': '10.0.0.64/30', 'note': 'vip'}])
    subnet = ledger.get_subnet('prod')
    assert (subnet.range_start, subnet.range_end, subnet.direction) == ('10.0.0.1', '10.0.0.254', 'stepdown')
    assert [(item.start, item.end, item.note) for item in subnet.reserved] == [
        ('10.0.0.2', '10.0.0.2', ''), ('10.0.0.10', '10.0.0.19', ''), ('10.0.0.64', '10.0.0.67', 'vip')]
    assert (subnet.nameservers, subnet.search_domains, subnet.mtu) == (('10.0.0.53',), ('example.com',), 9000)
    assert [(item.kind, item.ip, item.last_ip, item.owner) for item in ledger.addresses(subnet='prod')][1:] == [
        ('reserved', '10.0.0.10', '10.0.0.19', None), ('reserved', '10.0.0.64', '10.0.0.67', None)]
    assert not ledger.upsert_subnet('prod', '10.0.0.0/24', gateway='10.0.0.1', nameservers=['10.0.0.53'], search_domains=['example.com'],
                                    mtu=9000, portgroup=PG1, reserved=[{'start': '10.0.0.64', 'end': '10.0.0.67', 'note': 'vip'},
                                                                       '10.0.0.10 - 10.0.0.19', '10.0.0.2'])   # same, reordered
    assert ledger.upsert_subnet('prod', '10.0.0.0/24', gateway='10.0.0.1', portgroup=PG1)
    assert ledger.get_subnet('prod').reserved == ()
    assert [item.name for item in ledger.list_subnets()] == ['prod']


@pytest.mark.parametrize('cidr, options, message', [
    ('10.0.0.1/24', {}, 'subnet bad: cidr 10.0.0.1/24 is not a network: 10.0.0.1/24 has host bits set'),
    ('10.0.0.0/24', {'gateway': '10.0.1.1'}, 'subnet bad: gateway: 10.0.1.1 is not a usable address of 10.0.0.0/24 (10.0.0.1-10.0.0.254)'),
    ('10.0.0.0/24', {'range_start': '10.0.0.0'}, 'subnet bad: range_start: 10.0.0.0 is not a usable address'),
    ('10.0.0.0/24', {'range_start': '10.0.0.9', 'range_end': '10.0.0.8'}, 'subnet bad: range_end 10.0.0.8 is below range_start 10.0.0.9'),
    ('10.0.0.0/24', {'direction': 'sideways'}, 'subnet bad: direction sideways is not one of stepup, stepdown, random'),
    ('2001:db8::/64', {'direction': 'stepup'}, 'subnet bad: direction stepup is not supported for IPv6'),
    ('10.0.0.0/24', {'mtu': 40}, 'subnet bad: mtu 40 is not an MTU for IPv4 (68-65535)'),
    ('10.0.0.0/24', {'reserved': ['10.0.1.5']}, 'subnet bad: reserved[0]: 10.0.1.5 is not inside 10.0.0.0/24'),
    ('10.0.0.0/24', {'reserved': [{'start': '10.0.0.5', 'expires_at': 'soon'}]}, 'subnet bad: reserved[0].expires_at: soon is neither'),
    ('10.0.0.0/24', {'nameservers': ['dns.example.com']}, 'subnet bad: nameservers: dns.example.com is not an IP address'),
    ('10.0.0.0/24', {'vlan': 5}, 'subnet bad: unknown option(s) vlan'),
])
def test_upsert_rejects_bad_declarations(ledger: SqliteLedger, cidr: str, options: Any, message: str) -> None:
    with pytest.raises(LedgerError) as caught:
        ledger.upsert_subnet('bad', cidr, **options)
    assert str(caught.value).startswith(message)


def test_overlap_with_another_subnet_names_both(ledger: SqliteLedger) -> None:
    ledger.upsert_subnet('prod', '10.0.0.0/24')
    ledger.upsert_subnet('v6', '2001:db8::/64')
    with pytest.raises(LedgerError, match=r'^subnet lab: cidr 10\.0\.0\.128/25 overlaps subnet prod \(10\.0\.0\.0/24\) of ledger %s$' % re.escape(ledger.name)):
        ledger.upsert_subnet('lab', '10.0.0.128/25')
    assert ledger.upsert_subnet('prod', '10.0.0.0/23')   # the same subnet may grow
    ledger.upsert_subnet('lab', '10.0.2.0/24')


def test_range_change_may_not_strand_addresses(ledger: SqliteLedger) -> None:
    small(ledger, direction='stepup')
    take(ledger, 2)   # .2 .3
    with pytest.raises(LedgerError, match=r'^subnet small of ledger %s: range 10\.0\.0\.3-10\.0\.0\.6 would leave 1 recorded address\(es\) '
                                          r'outside it: 10\.0\.0\.2' % re.escape(ledger.name)):
        small(ledger, direction='stepup', range_start='10.0.0.3')


def test_delete_subnet_refuses_while_addresses_are_recorded(ledger: SqliteLedger) -> None:
    small(ledger, reserved=['10.0.0.6'])
    ledger.allocate('small', VM1, 'eth0')
    with pytest.raises(LedgerError, match='^subnet small of ledger %s: 1 address' % re.escape(ledger.name)):
        ledger.delete_subnet('small')
    assert ledger.delete_subnet('small', force=True)
    assert not ledger.delete_subnet('small')
    assert ledger.addresses() == []


# ----- allocation -----

@pytest.mark.parametrize('direction, expected', [
    ('stepup', ['10.0.0.2', '10.0.0.3', '10.0.0.4']),
    ('stepdown', ['10.0.0.6', '10.0.0.5', '10.0.0.4']),
])
def test_allocation_order(ledger: SqliteLedger, direction: str, expected: List[str]) -> None:
    small(ledger, direction=direction)
    assert take(ledger, 3) == expected


def test_default_direction_is_stepdown_like_cloudpods(ledger: SqliteLedger) -> None:
    small(ledger)
    assert take(ledger, 1) == ['10.0.0.6']


def test_random_allocation_spreads_and_still_fills_the_range(ledger: SqliteLedger) -> None:
    ledger.upsert_subnet('wide', '10.1.0.0/16', gateway='10.1.0.1', direction='random')
    picked = take(ledger, 5, 'wide')
    assert len(set(picked)) == 5 and picked != sorted(picked, key=ipaddress.ip_address)
    small(ledger, direction='random')
    assert sorted(take(ledger, 5)) == ['10.0.0.%d' % host for host in range(2, 7)]   # tries run out, the scan finds the rest


def test_gateway_and_reserved_are_never_handed_out(ledger: SqliteLedger, clock: FakeClock) -> None:
    small(ledger, direction='stepup', gateway='10.0.0.2', reserved=['10.0.0.1', {'start': '10.0.0.4', 'end': '10.0.0.5'}])
    assert take(ledger, 2) == ['10.0.0.3', '10.0.0.6']
    with pytest.raises(SubnetExhaustedError):
        ledger.allocate('small', VM2, 'eth0')
    clock.advance(3600)
    with pytest.raises(SubnetExhaustedError):   # reservations without expiry stay
        ledger.allocate('small', VM2, 'eth0')


def test_expired_reservation_becomes_usable(ledger: SqliteLedger, clock: FakeClock) -> None:
    small(ledger, direction='stepup', reserved=[{'start': '10.0.0.2', 'end': '10.0.0.3', 'expires_at': clock.now + 60}])
    assert take(ledger, 1) == ['10.0.0.4']
    clock.advance(61)
    assert ledger.allocate('small', VM2, 'eth0').ip == '10.0.0.2'


def test_reservation_expiry_accepts_iso_8601(ledger: SqliteLedger) -> None:
    small(ledger, reserved=[{'start': '10.0.0.2', 'expires_at': '1970-01-02T00:00:00Z'}, {'start': '10.0.0.3', 'expires_at': '1970-01-02'}])
    assert [item.expires_at for item in ledger.get_subnet('small').reserved] == [86400.0, 86400.0]


def test_same_owner_gets_the_same_address(ledger: SqliteLedger) -> None:
    small(ledger)
    first = ledger.allocate('small', VM1, 'eth0')
    again = ledger.allocate('small', VM1, 'eth0')
    assert (first.changed, again.changed, again.ip, again.address) == (True, False, first.ip, first.ip + '/29')
    assert ledger.allocate('small', VM1, 'eth1').ip != first.ip
    assert ledger.allocate('small', VM2, 'eth0').ip not in (first.ip,)


def test_exhaustion_names_the_subnet(ledger: SqliteLedger) -> None:
    small(ledger)
    take(ledger, 5)
    with pytest.raises(SubnetExhaustedError, match=r'^subnet small of ledger %s is exhausted: all 6 addresses of 10\.0\.0\.1-10\.0\.0\.6 '
                                                   r'are in use' % re.escape(ledger.name)) as caught:
        ledger.allocate('small', VM2, 'eth0')
    assert caught.value.subnet == 'small' and isinstance(caught.value, LedgerError)


def test_released_address_is_held_back(ledger: SqliteLedger, clock: FakeClock) -> None:
    small(ledger, direction='stepup')   # hold_back left out: 30 s
    assert ledger.get_subnet('small').hold_back == 30
    assert take(ledger, 1) == ['10.0.0.2']
    assert [item.ip for item in ledger.release(VM1, 'eth0')] == ['10.0.0.2']
    assert ledger.allocate('small', VM2, 'eth0').ip == '10.0.0.3'
    take(ledger, 3, vm_uuid=VM3)   # .4 .5 .6
    with pytest.raises(SubnetExhaustedError, match=r'held back after release \(1, for 30 s\)'):
        ledger.allocate('small', VM1, 'eth0')
    clock.advance(30.5)
    assert ledger.allocate('small', VM1, 'eth0').ip == '10.0.0.2'


def test_hold_back_is_configurable(ledger: SqliteLedger) -> None:
    small(ledger, direction='stepup', hold_back=0)
    take(ledger, 1)
    ledger.release(VM1, 'eth0')
    assert ledger.allocate('small', VM2, 'eth0').ip == '10.0.0.2'


def test_hold_back_is_per_subnet_and_applies_at_once(ledger: SqliteLedger, clock: FakeClock) -> None:
    small(ledger, direction='stepup', hold_back=120)
    ledger.upsert_subnet('quick', '10.0.1.0/29', portgroup=PG1, direction='stepup', hold_back=0)
    assert (ledger.get_subnet('small').hold_back, ledger.get_subnet('quick').hold_back) == (120, 0)
    for name in ('small', 'quick'):
        ledger.allocate(name, VM1, 'eth0')
        ledger.release(VM1, 'eth0')
    assert ledger.allocate('quick', VM2, 'eth0').ip == '10.0.1.1'           # hold_back 0: at once
    assert ledger.allocate('small', VM2, 'eth1').ip == '10.0.0.3'           # .2 is held back
    take(ledger, 3, vm_uuid=VM3)                                            # .4 .5 .6
    with pytest.raises(SubnetExhaustedError, match=r'held back after release \(1, for 120 s\) or the gateway$'):
        ledger.allocate('small', VM1, 'eth0')
    clock.advance(60)
    assert ledger.usage('small')[0].held_back == 1
    small(ledger, direction='stepup', hold_back=45)                         # shorter now: .2 was released 60 s ago
    assert ledger.usage('small')[0].held_back == 0
    assert ledger.allocate('small', VM1, 'eth0').ip == '10.0.0.2'
    small(ledger, direction='stepup')                                       # left out: back to 30
    assert ledger.get_subnet('small').hold_back == 30


def test_a_longer_hold_back_counts_for_addresses_released_before(ledger: SqliteLedger, clock: FakeClock) -> None:
    small(ledger, direction='stepup', hold_back=0)
    ledger.allocate('small', VM1, 'eth0')
    ledger.release(VM1, 'eth0')
    clock.advance(10)
    small(ledger, direction='stepup', hold_back=60)
    assert ledger.allocate('small', VM2, 'eth0').ip == '10.0.0.3'


@pytest.mark.parametrize('value', [-1, 1.5, True, '30', 365 * 24 * 3600 + 1])
def test_hold_back_must_be_whole_seconds(ledger: SqliteLedger, value: Any) -> None:
    with pytest.raises(LedgerError, match=r'^subnet small: hold_back %s is not a number of seconds from 0 to 31536000 \(a year\)'
                                          % re.escape(repr(value))):
        small(ledger, hold_back=value)


def test_release_addresses_gives_back_exactly_those(ledger: SqliteLedger) -> None:
    small(ledger, direction='stepup')
    ledger.allocate('small', VM1, 'eth0')
    ledger.record_fixed('10.0.0.5', VM1, 'eth1')
    ledger.replace_observed(VM2, [{'ip': '10.0.0.4', 'interface': 'eth0'}])
    rows = {item.ip: item for item in ledger.addresses(subnet='small')}
    assert [item.ip for item in ledger.release_addresses([rows['10.0.0.2']], dry_run=True)] == ['10.0.0.2']
    assert len(ledger.addresses(vm_uuid=VM1)) == 2
    released = ledger.release_addresses([rows['10.0.0.2'], rows['10.0.0.5'], rows['10.0.0.2']])
    assert [(item.ip, item.kind) for item in released] == [('10.0.0.2', ALLOCATED), ('10.0.0.5', FIXED)]
    assert ledger.release_addresses([rows['10.0.0.2']]) == []               # gone already: nothing
    assert ledger.usage('small')[0].held_back == 2
    with pytest.raises(LedgerError, match=r'^subnet small: 10\.0\.0\.4 is observed, not an allocated or fixed address \(ledger '):
        ledger.release_addresses([rows['10.0.0.4']])


def test_requested_ip(ledger: SqliteLedger) -> None:
    small(ledger, reserved=['10.0.0.5'])
    assert ledger.allocate('small', VM1, 'eth0', ip='10.0.0.5').ip == '10.0.0.5'   # explicit: a reserved address is fine
    moved = ledger.allocate('small', VM1, 'eth0', ip='10.0.0.4')
    assert (moved.ip, moved.replaced.ip) == ('10.0.0.4', '10.0.0.5')
    where = 'subnet small of ledger %s: ' % re.escape(ledger.name)
    with pytest.raises(LedgerError, match=r'^%s10\.0\.0\.4 is already allocated to vm-uuid-1/eth0$' % where):
        ledger.allocate('small', VM1, 'eth1', ip='10.0.0.4')
    with pytest.raises(LedgerError, match=r'^%sip 10\.0\.0\.1 is its gateway$' % where):
        ledger.allocate('small', VM2, 'eth0', ip='10.0.0.1')
    with pytest.raises(LedgerError, match=r'^%sip 10\.0\.0\.9 is outside its range 10\.0\.0\.1-10\.0\.0\.6$' % where):
        ledger.allocate('small', VM2, 'eth0', ip='10.0.0.9')


def test_moving_to_another_subnet_releases_the_old_allocation(ledger: SqliteLedger) -> None:
    small(ledger)
    ledger.upsert_subnet('other', '10.0.1.0/29')
    ledger.upsert_subnet('v6', '2001:db8::/64')
    old = ledger.allocate('small', VM1, 'eth0')
    v6 = ledger.allocate('v6', VM1, 'eth0')   # another family: dual stack, nothing replaced
    new = ledger.allocate('other', VM1, 'eth0')
    assert v6.replaced is None and new.replaced.ip == old.ip
    assert sorted(item.ip for item in ledger.addresses(vm_uuid=VM1)) == sorted([new.ip, v6.ip])


def test_unknown_subnet_and_unreachable_port_group(ledger: SqliteLedger) -> None:
    small(ledger)
    with pytest.raises(UnknownSubnetError, match=r'^subnet nope is not declared in ledger %s$' % re.escape(ledger.name)) as caught:
        ledger.allocate('nope', VM1, 'eth0')
    assert caught.value.subnet == 'nope' and isinstance(caught.value, LedgerError)
    with pytest.raises(LedgerError, match=r'^subnet small of ledger %s is not reachable from port group network-13 '
                                          r'\(primary: dvportgroup-11, additional: none\)$' % re.escape(ledger.name)):
        ledger.allocate('small', VM1, 'eth0', portgroup=PG3)
    ledger.mark_additional('small', PG3)
    assert ledger.allocate('small', VM1, 'eth0', portgroup=PG3).changed


def test_dry_run_reports_without_reserving(ledger: SqliteLedger) -> None:
    small(ledger)
    planned = ledger.allocate('small', VM1, 'eth0', dry_run=True)
    assert (planned.ip, planned.changed, planned.dry_run) == ('10.0.0.6', True, True)
    assert ledger.addresses() == []
    assert ledger.allocate('small', VM1, 'eth0').ip == planned.ip
    assert not ledger.allocate('small', VM1, 'eth0', dry_run=True).changed


@pytest.mark.parametrize('change', [
    lambda ledger: ledger.upsert_subnet('small', '10.0.0.0/28', dry_run=True),
    lambda ledger: ledger.upsert_subnet('new', '10.9.0.0/24', dry_run=True),
    lambda ledger: ledger.delete_subnet('small', force=True, dry_run=True),
    lambda ledger: ledger.sync_networks([{'moid': PG3, 'name': 'VM Network'}], prune=True, dry_run=True)['removed'],
    lambda ledger: ledger.mark_additional('small', PG3, dry_run=True),
    lambda ledger: ledger.unmark_additional('small', PG2, dry_run=True),
    lambda ledger: ledger.detect_additional({PG3: ['10.0.0.3']}, dry_run=True)['added'],
    lambda ledger: ledger.release(VM1, 'eth0', dry_run=True),
    lambda ledger: ledger.release_owner(VM1, dry_run=True),
    lambda ledger: ledger.release_addresses(ledger.addresses(vm_uuid=VM1), dry_run=True),
    lambda ledger: ledger.record_fixed('10.0.0.3', VM2, 'eth0', dry_run=True),
    lambda ledger: ledger.replace_observed(VM2, [{'ip': '10.0.0.3', 'interface': 'eth0'}], dry_run=True).changed,
])
def test_every_change_has_a_dry_run(ledger: SqliteLedger, change: Any) -> None:
    small(ledger)
    ledger.sync_networks([{'moid': PG1, 'name': 'DVPG-A'}])
    ledger.mark_additional('small', PG2)
    ledger.allocate('small', VM1, 'eth0')

    def state() -> Any:
        return ledger.list_subnets(), ledger.list_networks(), ledger.addresses(), ledger.usage()
    before = state()
    assert change(ledger)   # reports a change...
    assert state() == before   # ...and keeps none


def test_ipv6_allocates_at_random_without_enumerating(ledger: SqliteLedger) -> None:
    ledger.upsert_subnet('v6', '2001:db8::/64', gateway='2001:db8::1', portgroup=PG1)
    subnet = ledger.get_subnet('v6')
    assert (subnet.range_start, subnet.range_end, subnet.direction) == ('2001:db8::1', '2001:db8::ffff:ffff:ffff:ffff', 'random')
    picked = take(ledger, 20, 'v6')
    assert len(set(picked)) == 20 and all(ipaddress.ip_address(ip) in ipaddress.ip_network('2001:db8::/64') for ip in picked)
    usage = ledger.usage('v6')[0]
    assert (usage.size, usage.used, usage.free) == (2 ** 64 - 1, 21, 2 ** 64 - 22)


def test_ipv6_small_range_falls_back_to_a_scan(ledger: SqliteLedger) -> None:
    ledger.upsert_subnet('v6', '2001:db8::/64', range_start='2001:db8::10', range_end='2001:db8::13')
    assert sorted(take(ledger, 4, 'v6')) == ['2001:db8::10', '2001:db8::11', '2001:db8::12', '2001:db8::13']
    with pytest.raises(SubnetExhaustedError):
        ledger.allocate('v6', VM2, 'eth0')


def test_subnet_defaults_for_the_resolver(ledger: SqliteLedger) -> None:
    small(ledger, nameservers=['10.0.0.53'], search_domains=['example.com'], mtu=1500)
    ledger.upsert_subnet('v6', '2001:db8::/64', gateway='2001:db8::1')
    assert ledger.subnet_defaults('small', VM1, 'eth0') == SubnetDefaults(
        subnet='small', addresses=('10.0.0.6/29',), gateway4='10.0.0.1', nameservers=('10.0.0.53',), search_domains=('example.com',), mtu=1500)
    v6 = ledger.subnet_defaults('v6', VM1, 'eth1', dry_run=True)
    assert (v6.gateway4, v6.gateway6, v6.addresses[0].endswith('/64')) == (None, '2001:db8::1', True)
    assert ledger.addresses(subnet='v6') == []


# ----- observed, fixed, conflicts -----

def test_observed_conflict_is_recorded_never_overwritten(ledger: SqliteLedger) -> None:
    small(ledger)
    mine = ledger.allocate('small', VM1, 'eth0').ip
    result = ledger.replace_observed(VM2, [{'ip': mine, 'interface': 'eth0', 'mac': '00-50-56-AA-BB-CC'}, {'ip': '10.0.0.3', 'interface': 'eth0'}])
    assert [(item.ip, item.kind) for item in result.recorded] == [('10.0.0.3', OBSERVED)]
    assert [(item.ip, item.kind, item.owner, item.mac) for item in result.conflicts] == [(mine, CONFLICT, VM2 + '/eth0', '00:50:56:aa:bb:cc')]
    assert result.changed
    holder = [item for item in ledger.addresses(subnet='small') if item.ip == mine and item.kind == ALLOCATED]
    assert holder[0].vm_uuid == VM1
    assert not ledger.replace_observed(VM2, [{'ip': mine, 'interface': 'eth0', 'mac': '00:50:56:aa:bb:cc'},
                                             {'ip': '10.0.0.3', 'interface': 'eth0'}]).changed
    assert ledger.usage('small')[0].conflicts == 1
    ledger.release_owner(VM1)
    resolved = ledger.replace_observed(VM2, [{'ip': mine, 'interface': 'eth0'}])   # the holder is gone: now it is VM2's
    assert [(item.ip, item.kind) for item in resolved.recorded] == [(mine, OBSERVED)] and resolved.conflicts == ()
    assert [(item.ip, item.kind) for item in resolved.removed] == [(mine, CONFLICT), ('10.0.0.3', OBSERVED)]


def test_observation_of_own_allocation_is_no_conflict(ledger: SqliteLedger) -> None:
    small(ledger)
    mine = ledger.allocate('small', VM1, 'eth0').ip
    result = ledger.replace_observed(VM1, [ObservedAddress(ip=mine, interface='Network adapter 1')])
    assert [(item.kind, item.interface) for item in result.recorded] == [(ALLOCATED, 'eth0')] and not result.changed


def test_unmatched_observations(ledger: SqliteLedger) -> None:
    small(ledger, range_end='10.0.0.5')
    result = ledger.replace_observed(VM1, [{'ip': '10.0.0.6', 'interface': 'eth0'}, {'ip': '192.168.1.1', 'interface': 'eth0'},
                                           {'ip': '10.0.0.3', 'interface': 'eth0', 'portgroup': PG2}])
    assert result.unmatched == ('10.0.0.6', '192.168.1.1', '10.0.0.3') and not result.changed
    with pytest.raises(LedgerError, match="^observed address of VM vm-uuid-1: {'address': '10.0.0.3'} is not a mapping with keys among ip, "):
        ledger.replace_observed(VM1, [{'address': '10.0.0.3'}])


def test_fixed_survives_observed_replacement(ledger: SqliteLedger, clock: FakeClock) -> None:
    small(ledger, direction='stepup')
    fixed = ledger.record_fixed('10.0.0.4', VM1, 'eth0', portgroup=PG1, mac='00:50:56:00:00:01')
    assert (fixed.kind, fixed.subnet, fixed.mac) == (FIXED, 'small', '00:50:56:00:00:01')
    ledger.replace_observed(VM1, [{'ip': '10.0.0.5', 'interface': 'eth1'}])
    clock.advance(100)
    result = ledger.replace_observed(VM1, [])
    assert [item.ip for item in result.removed] == ['10.0.0.5']
    assert [(item.ip, item.kind) for item in ledger.addresses(vm_uuid=VM1)] == [('10.0.0.4', FIXED)]
    assert ledger.allocate('small', VM1, 'eth0').kind == FIXED   # the owner's fixed address is its address
    assert ledger.allocate('small', VM2, 'eth0').ip == '10.0.0.2'


def test_record_fixed_rules(ledger: SqliteLedger) -> None:
    small(ledger)
    other = ledger.allocate('small', VM2, 'eth0').ip
    name = re.escape(ledger.name)
    with pytest.raises(LedgerError, match=r'^subnet small of ledger %s: %s is already allocated to vm-uuid-2/eth0$' % (name, re.escape(other))):
        ledger.record_fixed(other, VM1, 'eth0')
    with pytest.raises(LedgerError, match=r'^fixed address 10\.0\.0\.3 of VM vm-uuid-1 is in no subnet range of ledger %s reachable from '
                                          r'port group network-13$' % name):
        ledger.record_fixed('10.0.0.3', VM1, 'eth0', portgroup=PG3)
    with pytest.raises(LedgerError, match=r'^subnet small of ledger %s: fixed address 10\.0\.0\.1 is its gateway$' % name):
        ledger.record_fixed('10.0.0.1', VM1, 'eth0')
    ledger.replace_observed(VM1, [{'ip': '10.0.0.3', 'interface': 'eth0'}])
    assert ledger.record_fixed('10.0.0.3', VM1, 'eth0', subnet='small').kind == FIXED   # an observation becomes fixed


def test_allocation_adopts_the_owners_observed_address(ledger: SqliteLedger) -> None:
    small(ledger)
    ledger.replace_observed(VM1, [{'ip': '10.0.0.3', 'interface': 'eth0'}])
    allocation = ledger.allocate('small', VM1, 'eth0')
    assert (allocation.ip, allocation.kind, allocation.changed) == ('10.0.0.3', ALLOCATED, True)
    assert ledger.replace_observed(VM1, []).removed == ()   # allocated now: an observation sync leaves it alone


def test_allocate_all_sees_the_ones_before_and_is_all_or_nothing(ledger: SqliteLedger) -> None:
    small(ledger, direction='stepup')
    wanted = [AddressRequest('small', 'eth0'), AddressRequest('small', 'eth1', ip='10.0.0.5'), AddressRequest('small', 'eth2')]
    trial = ledger.allocate_all(VM1, wanted, vm_name='web01', dry_run=True)
    assert [(item.ip, item.interface, item.dry_run, item.changed) for item in trial] == [
        ('10.0.0.2', 'eth0', True, True), ('10.0.0.5', 'eth1', True, True), ('10.0.0.3', 'eth2', True, True)]
    assert ledger.addresses(vm_uuid=VM1) == []                                   # a dry run keeps nothing
    kept = ledger.allocate_all(VM1, wanted, vm_name='web01')
    assert [(item.ip, item.dry_run) for item in kept] == [(item.ip, False) for item in trial]
    assert {row.note for row in ledger.addresses(vm_uuid=VM1)} == {'web01'}
    with pytest.raises(SubnetExhaustedError):                                     # .4 and .6 are left: the third fails ...
        ledger.allocate_all(VM2, [AddressRequest('small', 'eth%d' % index) for index in range(3)])
    assert ledger.addresses(vm_uuid=VM2) == []                                   # ... and the two before it are not kept
    assert ledger.allocate_all(VM2, []) == []


def test_addresses_carry_the_vm_name_and_a_rename_relabels_without_a_change(ledger: SqliteLedger, tmp_path: Any) -> None:
    small(ledger, direction='stepup')
    assert ledger.allocate('small', VM1, 'eth0', vm_name='web01').changed is True
    ledger.record_fixed('10.0.0.4', VM1, 'eth1', vm_name='web01')
    ledger.replace_observed(VM2, [{'ip': '10.0.0.5', 'interface': 'eth0'}, {'ip': '10.0.0.2', 'interface': 'eth3'}], vm_name='db01')
    assert {(row.ip, row.kind, row.vm_uuid, row.note) for row in ledger.addresses(subnet='small') if row.kind != 'reserved'} == {
        ('10.0.0.2', ALLOCATED, VM1, 'web01'), ('10.0.0.4', FIXED, VM1, 'web01'), ('10.0.0.5', OBSERVED, VM2, 'db01'),
        ('10.0.0.2', CONFLICT, VM2, 'db01')}
    # The owner is the UUID: a renamed VM keeps its address, relabelled, and that is no change; no name leaves the label.
    assert ledger.allocate('small', VM1, 'eth0', vm_name='web01-renamed', dry_run=True).changed is False
    assert [row.note for row in ledger.addresses(vm_uuid=VM1) if row.kind == ALLOCATED] == ['web01']   # a dry run keeps nothing
    again = ledger.allocate('small', VM1, 'eth0', vm_name='web01-renamed')
    assert (again.ip, again.changed) == ('10.0.0.2', False)
    assert ledger.allocate('small', VM1, 'eth0').changed is False
    assert [row.note for row in ledger.addresses(vm_uuid=VM1) if row.kind == ALLOCATED] == ['web01-renamed']
    # An observed address the VM then gets allocated keeps the VM's name.
    ledger.replace_observed(VM3, [{'ip': '10.0.0.6', 'interface': 'eth0'}], vm_name='app01')
    assert ledger.allocate('small', VM3, 'eth0').ip == '10.0.0.6'
    assert [(row.kind, row.note) for row in ledger.addresses(vm_uuid=VM3)] == [(ALLOCATED, 'app01')]
    # A no-op with the same name writes nothing: the file is byte for byte the same.
    before = (tmp_path / 'ledger.sqlite').read_bytes()
    ledger.allocate('small', VM1, 'eth0', vm_name='web01-renamed')
    assert (tmp_path / 'ledger.sqlite').read_bytes() == before


def test_release_owner_frees_everything_of_a_vm(ledger: SqliteLedger) -> None:
    small(ledger, direction='stepup')
    ledger.allocate('small', VM1, 'eth0')
    ledger.record_fixed('10.0.0.4', VM1, 'eth1')
    ledger.replace_observed(VM1, [{'ip': '10.0.0.5', 'interface': 'eth2'}])
    ledger.allocate('small', VM2, 'eth0')
    assert sorted(item.ip for item in ledger.release_owner(VM1)) == ['10.0.0.2', '10.0.0.4', '10.0.0.5']
    assert [item.vm_uuid for item in ledger.addresses(subnet='small') if item.kind != 'reserved'] == [VM2]
    assert ledger.usage('small')[0].held_back == 3


# ----- networks and reachability -----

def test_sync_networks(ledger: SqliteLedger) -> None:
    first = ledger.sync_networks([L2Network(PG1, 'DVPG-A', 'DSwitch', 10, ('host-2', 'host-1')), {'moid': PG2, 'name': 'DVPG-B'}])
    assert first == {'added': [PG1, PG2], 'updated': [], 'removed': []}
    assert ledger.list_networks()[0] == L2Network(PG1, 'DVPG-A', 'DSwitch', 10, ('host-1', 'host-2'))
    again = ledger.sync_networks([{'moid': PG1, 'name': 'DVPG-A', 'switch': 'DSwitch', 'vlan': 10, 'hosts': ['host-1', 'host-2']},
                                  {'moid': PG3, 'name': 'VM Network'}], prune=True)
    assert again == {'added': [PG3], 'updated': [], 'removed': [PG2]}
    assert [item.name for item in ledger.list_networks()] == ['DVPG-A', 'VM Network']


def test_reachability_via_additional_port_groups(ledger: SqliteLedger) -> None:
    small(ledger)
    ledger.upsert_subnet('other', '10.0.1.0/24', portgroup=PG2)
    assert [item.name for item in ledger.subnets_reachable_from(PG1)] == ['small']
    assert ledger.mark_additional('small', PG2) and not ledger.mark_additional('small', PG2)
    assert [item.name for item in ledger.subnets_reachable_from(PG2)] == ['other', 'small']
    with pytest.raises(LedgerError, match='^subnet small of ledger %s: portgroup dvportgroup-11 is its primary port group' % re.escape(ledger.name)):
        ledger.mark_additional('small', PG1)
    detected = ledger.detect_additional({PG3: ['10.0.0.4', '192.168.0.1'], PG2: ['10.0.0.5'], PG1: ['10.0.0.2']})
    assert detected == {'added': [('small', PG3)], 'removed': []}   # PG2 is already marked; PG1 is primary
    assert ledger.get_subnet('small').additional == (AdditionalPortgroup(PG2, MARKED), AdditionalPortgroup(PG3, DETECTED))
    assert ledger.detect_additional({}) == {'added': [], 'removed': [('small', PG3)]}   # marked ones stay
    assert ledger.unmark_additional('small', PG2)
    assert ledger.subnets_reachable_from(PG2)[0].name == 'other' and len(ledger.subnets_reachable_from(PG2)) == 1


def test_upsert_keeps_additional_port_groups(ledger: SqliteLedger) -> None:
    small(ledger)
    ledger.mark_additional('small', PG2)
    ledger.mark_additional('small', PG3)
    assert not small(ledger) and [item.portgroup for item in ledger.get_subnet('small').additional] == [PG2, PG3]
    small(ledger, portgroup=PG2)   # promoted to primary: no longer additional
    assert [item.portgroup for item in ledger.get_subnet('small').additional] == [PG3]


def test_find_subnet_for_ip(ledger: SqliteLedger) -> None:
    small(ledger, range_start='10.0.0.2', range_end='10.0.0.5')
    ledger.upsert_subnet('v6', '2001:db8::/64', portgroup=PG2)
    assert ledger.find_subnet_for_ip('10.0.0.3').name == 'small'
    assert ledger.find_subnet_for_ip('10.0.0.3', portgroup=PG1).name == 'small'
    assert ledger.find_subnet_for_ip('10.0.0.3', portgroup=PG2) is None
    assert ledger.find_subnet_for_ip('10.0.0.6') is None   # in the CIDR, outside the range
    assert ledger.find_subnet_for_ip('2001:db8::5', portgroup=PG2).name == 'v6'
    with pytest.raises(LedgerError, match=r'^ip: nonsense is not an IP address \(ledger %s\)$' % re.escape(ledger.name)):
        ledger.find_subnet_for_ip('nonsense')


# ----- usage, storage -----

def test_usage_figures(ledger: SqliteLedger, clock: FakeClock) -> None:
    ledger.upsert_subnet('prod', '10.0.0.0/24', gateway='10.0.0.1', direction='stepup',
                         reserved=['10.0.0.250-10.0.0.254', '10.0.0.252', {'start': '10.0.0.200', 'expires_at': clock.now - 1}])
    take(ledger, 3, 'prod')   # .2 .3 .4
    ledger.record_fixed('10.0.0.100', VM2, 'eth0')
    ledger.replace_observed(VM3, [{'ip': '10.0.0.101', 'interface': 'eth0'}, {'ip': '10.0.0.2', 'interface': 'eth0'}])
    ledger.release(VM1, 'eth2')
    assert ledger.usage() == [Usage(subnet='prod', cidr='10.0.0.0/24', size=254, used=1 + 5 + 2 + 1 + 1 + 1, free=254 - 11,
                                    allocated=2, observed=1, fixed=1, reserved=5, held_back=1, conflicts=1)]
    with pytest.raises(LedgerError, match='^subnet nope is not declared'):
        ledger.usage('nope')


def test_schema_version_is_recorded_and_checked(tmp_path: Any) -> None:
    path = str(tmp_path / 'nested' / 'dir' / 'ledger.sqlite')
    ledger = SqliteLedger(path)
    assert ledger.schema_version() == _ledger.SCHEMA_VERSION == 2
    ledger.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match='has schema version 99, newer than this collection knows \\(2\\)'):
        SqliteLedger(path)


def test_schema_migrations_run_in_order(tmp_path: Any, monkeypatch: Any) -> None:
    path = str(tmp_path / 'ledger.sqlite')
    SqliteLedger(path).close()
    monkeypatch.setattr(_ledger, 'SCHEMA_VERSION', 3)
    monkeypatch.setattr(_ledger, '_MIGRATIONS', {**_ledger._MIGRATIONS, 2: ('ALTER TABLE subnets ADD COLUMN comment TEXT',)})
    with SqliteLedger(path) as migrated:
        assert migrated.schema_version() == 3
        assert 'comment' in [row[1] for row in migrated._conn.execute('PRAGMA table_info(subnets)')]  # pylint: disable=protected-access


def test_not_a_database_is_a_ledger_error(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    path.write_text('hello, this is not SQLite' * 10)
    with pytest.raises(LedgerError, match=r'^ledger .*ledger.sqlite is not an SQLite database \(250 bytes without the SQLite header\)'):
        SqliteLedger(str(path))


def test_unusable_path_is_a_ledger_error(tmp_path: Any) -> None:
    (tmp_path / 'file').write_text('')
    with pytest.raises(LedgerError, match=r'^ledger .*/file/ledger\.sqlite does not exist and cannot be created: .*/file is not a directory$'):
        SqliteLedger(str(tmp_path / 'file' / 'ledger.sqlite'))


def test_default_path(monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.delenv('ANSIBLE_HOME', raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))
    assert default_ledger_path() == str(tmp_path / '.ansible' / 'guestnet' / 'ledger.sqlite')
    monkeypatch.setenv('ANSIBLE_HOME', str(tmp_path / 'ah'))
    assert default_ledger_path() == str(tmp_path / 'ah' / 'guestnet' / 'ledger.sqlite')


def test_sqlite_ledger_is_a_ledger_backend() -> None:
    assert issubclass(SqliteLedger, LedgerBackend)
    with pytest.raises(TypeError):
        LedgerBackend()  # pylint: disable=abstract-class-instantiated


MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /mnt/nfs nfs4 rw,vers=4.2 0 0
//nas/share /mnt/my\\040share cifs rw 0 0
user@host:/home /mnt/ssh fuse.sshfs rw 0 0
/dev/sdb1 /mnt/nfs/local ext4 rw 0 0
fuse-overlayfs /var/lib/containers fuse.fuse-overlayfs rw 0 0
"""


@pytest.mark.parametrize('path, expected', [
    ('/home/me/.ansible/guestnet/ledger.sqlite', None),
    ('/mnt/nfs/ledger.sqlite', 'nfs4 file system (server:/export mounted on /mnt/nfs)'),
    ('/mnt/nfs/local/ledger.sqlite', None),   # the deepest mount point wins
    ('/mnt/my share/l.sqlite', 'cifs file system (//nas/share mounted on /mnt/my share)'),
    ('/mnt/ssh/new/dir/l.sqlite', 'fuse.sshfs file system'),
    ('/mnt/nfsish/l.sqlite', None),
    ('/var/lib/containers/l.sqlite', None),
])
def test_path_looks_shared(tmp_path: Any, path: str, expected: Any) -> None:
    mounts = tmp_path / 'mounts'
    mounts.write_text(MOUNTS)
    reason = path_looks_shared(path, mounts_file=str(mounts))
    if expected is None:
        assert reason is None
    else:
        assert reason.startswith(path + ' is on a ' + expected) and reason.endswith('keep it on a local disk')


def test_path_looks_shared_without_mounts_file(tmp_path: Any) -> None:
    assert path_looks_shared('/x/ledger.sqlite', mounts_file=str(tmp_path / 'missing')) is None
