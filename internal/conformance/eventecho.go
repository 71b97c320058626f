package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
)

// The example function examples/functions/eventecho stands for the echo
// functions of the recorded AWS (non-proxy) Lambda tests. It runs as two
// functions of one local Lambda service:
//   - eventechoFn answers {"statusCode":200,"body":"<payload>",...}, as
//     LocalStack's lambda_aws_proxy.py (TestApiGatewayHeaderRemapping);
//   - eventechoGreetFn answers {"statusCode":200,"body":"\"response from
//     localstack lambda: <payload>\"",...,"headers":{}}, as LocalStack's
//     lambda_handler.js (test_apigw_test_invoke_method_api).
const (
	eventechoFn      = "eventecho"
	eventechoGreetFn = "eventecho-greeting"
	// eventechoGreeting is the text lambda_handler.js puts before the event.
	eventechoGreeting = "response from localstack lambda: "
)

// eventechoLambda returns the local Lambda service running both eventecho
// functions, built and started on first use.
var eventechoLambda = sync.OnceValues(func() (*lambda.Service, error) {
	bin, err := buildFunction(filepath.Join("..", "..", "examples", "functions", "eventecho"), "conformance-eventecho", "example eventecho function")
	if err != nil {
		return nil, err
	}
	return lambda.New(lambda.Config{Logger: discardLogger()},
		lambda.Function{Name: eventechoFn, Command: []string{bin}, Timeout: functionTimeout},
		lambda.Function{Name: eventechoGreetFn, Command: []string{bin}, Timeout: functionTimeout, Env: map[string]string{"EVENTECHO_PREFIX": eventechoGreeting}})
})

// eventechoURI is the integration URI of the named eventecho function.
func eventechoURI(fn string) string {
	return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:" + fn + "/invocations"
}

// newEventechoHarness serves api with the eventecho functions behind its
// AWS and AWS_PROXY integrations.
func newEventechoHarness(api *apigw.RestAPI, stage apigw.Stage) (*harness, error) {
	svc, err := eventechoLambda()
	if err != nil {
		return nil, err
	}
	return newHarnessWith(api, stage, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Lambda: svc})
}

// runAWSLambdaHeaders runs an AWS (non-proxy) integration-headers vector
// through the eventecho function, as TestApiGatewayHeaderRemapping's
// _aws variant did with lambda_aws_proxy.py: the function answers
// {"statusCode":200,"body":"<event>","isBase64Encoded":false}, the
// recording kept that answer's "headers" (absent: null) and its body
// parsed, and the client's response headers.
func runAWSLambdaHeaders(ctx context.Context, exp map[string]remapRoute) (Outcome, string) {
	api := remapAPI(apigw.IntegrationAWS, eventechoURI(eventechoFn))
	h, err := newEventechoHarness(api, apigw.Stage{Name: "test"})
	if err != nil {
		return Fail, "no local Lambda function to run: " + err.Error()
	}
	defer h.close()
	for _, route := range []string{"no-param", "full"} {
		want, ok := exp[route+"-route"]
		if !ok {
			continue
		}
		if why := checkAWSRemapRoute(ctx, h, route, want); why != "" {
			return Fail, route + ": " + why
		}
	}
	return Pass, ""
}

func checkAWSRemapRoute(ctx context.Context, h *harness, route string, want remapRoute) string {
	resp, body, err := sendRemapRequest(ctx, h, route)
	if err != nil {
		return err.Error()
	}
	if resp.StatusCode != 200 {
		return fmt.Sprintf("status %d: %s", resp.StatusCode, body)
	}
	var answer struct {
		Body    *string        `json:"body"`
		Headers map[string]any `json:"headers"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Body == nil {
		return "the function's answer was not returned: " + string(body)
	}
	m := newMatcher()
	if want.Headers == nil && answer.Headers != nil {
		return fmt.Sprintf("answer headers %v, want none", answer.Headers)
	}
	var wantEvent, gotEvent any
	if err := json.Unmarshal(want.Body, &wantEvent); err != nil {
		return "recorded body is not JSON: " + err.Error()
	}
	if err := json.Unmarshal([]byte(*answer.Body), &gotEvent); err != nil {
		return fmt.Sprintf("the event the function received is not JSON: %q", *answer.Body)
	}
	if why := diffJSON(m, "event", wantEvent, gotEvent); why != "" {
		return why
	}
	if why := placeholdersFilled(wantEvent, gotEvent); why != "" {
		return why
	}
	return compareLengths(m, want.ResponseHeaders, resp.Header, len(body))
}

// testInvokeLineRE reads the recorded TestInvoke request of an
// execution-log vector: "VERB /path ?query, header name: value, body BODY".
var testInvokeLineRE = regexp.MustCompile(`^([A-Z]+) (/\S*)(?: (\?\S+))?(?:, header ([^:,]+): ([^,]+))?(?:, body (.*))?$`)

// runLambdaExecutionLog runs the execution-log vector of LocalStack's
// test_apigw_test_invoke_method_api: a TestInvoke of GET /foo integrated
// with lambda_handler.js (here the eventecho-greeting function). The
// vector's inputs call the integration "AWS_PROXY Lambda", but the test
// creates type "AWS", and the recorded lines are those of the non-proxy
// integration: the endpoint request body is the client body untouched
// (not a proxy event) and the method response body is the function's
// answer untransformed. The runner follows the recorded lines.
func runLambdaExecutionLog(ctx context.Context, testInvoke string, exp executionLogExpected) (Outcome, string) {
	sm := testInvokeLineRE.FindStringSubmatch(testInvoke)
	if sm == nil {
		return Unsupported, "cannot read the recorded TestInvoke request " + testInvoke
	}
	verb, resource, query, body := sm[1], sm[2], sm[3], sm[6]
	headers := map[string]string{}
	if sm[4] != "" {
		headers[sm[4]] = sm[5]
	}
	m := &apigw.Method{
		HTTPMethod: verb,
		// The recorded 200 needs a method response and a default
		// integration response (without them AWS fails with 500).
		MethodResponses: map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}},
		Integration: &apigw.Integration{Type: apigw.IntegrationAWS, HTTPMethod: "POST", URI: eventechoURI(eventechoGreetFn),
			IntegrationResponses: []*apigw.IntegrationResponse{{Key: "default", StatusCode: "200"}}},
	}
	api := restAPI(map[string]map[string]*apigw.Method{resource: {verb: m}})
	h, err := newEventechoHarness(api, apigw.Stage{Name: "test-invoke-stage", LoggingLevel: "INFO", DataTraceEnabled: true})
	if err != nil {
		return Fail, "no local Lambda function to run: " + err.Error()
	}
	defer h.close()
	res, err := h.gw.TestInvoke(ctx, gateway.TestInvokeRequest{Stage: "test-invoke-stage", ResourcePath: resource, HTTPMethod: verb,
		PathWithQueryString: resource + query, Headers: headers, Body: body})
	if err != nil {
		return Fail, err.Error()
	}
	if res.Status != exp.Status {
		return Fail, fmt.Sprintf("status %d, want %d: %s\n%s", res.Status, exp.Status, res.Body, res.Log)
	}
	if ok, why := jsonEqual(exp.Body, res.Body); exp.Body != nil && !ok {
		return Fail, why
	}
	if why := checkAllLogLines(res.Log, recordedAccount(exp.LogLines)); why != "" {
		if strings.Contains(why, "Endpoint request headers") || strings.Contains(why, "Endpoint response headers") {
			why = "Archway invokes the local function in process, unsigned (no SigV4 Authorization, X-Amz-Date or " +
				"X-Amz-Security-Token) and without an HTTP exchange with a Lambda service, so it has no endpoint request " +
				"or response headers to log (docs/aws-behaviour.md, Vectors that disagree): " + why
		}
		return Fail, why
	}
	return Pass, ""
}

// recordedAccount replaces the account id of the recording's snapshot
// (111111111111), which no local gateway can share, by a placeholder.
func recordedAccount(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.ReplaceAll(l, ":111111111111:", ":<account-id>:")
	}
	return out
}

// checkAllLogLines compares a TestInvoke log with the recorded lines as
// checkLog does, but reports every differing line rather than the first,
// so that a known difference does not hide others.
func checkAllLogLines(text string, want []string) string {
	got := strings.Split(text, "\n")
	m := newMatcher()
	var diffs []string
	for i := 0; i < len(want) || i < len(got); i++ {
		switch {
		case i >= len(got):
			diffs = append(diffs, fmt.Sprintf("line %d missing, want %q", i+1, want[i]))
		case i >= len(want):
			diffs = append(diffs, fmt.Sprintf("line %d = %q, not recorded", i+1, got[i]))
		case !m.match(want[i], got[i]):
			diffs = append(diffs, fmt.Sprintf("line %d = %q, want %q", i+1, got[i], want[i]))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d log lines differ: %s", len(diffs), len(want), strings.Join(diffs, "; "))
}

// placeholdersFilled requires a value where the recorded event holds a
// placeholder: the recorder replaced values it saw (the client's Date and
// Via, the API's Host), and a placeholder also matches the empty string,
// which would let a header the template could not see pass.
func placeholdersFilled(want, got any) string {
	wm, _ := want.(map[string]any)
	gm, _ := got.(map[string]any)
	for _, k := range sortedKeys(wm) {
		if s, ok := wm[k].(string); ok && placeholderRE.MatchString(s) && gm[k] == "" {
			return fmt.Sprintf("event.%s is empty, want a value (recorded %s)", k, s)
		}
	}
	return ""
}
