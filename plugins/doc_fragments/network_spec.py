# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The network spec (module_utils/_argspec.py network_spec_argument_spec), VM Operator's spec.network.
    DOCUMENTATION = r'''
options:
  network:
    description:
      - The VM's guest network, in the shape of VM Operator's C(spec.network) with snake_case keys.
      - The same spec drives the NICs (M(guestnet.vsphere.vm_network)) and the guest configuration
        (M(guestnet.vsphere.vm_bootstrap)), so the two always agree.
      - Which fields a bootstrap provider supports follows VM Operator's tables; an unsupported field is an
        error that names the providers that support it.
    type: dict
    suboptions:
      host_name:
        description:
          - The guest's host name, an RFC 1123 label (at most 15 characters for Windows). Defaults to the VM name.
        type: str
      domain_name:
        description:
          - The guest's DNS domain.
        type: str
      nameservers:
        description:
          - Global DNS servers (IP addresses).
        type: list
        elements: str
      search_domains:
        description:
          - Global DNS search domains.
        type: list
        elements: str
      disabled:
        description:
          - V(true) gives the VM no NICs at all.
        type: bool
        default: false
      interfaces:
        description:
          - At most 10 interfaces. None given (and not O(network.disabled)) means one default interface,
            V(eth0), on DHCP.
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - The interface's name, C(^[a-z0-9]{2,}$), unique. NICs are matched to interfaces by this name.
            type: str
            required: true
          network:
            description:
              - The port group (standard or distributed) by name, or V({name, switch}) when a name exists on
                two switches.
            type: raw
          adapter_type:
            description:
              - V(vmxnet3), V(e1000e), V(e1000), V(vmxnet2), V(pcnet32), V(sriov). Defaults to the VM class's
                adapter types in order, then V(vmxnet3).
            type: str
          mac_address:
            description:
              - A static MAC in VMware's manual range C(00:50:56:00:00:00)-C(00:50:56:3F:FF:FF).
            type: str
          subnet:
            description:
              - A subnet of the ledger (M(guestnet.vsphere.subnet_sync)) to allocate an address, gateway and DNS
                from when O(network.interfaces[].addresses) is not given.
            type: str
          addresses:
            description:
              - IPv4 and IPv6 addresses in CIDR form, for example V(10.0.0.10/24) and V(2001:db8::10/64).
            type: list
            elements: str
          dhcp4:
            description:
              - Use DHCPv4. An interface with no address of any kind uses DHCPv4.
            type: bool
          dhcp6:
            description:
              - Use DHCPv6 (and accept router advertisements).
            type: bool
          gateway4:
            description:
              - The IPv4 default gateway; it must lie inside one of the interface's IPv4 subnets.
                V(None) suppresses a gateway a subnet would supply.
            type: str
          gateway6:
            description:
              - The IPv6 default gateway; it must lie inside one of the interface's IPv6 subnets.
            type: str
          nameservers:
            description:
              - DNS servers for this interface; they replace the global ones (cloud-init, Sysprep).
            type: list
            elements: str
          search_domains:
            description:
              - DNS search domains for this interface (cloud-init).
            type: list
            elements: str
          routes:
            description:
              - Static routes (cloud-init).
            type: list
            elements: dict
            suboptions:
              to:
                description:
                  - V(default) or a destination CIDR.
                type: str
                required: true
              via:
                description:
                  - The next hop, an IP of the same family.
                type: str
                required: true
              metric:
                description:
                  - The route metric, at least 1.
                type: int
          mtu:
            description:
              - The MTU, 68 to 9216 (at least 1280 with IPv6) (cloud-init).
            type: int
          guest_device_name:
            description:
              - The interface's name inside the guest, for example V(ens192) (cloud-init). Defaults to
                O(network.interfaces[].name).
            type: str
  ledger:
    description:
      - Path of the subnet ledger's SQLite file (M(guestnet.vsphere.subnet_sync) creates it), read only when an
        interface names a O(network.interfaces[].subnet).
      - An interface with a subnet and no address of the subnet's IP family (and no DHCP of it) gets an address
        from the ledger, owned by the VM's instance UUID and the interface name, so asking again returns the same
        address, and M(guestnet.vsphere.vm_network) and M(guestnet.vsphere.vm_bootstrap) agree on it. The
        subnet's gateway, DNS servers, search domains and MTU apply below the interface's and the global settings.
      - An interface with a subnet and no O(network.interfaces[].network) goes on the subnet's primary port group.
      - Defaults to C(guestnet/ledger.sqlite) under E(ANSIBLE_HOME), or C(~/.ansible/guestnet/ledger.sqlite).
    type: path
'''
