package authorizer

import (
	"encoding/json"
	"errors"
	"github.com/archway-gw/archway/internal/wildcard"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

const arnGetPets = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7"

func TestPolicyEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		arn    string
		want   Decision
		stmt   int
	}{
		{"exact allow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + arnGetPets + `"}]}`, arnGetPets, Allowed, 0},
		{"resource outside the policy", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/dogs"}]}`, arnGetPets, ImplicitDeny, -1},
		{"deny beats allow, deny second", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"},{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"` + arnGetPets + `"}]}`, arnGetPets, ExplicitDeny, 1},
		{"deny beats allow, deny first", `{"Statement":[{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:abc123/*/GET/*"},{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`, arnGetPets, ExplicitDeny, 0},
		{"deny elsewhere does not matter", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"},{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/DELETE/*"}]}`, arnGetPets, Allowed, 0},
		{"star crosses slashes in the resource part", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/*"}]}`, arnGetPets, Allowed, 0},
		{"stage wildcard", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/pets/*"}]}`, arnGetPets, Allowed, 0},
		{"wrong stage", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/test/GET/pets/*"}]}`, arnGetPets, ImplicitDeny, -1},
		{"wrong method", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets/7"}]}`, arnGetPets, ImplicitDeny, -1},
		{"question mark matches one character", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/?"}]}`, arnGetPets, Allowed, 0},
		{"question mark needs a character", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7?"}]}`, arnGetPets, ImplicitDeny, -1},
		{"region wildcard stays in its field", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:abc123/prod/GET/pets/7"}]}`, arnGetPets, ImplicitDeny, -1},
		{"every field wildcarded", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*"}]}`, arnGetPets, Allowed, 0},
		{"resource list", `{"Statement":[{"Effect":"Allow","Action":["execute-api:Invoke"],"Resource":["arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/dogs","` + arnGetPets + `"]}]}`, arnGetPets, Allowed, 0},
		{"single statement object", `{"Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}`, arnGetPets, Allowed, 0},
		{"action execute-api:*", `{"Statement":[{"Effect":"Allow","Action":"execute-api:*","Resource":"*"}]}`, arnGetPets, Allowed, 0},
		{"action *", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, arnGetPets, Allowed, 0},
		{"action is case-insensitive", `{"Statement":[{"Effect":"Allow","Action":"Execute-API:invoke","Resource":"*"}]}`, arnGetPets, Allowed, 0},
		{"other action does not allow", `{"Statement":[{"Effect":"Allow","Action":"execute-api:ManageConnections","Resource":"*"}]}`, arnGetPets, ImplicitDeny, -1},
		{"other action does not deny", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"},{"Effect":"Deny","Action":"execute-api:InvalidateCache","Resource":"*"}]}`, arnGetPets, Allowed, 0},
		{"resource is case-sensitive", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/get/pets/7"}]}`, arnGetPets, ImplicitDeny, -1},
		{"empty statement list", `{"Statement":[]}`, arnGetPets, ImplicitDeny, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(json.RawMessage(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			got, stmt := p.Evaluate(tc.arn)
			if got != tc.want || stmt != tc.stmt {
				t.Errorf("Evaluate = %v (statement %d), want %v (statement %d)", got, stmt, tc.want, tc.stmt)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct{ name, policy, want string }{
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"effect lower case", `{"Statement":[{"Effect":"allow","Action":"execute-api:Invoke","Resource":"*"}]}`, "neither Allow nor Deny"},
		{"no effect", `{"Statement":[{"Action":"execute-api:Invoke","Resource":"*"}]}`, "no Effect"},
		{"no action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "no Action"},
		{"no resource", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke"}]}`, "no Resource"},
		{"resource number", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":7}]}`, "Statement"},
		{"not an object", `[1]`, "policyDocument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy(json.RawMessage(tc.policy))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestParseResult(t *testing.T) {
	const pol = `"policyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`
	tests := []struct {
		name    string
		in      string
		want    *Result
		wantErr string
		wantLog string
	}{
		{name: "full", in: `{"principalId":"u1",` + pol + `,"context":{"s":"v","n":1.5,"b":false,"z":null},"usageIdentifierKey":"k"}`,
			want: &Result{PrincipalID: "u1", Context: []pipeline.AuthValue{{Key: "s", Value: "v"}, {Key: "n", Value: 1.5}, {Key: "b", Value: false}}, UsageIdentifierKey: "k"}},
		{name: "principal null", in: `{"principalId":null,` + pol + `}`, want: &Result{}},
		{name: "no principal", in: `{` + pol + `}`, want: &Result{}},
		{name: "unknown field", in: `{"principalId":"u",` + pol + `,"extra":1}`, wantErr: `unknown field "extra"`, wantLog: `Invalid JSON in response: Unrecognized field "extra" , not marked as ignorable`},
		{name: "function error object", in: `{"errorMessage":"boom","errorType":"errorString"}`, wantErr: `unknown field "errorMessage"`},
		{name: "not JSON", in: `hello`, wantErr: "not JSON", wantLog: "Invalid JSON in response: "},
		{name: "array", in: `[]`, wantErr: "not a JSON object"},
		{name: "no policy", in: `{"principalId":"u"}`, wantErr: "no policyDocument"},
		{name: "nested context object", in: `{` + pol + `,"context":{"o":{"a":1}}}`, wantErr: "context.o is a JSON object"},
		{name: "nested context array", in: `{` + pol + `,"context":{"l":[1]}}`, wantErr: "context.l is a JSON array"},
		{name: "context not an object", in: `{` + pol + `,"context":"x"}`, wantErr: "context is not a JSON object"},
		{name: "principal object", in: `{"principalId":{},` + pol + `}`, wantErr: "principalId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseResult([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				var io *invalidOutput
				if !errors.As(err, &io) {
					t.Fatalf("err %T is not an invalid output", err)
				}
				if tc.wantLog != "" && !strings.HasPrefix(io.log, tc.wantLog) {
					t.Errorf("log %q, want %q", io.log, tc.wantLog)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Policy = nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything/at:all", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"**", "x", true},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b", "ba", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.s, func(t *testing.T) {
			if got := wildcard.Match(tc.pattern, tc.s); got != tc.want {
				t.Errorf("glob(%q, %q) = %v", tc.pattern, tc.s, got)
			}
		})
	}
}

func FuzzParseResult(f *testing.F) {
	f.Add([]byte(`{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]},"context":{"a":1}}`))
	f.Add([]byte(`{"policyDocument":{"Statement":{"Effect":"Deny","Action":["execute-api:Invoke"],"Resource":["arn:aws:execute-api:*:*:*/*"]}}}`))
	f.Add([]byte(`{"errorMessage":"x"}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResult(b)
		if err != nil {
			return
		}
		if r.Policy == nil {
			t.Fatal("a parsed result has no policy")
		}
		r.Policy.Evaluate(arnGetPets) // never panics
	})
}

func FuzzGlob(f *testing.F) {
	f.Add("arn:aws:execute-api:*:*:abc/*/GET/*", arnGetPets)
	f.Add("?*?", "ab")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if wildcard.Match(pattern, s) && !strings.ContainsAny(pattern, "*?") && pattern != s {
			t.Fatalf("glob(%q, %q) matched without wildcards", pattern, s)
		}
		if !wildcard.Match(s, s) && !strings.ContainsAny(s, "*?") {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

func TestARNMatchShortPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{"arn:aws:execute-api:*", true},
		{"arn:aws:execute-api:us-east-1:*", true},
		{"arn:aws:execute-api:eu-west-1:*", false},
		{"arn:aws:*", true},
		{"arn:aws:lambda:*", false},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			if got := arnMatch(tc.pattern, arnGetPets); got != tc.want {
				t.Errorf("arnMatch = %v, want %v", got, tc.want)
			}
		})
	}
}
