# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs shared by the modules; each pairs with a doc fragment. PRIVATE to the collection.

connection_argument_spec <-> doc_fragments/connection.py
ledger_connection_argument_spec <-> doc_fragments/ledger_connection.py
vm_selector_argument_spec <-> doc_fragments/vm_selector.py
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from typing import Any, Dict, List

from ansible.module_utils.basic import env_fallback

from ansible_collections.guestnet.vsphere.plugins.module_utils._bootstrap import SECTION_DEFAULTS
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import CLOUD_INIT, LINUX_PREP, PROVIDERS
from ansible_collections.guestnet.vsphere.plugins.module_utils._volumes import CONTROLLER_TYPES, DEFAULT_PROVISIONING, PROVISIONING


def connection_argument_spec() -> Dict[str, Any]:
    """The names and environment variables community.vmware and vmware.vmware use."""
    return dict(
        hostname=dict(type='str', fallback=(env_fallback, ['VMWARE_HOST'])),
        username=dict(type='str', aliases=['user', 'admin'], fallback=(env_fallback, ['VMWARE_USER'])),
        password=dict(type='str', aliases=['pass', 'pwd'], no_log=True, fallback=(env_fallback, ['VMWARE_PASSWORD'])),
        # No default here: 443 unless the hostname names a port (ConnectionParams.from_module_params).
        port=dict(type='int', fallback=(env_fallback, ['VMWARE_PORT'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['VMWARE_VALIDATE_CERTS'])),
        ca_path=dict(type='path'),
        proxy_host=dict(type='str', fallback=(env_fallback, ['VMWARE_PROXY_HOST'])),
        proxy_port=dict(type='int', fallback=(env_fallback, ['VMWARE_PROXY_PORT'])),
    )


VM_SELECTORS = ('name', 'uuid', 'instance_uuid', 'moid')


def vm_selector_argument_spec() -> Dict[str, Any]:
    return dict(
        name=dict(type='str'),
        uuid=dict(type='str'),
        instance_uuid=dict(type='str'),
        moid=dict(type='str'),
        datacenter=dict(type='str'),
        folder=dict(type='str'),
    )


def vm_selector_one_of() -> List[List[str]]:
    return [list(VM_SELECTORS)]


def ledger_connection_argument_spec() -> Dict[str, Any]:
    """How a NetBox ledger is reached: its token (no_log; NETBOX_TOKEN) and TLS check; every module with ``ledger``."""
    return dict(
        ledger_token=dict(type='str', no_log=True, fallback=(env_fallback, ['NETBOX_TOKEN'])),
        ledger_validate_certs=dict(type='bool', default=True),
    )


def network_spec_argument_spec() -> Dict[str, Any]:
    """The `network` and `ledger` options (doc_fragments/network_spec.py, doc_fragments/ledger_connection.py). Ansible checks the structure and types;
    _spec.parse_network_spec and the resolver check the meaning (one rule, one place)."""
    route = dict(to=dict(type='str', required=True), via=dict(type='str', required=True), metric=dict(type='int'))
    interface = dict(
        name=dict(type='str', required=True),
        network=dict(type='raw'),
        adapter_type=dict(type='str'),
        mac_address=dict(type='str'),
        subnet=dict(type='str'),
        addresses=dict(type='list', elements='str'),
        dhcp4=dict(type='bool'),
        dhcp6=dict(type='bool'),
        gateway4=dict(type='str'),
        gateway6=dict(type='str'),
        nameservers=dict(type='list', elements='str'),
        search_domains=dict(type='list', elements='str'),
        routes=dict(type='list', elements='dict', options=route),
        mtu=dict(type='int'),
        guest_device_name=dict(type='str'),
    )
    return dict(network=dict(type='dict', options=dict(
        host_name=dict(type='str'),
        domain_name=dict(type='str'),
        nameservers=dict(type='list', elements='str'),
        search_domains=dict(type='list', elements='str'),
        disabled=dict(type='bool', default=False),
        interfaces=dict(type='list', elements='dict', options=interface),
    )), ledger=dict(type='path'), **ledger_connection_argument_spec())


def nic_argument_spec() -> Dict[str, Any]:
    """How the NICs are reconciled and the wait for the guest's addresses (vm_network and vm)."""
    return dict(
        remove_unmanaged=dict(type='bool', default=False),
        connected=dict(type='bool', default=True),
        interface_connected=dict(type='dict', default={}),
        wait=dict(type='dict', options=dict(timeout=dict(type='int', default=300))),
    )


def deploy_argument_spec() -> Dict[str, Any]:
    """What a VM is deployed from and where (doc_fragments/deploy.py), for vm_deploy and vm."""
    return dict(
        image=dict(type='str', aliases=['template']),
        image_kind=dict(type='str', choices=['auto', 'template', 'library_item', 'vm'], default='auto'),
        image_library=dict(type='str'),
        vm_class=dict(type='dict', aliases=['class'], options=dict(
            cpus=dict(type='int'),
            memory=dict(type='raw'),
            cpu_reservation=dict(type='int'),
            cpu_limit=dict(type='int'),
            memory_reservation=dict(type='int'),
            memory_limit=dict(type='int'),
            adapter_types=dict(type='list', elements='str'),
        )),
        guest_id=dict(type='str'),
        instance_uuid=dict(type='str'),
        bios_uuid=dict(type='str'),
        cluster=dict(type='str'),
        host=dict(type='str', aliases=['esxi_hostname']),
        resource_pool=dict(type='str'),
        datastore=dict(type='str'),
        subnets=dict(type='list', elements='str'),
        adopt=dict(type='bool', default=False),
    )


def bootstrap_argument_spec(provider_required: bool = True) -> Dict[str, Any]:
    """A bootstrap provider, its section, power_cycle and force (doc_fragments/bootstrap.py): vm_bootstrap's options,
    and the suboptions of vm's bootstrap."""
    cloud = SECTION_DEFAULTS[CLOUD_INIT]
    return dict(
        provider=dict(type='str', required=provider_required, choices=list(PROVIDERS)),
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
            hardware_clock_is_utc=dict(type='bool', default=SECTION_DEFAULTS[LINUX_PREP]['hardware_clock_is_utc']),
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


def subnet_sync_argument_spec() -> Dict[str, Any]:
    return dict(
        ledger=dict(type='path'),
        **ledger_connection_argument_spec(),
        datacenter=dict(type='str'),
        subnets=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            cidr=dict(type='str', required=True),
            portgroup=dict(type='str', required=True),
            range_start=dict(type='str'),
            range_end=dict(type='str'),
            gateway=dict(type='str'),
            reserved=dict(type='list', elements='raw'),
            nameservers=dict(type='list', elements='str'),
            search_domains=dict(type='list', elements='str'),
            mtu=dict(type='int'),
            direction=dict(type='str', choices=['stepup', 'stepdown', 'random']),
            hold_back=dict(type='int', default=30),
            additional_portgroups=dict(type='list', elements='str'),
        )),
        purge=dict(type='bool', default=False),
        reclaim=dict(type='bool', default=False),
        reclaim_grace=dict(type='int', default=86400),
        fix_nics=dict(type='list', elements='dict', options=dict(
            vm=dict(type='str', required=True),
            ips=dict(type='list', elements='str', required=True),
        )),
    )


def volumes_argument_spec() -> Dict[str, Any]:
    """The vm module's volumes, the storage classes they name and a manifest's claims. Ansible checks the structure;
    _volumes checks the meaning (sizes, names, classes)."""
    return dict(
        volumes=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            size=dict(type='raw'),
            storage_class=dict(type='str'),
            provisioning=dict(type='str', choices=list(PROVISIONING), default=DEFAULT_PROVISIONING),
            controller=dict(type='dict', options=dict(
                type=dict(type='str', required=True, choices=list(CONTROLLER_TYPES)),
                bus=dict(type='int'),
            )),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        )),
        storage_classes=dict(type='dict', default={}),
        claims=dict(type='dict', default={}),
    )
