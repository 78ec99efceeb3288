// Copyright (c) 2026, guestnet.vsphere contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

package main

// The front sits before the simulator's HTTP handler. It
//   - counts SOAP calls per method (GET/DELETE /_calls),
//   - injects faults on a named method and object (GET/POST/DELETE /_faults): vCenter faults, and transport faults
//     (a proxy's 502/503/504, a connection closed or reset) before the call or after vCenter carried it out,
//   - sets a VM's guest view as VMware Tools would (POST /_guest, guestapi.go),
//   - answers Fetch of an unset property with an empty FetchResponse as vCenter does (the simulator panics),
//   - answers RebootGuest and StandbyGuest, which govmomi 0.24's simulator does not implement,
//   - gives each clone its own copy of the source's devices and a fresh MAC (the simulator shares them),
//   - serves vCenter's vAPI (/rest: sessions, content libraries, deploy) through govmomi's vAPI simulator, counting the
//     client's REST calls apart and making the results what vCenter gives (contentlib.go); the SOAP calls the vAPI
//     handler makes itself come on a path of their own and are not counted as client calls,
//   - posts guest customization events at power-on and reads event collectors as vCenter does (customization.go).

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/ioutil"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	vimxml "github.com/vmware/govmomi/vim25/xml"
)

type faultRule struct {
	ID      int    `json:"id"`
	Method  string `json:"method"`
	Object  string `json:"object,omitempty"`
	Count   int    `json:"count"`
	Fault   string `json:"fault"`
	Message string `json:"message,omitempty"`
	Mode    string `json:"mode"`
	After   bool   `json:"after,omitempty"`
	// Internal: the rule applies to the SOAP calls vCenter makes itself for a vAPI call (the content library's
	// clone, import...), not to the client's calls (the default)
	Internal bool `json:"internal,omitempty"`
	Skip     int  `json:"skip,omitempty"` // let this many matching calls through first
	Hits     int  `json:"hits"`
}

// Transport fault modes: what a client sees when a front proxy or the network fails in the middle of a call.
var transportModes = map[string]int{
	"http502": http.StatusBadGateway,         // a proxy's 502 Bad Gateway (text/html, no SOAP)
	"http503": http.StatusServiceUnavailable, // 503 Service Unavailable
	"http504": http.StatusGatewayTimeout,     // 504 Gateway Timeout
	"eof":     0,                             // the answer starts, then TCP closes without TLS close_notify (a TLS EOF)
	"reset":   0,                             // the TCP connection is reset (RST): "Connection reset by peer"
}

type front struct {
	next        http.Handler
	client      *vim25.Client
	latency     int
	methodDelay map[string]int

	mu            sync.Mutex
	calls         map[string]int
	total         int
	rest          map[string]int // the client's vAPI (REST) calls, ids replaced by {id}
	restTotal     int
	internal      map[string]int // SOAP calls of the vAPI handler (vCenter's own work)
	internalTotal int
	faults        []*faultRule
	nextID        int

	cloneMu sync.Mutex

	vapi               *vapiHandler // govmomi's vAPI simulator (contentlib.go)
	username, password string       // explicit credentials; empty: any non-empty user and password log in

	custDelay [2]time.Duration // power-on -> CustomizationStartedEvent -> outcome event
	custMu    sync.Mutex
	outcomes  []*customizationOutcome // POST /_customization, one shot each
	evMu      sync.Mutex
	cursors   map[string]*eventCursor // event collector -> its scrollable position (customization.go)
}

func newFront(next http.Handler, client *vim25.Client, latency int, methodDelay map[string]int) *front {
	return &front{next: next, client: client, latency: latency, methodDelay: methodDelay, calls: map[string]int{},
		rest: map[string]int{}, internal: map[string]int{}, cursors: map[string]*eventCursor{},
		custDelay: [2]time.Duration{300 * time.Millisecond, 700 * time.Millisecond}}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_calls":
		f.serveCalls(w, r)
		return
	case "/_faults":
		f.serveFaults(w, r)
		return
	case "/_guest":
		f.serveGuest(w, r)
		return
	case "/_customization":
		f.serveCustomization(w, r)
		return
	}
	if r.URL.Path == "/rest" || strings.HasPrefix(r.URL.Path, "/rest/") {
		f.serveREST(w, r)
		return
	}
	// The vAPI handler's own SOAP client (hookVAPI) posts to internalSDKPath: vCenter's internal work, not a client call.
	internal := false
	if r.URL.Path == internalSDKPath {
		internal = true
		r.URL.Path = "/sdk"
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/sdk") {
		f.next.ServeHTTP(w, r)
		return
	}
	body, err := ioutil.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	method, this := parseRequest(body)
	d := f.methodDelay[method]
	if internal {
		f.countInternal(method)
	} else {
		f.count(method)
		d += f.latency // -latency is the client's network; -method-latency the method's own time
	}
	if d > 0 {
		time.Sleep(time.Duration(d) * time.Millisecond)
	}
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if method != "" {
		if rule := f.matchFault(method, this, internal); rule != nil {
			if _, transport := transportModes[rule.Mode]; transport {
				if rule.After { // vCenter carries the call out; its answer is lost on the way back
					f.dispatch(httptest.NewRecorder(), r, method, this, body)
				}
				log.Printf("transport fault %s on %s %s (after: %v)", rule.Mode, method, this, rule.After)
				failTransport(w, rule.Mode)
				return
			}
			f.injectFault(w, method, this, rule)
			return
		}
	}
	f.dispatch(w, r, method, this, body)
}

// dispatch answers one SOAP call: the front's own answers and fixes, else the simulator's.
func (f *front) dispatch(w http.ResponseWriter, r *http.Request, method string, this types.ManagedObjectReference, body []byte) {
	switch method {
	case "Logout":
		dropSessionCollector(r)
		f.dropSessionCursors(r)
	case "RebootGuest":
		if f.rebootGuest(w, r, this) {
			return
		}
	case "StandbyGuest":
		if f.standbyGuest(w, r, this) {
			return
		}
	case "FindAllByUuid":
		f.findAllByUUID(w, body)
		return
	case "CloneVM_Task":
		f.cloneVM(w, r, this, body)
		return
	case "ReconfigVM_Task":
		f.reconfigVM(w, r, this, body)
		return
	case "PowerOnVM_Task":
		f.powerOnVM(w, r, this)
		return
	case "CreateCollectorForEvents":
		f.createEventCollector(w, r, body)
		return
	case "ReadNextEvents", "ReadPreviousEvents", "RewindCollector", "ResetCollector":
		if f.readEventCollector(w, r, method, this, body) {
			return
		}
	case "DestroyCollector":
		f.dropEventCollector(this)
	}
	f.forward(w, r, method)
}

// forward calls the simulator; a panic in it becomes an empty FetchResponse for Fetch (what vCenter answers for an
// unset property) and a SystemError fault otherwise, instead of a dropped connection.
func (f *front) forward(w http.ResponseWriter, r *http.Request, method string) {
	tw := &trackWriter{ResponseWriter: w}
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		if tw.wrote {
			log.Printf("panic in %s after the response started: %v", method, p)
			panic(http.ErrAbortHandler)
		}
		if method == "Fetch" {
			writeSOAP(w, http.StatusOK, `<FetchResponse xmlns="urn:vim25"></FetchResponse>`)
			return
		}
		log.Printf("panic in %s: %v\n%s", method, p, debug.Stack())
		writeFault(w, fmt.Sprintf("simulator error in %s: %v", method, p), &types.SystemError{Reason: fmt.Sprint(p)})
	}()
	f.next.ServeHTTP(tw, r)
}

type trackWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// parseRequest returns the SOAP method name and its _this reference.
func parseRequest(body []byte) (string, types.ManagedObjectReference) {
	var ref types.ManagedObjectReference
	dec := xml.NewDecoder(bytes.NewReader(body))
	inBody, method, inThis := false, "", false
	for {
		tok, err := dec.Token()
		if err != nil {
			return method, ref
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case !inBody && t.Name.Local == "Body":
				inBody = true
			case inBody && method == "":
				method = t.Name.Local
			case method != "" && t.Name.Local == "_this":
				inThis = true
				for _, a := range t.Attr {
					if a.Name.Local == "type" {
						ref.Type = a.Value
					}
				}
			}
		case xml.CharData:
			if inThis {
				ref.Value += strings.TrimSpace(string(t))
			}
		case xml.EndElement:
			if inThis {
				return method, ref
			}
		}
	}
}

func (f *front) count(method string) {
	if method == "" {
		method = "(unparsed)"
	}
	f.mu.Lock()
	f.calls[method]++
	f.total++
	f.mu.Unlock()
}

func (f *front) countInternal(method string) {
	if method == "" {
		method = "(unparsed)"
	}
	f.mu.Lock()
	f.internal[method]++
	f.internalTotal++
	f.mu.Unlock()
}

func (f *front) countREST(key string) {
	f.mu.Lock()
	f.rest[key]++
	f.restTotal++
	f.mu.Unlock()
}

func copyCounts(in map[string]int) map[string]int {
	out := make(map[string]int, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// snapshot: the client's SOAP calls per method and "total"; its REST calls under "rest" and "rest_total" once there
// were any; with internal, the vAPI handler's own SOAP calls under "internal" and "internal_total".
func (f *front) snapshot(internal bool) map[string]interface{} {
	out := map[string]interface{}{"total": f.total}
	for k, v := range f.calls {
		out[k] = v
	}
	if f.restTotal > 0 {
		out["rest"] = copyCounts(f.rest)
		out["rest_total"] = f.restTotal
	}
	if internal {
		out["internal"] = copyCounts(f.internal)
		out["internal_total"] = f.internalTotal
	}
	return out
}

func (f *front) serveCalls(w http.ResponseWriter, r *http.Request) {
	internal := r.URL.Query().Get("internal")
	f.mu.Lock()
	out := f.snapshot(internal == "1" || internal == "true")
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		f.calls = map[string]int{}
		f.total = 0
		f.rest = map[string]int{}
		f.restTotal = 0
		f.internal = map[string]int{}
		f.internalTotal = 0
	default:
		f.mu.Unlock()
		http.Error(w, "GET or DELETE", http.StatusMethodNotAllowed)
		return
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (f *front) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		f.mu.Lock()
		out := append([]*faultRule{}, f.faults...)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		f.mu.Lock()
		f.faults = nil
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, []*faultRule{})
	case http.MethodPost:
		rule := &faultRule{Count: 1}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(rule); err != nil {
			http.Error(w, "bad fault rule: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := completeRule(rule); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.nextID++
		rule.ID = f.nextID
		f.faults = append(f.faults, rule)
		f.mu.Unlock()
		writeJSON(w, http.StatusCreated, rule)
	default:
		http.Error(w, "GET, POST or DELETE", http.StatusMethodNotAllowed)
	}
}

// failTransport answers as a failing proxy (an HTTP error page) or a failing network (the connection closes or resets).
func failTransport(w http.ResponseWriter, mode string) {
	if status := transportModes[mode]; status != 0 {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Connection", "close")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", status, http.StatusText(status))
		return
	}
	hijacker, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	conn, buf, err := hijacker.Hijack()
	if err != nil {
		return
	}
	if mode == "eof" { // the answer starts, then the connection ends in the middle of it
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: 4096\r\n\r\n" + envelopeStart)
		_ = buf.Flush()
	}
	raw := conn
	if tlsConn, isTLS := conn.(*tls.Conn); isTLS {
		raw = tlsConn.NetConn() // closing the TCP connection under TLS sends no close_notify
	}
	if tcp, isTCP := raw.(*net.TCPConn); isTCP && mode == "reset" {
		_ = tcp.SetLinger(0) // close with RST
	}
	_ = raw.Close()
}

func completeRule(rule *faultRule) error {
	if rule.Method == "" {
		return fmt.Errorf("method is required")
	}
	if rule.Count == 0 || rule.Count < -1 {
		return fmt.Errorf("count must be >= 1, or -1 for every call until DELETE /_faults")
	}
	if rule.Skip < 0 {
		return fmt.Errorf("skip must be >= 0")
	}
	rest := isRESTRule(rule.Method)
	if rule.Mode == "" {
		rule.Mode = "soap"
		if strings.HasSuffix(rule.Method, "_Task") && !rest {
			rule.Mode = "task"
		}
	}
	_, transport := transportModes[rule.Mode]
	if rule.Mode != "soap" && rule.Mode != "task" && rule.Mode != "ignore" && !transport {
		return fmt.Errorf("mode must be task, soap, ignore, http502, http503, http504, eof or reset")
	}
	if rest && (rule.Mode == "task" || rule.Mode == "ignore" || rule.Internal) {
		return fmt.Errorf("a REST call (%q) takes mode soap (a vAPI error answer) or a transport mode, and is never internal", rule.Method)
	}
	if rule.After && !transport {
		return fmt.Errorf("after applies to the transport modes (http502, http503, http504, eof, reset)")
	}
	if rule.Fault == "" {
		switch rule.Method {
		case "ShutdownGuest", "RebootGuest", "StandbyGuest":
			rule.Fault = "ToolsUnavailable"
		default:
			rule.Fault = "SystemError"
		}
	}
	if _, err := newFault(rule.Fault); err != nil {
		return err
	}
	return nil
}

func newFault(name string) (types.BaseMethodFault, error) {
	t, ok := types.TypeFunc()(name)
	if !ok {
		return nil, fmt.Errorf("unknown fault type %q", name)
	}
	fault, ok := reflect.New(t).Interface().(types.BaseMethodFault)
	if !ok {
		return nil, fmt.Errorf("%q is not a MethodFault", name)
	}
	return fault, nil
}

func entityName(obj mo.Reference) string {
	name := ""
	if e, ok := obj.(mo.Entity); ok {
		simulator.Map.WithLock(obj, func() { name = e.Entity().Name })
	}
	return name
}

func (f *front) matchFault(method string, this types.ManagedObjectReference, internal bool) *faultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.faults) == 0 {
		return nil
	}
	name := ""
	if obj := simulator.Map.Get(this); obj != nil {
		name = entityName(obj)
	}
	for i, rule := range f.faults {
		if rule.Method != method || rule.Internal != internal {
			continue
		}
		if rule.Object != "" && rule.Object != "*" && rule.Object != name && rule.Object != this.Value && rule.Object != this.String() {
			continue
		}
		if rule.Skip > 0 {
			rule.Skip--
			continue
		}
		rule.Hits++
		if rule.Count > 0 {
			rule.Count--
			if rule.Count == 0 {
				f.faults = append(f.faults[:i], f.faults[i+1:]...)
			}
		}
		copied := *rule
		return &copied
	}
	return nil
}

func (f *front) injectFault(w http.ResponseWriter, method string, this types.ManagedObjectReference, rule *faultRule) {
	fault, _ := newFault(rule.Fault)
	obj := simulator.Map.Get(this)
	msg := rule.Message
	if msg == "" {
		msg = fmt.Sprintf("%s injected by guestnet-vcsim (%s)", rule.Fault, method)
	}
	fillFault(fault, this, obj, msg)
	if rule.Mode == "ignore" {
		// a success that does nothing: a guest that ignores a shutdown request, a task that changes nothing
		log.Printf("ignoring %s on %s", method, this)
		if strings.HasSuffix(method, "_Task") && obj != nil {
			task := simulator.CreateTask(obj, strings.TrimSuffix(method, "_Task")+"Task", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
				return nil, nil
			})
			writeSOAP(w, http.StatusOK, fmt.Sprintf(`<%sResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></%sResponse>`,
				method, task.Run().Value, method))
			return
		}
		writeSOAP(w, http.StatusOK, fmt.Sprintf(`<%sResponse xmlns="urn:vim25"></%sResponse>`, method, method))
		return
	}
	log.Printf("injecting %s into %s on %s (%s)", rule.Fault, method, this, rule.Mode)
	if rule.Mode == "soap" || obj == nil {
		writeFault(w, msg, fault)
		return
	}
	task := simulator.CreateTask(obj, strings.TrimSuffix(method, "_Task")+"Task", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	ref := task.Run()
	simulator.Map.Update(task, []types.PropertyChange{
		{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: msg}},
	})
	writeSOAP(w, http.StatusOK, fmt.Sprintf(`<%sResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></%sResponse>`,
		method, ref.Value, method))
}

// fillFault sets the fields a client expects to find: Reason (string), the object's reference, power states.
func fillFault(fault types.BaseMethodFault, this types.ManagedObjectReference, obj mo.Reference, msg string) {
	var state types.VirtualMachinePowerState
	if vm, ok := obj.(*simulator.VirtualMachine); ok {
		simulator.Map.WithLock(vm, func() { state = vm.Runtime.PowerState })
	}
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			fv, ft := v.Field(i), v.Type().Field(i)
			if !fv.CanSet() {
				continue
			}
			switch {
			case ft.Anonymous && fv.Kind() == reflect.Struct:
				fill(fv)
			case ft.Name == "Reason" && fv.Kind() == reflect.String && msg != "":
				fv.SetString(msg)
			case fv.Type() == reflect.TypeOf(types.ManagedObjectReference{}) && fv.Interface().(types.ManagedObjectReference).Value == "":
				fv.Set(reflect.ValueOf(this))
			case fv.Type() == reflect.TypeOf(state) && state != "":
				if ft.Name == "RequestedState" {
					other := types.VirtualMachinePowerStatePoweredOn
					if state == other {
						other = types.VirtualMachinePowerStatePoweredOff
					}
					fv.Set(reflect.ValueOf(other))
				} else {
					fv.Set(reflect.ValueOf(state))
				}
			}
		}
	}
	fill(reflect.ValueOf(fault).Elem())
}

// rebootGuest answers RebootGuest when the simulator has no such method: it succeeds on a powered-on VM.
func (f *front) rebootGuest(w http.ResponseWriter, r *http.Request, this types.ManagedObjectReference) bool {
	obj := simulator.Map.Get(this)
	vm, ok := obj.(*simulator.VirtualMachine)
	if !ok || reflect.ValueOf(obj).MethodByName("RebootGuest").IsValid() {
		return false
	}
	var state types.VirtualMachinePowerState
	simulator.Map.WithLock(vm, func() { state = vm.Runtime.PowerState })
	if state != types.VirtualMachinePowerStatePoweredOn {
		writeFault(w, "", &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: state})
		return true
	}
	writeSOAP(w, http.StatusOK, `<RebootGuestResponse xmlns="urn:vim25"></RebootGuestResponse>`)
	return true
}

// findAllByUUID answers SearchIndex.FindAllByUuid, which the simulator lacks: every VM (vmSearch) or host with that BIOS
// UUID or, for VMs with instanceUuid, that instance UUID, compared case-insensitively as vCenter does.
func (f *front) findAllByUUID(w http.ResponseWriter, body []byte) {
	req, _ := decodeRequest(body).(*types.FindAllByUuid)
	if req == nil {
		writeFault(w, "cannot decode FindAllByUuid", &types.InvalidRequest{})
		return
	}
	want := strings.ToLower(req.Uuid)
	instance := req.InstanceUuid != nil && *req.InstanceUuid
	var out strings.Builder
	if req.VmSearch {
		for _, e := range simulator.Map.All("VirtualMachine") {
			vm := e.(*simulator.VirtualMachine)
			match := false
			simulator.Map.WithLock(vm, func() {
				if vm.Config != nil {
					have := vm.Config.Uuid
					if instance {
						have = vm.Config.InstanceUuid
					}
					match = strings.ToLower(have) == want
				}
			})
			if match {
				fmt.Fprintf(&out, `<returnval type="VirtualMachine">%s</returnval>`, vm.Self.Value)
			}
		}
	} else {
		for _, e := range simulator.Map.All("HostSystem") {
			host := e.(*simulator.HostSystem)
			if host.Summary.Hardware != nil && strings.ToLower(host.Summary.Hardware.Uuid) == want {
				fmt.Fprintf(&out, `<returnval type="HostSystem">%s</returnval>`, host.Self.Value)
			}
		}
	}
	writeSOAP(w, http.StatusOK, `<FindAllByUuidResponse xmlns="urn:vim25">`+out.String()+`</FindAllByUuidResponse>`)
}

// standbyGuest answers StandbyGuest when the simulator has no such method: a powered-on VM is suspended (what vCenter
// shows when the guest goes to standby with the default standby response), InvalidPowerState otherwise.
func (f *front) standbyGuest(w http.ResponseWriter, r *http.Request, this types.ManagedObjectReference) bool {
	obj := simulator.Map.Get(this)
	vm, ok := obj.(*simulator.VirtualMachine)
	if !ok || reflect.ValueOf(obj).MethodByName("StandbyGuest").IsValid() {
		return false
	}
	var state types.VirtualMachinePowerState
	simulator.Map.WithLock(vm, func() { state = vm.Runtime.PowerState })
	if state != types.VirtualMachinePowerStatePoweredOn {
		writeFault(w, "", &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: state})
		return true
	}
	ctx := context.Background()
	task, err := object.NewVirtualMachine(f.client, this).Suspend(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		writeFault(w, err.Error(), &types.SystemError{Reason: err.Error()})
		return true
	}
	writeSOAP(w, http.StatusOK, `<StandbyGuestResponse xmlns="urn:vim25"></StandbyGuestResponse>`)
	return true
}

func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Ptr:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Elem().Type())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(deepCopy(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := 0; i < v.NumField(); i++ {
			if n.Field(i).CanSet() {
				n.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for _, k := range v.MapKeys() {
			n.SetMapIndex(k, deepCopy(v.MapIndex(k)))
		}
		return n
	default:
		return v
	}
}

func writeJSON(w http.ResponseWriter, code int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

const envelopeStart = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ` +
	`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ` +
	`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`
const envelopeEnd = `</soapenv:Body></soapenv:Envelope>`

func writeSOAP(w http.ResponseWriter, code int, inner string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(envelopeStart + inner + envelopeEnd))
}

// soapFault and faultDetail encode a fault the way the simulator does (simulator.go, Apache-2.0, VMware).
type soapFault struct {
	XMLName vimxml.Name `xml:"soapenv:Fault"`
	Code    string      `xml:"faultcode"`
	String  string      `xml:"faultstring"`
	Detail  struct {
		Fault *faultDetail
	} `xml:"detail"`
}

type faultDetail struct {
	Fault types.AnyType
}

func (d *faultDetail) MarshalXML(e *vimxml.Encoder, start vimxml.StartElement) error {
	kind := reflect.TypeOf(d.Fault).Elem().Name()
	start.Name.Local = kind + "Fault"
	start.Attr = append(start.Attr,
		vimxml.Attr{Name: vimxml.Name{Local: "xmlns"}, Value: "urn:" + vim25.Namespace},
		vimxml.Attr{Name: vimxml.Name{Local: "xsi:type"}, Value: kind})
	return e.EncodeElement(d.Fault, start)
}

func writeFault(w http.ResponseWriter, msg string, fault types.BaseMethodFault) {
	sf := &soapFault{Code: "ServerFaultCode", String: msg}
	sf.Detail.Fault = &faultDetail{Fault: fault}
	var buf bytes.Buffer
	if err := vimxml.NewEncoder(&buf).Encode(sf); err != nil {
		log.Printf("encoding fault: %v", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeSOAP(w, http.StatusInternalServerError, buf.String())
}

var macCounter uint32

// nextMAC returns a vCenter-style assigned MAC (00:50:56:80:00:00-00:50:56:bf:ff:ff), unique in this process.
// The simulator derives MACs from 3 characters of the VM's UUID string, which collide in large inventories.
func nextMAC() string {
	n := atomic.AddUint32(&macCounter, 1) & 0x3fffff
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", 0x80|byte(n>>16), byte(n>>8), byte(n))
}

// uniqueDevices gives every VM its own copy of its devices and each NIC a unique MAC: the simulator's inventory
// generator hands all VMs of a resource pool the same NIC object (same MAC).
func uniqueDevices() {
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		simulator.Map.WithLock(vm, func() {
			if vm.Config == nil {
				return
			}
			devices := vm.Config.Hardware.Device
			copies := make([]types.BaseVirtualDevice, len(devices))
			nics := 0
			for i, d := range devices {
				copies[i] = deepCopy(reflect.ValueOf(d)).Interface().(types.BaseVirtualDevice)
				nic, isNIC := copies[i].(types.BaseVirtualEthernetCard)
				if !isNIC {
					continue
				}
				card := nic.GetVirtualEthernetCard()
				card.MacAddress = nextMAC()
				card.AddressType = string(types.VirtualEthernetCardMacTypeAssigned)
				// guest.net[i] belongs to the i-th NIC (the simulator's customization maps them the same way)
				if nics < len(vm.Guest.Net) {
					vm.Guest.Net[nics].MacAddress = card.MacAddress
					vm.Guest.Net[nics].DeviceConfigId = card.Key
				}
				nics++
			}
			vm.Config.Hardware.Device = copies
		})
	}
}
