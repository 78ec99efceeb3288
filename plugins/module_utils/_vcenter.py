# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vCenter client: the only code in the collection that talks SOAP. PRIVATE to the collection.

Every call here is a round trip our users pay for on a remote vCenter, so the client
- opens one session per module run,
- reads inventory with ONE PropertyCollector ``RetrievePropertiesEx`` that traverses from the
  root folder (no ContainerView to create and destroy, no lazy attribute reads),
- reads an object's details with explicit property paths,
- waits on tasks and properties with ``WaitForUpdatesEx`` (no sleep loops), bounded by a timeout.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import os
import ssl
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._transport import (
    LOOKUP_SLACK_SECONDS,
    RETRY_DELAYS,
    may_look_up,
    may_repeat,
    transport_reason,
)

PYVMOMI_IMPORT_ERROR: Optional[str]
try:
    from pyVim import connect
    from pyVmomi import vim, vmodl
    HAS_PYVMOMI = True
    PYVMOMI_IMPORT_ERROR = None
except ImportError:
    HAS_PYVMOMI = False
    PYVMOMI_IMPORT_ERROR = traceback.format_exc()

# Longest single WaitForUpdatesEx; a longer wait is several calls. It stays well below the socket timeout
# (connect_timeout) so a quiet wait is never cut off by the connection.
_MAX_WAIT_SLICE_SECONDS = 30


class VCenterError(Exception):
    """A vCenter call failed; the message is meant for the user."""


class VCenterTimeout(VCenterError):
    """A wait ran out of time."""


class TransportError(VCenterError):
    """A call's answer never arrived whole (see ``_transport``); the message names vCenter, the method and the object."""

    def __init__(self, endpoint: str, method: str, target: Any, reason: str, sent: float, attempts: int, what: str = '',
                 note: str = '') -> None:
        self.endpoint, self.method, self.target, self.reason, self.sent, self.attempts = endpoint, method, target, reason, sent, attempts
        self.what, self.note = what, note
        on = ''
        if isinstance(target, vim.ManagedEntity):   # a VM, a template: the object the call was about
            on = ' on %s %s' % (type(target).__name__.rsplit('.', 1)[-1], target._moId)  # pylint: disable=protected-access
        text = '%slost the connection to vCenter %s during %s%s: %s' % ('%s failed: ' % what if what else '', endpoint, method, on, reason)
        if may_repeat(method):
            text += ' (sent %d times over %.1f s)' % (attempts, time.time() - sent)
        else:
            text += ('; vCenter may have carried it out, and a call that changes something is never sent twice: run again, and the run '
                     'goes on from what vCenter shows')
        super().__init__(text + ('; ' + note if note else ''))

    def during(self, what: str) -> 'TransportError':
        """The same fault, told as the failure of what the caller was doing."""
        return TransportError(self.endpoint, self.method, self.target, self.reason, self.sent, self.attempts, what, self.note)

    def noting(self, note: str) -> 'TransportError':
        """The same fault with what vCenter showed afterwards."""
        return TransportError(self.endpoint, self.method, self.target, self.reason, self.sent, self.attempts, self.what, note)


def guard_transport(stub: Any, endpoint: str, sleep: Callable[[float], None] = time.sleep) -> None:
    """Apply the retry policy (``_transport``) to every SOAP call of this stub: a read is sent again after a transport
    fault (RETRY_DELAYS), any other call never; what is left becomes a TransportError."""
    invoke = stub.InvokeMethod

    def invoke_method(mo: Any, info: Any, args: Any, *outer_stub: Any) -> Any:
        method = info.wsdlName
        delays = list(RETRY_DELAYS) if may_repeat(method) else []
        sent, attempts = time.time(), 0      # wall time: the look-up of a lost task compares it with vCenter's clock
        while True:
            attempts += 1
            try:
                return invoke(mo, info, args, *outer_stub)
            except Exception as error:  # pylint: disable=broad-except
                reason = transport_reason(error)
                if reason is None:
                    raise
                if not delays:
                    raise TransportError(endpoint, method, mo, reason, sent, attempts) from None
                sleep(delays.pop(0))

    stub.InvokeMethod = invoke_method


@dataclass(frozen=True)
class ConnectionParams:
    hostname: str
    username: str
    password: str
    port: int = 443
    validate_certs: bool = True
    ca_path: Optional[str] = None
    proxy_host: Optional[str] = None
    proxy_port: Optional[int] = None

    @classmethod
    def from_module_params(cls, params: Mapping[str, Any]) -> 'ConnectionParams':
        """The port is ``port`` (VMWARE_PORT), else the one in ``hostname`` (``host:port``, ``[IPv6]:port``: AWX's
        vCenter credential injects VMWARE_HOST but has no port field), else 443."""
        missing = [name for name in ('hostname', 'username', 'password') if not params.get(name)]
        if missing:
            raise VCenterError('missing connection option(s): %s (or the environment variables %s)'
                               % (', '.join(missing), ', '.join(_ENV_NAMES[name] for name in missing)))
        hostname, host_port = split_host_port(params['hostname'])
        port = params.get('port')
        if port is not None and host_port is not None and int(port) != host_port:
            raise VCenterError('hostname %r names port %d but port is %s: give the port in one place'
                               % (params['hostname'], host_port, port))
        if port is None:
            port = 443 if host_port is None else host_port
        return cls(hostname=hostname, username=params['username'], password=params['password'],
                   port=int(port), validate_certs=bool(params.get('validate_certs', True)),
                   ca_path=params.get('ca_path'), proxy_host=params.get('proxy_host'),
                   proxy_port=params.get('proxy_port'))


_ENV_NAMES = {'hostname': 'VMWARE_HOST', 'username': 'VMWARE_USER', 'password': 'VMWARE_PASSWORD'}


def split_host_port(value: str) -> Tuple[str, Optional[int]]:
    """``vc.example.com:8443`` -> ('vc.example.com', 8443); ``[2001:db8::1]:8443`` -> ('2001:db8::1', 8443);
    ``[2001:db8::1]`` and a bare IPv6 address ``2001:db8::1`` -> (address, None); a name alone -> (name, None).
    A port that is not a number from 1 to 65535, or a URL, is a VCenterError that names the value."""
    text = value.strip()
    if '://' in text or '/' in text:
        raise VCenterError('hostname %r: give the host name or address of vCenter, with an optional :port '
                           '(vc.example.com:8443, [2001:db8::1]:8443), not a URL' % value)
    if text.startswith('['):
        address, bracket, rest = text[1:].partition(']')
        if not bracket or not address or (rest and not rest.startswith(':')):
            raise VCenterError('hostname %r: an IPv6 address with a port is written [address]:port, '
                               'e.g. [2001:db8::1]:8443' % value)
        return address, (_port_of(value, rest[1:]) if rest else None)
    if text.count(':') > 1:        # a bare IPv6 address: no port can be told from it
        return text, None
    host, colon, port = text.partition(':')
    if not host:
        raise VCenterError('hostname %r: the host name is missing' % value)
    return host, (_port_of(value, port) if colon else None)


def _port_of(value: str, port: str) -> int:
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise VCenterError('hostname %r: the port %r is not a number from 1 to 65535' % (value, port))
    return int(port)


def ssl_context(validate_certs: bool, ca_path: Optional[str] = None) -> ssl.SSLContext:
    """A TLS context: verified by default; ca_path, SSL_CERT_FILE or REQUESTS_CA_BUNDLE add a CA bundle."""
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    # The default context trusts the system store and SSL_CERT_FILE; REQUESTS_CA_BUNDLE (the requests
    # convention users also set) and ca_path are added to it, never instead of it.
    context = ssl.create_default_context()
    for cafile in (os.environ.get('REQUESTS_CA_BUNDLE'), ca_path):
        if cafile:
            context.load_verify_locations(cafile=cafile)
    return context


def describe_fault(error: BaseException) -> str:
    """Turn a vmodl fault (or a transport error) into one readable sentence."""
    if HAS_PYVMOMI and isinstance(error, vmodl.MethodFault):
        name = type(error).__name__.rsplit('.', 1)[-1]
        message = getattr(error, 'msg', None) or ''
        details = [getattr(item, 'message', '') for item in (getattr(error, 'faultMessage', None) or [])]
        text = '; '.join(part for part in [message] + details if part)
        return '%s: %s' % (name, text) if text else name
    if isinstance(error, ssl.SSLError):
        return ('TLS certificate verification failed (%s); give the CA with ca_path or SSL_CERT_FILE, '
                'or set validate_certs: false for a lab' % error)
    return str(error) or type(error).__name__


@dataclass
class ManagedObject:
    """One object of an inventory read: its reference plus the properties that were asked for."""
    ref: Any
    props: Dict[str, Any] = field(default_factory=dict)

    @property
    def moid(self) -> str:
        return self.ref._moId  # pylint: disable=protected-access

    @property
    def kind(self) -> str:
        """The vim type without prefix, e.g. 'VirtualMachine'."""
        return type(self.ref).__name__.rsplit('.', 1)[-1]

    @property
    def name(self) -> Optional[str]:
        return self.props.get('name')

    def get(self, path: str, default: Any = None) -> Any:
        return self.props.get(path, default)


class Inventory:
    """A snapshot of inventory objects from one traversal, with path and name look-ups."""

    def __init__(self, objects: Iterable[ManagedObject]) -> None:
        self.by_moid: Dict[str, ManagedObject] = {obj.moid: obj for obj in objects}

    def of_kind(self, *kinds: str) -> List[ManagedObject]:
        return [obj for obj in self.by_moid.values() if obj.kind in kinds]

    def parent(self, obj: ManagedObject) -> Optional[ManagedObject]:
        """The folder (or vApp) above obj: a VM in a vApp has no parent but its vApp, a vApp its parentFolder."""
        keys = ('parentFolder', 'parentVApp', 'parent') if obj.kind == 'VirtualApp' else ('parent', 'parentVApp')
        for key in keys:
            ref = obj.get(key)
            if ref is not None:
                return self.by_moid.get(ref._moId)  # pylint: disable=protected-access
        return None

    def datacenter_of(self, obj: ManagedObject) -> Optional[ManagedObject]:
        node: Optional[ManagedObject] = obj
        while node is not None and node.kind != 'Datacenter':
            node = self.parent(node)
        return node

    def path(self, obj: ManagedObject) -> str:
        """Inventory path, e.g. '/DC0/vm/web/web01' (the root folder is left out, as vCenter does)."""
        names = []
        node: Optional[ManagedObject] = obj
        while node is not None and any(node.get(key) is not None for key in ('parent', 'parentVApp', 'parentFolder')):
            names.append(node.name or '')
            node = self.parent(node)
        return '/' + '/'.join(reversed(names))

    def find(self, kinds: Sequence[str], name: str, datacenter: Optional[str] = None,
             folder: Optional[str] = None) -> List[ManagedObject]:
        """Objects of these kinds called `name`, narrowed to a datacenter and a folder when given."""
        found = [obj for obj in self.of_kind(*kinds) if obj.name == name]
        if datacenter:
            found = [obj for obj in found if (self.datacenter_of(obj) or ManagedObject(None)).name == datacenter]
        if folder:
            found = [obj for obj in found if folder_matches(self.path(obj).rsplit('/', 1)[0], folder)]
        return found


def folder_matches(parent_path: str, folder: str) -> bool:
    """Does a parent path like '/DC0/vm/web' match a user folder: '/DC0/vm/web', 'DC0/vm/web', 'vm/web' or 'web'?"""
    wanted = folder.strip('/')
    have = parent_path.strip('/')
    if not wanted:
        return True
    if have == wanted or have.endswith('/' + wanted):
        return True
    # 'web' means the folder 'web' below the datacenter's VM folder: '/DC0/vm/web'
    parts = have.split('/')
    return len(parts) > 2 and '/'.join(parts[2:]) == wanted


# What a traversal from the root folder walks through to reach every inventory object.
_TRAVERSAL_PATHS = (
    ('Folder', 'childEntity'),
    ('Datacenter', 'vmFolder'), ('Datacenter', 'hostFolder'),
    ('Datacenter', 'networkFolder'), ('Datacenter', 'datastoreFolder'),
    ('ComputeResource', 'host'), ('ComputeResource', 'resourcePool'),
    ('ResourcePool', 'resourcePool'),
)


def traversal_specs(edges: Sequence[Tuple[str, str, Sequence[str]]]) -> List[Any]:
    """TraversalSpecs from (kind, path, next) edges: each is named 'kind.path' and continues with the edges named in next.

    vCenter follows a TraversalSpec only from objects of its kind; naming the continuations keeps a walk on the
    paths asked for (up the folder tree, say, without coming down into every VM folder again).
    """
    specs = []
    for kind, path, following in edges:
        select = [vmodl.query.PropertyCollector.SelectionSpec(name=name) for name in following]
        specs.append(vmodl.query.PropertyCollector.TraversalSpec(name='%s.%s' % (kind, path), type=getattr(vim, kind), path=path,
                                                                 skip=False, selectSet=select))
    return specs


def _traversal_specs() -> List[Any]:
    names = ['%s.%s' % pair for pair in _TRAVERSAL_PATHS]
    return traversal_specs([(kind, path, names) for kind, path in _TRAVERSAL_PATHS])


def filter_spec(roots: Sequence[Any], properties: Mapping[str, Sequence[str]], select: Sequence[Any] = (), skip_roots: bool = False) -> Any:
    """One PropertyFilterSpec: from each root object, follow `select`, and read `properties` (kind -> paths) of what is reached."""
    prop_specs = [vmodl.query.PropertyCollector.PropertySpec(type=getattr(vim, kind), pathSet=sorted(set(paths)))
                  for kind, paths in sorted(properties.items())]
    object_specs = [vmodl.query.PropertyCollector.ObjectSpec(obj=root, skip=skip_roots, selectSet=list(select)) for root in roots]
    return vmodl.query.PropertyCollector.FilterSpec(objectSet=object_specs, propSet=prop_specs)


class VCenterClient:
    """One vCenter session. Use as a context manager so the session is always logged out."""

    def __init__(self, params: ConnectionParams, connect_timeout: Optional[int] = 60) -> None:
        if not HAS_PYVMOMI:
            raise VCenterError('the Python library pyVmomi is required (pip install pyvmomi)')
        self.params = params
        self._connect_timeout = connect_timeout
        self.si: Any = None
        self._content: Any = None
        self._filter: Any = None
        self._tasks: Set[str] = set()     # the tasks this session started: never taken for a lost one
        self._clock_offset: Optional[float] = None   # vCenter's clock minus ours (from the login), for the look-up of a lost task
        # When vCenter queued the last task waited for (its clock): what events that task caused are compared with.
        self.last_queue_time: Optional[datetime.datetime] = None

    # -- session -------------------------------------------------------------------------------
    def __enter__(self) -> 'VCenterClient':
        self.connect()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def connect(self) -> None:
        params = self.params
        kwargs: Dict[str, Any] = dict(host=params.hostname, port=params.port, sslContext=ssl_context(params.validate_certs, params.ca_path),
                                      httpConnectionTimeout=self._connect_timeout)
        if params.proxy_host:
            kwargs.update(httpProxyHost=params.proxy_host, httpProxyPort=params.proxy_port or 80)
        try:
            # pyVim's SmartConnect reads the ServiceContent twice (once to log in, once more for us) and every
            # `si.content` is another read; a stub, one ServiceContent read kept for the session, and Login: 2 calls.
            stub = connect.SmartStubAdapter(**kwargs)
            guard_transport(stub, self.endpoint)
            si = vim.ServiceInstance('ServiceInstance', stub)
            content = si.RetrieveContent()
            session = content.sessionManager.Login(params.username, params.password, None)
        except vim.fault.InvalidLogin:
            raise VCenterError('cannot log in to %s as %s: the user name or password is wrong' % (self.endpoint, params.username)) from None
        except TransportError as error:
            raise VCenterError('cannot connect to %s: %s' % (self.endpoint, error.reason)) from None
        except Exception as error:  # pylint: disable=broad-except
            raise VCenterError('cannot connect to %s: %s' % (self.endpoint, describe_fault(error))) from None
        self.si, self._content = si, content
        login_time = getattr(session, 'loginTime', None)
        if login_time is not None:   # stamped before the answer left vCenter: our estimate of its clock errs early, never late
            self._clock_offset = login_time.timestamp() - time.time()

    @property
    def endpoint(self) -> str:
        host = self.params.hostname
        return '%s:%s' % ('[%s]' % host if ':' in host else host, self.params.port)

    def close(self) -> None:
        if self.si is not None:
            try:
                # Logout through the ServiceContent we hold: pyVim's Disconnect() would fetch it again.
                self._content.sessionManager.Logout()
            except Exception:  # pylint: disable=broad-except
                pass  # the session is gone either way; a failed logout must not mask the module's result
            finally:
                self.si = None
                self._content = None
                self._filter = None

    @property
    def content(self) -> Any:
        return self._content

    def call(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one SOAP method; a fault becomes a VCenterError that says what we were doing."""
        try:
            return method(*args, **kwargs)
        except vmodl.MethodFault as fault:
            raise VCenterError('%s failed: %s' % (what, describe_fault(fault))) from None
        except TransportError as error:
            raise error.during(what) from None

    # -- reads ---------------------------------------------------------------------------------
    def retrieve(self, specs: Sequence[Any], what: str = 'reading the inventory') -> List[ManagedObject]:
        """One RetrievePropertiesEx of one or more PropertyFilterSpecs (plus a ContinueRetrievePropertiesEx per further page).

        An object reached by several specs comes back once, with the properties of all of them.
        """
        collector = self.content.propertyCollector
        options = vmodl.query.PropertyCollector.RetrieveOptions()
        result = self.call(what, collector.RetrievePropertiesEx, list(specs), options)
        found: Dict[str, ManagedObject] = {}
        while result is not None:
            for content in result.objects or []:
                if any(isinstance(missing.fault, vmodl.fault.ManagedObjectNotFound) for missing in content.missingSet or []):
                    continue   # asked for by reference, and gone (FilterSpec.reportMissingObjectsInResults)
                obj = found.setdefault(content.obj._moId, ManagedObject(content.obj))  # pylint: disable=protected-access
                obj.props.update({prop.name: prop.val for prop in content.propSet or []})
            if not result.token:
                break
            result = self.call(what, collector.ContinueRetrievePropertiesEx, result.token)
        return list(found.values())

    def inventory(self, properties: Mapping[str, Sequence[str]], root: Any = None) -> Inventory:
        """Every object of the given kinds below `root` (default: the root folder), in ONE call.

        `properties` maps a vim kind ('VirtualMachine', 'Network', ...) to the property paths to read.
        Folders and datacenters are always included with name and parent, so paths can be computed.
        """
        wanted: Dict[str, List[str]] = {'Folder': ['name', 'parent'], 'Datacenter': ['name', 'parent']}
        for kind, paths in properties.items():
            wanted[kind] = sorted(set(wanted.get(kind, [])) | set(paths) | {'name', 'parent'})
        prop_specs = [vmodl.query.PropertyCollector.PropertySpec(type=getattr(vim, kind), pathSet=paths)
                      for kind, paths in sorted(wanted.items())]
        object_spec = vmodl.query.PropertyCollector.ObjectSpec(obj=root or self.content.rootFolder, skip=False,
                                                               selectSet=_traversal_specs())
        spec = vmodl.query.PropertyCollector.FilterSpec(objectSet=[object_spec], propSet=prop_specs)
        return Inventory(self.retrieve([spec]))

    def read(self, refs: Sequence[Any], paths: Sequence[str], what: str = 'reading the inventory') -> List[ManagedObject]:
        """Explicit properties of specific objects (all of one kind), in one call."""
        if not refs:
            return []
        prop_spec = vmodl.query.PropertyCollector.PropertySpec(type=type(refs[0]), pathSet=list(paths))
        object_specs = [vmodl.query.PropertyCollector.ObjectSpec(obj=ref, skip=False) for ref in refs]
        spec = vmodl.query.PropertyCollector.FilterSpec(objectSet=object_specs, propSet=[prop_spec])
        by_moid = {obj.moid: obj for obj in self.retrieve([spec], what)}
        return [by_moid.get(ref._moId, ManagedObject(ref)) for ref in refs]  # pylint: disable=protected-access

    def reference(self, kind: str, moid: str) -> Any:
        """A managed object reference built locally: no call."""
        return getattr(vim, kind)(moid, self.si._stub)  # pylint: disable=protected-access

    def find_by_inventory_path(self, path: str, what: str) -> Any:
        """SearchIndex.FindByInventoryPath: the entity at 'DC0/vm/web/web01' (one call), or None."""
        return self.call(what, self.content.searchIndex.FindByInventoryPath, path)

    def find_all_by_uuid(self, uuid: str, instance_uuid: bool, what: str) -> List[Any]:
        """SearchIndex.FindAllByUuid over VMs (one call): every VM with this BIOS or instance UUID."""
        return list(self.call(what, self.content.searchIndex.FindAllByUuid, None, uuid, True, instance_uuid) or [])

    # -- waits ---------------------------------------------------------------------------------
    def wait_for(self, refs: Sequence[Any], paths: Sequence[str], done: Callable[[Dict[str, Dict[str, Any]]], bool],
                 timeout: float, what: str, also: Sequence[Tuple[Any, Sequence[str]]] = ()) -> Dict[str, Dict[str, Any]]:
        """Watch properties of objects (all of one kind) with WaitForUpdatesEx until done(values) is true.

        values maps moid -> {path: value}. The filter is kept until the next wait or the logout
        (logging out destroys it), which saves a DestroyPropertyFilter call per wait.
        also: more objects of other kinds, with their paths, watched in the same filter (an event collector's
        latestPage, say): a change of theirs ends a WaitForUpdatesEx too, and costs no call of its own.
        """
        collector = self.content.propertyCollector
        if self._filter is not None:
            self.call('removing a property filter', self._filter.Destroy)
            self._filter = None
        # `also` first: govmomi's simulator looks a changed object's kind up among the global objects when a PropertySpec
        # of another kind comes before its own, and a session's object (an event collector) is not one of them.
        prop_specs = [vmodl.query.PropertyCollector.PropertySpec(type=type(ref), pathSet=list(more)) for ref, more in
                      list(also) + [(refs[0], paths)]]
        object_specs = [vmodl.query.PropertyCollector.ObjectSpec(obj=ref, skip=False) for ref in list(refs) + [pair[0] for pair in also]]
        filter_spec = vmodl.query.PropertyCollector.FilterSpec(objectSet=object_specs, propSet=prop_specs)
        self._filter = self.call(what, collector.CreateFilter, filter_spec, True)
        values: Dict[str, Dict[str, Any]] = {spec.obj._moId: {} for spec in object_specs}  # pylint: disable=protected-access
        version = ''
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise VCenterTimeout('%s: gave up after %s seconds' % (what, int(timeout)))
            options = vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=max(1, int(min(remaining, _MAX_WAIT_SLICE_SECONDS))))
            update = self.call(what, collector.WaitForUpdatesEx, version, options)
            if update is None:
                continue
            version = update.version
            for filter_update in update.filterSet or []:
                for object_update in filter_update.objectSet or []:
                    current = values.setdefault(object_update.obj._moId, {})  # pylint: disable=protected-access
                    for change in object_update.changeSet or []:
                        current[change.name] = None if change.op == 'remove' else change.val
            if done(values):
                return values

    def wait_for_tasks(self, tasks: Sequence[Any], timeout: float, what: str, check_first: bool = False) -> List[Any]:
        """Wait until every task has finished; return their results, or raise the first task error.

        check_first: read the tasks' state once (one RetrievePropertiesEx) and stop there when they have already
        finished, else wait as usual. For tasks that usually end within a round trip (a ReconfigVM of a few
        extraConfig keys, CustomizeVM_Task): one call instead of CreateFilter + WaitForUpdatesEx when they have,
        one more when they have not.
        """
        paths = ('info.state', 'info.error', 'info.result', 'info.queueTime')

        def finished(values: Dict[str, Dict[str, Any]]) -> bool:
            return all(item.get('info.state') in ('success', 'error') for item in values.values())

        values: Optional[Dict[str, Dict[str, Any]]] = None
        if check_first:
            values = {obj.moid: obj.props for obj in self.read(tasks, paths, what)}
            if not finished(values):
                values = None
        if values is None:
            values = self.wait_for(tasks, paths, finished, timeout, what)
        results = []
        for task in tasks:
            info = values[task._moId]  # pylint: disable=protected-access
            self.last_queue_time = info.get('info.queueTime') or self.last_queue_time
            if info.get('info.state') == 'error':
                raise VCenterError('%s failed: %s' % (what, describe_fault(info.get('info.error'))))
            results.append(info.get('info.result'))
        return results

    def start_task(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Start a task (one call) and return it; wait_for_tasks waits for it.

        When the answer is lost (a transport fault), the call is not sent again: the task it started is looked up among
        vCenter's recent tasks (see ``_transport``), and when there is none (or no telling which), the run fails.
        """
        try:
            task = self.call(what, method, *args, **kwargs)
        except TransportError as error:
            if not may_look_up(error.method):
                raise
            task = self._lost_task(error)
        self._tasks.add(task._moId)  # pylint: disable=protected-access
        return task

    def _lost_task(self, error: TransportError) -> Any:
        """The task a call whose answer was lost started: on the same object, queued since the call was sent (by vCenter's
        clock, known from the login; else one more read), not one of ours. One read of the recent tasks; raises `error`
        (with what vCenter shows) when there is not exactly one."""
        try:
            if self._clock_offset is not None:
                since = datetime.datetime.fromtimestamp(error.sent + self._clock_offset - LOOKUP_SLACK_SECONDS, datetime.timezone.utc)
            else:
                now = self.call('reading the time of vCenter', self.si.CurrentTime)
                since = now - datetime.timedelta(seconds=time.time() - error.sent + LOOKUP_SLACK_SECONDS)
            spec = filter_spec([self.content.taskManager], {'Task': ['info.entity', 'info.queueTime']},
                               select=traversal_specs([('TaskManager', 'recentTask', [])]), skip_roots=True)
            recent = self.retrieve([spec], 'looking up the task of %s' % error.method)
        except VCenterError:
            raise error from None
        target = getattr(error.target, '_moId', None)
        found = [task for task in recent if task.moid not in self._tasks and getattr(task.get('info.entity'), '_moId', '') == target
                 and task.get('info.queueTime') is not None and task.get('info.queueTime') >= since]
        if len(found) == 1:
            return found[0].ref
        raise error.noting('vCenter shows no task of it' if not found else 'vCenter shows %d tasks on it since, so which is its cannot be '
                           'told' % len(found)) from None

    def run_task(self, what: str, method: Callable[..., Any], *args: Any, timeout: float = 3600, check_first: bool = False,
                 **kwargs: Any) -> Any:
        """Start a task and wait for it: the usual three calls (start, CreateFilter, WaitForUpdatesEx).

        check_first (see wait_for_tasks): two calls (start, RetrievePropertiesEx) when the task is done by then.
        """
        task = self.start_task(what, method, *args, **kwargs)
        return self.wait_for_tasks([task], timeout, what, check_first=check_first)[0]


def option_values(extra_config: Optional[Iterable[Any]]) -> Dict[str, str]:
    """config.extraConfig (a list of OptionValue) as a plain dict."""
    return {option.key: option.value for option in extra_config or []}


VM_LOOKUP_PROPERTIES = ('name', 'parent', 'config.uuid', 'config.instanceUuid', 'config.template')


def select_vm(inventory: Inventory, selector: Mapping[str, Any], templates: bool = False) -> Optional[ManagedObject]:
    """The one VM the selector names (name | uuid | instance_uuid | moid, narrowed by datacenter and folder).

    Returns None when there is none; raises when the selector is ambiguous. The inventory must have been
    read with VM_LOOKUP_PROPERTIES. Templates are skipped unless asked for.
    """
    candidates = [vm for vm in inventory.of_kind('VirtualMachine') if bool(vm.get('config.template')) == templates]
    if selector.get('moid'):
        found = [vm for vm in candidates if vm.moid == selector['moid']]
        described = 'moid %s' % selector['moid']
    elif selector.get('instance_uuid'):
        found = [vm for vm in candidates if (vm.get('config.instanceUuid') or '').lower() == selector['instance_uuid'].lower()]
        described = 'instance UUID %s' % selector['instance_uuid']
    elif selector.get('uuid'):
        found = [vm for vm in candidates if (vm.get('config.uuid') or '').lower() == selector['uuid'].lower()]
        described = 'BIOS UUID %s' % selector['uuid']
    else:
        found = [vm for vm in candidates if vm.name == selector.get('name')]
        described = 'name %s' % selector.get('name')
    if selector.get('datacenter'):
        found = [vm for vm in found if (inventory.datacenter_of(vm) or ManagedObject(None)).name == selector['datacenter']]
        described += ' in datacenter %s' % selector['datacenter']
    if selector.get('folder'):
        found = [vm for vm in found if folder_matches(inventory.path(vm).rsplit('/', 1)[0], selector['folder'])]
        described += ' in folder %s' % selector['folder']
    if len(found) > 1:
        raise VCenterError('%d %s match %s: %s; narrow the selection with datacenter and folder, or use uuid or moid'
                           % (len(found), 'templates' if templates else 'VMs', described,
                              ', '.join(sorted(inventory.path(vm) for vm in found))))
    return found[0] if found else None
