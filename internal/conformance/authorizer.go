package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
)

// The example authorizer function (examples/functions/authorizer) runs the
// authorizer-input vectors: with the token "echo" it allows the request
// and returns the event it received as context.event, which a MOCK
// integration renders back with $context.authorizer.event.
const authFnName = "authorizer"

// authorizerLambda returns the local Lambda service running the example
// authorizer, built and started on first use.
var authorizerLambda = sync.OnceValues(func() (*lambda.Service, error) {
	return startFunction(filepath.Join("..", "..", "examples", "functions", "authorizer"), "conformance-authorizer", authFnName, "example authorizer")
})

// authorizerEchoAPI serves resource/verb behind a TOKEN or REQUEST
// authorizer running the example function, with a MOCK integration that
// answers with the event the authorizer received.
func authorizerEchoAPI(typ, resource, verb string) *apigw.RestAPI {
	a := &apigw.Authorizer{
		Name: "echo", Type: typ,
		AuthorizerURI:  "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:" + authFnName + "/invocations",
		IdentitySource: "method.request.header.Authorization",
	}
	if typ == "REQUEST" {
		a.IdentitySource = "method.request.header.X-Auth"
	}
	ttl := 0
	a.AuthorizerResultTTLInSeconds = &ttl
	m := mockMethod(verb, "")
	m.AuthorizationType, m.AuthorizerID = "CUSTOM", "echo"
	m.Integration.IntegrationResponses[0].ResponseTemplates = map[string]string{"application/json": "$context.authorizer.event"}
	api := restAPI(map[string]map[string]*apigw.Method{resource: {verb: m}})
	api.Authorizers = map[string]*apigw.Authorizer{"echo": a}
	return api
}

// runAuthorizerInput checks the event a Lambda authorizer receives against
// an authorizer-input-v1 vector. The vectors are SDK sample payloads (for
// shape, not values): the client request is rebuilt from the payload, and
// every field of the sample must be present in the event with the same
// JSON type; what the request determines (type, method ARN stage, method
// and path, resource, path, method, the headers and query sent, stage
// variables, path parameters) must also have the same value.
func runAuthorizerInput(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var exp struct {
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(v.Expected, &exp); err != nil || exp.Payload == nil {
		return Fail, "expected.payload: not an object"
	}
	p := exp.Payload
	typ, _ := p["type"].(string)
	arn, _ := p["methodArn"].(string)
	stage, verb, path, ok := splitMethodARN(arn)
	if !ok {
		return Fail, "expected methodArn " + arn + " is not arn:aws:execute-api:...:{api}/{stage}/{METHOD}/{path}"
	}
	if stage == "*" || stage == "" {
		stage = "test" // a test-invoke sample: any stage serves
	}
	svc, err := authorizerLambda()
	if err != nil {
		return Unsupported, "no local Lambda function to run: " + err.Error()
	}
	headers := map[string]string{}
	query := ""
	resource := path
	var stageVars map[string]string
	switch typ {
	case "TOKEN":
		headers["Authorization"] = "echo"
	case "REQUEST":
		resource, _ = p["resource"].(string)
		path, _ = p["path"].(string)
		if m, _ := p["httpMethod"].(string); m != "" {
			verb = m
		}
		for k, val := range stringMap(p["headers"]) {
			if !edgeOnly(k) && !volatileHeader(k) {
				headers[k] = val
			}
		}
		headers["X-Auth"] = "echo"
		q := stringMap(p["queryStringParameters"])
		for _, k := range sortedKeys(q) {
			if query != "" {
				query += "&"
			}
			query += k + "=" + q[k]
		}
		stageVars = stringMap(p["stageVariables"])
	default:
		return Fail, fmt.Sprintf("expected type %q is neither TOKEN nor REQUEST", typ)
	}
	comp := &authorizer.Compiler{}
	backend := &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Lambda: svc, Authorizers: comp}
	comp.Backend = backend
	defer comp.Close()
	api := authorizerEchoAPI(typ, resource, verb)
	for k, val := range headers {
		if strings.EqualFold(k, "Content-Type") {
			// The MOCK integration needs its statusCode template for the
			// request's media type too.
			api.Resources[0].Methods[verb].Integration.RequestTemplates[val] = `{"statusCode": 200}`
		}
	}
	h, err := newHarnessWith(api, apigw.Stage{Name: stage, Variables: stageVars}, backend)
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	pq := "/" + stage + path
	if query != "" {
		pq += "?" + query
	}
	x, err := h.sendRaw(ctx, verb, pq, headers, nil)
	if err != nil {
		return Fail, err.Error()
	}
	if x.status != 200 {
		return Fail, fmt.Sprintf("the echo route answered %d: %s", x.status, truncate(string(x.body)))
	}
	var got map[string]any
	if err := json.Unmarshal(x.body, &got); err != nil {
		return Fail, "the authorizer event is not JSON: " + err.Error()
	}
	if d := shapeDiff("event", p, got); d != "" {
		return Fail, d
	}
	// Values the request determines.
	gotStage, gotVerb, gotPath, _ := splitMethodARN(fmt.Sprint(got["methodArn"]))
	if gotStage != stage || gotVerb != verb || gotPath != path {
		return Fail, fmt.Sprintf("event.methodArn %v: want stage %s, method %s, path %s", got["methodArn"], stage, verb, path)
	}
	checks := []string{"type"}
	if typ == "TOKEN" {
		if got["authorizationToken"] != "echo" {
			return Fail, fmt.Sprintf("event.authorizationToken = %v, want the Authorization header", got["authorizationToken"])
		}
	} else {
		checks = append(checks, "resource", "path", "httpMethod", "queryStringParameters", "multiValueQueryStringParameters", "stageVariables", "pathParameters")
		gh := lowerKeys(got["headers"], false).(map[string]any)
		for k, val := range headers {
			if gh[strings.ToLower(k)] != val {
				return Fail, fmt.Sprintf("event.headers[%s] = %v, want %q", k, gh[strings.ToLower(k)], val)
			}
		}
		rc, _ := got["requestContext"].(map[string]any)
		erc, _ := p["requestContext"].(map[string]any)
		for _, k := range []string{"resourcePath", "httpMethod", "stage"} {
			if erc[k] != rc[k] {
				return Fail, fmt.Sprintf("event.requestContext.%s = %v, want %v", k, rc[k], erc[k])
			}
		}
	}
	for _, k := range checks {
		if !deepMatch(newMatcher(), p[k], got[k]) {
			return Fail, fmt.Sprintf("event.%s = %s, want %s", k, compact(got[k]), compact(p[k]))
		}
	}
	return Pass, ""
}

// splitMethodARN splits arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{/path}.
func splitMethodARN(arn string) (stage, verb, path string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "execute-api" {
		return "", "", "", false
	}
	segs := strings.SplitN(parts[5], "/", 4)
	if len(segs) < 3 {
		return "", "", "", false
	}
	path = "/"
	if len(segs) == 4 {
		path += segs[3]
	}
	return segs[1], segs[2], path, true
}

// volatileHeader reports headers the sample carries that a client cannot
// send as recorded (set by the transport or the edge).
func volatileHeader(name string) bool {
	switch strings.ToLower(name) {
	case "host", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "via", "x-amzn-trace-id", "content-length", "connection":
		return true
	}
	return false
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		}
	}
	return out
}

// shapeDiff reports the first field of want that got lacks or holds with
// another JSON type. Header maps and string maps are compared by the keys
// the request determines (see runAuthorizerInput), not here; clientCert
// appears only for mutual TLS, which no vector's request uses.
func shapeDiff(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an object", path, compact(got))
		}
		if strings.HasSuffix(path, "eaders") || strings.HasSuffix(path, "Parameters") || strings.HasSuffix(path, "stageVariables") {
			return ""
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "clientCert" {
				continue
			}
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing (want %s)", path, k, compact(w[k]))
			}
			if strings.HasSuffix(path, ".identity") && gv == nil {
				continue // identity fields without a value are null on AWS
			}
			if d := shapeDiff(path+"."+k, w[k], gv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		if _, ok := got.([]any); !ok {
			return fmt.Sprintf("%s: got %s, want a list", path, compact(got))
		}
		return ""
	case string:
		if _, ok := got.(string); !ok {
			return fmt.Sprintf("%s: got %s, want a string", path, compact(got))
		}
	case float64:
		if _, ok := got.(float64); !ok {
			return fmt.Sprintf("%s: got %s, want a number", path, compact(got))
		}
	case bool:
		if _, ok := got.(bool); !ok {
			return fmt.Sprintf("%s: got %s, want a boolean", path, compact(got))
		}
	}
	return ""
}
