// Copyright (c) 2026, guestnet.vsphere contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

package main

// Guest customization events, as vCenter posts them. govmomi 0.24's simulator applies a pending customization
// (CustomizeVM_Task, or a clone's spec.customization) at power-on but posts no event. vCenter posts, on the VM, a
// CustomizationStartedEvent when the guest starts the customization and then CustomizationSucceeded or a failure
// (CustomizationFailed, CustomizationNetworkSetupFailed, CustomizationLinuxIdentityFailed, CustomizationSysprepFailed,
// CustomizationUnknownFailure). The front posts them through the EventManager after a successful power-on of a VM
// with config.tools.pendingCustomization set, asynchronously as a guest does (-customization-delay). POST
// /_customization makes the next customization of a VM end in a failure; the guest view then does not show what the
// specification asked for.
//
// Event collectors: the simulator's EventHistoryCollector keeps only its latest page (newest first) and reads it with
// an index, so ReadNextEvents on a collector that gets new events returns old ones again and misses new ones. The
// front reads collectors as vCenter does: the scrollable view is every matching event (of the simulator's last 1000),
// the position starts at the oldest (RewindCollector), ReadNextEvents returns the next events oldest first and moves
// past them, ReadPreviousEvents returns the previous ones newest first, ResetCollector moves past the newest.
// latestPage (a property) stays the simulator's. Like the simulator, the filter's time, userName, category and
// eventChainId are not applied (clients filter by createdTime themselves).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	vimxml "github.com/vmware/govmomi/vim25/xml"
)

// customizationOutcome is a POST /_customization rule: how the next customization of the VM ends.
type customizationOutcome struct {
	VM      string `json:"vm"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// outcome -> event type
var customizationOutcomes = map[string]string{
	"succeeded":            "CustomizationSucceeded",
	"failed":               "CustomizationFailed",
	"network_setup_failed": "CustomizationNetworkSetupFailed",
	"identity_failed":      "CustomizationLinuxIdentityFailed",
	"sysprep_failed":       "CustomizationSysprepFailed",
	"unknown_failure":      "CustomizationUnknownFailure",
}

const (
	linuxCustomizationLog   = "/var/log/vmware-imc/toolsDeployPkg.log"
	windowsCustomizationLog = `C:\Windows\TEMP\vmware-imc\guestcust.log`
)

func (f *front) serveCustomization(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		f.custMu.Lock()
		out := append([]*customizationOutcome{}, f.outcomes...)
		f.custMu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		f.custMu.Lock()
		f.outcomes = nil
		f.custMu.Unlock()
		writeJSON(w, http.StatusOK, []*customizationOutcome{})
	case http.MethodPost:
		o := &customizationOutcome{}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(o); err != nil {
			http.Error(w, "bad customization outcome: "+err.Error(), http.StatusBadRequest)
			return
		}
		if o.Outcome == "" {
			o.Outcome = "succeeded"
		}
		if _, ok := customizationOutcomes[o.Outcome]; !ok {
			http.Error(w, "outcome must be succeeded, failed, network_setup_failed, identity_failed, sysprep_failed or unknown_failure",
				http.StatusBadRequest)
			return
		}
		if o.VM == "" || findVM(o.VM) == nil {
			http.Error(w, fmt.Sprintf("vm %q: no VM of that name or moid", o.VM), http.StatusNotFound)
			return
		}
		f.custMu.Lock()
		f.outcomes = append(f.outcomes, o)
		f.custMu.Unlock()
		writeJSON(w, http.StatusCreated, o)
	default:
		http.Error(w, "GET, POST or DELETE", http.StatusMethodNotAllowed)
	}
}

// takeOutcome removes and returns the first outcome rule for this VM (default: succeeded).
func (f *front) takeOutcome(ref types.ManagedObjectReference, name string) customizationOutcome {
	f.custMu.Lock()
	defer f.custMu.Unlock()
	for i, o := range f.outcomes {
		if o.VM == name || o.VM == ref.Value || o.VM == ref.String() {
			f.outcomes = append(f.outcomes[:i], f.outcomes[i+1:]...)
			return *o
		}
	}
	return customizationOutcome{Outcome: "succeeded"}
}

// pendingCustomization is what a VM with a pending customization looked like before the power-on that applies it.
type pendingCustomization struct {
	windows   bool
	hostName  string
	ipAddress string
	net       []types.GuestNicInfo
}

// pendingSpec reads the simulator's queued specification (VirtualMachine.imc, unexported).
func pendingSpec(vm *simulator.VirtualMachine) *types.CustomizationSpec {
	field := reflect.ValueOf(vm).Elem().FieldByName("imc")
	if !field.IsValid() || field.Type() != reflect.TypeOf((*types.CustomizationSpec)(nil)) || !field.CanAddr() {
		return nil
	}
	return *(**types.CustomizationSpec)(unsafe.Pointer(field.UnsafeAddr()))
}

// capturePending returns the VM's state before a power-on if a customization is pending, else nil.
func capturePending(vm *simulator.VirtualMachine) *pendingCustomization {
	var p *pendingCustomization
	simulator.Map.WithLock(vm, func() {
		if vm.Config == nil || vm.Config.Tools == nil || vm.Config.Tools.PendingCustomization == "" || vm.Guest == nil {
			return
		}
		p = &pendingCustomization{hostName: vm.Guest.HostName, ipAddress: vm.Guest.IpAddress}
		p.net = deepCopy(reflect.ValueOf(vm.Guest.Net)).Interface().([]types.GuestNicInfo)
		if spec := pendingSpec(vm); spec != nil {
			switch spec.Identity.(type) {
			case *types.CustomizationSysprep, *types.CustomizationSysprepText:
				p.windows = true
			}
		}
	})
	return p
}

// powerOnVM: PowerOnVM_Task, then the customization events if the power-on applied a pending customization.
func (f *front) powerOnVM(w http.ResponseWriter, r *http.Request, this types.ManagedObjectReference) {
	vm, ok := simulator.Map.Get(this).(*simulator.VirtualMachine)
	if !ok {
		f.forward(w, r, "PowerOnVM_Task")
		return
	}
	pending := capturePending(vm)
	rec := newRecorder()
	f.forward(rec, r, "PowerOnVM_Task")
	if pending != nil && rec.succeededTask() != nil {
		f.customized(vm, pending)
	}
	rec.flush(w)
}

// powerOn powers a VM on in process (clone spec.powerOn, a deploy's powered_on), with the customization events.
func (f *front) powerOn(ctx context.Context, ref types.ManagedObjectReference) error {
	vm, _ := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	var pending *pendingCustomization
	if vm != nil {
		pending = capturePending(vm)
	}
	task, err := object.NewVirtualMachine(f.client, ref).PowerOn(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err == nil && pending != nil {
		f.customized(vm, pending)
	}
	return err
}

// customized runs after a power-on that may have applied a pending customization: it takes the VM's outcome rule,
// undoes the customization in the guest view on a failure, and posts Started and the outcome in the background.
func (f *front) customized(vm *simulator.VirtualMachine, before *pendingCustomization) {
	applied := false
	var name string
	simulator.Map.WithLock(vm, func() {
		applied = vm.Config.Tools == nil || vm.Config.Tools.PendingCustomization == ""
		name = vm.Name
	})
	if !applied {
		return
	}
	outcome := f.takeOutcome(vm.Self, name)
	if outcome.Outcome != "succeeded" {
		revertCustomization(vm, before)
	}
	logFile := linuxCustomizationLog
	if before.windows {
		logFile = windowsCustomizationLog
	}
	base := types.CustomizationEvent{VmEvent: vmEventArgs(vm), LogLocation: logFile}
	started := &types.CustomizationStartedEvent{CustomizationEvent: base}
	started.FullFormattedMessage = fmt.Sprintf("Started customization of VM %s. Customization log located at %s in the guest OS.", name, logFile)
	end := customizationEnd(outcome, base, name, logFile)
	log.Printf("customization of %s (%s): %s", name, vm.Self.Value, outcome.Outcome)
	delays := f.custDelay
	go func() {
		time.Sleep(delays[0])
		// The customization runs in VMware Tools: from its start the guest reports Tools running, whatever the outcome.
		toolsRunning(vm)
		f.postEvent(vm.Self, started)
		time.Sleep(delays[1])
		f.postEvent(vm.Self, end)
	}()
}

// toolsRunning sets the guest view a running VMware Tools reports (as POST /_guest with toolsRunning does).
func toolsRunning(vm *simulator.VirtualMachine) {
	simulator.Map.WithLock(vm, func() {
		running, status := "guestToolsRunning", types.VirtualMachineToolsStatusToolsOk
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "guest.toolsRunningStatus", Val: running},
			{Name: "guest.toolsStatus", Val: status},
			{Name: "guest.guestState", Val: "running"},
			{Name: "summary.guest.toolsRunningStatus", Val: running},
			{Name: "summary.guest.toolsStatus", Val: status}})
	})
}

func customizationEnd(o customizationOutcome, base types.CustomizationEvent, name, logFile string) types.BaseEvent {
	failed := types.CustomizationFailed{CustomizationEvent: base, Reason: o.Reason}
	var ev types.BaseEvent
	var msg string
	switch o.Outcome {
	case "succeeded":
		ev = &types.CustomizationSucceeded{CustomizationEvent: base}
		msg = fmt.Sprintf("Customization of VM %s succeeded. Customization log located at %s in the guest OS.", name, logFile)
	case "network_setup_failed":
		ev = &types.CustomizationNetworkSetupFailed{CustomizationFailed: failed}
		msg = fmt.Sprintf("An error occurred while setting up network properties of the guest OS. See the log file %s in the guest OS for details.", logFile)
	case "identity_failed":
		ev = &types.CustomizationLinuxIdentityFailed{CustomizationFailed: failed}
		msg = fmt.Sprintf("An error occurred while setting up Linux identity. See log file '%s' on guest OS for details.", logFile)
	case "sysprep_failed":
		ev = &types.CustomizationSysprepFailed{CustomizationFailed: failed}
		msg = fmt.Sprintf("Sysprep failed while customizing VM %s. See the log file %s in the guest OS for more information.", name, logFile)
	case "unknown_failure":
		ev = &types.CustomizationUnknownFailure{CustomizationFailed: failed}
		msg = fmt.Sprintf("An error occurred while customizing VM %s. For details reference the log file %s in the guest OS.", name, logFile)
	default:
		ev = &failed
		msg = fmt.Sprintf("Cannot complete customization of VM %s. See customization log at %s on the guest OS for details.", name, logFile)
	}
	if o.Message != "" {
		msg = o.Message
	}
	ev.GetEvent().FullFormattedMessage = msg
	return ev
}

// revertCustomization: the guest did not configure itself as asked. The requested addresses go from guest.net and
// guest.ipAddress; host name and DNS settings are back to what they were before the power-on.
func revertCustomization(vm *simulator.VirtualMachine, before *pendingCustomization) {
	simulator.Map.WithLock(vm, func() {
		nics := vm.Guest.Net
		for i := range nics {
			nics[i].IpAddress = nil
			if nics[i].IpConfig != nil {
				nics[i].IpConfig.IpAddress = nil
			}
			if i < len(before.net) {
				nics[i].DnsConfig = before.net[i].DnsConfig
			}
		}
		vm.Guest.HostName = before.hostName
		vm.Guest.IpAddress = ""
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "guest.net", Val: nics},
			{Name: "guest.hostName", Val: before.hostName},
			{Name: "guest.ipAddress", Val: ""},
		})
		vm.Guest.Net = nics
	})
}

// vmEventArgs: the VM, its host, compute resource and datacenter, as the simulator's own VM events carry them.
func vmEventArgs(vm *simulator.VirtualMachine) types.VmEvent {
	var ev types.VmEvent
	var host, parent *types.ManagedObjectReference
	simulator.Map.WithLock(vm, func() {
		ev.Vm = &types.VmEventArgument{EntityEventArgument: types.EntityEventArgument{Name: vm.Name}, Vm: vm.Self}
		host, parent = vm.Runtime.Host, vm.Parent
	})
	if host != nil {
		if h, ok := simulator.Map.Get(*host).(*simulator.HostSystem); ok {
			ev.Host = &types.HostEventArgument{EntityEventArgument: types.EntityEventArgument{Name: entityName(h)}, Host: h.Self}
			if h.Parent != nil {
				if cr := simulator.Map.Get(*h.Parent); cr != nil {
					ev.ComputeResource = &types.ComputeResourceEventArgument{
						EntityEventArgument: types.EntityEventArgument{Name: entityName(cr)}, ComputeResource: cr.Reference()}
				}
			}
		}
	}
	for ref := parent; ref != nil; {
		obj := simulator.Map.Get(*ref)
		if obj == nil {
			break
		}
		if dc, ok := obj.(*simulator.Datacenter); ok {
			ev.Datacenter = &types.DatacenterEventArgument{EntityEventArgument: types.EntityEventArgument{Name: entityName(dc)}, Datacenter: dc.Self}
			break
		}
		e, ok := obj.(mo.Entity)
		if !ok {
			break
		}
		ref = e.Entity().Parent
	}
	return ev
}

// postEvent posts through the EventManager in process (key, chainId, createdTime are the EventManager's).
func (f *front) postEvent(vm types.ManagedObjectReference, ev types.BaseEvent) {
	if simulator.Map.Get(vm) == nil {
		return // the VM is gone: its guest posts nothing
	}
	_, err := methods.PostEvent(context.Background(), f.client, &types.PostEvent{This: *f.client.ServiceContent.EventManager, EventToPost: ev})
	if err != nil {
		log.Printf("posting %T on %s: %v", ev, vm.Value, err)
	}
}

// -- event collectors ----------------------------------------------------------------------------------------------

type eventCursor struct {
	filter types.EventFilterSpec
	after  int32 // the scrollable position: events with a key <= after are behind it
}

var collectorRef = regexp.MustCompile(`<returnval type="EventHistoryCollector">([^<]+)</returnval>`)

func (f *front) createEventCollector(w http.ResponseWriter, r *http.Request, body []byte) {
	req, _ := decodeRequest(body).(*types.CreateCollectorForEvents)
	rec := newRecorder()
	f.forward(rec, r, "CreateCollectorForEvents")
	if m := collectorRef.FindSubmatch(rec.body.Bytes()); req != nil && m != nil && rec.code == http.StatusOK {
		f.evMu.Lock()
		f.cursors[string(m[1])] = &eventCursor{filter: req.Filter, after: math.MinInt32}
		f.evMu.Unlock()
	}
	rec.flush(w)
}

func (f *front) dropEventCollector(this types.ManagedObjectReference) {
	f.evMu.Lock()
	delete(f.cursors, this.Value)
	f.evMu.Unlock()
}

// dropSessionCursors forgets the event collectors of the session that sent r (called on Logout: they are gone).
func (f *front) dropSessionCursors(r *http.Request) {
	cookie, err := r.Cookie(soap.SessionCookieName)
	if err != nil {
		return
	}
	f.evMu.Lock()
	defer f.evMu.Unlock()
	for ref := range f.cursors {
		if strings.HasPrefix(ref, "session["+cookie.Value+"]") {
			delete(f.cursors, ref)
		}
	}
}

// matchingEvents: the events the filter matches, oldest first (the simulator's matching, over its last 1000 events).
func (f *front) matchingEvents(filter types.EventFilterSpec) ([]types.BaseEvent, error) {
	filter.MaxCount = 1000
	res, err := methods.QueryEvents(context.Background(), f.client, &types.QueryEvents{This: *f.client.ServiceContent.EventManager, Filter: filter})
	if err != nil {
		return nil, err
	}
	events := append([]types.BaseEvent{}, res.Returnval...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].GetEvent().Key < events[j].GetEvent().Key })
	return events, nil
}

// readEventCollector answers ReadNextEvents, ReadPreviousEvents, RewindCollector and ResetCollector on a collector the
// front saw created in this session; false: the simulator answers.
func (f *front) readEventCollector(w http.ResponseWriter, r *http.Request, method string, this types.ManagedObjectReference, body []byte) bool {
	if this.Type != "EventHistoryCollector" {
		return false
	}
	cookie, err := r.Cookie(soap.SessionCookieName)
	if err != nil || !strings.HasPrefix(this.Value, "session["+cookie.Value+"]") {
		return false // not this session's collector: the simulator says so
	}
	f.evMu.Lock()
	defer f.evMu.Unlock()
	cur := f.cursors[this.Value]
	if cur == nil {
		return false
	}
	var maxCount int32
	switch req := decodeRequest(body).(type) {
	case *types.ReadNextEvents:
		maxCount = req.MaxCount
	case *types.ReadPreviousEvents:
		maxCount = req.MaxCount
	}
	if (method == "ReadNextEvents" || method == "ReadPreviousEvents") && maxCount <= 0 {
		writeFault(w, "", &types.InvalidArgument{InvalidProperty: "maxCount"})
		return true
	}
	var events []types.BaseEvent
	if method != "RewindCollector" {
		if events, err = f.matchingEvents(cur.filter); err != nil {
			writeFault(w, err.Error(), &types.SystemError{Reason: err.Error()})
			return true
		}
	}
	var page []types.BaseEvent
	switch method {
	case "RewindCollector":
		cur.after = math.MinInt32
	case "ResetCollector":
		if len(events) > 0 {
			cur.after = events[len(events)-1].GetEvent().Key
		}
	case "ReadNextEvents":
		for _, e := range events {
			if e.GetEvent().Key > cur.after && int32(len(page)) < maxCount {
				page = append(page, e)
			}
		}
		if len(page) > 0 {
			cur.after = page[len(page)-1].GetEvent().Key
		}
	case "ReadPreviousEvents":
		for i := len(events) - 1; i >= 0; i-- {
			if e := events[i]; e.GetEvent().Key <= cur.after && int32(len(page)) < maxCount {
				page = append(page, e)
			}
		}
		if len(page) > 0 {
			cur.after = page[len(page)-1].GetEvent().Key - 1
		}
	}
	var res interface{}
	switch method {
	case "ReadNextEvents":
		res = &types.ReadNextEventsResponse{Returnval: page}
	case "ReadPreviousEvents":
		res = &types.ReadPreviousEventsResponse{Returnval: page}
	case "RewindCollector":
		res = &types.RewindCollectorResponse{}
	default:
		res = &types.ResetCollectorResponse{}
	}
	writeResponse(w, method, res)
	return true
}

// writeResponse encodes a method's response as the simulator does.
func writeResponse(w http.ResponseWriter, method string, res interface{}) {
	var buf bytes.Buffer
	start := vimxml.StartElement{Name: vimxml.Name{Space: "urn:vim25", Local: method + "Response"}}
	if err := vimxml.NewEncoder(&buf).EncodeElement(res, start); err != nil {
		writeFault(w, err.Error(), &types.SystemError{Reason: err.Error()})
		return
	}
	writeSOAP(w, http.StatusOK, buf.String())
}
