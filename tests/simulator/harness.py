# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the guestnet-vcsim simulator from tests and tools (standard library; pyVmomi only for connect()).

    from harness import Simulator
    with Simulator.start(vms_per_pool=2) as sim:
        si = sim.connect()                      # pyVmomi, certificate validation on
        sim.reset_calls(); ...; sim.calls()     # SOAP calls per method, and 'total'
        sim.inject_fault('PowerOnVM_Task', 'clone1', count=1)
        sim.rest('GET', '/com/vmware/content/library')   # vAPI (/rest) with a cached session; returns 'value'
        sim.set_customization_outcome('clone1', 'network_setup_failed', message='no network')
        result = run_playbook(sim, tasks=[{'ansible.builtin.debug': {'msg': 'hi'}}])

See README.md beside this file for the launcher's flags and endpoints.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import atexit
import base64
import json
import os
import re
import select
import shutil
import ssl
import subprocess
import shlex
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILD_SH = HERE / 'build.sh'
COLLECTION = ('guestnet', 'vsphere')
ACTION_GROUP = 'group/guestnet.vsphere.vmware'

# Simulator.start() keyword -> launcher flag
SIZE_FLAGS = {
    'datacenters': '-dc',
    'clusters': '-cluster',
    'hosts_per_cluster': '-host',
    'standalone_hosts': '-standalone-host',
    'vms_per_pool': '-vm',
    'resource_pools': '-pool',
    'folders': '-folder',
    'distributed_portgroups': '-pg',
    'datastores': '-ds',
    'latency_ms': '-latency',
}


class SimulatorError(RuntimeError):
    """The simulator could not be built, started or reached."""


class RestError(SimulatorError):
    """A vAPI (/rest) call answered an HTTP error: status, the vAPI error type (com.vmware.vapi.std.errors.X) and
    its messages, and the answer's JSON (body) if it had any."""

    def __init__(self, method, path, status, body):
        self.method, self.path, self.status, self.body = method, path, status, body
        self.type = body.get('type') if isinstance(body, dict) else None
        value = body.get('value') if isinstance(body, dict) else None
        self.messages = [m.get('default_message', '') for m in (value or {}).get('messages') or [] if isinstance(m, dict)] \
            if isinstance(value, dict) else []
        super().__init__('%s %s: HTTP %d %s %s' % (method, path, status, self.type or '', '; '.join(self.messages) or body or ''))


def build(force=False):
    """Build the launcher once (cached in build/simulator/) and return the binary's path."""
    cmd = ['bash', str(BUILD_SH)] + (['--force'] if force else [])
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SimulatorError('building the simulator failed (%d):\n%s' % (proc.returncode, proc.stderr))
    return proc.stdout.strip().splitlines()[-1]


def _pairs(value):
    if isinstance(value, dict):
        return ','.join('%s=%s' % (k, v) for k, v in value.items())
    return value


def launcher_args(**size):
    """Translate keyword sizes and options into launcher flags (see SIZE_FLAGS and README.md)."""
    args = []
    for key, value in size.items():
        if value is None:
            continue
        if key in SIZE_FLAGS:
            args += [SIZE_FLAGS[key], str(int(value))]
        elif key == 'standard_portgroups':
            args += ['-std-pg', value if isinstance(value, str) else ','.join(value)]
        elif key == 'templates':
            args += ['-templates', _pairs(value)]
        elif key == 'vapp_templates':
            args += ['-vapp-templates', _pairs(value)]
        elif key == 'method_latency_ms':
            args += ['-method-latency', _pairs(value)]
        elif key in ('username', 'password', 'template_network', 'cert_dir'):
            args += ['-' + key.replace('_', '-'), str(value)]
        elif key in ('autostart', 'tls'):
            args += ['-%s=%s' % (key, 'true' if value else 'false')]
        elif key == 'customization_delay_ms':   # (started, outcome) or one number for both
            args += ['-customization-delay', ','.join(str(int(v)) for v in (value if isinstance(value, (list, tuple)) else [value]))]
        else:
            raise TypeError('unknown simulator option %r' % key)
    return args


class Simulator:
    """A running guestnet-vcsim process and the ways to talk to it."""

    def __init__(self, info, process, log_file, started_in):
        self.info = info
        self.process = process
        self.log_file = log_file
        self.started_in = started_in  # seconds from process start to the ready line
        self.url = info['url']
        self.host = info['host']
        self.port = info['port']
        self.username = info['username']
        self.password = info['password']
        self.cert_file = info.get('cert_file')
        self.inventory = info.get('inventory', {})
        self.base_url = self.url[:-len('/sdk')] if self.url.endswith('/sdk') else self.url
        self._ssl = None
        self._vapi_session = None

    # -- life cycle ---------------------------------------------------------------------------------------------
    @classmethod
    def start(cls, binary=None, listen='127.0.0.1:0', timeout=120, extra_args=(), detach=False, **size):
        """Build if needed, start on a free loopback port, wait for the ready line. Keywords: see launcher_args().

        The simulator exits with this process (it watches its stdin) unless detach is true.
        """
        binary = binary or os.environ.get('GUESTNET_VCSIM') or build()
        cmd = [binary, '-listen', listen] + ([] if detach else ['-watch-stdin']) + launcher_args(**size) + list(extra_args)
        log = tempfile.NamedTemporaryFile(prefix='guestnet-vcsim-', suffix='.log', delete=False)  # pylint: disable=consider-using-with
        began = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL if detach else subprocess.PIPE, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                stderr=log, start_new_session=detach)
        log.close()
        line = b''
        deadline = began + timeout
        while not line.endswith(b'\n'):
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                break
            ready, dummy, dummy = select.select([proc.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                line += chunk
        if not line.endswith(b'\n'):
            _terminate(proc)
            raise SimulatorError('simulator did not become ready (%s):\n%s' % (' '.join(cmd), Path(log.name).read_text(encoding='utf-8', errors='replace')))
        sim = cls(json.loads(line.decode()), proc, log.name, time.monotonic() - began)
        if detach:
            proc.stdout.close()
        else:
            atexit.register(sim.stop)
        return sim

    def stop(self):
        """Stop the simulator (idempotent); its log is removed unless $GUESTNET_VCSIM_KEEP_LOGS is set."""
        if self.process is not None:
            _terminate(self.process)
            self.process = None
            if not os.environ.get('GUESTNET_VCSIM_KEEP_LOGS'):
                try:
                    os.unlink(self.log_file)
                except OSError:
                    pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        """The launcher's stderr so far (empty once stopped)."""
        path = Path(self.log_file)
        return path.read_text(encoding='utf-8', errors='replace') if path.is_file() else ''

    # -- TLS and admin endpoints --------------------------------------------------------------------------------
    def ssl_context(self):
        """An SSL context that verifies the simulator's certificate (and host name)."""
        if self._ssl is None:
            if self.cert_file:
                self._ssl = ssl.create_default_context(cafile=self.cert_file)
            else:
                self._ssl = ssl._create_unverified_context()  # pylint: disable=protected-access
        return self._ssl

    def admin(self, method, path, data=None):
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, context=self.ssl_context() if self.base_url.startswith('https') else None, timeout=30) as resp:
                return json.loads(resp.read().decode())
        except urllib.error.HTTPError as exc:
            raise SimulatorError('%s %s: %s %s' % (method, path, exc.code, exc.read().decode(errors='replace').strip())) from exc

    def calls(self, internal=False):
        """SOAP calls per method since the last reset, plus 'total'; once there were vAPI calls, 'rest' (calls per
        'METHOD /rest/path?action', ids as {id}) and 'rest_total'; with internal=True also 'internal' and
        'internal_total': the SOAP calls vCenter's vAPI handler made itself (not counted as the client's)."""
        return self.admin('GET', '/_calls?internal=1' if internal else '/_calls')

    def reset_calls(self):
        """Reset the counters; returns the counts before the reset."""
        return self.admin('DELETE', '/_calls')

    def inject_fault(self, method, obj=None, count=1, fault=None, message=None, mode=None, after=None, skip=None):
        """Make `method` on the object named `obj` (name or moid; None = any) fail the next `count` times (-1 = always).

        mode 'task' (default for *_Task methods) returns a task that ends in error; 'soap' answers a SOAP fault.
        fault is a vim fault type name (default SystemError, ToolsUnavailable for *Guest methods).
        Transport modes: 'http502', 'http503', 'http504' (a proxy's error page), 'eof' (the connection closes without
        TLS close_notify), 'reset' (TCP RST); after=True: vCenter carries the call out and the answer is lost.
        skip: let that many matching calls through before the rule applies.
        """
        rule = {'method': method, 'count': count}
        for key, value in (('object', obj), ('fault', fault), ('message', message), ('mode', mode), ('after', after), ('skip', skip)):
            if value is not None:
                rule[key] = value
        return self.admin('POST', '/_faults', rule)

    def faults(self):
        return self.admin('GET', '/_faults')

    def clear_faults(self):
        return self.admin('DELETE', '/_faults')

    def set_guest(self, vm, **guest):
        """Set the guest view of a VM as VMware Tools would report it (POST /_guest; see README.md)."""
        return self.admin('POST', '/_guest', dict(guest, vm=vm))

    def set_customization_outcome(self, vm, outcome, reason=None, message=None):
        """Make the NEXT guest customization of `vm` (name or moid) end this way (one shot): 'succeeded', 'failed',
        'network_setup_failed', 'identity_failed', 'sysprep_failed' or 'unknown_failure'. On a failure the guest view
        does not show the requested addresses; message replaces the event's fullFormattedMessage, reason is
        CustomizationFailed.reason."""
        rule = {'vm': vm, 'outcome': outcome}
        if reason is not None:
            rule['reason'] = reason
        if message is not None:
            rule['message'] = message
        return self.admin('POST', '/_customization', rule)

    def customization_outcomes(self):
        """The outcome rules not used yet."""
        return self.admin('GET', '/_customization')

    def clear_customization_outcomes(self):
        return self.admin('DELETE', '/_customization')

    # -- vAPI (/rest) -------------------------------------------------------------------------------------------
    def _rest_request(self, method, url, data=None, headers=None):
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, context=self.ssl_context() if url.startswith('https') else None, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def rest_login(self):
        """Open a vAPI session (POST /rest/com/vmware/cis/session, basic auth); returns its id (cached for rest())."""
        credentials = base64.b64encode(('%s:%s' % (self.username, self.password)).encode()).decode()
        self._vapi_session = self.rest('POST', '/com/vmware/cis/session', session=False,
                                       headers={'Authorization': 'Basic ' + credentials, 'vmware-use-header-authn': 'true'})
        return self._vapi_session

    def rest_logout(self):
        """End the cached vAPI session (DELETE /rest/com/vmware/cis/session)."""
        if self._vapi_session:
            try:
                self.rest('DELETE', '/com/vmware/cis/session')
            finally:
                self._vapi_session = None

    def rest(self, method, path, body=None, session=True, headers=None, raw=False):
        """One vAPI call: path under /rest ('/com/vmware/content/library' or '/rest/...'), body as JSON. Returns the
        answer's 'value' (None for an empty answer), or (status, parsed JSON or None) with raw=True. With session (the
        default) the call carries the cached session's vmware-api-session-id, opened on first use and again once if
        it has expired. Raises RestError on an HTTP error (unless raw)."""
        url_path = path if path.startswith('/rest') else '/rest' + path
        hdrs = {'Accept': 'application/json', 'Content-Type': 'application/json'}
        hdrs.update(headers or {})
        for attempt in (1, 2):
            if session:
                if not self._vapi_session:
                    self.rest_login()
                hdrs['vmware-api-session-id'] = self._vapi_session
            data = json.dumps(body).encode() if body is not None else None
            status, text = self._rest_request(method, self.base_url + url_path, data, hdrs)
            if status == 401 and session and attempt == 1:
                self._vapi_session = None   # expired or logged out: once more with a new session
                continue
            break
        try:
            parsed = json.loads(text.decode()) if text.strip() else None
        except ValueError:
            parsed = text.decode(errors='replace')
        if raw:
            return status, parsed
        if status >= 400:
            raise RestError(method, url_path, status, parsed)
        return parsed.get('value') if isinstance(parsed, dict) else parsed

    def rest_upload(self, url, data):
        """PUT a file to a vAPI upload endpoint (an update session file's upload_endpoint.uri) with the session."""
        if not self._vapi_session:
            self.rest_login()
        status, text = self._rest_request('PUT', url, data, {'vmware-api-session-id': self._vapi_session,
                                                             'Content-Type': 'application/octet-stream'})
        if status >= 400:
            raise RestError('PUT', url, status, text.decode(errors='replace'))

    # -- clients ------------------------------------------------------------------------------------------------
    def connect(self):
        """A pyVmomi ServiceInstance logged in with certificate validation on."""
        from pyVim.connect import SmartConnect  # pylint: disable=import-outside-toplevel
        if not self.url.startswith('https'):
            return SmartConnect(protocol='http', host=self.host, port=self.port, user=self.username, pwd=self.password)
        return SmartConnect(host=self.host, port=self.port, user=self.username, pwd=self.password, sslContext=self.ssl_context())

    def env(self):
        """Environment for modules and tools: the community.vmware-style variables and the CA bundle."""
        env = {
            'VMWARE_HOST': self.host,
            'VMWARE_PORT': str(self.port),
            'VMWARE_USER': self.username,
            'VMWARE_PASSWORD': self.password,
            'VMWARE_VALIDATE_CERTS': 'true' if self.cert_file else 'false',
        }
        if self.cert_file:
            env['SSL_CERT_FILE'] = self.cert_file
            env['REQUESTS_CA_BUNDLE'] = self.cert_file
        return env

    def module_defaults(self):
        """module_defaults for group/guestnet.vsphere.vmware."""
        return {
            'hostname': self.host,
            'port': self.port,
            'username': self.username,
            'password': self.password,
            'validate_certs': bool(self.cert_file),
        }

    def exports(self):
        """Shell lines that export the connection variables."""
        return '\n'.join('export %s=%s' % (k, _shell_quote(v)) for k, v in self.env().items())


def _shell_quote(value):
    return value if re.match(r'^[A-Za-z0-9_./:@%+=,-]+$', value) else "'" + value.replace("'", "'\\''") + "'"


def _terminate(proc):
    if proc.poll() is None:
        try:
            proc.stdin.close()
        except OSError:
            pass
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None and not stream.closed:
            stream.close()


# -- pyVmomi helpers: explicit property reads, task waits --------------------------------------------------------------

_CONTENT = {}


def service_content(si):
    """The ServiceContent, fetched once per connection (each si.content access is a Fetch call)."""
    stub = si._stub  # pylint: disable=protected-access
    cached = _CONTENT.get(id(stub))
    if cached is None or cached[0] is not stub:
        cached = (stub, si.RetrieveContent())
        _CONTENT[id(stub)] = cached
    return cached[1]


def _filter_spec(obj, paths):
    from pyVmomi import vmodl  # pylint: disable=import-outside-toplevel
    pc = vmodl.query.PropertyCollector
    return pc.FilterSpec(objectSet=[pc.ObjectSpec(obj=obj, skip=False)], propSet=[pc.PropertySpec(type=type(obj), pathSet=list(paths))])


def retrieve(si, obj, paths):
    """One RetrievePropertiesEx of `paths` on one object; returns {path: value} (unset properties are left out)."""
    from pyVmomi import vmodl  # pylint: disable=import-outside-toplevel
    res = service_content(si).propertyCollector.RetrievePropertiesEx([_filter_spec(obj, paths)], vmodl.query.PropertyCollector.RetrieveOptions())
    props = {}
    for content in (res.objects if res else []):
        for prop in content.propSet:
            props[prop.name] = prop.val
    return props


def retrieve_view(si, kind, paths, root=None):
    """Objects of one type below root (default: the root folder) with `paths`, through a ContainerView:
    CreateContainerView + RetrievePropertiesEx (+ ContinueRetrievePropertiesEx per further page) + DestroyView.
    Returns [(managed object, {path: value}), ...]."""
    from pyVmomi import vim, vmodl  # pylint: disable=import-outside-toplevel
    pc = vmodl.query.PropertyCollector
    content = service_content(si)
    view = content.viewManager.CreateContainerView(root or content.rootFolder, [kind], True)
    out = []
    try:
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=view, skip=True, selectSet=[pc.TraversalSpec(name='view', path='view', skip=False, type=vim.view.ContainerView)])],
            propSet=[pc.PropertySpec(type=kind, pathSet=list(paths))])
        res = content.propertyCollector.RetrievePropertiesEx([spec], pc.RetrieveOptions())
        while res:
            out += [(o.obj, {p.name: p.val for p in o.propSet}) for o in res.objects]
            res = content.propertyCollector.ContinueRetrievePropertiesEx(res.token) if res.token else None
    finally:
        view.DestroyView()
    return out


def find_vm(si, name):
    """The VM called `name` (one ContainerView read of 'name')."""
    for obj, props in retrieve_view(si, _vim().VirtualMachine, ['name']):
        if props.get('name') == name:
            return obj
    raise SimulatorError('no VM named %r' % name)


def _vim():
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    return vim


def wait_task(si, task, timeout=300):
    """Wait for a task and return info.result (raise info.error): one RetrievePropertiesEx when it is already done
    (the simulator runs tasks synchronously), else a property filter with WaitForUpdatesEx until it is."""
    from pyVmomi import vim, vmodl  # pylint: disable=import-outside-toplevel
    paths = ['info.state', 'info.error', 'info.result']
    done = (vim.TaskInfo.State.success, vim.TaskInfo.State.error)
    props = retrieve(si, task, paths)
    if props.get('info.state') not in done:
        pc = service_content(si).propertyCollector
        pfilter = pc.CreateFilter(_filter_spec(task, paths), partialUpdates=False)
        deadline = time.monotonic() + timeout
        version = ''
        try:
            while props.get('info.state') not in done:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SimulatorError('task %s did not finish in %ss' % (task, timeout))
                update = pc.WaitForUpdatesEx(version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=int(min(left, 30)) or 1))
                if update is None:
                    continue
                version = update.version
                for fset in update.filterSet:
                    for oset in fset.objectSet:
                        for change in oset.changeSet:
                            props[change.name] = change.val
        finally:
            pfilter.DestroyPropertyFilter()
    if props.get('info.state') == vim.TaskInfo.State.error:
        raise props['info.error']
    return props.get('info.result')


# -- ansible-playbook plumbing --------------------------------------------------------------------------------------

def repo_files(repo=REPO):
    """Relative paths of the repository's tracked and untracked-but-not-ignored files that exist."""
    proc = subprocess.run(['git', '-C', str(repo), 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise SimulatorError('git ls-files failed: %s' % proc.stderr.decode(errors='replace'))
    names = sorted({n for n in proc.stdout.decode().split('\0') if n})
    return [n for n in names if (repo / n).is_file()]


def stage_collection(root=None, repo=REPO):
    """Copy the collection into ROOT/ansible_collections/guestnet/vsphere; returns ROOT (a collections path)."""
    root = Path(root or tempfile.mkdtemp(prefix='guestnet-collections-'))
    dest = root.joinpath('ansible_collections', *COLLECTION)
    if dest.exists():
        shutil.rmtree(dest)
    for name in repo_files(repo):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, target)
    return root


def declares_action_group(collections_path, group='vmware'):
    """True when the staged collection's meta/runtime.yml declares action_groups.<group>."""
    runtime = Path(collections_path).joinpath('ansible_collections', *COLLECTION, 'meta', 'runtime.yml')
    if not runtime.is_file():
        return False
    text = runtime.read_text(encoding='utf-8')
    try:
        import yaml  # pylint: disable=import-outside-toplevel
        data = yaml.safe_load(text) or {}
        return group in (data.get('action_groups') or {})
    except ImportError:
        return bool(re.search(r'^action_groups:\s*$(?:\n[ \t].*)*?\n[ \t]+%s:' % re.escape(group), text, re.M))


def find_ansible_playbook():
    """ansible-playbook of the current environment: $GUESTNET_ANSIBLE_PLAYBOOK, beside sys.executable, or on PATH."""
    explicit = os.environ.get('GUESTNET_ANSIBLE_PLAYBOOK')
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / 'ansible-playbook'
    if beside.is_file() and os.access(str(beside), os.X_OK):
        return str(beside)
    found = shutil.which('ansible-playbook')
    if not found:
        raise SimulatorError('ansible-playbook not found in the current environment or on PATH')
    return found


RESULTS_CALLBACK = '''# Written by tests/simulator/harness.py: records each task result as one JSON line.
from __future__ import annotations
import json
import os
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'guestnet_e2e_results'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, status, result):
        line = {'task': result.task_name, 'host': result._host.get_name(), 'status': status, 'result': result._result}
        with open(os.environ['GUESTNET_E2E_RESULTS'], 'a', encoding='utf-8') as out:
            out.write(json.dumps(line, default=str) + '\\n')

    def v2_runner_on_ok(self, result):
        self._record('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record('failed', result)

    def v2_runner_on_skipped(self, result):
        self._record('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._record('unreachable', result)
'''


class PlaybookResult:
    """What ansible-playbook did: return code, output, and each task's result (from a small callback)."""

    def __init__(self, proc, results, workdir):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.results = results
        self.workdir = workdir
        self.cmd = proc.args

    @property
    def ok(self):
        return self.returncode == 0

    def task(self, name):
        """The last result of the task named `name`."""
        found = [r for r in self.results if r['task'] == name]
        if not found:
            raise KeyError(name)
        return found[-1]

    def __repr__(self):
        return '<PlaybookResult rc=%d tasks=%d>' % (self.returncode, len(self.results))


def run_playbook(sim, tasks=None, playbook=None, extra_vars=None, inventory=None, env=None, collections_path=None,
                 module_defaults='auto', verbosity=0, timeout=900, check=False, ansible_playbook=None, workdir=None, unprivileged=False):
    """Run ansible-playbook against the staged collection, connected to `sim`.

    tasks: a list of task dicts, run in one play on localhost with module_defaults for group/guestnet.vsphere.vmware
    (when module_defaults is True, or 'auto' and meta/runtime.yml declares the group); or playbook: a path.
    The connection is also in the environment (VMWARE_*, SSL_CERT_FILE) for modules' env fallbacks.
    workdir (default: a new temp dir, left for inspection) holds the playbook, results and ansible's temp files.
    unprivileged: when run as root, without the capabilities that let root write any file (setpriv drops
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so a read-only file is read-only to the modules.
    """
    if (tasks is None) == (playbook is None):
        raise TypeError('give tasks or playbook')
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix='guestnet-playbook-'))
    workdir.mkdir(parents=True, exist_ok=True)
    collections_path = Path(collections_path) if collections_path else stage_collection(workdir / 'collections')
    if tasks is not None:
        play = {'name': 'guestnet e2e', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
        if module_defaults is True or (module_defaults == 'auto' and declares_action_group(collections_path)):
            play['module_defaults'] = {ACTION_GROUP: sim.module_defaults()}
        playbook = workdir / 'playbook.yml'
        playbook.write_text(json.dumps([play], indent=2), encoding='utf-8')  # JSON is YAML
    callbacks = workdir / 'callback_plugins'
    callbacks.mkdir(exist_ok=True)
    (callbacks / 'guestnet_e2e_results.py').write_text(RESULTS_CALLBACK, encoding='utf-8')
    results_file = workdir / 'results.jsonl'
    run_env = dict(os.environ)
    run_env.update(sim.env())
    run_env.update({
        'ANSIBLE_COLLECTIONS_PATH': str(collections_path),
        'ANSIBLE_CALLBACK_PLUGINS': str(callbacks),
        'ANSIBLE_CALLBACKS_ENABLED': 'guestnet_e2e_results',
        'GUESTNET_E2E_RESULTS': str(results_file),
        'ANSIBLE_HOME': str(workdir / '.ansible'),
        'ANSIBLE_LOCAL_TEMP': str(workdir / '.ansible' / 'tmp'),
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
    })
    run_env.update(env or {})
    cmd = [ansible_playbook or find_ansible_playbook(), str(playbook)]
    if unprivileged and os.geteuid() == 0:
        cmd = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'] + cmd
    if inventory:
        cmd += ['-i', str(inventory)]
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    if verbosity:
        cmd.append('-' + 'v' * verbosity)
    proc = subprocess.run(cmd, cwd=str(workdir), env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, check=False)
    results = []
    if results_file.is_file():
        results = [json.loads(line) for line in results_file.read_text(encoding='utf-8').splitlines() if line.strip()]
    result = PlaybookResult(proc, results, workdir)
    if check and not result.ok:
        raise SimulatorError('ansible-playbook failed (%d):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
    return result


def module_process_hosts(workdir):
    """Inventory hosts whose localhost runs modules with another Python (a script in workdir that execs this one), so
    the action plugins send the module instead of running it in the controller's process."""
    workdir.mkdir(parents=True, exist_ok=True)
    python = workdir / 'another-python'
    python.write_text('#!/bin/sh\nexec %s "$@"\n' % shlex.quote(sys.executable), encoding='utf-8')
    python.chmod(0o755)
    return {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': str(python)}}


def module_process_inventory(workdir):
    """An inventory file of module_process_hosts."""
    inventory = workdir / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'hosts': module_process_hosts(workdir)}}), encoding='utf-8')
    return inventory


def module_payloads(workdir, module):
    """How many times `module` (short name) was sent as a module process: the AnsiballZ payloads that
    ANSIBLE_KEEP_REMOTE_FILES kept (run_steps keeps them under workdir/remote-tmp)."""
    return len(list((Path(workdir) / 'remote-tmp').glob('*/AnsiballZ_%s.py' % module)))


class StepOutcome:
    """One step of run_steps: the task's status and result, and the SOAP calls it made."""

    def __init__(self, status, result, calls):
        self.status, self.result, self.calls = status, result, calls

    @property
    def failed(self):
        return self.status == 'failed'

    @property
    def changed(self):
        return self.result.get('changed')

    @property
    def msg(self):
        return self.result.get('msg', '')

    def calls_to(self, methods):
        """The methods of `methods` (e.g. the mutating ones) this step called, sorted."""
        return sorted(method for method in self.calls if method in methods)


def run_steps(sim, module, steps, collections_path=None, workdir=None, outcome=StepOutcome, unprivileged=False, module_process=False):
    """Run `module` once per step in ONE playbook and count each step's SOAP calls.

    steps: module arguments; the keys `_check_mode` (run in check mode), `_module` (another module for this step) and
    `_faults` (fault rules as inject_fault takes them, in force for this step only) are ours. Each step runs with diff
    on and ignore_errors, followed by a `uri` task that takes (and resets) the simulator's counters (DELETE /_calls
    and /_faults are plain HTTP, not SOAP calls).
    module_process: run our modules as module processes (localhost in the inventory names another Python: a script
    that runs this one), not in the controller's process (the action plugins' default on localhost).
    Returns one `outcome` (StepOutcome or a subclass) per step.
    """
    def admin(name, path, method, body=None):
        args = {'url': sim.base_url + path, 'method': method, 'return_content': True, 'status_code': [200, 201]}
        if body is not None:
            args.update(body_format='json', body=body)
        return {'name': name, 'ansible.builtin.uri': args}

    tasks = [admin('reset the counters', '/_calls', 'DELETE')]
    for index, step in enumerate(steps):
        args = {key: value for key, value in step.items() if not key.startswith('_')}
        task = {'name': 'step %d' % index, step.get('_module', module): args, 'ignore_errors': True, 'diff': True}
        if step.get('_check_mode'):
            task['check_mode'] = True
        faults = step.get('_faults') or []
        tasks += [admin('fault %d.%d' % (index, number), '/_faults', 'POST', dict({'count': 1}, **rule)) for number, rule in enumerate(faults)]
        if faults:   # the POSTs are not SOAP calls, but reset the counters after them anyway
            tasks.append(admin('reset the counters %d' % index, '/_calls', 'DELETE'))
        tasks += [task, admin('calls %d' % index, '/_calls', 'DELETE')]
        if faults:
            tasks.append(admin('clear the faults %d' % index, '/_faults', 'DELETE'))
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix='guestnet-steps-'))
    inventory = module_process_inventory(workdir) if module_process else None
    result = run_playbook(sim, tasks=tasks, collections_path=collections_path, workdir=workdir, unprivileged=unprivileged, inventory=inventory,
                          env={'ANSIBLE_KEEP_REMOTE_FILES': '1', 'ANSIBLE_REMOTE_TEMP': str(workdir / 'remote-tmp')})
    if result.returncode != 0:
        raise SimulatorError('playbook failed (rc %d):\n%s%s' % (result.returncode, result.stdout, result.stderr))
    out = []
    for index in range(len(steps)):
        entry = result.task('step %d' % index)
        out.append(outcome(entry['status'], entry['result'], result.task('calls %d' % index)['result']['json']))
    return out
