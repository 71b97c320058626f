package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/mapping"
	"github.com/archway-gw/archway/internal/vtl"
)

// Template is a compiled mapping template (VTL over the AWS context).
type Template struct {
	name string
	t    *vtl.Template
	// literal is the output of a template with no references or directives,
	// served without evaluation.
	literal   string
	isLiteral bool
	// parseErr is kept when the template does not parse: AWS accepts such
	// definitions and fails the requests that use the template.
	parseErr error
}

// CompileTemplate parses a mapping template once. A parse error is returned
// for the compile report (with template line:col) and is also kept, so the
// method still loads and its requests fail with TEMPLATE_ERROR.
func CompileTemplate(name, src string) (*Template, error) {
	if !strings.ContainsAny(src, "$#") {
		return &Template{name: name, literal: src, isLiteral: true}, nil
	}
	t, err := vtl.Parse(name, src)
	if err != nil {
		return &Template{name: name, parseErr: err}, err
	}
	return &Template{name: name, t: t}, nil
}

// Render evaluates the template for the exchange over body (the request body
// for request templates, the endpoint response body for response templates).
// Overrides the template sets are merged into x.Overrides.
func (t *Template) Render(ctx context.Context, x *Exchange, body []byte) (string, error) {
	if t.isLiteral {
		return t.literal, nil
	}
	if t.parseErr != nil {
		return "", diag.Wrap(diag.PhaseIntegrationRequest, diag.TemplateError, t.parseErr, "template "+t.name+" does not parse")
	}
	in := x.mappingInput(body)
	out, ov, err := mapping.Render(ctx, t.t, in)
	if err != nil {
		var verr *vtl.Error
		detail := "template " + t.name
		if errors.As(err, &verr) {
			detail = fmt.Sprintf("template %s at line %d, column %d: %s", t.name, verr.Line, verr.Col, verr.Msg)
		}
		return "", diag.Wrap(diag.PhaseIntegrationRequest, diag.TemplateError, err, detail)
	}
	x.Overrides = ov
	return out, nil
}

// mappingInput builds what a template sees from the exchange. The method
// request's parameters, headers, stage variables and AWS context are
// gathered once per exchange, and only when a template reads them (see
// templateSource), for all its templates: only the body and the overrides
// differ between them.
func (x *Exchange) mappingInput(body []byte) *mapping.Input {
	if x.tmplBase == nil {
		base := &mapping.Input{
			PathParams: make([]mapping.Param, 0, len(x.Params)),
			Source:     &templateSource{x: x},
		}
		for _, p := range x.Params {
			base.PathParams = append(base.PathParams, mapping.Param{Name: p.Name, Value: p.Value})
		}
		x.tmplBase = base
	}
	// Each template gets its own copy: a value of one render (such as
	// $input) may be kept in a host map and read by a later template.
	in := *x.tmplBase
	in.Body = body
	in.Overrides = x.Overrides
	return &in
}

// templateSource gathers, on first use, the parts of the template input
// that cost something to build: the query string, the headers (sorted,
// without those API Gateway hides), the stage variables and $context.
type templateSource struct {
	x                     *Exchange
	query, headers, stage []mapping.Param
	queryDone, headerDone bool
	stageDone             bool
}

// QueryParams implements mapping.Source.
func (s *templateSource) QueryParams() []mapping.Param {
	if !s.queryDone {
		s.query, s.queryDone = queryParams(s.x.Req.URL.RawQuery), true
	}
	return s.query
}

// Headers implements mapping.Source.
func (s *templateSource) Headers() []mapping.Param {
	if !s.headerDone {
		s.headers, s.headerDone = mapping.TemplateHeaders(headerParams(s.x.Req.Header, s.x.Host)), true
	}
	return s.headers
}

// StageVariables implements mapping.Source.
func (s *templateSource) StageVariables() []mapping.Param {
	if !s.stageDone {
		s.stage, s.stageDone = stageParams(s.x.Stage), true
	}
	return s.stage
}

// Context implements mapping.Source.
func (s *templateSource) Context() *mapping.RequestContext {
	if s.x.tmplCtx == nil {
		s.x.tmplCtx = s.x.requestContext()
	}
	return s.x.tmplCtx
}

func (x *Exchange) requestContext() *mapping.RequestContext {
	r := x.Rec
	c := &mapping.RequestContext{
		ResourcePath:      r.ResourcePath,
		HTTPMethod:        r.HTTPMethod,
		ExtendedRequestID: r.ExtendedRequestID,
		RequestTime:       x.Context("requestTime"),
		Path:              x.Context("path"),
		AccountID:         x.Context("accountId"),
		Protocol:          r.Protocol,
		Stage:             r.Stage,
		DomainPrefix:      x.Context("domainPrefix"),
		RequestTimeEpoch:  r.Start.UnixMilli(),
		RequestID:         r.RequestID,
		DomainName:        x.Context("domainName"),
		APIID:             x.APIID,
		Identity:          mapping.Identity{SourceIP: r.SourceIP, UserAgent: r.UserAgent},
	}
	if x.Auth != nil {
		x.Auth.identity(&c.Identity)
		c.Authorizer = x.Auth.authorizerMap()
	}
	if x.Err != nil {
		info := x.Err.Info()
		c.Error = mapping.ErrorContext{Message: info.Message, MessageString: x.Context("error.messageString"), ResponseType: string(info.ResponseType)}
	}
	return c
}

// queryParams lists query parameters, decoded; a repeated name keeps the
// last value, as AWS's single-value view does.
func queryParams(raw string) []mapping.Param {
	var out []mapping.Param
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, v = formUnescape(k), formUnescape(v)
		replaced := false
		for i := range out {
			if out[i].Name == k {
				out[i].Value, replaced = v, true
			}
		}
		if !replaced {
			out = append(out, mapping.Param{Name: k, Value: v})
		}
	}
	return out
}

// headerParams lists the method request headers h, sorted, with the Host
// header host (when not empty and not in h) in its place.
func headerParams(h http.Header, host string) []mapping.Param {
	out := make([]mapping.Param, 0, len(h)+1)
	if _, ok := h["Host"]; ok {
		host = ""
	}
	for _, k := range sortedKeys(h) {
		if host != "" && k > "Host" {
			out = append(out, mapping.Param{Name: "Host", Value: host})
			host = ""
		}
		out = append(out, mapping.Param{Name: k, Value: strings.Join(h[k], ",")})
	}
	if host != "" {
		out = append(out, mapping.Param{Name: "Host", Value: host})
	}
	return out
}

func stageParams(st *Stage) []mapping.Param {
	if st == nil {
		return nil
	}
	out := make([]mapping.Param, 0, len(st.Variables))
	for _, k := range sortedKeys(st.Variables) {
		out = append(out, mapping.Param{Name: k, Value: st.Variables[k]})
	}
	return out
}

// isJSONMediaType reports whether a request media type announces JSON:
// application/json, application/x-amz-json-*, and any */*+json.
func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasPrefix(mt, "application/x-amz-json")
}

// noteTemplateJSON records, for the execution log, a request template whose
// output is not valid JSON although the request's Content-Type (absent
// means application/json, as for template selection) is a JSON type. AWS
// sends such output on as it is; so does Archway. Output that is empty or
// only white space is not flagged.
func (x *Exchange) noteTemplateJSON(t *Template, out []byte) {
	ct := mediaType(x.Req.Header.Get("Content-Type"))
	if !isJSONMediaType(ct) || json.Valid(out) || len(bytes.TrimSpace(out)) == 0 {
		return
	}
	x.Rec.TemplateNotJSON = templateJSONError(t.name, ct, out)
}

// templateJSONError locates the JSON syntax error in out.
func templateJSONError(name, ct string, out []byte) *exec.TemplateJSONError {
	e := &exec.TemplateJSONError{Template: name, ContentType: ct, Line: 1, Column: 1, Msg: "not valid JSON"}
	var raw json.RawMessage
	err := json.Unmarshal(out, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return e
	}
	e.Msg = se.Error()
	pos := int(se.Offset)
	if strings.HasPrefix(se.Error(), "invalid character") && pos > 0 {
		pos-- // Offset counts the offending byte
	}
	pos = min(pos, len(out))
	lineStart := bytes.LastIndexByte(out[:pos], '\n') + 1
	e.Line = bytes.Count(out[:pos], []byte{'\n'}) + 1
	e.Column = utf8.RuneCount(out[lineStart:pos]) + 1
	return e
}
