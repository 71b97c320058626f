package pipeline

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

func TestBodyParameterMapping(t *testing.T) {
	const petstore = `{"petstore": {"pets": [{"name": "Rex", "age": 3, "tags": ["a", "b"], "vet": null, "ok": true}]}}`
	tests := []struct {
		name       string
		reqParams  map[string]string
		respParams map[string]string
		reqBody    string
		respBody   string
		wantSent   map[string]string // backend request headers (only the mapped names)
		wantResp   map[string]string // client response headers (only the mapped names)
		cause      diag.Cause
	}{
		{name: "string, number, boolean, array and object values",
			reqParams: map[string]string{
				"integration.request.header.X-Name": "method.request.body.petstore.pets[0].name",
				"integration.request.header.X-Age":  "method.request.body.petstore.pets[0].age",
				"integration.request.header.X-Ok":   "method.request.body.petstore.pets[0].ok",
				"integration.request.header.X-Tags": "method.request.body.petstore.pets[0].tags",
				"integration.request.header.X-Pet":  "method.request.body.petstore.pets[0]",
			},
			reqBody: petstore,
			wantSent: map[string]string{"X-Name": "Rex", "X-Age": "3", "X-Ok": "true", "X-Tags": `["a","b"]`,
				"X-Pet": `{"name":"Rex","age":3,"tags":["a","b"],"vet":null,"ok":true}`}},
		{name: "missing path and null are omitted",
			reqParams: map[string]string{
				"integration.request.header.X-Missing": "method.request.body.petstore.pets[1].name",
				"integration.request.header.X-Vet":     "method.request.body.petstore.pets[0].vet",
				"integration.request.header.X-Index":   "method.request.body.petstore.name[0]",
			},
			reqBody: petstore, wantSent: map[string]string{}},
		{name: "indefinite path gives the list of matches",
			reqParams: map[string]string{"integration.request.header.X-Names": "method.request.body..name"},
			reqBody:   petstore, wantSent: map[string]string{"X-Names": `["Rex"]`}},
		{name: "plain text body: path omitted, no error",
			reqParams: map[string]string{"integration.request.header.X-Name": "method.request.body.name", "integration.request.header.X-Body": "method.request.body"},
			reqBody:   "just text", wantSent: map[string]string{"X-Body": "just text"}},
		{name: "empty body: path omitted",
			reqParams: map[string]string{"integration.request.header.X-Name": "method.request.body.name"},
			wantSent:  map[string]string{}},
		{name: "invalid JSON object is a 400",
			reqParams: map[string]string{"integration.request.header.X-Name": "method.request.body.name"},
			reqBody:   "\n{wrongjson", cause: diag.RequestBodyNotJSON},
		{name: "invalid JSON object with a plain body mapping is a 400",
			reqParams: map[string]string{"integration.request.header.X-Body": "method.request.body"},
			reqBody:   " {\"a\": ", cause: diag.RequestBodyNotJSON},
		{name: "response header from the integration response body",
			respParams: map[string]string{"method.response.header.X-Id": "integration.response.body.id", "method.response.header.X-None": "integration.response.body.nope"},
			respBody:   `{"id": 42}`, wantResp: map[string]string{"X-Id": "42"}},
		{name: "invalid JSON integration response body is a 500",
			respParams: map[string]string{"method.response.header.X-Id": "integration.response.body.id"},
			respBody:   `{"id": `, cause: diag.ResponseBodyNotJSON},
		{name: "response body text: path omitted",
			respParams: map[string]string{"method.response.header.X-Id": "integration.response.body.id"},
			respBody:   `plain`, wantResp: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sent http.Header
			called := false
			backend := &Backend{
				Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					called, sent = true, r.Header.Clone()
					return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.respBody))}, nil
				}),
				Classify: func(ctx context.Context, err error) *diag.Error {
					return diag.Wrap(diag.PhaseIntegration, diag.InternalError, err, "")
				},
			}
			resp := ir("default", "", "200")
			resp.ResponseParameters = tc.respParams
			am := &apigw.Method{HTTPMethod: "POST", MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
				Integration: &apigw.Integration{Type: "http", HTTPMethod: "POST", URI: "http://backend.example/", RequestParameters: tc.reqParams,
					IntegrationResponses: []*apigw.IntegrationResponse{resp}}}
			m := compileMethod(t, am, backend)
			x := newExchange("POST", "/r", nil)
			x.Body = []byte(tc.reqBody)
			out, err := m.Serve(context.Background(), x, nil)
			if tc.cause != "" {
				if d := diag.As(err); err == nil || d.Cause != tc.cause {
					t.Fatalf("Serve err = %v, want cause %s", err, tc.cause)
				}
				if tc.cause == diag.RequestBodyNotJSON && called {
					t.Error("the backend was called for a request refused before the integration")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSent != nil {
				got := map[string]string{}
				for k := range tc.reqParams {
					name := strings.TrimPrefix(k, "integration.request.header.")
					if v := sent.Values(name); len(v) > 0 {
						got[name] = strings.Join(v, ",")
					}
				}
				if diff := cmp.Diff(tc.wantSent, got); diff != "" {
					t.Errorf("mapped backend headers (-want +got):\n%s", diff)
				}
			}
			if tc.wantResp != nil {
				got := map[string]string{}
				for k := range tc.respParams {
					name := strings.TrimPrefix(k, "method.response.header.")
					if v := out.Header.Values(name); len(v) > 0 {
						got[name] = strings.Join(v, ",")
					}
				}
				if diff := cmp.Diff(tc.wantResp, got); diff != "" {
					t.Errorf("mapped response headers (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestMultiValueQueryMapping(t *testing.T) {
	var sent string
	backend := &Backend{
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent = r.URL.RawQuery
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
		}),
	}
	am := &apigw.Method{HTTPMethod: "GET", MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
		Integration: &apigw.Integration{Type: "http", HTTPMethod: "GET", URI: "http://backend.example/",
			RequestParameters: map[string]string{
				"integration.request.querystring.one": "method.request.querystring.q",
				"integration.request.querystring.all": "method.request.multivaluequerystring.q",
			},
			RequestParameterOrder: []string{"integration.request.querystring.one", "integration.request.querystring.all"},
			IntegrationResponses:  []*apigw.IntegrationResponse{ir("default", "", "200")}}}
	m := compileMethod(t, am, backend)
	if _, err := m.Serve(context.Background(), newExchange("GET", "/r?q=a&q=b", nil), nil); err != nil {
		t.Fatal(err)
	}
	if want := "one=b&all=a&all=b"; sent != want {
		t.Errorf("backend query %q, want %q", sent, want)
	}
}
