#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: vm
short_description: The whole VM in one task - deployment, NICs, guest network bootstrap and power, as VM Operator reconciles it
version_added: 0.2.0
author: guestnet.vsphere contributors (@guestnet)
description:
  - Reconciles one VM the way VMware VM Operator reconciles a C(VirtualMachine), in one session and one pass
    - the deploy step of M(guestnet.vsphere.vm_deploy) (clone from a template with a VM class, placement, UUIDs,
    immutable records), the NIC step of M(guestnet.vsphere.vm_network) (the VM gets the NICs of O(network.interfaces)),
    the bootstrap step of M(guestnet.vsphere.vm_bootstrap) (cloud-init, LinuxPrep, Sysprep or vApp properties from the
    same O(network)), the power step of M(guestnet.vsphere.vm_power) (O(power_state), O(power_mode),
    O(next_restart_time)) and, with O(wait), the guest's network; and the VM's data disks (O(volumes), VM Operator's
    C(spec.volumes)).
  - Every option is checked, and every step planned, before anything changes; all input errors are reported at once.
  - A VM Operator C(VirtualMachine) manifest can stand for most options (O(manifest)); its C(className) and
    C(imageName) resolve through O(classes) and O(images). Options given explicitly override the manifest's.
  - Finds the VM by O(moid); else by O(name) (in O(datacenter) and O(folder)); else by O(instance_uuid), then
    O(bios_uuid). Creating a VM needs O(name). Finding a VM by name costs one call with O(datacenter)
    (C(SearchIndex.FindByInventoryPath)); without it, the names of all VMs are read.
  - "SOAP calls (session included): a run that changes nothing costs 5; a new VM with NICs, a bootstrap and power-on 13
    (the look-up, one read of templates and placement, one of the template, the clone, one read of the new VM for
    the MAC addresses vCenter gave its NICs, one reconfigure or customization, and the power-on, each task with one
    read of its state). Changes to an existing VM's NICs and bootstrap go in one C(ReconfigVM_Task); in two when NICs
    are added, since the bootstrap needs their MAC addresses. O(volumes) cost no call of their own: a new VM's disks go
    in its clone, an existing VM's disk changes in the same C(ReconfigVM_Task) (one of their own when nothing else
    changes); a new disk on a datastore other than the VM's costs one read of the datastores of the VM's host."
  - "With O(wait), the wait costs C(CreateFilter) and one C(WaitForUpdatesEx) per slice (none when nothing changed and
    the guest shows its addresses already). When the run powers on a VM whose LinuxPrep or Sysprep customization is
    queued, the wait follows the customization too, for two calls more - C(CreateCollectorForEvents) (one event
    collector over the one VM and its customization events) and C(DestroyCollector); its events come in the wait's
    own slices. A new VM with LinuxPrep, power-on and O(wait) costs 19 on the simulator (13, the filter, 3 slices, the
    collector made and removed). Without O(wait), in check mode and in runs that queue no customization, nothing."
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.deploy
  - guestnet.vsphere.network_spec
  - guestnet.vsphere.bootstrap
  - guestnet.vsphere.ledger_connection
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
  - guestnet.vsphere.attributes.action
attributes:
  check_mode:
    support: full
    details:
      - Predicts every step, for a VM that does not exist yet too (its NICs have no MAC address yet; the bootstrap
        documents name them by position). Nothing is changed on vCenter or in the ledger.
  diff_mode:
    support: full
    details:
      - Before and after of the deployment (exists, image, class, placement), the NICs, the bootstrap (provider, hash,
        documents with secrets redacted), the volumes and the power state.
options:
  state:
    description:
      - V(present) reconciles the VM (creating it when it does not exist); V(absent) deletes it (see
        M(guestnet.vsphere.vm_deploy)) and releases its ledger addresses.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The VM's name. Required to create a VM (unless O(manifest) gives it).
    type: str
  moid:
    description:
      - The VM's managed object ID, for example V(vm-42), to find an existing VM.
    type: str
  datacenter:
    description:
      - The datacenter of the VM. Defaults to the template's datacenter when the VM is created.
    type: str
  folder:
    description:
      - The VM folder, as a full path (V(/DC0/vm/web)) or relative to the datacenter's VM folder (V(web)).
    type: str
  provider:
    description:
      - The bootstrap provider - how the guest gets its network and identity from O(network), with the options in the
        section of the same name (O(cloud_init), O(linux_prep), O(sysprep), O(vapp_config); see
        M(guestnet.vsphere.vm_bootstrap)). Without it (and without a manifest's bootstrap) the guest is not bootstrapped;
        its NICs are still reconciled.
      - Which O(network) fields a provider can carry follows VM Operator's tables; for example
        O(network.interfaces[].routes) and O(network.interfaces[].mtu) need V(cloud_init).
      - Switching a VM that was bootstrapped with one provider to another needs O(force).
    type: str
    choices: [cloud_init, linux_prep, sysprep, vapp_config]
  remove_unmanaged:
    description:
      - Remove the NICs no interface claims (a template's extra NICs). With V(false) they are kept, and reported.
    type: bool
    default: false
  connected:
    description:
      - Connect every NIC an interface claims, or disconnect them all (see M(guestnet.vsphere.vm_network)).
    type: bool
    default: true
  interface_connected:
    description:
      - Per-interface exceptions to O(connected), for example C(eth1=false).
    type: dict
    default: {}
  power_state:
    description:
      - The power state to reach, with VM Operator's transitions (see M(guestnet.vsphere.vm_power)). Defaults to
        V(powered_on), as VM Operator's does.
    type: str
    choices: [powered_on, powered_off, suspended]
  power_mode:
    description:
      - How to power off or suspend (and restart, see O(next_restart_time)) - V(hard), V(soft) (the guest's shutdown or
        standby through VMware Tools), or V(try_soft) (soft, then hard after O(soft_timeout)).
      - Defaults to V(try_soft), or to the manifest's C(powerOffMode), C(suspendMode) or C(restartMode).
    type: str
    choices: [hard, soft, try_soft]
  soft_timeout:
    description:
      - Seconds V(try_soft) waits for the guest before the hard call.
    type: int
    default: 300
  next_restart_time:
    description:
      - Restart a powered-on VM once for this value, as VM Operator's C(spec.nextRestartTime) - V(now) (every run), or an
        RFC 3339 time (once; the time is recorded on the VM). Needs O(power_state=powered_on).
    type: str
  wait:
    description:
      - Wait until the guest (VMware Tools) shows every intended address (see M(guestnet.vsphere.vm_network)), when the
        VM ends powered on (with another O(power_state) there is nothing to wait for, and no wait). When the time runs
        out the task fails with the drift, after everything else was done.
      - When this run powers on a VM whose LinuxPrep or Sysprep customization is queued (queued by this run or an earlier
        one), the wait follows vCenter's events of that customization on the VM too (C(CustomizationStartedEvent), then
        C(CustomizationSucceeded) or a failure), within the same O(wait.timeout), and ends when both the addresses and
        the customization's success are there. Events of an earlier customization (older than this power-on, by
        vCenter's clock) do not count.
      - A failed customization ends the wait at once and fails the task with vCenter's message for it (the event's
        C(fullFormattedMessage), its C(reason), where the guest logged it), after everything else was done; nothing is
        retried (run again with O(force) to customize the VM again). When the time runs out before the outcome, the
        message and RV(conditions) say whether the customization was still pending or running.
    type: dict
    suboptions:
      timeout:
        description:
          - Seconds to wait at most.
        type: int
        default: 300
  timeout:
    description:
      - Seconds to wait for each vCenter task (clone, reconfigure, customization, power, delete).
    type: int
    default: 3600
  manifest:
    description:
      - A VM Operator C(VirtualMachine) manifest (apiVersion C(vmoperator.vmware.com/v1alpha1) to C(v1alpha6)), in
        the place of O(name), O(image), O(vm_class), O(network), the bootstrap (O(provider) and its section),
        O(power_state), O(power_mode), O(next_restart_time), O(instance_uuid), O(bios_uuid) and O(guest_id). Options
        given explicitly override it.
      - Its network and bootstrap are validated as VM Operator's webhook validates them. A bootstrap that refers to
        Secrets or ConfigMaps needs O(provider) and its section given explicitly, with the values. Fields with no counterpart here (for
        example C(spec.storageClass)) are ignored with a warning.
      - Its C(spec.volumes) become O(volumes) (unless O(volumes) is given) - each C(persistentVolumeClaim.claimName) is looked up in
        O(claims) for its size and storage class; C(controllerType) (C(SCSI), C(NVME), C(SATA)) and C(controllerBusNumber) become
        O(volumes[].controller).
    type: dict
  classes:
    description:
      - VM classes by name (each a O(vm_class)), for the manifest's C(className).
    type: dict
    default: {}
  images:
    description:
      - Images by name, for the manifest's C(imageName) (each a O(image), a template or a content library item's name); a
        name not listed is taken as the O(image) itself, so an item of a content library of that name is found as well.
    type: dict
    default: {}
  volumes:
    description:
      - The VM's data disks, as VM Operator's C(spec.volumes) (PersistentVolumeClaims of a storage class). Each is a disk of its
        own, known by its O(volumes[].name) through the record C(guestnet.volumes) in the VM's extraConfig (JSON of each volume's
        slot - controller kind, bus and unit, as C(scsi0:1) - storage class and provisioning), written in the same call that makes
        or removes the disk.
      - A volume not on the VM yet gets a new disk; a larger O(volumes[].size) grows its disk; a smaller one is an error (disks never
        shrink); O(volumes[].storage_class), O(volumes[].provisioning) and O(volumes[].controller) cannot change. A volume on the VM
        that the list leaves out is an error; O(volumes[].state=absent) removes its disk and deletes the disk's file.
      - Without this option the VM's disks are not looked at (a run never removes a disk because the option is missing); an empty
        list says the VM has no volumes.
      - Disks the VM got from its template are not volumes, and are left alone.
      - What the guest does with a new or grown disk (partition, file system, mount) is its own business; see the guides.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The volume's name, unique in the list - a DNS label (lowercase letters, digits and C(-), at most 63 characters), as VM
            Operator requires.
        type: str
        required: true
      size:
        description:
          - The disk's size - an integer, or a string of digits, is GiB; a string with a binary suffix is a Kubernetes quantity,
            C(Mi), C(Gi) or C(Ti) (V(512Mi), V(10Gi), V(1.5Ti)), or C(Ki) when it makes whole MiB. From 1 MiB to 62 TiB, in whole MiB.
            Decimal suffixes (C(M), C(G), C(T), powers of 1000) are refused.
          - Required when O(volumes[].state=present).
        type: raw
      storage_class:
        description:
          - A class of O(storage_classes) - where the disk goes. Without it the disk goes in the VM's folder on the VM's datastore.
        type: str
      provisioning:
        description:
          - V(thin), V(thick) (lazily zeroed) or V(eager_zeroed_thick).
        type: str
        choices: [thin, thick, eager_zeroed_thick]
        default: thin
      controller:
        description:
          - The controller the disk goes on. Without it, as VM Operator does, the first SCSI controller with a free unit, or a new
            paravirtual SCSI one on the next free bus. A controller of the type (at the bus) that the VM lacks is added, in the same
            call, when the bus is free.
          - Units per controller, as VM Operator counts them - 63 on V(pvscsi), 15 on the other SCSI types (unit 7 is the
            controller's own), 64 on V(nvme), 30 on V(sata); buses 0 to 3 of each kind.
        type: dict
        suboptions:
          type:
            description:
              - The controller type.
            type: str
            required: true
            choices: [pvscsi, lsilogic, lsilogic_sas, buslogic, nvme, sata]
          bus:
            description:
              - Its bus number, 0 to 3. Without it, the first controller of the type with a free unit, or a new one.
            type: int
      state:
        description:
          - V(absent) removes the volume's disk and deletes its file (when the VM has it), and its record.
        type: str
        choices: [present, absent]
        default: present
  storage_classes:
    description:
      - "Storage classes by name, for O(volumes[].storage_class) and the O(claims) - each C({datastore: NAME}) (the disk goes in the
        VM's folder on that datastore, which the VM's host, or a new VM's cluster, must have), C({storage_policy_id: ID}) (a vCenter
        storage policy for the disk, on the VM's datastore), or both."
    type: dict
    default: {}
  claims:
    description:
      - The manifest's PersistentVolumeClaims by name, each C({size, storage_class}) as O(volumes[].size) and
        O(volumes[].storage_class), for C(spec.volumes[].persistentVolumeClaim.claimName). A claim not listed is an error.
    type: dict
    default: {}
notes:
  - Requires pyVmomi on the host that runs the module.
  - O(subnets) defaults to the subnets O(network.interfaces) name, so a new VM lands on a host that reaches them.
  - O(instance_uuid) and O(bios_uuid) are the identity of a new VM, checked (not changed) on an existing one.
seealso:
  - module: guestnet.vsphere.vm_deploy
  - module: guestnet.vsphere.vm_network
  - module: guestnet.vsphere.vm_bootstrap
  - module: guestnet.vsphere.vm_power
'''

EXAMPLES = r'''
- name: A web server - cloned, two NICs, cloud-init, powered on, and the guest's addresses waited for
  guestnet.vsphere.vm:
    name: web01
    datacenter: DC0
    cluster: DC0_C0
    image: ubuntu-22.04
    vm_class: {cpus: 2, memory: 4Gi}
    network:
      host_name: web01
      domain_name: example.com
      nameservers: [10.0.0.53]
      interfaces:
        - name: eth0
          network: DC0_DVPG0
          addresses: [10.0.0.10/24]
          gateway4: 10.0.0.1
        - name: eth1
          network: backup
          dhcp4: true
    provider: cloud_init
    cloud_init:
      cloud_config:
        packages: [nginx]
    remove_unmanaged: true
    wait: {timeout: 600}
  register: web01

- name: Show what VM Operator's status would say
  ansible.builtin.debug:
    msg: "{{ web01.network.config }} {{ web01.primary_ip4 }} {{ web01.drift }}"

- name: A database server with LinuxPrep and an address from the subnet ledger
  guestnet.vsphere.vm:
    name: db01
    datacenter: DC0
    cluster: DC0_C0
    image: rhel9
    ledger: /var/lib/guestnet/ledger.sqlite
    network:
      domain_name: example.com
      interfaces:
        - {name: eth0, subnet: db-net}
    provider: linux_prep
    linux_prep: {time_zone: Etc/UTC}
    power_cycle: true     # re-customizing a running VM powers it off first, then on again

- name: The same with NetBox as the subnet ledger (AWX injects NETBOX_URL and NETBOX_TOKEN through a credential)
  guestnet.vsphere.vm:
    name: db02
    datacenter: DC0
    cluster: DC0_C0
    image: rhel9
    ledger: netbox        # the NetBox of NETBOX_URL; or its URL, with ledger_token instead of NETBOX_TOKEN
    network:
      interfaces:
        - {name: eth0, subnet: db-net}

- name: A VM from a content library item (a VM template or an OVF template), as VM Operator's imageName names one
  guestnet.vsphere.vm:
    name: app01
    datacenter: DC0
    cluster: DC0_C0
    image: ubuntu-22.04-vmtx
    image_library: golden-images     # only needed when the item's name is in several libraries
    network:
      interfaces:
        - {name: eth0, network: DC0_DVPG0, dhcp4: true}
    provider: cloud_init

- name: A VM described by a VM Operator manifest
  guestnet.vsphere.vm:
    datacenter: DC0
    cluster: DC0_C0
    manifest: "{{ lookup('ansible.builtin.file', 'vmop01.yaml') | from_yaml }}"
    classes:
      best-effort-small: {cpus: 1, memory: 1Gi}
    images:
      ubuntu-22.04: linux-template
    storage_classes:
      gold: {datastore: LocalDS_0}
    claims:                         # the manifest's spec.volumes[].persistentVolumeClaim.claimName
      vmop01-data: {size: 20Gi, storage_class: gold}

- name: Data disks - one on the datastore of a storage class, one on a new NVMe controller
  guestnet.vsphere.vm:
    name: db01
    datacenter: DC0
    storage_classes:
      fast: {datastore: ssd-01}
      gold: {storage_policy_id: aa6d5a82-1c88-45da-85d3-3d74b91a5bad}
    volumes:
      - {name: data, size: 100Gi, storage_class: fast}
      - {name: wal, size: 20Gi, storage_class: gold, provisioning: eager_zeroed_thick, controller: {type: nvme}}

- name: Grow data (disks never shrink) and delete wal with its disk file
  guestnet.vsphere.vm:
    name: db01
    datacenter: DC0
    storage_classes:
      fast: {datastore: ssd-01}
    volumes:
      - {name: data, size: 150Gi, storage_class: fast}
      - {name: wal, state: absent}

- name: Restart it once, at the time given
  guestnet.vsphere.vm:
    name: web01
    datacenter: DC0
    next_restart_time: "2026-12-24T18:00:00Z"

- name: Delete it and release its ledger addresses
  guestnet.vsphere.vm:
    name: db01
    datacenter: DC0
    state: absent
'''

RETURN = r'''
vm:
  description: The VM (as M(guestnet.vsphere.vm_deploy) returns it), with the power state it was brought to.
  returned: always
  type: dict
  sample: {moid: vm-42, name: web01, path: /DC0/vm/web01, instance_uuid: 5013a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71,
           bios_uuid: 4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71, power_state: poweredOn, image: /DC0/vm/ubuntu-22.04,
           vm_class: {cpus: 2, memory: 4096}, adapter_types: []}
steps:
  description:
    - Which steps ran and whether each changed something - C(deploy), C(network), C(bootstrap) (with its
      C(provider)), C(volumes) (when O(volumes) is given), C(power) (with the C(state) reached).
  returned: always
  type: dict
  sample: {deploy: {changed: true}, network: {changed: true}, bootstrap: {changed: true, provider: cloud_init},
           power: {changed: true, state: poweredOn}}
actions:
  description: What the NIC step did per interface and unclaimed NIC (see M(guestnet.vsphere.vm_network)).
  returned: when O(state=present)
  type: list
  elements: dict
allocations:
  description: The addresses the subnet ledger holds for the VM's subnet interfaces (see M(guestnet.vsphere.vm_network)).
  returned: when O(state=present)
  type: list
  elements: dict
network:
  description: VM Operator's C(status.network) - the intended config and the observed interfaces (see M(guestnet.vsphere.vm_network)).
  returned: when O(state=present)
  type: dict
  contains:
    config:
      description: The intended network config, with the MAC address of each interface's NIC.
      type: dict
      returned: always
    interfaces:
      description: Every NIC with what VMware Tools reports on it.
      type: list
      elements: dict
      returned: always
primary_ip4:
  description: The primary IPv4 address, as VM Operator derives it.
  returned: when O(state=present)
  type: str
  sample: 10.0.0.10
primary_ip6:
  description: The primary IPv6 address.
  returned: when O(state=present)
  type: str
drift:
  description: Intended against observed, per interface that differs (see M(guestnet.vsphere.vm_network)).
  returned: when O(state=present)
  type: list
  elements: dict
bootstrap:
  description: The bootstrap step's provider, hash, documents (secrets redacted) and what it updated (see M(guestnet.vsphere.vm_bootstrap)).
  returned: when the VM is bootstrapped (O(provider), or a manifest's bootstrap)
  type: dict
power:
  description: What the power step found and did (see M(guestnet.vsphere.vm_power)).
  returned: when O(state=present)
  type: dict
restart:
  description: The restart decision for O(next_restart_time) (see M(guestnet.vsphere.vm_power)).
  returned: when O(next_restart_time) is given and the VM was powered on
  type: dict
conditions:
  description:
    - VM Operator's C(status.conditions) for the VM, from what the run read, did and watched (nothing is read for
      them; predicted in check mode, with status V(Unknown) where the outcome cannot be told). Also in the result of
      a task that failed after it changed something.
    - C(VirtualMachineCreated) - the VM exists (or was created by this run).
    - C(VirtualMachineTools) - VMware Tools in the guest, from C(guest.toolsRunningStatus) (reasons
      C(VirtualMachineToolsRunning), C(VirtualMachineToolsNotRunning), which says whether Tools are not installed,
      and C(NoGuestInfo) when the run changed the power state and did not watch the guest since).
    - C(VirtualMachineNetworkReady) - every interface has its NIC on its network (VM Operator's network
      prerequisites); C(VirtualMachineGuestNetworkConfigSynced) - the guest shows every intended address (reasons
      C(Synced), C(NotSynced) with what is missing, C(NoGuestInfo) when the guest was not read after the run's
      changes). Both are left out for a VM with O(network.disabled).
    - C(VirtualMachineBootstrapReady) - with a bootstrap provider, its documents are written and recorded on the VM.
    - C(GuestCustomization) - only when a LinuxPrep or Sysprep customization was queued, or applied at this run's
      power-on; reasons C(GuestCustomizationPending) (queued, not started yet, or not followed without O(wait)),
      C(GuestCustomizationRunning), C(GuestCustomizationSucceeded) (status V(True)) and C(GuestCustomizationFailed),
      with vCenter's message of the event.
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    type:
      description: The condition's type.
      type: str
      returned: always
    status:
      description: V(True), V(False) or V(Unknown).
      type: str
      returned: always
    reason:
      description: Why, in one word (V(True) when the condition holds and VM Operator names no other reason).
      type: str
      returned: always
    message:
      description: What the run found, in a sentence.
      type: str
      returned: always
    last_transition_time:
      description: When the run saw it (for C(GuestCustomization), the time of vCenter's event), ISO 8601 in UTC.
      type: str
      returned: always
  sample:
    - {type: VirtualMachineCreated, status: 'True', reason: 'True', message: VM /DC0/vm/db01 created by this run,
       last_transition_time: '2026-05-04T10:00:09Z'}
    - {type: GuestCustomization, status: 'True', reason: GuestCustomizationSucceeded, message: Customization of VM db01 succeeded.,
       last_transition_time: '2026-05-04T10:01:37Z'}
released:
  description: With O(state=absent), the ledger records (C(subnet ip)) released for the deleted VM.
  returned: when a VM was deleted and the ledger exists
  type: list
  elements: str
volumes:
  description:
    - The volumes the VM has after the run, in the order of O(volumes) (predicted in check mode). The diff shows them before and after.
  returned: when O(volumes) is given (or a manifest's C(spec.volumes)) and O(state=present)
  type: list
  elements: dict
  contains:
    name:
      description: The volume's name.
      type: str
      returned: always
    size:
      description: The disk's size as a quantity (V(10Gi), V(1536Mi)).
      type: str
      returned: always
    storage_class:
      description: Its storage class (null - the VM's datastore).
      type: str
      returned: always
    provisioning:
      description: V(thin), V(thick) or V(eager_zeroed_thick).
      type: str
      returned: always
    datastore:
      description: The datastore of the disk's file.
      type: str
      returned: always
    controller:
      description: The controller the disk is on, as C({type, bus}).
      type: dict
      returned: always
    unit:
      description: The disk's unit on the controller.
      type: int
      returned: always
    file:
      description:
        - The disk's file, as vCenter named it (C([datastore] folder/name.vmdk)). Null in check mode for a new disk, and for a disk this
          run added to an existing VM (vCenter names it; the next run shows it, as the VM is not read again for it).
      type: str
      returned: always
  sample: [{name: data, size: 100Gi, storage_class: fast, provisioning: thin, datastore: ssd-01, controller: {type: pvscsi, bus: 0},
            unit: 1, file: "[ssd-01] db01/db01_1.vmdk"}]
'''

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import (
    bootstrap_argument_spec,
    deploy_argument_spec,
    network_spec_argument_spec,
    nic_argument_spec,
    volumes_argument_spec,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import run_module
from ansible_collections.guestnet.vsphere.plugins.module_utils._reconcile import VmRequest, reconcile


def argument_spec():
    spec = deploy_argument_spec()
    spec.update(network_spec_argument_spec())
    spec.update(bootstrap_argument_spec(provider_required=False))
    spec.update(nic_argument_spec())
    spec.update(volumes_argument_spec())
    spec.update(
        state=dict(type='str', default='present', choices=['present', 'absent']),
        name=dict(type='str'),
        moid=dict(type='str'),
        datacenter=dict(type='str'),
        folder=dict(type='str'),
        power_state=dict(type='str', choices=['powered_on', 'powered_off', 'suspended']),
        power_mode=dict(type='str', choices=['hard', 'soft', 'try_soft']),
        soft_timeout=dict(type='int', default=300),
        next_restart_time=dict(type='str'),
        timeout=dict(type='int', default=3600),
        manifest=dict(type='dict'),
        classes=dict(type='dict', default={}),
        images=dict(type='dict', default={}),
    )
    return spec


ENTRY = ModuleEntry(argument_spec, VmRequest.of, reconcile)


def main():
    run_module(ENTRY)


if __name__ == '__main__':
    main()
