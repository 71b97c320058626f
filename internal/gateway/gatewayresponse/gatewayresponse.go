// Package gatewayresponse renders the responses API Gateway generates itself
// (errors): AWS's defaults, customisations from
// x-amazon-apigateway-gateway-responses and DEFAULT_4XX/DEFAULT_5XX inheritance.
package gatewayresponse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

type param struct {
	header string
	// one of: static value, or a source expression
	static   string
	isStatic bool
	location string // header, path, querystring (method.request.*)
	stage    string
	context  string
}

type compiled struct {
	info       apigw.GatewayResponseInfo
	status     int  // 0 when neither the type nor its customisation sets one
	customised bool // status comes from the definition, not AWS's default
	// awsTemplate is true when neither the type nor its DEFAULT_4XX/5XX
	// parent sets templates, so AWS's own default body applies.
	awsTemplate bool
	contentType string
	tmpl        *Template
	params      []param
}

// Set is the compiled gateway responses of one API, safe for concurrent use.
type Set struct {
	byType map[apigw.GatewayResponseType]*compiled
}

// Compile resolves every response type against custom (inheritance included)
// and compiles templates and parameters once.
func Compile(custom map[apigw.GatewayResponseType]*apigw.GatewayResponse) (*Set, error) {
	// Check each customisation under its own name first, so an error names
	// the type the definition wrote (DEFAULT_4XX), not one inheriting it.
	for _, info := range apigw.GatewayResponseTypes {
		if gr, ok := custom[info.Type]; ok && gr != nil {
			if _, err := parseStatus(info.Type, gr.StatusCode); err != nil {
				return nil, err
			}
			if _, err := compileParams(info.Type, gr.ResponseParameters); err != nil {
				return nil, err
			}
		}
	}
	s := &Set{byType: map[apigw.GatewayResponseType]*compiled{}}
	for _, gr := range apigw.EffectiveGatewayResponses(custom) {
		info, _ := apigw.LookupGatewayResponseType(gr.ResponseType)
		c := &compiled{info: info, customised: statusCustomised(custom, info), awsTemplate: !templatesCustomised(custom, info)}
		n, err := parseStatus(gr.ResponseType, gr.StatusCode)
		if err != nil {
			return nil, err
		}
		c.status = n
		c.contentType, c.tmpl = pickTemplate(gr.ResponseTemplates)
		ps, err := compileParams(gr.ResponseType, gr.ResponseParameters)
		if err != nil {
			return nil, err
		}
		c.params = ps
		s.byType[gr.ResponseType] = c
	}
	return s, nil
}

// parseStatus reads a gateway response statusCode; empty is 0 (none).
func parseStatus(t apigw.GatewayResponseType, code string) (int, error) {
	if code == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("gateway response %s: statusCode %q is not an HTTP status (100-599)", t, code)
	}
	return n, nil
}

// statusCustomised reports whether the definition sets the status of this
// type, itself or through DEFAULT_4XX/DEFAULT_5XX when it is not customised.
func statusCustomised(custom map[apigw.GatewayResponseType]*apigw.GatewayResponse, info apigw.GatewayResponseInfo) bool {
	if gr, ok := custom[info.Type]; ok && gr != nil {
		return gr.StatusCode != ""
	}
	if info.Parent == "" {
		return false
	}
	gr, ok := custom[info.Parent]
	return ok && gr != nil && gr.StatusCode != ""
}

// templatesCustomised reports whether the definition sets the templates of
// this type, itself or through DEFAULT_4XX/DEFAULT_5XX.
func templatesCustomised(custom map[apigw.GatewayResponseType]*apigw.GatewayResponse, info apigw.GatewayResponseInfo) bool {
	if gr, ok := custom[info.Type]; ok && gr != nil {
		return true
	}
	gr, ok := custom[info.Parent]
	return info.Parent != "" && ok && gr != nil && len(gr.ResponseTemplates) > 0
}

func pickTemplate(tmpls map[string]string) (string, *Template) {
	if src, ok := tmpls["application/json"]; ok {
		return "application/json", CompileTemplate(src)
	}
	keys := make([]string, 0, len(tmpls))
	for k := range tmpls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "application/json", CompileTemplate(apigw.DefaultGatewayResponseTemplate)
	}
	return keys[0], CompileTemplate(tmpls[keys[0]])
}

func compileParams(t apigw.GatewayResponseType, m map[string]string) ([]param, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]param, 0, len(keys))
	for _, k := range keys {
		h, ok := strings.CutPrefix(k, "gatewayresponse.header.")
		if !ok || h == "" {
			return nil, fmt.Errorf("gateway response %s: parameter %q must be gatewayresponse.header.NAME", t, k)
		}
		p, err := compileSource(m[k])
		if err != nil {
			return nil, fmt.Errorf("gateway response %s: parameter %q: %w", t, k, err)
		}
		p.header = h
		out = append(out, p)
	}
	return out, nil
}

func compileSource(v string) (param, error) {
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return param{static: v[1 : len(v)-1], isStatic: true}, nil
	case strings.HasPrefix(v, "method.request."):
		rest := strings.TrimPrefix(v, "method.request.")
		loc, name, ok := strings.Cut(rest, ".")
		if ok && (loc == "header" || loc == "path" || loc == "querystring") && name != "" {
			return param{location: loc, static: name}, nil
		}
	case strings.HasPrefix(v, "stageVariables.") && len(v) > len("stageVariables."):
		return param{stage: strings.TrimPrefix(v, "stageVariables.")}, nil
	case strings.HasPrefix(v, "context.") && len(v) > len("context."):
		return param{context: strings.TrimPrefix(v, "context.")}, nil
	}
	return param{}, fmt.Errorf("value %q is not 'static', method.request.{header,path,querystring}.NAME, stageVariables.NAME or context.NAME", v)
}

// Response is a rendered gateway response.
type Response struct {
	Status       int
	Header       http.Header
	Body         []byte
	ResponseType apigw.GatewayResponseType
}

// Render builds the client response for err. vars must answer
// $context.error.* for err (see ErrorContext).
func (s *Set) Render(err *diag.Error, v Vars) Response {
	info := err.Info()
	c := s.byType[info.ResponseType]
	status := c.status
	if info.Status != 0 && !c.customised {
		status = info.Status
	}
	if status == 0 {
		status = info.Status
	}
	if status == 0 {
		status = 500
	}
	var b strings.Builder
	if info.MessageKey != "" && c.awsTemplate {
		// AWS's own body for this cause, e.g. an authorizer's deny:
		// {"Message":"User is not authorized to access this resource"}.
		b.WriteString(`{"` + info.MessageKey + `":` + MessageString(info) + `}`)
	} else {
		c.tmpl.Render(&b, v)
	}
	h := make(http.Header, 4+len(c.params))
	h["Content-Type"] = []string{c.contentType}
	for _, p := range c.params {
		if val := p.value(v); val != "" {
			h.Set(p.header, val)
		}
	}
	et := c.info.ErrorType
	if et == "" && status >= 500 {
		et = "InternalServerErrorException"
	}
	if et != "" {
		h["x-amzn-ErrorType"] = []string{et}
	}
	return Response{Status: status, Header: h, Body: []byte(b.String()), ResponseType: info.ResponseType}
}

func (p param) value(v Vars) string {
	switch {
	case p.isStatic:
		return p.static
	case p.location != "":
		return v.MethodRequest(p.location, p.static)
	case p.stage != "":
		return v.StageVariable(p.stage)
	default:
		return v.Context(p.context)
	}
}

// MessageString is $context.error.messageString for a cause: the JSON-quoted
// message (or null), with the leading space AWS writes for messages produced
// during method execution.
func MessageString(info diag.CauseInfo) string {
	q := "null"
	if !info.Null {
		q = JSONQuote(info.Message)
	}
	if info.Spaced {
		return " " + q
	}
	return q
}

// JSONQuote returns s as a JSON string literal, without HTML escaping.
func JSONQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
