# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guestnet.vsphere.vm_bootstrap against the simulator, run through ansible-playbook.

Every provider: apply, re-run (no change, no mutating call), change one field (re-applied), each within its SOAP
budget. cloud-init end to end through the guest emulator (cloud-init's own DataSourceVMware and net-convert);
LinuxPrep and Sysprep end to end through the simulator's customization at power-on; secrets under -vvv; bad input.

Budgets: a bootstrap that is already current <= 7 SOAP calls; applying one <= 10 (LinuxPrep/Sysprep on a powered-off
VM). Measured counts are written to tests/output/vm_bootstrap_calls.json.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import copy
import gzip
import itertools
import json
from pathlib import Path

import pytest

import guest
import harness

vim = pytest.importorskip('pyVmomi').vim

MODULE = 'guestnet.vsphere.vm_bootstrap'
VCENTER_PASSWORD = 'vCenter-Passw0rd-for-e2e'
CURRENT_BUDGET = 7
APPLY_BUDGET = 10
MUTATING = ('ReconfigVM_Task', 'CustomizeVM_Task', 'PowerOffVM_Task', 'PowerOnVM_Task', 'CloneVM_Task', 'Destroy_Task')
OUTPUT = Path(__file__).resolve().parent.parent / 'output'
MEASURED = {}
_MACS = itertools.count(1)


@pytest.fixture(scope='module', autouse=True)
def report():
    yield
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / 'vm_bootstrap_calls.json').write_text(json.dumps(MEASURED, indent=2, sort_keys=True))


# -- VMs ------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module', name='place')
def place_fixture(service_instance):
    rows = harness.retrieve_view(service_instance, vim.VirtualMachine, ['name', 'parent', 'resourcePool'])
    by_name = {props['name']: (vm, props) for vm, props in rows}
    return {'vms': by_name, 'folder': by_name['linux-template'][1]['parent'], 'pool': by_name['DC0_C0_RP0_VM0'][1]['resourcePool']}


def new_mac():
    number = next(_MACS)
    return '00:50:56:3e:%02x:%02x' % (number // 256, number % 256)


def make_vm(si, place, name, template='linux-template', networks=('VM Network',), power_on=False):
    """Clone a template; give the VM one NIC per network (the template's NIC is the first; added NICs get static MACs)."""
    tmpl = place['vms'][template][0]
    task = tmpl.CloneVM_Task(folder=place['folder'], name=name, spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=place['pool'])))
    vm = harness.wait_task(si, task)
    devices = harness.retrieve(si, vm, ['config.hardware.device'])['config.hardware.device']
    first = [d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)][0]
    changes = []
    if networks[0] != first.backing.deviceName:
        first.backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=networks[0])
        changes.append(vim.vm.device.VirtualDeviceSpec(operation='edit', device=first))
    for index, network in enumerate(networks[1:]):
        card = vim.vm.device.VirtualVmxnet3(key=-1 - index, addressType='manual', macAddress=new_mac(),
                                            backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=network))
        changes.append(vim.vm.device.VirtualDeviceSpec(operation='add', device=card))
    if changes:
        harness.wait_task(si, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=changes)))
    if power_on:
        harness.wait_task(si, vm.PowerOnVM_Task())
    return vm


def vm_macs(si, vm):
    devices = harness.retrieve(si, vm, ['config.hardware.device'])['config.hardware.device']
    return [d.macAddress for d in sorted(devices, key=lambda d: d.key) if isinstance(d, vim.vm.device.VirtualEthernetCard)]


def extra_config(si, vm):
    return {o.key: o.value for o in harness.retrieve(si, vm, ['config.extraConfig']).get('config.extraConfig') or []}


def power_state(si, vm):
    return str(harness.retrieve(si, vm, ['runtime.powerState'])['runtime.powerState'])


# -- running the module -----------------------------------------------------------------------------------------------

class Step:
    """One module run: its task result and the SOAP calls it made."""

    def __init__(self, name, record, calls):
        self.name = name
        self.record = record
        self.calls = calls

    @property
    def result(self):
        return self.record['result']

    @property
    def failed(self):
        return self.record['status'] == 'failed'

    @property
    def changed(self):
        return bool(self.result.get('changed'))

    @property
    def msg(self):
        return self.result.get('msg', '')

    def mutating(self):
        return {method: count for method, count in self.calls.items() if method in MUTATING}

    def __repr__(self):
        return '<Step %s failed=%s changed=%s calls=%s msg=%s>' % (self.name, self.failed, self.changed, self.calls, self.msg)


def run_steps(sim, collections_path, tmp_path, steps, verbosity=0, label=None):
    """Run module steps in ONE playbook; the simulator's counters are reset before and read after each step.

    steps: [(name, args)] or [(name, args, task keywords such as check_mode/diff)]. Returns [Step], and the
    PlaybookResult as the attribute `playbook` of the list.
    """
    calls_url = sim.base_url + '/_calls'
    tasks = []
    for index, step in enumerate(steps):
        name, args = step[0], step[1]
        keywords = step[2] if len(step) > 2 else {}
        tasks.append({'name': 'reset calls %d' % index, 'ansible.builtin.uri': {'url': calls_url, 'method': 'DELETE', 'validate_certs': True}})
        # The shared simulator takes any password; a long one keeps Ansible from masking the word 'pass' (its
        # default password) wherever it occurs in the output, and lets the tests check the vCenter password stays hidden.
        task = {'name': name, MODULE: dict(args, password=VCENTER_PASSWORD), 'ignore_errors': True}
        task.update(keywords)
        tasks.append(task)
        tasks.append({'name': 'read calls %d' % index, 'ansible.builtin.uri': {'url': calls_url, 'validate_certs': True, 'return_content': True}})
    workdir = tmp_path / ('play-%s' % (label or steps[0][0].replace(' ', '-')))
    playbook = harness.run_playbook(sim, tasks=tasks, collections_path=collections_path, workdir=workdir, verbosity=verbosity)
    out = []
    for index, step in enumerate(steps):
        try:
            record = playbook.task(step[0])
        except KeyError:
            raise AssertionError('step %r did not run:\n%s\n%s' % (step[0], playbook.stdout, playbook.stderr)) from None
        calls = playbook.task('read calls %d' % index)['result']['json']
        out.append(Step(step[0], record, calls))
        MEASURED[step[0]] = calls
    results = StepList(out)
    results.playbook = playbook
    return results


class StepList(list):
    playbook = None


def assert_current(step):
    """Nothing to do: no change, no mutating call, within the budget."""
    assert not step.failed, step
    assert not step.changed, step
    assert not step.mutating(), step
    assert step.calls['total'] <= CURRENT_BUDGET, step


def assert_applied(step, budget=APPLY_BUDGET):
    assert not step.failed, step
    assert step.changed, step
    assert step.calls['total'] <= budget, step


def assert_refused(step, *fragments):
    """A clear error and no mutating call."""
    assert step.failed, step
    for fragment in fragments:
        assert fragment in step.msg, (fragment, step.msg)
    assert not step.mutating(), step


def decode(value):
    return gzip.decompress(base64.b64decode(value)).decode()


# -- cloud-init -----------------------------------------------------------------------------------------------------

CI_NETWORK = {
    'host_name': 'ci01',
    'domain_name': 'example.com',
    'nameservers': ['10.20.0.53'],
    'search_domains': ['example.com'],
    'interfaces': [{
        'name': 'eth0',
        'guest_device_name': 'ens192',
        'addresses': ['10.20.0.5/24', '2001:db8:20::5/64'],
        'gateway4': '10.20.0.1',
        'gateway6': '2001:db8:20::1',
        'routes': [{'to': '172.16.0.0/12', 'via': '10.20.0.254', 'metric': 100}],
        'mtu': 9000,
    }],
}


def test_cloud_init_apply_rerun_change(simulator, service_instance, place, collections_path, tmp_path):
    si = service_instance
    vm = make_vm(si, place, 'bs-ci-basic', power_on=True)
    base = {'name': 'bs-ci-basic', 'provider': 'cloud_init', 'network': CI_NETWORK,
            'cloud_init': {'raw_cloud_config': '#cloud-config\nruncmd: [echo first]\n', 'ssh_authorized_keys': ['ssh-ed25519 AAAAC3Nz ops']}}
    changed = copy.deepcopy(base)
    changed['network']['interfaces'][0]['mtu'] = 1500
    no_userdata = copy.deepcopy(changed)
    del no_userdata['cloud_init']['raw_cloud_config']
    check, apply, rerun = run_steps(simulator, collections_path, tmp_path, [
        ('ci check mode', base, {'check_mode': True, 'diff': True}),
        ('ci apply', base, {'diff': True}),
        ('ci rerun', base),
    ])
    # check mode predicts the change and touches nothing
    assert check.changed and not check.failed and not check.mutating(), check
    assert check.calls['total'] <= CURRENT_BUDGET
    assert check.result['diff']['before']['hash'] is None and check.result['diff']['after']['hash'] == apply.result['bootstrap']['hash']
    assert_applied(apply)
    assert apply.mutating() == {'ReconfigVM_Task': 1}
    bootstrap = apply.result['bootstrap']
    assert bootstrap['provider'] == 'cloud_init' and bootstrap['hash'].startswith('sha256:')
    assert bootstrap['applied']['userdata'] == '********'
    assert bootstrap['applied']['metadata']['local-hostname'] == 'ci01.example.com'
    assert set(bootstrap['updated']['extra_config']) == {
        'guestinfo.metadata', 'guestinfo.metadata.encoding', 'guestinfo.userdata', 'guestinfo.userdata.encoding',
        'guestnet.bootstrap.hash', 'guestnet.bootstrap.provider'}
    mac = vm_macs(si, vm)[0]
    assert bootstrap['applied']['netplan']['ethernets']['eth0']['match'] == {'macaddress': mac}
    assert 'runcmd' not in json.dumps(apply.result)
    assert_current(rerun)
    assert rerun.result['bootstrap']['hash'] == bootstrap['hash']
    # what is on the VM: gzip+base64 guestinfo, the record (not guest-visible), instance-id = the BIOS UUID
    extra = extra_config(si, vm)
    metadata = json.loads(decode(extra['guestinfo.metadata']))
    assert metadata == bootstrap['applied']['metadata']
    assert metadata['instance-id'] == harness.retrieve(si, vm, ['config.uuid'])['config.uuid']
    assert decode(extra['guestinfo.userdata']) == '#cloud-config\nruncmd: [echo first]\n'
    assert extra['guestinfo.metadata.encoding'] == extra['guestinfo.userdata.encoding'] == 'gzip+base64'
    assert extra['guestnet.bootstrap.hash'] == bootstrap['hash'] and extra['guestnet.bootstrap.provider'] == 'cloud_init'

    change, drop, rerun2, force = run_steps(simulator, collections_path, tmp_path, [
        ('ci change mtu', changed, {'diff': True}),
        ('ci drop userdata', no_userdata),
        ('ci rerun 2', no_userdata),
        ('ci force', dict(no_userdata, force=True)),
    ])
    # one field changes: only the metadata (and the record's hash) are rewritten
    assert_applied(change)
    assert change.result['bootstrap']['updated']['extra_config'] == [
        'guestinfo.metadata', 'guestinfo.metadata.encoding', 'guestnet.bootstrap.hash']
    assert change.result['diff']['before']['documents']['netplan']['ethernets']['eth0']['mtu'] == 9000
    assert change.result['diff']['after']['documents']['netplan']['ethernets']['eth0']['mtu'] == 1500
    # removing the user-data clears the stale keys
    assert_applied(drop)
    assert drop.result['bootstrap']['updated']['extra_config'] == ['guestinfo.userdata', 'guestinfo.userdata.encoding', 'guestnet.bootstrap.hash']
    assert_current(rerun2)
    # force rewrites what is current
    assert_applied(force)
    assert force.mutating() == {'ReconfigVM_Task': 1}
    extra = extra_config(si, vm)
    assert not extra.get('guestinfo.userdata') and not extra.get('guestinfo.userdata.encoding')
    assert json.loads(decode(extra['guestinfo.metadata'])) == force.result['bootstrap']['applied']['metadata']
    MEASURED['budgets'] = {'current': CURRENT_BUDGET, 'apply': APPLY_BUDGET}


# -- cloud-init end to end: what cloud-init in the guest derives equals our intended config --------------------------

GUEST_CASES = {
    'static dual stack, routes, MTU': (('VM Network',), {
        'host_name': 'gst01',
        'domain_name': 'example.com',
        'nameservers': ['10.30.0.53', '2001:db8:30::53'],
        'search_domains': ['example.com', 'corp.example.com'],
        'interfaces': [{
            'name': 'eth0',
            'network': 'VM Network',
            'guest_device_name': 'ens192',
            'addresses': ['10.30.0.5/24', '2001:db8:30::5/64'],
            'gateway4': '10.30.0.1',
            'gateway6': '2001:db8:30::1',
            'routes': [{'to': '172.16.0.0/12', 'via': '10.30.0.254', 'metric': 100},
                       {'to': '2001:db8:ffff::/48', 'via': '2001:db8:30::fe'}],
            'mtu': 9000,
        }],
    }),
    'DHCPv4 and static IPv6': (('VM Network',), {
        'host_name': 'gst02',
        'interfaces': [{
            'name': 'eth0',
            'dhcp4': True,
            'addresses': ['2001:db8:31::7/64'],
            'gateway6': '2001:db8:31::1',
            'nameservers': ['2001:db8:31::53'],
        }],
    }),
    'three NICs, per-interface DNS over global DNS': (('VM Network', 'PG-VLAN100', 'PG-VLAN200'), {
        'host_name': 'gst03',
        'domain_name': 'example.org',
        'nameservers': ['10.0.0.53'],
        'search_domains': ['example.org'],
        'interfaces': [
            {'name': 'eth0', 'network': 'VM Network', 'addresses': ['10.40.0.5/24'], 'gateway4': '10.40.0.1'},
            {'name': 'eth1', 'network': 'PG-VLAN100', 'addresses': ['10.41.0.5/24'], 'nameservers': ['10.41.0.53', '10.41.0.54'],
             'search_domains': ['vlan100.example.org'], 'routes': [{'to': '10.141.0.0/16', 'via': '10.41.0.1', 'metric': 50}]},
            {'name': 'eth2', 'network': 'PG-VLAN200', 'dhcp4': True, 'nameservers': ['10.42.0.53'], 'mtu': 1400},
        ],
    }),
}


def comparable(config):
    """Our intended config as the guest can show it: its device names, no port groups, no route metrics
    (cloud-init 22.4 drops route metrics when it parses network-config v2), global DNS only as the interfaces' own."""
    interfaces = []
    for iface in config.get('interfaces', []):
        entry = {'name': iface['guest_device_name'], 'mac_address': iface['mac_address']}
        ip = copy.deepcopy(iface.get('ip') or {})
        if ip.get('routes'):
            ip['routes'] = [{'to': route['to'], 'via': route['via']} for route in ip['routes']]
        if ip:
            entry['ip'] = ip
        if iface.get('dns'):
            entry['dns'] = iface['dns']
        interfaces.append(entry)
    dns = {key: config['dns'][key] for key in ('host_name', 'domain_name') if key in config['dns']}
    return {'dns': dns, 'interfaces': sorted(interfaces, key=lambda item: item['name'])}


def seen_by_guest(view):
    seen = guest.as_intended_config(view)
    seen['interfaces'] = sorted(seen['interfaces'], key=lambda item: item['name'])
    return seen


def test_cloud_init_end_to_end_through_the_guest(simulator, service_instance, place, collections_path, tmp_path):
    si = service_instance
    vms = {}
    steps = []
    for index, (case, (networks, network)) in enumerate(GUEST_CASES.items()):
        name = 'bs-ci-guest-%d' % index
        vms[case] = make_vm(si, place, name, networks=networks, power_on=index % 2 == 0)
        steps.append((case, {'name': name, 'provider': 'cloud_init', 'network': network,
                             'cloud_init': {'cloud_config': {'runcmd': ['touch /run/bootstrapped']}}}))
    seen = {}
    for step in run_steps(simulator, collections_path, tmp_path, steps, label='guest'):
        assert_applied(step)
        config = step.result['bootstrap']['network_config']
        view = guest.boot_cloud_init(si, vms[step.name], simulator=simulator)
        assert not view['unmatched_macs'], view
        seen[step.name] = seen_by_guest(view)
        assert seen[step.name] == comparable(config), step.name
        assert view['instance_id'] == step.result['bootstrap']['applied']['metadata']['instance-id']
        assert view['userdata'] == '#cloud-config\n{\n  "runcmd": [\n    "touch /run/bootstrapped"\n  ]\n}\n'
        # the guest's report reaches vCenter: host name and the first address
        reported = guest.read_guest(si, vms[step.name])
        assert reported['host_name'] == config['dns']['host_name']
        first = config['interfaces'][0]['ip'].get('addresses', [None])[0]
        if first and ':' not in first:
            assert reported['ip_address'] == first.split('/')[0]
    # per-interface DNS replaced the global DNS on eth1 and eth2 only; eth0 got the global DNS
    three = seen['three NICs, per-interface DNS over global DNS']['interfaces']
    assert {iface['name']: iface['dns'] for iface in three} == {
        'eth0': {'nameservers': ['10.0.0.53'], 'search_domains': ['example.org']},
        'eth1': {'nameservers': ['10.41.0.53', '10.41.0.54'], 'search_domains': ['vlan100.example.org']},
        'eth2': {'nameservers': ['10.42.0.53'], 'search_domains': ['example.org']},
    }


# -- LinuxPrep: apply, re-run, power-on customizes, change with power_cycle -----------------------------------------

LP_NETWORK = {
    'host_name': 'lp01',
    'domain_name': 'example.com',
    'nameservers': ['10.50.0.53'],
    'search_domains': ['example.com'],
    'interfaces': [
        {'name': 'eth0', 'network': 'VM Network', 'addresses': ['10.50.0.5/24'], 'gateway4': '10.50.0.1'},
        {'name': 'eth1', 'network': 'PG-VLAN100', 'addresses': ['10.51.0.5/24', '2001:db8:51::5/64']},
    ],
}


def guest_addresses(view):
    return {iface['mac_address']: iface['addresses'] for iface in view['interfaces']}


def test_linux_prep(simulator, service_instance, place, collections_path, tmp_path):
    si = service_instance
    vm = make_vm(si, place, 'bs-lp', networks=('VM Network', 'PG-VLAN100'))
    macs = [mac.lower() for mac in vm_macs(si, vm)]
    base = {'name': 'bs-lp', 'provider': 'linux_prep', 'network': LP_NETWORK, 'linux_prep': {'time_zone': 'Europe/Berlin'}}
    check, apply, rerun = run_steps(simulator, collections_path, tmp_path, [
        ('lp check mode', base, {'check_mode': True, 'diff': True}),
        ('lp apply', base, {'diff': True}),
        ('lp rerun', base),
    ])
    assert check.changed and not check.failed and not check.mutating(), check
    assert_applied(apply)
    assert apply.mutating() == {'CustomizeVM_Task': 1, 'ReconfigVM_Task': 1}
    bootstrap = apply.result['bootstrap']
    spec = bootstrap['applied']['spec']
    assert spec['identity']['hostName']['name'] == 'lp01' and spec['identity']['timeZone'] == 'Europe/Berlin'
    assert [m['macAddress'] for m in spec['nicSettingMap']] == macs
    assert bootstrap['updated']['customization'] is True and bootstrap['updated']['powered_off'] is False
    assert apply.result['diff']['before']['hash'] is None and apply.result['diff']['after']['documents']['spec'] == spec
    assert_current(rerun)
    extra = extra_config(si, vm)
    assert extra['guestnet.bootstrap.provider'] == 'linux_prep' and extra['guestnet.bootstrap.hash'] == bootstrap['hash']
    assert not any(key.startswith('guestinfo.') for key in extra)
    assert harness.retrieve(si, vm, ['config.tools.pendingCustomization']).get('config.tools.pendingCustomization')

    # power-on applies the customization: the host name and every NIC's fixed IPv4 show in the guest info
    harness.wait_task(si, vm.PowerOnVM_Task())
    view = guest.read_guest(si, vm)
    assert view['host_name'] == 'lp01'
    assert guest_addresses(view) == {macs[0]: ['10.50.0.5'], macs[1]: ['10.51.0.5']}

    renamed = copy.deepcopy(base)
    renamed['network']['host_name'] = 'lp01b'
    current_on, refused, cycled, after = run_steps(simulator, collections_path, tmp_path, [
        ('lp rerun powered on', base),
        ('lp change without power_cycle', renamed),
        ('lp change with power_cycle', dict(renamed, power_cycle=True)),
        ('lp rerun after change', dict(renamed, power_cycle=True)),
    ])
    assert_current(current_on)   # current: the powered-on VM is left alone
    assert_refused(refused, 'VM bs-lp is poweredOn', 'power_cycle: true')
    assert_applied(cycled, budget=APPLY_BUDGET + 2)   # + PowerOffVM_Task and its check
    assert cycled.mutating() == {'PowerOffVM_Task': 1, 'CustomizeVM_Task': 1, 'ReconfigVM_Task': 1}
    assert cycled.result['bootstrap']['updated']['powered_off'] is True
    assert cycled.result['bootstrap']['previous'] == {'provider': 'linux_prep', 'hash': apply.result['bootstrap']['hash']}
    assert_current(after)
    assert power_state(si, vm) == 'poweredOff'   # left off for the flow to power on
    harness.wait_task(si, vm.PowerOnVM_Task())
    assert guest.read_guest(si, vm)['host_name'] == 'lp01b'


# -- Sysprep: apply, re-run, change, power-on customizes; secrets stay out of -vvv output ----------------------------

SECRETS = {
    'password': 'Adm1n-S3cret-Pa55',
    'domain_admin_password': 'J0in-D0main-Pa55',
    'raw_sysprep': '<unattend><AdministratorPassword>Raw-Unattend-Pa55</AdministratorPassword></unattend>',
    'raw_cloud_config': '#cloud-config\nruncmd: [echo Raw-User-Data-T0ken]\n',
    'cloud_config': 'Cloud-Config-T0ken-42',
    'vapp_password': 'Vapp-Pr0perty-Pa55',
}


def test_sysprep_and_secrets(simulator, service_instance, place, collections_path, tmp_path):
    si = service_instance
    win = make_vm(si, place, 'bs-sp', template='windows-template', networks=('VM Network', 'PG-VLAN200'))
    raw = make_vm(si, place, 'bs-sp-raw', template='windows-template')
    ci = make_vm(si, place, 'bs-sp-ci', power_on=True)
    macs = [mac.lower() for mac in vm_macs(si, win)]
    network = {
        'host_name': 'win01',
        'domain_name': 'corp.example.com',
        'nameservers': ['10.60.0.53'],
        'interfaces': [
            {'name': 'ethernet0', 'addresses': ['10.60.0.5/24'], 'gateway4': '10.60.0.1', 'nameservers': ['10.60.0.10', '10.60.0.11']},
            {'name': 'ethernet1', 'addresses': ['10.61.0.5/24']},
        ],
    }
    sysprep = {'password': SECRETS['password'], 'org_name': 'Example Corp', 'join_domain': 'corp.example.com',
               'domain_admin': 'svc-join@corp.example.com', 'domain_admin_password': SECRETS['domain_admin_password'],
               'run_once': ['cmd /c echo hello']}
    base = {'name': 'bs-sp', 'provider': 'sysprep', 'network': network, 'sysprep': sysprep}
    changed = copy.deepcopy(base)
    changed['sysprep']['domain_admin_password'] = 'Chang3d-D0main-Pa55'
    steps = run_steps(simulator, collections_path, tmp_path, [
        ('sp check mode', base, {'check_mode': True, 'diff': True}),
        ('sp apply', base, {'diff': True}),
        ('sp rerun', base, {'diff': True}),
        ('sp raw', {'name': 'bs-sp-raw', 'provider': 'sysprep', 'network': {'host_name': 'win02', 'interfaces': [{'name': 'eth0', 'dhcp4': True}]},
                    'sysprep': {'raw_sysprep': SECRETS['raw_sysprep']}}, {'diff': True}),
        ('sp cloud-init raw', {'name': 'bs-sp-ci', 'provider': 'cloud_init', 'cloud_init': {'raw_cloud_config': SECRETS['raw_cloud_config']}},
         {'diff': True}),
        ('sp cloud-init dict', {'name': 'bs-sp-ci', 'provider': 'cloud_init', 'cloud_init': {'cloud_config': {'runcmd': [SECRETS['cloud_config']]}}},
         {'diff': True}),
    ], verbosity=3, label='sysprep')
    check, apply, rerun, raw_step, ci_raw, ci_dict = steps
    output = steps.playbook.stdout + steps.playbook.stderr
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in output   # -vvv shows the module arguments, censored
    for secret in list(SECRETS.values()) + ['Chang3d-D0main-Pa55', 'echo Raw-User-Data', VCENTER_PASSWORD]:
        assert secret not in output, secret
    assert check.changed and not check.mutating(), check
    assert_applied(apply)
    assert apply.mutating() == {'CustomizeVM_Task': 1, 'ReconfigVM_Task': 1}
    spec = apply.result['bootstrap']['applied']['spec']
    assert spec['identity']['guiUnattended']['password']['value'] == '********'
    assert spec['identity']['identification']['domainAdminPassword']['value'] == '********'
    assert spec['identity']['userData']['computerName']['name'] == 'win01'
    assert [m['adapter'].get('dnsServerList') for m in spec['nicSettingMap']] == [['10.60.0.10', '10.60.0.11'], ['10.60.0.53']]
    assert_current(rerun)
    assert_applied(raw_step)
    assert raw_step.result['bootstrap']['applied']['spec']['identity'] == {'_type': 'vim.vm.customization.SysprepText', 'value': '********'}
    assert_applied(ci_raw)
    assert ci_raw.result['bootstrap']['applied']['userdata'] == '********'
    assert_applied(ci_dict)

    # power-on applies the customization: the computer name, every NIC's fixed IP and its DNS servers
    harness.wait_task(si, win.PowerOnVM_Task())
    view = guest.read_guest(si, win)
    assert view['host_name'] == 'win01'
    assert guest_addresses(view) == {macs[0]: ['10.60.0.5'], macs[1]: ['10.61.0.5']}
    assert {i['mac_address']: i['nameservers'] for i in view['interfaces']} == {macs[0]: ['10.60.0.10', '10.60.0.11'], macs[1]: ['10.60.0.53']}
    # a changed secret changes the hash, so the bootstrap is applied again (the password itself stays hidden)
    again = run_steps(simulator, collections_path, tmp_path, [('sp changed secret', dict(changed, power_cycle=True))], verbosity=3)
    assert_applied(again[0], budget=APPLY_BUDGET + 2)
    assert again[0].result['bootstrap']['hash'] != apply.result['bootstrap']['hash']
    assert 'Chang3d-D0main-Pa55' not in again.playbook.stdout + again.playbook.stderr


# -- vApp properties -------------------------------------------------------------------------------------------------

def vapp_values(si, vm):
    config = harness.retrieve(si, vm, ['config.vAppConfig'])['config.vAppConfig']
    return {p.id: p.value for p in config.property}, list(config.ovfEnvironmentTransport or [])


def test_vapp_config(simulator, service_instance, place, collections_path, tmp_path):
    si = service_instance
    vm = make_vm(si, place, 'bs-vapp', template='vapp-template')
    # give two of the template's string properties real OVF types
    props = harness.retrieve(si, vm, ['config.vAppConfig'])['config.vAppConfig'].property
    keys = {p.id: p.key for p in props}
    edits = [vim.vApp.PropertySpec(operation='edit', info=vim.vApp.PropertyInfo(key=keys['password'], type='password')),
             vim.vApp.PropertySpec(operation='edit', info=vim.vApp.PropertyInfo(key=keys['ip0'], type='ip'))]
    harness.wait_task(si, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(vAppConfig=vim.vApp.VmConfigSpec(property=edits))))
    properties = [{'key': 'hostname', 'value': 'app01'}, {'key': 'ip0', 'value': '10.70.0.5'},
                  {'key': 'dns', 'value': '10.70.0.53,10.70.0.54'}, {'key': 'password', 'value': SECRETS['vapp_password']}]
    base = {'name': 'bs-vapp', 'provider': 'vapp_config', 'network': {'host_name': 'app01'}, 'vapp_config': {'properties': properties}}
    changed = copy.deepcopy(base)
    changed['vapp_config']['properties'][1]['value'] = '10.70.0.6'
    unknown = copy.deepcopy(base)
    unknown['vapp_config']['properties'].append({'key': 'ipaddress', 'value': '10.70.0.5'})
    bad_ip = copy.deepcopy(base)
    bad_ip['vapp_config']['properties'][1]['value'] = '10.70.0.300'
    steps = run_steps(simulator, collections_path, tmp_path, [
        ('vapp check mode', base, {'check_mode': True, 'diff': True}),
        ('vapp apply', base, {'diff': True}),
        ('vapp rerun', base),
        ('vapp change ip0', changed, {'diff': True}),
        ('vapp unknown key', unknown),
        ('vapp ill-typed value', bad_ip),
    ], verbosity=3, label='vapp')
    check, apply, rerun, change, unknown_step, bad_ip_step = steps
    assert SECRETS['vapp_password'] not in steps.playbook.stdout + steps.playbook.stderr
    assert check.changed and not check.mutating(), check
    assert_applied(apply)
    assert apply.mutating() == {'ReconfigVM_Task': 1}
    bootstrap = apply.result['bootstrap']
    assert bootstrap['updated']['vapp_properties'] == ['hostname', 'ip0', 'dns', 'password']
    assert bootstrap['applied']['properties'] == [{'key': 'hostname', 'value': 'app01'}, {'key': 'ip0', 'value': '10.70.0.5'},
                                                  {'key': 'dns', 'value': '10.70.0.53,10.70.0.54'}, {'key': 'password', 'value': '********'}]
    assert_current(rerun)
    assert_applied(change)
    assert change.result['bootstrap']['updated']['vapp_properties'] == ['ip0']
    assert change.result['diff']['before']['documents']['properties'][1] == {'key': 'ip0', 'value': '10.70.0.5'}
    assert change.result['diff']['before']['documents']['properties'][3] == {'key': 'password', 'value': '********'}
    assert_refused(unknown_step, "vapp property 'ipaddress' does not exist on the VM", 'dns, gateway, hostname')
    assert_refused(bad_ip_step, "vapp property 'ip0' (type ip)", 'is not an IP address')
    values, transports = vapp_values(si, vm)
    assert values['hostname'] == 'app01' and values['ip0'] == '10.70.0.6' and values['password'] == SECRETS['vapp_password']
    assert transports == ['com.vmware.guestInfo']
    assert extra_config(si, vm)['guestnet.bootstrap.provider'] == 'vapp_config'


# -- bad input: a clear error and nothing changed --------------------------------------------------------------------

def test_bad_input(simulator, service_instance, place, collections_path, tmp_path):
    si = service_instance
    make_vm(si, place, 'bs-bad-1nic')
    make_vm(si, place, 'bs-bad-2nic', networks=('VM Network', 'PG-VLAN100'))
    make_vm(si, place, 'bs-bad-win', template='windows-template')
    one = {'name': 'eth0', 'addresses': ['10.80.0.5/24'], 'gateway4': '10.80.0.1'}
    two = {'name': 'eth1', 'addresses': ['10.81.0.5/24']}
    three = {'name': 'eth2', 'dhcp4': True, 'network': 'PG-VLAN200'}
    steps = run_steps(simulator, collections_path, tmp_path, [
        ('bad routes for linux_prep', {'name': 'bs-bad-1nic', 'provider': 'linux_prep', 'network': {'interfaces': [
            dict(one, routes=[{'to': '10.0.0.0/8', 'via': '10.80.0.254'}])]}}),
        ('bad mtu for sysprep', {'name': 'bs-bad-win', 'provider': 'sysprep', 'network': {'interfaces': [dict(one, mtu=9000)]}}),
        ('bad per-interface search domains for vapp_config', {'name': 'bs-bad-1nic', 'provider': 'vapp_config', 'network': {
            'interfaces': [dict(one, search_domains=['example.com'])]}, 'vapp_config': {'properties': [{'key': 'hostname', 'value': 'x'}]}}),
        ('bad section of another provider', {'name': 'bs-bad-1nic', 'provider': 'cloud_init', 'sysprep': {'password': 'x'}}),
        ('bad windows computer name', {'name': 'bs-bad-win', 'provider': 'sysprep', 'network': {'host_name': 'win-name-too-long-01'}}),
        ('bad missing NICs for cloud-init', {'name': 'bs-bad-1nic', 'provider': 'cloud_init', 'network': {'interfaces': [one, two, three]}}),
        ('bad missing NIC for linux_prep', {'name': 'bs-bad-1nic', 'provider': 'linux_prep', 'network': {'interfaces': [one, two]}}),
        ('bad extra NIC for linux_prep', {'name': 'bs-bad-2nic', 'provider': 'linux_prep', 'network': {'interfaces': [one]}}),
        ('bad unknown MAC', {'name': 'bs-bad-1nic', 'provider': 'cloud_init', 'network': {'interfaces': [dict(one, mac_address='00:50:56:3f:ff:01')]}}),
        ('bad no such VM', {'name': 'bs-no-such-vm', 'provider': 'cloud_init'}),
        ('switch: cloud-init first', {'name': 'bs-bad-1nic', 'provider': 'cloud_init', 'network': {'interfaces': [one]}}),
        ('bad switch without force', {'name': 'bs-bad-1nic', 'provider': 'linux_prep', 'network': {'interfaces': [one]}}),
        ('switch with force', {'name': 'bs-bad-1nic', 'provider': 'linux_prep', 'force': True, 'network': {'interfaces': [one]}}),
        ('bad pending customization', {'name': 'bs-bad-1nic', 'provider': 'linux_prep', 'network': {'host_name': 'other', 'interfaces': [one]}}),
    ], label='bad')
    by_name = {step.name: step for step in steps}
    # the capability table and the options are checked before vCenter is even contacted
    for name, fragments in (
            ('bad routes for linux_prep', ['network.interfaces[0].routes', 'is not supported by linux_prep; supported by: cloud_init']),
            ('bad mtu for sysprep', ['network.interfaces[0].mtu: 9000 is not supported by sysprep; supported by: cloud_init']),
            ('bad per-interface search domains for vapp_config', ["network.interfaces[0].search_domains: ['example.com'] is not supported by "
                                                                  'vapp_config; supported by: cloud_init']),
            ('bad section of another provider', ['sysprep: is given, but provider is cloud_init']),
    ):
        assert_refused(by_name[name], *fragments)
        assert by_name[name].calls['total'] == 0, by_name[name]
    for name, fragments in (
            ('bad windows computer name', ['network.host_name: win-name-too-long-01 is longer than 15 characters']),
            ('bad missing NICs for cloud-init', ['network.interfaces: eth1, eth2 (network PG-VLAN200) have no NIC on VM bs-bad-1nic, which has 1 NIC',
                                                 'guestnet.vsphere.vm_network']),
            ('bad missing NIC for linux_prep', ['network.interfaces: eth1 has no NIC on VM bs-bad-1nic']),
            ('bad extra NIC for linux_prep', ['eth0 covers only 1 of the 2 NICs of VM bs-bad-2nic, and linux_prep sets every NIC',
                                              '(PG-VLAN100) has no interface']),
            ('bad unknown MAC', ['eth0 (MAC 00:50:56:3f:ff:01) has no NIC on VM bs-bad-1nic']),
            ('bad no such VM', ['no VM matches name bs-no-such-vm']),
            ('bad switch without force', ['provider: linux_prep differs from cloud_init', 'needs force: true']),
            ('bad pending customization', ['already has a customization pending']),
    ):
        assert_refused(by_name[name], *fragments)
        assert by_name[name].calls['total'] <= CURRENT_BUDGET, by_name[name]
    assert_applied(by_name['switch: cloud-init first'])
    switched = by_name['switch with force']
    assert_applied(switched)
    # switching away from cloud-init removes its guestinfo keys in the record's reconfiguration
    assert switched.result['bootstrap']['updated']['extra_config'] == [
        'guestinfo.metadata', 'guestinfo.metadata.encoding', 'guestnet.bootstrap.hash', 'guestnet.bootstrap.provider']
    assert not any(value for key, value in extra_config(si, harness.find_vm(si, 'bs-bad-1nic')).items() if key.startswith('guestinfo.'))
