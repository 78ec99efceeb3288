# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Subnet ledger: IP subnets on vSphere port groups, and who holds which address. PRIVATE to the collection.

vCenter knows port groups (L2 networks) but no IP subnets, so, as Cloudpods does for VMware, we keep the
subnets and their addresses ourselves.

The interface: ``LedgerBackend`` declares everything a caller (``_ipam``, ``_subnet_sync``, the steps) does with a
ledger, and the contract each backend keeps (errors, atomicity, idempotency per owner, dry_run, ``batch``). Callers
hold a location (the modules' ``ledger`` option) and go through ``_ledger_backends``: ``open_ledger(location)`` picks
the backend that takes it and opens it; ``check_writable``, ``ledger_exists``, ``scratch_ledger`` and
``ledger_warning`` ask the same backend's class side. They never name a backend class. Backends:

- ``SqliteLedger`` (here), the embedded default: one SQLite file on the control node; its locations are file paths.
- ``NetboxLedger`` (``_ledger_netbox``): NetBox's prefixes as subnets, its atomic available-ips allocation; its
  locations are NetBox's URL.
- A new one is one module with a ``LedgerBackend`` subclass plus its entry in ``_ledger_backends.BACKENDS``.

Here too, for every backend: the records (``Subnet``, ``Address``, ``Allocation``, ...), the errors (``LedgerError``
and its subclasses), and the validation of a subnet declaration (``_declare_subnet``), so all backends refuse alike.

The rest of this page is about SQLite.

SAFETY: the SQLite file must be on a local disk of the one machine that runs the modules.  SQLite's file
locks are unreliable on network file systems (NFS, SMB, sshfs, ...), and a copy per machine (AWX execution
nodes, job slices) is a different ledger, so two machines would hand out the same address.  The module
reports ``path_looks_shared()`` (``SqliteLedger.location_warning``); shared use needs a server-side backend (NetBox)
behind ``LedgerBackend``.

Concurrency: every write is one ``BEGIN IMMEDIATE`` transaction, which takes the write lock before anything
is read, so read -> pick -> insert never interleaves between Ansible forks; the busy timeout makes waiting
writers queue instead of failing with "database is locked".  Unique indexes (one holder per address, one
allocation per owner and IP family) back this up.  We keep SQLite's default rollback journal, not WAL: the
ledger stays one self-contained file at rest (no -wal/-shm files to lose when it is copied or backed up),
there is no journal-mode switch for processes opening a new ledger at once to race on, and WAL's gain,
readers not blocking the writer, is small when every transaction lasts milliseconds.

Only a guestnet ledger is ever written: a missing file, an empty file or an SQLite database without any schema
becomes one; an existing file is first read through a read-only connection, and a file that is not SQLite, an SQLite
database of another application, a corrupt one or one of a newer schema is refused with the file left as it was.
A ledger carries ``PRAGMA application_id`` ``APPLICATION_ID`` and the meta row ``application``; ledgers of schema
version 1 (before the marker) are recognised by their tables. ``check_sqlite_writable`` is the preflight modules run
(through ``_ledger_backends.check_writable``) before they change anything on vCenter. Every LedgerError a ledger raises
names its file.

Nothing here imports Ansible or pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import abc
import bisect
import datetime
import ipaddress
import json
import os
import random
import re
import sqlite3
import stat
import time
import urllib.parse
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, ContextManager, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SubnetDefaults

SCHEMA_VERSION = 2                 # 2: subnets.hold_back, held_back.released_at, the application marker
APPLICATION_ID = 0x676E6574        # 'gnet': PRAGMA application_id of a guestnet ledger (SQLite header, offset 68)
APPLICATION = 'guestnet.vsphere subnet ledger'   # the meta row 'application'
DEFAULT_HOLD_BACK_SECONDS = 30     # Cloudpods' minimal_ip_addr_reused_interval_seconds; a subnet's hold_back by default
MAX_HOLD_BACK_SECONDS = 365 * 24 * 3600
DEFAULT_TIMEOUT_SECONDS = 30.0     # how long a writer waits for the lock before giving up
RANDOM_TRIES = 8                   # random picks before falling back to a scan (Cloudpods: 5)

STEPUP, STEPDOWN, RANDOM = 'stepup', 'stepdown', 'random'
DIRECTIONS = (STEPUP, STEPDOWN, RANDOM)
ALLOCATED, OBSERVED, FIXED, RESERVED, CONFLICT = 'allocated', 'observed', 'fixed', 'reserved', 'conflict'
KINDS = (ALLOCATED, OBSERVED, FIXED, RESERVED, CONFLICT)
HOLDER_KINDS = (ALLOCATED, FIXED, OBSERVED)   # at most one per address; also the order an owner's rows are reused in
DETECTED, MARKED = 'detected', 'marked'

# File systems whose locking SQLite cannot trust, or that other machines can write to.
SHARED_FS_TYPES = frozenset((
    '9p', 'afs', 'ceph', 'cifs', 'davfs', 'gfs2', 'glusterfs', 'gpfs', 'lustre', 'ncpfs', 'nfs', 'nfs4', 'ocfs2',
    'prl_fs', 'smb3', 'smbfs', 'vboxsf', 'vmhgfs', 'fuse.ceph-fuse', 'fuse.gcsfuse', 'fuse.glusterfs',
    'fuse.juicefs', 'fuse.rclone', 'fuse.s3fs', 'fuse.sshfs', 'fuse.vmhgfs-fuse',
))

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


SQLITE_HEADER = b'SQLite format 3\x00'
MEMORY = ':memory:'                # SQLite's in-memory database: a ledger that starts empty at every open
_URL = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')   # a location that is a URL, not a file path
_V1_TABLES = frozenset(('meta', 'networks', 'subnets', 'subnet_portgroups', 'addresses', 'held_back'))


class LedgerError(ValueError):
    """Bad input, an impossible request or an unusable ledger file. The message names the ledger file, and the subnet,
    the field and the value where there are ones."""


class UnknownSubnetError(LedgerError):
    """The subnet is not declared in the ledger."""

    def __init__(self, subnet: str, ledger: str) -> None:
        self.subnet = subnet
        super().__init__('subnet %s is not declared in ledger %s' % (subnet, ledger))


class SubnetExhaustedError(LedgerError):
    """No address of the subnet's range is free."""

    def __init__(self, subnet: str, detail: str, ledger: Optional[str] = None) -> None:
        self.subnet = subnet
        super().__init__('subnet %s%s is exhausted: %s' % (subnet, '' if ledger is None else ' of ledger %s' % ledger, detail))


@dataclass(frozen=True)
class L2Network:
    """A port group (standard or distributed) and the hosts that reach it."""
    moid: str
    name: str
    switch: Optional[str] = None
    vlan: Optional[int] = None
    hosts: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Reservation:
    start: str
    end: str
    expires_at: Optional[float] = None         # epoch seconds; None: never expires
    note: str = ''


@dataclass(frozen=True)
class AdditionalPortgroup:
    portgroup: str
    added_by: str                              # DETECTED (guest IPs seen there) or MARKED (by the user)


@dataclass(frozen=True)
class Subnet:
    name: str
    cidr: str
    range_start: str
    range_end: str
    direction: str
    gateway: Optional[str] = None
    reserved: Tuple[Reservation, ...] = ()
    nameservers: Tuple[str, ...] = ()
    search_domains: Tuple[str, ...] = ()
    mtu: Optional[int] = None
    portgroup: Optional[str] = None            # primary port group key (the module's choice, e.g. the moid)
    additional: Tuple[AdditionalPortgroup, ...] = ()
    hold_back: int = DEFAULT_HOLD_BACK_SECONDS  # seconds a released address is not handed out again

    @property
    def network(self) -> IPNetwork:
        return ipaddress.ip_network(self.cidr)

    @property
    def bounds(self) -> Tuple[int, int]:
        return int(ipaddress.ip_address(self.range_start)), int(ipaddress.ip_address(self.range_end))

    def in_range(self, ip: IPAddress) -> bool:
        first, last = self.bounds
        return ip.version == self.network.version and first <= int(ip) <= last

    def reachable_from(self, portgroup: str) -> bool:
        return portgroup == self.portgroup or any(extra.portgroup == portgroup for extra in self.additional)


@dataclass(frozen=True)
class Address:
    """One row of the ledger: a holder of an address, a conflicting claim, or a reserved range."""
    subnet: str
    ip: str
    kind: str
    vm_uuid: Optional[str] = None
    interface: Optional[str] = None
    mac: Optional[str] = None
    portgroup: Optional[str] = None
    last_ip: Optional[str] = None              # RESERVED rows: end of the range
    note: Optional[str] = None                 # RESERVED rows: the note; holders and conflicts: the VM's name, when given
    expires_at: Optional[float] = None         # RESERVED rows
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def owner(self) -> Optional[str]:
        return None if self.vm_uuid is None else '%s/%s' % (self.vm_uuid, self.interface)


@dataclass(frozen=True)
class ObservedAddress:
    """An address the guest reports (VMware Tools ``guest.net``) on one of its NICs."""
    ip: str
    interface: str
    mac: Optional[str] = None
    portgroup: Optional[str] = None            # where the NIC is; limits which subnets match
    subnet: Optional[str] = None               # skip matching and use this subnet


@dataclass(frozen=True)
class ObservationResult:
    recorded: Tuple[Address, ...]              # held by this VM (observed, or already allocated/fixed)
    conflicts: Tuple[Address, ...]             # held by another VM: recorded as conflicts
    removed: Tuple[Address, ...]               # this VM's earlier observations it no longer reports
    unmatched: Tuple[str, ...]                 # IPs in no (reachable) subnet range
    changed: bool


@dataclass(frozen=True)
class AddressRequest:
    """One interface's address to allocate, for ``allocate_all``: the arguments ``allocate`` takes besides the owner."""
    subnet: str
    interface: str
    portgroup: Optional[str] = None
    ip: Optional[str] = None


@dataclass(frozen=True)
class Allocation:
    subnet: str
    ip: str
    prefix_length: int
    vm_uuid: str
    interface: str
    kind: str                                  # ALLOCATED, or FIXED when the owner's fixed address is reused
    changed: bool
    dry_run: bool = False
    replaced: Optional[Address] = None         # the owner's previous allocation of this IP family, released

    @property
    def address(self) -> str:
        return '%s/%d' % (self.ip, self.prefix_length)


@dataclass(frozen=True)
class Usage:
    subnet: str
    cidr: str
    size: int                                  # addresses in range_start..range_end
    used: int                                  # not allocatable: held, reserved, held back or the gateway
    free: int
    allocated: int
    observed: int
    fixed: int
    reserved: int                              # addresses in active reservations
    held_back: int
    conflicts: int


def default_ledger_path() -> str:
    """~/.ansible/guestnet/ledger.sqlite, or under $ANSIBLE_HOME when set."""
    home = os.environ.get('ANSIBLE_HOME') or os.path.join(os.path.expanduser('~'), '.ansible')
    return os.path.join(home, 'guestnet', 'ledger.sqlite')


def path_looks_shared(path: str, mounts_file: str = '/proc/mounts') -> Optional[str]:
    """Why ``path`` looks like it is on a network or shared file system, or None (also when unknown)."""
    target = os.path.realpath(os.path.abspath(path))
    try:
        with open(mounts_file, encoding='utf-8') as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    best: Optional[Tuple[str, str, str]] = None
    for line in lines:
        columns = line.split()
        if len(columns) < 3:
            continue
        # /proc/mounts writes spaces and other specials as octal escapes (\040)
        mount_point = re.sub(r'\\([0-7]{3})', lambda match: chr(int(match.group(1), 8)), columns[1])
        inside = mount_point == '/' or target == mount_point or target.startswith(mount_point.rstrip('/') + '/')
        if inside and (best is None or len(mount_point) >= len(best[0])):   # >=: a later mount hides an earlier one
            best = (mount_point, columns[2], columns[0])
    if best is None or best[1] not in SHARED_FS_TYPES:
        return None
    return ('%s is on a %s file system (%s mounted on %s): SQLite locking is not reliable there, and a ledger '
            'shared between machines can hand out the same address twice; keep it on a local disk' % (path, best[1], best[2], best[0]))


def _uri(path: str, **params: Any) -> str:
    """An SQLite URI for ``path`` with query parameters (mode=ro, immutable=1)."""
    return 'file:%s?%s' % (urllib.parse.quote(os.path.abspath(path)), urllib.parse.urlencode(params))


def _write_problem(path: str) -> Optional[str]:
    """Why this process may not write the ledger file at ``path`` (or create it), by the OS's permission check, as
    the advice that ends a read-only message; None when it may. ``os.access`` also reports a read-only file system."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            return 'make the file writable for this user, or point ledger to a writable file'
        if not os.access(directory, os.W_OK | os.X_OK):
            return 'make its directory %s writable for this user (SQLite writes its journal there), or point ledger to a writable file' % directory
        return None
    existing = directory
    while not os.path.exists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return '%s is not a directory' % existing
    if not os.access(existing, os.W_OK | os.X_OK):
        return 'directory %s is not writable for this user' % existing
    return None


_BUSY = ('database is locked', 'database table is locked', 'database is busy')
_CORRUPT = ('malformed', 'not a database', 'database corrupt')


def _describe_error(name: str, exc: BaseException, timeout: float, advice: Optional[str] = None) -> str:
    """A LedgerError message for an SQLite error: the busy timeout only on busy errors; read-only and corrupt files said
    plainly. ``advice``: what to do about a read-only ledger (``_write_problem``)."""
    text = str(exc)
    lowered = text.lower()
    if any(marker in lowered for marker in _BUSY):
        return 'ledger %s: %s (busy timeout %g s): another process held its write lock that long; try again' % (name, text, timeout)
    if 'readonly' in lowered or 'read-only' in lowered:
        return 'ledger %s is read-only (%s); %s' % (
            name, text, advice or 'make the file and its directory writable for this user (SQLite writes its journal next to the file), '
                                  'or point ledger to a writable file')
    if any(marker in lowered for marker in _CORRUPT):
        return 'ledger %s is a corrupt SQLite database (%s); restore it from a backup, or point ledger to a new file' % (name, text)
    if 'disk is full' in lowered:
        return 'ledger %s: %s; free space on its file system' % (name, text)
    return 'ledger %s: %s' % (name, text)


def _schema_objects(conn: sqlite3.Connection) -> Tuple[List[str], int, Dict[str, str]]:
    """(user table names, PRAGMA application_id, the meta table as a dict) of an open database; meta is empty when
    there is no meta table of our shape."""
    tables = sorted(row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"))
    objects = conn.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!'").fetchone()[0]
    application_id = int(conn.execute('PRAGMA application_id').fetchone()[0])
    meta: Dict[str, str] = {}
    if 'meta' in tables:
        try:
            meta = {str(row[0]): str(row[1]) for row in conn.execute('SELECT key, value FROM meta')}
        except sqlite3.OperationalError:   # a meta table of another shape: not ours
            meta = {}
    if objects and not tables:
        tables = ['(no tables: %d other schema objects)' % objects]
    return tables, application_id, meta


def _classify(name: str, tables: Sequence[str], application_id: int, meta: Mapping[str, str]) -> Optional[int]:
    """The schema version of a guestnet ledger; None for a database with nothing in it (it becomes one).

    LedgerError for another application's database, a ledger without a valid version, or a newer schema.
    """
    if not tables:
        return None
    ours = application_id == APPLICATION_ID or meta.get('application') == APPLICATION or (
        meta.get('schema_version') == '1' and _V1_TABLES <= set(tables))   # schema 1 had no marker
    if not ours:
        listed = ', '.join(tables[:10]) + (', ... (%d in all)' % len(tables) if len(tables) > 10 else '')
        raise LedgerError('ledger %s is an SQLite database of another application (tables: %s); point ledger to a guestnet ledger or a new file'
                          % (name, listed))
    try:
        version = int(meta['schema_version'])
    except (KeyError, ValueError):
        raise LedgerError('ledger %s is a guestnet ledger without a valid schema version (meta schema_version: %r); restore it from a backup, '
                          'or point ledger to a new file' % (name, meta.get('schema_version'))) from None
    if version > SCHEMA_VERSION:
        raise LedgerError('ledger %s has schema version %d, newer than this collection knows (%d): a newer guestnet.vsphere wrote it; '
                          'upgrade the collection, or point ledger to another file' % (name, version, SCHEMA_VERSION))
    if version < 1:
        raise LedgerError('ledger %s has schema version %d, which never existed; restore it from a backup, or point ledger to a new file'
                          % (name, version))
    return version


def inspect_ledger(path: str, *, name: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Optional[int]:
    """The schema version of the guestnet ledger at ``path``, or None when there is none yet (no file, an empty file, or
    an SQLite database with no schema: the ledger is created in it). Reads through a read-only connection and changes
    nothing, not even beside the file (an SQLite database in WAL mode is read as immutable, so no -wal/-shm appear).

    LedgerError naming the file: a directory, an unreadable file, a file that is not SQLite, a corrupt database, another
    application's database (its tables are listed), a ledger of a newer schema, or a lock held past ``timeout``.
    """
    name = name or path
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):   # missing (a file on the way: the caller reports it cannot create it)
        return None
    except OSError as exc:
        raise LedgerError('ledger %s cannot be read (%s)' % (name, exc.strerror or exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise LedgerError('ledger %s is a directory; point ledger to a file, e.g. %s' % (name, os.path.join(path, 'ledger.sqlite')))
    if info.st_size == 0:
        return None
    try:
        with open(path, 'rb') as handle:
            header = handle.read(100)
    except OSError as exc:
        raise LedgerError('ledger %s cannot be read (%s)' % (name, exc.strerror or exc)) from None
    if not header.startswith(SQLITE_HEADER):
        raise LedgerError('ledger %s is not an SQLite database (%d bytes without the SQLite header); point ledger to a guestnet ledger '
                          'or a new file' % (name, info.st_size))
    # mode=ro takes SQLite's shared lock, so a ledger being created by another process is read whole. WAL databases
    # (header bytes 18-19) are never ours unless converted by hand: read them immutable, as also a database whose hot
    # journal a read-only connection cannot roll back.
    attempts = [_uri(path, immutable=1)] if header[18:20] == b'\x02\x02' else [_uri(path, mode='ro'), _uri(path, immutable=1)]
    while True:
        uri = attempts.pop(0)
        conn = None
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
            conn.execute('BEGIN')
            tables, application_id, meta = _schema_objects(conn)
            conn.execute('ROLLBACK')
            return _classify(name, tables, application_id, meta)
        except sqlite3.DatabaseError as exc:
            busy = any(marker in str(exc).lower() for marker in _BUSY)
            if busy or not attempts or not isinstance(exc, sqlite3.OperationalError):
                raise LedgerError(_describe_error(name, exc, timeout)) from None
        finally:
            if conn is not None:
                conn.close()


def check_sqlite_writable(path: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
    """Preflight of an SQLite ledger (``SqliteLedger.check_writable``; modules call ``_ledger_backends.check_writable``):
    raise LedgerError (naming the file) unless a module could write the ledger at ``path`` now.

    For modules to call before they change anything on vCenter, so a ledger they could not write fails the run while
    nothing is changed yet. It fails, changing nothing, when ``path`` is:

    - not a guestnet ledger (not SQLite, another application's database, a directory) or a corrupt one, or a ledger of
      a newer schema (``inspect_ledger``);
    - read-only for this user: the file, or its directory (SQLite writes its journal there); a read-only file system;
    - missing, and its directory cannot be created or written (nothing is created: a missing ledger passes when the
      module could create it; callers that need an existing ledger call ``_ipam.require_ledger`` too);
    - locked by another process for longer than ``timeout`` seconds (the busy message).

    An existing file gets a real write probe: ``BEGIN IMMEDIATE``, one write, ``ROLLBACK``. The file's bytes and
    modification time stay as they were (SQLite's journal appears beside it and is removed). A ledger of an older schema
    passes: opening it migrates it. Passing is no promise for later (permissions, locks and disks change), so the
    writes themselves still raise these errors.
    """
    version = inspect_ledger(path, timeout=timeout)
    problem = _write_problem(path)
    if problem is not None:
        if os.path.exists(path):
            raise LedgerError('ledger %s is read-only; %s' % (path, problem))
        raise LedgerError('ledger %s does not exist and cannot be created: %s' % (path, problem))
    if not os.path.exists(path):
        return
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        try:
            conn.execute('BEGIN IMMEDIATE')
            try:
                if version is None:   # empty: any write will do
                    conn.execute('CREATE TABLE guestnet_write_probe (probe INTEGER)')
                else:
                    conn.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
            finally:
                conn.execute('ROLLBACK')
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise LedgerError(_describe_error(path, exc, timeout, _write_problem(path))) from None


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LedgerError('%s: %r must be a non-empty string' % (what, value))
    return value.strip()


def _parse_ip(value: Any, what: str) -> IPAddress:
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise LedgerError('%s: %s is not an IP address' % (what, value)) from None


def _parse_time(value: Any, what: str) -> Optional[float]:
    """Epoch seconds, or an ISO 8601 date/time (UTC unless it has an offset)."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return None if value is None else float(value)
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip().replace('Z', '+00:00'))
    except ValueError:
        raise LedgerError('%s: %s is neither epoch seconds nor an ISO 8601 date/time' % (what, value)) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)).timestamp()


def _usable(network: IPNetwork) -> Tuple[IPAddress, IPAddress]:
    """The default range: no network/broadcast address (IPv4) or subnet-router anycast (IPv6) unless tiny."""
    if network.num_addresses <= 2:
        return network[0], network[-1]
    return network[1], network[-2] if network.version == 4 else network[-1]


def _usable_ip(network: IPNetwork, value: Any, what: str) -> IPAddress:
    ip = _parse_ip(value, what)
    first, last = _usable(network)
    if ip.version != network.version or not int(first) <= int(ip) <= int(last):
        raise LedgerError('%s: %s is not a usable address of %s (%s-%s)' % (what, ip, network, first, last))
    return ip


def _parse_reservation(item: Any, network: IPNetwork, what: str) -> Reservation:
    """'ip', 'first-last', a CIDR, or a mapping with start, end, expires_at, note."""
    if isinstance(item, Reservation):
        item = asdict(item)
    if isinstance(item, str):
        item = {'start': item}
    if not isinstance(item, Mapping) or 'start' not in item or set(item) - {'start', 'end', 'expires_at', 'note'}:
        raise LedgerError("%s: %r is not an address, a range 'first-last', a CIDR or a mapping with start, end, expires_at, note"
                          % (what, item))
    start, end = str(item['start']).strip(), item.get('end')
    if '/' in start and end is None:
        try:
            block = ipaddress.ip_network(start)
        except ValueError as exc:
            raise LedgerError('%s: %s is not a network: %s' % (what, start, exc)) from None
        start, end = str(block[0]), str(block[-1])
    elif '-' in start and end is None:
        start, end = (part.strip() for part in start.split('-', 1))
    first, last = _parse_ip(start, what), _parse_ip(start if end is None else end, what)
    for ip in (first, last):
        if ip not in network:
            raise LedgerError('%s: %s is not inside %s' % (what, ip, network))
    if int(first) > int(last):
        raise LedgerError('%s: range %s-%s ends before it starts' % (what, first, last))
    return Reservation(str(first), str(last), _parse_time(item.get('expires_at'), what + '.expires_at'), str(item.get('note') or ''))


_SUBNET_OPTIONS = ('range_start', 'range_end', 'gateway', 'reserved', 'nameservers', 'search_domains', 'mtu', 'direction', 'portgroup',
                   'hold_back')


def _declare_subnet(name: Any, cidr: Any, options: Mapping[str, Any]) -> Subnet:
    """Validate and normalize a subnet declaration (defaults filled in, addresses canonical)."""
    name = _text(name, 'subnet name')
    where = 'subnet %s' % name
    unknown = sorted(set(options) - set(_SUBNET_OPTIONS))
    if unknown:
        raise LedgerError('%s: unknown option(s) %s (known: %s)' % (where, ', '.join(unknown), ', '.join(_SUBNET_OPTIONS)))
    try:
        network = ipaddress.ip_network(str(cidr).strip())
    except ValueError as exc:
        raise LedgerError('%s: cidr %s is not a network: %s' % (where, cidr, exc)) from None
    first, last = _usable(network)
    if options.get('range_start') is not None:
        first = _usable_ip(network, options['range_start'], where + ': range_start')
    if options.get('range_end') is not None:
        last = _usable_ip(network, options['range_end'], where + ': range_end')
    if int(first) > int(last):
        raise LedgerError('%s: range_end %s is below range_start %s' % (where, last, first))
    gateway = options.get('gateway')
    direction = options.get('direction') or (RANDOM if network.version == 6 else STEPDOWN)   # Cloudpods' defaults
    if direction not in DIRECTIONS:
        raise LedgerError('%s: direction %s is not one of %s' % (where, direction, ', '.join(DIRECTIONS)))
    if network.version == 6 and direction != RANDOM:
        raise LedgerError('%s: direction %s is not supported for IPv6; IPv6 subnets allocate at random' % (where, direction))
    mtu, min_mtu = options.get('mtu'), 1280 if network.version == 6 else 68
    if mtu is not None and (not isinstance(mtu, int) or isinstance(mtu, bool) or not min_mtu <= mtu <= 65535):
        raise LedgerError('%s: mtu %r is not an MTU for IPv%d (%d-65535)' % (where, mtu, network.version, min_mtu))
    hold_back = options.get('hold_back')
    if hold_back is None:
        hold_back = DEFAULT_HOLD_BACK_SECONDS
    elif not isinstance(hold_back, int) or isinstance(hold_back, bool) or not 0 <= hold_back <= MAX_HOLD_BACK_SECONDS:
        raise LedgerError('%s: hold_back %r is not a number of seconds from 0 to %d (a year)' % (where, hold_back, MAX_HOLD_BACK_SECONDS))
    portgroup = options.get('portgroup')
    reserved_items = options.get('reserved') or ()
    reserved = [_parse_reservation(item, network, '%s: reserved[%d]' % (where, index))
                for index, item in enumerate([reserved_items] if isinstance(reserved_items, (str, Mapping)) else reserved_items)]
    return Subnet(
        name=name, cidr=str(network), range_start=str(first), range_end=str(last), direction=direction,
        gateway=None if gateway is None else str(_usable_ip(network, gateway, where + ': gateway')),
        reserved=tuple(sorted(reserved, key=lambda item: int(ipaddress.ip_address(item.start)))),
        nameservers=tuple(str(_parse_ip(value, where + ': nameservers')) for value in options.get('nameservers') or ()),
        search_domains=tuple(_text(value, where + ': search_domains') for value in options.get('search_domains') or ()),
        mtu=mtu, portgroup=None if portgroup is None else _text(portgroup, where + ': portgroup'), hold_back=hold_back)


class _Occupancy:
    """The addresses of one range that cannot be handed out: single points plus merged spans.

    Picking and counting cost O(points + spans), never O(range size), so a /64 is as cheap as a /27.
    """

    def __init__(self, first: int, last: int, points: Iterable[int] = (), spans: Iterable[Tuple[int, int]] = ()) -> None:
        self.first, self.last = first, last
        self.spans: List[Tuple[int, int]] = []   # clipped to the range, sorted, merged
        for low, high in sorted((max(low, first), min(high, last)) for low, high in spans if low <= last and high >= first):
            if self.spans and low <= self.spans[-1][1] + 1:
                self.spans[-1] = (self.spans[-1][0], max(self.spans[-1][1], high))
            else:
                self.spans.append((low, high))
        self.starts = [low for low, high in self.spans]
        self.points = {point for point in points if first <= point <= last and self._span_at(point) is None}

    def _span_at(self, value: int) -> Optional[Tuple[int, int]]:
        index = bisect.bisect_right(self.starts, value) - 1
        return self.spans[index] if index >= 0 and self.spans[index][1] >= value else None

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def used(self) -> int:
        return len(self.points) + sum(high - low + 1 for low, high in self.spans)

    def is_free(self, value: int) -> bool:
        return value not in self.points and self._span_at(value) is None

    def scan(self, step: int) -> Optional[int]:
        """The first free address from the bottom (step 1) or the top (step -1) of the range."""
        value = self.first if step > 0 else self.last
        while self.first <= value <= self.last:
            span = self._span_at(value)
            if span is not None:
                value = span[1] + 1 if step > 0 else span[0] - 1
            elif value in self.points:
                value += step
            else:
                return value
        return None


_Backend = TypeVar('_Backend', bound='LedgerBackend')


class LedgerBackend(abc.ABC):
    """The ledger's store interface: everything the modules do with a ledger, whoever keeps it (SQLite, NetBox, ...).

    Callers never construct a backend: ``_ledger_backends.open_ledger(location)`` picks the one that takes the location
    (the ``ledger`` option) and opens it, and the location functions there (``check_writable``, ``ledger_exists``,
    ``scratch_ledger``, ``ledger_warning``) dispatch to the class methods below the same way.

    The contract every backend keeps, which the callers (``_ipam``, ``_subnet_sync``, the steps) rely on:

    - Errors: a failure the user can act on is a ``LedgerError`` (a ValueError) whose message names the ledger
      (``name``) and, where there are ones, the subnet, the field and the value; ``UnknownSubnetError`` for a subnet
      the ledger does not declare, ``SubnetExhaustedError`` when no address of a range is free. The store's own errors
      (sqlite3, HTTP, a timeout, a lock held too long, no permission) become LedgerErrors too: callers catch nothing
      else, and a module reports the message as it is. After a LedgerError from a change, that change left nothing.
    - Atomicity: each change is one atomic step, isolated from other processes (Ansible forks, other machines): it is
      kept whole or not at all, and read -> pick -> write of an allocation never interleaves with another writer, so
      two owners never hold one address (SQLite: ``BEGIN IMMEDIATE``; a server: its own atomic allocation).
    - Idempotency: an address's owner is (``vm_uuid``, ``interface``). Asking again for what an owner already has
      changes nothing and says so (``allocate`` returns the same address with ``changed=False``); an owner holds at
      most one allocation per IP family; a release of what is not held returns ``[]``. Methods that return ``changed``
      or lists of what changed report real changes only, so a run that finds nothing new is ``changed: false``.
    - ``dry_run`` (every change takes it; Ansible check mode): the change is validated and computed exactly as for
      real, with the same errors and the same return value (``Allocation.dry_run`` says it was one), and then not
      kept: nobody, this process included, sees it afterwards. Inside ``batch`` a change's dry_run undoes that change
      only.
    - Reads (``get_subnet``, ``list_subnets``, ``list_networks``, ``addresses``, ``usage``) see one consistent state,
      and inside ``batch`` the batch's changes so far.
    - Context manager: ``with open_ledger(location) as ledger:`` closes the backend (its connection or session) at
      the end; each change is already kept or undone by then, so closing keeps and undoes nothing.

    The class side (asked with a location before anything is opened; see ``_ledger_backends``): ``handles``,
    ``exists``, ``check_writable``, ``location_warning``, ``scratch``; ``kind`` and ``locations`` name the backend and
    what its locations look like in messages. Opening is ``Backend(location, **options)``: it refuses (LedgerError
    naming the location, nothing changed) a location that holds something else than a ledger this collection can use
    (another application's data, a newer schema), and it may create an empty ledger where there is none.
    """

    kind: str = ''                             # a short name of the backend: 'sqlite', 'netbox'
    connection_options: Tuple[str, ...] = ()   # the options of a LedgerLocation that opening takes (NetBox: token, ...)
    locations: str = ''                        # what its locations look like, for the message about one nobody takes
    name: str = '(unnamed ledger)'             # what messages call this ledger (the SQLite file's path, a URL)

    # ----- the location (class side) -----

    @classmethod
    @abc.abstractmethod
    def handles(cls, location: str) -> bool:
        """Whether ``location`` is one of this backend's (by its form only: no I/O, no error). ``open_ledger`` asks the
        backends in registration order and takes the first that says yes."""

    @classmethod
    @abc.abstractmethod
    def exists(cls, location: str) -> bool:
        """Whether a ledger is at ``location`` already. False means opening would create an empty one: callers then
        know every subnet is undeclared, and subnet_sync tries its changes on ``scratch`` first. A server-side ledger
        that is always there says True."""

    @classmethod
    @abc.abstractmethod
    def check_writable(cls, location: str, **options: Any) -> None:
        """Preflight, for modules to call before they change anything on vCenter: LedgerError (naming the location)
        unless changes to the ledger at ``location`` could be kept now. It refuses what opening refuses (not a ledger
        of ours, a newer schema, a corrupt store), a ledger this user may not write, a missing ledger that could not be
        created, and a store that does not answer (locked, unreachable) within the options' timeout. It changes
        nothing and creates nothing; a missing ledger that could be created passes. Passing is no promise for later:
        the changes themselves still raise these errors."""

    @classmethod
    @abc.abstractmethod
    def location_warning(cls, location: str) -> Optional[str]:
        """Why keeping the ledger at ``location`` is unsafe although it works (SQLite: a file on a network file system,
        where two machines could hand out one address twice), for the module to warn; None when it is not (or
        unknown). No error: a location that cannot be examined gets None."""

    @classmethod
    @abc.abstractmethod
    def scratch(cls, location: str) -> LedgerBackend:
        """An empty ledger of this kind that keeps nothing (its contents go with ``close``), whose messages name
        ``location`` as a real one would: subnet_sync runs its changes on it first when ``exists(location)`` is false,
        so bad input fails before a ledger is created, and in check mode that trial is the whole run. It validates and
        answers exactly as a new ledger at ``location`` would."""

    # ----- lifetime and transactions -----

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection or session; nothing is kept or undone by it. Closing twice is harmless."""

    def __enter__(self: _Backend) -> _Backend:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    @abc.abstractmethod
    def now(self) -> float:
        """The ledger's clock (epoch seconds): what its rows' ``created_at`` and ``updated_at`` are in, and what hold-back
        and reservation expiry are measured with (subnet_sync's reclaim compares ``updated_at`` with it)."""

    @abc.abstractmethod
    def batch(self, *, dry_run: bool = False) -> ContextManager[LedgerBackend]:
        """A context manager (yielding the ledger) that makes several changes ONE transaction: all or nothing, and
        each change sees the ones before it.

        An exception inside undoes every change of the batch and propagates; ``dry_run`` undoes them all at the end
        (check mode of a run that makes several changes, e.g. all of subnet_sync, or all subnet interfaces of a VM).
        Changes inside keep their own ``dry_run`` (undoing only themselves). Other writers wait or are refused until
        the end (SQLite holds its write lock), so callers do slow work (vCenter reads) before they enter. A backend
        without transactions that span requests keeps an undo log of its writes and reverts them, newest first, on an
        exception or a dry run; it must then say what other processes may see meanwhile."""

    # ----- L2 networks (port groups) -----

    @abc.abstractmethod
    def sync_networks(self, networks: Iterable[Union[L2Network, Mapping[str, Any]]], prune: bool = False, *,
                      dry_run: bool = False) -> Dict[str, List[str]]:
        """Upsert port groups by moid (records or mappings of L2Network's fields); with ``prune``, remove those not
        listed. Returns ``{'added': [...], 'updated': [...], 'removed': [...]}`` moids (only real changes)."""

    @abc.abstractmethod
    def list_networks(self) -> List[L2Network]:
        """Every port group the ledger knows, by moid (hosts sorted)."""

    # ----- subnets -----

    @abc.abstractmethod
    def upsert_subnet(self, name: str, cidr: str, *, dry_run: bool = False, **options: Any) -> bool:
        """Declare or update a subnet (options: see ``_SUBNET_OPTIONS``; validated and normalized by ``_declare_subnet``,
        so every backend refuses and fills in alike). Returns whether anything changed. Additional port groups are kept
        (the new primary one stops being additional). LedgerError: a cidr that overlaps another subnet of the same
        family (naming both), or a range that would leave recorded addresses outside it."""

    @abc.abstractmethod
    def delete_subnet(self, name: str, force: bool = False, *, dry_run: bool = False) -> bool:
        """Remove a subnet with its reservations, additional port groups and records; refused (LedgerError) while
        addresses are recorded in it, unless ``force``. Returns whether it existed."""

    @abc.abstractmethod
    def get_subnet(self, name: str) -> Subnet:
        """The declared subnet; UnknownSubnetError when there is none of that name."""

    @abc.abstractmethod
    def list_subnets(self) -> List[Subnet]:
        """Every declared subnet, by name."""

    # ----- reachability (additional port groups) -----

    @abc.abstractmethod
    def mark_additional(self, subnet: str, portgroup: str, *, dry_run: bool = False) -> bool:
        """Let VMs on ``portgroup`` use the subnet too, kept until unmarked whatever detection finds (a detected one
        becomes marked). LedgerError for the subnet's primary port group. Returns whether anything changed."""

    @abc.abstractmethod
    def unmark_additional(self, subnet: str, portgroup: str, *, dry_run: bool = False) -> bool:
        """Remove a marked additional port group (detected ones stay). Returns whether anything changed."""

    @abc.abstractmethod
    def detect_additional(self, portgroup_ips: Mapping[str, Iterable[str]], *, dry_run: bool = False) -> Dict[str, List[Tuple[str, str]]]:
        """Recompute the detected additional port groups from the guest IPs seen on each port group (all of vCenter):
        a port group is one for each subnet whose range holds an IP seen there. Marked ones are kept. Returns
        ``{'added': [(subnet, portgroup), ...], 'removed': [...]}``, sorted."""

    def subnets_reachable_from(self, portgroup: str) -> List[Subnet]:
        """Subnets whose primary or additional port group is ``portgroup``."""
        return [subnet for subnet in self.list_subnets() if subnet.reachable_from(portgroup)]

    def find_subnet_for_ip(self, ip: str, portgroup: Optional[str] = None) -> Optional[Subnet]:
        """The subnet whose range contains ``ip`` (and that is reachable from ``portgroup`` when given)."""
        address = _parse_ip(ip, 'ip')
        return next((subnet for subnet in self.list_subnets()
                     if subnet.in_range(address) and (portgroup is None or subnet.reachable_from(portgroup))), None)

    # ----- addresses -----

    @abc.abstractmethod
    def allocate(self, subnet: str, vm_uuid: str, interface: str, *, ip: Optional[str] = None,
                 portgroup: Optional[str] = None, vm_name: Optional[str] = None, dry_run: bool = False) -> Allocation:
        """The owner's address in the subnet, allocating one (or ``ip``) when it has none; atomic and idempotent.

        Reuses, in order, the owner's allocated, fixed or observed address there (an observed one becomes allocated);
        a new one follows the subnet's direction and skips the gateway, active reservations, held-back addresses and
        every held one. ``ip`` asks for that address (a reserved or held-back one is fine, the gateway and another
        owner's are not). A new allocation releases the owner's allocation of the same family in another subnet
        (``Allocation.replaced``). LedgerError when ``portgroup`` does not reach the subnet; SubnetExhaustedError.

        ``vm_name`` labels the address for people (``Address.note``; NetBox shows it in the ip-address's description).
        The owner is the UUID alone: a call with another name relabels the address and is not a change."""

    @abc.abstractmethod
    def release(self, vm_uuid: str, interface: str, subnet: Optional[str] = None, *, dry_run: bool = False) -> List[Address]:
        """Give back the owner's allocated and fixed addresses (in one subnet or all); each is held back for its
        subnet's ``hold_back`` seconds before anyone gets it again. Returns what was released."""

    @abc.abstractmethod
    def release_owner(self, vm_uuid: str, *, dry_run: bool = False) -> List[Address]:
        """Remove everything a VM holds or claims, of every interface (decommission); held back as on release."""

    @abc.abstractmethod
    def release_addresses(self, addresses: Iterable[Address], *, dry_run: bool = False) -> List[Address]:
        """Give back exactly these allocated or fixed rows (from ``addresses()``), matched by subnet, ip, kind and owner;
        rows that changed since are left alone (reclaim). LedgerError for a row of another kind."""

    @abc.abstractmethod
    def record_fixed(self, ip: str, vm_uuid: str, interface: str, *, subnet: Optional[str] = None, portgroup: Optional[str] = None,
                     mac: Optional[str] = None, vm_name: Optional[str] = None, dry_run: bool = False) -> Address:
        """Record an address set by hand on a VM that cannot report it (no VMware Tools). It must be in a subnet
        (reachable from ``portgroup``) and free or already this VM's; an observed row of it becomes fixed. ``vm_name``:
        as for ``allocate``."""

    @abc.abstractmethod
    def replace_observed(self, vm_uuid: str, records: Iterable[Union[ObservedAddress, Mapping[str, Any]]], *,
                         vm_name: Optional[str] = None, dry_run: bool = False) -> ObservationResult:
        """Replace the VM's observed addresses with what it reports now; never touches fixed or allocated ones. An
        address another VM holds becomes a ``conflict`` row, never an overwrite; IPs in no reachable range are
        ``unmatched``; ``changed`` only when the VM's observed and conflict rows really changed. ``vm_name`` labels the
        VM's observed and conflict rows (as for ``allocate``)."""

    @abc.abstractmethod
    def addresses(self, subnet: Optional[str] = None, vm_uuid: Optional[str] = None) -> List[Address]:
        """Ledger rows (holders, conflicts, reservations), optionally of one subnet and/or one VM, in subnet then
        insertion order."""

    @abc.abstractmethod
    def usage(self, subnet: Optional[str] = None) -> List[Usage]:
        """Size, used, free and per-kind counts of one subnet or of every subnet (by name)."""

    def allocate_all(self, vm_uuid: str, requests: Sequence[AddressRequest], *, vm_name: Optional[str] = None,
                     dry_run: bool = False) -> List[Allocation]:
        """``allocate`` for several interfaces of one VM, all or nothing: each sees the ones before it (two interfaces on
        one subnet get two addresses), and a dry run answers what the real call would (the same addresses, the same
        errors) and keeps nothing. One batch by default; a backend on a shared server may answer a dry run from reads
        only (NetBox)."""
        with self.batch(dry_run=dry_run):
            allocations = [self.allocate(item.subnet, vm_uuid, item.interface, ip=item.ip, portgroup=item.portgroup, vm_name=vm_name)
                           for item in requests]
        return [replace(allocation, dry_run=dry_run) for allocation in allocations]

    def subnet_defaults(self, subnet: str, vm_uuid: str, interface: str, *, ip: Optional[str] = None,
                        portgroup: Optional[str] = None, vm_name: Optional[str] = None, dry_run: bool = False) -> SubnetDefaults:
        """What the resolver needs for one interface: its address (allocated if needed) and the subnet's settings."""
        allocation = self.allocate(subnet, vm_uuid, interface, ip=ip, portgroup=portgroup, vm_name=vm_name, dry_run=dry_run)
        return subnet_settings(self.get_subnet(subnet), (allocation.address,))


def subnet_settings(subnet: Subnet, addresses: Sequence[str] = ()) -> SubnetDefaults:
    """A subnet's gateway, DNS and MTU (and an interface's addresses in it) as the resolver's provider defaults."""
    ipv6 = subnet.network.version == 6
    return SubnetDefaults(subnet=subnet.name, addresses=tuple(addresses),
                          gateway4=None if ipv6 else subnet.gateway, gateway6=subnet.gateway if ipv6 else None,
                          nameservers=subnet.nameservers, search_domains=subnet.search_domains, mtu=subnet.mtu)


# Reservations are 'reserved' rows spanning ip..last_ip with an optional expiry; 'conflict' rows are claims
# beside an address's holder.  IPs are canonical text; range arithmetic happens in Python (IPv6 exceeds int64).
_HELD_BACK = """CREATE TABLE held_back (subnet TEXT NOT NULL REFERENCES subnets (name) ON DELETE CASCADE, ip TEXT NOT NULL,
        released_at REAL NOT NULL, PRIMARY KEY (subnet, ip))"""
_MARKERS = (
    "INSERT OR REPLACE INTO meta (key, value) VALUES ('application', '%s')" % APPLICATION,
    'PRAGMA application_id = %d' % APPLICATION_ID,
)
_SCHEMA = (
    'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    """CREATE TABLE networks (moid TEXT PRIMARY KEY, name TEXT NOT NULL, switch TEXT, vlan INTEGER,
        hosts TEXT NOT NULL DEFAULT '[]', updated_at REAL NOT NULL)""",
    """CREATE TABLE subnets (name TEXT PRIMARY KEY, cidr TEXT NOT NULL, range_start TEXT NOT NULL, range_end TEXT NOT NULL,
        gateway TEXT, nameservers TEXT NOT NULL DEFAULT '[]', search_domains TEXT NOT NULL DEFAULT '[]', mtu INTEGER,
        direction TEXT NOT NULL CHECK (direction IN ('stepup', 'stepdown', 'random')), portgroup TEXT, updated_at REAL NOT NULL,
        hold_back INTEGER NOT NULL DEFAULT %d CHECK (hold_back >= 0))""" % DEFAULT_HOLD_BACK_SECONDS,
    """CREATE TABLE subnet_portgroups (subnet TEXT NOT NULL REFERENCES subnets (name) ON DELETE CASCADE, portgroup TEXT NOT NULL,
        added_by TEXT NOT NULL CHECK (added_by IN ('detected', 'marked')), PRIMARY KEY (subnet, portgroup))""",
    """CREATE TABLE addresses (id INTEGER PRIMARY KEY, subnet TEXT NOT NULL REFERENCES subnets (name) ON DELETE CASCADE,
        ip TEXT NOT NULL, family INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('allocated', 'observed', 'fixed', 'reserved', 'conflict')),
        vm_uuid TEXT, interface TEXT, mac TEXT, portgroup TEXT, last_ip TEXT, note TEXT, expires_at REAL,
        created_at REAL NOT NULL, updated_at REAL NOT NULL)""",
    # One holder per address; conflicting claims and reserved ranges sit beside it.
    "CREATE UNIQUE INDEX addresses_holder ON addresses (subnet, ip) WHERE kind IN ('allocated', 'fixed', 'observed')",
    # One allocation per owner and IP family: asking again returns it, and a dual-stack NIC may hold one of each.
    "CREATE UNIQUE INDEX addresses_owner ON addresses (vm_uuid, interface, family) WHERE kind = 'allocated'",
    "CREATE UNIQUE INDEX addresses_conflict ON addresses (subnet, ip, vm_uuid, interface) WHERE kind = 'conflict'",
    'CREATE INDEX addresses_vm ON addresses (vm_uuid)',
    'CREATE INDEX addresses_kind ON addresses (kind, subnet)',
    # Released addresses, not handed out again until released_at + the subnet's hold_back (stale ARP caches, DNS, a VM
    # still shutting down). The hold-back is applied when allocating, so a changed hold_back counts at once.
    _HELD_BACK,
) + _MARKERS
# Statements that upgrade schema version N to N + 1, keyed by N; the caller then sets meta's schema_version.
_MIGRATIONS: Dict[int, Tuple[str, ...]] = {
    # 1 -> 2: a hold-back per subnet (30 s, the one fixed value of version 1); held_back rows keep the release time
    # (version 1 stored release + 30 s) instead of an end; the marker that tells a ledger from other SQLite files.
    1: ("ALTER TABLE subnets ADD COLUMN hold_back INTEGER NOT NULL DEFAULT %d CHECK (hold_back >= 0)" % DEFAULT_HOLD_BACK_SECONDS,
        _HELD_BACK.replace('CREATE TABLE held_back ', 'CREATE TABLE held_back_2 '),
        'INSERT INTO held_back_2 (subnet, ip, released_at) SELECT subnet, ip, until - %d FROM held_back' % DEFAULT_HOLD_BACK_SECONDS,
        'DROP TABLE held_back',
        'ALTER TABLE held_back_2 RENAME TO held_back') + _MARKERS,
}

_ADDRESS_COLUMNS = ', '.join(item.name for item in fields(Address))


def _address(row: sqlite3.Row) -> Address:
    return Address(**{item.name: row[item.name] for item in fields(Address)})


class SqliteLedger(LedgerBackend):
    """The embedded ledger: one SQLite file, safe for parallel processes on ONE machine (see the module doc).

    Opening refuses (LedgerError, file unchanged) anything that is not a guestnet ledger or an empty file; see
    ``inspect_ledger``. A file this process may not write is opened read-only (SQLite ``mode=ro``): reads work, and
    the first write raises the read-only LedgerError. ``name``: what messages call the ledger (default: ``path``; a
    trial in ``:memory:`` for a new file passes the file's path).

    Its locations are file paths (anything but a URL); ``:memory:`` is an in-memory ledger that starts empty every time
    it is opened (the ``scratch`` ledger, and tests).
    """

    kind = 'sqlite'
    locations = 'the path of an SQLite file (e.g. ~/.ansible/guestnet/ledger.sqlite)'

    # ----- the location: a file path (LedgerBackend's class side) -----

    @classmethod
    def handles(cls, location: str) -> bool:
        """Any path: a non-empty string that is not a URL (``scheme://...``)."""
        return isinstance(location, str) and bool(location.strip()) and _URL.match(location) is None

    @classmethod
    def exists(cls, location: str) -> bool:
        """The file exists (an empty file too: opening gives it the schema). ``:memory:`` never does."""
        return location != MEMORY and os.path.exists(location)

    @classmethod
    def check_writable(cls, location: str, **options: Any) -> None:
        """``check_sqlite_writable`` (options: ``timeout``); ``:memory:`` always passes."""
        if location != MEMORY:
            check_sqlite_writable(location, **options)

    @classmethod
    def location_warning(cls, location: str) -> Optional[str]:
        """``path_looks_shared``: a file on a network or shared file system."""
        return None if location == MEMORY else path_looks_shared(location)

    @classmethod
    def scratch(cls, location: str) -> SqliteLedger:
        """An in-memory ledger whose messages name ``location``."""
        return cls(MEMORY, name=location)

    def __init__(self, path: Optional[str] = None, *, name: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.time, rng: Optional[random.Random] = None) -> None:
        self.path = path or default_ledger_path()
        self.name = name or self.path
        self.timeout = timeout
        self._clock = clock
        self._rng = rng or random.SystemRandom()
        self._batch_depth = 0
        self._savepoints = 0
        self._read_only: Optional[str] = None    # why this process may not write the file (the advice of the read-only message)
        memory = self.path == ':memory:'
        if not memory:
            inspect_ledger(self.path, name=self.name, timeout=timeout)   # refuse a foreign, corrupt or newer file before any write
            self._read_only = _write_problem(self.path)
            if self._read_only is not None and not os.path.exists(self.path):
                raise LedgerError('ledger %s does not exist and cannot be created: %s' % (self.name, self._read_only))
        try:
            if not memory:
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), mode=0o700, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves; `timeout` is SQLite's busy timeout.
            if self._read_only is None:
                self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            else:
                self._conn = sqlite3.connect(_uri(self.path, mode='ro'), uri=True, timeout=timeout, isolation_level=None)
        except OSError as exc:
            raise LedgerError('ledger %s cannot be created: %s' % (self.name, exc)) from None
        except sqlite3.Error as exc:
            raise LedgerError(_describe_error(self.name, exc, timeout, self._read_only)) from None
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute('PRAGMA foreign_keys = ON')
            self._ensure_schema()
        except sqlite3.Error as exc:
            self._conn.close()
            raise LedgerError(_describe_error(self.name, exc, timeout, self._read_only)) from None
        except LedgerError:
            self._conn.close()
            raise

    def close(self) -> None:
        self._conn.close()

    def now(self) -> float:
        """The ledger's clock (epoch seconds): what its rows' created_at and updated_at are in."""
        return self._clock()

    @contextmanager
    def batch(self, *, dry_run: bool = False) -> Iterator[SqliteLedger]:
        """Several changes as ONE write transaction: all or nothing, and each change sees the ones before it.

        An exception inside rolls every change back; dry_run rolls them back at the end (check mode of a module
        that makes several changes). Changes inside keep their own dry_run (a savepoint each). The write lock is
        held until the end, so do slow work (vCenter reads) before entering.
        """
        with self._transaction(write=True, commit=not dry_run):
            self._batch_depth += 1
            try:
                yield self
            finally:
                self._batch_depth -= 1

    def _named(self, error: LedgerError) -> LedgerError:
        """The error, its message naming this ledger (appended when it does not yet)."""
        if self.name not in str(error):
            error.args = ('%s (ledger %s)' % (error, self.name),) + tuple(error.args[1:])
        return error

    @contextmanager
    def _transaction(self, write: bool = False, commit: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction takes the write lock up front (IMMEDIATE); commit=False rolls back (dry runs).

        Inside batch() it is a savepoint of the batch's transaction instead. SQLite errors become LedgerErrors naming
        the file (the busy timeout only on busy errors), and every LedgerError raised inside names the file.
        """
        if self._batch_depth:
            self._savepoints += 1
            name = 'change_%d' % self._savepoints
            self._conn.execute('SAVEPOINT %s' % name)
            try:
                yield self._conn
            except BaseException:
                self._conn.execute('ROLLBACK TO %s' % name)
                self._conn.execute('RELEASE %s' % name)
                raise
            if not commit:
                self._conn.execute('ROLLBACK TO %s' % name)
            self._conn.execute('RELEASE %s' % name)
            return
        try:
            self._conn.execute('BEGIN IMMEDIATE' if write else 'BEGIN')
            try:
                yield self._conn
                self._conn.execute('COMMIT' if commit else 'ROLLBACK')
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute('ROLLBACK')
                raise
        except sqlite3.Error as exc:   # still locked after the busy timeout, read-only, corrupt, disk full, ...
            raise LedgerError(_describe_error(self.name, exc, self.timeout, self._read_only)) from exc
        except LedgerError as error:
            raise self._named(error)

    def schema_version(self) -> Optional[int]:
        """The file's schema version; None while it has no schema. LedgerError when it is not a guestnet ledger."""
        return _classify(self.name, *_schema_objects(self._conn))

    def _ensure_schema(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return   # the common case needs no write lock
        with self._transaction(write=True) as conn:
            version = self.schema_version()   # again: another process may have created or migrated it meanwhile
            if version != SCHEMA_VERSION and self._read_only is not None:
                raise LedgerError('ledger %s %s, but it is read-only; %s' % (
                    self.name, 'is empty and needs its schema' if version is None else
                    'has schema version %d and needs the upgrade to %d' % (version, SCHEMA_VERSION), self._read_only))
            if version is None:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif version < SCHEMA_VERSION:
                for step in range(version, SCHEMA_VERSION):
                    for statement in _MIGRATIONS[step]:
                        conn.execute(statement)
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    # ----- L2 networks -----

    def sync_networks(self, networks: Iterable[Union[L2Network, Mapping[str, Any]]], prune: bool = False, *,
                      dry_run: bool = False) -> Dict[str, List[str]]:
        """Upsert port groups by moid; with prune, remove those not listed. Returns added/updated/removed moids."""
        result: Dict[str, List[str]] = {'added': [], 'updated': [], 'removed': []}
        with self._transaction(write=True, commit=not dry_run) as conn:
            wanted = [_record(L2Network, item, 'network') for item in networks]
            wanted = [L2Network(_text(item.moid, 'network moid'), _text(item.name, 'network %s: name' % item.moid), item.switch, item.vlan,
                                tuple(sorted(item.hosts))) for item in wanted]
            now = self._clock()
            current = {network.moid: network for network in self._networks(conn)}
            for network in wanted:
                if current.get(network.moid) != network:
                    result['updated' if network.moid in current else 'added'].append(network.moid)
                    conn.execute('INSERT OR REPLACE INTO networks (moid, name, switch, vlan, hosts, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
                                 (network.moid, network.name, network.switch, network.vlan, json.dumps(network.hosts), now))
            if prune:
                result['removed'] = sorted(set(current) - {network.moid for network in wanted})
                conn.executemany('DELETE FROM networks WHERE moid = ?', [(moid,) for moid in result['removed']])
        return result

    def list_networks(self) -> List[L2Network]:
        with self._transaction() as conn:
            return self._networks(conn)

    @staticmethod
    def _networks(conn: sqlite3.Connection) -> List[L2Network]:
        return [L2Network(row['moid'], row['name'], row['switch'], row['vlan'], tuple(json.loads(row['hosts'])))
                for row in conn.execute('SELECT * FROM networks ORDER BY moid')]

    # ----- subnets -----

    def upsert_subnet(self, name: str, cidr: str, *, dry_run: bool = False, **options: Any) -> bool:
        """Declare or update a subnet (options: see _SUBNET_OPTIONS). Returns whether anything changed.

        Additional port groups are kept. Errors: overlap with another subnet (naming both), or a change that
        would leave recorded addresses outside the range.
        """
        with self._transaction(write=True, commit=not dry_run) as conn:
            declared = _declare_subnet(name, cidr, options)
            now = self._clock()
            subnets = {subnet.name: subnet for subnet in self._load_subnets(conn)}
            for other in subnets.values():
                if other.name != declared.name and other.network.version == declared.network.version and other.network.overlaps(declared.network):
                    raise LedgerError('subnet %s: cidr %s overlaps subnet %s (%s) of ledger %s'
                                      % (declared.name, declared.cidr, other.name, other.cidr, self.name))
            old = subnets.get(declared.name)
            additional = tuple(extra for extra in old.additional if extra.portgroup != declared.portgroup) if old else ()
            declared = replace(declared, additional=additional)
            if declared == old:
                return False
            self._check_rows_in_range(conn, declared)
            values = (declared.cidr, declared.range_start, declared.range_end, declared.gateway, json.dumps(declared.nameservers),
                      json.dumps(declared.search_domains), declared.mtu, declared.direction, declared.portgroup, declared.hold_back, now,
                      declared.name)
            if old is None:
                conn.execute('INSERT INTO subnets (cidr, range_start, range_end, gateway, nameservers, search_domains, mtu, direction, '
                             'portgroup, hold_back, updated_at, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', values)
            else:
                conn.execute('UPDATE subnets SET cidr = ?, range_start = ?, range_end = ?, gateway = ?, nameservers = ?, search_domains = ?, '
                             'mtu = ?, direction = ?, portgroup = ?, hold_back = ?, updated_at = ? WHERE name = ?', values)
            conn.execute('DELETE FROM subnet_portgroups WHERE subnet = ? AND portgroup = ?', (declared.name, declared.portgroup))
            conn.execute("DELETE FROM addresses WHERE subnet = ? AND kind = 'reserved'", (declared.name,))
            conn.executemany('INSERT INTO addresses (subnet, ip, last_ip, family, kind, note, expires_at, created_at, updated_at) '
                             "VALUES (?, ?, ?, ?, 'reserved', ?, ?, ?, ?)",
                             [(declared.name, item.start, item.end, declared.network.version, item.note, item.expires_at, now, now)
                              for item in declared.reserved])
        return True

    def _check_rows_in_range(self, conn: sqlite3.Connection, subnet: Subnet) -> None:
        outside = [row['ip'] for row in conn.execute("SELECT ip FROM addresses WHERE subnet = ? AND kind != 'reserved' ORDER BY id", (subnet.name,))
                   if not subnet.in_range(ipaddress.ip_address(row['ip']))]
        if outside:
            raise LedgerError('subnet %s of ledger %s: range %s-%s would leave %d recorded address(es) outside it: %s; release them first'
                              % (subnet.name, self.name, subnet.range_start, subnet.range_end, len(outside), ', '.join(outside[:10])))

    def delete_subnet(self, name: str, force: bool = False, *, dry_run: bool = False) -> bool:
        """Remove a subnet; refused while addresses are recorded in it, unless force."""
        with self._transaction(write=True, commit=not dry_run) as conn:
            held = conn.execute("SELECT count(*) FROM addresses WHERE subnet = ? AND kind != 'reserved'", (name,)).fetchone()[0]
            if held and not force:
                raise LedgerError('subnet %s of ledger %s: %d address(es) are still recorded in it; release them or delete with force'
                                  % (name, self.name, held))
            return conn.execute('DELETE FROM subnets WHERE name = ?', (name,)).rowcount > 0

    def get_subnet(self, name: str) -> Subnet:
        with self._transaction() as conn:
            return self._subnet(conn, name)

    def list_subnets(self) -> List[Subnet]:
        with self._transaction() as conn:
            return self._load_subnets(conn)

    def _subnet(self, conn: sqlite3.Connection, name: str) -> Subnet:
        found = self._load_subnets(conn, name)
        if not found:
            raise UnknownSubnetError(name, self.name)
        return found[0]

    @staticmethod
    def _load_subnets(conn: sqlite3.Connection, name: Optional[str] = None) -> List[Subnet]:
        additional: Dict[str, List[AdditionalPortgroup]] = defaultdict(list)
        for row in conn.execute('SELECT * FROM subnet_portgroups ORDER BY portgroup'):
            additional[row['subnet']].append(AdditionalPortgroup(row['portgroup'], row['added_by']))
        reserved: Dict[str, List[Reservation]] = defaultdict(list)
        for row in conn.execute("SELECT * FROM addresses WHERE kind = 'reserved' ORDER BY id"):
            reserved[row['subnet']].append(Reservation(row['ip'], row['last_ip'], row['expires_at'], row['note']))
        query, args = ('SELECT * FROM subnets WHERE name = ?', (name,)) if name is not None else ('SELECT * FROM subnets ORDER BY name', ())
        return [Subnet(name=row['name'], cidr=row['cidr'], range_start=row['range_start'], range_end=row['range_end'],
                       direction=row['direction'], gateway=row['gateway'], reserved=tuple(reserved[row['name']]),
                       nameservers=tuple(json.loads(row['nameservers'])), search_domains=tuple(json.loads(row['search_domains'])),
                       mtu=row['mtu'], portgroup=row['portgroup'], additional=tuple(additional[row['name']]), hold_back=row['hold_back'])
                for row in conn.execute(query, args)]

    # ----- reachability -----

    def mark_additional(self, subnet: str, portgroup: str, *, dry_run: bool = False) -> bool:
        """Let VMs on ``portgroup`` use the subnet too (kept until unmarked, whatever detection finds)."""
        with self._transaction(write=True, commit=not dry_run) as conn:
            target = self._subnet(conn, subnet)
            portgroup = _text(portgroup, 'subnet %s: portgroup' % subnet)
            if portgroup == target.portgroup:
                raise LedgerError('subnet %s of ledger %s: portgroup %s is its primary port group, not an additional one'
                                  % (subnet, self.name, portgroup))
            return conn.execute("INSERT INTO subnet_portgroups (subnet, portgroup, added_by) VALUES (?, ?, 'marked') "
                                "ON CONFLICT (subnet, portgroup) DO UPDATE SET added_by = 'marked' WHERE added_by != 'marked'",
                                (subnet, portgroup)).rowcount > 0

    def unmark_additional(self, subnet: str, portgroup: str, *, dry_run: bool = False) -> bool:
        with self._transaction(write=True, commit=not dry_run) as conn:
            self._subnet(conn, subnet)
            return conn.execute("DELETE FROM subnet_portgroups WHERE subnet = ? AND portgroup = ? AND added_by = 'marked'",
                                (subnet, portgroup)).rowcount > 0

    def detect_additional(self, portgroup_ips: Mapping[str, Iterable[str]], *, dry_run: bool = False) -> Dict[str, List[Tuple[str, str]]]:
        """Recompute 'detected' additional port groups from the guest IPs seen on each port group (all of vCenter).

        A port group is detected for a subnet when a guest on it reports an IP in the subnet's range (Cloudpods'
        ``synced`` additional wires). Marked ones are kept. Returns added/removed (subnet, portgroup) pairs.
        """
        with self._transaction(write=True, commit=not dry_run) as conn:
            subnets = self._load_subnets(conn)
            found = {(subnet.name, portgroup) for portgroup, ips in portgroup_ips.items() for text in ips
                     for subnet in subnets if subnet.portgroup != portgroup and subnet.in_range(_parse_ip(text, 'port group %s' % portgroup))}
            existing = {(row['subnet'], row['portgroup']): row['added_by'] for row in conn.execute('SELECT * FROM subnet_portgroups')}
            added = sorted(found - set(existing))
            removed = sorted(pair for pair, added_by in existing.items() if added_by == DETECTED and pair not in found)
            conn.executemany("INSERT INTO subnet_portgroups (subnet, portgroup, added_by) VALUES (?, ?, 'detected')", added)
            conn.executemany('DELETE FROM subnet_portgroups WHERE subnet = ? AND portgroup = ?', removed)
        return {'added': added, 'removed': removed}

    def find_subnet_for_ip(self, ip: str, portgroup: Optional[str] = None) -> Optional[Subnet]:
        """The subnet whose range contains ``ip`` (and that is reachable from ``portgroup`` when given)."""
        with self._transaction() as conn:
            return self._match(self._load_subnets(conn), _parse_ip(ip, 'ip'), portgroup)

    @staticmethod
    def _match(subnets: Sequence[Subnet], ip: IPAddress, portgroup: Optional[str]) -> Optional[Subnet]:
        return next((subnet for subnet in subnets if subnet.in_range(ip) and (portgroup is None or subnet.reachable_from(portgroup))), None)

    # ----- addresses -----

    def allocate(self, subnet: str, vm_uuid: str, interface: str, *, ip: Optional[str] = None,
                 portgroup: Optional[str] = None, vm_name: Optional[str] = None, dry_run: bool = False) -> Allocation:
        """The owner's address in the subnet; a new one when it has none there.

        Reuses, in order, the owner's allocated, fixed, or observed address in the subnet (an observed one
        becomes allocated, so a running VM keeps its IP). ``ip`` asks for that address; an explicit request may
        take a reserved or held-back address, never the gateway or one held by someone else. A new allocation
        replaces the owner's allocation of the same IP family in another subnet. dry_run reports the outcome
        without keeping it (the same transaction, rolled back).
        """
        with self._transaction(write=True, commit=not dry_run) as conn:
            vm_uuid, interface = _text(vm_uuid, 'vm_uuid'), _text(interface, 'interface')
            now = self._clock()
            target = self._subnet(conn, subnet)
            if portgroup is not None and not target.reachable_from(portgroup):
                raise LedgerError('subnet %s of ledger %s is not reachable from port group %s (primary: %s, additional: %s)' % (
                    subnet, self.name, portgroup, target.portgroup, ', '.join(extra.portgroup for extra in target.additional) or 'none'))
            requested = None if ip is None else self._requested(conn, target, ip, vm_uuid, interface)
            owned = sorted(conn.execute('SELECT * FROM addresses WHERE subnet = ? AND vm_uuid = ? AND interface = ? AND kind IN (?, ?, ?)',
                                        (subnet, vm_uuid, interface) + HOLDER_KINDS), key=lambda row: HOLDER_KINDS.index(row['kind']))
            reuse = next((row for row in owned if requested is None or row['ip'] == str(requested)), None)
            if reuse is not None and reuse['kind'] in (ALLOCATED, FIXED):
                self._label(conn, reuse, vm_name)
                return self._allocation(target, reuse['ip'], vm_uuid, interface, reuse['kind'], changed=False, dry_run=dry_run)
            previous = conn.execute('SELECT * FROM addresses WHERE vm_uuid = ? AND interface = ? AND family = ? AND kind = ?',
                                    (vm_uuid, interface, target.network.version, ALLOCATED)).fetchone()
            replaced = self._free(conn, [previous], now)[0] if previous is not None else None
            if reuse is not None:
                conn.execute('UPDATE addresses SET kind = ?, note = coalesce(?, note), updated_at = ? WHERE id = ?',
                             (ALLOCATED, vm_name, now, reuse['id']))
                chosen = reuse['ip']
            else:
                picked = requested if requested is not None else self._pick(conn, target, now)
                self._insert(conn, subnet, picked, ALLOCATED, vm_uuid, interface, None, portgroup, now, vm_name)
                chosen = str(picked)
            return self._allocation(target, chosen, vm_uuid, interface, ALLOCATED, changed=True, dry_run=dry_run, replaced=replaced)

    @staticmethod
    def _allocation(subnet: Subnet, ip: str, vm_uuid: str, interface: str, kind: str, **details: Any) -> Allocation:
        return Allocation(subnet.name, ip, subnet.network.prefixlen, vm_uuid, interface, kind, **details)

    def _requested(self, conn: sqlite3.Connection, subnet: Subnet, ip: str, vm_uuid: str, interface: str) -> IPAddress:
        wanted = _parse_ip(ip, 'subnet %s: ip' % subnet.name)
        if not subnet.in_range(wanted):
            raise LedgerError('subnet %s of ledger %s: ip %s is outside its range %s-%s'
                              % (subnet.name, self.name, wanted, subnet.range_start, subnet.range_end))
        if subnet.gateway == str(wanted):
            raise LedgerError('subnet %s of ledger %s: ip %s is its gateway' % (subnet.name, self.name, wanted))
        self._check_holder(conn, subnet.name, str(wanted), vm_uuid, interface)
        return wanted

    @staticmethod
    def _label(conn: sqlite3.Connection, row: sqlite3.Row, vm_name: Optional[str]) -> None:
        """Relabel a row of the owner with the VM's current name; written only when it differs (a no-op writes nothing)."""
        if vm_name is not None and row['note'] != vm_name:
            conn.execute('UPDATE addresses SET note = ? WHERE id = ?', (vm_name, row['id']))

    @staticmethod
    def _holder(conn: sqlite3.Connection, subnet: str, ip: str) -> Optional[sqlite3.Row]:
        return conn.execute('SELECT * FROM addresses WHERE subnet = ? AND ip = ? AND kind IN (?, ?, ?)', (subnet, ip) + HOLDER_KINDS).fetchone()

    def _check_holder(self, conn: sqlite3.Connection, subnet: str, ip: str, vm_uuid: str, interface: Optional[str] = None) -> Optional[sqlite3.Row]:
        """The address's holder; LedgerError when it is another VM (or, given ``interface``, another owner)."""
        holder = self._holder(conn, subnet, ip)
        if holder is not None and (holder['vm_uuid'] != vm_uuid or interface not in (None, holder['interface'])):
            verb = {ALLOCATED: 'allocated to', FIXED: 'fixed for', OBSERVED: 'observed on'}[holder['kind']]
            raise LedgerError('subnet %s of ledger %s: %s is already %s %s' % (subnet, self.name, ip, verb, _address(holder).owner))
        return holder

    def _occupancy(self, conn: sqlite3.Connection, subnet: Subnet, now: float) -> _Occupancy:
        points, spans = [], []
        for row in conn.execute('SELECT kind, ip, last_ip, expires_at FROM addresses WHERE subnet = ? AND kind != ?', (subnet.name, CONFLICT)):
            if row['kind'] != RESERVED:
                points.append(int(ipaddress.ip_address(row['ip'])))
            elif row['expires_at'] is None or row['expires_at'] > now:
                spans.append((int(ipaddress.ip_address(row['ip'])), int(ipaddress.ip_address(row['last_ip']))))
        points.extend(int(ipaddress.ip_address(row['ip'])) for row in
                      conn.execute('SELECT ip FROM held_back WHERE subnet = ? AND released_at + ? > ?', (subnet.name, subnet.hold_back, now)))
        if subnet.gateway is not None:
            points.append(int(ipaddress.ip_address(subnet.gateway)))
        return _Occupancy(*subnet.bounds, points=points, spans=spans)

    def _pick(self, conn: sqlite3.Connection, subnet: Subnet, now: float) -> IPAddress:
        occupancy = self._occupancy(conn, subnet, now)
        picked = None
        if subnet.direction == RANDOM:
            # Bounded random tries, then a scan: never enumerate a huge (IPv6) range.
            tries = (self._rng.randint(occupancy.first, occupancy.last) for count in range(RANDOM_TRIES))
            picked = next(filter(occupancy.is_free, tries), None)
        if picked is None:
            picked = occupancy.scan(-1 if subnet.direction == STEPDOWN else 1)
        if picked is None:
            held = self._held_back(conn, subnet, now)
            raise SubnetExhaustedError(subnet.name, 'all %d addresses of %s-%s are in use, reserved%s or the gateway' % (
                occupancy.size, subnet.range_start, subnet.range_end,
                ', or held back after release (%d, for %d s)' % (held, subnet.hold_back) if held else ''), self.name)
        return ipaddress.ip_address(picked)

    @staticmethod
    def _held_back(conn: sqlite3.Connection, subnet: Subnet, now: float) -> int:
        return int(conn.execute('SELECT count(*) FROM held_back WHERE subnet = ? AND released_at + ? > ?',
                                (subnet.name, subnet.hold_back, now)).fetchone()[0])

    @staticmethod
    def _free(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row], now: float) -> List[Address]:
        """Delete rows; an address they held is held back (its subnet's hold_back, counted from now) before anyone gets
        it again. The release time is kept even for a hold_back of 0, so a longer hold_back set later counts too."""
        for row in rows:
            conn.execute('DELETE FROM addresses WHERE id = ?', (row['id'],))
            if row['kind'] in HOLDER_KINDS:
                conn.execute('INSERT OR REPLACE INTO held_back (subnet, ip, released_at) VALUES (?, ?, ?)', (row['subnet'], row['ip'], now))
        return [_address(row) for row in rows]

    def release(self, vm_uuid: str, interface: str, subnet: Optional[str] = None, *, dry_run: bool = False) -> List[Address]:
        query = 'SELECT * FROM addresses WHERE vm_uuid = ? AND interface = ? AND kind IN (?, ?)' + ('' if subnet is None else ' AND subnet = ?')
        with self._transaction(write=True, commit=not dry_run) as conn:
            rows = conn.execute(query, (vm_uuid, interface, ALLOCATED, FIXED) + (() if subnet is None else (subnet,))).fetchall()
            return self._free(conn, rows, self._clock())

    def release_owner(self, vm_uuid: str, *, dry_run: bool = False) -> List[Address]:
        with self._transaction(write=True, commit=not dry_run) as conn:
            return self._free(conn, conn.execute('SELECT * FROM addresses WHERE vm_uuid = ? ORDER BY id', (vm_uuid,)).fetchall(), self._clock())

    def release_addresses(self, addresses: Iterable[Address], *, dry_run: bool = False) -> List[Address]:
        """Give back exactly these allocated or fixed rows (from ``addresses()``), matched by subnet, ip, kind and owner;
        rows that changed since are left alone. Returns what was released, each address held back as on release."""
        with self._transaction(write=True, commit=not dry_run) as conn:
            rows: Dict[int, sqlite3.Row] = {}
            for item in addresses:
                if item.kind not in (ALLOCATED, FIXED):
                    raise LedgerError('subnet %s: %s is %s, not an allocated or fixed address' % (item.subnet, item.ip, item.kind))
                row = conn.execute('SELECT * FROM addresses WHERE subnet = ? AND ip = ? AND kind = ? AND vm_uuid IS ? AND interface IS ?',
                                   (item.subnet, item.ip, item.kind, item.vm_uuid, item.interface)).fetchone()
                if row is not None:
                    rows.setdefault(row['id'], row)
            return self._free(conn, list(rows.values()), self._clock())

    def record_fixed(self, ip: str, vm_uuid: str, interface: str, *, subnet: Optional[str] = None, portgroup: Optional[str] = None,
                     mac: Optional[str] = None, vm_name: Optional[str] = None, dry_run: bool = False) -> Address:
        """Like Cloudpods' sync-fix-nics: the IP must be in a subnet reachable from ``portgroup`` and free or already
        this VM's (a reserved or held-back address is fine: a person said so). An observed row becomes fixed."""
        with self._transaction(write=True, commit=not dry_run) as conn:
            vm_uuid, interface = _text(vm_uuid, 'vm_uuid'), _text(interface, 'interface')
            address = _parse_ip(ip, 'fixed address of VM %s' % vm_uuid)
            now = self._clock()
            target = self._subnet(conn, subnet) if subnet is not None else self._match(self._load_subnets(conn), address, portgroup)
            if target is None or not target.in_range(address) or (portgroup is not None and not target.reachable_from(portgroup)):
                raise LedgerError('fixed address %s of VM %s is in no subnet range of ledger %s%s' % (
                    address, vm_uuid, self.name, '' if portgroup is None else ' reachable from port group %s' % portgroup))
            if target.gateway == str(address):
                raise LedgerError('subnet %s of ledger %s: fixed address %s is its gateway' % (target.name, self.name, address))
            holder = self._check_holder(conn, target.name, str(address), vm_uuid)
            if holder is None:
                return self._row(conn, self._insert(conn, target.name, address, FIXED, vm_uuid, interface, _mac(mac), portgroup, now, vm_name))
            if holder['kind'] == OBSERVED:
                conn.execute('UPDATE addresses SET kind = ?, interface = ?, mac = coalesce(?, mac), updated_at = ? WHERE id = ?',
                             (FIXED, interface, _mac(mac), now, holder['id']))
            self._label(conn, holder, vm_name)
            return self._row(conn, holder['id'])

    def replace_observed(self, vm_uuid: str, records: Iterable[Union[ObservedAddress, Mapping[str, Any]]], *,
                         vm_name: Optional[str] = None, dry_run: bool = False) -> ObservationResult:
        """An address held by another VM becomes a ``conflict`` row (never an overwrite). Observations of an address
        this VM already holds (allocated, fixed) just confirm it. IPs outside every reachable range are ``unmatched``."""
        recorded: List[Address] = []
        conflicts: List[Address] = []
        unmatched: List[str] = []
        kept_ids = set()
        with self._transaction(write=True, commit=not dry_run) as conn:
            vm_uuid = _text(vm_uuid, 'vm_uuid')
            observed = [_record(ObservedAddress, item, 'observed address of VM %s' % vm_uuid) for item in records]
            now = self._clock()
            subnets = self._load_subnets(conn)
            old_rows = conn.execute('SELECT * FROM addresses WHERE vm_uuid = ? AND kind IN (?, ?) ORDER BY id', (vm_uuid, OBSERVED, CONFLICT)).fetchall()
            for item in observed:
                address = _parse_ip(item.ip, 'observed address of VM %s' % vm_uuid)
                target = self._subnet(conn, item.subnet) if item.subnet is not None else self._match(subnets, address, item.portgroup)
                if target is None or not target.in_range(address):
                    unmatched.append(str(address))
                    continue
                row_id = self._observe(conn, target.name, address, vm_uuid, item, now, vm_name)
                kept_ids.add(row_id)
                row = self._row(conn, row_id)
                (conflicts if row.kind == CONFLICT else recorded).append(row)
            removed = self._free(conn, [row for row in old_rows if row['id'] not in kept_ids], now)
            new_rows = conn.execute('SELECT * FROM addresses WHERE vm_uuid = ? AND kind IN (?, ?) ORDER BY id', (vm_uuid, OBSERVED, CONFLICT)).fetchall()
        signature = ('subnet', 'ip', 'kind', 'interface', 'mac', 'portgroup')
        changed = {tuple(row[key] for key in signature) for row in old_rows} != {tuple(row[key] for key in signature) for row in new_rows}
        return ObservationResult(tuple(recorded), tuple(conflicts), tuple(removed), tuple(unmatched), changed)

    def _observe(self, conn: sqlite3.Connection, subnet: str, address: IPAddress, vm_uuid: str, item: ObservedAddress, now: float,
                 vm_name: Optional[str]) -> int:
        """Record one observation; returns the id of the row that now represents it."""
        holder = self._holder(conn, subnet, str(address))
        if holder is not None and holder['vm_uuid'] == vm_uuid:   # same VM, maybe another NIC name: not a conflict
            self._label(conn, holder, vm_name)
            if holder['kind'] != OBSERVED:
                return int(holder['id'])   # allocated or fixed: the observation confirms it
            row_id = holder['id']
        else:
            kind = OBSERVED if holder is None else CONFLICT
            existing = conn.execute('SELECT id, note FROM addresses WHERE subnet = ? AND ip = ? AND vm_uuid = ? AND interface = ? AND kind = ?',
                                    (subnet, str(address), vm_uuid, item.interface, kind)).fetchone()
            if existing is None:
                return self._insert(conn, subnet, address, kind, vm_uuid, item.interface, _mac(item.mac), item.portgroup, now, vm_name)
            self._label(conn, existing, vm_name)
            row_id = existing['id']
        # Only a real change is written: a sync that finds nothing new leaves the file as it was.
        conn.execute('UPDATE addresses SET interface = ?, mac = ?, portgroup = ?, updated_at = ? '
                     'WHERE id = ? AND (interface IS NOT ? OR mac IS NOT ? OR portgroup IS NOT ?)',
                     (item.interface, _mac(item.mac), item.portgroup, now, row_id, item.interface, _mac(item.mac), item.portgroup))
        return int(row_id)

    @staticmethod
    def _insert(conn: sqlite3.Connection, subnet: str, address: IPAddress, kind: str, vm_uuid: str, interface: str,
                mac: Optional[str], portgroup: Optional[str], now: float, vm_name: Optional[str] = None) -> int:
        if kind in HOLDER_KINDS:   # in use now, so no longer held back
            conn.execute('DELETE FROM held_back WHERE subnet = ? AND ip = ?', (subnet, str(address)))
        cursor = conn.execute('INSERT INTO addresses (subnet, ip, family, kind, vm_uuid, interface, mac, portgroup, note, created_at, updated_at) '
                              'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                              (subnet, str(address), address.version, kind, vm_uuid, interface, mac, portgroup, vm_name, now, now))
        return int(cursor.lastrowid or 0)

    @staticmethod
    def _row(conn: sqlite3.Connection, row_id: int) -> Address:
        return _address(conn.execute('SELECT * FROM addresses WHERE id = ?', (row_id,)).fetchone())

    def addresses(self, subnet: Optional[str] = None, vm_uuid: Optional[str] = None) -> List[Address]:
        """Ledger rows, optionally of one subnet and/or one VM, in subnet then insertion order."""
        clauses = [(column, value) for column, value in (('subnet', subnet), ('vm_uuid', vm_uuid)) if value is not None]
        where = ' AND '.join('%s = ?' % column for column, value in clauses) or '1'
        with self._transaction() as conn:
            return [_address(row) for row in conn.execute('SELECT %s FROM addresses WHERE %s ORDER BY subnet, id' % (_ADDRESS_COLUMNS, where),
                                                          tuple(value for column, value in clauses))]

    def usage(self, subnet: Optional[str] = None) -> List[Usage]:
        with self._transaction() as conn:
            now = self._clock()
            result = []
            for declared in [self._subnet(conn, subnet)] if subnet is not None else self._load_subnets(conn):
                counts = dict(conn.execute('SELECT kind, count(*) FROM addresses WHERE subnet = ? GROUP BY kind', (declared.name,)).fetchall())
                occupancy = self._occupancy(conn, declared, now)
                reserved = _Occupancy(*declared.bounds, spans=[
                    (int(ipaddress.ip_address(item.start)), int(ipaddress.ip_address(item.end)))
                    for item in declared.reserved if item.expires_at is None or item.expires_at > now])
                held = self._held_back(conn, declared, now)
                result.append(Usage(declared.name, declared.cidr, occupancy.size, occupancy.used, occupancy.size - occupancy.used,
                                    counts.get(ALLOCATED, 0), counts.get(OBSERVED, 0), counts.get(FIXED, 0), reserved.used, held,
                                    counts.get(CONFLICT, 0)))
            return result


def _mac(value: Optional[str]) -> Optional[str]:
    """Lowercase, colon-separated, as in the model."""
    return None if value is None else value.strip().lower().replace('-', ':')


def _record(cls: Any, item: Any, what: str) -> Any:
    """A record dataclass from itself or from a mapping of its fields."""
    if isinstance(item, cls):
        return item
    names = [column.name for column in fields(cls)]
    if not isinstance(item, Mapping) or set(item) - set(names):
        raise LedgerError('%s: %r is not a mapping with keys among %s' % (what, item, ', '.join(names)))
    try:
        return cls(**item)
    except TypeError as exc:   # a required key is missing
        raise LedgerError('%s: %r: %s' % (what, item, exc)) from None
