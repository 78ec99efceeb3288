# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger's file under faults, with real files: other applications' databases, random bytes, corrupt and newer
ledgers, read-only files and directories, a locked ledger, the preflight, and the migration of a schema 1 ledger.

Root ignores file permissions, so the read-only cases run in a forked child as user nobody when the tests run as root
(and as they are otherwise): the OS, not a patched function, refuses the writes.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import contextlib
import json
import os
import pathlib
import random
import re
import shutil
import sqlite3
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _ledger
from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import ledger_plan
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (
    ALLOCATED, APPLICATION, APPLICATION_ID, LedgerError, SqliteLedger, inspect_ledger)
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import check_writable   # picks SQLite for a path
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import DISTRIBUTED, Network, NetworkCatalog
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

NOBODY = 65534
PG = 'dvportgroup-11'
NOW = 1_000_000.0

# The schema of ledger version 1 (guestnet.vsphere before issue 13), as that version created it.
V1_SCHEMA = (
    'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    """CREATE TABLE networks (moid TEXT PRIMARY KEY, name TEXT NOT NULL, switch TEXT, vlan INTEGER,
        hosts TEXT NOT NULL DEFAULT '[]', updated_at REAL NOT NULL)""",
    """CREATE TABLE subnets (name TEXT PRIMARY KEY, cidr TEXT NOT NULL, range_start TEXT NOT NULL, range_end TEXT NOT NULL,
        gateway TEXT, nameservers TEXT NOT NULL DEFAULT '[]', search_domains TEXT NOT NULL DEFAULT '[]', mtu INTEGER,
        direction TEXT NOT NULL CHECK (direction IN ('stepup', 'stepdown', 'random')), portgroup TEXT, updated_at REAL NOT NULL)""",
    """CREATE TABLE subnet_portgroups (subnet TEXT NOT NULL REFERENCES subnets (name) ON DELETE CASCADE, portgroup TEXT NOT NULL,
        added_by TEXT NOT NULL CHECK (added_by IN ('detected', 'marked')), PRIMARY KEY (subnet, portgroup))""",
    """CREATE TABLE addresses (id INTEGER PRIMARY KEY, subnet TEXT NOT NULL REFERENCES subnets (name) ON DELETE CASCADE,
        ip TEXT NOT NULL, family INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('allocated', 'observed', 'fixed', 'reserved', 'conflict')),
        vm_uuid TEXT, interface TEXT, mac TEXT, portgroup TEXT, last_ip TEXT, note TEXT, expires_at REAL,
        created_at REAL NOT NULL, updated_at REAL NOT NULL)""",
    "CREATE UNIQUE INDEX addresses_holder ON addresses (subnet, ip) WHERE kind IN ('allocated', 'fixed', 'observed')",
    "CREATE UNIQUE INDEX addresses_owner ON addresses (vm_uuid, interface, family) WHERE kind = 'allocated'",
    "CREATE UNIQUE INDEX addresses_conflict ON addresses (subnet, ip, vm_uuid, interface) WHERE kind = 'conflict'",
    'CREATE INDEX addresses_vm ON addresses (vm_uuid)',
    'CREATE INDEX addresses_kind ON addresses (kind, subnet)',
    """CREATE TABLE held_back (subnet TEXT NOT NULL REFERENCES subnets (name) ON DELETE CASCADE, ip TEXT NOT NULL,
        until REAL NOT NULL, PRIMARY KEY (subnet, ip))""",
)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# ----- helpers --------------------------------------------------------------------------------------------------------

def state(path: Any) -> Tuple[bytes, int, List[str]]:
    """A file's bytes and modification time, and the names in its directory (a journal, -wal or -shm would show)."""
    path = pathlib.Path(path)
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


def expect_refused(path: Any, message: str) -> None:
    """Opening the ledger and the preflight both fail with ``message`` (a regex; LEDGER stands for the path), and the
    file, its modification time and its directory stay as they were."""
    before = state(path)
    pattern = message.replace('LEDGER', re.escape(str(path)))
    with pytest.raises(LedgerError, match=pattern):
        SqliteLedger(str(path))
    with pytest.raises(LedgerError, match=pattern):
        check_writable(str(path))
    assert state(path) == before


@contextlib.contextmanager
def database(path: Any) -> Iterator[sqlite3.Connection]:
    """The file opened with plain sqlite3, committed and closed at the end (sqlite3's own context manager only commits)."""
    conn = sqlite3.connect(str(path))
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def other_application(path: Any) -> None:
    with database(path) as conn:
        conn.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)')
        conn.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER)')
        conn.execute("INSERT INTO users (name) VALUES ('alice')")


def new_ledger(path: Any, **settings: Any) -> None:
    with SqliteLedger(str(path), clock=Clock()) as ledger:
        ledger.upsert_subnet('app-net', '10.0.0.0/24', gateway='10.0.0.1', portgroup=PG, **settings)
        ledger.allocate('app-net', 'vm-1', 'eth0')


def v1_ledger(path: Any) -> None:
    """A ledger as version 1 left it: a subnet, an allocation, and an address released at NOW - 10 (held until NOW + 20)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    for statement in V1_SCHEMA:
        conn.execute(statement)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO subnets (name, cidr, range_start, range_end, gateway, direction, portgroup, updated_at) "
                 "VALUES ('app-net', '10.0.0.0/29', '10.0.0.1', '10.0.0.6', '10.0.0.1', 'stepdown', ?, ?)", (PG, NOW - 100))
    conn.execute("INSERT INTO addresses (subnet, ip, family, kind, vm_uuid, interface, portgroup, created_at, updated_at) "
                 "VALUES ('app-net', '10.0.0.6', 4, 'allocated', 'vm-1', 'eth0', ?, ?, ?)", (PG, NOW - 100, NOW - 100))
    conn.execute("INSERT INTO held_back (subnet, ip, until) VALUES ('app-net', '10.0.0.5', ?)", (NOW + 20,))
    conn.close()


@pytest.fixture(name='workdir')
def workdir_fixture(tmp_path: Any) -> Iterator[pathlib.Path]:
    """A directory user nobody can enter when this runs as root (pytest's own base directory is private to root)."""
    if os.geteuid() != 0:
        yield tmp_path
        return
    path = tempfile.mkdtemp(prefix='guestnet-ledger-')
    os.chmod(path, 0o755)
    try:
        yield pathlib.Path(path)
    finally:
        shutil.rmtree(path)


def unprivileged(function: Callable[..., Any], *args: Any) -> List[Any]:
    """``function(*args)`` where file permissions bind: as user nobody in a forked child when this runs as root, else
    here. Returns ['ok', value] or ['error', exception type, message] (JSON: the child's answer comes through a pipe)."""
    def call() -> List[Any]:
        try:
            return ['ok', function(*args)]
        except Exception as exc:  # pylint: disable=broad-except
            return ['error', type(exc).__name__, str(exc)]

    if os.geteuid() != 0:
        return call()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: drop root, answer, leave without running pytest's exit handlers
        try:
            os.close(reader)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            answer = call()
        except BaseException as exc:  # pylint: disable=broad-except
            answer = ['error', type(exc).__name__, str(exc)]
        os.write(writer, json.dumps(answer).encode())
        os._exit(0)  # pylint: disable=protected-access
    os.close(writer)
    chunks = []
    chunk = os.read(reader, 65536)
    while chunk:
        chunks.append(chunk)
        chunk = os.read(reader, 65536)
    os.close(reader)
    os.waitpid(pid, 0)
    return json.loads(b''.join(chunks).decode())


def read_then_allocate(path: str) -> Dict[str, Any]:
    """Open the ledger, read it, then try to allocate: what a module does."""
    with SqliteLedger(path) as ledger:
        subnets = [subnet.name for subnet in ledger.list_subnets()]
        try:
            ledger.allocate('app-net', 'vm-2', 'eth0')
            error = None
        except LedgerError as exc:
            error = str(exc)
    return {'subnets': subnets, 'error': error}


def preflight(path: str) -> None:
    check_writable(path)


def open_ledger(path: str) -> None:
    SqliteLedger(path).close()


# ----- 1. only a guestnet ledger is ever written ---------------------------------------------------------------------

def test_another_applications_database_is_refused_and_left_alone(tmp_path: Any) -> None:
    path = tmp_path / 'app.db'
    other_application(path)
    expect_refused(path, r'^ledger LEDGER is an SQLite database of another application \(tables: orders, users\); '
                         r'point ledger to a guestnet ledger or a new file$')
    with database(path) as conn:
        assert [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")] == ['orders', 'users']


def test_a_look_alike_meta_table_is_not_a_ledger(tmp_path: Any) -> None:
    """A meta table with a schema_version (a common design) is not enough: version 1 is known by all its tables."""
    path = tmp_path / 'app.db'
    with database(path) as conn:
        conn.execute('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        conn.execute('CREATE TABLE subnets (name TEXT)')
        for number in range(12):
            conn.execute('CREATE TABLE t%02d (x)' % number)
    expect_refused(path, r'^ledger LEDGER is an SQLite database of another application \(tables: meta, subnets, t00, t01, .*, t07, '
                         r'\.\.\. \(14 in all\)\); point ledger')


def test_a_wal_database_of_another_application_gets_no_wal_or_shm_files(tmp_path: Any) -> None:
    path = tmp_path / 'app.db'
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute('PRAGMA journal_mode = WAL')
    conn.execute('CREATE TABLE sessions (id INTEGER)')
    conn.close()
    assert sorted(os.listdir(tmp_path)) == ['app.db']
    expect_refused(path, r'^ledger LEDGER is an SQLite database of another application \(tables: sessions\)')


def test_random_bytes_are_refused_and_left_alone(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    path.write_bytes(random.Random(13).getrandbits(8 * 4096).to_bytes(4096, 'big'))
    expect_refused(path, r'^ledger LEDGER is not an SQLite database \(4096 bytes without the SQLite header\); '
                         r'point ledger to a guestnet ledger or a new file$')


def test_a_corrupt_database_is_refused_and_left_alone(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    path.write_bytes(_ledger.SQLITE_HEADER + bytes(range(256)) * 16)
    expect_refused(path, r'^ledger LEDGER is a corrupt SQLite database \(file is not a database\); restore it from a backup, '
                         r'or point ledger to a new file$')


def test_corruption_found_later_is_a_clear_ledger_error(tmp_path: Any) -> None:
    """A ledger whose schema reads fine but whose addresses table is damaged: the read fails naming the file."""
    path = tmp_path / 'ledger.sqlite'
    with SqliteLedger(str(path)) as ledger:
        ledger.upsert_subnet('wide', '10.8.0.0/16', portgroup=PG)
        for number in range(300):
            ledger.allocate('wide', 'vm-%03d' % number, 'eth0')
    with database(path) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'addresses'").fetchone()[0]
        page_size = conn.execute('PRAGMA page_size').fetchone()[0]
    with open(str(path), 'r+b') as handle:   # the table's root page becomes garbage
        handle.seek((root - 1) * page_size)
        handle.write(b'\xff' * page_size)
    with SqliteLedger(str(path)) as ledger:
        with pytest.raises(LedgerError, match=r'^ledger %s is a corrupt SQLite database \(.*malformed.*\); restore it from a backup'
                                              % re.escape(str(path))):
            ledger.addresses()


def test_a_newer_ledger_is_refused_and_left_alone(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    new_ledger(path)
    with database(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    expect_refused(path, r'^ledger LEDGER has schema version 99, newer than this collection knows \(2\): a newer guestnet.vsphere wrote '
                         r'it; upgrade the collection, or point ledger to another file$')


def test_a_ledger_without_a_valid_version_is_refused(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    new_ledger(path)
    with database(path) as conn:
        conn.execute("UPDATE meta SET value = 'two' WHERE key = 'schema_version'")
    expect_refused(path, r"^ledger LEDGER is a guestnet ledger without a valid schema version \(meta schema_version: 'two'\)")


def test_a_directory_is_refused(tmp_path: Any) -> None:
    with pytest.raises(LedgerError, match=r'^ledger %s is a directory; point ledger to a file, e\.g\. %s$'
                                          % (re.escape(str(tmp_path)), re.escape(str(tmp_path / 'ledger.sqlite')))):
        SqliteLedger(str(tmp_path))
    with pytest.raises(LedgerError, match='is a directory'):
        check_writable(str(tmp_path))


def test_empty_missing_and_schemaless_files_become_ledgers(tmp_path: Any) -> None:
    empty = tmp_path / 'empty.sqlite'
    empty.write_bytes(b'')
    schemaless = tmp_path / 'schemaless.sqlite'
    sqlite3.connect(str(schemaless)).execute('VACUUM')   # an SQLite header and nothing in it
    missing = tmp_path / 'new' / 'dir' / 'ledger.sqlite'
    for path in (empty, schemaless, missing):
        check_writable(str(path))
        assert inspect_ledger(str(path)) is None
        with SqliteLedger(str(path)) as ledger:
            assert ledger.schema_version() == _ledger.SCHEMA_VERSION
        assert inspect_ledger(str(path)) == _ledger.SCHEMA_VERSION
        with database(path) as conn:
            assert conn.execute('PRAGMA application_id').fetchone()[0] == APPLICATION_ID
            assert dict(conn.execute('SELECT key, value FROM meta'))['application'] == APPLICATION


def test_an_existing_ledger_opens_without_a_write(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    new_ledger(path)
    before = state(path)
    with SqliteLedger(str(path)) as ledger:
        assert [item.ip for item in ledger.addresses() if item.kind == ALLOCATED] == ['10.0.0.254']
    assert state(path) == before


def test_modules_refuse_another_applications_database(tmp_path: Any) -> None:
    """vm_network's and vm_bootstrap's path (ledger_plan) adds no table to a foreign database."""
    path = tmp_path / 'app.db'
    other_application(path)
    before = state(path)
    catalog = NetworkCatalog([Network(moid=PG, name='pg', kind=DISTRIBUTED, switch='DVS0', portgroup_key=PG)], datacenter='DC0')
    spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'subnet': 'app-net'}]})
    with pytest.raises(LedgerError, match='is an SQLite database of another application'):
        ledger_plan(str(path), spec, vm_uuid='vm-1', catalog=catalog, dry_run=False)
    assert state(path) == before


# ----- 3. read-only, locked: plain messages, the busy note only when busy ----------------------------------------------

def test_read_only_file(workdir: pathlib.Path) -> None:
    path = workdir / 'ledger.sqlite'
    new_ledger(path)
    os.chmod(str(path), 0o444)
    before = state(path)
    try:
        answer = unprivileged(read_then_allocate, str(path))
        assert answer[0] == 'ok' and answer[1]['subnets'] == ['app-net']     # reads work
        message = answer[1]['error']
        assert message == ('ledger %s is read-only (attempt to write a readonly database); make the file writable for this user, '
                           'or point ledger to a writable file' % path)
        assert 'busy timeout' not in message
        assert unprivileged(preflight, str(path)) == [
            'error', 'LedgerError', 'ledger %s is read-only; make the file writable for this user, or point ledger to a writable file' % path]
        assert state(path) == before
    finally:
        os.chmod(str(path), 0o644)


def test_read_only_directory(workdir: pathlib.Path) -> None:
    folder = workdir / 'ro'
    folder.mkdir()
    path = folder / 'ledger.sqlite'
    new_ledger(path)
    os.chmod(str(path), 0o666)    # the file may be written, but SQLite cannot create its journal beside it
    os.chmod(str(folder), 0o555)
    before = state(path)
    advice = 'make its directory %s writable for this user (SQLite writes its journal there), or point ledger to a writable file' % folder
    try:
        answer = unprivileged(read_then_allocate, str(path))
        assert answer[1]['error'] == 'ledger %s is read-only (attempt to write a readonly database); %s' % (path, advice)
        assert unprivileged(preflight, str(path)) == ['error', 'LedgerError', 'ledger %s is read-only; %s' % (path, advice)]
        missing = str(folder / 'new.sqlite')
        expected = 'ledger %s does not exist and cannot be created: directory %s is not writable for this user' % (missing, folder)
        assert unprivileged(preflight, missing) == ['error', 'LedgerError', expected]
        assert unprivileged(open_ledger, missing) == ['error', 'LedgerError', expected]
        assert state(path) == before and sorted(os.listdir(str(folder))) == ['ledger.sqlite']
    finally:
        os.chmod(str(folder), 0o755)


def test_read_only_ledger_of_an_old_schema_is_not_migrated(workdir: pathlib.Path) -> None:
    path = workdir / 'ledger.sqlite'
    v1_ledger(path)
    os.chmod(str(path), 0o444)
    before = state(path)
    try:
        assert unprivileged(open_ledger, str(path)) == [
            'error', 'LedgerError', 'ledger %s has schema version 1 and needs the upgrade to 2, but it is read-only; make the file writable '
                                    'for this user, or point ledger to a writable file' % path]
        assert state(path) == before
    finally:
        os.chmod(str(path), 0o644)


def test_locked_ledger(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    new_ledger(path)
    blocker = sqlite3.connect(str(path), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    busy = (r'^ledger %s: database is locked \(busy timeout 0\.2 s\): another process held its write lock that long; try again$'
            % re.escape(str(path)))
    try:
        with SqliteLedger(str(path), timeout=0.2) as waiting:
            assert [subnet.name for subnet in waiting.list_subnets()] == ['app-net']   # readers are not blocked
            with pytest.raises(LedgerError, match=busy):
                waiting.allocate('app-net', 'vm-2', 'eth0')
        with pytest.raises(LedgerError, match=busy):
            check_writable(str(path), timeout=0.2)
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    check_writable(str(path), timeout=0.2)


# ----- 6. the preflight changes nothing ---------------------------------------------------------------------------------

@pytest.mark.parametrize('make', [new_ledger, v1_ledger, lambda path: path.write_bytes(b''),
                                  lambda path: sqlite3.connect(str(path)).execute('VACUUM')],
                         ids=['ledger', 'schema-1-ledger', 'empty-file', 'schemaless-sqlite'])
def test_preflight_probes_without_changing_the_file(tmp_path: Any, make: Callable[[Any], Any]) -> None:
    path = tmp_path / 'ledger.sqlite'
    make(path)
    before = state(path)
    check_writable(str(path))
    assert state(path) == before   # bytes, modification time, and no journal left beside it


def test_preflight_creates_nothing_for_a_missing_ledger(tmp_path: Any) -> None:
    check_writable(str(tmp_path / 'a' / 'b' / 'ledger.sqlite'))
    assert os.listdir(str(tmp_path)) == []
    (tmp_path / 'file').write_text('')
    with pytest.raises(LedgerError, match=r'^ledger .*/file/ledger\.sqlite does not exist and cannot be created: .*/file is not a directory$'):
        check_writable(str(tmp_path / 'file' / 'ledger.sqlite'))


def test_preflight_probe_reaches_sqlite(tmp_path: Any) -> None:
    """The probe is a real write: a ledger whose meta table cannot be written fails it, naming the file."""
    path = tmp_path / 'ledger.sqlite'
    new_ledger(path)
    with database(path) as conn:
        conn.execute("CREATE TRIGGER no_writes BEFORE UPDATE ON meta BEGIN SELECT RAISE(ABORT, 'meta is frozen'); END")
    before = state(path)
    with pytest.raises(LedgerError, match=r'^ledger %s: meta is frozen$' % re.escape(str(path))):
        check_writable(str(path))
    assert state(path) == before


# ----- 4. the migration of a schema 1 ledger ----------------------------------------------------------------------------

def test_schema_1_ledger_is_migrated_and_keeps_working(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    v1_ledger(path)
    assert inspect_ledger(str(path)) == 1
    clock = Clock()
    with SqliteLedger(str(path), clock=clock) as ledger:
        assert ledger.schema_version() == 2
        subnet = ledger.get_subnet('app-net')
        assert (subnet.hold_back, subnet.portgroup, subnet.range_end) == (30, PG, '10.0.0.6')
        again = ledger.allocate('app-net', 'vm-1', 'eth0')
        assert (again.ip, again.changed) == ('10.0.0.6', False)                 # the owner keeps its address
        assert ledger.usage('app-net')[0].held_back == 1                       # .5: released at NOW - 10, held 30 s
        assert ledger.allocate('app-net', 'vm-2', 'eth0').ip == '10.0.0.4'
        clock.now += 20.5
        assert ledger.usage('app-net')[0].held_back == 0
        assert ledger.allocate('app-net', 'vm-3', 'eth0').ip == '10.0.0.5'
        assert not ledger.upsert_subnet('app-net', '10.0.0.0/29', gateway='10.0.0.1', portgroup=PG, range_end='10.0.0.6')  # same as before
    with database(path) as conn:
        assert conn.execute('PRAGMA application_id').fetchone()[0] == APPLICATION_ID
        assert dict(conn.execute('SELECT key, value FROM meta')) == {'schema_version': '2', 'application': APPLICATION}
        assert [row[1] for row in conn.execute('PRAGMA table_info(held_back)')] == ['subnet', 'ip', 'released_at']
        assert conn.execute('PRAGMA foreign_key_check').fetchall() == []
        assert conn.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
    before = state(path)
    SqliteLedger(str(path)).close()
    assert state(path) == before   # migrated once: opening again writes nothing


def test_a_failed_migration_leaves_the_schema_1_ledger_as_it_was(tmp_path: Any, monkeypatch: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    v1_ledger(path)
    before = state(path)[0]
    monkeypatch.setattr(_ledger, '_MIGRATIONS', {1: _ledger._MIGRATIONS[1][:2] + ('SELECT no_such_function()',)})  # pylint: disable=protected-access
    with pytest.raises(LedgerError, match=r'^ledger .*ledger\.sqlite: no such function: no_such_function$'):
        SqliteLedger(str(path))
    assert state(path)[0] == before and inspect_ledger(str(path)) == 1


# ----- 2. every ledger error names the file ---------------------------------------------------------------------------

def test_errors_raised_inside_a_ledger_name_it(tmp_path: Any) -> None:
    path = str(tmp_path / 'ledger.sqlite')
    with SqliteLedger(path) as ledger:
        with pytest.raises(LedgerError, match=r"^observed address of VM vm-1: \{'address': '10\.0\.0\.3'\} is not a mapping .* \(ledger %s\)$"
                                              % re.escape(path)):
            ledger.replace_observed('vm-1', [{'address': '10.0.0.3'}])
        with pytest.raises(LedgerError, match=r"^vm_uuid: '' must be a non-empty string \(ledger %s\)$" % re.escape(path)):
            ledger.allocate('app-net', '', 'eth0')
    with SqliteLedger(':memory:', name=path) as trial:   # a trial for a new file speaks of the file
        with pytest.raises(LedgerError, match=r'^subnet nope is not declared in ledger %s$' % re.escape(path)):
            trial.get_subnet('nope')
