# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Volumes (VM Operator's ``spec.volumes``): data disks of a storage class, planned against the VM's disks. PRIVATE.

Pure: standard library only (no Ansible, no pyVmomi).

    request = VolumeRequest.of(volumes, storage_classes)     # every problem of the options at once, before any call
    plan = plan_volumes(request, record=..., disks=..., controllers=..., vm=..., own_datastore=...)
    check_datastores(plan, reachable, where)                 # the class datastores the new disks go to exist there

The record on the VM (``config.extraConfig``), written in the reconfigure (or clone) that adds or removes the disk:

``guestnet.volumes``
    compact JSON, sorted keys: volume name -> ``{"provisioning", "slot", "storage_class"}``, for example
    ``{"data":{"provisioning":"thin","slot":"scsi0:1","storage_class":"fast"}}``.

The slot (controller kind, bus and unit, as the .vmx file names it: ``scsi0:1``, ``nvme0:0``, ``sata1:3``) says which
disk is the volume. It is chosen here, so it is known when the record is written in the same reconfigure as the disk:
the device key, the backing's UUID and the file name are all given by vCenter only once the disk exists. It survives
what changes the others - a re-read, a snapshot (the disk then points at a delta file), a storage vMotion (new file
name). Only moving the disk to another controller by hand loses it, and the run then says so instead of guessing.
Storage class and provisioning are kept with it: they cannot be read back from the disk (a class is our name).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Collection, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import ErrorCollector, SpecError

VOLUMES_KEY = 'guestnet.volumes'

PRESENT, ABSENT = 'present', 'absent'
PROVISIONING = ('thin', 'thick', 'eager_zeroed_thick')
DEFAULT_PROVISIONING = 'thin'
# Controller types by the kind of bus they drive; a new SCSI controller is a paravirtual one, as VM Operator adds.
CONTROLLER_KIND = {'pvscsi': 'scsi', 'lsilogic': 'scsi', 'lsilogic_sas': 'scsi', 'buslogic': 'scsi', 'nvme': 'nvme', 'sata': 'sata'}
CONTROLLER_TYPES = tuple(CONTROLLER_KIND)
DEFAULT_CONTROLLER = 'pvscsi'
KIND_LABEL = {'scsi': 'SCSI', 'nvme': 'NVMe', 'sata': 'SATA', 'ide': 'IDE'}
MAX_BUS = 3                                     # four controllers of each kind
SCSI_OWN_UNIT = 7                               # a SCSI controller's own place on its bus
# The units a disk may take, as VM Operator counts them: paravirtual SCSI 64 targets, other SCSI 16 (less unit 7),
# NVMe 64 namespaces, SATA 30 ports.
_UNIT_COUNT = {'pvscsi': 64, 'lsilogic': 16, 'lsilogic_sas': 16, 'buslogic': 16, 'nvme': 64, 'sata': 30}

MIB_PER = {'Ki': None, 'Mi': 1, 'Gi': 1024, 'Ti': 1024 * 1024}
MAX_DISK_MIB = 62 * 1024 * 1024                 # 62 TiB: the largest VMDK
_SIZE_RE = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti)?\s*$')
_SIZE_HINT = ('give GiB as an integer, or a Kubernetes quantity with a binary suffix: Mi, Gi or Ti (512Mi, 10Gi, 1.5Ti; '
              'Ki when a whole number of MiB)')
_NAME_RE = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
MAX_NAME = 63
_SLOT_RE = re.compile(r'^(scsi|nvme|sata|ide)(\d+):(\d+)$')


class VolumeRecordError(ValueError):
    """The VM's guestnet.volumes record cannot be read (someone edited it)."""


# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------

def parse_size(value: Any, path: str) -> int:
    """A disk size in MiB.

    An integer, or a string of digits, is GiB (not bytes, as a bare Kubernetes quantity would be). A string with a binary
    suffix is a Kubernetes quantity: Mi, Gi, Ti (a decimal fraction is fine: 1.5Gi), Ki. The size must be a whole number of
    MiB, from 1Mi to 62Ti. Decimal suffixes (M, G, T: powers of 1000) are refused: 10G is not a whole number of MiB.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SpecError(path, value, 'is not a disk size: %s' % _SIZE_HINT)
    if isinstance(value, int):
        mib = value * 1024
    else:
        match = _SIZE_RE.match(value)
        if not match:
            decimal = re.match(r'^\s*\d+(?:\.\d+)?\s*([kMGTPE])\s*$', value)
            reason = ('has a decimal suffix (%s: powers of 1000), which rarely makes a whole number of MiB; %s'
                      % (decimal.group(1), _SIZE_HINT) if decimal else 'is not a disk size: %s' % _SIZE_HINT)
            raise SpecError(path, value, reason)
        suffix = match.group(2) or 'Gi'
        try:
            number = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise SpecError(path, value, 'is not a disk size: %s' % _SIZE_HINT) from None
        amount = number / 1024 if suffix == 'Ki' else number * MIB_PER[suffix]
        if amount != amount.to_integral_value():
            raise SpecError(path, value, 'is not a whole number of MiB')
        mib = int(amount)
    if mib < 1 or mib > MAX_DISK_MIB:
        raise SpecError(path, value, 'is out of range: a disk has 1Mi to 62Ti')
    return mib


def format_size(mib: int) -> str:
    """MiB as the shortest exact quantity: 10240 -> '10Gi', 1536 -> '1536Mi', 1048576 -> '1Ti'."""
    for suffix, per in (('Ti', 1024 * 1024), ('Gi', 1024)):
        if mib % per == 0:
            return '%d%s' % (mib // per, suffix)
    return '%dMi' % mib


def format_kb(kb: int) -> str:
    """A disk's capacity (KiB, as vCenter gives it) as a quantity."""
    return format_size(kb // 1024) if kb % 1024 == 0 else '%dKi' % kb


# ---------------------------------------------------------------------------
# The options
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class StorageClass:
    """Where a storage class puts a disk: a datastore, a storage policy, or both (the policy on that datastore)."""
    name: str
    datastore: Optional[str] = None
    storage_policy_id: Optional[str] = None


def parse_storage_classes(raw: Optional[Mapping[str, Any]], path: str = 'storage_classes') -> Dict[str, StorageClass]:
    """``{class: {datastore: NAME} | {storage_policy_id: ID} | both}``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SpecError(path, type(raw).__name__, 'must be a mapping of storage class names to {datastore} or {storage_policy_id}')
    errors = ErrorCollector()
    classes: Dict[str, StorageClass] = {}
    for name, value in sorted(raw.items(), key=lambda item: str(item[0])):
        where = '%s.%s' % (path, name)
        if not isinstance(value, Mapping):
            errors.add(where, value, 'must be a mapping with datastore or storage_policy_id')
            continue
        unknown = sorted(str(key) for key in value if key not in ('datastore', 'storage_policy_id'))
        if unknown:
            errors.add('%s.%s' % (where, unknown[0]), value[unknown[0]], 'is not a storage class field; fields: datastore, storage_policy_id')
            continue
        found, bad = {}, False
        for key in ('datastore', 'storage_policy_id'):
            item = value.get(key)
            if item is not None and (not isinstance(item, str) or not item.strip()):
                errors.add('%s.%s' % (where, key), item, 'must be a non-empty string')
                bad = True
            elif item is not None:
                found[key] = item.strip()
        if not found and not bad:
            errors.add(where, '{}', 'needs datastore (a datastore name) or storage_policy_id (a vCenter storage policy ID), or both')
        classes[str(name)] = StorageClass(name=str(name), **found)
    errors.raise_if_any()
    return classes


@dataclass(frozen=True)
class ControllerSpec:
    type: str
    bus: Optional[int] = None

    def describe(self) -> str:
        return self.type if self.bus is None else '%s bus %d' % (self.type, self.bus)


@dataclass(frozen=True)
class VolumeSpec:
    """One volume as asked (``paths``: where each field came from, for messages)."""
    name: str
    size_mib: Optional[int]                # None: state absent, no size given
    storage_class: Optional[str]
    provisioning: str
    controller: Optional[ControllerSpec]
    state: str
    paths: Mapping[str, str] = field(default_factory=dict, compare=False)

    def path(self, key: str) -> str:
        return self.paths[key]


@dataclass(frozen=True)
class VolumeRequest:
    """The volumes option (or a manifest's spec.volumes through claims) and the storage classes, validated."""
    volumes: Tuple[VolumeSpec, ...]
    storage_classes: Mapping[str, StorageClass] = field(default_factory=dict)
    path: str = 'volumes'                  # where the list came from (manifest.spec.volumes for a manifest's)

    @classmethod
    def of(cls, volumes: Any, storage_classes: Optional[Mapping[str, Any]] = None, path: str = 'volumes') -> 'VolumeRequest':
        """From the options; SpecError (all problems) names each option path and value.

        An item may carry ``_paths`` (field -> path), so a volume from a manifest's claim is reported where it came from.
        """
        errors = ErrorCollector()
        classes: Dict[str, StorageClass] = {}
        with errors.catch():
            classes = parse_storage_classes(storage_classes)
        if not isinstance(volumes, (list, tuple)):
            errors.add(path, type(volumes).__name__, 'must be a list of volumes')
            errors.raise_if_any()
        specs: List[VolumeSpec] = []
        seen: Dict[str, str] = {}
        for index, item in enumerate(volumes):
            here = '%s[%d]' % (path, index)
            if not isinstance(item, Mapping):
                errors.add(here, type(item).__name__, 'must be a mapping with name and size')
                continue
            paths = {key: '%s.%s' % (here, key) for key in ('name', 'size', 'storage_class', 'provisioning', 'controller', 'state')}
            paths.update(item.get('_paths') or {})
            name = item.get('name')
            if isinstance(name, str) and name in seen:
                errors.add(paths['name'], name, 'names a volume twice (also %s)' % seen[name])
            elif isinstance(name, str):
                seen[name] = paths['name']
            with errors.catch():
                specs.append(_volume(item, paths, classes))
        errors.raise_if_any()
        return cls(volumes=tuple(specs), storage_classes=classes, path=path)


def _volume(item: Mapping[str, Any], paths: Mapping[str, str], classes: Mapping[str, StorageClass]) -> VolumeSpec:
    errors = ErrorCollector()
    name = item.get('name')
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > MAX_NAME:
        errors.add(paths['name'], name if name is not None else '', 'is not a volume name: lowercase letters, digits and -, starting and ending '
                   'with a letter or digit, at most %d characters (a DNS label, as VM Operator requires)' % MAX_NAME)
    state = item.get('state') or PRESENT
    if state not in (PRESENT, ABSENT):
        errors.add(paths['state'], state, 'is not present or absent')
    size = None
    if item.get('size') is not None:
        with errors.catch():
            size = parse_size(item['size'], paths['size'])
    elif state == PRESENT:
        errors.add(paths['size'], '', 'is required for a volume that is present (for example 10Gi)')
    storage_class = item.get('storage_class') or None
    if storage_class is not None and storage_class not in classes:
        errors.add(paths['storage_class'], storage_class, 'is not a class of storage_classes (%s)' % (', '.join(sorted(classes)) or 'none given'))
    provisioning = item.get('provisioning') or DEFAULT_PROVISIONING
    if provisioning not in PROVISIONING:
        errors.add(paths['provisioning'], provisioning, 'is not one of %s' % ', '.join(PROVISIONING))
    controller = None
    raw = item.get('controller')
    if raw is not None:
        with errors.catch():
            controller = _controller(raw, paths['controller'])
    errors.raise_if_any()
    return VolumeSpec(name=str(name), size_mib=size, storage_class=storage_class, provisioning=provisioning, controller=controller,
                      state=state, paths=dict(paths))


def _controller(raw: Any, path: str) -> ControllerSpec:
    if not isinstance(raw, Mapping):
        raise SpecError(path, raw, 'must be a mapping with type and bus')
    kind = raw.get('type')
    if kind not in CONTROLLER_KIND:
        raise SpecError(path + '.type', kind if kind is not None else '', 'is not a controller type; types: %s' % ', '.join(CONTROLLER_TYPES))
    bus = raw.get('bus')
    if bus is not None and (isinstance(bus, bool) or not isinstance(bus, int) or not 0 <= bus <= MAX_BUS):
        raise SpecError(path + '.bus', bus, 'is not a bus number: 0 to %d' % MAX_BUS)
    return ControllerSpec(type=kind, bus=bus)


# ---------------------------------------------------------------------------
# What the VM has
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ObservedController:
    """A storage controller: its type (pvscsi ... sata, ide, other), bus, and the units its devices take."""
    key: int
    type: str
    bus: int
    used: FrozenSet[int] = frozenset()

    @property
    def kind(self) -> str:
        return CONTROLLER_KIND.get(self.type, self.type)


@dataclass(frozen=True)
class ObservedDisk:
    key: int
    controller_key: Optional[int]
    unit: Optional[int]
    capacity_kb: int
    file: Optional[str]
    datastore: Optional[str]
    provisioning: Optional[str]


def slot_name(kind: str, bus: int, unit: int) -> str:
    return '%s%d:%d' % (kind, bus, unit)


def units_of(controller_type: str) -> Tuple[int, ...]:
    """The units a disk may take on a controller of this type, lowest first."""
    count = _UNIT_COUNT.get(controller_type, 0)
    return tuple(unit for unit in range(count) if not (CONTROLLER_KIND.get(controller_type) == 'scsi' and unit == SCSI_OWN_UNIT))


@dataclass(frozen=True)
class RecordEntry:
    slot: str
    storage_class: Optional[str]
    provisioning: str

    def as_dict(self) -> Dict[str, Any]:
        return {'provisioning': self.provisioning, 'slot': self.slot, 'storage_class': self.storage_class}


def parse_record(text: Optional[str]) -> Dict[str, RecordEntry]:
    """The guestnet.volumes record; {} when there is none (or it was cleared: '')."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise VolumeRecordError('the VM\'s %s record is not JSON (%r); fix or remove it' % (VOLUMES_KEY, text[:200])) from None
    entries = {}
    if not isinstance(value, dict):
        raise VolumeRecordError('the VM\'s %s record is not a JSON object (%r); fix or remove it' % (VOLUMES_KEY, text[:200]))
    for name, entry in value.items():
        if not isinstance(entry, dict) or not _SLOT_RE.match(str(entry.get('slot') or '')):
            raise VolumeRecordError('the VM\'s %s record has no slot (like scsi0:1) for volume %s (%r); fix or remove it'
                                    % (VOLUMES_KEY, name, text[:200]))
        entries[name] = RecordEntry(slot=entry['slot'], storage_class=entry.get('storage_class'),
                                    provisioning=entry.get('provisioning') or DEFAULT_PROVISIONING)
    return entries


def record_text(entries: Mapping[str, RecordEntry]) -> str:
    """The record's canonical text ('' when no volume is left: vCenter deletes an extraConfig key set to '')."""
    if not entries:
        return ''
    return json.dumps({name: entry.as_dict() for name, entry in entries.items()}, sort_keys=True, separators=(',', ':'))


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------

ADD, GROW, REMOVE, FORGET = 'add', 'grow', 'remove', 'forget'


@dataclass(frozen=True)
class NewController:
    """A controller the plan adds; ``key`` is a negative placeholder the disks on it refer to."""
    key: int
    type: str
    bus: int

    def view(self) -> Dict[str, Any]:
        return {'type': self.type, 'bus': self.bus}


@dataclass(frozen=True)
class VolumeAction:
    """add: a new disk at (controller_key, unit); grow: disk_key to size_mib; remove: disk_key and its file; forget: the
    record of a volume whose disk is gone."""
    action: str
    name: str
    size_mib: Optional[int] = None
    disk_key: Optional[int] = None
    controller_key: Optional[int] = None
    unit: Optional[int] = None
    provisioning: str = DEFAULT_PROVISIONING
    datastore: Optional[str] = None             # None: the VM's own (the disk goes to the VM's folder)
    storage_class: Optional[str] = None
    storage_policy_id: Optional[str] = None
    new_key: Optional[int] = None               # add: the placeholder key of the new disk


@dataclass
class VolumePlan:
    """What to change, the record before and after, and the volumes as they are and will be (the module's views)."""
    actions: List[VolumeAction]
    controllers: List[NewController]
    record_before: Dict[str, RecordEntry]
    record_after: Dict[str, RecordEntry]
    before: List[Dict[str, Any]]
    after: List[Dict[str, Any]]

    @property
    def changed(self) -> bool:
        return bool(self.actions or self.controllers) or record_text(self.record_before) != record_text(self.record_after)

    def record_changes(self) -> Dict[str, str]:
        """The extraConfig to write with the disk changes ({} when the record stays)."""
        after = record_text(self.record_after)
        return {VOLUMES_KEY: after} if after != record_text(self.record_before) else {}

    def adds(self) -> List[VolumeAction]:
        return [action for action in self.actions if action.action == ADD]


class _Slots:
    """The VM's controllers and the units taken on them, plus what the plan adds."""

    def __init__(self, controllers: Sequence[ObservedController]) -> None:
        self.controllers: List[Tuple[int, str, int]] = sorted(((c.key, c.type, c.bus) for c in controllers), key=lambda item: (item[2], item[0]))
        self.used: Dict[int, set] = {c.key: set(c.used) for c in controllers}
        self.added: List[NewController] = []

    def kind_of(self, key: int) -> Tuple[str, int, str]:
        for ckey, ctype, bus in self.controllers:
            if ckey == key:
                return CONTROLLER_KIND.get(ctype, ctype), bus, ctype
        raise KeyError(key)

    def at(self, kind: str, bus: int) -> Optional[Tuple[int, str, int]]:
        for item in self.controllers:
            if CONTROLLER_KIND.get(item[1], item[1]) == kind and item[2] == bus:
                return item
        return None

    def free_unit(self, key: int, controller_type: str) -> Optional[int]:
        for unit in units_of(controller_type):
            if unit not in self.used[key]:
                return unit
        return None

    def free_bus(self, kind: str) -> Optional[int]:
        taken = {bus for key, ctype, bus in self.controllers if CONTROLLER_KIND.get(ctype, ctype) == kind}
        for bus in range(MAX_BUS + 1):
            if bus not in taken:
                return bus
        return None

    def add_controller(self, controller_type: str, bus: int) -> int:
        key = -1001 - len(self.added)
        self.added.append(NewController(key=key, type=controller_type, bus=bus))
        self.controllers.append((key, controller_type, bus))
        self.used[key] = set()
        return key

    def take(self, want: Optional[ControllerSpec]) -> Tuple[int, int, str]:
        """A free (controller key, unit, controller type) for a new disk; SpecError's reason says why there is none."""
        if want is not None and want.bus is not None:
            kind = CONTROLLER_KIND[want.type]
            found = self.at(kind, want.bus)
            if found is not None and found[1] != want.type:
                raise ValueError('the VM has a %s controller at %s bus %d; name that type, or another bus' % (found[1], KIND_LABEL[kind], want.bus))
            if found is None:
                key = self.add_controller(want.type, want.bus)
                return key, self._use(key, want.type), want.type
            unit = self.free_unit(found[0], want.type)
            if unit is None:
                raise ValueError('the %s controller at %s bus %d has no free unit; name another bus' % (want.type, KIND_LABEL[kind], want.bus))
            self.used[found[0]].add(unit)
            return found[0], unit, want.type
        types = (want.type,) if want is not None else tuple(t for t, kind in CONTROLLER_KIND.items() if kind == 'scsi')
        kind = CONTROLLER_KIND[types[0]]
        for key, ctype, bus in sorted(self.controllers, key=lambda item: item[2]):
            if ctype in types:
                unit = self.free_unit(key, ctype)
                if unit is not None:
                    self.used[key].add(unit)
                    return key, unit, ctype
        bus = self.free_bus(kind)
        if bus is None:
            raise ValueError('the VM\'s %d %s controllers have no free unit and there is no bus left for another one'
                             % (MAX_BUS + 1, KIND_LABEL[kind]))
        new_type = want.type if want is not None else DEFAULT_CONTROLLER
        key = self.add_controller(new_type, bus)
        return key, self._use(key, new_type), new_type

    def _use(self, key: int, controller_type: str) -> int:
        unit = units_of(controller_type)[0]
        self.used[key].add(unit)
        return unit


def _disk_view(name: str, entry: RecordEntry, disk: ObservedDisk, slots: _Slots) -> Dict[str, Any]:
    dummy, bus, ctype = slots.kind_of(disk.controller_key) if disk.controller_key is not None else ('', 0, '')
    return {'name': name, 'size': format_kb(disk.capacity_kb), 'storage_class': entry.storage_class, 'provisioning': entry.provisioning,
            'datastore': disk.datastore, 'controller': {'type': ctype, 'bus': bus}, 'unit': disk.unit, 'file': disk.file}


def _by_slot(disks: Sequence[ObservedDisk], slots: _Slots) -> Dict[str, ObservedDisk]:
    found = {}
    for disk in disks:
        if disk.controller_key is not None and disk.unit is not None and disk.controller_key in slots.used:
            kind, bus, dummy = slots.kind_of(disk.controller_key)
            found[slot_name(kind, bus, disk.unit)] = disk
    return found


def volume_views(record: Mapping[str, RecordEntry], disks: Sequence[ObservedDisk], controllers: Sequence[ObservedController],
                 names: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
    """The recorded volumes that have their disk, as the module shows them (in the order of names, default by name)."""
    slots = _Slots(controllers)
    by_slot = _by_slot(disks, slots)
    return [_disk_view(name, record[name], by_slot[record[name].slot], slots) for name in (names if names is not None else sorted(record))
            if name in record and record[name].slot in by_slot]


def plan_volumes(request: VolumeRequest, *, record: Optional[str], disks: Sequence[ObservedDisk], controllers: Sequence[ObservedController],
                 vm: str, own_datastore: Optional[str]) -> VolumePlan:
    """Every volume of the request against the VM's disks (by the record); all problems at once, before any change.

    ``record``: the VM's guestnet.volumes; ``vm`` names the VM in messages; ``own_datastore``: where the VM's files are
    (the disks of volumes without a class datastore go there).
    """
    recorded = parse_record(record)
    slots = _Slots(controllers)
    by_slot = _by_slot(disks, slots)
    errors = ErrorCollector()
    actions: List[VolumeAction] = []
    after_record = dict(recorded)
    before = volume_views(recorded, disks, controllers)
    after: List[Dict[str, Any]] = []
    asked = {volume.name for volume in request.volumes}
    for name in sorted(set(recorded) - asked):
        entry = recorded[name]
        errors.add_error(SpecError(request.path, name, '', text=(
            '%s: volume %s is on VM %s (disk %s) but not listed; to keep it, list it (with its size); to delete it and its disk '
            'file, list it with state: absent' % (request.path, name, vm, entry.slot))))
    new_disk_key = -2001
    for volume in request.volumes:
        entry = recorded.get(volume.name)
        disk = by_slot.get(entry.slot) if entry is not None else None
        if volume.state == ABSENT:
            if entry is None:
                continue
            del after_record[volume.name]
            actions.append(VolumeAction(REMOVE, volume.name, disk_key=disk.key) if disk is not None else VolumeAction(FORGET, volume.name))
            continue
        klass = request.storage_classes.get(volume.storage_class or '')
        if entry is not None:
            if disk is None:
                errors.add_error(SpecError(volume.path('name'), volume.name, '', text=(
                    '%s: volume %s is recorded at %s of VM %s, where there is no disk (removed or moved outside guestnet.vsphere); list it '
                    'with state: absent to forget it, then as present again for a new, empty disk' % (volume.path('name'), volume.name, entry.slot, vm))))
                continue
            with errors.catch():
                _check_immutable(volume, entry, disk, slots)
            view = _disk_view(volume.name, entry, disk, slots)
            wanted_kb = (volume.size_mib or 0) * 1024
            if wanted_kb < disk.capacity_kb:
                errors.add(volume.path('size'), format_size(volume.size_mib or 0),
                           'is smaller than the disk of volume %s (%s): disks never shrink; keep the size, or remove the volume (state: absent, '
                           'which deletes its data) and add it again' % (volume.name, format_kb(disk.capacity_kb)))
            elif wanted_kb > disk.capacity_kb:
                actions.append(VolumeAction(GROW, volume.name, size_mib=volume.size_mib, disk_key=disk.key))
                view['size'] = format_size(volume.size_mib or 0)
            after.append(view)
            continue
        try:
            controller_key, unit, controller_type = slots.take(volume.controller)
        except ValueError as error:
            errors.add(volume.path('controller'), volume.controller.describe() if volume.controller else 'none given',
                       'leaves no place for volume %s: %s' % (volume.name, error))
            continue
        kind, bus, dummy = slots.kind_of(controller_key)
        datastore = klass.datastore if klass is not None else None
        actions.append(VolumeAction(ADD, volume.name, size_mib=volume.size_mib, controller_key=controller_key, unit=unit,
                                    provisioning=volume.provisioning, datastore=datastore, storage_class=volume.storage_class,
                                    storage_policy_id=klass.storage_policy_id if klass is not None else None, new_key=new_disk_key))
        new_disk_key -= 1
        after_record[volume.name] = RecordEntry(slot=slot_name(kind, bus, unit), storage_class=volume.storage_class, provisioning=volume.provisioning)
        after.append({'name': volume.name, 'size': format_size(volume.size_mib or 0), 'storage_class': volume.storage_class,
                      'provisioning': volume.provisioning, 'datastore': datastore or own_datastore,
                      'controller': {'type': controller_type, 'bus': bus}, 'unit': unit, 'file': None})
    errors.raise_if_any()
    return VolumePlan(actions=actions, controllers=list(slots.added), record_before=recorded, record_after=after_record, before=before, after=after)


def _check_immutable(volume: VolumeSpec, entry: RecordEntry, disk: ObservedDisk, slots: _Slots) -> None:
    """Storage class, provisioning and controller are fixed when the disk is made (as our other records)."""
    errors = ErrorCollector()
    redo = ('a volume\'s storage class, provisioning and controller are fixed when its disk is made: to change them, remove the volume '
            '(state: absent, which deletes its data) and add it again')
    if volume.storage_class != entry.storage_class:
        errors.add(volume.path('storage_class'), volume.storage_class or 'none (the VM\'s datastore)',
                   'differs from the storage class of volume %s (%s): %s' % (volume.name, entry.storage_class or 'none, the VM\'s datastore', redo))
    if volume.provisioning != entry.provisioning:
        errors.add(volume.path('provisioning'), volume.provisioning,
                   'differs from the provisioning of volume %s (%s): %s' % (volume.name, entry.provisioning, redo))
    if volume.controller is not None and disk.controller_key is not None:
        kind, bus, ctype = slots.kind_of(disk.controller_key)
        if volume.controller.type != ctype or (volume.controller.bus is not None and volume.controller.bus != bus):
            errors.add(volume.path('controller'), volume.controller.describe(),
                       'differs from the controller of volume %s (%s bus %d, %s): %s' % (volume.name, ctype, bus, entry.slot, redo))
    errors.raise_if_any()


def check_datastores(plan: VolumePlan, reachable: Collection[str], where: str) -> None:
    """The class datastores that new disks go to must be ones the VM's host (or cluster) reaches; SpecError names the class."""
    errors = ErrorCollector()
    for action in plan.adds():
        if action.datastore is not None and action.datastore not in reachable:
            errors.add('storage_classes.%s.datastore' % action.storage_class, action.datastore,
                       'is not a datastore %s reaches (%s); volume %s needs it' % (where, ', '.join(sorted(reachable)) or 'none', action.name))
    errors.raise_if_any()


def foreign_datastores(plan: VolumePlan, own_datastore: Optional[str]) -> List[str]:
    """The datastores new disks go to other than the VM's own (the only ones whose existence a run has to read)."""
    return sorted({action.datastore for action in plan.adds() if action.datastore is not None and action.datastore != own_datastore})
