// Copyright (c) 2026, guestnet.vsphere contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

package main

// Where govmomi 0.24's simulator ignores parts of CloneVM_Task and ReconfigVM_Task that vCenter honours, the front
// completes them after the simulator's (synchronous) task succeeded, before the client sees the response:
//   - CloneVM_Task: the clone inherits the source's vApp config and extraConfig; spec.config.vAppConfig is applied;
//     spec.customization is applied as CustomizeVM_Task on the clone (pending until power-on, as on vCenter);
//     spec.powerOn powers the clone on; the rest of spec.config (CPUs, memory, allocations, guest id, BIOS UUID) is
//     applied as a reconfigure, and the clone goes to spec.location.host (or a host of the target pool's compute
//     resource; the simulator leaves it on the source's host). A failure there fails the clone task.
//   - ReconfigVM_Task: spec.vAppConfig / spec.vAppConfigRemoved are applied to config.vAppConfig; guest.net follows
//     the NICs (entries of removed NICs go, edited NICs show their new network).
// These follow-up calls run in process: they are not counted as SOAP calls. A clone the vAPI handler makes (a content
// library VM template, its deploy) comes through here too, on internalSDKPath (contentlib.go).

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// recorder buffers a response so the front can finish the simulator's work before the client sees it.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, code: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func (r *recorder) flush(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}

var taskRef = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

// succeededTask returns the task in a *_Task response if it ended in success.
func (r *recorder) succeededTask() *simulator.Task {
	m := taskRef.FindSubmatch(r.body.Bytes())
	if m == nil {
		return nil
	}
	t, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: string(m[1])}).(*simulator.Task)
	if !ok {
		return nil
	}
	ok = false
	simulator.Map.WithLock(t, func() { ok = t.Info.State == types.TaskInfoStateSuccess })
	if !ok {
		return nil
	}
	return t
}

func typeFunc(name string) (reflect.Type, bool) {
	t, ok := types.TypeFunc()(name)
	if !ok {
		if parts := strings.SplitN(name, ":", 2); len(parts) == 2 {
			t, ok = types.TypeFunc()(parts[1])
		}
	}
	return t, ok
}

func decodeRequest(body []byte) interface{} {
	m, err := simulator.UnmarshalBody(typeFunc, body)
	if err != nil {
		return nil
	}
	return m.Body
}

func failTask(t *simulator.Task, err error) {
	var fault types.BaseMethodFault = &types.SystemError{Reason: err.Error()}
	if te, ok := err.(task.Error); ok && te.Fault() != nil {
		fault = te.Fault()
	}
	simulator.Map.Update(t, []types.PropertyChange{
		{Name: "info.state", Val: types.TaskInfoStateError},
		{Name: "info.result", Val: nil},
		{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: err.Error()}},
	})
}

// cloneVM hands the simulator's CloneVM_Task deep copies of the source's devices, each NIC with a new MAC
// (unless its address type is manual), restores the source's devices afterwards, and completes the clone.
func (f *front) cloneVM(w http.ResponseWriter, r *http.Request, this types.ManagedObjectReference, body []byte) {
	vm, ok := simulator.Map.Get(this).(*simulator.VirtualMachine)
	req, _ := decodeRequest(body).(*types.CloneVM_Task)
	if !ok || req == nil {
		f.forward(w, r, "CloneVM_Task")
		return
	}
	f.cloneMu.Lock()
	var orig []types.BaseVirtualDevice
	simulator.Map.WithLock(vm, func() {
		if vm.Config == nil {
			return
		}
		orig = vm.Config.Hardware.Device
		copies := make([]types.BaseVirtualDevice, len(orig))
		for i, d := range orig {
			copies[i] = deepCopy(reflect.ValueOf(d)).Interface().(types.BaseVirtualDevice)
			if nic, isNIC := copies[i].(types.BaseVirtualEthernetCard); isNIC {
				card := nic.GetVirtualEthernetCard()
				if card.AddressType != string(types.VirtualEthernetCardMacTypeManual) {
					card.MacAddress = nextMAC()
					card.AddressType = string(types.VirtualEthernetCardMacTypeAssigned)
				}
			}
		}
		vm.Config.Hardware.Device = copies
	})
	rec := newRecorder()
	f.forward(rec, r, "CloneVM_Task")
	simulator.Map.WithLock(vm, func() {
		if orig != nil {
			vm.Config.Hardware.Device = orig
		}
	})
	f.cloneMu.Unlock()
	if t := rec.succeededTask(); t != nil {
		if ref, isRef := t.Info.Result.(types.ManagedObjectReference); isRef {
			if err := f.completeClone(vm, ref, &req.Spec); err != nil {
				failTask(t, err)
			}
		}
	}
	rec.flush(w)
}

func (f *front) completeClone(src *simulator.VirtualMachine, ref types.ManagedObjectReference, spec *types.VirtualMachineCloneSpec) error {
	clone, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return nil
	}
	var vapp types.BaseVmConfigInfo
	var extra []types.BaseOptionValue
	simulator.Map.WithLock(src, func() {
		if src.Config.VAppConfig != nil {
			vapp = deepCopy(reflect.ValueOf(src.Config.VAppConfig)).Interface().(types.BaseVmConfigInfo)
		}
		extra = append(extra, src.Config.ExtraConfig...)
	})
	simulator.Map.WithLock(clone, func() {
		have := map[string]bool{}
		for _, o := range clone.Config.ExtraConfig {
			have[o.GetOptionValue().Key] = true
		}
		for _, o := range extra {
			if !have[o.GetOptionValue().Key] {
				clone.Config.ExtraConfig = append(clone.Config.ExtraConfig, o)
			}
		}
		if vapp != nil {
			clone.Config.VAppConfig = vapp
		}
		if spec.Config != nil {
			applyVApp(clone, spec.Config)
			if len(spec.Config.DeviceChange) > 0 {
				uniqueMACs(clone)
				syncGuestNet(clone) // the clone's NIC changes leave guest.net entries of removed NICs behind, as ReconfigVM_Task does
			}
		}
	})
	ctx := context.Background()
	obj := object.NewVirtualMachine(f.client, ref)
	if spec.Config != nil {
		if rest, ok := cloneConfigRest(spec.Config); ok {
			t, err := obj.Reconfigure(ctx, rest)
			if err == nil {
				err = t.Wait(ctx)
			}
			if err != nil {
				return err
			}
		}
	}
	placeClone(clone, spec.Location)
	if spec.Customization != nil {
		t, err := obj.Customize(ctx, *spec.Customization)
		if err == nil {
			err = t.Wait(ctx)
		}
		if err != nil {
			return err
		}
	}
	if spec.PowerOn { // with the customization events if spec.customization was given (customization.go)
		if err := f.powerOn(ctx, ref); err != nil {
			return err
		}
	}
	return nil
}

// cloneConfigRest is what the simulator's clone drops of spec.config (it keeps only extraConfig, instanceUuid and the
// device changes, and takes CPUs, memory and guest id from the source): CPUs, memory, allocations, guest id, BIOS
// UUID and the other settings, to apply as a reconfigure of the clone. ok is false when nothing is left.
func cloneConfigRest(config *types.VirtualMachineConfigSpec) (types.VirtualMachineConfigSpec, bool) {
	rest := *config
	rest.ExtraConfig = nil
	rest.InstanceUuid = ""
	rest.DeviceChange = nil
	rest.VAppConfig = nil
	rest.VAppConfigRemoved = nil
	rest.Name = ""
	rest.Files = nil
	return rest, !reflect.DeepEqual(rest, types.VirtualMachineConfigSpec{})
}

// placeClone puts the clone on spec.location.host; without one, when the simulator left it on the source's host
// outside the target pool's compute resource, on that compute resource's first host (as DRS would pick one).
func placeClone(clone *simulator.VirtualMachine, location types.VirtualMachineRelocateSpec) {
	var current types.ManagedObjectReference
	simulator.Map.WithLock(clone, func() {
		if clone.Runtime.Host != nil {
			current = *clone.Runtime.Host
		}
	})
	want := location.Host
	if want == nil && location.Pool != nil {
		if pool, ok := simulator.Map.Get(*location.Pool).(*simulator.ResourcePool); ok {
			var hosts []types.ManagedObjectReference
			switch owner := simulator.Map.Get(pool.Owner).(type) {
			case *simulator.ClusterComputeResource:
				hosts = owner.Host
			case *mo.ComputeResource:
				hosts = owner.Host
			}
			inside := false
			for _, h := range hosts {
				inside = inside || h == current
			}
			if !inside && len(hosts) > 0 {
				want = &hosts[0]
			}
		}
	}
	if want == nil || *want == current {
		return
	}
	if old, ok := simulator.Map.Get(current).(*simulator.HostSystem); ok {
		simulator.Map.RemoveReference(old, &old.Vm, clone.Self)
	}
	if host, ok := simulator.Map.Get(*want).(*simulator.HostSystem); ok {
		simulator.Map.AppendReference(host, &host.Vm, clone.Self)
	}
	ref := *want
	simulator.Map.Update(clone, []types.PropertyChange{{Name: "runtime.host", Val: &ref}, {Name: "summary.runtime.host", Val: &ref}})
}

// reconfigVM applies spec.vAppConfig, which the simulator ignores, and brings guest.net in line with the NICs
// (the simulator keeps entries of removed NICs and the old network of edited ones) once the reconfigure succeeded.
func (f *front) reconfigVM(w http.ResponseWriter, r *http.Request, this types.ManagedObjectReference, body []byte) {
	vm, ok := simulator.Map.Get(this).(*simulator.VirtualMachine)
	req, _ := decodeRequest(body).(*types.ReconfigVM_Task)
	if !ok || req == nil {
		f.forward(w, r, "ReconfigVM_Task")
		return
	}
	rec := newRecorder()
	f.forward(rec, r, "ReconfigVM_Task")
	if rec.succeededTask() != nil {
		simulator.Map.WithLock(vm, func() {
			applyVApp(vm, &req.Spec)
			if len(req.Spec.DeviceChange) > 0 {
				uniqueMACs(vm)
				syncGuestNet(vm)
			}
		})
	}
	rec.flush(w)
}

// uniqueMACs gives NICs the simulator added a vCenter-style MAC unique in this process (lock held): the simulator derives
// them from three characters of the VM's BIOS UUID (00:0c:29:...), so VMs of one fleet would share MACs. Static
// (manual) MACs are kept; guest.net entries of the NIC follow.
func uniqueMACs(vm *simulator.VirtualMachine) {
	for _, d := range vm.Config.Hardware.Device {
		nic, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		card := nic.GetVirtualEthernetCard()
		if card.AddressType == string(types.VirtualEthernetCardMacTypeManual) || !strings.HasPrefix(card.MacAddress, "00:0c:29:") {
			continue
		}
		old := card.MacAddress
		card.MacAddress = nextMAC()
		card.AddressType = string(types.VirtualEthernetCardMacTypeAssigned)
		for i := range vm.Guest.Net {
			if vm.Guest.Net[i].DeviceConfigId == card.Key && vm.Guest.Net[i].MacAddress == old {
				vm.Guest.Net[i].MacAddress = card.MacAddress
			}
		}
	}
}

// syncGuestNet drops guest.net entries of removed NICs and updates the network name of the others (lock held).
// A NIC is its device key and MAC: a new NIC may take the key of one removed in the same reconfigure.
func syncGuestNet(vm *simulator.VirtualMachine) {
	type nicID struct {
		key int32
		mac string
	}
	nics := map[nicID]string{}
	for _, d := range vm.Config.Hardware.Device {
		nic, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		card := nic.GetVirtualEthernetCard()
		name := ""
		switch b := card.Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			name = b.DeviceName
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			for _, e := range simulator.Map.All("DistributedVirtualPortgroup") {
				if pg, isPG := e.(*simulator.DistributedVirtualPortgroup); isPG && pg.Key == b.Port.PortgroupKey {
					name = pg.Name
				}
			}
		}
		nics[nicID{card.Key, card.MacAddress}] = name
	}
	var net []types.GuestNicInfo
	changed := false
	seen := map[nicID]bool{}
	for _, g := range vm.Guest.Net {
		id := nicID{g.DeviceConfigId, g.MacAddress}
		name, ok := nics[id]
		if !ok {
			changed = true
			continue
		}
		seen[id] = true
		if name != "" && g.Network != name {
			g.Network = name
			changed = true
		}
		net = append(net, g)
	}
	// A NIC whose MAC changed in an edit (a clone's NIC vCenter gives a new MAC) gets its entry, as an added NIC does.
	for _, d := range vm.Config.Hardware.Device {
		nic, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		card := nic.GetVirtualEthernetCard()
		id := nicID{card.Key, card.MacAddress}
		if !seen[id] {
			net = append(net, types.GuestNicInfo{Network: nics[id], MacAddress: card.MacAddress, Connected: true, DeviceConfigId: card.Key})
			changed = true
		}
	}
	if changed {
		simulator.Map.Update(vm, []types.PropertyChange{{Name: "guest.net", Val: net}})
		vm.Guest.Net = net
	}
}

func keyOf(v types.AnyType) (int32, bool) {
	switch k := v.(type) {
	case int32:
		return k, true
	case int64:
		return int32(k), true
	case int:
		return int32(k), true
	case string:
		n, err := strconv.Atoi(k)
		return int32(n), err == nil
	}
	return 0, false
}

// mergeNonZero copies the set (non-zero) fields of src over dst, as vCenter's "edit" of an array element does.
func mergeNonZero(dst, src reflect.Value) {
	for i := 0; i < src.NumField(); i++ {
		if sf := src.Field(i); dst.Field(i).CanSet() && !sf.IsZero() {
			dst.Field(i).Set(sf)
		}
	}
}

// applyVApp applies a VirtualMachineConfigSpec's vAppConfig to the VM's config.vAppConfig (caller holds the lock).
func applyVApp(vm *simulator.VirtualMachine, spec *types.VirtualMachineConfigSpec) {
	if spec.VAppConfigRemoved != nil && *spec.VAppConfigRemoved {
		simulator.Map.Update(vm, []types.PropertyChange{{Name: "config.vAppConfig", Val: nil}})
		vm.Config.VAppConfig = nil
		return
	}
	if spec.VAppConfig == nil {
		return
	}
	s := spec.VAppConfig.GetVmConfigSpec()
	info := &types.VmConfigInfo{}
	if vm.Config.VAppConfig != nil {
		info = deepCopy(reflect.ValueOf(vm.Config.VAppConfig.GetVmConfigInfo())).Interface().(*types.VmConfigInfo)
	}
	for _, p := range s.Property {
		key, hasKey := keyOf(p.RemoveKey)
		if p.Info != nil {
			key, hasKey = p.Info.Key, true
		}
		idx := -1
		for i := range info.Property {
			if hasKey && info.Property[i].Key == key {
				idx = i
			}
		}
		switch p.Operation {
		case types.ArrayUpdateOperationAdd:
			if p.Info != nil && idx < 0 {
				info.Property = append(info.Property, *p.Info)
			}
		case types.ArrayUpdateOperationEdit:
			if p.Info != nil && idx >= 0 {
				mergeNonZero(reflect.ValueOf(&info.Property[idx]).Elem(), reflect.ValueOf(*p.Info))
			}
		case types.ArrayUpdateOperationRemove:
			if idx >= 0 {
				info.Property = append(info.Property[:idx], info.Property[idx+1:]...)
			}
		}
	}
	for _, p := range s.Product {
		key, hasKey := keyOf(p.RemoveKey)
		if p.Info != nil {
			key, hasKey = p.Info.Key, true
		}
		idx := -1
		for i := range info.Product {
			if hasKey && info.Product[i].Key == key {
				idx = i
			}
		}
		switch p.Operation {
		case types.ArrayUpdateOperationAdd:
			if p.Info != nil && idx < 0 {
				info.Product = append(info.Product, *p.Info)
			}
		case types.ArrayUpdateOperationEdit:
			if p.Info != nil && idx >= 0 {
				mergeNonZero(reflect.ValueOf(&info.Product[idx]).Elem(), reflect.ValueOf(*p.Info))
			}
		case types.ArrayUpdateOperationRemove:
			if idx >= 0 {
				info.Product = append(info.Product[:idx], info.Product[idx+1:]...)
			}
		}
	}
	if s.IpAssignment != nil {
		info.IpAssignment = *s.IpAssignment
	}
	if s.Eula != nil {
		info.Eula = s.Eula
	}
	if s.OvfEnvironmentTransport != nil {
		info.OvfEnvironmentTransport = s.OvfEnvironmentTransport
	}
	if s.InstallBootRequired != nil {
		info.InstallBootRequired = *s.InstallBootRequired
	}
	if s.InstallBootStopDelay != 0 {
		info.InstallBootStopDelay = s.InstallBootStopDelay
	}
	vm.Config.VAppConfig = info
	simulator.Map.Update(vm, []types.PropertyChange{{Name: "config.vAppConfig", Val: info}})
}
