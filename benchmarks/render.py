# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render benchmark: parse, resolve and render N network specs (1-10 interfaces each) through every renderer.

Reports specs per second (median of several rounds, min-max). A benchmark, not a test: it asserts nothing
about time.

    PYTHONPATH=build/dev python3 benchmarks/render.py --specs 10000 --rounds 5
"""

import argparse
import platform
import random
import statistics
import sys
import time

from ansible_collections.guestnet.vsphere.plugins.module_utils._render._cloudinit import dump_metadata, guestinfo, render_metadata
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import render_linux_prep, render_sysprep
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._netplan import render_netplan
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._vapp import first_ip, first_nic_mac, format_nameservers
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec


def make_spec(index, interfaces):
    """A realistic spec: static dual-stack on the first NIC, static IPv4 or DHCP on the others.

    It stays inside what GOSC accepts too (one IPv4 address per NIC, no routes or MTU), so the same
    resolved network goes through every renderer.
    """
    nics = []
    for nic in range(interfaces):
        if nic % 3 == 2:
            nics.append({'name': 'eth%d' % nic, 'network': 'pg%d' % nic, 'dhcp4': True})
            continue
        octet = 10 + nic
        nic_spec = {'name': 'eth%d' % nic, 'network': 'pg%d' % nic,
                    'addresses': ['10.%d.%d.%d/24' % (octet, index // 250 % 250, index % 250 + 2)]}
        if nic == 0:
            nic_spec['addresses'].append('2001:db8:%x::%x/64' % (nic, index + 2))
            nic_spec['gateway4'] = '10.%d.%d.1' % (octet, index // 250 % 250)
            nic_spec['gateway6'] = '2001:db8:%x::1' % nic
        nics.append(nic_spec)
    return {'host_name': 'vm%05d' % index, 'domain_name': 'example.com', 'nameservers': ['10.0.0.53', '10.0.0.54'],
            'search_domains': ['example.com'], 'interfaces': nics}


def macs_for(index, interfaces):
    return {'eth%d' % nic: '00:50:56:%02x:%02x:%02x' % (nic, index // 256 % 256, index % 256) for nic in range(interfaces)}


def render_all(raw, macs, index):
    spec = parse_network_spec(raw)
    net = resolve(spec, vm_name=raw['host_name'], macs=macs)
    config = intended_config(net)
    metadata = render_metadata(net, instance_id='iid-%d' % index)
    guestinfo(dump_metadata(metadata))
    render_netplan(net, gateway_style='default_route')
    render_linux_prep(net, time_zone='UTC')
    render_sysprep(net, password='secret', join_workgroup='WORKGROUP')
    first_ip(config)
    first_nic_mac(config)
    format_nameservers(config)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--specs', type=int, default=10000)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--seed', type=int, default=42)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    work = []
    for index in range(args.specs):
        interfaces = rng.randint(1, 10)
        work.append((make_spec(index, interfaces), macs_for(index, interfaces), index))

    rates = []
    for _round in range(args.rounds):
        started = time.perf_counter()
        for raw, macs, index in work:
            render_all(raw, macs, index)
        rates.append(args.specs / (time.perf_counter() - started))

    nics = sum(len(raw['interfaces']) for raw, _macs, _index in work)
    print('# render benchmark: %d specs (%d interfaces, %.1f per spec), %d rounds' % (args.specs, nics, nics / args.specs, args.rounds))
    print('# python %s on %s, %s' % (platform.python_version(), platform.machine(), platform.processor() or 'cpu'))
    print('| measure | value |')
    print('|---|---|')
    print('| median specs/s (parse + resolve + intended config + netplan + metadata + guestinfo + LinuxPrep + Sysprep + vApp helpers) | %.0f |'
          % statistics.median(rates))
    print('| min-max specs/s | %.0f-%.0f |' % (min(rates), max(rates)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
