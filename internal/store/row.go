package store

import (
	"strings"
	"unicode/utf8"

	"github.com/archway-gw/archway/internal/exec"
)

// Redacted replaces the value of a credential header in stored logs.
const Redacted = "[REDACTED]"

// secretHeaders are the headers whose values never reach the store
// (lower case).
var secretHeaders = map[string]bool{
	"authorization":        true,
	"proxy-authorization":  true,
	"x-api-key":            true,
	"cookie":               true,
	"set-cookie":           true,
	"x-amz-security-token": true,
}

// redact returns kvs with credential values replaced; kvs itself is not
// modified (other consumers read the same record).
func redact(kvs []exec.KV) []exec.KV {
	var out []exec.KV
	for i, kv := range kvs {
		if !secretHeaders[strings.ToLower(kv.Key)] {
			continue
		}
		if out == nil {
			out = append([]exec.KV(nil), kvs...)
		}
		out[i].Value = Redacted
	}
	if out == nil {
		return kvs
	}
	return out
}

// clean makes s storable as text in both backends: valid UTF-8 (invalid
// bytes become U+FFFD, as encoding/json does) and no NUL, which PostgreSQL
// text refuses. One bad header must not fail a whole batch.
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// convert turns an entry into the stored record. It runs on the writer
// goroutine, never on the request path.
func (r *Recorder) convert(e Entry) Record {
	rec := e.Rec
	out := Record{
		RequestID:          rec.RequestID,
		ExtendedRequestID:  rec.ExtendedRequestID,
		Time:               rec.Start.UTC(),
		APIID:              e.APIID,
		APIName:            e.APIName,
		Stage:              rec.Stage,
		Method:             rec.HTTPMethod,
		Resource:           rec.ResourcePath,
		Path:               rec.Path,
		Status:             rec.Status,
		Latency:            rec.ResponseLatency(),
		IntegrationLatency: rec.IntegrationLatency(),
		SourceIP:           rec.SourceIP,
		UserAgent:          rec.UserAgent,
		Weight:             1,
	}
	if out.APIID == "" {
		out.APIID = rec.APIID
	}
	if rec.IntegrationReceived {
		out.IntegrationStatus = rec.IntegrationStatus
	}
	if rec.Err != nil {
		out.Cause = string(rec.Err.Cause)
		out.Error = rec.Err.Error()
		out.ResponseType = string(rec.Err.Info().ResponseType)
	}
	if !IsError(rec) && r.rate > 0 {
		out.Weight = 1 / r.rate
	}
	for _, f := range []*string{&out.RequestID, &out.ExtendedRequestID, &out.APIID, &out.APIName, &out.Stage, &out.Method,
		&out.Resource, &out.Path, &out.Cause, &out.Error, &out.ResponseType, &out.SourceIP, &out.UserAgent} {
		*f = clean(*f)
	}
	// Render from a shallow copy whose header lists are redacted.
	c := *rec
	c.Headers = redact(rec.Headers)
	c.EndpointHeaders = redact(rec.EndpointHeaders)
	c.EndpointRespHeaders = redact(rec.EndpointRespHeaders)
	c.ResponseHeaders = redact(rec.ResponseHeaders)
	lines := c.Lines(exec.LogOptions{Level: exec.LevelInfo, DataTrace: e.DataTrace})
	out.Log = make([]LogLine, len(lines))
	for i, l := range lines {
		out.Log[i] = LogLine{Time: l.Time.UTC(), Msg: clean(l.Msg)}
	}
	return out
}
