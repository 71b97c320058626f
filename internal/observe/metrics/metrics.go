// Package metrics keeps API Gateway's CloudWatch metrics (Count, 4XXError,
// 5XXError, Latency, IntegrationLatency, CacheHitCount, CacheMissCount,
// ThrottleCount) and Lambda's per-function metrics (Invocations, Errors,
// Duration, Throttles, ConcurrentExecutions) in a Prometheus registry of its
// own. Gateway metrics are fed from execution records off the request path
// (Metrics.Observe as gateway.Server.OnRecord); Lambda metrics from the
// local Lambda service's Observer hook. docs/observability.md maps every
// name to AWS's.
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// Label names: AWS's dimension names.
const (
	LabelAPIName  = "ApiName"
	LabelStage    = "Stage"
	LabelMethod   = "Method"
	LabelResource = "Resource"
	LabelCause    = "cause"
	LabelFunction = "FunctionName"
)

// NoCause is the cause label of a 4xx/5xx the integration itself answered
// (the gateway did not fail; the backend's status was passed on).
const NoCause = "-"

// LatencyBuckets are the bucket bounds, in milliseconds, of the latency
// histograms: from sub-millisecond local answers to API Gateway's 29 s
// integration limit.
var LatencyBuckets = []float64{0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 29000, 60000}

// Options configure Metrics.
type Options struct {
	// Snapshot returns the snapshot being served; it resolves an API id to
	// its name (the ApiName label) and a method to its definition. Required
	// for ApiName; when nil the API id is used.
	Snapshot func() *rt.Snapshot
	// Lambda, when set, is read at scrape time for ConcurrentExecutions.
	Lambda LambdaSource
	// GoCollectors adds the Go runtime and process collectors. Default off.
	GoCollectors bool
}

// LambdaSource is what ConcurrentExecutions reads: *lambda.Service.
type LambdaSource interface {
	Functions() []lambda.Function
	Stats(name string) (lambda.Stats, bool)
}

// Metrics is the registry and the recorders. It is safe for concurrent use.
type Metrics struct {
	reg  *prometheus.Registry
	opts Options

	count, err4, err5              *prometheus.CounterVec
	cacheHit, cacheMiss, throttle  *prometheus.CounterVec
	latency, integration           *prometheus.HistogramVec
	fnInvocations, fnErrors, fnThr *prometheus.CounterVec
	fnDuration                     *prometheus.HistogramVec
	mu                             sync.Mutex
	series                         map[seriesKey]*series
	fnMu                           sync.RWMutex
	fns                            map[string]*fnSeries
}

// seriesKey identifies one method of one stage; it is what the record
// gives, before the API's name is resolved.
type seriesKey struct {
	apiID, stage, method, resource string
}

// series holds the curried recorders of one label set, so that recording
// a request is a map lookup and a few atomic adds.
type series struct {
	labels              prometheus.Labels
	count               prometheus.Counter
	cacheHit, cacheMiss prometheus.Counter
	throttle            prometheus.Counter
	latency             prometheus.Observer
	integration         prometheus.Observer
	errs                map[errKey]errSeries
}

// errSeries is the error counter of one status class and cause, and
// whether the cause is a throttle.
type errSeries struct {
	counter  prometheus.Counter
	throttle bool
}

type errKey struct {
	five  bool
	cause diag.Cause
}

type fnSeries struct {
	invocations, errors, throttles prometheus.Counter
	duration                       prometheus.Observer
}

// New registers the metrics in a new registry.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), opts: opts, series: map[seriesKey]*series{}, fns: map[string]*fnSeries{}}
	method := []string{LabelAPIName, LabelStage, LabelMethod, LabelResource}
	withCause := append(append([]string(nil), method...), LabelCause)
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "archway", Name: name, Help: help}, labels)
		m.reg.MustRegister(v)
		return v
	}
	histogram := func(name, help string, labels []string) *prometheus.HistogramVec {
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "archway", Name: name, Help: help, Buckets: LatencyBuckets}, labels)
		m.reg.MustRegister(v)
		return v
	}
	m.count = counter("count_total", "Requests (AWS Count).", method)
	m.err4 = counter("4xx_error_total", "Requests answered 4xx (AWS 4XXError), by cause.", withCause)
	m.err5 = counter("5xx_error_total", "Requests answered 5xx (AWS 5XXError), by cause.", withCause)
	m.cacheHit = counter("cache_hit_count_total", "Requests served from the stage cache (AWS CacheHitCount).", method)
	m.cacheMiss = counter("cache_miss_count_total", "Cached methods' requests served by the integration (AWS CacheMissCount).", method)
	m.throttle = counter("throttle_count_total", "Requests refused by throttling or a usage-plan quota (429 THROTTLED or QUOTA_EXCEEDED).", method)
	m.latency = histogram("latency_milliseconds", "Time from receiving the request to the last byte of the response (AWS Latency).", method)
	m.integration = histogram("integration_latency_milliseconds", "Time in the integration call (AWS IntegrationLatency).", method)
	fn := []string{LabelFunction}
	m.fnInvocations = counter("lambda_invocations_total", "Local Lambda invocations that ran (AWS Lambda Invocations).", fn)
	m.fnErrors = counter("lambda_errors_total", "Invocations that ended in a function error: unhandled, timeout, crash, init failure (AWS Lambda Errors).", fn)
	m.fnThr = counter("lambda_throttles_total", "Synchronous invokes refused for lack of concurrency (AWS Lambda Throttles).", fn)
	m.fnDuration = histogram("lambda_duration_milliseconds", "Invocation run time (AWS Lambda Duration).", fn)
	if opts.Lambda != nil {
		m.WatchLambda(opts.Lambda)
	}
	if opts.GoCollectors {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// WatchLambda reports ConcurrentExecutions of src's functions, read at
// scrape time. Call it once.
func (m *Metrics) WatchLambda(src LambdaSource) {
	m.reg.MustRegister(&concurrency{src: src, desc: prometheus.NewDesc("archway_lambda_concurrent_executions",
		"Invocations running now (AWS Lambda ConcurrentExecutions).", []string{LabelFunction}, nil)})
}

// Registry returns the registry, to add collectors or to gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Observe records one finished exchange. It has gateway.Server.OnRecord's
// signature and is called off the request path.
func (m *Metrics) Observe(x *pipeline.Exchange, st *rt.Stage) {
	m.ObserveRecord(x.APIID, st, x.Rec)
}

// ObserveRecord records one execution record of the API apiID served on
// stage st (nil when the request named no served stage).
func (m *Metrics) ObserveRecord(apiID string, st *rt.Stage, rec *exec.Record) {
	key := seriesKey{apiID: apiID}
	if st != nil {
		key.stage = st.Name
	}
	if rec.ResourcePath != "" {
		key.resource = rec.ResourcePath
		key.method = methodLabel(rec.HTTPMethod)
	}
	m.mu.Lock()
	s := m.series[key]
	if s == nil {
		s = m.newSeries(key)
		m.series[key] = s
	}
	var es errSeries
	if rec.Status >= 400 && rec.Status < 600 {
		ek := errKey{five: rec.Status >= 500}
		if rec.Err != nil {
			ek.cause = rec.Err.Cause
		}
		var ok bool
		if es, ok = s.errs[ek]; !ok {
			cause := string(ek.cause)
			if cause == "" {
				cause = NoCause
			}
			vec := m.err4
			if ek.five {
				vec = m.err5
			}
			es = errSeries{counter: vec.With(withLabel(s.labels, LabelCause, cause)), throttle: ek.cause != "" && isThrottle(ek.cause)}
			s.errs[ek] = es
		}
	}
	m.mu.Unlock()

	s.count.Inc()
	if es.counter != nil {
		es.counter.Inc()
		if es.throttle {
			s.throttle.Inc()
		}
	}
	if !rec.End.IsZero() {
		s.latency.Observe(ms(rec.End.Sub(rec.Start).Nanoseconds()))
	}
	if !rec.IntegrationStart.IsZero() && !rec.IntegrationEnd.IsZero() {
		s.integration.Observe(ms(rec.IntegrationEnd.Sub(rec.IntegrationStart).Nanoseconds()))
	}
	switch rec.Cache {
	case exec.CacheHit:
		s.cacheHit.Inc()
	case exec.CacheMiss:
		s.cacheMiss.Inc()
	}
}

// newSeries resolves a key's labels and curries every vector; m.mu is held.
func (m *Metrics) newSeries(k seriesKey) *series {
	name, method := k.apiID, k.method
	if m.opts.Snapshot != nil {
		if snap := m.opts.Snapshot(); snap != nil {
			if a, ok := snap.ByID(k.apiID); ok {
				name = a.Name
				if k.resource != "" {
					if ms := a.Resources[k.resource]; ms != nil {
						if _, defined := ms[k.method]; !defined {
							if _, anyM := ms["ANY"]; anyM {
								method = "ANY"
							}
						}
					}
				}
			}
		}
	}
	labels := prometheus.Labels{LabelAPIName: name, LabelStage: k.stage, LabelMethod: method, LabelResource: k.resource}
	return &series{
		labels:      labels,
		count:       m.count.With(labels),
		cacheHit:    m.cacheHit.With(labels),
		cacheMiss:   m.cacheMiss.With(labels),
		throttle:    m.throttle.With(labels),
		latency:     m.latency.With(labels),
		integration: m.integration.With(labels),
		errs:        map[errKey]errSeries{},
	}
}

// isThrottle reports whether a cause answers with the THROTTLED or
// QUOTA_EXCEEDED gateway response: what ThrottleCount counts.
func isThrottle(c diag.Cause) bool {
	typ := diag.Lookup(c).ResponseType
	return typ == apigw.Throttled || typ == apigw.QuotaExceeded
}

func withLabel(l prometheus.Labels, k, v string) prometheus.Labels {
	out := make(prometheus.Labels, len(l)+1)
	for a, b := range l {
		out[a] = b
	}
	out[k] = v
	return out
}

// methodLabel bounds the Method label: a method outside HTTP's usual set
// can only have matched an ANY method.
func methodLabel(m string) string {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS":
		return m
	}
	return "ANY"
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// Invoked implements lambda.Observer: one invocation ran.
func (m *Metrics) Invoked(function string, res *lambda.Result) {
	f := m.fn(function)
	f.invocations.Inc()
	if res.FunctionError != "" {
		f.errors.Inc()
	}
	f.duration.Observe(ms(res.Duration.Nanoseconds()))
}

// Throttled implements lambda.Observer: a synchronous invoke was refused.
func (m *Metrics) Throttled(function string) { m.fn(function).throttles.Inc() }

var _ lambda.Observer = (*Metrics)(nil)

func (m *Metrics) fn(name string) *fnSeries {
	m.fnMu.RLock()
	f := m.fns[name]
	m.fnMu.RUnlock()
	if f != nil {
		return f
	}
	m.fnMu.Lock()
	defer m.fnMu.Unlock()
	if f = m.fns[name]; f == nil {
		f = &fnSeries{
			invocations: m.fnInvocations.WithLabelValues(name),
			errors:      m.fnErrors.WithLabelValues(name),
			throttles:   m.fnThr.WithLabelValues(name),
			duration:    m.fnDuration.WithLabelValues(name),
		}
		m.fns[name] = f
	}
	return f
}

// concurrency collects ConcurrentExecutions at scrape time, so the
// invocation path pays nothing for it.
type concurrency struct {
	src  LambdaSource
	desc *prometheus.Desc
}

func (c *concurrency) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *concurrency) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.src.Functions() {
		if st, ok := c.src.Stats(f.Name); ok {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(st.Running), f.Name)
		}
	}
}
