package pipeline

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/router"
	"github.com/archway-gw/archway/internal/mapping"
)

func TestCompileURIExpand(t *testing.T) {
	stage := map[string]string{"host": "backend:8080", "url": "https://api.example/v1", "bad": "not a url", "empty": ""}
	path := map[string]string{"petId": "7", "proxy": "a/b%20c", "host": "h.example"}
	tests := []struct {
		name    string
		uri     string
		dynamic bool
		want    string
		ok      bool
		asked   []string // path placeholders looked up, in order
	}{
		{"literal", "http://example.com/pets", false, "http://example.com/pets", true, nil},
		{"literal https with port and query", "https://example.com:8443/p?x=1", false, "https://example.com:8443/p?x=1", true, nil},
		{"literal not http", "ftp://example.com/pets", false, "ftp://example.com/pets", false, nil},
		{"literal empty", "", false, "", false, nil},
		{"stage variable host", "http://${stageVariables.host}/pets", true, "http://backend:8080/pets", true, nil},
		{"stage variable whole URI", "${stageVariables.url}", true, "https://api.example/v1", true, nil},
		{"stage variable and path", "${stageVariables.url}/pets/{petId}", true, "https://api.example/v1/pets/7", true, []string{"petId"}},
		{"path placeholders", "http://x.example/{proxy}/{petId}", true, "http://x.example/a/b%20c/7", true, []string{"proxy", "petId"}},
		{"path placeholder in host", "http://{host}/p", true, "http://h.example/p", true, []string{"host"}},
		{"adjacent placeholders", "http://x.example/{petId}{petId}", true, "http://x.example/77", true, []string{"petId", "petId"}},
		{"unresolved stage variable host", "http://${stageVariables.nope}/pets", true, "http:///pets", false, nil},
		{"unresolved stage variable URI", "${stageVariables.nope}", true, "", false, nil},
		{"unresolved stage variable before path", "${stageVariables.nope}/pets/{petId}", true, "/pets/7", false, []string{"petId"}},
		{"empty stage variable", "${stageVariables.empty}", true, "", false, nil},
		{"stage variable not a URL", "${stageVariables.bad}", true, "not a url", false, nil},
		{"unmapped path placeholder stays literal", "http://x.example/pets/{missing}", true, "http://x.example/pets/{missing}", true, []string{"missing"}},
		{"other dollar brace is literal", "http://x.example/${uri}", false, "http://x.example/${uri}", true, nil},
		{"unclosed stage variable is literal", "http://x.example/${stageVariables.host", false, "http://x.example/${stageVariables.host", true, nil},
		{"unclosed placeholder is literal", "http://x.example/{petId", false, "http://x.example/{petId", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := CompileURI(tc.uri)
			if u.dynamic != tc.dynamic {
				t.Errorf("dynamic = %v, want %v", u.dynamic, tc.dynamic)
			}
			var asked []string
			got, ok := u.Expand(stage, func(n string) (string, bool) {
				asked = append(asked, n)
				v, ok := path[n]
				return v, ok
			})
			if got != tc.want || ok != tc.ok {
				t.Errorf("Expand = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
			if diff := cmp.Diff(tc.asked, asked); diff != "" {
				t.Errorf("path values asked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidEndpoint(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"http://h", true},
		{"https://h.example:8443/p?q=1#f", true},
		{"HTTP://h.example/", true},
		{"http://[::1]:8080/x", true},
		{"http://127.0.0.1:8081", true},
		{"", false},
		{"/pets", false},
		{"h.example/pets", false},
		{"ftp://h.example", false},
		{"mailto:a@h.example", false},
		{"http://", false},
		{"http:///pets", false},
		{"http://:80/pets", false},
		{"http://a b/", false},
		{"http://%zz/", false},
		{"https//h.example", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := ValidEndpoint(tc.in); got != tc.ok {
				t.Errorf("ValidEndpoint(%q) = %v, want %v", tc.in, got, tc.ok)
			}
		})
	}
}

func FuzzCompileURI(f *testing.F) {
	for _, s := range []string{
		"", "{", "}", "{}", "${", "${}", "${stageVariables.}", "${stageVariables.a}", "http://{h}/{p}",
		"http://${stageVariables.host}/pets/{petId}", "${stageVariables.a", "{a", "$", "http://x/${uri}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := CompileURI(s)
		// Placeholders echo themselves: the expansion gives back s, except
		// that stage variables (none defined) expand to "".
		got, ok := u.Expand(nil, func(n string) (string, bool) { return "", false })
		if ok != ValidEndpoint(got) {
			t.Errorf("Expand(%q) = %q, %v; ValidEndpoint says %v", s, got, ok, !ok)
		}
		if !strings.Contains(s, "{") {
			if got != s || u.dynamic {
				t.Errorf("URI without braces %q expanded to %q (dynamic %v)", s, got, u.dynamic)
			}
		}
		if !strings.Contains(s, "${stageVariables.") && got != s && !strings.Contains(s, "{}") {
			t.Errorf("URI %q without stage variables expanded to %q with unresolved placeholders", s, got)
		}
		if len(got) > len(s) {
			t.Errorf("expansion %q of %q is longer", got, s)
		}
	})
}

func TestCompileSource(t *testing.T) {
	type res struct {
		Kind sourceKind
		Name string
		Err  string
	}
	genericErr := func(e string) string {
		return `mapping expression "` + e + `" is not a valid source; use 'static', method.request.{path,querystring,header}.NAME, stageVariables.NAME or context.NAME`
	}
	tests := []struct {
		expr    string
		request bool
		want    res
	}{
		{"'application/json'", true, res{Kind: srcStatic, Name: "application/json"}},
		{"''", true, res{Kind: srcStatic, Name: ""}},
		{"'it''s'", false, res{Kind: srcStatic, Name: "it''s"}},
		{"method.request.path.petId", true, res{Kind: srcPath, Name: "petId"}},
		{"method.request.querystring.q", true, res{Kind: srcQuery, Name: "q"}},
		{"method.request.multivaluequerystring.q", true, res{Kind: srcMultiQuery, Name: "q"}},
		{"method.request.header.X-Id", true, res{Kind: srcHeader, Name: "X-Id"}},
		{"method.request.multivalueheader.X-Id", true, res{Kind: srcMultiHeader, Name: "X-Id"}},
		{"method.request.body", true, res{Kind: srcBody}},
		{"stageVariables.origin", true, res{Kind: srcStage, Name: "origin"}},
		{"context.requestId", true, res{Kind: srcContext, Name: "requestId"}},
		{"context.identity.sourceIp", true, res{Kind: srcContext, Name: "identity.sourceIp"}},
		{"stageVariables.origin", false, res{Kind: srcStage, Name: "origin"}},
		{"context.requestId", false, res{Kind: srcContext, Name: "requestId"}},
		{"integration.response.header.ETag", false, res{Kind: srcIntHeader, Name: "ETag"}},
		{"integration.response.multivalueheader.Set-Cookie", false, res{Kind: srcIntMultiHeader, Name: "Set-Cookie"}},
		{"integration.response.body", false, res{Kind: srcIntBody}},
		// Errors.
		{"'", true, res{Err: genericErr("'")}},
		{"static", true, res{Err: genericErr("static")}},
		{"", true, res{Err: genericErr("")}},
		{"method.request.path.", true, res{Err: genericErr("method.request.path.")}},
		{"method.request.cookie.a", true, res{Err: genericErr("method.request.cookie.a")}},
		{"integration.response.header.ETag", true, res{Err: genericErr("integration.response.header.ETag")}},
		{"integration.response.body", true, res{Err: genericErr("integration.response.body")}},
		{"method.request.header.X", false, res{Err: genericErr("method.request.header.X")}},
		{"method.request.body", false, res{Err: genericErr("method.request.body")}},
		{"method.request.body.name", true, res{Kind: srcBodyPath, Name: "name"}},
		{"method.request.body.petstore.pets[0].name", true, res{Kind: srcBodyPath, Name: "petstore.pets[0].name"}},
		{"integration.response.body.id", false, res{Kind: srcIntBodyPath, Name: "id"}},
		{"method.request.body.", true, res{Err: `mapping expression "method.request.body." has an empty JSONPath`}},
		{"integration.response.body.id", true, res{Err: genericErr("integration.response.body.id")}},
		{"method.request.body.id", false, res{Err: genericErr("method.request.body.id")}},
	}
	for _, tc := range tests {
		side := "response"
		if tc.request {
			side = "request"
		}
		t.Run(side+"/"+tc.expr, func(t *testing.T) {
			s, err := CompileSource(tc.expr, tc.request)
			got := res{Kind: s.kind, Name: s.name}
			if err != nil {
				got = res{Err: err.Error()}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CompileSource(%q, %v) (-want +got):\n%s", tc.expr, tc.request, diff)
			}
			if err == nil && s.IsStatic() != (tc.want.Kind == srcStatic) {
				t.Errorf("IsStatic = %v", s.IsStatic())
			}
		})
	}
}

func TestCompileRequestMapping(t *testing.T) {
	type res struct {
		Target targetKind
		Name   string
		Kind   sourceKind
		Src    string
		Err    string
	}
	tests := []struct {
		key, expr string
		want      res
	}{
		{"integration.request.header.X-Api-Key", "'k'", res{Target: tgtHeader, Name: "X-Api-Key", Kind: srcStatic, Src: "k"}},
		{"integration.request.querystring.q", "method.request.querystring.search", res{Target: tgtQuery, Name: "q", Kind: srcQuery, Src: "search"}},
		{"integration.request.path.id", "method.request.path.petId", res{Target: tgtPath, Name: "id", Kind: srcPath, Src: "petId"}},
		{"integration.request.header.X-Stage", "stageVariables.name", res{Target: tgtHeader, Name: "X-Stage", Kind: srcStage, Src: "name"}},
		{"integration.request.header.X-Body", "method.request.body", res{Target: tgtHeader, Name: "X-Body", Kind: srcBody}},
		{"method.request.header.X", "'v'", res{Err: `request parameter "method.request.header.X" must be integration.request.{header,querystring,path}.NAME`}},
		{"integration.request.body", "'v'", res{Err: `request parameter "integration.request.body" must be integration.request.{header,querystring,path}.NAME`}},
		{"integration.request.header.", "'v'", res{Err: `request parameter "integration.request.header." has no name`}},
		{"integration.request.path.", "'v'", res{Err: `request parameter "integration.request.path." has no name`}},
		{"integration.request.header.X", "integration.response.body", res{Err: `mapping expression "integration.response.body" is not a valid source; use 'static', method.request.{path,querystring,header}.NAME, stageVariables.NAME or context.NAME`}},
		{"integration.request.header.X", "method.request.body.a", res{Target: tgtHeader, Name: "X", Kind: srcBodyPath, Src: "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.key+"="+tc.expr, func(t *testing.T) {
			m, err := CompileRequestMapping(tc.key, tc.expr)
			got := res{Target: m.target, Name: m.name, Kind: m.src.kind, Src: m.src.name}
			if err != nil {
				got = res{Err: err.Error()}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIntegrationTypeOf(t *testing.T) {
	tests := []struct{ in, want apigw.IntegrationType }{
		{"http", apigw.IntegrationHTTP},
		{"http_proxy", apigw.IntegrationHTTPProxy},
		{"Mock", apigw.IntegrationMock},
		{"AWS_PROXY", apigw.IntegrationAWSProxy},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.in), func(t *testing.T) {
			if got := IntegrationTypeOf(tc.in); got != tc.want {
				t.Errorf("IntegrationTypeOf(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMediaType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "application/json"},
		{"application/json", "application/json"},
		{"Application/JSON; charset=UTF-8", "application/json"},
		{"text/plain;charset=utf-8", "text/plain"},
		{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded"},
		// Unparsable parameters: the type before ';' is still used.
		{"Text/HTML; ;;bad", "text/html"},
		{"application/xml; charset", "application/xml"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := mediaType(tc.in); got != tc.want {
				t.Errorf("mediaType(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// qp builds query parameters from name, value pairs.
func qp(kv ...string) []mapping.Param {
	var out []mapping.Param
	for i := 0; i < len(kv); i += 2 {
		out = append(out, mapping.Param{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestQueryParams(t *testing.T) {
	tests := []struct {
		raw  string
		want []mapping.Param
	}{
		{"", nil},
		{"a=1", qp("a", "1")},
		{"a=1&b=2&a=3", qp("a", "3", "b", "2")},
		{"q=hello+world&slash=%2F&pct=100%25", qp("q", "hello world", "slash", "/", "pct", "100%")},
		{"a%3Db=c%26d", qp("a=b", "c&d")},
		{"&&a=1&", qp("a", "1")},
		{"flag&x=", qp("flag", "", "x", "")},
		{"bad=%zz", qp("bad", "%zz")},
		{"e=a=b", qp("e", "a=b")},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, queryParams(tc.raw)); diff != "" {
				t.Errorf("queryParams(%q) (-want +got):\n%s", tc.raw, diff)
			}
		})
	}
}

func TestLastQuery(t *testing.T) {
	tests := []struct{ raw, name, want string }{
		{"a=1&a=2", "a", "2"},
		{"a=1&b=2", "b", "2"},
		{"a+b=x%20y", "a b", "x y"},
		{"a=1", "z", ""},
	}
	for _, tc := range tests {
		t.Run(tc.raw+"/"+tc.name, func(t *testing.T) {
			if got := lastQuery(tc.raw, tc.name); got != tc.want {
				t.Errorf("lastQuery = %q, want %q", got, tc.want)
			}
		})
	}
}

func ir(key, pattern, code string) *apigw.IntegrationResponse {
	return &apigw.IntegrationResponse{Key: key, SelectionPattern: pattern, StatusCode: code}
}

func compileMethod(t *testing.T, am *apigw.Method, backend *Backend) *Method {
	t.Helper()
	m, probs := Compile("api1", "/r", am, backend)
	for _, p := range probs {
		if p.Err {
			t.Fatalf("Compile: %s", p.Message)
		}
	}
	return m
}

func TestSelectResponse(t *testing.T) {
	withDefault := []*apigw.IntegrationResponse{
		ir("default", "", "200"),
		ir("4\\d{2}", "4\\d{2}", "400"),
		ir("404", "404", "404"),
		ir("5..", "5..", "500"),
		ir("301|302", "301|302", "302"),
	}
	noDefault := []*apigw.IntegrationResponse{ir("2\\d\\d", "2\\d\\d", "200")}
	twoDefaults := []*apigw.IntegrationResponse{ir("a", ".*", "201"), ir("default", "", "202")}
	tests := []struct {
		name  string
		resps []*apigw.IntegrationResponse
		value string
		want  string // selected Code, "" for none
	}{
		{"default for an unmatched status", withDefault, "200", "200"},
		{"first match in definition order wins", withDefault, "404", "400"},
		{"full match only", withDefault, "4040", "200"},
		{"no substring match", withDefault, "1404", "200"},
		{"5xx", withDefault, "503", "500"},
		{"alternation is anchored as a whole", withDefault, "301", "302"},
		{"alternation does not match a longer value", withDefault, "3011", "200"},
		{"empty value takes the default", withDefault, "", "200"},
		{"no default, match", noDefault, "204", "200"},
		{"no default, no match", noDefault, "404", ""},
		{".* is a default and the first default wins", twoDefaults, "500", "201"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mr := map[string]*apigw.MethodResponse{}
			am := &apigw.Method{HTTPMethod: "GET", MethodResponses: mr, Integration: &apigw.Integration{Type: "mock", IntegrationResponses: tc.resps}}
			m := compileMethod(t, am, nil)
			got := ""
			if r := m.selectResponse(tc.value); r != nil {
				got = r.Code
			}
			if got != tc.want {
				t.Errorf("selectResponse(%q) = %q, want %q", tc.value, got, tc.want)
			}
		})
	}
}

func TestCompileProblems(t *testing.T) {
	tests := []struct {
		name     string
		in       *apigw.Integration
		wantErr  []string
		wantWarn int
		fail     diag.Cause
	}{
		{"no integration", nil, []string{"GET /r has no x-amazon-apigateway-integration"}, 0, ""},
		{"bad integration response status", &apigw.Integration{Type: "mock", IntegrationResponses: []*apigw.IntegrationResponse{ir("default", "", "2xx")}},
			[]string{`integration response "default" has statusCode "2xx"`}, 0, ""},
		{"bad selection pattern", &apigw.Integration{Type: "mock", IntegrationResponses: []*apigw.IntegrationResponse{ir("(", "(", "400")}},
			[]string{"selectionPattern \"(\" is not a valid regular expression: error parsing regexp: missing closing ): `^(?:()$`"}, 0, ""},
		{"http without uri", &apigw.Integration{Type: "http"}, []string{"http integration has no uri"}, 0, ""},
		{"reserved header mapping", &apigw.Integration{Type: "http", URI: "http://h", RequestParameters: map[string]string{"integration.request.header.Content-Length": "'1'"}},
			nil, 1, diag.ReservedHeaderMapping},
		{"Authorization is reserved only for AWS types", &apigw.Integration{Type: "http", URI: "http://h", RequestParameters: map[string]string{"integration.request.header.authorization": "'1'"}},
			nil, 0, ""},
		{"AWS type not served", &apigw.Integration{Type: "aws", URI: "arn:aws:apigateway:us-east-1:s3:path/b"}, nil, 1, diag.IntegrationNotServed},
		{"bad request mapping is a warning", &apigw.Integration{Type: "mock", RequestParameters: map[string]string{"integration.request.header.X": "nope"}}, nil, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, probs := Compile("api1", "/r", &apigw.Method{HTTPMethod: "GET", Integration: tc.in}, nil)
			var errs []string
			warns := 0
			for _, p := range probs {
				if p.Err {
					errs = append(errs, p.Message)
				} else {
					warns++
				}
			}
			if diff := cmp.Diff(tc.wantErr, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if warns != tc.wantWarn {
				t.Errorf("%d warnings, want %d: %+v", warns, tc.wantWarn, probs)
			}
			var fail diag.Cause
			if m != nil && m.Fail != nil {
				fail = m.Fail.Cause
			}
			if fail != tc.fail {
				t.Errorf("Fail = %q, want %q", fail, tc.fail)
			}
		})
	}
}

const testReqID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

func newExchange(method, target string, stageVars map[string]string, params ...router.Param) *Exchange {
	req := httptest.NewRequest(method, target, nil)
	return &Exchange{
		Req:    req,
		Rec:    &exec.Record{RequestID: testReqID, Start: time.Date(2024, 3, 5, 9, 7, 3, 0, time.UTC), Stage: "dev"},
		APIID:  "api1",
		Stage:  &Stage{Name: "dev", Variables: stageVars},
		Params: params,
	}
}

func mockMethod(t *testing.T, tmpl string, statuses []string, resps ...*apigw.IntegrationResponse) *Method {
	t.Helper()
	mr := map[string]*apigw.MethodResponse{}
	for _, s := range statuses {
		mr[s] = &apigw.MethodResponse{}
	}
	in := &apigw.Integration{Type: "mock", IntegrationResponses: resps}
	if tmpl != "" {
		in.RequestTemplates = map[string]string{"application/json": tmpl}
	}
	return compileMethod(t, &apigw.Method{HTTPMethod: "GET", MethodResponses: mr, Integration: in}, nil)
}

func TestServeMock(t *testing.T) {
	resps := []*apigw.IntegrationResponse{
		ir("default", "", "200"),
		ir("201", "201", "201"),
		ir("4\\d\\d", "4\\d\\d", "404"),
		ir("-1", "-1", "500"),
	}
	statuses := []string{"200", "201", "404", "500"}
	tests := []struct {
		name   string
		tmpl   string
		target string
		status int
		cause  diag.Cause
	}{
		{"no template uses the default response", "", "/r", 200, ""},
		{"quoted key", `{"statusCode": 200}`, "/r", 200, ""},
		{"no spaces", `{"statusCode":201}`, "/r", 201, ""},
		{"unquoted key (lenient, as on AWS)", `{statusCode: 201}`, "/r", 201, ""},
		{"space before colon and after number", "{\"statusCode\" : 404 }", "/r", 404, ""},
		{"followed by a comma", `{"statusCode": 418, "x": 1}`, "/r", 404, ""},
		{"newline after number", "{\n  \"statusCode\": 201\n}", "/r", 201, ""},
		{"negative", `{"statusCode": -1}`, "/r", 500, ""},
		{"unmatched status falls to default", `{"statusCode": 302}`, "/r", 200, ""},
		{"rendered from the request (VTL)", `{"statusCode": $input.params('code')}`, "/r?code=201", 201, ""},
		{"last query value wins", `{"statusCode": $input.params('code')}`, "/r?code=500&code=404", 404, ""},
		{"quoted status is invalid", `{"statusCode": "200"}`, "/r", 0, diag.MockStatusInvalid},
		{"missing status is invalid", `{"status": 200}`, "/r", 0, diag.MockStatusInvalid},
		{"decimal status is invalid", `{"statusCode": 200.5}`, "/r", 0, diag.MockStatusInvalid},
		{"status at end of output without delimiter is invalid", `{"statusCode": 200`, "/r", 0, diag.MockStatusInvalid},
		{"empty rendered status is invalid", `{"statusCode": $input.params('code')}`, "/r", 0, diag.MockStatusInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mockMethod(t, tc.tmpl, statuses, resps...)
			resp, err := m.Serve(context.Background(), newExchange("GET", tc.target, nil), nil)
			if tc.cause != "" {
				if d := diag.As(err); err == nil || d.Cause != tc.cause {
					t.Fatalf("Serve = %v, %v; want cause %s", resp, err, tc.cause)
				}
				return
			}
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if resp.Status != tc.status {
				t.Errorf("status = %d, want %d", resp.Status, tc.status)
			}
		})
	}
}

// TestServeMockConformanceVectors runs the MOCK statusCode vectors of
// ../shared/conformance/mock_and_selection_localstack.json (mock-ls-*): the
// selected integration response reveals the parsed status.
func TestServeMockConformanceVectors(t *testing.T) {
	resps := []*apigw.IntegrationResponse{
		ir("default", "", "204"),
		ir("200", "200", "200"),
		ir("0", "0", "201"),
		ir("-1000", "-1000", "202"),
	}
	tests := []struct {
		id, rendered string
		status       int // client status of the selected response; 0 for MOCK_STATUS_INVALID
		bug          string
	}{
		{"mock-ls-statuscode-2", `{"statusCode": "200"}`, 0, ""},
		{"mock-ls-statuscode-3", `{"statusCode": 0}`, 201, ""},
		{"mock-ls-statuscode-4", `{"statusCode": -1000}`, 202, ""},
		{"mock-ls-lenient-valid-6", `{ statusCode: 200 }`, 200, ""},
		{"mock-ls-lenient-valid-7", `{statusCode: 200,super{ f}oo: [ba r]}`, 200, ""},
		{"mock-ls-lenient-valid-9", `{statusCode: 200, foo}: [ba r]}`, 200, ""},
		{"mock-ls-lenient-valid-11", `{statusCode: 200, }foo: [ba r]}`, 200, ""},
		{"mock-ls-lenient-valid-13", `{statusCode: 200, " ": " "}`, 200, ""},
		{"mock-ls-lenient-valid-14", `{statusCode: 200, "": ""}`, 200, ""},
		{"mock-ls-lenient-valid-15", `{'statusCode': 200, '': ''}`, 200, ""},
		{"mock-ls-lenient-valid-16", `{"statusCode": 200, "": ""}`, 200, ""},
		{"mock-ls-lenient-valid-18", `{"statusCode": 200 ,, }`, 200, ""},
		{"mock-ls-lenient-invalid-20", `{"statusCode': 200 }`, 0, ""},
		{"mock-ls-lenient-invalid-21", `{'statusCode": 200 }`, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			if tc.bug != "" {
				t.Skip(tc.bug)
			}
			// A literal template renders as written.
			m := mockMethod(t, tc.rendered, []string{"200", "201", "202", "204"}, resps...)
			resp, err := m.Serve(context.Background(), newExchange("GET", "/r", nil), nil)
			if tc.status == 0 {
				if d := diag.As(err); err == nil || d.Cause != diag.MockStatusInvalid {
					t.Fatalf("Serve = %+v, %v; want MOCK_STATUS_INVALID", resp, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if resp.Status != tc.status {
				t.Errorf("status = %d, want %d", resp.Status, tc.status)
			}
		})
	}
}

func TestServeMockStatusKeyIsExact(t *testing.T) {
	tests := []struct{ name, tmpl string }{
		{"nested statusCode first", `{"error": {"statusCode": 404}, "statusCode": 200}`},
		{"key ending in statusCode first", `{"backend_statusCode": 404, "statusCode": 200}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mockMethod(t, tc.tmpl, []string{"200", "404"}, ir("default", "", "200"), ir("404", "404", "404"))
			resp, err := m.Serve(context.Background(), newExchange("GET", "/r", nil), nil)
			if err != nil || resp.Status != 200 {
				t.Errorf("Serve = %+v, %v; want status 200", resp, err)
			}
		})
	}
}

func TestServeMockResponse(t *testing.T) {
	resps := []*apigw.IntegrationResponse{{
		Key: "default", StatusCode: "200",
		ResponseParameters: map[string]string{
			"method.response.header.X-Static": "'s'",
			"method.response.header.Server":   "'mine'",
		},
		ResponseTemplates: map[string]string{"application/json": `{"ok":true}`, "text/plain": "ok"},
	}}
	tests := []struct {
		name   string
		accept string
		want   Response
	}{
		{"json by default", "", Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}, "X-Static": {"s"}, "x-amzn-Remapped-Server": {"mine"}}, Body: []byte(`{"ok":true}`)}},
		{"Accept picks the template", "text/plain", Response{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}, "X-Static": {"s"}, "x-amzn-Remapped-Server": {"mine"}}, Body: []byte("ok")}},
		{"first Accept type with a template", "text/html, text/plain;q=0.9", Response{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}, "X-Static": {"s"}, "x-amzn-Remapped-Server": {"mine"}}, Body: []byte("ok")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mockMethod(t, "", []string{"200"}, resps...)
			x := newExchange("GET", "/r", nil)
			if tc.accept != "" {
				x.Req.Header.Set("Accept", tc.accept)
			}
			resp, err := m.Serve(context.Background(), x, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.want, resp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestServeMockResponseParamsFromStageAndContext(t *testing.T) {
	resps := []*apigw.IntegrationResponse{{
		Key: "default", StatusCode: "200",
		ResponseParameters: map[string]string{
			"method.response.header.X-Stage": "stageVariables.name",
			"method.response.header.X-Req":   "context.requestId",
		},
	}}
	m := mockMethod(t, "", []string{"200"}, resps...)
	resp, err := m.Serve(context.Background(), newExchange("GET", "/r", map[string]string{"name": "blue"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Stage"); got != "blue" {
		t.Errorf("X-Stage = %q, want blue", got)
	}
	if got := resp.Header.Get("X-Req"); got != testReqID {
		t.Errorf("X-Req = %q, want %s", got, testReqID)
	}
}

func TestServeMockSelectionErrors(t *testing.T) {
	tests := []struct {
		name     string
		statuses []string
		resps    []*apigw.IntegrationResponse
		cause    diag.Cause
		detail   string
	}{
		{"no integration response matches", []string{"200"}, []*apigw.IntegrationResponse{ir("2..", "2..", "200")}, diag.NoMatchingIntegrationRsp, "Endpoint Response Status Code: 404"},
		{"integration response not a method response", []string{"200"}, []*apigw.IntegrationResponse{ir("default", "", "201")}, diag.NoMatchingMethodResponse, "201"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mockMethod(t, `{"statusCode": 404}`, tc.statuses, tc.resps...)
			_, err := m.Serve(context.Background(), newExchange("GET", "/r", nil), nil)
			var d *diag.Error
			if !errors.As(err, &d) {
				t.Fatalf("err = %v, want a *diag.Error", err)
			}
			if d.Cause != tc.cause || d.Detail != tc.detail {
				t.Errorf("err = %s / %q, want %s / %q", d.Cause, d.Detail, tc.cause, tc.detail)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestServeHTTPEndpoint(t *testing.T) {
	tests := []struct {
		name      string
		uri       string
		params    map[string]string
		stageVars map[string]string
		target    string
		wantURL   string
		cause     diag.Cause
	}{
		{"stage variable and mapped path and query", "http://${stageVariables.host}/pets/{id}",
			map[string]string{"integration.request.path.id": "method.request.path.petId", "integration.request.querystring.q": "method.request.querystring.q"},
			map[string]string{"host": "backend.example:8081"}, "/r/7?q=a&q=b+c", "http://backend.example:8081/pets/7?q=b+c", ""},
		{"mapped query appended to a URI with a query", "http://backend.example/p?fixed=1",
			map[string]string{"integration.request.querystring.s": "'x y'"}, nil, "/r", "http://backend.example/p?fixed=1&s=x+y", ""},
		{"unresolved stage variable is an invalid endpoint", "http://${stageVariables.host}/pets", nil, map[string]string{}, "/r", "", diag.InvalidEndpoint},
		{"relative literal URI is an invalid endpoint", "/pets", nil, nil, "/r", "", diag.InvalidEndpoint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sent []string
			backend := &Backend{
				Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					sent = append(sent, r.URL.String())
					return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
				}),
				Classify: func(ctx context.Context, err error) *diag.Error {
					return diag.Wrap(diag.PhaseIntegration, diag.InternalError, err, "")
				},
			}
			am := &apigw.Method{HTTPMethod: "GET", MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
				Integration: &apigw.Integration{Type: "http", HTTPMethod: "GET", URI: tc.uri, RequestParameters: tc.params,
					IntegrationResponses: []*apigw.IntegrationResponse{ir("default", "", "200")}}}
			m := compileMethod(t, am, backend)
			x := newExchange("GET", tc.target, tc.stageVars, router.Param{Name: "petId", Value: "7"})
			_, err := m.Serve(context.Background(), x, nil)
			if tc.cause != "" {
				if d := diag.As(err); err == nil || d.Cause != tc.cause {
					t.Fatalf("Serve err = %v, want cause %s", err, tc.cause)
				}
				if len(sent) != 0 || x.Rec.EndpointURI != "" {
					t.Errorf("backend called (%v) or EndpointURI set (%q) for an invalid endpoint", sent, x.Rec.EndpointURI)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tc.wantURL}, sent); diff != "" {
				t.Errorf("endpoint requests (-want +got):\n%s", diff)
			}
			if x.Rec.EndpointURI != tc.wantURL {
				t.Errorf("Rec.EndpointURI = %q, want %q", x.Rec.EndpointURI, tc.wantURL)
			}
		})
	}
}
