//go:build linux

package testnet

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// UnansweredAddr returns a loopback address whose connection attempts hang:
// a listener with an accept backlog of 0 that never accepts, filled by one
// connection. Linux drops SYNs to a listener whose accept queue is full, so
// the next dial times out, deterministically and without any network.
func UnansweredAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatalf("syscall conn: %v", err)
	}
	var lerr error
	if err := raw.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), 0) }); err != nil || lerr != nil {
		t.Fatalf("shrink backlog: %v %v", err, lerr)
	}
	addr := ln.Addr().String()
	for range 8 {
		// A generous timeout to queue a connection, a short one to probe
		// whether the queue is full.
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("fill accept queue: %v", err)
		}
		t.Cleanup(func() { _ = c.Close() })
		probe, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr // the queue is full
		}
		_ = probe.Close()
	}
	t.Skip("accept queue never filled; cannot provoke a connect timeout here")
	return ""
}
