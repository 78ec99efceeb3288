# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The playbooks with NetBox as the ledger, against the vCenter simulator and a real NetBox: 20 VMs provisioned with
forks 10 race for a /28, get distinct addresses from NetBox's own allocation while it has them, and the rest fail with
the exhausted error before anything changes on vCenter; a re-run changes nothing; decommission releases in NetBox.

Run: GUESTNET_NETBOX_REQUIRED=1 PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pytest tests/netbox -q -s
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'simulator'))

import harness  # noqa: E402  pylint: disable=wrong-import-position

vim = pytest.importorskip('pyVmomi').vim

CIDR = '10.77.0.0/28'            # 14 host addresses, the gateway's among them
HOSTS = ['race-%02d' % index for index in range(20)]
PLACEMENT = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'image': 'linux-template', 'class': {'cpus': 1, 'memory': '1Gi'},
             'power_state': 'powered_off'}
RECAP = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


@pytest.fixture(scope='module', name='sim')
def sim_fixture():
    sim = harness.Simulator.start()
    try:
        yield sim
    finally:
        sim.stop()


def play(sim, netbox, workdir, playbook, inventory=None, forks=None, token_in_env=True, verbosity=0, **extra_vars):
    """Run a playbook of the collection; the NetBox token in NETBOX_TOKEN (AWX's way), or (token_in_env=False) only where
    the inventory gives it."""
    env = {'NETBOX_TOKEN': netbox.token} if token_in_env else {}
    if forks:
        env['ANSIBLE_FORKS'] = str(forks)
    started = time.monotonic()
    result = harness.run_playbook(sim, playbook=playbook, inventory=inventory, extra_vars=extra_vars or None, env=env, verbosity=verbosity,
                                  workdir=workdir / ('%s-%d' % (playbook.rsplit('.', 1)[-1], time.monotonic_ns())))
    recap = {m.group(1): {'changed': int(m.group(3)), 'failed': int(m.group(5))} for m in RECAP.finditer(result.stdout)}
    return result, recap, time.monotonic() - started


def addresses_in(netbox, kind='allocated'):
    """The prefix's ip-addresses of this guestnet kind (allocated, held_back, gateway, ...)."""
    answer = netbox.api('GET', '/api/ipam/ip-addresses/?parent=%s&limit=1000' % CIDR, expect=200)[1]
    return [item for item in answer['results'] if (item.get('custom_fields') or {}).get('guestnet_kind') == kind]


def test_twenty_vms_race_for_a_small_prefix(sim, netbox, tmp_path, monkeypatch):
    monkeypatch.delenv('NETBOX_TOKEN', raising=False)   # the playbooks get the token from play() or the inventory only
    si = sim.connect()
    subnets = [{'name': 'race-net', 'cidr': CIDR, 'portgroup': 'DC0_DVPG0', 'gateway': '10.77.0.1'}]
    declared = play(sim, netbox, tmp_path, 'guestnet.vsphere.subnet_sync', subnet_sync_ledger=netbox.url,
                    subnet_sync_datacenter='DC0', subnet_sync_subnets=subnets)[0]
    assert declared.ok, declared.stdout[-4000:] + declared.stderr[-2000:]
    inventory = tmp_path / 'race.yml'
    hosts = {name: {'guestnet_vm': PLACEMENT, 'guestnet_network': {'interfaces': [{'name': 'eth0', 'subnet': 'race-net'}]}}
             for name in HOSTS}
    inventory.write_text(json.dumps({'all': {'hosts': hosts, 'vars': {'guestnet_ipam': {'ledger': netbox.url}}}}), encoding='utf-8')

    result, recap, seconds = play(sim, netbox, tmp_path, 'guestnet.vsphere.provision', inventory, forks=10, provision_wait_timeout=0)
    won = sorted(host for host in HOSTS if recap[host]['failed'] == 0)
    lost = sorted(host for host in HOSTS if recap[host]['failed'])
    allocated = addresses_in(netbox)
    print('\n20 VMs, forks 10, a /28 in NetBox: %d got addresses, %d exhausted, in %.1f s' % (len(won), len(lost), seconds))
    # every address NetBox handed out is distinct and in the prefix, one per winning VM, the gateway never: all 13
    ips = [item['address'].split('/')[0] for item in allocated]
    assert len(ips) == len(set(ips)) == len(won) == 13 and '10.77.0.1' not in ips, (ips, won)
    assert all(ipaddress.ip_address(ip) in ipaddress.ip_network(CIDR) for ip in ips)
    assert [item['address'] for item in addresses_in(netbox, 'gateway')] == ['10.77.0.1/28']
    assert {item['custom_fields']['guestnet_interface'] for item in allocated} == {'eth0'}
    # NetBox's UI shows each address with its VM's name and interface (the owner is the VM's instance UUID)
    uuids = {props['name']: props['config.instanceUuid'] for dummy, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'config.instanceUuid'])}
    assert sorted(item['description'] for item in allocated) == sorted(
        '%s eth0 (guestnet: allocated to VM %s)' % (host, uuids[host]) for host in won)
    # the losers failed with the exhausted error before the clone: no VM of theirs exists
    for host in lost:
        failure = [r for r in result.results if r['host'] == host and r['status'] == 'failed']
        assert failure and 'race-net' in failure[-1]['result']['msg'] and 'exhausted' in failure[-1]['result']['msg'].lower(), failure
    names = {props['name'] for dummy, props in harness.retrieve_view(si, vim.VirtualMachine, ['name'])}
    assert set(won) <= names and not set(lost) & names

    # a re-run of the winners changes nothing and allocates nothing more; from here the token is the roles'
    # guestnet_ipam.token (the modules' ledger_token), not NETBOX_TOKEN, and -vvv shows it nowhere
    hosts_vars = json.loads(inventory.read_text(encoding='utf-8'))
    hosts_vars['all']['vars']['guestnet_ipam']['token'] = netbox.token
    inventory.write_text(json.dumps(hosts_vars), encoding='utf-8')
    again, recap2 = play(sim, netbox, tmp_path, 'guestnet.vsphere.provision', inventory, forks=10, provision_wait_timeout=0,
                         guestnet_hosts=','.join(won), token_in_env=False, verbosity=3)[:2]
    assert again.ok and all(recap2[host] == {'changed': 0, 'failed': 0} for host in won), again.stdout[-4000:]
    assert sorted(item['address'] for item in addresses_in(netbox)) == sorted(item['address'] for item in allocated)

    # decommission releases their addresses in NetBox
    gone, recap3 = play(sim, netbox, tmp_path, 'guestnet.vsphere.decommission', inventory, forks=10, guestnet_hosts=','.join(won),
                        token_in_env=False, verbosity=3)[:2]
    assert gone.ok and all(recap3[host]['failed'] == 0 for host in won), gone.stdout[-4000:]
    secret = netbox.token.split('.', 1)[1]
    for run in (result, again, gone):
        events = json.dumps(run.results)   # what AWX would store, event by event
        assert secret not in run.stdout + run.stderr + events
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in again.stdout   # -vvv prints the module's options, the token censored
    assert addresses_in(netbox) == []
    held = addresses_in(netbox, 'held_back')          # released, kept from new VMs for the subnet's hold-back
    assert sorted(item['address'] for item in held) == sorted(item['address'] for item in allocated)
    assert all(not item['custom_fields'].get('guestnet_vm_uuid') for item in held)


def netbox_state(netbox):
    """NetBox's change log length and its ip-addresses: what a run that changes nothing leaves as it was."""
    changes = netbox.api('GET', '/api/core/object-changes/?limit=1', expect=200)[1]['count']
    addresses = netbox.api('GET', '/api/ipam/ip-addresses/?limit=0', expect=200)[1]['results']
    return changes, sorted((item['address'], item['description']) for item in addresses)


def test_check_mode_of_a_new_vm_only_reads_netbox(sim, netbox, tmp_path, monkeypatch):
    """--check on a VM that does not exist yet, two interfaces on a NetBox subnet: the vm module plans the clone and the
    two addresses NetBox would hand out, and changes nothing, in NetBox (its change log does not move) or on vCenter; the
    real run then gets those addresses. The token is the ledger_token option here, not NETBOX_TOKEN."""
    monkeypatch.delenv('NETBOX_TOKEN', raising=False)
    si = sim.connect()
    subnet = {'name': 'check-net', 'cidr': '10.78.0.0/28', 'portgroup': 'DC0_DVPG0', 'gateway': '10.78.0.1'}
    options = {'ledger': netbox.url, 'ledger_token': netbox.token}
    (declared,) = harness.run_steps(sim, 'guestnet.vsphere.subnet_sync', [dict(options, datacenter='DC0', subnets=[subnet])],
                                    workdir=tmp_path / 'declare')
    assert declared.status == 'ok' and declared.changed, declared.result
    interfaces = [{'name': 'eth0', 'subnet': 'check-net'}, {'name': 'eth1', 'subnet': 'check-net'}]
    vm = dict(options, datacenter='DC0', cluster='DC0_C0', image='linux-template', vm_class={'cpus': 1, 'memory': '1Gi'}, name='check-01',
              power_state='powered_off', remove_unmanaged=True, network={'interfaces': interfaces})
    before = netbox_state(netbox)
    (check,) = harness.run_steps(sim, 'guestnet.vsphere.vm', [dict(vm, _check_mode=True)], workdir=tmp_path / 'check')
    assert check.status == 'ok' and check.changed, check.result
    planned = [item['address'] for item in check.result['allocations']]
    assert planned == ['10.78.0.2/28', '10.78.0.3/28'], check.result['allocations']
    assert not check.calls_to(('CloneVM_Task', 'ReconfigVM_Task', 'PowerOnVM_Task', 'CustomizeVM_Task')), check.calls
    assert netbox_state(netbox) == before
    names = {props['name'] for dummy, props in harness.retrieve_view(si, vim.VirtualMachine, ['name'])}
    assert 'check-01' not in names
    (real,) = harness.run_steps(sim, 'guestnet.vsphere.vm', [vm], workdir=tmp_path / 'real')
    assert real.status == 'ok' and real.changed, real.result
    assert [item['address'] for item in real.result['allocations']] == planned


@pytest.mark.parametrize('check', [True, False], ids=['check-job', 'run-job'])
def test_no_awx_job_event_holds_the_netbox_token(sim, netbox, tmp_path, monkeypatch, check):
    """The provision playbook as AWX runs it (ansible-runner, -vvv), the NetBox token in the inventory's guestnet_ipam:
    no job event and no line of output holds it, in a Check job and in a Run job."""
    ansible_runner = pytest.importorskip('ansible_runner')
    yaml = pytest.importorskip('yaml')
    monkeypatch.delenv('NETBOX_TOKEN', raising=False)
    (declared,) = harness.run_steps(sim, 'guestnet.vsphere.subnet_sync', [{
        'ledger': netbox.url, 'ledger_token': netbox.token, 'datacenter': 'DC0',
        'subnets': [{'name': 'awx-net', 'cidr': '10.79.0.0/28', 'portgroup': 'DC0_DVPG0', 'gateway': '10.79.0.1'}]}], workdir=tmp_path / 'declare')
    assert declared.status == 'ok', declared.result
    private = tmp_path / 'job'
    (private / 'project').mkdir(parents=True)
    (private / 'inventory').mkdir()
    (private / 'project' / 'provision.yml').write_text(yaml.safe_dump([{'import_playbook': 'guestnet.vsphere.provision'}]), encoding='utf-8')
    host = {'guestnet_vm': dict(PLACEMENT, name='awx-nb-%s' % ('check' if check else 'run')), 'guestnet_wait_timeout': 0,
            'guestnet_network': {'interfaces': [{'name': 'eth0', 'subnet': 'awx-net'}]},
            'guestnet_ipam': {'ledger': netbox.url, 'token': netbox.token}}
    (private / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump({'all': {'hosts': {'awx-nb': host}}}), encoding='utf-8')
    envvars = dict(sim.env(), ANSIBLE_COLLECTIONS_PATH=str(harness.stage_collection(tmp_path / 'collections')), ANSIBLE_LOCALHOST_WARNING='false',
                   ANSIBLE_HOME=str(private / '.ansible'), PATH=os.environ.get('PATH', ''))
    runner = ansible_runner.run(private_data_dir=str(private), playbook='provision.yml', verbosity=3, envvars=envvars, quiet=True,
                                cmdline='--check' if check else None, timeout=600, limit='awx-nb')
    stdout = Path(runner.stdout.name).read_text(encoding='utf-8')
    assert runner.rc == 0 and runner.status == 'successful', stdout[-4000:]
    events = [json.dumps(event) for event in runner.events]
    assert any('VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in text and 'ledger_token' in text for text in events)   # the option was there, masked
    secret = netbox.token.split('.', 1)[1]
    assert [text for text in events if secret in text] == [] and secret not in stdout
    answer = netbox.api('GET', '/api/ipam/ip-addresses/?parent=10.79.0.0/28&limit=0', expect=200)[1]
    allocated = [item['address'] for item in answer['results'] if item['custom_fields'].get('guestnet_kind') == 'allocated']
    assert allocated == ([] if check else ['10.79.0.2/28'])
