# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start a guestnet-vcsim simulator for a person or a demo and print its connection as shell exports.

    python3 tests/simulator/run.py --foreground [--vms-per-pool 2] [--listen 127.0.0.1:8989]   # Ctrl-C stops it
    eval "$(python3 tests/simulator/run.py --background --pid-file build/simulator/demo.pid)"  # keeps running
    python3 tests/simulator/run.py --stop --pid-file build/simulator/demo.pid
    python3 tests/simulator/run.py --foreground --content-library images   # with a content library (see below)

--content-library NAME creates, once the simulator is up, the local content library NAME on LocalDS_0 with a VM template
item linux-vmtx (from the template linux-template) and an OVF item linux-ovf (ubuntu64Guest, one vmxnet3 NIC on
"VM Network", a 1 GiB disk, vApp properties hostname, instance-id, user-data), through the vAPI as a client would
(content_library.setup_demo_library); the call counters are reset afterwards.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402  pylint: disable=wrong-import-position


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--foreground', action='store_true', help='run until interrupted (the default)')
    mode.add_argument('--background', action='store_true', help='leave the simulator running and exit (see --pid-file)')
    mode.add_argument('--stop', action='store_true', help='stop the simulator of --pid-file')
    parser.add_argument('--listen', default='127.0.0.1:0', help='loopback host:port (default: a free port on 127.0.0.1)')
    parser.add_argument('--datacenters', type=int)
    parser.add_argument('--clusters', type=int)
    parser.add_argument('--hosts-per-cluster', type=int)
    parser.add_argument('--standalone-hosts', type=int)
    parser.add_argument('--vms-per-pool', type=int)
    parser.add_argument('--resource-pools', type=int)
    parser.add_argument('--distributed-portgroups', type=int)
    parser.add_argument('--datastores', type=int)
    parser.add_argument('--standard-portgroups', help='NAME[:VLAN],...')
    parser.add_argument('--templates', help='NAME=GUESTID,...')
    parser.add_argument('--latency-ms', type=int)
    parser.add_argument('--content-library', metavar='NAME',
                        help='create content library NAME with the items linux-vmtx (VM template) and linux-ovf (OVF)')
    parser.add_argument('--customization-delay-ms', help='STARTED_MS[,OUTCOME_MS]: when the customization events come')
    parser.add_argument('--username')
    parser.add_argument('--password')
    parser.add_argument('--env-file', help='also write the export lines to this file')
    parser.add_argument('--env-json', help='also write the connection (the exported variables) to this file as a JSON object')
    parser.add_argument('--pid-file', help='with --background/--stop: where the pid and connection are kept')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.stop:
        return stop(args.pid_file)
    size = {key: getattr(args, key) for key in harness.SIZE_FLAGS if getattr(args, key, None) is not None}
    for key in ('standard_portgroups', 'templates', 'username', 'password'):
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    if args.customization_delay_ms:
        size['customization_delay_ms'] = [int(v) for v in args.customization_delay_ms.split(',')]
    sim = harness.Simulator.start(listen=args.listen, detach=args.background, **size)
    library = None
    if args.content_library:
        try:
            library = content_library_setup(sim, args.content_library)
        except Exception:
            sim.stop()
            raise
    exports = sim.exports()
    header = '# guestnet-vcsim pid %d at %s (admin: %s/_calls, /_faults, /_guest, /_customization), started in %.2fs' % (
        sim.process.pid, sim.url, sim.base_url, sim.started_in)
    if library:
        header += '\n# content library %s (%s): linux-vmtx %s, linux-ovf %s' % (
            args.content_library, library['library'], library['linux-vmtx'], library['linux-ovf'])
    print(header)
    print(exports, flush=True)
    if args.env_file:
        Path(args.env_file).write_text(header + '\n' + exports + '\n', encoding='utf-8')
    if args.env_json:
        Path(args.env_json).write_text(json.dumps(sim.env(), indent=2) + '\n', encoding='utf-8')
    if args.background:
        if args.pid_file:
            state = {'pid': sim.process.pid, 'url': sim.url, 'info': sim.info}
            if library:
                state['content_library'] = dict(library, name=args.content_library)
            Path(args.pid_file).write_text(json.dumps(state) + '\n', encoding='utf-8')
        return 0
    stopping = []
    signal.signal(signal.SIGTERM, lambda *a: stopping.append(True))
    try:
        while not stopping and sim.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    sim.stop()
    return 0


def content_library_setup(sim, name):
    """The demo's content library (content_library.setup_demo_library), then the sessions end and the counters reset."""
    import content_library  # pylint: disable=import-outside-toplevel
    try:
        return content_library.setup_demo_library(sim, name)
    finally:
        si = getattr(sim, '_content_library_si', None)
        if si is not None:
            from pyVim.connect import Disconnect  # pylint: disable=import-outside-toplevel
            Disconnect(si)
        sim.rest_logout()
        sim.reset_calls()


def stop(pid_file):
    if not pid_file or not Path(pid_file).is_file():
        print('run.py --stop needs the --pid-file written by --background', file=sys.stderr)
        return 2
    pid = json.loads(Path(pid_file).read_text(encoding='utf-8'))['pid']
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    Path(pid_file).unlink()
    return 0


if __name__ == '__main__':
    sys.exit(main())
