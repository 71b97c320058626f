package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestArchwayYAML serves two APIs with their own stages, stage variables and
// log settings from one archway.yaml, on two listeners.
func TestArchwayYAML(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"backend_path":%q}`, r.URL.Path)
	}))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "orders.yaml"), []byte(`openapi: "3.0.1"
info: {title: Orders, version: "1"}
paths:
  /orders/{proxy+}:
    x-amazon-apigateway-any-method:
      parameters: [{name: proxy, in: path, required: true, schema: {type: string}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.origin}/${stageVariables.prefix}/{proxy}"
        requestParameters: {integration.request.path.proxy: method.request.path.proxy}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "status.yaml"), []byte(`openapi: "3.0.1"
info: {title: Status, version: "1"}
paths:
  /status:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"stage": "$context.stage", "color": "$stageVariables.color"}'}
`), 0o644)
	second := freeAddr(t)
	os.WriteFile(filepath.Join(dir, "archway.yaml"), []byte(fmt.Sprintf(`listen: 127.0.0.1:0
listeners: [%q]
accessLog: off
apis:
  - id: orders
    definition: orders.yaml
    stages:
      - name: v1
        variables: {origin: %q, prefix: one}
        debug: true
      - name: v2
        variables: {origin: %q, prefix: two}
  - id: status
    definition: status.yaml
    stages:
      - name: prod
        variables: {color: blue}
        loggingLevel: INFO
`, second, backend.URL, backend.URL)), 0o644)
	p := serve(t, dir)
	get := func(base, host, path string) response {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return response{resp.StatusCode, resp.Header, b.String()}
	}
	tests := []struct {
		name, base, host, path string
		status                 int
		body                   string
	}{
		{"stage v1 variables", p.base, "orders.execute-api.localhost", "/v1/orders/42", 200, `{"backend_path":"/one/42"}`},
		{"stage v2 variables", p.base, "orders.execute-api.localhost", "/v2/orders/42", 200, `{"backend_path":"/two/42"}`},
		{"second api", p.base, "status.execute-api.localhost", "/prod/status", 200, `{"stage": "prod", "color": "blue"}`},
		{"second listener", "http://" + second, "status.execute-api.localhost", "/prod/status", 200, `{"stage": "prod", "color": "blue"}`},
		{"stage of the other api", p.base, "status.execute-api.localhost", "/v1/orders/1", 403, `{"message":"Missing Authentication Token"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(tc.base, tc.host, tc.path)
			if r.status != tc.status || r.body != tc.body {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tc.status, tc.body)
			}
		})
	}
}
