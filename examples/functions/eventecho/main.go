// Command eventecho is a Lambda function for AWS (non-proxy) integrations:
// whatever payload it receives, it answers with a proxy-response-shaped
// object whose body echoes that payload, as the echo functions of the
// recorded AWS tests do.
//
// Without EVENTECHO_PREFIX it answers
//
//	{"statusCode":200,"body":"<the payload as JSON text>","isBase64Encoded":false}
//
// With EVENTECHO_PREFIX set it answers
//
//	{"statusCode":200,"body":"<JSON string of PREFIX + the payload>","isBase64Encoded":false,"headers":{}}
//
// so the body is itself a JSON string literal. The payload is echoed
// compacted, with its keys in the order received.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type answer struct {
	StatusCode      int                `json:"statusCode"`
	Body            string             `json:"body"`
	IsBase64Encoded bool               `json:"isBase64Encoded"`
	Headers         *map[string]string `json:"headers,omitempty"`
}

func handle(_ context.Context, ev json.RawMessage) (json.RawMessage, error) {
	var payload bytes.Buffer
	if err := json.Compact(&payload, ev); err != nil {
		return nil, fmt.Errorf("compacting the payload: %w", err)
	}
	a := answer{StatusCode: 200, Body: payload.String()}
	if prefix, ok := os.LookupEnv("EVENTECHO_PREFIX"); ok {
		quoted, err := marshal(prefix + payload.String())
		if err != nil {
			return nil, err
		}
		a.Body = string(quoted)
		a.Headers = &map[string]string{}
	}
	return marshal(a)
}

// marshal encodes v without Go's HTML escaping, as JSON.stringify and
// json.dumps do.
func marshal(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding the answer: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func main() {
	lambda.Start(handle)
}
