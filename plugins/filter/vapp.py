# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""VM Operator's vApp template helpers as filters over the intended network config.

Thin wrappers over module_utils/_render/_vapp.py; each filter is documented in ``<filter>.yml``.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible_collections.guestnet.vsphere.plugins.module_utils._render import _vapp
from ansible_collections.guestnet.vsphere.plugins.plugin_utils._filters import filter_errors, intended_config_input


@filter_errors
def first_ip(config, nic=0, family=None):
    return _vapp.first_ip(intended_config_input(config), nic, family)


@filter_errors
def ips_from_nic(config, nic=0):
    return _vapp.ips_from_nic(intended_config_input(config), nic)


@filter_errors
def first_nic_mac(config):
    return _vapp.first_nic_mac(intended_config_input(config))


@filter_errors
def format_nameservers(config_or_list, count=-1, delimiter=','):
    return _vapp.format_nameservers(intended_config_input(config_or_list), count, delimiter)


class FilterModule:
    """guestnet.vsphere vApp template helpers."""

    def filters(self):
        return {
            'first_ip': first_ip,
            'ips_from_nic': ips_from_nic,
            'first_nic_mac': first_nic_mac,
            'format_ip': filter_errors(_vapp.format_ip),
            'subnet_mask': filter_errors(_vapp.subnet_mask),
            'prefix_length': filter_errors(_vapp.prefix_length),
            'format_nameservers': format_nameservers,
            'is_usable_ip': filter_errors(_vapp.is_usable_ip),
        }
