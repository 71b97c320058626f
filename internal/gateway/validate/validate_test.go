package validate

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/router"
)

const ref = "https://apigateway.amazonaws.com/restapis/api1/models/"

func testAPI() *apigw.RestAPI {
	models := map[string]string{
		// The model of LocalStack's AWS-validated test_api_gateway_request_validator.
		"testSchema": `{"title":"testSchema","type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`,
		"Node":       `{"type":"object","properties":{"value":{"type":"integer"},"next":{"$ref":"` + ref + `Node"}},"required":["value"]}`,
		"Wrapper":    `{"type":"object","properties":{"pet":{"$ref":"` + ref + `testSchema"}},"required":["pet"]}`,
		// A reference made under another API id (the id changed after import).
		"OtherID":  `{"type":"object","properties":{"pet":{"$ref":"https://apigateway.amazonaws.com/restapis/imported/models/testSchema"}}}`,
		"Text":     `{"type":"string","maxLength":3}`,
		"Pets":     `{"$schema":"http://json-schema.org/draft-04/schema#","type":"array","items":{"$ref":"` + ref + `testSchema"}}`,
		"Broken":   `{"type":5}`,
		"NotJSON":  `{"type":`,
		"Dangling": `{"$ref":"` + ref + `Missing"}`,
		"FileRef":  `{"$ref":"file:///etc/passwd"}`,
	}
	api := &apigw.RestAPI{
		ID: "api1",
		RequestValidators: map[string]*apigw.RequestValidator{
			"all":    {Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true},
			"params": {Name: "params", ValidateRequestParameters: true},
			"body":   {Name: "body", ValidateRequestBody: true},
			"none":   {Name: "none"},
		},
		Models: map[string]*apigw.Model{},
	}
	for name, schema := range models {
		api.Models[name] = &apigw.Model{Name: name, ContentType: "application/json", Schema: schema}
	}
	return api
}

// vectorParams are the method request parameters of the recorded vectors
// err-rest-validation-missing-*.
func vectorParams(m *apigw.Method) {
	m.RequestParameters = map[string]bool{"method.request.header.x-header-param": true, "method.request.path.issuer": true, "method.request.querystring.qs1": true}
	m.RequestParameterOrder = []string{"method.request.header.x-header-param", "method.request.path.issuer", "method.request.querystring.qs1"}
}

type request struct {
	method  string
	target  string // path and query
	headers map[string]string
	params  []router.Param
	body    string
}

func exchange(r request) *pipeline.Exchange {
	if r.method == "" {
		r.method = "POST"
	}
	if r.target == "" {
		r.target = "/"
	}
	req := httptest.NewRequest(r.method, r.target, nil)
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	return &pipeline.Exchange{Req: req, Params: r.params, Body: []byte(r.body)}
}

func TestCheck(t *testing.T) {
	json := map[string]string{"Content-Type": "application/json"}
	tests := []struct {
		name    string
		method  apigw.Method
		req     request
		cause   diag.Cause // "" for a request that passes
		message string     // the client message, for MISSING_REQUEST_PARAMETERS
		reason  string     // a substring of validationErrorString, for INVALID_REQUEST_BODY
	}{
		{name: "vector: all missing, header path query order",
			method: apigw.Method{RequestValidatorID: "all", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `{"test":"test"}`, headers: json, params: []router.Param{{Name: "test", Value: "value"}}},
			cause:  diag.MissingRequestParameters, message: "Missing required request parameters: [x-header-param, issuer, qs1]"},
		{name: "vector: header missing",
			method: apigw.Method{RequestValidatorID: "all", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{method: "GET", target: "/?qs1=test", params: []router.Param{{Name: "issuer", Value: "value"}}},
			cause:  diag.MissingRequestParameters, message: "Missing required request parameters: [x-header-param]"},
		{name: "vector: query missing",
			method: apigw.Method{RequestValidatorID: "all", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{method: "GET", headers: map[string]string{"x-header-param": "test"}, params: []router.Param{{Name: "issuer", Value: "value"}}},
			cause:  diag.MissingRequestParameters, message: "Missing required request parameters: [qs1]"},
		{name: "blank header and blank query count as missing",
			method: apigw.Method{RequestValidatorID: "params"},
			req:    request{target: "/?qs1=", headers: map[string]string{"x-header-param": "  "}, params: []router.Param{{Name: "issuer", Value: "v"}}},
			cause:  diag.MissingRequestParameters, message: "Missing required request parameters: [x-header-param, qs1]"},
		{name: "all present",
			method: apigw.Method{RequestValidatorID: "params"},
			req:    request{target: "/?qs1=a", headers: map[string]string{"X-Header-Param": "v"}, params: []router.Param{{Name: "issuer", Value: "v"}}}},
		{name: "header names are case-insensitive",
			method: apigw.Method{RequestValidatorID: "params"},
			req:    request{target: "/?qs1=a", headers: map[string]string{"X-HEADER-PARAM": "v"}, params: []router.Param{{Name: "issuer", Value: "v"}}}},
		{name: "query names are case-sensitive",
			method: apigw.Method{RequestValidatorID: "params"},
			req:    request{target: "/?QS1=a", headers: map[string]string{"x-header-param": "v"}, params: []router.Param{{Name: "issuer", Value: "v"}}},
			cause:  diag.MissingRequestParameters, message: "Missing required request parameters: [qs1]"},
		{name: "body-only validator ignores parameters",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `{"a":1,"b":2}`}},
		{name: "parameters before the body",
			method: apigw.Method{RequestValidatorID: "all", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `not json`},
			cause:  diag.MissingRequestParameters, message: "Missing required request parameters: [x-header-param, issuer, qs1]"},
		{name: "valid body",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `{"a":1,"b":2.5,"c":"extra"}`, headers: json}},
		{name: "vector: body misses required properties",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `{"test":"test"}`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "at '': missing properties 'a', 'b'"},
		{name: "wrong type names the pointer",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `{"a":"1","b":2}`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "at '/a': got string, want number"},
		{name: "empty body is checked as {} (GET without body fails)",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{method: "GET"},
			cause:  diag.InvalidRequestBody, reason: "missing properties 'a', 'b'"},
		{name: "empty body passes a model without required properties",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Empty"}},
			req:    request{method: "GET"}},
		{name: "built-in Empty model rejects a non-object",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Empty"}},
			req:    request{body: `[1]`},
			cause:  diag.InvalidRequestBody, reason: "got array, want object"},
		{name: "non-JSON body",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `a=1&b=2`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "not valid JSON"},
		{name: "trailing data after JSON",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `{"a":1,"b":2} x`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "not valid JSON"},
		{name: "ref to another model",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Wrapper"}},
			req:    request{body: `{"pet":{"a":1}}`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "at '/pet': missing property 'b'"},
		{name: "ref to another model, valid",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Wrapper"}},
			req:    request{body: `{"pet":{"a":1,"b":2}}`, headers: json}},
		{name: "ref under another API id",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "OtherID"}},
			req:    request{body: `{"pet":{"a":true,"b":2}}`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "at '/pet/a': got boolean, want number"},
		{name: "array of refs",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Pets"}},
			req:    request{body: `[{"a":1,"b":2},{"a":1}]`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "at '/1': missing property 'b'"},
		{name: "circular ref, valid",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Node"}},
			req:    request{body: `{"value":1,"next":{"value":2,"next":{"value":3}}}`, headers: json}},
		{name: "circular ref, deep violation",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Node"}},
			req:    request{body: `{"value":1,"next":{"value":2,"next":{"value":"x"}}}`, headers: json},
			cause:  diag.InvalidRequestBody, reason: "at '/next/next/value': got string, want integer"},
		{name: "no Content-Type uses application/json",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema", "text/plain": "Text"}},
			req:    request{body: `{"a":1}`},
			cause:  diag.InvalidRequestBody, reason: "missing property 'b'"},
		{name: "Content-Type parameters and case are ignored",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema", "text/plain": "Text"}},
			req:    request{body: `"long"`, headers: map[string]string{"Content-Type": "Text/Plain; charset=utf-8"}},
			cause:  diag.InvalidRequestBody, reason: "maxLength"},
		{name: "model of the request's content type",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema", "text/plain": "Text"}},
			req:    request{body: `"ok"`, headers: map[string]string{"Content-Type": "text/plain"}}},
		{name: "no model for the content type: not validated",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `<xml/>`, headers: map[string]string{"Content-Type": "application/xml"}}},
		{name: "$default model for other content types",
			method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"$default": "testSchema"}},
			req:    request{body: `{}`, headers: map[string]string{"Content-Type": "application/xml"}},
			cause:  diag.InvalidRequestBody, reason: "missing properties 'a', 'b'"},
		{name: "default validator of the API",
			method: apigw.Method{RequestModels: map[string]string{"application/json": "testSchema"}},
			req:    request{body: `{}`},
			cause:  diag.InvalidRequestBody, reason: "missing properties"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := testAPI()
			api.DefaultRequestValidator = "body"
			m := tc.method
			m.HTTPMethod = "POST"
			if m.RequestValidatorID == "params" || m.RequestValidatorID == "all" {
				vectorParams(&m)
			}
			ch, probs := NewCompiler(api).Method("/nested/{test}", &m)
			if len(probs) > 0 {
				t.Fatalf("problems: %+v", probs)
			}
			if ch == nil {
				t.Fatal("no checker")
			}
			err := ch.Check(context.Background(), exchange(tc.req))
			if tc.cause == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			d, ok := err.(*diag.Error)
			if !ok {
				t.Fatalf("Check = %v (%T), want a *diag.Error", err, err)
			}
			if d.Cause != tc.cause || d.Phase != diag.PhaseMethodRequest {
				t.Fatalf("cause %s/%s, want %s/%s (%v)", d.Phase, d.Cause, diag.PhaseMethodRequest, tc.cause, d)
			}
			switch tc.cause {
			case diag.MissingRequestParameters:
				if got := d.Info().Message; got != tc.message {
					t.Errorf("message %q, want %q", got, tc.message)
				}
				if d.Detail != tc.message {
					t.Errorf("log detail %q, want %q", d.Detail, tc.message)
				}
			case diag.InvalidRequestBody:
				if got := d.Info().Message; got != "Invalid request body" {
					t.Errorf("message %q", got)
				}
				if !strings.HasPrefix(d.ValidationError, "[") || !strings.HasSuffix(d.ValidationError, "]") || !strings.Contains(d.ValidationError, tc.reason) {
					t.Errorf("validationErrorString %q, want [...] containing %q", d.ValidationError, tc.reason)
				}
				if !strings.HasPrefix(d.Detail, "Request body does not match model schema for content type ") || !strings.HasSuffix(d.Detail, ": "+d.ValidationError) {
					t.Errorf("log detail %q", d.Detail)
				}
			}
		})
	}
}

func TestContentTypeInLogDetail(t *testing.T) {
	api := testAPI()
	m := &apigw.Method{HTTPMethod: "POST", RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema", "text/plain": "Text"}}
	ch, _ := NewCompiler(api).Method("/", m)
	tests := []struct{ ct, body, want string }{
		{"", `{}`, "Request body does not match model schema for content type application/json: [at '': missing properties 'a', 'b']"},
		{"text/plain; charset=utf-8", `"toolong"`, "Request body does not match model schema for content type text/plain: [at '': maxLength: got 7, want 3]"},
		{"application/json", `{"b":"y","a":"x"}`, "Request body does not match model schema for content type application/json: [at '/a': got string, want number, at '/b': got string, want number]"},
	}
	for _, tc := range tests {
		t.Run(tc.ct, func(t *testing.T) {
			h := map[string]string{}
			if tc.ct != "" {
				h["Content-Type"] = tc.ct
			}
			err := ch.Check(context.Background(), exchange(request{body: tc.body, headers: h}))
			d, _ := err.(*diag.Error)
			if d == nil {
				t.Fatalf("Check = %v", err)
			}
			if diff := cmp.Diff(tc.want, d.Detail); diff != "" {
				t.Errorf("detail (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompile covers which validator applies and the compile problems of
// definitions AWS accepts but that cannot be used.
func TestCompile(t *testing.T) {
	tests := []struct {
		name       string
		method     apigw.Method
		defaultVal string
		wantCheck  bool
		needsBody  bool
		problems   []string // substrings, one per problem
	}{
		{name: "no validator", method: apigw.Method{RequestParameters: map[string]bool{"method.request.header.h": true}}},
		{name: "validator that validates nothing", method: apigw.Method{RequestValidatorID: "none", RequestParameters: map[string]bool{"method.request.header.h": true}}},
		{name: "params validator", method: apigw.Method{RequestValidatorID: "params", RequestParameters: map[string]bool{"method.request.header.h": true}}, wantCheck: true},
		{name: "params validator, nothing required", method: apigw.Method{RequestValidatorID: "params", RequestParameters: map[string]bool{"method.request.header.h": false}}},
		{name: "body validator without models", method: apigw.Method{RequestValidatorID: "body"}},
		{name: "body validator reads the body", method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema"}}, wantCheck: true, needsBody: true},
		{name: "params validator does not read the body", method: apigw.Method{RequestValidatorID: "params", RequestParameters: map[string]bool{"method.request.querystring.q": true}, RequestModels: map[string]string{"application/json": "testSchema"}}, wantCheck: true},
		{name: "default validator applies", defaultVal: "body", method: apigw.Method{RequestModels: map[string]string{"application/json": "testSchema"}}, wantCheck: true, needsBody: true},
		{name: "method validator overrides the default", defaultVal: "body", method: apigw.Method{RequestValidatorID: "none", RequestModels: map[string]string{"application/json": "testSchema"}}},
		{name: "validator by name", method: apigw.Method{RequestValidatorID: "Named", RequestModels: map[string]string{"application/json": "testSchema"}}, wantCheck: true, needsBody: true},
		{name: "unknown validator", method: apigw.Method{RequestValidatorID: "nope", RequestModels: map[string]string{"application/json": "testSchema"}}, problems: []string{`request validator "nope" is not declared`}},
		{name: "unknown default validator", defaultVal: "nope", method: apigw.Method{RequestModels: map[string]string{"application/json": "testSchema"}}, problems: []string{`request validator "nope" is not declared`}},
		{name: "model not found", method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Missing"}}, problems: []string{`model "Missing" for application/json cannot be used`}},
		{name: "schema does not compile", method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Broken"}}, problems: []string{`model "Broken"`}},
		{name: "schema is not JSON", method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "NotJSON"}}, problems: []string{`model "NotJSON" is not JSON`}},
		{name: "dangling ref", method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "Dangling"}}, problems: []string{`the API defines no model "Missing"`}},
		{name: "file refs are not loaded", method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "FileRef"}}, problems: []string{"only models of this API can be referenced"}},
		{name: "broken model skipped, good one kept", method: apigw.Method{RequestValidatorID: "body", RequestModels: map[string]string{"application/json": "testSchema", "text/plain": "Broken"}}, wantCheck: true, needsBody: true, problems: []string{`model "Broken" for text/plain`}},
		{name: "bad parameter key", method: apigw.Method{RequestValidatorID: "params", RequestParameters: map[string]bool{"method.request.body.x": true, "method.request.header.h": true}}, wantCheck: true, problems: []string{`"method.request.body.x" is not method.request`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := testAPI()
			api.DefaultRequestValidator = tc.defaultVal
			api.RequestValidators["id-42"] = &apigw.RequestValidator{Name: "Named", ValidateRequestBody: true}
			m := tc.method
			m.HTTPMethod = "POST"
			m.Source = apigw.Pos{File: "api.json", Line: 7}
			ch, probs := NewCompiler(api).Method("/r", &m)
			if (ch != nil) != tc.wantCheck {
				t.Fatalf("checker %v, want one: %v", ch, tc.wantCheck)
			}
			if ch != nil && ch.NeedsBody() != tc.needsBody {
				t.Errorf("NeedsBody %v, want %v", ch.NeedsBody(), tc.needsBody)
			}
			if len(probs) != len(tc.problems) {
				t.Fatalf("problems %+v, want %d", probs, len(tc.problems))
			}
			for i, p := range probs {
				if !strings.Contains(p.Message, tc.problems[i]) || p.Err || p.Fix == "" {
					t.Errorf("problem %+v, want a warning with a fix containing %q", p, tc.problems[i])
				}
				if p.Pos != m.Source {
					t.Errorf("problem at %v, want the method's %v", p.Pos, m.Source)
				}
				if !strings.HasPrefix(p.Message, "POST /r: ") {
					t.Errorf("problem %q does not name the method", p.Message)
				}
			}
		})
	}
}

// TestModelsCompiledOnce checks that methods sharing a model share its
// compiled schema.
func TestModelsCompiledOnce(t *testing.T) {
	c := NewCompiler(testAPI())
	a, err := c.model("Wrapper")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.model("Wrapper")
	if a != b {
		t.Error("model compiled twice")
	}
	_, err1 := c.model("Broken")
	_, err2 := c.model("Broken")
	if err1 == nil || err1 != err2 {
		t.Errorf("broken model errors %v / %v, want the same error", err1, err2)
	}
}

func TestModelURL(t *testing.T) {
	if got, want := ModelURL("abc", "Pet"), "https://apigateway.amazonaws.com/restapis/abc/models/Pet"; got != want {
		t.Errorf("ModelURL = %q, want %q", got, want)
	}
}
