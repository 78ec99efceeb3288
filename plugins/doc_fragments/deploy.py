# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What a VM is deployed from and where (module_utils/_argspec.py deploy_argument_spec); vm_deploy and vm.
    DOCUMENTATION = r'''
options:
  image:
    description:
      - What the VM is deployed from, like VM Operator's C(imageName). Required to create a VM.
      - An inventory template, by name or inventory path (V(ubuntu-22.04), V(templates/ubuntu-22.04),
        V(/DC0/vm/templates/ubuntu-22.04)), cloned into the VM.
      - A content library item, by its name (and O(image_library) when the name is in several libraries). A VM template
        (VMTX) item is deployed through vCenter's C(vm-template) API, an OVF template item through OVF deployment, each
        into the same placement. The VM then gets what a clone gets in one reconfigure (class, UUIDs, records), and its
        NICs, bootstrap and power are reconciled from the item's NICs as for any VM. This costs six REST calls (a vAPI
        session opened and deleted, the item found and read, its library read or found by name, and the deploy, which
        vCenter answers once the VM exists) and, where a clone costs 13 SOAP calls, 15. The reconfigure that records
        class, UUIDs and image replaces the clone, and the NIC changes a clone carries take a reconfigure of their own.
      - An inventory VM that is not a template, only with O(image_kind=vm).
      - Recorded on the VM as C(guestnet.image), the template's path or C(library:LIBRARY/ITEM). For an existing VM it is
        compared with the record; a different image is an error.
    type: str
    aliases: [template]
  image_kind:
    description:
      - What O(image) names. V(auto) (the default) looks for an inventory template first, in the placement read that
        every new VM costs anyway, and for a content library item only when there is none; a template and a library
        item of the same name is therefore the template.
      - V(template) is an inventory template only; V(library_item) a content library item only (the default when
        O(image_library) is given).
      - V(vm) clones an inventory VM that is not a template (as community.vmware's C(vmware_guest) allows). It is another
        kind of source, whose disks and guest state are copied as they are, so it is never chosen without being asked
        for.
    type: str
    choices: [auto, template, library_item, vm]
    default: auto
  image_library:
    description:
      - The content library that holds O(image), by name. Needed when an item of that name is in several libraries.
    type: str
  vm_class:
    description:
      - The VM class, hardware and resource policy as VM Operator's C(VirtualMachineClass) has them.
        Fields not given keep the template's values.
      - Recorded on the VM; a later run with another class is an error (redeploy to change it). Not giving it means
        "do not check".
    type: dict
    aliases: [class]
    suboptions:
      cpus:
        description:
          - Number of virtual CPUs.
        type: int
      memory:
        description:
          - Memory, in MiB as an integer, or a string with a unit V(Mi), V(Gi) or V(Ti) (V(512Mi), V(4Gi)).
            A multiple of 4 MiB.
        type: raw
      cpu_reservation:
        description:
          - Guaranteed CPU bandwidth in MHz.
        type: int
      cpu_limit:
        description:
          - CPU bandwidth ceiling in MHz; V(-1) means unlimited.
        type: int
      memory_reservation:
        description:
          - Guaranteed memory in MB.
        type: int
      memory_limit:
        description:
          - Memory ceiling in MB; V(-1) means unlimited.
        type: int
      adapter_types:
        description:
          - NIC types for the VM's first NICs, in order (V(vmxnet3), V(e1000e), V(e1000), V(vmxnet2),
            V(vmxnet), V(pcnet32), V(sriov)). vm_deploy only records them; M(guestnet.vsphere.vm_network)
            uses them for the interfaces that do not name an adapter type.
        type: list
        elements: str
  guest_id:
    description:
      - The guest OS id, for example V(ubuntu64Guest) or V(windows2019srv_64Guest). Defaults to the template's.
    type: str
  instance_uuid:
    description:
      - The vCenter instance UUID of the new VM. Defaults to a random (version 4) UUID chosen by the module.
    type: str
  bios_uuid:
    description:
      - The BIOS UUID (SMBIOS) of the new VM. Defaults to a random (version 4) UUID chosen by the module.
    type: str
  cluster:
    description:
      - The cluster to create the VM in (its root resource pool unless O(resource_pool) is given).
      - One of O(cluster), O(host) or O(resource_pool) is required to create a VM.
    type: str
  host:
    description:
      - The ESXi host to create the VM on (a standalone host, or a host of O(cluster)).
    type: str
    aliases: [esxi_hostname]
  resource_pool:
    description:
      - The resource pool (or vApp) to create the VM in, by name or path (V(prod), V(DC0_C0/Resources/prod)).
        Every cluster's root pool is called V(Resources), so give O(cluster) with it.
    type: str
  datastore:
    description:
      - The datastore for the VM's files and disks. Defaults to the template's. It must be available to the
        cluster or host.
    type: str
  subnets:
    description:
      - Subnets of the ledger (O(ledger)) the VM's interfaces will use. A new VM is placed on a host that reaches a
        port group (primary or additional) of each of them, within O(cluster) or O(resource_pool) when given; a
        given O(host) must reach them all. No such host is an error that names the subnets.
      - Declare subnets with M(guestnet.vsphere.subnet_sync), which also records which hosts reach which port groups.
    type: list
    elements: str
  adopt:
    description:
      - Take over a VM of this name that vm_deploy did not create (it has no C(guestnet.image) record).
      - With O(state=present), records O(image) (required) and O(vm_class) on it, after checking that its CPUs,
        memory, reservations and limits match the class. With O(state=absent), allows deleting it.
    type: bool
    default: false
'''
