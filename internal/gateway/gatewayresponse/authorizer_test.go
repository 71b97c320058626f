package gatewayresponse

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

// TestRenderAuthorizer pins the bodies of aws-errors.md §6: AWS's own
// {"Message":...} for an authorizer deny while ACCESS_DENIED keeps its
// default template, and {"message": null} for configuration errors.
func TestRenderAuthorizer(t *testing.T) {
	type custom = map[apigw.GatewayResponseType]*apigw.GatewayResponse
	tmpl := map[string]string{"application/json": apigw.DefaultGatewayResponseTemplate}
	tests := []struct {
		name   string
		custom custom
		cause  diag.Cause
		want   want
	}{
		{"explicit deny", nil, diag.AuthorizerDenied, want{403, hdr("application/json", "AccessDeniedException"), `{"Message":"User is not authorized to access this resource with an explicit deny"}`, apigw.AccessDenied}},
		{"implicit deny", nil, diag.AuthorizerNotAllowed, want{403, hdr("application/json", "AccessDeniedException"), `{"Message":"User is not authorized to access this resource"}`, apigw.AccessDenied}},
		{"unauthorized", nil, diag.AuthorizerUnauthorized, want{401, hdr("application/json", "UnauthorizedException"), `{"message":"Unauthorized"}`, apigw.Unauthorized}},
		{"authorizer error", nil, diag.AuthorizerError, want{500, hdr("application/json", "AuthorizerConfigurationException"), `{"message": null}`, apigw.AuthorizerConfigurationError}},
		{"JWT expired", nil, diag.JWTExpired, want{401, hdr("application/json", "UnauthorizedException"), `{"message":"Unauthorized"}`, apigw.Unauthorized}},
		// Customised, the template renders, even when it is the default text.
		{"ACCESS_DENIED customised", custom{apigw.AccessDenied: {ResponseTemplates: tmpl}}, diag.AuthorizerDenied,
			want{403, hdr("application/json", "AccessDeniedException"), `{"message":"User is not authorized to access this resource with an explicit deny"}`, apigw.AccessDenied}},
		{"DEFAULT_4XX templates inherited", custom{apigw.Default4XX: {ResponseTemplates: map[string]string{"application/json": `{"error":"$context.error.message"}`}}}, diag.AuthorizerNotAllowed,
			want{403, hdr("application/json", "AccessDeniedException"), `{"error":"User is not authorized to access this resource"}`, apigw.AccessDenied}},
		{"DEFAULT_4XX status only keeps AWS's body", custom{apigw.Default4XX: {StatusCode: "400"}}, diag.AuthorizerDenied,
			want{400, hdr("application/json", "AccessDeniedException"), `{"Message":"User is not authorized to access this resource with an explicit deny"}`, apigw.AccessDenied}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCompile(t, tc.custom)
			e := errOf(tc.cause)
			if diff := cmp.Diff(tc.want, got(s.Render(e, fakeVars{err: e}))); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}
