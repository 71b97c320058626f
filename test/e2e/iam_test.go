package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	iamKey    = "AKIAE2EALICE0000001"
	iamSecret = "e2e-alice-secret-from-the-environment"
)

const iamAPI = `openapi: 3.0.1
info: {title: IAM, version: "1"}
paths:
  /pets:
    get:
      security: [{sigv4: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"accessKey":"$context.identity.accessKey","accountId":"$context.identity.accountId","user":"$context.identity.user","userArn":"$context.identity.userArn"}'
    post:
      security: [{sigv4: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: POST, uri: "${backend}/echo"}
  /admin:
    get:
      security: [{sigv4: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
`

// iamConfig is archway.yaml with one user whose secret comes from the
// environment; effect is the Effect of its statement on /pets.
func iamConfig(backend, effect string) string {
	return fmt.Sprintf(`listen: 127.0.0.1:0
accessLog: off
apis:
  - definition: api.yaml
    vars: {backend: %q}
    stages: [{name: prod, loggingLevel: ERROR}]
iam:
  accountId: "210987654321"
  users:
    - name: alice
      accessKeyId: %s
      secretAccessKey: ${env:ARCHWAY_E2E_IAM_SECRET}
      policies:
        - {Effect: %s, Action: execute-api:Invoke, Resource: "arn:aws:execute-api:*:*:*/prod/*/pets"}
`, backend, iamKey, effect)
}

// TestIAMAuthorization serves an AWS_IAM API from archway.yaml with the
// built binary and calls it as an AWS SDK client does.
func TestIAMAuthorization(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	t.Cleanup(backend.Close)
	t.Setenv("ARCHWAY_E2E_IAM_SECRET", iamSecret)
	dir := configDir(t, iamAPI, iamConfig(backend.URL, "Allow"))
	p := serve(t, dir)

	call := func(method, path, body, secret string, presign bool) response {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, p.base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if secret != "" {
			sum := sha256.Sum256([]byte(body))
			creds := aws.Credentials{AccessKeyID: iamKey, SecretAccessKey: secret}
			if presign {
				q := req.URL.Query()
				q.Set("X-Amz-Expires", "300")
				req.URL.RawQuery = q.Encode()
				u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now())
				if err != nil {
					t.Fatal(err)
				}
				req, _ = http.NewRequest(method, u, nil)
			} else if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		return send(t, req)
	}

	t.Run("unsigned", func(t *testing.T) {
		r := call("GET", "/prod/pets", "", "", false)
		if r.status != 403 || r.body != `{"message":"Missing Authentication Token"}` || r.header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Fatalf("got %d %s %s", r.status, r.header.Get("x-amzn-ErrorType"), r.body)
		}
	})
	t.Run("signed GET", func(t *testing.T) {
		r := call("GET", "/prod/pets", "", iamSecret, false)
		var id map[string]string
		if r.status != 200 || json.Unmarshal([]byte(r.body), &id) != nil {
			t.Fatalf("got %d %s\n%s", r.status, r.body, p.logs())
		}
		if id["accessKey"] != iamKey || id["accountId"] != "210987654321" || id["userArn"] != "arn:aws:iam::210987654321:user/alice" || !strings.HasPrefix(id["user"], "AIDA") {
			t.Errorf("identity %v", id)
		}
	})
	t.Run("signed POST with a body", func(t *testing.T) {
		if r := call("POST", "/prod/pets", `{"name":"Rex"}`, iamSecret, false); r.status != 200 || r.body != `{"name":"Rex"}` {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("presigned GET", func(t *testing.T) {
		if r := call("GET", "/prod/pets", "", iamSecret, true); r.status != 200 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("resource outside the policy", func(t *testing.T) {
		r := call("GET", "/prod/admin", "", iamSecret, false)
		want := `{"Message":"User: arn:aws:iam::210987654321:user/alice is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:`
		if r.status != 403 || !strings.HasPrefix(r.body, want) || r.header.Get("x-amzn-ErrorType") != "AccessDeniedException" {
			t.Fatalf("got %d %s %s", r.status, r.header.Get("x-amzn-ErrorType"), r.body)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		r := call("GET", "/prod/pets?x=1", "", "not-the-secret", false)
		if r.status != 403 || r.header.Get("x-amzn-ErrorType") != "InvalidSignatureException" || !strings.Contains(r.body, `The Canonical String for this request should have been\n'GET\n/prod/pets\nx=1\n`) {
			t.Fatalf("got %d %s %s", r.status, r.header.Get("x-amzn-ErrorType"), r.body)
		}
		p.waitLog(t, regexp.MustCompile(`Canonical request computed by the gateway:`))
		if strings.Contains(p.logs(), iamSecret) {
			t.Error("the secret is in the log")
		}
	})
	t.Run("reload applies a new policy", func(t *testing.T) {
		writeFiles(t, dir, map[string]string{"archway.yaml": iamConfig(backend.URL, "Deny")})
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := call("GET", "/prod/pets", "", iamSecret, false)
			if r.status == 403 && strings.Contains(r.body, "with an explicit deny in an identity-based policy") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %d %s after the reload", r.status, r.body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
