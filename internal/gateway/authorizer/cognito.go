package authorizer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/authorizer/jwt"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// cognitoAuthorizer is a COGNITO_USER_POOLS authorizer on one method.
type cognitoAuthorizer struct {
	name     string
	header   string
	scopes   []string
	verifier *jwt.Verifier
	fnErr    string
}

func newCognitoAuthorizer(c *Compiler, _ *apigw.RestAPI, a *apigw.Authorizer, _ string, m *apigw.Method) (authorizer, []pipeline.Problem) {
	var probs []pipeline.Problem
	warn := func(msg, fix string) {
		probs = append(probs, pipeline.Problem{Pos: m.Source, Message: "authorizer " + a.Name + ": " + msg, Fix: fix})
	}
	ca := &cognitoAuthorizer{name: a.Name, header: "Authorization", scopes: m.AuthorizationScopes}
	if a.IdentitySource != "" {
		srcs, err := parseIdentitySources(a.IdentitySource)
		if err != nil || len(srcs) != 1 || srcs[0].kind != "header" {
			ca.fnErr = fmt.Sprintf("identitySource %q must be one method.request.header.NAME", a.IdentitySource)
			warn(ca.fnErr+"; every call fails with 500", "set identitySource to method.request.header.Authorization")
		} else {
			ca.header = srcs[0].name
		}
	}
	var pools []jwt.Pool
	for _, arn := range a.ProviderARNs {
		p, err := jwt.PoolFromARN(arn, c.Pools)
		if err != nil {
			warn(err.Error()+"; it is ignored", "use the user pool's ARN")
			continue
		}
		pools = append(pools, p)
	}
	if len(pools) == 0 && ca.fnErr == "" {
		ca.fnErr = "no usable providerARNs"
		warn("no usable providerARNs; every call fails with 500", "list the user pool ARNs in providerARNs")
	}
	ca.verifier = jwt.NewVerifier(c.keys, pools)
	return ca, probs
}

func (a *cognitoAuthorizer) authorize(ctx context.Context, x *pipeline.Exchange, _ string) error {
	rec := startRecord(x, a.name)
	defer func() { rec.End = time.Now() }()
	if a.fnErr != "" {
		d := diag.Newf(diag.PhaseAuthorizer, diag.AuthorizerNotConfigured, "authorizer %s: %s", a.name, a.fnErr)
		d.LogBefore = []string{"Archway explanation (" + string(d.Cause) + "): " + d.Detail}
		rec.Outcome = "AuthorizerConfigurationException"
		return d
	}
	raw := strings.TrimSpace(x.Req.Header.Get(a.header))
	token := raw
	if t, ok := cutBearer(raw); ok {
		token = t
	}
	if token != "" {
		rec.Identity = exec.Mask(raw)
	}
	t, f := a.verifier.Verify(ctx, token, a.scopes)
	if f != nil {
		detail := fmt.Sprintf("authorizer %s: token refused (%s): %s", a.name, f.Cause, f.Reason)
		d := diag.New(diag.PhaseAuthorizer, f.Cause, detail)
		d.LogBefore = []string{"Archway explanation (" + string(f.Cause) + "): " + detail}
		d.LogLine = "Unauthorized request: " + x.Rec.RequestID
		rec.Outcome = "Unauthorized"
		return d
	}
	rec.Notes = append(rec.Notes, fmt.Sprintf("Archway: %s token of user pool %s verified (sub %s)", t.TokenUse, t.Pool.Issuer, t.Subject))
	au := auth(x)
	au.Authorizer = a.name
	au.PrincipalID = ""
	au.Claims = true
	au.IntegrationLatency = 0
	claims := jwt.StringClaims(t.Claims)
	au.Context = make([]pipeline.AuthValue, len(claims))
	for i, c := range claims {
		au.Context[i] = pipeline.AuthValue{Key: c.Name, Value: c.Value}
	}
	return nil
}

// cutBearer strips a "Bearer " prefix (any case).
func cutBearer(s string) (string, bool) {
	if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
		return strings.TrimSpace(s[7:]), true
	}
	return s, false
}
