package authorizer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/examplefn"
	execlog "github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/openapi"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// fnDir holds the example functions, built once for the package.
var fnDir string

func TestMain(m *testing.M) {
	os.Exit(examplefn.Main(m, &fnDir, "authorizer"))
}

// invocations counts the "lambda report" records of each function: one
// per invocation the local Lambda service ran.
type invocations struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *invocations) Enabled(context.Context, slog.Level) bool { return true }
func (c *invocations) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *invocations) WithGroup(string) slog.Handler            { return c }
func (c *invocations) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "lambda report" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "function" {
			c.mu.Lock()
			c.n[a.Value.String()]++
			c.mu.Unlock()
			return false
		}
		return true
	})
	return nil
}

func (c *invocations) count(fn string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[fn]
}

const fnURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:%s/invocations"

// apiYAML is the API under test: TOKEN, REQUEST and cached authorizers on
// AWS_PROXY (echo) and MOCK methods.
var apiYAML = strings.NewReplacer("AUTHFN", fmt.Sprintf(fnURI, "authorizer"), "NOFN", fmt.Sprintf(fnURI, "nosuch")).Replace(`openapi: 3.0.1
info: {title: authz, version: "1"}
components:
  securitySchemes:
    tokenAuth:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: AUTHFN
        authorizerResultTtlInSeconds: 0
    validated:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: AUTHFN
        identityValidationExpression: "allow|deny"
        authorizerResultTtlInSeconds: 0
    cachedAuth:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: AUTHFN
    requestAuth:
      type: apiKey
      name: X-Auth
      in: header
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: method.request.header.X-Auth
        authorizerUri: AUTHFN
        authorizerResultTtlInSeconds: 0
    requestCached:
      type: apiKey
      name: X-Auth
      in: header
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: method.request.header.X-Auth, method.request.querystring.tenant
        authorizerUri: AUTHFN
        authorizerResultTtlInSeconds: 60
    missingFn:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: NOFN
        authorizerResultTtlInSeconds: 0
paths:
  /pets:
    get:
      security: [{tokenAuth: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
  /template:
    get:
      security: [{tokenAuth: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"principal":"$context.authorizer.principalId","s":"$context.authorizer.stringKey","n":"$context.authorizer.numberKey","b":"$context.authorizer.booleanKey"}'
  /validated:
    get:
      security: [{validated: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
  /cached:
    get:
      security: [{cachedAuth: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
    post:
      security: [{cachedAuth: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
  /items/{id}:
    get:
      security: [{requestAuth: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
  /tenant:
    get:
      security: [{requestCached: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
  /open:
    get:
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
  /nofn:
    get:
      security: [{missingFn: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
`)

// env is a gateway serving apiYAML with the example authorizer function.
type env struct {
	srv     *httptest.Server
	calls   *invocations
	mu      sync.Mutex
	records []*execlog.Record
	auths   map[string]*pipeline.Auth // by request id
	seq     atomic.Int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, apiYAML, &authorizer.Compiler{})
}

// newEnvWith serves definition with comp as the authorizer compiler.
func newEnvWith(t *testing.T, definition string, comp *authorizer.Compiler) *env {
	t.Helper()
	e := &env{calls: &invocations{n: map[string]int{}}, auths: map[string]*pipeline.Auth{}}
	svc, err := lambda.New(lambda.Config{Logger: slog.New(e.calls)},
		lambda.Function{Name: "authorizer", Command: []string{filepath.Join(fnDir, "authorizer")}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	api, diags, err := openapi.Import("authz.yaml", []byte(definition), openapi.Options{})
	if err != nil || openapi.HasErrors(diags) {
		t.Fatalf("import: %v %v", err, diags)
	}
	for _, d := range diags {
		if strings.Contains(d.String(), "not yet served") && strings.Contains(d.String(), "authoriz") {
			t.Errorf("authorizers are served, yet import warns: %s", d)
		}
	}
	api.ID = "authzapi"
	backend := &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Lambda: svc}
	comp.Backend = backend
	t.Cleanup(comp.Close)
	backend.Authorizers = comp
	snap, probs, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev"}, {Name: "prod"}}}}, backend)
	if err != nil {
		t.Fatalf("compile: %v %v", err, probs)
	}
	gw := &gateway.Server{OnRecord: func(x *pipeline.Exchange, _ *rt.Stage) {
		e.mu.Lock()
		e.records = append(e.records, x.Rec)
		e.auths[x.Rec.RequestID] = x.Auth
		e.mu.Unlock()
	}}
	gw.Swap(snap)
	e.srv = httptest.NewServer(gw)
	t.Cleanup(func() { e.srv.Close(); gw.Close() })
	return e
}

type response struct {
	status int
	header http.Header
	body   string
	rec    *execlog.Record
}

func (e *env) do(t *testing.T, method, path string, headers map[string]string) response {
	t.Helper()
	return e.doAt(t, "dev", method, path, headers)
}

// doAt sends a request to a stage (dev or prod).
func (e *env) doAt(t *testing.T, stage, method, path string, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/"+stage+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	// The record is handed over off the request path: wait for it.
	id := resp.Header.Get("x-amzn-RequestId")
	for i := 0; i < 200 && r.rec == nil; i++ {
		e.mu.Lock()
		for _, rec := range e.records {
			if rec.RequestID == id {
				r.rec = rec
			}
		}
		e.mu.Unlock()
		if r.rec == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if r.rec == nil {
		t.Fatalf("no execution record for request %s", id)
	}
	return r
}

// TestAuthorizerPaths drives every path of aws-errors.md §6 through the
// gateway with a real aws-lambda-go authorizer.
func TestAuthorizerPaths(t *testing.T) {
	e := newEnv(t)
	const (
		unauthorized = `{"message":"Unauthorized"}`
		explicitDeny = `{"Message":"User is not authorized to access this resource with an explicit deny"}`
		implicitDeny = `{"Message":"User is not authorized to access this resource"}`
		configError  = `{"message": null}`
	)
	tests := []struct {
		name      string
		path      string
		headers   map[string]string
		status    int
		body      string // exact, when set
		errorType string
		cause     diag.Cause
		invoked   bool // whether the function ran
		logLines  []string
	}{
		{name: "token missing", path: "/pets", status: 401, body: unauthorized, errorType: "UnauthorizedException", cause: diag.AuthorizerIdentityMissing,
			logLines: []string{"Starting authorizer: tokenAuth for request: ", "Unauthorized request: ", "Unauthorized"}},
		{name: "token empty", path: "/pets", headers: map[string]string{"Authorization": ""}, status: 401, body: unauthorized, cause: diag.AuthorizerIdentityMissing},
		{name: "allow", path: "/pets", headers: map[string]string{"Authorization": "allow"}, status: 200, invoked: true,
			logLines: []string{"Starting authorizer: tokenAuth for request: ", "Incoming identity: ", "Endpoint request URI: https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:authorizer/invocations",
				`Endpoint request body after transformations: {"type":"TOKEN","methodArn":"arn:aws:execute-api:us-east-1:000000000000:authzapi/dev/GET/pets","authorizationToken":"allow"}`,
				"Sending request to https://lambda.", "Authorizer result body before parsing: {", "Using valid authorizer policy for principal: ****", "Successfully completed authorizer execution", "Starting execution for request: "}},
		{name: "explicit deny", path: "/pets", headers: map[string]string{"Authorization": "deny"}, status: 403, body: explicitDeny, errorType: "AccessDeniedException", cause: diag.AuthorizerDenied, invoked: true,
			logLines: []string{"Successfully completed authorizer execution", "User is not authorized to access this resource with an explicit deny"}},
		{name: "implicit deny", path: "/pets", headers: map[string]string{"Authorization": "other"}, status: 403, body: implicitDeny, errorType: "AccessDeniedException", cause: diag.AuthorizerNotAllowed, invoked: true},
		{name: "function says Unauthorized", path: "/pets", headers: map[string]string{"Authorization": "unauthorized"}, status: 401, body: unauthorized, cause: diag.AuthorizerUnauthorized, invoked: true,
			logLines: []string{"Authorizer result body before parsing: {\"errorMessage\":\"Unauthorized\"", "Unauthorized request: "}},
		{name: "function throws", path: "/pets", headers: map[string]string{"Authorization": "bogus"}, status: 500, body: configError, errorType: "AuthorizerConfigurationException", cause: diag.AuthorizerError, invoked: true,
			logLines: []string{"Archway explanation (AUTHORIZER_ERROR): authorizer tokenAuth (function authorizer, Lambda request id ", `Execution failed due to configuration error: Invalid JSON in response: Unrecognized field "errorMessage" , not marked as ignorable`, "AuthorizerConfigurationException"}},
		{name: "invalid result", path: "/pets", headers: map[string]string{"Authorization": "garbage"}, status: 500, body: configError, cause: diag.AuthorizerInvalidResponse, invoked: true,
			logLines: []string{`Execution failed due to configuration error: Invalid JSON in response: Unrecognized field "foo" , not marked as ignorable`}},
		{name: "nested context", path: "/pets", headers: map[string]string{"Authorization": "nested"}, status: 500, body: configError, cause: diag.AuthorizerInvalidResponse, invoked: true,
			logLines: []string{"context.nested is a JSON object", "Execution failed due to configuration error: Authorizer error"}},
		{name: "timeout", path: "/pets", headers: map[string]string{"Authorization": "slow"}, status: 500, body: configError, cause: diag.AuthorizerTimeout, invoked: true},
		{name: "validation expression fails", path: "/validated", headers: map[string]string{"Authorization": "nope"}, status: 401, body: unauthorized, cause: diag.AuthorizerIdentityInvalid},
		{name: "validation expression passes", path: "/validated", headers: map[string]string{"Authorization": "allow"}, status: 200, invoked: true},
		{name: "REQUEST allow", path: "/items/7", headers: map[string]string{"X-Auth": "allow"}, status: 200, invoked: true,
			logLines: []string{"Incoming identity: {method.request.header.X-Auth=*****}"}},
		{name: "REQUEST without identity, uncached: invoked", path: "/items/7", status: 500, body: configError, cause: diag.AuthorizerError, invoked: true},
		{name: "REQUEST cached, identity missing", path: "/tenant", headers: map[string]string{"X-Auth": "allow"}, status: 401, body: unauthorized, cause: diag.AuthorizerIdentityMissing},
		{name: "function not declared", path: "/nofn", headers: map[string]string{"Authorization": "allow"}, status: 500, body: configError, cause: diag.AuthorizerInvokeFailed,
			logLines: []string{"Execution failed due to configuration error: Authorizer error", "AuthorizerConfigurationException"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.calls.count("authorizer")
			r := e.do(t, "GET", tc.path, tc.headers)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if tc.body != "" && r.body != tc.body {
				t.Errorf("body %s, want %s", r.body, tc.body)
			}
			if tc.errorType != "" && r.header.Get("x-amzn-ErrorType") != tc.errorType {
				t.Errorf("x-amzn-ErrorType %q, want %q", r.header.Get("x-amzn-ErrorType"), tc.errorType)
			}
			gotCause := diag.Cause("")
			if r.rec.Err != nil {
				gotCause = r.rec.Err.Cause
			}
			if gotCause != tc.cause {
				t.Errorf("cause %q, want %q (%v)", gotCause, tc.cause, r.rec.Err)
			}
			// The proxy integration is the same function: count only the
			// authorizer's own invocation.
			ran := e.calls.count("authorizer") - before
			if tc.status == 200 {
				ran-- // the integration
			}
			if (ran > 0) != tc.invoked {
				t.Errorf("authorizer invocations %d, want invoked=%v", ran, tc.invoked)
			}
			checkLines(t, r.rec, tc.logLines)
		})
	}
}

// checkLines asserts that want appear, in order, as prefixes (or
// substrings) of the record's INFO/data-trace execution log.
func checkLines(t *testing.T, rec *execlog.Record, want []string) {
	t.Helper()
	lines := rec.Lines(execlog.LogOptions{Level: execlog.LevelInfo, DataTrace: true})
	i := 0
	for _, l := range lines {
		if i < len(want) && strings.Contains(l.Msg, want[i]) {
			i++
		}
	}
	if i < len(want) {
		var all []string
		for _, l := range lines {
			all = append(all, l.Msg)
		}
		t.Errorf("execution log lacks %q (in order); log:\n%s", want[i], strings.Join(all, "\n"))
	}
}

// TestAuthorizerOutputsReachIntegration checks principalId and context in
// the proxy event's requestContext.authorizer and in $context.authorizer.
func TestAuthorizerOutputsReachIntegration(t *testing.T) {
	e := newEnv(t)
	t.Run("proxy event TOKEN", func(t *testing.T) {
		r := e.do(t, "GET", "/pets", map[string]string{"Authorization": "allow"})
		var ev struct {
			RequestContext struct {
				Authorizer map[string]any `json:"authorizer"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		a := ev.RequestContext.Authorizer
		want := map[string]any{"stringKey": "value", "numberKey": "123", "booleanKey": "true", "type": "TOKEN", "principalId": "user"}
		for k, v := range want {
			if a[k] != v {
				t.Errorf("authorizer.%s = %#v, want %#v (all: %v)", k, a[k], v, a)
			}
		}
		if _, ok := a["integrationLatency"].(float64); !ok {
			t.Errorf("authorizer.integrationLatency = %#v, want a number", a["integrationLatency"])
		}
	})
	t.Run("proxy event REQUEST", func(t *testing.T) {
		r := e.do(t, "GET", "/items/7", map[string]string{"X-Auth": "allow"})
		if !strings.Contains(r.body, `"type":"REQUEST"`) || !strings.Contains(r.body, `"principalId":"user"`) {
			t.Errorf("event lacks the REQUEST authorizer's context: %s", r.body)
		}
	})
	t.Run("mapping template", func(t *testing.T) {
		r := e.do(t, "GET", "/template", map[string]string{"Authorization": "allow"})
		want := `{"principal":"user","s":"value","n":"123","b":"true"}`
		if r.body != want {
			t.Errorf("body %s, want %s", r.body, want)
		}
	})
	t.Run("usageIdentifierKey", func(t *testing.T) {
		r := e.do(t, "GET", "/pets", map[string]string{"Authorization": "key:abc123"})
		e.mu.Lock()
		a := e.auths[r.rec.RequestID]
		e.mu.Unlock()
		if r.status != 200 || a == nil || a.UsageIdentifierKey != "abc123" || a.PrincipalID != "keyed" {
			t.Errorf("status %d, auth %+v: want usageIdentifierKey abc123 for principal keyed", r.status, a)
		}
	})
	t.Run("no authorizer block without an authorizer", func(t *testing.T) {
		r := e.do(t, "GET", "/open", nil)
		if r.status != 200 || strings.Contains(r.body, `"authorizer"`) {
			t.Errorf("status %d, event %s: want no requestContext.authorizer", r.status, r.body)
		}
	})
}

// TestAuthorizerCache proves that a cached result is not recomputed: the
// function runs once per identity, the cached policy is evaluated for
// every method, and a different identity runs it again.
func TestAuthorizerCache(t *testing.T) {
	e := newEnv(t)
	auth := func() int { return e.calls.count("authorizer") }
	integration := 0
	call := func(method, token string, want int) {
		t.Helper()
		r := e.do(t, method, "/cached", map[string]string{"Authorization": token})
		if r.status != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, token, r.status, want, r.body)
		}
		if r.status == 200 {
			integration++
		}
	}
	start := auth()
	for i := 0; i < 3; i++ {
		call("GET", "allow-all", 200)
	}
	call("POST", "allow-all", 200) // another method: the cached policy covers it
	if got := auth() - start - integration; got != 1 {
		t.Fatalf("authorizer ran %d times for one identity, want 1", got)
	}
	// "allow" allows only the method it was first asked for; its cached
	// policy then denies the other method, as on AWS.
	call("GET", "allow", 200)
	call("GET", "allow", 200)
	call("POST", "allow", 403)
	if got := auth() - start - integration; got != 2 {
		t.Fatalf("authorizer ran %d times for two identities, want 2", got)
	}
}
