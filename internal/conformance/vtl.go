package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/mapping"
	"github.com/archway-gw/archway/internal/vtl"
)

// This file runs the mapping-template kinds: vtl and vtl-util vectors render
// with mapping.Render over the AWS context built from the inputs (or, for
// recordings made with TestInvokeMethod, through the gateway's TestInvoke);
// vtl-pipeline vectors go through a compiled method served by the gateway
// (request template, a MOCK or an echo backend, response template).

// vtlInputs are a vtl vector's inputs by key (the shapes vary by kind).
type vtlInputs map[string]json.RawMessage

// vtlVector is a mapping-template vector with its inputs and expectations
// decoded by key.
type vtlVector struct {
	Vector
	in  vtlInputs
	exp map[string]json.RawMessage
}

func decodeVTL(v Vector) (*vtlVector, error) {
	tv := &vtlVector{Vector: v}
	if err := json.Unmarshal(v.Inputs, &tv.in); err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	if err := json.Unmarshal(v.Expected, &tv.exp); err != nil {
		return nil, fmt.Errorf("expected: %w", err)
	}
	return tv, nil
}

// runVTL runs a vtl or vtl-util vector.
func runVTL(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	tv, err := decodeVTL(v)
	if err != nil {
		return Fail, err.Error()
	}
	if _, ok := tv.in["test_invoke_method"]; ok {
		return runVTLTestInvoke(ctx, tv)
	}
	src, vars, why := tv.template()
	if why != "" {
		return Unsupported, why
	}
	if why := tv.uncheckable(); why != "" {
		return Unsupported, why
	}
	tmpl, err := vtl.Parse(v.ID, src)
	if err != nil {
		return Fail, fmt.Sprintf("parse: %v", err)
	}
	in := tv.mappingInput()
	in.Vars = vars
	out, ov, err := mapping.Render(ctx, tmpl, in)
	if err != nil {
		return Fail, fmt.Sprintf("render: %v", err)
	}
	status := 0
	if ov != nil {
		status = ov.ResponseStatus
	}
	return tv.verdict(out, status, false, ov)
}

// uncheckable explains why a vector's expectations cannot be checked
// mechanically, or is empty.
func (tv *vtlVector) uncheckable() string {
	for key := range tv.exp {
		if checkableKeys[key] {
			return ""
		}
	}
	if _, ok := tv.exp["output_json_as_documented"]; ok {
		return "the expectation is the documentation's idealised output (output_json_as_documented), which the vector itself says is not byte-exact: the template passes $input.json through $util.escapeJavaScript, which escapes the quotes, so the real output is not that JSON"
	}
	return "no machine-checkable expectation (only: " + strings.Join(sortedKeys(tv.exp), ", ") + ")"
}

// checkableKeys are the expectation keys the runner compares.
var checkableKeys = map[string]bool{
	"output": true, "client_body": true, "rendered_template": true, "output_json": true,
	"client_body_json": true, "rendered_fields": true, "value": true, "status": true,
	"requestOverride": true, "context_key_order": true, "identity_key_order": true,
}

// template builds the template of a vtl or vtl-util vector and the extra
// variables it sees; why explains a vector without one.
func (tv *vtlVector) template() (src string, vars map[string]any, why string) {
	vars = map[string]any{}
	if raw, ok := tv.in["variables"]; ok {
		if m, ok := vtlValue(raw).(*vtl.Map); ok {
			m.Range(func(k string, val any) bool { vars[k] = val; return true })
		}
	}
	// LocalStack's legacy unit tests exposed the body's top-level keys as
	// variables too (vtl-ls-legacy-*: "variables were exposed directly").
	if raw, ok := tv.in["body_json"]; ok && tv.Provenance == "localstack-assertion" {
		if m, ok := vtlValue(raw).(*vtl.Map); ok {
			m.Range(func(k string, val any) bool { vars[k] = val; return true })
		}
	}
	if s := tv.str("template"); s != "" {
		return s, vars, ""
	}
	if s := tv.str("template_fragment"); s != "" {
		return s, vars, ""
	}
	if fn := tv.str("function"); fn != "" {
		vars["arg"] = vtlValue(tv.in["argument"])
		return fn + "($arg)", vars, ""
	}
	if ex := tv.str("expression"); ex != "" {
		vars["s"] = tv.str("s")
		return "#set($result = " + ex + ")$!result", vars, ""
	}
	return "", nil, "no template among the inputs (" + strings.Join(sortedKeys(tv.in), ", ") + ")"
}

func (tv *vtlVector) str(key string) string {
	var s string
	if raw, ok := tv.in[key]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// vtlValue decodes vector JSON into template values, keeping key order.
func vtlValue(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	val, err := vtl.ParseJSON(string(raw))
	if err != nil {
		panic(fmt.Sprintf("vector JSON: %v", err))
	}
	return val
}

// vtlClient is a vector's client request in its several recorded shapes.
type vtlClient struct {
	Method  string
	Path    string
	Query   string
	Headers []mapping.Param
	Body    string
}

func (tv *vtlVector) client() vtlClient {
	var cr vtlClient
	raw, ok := tv.in["client_request"]
	if !ok {
		return cr
	}
	m, _ := vtlValue(raw).(*vtl.Map)
	get := func(k string) string {
		s, _ := m.Get(k)
		str, _ := s.(string)
		return str
	}
	cr.Method, cr.Path, cr.Query, cr.Body = get("method"), get("path"), get("query"), get("body")
	if q, ok := m.Get("query"); ok {
		if qm, ok := q.(*vtl.Map); ok {
			// The query as a map of names to values.
			var parts []string
			qm.Range(func(k string, v any) bool {
				parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(vtl.ToString(v)))
				return true
			})
			cr.Query = strings.Join(parts, "&")
		}
	}
	if j, ok := m.Get("json"); ok && j != nil {
		cr.Body = pythonJSON(j)
	}
	if h, ok := m.Get("headers"); ok {
		cr.Headers = mapParams(h)
	}
	return cr
}

func mapParams(v any) []mapping.Param {
	m, ok := v.(*vtl.Map)
	if !ok {
		return nil
	}
	var ps []mapping.Param
	m.Range(func(k string, val any) bool {
		if val != nil {
			ps = append(ps, mapping.Param{Name: k, Value: vtl.ToString(val)})
		}
		return true
	})
	return ps
}

// mappingInput builds the mapping input of a template from the inputs.
func (tv *vtlVector) mappingInput() *mapping.Input {
	cr := tv.client()
	in := &mapping.Input{Body: []byte(cr.Body)}
	if raw, ok := tv.in["body"]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			in.Body = []byte(s)
		}
	}
	if raw, ok := tv.in["body_json"]; ok {
		in.Body = []byte(pythonJSON(vtlValue(raw)))
	}
	headers := cr.Headers
	if raw, ok := tv.in["client_request_header"]; ok {
		headers = append(headers, mapParams(vtlValue(raw))...)
	}
	if raw, ok := tv.in["params"]; ok {
		if m, ok := vtlValue(raw).(*vtl.Map); ok {
			h, _ := m.Get("header")
			headers = append(headers, mapParams(h)...)
			q, _ := m.Get("querystring")
			in.QueryParams = append(in.QueryParams, mapParams(q)...)
			p, _ := m.Get("path")
			in.PathParams = append(in.PathParams, mapParams(p)...)
		}
	}
	in.Headers = mapping.TemplateHeaders(headers)
	in.QueryParams = append(in.QueryParams, parseFormQuery(cr.Query)...)
	in.PathParams = append(in.PathParams, matchResource(tv.str("resource"), cr.Path)...)
	if raw, ok := tv.in["stageVariables"]; ok {
		in.StageVariables = mapParams(vtlValue(raw))
	}
	in.Context = tv.requestContext(cr)
	return in
}

func parseFormQuery(q string) []mapping.Param {
	var ps []mapping.Param
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		ps = append(ps, mapping.Param{Name: formDecode(k), Value: formDecode(val)})
	}
	return ps
}

func formDecode(s string) string {
	v, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return v
}

// matchResource extracts path parameters by matching a resource path
// template (/things/{id}) against a request path.
func matchResource(resource, path string) []mapping.Param {
	if resource == "" || path == "" {
		return nil
	}
	rs := strings.Split(strings.Trim(resource, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(rs) != len(ps) {
		return nil
	}
	var out []mapping.Param
	for i, r := range rs {
		if strings.HasPrefix(r, "{") && strings.HasSuffix(r, "}") {
			out = append(out, mapping.Param{Name: strings.Trim(r, "{}+"), Value: ps[i]})
		} else if r != ps[i] {
			return nil
		}
	}
	return out
}

// requestContext builds $context: fixture values for what a vector does not
// pin (placeholders in the expectations accept any value), the account id
// of LocalStack's snapshots, and what the vector gives.
func (tv *vtlVector) requestContext(cr vtlClient) *mapping.RequestContext {
	c := &mapping.RequestContext{
		ResourceID: "abc123", HTTPMethod: cr.Method, ExtendedRequestID: "ext-id-1",
		RequestTime: "25/Nov/2025:16:35:00 +0000", Path: cr.Path, AccountID: "111111111111",
		Protocol: "HTTP/1.1", DomainPrefix: "api123", RequestTimeEpoch: 1764088500000,
		RequestID: "c0ffee00-0000-4000-8000-000000000001", DomainName: "api123.execute-api.us-east-1.amazonaws.com",
		DeploymentID: "dep123", APIID: "api123",
		Identity: mapping.Identity{SourceIP: "203.0.113.7"},
	}
	c.Stage = tv.str("stage")
	c.ResourcePath = tv.str("resourcePath")
	if c.ResourcePath == "" {
		c.ResourcePath = tv.str("resource")
	}
	for _, h := range cr.Headers {
		if strings.EqualFold(h.Name, "User-Agent") {
			c.Identity.UserAgent = h.Value
		}
	}
	if raw, ok := tv.in["context"]; ok {
		if m, ok := vtlValue(raw).(*vtl.Map); ok {
			if s, ok := m.Get("isCanaryRequest"); ok {
				// Recorded as "false (explanation)": the value is the first word.
				c.IsCanaryRequest = strings.HasPrefix(vtl.ToString(s), "true")
			}
		}
	}
	if raw, ok := tv.in["authorizer_context_returned_by_lambda"]; ok {
		c.Authorizer, _ = vtlValue(raw).(*vtl.Map)
	}
	return c
}

// pythonJSON serialises like Python's json.dumps (", " and ": "
// separators, ASCII only), which the recorders used for request bodies.
func pythonJSON(v any) string {
	var b strings.Builder
	writePython(&b, v)
	return b.String()
}

func writePython(b *strings.Builder, v any) {
	switch x := v.(type) {
	case *vtl.Map:
		b.WriteByte('{')
		i := 0
		x.Range(func(k string, val any) bool {
			if i > 0 {
				b.WriteString(", ")
			}
			i++
			writePython(b, k)
			b.WriteString(": ")
			writePython(b, val)
			return true
		})
		b.WriteByte('}')
	case *vtl.List:
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writePython(b, it)
		}
		b.WriteByte(']')
	case string:
		b.WriteString(strconv.QuoteToASCII(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	default:
		b.WriteString(vtl.ToString(x))
	}
}

// runVTLTestInvoke runs a vector recorded with TestInvokeMethod on
// LocalStack's fixture API: a MOCK method (request template
// {"statusCode": 200}) whose response template is the vector's template,
// invoked through the gateway's TestInvoke on the fixture resource the
// recording used.
func runVTLTestInvoke(ctx context.Context, tv *vtlVector) (Outcome, string) {
	var ti struct {
		HTTPMethod string  `json:"httpMethod"`
		Path       *string `json:"pathWithQueryString"`
		Body       string  `json:"body"`
	}
	if err := json.Unmarshal(tv.in["test_invoke_method"], &ti); err != nil {
		return Fail, "test_invoke_method: " + err.Error()
	}
	tmpl := tv.str("template")
	if tmpl == "" {
		return Unsupported, "test-invoke vector without a template"
	}
	if integ := tv.str("integration"); integ != "" && !strings.HasPrefix(integ, "MOCK") {
		return Unsupported, "test-invoke vector on a " + integ + " integration: only MOCK recordings are modelled"
	}
	path := ""
	if ti.Path != nil {
		path = *ti.Path
	}
	resource := testInvokeResource(tv.Notes, path, tmpl)
	m := mockMethod(ti.HTTPMethod, "")
	m.Integration.IntegrationResponses[0].ResponseTemplates = map[string]string{"application/json": tmpl}
	h, err := newHarness(restAPI(map[string]map[string]*apigw.Method{resource: {ti.HTTPMethod: m}}), apigw.Stage{Name: "test-invoke-stage"})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	x, err := h.invoke(ctx, "test-invoke-stage", resource, ti.HTTPMethod, path, ti.Body)
	if err != nil {
		return Fail, err.Error()
	}
	return tv.verdict(string(x.body), x.status, true, nil)
}

// runVTLPipeline runs request template -> integration -> response template
// through a method the gateway serves on a real socket: a MOCK integration,
// or an HTTP (non-proxy) integration to a backend that answers with the
// request body it received (the recorded Lambda function URL returned
// event['body'] verbatim).
func runVTLPipeline(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	tv, err := decodeVTL(v)
	if err != nil {
		return Fail, err.Error()
	}
	reqSrc, respSrc := tv.str("request_template"), tv.str("response_template")
	integration, backendDesc := tv.str("integration"), tv.str("backend")
	mock := strings.HasPrefix(integration, "MOCK")
	echo := strings.Contains(backendDesc, "echo") || strings.Contains(backendDesc, "verbatim")
	switch {
	case reqSrc == "" || respSrc == "":
		return Unsupported, "pipeline vector without both request_template and response_template"
	case !mock && !echo:
		return Unsupported, fmt.Sprintf("pipeline vector whose backend (%q, integration %q) the runner cannot stand in for: only MOCK and body-echo backends are modelled", backendDesc, integration)
	}
	if why := tv.uncheckable(); why != "" {
		return Unsupported, why
	}
	cr := tv.client()
	verb := cr.Method
	if verb == "" {
		verb = "GET"
	}
	resource := tv.str("resource")
	if resource == "" {
		resource = "/"
	}
	path := cr.Path
	if path == "" {
		path = resource
	}
	m := &apigw.Method{
		HTTPMethod:      verb,
		MethodResponses: map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}},
		Integration: &apigw.Integration{
			Type:             apigw.IntegrationMock,
			RequestTemplates: map[string]string{"application/json": reqSrc},
			IntegrationResponses: []*apigw.IntegrationResponse{{
				Key: "default", StatusCode: "200",
				ResponseTemplates: map[string]string{"application/json": respSrc},
			}},
		},
	}
	if !mock {
		backend := bodyEchoBackend()
		defer backend.Close()
		m.Integration.Type = apigw.IntegrationHTTP
		m.Integration.HTTPMethod = "POST"
		m.Integration.URI = backend.URL + "/"
	}
	h, err := newHarness(restAPI(map[string]map[string]*apigw.Method{resource: {verb: m}}), apigw.Stage{Name: "dev"})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	headers := map[string]string{}
	for _, p := range cr.Headers {
		headers[p.Name] = p.Value
	}
	target := "/dev" + path
	if cr.Query != "" {
		target += "?" + cr.Query
	}
	x, err := h.do(ctx, verb, target, headers, cr.Body)
	if err != nil {
		return Fail, err.Error()
	}
	return tv.verdict(string(x.body), x.status, true, nil)
}

// bodyEchoBackend answers every request with its body, verbatim.
func bodyEchoBackend() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
}

// verdict compares the rendered text (or the client's body) and the
// status with the expectations. served is true when status is the status
// the client received (pipeline, TestInvoke); otherwise it is the
// responseOverride status a lone template set (0 when none).
func (tv *vtlVector) verdict(out string, status int, served bool, ov *mapping.Overrides) (Outcome, string) {
	var problems []string
	checked := 0
	for _, key := range sortedKeys(tv.exp) {
		raw := tv.exp[key]
		var p []string
		switch key {
		case "output", "client_body", "rendered_template":
			p = compareVTLText(raw, out)
		case "output_json", "client_body_json":
			p = compareVTLJSON(raw, out, false)
		case "rendered_fields":
			p = compareVTLJSON(raw, out, true)
		case "value":
			p = compareVTLText(json.RawMessage(strconv.Quote(vtl.Render(vtlValue(raw)))), out)
		case "status":
			p = compareVTLStatus(raw, status, served)
		case "requestOverride":
			p = compareRequestOverride(raw, ov)
		case "context_key_order", "identity_key_order":
			p = compareKeyOrder(key, raw, out)
		default:
			continue
		}
		checked++
		problems = append(problems, p...)
	}
	if checked == 0 {
		return Unsupported, tv.uncheckable()
	}
	if len(problems) == 0 {
		return Pass, ""
	}
	// LocalStack's unit tests compared result.strip(): a LocalStack
	// assertion on the output alone is met after trimming.
	if raw, ok := tv.exp["output"]; ok && tv.Provenance == "localstack-assertion" && len(tv.exp) == 1 && len(compareVTLText(raw, strings.TrimSpace(out))) == 0 {
		return Pass, ""
	}
	return Fail, strings.Join(problems, "; ")
}

// vtlPlaceholderRE matches recorded volatile values: <uuid:1>, <host:1>,
// <Date>, and the literal the snapshot transformer put for
// requestTimeEpoch.
var vtlPlaceholderRE = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_-]*(?::[0-9]+)?>|request-time-epoch`)

// matchVTLPlaceholders reports whether got matches want, where
// placeholders match any text and equal placeholders equal text (binding
// across calls through bound).
func matchVTLPlaceholders(want, got string, bound map[string]string) bool {
	locs := vtlPlaceholderRE.FindAllStringIndex(want, -1)
	if len(locs) == 0 {
		return want == got
	}
	var pat strings.Builder
	pat.WriteString("^")
	prev := 0
	var names []string
	for _, l := range locs {
		pat.WriteString(regexp.QuoteMeta(want[prev:l[0]]))
		pat.WriteString("(.*?)")
		names = append(names, want[l[0]:l[1]])
		prev = l[1]
	}
	pat.WriteString(regexp.QuoteMeta(want[prev:]) + "$")
	m := regexp.MustCompile(pat.String()).FindStringSubmatch(got)
	if m == nil {
		return false
	}
	for i, name := range names {
		if v, ok := bound[name]; ok && v != m[i+1] {
			return false
		}
		bound[name] = m[i+1]
	}
	return true
}

func compareVTLText(raw json.RawMessage, out string) []string {
	var want string
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{fmt.Sprintf("expected text is not a string: %s", raw)}
	}
	if !matchVTLPlaceholders(want, out, map[string]string{}) {
		return []string{fmt.Sprintf("output %q, want %q", out, want)}
	}
	return nil
}

func compareVTLJSON(raw json.RawMessage, out string, subset bool) []string {
	var want, got any
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{err.Error()}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		return []string{fmt.Sprintf("output is not JSON (%v): %q", err, out)}
	}
	var problems []string
	matchVTLJSON("$", want, got, subset, map[string]string{}, &problems)
	return problems
}

func matchVTLJSON(at string, want, got any, subset bool, bound map[string]string, problems *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s: want object, got %v", at, got))
			return
		}
		for _, k := range sortedKeys(w) {
			gv, ok := g[k]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: missing key %q", at, k))
				continue
			}
			matchVTLJSON(at+"."+k, w[k], gv, subset, bound, problems)
		}
		if !subset {
			for _, k := range sortedKeys(g) {
				if _, ok := w[k]; !ok {
					*problems = append(*problems, fmt.Sprintf("%s: unexpected key %q", at, k))
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*problems = append(*problems, fmt.Sprintf("%s: want %v, got %v", at, w, got))
			return
		}
		for i := range w {
			matchVTLJSON(fmt.Sprintf("%s[%d]", at, i), w[i], g[i], subset, bound, problems)
		}
	case string:
		gs, ok := got.(string)
		if !ok {
			gs = fmt.Sprint(got)
		}
		if !matchVTLPlaceholders(w, gs, bound) || (!ok && !vtlPlaceholderRE.MatchString(w)) {
			*problems = append(*problems, fmt.Sprintf("%s: want %q, got %#v", at, w, got))
		}
	default:
		if diff := cmp.Diff(want, got); diff != "" {
			*problems = append(*problems, fmt.Sprintf("%s: (-want +got)\n%s", at, diff))
		}
	}
}

// compareVTLStatus checks the status. For a lone template (served false)
// the status is the responseOverride it set; without one the integration
// response decides, so an expected 200 is met.
func compareVTLStatus(raw json.RawMessage, got int, served bool) []string {
	var want int
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{err.Error()}
	}
	if got == 0 && !served {
		if want == 200 {
			return nil
		}
		got = 200
	}
	if got != want {
		return []string{fmt.Sprintf("status %d, want %d", got, want)}
	}
	return nil
}

func compareRequestOverride(raw json.RawMessage, ov *mapping.Overrides) []string {
	var want map[string]map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{err.Error()}
	}
	if ov == nil {
		ov = &mapping.Overrides{}
	}
	got := map[string]map[string]any{}
	add := func(section string, os []mapping.Override) {
		if len(os) == 0 {
			return
		}
		got[section] = map[string]any{}
		for _, o := range os {
			if len(o.Values) == 1 {
				got[section][o.Name] = o.Values[0]
				continue
			}
			vals := make([]any, len(o.Values))
			for i, s := range o.Values {
				vals[i] = s
			}
			got[section][o.Name] = vals
		}
	}
	add("header", ov.RequestHeader)
	add("path", ov.RequestPath)
	add("querystring", ov.RequestQuerystring)
	if diff := cmp.Diff(want, got); diff != "" {
		return []string{fmt.Sprintf("requestOverride (-want +got):\n%s", diff)}
	}
	return nil
}

func compareKeyOrder(key string, raw json.RawMessage, out string) []string {
	var want []string
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{err.Error()}
	}
	doc, err := vtl.ParseJSON(out)
	if err != nil {
		return []string{fmt.Sprintf("output is not JSON: %v", err)}
	}
	section := strings.TrimSuffix(key, "_key_order")
	m, ok := doc.(*vtl.Map)
	if !ok {
		return []string{"output is not a JSON object"}
	}
	obj, _ := m.Get(section)
	om, ok := obj.(*vtl.Map)
	if !ok {
		return []string{fmt.Sprintf("output has no %q object", section)}
	}
	if diff := cmp.Diff(want, om.Keys()); diff != "" {
		return []string{fmt.Sprintf("%s (-want +got):\n%s", key, diff)}
	}
	return nil
}

// runParamMapping serves an HTTP (non-proxy) method with the vector's
// requestParameters in front of a backend that echoes what it received,
// and compares the mapped headers and query parameters, or the error.
func runParamMapping(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		RequestParameters map[string]string `json:"requestParameters"`
		Body              json.RawMessage   `json:"body"`
		RawBody           *string           `json:"raw_body"`
		Query             string            `json:"query"`
		Headers           map[string]string `json:"headers"`
	}
	var exp struct {
		Header      map[string]string          `json:"header"`
		Querystring map[string]json.RawMessage `json:"querystring"`
		Status      int                        `json:"status"`
		Message     string                     `json:"message"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, "inputs: " + err.Error()
	}
	if err := json.Unmarshal(v.Expected, &exp); err != nil {
		return Fail, "expected: " + err.Error()
	}
	if len(in.RequestParameters) == 0 {
		return Unsupported, "no requestParameters among the inputs"
	}
	if exp.Header == nil && exp.Querystring == nil && exp.Status == 0 {
		return Unsupported, "no machine-checkable expectation (header, querystring or status)"
	}
	body := ""
	switch {
	case in.RawBody != nil:
		body = *in.RawBody
	case len(in.Body) > 0:
		// The recorder sent JSON bodies with Python's json.dumps.
		body = pythonJSON(vtlValue(in.Body))
	}
	backend := echoBackend(200)
	defer backend.Close()
	m := httpMethodTo(apigw.IntegrationHTTP, backend.URL+"/")
	m.HTTPMethod, m.Integration.HTTPMethod = "POST", "POST"
	m.Integration.RequestParameters = in.RequestParameters
	h, err := newHarness(restAPI(map[string]map[string]*apigw.Method{"/": {"POST": m}}), apigw.Stage{Name: "dev"})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	headers := map[string]string{"Content-Type": "application/json"}
	for k, val := range in.Headers {
		headers[k] = val
	}
	target := "/dev/"
	if in.Query != "" {
		target += "?" + in.Query
	}
	x, err := h.do(ctx, "POST", target, headers, body)
	if err != nil {
		return Fail, err.Error()
	}
	if exp.Status != 0 && exp.Status != 200 {
		if x.status != exp.Status {
			return Fail, fmt.Sprintf("status %d (%s), want %d", x.status, x.body, exp.Status)
		}
		if exp.Message != "" && jsonMessage(x.body) != exp.Message {
			return Fail, fmt.Sprintf("message %q, want %q", jsonMessage(x.body), exp.Message)
		}
		return Pass, ""
	}
	if x.status != 200 {
		return Fail, fmt.Sprintf("status %d: %s", x.status, x.body)
	}
	var saw struct {
		Args    map[string][]string `json:"args"`
		Headers map[string]string   `json:"headers"`
	}
	if err := json.Unmarshal(x.body, &saw); err != nil {
		return Fail, "backend echo not returned: " + string(x.body)
	}
	var problems []string
	if exp.Header != nil {
		for _, key := range sortedKeys(in.RequestParameters) {
			name, ok := strings.CutPrefix(key, "integration.request.header.")
			if !ok {
				continue
			}
			got, present := saw.Headers[strings.ToLower(name)]
			want, expected := lookupFold(exp.Header, name)
			switch {
			case expected && !present:
				problems = append(problems, fmt.Sprintf("header %s not sent (want %q)", name, want))
			case expected && got != want:
				problems = append(problems, fmt.Sprintf("header %s = %q, want %q", name, got, want))
			case !expected && present:
				problems = append(problems, fmt.Sprintf("header %s = %q sent, want it omitted", name, got))
			}
		}
	}
	if exp.Querystring != nil {
		for _, key := range sortedKeys(in.RequestParameters) {
			name, ok := strings.CutPrefix(key, "integration.request.querystring.")
			if !ok {
				continue
			}
			got := saw.Args[name]
			raw, expected := exp.Querystring[name]
			var want []string
			if expected {
				var one string
				if json.Unmarshal(raw, &one) == nil {
					want = []string{one}
				} else if err := json.Unmarshal(raw, &want); err != nil {
					return Fail, fmt.Sprintf("expected querystring %s: %v", name, err)
				}
			}
			if len(want) != len(got) || strings.Join(want, "\x00") != strings.Join(got, "\x00") {
				problems = append(problems, fmt.Sprintf("query parameter %s = %q, want %q", name, got, want))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return Fail, strings.Join(problems, "; ")
	}
	return Pass, ""
}

func lookupFold(m map[string]string, name string) (string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}
