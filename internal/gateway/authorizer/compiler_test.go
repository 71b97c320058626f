package authorizer

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// stubIAM records the method ARN it was asked about: the contract with the
// iam package is that the guard hands it the request's method ARN.
type stubIAM struct{ arn string }

func (s *stubIAM) Verify(_ context.Context, _ *pipeline.Exchange, methodARN string) error {
	s.arn = methodARN
	return nil
}

func TestGuardConfiguration(t *testing.T) {
	api := &apigw.RestAPI{ID: "api1", Authorizers: map[string]*apigw.Authorizer{
		"odd": {Name: "odd", Type: "SAML"},
	}}
	exchange := func() *pipeline.Exchange {
		return &pipeline.Exchange{Req: httptest.NewRequest("GET", "/dev/pets/1", nil), Rec: &exec.Record{Path: "/pets/1"}, Stage: &pipeline.Stage{Name: "dev"}}
	}
	tests := []struct {
		name    string
		iam     IAMVerifier
		method  *apigw.Method
		guard   bool
		problem string
		cause   diag.Cause
	}{
		{"no authorization", nil, &apigw.Method{HTTPMethod: "GET"}, false, "", ""},
		{"NONE", nil, &apigw.Method{HTTPMethod: "GET", AuthorizationType: "NONE"}, false, "", ""},
		{"AWS_IAM without a verifier", nil, &apigw.Method{HTTPMethod: "GET", AuthorizationType: "AWS_IAM"}, true, "no IAM verifier", diag.IAMNotConfigured},
		{"AWS_IAM with a verifier", &stubIAM{}, &apigw.Method{HTTPMethod: "GET", AuthorizationType: "AWS_IAM"}, true, "", ""},
		{"undefined authorizer", nil, &apigw.Method{HTTPMethod: "GET", AuthorizationType: "CUSTOM", AuthorizerID: "nope"}, true, "does not define", diag.AuthorizerNotConfigured},
		{"unknown authorizer type", nil, &apigw.Method{HTTPMethod: "GET", AuthorizationType: "CUSTOM", AuthorizerID: "odd"}, true, "is not TOKEN", diag.AuthorizerNotConfigured},
		{"unknown authorization type", nil, &apigw.Method{HTTPMethod: "GET", AuthorizationType: "MAGIC"}, true, "unknown", diag.AuthorizerNotConfigured},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Compiler{IAM: tc.iam}
			g, probs := c.Guard(api, "/pets/{id}", tc.method)
			if (g != nil) != tc.guard {
				t.Fatalf("guard %v, want one: %v", g, tc.guard)
			}
			if tc.problem == "" && len(probs) > 0 || tc.problem != "" && (len(probs) != 1 || !strings.Contains(probs[0].Message, tc.problem)) {
				t.Errorf("problems %+v, want one mentioning %q", probs, tc.problem)
			}
			if g == nil {
				return
			}
			err := g.Check(context.Background(), exchange())
			var d *diag.Error
			switch {
			case tc.cause == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.cause != "" && (!errors.As(err, &d) || d.Cause != tc.cause || d.Phase != diag.PhaseAuthorizer):
				t.Errorf("Check = %v, want %s in the authorizer phase", err, tc.cause)
			}
			if s, ok := tc.iam.(*stubIAM); ok && s.arn != "arn:aws:execute-api:us-east-1:000000000000:api1/dev/GET/pets/1" {
				t.Errorf("IAM verifier got method ARN %q", s.arn)
			}
		})
	}
}
