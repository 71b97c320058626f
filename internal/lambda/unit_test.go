package lambda

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSplitFunctionName(t *testing.T) {
	tests := []struct{ in, name, qualifier string }{
		{"hello", "hello", ""},
		{"hello:$LATEST", "hello", "$LATEST"},
		{"123456789012:function:hello", "hello", ""},
		{"123456789012:function:hello:prod", "hello", "prod"},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello", "hello", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello:7", "hello", "7"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			name, q := SplitFunctionName(tc.in)
			if name != tc.name || q != tc.qualifier {
				t.Errorf("got %q %q, want %q %q", name, q, tc.name, tc.qualifier)
			}
		})
	}
}

func TestFunctionValidate(t *testing.T) {
	tests := []struct {
		name    string
		fn      Function
		wantErr string
	}{
		{"ok", Function{Name: "fn_1-a", Command: []string{"bootstrap"}}, ""},
		{"bad name", Function{Name: "a b", Command: []string{"x"}}, "name"},
		{"no command", Function{Name: "a"}, "command is required"},
		{"timeout too long", Function{Name: "a", Command: []string{"x"}, Timeout: 16 * time.Minute}, "timeout"},
		{"memory too small", Function{Name: "a", Command: []string{"x"}, MemoryMB: 64}, "memory"},
		{"negative concurrency", Function{Name: "a", Command: []string{"x"}, ReservedConcurrency: -1}, "reserved concurrency"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fn.Validate()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Validate() = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := New(Config{}, Function{Name: "a", Command: []string{"x"}}, Function{Name: "a", Command: []string{"y"}}); err == nil {
		t.Error("New accepted a function defined twice")
	}
}

func TestReportLine(t *testing.T) {
	tests := []struct {
		name string
		r    report
		want string
	}{
		{
			"warm",
			report{requestID: "id", duration: 1234567 * time.Nanosecond, memoryMB: 128, maxUsedMB: 20},
			"REPORT RequestId: id\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\t",
		},
		{
			"cold",
			report{requestID: "id", duration: 500 * time.Microsecond, initDuration: 85310 * time.Microsecond, memoryMB: 256, maxUsedMB: 31},
			"REPORT RequestId: id\tDuration: 0.50 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 31 MB\tInit Duration: 85.31 ms\t",
		},
		{
			"timeout",
			report{requestID: "id", duration: time.Second, memoryMB: 128, maxUsedMB: 9, status: "timeout"},
			"REPORT RequestId: id\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tStatus: timeout\t",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	at := time.Date(2019, 4, 30, 12, 27, 30, 624e6, time.UTC)
	if got, want := timeoutMessage(at, "9a7b", 3*time.Second), "2019-04-30T12:27:30.624Z 9a7b Task timed out after 3.00 seconds"; got != want {
		t.Errorf("timeoutMessage = %q, want %q", got, want)
	}
	if got, want := exitMessage("9a7b", nil), "RequestId: 9a7b Error: Runtime exited without providing a reason"; got != want {
		t.Errorf("exitMessage = %q, want %q", got, want)
	}
	if got, want := string(throttled(false).Body()), `{"Reason":"ConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`; got != want {
		t.Errorf("throttle body = %s, want %s", got, want)
	}
}

func TestLogFileDrain(t *testing.T) {
	lf, err := newLogFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lf.close()
	defer func() { _ = lf.w.Close() }()
	write := func(s string) {
		if _, err := io.WriteString(lf.w, s); err != nil {
			t.Fatal(err)
		}
	}
	write("one\ntw")
	if diff := cmp.Diff([]string{"one"}, lf.drain(false)); diff != "" {
		t.Errorf("first drain (-want +got):\n%s", diff)
	}
	write("o\r\nthree")
	if diff := cmp.Diff([]string{"two", "three"}, lf.drain(true)); diff != "" {
		t.Errorf("final drain (-want +got):\n%s", diff)
	}
	long := strings.Repeat("x", maxLineBytes+10)
	write(long + "\n")
	if got := lf.drain(false); len(got) != 2 || len(got[0]) != maxLineBytes || len(got[1]) != 10 {
		t.Errorf("a long line is split at %d bytes; got %d lines", maxLineBytes, len(got))
	}
}

func TestInvocationLogTail(t *testing.T) {
	l := InvocationLog{Lines: []string{"START", strings.Repeat("a", 5000), "END"}}
	tail := l.Tail(TailBytes)
	if len(tail) != TailBytes || !strings.HasSuffix(tail, "\nEND\n") {
		t.Errorf("tail: %d bytes, ends %q", len(tail), tail[len(tail)-10:])
	}
	b := lineBuffer{max: 2}
	b.add("1", "2", "3")
	if diff := cmp.Diff([]string{"2", "3"}, b.lines); diff != "" || b.dropped != 1 {
		t.Errorf("lineBuffer (-want +got):\n%s dropped %d", diff, b.dropped)
	}
}

// TestRuntimeAPIProtocol drives the Runtime API handlers for one sandbox
// directly: the request id check, the 202s and /init/error after init.
func TestRuntimeAPIProtocol(t *testing.T) {
	s := newService(t, Config{}, Function{Name: "f", Command: []string{"unused"}})
	sb := &sandbox{
		fn:      (*s.funcs.Load())["f"],
		invokes: make(chan *invocation),
		ready:   make(chan struct{}),
		initErr: make(chan []byte, 1),
		exited:  make(chan struct{}),
	}
	do := func(method, path, body string, header http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		req = req.WithContext(context.WithValue(req.Context(), sandboxKey{}, sb))
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}

	inv := &invocation{id: "req-1", arn: "arn:aws:lambda:us-east-1:000000000000:function:f", payload: []byte(`{"a":1}`),
		traceID: "Root=1-x", clientContext: `{"custom":{"k":"v"}}`, deadline: time.UnixMilli(1700000000123), done: make(chan struct{})}
	go func() { sb.invokes <- inv }()
	rec := do("GET", "/2018-06-01/runtime/invocation/next", "", nil)
	want := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "req-1",
		"Lambda-Runtime-Deadline-Ms":          "1700000000123",
		"Lambda-Runtime-Invoked-Function-Arn": inv.arn,
		"Lambda-Runtime-Trace-Id":             "Root=1-x",
		"Lambda-Runtime-Client-Context":       `{"custom":{"k":"v"}}`,
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("next: %s = %q, want %q", k, got, v)
		}
	}
	if rec.Code != 200 || rec.Body.String() != `{"a":1}` || !sb.isReady() {
		t.Errorf("next: %d %s ready %v", rec.Code, rec.Body, sb.isReady())
	}

	if rec := do("POST", "/2018-06-01/runtime/invocation/req-2/response", "{}", nil); rec.Code != 400 || !strings.Contains(rec.Body.String(), "InvalidRequestID") {
		t.Errorf("response for another id: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/2018-06-01/runtime/invocation/req-1/error", "not json", http.Header{"Lambda-Runtime-Function-Error-Type": {"Custom.Error"}}); rec.Code != 202 {
		t.Errorf("error: %d %s", rec.Code, rec.Body)
	}
	if got, want := string(inv.out.payload), `{"errorMessage":"not json","errorType":"Custom.Error"}`; got != want || inv.out.failure != FailureUnhandled {
		t.Errorf("outcome %s %q, want %s", got, inv.out.failure, want)
	}
	if rec := do("POST", "/2018-06-01/runtime/invocation/req-1/response", "{}", nil); rec.Code != 400 {
		t.Errorf("second answer to the same invocation: %d, want 400", rec.Code)
	}
	if rec := do("POST", "/2018-06-01/runtime/init/error", `{"errorMessage":"late","errorType":"X"}`, nil); rec.Code != 403 {
		t.Errorf("init/error after init: %d, want 403", rec.Code)
	}
	// Outside a sandbox connection the Runtime API does not exist.
	req := httptest.NewRequest("GET", "/2018-06-01/runtime/invocation/next", nil)
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 404 {
		t.Errorf("next outside a sandbox: %d, want 404", rec.Code)
	}
}
