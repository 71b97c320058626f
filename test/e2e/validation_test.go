package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestAWSRequestValidationSample serves AWS's request-validation sample
// (validators "all" on POST and the default "params-only" on GET), with its
// HTTP integrations pointed at a local backend.
func TestAWSRequestValidationSample(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" custom_h1="+r.Header.Get("custom_h1"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(backend.Close)
	src, err := os.ReadFile(filepath.Join(shared, "reference", "openapi", "aws-docs-request-validation.swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	const sampleURI = "http://petstore-demo-endpoint.execute-api.com/petstore/pets"
	if !strings.Contains(string(src), sampleURI) {
		t.Fatalf("the sample no longer calls %s", sampleURI)
	}
	def := filepath.Join(t.TempDir(), "request-validation.swagger.json")
	if err := os.WriteFile(def, []byte(strings.ReplaceAll(string(src), sampleURI, backend.URL+"/petstore/pets")), 0o644); err != nil {
		t.Fatal(err)
	}
	p := serve(t, def, "--log-level", "INFO", "--debug")
	base := p.base + "/dev/validation"
	const invalidBody = `{"message": "Invalid request body"}`
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		wantBody                 string
		cause                    string
		logLine                  string // a line the execution log must hold for the request
	}{
		{name: "GET without required query", method: "GET", status: 400,
			wantBody: `{"message": "Missing required request parameters: [q1]"}`, cause: "MISSING_REQUEST_PARAMETERS",
			logLine: "Missing required request parameters: [q1]"},
		{name: "GET with blank query", method: "GET", path: "?q1=", status: 400,
			wantBody: `{"message": "Missing required request parameters: [q1]"}`, cause: "MISSING_REQUEST_PARAMETERS"},
		{name: "GET default validator checks parameters only", method: "GET", path: "?q1=cat", body: `not json`, status: 200, wantBody: `{"ok":true}`},
		{name: "POST without required header", method: "POST", body: `{"type":"dog","name":"Rex","price":100}`, headers: []string{"Content-Type", "application/json"}, status: 400,
			wantBody: `{"message": "Missing required request parameters: [h1]"}`, cause: "MISSING_REQUEST_PARAMETERS"},
		{name: "POST body outside the enum and range", method: "POST", body: `{"type":"bird","name":"Tweety","price":10}`, headers: []string{"Content-Type", "application/json", "h1", "v"}, status: 400,
			wantBody: invalidBody, cause: "INVALID_REQUEST_BODY",
			logLine: "Request body does not match model schema for content type application/json: [at '/price': minimum: got 10, want 25, at '/type': value must be one of 'dog', 'cat', 'fish']"},
		{name: "POST body missing required properties", method: "POST", body: `{"type":"cat"}`, headers: []string{"Content-Type", "application/json", "h1", "v"}, status: 400,
			wantBody: invalidBody, cause: "INVALID_REQUEST_BODY",
			logLine: "Request body does not match model schema for content type application/json: [at '': missing properties 'name', 'price']"},
		{name: "POST without body", method: "POST", headers: []string{"h1", "v"}, status: 400, wantBody: invalidBody, cause: "INVALID_REQUEST_BODY"},
		{name: "POST body not JSON", method: "POST", body: `type=dog`, headers: []string{"Content-Type", "application/json", "h1", "v"}, status: 400, wantBody: invalidBody, cause: "INVALID_REQUEST_BODY"},
		{name: "POST valid body", method: "POST", body: `{"type":"dog","name":"Rex","price":100}`, headers: []string{"Content-Type", "application/json", "h1", "v"}, status: 200, wantBody: `{"ok":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, base+tc.path, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s (cause %s)", r.status, tc.status, r.body, r.header.Get("x-archway-cause"))
			}
			if r.body != tc.wantBody {
				t.Errorf("body %q, want %q", r.body, tc.wantBody)
			}
			id := r.header.Get("x-amzn-RequestId")
			if tc.cause != "" {
				for k, v := range map[string]string{"x-amzn-ErrorType": "BadRequestException", "x-archway-cause": tc.cause, "Content-Type": "application/json"} {
					if g := r.header.Get(k); g != v {
						t.Errorf("header %s = %q, want %q", k, g, v)
					}
				}
			}
			p.waitLog(t, regexp.MustCompile(regexp.QuoteMeta("("+id+") Method completed with status: ")+`\d+`))
			if tc.logLine != "" {
				want := "(" + id + ") " + tc.logLine + "\n"
				if !strings.Contains(p.logs(), want) {
					t.Errorf("execution log has no line %q:\n%s", want, p.logs())
				}
			}
			if tc.cause != "" && strings.Contains(p.logs(), "("+id+") Endpoint request URI") {
				t.Error("a request that failed validation reached the integration")
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"GET /petstore/pets?type=cat custom_h1=", "POST /petstore/pets custom_h1=v"}
	if got := strings.Join(seen, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("backend saw:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
