package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/limit"
	"github.com/archway-gw/archway/internal/gateway/limit/redislimit"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/usageplan"
	"github.com/archway-gw/archway/internal/keys"
	rt "github.com/archway-gw/archway/internal/runtime"
	"github.com/archway-gw/archway/internal/testredis"
)

// BenchmarkLimits compares HTTP_PROXY pass-through with the same route
// behind an API key, a usage plan (throttle and quota), a stage throttle
// and the account bucket, with each limiter backend, under concurrent
// load. The ratio of ns/op (pass-through ÷ limited) is the throughput
// ratio docs/limits.md reports.
func BenchmarkLimits(b *testing.B) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(origin.Close)
	api := func(keyRequired bool) *apigw.RestAPI {
		return &apigw.RestAPI{ID: "bench", Resources: []*apigw.Resource{{Path: "/{proxy+}", Methods: map[string]*apigw.Method{"ANY": {
			HTTPMethod: "ANY", APIKeyRequired: keyRequired,
			Integration: &apigw.Integration{Type: apigw.IntegrationHTTPProxy, HTTPMethod: "ANY", URI: origin.URL + "/{proxy}",
				RequestParameters: map[string]string{"integration.request.path.proxy": "method.request.path.proxy"}},
		}}}}}
	}
	const value = "bench-key-0123456789abcdef"
	dir := b.TempDir()
	ctx := context.Background()
	s, err := keys.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	k, _ := s.CreateKey(ctx, keys.NewKey{Value: value, Enabled: true})
	p, _ := s.CreatePlan(ctx, keys.UsagePlan{APIStages: []keys.APIStage{{APIID: "bench", Stage: "dev"}},
		Throttle: &keys.Throttle{RateLimit: 1e9, BurstLimit: 1 << 30}, Quota: &keys.Quota{Limit: 1 << 40, Period: "MONTH"}})
	s.AddKey(ctx, p.ID, k.ID)
	s.Close()

	serve := func(b *testing.B, a *apigw.RestAPI, be limit.Backend) *Server {
		backend := &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify}
		if be != nil {
			c := usageplan.New(usageplan.Config{Backend: be, Account: limit.Rate{PerSecond: 1e9, Burst: 1 << 30},
				Stages:    map[string]map[string]usageplan.Stage{"bench": {"dev": {Throttle: &keys.Throttle{RateLimit: 1e9, BurstLimit: 1 << 30}}}},
				OpenStore: func(ctx context.Context) (*keys.Store, error) { return keys.Open(ctx, dir) }})
			b.Cleanup(func() { c.Close() })
			backend.Limits = c
		}
		snap, _, err := rt.Compile([]rt.Input{{API: a, Stages: []apigw.Stage{{Name: "dev"}}}}, backend)
		if err != nil {
			b.Fatal(err)
		}
		srv := &Server{}
		srv.Swap(snap)
		b.Cleanup(srv.Close)
		return srv
	}
	// Throughput, not latency: 8 requests in flight per CPU, as a loaded
	// gateway has, so a Redis round trip overlaps with other requests.
	run := func(b *testing.B, srv *Server) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			req := httptest.NewRequest("GET", "/dev/items/42", nil)
			req.Header.Set("x-api-key", value)
			w := &discard{h: http.Header{}}
			for pb.Next() {
				clear(w.h)
				srv.ServeHTTP(w, req)
			}
		})
	}
	b.Run("passthrough", func(b *testing.B) { run(b, serve(b, api(false), nil)) })
	b.Run("memory", func(b *testing.B) { run(b, serve(b, api(true), limit.NewMemory())) })
	b.Run("redis", func(b *testing.B) {
		r := testredis.Start(b)
		run(b, serve(b, api(true), redislimit.New(redislimit.Options{Addr: r.Addr})))
	})
}
