# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vApp properties and VM Operator's template helpers. PRIVATE to the collection.

Template helpers
    VM Operator's v1alpha6 template functions (``V1alpha6_FirstIP`` ...) as plain functions over
    the intended config (``_resolver.intended_config``; shape in docs/developing.md), for Jinja
    filters.  Where VM Operator logs an error and passes the raw ``{{ ... }}`` text through, these
    raise ``VappTemplateError``.  They also fail on input VM Operator tolerates: a DHCP-only NIC
    for ``ips_from_nic`` (VM Operator returns an empty list), a negative NIC index.
    ``is_usable_ip`` answers false for text that is no IP, as VM Operator does (templates use it
    in conditions).  ``first_ip`` prefers a
    usable address in both families (VM Operator: IPv6 only).  VM Operator's classful ``IP``
    function is left out on purpose.

vApp properties
    ``render_vapp_properties`` checks requested values against the VM's own OVF properties and
    returns ``vim.vApp.PropertySpec`` edits (plain data, like ``_gosc``) for the values that
    change.  Values of ``password`` properties carry ``_gosc.SECRET_KEY``, so ``_gosc.redact``
    and ``_gosc.secrets`` cover these specs too.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import math
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import SECRET_KEY, vim_data
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import IPAddress, IPInterface, parse_cidr, parse_ip
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import is_usable_ip as is_usable_address

GUESTINFO_TRANSPORT = 'com.vmware.guestInfo'
MAX_STRING_LENGTH = 65535
_INT32 = (-2 ** 31, 2 ** 31 - 1)
_TRUE = frozenset(('1', 't', 'true'))       # Go's strconv.ParseBool, as VM Operator reads booleans
_FALSE = frozenset(('0', 'f', 'false'))
_INT_RE = re.compile(r'^[+-]?\d+$')
_REAL_RE = re.compile(r'^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$')
_RANGED_TYPE_RE = re.compile(r'^(string|password|int|real)\((.*)\.\.(.*)\)$')
_MAC_RE = re.compile(r'^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$')


class VappTemplateError(ValueError):
    """A template helper or a vApp property value cannot give a correct result."""


# --------------------------------------------------------------------------- template helpers

def first_ip(config: Mapping[str, Any], nic: int = 0, family: Optional[Union[int, str]] = None) -> str:
    """The first static address (CIDR) of NIC ``nic``: IPv4 before IPv6, a usable one first.

    ``family`` 4 or 6 looks at that family only.  A NIC without a static address of the
    wanted family (a DHCP NIC) is an error: a template cannot know a lease.
    """
    wanted = _family(family)
    name, addresses4, addresses6 = _nic_addresses(config, nic)
    for version, addresses in ((4, addresses4), (6, addresses6)):
        if addresses and wanted in (None, version):
            usable = [address for address in addresses if is_usable_address(address.ip)]
            return str((usable or addresses)[0])
    raise VappTemplateError('first_ip: NIC %d (%s) has no static %s address%s'
                            % (nic, name, {None: 'IP', 4: 'IPv4', 6: 'IPv6'}[wanted], _dhcp_note(config, nic)))


def ips_from_nic(config: Mapping[str, Any], nic: int = 0) -> List[str]:
    """The static addresses (CIDRs) of NIC ``nic``: its IPv4 ones if any, else its IPv6 ones."""
    name, addresses4, addresses6 = _nic_addresses(config, nic)
    addresses = addresses4 or addresses6
    if not addresses:
        raise VappTemplateError('ips_from_nic: NIC %d (%s) has no static IP address%s' % (nic, name, _dhcp_note(config, nic)))
    return [str(address) for address in addresses]


def first_nic_mac(config: Mapping[str, Any]) -> str:
    """The MAC address of the first NIC, lowercase and dash-separated (the form Windows wants)."""
    iface = _nic(config, 0)
    mac = str(iface.get('mac_address') or '').lower()
    if not mac:
        raise VappTemplateError('first_nic_mac: NIC 0 (%s) has no MAC address yet (read it from the VM first)' % iface.get('name'))
    if not _MAC_RE.match(mac):
        raise VappTemplateError('first_nic_mac: NIC 0 (%s) has the MAC address %r, which is not six hex octets' % (iface.get('name'), mac))
    return mac.replace(':', '-')


def format_ip(ip_or_cidr: str, mask: Union[str, int] = '') -> str:
    """``ip_or_cidr`` with ``mask``: '' gives the bare IP, '/24' or '255.255.255.0' give IP/24.

    An int mask is a prefix length.  The IP is not masked: format_ip('10.0.0.5', '/8') is
    '10.0.0.5/8'.  A mask that is not a run of ones, or that does not fit the family, is an error.
    """
    address = _parse_ip('format_ip', ip_or_cidr)
    if isinstance(mask, int) and not isinstance(mask, bool):
        mask = '/%d' % mask
    if not isinstance(mask, str):
        raise VappTemplateError('format_ip: the mask must be a string or a prefix length, got %r' % (mask,))
    if mask == '':
        return str(address)
    if mask.startswith('/'):
        if not mask[1:].isdigit() or int(mask[1:]) > address.max_prefixlen:
            raise VappTemplateError('format_ip: %s is not a prefix length of an IPv%d address' % (mask, address.version))
        return '%s/%d' % (address, int(mask[1:]))
    netmask = parse_ip(mask)
    if netmask is None:
        raise VappTemplateError('format_ip: the mask %r is neither a prefix length (/N) nor a netmask' % mask)
    if netmask.version != address.version:
        raise VappTemplateError('format_ip: the IPv%d netmask %s does not fit the IPv%d address %s'
                                % (netmask.version, mask, address.version, address))
    ones = bin(int(netmask)).count('1')
    # Canonical: `ones` leading one bits and nothing else (255.0.255.0 is not).
    if int(netmask) != ((1 << ones) - 1) << (address.max_prefixlen - ones):
        raise VappTemplateError('format_ip: the netmask %s is not canonical (its one bits must come first)' % mask)
    return '%s/%d' % (address, ones)


def subnet_mask(cidr: str) -> str:
    """The dotted-quad netmask of an IPv4 CIDR (IPv6 has none: use prefix_length)."""
    interface = _parse_cidr('subnet_mask', cidr)
    if interface.version != 4:
        raise VappTemplateError('subnet_mask: %s is an IPv6 CIDR, which has no dotted netmask; use prefix_length' % cidr)
    return str(interface.netmask)


def prefix_length(cidr: str) -> int:
    """The prefix length of an IPv4 or IPv6 CIDR."""
    return _parse_cidr('prefix_length', cidr).network.prefixlen


def format_nameservers(config_or_list: Union[Mapping[str, Any], Sequence[str]], count: int = -1, delimiter: str = ',') -> str:
    """The first ``count`` nameservers joined by ``delimiter`` (count < 0 or >= their number: all).

    Given the intended config, these are its global nameservers (VM Operator's ``Net.Nameservers``).
    """
    if isinstance(config_or_list, Mapping):
        nameservers = (config_or_list.get('dns') or {}).get('nameservers') or []
    elif isinstance(config_or_list, (list, tuple)):
        nameservers = list(config_or_list)
    else:
        raise VappTemplateError('format_nameservers: expected the network config or a list of nameservers, got %s'
                                % type(config_or_list).__name__)
    if isinstance(count, bool) or not isinstance(count, int):
        raise VappTemplateError('format_nameservers: count must be an integer, got %r' % (count,))
    if not isinstance(delimiter, str):
        raise VappTemplateError('format_nameservers: the delimiter must be a string, got %r' % (delimiter,))
    if not nameservers:
        raise VappTemplateError('format_nameservers: the network config has no nameservers')
    for nameserver in nameservers:
        _parse_ip('format_nameservers', nameserver, allow_cidr=False)
    if 0 <= count < len(nameservers):
        nameservers = nameservers[:count]
    return delimiter.join(str(nameserver) for nameserver in nameservers)


def is_usable_ip(ip: Optional[str]) -> bool:
    """Whether an IP (or CIDR) is usable off the local link: not unspecified, loopback or link-local.

    Text that is no IP address or CIDR (``''``, ``localhost``, ``10.0.0.256``) and None are not
    usable: false, as VM Operator's IsUsableIP answers, so a template can test any value in a
    condition.  A value that is not text (a list of addresses, a number) is an error: it is a
    mistake in the template, not an address.
    """
    if ip is not None and not isinstance(ip, str):
        raise VappTemplateError("is_usable_ip: expects one address (text), got %s; for a list use map('guestnet.vsphere.is_usable_ip')"
                                % type(ip).__name__)
    return is_usable_address(ip)


def _family(family: Optional[Union[int, str]]) -> Optional[int]:
    if family is None:
        return None
    if isinstance(family, bool) or str(family) not in ('4', '6'):
        raise VappTemplateError('first_ip: family must be 4 or 6, got %r' % (family,))
    return int(family)


def _nic(config: Mapping[str, Any], nic: int) -> Mapping[str, Any]:
    if not isinstance(config, Mapping):
        raise VappTemplateError('expected the network config (a dict with interfaces), got %s' % type(config).__name__)
    interfaces = config.get('interfaces') or []
    if isinstance(nic, bool) or not isinstance(nic, int) or nic < 0:
        raise VappTemplateError('the NIC index must be an integer >= 0, got %r' % (nic,))
    if nic >= len(interfaces):
        raise VappTemplateError('NIC %d does not exist: the network config has %d interface(s)' % (nic, len(interfaces)))
    return interfaces[nic]


def _nic_addresses(config: Mapping[str, Any], nic: int) -> Tuple[str, List[IPInterface], List[IPInterface]]:
    """The NIC's name and static addresses by family, in config order."""
    iface = _nic(config, nic)
    addresses = [_parse_cidr('network.config.interfaces[%d].ip.addresses' % nic, cidr)
                 for cidr in (iface.get('ip') or {}).get('addresses') or []]
    return (str(iface.get('name')),
            [address for address in addresses if address.version == 4],
            [address for address in addresses if address.version == 6])


def _dhcp_note(config: Mapping[str, Any], nic: int) -> str:
    dhcp = (_nic(config, nic).get('ip') or {}).get('dhcp') or {}
    families = [label for key, label in (('ip4', 'DHCPv4'), ('ip6', 'DHCPv6')) if (dhcp.get(key) or {}).get('enabled')]
    return ' (it uses %s, whose lease a template cannot know)' % ' and '.join(families) if families else ''


def _parse_ip(helper: str, text: Any, *, allow_cidr: bool = True) -> IPAddress:
    cidr = parse_cidr(text) if allow_cidr else None
    address = cidr.ip if cidr is not None else parse_ip(text)
    if address is None:
        raise VappTemplateError('%s: %r is not an IP address%s' % (helper, text, ' or CIDR' if allow_cidr else ''))
    return address


def _parse_cidr(helper: str, text: Any) -> IPInterface:
    cidr = parse_cidr(text)
    if cidr is None:
        raise VappTemplateError('%s: %r is not a CIDR (address/prefix)' % (helper, text))
    return cidr


# --------------------------------------------------------------------------- vApp properties

def render_vapp_properties(requested: Sequence[Mapping[str, Any]], vm_properties: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """``vim.vApp.PropertySpec`` edits that give the VM's properties the requested values.

    ``requested``: ``[{key, value}]``, ``key`` being an OVF property id (``PropertyInfo.id``).
    ``vm_properties``: the VM's ``[{key (int), id, type, user_configurable, value}]``; a property
    without ``id`` is addressed by its integer key as a string.  Values are checked against the
    OVF type and written in its canonical form; a property already holding an equal value gets
    no edit, so an empty list means "nothing to change".
    """
    by_name = {_property_name(prop): prop for prop in vm_properties}
    configurable = sorted(name for name, prop in by_name.items() if prop.get('user_configurable'))
    specs: List[Dict[str, Any]] = []
    seen = set()
    for index, item in enumerate(requested):
        if not isinstance(item, Mapping) or not isinstance(item.get('key'), str) or 'value' not in item:
            raise VappTemplateError('vapp properties[%d]: expected {key: <property id>, value: ...}' % index)
        name = item['key']
        if name in seen:
            raise VappTemplateError('vapp property %r is given twice' % name)
        seen.add(name)
        prop = by_name.get(name)
        if prop is None:
            raise VappTemplateError('vapp property %r does not exist on the VM; its user-configurable properties are: %s'
                                    % (name, ', '.join(configurable) or '(none)'))
        if not prop.get('user_configurable'):
            raise VappTemplateError('vapp property %r is not user-configurable on the VM' % name)
        text, value = _typed_value(name, str(prop.get('type') or 'string'), item['value'])
        if not _same_value(name, prop, value):
            specs.append(_property_spec(prop, text))
    return specs


def vapp_config_spec(property_specs: Sequence[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The ``vim.vApp.VmConfigSpec`` for ``property_specs``; None when there is nothing to set.

    The OVF environment goes over guestinfo, which works on VMs without a CD-ROM drive.
    """
    if not property_specs:
        return None
    return vim_data('vim.vApp.VmConfigSpec', property=list(property_specs), ovfEnvironmentTransport=[GUESTINFO_TRANSPORT])


def _property_name(prop: Mapping[str, Any]) -> str:
    return str(prop['id']) if prop.get('id') else str(prop['key'])


def _is_password(prop_type: str) -> bool:
    return prop_type == 'password' or prop_type.startswith('password(')


def _property_spec(prop: Mapping[str, Any], text: str) -> Dict[str, Any]:
    secret = {SECRET_KEY: True} if _is_password(str(prop.get('type') or '')) else {}
    info = vim_data('vim.vApp.PropertyInfo', key=int(prop['key']), value=text, **secret)
    return vim_data('vim.vApp.PropertySpec', operation='edit', info=info)


def _same_value(name: str, prop: Mapping[str, Any], value: Any) -> bool:
    """Whether the VM already holds ``value`` (compared as typed values: 'true' == True)."""
    current = prop.get('value')
    if current is None:
        current = ''
    try:
        return _typed_value(name, str(prop.get('type') or 'string'), current)[1] == value
    except VappTemplateError:
        return False  # the VM holds something the type rejects: ours differs


def _typed_value(name: str, prop_type: str, value: Any) -> Tuple[str, Any]:
    """Check ``value`` against the OVF type: (text to write, comparable value)."""
    shown = 'the value' if _is_password(prop_type) else repr(value)

    def fail(reason: str) -> VappTemplateError:
        return VappTemplateError('vapp property %r (type %s): %s %s' % (name, prop_type, shown, reason))

    if isinstance(value, (dict, list, tuple)) or value is None:
        raise fail('is not a scalar')
    base, low, high = _type_limits(name, prop_type)
    if base == 'boolean':
        text = value.strip().lower() if isinstance(value, str) else ''
        if not isinstance(value, bool) and text not in _TRUE | _FALSE:
            raise fail('is not a boolean (true/false)')
        flag = value if isinstance(value, bool) else text in _TRUE
        return ('True' if flag else 'False'), flag
    if base == 'int':
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _INT_RE.match(value.strip()))):
            raise fail('is not an integer')
        number = int(value)
        if not low <= number <= high:
            raise fail('is out of range %s..%s' % (low, high))
        return str(number), number
    if base == 'real':
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or (isinstance(value, str) and _REAL_RE.match(value.strip()))):
            raise fail('is not a real number')
        real = float(value)
        if not math.isfinite(real):
            raise fail('is not finite')
        if not low <= real <= high:
            raise fail('is out of range %s..%s' % (low, high))
        return (value.strip() if isinstance(value, str) else repr(real)), real
    if base == 'ip':
        text = value.strip() if isinstance(value, str) else value
        cidr = parse_cidr(text)
        address: Any = cidr if cidr is not None else parse_ip(text)
        if address is None:
            raise fail('is not an IP address or CIDR')
        return str(address), address
    # string, password, expression
    text = ('True' if value else 'False') if isinstance(value, bool) else str(value)
    if not low <= len(text) <= high:
        raise fail('has %d characters, outside %d..%d' % (len(text), low, high))
    return text, text


def _type_limits(name: str, prop_type: str) -> Tuple[str, Any, Any]:
    """The base type and its (low, high) limits: lengths for strings, values for numbers."""
    ranged = _RANGED_TYPE_RE.match(prop_type)
    if not ranged:
        if prop_type in ('string', 'password', 'expression'):
            return prop_type, 0, MAX_STRING_LENGTH
        if prop_type == 'int':
            return prop_type, _INT32[0], _INT32[1]
        if prop_type == 'real':
            return prop_type, -math.inf, math.inf
        if prop_type in ('boolean', 'ip') or prop_type.startswith('ip:'):
            # 'ip:<network>' holds an IP on that network: VM Operator refuses it, we check it as an IP.
            return prop_type.split(':')[0], None, None
        raise VappTemplateError('vapp property %r has the OVF type %r, which is not supported' % (name, prop_type))
    base, low_text, high_text = ranged.groups()
    low: Any
    high: Any
    if base in ('string', 'password'):
        # string(min..), string(..max), string(min..max): lengths, within the 64k limit.
        valid = all(not text or text.isdigit() for text in (low_text, high_text))
        low, high = (int(low_text or 0), min(int(high_text or MAX_STRING_LENGTH), MAX_STRING_LENGTH)) if valid else (0, 0)
    else:
        # int(a..b) and real(a..b) need both limits.
        pattern, number = (_INT_RE, int) if base == 'int' else (_REAL_RE, float)
        valid = bool(pattern.match(low_text) and pattern.match(high_text))
        low, high = (number(low_text), number(high_text)) if valid else (0, 0)
    if not valid:
        raise VappTemplateError('vapp property %r has the malformed OVF type %r' % (name, prop_type))
    if low > high:
        raise VappTemplateError('vapp property %r has the OVF type %r, whose minimum exceeds its maximum' % (name, prop_type))
    return base, low, high
