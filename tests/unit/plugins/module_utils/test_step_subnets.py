# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""subnet_sync's step against the fake vCenter: a ledger that cannot be written fails before vCenter is read."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import sqlite3
from typing import Any

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import LedgerError
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_subnets import SubnetRequest, sync_subnets

from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter


def digest(path: str) -> str:
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_a_foreign_ledger_fails_before_vcenter_is_read(tmp_path: Any) -> None:
    path = str(tmp_path / 'app.db')
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE users (id INTEGER)')
    conn.close()
    before = digest(path)
    fake = standard_vcenter()
    with pytest.raises(LedgerError, match=r'^ledger .*app\.db is an SQLite database of another application \(tables: users\)'):
        sync_subnets(Context(fake.client()), SubnetRequest.of({'ledger': path}))
    assert dict(fake.calls) == {} and digest(path) == before
