// Package jwt verifies the tokens of Cognito user pools (and any OIDC
// issuer configured like one) for COGNITO_USER_POOLS authorizers: the
// signature against the pool's JWKS (fetched, cached, refreshed in the
// background and again when a token names an unknown key), the issuer,
// expiry, audience, token use and scopes.
package jwt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	gojwt "github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/archway-gw/archway/internal/diag"
)

// Pool is one user pool an authorizer trusts.
type Pool struct {
	// ARN is the user pool ARN, arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}.
	ARN string
	// Issuer is the iss tokens carry. Default
	// https://cognito-idp.{region}.amazonaws.com/{poolId}.
	Issuer string
	// JWKSURL serves the pool's signing keys. Default Issuer +
	// /.well-known/jwks.json.
	JWKSURL string
	// ClientIDs are the app clients whose tokens are accepted (aud of ID
	// tokens, client_id of access tokens). Empty accepts every client.
	ClientIDs []string
}

// PoolFromARN fills a pool's defaults from its ARN; over, when its ARN
// matches, supplies the issuer, JWKS URL and client ids instead.
func PoolFromARN(arn string, over []Pool) (Pool, error) {
	p := Pool{ARN: arn}
	for _, o := range over {
		if o.ARN == arn {
			p = o
		}
	}
	if p.Issuer == "" {
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) != 6 || parts[2] != "cognito-idp" || !strings.HasPrefix(parts[5], "userpool/") || parts[3] == "" {
			return p, fmt.Errorf("provider ARN %q is not arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}", arn)
		}
		p.Issuer = "https://cognito-idp." + parts[3] + ".amazonaws.com/" + strings.TrimPrefix(parts[5], "userpool/")
	}
	if p.JWKSURL == "" {
		p.JWKSURL = strings.TrimSuffix(p.Issuer, "/") + "/.well-known/jwks.json"
	}
	return p, nil
}

// Keys holds one JWKS cache per URL, shared by every verifier (and kept
// across reloads).
type Keys struct {
	client *http.Client
	logger *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	sets   map[string]keyfunc.Keyfunc
}

// NewKeys returns an empty key registry that fetches with client.
func NewKeys(client *http.Client, logger *slog.Logger) *Keys {
	ctx, cancel := context.WithCancel(context.Background())
	return &Keys{client: client, logger: logger, ctx: ctx, cancel: cancel, sets: map[string]keyfunc.Keyfunc{}}
}

// Close stops the background refreshers.
func (k *Keys) Close() { k.cancel() }

// set returns the key set of url, creating it (and fetching it) on first
// use.
func (k *Keys) set(url string) (keyfunc.Keyfunc, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.sets[url]; ok {
		return s, nil
	}
	logger := k.logger
	s, err := keyfunc.NewDefaultOverrideCtx(k.ctx, []string{url}, keyfunc.Override{
		Client:      k.client,
		HTTPTimeout: 5 * time.Second,
		// A token naming an unknown key refetches the set, at most once
		// every 10 s per URL (rotation reaches every node within that).
		RefreshUnknownKID: newLimiter(),
		RateLimitWaitMax:  time.Second,
		RefreshErrorHandlerFunc: func(u string) func(ctx context.Context, err error) {
			return func(ctx context.Context, err error) {
				logger.WarnContext(ctx, "JWKS refresh failed", "url", u, "error", err)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	k.sets[url] = s
	return s, nil
}

// Claim is one claim of a token, in the order the token lists them.
type Claim struct {
	Name  string
	Value any
}

// Token is a verified token.
type Token struct {
	Pool     Pool
	Claims   []Claim
	TokenUse string
	Subject  string
}

// Failure says why a token was refused: its cause and the reason logged.
type Failure struct {
	Cause  diag.Cause
	Reason string
}

// Error implements error.
func (f *Failure) Error() string { return string(f.Cause) + ": " + f.Reason }

// Verifier checks tokens against a set of pools.
type Verifier struct {
	pools []Pool
	keys  *Keys
}

// NewVerifier returns a verifier for pools, using keys for their JWKS.
func NewVerifier(keys *Keys, pools []Pool) *Verifier {
	return &Verifier{pools: pools, keys: keys}
}

// algorithms Cognito and common OIDC issuers sign with.
var algorithms = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}

// Verify checks token; scopes are the method's authorizationScopes (a
// method with scopes takes an access token carrying one of them, a method
// without takes an ID token).
func (v *Verifier) Verify(ctx context.Context, token string, scopes []string) (*Token, *Failure) {
	if token == "" {
		return nil, &Failure{diag.JWTMissing, "no token in the identity source"}
	}
	claims, err := payloadClaims(token)
	if err != nil {
		return nil, &Failure{diag.JWTMalformed, "the token is not a JWT: " + err.Error()}
	}
	if alg := headerAlg(token); !accepted(alg) {
		return nil, &Failure{diag.JWTMalformed, fmt.Sprintf("algorithm %q is not one a user pool signs with (%s)", alg, strings.Join(algorithms, ", "))}
	}
	iss, _ := claimValue(claims, "iss").(string)
	var pool *Pool
	for i := range v.pools {
		if v.pools[i].Issuer == iss {
			pool = &v.pools[i]
		}
	}
	if pool == nil {
		return nil, &Failure{diag.JWTWrongIssuer, fmt.Sprintf("issuer %q is not one of the authorizer's user pools (%s)", iss, v.issuers())}
	}
	set, err := v.keys.set(pool.JWKSURL)
	if err != nil {
		return nil, &Failure{diag.JWKSUnavailable, fmt.Sprintf("JWKS %s: %v", pool.JWKSURL, err)}
	}
	parser := gojwt.NewParser(gojwt.WithValidMethods(algorithms), gojwt.WithIssuer(pool.Issuer), gojwt.WithExpirationRequired(), gojwt.WithLeeway(0))
	_, err = parser.Parse(token, set.KeyfuncCtx(ctx))
	if err != nil {
		f := classify(err, pool)
		if f.Cause == diag.JWTUnknownKey {
			if keys, kerr := set.Storage().KeyReadAll(ctx); kerr == nil && len(keys) == 0 {
				f = &Failure{diag.JWKSUnavailable, fmt.Sprintf("the JWKS %s has no keys: it could not be fetched or is empty", pool.JWKSURL)}
			}
		}
		return nil, f
	}
	t := &Token{Pool: *pool, Claims: claims}
	t.TokenUse, _ = claimValue(claims, "token_use").(string)
	t.Subject, _ = claimValue(claims, "sub").(string)
	if f := checkUse(t, scopes); f != nil {
		return nil, f
	}
	if f := checkAudience(t); f != nil {
		return nil, f
	}
	return t, nil
}

func (v *Verifier) issuers() string {
	out := make([]string, len(v.pools))
	for i, p := range v.pools {
		out[i] = p.Issuer
	}
	return strings.Join(out, ", ")
}

// classify maps a parse error to a cause.
func classify(err error, pool *Pool) *Failure {
	switch {
	case errors.Is(err, jwkset.ErrKeyNotFound):
		return &Failure{diag.JWTUnknownKey, fmt.Sprintf("the token's kid is not in the JWKS %s (refetched): %v", pool.JWKSURL, err)}
	case errors.Is(err, gojwt.ErrTokenExpired), errors.Is(err, gojwt.ErrTokenNotValidYet):
		return &Failure{diag.JWTExpired, err.Error()}
	case errors.Is(err, gojwt.ErrTokenSignatureInvalid):
		return &Failure{diag.JWTBadSignature, err.Error()}
	case errors.Is(err, gojwt.ErrTokenInvalidIssuer):
		return &Failure{diag.JWTWrongIssuer, err.Error()}
	case errors.Is(err, gojwt.ErrTokenUnverifiable):
		if errors.Is(err, keyfunc.ErrKeyfunc) {
			return &Failure{diag.JWTUnknownKey, err.Error()}
		}
		return &Failure{diag.JWTMalformed, err.Error()}
	case errors.Is(err, gojwt.ErrTokenRequiredClaimMissing):
		return &Failure{diag.JWTMalformed, err.Error()}
	}
	return &Failure{diag.JWTMalformed, err.Error()}
}

func checkUse(t *Token, scopes []string) *Failure {
	if len(scopes) == 0 {
		if t.TokenUse != "id" {
			return &Failure{diag.JWTWrongTokenUse, fmt.Sprintf("token_use is %q; a method without authorizationScopes takes an ID token", t.TokenUse)}
		}
		return nil
	}
	if t.TokenUse != "access" {
		return &Failure{diag.JWTWrongTokenUse, fmt.Sprintf("token_use is %q; a method with authorizationScopes takes an access token", t.TokenUse)}
	}
	have, _ := claimValue(t.Claims, "scope").(string)
	for _, s := range strings.Fields(have) {
		for _, want := range scopes {
			if s == want {
				return nil
			}
		}
	}
	return &Failure{diag.JWTMissingScope, fmt.Sprintf("scope %q holds none of the method's scopes %v", have, scopes)}
}

func checkAudience(t *Token) *Failure {
	if len(t.Pool.ClientIDs) == 0 {
		return nil
	}
	var got []string
	if t.TokenUse == "access" {
		if s, ok := claimValue(t.Claims, "client_id").(string); ok {
			got = []string{s}
		}
	} else {
		switch a := claimValue(t.Claims, "aud").(type) {
		case string:
			got = []string{a}
		case []any:
			for _, x := range a {
				if s, ok := x.(string); ok {
					got = append(got, s)
				}
			}
		}
	}
	for _, g := range got {
		for _, c := range t.Pool.ClientIDs {
			if g == c {
				return nil
			}
		}
	}
	return &Failure{diag.JWTWrongAudience, fmt.Sprintf("audience %v is not one of the pool's clients %v", got, t.Pool.ClientIDs)}
}

// payloadClaims decodes the payload of a compact JWT, keeping the order of
// its claims.
func payloadClaims(token string) ([]Claim, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%d parts, not 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("payload is not a JSON object")
	}
	var out []Claim
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		k, _ := kt.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		out = append(out, Claim{Name: k, Value: v})
	}
	return out, nil
}

func claimValue(cs []Claim, name string) any {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return nil
}

// StringClaims renders claims as API Gateway passes them on
// ($context.authorizer.claims, requestContext.authorizer.claims): every
// value a string; exp and iat as Java dates ("Fri Jul 29 18:52:53 UTC
// 2016"), other numbers as written, lists as [a, b].
func StringClaims(cs []Claim) []Claim {
	out := make([]Claim, len(cs))
	for i, c := range cs {
		out[i] = Claim{Name: c.Name, Value: claimString(c.Name, c.Value)}
	}
	return out
}

func claimString(name string, v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		if name == "exp" || name == "iat" {
			if n, err := t.Int64(); err == nil {
				return time.Unix(n, 0).UTC().Format("Mon Jan 02 15:04:05 MST 2006")
			}
		}
		return t.String()
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = claimString("", x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func newLimiter() *rate.Limiter { return rate.NewLimiter(rate.Every(10*time.Second), 1) }

// headerAlg reads the alg of a compact JWT's header ("" when unreadable).
func headerAlg(token string) string {
	h, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(h, "="))
	if err != nil {
		return ""
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	_ = json.Unmarshal(b, &hdr)
	return hdr.Alg
}

func accepted(alg string) bool {
	for _, a := range algorithms {
		if a == alg {
			return true
		}
	}
	return false
}
