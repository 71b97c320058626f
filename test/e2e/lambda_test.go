package e2e

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/archway-gw/archway/internal/examplefn"
)

var (
	functionsOnce sync.Once
	functionsDir  string
	functionsErr  error
)

// buildFunctions builds examples/functions once per test binary, beside the
// archway binary (removed by TestMain), and returns the directory.
func buildFunctions(t *testing.T) string {
	t.Helper()
	functionsOnce.Do(func() {
		functionsDir = filepath.Join(filepath.Dir(binary), "functions")
		functionsErr = examplefn.Build(functionsDir)
	})
	if functionsErr != nil {
		t.Fatal(functionsErr)
	}
	return functionsDir
}

const lambdaAPI = `openapi: 3.0.1
info: {title: lambda-e2e, version: "1"}
paths:
  /hello:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
  /panic:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.panicFn}/invocations
  /timeout:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:timeout/invocations
  /integration-timeout:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        timeoutInMillis: 300
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:slow/invocations
  /malformed:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:malformed/invocations
  /crash:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:crash/invocations
  /missing:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:nosuch/invocations
  /initfail:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:initfail/invocations
  /throttled:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:one-at-a-time/invocations
  /get-verb:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: GET
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
  /nonproxy:
    post:
      responses:
        "200": {description: ok}
        "400": {description: bad}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:panic/invocations
        requestTemplates:
          application/json: '{"httpMethod": "POST", "path": "/nonproxy", "queryStringParameters": {"mode": "$input.params(''mode'')"}}'
        responses:
          default: {statusCode: "200"}
          ".*returned an error.*": {statusCode: "400"}
  /nonproxy-unmatched:
    post:
      responses:
        "200": {description: ok}
        "400": {description: bad}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:panic/invocations
        requestTemplates:
          application/json: '{"queryStringParameters": {"mode": "error"}}'
        responses:
          default: {statusCode: "200"}
          "nothing matches this": {statusCode: "400"}
  /nonproxy-hello:
    post:
      responses:
        "200": {description: ok}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"status": $input.json(''$.statusCode'')}'
`

func TestLambdaIntegrations(t *testing.T) {
	bin := buildFunctions(t)
	cfg := `apis:
  - definition: api.yaml
    id: lambdae2e
    stages:
      - name: dev
        loggingLevel: INFO
        variables: {panicFn: panic}
functions:
  - {name: hello, command: [` + filepath.Join(bin, "hello") + `]}
  - {name: panic, command: [` + filepath.Join(bin, "panic") + `]}
  - {name: timeout, command: [` + filepath.Join(bin, "timeout") + `], timeout: 1s}
  - {name: malformed, command: [` + filepath.Join(bin, "malformed") + `]}
  - {name: crash, command: [` + filepath.Join(bin, "crash") + `]}
  - {name: initfail, command: [` + filepath.Join(bin, "initfail") + `]}
  - {name: one-at-a-time, command: [` + filepath.Join(bin, "slow") + `], timeout: 30s, reservedConcurrency: 1}
`
	dir := configDir(t, lambdaAPI, cfg)
	p := serve(t, "--debug", "--function", "slow="+filepath.Join(bin, "slow"), dir)
	const ise = `{"message": "Internal server error"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		wantBody                 string // exact, when set
		bodyHas                  string
		cause                    string
		header                   [2]string
		logLine                  string // a regexp the execution log must match
	}{
		{name: "hello", method: "GET", path: "/dev/hello?name=e2e", status: 200, bodyHas: "e2e",
			header: [2]string{"Content-Type", "application/json"}, logLine: `Endpoint request URI: https://lambda\.us-east-1\.amazonaws\.com/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations`},
		{name: "panic", method: "GET", path: "/dev/panic", status: 502, wantBody: ise, cause: "LAMBDA_UNHANDLED_ERROR",
			logLine: `Archway explanation \(LAMBDA_UNHANDLED_ERROR\): function panic returned an error \(Lambda request id ([0-9a-f-]{36})\): something went wrong: the handler panicked; last log lines: .*handling GET /panic.*\n.*Lambda execution failed with status 200 due to customer function error: something went wrong: the handler panicked\. Lambda request id: [0-9a-f-]{36}`},
		{name: "function timeout", method: "GET", path: "/dev/timeout", status: 502, wantBody: ise, cause: "LAMBDA_TIMEOUT",
			logLine: `Lambda execution failed with status 200 due to customer function error: \S+ [0-9a-f-]{36} Task timed out after 1\.00 seconds\. Lambda request id`},
		{name: "integration timeout", method: "GET", path: "/dev/integration-timeout?ms=3000", status: 504, wantBody: `{"message": "Endpoint request timed out"}`, cause: "INTEGRATION_TIMEOUT",
			logLine: `Execution failed due to a timeout error`},
		{name: "malformed", method: "GET", path: "/dev/malformed", status: 502, wantBody: ise, cause: "LAMBDA_MALFORMED_PROXY_RESPONSE",
			logLine: `Archway explanation \(LAMBDA_MALFORMED_PROXY_RESPONSE\): function malformed \(Lambda request id [0-9a-f-]{36}\) returned a malformed proxy response: statusCode "abc" is not a number; last log lines: .*REPORT RequestId.*\n.*Execution failed due to configuration error: Malformed Lambda proxy response`},
		{name: "crash", method: "GET", path: "/dev/crash", status: 502, wantBody: ise, cause: "LAMBDA_CRASHED",
			logLine: `customer function error: RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 1`},
		{name: "init failure", method: "GET", path: "/dev/initfail", status: 502, wantBody: ise, cause: "LAMBDA_INIT_ERROR",
			logLine: `Archway explanation \(LAMBDA_INIT_ERROR\): function initfail failed during init`},
		{name: "function not found", method: "GET", path: "/dev/missing", status: 500, wantBody: ise, cause: "LAMBDA_NOT_FOUND",
			logLine: `Sending request to https://lambda\.us-east-1\.amazonaws\.com/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:nosuch/invocations\n(.*\n)*.*Execution failed due to configuration error: Invalid permissions on Lambda function`},
		{name: "proxy integration method not POST", method: "GET", path: "/dev/get-verb", status: 500, wantBody: ise, cause: "LAMBDA_PROXY_METHOD_NOT_POST"},
		{name: "non-proxy error selected by errorMessage", method: "POST", path: "/dev/nonproxy?mode=error", body: "{}", status: 400,
			bodyHas: `"errorMessage":"something went wrong: the handler returned an error"`,
			logLine: `Endpoint request URI: https://lambda\.us-east-1\.amazonaws\.com/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:panic/invocations\n(.*\n)*?.*Method completed with status: 400`},
		{name: "non-proxy unmatched error is 200", method: "POST", path: "/dev/nonproxy-unmatched", body: "{}", status: 200,
			bodyHas: `"errorMessage":"something went wrong: the handler returned an error"`},
		{name: "non-proxy success uses the default response and its template", method: "POST", path: "/dev/nonproxy-hello", body: "{}", status: 200,
			wantBody: `{"status": 200}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, p.base+tc.path, tc.body, "Content-Type", "application/json")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %s\n%s", r.status, tc.status, r.body, p.logs())
			}
			if tc.wantBody != "" && r.body != tc.wantBody {
				t.Errorf("body %q, want %q", r.body, tc.wantBody)
			}
			if tc.bodyHas != "" && !strings.Contains(r.body, tc.bodyHas) {
				t.Errorf("body %q does not contain %q", r.body, tc.bodyHas)
			}
			if got := r.header.Get("x-archway-cause"); got != tc.cause {
				t.Errorf("cause header %q, want %q", got, tc.cause)
			}
			if tc.header[0] != "" && r.header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("%s: %q, want %q", tc.header[0], r.header.Get(tc.header[0]), tc.header[1])
			}
			if tc.status >= 500 && r.header.Get("x-amzn-ErrorType") == "" && tc.status != 502 {
				t.Errorf("no x-amzn-ErrorType on %d", tc.status)
			}
			if r.header.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
			if tc.logLine != "" {
				p.waitLog(t, regexp.MustCompile(tc.logLine))
			}
		})
	}
	t.Run("throttled by reserved concurrency", func(t *testing.T) {
		// One long invocation holds the only slot; invocations sent while it
		// runs are throttled: 500, as AWS answers rejected invokes.
		long := make(chan response, 1)
		start := func() { go func() { long <- do(t, "GET", p.base+"/dev/throttled?ms=3000", "") }() }
		start()
		pending := true
		var throttled *response
		for restarts := 0; throttled == nil; {
			select {
			case r := <-long:
				pending = false
				if r.status != 200 {
					throttled = &r // a short request held the slot when it arrived
					continue
				}
				if restarts++; restarts > 5 {
					t.Fatal("no request was throttled while the long invocation ran")
				}
				start()
				pending = true
			default:
			}
			if r := do(t, "GET", p.base+"/dev/throttled?ms=1", ""); r.status != 200 {
				throttled = &r
			}
		}
		if throttled.status != 500 || throttled.body != ise || throttled.header.Get("x-archway-cause") != "LAMBDA_THROTTLED" {
			t.Errorf("throttled answer %d %q cause %q, want 500 %s LAMBDA_THROTTLED", throttled.status, throttled.body, throttled.header.Get("x-archway-cause"), ise)
		}
		p.waitLog(t, regexp.MustCompile(`Archway explanation \(LAMBDA_THROTTLED\): function one-at-a-time: the Lambda service rejected the invoke: 429 TooManyRequestsException`))
		if pending {
			<-long // the long invocation ends after its 3 s sleep
		}
	})
	t.Run("hello sees the proxy event and the Runtime API headers", func(t *testing.T) {
		r := do(t, "GET", p.base+"/dev/hello?name=a&name=b", "")
		var v struct {
			Message, Path, RequestID, FunctionARN, TraceID string
		}
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			t.Fatalf("body %q: %v", r.body, err)
		}
		if v.Message != "Hello, b!" || v.Path != "/hello" || v.FunctionARN != "arn:aws:lambda:us-east-1:000000000000:function:hello" || v.RequestID == "" || !strings.HasPrefix(v.TraceID, "Root=1-") {
			t.Errorf("greeting %+v", v)
		}
		if r.header.Get("X-Amzn-Trace-Id") == "" {
			t.Error("no X-Amzn-Trace-Id on the response")
		}
	})
}
