# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How a module reaches a NetBox ledger (module_utils/_argspec.py ledger_connection_argument_spec), for every module
    # with a ledger option.
    DOCUMENTATION = r'''
options:
  ledger_token:
    description:
      - The NetBox API token, when the ledger is a NetBox URL (a v2 token V(nbt_KEY.SECRET), or a v1 token). It must
        be allowed to write IPAM objects, custom fields, tags and config contexts.
      - If not set, the environment variable E(NETBOX_TOKEN) is used (the name the C(netbox.netbox) collection uses;
        in AWX, a custom credential type injects it).
      - Never shown in results, diffs or logs. A file ledger ignores it.
    type: str
  ledger_validate_certs:
    description:
      - Whether the NetBox ledger's TLS certificate is verified. Give a private CA with E(SSL_CERT_FILE) rather than
        turning this off; V(false) is for a lab.
      - A file ledger ignores it.
    type: bool
    default: true
'''
