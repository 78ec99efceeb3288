# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""subnet_sync over plain data: a vCenter snapshot plus the ledger -> the synced ledger and a report. PRIVATE.

The module reads vCenter once and hands this code a snapshot of plain dicts (no pyVmomi here)::

    {'portgroups': [{'moid': 'dvportgroup-13', 'name': 'DC0_DVPG0', 'kind': 'distributed' | 'standard',
                     'switch': 'DVS0', 'switch_uuid': '...', 'vlan': 100 | -1 (trunk) | None,
                     'hosts': ['esx1', ...], 'datacenter': 'DC0'}],
     'hosts': [{'moid': 'host-23', 'name': 'esx1', 'datacenter': 'DC0', 'portgroups': ['dvportgroup-13', ...]}],
     'vms': [{'moid': 'vm-59', 'name': 'web01', 'instance_uuid': '...', 'datacenter': 'DC0', 'tools_running': True,
              'nics': [{'key': 4000, 'mac': '00:50:56:...', 'portgroup': 'dvportgroup-13' | None,
                        'ips': ['10.0.0.5/24', 'fe80::1/64', ...]}]}],   # guest.net, in NIC order
     'other_vms': [{'moid': 'vm-7', 'name': 'tmpl', 'instance_uuid': '...' | None, 'datacenter': 'DC0', 'template': True}]}

``vms`` are the VMs of the whole vCenter with an instance UUID, templates left out; ``other_vms`` are those left out
(templates, and VMs whose instance UUID could not be read). Reclaim needs both: a VM that exists in any form keeps
its addresses.

Port groups are keyed in the ledger by moid (unique in one vCenter; users may name them by name or moid).
A VM is keyed by its instance UUID, and its NICs are called ``eth0``, ``eth1``... in NIC order (``interface_name``),
the names a default network spec gives them, so an address observed here is the one ``allocate`` reuses later.

``sync`` runs every ledger change in ONE ledger transaction (``LedgerBackend.batch``): a bad input anywhere leaves
the ledger as it was, and check mode (dry_run) sees each step's effect on the next without keeping any.

Nothing here imports Ansible or pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
from dataclasses import asdict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (
    ALLOCATED,
    CONFLICT,
    FIXED,
    HOLDER_KINDS,
    MARKED,
    RESERVED,
    Address,
    LedgerBackend,
    LedgerError,
    ObservedAddress,
    Subnet,
    _declare_subnet,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import is_usable_ip

SUBNET_OPTIONS = ('range_start', 'range_end', 'gateway', 'reserved', 'nameservers', 'search_domains', 'mtu', 'direction', 'hold_back')
RECLAIM_GRACE_SECONDS = 24 * 3600   # reclaim_grace's default: far longer than any clone (the vm module allocates before it clones)


def interface_name(index: int) -> str:
    """The ledger's interface name of a VM's NIC number ``index`` (0-based, in device order)."""
    return 'eth%d' % index


def guest_ips(values: Iterable[str]) -> List[str]:
    """Bare addresses a guest reports, without link-local, loopback, multicast or unspecified ones; each once."""
    found: List[str] = []
    for value in values or ():
        text = str(value).split('/', 1)[0].split('%', 1)[0].strip()
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if is_usable_ip(address) and not address.is_multicast and str(address) not in found:
            found.append(str(address))
    return found


# ----- looking things up in the snapshot ---------------------------------------------------------------------------

def _in_scope(item: Mapping[str, Any], datacenter: Optional[str]) -> bool:
    return not datacenter or item.get('datacenter') == datacenter


def find_portgroup(snapshot: Mapping[str, Any], ref: Any, path: str, datacenter: Optional[str] = None) -> Dict[str, Any]:
    """The port group called ``ref`` (a moid, or a name unique in the datacenter filter); SpecError otherwise."""
    if not isinstance(ref, str) or not ref.strip():
        raise SpecError(path, ref, 'is not a port group name or moid')
    ref = ref.strip()
    portgroups = snapshot.get('portgroups', ())
    by_moid = [pg for pg in portgroups if pg['moid'] == ref]
    if by_moid:
        return by_moid[0]
    found = [pg for pg in portgroups if pg['name'] == ref and _in_scope(pg, datacenter)]
    if len(found) == 1:
        return found[0]
    where = ' in datacenter %s' % datacenter if datacenter else ''
    if not found:
        known = sorted({pg['name'] for pg in portgroups if _in_scope(pg, datacenter)})
        raise SpecError(path, ref, 'is not a port group%s (known: %s)' % (where, ', '.join(known) or 'none'))
    raise SpecError(path, ref, 'names %d port groups%s: %s; use the moid, or set datacenter' % (
        len(found), where, ', '.join('%s (%s, %s)' % (pg['moid'], pg.get('datacenter'), pg.get('switch')) for pg in found)))


def find_vm(snapshot: Mapping[str, Any], ref: Any, path: str, datacenter: Optional[str] = None) -> Dict[str, Any]:
    """The VM called ``ref``: a moid, an instance UUID, or a name unique in the datacenter filter."""
    if not isinstance(ref, str) or not ref.strip():
        raise SpecError(path, ref, 'is not a VM name, instance UUID or moid')
    ref = ref.strip()
    vms = [vm for vm in snapshot.get('vms', ()) if _in_scope(vm, datacenter)]
    found = [vm for vm in vms if vm['moid'] == ref or (vm.get('instance_uuid') or '').lower() == ref.lower()]
    found = found or [vm for vm in vms if vm['name'] == ref]
    where = ' in datacenter %s' % datacenter if datacenter else ''
    if not found:
        raise SpecError(path, ref, 'is not a VM%s' % where)
    if len(found) > 1:
        raise SpecError(path, ref, 'names %d VMs%s: %s; use the instance UUID or the moid, or set datacenter' % (
            len(found), where, ', '.join('%s (%s)' % (vm['moid'], vm.get('datacenter')) for vm in found)))
    return found[0]


# ----- checking the options ----------------------------------------------------------------------------------------

def check_subnets(subnets: Optional[Sequence[Mapping[str, Any]]]) -> None:
    """What can be checked without vCenter: each declaration on its own, and unique names."""
    seen: Dict[str, int] = {}
    for index, item in enumerate(subnets or ()):
        path = 'subnets[%d]' % index
        name = item.get('name')
        if name in seen:
            raise SpecError(path + '.name', name, 'is declared twice (also subnets[%d])' % seen[name])
        seen[name] = index
        try:
            _declare_subnet(name, item.get('cidr'), _options(item, item.get('portgroup')))
        except LedgerError as error:
            raise LedgerError('%s: %s' % (path, error)) from None


def check_fix_nics(fix_nics: Optional[Sequence[Mapping[str, Any]]]) -> None:
    """Every fixed IP is an IP address, and none is given twice."""
    seen: Dict[str, str] = {}
    for index, item in enumerate(fix_nics or ()):
        for position, value in enumerate(item.get('ips') or ()):
            path = 'fix_nics[%d].ips[%d]' % (index, position)
            if value in (None, ''):
                continue
            try:
                address = str(ipaddress.ip_address(str(value).strip()))
            except ValueError:
                raise SpecError(path, value, 'is not an IP address (give the bare address, without a prefix length)') from None
            if address in seen:
                raise SpecError(path, value, 'is given twice (also %s)' % seen[address])
            seen[address] = path


def _options(item: Mapping[str, Any], portgroup: Optional[str]) -> Dict[str, Any]:
    options = {key: item.get(key) for key in SUBNET_OPTIONS if item.get(key) is not None}
    options['portgroup'] = portgroup
    return options


# ----- the ledger's state, for diff and changed --------------------------------------------------------------------

def _row(address: Address, names: Mapping[str, str]) -> Dict[str, Any]:
    # The VM's name in vCenter; else the name the ledger labelled the address with (a VM that is gone).
    return {'subnet': address.subnet, 'ip': address.ip, 'kind': address.kind, 'vm': names.get(address.vm_uuid or '') or address.note,
            'vm_uuid': address.vm_uuid, 'interface': address.interface, 'mac': address.mac, 'portgroup': address.portgroup}


def ledger_state(ledger: LedgerBackend, vm_names: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The ledger as compact plain data (no timestamps): what the diff shows and what `changed` compares.

    Address lines read ``ip kind [vm name] vm-uuid/interface [mac] [port group]``.
    """
    vm_names = vm_names or {}
    networks = {net.moid: {'name': net.name, 'switch': net.switch, 'vlan': net.vlan, 'hosts': list(net.hosts)}
                for net in ledger.list_networks()}
    subnets = {}
    for subnet in ledger.list_subnets():
        entry = {key: value for key, value in asdict(subnet).items() if key not in ('name', 'additional', 'reserved')}
        entry['reserved'] = ['%s-%s' % (item.start, item.end) + (' until %s' % item.expires_at if item.expires_at else '')
                             + (' (%s)' % item.note if item.note else '') for item in subnet.reserved]
        entry['additional_portgroups'] = {extra.portgroup: extra.added_by for extra in subnet.additional}
        for key in ('nameservers', 'search_domains'):
            entry[key] = list(entry[key])
        subnets[subnet.name] = entry
    addresses: Dict[str, List[str]] = {}
    for address in ledger.addresses():
        if address.kind != RESERVED:
            addresses.setdefault(address.subnet, []).append(' '.join(str(part) for part in (
                address.ip, address.kind, vm_names.get(address.vm_uuid or '') or address.note, address.owner, address.mac, address.portgroup)
                if part is not None))
    return {'networks': networks, 'subnets': subnets, 'addresses': {key: sorted(value) for key, value in sorted(addresses.items())}}


# ----- the sync ----------------------------------------------------------------------------------------------------

class _Sync:
    """One run: resolves the options against the snapshot, then applies them inside ledger.batch()."""

    def __init__(self, ledger: LedgerBackend, snapshot: Mapping[str, Any], datacenter: Optional[str]) -> None:
        self.ledger = ledger
        self.snapshot = snapshot
        self.datacenter = datacenter
        self.portgroups = {pg['moid']: pg for pg in snapshot.get('portgroups', ())}
        self.vm_names = {vm['instance_uuid']: vm['name'] for vm in snapshot.get('vms', ()) if vm.get('instance_uuid')}
        self.scope_portgroups = [pg for pg in snapshot.get('portgroups', ()) if _in_scope(pg, datacenter)]
        self.scope_vms = sorted((vm for vm in snapshot.get('vms', ()) if vm.get('instance_uuid') and _in_scope(vm, datacenter)),
                                key=lambda vm: (vm['name'], vm['moid']))
        self.warnings: List[str] = []
        self.changes: Dict[str, Any] = {
            'networks': {'added': [], 'updated': [], 'removed': []},
            'subnets': {'added': [], 'updated': [], 'removed': []},
            'additional_portgroups': {'detected': [], 'undetected': [], 'marked': [], 'unmarked': []},
        }
        self.unmatched: List[Dict[str, Any]] = []
        self.fixed: List[Dict[str, Any]] = []
        self.reclaimed: List[str] = []

    def pg_name(self, moid: Optional[str], fallback: Optional[Mapping[str, Any]] = None) -> Optional[str]:
        if moid in self.portgroups:
            return self.portgroups[moid]['name']
        return (fallback or {}).get(moid, {}).get('name') if moid else None

    # -- resolving the options (before any change) -----------------------------------------------------------------
    def resolve_subnets(self, subnets: Optional[Sequence[Mapping[str, Any]]]) -> List[Dict[str, Any]]:
        declared = []
        for index, item in enumerate(subnets or ()):
            path = 'subnets[%d]' % index
            primary = find_portgroup(self.snapshot, item.get('portgroup'), path + '.portgroup', self.datacenter)['moid']
            additional = None
            if item.get('additional_portgroups') is not None:
                additional = []
                for position, ref in enumerate(item['additional_portgroups']):
                    where = '%s.additional_portgroups[%d]' % (path, position)
                    moid = find_portgroup(self.snapshot, ref, where, self.datacenter)['moid']
                    if moid == primary:
                        raise SpecError(where, ref, 'is the primary port group of subnet %s, not an additional one' % item.get('name'))
                    if moid not in additional:
                        additional.append(moid)
            declared.append({'index': index, 'name': item['name'], 'cidr': item['cidr'], 'options': _options(item, primary),
                             'additional': additional})
        return declared

    def resolve_fixes(self, fix_nics: Optional[Sequence[Mapping[str, Any]]]) -> List[Dict[str, Any]]:
        fixes = []
        seen: Dict[str, int] = {}
        for index, item in enumerate(fix_nics or ()):
            path = 'fix_nics[%d]' % index
            vm = find_vm(self.snapshot, item.get('vm'), path + '.vm', self.datacenter)
            if vm['moid'] in seen:
                raise SpecError(path + '.vm', item.get('vm'), 'is the VM of fix_nics[%d] too; give all its IPs there' % seen[vm['moid']])
            seen[vm['moid']] = index
            ips = list(item.get('ips') or ())
            if len(ips) > len(vm['nics']):
                raise SpecError(path + '.ips', ips, 'has %d addresses but VM %s has %d NIC(s); they are assigned in NIC order'
                                % (len(ips), vm['name'], len(vm['nics'])))
            nics = []
            for position, value in enumerate(ips):
                if value in (None, ''):
                    continue
                nic = vm['nics'][position]
                nics.append({'path': '%s.ips[%d]' % (path, position), 'ip': str(ipaddress.ip_address(str(value).strip())),
                             'interface': interface_name(position), 'nic': nic})
            fixes.append({'vm': vm, 'nics': nics})
        return fixes

    # -- the steps ---------------------------------------------------------------------------------------------------
    def sync_networks(self, known: Mapping[str, Any]) -> None:
        """Port groups of the scope are upserted; ledger networks gone from vCenter are removed; others are kept."""
        keep = [{'moid': pg['moid'], 'name': pg['name'], 'switch': pg.get('switch'), 'vlan': pg.get('vlan'),
                 'hosts': tuple(pg.get('hosts') or ())} for pg in self.scope_portgroups]
        scope = {pg['moid'] for pg in self.scope_portgroups}
        keep += [dict(net, hosts=tuple(net['hosts']), moid=moid) for moid, net in known.items()
                 if moid in self.portgroups and moid not in scope]
        result = self.ledger.sync_networks(keep, prune=True)
        for key, moids in result.items():
            self.changes['networks'][key] = [{'moid': moid, 'name': self.pg_name(moid, known)} for moid in moids]

    def declare(self, declared: Sequence[Mapping[str, Any]], purge: bool) -> None:
        existing = {subnet.name: subnet for subnet in self.ledger.list_subnets()}
        for item in declared:
            try:
                changed = self.ledger.upsert_subnet(item['name'], item['cidr'], **item['options'])
            except LedgerError as error:
                raise LedgerError('subnets[%d]: %s' % (item['index'], error)) from None
            if changed:
                self.changes['subnets']['updated' if item['name'] in existing else 'added'].append(item['name'])
        if purge:
            names = {item['name'] for item in declared}
            for name in sorted(set(existing) - names):
                held = [address for address in self.ledger.addresses(subnet=name) if address.kind in (ALLOCATED, FIXED)]
                if held:
                    listed = ', '.join('%s %s %s' % (item.ip, 'allocated to' if item.kind == ALLOCATED else 'fixed for', item.owner)
                                       for item in held[:5])
                    raise LedgerError('purge: subnet %s of ledger %s is not in subnets but %d address(es) are allocated or fixed in it (%s); '
                                      'release them first, or declare the subnet' % (name, self.ledger.name, len(held), listed))
                self.ledger.delete_subnet(name, force=True)
                self.changes['subnets']['removed'].append(name)
        for item in declared:
            if item['additional'] is None:
                continue
            subnet = self.ledger.get_subnet(item['name'])
            for moid in item['additional']:
                if self.ledger.mark_additional(item['name'], moid):
                    self.changes['additional_portgroups']['marked'].append(self._pair(item['name'], moid))
            for extra in subnet.additional:
                if extra.added_by == MARKED and extra.portgroup not in item['additional']:
                    self.ledger.unmark_additional(item['name'], extra.portgroup)
                    self.changes['additional_portgroups']['unmarked'].append(self._pair(item['name'], extra.portgroup))

    def _pair(self, subnet: str, moid: str) -> Dict[str, Any]:
        return {'subnet': subnet, 'portgroup': moid, 'portgroup_name': self.pg_name(moid)}

    def detect(self) -> None:
        """Cloudpods' synced additional wires: from the guest IPs on every port group of vCenter."""
        seen: Dict[str, Set[str]] = {}
        for vm in self.snapshot.get('vms', ()):
            if vm.get('tools_running'):
                for nic in vm['nics']:
                    if nic.get('portgroup'):
                        seen.setdefault(nic['portgroup'], set()).update(guest_ips(nic.get('ips') or ()))
        result = self.ledger.detect_additional({moid: sorted(ips) for moid, ips in sorted(seen.items())})
        self.changes['additional_portgroups']['detected'] = [self._pair(subnet, moid) for subnet, moid in result['added']]
        self.changes['additional_portgroups']['undetected'] = [self._pair(subnet, moid) for subnet, moid in result['removed']]

    def observe(self) -> None:
        """Each VM with running Tools: its observed addresses become what it reports now. Without Tools the VM's
        earlier observations stay (its guest is unknown, not empty). VMs gone from vCenter lose their observations."""
        present = {vm['instance_uuid'] for vm in self.snapshot.get('vms', ()) if vm.get('instance_uuid')}
        gone = sorted({address.vm_uuid for address in self.ledger.addresses() if address.kind not in (ALLOCATED, FIXED, RESERVED)
                       and address.vm_uuid and address.vm_uuid not in present})
        for vm_uuid in gone:
            self.ledger.replace_observed(vm_uuid, [])
        records = {}
        for vm in self.scope_vms:
            if vm.get('tools_running'):
                records[vm['instance_uuid']] = [
                    ObservedAddress(ip=ip, interface=interface_name(index), mac=nic.get('mac'), portgroup=nic.get('portgroup'))
                    for index, nic in enumerate(vm['nics']) for ip in guest_ips(nic.get('ips') or ())]
        names = {vm['instance_uuid']: vm['name'] for vm in self.scope_vms}
        results = {vm_uuid: self.ledger.replace_observed(vm_uuid, items, vm_name=names[vm_uuid]) for vm_uuid, items in records.items()}
        if any(result.removed for result in results.values()):
            # An address a VM gave up in this pass is free now: a VM that found it taken, earlier in the pass, gets it.
            for vm_uuid, result in results.items():
                if result.conflicts:
                    results[vm_uuid] = self.ledger.replace_observed(vm_uuid, records[vm_uuid], vm_name=names[vm_uuid])
        for vm in self.scope_vms:
            for ip in results[vm['instance_uuid']].unmatched if vm['instance_uuid'] in results else ():
                record = next(item for item in records[vm['instance_uuid']] if item.ip == ip)
                self.unmatched.append({'vm': vm['name'], 'vm_uuid': vm['instance_uuid'], 'interface': record.interface, 'mac': record.mac,
                                       'portgroup': record.portgroup, 'portgroup_name': self.pg_name(record.portgroup), 'ip': ip})

    def reclaim(self, grace: float) -> None:
        """Release the allocated and fixed addresses whose owner is no VM of vCenter (a decommission that deleted the VM
        but could not write the ledger). Never an existing VM's: the owners checked are every VM and template of the
        whole snapshot (whatever ``datacenter`` is), by instance UUID and by moid (the owner key of a VM without one),
        ignoring case. Not at all while some VM's instance UUID is unreadable. Kept, with a warning: addresses changed
        less than ``grace`` seconds ago (a VM being cloned holds its addresses before vCenter lists it) and addresses
        on a port group that is not in the snapshot (not visible to this account: its VMs may be too). With
        ``datacenter``, only addresses on that datacenter's port groups are considered."""
        vms = list(self.snapshot.get('vms', ())) + list(self.snapshot.get('other_vms', ()))
        unreadable = [vm for vm in vms if not vm.get('instance_uuid')]
        if unreadable:
            self.warnings.append('reclaim skipped: %d VM(s) of vCenter have no readable instance UUID (%s), so the addresses they hold cannot be '
                                 'told from those of deleted VMs; fix or remove them from the inventory' % (
                                     len(unreadable), ', '.join('%s (%s)' % (vm.get('name'), vm.get('moid')) for vm in unreadable[:5])
                                     + (', ...' if len(unreadable) > 5 else '')))
            return
        present = {str(key).lower() for vm in vms for key in (vm['instance_uuid'], vm['moid'])}
        scope = {pg['moid'] for pg in self.scope_portgroups}
        primary = {subnet.name: subnet.portgroup for subnet in self.ledger.list_subnets()}
        cutoff = self.ledger.now() - grace
        candidates, recent, unseen = [], [], []
        for row in self.ledger.addresses():
            if row.kind not in (ALLOCATED, FIXED) or not row.vm_uuid or row.vm_uuid.lower() in present:
                continue
            portgroup = row.portgroup or primary.get(row.subnet)
            if portgroup not in scope:
                if portgroup not in self.portgroups:   # in another datacenter: out of scope, no warning
                    unseen.append(row)
            elif row.updated_at > cutoff:
                recent.append(row)
            else:
                candidates.append(row)
        released = self.ledger.release_addresses(candidates)
        self.reclaimed = [_owner_line(row) for row in released]
        if recent:
            self.warnings.append('reclaim kept %d address(es) of VMs not in vCenter that changed less than %d s ago (reclaim_grace: a VM '
                                 'being cloned holds its addresses before vCenter lists it); a later run releases them: %s'
                                 % (len(recent), grace, ', '.join(_owner_line(row) for row in recent[:10])))
        if unseen:
            self.warnings.append('reclaim kept %d address(es) of VMs not in vCenter whose port group is not in vCenter either or not visible '
                                 'to this account (its VMs may be hidden too): %s'
                                 % (len(unseen), ', '.join('%s on %s' % (_owner_line(row), row.portgroup or primary.get(row.subnet) or '(none)')
                                                           for row in unseen[:10])))

    def fix(self, fixes: Sequence[Mapping[str, Any]]) -> None:
        """Cloudpods' server-sync-fix-nics: the VM's fixed addresses become exactly these, checked against the subnets
        reachable from each NIC's port group. Fixed addresses are never removed by a sync."""
        for item in fixes:
            vm = item['vm']
            wanted = {(nic['interface'], nic['ip']) for nic in item['nics']}
            owned = self.ledger.addresses(vm_uuid=vm['instance_uuid'])
            for old in owned:
                if old.kind != FIXED or (old.interface, old.ip) in wanted:
                    continue
                if any(other.kind == ALLOCATED and other.subnet == old.subnet and other.interface == old.interface for other in owned):
                    self.warnings.append('VM %s: fixed address %s of %s is no longer listed but was kept: the NIC also has an '
                                         'allocation in subnet %s' % (vm['name'], old.ip, old.interface, old.subnet))
                    continue
                self.ledger.release(vm['instance_uuid'], old.interface, old.subnet)
            for nic in item['nics']:
                portgroup = nic['nic'].get('portgroup')
                reachable = [subnet for subnet in self.ledger.list_subnets() if portgroup and subnet.reachable_from(portgroup)]
                address = ipaddress.ip_address(nic['ip'])
                if not any(subnet.in_range(address) for subnet in reachable):
                    raise SpecError(nic['path'], nic['ip'], 'is in no subnet range reachable from port group %s of VM %s NIC %d (ledger %s: %s)' % (
                        self.pg_name(portgroup) or portgroup or '(unknown)', vm['name'], int(nic['interface'][3:]), self.ledger.name,
                        '; '.join('%s %s-%s' % (subnet.name, subnet.range_start, subnet.range_end) for subnet in reachable)
                        or 'no subnet is reachable from it'))
                try:
                    row = self.ledger.record_fixed(nic['ip'], vm['instance_uuid'], nic['interface'], portgroup=portgroup, mac=nic['nic'].get('mac'),
                                                   vm_name=vm['name'])
                except LedgerError as error:
                    raise LedgerError('%s: %s' % (nic['path'], error)) from None
                self.fixed.append(_row(row, self.vm_names))

    # -- the report --------------------------------------------------------------------------------------------------
    def report(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> Dict[str, Any]:
        subnets = self.ledger.list_subnets()
        usage = {item.subnet: item for item in self.ledger.usage()}
        rows = self.ledger.addresses()
        holders = {(row.subnet, row.ip): row for row in rows if row.kind in HOLDER_KINDS}
        conflicts = []
        for row in rows:
            if row.kind == CONFLICT:
                holder = holders.get((row.subnet, row.ip))
                entry = _row(row, self.vm_names)
                entry.update(holder_vm=self.vm_names.get(holder.vm_uuid or '') if holder else None,
                             holder_vm_uuid=holder.vm_uuid if holder else None, holder_kind=holder.kind if holder else None)
                conflicts.append(entry)
        known = before['networks']
        portgroups = []
        for pg in self.scope_portgroups:
            entry = {key: pg.get(key) for key in ('moid', 'name', 'kind', 'switch', 'switch_uuid', 'vlan', 'datacenter')}
            entry['hosts'] = list(pg.get('hosts') or ())
            entry['subnets'] = [subnet.name for subnet in subnets if subnet.portgroup == pg['moid']]
            entry['additional_subnets'] = [subnet.name for subnet in subnets if subnet.portgroup != pg['moid'] and subnet.reachable_from(pg['moid'])]
            portgroups.append(entry)
        subnet_report = []
        for subnet in subnets:
            entry = {key: value for key, value in asdict(subnet).items() if key not in ('additional', 'reserved')}
            entry['nameservers'], entry['search_domains'] = list(subnet.nameservers), list(subnet.search_domains)
            entry['reserved'] = [asdict(item) for item in subnet.reserved]
            entry['portgroup_name'] = self.pg_name(subnet.portgroup, known)
            entry['additional_portgroups'] = [{'portgroup': extra.portgroup, 'portgroup_name': self.pg_name(extra.portgroup, known),
                                               'added_by': extra.added_by} for extra in subnet.additional]
            figures = usage.get(subnet.name)
            entry['usage'] = {key: value for key, value in asdict(figures).items() if key not in ('subnet', 'cidr')} if figures else {}
            subnet_report.append(entry)
            if subnet.portgroup and subnet.portgroup not in self.portgroups:
                self.warnings.append('subnet %s: its port group %s is not in vCenter any more' % (subnet.name, subnet.portgroup))
        added, removed = _row_changes(before['addresses'], after['addresses'])
        self.changes['addresses'] = {'added': added, 'removed': removed}
        return {
            'changed': before != after,
            'portgroups': portgroups,
            'subnets': subnet_report,
            'conflicts': conflicts,
            'unmatched': self.unmatched,
            'fixed': self.fixed,
            'vms_without_tools': [vm['name'] for vm in self.scope_vms if not vm.get('tools_running')],
            'reclaimed': self.reclaimed,
            'changes': self.changes,
            'warnings': self.warnings,
        }


def _owner_line(row: Address) -> str:
    """'app-net 10.0.0.5 allocated (owner 5013..., eth0)': a reclaimed address in the result and the warnings."""
    return '%s %s %s (owner %s, %s)' % (row.subnet, row.ip, row.kind, row.vm_uuid, row.interface)


def _row_changes(before: Mapping[str, Sequence[str]], after: Mapping[str, Sequence[str]]) -> Tuple[List[str], List[str]]:
    old = {'%s %s' % (subnet, line) for subnet, lines in before.items() for line in lines}
    new = {'%s %s' % (subnet, line) for subnet, lines in after.items() for line in lines}
    return sorted(new - old), sorted(old - new)


def check_reclaim_grace(value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise SpecError('reclaim_grace', value, 'is not a number of seconds (0 or more)')


def sync(ledger: LedgerBackend, snapshot: Mapping[str, Any], *, subnets: Optional[Sequence[Mapping[str, Any]]] = None,
         purge: bool = False, fix_nics: Optional[Sequence[Mapping[str, Any]]] = None, datacenter: Optional[str] = None,
         reclaim: bool = False, reclaim_grace: float = RECLAIM_GRACE_SECONDS, dry_run: bool = False) -> Dict[str, Any]:
    """Sync the ledger with vCenter and the declared subnets, in one ledger transaction; returns the report.

    Order: L2 networks; subnets (declare, purge, mark/unmark additional port groups); detected additional port
    groups; with ``reclaim``, the allocated and fixed addresses of VMs gone from vCenter (``_Sync.reclaim``), so a VM
    that reports one of them in this run records it; observed addresses (conflicts recorded, never overwritten);
    fixed addresses. Any error (SpecError, LedgerError, both ValueErrors naming the field and value) leaves the
    ledger unchanged. Also returns ``diff`` (before/after ledger state), ``changed`` and ``reclaimed``.
    """
    check_subnets(subnets)
    check_fix_nics(fix_nics)
    check_reclaim_grace(reclaim_grace)
    run = _Sync(ledger, snapshot, datacenter)
    declared = run.resolve_subnets(subnets)
    fixes = run.resolve_fixes(fix_nics)
    with ledger.batch(dry_run=dry_run):
        before = ledger_state(ledger, run.vm_names)
        run.sync_networks(before['networks'])
        run.declare(declared, purge)
        run.detect()
        if reclaim:
            run.reclaim(reclaim_grace)
        run.observe()
        run.fix(fixes)
        after = ledger_state(ledger, run.vm_names)
        report = run.report(before, after)
    report['diff'] = {'before': before, 'after': after}
    return report


# ----- placement (for vm_deploy / vm_network) -----------------------------------------------------------------------

def placement(snapshot: Mapping[str, Any], subnets: Sequence[Subnet], wanted: Sequence[str],
              datacenter: Optional[str] = None, ledger: Optional[str] = None) -> List[Dict[str, Any]]:
    """Hosts that reach every wanted subnet, each with the port group (moid) to use per wanted subnet, in order.

    A host reaches a subnet through the subnet's primary port group or one of its additional ones; the primary is
    preferred (Cloudpods' getJsonDescAtHost looks at the primary wire only, so a subnet reached only through an
    additional port group could not be placed). Sorted by host name; empty when no host reaches them all.
    ``ledger``: the ledger's name (its location), named in the error about undeclared subnets.
    """
    by_name = {subnet.name: subnet for subnet in subnets}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise LedgerError('%s %s %s not declared in %s; declare %s with guestnet.vsphere.subnet_sync'
                          % ('subnets' if len(missing) > 1 else 'subnet', ', '.join(missing), 'are' if len(missing) > 1 else 'is',
                             'ledger %s' % ledger if ledger else 'the ledger', 'them' if len(missing) > 1 else 'it'))
    result = []
    for host in sorted(snapshot.get('hosts', ()), key=lambda item: item['name']):
        if not _in_scope(host, datacenter):
            continue
        reached = set(host.get('portgroups') or ())
        choice = []
        for name in wanted:
            subnet = by_name[name]
            candidates = [subnet.portgroup] + [extra.portgroup for extra in subnet.additional]
            choice.append(next((moid for moid in candidates if moid in reached), None))
        if all(choice):
            result.append({'host': host['name'], 'moid': host['moid'], 'datacenter': host.get('datacenter'), 'portgroups': choice})
    return result
