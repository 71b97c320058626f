package pipeline

import (
	"fmt"
	"net/url"
	"strings"
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
)

// Source is a compiled mapping expression (the right side of requestParameters
// or responseParameters).
type Source struct {
	kind sourceKind
	name string
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
	if strings.HasPrefix(expr, "method.request.body.") || strings.HasPrefix(expr, "integration.response.body.") {
		return Source{}, fmt.Errorf("mapping expression %q: JSONPath body mappings are not served yet", expr)
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
		vs := x.Req.Header.Values(s.name)
		if len(vs) == 0 {
			return "", false
		}
		return vs[len(vs)-1], true
	case srcMultiHeader:
		vs := x.Req.Header.Values(s.name)
		return strings.Join(vs, ","), len(vs) > 0
	case srcStage:
		v, ok := x.Stage.Variables[s.name]
		return v, ok
	case srcContext:
		v := x.Context(s.name)
		return v, v != ""
	case srcBody:
		return string(x.Body), true
	}
	return "", false
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
