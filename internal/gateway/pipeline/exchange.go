// Package pipeline runs one REST API method the way API Gateway does:
// integration request (parameter mapping, template), integration, integration
// response (selection, mapping) and method response. Everything a method does
// not use is left out when the method is compiled.
package pipeline

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/gatewayresponse"
	"github.com/archway-gw/archway/internal/gateway/router"
	"github.com/archway-gw/archway/internal/mapping"
)

// Stage is the compiled per-stage state a request sees.
type Stage struct {
	Name      string
	Variables map[string]string
}

// Exchange is one request in flight.
type Exchange struct {
	Req   *http.Request
	Rec   *exec.Record
	APIID string
	Stage *Stage
	// Params are the matched path parameters (raw).
	Params []router.Param
	// Body is the buffered request body, when the method needs it buffered.
	Body []byte
	// Trace is true when the stage logs headers and bodies (data trace).
	Trace bool
	// LogInfo is true when the stage's execution log is at INFO, so that
	// findings only INFO shows (a template output that is not JSON) are
	// worth computing.
	LogInfo bool
	// Err is set when the request failed; it fills $context.error.*.
	Err *diag.Error
	// Auth is what the authorizer and API-key steps learned; nil when the
	// method has neither.
	Auth *Auth
	// Overrides are what mapping templates set through
	// $context.requestOverride and $context.responseOverride.
	Overrides *mapping.Overrides
	// Host is the method request's Host header, which Go's server keeps
	// in Req.Host rather than Req.Header. As on AWS, templates
	// ($input.params('Host')) and parameter mappings
	// (method.request.header.Host) see it. Empty when the request had
	// none (a TestInvoke call without a Host header).
	Host string

	tmplCtx *mapping.RequestContext
	// tmplBase is what every template of the exchange sees but the body and
	// the overrides (built on first render).
	tmplBase *mapping.Input
	traceID  string

	// The request body parsed for body parameter mappings (once).
	bodyDoc     any
	bodyDocOK   bool
	bodyDocDone bool
	bodyDocErr  error
}

// Response is a buffered method response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// PathParam returns a path parameter by name.
func (x *Exchange) PathParam(name string) (string, bool) {
	for _, p := range x.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// methodHeader returns the values of the method request header name,
// the Host header included (see Exchange.Host).
func (x *Exchange) methodHeader(name string) []string {
	if x.Host != "" && textproto.CanonicalMIMEHeaderKey(name) == "Host" && len(x.Req.Header["Host"]) == 0 {
		return []string{x.Host}
	}
	return x.Req.Header.Values(name)
}

// MethodRequest implements gatewayresponse.Vars.
func (x *Exchange) MethodRequest(location, name string) string {
	switch location {
	case "header":
		vs := x.methodHeader(name)
		if len(vs) == 0 {
			return ""
		}
		return vs[0]
	case "querystring":
		return lastQuery(x.Req.URL.RawQuery, name)
	case "path":
		v, _ := x.PathParam(name)
		return v
	}
	return ""
}

// StageVariable implements gatewayresponse.Vars.
func (x *Exchange) StageVariable(name string) string {
	if x.Stage == nil {
		return ""
	}
	return x.Stage.Variables[name]
}

// Context implements gatewayresponse.Vars: $context.NAME.
func (x *Exchange) Context(name string) string {
	r := x.Rec
	switch name {
	case "requestId":
		return r.RequestID
	case "extendedRequestId":
		return r.ExtendedRequestID
	case "apiId":
		return x.APIID
	case "stage":
		return r.Stage
	case "httpMethod":
		return r.HTTPMethod
	case "resourcePath":
		return r.ResourcePath
	case "path":
		return "/" + r.Stage + r.Path
	case "protocol":
		return r.Protocol
	case "requestTime":
		return r.Start.UTC().Format("02/Jan/2006:15:04:05 -0700")
	case "requestTimeEpoch":
		return strconv.FormatInt(r.Start.UnixMilli(), 10)
	case "identity.sourceIp":
		return r.SourceIP
	case "identity.userAgent":
		return r.UserAgent
	case "identity.apiKey":
		// Logs never show a key in clear: the execution-log form, every
		// character but the last four as '*' (docs/limits.md).
		if x.Auth != nil && x.Auth.APIKey != "" {
			return MaskAPIKey(x.Auth.APIKey)
		}
		return ""
	case "identity.apiKeyId":
		if x.Auth != nil {
			return x.Auth.APIKeyID
		}
		return ""
	case "identity.accessKey", "identity.accountId", "identity.caller", "identity.user", "identity.userArn":
		if x.Auth == nil {
			return ""
		}
		switch name {
		case "identity.accessKey":
			return x.Auth.AccessKey
		case "identity.accountId":
			return x.Auth.AccountID
		case "identity.caller":
			return x.Auth.Caller
		case "identity.user":
			return x.Auth.User
		}
		return x.Auth.UserARN
	case "domainName":
		return x.Req.Host
	case "domainPrefix":
		h, _, _ := strings.Cut(x.Req.Host, ".")
		return h
	case "accountId":
		return "000000000000"
	case "status":
		return itoaOrDash(r.Status)
	case "responseLength":
		return strconv.FormatInt(r.ResponseLength, 10)
	case "responseLatency":
		return strconv.FormatInt(r.ResponseLatency().Milliseconds(), 10)
	case "integrationLatency", "integration.latency":
		if r.IntegrationStart.IsZero() {
			return "-"
		}
		return strconv.FormatInt(r.IntegrationLatency().Milliseconds(), 10)
	case "integrationStatus", "integration.status", "integration.integrationStatus":
		return itoaOrDash(r.IntegrationStatus)
	case "integrationErrorMessage", "integration.error":
		if x.Err != nil && x.Err.Phase == diag.PhaseIntegration {
			return x.Err.Error()
		}
		return ""
	case "archway.cause":
		if x.Err != nil {
			return string(x.Err.Cause)
		}
		return ""
	case "archway.fix":
		if x.Err != nil {
			return x.Err.Info().Fix
		}
		return ""
	case "xrayTraceId":
		return traceID(x)
	}
	if strings.HasPrefix(name, "error.") {
		return x.errorContext(name[len("error."):])
	}
	if a, ok := strings.CutPrefix(name, "authorizer."); ok {
		return x.authorizerContext(a)
	}
	return ""
}

func (x *Exchange) errorContext(name string) string {
	if x.Err == nil {
		return ""
	}
	info := x.Err.Info()
	switch name {
	case "message":
		return info.Message
	case "messageString":
		return gatewayresponse.MessageString(info)
	case "responseType":
		return string(info.ResponseType)
	case "validationErrorString":
		return x.Err.ValidationError
	}
	return ""
}

func lastQuery(raw, name string) string {
	v := ""
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, val, _ := strings.Cut(kv, "=")
		if formUnescape(k) == name {
			v = formUnescape(val)
		}
	}
	return v
}

// Since returns milliseconds since t as text (for latency variables).
func Since(t time.Time, now time.Time) string {
	return strconv.FormatInt(now.Sub(t).Milliseconds(), 10)
}

func itoaOrDash(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// SetIDs adds the request-id headers API Gateway puts on every response.
func SetIDs(h http.Header, x *Exchange) {
	h["x-amzn-RequestId"] = []string{x.Rec.RequestID}
	h["x-amz-apigw-id"] = []string{x.Rec.ExtendedRequestID}
}

// MaskAPIKey renders an API key as logs show it: every character but the
// last four replaced by '*'.
func MaskAPIKey(v string) string {
	if len(v) <= 4 {
		return strings.Repeat("*", len(v))
	}
	return strings.Repeat("*", len(v)-4) + v[len(v)-4:]
}
