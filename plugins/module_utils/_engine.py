# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The step engine's small common ground: what a step gets, what it returns, how it fails. PRIVATE to the collection.

A step is a function ``step(ctx, ..., request) -> StepResult``:

- ``ctx`` (``Context``): one vCenter session, check mode and diff mode, and the warnings and secrets the run has
  collected so far (a secret is registered as soon as it is known, so a failure later never shows it);
- the request: a frozen dataclass of the step's options, validated before the first call to vCenter;
- it returns a ``StepResult`` (changed, the result dict), or raises ``StepError`` carrying what it did before it
  failed (``partial``), or a ``GuestnetError`` (bad input, or a vCenter fault) when nothing was done.

No step reads ``module.params`` or calls ``fail_json``: modules (``_module.GuestnetModule``) turn requests into steps
and results into ``exit_json``/``fail_json``, so one module can run several steps in one session (``vm``).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import VCenterClient, VCenterError


class StepError(VCenterError):
    """A step failed after it changed something; ``partial`` is the result so far (for the module's failure result)."""

    def __init__(self, message: str, partial: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.partial = dict(partial or {})


class LedgerRaced(VCenterError):
    """The ledger gave this VM other addresses than the ones the run planned with (another run took those meanwhile).
    Nothing was changed on the VM, and the ledger keeps what it gave: planning again with it gets past the race."""


@dataclass
class StepResult:
    """What a step did: whether it changed anything, and its result (module return values, ``diff`` included)."""
    changed: bool
    result: Dict[str, Any] = field(default_factory=dict)

    def module_result(self) -> Dict[str, Any]:
        return dict(self.result, changed=self.changed)


@dataclass
class Context:
    """One run: the session, the modes, and what the run has to report besides its result."""
    client: VCenterClient
    check_mode: bool = False
    diff: bool = False
    warnings: List[str] = field(default_factory=list)
    secrets: List[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def secret(self, values: Iterable[Any]) -> None:
        """Values that must never show in output (the module adds them to no_log_values)."""
        for value in values:
            text = str(value) if value is not None else ''
            if text and text not in self.secrets:
                self.secrets.append(text)
