# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pyVmomi side of NIC reconciliation: vSphere objects <-> the plain records of ``_nics``. PRIVATE to the collection.

- ``catalog_of(inventory, datacenter)``: the datacenter's port groups from one inventory read;
- ``observed_nics(devices, catalog)`` / ``guest_nics(guest_net)``: what was read, as ``_nics`` records;
- ``device_changes(plan, devices, refs, powered_on)``: the ``deviceChange`` list of one ReconfigVM_Task.

Only values the property collector returned are touched: no lazy attribute of a managed object is read.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import (
    ADD,
    DISTRIBUTED,
    EDIT,
    OPAQUE,
    OTHER,
    REMOVE,
    REPLACE,
    STANDARD,
    GuestAddress,
    GuestNic,
    Network,
    NetworkCatalog,
    NicPlan,
    ObservedNic,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._spec import normalize_adapter_type, normalize_mac

try:
    from pyVmomi import vim
except ImportError:
    vim = None  # the module reports the missing library (GuestnetModule)

# What vm_network reads: the inventory (one call) and the VM (one call).
NETWORK_INVENTORY = {
    'Network': ['name'],
    'DistributedVirtualPortgroup': ['key', 'config.distributedVirtualSwitch', 'config.uplink', 'config.backingType'],
    'DistributedVirtualSwitch': ['uuid', 'config.uplinkPortgroup'],
    'OpaqueNetwork': ['summary.opaqueNetworkId', 'summary.opaqueNetworkType'],
}
SWITCH_KINDS = ('DistributedVirtualSwitch', 'VmwareDistributedVirtualSwitch')
VM_NIC_PROPERTIES = ('config.hardware.device', 'guest.net', 'guest.ipAddress')
VM_DETAIL_PROPERTIES = ('name', 'runtime.powerState', 'config.extraConfig') + VM_NIC_PROPERTIES

_ADAPTER_CLASS_NAMES = {
    'e1000': 'VirtualE1000',
    'e1000e': 'VirtualE1000e',
    'pcnet32': 'VirtualPCNet32',
    'sriov': 'VirtualSriovEthernetCard',
    'vmxnet': 'VirtualVmxnet',
    'vmxnet2': 'VirtualVmxnet2',
    'vmxnet3': 'VirtualVmxnet3',
}


def adapter_class(adapter_type: str) -> Any:
    return getattr(vim.vm.device, _ADAPTER_CLASS_NAMES[adapter_type])


def _moid(ref: Any) -> Optional[str]:
    return getattr(ref, '_moId', None)


def catalog_of(inventory: Any, datacenter: Any) -> NetworkCatalog:
    """The port groups of one datacenter (an ``Inventory`` read with NETWORK_INVENTORY)."""
    dc_moid = datacenter.moid if datacenter is not None else None
    switches = {obj.moid: obj for obj in inventory.of_kind(*SWITCH_KINDS)}
    uplinks = {_moid(ref) for switch in switches.values() for ref in switch.get('config.uplinkPortgroup') or []}
    networks = []
    for obj in inventory.of_kind('Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork'):
        owner = inventory.datacenter_of(obj)
        if dc_moid is not None and (owner is None or owner.moid != dc_moid):
            continue
        if obj.kind == 'DistributedVirtualPortgroup':
            switch = switches.get(_moid(obj.get('config.distributedVirtualSwitch')) or '')
            networks.append(Network(moid=obj.moid, name=obj.name or obj.moid, kind=DISTRIBUTED,
                                    switch=switch.name if switch is not None else None,
                                    switch_uuid=switch.get('uuid') if switch is not None else None,
                                    portgroup_key=obj.get('key') or obj.moid,
                                    nsx=obj.get('config.backingType') == 'nsx',
                                    uplink=bool(obj.get('config.uplink')) or obj.moid in uplinks))
        elif obj.kind == 'OpaqueNetwork':
            networks.append(Network(moid=obj.moid, name=obj.name or obj.moid, kind=OPAQUE, opaque_id=obj.get('summary.opaqueNetworkId'),
                                    opaque_type=obj.get('summary.opaqueNetworkType'), nsx=True))
        else:
            networks.append(Network(moid=obj.moid, name=obj.name or obj.moid, kind=STANDARD))
    return NetworkCatalog(networks, datacenter=datacenter.name if datacenter is not None else None)


def is_nic(device: Any) -> bool:
    return isinstance(device, vim.vm.device.VirtualEthernetCard)


def _backing(device: Any, catalog: NetworkCatalog) -> Dict[str, Any]:
    backing = device.backing
    if isinstance(backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
        port = backing.port
        key = port.portgroupKey if port is not None else None
        net = catalog.find_backing(DISTRIBUTED, key, port.switchUuid if port is not None else None)
        return {'backing': DISTRIBUTED, 'network': net, 'name': key}
    if isinstance(backing, vim.vm.device.VirtualEthernetCard.OpaqueNetworkBackingInfo):
        net = catalog.find_backing(OPAQUE, backing.opaqueNetworkId)
        return {'backing': OPAQUE, 'network': net, 'name': backing.opaqueNetworkId}
    if isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo):
        net = catalog.find_backing(STANDARD, _moid(backing.network)) or catalog.find_backing(STANDARD, backing.deviceName)
        return {'backing': STANDARD, 'network': net, 'name': backing.deviceName}
    return {'backing': OTHER, 'network': None, 'name': None}


def observed_nics(devices: Optional[Sequence[Any]], catalog: NetworkCatalog) -> List[ObservedNic]:
    """The VM's virtual NICs (``config.hardware.device``) as ``ObservedNic`` records, in device-key order."""
    out = []
    for device in devices or []:
        if not is_nic(device):
            continue
        backing = _backing(device, catalog)
        net: Optional[Network] = backing['network']
        connectable = device.connectable
        label = device.deviceInfo.label if device.deviceInfo is not None else None
        out.append(ObservedNic(
            key=device.key,
            adapter_type=normalize_adapter_type(type(device).__name__.rsplit('.', 1)[-1]),
            mac_address=normalize_mac(device.macAddress) if device.macAddress else None,
            address_type=device.addressType,
            backing=backing['backing'],
            network=net.moid if net is not None else None,
            network_name=net.name if net is not None else backing['name'],
            switch=net.switch_label if net is not None else (None if backing['backing'] == OTHER else backing['backing']),
            connected=bool(connectable.connected) if connectable is not None else False,
            start_connected=bool(connectable.startConnected) if connectable is not None else False,
            external_id=device.externalId or None,
            label=label,
        ))
    return sorted(out, key=lambda nic: nic.key)


def guest_nics(guest_net: Optional[Sequence[Any]]) -> List[GuestNic]:
    """``guest.net`` as ``GuestNic`` records (addresses with prefix lengths from ipConfig when Tools reports them)."""
    out = []
    for entry in guest_net or []:
        addresses = []
        dhcp4 = dhcp6 = None
        ip_config = entry.ipConfig
        if ip_config is not None and ip_config.ipAddress:
            for item in ip_config.ipAddress:
                addresses.append(GuestAddress(address=item.ipAddress, prefix_length=int(item.prefixLength or 0),
                                              origin=item.origin or None, state=item.state or None))
        else:
            addresses = [GuestAddress(address=text) for text in entry.ipAddress or []]
        if ip_config is not None and ip_config.dhcp is not None:
            dhcp4 = bool(ip_config.dhcp.ipv4.enable) if ip_config.dhcp.ipv4 is not None else None
            dhcp6 = bool(ip_config.dhcp.ipv6.enable) if ip_config.dhcp.ipv6 is not None else None
        dns = None
        if entry.dnsConfig is not None:
            dns_config = entry.dnsConfig
            dns = {key: value for key, value in (
                ('host_name', dns_config.hostName), ('domain_name', dns_config.domainName),
                ('nameservers', list(dict.fromkeys(dns_config.ipAddress or []))),
                ('search_domains', list(dict.fromkeys(dns_config.searchDomain or [])))) if value}
        out.append(GuestNic(mac_address=normalize_mac(entry.macAddress) if entry.macAddress else None,
                            device_key=entry.deviceConfigId, network=entry.network or None, connected=bool(entry.connected),
                            addresses=tuple(addresses), dhcp4=dhcp4, dhcp6=dhcp6, dns=dns or None))
    return out


def _backing_info(network: Network, refs: Mapping[str, Any]) -> Any:
    card = vim.vm.device.VirtualEthernetCard
    if network.kind == DISTRIBUTED:
        return card.DistributedVirtualPortBackingInfo(port=vim.dvs.PortConnection(portgroupKey=network.portgroup_key,
                                                                                  switchUuid=network.switch_uuid))
    if network.kind == OPAQUE:
        return card.OpaqueNetworkBackingInfo(opaqueNetworkId=network.opaque_id, opaqueNetworkType=network.opaque_type)
    return card.NetworkBackingInfo(deviceName=network.name, network=refs.get(network.moid))


def _connect_info(connected: bool, current: Any = None) -> Any:
    allow = current.allowGuestControl if current is not None and current.allowGuestControl is not None else True
    return vim.vm.device.VirtualDevice.ConnectInfo(startConnected=connected, connected=connected, allowGuestControl=allow)


def device_changes(plan: NicPlan, devices: Mapping[int, Any], refs: Mapping[str, Any]) -> List[Any]:
    """The ``deviceChange`` of the one ReconfigVM_Task that carries out a plan: removals, edits, then additions.

    ``devices``: the VM's NIC devices by key, as read (an edit sends the whole device back, changed);
    ``refs``: network moid -> managed object reference (standard port groups' backing names it).
    """
    spec = vim.vm.device.VirtualDeviceSpec
    removes, edits, adds = [], [], []
    new_key = -100
    for action in plan.actions:
        if action.action in (REMOVE, REPLACE):
            removes.append(spec(operation='remove', device=devices[action.key]))
        if action.action == EDIT:
            device = devices[action.key]
            if action.rebacks and action.network is not None:
                device.backing = _backing_info(action.network, refs)
            if action.connected is not None:
                device.connectable = _connect_info(action.connected, device.connectable)
            if action.record is not None:
                device.externalId = action.record
            edits.append(spec(operation='edit', device=device))
        if action.action in (ADD, REPLACE):
            new_key -= 1
            old = devices.get(action.key) if action.key is not None else None
            device = adapter_class(action.adapter_type)(key=new_key)
            device.backing = _backing_info(action.network, refs)
            device.connectable = _connect_info(bool(action.connected), old.connectable if old is not None else None)
            if action.mac_address:
                device.macAddress = action.mac_address
                device.addressType = action.address_type or 'manual'
            else:
                device.addressType = 'generated'
            if action.record is not None:
                device.externalId = action.record
            if old is not None:
                device.wakeOnLanEnabled = old.wakeOnLanEnabled
            adds.append(spec(operation='add', device=device))
    return removes + edits + adds
