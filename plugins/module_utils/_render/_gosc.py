# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Guest OS Customization (GOSC) specs as plain data. PRIVATE to the collection.

``render_linux_prep`` and ``render_sysprep`` turn a ResolvedNetwork into a
``vim.vm.customization.Specification`` written as nested dicts: every data object carries a
``'_type'`` key with its full vSphere type name, every other key is the exact pyVmomi property
name (camelCase).  ``_vmodl.to_vmodl`` turns that into pyVmomi objects; keeping the renderer
free of pyVmomi makes it testable anywhere and lets modules show the spec in diffs.

Keys whose value would be unset (None, empty list) are left out; dicts are built in sorted
key order so the same input always gives the same output (and the same hash).

Keys that start with ``_`` are annotations, never sent to vCenter: ``_type`` names the type and
``_secret: True`` marks a dict whose ``value`` is a secret (see ``redact`` and ``secrets``).

Decisions (see also docs/developing.md):
- A NIC with no IPv4 (IPv6-only, or nothing) gets ``vim.vm.customization.DisableIpV4``, so
  IPv4 stays off.  That type exists from vSphere API 9.1; older vCenters know no way to say
  "no IPv4" (pyVmomi even serializes the type as an empty, abstract ``IpGenerator`` for them),
  so ``no_ipv4=NO_IPV4_DHCP`` opts into ``DhcpIpGenerator`` there: the guest also runs DHCPv4
  on that NIC.  ``no_ipv4_mode(api_version)`` picks the mode from vCenter's ``apiVersion``.
- IPv6 router advertisements (``accept_ra``) without static IPv6 or DHCPv6 become
  ``AutoIpV6Generator`` (SLAAC); VM Operator ignores accept_ra for GOSC.
- Sysprep only: each adapter gets the interface's effective nameservers (``dnsServerList``;
  Windows keeps DNS servers per adapter) and its first effective search domain as the
  connection-specific suffix (``dnsDomain``).  LinuxPrep reads only the global settings.
- Sysprep ``identification``: ``domain_admin`` without ``join_domain`` joins
  ``net.domain_name`` (VM Operator joins spec.network.domainName); with neither a domain nor a
  workgroup the VM joins the workgroup ``WORKGROUP`` (the Windows default, as peers do).
  ``join_workgroup`` with any domain option or with ``net.domain_name`` is an error, and so is
  ``auto_logon`` without ``password`` (``check_sysprep_options``).
- Sysprep DHCP adapters carry no global or subnet DNS (the resolver leaves it off): Windows
  adapter DNS overrides what DHCP hands out (vSphere's ``IPSettings.dnsServerList``).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    ErrorCollector,
    ResolvedInterface,
    ResolvedNetwork,
    SpecError,
)

# What `redact` puts in place of a secret.
REDACTED = '********'
# Annotation key: the dict's 'value' is a secret (vApp password properties use it).
SECRET_KEY = '_secret'

# How a NIC without any IPv4 is rendered (see the module docstring).
NO_IPV4_DISABLE = 'disable'
NO_IPV4_DHCP = 'dhcp'
NO_IPV4_MODES = (NO_IPV4_DISABLE, NO_IPV4_DHCP)
# First vSphere API version with vim.vm.customization.DisableIpV4.
DISABLE_IPV4_MIN_API_VERSION = (9, 1)

WINDOWS_COMPUTER_NAME_MAX = 15
DEFAULT_FULL_NAME = 'Administrator'
DEFAULT_ORG_NAME = 'Organization'
DEFAULT_WORKGROUP = 'WORKGROUP'
# Microsoft's index for (GMT) Coordinated Universal Time; VM Operator's default too.
DEFAULT_WINDOWS_TIME_ZONE = 85

_NS = 'vim.vm.customization.'
_PASSWORD = _NS + 'Password'
_SYSPREP_TEXT = _NS + 'SysprepText'
# Types whose 'value' is always a secret.
_SECRET_TYPES = frozenset((_PASSWORD, _SYSPREP_TEXT))

# The inline Sysprep options and their defaults: none of them may go with raw_sysprep.
_INLINE_SYSPREP_DEFAULTS: Dict[str, Any] = {
    'password': None,
    'full_name': DEFAULT_FULL_NAME,
    'org_name': DEFAULT_ORG_NAME,
    'product_id': None,
    'time_zone': DEFAULT_WINDOWS_TIME_ZONE,
    'auto_logon': False,
    'auto_logon_count': 1,
    'run_once': (),
    'join_workgroup': None,
    'join_domain': None,
    'domain_admin': None,
    'domain_admin_password': None,
    'domain_ou': None,
}


def vim_data(type_name: str, **fields: Any) -> Dict[str, Any]:
    """One data object as plain data: unset fields dropped, tuples as lists, keys sorted."""
    data: Dict[str, Any] = {'_type': type_name}
    for name, value in fields.items():
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        data[name] = list(value) if isinstance(value, tuple) else value
    return dict(sorted(data.items()))


def no_ipv4_mode(api_version: str) -> str:
    """The ``no_ipv4`` mode a vCenter with this ``about.apiVersion`` (e.g. '8.0.3.0') accepts."""
    match = re.match(r'^(\d+)\.(\d+)', str(api_version))
    if not match:
        raise ValueError('vCenter API version %r is not of the form N.N[.N...]' % (api_version,))
    version = (int(match.group(1)), int(match.group(2)))
    return NO_IPV4_DISABLE if version >= DISABLE_IPV4_MIN_API_VERSION else NO_IPV4_DHCP


def render_linux_prep(
    net: ResolvedNetwork,
    *,
    time_zone: Optional[str] = None,
    hardware_clock_is_utc: bool = True,
    script_text: Optional[str] = None,
    no_ipv4: str = NO_IPV4_DISABLE,
) -> Dict[str, Any]:
    """A LinuxPrep ``vim.vm.customization.Specification`` for ``net``."""
    _check_type('time_zone', time_zone, str)
    _check_type('hardware_clock_is_utc', hardware_clock_is_utc, bool, optional=False)
    _check_type('script_text', script_text, str)
    identity = vim_data(
        _NS + 'LinuxPrep',
        hostName=vim_data(_NS + 'FixedName', name=net.host_name),
        # `domain` is a required property: send '' when there is none, as VM Operator does.
        domain=net.domain_name or '',
        timeZone=time_zone,
        hwClockUTC=hardware_clock_is_utc,
        scriptText=script_text,
    )
    return _specification(net, identity, per_adapter_dns=False, no_ipv4=no_ipv4)


def render_sysprep(  # pylint: disable=too-many-arguments,too-many-locals
    net: ResolvedNetwork,
    *,
    password: Optional[str] = None,
    full_name: str = DEFAULT_FULL_NAME,
    org_name: str = DEFAULT_ORG_NAME,
    product_id: Optional[str] = None,
    time_zone: int = DEFAULT_WINDOWS_TIME_ZONE,
    auto_logon: bool = False,
    auto_logon_count: int = 1,
    run_once: Sequence[str] = (),
    join_workgroup: Optional[str] = None,
    join_domain: Optional[str] = None,
    domain_admin: Optional[str] = None,
    domain_admin_password: Optional[str] = None,
    domain_ou: Optional[str] = None,
    raw_sysprep: Optional[str] = None,
    no_ipv4: str = NO_IPV4_DISABLE,
) -> Dict[str, Any]:
    """A Sysprep ``vim.vm.customization.Specification`` for ``net``.

    ``raw_sysprep`` (a complete unattend.xml) replaces every inline option; giving both is an
    error.  ``domain_ou`` needs vCenter 8.0U2 or later (``Identification.domainOU``).
    """
    if raw_sysprep is not None:
        _check_type('raw_sysprep', raw_sysprep, str, optional=False)
        inline = dict(
            password=password, full_name=full_name, org_name=org_name, product_id=product_id, time_zone=time_zone,
            auto_logon=auto_logon, auto_logon_count=auto_logon_count, run_once=tuple(run_once),
            join_workgroup=join_workgroup, join_domain=join_domain, domain_admin=domain_admin,
            domain_admin_password=domain_admin_password, domain_ou=domain_ou,
        )
        given = [name for name, value in inline.items() if value != _INLINE_SYSPREP_DEFAULTS[name]]
        if given:
            raise ValueError('raw_sysprep and %s are mutually exclusive: the raw unattend.xml replaces the inline Sysprep options'
                             % ', '.join(given))
        identity = vim_data(_SYSPREP_TEXT, value=raw_sysprep)
    else:
        _check_type('password', password, str)
        _check_type('auto_logon', auto_logon, bool, optional=False)
        for name, value in (('join_workgroup', join_workgroup), ('join_domain', join_domain),
                            ('domain_admin', domain_admin), ('domain_ou', domain_ou)):
            _check_type(name, value, str)
        _check_type('domain_admin_password', domain_admin_password, str)
        check_sysprep_options(password=password, auto_logon=auto_logon, join_workgroup=join_workgroup, join_domain=join_domain,
                              domain_admin=domain_admin, domain_admin_password=domain_admin_password, domain_ou=domain_ou,
                              domain_name=net.domain_name)
        identity = vim_data(
            _NS + 'Sysprep',
            guiUnattended=_gui_unattended(password, time_zone, auto_logon, auto_logon_count),
            userData=_user_data(net, full_name, org_name, product_id),
            guiRunOnce=_gui_run_once(run_once),
            identification=_identification(net, join_workgroup=join_workgroup, join_domain=join_domain, domain_admin=domain_admin,
                                           domain_admin_password=domain_admin_password, domain_ou=domain_ou),
        )
    return _specification(net, identity, per_adapter_dns=True, no_ipv4=no_ipv4)


def check_sysprep_options(  # pylint: disable=too-many-arguments
    *,
    password: Optional[str] = None,
    auto_logon: Optional[bool] = False,
    join_workgroup: Optional[str] = None,
    join_domain: Optional[str] = None,
    domain_admin: Optional[str] = None,
    domain_admin_password: Optional[str] = None,
    domain_ou: Optional[str] = None,
    domain_name: Optional[str] = None,
    network_known: bool = True,
) -> None:
    """The rules between inline Sysprep options, every broken one at once (messages never show a password).

    - ``auto_logon`` needs ``password``: Windows logs on as Administrator with it, and vSphere
      documents that the customization fails with a blank one (``GuiUnattended.autoLogon``).
    - A VM joins a workgroup or a domain: ``join_workgroup`` with ``join_domain``, ``domain_admin``,
      ``domain_admin_password`` or ``domain_ou`` is an error, and so is ``join_workgroup`` with
      ``network.domain_name``, the domain Sysprep joins (VM Operator joins spec.network.domainName
      and refuses joinWorkgroup with it) -- rather than silently picking one.
    - Joining a domain needs its name (``join_domain`` or ``network.domain_name``), ``domain_admin``
      and ``domain_admin_password``.

    ``network_known=False`` (the options checked before the network is resolved) skips the rules
    that need ``domain_name``; ``render_sysprep`` checks them all.
    """
    errors = ErrorCollector()
    if auto_logon and password is None:
        errors.add_error(SpecError('auto_logon', True, 'needs password', text=(
            'auto_logon needs password: Windows logs on as Administrator with it after customization, and vSphere documents that '
            'the customization fails without one; set password, or auto_logon: false')))
    domain_options = [name for name, value in (('join_domain', join_domain), ('domain_admin', domain_admin),
                                               ('domain_admin_password', domain_admin_password), ('domain_ou', domain_ou))
                      if value is not None]
    if join_workgroup is not None:
        if domain_options:
            errors.add_error(SpecError('join_workgroup', join_workgroup, 'conflicts with %s' % ' and '.join(domain_options), text=(
                'join_workgroup and %s are mutually exclusive: a VM joins a workgroup or a domain' % ' and '.join(domain_options))))
        elif network_known and domain_name:
            errors.add_error(SpecError('join_workgroup', join_workgroup, 'conflicts with network.domain_name', text=(
                'join_workgroup and network.domain_name (%s) are mutually exclusive: Sysprep joins the domain network.domain_name '
                'names (as VM Operator joins spec.network.domainName, which it refuses with joinWorkgroup); to join the workgroup %s, '
                'leave network.domain_name unset; to join the domain, give domain_admin and domain_admin_password instead of '
                'join_workgroup' % (domain_name, join_workgroup))))
    elif domain_options:
        domain = join_domain or domain_name
        if join_domain is None and network_known and not domain_name:
            errors.add_error(SpecError('join_domain', '', 'is not set', text=(
                'join_domain is not set and network.domain_name is empty: name the domain that %s is for' % ' and '.join(domain_options))))
        missing = [name for name, value in (('domain_admin', domain_admin), ('domain_admin_password', domain_admin_password))
                   if value is None]
        if missing:
            errors.add_error(SpecError(missing[0], '', 'is not set', text=(
                'joining %s needs %s' % ('the domain %s' % domain if domain else 'a domain', ' and '.join(missing)))))
    errors.raise_if_any()


def redact(data: Any) -> Any:
    """A deep copy of ``data`` with every secret value replaced by ``REDACTED``."""
    if isinstance(data, dict):
        copy = {key: redact(value) for key, value in data.items()}
        if _holds_secret(data) and 'value' in copy:
            copy['value'] = REDACTED
        return copy
    if isinstance(data, (list, tuple)):
        return [redact(item) for item in data]
    return data


def secrets(data: Any) -> List[str]:
    """The raw secret values in ``data``, in document order, each once (for no_log_values)."""
    found: List[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get('value')
            if _holds_secret(node) and isinstance(value, str) and value and value not in found:
                found.append(value)
            for child in node.values():
                walk(child)
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child)

    walk(data)
    return found


def _holds_secret(data: Dict[str, Any]) -> bool:
    return data.get('_type') in _SECRET_TYPES or data.get(SECRET_KEY) is True


def _check_type(name: str, value: Any, expected: type, *, optional: bool = True) -> None:
    """Reject a wrongly typed option; the message names the option, never the value."""
    if value is None and optional:
        return
    # bool is an int subclass: an int option must not take True/False.
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ValueError('%s must be of type %s, got %s' % (name, expected.__name__, type(value).__name__))


def _password(value: Optional[str], name: str) -> Optional[Dict[str, Any]]:
    _check_type(name, value, str)
    return None if value is None else vim_data(_PASSWORD, plainText=True, value=value)


def _gui_unattended(password: Optional[str], time_zone: int, auto_logon: bool, auto_logon_count: int) -> Dict[str, Any]:
    _check_type('time_zone', time_zone, int, optional=False)
    _check_type('auto_logon', auto_logon, bool, optional=False)
    _check_type('auto_logon_count', auto_logon_count, int, optional=False)
    if auto_logon_count < 1:
        raise ValueError('auto_logon_count must be at least 1, got %d' % auto_logon_count)
    return vim_data(
        _NS + 'GuiUnattended',
        password=_password(password, 'password'),
        timeZone=time_zone,
        autoLogon=auto_logon,
        autoLogonCount=auto_logon_count,
    )


def _user_data(net: ResolvedNetwork, full_name: str, org_name: str, product_id: Optional[str]) -> Dict[str, Any]:
    _check_type('full_name', full_name, str, optional=False)
    _check_type('org_name', org_name, str, optional=False)
    _check_type('product_id', product_id, str)
    # The spec layer enforces the limit; raising here keeps a name from being cut silently.
    if len(net.host_name) > WINDOWS_COMPUTER_NAME_MAX:
        raise SpecError('network.host_name', net.host_name,
                        'is longer than %d characters, the limit of a Windows computer name' % WINDOWS_COMPUTER_NAME_MAX)
    return vim_data(
        _NS + 'UserData',
        fullName=full_name,
        orgName=org_name,
        computerName=vim_data(_NS + 'FixedName', name=net.host_name),
        # A required property; '' means "no key" (volume-licensed images), as in VM Operator.
        productId=product_id or '',
    )


def _gui_run_once(run_once: Sequence[str]) -> Optional[Dict[str, Any]]:
    if isinstance(run_once, str) or not all(isinstance(command, str) for command in run_once):
        raise ValueError('run_once must be a list of command strings')
    return vim_data(_NS + 'GuiRunOnce', commandList=list(run_once)) if run_once else None


def _identification(  # pylint: disable=too-many-arguments
    net: ResolvedNetwork,
    *,
    join_workgroup: Optional[str],
    join_domain: Optional[str],
    domain_admin: Optional[str],
    domain_admin_password: Optional[str],
    domain_ou: Optional[str],
) -> Dict[str, Any]:
    # check_sysprep_options has judged the combination.
    if join_workgroup is not None:
        return vim_data(_NS + 'Identification', joinWorkgroup=join_workgroup)
    if join_domain is None and domain_admin is None and domain_admin_password is None and domain_ou is None:
        return vim_data(_NS + 'Identification', joinWorkgroup=DEFAULT_WORKGROUP)
    if join_domain is None:
        join_domain = net.domain_name
    return vim_data(
        _NS + 'Identification',
        joinDomain=join_domain,
        domainAdmin=domain_admin,
        domainAdminPassword=_password(domain_admin_password, 'domain_admin_password'),
        domainOU=domain_ou,
    )


def _specification(net: ResolvedNetwork, identity: Dict[str, Any], *, per_adapter_dns: bool, no_ipv4: str) -> Dict[str, Any]:
    if no_ipv4 not in NO_IPV4_MODES:
        raise ValueError('no_ipv4 must be one of %s, got %r' % (', '.join(NO_IPV4_MODES), no_ipv4))
    return vim_data(
        _NS + 'Specification',
        identity=identity,
        globalIPSettings=vim_data(_NS + 'GlobalIPSettings', dnsServerList=net.nameservers, dnsSuffixList=net.search_domains),
        # A disabled network has no NICs, so the map stays empty (and is left out).
        nicSettingMap=[_adapter_mapping(index, iface, per_adapter_dns, no_ipv4) for index, iface in enumerate(net.interfaces)],
    )


def _adapter_mapping(index: int, iface: ResolvedInterface, per_adapter_dns: bool, no_ipv4: str) -> Dict[str, Any]:
    if not iface.mac_address:
        # GOSC matches settings to adapters by MAC; by position it would silently mix NICs up.
        raise ValueError('network.interfaces[%d] (%s) has no MAC address: GOSC needs it to map the settings to the adapter;'
                         ' read the VM\'s NICs (or set mac_address) before rendering' % (index, iface.name))
    adapter = vim_data(
        _NS + 'IPSettings',
        ipV6Spec=_ipv6_spec(iface),
        dnsServerList=iface.nameservers if per_adapter_dns else None,
        dnsDomain=iface.search_domains[0] if per_adapter_dns and iface.search_domains else None,
        **_ipv4_fields(index, iface, no_ipv4),
    )
    return vim_data(_NS + 'AdapterMapping', macAddress=iface.mac_address.lower().replace('-', ':'), adapter=adapter)


def _ipv4_fields(index: int, iface: ResolvedInterface, no_ipv4: str) -> Dict[str, Any]:
    """IPSettings.ip (a required property), subnetMask and gateway."""
    if iface.dhcp4:
        return {'ip': vim_data(_NS + 'DhcpIpGenerator')}
    if not iface.addresses4:
        generator = 'DisableIpV4' if no_ipv4 == NO_IPV4_DISABLE else 'DhcpIpGenerator'
        return {'ip': vim_data(_NS + generator)}
    if len(iface.addresses4) > 1:
        # The spec layer reports this rule; this only guards against dropping addresses silently.
        raise SpecError('network.interfaces[%d].addresses' % index, list(iface.addresses4), 'holds more than one IPv4 address,'
                        ' and GOSC sets one IPv4 address per NIC')
    address = ipaddress.IPv4Interface(iface.addresses4[0])
    return {
        'ip': vim_data(_NS + 'FixedIp', ipAddress=str(address.ip)),
        'subnetMask': str(address.netmask),
        'gateway': [iface.gateway4] if iface.gateway4 else None,
    }


def _ipv6_spec(iface: ResolvedInterface) -> Optional[Dict[str, Any]]:
    generators: List[Dict[str, Any]]
    gateways: Tuple[str, ...] = ()
    if iface.dhcp6:
        generators = [vim_data(_NS + 'DhcpIpV6Generator')]
    elif iface.addresses6:
        generators = []
        for cidr in iface.addresses6:
            address = ipaddress.IPv6Interface(cidr)
            generators.append(vim_data(_NS + 'FixedIpV6', ipAddress=str(address.ip), subnetMask=address.network.prefixlen))
        # Once per NIC: VM Operator appends the gateway once per address (duplicates).
        gateways = (iface.gateway6,) if iface.gateway6 else ()
    elif iface.accept_ra:
        generators = [vim_data(_NS + 'AutoIpV6Generator')]
    else:
        return None
    return vim_data(_NS + 'IPSettings.IpV6AddressSpec', ip=generators, gateway=gateways)
