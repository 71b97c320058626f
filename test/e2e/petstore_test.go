package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// petBackend is a real HTTP pet store like the one AWS's sample calls.
func petBackend(t *testing.T) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" ua="+r.Header.Get("User-Agent"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/petstore/pets":
			fmt.Fprintf(w, `[{"id":1,"type":"dog","price":249.99,"query":%q}]`, r.URL.RawQuery)
		case r.Method == "POST" && r.URL.Path == "/petstore/pets":
			w.Write([]byte(`{"pet":{"type":"cat","price":123.11},"message":"success"}`))
		case strings.HasPrefix(r.URL.Path, "/petstore/pets/"):
			fmt.Fprintf(w, `{"id":%q,"type":"dog","price":249.99}`, strings.TrimPrefix(r.URL.Path, "/petstore/pets/"))
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestAWSPetstoreSample(t *testing.T) {
	backend, seen := petBackend(t)
	def := filepath.Join(shared, "reference", "openapi", "aws-petstore.swagger.json")
	p := serve(t, def, "--var", "uri="+backend.URL+"/petstore/pets", "--log-level", "INFO", "--data-trace", "--access-log", "json", "--debug")
	base := p.base + "/dev"
	tests := []struct {
		name, method, path, body string
		status                   int
		bodyHas                  string
		headers                  map[string]string
	}{
		{name: "list pets", method: "GET", path: "/pets?type=dog&page=2", status: 200, bodyHas: `"type":"dog"`, headers: map[string]string{"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}},
		{name: "one pet", method: "GET", path: "/pets/7", status: 200, bodyHas: `"id":"7"`, headers: map[string]string{"Access-Control-Allow-Origin": "*"}},
		{name: "create pet", method: "POST", path: "/pets", body: `{"type":"cat","price":123.11}`, status: 200, bodyHas: `"message":"success"`},
		{name: "mock root page", method: "GET", path: "/", status: 200, bodyHas: `href="/dev/pets/"`, headers: map[string]string{"Content-Type": "text/html"}},
		{name: "cors preflight mock", method: "OPTIONS", path: "/pets", status: 200, headers: map[string]string{"Access-Control-Allow-Methods": "POST,GET,OPTIONS", "Access-Control-Allow-Origin": "*"}},
		{name: "unknown path", method: "GET", path: "/owners", status: 403, bodyHas: `{"message":"Missing Authentication Token"}`, headers: map[string]string{"x-amzn-ErrorType": "MissingAuthenticationTokenException", "x-archway-cause": "ROUTE_NOT_FOUND"}},
		{name: "undefined method", method: "DELETE", path: "/pets", status: 403, headers: map[string]string{"x-archway-cause": "METHOD_NOT_DEFINED"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, base+tc.path, tc.body, "Content-Type", "application/json")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if !strings.Contains(r.body, tc.bodyHas) {
				t.Errorf("body %q does not contain %q", r.body, tc.bodyHas)
			}
			for k, v := range tc.headers {
				if g := r.header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
			if r.header.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
		})
	}
	// The HTTP integration forwarded only the mapped query parameters, as
	// AWS's own User-Agent.
	if got := strings.Join(*seen, "\n"); !strings.Contains(got, "GET /petstore/pets?page=2&type=dog ua=AmazonAPIGateway_") && !strings.Contains(got, "GET /petstore/pets?type=dog&page=2 ua=AmazonAPIGateway_") {
		t.Errorf("backend saw:\n%s", got)
	}

	// The execution log of one request, in AWS's order.
	r := do(t, "GET", base+"/pets/42", "")
	id := r.header.Get("x-amzn-RequestId")
	p.waitLog(t, regexp.MustCompile(regexp.QuoteMeta("("+id+") Method completed with status: 200")))
	var lines []string
	for _, l := range strings.Split(p.logs(), "\n") {
		if strings.HasPrefix(l, "("+id+") ") {
			lines = append(lines, strings.TrimPrefix(l, "("+id+") "))
		}
	}
	want := []string{
		"Starting execution for request: " + id,
		"HTTP Method: GET, Resource Path: /pets/42",
		"Method request path: {petId=42}",
		"Method request query string: {}",
		"Method request headers: {",
		"Method request body before transformations: ",
		"Endpoint request URI: " + backend.URL + "/petstore/pets/42",
		"Endpoint request headers: {",
		"Endpoint request body after transformations: ",
		"Sending request to " + backend.URL + "/petstore/pets/42",
		"Received response. Status: 200, Integration latency: ",
		"Endpoint response headers: {",
		"Endpoint response body before transformations: {\"id\":\"42\"",
		"Method response body after transformations: {\"id\":\"42\"",
		"Method response headers: {",
		"Successfully completed execution",
		"Method completed with status: 200",
	}
	if len(lines) != len(want) {
		t.Fatalf("execution log has %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], want[i])
		}
	}

	// The access log line of the failing request carries the cause.
	var found bool
	for _, l := range strings.Split(p.access(), "\n") {
		var e map[string]string
		if json.Unmarshal([]byte(l), &e) == nil && e["status"] == "403" && e["cause"] == "ROUTE_NOT_FOUND" && e["errorResponseType"] == "MISSING_AUTHENTICATION_TOKEN" {
			found = true
		}
	}
	if !found {
		t.Errorf("no access-log line with the 403 cause in:\n%s", p.access())
	}
}
