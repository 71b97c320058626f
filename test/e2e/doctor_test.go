package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDoctor runs `archway doctor` on a crafted directory whose backends
// are real: a port that refuses and a TLS server whose certificate no
// system CA signed. It checks the exit status, the JSON findings and the
// text line format, and that a sound definition passes.
func TestDoctor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(untrusted.Close)

	dir := t.TempDir()
	write := func(name, body string) { writeFiles(t, dir, map[string]string{name: body}) }
	write("archway.yaml", `apis:
  - id: sick
    definition: api.yaml
    stages:
      - {name: dev, variables: {refused: "`+refused+`"}}
functions:
  - {name: slow, command: [./slow], timeout: 10s}
`)
	write("api.yaml", fmt.Sprintf(`openapi: "3.0.1"
info: {title: Sick, version: "1"}
paths:
  /refused:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "http://${stageVariables.refused}/x"}
  /untrusted:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "%s/x"}
  /slow:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/slow/invocations
        timeoutInMillis: 1000
  /ghost:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/ghost/invocations
  /template:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '#if($x'}
        responses: {default: {statusCode: "201"}}
`, untrusted.URL))

	t.Run("json with probes", func(t *testing.T) {
		out, err := exec.Command(binary, "doctor", dir, "--probe", "--format", "json").Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("exit: %v (want status 1)\n%s", err, out)
		}
		var got struct {
			Findings []struct {
				Check, Severity, Cause, Object, File string
				Line                                 int
				AWS                                  struct{ Status int }
			}
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		want := map[string]string{ // object prefix -> cause
			"GET /refused":   "UPSTREAM_CONNECT_REFUSED",
			"GET /untrusted": "UPSTREAM_TLS_UNTRUSTED",
			"GET /slow":      "INTEGRATION_TIMEOUT",
			"GET /ghost":     "LAMBDA_NOT_FOUND",
			"POST /template": "TEMPLATE_ERROR",
		}
		for _, f := range got.Findings {
			for obj, cause := range want {
				if strings.HasPrefix(f.Object, obj) && f.Cause == cause {
					if f.Line == 0 || filepath.Base(f.File) != "api.yaml" || f.AWS.Status == 0 {
						t.Errorf("%s: no position or AWS answer: %+v", obj, f)
					}
					delete(want, obj)
				}
			}
		}
		for obj, cause := range want {
			t.Errorf("no %s finding for %s in:\n%s", cause, obj, out)
		}
	})
	t.Run("text lines", func(t *testing.T) {
		out, _ := exec.Command(binary, "doctor", dir).Output()
		line := regexp.MustCompile(`(?m)^.*api\.yaml:\d+:\d+: error: GET /ghost: .* \(AWS: 500 \{"message": "Internal server error"\}; cause LAMBDA_NOT_FOUND\); fix: .+$`)
		if !line.Match(out) {
			t.Errorf("no LAMBDA_NOT_FOUND line in the documented format:\n%s", out)
		}
		if strings.Contains(string(out), "probe-") || strings.Contains(string(out), "UPSTREAM_CONNECT_REFUSED") {
			t.Errorf("probed without --probe:\n%s", out)
		}
	})
	t.Run("sound definition passes", func(t *testing.T) {
		out, err := exec.Command(binary, "doctor", filepath.Join(shared, "reference", "openapi", "aws-petstore.swagger.json")).CombinedOutput()
		if err != nil {
			t.Fatalf("doctor failed on AWS's PetStore sample: %v\n%s", err, out)
		}
	})
}
