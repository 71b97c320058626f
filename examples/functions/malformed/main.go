// Command malformed is a Lambda function that returns responses API
// Gateway rejects as "Malformed Lambda proxy response" (502). ?kind= picks
// the defect:
//
//	status     (default) statusCode is not a number: {"statusCode":"abc"}
//	key        an unknown top-level key: {"statusCode":200,"bodyy":"..."}
//	headers    multiValueHeaders values not lists
//	notjson    a payload that is not JSON at all
//	array      JSON that is not an object
package main

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(req events.APIGatewayProxyRequest) (io.Reader, error) {
	var v any
	switch req.QueryStringParameters["kind"] {
	case "key":
		v = map[string]any{"statusCode": 200, "bodyy": "misspelled key"}
	case "headers":
		v = map[string]any{"statusCode": 200, "multiValueHeaders": map[string]any{"X-Single": "not-a-list"}}
	case "notjson":
		return strings.NewReader("this is not JSON"), nil
	case "array":
		v = []any{200, "not an object"}
	default:
		v = map[string]any{"statusCode": "abc", "body": "statusCode is not a number"}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(string(b)), nil
}

func main() {
	lambda.Start(handle)
}
