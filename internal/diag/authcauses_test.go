package diag

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
)

var authCauses = []Cause{
	AuthorizerUnauthorized, AuthorizerIdentityMissing, AuthorizerIdentityInvalid,
	AuthorizerDenied, AuthorizerNotAllowed, AuthorizerError, AuthorizerTimeout,
	AuthorizerInvalidResponse, AuthorizerInvokeFailed, AuthorizerNotConfigured, IAMNotConfigured,
	JWTMissing, JWTMalformed, JWTExpired, JWTBadSignature, JWTUnknownKey,
	JWTWrongIssuer, JWTWrongAudience, JWTWrongTokenUse, JWTMissingScope, JWKSUnavailable,
}

func init() { allCauses = append(allCauses, authCauses...) }

// TestAuthorizerClientMapping pins what the client of each authorizer
// cause receives (aws-errors.md §6, rows 6a-6e).
func TestAuthorizerClientMapping(t *testing.T) {
	type client struct {
		Type       apigw.GatewayResponseType
		Message    string
		Null       bool
		Spaced     bool
		MessageKey string
	}
	unauthorized := client{apigw.Unauthorized, "Unauthorized", false, false, ""}
	configErr := client{apigw.AuthorizerConfigurationError, "", true, true, ""}
	want := map[Cause]client{
		AuthorizerUnauthorized:    unauthorized,
		AuthorizerIdentityMissing: unauthorized,
		AuthorizerIdentityInvalid: unauthorized,
		AuthorizerDenied:          {apigw.AccessDenied, "User is not authorized to access this resource with an explicit deny", false, false, "Message"},
		AuthorizerNotAllowed:      {apigw.AccessDenied, "User is not authorized to access this resource", false, false, "Message"},
		AuthorizerError:           configErr,
		AuthorizerTimeout:         configErr,
		AuthorizerInvalidResponse: configErr,
		AuthorizerInvokeFailed:    configErr,
		AuthorizerNotConfigured:   configErr,
		IAMNotConfigured:          configErr,
		JWTMissing:                unauthorized,
		JWTMalformed:              unauthorized,
		JWTExpired:                unauthorized,
		JWTBadSignature:           unauthorized,
		JWTUnknownKey:             unauthorized,
		JWTWrongIssuer:            unauthorized,
		JWTWrongAudience:          unauthorized,
		JWTWrongTokenUse:          unauthorized,
		JWTMissingScope:           unauthorized,
		JWKSUnavailable:           unauthorized,
	}
	for _, c := range authCauses {
		t.Run(string(c), func(t *testing.T) {
			i := Lookup(c)
			got := client{i.ResponseType, i.Message, i.Null, i.Spaced, i.MessageKey}
			if diff := cmp.Diff(want[c], got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func isAuthCause(c Cause) bool {
	for _, a := range authCauses {
		if a == c {
			return true
		}
	}
	return false
}
