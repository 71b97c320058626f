package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/examplefn"
)

// binDir holds the example functions, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(examplefn.Main(m, &binDir))
}

// example returns a function running the named example binary.
func example(name string, opts ...func(*Function)) Function {
	f := Function{Name: name, Command: []string{filepath.Join(binDir, name)}}
	for _, o := range opts {
		o(&f)
	}
	return f
}

func withTimeout(d time.Duration) func(*Function) { return func(f *Function) { f.Timeout = d } }
func withReserved(n int) func(*Function)          { return func(f *Function) { f.ReservedConcurrency = n } }
func withEnv(kv ...string) func(*Function) {
	return func(f *Function) {
		f.Env = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Env[kv[i]] = kv[i+1]
		}
	}
}

// syncBuffer collects the service's slog output; it is shown when a test fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func discardLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newService starts a service for fns and closes it when the test ends.
func newService(t *testing.T, cfg Config, fns ...Function) *Service {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(cfg, fns...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	return s
}

// invoke calls s.Invoke with a deadline and fails the test on a service error.
func invoke(t *testing.T, s *Service, name string, payload string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := s.Invoke(ctx, name, []byte(payload), InvokeOptions{})
	if err != nil {
		t.Fatalf("Invoke(%s): %v", name, err)
	}
	return res
}

// proxyResponse is the part of an API Gateway proxy response tests read.
type proxyResponse struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

func decodeProxy(t *testing.T, payload []byte, into any) proxyResponse {
	t.Helper()
	var pr proxyResponse
	if err := json.Unmarshal(payload, &pr); err != nil {
		t.Fatalf("payload %s: %v", payload, err)
	}
	if into != nil {
		if err := json.Unmarshal([]byte(pr.Body), into); err != nil {
			t.Fatalf("body %s: %v", pr.Body, err)
		}
	}
	return pr
}

func query(kv ...string) string {
	q := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		q[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(map[string]any{"httpMethod": "GET", "path": "/", "queryStringParameters": q})
	return string(b)
}

func hasLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func findLine(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// waitFor polls cond until it holds or the generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
