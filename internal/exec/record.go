// Package exec holds the execution record: the typed, timed account of one
// request that the pipeline fills as it runs. The AWS-format execution log,
// the access log and later surfaces all render from it, off the request path.
package exec

import (
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/diag"
)

// KV is one ordered name/value pair (headers, parameters).
type KV struct {
	Key, Value string
}

// Record is everything known about one request. Fields are filled in
// pipeline order; a zero value means the step did not run.
type Record struct {
	RequestID         string
	ExtendedRequestID string
	APIID             string
	Stage             string
	Start             time.Time
	End               time.Time

	// Trace is the request's trace context when tracing is on; nil when
	// it is off (internal/observe/tracing fills it).
	Trace *TraceContext
	// AuthStart and AuthEnd bound the access-control steps (API key,
	// throttling, authorizer); zero when the method has none.
	AuthStart time.Time
	AuthEnd   time.Time
	// Cache is the stage cache's answer for the request; CacheNone when
	// the method is not cached.
	Cache CacheResult

	// Authorizer is what the method's Lambda or Cognito authorizer did;
	// nil when the method has none (see AuthorizerRecord).
	Authorizer *AuthorizerRecord

	// Method request.
	HTTPMethod   string
	Path         string // request path after the stage, e.g. /pets/1
	ResourcePath string // matched template, e.g. /pets/{petId}
	PathParams   []KV
	Query        []KV
	Headers      []KV
	Body         []byte
	BodyOmitted  bool // true when the body streamed and was not kept
	SourceIP     string
	UserAgent    string
	Protocol     string

	// Endpoint request (integration); empty for MOCK.
	EndpointURI     string
	EndpointHeaders []KV
	EndpointBody    []byte
	EndpointSent    bool
	// TemplateNotJSON, when set, flags a request template whose output is
	// not valid JSON although the request's Content-Type is a JSON type.
	// AWS sends such output on unchanged; the execution log says so.
	TemplateNotJSON  *TemplateJSONError
	IntegrationStart time.Time
	IntegrationEnd   time.Time

	// Endpoint response.
	IntegrationStatus      int
	EndpointRespHeaders    []KV
	EndpointRespBody       []byte
	EndpointRespBodyKept   bool
	IntegrationReceived    bool
	IntegrationErrorDetail string

	// Method response.
	Status           int
	ResponseHeaders  []KV
	ResponseBody     []byte
	ResponseBodyKept bool
	ResponseLength   int64

	// Err is the classified failure, if any.
	Err *diag.Error
}

// CacheResult is what the stage cache did for one request.
type CacheResult uint8

// Cache results.
const (
	// CacheNone: the method is not cached (or caching is off).
	CacheNone CacheResult = iota
	// CacheHit: the response came from the cache.
	CacheHit
	// CacheMiss: the cache was consulted and the integration was called.
	CacheMiss
)

// TraceContext identifies a request's place in a distributed trace
// (W3C Trace Context ids, also rendered as the X-Ray trace header).
type TraceContext struct {
	// TraceID and SpanID identify the trace and the gateway's server span.
	TraceID [16]byte
	SpanID  [8]byte
	// ParentSpanID is the caller's span (from traceparent or
	// X-Amzn-Trace-Id); zero when the request started the trace.
	ParentSpanID [8]byte
	// IntegrationSpanID is the span of the integration call: the parent
	// the backend or function sees.
	IntegrationSpanID [8]byte
	// Sampled reports whether the trace is recorded and exported.
	Sampled bool
	// TraceParent is the W3C traceparent sent to integrations.
	TraceParent string
	// AmznTraceID is the X-Amzn-Trace-Id sent to integrations and
	// functions (Root=1-...;Parent=...;Sampled=...).
	AmznTraceID string
}

// TemplateJSONError describes mapping-template output that is not valid
// JSON.
type TemplateJSONError struct {
	// Template names the template (method, resource and content type).
	Template string
	// ContentType is the request's media type.
	ContentType string
	// Line and Column (1-based) locate the JSON error in the output.
	Line, Column int
	// Msg is the JSON parser's message.
	Msg string
}

// String renders the execution-log line.
func (e *TemplateJSONError) String() string {
	return "Request template " + e.Template + " output is not valid JSON for Content-Type " + e.ContentType +
		" (sent as is): " + e.Msg + " at line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column)
}

// IntegrationLatency is the time spent in the integration call.
func (r *Record) IntegrationLatency() time.Duration {
	if r.IntegrationStart.IsZero() || r.IntegrationEnd.IsZero() {
		return 0
	}
	return r.IntegrationEnd.Sub(r.IntegrationStart)
}

// ResponseLatency is the time from request start to the last byte written.
func (r *Record) ResponseLatency() time.Duration {
	if r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// JavaMap renders pairs the way AWS's execution log prints Java maps: {k=v, k2=v2}.
func JavaMap(kvs []KV) string {
	if len(kvs) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range kvs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(kv.Key)
		b.WriteByte('=')
		b.WriteString(kv.Value)
	}
	b.WriteByte('}')
	return b.String()
}
