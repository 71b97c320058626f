package e2e

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const remoteAPI = `openapi: 3.0.1
info: {title: remote-e2e, version: "1"}
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
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:panic/invocations
  /missing:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:nosuch/invocations
`

// TestLambdaRemoteEndpoint runs two archway processes: "far" serves its
// functions' Lambda Invoke API (lambda.listen), "near" declares no
// functions and invokes far's through lambda.endpoint with the official
// SDK client, as it would call AWS Lambda.
func TestLambdaRemoteEndpoint(t *testing.T) {
	bin := buildFunctions(t)
	invokeAddr := freeAddr(t)
	farDir, nearDir := t.TempDir(), t.TempDir()
	writeFiles(t, farDir, map[string]string{
		"api.yaml": remoteAPI,
		"archway.yaml": `apis: [{definition: api.yaml}]
lambda: {listen: "` + invokeAddr + `"}
functions:
  - {name: hello, command: [` + filepath.Join(bin, "hello") + `], env: {GREETING: far}}
  - {name: panic, command: [` + filepath.Join(bin, "panic") + `]}
`,
	})
	writeFiles(t, nearDir, map[string]string{
		"api.yaml": remoteAPI,
		"archway.yaml": `apis: [{definition: api.yaml, stages: [{name: dev, loggingLevel: INFO}]}]
lambda: {endpoint: "http://` + invokeAddr + `", region: us-east-1}
`,
	})
	far := serve(t, farDir)
	far.waitLog(t, regexp.MustCompile(`Lambda Invoke API listening on http://`+regexp.QuoteMeta(invokeAddr)))
	near := serve(t, "--debug", nearDir)

	r := do(t, "GET", near.base+"/dev/hello?name=near", "")
	var h struct{ Message, Env, FunctionARN string }
	if err := json.Unmarshal([]byte(r.body), &h); r.status != 200 || err != nil {
		t.Fatalf("%d %q %v\n%s", r.status, r.body, err, near.logs())
	}
	if h.Message != "Hello, near!" || h.Env != "far" {
		t.Errorf("greeting %+v: not from far's function", h)
	}
	far.waitLog(t, regexp.MustCompile(`"msg":"lambda report","function":"hello"`))

	const ise = `{"message": "Internal server error"}`
	r = do(t, "GET", near.base+"/dev/panic", "")
	if r.status != 502 || r.body != ise || r.header.Get("x-archway-cause") != "LAMBDA_UNHANDLED_ERROR" {
		t.Errorf("remote function error: %d %q %q", r.status, r.body, r.header.Get("x-archway-cause"))
	}
	near.waitLog(t, regexp.MustCompile(`Lambda execution failed with status 200 due to customer function error: something went wrong: the handler panicked\. Lambda request id: [0-9a-f-]{36}`))

	r = do(t, "GET", near.base+"/dev/missing", "")
	if r.status != 500 || r.body != ise || r.header.Get("x-archway-cause") != "LAMBDA_NOT_FOUND" {
		t.Errorf("remote not found: %d %q %q", r.status, r.body, r.header.Get("x-archway-cause"))
	}
	near.waitLog(t, regexp.MustCompile(`Archway explanation \(LAMBDA_NOT_FOUND\): function nosuch: the Lambda service rejected the invoke: 404 ResourceNotFoundException Function not found`))
}

// TestLambdaReload edits archway.yaml under a running archway: a changed
// function restarts with its new settings, a removed one is not found any
// more, a new one serves — without restarting the gateway.
func TestLambdaReload(t *testing.T) {
	bin := buildFunctions(t)
	dir := t.TempDir()
	cfg := func(greeting string, withPanic bool, extra string) string {
		s := `apis: [{definition: api.yaml}]
functions:
  - {name: hello, command: [` + filepath.Join(bin, "hello") + `], env: {GREETING: ` + greeting + `}}
`
		if withPanic {
			s += `  - {name: panic, command: [` + filepath.Join(bin, "panic") + `]}
`
		}
		return s + extra
	}
	writeFiles(t, dir, map[string]string{"api.yaml": remoteAPI, "archway.yaml": cfg("one", true, "")})
	p := serve(t, "--debug", dir)
	greeting := func() string {
		r := do(t, "GET", p.base+"/dev/hello", "")
		var h struct{ Env string }
		_ = json.Unmarshal([]byte(r.body), &h)
		return h.Env
	}
	if g := greeting(); g != "one" {
		t.Fatalf("greeting %q", g)
	}
	if r := do(t, "GET", p.base+"/dev/missing", ""); r.header.Get("x-archway-cause") != "LAMBDA_NOT_FOUND" {
		t.Fatalf("nosuch before reload: %d %q", r.status, r.header.Get("x-archway-cause"))
	}
	reloads := strings.Count(p.logs(), `"msg":"reloaded"`)
	// Change hello, remove panic, add nosuch (a real function by that name).
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	writeFiles(t, dir, map[string]string{"archway.yaml": cfg("two", false, `  - {name: nosuch, command: [`+filepath.Join(bin, "hello")+`], env: {GREETING: new}}
`)})
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(p.logs(), `"msg":"reloaded"`) <= reloads {
		if time.Now().After(deadline) {
			t.Fatalf("no reload:\n%s", p.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.waitLog(t, regexp.MustCompile(`lambda function changed; draining its processes","function":"hello"`))
	p.waitLog(t, regexp.MustCompile(`lambda function removed; draining its processes","function":"panic"`))
	if g := greeting(); g != "two" {
		t.Errorf("greeting after reload %q, want two", g)
	}
	if r := do(t, "GET", p.base+"/dev/panic", ""); r.status != 500 || r.header.Get("x-archway-cause") != "LAMBDA_NOT_FOUND" {
		t.Errorf("removed function: %d %q", r.status, r.header.Get("x-archway-cause"))
	}
	if r := do(t, "GET", p.base+"/dev/missing", ""); r.status != 200 || !strings.Contains(r.body, `"env":"new"`) {
		t.Errorf("added function: %d %q", r.status, r.body)
	}
}
