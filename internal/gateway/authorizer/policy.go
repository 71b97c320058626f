package authorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/archway-gw/archway/internal/wildcard"
	"strings"
)

// Effect is a policy statement's effect.
type Effect string

// Statement effects, spelled as IAM requires (case-sensitive).
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one statement of an authorizer's policy document. Action
// and Resource may be written as a string or a list; both are kept as
// lists.
type Statement struct {
	Effect   Effect   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// Policy is the policyDocument a Lambda authorizer returns.
type Policy struct {
	Version   string      `json:"Version,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Decision is the outcome of evaluating a policy for one method ARN.
type Decision int

// Decisions, as IAM evaluates: an explicit Deny wins over any Allow, and
// nothing that allows is an implicit deny.
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String names the decision.
func (d Decision) String() string {
	return [...]string{"implicit deny", "allow", "explicit deny"}[d]
}

// invokeAction is the action API Gateway authorizes a method call as.
const invokeAction = "execute-api:Invoke"

// Evaluate decides whether the policy lets the caller invoke methodARN
// (arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}).
// It returns the decision and the index of the deciding statement (-1 for
// an implicit deny).
func (p *Policy) Evaluate(methodARN string) (Decision, int) {
	allowed := -1
	for i, st := range p.Statement {
		if !anyMatch(st.Action, invokeAction, actionMatch) || !anyMatch(st.Resource, methodARN, arnMatch) {
			continue
		}
		if st.Effect == Deny {
			return ExplicitDeny, i
		}
		if allowed < 0 {
			allowed = i
		}
	}
	if allowed >= 0 {
		return Allowed, allowed
	}
	return ImplicitDeny, -1
}

func anyMatch(patterns []string, s string, match func(pattern, s string) bool) bool {
	for _, p := range patterns {
		if match(p, s) {
			return true
		}
	}
	return false
}

// actionMatch matches an IAM action pattern: service prefix and action
// name compare case-insensitively, with * and ? wildcards.
func actionMatch(pattern, action string) bool {
	return wildcard.Match(strings.ToLower(pattern), strings.ToLower(action))
}

// arnMatch matches an IAM resource pattern against an ARN. "*" matches
// every resource. Otherwise the colon-separated fields are matched one by
// one (a wildcard does not cross a colon between fields), the last one
// against the rest of the ARN, so the resource part
// ({apiId}/{stage}/{METHOD}/{path}) is matched as a whole, where * also
// matches slashes. Matching is case-sensitive.
func arnMatch(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	// A pattern with fewer fields matches the rest of the ARN with its
	// last field ("arn:aws:execute-api:*" covers every API).
	ap := strings.SplitN(arn, ":", len(pp))
	if len(ap) != len(pp) {
		return false
	}
	for i := range pp {
		if !wildcard.Match(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// stringOrList reads a JSON string or list of strings.
type stringOrList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *stringOrList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var xs []string
		if err := json.Unmarshal(b, &xs); err != nil {
			return err
		}
		*l = xs
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = []string{s}
	return nil
}

// rawStatement is a statement as written; Statement may also be a single
// object rather than a list.
type rawStatement struct {
	Sid      string          `json:"Sid"`
	Effect   *string         `json:"Effect"`
	Action   stringOrList    `json:"Action"`
	Resource stringOrList    `json:"Resource"`
	Other    json.RawMessage `json:"NotAction"`
}

// ParsePolicy reads a policyDocument: {"Version", "Statement": [...]} with
// Statement an object or a list, and Action and Resource strings or lists.
// Every statement needs an Effect of Allow or Deny, an Action and a
// Resource.
func ParsePolicy(raw json.RawMessage) (*Policy, error) {
	var doc struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("policyDocument: %w", err)
	}
	st := bytes.TrimSpace(doc.Statement)
	if len(st) == 0 || string(st) == "null" {
		return nil, errors.New("policyDocument has no Statement")
	}
	var raws []rawStatement
	if st[0] == '{' {
		var one rawStatement
		if err := json.Unmarshal(st, &one); err != nil {
			return nil, fmt.Errorf("policyDocument.Statement: %w", err)
		}
		raws = []rawStatement{one}
	} else if err := json.Unmarshal(st, &raws); err != nil {
		return nil, fmt.Errorf("policyDocument.Statement: %w", err)
	}
	p := &Policy{Version: doc.Version, Statement: make([]Statement, 0, len(raws))}
	for i, r := range raws {
		switch {
		case r.Effect == nil:
			return nil, fmt.Errorf("statement %d has no Effect", i)
		case Effect(*r.Effect) != Allow && Effect(*r.Effect) != Deny:
			return nil, fmt.Errorf("statement %d: Effect %q is neither Allow nor Deny", i, *r.Effect)
		case len(r.Other) > 0:
			return nil, fmt.Errorf("statement %d: NotAction is not supported in authorizer policies", i)
		case len(r.Action) == 0:
			return nil, fmt.Errorf("statement %d has no Action", i)
		case len(r.Resource) == 0:
			return nil, fmt.Errorf("statement %d has no Resource", i)
		}
		p.Statement = append(p.Statement, Statement{Effect: Effect(*r.Effect), Action: r.Action, Resource: r.Resource})
	}
	return p, nil
}
