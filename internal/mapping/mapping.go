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
	"sync"

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
	// Source, when set, supplies QueryParams, Headers, StageVariables and
	// Context left nil, when a template first reads them: a host gathers
	// them only for the templates that use them.
	Source Source
	// Overrides set by an earlier template of the same request (the request
	// template, seen again by the response template); may be nil.
	Overrides *Overrides
	// Limits bounds the evaluation; zero fields take vtl's defaults.
	Limits vtl.Limits
	// Vars are extra variables (tests, tooling); they never shadow $input,
	// $util, $context or $stageVariables.
	Vars map[string]any
}

// Source supplies parts of an Input on first use (see Input.Source). Its
// methods may be called more than once per render; they should cache.
type Source interface {
	QueryParams() []Param
	Headers() []Param
	StageVariables() []Param
	Context() *RequestContext
}

func (in *Input) queryParams() []Param {
	if in.QueryParams != nil || in.Source == nil {
		return in.QueryParams
	}
	return in.Source.QueryParams()
}

func (in *Input) headers() []Param {
	if in.Headers != nil || in.Source == nil {
		return in.Headers
	}
	return in.Source.Headers()
}

func (in *Input) stageVariables() []Param {
	if in.StageVariables != nil || in.Source == nil {
		return in.StageVariables
	}
	return in.Source.StageVariables()
}

func (in *Input) requestContext() *RequestContext {
	if in.Context != nil || in.Source == nil {
		return in.Context
	}
	return in.Source.Context()
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
	var str string
	ov, err := execute(ctx, tmpl, in, func(out []byte) { str = string(out) })
	return str, ov, err
}

// Execute is Render writing into b.
func Execute(ctx context.Context, b *strings.Builder, tmpl *vtl.Template, in *Input) (*Overrides, error) {
	return execute(ctx, tmpl, in, func(out []byte) { b.Write(out) })
}

// execute renders into a pooled buffer and hands the output (also what
// was rendered before a failure) to take, which must not keep it.
func execute(ctx context.Context, tmpl *vtl.Template, in *Input, take func([]byte)) (*Overrides, error) {
	// The env is not pooled: values of a render ($input, $context, a
	// #define block) can be stored into host maps that outlive it, such
	// as the authorizer claims the response template sees again.
	e := &env{}
	e.init(in)
	bp := outPool.Get().(*[]byte)
	out, err := e.exec.Append(ctx, tmpl, (*bp)[:0], &e.vars, in.Limits)
	take(out)
	if cap(out) <= maxPooledOutput {
		*bp = out[:0]
		outPool.Put(bp)
	}
	if err != nil {
		return nil, fmt.Errorf("mapping template %s: %w", tmpl.Name(), err)
	}
	return e.overrides(), nil
}

// outPool recycles the output buffers of Render and Execute.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledOutput is the largest output buffer kept for reuse.
const maxPooledOutput = 64 << 10

// env is the per-render set of AWS objects, made in one allocation.
// $context is built on first use, and only as far as the template reads
// it: most templates never touch it, and as a full map it is the largest
// object of a render. $stageVariables is made on first use too.
type env struct {
	in      *Input
	vars    vtl.Context
	context *contextObject // nil until $context is used
	ctxObj  contextObject  // the storage of context
	lazy    lazyContext
	input   inputObject
	stage   *vtl.Map // $stageVariables, nil until used
	exec    vtl.Execution
}

func (e *env) init(in *Input) {
	e.in = in
	e.lazy.e = e
	e.input.in = in
	e.vars.Reset(nil, e)
}

// Var implements vtl.Vars: $input, $util, $context and $stageVariables,
// then the extra variables of the input.
func (e *env) Var(name string) (any, bool) {
	switch name {
	case "input":
		return &e.input, true
	case "util":
		return utilObject{}, true
	case "context":
		return &e.lazy, true
	case "stageVariables":
		if e.stage == nil {
			e.stage = paramsMap(e.in.stageVariables())
		}
		return e.stage, true
	}
	v, ok := e.in.Vars[name]
	return v, ok
}

// contextObject returns $context, made on first use.
func (e *env) contextObject() *contextObject {
	if e.context == nil {
		e.ctxObj.init(e.in.requestContext(), e.in.Overrides)
		e.context = &e.ctxObj
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
