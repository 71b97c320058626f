package mapping

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/vtl"
)

// The conformance vectors live in ../shared/conformance beside the repo.
var vectorFiles = []string{
	"../../../shared/conformance/vtl_aws.json",
	"../../../shared/conformance/vtl_localstack_and_docs.json",
}

// knownConflicts are vectors whose expectation contradicts a rule of
// higher authority (README: the higher provenance wins). They are run; a
// failure is reported as a skip with the reason, never hidden.
var knownConflicts = map[string]string{
	"vtl-ls-util-escapejavascript-1":          "LocalStack leaves ' unescaped; the AWS mapping-template reference (higher provenance) says escapeJavaScript turns ' into \\'",
	"vtl-ls-legacy-keyset-jsonpath-deep-scan": "LocalStack unwraps a single match of an indefinite path ($..x); Jayway/AWS return a list for indefinite paths (vtl-subset.md), so .keySet() is null",
	"vtl-ls-legacy-define-macro":              "uses #define($name $param) and $name(args), an airspeed (LocalStack) extension that Velocity 1.7 does not have",
}

type vector struct {
	ID         string                     `json:"id"`
	Kind       string                     `json:"kind"`
	Provenance string                     `json:"provenance"`
	Stage      string                     `json:"stage"`
	Inputs     map[string]json.RawMessage `json:"inputs"`
	Expected   map[string]json.RawMessage `json:"expected"`
	Notes      string                     `json:"notes"`
}

type vectorFile struct {
	Vectors []vector `json:"vectors"`
}

type tally struct{ pass, trimmed, fail, skip, conflict int }

func TestConformanceVectors(t *testing.T) {
	for _, file := range vectorFiles {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Skipf("conformance vectors not available: %v", err)
		}
		var vf vectorFile
		if err := json.Unmarshal(raw, &vf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var n tally
		t.Run(filepath.Base(file), func(t *testing.T) {
			for _, v := range vf.Vectors {
				if v.Kind != "vtl" && v.Kind != "vtl-util" && v.Kind != "vtl-pipeline" {
					continue
				}
				t.Run(v.ID, func(t *testing.T) { runVector(t, v, &n) })
			}
		})
		t.Logf("%s: %d pass (%d of them only after trimming whitespace, as LocalStack's test did), %d fail, %d skipped (inputs not expressible), %d known conflicts",
			filepath.Base(file), n.pass, n.trimmed, n.fail, n.skip, n.conflict)
	}
}

func runVector(t *testing.T, v vector, n *tally) {
	problems, skip := checkVector(v)
	trimmed := len(problems) == 1 && problems[0] == passedTrimmed
	if trimmed {
		problems = nil
		n.trimmed++
		t.Log("passes only after trimming surrounding whitespace (the LocalStack unit test compared result.strip())")
	}
	switch {
	case skip != "":
		n.skip++
		t.Skip(skip)
	case len(problems) == 0:
		n.pass++
	case knownConflicts[v.ID] != "":
		n.conflict++
		t.Skipf("known conflict (%s); mismatches: %s", knownConflicts[v.ID], strings.Join(problems, "; "))
	default:
		n.fail++
		for _, p := range problems {
			t.Error(p)
		}
	}
}

// checkVector runs one vector and returns its mismatches, or a reason to
// skip it.
func checkVector(v vector) (problems []string, skip string) {
	if _, ok := v.Inputs["test_invoke_method"]; ok {
		return nil, "test-invoke vector: the path parameter comes from matching pathWithQueryString against a resource path that is not among the inputs (router/test-invoke, not mapping)"
	}
	if v.Kind == "vtl-pipeline" {
		return checkPipeline(v)
	}
	src, vars, skip := vectorTemplate(v)
	if skip != "" {
		return nil, skip
	}
	tmpl, err := vtl.Parse(v.ID, src)
	if err != nil {
		return []string{fmt.Sprintf("parse: %v", err)}, ""
	}
	in := vectorInput(v)
	in.Vars = vars
	out, ov, err := Render(context.Background(), tmpl, in)
	if err != nil {
		return []string{fmt.Sprintf("render: %v", err)}, ""
	}
	return compareExpected(v, out, ov)
}

// vectorTemplate builds the template of a vtl or vtl-util vector.
func vectorTemplate(v vector) (string, map[string]any, string) {
	vars := map[string]any{}
	if raw, ok := v.Inputs["variables"]; ok {
		m := jsonValue(raw).(*vtl.Map)
		m.Range(func(k string, val any) bool { vars[k] = val; return true })
	}
	// LocalStack's legacy unit tests exposed the body's top-level keys as
	// variables too (vtl-ls-legacy-*: "variables were exposed directly").
	if raw, ok := v.Inputs["body_json"]; ok && v.Provenance == "localstack-assertion" {
		if m, ok := jsonValue(raw).(*vtl.Map); ok {
			m.Range(func(k string, val any) bool { vars[k] = val; return true })
		}
	}
	if s := stringInput(v, "template"); s != "" {
		return s, vars, ""
	}
	if s := stringInput(v, "template_fragment"); s != "" {
		return s, vars, ""
	}
	if fn := stringInput(v, "function"); fn != "" {
		vars["arg"] = jsonValue(v.Inputs["argument"])
		return fn + "($arg)", vars, ""
	}
	if ex := stringInput(v, "expression"); ex != "" {
		vars["s"] = stringInput(v, "s")
		return "#set($result = " + ex + ")$!result", vars, ""
	}
	return "", nil, "no template among the inputs"
}

func stringInput(v vector, key string) string {
	var s string
	if raw, ok := v.Inputs[key]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// jsonValue decodes vector JSON into template values (keeping key order).
func jsonValue(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	val, err := vtl.ParseJSON(string(raw))
	if err != nil {
		panic(err)
	}
	return val
}

type clientRequest struct {
	Method  string
	Path    string
	Query   string
	Headers []Param
	Body    string
}

func vectorClient(v vector) clientRequest {
	var cr clientRequest
	raw, ok := v.Inputs["client_request"]
	if !ok {
		return cr
	}
	m, _ := jsonValue(raw).(*vtl.Map)
	get := func(k string) string {
		s, _ := m.Get(k)
		str, _ := s.(string)
		return str
	}
	cr.Method, cr.Path, cr.Query, cr.Body = get("method"), get("path"), get("query"), get("body")
	if j, ok := m.Get("json"); ok && j != nil {
		cr.Body = pythonJSON(j)
	}
	if h, ok := m.Get("headers"); ok {
		cr.Headers = mapParams(h)
	}
	return cr
}

func mapParams(v any) []Param {
	m, ok := v.(*vtl.Map)
	if !ok {
		return nil
	}
	var ps []Param
	m.Range(func(k string, val any) bool {
		if val != nil {
			ps = append(ps, Param{Name: k, Value: vtl.ToString(val)})
		}
		return true
	})
	return ps
}

// vectorInput builds the mapping input of a (request or response)
// template from a vector's inputs.
func vectorInput(v vector) *Input {
	cr := vectorClient(v)
	in := &Input{Body: []byte(cr.Body)}
	if raw, ok := v.Inputs["body"]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			in.Body = []byte(s)
		}
	}
	if raw, ok := v.Inputs["body_json"]; ok {
		in.Body = []byte(pythonJSON(jsonValue(raw)))
	}
	headers := cr.Headers
	if raw, ok := v.Inputs["client_request_header"]; ok {
		headers = append(headers, mapParams(jsonValue(raw))...)
	}
	if raw, ok := v.Inputs["params"]; ok {
		if m, ok := jsonValue(raw).(*vtl.Map); ok {
			h, _ := m.Get("header")
			headers = append(headers, mapParams(h)...)
			q, _ := m.Get("querystring")
			in.QueryParams = append(in.QueryParams, mapParams(q)...)
			p, _ := m.Get("path")
			in.PathParams = append(in.PathParams, mapParams(p)...)
		}
	}
	in.Headers = TemplateHeaders(headers)
	in.QueryParams = append(in.QueryParams, parseQuery(cr.Query)...)
	in.PathParams = append(in.PathParams, matchResource(stringInput(v, "resource"), cr.Path)...)
	if raw, ok := v.Inputs["stageVariables"]; ok {
		in.StageVariables = mapParams(jsonValue(raw))
	}
	in.Context = vectorContext(v, cr)
	return in
}

func parseQuery(q string) []Param {
	var ps []Param
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		ps = append(ps, Param{Name: formDecode(k), Value: formDecode(val)})
	}
	return ps
}

func formDecode(s string) string {
	v, err := urlDecode(s)
	if err != nil {
		return s
	}
	return v.(string)
}

// matchResource extracts path parameters by matching a resource path
// template (/things/{id}) against a request path.
func matchResource(resource, path string) []Param {
	if resource == "" || path == "" {
		return nil
	}
	rs := strings.Split(strings.Trim(resource, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(rs) != len(ps) {
		return nil
	}
	var out []Param
	for i, r := range rs {
		if strings.HasPrefix(r, "{") && strings.HasSuffix(r, "}") {
			out = append(out, Param{Name: strings.Trim(r, "{}+"), Value: ps[i]})
		} else if r != ps[i] {
			return nil
		}
	}
	return out
}

// vectorContext builds $context: fixture values for what a vector does not
// pin (placeholders in the expectations accept any value), the account id
// of LocalStack's snapshots, and what the vector gives.
func vectorContext(v vector, cr clientRequest) *RequestContext {
	c := &RequestContext{
		ResourceID: "abc123", HTTPMethod: cr.Method, ExtendedRequestID: "ext-id-1",
		RequestTime: "25/Nov/2025:16:35:00 +0000", Path: cr.Path, AccountID: "111111111111",
		Protocol: "HTTP/1.1", DomainPrefix: "api123", RequestTimeEpoch: 1764088500000,
		RequestID: "c0ffee00-0000-4000-8000-000000000001", DomainName: "api123.execute-api.us-east-1.amazonaws.com",
		DeploymentID: "dep123", APIID: "api123",
		Identity: Identity{SourceIP: "203.0.113.7"},
	}
	c.Stage = stringInput(v, "stage")
	c.ResourcePath = stringInput(v, "resourcePath")
	if c.ResourcePath == "" {
		c.ResourcePath = stringInput(v, "resource")
	}
	for _, h := range cr.Headers {
		if strings.EqualFold(h.Name, "User-Agent") {
			c.Identity.UserAgent = h.Value
		}
	}
	if raw, ok := v.Inputs["context"]; ok {
		m, _ := jsonValue(raw).(*vtl.Map)
		if s, ok := m.Get("isCanaryRequest"); ok {
			// Recorded as "false (explanation)": the value is the first word.
			c.IsCanaryRequest = strings.HasPrefix(vtl.ToString(s), "true")
		}
	}
	if raw, ok := v.Inputs["authorizer_context_returned_by_lambda"]; ok {
		c.Authorizer, _ = jsonValue(raw).(*vtl.Map)
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
		q := strconv.QuoteToASCII(x)
		b.WriteString(q)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	default:
		b.WriteString(vtl.ToString(x))
	}
}

// checkPipeline runs request template -> backend -> response template.
func checkPipeline(v vector) ([]string, string) {
	reqSrc, respSrc := stringInput(v, "request_template"), stringInput(v, "response_template")
	integration := stringInput(v, "integration")
	backend := stringInput(v, "backend")
	mock := strings.HasPrefix(integration, "MOCK")
	echo := strings.Contains(backend, "echo")
	if reqSrc == "" || respSrc == "" || (!mock && !echo) {
		return nil, "pipeline vector without a MOCK or echo backend"
	}
	reqT, err := vtl.Parse(v.ID+"/request", reqSrc)
	if err != nil {
		return []string{fmt.Sprintf("parse request template: %v", err)}, ""
	}
	respT, err := vtl.Parse(v.ID+"/response", respSrc)
	if err != nil {
		return []string{fmt.Sprintf("parse response template: %v", err)}, ""
	}
	in := vectorInput(v)
	reqOut, ov, err := Render(context.Background(), reqT, in)
	if err != nil {
		return []string{fmt.Sprintf("render request template: %v", err)}, ""
	}
	resp := &Input{Body: []byte(reqOut), Context: in.Context, Overrides: ov, StageVariables: in.StageVariables}
	if mock {
		resp.Body = nil // a MOCK endpoint returns no body
	}
	out, ov2, err := Render(context.Background(), respT, resp)
	if err != nil {
		return []string{fmt.Sprintf("render response template: %v", err)}, ""
	}
	return compareExpected(v, out, ov2)
}

// compareExpected checks every expectation the harness understands; a
// vector with none of them is skipped.
func compareExpected(v vector, out string, ov *Overrides) ([]string, string) {
	var problems []string
	checked := 0
	for key, raw := range v.Expected {
		var p []string
		switch key {
		case "output", "client_body", "rendered_template":
			p = compareText(raw, out)
		case "output_json", "client_body_json":
			p = compareJSONText(raw, out, false)
		case "rendered_fields":
			p = compareJSONText(raw, out, true)
		case "value":
			p = compareText(json.RawMessage(strconv.Quote(vtl.Render(jsonValue(raw)))), out)
		case "status":
			p = compareStatus(raw, ov, v.Kind == "vtl-pipeline")
		case "requestOverride":
			p = compareOverrides(raw, ov)
		case "context_key_order", "identity_key_order":
			p = compareKeyOrder(key, raw, out)
		default:
			continue
		}
		checked++
		problems = append(problems, p...)
	}
	if checked == 0 {
		return nil, "no machine-checkable expectation (only: " + strings.Join(keys(v.Expected), ", ") + ")"
	}
	if len(problems) > 0 && v.Provenance == "localstack-assertion" {
		// LocalStack's unit tests often compared result.strip().
		if raw, ok := v.Expected["output"]; ok && len(compareText(raw, strings.TrimSpace(out))) == 0 && len(v.Expected) == 1 {
			return []string{passedTrimmed}, ""
		}
	}
	return problems, ""
}

// passedTrimmed marks a LocalStack vector that matches only after trimming.
const passedTrimmed = "(passed after trimming)"

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// placeholderRE matches recorded volatile values: <uuid:1>, <host:1>,
// <Date>, and the literal the snapshot transformer put for
// requestTimeEpoch.
var placeholderRE = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_-]*(?::[0-9]+)?>|request-time-epoch`)

// matchPlaceholders reports whether got matches want, where placeholders
// match any text and equal placeholders equal text (binding across calls
// through bound).
func matchPlaceholders(want, got string, bound map[string]string) bool {
	locs := placeholderRE.FindAllStringIndex(want, -1)
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

func compareText(raw json.RawMessage, out string) []string {
	var want string
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{fmt.Sprintf("expected text is not a string: %s", raw)}
	}
	if !matchPlaceholders(want, out, map[string]string{}) {
		return []string{fmt.Sprintf("output mismatch\nwant: %q\n got: %q", want, out)}
	}
	return nil
}

func compareJSONText(raw json.RawMessage, out string, subset bool) []string {
	var want, got any
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{err.Error()}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		return []string{fmt.Sprintf("output is not JSON (%v): %q", err, out)}
	}
	var problems []string
	matchJSON("$", want, got, subset, map[string]string{}, &problems)
	return problems
}

func matchJSON(at string, want, got any, subset bool, bound map[string]string, problems *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s: want object, got %v", at, got))
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: missing key %q", at, k))
				continue
			}
			matchJSON(at+"."+k, wv, gv, subset, bound, problems)
		}
		if !subset {
			for k := range g {
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
			matchJSON(fmt.Sprintf("%s[%d]", at, i), w[i], g[i], subset, bound, problems)
		}
	case string:
		gs, ok := got.(string)
		if !ok {
			gs = fmt.Sprint(got)
		}
		if !matchPlaceholders(w, gs, bound) || (!ok && !placeholderRE.MatchString(w)) {
			*problems = append(*problems, fmt.Sprintf("%s: want %q, got %#v", at, w, got))
		}
	default:
		if diff := cmp.Diff(want, got); diff != "" {
			*problems = append(*problems, fmt.Sprintf("%s: (-want +got)\n%s", at, diff))
		}
	}
}

func compareStatus(raw json.RawMessage, ov *Overrides, pipeline bool) []string {
	var want int
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{err.Error()}
	}
	got := ov.ResponseStatus
	if got == 0 {
		if !pipeline && want == 200 {
			return nil // no override: the status comes from the integration response
		}
		got = 200
	}
	if got != want {
		return []string{fmt.Sprintf("status %d, want %d", got, want)}
	}
	return nil
}

func compareOverrides(raw json.RawMessage, ov *Overrides) []string {
	var want map[string]map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		return []string{err.Error()}
	}
	got := map[string]map[string]any{}
	add := func(section string, os []Override) {
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
	m, _ := doc.(*vtl.Map)
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
