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
      - The vCenter server's host name or IP address, optionally with a port, as V(vc.example.com:8443)
        or, for an IPv6 address, V([2001:db8::1]:8443).
      - If not set, the environment variable E(VMWARE_HOST) is used. AWX's and Automation Controller's
        C(VMware vCenter) credential sets E(VMWARE_HOST) but has no port field, so a vCenter on a port
        other than 443 is reached with its port in the credential's host, as V(vc.example.com:8443).
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
      - If not set, the environment variable E(VMWARE_PORT) is used; if that is not set either, the port
        given in O(hostname), else V(443).
      - A port given both here and in O(hostname) must be the same.
    type: int
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
notes:
  - "Transport faults are handled alike in every module: a proxy's 502, 503 or 504, a connection closed, reset or refused,
    a TLS EOF, a socket timeout, an answer cut off. A read is sent again up to three more times, after 0.5, 1 and 2 seconds.
    A call that changes something is never sent twice: when its answer was lost, the module looks for the task the call
    started among vCenter's recent tasks (on the same object, queued since the call was sent) and follows it; when there is
    none, or no telling which, it fails with a message that names vCenter, the method, the VM and the step. A clone is not
    looked up (other runs clone the same template at the same time); the next run finds the VM if vCenter made it.
    Running the task again is always safe: every module reads what vCenter holds before it changes anything."
'''
