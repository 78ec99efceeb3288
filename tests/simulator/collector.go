// Copyright (c) 2026, guestnet.vsphere contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

package main

// Every session gets its own copy of the root PropertyCollector in govmomi 0.24's simulator, but each copy registers
// itself as a change listener under the root collector's reference, so the listeners replace one another: only the
// session that last started a WaitForUpdatesEx hears about changes, and every other waiting session starves until
// its maxWaitSeconds runs out. vCenter serves each session. sessionCollector restores that: after the simulator
// registers a session's collector, it moves the listener to a reference of its own, and the front drops it when
// the session logs out.

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// sessionCollector is the root PropertyCollector's type; the simulator copies a zero value of it per session.
type sessionCollector struct {
	simulator.PropertyCollector
}

// collectorListener forwards object changes to one session's collector under a reference of its own.
type collectorListener struct {
	ref types.ManagedObjectReference
	pc  *simulator.PropertyCollector
}

func (l *collectorListener) Reference() types.ManagedObjectReference { return l.ref }
func (l *collectorListener) PutObject(o mo.Reference)                { l.pc.PutObject(o) }
func (l *collectorListener) UpdateObject(o mo.Reference, changes []types.PropertyChange) {
	l.pc.UpdateObject(o, changes)
}
func (l *collectorListener) RemoveObject(ref types.ManagedObjectReference) { l.pc.RemoveObject(ref) }

var (
	// listenerMu serialises the register-then-move step, so the root reference never names the wrong session.
	listenerMu sync.Mutex
	listeners  = map[string]*collectorListener{} // session key -> listener
	listenerID int64
)

// WaitForUpdatesEx: a first call (version "") registers the listener; move it to this session's own reference.
func (c *sessionCollector) WaitForUpdatesEx(ctx *simulator.Context, r *types.WaitForUpdatesEx) soap.HasFault {
	if r.Version != "" || ctx.Session == nil {
		return c.PropertyCollector.WaitForUpdatesEx(ctx, r)
	}
	listenerMu.Lock()
	defer listenerMu.Unlock()
	result := c.PropertyCollector.WaitForUpdatesEx(ctx, r)
	ctx.Map.RemoveHandler(&c.PropertyCollector)
	key := ctx.Session.Key
	listener, ok := listeners[key]
	if !ok || listener.pc != &c.PropertyCollector {
		if ok {
			ctx.Map.RemoveHandler(listener)
		}
		ref := types.ManagedObjectReference{Type: "PropertyCollector",
			Value: fmt.Sprintf("session-collector-%d", atomic.AddInt64(&listenerID, 1))}
		listener = &collectorListener{ref: ref, pc: &c.PropertyCollector}
		listeners[key] = listener
	}
	ctx.Map.AddHandler(listener)
	return result
}

// installSessionCollectors replaces the root PropertyCollector with a sessionCollector (after model.Create).
func installSessionCollectors() {
	instance := types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}
	root := &sessionCollector{}
	root.Self = simulator.Map.Get(instance).(*simulator.ServiceInstance).Content.PropertyCollector
	simulator.Map.Put(root)
}

// dropSessionCollector forgets the listener of the session that sent r (called on Logout).
func dropSessionCollector(r *http.Request) {
	cookie, err := r.Cookie(soap.SessionCookieName)
	if err != nil {
		return
	}
	listenerMu.Lock()
	defer listenerMu.Unlock()
	if listener, ok := listeners[cookie.Value]; ok {
		simulator.Map.RemoveHandler(listener)
		delete(listeners, cookie.Value)
	}
}
