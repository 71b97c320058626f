package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	execlog "github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
)

// The conformance Lambda function (testdata/lambdafn, aws-lambda-go) is
// built once per process and run by one local Lambda service.
const conformanceFn = "conformance"

// conformanceLambda returns the local Lambda service running the
// programmable conformance function.
var conformanceLambda = sync.OnceValues(func() (*lambda.Service, error) {
	return startFunction(filepath.Join("testdata", "lambdafn"), "conformance-lambdafn", conformanceFn, "conformance Lambda function")
})

// startFunction builds the aws-lambda-go function whose source is src
// (relative to this package's directory) and runs it as the function
// name of a local Lambda service. The binary is cached per user as bin,
// replaced atomically: a concurrent run keeps executing the file it
// started. what names the function in errors.
func startFunction(src, bin, name, what string) (*lambda.Service, error) {
	path, err := buildFunction(src, bin, what)
	if err != nil {
		return nil, err
	}
	return lambda.New(lambda.Config{Logger: discardLogger()}, lambda.Function{Name: name, Command: []string{path}, Timeout: functionTimeout})
}

// functionTimeout bounds one invocation of a conformance function.
const functionTimeout = 10 * time.Second

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// buildFunction builds the aws-lambda-go function whose source is src
// (relative to this package's directory) and returns the path of the
// binary, cached per user as bin and replaced atomically.
func buildFunction(src, bin, what string) (string, error) {
	_, file, _, ok := goruntime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the conformance package source")
	}
	src = filepath.Join(filepath.Dir(file), src)
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "archway")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, bin+"-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	cmd := exec.Command("go", "build", "-o", tmp.Name(), ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("building the %s %s: %w\n%s", what, src, err, out)
	}
	bin = filepath.Join(dir, bin)
	if err := os.Rename(tmp.Name(), bin); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("installing the %s: %w", what, err)
	}
	return bin, nil
}

// newLambdaHarness serves api with the conformance Lambda service behind
// its AWS and AWS_PROXY integrations.
func newLambdaHarness(api *apigw.RestAPI, stage apigw.Stage) (*harness, error) {
	svc, err := conformanceLambda()
	if err != nil {
		return nil, err
	}
	return newHarnessWith(api, stage, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Lambda: svc})
}

const conformanceFnURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:" + conformanceFn + "/invocations"

func lambdaMethod(verb string, typ apigw.IntegrationType) *apigw.Method {
	return &apigw.Method{
		HTTPMethod:  verb,
		Integration: &apigw.Integration{Type: typ, HTTPMethod: "POST", URI: conformanceFnURI},
	}
}

// apiHost is the Host of the conformance API, so requests name it as
// clients of {api-id}.execute-api.{region}.amazonaws.com do.
const apiHost = "conformance.execute-api.us-east-1.amazonaws.com"

// sendRaw sends a request with a path and query taken as the client wrote
// them (a fragment is never sent; spaces are percent-encoded as clients do).
func (h *harness) sendRaw(ctx context.Context, method, pathQuery string, headers map[string]string, body *string) (*exchange, error) {
	if i := strings.IndexByte(pathQuery, '#'); i >= 0 {
		pathQuery = pathQuery[:i]
	}
	pathQuery = strings.ReplaceAll(pathQuery, " ", "%20")
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(*body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+pathQuery, rd)
	if err != nil {
		return nil, err
	}
	req.Host = apiHost
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	req.Header.Set("Accept", "*/*")
	for k, v := range headers {
		switch strings.ToLower(k) {
		case "host":
			continue
		case "connection":
			req.Close = strings.EqualFold(v, "close")
		}
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header[k] = []string{v}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &exchange{status: resp.StatusCode, header: resp.Header, body: b, rec: h.record()}, nil
}

// edgeOnly reports headers only an EDGE (CloudFront) endpoint adds; the
// README says to ignore them.
func edgeOnly(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "cloudfront-") || strings.HasPrefix(n, "x-amz-cf-") || n == "x-cache"
}

// proxyVectorAPI builds the API of a proxy-event vector from lines such as
// "/{proxy+} ANY AWS_PROXY".
func proxyVectorAPI(resources []string) *apigw.RestAPI {
	res := map[string]map[string]*apigw.Method{}
	for _, line := range resources {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		verb := f[1]
		if res[f[0]] == nil {
			res[f[0]] = map[string]*apigw.Method{}
		}
		res[f[0]][verb] = lambdaMethod(verb, apigw.IntegrationType(f[2]))
	}
	return restAPI(res)
}

// echoedEvent reads the event the conformance function echoed.
func echoedEvent(x *exchange) (map[string]any, error) {
	if x.status != 200 {
		return nil, fmt.Errorf("the echo route answered %d: %s", x.status, truncate(string(x.body)))
	}
	var ev map[string]any
	if err := json.Unmarshal(x.body, &ev); err != nil {
		return nil, fmt.Errorf("the echoed event is not JSON: %w", err)
	}
	return ev, nil
}

// normaliseEvent brings a recorded and an actual event to the recording's
// conventions: header names compared case-insensitively, EDGE-only headers
// left out, JSON-looking bodies parsed (the recorder did that), numbers
// compared as text where a placeholder stands for them, and the recorder's
// AWS account id, which no local gateway can share, as a placeholder.
func normaliseEvent(expected, actual map[string]any) {
	for _, k := range []string{"headers", "multiValueHeaders"} {
		expected[k] = lowerKeys(expected[k], true)
		actual[k] = lowerKeys(actual[k], false)
	}
	if mv, ok := expected["multiValueHeaders"].(map[string]any); ok {
		for k, v := range mv {
			if s, ok := v.(string); ok {
				mv[k] = []any{s} // the recorder flattened some single-item lists
			}
		}
	}
	if s, ok := actual["body"].(string); ok {
		var parsed any
		if json.Unmarshal([]byte(s), &parsed) == nil {
			if _, isObj := parsed.(map[string]any); isObj {
				if _, expObj := expected["body"].(map[string]any); expObj {
					actual["body"] = parsed
				}
			}
		}
	}
	if rc, ok := expected["requestContext"].(map[string]any); ok {
		if _, has := rc["accountId"]; has {
			rc["accountId"] = "<account-id>"
		}
	}
	placeholderNumbers(expected, actual)
}

func lowerKeys(v any, dropEdge bool) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		if dropEdge && edgeOnly(k) {
			continue
		}
		if !dropEdge && edgeOnly(k) {
			continue
		}
		out[strings.ToLower(k)] = val
	}
	return out
}

// placeholderNumbers turns actual numbers into text where the recording
// holds a placeholder string for them (<request-time-epoch>).
func placeholderNumbers(expected, actual any) {
	em, ok := expected.(map[string]any)
	if !ok {
		return
	}
	am, ok := actual.(map[string]any)
	if !ok {
		return
	}
	for k, ev := range em {
		if s, ok := ev.(string); ok && strings.Contains(s, "<") {
			if n, ok := am[k].(float64); ok {
				am[k] = fmt.Sprintf("%.0f", n)
			}
			continue
		}
		placeholderNumbers(ev, am[k])
	}
}

// diffJSON explains the first difference between two decoded values.
func diffJSON(m *matcher, path string, e, a any) string {
	switch ev := e.(type) {
	case map[string]any:
		am, ok := a.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an object", path, compact(a))
		}
		for _, k := range sortedKeys(ev) {
			if _, ok := am[k]; !ok {
				return fmt.Sprintf("%s.%s: missing (want %s)", path, k, compact(ev[k]))
			}
			if d := diffJSON(m, path+"."+k, ev[k], am[k]); d != "" {
				return d
			}
		}
		for _, k := range sortedKeys(am) {
			if _, ok := ev[k]; !ok {
				return fmt.Sprintf("%s.%s: unexpected (got %s)", path, k, compact(am[k]))
			}
		}
		return ""
	}
	if !deepMatch(m, e, a) {
		return fmt.Sprintf("%s: got %s, want %s", path, compact(a), compact(e))
	}
	return ""
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return truncate(string(b))
}

func runProxyEventV1(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		API struct {
			Resources []string `json:"resources"`
			Stage     string   `json:"stage"`
		} `json:"api"`
		Client *struct {
			Method    string            `json:"method"`
			PathQuery string            `json:"url_path_and_query"`
			Headers   map[string]string `json:"headers"`
			Body      *string           `json:"body"`
		} `json:"client_request"`
	}
	var exp struct {
		Event map[string]any `json:"lambda_event"`
	}
	if len(v.Inputs) == 0 {
		return Unsupported, "SDK sample event (" + v.Provenance + ", reference only): no client request to replay"
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, "inputs: " + err.Error()
	}
	if err := json.Unmarshal(v.Expected, &exp); err != nil {
		return Fail, "expected: " + err.Error()
	}
	if in.Client == nil || len(in.API.Resources) == 0 {
		return Unsupported, "documentation example without a recorded client request or API: it shows the event shape (with authorizer and clientCert blocks that appear only when applicable, and HTTP API fields), not an input to replay; the recorded proxy-event-v1 vectors pin the same fields"
	}
	h, err := newLambdaHarness(proxyVectorAPI(in.API.Resources), apigw.Stage{Name: in.API.Stage})
	if err != nil {
		return Unsupported, "no local Lambda function to run: " + err.Error()
	}
	defer h.close()
	x, err := h.sendRaw(ctx, in.Client.Method, in.Client.PathQuery, in.Client.Headers, in.Client.Body)
	if err != nil {
		return Fail, err.Error()
	}
	got, err := echoedEvent(x)
	if err != nil {
		return Fail, err.Error()
	}
	normaliseEvent(exp.Event, got)
	if d := diffJSON(newMatcher(), "event", exp.Event, got); d != "" {
		return Fail, d
	}
	return Pass, ""
}

// referencedHeaders finds the client headers of the vector a note refers
// to ("same 25 headers as ID"), or of its closest sibling when that id is
// not in the loaded set.
func referencedHeaders(note string, all map[string]Vector) (map[string]string, string) {
	i := strings.Index(note, " as ")
	if i < 0 {
		return nil, ""
	}
	id := strings.Fields(note[i+4:])[0]
	read := func(v Vector) map[string]string {
		var in struct {
			Client struct {
				Headers map[string]string `json:"headers"`
			} `json:"client_request"`
		}
		json.Unmarshal(v.Inputs, &in)
		return in.Client.Headers
	}
	if v, ok := all[id]; ok {
		return read(v), id
	}
	// The same recording under another integration type: the id without
	// its last two parts ("-http-e2e").
	parts := strings.Split(id, "-")
	if len(parts) > 2 {
		prefix := strings.Join(parts[:len(parts)-2], "-") + "-"
		for _, k := range sortedKeys(all) {
			if strings.HasPrefix(k, prefix) {
				if hs := read(all[k]); len(hs) > 0 {
					return hs, k
				}
			}
		}
	}
	return nil, id
}

func runProxyEventV1Headers(ctx context.Context, v Vector, all map[string]Vector) (Outcome, string) {
	var in struct {
		API struct {
			Integration string `json:"integration"`
		} `json:"api"`
		Client *struct {
			Method string `json:"method"`
			Note   string `json:"note"`
		} `json:"client_request"`
	}
	var exp struct {
		Headers map[string]string `json:"lambda_event_headers"`
		Body    json.RawMessage   `json:"lambda_event_body"`
	}
	json.Unmarshal(v.Inputs, &in)
	json.Unmarshal(v.Expected, &exp)
	method, note := "GET", v.Notes
	if in.Client != nil {
		method, note = in.Client.Method, in.Client.Note
	} else {
		// The note of the vector this one says it is identical to.
		for _, k := range sortedKeys(all) {
			o := all[k]
			if o.Kind == v.Kind && o.ID != v.ID && bytes.Contains(o.Inputs, []byte(`"note"`)) {
				var oi struct {
					Client struct {
						Note string `json:"note"`
					} `json:"client_request"`
				}
				json.Unmarshal(o.Inputs, &oi)
				note = oi.Client.Note
				break
			}
		}
	}
	headers, ref := referencedHeaders(note, all)
	if len(headers) == 0 {
		return Unsupported, "the client headers are given by reference to vector " + ref + ", which is not in the loaded vector files"
	}
	m := lambdaMethod(method, apigw.IntegrationAWSProxy)
	if strings.Contains(in.API.Integration, "requestParameters") {
		// Static header mappings, which AWS_PROXY ignores; reserved names
		// would fail every call, so the recording could not have used them.
		m.Integration.RequestParameters = map[string]string{}
		for k := range exp.Headers {
			switch strings.ToLower(k) {
			case "content-length", "transfer-encoding", "authorization", "connection", "expect", "proxy-authenticate", "te":
				continue
			}
			m.Integration.RequestParameters["integration.request.header."+k] = "'mapped-" + k + "'"
		}
	}
	h, err := newLambdaHarness(restAPI(map[string]map[string]*apigw.Method{"/headers": {method: m}}), apigw.Stage{Name: "dev"})
	if err != nil {
		return Unsupported, "no local Lambda function to run: " + err.Error()
	}
	defer h.close()
	x, err := h.sendRaw(ctx, method, "/dev/headers", headers, nil)
	if err != nil {
		return Fail, err.Error()
	}
	ev, err := echoedEvent(x)
	if err != nil {
		return Fail, err.Error()
	}
	want := map[string]any{}
	for k, val := range exp.Headers {
		want[k] = val
	}
	e := map[string]any{"headers": want}
	a := map[string]any{"headers": ev["headers"]}
	normaliseEvent(e, a)
	if d := diffJSON(newMatcher(), "event", e, a); d != "" {
		return Fail, d
	}
	if len(exp.Body) > 0 {
		var eb any
		json.Unmarshal(exp.Body, &eb)
		if !deepMatch(newMatcher(), eb, ev["body"]) && !(eb == nil && ev["body"] == nil) {
			return Fail, fmt.Sprintf("event body %s, want %s", compact(ev["body"]), string(exp.Body))
		}
	}
	return Pass, ""
}

// functionRaises is how vectors say the function failed.
const functionRaises = "__FUNCTION_RAISES__"

// instructionHeaders tells the conformance function what to do.
func instructionHeaders(returns json.RawMessage, raise *lambda.FunctionErrorPayload) map[string]string {
	h := map[string]string{}
	if raise != nil {
		b, _ := json.Marshal(raise)
		h["X-Conformance-Raise"] = base64.StdEncoding.EncodeToString(b)
	} else if returns != nil {
		h["X-Conformance-Return"] = base64.StdEncoding.EncodeToString(returns)
	}
	return h
}

func isRaise(returns json.RawMessage) bool {
	var s string
	return json.Unmarshal(returns, &s) == nil && s == functionRaises
}

func runLambdaProxyResponse(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		API struct {
			Binary []string `json:"binaryMediaTypes"`
		} `json:"api"`
		Binary  []string        `json:"binaryMediaTypes"`
		Accept  *string         `json:"client_accept"`
		Returns json.RawMessage `json:"lambda_returns"`
		Client  *struct {
			Method  string            `json:"method"`
			Headers map[string]string `json:"headers"`
		} `json:"client_request"`
	}
	var exp struct {
		Status int `json:"status"`
		Client *struct {
			Content json.RawMessage   `json:"content"`
			Headers map[string]string `json:"headers"`
		} `json:"client_response"`
		ClientBody json.RawMessage `json:"client_body"`
		Receives   string          `json:"client_receives"`
		Payload    json.RawMessage `json:"payload"`
	}
	json.Unmarshal(v.Expected, &exp)
	if len(v.Inputs) == 0 && exp.Payload != nil {
		// An SDK sample response: a valid proxy response the client
		// receives as its statusCode and body.
		var sample struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(exp.Payload, &sample); err != nil {
			return Fail, "sample payload: " + err.Error()
		}
		in.Returns = exp.Payload
		exp.Status = sample.StatusCode
		b, _ := json.Marshal(sample.Body)
		exp.ClientBody = b
	} else if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, "inputs: " + err.Error()
	}
	if in.Returns == nil {
		return Unsupported, "the vector records no Lambda return value"
	}
	method := "GET"
	headers := map[string]string{}
	if in.Client != nil {
		method = in.Client.Method
		for k, val := range in.Client.Headers {
			headers[k] = val
		}
	}
	var raise *lambda.FunctionErrorPayload
	if isRaise(in.Returns) {
		raise = &lambda.FunctionErrorPayload{ErrorMessage: "the function raised", ErrorType: "Exception"}
	}
	for k, val := range instructionHeaders(in.Returns, raise) {
		headers[k] = val
	}
	api := restAPI(map[string]map[string]*apigw.Method{"/fn": {method: lambdaMethod(method, apigw.IntegrationAWSProxy)}})
	api.BinaryMediaTypes = append(in.API.Binary, in.Binary...)
	h, err := newLambdaHarness(api, apigw.Stage{Name: "dev"})
	if err != nil {
		return Unsupported, "no local Lambda function to run: " + err.Error()
	}
	defer h.close()
	x, err := h.sendRawAccept(ctx, method, "/dev/fn", headers, in.Accept, v.Inputs)
	if err != nil {
		return Fail, err.Error()
	}
	if x.status != exp.Status {
		return Fail, fmt.Sprintf("status %d, want %d (body %q)", x.status, exp.Status, truncate(string(x.body)))
	}
	content := exp.ClientBody
	if exp.Client != nil {
		content = exp.Client.Content
		if why := matchResponseHeaders(exp.Client.Headers, x.header); why != "" {
			return Fail, why
		}
	}
	if len(content) > 0 {
		var s string
		if json.Unmarshal(content, &s) == nil {
			if string(x.body) != s {
				return Fail, fmt.Sprintf("body %q, want %q", truncate(string(x.body)), s)
			}
		} else if ok, why := jsonEqual(content, x.body); !ok {
			return Fail, why
		}
	}
	if exp.Receives != "" {
		var ret struct {
			Body string `json:"body"`
		}
		json.Unmarshal(in.Returns, &ret)
		want := []byte(ret.Body)
		if strings.Contains(exp.Receives, "decoded") {
			want, _ = base64.StdEncoding.DecodeString(ret.Body)
		}
		if !bytes.Equal(x.body, want) {
			return Fail, fmt.Sprintf("client received %q, want %s (%q)", truncate(string(x.body)), exp.Receives, truncate(string(want)))
		}
	}
	return Pass, ""
}

// sendRawAccept sends with the vector's Accept: absent from the inputs
// keeps the default, JSON null sends none.
func (h *harness) sendRawAccept(ctx context.Context, method, path string, headers map[string]string, accept *string, inputs json.RawMessage) (*exchange, error) {
	if accept != nil {
		headers["Accept"] = *accept
		return h.sendRaw(ctx, method, path, headers, nil)
	}
	if bytes.Contains(inputs, []byte(`"client_accept": null`)) || bytes.Contains(inputs, []byte(`"client_accept":null`)) {
		headers["Accept"] = ""
	}
	return h.sendRaw(ctx, method, path, headers, nil)
}

// matchResponseHeaders compares recorded response headers, leaving out
// what the EDGE recording's CloudFront added and Connection (the
// recorder's transport). Multi-value headers were recorded comma-joined.
func matchResponseHeaders(expected map[string]string, actual http.Header) string {
	m := newMatcher()
	for k, v := range expected {
		if edgeOnly(k) || strings.EqualFold(k, "Via") || strings.EqualFold(k, "Connection") {
			continue
		}
		var got []string
		for ak, vs := range actual {
			if strings.EqualFold(ak, k) {
				got = append(got, vs...)
			}
		}
		if len(got) == 0 {
			return fmt.Sprintf("header %s missing (want %q)", k, v)
		}
		if !m.match(v, strings.Join(got, ", ")) && !m.match(v, strings.Join(got, ",")) {
			return fmt.Sprintf("header %s = %q, want %q", k, strings.Join(got, ", "), v)
		}
	}
	return ""
}

// runLambdaError runs the Lambda error-response and integration-response
// vectors: AWS_PROXY failures and AWS (non-proxy) selection by errorMessage.
func runLambdaError(ctx context.Context, v Vector, in errorInputs, exp errorExpected) (Outcome, string) {
	var extra struct {
		Responses []struct {
			StatusCode       string `json:"statusCode"`
			SelectionPattern string `json:"selectionPattern"`
		} `json:"integration_responses"`
		LogLine string `json:"execution_log_line_expected"`
	}
	json.Unmarshal(v.Inputs, &extra)
	json.Unmarshal(v.Expected, &extra)
	integ := string(in.Integration)
	proxy := strings.Contains(integ, "AWS_PROXY")
	var raise *lambda.FunctionErrorPayload
	switch {
	case in.Lambda != nil && strings.Contains(string(in.Lambda), "raises"):
		// The function raised the error the client received.
		var body lambda.FunctionErrorPayload
		if err := json.Unmarshal(exp.BodyJSON, &body); err != nil || body.ErrorMessage == "" {
			return Unsupported, "the vector does not record the raised error"
		}
		raise = &lambda.FunctionErrorPayload{ErrorMessage: body.ErrorMessage, ErrorType: body.ErrorType}
	case in.LambdaReturns != nil && isRaise(in.LambdaReturns):
		raise = &lambda.FunctionErrorPayload{ErrorMessage: "the function raised", ErrorType: "Exception"}
	case in.LambdaReturns == nil:
		return Unsupported, "the vector records neither the Lambda's return value nor its error"
	}
	var m *apigw.Method
	headers := map[string]string{"Content-Type": "application/json"}
	body := ""
	if proxy {
		m = lambdaMethod("POST", apigw.IntegrationAWSProxy)
		for k, val := range instructionHeaders(in.LambdaReturns, raise) {
			headers[k] = val
		}
	} else {
		m = lambdaMethod("POST", apigw.IntegrationAWS)
		m.MethodResponses = map[string]*apigw.MethodResponse{}
		resps := extra.Responses
		if len(resps) == 0 {
			resps = append(resps, struct {
				StatusCode       string `json:"statusCode"`
				SelectionPattern string `json:"selectionPattern"`
			}{StatusCode: "200"})
		}
		for _, r := range resps {
			key := r.SelectionPattern
			if key == "" {
				key = "default"
			}
			m.Integration.IntegrationResponses = append(m.Integration.IntegrationResponses, &apigw.IntegrationResponse{Key: key, StatusCode: r.StatusCode, SelectionPattern: r.SelectionPattern})
			m.MethodResponses[r.StatusCode] = &apigw.MethodResponse{StatusCode: r.StatusCode}
		}
		payload := map[string]any{}
		if raise != nil {
			payload["x-raise"] = raise
		} else {
			payload["x-return"] = in.LambdaReturns
		}
		b, _ := json.Marshal(payload)
		body = string(b)
	}
	h, err := newLambdaHarness(restAPI(map[string]map[string]*apigw.Method{"/fn": {"POST": m}}), apigw.Stage{Name: "dev", LoggingLevel: "INFO"})
	if err != nil {
		return Unsupported, "no local Lambda function to run: " + err.Error()
	}
	defer h.close()
	x, err := h.sendRaw(ctx, "POST", "/dev/fn", headers, &body)
	if err != nil {
		return Fail, err.Error()
	}
	if x.status != exp.Status {
		return Fail, fmt.Sprintf("status %d, want %d (body %s)", x.status, exp.Status, truncate(string(x.body)))
	}
	if exp.BodyJSON != nil {
		want := exp.BodyJSON
		if raise != nil && !proxy {
			// requestId and stackTrace are written by the recorded
			// function's Python runtime, not by API Gateway: compare what
			// the gateway passes through from any runtime.
			want = dropKeys(want, "requestId", "stackTrace")
			x.body = dropKeys(x.body, "requestId", "stackTrace")
		}
		if ok, why := jsonEqual(want, x.body); !ok {
			return Fail, why
		}
	}
	if extra.LogLine != "" {
		if x.rec == nil {
			return Fail, "no execution record"
		}
		lines := x.rec.Lines(execlog.LogOptions{Level: execlog.LevelInfo})
		found := false
		for _, l := range lines {
			if newMatcher().match(extra.LogLine, l.Msg) {
				found = true
				break
			}
		}
		if !found {
			var all []string
			for _, l := range lines {
				all = append(all, l.Msg)
			}
			return Fail, fmt.Sprintf("no execution-log line %q in %q", extra.LogLine, all)
		}
	}
	return Pass, ""
}

func dropKeys(raw []byte, keys ...string) []byte {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	for _, k := range keys {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return b
}

// runAWSLambdaIntegration runs an AWS (non-proxy) Lambda integration
// without templates: the client body is the payload and the function's
// result is the client body.
func runAWSLambdaIntegration(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		Integration string `json:"integration"`
		Lambda      string `json:"lambda"`
		Client      struct {
			Method  string          `json:"method"`
			Body    string          `json:"body"`
			Headers json.RawMessage `json:"headers"`
		} `json:"client_request"`
	}
	var exp errorExpected
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, "inputs: " + err.Error()
	}
	json.Unmarshal(v.Expected, &exp)
	if !strings.Contains(in.Integration, "no templates") || in.Lambda != "returns event" {
		return Unsupported, "only the template-less passthrough to a function that returns its event is described precisely enough to run"
	}
	verb := in.Client.Method
	m := lambdaMethod(verb, apigw.IntegrationAWS)
	m.MethodResponses = map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}}
	m.Integration.IntegrationResponses = []*apigw.IntegrationResponse{{Key: "default", StatusCode: "200"}}
	h, err := newLambdaHarness(restAPI(map[string]map[string]*apigw.Method{"/fn": {verb: m}}), apigw.Stage{Name: "dev"})
	if err != nil {
		return Unsupported, "no local Lambda function to run: " + err.Error()
	}
	defer h.close()
	body := in.Client.Body
	x, err := h.sendRaw(ctx, verb, "/dev/fn", nil, &body)
	if err != nil {
		return Fail, err.Error()
	}
	if why := checkError(x, exp); why != "" {
		return Fail, why
	}
	return Pass, ""
}
