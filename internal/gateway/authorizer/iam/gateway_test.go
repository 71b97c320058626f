package iam_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/authorizer/iam"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/openapi"
	rt "github.com/archway-gw/archway/internal/runtime"
)

const (
	gwAliceKey    = "AKIAGWALICE00000001"
	gwAliceSecret = "gw-alice-secret"
	gwDaveKey     = "AKIAGWDAVE000000002"
	gwDaveSecret  = "gw-dave-secret"
)

// startGateway serves testdata/api.yaml at stage prod through the real
// authorizer compiler with an IAM verifier, in front of an echo backend.
func startGateway(t *testing.T) (url, apiID string) {
	t.Helper()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo-Path", r.URL.Path)
		w.Write(b)
	}))
	t.Cleanup(echo.Close)
	api, _, err := openapi.ImportFile("testdata/api.yaml", openapi.Options{Vars: map[string]string{"backend": echo.URL}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.IAM{AccountID: "111122223333", Users: []config.IAMUser{
		{Name: "alice", AccessKeyID: gwAliceKey, SecretAccessKey: gwAliceSecret, Policies: []config.IAMStatement{
			{Effect: "Allow", Action: config.StringList{"execute-api:Invoke"}, Resource: config.StringList{"arn:aws:execute-api:us-east-1:*:*/prod/*/pets"}},
		}},
		{Name: "dave", AccessKeyID: gwDaveKey, SecretAccessKey: gwDaveSecret},
	}}
	backend := &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify}
	backend.Authorizers = &authorizer.Compiler{IAM: iam.New(cfg), Backend: backend}
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "prod", Debug: true}}}}, backend)
	if err != nil {
		t.Fatal(err)
	}
	srv := &gateway.Server{}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL, snap.Single().ID
}

func sign(t *testing.T, r *http.Request, body []byte, key, secret string, at time.Time) *http.Request {
	t.Helper()
	sum := sha256.Sum256(body)
	err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, r, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGatewayIAM drives AWS_IAM methods through the gateway and checks what
// the client receives: status, body, x-amzn-ErrorType and cause.
func TestGatewayIAM(t *testing.T) {
	base, apiID := startGateway(t)
	now := time.Now().UTC()
	req := func(method, path string, body []byte) *http.Request {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		r, err := http.NewRequest(method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	post := []byte(`{"name":"Rex"}`)
	tests := []struct {
		name      string
		req       func() *http.Request
		status    int
		body      func(string) bool
		wantBody  string
		errorType string
		cause     diag.Cause
	}{
		{name: "unsigned", req: func() *http.Request { return req("GET", "/prod/pets", nil) },
			status: 403, wantBody: `{"message":"Missing Authentication Token"}`, errorType: "MissingAuthenticationTokenException", cause: diag.IAMSignatureMissing},
		{name: "method without authorization needs no signature", req: func() *http.Request { return req("GET", "/prod/open", nil) }, status: 200},
		{name: "signed GET fills $context.identity", req: func() *http.Request {
			return sign(t, req("GET", "/prod/pets", nil), nil, gwAliceKey, gwAliceSecret, now)
		}, status: 200, body: func(b string) bool {
			var id map[string]string
			if json.Unmarshal([]byte(b), &id) != nil {
				return false
			}
			return id["accessKey"] == gwAliceKey && id["accountId"] == "111122223333" && id["userArn"] == "arn:aws:iam::111122223333:user/alice" &&
				strings.HasPrefix(id["user"], "AIDA") && id["caller"] == id["user"]
		}},
		{name: "signed POST body reaches the backend", req: func() *http.Request {
			r := req("POST", "/prod/pets", post)
			r.Header.Set("Content-Type", "application/json")
			return sign(t, r, post, gwAliceKey, gwAliceSecret, now)
		}, status: 200, wantBody: string(post)},
		{name: "body changed after signing", req: func() *http.Request {
			r := sign(t, req("POST", "/prod/pets", post), post, gwAliceKey, gwAliceSecret, now)
			r.Body = io.NopCloser(strings.NewReader(`{"name":"Max"}`))
			return r
		}, status: 403, errorType: "InvalidSignatureException", cause: diag.IAMSignatureMismatch, body: func(b string) bool {
			var m map[string]string
			return json.Unmarshal([]byte(b), &m) == nil && strings.HasPrefix(m["message"], "The request signature we calculated does not match") &&
				strings.Contains(m["message"], "'POST\n/prod/pets\n")
		}},
		{name: "wrong secret", req: func() *http.Request {
			return sign(t, req("GET", "/prod/pets", nil), nil, gwAliceKey, "wrong", now)
		}, status: 403, errorType: "InvalidSignatureException", cause: diag.IAMSignatureMismatch},
		{name: "unknown access key", req: func() *http.Request {
			return sign(t, req("GET", "/prod/pets", nil), nil, "AKIAUNKNOWN00000000", gwAliceSecret, now)
		}, status: 403, wantBody: `{"message":"The security token included in the request is invalid."}`, errorType: "AccessDeniedException", cause: diag.IAMUnknownAccessKey},
		{name: "expired", req: func() *http.Request {
			return sign(t, req("GET", "/prod/pets", nil), nil, gwAliceKey, gwAliceSecret, now.Add(-10*time.Minute))
		}, status: 403, errorType: "InvalidSignatureException", cause: diag.IAMSignatureExpired, body: func(b string) bool {
			return strings.HasPrefix(b, `{"message":"Signature expired: `+now.Add(-10*time.Minute).Format("20060102T150405Z")+" is now earlier than ")
		}},
		{name: "no policy allows", req: func() *http.Request {
			return sign(t, req("GET", "/prod/pets", nil), nil, gwDaveKey, gwDaveSecret, now)
		}, status: 403, errorType: "AccessDeniedException", cause: diag.IAMNotAuthorized,
			wantBody: `{"Message":"User: arn:aws:iam::111122223333:user/dave is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:` + apiID + `/prod/GET/pets because no identity-based policy allows the execute-api:Invoke action"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s; cause %s", resp.StatusCode, tc.status, b, resp.Header.Get(gateway.CauseHeader))
			}
			if tc.wantBody != "" && string(b) != tc.wantBody {
				t.Errorf("body\n got %s\nwant %s", b, tc.wantBody)
			}
			if tc.body != nil && !tc.body(string(b)) {
				t.Errorf("unexpected body %s", b)
			}
			if got := resp.Header.Get("x-amzn-ErrorType"); got != tc.errorType {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, tc.errorType)
			}
			if got := resp.Header.Get(gateway.CauseHeader); tc.cause != "" && !strings.HasPrefix(got, string(tc.cause)) {
				t.Errorf("cause header %q, want %s", got, tc.cause)
			}
		})
	}
}
