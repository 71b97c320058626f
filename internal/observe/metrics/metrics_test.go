package metrics

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

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

// binDir holds the example Lambda functions, built once.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(examplefn.Main(m, &binDir, "hello", "panic", "slow"))
}

const definition = `openapi: 3.0.1
info: {title: metrics-api, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${backend}/ok"}
  /boom:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${backend}/boom"}
  /refused:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${refused}/"}
  /items/{id}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: ANY, uri: "${backend}/ok"}
  /hello:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
  /panic:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:panic/invocations
`

// fixture is a gateway on a real listener in front of a real backend and
// the local Lambda service running the example functions.
type fixture struct {
	gw      *gateway.Server
	base    string
	metrics *Metrics
	lambda  *lambda.Service
}

func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(backend.Close)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &fixture{gw: &gateway.Server{Logger: logger}}
	f.metrics = New(Options{Snapshot: func() *rt.Snapshot { return f.gw.Snapshot() }})
	svc, err := lambda.New(lambda.Config{Logger: logger, Observer: f.metrics},
		lambda.Function{Name: "hello", Command: []string{filepath.Join(binDir, "hello")}},
		lambda.Function{Name: "panic", Command: []string{filepath.Join(binDir, "panic")}},
		lambda.Function{Name: "slow", Command: []string{filepath.Join(binDir, "slow")}, ReservedConcurrency: 1, Env: map[string]string{"SLOW_MS": "400"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	f.lambda = svc
	f.metrics.WatchLambda(svc)
	api, _, err := openapi.Import("metrics.yaml", []byte(definition), openapi.Options{Vars: map[string]string{"backend": backend.URL, "refused": refusedAddr(t)}})
	if err != nil {
		t.Fatal(err)
	}
	be := &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Lambda: svc}
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev", LoggingLevel: "ERROR"}}}}, be)
	if err != nil {
		t.Fatal(err)
	}
	f.gw.Swap(snap)
	f.gw.OnRecord = f.metrics.Observe
	srv := httptest.NewServer(f.gw)
	t.Cleanup(srv.Close)
	f.base = srv.URL
	return f
}

func (f *fixture) get(t *testing.T, method, path string) int {
	t.Helper()
	req, err := http.NewRequest(method, f.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// scrape reads /metrics over HTTP and parses it.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value finds the sample of fam with exactly the given labels: a counter
// or gauge value, or a histogram's sample count. ok is false when absent.
func value(fams map[string]*dto.MetricFamily, fam string, labels map[string]string) (float64, bool) {
	mf := fams[fam]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		if len(m.Label) != len(labels) {
			continue
		}
		for _, l := range m.Label {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func method(api, stage, m, res string, extra ...string) map[string]string {
	l := map[string]string{LabelAPIName: api, LabelStage: stage, LabelMethod: m, LabelResource: res}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func TestScrapeCountsAfterKnownRequests(t *testing.T) {
	f := newFixture(t)
	steps := []struct {
		method, path string
		times        int
		status       int
	}{
		{"GET", "/dev/pets", 3, 200},
		{"GET", "/dev/nope", 2, 403},       // ROUTE_NOT_FOUND
		{"GET", "/other/pets", 1, 403},     // STAGE_NOT_FOUND: no stage label
		{"GET", "/dev/boom", 1, 503},       // the backend's own 503: no cause
		{"GET", "/dev/refused", 2, 500},    // UPSTREAM_CONNECT_REFUSED
		{"GET", "/dev/hello", 1, 200},      // one Lambda invocation
		{"GET", "/dev/panic", 1, 502},      // a Lambda function error
		{"DELETE", "/dev/items/7", 1, 200}, // an ANY method
	}
	for _, s := range steps {
		for i := 0; i < s.times; i++ {
			if got := f.get(t, s.method, s.path); got != s.status {
				t.Fatalf("%s %s: status %d, want %d", s.method, s.path, got, s.status)
			}
		}
	}
	f.gw.Close() // flushes the record sink: every record has been observed
	fams := scrape(t, f.metrics.Handler())

	const api = "metrics-api"
	want := []struct {
		name   string
		fam    string
		labels map[string]string
		value  float64
	}{
		{"pets count", "archway_count_total", method(api, "dev", "GET", "/pets"), 3},
		{"pets latency samples", "archway_latency_milliseconds", method(api, "dev", "GET", "/pets"), 3},
		{"pets integration latency samples", "archway_integration_latency_milliseconds", method(api, "dev", "GET", "/pets"), 3},
		{"unrouted count", "archway_count_total", method(api, "dev", "", ""), 2},
		{"unrouted 4xx by cause", "archway_4xx_error_total", method(api, "dev", "", "", LabelCause, "ROUTE_NOT_FOUND"), 2},
		{"unknown stage count", "archway_count_total", method(api, "", "", ""), 1},
		{"unknown stage 4xx", "archway_4xx_error_total", method(api, "", "", "", LabelCause, "STAGE_NOT_FOUND"), 1},
		{"backend 5xx without cause", "archway_5xx_error_total", method(api, "dev", "GET", "/boom", LabelCause, NoCause), 1},
		{"refused 5xx by cause", "archway_5xx_error_total", method(api, "dev", "GET", "/refused", LabelCause, "UPSTREAM_CONNECT_REFUSED"), 2},
		{"hello count", "archway_count_total", method(api, "dev", "GET", "/hello"), 1},
		{"panic 5xx", "archway_5xx_error_total", method(api, "dev", "GET", "/panic", LabelCause, "LAMBDA_UNHANDLED_ERROR"), 1},
		{"ANY method label", "archway_count_total", method(api, "dev", "ANY", "/items/{id}"), 1},
		{"no throttles", "archway_throttle_count_total", method(api, "dev", "GET", "/pets"), 0},
		{"no cache hits", "archway_cache_hit_count_total", method(api, "dev", "GET", "/pets"), 0},
		{"hello invocations", "archway_lambda_invocations_total", map[string]string{LabelFunction: "hello"}, 1},
		{"hello errors", "archway_lambda_errors_total", map[string]string{LabelFunction: "hello"}, 0},
		{"hello duration samples", "archway_lambda_duration_milliseconds", map[string]string{LabelFunction: "hello"}, 1},
		{"panic invocations", "archway_lambda_invocations_total", map[string]string{LabelFunction: "panic"}, 1},
		{"panic errors", "archway_lambda_errors_total", map[string]string{LabelFunction: "panic"}, 1},
		{"hello not running", "archway_lambda_concurrent_executions", map[string]string{LabelFunction: "hello"}, 0},
	}
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			got, ok := value(fams, w.fam, w.labels)
			if !ok {
				t.Fatalf("%s%v: no such series", w.fam, w.labels)
			}
			if got != w.value {
				t.Errorf("%s%v = %v, want %v", w.fam, w.labels, got, w.value)
			}
		})
	}
	t.Run("no series for requests that did not happen", func(t *testing.T) {
		if _, ok := value(fams, "archway_4xx_error_total", method(api, "dev", "GET", "/pets", LabelCause, NoCause)); ok {
			t.Error("a 4xx series exists for /pets, which only answered 200")
		}
	})
	t.Run("total count equals requests sent", func(t *testing.T) {
		total := 0.0
		for _, m := range fams["archway_count_total"].Metric {
			total += m.Counter.GetValue()
		}
		sent := 0
		for _, s := range steps {
			sent += s.times
		}
		if total != float64(sent) {
			t.Errorf("sum of archway_count_total = %v, sent %d", total, sent)
		}
	})
}

func TestLambdaThrottlesAndConcurrency(t *testing.T) {
	f := newFixture(t)
	done := make(chan error, 1)
	go func() {
		_, err := f.lambda.Invoke(context.Background(), "slow", []byte(`{"queryStringParameters":{"ms":"2000"}}`), lambda.InvokeOptions{})
		done <- err
	}()
	// Wait until the first invocation holds the only slot (a state, not a time).
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _ := f.lambda.Stats("slow")
		if st.Running == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow invocation never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fams := scrape(t, f.metrics.Handler())
	if got, _ := value(fams, "archway_lambda_concurrent_executions", map[string]string{LabelFunction: "slow"}); got != 1 {
		t.Errorf("concurrent executions while running = %v, want 1", got)
	}
	_, err := f.lambda.Invoke(context.Background(), "slow", nil, lambda.InvokeOptions{})
	if err == nil || !strings.Contains(err.Error(), "TooManyRequests") {
		t.Fatalf("second invoke: err %v, want a TooManyRequests throttle", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	fams = scrape(t, f.metrics.Handler())
	for _, c := range []struct {
		fam  string
		want float64
	}{
		{"archway_lambda_throttles_total", 1},
		{"archway_lambda_invocations_total", 1},
		{"archway_lambda_errors_total", 0},
		{"archway_lambda_concurrent_executions", 0},
	} {
		if got, _ := value(fams, c.fam, map[string]string{LabelFunction: "slow"}); got != c.want {
			t.Errorf("%s{slow} = %v, want %v", c.fam, got, c.want)
		}
	}
}

// TestThrottleCountFollowsResponseType observes one failure of every cause
// in the catalog: ThrottleCount counts exactly the causes answered with the
// THROTTLED or QUOTA_EXCEEDED gateway response.
func TestThrottleCountFollowsResponseType(t *testing.T) {
	m := New(Options{})
	st := &rt.Stage{Stage: pipeline.Stage{Name: "dev"}}
	want := 0.0
	start := time.Now()
	for _, info := range diag.Catalog() {
		status := 500
		if info.ResponseType == apigw.Throttled || info.ResponseType == apigw.QuotaExceeded {
			status = 429
			want++
		}
		m.ObserveRecord("api", st, &exec.Record{Start: start, End: start, HTTPMethod: "GET", ResourcePath: "/r", Status: status,
			Err: diag.New(diag.PhaseMethodRequest, info.Cause, "")})
	}
	if want == 0 {
		t.Skip("the catalog has no throttling cause yet")
	}
	fams := scrape(t, m.Handler())
	if got, _ := value(fams, "archway_throttle_count_total", method("api", "dev", "GET", "/r")); got != want {
		t.Errorf("throttle count = %v, want %v", got, want)
	}
	if got, _ := value(fams, "archway_count_total", method("api", "dev", "GET", "/r")); got != float64(len(diag.Catalog())) {
		t.Errorf("count = %v, want %d", got, len(diag.Catalog()))
	}
}
