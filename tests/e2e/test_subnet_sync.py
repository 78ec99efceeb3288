# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.subnet_sync through ansible-playbook against the simulator.

Own simulator (two datacenters, standard port groups web (VLAN 100) and db (VLAN 200) in each, DVS0 with
DCn_DVPG0/1). The VMs of DC0 are rewired and given guest IPs (POST /_guest) like this:

    A  DC0_H0_VM0       NIC0 web            Tools  10.1.0.10/24, fe80::a/64, 192.168.77.5/24 (in no subnet)
    B  DC0_H0_VM1       NIC0 web, NIC1 db   Tools  10.1.0.11/24 ; 10.2.0.11/24
    C  DC0_C0_RP0_VM0   NIC0 db             Tools  10.1.0.12/24 (a web address on db: db is detected for web)
    D  DC0_C0_RP0_VM1   NIC0 DC0_DVPG0, NIC1 DC0_DVPG1, no Tools (fix_nics)
    Y  DC1_H0_VM0       NIC0 web (DC1)      Tools  10.9.0.5/24
    Z  DC1_H0_VM1       NIC0 web (DC1)      Tools  10.9.0.5/24 (the same address: a conflict)

SOAP calls are counted by the simulator around each ansible-playbook run (only the module talks to vCenter).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

import harness

vim = pytest.importorskip('pyVmomi').vim

REPO = Path(__file__).resolve().parent.parent.parent
OUTPUT = REPO / 'tests' / 'output'
SESSION_CALLS = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1}
BUDGET = 12
MEASURED = {}

A, B, C, D = 'DC0_H0_VM0', 'DC0_H0_VM1', 'DC0_C0_RP0_VM0', 'DC0_C0_RP0_VM1'
Y, Z = 'DC1_H0_VM0', 'DC1_H0_VM1'

SUBNETS = [
    {'name': 'web', 'cidr': '10.1.0.0/24', 'portgroup': 'web', 'gateway': '10.1.0.1', 'nameservers': ['10.0.0.53'],
     'search_domains': ['example.com'], 'reserved': ['10.1.0.200-10.1.0.209']},
    {'name': 'db', 'cidr': '10.2.0.0/24', 'portgroup': 'db', 'gateway': '10.2.0.1', 'mtu': 9000},
    {'name': 'dv', 'cidr': '10.3.0.0/24', 'portgroup': 'DC0_DVPG0', 'range_start': '10.3.0.10', 'range_end': '10.3.0.99',
     'direction': 'stepup'},
]


@pytest.fixture(scope='module', autouse=True)
def report_calls():
    yield
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / 'subnet_sync_calls.json').write_text(json.dumps(MEASURED, indent=2, sort_keys=True), encoding='utf-8')


def _nics(devices):
    return [device for device in devices or [] if isinstance(device, vim.vm.device.VirtualEthernetCard)]


def _backing(network, props):
    if isinstance(network, vim.dvs.DistributedVirtualPortgroup):
        return vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
            port=vim.dvs.PortConnection(portgroupKey=props['key'], switchUuid=props['switch_uuid']))
    return vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(network=network, deviceName=props['name'])


def wire(si, vm, networks, mac_base):
    """Put the VM's NICs on these networks (edit the first, add the others with manual MACs); return the MACs."""
    card = _nics(harness.retrieve(si, vm, ['config.hardware.device'])['config.hardware.device'])[0]
    card.backing = _backing(*networks[0])
    changes = [vim.vm.device.VirtualDeviceSpec(operation='edit', device=card)]
    macs = [card.macAddress]
    for index, network in enumerate(networks[1:], 1):
        mac = '00:50:56:3f:%02x:%02x' % (mac_base, index)
        changes.append(vim.vm.device.VirtualDeviceSpec(operation='add', device=vim.vm.device.VirtualVmxnet3(
            key=-index, addressType='manual', macAddress=mac, backing=_backing(*network))))
        macs.append(mac)
    harness.wait_task(si, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=changes)))
    return macs


@pytest.fixture(scope='module', name='site')
def site_fixture():
    """The simulator, wired and with guest IPs as in the module docstring."""
    sim = harness.Simulator.start(datacenters=2, vms_per_pool=2, distributed_portgroups=2, standard_portgroups=['web:100', 'db:200'])
    try:
        si = sim.connect()
        networks = {}
        for datacenter, props in harness.retrieve_view(si, vim.Datacenter, ['name']):
            for network, net_props in harness.retrieve_view(si, vim.Network, ['name'], root=datacenter):
                networks[(props['name'], net_props['name'])] = (network, dict(net_props))
        for (dc_name, name), (network, props) in networks.items():
            if isinstance(network, vim.dvs.DistributedVirtualPortgroup):
                extra = harness.retrieve(si, network, ['key', 'config.distributedVirtualSwitch'])
                props.update(key=extra['key'], switch_uuid=harness.retrieve(si, extra['config.distributedVirtualSwitch'], ['uuid'])['uuid'])
        vms = {props['name']: vm for vm, props in harness.retrieve_view(si, vim.VirtualMachine, ['name'])}
        layout = {A: [('DC0', 'web')], B: [('DC0', 'web'), ('DC0', 'db')], C: [('DC0', 'db')],
                  D: [('DC0', 'DC0_DVPG0'), ('DC0', 'DC0_DVPG1')], Y: [('DC1', 'web')], Z: [('DC1', 'web')]}
        macs = {name: wire(si, vms[name], [networks[key] for key in keys], index) for index, (name, keys) in enumerate(layout.items())}
        guests = {A: [['10.1.0.10/24', 'fe80::a/64', '192.168.77.5/24']], B: [['10.1.0.11/24'], ['10.2.0.11/24']], C: [['10.1.0.12/24']],
                  Y: [['10.9.0.5/24']], Z: [['10.9.0.5/24']]}
        for name, addresses in guests.items():
            sim.set_guest(name, toolsRunning=True, net=[{'macAddress': mac, 'ipAddresses': ips} for mac, ips in zip(macs[name], addresses)])
        uuids = {props['name']: props['config.instanceUuid']
                 for vm, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'config.instanceUuid'])}
        moids = {key: network._moId for key, (network, props) in networks.items()}  # pylint: disable=protected-access
        yield {'sim': sim, 'macs': macs, 'uuids': uuids, 'moids': moids}
    finally:
        sim.stop()


@pytest.fixture(scope='module', name='baseline')
def baseline_fixture(site, collections_path, tmp_path_factory):
    """The first sync of DC0 with SUBNETS into a new ledger: (ledger path, task result, status, SOAP calls).
    Tests that start from it copy the file (copy_baseline)."""
    ledger = tmp_path_factory.mktemp('baseline') / 'ledger.sqlite'
    result, status, calls = subnet_sync(site, collections_path, ledger=str(ledger), datacenter='DC0', subnets=SUBNETS)
    return ledger, result, status, calls


def copy_baseline(baseline, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    ledger.write_bytes(Path(baseline[0]).read_bytes())
    return ledger


def play(site, collections_path, *runs):
    """Several module runs as the tasks of ONE ansible-playbook (its start-up is most of a run's time).

    Each run is the module's arguments plus, optionally, check=True, diff=True, and stat=PATH: the file's sha256
    just before this run. Returns ([(result, status, sha256 before or None), ...], SOAP calls of the whole play).
    """
    sim = site['sim'] if isinstance(site, dict) else site
    tasks = []
    for index, run in enumerate(runs):
        args = dict(run)
        check, diff, stat = args.pop('check', False), args.pop('diff', False), args.pop('stat', None)
        if stat is not None:
            tasks.append({'name': 'stat %d' % index, 'ansible.builtin.stat': {'path': str(stat), 'checksum_algorithm': 'sha256'}})
        task = {'name': 'run %d' % index, 'guestnet.vsphere.subnet_sync': args, 'ignore_errors': True}
        if check:
            task['check_mode'] = True
        if diff:
            task['diff'] = True
        tasks.append(task)
    sim.reset_calls()
    played = harness.run_playbook(sim, tasks=tasks, collections_path=collections_path)
    calls = sim.calls()
    assert played.ok, played.stdout + played.stderr
    results = []
    for index, run in enumerate(runs):
        found = played.task('run %d' % index)
        checksum = played.task('stat %d' % index)['result']['stat'].get('checksum') if 'stat' in run else None
        results.append((found['result'], found['status'], checksum))
    return results, calls


def subnet_sync(site, collections_path, **args):
    """One module run in its own ansible-playbook: (task result, status, SOAP calls of the run)."""
    ((result, status, dummy),), calls = play(site, collections_path, args)
    return result, status, calls


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rows(path):
    with sqlite3.connect(str(path)) as conn:
        return conn.execute("SELECT subnet, ip, kind, vm_uuid, interface, mac, portgroup FROM addresses WHERE kind != 'reserved' "
                            'ORDER BY subnet, ip, kind').fetchall()


def by_name(items, name):
    return next(item for item in items if item['name'] == name)


def assert_session_plus_reads(calls, runs=1):
    """Each run: its session (3 calls) and ONE RetrievePropertiesEx; nothing else (no Fetch, no ContainerView, no change)."""
    wanted = {key: value * runs for key, value in dict(SESSION_CALLS, RetrievePropertiesEx=1).items()}
    assert {key: value for key, value in calls.items() if key != 'total'} == wanted, calls
    assert calls['total'] <= BUDGET * runs


# ----- sync --------------------------------------------------------------------------------------------------------

def test_sync_records_port_groups_subnets_and_observed_addresses(site, baseline):
    ledger, result, status, calls = baseline
    assert status == 'ok', result
    assert result['changed'] is True
    MEASURED['sync, 8 VMs (first run)'] = calls
    assert_session_plus_reads(calls)
    moids, uuids, macs = site['moids'], site['uuids'], site['macs']
    pgs = {pg['name']: pg for pg in result['portgroups']}
    assert {'web', 'db', 'VM Network', 'DC0_DVPG0', 'DC0_DVPG1'} <= set(pgs)
    assert all(pg['datacenter'] == 'DC0' for pg in result['portgroups'])
    assert (pgs['web']['vlan'], pgs['web']['kind'], pgs['web']['switch'], len(pgs['web']['hosts'])) == (100, 'standard', 'vSwitch0', 4)
    assert (pgs['db']['vlan'], pgs['db']['subnets'], pgs['db']['additional_subnets']) == (200, ['db'], ['web'])
    assert (pgs['DC0_DVPG0']['kind'], pgs['DC0_DVPG0']['switch'], pgs['DC0_DVPG0']['vlan']) == ('distributed', 'DVS0', 0)
    assert pgs['DC0_DVPG0']['switch_uuid'] and pgs['DC0_DVPG0']['moid'].startswith('dvportgroup-')
    assert result['changes']['additional_portgroups']['detected'] == [{'subnet': 'web', 'portgroup': moids[('DC0', 'db')], 'portgroup_name': 'db'}]
    web, db = by_name(result['subnets'], 'web'), by_name(result['subnets'], 'db')
    assert web['usage'] == {'size': 254, 'used': 14, 'free': 240, 'allocated': 0, 'observed': 3, 'fixed': 0, 'reserved': 10,
                            'held_back': 0, 'conflicts': 0}
    assert (web['portgroup'], web['portgroup_name'], web['nameservers'], web['search_domains']) == (
        moids[('DC0', 'web')], 'web', ['10.0.0.53'], ['example.com'])
    assert (db['mtu'], db['usage']['observed']) == (9000, 1)
    assert by_name(result['subnets'], 'dv')['direction'] == 'stepup'
    assert rows(ledger) == [
        ('db', '10.2.0.11', 'observed', uuids[B], 'eth1', macs[B][1], moids[('DC0', 'db')]),
        ('web', '10.1.0.10', 'observed', uuids[A], 'eth0', macs[A][0], moids[('DC0', 'web')]),
        ('web', '10.1.0.11', 'observed', uuids[B], 'eth0', macs[B][0], moids[('DC0', 'web')]),
        ('web', '10.1.0.12', 'observed', uuids[C], 'eth0', macs[C][0], moids[('DC0', 'db')]),
    ]
    assert result['unmatched'] == [{'vm': A, 'vm_uuid': uuids[A], 'interface': 'eth0', 'mac': macs[A][0], 'portgroup': moids[('DC0', 'web')],
                                    'portgroup_name': 'web', 'ip': '192.168.77.5'}]
    assert result['conflicts'] == [] and result['fixed'] == []
    assert D in result['vms_without_tools'] and A not in result['vms_without_tools']
    assert result['ledger'] == str(ledger) and 'ledger_warning' not in result and 'diff' not in result
    with sqlite3.connect(str(ledger)) as conn:
        networks = dict(conn.execute('SELECT moid, vlan FROM networks').fetchall())
    assert networks[moids[('DC0', 'web')]] == 100 and moids[('DC1', 'web')] not in networks


def test_rerun_changes_nothing(site, baseline, collections_path, tmp_path):
    ledger = copy_baseline(baseline, tmp_path)
    args = dict(ledger=str(ledger), datacenter='DC0', subnets=SUBNETS, fix_nics=[{'vm': D, 'ips': ['10.3.0.20']}])
    ((first, status, dummy), (again, again_status, before)), calls = play(site, collections_path, args, dict(args, diff=True, stat=ledger))
    assert status == 'ok' and first['changed'] is True, first
    assert again_status == 'ok', again
    assert again['changed'] is False
    assert again['changes']['addresses'] == {'added': [], 'removed': []}
    assert again['diff']['before'] == again['diff']['after']
    assert digest(ledger) == before, 'an unchanged sync writes nothing'
    assert_session_plus_reads(calls, runs=2)
    MEASURED['sync, 8 VMs, run twice'] = calls


def test_check_mode_changes_nothing(site, baseline, collections_path, tmp_path):
    ledger = copy_baseline(baseline, tmp_path)
    before, content = digest(ledger), rows(ledger)
    subnets = SUBNETS + [{'name': 'dv1', 'cidr': '10.4.0.0/24', 'portgroup': 'DC0_DVPG1'}]
    args = dict(ledger=str(ledger), datacenter='DC0', subnets=subnets, fix_nics=[{'vm': D, 'ips': ['10.3.0.20', '10.4.0.20']}], diff=True)
    missing = tmp_path / 'new' / 'ledger.sqlite'
    ((predicted, status, dummy), (real, real_status, after_check), (new, new_status, dummy)), calls = play(
        site, collections_path, dict(args, check=True), dict(args, stat=ledger),
        dict(ledger=str(missing), datacenter='DC0', subnets=SUBNETS, check=True))
    assert status == 'ok', predicted
    assert predicted['changed'] is True
    assert predicted['changes']['subnets']['added'] == ['dv1']
    assert [line.split()[:3] for line in predicted['changes']['addresses']['added']] == [['dv', '10.3.0.20', 'fixed'], ['dv1', '10.4.0.20', 'fixed']]
    assert set(predicted['diff']['before']['subnets']) == {'web', 'db', 'dv'} and set(predicted['diff']['after']['subnets']) == {'web', 'db', 'dv', 'dv1'}
    assert after_check == before, 'check mode left the ledger file as it was'
    # the real run does what check mode predicted
    assert real_status == 'ok' and real['changed'] is True and predicted['changes'] == real['changes'] and predicted['diff'] == real['diff'], real
    assert rows(ledger) != content
    # check mode on a ledger that does not exist yet creates nothing
    assert new_status == 'ok' and new['changed'] is True, new
    assert not missing.exists() and not missing.parent.exists()
    assert_session_plus_reads(calls, runs=3)


def test_two_vms_reporting_one_address_make_a_conflict(site, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    args = dict(ledger=str(ledger), datacenter='DC1', subnets=[{'name': 'dc1-web', 'cidr': '10.9.0.0/24', 'portgroup': 'web'}])
    ((result, status, dummy), (again, again_status, before)), calls = play(site, collections_path, args, dict(args, stat=ledger))
    assert status == 'ok', result
    uuids, moids = site['uuids'], site['moids']
    assert [(item['vm'], item['ip'], item['holder_vm'], item['holder_kind']) for item in result['conflicts']] == [(Z, '10.9.0.5', Y, 'observed')]
    assert result['conflicts'][0]['portgroup'] == moids[('DC1', 'web')]
    assert by_name(result['subnets'], 'dc1-web')['usage']['conflicts'] == 1
    # the holder keeps the address, run after run
    assert again['changed'] is False and len(again['conflicts']) == 1, again
    assert digest(ledger) == before
    assert [(row[1], row[2], row[3]) for row in rows(ledger)] == [('10.9.0.5', 'conflict', uuids[Z]), ('10.9.0.5', 'observed', uuids[Y])]


def test_fix_nics_for_a_vm_without_tools(site, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    subnets = SUBNETS + [{'name': 'dv1', 'cidr': '10.4.0.0/24', 'portgroup': 'DC0_DVPG1'}]
    ((result, status, dummy), (later, later_status, dummy), (failed, failed_status, before)), calls = play(
        site, collections_path,
        dict(ledger=str(ledger), datacenter='DC0', subnets=subnets, fix_nics=[{'vm': D, 'ips': ['10.3.0.20', '10.4.0.20']}]),
        # a later sync without fix_nics keeps them
        dict(ledger=str(ledger), datacenter='DC0', subnets=subnets),
        # an address outside every subnet reachable from the NIC: an error naming the field, and nothing changes
        dict(ledger=str(ledger), datacenter='DC0', fix_nics=[{'vm': D, 'ips': ['10.1.0.50']}], stat=ledger))
    assert status == 'ok', result
    uuids, macs, moids = site['uuids'], site['macs'], site['moids']
    assert [(item['vm'], item['interface'], item['ip'], item['subnet'], item['kind'], item['mac']) for item in result['fixed']] == [
        (D, 'eth0', '10.3.0.20', 'dv', 'fixed', macs[D][0]), (D, 'eth1', '10.4.0.20', 'dv1', 'fixed', macs[D][1])]
    assert later_status == 'ok' and later['changed'] is False, later
    assert by_name(later['subnets'], 'dv')['usage']['fixed'] == 1
    assert failed_status == 'failed'
    assert failed['msg'] == ('fix_nics[0].ips[0]: 10.1.0.50 is in no subnet range reachable from port group DC0_DVPG0 of VM %s NIC 0 '
                             '(ledger %s: dv 10.3.0.10-10.3.0.99)' % (D, ledger))
    assert digest(ledger) == before
    assert [row for row in rows(ledger) if row[2] == 'fixed'] == [
        ('dv', '10.3.0.20', 'fixed', uuids[D], 'eth0', macs[D][0], moids[('DC0', 'DC0_DVPG0')]),
        ('dv1', '10.4.0.20', 'fixed', uuids[D], 'eth1', macs[D][1], moids[('DC0', 'DC0_DVPG1')])]


def test_additional_port_groups_detected_and_marked(site, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    moids = site['moids']
    ((result, status, dummy), (fixed, fixed_status, dummy), (unmarked, unmarked_status, dummy)), calls = play(
        site, collections_path,
        dict(ledger=str(ledger), datacenter='DC0', subnets=[SUBNETS[0], dict(SUBNETS[1], additional_portgroups=['DC0_DVPG1']), SUBNETS[2]]),
        # D's second NIC (DC0_DVPG1) may take a db address now
        dict(ledger=str(ledger), datacenter='DC0', fix_nics=[{'vm': D, 'ips': ['', '10.2.0.30']}]),
        # unmarking by declaring the list again
        dict(ledger=str(ledger), datacenter='DC0', subnets=[SUBNETS[0], dict(SUBNETS[1], additional_portgroups=[]), SUBNETS[2]]))
    assert status == 'ok', result
    # C reports a web address on db: db is detected for web, and the address is observed through it
    assert by_name(result['subnets'], 'web')['additional_portgroups'] == [
        {'portgroup': moids[('DC0', 'db')], 'portgroup_name': 'db', 'added_by': 'detected'}]
    assert by_name(result['subnets'], 'db')['additional_portgroups'] == [
        {'portgroup': moids[('DC0', 'DC0_DVPG1')], 'portgroup_name': 'DC0_DVPG1', 'added_by': 'marked'}]
    assert result['changes']['additional_portgroups']['marked'] == [{'subnet': 'db', 'portgroup': moids[('DC0', 'DC0_DVPG1')],
                                                                     'portgroup_name': 'DC0_DVPG1'}]
    assert by_name(result['portgroups'], 'DC0_DVPG1')['additional_subnets'] == ['db']
    assert fixed_status == 'ok', fixed
    assert [(item['interface'], item['subnet']) for item in fixed['fixed']] == [('eth1', 'db')]
    assert unmarked_status == 'ok', unmarked
    assert unmarked['changes']['additional_portgroups']['unmarked'] == [{'subnet': 'db', 'portgroup': moids[('DC0', 'DC0_DVPG1')],
                                                                         'portgroup_name': 'DC0_DVPG1'}]
    assert by_name(unmarked['subnets'], 'db')['additional_portgroups'] == []
    assert ('web', '10.1.0.12', 'observed') in [row[:3] for row in rows(ledger)]
    assert ('db', '10.2.0.30', 'fixed') in [row[:3] for row in rows(ledger)]


BAD_INPUT = [
    ({'subnets': SUBNETS + [{'name': 'web-half', 'cidr': '10.1.0.128/25', 'portgroup': 'web'}]},
     'subnets[3]: subnet web-half: cidr 10.1.0.128/25 overlaps subnet web (10.1.0.0/24) of ledger {ledger}'),
    ({'subnets': [{'name': 'lab', 'cidr': '10.5.0.0/24', 'portgroup': 'lab-net'}]},
     'subnets[0].portgroup: lab-net is not a port group in datacenter DC0 (known: DC0_DVPG0, DC0_DVPG1, DVS0-DVUplinks-9, VM Network, db, web)'),
    ({'fix_nics': [{'vm': D, 'ips': ['10.2.0.40']}]},
     'fix_nics[0].ips[0]: 10.2.0.40 is in no subnet range reachable from port group DC0_DVPG0 of VM %s NIC 0 '
     '(ledger {ledger}: dv 10.3.0.10-10.3.0.99)' % D),
    ({'fix_nics': [{'vm': D, 'ips': ['10.3.0.20', '10.3.0.21', '10.3.0.22']}]},
     "fix_nics[0].ips: ['10.3.0.20', '10.3.0.21', '10.3.0.22'] has 3 addresses but VM %s has 2 NIC(s); they are assigned in NIC order" % D),
    ({'subnets': [{'name': 'bad', 'cidr': '10.6.0.0/24', 'portgroup': 'web', 'gateway': '10.7.0.1'}]},
     'subnets[0]: subnet bad: gateway: 10.7.0.1 is not a usable address of 10.6.0.0/24 (10.6.0.1-10.6.0.254)'),
    ({'datacenter': None, 'subnets': [{'name': 'x', 'cidr': '10.6.0.0/24', 'portgroup': 'web'}]},
     'subnets[0].portgroup: web names 2 port groups: {web0} (DC0, vSwitch0), {web1} (DC1, vSwitch0); use the moid, or set datacenter'),
    ({'purge': True}, 'purge is True but all of the following are missing: subnets'),
]


def test_bad_input_fails_clearly_and_leaves_the_ledger_unchanged(site, baseline, collections_path, tmp_path):
    ledger = copy_baseline(baseline, tmp_path)
    before = digest(ledger)
    runs = []
    for args, message in BAD_INPUT:
        args = dict({'datacenter': 'DC0', 'ledger': str(ledger), 'stat': ledger}, **args)
        if args['datacenter'] is None:
            del args['datacenter']
        runs.append(args)
    results, calls = play(site, collections_path, *runs)
    for (result, status, checksum), (args, message) in zip(results, BAD_INPUT):
        assert status == 'failed', result
        assert result['msg'] == message.format(web0=site['moids'][('DC0', 'web')], web1=site['moids'][('DC1', 'web')], ledger=ledger)
        assert checksum == before
    assert digest(ledger) == before
    # reading vCenter is all they did (the purge and the declaration errors fail before connecting)
    assert not set(calls) - set(SESSION_CALLS) - {'RetrievePropertiesEx', 'total'}
    assert calls['RetrievePropertiesEx'] == 5 and calls['Login'] == calls['Logout'] == 5


def test_bad_input_on_a_new_ledger_creates_no_file(site, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    ((failed, status, dummy), (invalid, invalid_status, dummy)), calls = play(
        site, collections_path,
        dict(ledger=str(ledger), datacenter='DC0', subnets=SUBNETS + [dict(SUBNETS[0], name='again')]),
        # a declaration that is wrong on its own fails before connecting to vCenter
        dict(ledger=str(ledger), subnets=[dict(SUBNETS[0], cidr='10.1.0.0/33')]))
    assert status == 'failed' and failed['msg'] == ('subnets[3]: subnet again: cidr 10.1.0.0/24 overlaps subnet web (10.1.0.0/24) '
                                                    'of ledger %s' % ledger), failed   # the trial in memory names the file
    assert invalid_status == 'failed' and invalid['msg'].startswith('subnets[0]: subnet web: cidr 10.1.0.0/33 is not a network'), invalid
    assert not ledger.exists()
    assert_session_plus_reads(calls)                                # the first run's; the second made none


def test_purge(site, baseline, collections_path, tmp_path):
    ledger = copy_baseline(baseline, tmp_path)
    ((fixed, fixed_status, dummy), (purged, status, dummy), (refused, refused_status, before)), calls = play(
        site, collections_path,
        dict(ledger=str(ledger), datacenter='DC0', fix_nics=[{'vm': D, 'ips': ['10.3.0.20']}]),
        dict(ledger=str(ledger), datacenter='DC0', subnets=SUBNETS[1:], purge=True),
        dict(ledger=str(ledger), datacenter='DC0', subnets=SUBNETS[1:2], purge=True, stat=ledger))
    assert fixed_status == 'ok' and status == 'ok', purged
    assert purged['changes']['subnets']['removed'] == ['web']
    assert [item['name'] for item in purged['subnets']] == ['db', 'dv']
    assert refused_status == 'failed'
    assert refused['msg'] == ('purge: subnet dv of ledger %s is not in subnets but 1 address(es) are allocated or fixed in it '
                              '(10.3.0.20 fixed for %s/eth0); release them first, or declare the subnet' % (ledger, site['uuids'][D]))
    assert digest(ledger) == before
    assert not [row for row in rows(ledger) if row[0] == 'web']


def test_playbook(site, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    played = harness.run_playbook(site['sim'], playbook=REPO / 'playbooks' / 'subnet_sync.yml', collections_path=collections_path,
                                  extra_vars={'subnet_sync_ledger': str(ledger), 'subnet_sync_datacenter': 'DC0',
                                              'subnet_sync_subnets': SUBNETS, 'subnet_sync_fix_nics': [{'vm': D, 'ips': ['10.3.0.20']}]})
    assert played.ok, played.stdout + played.stderr
    result = played.task('Sync port groups, subnets and guest addresses into the ledger')['result']
    assert result['changed'] is True and [item['ip'] for item in result['fixed']] == ['10.3.0.20']
    assert 'web (10.1.0.0/24 on web): 240 free of 254, 3 observed, 0 fixed, 0 allocated, 0 conflicts' in played.stdout


# ----- the budget: constant SOAP calls, 10 VMs or 1,000 -------------------------------------------------------------

def test_sync_calls_are_the_same_for_10_and_1000_vms(collections_path, tmp_path):
    counted = {}
    for vms_per_pool in (5, 500):
        vms = 2 * vms_per_pool                                      # the cluster's pool and the standalone host's
        with harness.Simulator.start(vms_per_pool=vms_per_pool, distributed_portgroups=2, standard_portgroups=['web:100', 'db:200']) as sim:
            assert sim.inventory['vms'] - 3 == vms                  # the templates are counted too
            sim.set_guest('DC0_H0_VM0', toolsRunning=True, net=[{'macAddress': _first_mac(sim, 'DC0_H0_VM0'), 'ipAddresses': ['10.3.0.10/24']}])
            result, status, calls = subnet_sync(sim, collections_path, ledger=str(tmp_path / ('ledger-%d.sqlite' % vms)),
                                                subnets=[{'name': 'dv', 'cidr': '10.3.0.0/24', 'portgroup': 'DC0_DVPG0'}])
        assert status == 'ok', result
        assert by_name(result['subnets'], 'dv')['usage']['observed'] == 1
        assert len(result['vms_without_tools']) == vms - 1
        MEASURED['sync, %d VMs' % vms] = counted[vms] = calls
        assert_session_plus_reads(calls)                            # 4 for the session, 1 RetrievePropertiesEx
    assert counted[10] == counted[1000]
    assert counted[1000]['total'] <= BUDGET


def _first_mac(sim, name):
    si = sim.connect()
    try:
        vm = harness.find_vm(si, name)
        return _nics(harness.retrieve(si, vm, ['config.hardware.device'])['config.hardware.device'])[0].macAddress
    finally:
        from pyVim.connect import Disconnect  # pylint: disable=import-outside-toplevel
        Disconnect(si)
