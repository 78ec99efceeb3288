# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every guestnet module shares: argument spec merge, the vCenter session, error reporting.

PRIVATE to the collection.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from typing import Any, Callable, Dict, Optional, TypeVar

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import connection_argument_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, StepError, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import (
    HAS_PYVMOMI,
    PYVMOMI_IMPORT_ERROR,
    ConnectionParams,
    VCenterClient,
    VCenterError,
)

Request = TypeVar('Request')


class GuestnetModule:
    """An AnsibleModule with the connection options; ``run`` is the one place that reports results and failures."""

    def __init__(self, argument_spec: Dict[str, Any], **kwargs: Any) -> None:
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.ansible.params
        if not HAS_PYVMOMI:
            self.ansible.fail_json(msg=missing_required_lib('pyVmomi'), exception=PYVMOMI_IMPORT_ERROR)

    @property
    def check_mode(self) -> bool:
        return self.ansible.check_mode

    @property
    def diff_mode(self) -> bool:
        return self.ansible._diff  # pylint: disable=protected-access

    def session(self) -> VCenterClient:
        return VCenterClient(ConnectionParams.from_module_params(self.params))

    def run(self, prepare: Callable[[], Request], step: Callable[[Context, Request], StepResult]) -> None:
        """Validate the request (no call to vCenter yet), run the step in one session, report.

        Bad input and vCenter faults fail with their message; a StepError fails with its partial result. Warnings and
        secrets the step collected are reported (secrets as no_log values) whatever the outcome.
        """
        ctx: Optional[Context] = None
        try:
            request = prepare()
            with self.session() as client:
                ctx = Context(client, check_mode=self.check_mode, diff=self.diff_mode)
                outcome = step(ctx, request)
        except StepError as error:
            self._report(ctx)
            self.ansible.fail_json(msg=str(error), **error.partial)
        except (VCenterError, ValueError) as error:  # SpecError and LedgerError are ValueErrors
            self._report(ctx)
            self.ansible.fail_json(msg=str(error))
        self._report(ctx)
        self.ansible.exit_json(**outcome.module_result())

    def _report(self, ctx: Optional[Context]) -> None:
        if ctx is None:
            return
        self.ansible.no_log_values.update(ctx.secrets)
        for warning in ctx.warnings:
            self.ansible.warn(warning)
