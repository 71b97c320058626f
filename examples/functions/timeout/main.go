// Command timeout is a Lambda function that runs past its timeout: it
// ignores its context and sleeps until one second after the deadline, so
// Lambda kills it ("Task timed out after N.NN seconds").
//
// With ?ms=N it sleeps N milliseconds instead and answers 200 with its
// process id, to show that the next invocation gets a new process.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	sleep := time.Second
	if deadline, ok := ctx.Deadline(); ok {
		sleep += time.Until(deadline)
	}
	if ms, err := strconv.Atoi(req.QueryStringParameters["ms"]); err == nil {
		sleep = time.Duration(ms) * time.Millisecond
	}
	log.Printf("sleeping %s", sleep.Round(time.Millisecond))
	time.Sleep(sleep)
	return events.APIGatewayProxyResponse{
		StatusCode: 200,
		Body:       fmt.Sprintf(`{"pid":%d}`, os.Getpid()),
	}, nil
}

func main() {
	lambda.Start(handle)
}
