# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger interface and the factory: SqliteLedger implements all of LedgerBackend, open_ledger and the location
functions pick a backend by the location (a clear LedgerError naming one nobody takes), and the callers (subnet_sync's
step, the ipam plan) work through any backend registered in _ledger_backends.BACKENDS, using nothing but the interface."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import copy
import inspect
import json
import os
import re
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils import _ledger, _ledger_backends
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import check_ledger_path, ledger_plan
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (
    ALLOCATED, LedgerBackend, LedgerError, SqliteLedger, UnknownSubnetError)
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import (
    BACKENDS, backend_for, check_writable, ledger_exists, ledger_location, ledger_warning, open_ledger, scratch_ledger)
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import DISTRIBUTED, Network, NetworkCatalog
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_subnets import SubnetRequest, sync_subnets

from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter

MODULE_UTILS = os.path.dirname(os.path.abspath(_ledger.__file__))
CLASS_SIDE = ('handles', 'exists', 'check_writable', 'location_warning', 'scratch')
INTERFACE = sorted(CLASS_SIDE + (
    'close', 'now', 'batch',
    'sync_networks', 'list_networks',
    'upsert_subnet', 'delete_subnet', 'get_subnet', 'list_subnets',
    'mark_additional', 'unmark_additional', 'detect_additional',
    'allocate', 'release', 'release_owner', 'release_addresses', 'record_fixed', 'replace_observed', 'addresses', 'usage',
))
PG = 'dvportgroup-2'   # PG-A of the fake vCenter
VM = '4213d0b8-0000-4000-8000-000000000001'


def parameters(function: Callable[..., Any]) -> List[Any]:
    """A method's parameters without annotations: name, kind and default (self and cls left out)."""
    return [(item.name, item.kind, item.default) for item in inspect.signature(function).parameters.values() if item.name != 'self']


# ----- the interface -----------------------------------------------------------------------------------------------

def test_the_interface_is_every_operation_of_a_ledger() -> None:
    assert sorted(LedgerBackend.__abstractmethods__) == INTERFACE
    for name in INTERFACE:
        assert inspect.getdoc(getattr(LedgerBackend, name)), '%s has no contract' % name
    with pytest.raises(TypeError):
        LedgerBackend()  # pylint: disable=abstract-class-instantiated


@pytest.mark.parametrize('name', INTERFACE)
def test_sqlite_ledger_implements_it_with_the_same_parameters(name: str) -> None:
    assert not SqliteLedger.__abstractmethods__
    assert parameters(getattr(SqliteLedger, name)) == parameters(getattr(LedgerBackend, name))
    assert isinstance(inspect.getattr_static(SqliteLedger, name), classmethod) == (name in CLASS_SIDE)


def test_callers_use_nothing_but_the_interface() -> None:
    """Every attribute the module_utils read from a ledger object is LedgerBackend's, and no caller names SQLite."""
    used = set()
    for filename in sorted(os.listdir(MODULE_UTILS)):
        if not filename.endswith('.py') or filename == '_ledger.py' or filename.startswith('_ledger_'):   # the backends and the factory
            continue
        with open(os.path.join(MODULE_UTILS, filename), encoding='utf-8') as handle:
            source = handle.read()
        assert not re.search(r'SqliteLedger|sqlite3|path_looks_shared|inspect_ledger|check_sqlite_writable|:memory:', source), filename
        used.update(re.findall(r'\b(?:ledger|trial)\.([A-Za-z_]\w*)\b(?!\s*=[^=])', source))
    assert used >= {'batch', 'allocate_all', 'list_subnets', 'release_owner', 'name'}   # the scan sees the callers
    assert sorted(name for name in used if not hasattr(LedgerBackend, name)) == []


# ----- the factory -------------------------------------------------------------------------------------------------

def test_sqlite_is_registered() -> None:
    assert SqliteLedger in BACKENDS and SqliteLedger.kind == 'sqlite'


def test_netbox_takes_http_urls() -> None:
    from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_netbox import NetboxLedger
    assert NetboxLedger in BACKENDS and NetboxLedger.kind == 'netbox'
    for location in ('https://netbox.example.com', 'http://127.0.0.1:8000/', 'HTTPS://nb.example.com/api/'):
        assert backend_for(location) is NetboxLedger
    assert backend_for('/var/lib/ledger.sqlite') is SqliteLedger and backend_for('https:relative') is SqliteLedger
    assert ledger_exists('https://netbox.example.com') is True
    warning = 'ledger http://netbox.example.com is plain http: the NetBox token travels in clear text; use https'
    assert ledger_warning('http://netbox.example.com') == warning
    assert ledger_warning('http://127.0.0.1:8000') is None and ledger_warning('https://netbox.example.com') is None
    with scratch_ledger('https://netbox.example.com/') as trial:   # the trial ledger of a new location: in memory
        assert trial.name == 'https://netbox.example.com' and trial.list_subnets() == []


def test_the_location_netbox_is_the_url_in_the_environment(monkeypatch: Any) -> None:
    from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_netbox import NetboxLedger
    for name in ('NETBOX_URL', 'NETBOX_API'):
        monkeypatch.delenv(name, raising=False)
    assert backend_for('netbox') is NetboxLedger and backend_for(' NetBox ') is NetboxLedger and backend_for('./netbox') is SqliteLedger
    with pytest.raises(LedgerError, match=r'^ledger netbox: the NetBox URL comes from NETBOX_URL or NETBOX_API, which the environment the '
                                          r'modules run in does not set$'):
        open_ledger('netbox', token='t')
    monkeypatch.setenv('NETBOX_API', 'http://api.example.com/')       # netbox.netbox's inventory plugin's name
    assert ledger_warning('netbox') == 'ledger http://api.example.com is plain http: the NetBox token travels in clear text; use https'
    monkeypatch.setenv('NETBOX_URL', 'https://netbox.example.com/')    # first
    assert ledger_warning('netbox') is None and ledger_exists('netbox') is True
    with scratch_ledger('netbox') as trial:
        assert trial.name == 'https://netbox.example.com'
    monkeypatch.setenv('NETBOX_URL', 'netbox.example.com')
    with pytest.raises(LedgerError, match=r"^ledger netbox: NETBOX_URL is 'netbox\.example\.com', not an http:// or https:// URL$"):
        check_writable('netbox', token='t')


def test_open_ledger_picks_sqlite_for_a_path(tmp_path: Any) -> None:
    path = str(tmp_path / 'ledger.sqlite')
    assert backend_for(path) is SqliteLedger and backend_for('relative/ledger.sqlite') is SqliteLedger
    with open_ledger(path, clock=lambda: 42.0) as ledger:   # options go to the backend
        assert isinstance(ledger, SqliteLedger) and ledger.path == path and ledger.name == path and ledger.now() == 42.0
    assert os.path.exists(path)


def test_no_location_is_the_default_ledger(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv('ANSIBLE_HOME', str(tmp_path))
    default = str(tmp_path / 'guestnet' / 'ledger.sqlite')
    assert not ledger_exists() and not ledger_exists('')
    check_writable(None)
    with open_ledger() as ledger:
        assert ledger.name == default
    assert ledger_exists(None) and ledger_exists()


@pytest.mark.parametrize('location', ['netbox://ipam.example.com', 'ftp://netbox.example.com/api/', 'file:///tmp/ledger.sqlite'])
def test_a_location_nobody_takes_is_a_clear_error(tmp_path: Any, monkeypatch: Any, location: str) -> None:
    monkeypatch.chdir(tmp_path)
    message = (r'^ledger %s: no ledger backend takes this location; a ledger location is NetBox.s URL \(https://netbox\.example\.com, '
               r'or netbox for the URL in NETBOX_URL\), or the path of an SQLite file \(e\.g\. ' % re.escape(location))
    for call in (open_ledger, check_writable, ledger_exists, scratch_ledger, ledger_warning, backend_for):
        with pytest.raises(LedgerError, match=message):
            call(location)
    assert not os.listdir(str(tmp_path))   # nothing was created on the way


def test_a_location_that_is_no_string(tmp_path: Any) -> None:
    with pytest.raises(LedgerError, match=r'^ledger 42: a ledger location is a string, not int$'):
        open_ledger(42)  # type: ignore[arg-type]


def test_ledger_exists(tmp_path: Any) -> None:
    path = tmp_path / 'ledger.sqlite'
    assert ledger_exists(str(path)) is False and not path.exists()
    path.write_bytes(b'')
    assert ledger_exists(str(path)) is True   # an empty file becomes a ledger when opened
    assert ledger_exists(':memory:') is False   # starts empty at every open


def test_check_writable_dispatches_with_its_options(tmp_path: Any) -> None:
    missing = tmp_path / 'new' / 'ledger.sqlite'
    check_writable(str(missing), timeout=0.5)
    assert not (tmp_path / 'new').exists()   # passes for a ledger it could create, creating nothing
    text = tmp_path / 'notes.txt'
    text.write_text('not a ledger\n')
    with pytest.raises(LedgerError, match=r'^ledger .*notes\.txt is not an SQLite database'):
        check_writable(str(text))
    check_writable(':memory:')


def test_scratch_ledger_is_empty_named_and_keeps_nothing(tmp_path: Any) -> None:
    path = str(tmp_path / 'ledger.sqlite')
    with scratch_ledger(path) as trial:
        assert isinstance(trial, SqliteLedger) and trial.name == path
        assert trial.upsert_subnet('app-net', '10.50.0.0/24', portgroup=PG) is True
        assert trial.allocate('app-net', VM, 'eth0').ip == '10.50.0.254'
        with pytest.raises(UnknownSubnetError, match=r'^subnet nope is not declared in ledger %s$' % re.escape(path)):
            trial.get_subnet('nope')
    with scratch_ledger(path) as again:
        assert again.list_subnets() == []
    assert os.listdir(str(tmp_path)) == []


def test_ledger_warning_asks_the_backend(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(_ledger, 'path_looks_shared', lambda path: '%s is on NFS' % path)
    assert ledger_warning('/mnt/nfs/ledger.sqlite') == '/mnt/nfs/ledger.sqlite is on NFS'
    assert ledger_warning(':memory:') is None


# ----- a third backend: one class and one entry in BACKENDS --------------------------------------------------------

def _forward(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(name)
        return getattr(self.inner, name)(*args, **kwargs)
    method.__name__ = name
    return method


# The instance side of the interface, each method forwarded to ``self.inner`` (batch is ProxyLedger's own: it yields the proxy).
_Forwarded = type('_Forwarded', (), {name: _forward(name) for name in INTERFACE if name not in CLASS_SIDE + ('batch',)})


class ProxyLedger(_Forwarded, LedgerBackend):
    """A backend for locations ``proxy://PATH`` that implements the interface and nothing else, each method handing the
    call to an SQLite ledger at PATH and noting its name: callers that reached past the interface would fail here."""

    kind = 'proxy'
    locations = 'proxy://PATH'
    calls: List[str] = []

    def __init__(self, location: str, inner: Optional[SqliteLedger] = None) -> None:
        self.inner = inner or SqliteLedger(self.path_of(location), name=location)
        self.name = location

    @staticmethod
    def path_of(location: str) -> str:
        return location[len('proxy://'):]

    @classmethod
    def handles(cls, location: str) -> bool:
        return location.startswith('proxy://')

    @classmethod
    def exists(cls, location: str) -> bool:
        cls.calls.append('exists')
        return SqliteLedger.exists(cls.path_of(location))

    @classmethod
    def check_writable(cls, location: str, **options: Any) -> None:
        cls.calls.append('check_writable')
        SqliteLedger.check_writable(cls.path_of(location), **options)

    @classmethod
    def location_warning(cls, location: str) -> Optional[str]:
        cls.calls.append('location_warning')
        return 'proxied: %s' % location

    @classmethod
    def scratch(cls, location: str) -> ProxyLedger:
        cls.calls.append('scratch')
        return cls(location, inner=SqliteLedger.scratch(location))

    @contextmanager
    def batch(self, *, dry_run: bool = False) -> Iterator[ProxyLedger]:
        self.calls.append('batch')
        with self.inner.batch(dry_run=dry_run):
            yield self


@pytest.fixture(name='proxied')
def proxied_fixture(monkeypatch: Any) -> List[str]:
    """ProxyLedger registered before SQLite; the names of the methods callers call on it."""
    monkeypatch.setattr(_ledger_backends, 'BACKENDS', (ProxyLedger,) + BACKENDS)
    monkeypatch.setattr(ProxyLedger, 'calls', [])
    return ProxyLedger.calls


def test_a_registered_backend_takes_its_locations(tmp_path: Any, proxied: List[str]) -> None:
    path = str(tmp_path / 'ledger.sqlite')
    with open_ledger('proxy://' + path) as ledger:
        assert isinstance(ledger, ProxyLedger) and ledger.name == 'proxy://' + path
        assert ledger.upsert_subnet('app-net', '10.50.0.0/24', portgroup=PG) is True
    with open_ledger(path) as plain:
        assert isinstance(plain, SqliteLedger)   # paths stay SQLite's
    with pytest.raises(LedgerError, match=r'^ledger ftp://x: .* a ledger location is proxy://PATH, or NetBox.s URL \(https://netbox\.example\.com, '
                                          r'or netbox for the URL in NETBOX_URL\), or the path of an SQLite file'):
        open_ledger('ftp://x')
    assert proxied == ['upsert_subnet', 'close']


def test_subnet_sync_works_through_any_backend(tmp_path: Any, proxied: List[str]) -> None:
    """The step runs the same through the proxy as on the file itself: the preflight, the trial on a scratch ledger for
    a new one, the run, the warning; and the ledgers end up the same."""
    subnets = [{'name': 'app-net', 'cidr': '10.50.0.0/24', 'portgroup': 'PG-A', 'gateway': '10.50.0.1'}]
    reports: Dict[str, Any] = {}
    for location in ('proxy://' + str(tmp_path / 'proxied.sqlite'), str(tmp_path / 'plain.sqlite')):
        for check_mode in (True, False):
            ctx = Context(standard_vcenter().client(), check_mode=check_mode, diff=True)
            result = sync_subnets(ctx, SubnetRequest.of({'ledger': location, 'subnets': subnets}))
            reports[location, check_mode] = dict(result.result, ledger=None, ledger_warning=None, changed=result.changed)
    proxy, plain = 'proxy://' + str(tmp_path / 'proxied.sqlite'), str(tmp_path / 'plain.sqlite')
    assert reports[proxy, True] == reports[plain, True] and reports[proxy, False] == reports[plain, False]
    assert reports[plain, False]['changed'] is True
    assert {'check_writable', 'exists', 'scratch', 'batch', 'upsert_subnet', 'location_warning', 'close'} <= set(proxied)
    with open_ledger(proxy) as through, open_ledger(plain) as direct:
        assert through.list_subnets() == direct.list_subnets() and through.list_networks() == direct.list_networks()
        assert [item.ip for item in through.addresses()] == [item.ip for item in direct.addresses()]


def test_the_ipam_plan_works_through_any_backend(tmp_path: Any, proxied: List[str]) -> None:
    location = 'proxy://' + str(tmp_path / 'ledger.sqlite')
    catalog = NetworkCatalog([Network(moid=PG, name='PG-A', kind=DISTRIBUTED, switch='DVS0', portgroup_key=PG)], datacenter='DC0')
    spec = parse_network_spec({'interfaces': [{'name': 'eth0', 'subnet': 'app-net'}]})
    with pytest.raises(SpecError, match=r'^ledger: proxy://.* does not exist, so subnet app-net is unknown'):
        check_ledger_path(spec, location)
    with open_ledger(location) as ledger:
        ledger.upsert_subnet('app-net', '10.50.0.0/24', portgroup=PG, gateway='10.50.0.1', direction='stepup')
    check_ledger_path(spec, location)
    planned, dummy = ledger_plan(location, spec, vm_uuid=VM, catalog=catalog, dry_run=True)
    kept, with_network = ledger_plan(location, spec, vm_uuid=VM, catalog=catalog, dry_run=False)
    assert planned.allocations == kept.allocations == [{'interface': 'eth0', 'subnet': 'app-net', 'address': '10.50.0.2/24', 'changed': True}]
    assert planned.ledger == location and with_network.interfaces[0].network.name == 'PG-A'
    with open_ledger(location) as ledger:
        assert [(item.ip, item.kind) for item in ledger.addresses()] == [('10.50.0.2', ALLOCATED)]
    assert 'check_writable' in proxied and 'allocate' in proxied


class TokenLedger(ProxyLedger):
    """A proxy backend that, like NetBox's, takes a token and validate_certs; notes the options it was given."""

    connection_options = ('token', 'validate_certs')
    seen: List[Dict[str, Any]] = []

    def __init__(self, location: str, inner: Optional[SqliteLedger] = None, **options: Any) -> None:
        self.seen.append(dict(options, how='open'))
        super().__init__(location, inner)

    @classmethod
    def check_writable(cls, location: str, **options: Any) -> None:
        cls.seen.append(dict(options, how='check_writable'))


def test_the_modules_ledger_options_reach_the_backend_that_takes_them(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(_ledger_backends, 'BACKENDS', (TokenLedger,) + BACKENDS)
    monkeypatch.setattr(TokenLedger, 'seen', [])
    monkeypatch.setenv('ANSIBLE_HOME', str(tmp_path))
    path = str(tmp_path / 'ledger.sqlite')
    options = {'ledger': 'proxy://' + path, 'ledger_token': 'nbt_key.secret-value', 'ledger_validate_certs': False}
    location = ledger_location(options)
    # the location is the string; the token never shows in it, in its repr or in a result that holds it
    assert location == 'proxy://' + path and isinstance(location, str)
    assert 'secret-value' not in str(location) + repr(location) + json.dumps({'ledger': location}) + '%s %r' % (location, location)
    assert copy.deepcopy(location).options == location.options == {'token': 'nbt_key.secret-value', 'validate_certs': False}
    check_writable(location)
    with open_ledger(location) as ledger:
        assert isinstance(ledger, TokenLedger) and ledger.name == 'proxy://' + path
    with open_ledger(location, token='given') as ledger:   # the caller's own options win
        pass
    assert TokenLedger.seen == [{'token': 'nbt_key.secret-value', 'validate_certs': False, 'how': 'check_writable'},
                                {'token': 'nbt_key.secret-value', 'validate_certs': False, 'how': 'open'},
                                {'token': 'given', 'validate_certs': False, 'how': 'open'}]
    # a file ledger takes none of them (a NETBOX_TOKEN in the environment never stands in its way)
    plain = ledger_location(dict(options, ledger=path))
    check_writable(plain)
    with open_ledger(plain) as ledger:
        assert isinstance(ledger, SqliteLedger) and ledger.name == path
    # no ledger option: the default path; the steps' requests carry the location with its options
    assert ledger_location({}) == str(tmp_path / 'guestnet' / 'ledger.sqlite') and ledger_location({}).options == {}
    assert SubnetRequest.of(options).ledger.options['token'] == 'nbt_key.secret-value'
