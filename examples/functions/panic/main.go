// Command panic is a Lambda function that fails with an unhandled error,
// the most common source of 502s behind AWS_PROXY.
//
// By default it panics: aws-lambda-go reports
// {"errorMessage":"...","errorType":"string","stackTrace":[...]} and the
// process exits, so the next invocation is a cold start. With ?mode=error
// it returns an error instead: {"errorMessage":"...","errorType":"errorString"},
// and the process stays warm.
package main

import (
	"errors"
	"log"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	log.Printf("handling %s %s", req.HTTPMethod, req.Path)
	if req.QueryStringParameters["mode"] == "error" {
		return events.APIGatewayProxyResponse{}, errors.New("something went wrong: the handler returned an error")
	}
	panic("something went wrong: the handler panicked")
}

func main() {
	lambda.Start(handle)
}
