# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SQLite ledger under parallel processes, as Ansible forks run modules: each a fresh interpreter (spawn).

More owners than free addresses race for one subnet. Every address must go to one owner only, exactly the
free addresses must be granted, and every other request must get the clean exhaustion error, never
"database is locked".
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import multiprocessing
import sqlite3
import time
from typing import Any, Dict, List, Tuple

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import LedgerError, SqliteLedger, SubnetExhaustedError

PROCESSES = 20
SUBNET = 'race'
Outcome = Tuple[str, str, str]   # (granted | exhausted | error, owner vm_uuid, address or message)


def declare(ledger: SqliteLedger, cidr: str) -> None:
    """The subnet under test; its gateway is the first host."""
    ledger.upsert_subnet(SUBNET, cidr, gateway='10.0.0.1', portgroup='dvportgroup-11')


def race_worker(path: str, index: int, owners: int, declare_cidr: Any, barrier: Any, results: Any) -> None:
    """Open the ledger (declaring the subnet too when asked), wait for all, then allocate for ``owners`` VMs."""
    outcomes: List[Outcome] = []
    try:
        ledger = SqliteLedger(path)
        if declare_cidr:
            declare(ledger, declare_cidr)
        barrier.wait()
        started = time.monotonic()   # CLOCK_MONOTONIC: comparable between processes
        for number in range(owners):
            vm_uuid = 'vm-%02d-%d' % (index, number)
            try:
                outcomes.append(('granted', vm_uuid, ledger.allocate(SUBNET, vm_uuid, 'eth0').ip))
            except SubnetExhaustedError as exc:
                outcomes.append(('exhausted', vm_uuid, str(exc)))
        ledger.close()
        results.put((index, started, time.monotonic(), outcomes))
    except Exception as exc:  # pylint: disable=broad-except
        results.put((index, 0.0, 0.0, outcomes + [('error', 'worker-%d' % index, '%s: %s' % (type(exc).__name__, exc))]))


def run_race(path: str, owners: int, declare_cidr: Any = None) -> Dict[str, Any]:
    context = multiprocessing.get_context('spawn')
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    began = time.monotonic()
    workers = [context.Process(target=race_worker, args=(path, index, owners, declare_cidr, barrier, results)) for index in range(PROCESSES)]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=300) for worker in workers]
    for worker in workers:
        worker.join(timeout=60)
    outcomes = [outcome for report in reports for outcome in report[3]]
    return {
        'outcomes': outcomes,
        'race_seconds': max(report[2] for report in reports) - min(report[1] for report in reports),
        'total_seconds': time.monotonic() - began,
        'exit_codes': [worker.exitcode for worker in workers],
    }


def check_race(path: str, race: Dict[str, Any], demand: int, free: int) -> None:
    outcomes = race['outcomes']
    errors = [outcome for outcome in outcomes if outcome[0] == 'error']
    granted = [outcome for outcome in outcomes if outcome[0] == 'granted']
    exhausted = [outcome for outcome in outcomes if outcome[0] == 'exhausted']
    print('\n%d processes, demand %d, free %d: granted %d, exhausted %d, errors %d; race %.2f s, total with interpreter start %.2f s'
          % (PROCESSES, demand, free, len(granted), len(exhausted), len(errors), race['race_seconds'], race['total_seconds']))
    assert errors == [] and race['exit_codes'] == [0] * PROCESSES
    assert len(outcomes) == demand
    assert len(granted) == free
    assert len({ip for kind, owner, ip in granted}) == free, 'an address was handed out twice'
    assert len({owner for kind, owner, ip in granted}) == free
    assert all(message.startswith('subnet race of ledger %s is exhausted: ' % path) for kind, owner, message in exhausted)
    assert not any('locked' in message for kind, owner, message in outcomes)
    with SqliteLedger(path) as ledger:
        recorded = {(item.vm_uuid, item.ip) for item in ledger.addresses(subnet=SUBNET)}
        assert recorded == {(owner, ip) for kind, owner, ip in granted}
        assert all(ledger.allocate(SUBNET, owner, 'eth0').ip == ip for kind, owner, ip in granted)   # asking again: same address
        usage = ledger.usage(SUBNET)[0]
        assert (usage.allocated, usage.free) == (free, 0)


def test_parallel_processes_share_a_slash_27(tmp_path: Any) -> None:
    """/27: hosts .1-.30, gateway .1 -> 29 free; 20 processes x 3 owners = 60 requests."""
    path = str(tmp_path / 'ledger.sqlite')
    with SqliteLedger(path) as ledger:
        declare(ledger, '10.0.0.0/27')
    check_race(path, run_race(path, owners=3), demand=60, free=29)


def test_parallel_processes_create_a_new_ledger(tmp_path: Any) -> None:
    """Every process creates the schema and declares the subnet on a fresh file: /28 -> 13 free, 40 requests."""
    path = str(tmp_path / 'new' / 'ledger.sqlite')
    check_race(path, run_race(path, owners=2, declare_cidr='10.0.0.0/28'), demand=40, free=13)


def test_a_lock_held_too_long_is_a_clear_ledger_error(tmp_path: Any) -> None:
    """Past the busy timeout a writer gets a LedgerError naming the ledger; readers are not blocked meanwhile."""
    path = str(tmp_path / 'ledger.sqlite')
    with SqliteLedger(path) as ledger:
        declare(ledger, '10.0.0.0/27')
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    try:
        with SqliteLedger(path, timeout=0.2) as waiting:
            with pytest.raises(LedgerError, match=r'^ledger .*ledger\.sqlite: database is locked \(busy timeout 0\.2 s\): another process held '
                                                  r'its write lock that long; try again$'):
                waiting.allocate(SUBNET, 'vm-1', 'eth0')
            assert waiting.usage(SUBNET)[0].free == 29
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    with SqliteLedger(path) as ledger:
        assert ledger.allocate(SUBNET, 'vm-1', 'eth0').changed
