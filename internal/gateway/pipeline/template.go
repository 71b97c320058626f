package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/archway-gw/archway/internal/diag"
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

// mappingInput builds what a template sees from the exchange. The AWS
// context is built once per exchange and shared by its templates.
func (x *Exchange) mappingInput(body []byte) *mapping.Input {
	if x.tmplCtx == nil {
		x.tmplCtx = x.requestContext()
	}
	in := &mapping.Input{
		Body:           body,
		PathParams:     make([]mapping.Param, 0, len(x.Params)),
		QueryParams:    queryParams(x.Req.URL.RawQuery),
		Headers:        mapping.TemplateHeaders(headerParams(x.Req.Header)),
		StageVariables: stageParams(x.Stage),
		Context:        x.tmplCtx,
		Overrides:      x.Overrides,
	}
	for _, p := range x.Params {
		in.PathParams = append(in.PathParams, mapping.Param{Name: p.Name, Value: p.Value})
	}
	return in
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

func headerParams(h http.Header) []mapping.Param {
	out := make([]mapping.Param, 0, len(h))
	for _, k := range sortedKeys(h) {
		out = append(out, mapping.Param{Name: k, Value: strings.Join(h[k], ",")})
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
