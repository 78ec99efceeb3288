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
    V(linux_prep) and V(sysprep) it is written by one more reconfiguration right after the customization succeeded
    (C(CustomizeVM_Task) cannot write extraConfig). For V(vapp_config) it goes with the property edits.
  - Interfaces are matched to the VM's NICs as M(guestnet.vsphere.vm_network) matches them - by
    O(network.interfaces[].mac_address), else the NIC recorded for the interface, else a free NIC on its
    O(network.interfaces[].network), else the first free NIC in device order. V(cloud_init) needs a NIC for every
    interface; V(linux_prep) and V(sysprep) set every NIC, so every NIC needs an interface. A missing NIC is an error
    that names the interfaces without one.
  - Every input error (an unsupported field for the provider, a NIC that does not exist, an unknown vApp property, a
    powered-on VM without O(power_cycle)) is reported before anything on the VM changes.
  - Cost on vCenter, in SOAP calls (login, the VM look-up and its details, logout included) 5 when the bootstrap is
    current; 7 to apply V(cloud_init) or V(vapp_config); 9 to apply V(linux_prep) or V(sysprep) to a powered-off VM,
    2 more with O(power_cycle). Tasks that have not ended when first read cost one or two more calls.
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.vm_selector
  - guestnet.vsphere.network_spec
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
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
        type: bool
        default: true
      use_global_search_domains_as_default:
        description:
          - Interfaces without their own O(network.interfaces[].search_domains) get the global O(network.search_domains).
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
        O(network.host_name) (at most 15 characters). Each NIC gets its interface's nameservers and first search domain.
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
        VM is left powered off; the customization applies when it is powered on (M(guestnet.vsphere.vm_power)).
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

from typing import Any, Dict, List, Optional

from ansible_collections.guestnet.vsphere.plugins.module_utils._argspec import (
    network_spec_argument_spec,
    vm_selector_argument_spec,
    vm_selector_one_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._bootstrap import (
    GOSC_PROVIDERS,
    SECTION_DEFAULTS,
    applied_hash,
    check_capabilities,
    check_switch,
    check_vapp_request,
    cleared_guestinfo,
    current_cloud_init_documents,
    current_vapp_documents,
    document_secrets,
    extra_config_diff,
    match_nics,
    provider_options,
    public_documents,
    read_record,
    record_values,
    render_documents,
    vapp_config_spec,
    vapp_edits,
    vapp_secret_values,
    wanted_guestinfo,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import check_ledger_path, ledger_plan
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import default_ledger_path
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import (
    CLOUD_INIT,
    PROVIDERS,
    VAPP_CONFIG,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import GuestnetModule
from ansible_collections.guestnet.vsphere.plugins.module_utils._nic_devices import NETWORK_INVENTORY, catalog_of, observed_nics
from ansible_collections.guestnet.vsphere.plugins.module_utils._power import HARD, POWERED_OFF, PowerError
from ansible_collections.guestnet.vsphere.plugins.module_utils._power import plan as power_plan
from ansible_collections.guestnet.vsphere.plugins.module_utils._render._gosc import no_ipv4_mode
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import (
    intended_config,
    resolve,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import (
    HAS_PYVMOMI,
    VM_LOOKUP_PROPERTIES,
    VCenterError,
    option_values,
    select_vm,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmodl import to_vmodl

if HAS_PYVMOMI:
    from pyVmomi import vim

# The VM's details, read in one call once the VM is found.
DETAIL_PATHS = ('config.hardware.device', 'config.extraConfig', 'config.guestId', 'config.tools.pendingCustomization', 'runtime.powerState')
VAPP_PATHS = ('config.vAppConfig',)
SELECTOR_KEYS = ('name', 'uuid', 'instance_uuid', 'moid', 'datacenter', 'folder')


def argument_spec() -> Dict[str, Any]:
    cloud = SECTION_DEFAULTS[CLOUD_INIT]
    spec: Dict[str, Any] = vm_selector_argument_spec()
    spec.update(network_spec_argument_spec())
    spec.update(
        provider=dict(type='str', required=True, choices=list(PROVIDERS)),
        cloud_init=dict(type='dict', mutually_exclusive=[['cloud_config', 'raw_cloud_config']], options=dict(
            cloud_config=dict(type='dict', no_log=True),
            raw_cloud_config=dict(type='str', no_log=True),
            instance_id=dict(type='str'),
            ssh_authorized_keys=dict(type='list', elements='str', no_log=False),
            wait_on_network=dict(type='dict', options=dict(ipv4=dict(type='bool'), ipv6=dict(type='bool'))),
            use_global_nameservers_as_default=dict(type='bool', default=cloud['use_global_nameservers_as_default']),
            use_global_search_domains_as_default=dict(type='bool', default=cloud['use_global_search_domains_as_default']),
            gateway_style=dict(type='str', default=cloud['gateway_style'], choices=['gateway_keys', 'default_route']),
        )),
        linux_prep=dict(type='dict', options=dict(
            time_zone=dict(type='str'),
            hardware_clock_is_utc=dict(type='bool', default=SECTION_DEFAULTS['linux_prep']['hardware_clock_is_utc']),
            script_text=dict(type='str'),
        )),
        sysprep=dict(type='dict', options=dict(
            password=dict(type='str', no_log=True),
            full_name=dict(type='str'),
            org_name=dict(type='str'),
            product_id=dict(type='str', no_log=True),
            time_zone=dict(type='int'),
            auto_logon=dict(type='bool'),
            auto_logon_count=dict(type='int'),
            run_once=dict(type='list', elements='str'),
            join_workgroup=dict(type='str'),
            join_domain=dict(type='str'),
            domain_admin=dict(type='str'),
            domain_admin_password=dict(type='str', no_log=True),
            domain_ou=dict(type='str'),
            raw_sysprep=dict(type='str', no_log=True),
        )),
        vapp_config=dict(type='dict', options=dict(
            properties=dict(type='list', elements='dict', required=True, options=dict(
                key=dict(type='str', required=True, no_log=False),
                value=dict(type='raw', required=True),
            )),
        )),
        power_cycle=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
    )
    return spec


def describe_selector(params: Dict[str, Any]) -> str:
    parts = ['%s %s' % (key.replace('_', ' '), params[key]) for key in SELECTOR_KEYS if params.get(key)]
    return ', '.join(parts)


def read_vapp(vapp_config: Any) -> Dict[str, Any]:
    """The VM's vApp properties in the renderer's shape, and its OVF transports."""
    properties = []
    for prop in (vapp_config.property if vapp_config is not None else None) or []:
        value = prop.value if prop.value is not None else (prop.defaultValue or '')
        properties.append({'key': prop.key, 'id': prop.id, 'type': prop.type or 'string',
                           'user_configurable': bool(prop.userConfigurable), 'value': value})
    transports = list(vapp_config.ovfEnvironmentTransport or []) if vapp_config is not None else []
    return {'properties': properties, 'transports': transports}


def guest_family_warning(provider: str, guest_id: Optional[str]) -> Optional[str]:
    windows = (guest_id or '').lower().startswith('win')
    if provider == 'sysprep' and guest_id and not windows:
        return 'provider sysprep customizes Windows guests, but the VM\'s guest OS is %s' % guest_id
    if provider == 'linux_prep' and windows:
        return 'provider linux_prep customizes Linux guests, but the VM\'s guest OS is %s' % guest_id
    return None


def option_value_list(changes: Dict[str, str]) -> List[Any]:
    return [vim.option.OptionValue(key=key, value=value) for key, value in sorted(changes.items())]


def body(module: GuestnetModule) -> Dict[str, Any]:  # pylint: disable=too-many-locals,too-many-branches,too-many-statements
    params = module.params
    provider = params['provider']
    force = params['force']
    # Everything the user wrote is checked before the first call to vCenter.
    options = provider_options(provider, {name: params.get(name) for name in PROVIDERS})
    spec = parse_network_spec(params.get('network'))
    check_capabilities(spec, provider)
    ledger_path = params['ledger'] or default_ledger_path()
    check_ledger_path(spec, ledger_path)
    requested = options.get('properties') or []
    if provider == VAPP_CONFIG:
        check_vapp_request(requested)

    with module.session() as client:
        # One read finds the VM and the port groups its NICs are on (to match interfaces to NICs as vm_network does).
        inventory = client.inventory(dict(NETWORK_INVENTORY, VirtualMachine=VM_LOOKUP_PROPERTIES))
        vm = select_vm(inventory, params)
        if vm is None:
            raise VCenterError('no VM matches %s (templates are not bootstrapped)' % describe_selector(params))
        paths = DETAIL_PATHS + (VAPP_PATHS if provider == VAPP_CONFIG else ())
        details = client.read([vm.ref], paths)[0]
        vm_name = vm.name or vm.moid
        extra = option_values(details.get('config.extraConfig'))
        power_state = str(details.get('runtime.powerState') or '')
        vapp = read_vapp(details.get('config.vAppConfig')) if provider == VAPP_CONFIG else {'properties': [], 'transports': []}
        # Values of password properties are secrets from the moment their type is known.
        module.ansible.no_log_values.update(vapp_secret_values(requested, vapp['properties']))
        warning = guest_family_warning(provider, details.get('config.guestId'))
        if warning:
            module.ansible.warn(warning)

        catalog = catalog_of(inventory, inventory.datacenter_of(vm))
        # Subnet interfaces: the same ledger addresses vm_network allocated (or a new one, kept only on apply).
        owner = vm.get('config.instanceUuid') or vm.moid
        subnet_plan, spec = ledger_plan(ledger_path, spec, vm_uuid=owner, catalog=catalog, dry_run=True)
        nics = observed_nics(details.get('config.hardware.device'), catalog)
        macs = match_nics(spec, nics, provider=provider, vm_name=vm_name)
        global_dns = provider != CLOUD_INIT or options['use_global_nameservers_as_default']
        global_search = provider != CLOUD_INIT or options['use_global_search_domains_as_default']

        net = resolve(spec, vm_name=vm_name, provider=provider, macs=macs, use_global_nameservers_as_default=global_dns,
                      use_global_search_domains_as_default=global_search, subnets=subnet_plan.defaults)
        documents = render_documents(provider, net, options, instance_id=vm.get('config.uuid') or vm.moid,
                                     no_ipv4=no_ipv4_mode(client.content.about.apiVersion), vm_properties=vapp['properties'])
        module.ansible.no_log_values.update(document_secrets(documents))
        recorded_provider, recorded_hash = read_record(extra)
        check_switch(recorded_provider, provider, force, vm_name)
        digest = applied_hash(provider, documents, salt=owner)

        wanted: Dict[str, Optional[str]] = dict(record_values(provider, digest))
        if provider == CLOUD_INIT:
            wanted.update(wanted_guestinfo(documents))
        elif recorded_provider == CLOUD_INIT:
            wanted.update(cleared_guestinfo())
        extra_changes = extra_config_diff(extra, wanted, force=force)
        vapp_spec = None
        edits: List[Dict[str, Any]] = []
        if provider == VAPP_CONFIG:
            edits = vapp_edits(requested, vapp['properties'], force=force)
            vapp_spec = vapp_config_spec(edits, vapp['transports'])
        customize = provider in GOSC_PROVIDERS and bool(extra_changes)
        changed = bool(extra_changes) or vapp_spec is not None
        power_steps: List[Any] = []
        customization_spec = None
        if customize:
            if power_state != POWERED_OFF:
                if not params['power_cycle']:
                    raise VCenterError('VM %s is %s, and %s customizes at the next power-on, so the VM must be powered off: power it off '
                                       'first (guestnet.vsphere.vm_power), or set power_cycle: true to power it off here'
                                       % (vm_name, power_state, provider))
                try:   # vm_power's transition table: a hard power-off
                    power_steps = list(power_plan(power_state, 'powered_off', HARD).steps)
                except PowerError as error:
                    raise VCenterError('power_cycle: VM %s cannot be powered off for its customization: %s' % (vm_name, error)) from None
            if details.get('config.tools.pendingCustomization'):
                raise VCenterError('VM %s already has a customization pending (config.tools.pendingCustomization), which applies at its '
                                   'next power-on; vCenter queues one at a time: power the VM on, then run again' % vm_name)
            customization_spec = to_vmodl(documents['spec'])
        reconfig = vim.vm.ConfigSpec()
        if extra_changes:
            reconfig.extraConfig = option_value_list(extra_changes)
        if vapp_spec is not None:
            reconfig.vAppConfig = to_vmodl(vapp_spec)

        if subnet_plan.changed and not module.check_mode:
            # Everything checked out: keep the new allocations, before the VM changes.
            committed, dummy = ledger_plan(ledger_path, spec, vm_uuid=owner, catalog=catalog, dry_run=False)
            if committed.defaults != subnet_plan.defaults:
                raise VCenterError('the subnet ledger handed an address this run had planned for VM %s to another VM meanwhile; nothing '
                                   'was changed on the VM: run again (it keeps %s)'
                                   % (vm_name, ', '.join(item['address'] for item in committed.allocations)))
            subnet_plan = committed
        if changed and not module.check_mode:
            for step in power_steps:
                client.run_task('powering off VM %s for its customization' % vm_name, getattr(vm.ref, step.method), check_first=True)
            if customization_spec is not None:
                client.run_task('customizing VM %s (%s)' % (vm_name, provider), vm.ref.CustomizeVM_Task, spec=customization_spec,
                                check_first=True)
            try:
                client.run_task('reconfiguring VM %s' % vm_name, vm.ref.ReconfigVM_Task, spec=reconfig, check_first=True)
            except VCenterError as error:
                if customization_spec is None:
                    raise
                raise VCenterError('%s; the customization is queued on the VM, but its record (%s) was not written: the next run '
                                   'applies it again' % (error, ', '.join(sorted(extra_changes)))) from None

    public = public_documents(provider, documents)
    result: Dict[str, Any] = {
        'changed': changed or subnet_plan.changed,
        'allocations': subnet_plan.allocations,
        'bootstrap': {
            'provider': provider,
            'hash': digest,
            'previous': {'provider': recorded_provider, 'hash': recorded_hash},
            'applied': public,
            'updated': {
                'extra_config': sorted(extra_changes),
                'customization': customization_spec is not None,
                'vapp_properties': [_edit_id(edit, vapp['properties']) for edit in edits],
                'ovf_environment_transport': bool(vapp_spec and vapp_spec.get('ovfEnvironmentTransport')),
                'powered_off': bool(power_steps),
            },
            'network_config': intended_config(net),
        },
    }
    if module.diff_mode:
        if provider == CLOUD_INIT:
            before_documents = current_cloud_init_documents(extra)
        elif provider == VAPP_CONFIG:
            before_documents = current_vapp_documents(requested, vapp['properties'])
        else:
            before_documents = {}   # vCenter cannot show an applied customization: the hash stands for it
        result['diff'] = {
            'before': {'provider': recorded_provider, 'hash': recorded_hash, 'documents': before_documents},
            'after': {'provider': provider, 'hash': digest, 'documents': public},
        }
    return result


def _edit_id(edit: Dict[str, Any], properties: List[Dict[str, Any]]) -> str:
    key = edit['info']['key']
    for prop in properties:
        if prop['key'] == key:
            return str(prop.get('id') or key)
    return str(key)


def main() -> None:
    module = GuestnetModule(argument_spec(), supports_check_mode=True, required_one_of=vm_selector_one_of(),
                            mutually_exclusive=vm_selector_one_of())
    module.run(body)


if __name__ == '__main__':
    main()
