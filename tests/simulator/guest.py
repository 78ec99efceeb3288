# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Guest emulator: plays the guest OS of a simulated VM after power-on, so tests check the guest's view.

cloud-init VMs (boot_cloud_init): read the VM's guestinfo.* extraConfig (one RetrievePropertiesEx), hand it to
cloud-init's own DataSourceVMware through its VMX_GUESTINFO* environment transport (Debian's cloud-init, run with
/usr/bin/python3 in a subprocess), convert the network config it derives with `cloud-init devel net-convert`
(networkd output), parse that, and report host name and first address back to the simulator through the
SET.guest.hostName / SET.guest.ipAddress extraConfig keys (one ReconfigVM_Task), with tools shown as running.
Given the Simulator (harness.py), it also reports every NIC's addresses, DNS and routes (POST /_guest).

GOSC VMs (read_guest): the simulator applies CustomizeVM_Task itself at power-on; this only reads guest.net and
guest.hostName back (one RetrievePropertiesEx) into the same shape.

The returned view is a plain dict:

    {'source': 'cloud-init', 'host_name': 'web01', 'fqdn': 'web01.example.com', 'instance_id': ...,
     'interfaces': [{'name': 'eth0', 'mac_address': '00:50:56:80:00:07', 'addresses': ['10.0.0.10/24'],
                     'dhcp4': False, 'dhcp6': False, 'gateway4': '10.0.0.1', 'gateway6': None,
                     'routes': [{'to': '172.16.0.0/12', 'via': '10.0.0.254'}], 'nameservers': ['10.0.0.53'],
                     'search_domains': ['example.com'], 'mtu': 9000}],
     'reported': {'host_name': 'web01', 'ip_address': '10.0.0.10'}}

as_intended_config(view) maps it onto the shape of the collection's intended config (docs/developing.md).
Known cloud-init 22.4 behaviour: route metrics are dropped when it parses network-config v2.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import find_vm, retrieve, wait_task

CLOUDINIT_PYTHON = os.environ.get('GUESTNET_CLOUDINIT_PYTHON', '/usr/bin/python3')
CLOUDINIT = os.environ.get('GUESTNET_CLOUDINIT', '/usr/bin/cloud-init')

# Runs inside Debian's python3 with cloud-init's own code; prints what the datasource derived as JSON.
DATASOURCE_SCRIPT = r'''
import json, sys
from cloudinit import distros, helpers
from cloudinit.sources import DataSourceVMware as dsv

tmp = sys.argv[1]
paths = helpers.Paths({"cloud_dir": tmp + "/cloud", "run_dir": tmp + "/run", "docs_dir": tmp, "templates_dir": tmp})
distro = distros.fetch("ubuntu")("ubuntu", {}, paths)
ds = dsv.DataSourceVMware({}, distro, paths)
found = ds.get_data()
out = {"found": bool(found), "access_method": ds.data_access_method, "network_config": None}
if found:
    md = ds.metadata or {}
    if "network" in md:
        out["network_config"] = md["network"]["config"]
    name = ds.get_hostname(fqdn=False, metadata_only=True)
    fqdn = ds.get_hostname(fqdn=True, metadata_only=True)
    out["hostname"] = getattr(name, "hostname", name)
    out["fqdn"] = getattr(fqdn, "hostname", fqdn)
    out["instance_id"] = md.get("instance-id")
    out["public_keys"] = ds.get_public_ssh_keys()
    out["metadata"] = {k: v for k, v in md.items() if k != "network"}
    ud = ds.get_userdata_raw()
    out["userdata"] = ud.decode("utf-8", "replace") if isinstance(ud, bytes) else ud
print(json.dumps(out, default=str))
'''


class GuestError(RuntimeError):
    """The emulated guest could not boot."""


# -- vCenter side (pyVmomi) -----------------------------------------------------------------------------------------

def read_guestinfo(si, vm):
    """The VM's guestinfo.* extraConfig and its NICs' MACs (one RetrievePropertiesEx)."""
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    props = retrieve(si, vm, ['name', 'config.extraConfig', 'config.hardware.device'])
    info = {o.key: o.value for o in props.get('config.extraConfig') or [] if o.key.startswith('guestinfo.')}
    macs = [d.macAddress for d in props.get('config.hardware.device') or [] if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    return props.get('name'), info, macs


# -- guest side (cloud-init) ----------------------------------------------------------------------------------------

def guestinfo_environment(guestinfo):
    """guestinfo.KEY extraConfig -> cloud-init's VMX_GUESTINFO_KEY environment (its envvar transport)."""
    env = {'VMX_GUESTINFO': '1'}
    for key, value in guestinfo.items():
        env[('vmx.' + key).upper().replace('.', '_')] = value
    return env


def run_datasource(guestinfo, workdir):
    """Run cloud-init's DataSourceVMware on the given guestinfo; returns what it derived."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('VMX_')}
    env.update(guestinfo_environment(guestinfo))
    env.pop('PYTHONPATH', None)
    proc = subprocess.run([CLOUDINIT_PYTHON, '-c', DATASOURCE_SCRIPT, str(workdir)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise GuestError('cloud-init DataSourceVMware failed:\n%s' % proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def net_convert(network_config, workdir):
    """`cloud-init devel net-convert` to networkd; returns {file name: text} of the .network files."""
    workdir = Path(workdir)
    src = workdir / 'network-config.yaml'
    out = workdir / 'networkd'
    src.write_text(json.dumps(network_config), encoding='utf-8')  # JSON is YAML
    cmd = [CLOUDINIT, 'devel', 'net-convert', '-p', str(src), '-k', 'yaml', '-d', str(out), '-D', 'ubuntu', '-O', 'networkd']
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise GuestError('cloud-init devel net-convert failed:\n%s%s' % (proc.stdout, proc.stderr))
    netdir = out / 'etc' / 'systemd' / 'network'
    return {p.name: p.read_text(encoding='utf-8') for p in sorted(netdir.glob('*.network'))} if netdir.is_dir() else {}


def parse_unit(text):
    """systemd unit text -> [(section, [(key, value), ...]), ...] (sections and keys may repeat)."""
    sections = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(('#', ';')):
            continue
        if line.startswith('[') and line.endswith(']'):
            sections.append((line[1:-1], []))
        elif '=' in line and sections:
            key, value = line.split('=', 1)
            sections[-1][1].append((key.strip(), value.strip()))
    return sections


def _is_default(dest):
    return dest in (None, '', 'default', '0.0.0.0/0', '::/0')


def parse_networkd(files):
    """networkd .network files -> interface dicts (see the module docstring), in file-name order."""
    interfaces = []
    for fname, text in sorted(files.items()):
        iface = {'name': None, 'mac_address': None, 'addresses': [], 'dhcp4': False, 'dhcp6': False, 'gateway4': None,
                 'gateway6': None, 'routes': [], 'nameservers': [], 'search_domains': [], 'mtu': None}
        for section, items in parse_unit(text):
            values = {}
            for key, value in items:
                values.setdefault(key, []).append(value)
            if section == 'Match':
                iface['name'] = (values.get('Name') or [None])[0]
                mac = (values.get('MACAddress') or [None])[0]
                iface['mac_address'] = mac.lower() if mac else None
            elif section == 'Link' and 'MTUBytes' in values:
                iface['mtu'] = int(values['MTUBytes'][0])
            elif section == 'Address':
                iface['addresses'] += values.get('Address', [])
            elif section == 'Network':
                dhcp = (values.get('DHCP') or ['no'])[0]
                iface['dhcp4'] = dhcp in ('yes', 'ipv4', 'true')
                iface['dhcp6'] = dhcp in ('yes', 'ipv6', 'true')
                iface['addresses'] += values.get('Address', [])
                for dns in values.get('DNS', []):
                    iface['nameservers'] += dns.split()
                for domains in values.get('Domains', []):
                    iface['search_domains'] += domains.split()
                for gateway in values.get('Gateway', []):
                    iface['gateway6' if ':' in gateway else 'gateway4'] = gateway
            elif section == 'Route':
                dest = (values.get('Destination') or [None])[0]
                via = (values.get('Gateway') or [None])[0]
                if _is_default(dest) and via:
                    iface['gateway6' if ':' in via else 'gateway4'] = via
                    continue
                route = {'to': dest, 'via': via}
                if 'Metric' in values:
                    route['metric'] = int(values['Metric'][0])
                iface['routes'].append(route)
        if iface['name'] is None:
            iface['name'] = fname.rsplit('.', 1)[0].replace('10-cloud-init-', '')
        interfaces.append(iface)
    return interfaces


def emulate_cloud_init(guestinfo):
    """cloud-init's view of the given guestinfo: datasource output, networkd files and parsed interfaces."""
    workdir = tempfile.mkdtemp(prefix='guestnet-guest-')
    try:
        derived = run_datasource(guestinfo, workdir)
        if not derived.get('found'):
            raise GuestError('cloud-init found no data in guestinfo (keys: %s)' % (', '.join(sorted(guestinfo)) or 'none'))
        files = net_convert(derived['network_config'], workdir) if derived.get('network_config') else {}
        derived['networkd'] = files
        derived['interfaces'] = parse_networkd(files)
        return derived
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def first_address(interfaces):
    """The address a guest reports first: the first static IPv4, else the first IPv6 (bare IP)."""
    addrs = [a.split('/')[0] for i in interfaces for a in i['addresses']]
    v4 = [a for a in addrs if ':' not in a]
    return (v4 or addrs or [None])[0]


def boot_cloud_init(si, vm, report=True, simulator=None, tools_running=True):
    """Play a cloud-init guest booting on `vm` (a vim.VirtualMachine or its name) and return its view.

    report: write SET.guest.hostName / SET.guest.ipAddress (and tools status) back through one ReconfigVM_Task.
    simulator: a harness.Simulator; when given, also report every NIC's addresses, DNS and routes (POST /_guest).
    """
    if isinstance(vm, str):
        vm = find_vm(si, vm)
    name, guestinfo, macs = read_guestinfo(si, vm)
    derived = emulate_cloud_init(guestinfo)
    interfaces = derived['interfaces']
    host_name = derived.get('hostname')
    view = {
        'source': 'cloud-init',
        'vm': name,
        'host_name': host_name,
        'fqdn': derived.get('fqdn'),
        'instance_id': derived.get('instance_id'),
        'public_keys': derived.get('public_keys') or [],
        'userdata': derived.get('userdata'),
        'network_config': derived.get('network_config'),
        'networkd': derived['networkd'],
        'interfaces': interfaces,
        'reported': {},
    }
    unknown = [i['mac_address'] for i in interfaces if i['mac_address'] and i['mac_address'] not in [m.lower() for m in macs]]
    view['unmatched_macs'] = unknown
    ip = first_address(interfaces)
    if report:
        from pyVmomi import vim  # pylint: disable=import-outside-toplevel
        extra = []
        if host_name:
            extra.append(vim.option.OptionValue(key='SET.guest.hostName', value=host_name))
        if ip:
            extra.append(vim.option.OptionValue(key='SET.guest.ipAddress', value=ip))
        if tools_running:
            extra += [vim.option.OptionValue(key='SET.guest.toolsRunningStatus', value='guestToolsRunning'),
                      vim.option.OptionValue(key='SET.guest.toolsStatus', value='toolsOk'),
                      vim.option.OptionValue(key='SET.guest.guestState', value='running')]
        if extra:
            wait_task(si, vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=extra)))
        view['reported'] = {'host_name': host_name, 'ip_address': ip}
    if simulator is not None:
        simulator.set_guest(vm._moId, **guest_report(view, macs))  # pylint: disable=protected-access
    return view


def guest_report(view, macs):
    """The POST /_guest body for a view: addresses per NIC (matched by MAC), DNS and routes."""
    by_mac = {i['mac_address']: i for i in view['interfaces'] if i['mac_address']}
    net, routes, nameservers, search = [], [], [], []
    for index, mac in enumerate(macs):
        iface = by_mac.get(mac.lower())
        if iface is None:
            continue
        dns = {'hostName': view.get('host_name') or '', 'domainName': '', 'nameservers': iface['nameservers'],
               'searchDomains': iface['search_domains']}
        net.append({'macAddress': mac, 'ipAddresses': iface['addresses'], 'dnsConfig': dns})
        for gateway in (iface['gateway4'], iface['gateway6']):
            if gateway:
                routes.append({'to': 'default', 'via': gateway, 'device': str(index)})
        for route in iface['routes']:
            routes.append({'to': route['to'], 'via': route['via'] or '', 'device': str(index)})
        nameservers += [n for n in iface['nameservers'] if n not in nameservers]
        search += [s for s in iface['search_domains'] if s not in search]
    fqdn = view.get('fqdn') or ''
    domain = fqdn.split('.', 1)[1] if '.' in fqdn else ''
    report = {'net': net, 'routes': routes, 'toolsRunning': True,
              'dns': {'hostName': view.get('host_name') or '', 'domainName': domain, 'nameservers': nameservers, 'searchDomains': search}}
    if view.get('host_name'):
        report['hostName'] = view['host_name']
    return report


def read_guest(si, vm):
    """The guest view of a VM as vCenter shows it (GOSC VMs): guest.net and guest.hostName (one RetrievePropertiesEx)."""
    if isinstance(vm, str):
        vm = find_vm(si, vm)
    props = retrieve(si, vm, ['name', 'guest.hostName', 'guest.ipAddress', 'guest.net', 'guest.ipStack', 'guest.toolsRunningStatus'])
    interfaces = []
    for nic in props.get('guest.net') or []:
        addresses = []
        if nic.ipConfig and nic.ipConfig.ipAddress:
            addresses = ['%s/%d' % (a.ipAddress, a.prefixLength) if a.prefixLength else a.ipAddress for a in nic.ipConfig.ipAddress]
        elif nic.ipAddress:
            addresses = list(nic.ipAddress)
        dns = nic.dnsConfig
        interfaces.append({
            'name': None,
            'mac_address': (nic.macAddress or '').lower() or None,
            'network': nic.network,
            'addresses': addresses,
            'nameservers': list(dns.ipAddress) if dns and dns.ipAddress else [],
            'search_domains': list(dns.searchDomain) if dns and dns.searchDomain else [],
            'domain_name': dns.domainName if dns else None,
            'host_name': dns.hostName if dns else None,
        })
    routes = []
    for stack in props.get('guest.ipStack') or []:
        for route in (stack.ipRouteConfig.ipRoute if stack.ipRouteConfig else []):
            routes.append({'to': '%s/%d' % (route.network, route.prefixLength), 'via': route.gateway.ipAddress,
                           'device': route.gateway.device})
    return {
        'source': 'guest.net',
        'vm': props.get('name'),
        'host_name': props.get('guest.hostName'),
        'ip_address': props.get('guest.ipAddress'),
        'tools_running_status': props.get('guest.toolsRunningStatus'),
        'interfaces': interfaces,
        'routes': routes,
    }


def as_intended_config(view):
    """Map a cloud-init view onto the intended-config shape (docs/developing.md); empty keys are left out."""
    interfaces = []
    for iface in view['interfaces']:
        addrs = sorted(iface['addresses'], key=lambda a: ipaddress.ip_interface(a).version)
        ip = {}
        if addrs:
            ip['addresses'] = addrs
        for key in ('gateway4', 'gateway6', 'mtu'):
            if iface.get(key):
                ip[key] = iface[key]
        dhcp = {}
        if iface.get('dhcp4'):
            dhcp['ip4'] = {'enabled': True}
        if iface.get('dhcp6'):
            dhcp['ip6'] = {'enabled': True}
        if dhcp:
            ip['dhcp'] = dhcp
        if iface.get('routes'):
            ip['routes'] = iface['routes']
        entry = {'name': iface['name']}
        if iface.get('mac_address'):
            entry['mac_address'] = iface['mac_address']
        if ip:
            entry['ip'] = ip
        dns = {}
        if iface.get('nameservers'):
            dns['nameservers'] = iface['nameservers']
        if iface.get('search_domains'):
            dns['search_domains'] = iface['search_domains']
        if dns:
            entry['dns'] = dns
        interfaces.append(entry)
    out = {'interfaces': interfaces}
    if view.get('host_name'):
        out['dns'] = {'host_name': view['host_name']}
        fqdn = view.get('fqdn') or ''
        if fqdn.startswith(view['host_name'] + '.'):
            out['dns']['domain_name'] = fqdn[len(view['host_name']) + 1:]
    return out
