package exec

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/diag"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"user", "****"},
		{"abcdef", "******"},
		{"aaaaaaaaaaaaaa", "********aaaaaa"},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAuthorizerLines(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	base := func() *Record {
		return &Record{RequestID: "r1", Start: start, End: start, HTTPMethod: "GET", Path: "/pets", Status: 200,
			Authorizer: &AuthorizerRecord{ID: "auth", Start: start, End: start, Identity: "****en1234",
				EndpointURI: "https://lambda.us-east-1.amazonaws.com/fn", EndpointBody: []byte(`{"type":"TOKEN"}`), Sent: true,
				ResultBody: []byte(`{"principalId":"me"}`), ResultKept: true}}
	}
	allowed := base()
	allowed.Authorizer.Principal, allowed.Authorizer.Succeeded = "principal-1", true
	failed := base()
	failed.Status = 500
	failed.Err = &diag.Error{Phase: diag.PhaseAuthorizer, Cause: diag.AuthorizerError, LogBefore: []string{"Archway explanation (AUTHORIZER_ERROR): x"}}
	failed.Authorizer.Outcome = "AuthorizerConfigurationException"
	tests := []struct {
		name string
		rec  *Record
		opt  LogOptions
		want []string
	}{
		{"allowed, INFO with data", allowed, LogOptions{Level: LevelInfo, DataTrace: true}, []string{
			"Starting authorizer: auth for request: r1",
			"Incoming identity: ****en1234",
			"Endpoint request URI: https://lambda.us-east-1.amazonaws.com/fn",
			`Endpoint request body after transformations: {"type":"TOKEN"}`,
			"Sending request to https://lambda.us-east-1.amazonaws.com/fn",
			`Authorizer result body before parsing: {"principalId":"me"}`,
			"Using valid authorizer policy for principal: *****ipal-1",
			"Successfully completed authorizer execution",
			"Starting execution for request: r1",
		}},
		{"allowed, INFO without data", allowed, LogOptions{Level: LevelInfo}, []string{
			"Starting authorizer: auth for request: r1",
			"Incoming identity: ****en1234",
			"Endpoint request URI: https://lambda.us-east-1.amazonaws.com/fn",
			"Sending request to https://lambda.us-east-1.amazonaws.com/fn",
			"Using valid authorizer policy for principal: *****ipal-1",
			"Successfully completed authorizer execution",
			"Starting execution for request: r1",
		}},
		{"failed, ERROR", failed, LogOptions{Level: LevelError}, []string{
			"Archway explanation (AUTHORIZER_ERROR): x",
			"Execution failed due to configuration error: Authorizer error",
			"AuthorizerConfigurationException",
		}},
		{"allowed, ERROR", allowed, LogOptions{Level: LevelError}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, l := range tc.rec.Lines(tc.opt) {
				got = append(got, l.Msg)
			}
			n := len(tc.want)
			if len(got) < n {
				n = len(got)
			}
			if tc.want == nil {
				if got != nil {
					t.Errorf("lines %q, want none", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got[:n]); diff != "" || len(got) < len(tc.want) {
				t.Errorf("lines (-want +got):\n%s\nall:\n%s", diff, strings.Join(got, "\n"))
			}
			if tc.rec.Err != nil && len(got) != len(tc.want) {
				t.Errorf("a refused request logs nothing after the authorizer: %q", got)
			}
		})
	}
}
