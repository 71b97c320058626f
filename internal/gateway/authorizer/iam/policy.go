package iam

import (
	"github.com/archway-gw/archway/internal/wildcard"
	"strings"

	"github.com/archway-gw/archway/internal/config"
)

// Decision is the outcome of evaluating identity policies for one request.
type Decision int

// Decisions, as IAM evaluates them: an explicit Deny in any statement wins,
// otherwise an Allow is needed, otherwise the request is implicitly denied.
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String names the decision for logs.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicit deny"
	}
	return "implicit deny"
}

// statement is a compiled policy statement.
type statement struct {
	sid         string
	allow       bool
	actions     []string // lower-cased patterns
	notAction   bool
	resources   []string
	notResource bool
}

// Policy is a user's compiled identity policy statements.
type Policy []statement

// CompilePolicy compiles statements checked by the config package.
func CompilePolicy(sts []config.IAMStatement) Policy {
	p := make(Policy, 0, len(sts))
	for _, st := range sts {
		c := statement{sid: st.Sid, allow: st.Effect == "Allow"}
		acts := st.Action
		if len(st.NotAction) > 0 {
			acts, c.notAction = st.NotAction, true
		}
		for _, a := range acts {
			c.actions = append(c.actions, strings.ToLower(a))
		}
		c.resources = st.Resource
		if len(st.NotResource) > 0 {
			c.resources, c.notResource = st.NotResource, true
		}
		p = append(p, c)
	}
	return p
}

// Evaluate decides whether the policy lets its user perform action on
// resource, and the index of the deciding statement (-1 when none applies).
func (p Policy) Evaluate(action, resource string) (Decision, int) {
	action = strings.ToLower(action)
	d, by := ImplicitDeny, -1
	for i, st := range p {
		if !st.applies(action, resource) {
			continue
		}
		if !st.allow {
			return ExplicitDeny, i
		}
		if d == ImplicitDeny {
			d, by = Allowed, i
		}
	}
	return d, by
}

func (st *statement) applies(action, resource string) bool {
	return anyMatch(st.actions, action) != st.notAction && anyMatch(st.resources, resource) != st.notResource
}

func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcard.Match(p, s) {
			return true
		}
	}
	return false
}
