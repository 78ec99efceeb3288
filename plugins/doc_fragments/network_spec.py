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
      - 'Every problem in the spec is reported at once, each with its field path and value, numbered in spec order
        (C(2 errors: (1) network.interfaces[0].routes[0].via: router is not an IP address; (2) ...)).'
    type: dict
    suboptions:
      host_name:
        description:
          - The guest's host name, an RFC 1123 label of letters, digits and hyphens, or an IP address without
            O(network.domain_name) (at most 15 characters for Windows). Defaults to the VM name.
          - A VM name that cannot be a host name (vCenter names such as V(DC0_H0_VM0) hold underscores) is judged only
            where it becomes one. Every bootstrap provider writes the host name, so M(guestnet.vsphere.vm_bootstrap)
            refuses it with a message that says to set O(network.host_name); M(guestnet.vsphere.vm_network), which
            renders nothing for the guest, takes it and leaves C(dns.host_name) out of the intended config.
        type: str
      domain_name:
        description:
          - The guest's DNS domain, as VM Operator accepts it. Labels of letters, digits and hyphens (not first or last),
            hyphens also in the top-level label (V(corp.foo-domain), V(a-b)); the top-level label has at least 2
            characters. Write an internationalized name in punycode (V(xn--p1ai)).
          - Sysprep joins this domain when C(sysprep.domain_admin) of M(guestnet.vsphere.vm_bootstrap) is given, so a
            Sysprep VM that joins a workgroup leaves it unset.
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
              - The interface's name, C(^[a-z0-9]{2,}$), at most 15 characters (a Linux interface name; it is the guest
                device name unless O(network.interfaces[].guest_device_name) is set), unique. NICs are matched to
                interfaces by this name.
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
                from when O(network.interfaces[].addresses) gives none of the subnet's IP family.
            type: str
          addresses:
            description:
              - IPv4 and IPv6 addresses in CIDR form, for example V(10.0.0.10/24) and V(2001:db8::10/64).
              - With O(network.interfaces[].subnet), these addresses replace the subnet's addresses of the same IP family
                only. VM Operator replaces the network provider's addresses of every family, but there the provider
                comes with the network; here naming a subnet is a request for its address, and the ledger allocates
                only for a family the interface lacks. So V(10.0.0.10/24) with an IPv6 subnet gives a dual-stack
                interface. To take no address from a subnet, do not name it (name its port group in
                O(network.interfaces[].network)).
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
              - 'Several interfaces may each have a default gateway. With cloud-init, two default routes of one IP
                family need different metrics (netplan reports conflicting default routes, and ifupdown fails on the
                second). On all but one interface write the gateway as
                C(routes: [{to: default, via: <gateway>, metric: <n>}]), or set V(None). LinuxPrep writes a default
                route per NIC, Windows (Sysprep) gives each adapter its own metric, and a vApp template decides itself.'
            type: str
          gateway6:
            description:
              - The IPv6 default gateway; it must lie inside one of the interface's IPv6 subnets. Several interfaces
                follow the rule of O(network.interfaces[].gateway4).
            type: str
          nameservers:
            description:
              - DNS servers for this interface; they replace the global ones (cloud-init, Sysprep).
              - Sysprep writes DNS servers on each adapter, and on Windows they override what DHCP hands out, so a
                DHCP interface gets only these, never the global or subnet ones.
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
              - The MTU, 68 to 9216 (at least 1280 with IPv6) (cloud-init). V(0) means unset, as in VM Operator.
            type: int
          guest_device_name:
            description:
              - The interface's name inside the guest, for example V(ens192) (cloud-init). Defaults to
                O(network.interfaces[].name). Letters, digits and C(_), 2 to 15 characters (netplan ignores a longer
                C(set-name)).
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
      - The URL of a NetBox instead (V(https://netbox.example.com)), or V(netbox) for the URL in E(NETBOX_URL) (else
        E(NETBOX_API)), makes NetBox the ledger, for AWX and for teams
        sharing subnets - the subnets are NetBox prefixes and the addresses NetBox ip-addresses, handed out by NetBox's
        own atomic allocation. Its API token is O(ledger_token), by default E(NETBOX_TOKEN). See the subnet ledger guide for
        where everything is in NetBox.
    type: path
'''
