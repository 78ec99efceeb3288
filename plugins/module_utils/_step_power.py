# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The power step: VM Operator's power states, modes and restart times, carried out on one VM. PRIVATE to the collection.

    request = PowerRequest.of(values)                     # validated, before any call
    planned = plan(ctx, request, vm)                      # the transition table (_power), the restart decision
    carry_out(ctx, vm.ref, planned)                       # the calls, soft with a hard fallback where the mode says so
    ensure_power(ctx, selector, request)                  # vm_power: the step on its own
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.guestnet.vsphere.plugins.module_utils import _power
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, StepError, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import VCenterError, VCenterTimeout
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector, VmHandle
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmodl import to_vmodl


@dataclass(frozen=True)
class PowerRequest:
    """vm_power's options (and vm's power options), validated."""
    state: str
    mode: str = _power.TRY_SOFT
    soft_timeout: int = 300
    wait: bool = True
    timeout: int = 600
    next_restart_time: Optional[str] = None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> 'PowerRequest':
        request = cls(state=values['state'], mode=values.get('mode') or _power.TRY_SOFT,
                      soft_timeout=300 if values.get('soft_timeout') is None else values['soft_timeout'],
                      wait=True if values.get('wait') is None else bool(values['wait']),
                      timeout=600 if values.get('timeout') is None else values['timeout'],
                      next_restart_time=values.get('next_restart_time'))
        _power.check_options(request.state, request.mode, request.next_restart_time, request.timeout, request.soft_timeout)
        return request


@dataclass
class PowerPlanned:
    """The plan for one VM, and what the run did of it (Runner)."""
    request: PowerRequest
    label: str
    plan: Any                                   # _power.PowerPlan
    decision: Optional[Any]                     # _power.RestartDecision for state=restarted
    path: List[str] = field(default_factory=list)
    changed: bool = False
    fallback: bool = False
    fallback_reason: Optional[str] = None
    waited: bool = False

    def report(self, check_mode: bool = False) -> Dict[str, Any]:
        plan = self.plan
        return dict(before=plan.observed, after=plan.target, state=plan.state, mode=plan.mode, action=plan.action, planned=plan.planned,
                    path=list(self.path), fallback=self.fallback or bool(plan.fallback_reason),
                    fallback_reason=self.fallback_reason or plan.fallback_reason, waited=not plan.changed or (self.waited and not check_mode))


def plan(ctx: Context, request: PowerRequest, label: str, power_state: str, tools_running_status: Optional[str],
         extra_config: Mapping[str, str], now_ns: Optional[int] = None) -> PowerPlanned:
    """The transition from power_state to the requested state (and, for restarted, whether a restart is due)."""
    restarting = request.state == 'restarted'
    decision = None
    if restarting:
        recorded = extra_config.get(_power.RESTART_TIME_KEY)
        decision = _power.decide_restart(request.next_restart_time, recorded, time.time_ns() if now_ns is None else now_ns)
        if recorded and _power.parse_recorded(recorded) is None:
            ctx.warn('VM %s: the recorded restart time %s=%r is unreadable; it is ignored' % (label, _power.RESTART_TIME_KEY, recorded))
        if decision.future:
            ctx.warn('VM %s: %s' % (label, decision.reason))
    try:
        power_plan = _power.plan(power_state or None, request.state, request.mode, tools_running_status, decision)
    except _power.PowerError as error:
        raise _power.PowerError('VM %s: %s' % (label, error)) from None
    return PowerPlanned(request=request, label=label, plan=power_plan, decision=decision)


class Runner:
    """Carries out a PowerPlan on one VM and keeps the record of what it did (in the PowerPlanned)."""

    def __init__(self, ctx: Context, ref: Any, planned: PowerPlanned) -> None:
        self.client = ctx.client
        self.ref = ref
        self.planned = planned
        self.request = planned.request

    def task(self, method: str) -> None:
        planned = self.planned
        planned.path.append(method)
        planned.waited = False
        self.client.run_task('%s on VM %s' % (method, planned.label), getattr(self.ref, method), timeout=self.request.timeout, check_first=True)
        planned.changed = True
        planned.waited = True

    def use_fallback(self, step: Any, reason: str) -> None:
        self.planned.fallback = True
        self.planned.fallback_reason = reason
        self.task(step.fallback)

    def soft(self, step: Any) -> None:
        planned = self.planned
        planned.path.append(step.method)
        planned.waited = False
        try:
            self.client.call('%s on VM %s' % (step.method, planned.label), getattr(self.ref, step.method))
        except VCenterError as error:
            if not step.fallback:
                raise
            self.use_fallback(step, str(error))
            return
        planned.changed = True
        if step.target is None or not self.request.wait:
            return
        limit = self.request.soft_timeout if step.fallback else self.request.timeout
        moid = self.ref._moId  # pylint: disable=protected-access

        def reached(values: Dict[str, Dict[str, Any]]) -> bool:
            return values.get(moid, {}).get('runtime.powerState') == step.target

        try:
            self.client.wait_for([self.ref], ['runtime.powerState'], reached, limit,
                                 'waiting for VM %s to reach %s after %s' % (planned.label, step.target, step.method))
        except VCenterTimeout:
            if not step.fallback:
                raise
            try:
                self.use_fallback(step, '%s not reached within %d seconds after %s' % (step.target, limit, step.method))
            except VCenterError:
                # the guest may have got there between the time-out and the hard call (which then fails)
                if self.client.read([self.ref], ['runtime.powerState'])[0].get('runtime.powerState') != step.target:
                    raise
                planned.waited = True
            return
        planned.waited = True

    def run(self) -> None:
        for step in self.planned.plan.steps:
            if step.soft:
                self.soft(step)
            else:
                self.task(step.method)


def carry_out(ctx: Context, ref: Any, planned: PowerPlanned) -> None:
    """Make the plan's calls; for a due restart, record its time on the VM. VCenterError when a call fails."""
    Runner(ctx, ref, planned).run()
    decision = planned.decision
    if decision is not None:
        spec = {'_type': 'vim.vm.ConfigSpec', 'extraConfig': [
            {'_type': 'vim.option.OptionValue', 'key': _power.RESTART_TIME_KEY, 'value': decision.requested}]}
        ctx.client.run_task('recording the restart time on VM %s (it was restarted)' % planned.label, ref.ReconfigVM_Task, to_vmodl(spec),
                            timeout=planned.request.timeout, check_first=True)


def result(ctx: Context, planned: PowerPlanned, done: bool) -> Dict[str, Any]:
    """vm_power's result (without vm): restart decision, diff, and (done) the report of what was done."""
    out: Dict[str, Any] = {}
    decision, plan_ = planned.decision, planned.plan
    before: Dict[str, Any] = dict(power_state=plan_.observed)
    after: Dict[str, Any] = dict(power_state=plan_.target)
    if decision is not None:
        recorded = decision.recorded_after if plan_.changed and done else decision.last
        before['last_restart_time'] = decision.last
        after['last_restart_time'] = decision.recorded_after if plan_.changed else decision.last
        out['restart'] = dict(requested=decision.requested, last=decision.last, due=plan_.changed, reason=decision.reason, recorded=recorded)
    if ctx.diff and done:
        out['diff'] = dict(before=before, after=after)
    out['power'] = planned.report(ctx.check_mode)
    return out


def ensure_power(ctx: Context, selector: Selector, request: PowerRequest) -> StepResult:
    """vm_power: bring the VM to the requested state (or restart it when due)."""
    handle = VmHandle(ctx.client, selector)
    vm = handle.find()
    if vm is None:
        raise VCenterError('no VM matches %s (templates are left out)' % selector.describe())
    planned = plan(ctx, request, vm.path, vm.power_state, vm.tools_running_status, vm.extra_config)
    head = {'vm': {'name': vm.name, 'moid': vm.moid, 'path': vm.path}}
    if planned.plan.changed and not ctx.check_mode:
        try:
            carry_out(ctx, vm.ref, planned)
        except VCenterError as error:
            raise StepError(str(error), dict(head, changed=planned.changed, **result(ctx, planned, done=False))) from None
    return StepResult(changed=planned.plan.changed, result=dict(head, **result(ctx, planned, done=True)))
