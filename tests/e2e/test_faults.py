# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Nothing lost under faults (issue 13): guestnet.vsphere.vm against the shared simulator when the way to vCenter fails
(its front answers 502/503/504, cuts an answer off or resets the connection, before or after vCenter carried the call
out) and when a customization's run fails half-way. For each: the message the user sees, what vCenter holds after,
and the re-run converging.

Every VM here is called vmf-*; the module removes them at the end.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re
import sqlite3

import pytest

from vmrun import extra, nics, remove_vms, run, vm_props

PLACEMENT = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'image': 'linux-template', 'vm_class': {'cpus': 1, 'memory': '1Gi'}}
ONE_NIC = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'dhcp4': True}]}
TWO_NICS = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'dhcp4': True}, {'name': 'eth1', 'network': 'PG-VLAN100', 'dhcp4': True}]}
# Nothing to do: the look-up and one read of the VM.
NOOP_CALLS = {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 1}


def plain_vm(name, network=None, **more):
    return dict(PLACEMENT, name=name, remove_unmanaged=True, network=network or ONE_NIC, power_state='powered_off', **more)


def linux_prep_vm(name, **more):
    network = {'host_name': name.replace('-', ''), 'domain_name': 'vmf.example',
               'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.91.0.11/24'], 'gateway4': '10.91.0.1'}]}
    return dict(PLACEMENT, name=name, remove_unmanaged=True, network=network, provider='linux_prep', linux_prep={'time_zone': 'Etc/UTC'},
                **more)


def fault(method, mode, count=1, after=None, **more):
    rule = dict(method=method, mode=mode, count=count, **more)
    if after:
        rule['after'] = True
    return rule


def lost(simulator, method, what, step):
    """The start of the message of a call whose answer was lost."""
    return '%s: %s failed: lost the connection to vCenter %s:%s during %s' % (step, what, simulator.host, simulator.port, method)


@pytest.fixture(scope='module', autouse=True)
def cleanup(service_instance, simulator):
    yield
    remove_vms(service_instance, simulator, 'vmf-')


# -- reads: sent again with backoff, then one clear error -----------------------------------------------------------------

def test_reads_are_sent_again_and_a_vcenter_that_stays_away_gets_one_clear_error(fresh_calls, collections_path, tmp_path):
    args = plain_vm('vmf-read')
    created, retried, cut_off, gone = run(fresh_calls, collections_path, tmp_path,
                                          args,
                                          dict(args, _faults=[fault('RetrievePropertiesEx', 'http502', count=2)]),
                                          dict(args, _faults=[fault('FindByInventoryPath', 'eof'), fault('RetrievePropertiesEx', 'http504')]),
                                          dict(args, _faults=[fault('RetrievePropertiesEx', 'reset', count=-1)]))
    assert created.status == 'ok' and created.changed is True, created.msg
    # the 502s cost two more reads and change nothing else
    assert retried.status == 'ok' and retried.changed is False, retried.msg
    assert {k: retried.calls[k] for k in NOOP_CALLS} == {'FindByInventoryPath': 1, 'RetrievePropertiesEx': 3} and retried.mutating == {}
    assert cut_off.status == 'ok' and cut_off.changed is False, cut_off.msg
    assert {k: cut_off.calls[k] for k in NOOP_CALLS} == {'FindByInventoryPath': 2, 'RetrievePropertiesEx': 2}
    # vCenter stays away: one message that names vCenter, the VM and the step, after 4 tries
    assert gone.status == 'failed' and gone.calls['RetrievePropertiesEx'] == 4 and gone.mutating == {}
    assert re.fullmatch(re.escape(lost(fresh_calls, 'RetrievePropertiesEx', 'reading VM name vmf-read in datacenter DC0', 'deploy'))
                        + r': the connection was closed without an answer \(sent 4 times over \d+\.\d s\)', gone.msg), gone.msg
    assert 'Traceback' not in gone.msg and 'module_stderr' not in gone.result


# -- changes: never sent twice; a lost answer is looked up ----------------------------------------------------------------

def test_a_change_vcenter_never_saw_is_not_repeated_and_the_re_run_converges(fresh_calls, service_instance, collections_path, tmp_path):
    args = plain_vm('vmf-change')
    created, refused_by_proxy = run(fresh_calls, collections_path, tmp_path, args,
                                    dict(args, network=TWO_NICS, _faults=[fault('ReconfigVM_Task', 'http503')]))
    assert created.status == 'ok', created.msg
    vm, props = vm_props(service_instance, 'vmf-change')
    assert len(nics(props)) == 1      # the change vCenter never saw left the VM as it was
    assert refused_by_proxy.status == 'failed' and refused_by_proxy.mutating == {'ReconfigVM_Task': 1}
    assert refused_by_proxy.msg == (
        lost(fresh_calls, 'ReconfigVM_Task', 'reconfiguring the NICs of VM vmf-change', 'network')
        + ' on VirtualMachine %s: the proxy in front of vCenter answered 503 Service Unavailable; vCenter may have carried it out, and a '
          'call that changes something is never sent twice: run again, and the run goes on from what vCenter shows; vCenter shows no task '
          'of it' % vm._moId)
    # reads: the VM, the datacenter's port groups (PG-VLAN100 is new to it), and the look-up of vCenter's recent tasks
    # (its clock is known from the login)
    assert refused_by_proxy.calls['RetrievePropertiesEx'] == 3 and 'CurrentTime' not in refused_by_proxy.calls
    again, noop = run(fresh_calls, collections_path, tmp_path, dict(args, network=TWO_NICS), dict(args, network=TWO_NICS))
    assert again.status == 'ok' and again.changed is True and again.mutating == {'ReconfigVM_Task': 1}, again.msg
    assert noop.status == 'ok' and noop.changed is False
    assert len(nics(vm_props(service_instance, 'vmf-change')[1])) == 2


def test_a_lost_answer_is_found_among_the_recent_tasks_and_followed(fresh_calls, service_instance, collections_path, tmp_path):
    args = plain_vm('vmf-after')
    created, added, powered, noop = run(fresh_calls, collections_path, tmp_path,
                                        args,
                                        dict(args, network=TWO_NICS, _faults=[fault('ReconfigVM_Task', 'reset', after=True)]),
                                        dict(args, network=TWO_NICS, power_state='powered_on', _faults=[fault('PowerOnVM_Task', 'eof', after=True)]),
                                        dict(args, network=TWO_NICS, power_state='powered_on'))
    assert created.status == 'ok', created.msg
    # vCenter carried the reconfigure out and its answer was lost: the task is found and followed, nothing is sent twice
    assert added.status == 'ok' and added.changed is True and added.mutating == {'ReconfigVM_Task': 1}, added.msg
    assert 'CurrentTime' not in added.calls
    assert powered.status == 'ok' and powered.changed is True and powered.mutating == {'PowerOnVM_Task': 1}, powered.msg
    assert noop.status == 'ok' and noop.changed is False
    dummy, props = vm_props(service_instance, 'vmf-after')
    assert len(nics(props)) == 2 and props['runtime.powerState'] == 'poweredOn'


def test_a_clone_whose_answer_was_lost_is_found_by_the_re_run(fresh_calls, service_instance, collections_path, tmp_path):
    args = plain_vm('vmf-clone')
    lost_clone, again, noop = run(fresh_calls, collections_path, tmp_path,
                                  dict(args, _faults=[fault('CloneVM_Task', 'eof', after=True)]),
                                  args, args)
    # the clone's task belongs to the template, which other runs clone at the same time: it is not looked up
    assert lost_clone.status == 'failed' and lost_clone.mutating == {'CloneVM_Task': 1}
    assert lost_clone.msg.startswith(lost(fresh_calls, 'CloneVM_Task', 'cloning template /DC0/vm/linux-template to VM /DC0/vm/vmf-clone',
                                          'deploy')), lost_clone.msg
    assert lost_clone.msg.endswith('a call that changes something is never sent twice: run again, and the run goes on from what vCenter shows')
    # vCenter made the VM: the re-run finds it and goes on
    assert again.status == 'ok' and 'CloneVM_Task' not in again.mutating, again.msg
    assert noop.status == 'ok' and noop.changed is False
    assert vm_props(service_instance, 'vmf-clone')[0] is not None


# -- a customization's run that fails half-way (finding 2) ------------------------------------------------------------------

def test_a_customized_vm_whose_power_on_failed_is_recognised_and_powered_on(fresh_calls, service_instance, collections_path, tmp_path):
    args = linux_prep_vm('vmf-lp-power')
    failed, again, noop = run(fresh_calls, collections_path, tmp_path,
                              dict(args, _faults=[fault('PowerOnVM_Task', 'task', message='no host can power the VM on')]),
                              args, args)
    assert failed.status == 'failed' and failed.msg.startswith('power: '), failed.msg
    assert failed.mutating == {'CloneVM_Task': 1, 'CustomizeVM_Task': 1, 'PowerOnVM_Task': 1}
    # the next run recognises the queued customization by its record and powers the VM on, queueing nothing again
    assert again.status == 'ok' and again.changed is True, again.msg
    assert again.mutating == {'PowerOnVM_Task': 1} and again.steps['bootstrap'] == {'changed': False, 'provider': 'linux_prep'}
    assert noop.status == 'ok' and noop.changed is False and noop.mutating == {}


def test_a_customization_whose_answer_was_lost_keeps_its_record(fresh_calls, service_instance, collections_path, tmp_path):
    args = linux_prep_vm('vmf-lp-lost')
    # the customization is queued and its answer lost, and vCenter's recent tasks cannot be read to find it (the 5th read
    # of the run and its 3 retries: placement, template, clone, new VM, then the look-up)
    (failed,) = run(fresh_calls, collections_path, tmp_path,
                    dict(args, _faults=[fault('CustomizeVM_Task', 'reset', after=True), fault('RetrievePropertiesEx', 'http503', count=4, skip=4)]))
    assert failed.status == 'failed' and failed.mutating == {'CloneVM_Task': 1, 'CustomizeVM_Task': 1}, failed.msg
    assert failed.msg.startswith(lost(fresh_calls, 'CustomizeVM_Task', 'customizing VM vmf-lp-lost (linux_prep)', 'bootstrap')), failed.msg
    assert failed.msg.endswith('vCenter shows a customization queued for VM vmf-lp-lost, so its bootstrap record stays: run again, and the '
                               'run powers it on'), failed.msg
    dummy, props = vm_props(service_instance, 'vmf-lp-lost')
    assert props['config.tools.pendingCustomization'] and extra(props)['guestnet.bootstrap.provider'] == 'linux_prep'
    again, noop = run(fresh_calls, collections_path, tmp_path, args, args)
    assert again.status == 'ok' and again.mutating == {'PowerOnVM_Task': 1}, again.msg
    assert noop.status == 'ok' and noop.changed is False


def test_a_refused_customization_puts_the_record_back_and_the_re_run_customizes(fresh_calls, service_instance, collections_path, tmp_path):
    args = linux_prep_vm('vmf-lp-refused')
    failed, again, noop = run(fresh_calls, collections_path, tmp_path,
                              dict(args, _faults=[fault('CustomizeVM_Task', 'task', message='the customization spec is invalid')]),
                              args, args)
    assert failed.status == 'failed', failed.msg
    assert failed.msg == ('bootstrap: customizing VM vmf-lp-refused (linux_prep) failed: SystemError: the customization spec is invalid; '
                          'nothing is queued and the bootstrap record is as before, so the next run customizes it again')
    assert again.status == 'ok' and again.mutating == {'CustomizeVM_Task': 1, 'ReconfigVM_Task': 1, 'PowerOnVM_Task': 1}, again.msg
    assert noop.status == 'ok' and noop.changed is False
    dummy, props = vm_props(service_instance, 'vmf-lp-refused')
    assert extra(props)['guestnet.bootstrap.provider'] == 'linux_prep' and props['runtime.powerState'] == 'poweredOn'


# -- the ledger: refused before anything changes, released with the delete (findings 1, 4, 5, 6) ----------------------------

def declare(ledger, *subnets):
    return dict(_module='guestnet.vsphere.subnet_sync', ledger=str(ledger), datacenter='DC0', subnets=list(subnets))


def subnet(name, third, **more):
    return dict(name=name, cidr='10.%d.0.0/24' % third, portgroup='DC0_DVPG1', gateway='10.%d.0.1' % third, range_start='10.%d.0.10' % third,
                direction='stepup', **more)


def on_subnet(name, ledger, subnet_name, **more):
    return plain_vm(name, network={'interfaces': [{'name': 'eth0', 'subnet': subnet_name}]}, ledger=str(ledger), **more)


def allocated(ledger):
    with sqlite3.connect(str(ledger)) as conn:
        return conn.execute("SELECT subnet, ip FROM addresses WHERE kind = 'allocated' ORDER BY ip").fetchall()


def set_schema_version(ledger, version):
    with sqlite3.connect(str(ledger)) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))


def test_decommission_deletes_the_vm_only_when_the_ledger_takes_the_release(fresh_calls, service_instance, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    gone = dict(name='vmf-dec', datacenter='DC0', state='absent', ledger=str(ledger))
    declared, created = run(fresh_calls, collections_path, tmp_path, declare(ledger, subnet('dec-net', 93)),
                            on_subnet('vmf-dec', ledger, 'dec-net'))
    assert declared.status == 'ok' and created.status == 'ok', (declared.msg, created.msg)
    assert created.result['allocations'] == [{'interface': 'eth0', 'subnet': 'dec-net', 'address': '10.93.0.10/24', 'changed': True}]
    set_schema_version(ledger, 99)        # a newer collection wrote it
    before = ledger.read_bytes()
    (refused,) = run(fresh_calls, collections_path, tmp_path, gone)
    assert refused.status == 'failed' and refused.mutating == {}
    assert refused.msg == ('VM /DC0/vm/vmf-dec is not deleted: its addresses could not be released, because ledger %s has schema version 99, '
                           'newer than this collection knows (2): a newer guestnet.vsphere wrote it; upgrade the collection, or point ledger to '
                           'another file' % ledger), refused.msg
    assert vm_props(service_instance, 'vmf-dec')[0] is not None and ledger.read_bytes() == before
    set_schema_version(ledger, 2)
    deleted, again = run(fresh_calls, collections_path, tmp_path, gone, gone)
    assert deleted.status == 'ok' and deleted.changed is True and deleted.result['released'] == ['dec-net 10.93.0.10'], deleted.msg
    assert again.status == 'ok' and again.changed is False
    assert vm_props(service_instance, 'vmf-dec')[0] is None and allocated(ledger) == []


def test_reclaim_releases_the_addresses_of_a_vm_deleted_behind_the_ledgers_back(fresh_calls, service_instance, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    declared, created, gone = run(fresh_calls, collections_path, tmp_path, declare(ledger, subnet('gone-net', 94)),
                                  on_subnet('vmf-gone', ledger, 'gone-net'), dict(name='vmf-gone', datacenter='DC0', state='absent'))
    assert created.status == 'ok' and gone.status == 'ok' and 'released' not in gone.result   # deleted without the ledger
    assert allocated(ledger) == [('gone-net', '10.94.0.10')]
    reclaim = dict(declare(ledger, subnet('gone-net', 94)), reclaim=True, reclaim_grace=0)
    check, reclaimed, again = run(fresh_calls, collections_path, tmp_path, dict(reclaim, _check_mode=True), reclaim, reclaim)
    owner = created.result['vm']['instance_uuid']
    assert check.status == 'ok' and check.changed is True and check.result['reclaimed'] == [
        'gone-net 10.94.0.10 allocated (owner %s, eth0)' % owner], check.msg
    assert reclaimed.status == 'ok' and reclaimed.changed is True and reclaimed.result['reclaimed'] == check.result['reclaimed']
    assert again.status == 'ok' and again.changed is False and again.result['reclaimed'] == []
    assert allocated(ledger) == []


def test_a_file_that_is_not_a_guestnet_ledger_is_refused_and_left_alone(fresh_calls, service_instance, collections_path, tmp_path):
    other = tmp_path / 'shop.db'
    with sqlite3.connect(str(other)) as conn:
        conn.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)')
        conn.execute("INSERT INTO orders (item) VALUES ('tea')")
    before = other.read_bytes()
    ledger = tmp_path / 'ledger.sqlite'
    foreign, declared, unknown = run(fresh_calls, collections_path, tmp_path, on_subnet('vmf-foreign', other, 'app-net'),
                                     declare(ledger, subnet('known-net', 95)), on_subnet('vmf-foreign', ledger, 'bad-net'))
    assert foreign.status == 'failed' and foreign.mutating == {} and foreign.msg.startswith(
        'ledger %s is an SQLite database of another application (tables: orders)' % other), foreign.msg
    assert other.read_bytes() == before
    assert unknown.status == 'failed' and unknown.mutating == {}
    assert unknown.msg == 'network.interfaces[0].subnet: bad-net is not a subnet of ledger %s; declare it with guestnet.vsphere.subnet_sync' % ledger
    assert vm_props(service_instance, 'vmf-foreign')[0] is None


def test_a_read_only_ledger_fails_before_the_clone_and_before_the_delete(fresh_calls, service_instance, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    declared, kept = run(fresh_calls, collections_path, tmp_path, declare(ledger, subnet('ro-net', 96)), on_subnet('vmf-ro-kept', ledger, 'ro-net'))
    assert kept.status == 'ok', kept.msg
    ledger.chmod(0o444)
    before = ledger.read_bytes()
    deploy = dict(PLACEMENT, _module='guestnet.vsphere.vm_deploy', name='vmf-ro-deploy', ledger=str(ledger), subnets=['ro-net'])
    new, check, deployed, delete = run(fresh_calls, collections_path, tmp_path, on_subnet('vmf-ro', ledger, 'ro-net'),
                                       dict(on_subnet('vmf-ro', ledger, 'ro-net'), _check_mode=True), deploy,
                                       dict(name='vmf-ro-kept', datacenter='DC0', state='absent', ledger=str(ledger)), unprivileged=True)
    read_only = 'ledger %s is read-only' % ledger
    for outcome in (new, check, deployed):      # the vm module, its check mode, and vm_deploy placing by subnet: no clone
        assert outcome.status == 'failed' and read_only in outcome.msg and outcome.mutating == {}, outcome.msg
    assert delete.status == 'failed' and delete.mutating == {} and delete.msg.startswith(
        'VM /DC0/vm/vmf-ro-kept is not deleted: its addresses could not be released, because ' + read_only), delete.msg
    assert vm_props(service_instance, 'vmf-ro')[0] is None and vm_props(service_instance, 'vmf-ro-deploy')[0] is None
    assert vm_props(service_instance, 'vmf-ro-kept')[0] is not None and ledger.read_bytes() == before


def test_the_hold_back_of_released_addresses_is_set_per_subnet(fresh_calls, service_instance, collections_path, tmp_path):
    ledger = tmp_path / 'ledger.sqlite'
    outcomes = run(fresh_calls, collections_path, tmp_path,
                   declare(ledger, subnet('held-net', 97), subnet('quick-net', 98, hold_back=0)),
                   on_subnet('vmf-held-1', ledger, 'held-net'), on_subnet('vmf-quick-1', ledger, 'quick-net'),
                   dict(name='vmf-held-1', datacenter='DC0', state='absent', ledger=str(ledger)),
                   dict(name='vmf-quick-1', datacenter='DC0', state='absent', ledger=str(ledger)),
                   on_subnet('vmf-held-2', ledger, 'held-net'), on_subnet('vmf-quick-2', ledger, 'quick-net'))
    assert all(outcome.status == 'ok' for outcome in outcomes), [outcome.msg for outcome in outcomes]
    addresses = [outcome.result['allocations'][0]['address'] for outcome in outcomes if outcome.result.get('allocations')]
    # the default 30 s keep 10.97.0.10 from the next VM; hold_back: 0 hands 10.98.0.10 out again at once
    assert addresses == ['10.97.0.10/24', '10.98.0.10/24', '10.97.0.11/24', '10.98.0.10/24']
