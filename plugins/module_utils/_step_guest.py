# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Observing the guest: VM Operator's ``status.network`` from what was read, and waiting until the guest shows it.

PRIVATE to the collection.

    status(target, nics) -> {network: {config, interfaces}, drift, primary_ip4, primary_ip6}
    wait_for_guest(ctx, vm, target, catalog, timeout, current=nics)  -> (nics, timeout message or None)

``Target`` is what the intended network is resolved from: the spec with every interface's network filled in, the
VM's name, the class's adapter types and the ledger's subnet settings. ``Nics`` is one observation of the VM: its
NICs, which interface each belongs to, and what the guest reports (guest.net, guest.ipAddress, extraConfig).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import NetworkSpec, ResolvedNetwork, SubnetDefaults
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import (
    GuestNic,
    Network,
    NetworkCatalog,
    ObservedNic,
    Wanted,
    drift,
    match_nics,
    names_by_key,
    observed_interfaces,
    primary_ips,
    wait_pending,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import VCenterTimeout
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import guest_nics, is_nic, observed_nics

# What a wait for the guest watches (WaitForUpdatesEx) and what a re-read of the NICs reads.
NIC_PROPERTIES = ('config.hardware.device', 'guest.net', 'guest.ipAddress')


@dataclass(frozen=True)
class Target:
    """What the intended network is resolved from (see the module docstring)."""
    spec: NetworkSpec
    vm_name: str
    adapter_types: Tuple[str, ...] = ()
    subnets: Mapping[str, SubnetDefaults] = field(default_factory=dict)
    networks: Mapping[str, Network] = field(default_factory=dict)     # interface -> its network (drift)
    connected: Mapping[str, bool] = field(default_factory=dict)       # interface -> connected as asked (drift)


@dataclass(frozen=True)
class Nics:
    """One observation of a VM's NICs and guest."""
    nics: Tuple[ObservedNic, ...]
    names: Mapping[int, str]                    # device key -> interface name
    guest: Tuple[GuestNic, ...] = ()
    guest_ip: Optional[str] = None
    extra_config: Mapping[str, str] = field(default_factory=dict)
    powered_on: bool = False

    def macs(self) -> Dict[str, str]:
        """Interface name -> MAC of its NIC."""
        by_key = {nic.key: nic for nic in self.nics}
        return {name: by_key[key].mac_address for key, name in self.names.items() if key in by_key and by_key[key].mac_address}

    def with_values(self, values: Mapping[str, Any], catalog: NetworkCatalog, wanted: Sequence[Wanted]) -> 'Nics':
        """The same VM after a read of NIC_PROPERTIES (values: path -> value); NICs matched to interfaces again."""
        devices = [device for device in values.get('config.hardware.device') or [] if is_nic(device)]
        nics = observed_nics(devices, catalog)
        return Nics(nics=tuple(nics), names=names_by_key(match_nics(nics, wanted)), guest=tuple(guest_nics(values.get('guest.net'))),
                    guest_ip=values.get('guest.ipAddress'), extra_config=self.extra_config, powered_on=self.powered_on)


def resolved(target: Target, nics: Nics) -> ResolvedNetwork:
    return resolve(target.spec, vm_name=target.vm_name, adapter_types=target.adapter_types, macs=nics.macs(), subnets=target.subnets)


def status(target: Target, nics: Nics) -> Dict[str, Any]:
    """VM Operator's status.network (intended config, observed interfaces), the drift and the primary IPs."""
    final = resolved(target, nics)
    out: Dict[str, Any] = {
        'network': {'config': intended_config(final), 'interfaces': observed_interfaces(nics.nics, nics.guest, nics.names)},
        'drift': drift(final, nics.nics, nics.names, nics.guest, networks=target.networks, connected=target.connected,
                       powered_on=nics.powered_on),
    }
    out['primary_ip4'], out['primary_ip6'] = primary_ips(nics.guest_ip, nics.guest, nics.extra_config)
    return out


def pending(target: Target, nics: Nics) -> List[str]:
    """What the guest does not show yet (empty: it shows every intended address)."""
    return wait_pending(resolved(target, nics), nics.nics, nics.names, nics.guest)


def wait_for_guest(ctx: Context, ref: Any, name: str, target: Target, catalog: NetworkCatalog, wanted: Sequence[Wanted], timeout: int,
                   current: Nics, reread: bool, watch: Any = None) -> Tuple[Nics, Optional[str]]:
    """Wait (WaitForUpdatesEx on the NICs and guest.net) until the guest shows the intended addresses.

    current: what was read; without reread (nothing changed since) it is checked first, so a ready guest costs no call.
    watch (_events.GuestWatch): more to watch in the same slices (VMware Tools, a customization's events); the wait
    also waits for the customization it follows to succeed, and ends when it fails (watch.stop).
    Returns the last observation and, when the time ran out, the timeout message.
    """
    follows = watch is not None and watch.following
    if not reread and not follows and not pending(target, current):
        return current, None
    moid = ref._moId  # pylint: disable=protected-access
    seen = {'nics': current}

    def done(values: Dict[str, Dict[str, Any]]) -> bool:
        seen['nics'] = current.with_values(values.get(moid, {}), catalog, wanted)
        if watch is not None:
            watch.update(values)
            if watch.stop:
                return True
            if not watch.settled:
                return False
        return not pending(target, seen['nics'])

    what = 'waiting for the guest of VM %s to show its addresses%s' % (name, ' and finish its customization' if follows else '')
    try:
        ctx.client.wait_for([ref], tuple(NIC_PROPERTIES) + (watch.vm_paths() if watch is not None else ()), done, timeout, what,
                            also=watch.objects() if watch is not None else ())
    except VCenterTimeout as error:
        return seen['nics'], str(error)
    return seen['nics'], None


def timeout_message(message: str, target: Target, nics: Nics, found: Mapping[str, Any]) -> str:
    missing = ', '.join(pending(target, nics)) or 'nothing'
    return '%s; still missing: %s; drift: %s' % (message, missing, json.dumps(found.get('drift'), sort_keys=True))
