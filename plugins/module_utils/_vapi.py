# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vCenter's REST API (vAPI) for content libraries: the only code in the collection that talks to it. PRIVATE.

Content library items are deployed through vAPI only (SOAP has no call for it). The client speaks the ``/rest``
endpoints, which vCenter 6.7, 7.0 and 8.0 serve, with the connection options of the SOAP session (host, port,
certificate checks, proxy) and a session of its own, opened at the first call and deleted when the run ends:

    with VapiClient(params) as api:
        item = api.library_item('ubuntu-22.04', library='images')       # LibraryItem(id, name, type, library)
        moid = api.deploy(item, name='web-1', placement=...)           # one call; vCenter answers when it is done

Every call is a round trip our users pay for: a deploy costs the session, one find, one or two gets and the deploy.
Reads are sent again after a transport fault (as SOAP reads are, ``_transport.RETRY_DELAYS``); a deploy never.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._transport import RETRY_DELAYS, transport_reason
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import ConnectionParams, VCenterError, ssl_context

# vAPI's item types, as the user reads them in vCenter's UI
ITEM_KINDS = {'vm-template': 'VM template (VMTX)', 'ovf': 'OVF template'}
SESSION_HEADER = 'vmware-api-session-id'


@dataclass(frozen=True)
class LibraryItem:
    """A content library item as deployed: its id, name, vAPI type and library name."""
    id: str
    name: str
    type: str
    library: str

    @property
    def record(self) -> str:
        """What the VM records as its image: ``library:<library>/<item>``."""
        return 'library:%s/%s' % (self.library, self.name)


@dataclass(frozen=True)
class LibraryPlacement:
    """Where a deployed VM goes: managed object ids (moids) of vCenter's inventory."""
    folder: str
    resource_pool: str
    host: Optional[str] = None
    datastore: Optional[str] = None


class VapiClient:
    """One vAPI session; use as a context manager so the session is always deleted."""

    def __init__(self, params: ConnectionParams, timeout: float = 60, sleep: Callable[[float], None] = time.sleep) -> None:
        self.params = params
        self.timeout = timeout
        self._sleep = sleep
        self._session: Optional[str] = None
        host = '[%s]' % params.hostname if ':' in params.hostname else params.hostname
        self.base = 'https://%s:%d/rest' % (host, params.port)
        handlers: List[Any] = [urllib.request.HTTPSHandler(context=ssl_context(params.validate_certs, params.ca_path))]
        proxy = 'http://%s:%d' % (params.proxy_host, params.proxy_port or 80) if params.proxy_host else None
        handlers.append(urllib.request.ProxyHandler({'https': proxy} if proxy else {}))
        self._opener = urllib.request.build_opener(*handlers)

    def __enter__(self) -> 'VapiClient':
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._session is not None:
            try:
                self._send('DELETE', '/com/vmware/cis/session', None, 'ending the vAPI session', repeat=False)
            except VCenterError:
                pass   # the session expires on its own; a failed logout must not mask the module's result
            self._session = None

    # -- the wire ---------------------------------------------------------------------------------------------------
    def _login(self) -> None:
        credentials = base64.b64encode(('%s:%s' % (self.params.username, self.params.password)).encode('utf-8')).decode('ascii')
        value = self._send('POST', '/com/vmware/cis/session', None, 'opening a vAPI session', repeat=False,
                           headers={'Authorization': 'Basic ' + credentials})
        if not isinstance(value, str) or not value:
            raise VCenterError('opening a vAPI session at %s failed: vCenter answered no session id' % self.base)
        self._session = value

    def call(self, method: str, path: str, body: Optional[Mapping[str, Any]], what: str, repeat: bool = True) -> Any:
        """One vAPI call (the session is opened first if need be); returns the answer's ``value``."""
        if self._session is None:
            self._login()
        return self._send(method, path, body, what, repeat=repeat, headers={SESSION_HEADER: self._session or ''})

    def _send(self, method: str, path: str, body: Optional[Mapping[str, Any]], what: str, repeat: bool,
              headers: Optional[Mapping[str, str]] = None) -> Any:
        data = json.dumps(body).encode('utf-8') if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=dict({'Accept': 'application/json', 'Content-Type': 'application/json'}, **(headers or {})))
        delays = list(RETRY_DELAYS) if repeat else []
        sent, attempts = time.time(), 0
        while True:
            attempts += 1
            try:
                with self._opener.open(request, timeout=self.timeout) as answer:
                    text = answer.read()
                break
            except urllib.error.HTTPError as error:
                if error.code in (502, 503, 504) and delays:
                    self._sleep(delays.pop(0))
                    continue
                raise VCenterError('%s failed: %s %s answered HTTP %d: %s' % (what, method, self._shown(path), error.code,
                                                                              _error_text(error))) from None
            except Exception as error:  # pylint: disable=broad-except
                reason = transport_reason(getattr(error, 'reason', None) or error) or transport_reason(error)
                if reason is None:
                    raise VCenterError('%s failed: %s %s: %s' % (what, method, self._shown(path), error)) from None
                if not delays:
                    raise VCenterError('%s failed: lost the connection to vCenter during %s %s: %s (sent %d time%s over %.1f s)%s'
                                       % (what, method, self._shown(path), reason, attempts, '' if attempts == 1 else 's',
                                          time.time() - sent, '' if repeat else '; vCenter may have carried it out: run again, '
                                          'and the run goes on from what vCenter shows')) from None
                self._sleep(delays.pop(0))
        if not text:
            return None
        try:
            return json.loads(text.decode('utf-8')).get('value')
        except (ValueError, AttributeError):
            raise VCenterError('%s failed: %s %s answered something that is not vAPI JSON' % (what, method, self._shown(path))) from None

    def _shown(self, path: str) -> str:
        return self.base + path

    # -- content libraries -----------------------------------------------------------------------------------------
    def library_ids(self, name: str) -> List[str]:
        return list(self.call('POST', '/com/vmware/content/library?~action=find', {'spec': {'name': name}},
                              'finding content library %s' % name) or [])

    def library_name(self, library_id: str) -> str:
        value = self.call('GET', '/com/vmware/content/library/id:%s' % urllib.parse.quote(library_id), None,
                          'reading content library %s' % library_id) or {}
        return str(value.get('name') or library_id)

    def library_names(self) -> List[str]:
        ids = self.call('GET', '/com/vmware/content/library', None, 'listing content libraries') or []
        return sorted(self.library_name(library_id) for library_id in ids)

    def item_ids(self, name: str, library_id: Optional[str] = None) -> List[str]:
        spec: Dict[str, Any] = {'name': name}
        if library_id:
            spec['library_id'] = library_id
        return list(self.call('POST', '/com/vmware/content/library/item?~action=find', {'spec': spec},
                              'finding content library item %s' % name) or [])

    def item(self, item_id: str) -> Dict[str, Any]:
        return dict(self.call('GET', '/com/vmware/content/library/item/id:%s' % urllib.parse.quote(item_id), None,
                              'reading content library item %s' % item_id) or {})

    def library_item(self, name: str, library: Optional[str] = None) -> LibraryItem:
        """The one item of this name (in this library); a SpecError names the option and what was found instead."""
        where = ''
        library_id = None
        if library:
            libraries = self.library_ids(library)
            if not libraries:
                known = self.library_names()
                raise SpecError('image_library', library, 'is not a content library (libraries: %s)' % (', '.join(known) or 'none'))
            if len(libraries) > 1:
                raise SpecError('image_library', library, 'names %d content libraries; rename one' % len(libraries))
            library_id = libraries[0]
            where = ' in content library %s' % library
        ids = self.item_ids(name, library_id)
        if not ids:
            raise SpecError('image', name, 'is not an item%s' % (where or ' of any content library'))
        items = [self.item(item_id) for item_id in ids]
        names = {}
        for found in items:
            lib = str(found.get('library_id') or '')
            if lib not in names:
                names[lib] = library if library_id == lib and library else self.library_name(lib)
        if len(items) > 1:
            raise SpecError('image', name, 'names %d content library items (in %s); give image_library'
                            % (len(items), ', '.join(sorted(names[str(found.get('library_id') or '')] for found in items))))
        found = items[0]
        kind = str(found.get('type') or '')
        if kind not in ITEM_KINDS:
            raise SpecError('image', name, 'is a content library item of type %s%s; a VM is deployed from an OVF template or a '
                            'VM template' % (kind or 'unknown', where))
        return LibraryItem(id=str(found.get('id') or ids[0]), name=str(found.get('name') or name), type=kind,
                           library=names[str(found.get('library_id') or '')])

    def deploy(self, item: LibraryItem, name: str, placement: LibraryPlacement) -> str:
        """Deploy the item as a powered-off VM; returns its moid. One call: vCenter answers when the VM exists."""
        what = 'deploying %s %s to VM %s' % (ITEM_KINDS[item.type], item.record, name)
        if item.type == 'vm-template':
            spec: Dict[str, Any] = {'name': name, 'powered_on': False,
                                    'placement': {'folder': placement.folder, 'resource_pool': placement.resource_pool}}
            if placement.host:
                spec['placement']['host'] = placement.host
            if placement.datastore:
                spec['disk_storage'] = {'datastore': placement.datastore}
            value = self.call('POST', '/vcenter/vm-template/library-items/%s?action=deploy' % urllib.parse.quote(item.id),
                              {'spec': spec}, what, repeat=False)
            if not isinstance(value, str) or not value:
                raise VCenterError('%s failed: vCenter answered no VM' % what)
            return value
        target = {'resource_pool_id': placement.resource_pool, 'folder_id': placement.folder}
        if placement.host:
            target['host_id'] = placement.host
        deployment = {'name': name, 'accept_all_EULA': True}
        if placement.datastore:
            deployment['default_datastore_id'] = placement.datastore
        value = self.call('POST', '/com/vmware/vcenter/ovf/library-item/id:%s?~action=deploy' % urllib.parse.quote(item.id),
                          {'target': target, 'deployment_spec': deployment}, what, repeat=False) or {}
        resource = value.get('resource_id') or {}
        if not value.get('succeeded') or not resource.get('id'):
            raise VCenterError('%s failed: %s' % (what, _deployment_errors(value) or 'vCenter answered no VM'))
        return str(resource['id'])


def _error_text(error: urllib.error.HTTPError) -> str:
    """vAPI's error message (its ``value.messages[].default_message``), else the HTTP reason."""
    try:
        value = json.loads(error.read().decode('utf-8')).get('value') or {}
        messages = [m.get('default_message') for m in value.get('messages') or [] if m.get('default_message')]
        if messages:
            return '; '.join(messages)
        return str(value.get('type') or error.reason)
    except Exception:  # pylint: disable=broad-except
        return str(error.reason)


def _deployment_errors(value: Mapping[str, Any]) -> str:
    errors = (value.get('error') or {}).get('errors') or []
    texts = []
    for entry in errors:
        for message in ((entry.get('error') or {}).get('messages') or []):
            if message.get('default_message'):
                texts.append(message['default_message'])
    return '; '.join(texts)
