package authorizer_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/authorizer/jwt"
)

const poolARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Gw"

var cognitoYAML = strings.NewReplacer("AUTHFN", fnURIOf("authorizer"), "POOL", poolARN).Replace(`openapi: 3.0.1
info: {title: cognito, version: "1"}
components:
  securitySchemes:
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: [POOL]
paths:
  /me:
    get:
      security: [{pool: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
  /claims:
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
              application/json: '{"sub":"$context.authorizer.claims.sub","user":"$context.authorizer.claims[''cognito:username'']","exp":"$context.authorizer.claims.exp"}'
  /scoped:
    get:
      security: [{pool: [pets/read]}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: AUTHFN}
`)

func fnURIOf(name string) string {
	return strings.Replace(fnURI, "%s", name, 1)
}

func signRS256(t *testing.T, key *rsa.PrivateKey, kid string, claims gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCognitoAuthorizer verifies user-pool tokens through the gateway:
// claims reach templates and the proxy event; failures answer 401.
func TestCognitoAuthorizer(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	defer jwks.Close()
	const iss = "https://issuer.test/us-east-1_Gw"
	e := newEnvWith(t, cognitoYAML, &authorizer.Compiler{
		HTTPClient: jwks.Client(),
		Pools:      []jwt.Pool{{ARN: poolARN, Issuer: iss, JWKSURL: jwks.URL, ClientIDs: []string{"app"}}},
	})
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	idToken := signRS256(t, key, "k1", gojwt.MapClaims{"sub": "alice-id", "cognito:username": "alice", "iss": iss, "aud": "app", "token_use": "id", "exp": exp.Unix()})
	accessToken := signRS256(t, key, "k1", gojwt.MapClaims{"sub": "alice-id", "iss": iss, "client_id": "app", "token_use": "access", "scope": "pets/read", "exp": exp.Unix()})
	expired := signRS256(t, key, "k1", gojwt.MapClaims{"sub": "alice-id", "iss": iss, "aud": "app", "token_use": "id", "exp": time.Now().Add(-time.Minute).Unix()})

	tests := []struct {
		name   string
		path   string
		token  string
		status int
		cause  diag.Cause
		body   string
	}{
		{"ID token", "/claims", idToken, 200, "", `{"sub":"alice-id","user":"alice","exp":"` + exp.UTC().Format("Mon Jan 02 15:04:05 MST 2006") + `"}`},
		{"Bearer prefix", "/claims", "Bearer " + idToken, 200, "", ""},
		{"no token", "/claims", "", 401, diag.JWTMissing, `{"message":"Unauthorized"}`},
		{"expired", "/claims", expired, 401, diag.JWTExpired, `{"message":"Unauthorized"}`},
		{"garbage", "/claims", "not-a-jwt", 401, diag.JWTMalformed, `{"message":"Unauthorized"}`},
		{"access token with scope", "/scoped", accessToken, 200, "", ""},
		{"ID token on scoped method", "/scoped", idToken, 401, diag.JWTWrongTokenUse, `{"message":"Unauthorized"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.token != "" {
				h["Authorization"] = tc.token
			}
			r := e.do(t, "GET", tc.path, h)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.body != "" && r.body != tc.body {
				t.Errorf("body %s, want %s", r.body, tc.body)
			}
			got := diag.Cause("")
			if r.rec.Err != nil {
				got = r.rec.Err.Cause
			}
			if got != tc.cause {
				t.Errorf("cause %q, want %q", got, tc.cause)
			}
			if tc.cause != "" {
				checkLines(t, r.rec, []string{"Starting authorizer: pool for request: ", "Archway explanation (" + string(tc.cause) + ")", "Unauthorized request: "})
			}
		})
	}
	t.Run("claims in the proxy event", func(t *testing.T) {
		r := e.do(t, "GET", "/me", map[string]string{"Authorization": idToken})
		var ev struct {
			RequestContext struct {
				Authorizer struct {
					Claims map[string]any `json:"claims"`
				} `json:"authorizer"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		c := ev.RequestContext.Authorizer.Claims
		if c["sub"] != "alice-id" || c["token_use"] != "id" || c["exp"] != exp.UTC().Format("Mon Jan 02 15:04:05 MST 2006") {
			t.Errorf("claims %v", c)
		}
	})
}
