package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// benchPetBody is the client's request body of the template benchmarks.
const benchPetBody = `{"name": "Rex", "type": "dog", "price": 249.99, "tags": ["good", "boy"]}`

// benchRequestTemplate reshapes the client body for the backend.
const benchRequestTemplate = `#set($pet = $input.path('$'))
{
  "name": "$util.escapeJavaScript($pet.name)",
  "kind": "$pet.type",
  "price": $pet.price,
  "tags": $input.json('$.tags'),
  "requestId": "$context.requestId",
  "source": "$input.params('source')"
}
`

// benchResponseTemplate wraps the backend's answer for the client.
const benchResponseTemplate = `{
  "pet": $input.json('$'),
  "stage": "$context.stage",
  "message": "created"
}
`

// rewindBody is a request body that can be replayed without allocating.
type rewindBody struct{ strings.Reader }

func (*rewindBody) Close() error { return nil }

// templatedRoute is POST /pets, HTTP (non-proxy) to origin; with templates
// it maps the request and the response, without them the bodies pass through.
func templatedRoute(origin string, templates bool) *apigw.RestAPI {
	in := &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "POST", URI: origin + "/pets",
		IntegrationResponses: []*apigw.IntegrationResponse{{Key: "default", StatusCode: "200"}}}
	if templates {
		in.RequestTemplates = map[string]string{"application/json": benchRequestTemplate}
		in.IntegrationResponses[0].ResponseTemplates = map[string]string{"application/json": benchResponseTemplate}
	}
	return &apigw.RestAPI{ID: "bench", Resources: []*apigw.Resource{{Path: "/pets", Methods: map[string]*apigw.Method{"POST": {
		HTTPMethod: "POST", MethodResponses: map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}}, Integration: in,
	}}}}}
}

// benchBackendBody is what the benchmark backend answers.
const benchBackendBody = `{"id": 7, "name": "Rex", "type": "dog", "price": 249.99}`

// benchOrigin starts the loopback backend of the template benchmarks: it
// reads the request body and answers answer.
func benchOrigin(b *testing.B, answer string) string {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	b.Cleanup(origin.Close)
	return origin.URL
}

// benchClient replays one client request through a server.
type benchClient struct {
	srv  *Server
	body *rewindBody
	sent string
	req  *http.Request
	w    *discard
}

func newBenchClient(b *testing.B, srv *Server, sent string) *benchClient {
	c := &benchClient{srv: srv, body: &rewindBody{}, sent: sent, w: &discard{h: http.Header{}}}
	c.req = httptest.NewRequest("POST", "/dev/pets?source=bench", c.body)
	c.req.Header.Set("Content-Type", "application/json")
	return c
}

func (c *benchClient) do() {
	c.body.Reset(c.sent)
	c.req.ContentLength = int64(len(c.sent))
	clear(c.w.h)
	c.srv.ServeHTTP(c.w, c.req)
}

func benchTemplatedRoute(b *testing.B, templates bool) {
	srv := benchServer(b, templatedRoute(benchOrigin(b, benchBackendBody), templates))
	c := newBenchClient(b, srv, benchPetBody)
	b.ReportAllocs()
	cpu0, n := processCPU(), 0
	for b.Loop() {
		c.do()
		n++
	}
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
}

// processCPU is the CPU time (user and system) the process has used so
// far: the gateway, the loopback backend and the client together. Per
// request it is what bounds a saturated gateway's throughput, and it is
// less sensitive than wall time to other work on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTemplatedSent and benchTemplatedAnswer are what the backend receives
// and the client gets on the templated route (but for the request ID, a
// UUID that differs per request and not in length).
var (
	benchTemplatedSent   = "{\n  \"name\": \"Rex\",\n  \"kind\": \"dog\",\n  \"price\": 249.99,\n  \"tags\": [\"good\",\"boy\"],\n  \"requestId\": \"c0ffee00-0000-4000-8000-000000000001\",\n  \"source\": \"bench\"\n}\n"
	benchTemplatedAnswer = "{\n  \"pet\": {\"id\":7,\"name\":\"Rex\",\"type\":\"dog\",\"price\":249.99},\n  \"stage\": \"dev\",\n  \"message\": \"created\"\n}\n"
)

// BenchmarkHTTPTemplatesRatio measures, in one run and interleaved request
// by request (so that the load of the shared machine falls on all alike),
// the templated route, the same route without templates, and that route
// again with the bytes of the templated one: the client sends what the
// request template makes and the backend answers what the response
// template makes. The last shows how much of the difference is only
// larger bodies. It reports each route's ns/op and the throughput ratio
// plain/templated (the target is at least 0.8).
func BenchmarkHTTPTemplatesRatio(b *testing.B) {
	clients := []*benchClient{
		newBenchClient(b, benchServer(b, templatedRoute(benchOrigin(b, benchBackendBody), true)), benchPetBody),
		newBenchClient(b, benchServer(b, templatedRoute(benchOrigin(b, benchBackendBody), false)), benchPetBody),
		newBenchClient(b, benchServer(b, templatedRoute(benchOrigin(b, benchTemplatedAnswer), false)), benchTemplatedSent),
	}
	var spent [3]time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for k := range clients {
			i := (n + k) % len(clients) // rotate who goes first
			t0 := time.Now()
			clients[i].do()
			spent[i] += time.Since(t0)
		}
		n++
	}
	per := func(i int) float64 { return float64(spent[i].Nanoseconds()) / float64(n) }
	b.ReportMetric(per(0), "templated-ns/op")
	b.ReportMetric(per(1), "plain-ns/op")
	b.ReportMetric(per(2), "plain-same-bytes-ns/op")
	b.ReportMetric(per(1)/per(0), "ratio")
	b.ReportMetric(per(2)/per(0), "ratio-same-bytes")
}

// BenchmarkHTTPTemplates is an HTTP (non-proxy) route with a request and a
// response template, to a real loopback backend.
func BenchmarkHTTPTemplates(b *testing.B) { benchTemplatedRoute(b, true) }

// BenchmarkHTTPNoTemplates is the same route without templates: the bodies
// pass through.
func BenchmarkHTTPNoTemplates(b *testing.B) { benchTemplatedRoute(b, false) }

// TestTemplatedRouteServes keeps the benchmark routes honest: both answer
// 200, and the templated one really renders both templates.
func TestTemplatedRouteServes(t *testing.T) {
	var seen string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		io.WriteString(w, `{"id": 7}`)
	}))
	defer origin.Close()
	for _, templates := range []bool{true, false} {
		t.Run(map[bool]string{true: "templates", false: "passthrough"}[templates], func(t *testing.T) {
			srv := &Server{}
			defer srv.Close()
			snap, _, err := rt.Compile([]rt.Input{{API: templatedRoute(origin.URL, templates), Stages: []apigw.Stage{{Name: "dev"}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
			if err != nil {
				t.Fatal(err)
			}
			srv.Swap(snap)
			req := httptest.NewRequest("POST", "/dev/pets?source=bench", strings.NewReader(benchPetBody))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			wantSent, wantBody := benchPetBody, `{"id": 7}`
			if templates {
				wantSent = "{\n  \"name\": \"Rex\",\n  \"kind\": \"dog\",\n  \"price\": 249.99,\n  \"tags\": [\"good\",\"boy\"],\n  \"requestId\": \"" + firstValue(w.Header()["x-amzn-RequestId"]) + "\",\n  \"source\": \"bench\"\n}\n"
				wantBody = "{\n  \"pet\": {\"id\":7},\n  \"stage\": \"dev\",\n  \"message\": \"created\"\n}\n"
			}
			if seen != wantSent {
				t.Errorf("backend received %q, want %q", seen, wantSent)
			}
			if w.Body.String() != wantBody {
				t.Errorf("client received %q, want %q", w.Body.String(), wantBody)
			}
		})
	}
}

func firstValue(vs []string) string {
	if len(vs) == 0 {
		return "<none>"
	}
	return vs[0]
}

// TestBenchSameBytes keeps BenchmarkHTTPTemplatesRatio's same-bytes route
// honest: its client body is what the templated route's backend receives
// (but for the request ID, a UUID of the same length), and its backend's
// answer is what the templated route's client gets.
func TestBenchSameBytes(t *testing.T) {
	var seen string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		io.WriteString(w, benchBackendBody)
	}))
	defer origin.Close()
	srv := &Server{}
	defer srv.Close()
	snap, _, err := rt.Compile([]rt.Input{{API: templatedRoute(origin.URL, true), Stages: []apigw.Stage{{Name: "dev"}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	srv.Swap(snap)
	req := httptest.NewRequest("POST", "/dev/pets?source=bench", strings.NewReader(benchPetBody))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	id := firstValue(w.Header()["x-amzn-RequestId"])
	if want := strings.Replace(benchTemplatedSent, "c0ffee00-0000-4000-8000-000000000001", id, 1); seen != want || len(id) != 36 {
		t.Errorf("backend received %q, want %q", seen, want)
	}
	if w.Body.String() != benchTemplatedAnswer {
		t.Errorf("client received %q, want %q", w.Body.String(), benchTemplatedAnswer)
	}
}
