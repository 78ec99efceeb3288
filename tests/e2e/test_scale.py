# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One VM costs the same on a 100-VM and a 5,000-VM vCenter: the same SOAP calls, whatever the inventory's size.

A VM found by name and datacenter is one SearchIndex.FindByInventoryPath and one read of that VM (its folders, pool,
networks and the switches with it); nothing reads the other VMs or the placement objects. The wall times of both runs
go to tests/output/scale.json (measured, not asserted: the machine's load decides them; benchmarks/bench.py's scale
scenario reports their medians).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import time
from pathlib import Path

import harness

OUTPUT = Path(__file__).resolve().parent.parent / 'output'
SIZES = {'small': 50, 'large': 2500}     # VMs per pool: the cluster's root pool and the standalone host, so 100 and 5,000 VMs
SESSION = {'RetrieveServiceContent': 1, 'Login': 1, 'Logout': 1}
NOOP = dict(SESSION, FindByInventoryPath=1, RetrievePropertiesEx=1, total=5)


def test_a_one_vm_no_op_costs_the_same_on_5000_vms(tmp_path):
    steps = [
        {'_module': 'guestnet.vsphere.vm_power', 'name': 'DC0_H0_VM0', 'datacenter': 'DC0', 'state': 'powered_on'},
        {'_module': 'guestnet.vsphere.vm_network', 'name': 'DC0_H0_VM0', 'datacenter': 'DC0',
         'network': {'host_name': 'dc0-h0-vm0', 'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0'}]}},
    ]
    figures = {}
    for label, per_pool in SIZES.items():
        with harness.Simulator.start(vms_per_pool=per_pool) as sim:
            collections = harness.stage_collection(tmp_path / ('collections-%s' % label))
            # the first run records the interface on the NIC (a change); the second is the no-op measured
            harness.run_steps(sim, 'guestnet.vsphere.vm_power', steps[1:], collections_path=collections, workdir=tmp_path / ('warm-' + label))
            started = time.monotonic()
            outcomes = harness.run_steps(sim, 'guestnet.vsphere.vm_power', steps, collections_path=collections, workdir=tmp_path / label)
            seconds = time.monotonic() - started
            for outcome in outcomes:
                assert outcome.status == 'ok' and outcome.changed is False, outcome.msg
                assert outcome.calls == NOOP, (label, outcome.calls)
            figures[label] = {'vms': sim.inventory['vms'], 'calls': [outcome.calls for outcome in outcomes], 'playbook_seconds': round(seconds, 2)}
    assert figures['small']['vms'] < 110 and figures['large']['vms'] > 5000
    assert figures['small']['calls'] == figures['large']['calls']
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / 'scale.json').write_text(json.dumps(figures, indent=2, sort_keys=True) + '\n', encoding='utf-8')
