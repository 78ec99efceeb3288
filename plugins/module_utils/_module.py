# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every guestnet module shares: argument spec merge, the vCenter session, error reporting.

PRIVATE to the collection.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from typing import Any, Callable, Dict

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import connection_argument_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import (
    HAS_PYVMOMI,
    PYVMOMI_IMPORT_ERROR,
    ConnectionParams,
    VCenterClient,
    VCenterError,
)


class GuestnetModule:
    """An AnsibleModule with the connection options, plus a session factory and one error path."""

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

    def run(self, body: Callable[['GuestnetModule'], Dict[str, Any]]) -> None:
        """Run the module body; user errors (bad spec, vCenter faults, ...) fail with their message."""
        try:
            self.ansible.exit_json(**body(self))
        except (VCenterError, ValueError) as error:  # SpecError and LedgerError are ValueErrors
            self.ansible.fail_json(msg=str(error))
