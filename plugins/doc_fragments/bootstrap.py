# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The bootstrap providers' sections, power_cycle and force (module_utils/_argspec.py bootstrap_argument_spec), for
    # vm_bootstrap and vm; each module documents its own provider option (required by vm_bootstrap only).
    DOCUMENTATION = r'''
options:
  cloud_init:
    description:
      - Options of the V(cloud_init) provider.
    type: dict
    suboptions:
      cloud_config:
        description:
          - Cloud-config as a dictionary; written as C(#cloud-config) user-data. Mutually exclusive with
            O(cloud_init.raw_cloud_config).
          - Its contents never appear in output or logs (C(no_log)). Ansible then also masks its values wherever they
            occur in the task's output; use O(cloud_init.raw_cloud_config) to avoid that.
          - Leave both out for no user-data; user-data written by an earlier run is then removed.
        type: dict
      raw_cloud_config:
        description:
          - User-data as text (a cloud-config, a script, a MIME multi-part document), used as given. Text that is already
            base64 or gzip+base64 encoded is decoded first, so it is not encoded twice.
          - Its contents never appear in output or logs.
        type: str
      instance_id:
        description:
          - cloud-init's instance ID. A new ID makes cloud-init in the guest run its per-instance modules again.
          - Defaults to the VM's BIOS UUID, as VM Operator does.
        type: str
      ssh_authorized_keys:
        description:
          - SSH public keys for the default user (metadata C(public-keys)).
        type: list
        elements: str
      wait_on_network:
        description:
          - Make cloud-init wait for an address of these IP versions before it goes on (metadata C(wait-on-network)).
        type: dict
        suboptions:
          ipv4:
            description:
              - Wait for an IPv4 address.
            type: bool
          ipv6:
            description:
              - Wait for an IPv6 address.
            type: bool
      use_global_nameservers_as_default:
        description:
          - Interfaces without their own O(network.interfaces[].nameservers) get the global O(network.nameservers).
          - With V(false), global O(network.nameservers) are an error - no interface would get them.
        type: bool
        default: true
      use_global_search_domains_as_default:
        description:
          - Interfaces without their own O(network.interfaces[].search_domains) get the global O(network.search_domains).
          - With V(false), global O(network.search_domains) are an error - no interface would get them.
        type: bool
        default: true
      gateway_style:
        description:
          - V(gateway_keys) writes C(gateway4)/C(gateway6), as VM Operator does; V(default_route) writes default routes
            instead, for netplan versions that deprecate the gateway keys.
        type: str
        choices: [gateway_keys, default_route]
        default: gateway_keys
  linux_prep:
    description:
      - Options of the V(linux_prep) provider (Guest OS Customization for Linux). Host name and domain come from
        O(network.host_name) and O(network.domain_name); DNS from the global O(network.nameservers) and
        O(network.search_domains).
    type: dict
    suboptions:
      time_zone:
        description:
          - The time zone, for example V(Europe/Berlin).
        type: str
      hardware_clock_is_utc:
        description:
          - The hardware clock runs in UTC.
        type: bool
        default: true
      script_text:
        description:
          - A script that the customization runs before and after it applies the settings (C(precustomization) and
            C(postcustomization) arguments). VMware Tools runs it only when the guest allows customization scripts.
        type: str
  sysprep:
    description:
      - Options of the V(sysprep) provider (Guest OS Customization for Windows). The computer name is
        O(network.host_name) (at most 15 characters). Each static NIC gets its interface's effective nameservers and first
        search domain; a DHCP NIC only its interface's own nameservers (on Windows, adapter DNS overrides what DHCP hands out).
      - C(auto_logon) needs C(password). C(join_workgroup) cannot go with C(join_domain), C(domain_admin),
        C(domain_admin_password), C(domain_ou) or O(network.domain_name).
      - Either the inline options or O(sysprep.raw_sysprep).
    type: dict
    suboptions:
      password:
        description:
          - The local Administrator password. Not set keeps the image's.
        type: str
      full_name:
        description:
          - The user's full name. Defaults to V(Administrator).
        type: str
      org_name:
        description:
          - The organization. Defaults to V(Organization).
        type: str
      product_id:
        description:
          - The Windows product key. Not set means none (volume-licensed images).
        type: str
      time_zone:
        description:
          - The Microsoft time zone index. Defaults to V(85), (GMT) Coordinated Universal Time.
        type: int
      auto_logon:
        description:
          - Log on as Administrator automatically after customization. Defaults to V(false).
        type: bool
      auto_logon_count:
        description:
          - How many times to log on automatically. Defaults to V(1).
        type: int
      run_once:
        description:
          - Commands to run at the first logon.
        type: list
        elements: str
      join_workgroup:
        description:
          - The workgroup to join. With neither a workgroup nor a domain the VM joins V(WORKGROUP).
        type: str
      join_domain:
        description:
          - The Active Directory domain to join. Defaults to O(network.domain_name) when O(sysprep.domain_admin) is given.
        type: str
      domain_admin:
        description:
          - The user that joins the VM to the domain.
        type: str
      domain_admin_password:
        description:
          - That user's password.
        type: str
      domain_ou:
        description:
          - The organizational unit to put the computer in (vCenter 8.0 Update 2 or later).
        type: str
      raw_sysprep:
        description:
          - A complete C(unattend.xml). It replaces every inline option; giving both is an error.
        type: str
  vapp_config:
    description:
      - Options of the V(vapp_config) provider.
    type: dict
    suboptions:
      properties:
        description:
          - The vApp properties to set. Only properties the VM already has (from its OVF) and that are user-configurable
            can be set; another key is an error that lists the VM's keys.
          - Values are checked against the property's OVF type (V(boolean), V(int), V(real), V(ip), ranges, ...) and
            written in its canonical form. Values of V(password) properties never appear in output.
          - The network config's values are at hand through the collection's filters, for example
            C({{ guestnet_network | guestnet.vsphere.network_config | guestnet.vsphere.first_ip }}).
        type: list
        elements: dict
        required: true
        suboptions:
          key:
            description:
              - The property's ID (its C(ovf:key)).
            type: str
            required: true
          value:
            description:
              - The value.
            type: raw
            required: true
  power_cycle:
    description:
      - For V(linux_prep) and V(sysprep) on a powered-on VM that needs a new customization, power it off (hard) first. The
        customization applies when the VM is powered on again - M(guestnet.vsphere.vm_bootstrap) leaves it powered off
        (power it on with M(guestnet.vsphere.vm_power)), M(guestnet.vsphere.vm) powers it on as its
        O(guestnet.vsphere.vm#module:power_state) says.
      - A suspended VM cannot be powered off (VM Operator's transitions, which M(guestnet.vsphere.vm_power) follows too), so
        resume it first.
      - When V(false), such a VM is an error, and nothing is changed.
    type: bool
    default: false
  force:
    description:
      - Apply even when the record on the VM says the same bootstrap was applied, and allow switching providers.
      - When switching away from V(cloud_init), its guestinfo keys are removed.
    type: bool
    default: false
'''
