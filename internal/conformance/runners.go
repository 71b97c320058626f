package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

type clientRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Query   map[string]string `json:"query"`
	Body    string            `json:"body"`
}

// requestPath returns the request path, dropping a recorder's note in
// parentheses ("/dev/existing (only GET defined)") and adding the query.
func (c clientRequest) requestPath() string {
	p := c.Path
	if i := strings.Index(p, " ("); i >= 0 {
		p = p[:i]
	}
	sep := "?"
	for k, v := range c.Query {
		p += sep + k + "=" + v
		sep = "&"
	}
	return p
}

// onlyDefined reads "(only GET defined)" notes: the resource exists with those methods.
var onlyDefinedRE = regexp.MustCompile(`\(only ([A-Z, ]+) defined\)`)

func splitStagePath(p string) (string, string) {
	p = strings.TrimPrefix(p, "/")
	stage, rest, _ := strings.Cut(p, "/")
	return stage, "/" + rest
}

func runRouting(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		Resources map[string]map[string]string `json:"resources_methods_to_mock_message"`
		Client    *clientRequest               `json:"client_request"`
	}
	var exp struct {
		Status  int    `json:"status"`
		Message string `json:"served_by_message"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil || in.Client == nil || in.Resources == nil {
		return Unsupported, "the vector states a rule without an executable request; it is covered by router unit tests"
	}
	json.Unmarshal(v.Expected, &exp)
	res := map[string]map[string]*apigw.Method{}
	for path, ms := range in.Resources {
		res[path] = map[string]*apigw.Method{}
		for verb, msg := range ms {
			res[path][verb] = mockMethod(verb, msg)
		}
	}
	stage, _ := splitStagePath(in.Client.Path)
	x, err := serveOnce(ctx, restAPI(res), apigw.Stage{Name: stage}, in.Client.Method, in.Client.requestPath(), in.Client.Headers, in.Client.Body)
	if err != nil {
		return Fail, err.Error()
	}
	var body struct {
		Message string `json:"message"`
	}
	json.Unmarshal(x.body, &body)
	if x.status != exp.Status || body.Message != exp.Message {
		return Fail, fmt.Sprintf("got %d %q, want %d served by %q", x.status, x.body, exp.Status, exp.Message)
	}
	return Pass, ""
}

// errorInputs is the union of the error-response input shapes.
type errorInputs struct {
	Client          *clientRequest    `json:"client_request"`
	IntegrationType string            `json:"integration_type"`
	RequestParams   map[string]string `json:"requestParameters"`
	Integration     json.RawMessage   `json:"integration"`
	StageVariables  map[string]string `json:"stage_variables"`
	TestInvoke      *struct {
		HTTPMethod string `json:"httpMethod"`
	} `json:"test_invoke"`
	BackendStatus int             `json:"backend_status"`
	Validator     json.RawMessage `json:"validator"`
	Method        json.RawMessage `json:"method"`
	Lambda        json.RawMessage `json:"lambda"`
	LambdaReturns json.RawMessage `json:"lambda_returns"`
	Binary        json.RawMessage `json:"binaryMediaTypes"`
}

type errorExpected struct {
	Status   int               `json:"status"`
	BodyJSON json.RawMessage   `json:"body_json"`
	Headers  map[string]string `json:"headers"`
	LogLines []string          `json:"log_lines"`
}

func runErrorResponse(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in errorInputs
	var exp errorExpected
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, "inputs: " + err.Error()
	}
	json.Unmarshal(v.Expected, &exp)
	var integ struct {
		Type string `json:"type"`
		URI  string `json:"uri"`
	}
	integText := string(in.Integration)
	json.Unmarshal(in.Integration, &integ)
	switch {
	case in.Lambda != nil || in.LambdaReturns != nil || strings.Contains(integText, "Lambda") || strings.Contains(strings.ToLower(string(v.Inputs)), "lambda_returns"):
		return runLambdaError(ctx, v, in, exp)
	case in.Validator != nil:
		return runRequestValidation(ctx, v, exp)
	case in.Method != nil && strings.Contains(string(in.Method), "apiKeyRequired"):
		return runAPIKeyError(ctx, v, in)
	case in.Binary != nil || strings.Contains(integText, "contentHandling"):
		return runBinaryError(ctx, v, exp)
	case in.IntegrationType != "" && in.RequestParams != nil:
		return reservedHeader(ctx, in, exp)
	case integ.URI != "":
		return invalidEndpoint(ctx, v, in, exp, integ.Type, integ.URI)
	case in.BackendStatus != 0:
		return backendStatus(ctx, in, exp)
	case in.Client != nil:
		return unroutable(ctx, in, exp)
	}
	return Unsupported, "the inputs describe no request the runner can build"
}

func checkError(x *exchange, exp errorExpected) string {
	if x.status != exp.Status {
		return fmt.Sprintf("status %d, want %d (body %s)", x.status, exp.Status, x.body)
	}
	if exp.BodyJSON != nil {
		if ok, why := jsonEqual(exp.BodyJSON, x.body); !ok {
			return why
		}
	}
	if why := matchHeaders(newMatcher(), exp.Headers, x.header); why != "" {
		return why
	}
	if cl, ok := exp.Headers["Content-Length"]; ok && !strings.Contains(cl, "<") && fmt.Sprint(len(x.body)) != cl {
		return fmt.Sprintf("body is %d bytes, want %s: %q", len(x.body), cl, x.body)
	}
	return ""
}

func unroutable(ctx context.Context, in errorInputs, exp errorExpected) (Outcome, string) {
	stage, path := splitStagePath(in.Client.Path)
	res := map[string]map[string]*apigw.Method{}
	if m := onlyDefinedRE.FindStringSubmatch(in.Client.Path); m != nil {
		p := path
		if i := strings.Index(p, " ("); i >= 0 {
			p = p[:i]
		}
		res[p] = map[string]*apigw.Method{}
		for _, verb := range strings.Split(m[1], ",") {
			verb = strings.TrimSpace(verb)
			res[p][verb] = mockMethod(verb, "ok")
		}
	} else {
		res["/existing"] = map[string]*apigw.Method{"GET": mockMethod("GET", "ok")}
	}
	x, err := serveOnce(ctx, restAPI(res), apigw.Stage{Name: stage}, in.Client.Method, in.Client.requestPath(), in.Client.Headers, in.Client.Body)
	if err != nil {
		return Fail, err.Error()
	}
	if why := checkError(x, exp); why != "" {
		return Fail, why
	}
	return Pass, ""
}

func httpMethodTo(t apigw.IntegrationType, uri string) *apigw.Method {
	return &apigw.Method{
		HTTPMethod:      "GET",
		MethodResponses: map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}},
		Integration: &apigw.Integration{
			Type: t, HTTPMethod: "GET", URI: uri,
			IntegrationResponses: []*apigw.IntegrationResponse{{Key: "default", StatusCode: "200"}},
		},
	}
}

func reservedHeader(ctx context.Context, in errorInputs, exp errorExpected) (Outcome, string) {
	backend := echoBackend(200)
	defer backend.Close()
	m := httpMethodTo(apigw.IntegrationType(strings.ToUpper(in.IntegrationType)), backend.URL+"/")
	m.Integration.RequestParameters = in.RequestParams
	x, err := serveOnce(ctx, restAPI(map[string]map[string]*apigw.Method{"/": {"GET": m}}), apigw.Stage{Name: "dev"}, "GET", "/dev/", nil, "")
	if err != nil {
		return Fail, err.Error()
	}
	if why := checkError(x, exp); why != "" {
		return Fail, why
	}
	return Pass, ""
}

func invalidEndpoint(ctx context.Context, v Vector, in errorInputs, exp errorExpected, typ, uri string) (Outcome, string) {
	m := httpMethodTo(apigw.IntegrationType(typ), uri)
	h, err := newHarness(restAPI(map[string]map[string]*apigw.Method{"/": {"GET": m}}), apigw.Stage{Name: "dev", Variables: in.StageVariables, LoggingLevel: "INFO", DataTraceEnabled: true})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	var x *exchange
	if in.TestInvoke != nil {
		x, err = h.invoke(ctx, "dev", "/", in.TestInvoke.HTTPMethod, "", "")
	} else {
		x, err = h.do(ctx, "GET", "/dev/", nil, "")
	}
	if err != nil {
		return Fail, err.Error()
	}
	if why := checkError(x, exp); why != "" {
		return Fail, why
	}
	if exp.LogLines != nil {
		if why := checkLog(x.log, exp.LogLines); why != "" {
			return Fail, why
		}
	}
	return Pass, ""
}

// checkLog compares a TestInvoke execution log with the recorded lines.
func checkLog(text string, want []string) string {
	got := strings.Split(text, "\n")
	m := newMatcher()
	for i := 0; i < len(want) || i < len(got); i++ {
		if i >= len(want) || i >= len(got) {
			return fmt.Sprintf("log has %d lines, want %d:\n%s", len(got), len(want), text)
		}
		if !m.match(want[i], got[i]) {
			return fmt.Sprintf("log line %d = %q, want %q", i+1, got[i], want[i])
		}
	}
	return ""
}

func backendStatus(ctx context.Context, in errorInputs, exp errorExpected) (Outcome, string) {
	var typ string
	json.Unmarshal(in.Integration, &typ)
	srv := statusBackend(in.BackendStatus)
	defer srv.Close()
	m := httpMethodTo(apigw.IntegrationType(typ), srv.URL+"/")
	x, err := serveOnce(ctx, restAPI(map[string]map[string]*apigw.Method{"/": {"GET": m}}), apigw.Stage{Name: "dev"}, "GET", "/dev/", nil, "")
	if err != nil {
		return Fail, err.Error()
	}
	if why := checkError(x, exp); why != "" {
		return Fail, why
	}
	return Pass, ""
}
