package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// the gateway rather than a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func benchServer(b *testing.B, api *apigw.RestAPI) *Server {
	b.Helper()
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev"}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
	if err != nil {
		b.Fatal(err)
	}
	srv := &Server{}
	srv.Swap(snap)
	b.Cleanup(srv.Close)
	return srv
}

func runBench(b *testing.B, srv *Server, path string) {
	req := httptest.NewRequest("GET", path, nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		srv.ServeHTTP(w, req)
	}
}

// BenchmarkPipelineProxy is HTTP_PROXY on {proxy+} to a real loopback origin.
func BenchmarkPipelineProxy(b *testing.B) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(origin.Close)
	api := &apigw.RestAPI{ID: "bench", Resources: []*apigw.Resource{{Path: "/{proxy+}", Methods: map[string]*apigw.Method{"ANY": {
		Integration: &apigw.Integration{Type: apigw.IntegrationHTTPProxy, HTTPMethod: "ANY", URI: origin.URL + "/{proxy}",
			RequestParameters: map[string]string{"integration.request.path.proxy": "method.request.path.proxy"}},
	}}}}}
	runBench(b, benchServer(b, api), "/dev/items/42?x=1")
}

// BenchmarkPipelineMock is a MOCK integration with a static template: the
// gateway's own floor.
func BenchmarkPipelineMock(b *testing.B) {
	api := &apigw.RestAPI{ID: "bench", Resources: []*apigw.Resource{{Path: "/ping", Methods: map[string]*apigw.Method{"GET": mock("200", "200")}}}}
	runBench(b, benchServer(b, api), "/dev/ping")
}

// BenchmarkNotFound is the 403 Missing Authentication Token path.
func BenchmarkNotFound(b *testing.B) {
	api := &apigw.RestAPI{ID: "bench", Resources: []*apigw.Resource{{Path: "/ping", Methods: map[string]*apigw.Method{"GET": mock("200", "200")}}}}
	runBench(b, benchServer(b, api), "/dev/nothing")
}
