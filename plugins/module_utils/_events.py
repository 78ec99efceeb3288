# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the vm module watches besides the addresses while it waits for the guest. PRIVATE to the collection.

    watch = GuestWatch.open(ctx, ref, label, since)      # since: follow the customization that applies at that power-on
    wait_for_guest(..., watch=watch)                      # every slice: watch.update(values); watch.stop ends the wait
    watch.close(ctx)

It watches VMware Tools (``guest.toolsRunningStatus``, ``guest.toolsVersionStatus2``) and, after a power-on that applies
a LinuxPrep or Sysprep customization, the customization's events: one ``EventHistoryCollector`` over the one VM
(entity ``self``, the customization event types, from the power-on by vCenter's clock), never a query over all of
vCenter's events. Its ``latestPage`` is watched in the wait's own ``WaitForUpdatesEx``, so an event ends the slice it
comes in and costs no call of its own: ``CreateCollectorForEvents`` before the wait, ``DestroyCollector`` after it. The
events are filtered here too (createdTime from the power-on): a collector's time filter is not to be relied on, and an
earlier customization's events must not count.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.guestnet.vsphere.plugins.module_utils._conditions import (
    EVENT_TYPES,
    CustomizationEvent,
    CustomizationProgress,
    customization_progress,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._engine import Context
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import VCenterError
from ansible_collections.guestnet.vsphere.plugins.module_utils._vim_records import customization_events, moid_of

try:
    from pyVmomi import vim
except ImportError:
    vim = None  # the module reports the missing library (GuestnetModule)

# What the wait reads of the VM besides its NICs and guest.net.
TOOLS_PATHS = ('guest.toolsRunningStatus', 'guest.toolsVersionStatus2')
LATEST_PAGE = 'latestPage'


class GuestWatch:
    """VMware Tools and (when it follows one) the customization, as the wait's slices show them."""

    def __init__(self, vm_moid: str, since: Optional[datetime.datetime] = None, collector: Any = None) -> None:
        self.vm_moid = vm_moid
        self.since = since
        self.collector = collector
        self.following = collector is not None
        self.watched = False                         # a slice was seen: what it holds is current
        self.tools: Dict[str, Optional[str]] = {}    # path -> value, from the slices
        self.events: Dict[int, CustomizationEvent] = {}
        self.progress: Optional[CustomizationProgress] = customization_progress((), since, vm_moid) if collector is not None else None

    @classmethod
    def open(cls, ctx: Context, ref: Any, label: str, since: Optional[datetime.datetime] = None, follow: bool = False) -> 'GuestWatch':
        """A watch of the VM; with follow, of the customization that applies at the power-on at `since` too (one call)."""
        moid = moid_of(ref) or ''
        if not follow:
            return cls(moid)
        spec = vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=ref, recursion='self'), eventTypeId=list(EVENT_TYPES))
        if since is not None:
            spec.time = vim.event.EventFilterSpec.ByTime(beginTime=since)
        manager = ctx.client.content.eventManager
        collector = ctx.client.call('following the customization events of VM %s' % label, manager.CreateCollectorForEvents, filter=spec)
        return cls(moid, since, collector)

    def vm_paths(self) -> Tuple[str, ...]:
        return TOOLS_PATHS

    def objects(self) -> List[Tuple[Any, Sequence[str]]]:
        """What the wait watches besides the VM: the collector's latestPage."""
        return [(self.collector, (LATEST_PAGE,))] if self.collector is not None else []

    def update(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        """One slice of the wait (moid -> {path: value}, as the wait's filter delivers them)."""
        self.watched = True
        mine = values.get(self.vm_moid, {})
        self.tools.update({path: mine[path] for path in TOOLS_PATHS if path in mine})
        if self.collector is None:
            return
        page = values.get(moid_of(self.collector) or '', {}).get(LATEST_PAGE)
        for event in customization_events(page):
            self.events[event.key] = event
        self.progress = customization_progress(self.events.values(), self.since, self.vm_moid)

    @property
    def stop(self) -> bool:
        """The customization failed: the addresses it was to set will not come."""
        return self.progress is not None and self.progress.failed

    @property
    def settled(self) -> bool:
        """Nothing left to wait for but the addresses (the customization, when followed, succeeded)."""
        return self.progress is None or self.progress.settled

    def close(self, ctx: Context) -> None:
        """DestroyCollector; a failure is ignored (the logout removes the session's collectors anyway)."""
        if self.collector is None:
            return
        try:
            ctx.client.call('removing the event collector', self.collector.DestroyCollector)
        except VCenterError:
            pass
        self.collector = None
