# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The subnet ledger's sync with vCenter: one read of the whole inventory, then the ledger. PRIVATE to the collection.

    request = SubnetRequest.of(values)      # validated, before any call
    sync_subnets(ctx, request)              # subnet_sync

The snapshot comes from the collection's one pyVmomi adapter (``_vim_records.subnet_snapshot``), so a NIC's port group,
its guest addresses and whether Tools report them are decided as every other module decides them. The ledger work is
pure (``_subnet_sync``).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context, StepResult
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import default_ledger_path
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger_backends import (
    check_writable,
    ledger_exists,
    ledger_location,
    ledger_warning,
    open_ledger,
    scratch_ledger,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._subnet_sync import (
    RECLAIM_GRACE_SECONDS,
    check_fix_nics,
    check_reclaim_grace,
    check_subnets,
    sync,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import SNAPSHOT_PROPERTIES, subnet_snapshot


@dataclass(frozen=True)
class SubnetRequest:
    """subnet_sync's options, validated."""
    ledger: str = field(default_factory=default_ledger_path)
    datacenter: Optional[str] = None
    subnets: Optional[List[Dict[str, Any]]] = None
    purge: bool = False
    fix_nics: Optional[List[Dict[str, Any]]] = None
    reclaim: bool = False
    reclaim_grace: int = RECLAIM_GRACE_SECONDS

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> 'SubnetRequest':
        check_subnets(values.get('subnets'))
        check_fix_nics(values.get('fix_nics'))
        grace = values.get('reclaim_grace')
        grace = RECLAIM_GRACE_SECONDS if grace is None else grace
        check_reclaim_grace(grace)
        return cls(ledger=ledger_location(values), datacenter=values.get('datacenter'), subnets=values.get('subnets'),
                   purge=bool(values.get('purge')), fix_nics=values.get('fix_nics'), reclaim=bool(values.get('reclaim')), reclaim_grace=grace)


def sync_subnets(ctx: Context, request: SubnetRequest) -> StepResult:
    """Read every port group, host and VM in one call, then bring the ledger in line (one transaction).

    A ledger that cannot be written (not a ledger, read-only, newer, corrupt, locked) fails before vCenter is read; check
    mode needs a writable ledger too (its changes are made and rolled back), except a new one (nothing is created).
    """
    check_writable(request.ledger)
    snapshot = subnet_snapshot(ctx.client.inventory(SNAPSHOT_PROPERTIES))
    options = dict(subnets=request.subnets, purge=request.purge, fix_nics=request.fix_nics, datacenter=request.datacenter,
                   reclaim=request.reclaim, reclaim_grace=request.reclaim_grace)
    path = request.ledger
    new = not ledger_exists(path)
    report: Dict[str, Any] = {}
    if new:
        # A new ledger is empty: a trial on an empty scratch ledger of the same kind (SQLite: in memory) finds bad input
        # before the ledger is created (and in check mode it is the whole run: nothing is created).
        with scratch_ledger(path) as trial:
            report = sync(trial, snapshot, dry_run=True, **options)
    if not (new and ctx.check_mode):
        with open_ledger(path) as ledger:
            report = sync(ledger, snapshot, dry_run=ctx.check_mode, **options)
    diff = report.pop('diff')
    warnings = report.pop('warnings')
    shared = ledger_warning(path)
    if shared:
        warnings.insert(0, shared)
        report['ledger_warning'] = shared
    for text in warnings:
        ctx.warn(text)
    report['ledger'] = str(path)
    if ctx.diff:
        report['diff'] = diff
    changed = bool(report.pop('changed'))
    return StepResult(changed=changed, result=report)
