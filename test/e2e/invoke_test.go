package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const invokeAPI = `openapi: 3.0.1
info: {title: invoke-e2e, version: "1"}
paths:
  /pets/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.origin}/pets/{petId}"
        requestParameters: {integration.request.path.petId: method.request.path.petId}
  /pets:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: POST, uri: "${stageVariables.origin}/pets"}
  /down:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${stageVariables.refused}/"}
  /hello:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
`

// invokeResult is `archway invoke --json`'s output.
type invokeResult struct {
	Status            int
	Headers           map[string]string
	MultiValueHeaders map[string][]string
	Body              string
	Latency           int64
	Log               string
	RequestID         string
	Cause             string
	Fix               string
}

// echoBackend answers with what it received.
func echoBackend(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "x": r.Header.Get("X-Test"), "body": string(body)})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func closedPort(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func runInvoke(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"invoke"}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return o.String(), e.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("archway invoke did not finish:\n%s", e.String())
	}
	return o.String(), e.String(), 0
}

func TestInvokeCommand(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "api.yaml")
	if err := os.WriteFile(def, []byte(invokeAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	bodyFile := filepath.Join(dir, "pet.json")
	if err := os.WriteFile(bodyFile, []byte(`{"name":"Rex"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	origin, refused := echoBackend(t), closedPort(t)
	vars := []string{"--stage-variable", "origin=" + origin, "--stage-variable", "refused=" + refused}
	fns := buildFunctions(t)

	jsonCases := []struct {
		name   string
		args   []string
		status int
		check  func(t *testing.T, r invokeResult)
	}{
		{"GET with query and header", []string{"--path", "/pets/7", "--query", "a=1", "--query", "b=x y", "--header", "X-Test: yes"}, 200, func(t *testing.T, r invokeResult) {
			var got map[string]string
			json.Unmarshal([]byte(r.Body), &got)
			if got["path"] != "/pets/7" || got["query"] != "a=1&b=x+y" || got["x"] != "yes" {
				t.Errorf("backend saw %v", got)
			}
			for _, line := range []string{"Method request path: {petId=7}", "Method request query string: {a=1, b=x+y}", "Endpoint request URI: " + origin + "/pets/7", "Method completed with status: 200"} {
				if !strings.Contains(r.Log, line) {
					t.Errorf("log lacks %q:\n%s", line, r.Log)
				}
			}
		}},
		{"POST with a body file", []string{"-X", "POST", "--path", "/pets", "--header", "Content-Type:application/json", "--body", "@" + bodyFile}, 200, func(t *testing.T, r invokeResult) {
			var got map[string]string
			json.Unmarshal([]byte(r.Body), &got)
			if got["method"] != "POST" || got["body"] != `{"name":"Rex"}` {
				t.Errorf("backend saw %v", got)
			}
		}},
		{"resource template", []string{"--resource", "/pets/{petId}"}, 200, func(t *testing.T, r invokeResult) {
			if !strings.Contains(r.Log, "Method request path: {petId={petId}}") {
				t.Errorf("log:\n%s", r.Log)
			}
		}},
		{"a backend that refuses", []string{"--path", "/down"}, 500, func(t *testing.T, r invokeResult) {
			if r.Cause != "UPSTREAM_CONNECT_REFUSED" || r.Body != `{"message": "Internal server error"}` || r.Fix == "" {
				t.Errorf("result %+v", r)
			}
		}},
		{"a Lambda function started for the call", []string{"--path", "/hello", "--query", "name=e2e", "--function", "hello=" + filepath.Join(fns, "hello")}, 200, func(t *testing.T, r invokeResult) {
			var g struct{ Message, FunctionName string }
			json.Unmarshal([]byte(r.Body), &g)
			if g.Message != "Hello, e2e!" || g.FunctionName != "hello" {
				t.Errorf("function answered %s", r.Body)
			}
		}},
	}
	for _, c := range jsonCases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runInvoke(t, append(append([]string{def, "--json"}, vars...), c.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var r invokeResult
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %+v", r.Status, c.status, r)
			}
			if r.RequestID == "" || !strings.HasPrefix(r.Log, "Execution log for request "+r.RequestID) {
				t.Errorf("request id %q, log %q", r.RequestID, r.Log)
			}
			c.check(t, r)
		})
	}

	t.Run("human output", func(t *testing.T) {
		out, errOut, code := runInvoke(t, append([]string{def, "--path", "/down"}, vars...)...)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		for _, re := range []string{`(?m)^Status: 500$`, `(?m)^Latency: \d+ ms$`, `(?m)^Cause: UPSTREAM_CONNECT_REFUSED$`, `(?m)^X-Amzn-Errortype: InternalServerErrorException$`,
			`(?m)^\{"message": "Internal server error"\}$`, `(?m)^Logs:\nExecution log for request `, `Execution failed due to a network error communicating with endpoint`} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("output does not match %s:\n%s", re, out)
			}
		}
	})
	for _, c := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no such route", []string{"--path", "/nope"}, "ROUTE_NOT_FOUND"},
		{"no path", []string{}, "--path"},
		{"bad header", []string{"--path", "/pets/1", "--header", "nocolon"}, "NAME:VALUE"},
		{"missing body file", []string{"--path", "/pets", "-X", "POST", "--body", "@" + filepath.Join(dir, "absent.json")}, "absent.json"},
	} {
		t.Run("fails: "+c.name, func(t *testing.T) {
			_, errOut, code := runInvoke(t, append(append([]string{def}, vars...), c.args...)...)
			if code == 0 || !strings.Contains(errOut, c.msg) {
				t.Errorf("exit %d, stderr %q, want non-zero and %q", code, errOut, c.msg)
			}
		})
	}
}

// TestAdminListener runs serve with --admin-listen and scrapes /metrics
// after a known sequence of requests.
func TestAdminListener(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "api.yaml")
	if err := os.WriteFile(def, []byte(invokeAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	origin, refused := echoBackend(t), closedPort(t)
	vars := []string{"--stage-variable", "origin=" + origin, "--stage-variable", "refused=" + refused}

	t.Run("refuses a non-loopback address without a token", func(t *testing.T) {
		cmd := exec.Command(binary, append([]string{"serve", def, "--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0"}, vars...)...)
		cmd.Env = append(os.Environ(), "ARCHWAY_ADMIN_TOKEN=")
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if _, serr := os.Stat(filepath.Join(cmd.Dir, ".archway")); serr == nil {
			t.Error("serve created its data directory although the admin listener was refused")
		}
		if err == nil || !strings.Contains(string(out), "ARCHWAY_ADMIN_TOKEN") {
			t.Errorf("err %v, output %s", err, out)
		}
	})

	p := serve(t, append([]string{def, "--admin-listen", "127.0.0.1:0"}, vars...)...)
	line := p.waitLog(t, regexp.MustCompile(`admin API, /metrics and /healthz at (http://[^/ ]+)/`))
	admin := regexp.MustCompile(`http://[^/ ]+`).FindString(line)
	for i := 0; i < 3; i++ {
		if r := do(t, "GET", p.base+"/dev/pets/1", ""); r.status != 200 {
			t.Fatalf("GET /pets/1: %d", r.status)
		}
	}
	if r := do(t, "GET", p.base+"/dev/down", ""); r.status != 500 {
		t.Fatalf("GET /down: %d", r.status)
	}
	if r := do(t, "GET", p.base+"/dev/nope", ""); r.status != 403 {
		t.Fatalf("GET /nope: %d", r.status)
	}
	want := []string{
		`archway_count_total{ApiName="invoke-e2e",Method="GET",Resource="/pets/{petId}",Stage="dev"} 3`,
		`archway_5xx_error_total{ApiName="invoke-e2e",Method="GET",Resource="/down",Stage="dev",cause="UPSTREAM_CONNECT_REFUSED"} 1`,
		`archway_4xx_error_total{ApiName="invoke-e2e",Method="",Resource="",Stage="dev",cause="ROUTE_NOT_FOUND"} 1`,
		`archway_latency_milliseconds_count{ApiName="invoke-e2e",Method="GET",Resource="/pets/{petId}",Stage="dev"} 3`,
	}
	// Records reach the metrics off the request path: wait for the last one.
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := do(t, "GET", admin+"/metrics", "")
		body = r.body
		if r.status == 200 && strings.Contains(body, want[2]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed %s:\n%s", want[2], body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(body, w+"\n") {
			t.Errorf("metrics lack %s", w)
		}
	}
	t.Run("test-invoke over the admin API", func(t *testing.T) {
		r := do(t, "POST", admin+"/api/test-invoke", `{"stage":"dev","method":"GET","path":"/pets/9"}`)
		var out invokeResult
		if err := json.Unmarshal([]byte(r.body), &out); err != nil || out.Status != 200 || !strings.Contains(out.Log, "{petId=9}") {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("reload history", func(t *testing.T) {
		r := do(t, "GET", admin+"/api/reloads", "")
		if r.status != 200 || !strings.Contains(r.body, `"trigger": "start"`) || !strings.Contains(r.body, `"success": true`) {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
}
