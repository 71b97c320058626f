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
