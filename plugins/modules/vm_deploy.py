#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: vm_deploy
short_description: Create a VM from a template ("image") with a VM class, or delete it
version_added: 0.1.0
author: guestnet.vsphere contributors (@guestnet)
description:
  - With O(state=present), clones a template (the I(image)) into a new VM, placed by O(datacenter), O(folder),
    O(cluster), O(host), O(resource_pool) and O(datastore), with the CPUs, memory, reservations and limits of a
    VM class (O(vm_class)), a guest OS id and instance and BIOS UUIDs. The new VM is left powered off; power it on
    with M(guestnet.vsphere.vm_power). Its NICs are the template's; M(guestnet.vsphere.vm_network) reconciles them.
  - The image may also be a content library item (a VM template or an OVF template), deployed through vCenter's REST
    API into the same placement, then given the class, UUIDs and records in one reconfigure; or, with
    O(image_kind=vm), an inventory VM to clone.
  - The image and the class are recorded on the VM, in the clone itself (C(config.extraConfig) keys
    C(guestnet.image), the template's inventory path, and C(guestnet.class), the class as canonical JSON with the
    adapter types M(guestnet.vsphere.vm_network) uses). Both are immutable, as in VMware VM Operator; a later run
    that asks for another image or class fails and says to redeploy, it never changes the VM silently. So are
    O(guest_id), O(instance_uuid) and O(bios_uuid) when given.
  - A VM of that name that this module did not create (it has no C(guestnet.image) record), for example one
    deployed by M(community.vmware.vmware_guest), is refused unless O(adopt=true).
  - Placement applies when the VM is created. The module does not migrate an existing VM; when it sits elsewhere
    than asked (a different cluster, pool or datastore), the run warns.
  - With O(state=absent), powers the VM off (hard) if needed and deletes it from disk. Templates are never deleted.
  - The module runs the deploy step of M(guestnet.vsphere.vm), which also reconciles NICs, bootstrap and power in one task.
  - Finding the VM costs one call with O(datacenter) (C(SearchIndex.FindByInventoryPath)) and one read of the VM,
    however large the inventory; a new VM adds one read of the inventory's templates and placement, and the clone.
options:
  state:
    description:
      - V(present) creates the VM if it does not exist; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The VM's name. vm_deploy finds the VM by this name, in O(datacenter) and O(folder) when they are given.
    type: str
    required: true
  datacenter:
    description:
      - The datacenter of the VM (and of the template). Defaults to the template's datacenter when the VM is created.
    type: str
  folder:
    description:
      - The VM folder, as a full path (V(/DC0/vm/web)) or relative to the datacenter's VM folder (V(web)).
      - Defaults to the datacenter's VM folder when the VM is created.
    type: str
  ledger:
    description:
      - Path of the subnet ledger's SQLite file, for O(subnets), and with O(state=absent) to release the VM's
        addresses (all it holds, by its instance UUID) once it is deleted. Nothing is released when the file does not exist.
      - Defaults to C(guestnet/ledger.sqlite) under E(ANSIBLE_HOME), or C(~/.ansible/guestnet/ledger.sqlite).
      - The URL of a NetBox instead (V(https://netbox.example.com)), or V(netbox) for the URL in E(NETBOX_URL), makes
        NetBox the ledger; its API token is
        O(ledger_token). See O(guestnet.vsphere.vm#module:ledger).
    type: path
  timeout:
    description:
      - Seconds to wait for each vCenter task (clone, power off, delete).
    type: int
    default: 3600
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.deploy
  - guestnet.vsphere.ledger_connection
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
  - guestnet.vsphere.attributes.action
attributes:
  check_mode:
    support: full
    details: Reports the VM that would be created, adopted or deleted; nothing is changed.
  diff_mode:
    support: full
    details: Before and after of C(exists), C(image), C(class) and C(placement).
notes:
  - Requires pyVmomi on the host that runs the module.
seealso:
  - module: guestnet.vsphere.vm_network
  - module: guestnet.vsphere.vm_power
'''

EXAMPLES = r'''
- name: Deploy app01 in DC0_C0 on a host that reaches the app-net subnet's port groups
  guestnet.vsphere.vm_deploy:
    name: app01
    image: linux-template
    cluster: DC0_C0
    subnets: [app-net]
    ledger: /var/lib/guestnet/ledger.sqlite

- name: Deploy app02 from an OVF template of the golden-images content library
  guestnet.vsphere.vm_deploy:
    name: app02
    image: ubuntu-22.04-ovf
    image_library: golden-images
    datacenter: DC0
    cluster: DC0_C0

- name: Deploy web01 from the Ubuntu template with a small class
  guestnet.vsphere.vm_deploy:
    hostname: vcenter.example.com
    username: automation@vsphere.local
    password: "{{ vcenter_password }}"
    name: web01
    image: templates/ubuntu-22.04
    datacenter: DC1
    folder: web
    cluster: Compute01
    datastore: vsanDatastore
    vm_class:
      cpus: 2
      memory: 4Gi
      cpu_reservation: 200
      cpu_limit: 400
      memory_reservation: 1024
      memory_limit: 2048
      adapter_types: [vmxnet3]
    guest_id: ubuntu64Guest
  register: deployed

- name: Show the new VM's identity
  ansible.builtin.debug:
    msg: "{{ deployed.vm.moid }} {{ deployed.vm.instance_uuid }}"

- name: Deploy on a standalone host with known UUIDs (connection from module_defaults)
  guestnet.vsphere.vm_deploy:
    name: db01
    image: /DC1/vm/templates/rhel9
    host: esx07.example.com
    instance_uuid: 5013a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    bios_uuid: 4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    class:
      cpus: 8
      memory: 32Gi

- name: Take over a VM built by community.vmware.vmware_guest
  guestnet.vsphere.vm_deploy:
    name: legacy01
    image: templates/ubuntu-22.04
    vm_class:
      cpus: 2
      memory: 4096
    adopt: true

- name: Delete web01 (powered off first if it runs)
  guestnet.vsphere.vm_deploy:
    name: web01
    datacenter: DC1
    state: absent
'''

RETURN = r'''
released:
  description:
    - With O(state=absent), the ledger records (C(subnet ip)) released for the deleted VM (O(ledger)).
  returned: when a VM was deleted and the ledger exists
  type: list
  elements: str
  sample: [app-net 10.50.0.10]
vm:
  description:
    - The VM. With O(state=absent), the VM that was deleted as it was before; empty when there was none.
    - In check mode, a VM that would be created has no C(moid), and its UUIDs are null unless given.
  returned: always
  type: dict
  contains:
    moid:
      description: The managed object id.
      type: str
      sample: vm-1042
    name:
      description: The VM's name.
      type: str
      sample: web01
    path:
      description: The inventory path.
      type: str
      sample: /DC1/vm/web/web01
    instance_uuid:
      description: The vCenter instance UUID.
      type: str
      sample: 5013a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    bios_uuid:
      description: The BIOS UUID.
      type: str
      sample: 4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    power_state:
      description: V(poweredOn), V(poweredOff) or V(suspended). A new VM is V(poweredOff).
      type: str
      sample: poweredOff
    image:
      description: The recorded image (the template's inventory path, or C(library:LIBRARY/ITEM) for a content library item).
      type: str
      sample: /DC1/vm/templates/ubuntu-22.04
    vm_class:
      description: The recorded class (memory in MiB); empty when none was given at deployment.
      type: dict
      sample: {cpus: 2, memory: 4096, adapter_types: [vmxnet3]}
    adapter_types:
      description: The recorded adapter types of the VM's first NICs (from the class), for vm_network.
      type: list
      elements: str
      sample: [vmxnet3]
'''

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import deploy_argument_spec, ledger_connection_argument_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import run_module
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_deploy import DeployRequest, ensure_deployed


def argument_spec():
    spec = deploy_argument_spec()
    spec.update(
        state=dict(type='str', default='present', choices=['present', 'absent']),
        name=dict(type='str', required=True),
        datacenter=dict(type='str'),
        folder=dict(type='str'),
        ledger=dict(type='path'),
        timeout=dict(type='int', default=3600),
    )
    spec.update(ledger_connection_argument_spec())
    return spec


ENTRY = ModuleEntry(argument_spec, DeployRequest.of, ensure_deployed)


def main():
    run_module(ENTRY)


if __name__ == '__main__':
    main()
