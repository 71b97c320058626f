package iam

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4"
	authv4 "github.com/aws/smithy-go/aws-http-auth/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

const (
	account     = "123456789012"
	apiID       = "abc123"
	aliceKey    = "AKIAALICE0000000001"
	aliceSecret = "alice/secret+key/0123456789abcdefghijklm"
	bobKey      = "ASIABOB000000000002"
	bobSecret   = "bob-secret-0123456789"
	bobToken    = "FwoGZXIvYXdzEBAaDOrbobSessionToken//+=="
	carolKey    = "AKIACAROL0000000003"
	carolSecret = "carol-secret"
	daveKey     = "AKIADAVE00000000004"
	daveSecret  = "dave-secret"
)

func allow(res ...string) config.IAMStatement {
	return config.IAMStatement{Effect: "Allow", Action: config.StringList{"execute-api:Invoke"}, Resource: res}
}

func testConfig() config.IAM {
	return config.IAM{AccountID: account, Users: []config.IAMUser{
		{Name: "alice", AccessKeyID: aliceKey, SecretAccessKey: aliceSecret, Policies: []config.IAMStatement{
			allow("arn:aws:execute-api:*:*:" + apiID + "/prod/GET/pets*"),
			allow("arn:aws:execute-api:us-east-1:" + account + ":" + apiID + "/prod/POST/pets"),
		}},
		{Name: "bob", UserID: "AIDABOBEXAMPLE0000001", AccessKeyID: bobKey, SecretAccessKey: bobSecret, SessionToken: bobToken, Policies: []config.IAMStatement{
			{Effect: "Allow", Action: config.StringList{"execute-api:*"}, Resource: config.StringList{"*"}},
		}},
		{Name: "carol", AccessKeyID: carolKey, SecretAccessKey: carolSecret, Policies: []config.IAMStatement{
			{Effect: "Allow", Action: config.StringList{"*"}, Resource: config.StringList{"*"}},
			{Effect: "Deny", Action: config.StringList{"execute-api:invoke"}, Resource: config.StringList{"arn:aws:execute-api:*:*:*/*/POST/*"}},
		}},
		{Name: "dave", AccessKeyID: daveKey, SecretAccessKey: daveSecret},
	}}
}

// outcome is what the test server reports for one request.
type outcome struct {
	Status    int
	Cause     diag.Cause
	Message   string
	Detail    string
	LogBefore []string
	Auth      pipeline.Auth
	// StringToSign is the gateway's rebuilt string-to-sign on success.
	StringToSign string
	Body         string
}

func methodARN(r *http.Request) string {
	stage, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return "arn:aws:execute-api:us-east-1:" + account + ":" + apiID + "/" + stage + "/" + r.Method + "/" + rest
}

// newServer serves every request by verifying it, over a real socket.
func newServer(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := &pipeline.Exchange{Req: r}
		var out outcome
		if err := v.Verify(r.Context(), x, methodARN(r)); err != nil {
			d := diag.As(err)
			out = outcome{Status: 403, Cause: d.Cause, Message: d.Info().Message, Detail: d.Detail, LogBefore: d.LogBefore}
		} else {
			out = outcome{Status: 200, Auth: *x.Auth}
			s, _, _ := ReadSigned(r)
			for _, h := range payloadHashes(r, &s, x.Body) {
				c := BuildCanonical(r, &s, h)
				if hmacHex(signingKey(secretOf(s.Credential.AccessKeyID), s.Credential), c.StringToSign) == s.Signature {
					out.StringToSign = c.StringToSign
				}
			}
			rest, _ := io.ReadAll(r.Body)
			out.Body = string(rest)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(out.Status)
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func secretOf(key string) string {
	for _, u := range testConfig().Users {
		if u.AccessKeyID == key {
			return u.SecretAccessKey
		}
	}
	return ""
}

func hmacSHA(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func signingKey(secret string, c Credential) []byte {
	k := hmacSHA([]byte("AWS4"+secret), c.Date)
	k = hmacSHA(k, c.Region)
	k = hmacSHA(k, c.Service)
	return hmacSHA(k, c.Terminator)
}

func hmacHex(key []byte, s string) string { return hex.EncodeToString(hmacSHA(key, s)) }

func send(t *testing.T, r *http.Request) outcome {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out outcome
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	out.Status = resp.StatusCode
	return out
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newReq(t *testing.T, method, u string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sdkSign(t *testing.T, r *http.Request, body []byte, key, secret, token, region string, at time.Time) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token}
	if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(body), "execute-api", region, at); err != nil {
		t.Fatal(err)
	}
}

func sdkPresign(t *testing.T, r *http.Request, payloadHash, key, secret, token string, expires int, at time.Time) *http.Request {
	t.Helper()
	q := r.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(expires))
	r.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token}
	u, h, err := sdkv4.NewSigner().PresignHTTP(context.Background(), creds, r, payloadHash, "execute-api", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	out := newReq(t, r.Method, u, nil)
	for k, v := range h {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

// TestSDKSignedRequestsPass sends requests signed by the official signers
// (aws-sdk-go-v2 SignHTTP/PresignHTTP, and aws-http-auth for a client that
// signs User-Agent) and checks each passes, fills $context.identity, and
// that the gateway's own canonical request reproduces the client's
// signature.
func TestSDKSignedRequestsPass(t *testing.T) {
	v := New(testConfig())
	srv := newServer(t, v)
	now := time.Now().UTC()
	body := []byte(`{"name":"Rex","tags":["good boy"]}`)
	tests := []struct {
		name string
		req  func() *http.Request
		key  string
		body string
	}{
		{"GET header-signed with query and headers", func() *http.Request {
			r := newReq(t, "GET", srv.URL+"/prod/pets?limit=10&q=a%20b&tag=x&tag=a%2Fb", nil)
			r.Header.Set("Accept", "application/json")
			r.Header.Set("X-Custom", "  two   spaces  ")
			r.Header.Add("X-Multi", "one")
			r.Header.Add("X-Multi", "two")
			sdkSign(t, r, nil, aliceKey, aliceSecret, "", "us-east-1", now)
			return r
		}, aliceKey, ""},
		{"POST with a body", func() *http.Request {
			r := newReq(t, "POST", srv.URL+"/prod/pets", body)
			r.Header.Set("Content-Type", "application/json")
			sdkSign(t, r, body, aliceKey, aliceSecret, "", "us-east-1", now)
			return r
		}, aliceKey, string(body)},
		{"session credentials", func() *http.Request {
			r := newReq(t, "DELETE", srv.URL+"/prod/pets/42", nil)
			sdkSign(t, r, nil, bobKey, bobSecret, bobToken, "us-east-1", now)
			return r
		}, bobKey, ""},
		{"escaped path segments", func() *http.Request {
			r := newReq(t, "GET", srv.URL+"/prod/pets/caf%C3%A9%20au%20lait/a%2Fb", nil)
			sdkSign(t, r, nil, aliceKey, aliceSecret, "", "us-east-1", now)
			return r
		}, aliceKey, ""},
		{"signed 4 minutes ago", func() *http.Request {
			r := newReq(t, "GET", srv.URL+"/prod/pets", nil)
			sdkSign(t, r, nil, aliceKey, aliceSecret, "", "us-east-1", now.Add(-4*time.Minute))
			return r
		}, aliceKey, ""},
		{"presigned, payload hash of the empty body", func() *http.Request {
			return sdkPresign(t, newReq(t, "GET", srv.URL+"/prod/pets?limit=5", nil), hashHex(nil), aliceKey, aliceSecret, "", 300, now)
		}, aliceKey, ""},
		{"presigned, UNSIGNED-PAYLOAD", func() *http.Request {
			return sdkPresign(t, newReq(t, "GET", srv.URL+"/prod/pets", nil), "UNSIGNED-PAYLOAD", aliceKey, aliceSecret, "", 60, now)
		}, aliceKey, ""},
		{"presigned with a session token", func() *http.Request {
			return sdkPresign(t, newReq(t, "GET", srv.URL+"/prod/pets", nil), hashHex(nil), bobKey, bobSecret, bobToken, 900, now)
		}, bobKey, ""},
		{"X-Amz-Content-Sha256 UNSIGNED-PAYLOAD", func() *http.Request {
			r := newReq(t, "POST", srv.URL+"/prod/pets", body)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			creds := aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}
			if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "execute-api", "us-east-1", now); err != nil {
				t.Fatal(err)
			}
			return r
		}, aliceKey, string(body)},
		{"client signs User-Agent (aws-http-auth)", func() *http.Request {
			r := newReq(t, "GET", srv.URL+"/prod/pets?x=1", nil)
			r.Header.Set("User-Agent", "my-app/1.0 (linux; amd64) aws-sdk-go-v2/1.48.0")
			r.Header.Set("Accept", "*/*")
			signer := sigv4.New(func(o *authv4.SignerOptions) {
				o.HeaderRules = signedSet{"host": true, "user-agent": true, "accept": true, "x-amz-date": true}
			})
			err := signer.SignRequest(&sigv4.SignRequestInput{Request: r, PayloadHash: hashBytes(nil),
				Credentials: credentials.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}, Service: "execute-api", Region: "us-east-1", Time: now})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Header.Get("Authorization"), "user-agent") {
				t.Fatalf("User-Agent not signed: %s", r.Header.Get("Authorization"))
			}
			return r
		}, aliceKey, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := send(t, tc.req())
			if got.Status != 200 {
				t.Fatalf("status %d, cause %s: %s (%s)", got.Status, got.Cause, got.Message, got.Detail)
			}
			var u config.IAMUser
			for _, c := range testConfig().Users {
				if c.AccessKeyID == tc.key {
					u = c
				}
			}
			id := u.UserID
			if id == "" {
				id = derivedUserID(account, u.Name)
			}
			want := pipeline.Auth{AccessKey: tc.key, AccountID: account, Caller: id, User: id, UserARN: "arn:aws:iam::" + account + ":user/" + u.Name}
			if diff := cmp.Diff(want, got.Auth); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			if got.StringToSign == "" {
				t.Error("the gateway's canonical request does not reproduce the client's signature")
			}
			if got.Body != tc.body {
				t.Errorf("integration would read body %q, want %q", got.Body, tc.body)
			}
		})
	}
}

func hashBytes(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func TestDerivedUserID(t *testing.T) {
	a, b := derivedUserID(account, "alice"), derivedUserID(account, "bob")
	if a == b || len(a) != 21 || !strings.HasPrefix(a, "AIDA") {
		t.Errorf("ids %q, %q: want distinct AIDA + 17 characters", a, b)
	}
	if derivedUserID(account, "alice") != a {
		t.Error("not stable")
	}
}

func TestMaskAccountAndRegion(t *testing.T) {
	tests := []struct{ arn, masked, region string }{
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/", "arn:aws:execute-api:eu-west-1:********9012:abc/prod/GET/", "eu-west-1"},
		{"arn:aws:execute-api::123:abc/prod/GET/x", "arn:aws:execute-api::123:abc/prod/GET/x", DefaultRegion},
		{"not an arn", "not an arn", DefaultRegion},
	}
	for _, tc := range tests {
		t.Run(tc.arn, func(t *testing.T) {
			if got := maskAccount(tc.arn); got != tc.masked {
				t.Errorf("maskAccount = %q, want %q", got, tc.masked)
			}
			if got := arnRegion(tc.arn); got != tc.region {
				t.Errorf("arnRegion = %q, want %q", got, tc.region)
			}
		})
	}
}

// TestVerifyFailures covers every failure class with the client message
// AWS sends for it.
func TestVerifyFailures(t *testing.T) {
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	v := New(testConfig())
	v.Now = func() time.Time { return now }
	srv := newServer(t, v)
	get := func(path string) *http.Request { return newReq(t, "GET", srv.URL+path, nil) }
	signed := func(r *http.Request, key, secret, token, region string, at time.Time) *http.Request {
		sdkSign(t, r, nil, key, secret, token, region, at)
		return r
	}
	withAuth := func(h string, date bool) *http.Request {
		r := get("/prod/pets")
		r.Header.Set("Authorization", h)
		if date {
			r.Header.Set("X-Amz-Date", now.Format(amzDateForm))
		}
		return r
	}
	bearer := "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"
	tests := []struct {
		name  string
		req   func() *http.Request
		cause diag.Cause
		msg   string // "" means the catalog message
	}{
		{"unsigned", func() *http.Request { return get("/prod/pets") }, diag.IAMSignatureMissing, "Missing Authentication Token"},
		{"bearer token", func() *http.Request { return withAuth(bearer, true) }, diag.IAMSignatureMalformed,
			"Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '" + b64sha(bearer) + "'."},
		{"only a credential, no date", func() *http.Request {
			return withAuth("AWS4-HMAC-SHA256 Credential="+aliceKey+"/20261125/us-east-1/execute-api/aws4_request", false)
		}, diag.IAMSignatureMalformed,
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=" + aliceKey + "/20261125/us-east-1/execute-api/aws4_request"},
		{"credential of three parts", func() *http.Request {
			return withAuth("AWS4-HMAC-SHA256 Credential="+aliceKey+"/20261125/us-east-1, SignedHeaders=host, Signature=00", true)
		}, diag.IAMSignatureMalformed,
			"Credential '" + aliceKey + "/20261125/us-east-1' is not of the form <access key id>/<YYYYMMDD>/<region>/execute-api/aws4_request."},
		{"wrong region", func() *http.Request { return signed(get("/prod/pets"), aliceKey, aliceSecret, "", "eu-west-1", now) }, diag.IAMCredentialScope,
			"Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{"wrong service and region", func() *http.Request {
			r := get("/prod/pets")
			if err := sdkv4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}, r, hashHex(nil), "lambda", "us-west-2", now); err != nil {
				t.Fatal(err)
			}
			return r
		}, diag.IAMCredentialScope, "Credential should be scoped to a valid region, not 'us-west-2'. Credential should be scoped to correct service: 'execute-api'. "},
		{"expired", func() *http.Request {
			return signed(get("/prod/pets"), aliceKey, aliceSecret, "", "us-east-1", now.Add(-6*time.Minute))
		}, diag.IAMSignatureExpired, "Signature expired: 20261125T195400Z is now earlier than 20261125T195500Z (20261125T200000Z - 5 min.)"},
		{"not yet current", func() *http.Request {
			return signed(get("/prod/pets"), aliceKey, aliceSecret, "", "us-east-1", now.Add(6*time.Minute))
		}, diag.IAMSignatureExpired, "Signature not yet current: 20261125T200600Z is still later than 20261125T200500Z (20261125T200000Z + 5 min.)"},
		{"presigned URL expired", func() *http.Request {
			return sdkPresign(t, get("/prod/pets"), hashHex(nil), aliceKey, aliceSecret, "", 60, now.Add(-2*time.Minute))
		}, diag.IAMSignatureExpired, "Signature expired: 20261125T195800Z is now earlier than 20261125T195900Z (20261125T200000Z - 60 sec.)"},
		{"presigned X-Amz-Expires too long", func() *http.Request {
			return sdkPresign(t, get("/prod/pets"), hashHex(nil), aliceKey, aliceSecret, "", 604801, now)
		}, diag.IAMSignatureMalformed, "X-Amz-Expires must be a number of seconds from 1 to 604800, not '604801'."},
		{"presigned without a signature", func() *http.Request {
			return get("/prod/pets?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T200000Z")
		}, diag.IAMSignatureMalformed, "AWS query-string parameters must include 'X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Expires'. Re-examine the query-string parameters."},
		{"unknown access key", func() *http.Request {
			return signed(get("/prod/pets"), "AKIANOBODY000000000", aliceSecret, "", "us-east-1", now)
		}, diag.IAMUnknownAccessKey, "The security token included in the request is invalid."},
		{"session key without its token", func() *http.Request {
			return signed(get("/prod/pets"), bobKey, bobSecret, "", "us-east-1", now)
		}, diag.IAMSessionTokenInvalid, "The security token included in the request is invalid."},
		{"session key with another token", func() *http.Request {
			return signed(get("/prod/pets"), bobKey, bobSecret, "forged", "us-east-1", now)
		}, diag.IAMSessionTokenInvalid, "The security token included in the request is invalid."},
		{"long-term key with a token", func() *http.Request {
			return signed(get("/prod/pets"), aliceKey, aliceSecret, bobToken, "us-east-1", now)
		}, diag.IAMSessionTokenInvalid, "The security token included in the request is invalid."},
		{"no identity policy allows", func() *http.Request {
			return signed(get("/prod/pets"), daveKey, daveSecret, "", "us-east-1", now)
		}, diag.IAMNotAuthorized, "User: arn:aws:iam::123456789012:user/dave is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:abc123/prod/GET/pets because no identity-based policy allows the execute-api:Invoke action"},
		{"resource outside the policy", func() *http.Request {
			return signed(get("/test/pets"), aliceKey, aliceSecret, "", "us-east-1", now)
		}, diag.IAMNotAuthorized, "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:abc123/test/GET/pets because no identity-based policy allows the execute-api:Invoke action"},
		{"explicit deny beats allow", func() *http.Request {
			r := newReq(t, "POST", srv.URL+"/prod/pets", nil)
			return signed(r, carolKey, carolSecret, "", "us-east-1", now)
		}, diag.IAMNotAuthorized, "User: arn:aws:iam::123456789012:user/carol is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:abc123/prod/POST/pets with an explicit deny in an identity-based policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := send(t, tc.req())
			if got.Status != 403 || got.Cause != tc.cause {
				t.Fatalf("status %d cause %s (%s / %s), want 403 %s", got.Status, got.Cause, got.Message, got.Detail, tc.cause)
			}
			if got.Message != tc.msg {
				t.Errorf("message\n got %q\nwant %q", got.Message, tc.msg)
			}
		})
	}
}

// b64sha is how AWS names a header it cannot parse: base64 of its SHA-256.
func b64sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestSignatureMismatch checks that a mismatch answers AWS's message with
// the canonical request and string-to-sign the gateway computed, and that
// they are exactly what the client signed when only the secret is wrong
// (the client's signature is reproduced from the message with the wrong
// secret), and differ where a signed part was changed after signing.
func TestSignatureMismatch(t *testing.T) {
	v := New(testConfig())
	srv := newServer(t, v)
	now := time.Now().UTC()
	const prefix = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'"
	tests := []struct {
		name          string
		req           func() (*http.Request, string) // request, secret the client used
		clientMatches bool                           // the message's string-to-sign is what the client signed
		wantInCanon   string
	}{
		{"wrong secret", func() (*http.Request, string) {
			r := newReq(t, "GET", srv.URL+"/prod/pets?limit=3", nil)
			r.Header.Set("X-Trace", "t1")
			sdkSign(t, r, nil, aliceKey, "not-the-secret", "", "us-east-1", now)
			return r, "not-the-secret"
		}, true, "GET\n/prod/pets\nlimit=3\n"},
		{"query changed after signing", func() (*http.Request, string) {
			r := newReq(t, "GET", srv.URL+"/prod/pets?limit=3", nil)
			sdkSign(t, r, nil, aliceKey, aliceSecret, "", "us-east-1", now)
			r.URL.RawQuery = "limit=300"
			return r, aliceSecret
		}, false, "limit=300"},
		{"body changed after signing", func() (*http.Request, string) {
			signedBody := []byte(`{"a":1}`)
			r := newReq(t, "POST", srv.URL+"/prod/pets", signedBody)
			sdkSign(t, r, signedBody, aliceKey, aliceSecret, "", "us-east-1", now)
			sent := []byte(`{"a":2}`)
			r.Body = io.NopCloser(bytes.NewReader(sent))
			return r, aliceSecret
		}, false, hashHex([]byte(`{"a":2}`))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, secret := tc.req()
			clientSig := signatureOf(r.Header.Get("Authorization"))
			got := send(t, r)
			if got.Cause != diag.IAMSignatureMismatch {
				t.Fatalf("cause %s (%s), want IAM_SIGNATURE_MISMATCH", got.Cause, got.Message)
			}
			if !strings.HasPrefix(got.Message, prefix) {
				t.Fatalf("message %q does not start with AWS's", got.Message)
			}
			canon, sts, ok := splitMismatch(strings.TrimPrefix(got.Message, prefix))
			if !ok {
				t.Fatalf("message shape: %q", got.Message)
			}
			if !strings.Contains(canon, tc.wantInCanon) {
				t.Errorf("canonical request %q lacks %q", canon, tc.wantInCanon)
			}
			sum := sha256.Sum256([]byte(canon))
			if !strings.HasSuffix(sts, hex.EncodeToString(sum[:])) {
				t.Errorf("string-to-sign %q does not end with the canonical request's hash", sts)
			}
			c, _ := ParseCredential(strings.TrimPrefix(strings.Fields(r.Header.Get("Authorization"))[1], "Credential="))
			c.AccessKeyID = strings.TrimSuffix(c.AccessKeyID, ",")
			c.Terminator = strings.TrimSuffix(c.Terminator, ",")
			reproduced := hmacHex(signingKey(secret, c), sts) == clientSig
			if reproduced != tc.clientMatches {
				t.Errorf("client signature reproduced from the message = %v, want %v", reproduced, tc.clientMatches)
			}
			if strings.Contains(got.Message, secret) || strings.Contains(strings.Join(got.LogBefore, "\n"), secret) {
				t.Error("the secret leaked into the message or log")
			}
			if len(got.LogBefore) == 0 || !strings.Contains(strings.Join(got.LogBefore, "\n"), "Canonical request computed by the gateway:") {
				t.Errorf("log lines %q lack the canonical request", got.LogBefore)
			}
		})
	}
}

func signatureOf(auth string) string {
	_, sig, _ := strings.Cut(auth, "Signature=")
	return sig
}

// splitMismatch extracts the canonical request and string-to-sign from the
// rest of a mismatch message.
func splitMismatch(rest string) (canon, sts string, ok bool) {
	const mid = "'\n\nThe String-to-Sign should have been\n'"
	canon, after, ok := strings.Cut(rest, mid)
	if !ok || !strings.HasSuffix(after, "'\n") {
		return "", "", false
	}
	return canon, strings.TrimSuffix(after, "'\n"), true
}

// TestBodyBufferedWhenMethodDidNot checks Verify reads and restores a body
// the server did not buffer, so the integration still gets it.
func TestBodyBufferedWhenMethodDidNot(t *testing.T) {
	v := New(testConfig())
	body := []byte("hello")
	r := httptest.NewRequest("POST", "http://api.example/prod/pets", bytes.NewReader(body))
	sdkSign(t, r, body, aliceKey, aliceSecret, "", "us-east-1", time.Now())
	x := &pipeline.Exchange{Req: r}
	if err := v.Verify(context.Background(), x, methodARN(r)); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r.Body)
	if string(rest) != "hello" || string(x.Body) != "hello" {
		t.Errorf("body after Verify %q, x.Body %q", rest, x.Body)
	}
}

func TestQueryHelpers(t *testing.T) {
	tests := []struct{ raw, without, canonical string }{
		{"a=1&X-Amz-Signature=ff&b=2", "a=1&b=2", "a=1&b=2"},
		{"X-Amz-Signature=ff", "", ""},
		{"b=2&a=%2F&a=-", "b=2&a=%2F&a=-", "a=%2F&a=-&b=2"},
		{"q=a+b&q=a%20b", "q=a+b&q=a%20b", "q=a%20b&q=a%20b"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			if got := withoutSignature(tc.raw); got != tc.without {
				t.Errorf("withoutSignature = %q, want %q", got, tc.without)
			}
			if got := canonicalQuery(tc.raw, true); got != tc.canonical {
				t.Errorf("canonicalQuery = %q, want %q", got, tc.canonical)
			}
		})
	}
}

// BenchmarkVerify measures one header-signed GET through the whole check
// (parse, scope, time, key, signature, policy).
func BenchmarkVerify(b *testing.B) {
	v := New(testConfig())
	r := httptest.NewRequest("GET", "http://abc123.execute-api.localhost/prod/pets?limit=10", nil)
	r.Header.Set("Accept", "application/json")
	creds := aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}
	if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(nil), "execute-api", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	arn := methodARN(r)
	b.ReportAllocs()
	for b.Loop() {
		x := &pipeline.Exchange{Req: r}
		if err := v.Verify(context.Background(), x, arn); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUpdateSwapsUsers checks a reload's Update takes effect for the next
// request, and that a Verifier without users refuses every key.
func TestUpdateSwapsUsers(t *testing.T) {
	verify := func(v *Verifier) diag.Cause {
		r := httptest.NewRequest("GET", "http://api.example/prod/pets", nil)
		sdkSign(t, r, nil, aliceKey, aliceSecret, "", "us-east-1", time.Now())
		if err := v.Verify(context.Background(), &pipeline.Exchange{Req: r}, methodARN(r)); err != nil {
			return diag.As(err).Cause
		}
		return ""
	}
	tests := []struct {
		name   string
		update func(v *Verifier)
		want   diag.Cause
	}{
		{"as built", func(*Verifier) {}, ""},
		{"user removed", func(v *Verifier) { v.Update(config.IAM{}) }, diag.IAMUnknownAccessKey},
		{"user back with a deny", func(v *Verifier) {
			c := testConfig()
			c.Users[0].Policies = append(c.Users[0].Policies, config.IAMStatement{Effect: "Deny", Action: config.StringList{"*"}, Resource: config.StringList{"*"}})
			v.Update(c)
		}, diag.IAMNotAuthorized},
	}
	v := New(testConfig())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.update(v)
			if got := verify(v); got != tc.want {
				t.Errorf("cause %q, want %q", got, tc.want)
			}
		})
	}
	if got := verify(&Verifier{}); got != diag.IAMUnknownAccessKey {
		t.Errorf("zero Verifier: cause %q, want IAM_UNKNOWN_ACCESS_KEY", got)
	}
}
