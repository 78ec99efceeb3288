#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: vm_deploy
short_description: Create a VM from a template ("image") with a VM class, or delete it
version_added: 0.1.0
author: guestnet.vsphere contributors (@guestnet)
description:
  - With O(state=present), clones a template (the I(image)) into a new VM, placed by O(datacenter), O(folder),
    O(cluster), O(host), O(resource_pool) and O(datastore), with the CPUs, memory, reservations and limits of a
    VM class (O(vm_class)), a guest OS id and instance and BIOS UUIDs. The new VM is left powered off; power it on
    with M(guestnet.vsphere.vm_power). Its NICs are the template's; M(guestnet.vsphere.vm_network) reconciles them.
  - The image and the class are recorded on the VM, in the clone itself (C(config.extraConfig) keys
    C(guestnet.image), the template's inventory path, and C(guestnet.class), the class as canonical JSON with the
    adapter types M(guestnet.vsphere.vm_network) uses). Both are immutable, as in VMware VM Operator; a later run
    that asks for another image or class fails and says to redeploy, it never changes the VM silently. So are
    O(guest_id), O(instance_uuid) and O(bios_uuid) when given.
  - A VM of that name that this module did not create (it has no C(guestnet.image) record), for example one
    deployed by M(community.vmware.vmware_guest), is refused unless O(adopt=true).
  - Placement applies when the VM is created. The module does not migrate an existing VM; when it sits elsewhere
    than asked (a different cluster, pool or datastore), the run warns.
  - With O(state=absent), powers the VM off (hard) if needed and deletes it from disk. Templates are never deleted.
  - A run costs 7 vCenter calls when it creates a VM (session, one inventory read, the clone and its wait) and 5 when
    there is nothing to do (session, one inventory read, one read of the VM), however large the inventory.
options:
  state:
    description:
      - V(present) creates the VM if it does not exist; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The VM's name. vm_deploy finds the VM by this name, in O(datacenter) and O(folder) when they are given.
    type: str
    required: true
  datacenter:
    description:
      - The datacenter of the VM (and of the template). Defaults to the template's datacenter when the VM is created.
    type: str
  folder:
    description:
      - The VM folder, as a full path (V(/DC0/vm/web)) or relative to the datacenter's VM folder (V(web)).
      - Defaults to the datacenter's VM folder when the VM is created.
    type: str
  image:
    description:
      - The template to clone, by name or inventory path (V(ubuntu-22.04), V(templates/ubuntu-22.04),
        V(/DC0/vm/templates/ubuntu-22.04)). Required to create a VM.
      - For an existing VM it is compared with the recorded image; a different image is an error.
    type: str
    aliases: [template]
  vm_class:
    description:
      - The VM class, hardware and resource policy as VM Operator's C(VirtualMachineClass) has them.
        Fields not given keep the template's values.
      - Recorded on the VM; a later run with another class is an error (redeploy to change it). Not giving it means
        "do not check".
    type: dict
    aliases: [class]
    suboptions:
      cpus:
        description:
          - Number of virtual CPUs.
        type: int
      memory:
        description:
          - Memory, in MiB as an integer, or a string with a unit V(Mi), V(Gi) or V(Ti) (V(512Mi), V(4Gi)).
            A multiple of 4 MiB.
        type: raw
      cpu_reservation:
        description:
          - Guaranteed CPU bandwidth in MHz.
        type: int
      cpu_limit:
        description:
          - CPU bandwidth ceiling in MHz; V(-1) means unlimited.
        type: int
      memory_reservation:
        description:
          - Guaranteed memory in MB.
        type: int
      memory_limit:
        description:
          - Memory ceiling in MB; V(-1) means unlimited.
        type: int
      adapter_types:
        description:
          - NIC types for the VM's first NICs, in order (V(vmxnet3), V(e1000e), V(e1000), V(vmxnet2),
            V(vmxnet), V(pcnet32), V(sriov)). vm_deploy only records them; M(guestnet.vsphere.vm_network)
            uses them for the interfaces that do not name an adapter type.
        type: list
        elements: str
  guest_id:
    description:
      - The guest OS id, for example V(ubuntu64Guest) or V(windows2019srv_64Guest). Defaults to the template's.
    type: str
  instance_uuid:
    description:
      - The vCenter instance UUID of the new VM. Defaults to a random (version 4) UUID chosen by the module.
    type: str
  bios_uuid:
    description:
      - The BIOS UUID (SMBIOS) of the new VM. Defaults to a random (version 4) UUID chosen by the module.
    type: str
  cluster:
    description:
      - The cluster to create the VM in (its root resource pool unless O(resource_pool) is given).
      - One of O(cluster), O(host) or O(resource_pool) is required to create a VM.
    type: str
  host:
    description:
      - The ESXi host to create the VM on (a standalone host, or a host of O(cluster)).
    type: str
    aliases: [esxi_hostname]
  resource_pool:
    description:
      - The resource pool (or vApp) to create the VM in, by name or path (V(prod), V(DC0_C0/Resources/prod)).
        Every cluster's root pool is called V(Resources), so give O(cluster) with it.
    type: str
  datastore:
    description:
      - The datastore for the VM's files and disks. Defaults to the template's. It must be available to the
        cluster or host.
    type: str
  subnets:
    description:
      - Subnets of the ledger (O(ledger)) the VM's interfaces will use. A new VM is placed on a host that reaches a
        port group (primary or additional) of each of them, within O(cluster) or O(resource_pool) when given; a
        given O(host) must reach them all. No such host is an error that names the subnets.
      - Declare subnets with M(guestnet.vsphere.subnet_sync), which also records which hosts reach which port groups.
    type: list
    elements: str
  ledger:
    description:
      - Path of the subnet ledger's SQLite file, for O(subnets), and with O(state=absent) to release the VM's
        addresses (all it holds, by its instance UUID) once it is deleted. Nothing is released when the file does not exist.
      - Defaults to C(guestnet/ledger.sqlite) under E(ANSIBLE_HOME), or C(~/.ansible/guestnet/ledger.sqlite).
    type: path
  adopt:
    description:
      - Take over a VM of this name that vm_deploy did not create (it has no C(guestnet.image) record).
      - With O(state=present), records O(image) (required) and O(vm_class) on it, after checking that its CPUs,
        memory, reservations and limits match the class. With O(state=absent), allows deleting it.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for each vCenter task (clone, power off, delete).
    type: int
    default: 3600
extends_documentation_fragment:
  - guestnet.vsphere.connection
  - guestnet.vsphere.attributes
  - guestnet.vsphere.attributes.actiongroup_vmware
attributes:
  check_mode:
    support: full
    details: Reports the VM that would be created, adopted or deleted; nothing is changed.
  diff_mode:
    support: full
    details: Before and after of C(exists), C(image), C(class) and C(placement).
notes:
  - Requires pyVmomi on the host that runs the module.
seealso:
  - module: guestnet.vsphere.vm_network
  - module: guestnet.vsphere.vm_power
'''

EXAMPLES = r'''
- name: Deploy app01 in DC0_C0 on a host that reaches the app-net subnet's port groups
  guestnet.vsphere.vm_deploy:
    name: app01
    image: linux-template
    cluster: DC0_C0
    subnets: [app-net]
    ledger: /var/lib/guestnet/ledger.sqlite

- name: Deploy web01 from the Ubuntu template with a small class
  guestnet.vsphere.vm_deploy:
    hostname: vcenter.example.com
    username: automation@vsphere.local
    password: "{{ vcenter_password }}"
    name: web01
    image: templates/ubuntu-22.04
    datacenter: DC1
    folder: web
    cluster: Compute01
    datastore: vsanDatastore
    vm_class:
      cpus: 2
      memory: 4Gi
      cpu_reservation: 200
      cpu_limit: 400
      memory_reservation: 1024
      memory_limit: 2048
      adapter_types: [vmxnet3]
    guest_id: ubuntu64Guest
  register: deployed

- name: Show the new VM's identity
  ansible.builtin.debug:
    msg: "{{ deployed.vm.moid }} {{ deployed.vm.instance_uuid }}"

- name: Deploy on a standalone host with known UUIDs (connection from module_defaults)
  guestnet.vsphere.vm_deploy:
    name: db01
    image: /DC1/vm/templates/rhel9
    host: esx07.example.com
    instance_uuid: 5013a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    bios_uuid: 4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    class:
      cpus: 8
      memory: 32Gi

- name: Take over a VM built by community.vmware.vmware_guest
  guestnet.vsphere.vm_deploy:
    name: legacy01
    image: templates/ubuntu-22.04
    vm_class:
      cpus: 2
      memory: 4096
    adopt: true

- name: Delete web01 (powered off first if it runs)
  guestnet.vsphere.vm_deploy:
    name: web01
    datacenter: DC1
    state: absent
'''

RETURN = r'''
released:
  description:
    - With O(state=absent), the ledger records (C(subnet ip)) released for the deleted VM (O(ledger)).
  returned: when a VM was deleted and the ledger exists
  type: list
  elements: str
  sample: [app-net 10.50.0.10]
vm:
  description:
    - The VM. With O(state=absent), the VM that was deleted as it was before; empty when there was none.
    - In check mode, a VM that would be created has no C(moid), and its UUIDs are null unless given.
  returned: always
  type: dict
  contains:
    moid:
      description: The managed object id.
      type: str
      sample: vm-1042
    name:
      description: The VM's name.
      type: str
      sample: web01
    path:
      description: The inventory path.
      type: str
      sample: /DC1/vm/web/web01
    instance_uuid:
      description: The vCenter instance UUID.
      type: str
      sample: 5013a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    bios_uuid:
      description: The BIOS UUID.
      type: str
      sample: 4213a3e2-7c2a-4e4b-9f5e-2d1c0b9a8f71
    power_state:
      description: V(poweredOn), V(poweredOff) or V(suspended). A new VM is V(poweredOff).
      type: str
      sample: poweredOff
    image:
      description: The recorded image (the template's inventory path).
      type: str
      sample: /DC1/vm/templates/ubuntu-22.04
    vm_class:
      description: The recorded class (memory in MiB); empty when none was given at deployment.
      type: dict
      sample: {cpus: 2, memory: 4096, adapter_types: [vmxnet3]}
    adapter_types:
      description: The recorded adapter types of the VM's first NICs (from the class), for vm_network.
      type: list
      elements: str
      sample: [vmxnet3]
'''

import os
import re

from ansible_collections.guestnet.vsphere.plugins.module_utils._deploy import (
    CLASS_KEY,
    IMAGE_KEY,
    adapter_types_of,
    check_immutable,
    class_record,
    close_names,
    config_spec,
    datastore_of,
    hardware_drift,
    new_uuid,
    normalize_uuid,
    parse_class,
    parse_class_record,
    records_spec,
    split_image,
    validate_vm_name,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._ipam import require_ledger
from ansible_collections.guestnet.vsphere.plugins.module_utils._ledger import LedgerError, SqliteLedger, default_ledger_path
from ansible_collections.guestnet.vsphere.plugins.module_utils._model import SpecError
from ansible_collections.guestnet.vsphere.plugins.module_utils._subnet_sync import placement as subnet_placement
from ansible_collections.guestnet.vsphere.plugins.module_utils._module import GuestnetModule
from ansible_collections.guestnet.vsphere.plugins.module_utils._vcenter import (
    VM_LOOKUP_PROPERTIES,
    VCenterError,
    folder_matches,
    option_values,
    select_vm,
)
from ansible_collections.guestnet.vsphere.plugins.module_utils._vmodl import to_vmodl

# One traversal reads everything a deployment is placed by.
INVENTORY_PROPERTIES = {
    'VirtualMachine': list(VM_LOOKUP_PROPERTIES),
    'Datacenter': ['vmFolder'],
    'ComputeResource': ['resourcePool', 'datastore'],  # clusters too (a subtype)
    'HostSystem': [],
    'ResourcePool': ['owner'],  # vApps too
    'Datastore': [],
}
# What is read of an existing VM (one call).
DETAIL_PATHS = [
    'config.extraConfig', 'runtime.powerState', 'runtime.host', 'resourcePool', 'config.files.vmPathName',
    'config.guestId', 'config.hardware.numCPU', 'config.hardware.memoryMB', 'config.cpuAllocation', 'config.memoryAllocation',
]
POOL_KINDS = ('ResourcePool', 'VirtualApp')
GUEST_ID_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_]*Guest(64)?$')  # ubuntu64Guest, windows2019srv_64Guest, otherGuest64


def argument_spec():
    return dict(
        state=dict(type='str', default='present', choices=['present', 'absent']),
        name=dict(type='str', required=True),
        datacenter=dict(type='str'),
        folder=dict(type='str'),
        image=dict(type='str', aliases=['template']),
        vm_class=dict(type='dict', aliases=['class'], options=dict(
            cpus=dict(type='int'),
            memory=dict(type='raw'),
            cpu_reservation=dict(type='int'),
            cpu_limit=dict(type='int'),
            memory_reservation=dict(type='int'),
            memory_limit=dict(type='int'),
            adapter_types=dict(type='list', elements='str'),
        )),
        guest_id=dict(type='str'),
        instance_uuid=dict(type='str'),
        bios_uuid=dict(type='str'),
        cluster=dict(type='str'),
        host=dict(type='str', aliases=['esxi_hostname']),
        resource_pool=dict(type='str'),
        datastore=dict(type='str'),
        subnets=dict(type='list', elements='str'),
        ledger=dict(type='path'),
        adopt=dict(type='bool', default=False),
        timeout=dict(type='int', default=3600),
    )


def _moid(ref):
    return ref._moId if ref is not None else None  # pylint: disable=protected-access


class Deployment:
    """One run of the module: the validated request, then the plan against one inventory snapshot."""

    def __init__(self, module):
        self.module = module
        params = module.params
        self.params = params
        self.name = validate_vm_name(params['name'])
        self.cls = parse_class(params['vm_class']) if params['vm_class'] is not None else None
        self.ids = {
            'instance_uuid': normalize_uuid(params['instance_uuid'], 'instance_uuid') if params['instance_uuid'] else None,
            'bios_uuid': normalize_uuid(params['bios_uuid'], 'bios_uuid') if params['bios_uuid'] else None,
        }
        guest_id = params['guest_id']
        if guest_id is not None and not GUEST_ID_RE.match(guest_id):
            raise SpecError('guest_id', guest_id, 'is not a vSphere guest OS id (like ubuntu64Guest or windows2019srv_64Guest)')
        if params['image'] is not None and not split_image(params['image'])[0]:
            raise SpecError('image', params['image'], 'is not a template name or path')
        if params['timeout'] < 1:
            raise SpecError('timeout', params['timeout'], 'must be at least 1 second')
        self.warnings = []
        self.client = None
        self.inv = None

    # -- inventory look-ups (no calls) ------------------------------------------------------------------------------
    def in_datacenter(self, obj, datacenter):
        return datacenter is None or self.inv.datacenter_of(obj) is datacenter

    def datacenter(self):
        wanted = self.params['datacenter']
        if not wanted:
            return None
        found = [dc for dc in self.inv.of_kind('Datacenter') if dc.name == wanted]
        if not found:
            raise SpecError('datacenter', wanted, 'is not a datacenter (datacenters: %s)'
                            % ', '.join(close_names(wanted, [dc.name for dc in self.inv.of_kind('Datacenter')])))
        if len(found) > 1:
            raise SpecError('datacenter', wanted, 'names %d datacenters: %s' % (len(found), ', '.join(sorted(self.inv.path(dc) for dc in found))))
        return found[0]

    def lookup(self, option, kinds, what, datacenter, scope=None, scope_text=''):
        """The one object of `kinds` the option names (a name or a path), in the datacenter and scope."""
        value = self.params[option]
        name, folder = split_image(value)
        everywhere = [obj for obj in self.inv.of_kind(*kinds) if obj.name == name and self.in_datacenter(obj, datacenter)]
        if folder:
            everywhere = [obj for obj in everywhere if folder_matches(self.inv.path(obj).rsplit('/', 1)[0], folder)]
        found = [obj for obj in everywhere if scope is None or scope(obj)]
        where = ' in datacenter %s' % datacenter.name if datacenter is not None else ''
        if not found:
            if everywhere:
                raise SpecError(option, value, 'is not %s (%s is at %s)' % (scope_text, what, ', '.join(sorted(self.inv.path(obj) for obj in everywhere))))
            names = [obj.name for obj in self.inv.of_kind(*kinds) if self.in_datacenter(obj, datacenter) and (scope is None or scope(obj))]
            hint = 'close names: ' + ', '.join(close_names(name, names)) if names else 'there is none'
            raise SpecError(option, value, 'is not a %s%s%s (%s)' % (what, where, ' ' + scope_text if scope_text else '', hint))
        if len(found) > 1:
            raise SpecError(option, value, 'names %d %ss: %s; give a path or narrow it with datacenter/cluster'
                            % (len(found), what, ', '.join(sorted(self.inv.path(obj) for obj in found))))
        return found[0]

    def find_vm(self, datacenter):
        selector = {'name': self.name, 'datacenter': datacenter.name if datacenter is not None else None, 'folder': self.params['folder']}
        vm = select_vm(self.inv, selector)
        if vm is None:
            template = select_vm(self.inv, selector, templates=True)
            if template is not None:
                raise SpecError('name', self.name, 'is a template (%s): vm_deploy creates and deletes VMs, never templates' % self.inv.path(template))
        return vm

    def image(self, datacenter):
        image = self.params['image']
        name, folder = split_image(image)
        vms = [vm for vm in self.inv.of_kind('VirtualMachine') if vm.name == name and self.in_datacenter(vm, datacenter)]
        if folder:
            vms = [vm for vm in vms if folder_matches(self.inv.path(vm).rsplit('/', 1)[0], folder)]
        templates = [vm for vm in vms if vm.get('config.template')]
        if len(templates) == 1:
            return templates[0]
        if templates:
            raise SpecError('image', image, 'names %d templates: %s; give its path or the datacenter'
                            % (len(templates), ', '.join(sorted(self.inv.path(vm) for vm in templates))))
        if vms:
            raise SpecError('image', image, 'is a VM, not a template (%s); convert it to a template or name a template'
                            % ', '.join(sorted(self.inv.path(vm) for vm in vms)))
        names = [vm.name for vm in self.inv.of_kind('VirtualMachine') if vm.get('config.template') and self.in_datacenter(vm, datacenter)]
        where = ' in datacenter %s' % datacenter.name if datacenter is not None else ''
        raise SpecError('image', image, 'is not a template%s (%s)' % (where, 'close names: ' + ', '.join(close_names(name, names)) if names
                                                                      else 'there are no templates'))

    def folder(self, datacenter):
        root = self.inv.by_moid.get(_moid(datacenter.get('vmFolder')))
        if root is None:
            raise VCenterError('cannot read the VM folder of datacenter %s' % datacenter.name)
        wanted = self.params['folder']
        if not wanted:
            return root
        root_path = self.inv.path(root)
        folders = [f for f in self.inv.of_kind('Folder') if self.inv.path(f) == root_path or self.inv.path(f).startswith(root_path + '/')]
        found = [f for f in folders if folder_matches(self.inv.path(f), wanted)]
        exact = [f for f in found if self.inv.path(f).strip('/') in (wanted.strip('/'), '%s/vm/%s' % (datacenter.name, wanted.strip('/')))]
        if len(exact) == 1:
            return exact[0]
        if len(found) == 1:
            return found[0]
        if found:
            raise SpecError('folder', wanted, 'names %d folders: %s; give the full path' % (len(found), ', '.join(sorted(self.inv.path(f) for f in found))))
        relative = [self.inv.path(f)[len(root_path) + 1:] for f in folders if f is not root]
        raise SpecError('folder', wanted, 'is not a VM folder in datacenter %s (%s)'
                        % (datacenter.name, 'close names: ' + ', '.join(close_names(wanted.strip('/'), relative)) if relative else 'it has no folders'))

    def compute_of(self, obj):
        """The compute resource (cluster or standalone host) of a host or a resource pool."""
        if obj is None:
            return None
        if obj.kind == 'HostSystem':
            return self.inv.parent(obj)
        return self.inv.by_moid.get(_moid(obj.get('owner')))

    def placement(self, datacenter, required):
        """(cluster, host, pool, datastore) objects the options name; the pool is None only when not required."""
        params = self.params
        cluster = host = pool = datastore = None
        if params['cluster']:
            cluster = self.lookup('cluster', ('ClusterComputeResource',), 'cluster', datacenter)
        if params['host']:
            host = self.lookup('host', ('HostSystem',), 'host', datacenter,
                               scope=(lambda obj: self.inv.parent(obj) is cluster) if cluster else None,
                               scope_text='in cluster %s' % cluster.name if cluster else '')
        compute = cluster or self.compute_of(host)
        if params['resource_pool']:
            pool = self.lookup('resource_pool', POOL_KINDS, 'resource pool', datacenter,
                               scope=(lambda obj: self.compute_of(obj) is compute) if compute else None,
                               scope_text='in %s %s' % ('cluster' if cluster else 'host', compute.name) if compute else '')
            compute = compute or self.compute_of(pool)
        elif compute is not None:
            pool = self.inv.by_moid.get(_moid(compute.get('resourcePool')))
        if pool is None and required:
            raise ValueError('cluster, host or resource_pool is needed to create VM %s' % self.name)
        if params['datastore']:
            available = {_moid(ref) for ref in (compute.get('datastore') if compute is not None else None) or []}
            datastore = self.lookup('datastore', ('Datastore',), 'datastore', datacenter,
                                    scope=(lambda obj: obj.moid in available) if compute is not None else None,
                                    scope_text='available to %s' % compute.name if compute is not None else '')
        return cluster, host, pool, datastore

    def subnet_host(self, datacenter, compute, host):
        """The host (the given one, or the first by name in compute) that reaches a port group of every wanted subnet."""
        wanted = list(dict.fromkeys(self.params['subnets']))
        path = self.params['ledger'] or default_ledger_path()
        require_ledger(path, wanted)
        with SqliteLedger(path) as ledger:
            declared = ledger.list_subnets()
        hosts = [{'name': obj.name, 'moid': obj.moid, 'portgroups': [_moid(ref) for ref in obj.get('network') or []]}
                 for obj in self.inv.of_kind('HostSystem')
                 if (datacenter is None or self.inv.datacenter_of(obj) is datacenter) and (compute is None or self.inv.parent(obj) is compute)
                 and (host is None or obj is host)]
        try:
            fits = subnet_placement({'hosts': hosts}, declared, wanted)
        except LedgerError as error:
            raise SpecError('subnets', wanted, str(error)) from None
        if not fits:
            if host is not None:
                who = 'host %s does not reach' % host.name
            else:
                who = 'no host%s reaches' % (' of %s' % compute.name if compute is not None else '')
            raise SpecError('subnets', wanted, '%s a port group of each of them (%d host(s) considered); declare an '
                                               'additional port group on the subnet, or choose another cluster' % (who, len(hosts)))
        return self.inv.by_moid[fits[0]['moid']]

    def placement_view(self, datacenter, folder, pool, host, datastore_name):
        compute = self.compute_of(pool)
        return {
            'datacenter': datacenter.name if datacenter is not None else None,
            'folder': self.inv.path(folder) if folder is not None else None,
            'cluster': compute.name if compute is not None and compute.kind == 'ClusterComputeResource' else None,
            'host': host.name if host is not None else None,
            'resource_pool': self.inv.path(pool) if pool is not None else None,
            'datastore': datastore_name,
        }

    # -- the run ----------------------------------------------------------------------------------------------------
    def run(self):
        with self.module.session() as client:
            self.client = client
            paths = dict(INVENTORY_PROPERTIES, HostSystem=['network']) if self.params['subnets'] else INVENTORY_PROPERTIES
            self.inv = client.inventory(paths)
            datacenter = self.datacenter()
            vm = self.find_vm(datacenter)
            if self.params['state'] == 'absent':
                result = self.absent(vm)
            elif vm is None:
                result = self.create(datacenter)
            else:
                result = self.existing(vm, datacenter)
        if self.warnings:
            result['warnings'] = self.warnings
        return result

    def result(self, changed, vm, before, after):
        result = {'changed': changed, 'vm': vm}
        if self.module.diff_mode:
            result['diff'] = {'before': before, 'after': after}
        return result

    def create(self, datacenter):
        if not self.params['image']:
            raise ValueError('image is needed to create VM %s (no VM of that name exists%s)'
                             % (self.name, ' in folder %s' % self.params['folder'] if self.params['folder'] else ''))
        template = self.image(datacenter)
        datacenter = datacenter or self.inv.datacenter_of(template)
        folder = self.folder(datacenter)
        cluster, host, pool, datastore = self.placement(datacenter, required=not self.params['subnets'])
        if self.params['subnets']:
            host = self.subnet_host(datacenter, cluster or self.compute_of(host) or self.compute_of(pool), host)
            if pool is None:
                pool = self.inv.by_moid.get(_moid(self.compute_of(host).get('resourcePool')))
        cls = self.cls if self.cls is not None else {}
        for field, path in (('instance_uuid', 'config.instanceUuid'), ('bios_uuid', 'config.uuid')):
            wanted = self.ids[field]
            taken = [vm for vm in self.inv.of_kind('VirtualMachine') if wanted and (vm.get(path) or '').lower() == wanted]
            if taken:
                raise SpecError(field, wanted, 'is already used by %s' % ', '.join(sorted(self.inv.path(vm) for vm in taken)))
        image_record = self.inv.path(template)
        path = '%s/%s' % (self.inv.path(folder), self.name)
        before = {'exists': False}
        after = {'exists': True, 'image': image_record, 'class': cls,
                 'placement': self.placement_view(datacenter, folder, pool, host, datastore.name if datastore is not None else None)}
        vm = {'moid': None, 'name': self.name, 'path': path, 'power_state': 'poweredOff', 'image': image_record, 'vm_class': cls,
              'adapter_types': list(cls.get('adapter_types') or [])}
        if self.module.check_mode:
            vm.update(self.ids)
            return self.result(True, vm, before, after)
        ids = {field: value or new_uuid() for field, value in self.ids.items()}
        config = config_spec(cls, image_record, guest_id=self.params['guest_id'], bios_uuid=ids['bios_uuid'], instance_uuid=ids['instance_uuid'])
        spec = to_vmodl({'_type': 'vim.vm.CloneSpec', 'powerOn': False, 'template': False,
                         'location': {'_type': 'vim.vm.RelocateSpec'}, 'config': config})
        spec.location.pool = pool.ref
        if host is not None:
            spec.location.host = host.ref
        if datastore is not None:
            spec.location.datastore = datastore.ref
        ref = self.client.run_task('cloning template %s to VM %s' % (image_record, path), template.ref.CloneVM_Task,
                                   folder=folder.ref, name=self.name, spec=spec, timeout=self.params['timeout'])
        vm.update(ids, moid=_moid(ref))
        return self.result(True, vm, before, after)

    def details(self, vm):
        obj = self.client.read([vm.ref], DETAIL_PATHS)[0]
        records = option_values(obj.get('config.extraConfig'))
        observed = {
            'cpus': obj.get('config.hardware.numCPU'),
            'memory': obj.get('config.hardware.memoryMB'),
            'cpu_reservation': getattr(obj.get('config.cpuAllocation'), 'reservation', None),
            'cpu_limit': getattr(obj.get('config.cpuAllocation'), 'limit', None),
            'memory_reservation': getattr(obj.get('config.memoryAllocation'), 'reservation', None),
            'memory_limit': getattr(obj.get('config.memoryAllocation'), 'limit', None),
        }
        return obj, records, observed

    def vm_view(self, vm, obj, records):
        recorded = parse_class_record(records.get(CLASS_KEY)) if IMAGE_KEY in records else {}
        return {
            'moid': vm.moid, 'name': vm.name, 'path': self.inv.path(vm),
            'instance_uuid': vm.get('config.instanceUuid'), 'bios_uuid': vm.get('config.uuid'),
            'power_state': str(obj.get('runtime.powerState') or '') or None,
            'image': records.get(IMAGE_KEY), 'vm_class': recorded,
            'adapter_types': list(adapter_types_of(records.get(CLASS_KEY))) if IMAGE_KEY in records else [],
        }

    def state_view(self, vm, obj, records):
        pool = self.inv.by_moid.get(_moid(obj.get('resourcePool')))
        host = self.inv.by_moid.get(_moid(obj.get('runtime.host')))
        view = {'exists': True, 'image': records.get(IMAGE_KEY),
                'class': parse_class_record(records.get(CLASS_KEY)) if IMAGE_KEY in records else None,
                'placement': self.placement_view(self.inv.datacenter_of(vm), self.inv.parent(vm), pool, host,
                                                 datastore_of(obj.get('config.files.vmPathName')))}
        return view

    def foreign(self, vm, action):
        return ('VM %s exists but was not deployed by guestnet.vsphere.vm_deploy (it has no %s record); %s'
                % (self.inv.path(vm), IMAGE_KEY, action))

    def existing(self, vm, datacenter):
        obj, records, observed = self.details(vm)
        path = self.inv.path(vm)
        identity = {'instance_uuid': (self.ids['instance_uuid'], vm.get('config.instanceUuid')),
                    'bios_uuid': (self.ids['bios_uuid'], vm.get('config.uuid')),
                    'guest_id': (self.params['guest_id'], obj.get('config.guestId'))}
        self.warn_placement(vm, obj, datacenter)
        if IMAGE_KEY not in records:
            return self.adopt(vm, obj, records, observed, identity)
        check_immutable(records, path, image=self.params['image'], cls=self.cls, identity=identity)
        drift = hardware_drift(parse_class_record(records.get(CLASS_KEY)), observed)
        if drift:
            self.warnings.append('VM %s was reconfigured since it was deployed; its hardware differs from its class (%s)' % (path, '; '.join(drift)))
        state = self.state_view(vm, obj, records)
        return self.result(False, self.vm_view(vm, obj, records), state, state)

    def adopt(self, vm, obj, records, observed, identity):
        if not self.params['adopt']:
            raise VCenterError(self.foreign(vm, 'rename or delete it, or set adopt: true to record image and class on it'))
        if not self.params['image']:
            raise ValueError('image is needed to adopt VM %s: the image it was deployed from is recorded on it' % self.inv.path(vm))
        template = self.image(self.inv.datacenter_of(vm))
        cls = self.cls if self.cls is not None else {}
        drift = hardware_drift(cls, observed)
        if drift:
            raise SpecError('vm_class', class_record(cls), 'does not describe VM %s, so it cannot be adopted with it (%s)'
                            % (self.inv.path(vm), '; '.join(drift)))
        check_immutable({IMAGE_KEY: self.inv.path(template), CLASS_KEY: class_record(cls)}, self.inv.path(vm), identity=identity)
        new_records = dict(records, **{IMAGE_KEY: self.inv.path(template), CLASS_KEY: class_record(cls)})
        before = self.state_view(vm, obj, records)
        after = self.state_view(vm, obj, new_records)
        if not self.module.check_mode:
            self.client.run_task('recording image and class on VM %s' % self.inv.path(vm), vm.ref.ReconfigVM_Task,
                                 spec=to_vmodl(records_spec(cls, self.inv.path(template))), timeout=self.params['timeout'])
        return self.result(True, self.vm_view(vm, obj, new_records), before, after)

    def warn_placement(self, vm, obj, datacenter):
        """Placement applies at creation: warn where an existing VM is not where the options say (it is not moved).

        The host is not compared: DRS moves VMs between a cluster's hosts.
        """
        params = self.params
        cluster, dummy, pool, datastore = self.placement(datacenter or self.inv.datacenter_of(vm), required=False)
        have = self.state_view(vm, obj, {})['placement']
        wanted = []
        if params['cluster']:
            wanted.append(('cluster', cluster.name))
        if params['resource_pool']:
            wanted.append(('resource_pool', self.inv.path(pool)))
        if params['datastore']:
            wanted.append(('datastore', datastore.name))
        for key, value in wanted:
            if have[key] != value:
                self.warnings.append('VM %s is in %s %s, not %s: vm_deploy places a VM when it creates it and does not migrate it'
                                     % (self.inv.path(vm), key.replace('_', ' '), have[key] or 'none', value))

    def absent(self, vm):
        if vm is None:
            return self.result(False, {}, {'exists': False}, {'exists': False})
        obj, records, dummy = self.details(vm)
        path = self.inv.path(vm)
        if IMAGE_KEY not in records and not self.params['adopt']:
            raise VCenterError(self.foreign(vm, 'set adopt: true to delete it anyway'))
        view = self.vm_view(vm, obj, records)
        before = self.state_view(vm, obj, records)
        if not self.module.check_mode:
            if obj.get('runtime.powerState') == 'poweredOn':
                self.client.run_task('powering off VM %s' % path, vm.ref.PowerOffVM_Task, timeout=self.params['timeout'])
            self.client.run_task('deleting VM %s' % path, vm.ref.Destroy_Task, timeout=self.params['timeout'])
        result = self.result(True, view, before, {'exists': False})
        ledger_path = self.params['ledger'] or default_ledger_path()
        if vm.get('config.instanceUuid') and os.path.exists(ledger_path):
            with SqliteLedger(ledger_path) as ledger:
                released = ledger.release_owner(vm.get('config.instanceUuid'), dry_run=self.module.check_mode)
            result['released'] = sorted({'%s %s' % (item.subnet, item.ip) for item in released})
        return result


def main():
    module = GuestnetModule(argument_spec(), supports_check_mode=True)
    module.run(lambda mod: Deployment(mod).run())


if __name__ == '__main__':
    main()
