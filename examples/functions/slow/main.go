// Command slow is a Lambda function that takes its time, for concurrency
// tests: it sleeps ?ms= milliseconds (default SLOW_MS, else 100) and
// answers with its process id and when it started and ended (Unix
// nanoseconds), so a test can count how many ran at once.
package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type run struct {
	PID   int   `json:"pid"`
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

func handle(req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	ms, err := strconv.Atoi(req.QueryStringParameters["ms"])
	if err != nil {
		if ms, err = strconv.Atoi(os.Getenv("SLOW_MS")); err != nil {
			ms = 100
		}
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	body, err := json.Marshal(run{PID: os.Getpid(), Start: start.UnixNano(), End: time.Now().UnixNano()})
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(body)}, nil
}

func main() {
	lambda.Start(handle)
}
