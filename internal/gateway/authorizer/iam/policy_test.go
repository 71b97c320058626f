package iam

import (
	"github.com/archway-gw/archway/internal/wildcard"
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/config"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"*", "arn:aws:execute-api:us-east-1:1:a/prod/GET/x", true},
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*c", "ac", true},
		{"a*c", "a/b:c", true},
		{"a*c", "a/b:cd", false},
		{"*/GET/pets*", "x/prod/GET/pets/1", true},
		{"*/GET/pets*", "x/prod/POST/pets", false},
		{"**a", "bbba", true},
		{"*a*a*a*b", strings.Repeat("a", 200), false},
		{"?", "é", false}, // ? is one byte; é is two
	}
	for _, tc := range tests {
		t.Run(tc.p+"~"+tc.s, func(t *testing.T) {
			if got := wildcard.Match(tc.p, tc.s); got != tc.want {
				t.Errorf("wildcard.Match(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
			}
		})
	}
}

func st(effect string, action, resource []string, not ...string) config.IAMStatement {
	s := config.IAMStatement{Effect: effect}
	if len(not) > 0 && not[0] == "action" {
		s.NotAction = action
	} else {
		s.Action = action
	}
	if len(not) > 0 && not[len(not)-1] == "resource" {
		s.NotResource = resource
	} else {
		s.Resource = resource
	}
	return s
}

func TestEvaluate(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets/7"
	invoke := []string{"execute-api:Invoke"}
	tests := []struct {
		name   string
		policy []config.IAMStatement
		action string
		want   Decision
		by     int
	}{
		{"no statements", nil, Action, ImplicitDeny, -1},
		{"exact allow", []config.IAMStatement{st("Allow", invoke, []string{arn})}, Action, Allowed, 0},
		{"action is case-insensitive", []config.IAMStatement{st("Allow", []string{"EXECUTE-API:invoke"}, []string{arn})}, Action, Allowed, 0},
		{"resource is case-sensitive", []config.IAMStatement{st("Allow", invoke, []string{strings.ToUpper(arn)})}, Action, ImplicitDeny, -1},
		{"wildcard resource", []config.IAMStatement{st("Allow", invoke, []string{"arn:aws:execute-api:*:*:abc/*/GET/pets/*"})}, Action, Allowed, 0},
		{"question mark", []config.IAMStatement{st("Allow", invoke, []string{"arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets/?"})}, Action, Allowed, 0},
		{"resource outside the policy", []config.IAMStatement{st("Allow", invoke, []string{"arn:aws:execute-api:*:*:abc/test/*"})}, Action, ImplicitDeny, -1},
		{"other action only", []config.IAMStatement{st("Allow", []string{"execute-api:ManageConnections"}, []string{"*"})}, Action, ImplicitDeny, -1},
		{"service wildcard", []config.IAMStatement{st("Allow", []string{"execute-api:*"}, []string{"*"})}, Action, Allowed, 0},
		{"resource list", []config.IAMStatement{st("Allow", invoke, []string{"arn:x", arn})}, Action, Allowed, 0},
		{"deny beats allow", []config.IAMStatement{st("Allow", invoke, []string{"*"}), st("Deny", invoke, []string{"*/GET/*"})}, Action, ExplicitDeny, 1},
		{"deny first still wins", []config.IAMStatement{st("Deny", []string{"*"}, []string{arn}), st("Allow", invoke, []string{"*"})}, Action, ExplicitDeny, 0},
		{"deny elsewhere does not apply", []config.IAMStatement{st("Allow", invoke, []string{"*"}), st("Deny", invoke, []string{"*/POST/*"})}, Action, Allowed, 0},
		{"NotAction allow", []config.IAMStatement{st("Allow", []string{"execute-api:ManageConnections"}, []string{"*"}, "action")}, Action, Allowed, 0},
		{"NotAction excludes", []config.IAMStatement{st("Allow", []string{"execute-api:*"}, []string{"*"}, "action")}, Action, ImplicitDeny, -1},
		{"NotResource allow", []config.IAMStatement{st("Allow", invoke, []string{"*/test/*"}, "resource")}, Action, Allowed, 0},
		{"NotResource deny", []config.IAMStatement{st("Allow", invoke, []string{"*"}), st("Deny", invoke, []string{"*/test/*"}, "resource")}, Action, ExplicitDeny, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, by := CompilePolicy(tc.policy).Evaluate(tc.action, arn)
			if d != tc.want || by != tc.by {
				t.Errorf("Evaluate = %v by %d, want %v by %d", d, by, tc.want, tc.by)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*", "")
	f.Add("**?", "é")
	f.Fuzz(func(t *testing.T, p, s string) {
		got := wildcard.Match(p, s)
		if !strings.ContainsAny(p, "*?") && got != (p == s) {
			t.Fatalf("literal pattern %q vs %q: %v", p, s, got)
		}
		if !wildcard.Match("*", s) {
			t.Fatalf("* does not match %q", s)
		}
		if !strings.ContainsAny(s, "*?") && !wildcard.Match(s, s) {
			t.Fatalf("%q does not match itself", s)
		}
		if !wildcard.Match("*"+p, "x"+s) && got {
			t.Fatalf("prefixing * lost a match: %q %q", p, s)
		}
	})
}
