// Command authorizer is a Lambda authorizer (TOKEN and REQUEST) written
// with aws-lambda-go, after the example in AWS's developer guide
// (apigateway-use-lambda-authorizer). The token (TOKEN: authorizationToken;
// REQUEST: the X-Auth header, else the token query parameter) decides:
//
//	allow         Allow the method ARN; principal "user"; context with a
//	              string, a number and a boolean
//	allow-all     Allow every method of the API (arn:.../{apiId}/*)
//	deny          Deny the method ARN
//	other         Allow only a method the request is not (implicit deny)
//	unauthorized  fail with "Unauthorized" (API Gateway answers 401)
//	key:VALUE     Allow every method, usageIdentifierKey VALUE
//	nested        Allow, with an object in context (invalid: 500)
//	garbage       return {"foo": 1} (invalid result: 500)
//	slow          sleep past the deadline (timeout: 500)
//	echo          Allow every method, with the whole event as context.event
//	anything else fail with "Invalid token" (500)
//
// Invoked with an API Gateway proxy event instead (an AWS_PROXY
// integration), it answers 200 with the event as the body.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// event is either authorizer input: TOKEN carries authorizationToken,
// REQUEST the request's parts.
type event struct {
	events.APIGatewayCustomAuthorizerRequestTypeRequest
	AuthorizationToken string `json:"authorizationToken"`
}

func policy(principal, effect, resource string) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   effect,
				Resource: []string{resource},
			}},
		},
	}
}

// apiARN is the method ARN up to the API id: arn:aws:execute-api:r:a:api.
func apiARN(methodArn string) string {
	if i := strings.IndexByte(methodArn, '/'); i >= 0 {
		return methodArn[:i]
	}
	return methodArn
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	if ev.Type == "" {
		// Invoked as an AWS_PROXY integration: echo the proxy event, so
		// tests can see requestContext.authorizer.
		return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(raw)}, nil
	}
	token := ev.AuthorizationToken
	if ev.Type == "REQUEST" {
		token = ev.Headers["X-Auth"]
		if token == "" {
			token = ev.Headers["x-auth"]
		}
		if token == "" {
			token = ev.QueryStringParameters["token"]
		}
	}
	switch {
	case token == "allow":
		p := policy("user", "Allow", ev.MethodArn)
		p.Context = map[string]any{"stringKey": "value", "numberKey": 123, "booleanKey": true, "type": ev.Type}
		return p, nil
	case token == "allow-all":
		return policy("user", "Allow", apiARN(ev.MethodArn)+"/*"), nil
	case token == "deny":
		return policy("user", "Deny", ev.MethodArn), nil
	case token == "other":
		return policy("user", "Allow", apiARN(ev.MethodArn)+"/*/DELETE/nothing-here"), nil
	case token == "unauthorized":
		return nil, errors.New("Unauthorized")
	case strings.HasPrefix(token, "key:"):
		p := policy("keyed", "Allow", apiARN(ev.MethodArn)+"/*")
		p.UsageIdentifierKey = strings.TrimPrefix(token, "key:")
		return p, nil
	case token == "nested":
		p := policy("user", "Allow", ev.MethodArn)
		p.Context = map[string]any{"nested": map[string]any{"a": 1}}
		return p, nil
	case token == "garbage":
		return map[string]any{"foo": 1}, nil
	case token == "slow":
		if d, ok := ctx.Deadline(); ok {
			time.Sleep(time.Until(d) + time.Second)
		}
		return policy("user", "Allow", ev.MethodArn), nil
	case token == "echo":
		p := policy("echo", "Allow", apiARN(ev.MethodArn)+"/*")
		p.Context = map[string]any{"event": string(raw)}
		return p, nil
	}
	return nil, errors.New("Invalid token")
}

func main() {
	lambda.Start(handle)
}
