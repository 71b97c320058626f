package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadCognito(t *testing.T) {
	const head = "apis:\n  - definition: api.yaml\n"
	t.Run("valid", func(t *testing.T) {
		c, err := Load(write(t, t.TempDir(), "archway.yaml", head+`cognito:
  - userPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A
    issuer: http://127.0.0.1:9000/pool
    jwksUrl: http://127.0.0.1:9000/pool/jwks.json
    clientIds: [app1, app2]
`))
		if err != nil {
			t.Fatal(err)
		}
		want := []CognitoPool{{UserPoolARN: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A", Issuer: "http://127.0.0.1:9000/pool", JWKSURL: "http://127.0.0.1:9000/pool/jwks.json", ClientIDs: []string{"app1", "app2"}}}
		if diff := cmp.Diff(want, c.Cognito); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	for _, tc := range []struct{ name, yaml, want string }{
		{"missing ARN", "cognito:\n  - issuer: x\n", "userPoolArn is required"},
		{"not a pool ARN", "cognito:\n  - userPoolArn: arn:aws:s3:::b\n", "is not arn:aws:cognito-idp"},
		{"twice", "cognito:\n  - userPoolArn: arn:aws:cognito-idp:r:1:userpool/p\n  - userPoolArn: arn:aws:cognito-idp:r:1:userpool/p\n", "listed twice"},
		{"unknown key", "cognito:\n  - userPoolArn: arn:aws:cognito-idp:r:1:userpool/p\n    jwks: x\n", "jwks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(write(t, t.TempDir(), "archway.yaml", head+tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
