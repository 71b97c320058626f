package exec

import (
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/diag"
)

// AuthorizerRecord is what one authorizer run did, in the order AWS logs
// it before the method's own execution starts:
//
//	Starting authorizer: <id> for request: <request id>
//	Incoming identity: <masked token, or {source=masked value, ...}>
//	Endpoint request URI: https://lambda.<region>.amazonaws.com/...
//	Endpoint request body after transformations: <event>          (data trace)
//	Sending request to https://lambda...
//	Authorizer result body before parsing: <function output>       (data trace)
//	Using valid authorizer policy for principal: <masked principal>
//	Successfully completed authorizer execution
type AuthorizerRecord struct {
	// ID is the authorizer's id (its name in the definition).
	ID    string
	Start time.Time
	End   time.Time
	// Identity is the incoming identity as AWS logs it (masked); empty
	// when none was read.
	Identity string
	// Cached is true when the result came from the authorizer cache.
	Cached bool
	// FunctionRequestID is the Lambda request id of the invocation.
	FunctionRequestID string
	// EndpointURI is the Lambda Invoke URL; empty when not invoked.
	EndpointURI  string
	EndpointBody []byte
	Sent         bool
	// ResultBody is the function's output, when it answered.
	ResultBody []byte
	ResultKept bool
	// Notes are further INFO lines (a token's verification, the policy
	// statement that decided).
	Notes []string
	// Principal is the principal of a valid policy; Succeeded marks that
	// the authorizer produced one (or verified the token).
	Principal string
	Succeeded bool
	// Outcome is the line AWS ends a failed authorization with:
	// "Unauthorized" or "AuthorizerConfigurationException".
	Outcome string
}

// Mask hides all but the last 6 characters of a secret, as AWS's
// execution log shows tokens, principals and API keys; shorter values
// are masked whole.
func Mask(s string) string {
	if len(s) <= 6 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-6) + s[len(s)-6:]
}

// authorizerLines adds the authorizer's lines; it reports whether the
// request ended in the authorizer (its failure lines are then written
// and the method's execution never started).
func (r *Record) authorizerLines(o LogOptions, add func(time.Time, string)) bool {
	a := r.Authorizer
	if a == nil {
		return false
	}
	info := o.Level == LevelInfo
	data := info && o.DataTrace
	failed := r.Err != nil && r.Err.Phase == diag.PhaseAuthorizer
	if info {
		add(a.Start, "Starting authorizer: "+a.ID+" for request: "+r.RequestID)
		if a.Identity != "" {
			add(time.Time{}, "Incoming identity: "+a.Identity)
		}
		if a.EndpointURI != "" {
			add(time.Time{}, "Endpoint request URI: "+a.EndpointURI)
			if data {
				add(time.Time{}, "Endpoint request body after transformations: "+string(a.EndpointBody))
			}
			if a.Sent {
				add(time.Time{}, "Sending request to "+a.EndpointURI)
			}
		}
		if data && a.ResultKept {
			add(time.Time{}, "Authorizer result body before parsing: "+string(a.ResultBody))
		}
		for _, n := range a.Notes {
			add(time.Time{}, n)
		}
		if a.Succeeded {
			add(time.Time{}, "Using valid authorizer policy for principal: "+Mask(a.Principal))
			add(a.End, "Successfully completed authorizer execution")
		}
	}
	if !failed {
		return false
	}
	for _, l := range r.Err.LogBefore {
		add(time.Time{}, l)
	}
	add(a.End, failureLine(r))
	if a.Outcome != "" {
		add(time.Time{}, a.Outcome)
	}
	return true
}
