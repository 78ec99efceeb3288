# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What vm_bootstrap decides, as pure functions. PRIVATE to the collection.

    options = provider_options(provider, sections)           # the chosen provider's section, defaults filled in
    check_capabilities(spec, provider)                       # the capability table, before any vCenter call
    macs = match_nics(spec, nics, provider=..., vm_name=...)  # interface name -> MAC of the VM's NIC (as vm_network)
    documents = render_documents(provider, net, options, ...)  # via the core renderers
    digest = applied_hash(provider, documents, salt)         # what the record on the VM holds
    public_documents(provider, documents)                    # for output and diff: every secret redacted

The record of what was applied lives in two extraConfig keys that the guest cannot read
(``guestinfo.*`` keys are guest-visible, these are not): ``guestnet.bootstrap.provider`` and
``guestnet.bootstrap.hash``.  The hash covers the provider and the rendered documents; secrets
enter it only through a salted PBKDF2 digest, so the hash, which any vCenter reader can see,
does not make a weak password cheap to guess.

Interfaces are matched to the VM's NICs exactly as vm_network matches them (``_nics.match_nics``):
static MAC, then the NIC's durable record (externalId ``guestnet:<interface>``), then a free NIC on the
interface's network, then any free NIC in device order.

Nothing here imports Ansible or pyVmomi.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import binascii
import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    CLOUD_INIT,
    LINUX_PREP,
    PROVIDERS,
    SYSPREP,
    VAPP_CONFIG,
    InterfaceSpec,
    NetworkSpec,
    ResolvedNetwork,
    SpecError,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import (
    GUESTINFO_METADATA,
    GUESTINFO_METADATA_ENCODING,
    GUESTINFO_USERDATA,
    GUESTINFO_USERDATA_ENCODING,
    decode_gzip_base64,
    dump_metadata,
    guestinfo,
    render_metadata,
    render_userdata,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import (
    NO_IPV4_DISABLE,
    REDACTED,
    SECRET_KEY,
    check_sysprep_options,
    redact,
    render_linux_prep,
    render_sysprep,
    secrets,
    vim_data,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._netplan import GATEWAY_KEYS
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._vapp import (
    GUESTINFO_TRANSPORT,
    VappTemplateError,
    render_vapp_properties,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import (
    RECORD_PREFIX,
    ObservedNic,
    effective_interfaces,
    wanted_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import match_nics as match_interface_nics
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import validate

RECORD_PROVIDER_KEY = 'guestnet.bootstrap.provider'
RECORD_HASH_KEY = 'guestnet.bootstrap.hash'
RECORD_KEYS = (RECORD_PROVIDER_KEY, RECORD_HASH_KEY)
HASH_PREFIX = 'sha256:'
PBKDF2_ITERATIONS = 100000
GOSC_PROVIDERS = (LINUX_PREP, SYSPREP)

# guestinfo value key -> its encoding key
GUESTINFO_PAIRS = ((GUESTINFO_METADATA, GUESTINFO_METADATA_ENCODING), (GUESTINFO_USERDATA, GUESTINFO_USERDATA_ENCODING))

# The options of each provider's section and their defaults: the module's argspec takes its defaults
# from here, and a provider whose section is left out gets them too.
SECTION_DEFAULTS: Dict[str, Dict[str, Any]] = {
    CLOUD_INIT: {
        'cloud_config': None,
        'raw_cloud_config': None,
        'instance_id': None,
        'ssh_authorized_keys': None,
        'wait_on_network': None,
        'use_global_nameservers_as_default': True,
        'use_global_search_domains_as_default': True,
        'gateway_style': GATEWAY_KEYS,
    },
    LINUX_PREP: {
        'time_zone': None,
        'hardware_clock_is_utc': True,
        'script_text': None,
    },
    # Sysprep's own defaults (full name, organization, time zone 85, ...) live in _gosc.render_sysprep.
    SYSPREP: {name: None for name in (
        'password', 'full_name', 'org_name', 'product_id', 'time_zone', 'auto_logon', 'auto_logon_count', 'run_once',
        'join_workgroup', 'join_domain', 'domain_admin', 'domain_admin_password', 'domain_ou', 'raw_sysprep')},
    VAPP_CONFIG: {
        'properties': None,
    },
}

# The inline Sysprep options _gosc.check_sysprep_options judges together.
_SYSPREP_RULE_OPTIONS = ('password', 'auto_logon', 'join_workgroup', 'join_domain', 'domain_admin', 'domain_admin_password', 'domain_ou')

# Sentinel VM property value that no requested value equals (the vApp renderer rejects it as not a scalar).
_NEVER_EQUAL: Dict[str, Any] = {}


# --------------------------------------------------------------------------- options and validation

def provider_options(provider: str, sections: Mapping[str, Optional[Mapping[str, Any]]]) -> Dict[str, Any]:
    """The chosen provider's options with defaults filled in; another provider's section is an error."""
    if provider not in PROVIDERS:
        raise SpecError('provider', provider, 'is not a bootstrap provider; valid providers: %s' % ', '.join(PROVIDERS))
    for other in PROVIDERS:
        if other != provider and sections.get(other) is not None:
            raise ValueError('%s: is given, but provider is %s; remove the %s options or set provider: %s' % (other, provider, other, other))
    options = dict(SECTION_DEFAULTS[provider])
    for name, value in (sections.get(provider) or {}).items():
        if name not in options:
            raise ValueError('%s.%s: is not an option of %s; valid options: %s' % (provider, name, provider, ', '.join(options)))
        if value is not None:
            options[name] = value
    if provider == VAPP_CONFIG and not options['properties']:
        raise ValueError('vapp_config.properties: is empty; give the vApp properties to set as a list of {key, value}')
    if provider == SYSPREP and options['raw_sysprep'] is None:
        # Before anything is read from vCenter; the rules that need network.domain_name run when rendering.
        check_sysprep_options(**{name: options[name] for name in _SYSPREP_RULE_OPTIONS}, network_known=False)
    return options


def check_capabilities(spec: NetworkSpec, provider: str) -> None:
    """The spec's rules and the provider's capability table (an unsupported field names the providers that support it).

    Run before anything is read from vCenter; the resolver checks again once the VM name is known.
    """
    validate(spec, provider=provider)


def check_switch(recorded_provider: Optional[str], provider: str, force: bool, vm_name: str) -> None:
    """Switching a VM from one provider to another needs force."""
    if recorded_provider and recorded_provider != provider and not force:
        raise ValueError('provider: %s differs from %s, the provider VM %s was bootstrapped with (extraConfig %s); switching '
                         'providers needs force: true' % (provider, recorded_provider, vm_name, RECORD_PROVIDER_KEY))


# --------------------------------------------------------------------------- NICs

def match_nics(spec: NetworkSpec, nics: Sequence[ObservedNic], *, provider: str, vm_name: str) -> Dict[str, str]:
    """Interface name -> MAC of the VM's NIC that backs it, matched as vm_network matches (``_nics.match_nics``).

    cloud-init needs a NIC for every interface (extra NICs stay unconfigured); GOSC (linux_prep, sysprep) sets
    every NIC, so every NIC needs an interface, as vCenter requires.  vapp_config maps what it can.
    """
    interfaces = effective_interfaces(spec)
    matched = match_interface_nics(nics, [wanted_of(iface) for iface in interfaces])
    macs = {name: nic.mac_address for name, (nic, how) in matched.items() if nic.mac_address}
    if provider == VAPP_CONFIG:
        return macs
    ordered = sorted(nics, key=lambda nic: nic.key)
    missing = [iface for iface in interfaces if iface.name not in macs]
    if missing:
        raise SpecError('network.interfaces', ', '.join(_describe_interface(iface) for iface in missing),
                        '%s no NIC on VM %s, which has %d NIC%s%s; add the missing NICs first (guestnet.vsphere.vm_network). An '
                        'interface takes the NIC with its mac_address, else the NIC recorded for it (externalId %s<name>), else a '
                        'free NIC on its network, else (when it names none) the first free NIC in device order'
                        % ('has' if len(missing) == 1 else 'have', vm_name, len(ordered), '' if len(ordered) == 1 else 's',
                           ': %s' % _describe(ordered) if ordered else '', RECORD_PREFIX))
    claimed = {nic.key for nic, how in matched.values()}
    unclaimed = [nic for nic in ordered if nic.key not in claimed]
    if provider in GOSC_PROVIDERS and unclaimed:
        one = len(unclaimed) == 1
        if not interfaces:
            raise SpecError('network.disabled', True, 'leaves %s of VM %s without settings, and %s sets every NIC: remove %s first '
                            '(guestnet.vsphere.vm_network)' % (_describe(unclaimed), vm_name, provider, 'it' if one else 'them'))
        raise SpecError('network.interfaces', ', '.join(iface.name for iface in interfaces),
                        '%s only %d of the %d NICs of VM %s, and %s sets every NIC: %s %s no interface; add an interface for %s or '
                        'remove %s (guestnet.vsphere.vm_network)'
                        % ('covers' if len(interfaces) == 1 else 'cover', len(interfaces), len(ordered), vm_name, provider,
                           _describe(unclaimed), 'has' if one else 'have', 'it' if one else 'each', 'it' if one else 'them'))
    return macs


def _describe_interface(iface: InterfaceSpec) -> str:
    wants = []
    if iface.mac_address:
        wants.append('MAC %s' % iface.mac_address)
    if iface.network is not None:
        wants.append('network %s' % (iface.network.name if iface.network.switch is None else '%s on %s' % (iface.network.name, iface.network.switch)))
    return '%s (%s)' % (iface.name, ', '.join(wants)) if wants else iface.name


def _describe(nics: Sequence[ObservedNic]) -> str:
    return ', '.join('%s (%s)' % (nic.mac_address, nic.network_name) if nic.network_name else str(nic.mac_address) for nic in nics) or '(none)'


# --------------------------------------------------------------------------- documents

def render_documents(provider: str, net: ResolvedNetwork, options: Mapping[str, Any], *, instance_id: str,
                     no_ipv4: str = NO_IPV4_DISABLE, vm_properties: Sequence[Mapping[str, Any]] = ()) -> Dict[str, Any]:
    """The documents the provider takes to the guest, as plain data (secrets still in, marked).

    cloud_init: ``{metadata, userdata}`` (userdata ``{_secret: True, value: text}`` or None);
    linux_prep / sysprep: ``{spec}`` (a ``vim.vm.customization.Specification``);
    vapp_config: ``{properties: [{key, value}]}`` in requested order, values typed per the VM's OVF types.
    """
    if provider == CLOUD_INIT:
        wait = options.get('wait_on_network') or {}
        metadata = render_metadata(net, instance_id=options.get('instance_id') or instance_id,
                                   ssh_authorized_keys=options.get('ssh_authorized_keys') or (),
                                   wait_on_network4=wait.get('ipv4'), wait_on_network6=wait.get('ipv6'),
                                   gateway_style=options.get('gateway_style') or GATEWAY_KEYS)
        userdata = render_userdata(cloud_config=options.get('cloud_config'), raw=options.get('raw_cloud_config'))
        return {'metadata': metadata, 'userdata': None if userdata is None else {SECRET_KEY: True, 'value': userdata}}
    if provider == LINUX_PREP:
        return {'spec': render_linux_prep(net, time_zone=options.get('time_zone'),
                                          hardware_clock_is_utc=options.get('hardware_clock_is_utc', True),
                                          script_text=options.get('script_text'), no_ipv4=no_ipv4)}
    if provider == SYSPREP:
        # The option names are render_sysprep's keywords; unset options keep the renderer's defaults.
        keywords = {name: value for name, value in options.items() if value is not None}
        if 'run_once' in keywords:
            keywords['run_once'] = tuple(keywords['run_once'])
        return {'spec': render_sysprep(net, no_ipv4=no_ipv4, **keywords)}
    if provider == VAPP_CONFIG:
        return {'properties': vapp_values(options.get('properties') or (), vm_properties)}
    raise SpecError('provider', provider, 'is not a bootstrap provider; valid providers: %s' % ', '.join(PROVIDERS))


def userdata_text(documents: Mapping[str, Any]) -> Optional[str]:
    userdata = documents.get('userdata')
    return userdata['value'] if userdata else None


def public_documents(provider: str, documents: Mapping[str, Any]) -> Dict[str, Any]:
    """The documents for output and diff: every secret replaced by REDACTED, annotations dropped."""
    if provider == CLOUD_INIT:
        public: Dict[str, Any] = {'metadata': documents['metadata'], 'netplan': documents['metadata'].get('network')}
        if documents.get('userdata'):
            public['userdata'] = REDACTED
        return public
    if provider == VAPP_CONFIG:
        return {'properties': [{'key': item['key'], 'value': REDACTED if item.get(SECRET_KEY) else item['value']}
                               for item in documents['properties']]}
    return {'spec': _strip_annotations(redact(documents['spec']))}


def document_secrets(documents: Mapping[str, Any]) -> List[str]:
    """Every secret value in the documents (for the module's no_log values)."""
    return secrets(dict(documents))


def _strip_annotations(data: Any) -> Any:
    """Drop ``_secret`` annotations (keep ``_type``, which names the vSphere type)."""
    if isinstance(data, dict):
        return {key: _strip_annotations(value) for key, value in data.items() if key != SECRET_KEY}
    if isinstance(data, list):
        return [_strip_annotations(item) for item in data]
    return data


def applied_hash(provider: str, documents: Mapping[str, Any], salt: str, nic_macs: Optional[Mapping[str, str]] = None) -> str:
    """``sha256:<hex>`` of the provider and the documents; secrets enter only as a PBKDF2 digest salted with ``salt``.

    Deterministic: the same provider, documents and salt (the VM's instance UUID) give the same hash. The MACs of
    ``nic_macs`` (interface name -> MAC) are hashed as their interface names: the record says what each interface was
    given, not which MAC its NIC had, so a new VM's record can go into its clone, before vCenter assigns the MACs, and a
    replaced NIC does not re-run a customization (VM Operator's GOSC, too, applies once).
    """
    found = secrets(dict(documents))
    payload: Dict[str, Any] = {'documents': redact(dict(documents)), 'provider': provider}
    if found:
        material = json.dumps(found, ensure_ascii=False).encode('utf-8')
        payload['secrets'] = hashlib.pbkdf2_hmac('sha256', material, ('guestnet.bootstrap:%s' % salt).encode('utf-8'), PBKDF2_ITERATIONS).hex()
    text = json.dumps(payload, sort_keys=True, separators=(',', ':'), ensure_ascii=False, allow_nan=False)
    for name, mac in sorted((nic_macs or {}).items()):
        for form in mac_forms(mac):
            text = text.replace(form, '<nic %s>' % name)
    return HASH_PREFIX + hashlib.sha256(text.encode('utf-8')).hexdigest()


def mac_forms(mac: str) -> Tuple[str, ...]:
    """The ways a document writes a MAC: colons or dashes, lower or upper case."""
    colons = mac.lower().replace('-', ':')
    dashes = colons.replace(':', '-')
    return (colons, colons.upper(), dashes, dashes.upper())


# --------------------------------------------------------------------------- the record and extraConfig

def read_record(extra_config: Mapping[str, str]) -> Tuple[Optional[str], Optional[str]]:
    """(provider, hash) recorded on the VM, None where unset."""
    return extra_config.get(RECORD_PROVIDER_KEY) or None, extra_config.get(RECORD_HASH_KEY) or None


def record_values(provider: str, digest: str) -> Dict[str, str]:
    return {RECORD_HASH_KEY: digest, RECORD_PROVIDER_KEY: provider}


def wanted_guestinfo(documents: Mapping[str, Any]) -> Dict[str, Optional[str]]:
    """Every guestinfo key cloud-init reads -> its wanted value; None removes (stale user-data)."""
    wanted: Dict[str, Optional[str]] = {key: None for pair in GUESTINFO_PAIRS for key in pair}
    wanted.update(guestinfo(dump_metadata(documents['metadata']), userdata_text(documents)))
    return wanted


def cleared_guestinfo() -> Dict[str, Optional[str]]:
    """The cloud-init guestinfo keys, all removed (a VM switched away from cloud_init)."""
    return {key: None for pair in GUESTINFO_PAIRS for key in pair}


def decode_guestinfo(value: Optional[str], encoding: Optional[str]) -> Optional[str]:
    """The text of a guestinfo value in any encoding cloud-init reads; None when unset or undecodable."""
    if not value:
        return None
    kind = (encoding or '').strip().lower()
    try:
        if kind in ('gzip+base64', 'gz+b64'):
            return decode_gzip_base64(value)
        if kind in ('base64', 'b64'):
            return base64.b64decode(''.join(value.split()), validate=True).decode('utf-8')
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return value if not kind else None


def same_document(current: Optional[str], wanted: Optional[str]) -> bool:
    """Same text, or the same JSON document written differently."""
    if current == wanted:
        return True
    if current is None or wanted is None:
        return False
    try:
        return bool(json.loads(current) == json.loads(wanted))
    except ValueError:
        return False


def extra_config_diff(current: Mapping[str, str], wanted: Mapping[str, Optional[str]], *, force: bool = False) -> Dict[str, str]:
    """The extraConfig keys to write: key -> value ('' removes the key, as vSphere does).

    guestinfo value/encoding pairs are compared by DECODED content, so the same document in another
    encoding is not rewritten; a pair is written (or removed) together.  Other keys compare as text.
    ``force`` writes every wanted key (and removes every unwanted key that is present).
    """
    changes: Dict[str, str] = {}
    paired = set()
    for value_key, encoding_key in GUESTINFO_PAIRS:
        if value_key not in wanted and encoding_key not in wanted:
            continue
        paired.update((value_key, encoding_key))
        want_value, want_encoding = wanted.get(value_key), wanted.get(encoding_key)
        have_value, have_encoding = current.get(value_key), current.get(encoding_key)
        if not want_value:
            for key, have in ((value_key, have_value), (encoding_key, have_encoding)):
                if have:
                    changes[key] = ''
            continue
        if force or not same_document(decode_guestinfo(have_value, have_encoding), decode_guestinfo(want_value, want_encoding)):
            changes[value_key] = want_value
            changes[encoding_key] = want_encoding or ''
    for key, value in wanted.items():
        if key in paired:
            continue
        if not value:
            if current.get(key):
                changes[key] = ''
        elif force or current.get(key) != value:
            changes[key] = value
    return dict(sorted(changes.items()))


def current_cloud_init_documents(current: Mapping[str, str]) -> Dict[str, Any]:
    """What the VM's guestinfo holds now, for the diff's 'before' (metadata parsed when it is JSON, user-data redacted)."""
    before: Dict[str, Any] = {}
    metadata = decode_guestinfo(current.get(GUESTINFO_METADATA), current.get(GUESTINFO_METADATA_ENCODING))
    if metadata is not None:
        try:
            before['metadata'] = json.loads(metadata)
        except ValueError:
            before['metadata'] = metadata
        if isinstance(before['metadata'], dict):
            before['netplan'] = before['metadata'].get('network')
    elif current.get(GUESTINFO_METADATA):
        before['metadata'] = '(not decodable with encoding %r)' % current.get(GUESTINFO_METADATA_ENCODING)
    if current.get(GUESTINFO_USERDATA):
        before['userdata'] = REDACTED
    return before


# --------------------------------------------------------------------------- vApp properties

def _property_id(prop: Mapping[str, Any]) -> str:
    return str(prop['id']) if prop.get('id') else str(prop['key'])


def vapp_values(requested: Sequence[Mapping[str, Any]], vm_properties: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """``[{key, value}]`` in requested order, each value in its OVF type's canonical text; password values marked secret.

    Unknown or non-configurable keys and ill-typed values are errors (the renderer's messages list the VM's keys).
    """
    edits = vapp_edits(requested, vm_properties, force=True)
    by_key = {prop['key']: prop for prop in vm_properties}
    values: Dict[str, Dict[str, Any]] = {}
    for edit in edits:
        info = edit['info']
        item: Dict[str, Any] = {'key': _property_id(by_key[info['key']]), 'value': info.get('value', '')}
        if info.get(SECRET_KEY):
            item[SECRET_KEY] = True
        values[item['key']] = item
    return [values[str(item['key'])] for item in requested]


def vapp_edits(requested: Sequence[Mapping[str, Any]], vm_properties: Sequence[Mapping[str, Any]], *, force: bool = False) -> List[Dict[str, Any]]:
    """``vim.vApp.PropertySpec`` edits (plain data) for the requested values that differ; every one with ``force``."""
    if force:
        # Against a VM whose values match nothing, the renderer returns an edit for every requested property.
        return render_vapp_properties(requested, [dict(prop, value=_NEVER_EQUAL) for prop in vm_properties])
    return render_vapp_properties(requested, vm_properties)


def vapp_config_spec(edits: Sequence[Mapping[str, Any]], transports: Sequence[str]) -> Optional[Dict[str, Any]]:
    """The ``vim.vApp.VmConfigSpec`` for the edits, adding the guestinfo OVF transport when the VM lacks it; None: nothing."""
    new_transports = None if GUESTINFO_TRANSPORT in transports else list(transports) + [GUESTINFO_TRANSPORT]
    if not edits and new_transports is None:
        return None
    return vim_data('vim.vApp.VmConfigSpec', property=list(edits), ovfEnvironmentTransport=new_transports)


def current_vapp_documents(requested: Sequence[Mapping[str, Any]], vm_properties: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The VM's current values of the requested properties (password values redacted), for the diff's 'before'."""
    by_id = {_property_id(prop): prop for prop in vm_properties}
    properties = []
    for item in requested:
        prop = by_id.get(str(item.get('key')))
        if prop is None:
            continue
        value = prop.get('value')
        if value and str(prop.get('type') or '').startswith('password'):
            value = REDACTED
        properties.append({'key': _property_id(prop), 'value': value if value is not None else ''})
    return {'properties': properties}


def vapp_secret_values(requested: Sequence[Mapping[str, Any]], vm_properties: Sequence[Mapping[str, Any]]) -> List[str]:
    """The requested values of the VM's password properties, as given (for no_log before anything can fail)."""
    passwords = {_property_id(prop) for prop in vm_properties if str(prop.get('type') or '').startswith('password')}
    return [str(item['value']) for item in requested
            if isinstance(item, Mapping) and str(item.get('key')) in passwords and item.get('value') not in (None, '')]


def check_vapp_request(requested: Sequence[Mapping[str, Any]]) -> None:
    """Shape of the requested properties (before anything is read from the VM)."""
    for index, item in enumerate(requested):
        if not isinstance(item, Mapping) or not isinstance(item.get('key'), str) or not item.get('key') or item.get('value') is None:
            raise VappTemplateError('vapp_config.properties[%d]: expected {key: <property id>, value: <value>}' % index)
