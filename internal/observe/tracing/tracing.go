// Package tracing gives each request a place in a distributed trace and
// exports it over OTLP/HTTP with the OpenTelemetry SDK.
//
// On the request path, Tracer.Start only reads the caller's traceparent (or
// X-Amzn-Trace-Id), picks the ids and the sampling decision and renders the
// headers the pipeline sends to integrations (traceparent, X-Amzn-Trace-Id,
// which the local Lambda service passes to functions as
// Lambda-Runtime-Trace-Id and so _X_AMZN_TRACE_ID). The spans — one for the
// request and one per pipeline phase: authorizer, mapping, integration,
// response — are built after the fact from the execution record's
// timestamps (Tracer.Observe, called off the request path), with the ids
// chosen at the start so that the integration span is the parent the
// backend saw. When tracing is off the gateway's StartTrace hook is nil and
// costs nothing.
package tracing

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// Span names of the pipeline phases.
const (
	SpanAuthorizer  = "authorizer"
	SpanMapping     = "mapping"
	SpanIntegration = "integration"
	SpanResponse    = "response"
)

// Config configures OTLP/HTTP export (archway.yaml `tracing:`).
type Config struct {
	// Endpoint is the OTLP/HTTP traces URL, e.g.
	// http://127.0.0.1:4318/v1/traces. Required.
	Endpoint string
	// SampleRatio is the share of new traces recorded, 0..1 (0 records
	// none). A caller's sampling decision (traceparent flags,
	// X-Amzn-Trace-Id Sampled=) is followed.
	SampleRatio float64
	// Headers are sent with every export (e.g. an API key).
	Headers map[string]string
	// ServiceName is the service.name resource attribute. Default "archway".
	ServiceName string
	// BatchTimeout is the longest a span waits before export. Default 5 s.
	BatchTimeout time.Duration
	// Logger, when set, receives the OpenTelemetry SDK's errors (a
	// collector that refuses exports) in place of the standard logger.
	// It is process-wide (otel.SetErrorHandler).
	Logger *slog.Logger
}

// Tracer starts trace contexts on the request path and exports spans off
// it.
type Tracer struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	// bound is the sampling threshold over the trace id's low 63 bits (as
	// the SDK's TraceIDRatioBased).
	bound uint64
	all   bool

	// queue hands sampled records from the gateway's log sink to the span
	// builder, so that a slow exporter or a burst never backs up the sink.
	queue   chan queued
	pending sync.WaitGroup
	dropped atomic.Uint64
}

// QueueSize is how many sampled records may wait for their spans to be
// built; beyond it records are dropped and counted (Tracer.Dropped).
const QueueSize = 4096

type queued struct {
	apiID string
	rec   *exec.Record
}

// New returns a Tracer exporting to cfg.Endpoint. Nothing is sent until a
// sampled request finishes.
func New(ctx context.Context, cfg Config) (*Tracer, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("tracing: endpoint is required")
	}
	if cfg.SampleRatio < 0 || cfg.SampleRatio > 1 {
		return nil, fmt.Errorf("tracing: sampleRatio %v: give a number from 0 to 1", cfg.SampleRatio)
	}
	if l := cfg.Logger; l != nil {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			l.Warn("trace export", "endpoint", cfg.Endpoint, "error", err.Error())
		}))
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(cfg.Endpoint)}
	if len(cfg.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.Headers))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter for %s: %w", cfg.Endpoint, err)
	}
	name := cfg.ServiceName
	if name == "" {
		name = "archway"
	}
	res := resource.NewSchemaless(attribute.String("service.name", name))
	var bopts []sdktrace.BatchSpanProcessorOption
	if cfg.BatchTimeout > 0 {
		bopts = append(bopts, sdktrace.WithBatchTimeout(cfg.BatchTimeout))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, bopts...),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.AlwaysSample()), // sampled at Start; only sampled records become spans
		sdktrace.WithIDGenerator(idGenerator{}),
	)
	t := &Tracer{provider: tp, tracer: tp.Tracer("github.com/archway-gw/archway/gateway"), queue: make(chan queued, QueueSize)}
	go t.build()
	ratio := cfg.SampleRatio
	t.all = ratio >= 1
	t.bound = uint64(ratio * (1 << 63))
	if ratio >= 1 {
		t.bound = math.MaxUint64
	}
	return t, nil
}

// build turns queued records into spans.
func (t *Tracer) build() {
	for q := range t.queue {
		t.spans(q.apiID, q.rec)
		t.pending.Done()
	}
}

// Dropped is how many sampled records found the queue full and were not
// traced.
func (t *Tracer) Dropped() uint64 { return t.dropped.Load() }

// Shutdown builds the spans of the records queued so far, exports them and
// stops the exporter. Call it after the gateway has flushed its records.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.pending.Wait()
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: shutdown: %w", err)
	}
	return nil
}

// ForceFlush builds the spans of the records queued so far and exports
// them. Call it when no record is being observed.
func (t *Tracer) ForceFlush(ctx context.Context) error {
	t.pending.Wait()
	if err := t.provider.ForceFlush(ctx); err != nil {
		return fmt.Errorf("tracing: flush: %w", err)
	}
	return nil
}

// Start fills rec.Trace from r's trace headers: it continues the caller's
// trace (W3C traceparent first, then X-Amzn-Trace-Id) or starts a new one,
// and renders the headers sent to integrations. It has
// gateway.Server.StartTrace's signature and runs on the request path.
func (t *Tracer) Start(r *http.Request, rec *exec.Record) {
	tc := &exec.TraceContext{}
	decided := false
	if v := r.Header["Traceparent"]; len(v) > 0 {
		if tid, sid, sampled, ok := ParseTraceParent(v[0]); ok {
			tc.TraceID, tc.ParentSpanID, tc.Sampled, decided = tid, sid, sampled, true
		}
	}
	if !decided {
		if v := r.Header["X-Amzn-Trace-Id"]; len(v) > 0 {
			if tid, sid, sampled, known, ok := ParseAmznTraceID(v[0]); ok {
				tc.TraceID, tc.ParentSpanID = tid, sid
				if known {
					tc.Sampled, decided = sampled, true
				} else {
					tc.Sampled, decided = t.sample(tid), true
				}
			}
		}
	}
	if !decided {
		tc.TraceID = newTraceID(rec.Start)
		tc.Sampled = t.sample(tc.TraceID)
	}
	tc.SpanID = newSpanID()
	tc.IntegrationSpanID = newSpanID()
	tc.TraceParent = TraceParent(tc.TraceID, tc.IntegrationSpanID, tc.Sampled)
	tc.AmznTraceID = AmznTraceID(tc.TraceID, tc.IntegrationSpanID, tc.Sampled)
	rec.Trace = tc
}

// sample decides for a new trace as the SDK's TraceIDRatioBased does: on
// the trace id's last 8 bytes, so every party that samples by ratio agrees.
func (t *Tracer) sample(tid [16]byte) bool {
	if t.all {
		return true
	}
	var x uint64
	for _, b := range tid[8:] {
		x = x<<8 | uint64(b)
	}
	return x>>1 < t.bound
}

// Observe exports the spans of one finished exchange when its trace is
// sampled. It has gateway.Server.OnRecord's signature and runs off the
// request path.
func (t *Tracer) Observe(x *pipeline.Exchange, st *rt.Stage) {
	t.ObserveRecord(x.APIID, x.Rec)
}

// ObserveRecord queues one record for its spans when its trace is sampled;
// it never blocks. The record must not change afterwards.
func (t *Tracer) ObserveRecord(apiID string, rec *exec.Record) {
	tc := rec.Trace
	if tc == nil || !tc.Sampled || rec.End.IsZero() {
		return
	}
	t.pending.Add(1)
	select {
	case t.queue <- queued{apiID, rec}:
	default:
		t.pending.Done()
		t.dropped.Add(1)
	}
}

// spans builds and ends the spans of one record.
func (t *Tracer) spans(apiID string, rec *exec.Record) {
	tc := rec.Trace
	ctx := context.Background()
	if tc.ParentSpanID != ([8]byte{}) {
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tc.TraceID, SpanID: tc.ParentSpanID, TraceFlags: trace.FlagsSampled, Remote: true,
		}))
	}
	name := rec.HTTPMethod
	if rec.ResourcePath != "" {
		name += " " + rec.ResourcePath
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", rec.HTTPMethod),
		attribute.String("url.path", "/"+rec.Stage+rec.Path),
		attribute.Int("http.response.status_code", rec.Status),
		attribute.String("aws.api_gateway.api_id", apiID),
		attribute.String("aws.api_gateway.stage", rec.Stage),
		attribute.String("aws.request_id", rec.RequestID),
	}
	if rec.ResourcePath != "" {
		attrs = append(attrs, attribute.String("http.route", rec.ResourcePath))
	}
	if rec.SourceIP != "" {
		attrs = append(attrs, attribute.String("client.address", rec.SourceIP))
	}
	if rec.Err != nil {
		attrs = append(attrs, attribute.String("archway.cause", string(rec.Err.Cause)), attribute.String("archway.phase", string(rec.Err.Phase)))
	}
	_, server := t.tracer.Start(withIDs(ctx, tc.TraceID, tc.SpanID), name,
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(rec.Start), trace.WithAttributes(attrs...))
	if rec.Status >= 500 {
		msg := ""
		if rec.Err != nil {
			msg = string(rec.Err.Cause)
		}
		server.SetStatus(codes.Error, msg)
	}
	child := trace.ContextWithSpan(context.Background(), server)
	phase := func(ctx context.Context, name string, start, end time.Time, kind trace.SpanKind, attrs ...attribute.KeyValue) trace.Span {
		if end.Before(start) {
			end = start
		}
		_, s := t.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithTimestamp(start), trace.WithAttributes(attrs...))
		return s
	}
	mapStart := rec.Start
	if !rec.AuthStart.IsZero() {
		s := phase(child, SpanAuthorizer, rec.AuthStart, rec.AuthEnd, trace.SpanKindInternal)
		endPhase(s, rec, accessFailure(rec), rec.AuthEnd)
		if !rec.AuthEnd.IsZero() {
			mapStart = rec.AuthEnd
		}
	}
	if !rec.IntegrationStart.IsZero() {
		s := phase(child, SpanMapping, mapStart, rec.IntegrationStart, trace.SpanKindInternal)
		s.End(trace.WithTimestamp(rec.IntegrationStart))
		end := rec.IntegrationEnd
		if end.IsZero() {
			end = rec.End
		}
		var ia []attribute.KeyValue
		if rec.EndpointURI != "" {
			ia = append(ia, attribute.String("url.full", rec.EndpointURI))
		}
		if rec.IntegrationStatus != 0 {
			ia = append(ia, attribute.Int("http.response.status_code", rec.IntegrationStatus))
		}
		is := phase(withIDs(child, tc.TraceID, tc.IntegrationSpanID), SpanIntegration, rec.IntegrationStart, end, trace.SpanKindClient, ia...)
		endPhase(is, rec, rec.Err != nil && rec.Err.Phase == diag.PhaseIntegration, end)
		r := phase(child, SpanResponse, end, rec.End, trace.SpanKindInternal)
		r.End(trace.WithTimestamp(maxTime(end, rec.End)))
	}
	server.End(trace.WithTimestamp(rec.End))
}

// endPhase ends a phase span, marking it failed when the request failed in
// that phase.
func endPhase(s trace.Span, rec *exec.Record, failed bool, end time.Time) {
	if failed {
		s.SetStatus(codes.Error, string(rec.Err.Cause))
	}
	s.End(trace.WithTimestamp(end))
}

// accessFailure reports whether the request was refused by an access
// step: it failed before the integration with a gateway response of the
// authorizer, API key or throttling family.
func accessFailure(rec *exec.Record) bool {
	if rec.Err == nil || !rec.IntegrationStart.IsZero() {
		return false
	}
	switch rec.Err.Info().ResponseType {
	case apigw.Unauthorized, apigw.AccessDenied, apigw.AuthorizerFailure, apigw.AuthorizerConfigurationError,
		apigw.InvalidAPIKey, apigw.Throttled, apigw.QuotaExceeded, apigw.ExpiredToken, apigw.InvalidSignature,
		apigw.MissingAuthenticationToken:
		return true
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TraceParent renders a W3C traceparent header.
func TraceParent(tid [16]byte, sid [8]byte, sampled bool) string {
	var b [55]byte
	copy(b[:], "00-")
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52] = '-'
	b[53], b[54] = '0', '0'
	if sampled {
		b[54] = '1'
	}
	return string(b[:])
}

// AmznTraceID renders an X-Ray trace header:
// Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled={0|1}.
func AmznTraceID(tid [16]byte, sid [8]byte, sampled bool) string {
	var b strings.Builder
	b.Grow(82)
	b.WriteString("Root=1-")
	var h [32]byte
	hex.Encode(h[:], tid[:])
	b.Write(h[:8])
	b.WriteByte('-')
	b.Write(h[8:])
	b.WriteString(";Parent=")
	var s [16]byte
	hex.Encode(s[:], sid[:])
	b.Write(s[:])
	if sampled {
		b.WriteString(";Sampled=1")
	} else {
		b.WriteString(";Sampled=0")
	}
	return b.String()
}

// ParseTraceParent reads a W3C traceparent (version 00, or a later version
// read as 00). ok is false for a malformed header or all-zero ids.
func ParseTraceParent(v string) (tid [16]byte, sid [8]byte, sampled bool, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' || (len(v) > 55 && v[55] != '-') {
		return tid, sid, false, false
	}
	if v[:2] == "ff" || (v[:2] == "00" && len(v) != 55) {
		return tid, sid, false, false
	}
	if !lowerHex(v[:2]) || !lowerHex(v[3:35]) || !lowerHex(v[36:52]) || !lowerHex(v[53:55]) {
		return tid, sid, false, false
	}
	hex.Decode(tid[:], []byte(v[3:35]))
	hex.Decode(sid[:], []byte(v[36:52]))
	if tid == ([16]byte{}) || sid == ([8]byte{}) {
		return tid, sid, false, false
	}
	var flags [1]byte
	hex.Decode(flags[:], []byte(v[53:55]))
	return tid, sid, flags[0]&1 == 1, true
}

// ParseAmznTraceID reads an X-Ray trace header. known is false when it
// carries no Sampled decision (absent or "?"); a header without Parent
// starts a new span tree in the same trace (sid zero).
func ParseAmznTraceID(v string) (tid [16]byte, sid [8]byte, sampled, known, ok bool) {
	for _, part := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			// 1-{8 hex}-{24 hex}
			if len(val) != 35 || val[:2] != "1-" || val[10] != '-' || !anyHex(val[2:10]) || !anyHex(val[11:]) {
				return tid, sid, false, false, false
			}
			hex.Decode(tid[:4], []byte(val[2:10]))
			hex.Decode(tid[4:], []byte(val[11:]))
			ok = true
		case "Parent":
			if len(val) == 16 && anyHex(val) {
				hex.Decode(sid[:], []byte(val))
			}
		case "Sampled":
			switch val {
			case "1":
				sampled, known = true, true
			case "0":
				sampled, known = false, true
			}
		}
	}
	if tid == ([16]byte{}) {
		ok = false
	}
	return tid, sid, sampled, known, ok
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func anyHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// newTraceID is an X-Ray compatible trace id: the start time in seconds,
// then 12 random bytes, so the X-Amzn-Trace-Id Root is valid for X-Ray too.
func newTraceID(start time.Time) [16]byte {
	var t [16]byte
	sec := uint32(start.Unix())
	t[0], t[1], t[2], t[3] = byte(sec>>24), byte(sec>>16), byte(sec>>8), byte(sec)
	a, b := rand.Uint64(), rand.Uint32()
	for i := 0; i < 8; i++ {
		t[4+i] = byte(a >> (8 * i))
	}
	for i := 0; i < 4; i++ {
		t[12+i] = byte(b >> (8 * i))
	}
	return t
}

func newSpanID() [8]byte {
	var s [8]byte
	for s == ([8]byte{}) {
		u := rand.Uint64()
		for i := range s {
			s[i] = byte(u >> (8 * i))
		}
	}
	return s
}

// idKey carries the ids the next span must have: the ones chosen on the
// request path and already sent to the integration.
type idKey struct{}

type fixedIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

func withIDs(ctx context.Context, tid [16]byte, sid [8]byte) context.Context {
	return context.WithValue(ctx, idKey{}, fixedIDs{trace: tid, span: sid})
}

// idGenerator hands out the fixed ids from the context, else random ones.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if f, ok := ctx.Value(idKey{}).(fixedIDs); ok {
		return f.trace, f.span
	}
	return trace.TraceID(newTraceID(time.Now())), trace.SpanID(newSpanID())
}

func (idGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if f, ok := ctx.Value(idKey{}).(fixedIDs); ok {
		return f.span
	}
	return trace.SpanID(newSpanID())
}

// String describes the configuration for start-up logs.
func (c Config) String() string {
	return c.Endpoint + " sampleRatio=" + strconv.FormatFloat(c.SampleRatio, 'g', -1, 64)
}
