# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the tests that run guestnet.vsphere.vm against the shared simulator (test_vm.py, test_faults.py): run
steps in one playbook, read a VM back with pyVmomi, remove a test's VMs."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import itertools

import pytest

import harness

vim = pytest.importorskip('pyVmomi').vim
vmodl = pytest.importorskip('pyVmomi').vmodl

MUTATING = {'CloneVM_Task', 'ReconfigVM_Task', 'CustomizeVM_Task', 'PowerOnVM_Task', 'PowerOffVM_Task', 'ShutdownGuest', 'ResetVM_Task',
            'RebootGuest', 'Destroy_Task', 'SuspendVM_Task'}
_RUNS = itertools.count()


class Outcome(harness.StepOutcome):
    @property
    def mutating(self):
        return {method: count for method, count in self.calls.items() if method in MUTATING}

    @property
    def steps(self):
        return self.result.get('steps', {})


def run(sim, collections_path, tmp_path, *steps, unprivileged=False):
    """The vm module once per step (module arguments, plus run_steps' _check_mode, _module and _faults) in one playbook."""
    return harness.run_steps(sim, 'guestnet.vsphere.vm', steps, collections_path=collections_path, workdir=tmp_path / ('run%d' % next(_RUNS)),
                             outcome=Outcome, unprivileged=unprivileged)


def vm_props(si, name, paths=('runtime.powerState', 'config.extraConfig', 'config.hardware.device', 'guest.net', 'guest.hostName',
                              'config.tools.pendingCustomization')):
    for vm, props in harness.retrieve_view(si, vim.VirtualMachine, ['name']):
        if props['name'] == name:
            return vm, harness.retrieve(si, vm, list(paths))
    return None, {}


def nics(props):
    return [device for device in props.get('config.hardware.device') or [] if isinstance(device, vim.vm.device.VirtualEthernetCard)]


def extra(props):
    return {option.key: option.value for option in props.get('config.extraConfig') or []}


def remove_vms(si, sim, prefix):
    """Power off and delete the VMs whose names start with prefix (a test module's cleanup); faults cleared first."""
    sim.clear_faults()
    for vm, props in harness.retrieve_view(si, vim.VirtualMachine, ['name', 'runtime.powerState']):
        if props['name'].startswith(prefix):
            try:
                if props['runtime.powerState'] != 'poweredOff':
                    harness.wait_task(si, vm.PowerOffVM_Task())
                harness.wait_task(si, vm.Destroy_Task())
            except vmodl.MethodFault:
                pass
