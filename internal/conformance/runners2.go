package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// statusBackend answers every request with status and a small JSON body
// naming it, as the recorded test backend did.
func statusBackend(status int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message": "", "status_code": %d}`, status)
	}))
}

func runGatewayResponseDefault(_ context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		ResponseType apigw.GatewayResponseType `json:"responseType"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, err.Error()
	}
	got := apigw.EffectiveGatewayResponse(nil, in.ResponseType)
	return compareJSON(v.Expected, got)
}

func compareJSON(expected json.RawMessage, got any) (Outcome, string) {
	b, err := json.Marshal(got)
	if err != nil {
		return Fail, err.Error()
	}
	if ok, why := jsonEqual(expected, b); !ok {
		return Fail, why
	}
	return Pass, ""
}

func applyPuts(puts []*apigw.GatewayResponse) map[apigw.GatewayResponseType]*apigw.GatewayResponse {
	custom := map[apigw.GatewayResponseType]*apigw.GatewayResponse{}
	for _, p := range puts {
		custom[p.ResponseType] = p // each PUT replaces the whole response
	}
	return custom
}

func runGatewayResponseCRUD(_ context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		Put  *apigw.GatewayResponse `json:"put"`
		Then string                 `json:"then"`
	}
	var exp struct {
		GetAfterDelete json.RawMessage `json:"get_after_delete"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil || in.Put == nil {
		return Fail, "inputs: want put"
	}
	json.Unmarshal(v.Expected, &exp)
	if in.Then != "DeleteGatewayResponse" || exp.GetAfterDelete == nil {
		return Unsupported, "only put-then-delete sequences are modelled"
	}
	custom := applyPuts([]*apigw.GatewayResponse{in.Put})
	if got := apigw.EffectiveGatewayResponse(custom, in.Put.ResponseType); got.DefaultResponse {
		return Fail, "after PUT the response still reports defaultResponse true"
	}
	delete(custom, in.Put.ResponseType)
	return compareJSON(exp.GetAfterDelete, apigw.EffectiveGatewayResponse(custom, in.Put.ResponseType))
}

func runGatewayResponseInheritance(_ context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		Puts []*apigw.GatewayResponse `json:"puts_in_order"`
	}
	var exp struct {
		List json.RawMessage `json:"get_gateway_responses"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, err.Error()
	}
	json.Unmarshal(v.Expected, &exp)
	return compareJSON(exp.List, apigw.EffectiveGatewayResponses(applyPuts(in.Puts)))
}

func runIntegrationHTTP(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		Integration string         `json:"integration"`
		HTTPMethod  string         `json:"integrationHttpMethod"`
		Client      *clientRequest `json:"client_request"`
	}
	var exp struct {
		BackendSaw struct {
			Method  string            `json:"method"`
			Path    string            `json:"path"`
			Headers map[string]string `json:"headers"`
			Data    json.RawMessage   `json:"data"`
		} `json:"backend_saw"`
		ClientHeaders map[string]string `json:"client_response_headers"`
		Status        int               `json:"status"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil || in.Client == nil {
		return Fail, "inputs: want client_request"
	}
	json.Unmarshal(v.Expected, &exp)
	backend := echoBackend(200)
	defer backend.Close()
	m := httpMethodTo(apigw.IntegrationType(in.Integration), backend.URL+"/")
	m.HTTPMethod = in.Client.Method
	m.Integration.HTTPMethod = in.HTTPMethod
	h, err := newHarness(restAPI(map[string]map[string]*apigw.Method{in.Client.Path: {in.Client.Method: m}}), apigw.Stage{Name: "dev"})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	x, err := h.do(ctx, in.Client.Method, "/dev"+in.Client.Path, in.Client.Headers, in.Client.Body)
	if err != nil {
		return Fail, err.Error()
	}
	if x.status != exp.Status {
		return Fail, fmt.Sprintf("status %d, want %d: %s", x.status, exp.Status, x.body)
	}
	var saw struct {
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
		Data    json.RawMessage   `json:"data"`
	}
	if err := json.Unmarshal(x.body, &saw); err != nil {
		return Fail, "backend echo not returned: " + string(x.body)
	}
	if saw.Method != exp.BackendSaw.Method || saw.Path != exp.BackendSaw.Path {
		return Fail, fmt.Sprintf("backend saw %s %s, want %s %s", saw.Method, saw.Path, exp.BackendSaw.Method, exp.BackendSaw.Path)
	}
	if ok, why := jsonEqual(exp.BackendSaw.Data, saw.Data); !ok {
		return Fail, "backend body: " + why
	}
	m2 := newMatcher()
	if why := compareBackendHeaders(m2, exp.BackendSaw.Headers, saw.Headers); why != "" {
		return Fail, why
	}
	if why := matchHeaders(m2, exp.ClientHeaders, x.header); why != "" {
		return Fail, "client response: " + why
	}
	return Pass, ""
}

// infrastructureHeader reports headers added by the recorded backend's own
// front door (a Lambda function URL: TLS and X-Forwarded-* headers), not by
// API Gateway; they are not compared.
func infrastructureHeader(name string) bool {
	return strings.HasPrefix(name, "x-amzn-tls-") || strings.HasPrefix(name, "x-forwarded-")
}

// compareBackendHeaders requires exactly the expected API-Gateway-controlled
// headers at the backend: none missing, none extra.
func compareBackendHeaders(m *matcher, want, got map[string]string) string {
	for k, v := range want {
		if infrastructureHeader(k) {
			continue
		}
		g, ok := got[k]
		if !ok {
			return fmt.Sprintf("backend did not receive header %s (want %q)", k, v)
		}
		if !m.match(v, g) {
			return fmt.Sprintf("backend header %s = %q, want %q", k, g, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && !infrastructureHeader(k) {
			return fmt.Sprintf("backend received unexpected header %s: %q", k, got[k])
		}
	}
	return ""
}

// executionLogExpected is the expectation of an execution-log vector.
type executionLogExpected struct {
	LogLines []string          `json:"log_lines"`
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers"`
	Body     json.RawMessage   `json:"body"`
}

func runExecutionLog(_ context.Context, v Vector, all map[string]Vector) (Outcome, string) {
	var in struct {
		Integration string `json:"integration"`
		TestInvoke  string `json:"test_invoke"`
	}
	var exp executionLogExpected
	json.Unmarshal(v.Inputs, &in)
	json.Unmarshal(v.Expected, &exp)
	if strings.HasSuffix(in.Integration, " Lambda") && in.TestInvoke != "" {
		return runLambdaExecutionLog(context.Background(), in.TestInvoke, exp)
	}
	if in.Integration != "MOCK" {
		return Unsupported, "needs a " + in.Integration + " integration (served in a later issue)"
	}
	// The MOCK recordings take their template and request from the paired
	// vtl-aws-testinvoke-* vector.
	pair, ok := all["vtl-aws-testinvoke-"+strings.TrimPrefix(v.ID, "log-testinvoke-mock-")]
	if !ok {
		return Unsupported, "the paired vtl-aws-testinvoke-* vector holding the template is not in the run"
	}
	var pin struct {
		Template   string `json:"template"`
		TestInvoke struct {
			HTTPMethod string  `json:"httpMethod"`
			Path       *string `json:"pathWithQueryString"`
			Body       string  `json:"body"`
		} `json:"test_invoke_method"`
	}
	json.Unmarshal(pair.Inputs, &pin)
	path := ""
	if pin.TestInvoke.Path != nil {
		path = *pin.TestInvoke.Path
	}
	resource := testInvokeResource(pair.Notes, path, pin.Template)
	m := mockMethod(pin.TestInvoke.HTTPMethod, "")
	m.Integration.IntegrationResponses[0].ResponseTemplates = map[string]string{"application/json": pin.Template}
	api := restAPI(map[string]map[string]*apigw.Method{resource: {pin.TestInvoke.HTTPMethod: m}})
	h, err := newHarness(api, apigw.Stage{Name: "test-invoke-stage", LoggingLevel: "INFO", DataTraceEnabled: true})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	x, err := h.invoke(context.Background(), "test-invoke-stage", resource, pin.TestInvoke.HTTPMethod, path, pin.TestInvoke.Body)
	if err != nil {
		return Fail, err.Error()
	}
	if x.status != exp.Status {
		return Fail, fmt.Sprintf("status %d, want %d: %s", x.status, exp.Status, x.body)
	}
	if why := checkLog(x.log, exp.LogLines); why != "" {
		return Fail, why
	}
	return Pass, ""
}

// fixtureResources are the resources of the API the TestInvoke recordings
// were made on (LocalStack's test_apigw_test_invoke_method_api).
var fixtureResources = []string{"/pets", "/pets/{petId}"}

var quotedResourceRE = regexp.MustCompile(`resource path '(/[^']*)'`)

// testInvokeResource picks the invoked resource: the one the recording's
// notes name, else the fixture resource whose template matches the path,
// else the one whose path parameter the template reads.
func testInvokeResource(notes, path, template string) string {
	if m := quotedResourceRE.FindStringSubmatch(notes); m != nil {
		return m[1]
	}
	p, _, _ := strings.Cut(path, "?")
	for _, r := range fixtureResources {
		if templateMatches(r, p) {
			return r
		}
	}
	for _, r := range fixtureResources {
		for _, seg := range strings.Split(r, "/") {
			if strings.HasPrefix(seg, "{") && strings.Contains(template, "'"+strings.Trim(seg, "{}+")+"'") {
				return r
			}
		}
	}
	return fixtureResources[0]
}

func templateMatches(resource, path string) bool {
	rs, ps := strings.Split(strings.Trim(resource, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(rs) != len(ps) {
		return false
	}
	for i := range rs {
		if !strings.HasPrefix(rs[i], "{") && rs[i] != ps[i] {
			return false
		}
	}
	return true
}
