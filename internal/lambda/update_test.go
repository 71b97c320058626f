package lambda

import (
	"context"
	"errors"
	"syscall"
	"testing"
)

type slowRun struct {
	PID int `json:"pid"`
}

// TestUpdate reloads the function set while a changed function is busy:
// its in-flight invocation finishes on the old process, new invocations get
// a new process, the old process is stopped once drained; an unchanged
// function keeps its warm process; a removed one is gone (its process
// stopped) and a new one serves.
func TestUpdate(t *testing.T) {
	s := newService(t, Config{}, example("hello"), example("slow", withEnv("V", "1")), example("panic"))
	var h1 hello
	decodeProxy(t, invoke(t, s, "hello", "{}").Payload, &h1)
	// Warm up panic with an error (the process stays alive).
	if res := invoke(t, s, "panic", query("mode", "error")); res.FunctionError == "" {
		t.Fatal("panic did not fail")
	}
	panicPIDs := s.pids("panic")
	if len(panicPIDs) != 1 {
		t.Fatalf("panic has %d processes", len(panicPIDs))
	}

	inflight := make(chan *Result, 1)
	go func() {
		res, err := s.Invoke(context.Background(), "slow", []byte(query("ms", "600")), InvokeOptions{})
		if err != nil {
			t.Error(err)
		}
		inflight <- res
	}()
	waitFor(t, "the slow invocation to run", func() bool { st, _ := s.Stats("slow"); return st.Running == 1 })

	if err := s.Update(example("hello"), example("slow", withEnv("V", "2")), example("crud")); err != nil {
		t.Fatal(err)
	}
	// New invocations of the changed function start a new process at once.
	var fresh slowRun
	decodeProxy(t, invoke(t, s, "slow", query("ms", "0")).Payload, &fresh)

	res := <-inflight
	if res == nil || res.FunctionError != "" {
		t.Fatalf("the in-flight invocation did not finish: %+v", res)
	}
	var old slowRun
	decodeProxy(t, res.Payload, &old)
	if old.PID == fresh.PID {
		t.Errorf("the changed function reused process %d", old.PID)
	}
	waitFor(t, "the old slow process to stop", func() bool { return errors.Is(syscall.Kill(old.PID, 0), syscall.ESRCH) })
	if err := syscall.Kill(fresh.PID, 0); err != nil {
		t.Errorf("the new slow process %d is gone: %v", fresh.PID, err)
	}

	var h2 hello
	decodeProxy(t, invoke(t, s, "hello", "{}").Payload, &h2)
	if h2.PID != h1.PID {
		t.Errorf("unchanged hello moved from process %d to %d", h1.PID, h2.PID)
	}
	if _, err := s.Invoke(context.Background(), "panic", []byte("{}"), InvokeOptions{}); !errors.Is(err, ErrResourceNotFound) {
		t.Errorf("removed function: %v, want ResourceNotFoundException", err)
	}
	waitFor(t, "the removed function's process to stop", func() bool { return errors.Is(syscall.Kill(panicPIDs[0], 0), syscall.ESRCH) })
	if res := invoke(t, s, "crud", `{"httpMethod":"GET","path":"/items"}`); res.FunctionError != "" {
		t.Errorf("new function: %s", res.Payload)
	}
	if len(s.Logs("slow")) < 2 {
		t.Error("the changed function lost its log history")
	}

	// An invalid set changes nothing.
	if err := s.Update(example("hello"), Function{Name: "bad name"}); err == nil {
		t.Fatal("Update accepted an invalid function")
	}
	if _, ok := s.ARN("crud"); !ok {
		t.Error("a rejected update removed crud")
	}
}

// pids returns the process ids of the function's live processes.
func (s *Service) pids(name string) []int {
	f, ok := s.lookup(name)
	if !ok {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for sb := range f.all {
		out = append(out, sb.cmd.Process.Pid)
	}
	return out
}
