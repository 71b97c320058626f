package pipeline

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/exec"
)

func TestRequestTemplateNotJSONIsLogged(t *testing.T) {
	const name = "POST /r request template application/json"
	tests := []struct {
		name, contentType, template string
		want                        *exec.TemplateJSONError
	}{
		{"form text for a JSON request", "application/json", "Action=Send&Body=$input.body",
			&exec.TemplateJSONError{Template: name, ContentType: "application/json", Line: 1, Column: 1, Msg: "invalid character 'A' looking for beginning of value"}},
		{"error position on a later line", "", "{\n  \"a\": $input.path('$.missing')\n}",
			&exec.TemplateJSONError{Template: name, ContentType: "application/json", Line: 3, Column: 1, Msg: "invalid character '}' looking for beginning of value"}},
		{"truncated object", "application/json; charset=utf-8", "{\"a\": 1",
			&exec.TemplateJSONError{Template: name, ContentType: "application/json", Line: 1, Column: 8, Msg: "unexpected end of JSON input"}},
		{"valid JSON", "application/json", `{"body": $input.json('$')}`, nil},
		{"empty output", "application/json", "#set($x = 1)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sent string
			backend := &Backend{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Body != nil {
					b, _ := io.ReadAll(r.Body)
					sent = string(b)
				}
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
			})}
			am := &apigw.Method{HTTPMethod: "POST", MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
				Integration: &apigw.Integration{Type: "http", HTTPMethod: "POST", URI: "http://backend.example/",
					RequestTemplates:     map[string]string{"application/json": tc.template, "text/plain": tc.template},
					IntegrationResponses: []*apigw.IntegrationResponse{ir("default", "", "200")}}}
			m := compileMethod(t, am, backend)
			x := newExchange("POST", "/r", nil)
			x.LogInfo = true
			if tc.contentType != "" {
				x.Req.Header.Set("Content-Type", tc.contentType)
			}
			x.Body = []byte(`{"k": "v"}`)
			if _, err := m.Serve(context.Background(), x, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, x.Rec.TemplateNotJSON); diff != "" {
				t.Errorf("Rec.TemplateNotJSON (-want +got):\n%s", diff)
			}
			if tc.want != nil && !strings.HasPrefix(sent, tc.template[:1]) {
				t.Errorf("the output was not sent on as it is: %q", sent)
			}
		})
	}
}

// TestRequestTemplateNotJSONOnlyAtInfo checks the JSON check is skipped
// when the stage's execution log is below INFO (nobody would see it).
func TestRequestTemplateNotJSONOnlyAtInfo(t *testing.T) {
	backend := &Backend{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
	})}
	am := &apigw.Method{HTTPMethod: "POST", MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
		Integration: &apigw.Integration{Type: "http", HTTPMethod: "POST", URI: "http://backend.example/",
			RequestTemplates:     map[string]string{"application/json": "not json $input.body"},
			IntegrationResponses: []*apigw.IntegrationResponse{ir("default", "", "200")}}}
	m := compileMethod(t, am, backend)
	for _, info := range []bool{false, true} {
		x := newExchange("POST", "/r", nil)
		x.LogInfo = info
		if _, err := m.Serve(context.Background(), x, nil); err != nil {
			t.Fatal(err)
		}
		if got := x.Rec.TemplateNotJSON != nil; got != info {
			t.Errorf("LogInfo %v: flagged = %v, want %v", info, got, info)
		}
	}
}

func TestRequestTemplateNotJSONOnlyForJSONTypes(t *testing.T) {
	backend := &Backend{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
	})}
	am := &apigw.Method{HTTPMethod: "POST", MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
		Integration: &apigw.Integration{Type: "http", HTTPMethod: "POST", URI: "http://backend.example/",
			RequestTemplates:     map[string]string{"text/plain": "Action=$input.body", "application/vnd.api+json": "Action=$input.body"},
			IntegrationResponses: []*apigw.IntegrationResponse{ir("default", "", "200")}}}
	m := compileMethod(t, am, backend)
	for ct, flagged := range map[string]bool{"text/plain": false, "application/vnd.api+json": true} {
		t.Run(ct, func(t *testing.T) {
			x := newExchange("POST", "/r", nil)
			x.LogInfo = true
			x.Req.Header.Set("Content-Type", ct)
			if _, err := m.Serve(context.Background(), x, nil); err != nil {
				t.Fatal(err)
			}
			if got := x.Rec.TemplateNotJSON != nil; got != flagged {
				t.Errorf("flagged = %v, want %v", got, flagged)
			}
		})
	}
}
