package e2e

import (
	"path/filepath"
	"regexp"
	"testing"
)

const permissionsAPI = `openapi: 3.0.1
info: {title: permissions-e2e, version: "1"}
paths:
  /hello:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations
  /open:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:open/invocations
`

// TestLambdaPermissions serves a function whose resource-based policy allows
// GET on the dev stage only: other stages and methods get AWS's 500 with
// "Invalid permissions on Lambda function" and the add-permission command
// in the explanation. With strictPermissions a function without a policy
// is denied too; without it, it is allowed.
func TestLambdaPermissions(t *testing.T) {
	bin := buildFunctions(t)
	for _, strict := range []bool{false, true} {
		name := "default"
		if strict {
			name = "strict"
		}
		t.Run(name, func(t *testing.T) {
			cfg := `apis:
  - definition: api.yaml
    id: perm123
    stages:
      - {name: dev, loggingLevel: INFO}
      - {name: prod, loggingLevel: INFO}
lambda:
  strictPermissions: ` + map[bool]string{false: "false", true: "true"}[strict] + `
functions:
  - name: hello
    command: [` + filepath.Join(bin, "hello") + `]
    permissions:
      - statementId: dev-get
        principal: apigateway.amazonaws.com
        action: lambda:InvokeFunction
        sourceArn: "arn:aws:execute-api:us-east-1:000000000000:perm123/dev/GET/*"
  - {name: open, command: [` + filepath.Join(bin, "hello") + `]}
`
			dir := configDir(t, permissionsAPI, cfg)
			p := serve(t, "--debug", dir)
			const ise = `{"message": "Internal server error"}`
			openStatus, openCause := 200, ""
			if strict {
				openStatus, openCause = 500, "LAMBDA_PERMISSION_DENIED"
			}
			tests := []struct {
				name, method, path string
				status             int
				cause, arn         string
			}{
				{"allowed", "GET", "/dev/hello", 200, "", ""},
				{"other stage", "GET", "/prod/hello", 500, "LAMBDA_PERMISSION_DENIED", "arn:aws:execute-api:us-east-1:000000000000:perm123/prod/GET/hello"},
				{"other method", "POST", "/dev/hello", 500, "LAMBDA_PERMISSION_DENIED", "arn:aws:execute-api:us-east-1:000000000000:perm123/dev/POST/hello"},
				{"no policy", "GET", "/dev/open", openStatus, openCause, "arn:aws:execute-api:us-east-1:000000000000:perm123/dev/GET/open"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					r := do(t, tc.method, p.base+tc.path, "")
					if r.status != tc.status {
						t.Fatalf("status %d, want %d; body %s\n%s", r.status, tc.status, r.body, p.logs())
					}
					if got := r.header.Get("x-archway-cause"); got != tc.cause {
						t.Errorf("cause %q, want %q", got, tc.cause)
					}
					if tc.cause == "" {
						return
					}
					if r.body != ise {
						t.Errorf("body %q, want %q", r.body, ise)
					}
					if got := r.header.Get("x-amzn-ErrorType"); got != "InternalServerErrorException" {
						t.Errorf("x-amzn-ErrorType %q", got)
					}
					fn := regexp.MustCompile(`/(\w+)$`).FindStringSubmatch(tc.path)[1]
					p.waitLog(t, regexp.MustCompile(`Sending request to https://lambda\.us-east-1\.amazonaws\.com/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:`+fn+`/invocations\n(.*\n)*?.*Archway explanation \(LAMBDA_PERMISSION_DENIED\): function `+fn+`: .*fix: `+
						regexp.QuoteMeta(`aws lambda add-permission --function-name `+fn+` --statement-id `)+`apigw-[\w-]+`+regexp.QuoteMeta(` --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn '`+tc.arn+`'`)+
						`\n.*Execution failed due to configuration error: Invalid permissions on Lambda function\n.*Method completed with status: 500`))
				})
			}
		})
	}
}
