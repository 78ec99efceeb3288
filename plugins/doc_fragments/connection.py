# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The vCenter connection options, shared by every module (module_utils/_argspec.py).
    DOCUMENTATION = r'''
options:
  hostname:
    description:
      - The vCenter server's host name or IP address.
      - If not set, the environment variable E(VMWARE_HOST) is used.
    type: str
  username:
    description:
      - The user to log in as.
      - If not set, the environment variable E(VMWARE_USER) is used.
    type: str
    aliases: [user, admin]
  password:
    description:
      - The user's password. It never appears in output, diffs or logs.
      - If not set, the environment variable E(VMWARE_PASSWORD) is used.
    type: str
    aliases: [pass, pwd]
  port:
    description:
      - The vCenter HTTPS port.
      - If not set, the environment variable E(VMWARE_PORT) is used.
    type: int
    default: 443
  validate_certs:
    description:
      - Verify the vCenter TLS certificate. Set to V(false) only for a lab.
      - A private CA is trusted through O(ca_path), or the environment variables E(SSL_CERT_FILE)
        or E(REQUESTS_CA_BUNDLE).
      - If not set, the environment variable E(VMWARE_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify the vCenter certificate with.
    type: path
  proxy_host:
    description:
      - An HTTP proxy to reach vCenter through (CONNECT tunnelling).
      - If not set, the environment variable E(VMWARE_PROXY_HOST) is used.
    type: str
  proxy_port:
    description:
      - The proxy's port.
      - If not set, the environment variable E(VMWARE_PROXY_PORT) is used.
    type: int
'''
