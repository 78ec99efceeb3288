# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The two ways a guestnet module runs: in the controller's process (the action plugin, when the task runs on the
controller: every other e2e test) and as a module process (here forced by a localhost whose ansible_python_interpreter
names another Python). The same steps through both must give the same statuses, messages, results, warnings, masking
and SOAP calls; which way each took is read from the AnsiballZ payloads Ansible kept (ANSIBLE_KEEP_REMOTE_FILES).

VMs here are called inproc-* and modproc-*; they are removed at the end.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

import pytest

import harness
from vmrun import Outcome, remove_vms

PLACEMENT = {'datacenter': 'DC0', 'cluster': 'DC0_C0', 'vm_class': {'cpus': 1, 'memory': '1Gi'}}
ADMIN_PASSWORD = 'Adm1n-InProc-S3cret'
NO_LOG = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


def steps(prefix):
    """Every kind of outcome: a prediction, a change, a no-op, bad input, an unknown option, a secret, a warning, a removal."""
    linux = dict(PLACEMENT, name=prefix + 'lnx', image='linux-template', remove_unmanaged=True, provider='linux_prep', linux_prep={},
                 network={'host_name': prefix.rstrip('-') + 'lnx',
                          'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.86.0.5/24'], 'gateway4': '10.86.0.1'}]})
    windows = dict(PLACEMENT, name=prefix + 'win', image='windows-template', remove_unmanaged=True, power_state='powered_off',
                   network={'host_name': prefix.rstrip('-') + 'win',
                            'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.86.0.6/24'], 'gateway4': '10.86.0.1'}]},
                   provider='sysprep', sysprep={'password': ADMIN_PASSWORD})
    bad = dict(linux, name=prefix + 'bad', vm_class={'cpus': 0})
    return [dict(linux, _check_mode=True), linux, linux, bad, {'name': prefix + 'lnx', 'datacenter': 'DC0', 'bogus': 1}, windows,
            dict(windows, template='windows-template'), {'name': prefix + 'lnx', 'datacenter': 'DC0', 'state': 'absent'}]


def shape(value):
    """A result with what differs between two VMs (names, ids, MACs, UUIDs) reduced to its type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def comparable(outcome, prefix):
    text = json.dumps(outcome.result, sort_keys=True).replace(prefix, 'PREFIX-').replace(prefix.rstrip('-'), 'PREFIX')
    result = json.loads(text)
    return {'status': outcome.status, 'changed': result.get('changed'), 'msg': result.get('msg'), 'warnings': result.get('warnings'),
            'steps': result.get('steps'), 'invocation': result.get('invocation'), 'shape': shape(result), 'calls': outcome.calls}


@pytest.fixture(scope='module', autouse=True)
def cleanup(service_instance, simulator):
    yield
    remove_vms(service_instance, simulator, 'inproc-')
    remove_vms(service_instance, simulator, 'modproc-')


def test_in_process_and_module_process_give_the_same_outcomes(fresh_calls, collections_path, tmp_path):
    runs = {}
    for way, prefix in (('in-process', 'inproc-'), ('module', 'modproc-')):
        workdir = tmp_path / way
        outcomes = harness.run_steps(fresh_calls, 'guestnet.vsphere.vm', steps(prefix), collections_path=collections_path, workdir=workdir,
                                     outcome=Outcome, module_process=way == 'module')
        runs[way] = (outcomes, harness.module_payloads(workdir, 'vm'), prefix)
    (inproc, inproc_payloads, dummy), (module, module_payloads, dummy) = runs['in-process'], runs['module']
    assert inproc_payloads == 0 and module_payloads == len(module), (inproc_payloads, module_payloads)
    # the outcomes are what they must be (so the comparison below compares something)
    assert [o.status for o in inproc] == ['ok', 'ok', 'ok', 'failed', 'failed', 'ok', 'ok', 'ok'], [o.msg for o in inproc]
    assert [o.changed for o in inproc] == [True, True, False, False, False, True, False, True]
    assert inproc[0].mutating == {} and inproc[2].calls['total'] == 5 and inproc[3].calls == {'total': 0}
    assert inproc[3].msg.startswith('vm_class.cpus: 0 is out of range'), inproc[3].msg
    assert inproc[4].msg.startswith('Unsupported parameters for (guestnet.vsphere.vm) module: bogus.'), inproc[4].msg
    assert inproc[6].result['warnings'] == ['Both option image and its alias template are set.']
    assert inproc[5].result['invocation']['module_args']['sysprep']['password'] == NO_LOG
    # and the same either way
    for index, (ours, theirs) in enumerate(zip(inproc, module)):
        assert comparable(ours, 'inproc-') == comparable(theirs, 'modproc-'), 'step %d' % index
    for outcome in inproc + module:
        assert ADMIN_PASSWORD not in json.dumps(outcome.result)
