// Copyright (c) 2026, guestnet.vsphere contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

package main

// vCenter's vAPI (/rest) comes from govmomi 0.24's vAPI simulator (vapi/simulator, imported in main.go): sessions,
// content libraries and their items, update sessions (file upload), VM templates (VMTX) and OVF deploy. The front
//   - counts the client's REST calls apart from its SOAP calls (GET /_calls: "rest", "rest_total"),
//   - gives the vAPI handler's own SOAP client (it logs in, clones, imports through this server's URL like a client)
//     a path of its own, internalSDKPath, so those calls are told apart from the client's and not counted,
//   - checks requests as vCenter does where the simulator would panic or do something else (a library without a
//     datastore, a VM template deploy without folder or resource pool, unknown objects),
//   - completes deploys: a VMTX deploy gives a VM, not a template (the simulator clones with Template: true), with
//     guest_customization and powered_on applied; an OVF deploy gets fresh MACs and the OVF's vApp properties,
//   - answers errors with vCenter's JSON ({"type": "com.vmware.vapi.std.errors.X", "value": {"messages": [...]}})
//     and empty lists as {"value": []} (the simulator omits "value").

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// internalSDKPath is where the vAPI handler's SOAP client posts (the front serves it as /sdk).
const internalSDKPath = "/sdk/vcenter-internal"

const (
	restSessionPath  = "/rest/com/vmware/cis/session"
	restLibraryPath  = "/rest/com/vmware/content/library"
	restLocalLibrary = "/rest/com/vmware/content/local-library"
	restItemPath     = "/rest/com/vmware/content/library/item"
	restDataPrefix   = "/rest/com/vmware/cis/data/"
	restVMTXPath     = "/rest/vcenter/vm-template/library-items"
	restOVFItemPath  = "/rest/com/vmware/vcenter/ovf/library-item"
	vapiError        = "com.vmware.vapi.std.errors."
)

// vapiHandler is govmomi's vAPI simulator handler, read through reflection (its type is unexported).
type vapiHandler struct {
	handler http.Handler
	value   reflect.Value // the handler struct
	mu      sync.Locker   // the handler's own mutex (it holds it while serving a request)
}

// hookVAPI finds the vAPI handler the simulator registered under /rest/ and points its SOAP client at internalSDKPath.
func hookVAPI(mux *http.ServeMux) (*vapiHandler, error) {
	h, pattern := mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: restSessionPath}})
	if pattern != "/rest/" {
		return nil, fmt.Errorf("the vAPI simulator is not registered under /rest/ (found %q)", pattern)
	}
	v := reflect.ValueOf(h)
	mu, ok := h.(sync.Locker)
	if v.Kind() != reflect.Ptr || v.Elem().Kind() != reflect.Struct || !ok {
		return nil, fmt.Errorf("unexpected vAPI handler %T", h)
	}
	field := v.Elem().FieldByName("URL")
	if !field.IsValid() || !field.CanSet() || field.Type() != reflect.TypeOf(url.URL{}) {
		return nil, fmt.Errorf("vAPI handler %T has no URL field to redirect its SOAP calls", h)
	}
	u := field.Interface().(url.URL)
	u.Path = internalSDKPath
	field.Set(reflect.ValueOf(u))
	return &vapiHandler{handler: h, value: v.Elem(), mu: mu}, nil
}

type vapiItem struct {
	ID, LibraryID, Name, Type string
	Files                     []string
	Dir                       string // where its files are
}

type vapiLibrary struct {
	ID, Name string
	Items    []vapiItem
}

// libraries is a copy of the vAPI simulator's libraries and items.
func (v *vapiHandler) libraries() []vapiLibrary {
	if v == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []vapiLibrary
	libs := v.value.FieldByName("Library")
	if !libs.IsValid() || libs.Kind() != reflect.Map {
		return nil
	}
	for it := libs.MapRange(); it.Next(); {
		c := it.Value()
		if c.Kind() == reflect.Ptr {
			c = c.Elem()
		}
		l, _ := c.FieldByName("Library").Interface().(*library.Library)
		if l == nil {
			continue
		}
		lib := vapiLibrary{ID: l.ID, Name: l.Name}
		dir := ""
		if len(l.Storage) > 0 { // see libraryPath in vapi/simulator: "$local-path@$ds-folder-id"
			dir = path.Join(strings.SplitN(l.Storage[0].DatastoreID, "@", 2)[0], "contentlib-"+l.ID)
		}
		items := c.FieldByName("Item")
		if items.IsValid() && items.Kind() == reflect.Map {
			for jt := items.MapRange(); jt.Next(); {
				iv := jt.Value()
				if iv.Kind() == reflect.Ptr {
					iv = iv.Elem()
				}
				item, _ := iv.FieldByName("Item").Interface().(*library.Item)
				if item == nil {
					continue
				}
				files, _ := iv.FieldByName("File").Interface().([]library.File)
				vi := vapiItem{ID: item.ID, LibraryID: l.ID, Name: item.Name, Type: item.Type, Dir: path.Join(dir, item.ID)}
				for _, file := range files {
					vi.Files = append(vi.Files, file.Name)
				}
				lib.Items = append(lib.Items, vi)
			}
		}
		out = append(out, lib)
	}
	return out
}

func (v *vapiHandler) item(id string) *vapiItem {
	for _, l := range v.libraries() {
		for i := range l.Items {
			if l.Items[i].ID == id {
				return &l.Items[i]
			}
		}
	}
	return nil
}

// restKey names a REST call for the counters: method, path with ids as {id}, and the action if any.
func restKey(method string, u *url.URL) string {
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, "id:"):
			segs[i] = "id:{id}"
		case restID.MatchString(s):
			segs[i] = "{id}"
		}
	}
	p := strings.Join(segs, "/")
	if strings.HasPrefix(p, restDataPrefix) { // file transfer: /rest/com/vmware/cis/data/<transfer id>/<file name>
		if rest := strings.SplitN(strings.TrimPrefix(p, restDataPrefix), "/", 2); len(rest) == 2 {
			p = restDataPrefix + "{id}/{file}"
		}
	}
	q := u.Query()
	for _, k := range []string{"~action", "action"} {
		if a := q.Get(k); a != "" {
			return method + " " + p + "?" + k + "=" + a
		}
	}
	return method + " " + p
}

// uuids (libraries, items, sessions) and managed object ids (vm-42)
var restID = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[a-z]+-[a-z]?[0-9]+)$`)

func isRESTRule(method string) bool {
	return strings.Contains(method, " /rest")
}

func restAction(u *url.URL) string {
	if a := u.Query().Get("~action"); a != "" {
		return a
	}
	return u.Query().Get("action")
}

type restFail struct {
	status int
	kind   string
	msg    string
}

func invalidArgument(format string, args ...interface{}) *restFail {
	return &restFail{http.StatusBadRequest, "invalid_argument", fmt.Sprintf(format, args...)}
}

// restErrorBody is vCenter's /rest error answer.
func restErrorBody(kind, msg string) map[string]interface{} {
	if !strings.HasPrefix(kind, "com.vmware.") {
		kind = vapiError + kind
	}
	return map[string]interface{}{
		"type": kind,
		"value": map[string]interface{}{
			"messages": []interface{}{map[string]interface{}{"args": []string{}, "default_message": msg, "id": kind}},
		},
	}
}

func restError(w http.ResponseWriter, status int, kind, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(restErrorBody(kind, msg))
}

// serveREST counts a vAPI call, applies fault rules named by its key, and serves it.
func (f *front) serveREST(w http.ResponseWriter, r *http.Request) {
	key := restKey(r.Method, r.URL)
	f.countREST(key)
	if f.latency > 0 {
		time.Sleep(time.Duration(f.latency) * time.Millisecond)
	}
	if rule := f.matchFault(key, types.ManagedObjectReference{}, false); rule != nil {
		if _, transport := transportModes[rule.Mode]; transport {
			if rule.After {
				f.handleREST(httptest.NewRecorder(), r)
			}
			log.Printf("transport fault %s on %s (after: %v)", rule.Mode, key, rule.After)
			failTransport(w, rule.Mode)
			return
		}
		msg := rule.Message
		if msg == "" {
			msg = fmt.Sprintf("%s injected by guestnet-vcsim (%s)", rule.Fault, key)
		}
		log.Printf("injecting a vAPI error into %s", key)
		restError(w, http.StatusInternalServerError, "error", msg)
		return
	}
	f.handleREST(w, r)
}

// serveVAPI calls the vAPI simulator; a panic in it becomes a vAPI error.
func (f *front) serveVAPI(w http.ResponseWriter, r *http.Request) {
	tw := &trackWriter{ResponseWriter: w}
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler || tw.wrote {
			panic(http.ErrAbortHandler)
		}
		log.Printf("panic in %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
		restError(w, http.StatusInternalServerError, "error", fmt.Sprintf("simulator error in %s %s: %v", r.Method, r.URL.Path, p))
	}()
	f.next.ServeHTTP(tw, r)
}

func (f *front) handleREST(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, restDataPrefix) { // file upload and download: as they are
		f.serveVAPI(w, r)
		return
	}
	action := restAction(r.URL)
	var raw []byte
	var body map[string]interface{}
	if r.Body != nil && (r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut) {
		var err error
		raw, err = ioutil.ReadAll(io.LimitReader(r.Body, 64<<20))
		_ = r.Body.Close()
		if err != nil {
			restError(w, http.StatusBadRequest, "invalid_argument", "cannot read the request: "+err.Error())
			return
		}
		if len(bytes.TrimSpace(raw)) > 0 && json.Unmarshal(raw, &body) != nil {
			body = nil
		}
	}
	var fail *restFail
	var post func(*recorder) error
	switch {
	case r.Method == http.MethodPost && p == restSessionPath && action == "":
		fail = f.checkRESTLogin(r)
	case r.Method == http.MethodPost && p == restLibraryPath && action == "":
		// vCenter creates libraries at local-library or subscribed-library only (the simulator here too)
		fail = &restFail{http.StatusNotFound, "operation_not_found", "com.vmware.content.library has no operation create: use com.vmware.content.local-library"}
	case r.Method == http.MethodPost && p == restLocalLibrary && action == "":
		fail = f.preCreateLibrary(body)
	case r.Method == http.MethodPost && p == restVMTXPath && action == "":
		fail = f.preCreateVMTX(body)
	case r.Method == http.MethodPost && strings.HasPrefix(p, restVMTXPath+"/") && r.URL.Query().Get("action") == "deploy" &&
		!strings.Contains(strings.TrimPrefix(p, restVMTXPath+"/"), "/"):
		fail, post = f.preDeployVMTX(body)
	case r.Method == http.MethodPost && strings.HasPrefix(p, restOVFItemPath+"/id:") && action == "deploy":
		fail, post = f.preDeployOVF(strings.TrimPrefix(p, restOVFItemPath+"/id:"), body)
	}
	if fail != nil {
		restError(w, fail.status, fail.kind, fail.msg)
		return
	}
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	if raw != nil {
		r.Body = ioutil.NopCloser(bytes.NewReader(raw))
		r.ContentLength = int64(len(raw))
	}
	rec := newRecorder()
	f.serveVAPI(rec, r)
	if post != nil && rec.code == http.StatusOK {
		if err := post(rec); err != nil {
			log.Printf("%s %s: %v", r.Method, p, err)
			restError(w, http.StatusInternalServerError, "error", err.Error())
			return
		}
	}
	normalizeREST(rec, r, action)
	rec.flush(w)
}

// checkRESTLogin: with explicit -username/-password, a vAPI session needs them, as the SOAP Login does (the vAPI
// simulator takes any non-empty user and password).
func (f *front) checkRESTLogin(r *http.Request) *restFail {
	if f.username == "" {
		return nil
	}
	if u, p, ok := r.BasicAuth(); ok && (u != f.username || p != f.password) {
		return &restFail{http.StatusUnauthorized, "unauthenticated", "Authentication required."}
	}
	return nil
}

// normalizeREST makes the simulator's answer look like vCenter's: errors as vAPI error JSON, empty lists as
// {"value": []}, no simulator-internal keys in library and item reads, Content-Type application/json.
func normalizeREST(rec *recorder, r *http.Request, action string) {
	b := bytes.TrimSpace(rec.body.Bytes())
	isJSON := len(b) > 0 && json.Valid(b)
	if rec.code >= 400 {
		kinds := map[int]string{400: "invalid_argument", 401: "unauthenticated", 403: "unauthorized", 404: "not_found",
			405: "operation_not_found", 409: "already_exists"}
		kind := kinds[rec.code]
		if kind == "" {
			kind = "error"
		}
		msg := ""
		if isJSON {
			var e struct {
				Type  string `json:"type"`
				Value struct {
					Messages []interface{} `json:"messages"`
				} `json:"value"`
			}
			if json.Unmarshal(b, &e) == nil && e.Type != "" {
				if strings.HasPrefix(e.Type, "com.vmware.") && len(e.Value.Messages) > 0 {
					rec.header.Set("Content-Type", "application/json")
					return // already vCenter's shape
				}
				if strings.HasPrefix(e.Type, "com.vmware.") {
					kind = e.Type
				} else {
					// the simulator's BadRequest(w, err.Error()) when its clone failed (VM template create, deploy,
					// check-out): vCenter's own work failed, not the client's request
					msg = e.Type
					rec.code, kind = http.StatusInternalServerError, "error"
				}
			}
		} else if len(b) > 0 && string(b) != "404 page not found" {
			msg = string(b)
		}
		if msg == "" {
			switch {
			case rec.code == http.StatusUnauthorized:
				msg = "Authentication required."
			case rec.code == http.StatusNotFound:
				msg = fmt.Sprintf("Not found: %s %s", r.Method, r.URL.Path)
			default:
				msg = strings.TrimPrefix(kind, vapiError)
			}
		}
		rec.body.Reset()
		_ = json.NewEncoder(&rec.body).Encode(restErrorBody(kind, msg))
		rec.header.Del("X-Content-Type-Options")
		rec.header.Set("Content-Type", "application/json")
		return
	}
	if !isJSON {
		return
	}
	rec.header.Set("Content-Type", "application/json")
	var answer map[string]interface{}
	if json.Unmarshal(b, &answer) != nil {
		return
	}
	changed := false
	last := path.Base(r.URL.Path)
	if v := answer["value"]; v == nil && (action == "find" || action == "list" ||
		(r.Method == http.MethodGet && !strings.HasPrefix(last, "id:") && r.URL.Path != restSessionPath)) {
		answer["value"] = []interface{}{} // the simulator encodes an empty list as null
		changed = true
	}
	if value, ok := answer["value"].(map[string]interface{}); ok && r.Method == http.MethodGet &&
		strings.HasPrefix(r.URL.Path, "/rest/com/vmware/content/") {
		for _, k := range []string{"File", "Template", "Item", "Subs", "VMTX"} { // fields of the simulator's own
			if _, has := value[k]; has {
				delete(value, k)
				changed = true
			}
		}
	}
	if deploy, ok := answer["value"].(map[string]interface{}); ok && action == "deploy" {
		if _, has := deploy["succeeded"]; !has {
			deploy["succeeded"] = false // vCenter says so; the simulator omits false
			changed = true
		}
	}
	if changed {
		rec.body.Reset()
		_ = json.NewEncoder(&rec.body).Encode(answer)
	}
}

// -- JSON helpers ------------------------------------------------------------------------------------------------------

func jmap(m map[string]interface{}, key string) map[string]interface{} {
	v, _ := m[key].(map[string]interface{})
	return v
}

func jstr(m map[string]interface{}, key string) string {
	v, _ := m[key].(string)
	return v
}

func jbool(m map[string]interface{}, key string) bool {
	v, _ := m[key].(bool)
	return v
}

func refOf(kind, id string) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: kind, Value: id}
}

// exists: is id a managed object of one of these types?
func exists(id string, kinds ...string) bool {
	for _, kind := range kinds {
		if id != "" && simulator.Map.Get(refOf(kind, id)) != nil {
			return true
		}
	}
	return false
}

// computePool is the root resource pool of a cluster or of a host's compute resource.
func computePool(ref types.ManagedObjectReference) string {
	obj := simulator.Map.Get(ref)
	if host, ok := obj.(*simulator.HostSystem); ok && host.Parent != nil {
		obj = simulator.Map.Get(*host.Parent)
	}
	switch cr := obj.(type) {
	case *simulator.ClusterComputeResource:
		if cr.ResourcePool != nil {
			return cr.ResourcePool.Value
		}
	case *mo.ComputeResource:
		if cr.ResourcePool != nil {
			return cr.ResourcePool.Value
		}
	}
	return ""
}

// placeResourcePool fills placement.resource_pool from cluster or host (vCenter takes any of the three) and checks
// the placement's objects; what names the placement in messages.
func placeResourcePool(placement map[string]interface{}, what string) *restFail {
	rp, cluster, host := jstr(placement, "resource_pool"), jstr(placement, "cluster"), jstr(placement, "host")
	if cluster != "" && !exists(cluster, "ClusterComputeResource") {
		return invalidArgument("%s.cluster %q is not a cluster", what, cluster)
	}
	if host != "" && !exists(host, "HostSystem") {
		return invalidArgument("%s.host %q is not a host", what, host)
	}
	if rp == "" {
		switch {
		case cluster != "":
			rp = computePool(refOf("ClusterComputeResource", cluster))
		case host != "":
			rp = computePool(refOf("HostSystem", host))
		}
		if rp != "" {
			placement["resource_pool"] = rp
		}
	}
	if rp != "" && !exists(rp, "ResourcePool", "VirtualApp") {
		return invalidArgument("%s.resource_pool %q is not a resource pool", what, rp)
	}
	if folder := jstr(placement, "folder"); folder != "" && !exists(folder, "Folder") {
		return invalidArgument("%s.folder %q is not a folder", what, folder)
	}
	return nil
}

// -- libraries -----------------------------------------------------------------------------------------------------

func (f *front) preCreateLibrary(body map[string]interface{}) *restFail {
	spec := jmap(body, "create_spec")
	if spec == nil {
		return invalidArgument("create_spec is required")
	}
	name := jstr(spec, "name")
	if name == "" {
		return invalidArgument("create_spec.name is required")
	}
	backings, _ := spec["storage_backings"].([]interface{})
	if len(backings) == 0 {
		return invalidArgument("create_spec.storage_backings: give the datastore of the library")
	}
	backing, _ := backings[0].(map[string]interface{})
	if ds := jstr(backing, "datastore_id"); !exists(ds, "Datastore") {
		return invalidArgument("create_spec.storage_backings[0].datastore_id %q is not a datastore", ds)
	}
	if jstr(backing, "type") == "" {
		backing["type"] = "DATASTORE"
	}
	if jstr(spec, "type") == "" {
		spec["type"] = "LOCAL"
	}
	for _, l := range f.vapi.libraries() {
		if strings.EqualFold(l.Name, name) {
			return &restFail{http.StatusBadRequest, "already_exists", fmt.Sprintf("A library named %q already exists", l.Name)}
		}
	}
	return nil
}

// -- VM templates (VMTX) -------------------------------------------------------------------------------------------

// preCreateVMTX: POST /rest/vcenter/vm-template/library-items {"spec": {"name", "library", "source_vm", "placement"}}.
// The placement defaults to the source VM's folder and resource pool (the simulator panics without a folder).
func (f *front) preCreateVMTX(body map[string]interface{}) *restFail {
	spec := jmap(body, "spec")
	if spec == nil {
		return invalidArgument("spec is required")
	}
	name, lib, source := jstr(spec, "name"), jstr(spec, "library"), jstr(spec, "source_vm")
	if name == "" {
		return invalidArgument("spec.name is required")
	}
	vm, ok := simulator.Map.Get(refOf("VirtualMachine", source)).(*simulator.VirtualMachine)
	if !ok {
		return invalidArgument("spec.source_vm %q is not a virtual machine", source)
	}
	found := false
	for _, l := range f.vapi.libraries() {
		if l.ID != lib {
			continue
		}
		found = true
		for _, item := range l.Items {
			if item.Name == name {
				return &restFail{http.StatusBadRequest, "already_exists", fmt.Sprintf("An item named %q already exists in library %s", name, l.Name)}
			}
		}
	}
	if !found {
		return &restFail{http.StatusNotFound, "not_found", fmt.Sprintf("library %q not found", lib)}
	}
	placement := jmap(spec, "placement")
	if placement == nil {
		placement = map[string]interface{}{}
		spec["placement"] = placement
	}
	var folder, pool, host string
	simulator.Map.WithLock(vm, func() {
		if vm.Parent != nil {
			folder = vm.Parent.Value
		}
		if vm.ResourcePool != nil {
			pool = vm.ResourcePool.Value
		}
		if vm.Runtime.Host != nil {
			host = vm.Runtime.Host.Value
		}
	})
	if jstr(placement, "folder") == "" {
		placement["folder"] = folder
	}
	if jstr(placement, "resource_pool") == "" && jstr(placement, "cluster") == "" && jstr(placement, "host") == "" {
		if pool == "" && host != "" { // a template has no resource pool: its host's
			pool = computePool(refOf("HostSystem", host))
		}
		placement["resource_pool"] = pool
	}
	return placeResourcePool(placement, "spec.placement")
}

// preDeployVMTX: POST /rest/vcenter/vm-template/library-items/{item}?action=deploy {"spec": {"name", "placement":
// {"folder", "resource_pool"|"cluster"|"host"}, "disk_storage", "guest_customization": {"name"}, "powered_on"}}.
func (f *front) preDeployVMTX(body map[string]interface{}) (*restFail, func(*recorder) error) {
	spec := jmap(body, "spec")
	if spec == nil {
		return invalidArgument("spec is required"), nil
	}
	if jstr(spec, "name") == "" {
		return invalidArgument("spec.name is required"), nil
	}
	placement := jmap(spec, "placement")
	if placement == nil {
		return invalidArgument("spec.placement is required"), nil
	}
	if jstr(placement, "folder") == "" { // vCenter: "This field is currently required."
		return invalidArgument("spec.placement.folder is required"), nil
	}
	if fail := placeResourcePool(placement, "spec.placement"); fail != nil {
		return fail, nil
	}
	pool := jstr(placement, "resource_pool")
	if pool == "" {
		return invalidArgument("spec.placement: give resource_pool, cluster or host"), nil
	}
	if ds := jstr(jmap(spec, "disk_storage"), "datastore"); ds != "" && !exists(ds, "Datastore") {
		return invalidArgument("spec.disk_storage.datastore %q is not a datastore", ds), nil
	}
	if ds := jstr(jmap(spec, "vm_home_storage"), "datastore"); ds != "" && !exists(ds, "Datastore") {
		return invalidArgument("spec.vm_home_storage.datastore %q is not a datastore", ds), nil
	}
	custName := jstr(jmap(spec, "guest_customization"), "name")
	if custName != "" {
		ok, err := object.NewCustomizationSpecManager(f.client).DoesCustomizationSpecExist(context.Background(), custName)
		if err != nil || !ok {
			return invalidArgument("spec.guest_customization.name: no customization specification named %q", custName), nil
		}
	}
	poweredOn := jbool(spec, "powered_on")
	return nil, func(rec *recorder) error {
		var answer struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(rec.body.Bytes(), &answer); err != nil || answer.Value == "" {
			return fmt.Errorf("the deploy answered no VM: %s", rec.body.String())
		}
		return f.completeVMTXDeploy(refOf("VirtualMachine", answer.Value), refOf("ResourcePool", pool), custName, poweredOn)
	}
}

// completeVMTXDeploy turns the simulator's clone (a template) into the VM vCenter deploys: not a template, in the
// resource pool, customized with the named specification and powered on if asked. Its devices and MACs are its own
// already: the clone went through the front's CloneVM_Task (fixes.go).
func (f *front) completeVMTXDeploy(ref, pool types.ManagedObjectReference, custName string, poweredOn bool) error {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("the deployed VM %s is gone", ref.Value)
	}
	if !exists(pool.Value, "ResourcePool") {
		pool.Type = "VirtualApp"
	}
	simulator.Map.WithLock(vm, func() {
		vm.Config.Template = false
		vm.Summary.Config.Template = false
		vm.ResourcePool = &pool
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "config.template", Val: false},
			{Name: "summary.config.template", Val: false},
			{Name: "resourcePool", Val: &pool},
		})
	})
	ctx := context.Background()
	if custName != "" {
		item, err := object.NewCustomizationSpecManager(f.client).GetCustomizationSpec(ctx, custName)
		if err != nil {
			return err
		}
		task, err := object.NewVirtualMachine(f.client, ref).Customize(ctx, item.Spec)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return fmt.Errorf("customizing %s with %s: %v", ref.Value, custName, err)
		}
	}
	if poweredOn {
		if err := f.powerOn(ctx, ref); err != nil {
			return fmt.Errorf("powering on %s: %v", ref.Value, err)
		}
	}
	return nil
}

// -- OVF -----------------------------------------------------------------------------------------------------------

func (f *front) ovfDescriptor(item *vapiItem) (*ovf.Envelope, *restFail) {
	name := ""
	for _, file := range item.Files {
		if strings.HasSuffix(file, ".ovf") {
			name = file
			break
		}
	}
	if name == "" {
		return nil, invalidArgument("library item %s (%s) has no OVF descriptor", item.Name, item.ID)
	}
	data, err := ioutil.ReadFile(path.Join(item.Dir, name))
	if err != nil {
		return nil, &restFail{http.StatusInternalServerError, "error", fmt.Sprintf("reading %s: %v", name, err)}
	}
	env, err := ovf.Unmarshal(bytes.NewReader(data))
	if err != nil || env.VirtualSystem == nil || len(env.VirtualSystem.VirtualHardware) == 0 {
		return nil, invalidArgument("library item %s: %s is not an OVF descriptor of a virtual system (%v)", item.Name, name, err)
	}
	return env, nil
}

// preDeployOVF: POST /rest/com/vmware/vcenter/ovf/library-item/id:{item}?~action=deploy {"target": {"resource_pool_id",
// "folder_id", "host_id"}, "deployment_spec": {"name", "accept_all_EULA", "default_datastore_id", "network_mappings":
// [{"key": OVF network, "value": network id}], "additional_parameters": [{"@class":
// "com.vmware.vcenter.ovf.property_params", "type": "PropertyParams", "properties": [{"id", "value"}]}]}}.
func (f *front) preDeployOVF(itemID string, body map[string]interface{}) (*restFail, func(*recorder) error) {
	if body == nil {
		return invalidArgument("the request needs target and deployment_spec"), nil
	}
	target := jmap(body, "target")
	if target == nil {
		return invalidArgument("target is required"), nil
	}
	if rp := jstr(target, "resource_pool_id"); !exists(rp, "ResourcePool", "VirtualApp") {
		return invalidArgument("target.resource_pool_id %q is not a resource pool", rp), nil
	}
	if folder := jstr(target, "folder_id"); folder != "" && !exists(folder, "Folder") {
		return invalidArgument("target.folder_id %q is not a folder", folder), nil
	}
	if host := jstr(target, "host_id"); host != "" && !exists(host, "HostSystem") {
		return invalidArgument("target.host_id %q is not a host", host), nil
	}
	spec := jmap(body, "deployment_spec")
	if spec == nil {
		spec = map[string]interface{}{}
		body["deployment_spec"] = spec
	}
	if ds := jstr(spec, "default_datastore_id"); ds != "" && !exists(ds, "Datastore") {
		return invalidArgument("deployment_spec.default_datastore_id %q is not a datastore", ds), nil
	}
	mappings, _ := spec["network_mappings"].([]interface{})
	for _, m := range mappings {
		mapping, _ := m.(map[string]interface{})
		if n := jstr(mapping, "value"); !exists(n, "Network", "DistributedVirtualPortgroup", "OpaqueNetwork") {
			return invalidArgument("deployment_spec.network_mappings: %q is not a network", n), nil
		}
	}
	item := f.vapi.item(itemID)
	if item == nil {
		return nil, nil // the simulator answers not found
	}
	if item.Type != library.ItemTypeOVF {
		return invalidArgument("library item %s is of type %s, not ovf", item.Name, item.Type), nil
	}
	env, fail := f.ovfDescriptor(item)
	if fail != nil {
		return fail, nil
	}
	if jstr(spec, "name") == "" { // vCenter takes the OVF's name
		name := env.VirtualSystem.ID
		if env.VirtualSystem.Name != nil && *env.VirtualSystem.Name != "" {
			name = *env.VirtualSystem.Name
		}
		spec["name"] = name
	}
	props := map[string]string{}
	params, _ := spec["additional_parameters"].([]interface{})
	for _, p := range params {
		param, _ := p.(map[string]interface{})
		if jstr(param, "type") != "PropertyParams" {
			continue
		}
		list, _ := param["properties"].([]interface{})
		for _, e := range list {
			prop, _ := e.(map[string]interface{})
			if id := jstr(prop, "id"); id != "" {
				props[id] = jstr(prop, "value")
			}
		}
	}
	return nil, func(rec *recorder) error {
		var answer struct {
			Value struct {
				Succeeded  bool `json:"succeeded"`
				ResourceID *struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"resource_id"`
			} `json:"value"`
		}
		if err := json.Unmarshal(rec.body.Bytes(), &answer); err != nil || !answer.Value.Succeeded || answer.Value.ResourceID == nil {
			return nil // the deployment error stays in the answer
		}
		return f.completeOVFDeploy(refOf("VirtualMachine", answer.Value.ResourceID.ID), env, props)
	}
}

// completeOVFDeploy gives the imported VM vCenter-style MACs (the simulator's CreateVM derives them from the UUID) and the
// OVF's vApp options (ProductSection properties with the deploy's values, environment transport); the simulator puts
// the deploy's property values into extraConfig instead: they are taken out.
func (f *front) completeOVFDeploy(ref types.ManagedObjectReference, env *ovf.Envelope, props map[string]string) error {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("the deployed VM %s is gone", ref.Value)
	}
	vapp := ovfVAppConfig(env, props)
	simulator.Map.WithLock(vm, func() {
		uniqueMACs(vm)
		if len(props) > 0 {
			var kept []types.BaseOptionValue
			for _, o := range vm.Config.ExtraConfig {
				if _, isProp := props[o.GetOptionValue().Key]; !isProp {
					kept = append(kept, o)
				}
			}
			vm.Config.ExtraConfig = kept
			simulator.Map.Update(vm, []types.PropertyChange{{Name: "config.extraConfig", Val: kept}})
		}
		if vapp != nil {
			vm.Config.VAppConfig = vapp
			simulator.Map.Update(vm, []types.PropertyChange{{Name: "config.vAppConfig", Val: vapp}})
		}
	})
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ovfVAppConfig is the vApp configuration vCenter gives a VM deployed from this OVF (nil: none).
func ovfVAppConfig(env *ovf.Envelope, values map[string]string) *types.VmConfigInfo {
	vs := env.VirtualSystem
	info := &types.VmConfigInfo{}
	if len(vs.VirtualHardware) > 0 && vs.VirtualHardware[0].Transport != nil {
		info.OvfEnvironmentTransport = strings.Fields(*vs.VirtualHardware[0].Transport)
	}
	key := int32(0)
	for i, ps := range vs.Product {
		class, instance := deref(ps.Class), deref(ps.Instance)
		info.Product = append(info.Product, types.VAppProductInfo{
			Key: int32(i), ClassId: class, InstanceId: instance, Name: ps.Product, Vendor: ps.Vendor, Version: ps.Version,
			FullVersion: ps.FullVersion, ProductUrl: ps.ProductURL, VendorUrl: ps.VendorURL, AppUrl: ps.AppURL,
		})
		for _, p := range ps.Property {
			prop := types.VAppPropertyInfo{
				Key: key, ClassId: class, InstanceId: instance, Id: p.Key, Label: deref(p.Label), Type: p.Type,
				UserConfigurable: types.NewBool(p.UserConfigurable != nil && *p.UserConfigurable),
				DefaultValue:     deref(p.Default), Description: deref(p.Description),
			}
			if prop.Type == "" {
				prop.Type = "string"
			}
			full := p.Key
			if class != "" {
				full = class + "." + full
			}
			if instance != "" {
				full += "." + instance
			}
			if v, ok := values[full]; ok {
				prop.Value = v
			} else if v, ok := values[p.Key]; ok {
				prop.Value = v
			}
			info.Property = append(info.Property, prop)
			key++
		}
	}
	if len(info.Property) == 0 && len(info.Product) == 0 && len(info.OvfEnvironmentTransport) == 0 {
		return nil
	}
	sort.SliceStable(info.Property, func(i, j int) bool { return info.Property[i].Key < info.Property[j].Key })
	return info
}
