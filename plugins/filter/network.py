# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters over a network spec: intended config, netplan, cloud-init, guestinfo, GOSC, VM Operator.

Thin wrappers over the pure core (module_utils); each filter is documented in ``<filter>.yml``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from collections.abc import Mapping

from ansible_collections.guestnet.vsphere.plugins.module_utils._model import CLOUD_INIT, LINUX_PREP, SYSPREP
from ansible_collections.guestnet.vsphere.plugins.module_utils._render import _cloudinit, _gosc, _netplan
from ansible_collections.guestnet.vsphere.plugins.module_utils._resolver import intended_config
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmoperator import from_vm_operator as _from_vm_operator
from ansible_collections.guestnet.vsphere.plugins.plugin_utils._filters import filter_errors, keyword_options, resolve_network

GOSC_RENDERERS = {LINUX_PREP: _gosc.render_linux_prep, SYSPREP: _gosc.render_sysprep}


@filter_errors
def network_config(spec, macs=None, vm_name=None, provider=None):
    """The intended network config (VM Operator's status.network.config, snake_case)."""
    return intended_config(resolve_network(spec, macs=macs, vm_name=vm_name, provider=provider))


@filter_errors
def netplan(spec, macs=None, gateway_style=_netplan.GATEWAY_KEYS):
    """The cloud-init network-config v2 (netplan) dict."""
    # The netplan is what cloud-init takes to the guest: its rules apply (two default routes need different metrics).
    net = resolve_network(spec, macs=macs, need_host_name=False, provider=CLOUD_INIT,
                          mac_purpose='netplan matches each interface to its NIC by MAC address')
    return _netplan.render_netplan(net, gateway_style)


@filter_errors
def cloud_init_metadata(spec, macs=None, instance_id=None, ssh_authorized_keys=None, vm_name=None,
                        gateway_style=_netplan.GATEWAY_KEYS, wait_on_network4=None, wait_on_network6=None):
    """cloud-init metadata for the VMware datasource (hostname, instance-id, network, public-keys)."""
    if instance_id is None:
        raise ValueError('instance_id is required: cloud-init runs its once-per-instance steps again whenever it changes, '
                         "so give a stable ID such as the VM's instance UUID")
    net = resolve_network(spec, macs=macs, vm_name=vm_name, provider=CLOUD_INIT,
                          mac_purpose="the metadata's netplan matches each interface to its NIC by MAC address")
    return _cloudinit.render_metadata(net, instance_id=instance_id, ssh_authorized_keys=ssh_authorized_keys or (),
                                      wait_on_network4=wait_on_network4, wait_on_network6=wait_on_network6,
                                      gateway_style=gateway_style)


@filter_errors
def guestinfo(metadata, userdata=None):
    """The extraConfig keys (guestinfo.metadata, guestinfo.userdata, encodings), gzip+base64."""
    if isinstance(userdata, Mapping):
        text = _cloudinit.render_userdata(cloud_config=userdata)
    elif userdata is None or isinstance(userdata, str):
        text = _cloudinit.render_userdata(raw=userdata)
    else:
        raise ValueError('userdata: must be a cloud-config mapping or user-data text, not %s' % type(userdata).__name__)
    return _cloudinit.guestinfo(metadata, text)


@filter_errors
def gosc(spec, provider=None, macs=None, options=None, vm_name=None):
    """A GOSC CustomizationSpec (LinuxPrep or Sysprep) as plain data."""
    if provider not in GOSC_RENDERERS:
        raise ValueError('provider: %s is not a guest OS customization provider; use one of %s'
                         % ('(not given)' if provider is None else provider, ', '.join(GOSC_RENDERERS)))
    renderer = GOSC_RENDERERS[provider]
    kwargs = keyword_options(options, renderer, provider)
    net = resolve_network(spec, macs=macs, vm_name=vm_name, provider=provider,
                          mac_purpose='GOSC maps the settings to each network adapter by MAC address')
    return renderer(net, **kwargs)


@filter_errors
def from_vm_operator(manifest):
    """A VM Operator VirtualMachine manifest (v1alpha1-v1alpha6) -> our options (snake_case)."""
    if isinstance(manifest, str):
        raise ValueError('manifest: must be a VirtualMachine resource (a mapping), not text; '
                         'parse YAML text with ansible.builtin.from_yaml first')
    return _from_vm_operator(manifest)


class FilterModule:
    """guestnet.vsphere filters over a network spec."""

    def filters(self):
        return {
            'network_config': network_config,
            'netplan': netplan,
            'cloud_init_metadata': cloud_init_metadata,
            'guestinfo': guestinfo,
            'gosc': gosc,
            'from_vm_operator': from_vm_operator,
        }
