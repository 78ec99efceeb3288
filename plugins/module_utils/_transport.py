# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The retry policy for transport faults: which failures are the network's, and which calls may be sent again.

PRIVATE to the collection. Pure: no pyVmomi here (``_vcenter`` applies the policy to every SOAP call).

A transport fault is a call whose answer never arrived whole: a front proxy's 502, 503 or 504, a connection closed,
reset or refused, a TLS EOF, a socket timeout, an answer cut off in the middle. vCenter may or may not have carried
the call out, so

- a read (the methods in ``READ_METHODS``) is sent again, at most ``len(RETRY_DELAYS)`` more times, after these
  pauses (seconds);
- any other call is never sent again: ``_vcenter`` looks up the task it may have started (``LOOKUP_TASKS``), or
  fails with a message that says vCenter may have carried it out, and the next run reads the VM and goes on.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import http.client
import socket
import ssl
from typing import Optional
from xml.parsers.expat import ExpatError

# Methods that change nothing on vCenter: sending one again is safe. WaitForUpdatesEx repeats with the version it
# was given; CreateFilter and CreateCollectorForEvents make a filter or an event collector of this session only
# (logging out removes it).
READ_METHODS = frozenset((
    'RetrieveServiceContent', 'RetrievePropertiesEx', 'ContinueRetrievePropertiesEx', 'RetrieveProperties', 'Fetch',
    'FindByInventoryPath', 'FindAllByUuid', 'FindByUuid', 'FindChild', 'CurrentTime', 'WaitForUpdatesEx', 'CreateFilter',
    'CreateCollectorForEvents',
))

# Pauses before the 2nd, 3rd and 4th attempt of a read: at most 3.5 s in all, so a run fails soon when vCenter is gone.
RETRY_DELAYS = (0.5, 1.0, 2.0)

# Tasks whose lost answer is looked up among vCenter's recent tasks (on the same object, queued since the call was
# sent). CloneVM_Task is not: its task belongs to the template, which other runs clone at the same time.
NO_LOOKUP_TASKS = frozenset(('CloneVM_Task',))

# How much earlier than the call was sent (by vCenter's clock as the login told it) a task may have been queued and
# still be the call's: what the estimate of vCenter's clock may be off by. A task queued before the call is not its.
LOOKUP_SLACK_SECONDS = 0.5

# Proxy answers that mean "vCenter did not answer", as opposed to a wrong URL or a refused login.
_GATEWAY_STATUSES = ('502', '503', '504')


def transport_reason(error: BaseException) -> Optional[str]:
    """What went wrong on the way, when `error` is a transport fault; None for anything else (a vCenter fault, a bug)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return None     # not a fault of the way: the certificate is not trusted (connect reports it)
    if isinstance(error, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)):
        return 'the TLS connection ended in the middle of the call (%s)' % (error.strerror or error)
    if isinstance(error, http.client.RemoteDisconnected):
        return 'the connection was closed without an answer'
    if isinstance(error, http.client.IncompleteRead):
        return 'the answer was cut off (%d bytes read)' % len(error.partial)
    if isinstance(error, ExpatError):
        return 'the answer was cut off (%s)' % error
    if isinstance(error, ConnectionError):    # reset, refused, aborted, broken pipe
        return '%s (%s)' % (type(error).__name__, error.strerror or error)
    if isinstance(error, socket.timeout):
        return 'no answer within the socket timeout'
    if isinstance(error, http.client.HTTPException) and str(error)[:3] in _GATEWAY_STATUSES:
        return 'the proxy in front of vCenter answered %s' % error
    return None


def may_repeat(method: str) -> bool:
    """May a call of `method` be sent again after a transport fault?"""
    return method in READ_METHODS


def may_look_up(method: str) -> bool:
    """May the task of a `method` call whose answer was lost be looked up among the recent tasks?"""
    return method.endswith('_Task') and method not in NO_LOOKUP_TASKS
