# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which backend keeps the ledger at a location, and what callers do with a location. PRIVATE to the collection.

A location is what the modules' ``ledger`` option holds (None or empty: ``default_ledger_path()``); ``ledger_location``
makes it from the module's options, a ``LedgerLocation``: a str that also carries what opening it takes besides (the
``ledger_token`` and ``ledger_validate_certs`` options), which every function below passes to the backend that takes the
location. Callers use only these functions and the ``LedgerBackend`` that ``open_ledger`` returns, never a backend class::

    check_writable(location)                   # preflight, before anything changes on vCenter
    if not ledger_exists(location): ...         # opening would create an empty ledger
    with scratch_ledger(location) as trial:    # an empty ledger of the same kind that keeps nothing (a trial run)
    with open_ledger(location) as ledger:      # the ledger; LedgerError naming the location when no backend takes it
    ledger_warning(location)                   # why the location is unsafe to use (a file on NFS), or None

Registration: ``BACKENDS`` lists the backend classes; the first whose ``handles(location)`` is true keeps the location.
A new backend is one module, ``_ledger_<kind>.py``, with a ``LedgerBackend`` subclass (every abstract method of
``_ledger.LedgerBackend``, whose docstrings are the contract), plus its import and its entry in ``BACKENDS`` below:
nothing else changes. An import, not a look-up by name: Ansible ships a module with the module_utils its imports name.
``SqliteLedger`` takes every location that is not a URL (``scheme://...``), so another backend's locations are URLs
(``NetboxLedger``: ``http://`` and ``https://``, NetBox's URL); order matters only between backends that could take the
same location.

Nothing here imports Ansible or pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from typing import Any, Dict, Mapping, Optional, Tuple, Type

from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import LedgerBackend, LedgerError, SqliteLedger, default_ledger_path
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_netbox import NetboxLedger

# The registration point: the backends, asked in this order.
BACKENDS: Tuple[Type[LedgerBackend], ...] = (
    NetboxLedger,      # http:// and https:// URLs
    SqliteLedger,      # every other location (a file path)
)


class LedgerLocation(str):
    """A ledger location that carries the options opening it takes (``token``, ``validate_certs``). It is the location
    string: messages, results, diffs and comparisons see the location only, never an option (a token)."""

    options: Dict[str, Any]

    def __new__(cls, location: str, **options: Any) -> 'LedgerLocation':
        self = super().__new__(cls, location)
        self.options = {name: value for name, value in options.items() if value is not None}
        return self


def ledger_location(values: Mapping[str, Any]) -> LedgerLocation:
    """The ledger a module's options name: ``ledger`` (default: ``default_ledger_path()``), with ``ledger_token`` and
    ``ledger_validate_certs`` for the backend that takes options (NetBox; a file ignores them, so a NETBOX_TOKEN in
    the environment never stands in the way of a file ledger)."""
    return LedgerLocation(values.get('ledger') or default_ledger_path(), token=values.get('ledger_token'),
                          validate_certs=values.get('ledger_validate_certs'))


def _location(location: Optional[str]) -> str:
    return location or default_ledger_path()


def _options(backend: Type[LedgerBackend], location: Optional[str], given: Mapping[str, Any]) -> Dict[str, Any]:
    """The options of a LedgerLocation that ``backend`` takes, then ``given`` (the caller's own, which win)."""
    carried = getattr(location, 'options', None) or {}
    options = {name: value for name, value in carried.items() if name in backend.connection_options}
    options.update(given)
    return options


def backend_for(location: Optional[str] = None) -> Type[LedgerBackend]:
    """The backend class that takes ``location``; LedgerError naming the location (and what a location may be) when none
    does."""
    location = _location(location)
    if not isinstance(location, str):
        raise LedgerError('ledger %r: a ledger location is a string, not %s' % (location, type(location).__name__))
    for backend in BACKENDS:
        if backend.handles(location):
            return backend
    raise LedgerError('ledger %s: no ledger backend takes this location; a ledger location is %s'
                      % (location, ', or '.join(backend.locations or backend.__name__ for backend in BACKENDS)))


def open_ledger(location: Optional[str] = None, **options: Any) -> LedgerBackend:
    """The ledger at ``location``, opened by the backend that takes it (``options`` go to that backend: SQLite takes
    ``name``, ``timeout``, ``clock`` and ``rng``; NetBox ``token``, ``validate_certs``, ``timeout`` and ``clock``). Use it as a
    context manager. LedgerError when no backend takes the location, or when it holds something the backend refuses
    (another application's data, a newer schema)."""
    backend = backend_for(location)
    return backend(str(_location(location)), **_options(backend, location, options))


def check_writable(location: Optional[str] = None, **options: Any) -> None:
    """Preflight: LedgerError (naming the location) unless changes to the ledger at ``location`` could be kept now;
    creates and changes nothing (``LedgerBackend.check_writable``; SQLite takes ``timeout``)."""
    backend = backend_for(location)
    backend.check_writable(str(_location(location)), **_options(backend, location, options))


def ledger_exists(location: Optional[str] = None) -> bool:
    """Whether a ledger is at ``location`` already; False: opening it would create an empty one."""
    location = _location(location)
    return backend_for(location).exists(location)


def scratch_ledger(location: Optional[str] = None) -> LedgerBackend:
    """An empty ledger of the kind that keeps ``location``, named after it, that keeps nothing: for a trial run before a
    new ledger is created (``LedgerBackend.scratch``)."""
    location = _location(location)
    return backend_for(location).scratch(location)


def ledger_warning(location: Optional[str] = None) -> Optional[str]:
    """Why keeping the ledger at ``location`` is unsafe although it works (an SQLite file on a network file system), or
    None."""
    location = _location(location)
    return backend_for(location).location_warning(location)
