package e2e

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestTracingFromConfig serves with `tracing:` in archway.yaml, exporting to
// a real OTLP/HTTP receiver, and checks the spans of one request, flushed
// at shutdown.
func TestTracingFromConfig(t *testing.T) {
	var mu sync.Mutex
	var spans []*tracepb.Span
	var auth string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var msg coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &msg); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		auth = r.Header.Get("Authorization")
		for _, rs := range msg.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans = append(spans, ss.Spans...)
			}
		}
		mu.Unlock()
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	defer recv.Close()
	var sawParent string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sawParent = r.Header.Get("Traceparent")
		mu.Unlock()
		io.WriteString(w, `{}`)
	}))
	defer backend.Close()

	def := `openapi: 3.0.1
info: {title: traced, version: "1"}
paths:
  /pets:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "` + backend.URL + `/pets"}
`
	cfg := `apis:
  - definition: api.yaml
    stages: [{name: dev}]
tracing:
  endpoint: ` + recv.URL + `/v1/traces
  sampleRatio: 1
  headers: {Authorization: "Bearer otlp-key"}
`
	dir := configDir(t, def, cfg)
	p := serve(t, dir)
	const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	if r := do(t, "GET", p.base+"/dev/pets", "", "traceparent", "00-"+clientTrace+"-00f067aa0ba902b7-01"); r.status != 200 {
		t.Fatalf("GET /pets: %d %s", r.status, r.body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("archway did not stop on SIGTERM")
	}
	p.done <- nil // for the cleanup's wait

	mu.Lock()
	defer mu.Unlock()
	if !strings.HasPrefix(sawParent, "00-"+clientTrace+"-") {
		t.Errorf("backend saw traceparent %q, want the client's trace", sawParent)
	}
	if auth != "Bearer otlp-key" {
		t.Errorf("export Authorization %q", auth)
	}
	byName := map[string]*tracepb.Span{}
	for _, s := range spans {
		if hex.EncodeToString(s.TraceId) == clientTrace {
			byName[s.Name] = s
		}
	}
	for _, name := range []string{"GET /pets", "mapping", "integration", "response"} {
		if byName[name] == nil {
			t.Errorf("no %q span exported; got %d spans", name, len(spans))
		}
	}
	if in := byName["integration"]; in != nil && !strings.Contains(sawParent, hex.EncodeToString(in.SpanId)) {
		t.Errorf("backend's parent %q is not the integration span %x", sawParent, in.SpanId)
	}
}
