package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
)

// lambdaAuthorizer is a TOKEN or REQUEST Lambda authorizer.
type lambdaAuthorizer struct {
	c            *Compiler
	name         string
	request      bool // REQUEST, else TOKEN
	fn           *pipeline.LambdaFunction
	fnErr        string // why the authorizerUri cannot be invoked
	sources      []identitySource
	validate     *regexp.Regexp
	ttl          time.Duration
	cacheKey     string // apiId/authorizer, the stage is added per request
	apiID        string // the API's id: its stages' cache generations
	sourceARN    string
	resourcePath string
	cachedNote   string // the execution-log note of a cache hit
}

func newLambdaAuthorizer(c *Compiler, api *apigw.RestAPI, a *apigw.Authorizer, resourcePath string, m *apigw.Method) (authorizer, []pipeline.Problem) {
	var probs []pipeline.Problem
	warn := func(msg, fix string) {
		probs = append(probs, pipeline.Problem{Pos: m.Source, Message: "authorizer " + a.Name + ": " + msg, Fix: fix})
	}
	la := &lambdaAuthorizer{
		c:            c,
		name:         a.Name,
		request:      strings.EqualFold(a.Type, "REQUEST"),
		ttl:          DefaultTTL,
		cacheKey:     api.ID + "/" + a.Name,
		apiID:        api.ID,
		sourceARN:    "arn:aws:execute-api:" + c.Region + ":" + c.AccountID + ":" + api.ID + "/authorizers/" + a.Name,
		resourcePath: resourcePath,
	}
	if a.AuthorizerResultTTLInSeconds != nil {
		la.ttl = time.Duration(*a.AuthorizerResultTTLInSeconds) * time.Second
	}
	fn, ok := pipeline.ParseLambdaFunction(a.AuthorizerURI)
	if ok {
		la.fn = fn
	} else {
		la.fnErr = fmt.Sprintf("authorizerUri %q is not a Lambda invocation URI (arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations)", a.AuthorizerURI)
		warn(la.fnErr+"; every call fails with 500", "set authorizerUri to the function's invocation URI")
	}
	srcs, err := parseIdentitySources(a.IdentitySource)
	if err != nil {
		warn(err.Error()+"; it is ignored", "fix identitySource")
	}
	la.sources = srcs
	if !la.request {
		if len(srcs) != 1 || srcs[0].kind != "header" {
			la.fnErr = fmt.Sprintf("a TOKEN authorizer needs exactly one identitySource method.request.header.NAME, not %q", a.IdentitySource)
			warn(la.fnErr+"; every call fails with 500", "set identitySource to method.request.header.Authorization (or your token header)")
		}
		if e := a.IdentityValidationExpression; e != "" {
			re, err := regexp.Compile("^(?:" + e + ")$")
			if err != nil {
				warn(fmt.Sprintf("identityValidationExpression %q is not a regular expression (%v); it is ignored", e, err), "fix the expression")
			} else {
				la.validate = re
			}
		}
	} else if la.ttl > 0 && len(srcs) == 0 {
		warn("a REQUEST authorizer with caching (authorizerResultTtlInSeconds > 0) needs identitySource; results are not cached", "list the identity sources, or set authorizerResultTtlInSeconds to 0")
		la.ttl = 0
	}
	la.cachedNote = fmt.Sprintf("Archway: authorizer result for this identity served from the cache (authorizerResultTtlInSeconds %d)", int(la.ttl.Seconds()))
	return la, probs
}

// authorize runs the authorizer for one request.
func (a *lambdaAuthorizer) authorize(ctx context.Context, x *pipeline.Exchange, methodARN string) error {
	rec := startRecord(x, a.name)
	defer func() { rec.End = time.Now() }()
	if a.fnErr != "" {
		return a.fail(rec, diag.New(diag.PhaseAuthorizer, diag.AuthorizerInvokeFailed, a.fnErr))
	}
	vals := make([]string, len(a.sources))
	missing := ""
	for i, s := range a.sources {
		vals[i] = s.value(x)
		if vals[i] == "" && missing == "" {
			missing = s.expr
		}
	}
	// A TOKEN authorizer always needs its token; a REQUEST authorizer needs
	// its sources only when results are cached (they make the cache key).
	if missing != "" && (!a.request || a.ttl > 0) {
		return a.unauthorized(x, rec, diag.AuthorizerIdentityMissing, fmt.Sprintf("authorizer %s: identity source %s is missing or empty; the function is not invoked", a.name, missing))
	}
	if a.request {
		if len(a.sources) > 0 {
			rec.Identity = identityLog(a.sources, vals)
		}
	} else {
		rec.Identity = exec.Mask(vals[0])
		if a.validate != nil && !a.validate.MatchString(vals[0]) {
			return a.unauthorized(x, rec, diag.AuthorizerIdentityInvalid, fmt.Sprintf("authorizer %s: the token does not match identityValidationExpression %s; the function is not invoked", a.name, a.validate.String()))
		}
	}
	var key string
	if a.ttl > 0 {
		stage := ""
		if x.Stage != nil {
			stage = x.Stage.Name
		}
		// The stage's cache generation is part of the key: a flush
		// (FlushStage) moves the stage to a new generation. When it cannot
		// be read (the shared store is down and this node never read it),
		// the function is invoked and its result not cached.
		gen, err := a.c.cacheGeneration(ctx, a.apiID, stage)
		if err == nil {
			key = a.cacheKey + "/" + stage + "\x00" + strconv.FormatUint(gen, 10) + "\x00" + strings.Join(vals, "\x00")
			var r *Result
			var ok bool
			r, ok, err = a.c.cacheGet(ctx, key)
			if ok {
				rec.Cached = true
				rec.Notes = append(rec.Notes, a.cachedNote)
				return a.decide(x, rec, r, methodARN, 0)
			}
		}
		if err != nil {
			rec.Notes = append(rec.Notes, "Archway: the authorizer cache could not be read ("+string(diag.LimiterUnavailable)+": "+err.Error()+"); the function is invoked")
		}
		if key != "" {
			return a.coalesce(ctx, x, rec, methodARN, vals, key)
		}
	}
	res, latency, err := a.invoke(ctx, x, rec, methodARN, vals)
	if err != nil {
		return err
	}
	return a.decide(x, rec, res, methodARN, latency)
}

// flight is the outcome of one invocation shared by concurrent requests
// for the same identity.
type flight struct {
	res        *Result
	latency    time.Duration
	err        error
	outcome    string
	fnReqID    string
	resultBody []byte
}

// coalesce invokes the function for a cache miss, once for all concurrent
// requests of this process that miss the same key: the first (the leader)
// invokes and caches the result; the others wait for it and share its
// result or its failure. A leader whose own client went away leaves the
// others to invoke for themselves.
func (a *lambdaAuthorizer) coalesce(ctx context.Context, x *pipeline.Exchange, rec *exec.AuthorizerRecord, methodARN string, vals []string, key string) error {
	leader := false
	v, _, _ := a.c.flight.Do(key, func() (any, error) {
		leader = true
		f := &flight{}
		f.res, f.latency, f.err = a.invoke(ctx, x, rec, methodARN, vals)
		if f.err == nil {
			a.c.cacheSet(ctx, key, f.res, a.ttl)
		}
		f.outcome, f.fnReqID, f.resultBody = rec.Outcome, rec.FunctionRequestID, rec.ResultBody
		return f, nil
	})
	f := v.(*flight)
	if leader {
		if f.err != nil {
			return f.err
		}
		return a.decide(x, rec, f.res, methodARN, f.latency)
	}
	var d *diag.Error
	if f.err != nil && (!errors.As(f.err, &d) || d.Cause == diag.ClientAborted) {
		res, latency, err := a.invoke(ctx, x, rec, methodARN, vals)
		if err != nil {
			return err
		}
		a.c.cacheSet(ctx, key, res, a.ttl)
		return a.decide(x, rec, res, methodARN, latency)
	}
	cacheStats.coalesced.Add(1)
	note := "Archway: waited for a concurrent invocation of the authorizer for the same identity (Lambda request id " + f.fnReqID + ") instead of invoking it again"
	rec.Notes = append(rec.Notes, note)
	rec.FunctionRequestID, rec.ResultBody, rec.ResultKept = f.fnReqID, f.resultBody, f.resultBody != nil
	if f.err != nil {
		e := *d
		e.LogBefore = slices.Clone(d.LogBefore)
		if strings.HasPrefix(e.LogLine, "Unauthorized request: ") {
			e.LogLine = "Unauthorized request: " + x.Rec.RequestID
		}
		rec.Outcome = f.outcome
		return &e
	}
	return a.decide(x, rec, f.res, methodARN, 0)
}

// decide evaluates the (maybe cached) policy for this request's method ARN.
func (a *lambdaAuthorizer) decide(x *pipeline.Exchange, rec *exec.AuthorizerRecord, r *Result, methodARN string, latency time.Duration) error {
	rec.Principal, rec.Succeeded = r.PrincipalID, true
	// The authorizer's output is known even when its policy denies: the
	// gateway response and the access log may show it.
	au := auth(x)
	au.Authorizer = a.name
	au.PrincipalID = r.PrincipalID
	au.Context = r.Context
	au.Claims = false
	au.IntegrationLatency = latency.Milliseconds()
	au.UsageIdentifierKey = r.UsageIdentifierKey
	dec, i := r.Policy.Evaluate(methodARN)
	switch dec {
	case ExplicitDeny:
		d := diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerDenied, "authorizer %s: statement %d (Deny %s) covers %s", a.name, i, strings.Join(r.Policy.Statement[i].Resource, ", "), methodARN)
		d.LogLine = diag.Lookup(diag.AuthorizerDenied).Message
		return a.explainDeny(d)
	case ImplicitDeny:
		d := diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerNotAllowed, "authorizer %s: no Allow statement of the policy for principal %q covers %s (resources allowed: %s)", a.name, r.PrincipalID, methodARN, allowedResources(r.Policy))
		d.LogLine = diag.Lookup(diag.AuthorizerNotAllowed).Message
		return a.explainDeny(d)
	}
	return nil
}

func (a *lambdaAuthorizer) explainDeny(d *diag.Error) error {
	d.LogBefore = append(d.LogBefore, "Archway explanation ("+string(d.Cause)+"): "+d.Detail)
	return d
}

func allowedResources(p *Policy) string {
	var out []string
	for _, s := range p.Statement {
		if s.Effect == Allow {
			out = append(out, s.Resource...)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// unauthorized answers 401 without (or after) invoking the function.
func (a *lambdaAuthorizer) unauthorized(x *pipeline.Exchange, rec *exec.AuthorizerRecord, cause diag.Cause, detail string) error {
	d := diag.New(diag.PhaseAuthorizer, cause, detail)
	d.LogBefore = []string{"Archway explanation (" + string(cause) + "): " + detail}
	d.LogLine = "Unauthorized request: " + x.Rec.RequestID
	rec.Outcome = "Unauthorized"
	return d
}

// fail answers 500 AUTHORIZER_CONFIGURATION_ERROR.
func (a *lambdaAuthorizer) fail(rec *exec.AuthorizerRecord, d *diag.Error) error {
	why := d.Detail
	if d.Err != nil {
		why += ": " + d.Err.Error()
	}
	d.LogBefore = append([]string{"Archway explanation (" + string(d.Cause) + "): " + why}, d.LogBefore...)
	rec.Outcome = "AuthorizerConfigurationException"
	return d
}

// invoke calls the function with the TOKEN or REQUEST event and parses
// its result.
func (a *lambdaAuthorizer) invoke(ctx context.Context, x *pipeline.Exchange, rec *exec.AuthorizerRecord, methodARN string, vals []string) (*Result, time.Duration, error) {
	var stage map[string]string
	if x.Stage != nil {
		stage = x.Stage.Variables
	}
	name, arn, err := a.fn.Resolve(stage)
	rec.EndpointURI = a.fn.Endpoint(arn)
	if err != nil {
		return nil, 0, a.fail(rec, diag.Wrap(diag.PhaseAuthorizer, diag.AuthorizerInvokeFailed, err, "authorizer "+a.name+": function "+name))
	}
	payload, err := a.event(x, methodARN, vals)
	if err != nil {
		return nil, 0, a.fail(rec, diag.Wrap(diag.PhaseAuthorizer, diag.InternalError, err, "encoding the authorizer event"))
	}
	rec.EndpointBody = payload
	var inv pipeline.LambdaInvoker
	if a.c.Backend != nil {
		inv = a.c.Backend.Lambda
	}
	if inv == nil {
		return nil, 0, a.fail(rec, diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerInvokeFailed, "authorizer %s: function %s: no local Lambda service is configured (declare it under functions: in archway.yaml or with --function)", a.name, name))
	}
	reqID := pipeline.NewLambdaRequestID()
	rec.FunctionRequestID = reqID
	ictx, cancel := context.WithTimeout(ctx, a.c.Timeout)
	defer cancel()
	rec.Sent = true
	start := time.Now()
	res, err := inv.Invoke(ictx, name, payload, lambda.InvokeOptions{RequestID: reqID, TraceID: pipeline.TraceID(x), SourceARN: a.sourceARN})
	latency := time.Since(start)
	if err != nil {
		return nil, latency, a.invokeError(ctx, ictx, rec, name, reqID, err)
	}
	rec.ResultBody, rec.ResultKept = res.Payload, true
	who := fmt.Sprintf("authorizer %s (function %s, Lambda request id %s)", a.name, name, res.RequestID)
	if res.FunctionError != "" {
		p, _ := lambda.ParseFunctionError(res.Payload)
		if res.Failure == lambda.FailureTimeout {
			return nil, latency, a.fail(rec, diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerTimeout, "%s timed out: %s%s", who, p.ErrorMessage, pipeline.LogTail(res.Log, 5)))
		}
		if p.ErrorMessage == "Unauthorized" {
			return nil, latency, a.unauthorized(x, rec, diag.AuthorizerUnauthorized, who+" answered Unauthorized"+pipeline.LogTail(res.Log, 5))
		}
		d := diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerError, "%s failed (%s): %s%s", who, res.Failure, p.ErrorMessage, pipeline.LogTail(res.Log, 5))
		if f := firstField(res.Payload); f != "" && !knownFields[f] {
			// AWS reads the error object as a result and fails on its
			// first field (recorded in execution logs).
			d.LogLine = "Execution failed due to configuration error: Invalid JSON in response: Unrecognized field \"" + f + "\" , not marked as ignorable"
		}
		return nil, latency, a.fail(rec, d)
	}
	r, err := ParseResult(res.Payload)
	if err != nil {
		d := diag.Wrap(diag.PhaseAuthorizer, diag.AuthorizerInvalidResponse, err, who+" returned an invalid result")
		var io *invalidOutput
		if errors.As(err, &io) && io.log != "" {
			d.LogLine = "Execution failed due to configuration error: " + io.log
		}
		return nil, latency, a.fail(rec, d)
	}
	return r, latency, nil
}

// invokeError classifies a failed invoke.
func (a *lambdaAuthorizer) invokeError(ctx, ictx context.Context, rec *exec.AuthorizerRecord, name, reqID string, err error) error {
	var se *lambda.ServiceError
	if errors.As(err, &se) {
		d := diag.Wrap(diag.PhaseAuthorizer, diag.AuthorizerInvokeFailed, err, fmt.Sprintf("authorizer %s: the Lambda service rejected the invoke of function %s: %d %s %s", a.name, name, se.StatusCode, se.Type, se.Message))
		if errors.Is(se, lambda.ErrAccessDenied) {
			d.LogBefore = []string{"Execution failed due to configuration error: Invalid permissions on Lambda function"}
		}
		return a.fail(rec, d)
	}
	if errors.Is(ictx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return a.fail(rec, diag.Wrap(diag.PhaseAuthorizer, diag.AuthorizerTimeout, err,
			fmt.Sprintf("authorizer %s (function %s, Lambda request id %s) did not answer within %s", a.name, name, reqID, a.c.Timeout)))
	}
	if ctx.Err() != nil {
		return diag.Wrap(diag.PhaseAuthorizer, diag.ClientAborted, err, "the client closed the connection before the authorizer answered")
	}
	return a.fail(rec, diag.Wrap(diag.PhaseAuthorizer, diag.AuthorizerInvokeFailed, err, "authorizer "+a.name+": invoking function "+name))
}

// tokenEvent is the TOKEN authorizer's input.
type tokenEvent struct {
	Type               string `json:"type"`
	MethodArn          string `json:"methodArn"`
	AuthorizationToken string `json:"authorizationToken"`
}

// requestEvent is the REQUEST authorizer's input: the proxy event's
// fields (without body), with empty maps as {} rather than null.
type requestEvent struct {
	Type      string `json:"type"`
	MethodArn string `json:"methodArn"`
	pipeline.ProxyRequestFields
	RequestContext requestContext `json:"requestContext"`
}

type requestContext struct {
	pipeline.ProxyRequestContext
	Identity requestIdentity `json:"identity"`
}

type requestIdentity struct {
	pipeline.ProxyIdentity
	APIKey   *string `json:"apiKey"`
	APIKeyID *string `json:"apiKeyId"`
}

func (a *lambdaAuthorizer) event(x *pipeline.Exchange, methodARN string, vals []string) ([]byte, error) {
	if !a.request {
		return json.Marshal(tokenEvent{Type: "TOKEN", MethodArn: methodARN, AuthorizationToken: vals[0]})
	}
	b := pipeline.ProxyEventBase(x, a.resourcePath)
	f := b.ProxyRequestFields
	f.Headers, f.MultiValueHeaders = nonNil(f.Headers), nonNil(f.MultiValueHeaders)
	f.QueryStringParameters, f.MultiValueQueryStringParameters = nonNil(f.QueryStringParameters), nonNil(f.MultiValueQueryStringParameters)
	f.PathParameters, f.StageVariables = nonNil(f.PathParameters), nonNil(f.StageVariables)
	ev := requestEvent{
		Type: "REQUEST", MethodArn: methodARN,
		ProxyRequestFields: f,
		RequestContext:     requestContext{ProxyRequestContext: b.RequestContext, Identity: requestIdentity{ProxyIdentity: b.RequestContext.Identity}},
	}
	if x.Auth != nil {
		ev.RequestContext.Identity.APIKey = nonEmpty(x.Auth.APIKey)
		ev.RequestContext.Identity.APIKeyID = nonEmpty(x.Auth.APIKeyID)
	}
	return json.Marshal(ev)
}

func nonNil[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
