package store_test

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/openapi"
	rt "github.com/archway-gw/archway/internal/runtime"
	"github.com/archway-gw/archway/internal/store"
	"github.com/archway-gw/archway/internal/store/postgres"
	"github.com/archway-gw/archway/internal/store/sqlite"
	"github.com/archway-gw/archway/internal/testpg"
)

// BenchmarkEnqueue measures what the gateway's record sink pays per
// request (a real SQLite backend behind, held locked so that the writer
// stays out of the measurement):
//
//   - mix: one request in ten an error, successes sampled at 10%;
//   - queued: every record kept and queued (the queue holds b.N records,
//     up to 1<<20; run with -benchtime 100000x);
//   - full: the queue is full, the record is dropped and counted.
func BenchmarkEnqueue(b *testing.B) {
	ok := &exec.Record{RequestID: "ok", Status: 200, Start: time.Now(), End: time.Now(), ResponseBody: make([]byte, 4096)}
	fail := &exec.Record{RequestID: "fail", Status: 500, Start: time.Now(), End: time.Now(), Err: diag.New(diag.PhaseIntegration, diag.InternalError, "x")}
	cases := []struct {
		name  string
		rate  float64
		queue func(n int) int
		rec   func(i int) *exec.Record
	}{
		{"mix", 0.1, func(n int) int { return min(n+1, 1<<20) }, func(i int) *exec.Record {
			if i%10 == 0 {
				return fail
			}
			return ok
		}},
		{"queued", 1, func(n int) int { return min(n+1, 1<<20) }, func(int) *exec.Record { return ok }},
		{"full", 1, func(int) int { return 1 }, func(int) *exec.Record { return ok }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "requests.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			// The writer waits on a locked database, so that neither its
			// CPU nor its allocations are counted against Enqueue.
			release := holdLock(b, s.DB(), "BEGIN IMMEDIATE")
			defer release()
			rec := store.NewRecorder(s, store.Options{SampleRate: rate(tc.rate), QueueSize: tc.queue(b.N), Logger: quietLogger()})
			if tc.name == "full" {
				for rec.Enqueue(store.Entry{Rec: ok}) {
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec.Enqueue(store.Entry{Rec: tc.rec(i), APIID: "a"})
			}
			b.StopTimer()
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // abandon the writes: only Enqueue is measured
			rec.Close(ctx)
		})
	}
}

// BenchmarkWrite measures batch write throughput per backend (500-record
// transactions, as the recorder writes them).
func BenchmarkWrite(b *testing.B) {
	open := map[string]func(b *testing.B) *store.SQL{
		"sqlite": func(b *testing.B) *store.SQL {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "requests.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) *store.SQL {
			srv := testpg.Start(b)
			s, err := postgres.Open(context.Background(), srv.NewDB(b))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := open[name](b)
			defer s.Close()
			// As the recorder writes them: times ascending, random UUIDs.
			batch := dataset(500, 9)
			b.ResetTimer()
			n := 0
			for b.Loop() {
				for i := range batch {
					batch[i].RequestID = uuid()
					batch[i].Time = t0.Add(time.Duration(n) * time.Millisecond)
					n++
				}
				if err := s.Write(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func uuid() string {
	var b [16]byte
	crand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkGatewayStore is the gateway's throughput on every core (MOCK
// integration, the cheapest request, so the store's share is the largest)
// with the store off and on (SQLite, successes sampled at 10%, errors all
// stored), with no errors and with one request in ten unroutable (a 403
// with a cause). The ratio of on to off is the store's cost.
func BenchmarkGatewayStore(b *testing.B) {
	cases := []struct {
		name   string
		on     bool
		errors bool
	}{
		{"off", false, false},
		{"on", true, false},
		{"off-10pct-errors", false, true},
		{"on-10pct-errors", true, true},
	}
	for _, tc := range cases {
		on := tc.on
		b.Run(tc.name, func(b *testing.B) {
			var svc *store.Service
			if on {
				s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "requests.db"))
				if err != nil {
					b.Fatal(err)
				}
				svc = store.New(s, "sqlite", store.Options{SampleRate: rate(0.1), Logger: quietLogger()})
			}
			api, diags, err := openapi.ImportFile("testdata/api.yaml", openapi.Options{Vars: map[string]string{"origin": "http://127.0.0.1:1", "refused": "http://127.0.0.1:1"}})
			if err != nil || openapi.HasErrors(diags) {
				b.Fatalf("import: %v %v", err, diags)
			}
			api.ID = "bench"
			snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev", LoggingLevel: "ERROR"}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
			if err != nil {
				b.Fatal(err)
			}
			srv := &gateway.Server{Logger: quietLogger()}
			srv.Swap(snap)
			if svc != nil {
				srv.OnRecord = svc.OnRecord(srv.Snapshot)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ok := httptest.NewRequest("GET", "/dev/mock", nil)
				miss := httptest.NewRequest("GET", "/dev/nowhere", nil)
				w := &discard{h: http.Header{}}
				for i := 0; pb.Next(); i++ {
					clear(w.h)
					r := ok
					if tc.errors && i%10 == 9 {
						r = miss
					}
					srv.ServeHTTP(w, r)
				}
			})
			srv.Close()
			b.StopTimer()
			if svc != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				svc.Close(ctx)
				st := svc.Recorder.Stats()
				b.ReportMetric(float64(st.Dropped)/float64(max(st.Enqueued, 1)), "dropped/op")
			}
		})
	}
}
