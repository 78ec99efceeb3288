#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: vm_power
short_description: Power a VM on, off, suspend or restart it, with VM Operator's transitions and power op modes
version_added: 0.1.0
author: guestnet.vsphere contributors (@guestnet)
description:
  - Brings a VM to a power state the way VMware VM Operator does with C(spec.powerState), C(spec.powerOffMode),
    C(spec.suspendMode), C(spec.restartMode) and C(spec.nextRestartTime), on plain vCenter.
  - 'The transitions follow VM Operator''s table. From C(poweredOn): every state. From C(poweredOff): V(powered_on),
    and V(suspended) only with O(mode=hard) (the VM is powered on, then suspended; note that VM Operator''s webhook
    refuses this move although its documentation allows it). From C(suspended): only V(powered_on) (a resume);
    powering off or restarting a suspended VM is refused, as the table says. A refused move fails before any change,
    naming the observed power state and the allowed moves.'
  - Requesting the state the VM is already in changes nothing.
  - Powering on (and resuming) is always the hard C(PowerOnVM_Task), as in VM Operator.
  - Unlike the C(shutdown-guest) state of community.vmware and vmware.vmware, a soft power-off or suspend waits until
    vCenter reports the requested power state (O(wait)), so the next task does not run against a VM that is still on.
  - The VM is read with one inventory traversal and one property read; a task is awaited with a property filter,
    never by polling.
options:
  state:
    description:
      - The power state to bring the VM to.
      - V(restarted) restarts a powered-on VM; see O(next_restart_time) for idempotent restarts.
    type: str
    required: true
    choices: [powered_on, powered_off, suspended, restarted]
  mode:
    description:
      - How the VM is powered off, suspended or restarted (VM Operator's power op modes).
      - V(hard) halts, suspends or resets the VM without the guest (C(PowerOffVM_Task), C(SuspendVM_Task), C(ResetVM_Task)).
      - V(soft) asks the guest to shut down, go to standby or reboot (C(ShutdownGuest), C(StandbyGuest), C(RebootGuest)).
        This needs VMware Tools running in the guest (C(guest.toolsRunningStatus)); the module fails before any
        change when they are not.
      - V(try_soft) makes the soft call, and falls back to the hard one when the soft call fails or the VM has not
        reached the requested state within O(soft_timeout). When VMware Tools is not running it goes straight to the
        hard call. A restart falls back only when C(RebootGuest) fails (a guest reboot cannot be observed in the power state).
        RV(power.fallback) and RV(power.path) report the path taken.
    type: str
    choices: [hard, soft, try_soft]
    default: try_soft
  soft_timeout:
    description:
      - With O(mode=try_soft), how many seconds to wait for the guest to power off or suspend before the hard fallback.
        VM Operator waits five minutes.
    type: int
    default: 300
  wait:
    description:
      - After a soft power-off or suspend, wait until vCenter reports the requested power state (bounded by O(timeout),
        or by O(soft_timeout) before a V(try_soft) fallback).
      - With V(false) the module returns once the guest accepted the request; with O(mode=try_soft) the hard fallback
        then happens only when the soft call fails.
      - Tasks (every hard call, and powering on) are always awaited, since a task ends when its power state is reached.
    type: bool
    default: true
  timeout:
    description:
      - How many seconds to wait for a task, or for the requested power state after a soft call with O(mode=soft).
    type: int
    default: 600
  next_restart_time:
    description:
      - Used with O(state=restarted), like VM Operator's C(spec.nextRestartTime).
      - V(now) (any case), or no value, restarts the VM every time.
      - 'An RFC 3339 timestamp (for example V(2026-05-01T12:00:00Z), fractions up to nanoseconds, a UTC offset is required)
        restarts the VM only when it is later than the last restart recorded on the VM and not in the future,
        so re-running a play with the same timestamp does not restart the VM again. A timestamp in the future restarts
        nothing and warns (as VM Operator ignores it until it has passed; restarts are not scheduled).'
      - An empty string asks for no restart (VM Operator keeps the previous value).
      - After each restart the module records the restart time (RFC 3339 with nanoseconds, UTC; the timestamp given, or
        the time of V(now)) in the VM's C(guestnet.lastRestartTime) extraConfig key.
      - A powered-off or suspended VM cannot be restarted; the module fails unless the timestamp was already honoured.
    type: str
notes:
  - O(name), O(uuid), O(instance_uuid) and O(moid) are mutually exclusive. Templates are never selected.
  - The module reads C(runtime.powerState) and C(guest.toolsRunningStatus) (and C(config.extraConfig) for restarts)
    after selecting the VM; a no-op costs five SOAP calls including login and logout.
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.vm_selector
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
  - guestnet.vsphere.attributes.action
attributes:
  check_mode:
    support: full
    details: Reads the VM and reports the calls it would make in RV(power.planned), without making them.
  diff_mode:
    support: full
    details: The power state (and the last restart time for O(state=restarted)) before and after.
seealso:
  - name: VM Operator power states
    description: The transition table and power op modes this module follows.
    link: https://github.com/vmware-tanzu/vm-operator/blob/main/docs/concepts/workloads/vm.md#power-states
'''

EXAMPLES = r'''
- name: Power on a VM (or resume it when it is suspended)
  guestnet.vsphere.vm_power:
    hostname: vcenter.example.com
    username: automation@vsphere.local
    password: "{{ vcenter_password }}"
    name: web01
    datacenter: DC0
    state: powered_on
  delegate_to: localhost

- name: Shut the guest down; power the VM off if it has not stopped within two minutes
  guestnet.vsphere.vm_power:
    name: web01
    state: powered_off
    mode: try_soft
    soft_timeout: 120
  delegate_to: localhost

- name: Suspend through the guest only (fails before any change when VMware Tools is not running)
  guestnet.vsphere.vm_power:
    moid: vm-42
    state: suspended
    mode: soft
  delegate_to: localhost

- name: Restart once per change request; re-running the play with the same timestamp does not restart again
  guestnet.vsphere.vm_power:
    uuid: 4213a5c1-8b2a-4e3c-9f00-2d3a9e2b7c11
    state: restarted
    mode: try_soft
    next_restart_time: "2026-05-01T12:00:00Z"
  delegate_to: localhost

- name: Restart now, the hard way
  guestnet.vsphere.vm_power:
    name: web01
    folder: /DC0/vm/web
    state: restarted
    mode: hard
    next_restart_time: now
  delegate_to: localhost
'''

RETURN = r'''
vm:
  description: The VM.
  returned: success
  type: dict
  contains:
    name:
      description: Its name.
      type: str
      sample: web01
    moid:
      description: Its managed object ID.
      type: str
      sample: vm-42
    path:
      description: Its inventory path.
      type: str
      sample: /DC0/vm/web/web01
power:
  description: What the module found and did.
  returned: always, when the VM was found
  type: dict
  contains:
    before:
      description: The power state found (C(runtime.powerState)).
      type: str
      sample: poweredOn
    after:
      description: The power state the VM was brought to (in check mode, would be brought to).
      type: str
      sample: poweredOff
    state:
      description: The requested O(state).
      type: str
      sample: powered_off
    mode:
      description: The O(mode).
      type: str
      sample: try_soft
    action:
      description: V(power_on), V(power_off), V(suspend) or V(restart); null when nothing was to be done.
      type: str
      sample: power_off
    planned:
      description: The calls the plan may make, in order; a V(try_soft) fallback follows its soft call.
      type: list
      elements: str
      sample: [ShutdownGuest, PowerOffVM_Task]
    path:
      description: The calls made, in order (empty in check mode and when nothing was to be done).
      type: list
      elements: str
      sample: [ShutdownGuest, PowerOffVM_Task]
    fallback:
      description: Whether V(try_soft) used the hard call.
      type: bool
      sample: true
    fallback_reason:
      description: Why the hard call was used (the soft call's error, the time-out, or VMware Tools not running).
      type: str
      sample: "poweredOff not reached within 300 seconds after ShutdownGuest"
    waited:
      description: Whether the module saw the VM in RV(power.after) (already there, a finished task, or the observed power
        state). V(false) after C(RebootGuest), after a soft call with O(wait=false), and in check mode when a change is due.
      type: bool
      sample: true
restart:
  description: The restart decision, for O(state=restarted).
  returned: when O(state=restarted) and the VM was found
  type: dict
  contains:
    requested:
      description: The restart time asked for (RFC 3339, UTC, nanoseconds); null for an empty O(next_restart_time).
      type: str
      sample: "2026-05-01T12:00:00Z"
    last:
      description: The last restart recorded on the VM before this run (C(guestnet.lastRestartTime)); null when none.
      type: str
      sample: "2026-04-01T08:30:00.123456789Z"
    due:
      description: Whether the VM was (in check mode, would be) restarted.
      type: bool
      sample: true
    reason:
      description: Why it was or was not restarted.
      type: str
      sample: next_restart_time 2026-05-01T12:00:00Z is later than the last restart (2026-04-01T08:30:00.123456789Z)
    recorded:
      description: The restart time recorded on the VM after this run.
      type: str
      sample: "2026-05-01T12:00:00Z"
'''

from ansible_collections.guestnet.vsphere.plugins.module_utils import _power
from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import vm_selector_argument_spec, vm_selector_one_of
from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import run_module
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_power import PowerRequest, ensure_power
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector


def argument_spec():
    spec = vm_selector_argument_spec()
    spec.update(
        state=dict(type='str', required=True, choices=list(_power.STATES)),
        mode=dict(type='str', default=_power.TRY_SOFT, choices=list(_power.MODES)),
        soft_timeout=dict(type='int', default=300),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=600),
        next_restart_time=dict(type='str'),
    )
    return spec


ENTRY = ModuleEntry(argument_spec, lambda params: (Selector.of(params), PowerRequest.of(params)),
                    lambda ctx, request: ensure_power(ctx, *request),
                    checks=dict(required_one_of=vm_selector_one_of(), mutually_exclusive=vm_selector_one_of()))


def main():
    run_module(ENTRY)


if __name__ == '__main__':
    main()
