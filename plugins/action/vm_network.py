# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs guestnet.vsphere.vm_network in the controller's process when the task runs there (plugin_utils/_in_process)."""

from __future__ import annotations

from ansible_collections.guestnet.vsphere.plugins.plugin_utils._in_process import ModuleAction, module_entry

module_entry('guestnet.vsphere.vm_network')  # import it now, once, before Ansible forks the workers


class ActionModule(ModuleAction):
    pass
