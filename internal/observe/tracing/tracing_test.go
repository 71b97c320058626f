package tracing

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/examplefn"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/openapi"
	rt "github.com/archway-gw/archway/internal/runtime"
)

var binDir string

func TestMain(m *testing.M) {
	os.Exit(examplefn.Main(m, &binDir, "hello"))
}

// receiver is a real OTLP/HTTP trace receiver: it decodes the protobuf
// export requests the SDK's exporter sends.
type receiver struct {
	mu      sync.Mutex
	spans   []*tracepb.Span
	headers http.Header
	url     string
}

func startReceiver(t *testing.T) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "unexpected "+req.URL.Path+" "+req.Header.Get("Content-Type"), http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var msg coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &msg); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.mu.Lock()
		r.headers = req.Header.Clone()
		for _, rs := range msg.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/v1/traces"
	return r
}

// trace returns the received spans of one trace, by name.
func (r *receiver) trace(tid []byte) map[string]*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*tracepb.Span{}
	for _, s := range r.spans {
		if bytes.Equal(s.TraceId, tid) {
			out[s.Name] = s
		}
	}
	return out
}

const definition = `openapi: 3.0.1
info: {title: tracing-api, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${backend}/pets"}
  /mapped:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: "${backend}/mapped"
        responses: {default: {statusCode: "200"}}
  /hello:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
`

type seen struct {
	mu   sync.Mutex
	last http.Header
}

func (s *seen) get() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// gatewayWith serves the definition with tracer (nil: tracing off).
func gatewayWith(t *testing.T, tracer *Tracer) (*gateway.Server, string, *seen) {
	t.Helper()
	sawBackend := &seen{}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawBackend.mu.Lock()
		sawBackend.last = r.Header.Clone()
		sawBackend.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(backend.Close)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := lambda.New(lambda.Config{Logger: logger}, lambda.Function{Name: "hello", Command: []string{filepath.Join(binDir, "hello")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	api, _, err := openapi.Import("tracing.yaml", []byte(definition), openapi.Options{Vars: map[string]string{"backend": backend.URL}})
	if err != nil {
		t.Fatal(err)
	}
	be := &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Lambda: svc}
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev", LoggingLevel: "ERROR"}}}}, be)
	if err != nil {
		t.Fatal(err)
	}
	gw := &gateway.Server{Logger: logger}
	gw.Swap(snap)
	if tracer != nil {
		gw.StartTrace = tracer.Start
		gw.OnRecord = tracer.Observe
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return gw, srv.URL, sawBackend
}

func call(t *testing.T, url string, headers ...string) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkPhases checks the phase spans of one request under its server span.
func checkPhases(t *testing.T, spans map[string]*tracepb.Span, integrationSpan []byte) {
	t.Helper()
	server := spans["GET "+strings.TrimPrefix(serverRoute(spans), "GET ")]
	if server == nil {
		t.Fatalf("no server span among %v", names(spans))
	}
	if server.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("server span kind %v", server.Kind)
	}
	for _, name := range []string{SpanMapping, SpanIntegration, SpanResponse} {
		s := spans[name]
		if s == nil {
			t.Fatalf("no %q span among %v", name, names(spans))
		}
		if !bytes.Equal(s.ParentSpanId, server.SpanId) {
			t.Errorf("%s span's parent %x, want the server span %x", name, s.ParentSpanId, server.SpanId)
		}
		if s.StartTimeUnixNano < server.StartTimeUnixNano || s.EndTimeUnixNano > server.EndTimeUnixNano || s.EndTimeUnixNano < s.StartTimeUnixNano {
			t.Errorf("%s span [%d,%d] outside the server span [%d,%d]", name, s.StartTimeUnixNano, s.EndTimeUnixNano, server.StartTimeUnixNano, server.EndTimeUnixNano)
		}
	}
	if in := spans[SpanIntegration]; !bytes.Equal(in.SpanId, integrationSpan) {
		t.Errorf("integration span id %x, but the backend was given parent %x", in.SpanId, integrationSpan)
	}
	if spans[SpanIntegration].Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("integration span kind %v", spans[SpanIntegration].Kind)
	}
	if spans[SpanMapping].EndTimeUnixNano > spans[SpanIntegration].StartTimeUnixNano || spans[SpanIntegration].EndTimeUnixNano > spans[SpanResponse].StartTimeUnixNano {
		t.Error("phases overlap: mapping, integration and response must follow each other")
	}
}

func serverRoute(spans map[string]*tracepb.Span) string {
	for n, s := range spans {
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
			return n
		}
	}
	return ""
}

func names(spans map[string]*tracepb.Span) []string {
	var out []string
	for n := range spans {
		out = append(out, n)
	}
	return out
}

func TestExportAndPropagation(t *testing.T) {
	recv := startReceiver(t)
	tracer, err := New(context.Background(), Config{Endpoint: recv.url, SampleRatio: 1, Headers: map[string]string{"X-Api-Key": "secret"}, BatchTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tracer.Shutdown(context.Background())
	gw, base, backend := gatewayWith(t, tracer)

	const clientTrace, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	call(t, base+"/dev/pets", "traceparent", "00-"+clientTrace+"-"+clientSpan+"-01")
	proxySaw := backend.get()
	call(t, base+"/dev/mapped", "X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	httpSaw := backend.get()
	var hello struct {
		TraceID string `json:"traceId"`
	}
	if err := json.Unmarshal([]byte(call(t, base+"/dev/hello")), &hello); err != nil {
		t.Fatal(err)
	}
	const unsampledTrace = "0af7651916cd43dd8448eb211c80319c"
	call(t, base+"/dev/pets", "traceparent", "00-"+unsampledTrace+"-b7ad6b7169203331-00")
	unsampledSaw := backend.get()
	gw.Close() // every record has reached the tracer
	if err := tracer.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}

	t.Run("continues the client's traceparent", func(t *testing.T) {
		tid, sid, sampled, ok := ParseTraceParent(proxySaw.Get("Traceparent"))
		if !ok || !sampled {
			t.Fatalf("backend saw traceparent %q", proxySaw.Get("Traceparent"))
		}
		if hex.EncodeToString(tid[:]) != clientTrace {
			t.Errorf("backend trace id %x, want the client's %s", tid, clientTrace)
		}
		spans := recv.trace(mustHex(t, clientTrace))
		checkPhases(t, spans, sid[:])
		server := spans["GET /pets"]
		if server == nil {
			t.Fatalf("no GET /pets span among %v", names(spans))
		}
		if hex.EncodeToString(server.ParentSpanId) != clientSpan {
			t.Errorf("server span's parent %x, want the client's span %s", server.ParentSpanId, clientSpan)
		}
		if want := AmznTraceID(tid, sid, true); proxySaw.Get("X-Amzn-Trace-Id") != want {
			t.Errorf("backend X-Amzn-Trace-Id %q, want %q", proxySaw.Get("X-Amzn-Trace-Id"), want)
		}
	})
	t.Run("continues an X-Amzn-Trace-Id", func(t *testing.T) {
		tid, sid, _, ok := ParseTraceParent(httpSaw.Get("Traceparent"))
		if !ok {
			t.Fatalf("backend saw traceparent %q", httpSaw.Get("Traceparent"))
		}
		if got := hex.EncodeToString(tid[:]); got != "5759e988bd862e3fe1be46a994272793" {
			t.Errorf("trace id %s, want the X-Ray root's", got)
		}
		spans := recv.trace(tid[:])
		checkPhases(t, spans, sid[:])
		if got := hex.EncodeToString(spans["GET /mapped"].ParentSpanId); got != "53995c3f42cd8ad8" {
			t.Errorf("server span's parent %s, want the X-Ray Parent", got)
		}
	})
	t.Run("reaches the Lambda function as _X_AMZN_TRACE_ID", func(t *testing.T) {
		tid, sid, sampled, known, ok := ParseAmznTraceID(hello.TraceID)
		if !ok || !known || !sampled {
			t.Fatalf("function saw _X_AMZN_TRACE_ID %q", hello.TraceID)
		}
		spans := recv.trace(tid[:])
		checkPhases(t, spans, sid[:])
		if s := spans["GET /hello"]; s == nil || len(s.ParentSpanId) != 0 {
			t.Errorf("a request without trace headers starts a root span; got %v", s)
		}
	})
	t.Run("an unsampled caller is propagated, not exported", func(t *testing.T) {
		tid, _, sampled, ok := ParseTraceParent(unsampledSaw.Get("Traceparent"))
		if !ok || sampled || hex.EncodeToString(tid[:]) != unsampledTrace {
			t.Errorf("backend saw traceparent %q, want the caller's trace, unsampled", unsampledSaw.Get("Traceparent"))
		}
		if spans := recv.trace(mustHex(t, unsampledTrace)); len(spans) != 0 {
			t.Errorf("exported %v for an unsampled trace", names(spans))
		}
	})
	t.Run("export headers", func(t *testing.T) {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		if recv.headers.Get("X-Api-Key") != "secret" {
			t.Errorf("export carried X-Api-Key %q", recv.headers.Get("X-Api-Key"))
		}
	})
}

func TestOffSendsNoTraceparent(t *testing.T) {
	_, base, backend := gatewayWith(t, nil)
	call(t, base+"/dev/pets", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	saw := backend.get()
	// AWS passes the client's headers through HTTP_PROXY; Archway adds none of its own.
	if got := saw.Get("Traceparent"); got != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Errorf("with tracing off the backend saw traceparent %q, want the client's unchanged", got)
	}
	if !strings.HasPrefix(saw.Get("X-Amzn-Trace-Id"), "Root=1-") || strings.Contains(saw.Get("X-Amzn-Trace-Id"), "Parent=") {
		t.Errorf("with tracing off X-Amzn-Trace-Id is %q, want a bare Root", saw.Get("X-Amzn-Trace-Id"))
	}
}

// TestAuthorizerAndFailureSpans builds spans from a record with access
// control that failed in the integration.
func TestAuthorizerAndFailureSpans(t *testing.T) {
	recv := startReceiver(t)
	tracer, err := New(context.Background(), Config{Endpoint: recv.url, SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tracer.Shutdown(context.Background())
	t0 := time.Unix(1_700_000_000, 0)
	rec := &exec.Record{Start: t0, AuthStart: t0.Add(time.Millisecond), AuthEnd: t0.Add(5 * time.Millisecond),
		IntegrationStart: t0.Add(6 * time.Millisecond), IntegrationEnd: t0.Add(30 * time.Millisecond), End: t0.Add(31 * time.Millisecond),
		HTTPMethod: "POST", ResourcePath: "/orders", Stage: "prod", Path: "/orders", Status: 504,
		Err: diag.New(diag.PhaseIntegration, diag.IntegrationTimeout, "")}
	req := httptest.NewRequest("POST", "/prod/orders", nil)
	tracer.Start(req, rec)
	tracer.ObserveRecord("api1", rec)
	if err := tracer.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := recv.trace(rec.Trace.TraceID[:])
	want := []struct {
		name       string
		start, end time.Duration
		failed     bool
	}{
		{"POST /orders", 0, 31 * time.Millisecond, true},
		{SpanAuthorizer, time.Millisecond, 5 * time.Millisecond, false},
		{SpanMapping, 5 * time.Millisecond, 6 * time.Millisecond, false},
		{SpanIntegration, 6 * time.Millisecond, 30 * time.Millisecond, true},
		{SpanResponse, 30 * time.Millisecond, 31 * time.Millisecond, false},
	}
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			s := spans[w.name]
			if s == nil {
				t.Fatalf("no span among %v", names(spans))
			}
			if got := time.Duration(s.StartTimeUnixNano - uint64(t0.UnixNano())); got != w.start {
				t.Errorf("start +%v, want +%v", got, w.start)
			}
			if got := time.Duration(s.EndTimeUnixNano - uint64(t0.UnixNano())); got != w.end {
				t.Errorf("end +%v, want +%v", got, w.end)
			}
			failed := s.Status != nil && s.Status.Code == tracepb.Status_STATUS_CODE_ERROR
			if failed != w.failed {
				t.Errorf("error status %v, want %v", failed, w.failed)
			}
			if failed && s.Status.Message != string(diag.IntegrationTimeout) {
				t.Errorf("status message %q, want the cause", s.Status.Message)
			}
		})
	}
}
