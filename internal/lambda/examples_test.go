package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCRUDKeepsStateWhileWarm(t *testing.T) {
	s := newService(t, Config{}, example("crud"))
	steps := []struct {
		method, path, body string
		wantStatus         int
		wantBody           string
	}{
		{"GET", "/items/a", "", 404, `{"message":"no item a"}`},
		{"PUT", "/items/a", `{"n":1}`, 200, `{"n":1}`},
		{"POST", "/items/b", `{"n":2}`, 201, `{"n":2}`},
		{"GET", "/items/a", "", 200, `{"n":1}`},
		{"GET", "/items", "", 200, `{"a":{"n":1},"b":{"n":2}}`},
		{"PUT", "/items/c", `not json`, 400, `{"message":"body must be JSON"}`},
		{"DELETE", "/items/a", "", 204, ``},
		{"DELETE", "/items/a", "", 404, `{"message":"no item a"}`},
		{"PATCH", "/items/b", "", 405, `{"message":"method not allowed"}`},
		{"GET", "/other", "", 404, `{"message":"not found"}`},
	}
	for _, st := range steps {
		t.Run(st.method+" "+st.path, func(t *testing.T) {
			event, _ := json.Marshal(map[string]string{"httpMethod": st.method, "path": st.path, "body": st.body})
			res := invoke(t, s, "crud", string(event))
			pr := decodeProxy(t, res.Payload, nil)
			if pr.StatusCode != st.wantStatus || pr.Body != st.wantBody {
				t.Errorf("got %d %s, want %d %s", pr.StatusCode, pr.Body, st.wantStatus, st.wantBody)
			}
		})
	}
}

func TestMalformedIsPassedThrough(t *testing.T) {
	s := newService(t, Config{}, example("malformed"))
	tests := []struct{ kind, want string }{
		{"status", `{"body":"statusCode is not a number","statusCode":"abc"}`},
		{"key", `{"bodyy":"misspelled key","statusCode":200}`},
		{"headers", `{"multiValueHeaders":{"X-Single":"not-a-list"},"statusCode":200}`},
		{"notjson", `this is not JSON`},
		{"array", `[200,"not an object"]`},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			// Lambda returns what the function returned; judging it is the
			// AWS_PROXY integration's job.
			res := invoke(t, s, "malformed", query("kind", tc.kind))
			if res.FunctionError != "" || string(res.Payload) != tc.want {
				t.Errorf("got %s (function error %q), want %s", res.Payload, res.FunctionError, tc.want)
			}
		})
	}
}

func TestEventWaitsForConcurrency(t *testing.T) {
	s := newService(t, Config{}, example("slow", withReserved(1)))
	done := make(chan error, 1)
	go func() {
		_, err := s.Invoke(context.Background(), "slow", []byte(query("ms", "300")), InvokeOptions{})
		done <- err
	}()
	waitFor(t, "the first invocation to run", func() bool { st, _ := s.Stats("slow"); return st.Running == 1 })
	res, err := s.Invoke(context.Background(), "slow", []byte(query("ms", "0")), InvokeOptions{InvocationType: Event})
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("Event invoke: %+v, %v; want 202 even though the function is busy", res, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the queued Event invocation to run", func() bool {
		l, ok := s.InvocationLog("slow", res.RequestID)
		return ok && hasLine(l.Lines, "REPORT")
	})
}

// TestGoRunCommand runs a function as "go run": the process group is
// killed on Close, including the compiled binary go run started.
func TestGoRunCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a function")
	}
	s, err := New(Config{Logger: discardLogger()}, Function{Name: "hello", Command: []string{"go", "run", "./examples/functions/hello"}, Dir: "../.."})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := s.Invoke(ctx, "hello", []byte("{}"), InvokeOptions{})
	if err != nil || res.FunctionError != "" {
		t.Fatalf("Invoke: %+v, %v", res, err)
	}
	var h hello
	decodeProxy(t, res.Payload, &h)
	if h.Message != "Hello, world!" || !res.ColdStart {
		t.Errorf("result %+v, payload %s", res, res.Payload)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the go-run child to die", func() bool { return errors.Is(syscall.Kill(h.PID, 0), syscall.ESRCH) })
}

// TestEventRetries runs an Event invocation of a function that returns an
// error: Lambda's async queue tries it three times in all (two retries),
// with the same request id, then drops it.
func TestEventRetries(t *testing.T) {
	logs := &syncBuffer{}
	s := newService(t, Config{EventRetryDelay: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))}, example("panic"))
	res, err := s.Invoke(context.Background(), "panic", []byte(query("mode", "error")), InvokeOptions{InvocationType: Event})
	if err != nil || res.StatusCode != 202 || len(res.Payload) != 0 {
		t.Fatalf("Event invoke: %+v, %v; want 202 with no payload", res, err)
	}
	waitFor(t, "the event to be dropped after its retries", func() bool { return strings.Contains(logs.String(), "no retries left, dropped") })
	attempts := 0
	for _, l := range s.Logs("panic") {
		if l.RequestID == res.RequestID && hasLine(l.Lines, "REPORT") {
			attempts++
		}
	}
	if attempts != 3 {
		t.Errorf("%d attempts of request %s, want 3 (1 + 2 retries)\n%s", attempts, res.RequestID, logs.String())
	}
	if n := strings.Count(logs.String(), "retrying"); n != 2 {
		t.Errorf("%d retry lines, want 2", n)
	}
}

// TestEventSuccessIsNotRetried: a successful Event invocation runs once.
func TestEventSuccessIsNotRetried(t *testing.T) {
	s := newService(t, Config{EventRetryDelay: time.Millisecond}, example("hello"))
	res, err := s.Invoke(context.Background(), "hello", []byte(`{}`), InvokeOptions{InvocationType: Event})
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("Event invoke: %+v, %v", res, err)
	}
	waitFor(t, "the event to run", func() bool {
		l, ok := s.InvocationLog("hello", res.RequestID)
		return ok && hasLine(l.Lines, "REPORT")
	})
	if err := s.Close(); err != nil { // waits for the event goroutine to end
		t.Fatal(err)
	}
	n := 0
	for _, l := range s.Logs("hello") {
		if l.RequestID == res.RequestID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
}
