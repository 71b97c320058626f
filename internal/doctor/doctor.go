package doctor

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/gatewayresponse"
	"github.com/archway-gw/archway/internal/lambda"
)

// Definition is one definition file and what the gateway serves from it.
type Definition struct {
	// File is the definition file; the doctor reads it again to place
	// findings at the line of the offending node.
	File string
	// API is the imported API; nil when the file does not import (the
	// import's own diagnostics say why) — only document-level checks run.
	API *apigw.RestAPI
	// Stages are the stages the API is served under.
	Stages []apigw.Stage
}

// Input is everything the static checks look at.
type Input struct {
	Definitions []Definition
	// Functions are the local Lambda functions (archway.yaml functions and
	// --function), with their timeouts and resource-based policies.
	Functions []lambda.Function
	// RemoteLambda is the Lambda endpoint that serves functions not
	// declared locally (archway.yaml lambda.endpoint); empty for none.
	RemoteLambda string
	// StrictPermissions is archway.yaml lambda.strictPermissions.
	StrictPermissions bool
	// ConfigFile is archway.yaml, when the definitions come from one;
	// findings about its settings point into it.
	ConfigFile string
}

// Check runs every static check and returns the findings, sorted.
func Check(in Input) []Finding {
	fns := map[string]lambda.Function{}
	for _, f := range in.Functions {
		fns[f.Name] = f
	}
	var out []Finding
	for _, d := range in.Definitions {
		c := newAPICheck(d, in, fns)
		out = append(out, c.run()...)
	}
	Sort(out)
	return out
}

// apiCheck is the state of the checks of one definition.
type apiCheck struct {
	def    Definition
	api    *apigw.RestAPI
	doc    *docNode // nil when the file cannot be read again
	lines  []string // the definition file's lines
	in     Input
	fns    map[string]lambda.Function
	gr     *gatewayresponse.Set
	out    []Finding
	stages []apigw.Stage
}

func newAPICheck(d Definition, in Input, fns map[string]lambda.Function) *apiCheck {
	c := &apiCheck{def: d, api: d.API, in: in, fns: fns, stages: d.Stages}
	c.doc, c.lines, _ = indexFileLines(d.File) // without it, findings point at the method
	if c.api != nil {
		set, err := gatewayresponse.Compile(c.api.GatewayResponses)
		if err != nil {
			set, _ = gatewayresponse.Compile(nil) // the defaults always compile
		}
		c.gr = set
	}
	if len(c.stages) == 0 {
		c.stages = []apigw.Stage{{Name: "dev"}}
	}
	return c
}

func (c *apiCheck) run() []Finding {
	c.checkAuthorizerDocs()
	if c.api == nil {
		return c.out
	}
	for _, r := range c.api.Resources {
		for _, verb := range sortedVerbs(r.Methods) {
			m := r.Methods[verb]
			mc := &methodCheck{apiCheck: c, r: r, m: m}
			mc.run()
		}
	}
	c.checkAuthorizers()
	return c.out
}

func (c *apiCheck) add(f Finding) {
	if f.Pos.File == "" {
		f.Pos.File = c.def.File
	}
	if len(c.in.Definitions) > 1 && c.api != nil {
		f.Object = "API " + c.api.ID + " " + f.Object // several APIs: say which
	}
	c.out = append(c.out, f)
}

// answer renders what the client receives for cause on this API: the
// gateway response of the cause's type, with the API's customisations.
func (c *apiCheck) answer(cause diag.Cause, stage string) Answer {
	set := c.gr
	if set == nil {
		set, _ = gatewayresponse.Compile(nil)
	}
	err := diag.New(diag.PhaseIntegration, cause, "")
	r := set.Render(err, answerVars{info: err.Info(), stage: stage})
	et := r.Header.Get("x-amzn-ErrorType")
	if v := r.Header["x-amzn-ErrorType"]; len(v) > 0 { // set without canonicalising, as AWS spells it
		et = v[0]
	}
	return Answer{Status: r.Status, Body: string(r.Body), ErrorType: et}
}

// answerVars answers $context for a gateway response rendered by the doctor:
// the error fields of the cause, the stage, nothing request-specific.
type answerVars struct {
	info  diag.CauseInfo
	stage string
}

func (v answerVars) Context(name string) string {
	switch name {
	case "error.messageString":
		return gatewayresponse.MessageString(v.info)
	case "error.message":
		return v.info.Message
	case "error.responseType":
		return string(v.info.ResponseType)
	case "stage":
		return v.stage
	}
	return ""
}
func (v answerVars) StageVariable(string) string         { return "" }
func (v answerVars) MethodRequest(string, string) string { return "" }

// refused is the answer for a definition AWS does not import.
func refused(why string) Answer {
	return Answer{Note: "refuses to import the definition (400 BadRequestException: " + why + ")"}
}

// noError is the answer for a finding that fails no request at the gateway.
func noError(what string) Answer {
	return Answer{Note: "no error at the gateway: " + what}
}

// methodKey is the OpenAPI path-item key of an HTTP method.
func methodKey(verb string) string {
	if verb == "ANY" {
		return "x-amazon-apigateway-any-method"
	}
	return strings.ToLower(verb)
}

func sortedVerbs(m map[string]*apigw.Method) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// methodCheck is the state of the checks of one method.
type methodCheck struct {
	*apiCheck
	r *apigw.Resource
	m *apigw.Method
}

func (mc *methodCheck) object() string {
	return mc.m.HTTPMethod + " " + mc.r.Path
}

// node returns the document node under the method's operation, or nil.
func (mc *methodCheck) node(keys ...string) *docNode {
	if mc.doc == nil {
		return nil
	}
	return mc.doc.lookup(append([]string{"paths", mc.r.Path, methodKey(mc.m.HTTPMethod)}, keys...)...)
}

// pos is the position of the first of the given key paths that exists,
// else the integration's, else the method's.
func (mc *methodCheck) pos(paths ...[]string) apigw.Pos {
	for _, p := range paths {
		if n := mc.node(p...); n != nil && n.at().Line > 0 {
			return n.at()
		}
	}
	if mc.m.Integration != nil && mc.m.Integration.Source.Line > 0 {
		return mc.m.Integration.Source
	}
	return mc.m.Source
}

const integ = "x-amazon-apigateway-integration"

func (mc *methodCheck) run() {
	in := mc.m.Integration
	if in == nil {
		return
	}
	mc.checkTemplates()
	mc.checkMethodResponses()
	mc.checkStageVariables()
	mc.checkLambda()
}

// ms renders a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
