# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NIC reconciliation, KubeVirt style: plain data in, plain data out. PRIVATE to the collection.

vm_network reads a VM's virtual NICs and its guest's view of them (``guest.net``) and turns them into the
records below (``_vim_records.py`` does that with pyVmomi); everything after that happens here:

    ObservedNic[] + interfaces ──match_nics──► interface name -> NIC  (static MAC > durable record > free NIC on its network)
                               ──plan_nics───► NicPlan: keep / edit / replace / add / remove / unmanaged, with reasons
    ObservedNic[] + GuestNic[] ──observed_interfaces, drift, wait_pending, primary_ips──► status (VM Operator's shape)

**The durable record.** A NIC that an interface claims carries ``externalId = "guestnet:<interface name>"``
(``VirtualEthernetCard.externalId``, a free-form string vSphere keeps for external management planes). It is
written in the same ReconfigVM_Task that adds or edits the NIC, so a new NIC is recorded although its device key
and MAC only exist afterwards. NSX owns the externalId of NICs on NSX port groups (opaque networks, and
distributed port groups with ``backingType: nsx``) and of any NIC whose externalId someone else set: those are
never written, and are matched by static MAC or by network only.

Matching (``match_nics``), for the interfaces in spec order:

1. an interface with a static ``mac_address`` takes the NIC with that MAC;
2. an interface takes the NIC recorded with its name;
3. an interface that names a network takes a free NIC on that network (free: not taken by 1. or 2.; a NIC
   recorded for an interface that got another NIC, or for a name the spec no longer has, is free), preferring its
   explicit adapter type, then the lowest device key;
4. an interface that names no network takes any free NIC (lowest device key).

A NIC is never duplicated on a re-run: once added it carries its record (or its static MAC, or stays on its network).

Nothing here imports Ansible or pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ansible_collections.guestnet.vsphere.plugins.module_utils._deploy import CLASS_KEY, adapter_types_of
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    InterfaceSpec,
    NetworkRef,
    NetworkSpec,
    ResolvedInterface,
    ResolvedNetwork,
    SpecError,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import DEFAULT_INTERFACE_NAME
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import is_usable_ip, normalize_mac

RECORD_PREFIX = 'guestnet:'
STANDARD, DISTRIBUTED, OPAQUE, OTHER = 'standard', 'distributed', 'opaque', 'other'
DEFAULT_NETWORK_NAME = 'VM Network'      # the port group ESXi creates on vSwitch0
LOCAL_IPV4_KEY, LOCAL_IPV6_KEY = 'guestinfo.local-ipv4', 'guestinfo.local-ipv6'   # published by cloud-init's VMware datasource
NO_HOT_CHANGE_TYPES = ('sriov',)         # adapters vm_network cannot add (SR-IOV needs a physical function)

KEEP, EDIT, REPLACE, ADD, REMOVE, UNMANAGED = 'keep', 'edit', 'replace', 'add', 'remove', 'unmanaged'
CHANGING = (EDIT, REPLACE, ADD, REMOVE)

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
_UPLINK_NAME_RE = re.compile(r'-DVUplinks-\d+$')   # vCenter's name for a switch's uplink port group (when not flagged)


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Network:
    """A port group the VM's datacenter offers."""
    moid: str
    name: str
    kind: str = STANDARD                 # standard | distributed | opaque
    switch: Optional[str] = None         # distributed: the switch's name
    switch_uuid: Optional[str] = None
    portgroup_key: Optional[str] = None
    opaque_id: Optional[str] = None
    opaque_type: Optional[str] = None
    nsx: bool = False                    # NSX owns the externalId of NICs on it
    uplink: bool = False                 # a distributed switch's uplink port group: no VM NIC can use it

    @property
    def switch_label(self) -> str:
        """What ``network: {name, switch}`` calls this network's switch."""
        if self.kind == DISTRIBUTED:
            return self.switch or '?'
        return self.kind

    def describe(self) -> str:
        return self.name if self.kind == STANDARD else '%s (%s)' % (self.name, self.switch_label)


@dataclass(frozen=True)
class ObservedNic:
    """One virtual NIC of the VM, as read from ``config.hardware.device``."""
    key: int
    adapter_type: str                    # vmxnet3, e1000, ... (normalize_adapter_type of the device class)
    mac_address: Optional[str] = None    # lowercase, colons
    address_type: Optional[str] = None   # manual | assigned | generated
    backing: str = STANDARD              # standard | distributed | opaque | other
    network: Optional[str] = None        # moid of the network it is on, when known
    network_name: Optional[str] = None   # port group name (or the backing's id when the network is unknown)
    switch: Optional[str] = None         # as Network.switch_label
    connected: bool = False
    start_connected: bool = False
    external_id: Optional[str] = None
    label: Optional[str] = None

    @property
    def record(self) -> Optional[str]:
        return recorded_name(self.external_id)


@dataclass(frozen=True)
class GuestAddress:
    address: str                         # bare IP
    prefix_length: int = 0               # 0: not reported
    origin: Optional[str] = None
    state: Optional[str] = None

    @property
    def text(self) -> str:
        return '%s/%d' % (self.address, self.prefix_length) if self.prefix_length else self.address


@dataclass(frozen=True)
class GuestNic:
    """One entry of ``guest.net`` (what VMware Tools reports for a NIC)."""
    mac_address: Optional[str] = None
    device_key: Optional[int] = None     # deviceConfigId; negative for guest-only NICs
    network: Optional[str] = None
    connected: bool = False
    addresses: Tuple[GuestAddress, ...] = ()
    dhcp4: Optional[bool] = None
    dhcp6: Optional[bool] = None
    dns: Optional[Dict[str, Any]] = None  # host_name, domain_name, nameservers, search_domains


@dataclass(frozen=True)
class NicAction:
    """What happens to one interface or NIC; ``reasons`` say why, for the user."""
    action: str                          # keep | edit | replace | add | remove | unmanaged
    interface: Optional[str] = None
    key: Optional[int] = None            # the existing NIC
    adapter_type: Optional[str] = None   # the NIC's type after the change
    network: Optional[Network] = None    # the network after the change
    mac_address: Optional[str] = None    # add/replace: MAC to give the new NIC (None: vCenter assigns one)
    address_type: Optional[str] = None   # add/replace: manual for a static MAC
    connected: Optional[bool] = None     # after the change
    record: Optional[str] = None         # externalId to write; None: leave it as it is
    rebacks: bool = False                # edit: the NIC moves to ``network``
    matched_by: Optional[str] = None     # mac | record | network | any
    reasons: Tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        return self.action in CHANGING


@dataclass(frozen=True)
class NicPlan:
    actions: Tuple[NicAction, ...] = ()
    interfaces: Tuple[str, ...] = ()     # the interface names, spec order (the default interface when none given)
    networks: Dict[str, Network] = field(default_factory=dict)   # interface name -> its network after the change

    @property
    def changed(self) -> bool:
        return any(action.changes for action in self.actions)

    def of(self, interface: str) -> Optional[NicAction]:
        for action in self.actions:
            if action.interface == interface:
                return action
        return None


# ---------------------------------------------------------------------------
# The durable record and the VM class record
# ---------------------------------------------------------------------------

def record_for(interface: str) -> str:
    """The externalId that records a NIC as the NIC of an interface."""
    return RECORD_PREFIX + interface


def recorded_name(external_id: Optional[str]) -> Optional[str]:
    """The interface name a NIC's externalId records, or None (unset, or someone else's id)."""
    if external_id and external_id.startswith(RECORD_PREFIX) and len(external_id) > len(RECORD_PREFIX):
        return external_id[len(RECORD_PREFIX):]
    return None


def record_writable(nic: Optional[ObservedNic], network: Optional[Network]) -> bool:
    """May vm_network write its record on this NIC (existing, or None for a new one) when it ends up on network?"""
    if network is not None and (network.nsx or network.kind == OPAQUE):
        return False
    if nic is None:
        return True
    if nic.backing == OPAQUE:
        return False
    return not nic.external_id or nic.record is not None


def class_adapter_types(extra_config: Mapping[str, str]) -> Tuple[str, ...]:
    """The VM class's adapter types, from the ``guestnet.class`` record vm_deploy writes (() when there is none)."""
    return adapter_types_of(extra_config.get(CLASS_KEY))


# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------

class IncompleteCatalog(Exception):
    """A look-up that a catalog of only some networks (those a VM's NICs are on) cannot answer: read them all."""


class NetworkCatalog:
    """The port groups of one datacenter, with look-ups by name (for specs) and by backing (for NICs).

    ``complete=False``: only some of them (the networks a VM's NICs are on, read with the VM); a look-up it cannot
    answer raises IncompleteCatalog instead of an error, and the caller reads every network and asks again. A name it
    finds once is taken, although the datacenter may have it on another switch too.
    """

    def __init__(self, networks: Sequence[Network], datacenter: Optional[str] = None, complete: bool = True) -> None:
        self.networks = tuple(sorted(networks, key=lambda net: (net.name, net.kind, net.switch or '', net.moid)))
        self.datacenter = datacenter
        self.complete = complete
        self.by_moid = {net.moid: net for net in self.networks}

    def named(self, name: str) -> List[Network]:
        return [net for net in self.networks if net.name == name and not net.uplink]

    def network(self, moid: str) -> Optional[Network]:
        """The network of this moid; None when the datacenter has none (IncompleteCatalog when this catalog cannot tell)."""
        found = self.by_moid.get(moid)
        if found is None and not self.complete:
            raise IncompleteCatalog(moid)
        return found

    def resolve(self, ref: NetworkRef, path: str) -> Network:
        """The one network a spec's ``network`` names; SpecError when none or several match."""
        candidates = self.named(ref.name)
        if not self.complete and (not candidates or (ref.switch is not None and not any(net.switch_label == ref.switch for net in candidates))):
            raise IncompleteCatalog(ref.name)
        where = ' in datacenter %s' % self.datacenter if self.datacenter else ''
        shown: Any = ref.name if ref.switch is None else {'name': ref.name, 'switch': ref.switch}
        if not candidates:
            close = difflib.get_close_matches(ref.name, sorted({net.name for net in self.networks if not net.uplink}), n=3)
            hint = '; did you mean %s?' % ', '.join(close) if close else ''
            raise SpecError(path, shown, 'is not a port group%s%s' % (where, hint))
        if ref.switch is not None:
            found = [net for net in candidates if net.switch_label == ref.switch]
            if not found:
                raise SpecError(path + '.switch', ref.switch, 'has no port group %s%s; it is on: %s'
                                % (ref.name, where, _switch_list(candidates)))
            candidates = found
        if len(candidates) > 1:
            raise SpecError(path, shown, 'names %d port groups%s, on: %s; give network: {name: %s, switch: <one of them>}'
                            % (len(candidates), where, _switch_list(candidates), ref.name))
        return candidates[0]

    def default(self) -> Optional[Network]:
        """The network of an interface that names none: 'VM Network' when the datacenter has it, else the first by name."""
        if not self.complete:
            raise IncompleteCatalog('the default network')
        usable = [net for net in self.networks if not net.uplink and not _UPLINK_NAME_RE.search(net.name)]
        for net in usable:
            if net.name == DEFAULT_NETWORK_NAME and net.kind == STANDARD:
                return net
        return usable[0] if usable else None

    def find_backing(self, backing: str, value: Optional[str], switch_uuid: Optional[str] = None) -> Optional[Network]:
        """The network of a NIC backing: a standard port group by moid or name, a distributed one by key, opaque by id."""
        if not value:
            return None
        for net in self.networks:
            if backing == STANDARD and net.kind == STANDARD and value in (net.moid, net.name):
                return net
            if backing == DISTRIBUTED and net.kind == DISTRIBUTED and net.portgroup_key == value and switch_uuid in (None, net.switch_uuid):
                return net
            if backing == OPAQUE and net.kind == OPAQUE and net.opaque_id == value:
                return net
        return None


def _switch_list(networks: Sequence[Network]) -> str:
    labels = []
    for net in networks:
        if net.kind == DISTRIBUTED:
            labels.append('%s (distributed switch)' % net.switch_label)
        elif net.kind == OPAQUE:
            labels.append('opaque (NSX network %s)' % (net.opaque_id or net.moid))
        else:
            labels.append('standard (standard port group)')
    return ', '.join(labels)


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Wanted:
    """What matching needs to know of one interface."""
    name: str
    mac_address: Optional[str] = None
    network: Optional[NetworkRef] = None
    network_moid: Optional[str] = None   # the resolved network, when the caller has a catalog
    adapter_type: Optional[str] = None   # only an explicit one


def wanted_of(iface: InterfaceSpec, network: Optional[Network] = None) -> Wanted:
    return Wanted(name=iface.name, mac_address=normalize_mac(iface.mac_address) if iface.mac_address else None,
                  network=iface.network, network_moid=network.moid if network is not None else None,
                  adapter_type=iface.adapter_type)


def _on_network(nic: ObservedNic, wanted: Wanted) -> bool:
    if wanted.network_moid is not None:
        return nic.network == wanted.network_moid
    ref = wanted.network
    return ref is not None and nic.network_name == ref.name and (ref.switch is None or ref.switch == nic.switch)


def match_nics(nics: Sequence[ObservedNic], interfaces: Sequence[Wanted]) -> Dict[str, Tuple[ObservedNic, str]]:
    """Interface name -> (its NIC, how it was matched: mac | record | network | any). Unmatched interfaces are left out.

    vm_bootstrap uses this too (through ``interface_macs``) to map its NIC settings to interfaces.
    """
    ordered = sorted(nics, key=lambda nic: nic.key)
    taken: Dict[int, str] = {}
    result: Dict[str, Tuple[ObservedNic, str]] = {}

    def claim(iface: Wanted, nic: ObservedNic, how: str) -> None:
        taken[nic.key] = iface.name
        result[iface.name] = (nic, how)

    for iface in interfaces:                                    # 1. static MAC
        if iface.mac_address:
            for nic in ordered:
                if nic.key not in taken and nic.mac_address == iface.mac_address:
                    claim(iface, nic, 'mac')
                    break
    for iface in interfaces:                                    # 2. durable record
        if iface.name not in result:
            for nic in ordered:
                if nic.key not in taken and nic.record == iface.name:
                    claim(iface, nic, 'record')
                    break

    for explicit in (True, False):                              # 3. same network, 4. any network
        for iface in interfaces:
            if iface.name in result or iface.mac_address or (iface.network is not None) != explicit:
                continue
            candidates = [nic for nic in ordered if nic.key not in taken and (not explicit or _on_network(nic, iface))]
            if iface.adapter_type:
                candidates.sort(key=lambda nic: nic.adapter_type != iface.adapter_type)   # stable: keys stay ordered
            if candidates:
                claim(iface, candidates[0], 'network' if explicit else 'any')
    return result


def interface_macs(nics: Sequence[ObservedNic], spec: NetworkSpec) -> Dict[str, str]:
    """Interface name -> MAC of its NIC, for the spec's interfaces (or the default one); networks compared by name."""
    interfaces = effective_interfaces(spec)
    matched = match_nics(nics, [wanted_of(iface) for iface in interfaces])
    return {name: nic.mac_address for name, (nic, how) in matched.items() if nic.mac_address}


def effective_interfaces(spec: NetworkSpec) -> Tuple[InterfaceSpec, ...]:
    """The spec's interfaces; one default interface when none are given; none when networking is disabled."""
    if spec.disabled:
        return ()
    return spec.interfaces or (InterfaceSpec(name=DEFAULT_INTERFACE_NAME),)


# ---------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------

def plan_nics(nics: Sequence[ObservedNic], spec: NetworkSpec, resolved: ResolvedNetwork, catalog: NetworkCatalog, *,
              remove_unmanaged: bool = False, connected: bool = True, interface_connected: Optional[Mapping[str, bool]] = None,
              powered_on: bool = False, power_state: str = '') -> NicPlan:
    """Reconcile the VM's NICs with the spec's interfaces; SpecError (naming the field) for what cannot be done.

    ``resolved`` supplies the adapter type of each interface (explicit, else the class's, else vmxnet3); it is
    enforced on an existing NIC only when the spec gives ``adapter_type`` explicitly. ``network.disabled`` removes
    every NIC; otherwise NICs no interface claims are removed only with ``remove_unmanaged``.
    """
    interfaces = effective_interfaces(spec)
    adapter_types = {iface.name: iface.adapter_type for iface in resolved.interfaces}
    overrides = dict(interface_connected or {})
    names = [iface.name for iface in interfaces]
    for name in sorted(overrides):
        if name not in names:
            raise SpecError('interface_connected', name, 'is not an interface of network.interfaces (%s)' % (', '.join(names) or 'none'))

    targets: Dict[str, Optional[Network]] = {}
    for index, iface in enumerate(interfaces):
        path = _iface_path(spec, index)
        targets[iface.name] = catalog.resolve(iface.network, path + '.network') if iface.network is not None else None
    matched = match_nics(nics, [wanted_of(iface, targets[iface.name]) for iface in interfaces])

    actions: List[NicAction] = []
    networks: Dict[str, Network] = {}
    new_keys = 0
    for index, iface in enumerate(interfaces):
        path = _iface_path(spec, index)
        want_connected = bool(overrides.get(iface.name, connected))
        target = targets[iface.name]
        found = matched.get(iface.name)
        if found is None:
            action = _plan_add(iface, path, target, catalog, adapter_types[iface.name], want_connected)
            new_keys += 1
        else:
            action = _plan_existing(iface, path, found[0], found[1], target, catalog, want_connected, powered_on, power_state)
        if action.network is not None:
            networks[iface.name] = action.network
        actions.append(action)

    claimed = {action.key for action in actions if action.key is not None}
    for nic in sorted(nics, key=lambda item: item.key):
        if nic.key in claimed:
            continue
        network = catalog.by_moid.get(nic.network or '')
        common = dict(key=nic.key, adapter_type=nic.adapter_type, network=network, connected=nic.connected,
                      interface=None)
        if spec.disabled:
            actions.append(NicAction(action=REMOVE, reasons=('network.disabled: the VM has no NICs',), **common))
        elif remove_unmanaged:
            actions.append(NicAction(action=REMOVE, reasons=('no interface claims it (remove_unmanaged)',), **common))
        else:
            actions.append(NicAction(action=UNMANAGED, reasons=('no interface claims it; kept (remove_unmanaged is false)',), **common))
    return NicPlan(actions=tuple(actions), interfaces=tuple(names), networks=networks)


def _iface_path(spec: NetworkSpec, index: int) -> str:
    return 'network.interfaces[%d]' % index if spec.interfaces else 'network.interfaces'


def _plan_add(iface: InterfaceSpec, path: str, target: Optional[Network], catalog: NetworkCatalog,
              adapter_type: str, want_connected: bool) -> NicAction:
    network = target or catalog.default()
    if network is None:
        where = catalog.datacenter or 'of the VM'
        if path == 'network.interfaces':
            raise SpecError(path, [], 'gives no interface, so the VM gets the default interface %s, but datacenter %s has no port group '
                                      'to put its NIC on' % (iface.name, where))
        raise SpecError(path + '.network', None, 'is not given, and datacenter %s has no port group to put a new NIC on' % where)
    if adapter_type in NO_HOT_CHANGE_TYPES:
        raise SpecError(path + '.adapter_type', adapter_type, 'cannot be added by vm_network (an SR-IOV adapter needs a physical '
                                                              'function); add it in vSphere, then vm_network matches it')
    mac = normalize_mac(iface.mac_address) if iface.mac_address else None
    reason = 'new %s NIC on %s%s' % (adapter_type, network.describe(), ' with MAC %s' % mac if mac else '')
    return NicAction(action=ADD, interface=iface.name, adapter_type=adapter_type, network=network, mac_address=mac,
                     address_type='manual' if mac else None, connected=want_connected,
                     record=record_for(iface.name) if record_writable(None, network) else None,
                     reasons=(reason,))


def _plan_existing(iface: InterfaceSpec, path: str, nic: ObservedNic, how: str, target: Optional[Network], catalog: NetworkCatalog,
                   want_connected: bool, powered_on: bool, power_state: str) -> NicAction:
    mac = normalize_mac(iface.mac_address) if iface.mac_address else None
    if mac and nic.mac_address != mac:
        raise SpecError(path + '.mac_address', iface.mac_address,
                        "differs from %s, the MAC address of the VM's NIC %d recorded for interface %s; the MAC of an existing NIC "
                        'cannot be changed: drop mac_address, or remove that NIC (remove_unmanaged) under another interface name'
                        % (nic.mac_address, nic.key, iface.name))
    current = catalog.by_moid.get(nic.network or '')
    network = target or current
    reasons: List[str] = []
    replace = bool(iface.adapter_type) and iface.adapter_type != nic.adapter_type
    if replace:
        if powered_on or power_state not in ('poweredOff', ''):
            raise SpecError(path + '.adapter_type', iface.adapter_type,
                            'differs from %s, the type of NIC %d (MAC %s) that backs interface %s; changing an adapter type replaces '
                            'the NIC and needs the VM powered off (it is %s)'
                            % (nic.adapter_type, nic.key, nic.mac_address, iface.name, power_state or 'powered on'))
        if iface.adapter_type in NO_HOT_CHANGE_TYPES:
            raise SpecError(path + '.adapter_type', iface.adapter_type, 'cannot be added by vm_network (an SR-IOV adapter needs a '
                                                                        'physical function)')
        reasons.append('adapter type %s -> %s (the NIC is replaced, with MAC %s)' % (nic.adapter_type, iface.adapter_type, nic.mac_address))
    rebacks = target is not None and nic.network != target.moid
    if rebacks:
        reasons.append('network %s -> %s' % (_nic_network_text(nic, current), target.describe()))
    if nic.start_connected != want_connected or (powered_on and nic.connected != want_connected):
        reasons.append('connect' if want_connected else 'disconnect')
    record = None
    if record_writable(nic, network) and nic.external_id != record_for(iface.name):
        record = record_for(iface.name)
        reasons.append('record interface name %s on the NIC (externalId)' % iface.name)
    if replace:
        action = REPLACE
        if record is None and record_writable(None, network):
            record = record_for(iface.name)
    else:
        action = EDIT if reasons else KEEP
    return NicAction(action=action, interface=iface.name, key=nic.key, adapter_type=iface.adapter_type if replace else nic.adapter_type,
                     network=network, mac_address=nic.mac_address if replace else None,
                     address_type=nic.address_type if replace else None, connected=want_connected, record=record,
                     rebacks=rebacks, matched_by=how, reasons=tuple(reasons))


def _nic_network_text(nic: ObservedNic, network: Optional[Network]) -> str:
    if network is not None:
        return network.describe()
    return '%s (not in this datacenter)' % nic.network_name if nic.network_name else 'no network'


def plan_summary(plan: NicPlan) -> List[Dict[str, Any]]:
    """The plan as plain data (the module's ``actions`` return value)."""
    out = []
    for action in plan.actions:
        item: Dict[str, Any] = {'action': action.action, 'interface': action.interface, 'device_key': action.key}
        if action.adapter_type:
            item['adapter_type'] = action.adapter_type
        if action.network is not None:
            item['network'] = action.network.name
            if action.network.kind != STANDARD:
                item['switch'] = action.network.switch_label
        if action.matched_by:
            item['matched_by'] = action.matched_by
        item['reasons'] = list(action.reasons)
        out.append(item)
    return out


# ---------------------------------------------------------------------------
# NIC lists (diff), observed guest network, drift, waiting, primary IPs
# ---------------------------------------------------------------------------

def device_order(nic: ObservedNic) -> Tuple[bool, int]:
    """Existing NICs by device key, then the new ones of a prediction (keys -1, -2, ...) in the order they are added."""
    return (nic.key < 0, abs(nic.key))


def nic_list(nics: Sequence[ObservedNic], names: Mapping[int, str]) -> List[Dict[str, Any]]:
    """The VM's NICs in device order, for a diff: interface, key, MAC, type, network, connected."""
    out = []
    for nic in sorted(nics, key=device_order):
        out.append({'interface': names.get(nic.key), 'device_key': nic.key, 'mac_address': nic.mac_address,
                    'adapter_type': nic.adapter_type, 'network': nic.network_name, 'switch': nic.switch,
                    'start_connected': nic.start_connected})
    return out


def predicted_nics(nics: Sequence[ObservedNic], plan: NicPlan, powered_on: bool) -> Tuple[List[ObservedNic], Dict[int, str]]:
    """The NICs after the plan (check mode's "after"): new NICs get key -1, -2, ... and no MAC unless static."""
    by_key = {nic.key: nic for nic in nics}
    after: List[ObservedNic] = []
    names: Dict[int, str] = {}
    new_key = 0
    for action in plan.actions:
        old = by_key.get(action.key) if action.key is not None else None
        if action.action == REMOVE:
            continue
        if action.action == UNMANAGED and old is not None:
            after.append(old)
            continue
        if action.action in (ADD, REPLACE):
            new_key -= 1
            key = new_key
        else:
            key = action.key if action.key is not None else 0
        network = action.network
        base = old or ObservedNic(key=key, adapter_type=action.adapter_type or '')
        connected = action.connected if action.connected is not None else base.connected
        nic = ObservedNic(
            key=key, adapter_type=action.adapter_type or base.adapter_type,
            mac_address=action.mac_address if action.action in (ADD, REPLACE) else base.mac_address,
            address_type=action.address_type or base.address_type,
            backing=network.kind if network is not None else base.backing,
            network=network.moid if network is not None else base.network,
            network_name=network.name if network is not None else base.network_name,
            switch=network.switch_label if network is not None else base.switch,
            connected=connected if powered_on else base.connected if old is not None else connected,
            start_connected=connected, external_id=action.record or base.external_id, label=base.label)
        after.append(nic)
        if action.interface:
            names[key] = action.interface
    return after, names


def names_by_key(matched: Mapping[str, Tuple[ObservedNic, str]]) -> Dict[int, str]:
    return {nic.key: name for name, (nic, how) in matched.items()}


def guest_of(nic: ObservedNic, guest: Sequence[GuestNic]) -> Optional[GuestNic]:
    """The guest.net entry of a NIC: by device key (with the same MAC, when both are known), else by MAC.

    The MAC check keeps a stale entry of a removed NIC from standing in for a new NIC that took its device key.
    """
    for entry in guest:
        if entry.device_key is not None and entry.device_key == nic.key and \
                not (nic.mac_address and entry.mac_address and entry.mac_address.lower() != nic.mac_address.lower()):
            return entry
    for entry in guest:
        if nic.mac_address and entry.mac_address == nic.mac_address and (entry.device_key is None or entry.device_key >= 0):
            return entry
    return None


def observed_interfaces(nics: Sequence[ObservedNic], guest: Sequence[GuestNic], names: Mapping[int, str]) -> List[Dict[str, Any]]:
    """Every NIC with what the guest reports on it (VM Operator's ``status.network.interfaces``, snake_case)."""
    out = []
    for nic in sorted(nics, key=device_order):
        item: Dict[str, Any] = {'name': names.get(nic.key), 'device_key': nic.key, 'mac_address': nic.mac_address,
                                'adapter_type': nic.adapter_type, 'network': nic.network_name}
        if nic.backing != STANDARD and nic.switch:
            item['switch'] = nic.switch
        item['connected'] = nic.connected
        item['start_connected'] = nic.start_connected
        entry = guest_of(nic, guest)
        if entry is not None:
            ip: Dict[str, Any] = {'addresses': [_address_dict(address) for address in entry.addresses]}
            dhcp = {family: {'enabled': enabled} for family, enabled in (('ip4', entry.dhcp4), ('ip6', entry.dhcp6)) if enabled is not None}
            if dhcp:
                ip['dhcp'] = dhcp
            item['ip'] = ip
            item['guest_connected'] = entry.connected
            if entry.dns:
                item['dns'] = dict(entry.dns)
        out.append(item)
    return out


def _address_dict(address: GuestAddress) -> Dict[str, Any]:
    item: Dict[str, Any] = {'address': address.text}
    if address.origin:
        item['origin'] = address.origin
    if address.state:
        item['state'] = address.state
    return item


def _ip(text: str) -> Optional[IPAddress]:
    try:
        return ipaddress.ip_interface(text).ip if '/' in text else ipaddress.ip_address(text)
    except ValueError:
        return None


def _seen(entry: GuestNic) -> List[Tuple[IPAddress, int, str]]:
    out = []
    for address in entry.addresses:
        ip = _ip(address.address)
        if ip is not None:
            out.append((ip, address.prefix_length, address.text))
    return out


def _address_drift(iface: ResolvedInterface, entry: GuestNic) -> Dict[str, Any]:
    seen = _seen(entry)
    missing = []
    for text in iface.addresses:
        cidr = ipaddress.ip_interface(text)
        if not any(ip == cidr.ip and (prefix in (0, cidr.network.prefixlen)) for ip, prefix, shown in seen):
            missing.append(text)
    intended = {ipaddress.ip_interface(text).ip: ipaddress.ip_interface(text).network.prefixlen for text in iface.addresses}
    dynamic = {4: iface.dhcp4, 6: iface.dhcp6 or iface.accept_ra}
    unexpected = []
    for ip, prefix, shown in seen:
        if not is_usable_ip(ip) or dynamic[ip.version]:
            continue
        if ip not in intended or (prefix and prefix != intended[ip]):
            unexpected.append(shown)
    no_dhcp = [family for family, version, enabled in (('ip4', 4, iface.dhcp4), ('ip6', 6, iface.dhcp6))
               if enabled and not any(ip.version == version and is_usable_ip(ip) for ip, prefix, shown in seen)]
    out: Dict[str, Any] = {}
    if missing:
        out['missing_addresses'] = missing
    if unexpected:
        out['unexpected_addresses'] = unexpected
    if no_dhcp:
        out['no_dhcp_address'] = no_dhcp
    return out


def drift(resolved: ResolvedNetwork, nics: Sequence[ObservedNic], names: Mapping[int, str], guest: Sequence[GuestNic], *,
          networks: Optional[Mapping[str, Network]] = None, connected: Optional[Mapping[str, bool]] = None,
          powered_on: bool = False) -> List[Dict[str, Any]]:
    """Intended vs observed, per interface; only interfaces with a difference are listed.

    Keys: ``missing_nic``; ``network`` {intended, observed}; ``connected`` {intended, observed} (powered-on VMs);
    ``not_reported`` (the guest reports nothing for the NIC); ``missing_addresses`` (static, CIDR);
    ``unexpected_addresses`` (usable addresses of a family without DHCP that the spec does not list);
    ``no_dhcp_address`` (``ip4``/``ip6``: DHCP on, no usable address yet).
    """
    by_name = _by_name(nics, names)
    out = []
    for iface in resolved.interfaces:
        entry: Dict[str, Any] = {}
        nic = by_name.get(iface.name)
        if nic is None:
            entry['missing_nic'] = True
        else:
            intended = (networks or {}).get(iface.name)
            if intended is not None and nic.network != intended.moid:
                entry['network'] = {'intended': intended.name, 'observed': nic.network_name}
            want = (connected or {}).get(iface.name)
            if powered_on and want is not None and nic.connected != want:
                entry['connected'] = {'intended': want, 'observed': nic.connected}
            guest_entry = guest_of(nic, guest)
            if guest_entry is None:
                entry['not_reported'] = True
            else:
                entry.update(_address_drift(iface, guest_entry))
        if entry:
            out.append(dict({'name': iface.name, 'mac_address': nic.mac_address if nic is not None else None}, **entry))
    return out


def _by_name(nics: Sequence[ObservedNic], names: Mapping[int, str]) -> Dict[str, ObservedNic]:
    by_key = {nic.key: nic for nic in nics}
    return {name: by_key[key] for key, name in names.items() if key in by_key}


def wait_pending(resolved: ResolvedNetwork, nics: Sequence[ObservedNic], names: Mapping[int, str], guest: Sequence[GuestNic]) -> List[str]:
    """What the guest does not show yet: every static address, and a usable address per DHCP family. Empty: done."""
    by_name = _by_name(nics, names)
    pending = []
    for iface in resolved.interfaces:
        nic = by_name.get(iface.name)
        if nic is None:
            pending.append('%s: no NIC' % iface.name)
            continue
        entry = guest_of(nic, guest)
        if entry is None:
            pending.append('%s: the guest reports nothing for NIC %s' % (iface.name, nic.mac_address))
            continue
        found = _address_drift(iface, entry)
        for text in found.get('missing_addresses', []):
            pending.append('%s: %s' % (iface.name, text))
        for family in found.get('no_dhcp_address', []):
            pending.append('%s: a DHCP%s address' % (iface.name, 'v4' if family == 'ip4' else 'v6'))
    return pending


def primary_ips(guest_ip_address: Optional[str], guest: Sequence[GuestNic],
                extra_config: Optional[Mapping[str, str]] = None) -> Tuple[Optional[str], Optional[str]]:
    """VM Operator's primaryIP4/primaryIP6 from the observed guest network.

    1. ``guest.ipAddress`` by family (unusable addresses ignored); 2. cloud-init's ``guestinfo.local-ipv4/6`` take
    precedence; 3. with one family found, the NIC holding it supplies the other when it has exactly one usable
    address of it; with none found and exactly one NIC, each family's single usable address on it.
    """
    found: Dict[int, Optional[str]] = {4: None, 6: None}
    first = _ip(guest_ip_address or '')
    if first is not None and is_usable_ip(first):
        found[first.version] = str(first)
    for key, version in ((LOCAL_IPV4_KEY, 4), (LOCAL_IPV6_KEY, 6)):
        local = _ip(((extra_config or {}).get(key) or '').strip())
        if local is not None and local.version == version and is_usable_ip(local):
            found[version] = str(local)
    nics = [entry for entry in guest if entry.device_key is None or entry.device_key >= 0]

    def usable(entry: GuestNic, version: int) -> List[str]:
        return list(dict.fromkeys(str(ip) for ip, prefix, shown in _seen(entry) if ip.version == version and is_usable_ip(ip)))

    if (found[4] is None) != (found[6] is None):
        have, other = (4, 6) if found[4] else (6, 4)
        for entry in nics:
            if found[have] in usable(entry, have):
                candidates = usable(entry, other)
                if len(candidates) == 1:
                    found[other] = candidates[0]
                break
    elif found[4] is None and len(nics) == 1:
        for version in (4, 6):
            candidates = usable(nics[0], version)
            if len(candidates) == 1:
                found[version] = candidates[0]
    return found[4], found[6]
