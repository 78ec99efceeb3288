# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NIC device specs: a NicPlan as the ``deviceChange`` of one ReconfigVM_Task (or of a CloneVM_Task's config).

PRIVATE to the collection. Reading NICs is ``_vim_records``'s job; this is the writing side.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from typing import Any, List, Mapping

from ansible_collections.guestnet.vsphere.plugins.module_utils._nics import (
    ADD,
    DISTRIBUTED,
    EDIT,
    OPAQUE,
    REMOVE,
    REPLACE,
    Network,
    NicPlan,
)

try:
    from pyVmomi import vim
except ImportError:
    vim = None  # the module reports the missing library (GuestnetModule)

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
