#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: vm_network
short_description: Reconcile a VM's virtual NICs with a declarative network spec, and report its guest network
version_added: 0.1.0
author: guestnet.vsphere contributors (@guestnet)
description:
  - Gives a vCenter VM exactly the NICs that O(network.interfaces) describes, in the manner of VMware VM Operator's
    C(spec.network) and KubeVirt's rule that every interface is named after the network that backs it.
  - Every interface is matched to an existing NIC by its static O(network.interfaces[].mac_address), then by the
    interface name recorded on the NIC, then to a free NIC on the interface's network (or, for an interface that names
    no network, to any free NIC). Missing NICs are added; a matched NIC on another network is moved to the interface's
    port group (standard, distributed, or NSX opaque, in either direction); NICs are connected or disconnected as
    O(connected) and O(interface_connected) say. NICs are never matched by position, and a re-run never duplicates one.
  - All changes are made in one C(ReconfigVM_Task).
  - Returns the intended network config (VM Operator's C(status.network.config), with the NICs' real MAC addresses),
    the observed guest network (what VMware Tools reports per NIC), the primary IPv4 and IPv6 addresses, and the
    drift between intended and observed. With O(wait), waits until the guest shows the intended addresses.
  - The module runs the NIC step of M(guestnet.vsphere.vm), which reconciles deployment, NICs, bootstrap and power in
    one task. The VM is read once, with the networks its NICs are on; the datacenter's other port groups are read
    only when an interface moves to one of them. O(wait) costs nothing more when the guest already shows the
    addresses, else a property filter and its C(WaitForUpdatesEx) calls (at least 2).
notes:
  - B(The durable record.) vm_network writes C(guestnet:<interface name>) into the C(externalId) of every NIC an
    interface claims (C(VirtualEthernetCard.externalId), a string vSphere keeps for external management planes), in
    the same C(ReconfigVM_Task) that adds or edits the NIC. A NIC added in a run is therefore recorded although its
    device key and MAC address only exist afterwards, and the record moves with the NIC when the VM is cloned.
    The first run on a NIC that carries no record yet records it (and so reports C(changed)); renaming an interface
    re-records the same NIC.
  - Limits of the record. NSX owns the C(externalId) of NICs on NSX port groups (opaque networks, and distributed port
    groups with C(backingType=nsx)), and vm_network never overwrites an C(externalId) that another tool set. Such NICs
    carry no record and are matched by static MAC address or by network only, so moving one of them to another network
    needs a static MAC address to keep its identity; otherwise vm_network adds a NIC on the new network (and removes
    the old one only with O(remove_unmanaged)).
  - Adapter types. A NIC added for an interface gets its O(network.interfaces[].adapter_type), else the VM class's
    adapter type for that position (recorded on the VM by M(guestnet.vsphere.vm_deploy) in the C(guestnet.class)
    extraConfig key), else C(vmxnet3). On an existing NIC the type is enforced only when O(network.interfaces[].adapter_type)
    is given; changing it replaces the NIC (with the same record and MAC address; vCenter keeps a static MAC and is
    asked for the old one when it assigned it) and needs the VM powered off.
  - Without O(network.interfaces) (and without O(network.disabled)) the VM gets one interface, C(eth0). It claims the
    VM's first free NIC, whatever its network; when the VM has none, a NIC is added on the datacenter's C(VM Network),
    or on its first port group by name when there is no C(VM Network).
  - O(network.disabled=true) means the VM has no NICs at all. Every NIC is removed, whatever O(remove_unmanaged) says.
  - A port group name that exists on two switches of the VM's datacenter (a standard port group and a distributed one,
    or two distributed switches) must be given as a dict, O(network.interfaces[].network) with C(name) and C(switch).
    C(switch) is the distributed switch's name, V(standard) for the standard port group, or V(opaque) for an NSX opaque network.
  - Interfaces with O(network.interfaces[].subnet) get their addresses and the subnet's settings from the subnet
    ledger (O(ledger)); the result lists them in RV(allocations). A new allocation counts as a change. Bad input
    fails before the ledger or the VM is changed.
  - In check mode nothing is changed and O(wait) is skipped; the result shows the NICs as they would be (new NICs
    without a MAC address unless it is static).
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.vm_selector
  - guestnet.vsphere.network_spec
  - guestnet.vsphere.ledger_connection
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
  - guestnet.vsphere.attributes.action
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff lists the VM's NICs (interface, device key, MAC, adapter type, network, switch, start connected) before and after.
options:
  remove_unmanaged:
    description:
      - Remove the NICs that no interface claims.
      - With V(false) they are kept and reported in RV(actions) as V(unmanaged).
    type: bool
    default: false
  connected:
    description:
      - Connect every NIC an interface claims (V(true)) or disconnect them all (V(false)), now (powered-on VMs) and at
        power-on (C(startConnected)).
    type: bool
    default: true
  interface_connected:
    description:
      - Per-interface exceptions to O(connected), for example C(eth1=false) as a dict. Keys are interface names of
        O(network.interfaces), values booleans.
    type: dict
    default: {}
  wait:
    description:
      - After reconciling, wait until the guest (VMware Tools) shows every static address of every interface on its
        NIC, and a usable address on every DHCP interface. The wait watches C(guest.net) with C(WaitForUpdatesEx).
      - When the time runs out the module fails with the drift in the message and in RV(drift).
      - The VM must be powered on.
    type: dict
    suboptions:
      timeout:
        description:
          - Seconds to wait at most.
        type: int
        default: 300
seealso:
  - module: guestnet.vsphere.vm_deploy
  - module: guestnet.vsphere.vm_bootstrap
'''

EXAMPLES = r'''
- name: Put app01's NIC on the app-net subnet; the ledger picks its address, gateway and DNS
  guestnet.vsphere.vm_network:
    name: app01
    ledger: /var/lib/guestnet/ledger.sqlite
    network:
      interfaces:
        - name: eth0
          subnet: app-net
  register: app01_net   # app01_net.allocations[0].address is the address it got

- name: Give web01 a NIC on the DVPG and one on a VLAN, each recorded under its interface name
  guestnet.vsphere.vm_network:
    name: web01
    datacenter: DC0
    network:
      host_name: web01
      interfaces:
        - name: eth0
          network: DC0_DVPG0
          addresses: [10.0.0.10/24]
          gateway4: 10.0.0.1
        - name: eth1
          network: PG-VLAN100
          adapter_type: e1000e
          mac_address: "00:50:56:00:10:01"
          dhcp4: true
    remove_unmanaged: true
  delegate_to: localhost
  register: web01_net

- name: Show the intended config and the primary IP
  ansible.builtin.debug:
    msg: "{{ web01_net.network.config.interfaces[0].mac_address }} / {{ web01_net.primary_ip4 }}"

- name: Move eth0 to a port group whose name exists on a standard and a distributed switch
  guestnet.vsphere.vm_network:
    name: web01
    network:
      interfaces:
        - name: eth0
          network: {name: app, switch: DVS0}
  delegate_to: localhost

- name: Keep eth1 disconnected, and wait up to 10 minutes for the guest to show eth0's address
  guestnet.vsphere.vm_network:
    uuid: 4216f3b2-7d4e-4c5b-9b8e-0d6a2c1e9f10
    network:
      interfaces:
        - name: eth0
          network: DC0_DVPG0
          addresses: [10.0.0.10/24]
        - name: eth1
          network: PG-VLAN100
    interface_connected:
      eth1: false
    wait:
      timeout: 600
  delegate_to: localhost

- name: A VM without networking (every NIC is removed)
  guestnet.vsphere.vm_network:
    name: batch07
    network:
      disabled: true
  delegate_to: localhost
'''

RETURN = r'''
vm:
  description: The VM.
  returned: always
  type: dict
  sample: {moid: vm-42, name: web01, power_state: poweredOn}
actions:
  description:
    - What was done (or, in check mode, would be done) per interface and per unclaimed NIC.
    - C(action) is V(keep), V(edit), V(replace) (adapter type change), V(add), V(remove) or V(unmanaged) (kept, claimed by no interface).
    - C(matched_by) says how an existing NIC was matched to its interface, V(mac), V(record), V(network) or V(any).
  returned: always
  type: list
  elements: dict
  sample:
    - {action: edit, interface: eth0, device_key: 4000, adapter_type: vmxnet3, network: DC0_DVPG1, switch: DVS0, matched_by: record,
       reasons: ["network DC0_DVPG0 (DVS0) -> DC0_DVPG1 (DVS0)"]}
    - {action: add, interface: eth1, device_key: null, adapter_type: vmxnet3, network: PG-VLAN100, reasons: ["new vmxnet3 NIC on PG-VLAN100"]}
allocations:
  description:
    - The addresses the subnet ledger holds for interfaces with O(network.interfaces[].subnet) and no address of
      their own. C(changed) is true when this run allocated it (in check mode, would allocate it).
  returned: always
  type: list
  elements: dict
  sample:
    - {interface: eth0, subnet: app-net, address: 10.50.0.10/24, changed: true}
network:
  description: The intended and the observed network of the VM.
  returned: always
  type: dict
  contains:
    config:
      description:
        - The intended network config, VM Operator's C(status.network.config) in snake_case, with the MAC address of
          each interface's NIC (see the collection's docs/developing.md for the shape).
        - C(dns.host_name) is O(network.host_name), else the VM name; it is left out when O(network.host_name) is not set
          and the VM name cannot be a host name (such as V(DC0_H0_VM0)). vm_network writes nothing into the guest, so it
          does not refuse such a name.
      type: dict
      returned: always
      sample:
        dns: {host_name: web01}
        interfaces:
          - name: eth0
            mac_address: "00:50:56:80:00:07"
            network: DC0_DVPG0
            guest_device_name: eth0
            ip: {addresses: [10.0.0.10/24], gateway4: 10.0.0.1}
    interfaces:
      description:
        - Every NIC of the VM in device order, with what VMware Tools reports on it (C(guest.net)), as VM Operator's
          C(status.network.interfaces).
        - C(name) is the interface that claims the NIC (null for an unmanaged NIC). C(ip.addresses[].address) keeps the
          prefix length when the guest reports it.
      type: list
      elements: dict
      returned: always
      sample:
        - name: eth0
          device_key: 4000
          mac_address: "00:50:56:80:00:07"
          adapter_type: vmxnet3
          network: DC0_DVPG0
          switch: DVS0
          connected: true
          start_connected: true
          guest_connected: true
          ip: {addresses: [{address: 10.0.0.10/24, origin: manual, state: preferred}]}
primary_ip4:
  description: The VM's primary IPv4 address as VM Operator derives it (C(guest.ipAddress), cloud-init's C(guestinfo.local-ipv4), the NICs).
  returned: always
  type: str
  sample: 10.0.0.10
primary_ip6:
  description: The VM's primary IPv6 address, derived the same way.
  returned: always
  type: str
  sample: "2001:db8::10"
drift:
  description:
    - Intended vs observed, one entry per interface that differs (empty when the guest shows what the spec says).
    - Keys besides C(name) and C(mac_address) are C(missing_nic), C(network) ({intended, observed}), C(connected)
      ({intended, observed}, powered-on VMs), C(not_reported) (VMware Tools reports nothing for the NIC),
      C(missing_addresses), C(unexpected_addresses) (usable addresses of a family without DHCP that the spec does not
      list) and C(no_dhcp_address) (V(ip4) or V(ip6) when DHCP is on and there is no usable address yet).
  returned: always
  type: list
  elements: dict
  sample:
    - {name: eth0, mac_address: "00:50:56:80:00:07", missing_addresses: [10.0.0.10/24]}
'''

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import (
    network_spec_argument_spec,
    nic_argument_spec,
    vm_selector_argument_spec,
    vm_selector_one_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import run_module
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_nics import NicRequest, ensure_network
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector


def argument_spec():
    spec = vm_selector_argument_spec()
    spec.update(network_spec_argument_spec())
    spec.update(nic_argument_spec())
    return spec


def prepare(params):
    wait = params.get('wait')
    if wait is not None and wait['timeout'] < 1:
        raise SpecError('wait.timeout', wait['timeout'], 'must be at least 1 (seconds)')
    return Selector.of(params), NicRequest.of(params), wait['timeout'] if wait is not None else None


ENTRY = ModuleEntry(argument_spec, prepare, lambda ctx, request: ensure_network(ctx, *request),
                    checks=dict(required_one_of=vm_selector_one_of(), mutually_exclusive=vm_selector_one_of()))


def main():
    run_module(ENTRY)


if __name__ == '__main__':
    main()
