# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the NetBox tests share: the harness, and ``netbox``, a real NetBox of their own for each test module.

Without build/netbox/venv (make netbox-venv) the tests are skipped, unless GUESTNET_NETBOX_REQUIRED=1 (make netbox-test
and make netbox-gate set it), where they fail. Tests marked ``full_only`` run in make netbox-test, not in make test.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import importlib.util
import os
import sys
from pathlib import Path

import pytest

# Loaded under its own name: tests/simulator has a harness.py too, imported as `harness` (tests/e2e, test_provision_netbox).
HARNESS = 'guestnet_netbox_harness'
if HARNESS not in sys.modules:
    _SPEC = importlib.util.spec_from_file_location(HARNESS, str(Path(__file__).resolve().parent / 'harness.py'))
    sys.modules[HARNESS] = importlib.util.module_from_spec(_SPEC)
    _SPEC.loader.exec_module(sys.modules[HARNESS])
nbh = sys.modules[HARNESS]


def pytest_configure(config):
    config.addinivalue_line('markers', 'full_only: only in make netbox-test (rates, NetBox API probes), not in make test')


def _started(tls=False):
    try:
        nbh.netbox_version()
    except nbh.NetBoxError as exc:
        if os.environ.get('GUESTNET_NETBOX_REQUIRED'):
            raise
        pytest.skip(str(exc))
    nb = nbh.NetBox.start(log=lambda message: print('# ' + message), tls=tls)
    print('\n# NetBox %s at %s: started in %.1fs (%s)' % (
        nb.version, nb.url, nb.started_in, ', '.join('%s %ss' % item for item in nb.timings.items())))
    return nb


@pytest.fixture(scope='module', name='netbox')
def netbox_fixture():
    """A NetBox started for this module (on a copy of the migrated database, so every module starts empty)."""
    nb = _started()
    try:
        yield nb
    finally:
        nb.stop()


@pytest.fixture(name='netbox_tls')
def netbox_tls_fixture():
    """A NetBox of its own that serves https with a self-signed certificate (``netbox_tls.cafile``), for one test."""
    nb = _started(tls=True)
    try:
        yield nb
    finally:
        nb.stop()
