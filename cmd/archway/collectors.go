package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/limit"
)

// accessCollector exports the process-wide counters of the access-control
// steps that are not per request series: decisions the limiter took
// without its backend (limitsFailureMode), and the authorizer result
// cache's outcomes.
type accessCollector struct {
	fallbacks *prometheus.Desc
	cache     *prometheus.Desc
}

func newAccessCollector() *accessCollector {
	return &accessCollector{
		fallbacks: prometheus.NewDesc("archway_limiter_fallbacks_total",
			"Throttle and quota decisions taken without the limiter backend (Redis unreachable), by the stage's failure mode: open (let through) or closed (refused, LIMITER_UNAVAILABLE).", []string{"mode"}, nil),
		cache: prometheus.NewDesc("archway_authorizer_cache_total",
			"Authorizer result cache lookups by outcome: hit, miss, fallback (the cache could not be read and the function was invoked), store_error (a result could not be written) and coalesced (a request that waited for another's invocation).", []string{"outcome"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *accessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.fallbacks
	ch <- c.cache
}

// Collect implements prometheus.Collector.
func (c *accessCollector) Collect(ch chan<- prometheus.Metric) {
	ls := limit.Stats()
	ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(ls.FallbackOpen), "open")
	ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(ls.FallbackClosed), "closed")
	cs := authorizer.CacheStats()
	for _, o := range []struct {
		name string
		v    uint64
	}{{"hit", cs.Hits}, {"miss", cs.Misses}, {"fallback", cs.Fallbacks}, {"store_error", cs.StoreErrors}, {"coalesced", cs.Coalesced}} {
		ch <- prometheus.MustNewConstMetric(c.cache, prometheus.CounterValue, float64(o.v), o.name)
	}
}
