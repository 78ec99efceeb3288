# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Netplan (cloud-init network-config v2) renderer. PRIVATE to the collection.

``render_netplan(net)`` turns a ResolvedNetwork into the ``network:`` value of cloud-init
metadata, following VM Operator's ``NetPlanCustomization`` rule by rule, except where that
output is known to be broken:

- ``nameservers`` is left out when there is no DNS at all (VM Operator writes ``{}``);
- ``mtu`` is left out when unset (VM Operator once wrote ``mtu: null``, PR #983);
- a default route is written ``to: 0.0.0.0/0`` / ``to: ::/0``, never ``to: default``:
  netplan < 0.103 rejects ``default`` (canonical/cloud-init#4133), and so does cloud-init's
  own network-state parser (canonical/cloud-init#3988; fixed only by PR #6391, August 2025),
  which fails the whole init-local stage on every distro that netplan does not render
  (seen with Debian's cloud-init 22.4 in test_real_guest_tools.py).

The default gateway is written in one of two styles:

- ``gateway_keys`` (default): netplan's ``gateway4``/``gateway6`` keys. Deprecated since
  netplan 0.103 (a warning only), but read correctly by every netplan and cloud-init to date.
  Prefer it for IPv6: cloud-init's own renderers (eni, networkd, sysconfig) turn a ``::/0``
  route into ``::/64`` (canonical/cloud-init#4600, seen with 22.4), while ``gateway6`` survives.
- ``default_route``: a ``{to: 0.0.0.0/0, via: gw}`` route first in ``routes``, with no
  deprecated key.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
from typing import Any, Dict, List

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import ResolvedInterface, ResolvedNetwork, Route

GATEWAY_KEYS = 'gateway_keys'
DEFAULT_ROUTE = 'default_route'
GATEWAY_STYLES = (GATEWAY_KEYS, DEFAULT_ROUTE)

NETPLAN_VERSION = 2
DEFAULT_DESTINATION = 'default'
# The all-addresses CIDR of each IP version, which every netplan and cloud-init accepts.
_ALL_ADDRESSES = {4: '0.0.0.0/0', 6: '::/0'}


def render_netplan(net: ResolvedNetwork, gateway_style: str = GATEWAY_KEYS) -> Dict[str, Any]:
    """Return ``{'version': 2, 'ethernets': {...}}`` for ``net``; dicts are built in sorted key order."""
    if gateway_style not in GATEWAY_STYLES:
        raise ValueError('gateway_style: %r is not one of %s' % (gateway_style, ', '.join(GATEWAY_STYLES)))
    interfaces = () if net.disabled else net.interfaces
    ethernets = {iface.name: _render_ethernet(iface, gateway_style) for iface in sorted(interfaces, key=lambda iface: iface.name)}
    return {'ethernets': ethernets, 'version': NETPLAN_VERSION}


def _render_ethernet(iface: ResolvedInterface, gateway_style: str) -> Dict[str, Any]:
    if not iface.mac_address:
        # set-name without a match would rename nothing (or everything): netplan needs the MAC.
        raise ValueError('interface %s has no MAC address; netplan matches interfaces by MAC address' % iface.name)
    ethernet: Dict[str, Any] = {
        # Explicit booleans: an absent accept-ra lets the kernel take router advertisements
        # the user never asked for (VM Operator PR #788).
        'accept-ra': iface.accept_ra,
        'dhcp4': iface.dhcp4,
        'dhcp6': iface.dhcp6,
        'match': {'macaddress': _normalize_mac(iface.mac_address)},
        'set-name': iface.guest_device_name,
    }
    if iface.addresses:
        ethernet['addresses'] = list(iface.addresses)
    if gateway_style == GATEWAY_KEYS:
        if iface.gateway4:
            ethernet['gateway4'] = iface.gateway4
        if iface.gateway6:
            ethernet['gateway6'] = iface.gateway6
    routes = _render_routes(iface, gateway_style)
    if routes:
        ethernet['routes'] = routes
    nameservers = _render_nameservers(iface)
    if nameservers:
        ethernet['nameservers'] = nameservers
    if iface.mtu:  # None and 0 both mean "unset"
        ethernet['mtu'] = iface.mtu
    return _sorted_dict(ethernet)


def _render_routes(iface: ResolvedInterface, gateway_style: str) -> List[Dict[str, Any]]:
    routes: List[Route] = []
    if gateway_style == DEFAULT_ROUTE:
        routes.extend(Route(to=DEFAULT_DESTINATION, via=gateway) for gateway in (iface.gateway4, iface.gateway6) if gateway)
    routes.extend(iface.routes)
    return [_render_route(route) for route in routes]


def _render_route(route: Route) -> Dict[str, Any]:
    rendered: Dict[str, Any] = {'to': _route_destination(route), 'via': route.via}
    if route.metric is not None:
        rendered['metric'] = route.metric
    return _sorted_dict(rendered)


def _route_destination(route: Route) -> str:
    if route.to != DEFAULT_DESTINATION:
        return route.to
    return _ALL_ADDRESSES[ipaddress.ip_address(route.via).version]


def _render_nameservers(iface: ResolvedInterface) -> Dict[str, List[str]]:
    nameservers = {'addresses': _unique(iface.nameservers), 'search': _unique(iface.search_domains)}
    return {key: values for key, values in sorted(nameservers.items()) if values}


def _normalize_mac(mac: str) -> str:
    """Lowercase and colon-separated, as netplan compares it (VM Operator's NormalizeNetplanMac)."""
    return mac.lower().replace('-', ':')


def _unique(values: Any) -> List[str]:
    """The values in first-seen order without repeats (VM Operator PR #776 duplicated nameservers)."""
    return list(dict.fromkeys(values))


def _sorted_dict(mapping: Dict[str, Any]) -> Dict[str, Any]:
    return dict(sorted(mapping.items()))
