package pipeline

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
)

// Backend is how a method reaches HTTP backends: a pooled transport and the
// classifier that turns its errors into causes.
type Backend struct {
	Transport http.RoundTripper
	// Classify maps a transport error to a cause; ctx is the integration's context.
	Classify func(ctx context.Context, err error) *diag.Error
	// Lambda invokes the functions of AWS and AWS_PROXY Lambda
	// integrations; nil when no local Lambda service runs.
	Lambda LambdaInvoker
	// Authorizers builds each method's authorizer step (Lambda, Cognito,
	// AWS_IAM); nil serves methods without authorization.
	Authorizers GuardCompiler
	// Limits builds each method's API key, usage-plan, throttle and quota
	// step; nil checks none.
	Limits GuardCompiler
}

// IntegrationResponse is a compiled integration response.
type IntegrationResponse struct {
	Status    int
	Code      string
	pattern   *regexp.Regexp // nil for the default response
	params    []ResponseMapping
	templates map[string]*Template
	firstType string
	handling  contentHandling
}

// ResponseMapping is one compiled method.response.header.NAME ← source entry.
type ResponseMapping struct {
	header string
	src    Source
}

// Method is a compiled REST API method, ready to serve requests.
type Method struct {
	APIID        string
	HTTPMethod   string
	ResourcePath string
	Type         apigw.IntegrationType

	// Fail, when set, is returned for every request before the backend is
	// called (a reserved header mapping, an integration type not served).
	Fail *diag.Error
	// Guards are the access-control steps (API key and throttling,
	// authorizer), run in order before validation.
	Guards []Checker
	// Validator, when set, checks the method request (AWS request
	// validators) before the integration request is built.
	Validator Checker

	uri          *URITemplate
	backendVerb  string // integration httpMethod; "" means the client's
	timeout      time.Duration
	reqMaps      []RequestMapping
	reqTemplates map[string]*Template
	passthrough  apigw.PassthroughBehavior
	responses    []*IntegrationResponse // non-default ones first, in definition order
	defaultResp  *IntegrationResponse
	methodStatus map[string]bool
	backend      *Backend
	needsBody    bool
	binary       *MediaTypes     // the API's binaryMediaTypes; nil when none
	reqHandling  contentHandling // the integration's contentHandling
	lambda       *lambdaTarget   // AWS and AWS_PROXY Lambda integrations
}

// Checker validates a method request; a failure is a *diag.Error.
type Checker interface {
	Check(ctx context.Context, x *Exchange) error
	// NeedsBody reports whether the check reads the request body.
	NeedsBody() bool
}

// NeedsBody reports whether the method reads the whole request body before
// calling the integration (HTTP_PROXY streams it).
func (m *Method) NeedsBody() bool {
	if m.needsBody || (m.Validator != nil && m.Validator.NeedsBody()) {
		return true
	}
	for _, g := range m.Guards {
		if g.NeedsBody() {
			return true
		}
	}
	return false
}

// hop-by-hop and gateway-owned request headers never forwarded from the client.
var dropRequestHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Content-Md5": true, "Expect": true,
	"Max-Forwards": true, "Proxy-Authenticate": true, "Server": true, "Te": true,
	"Transfer-Encoding": true, "Trailer": true, "Upgrade": true, "Www-Authenticate": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Via": true, "Host": true,
	// Recorded on AWS (TestApiGatewayHeaderRemapping, HTTP_PROXY): a client
	// Content-Encoding does not reach the backend.
	"Content-Encoding": true,
}

// mapped request headers AWS silently drops for HTTP integrations.
var dropMappedHTTP = map[string]bool{"Via": true, "Proxy-Authenticate": true, "Connection": true, "Te": true, "Expect": true}

// remappedProxyResponse are backend response headers returned as x-amzn-Remapped-*.
var remappedProxyResponse = map[string]bool{"Connection": true, "Content-Length": true, "Date": true, "Server": true, "X-Amzn-Requestid": true}

// remappedMethodResponse are method.response.header mappings returned as x-amzn-Remapped-*.
var remappedMethodResponse = map[string]bool{
	"Authorization": true, "Connection": true, "Content-Length": true, "Content-Md5": true, "Date": true,
	"Expect": true, "Host": true, "Max-Forwards": true, "Proxy-Authenticate": true, "Server": true,
	"Trailer": true, "Upgrade": true, "User-Agent": true, "Www-Authenticate": true,
}

// Serve runs the method. For HTTP_PROXY it writes the response to w itself
// and returns (nil, nil); otherwise it returns the method response to write.
func (m *Method) Serve(ctx context.Context, x *Exchange, w http.ResponseWriter) (*Response, error) {
	if len(m.Guards) > 0 {
		x.Rec.AuthStart = time.Now()
		for _, g := range m.Guards {
			if err := g.Check(ctx, x); err != nil {
				x.Rec.AuthEnd = time.Now()
				return nil, err
			}
		}
		x.Rec.AuthEnd = time.Now()
	}
	if m.Validator != nil {
		if err := m.Validator.Check(ctx, x); err != nil {
			return nil, err
		}
	}
	if m.Fail != nil {
		return nil, m.Fail
	}
	if m.lambda != nil {
		return m.serveLambda(ctx, x)
	}
	switch m.Type {
	case apigw.IntegrationMock:
		return m.serveMock(ctx, x)
	case apigw.IntegrationHTTPProxy:
		return nil, m.serveHTTPProxy(ctx, x, w)
	default:
		return m.serveHTTP(ctx, x)
	}
}

// mappedRequest applies requestParameters.
type mappedRequest struct {
	header http.Header
	query  []exec.KV
	path   map[string]string
}

func (m *Method) mapRequest(x *Exchange) mappedRequest {
	var mr mappedRequest
	if len(m.reqMaps) == 0 {
		return mr
	}
	mr.header = http.Header{}
	for _, rm := range m.reqMaps {
		v, ok := rm.src.requestValue(x)
		if !ok {
			continue
		}
		switch rm.target {
		case tgtHeader:
			if m.Type == apigw.IntegrationHTTP || m.Type == apigw.IntegrationHTTPProxy {
				if dropMappedHTTP[http.CanonicalHeaderKey(rm.name)] {
					continue
				}
			}
			mr.header.Set(rm.name, v)
		case tgtQuery:
			vs, _ := rm.src.requestValues(x)
			for _, v := range vs {
				mr.query = append(mr.query, exec.KV{Key: rm.name, Value: v})
			}
		case tgtPath:
			if mr.path == nil {
				mr.path = map[string]string{}
			}
			mr.path[rm.name] = v
		}
	}
	return mr
}

func (m *Method) endpoint(x *Exchange, mr mappedRequest, clientQuery string) (string, error) {
	u, ok := m.uri.Expand(x.Stage.Variables, func(name string) (string, bool) {
		v, ok := mr.path[name]
		return v, ok
	})
	if !ok {
		return u, diag.Newf(diag.PhaseIntegrationRequest, diag.InvalidEndpoint, "integration URI expands to %q, which is not an absolute http(s) URL", u)
	}
	q := clientQuery
	for _, kv := range mr.query {
		if q != "" {
			q += "&"
		}
		q += url.QueryEscape(kv.Key) + "=" + url.QueryEscape(kv.Value)
	}
	if q != "" {
		if strings.IndexByte(u, '?') >= 0 {
			if !strings.HasSuffix(u, "?") && !strings.HasSuffix(u, "&") {
				u += "&"
			}
			u += q
		} else {
			u += "?" + q
		}
	}
	return u, nil
}

func (m *Method) verb(x *Exchange) string {
	if m.backendVerb == "" || m.backendVerb == "ANY" {
		return x.Req.Method
	}
	return m.backendVerb
}

func (m *Method) send(ctx context.Context, x *Exchange, req *http.Request) (*http.Response, context.CancelFunc, error) {
	ictx, cancel := context.WithTimeout(ctx, m.timeout)
	req = req.WithContext(ictx)
	rec := x.Rec
	rec.EndpointSent = true
	rec.IntegrationStart = time.Now()
	resp, err := m.backend.Transport.RoundTrip(req)
	if err != nil {
		rec.IntegrationEnd = time.Now()
		cancel()
		return nil, nil, m.classify(ictx, err)
	}
	return resp, cancel, nil
}

func (m *Method) classify(ctx context.Context, err error) *diag.Error {
	var d *diag.Error
	if errors.As(err, &d) {
		return d
	}
	if errors.Is(err, context.Canceled) && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// The client went away: its request context was cancelled.
		return diag.Wrap(diag.PhaseIntegration, diag.ClientAborted, err, "the client closed the connection before the integration answered")
	}
	return m.backend.Classify(ctx, err)
}

func (m *Method) serveHTTPProxy(ctx context.Context, x *Exchange, w http.ResponseWriter) error {
	if err := m.checkBodyMappings(x); err != nil {
		return err
	}
	mr := m.mapRequest(x)
	target, err := m.endpoint(x, mr, x.Req.URL.RawQuery)
	if err != nil {
		return err
	}
	var body io.Reader = x.Req.Body
	cl := x.Req.ContentLength
	if x.Body != nil {
		b := x.Body
		if m.reqHandling != handlingPassthrough {
			if b, err = m.convertProxyRequest(x); err != nil {
				return err
			}
		}
		body, cl = strings.NewReader(string(b)), int64(len(b))
	}
	if cl == 0 {
		body = nil
	}
	x.Rec.EndpointURI = target
	req, err := http.NewRequest(m.verb(x), target, body)
	if err != nil {
		return diag.Wrap(diag.PhaseIntegrationRequest, diag.InvalidEndpoint, err, "building the endpoint request")
	}
	req.ContentLength = cl
	copyClientHeaders(req.Header, x.Req.Header)
	mr.applyHeaders(req)
	m.gatewayHeaders(req, x)
	if x.Trace {
		x.Rec.EndpointHeaders = headerKVs(req.Header)
	}
	resp, cancel, err := m.send(ctx, x, req)
	if err != nil {
		return err
	}
	defer cancel()
	defer resp.Body.Close()
	rec := x.Rec
	rec.IntegrationReceived = true
	rec.IntegrationStatus = resp.StatusCode
	if x.Trace {
		rec.EndpointRespHeaders = headerKVs(resp.Header)
	}
	h := w.Header()
	for k, vs := range resp.Header {
		if remappedProxyResponse[k] {
			h["x-amzn-Remapped-"+k] = vs
			continue
		}
		if k == "Keep-Alive" || k == "Transfer-Encoding" || k == "Trailer" || k == "Upgrade" || k == "Proxy-Connection" {
			continue
		}
		h[k] = vs
	}
	if resp.ContentLength >= 0 {
		h["Content-Length"] = []string{strconv.FormatInt(resp.ContentLength, 10)}
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{"application/json"}
	}
	h["X-Amzn-Trace-Id"] = []string{traceID(x)}
	SetIDs(h, x)
	// Read the first bytes before committing the status, so that a backend
	// that fails right away still gets a classified gateway response.
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	n, rerr := io.ReadFull(resp.Body, buf)
	if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
		rec.IntegrationEnd = time.Now()
		for k := range h {
			delete(h, k)
		}
		return m.classify(ctx, rerr)
	}
	if rerr == io.ErrUnexpectedEOF && resp.ContentLength > int64(n) {
		rec.IntegrationEnd = time.Now()
		for k := range h {
			delete(h, k)
		}
		return m.classify(ctx, rerr)
	}
	rec.IntegrationEnd = time.Now()
	rec.Status = resp.StatusCode
	w.WriteHeader(resp.StatusCode)
	written, _ := w.Write(buf[:n])
	total := int64(written)
	if rerr == nil {
		c, _ := io.CopyBuffer(w, resp.Body, buf)
		total += c
	}
	rec.ResponseLength = total
	rec.ResponseBodyKept = false
	rec.EndpointRespBodyKept = false
	return nil
}

// bufPool holds the copy buffers of streamed responses.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 32*1024)
	return &b
}}

func (m *Method) gatewayHeaders(req *http.Request, x *Exchange) {
	req.Header["X-Amzn-Apigateway-Api-Id"] = []string{m.APIID}
	req.Header["X-Amzn-Trace-Id"] = []string{traceID(x)}
	if tc := x.Rec.Trace; tc != nil {
		req.Header["Traceparent"] = []string{tc.TraceParent}
	}
}

// applyHeaders sets the mapped headers on the endpoint request; a mapped
// Host replaces the request's Host, as on AWS.
func (mr *mappedRequest) applyHeaders(req *http.Request) {
	for k, v := range mr.header {
		if k == "Host" {
			req.Host = v[len(v)-1]
			continue
		}
		req.Header[k] = v
	}
}

// traceID is the X-Amzn-Trace-Id of the exchange, made once; the trace
// context's when tracing is on.
func traceID(x *Exchange) string {
	if tc := x.Rec.Trace; tc != nil {
		return tc.AmznTraceID
	}
	if x.traceID == "" {
		id := x.Rec.RequestID
		var b strings.Builder
		b.Grow(40)
		b.WriteString("Root=1-")
		b.WriteString(strconv.FormatInt(x.Rec.Start.Unix(), 16))
		b.WriteByte('-')
		n := 0
		for i := 0; i < len(id) && n < 24; i++ {
			if id[i] != '-' {
				b.WriteByte(id[i])
				n++
			}
		}
		x.traceID = b.String()
	}
	return x.traceID
}

func copyClientHeaders(dst, src http.Header) {
	for k, vs := range src {
		if dropRequestHeaders[k] {
			continue
		}
		dst[k] = vs
	}
}

func headerKVs(h http.Header) []exec.KV {
	out := make([]exec.KV, 0, len(h))
	for k, vs := range h {
		out = append(out, exec.KV{Key: k, Value: strings.Join(vs, ",")})
	}
	return out
}
