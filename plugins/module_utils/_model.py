# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Typed data model of the guest-network core. PRIVATE to the collection.

The pure core passes these frozen records between its stages:

    raw dict --_spec.parse_network_spec--> NetworkSpec
    NetworkSpec --_resolver.resolve--> ResolvedNetwork --_render.*--> documents

Nothing here imports Ansible or pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass
from types import TracebackType
from typing import Any, List, Optional, Sequence, Tuple, Type

CLOUD_INIT = 'cloud_init'
LINUX_PREP = 'linux_prep'
SYSPREP = 'sysprep'
VAPP_CONFIG = 'vapp_config'
PROVIDERS = (CLOUD_INIT, LINUX_PREP, SYSPREP, VAPP_CONFIG)

DEFAULT_ADAPTER_TYPE = 'vmxnet3'

# An explicit "no gateway" (VM Operator's `gateway4: None`): it suppresses a
# gateway that a subnet would otherwise supply.  `None` means "not given".
NO_GATEWAY = ''


class SpecError(ValueError):
    """Invalid user input. The message names the field path and the value.

    ``errors`` lists every problem this exception stands for: just itself here, several for
    ``SpecErrors``.  Code that handles one problem at a time keeps working with either.
    ``text`` replaces the ``path: value reason`` message where a sentence reads better (a
    missing value has none to show); path, value and reason stay for code that reads them.
    """

    def __init__(self, path: str, value: Any, reason: str, *, text: Optional[str] = None) -> None:
        self.path = path
        self.value = value
        self.reason = reason
        self._text = text
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """``path: value reason`` (or ``text``), the text of this one problem."""
        if self._text is not None:
            return self._text
        return '%s: %s %s' % (self.path, format_value(self.value), self.reason)

    @property
    def errors(self) -> Tuple['SpecError', ...]:
        return (self,)


class SpecErrors(SpecError):
    """Several problems at once (VM Operator's webhook returns all its field errors together).

    A ``SpecError`` (and so a ``ValueError``), so ``except SpecError`` and ``except ValueError`` catch
    it.  ``errors`` holds the single problems in the order they were found; ``path``, ``value`` and
    ``reason`` are the first one's.  ``str()`` numbers them on one line, which reads well in an
    Ansible failure message (``msg`` is JSON, where line breaks show as ``\\n``)::

        2 errors: (1) network.interfaces[0].routes[0].via: router is not an IP address;
        (2) network.interfaces[0].addresses[1]: 10.0.0.11/24 is a second IPv4 address; ...

    Build it with ``raise_errors`` or ``ErrorCollector``: a single problem is raised as its own
    ``SpecError``, so its message stays exactly as it was.
    """

    def __init__(self, errors: Sequence[SpecError]) -> None:  # pylint: disable=super-init-not-called
        flat = tuple(single for error in errors for single in error.errors)
        if len(flat) < 2:
            raise ValueError('SpecErrors needs at least two errors; raise a single SpecError as it is')
        self._errors = flat
        self._text = None
        first = flat[0]
        self.path = first.path
        self.value = first.value
        self.reason = first.reason
        ValueError.__init__(self, format_errors(flat))   # pylint: disable=non-parent-init-called

    @property
    def message(self) -> str:
        return format_errors(self._errors)

    @property
    def errors(self) -> Tuple[SpecError, ...]:
        return self._errors


def format_errors(errors: Sequence[SpecError]) -> str:
    """One problem as its message; several as ``N errors: (1) ...; (2) ...`` (numbered: messages hold ';' too)."""
    if len(errors) == 1:
        return errors[0].message
    return '%d errors: %s' % (len(errors), '; '.join('(%d) %s' % (number, error.message) for number, error in enumerate(errors, 1)))


def raise_errors(errors: Sequence[SpecError]) -> None:
    """Raise nothing, the one error as it is, or ``SpecErrors`` with all of them (in the given order)."""
    flat = [single for error in errors for single in error.errors]
    if len(flat) == 1:
        raise flat[0]
    if flat:
        raise SpecErrors(flat)


class ErrorCollector:
    """Collects ``SpecError``s from several checks and raises them together, in the order they were added.

    For callers that add their own problems (the modules: an unknown port group, a missing ledger)
    to the spec's, so that a user sees every problem in one run::

        errors = ErrorCollector()
        with errors.catch():                 # a SpecError raised inside is recorded, the code goes on
            validate(spec)
        for index, iface in enumerate(spec.interfaces):
            with errors.catch():
                catalog.resolve(iface.network, 'network.interfaces[%d].network' % index)
        errors.add('wait.timeout', 0, 'must be at least 1 (seconds)')
        errors.raise_if_any()                # nothing, the one SpecError, or SpecErrors with all

    Or as a context manager that raises what it collected when the block ends (a ``SpecError``
    escaping the block is added last; any other exception passes through unchanged)::

        with ErrorCollector() as errors:
            ...

    Only ``SpecError`` is caught: other exceptions are bugs or failures, not user input.  Checks
    whose failure makes the next ones meaningless should stop early (raise, or test ``errors``).
    """

    def __init__(self) -> None:
        self._errors: List[SpecError] = []

    def add(self, path: str, value: Any, reason: str) -> None:
        self.add_error(SpecError(path, value, reason))

    def add_error(self, error: SpecError) -> None:
        """Add a SpecError (every problem of a SpecErrors); a problem already recorded (two checks of one rule) once."""
        known = {single.message for single in self._errors}
        for single in error.errors:
            if single.message not in known:
                known.add(single.message)
                self._errors.append(single)

    @property
    def errors(self) -> Tuple[SpecError, ...]:
        return tuple(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def catch(self) -> '_Catch':
        """A context manager that records a raised SpecError (all of a SpecErrors) instead of raising it."""
        return _Catch(self)

    def raise_if_any(self) -> None:
        raise_errors(self._errors)

    def __enter__(self) -> 'ErrorCollector':
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], traceback: Optional[TracebackType]) -> bool:
        if exc is None:
            self.raise_if_any()
        elif isinstance(exc, SpecError):
            self.add_error(exc)
            self.raise_if_any()
        return False


class _Catch:
    def __init__(self, collector: ErrorCollector) -> None:
        self._collector = collector

    def __enter__(self) -> ErrorCollector:
        return self._collector

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], traceback: Optional[TracebackType]) -> bool:
        if isinstance(exc, SpecError):
            self._collector.add_error(exc)
            return True
        return False


def format_value(value: Any) -> str:
    """Render a user value for an error message (strings bare, others as repr)."""
    if isinstance(value, str):
        return value if value else "''"
    return repr(value)


@dataclass(frozen=True)
class Route:
    to: str                       # 'default' or a normalized CIDR
    via: str                      # an IP address of the same family
    metric: Optional[int] = None


@dataclass(frozen=True)
class NetworkRef:
    """A port group (standard or distributed), by name and optionally its switch."""
    name: str
    switch: Optional[str] = None


@dataclass(frozen=True)
class InterfaceSpec:
    name: str
    network: Optional[NetworkRef] = None
    adapter_type: Optional[str] = None
    mac_address: Optional[str] = None          # lowercase, colon-separated
    subnet: Optional[str] = None               # ledger subnet name
    addresses: Tuple[str, ...] = ()            # CIDR strings, spec order
    dhcp4: Optional[bool] = None               # None: not given
    dhcp6: Optional[bool] = None
    gateway4: Optional[str] = None             # None: not given; NO_GATEWAY: suppressed
    gateway6: Optional[str] = None
    nameservers: Tuple[str, ...] = ()
    search_domains: Tuple[str, ...] = ()
    routes: Tuple[Route, ...] = ()
    mtu: Optional[int] = None
    guest_device_name: Optional[str] = None


@dataclass(frozen=True)
class NetworkSpec:
    host_name: Optional[str] = None
    domain_name: Optional[str] = None
    nameservers: Tuple[str, ...] = ()
    search_domains: Tuple[str, ...] = ()
    disabled: bool = False
    interfaces: Tuple[InterfaceSpec, ...] = ()


@dataclass(frozen=True)
class SubnetDefaults:
    """What a network provider (the subnet ledger) supplies for one interface.

    The resolver applies it below per-interface and global settings.
    """
    subnet: str
    addresses: Tuple[str, ...] = ()            # allocated CIDRs for this interface
    gateway4: Optional[str] = None
    gateway6: Optional[str] = None
    nameservers: Tuple[str, ...] = ()
    search_domains: Tuple[str, ...] = ()
    mtu: Optional[int] = None
    dhcp4: Optional[bool] = None
    dhcp6: Optional[bool] = None


@dataclass(frozen=True)
class ResolvedInterface:
    """One interface after precedence is applied: what every renderer consumes."""
    name: str
    guest_device_name: str                     # set-name: guest_device_name or name
    network: Optional[NetworkRef]
    adapter_type: str
    mac_address: Optional[str]                 # lowercase, colon-separated
    dhcp4: bool
    dhcp6: bool
    accept_ra: bool
    addresses4: Tuple[str, ...]                # CIDRs, only when dhcp4 is off
    addresses6: Tuple[str, ...]                # CIDRs, only when dhcp6 is off
    gateway4: Optional[str]
    gateway6: Optional[str]
    routes: Tuple[Route, ...]
    nameservers: Tuple[str, ...]               # effective, de-duplicated
    search_domains: Tuple[str, ...]            # effective, de-duplicated
    mtu: Optional[int]
    subnet: Optional[str] = None

    @property
    def addresses(self) -> Tuple[str, ...]:
        """IPv4 first, then IPv6, each in spec order."""
        return self.addresses4 + self.addresses6


@dataclass(frozen=True)
class ResolvedNetwork:
    vm_name: str
    host_name: str
    domain_name: Optional[str]
    nameservers: Tuple[str, ...]               # global DNS
    search_domains: Tuple[str, ...]
    disabled: bool
    interfaces: Tuple[ResolvedInterface, ...]
    provider: Optional[str] = None

    @property
    def fqdn(self) -> str:
        return '%s.%s' % (self.host_name, self.domain_name) if self.domain_name else self.host_name
