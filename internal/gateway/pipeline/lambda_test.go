package pipeline

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/diag"
)

func TestParseLambdaURI(t *testing.T) {
	const pre = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
	tests := []struct {
		name, uri    string
		ok           bool
		static       bool
		fn, arn      string
		stage        map[string]string
		resolveError bool
	}{
		{name: "function ARN", uri: pre + "arn:aws:lambda:eu-west-1:123456789012:function:hello/invocations", ok: true, static: true,
			fn: "hello", arn: "arn:aws:lambda:eu-west-1:123456789012:function:hello"},
		{name: "qualified ARN", uri: pre + "arn:aws:lambda:eu-west-1:123456789012:function:hello:live/invocations", ok: true, static: true,
			fn: "hello:live", arn: "arn:aws:lambda:eu-west-1:123456789012:function:hello:live"},
		{name: "bare name", uri: pre + "hello/invocations", ok: true, static: true,
			fn: "hello", arn: "arn:aws:lambda:eu-west-1:000000000000:function:hello"},
		{name: "stage variable", uri: pre + "arn:aws:lambda:eu-west-1:123456789012:function:${stageVariables.fn}/invocations", ok: true,
			stage: map[string]string{"fn": "crud"}, fn: "crud", arn: "arn:aws:lambda:eu-west-1:123456789012:function:crud"},
		{name: "undefined stage variable", uri: pre + "arn:aws:lambda:eu-west-1:123456789012:function:${stageVariables.fn}/invocations", ok: true,
			resolveError: true},
		{name: "other AWS service", uri: "arn:aws:apigateway:eu-west-1:sqs:path/123/queue"},
		{name: "not invocations", uri: pre + "hello"},
		{name: "http URL", uri: "https://example.com/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lt, ok := parseLambdaURI(tc.uri)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if lt.static != tc.static {
				t.Errorf("static = %v, want %v", lt.static, tc.static)
			}
			fn, arn, err := lt.resolve(tc.stage)
			if (err != nil) != tc.resolveError {
				t.Fatalf("resolve error %v, want error %v", err, tc.resolveError)
			}
			if err != nil {
				return
			}
			if fn != tc.fn || arn != tc.arn {
				t.Errorf("resolve = %q %q, want %q %q", fn, arn, tc.fn, tc.arn)
			}
			if got, want := lt.endpoint(arn), "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/"+tc.arn+"/invocations"; got != want {
				t.Errorf("endpoint %q, want %q", got, want)
			}
		})
	}
}

func TestProxyResponse(t *testing.T) {
	binary, _ := CompileMediaTypes([]string{"image/png"})
	m := &Method{binary: binary}
	tests := []struct {
		name, payload, accept string
		status                int
		header                http.Header
		body                  string
		malformed             string // the reason, when malformed
		cause                 diag.Cause
	}{
		{name: "empty object", payload: `{}`, status: 200, header: http.Header{"Content-Type": {"application/json"}}},
		{name: "numeric string status", payload: `{"statusCode": "201", "body": "x"}`, status: 201, body: "x", header: http.Header{"Content-Type": {"application/json"}}},
		{name: "boolean header", payload: `{"headers": {"X-Flag": true, "Content-Type": "text/plain"}}`, status: 200,
			header: http.Header{"X-Flag": {"true"}, "Content-Type": {"text/plain"}}},
		{name: "null headers", payload: `{"statusCode": 204, "headers": null, "multiValueHeaders": null}`, status: 204, header: http.Header{"Content-Type": {"application/json"}}},
		{name: "merge, multi casing first", payload: `{"multiValueHeaders": {"tesT-Multi": ["a", "b"]}, "headers": {"test-multi": "c"}}`, status: 200,
			header: http.Header{"tesT-Multi": {"a", "b", "c"}, "Content-Type": {"application/json"}}},
		{name: "base64 without binary accept", payload: `{"body": "aGk=", "isBase64Encoded": true}`, accept: "text/html", status: 200, body: "aGk=",
			header: http.Header{"Content-Type": {"application/json"}}},
		{name: "base64 with binary accept", payload: `{"body": "aGk=", "isBase64Encoded": true}`, accept: "image/png,*/*", status: 200, body: "hi",
			header: http.Header{"Content-Type": {"application/json"}}},
		{name: "bad base64 with binary accept", payload: `{"body": "!!", "isBase64Encoded": true}`, accept: "image/png", cause: diag.BinaryConversionFailed},
		{name: "unknown key", payload: `{"statusCode": 200, "wrongValue": "v"}`, malformed: `key "wrongValue" is not allowed (allowed: statusCode, headers, multiValueHeaders, body, isBase64Encoded)`},
		{name: "non-numeric status", payload: `{"statusCode": "test"}`, malformed: `statusCode "test" is not a number`},
		{name: "multi value not a list", payload: `{"multiValueHeaders": {"k": "v"}}`, malformed: `multiValueHeaders["k"] is the string "v", not a list`},
		{name: "number header", payload: `{"headers": {"k": 1}}`, malformed: `headers["k"] is the number 1, not a string`},
		{name: "object body", payload: `{"body": {"a": 1}}`, malformed: `body is an object, not a string`},
		{name: "array", payload: `[1]`, malformed: `the payload is an array, not a JSON object`},
		{name: "string", payload: `"Pass"`, malformed: `the payload is the string "Pass", not a JSON object`},
		{name: "not JSON", payload: `hello`, malformed: `the payload is not JSON: hello`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := m.ProxyResponse([]byte(tc.payload), tc.accept)
			var pe *ProxyResponseError
			switch {
			case tc.malformed != "":
				if !errors.As(err, &pe) || pe.Reason != tc.malformed {
					t.Fatalf("err = %v, want malformed: %s", err, tc.malformed)
				}
				return
			case tc.cause != "":
				if d := diag.As(err); err == nil || d.Cause != tc.cause {
					t.Fatalf("err = %v, want %s", err, tc.cause)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if out.Status != tc.status || string(out.Body) != tc.body {
				t.Errorf("got %d %q, want %d %q", out.Status, out.Body, tc.status, tc.body)
			}
			if diff := cmp.Diff(tc.header, out.Header); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}
