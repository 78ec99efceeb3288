# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Resolve a network spec into one record per interface. PRIVATE to the collection.

Precedence for each interface field (seeds/000 "Network Configuration Precedence"):

    per-interface  >  global (DNS only, when use_global_*_as_default)
                   >  network provider defaults (the subnet ledger's ``SubnetDefaults``)
                   >  bootstrap-provider defaults (DHCPv4 for an interface with nothing configured)

Two refinements, documented where users read about precedence (doc fragment network_spec,
filter docs):

- Addresses merge per IP family: an interface's own addresses (or DHCP) of a family replace the
  subnet's for that family only.  VM Operator replaces the provider's addresses of every family,
  but there the provider comes with the network; here the user names ``subnet`` on purpose, the
  ledger allocates only for a family the interface lacks (``_ipam``), and a subnet has one family.
  So ``addresses: [10.0.0.10/24]`` with an IPv6 subnet is a dual-stack request; dropping the
  allocation would leave a ledger address the guest never uses.  To have no address from a
  subnet, do not name it (name its port group in ``network``).
- Sysprep: a DHCP adapter gets only its interface's own DNS servers, no global or subnet ones
  (Windows lets adapter DNS override what DHCP hands out).

The resolver never allocates addresses: it only reads what the caller looked up
in the ledger (``subnets``) and on the VM (``macs``, ``adapter_types``).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    DEFAULT_ADAPTER_TYPE,
    NO_GATEWAY,
    SYSPREP,
    ErrorCollector,
    InterfaceSpec,
    NetworkRef,
    NetworkSpec,
    ResolvedInterface,
    ResolvedNetwork,
    SpecError,
    SubnetDefaults,
    raise_errors,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import (
    ADAPTER_TYPES,
    canonical_ip,
    host_name_problems,
    is_usable_ip,
    normalize_adapter_type,
    normalize_mac,
    parse_cidr,
    route_to_dict,
    unique,
    validate,
)

DEFAULT_INTERFACE_NAME = 'eth0'   # VM Operator's default interface
_NO_SUBNET_DEFAULTS = SubnetDefaults(subnet='')   # stands in when the ledger supplies nothing


def resolve(spec: NetworkSpec, *, vm_name: str, provider: Optional[str] = None,
            macs: Optional[Mapping[str, str]] = None,
            subnets: Optional[Mapping[str, SubnetDefaults]] = None,
            adapter_types: Sequence[str] = (),
            default_network: Optional[NetworkRef] = None,
            use_global_nameservers_as_default: bool = True,
            use_global_search_domains_as_default: bool = True) -> ResolvedNetwork:
    """Apply precedence and defaults; validate first so no caller can skip it.

    Every problem is reported at once (``SpecErrors`` for several): the spec's rules, then each
    interface's MAC, adapter type and subnet defaults, in interface order.

    ``vm_name`` stands in for an unset host name.  With a ``provider`` (each one writes the host
    name) a VM name that is not a valid host name is an error that says to set host_name; without
    one (vm_network: nothing is rendered for the guest) it is not judged, and ``host_name`` is ''
    (the intended config leaves it out).
    ``macs``: interface name -> the MAC of the VM's NIC (any case, ``-`` or ``:``).
    ``subnets``: interface name -> what the subnet ledger supplies for it.
    ``adapter_types``: the VM class's adapter types, for the i-th interface.
    ``default_network``: the port group of any interface that names none (and of the default interface).
    """
    errors = ErrorCollector()
    with errors.catch():
        validate(spec, provider=provider, vm_name=vm_name, use_global_nameservers_as_default=use_global_nameservers_as_default,
                 use_global_search_domains_as_default=use_global_search_domains_as_default)
    macs = macs or {}
    subnets = subnets or {}
    interfaces = effective_interfaces(spec)
    resolved: List[ResolvedInterface] = []
    applied: List[Tuple[str, SubnetDefaults]] = []
    for index, iface in enumerate(interfaces):
        path = 'network.interfaces[%d]' % index
        defaults = _NO_SUBNET_DEFAULTS
        adapter_type = DEFAULT_ADAPTER_TYPE
        mac_address = None
        with errors.catch():
            defaults = _subnet_defaults(iface, subnets, path)
        with errors.catch():
            adapter_type = _adapter_type(iface, index, adapter_types)
        with errors.catch():
            mac_address = _mac_address(iface, macs, path)
        if defaults is not _NO_SUBNET_DEFAULTS:
            applied.append((iface.name, defaults))
        ip_settings = _ip_settings(iface, defaults)
        # Sysprep writes DNS servers on each adapter, and on Windows they override what DHCP hands out:
        # a DHCP adapter gets only the DNS its interface names itself (vSphere's IPSettings.dnsServerList).
        use_defaults = not (provider == SYSPREP and _on_dhcp(ip_settings))
        resolved.append(ResolvedInterface(
            name=iface.name,
            guest_device_name=iface.guest_device_name or iface.name,
            network=iface.network or default_network,
            adapter_type=adapter_type,
            mac_address=mac_address,
            subnet=iface.subnet or defaults.subnet or None,
            mtu=iface.mtu if iface.mtu else (defaults.mtu or None),
            routes=iface.routes,
            nameservers=_dns_list(iface.nameservers, spec.nameservers, use_global_nameservers_as_default and use_defaults,
                                  defaults.nameservers if use_defaults else ()),
            search_domains=_dns_list(iface.search_domains, spec.search_domains, use_global_search_domains_as_default and use_defaults,
                                     defaults.search_domains if use_defaults else ()),
            **ip_settings
        ))
    errors.raise_if_any()

    if applied:
        _validate_with_subnet_defaults(spec, resolved, applied, provider=provider, vm_name=vm_name)

    # Like VM Operator's ConfigMap fallback: with no global DNS in the spec, the network
    # provider's DNS becomes the global DNS (GOSC and vApp only have global DNS).
    applied_defaults = [defaults for iface_name, defaults in applied]
    nameservers = unique(spec.nameservers) or unique([canonical_ip(ns) for defaults in applied_defaults for ns in defaults.nameservers])
    search_domains = unique(spec.search_domains) or unique([sd for defaults in applied_defaults for sd in defaults.search_domains])
    return ResolvedNetwork(
        vm_name=vm_name,
        host_name=_host_name(spec, vm_name),
        domain_name=spec.domain_name,
        nameservers=nameservers,
        search_domains=search_domains,
        disabled=spec.disabled,
        interfaces=tuple(resolved),
        provider=provider,
    )


def effective_interfaces(spec: NetworkSpec) -> Tuple[InterfaceSpec, ...]:
    """The spec's interfaces; one default interface when none are given; none when networking is disabled."""
    if spec.disabled:
        return ()
    return spec.interfaces or (InterfaceSpec(name=DEFAULT_INTERFACE_NAME),)


def _host_name(spec: NetworkSpec, vm_name: str) -> str:
    """The spec's host name, else the VM name when it can be one ('' when it cannot: validate judged it where it matters)."""
    if spec.host_name:
        return spec.host_name
    if vm_name and not host_name_problems(vm_name, domain_name=spec.domain_name):
        return vm_name
    return ''


def _on_dhcp(ip_settings: Mapping[str, Any]) -> bool:
    """A Windows adapter on DHCP: DHCPv4, or no IPv4 at all and DHCPv6."""
    return bool(ip_settings['dhcp4'] or (not ip_settings['addresses4'] and ip_settings['dhcp6']))


def _subnet_defaults(iface: InterfaceSpec, subnets: Mapping[str, SubnetDefaults], path: str) -> SubnetDefaults:
    defaults = subnets.get(iface.name)
    if defaults is None:
        if iface.subnet and not iface.addresses and not (iface.dhcp4 or iface.dhcp6):
            # Without this the interface would silently fall back to DHCP.
            raise SpecError(path + '.subnet', iface.subnet, 'has no allocation for this interface yet; allocate its addresses '
                                                            'from the subnet ledger first, or give addresses')
        return _NO_SUBNET_DEFAULTS
    for index, text in enumerate(defaults.addresses):
        if parse_cidr(text) is None:   # ledger data, checked at the boundary: _family() relies on it
            raise SpecError('subnets[%s].addresses[%d]' % (iface.name, index), text, 'is not an IP address with a prefix length (CIDR)')
    if iface.subnet and defaults.subnet != iface.subnet:
        raise SpecError(path + '.subnet', iface.subnet, 'differs from subnet %s, whose defaults the ledger supplied for this interface'
                        % defaults.subnet)
    return defaults


def _adapter_type(iface: InterfaceSpec, index: int, adapter_types: Sequence[str]) -> str:
    """Spec's type, else the VM class's i-th adapter type, else vmxnet3 (seeds/001 "Network Adapter Type")."""
    if iface.adapter_type:
        return iface.adapter_type
    if index < len(adapter_types):
        adapter_type = normalize_adapter_type(adapter_types[index])
        if adapter_type not in ADAPTER_TYPES:
            raise SpecError('adapter_types[%d]' % index, adapter_types[index], 'is not a network adapter type; valid types: %s'
                            % ', '.join(ADAPTER_TYPES))
        return adapter_type
    return DEFAULT_ADAPTER_TYPE


def _mac_address(iface: InterfaceSpec, macs: Mapping[str, str], path: str) -> Optional[str]:
    vm_mac = None
    if macs.get(iface.name) is not None:
        vm_mac = normalize_mac(macs[iface.name])
        if vm_mac is None:
            raise SpecError('macs[%s]' % iface.name, macs[iface.name], 'is not a MAC address')
    spec_mac = normalize_mac(iface.mac_address) if iface.mac_address else None
    if spec_mac and vm_mac and spec_mac != vm_mac:
        raise SpecError(path + '.mac_address', iface.mac_address, "differs from %s, the MAC address of the VM's NIC for this interface; "
                                                                  'the MAC of an existing NIC cannot be changed' % vm_mac)
    return spec_mac or vm_mac


def _dns_list(own: Sequence[str], global_values: Sequence[str], use_global: bool, subnet_values: Sequence[str]) -> Tuple[str, ...]:
    """Per-interface values REPLACE global ones (never merged); then global; then the subnet's."""
    if own:
        return unique(own)
    if use_global and global_values:
        return unique(global_values)
    return unique([canonical_ip(value) for value in subnet_values])


def _family(addresses: Sequence[str], version: int) -> Tuple[str, ...]:
    """The CIDRs of one IP version, canonical text, in order (all parse: validated before)."""
    result = []
    for text in addresses:
        cidr = parse_cidr(text)
        if cidr is not None and cidr.version == version:
            result.append(str(cidr))
    return tuple(result)


def _address_family(iface: InterfaceSpec, defaults: SubnetDefaults, version: int) -> Tuple[Optional[bool], Tuple[str, ...]]:
    """(dhcp, addresses) of one family; dhcp None means "nobody said" (the bootstrap default decides).

    Static addresses in the spec win over the subnet's DHCP and addresses, so they are never
    silently dropped (VM Operator drops them when the network reports DHCP).
    """
    spec_dhcp = iface.dhcp4 if version == 4 else iface.dhcp6
    if spec_dhcp:
        return True, ()
    spec_addresses = _family(iface.addresses, version)
    if spec_addresses:
        return False, spec_addresses
    subnet_addresses = _family(defaults.addresses, version)
    subnet_dhcp = defaults.dhcp4 if version == 4 else defaults.dhcp6
    if spec_dhcp is False:            # an explicit false overrides the network's DHCP (VM Operator PR #1641)
        return False, subnet_addresses
    if subnet_dhcp:
        return True, ()
    if subnet_addresses:
        return False, subnet_addresses
    return subnet_dhcp, ()


def _gateway(iface: InterfaceSpec, defaults: SubnetDefaults, version: int, dhcp: bool, addresses: Tuple[str, ...]) -> Optional[str]:
    """Spec's gateway; else the subnet's, only for a family with static addresses; none with DHCP or NO_GATEWAY."""
    spec_gateway = iface.gateway4 if version == 4 else iface.gateway6
    if dhcp or spec_gateway == NO_GATEWAY:
        return None
    if spec_gateway:
        return spec_gateway
    subnet_gateway = defaults.gateway4 if version == 4 else defaults.gateway6
    return canonical_ip(subnet_gateway) if subnet_gateway and addresses else None


def _ip_settings(iface: InterfaceSpec, defaults: SubnetDefaults) -> Dict[str, Any]:
    dhcp4, addresses4 = _address_family(iface, defaults, 4)
    dhcp6, addresses6 = _address_family(iface, defaults, 6)
    dhcp6 = bool(dhcp6)
    if dhcp4 is None:
        # Bootstrap default: an interface with nothing configured uses DHCPv4.
        dhcp4 = not addresses6 and not dhcp6
    return {
        'dhcp4': dhcp4,
        'dhcp6': dhcp6,
        'accept_ra': dhcp6,
        'addresses4': addresses4,
        'addresses6': addresses6,
        'gateway4': _gateway(iface, defaults, 4, dhcp4, addresses4),
        'gateway6': _gateway(iface, defaults, 6, dhcp6, addresses6),
    }


def _validate_with_subnet_defaults(spec: NetworkSpec, resolved: Sequence[ResolvedInterface], applied: Sequence[Tuple[str, SubnetDefaults]],
                                   *, provider: Optional[str], vm_name: str) -> None:
    """Re-run the spec rules on the merged values: a subnet's gateway, addresses or MTU can break them.

    The capability table is skipped: the user did not write these values, and the
    renderer of a provider that cannot carry, say, an MTU leaves it out.
    """
    user_interfaces = {iface.name: iface for iface in spec.interfaces}
    merged = NetworkSpec(
        host_name=spec.host_name,
        domain_name=spec.domain_name,
        nameservers=spec.nameservers,
        search_domains=spec.search_domains,
        disabled=spec.disabled,
        interfaces=tuple(InterfaceSpec(
            name=iface.name,
            network=iface.network,
            # Only a MAC the user asked for must be in VMware's manual range.
            mac_address=user_interfaces[iface.name].mac_address if iface.name in user_interfaces else None,
            addresses=iface.addresses,
            dhcp4=iface.dhcp4,
            dhcp6=iface.dhcp6,
            gateway4=iface.gateway4,
            gateway6=iface.gateway6,
            nameservers=iface.nameservers,
            search_domains=iface.search_domains,
            routes=iface.routes,
            mtu=iface.mtu,
            guest_device_name=iface.guest_device_name,
        ) for iface in resolved),
    )
    try:
        validate(merged, provider=provider, vm_name=vm_name, check_support=False)
    except SpecError as error:
        origin = ', '.join('%s from subnet %s' % (name, defaults.subnet) for name, defaults in applied)
        raise_errors([SpecError(single.path, single.value, '%s (after applying the ledger defaults: %s)' % (single.reason, origin))
                      for single in error.errors])


def intended_config(net: ResolvedNetwork) -> Dict[str, Any]:
    """The intended network config: VM Operator's ``status.network.config`` in snake_case.

    Empty or unset keys are left out (``name`` always stays); addresses list IPv4 first.  So is
    ``dns.host_name`` when there is none: no host_name in the spec and a VM name that cannot be
    one (``DC0_H0_VM0``), which only a step that renders nothing for the guest accepts.
    """
    dns: Dict[str, Any] = {}
    if net.host_name:
        dns['host_name'] = net.host_name
    if net.domain_name:
        dns['domain_name'] = net.domain_name
    if net.nameservers:
        dns['nameservers'] = list(net.nameservers)
    if net.search_domains:
        dns['search_domains'] = list(net.search_domains)
    config: Dict[str, Any] = {'dns': dns} if dns else {}
    if net.interfaces:
        config['interfaces'] = [_interface_config(iface) for iface in net.interfaces]
    return config


def _interface_config(iface: ResolvedInterface) -> Dict[str, Any]:
    entry: Dict[str, Any] = {'name': iface.name}
    if iface.mac_address:
        entry['mac_address'] = iface.mac_address
    if iface.network is not None:
        entry['network'] = iface.network.name
    entry['guest_device_name'] = iface.guest_device_name
    ip: Dict[str, Any] = {}
    if iface.addresses:
        ip['addresses'] = list(iface.addresses)
    if iface.gateway4:
        ip['gateway4'] = iface.gateway4
    if iface.gateway6:
        ip['gateway6'] = iface.gateway6
    dhcp = {family: {'enabled': True} for family, enabled in (('ip4', iface.dhcp4), ('ip6', iface.dhcp6)) if enabled}
    if dhcp:
        ip['dhcp'] = dhcp
    if iface.routes:
        ip['routes'] = [route_to_dict(route) for route in iface.routes]
    if iface.mtu:
        ip['mtu'] = iface.mtu
    if ip:
        entry['ip'] = ip
    dns: Dict[str, Any] = {}
    if iface.nameservers:
        dns['nameservers'] = list(iface.nameservers)
    if iface.search_domains:
        dns['search_domains'] = list(iface.search_domains)
    if dns:
        entry['dns'] = dns
    return entry


def primary_ips(net: ResolvedNetwork) -> Tuple[Optional[str], Optional[str]]:
    """Bare (IPv4, IPv6): the first usable static address of each family over the interfaces in order."""
    return (_first_usable([text for iface in net.interfaces for text in iface.addresses4]),
            _first_usable([text for iface in net.interfaces for text in iface.addresses6]))


def _first_usable(addresses: Sequence[str]) -> Optional[str]:
    for text in addresses:
        cidr = parse_cidr(text)
        if cidr is not None and is_usable_ip(cidr.ip):
            return str(cidr.ip)
    return None
