#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: subnet_sync
short_description: Sync vCenter port groups and guest IPs into the subnet ledger, and declare subnets on them
version_added: 0.1.0
author: guestnet.vsphere contributors (@guestnet)
description:
  - vCenter knows port groups (layer-2 networks) but no IP subnets. This module keeps the IP subnets and who holds
    which address in a ledger (an SQLite file on the machine that runs the module), as Cloudpods does for VMware.
  - It reads every standard and distributed port group (switch, VLAN, the hosts that reach it) and every VM's NICs
    (MAC, port group, the addresses VMware Tools reports in C(guest.net)) in one vCenter property read, however many
    VMs there are, and records them in the ledger.
  - An address a VM reports is recorded against the subnet whose range contains it and that is reachable from the
    NIC's port group (its primary port group or an additional one). An address another VM already holds becomes a
    V(conflict) record; it never takes the address from its holder.
  - A VM whose Tools are not running keeps the addresses observed earlier (its guest is unknown, not empty). Give
    the addresses of VMs without Tools with O(fix_nics); fixed addresses are never removed by a later sync.
  - A port group whose VMs use addresses inside a subnet of another port group becomes an additional port group
    of that subnet (V(detected)); O(subnets[].additional_portgroups) marks more (V(marked)).
  - All ledger changes of one run are one transaction. Bad input leaves the ledger as it was.
  - M(guestnet.vsphere.vm_network) allocates addresses from the subnets declared here.
  - "The ledger must be on a local disk of the one machine that runs the module (usually the controller: run the task
    on V(localhost) or with C(delegate_to: localhost)). SQLite locking is not reliable on network file systems and a copy
    per machine is a different ledger; the module warns when the path looks shared (NFS, SMB, ...)."
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.ledger_connection
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
  - guestnet.vsphere.attributes.action
attributes:
  check_mode:
    support: full
    details: The ledger is not changed; the result shows what the run would change.
  diff_mode:
    support: full
    details: The ledger's port groups, subnets and address records before and after (reclaimed addresses included).
options:
  ledger:
    description:
      - Path of the ledger's SQLite file, created when missing (not in check mode). An empty file becomes a ledger too.
      - A file that is not a guestnet ledger (not SQLite, or the SQLite database of another application), a corrupt
        one, one written by a newer version of this collection, or a ledger this user cannot write (the file or its
        directory, where SQLite keeps its journal) is an error before vCenter is read, and the file is left as it was.
        Check mode needs a writable ledger too.
      - Defaults to C(guestnet/ledger.sqlite) under E(ANSIBLE_HOME), or C(~/.ansible/guestnet/ledger.sqlite).
      - The URL of a NetBox instead (V(https://netbox.example.com)), or V(netbox) for the URL in E(NETBOX_URL), makes
        NetBox the ledger; its API token is
        O(ledger_token). See O(guestnet.vsphere.vm#module:ledger).
    type: path
  datacenter:
    description:
      - Sync only the port groups and VMs of this datacenter, and look up port group and VM names in it.
      - Ledger port groups of other datacenters are kept; those gone from vCenter are removed.
    type: str
  subnets:
    description:
      - IP subnets to declare (or update) in the ledger. Each lives on one port group.
      - A subnet whose CIDR overlaps another subnet's (of the ledger or of this list) is an error.
      - Options left out get their defaults, so this list is the whole declaration of each subnet it names.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The subnet's name, unique in the ledger.
            O(guestnet.vsphere.vm_network#module:network.interfaces[].subnet) refers to it.
        type: str
        required: true
      cidr:
        description:
          - The network, for example V(10.1.0.0/24) or V(2001:db8:1::/64).
        type: str
        required: true
      portgroup:
        description:
          - The subnet's primary port group, by name or moid (V(dvportgroup-13), V(network-7)). A name found in
            several datacenters or on several switches needs the moid or O(datacenter).
        type: str
        required: true
      range_start:
        description:
          - First address handed out or matched. Defaults to the first usable address of O(subnets[].cidr).
        type: str
      range_end:
        description:
          - Last address handed out or matched. Defaults to the last usable address of O(subnets[].cidr).
        type: str
      gateway:
        description:
          - The default gateway; it is never handed out.
        type: str
      reserved:
        description:
          - Addresses never handed out automatically. Each item is an address, a range V(first-last), a CIDR, or a
            dict with C(start), C(end), C(expires_at) (epoch seconds or ISO 8601) and C(note).
        type: list
        elements: raw
      nameservers:
        description:
          - DNS servers given to interfaces that take an address from this subnet.
        type: list
        elements: str
      search_domains:
        description:
          - DNS search domains given to interfaces that take an address from this subnet.
        type: list
        elements: str
      mtu:
        description:
          - The MTU given to interfaces that take an address from this subnet.
        type: int
      direction:
        description:
          - Allocation order. Defaults to V(stepdown) (from the end of the range) for IPv4 and V(random) for IPv6.
        type: str
        choices: [stepup, stepdown, random]
      hold_back:
        description:
          - Seconds an address of this subnet is not handed out again after it was released (0 to 31536000). See
            the notes.
          - Changing it applies at once, also to addresses released before.
        type: int
        default: 30
      additional_portgroups:
        description:
          - Port groups (names or moids) marked as additional port groups of this subnet
            (Cloudpods' C(network-sync-additional-wires)); VMs on them may use its addresses too.
          - When given, marked port groups not listed are unmarked. Detected ones are not affected.
        type: list
        elements: str
  purge:
    description:
      - Delete the ledger's subnets that O(subnets) does not list, with their observed and conflict records.
      - A subnet with allocated or fixed addresses is not deleted; that is an error.
    type: bool
    default: false
  reclaim:
    description:
      - Release the allocated and fixed addresses whose VM is no longer in vCenter, for example when a decommission
        deleted the VM but could not write the ledger. The result lists them in RV(reclaimed).
      - A VM is looked for in the whole vCenter, whatever O(datacenter) is, by its instance UUID (the key of its
        addresses) or its moid; templates count as VMs. With O(datacenter), only addresses on port groups of that
        datacenter are released.
      - Nothing is reclaimed while a VM's instance UUID cannot be read (an inaccessible VM); a warning names them.
      - Kept, with a warning, are addresses that changed less than O(reclaim_grace) seconds ago, and addresses on port
        groups this account cannot see in vCenter (their VMs may be hidden from it too). The vCenter account must be
        able to see every VM; a VM hidden from it by permissions counts as deleted.
      - Fixed addresses are reclaimed too. They belong to a VM (O(fix_nics) only takes VMs that exist) and go with it,
        as with M(guestnet.vsphere.vm_deploy) O(guestnet.vsphere.vm_deploy#module:state=absent); a fixed address of a
        VM that is gone would otherwise stay taken for good.
      - Each released address is held back as on any release (O(subnets[].hold_back)).
    type: bool
    default: false
  reclaim_grace:
    description:
      - Seconds after its last change an address of a VM that is not in vCenter is still kept by O(reclaim).
      - M(guestnet.vsphere.vm) records a new VM's addresses before it clones the VM, so while the clone runs its
        addresses belong to no VM of vCenter yet; keep this longer than any clone takes.
    type: int
    default: 86400
  fix_nics:
    description:
      - Fixed addresses for VMs whose addresses VMware Tools cannot report (Cloudpods' C(server-sync-fix-nics)).
      - Each address must lie in the range of a subnet reachable from the port group of its NIC, and be free or
        already the VM's.
      - The list is the VM's whole set of fixed addresses; its other fixed addresses are released.
    type: list
    elements: dict
    suboptions:
      vm:
        description:
          - The VM's name, instance UUID or moid.
        type: str
        required: true
      ips:
        description:
          - Bare IP addresses, assigned to the VM's NICs in order (the first to the first NIC). An empty string
            gives that NIC no fixed address.
        type: list
        elements: str
        required: true
notes:
  - SOAP calls per run, whatever the number of VMs and port groups, are the session's three
    (C(RetrieveServiceContent), C(Login), C(Logout)) plus one C(RetrievePropertiesEx) and one
    C(ContinueRetrievePropertiesEx) per further page vCenter sends.
  - VMs are keyed by instance UUID and their NICs are named V(eth0), V(eth1), ... in NIC order, the names
    M(guestnet.vsphere.vm_network) gives them by default, so an address observed here is the one it keeps.
  - Link-local, loopback and multicast addresses that guests report are ignored.
  - "Hold-back: an address that is released (a VM deleted with M(guestnet.vsphere.vm_deploy), a NIC moved to
    another subnet, a fixed address no longer listed, O(reclaim)) is not handed out again for O(subnets[].hold_back)
    seconds, 30 by default, as Cloudpods does (C(minimal_ip_addr_reused_interval_seconds)). Routers and other hosts
    still have the old VM's MAC address in their ARP caches, DNS records and open connections still point at the
    address, and the old VM may still be shutting down; a new VM that got the address at once would get some of that
    traffic, or clash with the old VM. Set it longer where ARP caches live longer, or 0 to reuse at once. A fixed
    address (O(fix_nics)) may take a held-back address."
requirements:
  - pyVmomi
seealso:
  - module: guestnet.vsphere.vm_network
  - name: Cloudpods, VMware network principles
    description: The model this module follows (port group = layer-2 network, subnets kept outside vCenter).
    link: https://www.cloudpods.org/en/docs/cmp/guides/vmware/vmware_net
'''

EXAMPLES = r'''
- name: Declare subnets on port groups and sync the VMs' addresses
  guestnet.vsphere.subnet_sync:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    datacenter: DC0
    subnets:
      - name: prod-web
        cidr: 10.1.0.0/24
        portgroup: web
        range_start: 10.1.0.10
        range_end: 10.1.0.250
        gateway: 10.1.0.1
        reserved: [10.1.0.100-10.1.0.119]
        nameservers: [10.0.0.53]
        search_domains: [example.com]
      - name: prod-db
        cidr: 10.2.0.0/24
        portgroup: DC0_DVPG1
        gateway: 10.2.0.1
        additional_portgroups: [db-backup]
  delegate_to: localhost
  register: ipam

- name: Show the free addresses per subnet
  ansible.builtin.debug:
    msg: "{{ ipam.subnets | items2dict(key_name='name', value_name='usage') }}"

- name: The same subnet with NetBox as the ledger (a prefix there; the VMs' addresses come from NetBox's allocation)
  guestnet.vsphere.subnet_sync:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"
    ledger: https://netbox.example.com      # or: netbox, for the URL in NETBOX_URL
    ledger_token: "{{ netbox_token }}"     # or NETBOX_TOKEN in the environment
    datacenter: DC0
    subnets:
      - name: prod-web
        cidr: 10.1.0.0/24
        portgroup: web
        gateway: 10.1.0.1
  delegate_to: localhost

- name: Record the addresses of VMs without VMware Tools
  guestnet.vsphere.subnet_sync:
    ledger: /var/lib/guestnet/ledger.sqlite
    fix_nics:
      - vm: legacy-app01
        ips: [10.1.0.21, 10.2.0.21]
  delegate_to: localhost

- name: Release the addresses of VMs that were deleted without releasing them (check mode shows what would go)
  guestnet.vsphere.subnet_sync:
    reclaim: true
  delegate_to: localhost

- name: Keep released addresses of a busy subnet back for five minutes
  guestnet.vsphere.subnet_sync:
    subnets:
      - name: prod-web
        cidr: 10.1.0.0/24
        portgroup: web
        gateway: 10.1.0.1
        hold_back: 300
  delegate_to: localhost

- name: Fail when two VMs report the same address
  guestnet.vsphere.subnet_sync: {}
  delegate_to: localhost
  register: ipam
  failed_when: ipam.conflicts | length > 0
'''

RETURN = r'''
ledger:
  description: Path of the ledger file.
  returned: always
  type: str
  sample: /home/ops/.ansible/guestnet/ledger.sqlite
ledger_warning:
  description: Why the ledger's path looks unsafe (a network or shared file system).
  returned: when the path looks shared
  type: str
portgroups:
  description: The port groups synced (those of O(datacenter) when given).
  returned: always
  type: list
  elements: dict
  contains:
    moid:
      description: The port group's moid, its key in the ledger.
      type: str
      sample: dvportgroup-13
    name:
      description: The port group's name.
      type: str
    kind:
      description: V(standard) or V(distributed).
      type: str
    switch:
      description: The distributed switch's name, or the standard vSwitch's when all hosts agree.
      type: str
    switch_uuid:
      description: The distributed switch's UUID.
      type: str
    vlan:
      description: The VLAN ID; V(-1) for a trunk; the private VLAN ID; null when the hosts disagree or unknown.
      type: int
    datacenter:
      description: The port group's datacenter.
      type: str
    hosts:
      description: Names of the hosts that reach the port group.
      type: list
      elements: str
    subnets:
      description: Subnets whose primary port group this is.
      type: list
      elements: str
    additional_subnets:
      description: Subnets this is an additional port group of.
      type: list
      elements: str
subnets:
  description: Every subnet of the ledger, with its usage.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The subnet's name.
      type: str
    cidr:
      description: The network.
      type: str
    range_start:
      description: First address of the range.
      type: str
    range_end:
      description: Last address of the range.
      type: str
    gateway:
      description: The gateway.
      type: str
    direction:
      description: The allocation order.
      type: str
    hold_back:
      description: Seconds a released address is not handed out again.
      type: int
      sample: 30
    nameservers:
      description: DNS servers.
      type: list
      elements: str
    search_domains:
      description: DNS search domains.
      type: list
      elements: str
    mtu:
      description: The MTU.
      type: int
    reserved:
      description: Reserved ranges (C(start), C(end), C(expires_at), C(note)).
      type: list
      elements: dict
    portgroup:
      description: The primary port group's moid.
      type: str
    portgroup_name:
      description: The primary port group's name.
      type: str
    additional_portgroups:
      description: Additional port groups (C(portgroup), C(portgroup_name), C(added_by) V(detected) or V(marked)).
      type: list
      elements: dict
    usage:
      description:
        - Addresses in the range (C(size)), not allocatable (C(used)), C(free); records by kind (C(allocated),
          C(observed), C(fixed)); addresses in active reservations (C(reserved)); released addresses not yet
          reusable (C(held_back)); C(conflicts).
      type: dict
      sample: {size: 241, used: 32, free: 209, allocated: 5, observed: 6, fixed: 1, reserved: 20, held_back: 0, conflicts: 0}
conflicts:
  description:
    - Addresses a VM reports while another VM holds them (C(holder_vm), C(holder_vm_uuid), C(holder_kind)).
  returned: always
  type: list
  elements: dict
  sample: [{subnet: prod-web, ip: 10.1.0.5, kind: conflict, vm: web02, vm_uuid: 5003..., interface: eth0,
            mac: "00:50:56:80:00:07", portgroup: network-70, holder_vm: web01, holder_vm_uuid: 5001..., holder_kind: observed}]
unmatched:
  description: Addresses VMs report that lie in no subnet reachable from the NIC's port group.
  returned: always
  type: list
  elements: dict
  sample: [{vm: web03, vm_uuid: 5004..., interface: eth0, mac: "00:50:56:80:00:09", portgroup: network-70,
            portgroup_name: web, ip: 192.168.5.4}]
fixed:
  description: The fixed addresses recorded from O(fix_nics).
  returned: always
  type: list
  elements: dict
reclaimed:
  description:
    - The addresses O(reclaim) released (in check mode, would release), as C(subnet ip kind (owner instance-uuid, interface)).
  returned: always
  type: list
  elements: str
  sample: ["app-net 10.0.0.5 allocated (owner 5013a1b2-0000-4000-8000-000000000001, eth0)"]
vms_without_tools:
  description: VMs (of O(datacenter)) whose VMware Tools are not running; their addresses come from O(fix_nics).
  returned: always
  type: list
  elements: str
changes:
  description:
    - What changed in the ledger (in check mode, what would change).
    - C(networks) and C(subnets) (C(added), C(updated), C(removed)); C(additional_portgroups) (C(detected),
      C(undetected), C(marked), C(unmarked)); C(addresses) (C(added), C(removed)) as C(subnet ip kind owner mac portgroup)
      lines.
  returned: always
  type: dict
'''

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import subnet_sync_argument_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import run_module
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_subnets import SubnetRequest, sync_subnets


ENTRY = ModuleEntry(subnet_sync_argument_spec, SubnetRequest.of, sync_subnets, checks=dict(required_if=[('purge', True, ['subnets'])]))


def main():
    run_module(ENTRY)


if __name__ == '__main__':
    main()
