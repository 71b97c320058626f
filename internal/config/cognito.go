package config

import (
	"fmt"
	"strings"
)

// CognitoPool is one entry of the cognito: section: how Archway verifies
// the tokens of one user pool named in an authorizer's providerARNs.
type CognitoPool struct {
	// UserPoolARN is the pool's ARN as providerARNs names it,
	// arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}. Required.
	UserPoolARN string `yaml:"userPoolArn"`
	// Issuer is the iss claim of the pool's tokens. Default
	// https://cognito-idp.{region}.amazonaws.com/{poolId}.
	Issuer string `yaml:"issuer"`
	// JWKSURL serves the pool's signing keys. Default
	// {issuer}/.well-known/jwks.json.
	JWKSURL string `yaml:"jwksUrl"`
	// ClientIDs are the app clients whose tokens are accepted (aud of ID
	// tokens, client_id of access tokens). Default: every client.
	ClientIDs []string `yaml:"clientIds"`
}

// checkCognito checks the cognito: section.
func checkCognito(path string, pools []CognitoPool) error {
	seen := map[string]bool{}
	for i, p := range pools {
		if p.UserPoolARN == "" {
			return fmt.Errorf("%s: cognito[%d]: userPoolArn is required; name the pool as the authorizer's providerARNs do", path, i)
		}
		if !strings.HasPrefix(p.UserPoolARN, "arn:") || !strings.Contains(p.UserPoolARN, ":userpool/") {
			return fmt.Errorf("%s: cognito[%d]: userPoolArn %q is not arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}", path, i, p.UserPoolARN)
		}
		if seen[p.UserPoolARN] {
			return fmt.Errorf("%s: cognito[%d]: user pool %s is listed twice", path, i, p.UserPoolARN)
		}
		seen[p.UserPoolARN] = true
	}
	return nil
}
