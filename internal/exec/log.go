package exec

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/archway-gw/archway/internal/diag"
)

// Level is a stage's execution-log level.
type Level int

// Log levels, as AWS names them (OFF, ERROR, INFO).
const (
	LevelOff Level = iota
	LevelError
	LevelInfo
)

// ParseLevel reads OFF, ERROR or INFO (case-insensitive); empty is OFF.
func ParseLevel(s string) (Level, bool) {
	switch strings.ToUpper(s) {
	case "", "OFF":
		return LevelOff, true
	case "ERROR":
		return LevelError, true
	case "INFO":
		return LevelInfo, true
	}
	return LevelOff, false
}

// LogOptions decides which lines an execution log contains.
type LogOptions struct {
	Level Level
	// DataTrace adds headers and bodies (AWS "full request and response logs").
	DataTrace bool
}

// maxLine is where AWS cuts long log events.
const maxLine = 1024

// Line is one execution-log event.
type Line struct {
	Time time.Time
	Msg  string
}

// Lines renders the record as AWS execution-log events, in AWS's order.
// At ERROR level only failed requests produce lines (the failure and the
// completion); INFO adds the request flow; DataTrace adds headers and bodies.
func (r *Record) Lines(o LogOptions) []Line {
	if o.Level == LevelOff || (o.Level == LevelError && r.Err == nil) {
		return nil
	}
	var out []Line
	t := r.Start
	add := func(at time.Time, msg string) {
		if !at.IsZero() {
			t = at
		}
		if len(msg) > maxLine {
			cut := maxLine
			for cut > 0 && !utf8.RuneStart(msg[cut]) {
				cut-- // never split a UTF-8 character
			}
			msg = msg[:cut] + " [TRUNCATED]"
		}
		out = append(out, Line{Time: t, Msg: msg})
	}
	info := o.Level == LevelInfo
	data := info && o.DataTrace
	if r.authorizerLines(o, add) {
		return out // refused by the authorizer: the method never started
	}
	if info {
		add(r.Start, "Starting execution for request: "+r.RequestID)
		add(time.Time{}, "HTTP Method: "+r.HTTPMethod+", Resource Path: "+r.Path)
		add(time.Time{}, "Method request path: "+JavaMap(r.PathParams))
		add(time.Time{}, "Method request query string: "+JavaMap(r.Query))
	}
	if data {
		add(time.Time{}, "Method request headers: "+JavaMap(r.Headers))
		add(time.Time{}, "Method request body before transformations: "+bodyText(r.Body, r.BodyOmitted))
	}
	if info && r.TemplateNotJSON != nil {
		add(time.Time{}, r.TemplateNotJSON.String())
	}
	if info && r.EndpointURI != "" {
		add(r.IntegrationStart, "Endpoint request URI: "+r.EndpointURI)
		if data {
			add(time.Time{}, "Endpoint request headers: "+JavaMap(r.EndpointHeaders))
			add(time.Time{}, "Endpoint request body after transformations: "+bodyText(r.EndpointBody, r.BodyOmitted))
		}
		if r.EndpointSent && r.IntegrationReceived {
			add(time.Time{}, "Sending request to "+r.EndpointURI)
		}
	}
	if info && r.IntegrationReceived {
		add(r.IntegrationEnd, "Received response. Status: "+strconv.Itoa(r.IntegrationStatus)+", Integration latency: "+strconv.FormatInt(r.IntegrationLatency().Milliseconds(), 10)+" ms")
		if data {
			add(time.Time{}, "Endpoint response headers: "+JavaMap(r.EndpointRespHeaders))
			add(time.Time{}, "Endpoint response body before transformations: "+bodyText(r.EndpointRespBody, !r.EndpointRespBodyKept))
		}
	}
	if r.Err != nil {
		for _, l := range r.Err.LogBefore {
			add(time.Time{}, l)
		}
		add(r.End, failureLine(r))
	} else if info {
		if data {
			add(time.Time{}, "Method response body after transformations: "+bodyText(r.ResponseBody, !r.ResponseBodyKept))
			add(time.Time{}, "Method response headers: "+JavaMap(r.ResponseHeaders))
		}
		add(r.End, "Successfully completed execution")
	}
	add(r.End, "Method completed with status: "+strconv.Itoa(r.Status))
	return out
}

func failureLine(r *Record) string {
	switch r.Err.Cause {
	case diag.MissingRequestParameters, diag.InvalidRequestBody:
		// AWS publishes the validation result itself, not a configuration
		// error; the validator puts that line in the Detail.
		if r.Err.Detail != "" {
			return r.Err.Detail
		}
	}
	if r.Err.LogLine != "" {
		return r.Err.LogLine
	}
	info := r.Err.Info()
	line := info.LogLine
	if line == "" {
		// AWS logs no "Execution failed" line when it refuses a client
		// (401, 403, 429, ...): the refusal's reason is the line.
		if st := info.ClientStatus(); st >= 400 && st < 500 {
			line = info.Meaning
		} else {
			line = "Execution failed due to configuration error: " + info.Meaning
		}
	}
	if info.LogDetail && r.Err.Detail != "" {
		line += ": " + r.Err.Detail
	}
	return line
}

func bodyText(b []byte, omitted bool) string {
	if omitted {
		return "[streamed, not logged]"
	}
	return string(b)
}

// TestInvokeText renders lines the way TestInvokeMethod returns them:
// "Execution log for request ID", then "DDD MMM dd hh:mm:ss UTC yyyy : msg".
func TestInvokeText(requestID string, lines []Line) string {
	var b strings.Builder
	b.WriteString("Execution log for request " + requestID + "\n")
	for _, l := range lines {
		b.WriteString(l.Time.UTC().Format("Mon Jan 02 15:04:05 UTC 2006"))
		b.WriteString(" : ")
		b.WriteString(l.Msg)
		b.WriteByte('\n')
	}
	return b.String()
}

// CloudWatchText renders lines the way CloudWatch shows them: "(requestId) msg".
func CloudWatchText(requestID string, lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("(" + requestID + ") " + l.Msg + "\n")
	}
	return b.String()
}
