package authorizer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/authorizer/jwt"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// Defaults.
const (
	// DefaultTTL is authorizerResultTtlInSeconds when the definition
	// does not set it.
	DefaultTTL = 300 * time.Second
	// DefaultTimeout bounds one authorizer invocation (API Gateway's
	// integration limit).
	DefaultTimeout = 29 * time.Second
	// DefaultRegion is the region of method ARNs.
	DefaultRegion = "us-east-1"
)

// Compiler builds each method's authorizer step; it implements
// pipeline.GuardCompiler. Its caches and JWKS key sets outlive snapshots,
// so a reload keeps them.
type Compiler struct {
	// IAM verifies SigV4-signed requests of AWS_IAM methods; nil rejects
	// them with IAM_NOT_CONFIGURED.
	IAM IAMVerifier
	// Backend gives the Lambda service that runs authorizer functions
	// (read at request time, so it may be set after compiling). A nil
	// Backend or Backend.Lambda fails Lambda authorizers with
	// AUTHORIZER_INVOKE_FAILED.
	Backend *pipeline.Backend
	// Cache keeps Lambda authorizer results; nil uses an in-process
	// MemoryCache created on first use. Set it before the first Guard.
	Cache Cache
	// Pools configures Cognito user pools by ARN (issuer, JWKS URL,
	// client ids); pools not listed use AWS's issuer and JWKS URL.
	Pools []jwt.Pool
	// HTTPClient fetches JWKS; nil uses a client with a 5 s timeout.
	HTTPClient *http.Client
	// Region and AccountID appear in method ARNs. Defaults us-east-1 and
	// pipeline.DefaultAccountID.
	Region    string
	AccountID string
	// Timeout bounds one authorizer invocation. Default DefaultTimeout.
	Timeout time.Duration
	// Logger receives JWKS refresh failures. Default slog.Default().
	Logger *slog.Logger

	once sync.Once
	keys *jwt.Keys
	// flight coalesces concurrent invocations for one cache key.
	flight singleflight.Group
	// cacheLastLog (unix nanos) and cacheFallbacks rate-limit the log of
	// cache failures.
	cacheLastLog   atomic.Int64
	cacheFallbacks atomic.Uint64
	// memGen numbers the cache generations of each stage when the cache
	// does not (the in-process cache).
	memGen memGenerations
}

var _ pipeline.GuardCompiler = (*Compiler)(nil)

func (c *Compiler) init() {
	c.once.Do(func() {
		if c.Cache == nil {
			c.Cache = NewMemoryCache(0)
		}
		if c.Region == "" {
			c.Region = DefaultRegion
		}
		if c.AccountID == "" {
			c.AccountID = pipeline.DefaultAccountID
		}
		if c.Timeout <= 0 {
			c.Timeout = DefaultTimeout
		}
		if c.Logger == nil {
			c.Logger = slog.Default()
		}
		client := c.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 5 * time.Second}
		}
		c.keys = jwt.NewKeys(client, c.Logger)
	})
}

// Close stops the JWKS refreshers and closes the cache when it holds
// connections (the Redis cache).
func (c *Compiler) Close() {
	if c.keys != nil {
		c.keys.Close()
	}
	if cl, ok := c.Cache.(io.Closer); ok {
		cl.Close()
	}
}

// authorizer is one compiled authorizer of an API.
type authorizer interface {
	// authorize decides for the exchange; a refusal or failure is a
	// *diag.Error in PhaseAuthorizer. It fills x.Auth on success.
	authorize(ctx context.Context, x *pipeline.Exchange, methodARN string) error
}

// Guard implements pipeline.GuardCompiler.
func (c *Compiler) Guard(api *apigw.RestAPI, resourcePath string, m *apigw.Method) (pipeline.Checker, []pipeline.Problem) {
	c.init()
	typ := strings.ToUpper(m.AuthorizationType)
	where := fmt.Sprintf("%s %s", strings.ToUpper(m.HTTPMethod), resourcePath)
	g := &guard{arnPrefix: "arn:aws:execute-api:" + c.Region + ":" + c.AccountID + ":" + api.ID + "/"}
	switch typ {
	case "", "NONE":
		return nil, nil
	case "AWS_IAM":
		g.auth = &iamAuthorizer{c: c}
		g.body = true
		if c.IAM == nil {
			return g, []pipeline.Problem{{Pos: m.Source, Message: where + " uses AWS_IAM authorization, but no IAM verifier is configured: every call fails with 500 (IAM_NOT_CONFIGURED)", Fix: "configure IAM credentials and policies in archway.yaml"}}
		}
		return g, nil
	case "CUSTOM", "COGNITO_USER_POOLS":
	default:
		g.auth = failing(diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerNotConfigured, "%s: authorizationType %q is not NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS", where, m.AuthorizationType))
		return g, []pipeline.Problem{{Pos: m.Source, Message: fmt.Sprintf("%s: authorizationType %q is unknown; every call fails with 500", where, m.AuthorizationType), Fix: "use NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS", Err: false}}
	}
	a := api.Authorizers[m.AuthorizerID]
	if a == nil {
		g.auth = failing(diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerNotConfigured, "%s names authorizer %q, which the API does not define", where, m.AuthorizerID))
		return g, []pipeline.Problem{{Pos: m.Source, Message: fmt.Sprintf("%s names authorizer %q, which the API does not define; every call fails with 500", where, m.AuthorizerID), Fix: "define it with x-amazon-apigateway-authorizer under securitySchemes"}}
	}
	atype := strings.ToUpper(a.Type)
	if atype == "" {
		atype = "TOKEN" // AWS's default for x-amazon-apigateway-authorizer
	}
	build, ok := registry[atype]
	if !ok {
		g.auth = failing(diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerNotConfigured, "authorizer %s has type %q, which Archway does not serve", a.Name, a.Type))
		return g, []pipeline.Problem{{Pos: m.Source, Message: fmt.Sprintf("authorizer %s: type %q is not TOKEN, REQUEST or COGNITO_USER_POOLS; methods using it fail with 500", a.Name, a.Type), Fix: "use token, request or cognito_user_pools"}}
	}
	auth, probs := build(c, api, a, resourcePath, m)
	g.auth = auth
	return g, probs
}

// guard is the authorizer step of one method.
type guard struct {
	arnPrefix string
	auth      authorizer
	// body is true for AWS_IAM methods: the signature covers the payload.
	body bool
}

// Check implements pipeline.Checker.
func (g *guard) Check(ctx context.Context, x *pipeline.Exchange) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = diag.Newf(diag.PhaseAuthorizer, diag.InternalError, "authorizer panic: %v", p)
		}
	}()
	return g.auth.authorize(ctx, x, g.methodARN(x))
}

// NeedsBody implements pipeline.Checker: only AWS_IAM reads the body, whose
// hash the signature covers.
func (g *guard) NeedsBody() bool { return g.body }

// methodARN is arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}
// with the request's own path.
func (g *guard) methodARN(x *pipeline.Exchange) string {
	p := x.Rec.Path
	if p == "" {
		p = "/"
	}
	stage := ""
	if x.Stage != nil {
		stage = x.Stage.Name
	}
	return g.arnPrefix + stage + "/" + x.Req.Method + p
}

// failingAuthorizer fails every request with one error (a configuration
// problem found at compile time).
type failingAuthorizer struct{ err *diag.Error }

func failing(err *diag.Error) authorizer { return &failingAuthorizer{err: err} }

func (f *failingAuthorizer) authorize(context.Context, *pipeline.Exchange, string) error {
	e := *f.err
	e.LogBefore = []string{"Archway explanation (" + string(e.Cause) + "): " + e.Detail}
	return &e
}

// iamAuthorizer runs AWS_IAM methods through the IAM verifier.
type iamAuthorizer struct{ c *Compiler }

func (a *iamAuthorizer) authorize(ctx context.Context, x *pipeline.Exchange, methodARN string) error {
	if a.c.IAM == nil {
		d := diag.New(diag.PhaseAuthorizer, diag.IAMNotConfigured, "the method uses AWS_IAM authorization but no IAM verifier is configured")
		d.LogBefore = []string{"Archway explanation (" + string(d.Cause) + "): " + d.Detail}
		return d
	}
	return a.c.IAM.Verify(ctx, x, methodARN)
}

// auth returns the exchange's Auth, creating it.
func auth(x *pipeline.Exchange) *pipeline.Auth {
	if x.Auth == nil {
		x.Auth = &pipeline.Auth{}
	}
	return x.Auth
}

// startRecord adds the authorizer's execution record to the exchange.
func startRecord(x *pipeline.Exchange, id string) *exec.AuthorizerRecord {
	r := &exec.AuthorizerRecord{ID: id, Start: time.Now()}
	x.Rec.Authorizer = r
	return r
}
