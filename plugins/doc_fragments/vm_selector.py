# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How a module finds its VM (module_utils/_argspec.py vm_selector_argument_spec).
    DOCUMENTATION = r'''
options:
  name:
    description:
      - The VM's name. Names need not be unique in vCenter; narrow the search with O(datacenter)
        and O(folder) when they are not.
      - One of O(name), O(uuid), O(instance_uuid) or O(moid) is required.
    type: str
  uuid:
    description:
      - The VM's BIOS UUID (C(config.uuid)).
    type: str
  instance_uuid:
    description:
      - The VM's vCenter instance UUID (C(config.instanceUuid)).
    type: str
  moid:
    description:
      - The VM's managed object ID, for example V(vm-42).
    type: str
  datacenter:
    description:
      - The datacenter the VM is in.
    type: str
  folder:
    description:
      - The VM folder, as a full path (V(/DC0/vm/web)) or relative to the datacenter's VM folder (V(web)).
    type: str
'''
