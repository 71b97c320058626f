package diag

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
)

// iamCauses are the AWS_IAM authorization causes (package
// internal/gateway/authorizer/iam).
var iamCauses = []Cause{
	IAMSignatureMissing, IAMSignatureMalformed, IAMCredentialScope, IAMSignatureExpired,
	IAMUnknownAccessKey, IAMSessionTokenInvalid, IAMSignatureMismatch, IAMNotAuthorized,
}

func init() { allCauses = append(allCauses, iamCauses...) }

func isIAMCause(c Cause) bool {
	for _, a := range iamCauses {
		if a == c {
			return true
		}
	}
	return false
}

// TestIAMClientMapping pins what the client of each IAM cause receives:
// the gateway response type (which sets status and x-amzn-ErrorType), the
// default message and the body's key. Per-request messages (scope,
// expiry, mismatch, denial) are set on the diag.Error and tested in the
// iam package.
func TestIAMClientMapping(t *testing.T) {
	type client struct {
		Type       apigw.GatewayResponseType
		Status     int
		Message    string
		MessageKey string
	}
	const invalidToken = "The security token included in the request is invalid."
	want := map[Cause]client{
		IAMSignatureMissing:    {apigw.MissingAuthenticationToken, 0, "Missing Authentication Token", ""},
		IAMSignatureMalformed:  {apigw.InvalidSignature, 0, "Invalid signature", ""},
		IAMCredentialScope:     {apigw.InvalidSignature, 0, "Invalid credential scope", ""},
		IAMSignatureExpired:    {apigw.InvalidSignature, 0, "Signature expired", ""},
		IAMUnknownAccessKey:    {apigw.AccessDenied, 0, invalidToken, ""},
		IAMSessionTokenInvalid: {apigw.AccessDenied, 0, invalidToken, ""},
		IAMSignatureMismatch:   {apigw.InvalidSignature, 0, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", ""},
		IAMNotAuthorized:       {apigw.AccessDenied, 0, "User is not authorized to perform: execute-api:Invoke", "Message"},
	}
	for _, c := range iamCauses {
		t.Run(string(c), func(t *testing.T) {
			i := Lookup(c)
			if i.Cause != c {
				t.Fatalf("%s is not in the catalog", c)
			}
			got := client{i.ResponseType, i.Status, i.Message, i.MessageKey}
			if diff := cmp.Diff(want[c], got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if i.Spaced || i.Null {
				t.Error("IAM messages are neither spaced nor null")
			}
		})
	}
}
