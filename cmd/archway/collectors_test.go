package main

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-gw/archway/internal/gateway/limit"
)

// gathered returns the value of metric name with label=value.
func gathered(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, value)
	return 0
}

func TestAccessCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newAccessCollector())
	tests := []struct {
		name  string
		count func()
		mode  string
	}{
		{"a fallback that lets the request through", func() { limit.CountFallback(true) }, "open"},
		{"a fallback that refuses it", func() { limit.CountFallback(false) }, "closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := gathered(t, reg, "archway_limiter_fallbacks_total", "mode", tc.mode)
			tc.count()
			if got := gathered(t, reg, "archway_limiter_fallbacks_total", "mode", tc.mode); got != before+1 {
				t.Errorf("archway_limiter_fallbacks_total{mode=%q} = %v, want %v", tc.mode, got, before+1)
			}
		})
	}
	for _, outcome := range []string{"hit", "miss", "fallback", "store_error", "coalesced"} {
		gathered(t, reg, "archway_authorizer_cache_total", "outcome", outcome)
	}
}
