package metrics

import (
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// benchRecords are finished records as the sink sees them: a 200 with an
// integration call, a 404 passed on from the backend, a classified 5xx.
func benchRecords() []*exec.Record {
	start := time.Now()
	ok := &exec.Record{Start: start, End: start.Add(3 * time.Millisecond), IntegrationStart: start.Add(time.Millisecond),
		IntegrationEnd: start.Add(2 * time.Millisecond), HTTPMethod: "GET", ResourcePath: "/pets/{petId}", Status: 200}
	notFound := *ok
	notFound.Status = 404
	failed := *ok
	failed.Status, failed.Err = 500, diag.New(diag.PhaseIntegration, diag.UpstreamConnectRefused, "refused")
	return []*exec.Record{ok, &notFound, &failed}
}

func BenchmarkObserve(b *testing.B) {
	m := New(Options{})
	st := &rt.Stage{Stage: pipeline.Stage{Name: "prod"}}
	for _, bc := range []struct {
		name string
		rec  *exec.Record
	}{{"2xx", benchRecords()[0]}, {"4xx", benchRecords()[1]}, {"5xx-cause", benchRecords()[2]}} {
		b.Run(bc.name, func(b *testing.B) {
			x := &pipeline.Exchange{APIID: "abc123", Rec: bc.rec}
			b.ReportAllocs()
			for b.Loop() {
				m.Observe(x, st)
			}
		})
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	m := New(Options{})
	st := &rt.Stage{Stage: pipeline.Stage{Name: "prod"}}
	x := &pipeline.Exchange{APIID: "abc123", Rec: benchRecords()[0]}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe(x, st)
		}
	})
}

func BenchmarkLambdaInvoked(b *testing.B) {
	m := New(Options{})
	res := &lambda.Result{Duration: 2 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		m.Invoked("hello", res)
	}
}
