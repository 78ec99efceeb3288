# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The subnet ledger as the resolver's network provider: interfaces that name a ``subnet``.

vm_network and vm_bootstrap both call plan_subnets with the same owner key (the VM's instance UUID and the
interface name); the ledger's allocation is idempotent per owner, so both see the same address and neither
hands out a second one. No vCenter and no Ansible here: the modules pass in what they read.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import (
    AddressRequest, LedgerBackend, Subnet, UnknownSubnetError, subnet_settings)
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import check_writable, ledger_exists, open_ledger
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import InterfaceSpec, NetworkRef, NetworkSpec, SpecError, SubnetDefaults
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import NetworkCatalog


@dataclass(frozen=True)
class SubnetPlan:
    """What the ledger supplies for a spec's subnet interfaces."""
    defaults: Dict[str, SubnetDefaults] = field(default_factory=dict)    # interface name -> resolver's provider defaults
    portgroups: Dict[str, str] = field(default_factory=dict)             # interface name -> port group (moid) of its NIC
    allocations: List[Dict[str, Any]] = field(default_factory=list)      # {interface, subnet, address, changed}
    ledger: Optional[str] = None                                         # the ledger's name (its file), for messages

    @property
    def changed(self) -> bool:
        return any(item['changed'] for item in self.allocations)


def subnet_interfaces(spec: NetworkSpec) -> List[Tuple[int, InterfaceSpec]]:
    """(index, interface) of every interface that names a subnet."""
    return [(index, iface) for index, iface in enumerate(spec.interfaces) if iface.subnet]


def require_ledger(path: str, subnets: Sequence[str]) -> None:
    """Naming subnets needs a ledger that exists (subnet_sync creates it); modules check before any vCenter call.
    ``path``: the ledger's location (any backend's)."""
    names = list(dict.fromkeys(subnets))
    if names and not ledger_exists(path):
        raise SpecError('ledger', path, 'does not exist, so subnet%s %s %s unknown; declare subnets with guestnet.vsphere.subnet_sync '
                                        'first, or set ledger to its path'
                        % ('s' if len(names) > 1 else '', ', '.join(names), 'are' if len(names) > 1 else 'is'))


def check_ledger_path(spec: NetworkSpec, path: str) -> None:
    """Preflight of a request, before any call to vCenter: the ledger exists, is a guestnet ledger, and declares every
    subnet the spec's interfaces name (one read of the ledger)."""
    indexed = subnet_interfaces(spec)
    require_ledger(path, [str(iface.subnet) for index, iface in indexed])
    if not indexed:
        return
    with open_ledger(path) as ledger:
        for index, iface in indexed:
            _subnet_of(ledger, iface, 'network.interfaces[%d]' % index)


def _subnet_of(ledger: LedgerBackend, iface: InterfaceSpec, path: str) -> Subnet:
    try:
        return ledger.get_subnet(str(iface.subnet))
    except UnknownSubnetError:   # other LedgerErrors (locked, read-only, ...) are reported as they are
        raise SpecError(path + '.subnet', iface.subnet, 'is not a subnet of ledger %s; declare it with guestnet.vsphere.subnet_sync'
                        % ledger.name) from None


def _needs_allocation(iface: InterfaceSpec, subnet: Subnet) -> bool:
    """An address from the subnet, unless the interface has its own address or DHCP of the subnet's family."""
    version = subnet.network.version
    if (iface.dhcp4 if version == 4 else iface.dhcp6):
        return False
    return not any(ipaddress.ip_interface(text).version == version for text in iface.addresses)


def plan_subnets(ledger: LedgerBackend, spec: NetworkSpec, *, vm_uuid: str, networks: Mapping[str, Optional[str]],
                 dry_run: bool, vm_name: Optional[str] = None) -> SubnetPlan:
    """Allocate (or find) the address of every subnet interface and collect its subnet's settings.

    ``networks``: interface name -> moid of the port group its spec names (None: the interface names none, so its
    NIC goes on the subnet's primary port group). A named port group must reach the subnet (primary or additional).
    ``dry_run`` (check mode) reports new allocations without keeping them. ``vm_name`` labels the addresses (the owner
    is ``vm_uuid``). Every interface is checked before the one call that allocates them all (``allocate_all``: all or
    nothing, and two interfaces on one subnet see each other's address).
    """
    plan = SubnetPlan(ledger=ledger.name)
    wanted: List[AddressRequest] = []
    subnets: Dict[str, Subnet] = {}
    for index, iface in subnet_interfaces(spec):
        path = 'network.interfaces[%d]' % index
        subnet = _subnet_of(ledger, iface, path)
        moid = networks.get(iface.name)
        if moid is not None and not subnet.reachable_from(moid):
            others = ', '.join(extra.portgroup for extra in subnet.additional) or 'none'
            raise SpecError(path + '.network', moid, 'does not reach subnet %s of ledger %s (its port groups: primary %s, additional %s)'
                            % (subnet.name, ledger.name, subnet.portgroup, others))
        portgroup = moid or subnet.portgroup
        if portgroup is None:
            raise SpecError(path + '.subnet', iface.subnet, 'has no port group in ledger %s; give the interface a network' % ledger.name)
        if _needs_allocation(iface, subnet):
            wanted.append(AddressRequest(subnet.name, iface.name, portgroup=portgroup))
        subnets[iface.name] = subnet
        plan.portgroups[iface.name] = portgroup
    allocations = {item.interface: item for item in ledger.allocate_all(vm_uuid, wanted, vm_name=vm_name, dry_run=dry_run)} if wanted else {}
    for name, subnet in subnets.items():
        allocation = allocations.get(name)
        if allocation is not None:
            plan.allocations.append(dict(interface=name, subnet=subnet.name, address=allocation.address, changed=allocation.changed))
        plan.defaults[name] = subnet_settings(subnet, (allocation.address,) if allocation is not None else ())
    return plan


def with_subnet_networks(spec: NetworkSpec, plan: SubnetPlan, catalog: NetworkCatalog) -> NetworkSpec:
    """The spec with a network on every subnet interface that names none: the port group the plan chose."""
    interfaces = []
    for index, iface in enumerate(spec.interfaces):
        moid = plan.portgroups.get(iface.name)
        if iface.network is None and moid is not None:
            net = catalog.network(moid)
            if net is None:
                raise SpecError('network.interfaces[%d].subnet' % index, iface.subnet,
                                'is on port group %s in ledger %s, which this datacenter does not have; run guestnet.vsphere.subnet_sync'
                                % (moid, plan.ledger or 'the ledger'))
            # The switch only where the name alone is ambiguous, so the spec reads as the user would write it.
            switch = net.switch_label if len(catalog.named(net.name)) > 1 else None
            iface = replace(iface, network=NetworkRef(name=net.name, switch=switch))
        interfaces.append(iface)
    return replace(spec, interfaces=tuple(interfaces))


def ledger_plan(path: str, spec: NetworkSpec, *, vm_uuid: str, catalog: NetworkCatalog, dry_run: bool,
                vm_name: Optional[str] = None) -> Tuple[SubnetPlan, NetworkSpec]:
    """plan_subnets on the ledger at ``path``, and the spec with the subnets' port groups filled in.

    Modules call it twice: with dry_run=True before anything changes (bad input leaves the ledger alone), then,
    outside check mode, with dry_run=False right before they change the VM. The dry run is the preflight: a ledger
    that could not be written fails it (check mode too), before anything changes on vCenter.
    """
    indexed = subnet_interfaces(spec)
    if not indexed:
        return SubnetPlan(), spec
    require_ledger(path, [str(iface.subnet) for index, iface in indexed])
    if dry_run:
        check_writable(path)
    networks = {iface.name: catalog.resolve(iface.network, 'network.interfaces[%d].network' % index).moid
                for index, iface in indexed if iface.network is not None}
    with open_ledger(path) as ledger:
        plan = plan_subnets(ledger, spec, vm_uuid=vm_uuid, networks=networks, dry_run=dry_run, vm_name=vm_name)
    return plan, with_subnet_networks(spec, plan, catalog)
