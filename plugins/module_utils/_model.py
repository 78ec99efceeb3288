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
from typing import Any, Optional, Tuple

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
    """Invalid user input. The message names the field path and the value."""

    def __init__(self, path: str, value: Any, reason: str) -> None:
        self.path = path
        self.value = value
        self.reason = reason
        super().__init__('%s: %s %s' % (path, format_value(value), reason))


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
