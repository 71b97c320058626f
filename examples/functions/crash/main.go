// Command crash is a Lambda function whose process exits in the middle of
// an invocation (os.Exit(1)): Lambda answers
// {"errorType":"Runtime.ExitError","errorMessage":"RequestId: ... Error: Runtime exited with error: exit status 1"}
// and starts a new process for the next invocation.
//
// With ?mode=ok it answers 200 with its process id instead.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if req.QueryStringParameters["mode"] == "ok" {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: fmt.Sprintf(`{"pid":%d}`, os.Getpid())}, nil
	}
	log.Print("crashing mid-invocation")
	os.Exit(1)
	return events.APIGatewayProxyResponse{}, nil
}

func main() {
	lambda.Start(handle)
}
