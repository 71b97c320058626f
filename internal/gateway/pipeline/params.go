package pipeline

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/mapping"
	"github.com/archway-gw/archway/internal/vtl"
)

func formUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// sourceKind is where a mapped value comes from.
type sourceKind uint8

const (
	srcStatic sourceKind = iota
	srcPath
	srcQuery
	srcHeader
	srcMultiQuery
	srcMultiHeader
	srcStage
	srcContext
	srcBody
	srcIntHeader
	srcIntMultiHeader
	srcIntBody
	srcBodyPath    // method.request.body.JSONPath
	srcIntBodyPath // integration.response.body.JSONPath
)

// Source is a compiled mapping expression (the right side of requestParameters
// or responseParameters).
type Source struct {
	kind sourceKind
	name string
	// path is the compiled JSONPath of a body source ($. + what follows
	// method.request.body. or integration.response.body.).
	path *mapping.JSONPath
}

// CompileSource parses a mapping expression. request selects the request side
// (method.request.*, context, stageVariables) or the response side
// (integration.response.*).
func CompileSource(expr string, request bool) (Source, error) {
	if len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' {
		return Source{kind: srcStatic, name: expr[1 : len(expr)-1]}, nil
	}
	prefixes := []struct {
		p    string
		kind sourceKind
		req  bool
	}{
		{"method.request.path.", srcPath, true},
		{"method.request.querystring.", srcQuery, true},
		{"method.request.multivaluequerystring.", srcMultiQuery, true},
		{"method.request.header.", srcHeader, true},
		{"method.request.multivalueheader.", srcMultiHeader, true},
		{"stageVariables.", srcStage, true},
		{"context.", srcContext, true},
		{"integration.response.header.", srcIntHeader, false},
		{"integration.response.multivalueheader.", srcIntMultiHeader, false},
	}
	for _, p := range prefixes {
		if name, ok := strings.CutPrefix(expr, p.p); ok && name != "" {
			if p.req != request && p.kind != srcStage && p.kind != srcContext {
				break
			}
			return Source{kind: p.kind, name: name}, nil
		}
	}
	if request && expr == "method.request.body" {
		return Source{kind: srcBody}, nil
	}
	if !request && expr == "integration.response.body" {
		return Source{kind: srcIntBody}, nil
	}
	for _, b := range []struct {
		prefix string
		kind   sourceKind
		req    bool
	}{{"method.request.body.", srcBodyPath, true}, {"integration.response.body.", srcIntBodyPath, false}} {
		rest, ok := strings.CutPrefix(expr, b.prefix)
		if !ok {
			continue
		}
		if b.req != request {
			break
		}
		if rest == "" {
			return Source{}, fmt.Errorf("mapping expression %q has an empty JSONPath", expr)
		}
		p, err := mapping.CompileJSONPath("$." + rest)
		if err != nil {
			return Source{}, fmt.Errorf("mapping expression %q: %w", expr, err)
		}
		return Source{kind: b.kind, name: rest, path: p}, nil
	}
	return Source{}, fmt.Errorf("mapping expression %q is not a valid source; use 'static', method.request.{path,querystring,header}.NAME, stageVariables.NAME or context.NAME", expr)
}

// IsStatic reports whether the source is a quoted literal.
func (s Source) IsStatic() bool { return s.kind == srcStatic }

// requestValue evaluates a request-side source. ok is false when the
// source has no value (the parameter is then omitted, as AWS does).
func (s Source) requestValue(x *Exchange) (string, bool) {
	switch s.kind {
	case srcStatic:
		return s.name, true
	case srcPath:
		return x.PathParam(s.name)
	case srcQuery:
		v := lastQuery(x.Req.URL.RawQuery, s.name)
		return v, hasQuery(x.Req.URL.RawQuery, s.name)
	case srcMultiQuery:
		vs := allQuery(x.Req.URL.RawQuery, s.name)
		return strings.Join(vs, ","), len(vs) > 0
	case srcHeader:
		vs := x.methodHeader(s.name)
		if len(vs) == 0 {
			return "", false
		}
		return vs[len(vs)-1], true
	case srcMultiHeader:
		vs := x.methodHeader(s.name)
		return strings.Join(vs, ","), len(vs) > 0
	case srcStage:
		v, ok := x.Stage.Variables[s.name]
		return v, ok
	case srcContext:
		v := x.Context(s.name)
		return v, v != ""
	case srcBody:
		return string(x.Body), true
	case srcBodyPath:
		doc, ok := x.requestDocument()
		if !ok {
			return "", false
		}
		return s.lookup(doc)
	}
	return "", false
}

// requestValues is requestValue for a query-string target: a
// multivaluequerystring source gives each value, sent as a repeated
// parameter (recorded by LocalStack, manually checked on AWS:
// pmap-ls-multivalue-querystring).
func (s Source) requestValues(x *Exchange) ([]string, bool) {
	if s.kind == srcMultiQuery {
		vs := allQuery(x.Req.URL.RawQuery, s.name)
		return vs, len(vs) > 0
	}
	v, ok := s.requestValue(x)
	if !ok {
		return nil, false
	}
	return []string{v}, true
}

// lookup evaluates a body JSONPath source over a parsed body. A path that
// names nothing, or null, gives no value (the parameter is omitted); a
// string is sent as it is, an object or array as compact JSON, a number or
// boolean in its JSON form.
func (s Source) lookup(doc any) (string, bool) {
	v, found := s.path.Lookup(doc)
	if !found || v == nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case *vtl.Map, *vtl.List:
		return vtl.JSON(t), true
	}
	return vtl.ToString(v), true
}

// isBodySource reports whether the source reads the (request or
// integration response) body as JSON.
func (s Source) isBodySource() bool {
	switch s.kind {
	case srcBody, srcBodyPath, srcIntBody, srcIntBodyPath:
		return true
	}
	return false
}

// parseMappedBody parses a body for body mappings. An empty body, or one
// that is not JSON and does not open an object, has no document (ok false:
// JSONPath parameters are omitted). A body that opens an object ('{' after
// white space) but is not valid JSON is an error: AWS answers 400 "Invalid
// JSON in request body" on the request side (LocalStack:
// pmap-ls-invalid-json-body) and 500 on the response side.
func parseMappedBody(body []byte) (doc any, ok bool, err error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, false, nil
	}
	doc, err = vtl.ParseJSON(string(body))
	if err == nil {
		return doc, true, nil
	}
	if trimmed[0] == '{' {
		return nil, false, err
	}
	return nil, false, nil
}

// requestDocument is the request body parsed for body mappings, parsed
// once per exchange.
func (x *Exchange) requestDocument() (any, bool) {
	if !x.bodyDocDone {
		x.bodyDocDone = true
		x.bodyDoc, x.bodyDocOK, x.bodyDocErr = parseMappedBody(x.Body)
	}
	return x.bodyDoc, x.bodyDocOK
}

// checkBodyMappings fails the request when a request parameter maps the
// body (method.request.body or method.request.body.JSONPath) and the body
// opens a JSON object that does not parse.
func (m *Method) checkBodyMappings(x *Exchange) error {
	mapped := false
	for _, rm := range m.reqMaps {
		mapped = mapped || rm.src.kind == srcBody || rm.src.kind == srcBodyPath
	}
	if !mapped {
		return nil
	}
	x.requestDocument()
	if x.bodyDocErr != nil {
		return diag.Wrap(diag.PhaseIntegrationRequest, diag.RequestBodyNotJSON, x.bodyDocErr, "requestParameters map the request body, which is not valid JSON")
	}
	return nil
}

// responseDoc is an integration response body parsed for body mappings.
type responseDoc struct {
	v  any
	ok bool
}

// responseDocument parses an integration response body for
// integration.response.body.JSONPath mappings.
func responseDocument(body []byte) (any, bool, error) {
	doc, ok, err := parseMappedBody(body)
	if err != nil {
		return nil, false, diag.Wrap(diag.PhaseIntegrationResponse, diag.ResponseBodyNotJSON, err, "responseParameters map the integration response body, which is not valid JSON")
	}
	return doc, ok, nil
}

func hasQuery(raw, name string) bool { return len(allQuery(raw, name)) > 0 }

func allQuery(raw, name string) []string {
	var out []string
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if formUnescape(k) == name {
			out = append(out, formUnescape(v))
		}
	}
	return out
}

// targetKind is where a request mapping writes.
type targetKind uint8

const (
	tgtHeader targetKind = iota
	tgtQuery
	tgtPath
)

// RequestMapping is one compiled integration.request.* ← source entry.
type RequestMapping struct {
	target targetKind
	name   string
	src    Source
}

// CompileRequestMapping parses one requestParameters entry.
func CompileRequestMapping(key, expr string) (RequestMapping, error) {
	var m RequestMapping
	switch {
	case strings.HasPrefix(key, "integration.request.header."):
		m.target, m.name = tgtHeader, key[len("integration.request.header."):]
	case strings.HasPrefix(key, "integration.request.querystring."):
		m.target, m.name = tgtQuery, key[len("integration.request.querystring."):]
	case strings.HasPrefix(key, "integration.request.path."):
		m.target, m.name = tgtPath, key[len("integration.request.path."):]
	default:
		return m, fmt.Errorf("request parameter %q must be integration.request.{header,querystring,path}.NAME", key)
	}
	if m.name == "" {
		return m, fmt.Errorf("request parameter %q has no name", key)
	}
	src, err := CompileSource(expr, true)
	if err != nil {
		return m, err
	}
	m.src = src
	return m, nil
}
