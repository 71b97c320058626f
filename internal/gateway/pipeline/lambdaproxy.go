package pipeline

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/lambda"
)

// ProxyEventV1 is the Lambda proxy event of a REST API (payload format
// 1.0), field for field as API Gateway sends it. It differs from
// events.APIGatewayProxyRequest where AWS sends JSON null: an absent body,
// query string, path parameters and stage variables, and the identity
// fields of an unauthenticated caller.
type ProxyEventV1 struct {
	ProxyRequestFields
	RequestContext  ProxyRequestContext `json:"requestContext"`
	Body            *string             `json:"body"`
	IsBase64Encoded bool                `json:"isBase64Encoded"`
}

// ProxyRequestFields are the request fields of a REST proxy event, which
// the event of a REQUEST authorizer carries too.
type ProxyRequestFields struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
}

// ProxyRequestContext is the requestContext of a REST proxy event.
type ProxyRequestContext struct {
	AccountID string `json:"accountId"`
	APIID     string `json:"apiId"`
	// Authorizer is what an authorizer returned (principalId and context,
	// or claims); absent when the method has no authorizer.
	Authorizer        json.RawMessage `json:"authorizer,omitempty"`
	DeploymentID      string          `json:"deploymentId"`
	DomainName        string          `json:"domainName"`
	DomainPrefix      string          `json:"domainPrefix"`
	ExtendedRequestID string          `json:"extendedRequestId"`
	HTTPMethod        string          `json:"httpMethod"`
	Identity          ProxyIdentity   `json:"identity"`
	Path              string          `json:"path"`
	Protocol          string          `json:"protocol"`
	RequestID         string          `json:"requestId"`
	RequestTime       string          `json:"requestTime"`
	RequestTimeEpoch  int64           `json:"requestTimeEpoch"`
	ResourceID        string          `json:"resourceId"`
	ResourcePath      string          `json:"resourcePath"`
	Stage             string          `json:"stage"`
}

// ProxyIdentity is requestContext.identity; fields without a value are null.
type ProxyIdentity struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     *string `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
	// APIKey and APIKeyID are set for methods that required an API key.
	APIKey   *string `json:"apiKey,omitempty"`
	APIKeyID *string `json:"apiKeyId,omitempty"`
}

// request headers that never reach a proxy Lambda (recorded on a REGIONAL
// API: TestApiGatewayHeaderRemapping[AWS_PROXY]); Via is replaced.
var dropProxyEventHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Content-Md5": true, "Expect": true,
	"Max-Forwards": true, "Proxy-Authenticate": true, "Server": true, "Te": true,
	"Transfer-Encoding": true, "Trailer": true, "Upgrade": true, "Www-Authenticate": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Via": true,
	"X-Forwarded-For": true, "X-Forwarded-Port": true, "X-Forwarded-Proto": true, "X-Amzn-Trace-Id": true,
}

// BuildProxyEventV1 builds the REST proxy event of the exchange.
func (m *Method) BuildProxyEventV1(x *Exchange) *ProxyEventV1 {
	ev := ProxyEventBase(x, m.ResourcePath)
	r := x.Req
	if len(x.Body) > 0 {
		var s string
		if m.binary.Match(r.Header.Get("Content-Type")) {
			s = base64.StdEncoding.EncodeToString(x.Body)
			ev.IsBase64Encoded = true
		} else {
			s = string(bytes.ToValidUTF8(x.Body, []byte("\uFFFD")))
		}
		ev.Body = &s
	}
	return ev
}

// ProxyEventBase builds the REST proxy event of the exchange without its
// body: what a Lambda proxy integration and a REQUEST authorizer both see.
func ProxyEventBase(x *Exchange, resourcePath string) *ProxyEventV1 {
	r := x.Req
	rec := x.Rec
	ev := &ProxyEventV1{ProxyRequestFields: ProxyRequestFields{
		Resource:   resourcePath,
		Path:       collapseSlashes(rec.Path),
		HTTPMethod: r.Method,
	}}
	if ev.Path == "" {
		ev.Path = "/"
	}
	// Headers: the client's (less hop-by-hop ones), then what API Gateway adds.
	add := func(k string, vs []string) {
		if ev.Headers == nil {
			ev.Headers = map[string]string{}
			ev.MultiValueHeaders = map[string][]string{}
		}
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	for k, vs := range r.Header {
		if dropProxyEventHeaders[k] || len(vs) == 0 {
			continue
		}
		add(k, vs)
	}
	if r.Host != "" {
		add("Host", []string{r.Host})
	}
	add("Via", []string{"1.1 archway (API Gateway)"})
	add("X-Amzn-Trace-Id", []string{traceID(x)})
	if rec.SourceIP != "" {
		xff := rec.SourceIP
		if prev := r.Header.Get("X-Forwarded-For"); prev != "" {
			xff = prev + ", " + rec.SourceIP
		}
		add("X-Forwarded-For", []string{xff})
	}
	proto, port := forwardedProtoPort(r)
	add("X-Forwarded-Port", []string{port})
	add("X-Forwarded-Proto", []string{proto})

	// Query string: form-decoded; the single-value map keeps the last value.
	eachQueryParam(r.URL.RawQuery, func(k, v string) {
		if ev.QueryStringParameters == nil {
			ev.QueryStringParameters = map[string]string{}
			ev.MultiValueQueryStringParameters = map[string][]string{}
		}
		ev.QueryStringParameters[k] = v
		ev.MultiValueQueryStringParameters[k] = append(ev.MultiValueQueryStringParameters[k], v)
	})
	for _, p := range x.Params {
		if ev.PathParameters == nil {
			ev.PathParameters = map[string]string{}
		}
		v := p.Value
		if strings.HasSuffix(resourcePath, "+}") {
			v = strings.Trim(collapseSlashes(v), "/")
		}
		ev.PathParameters[p.Name] = v
	}
	if x.Stage != nil && len(x.Stage.Variables) > 0 {
		ev.StageVariables = x.Stage.Variables
	}
	host := r.Host
	prefix, _, _ := strings.Cut(host, ".")
	ua := r.Header.Get("User-Agent")
	var uap *string
	if ua != "" {
		uap = &ua
	}
	ev.RequestContext = ProxyRequestContext{
		AccountID:         "000000000000",
		APIID:             x.APIID,
		Authorizer:        x.Auth.proxyAuthorizer(),
		DeploymentID:      shortID("deployment", x.APIID, rec.Stage),
		DomainName:        host,
		DomainPrefix:      prefix,
		ExtendedRequestID: rec.ExtendedRequestID,
		HTTPMethod:        r.Method,
		Identity:          ProxyIdentity{SourceIP: rec.SourceIP, UserAgent: uap},
		Path:              "/" + rec.Stage + rec.Path,
		Protocol:          rec.Protocol,
		RequestID:         rec.RequestID,
		RequestTime:       rec.Start.UTC().Format(requestTimeLayout),
		RequestTimeEpoch:  rec.Start.UnixMilli(),
		ResourceID:        shortID("resource", x.APIID, resourcePath),
		ResourcePath:      resourcePath,
		Stage:             rec.Stage,
	}
	if x.Auth != nil && x.Auth.APIKey != "" {
		// The key the request was matched with, in clear, as AWS passes it.
		k, id := x.Auth.APIKey, x.Auth.APIKeyID
		ev.RequestContext.Identity.APIKey, ev.RequestContext.Identity.APIKeyID = &k, &id
	}
	return ev
}

// requestTimeLayout is the layout of a proxy event's request time.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// forwardedProtoPort is the X-Forwarded-Proto and X-Forwarded-Port API
// Gateway adds: the scheme the client used and the port it connected to.
func forwardedProtoPort(r *http.Request) (proto, port string) {
	proto, port = "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(la.String()); err == nil {
			port = p
		}
	}
	return proto, port
}

// eachQueryParam calls f with each form-decoded parameter of a raw query
// string, in order, skipping empty ones.
func eachQueryParam(raw string, f func(k, v string)) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		f(formUnescape(k), formUnescape(v))
	}
}

// shortID is a stable 6-10 character id, shaped like API Gateway's
// resource and deployment ids.
func shortID(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	s := strconv.FormatUint(h.Sum64(), 36)
	if len(s) > 10 {
		s = s[:10]
	}
	return s
}

func collapseSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func (m *Method) serveLambdaProxy(ctx context.Context, x *Exchange) (*Response, error) {
	ev := m.BuildProxyEventV1(x)
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, diag.Wrap(diag.PhaseIntegrationRequest, diag.InternalError, err, "encoding the proxy event")
	}
	res, name, err := m.invokeLambda(ctx, x, payload, "")
	if err != nil {
		return nil, err
	}
	if res.FunctionError != "" {
		p, _ := lambda.ParseFunctionError(res.Payload)
		cause, detail := lambdaFailure(name, res, p.ErrorMessage)
		x.Rec.IntegrationErrorDetail = detail
		d := explain(diag.New(diag.PhaseIntegration, cause, detail))
		d.LogLine = "Lambda execution failed with status 200 due to customer function error: " + p.ErrorMessage + ". Lambda request id: " + res.RequestID
		return nil, d
	}
	out, perr := m.ProxyResponse(res.Payload, x.Req.Header.Get("Accept"))
	if perr != nil {
		var d *diag.Error
		if pe, ok := perr.(*ProxyResponseError); ok {
			d = explain(diag.New(diag.PhaseIntegrationResponse, diag.LambdaMalformedProxyResponse,
				fmt.Sprintf("function %s (Lambda request id %s) returned a malformed proxy response: %s%s", name, res.RequestID, pe.Reason, LogTail(res.Log, 5))))
		} else {
			d = diag.As(perr)
		}
		return nil, d
	}
	out.Header["X-Amzn-Trace-Id"] = []string{traceID(x)}
	return out, nil
}

// ProxyResponseError says why a Lambda proxy response is malformed.
type ProxyResponseError struct {
	// Reason names the offending key or value.
	Reason string
}

// Error implements error.
func (e *ProxyResponseError) Error() string { return "malformed Lambda proxy response: " + e.Reason }

func malformed(format string, args ...any) error {
	return &ProxyResponseError{Reason: fmt.Sprintf(format, args...)}
}

// ProxyResponse validates a Lambda proxy response (payload format 1.0) and
// turns it into the method response: only statusCode, headers,
// multiValueHeaders, body and isBase64Encoded; statusCode a number or a
// numeric string; header values strings or booleans; multiValueHeaders
// values lists; the two header maps merged case-insensitively, the
// multiValueHeaders casing and values first; a base64 body decoded only when
// the client's first Accept media type is binary. A malformed response is a
// *ProxyResponseError; bad base64 to decode is BINARY_CONVERSION_FAILED.
func (m *Method) ProxyResponse(payload []byte, accept string) (*Response, error) {
	v, err := decodeProxyPayload(payload)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, malformed("the payload is %s, not a JSON object", jsonKind(v))
	}
	for _, k := range sortedKeys(obj) {
		switch k {
		case "statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded":
		default:
			return nil, malformed("key %q is not allowed (allowed: statusCode, headers, multiValueHeaders, body, isBase64Encoded)", k)
		}
	}
	status := 200
	if sc := obj["statusCode"]; sc != nil {
		if status, err = proxyStatusCode(sc, true); err != nil {
			return nil, err
		}
	}
	type hdr struct {
		name string
		vals []string
	}
	var hs []*hdr
	idx := map[string]*hdr{}
	switch mv := obj["multiValueHeaders"].(type) {
	case nil:
	case map[string]any:
		for _, k := range sortedKeys(mv) {
			list, ok := mv[k].([]any)
			if !ok {
				if mv[k] == nil {
					continue
				}
				return nil, malformed("multiValueHeaders[%q] is %s, not a list", k, jsonKind(mv[k]))
			}
			h := idx[strings.ToLower(k)]
			if h == nil {
				h = &hdr{name: k}
				idx[strings.ToLower(k)] = h
				hs = append(hs, h)
			}
			for i, e := range list {
				s, ok := headerString(e)
				if !ok {
					return nil, malformed("multiValueHeaders[%q][%d] is %s, not a string", k, i, jsonKind(e))
				}
				h.vals = append(h.vals, s)
			}
		}
	default:
		return nil, malformed("multiValueHeaders is %s, not an object", jsonKind(mv))
	}
	switch sv := obj["headers"].(type) {
	case nil:
	case map[string]any:
		for _, k := range sortedKeys(sv) {
			s, ok := headerString(sv[k])
			if !ok {
				return nil, malformed("headers[%q] is %s, not a string", k, jsonKind(sv[k]))
			}
			h := idx[strings.ToLower(k)]
			if h == nil {
				h = &hdr{name: k}
				idx[strings.ToLower(k)] = h
				hs = append(hs, h)
			}
			h.vals = append(h.vals, s)
		}
	default:
		return nil, malformed("headers is %s, not an object", jsonKind(sv))
	}
	body, isB64, err := proxyBody(obj)
	if err != nil {
		return nil, err
	}
	out := &Response{Status: status, Header: http.Header{}}
	for _, h := range hs {
		if http.CanonicalHeaderKey(h.name) == "Content-Length" || http.CanonicalHeaderKey(h.name) == "Transfer-Encoding" {
			continue
		}
		out.Header[h.name] = h.vals
	}
	if !hasHeader(out.Header, "Content-Type") {
		out.Header["Content-Type"] = []string{"application/json"}
	}
	out.Body = []byte(body)
	if isB64 && m.binary.Match(accept) {
		dec, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, diag.Wrap(diag.PhaseIntegrationResponse, diag.BinaryConversionFailed, err, "the Lambda proxy response sets isBase64Encoded and its body is not base64")
		}
		out.Body = dec
	}
	return out, nil
}

// decodeProxyPayload decodes a Lambda proxy response: one JSON value,
// numbers kept as json.Number.
func decodeProxyPayload(payload []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, malformed("the payload is not JSON: %s", truncate(string(payload), 100))
	}
	if dec.More() {
		return nil, malformed("the payload holds more than one JSON value")
	}
	return v, nil
}

// proxyStatusCode reads a proxy response's statusCode: a JSON integer or,
// when numericString (payload format 1.0), a string holding one; it must
// be an HTTP status.
func proxyStatusCode(v any, numericString bool) (int, error) {
	var status int
	switch sc := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(sc.String())
		if err != nil {
			return 0, malformed("statusCode %s is not an integer", sc)
		}
		status = n
	case string:
		if !numericString {
			return 0, malformed("statusCode is %s, not a number", jsonKind(sc))
		}
		n, err := strconv.Atoi(strings.TrimSpace(sc))
		if err != nil {
			return 0, malformed("statusCode %q is not a number", sc)
		}
		status = n
	default:
		return 0, malformed("statusCode is %s, not a number", jsonKind(sc))
	}
	if status < 100 || status > 599 {
		return 0, malformed("statusCode %d is not an HTTP status", status)
	}
	return status, nil
}

// proxyBody reads the body and isBase64Encoded keys of a structured proxy
// response; both may be absent or null.
func proxyBody(obj map[string]any) (body string, isBase64 bool, err error) {
	switch b := obj["body"].(type) {
	case nil:
	case string:
		body = b
	default:
		return "", false, malformed("body is %s, not a string", jsonKind(b))
	}
	switch b := obj["isBase64Encoded"].(type) {
	case nil:
	case bool:
		isBase64 = b
	default:
		return "", false, malformed("isBase64Encoded is %s, not a boolean", jsonKind(b))
	}
	return body, isBase64, nil
}

func hasHeader(h http.Header, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func headerString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

func jsonKind(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", truncate(t, 40))
	case json.Number:
		return "the number " + t.String()
	case bool:
		return "the boolean " + strconv.FormatBool(t)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
