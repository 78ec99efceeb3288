# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The glue every filter plugin shares. PRIVATE to the collection; controller side only.

    @filter_errors                     # the core's ValueError/SpecError -> AnsibleFilterError
    def netplan(spec, macs=None, ...):
        net = resolve_network(spec, macs=macs, mac_purpose='netplan matches ...')
        return render_netplan(net, ...)

The filters add no rule of their own beyond their arguments: the spec is parsed and validated
by ``_spec``, precedence applied by ``_resolver``, documents built by ``_render``; errors are
the core's messages (field path and value), after the filter's name on ansible-core < 2.19
(later versions name the failing plugin themselves).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import functools
import inspect
import re
from collections.abc import Mapping
from typing import Any, Callable, Dict, Optional

from ansible.errors import AnsibleFilterError
from ansible.release import __version__ as ansible_core_version
from jinja2 import Undefined

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import ErrorCollector, ResolvedNetwork, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import effective_interfaces, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

COLLECTION = 'guestnet.vsphere'
# ansible-core 2.19 and later name the plugin themselves: "The filter plugin 'guestnet.vsphere.x' failed: <message>".
NAME_IN_MESSAGE = tuple(int(part) for part in re.findall(r'\d+', ansible_core_version)[:2]) < (2, 19)


def filter_errors(func: Callable) -> Callable:
    """Wrap a filter: bad arguments and the core's errors become ``AnsibleFilterError``.

    The message is the core's (it names the field and the value, and never a secret), after
    ``guestnet.vsphere.<filter>: `` where ansible-core does not name the plugin itself.  ``from
    None``: ansible-core 2.19 would append the cause's message a second time.
    """
    name = func.__name__
    signature = inspect.signature(func)
    prefix = '%s.%s: ' % (COLLECTION, name) if NAME_IN_MESSAGE else ''

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            first, *rest = signature.parameters
            raise AnsibleFilterError('%s%s; usage: %s | %s.%s(%s)' % (prefix, error, first, COLLECTION, name, ', '.join(rest))) from None
        for value in list(args) + list(kwargs.values()):
            _fail_on_undefined(value)
        try:
            return func(*args, **kwargs)
        except ValueError as error:   # SpecError, VappTemplateError and the renderers' errors
            message = str(error)
            if message.startswith(name + ': '):   # the vApp helpers name themselves already
                message = message[len(name) + 2:]
            raise AnsibleFilterError(prefix + message) from None

    return wrapper


def _fail_on_undefined(value: Any) -> None:
    """Raise the undefined-variable error of an undefined value anywhere in ``value``.

    ansible-core before 2.19 hands undefined values to filters; the core would report one as a
    wrong type ("must be a mapping") instead of naming the undefined variable.
    """
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # pylint: disable=protected-access
    elif isinstance(value, Mapping):
        for item in value.values():
            _fail_on_undefined(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _fail_on_undefined(item)


def resolve_network(spec: Any, *, macs: Any = None, vm_name: Any = None, provider: Optional[str] = None,
                    need_host_name: bool = True, mac_purpose: Optional[str] = None) -> ResolvedNetwork:
    """Parse, validate and resolve a network spec (snake_case or camelCase) for a filter.

    Every problem is reported at once (``SpecErrors``): the arguments, the spec's rules and the
    missing MACs.  Only a spec that does not parse stops early.

    ``macs``: interface name -> MAC of the VM's NIC; a name that is no interface of the network is
    an error (a typo would otherwise drop the MAC silently).  ``vm_name`` stands in for an unset
    ``host_name``; with ``need_host_name`` one of the two must be given.  ``provider`` checks the
    spec against that bootstrap provider's capability table (and judges the VM name as the host
    name it would write).  ``mac_purpose`` (why MACs are needed, e.g. ``netplan matches each
    interface to its NIC by MAC address``) makes a missing MAC an error that names the interfaces
    without one.
    """
    parsed = parse_network_spec(spec)
    errors = ErrorCollector()
    mac_map: Dict[str, Any] = {}
    with errors.catch():
        mac_map = _mac_map(macs)
    bad_vm_name = vm_name is not None and (not isinstance(vm_name, str) or not vm_name)
    if bad_vm_name:
        errors.add('vm_name', vm_name, 'must be a non-empty string (the VM name)')
        vm_name = None
    if need_host_name and not parsed.host_name and not vm_name and not bad_vm_name:
        errors.add_error(SpecError('network.host_name', '', 'is not set', text='network.host_name is not set and no vm_name was given: '
                                   'set host_name in the network spec, or pass vm_name=<the VM name>, which is the default host name'))
    names = [iface.name for iface in effective_interfaces(parsed)]
    for name in mac_map:
        if name not in names:
            errors.add('macs', name, 'is not an interface of this network; its interfaces: %s'
                       % (', '.join(names) if names else 'none (the network is disabled)'))
    net = None
    with errors.catch():
        # Without need_host_name the host name is not rendered (netplan): '' skips its checks.
        net = resolve(parsed, vm_name=vm_name or parsed.host_name or '', provider=provider, macs=mac_map)
    missing = [iface.name for iface in effective_interfaces(parsed) if not iface.mac_address and mac_map.get(iface.name) is None]
    if mac_purpose and missing:
        reason = ('no MAC address, and %s: pass macs={%s} (interface name -> MAC address of the VM\'s NIC), or set mac_address on '
                  'the interface in the spec' % (mac_purpose, ', '.join("'%s': '00:50:56:...'" % name for name in missing)))
        errors.add_error(SpecError('macs', ', '.join(missing), ('has ' if len(missing) == 1 else 'have ') + reason,
                                   text='%s %s' % ('interface %s has' % missing[0] if len(missing) == 1
                                                   else 'interfaces %s have' % ', '.join(missing), reason)))
    errors.raise_if_any()
    if net is None:             # resolve raised otherwise, and that is in errors
        raise RuntimeError('resolve_network: no network and no error')
    return net


def _mac_map(macs: Any) -> Dict[str, Any]:
    if macs is None:
        return {}
    if not isinstance(macs, Mapping):
        raise SpecError('macs', type(macs).__name__, 'must be a mapping of interface name -> MAC address',
                        text='macs: must be a mapping of interface name -> MAC address, not %s' % type(macs).__name__)
    errors = ErrorCollector()
    for name in macs:
        if not isinstance(name, str):
            errors.add('macs', name, 'is not an interface name (a string)')
    errors.raise_if_any()
    return dict(macs)


def keyword_options(options: Any, renderer: Callable, what: str) -> Dict[str, Any]:
    """Check ``options`` against ``renderer``'s keyword-only parameters; None values mean "unset".

    The message names the option, never its value (options may hold passwords).
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ValueError('options: must be a mapping of %s options, not %s' % (what, type(options).__name__))
    valid = sorted(name for name, parameter in inspect.signature(renderer).parameters.items()
                   if parameter.kind is inspect.Parameter.KEYWORD_ONLY)
    for name in options:
        if name not in valid:
            raise ValueError('options.%s: is not a %s option; valid options: %s' % (name, what, ', '.join(valid)))
    return {name: value for name, value in options.items() if value is not None}


# The keys of the intended config (_resolver.intended_config), to tell it from a network spec.
_CONFIG_KEYS = frozenset(('dns', 'interfaces'))
_CONFIG_INTERFACE_KEYS = frozenset(('name', 'mac_address', 'network', 'guest_device_name', 'ip', 'dns'))


def intended_config_input(config: Any) -> Any:
    """``config`` when it can be the intended config; a network spec in its place is an error.

    Without this check a spec's interface would read as "no static IP address" (its addresses
    are not under ``ip``), a misleading answer.
    """
    if not isinstance(config, Mapping):
        return config            # the helper reports the type
    extra = sorted(str(key) for key in config if key not in _CONFIG_KEYS)
    interfaces = config.get('interfaces')
    if not extra and isinstance(interfaces, list):
        for index, iface in enumerate(interfaces):
            if isinstance(iface, Mapping):
                keys = sorted(str(key) for key in iface if key not in _CONFIG_INTERFACE_KEYS)
                if keys:
                    extra = ['interfaces[%d].%s' % (index, key) for key in keys]
                    break
    if extra:
        raise ValueError('expected the intended network config, but the input has %s, which it never has: it looks like a network '
                         'spec; apply %s.network_config to it first' % (', '.join(extra), COLLECTION))
    return config
