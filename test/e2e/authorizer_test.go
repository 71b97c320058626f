package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

const authorizerAPI = `openapi: 3.0.1
info: {title: authorizers-e2e, version: "1"}
components:
  securitySchemes:
    tokenAuth:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:authorizer/invocations
        authorizerResultTtlInSeconds: 0
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_E2e]
paths:
  /pets:
    get:
      security: [{tokenAuth: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"principal":"$context.authorizer.principalId","stringKey":"$context.authorizer.stringKey"}'
  /me:
    get:
      security: [{pool: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"sub":"$context.authorizer.claims.sub"}'
`

// TestAuthorizersE2E serves a TOKEN authorizer (the example aws-lambda-go
// function) and a Cognito user-pool authorizer (a JWKS served here) from
// the built binary, configured through archway.yaml.
func TestAuthorizersE2E(t *testing.T) {
	bin := buildFunctions(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]byte, 32), make([]byte, 32)
	key.X.FillBytes(x)
	key.Y.FillBytes(y)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "kid": "e2e", "alg": "ES256", "use": "sig",
			"x": base64.RawURLEncoding.EncodeToString(x), "y": base64.RawURLEncoding.EncodeToString(y),
		}}})
	}))
	defer jwks.Close()
	const iss = "https://issuer.e2e.test/us-east-1_E2e"

	cfg := `apis:
  - definition: api.yaml
    id: authze2e
    stages:
      - name: dev
        loggingLevel: INFO
        accessLogFormat: 'principal=$context.authorizer.principalId status=$context.status cause=$context.archway.cause'
functions:
  - {name: authorizer, command: [` + filepath.Join(bin, "authorizer") + `], timeout: 2s}
cognito:
  - userPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_E2e
    issuer: ` + iss + `
    jwksUrl: ` + jwks.URL + `
    clientIds: [e2e-client]
`
	dir := configDir(t, authorizerAPI, cfg)
	p := serve(t, "--debug", dir)
	if strings.Contains(p.logs(), "authorizers") && strings.Contains(p.logs(), "not yet served") {
		t.Errorf("start-up warns that authorizers are not served:\n%s", p.logs())
	}
	sign := func(claims gojwt.MapClaims) string {
		tok := gojwt.NewWithClaims(gojwt.SigningMethodES256, claims)
		tok.Header["kid"] = "e2e"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := time.Now().Add(time.Hour).Unix()
	idToken := sign(gojwt.MapClaims{"sub": "alice", "iss": iss, "aud": "e2e-client", "token_use": "id", "exp": exp})
	otherClient := sign(gojwt.MapClaims{"sub": "alice", "iss": iss, "aud": "someone-else", "token_use": "id", "exp": exp})

	tests := []struct {
		name, path, token string
		status            int
		body, cause       string
	}{
		{"allow", "/pets", "allow", 200, `{"principal":"user","stringKey":"value"}`, ""},
		{"no token", "/pets", "", 401, `{"message":"Unauthorized"}`, "AUTHORIZER_IDENTITY_MISSING"},
		{"unauthorized", "/pets", "unauthorized", 401, `{"message":"Unauthorized"}`, "AUTHORIZER_UNAUTHORIZED"},
		{"explicit deny", "/pets", "deny", 403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`, "AUTHORIZER_DENIED"},
		{"implicit deny", "/pets", "other", 403, `{"Message":"User is not authorized to access this resource"}`, "AUTHORIZER_NOT_ALLOWED"},
		{"authorizer throws", "/pets", "bogus", 500, `{"message": null}`, "AUTHORIZER_ERROR"},
		{"cognito ID token", "/me", idToken, 200, `{"sub":"alice"}`, ""},
		{"cognito other client", "/me", otherClient, 401, `{"message":"Unauthorized"}`, "JWT_WRONG_AUDIENCE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.token != "" {
				h = []string{"Authorization", tc.token}
			}
			r := do(t, "GET", p.base+"/dev"+tc.path, "", h...)
			if r.status != tc.status || r.body != tc.body {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.body)
			}
			if got := r.header.Get("x-archway-cause"); got != tc.cause {
				t.Errorf("cause header %q, want %q", got, tc.cause)
			}
		})
	}
	p.waitLog(t, regexp.MustCompile(`Starting authorizer: tokenAuth for request: \S+`))
	p.waitLog(t, regexp.MustCompile(`Execution failed due to configuration error: Invalid JSON in response: Unrecognized field "errorMessage" , not marked as ignorable`))
	p.waitLog(t, regexp.MustCompile(`Archway explanation \(JWT_WRONG_AUDIENCE\)`))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.access(), "principal=user status=200") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(p.access(), "principal=user status=200") || !strings.Contains(p.access(), "status=403 cause=AUTHORIZER_DENIED") {
		t.Errorf("access log lacks the principal or the cause:\n%s", p.access())
	}
}
