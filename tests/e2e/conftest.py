# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest fixtures for tests against the govmomi simulator (tests/simulator/).

simulator          session: one simulator on a free loopback port (built once, cached in build/simulator/);
                   url, host, port, username, password, cert_file, calls(), reset_calls(), inject_fault(...),
                   clear_faults(), set_guest(...), connect(), env(), module_defaults(), log()
service_instance   session: a pyVmomi ServiceInstance on it, certificate validation on
fresh_calls        per test: faults cleared and call counters reset before the test; yields the simulator
collections_path   session: the collection staged into TMP/ansible_collections/guestnet/vsphere (for run_playbook)

Inventory of the shared simulator: DC0; cluster DC0_C0 (hosts DC0_C0_H0..2, pool Resources with VMs
DC0_C0_RP0_VM0..1); standalone host DC0_H0 (VMs DC0_H0_VM0..1); datastore LocalDS_0; networks "VM Network",
PG-VLAN100 (VLAN 100) and PG-VLAN200 (VLAN 200) on every host, DC0_DVPG0 and DC0_DVPG1 on DVS0; templates
linux-template (ubuntu64Guest), windows-template (windows2019srv_64Guest), vapp-template (ubuntu64Guest with vApp
properties), each with one vmxnet3 NIC on "VM Network". Tests that need another size start their own
(harness.Simulator.start(...)) and stop it.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import sys
from pathlib import Path

import pytest

SIMULATOR_DIR = Path(__file__).resolve().parent.parent / 'simulator'
if str(SIMULATOR_DIR) not in sys.path:
    sys.path.insert(0, str(SIMULATOR_DIR))

import harness  # noqa: E402  pylint: disable=wrong-import-position

SHARED_SIZE = {
    'distributed_portgroups': 2,
    'standard_portgroups': ['PG-VLAN100:100', 'PG-VLAN200:200'],
}


@pytest.fixture(scope='session')
def simulator():
    """The shared simulator of this test session."""
    sim = harness.Simulator.start(**SHARED_SIZE)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope='session')
def service_instance(simulator):  # pylint: disable=redefined-outer-name
    """A pyVmomi ServiceInstance on the shared simulator."""
    from pyVim.connect import Disconnect  # pylint: disable=import-outside-toplevel
    si = simulator.connect()
    try:
        yield si
    finally:
        if simulator.running:
            Disconnect(si)


@pytest.fixture
def fresh_calls(simulator):  # pylint: disable=redefined-outer-name
    """Clear injected faults and reset the call counters before the test."""
    simulator.clear_faults()
    simulator.reset_calls()
    yield simulator
    simulator.clear_faults()


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """The collection staged once per session into a collections path."""
    return harness.stage_collection(tmp_path_factory.mktemp('collections'))
