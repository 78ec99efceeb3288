# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""subnet_sync's step against the fake vCenter: the snapshot lists templates apart, reclaim spares them and every VM,
and a ledger that cannot be written fails before vCenter is read."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import sqlite3
import time
from typing import Any, Dict

import pytest

from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import LedgerError, SqliteLedger
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._step_subnets import SubnetRequest, sync_subnets
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import SNAPSHOT_PROPERTIES, subnet_snapshot

from ansible_collections.guestnet.vsphere.tests.unit.plugins.module_utils._fakevc import standard_vcenter

PG = 'dvportgroup-2'
DAY = 86400


def digest(path: str) -> str:
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture(name='ledger_path')
def ledger_path_fixture(tmp_path: Any) -> str:
    """A ledger whose subnet on PG-A holds addresses of web01, of the template, of a VM keyed by moid and of a VM that
    is gone, all written two days ago."""
    path = str(tmp_path / 'ledger.sqlite')
    with SqliteLedger(path, clock=lambda: time.time() - 2 * DAY) as ledger:
        ledger.upsert_subnet('app-net', '10.50.0.0/24', portgroup=PG, gateway='10.50.0.1', direction='stepup')
        for owner in ('5000-web', '5000-tmpl', 'vm-2', '5000-gone'):
            ledger.allocate('app-net', owner, 'eth0')
    return path


def sync(path: str, check_mode: bool = False, **options: Any) -> Dict[str, Any]:
    fake = standard_vcenter()
    ctx = Context(fake.client(), check_mode=check_mode, diff=True)
    outcome = sync_subnets(ctx, SubnetRequest.of(dict(options, ledger=path)))
    return dict(outcome.result, changed=outcome.changed, warnings=ctx.warnings, calls=dict(fake.calls))


def test_the_snapshot_lists_templates_apart() -> None:
    snapshot = subnet_snapshot(standard_vcenter().client().inventory(SNAPSHOT_PROPERTIES))
    assert [vm['name'] for vm in snapshot['vms']] == ['web01']
    assert snapshot['other_vms'] == [{'moid': 'vm-1', 'name': 'linux-template', 'instance_uuid': '5000-tmpl', 'datacenter': 'DC0',
                                      'template': True}]


def test_reclaim_releases_the_gone_vm_only(ledger_path: str) -> None:
    before = digest(ledger_path)
    checked = sync(ledger_path, check_mode=True, reclaim=True)
    assert digest(ledger_path) == before
    assert checked['changed'] is True and checked['reclaimed'] == ['app-net 10.50.0.5 allocated (owner 5000-gone, eth0)']
    assert checked['changes']['addresses']['removed'] == ['app-net 10.50.0.5 allocated 5000-gone/eth0']   # no port group: the subnet's
    assert any('10.50.0.5 allocated 5000-gone/eth0' in line for line in checked['diff']['before']['addresses']['app-net'])
    done = sync(ledger_path, reclaim=True)
    assert done['reclaimed'] == checked['reclaimed'] and done['changed'] is True
    with SqliteLedger(ledger_path) as ledger:
        assert sorted(item.vm_uuid for item in ledger.addresses()) == ['5000-tmpl', '5000-web', 'vm-2']
    assert sync(ledger_path, reclaim=True)['changed'] is False
    assert done['calls'] == {'RetrievePropertiesEx': 1}   # one read of the whole vCenter, reclaim included


def test_no_reclaim_by_default(ledger_path: str) -> None:
    result = sync(ledger_path)
    assert result['reclaimed'] == [] and result['changed'] is True   # the first sync records the port groups


def test_reclaim_grace_is_validated_before_any_call(ledger_path: str) -> None:
    with pytest.raises(SpecError, match=r'^reclaim_grace: -1 is not a number of seconds'):
        SubnetRequest.of({'ledger': ledger_path, 'reclaim': True, 'reclaim_grace': -1})
    assert SubnetRequest.of({'ledger': ledger_path}).reclaim_grace == DAY


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
