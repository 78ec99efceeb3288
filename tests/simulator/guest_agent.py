# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Guest agent: plays the guest OS of every VM of a simulator, continuously (standard library and pyVmomi).

    .venv/bin/python tests/simulator/guest_agent.py                        # connection from VMWARE_* / SSL_CERT_FILE
    .venv/bin/python tests/simulator/guest_agent.py --url https://127.0.0.1:8989/sdk --cert ca.pem --username user --password pass
    .venv/bin/python tests/simulator/guest_agent.py --background --pid-file build/demo/agent.pid --log-file build/demo/agent.log
    .venv/bin/python tests/simulator/guest_agent.py --stop --pid-file build/demo/agent.pid
    .venv/bin/python tests/simulator/guest_agent.py --inspect web01 app01   # cloud-init's view of these VMs, as JSON

    with GuestAgent(sim, match='^web') as agent:   # in process (pytest): start() ... stop() in threads
        ...

What it does, per VM, from ONE property filter (a ContainerView of all VMs, on a PropertyCollector of its own; WaitForUpdatesEx):

- powered on with guestinfo.metadata (cloud-init): boots it once per generation = (boot time, cloud-init's guestinfo
  keys, NIC MACs): guest.boot_cloud_init() runs Debian's cloud-init on the guestinfo; every NIC's addresses (with
  prefixes), DNS, routes and the host name are reported through POST /_guest. For interfaces the network config puts
  on DHCP the agent is the DHCP server: dhcp4 leases 10.99.<MAC byte 5>.<MAC byte 6>/16, dhcp6 2001:db8:99::<EUI-64 of
  the MAC>/64 (each the next free address when another NIC holds it); both are reported with the static ones.
- powered on without guestinfo.metadata (GOSC VMs, which the simulator customizes itself at power-on, and VMs nobody
  bootstraps, such as the generated DC0_* VMs): left alone. Playing DHCP for those would change the guest view other
  tests read; a VM that has both guestinfo.metadata and a GOSC spec is treated as a cloud-init guest.
- powered off, suspended, templates: nothing (the simulator keeps the guest view of a powered-off VM).

One stderr line per boot (VM, host name, addresses). A boot that fails for a passing reason (cloud-init's subprocess
timing out on a loaded machine, a lost connection to the simulator) is tried again after 2, 5 and 15 s; a VM whose
guestinfo cloud-init cannot use (GuestError), or that still fails after that, is logged and skipped until its
generation changes. stop() (SIGTERM/SIGINT on the command line) returns within 2 s: it cancels the pending
WaitForUpdatesEx (CancelWaitForUpdates; maxWaitSeconds bounds it otherwise) and abandons a boot still running.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import argparse
import hashlib
import ipaddress
import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import guest  # noqa: E402  pylint: disable=wrong-import-position
import harness  # noqa: E402  pylint: disable=wrong-import-position

# What the filter watches on every VM.
PATHS = ('name', 'config.template', 'runtime.powerState', 'summary.runtime.bootTime', 'config.extraConfig', 'config.hardware.device')
METADATA = 'guestinfo.metadata'
# The guestinfo keys cloud-init's DataSourceVMware reads: a change of one of them is a new generation.
CLOUD_INIT_KEYS = tuple('guestinfo.%s%s' % (k, e) for k in ('metadata', 'userdata', 'vendordata') for e in ('', '.encoding'))
DHCP4_POOL = ipaddress.IPv4Network('10.99.0.0/16')
DHCP4_RESERVED = (DHCP4_POOL.network_address + 1,)  # the "DHCP server"
DHCP6_POOL = ipaddress.IPv6Network('2001:db8:99::/64')
STOP_SECONDS = 1.8
# Seconds before each new attempt of a boot that failed for a passing reason. Under heavy load (load average above 10
# on 2 cores) cloud-init's subprocesses (120 s timeout) or a simulator call can fail; a boot given up on left the VM
# without addresses until it was powered on again, so the provision role's wait for the guest network ran out its
# 600 s, which fits the make demo run that failed after 648 s.
RETRY_DELAYS = (2.0, 5.0, 15.0)


def log_stderr(line):
    sys.stderr.write('%s guest-agent: %s\n' % (time.strftime('%H:%M:%S'), line))
    sys.stderr.flush()


def attach(url, username, password, cert_file=None):
    """A harness.Simulator for an already running simulator (no process): connect(), set_guest(), env()."""
    parts = urlsplit(url)
    info = {'url': url, 'host': parts.hostname, 'port': parts.port or (443 if parts.scheme == 'https' else 80),
            'username': username, 'password': password, 'cert_file': cert_file}
    return harness.Simulator(info, None, '', 0.0)


# -- DHCP ---------------------------------------------------------------------------------------------------------------

class Leases:
    """The agent's DHCP server: one lease per (VM, MAC) and family, stable for the agent's lifetime.

    The preferred address comes from the MAC; when another NIC holds it (the simulator's generated 00:0c:29 MACs repeat
    in large inventories, and the same MAC may sit on two VMs) the next free one is leased.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._leases = {}
        self._taken = {4: set(DHCP4_RESERVED), 6: set()}

    def v4(self, mac, owner=''):
        """10.99.<5th MAC byte>.<6th MAC byte>/16, or the next free address of 10.99.0.0/16."""
        octets = _octets(mac)
        return self._lease(4, DHCP4_POOL, (octets[4] << 8) | octets[5], owner, mac)

    def v6(self, mac, owner=''):
        """2001:db8:99::<modified EUI-64 of the MAC>/64, or the next free address of 2001:db8:99::/64."""
        octets = _octets(mac)
        return self._lease(6, DHCP6_POOL, int.from_bytes(bytes([octets[0] ^ 0x02] + octets[1:3] + [0xff, 0xfe] + octets[3:]), 'big'), owner, mac)

    def _lease(self, family, pool, index, owner, mac):
        key = (family, owner, mac.lower())
        with self._lock:
            if key not in self._leases:
                size = pool.num_addresses
                unusable = (pool.network_address, pool.broadcast_address)
                for step in range(min(size, 1 << 20)):
                    candidate = pool.network_address + (index + step) % size
                    if candidate not in unusable and candidate not in self._taken[family]:
                        break
                else:
                    raise RuntimeError('DHCP pool %s exhausted' % pool)
                self._taken[family].add(candidate)
                self._leases[key] = candidate
            return '%s/%d' % (self._leases[key], pool.prefixlen)


def _octets(mac):
    octets = [int(b, 16) for b in re.split('[:-]', mac)]
    if len(octets) != 6:
        raise ValueError('not a MAC address: %r' % mac)
    return octets


class _Capture:
    """Simulator stand-in for guest.boot_cloud_init(simulator=...): keeps the POST /_guest body instead of sending it."""

    def __init__(self):
        self.report = None

    def set_guest(self, vm, **report):
        self.report = dict(report)
        return {'vm': vm}


# -- the agent ----------------------------------------------------------------------------------------------------------

class GuestAgent:
    """Watches every VM of `sim` (a harness.Simulator, or attach(...)) and boots cloud-init guests (module docstring).

    Records for tests: boots (one dict per boot), errors ((vm name, message)), decisions ({vm name: what and why}),
    updates (UpdateSets processed); wait_for(predicate, timeout) waits on them without polling.
    """

    def __init__(self, sim, workers=2, match=None, max_wait=5, log=log_stderr):
        self.sim = sim
        self.workers = max(1, int(workers))
        self.match = re.compile(match) if match else None
        self.max_wait = max(1, int(max_wait))
        self.log = log or (lambda line: None)
        self.leases = Leases()
        self.boots = []
        self.errors = []
        self.decisions = {}
        self.updates = 0       # UpdateSets processed
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._failure = None
        self._jobs = queue.Queue()
        self._threads = []
        self._started = False
        self._watch_pc = None
        self._vms = {}         # moid -> watched properties (watcher thread only)
        self._power_ons = {}   # moid -> power-on transitions seen (generation when a VM has no boot time)
        self._done = {}        # moid -> generation booted (or failed)
        self._busy = set()     # moids with a boot queued or running
        self._pending = {}     # moid -> newer job, queued when the running boot ends

    # -- life cycle ---------------------------------------------------------------------------------------------------
    def start(self, timeout=60):
        """Start the watcher and workers; returns once the first view of all VMs is processed (raises if it cannot)."""
        if self._started:
            raise RuntimeError('a GuestAgent starts once; make a new one')
        self._started = True
        self._stopping.clear()
        watcher = threading.Thread(target=self._watch, name='guest-agent-watch', daemon=True)
        self._threads = [watcher] + [threading.Thread(target=self._work, name='guest-agent-boot-%d' % i, daemon=True)
                                     for i in range(self.workers)]
        for thread in self._threads:
            thread.start()
        if not self._ready.wait(timeout) or self._failure is not None:
            self.stop()
            raise harness.SimulatorError('guest agent could not watch %s: %s' % (self.sim.url, self._failure or 'timed out'))
        return self

    def stop(self, timeout=STOP_SECONDS):
        """Stop watching and booting; returns within `timeout` seconds (True when every thread ended by then)."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        for dummy in range(self.workers):
            self._jobs.put(None)
        watcher, workers = (self._threads[0], self._threads[1:]) if self._threads else (None, [])
        while watcher is not None and watcher.is_alive() and time.monotonic() < deadline:
            self._cancel_wait()
            watcher.join(min(0.25, max(0.0, deadline - time.monotonic())))
        for thread in workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads = []
        if alive:
            self.log('stopped; abandoned %s' % ', '.join(alive))
        return not alive

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def alive(self):
        return bool(self._threads) and self._threads[0].is_alive()

    def wait_for(self, predicate, timeout):
        """Wait until predicate(agent) is true (checked after every processed update and boot); returns its value."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def booted(self, name):
        """The boots of the VM called `name`, oldest first."""
        with self._cond:
            return [b for b in self.boots if b['vm'] == name]

    def _cancel_wait(self):
        pc = self._watch_pc
        if pc is not None:
            try:
                pc.CancelWaitForUpdates()
            except Exception:  # pylint: disable=broad-except
                pass

    # -- watcher ------------------------------------------------------------------------------------------------------
    def _watch(self):
        backoff = 0.5
        while not self._stopping.is_set():
            si = None
            try:
                si = self.sim.connect()
                self._watch_session(si)
                backoff = 0.5
            except Exception as exc:  # pylint: disable=broad-except
                if self._stopping.is_set():
                    break
                if not self._ready.is_set():
                    self._failure = '%s: %s' % (type(exc).__name__, getattr(exc, 'msg', None) or exc)
                    self._ready.set()
                    return
                self.log('watch failed (%s: %s); reconnecting in %.1fs' % (type(exc).__name__, getattr(exc, 'msg', None) or exc, backoff))
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._watch_pc = None
                if si is not None:
                    _disconnect(si)

    def _watch_session(self, si):
        from pyVmomi import vim, vmodl  # pylint: disable=import-outside-toplevel
        pcs = vmodl.query.PropertyCollector
        content = harness.service_content(si)
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        spec = pcs.FilterSpec(
            objectSet=[pcs.ObjectSpec(obj=view, skip=True, selectSet=[pcs.TraversalSpec(name='view', path='view', skip=False, type=vim.view.ContainerView)])],
            propSet=[pcs.PropertySpec(type=vim.VirtualMachine, pathSet=list(PATHS))])
        # A collector of its own: govmomi's simulator feeds updates to one waiting session collector only (the last
        # to call WaitForUpdatesEx with version ''), so a module waiting on the session collector would starve us.
        pc = content.propertyCollector.CreatePropertyCollector()
        pc.CreateFilter(spec, partialUpdates=False)
        self._watch_pc = pc
        version = ''
        try:
            while not self._stopping.is_set():
                try:
                    update = pc.WaitForUpdatesEx(version, pcs.WaitOptions(maxWaitSeconds=self.max_wait))
                except vmodl.fault.RequestCanceled:
                    continue
                if update is not None:
                    version = update.version
                    self._apply(si, update)
                if not self._ready.is_set() and (update is None or not update.truncated):
                    self.log('watching %d VMs at %s' % (len(self._vms), self.sim.url))
                    self._ready.set()
        finally:
            self._watch_pc = None
            for action in (pc.DestroyPropertyCollector, view.DestroyView):
                try:
                    action()
                except Exception:  # pylint: disable=broad-except
                    pass

    def _apply(self, si, update):
        """Fold one UpdateSet into the VMs' state; re-read extraConfig of modified VMs, then decide for each touched VM."""
        touched, stale = [], []
        for fset in update.filterSet or []:
            for oset in fset.objectSet or []:
                moid = oset.obj._moId  # pylint: disable=protected-access
                if oset.kind == 'leave':
                    self._forget(moid)
                    continue
                state = self._vms.setdefault(moid, {'ref': oset.obj, 'guestinfo': {}, 'macs': ()})
                seen_extra = False
                for change in oset.changeSet or []:
                    value = None if change.op in ('remove', 'indirectRemove') else change.val
                    if change.name in PATHS:
                        _set_property(state, change.name, value)
                        seen_extra = seen_extra or change.name == 'config.extraConfig'
                # The simulator stores guestinfo.* without a config.extraConfig change (every reconfigure reports
                # config.hardware.device); vCenter reports config.extraConfig["key"]: re-read it in both cases.
                if oset.kind == 'modify' and not seen_extra:
                    stale.append(oset.obj)
                touched.append(moid)
        if stale:
            for moid, props in _retrieve_many(si, stale, ['config.extraConfig']).items():
                if moid in self._vms:
                    _set_property(self._vms[moid], 'config.extraConfig', props.get('config.extraConfig'))
        for moid in dict.fromkeys(touched):
            if moid in self._vms:
                self._decide(moid)
        with self._cond:
            self.updates += 1
            self._cond.notify_all()

    def _decide(self, moid):
        state = self._vms[moid]
        name = state.get('name') or moid
        was_on = state.get('was_on', False)
        state['was_on'] = state.get('power') == 'poweredOn'
        if state['was_on'] and not was_on:
            self._power_ons[moid] = self._power_ons.get(moid, 0) + 1
        if self.match and not self.match.search(name):
            return self._decided(name, 'ignored: name does not match %s' % self.match.pattern)
        if state.get('template'):
            return self._decided(name, 'template')
        if state.get('power') != 'poweredOn':
            return self._decided(name, '%s: nothing to do' % (state.get('power') or 'power state unknown'))
        if METADATA not in state['guestinfo']:
            return self._decided(name, 'left alone: no guestinfo.metadata (GOSC or not bootstrapped)')
        keys = {k: v for k, v in state['guestinfo'].items() if k in CLOUD_INIT_KEYS}
        digest = hashlib.sha256(json.dumps(keys, sort_keys=True).encode()).hexdigest()[:16]
        boot = str(state.get('boot_time') or 'power-on %d' % self._power_ons.get(moid, 1))
        generation = (boot, digest, state['macs'])
        job = {'moid': moid, 'name': name, 'generation': generation}
        with self._cond:
            if self._done.get(moid) == generation or (self._pending.get(moid) or {}).get('generation') == generation:
                return None
            if moid in self._busy:
                self._pending[moid] = job
                return self._decided(name, 'cloud-init: boot queued behind a running one', locked=True)
            self._busy.add(moid)
            self._jobs.put(job)
            return self._decided(name, 'cloud-init: boot queued (%s, metadata %s)' % (boot, digest), locked=True)

    def _decided(self, name, what, locked=False):
        if locked:
            self.decisions[name] = what
        else:
            with self._cond:
                self.decisions[name] = what

    def _forget(self, moid):
        state = self._vms.pop(moid, None)
        self._power_ons.pop(moid, None)
        with self._cond:
            self._done.pop(moid, None)
            self._pending.pop(moid, None)
            if state and state.get('name'):
                self.decisions[state['name']] = 'gone'

    # -- workers ------------------------------------------------------------------------------------------------------
    def _work(self):
        si = None
        try:
            while not self._stopping.is_set():
                job = self._jobs.get()
                if job is None or self._stopping.is_set():
                    break
                started = time.monotonic()
                retry = None
                try:
                    if si is None:
                        si = self.sim.connect()
                    record = self._boot(si, job)
                    if record is not None:
                        record['seconds'] = round(time.monotonic() - started, 3)
                        with self._cond:
                            self.boots.append(record)
                            self.decisions[job['name']] = 'cloud-init: booted'
                        self.log(_describe(record))
                except Exception as exc:  # pylint: disable=broad-except
                    message = '%s: %s' % (type(exc).__name__, getattr(exc, 'msg', None) or exc)
                    last_line = message.strip().splitlines()[-1] if message.strip() else message
                    attempt = job.get('attempt', 0)
                    if not isinstance(exc, guest.GuestError) and attempt < len(RETRY_DELAYS) and not self._stopping.is_set():
                        retry = dict(job, attempt=attempt + 1)
                        self.log('%s: boot failed (%s); trying again in %.0f s' % (job['name'], last_line, RETRY_DELAYS[attempt]))
                    else:
                        with self._cond:
                            self.errors.append((job['name'], message))
                            self.decisions[job['name']] = 'cloud-init: boot failed'
                        self.log('%s: boot failed: %s' % (job['name'], last_line))
                    if not isinstance(exc, (guest.GuestError, harness.SimulatorError)):
                        _disconnect(si)
                        si = None  # a broken session: connect again for the next job
                finally:
                    if retry is None:
                        self._finish(job)
                    else:
                        self._retry_later(retry, RETRY_DELAYS[retry['attempt'] - 1])
        finally:
            if si is not None:
                _disconnect(si)

    def _retry_later(self, job, delay):
        """Queue `job` again after `delay` seconds (its VM stays busy meanwhile); a newer generation of the VM that came
        in while it waited goes instead."""
        def requeue():
            with self._cond:
                if self._stopping.is_set():
                    return
                self.decisions[job['name']] = 'cloud-init: boot queued again (attempt %d)' % (job['attempt'] + 1)
                self._jobs.put(self._pending.pop(job['moid'], None) or job)

        timer = threading.Timer(delay, requeue)
        timer.daemon = True
        timer.start()

    def _finish(self, job):
        with self._cond:
            moid = job['moid']
            self._done[moid] = job['generation']
            self._busy.discard(moid)
            follow = self._pending.pop(moid, None)
            if follow is not None and not self._stopping.is_set():
                self._busy.add(moid)
                self._jobs.put(follow)
            self._cond.notify_all()

    def _boot(self, si, job):
        """Boot one cloud-init guest: cloud-init's view, DHCP leases for its DHCP interfaces, POST /_guest."""
        from pyVmomi import vim  # pylint: disable=import-outside-toplevel
        vm = vim.VirtualMachine(job['moid'], si._stub)  # pylint: disable=protected-access
        capture = _Capture()
        view = guest.boot_cloud_init(si, vm, report=False, simulator=capture)
        report = capture.report or {'net': []}
        leases = {}
        for iface in view['interfaces']:
            mac = iface.get('mac_address')
            entry = next((n for n in report['net'] if mac and n['macAddress'].lower() == mac), None)
            if entry is None or not (iface.get('dhcp4') or iface.get('dhcp6')):
                continue
            got = ([self.leases.v4(mac, job['moid'])] if iface.get('dhcp4') else []) + ([self.leases.v6(mac, job['moid'])] if iface.get('dhcp6') else [])
            entry['ipAddresses'] = list(entry['ipAddresses']) + got
            leases[entry['macAddress']] = got
        if self._stopping.is_set():
            return None
        self.sim.set_guest(job['moid'], **report)
        return {'vm': job['name'], 'moid': job['moid'], 'host_name': view.get('host_name'), 'generation': job['generation'],
                'net': {n['macAddress']: list(n['ipAddresses']) for n in report['net']}, 'leases': leases,
                'unmatched_macs': view.get('unmatched_macs') or []}


def _set_property(state, name, value):
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    if name == 'name':
        state['name'] = value
    elif name == 'config.template':
        state['template'] = bool(value)
    elif name == 'runtime.powerState':
        state['power'] = str(value) if value is not None else None
    elif name == 'summary.runtime.bootTime':
        state['boot_time'] = value.isoformat() if hasattr(value, 'isoformat') else value
    elif name == 'config.extraConfig':
        state['guestinfo'] = {o.key: o.value for o in value or [] if str(o.key).startswith('guestinfo.')}
    elif name == 'config.hardware.device':
        state['macs'] = tuple(d.macAddress.lower() for d in value or [] if isinstance(d, vim.vm.device.VirtualEthernetCard) and d.macAddress)


def _retrieve_many(si, refs, paths):
    """{moid: {path: value}} of several VMs in one RetrievePropertiesEx (one by one when one of them is gone)."""
    from pyVmomi import vim, vmodl  # pylint: disable=import-outside-toplevel
    pcs = vmodl.query.PropertyCollector
    pc = harness.service_content(si).propertyCollector
    spec = pcs.FilterSpec(objectSet=[pcs.ObjectSpec(obj=r, skip=False) for r in refs], propSet=[pcs.PropertySpec(type=vim.VirtualMachine, pathSet=paths)])
    out = {}
    try:
        res = pc.RetrievePropertiesEx([spec], pcs.RetrieveOptions())
        while res:
            for obj in res.objects or []:
                out[obj.obj._moId] = {p.name: p.val for p in obj.propSet}  # pylint: disable=protected-access
            res = pc.ContinueRetrievePropertiesEx(res.token) if res.token else None
    except vmodl.fault.ManagedObjectNotFound:
        if len(refs) == 1:
            return {}
        for ref in refs:
            out.update(_retrieve_many(si, [ref], paths))
    return out


def _disconnect(si):
    try:
        from pyVim.connect import Disconnect  # pylint: disable=import-outside-toplevel
        Disconnect(si)
    except Exception:  # pylint: disable=broad-except
        pass


def _describe(record):
    nics = []
    for mac, addresses in record['net'].items():
        leased = set(record['leases'].get(mac, ()))
        nics.append('%s %s' % (mac, ' '.join(a + (' (dhcp)' if a in leased else '') for a in addresses) or '-'))
    extra = '; unmatched MACs in network config: %s' % ', '.join(record['unmatched_macs']) if record['unmatched_macs'] else ''
    return '%s booted (cloud-init, %.1fs): host %s; %s%s' % (
        record['vm'], record['seconds'], record['host_name'] or '-', '; '.join(nics) or 'no NIC configured', extra)


# -- command line -------------------------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--foreground', action='store_true', help='run until SIGTERM/SIGINT (the default)')
    mode.add_argument('--background', action='store_true', help='start a detached agent, wait until it watches, exit (needs --pid-file)')
    mode.add_argument('--stop', action='store_true', help='stop the agent of --pid-file')
    mode.add_argument('--inspect', nargs='+', metavar='VM', help="print cloud-init's view of these VMs' guestinfo (JSON, one object by VM name), "
                      'decoded by cloud-init as a booting guest would; reports nothing to vCenter')
    parser.add_argument('--url', help='https://HOST:PORT/sdk (default: from VMWARE_HOST and VMWARE_PORT)')
    parser.add_argument('--cert', help='CA file to verify the simulator with (default: $SSL_CERT_FILE)')
    parser.add_argument('--insecure', action='store_true', help='do not verify the certificate (default when VMWARE_VALIDATE_CERTS=false)')
    parser.add_argument('--username', help='default: $VMWARE_USER')
    parser.add_argument('--password', help='default: $VMWARE_PASSWORD')
    parser.add_argument('--workers', type=int, default=2, help='guests booted at once (default 2)')
    parser.add_argument('--match', help='only VMs whose name matches this regular expression')
    parser.add_argument('--max-wait', type=int, default=5, help='maxWaitSeconds of each WaitForUpdatesEx (default 5)')
    parser.add_argument('--pid-file', help='written while the agent runs (removed at exit); --background/--stop use it')
    parser.add_argument('--log-file', help='with --background: where the agent logs (default: PID_FILE.log)')
    return parser.parse_args(argv)


def connection(args, env=None):
    """(url, username, password, cert file or None) from the arguments, else the VMWARE_* environment of run.py."""
    env = os.environ if env is None else env
    url = args.url
    if not url and env.get('VMWARE_HOST'):
        host = env['VMWARE_HOST']
        url = 'https://%s:%s/sdk' % ('[%s]' % host if ':' in host else host, env.get('VMWARE_PORT') or '443')
    username = args.username or env.get('VMWARE_USER') or env.get('VMWARE_USERNAME')
    password = args.password if args.password is not None else env.get('VMWARE_PASSWORD')
    insecure = args.insecure or str(env.get('VMWARE_VALIDATE_CERTS', 'true')).lower() in ('false', 'no', '0', 'off')
    cert = None if insecure else (args.cert or env.get('SSL_CERT_FILE') or env.get('REQUESTS_CA_BUNDLE'))
    missing = [n for n, v in (('--url or VMWARE_HOST', url), ('--username or VMWARE_USER', username), ('--password or VMWARE_PASSWORD', password)) if not v]
    if missing:
        raise SystemExit('guest_agent.py: missing %s' % ', '.join(missing))
    return url, username, password, cert


def main(argv=None):
    args = parse_args(argv)
    if args.stop:
        return stop(args.pid_file)
    url, username, password, cert = connection(args)
    if args.inspect:
        return inspect(attach(url, username, password, cert), args.inspect)
    if args.background:
        return background(args, url, username, password, cert)
    return foreground(args, url, username, password, cert)


def inspect(sim, names):
    """What a cloud-init guest makes of each VM's guestinfo (host name, interfaces with MACs and addresses, routes)."""
    si = sim.connect()
    views = {}
    for name in names:
        try:
            view = guest.boot_cloud_init(si, name, report=False)
        except (guest.GuestError, harness.SimulatorError) as exc:
            views[name] = {'error': str(exc)}
            continue
        views[name] = {key: view[key] for key in ('host_name', 'fqdn', 'interfaces', 'unmatched_macs')}
    print(json.dumps(views, indent=2, sort_keys=True))
    return 1 if any('error' in view for view in views.values()) else 0


def foreground(args, url, username, password, cert):
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *a: stopping.set())
    agent = GuestAgent(attach(url, username, password, cert), workers=args.workers, match=args.match, max_wait=args.max_wait)
    try:
        agent.start()
    except harness.SimulatorError as exc:
        log_stderr(str(exc))
        return 1
    pid_file = Path(args.pid_file) if args.pid_file else None
    if pid_file:
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(json.dumps({'pid': os.getpid(), 'url': url, 'program': 'guest_agent.py'}) + '\n', encoding='utf-8')
    print(json.dumps({'pid': os.getpid(), 'url': url, 'vms': len(agent.decisions)}), flush=True)  # the ready line
    try:
        while not stopping.wait(1.0) and agent.alive:
            pass
    finally:
        agent.stop()
        if pid_file and pid_file.is_file() and _pid_of(pid_file) == os.getpid():
            pid_file.unlink()
    log_stderr('stopped after %d boots, %d failed' % (len(agent.boots), len(agent.errors)))
    return 0


def background(args, url, username, password, cert, timeout=60):
    """Start `--foreground` detached (password through the environment), wait for its ready line, report its pid."""
    if not args.pid_file:
        raise SystemExit('guest_agent.py --background needs --pid-file (for --stop)')
    log_file = Path(args.log_file or args.pid_file + '.log')
    log_file.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), '--foreground', '--url', url, '--username', username,
           '--workers', str(args.workers), '--max-wait', str(args.max_wait), '--pid-file', str(args.pid_file)]
    cmd += ['--cert', cert] if cert else ['--insecure']
    cmd += ['--match', args.match] if args.match else []
    env = dict(os.environ, VMWARE_PASSWORD=password)
    with open(log_file, 'ab') as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env,  # pylint: disable=consider-using-with
                                start_new_session=True)
    line, deadline = b'', time.monotonic() + timeout
    while not line.endswith(b'\n') and time.monotonic() < deadline and proc.poll() is None:
        ready, dummy, dummy = select.select([proc.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
    proc.stdout.close()
    if not line.endswith(b'\n'):
        if proc.poll() is None:
            proc.terminate()
        print('guest agent did not start; see %s:\n%s' % (log_file, log_file.read_text(encoding='utf-8', errors='replace')[-2000:]),
              file=sys.stderr)
        return 1
    print('# guest agent pid %d watching %s (log: %s)' % (proc.pid, url, log_file))
    return 0


def _pid_of(pid_file):
    try:
        return int(json.loads(Path(pid_file).read_text(encoding='utf-8'))['pid'])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stop(pid_file, timeout=10):
    """SIGTERM the agent of pid_file (only when that process is a guest_agent.py) and wait for it to end."""
    if not pid_file or not Path(pid_file).is_file():
        print('guest_agent.py --stop needs the --pid-file of a running agent', file=sys.stderr)
        return 2
    pid = _pid_of(pid_file)
    try:
        cmdline = Path('/proc/%d/cmdline' % pid).read_bytes() if pid else b''
    except OSError:
        cmdline = b''
    if pid and b'guest_agent.py' in cmdline:
        _terminate(pid, timeout)
    else:
        print('guest agent %s is not running; removing %s' % (pid, pid_file), file=sys.stderr)
    if Path(pid_file).is_file():
        Path(pid_file).unlink()
    return 0


def _terminate(pid, timeout):
    """SIGTERM pid and wait until it has exited (a pidfd when the kernel has them), at most `timeout` seconds."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    if pidfd is not None:
        try:
            select.select([pidfd], [], [], timeout)
        finally:
            os.close(pidfd)
        return
    cmdline = Path('/proc/%d/cmdline' % pid)
    while time.monotonic() < deadline and b'guest_agent.py' in _read(cmdline):
        time.sleep(0.05)


def _read(path):
    try:
        return path.read_bytes()
    except OSError:
        return b''


if __name__ == '__main__':
    sys.exit(main())
