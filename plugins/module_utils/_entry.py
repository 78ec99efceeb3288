# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A module's entry: its options, how validated options become a request, and the step that serves it.

PRIVATE to the collection. ``run_entry`` runs the step in one vCenter session and turns every outcome into a result.
Two adapters share it, so a result or a failure reads the same either way: ``_module.run_module`` (the module
process) and ``plugin_utils/_in_process`` (the action plugins, which run the entry in the controller's process when
the task runs on the controller).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import connection_argument_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, StepError, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import ConnectionParams, VCenterClient, VCenterError


@dataclass(frozen=True)
class ModuleEntry:
    """``options()`` is the module's argument spec without the connection options; ``checks`` holds the
    AnsibleModule keywords that check options together (required_if, required_one_of, mutually_exclusive)."""
    options: Callable[[], Dict[str, Any]]
    prepare: Callable[[Dict[str, Any]], Any]
    step: Callable[[Context, Any], StepResult]
    checks: Dict[str, Any] = field(default_factory=dict)

    def argument_spec(self) -> Dict[str, Any]:
        spec = connection_argument_spec()
        spec.update(self.options())
        return spec


@dataclass
class EntryOutcome:
    """The module result (``msg`` and the partial result when it failed), and what must go with it: warnings, and
    the secrets to mask in it."""
    failed: bool
    result: Dict[str, Any]
    warnings: List[str] = field(default_factory=list)
    secrets: List[str] = field(default_factory=list)


def run_entry(entry: ModuleEntry, params: Dict[str, Any], check_mode: bool, diff: bool) -> EntryOutcome:
    """Validate the request (no call to vCenter yet), run the step in one session.

    Bad input and vCenter faults fail with their message; a StepError fails with its partial result. Warnings and
    secrets the step collected are reported whatever the outcome.
    """
    ctx: Optional[Context] = None
    try:
        request = entry.prepare(params)
        with VCenterClient(ConnectionParams.from_module_params(params)) as client:
            ctx = Context(client, check_mode=check_mode, diff=diff)
            outcome = entry.step(ctx, request)
    except StepError as error:
        return _outcome(ctx, True, dict(error.partial, msg=str(error)))
    except (VCenterError, ValueError) as error:  # SpecError and LedgerError are ValueErrors
        return _outcome(ctx, True, dict(msg=str(error)))
    return _outcome(ctx, False, outcome.module_result())


def _outcome(ctx: Optional[Context], failed: bool, result: Dict[str, Any]) -> EntryOutcome:
    if ctx is None:
        return EntryOutcome(failed, result)
    return EntryOutcome(failed, result, list(ctx.warnings), list(ctx.secrets))
