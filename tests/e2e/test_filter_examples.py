# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every filter's documented EXAMPLES run with real ansible-playbook, so the docs cannot rot.

The EXAMPLES of each ``plugins/filter/<filter>.yml`` (a list of tasks) become one play on a host
of their own (local connection), so one broken example does not hide the others; all plays run
in one ansible-playbook against the staged collection (no simulator). Then every task must have
succeeded, and SPOT_CHECKS compares values with what the examples' comments promise.
A second playbook checks that broken input fails the task with the core's message, and the
README's filter playbooks run too.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import harness

FILTER_DIR = harness.REPO / 'plugins' / 'filter'
COLLECTION = 'guestnet.vsphere'


class NoSimulator:
    """Stands in for harness.Simulator: these playbooks need no vCenter."""

    def env(self):
        return {}

    def module_defaults(self):
        return {}


def documented_examples():
    """filter name -> its EXAMPLES as a list of tasks."""
    examples = {}
    for path in sorted(FILTER_DIR.glob('*.yml')):
        doc = yaml.safe_load(path.read_text(encoding='utf-8'))
        assert doc['DOCUMENTATION']['name'] == path.stem, path
        tasks = yaml.safe_load(doc.get('EXAMPLES') or '')
        assert isinstance(tasks, list) and tasks, '%s: EXAMPLES must be a non-empty list of tasks' % path
        examples[path.stem] = tasks
    return examples


EXAMPLES = documented_examples()


def exposed_filters(collections_path):
    """The names every FilterModule of the staged collection exposes (imported in a child: no import side effects here)."""
    code = ('import json, pkgutil, importlib\n'
            'import ansible_collections.guestnet.vsphere.plugins.filter as pkg\n'
            'names = []\n'
            'for info in pkgutil.iter_modules(pkg.__path__):\n'
            '    module = importlib.import_module(pkg.__name__ + "." + info.name)\n'
            '    names += list(module.FilterModule().filters())\n'
            'print(json.dumps(sorted(names)))\n')
    proc = subprocess.run([sys.executable, '-c', code], cwd=str(collections_path), env={'PYTHONPATH': str(collections_path)},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_plays(plays, collections_path, tmp_path):
    """Run {host: tasks} as one play per host; return {host: {task name: result record}} and the PlaybookResult."""
    inventory = {'all': {'hosts': {host: {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
                                   for host in plays}}}
    (tmp_path / 'inventory.yml').write_text(json.dumps(inventory), encoding='utf-8')
    playbook = [{'name': 'examples of %s' % host, 'hosts': host, 'gather_facts': False, 'tasks': tasks}
                for host, tasks in plays.items()]
    (tmp_path / 'playbook.yml').write_text(json.dumps(playbook, indent=2), encoding='utf-8')
    result = harness.run_playbook(NoSimulator(), playbook=tmp_path / 'playbook.yml', inventory=tmp_path / 'inventory.yml',
                                  collections_path=collections_path, module_defaults=False, workdir=tmp_path, timeout=600)
    by_host = {}
    for record in result.results:
        by_host.setdefault(record['host'], {})[record['task']] = record
    return by_host, result


@pytest.fixture(scope='module')
def example_results(collections_path, tmp_path_factory):  # pylint: disable=redefined-outer-name
    return run_plays(EXAMPLES, collections_path, tmp_path_factory.mktemp('filter-examples'))


# --------------------------------------------------------------------------- spot checks

def msg(results, task):
    return results[task]['result']['msg']


def fact(results, task, name):
    return results[task]['result']['ansible_facts'][name]


def decode(value):
    return gzip.decompress(base64.b64decode(value)).decode('utf-8')


def check_network_config(results):
    config = msg(results, 'Show the intended network config of web01')
    assert config['dns'] == {'host_name': 'web01', 'domain_name': 'example.com', 'nameservers': ['10.0.0.53'],
                             'search_domains': ['example.com']}
    eth0, eth1 = config['interfaces']
    assert eth0['mac_address'] == '00:50:56:00:00:01' and eth0['network'] == 'DC0_DVPG0'
    assert eth0['ip'] == {'addresses': ['10.0.0.10/24', '2001:db8::10/64'], 'gateway4': '10.0.0.1', 'gateway6': '2001:db8::1'}
    assert eth1['ip'] == {'dhcp': {'ip4': {'enabled': True}}}
    db01 = fact(results, 'Check a VM Operator spec.network (camelCase) for LinuxPrep; the VM name is the host name', 'db01_config')
    assert db01['dns'] == {'host_name': 'db01', 'domain_name': 'example.com'}
    assert db01['interfaces'][0]['mac_address'] == '00:50:56:00:00:0a'


def check_netplan(results):
    text = msg(results, 'Render the netplan a guest will receive')
    document = yaml.safe_load(text)
    assert document['version'] == 2
    assert document['ethernets']['eth0']['match'] == {'macaddress': '00:50:56:00:00:01'}
    assert document['ethernets']['eth0']['gateway4'] == '10.0.0.1'
    assert document['ethernets']['eth0']['nameservers'] == {'addresses': ['10.0.0.53']}
    web02 = fact(results, 'Render netplan with default routes instead of gateway keys', 'web02_netplan')
    eth0 = web02['ethernets']['eth0']
    assert eth0['routes'] == [{'to': '::/0', 'via': '2001:db8::1'}] and 'gateway6' not in eth0
    assert eth0['set-name'] == 'ens192' and eth0['mtu'] == 9000 and eth0['match'] == {'macaddress': '00:50:56:00:00:01'}


def check_cloud_init_metadata(results):
    metadata = msg(results, 'Render the cloud-init metadata of web01')
    assert metadata['hostname'] == metadata['local-hostname'] == 'web01.example.com'
    assert metadata['instance-id'] == '5021a6f0-8c5e-4d2a-9b1e-0123456789ab'
    assert metadata['public-keys'].startswith('ssh-ed25519 ')
    assert metadata['wait-on-network'] == {'ipv4': True, 'ipv6': False}
    assert metadata['network']['ethernets']['eth0']['addresses'] == ['10.0.0.10/24']
    app01 = fact(results, 'Metadata for a VM whose network is all DHCP; the VM name is the host name', 'app01_metadata')
    assert app01['hostname'] == 'app01' and app01['network']['ethernets']['eth0']['dhcp4'] is True


def check_guestinfo(results):
    extra = fact(results, "Encode metadata and cloud-config user-data for the VM's extraConfig", 'web01_extra_config')
    assert extra['guestinfo.metadata.encoding'] == extra['guestinfo.userdata.encoding'] == 'gzip+base64'
    metadata = json.loads(decode(extra['guestinfo.metadata']))
    assert metadata['instance-id'] == 'web01' and metadata['network']['ethernets']['eth0']['gateway4'] == '10.0.0.1'
    userdata = decode(extra['guestinfo.userdata'])
    assert userdata.startswith('#cloud-config\n')
    assert yaml.safe_load(userdata) == {'packages': ['nginx'], 'runcmd': [['systemctl', 'enable', '--now', 'nginx']]}
    assert msg(results, 'Show the extraConfig keys of metadata text with a shell-script user-data') == [
        'guestinfo.metadata', 'guestinfo.metadata.encoding', 'guestinfo.userdata', 'guestinfo.userdata.encoding']


def check_gosc(results):
    spec = msg(results, 'Render a LinuxPrep customization spec')
    assert spec['_type'] == 'vim.vm.customization.Specification'
    assert spec['identity']['timeZone'] == 'Europe/Berlin' and spec['identity']['hostName']['name'] == 'web01'
    assert [item['macAddress'] for item in spec['nicSettingMap']] == ['00:50:56:00:00:01', '00:50:56:00:00:02']
    assert spec['nicSettingMap'][0]['adapter']['ip'] == {'_type': 'vim.vm.customization.FixedIp', 'ipAddress': '10.0.0.10'}
    assert spec['nicSettingMap'][1]['adapter']['ip'] == {'_type': 'vim.vm.customization.DhcpIpGenerator'}
    sysprep = results['Render a Sysprep customization spec that joins a domain (it holds passwords)']['result']
    assert 'Example-Only' not in json.dumps(sysprep), 'no_log must hide the passwords'
    assert msg(results, 'Show which domain win01 joins') == 'corp.example.com'


def check_from_vm_operator(results):
    shown = msg(results, 'Read a VM Operator manifest and render the netplan of its network')
    options = shown['options']
    assert options['network']['interfaces'][0] == {'name': 'eth0', 'network': 'DC0_DVPG0', 'mac_address': '00:50:56:00:00:0a',
                                                   'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.0.1'}
    assert options['bootstrap'] == {'provider': 'cloud_init',
                                    'cloud_init': {'cloud_config': {'runcmd': ['touch /var/tmp/booted'], 'users': ['default']}}}
    assert (options['power_state'], options['class_name'], options['storage_class']) == ('powered_on', 'best-effort-small', 'wcpglobal')
    assert sorted(shown['netplan']['ethernets']) == ['eth0', 'eth1']
    assert shown['netplan']['ethernets']['eth1']['match'] == {'macaddress': '00:50:56:00:00:0b'}
    legacy = fact(results, 'Convert a v1alpha1 manifest kept as YAML text', 'legacy_vm')
    assert legacy['network'] == {'interfaces': [{'name': 'eth0', 'network': 'DC0_DVPG0', 'adapter_type': 'vmxnet3'}]}
    assert legacy['bootstrap']['cloud_init'] == {'raw_cloud_config': {'secret_name': 'legacy-vm-bootstrap', 'key': 'user-data'}}


def check_first_ip(results):
    assert msg(results, 'Compute vApp property values from the network spec') == {
        'ip0': '10.0.0.10/24', 'ip0_bare': '10.0.0.10', 'ip1_v6': '2001:db8:1::10/64'}


def check_ips_from_nic(results):
    assert msg(results, 'List the addresses of each NIC') == {'nic0': ['10.0.0.10/24'], 'nic1': '2001:db8:1::10/64'}


def check_first_nic_mac(results):
    assert msg(results, 'Compute the MAC address a Windows answer file expects') == '00-50-56-00-00-01'


def check_format_ip(results):
    assert msg(results, 'Format addresses for a vApp property and an answer file') == {
        'bare': '10.0.0.10', 'with_netmask': '10.0.0.10/24', 'with_prefix': '2001:db8::10/64'}


def check_subnet_mask(results):
    assert msg(results, 'Compute the netmask of the first address of NIC 0') == '255.255.255.0'


def check_prefix_length(results):
    shown = msg(results, 'Compute the prefix length of each family on NIC 0')
    # ansible-core < 2.19 renders templates inside a dict as text
    assert {key: int(value) for key, value in shown.items()} == {'ipv4': 24, 'ipv6': 64}


def check_format_nameservers(results):
    assert msg(results, 'Format the nameservers for vApp properties') == {
        'all': '10.0.0.53,10.0.0.54,10.0.0.55', 'first_two': '10.0.0.53 10.0.0.54', 'from_list': '1.1.1.1;9.9.9.9'}


def check_is_usable_ip(results):
    assert msg(results, "Tell which addresses the guest reports are usable off the local link") == [True, False, False, True]
    assert msg(results, "Warn when the guest's primary address is link-local") == \
        '169.254.10.20 is not usable off the local link: is DHCP down?'


SPOT_CHECKS = {
    'network_config': check_network_config,
    'netplan': check_netplan,
    'cloud_init_metadata': check_cloud_init_metadata,
    'guestinfo': check_guestinfo,
    'gosc': check_gosc,
    'from_vm_operator': check_from_vm_operator,
    'first_ip': check_first_ip,
    'ips_from_nic': check_ips_from_nic,
    'first_nic_mac': check_first_nic_mac,
    'format_ip': check_format_ip,
    'subnet_mask': check_subnet_mask,
    'prefix_length': check_prefix_length,
    'format_nameservers': check_format_nameservers,
    'is_usable_ip': check_is_usable_ip,
}


# --------------------------------------------------------------------------- tests

def test_every_filter_has_documented_examples_and_a_spot_check(collections_path):  # pylint: disable=redefined-outer-name
    assert exposed_filters(collections_path) == sorted(EXAMPLES)
    assert sorted(SPOT_CHECKS) == sorted(EXAMPLES)
    for name, tasks in EXAMPLES.items():
        names = [task.get('name') for task in tasks]
        assert all(names) and len(set(names)) == len(names), '%s: every example task needs a unique name' % name
        assert '%s.%s' % (COLLECTION, name) in json.dumps(tasks), '%s: its EXAMPLES never use %s.%s' % (name, COLLECTION, name)


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_documented_examples_run(name, example_results):  # pylint: disable=redefined-outer-name
    by_host, result = example_results
    results = by_host.get(name, {})
    expected = [task['name'] for task in EXAMPLES[name]]
    failed = {task: record['result'].get('msg') for task, record in results.items() if record['status'] not in ('ok', 'skipped')}
    assert not failed, 'examples of %s failed: %s\n%s' % (name, json.dumps(failed, indent=2), result.stdout[-4000:])
    assert sorted(results) == sorted(expected), 'examples of %s did not all run:\n%s' % (name, result.stdout[-4000:])
    assert all(record['status'] == 'ok' for record in results.values()), results
    SPOT_CHECKS[name](results)


BROKEN = {
    'a gateway outside the subnet': (
        "{{ {'interfaces': [{'name': 'eth0', 'addresses': ['10.0.0.10/24'], 'gateway4': '10.0.9.1'}]}"
        " | guestnet.vsphere.netplan(macs={'eth0': '00:50:56:00:00:01'}) }}",
        'network.interfaces[0].gateway4: 10.0.9.1 is not inside any IPv4 address of this interface'),
    'a missing MAC': (
        "{{ {'interfaces': [{'name': 'eth0'}, {'name': 'eth1'}]} | guestnet.vsphere.netplan(macs={'eth0': '00:50:56:00:00:01'}) }}",
        "interface eth1 has no MAC address, and netplan matches each interface to its NIC by MAC address: pass macs={'eth1':"),
    'a field the provider cannot carry': (
        "{{ {'host_name': 'web01', 'interfaces': [{'name': 'eth0', 'mtu': 9000}]}"
        " | guestnet.vsphere.gosc('linux_prep', macs={'eth0': '00:50:56:00:00:01'}) }}",
        'network.interfaces[0].mtu: 9000 is not supported by linux_prep; supported by: cloud_init'),
    'no host name': (
        "{{ {} | guestnet.vsphere.network_config }}",
        'network.host_name is not set and no vm_name was given'),
    'a DHCP NIC in a vApp helper': (
        "{{ {} | guestnet.vsphere.network_config(vm_name='web01') | guestnet.vsphere.first_ip }}",
        'NIC 0 (eth0) has no static IP address (it uses DHCPv4, whose lease a template cannot know)'),
    'a misspelt argument': (
        "{{ {} | guestnet.vsphere.netplan(mac={}) }}",
        "got an unexpected keyword argument 'mac'; usage: spec | guestnet.vsphere.netplan(macs, gateway_style)"),
}


def test_broken_input_fails_the_task_with_the_core_message(collections_path, tmp_path):  # pylint: disable=redefined-outer-name
    tasks = [{'name': name, 'ansible.builtin.debug': {'msg': expression}, 'ignore_errors': True}
             for name, (expression, expected) in BROKEN.items()]
    by_host, result = run_plays({'broken_input': tasks}, collections_path, tmp_path)
    records = by_host['broken_input']
    for name, (expression, expected) in BROKEN.items():
        assert records[name]['status'] == 'failed', (name, records[name])
        assert expected in records[name]['result']['msg'], (name, records[name]['result']['msg'])
    assert result.ok, result.stdout
    assert Path(result.workdir).is_dir()


def readme_filter_playbooks():
    """The README's YAML blocks that are localhost plays using one of our filters."""
    text = (harness.REPO / 'README.md').read_text(encoding='utf-8')
    blocks = [yaml.safe_load(block) for block in re.findall(r'```yaml\n(.*?)```', text, re.S)]
    return [block for block in blocks if isinstance(block, list) and block and block[0].get('hosts') == 'localhost'
            and '%s.' % COLLECTION in json.dumps(block)]


def test_readme_filter_examples_run(collections_path, tmp_path):  # pylint: disable=redefined-outer-name
    playbooks = readme_filter_playbooks()
    assert playbooks, 'README.md shows no filter playbook any more; update this test'
    for index, plays in enumerate(playbooks):
        (tmp_path / str(index)).mkdir()
        path = tmp_path / str(index) / 'playbook.yml'
        path.write_text(json.dumps(plays), encoding='utf-8')
        result = harness.run_playbook(NoSimulator(), playbook=path, collections_path=collections_path, module_defaults=False,
                                      workdir=tmp_path / str(index))
        assert result.ok, result.stdout + result.stderr
        assert all(record['status'] == 'ok' for record in result.results), result.results
    rendered = yaml.safe_load(result.task('Render netplan (cloud-init network-config v2)')['result']['msg'])
    assert rendered['ethernets']['eth0']['match'] == {'macaddress': '00:50:56:00:00:01'}
