package gatewayresponse

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

// fakeVars answers from maps; an unknown name is "". When err is set,
// error.* come from its catalog entry, as the gateway's Exchange does.
type fakeVars struct {
	ctx   map[string]string
	stage map[string]string
	req   map[string]string // "location.name"
	err   *diag.Error
}

func (v fakeVars) Context(name string) string {
	if v.err != nil {
		info := v.err.Info()
		switch name {
		case "error.message":
			return info.Message
		case "error.messageString":
			return MessageString(info)
		case "error.responseType":
			return string(info.ResponseType)
		}
	}
	return v.ctx[name]
}
func (v fakeVars) StageVariable(name string) string           { return v.stage[name] }
func (v fakeVars) MethodRequest(location, name string) string { return v.req[location+"."+name] }

var vars = fakeVars{
	ctx: map[string]string{
		"requestId":           "req-1",
		"stage":               "dev",
		"error.messageString": `"boom"`,
		"identity.sourceIp":   "10.0.0.1",
	},
	stage: map[string]string{"origin": "https://a.example", "a.b": "dotted", "x": "X"},
}

func render(src string, v Vars) string {
	var b strings.Builder
	CompileTemplate(src).Render(&b, v)
	return b.String()
}

func TestTemplateSubstitution(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", ""},
		{"literal", `{"message":"hi"}`, `{"message":"hi"}`},
		{"context", "$context.requestId", "req-1"},
		{"context in text", `{"id":"$context.requestId","s":"$context.stage"}`, `{"id":"req-1","s":"dev"}`},
		{"braced context", "${context.requestId}", "req-1"},
		{"braced context followed by text", "a${context.requestId}b", "areq-1b"},
		{"dotted context name", "$context.identity.sourceIp", "10.0.0.1"},
		{"default template", apigw.DefaultGatewayResponseTemplate, `{"message":"boom"}`},
		{"stage variable", "$stageVariables.origin", "https://a.example"},
		{"braced stage variable", "${stageVariables.origin}", "https://a.example"},
		{"bracket stage variable", "$stageVariables['origin']", "https://a.example"},
		{"braced bracket stage variable", "${stageVariables['origin']}", "https://a.example"},
		{"bracket name with dot", "$stageVariables['a.b']", "dotted"},
		{"adjacent references", "$context.stage$stageVariables.x", "devX"},
		{"unknown context renders empty", "[$context.nope]", "[]"},
		{"unknown stage variable renders empty", "[$stageVariables.nope]", "[]"},
		{"unknown bracket stage variable renders empty", "[$stageVariables['nope']]", "[]"},
		{"lone dollar", "$", "$"},
		{"dollar at end", "cost: 5$", "cost: 5$"},
		{"double dollar", "$$context.stage", "$dev"},
		{"dollar space", "$ context.stage", "$ context.stage"},
		{"input left literal", "$input.body $input.json('$')", "$input.body $input.json('$')"},
		{"util left literal", "$util.escapeJavaScript($context.stage)", "$util.escapeJavaScript(dev)"},
		{"other word left literal", "$contexts.stage $stageVariable.x", "$contexts.stage $stageVariable.x"},
		{"trailing dot stays text", "$context.requestId.", "req-1."},
		{"trailing dots stay text", "id=$context.requestId...", "id=req-1..."},
		{"no name after prefix", "$context. $stageVariables.", "$context. $stageVariables."},
		{"name stops at other bytes", "$context.stage-x $context.stage}", "dev-x dev}"},
		{"unclosed brace stays literal", "${context.stage", "${context.stage"},
		{"braced with extra text stays literal", "${context.stage x}", "${context.stage x}"},
		{"unclosed bracket stays literal", "$stageVariables['origin", "$stageVariables['origin"},
		{"braced bracket without brace stays literal", "${stageVariables['origin']", "${stageVariables['origin']"},
		{"unicode text kept", "é$context.stage€", "édev€"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(tc.src, vars); got != tc.want {
				t.Errorf("render(%q) = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}

// recordingVars records which names a template asks for.
type recordingVars struct{ asked *[]string }

func (r recordingVars) Context(n string) string {
	*r.asked = append(*r.asked, "context:"+n)
	return ""
}
func (r recordingVars) StageVariable(n string) string {
	*r.asked = append(*r.asked, "stage:"+n)
	return ""
}
func (r recordingVars) MethodRequest(l, n string) string { return "" }

func TestTemplateNames(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"$context.error.messageString", []string{"context:error.messageString"}},
		{"${context.a.b}", []string{"context:a.b"}},
		{"$context.a.", []string{"context:a"}},
		{"$stageVariables['we ird']", []string{"stage:we ird"}},
		{"${stageVariables.v_1}x$context.y", []string{"stage:v_1", "context:y"}},
		{"$input.path('$.x')", nil},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			var asked []string
			var b strings.Builder
			CompileTemplate(tc.src).Render(&b, recordingVars{&asked})
			if diff := cmp.Diff(tc.want, asked); diff != "" {
				t.Errorf("names asked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMessageString(t *testing.T) {
	tests := []struct {
		name string
		info diag.CauseInfo
		want string
	}{
		{"spaced", diag.CauseInfo{Message: "Internal server error", Spaced: true}, ` "Internal server error"`},
		{"not spaced", diag.CauseInfo{Message: "Missing Authentication Token"}, `"Missing Authentication Token"`},
		{"null", diag.CauseInfo{Message: "ignored", Null: true}, "null"},
		{"spaced null", diag.CauseInfo{Null: true, Spaced: true}, " null"},
		{"quotes escaped", diag.CauseInfo{Message: `say "hi"`}, `"say \"hi\""`},
		{"catalog INTERNAL_ERROR", diag.Lookup(diag.InternalError), ` "Internal server error"`},
		{"catalog ROUTE_NOT_FOUND", diag.Lookup(diag.RouteNotFound), `"Missing Authentication Token"`},
		{"catalog INTEGRATION_TIMEOUT", diag.Lookup(diag.IntegrationTimeout), ` "Endpoint request timed out"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MessageString(tc.info); got != tc.want {
				t.Errorf("MessageString = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestJSONQuote(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain", `"plain"`},
		{`<a href="x">&</a>`, `"<a href=\"x\">&</a>"`},
		{"line\nbreak\ttab", `"line\nbreak\ttab"`},
		{`back\slash`, `"back\\slash"`},
		{"é€", `"é€"`},
		{"\x00", `"\u0000"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := JSONQuote(tc.in); got != tc.want {
				t.Errorf("JSONQuote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func mustCompile(t *testing.T, custom map[apigw.GatewayResponseType]*apigw.GatewayResponse) *Set {
	t.Helper()
	s, err := Compile(custom)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

func errOf(c diag.Cause) *diag.Error { return diag.New(diag.PhaseIntegration, c, "detail") }

type want struct {
	Status int
	Header http.Header
	Body   string
	Type   apigw.GatewayResponseType
}

func got(r Response) want {
	return want{Status: r.Status, Header: r.Header, Body: string(r.Body), Type: r.ResponseType}
}

func hdr(ct, errorType string, kv ...string) http.Header {
	h := http.Header{"Content-Type": {ct}}
	if errorType != "" {
		h["x-amzn-ErrorType"] = []string{errorType}
	}
	for i := 0; i < len(kv); i += 2 {
		h[kv[i]] = []string{kv[i+1]}
	}
	return h
}

func TestRenderDefaults(t *testing.T) {
	s := mustCompile(t, nil)
	ise := `{"message": "Internal server error"}`
	tests := []struct {
		cause diag.Cause
		want  want
	}{
		{diag.RouteNotFound, want{403, hdr("application/json", "MissingAuthenticationTokenException"), `{"message":"Missing Authentication Token"}`, apigw.MissingAuthenticationToken}},
		{diag.RequestTooLarge, want{413, hdr("application/json", "RequestTooLargeException"), `{"message":"Request Too Long"}`, apigw.RequestTooLarge}},
		{diag.UnsupportedMediaType, want{415, hdr("application/json", "BadRequestException"), `{"message": "Unsupported Media Type"}`, apigw.UnsupportedMediaType}},
		{diag.ClientAborted, want{400, hdr("application/json", "BadRequestException"), `{"message": "Invalid request body"}`, apigw.BadRequestBody}},
		{diag.InvalidEndpoint, want{500, hdr("application/json", "InternalServerErrorException"), ise, apigw.APIConfigurationError}},
		{diag.IntegrationTimeout, want{504, hdr("application/json", "InternalServerErrorException"), `{"message": "Endpoint request timed out"}`, apigw.IntegrationTimeout}},
		// INTEGRATION_FAILURE's default is 504, but AWS answers these with 500 (cause Status).
		{diag.UpstreamConnectRefused, want{500, hdr("application/json", "InternalServerErrorException"), ise, apigw.IntegrationFailure}},
		{diag.UpstreamBadResponse, want{500, hdr("application/json", "InternalServerErrorException"), ise, apigw.IntegrationFailure}},
		// DEFAULT_5XX has no status nor ErrorType of its own.
		{diag.InternalError, want{500, hdr("application/json", "InternalServerErrorException"), ise, apigw.Default5XX}},
		{diag.Cause("UNKNOWN_CAUSE"), want{500, hdr("application/json", "InternalServerErrorException"), ise, apigw.Default5XX}},
	}
	for _, tc := range tests {
		t.Run(string(tc.cause), func(t *testing.T) {
			e := errOf(tc.cause)
			if diff := cmp.Diff(tc.want, got(s.Render(e, fakeVars{err: e}))); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBodyLengths(t *testing.T) {
	// AWS's recorded Content-Length of the default 500 body is 36.
	s := mustCompile(t, nil)
	e := errOf(diag.InternalError)
	if n := len(s.Render(e, fakeVars{err: e}).Body); n != 36 {
		t.Errorf("500 body is %d bytes, want 36", n)
	}
}

func TestRenderCustomised(t *testing.T) {
	type custom = map[apigw.GatewayResponseType]*apigw.GatewayResponse
	v := fakeVars{
		ctx:   map[string]string{"requestId": "req-9"},
		stage: map[string]string{"origin": "https://o.example"},
		req:   map[string]string{"header.X-Trace": "t-1", "path.petId": "7", "querystring.q": "dogs"},
	}
	tests := []struct {
		name   string
		custom custom
		cause  diag.Cause
		want   want
	}{
		{
			name: "status, template and parameters",
			custom: custom{apigw.MissingAuthenticationToken: {
				StatusCode: "404",
				ResponseParameters: map[string]string{
					"gatewayresponse.header.access-control-allow-origin": "'*'",
					"gatewayresponse.header.X-Trace":                     "method.request.header.X-Trace",
					"gatewayresponse.header.X-Pet":                       "method.request.path.petId",
					"gatewayresponse.header.X-Q":                         "method.request.querystring.q",
					"gatewayresponse.header.X-Origin":                    "stageVariables.origin",
					"gatewayresponse.header.X-Req":                       "context.requestId",
					"gatewayresponse.header.X-Missing":                   "method.request.header.Absent",
				},
				ResponseTemplates: map[string]string{"application/json": `{"error":"not found","id":"$context.requestId"}`},
			}},
			cause: diag.RouteNotFound,
			want: want{404, hdr("application/json", "MissingAuthenticationTokenException",
				"Access-Control-Allow-Origin", "*", "X-Trace", "t-1", "X-Pet", "7", "X-Q", "dogs", "X-Origin", "https://o.example", "X-Req", "req-9"),
				`{"error":"not found","id":"req-9"}`, apigw.MissingAuthenticationToken},
		},
		{
			name:   "template key gives the Content-Type",
			custom: custom{apigw.MissingAuthenticationToken: {ResponseTemplates: map[string]string{"text/plain": "nope $stageVariables.origin"}}},
			cause:  diag.RouteNotFound,
			want:   want{403, hdr("text/plain", "MissingAuthenticationTokenException"), "nope https://o.example", apigw.MissingAuthenticationToken},
		},
		{
			name:   "application/json wins over other template keys",
			custom: custom{apigw.MissingAuthenticationToken: {ResponseTemplates: map[string]string{"text/html": "<b>", "application/json": "{}", "application/xml": "<x/>"}}},
			cause:  diag.RouteNotFound,
			want:   want{403, hdr("application/json", "MissingAuthenticationTokenException"), "{}", apigw.MissingAuthenticationToken},
		},
		{
			name:   "without application/json the first key in order is used",
			custom: custom{apigw.MissingAuthenticationToken: {ResponseTemplates: map[string]string{"text/plain": "plain", "application/xml": "<x/>"}}},
			cause:  diag.RouteNotFound,
			want:   want{403, hdr("application/xml", "MissingAuthenticationTokenException"), "<x/>", apigw.MissingAuthenticationToken},
		},
		{
			name:   "customisation without templates keeps the default body",
			custom: custom{apigw.MissingAuthenticationToken: {StatusCode: "404"}},
			cause:  diag.RouteNotFound,
			want:   want{404, hdr("application/json", "MissingAuthenticationTokenException"), `{"message":"Missing Authentication Token"}`, apigw.MissingAuthenticationToken},
		},
		{
			name:   "DEFAULT_4XX status, template and parameters are inherited",
			custom: custom{apigw.Default4XX: {StatusCode: "418", ResponseParameters: map[string]string{"gatewayresponse.header.X-Fam": "'4xx'"}, ResponseTemplates: map[string]string{"application/json": `{"m":$context.error.messageString}`}}},
			cause:  diag.RouteNotFound,
			want:   want{418, hdr("application/json", "MissingAuthenticationTokenException", "X-Fam", "4xx"), `{"m":"Missing Authentication Token"}`, apigw.MissingAuthenticationToken},
		},
		{
			name:   "DEFAULT_4XX does not reach 5XX types",
			custom: custom{apigw.Default4XX: {StatusCode: "418", ResponseParameters: map[string]string{"gatewayresponse.header.X-Fam": "'4xx'"}}},
			cause:  diag.InvalidEndpoint,
			want:   want{500, hdr("application/json", "InternalServerErrorException"), `{"message": "Internal server error"}`, apigw.APIConfigurationError},
		},
		{
			name:   "a customised type does not inherit DEFAULT_4XX",
			custom: custom{apigw.Default4XX: {StatusCode: "418", ResponseParameters: map[string]string{"gatewayresponse.header.X-Fam": "'4xx'"}}, apigw.MissingAuthenticationToken: {StatusCode: "404"}},
			cause:  diag.RouteNotFound,
			want:   want{404, hdr("application/json", "MissingAuthenticationTokenException"), `{"message":"Missing Authentication Token"}`, apigw.MissingAuthenticationToken},
		},
		{
			name:   "DEFAULT_5XX custom status applies to INTEGRATION_FAILURE",
			custom: custom{apigw.Default5XX: {StatusCode: "503"}},
			cause:  diag.UpstreamConnectRefused,
			want:   want{503, hdr("application/json", "InternalServerErrorException"), `{"message": "Internal server error"}`, apigw.IntegrationFailure},
		},
		{
			name:   "DEFAULT_5XX custom status applies to INTEGRATION_TIMEOUT",
			custom: custom{apigw.Default5XX: {StatusCode: "503"}},
			cause:  diag.IntegrationTimeout,
			want:   want{503, hdr("application/json", "InternalServerErrorException"), `{"message": "Endpoint request timed out"}`, apigw.IntegrationTimeout},
		},
		{
			name:   "DEFAULT_5XX custom status applies to DEFAULT_5XX causes",
			custom: custom{apigw.Default5XX: {StatusCode: "599"}},
			cause:  diag.InternalError,
			want:   want{599, hdr("application/json", "InternalServerErrorException"), `{"message": "Internal server error"}`, apigw.Default5XX},
		},
		{
			name:   "DEFAULT_5XX with a 4xx status keeps no generated ErrorType for DEFAULT_5XX",
			custom: custom{apigw.Default5XX: {StatusCode: "418"}},
			cause:  diag.InternalError,
			want:   want{418, hdr("application/json", ""), `{"message": "Internal server error"}`, apigw.Default5XX},
		},
		{
			name:   "customised INTEGRATION_FAILURE status takes precedence over the cause status",
			custom: custom{apigw.IntegrationFailure: {StatusCode: "502"}},
			cause:  diag.UpstreamDNSFailure,
			want:   want{502, hdr("application/json", "InternalServerErrorException"), `{"message": "Internal server error"}`, apigw.IntegrationFailure},
		},
		{
			name:   "DEFAULT_5XX parameters without status keep the cause status",
			custom: custom{apigw.Default5XX: {ResponseParameters: map[string]string{"gatewayresponse.header.X-Fam": "'5xx'"}}},
			cause:  diag.UpstreamReset,
			want:   want{500, hdr("application/json", "InternalServerErrorException", "X-Fam", "5xx"), `{"message": "Internal server error"}`, apigw.IntegrationFailure},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCompile(t, tc.custom)
			e := errOf(tc.cause)
			v := v
			v.err = e
			if diff := cmp.Diff(tc.want, got(s.Render(e, v))); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderExplicitDefaultStatusIsCustomised(t *testing.T) {
	s := mustCompile(t, map[apigw.GatewayResponseType]*apigw.GatewayResponse{apigw.IntegrationFailure: {StatusCode: "504"}})
	e := errOf(diag.UpstreamConnectRefused)
	if st := s.Render(e, fakeVars{err: e}).Status; st != 504 {
		t.Errorf("status = %d, want 504 (customised)", st)
	}
}

func TestCompileErrors(t *testing.T) {
	type custom = map[apigw.GatewayResponseType]*apigw.GatewayResponse
	tests := []struct {
		name   string
		custom custom
		want   string
	}{
		{"status not a number", custom{apigw.MissingAuthenticationToken: {StatusCode: "abc"}},
			`gateway response MISSING_AUTHENTICATION_TOKEN: statusCode "abc" is not an HTTP status (100-599)`},
		{"status too low", custom{apigw.AccessDenied: {StatusCode: "99"}},
			`gateway response ACCESS_DENIED: statusCode "99" is not an HTTP status (100-599)`},
		{"status too high", custom{apigw.AccessDenied: {StatusCode: "600"}},
			`gateway response ACCESS_DENIED: statusCode "600" is not an HTTP status (100-599)`},
		{"parameter key not a gateway response header", custom{apigw.Unauthorized: {ResponseParameters: map[string]string{"method.response.header.X": "'v'"}}},
			`gateway response UNAUTHORIZED: parameter "method.response.header.X" must be gatewayresponse.header.NAME`},
		{"parameter key without name", custom{apigw.Unauthorized: {ResponseParameters: map[string]string{"gatewayresponse.header.": "'v'"}}},
			`gateway response UNAUTHORIZED: parameter "gatewayresponse.header." must be gatewayresponse.header.NAME`},
		{"unquoted value", custom{apigw.Unauthorized: {ResponseParameters: map[string]string{"gatewayresponse.header.X": "v"}}},
			`gateway response UNAUTHORIZED: parameter "gatewayresponse.header.X": value "v" is not 'static', method.request.{header,path,querystring}.NAME, stageVariables.NAME or context.NAME`},
		{"lone quote", custom{apigw.Unauthorized: {ResponseParameters: map[string]string{"gatewayresponse.header.X": "'"}}},
			`gateway response UNAUTHORIZED: parameter "gatewayresponse.header.X": value "'" is not 'static', method.request.{header,path,querystring}.NAME, stageVariables.NAME or context.NAME`},
		{"method request body", custom{apigw.Unauthorized: {ResponseParameters: map[string]string{"gatewayresponse.header.X": "method.request.body"}}},
			`gateway response UNAUTHORIZED: parameter "gatewayresponse.header.X": value "method.request.body" is not 'static', method.request.{header,path,querystring}.NAME, stageVariables.NAME or context.NAME`},
		{"method request header without name", custom{apigw.Unauthorized: {ResponseParameters: map[string]string{"gatewayresponse.header.X": "method.request.header."}}},
			`gateway response UNAUTHORIZED: parameter "gatewayresponse.header.X": value "method.request.header." is not 'static', method.request.{header,path,querystring}.NAME, stageVariables.NAME or context.NAME`},
		{"multivalue header not served", custom{apigw.Unauthorized: {ResponseParameters: map[string]string{"gatewayresponse.header.X": "method.request.multivalueheader.A"}}},
			`gateway response UNAUTHORIZED: parameter "gatewayresponse.header.X": value "method.request.multivalueheader.A" is not 'static', method.request.{header,path,querystring}.NAME, stageVariables.NAME or context.NAME`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.custom)
			if err == nil {
				t.Fatalf("Compile succeeded (%v), want error %q", s, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q\nwant    %q", err, tc.want)
			}
		})
	}
}

func TestCompileErrorNamesDefaultType(t *testing.T) {
	_, err := Compile(map[apigw.GatewayResponseType]*apigw.GatewayResponse{apigw.Default4XX: {StatusCode: "abc"}})
	if err == nil || !strings.Contains(err.Error(), "DEFAULT_4XX") {
		t.Errorf("error = %v, want it to name DEFAULT_4XX", err)
	}
}

func TestCompileEmptyNameSources(t *testing.T) {
	for _, v := range []string{"stageVariables.", "context."} {
		if _, err := Compile(map[apigw.GatewayResponseType]*apigw.GatewayResponse{apigw.Unauthorized: {ResponseParameters: map[string]string{"gatewayresponse.header.X": v}}}); err == nil {
			t.Errorf("value %q compiled, want an error", v)
		}
	}
}

func TestCompileEveryType(t *testing.T) {
	s := mustCompile(t, nil)
	for _, info := range apigw.GatewayResponseTypes {
		t.Run(string(info.Type), func(t *testing.T) {
			c, ok := s.byType[info.Type]
			if !ok {
				t.Fatal("type not compiled")
			}
			wantStatus := 0
			if info.DefaultStatus != "" {
				wantStatus = atoi(t, info.DefaultStatus)
			}
			if c.status != wantStatus || c.customised || c.contentType != "application/json" {
				t.Errorf("compiled status=%d customised=%v contentType=%q; want %d false application/json", c.status, c.customised, c.contentType, wantStatus)
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("bad number %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func FuzzCompileTemplate(f *testing.F) {
	for _, s := range []string{
		"", "$", "$$", "${", "${}", "$context.", "${context.x}", "${context.x",
		"$stageVariables['x']", "${stageVariables['x']}", "${stageVariables['x']",
		"$stageVariables['", apigw.DefaultGatewayResponseTemplate, "$context.a..b.", "plain text",
		runtimeCLF,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl := CompileTemplate(src)
		var b strings.Builder
		tmpl.Render(&b, vars)
		// With every name resolving to "", the output can only lose bytes.
		var e strings.Builder
		tmpl.Render(&e, fakeVars{})
		if e.Len() > len(src) {
			t.Errorf("render with empty vars grew %q to %q", src, e.String())
		}
		if !strings.Contains(src, "$") {
			if b.String() != src {
				t.Errorf("literal template %q rendered as %q", src, b.String())
			}
		}
		// Literal pieces never reference anything: a template made of the
		// rendered output with '$' removed is literal.
		lit := strings.ReplaceAll(b.String(), "$", "")
		var l strings.Builder
		CompileTemplate(lit).Render(&l, vars)
		if l.String() != lit {
			t.Errorf("literal %q rendered as %q", lit, l.String())
		}
	})
}

// runtimeCLF is the CLF access-log preset (a template this package also compiles).
const runtimeCLF = `$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId`
