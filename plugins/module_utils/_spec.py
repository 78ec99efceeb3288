# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse and validate a guest network spec. PRIVATE to the collection.

``parse_network_spec`` turns a raw mapping (snake_case from our modules, or
camelCase from a VM Operator ``spec.network``) into a normalized
``NetworkSpec``; it checks keys and types only.  ``validate`` applies every
semantic rule (VM Operator's webhook rules, our stricter rules and the
bootstrap-provider capability table) and raises the first ``SpecError``.

Every rule lives here once; other code reports these errors, never re-checks.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import difflib
import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    CLOUD_INIT,
    LINUX_PREP,
    NO_GATEWAY,
    PROVIDERS,
    SYSPREP,
    InterfaceSpec,
    NetworkRef,
    NetworkSpec,
    Route,
    SpecError,
)

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPInterface = Union[ipaddress.IPv4Interface, ipaddress.IPv6Interface]

# ---------------------------------------------------------------------------
# Capability table: which bootstrap provider can carry which field into the
# guest (seeds/001 "Global/Per-Interface Guest Network Configuration", the
# VM Operator webhook, and what our vApp helpers expose).  It drives both the
# check and its message; docs may import it.
# ---------------------------------------------------------------------------
_ALL_PROVIDERS = PROVIDERS
_INTERFACE_FIELD = 'interfaces[].'     # prefix of per-interface rows
PROVIDER_SUPPORT: Dict[str, Tuple[str, ...]] = {
    'host_name': _ALL_PROVIDERS,
    'domain_name': _ALL_PROVIDERS,
    'nameservers': _ALL_PROVIDERS,
    'search_domains': _ALL_PROVIDERS,
    'interfaces[].network': _ALL_PROVIDERS,
    'interfaces[].adapter_type': _ALL_PROVIDERS,
    'interfaces[].mac_address': _ALL_PROVIDERS,
    'interfaces[].subnet': _ALL_PROVIDERS,
    'interfaces[].addresses': _ALL_PROVIDERS,
    'interfaces[].dhcp4': _ALL_PROVIDERS,
    'interfaces[].dhcp6': _ALL_PROVIDERS,
    'interfaces[].gateway4': _ALL_PROVIDERS,
    'interfaces[].gateway6': _ALL_PROVIDERS,
    'interfaces[].nameservers': (CLOUD_INIT, SYSPREP),
    'interfaces[].search_domains': (CLOUD_INIT,),
    'interfaces[].routes': (CLOUD_INIT,),
    'interfaces[].mtu': (CLOUD_INIT,),
    'interfaces[].guest_device_name': (CLOUD_INIT,),
}

# GOSC's CustomizationFixedIp holds a single IPv4 address per adapter; VM
# Operator silently drops the others, we refuse them.
IPV4_ADDRESSES_PER_INTERFACE: Dict[str, int] = {LINUX_PREP: 1, SYSPREP: 1}

MAX_INTERFACES = 10                      # a vSphere VM has at most 10 vNICs
MAX_HOST_NAME = 63
MAX_WINDOWS_HOST_NAME = 15               # NetBIOS computer name
MAX_DOMAIN_NAME = 253
MAX_FQDN = 255
MTU_RANGE = (68, 9216)                   # IPv4 minimum .. largest jumbo frame vSphere switches carry
MIN_IPV6_MTU = 1280                      # RFC 8200
MANUAL_MAC_RANGE = ('00:50:56:00:00:00', '00:50:56:3f:ff:ff')   # VMware's range for static MACs

ADAPTER_TYPES = ('e1000', 'e1000e', 'pcnet32', 'sriov', 'vmxnet', 'vmxnet2', 'vmxnet3')

_INTERFACE_NAME_RE = re.compile(r'^[a-z0-9]{2,}$')
_GUEST_DEVICE_NAME_RE = re.compile(r'^\w\w+$', re.ASCII)
_DNS_LABEL_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$')
_TLD_RE = re.compile(r'^[A-Za-z0-9]{2,}$')
_MAC_RE = re.compile(r'^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$')
_INT_TEXT_RE = re.compile(r'^[+-]?[0-9]+$')

# Accepted keys: canonical snake_case name -> camelCase aliases (VM Operator YAML).
_NETWORK_KEYS: Dict[str, Tuple[str, ...]] = {
    'host_name': ('hostName',),
    'domain_name': ('domainName',),
    'nameservers': (),
    'search_domains': ('searchDomains',),
    'disabled': (),
    'interfaces': (),
}
_INTERFACE_KEYS: Dict[str, Tuple[str, ...]] = {
    'name': (),
    'network': (),
    'adapter_type': ('adapterType',),
    'mac_address': ('macAddress', 'macAddr'),
    'subnet': (),
    'addresses': (),
    'dhcp4': (),
    'dhcp6': (),
    'gateway4': (),
    'gateway6': (),
    'nameservers': (),
    'search_domains': ('searchDomains',),
    'routes': (),
    'mtu': (),
    'guest_device_name': ('guestDeviceName',),
}
_ROUTE_KEYS: Dict[str, Tuple[str, ...]] = {'to': (), 'via': (), 'metric': ()}
# kind/apiVersion come from VM Operator's PartialObjectRef; they carry nothing for vCenter.
_NETWORK_REF_KEYS: Dict[str, Tuple[str, ...]] = {'name': (), 'switch': (), 'kind': (), 'api_version': ('apiVersion',)}


# ---------------------------------------------------------------------------
# Small value helpers (public: the resolver and renderers share them)
# ---------------------------------------------------------------------------

def parse_ip(value: Any) -> Optional[IPAddress]:
    """The address for an IP text, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def parse_cidr(value: Any) -> Optional[IPInterface]:
    """The interface for an ``ip/prefix`` text (host bits kept), or None.

    A bare IP is not a CIDR here even though ``ip_interface`` would read it as /32.
    """
    if not isinstance(value, str) or '/' not in value:
        return None
    try:
        return ipaddress.ip_interface(value)
    except ValueError:
        return None


def normalize_mac(value: Any) -> Optional[str]:
    """``00-50-56-AB-CD-EF`` or ``00:50:56:ab:cd:ef`` -> ``00:50:56:ab:cd:ef``; None when not a MAC."""
    if not isinstance(value, str) or not _MAC_RE.match(value):
        return None
    return value.lower().replace('-', ':')


def normalize_adapter_type(value: str) -> str:
    """``VirtualVmxnet3``/``VMXNET3``/``vmxnet3`` -> ``vmxnet3``; unknown names come back lowercased."""
    name = value.strip().lower()
    if name.startswith('virtual'):
        name = name[len('virtual'):]
    return 'sriov' if name == 'sriovethernetcard' else name


def is_usable_ip(value: Any) -> bool:
    """True for an IP (text, CIDR text or address object) that is not unspecified, loopback or link-local."""
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        address: Optional[IPAddress] = value
    else:
        cidr = parse_cidr(value)
        address = cidr.ip if cidr is not None else parse_ip(value)
    if address is None:
        return False
    mapped = getattr(address, 'ipv4_mapped', None)
    if mapped is not None:  # ::ffff:127.0.0.1 is the IPv4 loopback in disguise
        address = mapped
    return not (address.is_unspecified or address.is_loopback or address.is_link_local or _is_link_local_multicast(address))


def _is_link_local_multicast(address: IPAddress) -> bool:
    """224.0.0.0/24, or IPv6 multicast of interface- or link-local scope (ff01::/16, ff02::/16 and flag variants)."""
    if isinstance(address, ipaddress.IPv4Address):
        return address in ipaddress.IPv4Network('224.0.0.0/24')
    return address.is_multicast and (address.packed[1] & 0x0F) in (1, 2)


def ip_family(address: Union[IPAddress, IPInterface]) -> str:
    return 'IPv%d' % address.version


def default_route_family(route: Route) -> Optional[int]:
    """4 or 6 when the route is a default route, else None.

    ``to: default`` takes its family from ``via``; 0.0.0.0/0 and ::/0 are defaults too.
    """
    if route.to == 'default':
        via = parse_ip(route.via)
        return via.version if via is not None else None
    destination = parse_cidr(route.to)
    if destination is not None and destination.network.prefixlen == 0:
        return destination.version
    return None


def unique(values: Sequence[str]) -> Tuple[str, ...]:
    """De-duplicate, keeping the first occurrence's position."""
    return tuple(dict.fromkeys(values))


def canonical_ip(value: str) -> str:
    """The canonical text of an IP; other text comes back unchanged (validate reports it)."""
    address = parse_ip(value)
    return str(address) if address is not None else value


def canonical_cidr(value: str) -> str:
    """The canonical text of a CIDR, host bits kept (``10.0.0.10/24``); other text comes back unchanged."""
    cidr = parse_cidr(value)
    return str(cidr) if cidr is not None else value


# ---------------------------------------------------------------------------
# Parsing: keys and types; values normalized where they can be
# ---------------------------------------------------------------------------

def _read_keys(data: Any, path: str, keys: Mapping[str, Tuple[str, ...]]) -> Dict[str, Any]:
    """Map ``data``'s keys (either spelling) to canonical names; None values count as absent."""
    if not isinstance(data, Mapping):
        raise SpecError(path, data, 'must be a mapping')
    canonical_of = {}
    for canonical, aliases in keys.items():
        canonical_of[canonical] = canonical
        for alias in aliases:
            canonical_of[alias] = canonical
    result: Dict[str, Any] = {}
    spelled: Dict[str, str] = {}
    for key, value in data.items():
        canonical = canonical_of.get(key) if isinstance(key, str) else None
        if canonical is None:
            hint = difflib.get_close_matches(str(key), list(canonical_of), n=1)
            raise SpecError(path, str(key), 'is not a valid key%s; valid keys: %s (camelCase spellings are accepted too)'
                            % (' (did you mean %s?)' % hint[0] if hint else '', ', '.join(keys)))
        if canonical in spelled:
            raise SpecError('%s.%s' % (path, canonical), key, 'is given twice (as %s and %s)' % (spelled[canonical], key))
        spelled[canonical] = key
        if value is not None:
            result[canonical] = value
    return result


def _read_str(value: Any, path: str) -> Optional[str]:
    """A string; '' counts as unset (as in VM Operator)."""
    if not isinstance(value, str):
        raise SpecError(path, value, 'must be a string')
    return value or None


def _read_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, value, 'must be true or false')
    return value


def _read_int(value: Any, path: str) -> int:
    # Ansible hands "9000" for an int option given on the command line; accept digit strings.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_TEXT_RE.match(value.strip()):
        return int(value)
    raise SpecError(path, value, 'must be an integer')


def _read_list(value: Any, path: str) -> List[Any]:
    if not isinstance(value, (list, tuple)):
        raise SpecError(path, value, 'must be a list')
    return list(value)


def _read_str_list(value: Any, path: str) -> List[str]:
    items = _read_list(value, path)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise SpecError('%s[%d]' % (path, index), item, 'must be a string')
    return items


def _parse_network_ref(value: Any, path: str) -> Optional[NetworkRef]:
    if isinstance(value, str):
        return NetworkRef(name=value) if value else None
    fields = _read_keys(value, path, _NETWORK_REF_KEYS)
    name = _read_str(fields['name'], path + '.name') if 'name' in fields else None
    if not name:
        raise SpecError(path + '.name', '', 'is missing; give the port group name')
    switch = _read_str(fields['switch'], path + '.switch') if 'switch' in fields else None
    return NetworkRef(name=name, switch=switch)


def _parse_gateway(value: Any, path: str) -> Optional[str]:
    text = _read_str(value, path)
    if text is None:
        return None
    if text.lower() == 'none':   # VM Operator's explicit "no gateway"
        return NO_GATEWAY
    return canonical_ip(text)


def _parse_route(value: Any, path: str) -> Route:
    fields = _read_keys(value, path, _ROUTE_KEYS)
    for required in ('to', 'via'):
        if not fields.get(required):
            raise SpecError('%s.%s' % (path, required), '', 'is missing; a route needs to and via')
    to = _read_str(fields['to'], path + '.to') or ''
    to = 'default' if to.lower() == 'default' else canonical_cidr(to)
    via = canonical_ip(_read_str(fields['via'], path + '.via') or '')
    metric = _read_int(fields['metric'], path + '.metric') if 'metric' in fields else None
    return Route(to=to, via=via, metric=metric)


def _parse_interface(value: Any, path: str) -> InterfaceSpec:
    fields = _read_keys(value, path, _INTERFACE_KEYS)
    name = _read_str(fields['name'], path + '.name') if 'name' in fields else None
    if not name:
        raise SpecError(path + '.name', '', 'is missing; every interface needs a name matching ^[a-z0-9]{2,}$')

    def optional_str(key: str) -> Optional[str]:
        return _read_str(fields[key], '%s.%s' % (path, key)) if key in fields else None

    def optional_bool(key: str) -> Optional[bool]:
        return _read_bool(fields[key], '%s.%s' % (path, key)) if key in fields else None

    def str_list(key: str) -> List[str]:
        return _read_str_list(fields[key], '%s.%s' % (path, key)) if key in fields else []

    mac_text = optional_str('mac_address')
    adapter_type = optional_str('adapter_type')
    routes = _read_list(fields['routes'], path + '.routes') if 'routes' in fields else []
    return InterfaceSpec(
        name=name,
        network=_parse_network_ref(fields['network'], path + '.network') if 'network' in fields else None,
        adapter_type=normalize_adapter_type(adapter_type) if adapter_type else None,
        # Unparseable values are kept as given so that validate() reports them with the rule's wording.
        mac_address=(normalize_mac(mac_text) or mac_text) if mac_text else None,
        subnet=optional_str('subnet'),
        addresses=tuple(canonical_cidr(text) for text in str_list('addresses')),
        dhcp4=optional_bool('dhcp4'),
        dhcp6=optional_bool('dhcp6'),
        gateway4=_parse_gateway(fields['gateway4'], path + '.gateway4') if 'gateway4' in fields else None,
        gateway6=_parse_gateway(fields['gateway6'], path + '.gateway6') if 'gateway6' in fields else None,
        nameservers=tuple(canonical_ip(text) for text in str_list('nameservers')),
        search_domains=tuple(str_list('search_domains')),
        routes=tuple(_parse_route(route, '%s.routes[%d]' % (path, index)) for index, route in enumerate(routes)),
        mtu=_read_int(fields['mtu'], path + '.mtu') if 'mtu' in fields else None,
        guest_device_name=optional_str('guest_device_name'),
    )


def parse_network_spec(data: Optional[Mapping], path: str = 'network') -> NetworkSpec:
    """Parse a raw network spec (snake_case or camelCase) into a normalized ``NetworkSpec``.

    Checks keys and value types; semantic rules are ``validate``'s job.  A ``NetworkSpec`` is returned as is.
    """
    if data is None:
        return NetworkSpec()
    if isinstance(data, NetworkSpec):
        return data
    fields = _read_keys(data, path, _NETWORK_KEYS)
    interfaces = _read_list(fields['interfaces'], path + '.interfaces') if 'interfaces' in fields else []
    return NetworkSpec(
        host_name=_read_str(fields['host_name'], path + '.host_name') if 'host_name' in fields else None,
        domain_name=_read_str(fields['domain_name'], path + '.domain_name') if 'domain_name' in fields else None,
        nameservers=tuple(canonical_ip(text) for text in _read_str_list(fields.get('nameservers', []), path + '.nameservers')),
        search_domains=tuple(_read_str_list(fields.get('search_domains', []), path + '.search_domains')),
        disabled=_read_bool(fields['disabled'], path + '.disabled') if 'disabled' in fields else False,
        interfaces=tuple(_parse_interface(item, '%s.interfaces[%d]' % (path, index)) for index, item in enumerate(interfaces)),
    )


def spec_to_dict(spec: NetworkSpec) -> Dict[str, Any]:
    """The snake_case mapping of a spec, unset fields left out; ``parse_network_spec`` reads it back unchanged."""
    result: Dict[str, Any] = {}
    if spec.host_name:
        result['host_name'] = spec.host_name
    if spec.domain_name:
        result['domain_name'] = spec.domain_name
    if spec.nameservers:
        result['nameservers'] = list(spec.nameservers)
    if spec.search_domains:
        result['search_domains'] = list(spec.search_domains)
    if spec.disabled:
        result['disabled'] = True
    if spec.interfaces:
        result['interfaces'] = [_interface_to_dict(iface) for iface in spec.interfaces]
    return result


def _interface_to_dict(iface: InterfaceSpec) -> Dict[str, Any]:
    result: Dict[str, Any] = {'name': iface.name}
    if iface.network is not None:
        result['network'] = iface.network.name if iface.network.switch is None else {'name': iface.network.name, 'switch': iface.network.switch}
    for key in ('adapter_type', 'mac_address', 'subnet'):
        if getattr(iface, key):
            result[key] = getattr(iface, key)
    if iface.addresses:
        result['addresses'] = list(iface.addresses)
    for key in ('dhcp4', 'dhcp6'):
        if getattr(iface, key) is not None:
            result[key] = getattr(iface, key)
    for key in ('gateway4', 'gateway6'):
        gateway = getattr(iface, key)
        if gateway is not None:
            result[key] = 'None' if gateway == NO_GATEWAY else gateway
    if iface.nameservers:
        result['nameservers'] = list(iface.nameservers)
    if iface.search_domains:
        result['search_domains'] = list(iface.search_domains)
    if iface.routes:
        result['routes'] = [route_to_dict(route) for route in iface.routes]
    if iface.mtu is not None:
        result['mtu'] = iface.mtu
    if iface.guest_device_name:
        result['guest_device_name'] = iface.guest_device_name
    return result


def route_to_dict(route: Route) -> Dict[str, Any]:
    """``{to, via[, metric]}``: the route shape of specs, the intended config and netplan."""
    result: Dict[str, Any] = {'to': route.to, 'via': route.via}
    if route.metric is not None:
        result['metric'] = route.metric
    return result


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

def validate(spec: NetworkSpec, *, provider: Optional[str] = None, windows: bool = False, vm_name: Optional[str] = None,
             path: str = 'network', check_support: bool = True) -> None:
    """Raise the first ``SpecError`` in ``spec``.

    ``provider`` (a bootstrap provider name, or None for "not known yet") enables the
    capability table and provider limits; ``windows`` or ``sysprep`` limits the host
    name to 15 characters; ``vm_name`` stands in for an unset host name.
    ``check_support=False`` skips the capability table: the resolver uses it to
    re-check values that subnet defaults filled in, which the user did not write.
    """
    _check_provider_name(provider)
    if check_support and provider is not None:
        _check_support(spec, provider, path)
    _check_identity(spec, provider=provider, windows=windows, vm_name=vm_name, path=path)
    _check_ips(spec.nameservers, path + '.nameservers')
    if spec.disabled and spec.interfaces:
        raise SpecError(path + '.disabled', True, 'conflicts with %s.interfaces (%d given); a disabled network has no interfaces, '
                                                  'remove one or the other' % (path, len(spec.interfaces)))
    if len(spec.interfaces) > MAX_INTERFACES:
        raise SpecError(path + '.interfaces', len(spec.interfaces), 'is more than the %d interfaces a VM can have' % MAX_INTERFACES)
    first_path_of_name: Dict[str, str] = {}
    first_path_of_mac: Dict[str, str] = {}
    for index, iface in enumerate(spec.interfaces):
        iface_path = '%s.interfaces[%d]' % (path, index)
        if not _INTERFACE_NAME_RE.match(iface.name):
            raise SpecError(iface_path + '.name', iface.name, 'must match ^[a-z0-9]{2,}$ (lowercase letters and digits, at least 2)')
        if iface.name in first_path_of_name:
            raise SpecError(iface_path + '.name', iface.name, 'is already the name of %s; interface names must be unique'
                            % first_path_of_name[iface.name])
        first_path_of_name[iface.name] = iface_path
        _check_interface(iface, provider, iface_path)
        if iface.mac_address:
            if iface.mac_address in first_path_of_mac:
                raise SpecError(iface_path + '.mac_address', iface.mac_address, 'is already the MAC address of %s; each NIC needs its own'
                                % first_path_of_mac[iface.mac_address])
            first_path_of_mac[iface.mac_address] = iface_path
    _check_duplicate_addresses(spec, path)
    _check_default_routes(spec, path)


def _check_provider_name(provider: Optional[str]) -> None:
    if provider is not None and provider not in PROVIDERS:
        raise SpecError('provider', provider, 'is not a bootstrap provider; valid providers: %s' % ', '.join(PROVIDERS))


def _check_support(spec: NetworkSpec, provider: str, path: str) -> None:
    """Every field that is set must be one the provider can carry (PROVIDER_SUPPORT)."""
    for field, providers in PROVIDER_SUPPORT.items():
        if provider in providers:
            continue
        if field.startswith(_INTERFACE_FIELD):
            key = field[len(_INTERFACE_FIELD):]
            owners = [('%s.interfaces[%d]' % (path, index), iface) for index, iface in enumerate(spec.interfaces)]
        else:
            key = field
            owners = [(path, spec)]
        for owner_path, owner in owners:
            value = getattr(owner, key)
            if value is None or value == ():
                continue
            shown = [route_to_dict(route) for route in value] if key == 'routes' else value
            raise SpecError('%s.%s' % (owner_path, key), list(shown) if isinstance(shown, tuple) else shown,
                            'is not supported by %s; supported by: %s' % (provider, ', '.join(providers)))


def _check_identity(spec: NetworkSpec, *, provider: Optional[str], windows: bool, vm_name: Optional[str], path: str) -> None:
    host = spec.host_name or vm_name
    host_path = path + '.host_name'
    # When the VM name stands in, say so: the fix is to set host_name.
    origin = '' if spec.host_name else ' (the VM name, used because host_name is not set)'
    if host:
        if parse_ip(host) is not None:
            if spec.domain_name:
                raise SpecError(host_path, host, 'is an IP address%s, which cannot be a host name when domain_name is set' % origin)
        elif len(host) > MAX_HOST_NAME:
            raise SpecError(host_path, host, 'is longer than %d characters%s' % (MAX_HOST_NAME, origin))
        elif not _DNS_LABEL_RE.match(host):
            raise SpecError(host_path, host, 'is not a valid host name%s: use letters, digits and hyphens, not starting or ending '
                                             'with a hyphen (RFC 1123 label; no dots or underscores)' % origin)
        if (windows or provider == SYSPREP) and len(host) > MAX_WINDOWS_HOST_NAME:
            raise SpecError(host_path, host, 'is longer than %d characters%s, the limit for a Windows computer name'
                            % (MAX_WINDOWS_HOST_NAME, origin))
    domain = spec.domain_name
    if not domain:
        return
    domain_path = path + '.domain_name'
    if len(domain) > MAX_DOMAIN_NAME:
        raise SpecError(domain_path, domain, 'is longer than %d characters' % MAX_DOMAIN_NAME)
    labels = domain.split('.')
    for label in labels:
        if len(label) > MAX_HOST_NAME or not _DNS_LABEL_RE.match(label):
            raise SpecError(domain_path, domain, 'is not a valid domain name: label %r must be 1-63 letters, digits and hyphens, '
                                                 'not starting or ending with a hyphen' % label)
    if not _TLD_RE.match(labels[-1]):
        raise SpecError(domain_path, domain, 'is not a valid domain name: the top-level domain %r must be at least 2 letters or digits'
                        % labels[-1])
    if host and len('%s.%s' % (host, domain)) > MAX_FQDN:
        raise SpecError(domain_path, domain, 'makes the FQDN %s.%s longer than %d characters' % (host, domain, MAX_FQDN))


def _check_ips(values: Sequence[str], path: str) -> None:
    for index, value in enumerate(values):
        if parse_ip(value) is None:
            raise SpecError('%s[%d]' % (path, index), value, 'is not an IP address')


def _check_interface(iface: InterfaceSpec, provider: Optional[str], path: str) -> None:
    if iface.guest_device_name is not None and not _GUEST_DEVICE_NAME_RE.match(iface.guest_device_name):
        raise SpecError(path + '.guest_device_name', iface.guest_device_name, r'must match ^\w\w+$ (letters, digits and _, at least 2)')
    if iface.adapter_type is not None and iface.adapter_type not in ADAPTER_TYPES:
        raise SpecError(path + '.adapter_type', iface.adapter_type, 'is not a network adapter type; valid types: %s' % ', '.join(ADAPTER_TYPES))
    _check_mac(iface.mac_address, path + '.mac_address')
    cidrs = _check_addresses(iface, provider, path)
    # A ledger subnet supplies the addresses later; the resolver re-validates once it has.
    addresses_pending = bool(iface.subnet) and not iface.addresses
    _check_gateway(iface, 4, cidrs, addresses_pending, path)
    _check_gateway(iface, 6, cidrs, addresses_pending, path)
    _check_ips(iface.nameservers, path + '.nameservers')
    for index, route in enumerate(iface.routes):
        _check_route(route, '%s.routes[%d]' % (path, index))
    _check_mtu(iface, cidrs, path + '.mtu')


def _check_mac(mac: Optional[str], path: str) -> None:
    if mac is None:
        return
    normalized = normalize_mac(mac)
    if normalized is None:
        raise SpecError(path, mac, 'is not a MAC address; write six hex pairs such as 00:50:56:00:00:01')
    if not MANUAL_MAC_RANGE[0] <= normalized <= MANUAL_MAC_RANGE[1]:
        raise SpecError(path, mac, 'is outside VMware\'s range for static MAC addresses, %s to %s' % MANUAL_MAC_RANGE)


def _dhcp(iface: InterfaceSpec, version: int) -> bool:
    return bool(iface.dhcp4 if version == 4 else iface.dhcp6)


def _check_addresses(iface: InterfaceSpec, provider: Optional[str], path: str) -> List[IPInterface]:
    """Check each address; return the parsed CIDRs for the checks that follow."""
    cidrs: List[IPInterface] = []
    ipv4_limit = IPV4_ADDRESSES_PER_INTERFACE.get(provider or '')
    ipv4_count = 0
    for index, text in enumerate(iface.addresses):
        address_path = '%s.addresses[%d]' % (path, index)
        cidr = parse_cidr(text)
        if cidr is None:
            if parse_ip(text) is not None:
                raise SpecError(address_path, text, 'has no prefix length; write it as a CIDR, e.g. %s/24' % text)
            raise SpecError(address_path, text, 'is not an IP address with a prefix length (CIDR), e.g. 10.0.0.10/24')
        if _dhcp(iface, cidr.version):
            raise SpecError(address_path, text, 'is an %s address, which conflicts with dhcp%d: true; remove it or set dhcp%d: false'
                            % (ip_family(cidr), cidr.version, cidr.version))
        if cidr.version == 4:
            ipv4_count += 1
            if ipv4_limit is not None and ipv4_count > ipv4_limit:
                raise SpecError(address_path, text, 'is a second IPv4 address; %s (guest OS customization) sets one IPv4 address per '
                                                    'interface; use cloud_init for more' % provider)
        cidrs.append(cidr)
    return cidrs


def _check_gateway(iface: InterfaceSpec, version: int, cidrs: Sequence[IPInterface], addresses_pending: bool, path: str) -> None:
    gateway = iface.gateway4 if version == 4 else iface.gateway6
    gateway_path = '%s.gateway%d' % (path, version)
    if gateway is None:
        return
    if _dhcp(iface, version):
        # As VM Operator: even "None" conflicts, DHCP supplies the gateway.
        raise SpecError(gateway_path, 'None' if gateway == NO_GATEWAY else gateway,
                        'conflicts with dhcp%d: true (DHCP supplies the gateway); remove it' % version)
    if gateway == NO_GATEWAY:
        return
    address = parse_ip(gateway)
    if address is None or address.version != version:
        raise SpecError(gateway_path, gateway, 'is not an IPv%d address' % version)
    same_family = [cidr for cidr in cidrs if cidr.version == version]
    if not same_family:
        if addresses_pending:
            return
        raise SpecError(gateway_path, gateway, 'needs an IPv%d address in %s.addresses' % (version, path))
    if not any(address in cidr.network for cidr in same_family):
        raise SpecError(gateway_path, gateway, 'is not inside any IPv%d address of this interface (%s)'
                        % (version, ', '.join(str(cidr) for cidr in same_family)))
    if any(address == cidr.ip for cidr in same_family):
        raise SpecError(gateway_path, gateway, 'is the address of this interface itself')


def _check_route(route: Route, path: str) -> None:
    destination = None
    if route.to != 'default':
        destination = parse_cidr(route.to)
        if destination is None:
            if parse_ip(route.to) is not None:
                raise SpecError(path + '.to', route.to, "has no prefix length; write 'default' or a CIDR, e.g. %s/32" % route.to)
            raise SpecError(path + '.to', route.to, "is not 'default' or a CIDR such as 172.16.0.0/12")
    via = parse_ip(route.via)
    if via is None:
        raise SpecError(path + '.via', route.via, 'is not an IP address')
    if destination is not None and destination.version != via.version:
        raise SpecError(path + '.via', route.via, 'is an %s address but to (%s) is %s' % (ip_family(via), route.to, ip_family(destination)))
    if route.metric is not None and route.metric < 1:
        raise SpecError(path + '.metric', route.metric, 'must be at least 1')


def _check_mtu(iface: InterfaceSpec, cidrs: Sequence[IPInterface], path: str) -> None:
    if iface.mtu is None:
        return
    low, high = MTU_RANGE
    if not low <= iface.mtu <= high:
        raise SpecError(path, iface.mtu, 'is outside %d..%d' % (low, high))
    has_ipv6 = bool(iface.dhcp6) or any(cidr.version == 6 for cidr in cidrs)
    if has_ipv6 and iface.mtu < MIN_IPV6_MTU:
        raise SpecError(path, iface.mtu, 'is below %d, the minimum for an interface with IPv6' % MIN_IPV6_MTU)


def _check_duplicate_addresses(spec: NetworkSpec, path: str) -> None:
    first_path_of_ip: Dict[IPAddress, str] = {}
    for index, iface in enumerate(spec.interfaces):
        for address_index, text in enumerate(iface.addresses):
            cidr = parse_cidr(text)
            if cidr is None:
                continue
            address_path = '%s.interfaces[%d].addresses[%d]' % (path, index, address_index)
            if cidr.ip in first_path_of_ip:
                raise SpecError(address_path, text, 'has the same IP as %s; each address may be used once' % first_path_of_ip[cidr.ip])
            first_path_of_ip[cidr.ip] = address_path


def _check_default_routes(spec: NetworkSpec, path: str) -> None:
    """Two default routes of one family must each have a metric, all different.

    Otherwise the guest gets competing default routes (VM Operator PR #939).
    A default route is a gateway4/gateway6 (no metric) or a route to default, 0.0.0.0/0 or ::/0.
    """
    # family -> [(interface name, field path, shown value, metric)]
    seen: Dict[int, List[Tuple[str, str, str, Optional[int]]]] = {4: [], 6: []}
    for index, iface in enumerate(spec.interfaces):
        iface_path = '%s.interfaces[%d]' % (path, index)
        candidates: List[Tuple[int, str, str, Optional[int]]] = []
        for version in (4, 6):
            gateway = parse_ip(iface.gateway4 if version == 4 else iface.gateway6)
            if gateway is not None:
                candidates.append((version, '%s.gateway%d' % (iface_path, version), str(gateway), None))
        for route_index, route in enumerate(iface.routes):
            version = default_route_family(route)
            if version is not None:
                candidates.append((version, '%s.routes[%d]' % (iface_path, route_index), '%s via %s' % (route.to, route.via), route.metric))
        for version, field_path, shown, metric in candidates:
            for other_name, other_path, other_shown, other_metric in seen[version]:
                if metric is None or other_metric is None or metric == other_metric:
                    raise SpecError(field_path, shown, 'is a second IPv%d default route: interface %s already has one (%s: %s); give all '
                                                       'but one interface gateway%d: None, or give each default route a distinct metric '
                                                       'with routes: [{to: default, via: <gateway>, metric: <n>}]'
                                    % (version, other_name, other_path, other_shown, version))
            seen[version].append((iface.name, field_path, shown, metric))
