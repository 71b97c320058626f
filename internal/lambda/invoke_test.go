package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type hello struct {
	Message      string `json:"message"`
	Path         string `json:"path"`
	RequestID    string `json:"requestId"`
	FunctionARN  string `json:"functionArn"`
	FunctionName string `json:"functionName"`
	MemoryMB     int    `json:"memoryMB"`
	Env          string `json:"env"`
	TraceID      string `json:"traceId"`
	DeadlineMs   int64  `json:"deadlineMs"`
	PID          int    `json:"pid"`
}

func TestInvokeSuccess(t *testing.T) {
	s := newService(t, Config{Region: "eu-west-1", AccountID: "123456789012"},
		example("hello", withEnv("GREETING", "hi"), func(f *Function) { f.MemoryMB = 256 }, withTimeout(5*time.Second)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := time.Now()
	res, err := s.Invoke(ctx, "hello", []byte(`{"path":"/greet","queryStringParameters":{"name":"Archway"}}`),
		InvokeOptions{TraceID: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if res.FunctionError != "" || res.Failure != FailureNone || res.StatusCode != 200 {
		t.Fatalf("result = %+v, payload %s", res, res.Payload)
	}
	var h hello
	pr := decodeProxy(t, res.Payload, &h)
	if pr.StatusCode != 200 {
		t.Errorf("statusCode = %d, want 200", pr.StatusCode)
	}
	want := hello{
		Message:      "Hello, Archway!",
		Path:         "/greet",
		RequestID:    res.RequestID,
		FunctionARN:  "arn:aws:lambda:eu-west-1:123456789012:function:hello",
		FunctionName: "hello",
		MemoryMB:     256,
		Env:          "hi",
		TraceID:      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
	}
	got := h
	got.PID, got.DeadlineMs = 0, 0
	if got != want {
		t.Errorf("function saw %+v\nwant %+v", got, want)
	}
	// The deadline is the delivery time plus the 5 s timeout.
	if lo, hi := before.Add(5*time.Second).UnixMilli(), time.Now().Add(5*time.Second).UnixMilli(); h.DeadlineMs < lo || h.DeadlineMs > hi {
		t.Errorf("deadline %d not within [%d, %d]", h.DeadlineMs, lo, hi)
	}
	if !res.ColdStart || res.InitDuration <= 0 {
		t.Errorf("first invocation: ColdStart %v, InitDuration %v; want a cold start", res.ColdStart, res.InitDuration)
	}
	if res.ExecutedVersion != "$LATEST" {
		t.Errorf("ExecutedVersion = %q", res.ExecutedVersion)
	}
	if len(res.Log) < 3 || res.Log[0] != "START RequestId: "+res.RequestID+" Version: $LATEST" {
		t.Errorf("log does not start with START: %q", res.Log)
	}
	if n := len(res.Log); res.Log[n-2] != "END RequestId: "+res.RequestID {
		t.Errorf("END line = %q", res.Log[n-2])
	}
	report := regexp.MustCompile(`^REPORT RequestId: ` + res.RequestID +
		`\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t$`)
	if last := res.Log[len(res.Log)-1]; !report.MatchString(last) {
		t.Errorf("REPORT line = %q", last)
	}
	if res.MaxMemoryUsedMB <= 0 {
		t.Errorf("MaxMemoryUsedMB = %d, want > 0 (from /proc VmHWM)", res.MaxMemoryUsedMB)
	}
	if !strings.HasSuffix(res.LogTail, res.Log[len(res.Log)-1]+"\n") {
		t.Errorf("LogTail does not end with REPORT: %q", res.LogTail)
	}
	if l, ok := s.InvocationLog("hello", res.RequestID); !ok || len(l.Lines) != len(res.Log) {
		t.Errorf("InvocationLog = %+v, %v", l, ok)
	}
}

func TestColdThenWarm(t *testing.T) {
	s := newService(t, Config{}, example("hello"))
	first := invoke(t, s, "hello", query())
	second := invoke(t, s, "hello", query())
	var h1, h2 hello
	decodeProxy(t, first.Payload, &h1)
	decodeProxy(t, second.Payload, &h2)
	if !first.ColdStart || first.InitDuration == 0 || !hasLine(first.Log, "REPORT") || !strings.Contains(findLine(first.Log, "REPORT"), "Init Duration") {
		t.Errorf("first: ColdStart %v InitDuration %v REPORT %q", first.ColdStart, first.InitDuration, findLine(first.Log, "REPORT"))
	}
	if second.ColdStart || second.InitDuration != 0 || strings.Contains(findLine(second.Log, "REPORT"), "Init Duration") {
		t.Errorf("second: ColdStart %v InitDuration %v REPORT %q; want warm", second.ColdStart, second.InitDuration, findLine(second.Log, "REPORT"))
	}
	if h1.PID != h2.PID {
		t.Errorf("warm invocation ran in pid %d, the cold one in %d; want the same process", h2.PID, h1.PID)
	}
	if st, _ := s.Stats("hello"); st.Processes != 1 || st.Running != 0 {
		t.Errorf("Stats = %+v, want one idle process", st)
	}
}

func TestUnhandledError(t *testing.T) {
	tests := []struct {
		name        string
		payload     string
		wantType    string
		wantMessage string
		wantStack   bool
		warmAfter   bool // the process survives the error
	}{
		{"panic", query(), "string", "something went wrong: the handler panicked", true, false},
		{"returned error", query("mode", "error"), "errorString", "something went wrong: the handler returned an error", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, Config{}, example("panic"))
			res := invoke(t, s, "panic", tc.payload)
			if res.FunctionError != "Unhandled" || res.Failure != FailureUnhandled || res.StatusCode != 200 {
				t.Fatalf("result = %+v, payload %s", res, res.Payload)
			}
			var p map[string]json.RawMessage
			if err := json.Unmarshal(res.Payload, &p); err != nil {
				t.Fatalf("payload %s: %v", res.Payload, err)
			}
			var msg, typ string
			_ = json.Unmarshal(p["errorMessage"], &msg)
			_ = json.Unmarshal(p["errorType"], &typ)
			if msg != tc.wantMessage || typ != tc.wantType {
				t.Errorf("errorMessage %q errorType %q, want %q %q", msg, typ, tc.wantMessage, tc.wantType)
			}
			if _, ok := p["stackTrace"]; ok != tc.wantStack {
				t.Errorf("stackTrace present = %v, want %v (payload %s)", ok, tc.wantStack, res.Payload)
			}
			if !hasLine(res.Log, "START") || !hasLine(res.Log, "END") || !hasLine(res.Log, "REPORT") {
				t.Errorf("log lacks START/END/REPORT: %q", res.Log)
			}
			if !strings.Contains(strings.Join(res.Log, "\n"), "handling GET /") {
				t.Errorf("log lacks the function's own output: %q", res.Log)
			}
			// The next invocation works: in the same process after a
			// returned error, in a new one after a panic (the runtime exits).
			again := invoke(t, s, "panic", tc.payload)
			if again.FunctionError != "Unhandled" {
				t.Errorf("second invocation: %+v", again)
			}
			if again.ColdStart == tc.warmAfter {
				t.Errorf("second invocation ColdStart = %v, want %v", again.ColdStart, !tc.warmAfter)
			}
		})
	}
}

func TestTimeoutKillsAndRecovers(t *testing.T) {
	s := newService(t, Config{}, example("timeout", withTimeout(time.Second)))
	warm := invoke(t, s, "timeout", query("ms", "0"))
	var before struct{ PID int }
	decodeProxy(t, warm.Payload, &before)

	start := time.Now()
	res := invoke(t, s, "timeout", query())
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("timed-out invocation took %v", elapsed)
	}
	if res.FunctionError != "Unhandled" || res.Failure != FailureTimeout || res.ColdStart {
		t.Fatalf("result = %+v, payload %s", res, res.Payload)
	}
	p, ok := ParseFunctionError(res.Payload)
	want := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ` + res.RequestID + ` Task timed out after 1\.00 seconds$`)
	if !ok || !want.MatchString(p.ErrorMessage) {
		t.Errorf("payload %s, want errorMessage matching %s", res.Payload, want)
	}
	if rep := findLine(res.Log, "REPORT"); !strings.Contains(rep, "Status: timeout") {
		t.Errorf("REPORT = %q, want Status: timeout", rep)
	}
	if !hasLine(res.Log, p.ErrorMessage) {
		t.Errorf("log lacks the timeout line: %q", res.Log)
	}
	if err := syscall.Kill(before.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after the timeout (kill -0: %v)", before.PID, err)
	}

	next := invoke(t, s, "timeout", query("ms", "0"))
	var after struct{ PID int }
	decodeProxy(t, next.Payload, &after)
	if next.FunctionError != "" || !next.ColdStart || after.PID == before.PID {
		t.Errorf("after a timeout: %+v pid %d (was %d); want a new process", next, after.PID, before.PID)
	}
}

func TestCrashMidInvocation(t *testing.T) {
	s := newService(t, Config{}, example("crash"))
	ok := invoke(t, s, "crash", query("mode", "ok"))
	var before struct{ PID int }
	decodeProxy(t, ok.Payload, &before)

	res := invoke(t, s, "crash", query())
	want := `{"errorMessage":"RequestId: ` + res.RequestID + ` Error: Runtime exited with error: exit status 1","errorType":"Runtime.ExitError"}`
	if string(res.Payload) != want || res.FunctionError != "Unhandled" || res.Failure != FailureExit || res.ErrorType != "Runtime.ExitError" {
		t.Errorf("result = %+v\npayload %s\nwant    %s", res, res.Payload, want)
	}
	joined := strings.Join(res.Log, "\n")
	for _, line := range []string{"crashing mid-invocation", "RequestId: " + res.RequestID + " Error: Runtime exited with error: exit status 1", "Runtime.ExitError"} {
		if !strings.Contains(joined, line) {
			t.Errorf("log lacks %q:\n%s", line, joined)
		}
	}
	if rep := findLine(res.Log, "REPORT"); !strings.Contains(rep, "Status: error\tError Type: Runtime.ExitError") {
		t.Errorf("REPORT = %q", rep)
	}

	next := invoke(t, s, "crash", query("mode", "ok"))
	var after struct{ PID int }
	decodeProxy(t, next.Payload, &after)
	if next.FunctionError != "" || !next.ColdStart || after.PID == before.PID {
		t.Errorf("after a crash: %+v pid %d (was %d); want a restarted process", next, after.PID, before.PID)
	}
}

func TestInitFailure(t *testing.T) {
	tests := []struct {
		name        string
		fn          Function
		wantType    string
		wantMessage string // with {id} for the request id
		wantLog     string
	}{
		{
			name:        "exit before next",
			fn:          example("initfail"),
			wantType:    "Runtime.ExitError",
			wantMessage: "RequestId: {id} Error: Runtime exited with error: exit status 1",
			wantLog:     "initfail: REQUIRED_SETTING is not set",
		},
		{
			name:        "init error reported",
			fn:          example("initfail", withEnv("INITFAIL_MODE", "report")),
			wantType:    "InitConfigError",
			wantMessage: "initfail: REQUIRED_SETTING is not set",
			wantLog:     "initfail: REQUIRED_SETTING is not set",
		},
		{
			name:        "command not found",
			fn:          Function{Name: "initfail", Command: []string{"/nonexistent/bootstrap"}},
			wantType:    "Runtime.InvalidEntrypoint",
			wantMessage: "RequestId: {id} Error: start function initfail: fork/exec /nonexistent/bootstrap: no such file or directory",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, Config{}, tc.fn)
			res := invoke(t, s, "initfail", "{}")
			if res.FunctionError != "Unhandled" || res.Failure != FailureInit || !res.ColdStart {
				t.Fatalf("result = %+v, payload %s", res, res.Payload)
			}
			p, _ := ParseFunctionError(res.Payload)
			if wantMsg := strings.ReplaceAll(tc.wantMessage, "{id}", res.RequestID); p.ErrorType != tc.wantType || p.ErrorMessage != wantMsg {
				t.Errorf("payload %s, want errorType %q errorMessage %q", res.Payload, tc.wantType, wantMsg)
			}
			if !strings.Contains(findLine(res.Log, "INIT_REPORT"), "Phase: init\tStatus: error") {
				t.Errorf("INIT_REPORT = %q", findLine(res.Log, "INIT_REPORT"))
			}
			if tc.wantLog != "" && !strings.Contains(strings.Join(res.Log, "\n"), tc.wantLog) {
				t.Errorf("log lacks %q: %q", tc.wantLog, res.Log)
			}
			if st, _ := s.Stats("initfail"); st.Processes != 0 || st.Idle != 0 {
				t.Errorf("Stats = %+v, want no process left", st)
			}
		})
	}
	t.Run("succeeds once configured", func(t *testing.T) {
		s := newService(t, Config{}, example("initfail", withEnv("REQUIRED_SETTING", "yes")))
		if res := invoke(t, s, "initfail", "{}"); string(res.Payload) != `"initialized"` {
			t.Errorf("payload %s", res.Payload)
		}
	})
}

func TestThrottle(t *testing.T) {
	s := newService(t, Config{}, example("slow", withReserved(1)))
	done := make(chan *Result, 1)
	go func() {
		res, err := s.Invoke(context.Background(), "slow", []byte(query("ms", "1500")), InvokeOptions{})
		if err != nil {
			t.Errorf("first invoke: %v", err)
		}
		done <- res
	}()
	waitFor(t, "the first invocation to run", func() bool { st, _ := s.Stats("slow"); return st.Running == 1 })

	_, err := s.Invoke(context.Background(), "slow", []byte(query("ms", "0")), InvokeOptions{})
	var se *ServiceError
	if !errors.Is(err, ErrTooManyRequests) || !errors.As(err, &se) {
		t.Fatalf("second invoke: err = %v, want TooManyRequestsException", err)
	}
	if se.StatusCode != 429 || se.Message != "Rate Exceeded." || se.Reason != "ReservedFunctionConcurrentInvocationLimitExceeded" {
		t.Errorf("error = %+v", se)
	}
	if res := <-done; res == nil || res.FunctionError != "" {
		t.Errorf("first invocation: %+v", res)
	}
}

// TestReservedZero: a reserved concurrency of 0 throttles every
// invocation, as on AWS (the way to switch a function off), while an unset
// one is unreserved.
func TestReservedZero(t *testing.T) {
	off := example("hello")
	off.Reserved = true
	s := newService(t, Config{}, off)
	_, err := s.Invoke(context.Background(), "hello", []byte(`{}`), InvokeOptions{})
	var se *ServiceError
	if !errors.Is(err, ErrTooManyRequests) || !errors.As(err, &se) || se.Reason != "ReservedFunctionConcurrentInvocationLimitExceeded" {
		t.Fatalf("invoke with reserved concurrency 0: err = %v, want TooManyRequestsException", err)
	}
	on := newService(t, Config{}, example("hello"))
	if res := invoke(t, on, "hello", "{}"); res.FunctionError != "" {
		t.Errorf("unreserved function: %+v", res)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	const limit, calls = 5, 50
	s := newService(t, Config{}, example("slow", withReserved(limit)))
	type run struct {
		PID        int
		Start, End int64
	}
	var (
		mu        sync.Mutex
		runs      []run
		throttled int
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Invoke(ctx, "slow", []byte(query("ms", "200")), InvokeOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrTooManyRequests):
				throttled++
			case err != nil:
				t.Errorf("invoke: %v", err)
			case res.FunctionError != "":
				t.Errorf("function error: %s", res.Payload)
			default:
				var r run
				decodeProxy(t, res.Payload, &r)
				runs = append(runs, r)
			}
		}()
	}
	wg.Wait()
	if len(runs)+throttled != calls {
		t.Fatalf("%d succeeded + %d throttled != %d calls", len(runs), throttled, calls)
	}
	if len(runs) < limit {
		t.Errorf("%d succeeded, want at least %d", len(runs), limit)
	}
	// The function's own clocks: never more than limit ran at once.
	type edge struct {
		at    int64
		delta int
	}
	var edges []edge
	pids := map[int]bool{}
	for _, r := range runs {
		edges = append(edges, edge{r.Start, 1}, edge{r.End, -1})
		pids[r.PID] = true
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].delta < edges[j].delta
	})
	running, peak := 0, 0
	for _, e := range edges {
		running += e.delta
		peak = max(peak, running)
	}
	if peak > limit {
		t.Errorf("%d invocations ran at once, limit %d", peak, limit)
	}
	if len(pids) > limit {
		t.Errorf("%d processes served the function, limit %d", len(pids), limit)
	}
	if st, _ := s.Stats("slow"); st.Processes > limit || st.Running != 0 {
		t.Errorf("Stats = %+v", st)
	}
	t.Logf("%d succeeded, %d throttled, peak %d, %d processes", len(runs), throttled, peak, len(pids))
}

func TestInvokeRejections(t *testing.T) {
	s := newService(t, Config{}, example("hello"))
	tests := []struct {
		name    string
		fn      string
		payload string
		opts    InvokeOptions
		want    *ServiceError
		message string
	}{
		{"unknown function", "nope", "{}", InvokeOptions{}, ErrResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"},
		{"unknown qualifier", "hello", "{}", InvokeOptions{Qualifier: "prod"}, ErrResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello:prod"},
		{"payload not JSON", "hello", "{", InvokeOptions{}, ErrInvalidRequestContent, ""},
		{"bad invocation type", "hello", "{}", InvokeOptions{InvocationType: "Sometimes"}, ErrInvalidParameter, ""},
		{"event too large", "hello", `"` + strings.Repeat("x", MaxEventPayload) + `"`, InvokeOptions{InvocationType: Event}, ErrRequestTooLarge, "Request must be smaller than 262144 bytes for the InvokeAsync operation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Invoke(context.Background(), tc.fn, []byte(tc.payload), tc.opts)
			var se *ServiceError
			if !errors.Is(err, tc.want) || !errors.As(err, &se) {
				t.Fatalf("err = %v, want %s", err, tc.want.Type)
			}
			if tc.message != "" && se.Message != tc.message {
				t.Errorf("message = %q, want %q", se.Message, tc.message)
			}
		})
	}
	if st, _ := s.Stats("hello"); st.Processes != 0 {
		t.Errorf("a rejected invoke started a process: %+v", st)
	}
}

func TestInvokeByARN(t *testing.T) {
	s := newService(t, Config{}, example("hello"))
	for _, name := range []string{"arn:aws:lambda:us-east-1:000000000000:function:hello", "000000000000:function:hello:$LATEST", "hello:$LATEST"} {
		if res := invoke(t, s, name, "{}"); res.FunctionError != "" {
			t.Errorf("%s: %+v", name, res)
		}
	}
}

func TestCallerGivesUp(t *testing.T) {
	s := newService(t, Config{}, example("slow"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Invoke(ctx, "slow", []byte(query("ms", "300")), InvokeOptions{RequestID: "11111111-2222-4333-8444-555555555555"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "11111111-2222-4333-8444-555555555555") {
		t.Fatalf("err = %v", err)
	}
	// The invocation runs on, as in Lambda, and its log is kept.
	waitFor(t, "the abandoned invocation to finish", func() bool {
		_, ok := s.InvocationLog("slow", "11111111-2222-4333-8444-555555555555")
		return ok
	})
}

func TestSequentialInvokesAreNeverThrottled(t *testing.T) {
	s := newService(t, Config{}, example("hello", withReserved(1)))
	for i := range 20 {
		if res := invoke(t, s, "hello", "{}"); res.FunctionError != "" || (i > 0 && res.ColdStart) {
			t.Fatalf("invocation %d: %+v", i, res)
		}
	}
}
