// Command hello is a Lambda function behind an AWS_PROXY integration: it
// answers any API Gateway proxy request with 200 and a JSON greeting.
//
// The greeting names ?name= (default "world"), and echoes what the Runtime
// API told the function: request id, function ARN, name and memory, and the
// value of the GREETING environment variable, if set, the X-Ray trace id
// and the deadline.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type greeting struct {
	Message      string `json:"message"`
	Path         string `json:"path"`
	RequestID    string `json:"requestId"`
	FunctionARN  string `json:"functionArn"`
	FunctionName string `json:"functionName"`
	MemoryMB     int    `json:"memoryMB"`
	Env          string `json:"env,omitempty"`
	TraceID      string `json:"traceId"`
	DeadlineMs   int64  `json:"deadlineMs"`
	PID          int    `json:"pid"`
}

func handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	name := req.QueryStringParameters["name"]
	if name == "" {
		name = "world"
	}
	g := greeting{
		Message:      "Hello, " + name + "!",
		Path:         req.Path,
		FunctionName: lambdacontext.FunctionName,
		MemoryMB:     lambdacontext.MemoryLimitInMB,
		Env:          os.Getenv("GREETING"),
		TraceID:      os.Getenv("_X_AMZN_TRACE_ID"),
		PID:          os.Getpid(),
	}
	if deadline, ok := ctx.Deadline(); ok {
		g.DeadlineMs = deadline.UnixMilli()
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		g.RequestID = lc.AwsRequestID
		g.FunctionARN = lc.InvokedFunctionArn
	}
	body, err := json.Marshal(g)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return events.APIGatewayProxyResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

func main() {
	lambda.Start(handle)
}
