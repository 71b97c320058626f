package jwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/archway-gw/archway/internal/diag"
)

// signer is a key generated in the test, published in the JWKS under kid.
type signer struct {
	kid    string
	method gojwt.SigningMethod
	key    crypto.Signer
}

func rsaSigner(t *testing.T, kid string) signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, method: gojwt.SigningMethodRS256, key: k}
}

func ecSigner(t *testing.T, kid string) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, method: gojwt.SigningMethodES256, key: k}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwk renders the public key as a JWK.
func (s signer) jwk() map[string]string {
	switch pub := s.key.Public().(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": s.kid, "use": "sig", "alg": "RS256", "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	case *ecdsa.PublicKey:
		x, y := make([]byte, 32), make([]byte, 32)
		pub.X.FillBytes(x)
		pub.Y.FillBytes(y)
		return map[string]string{"kty": "EC", "kid": s.kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64(x), "y": b64(y)}
	}
	panic("unknown key")
}

// sign makes a compact JWT with claims in the order given.
func (s signer) sign(t *testing.T, claims [][2]any) string {
	t.Helper()
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range claims {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c[0])
		v, _ := json.Marshal(c[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	hdr, _ := json.Marshal(map[string]string{"alg": s.method.Alg(), "kid": s.kid, "typ": "JWT"})
	signing := b64(hdr) + "." + b64([]byte(b.String()))
	sig, err := s.method.Sign(signing, s.key)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64(sig)
}

// jwksServer serves the public keys of the current signers and counts
// fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	signers []signer
	fetches atomic.Int64
}

func newJWKS(t *testing.T, signers ...signer) *jwksServer {
	j := &jwksServer{signers: signers}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetches.Add(1)
		j.mu.Lock()
		keys := make([]map[string]string, len(j.signers))
		for i, s := range j.signers {
			keys[i] = s.jwk()
		}
		j.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *jwksServer) set(signers ...signer) {
	j.mu.Lock()
	j.signers = signers
	j.mu.Unlock()
}

const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool"

func idClaims(exp time.Time, extra ...[2]any) [][2]any {
	c := [][2]any{
		{"sub", "6527a55d-5498-428b-a997-8213981c70cd"},
		{"email_verified", true},
		{"iss", issuer},
		{"cognito:username", "alice"},
		{"aud", "client-1"},
		{"token_use", "id"},
		{"auth_time", 1469814773},
		{"exp", exp.Unix()},
		{"iat", exp.Add(-time.Hour).Unix()},
	}
	return append(c, extra...)
}

func accessClaims(exp time.Time, scope string) [][2]any {
	return [][2]any{
		{"sub", "u-2"}, {"iss", issuer}, {"client_id", "client-1"}, {"token_use", "access"},
		{"scope", scope}, {"exp", exp.Unix()}, {"iat", exp.Add(-time.Hour).Unix()},
	}
}

func newVerifier(t *testing.T, j *jwksServer, clients ...string) *Verifier {
	t.Helper()
	keys := NewKeys(j.Client(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(keys.Close)
	pool, err := PoolFromARN("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_TestPool", []Pool{{
		ARN: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_TestPool", JWKSURL: j.URL, ClientIDs: clients,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if pool.Issuer != issuer {
		t.Fatalf("issuer %q, want %q", pool.Issuer, issuer)
	}
	return NewVerifier(keys, []Pool{pool})
}

func TestVerify(t *testing.T) {
	rs := rsaSigner(t, "rsa-1")
	es := ecSigner(t, "ec-1")
	other := rsaSigner(t, "rsa-1") // same kid, another key
	stranger := rsaSigner(t, "rsa-unknown")
	j := newJWKS(t, rs, es)
	v := newVerifier(t, j, "client-1")
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name   string
		token  string
		scopes []string
		want   diag.Cause // "" for accepted
	}{
		{"RS256 ID token", rs.sign(t, idClaims(future)), nil, ""},
		{"ES256 ID token", es.sign(t, idClaims(future)), nil, ""},
		{"expired", rs.sign(t, idClaims(time.Now().Add(-time.Minute))), nil, diag.JWTExpired},
		{"bad signature", other.sign(t, idClaims(future)), nil, diag.JWTBadSignature},
		{"tampered payload", tamper(rs.sign(t, idClaims(future))), nil, diag.JWTBadSignature},
		{"unknown key", stranger.sign(t, idClaims(future)), nil, diag.JWTUnknownKey},
		{"wrong issuer", rs.sign(t, [][2]any{{"iss", "https://evil.example"}, {"token_use", "id"}, {"aud", "client-1"}, {"exp", future.Unix()}}), nil, diag.JWTWrongIssuer},
		{"wrong audience", rs.sign(t, [][2]any{{"iss", issuer}, {"token_use", "id"}, {"aud", "client-9"}, {"exp", future.Unix()}}), nil, diag.JWTWrongAudience},
		{"no exp", rs.sign(t, [][2]any{{"iss", issuer}, {"token_use", "id"}, {"aud", "client-1"}}), nil, diag.JWTMalformed},
		{"access token with scope", rs.sign(t, accessClaims(future, "openid pets/read")), []string{"pets/read", "pets/write"}, ""},
		{"access token without the scope", rs.sign(t, accessClaims(future, "openid")), []string{"pets/read"}, diag.JWTMissingScope},
		{"access token on an unscoped method", rs.sign(t, accessClaims(future, "pets/read")), nil, diag.JWTWrongTokenUse},
		{"ID token on a scoped method", rs.sign(t, idClaims(future)), []string{"pets/read"}, diag.JWTWrongTokenUse},
		{"access token of another client", rs.sign(t, [][2]any{{"iss", issuer}, {"client_id", "client-9"}, {"token_use", "access"}, {"scope", "pets/read"}, {"exp", future.Unix()}}), []string{"pets/read"}, diag.JWTWrongAudience},
		{"not a JWT", "abc.def", nil, diag.JWTMalformed},
		{"garbage payload", "eyJhbGciOiJSUzI1NiJ9.!!!.sig", nil, diag.JWTMalformed},
		{"HS256 token", hs256(t), nil, diag.JWTMalformed},
		{"empty", "", nil, diag.JWTMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, f := v.Verify(context.Background(), tc.token, tc.scopes)
			got := diag.Cause("")
			if f != nil {
				got = f.Cause
			}
			if got != tc.want {
				t.Fatalf("cause %q, want %q (%v)", got, tc.want, f)
			}
			if f == nil && tok.Subject == "" {
				t.Error("accepted token has no subject")
			}
			if f != nil && f.Reason == "" {
				t.Error("refusal without a reason")
			}
		})
	}
}

func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "alice", "mallory", 1))
	return parts[0] + "." + b64(payload) + "." + parts[2]
}

func hs256(t *testing.T) string {
	t.Helper()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodHS256, gojwt.MapClaims{"iss": issuer, "token_use": "id", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "rsa-1"
	s, err := tok.SignedString([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyRotation: a token signed by a key the cached JWKS does not have
// makes the verifier fetch the JWKS again, and then passes.
func TestKeyRotation(t *testing.T) {
	old := rsaSigner(t, "2024")
	next := ecSigner(t, "2025")
	j := newJWKS(t, old)
	v := newVerifier(t, j)
	future := time.Now().Add(time.Hour)
	if _, f := v.Verify(context.Background(), old.sign(t, idClaims(future)), nil); f != nil {
		t.Fatalf("old key: %v", f)
	}
	fetched := j.fetches.Load()
	if _, f := v.Verify(context.Background(), old.sign(t, idClaims(future)), nil); f != nil || j.fetches.Load() != fetched {
		t.Fatalf("a known key refetched the JWKS (%d -> %d) or failed: %v", fetched, j.fetches.Load(), f)
	}
	j.set(old, next) // the pool rotates in a new key
	if _, f := v.Verify(context.Background(), next.sign(t, idClaims(future)), nil); f != nil {
		t.Fatalf("new key after rotation: %v", f)
	}
	if j.fetches.Load() != fetched+1 {
		t.Errorf("JWKS fetched %d times after rotation, want %d", j.fetches.Load(), fetched+1)
	}
}

func TestStringClaims(t *testing.T) {
	exp := time.Date(2016, 7, 29, 18, 52, 53, 0, time.UTC)
	tok := rsaSigner(t, "k").sign(t, idClaims(exp, [2]any{"cognito:groups", []string{"admin", "users"}}))
	cs, err := payloadClaims(tok)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	var order []string
	for _, c := range StringClaims(cs) {
		got[c.Name] = c.Value
		order = append(order, c.Name)
	}
	want := map[string]any{
		"sub": "6527a55d-5498-428b-a997-8213981c70cd", "email_verified": "true", "iss": issuer, "cognito:username": "alice",
		"aud": "client-1", "token_use": "id", "auth_time": "1469814773",
		"exp": "Fri Jul 29 18:52:53 UTC 2016", "iat": "Fri Jul 29 17:52:53 UTC 2016", "cognito:groups": "[admin, users]",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("claim %s = %#v, want %#v", k, got[k], w)
		}
	}
	if strings.Join(order, ",") != "sub,email_verified,iss,cognito:username,aud,token_use,auth_time,exp,iat,cognito:groups" {
		t.Errorf("claims out of token order: %v", order)
	}
}

func TestPoolFromARN(t *testing.T) {
	p, err := PoolFromARN("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc" || p.JWKSURL != p.Issuer+"/.well-known/jwks.json" {
		t.Errorf("pool %+v", p)
	}
	for _, bad := range []string{"", "arn:aws:s3:::bucket", "arn:aws:cognito-idp::1:userpool/x", "arn:aws:cognito-idp:r:1:identitypool/x"} {
		if _, err := PoolFromARN(bad, nil); err == nil {
			t.Errorf("PoolFromARN(%q) accepted", bad)
		}
	}
}

func FuzzPayloadClaims(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		cs, err := payloadClaims(tok)
		if err == nil {
			_ = StringClaims(cs)
		}
	})
}

func TestJWKSUnavailable(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	j := &jwksServer{Server: down}
	v := newVerifier(t, j)
	_, f := v.Verify(context.Background(), rsaSigner(t, "k").sign(t, idClaims(time.Now().Add(time.Hour))), nil)
	if f == nil || f.Cause != diag.JWKSUnavailable {
		t.Fatalf("failure %v, want JWKS_UNAVAILABLE", f)
	}
}
