// Copyright (c) 2026, guestnet.vsphere contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

package main

// POST /_guest sets a VM's guest view as VMware Tools would report it: every NIC's addresses with their prefix
// lengths (guest.net[].ipConfig), DNS, routes (guest.ipStack), host name, primary IP and tools status.
// The SET.guest.* extraConfig keys of the simulator can only set guest.hostName, guest.ipAddress and the first
// NIC's address without prefix; this endpoint is what a guest emulator uses to report multi-NIC and IPv6 state.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type guestDNS struct {
	HostName      string   `json:"hostName"`
	DomainName    string   `json:"domainName"`
	Nameservers   []string `json:"nameservers"`
	SearchDomains []string `json:"searchDomains"`
}

type guestNIC struct {
	MacAddress  string    `json:"macAddress"`
	IpAddresses []string  `json:"ipAddresses"`
	Connected   *bool     `json:"connected"`
	DNS         *guestDNS `json:"dnsConfig"`
}

type guestRoute struct {
	To     string `json:"to"`
	Via    string `json:"via"`
	Device string `json:"device"`
}

type guestReport struct {
	VM           string       `json:"vm"`
	HostName     *string      `json:"hostName"`
	IpAddress    *string      `json:"ipAddress"`
	ToolsRunning *bool        `json:"toolsRunning"`
	Net          []guestNIC   `json:"net"`
	DNS          *guestDNS    `json:"dns"`
	Routes       []guestRoute `json:"routes"`
}

func findVM(id string) *simulator.VirtualMachine {
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		if vm.Self.Value == id || entityName(vm) == id {
			return vm
		}
	}
	return nil
}

func (d *guestDNS) info() *types.NetDnsConfigInfo {
	return &types.NetDnsConfigInfo{HostName: d.HostName, DomainName: d.DomainName, IpAddress: d.Nameservers, SearchDomain: d.SearchDomains}
}

func parseAddr(s string) (string, int32, error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return "", 0, fmt.Errorf("bad IP address %q", s)
		}
		if ip.To4() != nil {
			return ip.String(), 32, nil
		}
		return ip.String(), 128, nil
	}
	ip, ipnet, err := net.ParseCIDR(s)
	if err != nil {
		return "", 0, err
	}
	ones, _ := ipnet.Mask.Size()
	return ip.String(), int32(ones), nil
}

func (f *front) serveGuest(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST", http.StatusMethodNotAllowed)
		return
	}
	var rep guestReport
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		http.Error(w, "bad guest report: "+err.Error(), http.StatusBadRequest)
		return
	}
	vm := findVM(rep.VM)
	if vm == nil {
		http.Error(w, fmt.Sprintf("no VM %q", rep.VM), http.StatusNotFound)
		return
	}
	var err error
	simulator.Map.WithLock(vm, func() { err = applyGuest(vm, &rep) })
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"vm": vm.Self.Value})
}

func applyGuest(vm *simulator.VirtualMachine, rep *guestReport) error {
	var changes []types.PropertyChange
	primary := ""
	if rep.Net != nil {
		nics := append([]types.GuestNicInfo{}, vm.Guest.Net...)
		for _, n := range rep.Net {
			idx := -1
			for i := range nics {
				if strings.EqualFold(nics[i].MacAddress, n.MacAddress) {
					idx = i
				}
			}
			if idx < 0 {
				return fmt.Errorf("VM %s has no NIC with MAC %q in guest.net", vm.Name, n.MacAddress)
			}
			nic := &nics[idx]
			nic.IpAddress = nil
			nic.IpConfig = &types.NetIpConfigInfo{}
			for _, a := range n.IpAddresses {
				ip, plen, perr := parseAddr(a)
				if perr != nil {
					return perr
				}
				nic.IpAddress = append(nic.IpAddress, ip)
				nic.IpConfig.IpAddress = append(nic.IpConfig.IpAddress, types.NetIpConfigInfoIpAddress{
					IpAddress: ip, PrefixLength: plen, State: string(types.NetIpConfigInfoIpAddressStatusPreferred),
				})
				if primary == "" && net.ParseIP(ip).To4() != nil {
					primary = ip
				}
			}
			if n.Connected != nil {
				nic.Connected = *n.Connected
			}
			if n.DNS != nil {
				nic.DnsConfig = n.DNS.info()
			}
		}
		if primary == "" {
			for _, nic := range nics {
				if len(nic.IpAddress) > 0 {
					primary = nic.IpAddress[0]
					break
				}
			}
		}
		changes = append(changes, types.PropertyChange{Name: "guest.net", Val: nics})
	}
	if rep.IpAddress != nil {
		primary = *rep.IpAddress
	}
	if rep.Net != nil || rep.IpAddress != nil {
		changes = append(changes,
			types.PropertyChange{Name: "guest.ipAddress", Val: primary},
			types.PropertyChange{Name: "summary.guest.ipAddress", Val: primary})
	}
	if rep.HostName != nil {
		changes = append(changes,
			types.PropertyChange{Name: "guest.hostName", Val: *rep.HostName},
			types.PropertyChange{Name: "summary.guest.hostName", Val: *rep.HostName})
	}
	if rep.DNS != nil || rep.Routes != nil {
		stack := types.GuestStackInfo{}
		if rep.DNS != nil {
			stack.DnsConfig = rep.DNS.info()
		}
		if rep.Routes != nil {
			stack.IpRouteConfig = &types.NetIpRouteConfigInfo{}
			for _, rt := range rep.Routes {
				to := rt.To
				if to == "default" || to == "" {
					to = "0.0.0.0/0"
					if strings.Contains(rt.Via, ":") {
						to = "::/0"
					}
				}
				ip, plen, perr := parseAddr(to)
				if perr != nil {
					return perr
				}
				if !strings.Contains(to, "/") {
					plen = 32
					if strings.Contains(ip, ":") {
						plen = 128
					}
				}
				stack.IpRouteConfig.IpRoute = append(stack.IpRouteConfig.IpRoute, types.NetIpRouteConfigInfoIpRoute{
					Network: ip, PrefixLength: plen, Gateway: types.NetIpRouteConfigInfoGateway{IpAddress: rt.Via, Device: rt.Device},
				})
			}
		}
		changes = append(changes, types.PropertyChange{Name: "guest.ipStack", Val: []types.GuestStackInfo{stack}})
	}
	if rep.ToolsRunning != nil {
		running, status, state := "guestToolsNotRunning", types.VirtualMachineToolsStatusToolsNotRunning, "notRunning"
		if *rep.ToolsRunning {
			running, status, state = "guestToolsRunning", types.VirtualMachineToolsStatusToolsOk, "running"
		}
		changes = append(changes,
			types.PropertyChange{Name: "guest.toolsRunningStatus", Val: running},
			types.PropertyChange{Name: "guest.toolsStatus", Val: status},
			types.PropertyChange{Name: "guest.guestState", Val: state},
			types.PropertyChange{Name: "summary.guest.toolsRunningStatus", Val: running},
			types.PropertyChange{Name: "summary.guest.toolsStatus", Val: status})
	}
	if len(changes) > 0 {
		simulator.Map.Update(vm, changes)
	}
	return nil
}
