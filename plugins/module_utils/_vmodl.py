# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plain data (``{'_type': 'vim....', ...}``) to pyVmomi data objects. PRIVATE to the collection.

The renderers (``_render._gosc``, ``_render._vapp``) describe vSphere data objects as nested
dicts; ``to_vmodl`` builds the pyVmomi objects from them, checking what pyVmomi lets through
unchecked: that every type and property exists, that enum values are valid, that a bool is not
passed for an int, and that every property vSphere requires is set (a missing required
property is exactly how vCenter rejected VM Operator's IPv6-only GOSC spec).  Errors name the
path (``$.nicSettingMap[0].adapter.ip``) and types, never values: the data holds passwords.

Keys starting with ``_`` other than ``_type`` are annotations (``_secret``) and are skipped, and so
are keys whose value is None (unset).

This module imports without pyVmomi; ``to_vmodl`` then raises ImportError, and a module checks
``HAS_PYVMOMI`` first to report ``PYVMOMI_IMPORT_ERROR``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import traceback
from typing import Any, Mapping, Optional

PYVMOMI_IMPORT_ERROR: Optional[str]
try:
    from pyVmomi import VmomiSupport
    HAS_PYVMOMI = True
    PYVMOMI_IMPORT_ERROR = None
except ImportError:
    HAS_PYVMOMI = False
    PYVMOMI_IMPORT_ERROR = traceback.format_exc()

ROOT_PATH = '$'


def to_vmodl(data: Mapping[str, Any]) -> Any:
    """The pyVmomi data object that ``data`` describes (recursively)."""
    if not HAS_PYVMOMI:
        raise ImportError('to_vmodl needs pyVmomi: %s' % PYVMOMI_IMPORT_ERROR)
    if not isinstance(data, Mapping):
        raise ValueError('%s: expected a dict with a _type, got %s' % (ROOT_PATH, type(data).__name__))
    return _data_object(data, VmomiSupport.DataObject, ROOT_PATH)


def _data_object(data: Mapping[str, Any], expected: Any, path: str) -> Any:
    type_name = data.get('_type')
    if not isinstance(type_name, str):
        raise ValueError('%s: a data object needs a _type naming its vSphere type' % path)
    try:
        cls = VmomiSupport.GetVmodlType(type_name)
    except (KeyError, AttributeError):
        raise ValueError('%s: unknown vSphere type %r' % (path, type_name)) from None
    if not (isinstance(cls, type) and issubclass(cls, VmomiSupport.DataObject)):
        raise ValueError('%s: %r is not a vSphere data object type' % (path, type_name))
    if not issubclass(cls, expected):
        raise ValueError('%s: %s is not a %s' % (path, type_name, VmomiSupport.GetVmodlName(expected)))
    obj = cls()
    for name in sorted(data):
        if name.startswith('_') or data[name] is None:  # an annotation, or unset
            continue
        try:
            info = cls._GetPropertyInfo(name)  # pylint: disable=protected-access
        except AttributeError:
            raise ValueError('%s: %s has no property %r' % (path, type_name, name)) from None
        setattr(obj, name, _value(data[name], info.type, '%s.%s' % (path, name)))
    for info in cls._GetPropertyList():  # pylint: disable=protected-access
        # Checked on the input: pyVmomi shows an unset required int as 0 and a string as ''.
        if not info.flags & VmomiSupport.F_OPTIONAL and data.get(info.name) is None:
            raise ValueError('%s: %s requires the property %r' % (path, type_name, info.name))
    return obj


def _value(value: Any, expected: Any, path: str) -> Any:  # expected: a pyVmomi type (dynamic attributes)
    if isinstance(value, Mapping):
        return _data_object(value, expected, path)
    if issubclass(expected, list):  # pyVmomi array types (str[], vim.vm.customization.AdapterMapping[], ...)
        if not isinstance(value, (list, tuple)):
            raise ValueError('%s: expected a list of %s, got %s' % (path, VmomiSupport.GetVmodlName(expected.Item), type(value).__name__))
        return expected([_value(item, expected.Item, '%s[%d]' % (path, index)) for index, item in enumerate(value)])
    if issubclass(expected, VmomiSupport.Enum):
        if value not in expected.values:
            raise ValueError('%s: %r is not one of %s' % (path, value, ', '.join(expected.values)))
        return value
    if expected is object:  # xsd:anyType takes what it is given
        return value
    python_types = _python_types(expected)
    # pyVmomi takes True for an int property; vCenter would not.
    if isinstance(value, bool) != issubclass(expected, bool) or not isinstance(value, python_types):
        raise ValueError('%s: expected %s, got %s' % (path, VmomiSupport.GetVmodlName(expected), type(value).__name__))
    return value if expected is bool else expected(value)


def _python_types(expected: Any) -> tuple:
    """The Python types that hold a value of the VMODL primitive type ``expected``."""
    if issubclass(expected, float):
        return (int, float)  # 1 is a fine xsd:double
    for python_type in (bool, int, str):
        if issubclass(expected, python_type):
            return (python_type,)
    return (expected,)
