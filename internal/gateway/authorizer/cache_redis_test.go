package authorizer_test

import (
	"bytes"
	"fmt"
	"github.com/archway-gw/archway/internal/redisconn"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/diag"
	execlog "github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/authorizer/rediscache"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/openapi"
	"github.com/archway-gw/archway/internal/testredis"
)

// authCalls is how many times the authorizer function ran as the
// authorizer: every 200 of /cached also ran it once as the integration.
func authCalls(e *env, before, ok200 int) int {
	return e.calls.count("authorizer") - before - ok200
}

// TestRedisCacheShared: two gateways (each with its own Lambda service,
// as two nodes) share a result through one redis-server: the second does
// not invoke the function for an identity the first cached.
func TestRedisCacheShared(t *testing.T) {
	srv := testredis.Start(t)
	prefix := fmt.Sprintf("%s%d:", t.Name(), time.Now().UnixNano())
	node := func() *env {
		c := rediscache.New(rediscache.Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix}})
		return newEnvWith(t, apiYAML, &authorizer.Compiler{Cache: c})
	}
	a, b := node(), node()
	tests := []struct {
		name   string
		e      *env
		token  string
		method string
		status int
		ran    int
		cached bool
	}{
		{name: "node A invokes", e: a, token: "allow-all", method: "GET", status: 200, ran: 1},
		{name: "node B uses A's result", e: b, token: "allow-all", method: "GET", status: 200, cached: true},
		{name: "node B, another method, same policy", e: b, token: "allow-all", method: "POST", status: 200, cached: true},
		{name: "node B, another identity, invokes", e: b, token: "allow", method: "GET", status: 200, ran: 1},
		{name: "node A, B's policy denies POST", e: a, token: "allow", method: "POST", status: 403, cached: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.e.calls.count("authorizer")
			r := tc.e.do(t, tc.method, "/cached", map[string]string{"Authorization": tc.token})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			ok := 0
			if r.status == 200 {
				ok = 1
			}
			if got := authCalls(tc.e, before, ok); got != tc.ran {
				t.Errorf("authorizer invoked %d times, want %d", got, tc.ran)
			}
			if r.rec.Authorizer == nil || r.rec.Authorizer.Cached != tc.cached {
				t.Errorf("record: cached = %v, want %v", r.rec.Authorizer != nil && r.rec.Authorizer.Cached, tc.cached)
			}
		})
	}
}

// TestRedisCacheDown: with the cache's server gone every request is still
// decided, by invoking the function; each such request is counted as a
// fallback, its record says why, and the server log has one line per
// second at most, with the cause code.
func TestRedisCacheDown(t *testing.T) {
	srv := testredis.Start(t)
	if !srv.Started() {
		t.Skip("ARCHWAY_TEST_REDIS points at a server this test must not kill")
	}
	var logBuf lockedBuffer
	c := rediscache.New(rediscache.Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: t.Name() + ":"}})
	e := newEnvWith(t, apiYAML, &authorizer.Compiler{Cache: c, Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	srv.Kill()
	start := time.Now()
	const n = 4
	stats := authorizer.CacheStats()
	before := e.calls.count("authorizer")
	for i := 0; i < n; i++ {
		r := e.do(t, "GET", "/cached", map[string]string{"Authorization": "allow-all"})
		if r.status != 200 {
			t.Fatalf("request %d with the cache down: status %d, want 200: %s", i, r.status, r.body)
		}
		if !notesContain(r.rec.Authorizer.Notes, "the authorizer cache could not be read ("+string(diag.LimiterUnavailable)) {
			t.Errorf("request %d: record notes %q lack the cache failure", i, r.rec.Authorizer.Notes)
		}
	}
	elapsed := time.Since(start)
	if got := authCalls(e, before, n); got != n {
		t.Errorf("authorizer invoked %d times for %d requests with the cache down, want %d", got, n, n)
	}
	if got := authorizer.CacheStats().Fallbacks - stats.Fallbacks; got < n {
		t.Errorf("fallbacks counted %d, want at least %d", got, n)
	}
	lines := strings.Count(logBuf.String(), `"cause":"`+string(diag.LimiterUnavailable)+`"`)
	if lines < 1 || lines > 1+int(elapsed/time.Second) {
		t.Errorf("%d cache failure log lines in %s, want 1 per second at most:\n%s", lines, elapsed, logBuf.String())
	}
}

func notesContain(notes []string, s string) bool {
	for _, n := range notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCoalescing: concurrent requests that miss the cache for one
// identity invoke the function once, in process, and share its result or
// its failure. The function starts cold, so the requests overlap its
// first invocation.
func TestCoalescing(t *testing.T) {
	const n = 12
	tests := []struct {
		name   string
		token  string
		status int
		cause  diag.Cause
	}{
		{name: "allowed result shared", token: "allow-all", status: 200},
		{name: "timeout shared", token: "slow", status: 500, cause: diag.AuthorizerTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			stats := authorizer.CacheStats()
			release := make(chan struct{})
			var wg sync.WaitGroup
			statuses := make([]int, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, err := http.NewRequest("GET", e.srv.URL+"/dev/cached", nil)
					if err != nil {
						errs[i] = err
						return
					}
					req.Header.Set("Authorization", tc.token)
					<-release
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs[i] = err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				}()
			}
			close(release)
			wg.Wait()
			ok := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("request %d: %v", i, errs[i])
				}
				if statuses[i] != tc.status {
					t.Errorf("request %d: status %d, want %d", i, statuses[i], tc.status)
				}
				if statuses[i] == 200 {
					ok++
				}
			}
			if got := authCalls(e, 0, ok); got != 1 {
				t.Errorf("%d concurrent requests invoked the authorizer %d times, want 1", n, got)
			}
			st := authorizer.CacheStats()
			if got := st.Coalesced - stats.Coalesced + st.Hits - stats.Hits; got != n-1 {
				t.Errorf("coalesced + cache hits = %d, want %d", got, n-1)
			}
			if tc.cause != "" {
				e.mu.Lock()
				defer e.mu.Unlock()
				for _, rec := range e.records {
					if rec.Err == nil || rec.Err.Cause != tc.cause {
						t.Errorf("record %s: error %v, want cause %s", rec.RequestID, rec.Err, tc.cause)
					}
				}
			}
		})
	}
}

// BenchmarkCachedAuthorizerRedis is BenchmarkCachedAuthorizer with the
// result in a real redis-server on loopback: without a local copy (one GET
// and PTTL round trip and a JSON decode per request) and with one (as
// serve configures it: Redis is read once per node and TTL).
func BenchmarkCachedAuthorizerRedis(b *testing.B) {
	srv := testredis.Start(b)
	svc, err := lambda.New(lambda.Config{Logger: slog.New(slog.DiscardHandler)},
		lambda.Function{Name: "authorizer", Command: []string{filepath.Join(fnDir, "authorizer")}, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	api, _, err := openapi.Import("authz.yaml", []byte(apiYAML), openapi.Options{})
	if err != nil {
		b.Fatal(err)
	}
	api.ID = "authzapi"
	for _, bc := range []struct {
		name  string
		local int
	}{{"redis", 0}, {"redis+local", authorizer.DefaultCacheEntries}} {
		b.Run(bc.name, func(b *testing.B) {
			comp := &authorizer.Compiler{Backend: &pipeline.Backend{Lambda: svc},
				Cache: rediscache.New(rediscache.Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: b.Name() + ":"}, Local: bc.local})}
			defer comp.Close()
			var g pipeline.Checker
			for _, r := range api.Resources {
				if r.Path == "/cached" {
					g, _ = comp.Guard(api, "/cached", r.Methods["GET"])
				}
			}
			req := httptest.NewRequest("GET", "/dev/cached", nil)
			req.Header.Set("Authorization", "allow-all")
			stage := &pipeline.Stage{Name: "dev"}
			check := func() error {
				x := &pipeline.Exchange{Req: req, Rec: &execlog.Record{Path: "/cached"}, Stage: stage}
				return g.Check(b.Context(), x)
			}
			if err := check(); err != nil { // fills the cache
				b.Fatal(err)
			}
			before := authorizer.CacheStats().Hits
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := check(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if hits := authorizer.CacheStats().Hits - before; hits < uint64(b.N) {
				b.Fatalf("%d cache hits for %d checks", hits, b.N)
			}
		})
	}
}
