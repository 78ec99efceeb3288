# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger as the resolver's network provider: subnet interfaces get an address and the subnet's settings."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import re

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import check_ledger_path, ledger_plan, plan_subnets, require_ledger
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import ALLOCATED, SqliteLedger
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import NetworkRef, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import DISTRIBUTED, STANDARD, Network, NetworkCatalog
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config, resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

VM = '4213d0b8-0000-4000-8000-000000000001'
CATALOG = NetworkCatalog([
    Network(moid='dvportgroup-20', name='app-pg', kind=DISTRIBUTED, switch='DVS0', portgroup_key='dvportgroup-20'),
    Network(moid='network-7', name='VM Network', kind=STANDARD),
    Network(moid='dvportgroup-21', name='VM Network', kind=DISTRIBUTED, switch='DVS0', portgroup_key='dvportgroup-21'),
], datacenter='DC0')


@pytest.fixture(name='ledger_file')
def ledger_file_fixture(tmp_path):
    path = str(tmp_path / 'ledger.sqlite')
    with SqliteLedger(path) as ledger:
        ledger.upsert_subnet('app-net', '10.50.0.0/24', portgroup='dvportgroup-20', gateway='10.50.0.1', range_start='10.50.0.10',
                             direction='stepup', nameservers=['10.50.0.53'], search_domains=['app.example'], mtu=9000)
        ledger.upsert_subnet('v6-net', '2001:db8:50::/64', portgroup='dvportgroup-20', gateway='2001:db8:50::1')
        ledger.upsert_subnet('legacy', '10.60.0.0/24', portgroup='network-7', gateway='10.60.0.1')
    return path


def spec_of(*interfaces, **top):
    return parse_network_spec(dict(top, interfaces=list(interfaces)))


def held(path):
    with SqliteLedger(path) as ledger:
        return sorted((item.interface, item.ip, item.kind) for item in ledger.addresses() if item.kind == ALLOCATED)


def test_subnet_interface_gets_address_settings_and_port_group(ledger_file):
    spec = spec_of({'name': 'eth0', 'subnet': 'app-net'})
    plan, filled = ledger_plan(ledger_file, spec, vm_uuid=VM, catalog=CATALOG, dry_run=False)
    assert plan.allocations == [dict(interface='eth0', subnet='app-net', address='10.50.0.10/24', changed=True)]
    assert filled.interfaces[0].network == NetworkRef(name='app-pg')      # unique name: no switch needed
    config = intended_config(resolve(filled, vm_name='app01', subnets=plan.defaults))
    iface = config['interfaces'][0]
    assert iface['ip'] == {'addresses': ['10.50.0.10/24'], 'gateway4': '10.50.0.1', 'mtu': 9000}
    assert iface['dns'] == {'nameservers': ['10.50.0.53'], 'search_domains': ['app.example']}
    # vm_network then vm_bootstrap: the same owner gets the same address, and the second run changes nothing
    again, dummy = ledger_plan(ledger_file, spec, vm_uuid=VM, catalog=CATALOG, dry_run=False)
    assert again.allocations == [dict(interface='eth0', subnet='app-net', address='10.50.0.10/24', changed=False)]
    assert not again.changed
    assert held(ledger_file) == [('eth0', '10.50.0.10', ALLOCATED)]


def test_dry_run_reports_without_keeping(ledger_file):
    spec = spec_of({'name': 'eth0', 'subnet': 'app-net'})
    plan, dummy = ledger_plan(ledger_file, spec, vm_uuid=VM, catalog=CATALOG, dry_run=True)
    assert plan.changed and plan.allocations[0]['address'] == '10.50.0.10/24'
    assert held(ledger_file) == []


def test_own_address_or_dhcp_takes_settings_only(ledger_file):
    spec = spec_of({'name': 'eth0', 'subnet': 'app-net', 'addresses': ['10.50.0.200/24']},
                   {'name': 'eth1', 'subnet': 'legacy', 'dhcp4': True},
                   {'name': 'eth2', 'subnet': 'v6-net', 'addresses': ['10.50.0.201/24']})   # an IPv4 address, IPv6 subnet
    plan, filled = ledger_plan(ledger_file, spec, vm_uuid=VM, catalog=CATALOG, dry_run=False)
    assert [item['interface'] for item in plan.allocations] == ['eth2']
    assert ipaddress.ip_interface(plan.allocations[0]['address']) in ipaddress.ip_network('2001:db8:50::/64')
    assert plan.defaults['eth0'].addresses == () and plan.defaults['eth0'].gateway4 == '10.50.0.1'
    # 'VM Network' is on two switches: the filled-in reference names the standard one
    assert filled.interfaces[1].network == NetworkRef(name='VM Network', switch='standard')


def test_named_port_group_must_reach_the_subnet(ledger_file):
    spec = spec_of({'name': 'eth0', 'subnet': 'app-net', 'network': {'name': 'VM Network', 'switch': 'standard'}})
    with pytest.raises(SpecError, match=r'network.interfaces\[0\].network: network-7 does not reach subnet app-net of ledger %s '
                                        r'\(its port groups: primary dvportgroup-20, additional none\)$' % re.escape(ledger_file)):
        ledger_plan(ledger_file, spec, vm_uuid=VM, catalog=CATALOG, dry_run=False)
    assert held(ledger_file) == []


def test_unknown_subnet_and_missing_ledger(ledger_file, tmp_path):
    with pytest.raises(SpecError, match=r'^network.interfaces\[1\].subnet: nope is not a subnet of ledger %s; declare it with '
                                        r'guestnet.vsphere.subnet_sync$' % re.escape(ledger_file)):
        ledger_plan(ledger_file, spec_of({'name': 'eth0', 'subnet': 'app-net'}, {'name': 'eth1', 'subnet': 'nope'}),
                    vm_uuid=VM, catalog=CATALOG, dry_run=False)
    assert held(ledger_file) == []   # eth0's allocation went with the failed plan
    missing = str(tmp_path / 'none.sqlite')
    with pytest.raises(SpecError, match='ledger: .*none.sqlite does not exist, so subnet app-net is unknown'):
        check_ledger_path(spec_of({'name': 'eth0', 'subnet': 'app-net'}), missing)
    check_ledger_path(spec_of({'name': 'eth0', 'network': 'app-pg'}), missing)   # no subnet: no ledger needed
    with pytest.raises(SpecError, match='none.sqlite does not exist, so subnets app-net, db-net are unknown'):
        require_ledger(missing, ['app-net', 'db-net', 'app-net'])
    require_ledger(ledger_file, ['app-net'])


def test_no_subnet_interfaces_never_open_the_ledger(tmp_path):
    spec = spec_of({'name': 'eth0', 'network': 'app-pg', 'addresses': ['10.0.0.5/24']})
    plan, same = ledger_plan(str(tmp_path / 'absent' / 'ledger.sqlite'), spec, vm_uuid=VM, catalog=CATALOG, dry_run=False)
    assert same is spec and plan.allocations == [] and not (tmp_path / 'absent').exists()


def test_two_interfaces_on_one_subnet_in_a_dry_run(ledger_file):
    spec = spec_of({'name': 'eth0', 'subnet': 'app-net'}, {'name': 'eth1', 'subnet': 'app-net'})
    plan, dummy = ledger_plan(ledger_file, spec, vm_uuid=VM, catalog=CATALOG, dry_run=True)
    assert [item['address'] for item in plan.allocations] == ['10.50.0.10/24', '10.50.0.11/24']
    assert held(ledger_file) == []


def test_two_vms_get_different_addresses(ledger_file):
    spec = spec_of({'name': 'eth0', 'subnet': 'app-net'})
    with SqliteLedger(ledger_file) as ledger:
        first = plan_subnets(ledger, spec, vm_uuid=VM, networks={}, dry_run=False)
        second = plan_subnets(ledger, spec, vm_uuid='another-vm', networks={}, dry_run=False)
    assert [first.allocations[0]['address'], second.allocations[0]['address']] == ['10.50.0.10/24', '10.50.0.11/24']
