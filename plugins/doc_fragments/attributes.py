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
