package tracing

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/exec"
)

func TestParseTraceParent(t *testing.T) {
	for _, c := range []struct {
		name, in string
		ok       bool
		sampled  bool
	}{
		{"sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, true},
		{"unsampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true, false},
		{"future version with more fields", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", true, true},
		{"version 00 with more fields", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false, false},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, false},
		{"upper-case hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, false},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false, false},
		{"zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, false},
		{"short", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false, false},
		{"empty", "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tid, sid, sampled, ok := ParseTraceParent(c.in)
			if ok != c.ok || sampled != c.sampled {
				t.Fatalf("ok %v sampled %v, want %v %v", ok, sampled, c.ok, c.sampled)
			}
			if ok && TraceParent(tid, sid, sampled)[3:52] != c.in[3:52] {
				t.Errorf("round trip %q", TraceParent(tid, sid, sampled))
			}
		})
	}
}

func TestParseAmznTraceID(t *testing.T) {
	for _, c := range []struct {
		name, in                  string
		ok, known, sampled, hasID bool
	}{
		{"full", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", true, true, true, true},
		{"unsampled", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", true, true, false, true},
		{"undecided", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?", true, false, false, false},
		{"root only, spaces", " Root=1-5759e988-bd862e3fe1be46a994272793 ", true, false, false, false},
		{"lineage and self ignored", "Self=1-5759e988-aaaaaaaaaaaaaaaaaaaaaaaa;Root=1-5759e988-bd862e3fe1be46a994272793;Lineage=a:1", true, false, false, false},
		{"bad root", "Root=2-5759e988-bd862e3fe1be46a994272793", false, false, false, false},
		{"no root", "Parent=53995c3f42cd8ad8;Sampled=1", false, true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, sid, sampled, known, ok := ParseAmznTraceID(c.in)
			if ok != c.ok || (ok && (known != c.known || sampled != c.sampled || (sid != [8]byte{}) != c.hasID)) {
				t.Errorf("ok %v known %v sampled %v parent %x", ok, known, sampled, sid)
			}
		})
	}
}

func FuzzParseTraceParent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
	f.Fuzz(func(t *testing.T, s string) {
		tid, sid, sampled, ok := ParseTraceParent(s)
		if !ok {
			return
		}
		again, sid2, sampled2, ok2 := ParseTraceParent(TraceParent(tid, sid, sampled))
		if !ok2 || again != tid || sid2 != sid || sampled2 != sampled {
			t.Fatalf("%q does not round-trip", s)
		}
	})
}

func FuzzParseAmznTraceID(f *testing.F) {
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?")
	f.Fuzz(func(t *testing.T, s string) {
		tid, sid, sampled, known, ok := ParseAmznTraceID(s)
		if !ok || sid == ([8]byte{}) || !known {
			return
		}
		t2, s2, sm2, k2, ok2 := ParseAmznTraceID(AmznTraceID(tid, sid, sampled))
		if !ok2 || !k2 || t2 != tid || s2 != sid || sm2 != sampled {
			t.Fatalf("%q does not round-trip", s)
		}
	})
}

// BenchmarkStart is what tracing costs a request on the request path when on.
func BenchmarkStart(b *testing.B) {
	tr, err := New(context.Background(), Config{Endpoint: "http://127.0.0.1:1/v1/traces", SampleRatio: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	for _, bc := range []struct{ name, header, value string }{
		{"new trace", "", ""},
		{"traceparent", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/dev/pets", nil)
			if bc.header != "" {
				r.Header.Set(bc.header, bc.value)
			}
			rec := &exec.Record{Start: time.Now()}
			b.ReportAllocs()
			for b.Loop() {
				tr.Start(r, rec)
			}
		})
	}
}

func TestSampling(t *testing.T) {
	low := [16]byte{15: 1}                                                                         // last 8 bytes near 0
	high := [16]byte{8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff} // near the top
	for _, c := range []struct {
		name          string
		ratio         float64
		low, high     bool
		header, value string
		want          bool
	}{
		{"ratio 1 samples all", 1, true, true, "", "", true},
		{"ratio 0 samples none", 0, false, false, "", "", false},
		{"ratio 0.5 splits on the trace id", 0.5, true, false, "", "", false},
		{"ratio 0 follows a sampled traceparent", 0, false, false, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"ratio 1 follows an unsampled traceparent", 1, true, true, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", false},
		{"ratio 0 follows X-Amzn-Trace-Id Sampled=1", 0, false, false, "X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := New(context.Background(), Config{Endpoint: "http://127.0.0.1:1/v1/traces", SampleRatio: c.ratio})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Shutdown(context.Background())
			if tr.sample(low) != c.low || tr.sample(high) != c.high {
				t.Errorf("sample(low)=%v sample(high)=%v, want %v %v", tr.sample(low), tr.sample(high), c.low, c.high)
			}
			r := httptest.NewRequest("GET", "/dev/x", nil)
			if c.header != "" {
				r.Header.Set(c.header, c.value)
				rec := &exec.Record{Start: time.Now()}
				tr.Start(r, rec)
				if rec.Trace.Sampled != c.want {
					t.Errorf("sampled %v, want %v", rec.Trace.Sampled, c.want)
				}
			}
		})
	}
	if _, err := New(context.Background(), Config{Endpoint: "http://127.0.0.1:1/v1/traces", SampleRatio: 1.5}); err == nil {
		t.Error("sampleRatio 1.5 accepted")
	}
}

// BenchmarkObserveRecord is what the gateway's log sink pays per sampled
// request (a non-blocking enqueue) and BenchmarkBuildSpans what the span
// builder then pays (export is batched elsewhere; the endpoint refuses, so
// the SDK's batch queue drops what it cannot send).
func BenchmarkObserveRecord(b *testing.B) { benchRecord(b, false) }

func BenchmarkBuildSpans(b *testing.B) { benchRecord(b, true) }

func benchRecord(b *testing.B, build bool) {
	tr, err := New(context.Background(), Config{Endpoint: "http://127.0.0.1:1/v1/traces", SampleRatio: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	t0 := time.Now()
	rec := &exec.Record{Start: t0, AuthStart: t0, AuthEnd: t0.Add(time.Millisecond), IntegrationStart: t0.Add(2 * time.Millisecond),
		IntegrationEnd: t0.Add(3 * time.Millisecond), End: t0.Add(4 * time.Millisecond), HTTPMethod: "GET", ResourcePath: "/pets/{petId}",
		Stage: "prod", Path: "/pets/1", Status: 200, RequestID: "r", EndpointURI: "http://backend/pets/1", IntegrationStatus: 200}
	tr.Start(httptest.NewRequest("GET", "/prod/pets/1", nil), rec)
	b.ReportAllocs()
	for b.Loop() {
		if build {
			tr.spans("api", rec)
		} else {
			tr.ObserveRecord("api", rec)
		}
	}
}
