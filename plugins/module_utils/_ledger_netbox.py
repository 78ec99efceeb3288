# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The subnet ledger kept in NetBox (``NetboxLedger``), for AWX and for teams. PRIVATE to the collection.

Its locations are NetBox's URL (``https://netbox.example.com``, ``http://...``), and ``netbox``: the URL in the
environment variable ``NETBOX_URL``, else ``NETBOX_API`` (netbox.netbox's names), read when the ledger is opened. The
token is the ``token`` option of ``open_ledger``/``check_writable`` (the modules' ``ledger_token``), else the
environment variable ``NETBOX_TOKEN`` (netbox.netbox's name).
``validate_certs`` (default true; the modules' ``ledger_validate_certs``) and ``timeout`` (seconds per request) are
options too; a custom CA bundle works through ``SSL_CERT_FILE``. A v2 token
(``nbt_...``) is sent as ``Authorization: Bearer``, a v1 token as ``Token``. Only the standard library (urllib, json, ssl):
modules run on hosts without pynetbox. The token never appears in a message.

Where things are in NetBox (so NetBox users find them where they look):

- A subnet is an **ipam.prefix** tagged ``guestnet``, named by the custom field ``guestnet_subnet`` (text), with the rest
  of the declaration (range, direction, gateway, DNS, search domains, MTU, primary and additional port groups, hold-back,
  reservations) in the JSON custom field ``guestnet_settings``. A prefix that exists already with the same CIDR is
  adopted (tag and custom fields added; ``settings.adopted``), and on ``delete_subnet`` it only loses them again.
  What NetBox can show on its own is mirrored as NetBox objects: the gateway is an ip-address (kind ``gateway``, unless
  NetBox has an address there already), and every part of the prefix that is not allocatable (active reservations, the
  parts outside range_start..range_end) is an **ipam.ip-range** tagged ``guestnet`` with ``mark_populated`` set, so
  NetBox's own available-ips skips them.
- An address is an **ipam.ip-address** tagged ``guestnet`` with the custom fields ``guestnet_subnet``, ``guestnet_kind``
  (``allocated``, ``fixed``, ``observed``, ``held_back``, ``gateway``), ``guestnet_vm_uuid`` (the owner: the VM's
  instance UUID), ``guestnet_interface`` and ``guestnet_record`` (JSON: mac, port group, times, conflicting claims), and a
  description a person reads in NetBox's UI and finds with its search ("web01 eth0 (guestnet: allocated to VM <uuid>)",
  the VM's name kept in the record's ``vm_name``; without a name "guestnet: allocated to VM <uuid> eth0"). New allocations come from
  NetBox's own atomic allocation, ``POST /api/ipam/prefixes/{id}/available-ips/`` (NetBox serialises it with a
  PostgreSQL advisory lock); an address asked for by ``ip``, a fixed and an observed one are created as that address,
  under the same lock, refused by NetBox when the address exists (ENFORCE_GLOBAL_UNIQUE, NetBox's default).
- Release: the ip-address stays, as status ``deprecated`` and kind ``held_back`` (owner cleared, ``released_at`` in its
  record) for the subnet's hold_back seconds, so NetBox's allocation skips it too; expired ones are deleted before the
  next allocation in that prefix. With hold_back 0 it is deleted at once.
- Conflicts (an address another VM holds, as the guest reports it) are claims in the holder's ``guestnet_record`` plus
  the tag ``guestnet-conflict`` on it: NetBox (global uniqueness) keeps one ip-address per address, and a conflict is
  reported, never written over the holder.
- Port groups (``sync_networks``) are the JSON data of one **config context** "guestnet.vsphere port groups", kept
  inactive (``is_active: false``) so it applies to no device or VM: a port group is not a VLAN (it may have none, or a
  trunk), and NetBox has no object for a vSphere port group; a config context is NetBox's JSON document. Additional
  port groups of a subnet are in its ``guestnet_settings``.
- The custom fields and the tags are created by the first ``upsert_subnet`` that needs them (idempotent); a custom field
  that exists with another type is a LedgerError naming it. A dry run never creates them.

Transactions: NetBox has none that span requests. Each change keeps an undo log of its writes and, on an exception or a
dry run, reverts them newest first (a deleted object comes back with a new id; its references are remapped). ``batch``
does the same for all its changes. Atomic on the server: each single request, and every allocation (available-ips, or
the creation of one address, under NetBox's lock with its uniqueness check): two owners never hold one address. Not
atomic: a multi-request change as seen by others (another process may see a half-made change, or a dry run's address,
for the milliseconds until it is finished or reverted), the read-modify-write of a prefix's ``guestnet_settings``
(additional port groups; subnet_sync is its only writer) and of the port-group config context. A revert that fails
(NetBox gone meanwhile) is a LedgerError listing what was not undone. A dry-run ``allocate`` or ``allocate_all`` (the VM modules'
check mode, and their trial before a change) only reads (available-ips GET; ``allocate_all`` skips what it previewed for
the interfaces before); other dry runs write and undo, so NetBox's change log shows them. One allocation
per owner and family has no unique index in NetBox: after creating one the owner's allocations are read again, and of
two made at once for one owner the lower id stands. The subnet's ``direction`` is kept but NetBox hands out the lowest
free address (its available-ips has no other order).

``exists`` is always true (a server-side ledger), so ``scratch`` (an in-memory SQLite ledger named after the URL, for
subnet_sync's trial of a new ledger) is never needed by the callers but answers as the contract says.

Nothing here imports Ansible or pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import json
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (
    ALLOCATED, CONFLICT, DETECTED, FIXED, HOLDER_KINDS, MARKED, MEMORY, OBSERVED, RESERVED, AdditionalPortgroup, Address, AddressRequest,
    Allocation, L2Network, LedgerBackend, LedgerError, ObservationResult, ObservedAddress, Reservation, SqliteLedger, Subnet,
    SubnetExhaustedError, UnknownSubnetError, Usage, _declare_subnet, _mac, _Occupancy, _parse_ip, _record, _text, _usable)

DEFAULT_TIMEOUT_SECONDS = 30.0
# What a dry run of allocate_all previewed so far: (subnet, vm_uuid, interface) -> ip.
_Previews = Dict[Tuple[str, str, str], str]
TAG = 'guestnet'
CONFLICT_TAG = 'guestnet-conflict'
HELD_BACK, GATEWAY = 'held_back', 'gateway'
NETWORKS_CONTEXT = 'guestnet.vsphere port groups'
PREFIX, IP, RANGE = 'ipam.prefix', 'ipam.ipaddress', 'ipam.iprange'
# name: (type, object types, label)
CUSTOM_FIELDS: Dict[str, Tuple[str, Tuple[str, ...], str]] = {
    'guestnet_subnet': ('text', (PREFIX, IP, RANGE), 'Subnet (guestnet)'),
    'guestnet_settings': ('json', (PREFIX,), 'Subnet settings (guestnet)'),
    'guestnet_kind': ('text', (IP, RANGE), 'Kind (guestnet)'),
    'guestnet_vm_uuid': ('text', (IP,), 'VM instance UUID (guestnet)'),
    'guestnet_interface': ('text', (IP,), 'VM interface (guestnet)'),
    'guestnet_record': ('json', (IP, RANGE), 'Record (guestnet)'),
}
ENDPOINTS = {'prefix': '/api/ipam/prefixes/', 'ip': '/api/ipam/ip-addresses/', 'range': '/api/ipam/ip-ranges/',
             'context': '/api/extras/config-contexts/', 'field': '/api/extras/custom-fields/', 'tag': '/api/extras/tags/'}
# The fields that bring a deleted object back (undo of a delete).
_RECREATE = {
    'prefix': ('prefix', 'status', 'description', 'vrf', 'tags', 'custom_fields'),
    'ip': ('address', 'status', 'description', 'dns_name', 'vrf', 'tags', 'custom_fields'),
    'range': ('start_address', 'end_address', 'status', 'description', 'mark_populated', 'vrf', 'tags', 'custom_fields'),
    'context': ('name', 'weight', 'is_active', 'description', 'data'),
}
_HTTP = re.compile(r'^https?://[^/\s]+', re.IGNORECASE)
# The location `netbox`: the NetBox whose URL the environment names (netbox.netbox's variables, in this order).
FROM_ENVIRONMENT = 'netbox'
URL_VARIABLES = ('NETBOX_URL', 'NETBOX_API')
_LOOPBACK = ('localhost', '127.0.0.1', '::1', '[::1]')
_INSIDE_RANGE = 'Cannot create IP address'


def _plain(value: Any) -> Any:
    """A value as NetBox takes it back in a write: a choice's value, a related object's id, tags by name."""
    if isinstance(value, dict) and 'value' in value and 'label' in value:
        return value['value']
    if isinstance(value, dict) and 'id' in value:
        return value['id']
    if isinstance(value, list) and value and isinstance(value[0], dict) and 'slug' in value[0]:
        return [{'name': item['name']} for item in value]
    return value


def _cf(obj: Mapping[str, Any], name: str) -> Any:
    return (obj.get('custom_fields') or {}).get(name)


def _host(address: str) -> str:
    """'10.0.0.5/24' -> '10.0.0.5'."""
    return str(ipaddress.ip_interface(address).ip)


class NetboxLedger(LedgerBackend):
    """The ledger in NetBox, safe for many processes on many machines (see the module doc)."""

    kind = 'netbox'
    connection_options = ('token', 'validate_certs')   # the modules' ledger_token and ledger_validate_certs
    locations = "NetBox's URL (https://netbox.example.com, or netbox for the URL in NETBOX_URL)"

    # ----- the location (class side) -----

    @classmethod
    def handles(cls, location: str) -> bool:
        """``http://host...``, ``https://host...`` and ``netbox`` (the URL in NETBOX_URL or NETBOX_API, read when opened)."""
        return isinstance(location, str) and (_HTTP.match(location.strip()) is not None or location.strip().lower() == FROM_ENVIRONMENT)

    @classmethod
    def exists(cls, location: str) -> bool:
        """Always: NetBox is there (or opening it fails with its own error)."""
        return True

    @classmethod
    def check_writable(cls, location: str, **options: Any) -> None:
        """NetBox answers, takes the token, and has no custom field of ours with another type (what opening reads);
        and a v2 token that NetBox lists (GET /api/users/tokens/?key=) is enabled and write-enabled. Creates and changes
        nothing. The user's object permissions are not probed (that needs a write): a change they refuse fails then,
        with nothing kept. Options: token, validate_certs, timeout."""
        ledger = cls(location, **options)
        try:
            ledger.check_token()
        finally:
            ledger.close()

    def check_token(self) -> None:
        """LedgerError when NetBox lists this v2 token as disabled or read-only; nothing when it does not list it (a
        user without the permission to view tokens, a v1 token)."""
        token = self.__auth.split(' ', 1)[1]
        if not token.startswith('nbt_') or '.' not in token:
            return
        key = token[len('nbt_'):].split('.', 1)[0]
        status, answer = self._call('GET', '/api/users/tokens/?' + urllib.parse.urlencode({'key': key}), ok=(200, 403, 404))
        found = [item for item in (answer or {}).get('results') or () if item.get('key') == key] if status == 200 else []
        if found and not (found[0].get('enabled', True) and found[0].get('write_enabled', True)):
            raise LedgerError('ledger %s: the NetBox token is %s; give a token that may write (write_enabled)'
                              % (self.name, 'disabled' if not found[0].get('enabled', True) else 'read-only (write_enabled: false)'))

    @classmethod
    def location_warning(cls, location: str) -> Optional[str]:
        """Plain http to a host that is not this one: the token travels in clear text."""
        url = cls._clean(location)
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme.lower() == 'http' and (parsed.hostname or '') not in _LOOPBACK:
            return 'ledger %s is plain http: the NetBox token travels in clear text; use https' % url
        return None

    @classmethod
    def scratch(cls, location: str) -> LedgerBackend:
        """An in-memory SQLite ledger named after the URL (validation is shared, so it answers as an empty NetBox
        ledger would)."""
        return SqliteLedger(MEMORY, name=cls._clean(location))

    @staticmethod
    def _clean(location: str) -> str:
        """The URL as messages name it: without credentials, query or trailing slash. ``netbox``: the environment's URL
        (LedgerError when it names none, or no http(s) URL)."""
        if location.strip().lower() == FROM_ENVIRONMENT:
            found = [(name, os.environ[name].strip()) for name in URL_VARIABLES if (os.environ.get(name) or '').strip()]
            if not found:
                raise LedgerError('ledger %s: the NetBox URL comes from %s, which the environment the modules run in does not set'
                                  % (location.strip(), ' or '.join(URL_VARIABLES)))
            name, location = found[0]
            if _HTTP.match(location) is None:
                raise LedgerError('ledger %s: %s is %r, not an http:// or https:// URL' % (FROM_ENVIRONMENT, name, location))
        parsed = urllib.parse.urlsplit(location.strip())
        netloc = parsed.netloc.rsplit('@', 1)[-1]
        return urllib.parse.urlunsplit((parsed.scheme, netloc, parsed.path.rstrip('/'), '', ''))

    # ----- lifetime -----

    def __init__(self, location: str, *, token: Optional[str] = None, validate_certs: bool = True,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.url = self._clean(location)
        self.name = self.url
        if self.url.endswith('/api'):
            self.url = self.url[:-4]
        token = token or os.environ.get('NETBOX_TOKEN')
        if not token or not str(token).strip():
            raise LedgerError('ledger %s: no NetBox token: give ledger_token, or set NETBOX_TOKEN in the environment the modules run in'
                              % self.name)
        token = str(token).strip()
        self.__auth = ('Bearer ' if token.startswith('nbt_') else 'Token ') + token
        self.timeout = timeout
        self._clock = clock
        context = ssl.create_default_context()   # SSL_CERT_FILE / SSL_CERT_DIR pick another CA bundle
        if not validate_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # build_opener keeps urllib's ProxyHandler: http_proxy/https_proxy/no_proxy apply, as they do for pynetbox (requests).
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        self._log: List[Tuple[str, str, Optional[int], Any]] = []   # undo: (method, kind, id, body), oldest first
        self._batch_depth = 0
        self._fields: Dict[str, Dict[str, Any]] = {}
        self._tags: Dict[str, Dict[str, Any]] = {}
        self._closed = False
        self._call('GET', '/api/status/')
        self._load_schema()

    def __repr__(self) -> str:   # never the token
        return 'NetboxLedger(%r)' % self.name

    def close(self) -> None:
        self._closed = True

    def now(self) -> float:
        return self._clock()

    # ----- HTTP -----

    def _call(self, method: str, path: str, body: Any = None, ok: Sequence[int] = (200, 201, 204), what: str = '') -> Tuple[int, Any]:
        """(status, decoded answer); LedgerError naming the URL (never the token) for no answer, a refused token and an
        answer outside ``ok``."""
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            'Authorization': self.__auth, 'Accept': 'application/json', 'Content-Type': 'application/json'})
        what = '%s %s%s' % (method, path.split('?', 1)[0], ' (%s)' % what if what else '')
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except ssl.SSLError as exc:
            raise LedgerError('ledger %s: TLS with NetBox failed (%s); give its CA with SSL_CERT_FILE, or set ledger_validate_certs: false for a lab'
                              % (self.name, exc)) from None
        except (urllib.error.URLError, socket.timeout, OSError) as exc:
            reason = getattr(exc, 'reason', exc)
            if isinstance(reason, ssl.SSLError):
                raise LedgerError('ledger %s: TLS with NetBox failed (%s); give its CA with SSL_CERT_FILE, or set ledger_validate_certs: false for a lab'
                                  % (self.name, reason)) from None
            raise LedgerError('ledger %s: NetBox does not answer (%s: %s); check the URL and that NetBox runs'
                              % (self.name, what, reason)) from None
        try:
            decoded = json.loads(raw.decode('utf-8')) if raw else None
        except ValueError:
            decoded = raw[:200].decode('utf-8', 'replace')
        if status in (401, 403) and status not in ok:
            detail = decoded.get('detail') if isinstance(decoded, dict) else decoded
            raise LedgerError('ledger %s: NetBox refused the token (HTTP %d on %s: %s); check ledger_token (or NETBOX_TOKEN), and that '
                              'the token may %s' % (self.name, status, what, detail, 'write (write_enabled)' if method != 'GET' else 'read IPAM'))
        if status not in ok:
            raise LedgerError('ledger %s: NetBox answered HTTP %d to %s: %s' % (self.name, status, what, self._detail(decoded)))
        return status, decoded

    @staticmethod
    def _detail(decoded: Any) -> str:
        if isinstance(decoded, dict):
            return '; '.join('%s: %s' % (key, ' '.join(map(str, value)) if isinstance(value, list) else value) for key, value in decoded.items())
        if isinstance(decoded, list):
            return '; '.join(NetboxLedger._detail(item) for item in decoded)
        return str(decoded)

    def _list(self, kind: str, query: Mapping[str, Any]) -> List[Dict[str, Any]]:
        params = dict(query, limit=0)
        dummy, answer = self._call('GET', ENDPOINTS[kind] + '?' + urllib.parse.urlencode(params, doseq=True))
        results = list(answer['results'])
        while answer.get('next'):   # limit=0 is capped by MAX_PAGE_SIZE
            parsed = urllib.parse.urlsplit(answer['next'])
            dummy, answer = self._call('GET', parsed.path + '?' + parsed.query)
            results.extend(answer['results'])
        return results

    # ----- writes, each with its undo -----

    def _create(self, kind: str, body: Dict[str, Any], what: str = '', path: Optional[str] = None) -> Dict[str, Any]:
        status, obj = self._call('POST', path or ENDPOINTS[kind], body, ok=(201,), what=what)
        del status
        self._log.append(('DELETE', kind, obj['id'], None))
        return obj

    def _try_create(self, kind: str, body: Dict[str, Any], what: str) -> Tuple[Optional[Dict[str, Any]], str]:
        """(the object, '') or (None, NetBox's reason) when it refused it with 400 (a duplicate, inside a populated range)."""
        status, obj = self._call('POST', ENDPOINTS[kind], body, ok=(201, 400), what=what)
        if status == 400:
            return None, self._detail(obj)
        self._log.append(('DELETE', kind, obj['id'], None))
        return obj, ''

    def _patch(self, kind: str, before: Mapping[str, Any], body: Dict[str, Any], what: str = '') -> Dict[str, Any]:
        restore: Dict[str, Any] = {}
        for key, value in body.items():
            if key == 'custom_fields':
                restore[key] = {name: _cf(before, name) for name in value}
            else:
                restore[key] = _plain(before.get(key))
        dummy, obj = self._call('PATCH', '%s%d/' % (ENDPOINTS[kind], before['id']), body, what=what)
        self._log.append(('PATCH', kind, before['id'], restore))
        return obj

    def _delete(self, kind: str, before: Mapping[str, Any], what: str = '') -> None:
        self._call('DELETE', '%s%d/' % (ENDPOINTS[kind], before['id']), ok=(204, 404), what=what)
        self._log.append(('POST', kind, before['id'], {key: _plain(before.get(key)) for key in _RECREATE[kind] if key in before}))

    def _revert(self, mark: int) -> None:
        """Undo the log's entries after ``mark``, newest first. A recreated object gets a new id: later (older) entries
        about it use that one."""
        entries, self._log[mark:] = self._log[mark:], []
        remap: Dict[Tuple[str, int], int] = {}
        failed = []
        for method, kind, obj_id, body in reversed(entries):
            obj_id = remap.get((kind, obj_id), obj_id) if obj_id is not None else None
            try:
                if method == 'DELETE':
                    self._call('DELETE', '%s%d/' % (ENDPOINTS[kind], obj_id), ok=(204, 404), what='undo')
                elif method == 'PATCH':
                    self._call('PATCH', '%s%d/' % (ENDPOINTS[kind], obj_id), body, what='undo')
                else:
                    dummy, obj = self._call('POST', ENDPOINTS[kind], body, ok=(201,), what='undo')
                    remap[(kind, obj_id)] = obj['id']
            except LedgerError as exc:
                failed.append('%s %s %s: %s' % (method, kind, obj_id, exc))
        if failed:
            raise LedgerError('ledger %s: could not undo %d change(s) in NetBox: %s' % (self.name, len(failed), ' | '.join(failed)))

    @contextmanager
    def _change(self, dry_run: bool) -> Iterator[None]:
        """One change: reverted on an exception or a dry run; kept (its log dropped) outside a batch."""
        if self._closed:
            raise LedgerError('ledger %s is closed' % self.name)
        mark = len(self._log)
        try:
            yield
        except BaseException as exc:
            self._revert(mark)
            if isinstance(exc, LedgerError) and self.name not in str(exc):
                exc.args = ('%s (ledger %s)' % (exc, self.name),) + tuple(exc.args[1:])
            raise
        if dry_run:
            self._revert(mark)
        elif not self._batch_depth:
            del self._log[mark:]

    @contextmanager
    def batch(self, *, dry_run: bool = False) -> Iterator[NetboxLedger]:
        """Several changes as one: an undo log reverted on an exception or at the end of a dry run (see the module doc
        for what others see meanwhile). Nested batches belong to the outermost."""
        mark = len(self._log)
        self._batch_depth += 1
        try:
            yield self
        except BaseException:
            self._batch_depth -= 1
            self._revert(mark)
            raise
        self._batch_depth -= 1
        if dry_run:
            self._revert(mark)
        elif not self._batch_depth:
            del self._log[mark:]

    # ----- the schema: custom fields and tags -----

    def _load_schema(self) -> None:
        self._fields = {item['name']: item for item in self._list('field', {'name': sorted(CUSTOM_FIELDS)}) if item['name'] in CUSTOM_FIELDS}
        for name, item in self._fields.items():
            wanted = CUSTOM_FIELDS[name][0]
            if _plain(item.get('type')) != wanted:
                raise LedgerError('ledger %s: NetBox custom field %s is of type %s, not %s as guestnet needs; delete or rename it'
                                  % (self.name, name, _plain(item.get('type')), wanted))
        self._tags = {item['slug']: item for item in self._list('tag', {'slug': [TAG, CONFLICT_TAG]}) if item['slug'] in (TAG, CONFLICT_TAG)}

    @property
    def _ready(self) -> bool:
        return (len(self._tags) == 2 and set(self._fields) == set(CUSTOM_FIELDS)
                and all(set(CUSTOM_FIELDS[name][1]) <= set(item['object_types']) for name, item in self._fields.items()))

    def _ensure_schema(self) -> None:
        """Create the custom fields and tags guestnet needs, or add object types to one that lacks them; not undone
        (they hold no ledger data); another process creating them at the same time is fine."""
        if self._ready:
            return
        for name, (kind, types, label) in CUSTOM_FIELDS.items():
            item = self._fields.get(name)
            if item is None:
                self._call('POST', ENDPOINTS['field'], {
                    'name': name, 'label': label, 'type': kind, 'object_types': list(types), 'required': False,
                    'description': 'guestnet.vsphere subnet ledger'}, ok=(201, 400), what='create custom field %s' % name)
            elif not set(types) <= set(item['object_types']):
                self._call('PATCH', '%s%d/' % (ENDPOINTS['field'], item['id']),
                           {'object_types': sorted(set(types) | set(item['object_types']))}, what='custom field %s' % name)
        for slug, color in ((TAG, '2196f3'), (CONFLICT_TAG, 'f44336')):
            if slug not in self._tags:
                self._call('POST', ENDPOINTS['tag'], {'name': slug, 'slug': slug, 'color': color,
                                                      'description': 'guestnet.vsphere subnet ledger'}, ok=(201, 400), what='create tag %s' % slug)
        self._load_schema()
        if not self._ready:
            raise LedgerError('ledger %s: could not create the custom fields %s and tags %s, %s in NetBox'
                              % (self.name, ', '.join(sorted(CUSTOM_FIELDS)), TAG, CONFLICT_TAG))

    # ----- subnets: reading -----

    def _prefixes(self, name: Optional[str] = None) -> Dict[str, Tuple[Subnet, Dict[str, Any]]]:
        """The guestnet prefixes (by subnet name, or the one named), as Subnet records with their NetBox objects."""
        if not self._ready:
            return {}
        query: Dict[str, Any] = {'tag': TAG}
        if name is not None:
            query['cf_guestnet_subnet'] = name
        result = {}
        for obj in self._list('prefix', query):
            subnet = self._subnet_of(obj)
            if name is None or subnet.name == name:   # filters NetBox does not know are ignored by it: check
                result[subnet.name] = (subnet, obj)
        return result

    def _subnet_of(self, obj: Mapping[str, Any]) -> Subnet:
        custom = obj.get('custom_fields') or {}
        for field in ('guestnet_subnet', 'guestnet_settings'):
            if field not in custom:
                raise LedgerError('ledger %s: prefix %s (tagged %s) has no custom field %s; NetBox lost the field: run subnet_sync or '
                                  'upsert the subnet again to create it' % (self.name, obj['prefix'], TAG, field))
        name, settings = custom['guestnet_subnet'], custom['guestnet_settings']
        if not name:
            raise LedgerError('ledger %s: prefix %s is tagged %s but its custom field guestnet_subnet is empty; name the subnet there or '
                              'remove the tag' % (self.name, obj['prefix'], TAG))
        if not isinstance(settings, dict):
            raise LedgerError('ledger %s: prefix %s (subnet %s) has no guestnet_settings (custom field value %r); upsert the subnet again'
                              % (self.name, obj['prefix'], name, settings))
        try:
            return Subnet(
                name=name, cidr=str(ipaddress.ip_network(obj['prefix'])), range_start=settings['range_start'], range_end=settings['range_end'],
                direction=settings['direction'], gateway=settings.get('gateway'),
                reserved=tuple(Reservation(item['start'], item['end'], item.get('expires_at'), item.get('note') or '')
                               for item in settings.get('reserved') or ()),
                nameservers=tuple(settings.get('nameservers') or ()), search_domains=tuple(settings.get('search_domains') or ()),
                mtu=settings.get('mtu'), portgroup=settings.get('portgroup'),
                additional=tuple(AdditionalPortgroup(item['portgroup'], item['added_by']) for item in settings.get('additional') or ()),
                hold_back=int(settings['hold_back']))
        except (KeyError, TypeError, ValueError) as exc:
            raise LedgerError('ledger %s: prefix %s (subnet %s): guestnet_settings is not valid (%s: %s); upsert the subnet again'
                              % (self.name, obj['prefix'], name, type(exc).__name__, exc)) from None

    def _one(self, name: str) -> Tuple[Subnet, Dict[str, Any]]:
        found = self._prefixes(name).get(name)
        if found is None:
            raise UnknownSubnetError(name, '%s (no prefix tagged %s with guestnet_subnet %s)' % (self.name, TAG, name))
        return found

    def get_subnet(self, name: str) -> Subnet:
        return self._one(name)[0]

    def list_subnets(self) -> List[Subnet]:
        return [subnet for name, (subnet, obj) in sorted(self._prefixes().items())]

    def find_subnet_for_ip(self, ip: str, portgroup: Optional[str] = None) -> Optional[Subnet]:
        return super().find_subnet_for_ip(ip, portgroup)

    @staticmethod
    def _settings(subnet: Subnet, adopted: bool) -> Dict[str, Any]:
        return {
            'range_start': subnet.range_start, 'range_end': subnet.range_end, 'direction': subnet.direction, 'gateway': subnet.gateway,
            'nameservers': list(subnet.nameservers), 'search_domains': list(subnet.search_domains), 'mtu': subnet.mtu,
            'portgroup': subnet.portgroup, 'hold_back': subnet.hold_back, 'adopted': adopted,
            'additional': [{'portgroup': item.portgroup, 'added_by': item.added_by} for item in subnet.additional],
            'reserved': [{'start': item.start, 'end': item.end, 'expires_at': item.expires_at, 'note': item.note} for item in subnet.reserved],
        }

    def _save_settings(self, subnet: Subnet, obj: Mapping[str, Any]) -> None:
        adopted = bool((_cf(obj, 'guestnet_settings') or {}).get('adopted'))
        self._patch('prefix', obj, {'custom_fields': {'guestnet_settings': self._settings(subnet, adopted)}},
                    what='prefix %s (subnet %s)' % (obj['prefix'], subnet.name))

    # ----- addresses: reading -----

    def _ips(self, **filters: str) -> List[Dict[str, Any]]:
        """guestnet ip-addresses with these custom field values (checked here too), by id."""
        if not self._ready:
            return []
        query: Dict[str, Any] = {'tag': TAG}
        query.update(('cf_guestnet_' + key, value) for key, value in filters.items())
        return sorted((obj for obj in self._list('ip', query) if all(_cf(obj, 'guestnet_' + key) == value for key, value in filters.items())),
                      key=lambda obj: obj['id'])

    def _at(self, subnet: Subnet, ip: str) -> List[Dict[str, Any]]:
        """Every ip-address NetBox has at ``ip`` (ours or not) in the subnet's prefix length or any."""
        return [obj for obj in self._list('ip', {'address': ip}) if _host(obj['address']) == ip]

    @staticmethod
    def _record_of(obj: Mapping[str, Any]) -> Dict[str, Any]:
        record = _cf(obj, 'guestnet_record')
        return dict(record) if isinstance(record, dict) else {}

    def _address(self, obj: Mapping[str, Any]) -> Address:
        record = self._record_of(obj)
        return Address(subnet=_cf(obj, 'guestnet_subnet'), ip=_host(obj['address']), kind=_cf(obj, 'guestnet_kind'),
                       vm_uuid=_cf(obj, 'guestnet_vm_uuid'), interface=_cf(obj, 'guestnet_interface'), mac=record.get('mac'),
                       portgroup=record.get('portgroup'), note=record.get('vm_name'), created_at=float(record.get('created_at') or 0.0),
                       updated_at=float(record.get('updated_at') or 0.0))

    @staticmethod
    def _claims(obj: Mapping[str, Any]) -> List[Dict[str, Any]]:
        return list(NetboxLedger._record_of(obj).get('claims') or [])

    def _claim_address(self, obj: Mapping[str, Any], claim: Mapping[str, Any]) -> Address:
        return Address(subnet=_cf(obj, 'guestnet_subnet') or claim.get('subnet'), ip=_host(obj['address']), kind=CONFLICT,
                       vm_uuid=claim['vm_uuid'], interface=claim['interface'], mac=claim.get('mac'), portgroup=claim.get('portgroup'),
                       note=claim.get('vm_name'), created_at=float(claim.get('created_at') or 0.0), updated_at=float(claim.get('updated_at') or 0.0))

    def _conflicted(self) -> List[Dict[str, Any]]:
        if not self._ready:
            return []
        return sorted(self._list('ip', {'tag': CONFLICT_TAG}), key=lambda obj: obj['id'])

    @staticmethod
    def _describe(kind: str, vm_uuid: Optional[str], interface: Optional[str], vm_name: Optional[str] = None) -> str:
        """The ip-address's description, what NetBox's lists and search show: the VM's name and interface first."""
        verb = {ALLOCATED: 'allocated to', FIXED: 'fixed on', OBSERVED: 'observed on'}.get(kind, kind)
        if vm_name:
            return ('%s %s (guestnet: %s VM %s)' % (vm_name, interface, verb, vm_uuid))[:200]
        return ('guestnet: %s VM %s %s' % (verb, vm_uuid, interface))[:200]

    def _holder_body(self, subnet: Subnet, kind: str, vm_uuid: str, interface: str, mac: Optional[str], portgroup: Optional[str],
                     now: float, record: Optional[Dict[str, Any]] = None, vm_name: Optional[str] = None) -> Dict[str, Any]:
        record = dict(record or {})
        record.pop('released_at', None)
        record.update(mac=mac, portgroup=portgroup, updated_at=now)
        record.setdefault('created_at', now)
        if vm_name is not None:
            record['vm_name'] = vm_name
        description = self._describe(kind, vm_uuid, interface, record.get('vm_name'))
        return {'status': 'active', 'description': description, 'tags': [{'name': TAG}],
                'custom_fields': {'guestnet_subnet': subnet.name, 'guestnet_kind': kind, 'guestnet_vm_uuid': vm_uuid,
                                  'guestnet_interface': interface, 'guestnet_record': record}}

    # ----- taking and freeing an address -----

    def _purge(self, subnet: Subnet, now: float) -> int:
        """Delete the subnet's held-back addresses whose hold-back is over, and the ranges of expired reservations (when
        NetBox finds no free address: until then they only keep addresses out of use a little longer). How many."""
        purged = 0
        for obj in self._ips(subnet=subnet.name, kind=HELD_BACK):
            if float(self._record_of(obj).get('released_at') or 0) + subnet.hold_back <= now:
                self._delete('ip', obj, what='held-back address %s' % obj['address'])
                purged += 1
        for obj in self._ranges(subnet.name):
            expires = self._record_of(obj).get('expires_at')
            if expires is not None and float(expires) <= now:
                self._delete('range', obj, what='ip-range %s' % obj['display'])
                purged += 1
        if purged:
            self._sync_objects(subnet, now)   # a range that expired inside a merged span: the rest of it comes back
        return purged

    def _take(self, subnet: Subnet, ip: str, body: Dict[str, Any], what: str) -> Dict[str, Any]:
        """Create the ip-address ``ip`` (or turn our held-back one at ``ip`` into it); LedgerError when NetBox holds it
        otherwise (callers checked our holders) or refuses it."""
        network = subnet.network
        for obj in self._at(subnet, ip):
            if TAG in [tag['slug'] for tag in obj.get('tags') or ()] and _cf(obj, 'guestnet_kind') == HELD_BACK:
                return self._patch('ip', obj, body, what=what)
            raise LedgerError('subnet %s of ledger %s: %s is already in NetBox as ip-address %s (%s) that guestnet does not hold'
                              % (subnet.name, self.name, ip, obj['address'], obj.get('description') or 'no description'))
        body = dict(body, address='%s/%d' % (ip, network.prefixlen))
        obj, refused = self._try_create('ip', body, what)
        if obj is None and _INSIDE_RANGE in refused:
            # One of our not-allocatable ranges (a reservation): NetBox refuses to create addresses there, while the
            # contract lets an explicit request, a fixed or an observed address take a reserved one. The range is
            # unmarked for the one create (NetBox's available-ips could hand out its addresses in that moment).
            value = int(ipaddress.ip_address(ip))
            ranges = [item for item in self._ranges(subnet.name) if item.get('mark_populated')
                      and int(ipaddress.ip_interface(item['start_address']).ip) <= value <= int(ipaddress.ip_interface(item['end_address']).ip)]
            if ranges:
                self._patch('range', ranges[0], {'mark_populated': False}, what='ip-range %s' % ranges[0]['display'])
                try:
                    obj, refused = self._try_create('ip', body, what)
                finally:
                    self._call('PATCH', '%s%d/' % (ENDPOINTS['range'], ranges[0]['id']), {'mark_populated': True}, what='ip-range %s' % ranges[0]['display'])
        if obj is None:
            raise LedgerError('subnet %s of ledger %s: NetBox refused %s: %s' % (subnet.name, self.name, ip, refused))
        return obj

    def _free(self, subnets: Mapping[str, Subnet], objs: Sequence[Mapping[str, Any]], now: float) -> List[Address]:
        """Release ip-addresses: held back (kind held_back, status deprecated) for their subnet's hold_back, or deleted
        when it is 0. Returns them as they were."""
        released = []
        for obj in objs:
            address = self._address(obj)
            released.append(address)
            subnet = subnets.get(address.subnet)
            if subnet is None or subnet.hold_back == 0:
                self._delete('ip', obj, what='ip-address %s' % obj['address'])
                continue
            record = self._record_of(obj)
            record.update(released_at=now, updated_at=now, released_from='%s/%s' % (address.vm_uuid, address.interface))
            self._patch('ip', obj, {
                'status': 'deprecated',
                'description': ('guestnet: held back after release from VM %s %s, until %s' % (
                    address.vm_uuid, address.interface, time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(now + subnet.hold_back))))[:200],
                'custom_fields': {'guestnet_kind': HELD_BACK, 'guestnet_vm_uuid': None, 'guestnet_interface': None, 'guestnet_record': record}},
                what='ip-address %s' % obj['address'])
        return released

    def _subnet_map(self) -> Dict[str, Subnet]:
        return {name: subnet for name, (subnet, obj) in self._prefixes().items()}

    # ----- L2 networks: one inactive config context -----

    def _context(self) -> Optional[Dict[str, Any]]:
        found = [obj for obj in self._list('context', {'name': NETWORKS_CONTEXT}) if obj['name'] == NETWORKS_CONTEXT]
        return found[0] if found else None

    @staticmethod
    def _networks_of(context: Optional[Mapping[str, Any]]) -> Dict[str, L2Network]:
        data = ((context or {}).get('data') or {}).get('port_groups') or {}
        return {moid: L2Network(moid, item['name'], item.get('switch'), item.get('vlan'), tuple(item.get('hosts') or ()))
                for moid, item in data.items()}

    def sync_networks(self, networks: Iterable[Union[L2Network, Mapping[str, Any]]], prune: bool = False, *,
                      dry_run: bool = False) -> Dict[str, List[str]]:
        result: Dict[str, List[str]] = {'added': [], 'updated': [], 'removed': []}
        with self._change(dry_run):
            wanted = [_record(L2Network, item, 'network') for item in networks]
            wanted = [L2Network(_text(item.moid, 'network moid'), _text(item.name, 'network %s: name' % item.moid), item.switch, item.vlan,
                                tuple(sorted(item.hosts))) for item in wanted]
            context = self._context()
            current = self._networks_of(context)
            merged = dict(current)
            for network in wanted:
                if current.get(network.moid) != network:
                    result['updated' if network.moid in current else 'added'].append(network.moid)
                    merged[network.moid] = network
            if prune:
                result['removed'] = sorted(set(current) - {network.moid for network in wanted})
                for moid in result['removed']:
                    del merged[moid]
            if any(result.values()):
                data = {'port_groups': {moid: {'name': item.name, 'switch': item.switch, 'vlan': item.vlan, 'hosts': list(item.hosts)}
                                        for moid, item in sorted(merged.items())}}
                if context is None:
                    self._create('context', {'name': NETWORKS_CONTEXT, 'is_active': False, 'weight': 0, 'data': data,
                                             'description': 'vSphere port groups known to the guestnet.vsphere subnet ledger (inactive: '
                                                            'applies to nothing)'}, what='config context %s' % NETWORKS_CONTEXT)
                else:
                    self._patch('context', context, {'data': data}, what='config context %s' % NETWORKS_CONTEXT)
        return result

    def list_networks(self) -> List[L2Network]:
        return [network for moid, network in sorted(self._networks_of(self._context()).items())]

    # ----- subnets: writing -----

    def _ranges(self, name: str) -> List[Dict[str, Any]]:
        if not self._ready:
            return []
        return [obj for obj in self._list('range', {'tag': TAG, 'cf_guestnet_subnet': name}) if _cf(obj, 'guestnet_subnet') == name]

    @staticmethod
    def _blocks(subnet: Subnet, now: float) -> List[Tuple[int, int, Optional[float], str]]:
        """The parts of the prefix NetBox must not hand out (merged spans): (first, last, expires_at, description)."""
        network = subnet.network
        low, high = (int(value) for value in _usable(network))
        first, last = subnet.bounds
        spans: List[Tuple[int, int, Optional[float], str]] = []
        if first > low:
            spans.append((low, first - 1, None, 'below the range'))
        if last < high:
            spans.append((last + 1, high, None, 'above the range'))
        for item in subnet.reserved:
            if item.expires_at is None or item.expires_at > now:
                spans.append((int(ipaddress.ip_address(item.start)), int(ipaddress.ip_address(item.end)), item.expires_at,
                              'reserved' + (': ' + item.note if item.note else '')))
        merged: List[Tuple[int, int, Optional[float], str]] = []
        for start, end, expires, note in sorted(spans):
            if merged and start <= merged[-1][1] + 1:
                prev = merged[-1]
                expiry = None if prev[2] is None or expires is None else max(prev[2], expires)
                merged[-1] = (prev[0], max(prev[1], end), expiry, prev[3] + '; ' + note)
            else:
                merged.append((start, end, expires, note))
        return merged

    def _sync_objects(self, subnet: Subnet, now: float) -> None:
        """The subnet's ip-ranges (not allocatable parts) and gateway ip-address, as its declaration says."""
        network = subnet.network
        wanted = {}
        for start, end, expires, note in self._blocks(subnet, now):
            key = ('%s/%d' % (ipaddress.ip_address(start), network.prefixlen), '%s/%d' % (ipaddress.ip_address(end), network.prefixlen))
            wanted[key] = (expires, note)
        for obj in self._ranges(subnet.name):
            key = (obj['start_address'], obj['end_address'])
            if key in wanted and self._record_of(obj).get('expires_at') == wanted[key][0]:
                del wanted[key]
            else:
                self._delete('range', obj, what='ip-range %s' % obj['display'])
        for (start, end), (expires, note) in sorted(wanted.items()):
            self._create('range', {
                'start_address': start, 'end_address': end, 'status': 'reserved', 'mark_populated': True, 'tags': [{'name': TAG}],
                'description': ('guestnet subnet %s: not allocatable (%s)' % (subnet.name, note))[:200],
                'custom_fields': {'guestnet_subnet': subnet.name, 'guestnet_kind': RESERVED, 'guestnet_record': {'expires_at': expires}}},
                what='ip-range %s-%s of subnet %s' % (start, end, subnet.name))
        for obj in self._ips(subnet=subnet.name, kind=GATEWAY):
            if _host(obj['address']) != subnet.gateway:
                self._delete('ip', obj, what='gateway %s' % obj['address'])
            else:
                return
        if subnet.gateway is not None and not self._at(subnet, subnet.gateway):
            gateway = int(ipaddress.ip_address(subnet.gateway))
            if not any(start <= gateway <= end for start, end, expires, note in self._blocks(subnet, now)):
                self._create('ip', {'address': '%s/%d' % (subnet.gateway, network.prefixlen), 'status': 'active', 'tags': [{'name': TAG}],
                                    'description': 'guestnet: gateway of subnet %s' % subnet.name,
                                    'custom_fields': {'guestnet_subnet': subnet.name, 'guestnet_kind': GATEWAY}},
                             what='gateway %s of subnet %s' % (subnet.gateway, subnet.name))

    def upsert_subnet(self, name: str, cidr: str, *, dry_run: bool = False, **options: Any) -> bool:
        with self._change(dry_run):
            declared = _declare_subnet(name, cidr, options)
            now = self._clock()
            subnets = self._prefixes()
            for other, obj in subnets.values():
                if other.name != declared.name and other.network.version == declared.network.version and other.network.overlaps(declared.network):
                    raise LedgerError('subnet %s: cidr %s overlaps subnet %s (%s, prefix #%d) of ledger %s'
                                      % (declared.name, declared.cidr, other.name, other.cidr, obj['id'], self.name))
            old, obj = subnets.get(declared.name, (None, None))
            additional = tuple(extra for extra in old.additional if extra.portgroup != declared.portgroup) if old else ()
            declared = replace(declared, additional=additional)
            if declared == old:
                return False
            if old is not None:
                outside = [address.ip for address in self.addresses(declared.name) if address.kind != RESERVED
                           and not declared.in_range(ipaddress.ip_address(address.ip))]
                if outside:
                    raise LedgerError('subnet %s of ledger %s: range %s-%s would leave %d recorded address(es) outside it: %s; release them first'
                                      % (declared.name, self.name, declared.range_start, declared.range_end, len(outside), ', '.join(outside[:10])))
            if dry_run and not self._ready:
                return True   # validated; a dry run creates no custom fields
            self._ensure_schema()
            what = 'prefix %s (subnet %s)' % (declared.cidr, declared.name)
            if obj is None:
                existing = [item for item in self._list('prefix', {'prefix': declared.cidr, 'vrf_id': 'null'}) if item['prefix'] == declared.cidr]
                if existing:   # adopt the prefix NetBox has
                    tags = [{'name': tag['name']} for tag in existing[0].get('tags') or ()] + [{'name': TAG}]
                    self._patch('prefix', existing[0], {'tags': tags, 'custom_fields': {
                        'guestnet_subnet': declared.name, 'guestnet_settings': self._settings(declared, True)}}, what=what)
                else:
                    self._create('prefix', {'prefix': declared.cidr, 'status': 'active', 'tags': [{'name': TAG}],
                                            'description': 'guestnet subnet %s' % declared.name,
                                            'custom_fields': {'guestnet_subnet': declared.name, 'guestnet_settings': self._settings(declared, False)}},
                                 what=what)
            else:
                adopted = bool((_cf(obj, 'guestnet_settings') or {}).get('adopted'))
                body: Dict[str, Any] = {'custom_fields': {'guestnet_settings': self._settings(declared, adopted)}}
                if obj['prefix'] != declared.cidr:
                    body['prefix'] = declared.cidr
                self._patch('prefix', obj, body, what=what)
            self._sync_objects(declared, now)
        return True

    def delete_subnet(self, name: str, force: bool = False, *, dry_run: bool = False) -> bool:
        with self._change(dry_run):
            found = self._prefixes(name).get(name)
            if found is None:
                return False
            subnet, obj = found
            ours = self._ips(subnet=name)
            held = [item for item in ours if _cf(item, 'guestnet_kind') in HOLDER_KINDS]
            claims = sum(len(self._claims(item)) for item in self._conflicted() if _cf(item, 'guestnet_subnet') == name)
            if (held or claims) and not force:
                raise LedgerError('subnet %s of ledger %s: %d address(es) are still recorded in it; release them or delete with force'
                                  % (name, self.name, len(held) + claims))
            for item in ours:
                self._delete('ip', item, what='ip-address %s' % item['address'])
            for item in self._ranges(name):
                self._delete('range', item, what='ip-range %s' % item['display'])
            if (_cf(obj, 'guestnet_settings') or {}).get('adopted'):
                self._patch('prefix', obj, {'tags': [{'name': tag['name']} for tag in obj.get('tags') or () if tag['slug'] != TAG],
                                            'custom_fields': {'guestnet_subnet': None, 'guestnet_settings': None}},
                            what='prefix %s (subnet %s)' % (obj['prefix'], name))
            else:
                self._delete('prefix', obj, what='prefix %s (subnet %s)' % (obj['prefix'], name))
        return True

    # ----- reachability -----

    def mark_additional(self, subnet: str, portgroup: str, *, dry_run: bool = False) -> bool:
        with self._change(dry_run):
            target, obj = self._one(subnet)
            portgroup = _text(portgroup, 'subnet %s: portgroup' % subnet)
            if portgroup == target.portgroup:
                raise LedgerError('subnet %s of ledger %s: portgroup %s is its primary port group, not an additional one'
                                  % (subnet, self.name, portgroup))
            current = {item.portgroup: item.added_by for item in target.additional}
            if current.get(portgroup) == MARKED:
                return False
            current[portgroup] = MARKED
            self._save_settings(self._with_additional(target, current), obj)
        return True

    @staticmethod
    def _with_additional(subnet: Subnet, additional: Mapping[str, str]) -> Subnet:
        return replace(subnet, additional=tuple(AdditionalPortgroup(pg, by) for pg, by in sorted(additional.items())))

    def unmark_additional(self, subnet: str, portgroup: str, *, dry_run: bool = False) -> bool:
        with self._change(dry_run):
            target, obj = self._one(subnet)
            current = {item.portgroup: item.added_by for item in target.additional}
            if current.get(portgroup) != MARKED:
                return False
            del current[portgroup]
            self._save_settings(self._with_additional(target, current), obj)
        return True

    def detect_additional(self, portgroup_ips: Mapping[str, Iterable[str]], *, dry_run: bool = False) -> Dict[str, List[Tuple[str, str]]]:
        with self._change(dry_run):
            prefixes = self._prefixes()
            subnets = [subnet for subnet, obj in prefixes.values()]
            found = {(subnet.name, portgroup) for portgroup, ips in portgroup_ips.items() for text in ips
                     for subnet in subnets if subnet.portgroup != portgroup and subnet.in_range(_parse_ip(text, 'port group %s' % portgroup))}
            existing = {(subnet.name, item.portgroup): item.added_by for subnet in subnets for item in subnet.additional}
            added = sorted(found - set(existing))
            removed = sorted(pair for pair, added_by in existing.items() if added_by == DETECTED and pair not in found)
            for subnet, obj in prefixes.values():
                current = {item.portgroup: item.added_by for item in subnet.additional}
                new = dict(current)
                new.update((pg, DETECTED) for name, pg in added if name == subnet.name)
                for name, pg in removed:
                    if name == subnet.name:
                        del new[pg]
                if new != current:
                    self._save_settings(self._with_additional(subnet, new), obj)
        return {'added': added, 'removed': removed}

    # ----- addresses -----

    def _allocation(self, subnet: Subnet, ip: str, vm_uuid: str, interface: str, kind: str, **details: Any) -> Allocation:
        return Allocation(subnet.name, ip, subnet.network.prefixlen, vm_uuid, interface, kind, **details)

    def _holder(self, subnet: Subnet, ip: str) -> Optional[Dict[str, Any]]:
        """Our ip-address holding ``ip`` in the subnet (allocated, fixed or observed), or None: one look-up by address."""
        return next((obj for obj in sorted(self._at(subnet, ip), key=lambda obj: obj['id'])
                     if TAG in [tag['slug'] for tag in obj.get('tags') or ()] and _cf(obj, 'guestnet_subnet') == subnet.name
                     and _cf(obj, 'guestnet_kind') in HOLDER_KINDS), None)

    def _check_holder(self, subnet: Subnet, ip: str, vm_uuid: str, interface: Optional[str] = None) -> Optional[Dict[str, Any]]:
        holder = self._holder(subnet, ip)
        if holder is not None and (_cf(holder, 'guestnet_vm_uuid') != vm_uuid or interface not in (None, _cf(holder, 'guestnet_interface'))):
            verb = {ALLOCATED: 'allocated to', FIXED: 'fixed for', OBSERVED: 'observed on'}[_cf(holder, 'guestnet_kind')]
            raise LedgerError('subnet %s of ledger %s: %s is already %s %s' % (subnet.name, self.name, ip, verb, self._address(holder).owner))
        return holder

    def _label(self, obj: Mapping[str, Any], vm_name: Optional[str], dry_run: bool) -> Dict[str, Any]:
        """Our ip-address relabelled with the VM's current name: one PATCH, only when the name differs (never in a dry run)."""
        record = self._record_of(obj)
        if vm_name is None or dry_run or record.get('vm_name') == vm_name:
            return dict(obj)
        record['vm_name'] = vm_name
        description = self._describe(_cf(obj, 'guestnet_kind'), _cf(obj, 'guestnet_vm_uuid'), _cf(obj, 'guestnet_interface'), vm_name)
        return self._patch('ip', obj, {'description': description, 'custom_fields': {'guestnet_record': record}},
                           what='ip-address %s' % obj['address'])

    def allocate(self, subnet: str, vm_uuid: str, interface: str, *, ip: Optional[str] = None,
                 portgroup: Optional[str] = None, vm_name: Optional[str] = None, dry_run: bool = False) -> Allocation:
        return self._allocate(subnet, vm_uuid, interface, ip=ip, portgroup=portgroup, vm_name=vm_name, dry_run=dry_run)

    def _allocate(self, subnet: str, vm_uuid: str, interface: str, *, ip: Optional[str], portgroup: Optional[str],
                  vm_name: Optional[str], dry_run: bool, previews: Optional[_Previews] = None) -> Allocation:
        """``allocate``; ``previews`` (a dry run of allocate_all): what the requests before this one previewed, which
        this one skips and adds its own to."""
        with self._change(dry_run):
            vm_uuid, interface = _text(vm_uuid, 'vm_uuid'), _text(interface, 'interface')
            now = self._clock()
            target, prefix = self._one(subnet)
            if portgroup is not None and not target.reachable_from(portgroup):
                raise LedgerError('subnet %s of ledger %s is not reachable from port group %s (primary: %s, additional: %s)' % (
                    subnet, self.name, portgroup, target.portgroup, ', '.join(extra.portgroup for extra in target.additional) or 'none'))
            requested = None
            if ip is not None:
                requested = str(_parse_ip(ip, 'subnet %s: ip' % subnet))
                if not target.in_range(ipaddress.ip_address(requested)):
                    raise LedgerError('subnet %s of ledger %s: ip %s is outside its range %s-%s'
                                      % (subnet, self.name, requested, target.range_start, target.range_end))
                if target.gateway == requested:
                    raise LedgerError('subnet %s of ledger %s: ip %s is its gateway' % (subnet, self.name, requested))
                self._check_holder(target, requested, vm_uuid, interface)
                self._check_preview(target, requested, vm_uuid, interface, previews or {})
            mine = self._ips(vm_uuid=vm_uuid, interface=interface)
            owned = sorted((obj for obj in mine if _cf(obj, 'guestnet_subnet') == subnet and _cf(obj, 'guestnet_kind') in HOLDER_KINDS),
                           key=lambda obj: HOLDER_KINDS.index(_cf(obj, 'guestnet_kind')))
            reuse = next((obj for obj in owned if requested is None or _host(obj['address']) == requested), None)
            if reuse is not None and _cf(reuse, 'guestnet_kind') in (ALLOCATED, FIXED):
                self._label(reuse, vm_name, dry_run)
                return self._allocation(target, _host(reuse['address']), vm_uuid, interface, _cf(reuse, 'guestnet_kind'), changed=False,
                                        dry_run=dry_run)
            previous = next((obj for obj in mine if _cf(obj, 'guestnet_kind') == ALLOCATED
                             and ipaddress.ip_interface(obj['address']).version == target.network.version), None)
            if dry_run:   # check mode on a shared IPAM: answer from reads, write nothing (no change log entries, no address taken)
                preview = (_host(reuse['address']) if reuse is not None
                           else self._preview(target, prefix, requested, vm_uuid, interface, previews or {}))
                if preview is not None:
                    if previews is not None:
                        previews[(target.name, vm_uuid, interface)] = preview
                    return self._allocation(target, preview, vm_uuid, interface, ALLOCATED, changed=True, dry_run=True,
                                            replaced=None if previous is None else self._address(previous))
            replaced = self._free(self._subnet_map(), [previous], now)[0] if previous is not None else None
            body = self._holder_body(target, ALLOCATED, vm_uuid, interface, None, portgroup, now, vm_name=vm_name)
            what = 'address for VM %s %s in subnet %s' % (vm_name or vm_uuid, interface, subnet)
            if reuse is not None:
                body = self._holder_body(target, ALLOCATED, vm_uuid, interface, self._record_of(reuse).get('mac'), portgroup
                                         or self._record_of(reuse).get('portgroup'), now, self._record_of(reuse), vm_name=vm_name)
                self._patch('ip', reuse, body, what=what)
                chosen = _host(reuse['address'])
            elif requested is not None:
                chosen = _host(self._take(target, requested, body, what)['address'])
            else:
                path = '%s%d/available-ips/' % (ENDPOINTS['prefix'], prefix['id'])
                status, obj = self._call('POST', path, body, ok=(201, 409), what=what)
                if (status == 409 or not obj) and self._purge(target, now):   # expired hold-backs and reservations go when needed
                    status, obj = self._call('POST', path, body, ok=(201, 409), what=what)
                if status == 409 or not obj:
                    raise SubnetExhaustedError(subnet, 'NetBox has no free address in prefix %s (range %s-%s; the rest reserved, held '
                                                       'back or in use)' % (target.cidr, target.range_start, target.range_end), self.name)
                obj = obj[0] if isinstance(obj, list) else obj
                self._log.append(('DELETE', 'ip', obj['id'], None))
                chosen = _host(obj['address'])
                if not target.in_range(ipaddress.ip_address(chosen)):
                    raise LedgerError('subnet %s of ledger %s: NetBox handed out %s, outside the range %s-%s (its ip-ranges marked '
                                      'populated were changed?); upsert the subnet again' % (subnet, self.name, chosen, target.range_start,
                                                                                             target.range_end))
                earlier = self._earlier_allocation(obj, vm_uuid, interface, target.network.version)
                if earlier is not None:   # another process allocated for this owner at the same moment: its address stands
                    return self._allocation(target, _host(earlier['address']), vm_uuid, interface, ALLOCATED, changed=False, dry_run=dry_run,
                                            replaced=replaced)
            if dry_run and previews is not None:   # written to find out (expired hold-backs), undone: remembered
                previews[(target.name, vm_uuid, interface)] = chosen
            return self._allocation(target, chosen, vm_uuid, interface, ALLOCATED, changed=True, dry_run=dry_run, replaced=replaced)

    def allocate_all(self, vm_uuid: str, requests: Sequence[AddressRequest], *, vm_name: Optional[str] = None,
                     dry_run: bool = False) -> List[Allocation]:
        """As the interface says; a dry run only reads: each allocation is previewed (``allocate``'s dry run) and skips
        the addresses previewed for the requests before it, so a shared IPAM sees nothing of a check mode or a trial."""
        if not dry_run:
            return super().allocate_all(vm_uuid, requests, vm_name=vm_name, dry_run=False)
        previews: _Previews = {}
        return [self._allocate(item.subnet, vm_uuid, item.interface, ip=item.ip, portgroup=item.portgroup, vm_name=vm_name, dry_run=True,
                               previews=previews) for item in requests]

    def _earlier_allocation(self, mine: Mapping[str, Any], vm_uuid: str, interface: str, version: int) -> Optional[Dict[str, Any]]:
        """One owner, one allocation per family, although NetBox has no unique index for it: after creating ``mine``, the
        owner's allocations are read again; when one with a lower id exists (two processes allocated for one owner at
        once), ``mine`` is deleted and that one returned. Whoever reads second sees both, so exactly one stays."""
        others = [obj for obj in self._ips(vm_uuid=vm_uuid, interface=interface)
                  if _cf(obj, 'guestnet_kind') == ALLOCATED and ipaddress.ip_interface(obj['address']).version == version and obj['id'] < mine['id']]
        if not others:
            return None
        self._call('DELETE', '%s%d/' % (ENDPOINTS['ip'], mine['id']), ok=(204, 404), what='ip-address %s (a second one for one owner)' % mine['address'])
        self._log = [entry for entry in self._log if entry[:3] != ('DELETE', 'ip', mine['id'])]
        return others[0]

    def _check_preview(self, subnet: Subnet, ip: str, vm_uuid: str, interface: str, previews: _Previews) -> None:
        """LedgerError when a dry-run allocate_all previewed ``ip`` for another owner (as ``_check_holder`` for NetBox's)."""
        for (name, other_uuid, other_interface), previewed in previews.items():
            if name == subnet.name and previewed == ip and (other_uuid, other_interface) != (vm_uuid, interface):
                raise LedgerError('subnet %s of ledger %s: %s is already allocated to %s/%s'
                                  % (subnet.name, self.name, ip, other_uuid, other_interface))

    def _preview(self, subnet: Subnet, prefix: Mapping[str, Any], requested: Optional[str], vm_uuid: str,
                 interface: str, previews: _Previews) -> Optional[str]:
        """The address a real allocation would take, from reads only (the same errors); None when only writing tells
        (NetBox has no free address, but hold-backs or reservations have expired: the caller then writes and undoes).
        In a dry-run allocate_all: the owner's earlier preview, else the first free address no other owner previewed."""
        if requested is None and (subnet.name, vm_uuid, interface) in previews:
            return previews[(subnet.name, vm_uuid, interface)]
        if requested is not None:
            for obj in self._at(subnet, requested):
                if not (TAG in [tag['slug'] for tag in obj.get('tags') or ()] and _cf(obj, 'guestnet_kind') == HELD_BACK):
                    raise LedgerError('subnet %s of ledger %s: %s is already in NetBox as ip-address %s (%s) that guestnet does not hold'
                                      % (subnet.name, self.name, requested, obj['address'], obj.get('description') or 'no description'))
            return requested
        taken = {ip for (name, dummy_uuid, dummy_interface), ip in previews.items() if name == subnet.name}
        dummy, free = self._call('GET', '%s%d/available-ips/?limit=%d' % (ENDPOINTS['prefix'], prefix['id'], len(taken) + 1))
        free = [_host(item['address']) for item in free or () if _host(item['address']) not in taken]
        if free:
            return free[0]
        now = self._clock()
        expired = [obj for obj in self._ips(subnet=subnet.name, kind=HELD_BACK)
                   if float(self._record_of(obj).get('released_at') or 0) + subnet.hold_back <= now]
        if expired or any(item.expires_at is not None and item.expires_at <= now for item in subnet.reserved):
            return None
        raise SubnetExhaustedError(subnet.name, 'NetBox has no free address in prefix %s (range %s-%s; the rest reserved, held back or in use)'
                                   % (subnet.cidr, subnet.range_start, subnet.range_end), self.name)

    def release(self, vm_uuid: str, interface: str, subnet: Optional[str] = None, *, dry_run: bool = False) -> List[Address]:
        with self._change(dry_run):
            objs = [obj for obj in self._ips(vm_uuid=vm_uuid, interface=interface) if _cf(obj, 'guestnet_kind') in (ALLOCATED, FIXED)
                    and (subnet is None or _cf(obj, 'guestnet_subnet') == subnet)]
            return self._free(self._subnet_map(), objs, self._clock()) if objs else []

    def release_owner(self, vm_uuid: str, *, dry_run: bool = False) -> List[Address]:
        with self._change(dry_run):
            objs = [obj for obj in self._ips(vm_uuid=vm_uuid) if _cf(obj, 'guestnet_kind') in HOLDER_KINDS]
            released = self._free(self._subnet_map(), objs, self._clock()) if objs else []
            for obj in self._conflicted():
                claims = self._claims(obj)
                kept = [claim for claim in claims if claim['vm_uuid'] != vm_uuid]
                if len(kept) != len(claims):
                    released.extend(self._claim_address(obj, claim) for claim in claims if claim['vm_uuid'] == vm_uuid)
                    self._set_claims(obj, kept)
            return released

    def release_addresses(self, addresses: Iterable[Address], *, dry_run: bool = False) -> List[Address]:
        with self._change(dry_run):
            chosen: Dict[int, Dict[str, Any]] = {}
            for item in addresses:
                if item.kind not in (ALLOCATED, FIXED):
                    raise LedgerError('subnet %s: %s is %s, not an allocated or fixed address' % (item.subnet, item.ip, item.kind))
                if item.vm_uuid is None:
                    continue
                for obj in self._ips(vm_uuid=item.vm_uuid, kind=item.kind):
                    if _host(obj['address']) == item.ip and _cf(obj, 'guestnet_subnet') == item.subnet and _cf(obj, 'guestnet_interface') == item.interface:
                        chosen.setdefault(obj['id'], obj)
            return self._free(self._subnet_map(), list(chosen.values()), self._clock()) if chosen else []

    def record_fixed(self, ip: str, vm_uuid: str, interface: str, *, subnet: Optional[str] = None, portgroup: Optional[str] = None,
                     mac: Optional[str] = None, vm_name: Optional[str] = None, dry_run: bool = False) -> Address:
        with self._change(dry_run):
            vm_uuid, interface = _text(vm_uuid, 'vm_uuid'), _text(interface, 'interface')
            address = _parse_ip(ip, 'fixed address of VM %s' % vm_uuid)
            now = self._clock()
            target = self._one(subnet)[0] if subnet is not None else self.find_subnet_for_ip(str(address), portgroup)
            if target is None or not target.in_range(address) or (portgroup is not None and not target.reachable_from(portgroup)):
                raise LedgerError('fixed address %s of VM %s is in no subnet range of ledger %s%s' % (
                    address, vm_uuid, self.name, '' if portgroup is None else ' reachable from port group %s' % portgroup))
            if target.gateway == str(address):
                raise LedgerError('subnet %s of ledger %s: fixed address %s is its gateway' % (target.name, self.name, address))
            holder = self._check_holder(target, str(address), vm_uuid)
            what = 'fixed address %s of VM %s' % (address, vm_uuid)
            if holder is None:
                body = self._holder_body(target, FIXED, vm_uuid, interface, _mac(mac), portgroup, now, vm_name=vm_name)
                return self._address(self._take(target, str(address), body, what))
            if _cf(holder, 'guestnet_kind') == OBSERVED:
                record = self._record_of(holder)
                holder = self._patch('ip', holder, self._holder_body(target, FIXED, vm_uuid, interface, _mac(mac) or record.get('mac'),
                                                                     record.get('portgroup'), now, record, vm_name=vm_name), what=what)
            return self._address(self._label(holder, vm_name, dry_run))

    def _set_claims(self, obj: Mapping[str, Any], claims: List[Dict[str, Any]]) -> Dict[str, Any]:
        record = self._record_of(obj)
        record['claims'] = claims
        tags = [{'name': tag['name']} for tag in obj.get('tags') or () if tag['slug'] != CONFLICT_TAG]
        if claims:
            tags.append({'name': CONFLICT_TAG})
        return self._patch('ip', obj, {'tags': tags, 'custom_fields': {'guestnet_record': record}}, what='ip-address %s' % obj['address'])

    def replace_observed(self, vm_uuid: str, records: Iterable[Union[ObservedAddress, Mapping[str, Any]]], *,
                         vm_name: Optional[str] = None, dry_run: bool = False) -> ObservationResult:
        recorded: List[Address] = []
        conflicts: List[Address] = []
        unmatched: List[str] = []
        with self._change(dry_run):
            vm_uuid = _text(vm_uuid, 'vm_uuid')
            observed = [_record(ObservedAddress, item, 'observed address of VM %s' % vm_uuid) for item in records]
            now = self._clock()
            prefixes = self._prefixes()
            subnets = {name: subnet for name, (subnet, obj) in prefixes.items()}
            mine = self._ips(vm_uuid=vm_uuid)
            old_observed = {obj['id']: obj for obj in mine if _cf(obj, 'guestnet_kind') == OBSERVED}
            old_claims = {(obj['id'], claim['interface']): (obj, claim) for obj in self._conflicted() for claim in self._claims(obj)
                          if claim['vm_uuid'] == vm_uuid}
            signature = ('subnet', 'ip', 'kind', 'interface', 'mac', 'portgroup')
            before = {tuple(getattr(self._address(obj), key) for key in signature) for obj in old_observed.values()} | {
                tuple(getattr(self._claim_address(obj, claim), key) for key in signature) for obj, claim in old_claims.values()}
            kept_ids, kept_claims = set(), set()
            for item in observed:
                address = _parse_ip(item.ip, 'observed address of VM %s' % vm_uuid)
                target = self._one(item.subnet)[0] if item.subnet is not None else next(
                    (subnet for name, subnet in sorted(subnets.items()) if subnet.in_range(address)
                     and (item.portgroup is None or subnet.reachable_from(item.portgroup))), None)
                if target is None or not target.in_range(address):
                    unmatched.append(str(address))
                    continue
                row = self._observe(target, str(address), vm_uuid, item, now, kept_ids, kept_claims, vm_name, dry_run)
                (conflicts if row.kind == CONFLICT else recorded).append(row)
            self._free(subnets, [obj for obj_id, obj in old_observed.items() if obj_id not in kept_ids], now)
            removed = [self._address(obj) for obj_id, obj in old_observed.items() if obj_id not in kept_ids]
            for (obj_id, iface), (obj, claim) in old_claims.items():
                if (obj_id, iface) not in kept_claims:
                    fresh = self._call('GET', '%s%d/' % (ENDPOINTS['ip'], obj_id), ok=(200, 404))[1]
                    if fresh and 'id' in fresh:
                        self._set_claims(fresh, [other for other in self._claims(fresh) if not (other['vm_uuid'] == vm_uuid and other['interface'] == iface)])
                    removed.append(self._claim_address(obj, claim))
            after = {tuple(getattr(row, key) for key in signature) for row in recorded + conflicts if row.kind in (OBSERVED, CONFLICT)}
        return ObservationResult(tuple(recorded), tuple(conflicts), tuple(removed), tuple(unmatched), before != after)

    def _observe(self, subnet: Subnet, ip: str, vm_uuid: str, item: ObservedAddress, now: float, kept_ids: set, kept_claims: set,
                 vm_name: Optional[str], dry_run: bool) -> Address:
        holder = self._holder(subnet, ip)
        mac = _mac(item.mac)
        if holder is not None and _cf(holder, 'guestnet_vm_uuid') == vm_uuid:
            kept_ids.add(holder['id'])
            if _cf(holder, 'guestnet_kind') != OBSERVED:
                return self._address(self._label(holder, vm_name, dry_run))
            record = self._record_of(holder)
            if (_cf(holder, 'guestnet_interface'), record.get('mac'), record.get('portgroup')) != (item.interface, mac, item.portgroup):
                holder = self._patch('ip', holder, self._holder_body(subnet, OBSERVED, vm_uuid, item.interface, mac, item.portgroup, now, record,
                                                                     vm_name=vm_name), what='observed address %s of VM %s' % (ip, vm_uuid))
            return self._address(self._label(holder, vm_name, dry_run))
        if holder is None:
            foreign = [obj for obj in self._at(subnet, ip) if _cf(obj, 'guestnet_kind') != HELD_BACK]
            if not foreign:
                obj = self._take(subnet, ip, self._holder_body(subnet, OBSERVED, vm_uuid, item.interface, mac, item.portgroup, now,
                                                               vm_name=vm_name), 'observed address %s of VM %s' % (ip, vm_uuid))
                kept_ids.add(obj['id'])
                return self._address(obj)
            holder = foreign[0]   # an address NetBox has that guestnet does not hold: a conflict too
        claims = self._claims(holder)
        claim = next((other for other in claims if other['vm_uuid'] == vm_uuid and other['interface'] == item.interface), None)
        new = {'vm_uuid': vm_uuid, 'interface': item.interface, 'mac': mac, 'portgroup': item.portgroup, 'subnet': subnet.name,
               'vm_name': vm_name if vm_name is not None else (claim or {}).get('vm_name'),
               'created_at': claim['created_at'] if claim else now, 'updated_at': now}
        if claim is None or (claim.get('mac'), claim.get('portgroup'), claim.get('vm_name')) != (mac, item.portgroup, new['vm_name']):
            holder = self._set_claims(holder, [other for other in claims if other is not claim] + [new])
        else:
            new = claim
        kept_claims.add((holder['id'], item.interface))
        return self._claim_address(holder, new)

    def addresses(self, subnet: Optional[str] = None, vm_uuid: Optional[str] = None) -> List[Address]:
        filters = {key: value for key, value in (('subnet', subnet), ('vm_uuid', vm_uuid)) if value is not None}
        rows: List[Tuple[str, int, int, Address]] = []
        for obj in self._ips(**filters):
            if _cf(obj, 'guestnet_kind') in HOLDER_KINDS:
                rows.append((_cf(obj, 'guestnet_subnet'), obj['id'], 0, self._address(obj)))
        for obj in self._conflicted():
            for index, claim in enumerate(self._claims(obj)):
                row = self._claim_address(obj, claim)
                if (subnet is None or row.subnet == subnet) and (vm_uuid is None or row.vm_uuid == vm_uuid):
                    rows.append((row.subnet, obj['id'], index + 1, row))
        if vm_uuid is None:
            for name, (declared, obj) in self._prefixes(subnet).items():
                for index, item in enumerate(declared.reserved):
                    rows.append((name, -1, index, Address(name, item.start, RESERVED, last_ip=item.end, note=item.note, expires_at=item.expires_at)))
        return [row for name, obj_id, index, row in sorted(rows, key=lambda entry: entry[:3])]

    def usage(self, subnet: Optional[str] = None) -> List[Usage]:
        now = self._clock()
        result = []
        prefixes = self._prefixes(subnet)
        if subnet is not None and subnet not in prefixes:
            raise UnknownSubnetError(subnet, self.name)
        conflicted = self._conflicted()
        for name, (declared, obj) in sorted(prefixes.items()):
            ours = self._ips(subnet=name)
            counts: Dict[str, int] = {}
            points = []
            held = 0
            for item in ours:
                kind = _cf(item, 'guestnet_kind')
                counts[kind] = counts.get(kind, 0) + 1
                if kind in HOLDER_KINDS:
                    points.append(int(ipaddress.ip_interface(item['address']).ip))
                elif kind == HELD_BACK and float(self._record_of(item).get('released_at') or 0) + declared.hold_back > now:
                    points.append(int(ipaddress.ip_interface(item['address']).ip))
                    held += 1
            if declared.gateway is not None:
                points.append(int(ipaddress.ip_address(declared.gateway)))
            spans = [(int(ipaddress.ip_address(item.start)), int(ipaddress.ip_address(item.end)))
                     for item in declared.reserved if item.expires_at is None or item.expires_at > now]
            occupancy = _Occupancy(*declared.bounds, points=points, spans=spans)
            reserved = _Occupancy(*declared.bounds, spans=spans)
            conflicts = sum(1 for item in conflicted for claim in self._claims(item) if (claim.get('subnet') or _cf(item, 'guestnet_subnet')) == name)
            result.append(Usage(name, declared.cidr, occupancy.size, occupancy.used, occupancy.size - occupancy.used, counts.get(ALLOCATED, 0),
                                counts.get(OBSERVED, 0), counts.get(FIXED, 0), reserved.used, held, conflicts))
        return result
