package authorizer

import (
	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// builder compiles one authorizer for one method.
type builder func(c *Compiler, api *apigw.RestAPI, a *apigw.Authorizer, resourcePath string, m *apigw.Method) (authorizer, []pipeline.Problem)

// registry maps x-amazon-apigateway-authorizer types to implementations.
var registry = map[string]builder{
	"TOKEN":              newLambdaAuthorizer,
	"REQUEST":            newLambdaAuthorizer,
	"COGNITO_USER_POOLS": newCognitoAuthorizer,
}
