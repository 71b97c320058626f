package lambda

import (
	"sync"
	"sync/atomic"
	"time"
)

// function is a configured function with its pool of warm processes.
type function struct {
	Function
	arn         string
	initTimeout time.Duration

	// slots holds one token per running invocation. Reserved functions
	// have their own; unreserved ones share the service's.
	slots    chan struct{}
	reserved bool
	running  atomic.Int64 // invocations of this function now running

	logs *logRing

	mu     sync.Mutex
	idle   []*sandbox // most recently used last
	all    map[*sandbox]struct{}
	closed bool
}

// acquire takes a concurrency slot without waiting; false means throttled.
func (f *function) acquire() bool {
	select {
	case f.slots <- struct{}{}:
		f.running.Add(1)
		return true
	default:
		return false
	}
}

func (f *function) release() {
	f.running.Add(-1)
	<-f.slots
}

// Running returns the number of invocations of the function running now.
func (f *function) Running() int { return int(f.running.Load()) }

// register adds a new sandbox; false once the service is closed.
func (f *function) register(sb *sandbox) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.all[sb] = struct{}{}
	return true
}

func (f *function) unregister(sb *sandbox) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.all, sb)
}

// checkout returns the most recently used idle process that is still
// alive, or nil. Dead idle processes (a runtime that exits after
// reporting a panic) are disposed of on the way.
func (f *function) checkout() *sandbox {
	f.mu.Lock()
	var dead []*sandbox
	var found *sandbox
	for len(f.idle) > 0 {
		sb := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if sb.hasExited() {
			dead = append(dead, sb)
			continue
		}
		found = sb
		break
	}
	f.mu.Unlock()
	for _, sb := range dead {
		sb.dispose()
	}
	return found
}

// checkin returns a process that completed its invocation to the pool.
func (f *function) checkin(sb *sandbox) {
	f.mu.Lock()
	if !f.closed && !sb.hasExited() {
		f.idle = append(f.idle, sb)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	sb.dispose()
}

// idleCount returns the number of warm processes waiting in the pool.
func (f *function) idleCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.idle)
}

// close kills every process of the function. Busy ones are disposed of by
// the invocations that own them, which see them exit.
func (f *function) close() {
	f.mu.Lock()
	f.closed = true
	idle := f.idle
	f.idle = nil
	all := make([]*sandbox, 0, len(f.all))
	for sb := range f.all {
		all = append(all, sb)
	}
	f.mu.Unlock()
	for _, sb := range all {
		killTree(sb.cmd)
	}
	for _, sb := range idle {
		sb.dispose()
	}
}
