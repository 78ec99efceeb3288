# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of _nics: the durable record, networks, matching, planning, observed status, drift, waits, primary IPs."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import InterfaceSpec, NetworkRef, SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import (
    ADD,
    DISTRIBUTED,
    EDIT,
    KEEP,
    OPAQUE,
    REMOVE,
    REPLACE,
    STANDARD,
    UNMANAGED,
    GuestAddress,
    GuestNic,
    Network,
    NetworkCatalog,
    ObservedNic,
    class_adapter_types,
    drift,
    effective_interfaces,
    guest_of,
    interface_macs,
    match_nics,
    names_by_key,
    nic_list,
    observed_interfaces,
    plan_nics,
    plan_summary,
    predicted_nics,
    primary_ips,
    record_for,
    record_writable,
    recorded_name,
    wait_pending,
    wanted_of,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import resolve
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import parse_network_spec

VM_NETWORK = Network(moid='network-7', name='VM Network')
VLAN100 = Network(moid='network-70', name='PG-VLAN100')
DVPG0 = Network(moid='dvportgroup-13', name='DC0_DVPG0', kind=DISTRIBUTED, switch='DVS0', switch_uuid='uuid-0', portgroup_key='dvportgroup-13')
DVPG1 = Network(moid='dvportgroup-15', name='DC0_DVPG1', kind=DISTRIBUTED, switch='DVS0', switch_uuid='uuid-0', portgroup_key='dvportgroup-15')
UPLINK = Network(moid='dvportgroup-11', name='DVS0-DVUplinks-9', kind=DISTRIBUTED, switch='DVS0', switch_uuid='uuid-0',
                 portgroup_key='dvportgroup-11', uplink=True)
DUP_STD = Network(moid='network-80', name='app')
DUP_DVS0 = Network(moid='dvportgroup-20', name='app', kind=DISTRIBUTED, switch='DVS0', switch_uuid='uuid-0', portgroup_key='dvportgroup-20')
DUP_DVS1 = Network(moid='dvportgroup-21', name='app', kind=DISTRIBUTED, switch='DVS1', switch_uuid='uuid-1', portgroup_key='dvportgroup-21')
NSX_PG = Network(moid='dvportgroup-30', name='nsx-seg', kind=DISTRIBUTED, switch='DVS0', switch_uuid='uuid-0', portgroup_key='dvportgroup-30',
                 nsx=True)
OPAQUE_NET = Network(moid='network-o1', name='ls-web', kind=OPAQUE, opaque_id='ls-1', opaque_type='nsx.LogicalSwitch', nsx=True)
CATALOG = NetworkCatalog([VM_NETWORK, VLAN100, DVPG0, DVPG1, UPLINK, DUP_STD, DUP_DVS0, DUP_DVS1, NSX_PG, OPAQUE_NET], datacenter='DC0')


def nic(key, net=VM_NETWORK, mac=None, adapter='vmxnet3', record=None, external_id=None, connected=True, start_connected=True,
        address_type='assigned'):
    return ObservedNic(key=key, adapter_type=adapter, mac_address=mac or '00:50:56:80:00:%02x' % (key % 256), address_type=address_type,
                       backing=net.kind if net is not None else STANDARD, network=net.moid if net is not None else None,
                       network_name=net.name if net is not None else 'elsewhere', switch=net.switch_label if net is not None else STANDARD,
                       connected=connected, start_connected=start_connected,
                       external_id=external_id if external_id is not None else (record_for(record) if record else None))


def spec_of(data):
    return parse_network_spec(data)


def plan(nics, data, adapter_types=(), **kwargs):
    spec = spec_of(data)
    resolved = resolve(spec, vm_name='vm01', adapter_types=adapter_types)
    return plan_nics(nics, spec, resolved, CATALOG, **kwargs)


def plan_error(nics, data, **kwargs):
    with pytest.raises(SpecError) as info:
        plan(nics, data, **kwargs)
    return str(info.value)


def ifaces(*items):
    return {'interfaces': [dict(name=name, network=net) if net is not None else dict(name=name) for name, net in items]}


# -- the durable record ------------------------------------------------------------------------------------------------

def test_record_round_trip():
    assert record_for('eth0') == 'guestnet:eth0'
    assert recorded_name('guestnet:eth0') == 'eth0'
    assert recorded_name('guestnet:') is None
    assert recorded_name('5b7c1f1e-0000-4000-8000-000000000001') is None   # an NSX VIF id
    assert recorded_name(None) is None and recorded_name('') is None


def test_record_writable():
    assert record_writable(None, VLAN100) and record_writable(None, DVPG0)
    assert not record_writable(None, NSX_PG) and not record_writable(None, OPAQUE_NET)
    assert record_writable(nic(1), DVPG0)
    assert record_writable(nic(1, record='old'), DVPG0)
    assert not record_writable(nic(1, external_id='vif-1234'), DVPG0)          # someone else's id stays
    assert not record_writable(nic(1, net=OPAQUE_NET), OPAQUE_NET)
    assert not record_writable(nic(1), NSX_PG)


# -- the VM class record -----------------------------------------------------------------------------------------------

def test_class_adapter_types_from_the_class_record():
    record = json.dumps({'cpus': 2, 'memory': 4096, 'adapter_types': ['e1000', 'vmxnet2']}, sort_keys=True, separators=(',', ':'))
    assert class_adapter_types({'guestnet.class': record}) == ('e1000', 'vmxnet2')
    assert class_adapter_types({'guestnet.class': '{"cpus":1}'}) == ()
    assert class_adapter_types({'guestnet.class': '{}'}) == ()
    assert class_adapter_types({}) == ()
    with pytest.raises(ValueError, match='guestnet.class record is not JSON'):
        class_adapter_types({'guestnet.class': '{broken'})


# -- networks ----------------------------------------------------------------------------------------------------------

def test_resolve_network_by_name():
    assert CATALOG.resolve(NetworkRef('DC0_DVPG0'), 'p') is DVPG0
    assert CATALOG.resolve(NetworkRef('VM Network'), 'p') is VM_NETWORK
    assert CATALOG.resolve(NetworkRef('DC0_DVPG1', switch='DVS0'), 'p') is DVPG1


def test_unknown_network_names_close_ones():
    with pytest.raises(SpecError) as info:
        CATALOG.resolve(NetworkRef('DC0_DVPG3'), 'network.interfaces[0].network')
    assert str(info.value).startswith('network.interfaces[0].network: DC0_DVPG3 is not a port group in datacenter DC0; did you mean')
    assert 'DC0_DVPG0' in str(info.value)


def test_uplink_port_groups_are_not_networks():
    with pytest.raises(SpecError, match='is not a port group'):
        CATALOG.resolve(NetworkRef('DVS0-DVUplinks-9'), 'p')


def test_ambiguous_name_lists_the_switches():
    with pytest.raises(SpecError) as info:
        CATALOG.resolve(NetworkRef('app'), 'network.interfaces[1].network')
    assert str(info.value) == ('network.interfaces[1].network: app names 3 port groups in datacenter DC0, on: DVS0 (distributed switch), '
                               'DVS1 (distributed switch), standard (standard port group); give network: {name: app, switch: <one of them>}')


def test_switch_disambiguates():
    assert CATALOG.resolve(NetworkRef('app', switch='DVS1'), 'p') is DUP_DVS1
    assert CATALOG.resolve(NetworkRef('app', switch='standard'), 'p') is DUP_STD
    with pytest.raises(SpecError) as info:
        CATALOG.resolve(NetworkRef('app', switch='DVS9'), 'network.interfaces[0].network')
    assert str(info.value) == ('network.interfaces[0].network.switch: DVS9 has no port group app in datacenter DC0; it is on: '
                               'DVS0 (distributed switch), DVS1 (distributed switch), standard (standard port group)')


def test_default_network():
    assert CATALOG.default() is VM_NETWORK
    assert NetworkCatalog([DVPG1, UPLINK, DVPG0]).default() is DVPG0
    named_uplink = Network(moid='dvportgroup-1', name='A-DVUplinks-1', kind=DISTRIBUTED)
    assert NetworkCatalog([named_uplink, VLAN100]).default() is VLAN100
    assert NetworkCatalog([]).default() is None


def test_find_backing():
    assert CATALOG.find_backing(STANDARD, 'network-70') is VLAN100
    assert CATALOG.find_backing(STANDARD, 'PG-VLAN100') is VLAN100
    assert CATALOG.find_backing(DISTRIBUTED, 'dvportgroup-15', 'uuid-0') is DVPG1
    assert CATALOG.find_backing(DISTRIBUTED, 'dvportgroup-15', 'uuid-9') is None
    assert CATALOG.find_backing(OPAQUE, 'ls-1') is OPAQUE_NET
    assert CATALOG.find_backing(STANDARD, None) is None


# -- matching ----------------------------------------------------------------------------------------------------------

def wanted(data):
    spec = spec_of(data)
    return [wanted_of(iface, CATALOG.resolve(iface.network, 'p') if iface.network else None) for iface in effective_interfaces(spec)]


def matched(nics, data):
    return {name: (found.key, how) for name, (found, how) in match_nics(nics, wanted(data)).items()}


def test_static_mac_wins_over_record():
    nics = [nic(1, record='eth0'), nic(2, mac='00:50:56:00:00:02')]
    data = {'interfaces': [{'name': 'eth0', 'mac_address': '00:50:56:00:00:02'}, {'name': 'eth1'}]}
    assert matched(nics, data) == {'eth0': (2, 'mac'), 'eth1': (1, 'any')}


def test_record_then_network_then_any():
    nics = [nic(1, net=DVPG0), nic(2, net=VLAN100, record='data'), nic(3, net=VLAN100)]
    data = ifaces(('data', 'DC0_DVPG1'), ('eth1', 'PG-VLAN100'), ('eth2', None))
    # data keeps its recorded NIC although it is on another network (it will be re-backed); eth1 takes the free NIC
    # on its network; eth2 names no network and takes the first free NIC.
    assert matched(nics, data) == {'data': (2, 'record'), 'eth1': (3, 'network'), 'eth2': (1, 'any')}


def test_network_match_never_takes_a_nic_recorded_for_another_interface():
    nics = [nic(1, net=VLAN100, record='eth1')]
    data = ifaces(('eth0', 'PG-VLAN100'), ('eth1', 'DC0_DVPG0'))
    assert matched(nics, data) == {'eth1': (1, 'record')}


def test_stale_record_is_free():
    nics = [nic(1, net=VLAN100, record='old')]
    assert matched(nics, ifaces(('eth0', 'PG-VLAN100'))) == {'eth0': (1, 'network')}


def test_explicit_adapter_type_preferred_among_free_nics():
    nics = [nic(1, net=VLAN100, adapter='e1000'), nic(2, net=VLAN100, adapter='vmxnet3')]
    data = {'interfaces': [{'name': 'eth0', 'network': 'PG-VLAN100', 'adapter_type': 'vmxnet3'}]}
    assert matched(nics, data) == {'eth0': (2, 'network')}
    assert matched(nics, ifaces(('eth0', 'PG-VLAN100'))) == {'eth0': (1, 'network')}


def test_static_mac_interface_is_not_matched_by_network():
    nics = [nic(1, net=VLAN100)]
    data = {'interfaces': [{'name': 'eth0', 'network': 'PG-VLAN100', 'mac_address': '00:50:56:00:00:09'}]}
    assert not matched(nics, data)


def test_match_without_a_catalog_compares_names():
    nics = [nic(1, net=DUP_DVS1), nic(2, net=DUP_STD)]
    spec = spec_of({'interfaces': [{'name': 'eth0', 'network': {'name': 'app', 'switch': 'standard'}}]})
    assert {k: v[0].key for k, v in match_nics(nics, [wanted_of(i) for i in spec.interfaces]).items()} == {'eth0': 2}


def test_interface_macs_for_bootstrap():
    nics = [nic(1, net=DVPG0, record='eth1'), nic(2, net=VLAN100, record='eth0')]
    assert interface_macs(nics, spec_of(ifaces(('eth0', None), ('eth1', None)))) == {'eth0': nics[1].mac_address, 'eth1': nics[0].mac_address}
    assert interface_macs(nics, spec_of({})) == {'eth0': nics[1].mac_address}
    assert interface_macs(nics, spec_of({'disabled': True})) == {}


# -- planning ----------------------------------------------------------------------------------------------------------

def actions(result):
    return [(a.action, a.interface, a.key) for a in result.actions]


def test_default_interface_claims_the_first_nic_and_records_it():
    result = plan([nic(7, net=DVPG0)], {})
    assert actions(result) == [(EDIT, 'eth0', 7)]
    action = result.actions[0]
    assert action.record == 'guestnet:eth0' and action.network is DVPG0 and not action.rebacks
    assert action.reasons == ('record interface name eth0 on the NIC (externalId)',)
    assert result.changed and result.networks == {'eth0': DVPG0}


def test_recorded_nic_is_kept():
    result = plan([nic(7, net=DVPG0, record='eth0')], {})
    assert actions(result) == [(KEEP, 'eth0', 7)] and not result.changed
    assert result.actions[0].matched_by == 'record'


def test_default_interface_added_on_vm_network():
    result = plan([], {})
    assert actions(result) == [(ADD, 'eth0', None)]
    action = result.actions[0]
    assert action.network is VM_NETWORK and action.adapter_type == 'vmxnet3' and action.record == 'guestnet:eth0'
    assert action.connected is True and action.mac_address is None


def test_adds_use_the_class_adapter_types_in_order_then_vmxnet3():
    result = plan([], ifaces(('eth0', 'DC0_DVPG0'), ('eth1', 'DC0_DVPG0'), ('eth2', 'PG-VLAN100')), adapter_types=('e1000', 'vmxnet2'))
    assert [(a.interface, a.adapter_type, a.network.name) for a in result.actions] == [
        ('eth0', 'e1000', 'DC0_DVPG0'), ('eth1', 'vmxnet2', 'DC0_DVPG0'), ('eth2', 'vmxnet3', 'PG-VLAN100')]


def test_class_types_never_replace_an_existing_nic():
    result = plan([nic(1, net=DVPG0, adapter='vmxnet3', record='eth0')], ifaces(('eth0', 'DC0_DVPG0')), adapter_types=('e1000',))
    assert actions(result) == [(KEEP, 'eth0', 1)]


def test_add_with_static_mac():
    data = {'interfaces': [{'name': 'eth0', 'network': 'PG-VLAN100', 'mac_address': '00-50-56-00-10-01', 'adapter_type': 'e1000e'}]}
    action = plan([], data).actions[0]
    assert (action.action, action.mac_address, action.address_type, action.adapter_type) == (ADD, '00:50:56:00:10:01', 'manual', 'e1000e')
    assert action.reasons == ('new e1000e NIC on PG-VLAN100 with MAC 00:50:56:00:10:01',)


def test_add_needs_a_network_to_default_to():
    spec = spec_of({})
    resolved = resolve(spec, vm_name='vm01')
    with pytest.raises(SpecError) as info:
        plan_nics([], spec, resolved, NetworkCatalog([], datacenter='DC9'))
    assert str(info.value) == ('network.interfaces: [] gives no interface, so the VM gets the default interface eth0, but datacenter DC9 '
                               'has no port group to put its NIC on')
    spec = spec_of(ifaces(('eth0', None)))
    with pytest.raises(SpecError) as info:
        plan_nics([], spec, resolve(spec, vm_name='vm01'), NetworkCatalog([], datacenter='DC9'))
    assert str(info.value) == 'network.interfaces[0].network: None is not given, and datacenter DC9 has no port group to put a new NIC on'


def test_reback_standard_to_distributed_and_back():
    to_dvs = plan([nic(1, net=VM_NETWORK, record='eth0')], ifaces(('eth0', 'DC0_DVPG1')))
    action = to_dvs.actions[0]
    assert (action.action, action.rebacks, action.network) == (EDIT, True, DVPG1)
    assert action.reasons == ('network VM Network -> DC0_DVPG1 (DVS0)',)
    to_std = plan([nic(1, net=DVPG1, record='eth0')], ifaces(('eth0', 'VM Network')))
    assert to_std.actions[0].rebacks and to_std.actions[0].reasons == ('network DC0_DVPG1 (DVS0) -> VM Network',)


def test_reback_from_a_network_outside_the_datacenter():
    result = plan([nic(1, net=None, record='eth0')], ifaces(('eth0', 'PG-VLAN100')))
    assert result.actions[0].reasons == ('network elsewhere (not in this datacenter) -> PG-VLAN100',)


def test_ambiguous_network_in_spec_fails_with_the_switches():
    message = plan_error([], ifaces(('eth0', 'app')))
    assert message.startswith('network.interfaces[0].network: app names 3 port groups in datacenter DC0, on: DVS0 (distributed switch)')
    result = plan([], {'interfaces': [{'name': 'eth0', 'network': {'name': 'app', 'switch': 'DVS1'}}]})
    assert result.actions[0].network is DUP_DVS1


def test_connect_and_disconnect():
    nics = [nic(1, net=DVPG0, record='eth0', connected=False, start_connected=True),
            nic(2, net=VLAN100, record='eth1', connected=True, start_connected=True)]
    data = ifaces(('eth0', 'DC0_DVPG0'), ('eth1', 'PG-VLAN100'))
    powered_on = plan(nics, data, powered_on=True, power_state='poweredOn', interface_connected={'eth1': False})
    assert [(a.action, a.reasons, a.connected) for a in powered_on.actions] == [(EDIT, ('connect',), True), (EDIT, ('disconnect',), False)]
    # powered off: only startConnected counts (vCenter shows every NIC of a powered-off VM disconnected)
    powered_off = plan(nics, data, power_state='poweredOff')
    assert actions(powered_off) == [(KEEP, 'eth0', 1), (KEEP, 'eth1', 2)]
    all_off = plan(nics, data, connected=False, power_state='poweredOff')
    assert [a.reasons for a in all_off.actions] == [('disconnect',), ('disconnect',)]


def test_interface_connected_names_must_exist():
    assert plan_error([], ifaces(('eth0', 'DC0_DVPG0')), interface_connected={'eth9': False}) == (
        'interface_connected: eth9 is not an interface of network.interfaces (eth0)')


def test_unclaimed_nics_kept_or_removed():
    nics = [nic(1, net=DVPG0, record='eth0'), nic(2, net=VLAN100)]
    data = ifaces(('eth0', 'DC0_DVPG0'))
    kept = plan(nics, data)
    assert actions(kept) == [(KEEP, 'eth0', 1), (UNMANAGED, None, 2)] and not kept.changed
    removed = plan(nics, data, remove_unmanaged=True)
    assert actions(removed) == [(KEEP, 'eth0', 1), (REMOVE, None, 2)] and removed.changed
    assert removed.actions[1].reasons == ('no interface claims it (remove_unmanaged)',)


def test_disabled_removes_every_nic():
    result = plan([nic(1, record='eth0'), nic(2)], {'disabled': True})
    assert actions(result) == [(REMOVE, None, 1), (REMOVE, None, 2)]
    assert result.actions[0].reasons == ('network.disabled: the VM has no NICs',)
    assert not plan([], {'disabled': True}).changed


def test_adapter_type_change_replaces_the_nic_when_powered_off():
    data = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'adapter_type': 'e1000e'}]}
    result = plan([nic(1, net=DVPG0, record='eth0', adapter='vmxnet3', mac='00:50:56:80:11:22')], data, power_state='poweredOff')
    action = result.actions[0]
    assert (action.action, action.key, action.adapter_type, action.mac_address, action.address_type, action.record) == (
        REPLACE, 1, 'e1000e', '00:50:56:80:11:22', 'assigned', 'guestnet:eth0')
    assert action.reasons == ('adapter type vmxnet3 -> e1000e (the NIC is replaced, with MAC 00:50:56:80:11:22)',)


def test_adapter_type_change_on_a_powered_on_vm_fails():
    data = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'adapter_type': 'e1000e'}]}
    message = plan_error([nic(4000, net=DVPG0, record='eth0', mac='00:50:56:80:11:22')], data, powered_on=True, power_state='poweredOn')
    assert message == ('network.interfaces[0].adapter_type: e1000e differs from vmxnet3, the type of NIC 4000 (MAC 00:50:56:80:11:22) that '
                       'backs interface eth0; changing an adapter type replaces the NIC and needs the VM powered off (it is poweredOn)')
    assert 'it is suspended' in plan_error([nic(1, net=DVPG0, record='eth0')], data, power_state='suspended')


def test_sriov_cannot_be_added():
    message = plan_error([], {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'adapter_type': 'sriov'}]})
    assert message.startswith('network.interfaces[0].adapter_type: sriov cannot be added by vm_network')


def test_static_mac_differing_from_the_recorded_nic_fails():
    data = {'interfaces': [{'name': 'eth0', 'mac_address': '00:50:56:00:00:09'}]}
    message = plan_error([nic(1, record='eth0', mac='00:50:56:80:00:01')], data)
    assert message.startswith("network.interfaces[0].mac_address: 00:50:56:00:00:09 differs from 00:50:56:80:00:01, the MAC address of the VM's "
                              'NIC 1 recorded for interface eth0')


def test_nsx_and_foreign_external_ids_are_never_written():
    nsx = plan([nic(1, net=NSX_PG, external_id='vif-1')], ifaces(('eth0', 'nsx-seg')))
    assert actions(nsx) == [(KEEP, 'eth0', 1)] and nsx.actions[0].record is None
    added = plan([], ifaces(('eth0', 'nsx-seg'), ('eth1', 'ls-web')))
    assert [a.record for a in added.actions] == [None, None]
    foreign = plan([nic(1, net=DVPG0, external_id='cmdb:42')], ifaces(('eth0', 'DC0_DVPG0')))
    assert actions(foreign) == [(KEEP, 'eth0', 1)]


def test_renamed_interface_rerecords_the_same_nic():
    result = plan([nic(1, net=VLAN100, record='eth1')], ifaces(('data', 'PG-VLAN100')))
    assert actions(result) == [(EDIT, 'data', 1)] and result.actions[0].record == 'guestnet:data'


def test_rerun_after_the_plan_changes_nothing():
    """The plan applied (as predicted_nics shows it) and planned again: nothing left to do, nothing duplicated."""
    nics = [nic(1, net=VM_NETWORK), nic(2, net=DVPG0, adapter='e1000')]
    data = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG1'}, {'name': 'eth1', 'network': 'DC0_DVPG0'},
                           {'name': 'eth2', 'network': 'PG-VLAN100', 'mac_address': '00:50:56:00:00:33'}, {'name': 'eth3'}]}
    first = plan(nics, data, remove_unmanaged=True)
    assert actions(first) == [(ADD, 'eth0', None), (EDIT, 'eth1', 2), (ADD, 'eth2', None), (EDIT, 'eth3', 1)]
    after, names = predicted_nics(nics, first, powered_on=False)
    # give the new NICs real keys and MACs as vCenter would
    real = [ObservedNic(**dict(vars(n), key=n.key if n.key > 0 else 4000 - n.key,
                               mac_address=n.mac_address or '00:50:56:80:99:%02x' % -n.key)) for n in after]
    second = plan(real, data, remove_unmanaged=True)
    assert not second.changed, plan_summary(second)
    assert len(real) == 4 and sorted(a.matched_by for a in second.actions) == ['mac', 'record', 'record', 'record']


def test_predicted_nics():
    nics = [nic(1, net=VM_NETWORK, record='eth0'), nic(2, net=VLAN100)]
    result = plan(nics, ifaces(('eth0', 'DC0_DVPG0'), ('eth1', None)), remove_unmanaged=True)
    after, names = predicted_nics(nics, result, powered_on=False)
    assert [(n.key, n.network_name, n.external_id) for n in after] == [(1, 'DC0_DVPG0', 'guestnet:eth0'), (2, 'PG-VLAN100', 'guestnet:eth1')]
    assert names == {1: 'eth0', 2: 'eth1'}
    added = plan([], {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'mac_address': '00:50:56:00:00:05'}, {'name': 'eth1'}]})
    after, names = predicted_nics([], added, powered_on=True)
    assert [(n.key, n.mac_address, n.network_name, n.connected) for n in after] == [
        (-1, '00:50:56:00:00:05', 'DC0_DVPG0', True), (-2, None, 'VM Network', True)]
    assert names == {-1: 'eth0', -2: 'eth1'}
    assert [item['interface'] for item in nic_list(after + [nic(5)], names)] == [None, 'eth0', 'eth1']


def test_plan_summary_and_nic_list():
    result = plan([nic(1, net=DVPG0), nic(2, net=VLAN100)], ifaces(('eth0', 'DC0_DVPG1')), remove_unmanaged=False)
    assert plan_summary(result) == [
        {'action': 'add', 'interface': 'eth0', 'device_key': None, 'adapter_type': 'vmxnet3', 'network': 'DC0_DVPG1', 'switch': 'DVS0',
         'reasons': ['new vmxnet3 NIC on DC0_DVPG1 (DVS0)']},
        {'action': 'unmanaged', 'interface': None, 'device_key': 1, 'adapter_type': 'vmxnet3', 'network': 'DC0_DVPG0', 'switch': 'DVS0',
         'reasons': ['no interface claims it; kept (remove_unmanaged is false)']},
        {'action': 'unmanaged', 'interface': None, 'device_key': 2, 'adapter_type': 'vmxnet3', 'network': 'PG-VLAN100',
         'reasons': ['no interface claims it; kept (remove_unmanaged is false)']},
    ]
    assert nic_list([nic(2, net=VLAN100), nic(1, net=DVPG0)], {1: 'eth0'}) == [
        {'interface': 'eth0', 'device_key': 1, 'mac_address': '00:50:56:80:00:01', 'adapter_type': 'vmxnet3', 'network': 'DC0_DVPG0',
         'switch': 'DVS0', 'start_connected': True},
        {'interface': None, 'device_key': 2, 'mac_address': '00:50:56:80:00:02', 'adapter_type': 'vmxnet3', 'network': 'PG-VLAN100',
         'switch': 'standard', 'start_connected': True},
    ]


def test_effective_interfaces():
    assert effective_interfaces(spec_of({})) == (InterfaceSpec(name='eth0'),)
    assert effective_interfaces(spec_of({'disabled': True})) == ()
    assert [i.name for i in effective_interfaces(spec_of(ifaces(('a1', None), ('b2', None))))] == ['a1', 'b2']


# -- observed status, drift, waits -------------------------------------------------------------------------------------

def gnic(key, mac, *addresses, connected=True, dhcp4=None):
    parsed = []
    for text in addresses:
        ip, sep, prefix = text.partition('/')
        parsed.append(GuestAddress(address=ip, prefix_length=int(prefix) if sep else 0, origin='manual', state='preferred'))
    return GuestNic(mac_address=mac, device_key=key, network=None, connected=connected, addresses=tuple(parsed), dhcp4=dhcp4)


def resolved_of(data, macs=None):
    return resolve(spec_of(data), vm_name='vm01', macs=macs)


def test_guest_of_by_key_then_mac():
    n = nic(4000, mac='00:50:56:80:00:07')
    assert guest_of(n, [gnic(4001, '00:50:56:80:00:07'), gnic(4000, '00:50:56:80:00:07')]).device_key == 4000
    assert guest_of(n, [gnic(4001, 'x'), gnic(4000, None)]).device_key == 4000   # no MAC reported: the key decides
    # a stale entry of a removed NIC whose key the new NIC took is not this NIC's; its own entry (by MAC) is
    stale, own = gnic(4000, '00:50:56:80:00:99'), gnic(None, '00:50:56:80:00:07')
    assert guest_of(n, [stale, own]) is own
    assert guest_of(n, [stale]) is None
    assert guest_of(n, [GuestNic(mac_address='00:50:56:80:00:07')]).mac_address == '00:50:56:80:00:07'
    assert guest_of(n, [gnic(-1, '00:50:56:80:00:07')]) is None     # a guest-only pseudo NIC


def test_observed_interfaces():
    nics = [nic(4001, net=VLAN100), nic(4000, net=DVPG0, record='eth0')]
    guest = [gnic(4000, nics[1].mac_address, '10.0.0.10/24', 'fe80::1/64', dhcp4=False)]
    assert observed_interfaces(nics, guest, {4000: 'eth0'}) == [
        {'name': 'eth0', 'device_key': 4000, 'mac_address': '00:50:56:80:00:a0', 'adapter_type': 'vmxnet3', 'network': 'DC0_DVPG0',
         'switch': 'DVS0', 'connected': True, 'start_connected': True, 'guest_connected': True,
         'ip': {'addresses': [{'address': '10.0.0.10/24', 'origin': 'manual', 'state': 'preferred'},
                              {'address': 'fe80::1/64', 'origin': 'manual', 'state': 'preferred'}],
                'dhcp': {'ip4': {'enabled': False}}}},
        {'name': None, 'device_key': 4001, 'mac_address': '00:50:56:80:00:a1', 'adapter_type': 'vmxnet3', 'network': 'PG-VLAN100',
         'connected': True, 'start_connected': True},
    ]


def test_drift_addresses():
    data = {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.0.0.10/24', '2001:db8::10/64']},
                           {'name': 'eth1', 'network': 'PG-VLAN100', 'dhcp4': True}]}
    nics = [nic(1, net=DVPG0), nic(2, net=VLAN100)]
    names = {1: 'eth0', 2: 'eth1'}
    guest = [gnic(1, nics[0].mac_address, '10.0.0.10/24', '10.0.0.99/24', 'fe80::5/64'), gnic(2, nics[1].mac_address, '169.254.1.1/16')]
    assert drift(resolved_of(data), nics, names, guest) == [
        {'name': 'eth0', 'mac_address': nics[0].mac_address, 'missing_addresses': ['2001:db8::10/64'], 'unexpected_addresses': ['10.0.0.99/24']},
        {'name': 'eth1', 'mac_address': nics[1].mac_address, 'no_dhcp_address': ['ip4']},
    ]
    in_sync = [gnic(1, nics[0].mac_address, '10.0.0.10/24', '2001:db8::10/64'), gnic(2, nics[1].mac_address, '192.168.5.5/24')]
    assert drift(resolved_of(data), nics, names, in_sync) == []


def test_drift_prefix_lengths():
    data = {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24']}]}
    nics, names = [nic(1)], {1: 'eth0'}
    # a prefix length of 0 means "not reported" (GOSC in the simulator): the IP alone counts
    assert drift(resolved_of(data), nics, names, [gnic(1, nics[0].mac_address, '10.0.0.10')]) == []
    assert drift(resolved_of(data), nics, names, [gnic(1, nics[0].mac_address, '10.0.0.10/16')]) == [
        {'name': 'eth0', 'mac_address': nics[0].mac_address, 'missing_addresses': ['10.0.0.10/24'], 'unexpected_addresses': ['10.0.0.10/16']}]


def test_drift_network_connected_missing_and_unreported():
    data = ifaces(('eth0', 'DC0_DVPG0'), ('eth1', 'PG-VLAN100'), ('eth2', 'PG-VLAN100'))
    nics = [nic(1, net=VM_NETWORK, connected=False), nic(2, net=VLAN100)]
    result = drift(resolved_of(data), nics, {1: 'eth0', 2: 'eth1'}, [gnic(1, nics[0].mac_address, connected=False)],
                   networks={'eth0': DVPG0, 'eth1': VLAN100}, connected={'eth0': True, 'eth1': True}, powered_on=True)
    assert result == [
        {'name': 'eth0', 'mac_address': nics[0].mac_address, 'network': {'intended': 'DC0_DVPG0', 'observed': 'VM Network'},
         'connected': {'intended': True, 'observed': False}, 'no_dhcp_address': ['ip4']},
        {'name': 'eth1', 'mac_address': nics[1].mac_address, 'not_reported': True},
        {'name': 'eth2', 'mac_address': None, 'missing_nic': True},
    ]


def test_drift_ipv6_slaac_is_expected_with_dhcp6():
    data = {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'dhcp6': True}]}
    nics, names = [nic(1)], {1: 'eth0'}
    assert drift(resolved_of(data), nics, names, [gnic(1, nics[0].mac_address, '10.0.0.10/24', '2001:db8::abcd/64')]) == []


def test_wait_pending():
    data = {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24']}, {'name': 'eth1'}, {'name': 'eth2'}]}
    nics = [nic(1), nic(2)]
    names = {1: 'eth0', 2: 'eth1'}
    net = resolved_of(data)
    assert wait_pending(net, nics, names, [gnic(1, nics[0].mac_address)]) == [
        'eth0: 10.0.0.10/24', 'eth1: the guest reports nothing for NIC %s' % nics[1].mac_address, 'eth2: no NIC']
    ready = [gnic(1, nics[0].mac_address, '10.0.0.10/24'), gnic(2, nics[1].mac_address, '172.16.0.7/16')]
    assert wait_pending(resolved_of(data), nics, names, ready) == ['eth2: no NIC']
    assert wait_pending(resolved_of({'interfaces': [{'name': 'eth1'}]}), nics, names, [gnic(2, nics[1].mac_address, 'fe80::1/64')]) == [
        'eth1: a DHCPv4 address']


def test_names_by_key():
    nics = [nic(1, record='eth0')]
    assert names_by_key(match_nics(nics, wanted({}))) == {1: 'eth0'}


# -- primary IPs -------------------------------------------------------------------------------------------------------

def test_primary_from_guest_ip_address_and_other_family_from_its_nic():
    guest = [gnic(1, 'a', '10.0.0.10/24', '2001:db8::10/64', 'fe80::1/64'), gnic(2, 'b', '10.0.1.10/24', '2001:db8:1::10/64')]
    assert primary_ips('10.0.1.10', guest) == ('10.0.1.10', '2001:db8:1::10')
    two_v6 = [gnic(1, 'a', '10.0.0.10/24', '2001:db8::10/64', '2001:db8::11/64')]
    assert primary_ips('10.0.0.10', two_v6) == ('10.0.0.10', None)       # not exactly one: no guess


def test_primary_cloud_init_local_ips_win():
    guest = [gnic(1, 'a', '10.0.0.10/24', '10.0.0.11/24')]
    extra = {'guestinfo.local-ipv4': '10.0.0.11', 'guestinfo.local-ipv6': '2001:db8::5'}
    assert primary_ips('10.0.0.10', guest, extra) == ('10.0.0.11', '2001:db8::5')
    assert primary_ips('10.0.0.10', guest, {'guestinfo.local-ipv4': '2001:db8::5'}) == ('10.0.0.10', None)   # wrong family ignored


def test_primary_single_nic_fallback_and_unusable_addresses():
    assert primary_ips(None, [gnic(1, 'a', '10.0.0.10/24', '2001:db8::10/64')]) == ('10.0.0.10', '2001:db8::10')
    assert primary_ips('127.0.0.1', [gnic(1, 'a', '169.254.0.5/16')]) == (None, None)
    assert primary_ips(None, [gnic(1, 'a', '10.0.0.10/24'), gnic(2, 'b', '10.0.0.11/24')]) == (None, None)
    assert primary_ips('fe80::1', [gnic(-1, 'a', '10.9.9.9/8'), gnic(1, 'b', '2001:db8::7/64')]) == (None, '2001:db8::7')
