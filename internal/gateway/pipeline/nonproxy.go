package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/mapping"
)

// maxResponseBody bounds a buffered backend response (API Gateway's 10 MB).
const maxResponseBody = apigw.MaxPayloadBytes

func (m *Method) serveHTTP(ctx context.Context, x *Exchange) (*Response, error) {
	if err := m.checkBodyMappings(x); err != nil {
		return nil, err
	}
	mr := m.mapRequest(x)
	body, err := m.requestBody(ctx, x)
	if err != nil {
		return nil, err
	}
	x.Rec.EndpointBody = body
	mr.applyOverrides(x.Overrides)
	target, err := m.endpoint(x, mr, "")
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = strings.NewReader(string(body))
	}
	x.Rec.EndpointURI = target
	req, err := http.NewRequest(m.verb(x), target, rd)
	if err != nil {
		return nil, diag.Wrap(diag.PhaseIntegrationRequest, diag.InvalidEndpoint, err, "building the endpoint request")
	}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{"AmazonAPIGateway_" + m.APIID}
	if ct := x.Req.Header.Get("Content-Type"); ct != "" && len(body) > 0 {
		req.Header["Content-Type"] = []string{ct}
	}
	mr.applyHeaders(req)
	req.Header["X-Amzn-Apigateway-Api-Id"] = []string{m.APIID}
	req.Header["X-Amzn-Trace-Id"] = []string{traceID(x)}
	if tc := x.Rec.Trace; tc != nil {
		req.Header["Traceparent"] = []string{tc.TraceParent}
	}
	if x.Trace {
		x.Rec.EndpointHeaders = headerKVs(req.Header)
	}
	resp, cancel, err := m.send(ctx, x, req)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	x.Rec.IntegrationEnd = time.Now()
	if err != nil {
		return nil, m.classify(ctx, err)
	}
	rec := x.Rec
	rec.IntegrationReceived = true
	rec.IntegrationStatus = resp.StatusCode
	if x.Trace {
		rec.EndpointRespHeaders = headerKVs(resp.Header)
	}
	rec.EndpointRespBody, rec.EndpointRespBodyKept = rb, true
	out, err := m.integrationResponse(ctx, x, strconv.Itoa(resp.StatusCode), resp.Header, rb)
	if err != nil {
		return nil, err
	}
	out.Header["X-Amzn-Trace-Id"] = []string{traceID(x)}
	return out, nil
}

// requestBody converts the request payload (binaryMediaTypes and the
// integration's contentHandling), then applies the request template selected
// by Content-Type, or the passthrough behaviour when none matches.
func (m *Method) requestBody(ctx context.Context, x *Exchange) ([]byte, error) {
	var t *Template
	if len(m.reqTemplates) == 0 {
		if m.passthrough == apigw.PassthroughNever {
			return nil, diag.New(diag.PhaseIntegrationRequest, unsupportedMediaType, "passthroughBehavior NEVER and no request template")
		}
	} else {
		ct := mediaType(x.Req.Header.Get("Content-Type"))
		var ok bool
		if t, ok = m.reqTemplates[ct]; !ok && m.passthrough != apigw.PassthroughWhenNoMatch {
			return nil, diag.Newf(diag.PhaseIntegrationRequest, unsupportedMediaType, "no request template for Content-Type %q and passthroughBehavior %s", ct, m.passthrough)
		}
	}
	body, binary, err := m.convertRequest(x)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return body, nil
	}
	if binary {
		return nil, diag.Newf(diag.PhaseIntegrationRequest, diag.TemplateOnBinary, "request template %s selected for a binary payload", t.name)
	}
	s, err := t.Render(ctx, x, body)
	if err != nil {
		return nil, err
	}
	out := []byte(s)
	if x.LogInfo {
		x.noteTemplateJSON(t, out)
	}
	return out, nil
}

// unsupportedMediaType is declared here until request validation lands with its own causes.
const unsupportedMediaType = diag.UnsupportedMediaType

// mediaType is the lower-cased media type of a Content-Type or Accept
// entry, without parameters; empty means application/json. It equals what
// mime.ParseMediaType returns for valid values, and reads invalid ones the
// same way, without parsing the parameters.
func mediaType(ct string) string {
	if ct == "" {
		return "application/json"
	}
	base, _, _ := strings.Cut(ct, ";")
	base = strings.TrimSpace(base)
	for i := 0; i < len(base); i++ {
		if c := base[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(base)
		}
	}
	return base
}

// mockStatusLenientRE reads a statusCode that opens a non-JSON object, as
// API Gateway's lenient parser does: the key bare or in matching quotes, an
// integer value, anything after it ignored.
var mockStatusLenientRE = regexp.MustCompile(`^\s*\{\s*(?:statusCode|"statusCode"|'statusCode')\s*:\s*(-?\d+)\s*[,}]`)

// mockStatus reads the integration status from a MOCK request template's
// output: the top-level statusCode of a JSON object (an integer), or the
// lenient form above when the output is not JSON.
func mockStatus(body []byte) (string, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err == nil {
		raw, ok := obj["statusCode"]
		if !ok || len(raw) == 0 || raw[0] == '"' {
			return "", false // absent, or a string: AWS wants an integer
		}
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&n) != nil {
			return "", false
		}
		if _, err := strconv.Atoi(n.String()); err != nil {
			return "", false
		}
		return n.String(), true
	}
	m := mockStatusLenientRE.FindSubmatch(body)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}

func (m *Method) serveMock(ctx context.Context, x *Exchange) (*Response, error) {
	code := ""
	if len(m.reqTemplates) > 0 {
		body, err := m.requestBody(ctx, x)
		if err != nil {
			return nil, err
		}
		c, ok := mockStatus(body)
		if !ok {
			return nil, diag.Newf(diag.PhaseIntegration, diag.MockStatusInvalid, "request template rendered %q", truncate(string(body), 200))
		}
		code = c
	}
	return m.integrationResponse(ctx, x, code, http.Header{}, nil)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// selectResponse picks the integration response whose selectionPattern fully
// matches the selection value, else the default one.
func (m *Method) selectResponse(value string) *IntegrationResponse {
	if value != "" {
		for _, r := range m.responses {
			if r.pattern.MatchString(value) {
				return r
			}
		}
	}
	return m.defaultResp
}

func (m *Method) integrationResponse(ctx context.Context, x *Exchange, value string, h http.Header, body []byte) (*Response, error) {
	ir := m.selectResponse(value)
	if ir == nil {
		return nil, diag.Newf(diag.PhaseIntegrationResponse, diag.NoMatchingIntegrationRsp, "Endpoint Response Status Code: %s", value)
	}
	if !m.methodStatus[ir.Code] {
		return nil, diag.New(diag.PhaseMethodResponse, diag.NoMatchingMethodResponse, ir.Code)
	}
	out := &Response{Status: ir.Status, Header: http.Header{}}
	out.Header["Content-Type"] = []string{"application/json"}
	converted, binary, err := m.convertResponse(x, ir, h.Get("Content-Type"), body)
	if err != nil {
		return nil, err
	}
	if t, ct := ir.template(x.Req.Header.Get("Accept")); t != nil {
		if binary {
			return nil, diag.Newf(diag.PhaseIntegrationResponse, diag.TemplateOnBinary, "response template %s selected for a binary payload", t.name)
		}
		s, err := t.Render(ctx, x, converted)
		if err != nil {
			return nil, err
		}
		out.Body = []byte(s)
		out.Header["Content-Type"] = []string{ct}
	} else {
		out.Body = converted
	}
	var doc *responseDoc
	for _, p := range ir.params {
		if p.src.kind == srcIntBodyPath && doc == nil {
			d, ok, err := responseDocument(body)
			if err != nil {
				return nil, err
			}
			doc = &responseDoc{v: d, ok: ok}
		}
		v, ok := p.src.responseValue(x, h, body, doc)
		if !ok {
			continue
		}
		name := http.CanonicalHeaderKey(p.header)
		switch {
		case name == "Transfer-Encoding":
		case remappedMethodResponse[name]:
			out.Header["x-amzn-Remapped-"+p.header] = []string{v}
		default:
			out.Header[name] = []string{v}
		}
	}
	applyResponseOverrides(out, x.Overrides)
	return out, nil
}

// applyResponseOverrides applies $context.responseOverride.status and
// .header.* set by the request or response template.
func applyResponseOverrides(out *Response, ov *mapping.Overrides) {
	if ov == nil {
		return
	}
	if ov.ResponseStatus != 0 {
		out.Status = ov.ResponseStatus
	}
	for _, h := range ov.ResponseHeader {
		out.Header[http.CanonicalHeaderKey(h.Name)] = h.Values
	}
}

// applyOverrides applies $context.requestOverride.* set by the request
// template to the endpoint request.
func (mr *mappedRequest) applyOverrides(ov *mapping.Overrides) {
	if ov == nil {
		return
	}
	for _, h := range ov.RequestHeader {
		mr.header[http.CanonicalHeaderKey(h.Name)] = h.Values
	}
	for _, q := range ov.RequestQuerystring {
		for _, v := range q.Values {
			mr.query = append(mr.query, exec.KV{Key: q.Name, Value: v})
		}
	}
	for _, p := range ov.RequestPath {
		if mr.path == nil {
			mr.path = map[string]string{}
		}
		if len(p.Values) > 0 {
			mr.path[p.Name] = p.Values[len(p.Values)-1]
		}
	}
}

// template picks the response template for the client's Accept: the first
// Accept media type with a template, else application/json, else the first.
func (ir *IntegrationResponse) template(accept string) (*Template, string) {
	if len(ir.templates) == 0 {
		return nil, ""
	}
	for rest := accept; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		mt := mediaType(part)
		if t, ok := ir.templates[mt]; ok && part != "" {
			return t, mt
		}
	}
	if t, ok := ir.templates["application/json"]; ok {
		return t, "application/json"
	}
	return ir.templates[ir.firstType], ir.firstType
}

func (s Source) responseValue(x *Exchange, h http.Header, body []byte, doc *responseDoc) (string, bool) {
	switch s.kind {
	case srcStatic, srcStage, srcContext:
		return s.requestValue(x)
	case srcIntHeader:
		vs := h.Values(s.name)
		if len(vs) == 0 {
			return "", false
		}
		return vs[len(vs)-1], true
	case srcIntMultiHeader:
		vs := h.Values(s.name)
		return strings.Join(vs, ","), len(vs) > 0
	case srcIntBody:
		return string(body), true
	case srcIntBodyPath:
		if doc == nil || !doc.ok {
			return "", false
		}
		return s.lookup(doc.v)
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
