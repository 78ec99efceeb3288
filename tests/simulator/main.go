// Copyright (c) 2026, guestnet.vsphere contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

// Command guestnet-vcsim runs govmomi's vCenter API simulator (Debian's golang-github-vmware-govmomi-dev)
// for the guestnet.vsphere tests and demo: an inventory of a chosen size, VM templates to clone from,
// loopback-only TLS with a certificate clients can verify, and a front that makes the simulator answer
// like vCenter where it does not (Fetch of an unset property), counts SOAP calls and injects faults, and vCenter's
// vAPI (/rest: content libraries, VM template and OVF deploy) with customization events. See README.md beside this file.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	// vCenter's vAPI (/rest): sessions, content libraries, VM templates and OVF deploy (registers itself)
	_ "github.com/vmware/govmomi/vapi/simulator"
)

// Guest ids newer than the list in govmomi 0.24's simulator; real vCenter accepts them.
var extraGuestIDs = []string{
	"windows2019srv_64Guest", "windows2019srvNext_64Guest", "windows2022srvNext_64Guest", "windows11_64Guest",
	"rhel9_64Guest", "centos9_64Guest", "debian11_64Guest", "debian12_64Guest", "rockylinux_64Guest",
	"almalinux_64Guest", "other4xLinux64Guest", "other5xLinux64Guest", "amazonlinux3_64Guest",
}

type options struct {
	listen        string
	dc            int
	cluster       int
	clusterHost   int
	host          int
	vm            int
	pool          int
	folder        int
	pg            int
	ds            int
	stdPG         string
	templates     string
	templateNet   string
	vappTemplates string
	vappProps     string
	latency       int
	methodLatency string
	useTLS        bool
	certDir       string
	username      string
	password      string
	autostart     bool
	watchStdin    bool
	trace         bool
	cpuProfile    string
	dataDir       string
	custDelay     string
}

func parseFlags() *options {
	o := &options{}
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "listen address host:port; loopback only (127.0.0.0/8, ::1, localhost); port 0 picks a free one")
	flag.IntVar(&o.dc, "dc", 1, "number of datacenters")
	flag.IntVar(&o.cluster, "cluster", 1, "clusters per datacenter")
	flag.IntVar(&o.clusterHost, "host", 3, "hosts per cluster")
	flag.IntVar(&o.host, "standalone-host", 1, "standalone hosts per datacenter")
	flag.IntVar(&o.vm, "vm", 2, "VMs per resource pool (each cluster's root pool and each standalone host)")
	flag.IntVar(&o.pool, "pool", 0, "child resource pools per cluster (they hold no VMs)")
	flag.IntVar(&o.folder, "folder", 0, "datacenters to place inside a folder")
	flag.IntVar(&o.pg, "pg", 1, "distributed port groups per datacenter (DC0_DVPG0...; 0 = no distributed switch)")
	flag.IntVar(&o.ds, "ds", 1, "datastores (LocalDS_0...) mounted on every host")
	flag.StringVar(&o.stdPG, "std-pg", "", "extra standard port groups on vSwitch0 of every host: NAME[:VLAN],...")
	flag.StringVar(&o.templates, "templates", "linux-template=ubuntu64Guest,windows-template=windows2019srv_64Guest",
		"templates to create in the first datacenter: NAME=GUESTID,... (each with one vmxnet3 NIC); empty = none")
	flag.StringVar(&o.vappTemplates, "vapp-templates", "vapp-template=ubuntu64Guest",
		"templates that also carry OVF-style vApp properties (com.vmware.guestInfo transport): NAME=GUESTID,...")
	flag.StringVar(&o.vappProps, "vapp-properties", "hostname,instance-id,seedfrom,public-keys,user-data,password,ip0,netmask0,gateway,dns",
		"ids of the vApp properties of -vapp-templates (type string, user configurable, empty default)")
	flag.StringVar(&o.templateNet, "template-network", "VM Network", "network that backs the templates' NIC")
	flag.IntVar(&o.latency, "latency", 0, "latency added to every SOAP call, in ms")
	flag.StringVar(&o.methodLatency, "method-latency", "", "extra latency per SOAP method: METHOD=MS,...")
	flag.BoolVar(&o.useTLS, "tls", true, "serve https with a generated certificate (valid for 127.0.0.1, ::1, localhost)")
	flag.StringVar(&o.dataDir, "datastore-dir", defaultDataDir(),
		"where the datastores' files go (a private subdirectory, removed at exit); tmpfs makes large inventories start fast")
	flag.StringVar(&o.certDir, "cert-dir", "", "directory for ca.pem (the file clients verify against); default: a temp dir removed at exit")
	flag.StringVar(&o.username, "username", "user", "user name; with the defaults user/pass any non-empty user and password log in")
	flag.StringVar(&o.password, "password", "pass", "password")
	flag.BoolVar(&o.autostart, "autostart", true, "power on the generated VMs (templates stay off)")
	flag.BoolVar(&o.watchStdin, "watch-stdin", false, "exit when standard input closes (a parent that dies takes the simulator with it)")
	flag.BoolVar(&o.trace, "trace", false, "write SOAP traffic to stderr")
	flag.StringVar(&o.custDelay, "customization-delay", "300,700",
		"guest customization events: ms from power-on to CustomizationStartedEvent, then ms to the outcome event")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the start-up to this file")
	flag.Parse()
	return o
}

func defaultDataDir() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if f, err := ioutil.TempFile("/dev/shm", ".guestnet-vcsim-probe-"); err == nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

// privateDataDir makes base/guestnet-vcsim-PID and removes the directories of such processes that are gone
// (a simulator killed with SIGKILL cannot clean up after itself).
func privateDataDir(base string) (string, error) {
	stale, _ := filepath.Glob(filepath.Join(base, "guestnet-vcsim-[0-9]*"))
	for _, dir := range stale {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "guestnet-vcsim-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err = os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			_ = os.RemoveAll(dir)
		}
	}
	dir := filepath.Join(base, fmt.Sprintf("guestnet-vcsim-%d", os.Getpid()))
	return dir, os.MkdirAll(dir, 0o700)
}

// loopbackListen validates that addr only binds a loopback address.
func loopbackListen(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("-listen %q: %v", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("-listen %q: bad port", addr)
	}
	if host == "localhost" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("-listen %q: refusing to listen on a non-loopback address (use 127.0.0.1, ::1 or localhost)", addr)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

func parsePairs(s, what string) ([][2]string, error) {
	var out [][2]string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		kv := strings.SplitN(item, "=", 2)
		if len(kv) != 2 || kv[0] == "" || kv[1] == "" {
			return nil, fmt.Errorf("%s: %q is not NAME=VALUE", what, item)
		}
		out = append(out, [2]string{kv[0], kv[1]})
	}
	return out, nil
}

// parseCustomizationDelay parses "STARTED_MS[,OUTCOME_MS]" (-customization-delay).
func parseCustomizationDelay(s string) ([2]time.Duration, error) {
	var out [2]time.Duration
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return out, fmt.Errorf("-customization-delay %q: give STARTED_MS[,OUTCOME_MS]", s)
	}
	out[1] = -1
	for i, p := range parts {
		ms, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || ms < 0 {
			return out, fmt.Errorf("-customization-delay %q: %q is not a number of ms", s, p)
		}
		out[i] = time.Duration(ms) * time.Millisecond
	}
	if out[1] < 0 {
		out[1] = out[0]
	}
	return out, nil
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("guestnet-vcsim: ")
	o := parseFlags()
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

func run(o *options) error {
	start := time.Now()
	listen, err := loopbackListen(o.listen)
	if err != nil {
		return err
	}
	templates, err := parsePairs(o.templates, "-templates")
	if err != nil {
		return err
	}
	vappTemplates, err := parsePairs(o.vappTemplates, "-vapp-templates")
	if err != nil {
		return err
	}
	var vappProps []string
	for _, p := range strings.Split(o.vappProps, ",") {
		if p = strings.TrimSpace(p); p != "" {
			vappProps = append(vappProps, p)
		}
	}
	methodDelay := map[string]int{}
	pairs, err := parsePairs(o.methodLatency, "-method-latency")
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		ms, perr := strconv.Atoi(kv[1])
		if perr != nil || ms < 0 {
			return fmt.Errorf("-method-latency: %q is not a number of ms", kv[1])
		}
		methodDelay[kv[0]] = ms
	}
	custDelay, err := parseCustomizationDelay(o.custDelay)
	if err != nil {
		return err
	}
	if len(templates)+len(vappTemplates) > 0 && (o.dc < 1 || o.ds < 1 || o.cluster+o.host < 1) {
		return fmt.Errorf("templates need at least one datacenter, datastore and cluster or standalone host")
	}

	if o.cpuProfile != "" {
		pf, perr := os.Create(o.cpuProfile)
		if perr != nil {
			return perr
		}
		_ = pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	dataDir, err := privateDataDir(o.dataDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	// the simulator creates its datastore directories with ioutil.TempDir("", ...)
	if err = os.Setenv("TMPDIR", dataDir); err != nil {
		return err
	}
	for _, id := range extraGuestIDs {
		simulator.GuestID = append(simulator.GuestID, types.VirtualMachineGuestOsIdentifier(id))
	}
	simulator.Trace = o.trace

	model := simulator.VPX()
	model.Datacenter = o.dc
	model.Cluster = o.cluster
	model.ClusterHost = o.clusterHost
	model.Host = o.host
	model.Machine = o.vm
	model.Pool = o.pool
	model.Folder = o.folder
	model.Portgroup = o.pg
	model.Datastore = o.ds
	model.Autostart = o.autostart
	if err = model.Create(); err != nil {
		return fmt.Errorf("creating the inventory: %v", err)
	}
	installSessionCollectors()
	log.Printf("inventory created in %.3fs", time.Since(start).Seconds())
	defer model.Remove()

	ctx := context.Background()
	client, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return err
	}
	if err = addStandardPortgroups(ctx, client, o.stdPG); err != nil {
		return err
	}
	if err = addTemplates(ctx, client, templates, o.templateNet, nil); err != nil {
		return err
	}
	if err = addTemplates(ctx, client, vappTemplates, o.templateNet, vappProps); err != nil {
		return err
	}

	uniqueDevices()

	certDir := o.certDir
	if o.useTLS {
		if certDir == "" {
			certDir, err = ioutil.TempDir("", "guestnet-vcsim-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(certDir)
		}
		model.Service.TLS, err = newTLSConfig(certDir)
		if err != nil {
			return err
		}
	}
	model.Service.RegisterEndpoints = true
	model.Service.Listen = &url.URL{Host: listen}
	if o.username != "user" || o.password != "pass" {
		model.Service.Listen.User = url.UserPassword(o.username, o.password)
	}

	// the simulator panics when it cannot listen: say why first
	probe, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v", listen, err)
	}
	_ = probe.Close()
	srv := model.Service.NewServer()
	front := newFront(srv.Config.Handler, client, o.latency, methodDelay)
	front.custDelay = custDelay
	if o.username != "user" || o.password != "pass" {
		front.username, front.password = o.username, o.password
	}
	// the vAPI handler calls the SOAP API through this server as a client of its own: give it a path of its own
	if front.vapi, err = hookVAPI(model.Service.ServeMux); err != nil {
		return err
	}
	// Nobody knows the address yet: swapping the handler before the ready line is printed is safe.
	srv.Config.Handler = front
	defer srv.Close()

	u := *srv.URL
	u.User = nil
	host, port, _ := net.SplitHostPort(u.Host)
	portNum, _ := strconv.Atoi(port)
	count := model.Count()
	ready := map[string]interface{}{
		"url":             u.String(),
		"host":            host,
		"port":            portNum,
		"username":        o.username,
		"password":        o.password,
		"pid":             os.Getpid(),
		"startup_seconds": time.Since(start).Seconds(),
		"inventory": map[string]int{
			"datacenters": count.Datacenter, "clusters": count.Cluster, "hosts": count.Host,
			"vms": count.Machine, "distributed_portgroups": count.Portgroup, "datastores": count.Datastore,
		},
	}
	if o.useTLS {
		ready["cert_file"] = filepath.Join(certDir, "ca.pem")
	} else {
		ready["cert_file"] = nil
	}
	line, _ := json.Marshal(ready)
	fmt.Println(string(line))
	log.Printf("ready at %s in %.3fs", u.String(), time.Since(start).Seconds())

	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if o.watchStdin {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}
	sig := <-stop
	log.Printf("stopping on %v", sig)
	return nil
}

// addStandardPortgroups adds port groups to vSwitch0 of every host, one Network object per datacenter
// (as vCenter shows a standard port group of the same name on many hosts).
func addStandardPortgroups(ctx context.Context, c *vim25.Client, spec string) error {
	if strings.TrimSpace(spec) == "" {
		return nil
	}
	type pgSpec struct {
		name string
		vlan int32
	}
	var pgs []pgSpec
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.SplitN(item, ":", 2)
		p := pgSpec{name: parts[0]}
		if len(parts) == 2 {
			v, err := strconv.Atoi(parts[1])
			if err != nil || v < 0 || v > 4095 {
				return fmt.Errorf("-std-pg: bad VLAN in %q", item)
			}
			p.vlan = int32(v)
		}
		pgs = append(pgs, p)
	}
	finder := find.NewFinder(c, false)
	dcs, err := finder.DatacenterList(ctx, "*")
	if err != nil {
		return err
	}
	for _, dc := range dcs {
		finder.SetDatacenter(dc)
		hosts, herr := finder.HostSystemList(ctx, "*")
		if herr != nil {
			return herr
		}
		if len(hosts) == 0 {
			continue
		}
		for _, p := range pgs {
			pgs := types.HostPortGroupSpec{Name: p.name, VlanId: p.vlan, VswitchName: "vSwitch0", Policy: types.HostNetworkPolicy{}}
			var netRef types.ManagedObjectReference
			var hostRefs []types.ManagedObjectReference
			for i, h := range hosts {
				hs := simulator.Map.Get(h.Reference()).(*simulator.HostSystem)
				ns := simulator.Map.Get(*hs.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
				if i == 0 {
					ons := object.NewHostNetworkSystem(c, ns.Self)
					if err = ons.AddPortGroup(ctx, pgs); err != nil {
						return fmt.Errorf("-std-pg %s on %s: %v", p.name, hs.Name, err)
					}
					dcObj := simulator.Map.Get(dc.Reference()).(*simulator.Datacenter)
					folder := simulator.Map.Get(dcObj.NetworkFolder).(*simulator.Folder)
					netRef = simulator.Map.FindByName(p.name, folder.ChildEntity).Reference()
				} else {
					ns.NetworkInfo.Vswitch[0].Portgroup = append(ns.NetworkInfo.Vswitch[0].Portgroup, p.name)
					ns.NetworkInfo.Portgroup = append(ns.NetworkInfo.Portgroup, types.HostPortGroup{
						Key: "key-vim.host.PortGroup-" + p.name, Spec: pgs,
					})
				}
				hs.Config.Network.Portgroup = ns.NetworkInfo.Portgroup
				hs.Network = append(hs.Network, netRef)
				if cr, ok := simulator.Map.Get(*hs.Parent).(mo.Entity); ok {
					addComputeNetwork(cr, netRef)
				}
				hostRefs = append(hostRefs, hs.Self)
			}
			if n, ok := simulator.Map.Get(netRef).(*mo.Network); ok {
				n.Host = hostRefs
			}
		}
	}
	return nil
}

func addComputeNetwork(cr mo.Entity, ref types.ManagedObjectReference) {
	var nets *[]types.ManagedObjectReference
	switch x := cr.(type) {
	case *simulator.ClusterComputeResource:
		nets = &x.Network
	case *mo.ComputeResource:
		nets = &x.Network
	default:
		return
	}
	for _, n := range *nets {
		if n == ref {
			return
		}
	}
	*nets = append(*nets, ref)
}

// addTemplates creates powered-off VMs marked as templates, each with one vmxnet3 NIC and a thin disk, and
// the given vApp properties if any.
func addTemplates(ctx context.Context, c *vim25.Client, templates [][2]string, network string, vappProps []string) error {
	if len(templates) == 0 {
		return nil
	}
	finder := find.NewFinder(c, false)
	dc, err := finder.DatacenterList(ctx, "*")
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc[0])
	folders, err := dc[0].Folders(ctx)
	if err != nil {
		return err
	}
	var pool *object.ResourcePool
	if clusters, cerr := finder.ClusterComputeResourceList(ctx, "*"); cerr == nil && len(clusters) > 0 {
		pool, err = clusters[0].ResourcePool(ctx)
	} else if hosts, herr := finder.HostSystemList(ctx, "*"); herr == nil && len(hosts) > 0 {
		pool, err = hosts[0].ResourcePool(ctx)
	} else {
		err = fmt.Errorf("no cluster or host in %s", dc[0].Name())
	}
	if err != nil {
		return fmt.Errorf("no resource pool for the templates: %v", err)
	}
	ds, err := finder.Datastore(ctx, "LocalDS_0")
	if err != nil {
		return err
	}
	netw, err := finder.Network(ctx, network)
	if err != nil {
		return fmt.Errorf("-template-network %q: %v", network, err)
	}
	backing, err := netw.EthernetCardBackingInfo(ctx)
	if err != nil {
		return err
	}
	for _, t := range templates {
		name, guestID := t[0], t[1]
		var devices object.VirtualDeviceList
		scsi, _ := devices.CreateSCSIController("pvscsi")
		devices = append(devices, scsi)
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(), "[LocalDS_0] "+name+"/disk1.vmdk")
		disk.CapacityInKB = 16 * 1024 * 1024
		nic, nerr := devices.CreateEthernetCard("vmxnet3", backing)
		if nerr != nil {
			return nerr
		}
		devices = append(devices, disk, nic)
		config := types.VirtualMachineConfigSpec{
			Name:     name,
			GuestId:  guestID,
			NumCPUs:  2,
			MemoryMB: 2048,
			Files:    &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"},
		}
		config.DeviceChange, _ = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
		if len(vappProps) > 0 {
			vapp := &types.VmConfigSpec{
				OvfEnvironmentTransport: []string{"com.vmware.guestInfo"},
				Product:                 []types.VAppProductSpec{{Info: &types.VAppProductInfo{Key: 0, Name: name, Vendor: "guestnet.vsphere tests"}}},
			}
			vapp.Product[0].Operation = types.ArrayUpdateOperationAdd
			for i, id := range vappProps {
				ps := types.VAppPropertySpec{Info: &types.VAppPropertyInfo{
					Key: int32(i), Id: id, Label: id, Type: "string", UserConfigurable: types.NewBool(true),
				}}
				ps.Operation = types.ArrayUpdateOperationAdd
				vapp.Property = append(vapp.Property, ps)
			}
			config.VAppConfig = vapp
		}
		task, terr := folders.VmFolder.CreateVM(ctx, config, pool, nil)
		if terr != nil {
			return terr
		}
		info, terr := task.WaitForResult(ctx, nil)
		if terr != nil {
			return fmt.Errorf("template %s (%s): %v", name, guestID, terr)
		}
		ref := info.Result.(types.ManagedObjectReference)
		if config.VAppConfig != nil {
			svm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
			applyVApp(svm, &config)
		}
		vm := object.NewVirtualMachine(c, ref)
		if err = vm.MarkAsTemplate(ctx); err != nil {
			return err
		}
	}
	return nil
}
