# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Content libraries on the simulator, through vCenter's vAPI (/rest) as a client would set them up.

    import content_library as cl
    lib = cl.create_library(sim, 'images')                           # on datastore LocalDS_0
    vmtx = cl.publish_vmtx(sim, lib, 'linux-vmtx', 'linux-template')  # a VM template item from an inventory VM/template
    ovf = cl.publish_ovf(sim, lib, 'linux-ovf', guest_id='ubuntu64Guest', network_name='VM Network', disk_gib=1,
                         vapp_properties=['hostname', {'id': 'user-data', 'label': 'User data'}])
    cl.library_items(sim)                                             # every item: id, name, type, library_id, ...
    vm = cl.deploy_vmtx(sim, vmtx, 'web01', folder='group-v3', resource_pool='resgroup-9')   # the new VM's moid
    vm = cl.deploy_ovf(sim, ovf, 'web02', resource_pool='resgroup-9', network_mappings={'VM Network': 'network-7'})

Datastore, VM, folder and resource pool ids are managed object ids: the helpers that take names look them up with
pyVmomi (harness.retrieve_view), one SOAP session per Simulator (cached). Every vAPI call is counted by the simulator
under /_calls "rest"; reset the counters after setting up.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
from xml.sax.saxutils import escape, quoteattr

import harness

OVF_PROPERTY_PARAMS = 'com.vmware.vcenter.ovf.property_params'


def service_instance(sim):
    """A pyVmomi connection to `sim`, opened once and kept on the Simulator."""
    si = getattr(sim, '_content_library_si', None)
    if si is None:
        si = sim.connect()
        sim._content_library_si = si   # pylint: disable=protected-access
    return si


def moid(sim, kind, name, si=None):
    """The managed object id of the `kind` (a pyVmomi type, e.g. vim.Datastore) called `name`."""
    for obj, props in harness.retrieve_view(si or service_instance(sim), kind, ['name']):
        if props.get('name') == name:
            return obj._moId   # pylint: disable=protected-access
    raise harness.SimulatorError('no %s named %r' % (kind.__name__, name))


def _vim():
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    return vim


# -- libraries ---------------------------------------------------------------------------------------------------------

def create_library(sim, name, datastore='LocalDS_0', si=None, description=''):
    """Create a local content library on `datastore` (name); returns its id."""
    ds = moid(sim, _vim().Datastore, datastore, si)
    spec = {'name': name, 'description': description, 'type': 'LOCAL',
            'storage_backings': [{'type': 'DATASTORE', 'datastore_id': ds}]}
    return sim.rest('POST', '/com/vmware/content/local-library', {'create_spec': spec})


def find_library(sim, name):
    """The id of the library called `name`, or None."""
    ids = sim.rest('POST', '/com/vmware/content/library?~action=find', {'spec': {'name': name}}) or []
    return ids[0] if ids else None


def library(sim, library_id):
    return sim.rest('GET', '/com/vmware/content/library/id:%s' % library_id)


def item(sim, item_id):
    """One item: {'id', 'name', 'type' ('ovf' or 'vm-template'), 'library_id', ...}."""
    return sim.rest('GET', '/com/vmware/content/library/item/id:%s' % item_id)


def find_items(sim, name, library_id=None):
    spec = {'name': name}
    if library_id:
        spec['library_id'] = library_id
    return sim.rest('POST', '/com/vmware/content/library/item?~action=find', {'spec': spec}) or []


def library_items(sim, library_id=None):
    """Every item of one library, or of every library: a list of item dicts."""
    libraries = [library_id] if library_id else (sim.rest('GET', '/com/vmware/content/library') or [])
    out = []
    for lib in libraries:
        for item_id in sim.rest('GET', '/com/vmware/content/library/item?library_id=%s' % lib) or []:
            out.append(item(sim, item_id))
    return sorted(out, key=lambda i: (i.get('library_id', ''), i.get('name', '')))


# -- VM templates ------------------------------------------------------------------------------------------------------

def publish_vmtx(sim, library_id, item_name, source_vm_name, folder=None, resource_pool=None, si=None):
    """Create a VM template item (VMTX) from the inventory VM or template `source_vm_name`; returns the item id.
    The template is placed like its source unless folder / resource_pool (moids) are given."""
    spec = {'name': item_name, 'library': library_id, 'source_vm': moid(sim, _vim().VirtualMachine, source_vm_name, si)}
    placement = {key: value for key, value in (('folder', folder), ('resource_pool', resource_pool)) if value}
    if placement:
        spec['placement'] = placement
    return sim.rest('POST', '/vcenter/vm-template/library-items', {'spec': spec})


def deploy_vmtx(sim, item_id, name, folder, resource_pool=None, host=None, cluster=None, datastore=None,
                powered_on=False, customization=None):
    """Deploy a VM template item (POST /rest/vcenter/vm-template/library-items/{id}?action=deploy); returns the VM's
    moid. customization: the name of a customization specification to apply."""
    placement = {'folder': folder}
    for key, value in (('resource_pool', resource_pool), ('host', host), ('cluster', cluster)):
        if value:
            placement[key] = value
    spec = {'name': name, 'placement': placement, 'powered_on': bool(powered_on)}
    if datastore:
        spec['disk_storage'] = {'datastore': datastore}
    if customization:
        spec['guest_customization'] = {'name': customization}
    return sim.rest('POST', '/vcenter/vm-template/library-items/%s?action=deploy' % item_id, {'spec': spec})


# -- OVF templates -----------------------------------------------------------------------------------------------------

def _property(prop):
    """A vApp property: an id, or a dict with id and optionally type, label, description, value (default),
    userConfigurable (default True)."""
    if isinstance(prop, str):
        prop = {'id': prop}
    prop = dict(prop)
    prop.setdefault('type', 'string')
    prop.setdefault('label', prop['id'])
    prop.setdefault('value', '')
    prop.setdefault('userConfigurable', True)
    return prop


def ovf_descriptor(name, guest_id='ubuntu64Guest', network_name='VM Network', disk_gib=1, vapp_properties=(),
                   cpus=2, memory_mb=2048, disk_file=None, disk_file_size=0):
    """A minimal OVF 1.x descriptor: one virtual system with CPUs, memory, an LSI Logic SCSI controller, one disk of
    disk_gib GiB (file disk_file), one vmxnet3 NIC on the network `network_name`, guest id `guest_id`, and with
    vapp_properties a ProductSection of them (transport com.vmware.guestInfo)."""
    disk_file = disk_file or '%s-disk1.vmdk' % name
    props = [_property(p) for p in vapp_properties]
    transport = ' ovf:transport="com.vmware.guestInfo"' if props else ''
    product = ''
    if props:
        lines = []
        for p in props:
            lines.append('      <Property ovf:key=%s ovf:type=%s ovf:userConfigurable="%s" ovf:value=%s>\n'
                         '        <Label>%s</Label>\n%s      </Property>\n' % (
                             quoteattr(p['id']), quoteattr(p['type']), 'true' if p['userConfigurable'] else 'false',
                             quoteattr(p['value']), escape(p['label']),
                             '        <Description>%s</Description>\n' % escape(p['description']) if p.get('description') else ''))
        product = ('    <ProductSection>\n      <Info>Information about the installed software</Info>\n'
                   '      <Product>%s</Product>\n      <Vendor>guestnet.vsphere tests</Vendor>\n      <Version>1.0</Version>\n'
                   '%s    </ProductSection>\n') % (escape(name), ''.join(lines))
    return '''<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
    xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
    xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:id="file1" ovf:href=%(file)s ovf:size="%(file_size)d"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="%(disk)d" ovf:capacityAllocationUnits="byte * 2^30"
        ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name=%(network)s>
      <Description>The %(network_text)s network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id=%(id)s>
    <Info>A virtual machine</Info>
    <Name>%(name)s</Name>
    <OperatingSystemSection ovf:id="94" vmw:osType=%(guest)s>
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection%(transport)s>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>%(name)s</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>%(cpus)d virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>%(cpus)d</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>%(memory)dMB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>%(memory)d</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>%(network_text)s</rasd:Connection>
        <rasd:Description>VmxNet3 ethernet adapter on &quot;%(network_text)s&quot;</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
%(product)s  </VirtualSystem>
</Envelope>
''' % {'file': quoteattr(disk_file), 'file_size': disk_file_size, 'disk': int(disk_gib), 'network': quoteattr(network_name),
       'network_text': escape(network_name), 'id': quoteattr(name), 'name': escape(name), 'guest': quoteattr(guest_id),
       'transport': transport, 'cpus': cpus, 'memory': memory_mb, 'product': product}


def _disk_stub(name):
    """A small stand-in for the OVF's disk file (the simulator does not read disks; vCenter would want a real VMDK)."""
    return ('# Disk DescriptorFile\n# guestnet.vsphere simulator stand-in for %s\nversion=1\ncreateType="streamOptimized"\n' % name).encode()


def upload_files(sim, item_id, files):
    """Upload {file name: bytes} into an item through an update session (create, add each file as PUSH, PUT it to its
    upload endpoint, complete, delete)."""
    session = sim.rest('POST', '/com/vmware/content/library/item/update-session', {'create_spec': {'library_item_id': item_id}})
    try:
        for name, data in files.items():
            info = sim.rest('POST', '/com/vmware/content/library/item/updatesession/file/id:%s?~action=add' % session,
                            {'file_spec': {'name': name, 'source_type': 'PUSH', 'size': len(data),
                                           'checksum_info': {'algorithm': 'SHA1', 'checksum': hashlib.sha1(data).hexdigest()}}})
            sim.rest_upload(info['upload_endpoint']['uri'], data)
        sim.rest('POST', '/com/vmware/content/library/item/update-session/id:%s?~action=complete' % session)
    except Exception:
        sim.rest('POST', '/com/vmware/content/library/item/update-session/id:%s?~action=fail' % session,
                 {'client_error_message': 'upload failed'})
        raise
    finally:
        sim.rest('DELETE', '/com/vmware/content/library/item/update-session/id:%s' % session)
    return session


def publish_ovf(sim, library_id, item_name, guest_id='ubuntu64Guest', network_name='VM Network', disk_gib=1,
                vapp_properties=(), description=''):
    """Create an OVF item: a generated descriptor (ovf_descriptor) and a stand-in disk file, uploaded through an update
    session; returns the item id."""
    item_id = sim.rest('POST', '/com/vmware/content/library/item',
                       {'create_spec': {'library_id': library_id, 'name': item_name, 'description': description, 'type': 'ovf'}})
    disk_name = '%s-disk1.vmdk' % item_name
    disk = _disk_stub(disk_name)
    descriptor = ovf_descriptor(item_name, guest_id, network_name, disk_gib, vapp_properties, disk_file=disk_name,
                                disk_file_size=len(disk))
    upload_files(sim, item_id, {'%s.ovf' % item_name: descriptor.encode(), disk_name: disk})
    return item_id


def deploy_ovf(sim, item_id, name, resource_pool, folder=None, host=None, datastore=None, network_mappings=None,
               properties=None, raw=False):
    """Deploy an OVF item (POST /rest/com/vmware/vcenter/ovf/library-item/id:{id}?~action=deploy); network_mappings:
    {OVF network name: network moid}; properties: {vApp property id: value}. Returns the VM's moid, or the deploy's
    answer ({'succeeded', 'resource_id', 'error'}) with raw=True."""
    target = {'resource_pool_id': resource_pool}
    if folder:
        target['folder_id'] = folder
    if host:
        target['host_id'] = host
    spec = {'name': name, 'accept_all_EULA': True}
    if datastore:
        spec['default_datastore_id'] = datastore
    if network_mappings:
        spec['network_mappings'] = [{'key': key, 'value': value} for key, value in network_mappings.items()]
    if properties:
        spec['additional_parameters'] = [{'@class': OVF_PROPERTY_PARAMS, 'type': 'PropertyParams',
                                          'properties': [{'id': key, 'value': value} for key, value in properties.items()]}]
    answer = sim.rest('POST', '/com/vmware/vcenter/ovf/library-item/id:%s?~action=deploy' % item_id,
                      {'target': target, 'deployment_spec': spec})
    if raw:
        return answer
    if not answer.get('succeeded'):
        raise harness.SimulatorError('deploying %s failed: %s' % (item_id, answer.get('error')))
    return answer['resource_id']['id']


# -- the demo's library ------------------------------------------------------------------------------------------------

DEMO_VAPP_PROPERTIES = ('hostname', 'instance-id', 'user-data')


def setup_demo_library(sim, name, datastore='LocalDS_0', template='linux-template'):
    """Library `name` with a VM template item 'linux-vmtx' (from `template`) and an OVF item 'linux-ovf' (ubuntu64Guest,
    one vmxnet3 NIC on 'VM Network', a 1 GiB disk, vApp properties DEMO_VAPP_PROPERTIES). Returns
    {'library': id, 'linux-vmtx': id, 'linux-ovf': id}."""
    library_id = create_library(sim, name, datastore)
    vmtx = publish_vmtx(sim, library_id, 'linux-vmtx', template)
    ovf = publish_ovf(sim, library_id, 'linux-ovf', vapp_properties=DEMO_VAPP_PROPERTIES)
    return {'library': library_id, 'linux-vmtx': vmtx, 'linux-ovf': ovf}
