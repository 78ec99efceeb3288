# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugins' base: run a guestnet module's entry in the controller's process when the task runs there.

PRIVATE to the collection.

Why: our modules talk to vCenter, not to the host, so their tasks run on the controller (``delegate_to: localhost``).
A module process then costs a Python start, the AnsiballZ payload and the imports of ``ansible.module_utils.basic``
for every task, about half of the controller's CPU per VM in a fleet. The action plugin's worker process already
runs on the controller with Ansible imported, so it validates the options as AnsibleModule would and runs the same
entry (``module_utils/_entry``) there.

It does so only where that is the same as running the module: a local connection, no ``become``, no ``async``, no
``environment`` for the task, no ``ansible_python_interpreter`` other than the controller's Python, and pyVmomi
importable by the controller's Python. Otherwise the module is sent as usual. Either way the result, the warnings and
the masking of secrets are the same.
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
import sys
from typing import Any, Optional

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry, run_entry
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import HAS_PYVMOMI

# How the options become JSON on their way to a module process, so they reach the entry as the module gets them.
try:
    from ansible.module_utils.common.json import Direction, get_module_encoder  # ansible-core 2.19+: tagged values
    _ARGS_JSON: dict[str, Any] = dict(cls=get_module_encoder('legacy', Direction.CONTROLLER_TO_MODULE))
except ImportError:  # older ansible-core: vaulted and unsafe text, decrypted as for a module
    from ansible.module_utils.common.json import AnsibleJSONEncoder
    _ARGS_JSON = dict(cls=AnsibleJSONEncoder, vault_to_text=True)


class ModuleAction(ActionBase):
    """``ActionModule`` of every guestnet module: in process where it is the same, else the module as usual."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: Any = None, task_vars: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # unused, as in ansible.builtin.normal
        entry = self._in_process_entry(task_vars or {})
        if entry is None:
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        return merge_hash(result, run_in_process(entry, self._task.resolved_action, self._task.args,
                                                 check_mode=bool(self._task.check_mode), diff=bool(self._task.diff)))

    def _in_process_entry(self, task_vars: dict[str, Any]) -> Optional[ModuleEntry]:
        """The module's ModuleEntry when running it here is the same as running the module; None otherwise."""
        if (self._connection.transport != 'local' or self._task.async_val or self._play_context.become
                or any(self._task.environment or ())  # a list of dicts (or templates), [{}] when unset
                or self._another_python(task_vars)):
            return None
        return module_entry(self._task.resolved_action)

    def _another_python(self, task_vars: dict[str, Any]) -> bool:
        """Whether the host the task runs on names a Python other than the controller's (its pyVmomi may differ)."""
        host_vars = task_vars.get('ansible_delegated_vars', {}).get(self._task.delegate_to, {}) if self._task.delegate_to else task_vars
        interpreter = host_vars.get('ansible_python_interpreter')
        if interpreter is None:
            return False
        command = shlex.split(str(self._templar.template(interpreter)))
        if not command or command[0].startswith('auto'):  # discovery: any Python of the controller's; ours has pyVmomi
            return False
        return len(command) > 1 or os.path.normpath(command[0]) != os.path.normpath(sys.executable)


def module_entry(fqcn: str) -> Optional[ModuleEntry]:
    """The ModuleEntry of a guestnet module, or None when it cannot run in this process (no pyVmomi here).

    The action plugins call it when Ansible loads them, in the controller's main process before it forks a worker
    per task, so the module_utils and pyVmomi are imported once per run rather than once per task.
    """
    if not HAS_PYVMOMI:
        return None
    namespace, collection, name = fqcn.split('.')
    return importlib.import_module('ansible_collections.%s.%s.plugins.modules.%s' % (namespace, collection, name)).ENTRY


def run_in_process(entry: ModuleEntry, module_name: str, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Validate ``args`` as AnsibleModule does, run the entry, and return the result as the module would."""
    params = json.loads(json.dumps(args, **_ARGS_JSON))  # plain values, as the module process receives them
    validated = ArgumentSpecValidator(entry.argument_spec(), **entry.checks).validate(params)
    secrets = set(validated._no_log_values)  # pylint: disable=protected-access
    params.update(validated.validated_parameters)
    if validated.error_messages:
        message = validated.errors.msg
        if isinstance(validated.errors[0], UnsupportedError):
            message = 'Unsupported parameters for (%s) module: %s' % (module_name, message)
        return _as_from_a_module(dict(failed=True, msg=message, invocation=dict(module_args=params)), secrets)
    warnings = ['Both option %(option)s and its alias %(alias)s are set.' % both
                for both in validated._warnings]  # pylint: disable=protected-access
    outcome = run_entry(entry, params, check_mode, diff)
    secrets.update(outcome.secrets)
    result = dict(outcome.result, invocation=dict(module_args=params))
    if outcome.failed:
        result['failed'] = True
    warnings += outcome.warnings
    if warnings:
        result['warnings'] = warnings
    return _as_from_a_module(result, secrets)


def _as_from_a_module(result: dict[str, Any], secrets: set[str]) -> dict[str, Any]:
    """The result as a module process would return it: the secrets masked, and plain JSON values."""
    return json.loads(json.dumps(remove_values(result, secrets)))
