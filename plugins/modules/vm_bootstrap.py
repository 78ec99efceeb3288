#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: vm_bootstrap
short_description: Configure a VM's guest network and identity with cloud-init, LinuxPrep, Sysprep or vApp properties
version_added: 0.1.0
author: guestnet.vsphere contributors (@guestnet)
description:
  - Applies one bootstrap provider of VMware VM Operator to an existing VM, rendered from the same O(network) spec that
    M(guestnet.vsphere.vm_network) gives the VM's NICs from.
  - V(cloud_init) writes cloud-init metadata (with the network config, netplan v2) and user-data into the VM's
    C(guestinfo.*) extraConfig keys, where cloud-init's VMware datasource reads them; it works on a powered-on or a
    powered-off VM and takes effect when cloud-init next runs (at boot, for a new O(cloud_init.instance_id)).
  - V(linux_prep) and V(sysprep) run Guest OS Customization (C(CustomizeVM_Task)); it applies at the VM's next power-on,
    so the VM must be powered off (see O(power_cycle)). The module leaves the VM powered off.
  - V(vapp_config) sets the VM's existing, user-configurable vApp (OVF) properties and makes sure the OVF environment
    reaches the guest over guestinfo (transport C(com.vmware.guestInfo)).
  - Idempotent. What was applied is recorded on the VM in two extraConfig keys the guest cannot read,
    C(guestnet.bootstrap.provider) and C(guestnet.bootstrap.hash) (a hash of the provider and the rendered documents);
    the provider is applied again only when the hash differs, or with O(force). For V(cloud_init) the record is written
    in the same reconfiguration as the guestinfo keys, and only keys whose decoded content changes are written. For
    V(linux_prep) and V(sysprep) it is written right before the customization is queued (C(CustomizeVM_Task) cannot
    write extraConfig), so a run that fails after queueing it leaves a VM that the next run recognises; when vCenter
    refuses the customization, the previous record is put back. For V(vapp_config) it goes with the property edits.
  - The hash covers each NIC as the interface it belongs to, not its MAC address, so a NIC that is replaced later does
    not re-run a customization (GOSC applies once, at a power-on); re-apply with O(force) when the guest must see it.
  - Interfaces are matched to the VM's NICs as M(guestnet.vsphere.vm_network) matches them - by
    O(network.interfaces[].mac_address), else the NIC recorded for the interface, else a free NIC on its
    O(network.interfaces[].network), else the first free NIC in device order. V(cloud_init) needs a NIC for every
    interface; V(linux_prep) and V(sysprep) set every NIC, so every NIC needs an interface. A missing NIC is an error
    that names the interfaces without one.
  - Every input error (an unsupported field for the provider, a NIC that does not exist, an unknown vApp property, a
    powered-on VM without O(power_cycle)) is reported before anything on the VM changes, all of them at once.
  - A VM name that is not a valid host name is an error when O(network.host_name) is not set (every provider writes
    the host name into the guest); the message says to set it.
  - The module runs the bootstrap step of M(guestnet.vsphere.vm), which reconciles deployment, NICs, bootstrap and
    power in one task. The VM is read once; applying costs one C(ReconfigVM_Task) (and for V(linux_prep) and
    V(sysprep) one C(CustomizeVM_Task)), each with a read of its state. Tasks that have not ended when first read cost
    one or two more calls.
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.vm_selector
  - guestnet.vsphere.network_spec
  - guestnet.vsphere.bootstrap
  - guestnet.vsphere.ledger_connection
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
  - guestnet.vsphere.attributes.action
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  provider:
    description:
      - The bootstrap provider. Each has its own options in the section of the same name; giving another provider's
        section is an error.
      - Which O(network) fields a provider can carry follows VM Operator's tables; for example
        O(network.interfaces[].routes) and O(network.interfaces[].mtu) need V(cloud_init).
      - Switching a VM that was bootstrapped with one provider to another needs O(force).
    type: str
    required: true
    choices: [cloud_init, linux_prep, sysprep, vapp_config]
notes:
  - The hash covers secrets (passwords, user-data) only through a salted PBKDF2 digest, so a change of password
    re-applies the bootstrap while the recorded hash, which every vCenter reader can see, does not reveal it.
  - vCenter customizes a VM only once per pending customization; running V(linux_prep) or V(sysprep) again with changed
    settings before the VM was powered on fails with a clear error.
  - GOSC on vCenter before API 9.1 cannot turn IPv4 off on a NIC; such NICs (IPv6-only) get DHCPv4 there.
  - Values of vApp properties of type V(password) are hidden once the module has read the VM's properties. Mark such
    tasks C(no_log) as well - the module logs its arguments, and fails on a connection or look-up error, before it knows
    which properties are passwords.
seealso:
  - module: guestnet.vsphere.vm_network
  - module: guestnet.vsphere.vm_power
'''

EXAMPLES = r'''
- name: Bootstrap a Linux VM with cloud-init (static dual stack, a route, jumbo frames)
  guestnet.vsphere.vm_bootstrap:
    name: web01
    datacenter: DC0
    provider: cloud_init
    network:
      host_name: web01
      domain_name: example.com
      nameservers: [10.0.0.53]
      search_domains: [example.com]
      interfaces:
        - name: eth0
          network: DC0_DVPG0
          guest_device_name: ens192
          addresses: [10.0.0.10/24, "2001:db8::10/64"]
          gateway4: 10.0.0.1
          gateway6: "2001:db8::1"
          routes:
            - {to: 172.16.0.0/12, via: 10.0.0.254, metric: 100}
          mtu: 9000
    cloud_init:
      ssh_authorized_keys:
        - "{{ lookup('ansible.builtin.file', 'files/ops.pub') }}"
      cloud_config:
        package_update: true
        packages: [nginx]
        runcmd:
          - systemctl enable --now nginx
      wait_on_network:
        ipv4: true

- name: Customize a Linux VM with LinuxPrep, powering it off first if needed
  guestnet.vsphere.vm_bootstrap:
    name: db01
    provider: linux_prep
    power_cycle: true
    network:
      host_name: db01
      domain_name: example.com
      nameservers: [10.0.0.53, 10.0.0.54]
      search_domains: [example.com]
      interfaces:
        - name: eth0
          addresses: [10.0.0.20/24]
          gateway4: 10.0.0.1
        - name: eth1
          dhcp4: true
    linux_prep:
      time_zone: Europe/Berlin
      hardware_clock_is_utc: true

- name: Power the VM on so the customization applies
  guestnet.vsphere.vm_power:
    name: db01
    state: powered_on

- name: Customize a Windows VM with Sysprep and join it to a domain
  guestnet.vsphere.vm_bootstrap:
    name: win01
    provider: sysprep
    network:
      host_name: win01
      domain_name: corp.example.com
      nameservers: [10.0.0.53]
      interfaces:
        - name: ethernet0
          addresses: [10.0.0.30/24]
          gateway4: 10.0.0.1
          nameservers: [10.0.0.10, 10.0.0.11]
    sysprep:
      password: "{{ vault_windows_admin_password }}"
      org_name: Example Corp
      time_zone: 110
      join_domain: corp.example.com
      domain_admin: svc-join@corp.example.com
      domain_admin_password: "{{ vault_domain_join_password }}"
      domain_ou: OU=Servers,DC=corp,DC=example,DC=com
      run_once:
        - powershell.exe -Command "Set-TimeZone -Id 'W. Europe Standard Time'"

- name: Sysprep with a complete unattend.xml from a template
  guestnet.vsphere.vm_bootstrap:
    name: win02
    provider: sysprep
    network:
      host_name: win02
      interfaces:
        - name: ethernet0
          dhcp4: true
    sysprep:
      raw_sysprep: "{{ lookup('ansible.builtin.template', 'unattend.xml.j2') }}"

- name: Set the vApp properties of an appliance from the network spec
  guestnet.vsphere.vm_bootstrap:
    name: appliance01
    provider: vapp_config
    network: "{{ guestnet_network }}"
    vapp_config:
      properties:
        - key: hostname
          value: appliance01
        - key: ip0
          value: "{{ config | guestnet.vsphere.first_ip | guestnet.vsphere.format_ip('') }}"
        - key: netmask0
          value: "{{ config | guestnet.vsphere.first_ip | guestnet.vsphere.subnet_mask }}"
        - key: dns
          value: "{{ config | guestnet.vsphere.format_nameservers }}"
  vars:
    config: "{{ guestnet_network | guestnet.vsphere.network_config(vm_name='appliance01') }}"

- name: Move a VM from LinuxPrep to cloud-init (removes nothing the guest has; records the new provider)
  guestnet.vsphere.vm_bootstrap:
    name: db01
    provider: cloud_init
    force: true
    network: "{{ guestnet_network }}"
'''

RETURN = r'''
allocations:
  description:
    - The addresses the subnet ledger holds for interfaces with O(network.interfaces[].subnet) and no address of
      their own (the same ones M(guestnet.vsphere.vm_network) got). C(changed) is true when this run allocated it.
  returned: success
  type: list
  elements: dict
  sample:
    - {interface: eth0, subnet: app-net, address: 10.50.0.10/24, changed: false}
bootstrap:
  description: What the provider applies (or, in check mode, would apply). Every secret is replaced by V(********).
  returned: success
  type: dict
  contains:
    provider:
      description: The provider.
      type: str
      sample: cloud_init
    hash:
      description: The hash of the provider and its rendered documents, as recorded in the VM's C(guestnet.bootstrap.hash).
      type: str
      sample: sha256:5f0c3d8c0b9e4e1f8d2a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e
    previous:
      description: The record on the VM before this run (V(null) values when there was none).
      type: dict
      sample: {provider: cloud_init, hash: "sha256:0a1b..."}
    applied:
      description:
        - The rendered documents. V(cloud_init) - C(metadata) (as written, the network config in C(metadata.network)),
          C(netplan) (the same network config), C(userdata) (redacted; left out when there is none).
          V(linux_prep), V(sysprep) - C(spec), the C(vim.vm.customization.Specification) as data (C(_type) names each
          vSphere type). V(vapp_config) - C(properties), a list of C(key) and C(value) (typed, canonical).
      type: dict
      sample:
        metadata:
          hostname: web01.example.com
          instance-id: 42263fd2-0b6a-6e08-2f8b-7b9d1b1c1c1c
          local-hostname: web01.example.com
          network:
            version: 2
            ethernets:
              eth0:
                match: {macaddress: "00:50:56:80:00:01"}
                set-name: ens192
                addresses: [10.0.0.10/24]
                gateway4: 10.0.0.1
        userdata: "********"
    updated:
      description: What this run changed (or would change) on the VM.
      type: dict
      contains:
        extra_config:
          description: extraConfig keys written or removed.
          type: list
          elements: str
          sample: [guestinfo.metadata, guestinfo.metadata.encoding, guestnet.bootstrap.hash, guestnet.bootstrap.provider]
        customization:
          description: Whether a Guest OS Customization was queued (C(CustomizeVM_Task)).
          type: bool
        vapp_properties:
          description: The vApp properties set.
          type: list
          elements: str
        ovf_environment_transport:
          description: Whether the C(com.vmware.guestInfo) OVF transport was added.
          type: bool
        powered_off:
          description: Whether the VM was powered off for the customization (O(power_cycle)).
          type: bool
    network_config:
      description: The intended network config (VM Operator's C(status.network.config) shape), with the NICs' MAC addresses.
      type: dict
      sample:
        dns: {host_name: web01, domain_name: example.com, nameservers: [10.0.0.53]}
        interfaces:
          - name: eth0
            mac_address: "00:50:56:80:00:01"
            guest_device_name: ens192
            ip: {addresses: [10.0.0.10/24], gateway4: 10.0.0.1}
            dns: {nameservers: [10.0.0.53]}
'''

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import (
    bootstrap_argument_spec,
    network_spec_argument_spec,
    vm_selector_argument_spec,
    vm_selector_one_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._entry import ModuleEntry
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import run_module
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_bootstrap import BootstrapRequest, ensure_bootstrap
from ansible_collections.guestnet.vsphere.plugins.module_utils._vm_handle import Selector


def argument_spec():
    spec = vm_selector_argument_spec()
    spec.update(network_spec_argument_spec())
    spec.update(bootstrap_argument_spec())
    return spec


ENTRY = ModuleEntry(argument_spec, lambda params: (Selector.of(params), BootstrapRequest.of(params)),
                    lambda ctx, request: ensure_bootstrap(ctx, *request),
                    checks=dict(required_one_of=vm_selector_one_of(), mutually_exclusive=vm_selector_one_of()))


def main():
    run_module(ENTRY)


if __name__ == '__main__':
    main()
