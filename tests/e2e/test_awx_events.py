# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The provision playbook run as AWX runs it - through ansible-runner, at -vvv, as a "Check" job and as a "Run" job - and
every job event it emits searched for every secret of the inventory: Sysprep's administrator and domain-join passwords,
raw cloud-init user-data, and the vCenter password. AWX stores each event as emitted (event_data.res holds a task's
result, with the facts it sets), so a secret in any event, at any verbosity, is a leak.

VMs here are called awx-*; they are removed at the end.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import os
from pathlib import Path

import pytest
import yaml

import harness
from vmrun import remove_vms

ansible_runner = pytest.importorskip('ansible_runner')

ADMIN_PASSWORD = 'Adm1n-Runner-S3cret'
JOIN_PASSWORD = 'J0in-Runner-S3cret'
USER_DATA_SECRET = 'userdata-runner-s3cret'
VCENTER_PASSWORD = 'vc-Runner-S3cret'     # the simulator takes any password with its default user
PLACEMENT = {'image': 'windows-template', 'datacenter': 'DC0', 'cluster': 'DC0_C0'}
HOSTS = {
    'awx-win': {
        'guestnet_vm': PLACEMENT,
        'guestnet_network': {'host_name': 'awxwin', 'domain_name': 'corp.example',
                             'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.90.0.5/24'], 'gateway4': '10.90.0.1'}]},
        'guestnet_bootstrap': {'provider': 'sysprep', 'sysprep': {'password': ADMIN_PASSWORD, 'join_domain': 'corp.example', 'domain_admin': 'joiner',
                                                                  'domain_admin_password': JOIN_PASSWORD}},
    },
    'awx-raw': {
        'guestnet_vm': dict(PLACEMENT, image='linux-template'),
        'guestnet_network': {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'addresses': ['10.90.0.6/24'], 'gateway4': '10.90.0.1'}]},
        'guestnet_bootstrap': {'provider': 'cloud_init', 'cloud_init': {
            'raw_cloud_config': '#cloud-config\nchpasswd:\n  list: |\n    root:%s\n' % USER_DATA_SECRET}},
    },
}


def run_job(sim, collections_path, tmp_path, name, check, module_process=False):
    """One job: ansible-runner's run() of a project playbook that imports guestnet.vsphere.provision, at -vvv; the vm
    tasks in the controller's process, or (module_process) as module processes, their payloads kept in private/remote."""
    private = tmp_path / name
    (private / 'project').mkdir(parents=True)
    (private / 'inventory').mkdir()
    (private / 'project' / 'provision.yml').write_text(yaml.safe_dump([{'import_playbook': 'guestnet.vsphere.provision'}]), encoding='utf-8')
    hosts = {host: dict(values, guestnet_wait_timeout=0) for host, values in HOSTS.items()}
    if module_process:
        hosts.update(harness.module_process_hosts(private))
    (private / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump({'all': {'hosts': hosts}}), encoding='utf-8')
    envvars = dict(sim.env(), VMWARE_PASSWORD=VCENTER_PASSWORD, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_LOCALHOST_WARNING='false',
                   ANSIBLE_HOME=str(private / '.ansible'), PATH=os.environ.get('PATH', ''),
                   ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TEMP=str(private / 'remote-tmp'))
    runner = ansible_runner.run(private_data_dir=str(private), playbook='provision.yml', verbosity=3, envvars=envvars, quiet=True,
                                cmdline='--check' if check else None, timeout=900, limit='awx-*')  # not localhost
    return runner


@pytest.fixture(scope='module', autouse=True)
def cleanup(service_instance, simulator):
    yield
    remove_vms(service_instance, simulator, 'awx-')


@pytest.mark.parametrize('check, module_process', [(True, False), (False, False), (False, True)],
                         ids=['check-job', 'run-job', 'run-job-module-process'])
def test_no_job_event_holds_a_secret(simulator, collections_path, tmp_path, check, module_process):
    name = ('check' if check else 'run') + ('-module' if module_process else '')
    runner = run_job(simulator, collections_path, tmp_path, name, check, module_process)
    events = list(runner.events)
    stdout = Path(runner.stdout.name).read_text(encoding='utf-8')
    assert runner.rc == 0 and runner.status == 'successful', stdout[-4000:]
    # the way the vm tasks ran: module processes leave their AnsiballZ payloads (ANSIBLE_KEEP_REMOTE_FILES)
    assert harness.module_payloads(tmp_path / name, 'vm') == (len(HOSTS) if module_process else 0)
    secrets = (ADMIN_PASSWORD, JOIN_PASSWORD, USER_DATA_SECRET, VCENTER_PASSWORD)
    # the events do carry the bootstrap (its options, masked, and the documents, redacted): the search below is not vacuous
    assert any('joiner' in json.dumps(event) and 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in json.dumps(event) for event in events)
    for event in events:
        text = json.dumps(event)
        assert [secret for secret in secrets if secret in text] == [], (event.get('event'), event.get('event_data', {}).get('task'))
    assert [secret for secret in secrets if secret in stdout] == []
    results = [event for event in events if event.get('event') == 'runner_on_ok' and 'guestnet.vsphere.vm' in json.dumps(event)]
    assert len(results) == 2, [event.get('event') for event in events]     # one vm task per host, as AWX records it
    # the facts AWX stores: what the role published, without the bootstrap
    facts = [event['event_data']['res']['ansible_facts'] for event in events
             if event.get('event') == 'runner_on_ok' and 'ansible_facts' in event.get('event_data', {}).get('res', {})]
    assert {fact['provision_result']['name'] for fact in facts if 'provision_result' in fact} == set(HOSTS)
    assert all(set(fact) == {'provision_result'} for fact in facts), facts
