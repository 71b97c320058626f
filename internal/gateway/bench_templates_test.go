package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

func benchTemplatedRoute(b *testing.B, templates bool) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": 7, "name": "Rex", "type": "dog", "price": 249.99}`)
	}))
	b.Cleanup(origin.Close)
	srv := benchServer(b, templatedRoute(origin.URL, templates))
	body := &rewindBody{}
	req := httptest.NewRequest("POST", "/dev/pets?source=bench", body)
	req.Header.Set("Content-Type", "application/json")
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(benchPetBody)
		req.ContentLength = int64(len(benchPetBody))
		clear(w.h)
		srv.ServeHTTP(w, req)
	}
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
