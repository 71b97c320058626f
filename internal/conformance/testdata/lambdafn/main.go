// Command lambdafn is the programmable Lambda function of the conformance
// runner, built with aws-lambda-go and run by the local Lambda service.
//
// It reads its instruction from the event: for proxy events the headers
// X-Conformance-Return (base64 of the JSON value to return verbatim) and
// X-Conformance-Raise (base64 of {"errorMessage", "errorType"} to fail
// with); for other payloads the top-level keys "x-return" and "x-raise".
// Without an instruction it echoes what it received: a proxy event as a
// proxy response, {"statusCode": 200, "body": "<the event JSON>"}, any
// other payload as it is.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

type instruction struct {
	HTTPMethod string            `json:"httpMethod"`
	Headers    map[string]string `json:"headers"`
	Return     json.RawMessage   `json:"x-return"`
	Raise      *raise            `json:"x-raise"`
}

type raise struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func handle(_ context.Context, ev json.RawMessage) (json.RawMessage, error) {
	var in instruction
	_ = json.Unmarshal(ev, &in)
	for k, v := range in.Headers {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			continue
		}
		switch strings.ToLower(k) {
		case "x-conformance-return":
			in.Return = b
		case "x-conformance-raise":
			in.Raise = &raise{}
			_ = json.Unmarshal(b, in.Raise)
		}
	}
	if in.Raise != nil {
		return nil, messages.InvokeResponse_Error{Message: in.Raise.ErrorMessage, Type: in.Raise.ErrorType}
	}
	if in.Return != nil {
		return in.Return, nil
	}
	if in.HTTPMethod == "" {
		return ev, nil
	}
	body, _ := json.Marshal(string(ev))
	return json.RawMessage(`{"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": ` + string(body) + `}`), nil
}

func main() {
	lambda.Start(handle)
}
