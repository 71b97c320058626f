package pipeline

import (
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
)

func TestAuthorizerContext(t *testing.T) {
	lambdaAuth := &Auth{Authorizer: "tok", PrincipalID: "user", IntegrationLatency: 12,
		Context: []AuthValue{{"s", "v"}, {"n", 123.0}, {"f", 1.5}, {"b", true}}}
	cognito := &Auth{Authorizer: "pool", Claims: true, Context: []AuthValue{{"sub", "alice"}, {"exp", "Fri Jul 29 18:52:53 UTC 2016"}}}
	apiKeyOnly := &Auth{APIKey: "k"}
	tests := []struct {
		name string
		auth *Auth
		vars map[string]string
		json string
	}{
		{"lambda", lambdaAuth, map[string]string{"authorizer.principalId": "user", "authorizer.s": "v", "authorizer.n": "123", "authorizer.f": "1.5", "authorizer.b": "true", "authorizer.integrationLatency": "12", "authorizer.claims.s": "", "authorizer.nope": ""},
			`{"s":"v","n":"123","f":"1.5","b":"true","principalId":"user","integrationLatency":12}`},
		{"cognito", cognito, map[string]string{"authorizer.claims.sub": "alice", "authorizer.sub": "", "authorizer.principalId": "", "authorizer.integrationLatency": ""},
			`{"claims":{"sub":"alice","exp":"Fri Jul 29 18:52:53 UTC 2016"}}`},
		{"api key only", apiKeyOnly, map[string]string{"authorizer.principalId": ""}, ""},
		{"none", nil, map[string]string{"authorizer.principalId": ""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := &Exchange{Rec: &exec.Record{}, Auth: tc.auth}
			for k, want := range tc.vars {
				if got := x.Context(k); got != want {
					t.Errorf("$context.%s = %q, want %q", k, got, want)
				}
			}
			if got := string(tc.auth.proxyAuthorizer()); got != tc.json {
				t.Errorf("requestContext.authorizer = %s, want %s", got, tc.json)
			}
			m := tc.auth.authorizerMap()
			if (m == nil) != (tc.json == "") {
				t.Errorf("$context.authorizer map = %v", m)
			}
		})
	}
}

func TestAuthorizerAccessLogVars(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ar := &exec.AuthorizerRecord{ID: "a", Start: start, End: start.Add(42 * time.Millisecond), FunctionRequestID: "req-1"}
	ok := &Exchange{Rec: &exec.Record{Authorizer: ar, Status: 200}, Auth: &Auth{Authorizer: "a", PrincipalID: "p"}}
	denied := &Exchange{Rec: &exec.Record{Authorizer: ar, Status: 403}, Err: diag.New(diag.PhaseAuthorizer, diag.AuthorizerDenied, "")}
	tests := []struct {
		name string
		x    *Exchange
		want map[string]string
	}{
		{"allowed", ok, map[string]string{"authorizer.requestId": "req-1", "authorizer.latency": "42", "authorizer.status": "200", "authorizer.error": ""}},
		{"denied", denied, map[string]string{"authorizer.status": "403", "authorizer.error": "User is not authorized to access this resource with an explicit deny", "authorizer.principalId": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, want := range tc.want {
				if got := tc.x.Context(k); got != want {
					t.Errorf("$context.%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
