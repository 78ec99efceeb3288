# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Standard attribute descriptions; each module states its own support level.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts without modifying the target.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when run in diff mode.
'''

    # Membership of the module_defaults group declared in meta/runtime.yml.
    ACTIONGROUP_VMWARE = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/guestnet.vsphere.vmware) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - guestnet.vsphere.vmware
'''

    # The modules' action plugins (plugin_utils/_in_process.py).
    ACTION = r'''
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - "The module runs in the controller's own process, with no module process, when the task runs on the controller
        (C(delegate_to: localhost) or C(connection: local)), without C(become), C(async) or C(environment), with no
        C(ansible_python_interpreter) other than the controller's Python, and pyVmomi importable by it. That saves a
        Python start and the imports per task (most of the controller's CPU per VM in a fleet)."
      - Otherwise the module is sent and run as usual. The options, the result, the warnings and the masking of secrets
        are the same either way.
'''
