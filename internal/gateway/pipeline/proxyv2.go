package pipeline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file holds the HTTP API Lambda payload format 2.0: the event an HTTP
// API route sends to a Lambda proxy integration, and how the function's
// response is read. HTTP APIs are not served yet; the HTTP API work builds
// on these.

// ProxyEventV2 is the Lambda proxy event of an HTTP API (payload format
// 2.0), field for field as API Gateway sends it (and as
// events.APIGatewayV2HTTPRequest reads it). Unlike format 1.0, fields
// without a value are left out rather than null.
type ProxyEventV2 struct {
	Version               string                `json:"version"`
	RouteKey              string                `json:"routeKey"`
	RawPath               string                `json:"rawPath"`
	RawQueryString        string                `json:"rawQueryString"`
	Cookies               []string              `json:"cookies,omitempty"`
	Headers               map[string]string     `json:"headers"`
	QueryStringParameters map[string]string     `json:"queryStringParameters,omitempty"`
	RequestContext        ProxyRequestContextV2 `json:"requestContext"`
	Body                  string                `json:"body,omitempty"`
	PathParameters        map[string]string     `json:"pathParameters,omitempty"`
	IsBase64Encoded       bool                  `json:"isBase64Encoded"`
	StageVariables        map[string]string     `json:"stageVariables,omitempty"`
}

// ProxyRequestContextV2 is the requestContext of an HTTP API event.
type ProxyRequestContextV2 struct {
	AccountID      string          `json:"accountId"`
	APIID          string          `json:"apiId"`
	Authentication json.RawMessage `json:"authentication,omitempty"`
	Authorizer     json.RawMessage `json:"authorizer,omitempty"`
	DomainName     string          `json:"domainName"`
	DomainPrefix   string          `json:"domainPrefix"`
	HTTP           ProxyHTTPV2     `json:"http"`
	RequestID      string          `json:"requestId"`
	RouteKey       string          `json:"routeKey"`
	Stage          string          `json:"stage"`
	Time           string          `json:"time"`
	TimeEpoch      int64           `json:"timeEpoch"`
}

// ProxyHTTPV2 is requestContext.http of an HTTP API event.
type ProxyHTTPV2 struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// EventV2Input is what an HTTP API route knows about one request when it
// builds the format 2.0 event.
type EventV2Input struct {
	// Req is the client request; its Host, method, raw path, raw query,
	// headers and protocol are read.
	Req *http.Request
	// Body is the whole request body.
	Body []byte
	// RouteKey is the matched route, such as "GET /pets/{id}" or "$default".
	RouteKey string
	// Stage is the stage name; "$default" for the default stage.
	Stage string
	// APIID and AccountID identify the API.
	APIID, AccountID string
	// RequestID is $context.requestId.
	RequestID string
	// SourceIP is the client address; default the request's RemoteAddr host.
	SourceIP string
	// Start is the request time.
	Start time.Time
	// TraceID is the X-Amzn-Trace-Id API Gateway adds.
	TraceID string
	// PathParameters are the route's matched parameters; StageVariables the
	// stage's variables.
	PathParameters, StageVariables map[string]string
	// Authorizer is requestContext.authorizer as JSON, when the route has one.
	Authorizer json.RawMessage
}

// BuildProxyEventV2 builds the format 2.0 event of a request:
//   - header names lowercased, repeated headers joined with commas, the
//     Cookie headers moved to cookies (split on ";");
//   - repeated query parameters joined with commas; rawQueryString as sent;
//   - API Gateway's x-forwarded-for/-port/-proto and x-amzn-trace-id added;
//   - the body base64-encoded (isBase64Encoded) unless its Content-Type is
//     textual (text/*, JSON, XML, JavaScript) — so form posts and bodies
//     without a Content-Type arrive base64-encoded, as on AWS;
//   - empty query, path parameters, stage variables and body left out.
func BuildProxyEventV2(in EventV2Input) *ProxyEventV2 {
	r := in.Req
	ev := &ProxyEventV2{
		Version:        "2.0",
		RouteKey:       in.RouteKey,
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
	}
	if ev.RawPath == "" {
		ev.RawPath = "/"
	}
	for _, k := range sortedKeys(r.Header) {
		vs := r.Header[k]
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		if len(vs) == 0 {
			continue
		}
		if prev, ok := ev.Headers[lk]; ok {
			ev.Headers[lk] = prev + "," + strings.Join(vs, ",")
		} else {
			ev.Headers[lk] = strings.Join(vs, ",")
		}
	}
	if r.Host != "" {
		ev.Headers["host"] = r.Host
	}
	src := in.SourceIP
	if src == "" {
		if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			src = h
		}
	}
	if src != "" {
		if prev := ev.Headers["x-forwarded-for"]; prev != "" {
			ev.Headers["x-forwarded-for"] = prev + ", " + src
		} else {
			ev.Headers["x-forwarded-for"] = src
		}
	}
	proto, port := forwardedProtoPort(r)
	ev.Headers["x-forwarded-port"] = port
	ev.Headers["x-forwarded-proto"] = proto
	if in.TraceID != "" {
		ev.Headers["x-amzn-trace-id"] = in.TraceID
	}
	eachQueryParam(r.URL.RawQuery, func(k, v string) {
		if ev.QueryStringParameters == nil {
			ev.QueryStringParameters = map[string]string{}
		}
		if prev, ok := ev.QueryStringParameters[k]; ok {
			ev.QueryStringParameters[k] = prev + "," + v
		} else {
			ev.QueryStringParameters[k] = v
		}
	})
	if len(in.PathParameters) > 0 {
		ev.PathParameters = in.PathParameters
	}
	if len(in.StageVariables) > 0 {
		ev.StageVariables = in.StageVariables
	}
	if len(in.Body) > 0 {
		if textualMediaType(r.Header.Get("Content-Type")) {
			ev.Body = string(bytes.ToValidUTF8(in.Body, []byte("\uFFFD")))
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(in.Body)
			ev.IsBase64Encoded = true
		}
	}
	prefix, _, _ := strings.Cut(r.Host, ".")
	ev.RequestContext = ProxyRequestContextV2{
		AccountID:    in.AccountID,
		APIID:        in.APIID,
		Authorizer:   in.Authorizer,
		DomainName:   r.Host,
		DomainPrefix: prefix,
		HTTP: ProxyHTTPV2{
			Method:    r.Method,
			Path:      ev.RawPath,
			Protocol:  r.Proto,
			SourceIP:  src,
			UserAgent: r.Header.Get("User-Agent"),
		},
		RequestID: in.RequestID,
		RouteKey:  in.RouteKey,
		Stage:     in.Stage,
		Time:      in.Start.UTC().Format(requestTimeLayout),
		TimeEpoch: in.Start.UnixMilli(),
	}
	return ev
}

// textualMediaType reports whether an HTTP API passes a body of this
// Content-Type as text; every other body (and a body without a
// Content-Type) is base64-encoded in the event.
func textualMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt == "" {
		return false
	}
	typ, sub, _ := strings.Cut(mt, "/")
	switch {
	case typ == "text":
		return true
	case sub == "json" || sub == "xml" || sub == "javascript" || sub == "ecmascript":
		return true
	case strings.HasSuffix(sub, "+json") || strings.HasSuffix(sub, "+xml"):
		return true
	}
	return false
}

// ParseProxyResponseV2 reads a function's response under payload format
// 2.0:
//   - a JSON object with a statusCode key is a structured response:
//     statusCode (a number), headers (string, number or boolean values),
//     cookies (each one a Set-Cookie header), body (a string) and
//     isBase64Encoded (the body is decoded); other keys are ignored;
//   - any other JSON value is inferred: 200, Content-Type application/json,
//     and the payload itself as the body — except a JSON string, whose
//     value is the body;
//   - a payload that is not JSON, or a structured response with a bad
//     field, is a *ProxyResponseError (HTTP APIs answer 500
//     {"message":"Internal Server Error"}).
func ParseProxyResponseV2(payload []byte) (*Response, error) {
	v, err := decodeProxyPayload(payload)
	if err != nil {
		return nil, err
	}
	obj, isObj := v.(map[string]any)
	if _, structured := obj["statusCode"]; !isObj || !structured {
		body := bytes.TrimSpace(payload)
		if s, ok := v.(string); ok {
			body = []byte(s)
		}
		return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}, nil
	}
	status, err := proxyStatusCode(obj["statusCode"], false)
	if err != nil {
		return nil, err
	}
	out := &Response{Status: status, Header: http.Header{}}
	switch hv := obj["headers"].(type) {
	case nil:
	case map[string]any:
		for _, k := range sortedKeys(hv) {
			var s string
			switch t := hv[k].(type) {
			case string:
				s = t
			case json.Number:
				s = t.String()
			case bool:
				s = strconv.FormatBool(t)
			default:
				return nil, malformed("headers[%q] is %s, not a string", k, jsonKind(hv[k]))
			}
			ck := http.CanonicalHeaderKey(k)
			if ck == "Content-Length" || ck == "Transfer-Encoding" {
				continue
			}
			out.Header[ck] = append(out.Header[ck], s)
		}
	default:
		return nil, malformed("headers is %s, not an object", jsonKind(hv))
	}
	switch cv := obj["cookies"].(type) {
	case nil:
	case []any:
		for i, c := range cv {
			s, ok := c.(string)
			if !ok {
				return nil, malformed("cookies[%d] is %s, not a string", i, jsonKind(c))
			}
			out.Header["Set-Cookie"] = append(out.Header["Set-Cookie"], s)
		}
	default:
		return nil, malformed("cookies is %s, not a list", jsonKind(cv))
	}
	body, isB64, err := proxyBody(obj)
	if err != nil {
		return nil, err
	}
	out.Body = []byte(body)
	if isB64 {
		raw, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, malformed("isBase64Encoded is true and the body is not base64: %v", err)
		}
		out.Body = raw
	}
	if _, ok := out.Header["Content-Type"]; !ok {
		out.Header["Content-Type"] = []string{"application/json"}
	}
	return out, nil
}
