# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""VM Operator ``VirtualMachine`` manifest -> our module options. PRIVATE to the collection.

Reads apiVersion vmoperator.vmware.com/v1alpha1 .. v1alpha6.  v1alpha1 carries
``networkInterfaces`` and ``vmMetadata``; they are converted the way VM Operator's
own v1alpha1 conversion does (interfaces named eth0, eth1, ...; the metadata
transport becomes a bootstrap provider).  The network is parsed and validated
here, so a bad manifest fails with a ``manifest.spec.network...`` path.

Secret and ConfigMap references become ``{secret_name, key}`` / ``{config_map_name, key}``:
there is no Kubernetes here, the caller supplies their values.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    CLOUD_INIT,
    LINUX_PREP,
    SYSPREP,
    VAPP_CONFIG,
    ErrorCollector,
    SpecError,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import normalize_users
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import check_provider_support, parse_network_spec, spec_to_dict, validate

API_GROUP = 'vmoperator.vmware.com'
API_VERSIONS = tuple('%s/v1alpha%d' % (API_GROUP, number) for number in range(1, 7))
KIND = 'VirtualMachine'

# spec field -> output key, for the plain values every API version shares.
_SCALAR_FIELDS = {
    'className': 'class_name',
    'imageName': 'image_name',
    'storageClass': 'storage_class',
    'instanceUUID': 'instance_uuid',
    'biosUUID': 'bios_uuid',
    'guestID': 'guest_id',
    'minHardwareVersion': 'min_hardware_version',
    'nextRestartTime': 'next_restart_time',
}
# v1alpha1 spells power states poweredOn, later versions PoweredOn: compare lowercased.
_POWER_STATES = {'poweredon': 'powered_on', 'poweredoff': 'powered_off', 'suspended': 'suspended'}
_POWER_MODES = {'hard': 'hard', 'soft': 'soft', 'trysoft': 'try_soft'}
_POWER_MODE_FIELDS = {'powerOffMode': 'power_off_mode', 'suspendMode': 'suspend_mode', 'restartMode': 'restart_mode'}

# Bootstrap providers in the order that picks the primary one (vAppConfig rides along with GOSC).
_BOOTSTRAP_PROVIDERS = {'cloudInit': CLOUD_INIT, 'sysprep': SYSPREP, 'linuxPrep': LINUX_PREP, 'vAppConfig': VAPP_CONFIG}

# Fields that hold a Secret key selector {name, key}: VM Operator's SecretKeySelector, the sysprep
# and cloudConfig password selectors, and ValueOrSecretKeySelector.from.
_SECRET_REF_FIELDS = frozenset(('rawCloudConfig', 'rawSysprep', 'domainAdminPassword', 'productID', 'passwd', 'hashed_passwd', 'from'))
# Fields that may hold one: sysprep's password is a selector but linuxPrep's wraps one
# ({password: {name, key}, plainText}); write_files content is a string or a selector.
_MAYBE_SECRET_REF_FIELDS = frozenset(('password', 'content'))
# Fields holding a ValueOrSecretKeySelector {value} | {from: {name, key}}: flattened to the value or the reference.
_VALUE_OR_SECRET_FIELDS = frozenset(('scriptText',))

# v1alpha1 vmMetadata.transport -> (provider, the Secret key VM Operator's conversion uses).
_V1ALPHA1_TRANSPORTS = {
    'CloudInit': (CLOUD_INIT, 'user-data'),
    'ExtraConfig': (CLOUD_INIT, 'guestinfo.userdata'),
    'Sysprep': (SYSPREP, 'unattend'),
    'OvfEnv': (LINUX_PREP, None),       # LinuxPrep + vApp properties
    'vAppConfig': (VAPP_CONFIG, None),
}

_CAMEL_BOUNDARY = re.compile(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])')


def snake_case(name: str) -> str:
    """``hardwareClockIsUTC`` -> ``hardware_clock_is_utc``; snake_case names are unchanged."""
    return _CAMEL_BOUNDARY.sub('_', name).lower()


def from_vm_operator(manifest: Mapping) -> Dict[str, Any]:
    """Convert a VirtualMachine manifest into our options (snake_case).

    Keys: name, namespace, network (a spec mapping, ``{}`` when absent), bootstrap
    (``{provider, <provider>: {...}}``; vapp_config may ride along with linux_prep or
    sysprep, as VM Operator allows), power_state, power_off_mode, suspend_mode,
    restart_mode, next_restart_time, class_name, image_name, storage_class,
    instance_uuid, bios_uuid, guest_id, min_hardware_version, volumes (``[{name,
    claim_name, controller}]``), and ``ignored``: the ``spec.*`` fields present that
    have no counterpart here.  Unset keys are left out.
    """
    if not isinstance(manifest, Mapping):
        raise SpecError('manifest', type(manifest).__name__, 'must be a mapping (a VirtualMachine resource)')
    api_version = manifest.get('apiVersion')
    if api_version not in API_VERSIONS:
        raise SpecError('manifest.apiVersion', api_version if api_version is not None else '',
                        'is not supported; supported: %s' % ', '.join(API_VERSIONS))
    if manifest.get('kind') != KIND:
        raise SpecError('manifest.kind', manifest.get('kind') or '', 'is not %s' % KIND)
    metadata = _mapping(manifest.get('metadata'), 'manifest.metadata')
    spec = _mapping(manifest.get('spec'), 'manifest.spec')
    v1alpha1 = api_version.endswith('/v1alpha1')

    result: Dict[str, Any] = {}
    for key in ('name', 'namespace'):
        if metadata.get(key):
            result[key] = metadata[key]
    # Every section is converted even when another one is bad, so all problems are reported at once.
    errors = ErrorCollector()
    consumed = set(_SCALAR_FIELDS) | set(_POWER_MODE_FIELDS) | {'powerState', 'volumes'}
    network: Any = {}
    bootstrap: Optional[Dict[str, Any]] = None
    if v1alpha1:
        consumed |= {'networkInterfaces', 'vmMetadata'}
        with errors.catch():
            network = _v1alpha1_network(spec.get('networkInterfaces'), 'manifest.spec.networkInterfaces')
        with errors.catch():
            bootstrap = _v1alpha1_bootstrap(spec.get('vmMetadata'), 'manifest.spec.vmMetadata')
    else:
        consumed |= {'network', 'bootstrap', 'image'}
        network = spec.get('network') or {}
        if spec.get('bootstrap') is not None:
            with errors.catch():
                bootstrap = _bootstrap(spec['bootstrap'], 'manifest.spec.bootstrap')
    with errors.catch():
        result['network'] = _network(network, bootstrap, metadata.get('name'), str(spec.get('guestID') or ''), bootstrap_ok=not errors)
    if bootstrap:
        result['bootstrap'] = bootstrap
    unused_volume_fields: List[str] = []
    with errors.catch():
        volumes, unused_volume_fields = _volumes(spec.get('volumes'), 'manifest.spec.volumes')
        if volumes:
            result['volumes'] = volumes

    if spec.get('powerState'):
        with errors.catch():
            result['power_state'] = _enum(spec['powerState'], _POWER_STATES, 'manifest.spec.powerState', 'PoweredOn, PoweredOff, Suspended')
    for field, key in _POWER_MODE_FIELDS.items():
        if spec.get(field):
            with errors.catch():
                result[key] = _enum(spec[field], _POWER_MODES, 'manifest.spec.' + field, 'Hard, Soft, TrySoft')
    errors.raise_if_any()
    for field, key in _SCALAR_FIELDS.items():
        if spec.get(field) not in (None, ''):
            result[key] = spec[field]
    image = spec.get('image')
    if 'image_name' not in result and isinstance(image, Mapping) and image.get('name'):
        result['image_name'] = image['name']      # v1alpha4+: image {kind, name}
    ignored = sorted('spec.%s' % key for key, value in spec.items() if key not in consumed and value not in (None, '', [], {}))
    ignored += unused_volume_fields
    if ignored:
        result['ignored'] = ignored
    return result


def _network(network: Any, bootstrap: Optional[Mapping[str, Any]], vm_name: Optional[str], guest_id: str, *,
             bootstrap_ok: bool) -> Dict[str, Any]:
    """Parse and validate the network as VM Operator's webhook does, against the bootstrap it comes with.

    The VM name is judged as the host name whatever the bootstrap (the webhook checks ``metadata.name``).
    Without ``spec.bootstrap`` the fields only a provider takes into the guest are refused, as the
    webhook refuses them (``guestDeviceName``: nothing would rename the NIC).  With cloud-init,
    global DNS that ``useGlobal*AsDefault: false`` keeps from every interface is refused too.
    """
    path = 'manifest.spec.network'
    parsed = parse_network_spec(network, path=path)
    provider = bootstrap['provider'] if bootstrap else None
    cloud_init = (bootstrap or {}).get(CLOUD_INIT) or {}
    errors = ErrorCollector()
    with errors.catch():
        validate(parsed, provider=provider, windows=guest_id.lower().startswith('win'), vm_name=vm_name, path=path,
                 vm_name_is_host_name=True,
                 use_global_nameservers_as_default=cloud_init.get('use_global_nameservers_as_default') is not False,
                 use_global_search_domains_as_default=cloud_init.get('use_global_search_domains_as_default') is not False)
    if provider is None and bootstrap_ok:
        with errors.catch():
            check_provider_support(parsed, None, path)
    errors.raise_if_any()
    return spec_to_dict(parsed)


def _mapping(value: Any, path: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(path, type(value).__name__, 'must be a mapping')
    return value


def _enum(value: Any, choices: Mapping[str, str], path: str, shown: str) -> str:
    converted = choices.get(value.lower()) if isinstance(value, str) else None
    if converted is None:
        raise SpecError(path, value, 'is not one of %s' % shown)
    return converted


# --- volumes -------------------------------------------------------------------

# A claim's controllerType as the vm module's controller type (a new SCSI controller is paravirtual, as VM Operator adds).
_CLAIM_CONTROLLERS = {'SCSI': 'pvscsi', 'NVME': 'nvme', 'SATA': 'sata'}
_CLAIM_FIELDS_USED = ('claimName', 'controllerType', 'controllerBusNumber')


def _volumes(volumes: Any, path: str) -> Tuple[List[Dict[str, Any]], List[str]]:
    """``spec.volumes`` as ``[{name, claim_name, controller}]``, and the claim fields set that have no counterpart."""
    if volumes is None:
        return [], []
    if not isinstance(volumes, list):
        raise SpecError(path, type(volumes).__name__, 'must be a list')
    errors = ErrorCollector()
    converted: List[Dict[str, Any]] = []
    unused: List[str] = []
    for index, item in enumerate(volumes):
        here = '%s[%d]' % (path, index)
        with errors.catch():
            item = _mapping(item, here)
            claim = item.get('persistentVolumeClaim')
            if claim is None:
                raise SpecError(here, item.get('name') or '', 'is not a persistentVolumeClaim volume (it has %s): only claims become disks here'
                                % (', '.join(sorted(str(key) for key in item if key != 'name')) or 'no source'))
            claim = _mapping(claim, here + '.persistentVolumeClaim')
            if not claim.get('claimName'):
                raise SpecError(here + '.persistentVolumeClaim.claimName', '', 'is missing')
            volume: Dict[str, Any] = {'name': item.get('name'), 'claim_name': claim['claimName']}
            kind, bus = claim.get('controllerType'), claim.get('controllerBusNumber')
            if kind not in (None, '') and kind not in _CLAIM_CONTROLLERS:
                raise SpecError(here + '.persistentVolumeClaim.controllerType', kind,
                                'is not one of %s (IDE disks are not made here)' % ', '.join(_CLAIM_CONTROLLERS))
            if kind or bus is not None:
                volume['controller'] = {key: value for key, value in (('type', _CLAIM_CONTROLLERS[kind or 'SCSI']), ('bus', bus)) if value is not None}
            unused += ['spec.volumes[%d].persistentVolumeClaim.%s' % (index, key) for key, value in claim.items()
                       if key not in _CLAIM_FIELDS_USED and value not in (None, '', [], {}, False)]
            converted.append(volume)
    errors.raise_if_any()
    return converted, unused


def claimed_volumes(volumes: List[Mapping[str, Any]], claims: Optional[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The manifest's volumes as the vm module's ``volumes``: each claim's size and storage class from ``claims``
    (claim name -> {size, storage_class}), as a PersistentVolumeClaim would give them. ``_paths`` names where each field came
    from, for the volumes' messages."""
    known = dict(claims or {})
    errors = ErrorCollector()
    out: List[Dict[str, Any]] = []
    used: Dict[str, str] = {}
    for index, volume in enumerate(volumes):
        here = 'manifest.spec.volumes[%d]' % index
        name = volume['claim_name']
        claim = known.get(name)
        if name in used:
            errors.add(here + '.persistentVolumeClaim.claimName', name, 'is claimed by %s already: a claim is one disk' % used[name])
            continue
        used[name] = here
        if claim is None:
            errors.add(here + '.persistentVolumeClaim.claimName', name, 'is not a claim of claims (%s)' % (', '.join(sorted(known)) or 'none given'))
            continue
        if not isinstance(claim, Mapping):
            errors.add('claims.%s' % name, claim, 'must be a mapping with size and storage_class')
            continue
        unknown = sorted(str(key) for key in claim if key not in ('size', 'storage_class'))
        if unknown:
            errors.add('claims.%s.%s' % (name, unknown[0]), claim[unknown[0]], 'is not a claim field; fields: size, storage_class')
            continue
        item: Dict[str, Any] = {'name': volume.get('name'), 'size': claim.get('size'), 'storage_class': claim.get('storage_class'), '_paths': {
            'name': here + '.name', 'size': 'claims.%s.size' % name, 'storage_class': 'claims.%s.storage_class' % name,
            'controller': here + '.persistentVolumeClaim.controllerType', 'provisioning': here, 'state': here}}
        if volume.get('controller'):
            item['controller'] = volume['controller']
        out.append(item)
    errors.raise_if_any()
    return out


# --- v1alpha1 ----------------------------------------------------------------

def _v1alpha1_network(interfaces: Any, path: str) -> Dict[str, Any]:
    """``networkInterfaces[i]`` -> interface ``eth<i>`` (as VM Operator's conversion names them)."""
    if interfaces is None:
        return {}
    if not isinstance(interfaces, list):
        raise SpecError(path, type(interfaces).__name__, 'must be a list')
    converted = []
    for index, item in enumerate(interfaces):
        item = _mapping(item, '%s[%d]' % (path, index))
        iface: Dict[str, Any] = {'name': 'eth%d' % index}
        if item.get('networkName'):
            iface['network'] = item['networkName']
        if item.get('ethernetCardType'):
            iface['adapter_type'] = item['ethernetCardType']
        # networkType/providerRef name VM Operator's network providers; a port group needs neither.
        converted.append(iface)
    return {'interfaces': converted} if converted else {}


def _v1alpha1_bootstrap(metadata: Any, path: str) -> Optional[Dict[str, Any]]:
    metadata = _mapping(metadata, path)
    transport = metadata.get('transport')
    if not transport:
        return None
    if transport not in _V1ALPHA1_TRANSPORTS:
        raise SpecError(path + '.transport', transport, 'is not one of %s' % ', '.join(_V1ALPHA1_TRANSPORTS))
    provider, key = _V1ALPHA1_TRANSPORTS[transport]
    name_field = 'secret_name' if metadata.get('secretName') else 'config_map_name'
    object_name = metadata.get('secretName') or metadata.get('configMapName')

    def reference(secret_key: Optional[str]) -> Dict[str, str]:
        ref = {name_field: object_name}
        if secret_key:
            ref['key'] = secret_key
        return ref

    result: Dict[str, Any] = {'provider': provider}
    if provider == CLOUD_INIT:
        result[CLOUD_INIT] = {'raw_cloud_config': reference(key)} if object_name else {}
    elif provider == SYSPREP:
        result[SYSPREP] = {'raw_sysprep': reference(key)} if object_name else {}
    else:
        if provider == LINUX_PREP:
            result[LINUX_PREP] = {'hardware_clock_is_utc': True}
        result[VAPP_CONFIG] = {'raw_properties': reference(None)} if object_name else {}
    return result


# --- v1alpha2+ bootstrap -------------------------------------------------------

def _bootstrap(bootstrap: Any, path: str) -> Optional[Dict[str, Any]]:
    bootstrap = _mapping(bootstrap, path)
    for key in bootstrap:
        if key not in _BOOTSTRAP_PROVIDERS:
            raise SpecError(path, key, 'is not a bootstrap provider; valid: %s' % ', '.join(_BOOTSTRAP_PROVIDERS))
    present = [key for key in _BOOTSTRAP_PROVIDERS if bootstrap.get(key) is not None]
    if not present:
        return None
    if 'cloudInit' in present and len(present) > 1:
        raise SpecError(path + '.cloudInit', 'cloudInit', 'cannot be combined with %s' % ', '.join(key for key in present if key != 'cloudInit'))
    if 'linuxPrep' in present and 'sysprep' in present:
        raise SpecError(path + '.linuxPrep', 'linuxPrep', 'cannot be combined with sysprep')
    converters: Dict[str, Callable[[Any, str], Dict[str, Any]]] = {
        'cloudInit': _cloud_init, 'sysprep': _sysprep, 'linuxPrep': _convert_tree, 'vAppConfig': _vapp_config,
    }
    result: Dict[str, Any] = {'provider': _BOOTSTRAP_PROVIDERS[present[0]]}
    for key in present:
        result[_BOOTSTRAP_PROVIDERS[key]] = converters[key](_mapping(bootstrap[key], '%s.%s' % (path, key)), '%s.%s' % (path, key))
    return result


def _exclusive(data: Mapping, first: str, second: str, path: str, required: bool = False) -> None:
    given = [key for key in (first, second) if data.get(key) not in (None, '')]
    if len(given) > 1:
        raise SpecError('%s.%s' % (path, second), second, 'cannot be combined with %s; give one' % first)
    if required and not given:
        raise SpecError(path, '{}', 'needs one of %s or %s' % (first, second))


def _cloud_init(data: Mapping, path: str) -> Dict[str, Any]:
    _exclusive(data, 'cloudConfig', 'rawCloudConfig', path)
    result = _convert_tree({key: value for key, value in data.items() if key != 'cloudConfig'}, path)
    if data.get('cloudConfig') is not None:
        result['cloud_config'] = _cloud_config(_mapping(data['cloudConfig'], path + '.cloudConfig'), path + '.cloudConfig')
    return result


def _cloud_config(data: Mapping, path: str) -> Dict[str, Any]:
    """VM Operator's CloudConfig is cloud-config already, except defaultUserEnabled and secret references."""
    result = _convert_tree({key: value for key, value in data.items() if key != 'defaultUserEnabled'}, path)
    # VM Operator's API types users[].inactive as an int32 and writes it as a string, as cloud-init's schema wants.
    result = normalize_users(result, path)
    if data.get('defaultUserEnabled'):
        # cloud-init keeps its default user only when "default" is listed (VM Operator prepends it too).
        result['users'] = ['default'] + list(result.get('users') or [])
    return result


def _sysprep(data: Mapping, path: str) -> Dict[str, Any]:
    _exclusive(data, 'sysprep', 'rawSysprep', path, required=True)
    return _convert_tree(data, path)


def _vapp_config(data: Mapping, path: str) -> Dict[str, Any]:
    _exclusive(data, 'properties', 'rawProperties', path)
    result: Dict[str, Any] = {}
    if data.get('rawProperties'):
        result['raw_properties'] = {'secret_name': data['rawProperties']}
    properties = data.get('properties') or []
    if not isinstance(properties, list):
        raise SpecError(path + '.properties', type(properties).__name__, 'must be a list')
    converted = []
    for index, item in enumerate(properties):
        item_path = '%s.properties[%d]' % (path, index)
        item = _mapping(item, item_path)
        if not item.get('key'):
            raise SpecError(item_path + '.key', '', 'is missing')
        converted.append({'key': item['key'], 'value': _value_or_secret(item.get('value') or {}, item_path + '.value')})
    if converted:
        result['properties'] = converted
    return result


def _value_or_secret(data: Any, path: str) -> Any:
    """``{value: x}`` -> x; ``{from: {name, key}}`` -> ``{secret_name, key}``."""
    data = _mapping(data, path)
    _exclusive(data, 'value', 'from', path, required=True)
    return _secret_ref(data['from'], path + '.from') if data.get('from') is not None else data['value']


def _is_secret_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and 'name' in value and set(value) <= {'name', 'key'}


def _secret_ref(value: Any, path: str) -> Dict[str, str]:
    if not _is_secret_ref(value) or not isinstance(value.get('name'), str):
        raise SpecError(path, '{...}', 'must be a Secret reference {name, key}')
    ref = {'secret_name': value['name']}
    if value.get('key'):
        ref['key'] = value['key']
    return ref


def _convert_tree(value: Any, path: str) -> Any:
    """camelCase keys -> snake_case, recursively; secret references -> ``{secret_name, key}``."""
    if isinstance(value, Mapping):
        result: Dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            item_path = '%s.%s' % (path, key)
            if key in _SECRET_REF_FIELDS or (key in _MAYBE_SECRET_REF_FIELDS and isinstance(item, Mapping) and 'name' in item):
                result[snake_case(key)] = _secret_ref(item, item_path)
            elif key in _VALUE_OR_SECRET_FIELDS:
                result[snake_case(key)] = _value_or_secret(item, item_path)
            else:
                result[snake_case(key)] = _convert_tree(item, item_path)
        return result
    if isinstance(value, list):
        return [_convert_tree(item, '%s[%d]' % (path, index)) for index, item in enumerate(value)]
    return value


# --- a manifest as the options of the vm module ------------------------------------------------------------------------

# VM Operator has one power-off, one suspend and one restart mode; the vm module one mode for the state it is asked for.
_MODE_OF_STATE = {'powered_off': 'power_off_mode', 'suspended': 'suspend_mode', 'powered_on': 'restart_mode'}


# from_vm_operator's keys that have no vm module option (storage and hardware version are chosen by the template).
_UNUSED_BY_VM = (('storage_class', 'storageClass'), ('min_hardware_version', 'minHardwareVersion'))


def manifest_options(manifest: Mapping, classes: Optional[Mapping[str, Any]] = None,
                     images: Optional[Mapping[str, str]] = None, claims: Optional[Mapping[str, Any]] = None,
                     volumes: bool = True) -> Dict[str, Any]:
    """A VirtualMachine manifest as the vm module's options (only those the manifest sets).

    className resolves through ``classes`` (VM class name -> vm_class), imageName through ``images`` (image name ->
    template), as a VirtualMachineClass and a VirtualMachineImage would; an image missing from ``images`` is taken as
    the template's name. The volumes' claims resolve through ``claims`` (claim name -> {size, storage_class}), as the
    PersistentVolumeClaims would (``volumes=False``: the caller has its own volumes, the manifest's are not resolved).
    ``ignored`` lists the manifest's fields that have no counterpart (for a warning).
    """
    converted = from_vm_operator(manifest)
    options: Dict[str, Any] = {}
    for key in ('name', 'instance_uuid', 'bios_uuid', 'guest_id', 'next_restart_time', 'power_state', 'network', 'bootstrap', 'ignored'):
        if converted.get(key) not in (None, '', {}, []):
            options[key] = converted[key]
    # What the filter returns but the vm module has no option for: said in the warning, not dropped silently.
    unused = ['spec.%s' % field for key, field in _UNUSED_BY_VM if converted.get(key) not in (None, '')]
    if unused:
        options['ignored'] = list(options.get('ignored') or []) + unused
    cloud_init = (options.get('bootstrap') or {}).get(CLOUD_INIT)
    if cloud_init and ('wait_on_network4' in cloud_init or 'wait_on_network6' in cloud_init):
        # the cloud_init_metadata filter's keywords, the vm module's cloud_init.wait_on_network
        cloud_init = dict(cloud_init)
        wait = {family: cloud_init.pop('wait_on_network%s' % family[-1], None) for family in ('ipv4', 'ipv6')}
        cloud_init['wait_on_network'] = {family: value for family, value in wait.items() if value is not None}
        options['bootstrap'] = dict(options['bootstrap'], **{CLOUD_INIT: cloud_init})
    class_name = converted.get('class_name')
    if class_name:
        known = dict(classes or {})
        if class_name not in known:
            raise SpecError('manifest.spec.className', class_name, 'is not a class of classes (%s)' % (', '.join(sorted(known)) or 'none given'))
        options['vm_class'] = known[class_name]
    if converted.get('image_name'):
        options['image'] = dict(images or {}).get(converted['image_name'], converted['image_name'])
    if volumes and converted.get('volumes'):
        options['volumes'] = claimed_volumes(converted['volumes'], claims)
    mode = converted.get(_MODE_OF_STATE.get(converted.get('power_state') or 'powered_on', ''))
    if mode:
        options['power_mode'] = mode
    refs = sorted(_secret_paths(options.get('bootstrap'), 'manifest.spec.bootstrap'))
    if refs:
        options['secret_references'] = refs
    return options


def _secret_paths(value: Any, path: str) -> List[str]:
    """Where the converted bootstrap refers to a Secret or ConfigMap ({secret_name, key} / {config_map_name, key})."""
    if isinstance(value, Mapping):
        if 'secret_name' in value or 'config_map_name' in value:
            return [path]
        return [found for key, item in value.items() for found in _secret_paths(item, '%s.%s' % (path, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _secret_paths(item, '%s[%d]' % (path, index))]
    return []
