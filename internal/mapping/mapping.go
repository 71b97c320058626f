// Package mapping is the AWS API Gateway mapping-template context on top of
// internal/vtl: $input, $util, $context and $stageVariables, and the
// request/response overrides a template sets.
//
// A template is parsed once (vtl.Parse) and rendered per request with
// Render:
//
//	out, ov, err := mapping.Render(ctx, tmpl, &mapping.Input{Body: body, ...})
//
// Parameter mapping expressions (requestParameters/responseParameters) are
// not handled here.
package mapping

import (
	"context"
	"fmt"
	"strings"

	"github.com/archway-gw/archway/internal/vtl"
)

// Param is one named value (a path parameter, query parameter, header or
// stage variable), kept in request order.
type Param struct {
	Name  string
	Value string
}

// Input is everything a mapping template can see.
type Input struct {
	// Body is the request body (request templates) or the integration
	// response body (response templates). Empty renders as {} in $input.body.
	Body []byte
	// PathParams, QueryParams and Headers feed $input.params(). Headers
	// API Gateway hides from templates should already be removed (see
	// TemplateHeaders).
	PathParams  []Param
	QueryParams []Param
	Headers     []Param
	// StageVariables feed $stageVariables.
	StageVariables []Param
	// Context feeds $context; nil gives an empty one.
	Context *RequestContext
	// Overrides set by an earlier template of the same request (the request
	// template, seen again by the response template); may be nil.
	Overrides *Overrides
	// Limits bounds the evaluation; zero fields take vtl's defaults.
	Limits vtl.Limits
	// Vars are extra variables (tests, tooling); they never shadow $input,
	// $util, $context or $stageVariables.
	Vars map[string]any
}

// Override is one value set through $context.requestOverride.* or
// $context.responseOverride.header.*; a list sets several values.
type Override struct {
	Name   string
	Values []string
}

// Overrides are what a template set through $context.requestOverride and
// $context.responseOverride.
type Overrides struct {
	RequestHeader      []Override
	RequestPath        []Override
	RequestQuerystring []Override
	// ResponseStatus is 0 when not set or not within 100-599 (AWS ignores
	// such values).
	ResponseStatus int
	ResponseHeader []Override
}

// Render executes tmpl with the AWS template context built from in. It
// returns the rendered text and the overrides the template set; a run-time
// failure is a *vtl.Error (an API_CONFIGURATION_ERROR on AWS).
func Render(ctx context.Context, tmpl *vtl.Template, in *Input) (string, *Overrides, error) {
	var b strings.Builder
	ov, err := Execute(ctx, &b, tmpl, in)
	return b.String(), ov, err
}

// Execute is Render writing into b.
func Execute(ctx context.Context, b *strings.Builder, tmpl *vtl.Template, in *Input) (*Overrides, error) {
	env := newEnv(in)
	if err := tmpl.Execute(ctx, b, vtl.NewContext(env.vars), in.Limits); err != nil {
		return nil, fmt.Errorf("mapping template %s: %w", tmpl.Name(), err)
	}
	return env.overrides(), nil
}

// env is the per-render set of AWS objects.
type env struct {
	vars    map[string]any
	reqOv   *opaque
	respOv  *opaque
	context *opaque
}

func newEnv(in *Input) *env {
	e := &env{}
	e.reqOv = newRequestOverride(in.Overrides)
	e.respOv = newResponseOverride(in.Overrides)
	e.context = newContextObject(in.Context, e.reqOv, e.respOv)
	e.vars = make(map[string]any, len(in.Vars)+4)
	for k, v := range in.Vars {
		e.vars[k] = v
	}
	e.vars["input"] = &inputObject{in: in}
	e.vars["util"] = utilObject{}
	e.vars["context"] = e.context
	e.vars["stageVariables"] = paramsMap(in.StageVariables)
	return e
}

func paramsMap(ps []Param) *vtl.Map {
	m := vtl.NewMap(len(ps))
	for _, p := range ps {
		m.Put(p.Name, p.Value)
	}
	return m
}
