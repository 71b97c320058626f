package e2e

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

const asyncAPI = `openapi: 3.0.1
info: {title: async-e2e, version: "1"}
paths:
  /always-async:
    post:
      responses:
        "200": {description: ok}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        timeoutInMillis: 2000
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:slow/invocations
        requestParameters:
          integration.request.header.X-Amz-Invocation-Type: "'Event'"
        requestTemplates:
          application/json: '{"queryStringParameters": {"ms": "$input.params(''ms'')"}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"accepted": true}'
  /client-chooses:
    post:
      parameters:
        - {name: InvocationType, in: header, schema: {type: string}}
      responses:
        "200": {description: ok}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        timeoutInMillis: 2000
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:slow/invocations
        requestParameters:
          integration.request.header.X-Amz-Invocation-Type: method.request.header.InvocationType
        requestTemplates:
          application/json: '{"queryStringParameters": {"ms": "$input.params(''ms'')"}}'
        responses:
          default: {statusCode: "200"}
`

// TestLambdaAsyncInvocation maps X-Amz-Invocation-Type on AWS (non-proxy)
// Lambda integrations, as AWS documents ("Set up asynchronous invocation of
// the backend Lambda function"): with 'Event' the method answers at once
// from the default integration response over Lambda's empty 202 body, even
// when the function runs far longer than the integration timeout; the
// function still runs (its REPORT line appears).
func TestLambdaAsyncInvocation(t *testing.T) {
	bin := buildFunctions(t)
	cfg := `apis:
  - definition: api.yaml
    stages: [{name: dev, loggingLevel: INFO}]
functions:
  - {name: slow, command: [` + filepath.Join(bin, "slow") + `], timeout: 30s}
`
	dir := configDir(t, asyncAPI, cfg)
	p := serve(t, "--debug", dir)
	tests := []struct {
		name, path, invocationType string
		status                     int
		body, cause                string
	}{
		// 4 s of work behind a 2 s integration timeout: only an
		// asynchronous invoke can answer 200.
		{name: "static 'Event'", path: "/dev/always-async?ms=4000", status: 200, body: `{"accepted": true}`},
		{name: "client asks for Event", path: "/dev/client-chooses?ms=4000", invocationType: "Event", status: 200, body: ``},
		{name: "client asks for RequestResponse", path: "/dev/client-chooses?ms=4000", invocationType: "RequestResponse", status: 504,
			body: `{"message": "Endpoint request timed out"}`, cause: "INTEGRATION_TIMEOUT"},
		{name: "client asks for DryRun", path: "/dev/client-chooses?ms=4000", invocationType: "DryRun", status: 200, body: ``},
		{name: "invalid type is rejected by Lambda", path: "/dev/client-chooses?ms=1", invocationType: "Later", status: 500,
			body: `{"message": "Internal server error"}`, cause: "LAMBDA_INVOKE_REJECTED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := []string{"Content-Type", "application/json"}
			if tc.invocationType != "" {
				h = append(h, "InvocationType", tc.invocationType)
			}
			r := do(t, "POST", p.base+tc.path, "{}", h...)
			if r.status != tc.status || r.body != tc.body {
				t.Fatalf("got %d %q, want %d %q\n%s", r.status, r.body, tc.status, tc.body, p.logs())
			}
			if got := r.header.Get("x-archway-cause"); got != tc.cause {
				t.Errorf("cause %q, want %q", got, tc.cause)
			}
		})
	}
	// The asynchronous invocations ran to the end in the background.
	p.waitLog(t, regexp.MustCompile(`Received response\. Status: 202, Integration latency: \d+ ms\n(.*\n)*?.*Method completed with status: 200`))
	// Two Event invocations and the RequestResponse one that outlived its
	// integration timeout each run their 4 s.
	// duration_ms is a JSON number: 4003.24, or 4004 when it is whole.
	re := regexp.MustCompile(`"msg":"lambda report","function":"slow","request_id":"[0-9a-f-]{36}","duration_ms":4\d{3}(\.\d+)?,`)
	for start := time.Now(); len(re.FindAllString(p.logs(), -1)) < 3; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("%d 4-second runs reported, want 3:\n%s", len(re.FindAllString(p.logs(), -1)), p.logs())
		}
	}
}
