# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module process's adapter: AnsibleModule in, the entry's outcome out as exit_json/fail_json.

PRIVATE to the collection.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry, run_entry
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import HAS_PYVMOMI, PYVMOMI_IMPORT_ERROR


def run_module(entry: ModuleEntry) -> None:
    module = AnsibleModule(argument_spec=entry.argument_spec(), supports_check_mode=True, **entry.checks)
    if not HAS_PYVMOMI:
        module.fail_json(msg=missing_required_lib('pyVmomi'), exception=PYVMOMI_IMPORT_ERROR)
    outcome = run_entry(entry, module.params, module.check_mode, module._diff)  # pylint: disable=protected-access
    module.no_log_values.update(outcome.secrets)
    for warning in outcome.warnings:
        module.warn(warning)
    if outcome.failed:
        module.fail_json(**outcome.result)
    module.exit_json(**outcome.result)
