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

// env is the per-render set of AWS objects. $context is built on first
// use, and only as far as the template reads it: most templates never touch
// it, and as a full map it is the largest object of a render.
type env struct {
	in      *Input
	vars    map[string]any
	context *contextObject // nil until $context is used
	lazy    lazyContext
	input   inputObject
}

func newEnv(in *Input) *env {
	e := &env{in: in}
	e.lazy.e = e
	e.input.in = in
	e.vars = make(map[string]any, len(in.Vars)+4)
	for k, v := range in.Vars {
		e.vars[k] = v
	}
	e.vars["input"] = &e.input
	e.vars["util"] = utilObject{}
	e.vars["context"] = &e.lazy
	e.vars["stageVariables"] = paramsMap(in.StageVariables)
	return e
}

// contextObject returns $context, made on first use.
func (e *env) contextObject() *contextObject {
	if e.context == nil {
		e.context = newContext(e.in.Context, e.in.Overrides)
	}
	return e.context
}

// lazyContext is $context as templates see it: every use goes to the
// object contextObject makes on first use.
type lazyContext struct{ e *env }

// Property implements vtl.Object.
func (l *lazyContext) Property(name string) (any, bool) { return l.e.contextObject().Property(name) }

// Call implements vtl.Object.
func (l *lazyContext) Call(name string, args []any) (any, bool, error) {
	return l.e.contextObject().Call(name, args)
}

// SetProperty implements vtl.Setter.
func (l *lazyContext) SetProperty(name string, v any) bool {
	return l.e.contextObject().SetProperty(name, v)
}

// Items implements vtl.Iterable.
func (l *lazyContext) Items() []any { return l.e.contextObject().Items() }

// String implements vtl.Object.
func (l *lazyContext) String() string { return "" }

func paramsMap(ps []Param) *vtl.Map {
	m := vtl.NewMap(len(ps))
	for _, p := range ps {
		m.Put(p.Name, p.Value)
	}
	return m
}
