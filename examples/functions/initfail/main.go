// Command initfail is a Lambda function that fails during init, before it
// asks for its first invocation.
//
// By default it exits (log.Fatal), as a Go function does when its
// configuration is missing: Lambda reports Runtime.ExitError. With
// INITFAIL_MODE=report it first posts the error to the Runtime API's
// /init/error, as managed runtimes do, so the invoker gets that error
// object.
package main

import (
	"bytes"
	"log"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func init() {
	if os.Getenv("REQUIRED_SETTING") != "" {
		return
	}
	const msg = "initfail: REQUIRED_SETTING is not set"
	if os.Getenv("INITFAIL_MODE") == "report" {
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		body := `{"errorMessage":"` + msg + `","errorType":"InitConfigError"}`
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
		if err == nil {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", "InitConfigError")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_ = resp.Body.Close()
			}
		}
	}
	log.Fatal(msg)
}

func handle() (string, error) { return "initialized", nil }

func main() {
	lambda.Start(handle)
}
