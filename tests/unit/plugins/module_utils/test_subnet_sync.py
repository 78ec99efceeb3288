# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""subnet_sync's pure logic: a hand-made vCenter snapshot against a real SQLite ledger."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import copy
import hashlib
import random
import re
from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (
    CONFLICT, DETECTED, FIXED, MARKED, OBSERVED, LedgerError, SqliteLedger)
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._subnet_sync import (
    find_portgroup, find_vm, guest_ips, interface_name, ledger_state, placement, sync)

WEB, DB, DV, DV1, WEB1 = 'network-70', 'network-71', 'dvportgroup-13', 'dvportgroup-15', 'network-90'


def nic(portgroup: Optional[str], *ips: str, mac: Optional[str] = None) -> Dict[str, Any]:
    return {'key': 4000, 'mac': mac, 'portgroup': portgroup, 'ips': list(ips)}


def vm(name: str, *nics: Dict[str, Any], tools: bool = True, datacenter: str = 'DC0') -> Dict[str, Any]:
    return {'moid': 'vm-' + name, 'name': name, 'instance_uuid': 'uuid-' + name, 'datacenter': datacenter, 'tools_running': tools,
            'nics': [dict(item, key=4000 + index, mac=item['mac'] or '00:50:56:80:%02x:%02x' % (len(name), index))
                     for index, item in enumerate(nics)]}


def portgroup(moid: str, name: str, datacenter: str = 'DC0', hosts: Any = ('h1', 'h2'), **extra: Any) -> Dict[str, Any]:
    entry = {'moid': moid, 'name': name, 'kind': 'standard', 'switch': 'vSwitch0', 'switch_uuid': None, 'vlan': 0,
             'hosts': list(hosts), 'datacenter': datacenter}
    entry.update(extra)
    return entry


def make_snapshot() -> Dict[str, Any]:
    return {
        'portgroups': [
            portgroup(WEB, 'web', vlan=100),
            portgroup(DB, 'db', vlan=200, hosts=['h2']),
            portgroup(DV, 'dv0', kind='distributed', switch='DVS0', switch_uuid='uuid-dvs', hosts=['h1']),
            portgroup(DV1, 'dv1', kind='distributed', switch='DVS0', switch_uuid='uuid-dvs', hosts=['h1', 'h2']),
            portgroup(WEB1, 'web', datacenter='DC1', hosts=['h9']),
        ],
        'hosts': [
            {'moid': 'host-1', 'name': 'h1', 'datacenter': 'DC0', 'portgroups': [WEB, DV, DV1]},
            {'moid': 'host-2', 'name': 'h2', 'datacenter': 'DC0', 'portgroups': [WEB, DB, DV1]},
            {'moid': 'host-9', 'name': 'h9', 'datacenter': 'DC1', 'portgroups': [WEB1]},
        ],
        'vms': [
            vm('a', nic(WEB, '10.1.0.10/24', 'fe80::1/64', '192.168.9.9/24')),
            vm('b', nic(WEB, '10.1.0.11/24'), nic(DB, '10.2.0.11/24')),
            vm('c', nic(DB, '10.1.0.12/24')),                 # a web address on the db port group
            vm('d', nic(DV), nic(DV1), tools=False),          # no Tools: fix_nics
            vm('z', nic(WEB1, '10.9.0.5/24'), datacenter='DC1'),
        ],
    }


SUBNETS = [
    {'name': 'web', 'cidr': '10.1.0.0/24', 'portgroup': 'web', 'gateway': '10.1.0.1'},
    {'name': 'db', 'cidr': '10.2.0.0/24', 'portgroup': 'db', 'gateway': '10.2.0.1', 'reserved': ['10.2.0.100-10.2.0.109']},
    {'name': 'dv', 'cidr': '10.3.0.0/24', 'portgroup': DV, 'range_start': '10.3.0.10', 'range_end': '10.3.0.99'},
]


@pytest.fixture(name='path')
def path_fixture(tmp_path: Any) -> str:
    return str(tmp_path / 'ledger.sqlite')


def run(path: str, snapshot: Optional[Dict[str, Any]] = None, **options: Any) -> Dict[str, Any]:
    options.setdefault('datacenter', 'DC0')
    with SqliteLedger(path, rng=random.Random(1)) as ledger:
        return sync(ledger, snapshot or make_snapshot(), **options)


def digest(path: str) -> str:
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def rows(path: str, **query: Any) -> List[Any]:
    with SqliteLedger(path) as ledger:
        return ledger.addresses(**query)


def subnet_of(report: Dict[str, Any], name: str) -> Dict[str, Any]:
    return next(item for item in report['subnets'] if item['name'] == name)


# ----- helpers -----------------------------------------------------------------------------------------------------

def test_guest_ips_keep_usable_addresses_once() -> None:
    assert guest_ips(['10.0.0.5/24', 'fe80::1/64', '127.0.0.1', '169.254.1.1/16', '224.0.0.251', 'ff02::1', '0.0.0.0',
                      '2001:db8::5/64', '10.0.0.5', 'not-an-ip', 'fe80::2%eth0', '239.1.1.1']) == ['10.0.0.5', '2001:db8::5']


def test_interface_names_follow_nic_order() -> None:
    assert [interface_name(index) for index in range(3)] == ['eth0', 'eth1', 'eth2']


def test_find_portgroup_by_moid_or_unique_name() -> None:
    snapshot = make_snapshot()
    assert find_portgroup(snapshot, DV, 'p')['name'] == 'dv0'
    assert find_portgroup(snapshot, 'db', 'p')['moid'] == DB
    assert find_portgroup(snapshot, 'web', 'p', 'DC1')['moid'] == WEB1
    with pytest.raises(SpecError, match=r"^subnets\[0\]\.portgroup: web names 2 port groups: network-70 \(DC0, vSwitch0\), "
                                        r"network-90 \(DC1, vSwitch0\); use the moid, or set datacenter$"):
        find_portgroup(snapshot, 'web', 'subnets[0].portgroup')
    with pytest.raises(SpecError, match=r'^p: nope is not a port group in datacenter DC0 \(known: db, dv0, dv1, web\)$'):
        find_portgroup(snapshot, 'nope', 'p', 'DC0')
    with pytest.raises(SpecError, match="^p: '' is not a port group name or moid$"):
        find_portgroup(snapshot, '', 'p')


def test_find_vm_by_name_uuid_or_moid() -> None:
    snapshot = make_snapshot()
    assert find_vm(snapshot, 'a', 'v')['moid'] == 'vm-a'
    assert find_vm(snapshot, 'UUID-B', 'v')['name'] == 'b'
    assert find_vm(snapshot, 'vm-c', 'v')['name'] == 'c'
    with pytest.raises(SpecError, match=r'^v: z is not a VM in datacenter DC0$'):
        find_vm(snapshot, 'z', 'v', 'DC0')
    snapshot['vms'].append(vm('a', nic(WEB), datacenter='DC1'))
    snapshot['vms'][-1]['moid'] = 'vm-a2'
    with pytest.raises(SpecError, match=r'^v: a names 2 VMs: vm-a \(DC0\), vm-a2 \(DC1\)'):
        find_vm(snapshot, 'a', 'v')


# ----- sync --------------------------------------------------------------------------------------------------------

def test_first_sync_records_networks_subnets_and_observed_addresses(path: str) -> None:
    report = run(path, subnets=SUBNETS)
    assert report['changed'] is True
    assert [pg['name'] for pg in report['portgroups']] == ['web', 'db', 'dv0', 'dv1']      # DC0 only
    web = report['portgroups'][0]
    assert web == {'moid': WEB, 'name': 'web', 'kind': 'standard', 'switch': 'vSwitch0', 'switch_uuid': None, 'vlan': 100,
                   'datacenter': 'DC0', 'hosts': ['h1', 'h2'], 'subnets': ['web'], 'additional_subnets': []}
    assert report['portgroups'][1]['additional_subnets'] == ['web']       # detected: c uses a web address on db
    assert sorted(item['moid'] for item in report['changes']['networks']['added']) == sorted([DB, WEB, DV, DV1])
    assert report['changes']['subnets'] == {'added': ['web', 'db', 'dv'], 'updated': [], 'removed': []}
    assert report['changes']['additional_portgroups']['detected'] == [{'subnet': 'web', 'portgroup': DB, 'portgroup_name': 'db'}]
    observed = {(row.vm_uuid, row.interface, row.ip, row.subnet) for row in rows(path) if row.kind == OBSERVED}
    assert observed == {('uuid-a', 'eth0', '10.1.0.10', 'web'), ('uuid-b', 'eth0', '10.1.0.11', 'web'),
                        ('uuid-b', 'eth1', '10.2.0.11', 'db'), ('uuid-c', 'eth0', '10.1.0.12', 'web')}
    assert report['unmatched'] == [{'vm': 'a', 'vm_uuid': 'uuid-a', 'interface': 'eth0', 'mac': '00:50:56:80:01:00',
                                    'portgroup': WEB, 'portgroup_name': 'web', 'ip': '192.168.9.9'}]
    assert report['vms_without_tools'] == ['d']
    assert subnet_of(report, 'web')['usage'] == {'size': 254, 'used': 4, 'free': 250, 'allocated': 0, 'observed': 3, 'fixed': 0,
                                                 'reserved': 0, 'held_back': 0, 'conflicts': 0}
    assert subnet_of(report, 'db')['usage']['used'] == 12                # 10 reserved, the gateway, one observed
    assert subnet_of(report, 'db')['reserved'] == [{'start': '10.2.0.100', 'end': '10.2.0.109', 'expires_at': None, 'note': ''}]
    assert subnet_of(report, 'dv')['portgroup_name'] == 'dv0'
    assert report['diff']['before'] == {'networks': {}, 'subnets': {}, 'addresses': {}}
    assert '10.1.0.10 observed a uuid-a/eth0 00:50:56:80:01:00 network-70' in report['diff']['after']['addresses']['web']
    assert 'web 10.1.0.12 observed c uuid-c/eth0 00:50:56:80:01:00 network-71' in report['changes']['addresses']['added']
    with SqliteLedger(path) as ledger:
        assert {net.moid for net in ledger.list_networks()} == {WEB, DB, DV, DV1}
        assert ledger.get_subnet('web').portgroup == WEB


def test_rerun_changes_nothing_and_writes_nothing(path: str) -> None:
    run(path, subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}])
    before = digest(path)
    report = run(path, subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}])
    assert report['changed'] is False
    assert report['changes']['addresses'] == {'added': [], 'removed': []}
    assert all(not value for group in ('networks', 'subnets', 'additional_portgroups') for value in report['changes'][group].values())
    assert report['diff']['before'] == report['diff']['after']
    assert digest(path) == before


def test_dry_run_predicts_the_real_run_and_keeps_nothing(path: str) -> None:
    run(path, subnets=SUBNETS[:1])
    before = digest(path)
    predicted = run(path, subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}], dry_run=True)
    assert digest(path) == before
    assert predicted['changed'] is True
    real = run(path, subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}])
    assert predicted['changes'] == real['changes'] and predicted['diff'] == real['diff']
    assert predicted['subnets'] == real['subnets']


@pytest.mark.parametrize('options, message', [
    (dict(subnets=SUBNETS + [{'name': 'web2', 'cidr': '10.1.0.128/25', 'portgroup': 'web'}]),
     r'^subnets\[3\]: subnet web2: cidr 10\.1\.0\.128/25 overlaps subnet web \(10\.1\.0\.0/24\) of ledger LEDGER$'),
    (dict(subnets=[{'name': 'x', 'cidr': '10.7.0.0/24', 'portgroup': 'nope'}]),
     r'^subnets\[0\]\.portgroup: nope is not a port group in datacenter DC0 \(known: db, dv0, dv1, web\)$'),
    (dict(subnets=[{'name': 'x', 'cidr': '10.7.0.0/33', 'portgroup': 'web'}]), r'^subnets\[0\]: subnet x: cidr 10\.7\.0\.0/33 is not a network'),
    (dict(subnets=[{'name': 'x', 'cidr': '10.7.0.0/24', 'portgroup': 'web'}, {'name': 'x', 'cidr': '10.8.0.0/24', 'portgroup': 'db'}]),
     r'^subnets\[1\]\.name: x is declared twice \(also subnets\[0\]\)$'),
    (dict(subnets=[{'name': 'x', 'cidr': '10.7.0.0/24', 'portgroup': 'web', 'additional_portgroups': ['network-70']}]),
     r'^subnets\[0\]\.additional_portgroups\[0\]: network-70 is the primary port group of subnet x, not an additional one$'),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.1.0.50']}]),
     r'^fix_nics\[0\]\.ips\[0\]: 10\.1\.0\.50 is in no subnet range reachable from port group dv0 of VM d NIC 0 '
     r'\(ledger LEDGER: dv 10\.3\.0\.10-10\.3\.0\.99\)$'),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['', '10.3.0.20']}]),
     r'^fix_nics\[0\]\.ips\[1\]: 10\.3\.0\.20 is in no subnet range reachable from port group dv1 of VM d NIC 1 '
     r'\(ledger LEDGER: no subnet is reachable from it\)$'),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20', '10.3.0.21', '10.3.0.22']}]),
     r"^fix_nics\[0\]\.ips: \['10\.3\.0\.20', '10\.3\.0\.21', '10\.3\.0\.22'\] has 3 addresses but VM d has 2 NIC\(s\)"),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20/24']}]), r'^fix_nics\[0\]\.ips\[0\]: 10\.3\.0\.20/24 is not an IP address'),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}, {'vm': 'b', 'ips': ['10.3.0.20']}]),
     r'^fix_nics\[1\]\.ips\[0\]: 10\.3\.0\.20 is given twice \(also fix_nics\[0\]\.ips\[0\]\)$'),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'nobody', 'ips': ['10.3.0.20']}]), r'^fix_nics\[0\]\.vm: nobody is not a VM in datacenter DC0$'),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}, {'vm': 'uuid-d', 'ips': []}]),
     r'^fix_nics\[1\]\.vm: uuid-d is the VM of fix_nics\[0\] too'),
    (dict(subnets=SUBNETS, fix_nics=[{'vm': 'c', 'ips': ['10.1.0.11']}]),     # b holds it (observed)
     r'^fix_nics\[0\]\.ips\[0\]: subnet web of ledger LEDGER: 10\.1\.0\.11 is already observed on uuid-b/eth0$'),
])
def test_bad_input_is_an_error_that_leaves_the_ledger_unchanged(path: str, options: Dict[str, Any], message: str) -> None:
    run(path, subnets=SUBNETS)
    before = digest(path)
    with pytest.raises(ValueError, match=message.replace('LEDGER', re.escape(path))):
        run(path, **options)
    assert digest(path) == before


def test_an_error_late_in_the_run_rolls_back_the_earlier_steps(path: str) -> None:
    with pytest.raises(LedgerError, match=r'^subnets\[1\]'):
        run(path, subnets=[SUBNETS[0], dict(SUBNETS[0], name='again')])
    with SqliteLedger(path) as ledger:
        assert ledger.list_networks() == [] and ledger.list_subnets() == [] and ledger.addresses() == []


def test_two_vms_reporting_one_address_make_a_conflict_never_an_overwrite(path: str) -> None:
    run(path, subnets=SUBNETS)
    snapshot = make_snapshot()
    snapshot['vms'].append(vm('e', nic(WEB, '10.1.0.10/24')))          # a's address
    report = run(path, snapshot, subnets=SUBNETS)
    assert report['changed'] is True
    assert report['conflicts'] == [{'subnet': 'web', 'ip': '10.1.0.10', 'kind': CONFLICT, 'vm': 'e', 'vm_uuid': 'uuid-e', 'interface': 'eth0',
                                    'mac': '00:50:56:80:01:00', 'portgroup': WEB, 'holder_vm': 'a', 'holder_vm_uuid': 'uuid-a',
                                    'holder_kind': OBSERVED}]
    assert subnet_of(report, 'web')['usage']['conflicts'] == 1
    again = run(path, snapshot, subnets=SUBNETS)
    assert again['changed'] is False and len(again['conflicts']) == 1
    holder = [row for row in rows(path, subnet='web') if row.ip == '10.1.0.10' and row.kind == OBSERVED]
    assert [row.vm_uuid for row in holder] == ['uuid-a']


def test_an_address_given_up_goes_to_the_vm_that_reports_it_in_the_same_run(path: str) -> None:
    run(path, subnets=SUBNETS)
    snapshot = make_snapshot()
    snapshot['vms'][0]['nics'][0]['ips'] = ['10.1.0.20/24']            # a moves from .10 to .20 ...
    snapshot['vms'].append(vm('0', nic(WEB, '10.1.0.10/24')))           # ... and 0, synced before a, takes .10
    report = run(path, snapshot)
    assert report['conflicts'] == []
    assert {(row.vm_uuid, row.ip) for row in rows(path, subnet='web') if row.kind == OBSERVED} >= {('uuid-0', '10.1.0.10'), ('uuid-a', '10.1.0.20')}
    assert run(path, snapshot)['changed'] is False


def test_vms_without_tools_keep_observations_and_gone_vms_lose_them(path: str) -> None:
    run(path, subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}])
    snapshot = make_snapshot()
    snapshot['vms'][0]['tools_running'] = False                       # a: Tools stopped
    snapshot['vms'][0]['nics'][0]['ips'] = []
    del snapshot['vms'][1]                                            # b: deleted
    snapshot['vms'] = [item for item in snapshot['vms'] if item['name'] != 'd']   # d: deleted, its fixed address stays
    report = run(path, snapshot, subnets=SUBNETS)
    kept = {(row.vm_uuid, row.ip, row.kind) for row in rows(path)}
    assert ('uuid-a', '10.1.0.10', OBSERVED) in kept
    assert not any(vm_uuid == 'uuid-b' for vm_uuid, ip, kind in kept)
    assert ('uuid-d', '10.3.0.20', FIXED) in kept
    # b is gone from vCenter: its rows still read with its name, the one the ledger labelled them with
    assert sorted(report['changes']['addresses']['removed']) == ['db 10.2.0.11 observed b uuid-b/eth1 00:50:56:80:01:01 network-71',
                                                                 'web 10.1.0.11 observed b uuid-b/eth0 00:50:56:80:01:00 network-70']
    assert {row.note for row in rows(path) if row.vm_uuid == 'uuid-d'} == {'d'}


def test_fix_nics_records_fixed_addresses_that_a_later_sync_keeps(path: str) -> None:
    report = run(path, subnets=SUBNETS + [dict(SUBNETS[0], name='dv1net', cidr='10.4.0.0/24', portgroup=DV1, gateway=None)],
                 fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20', '10.4.0.20']}])
    assert [(item['vm'], item['interface'], item['ip'], item['subnet'], item['kind']) for item in report['fixed']] == [
        ('d', 'eth0', '10.3.0.20', 'dv', FIXED), ('d', 'eth1', '10.4.0.20', 'dv1net', FIXED)]
    again = run(path, subnets=SUBNETS + [dict(SUBNETS[0], name='dv1net', cidr='10.4.0.0/24', portgroup=DV1, gateway=None)])
    assert again['changed'] is False
    assert {(row.interface, row.ip) for row in rows(path, vm_uuid='uuid-d') if row.kind == FIXED} == {('eth0', '10.3.0.20'), ('eth1', '10.4.0.20')}
    # the list is the VM's whole set: a new address replaces the NIC's old one, a NIC left out loses its own
    moved = run(path, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.21']}])
    assert {(row.interface, row.ip) for row in rows(path, vm_uuid='uuid-d')} == {('eth0', '10.3.0.21')}
    assert sorted(moved['changes']['addresses']['removed']) == ['dv 10.3.0.20 fixed d uuid-d/eth0 00:50:56:80:01:00 dvportgroup-13',
                                                                'dv1net 10.4.0.20 fixed d uuid-d/eth1 00:50:56:80:01:01 dvportgroup-15']


def test_a_fixed_address_the_vm_already_reports_becomes_fixed(path: str) -> None:
    run(path, subnets=SUBNETS)
    run(path, fix_nics=[{'vm': 'a', 'ips': ['10.1.0.10']}])
    assert [(row.ip, row.kind) for row in rows(path, vm_uuid='uuid-a')] == [('10.1.0.10', FIXED)]
    assert run(path)['changed'] is False                              # the observation confirms the fixed address


def test_additional_portgroups_detected_and_marked(path: str) -> None:
    marked = [dict(SUBNETS[0]), dict(SUBNETS[1], additional_portgroups=['dv0', DV1]), SUBNETS[2]]
    report = run(path, subnets=marked)
    changes = report['changes']['additional_portgroups']
    assert changes['detected'] == [{'subnet': 'web', 'portgroup': DB, 'portgroup_name': 'db'}]
    assert changes['marked'] == [{'subnet': 'db', 'portgroup': DV, 'portgroup_name': 'dv0'},
                                 {'subnet': 'db', 'portgroup': DV1, 'portgroup_name': 'dv1'}]
    assert subnet_of(report, 'db')['additional_portgroups'] == [{'portgroup': DV, 'portgroup_name': 'dv0', 'added_by': MARKED},
                                                                {'portgroup': DV1, 'portgroup_name': 'dv1', 'added_by': MARKED}]
    assert subnet_of(report, 'web')['additional_portgroups'] == [{'portgroup': DB, 'portgroup_name': 'db', 'added_by': DETECTED}]
    # a marked port group makes the subnet reachable for fixed addresses
    fixed = run(path, fix_nics=[{'vm': 'd', 'ips': ['', '10.2.0.30']}])
    assert [(item['interface'], item['ip'], item['subnet']) for item in fixed['fixed']] == [('eth1', '10.2.0.30', 'db')]
    # declaring the list again unmarks what it leaves out; detection is not affected
    report = run(path, subnets=[SUBNETS[0], dict(SUBNETS[1], additional_portgroups=[DV1]), SUBNETS[2]])
    assert report['changes']['additional_portgroups']['unmarked'] == [{'subnet': 'db', 'portgroup': DV, 'portgroup_name': 'dv0'}]
    assert run(path, subnets=SUBNETS)['changed'] is False             # additional_portgroups left out: marks stay
    # detection goes when the guest no longer uses the address there
    snapshot = make_snapshot()
    snapshot['vms'][2]['nics'][0]['ips'] = ['10.2.0.12/24']
    report = run(path, snapshot)
    assert report['changes']['additional_portgroups']['undetected'] == [{'subnet': 'web', 'portgroup': DB, 'portgroup_name': 'db'}]


def test_purge_deletes_undeclared_subnets_but_not_held_addresses(path: str) -> None:
    run(path, subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}])
    report = run(path, subnets=SUBNETS[1:], purge=True)
    assert report['changes']['subnets']['removed'] == ['web']
    assert [item['name'] for item in report['subnets']] == ['db', 'dv']
    before = digest(path)
    with pytest.raises(LedgerError, match=r'^purge: subnet dv of ledger .*ledger\.sqlite is not in subnets but 1 address\(es\) are allocated or fixed in it '
                                          r'\(10\.3\.0\.20 fixed for uuid-d/eth0\)'):
        run(path, subnets=SUBNETS[1:2], purge=True)
    assert digest(path) == before
    assert run(path, subnets=SUBNETS[1:])['changed'] is False          # purge is off by default


def test_datacenter_scope(path: str) -> None:
    report = run(path, subnets=[{'name': 'dc1', 'cidr': '10.9.0.0/24', 'portgroup': 'web'}], datacenter='DC1')
    assert [pg['moid'] for pg in report['portgroups']] == [WEB1]
    assert [(row.vm_uuid, row.ip) for row in rows(path)] == [('uuid-z', '10.9.0.5')]
    report = run(path, subnets=SUBNETS)                                # DC0: the DC1 network and subnet stay
    with SqliteLedger(path) as ledger:
        assert {net.moid for net in ledger.list_networks()} == {WEB, DB, DV, DV1, WEB1}
    assert subnet_of(report, 'dc1')['usage']['observed'] == 1
    everything = run(path, datacenter=None)
    assert [pg['moid'] for pg in everything['portgroups']] == [WEB, DB, DV, DV1, WEB1]


def test_port_groups_gone_from_vcenter_are_removed_with_a_warning(path: str) -> None:
    run(path, subnets=SUBNETS)
    snapshot = make_snapshot()
    snapshot['portgroups'] = [pg for pg in snapshot['portgroups'] if pg['moid'] != DV]
    snapshot['vms'] = [item for item in snapshot['vms'] if item['name'] != 'd']
    report = run(path, snapshot)
    assert report['changes']['networks']['removed'] == [{'moid': DV, 'name': 'dv0'}]
    assert report['warnings'] == ['subnet dv: its port group dvportgroup-13 is not in vCenter any more']
    assert subnet_of(report, 'dv')['portgroup_name'] == 'dv0'


def test_network_changes_are_updates(path: str) -> None:
    run(path)
    snapshot = make_snapshot()
    snapshot['portgroups'][0]['vlan'] = 101
    snapshot['portgroups'][0]['hosts'] = ['h1']
    report = run(path, snapshot)
    assert report['changes']['networks'] == {'added': [], 'updated': [{'moid': WEB, 'name': 'web'}], 'removed': []}
    assert report['diff']['after']['networks'][WEB] == {'name': 'web', 'switch': 'vSwitch0', 'vlan': 101, 'hosts': ['h1']}


def test_ledger_state_is_plain_and_sorted(path: str) -> None:
    run(path, subnets=SUBNETS)
    with SqliteLedger(path) as ledger:
        state = ledger_state(ledger)
    assert list(state) == ['networks', 'subnets', 'addresses']
    assert state['subnets']['db']['reserved'] == ['10.2.0.100-10.2.0.109']
    assert state['addresses']['web'] == sorted(state['addresses']['web'])


# ----- placement -----------------------------------------------------------------------------------------------------

def test_placement_prefers_primary_and_uses_additional_port_groups(path: str) -> None:
    run(path, subnets=[SUBNETS[0], dict(SUBNETS[1], additional_portgroups=[DV1]), SUBNETS[2]])
    with SqliteLedger(path) as ledger:
        subnets = ledger.list_subnets()
    snapshot = make_snapshot()
    assert placement(snapshot, subnets, ['web']) == [
        {'host': 'h1', 'moid': 'host-1', 'datacenter': 'DC0', 'portgroups': [WEB]},
        {'host': 'h2', 'moid': 'host-2', 'datacenter': 'DC0', 'portgroups': [WEB]}]
    # db's primary port group is on h2 only; h1 reaches db through its additional port group dv1
    assert [(item['host'], item['portgroups']) for item in placement(snapshot, subnets, ['web', 'db'])] == [('h1', [WEB, DV1]), ('h2', [WEB, DB])]
    assert [item['host'] for item in placement(snapshot, subnets, ['dv', 'db'])] == ['h1']
    assert placement(snapshot, subnets, ['web'], datacenter='DC1') == []
    with pytest.raises(LedgerError, match=r'^subnet nope is not declared in the ledger; declare it with guestnet.vsphere.subnet_sync$'):
        placement(snapshot, subnets, ['nope'])
    with pytest.raises(LedgerError, match=r'^subnets nope, nix are not declared in ledger %s; declare them with guestnet\.vsphere\.subnet_sync$'
                       % re.escape(path)):
        placement(snapshot, subnets, ['web', 'nope', 'nix'], ledger=path)


# ----- the ledger's batch (used by sync) -----------------------------------------------------------------------------

def test_batch_is_all_or_nothing(path: str) -> None:
    with SqliteLedger(path) as ledger:
        with pytest.raises(RuntimeError):
            with ledger.batch():
                ledger.upsert_subnet('a', '10.0.0.0/24', portgroup=WEB)
                assert ledger.get_subnet('a').cidr == '10.0.0.0/24'      # later changes see earlier ones
                raise RuntimeError('boom')
        assert ledger.list_subnets() == []
        with ledger.batch(dry_run=True):
            ledger.upsert_subnet('a', '10.0.0.0/24', portgroup=WEB)
            ledger.allocate('a', 'vm', 'eth0')
        assert ledger.list_subnets() == []
        with ledger.batch():
            ledger.upsert_subnet('a', '10.0.0.0/24', portgroup=WEB)
            assert ledger.upsert_subnet('b', '10.0.1.0/24', portgroup=WEB, dry_run=True) is True   # a savepoint, rolled back
            with pytest.raises(LedgerError):
                ledger.upsert_subnet('c', '10.0.0.0/25', portgroup=WEB)  # overlaps: only this change is undone
        assert [subnet.name for subnet in ledger.list_subnets()] == ['a']


def test_snapshot_is_not_modified(path: str) -> None:
    snapshot = make_snapshot()
    original = copy.deepcopy(snapshot)
    run(path, snapshot, subnets=SUBNETS, fix_nics=[{'vm': 'd', 'ips': ['10.3.0.20']}])
    assert snapshot == original


# ----- reclaim -------------------------------------------------------------------------------------------------------

def seed(path: str, now: float = 1_000_000.0) -> None:
    """The ledger of SUBNETS plus addresses at ``now``: a VM deleted without releasing (uuid-gone: an allocation and a
    fixed address), a template (uuid-tmpl), a VM of DC1 holding a DC0 address (uuid-z), VM a's allocation keyed in
    upper case, a VM known by moid only (vm-b's owner key), and an allocation on a port group vCenter does not show."""
    run(path, subnets=SUBNETS + [{'name': 'lost', 'cidr': '10.5.0.0/24', 'portgroup': 'dv1'}])
    with SqliteLedger(path, clock=lambda: now) as ledger:
        ledger.allocate('web', 'uuid-gone', 'eth0', portgroup=WEB)
        ledger.record_fixed('10.3.0.30', 'uuid-gone', 'eth1', portgroup=DV)
        ledger.allocate('web', 'uuid-tmpl', 'eth0', portgroup=WEB)
        ledger.allocate('web', 'uuid-z', 'eth0', portgroup=WEB)
        ledger.allocate('db', 'UUID-A', 'eth1', portgroup=DB)
        ledger.allocate('db', 'vm-b', 'eth3', portgroup=DB)
        ledger.mark_additional('lost', 'dvportgroup-99')
        ledger.allocate('lost', 'uuid-gone', 'eth2', portgroup='dvportgroup-99')


def snapshot_with_template() -> Dict[str, Any]:
    snapshot = make_snapshot()
    snapshot['other_vms'] = [{'moid': 'vm-t', 'name': 'tmpl', 'instance_uuid': 'uuid-tmpl', 'datacenter': 'DC0', 'template': True}]
    return snapshot


def run_at(path: str, now: float, snapshot: Optional[Dict[str, Any]] = None, **options: Any) -> Dict[str, Any]:
    options.setdefault('datacenter', 'DC0')
    with SqliteLedger(path, rng=random.Random(1), clock=lambda: now) as ledger:
        return sync(ledger, snapshot or snapshot_with_template(), **options)


def owners(path: str) -> List[Any]:
    return sorted((row.vm_uuid, row.subnet, row.ip, row.kind) for row in rows(path) if row.kind in ('allocated', FIXED))


def test_reclaim_releases_only_addresses_of_vms_gone_from_vcenter(path: str) -> None:
    seed(path)
    kept_before = [row for row in owners(path) if row[0] != 'uuid-gone']
    report = run_at(path, 1_000_000.0 + 86400 + 1, reclaim=True)
    assert report['changed'] is True
    assert report['reclaimed'] == ['dv 10.3.0.30 fixed (owner uuid-gone, eth1)', 'web 10.1.0.254 allocated (owner uuid-gone, eth0)']
    assert sorted(report['changes']['addresses']['removed']) == [
        'dv 10.3.0.30 fixed uuid-gone/eth1 dvportgroup-13', 'web 10.1.0.254 allocated uuid-gone/eth0 network-70']
    assert '10.1.0.254 allocated uuid-gone/eth0 network-70' in report['diff']['before']['addresses']['web']
    assert '10.1.0.254 allocated uuid-gone/eth0 network-70' not in report['diff']['after']['addresses']['web']
    # the template, the DC1 VM, VM a (any case), the moid owner stay; so does the address on the unseen port group
    assert [row for row in owners(path) if row[0] != 'uuid-gone'] == kept_before
    assert [row for row in owners(path) if row[0] == 'uuid-gone'] == [('uuid-gone', 'lost', '10.5.0.254', 'allocated')]
    assert report['warnings'] == [
        'reclaim kept 1 address(es) of VMs not in vCenter whose port group is not in vCenter either or not visible to this account '
        '(its VMs may be hidden too): lost 10.5.0.254 allocated (owner uuid-gone, eth2) on dvportgroup-99']
    assert subnet_of(report, 'web')['usage']['held_back'] == 1               # held back as on any release
    again = run_at(path, 1_000_000.0 + 86400 + 2, reclaim=True)
    assert again['reclaimed'] == [] and again['changed'] is False


def test_reclaim_in_check_mode_reports_and_keeps_everything(path: str) -> None:
    seed(path)
    before = digest(path)
    predicted = run_at(path, 1_000_000.0 + 86400 + 1, reclaim=True, dry_run=True)
    assert digest(path) == before
    assert predicted['changed'] is True and len(predicted['reclaimed']) == 2
    real = run_at(path, 1_000_000.0 + 86400 + 1, reclaim=True)
    assert (predicted['reclaimed'], predicted['changes'], predicted['diff']) == (real['reclaimed'], real['changes'], real['diff'])


def test_without_reclaim_addresses_of_gone_vms_stay(path: str) -> None:
    seed(path)
    report = run_at(path, 1_000_000.0 + 86400 + 1)
    assert report['reclaimed'] == [] and ('uuid-gone', 'web', '10.1.0.254', 'allocated') in owners(path)


def test_reclaim_keeps_recent_addresses_until_the_grace_is_over(path: str) -> None:
    seed(path)
    report = run_at(path, 1_000_000.0 + 3600, reclaim=True)                  # default grace: a day
    assert report['reclaimed'] == [] and report['changed'] is False
    assert report['warnings'][0].startswith('reclaim kept 2 address(es) of VMs not in vCenter that changed less than 86400 s ago '
                                            '(reclaim_grace: a VM being cloned holds its addresses before vCenter lists it); a later run '
                                            'releases them: dv 10.3.0.30 fixed (owner uuid-gone, eth1), web 10.1.0.254 allocated')
    assert len(run_at(path, 1_000_000.0 + 3600, reclaim=True, reclaim_grace=600)['reclaimed']) == 2


def test_reclaim_waits_while_a_vm_has_no_readable_instance_uuid(path: str) -> None:
    seed(path)
    snapshot = snapshot_with_template()
    snapshot['other_vms'].append({'moid': 'vm-x', 'name': 'broken', 'instance_uuid': None, 'datacenter': 'DC1', 'template': False})
    before = owners(path)
    report = run_at(path, 1_000_000.0 + 86400 + 1, snapshot, reclaim=True)
    assert report['reclaimed'] == [] and owners(path) == before
    assert report['warnings'] == ['reclaim skipped: 1 VM(s) of vCenter have no readable instance UUID (broken (vm-x)), so the addresses they '
                                  'hold cannot be told from those of deleted VMs; fix or remove them from the inventory']


def test_reclaim_without_the_template_in_the_snapshot_would_take_its_address(path: str) -> None:
    """Why the snapshot lists templates apart: left out, the template's address is taken as a deleted VM's."""
    seed(path)
    snapshot = make_snapshot()
    snapshot['other_vms'] = []
    report = run_at(path, 1_000_000.0 + 86400 + 1, snapshot, reclaim=True, dry_run=True)
    assert 'web 10.1.0.253 allocated (owner uuid-tmpl, eth0)' in report['reclaimed']


def test_reclaim_with_a_datacenter_releases_only_its_port_groups(path: str) -> None:
    seed(path)
    with SqliteLedger(path, clock=lambda: 1_000_000.0) as ledger:
        ledger.upsert_subnet('dc1', '10.9.0.0/24', portgroup=WEB1)
        ledger.allocate('dc1', 'uuid-gone', 'eth3', portgroup=WEB1)
    report = run_at(path, 1_000_000.0 + 86400 + 1, datacenter='DC1', reclaim=True)
    assert report['reclaimed'] == ['dc1 10.9.0.254 allocated (owner uuid-gone, eth3)']
    assert report['warnings'][0].startswith('reclaim kept 1 address(es) of VMs not in vCenter whose port group is not in vCenter')
    assert ('uuid-gone', 'web', '10.1.0.254', 'allocated') in owners(path)  # DC0's: out of scope, no warning


def test_a_reclaimed_address_goes_to_the_vm_that_reports_it_in_the_same_run(path: str) -> None:
    seed(path)
    snapshot = snapshot_with_template()
    snapshot['vms'].append(vm('e', nic(WEB, '10.1.0.254/24')))           # reports uuid-gone's address
    report = run_at(path, 1_000_000.0 + 86400 + 1, snapshot, reclaim=True)
    assert report['conflicts'] == []
    assert [(row.vm_uuid, row.kind) for row in rows(path, subnet='web') if row.ip == '10.1.0.254'] == [('uuid-e', OBSERVED)]


@pytest.mark.parametrize('grace', [-1, True, '10'])
def test_reclaim_grace_is_checked(path: str, grace: Any) -> None:
    with pytest.raises(SpecError, match=r'^reclaim_grace: .* is not a number of seconds \(0 or more\)$'):
        run(path, reclaim=True, reclaim_grace=grace)


def test_hold_back_is_declared_with_the_subnet(path: str) -> None:
    report = run(path, subnets=[dict(SUBNETS[0], hold_back=300), SUBNETS[1]])
    assert (subnet_of(report, 'web')['hold_back'], subnet_of(report, 'db')['hold_back']) == (300, 30)
    assert report['diff']['after']['subnets']['web']['hold_back'] == 300
    changed = run(path, subnets=[dict(SUBNETS[0], hold_back=0), SUBNETS[1]])
    assert changed['changes']['subnets']['updated'] == ['web']
    with pytest.raises(LedgerError, match=r'^subnets\[0\]: subnet web: hold_back -5 is not a number of seconds'):
        run(path, subnets=[dict(SUBNETS[0], hold_back=-5)])
