package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// validationAPI is the API of LocalStack's AWS-validated
// test_api_gateway_request_validator, with MOCK integrations: GET and POST
// on /nested/{test}, both validated by a validator checking parameters and
// body; POST requires a header, a path parameter the resource does not have
// and a query parameter.
func validationAPI() *apigw.RestAPI {
	mockOK := func(verb string) *apigw.Method {
		m := mock("200", "200")
		m.HTTPMethod = verb
		m.RequestValidatorID = "test-validator"
		m.RequestModels = map[string]string{"application/json": "testSchema"}
		return m
	}
	post := mockOK("POST")
	post.RequestParameters = map[string]bool{"method.request.header.x-header-param": true, "method.request.path.issuer": true, "method.request.querystring.qs1": true}
	post.RequestParameterOrder = []string{"method.request.header.x-header-param", "method.request.path.issuer", "method.request.querystring.qs1"}
	get := mockOK("GET")
	get.RequestParameters = map[string]bool{"method.request.path.test": true}
	bodyOnly := mockOK("POST")
	bodyOnly.RequestValidatorID = ""
	return &apigw.RestAPI{
		ID: "valapi", Name: "validation",
		Resources: []*apigw.Resource{
			{Path: "/nested/{test}", Methods: map[string]*apigw.Method{"GET": get, "POST": post}},
			{Path: "/body", Methods: map[string]*apigw.Method{"POST": bodyOnly}},
		},
		RequestValidators:       map[string]*apigw.RequestValidator{"test-validator": {Name: "test-validator", ValidateRequestBody: true, ValidateRequestParameters: true}, "body": {Name: "body", ValidateRequestBody: true}},
		DefaultRequestValidator: "body",
		Models: map[string]*apigw.Model{"testSchema": {Name: "testSchema", ContentType: "application/json",
			Schema: `{"title":"testSchema","type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`}},
	}
}

func TestRequestValidation(t *testing.T) {
	api := validationAPI()
	snap, warns, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "local", Debug: true, LoggingLevel: "INFO"}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) > 0 {
		t.Fatalf("warnings: %+v", warns)
	}
	records := make(chan *exec.Record, 1)
	srv := &Server{OnRecord: func(x *pipeline.Exchange, _ *rt.Stage) { records <- x.Rec }}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	tests := []struct {
		name, method, path, body string
		headers                  map[string]string
		status                   int
		wantBody                 string
		cause                    diag.Cause
		logLine                  string // the failure line of the execution log
	}{
		{name: "missing all required parameters", method: "POST", path: "/local/nested/value", body: `{"test": "test"}`, headers: map[string]string{"Content-Type": "application/json"},
			status: 400, wantBody: `{"message": "Missing required request parameters: [x-header-param, issuer, qs1]"}`, cause: diag.MissingRequestParameters,
			logLine: "Missing required request parameters: [x-header-param, issuer, qs1]"},
		{name: "blank header is missing", method: "POST", path: "/local/nested/value?qs1=x", headers: map[string]string{"x-header-param": " "},
			status: 400, wantBody: `{"message": "Missing required request parameters: [x-header-param, issuer]"}`, cause: diag.MissingRequestParameters,
			logLine: "Missing required request parameters: [x-header-param, issuer]"},
		{name: "body fails the model", method: "GET", path: "/local/nested/value", body: `{"test": "test"}`, headers: map[string]string{"Content-Type": "application/json"},
			status: 400, wantBody: `{"message": "Invalid request body"}`, cause: diag.InvalidRequestBody,
			logLine: "Request body does not match model schema for content type application/json: [at '': missing properties 'a', 'b']"},
		{name: "bodiless GET fails the model", method: "GET", path: "/local/nested/value",
			status: 400, wantBody: `{"message": "Invalid request body"}`, cause: diag.InvalidRequestBody,
			logLine: "Request body does not match model schema for content type application/json: [at '': missing properties 'a', 'b']"},
		{name: "valid body", method: "GET", path: "/local/nested/value", body: `{"a": 1, "b": 2}`, headers: map[string]string{"Content-Type": "application/json"},
			status: 200, wantBody: `{"stage": "local"}`},
		{name: "API default validator", method: "POST", path: "/local/body", body: `{"a": "x", "b": 2}`,
			status: 400, wantBody: `{"message": "Invalid request body"}`, cause: diag.InvalidRequestBody,
			logLine: "Request body does not match model schema for content type application/json: [at '/a': got string, want number]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequest(tc.method, hs.URL+tc.path, body)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			rec := <-records
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, got)
			}
			if diff := cmp.Diff(tc.wantBody, string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if tc.cause == "" {
				if rec.Err != nil {
					t.Errorf("record error %v", rec.Err)
				}
				return
			}
			wantHeaders := map[string]string{"x-amzn-ErrorType": "BadRequestException", CauseHeader: string(tc.cause), "Content-Type": "application/json"}
			for k, v := range wantHeaders {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
			if rec.Err == nil || rec.Err.Cause != tc.cause {
				t.Fatalf("record cause %v, want %s", rec.Err, tc.cause)
			}
			lines := rec.Lines(exec.LogOptions{Level: exec.LevelError})
			var msgs []string
			for _, l := range lines {
				msgs = append(msgs, l.Msg)
			}
			if diff := cmp.Diff([]string{tc.logLine, "Method completed with status: 400"}, msgs); diff != "" {
				t.Errorf("execution log (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidationErrorString checks $context.error.validationErrorString in a
// customised BAD_REQUEST_BODY gateway response, and that BAD_REQUEST_PARAMETERS
// inherits a customised DEFAULT_4XX.
func TestValidationErrorString(t *testing.T) {
	api := validationAPI()
	api.GatewayResponses = map[apigw.GatewayResponseType]*apigw.GatewayResponse{
		apigw.BadRequestBody: {StatusCode: "422", ResponseTemplates: map[string]string{"application/json": `{"message":$context.error.messageString,"error":"$context.error.validationErrorString"}`}},
		apigw.Default4XX:     {ResponseTemplates: map[string]string{"application/json": `{"type":"$context.error.responseType","m":"$context.error.message"}`}},
	}
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "local"}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"body", "POST", "/local/body", `{"a":1}`, 422, `{"message": "Invalid request body","error":"[at '': missing property 'b']"}`},
		{"parameters", "POST", "/local/nested/v", `{}`, 400, `{"type":"BAD_REQUEST_PARAMETERS","m":"Missing required request parameters: [x-header-param, issuer, qs1]"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(hs.URL+tc.path, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidationCompileWarnings checks that a validator or model that
// cannot be used loads with a warning at the method and skips validation.
func TestValidationCompileWarnings(t *testing.T) {
	api := validationAPI()
	get := api.Resources[0].Methods["GET"]
	get.RequestValidatorID = "undeclared"
	get.Source = apigw.Pos{File: "api.json", Line: 12}
	api.Models["testSchema"].Schema = `{"type":"object","required":[]}`
	snap, warns, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "local"}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		if w.Err {
			t.Errorf("problem %+v is an error, want a warning", w)
		}
		got = append(got, w.Pos.String()+" "+w.Message[:strings.Index(w.Message, ":")+1])
	}
	want := []string{"api.json:12 GET /nested/{test}:", "<unknown> POST /nested/{test}:", "<unknown> POST /body:"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s\n%+v", diff, warns)
	}
	srv := &Server{}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	resp, err := http.Get(hs.URL + "/local/nested/v")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d, want 200 (the method is not validated)", resp.StatusCode)
	}
}
