// Package runtime compiles API definitions and their stages into an immutable
// Snapshot: route trees, compiled methods, gateway responses and log formats.
// A Snapshot is built whole before it serves, so a reload either yields a
// complete new snapshot or an error that names what is broken.
package runtime

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/gatewayresponse"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/router"
	"github.com/archway-gw/archway/internal/gateway/validate"
)

// Input is one API and the stages to serve it on.
type Input struct {
	API    *apigw.RestAPI
	Stages []apigw.Stage
}

// Stage is a compiled stage.
type Stage struct {
	pipeline.Stage
	Log       exec.LogOptions
	AccessLog *AccessLog // nil when access logging is off
	Debug     bool
}

// API is a compiled REST API.
type API struct {
	ID     string
	Name   string
	Router *router.Router[*pipeline.Method]
	// Resources maps each resource path to its methods (for test-invoke).
	Resources map[string]map[string]*pipeline.Method
	Responses *gatewayresponse.Set
	Stages    map[string]*Stage
	// Debug is true when any stage has debug on; it applies to requests
	// that name no served stage.
	Debug bool
}

// Snapshot is everything the data plane serves, immutable once built.
type Snapshot struct {
	APIs   []*API
	byID   map[string]*API
	single *API
}

// ByID returns the API with the given id.
func (s *Snapshot) ByID(id string) (*API, bool) {
	a, ok := s.byID[strings.ToLower(id)]
	return a, ok
}

// Single returns the only API when exactly one is served.
func (s *Snapshot) Single() *API { return s.single }

// Problem is a compile finding with its place.
type Problem = pipeline.Problem

// CompileError lists every problem that prevents a snapshot from being built.
type CompileError struct {
	Problems []Problem
}

// Error implements error.
func (e *CompileError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s: error: %s; fix: %s", p.Pos, p.Message, p.Fix)
	}
	return b.String()
}

// Compile builds a snapshot. It returns warnings for what loads but is not
// served, and a *CompileError when anything cannot be compiled.
func Compile(inputs []Input, backend *pipeline.Backend) (*Snapshot, []Problem, error) {
	snap := &Snapshot{byID: map[string]*API{}}
	var warns, errs []Problem
	for _, in := range inputs {
		api, probs := compileAPI(in, backend)
		for _, p := range probs {
			if p.Err {
				errs = append(errs, p)
			} else {
				warns = append(warns, p)
			}
		}
		if api == nil {
			continue
		}
		key := strings.ToLower(api.ID)
		if _, dup := snap.byID[key]; dup {
			errs = append(errs, Problem{Pos: in.API.Source, Message: "API id " + api.ID + " is used twice", Fix: "give each API a distinct id in archway.yaml", Err: true})
			continue
		}
		snap.byID[key] = api
		snap.APIs = append(snap.APIs, api)
	}
	if len(errs) > 0 {
		return nil, warns, &CompileError{Problems: errs}
	}
	if len(snap.APIs) == 0 {
		return nil, warns, errors.New("no API to serve")
	}
	if len(snap.APIs) == 1 {
		snap.single = snap.APIs[0]
	}
	return snap, warns, nil
}

func compileAPI(in Input, backend *pipeline.Backend) (*API, []Problem) {
	a := in.API
	var probs []Problem
	api := &API{ID: a.ID, Name: a.Name, Stages: map[string]*Stage{}, Resources: map[string]map[string]*pipeline.Method{}}
	routes := make([]router.Route[*pipeline.Method], 0, len(a.Resources))
	binary, bwarns := pipeline.CompileMediaTypes(a.BinaryMediaTypes)
	for _, w := range bwarns {
		probs = append(probs, Problem{Pos: a.Source, Message: w, Fix: "use type/subtype, type/* or */* in x-amazon-apigateway-binary-media-types"})
	}
	validators := validate.NewCompiler(a)
	for _, res := range a.Resources {
		methods := map[string]*pipeline.Method{}
		for _, verb := range sortedMethodKeys(res.Methods) {
			m, ps := pipeline.Compile(a.ID, res.Path, res.Methods[verb], backend, pipeline.WithBinaryMediaTypes(binary))
			probs = append(probs, ps...)
			if m != nil {
				var vps []Problem
				m.Validator, vps = validators.Method(res.Path, res.Methods[verb])
				probs = append(probs, vps...)
				m.Guards, vps = compileGuards(a, res.Path, res.Methods[verb], backend)
				probs = append(probs, vps...)
				methods[strings.ToUpper(verb)] = m
			}
		}
		routes = append(routes, router.Route[*pipeline.Method]{Path: res.Path, Methods: methods})
		api.Resources[res.Path] = methods
	}
	r, err := router.New(routes)
	if err != nil {
		pos := a.Source
		var te *router.TemplateError
		if errors.As(err, &te) {
			for _, res := range a.Resources {
				if res.Path == te.Path && res.Source.Line > 0 {
					pos = res.Source
				}
			}
		}
		probs = append(probs, Problem{Pos: pos, Message: err.Error(), Fix: "fix the resource path", Err: true})
		return nil, probs
	}
	api.Router = r
	grs, err := gatewayresponse.Compile(a.GatewayResponses)
	if err != nil {
		probs = append(probs, Problem{Pos: a.Source, Message: err.Error(), Fix: "fix x-amazon-apigateway-gateway-responses", Err: true})
		return nil, probs
	}
	api.Responses = grs
	for _, st := range in.Stages {
		cs, p := compileStage(a, st)
		if p != nil {
			probs = append(probs, *p)
			continue
		}
		api.Stages[st.Name] = cs
		api.Debug = api.Debug || cs.Debug
	}
	return api, probs
}

// compileGuards builds a method's access-control steps in AWS's order: the
// API key (with its usage plan's throttle and quota) is checked before the
// authorizer runs, unless the API takes its keys from the authorizer.
func compileGuards(a *apigw.RestAPI, path string, m *apigw.Method, backend *pipeline.Backend) ([]pipeline.Checker, []Problem) {
	if backend == nil {
		return nil, nil
	}
	var out []pipeline.Checker
	var probs []Problem
	add := func(gc pipeline.GuardCompiler) {
		if gc == nil {
			return
		}
		g, ps := gc.Guard(a, path, m)
		probs = append(probs, ps...)
		if g != nil {
			out = append(out, g)
		}
	}
	if strings.EqualFold(a.APIKeySource, "AUTHORIZER") {
		add(backend.Authorizers)
		add(backend.Limits)
	} else {
		add(backend.Limits)
		add(backend.Authorizers)
	}
	return out, probs
}

func compileStage(a *apigw.RestAPI, st apigw.Stage) (*Stage, *Problem) {
	lvl, ok := exec.ParseLevel(st.LoggingLevel)
	if !ok {
		return nil, &Problem{Pos: a.Source, Message: fmt.Sprintf("stage %s: loggingLevel %q", st.Name, st.LoggingLevel), Fix: "use OFF, ERROR or INFO", Err: true}
	}
	vars := st.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	cs := &Stage{
		Stage: pipeline.Stage{Name: st.Name, Variables: vars},
		Log:   exec.LogOptions{Level: lvl, DataTrace: st.DataTraceEnabled},
		Debug: st.Debug,
	}
	if f := AccessLogFormat(st.AccessLogFormat); f != "" {
		cs.AccessLog = &AccessLog{t: gatewayresponse.CompileTemplate(f)}
	}
	return cs, nil
}

func sortedMethodKeys(m map[string]*apigw.Method) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Access-log format presets (AWS console presets, plus the fields that
// explain failures).
const (
	CLFFormat  = `$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId`
	JSONFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency","integrationStatus":"$context.integrationStatus","errorResponseType":"$context.error.responseType","errorMessage":"$context.error.message","integrationErrorMessage":"$context.integrationErrorMessage","cause":"$context.archway.cause"}`
)

// AccessLogFormat expands the "clf" and "json" presets; anything else is a
// $context format used as written.
func AccessLogFormat(f string) string {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "clf":
		return CLFFormat
	case "json":
		return JSONFormat
	}
	return f
}

// AccessLog is a compiled access-log format.
type AccessLog struct {
	t *gatewayresponse.Template
}

// Render writes one access-log line (without the newline). As on AWS, a
// variable with no value is written as "-".
func (a *AccessLog) Render(b *strings.Builder, v gatewayresponse.Vars) {
	a.t.Render(b, dashVars{v})
}

type dashVars struct{ v gatewayresponse.Vars }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (d dashVars) Context(name string) string       { return dash(d.v.Context(name)) }
func (d dashVars) StageVariable(name string) string { return dash(d.v.StageVariable(name)) }
func (d dashVars) MethodRequest(location, name string) string {
	return dash(d.v.MethodRequest(location, name))
}
