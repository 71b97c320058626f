package pipeline

import (
	"github.com/archway-gw/archway/internal/apigw"
)

// Auth is what the access-control steps (authorizer, API key) learned about
// the caller. It fills $context.authorizer.*, $context.identity.* and the
// requestContext of Lambda proxy events.
type Auth struct {
	// Authorizer names the Lambda or Cognito authorizer that admitted the
	// request; "" when none ran ($context.authorizer is then empty).
	Authorizer string
	// PrincipalID is the principalId a Lambda authorizer returned, or the
	// subject of a verified token.
	PrincipalID string
	// Context holds a Lambda authorizer's context values, or a JWT's claims,
	// in the order they came.
	Context []AuthValue
	// Claims is true when Context holds token claims ($context.authorizer.claims.*).
	Claims bool
	// IntegrationLatency is the authorizer's run time in milliseconds, 0
	// when served from cache.
	IntegrationLatency int64

	// APIKey is the API key the request was matched with (the x-api-key
	// header, or the authorizer's usageIdentifierKey).
	APIKey string
	// APIKeyID is the matched key's id.
	APIKeyID string
	// UsageIdentifierKey is what a Lambda authorizer named as the API key,
	// for APIs whose key source is AUTHORIZER.
	UsageIdentifierKey string

	// IAM identity, for AWS_IAM methods.
	AccessKey string
	AccountID string
	Caller    string
	User      string
	UserARN   string
}

// AuthValue is one authorizer context value. Value is a string, float64,
// bool or, for claims, any JSON value.
type AuthValue struct {
	Key   string
	Value any
}

// GuardCompiler builds one access-control step of a method (API key and
// throttling, or its authorizer) when the snapshot is compiled. Guard
// returns nil when the method has nothing for it to check; it may keep
// state (limiters, caches) across snapshots.
type GuardCompiler interface {
	Guard(api *apigw.RestAPI, resourcePath string, m *apigw.Method) (Checker, []Problem)
}
