# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning helpers of vm_deploy: the VM class, the records on the VM, the clone's ConfigSpec. PRIVATE to the collection.

Pure: standard library only (no Ansible, no pyVmomi). The ConfigSpec is plain data for ``_vmodl.to_vmodl``.

Records vm_deploy writes on the VM it creates (``config.extraConfig``, in the clone's ConfigSpec):

``guestnet.image``
    the inventory path of the template the VM was cloned from, e.g. ``/DC0/vm/templates/ubuntu-22.04``.
``guestnet.class``
    the VM class as canonical JSON (sorted keys, no blanks, memory in MiB, only the keys that were given;
    ``{}`` when no class was given), e.g.
    ``{"adapter_types":["e1000","vmxnet3"],"cpu_limit":400,"cpu_reservation":200,"cpus":2,"memory":4096}``.
    ``adapter_types`` (the NIC types of the VM's first NICs, for vm_network) lives inside it:
    ``adapter_types_of(record)`` reads it.

Both are immutable once deployed: a run that asks for another image or class fails and says to redeploy.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import difflib
import json
import re
import uuid as uuidlib
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import ADAPTER_TYPES, normalize_adapter_type

IMAGE_KEY = 'guestnet.image'
CLASS_KEY = 'guestnet.class'

CLASS_FIELDS = ('cpus', 'memory', 'cpu_reservation', 'cpu_limit', 'memory_reservation', 'memory_limit', 'adapter_types')
MAX_CPUS = 768                      # vSphere 8 maximum per VM
MAX_MEMORY_MIB = 24 * 1024 * 1024   # 24 TiB
MAX_ADAPTERS = 10                   # as many as a network spec has interfaces
MAX_VM_NAME = 80                    # vCenter's limit on an inventory name

_MEMORY_UNITS = {'': 1, 'Mi': 1, 'Gi': 1024, 'Ti': 1024 * 1024}
_MEMORY_RE = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*(Mi|Gi|Ti)?\s*$')
_UNLIMITED = -1


class ImmutableError(ValueError):
    """A deployed VM's image, class or identity differs from the one asked for."""


# -- the VM class ---------------------------------------------------------------------------------------------------

def parse_memory(value: Any, path: str = 'vm_class.memory') -> int:
    """Memory size in MiB from an int (MiB) or a string like '4Gi', '512Mi', '1.5Gi', '2048'."""
    if isinstance(value, bool):
        raise SpecError(path, value, 'is not a memory size: give MiB as an integer or a string like 512Mi or 4Gi')
    if isinstance(value, int):
        mib = value
    elif isinstance(value, str):
        match = _MEMORY_RE.match(value)
        if not match:
            raise SpecError(path, value, 'is not a memory size: give MiB as an integer or a string like 512Mi, 4Gi or 1Ti')
        try:
            amount = Decimal(match.group(1)) * _MEMORY_UNITS[match.group(2) or '']
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise SpecError(path, value, 'is not a memory size') from None
        if amount != amount.to_integral_value():
            raise SpecError(path, value, 'is not a whole number of MiB')
        mib = int(amount)
    else:
        raise SpecError(path, value, 'is not a memory size: give MiB as an integer or a string like 512Mi or 4Gi')
    if mib < 4 or mib > MAX_MEMORY_MIB:
        raise SpecError(path, value, 'is out of range: a VM has 4 MiB to 24 TiB of memory')
    if mib % 4:
        raise SpecError(path, value, 'is not a multiple of 4 MiB, as vSphere requires (%d MiB)' % mib)
    return mib


def _int(raw: Mapping[str, Any], key: str, path: str, minimum: int, maximum: Optional[int] = None) -> Optional[int]:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str) and re.match(r'^-?\d+$', value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError('%s.%s' % (path, key), value, 'is not an integer')
    if value < minimum or (maximum is not None and value > maximum):
        reason = 'is out of range: %d to %d' % (minimum, maximum) if maximum is not None else 'must be at least %d' % minimum
        if minimum == _UNLIMITED:
            reason += ' (-1 means unlimited)'
        raise SpecError('%s.%s' % (path, key), value, reason)
    return value


def parse_class(raw: Optional[Mapping[str, Any]], path: str = 'vm_class') -> Dict[str, Any]:
    """Validate and normalize a VM class; keys that are unset (None) are left out, memory becomes MiB.

    cpus; memory (MiB int or '4Gi'); cpu_reservation/cpu_limit in MHz; memory_reservation/memory_limit in MB
    (VM Operator's units: seeds/001 "CPU and Memory"); a limit of -1 means unlimited; adapter_types: NIC types.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SpecError(path, type(raw).__name__, 'must be a mapping with %s' % ', '.join(CLASS_FIELDS))
    unknown = sorted(str(key) for key in raw if key not in CLASS_FIELDS)
    if unknown:
        raise SpecError('%s.%s' % (path, unknown[0]), raw[unknown[0]], 'is not a VM class field; fields: %s' % ', '.join(CLASS_FIELDS))
    cls: Dict[str, Any] = {}
    cpus = _int(raw, 'cpus', path, 1, MAX_CPUS)
    if cpus is not None:
        cls['cpus'] = cpus
    if raw.get('memory') is not None:
        cls['memory'] = parse_memory(raw['memory'], path + '.memory')
    for key in ('cpu_reservation', 'memory_reservation'):
        value = _int(raw, key, path, 0)
        if value is not None:
            cls[key] = value
    for key in ('cpu_limit', 'memory_limit'):
        value = _int(raw, key, path, _UNLIMITED)
        if value is not None:
            cls[key] = value
    for kind in ('cpu', 'memory'):
        reservation, limit = cls.get(kind + '_reservation'), cls.get(kind + '_limit')
        if reservation is not None and limit is not None and limit != _UNLIMITED and reservation > limit:
            raise SpecError('%s.%s_reservation' % (path, kind), reservation, 'is above %s.%s_limit (%d)' % (path, kind, limit))
    if 'memory' in cls and cls.get('memory_reservation') is not None and cls['memory_reservation'] > cls['memory']:
        raise SpecError(path + '.memory_reservation', cls['memory_reservation'], 'is above the memory size (%d MB)' % cls['memory'])
    adapters = raw.get('adapter_types')
    if adapters is not None:
        if isinstance(adapters, str) or not isinstance(adapters, Sequence):
            raise SpecError(path + '.adapter_types', adapters, 'must be a list of network adapter types')
        if len(adapters) > MAX_ADAPTERS:
            raise SpecError(path + '.adapter_types', len(adapters), 'adapter types are too many: at most %d' % MAX_ADAPTERS)
        normalized = []
        for index, item in enumerate(adapters):
            name = normalize_adapter_type(item) if isinstance(item, str) else None
            if name not in ADAPTER_TYPES:
                raise SpecError('%s.adapter_types[%d]' % (path, index), item,
                                'is not a network adapter type; valid types: %s' % ', '.join(ADAPTER_TYPES))
            normalized.append(name)
        cls['adapter_types'] = normalized
    return {key: cls[key] for key in sorted(cls)}


def class_record(cls: Mapping[str, Any]) -> str:
    """The canonical JSON of a parsed class (the guestnet.class record)."""
    return json.dumps(dict(cls), sort_keys=True, separators=(',', ':'))


def parse_class_record(text: Optional[str]) -> Dict[str, Any]:
    """The class recorded on a VM; {} when there is none. A damaged record raises ImmutableError."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise ImmutableError('the VM\'s %s record is not JSON (%r); fix or remove it' % (CLASS_KEY, text[:200])) from None
    if not isinstance(value, dict):
        raise ImmutableError('the VM\'s %s record is not a JSON object (%r)' % (CLASS_KEY, text[:200]))
    return value


def adapter_types_of(record: Optional[str]) -> Tuple[str, ...]:
    """The adapter types in a guestnet.class record (for vm_network's defaults); () when none are recorded."""
    return tuple(parse_class_record(record).get('adapter_types') or ())


# -- images ---------------------------------------------------------------------------------------------------------

def split_image(image: str) -> Tuple[str, Optional[str]]:
    """'templates/ubuntu' -> ('ubuntu', 'templates'); 'ubuntu' -> ('ubuntu', None)."""
    stripped = image.strip().strip('/')
    if '/' not in stripped:
        return stripped, None
    folder, name = stripped.rsplit('/', 1)
    return name, folder


def image_matches(record: str, image: str) -> bool:
    """Does the image a user names (a name or a path) designate the recorded template path?"""
    have = record.strip().strip('/')
    wanted = image.strip().strip('/')
    if not wanted:
        return False
    return have == wanted or have.endswith('/' + wanted)


def close_names(name: str, names: Sequence[str], count: int = 5) -> List[str]:
    """Up to `count` of `names` that look like `name` (best first); the first few names when none do."""
    unique = sorted(set(names))
    close = difflib.get_close_matches(name, unique, n=count, cutoff=0.5)
    return close or unique[:count]


# -- identity -------------------------------------------------------------------------------------------------------

def normalize_uuid(value: Any, path: str) -> str:
    """A UUID in canonical form (lowercase, hyphenated)."""
    try:
        return str(uuidlib.UUID(str(value).strip()))
    except ValueError:
        raise SpecError(path, value, 'is not a UUID (like 4207d4f1-0a5f-4b54-9c3e-2d8f6b1e0a11)') from None


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def validate_vm_name(name: Any, path: str = 'name') -> str:
    if not isinstance(name, str) or not name.strip():
        raise SpecError(path, name if name is not None else '', 'is not a VM name')
    if len(name) > MAX_VM_NAME:
        raise SpecError(path, name, 'is longer than %d characters' % MAX_VM_NAME)
    return name


# -- immutability ---------------------------------------------------------------------------------------------------

def check_immutable(records: Mapping[str, str], vm: str, image: Optional[str] = None, cls: Optional[Mapping[str, Any]] = None,
                    identity: Optional[Mapping[str, Tuple[Optional[str], Optional[str]]]] = None) -> None:
    """Fail when the deployed VM's image, class or identity (field -> (wanted, have)) differs from what is asked.

    `records` is the VM's extraConfig (at least guestnet.image and guestnet.class); `vm` names the VM for the message.
    Values that are not asked for (None) are not compared.
    """
    problems = []
    recorded_image = records.get(IMAGE_KEY) or ''
    if image is not None and not image_matches(recorded_image, image):
        problems.append('image %s (it was deployed from %s)' % (image, recorded_image or 'an unrecorded image'))
    if cls is not None:
        recorded = parse_class_record(records.get(CLASS_KEY))
        if class_record(cls) != class_record(recorded):
            problems.append('vm_class %s (it was deployed with %s)' % (class_record(cls), class_record(recorded)))
    for field, (wanted, have) in sorted((identity or {}).items()):
        if wanted is not None and (have or '').lower() != wanted.lower():
            problems.append('%s %s (it has %s)' % (field, wanted, have or 'none'))
    if problems:
        raise ImmutableError('VM %s cannot change %s after deployment: redeploy it (state=absent, then state=present) to use %s'
                             % (vm, 'its ' + ' or '.join(p.split(' ', 1)[0] for p in problems), '; '.join(problems)))


def hardware_drift(cls: Mapping[str, Any], observed: Mapping[str, Any]) -> List[str]:
    """Where a VM's hardware differs from its class (someone reconfigured it): 'cpus: class 2, VM 4', ..."""
    drift = []
    for key in ('cpus', 'memory', 'cpu_reservation', 'cpu_limit', 'memory_reservation', 'memory_limit'):
        if key in cls and key in observed and observed[key] is not None and observed[key] != cls[key]:
            drift.append('%s: class %s, VM %s' % (key, cls[key], observed[key]))
    return drift


# -- the clone ------------------------------------------------------------------------------------------------------

def _allocation(reservation: Optional[int], limit: Optional[int]) -> Optional[Dict[str, Any]]:
    if reservation is None and limit is None:
        return None
    return {'_type': 'vim.ResourceAllocationInfo', 'limit': limit, 'reservation': reservation}


def config_spec(cls: Mapping[str, Any], image_record: str, guest_id: Optional[str] = None, bios_uuid: Optional[str] = None,
                instance_uuid: Optional[str] = None) -> Dict[str, Any]:
    """The clone's ConfigSpec as plain data: the class's hardware, guest id, UUIDs and the two records."""
    return {
        '_type': 'vim.vm.ConfigSpec',
        'numCPUs': cls.get('cpus'),
        'memoryMB': cls.get('memory'),
        'cpuAllocation': _allocation(cls.get('cpu_reservation'), cls.get('cpu_limit')),
        'memoryAllocation': _allocation(cls.get('memory_reservation'), cls.get('memory_limit')),
        'guestId': guest_id,
        'uuid': bios_uuid,
        'instanceUuid': instance_uuid,
        'extraConfig': [
            {'_type': 'vim.option.OptionValue', 'key': CLASS_KEY, 'value': class_record(cls)},
            {'_type': 'vim.option.OptionValue', 'key': IMAGE_KEY, 'value': image_record},
        ],
    }


def records_spec(cls: Mapping[str, Any], image_record: str) -> Dict[str, Any]:
    """A ConfigSpec that only writes the two records (adopting a VM vm_deploy did not create)."""
    spec = config_spec(cls, image_record)
    return {'_type': spec['_type'], 'extraConfig': spec['extraConfig']}


def datastore_of(vm_path_name: Optional[str]) -> Optional[str]:
    """'[LocalDS_0] web01/web01.vmx' -> 'LocalDS_0'."""
    match = re.match(r'^\[([^\]]*)\]', vm_path_name or '')
    return match.group(1) if match else None
