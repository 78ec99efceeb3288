# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cloud-init metadata, user-data and guestinfo renderer. PRIVATE to the collection.

What VM Operator's CloudInit bootstrap writes (``bootstrap_cloudinit.go``), for cloud-init's
VMware datasource (``DataSourceVMware``), which reads ``guestinfo.metadata`` and
``guestinfo.userdata`` from the VM's extraConfig:

    metadata = render_metadata(net, instance_id=...)
    userdata = render_userdata(cloud_config={...})       # or raw='...'
    extra_config = guestinfo(metadata, userdata)          # {'guestinfo.metadata': ..., ...}

Documents are serialized as JSON: JSON is YAML, cloud-init's datasource tries JSON first, and
the standard library writes it deterministically (no PyYAML on a target).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import binascii
import gzip
import io
import json
import math
import re
import zlib
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import ErrorCollector, ResolvedNetwork, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._netplan import GATEWAY_KEYS, render_netplan

GZIP_BASE64 = 'gzip+base64'
GUESTINFO_METADATA = 'guestinfo.metadata'
GUESTINFO_METADATA_ENCODING = 'guestinfo.metadata.encoding'
GUESTINFO_USERDATA = 'guestinfo.userdata'
GUESTINFO_USERDATA_ENCODING = 'guestinfo.userdata.encoding'
# Every extraConfig key guestinfo() may write. The writer clears the ones a new result leaves
# out, so stale user-data does not survive (VM Operator never clears it).
GUESTINFO_KEYS = (GUESTINFO_METADATA, GUESTINFO_METADATA_ENCODING, GUESTINFO_USERDATA, GUESTINFO_USERDATA_ENCODING)

CLOUD_CONFIG_HEADER = '#cloud-config\n'
_GZIP_MAGIC = b'\x1f\x8b'
# Characters JSON leaves raw but a YAML parser would not read back: C1 controls and DEL
# (non-printable in YAML), NEL/LS/PS (YAML line breaks), surrogates and non-characters.
_YAML_UNSAFE_CHARACTERS = re.compile('[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]')
# Control characters that never occur in text, used to tell decoded base64 text from noise.
_BINARY_CONTROL_CHARACTERS = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')
# users[] options cloud-init hands to useradd only when they are strings (Distro.add_user skips any
# other type without a word); its schema types them as strings.  uid is converted by cloud-init itself.
USER_STRING_OPTIONS = ('expiredate', 'gecos', 'hashed_passwd', 'homedir', 'inactive', 'passwd', 'primary_group', 'selinux_user', 'shell')


def render_metadata(net: ResolvedNetwork, *, instance_id: str, ssh_authorized_keys: Iterable[str] = (),
                    wait_on_network4: Optional[bool] = None, wait_on_network6: Optional[bool] = None,
                    gateway_style: str = GATEWAY_KEYS) -> Dict[str, Any]:
    """Return cloud-init metadata for the VMware datasource, keys in sorted order.

    ``hostname`` and ``local-hostname`` both hold the FQDN, as VM Operator writes them.
    """
    if not isinstance(instance_id, str) or not instance_id.strip():
        raise ValueError('instance_id: %r must be a non-empty string' % (instance_id,))
    metadata: Dict[str, Any] = {
        'hostname': net.fqdn,
        'instance-id': instance_id,
        'local-hostname': net.fqdn,
        'network': render_netplan(net, gateway_style),
    }
    public_keys = _public_keys(ssh_authorized_keys)
    if public_keys:
        metadata['public-keys'] = '\n'.join(public_keys)
    if wait_on_network4 is not None or wait_on_network6 is not None:
        metadata['wait-on-network'] = {'ipv4': _optional_bool('wait_on_network4', wait_on_network4),
                                       'ipv6': _optional_bool('wait_on_network6', wait_on_network6)}
    return metadata


def dump_metadata(metadata: Mapping[str, Any]) -> str:
    """Serialize metadata deterministically; the datasource parses it with json.loads."""
    return json.dumps(metadata, sort_keys=True, indent=2, allow_nan=False)


def render_userdata(cloud_config: Optional[Mapping[str, Any]] = None, raw: Optional[str] = None) -> Optional[str]:
    """Return the user-data text, or None when there is none.

    ``cloud_config`` becomes ``#cloud-config`` plus a JSON body, which YAML parsers read exactly
    (no ``yes``/``on``/``0755`` surprises).  ``users[].inactive`` given as a number is written as
    a string, as cloud-init's schema types it (cloud-init would drop a number silently); the other
    string-typed useradd options (``shell``, ``expiredate``, ...) must be strings. Unlike VM Operator there is no ``## template: jinja``
    header, so ``{{ }}`` in user content reaches the guest as written.
    ``raw`` is used as given after undoing any base64 and gzip layers, so user-data that was
    already encoded is not encoded twice (VM Operator's TryToDecodeBase64Gzip).
    """
    if cloud_config is not None and raw is not None:
        raise ValueError('cloud_config and raw: give one of them, not both')
    if cloud_config is not None:
        return _render_cloud_config(cloud_config)
    if raw is not None:
        if not isinstance(raw, str):
            raise ValueError('raw: must be a string, not %s' % type(raw).__name__)
        text = _decode_encoded_layers(raw)
        return text if text.strip() else None
    return None


def encode_gzip_base64(text: str) -> str:
    """gzip (mtime 0, no file name) then standard base64: the ``gzip+base64`` encoding."""
    if not isinstance(text, str):
        raise ValueError('text: must be a string, not %s' % type(text).__name__)
    buffer = io.BytesIO()
    # GzipFile rather than gzip.compress: on Python 3.11 and 3.12 compress(mtime=0) writes zlib's
    # header (OS byte 3, not 255), so the same text would encode differently across controllers.
    with gzip.GzipFile(filename='', mode='wb', fileobj=buffer, mtime=0) as stream:
        stream.write(text.encode('utf-8'))
    return base64.b64encode(buffer.getvalue()).decode('ascii')


def decode_gzip_base64(text: str) -> str:
    """Undo encode_gzip_base64 (whitespace in the base64 is ignored)."""
    if not isinstance(text, str):
        raise ValueError('text: must be a string, not %s' % type(text).__name__)
    try:
        return gzip.decompress(base64.b64decode(''.join(text.split()), validate=True)).decode('utf-8')
    except (binascii.Error, OSError, EOFError, zlib.error, UnicodeDecodeError):
        raise ValueError('text: is not gzip+base64 encoded UTF-8 text') from None


def guestinfo(metadata: Union[Mapping[str, Any], str], userdata: Optional[str] = None) -> Dict[str, str]:
    """Return the extraConfig keys of the guestinfo transport, encoded ``gzip+base64``.

    The user-data keys are present only when there is user-data.
    """
    if isinstance(metadata, Mapping) and metadata:
        metadata = dump_metadata(metadata)
    if not isinstance(metadata, str) or not metadata.strip():
        raise ValueError('metadata: must be a non-empty mapping or string')
    if userdata is not None and not isinstance(userdata, str):
        raise ValueError('userdata: must be a string, not %s' % type(userdata).__name__)
    extra_config = {GUESTINFO_METADATA: encode_gzip_base64(metadata), GUESTINFO_METADATA_ENCODING: GZIP_BASE64}
    if userdata:
        extra_config[GUESTINFO_USERDATA] = encode_gzip_base64(userdata)
        extra_config[GUESTINFO_USERDATA_ENCODING] = GZIP_BASE64
    return extra_config


def _public_keys(ssh_authorized_keys: Iterable[str]) -> List[str]:
    if isinstance(ssh_authorized_keys, (str, bytes)):
        # Iterating a string would yield one "key" per character.
        raise ValueError('ssh_authorized_keys: must be a list of keys, not a single string')
    keys = []
    for index, key in enumerate(ssh_authorized_keys):
        if not isinstance(key, str):
            raise ValueError('ssh_authorized_keys[%d]: must be a string, not %s' % (index, type(key).__name__))
        if key.strip():
            keys.append(key.strip())
    return keys


def _optional_bool(name: str, value: Optional[bool]) -> bool:
    if value is not None and not isinstance(value, bool):
        raise ValueError('%s: %r must be true, false or unset' % (name, value))
    return bool(value)


def user_inactive(value: Any, path: str) -> str:
    """A user's ``inactive`` (days until the account is disabled) as the string cloud-init's schema wants.

    A whole number becomes its text, as VM Operator writes its int32 ``inactive``; cloud-init
    would silently drop a number.  Anything else but text is an error.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise SpecError(path, value, 'must be a number of days (cloud-init takes it as a string, such as "30")')


def normalize_users(cloud_config: Mapping[str, Any], path: str) -> Dict[str, Any]:
    """``cloud_config`` with every ``users[].inactive`` a string (a copy; the rest is left as it is)."""
    users = cloud_config.get('users')
    if not isinstance(users, list):
        return dict(cloud_config)
    normalized = []
    errors = ErrorCollector()
    for index, user in enumerate(users):
        if isinstance(user, Mapping) and user.get('inactive') is not None:
            with errors.catch():
                user = dict(user, inactive=user_inactive(user['inactive'], '%s.users[%d].inactive' % (path, index)))
        normalized.append(user)
    errors.raise_if_any()
    return dict(cloud_config, users=normalized)


def _check_user_strings(cloud_config: Mapping[str, Any], path: str) -> None:
    """useradd options cloud-init would skip silently because they are not strings (the message shows the type, never a password)."""
    users = cloud_config.get('users')
    errors = ErrorCollector()
    for index, user in enumerate(users if isinstance(users, list) else ()):
        if not isinstance(user, Mapping):
            continue
        for option in USER_STRING_OPTIONS:
            value = user.get(option)
            if option != 'inactive' and value is not None and not isinstance(value, str):
                errors.add('%s.users[%d].%s' % (path, index, option), type(value).__name__,
                           'must be a string: cloud-init ignores any other type (its schema types %s as a string)' % option)
    errors.raise_if_any()


def _render_cloud_config(cloud_config: Mapping[str, Any]) -> Optional[str]:
    if not isinstance(cloud_config, Mapping):
        raise ValueError('cloud_config: must be a mapping, not %s' % type(cloud_config).__name__)
    if not cloud_config:
        return None
    cloud_config = normalize_users(cloud_config, 'cloud_config')
    _check_user_strings(cloud_config, 'cloud_config')
    _check_plain_data(cloud_config, 'cloud_config')
    body = json.dumps(cloud_config, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    body = _YAML_UNSAFE_CHARACTERS.sub(lambda match: '\\u%04x' % ord(match.group()), body)
    return CLOUD_CONFIG_HEADER + body + '\n'


def _check_plain_data(value: Any, path: str) -> None:
    """Reject what JSON would silently change or YAML would read back differently.

    Messages name the path and the type, never the value: user-data may hold secrets.
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError('%s: keys must be strings, not %s' % (path, type(key).__name__))
            _check_plain_data(item, '%s.%s' % (path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_plain_data(item, '%s[%d]' % (path, index))
    elif isinstance(value, float):
        # YAML 1.1 reads 1e+20 (no dot) as a string; nan/inf are not JSON.
        if not math.isfinite(value) or '.' not in json.dumps(value):
            raise ValueError('%s: this float cannot be written portably; quote it as a string' % path)
    elif not (value is None or isinstance(value, (str, bool, int))):
        raise ValueError('%s: %s is not a YAML scalar, list or mapping' % (path, type(value).__name__))


def _decode_encoded_layers(raw: str) -> str:
    """Base64-decode while the result is still text or gzip, then gunzip once if gzip."""
    data = raw.encode('utf-8')
    decoded = _base64_layer(data)
    while decoded is not None:
        data = decoded
        decoded = _base64_layer(data)
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            raise ValueError('raw: starts like gzip data but does not decompress') from None
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise ValueError('raw: is not UTF-8 text, nor base64 or gzip of it') from None


def _base64_layer(data: bytes) -> Optional[bytes]:
    """The base64-decoded data when it is a base64 layer, else None.

    Decoding must give gzip or text: short plain words like ``test`` are valid base64 too.
    """
    compact = b''.join(data.split())
    if not compact or len(compact) % 4:
        return None
    try:
        decoded = base64.b64decode(compact, validate=True)
    except binascii.Error:
        return None
    if decoded.startswith(_GZIP_MAGIC):
        return decoded
    try:
        text = decoded.decode('utf-8')
    except UnicodeDecodeError:
        return None
    return decoded if text and not _BINARY_CONTROL_CHARACTERS.search(text) else None
