package exec

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/diag"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const reqID = "c0ffee00-1111-2222-3333-444455556666"

// t0 is the fixed start of every record; no test depends on the clock.
var t0 = time.Date(2024, time.March, 5, 9, 7, 3, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// base is the method request every record starts from.
func base() Record {
	return Record{
		RequestID:         reqID,
		ExtendedRequestID: "AbCdEfGhIjKlMnO=",
		APIID:             "petstore",
		Stage:             "dev",
		Start:             t0,
		HTTPMethod:        "GET",
		Path:              "/pets/7",
		ResourcePath:      "/pets/{petId}",
		PathParams:        []KV{{"petId", "7"}},
		Query:             []KV{{"limit", "2"}, {"sort", "asc"}},
		Headers:           []KV{{"Accept", "*/*"}, {"User-Agent", "curl/8.5"}},
		SourceIP:          "127.0.0.1",
		UserAgent:         "curl/8.5",
		Protocol:          "HTTP/1.1",
	}
}

func mockRecord() *Record {
	r := base()
	r.Status = 200
	r.ResponseHeaders = []KV{{"Content-Type", "application/json"}}
	r.ResponseBody = []byte(`{"id":7}`)
	r.ResponseBodyKept = true
	r.ResponseLength = 8
	r.End = at(3)
	return &r
}

func httpRecord() *Record {
	r := base()
	r.EndpointURI = "http://127.0.0.1:8081/pets/7?limit=2"
	r.EndpointHeaders = []KV{{"Accept", "application/json"}, {"User-Agent", "AmazonAPIGateway_petstore"}}
	r.EndpointSent = true
	r.IntegrationStart = at(2)
	r.IntegrationEnd = at(47)
	r.IntegrationReceived = true
	r.IntegrationStatus = 200
	r.EndpointRespHeaders = []KV{{"Content-Type", "application/json"}, {"Content-Length", "20"}}
	r.EndpointRespBody = []byte(`{"id":7,"type":"dog"}`)
	r.EndpointRespBodyKept = true
	r.Status = 200
	r.ResponseHeaders = []KV{{"Content-Type", "application/json"}}
	r.ResponseBody = []byte(`{"id":7,"type":"dog"}`)
	r.ResponseBodyKept = true
	r.ResponseLength = 21
	r.End = at(49)
	return &r
}

func timeoutRecord() *Record {
	r := base()
	r.EndpointURI = "http://127.0.0.1:8081/slow"
	r.EndpointHeaders = []KV{{"Accept", "application/json"}}
	r.EndpointSent = true
	r.IntegrationStart = at(2)
	r.IntegrationEnd = at(29002)
	r.Status = 504
	r.End = at(29003)
	r.Err = diag.New(diag.PhaseIntegration, diag.IntegrationTimeout, "timeoutInMillis 29000")
	return &r
}

func invalidEndpointRecord() *Record {
	r := base()
	r.Status = 500
	r.End = at(1)
	r.Err = diag.New(diag.PhaseIntegrationRequest, diag.InvalidEndpoint, `integration URI expands to "/pets", which is not an absolute http(s) URL`)
	return &r
}

func noMethodResponseRecord() *Record {
	r := httpRecord()
	r.IntegrationStatus = 201
	r.Status = 500
	r.ResponseHeaders, r.ResponseBody, r.ResponseBodyKept = nil, nil, false
	r.Err = diag.New(diag.PhaseMethodResponse, diag.NoMatchingMethodResponse, "201")
	return r
}

func truncatedRecord() *Record {
	r := mockRecord()
	r.HTTPMethod = "POST"
	r.Body = []byte(`{"blob":"` + strings.Repeat("x", 2000) + `"}`)
	return r
}

type levelCase struct {
	name string
	opts LogOptions
}

var levels = []levelCase{
	{"OFF", LogOptions{Level: LevelOff}},
	{"OFF+DataTrace", LogOptions{Level: LevelOff, DataTrace: true}},
	{"ERROR", LogOptions{Level: LevelError}},
	{"ERROR+DataTrace", LogOptions{Level: LevelError, DataTrace: true}},
	{"INFO", LogOptions{Level: LevelInfo}},
	{"INFO+DataTrace", LogOptions{Level: LevelInfo, DataTrace: true}},
}

// renderLevels renders a record at every level, one section per level, in
// TestInvoke form so that the golden file also pins the line times.
func renderLevels(r *Record) string {
	var b strings.Builder
	for i, l := range levels {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("== " + l.name + " ==\n")
		lines := r.Lines(l.opts)
		if lines == nil {
			b.WriteString("(no lines)\n")
			continue
		}
		b.WriteString(TestInvokeText(r.RequestID, lines))
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestLinesGolden(t *testing.T) {
	tests := []struct {
		name string
		rec  *Record
	}{
		{"mock", mockRecord()},
		{"http", httpRecord()},
		{"timeout", timeoutRecord()},
		{"invalid_endpoint", invalidEndpointRecord()},
		{"no_matching_method_response", noMethodResponseRecord()},
		{"truncated", truncatedRecord()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "lines_"+tc.name, renderLevels(tc.rec))
		})
	}
}

func msgs(lines []Line) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Msg)
	}
	return out
}

// TestLinesByLevel pins the exact messages independently of the golden files.
func TestLinesByLevel(t *testing.T) {
	mockInfo := []string{
		"Starting execution for request: " + reqID,
		"HTTP Method: GET, Resource Path: /pets/7",
		"Method request path: {petId=7}",
		"Method request query string: {limit=2, sort=asc}",
		"Successfully completed execution",
		"Method completed with status: 200",
	}
	mockData := []string{
		"Starting execution for request: " + reqID,
		"HTTP Method: GET, Resource Path: /pets/7",
		"Method request path: {petId=7}",
		"Method request query string: {limit=2, sort=asc}",
		"Method request headers: {Accept=*/*, User-Agent=curl/8.5}",
		"Method request body before transformations: ",
		"Method response body after transformations: {\"id\":7}",
		"Method response headers: {Content-Type=application/json}",
		"Successfully completed execution",
		"Method completed with status: 200",
	}
	httpInfo := []string{
		"Starting execution for request: " + reqID,
		"HTTP Method: GET, Resource Path: /pets/7",
		"Method request path: {petId=7}",
		"Method request query string: {limit=2, sort=asc}",
		"Endpoint request URI: http://127.0.0.1:8081/pets/7?limit=2",
		"Sending request to http://127.0.0.1:8081/pets/7?limit=2",
		"Received response. Status: 200, Integration latency: 45 ms",
		"Successfully completed execution",
		"Method completed with status: 200",
	}
	httpData := []string{
		"Starting execution for request: " + reqID,
		"HTTP Method: GET, Resource Path: /pets/7",
		"Method request path: {petId=7}",
		"Method request query string: {limit=2, sort=asc}",
		"Method request headers: {Accept=*/*, User-Agent=curl/8.5}",
		"Method request body before transformations: ",
		"Endpoint request URI: http://127.0.0.1:8081/pets/7?limit=2",
		"Endpoint request headers: {Accept=application/json, User-Agent=AmazonAPIGateway_petstore}",
		"Endpoint request body after transformations: ",
		"Sending request to http://127.0.0.1:8081/pets/7?limit=2",
		"Received response. Status: 200, Integration latency: 45 ms",
		"Endpoint response headers: {Content-Type=application/json, Content-Length=20}",
		`Endpoint response body before transformations: {"id":7,"type":"dog"}`,
		`Method response body after transformations: {"id":7,"type":"dog"}`,
		"Method response headers: {Content-Type=application/json}",
		"Successfully completed execution",
		"Method completed with status: 200",
	}
	timeoutErr := []string{
		"Execution failed due to a timeout error",
		"Method completed with status: 504",
	}
	timeoutInfo := []string{
		"Starting execution for request: " + reqID,
		"HTTP Method: GET, Resource Path: /pets/7",
		"Method request path: {petId=7}",
		"Method request query string: {limit=2, sort=asc}",
		"Endpoint request URI: http://127.0.0.1:8081/slow",
		"Execution failed due to a timeout error",
		"Method completed with status: 504",
	}
	invalidErr := []string{
		"Execution failed due to configuration error: Invalid endpoint address",
		"Method completed with status: 500",
	}
	invalidInfo := []string{
		"Starting execution for request: " + reqID,
		"HTTP Method: GET, Resource Path: /pets/7",
		"Method request path: {petId=7}",
		"Method request query string: {limit=2, sort=asc}",
		"Execution failed due to configuration error: Invalid endpoint address",
		"Method completed with status: 500",
	}
	nmmrErr := []string{
		"Execution failed due to configuration error: Output mapping refers to an invalid method response: 201",
		"Method completed with status: 500",
	}
	tests := []struct {
		name string
		rec  *Record
		opts LogOptions
		want []string
	}{
		{"mock/OFF", mockRecord(), LogOptions{Level: LevelOff, DataTrace: true}, nil},
		{"mock/ERROR success", mockRecord(), LogOptions{Level: LevelError, DataTrace: true}, nil},
		{"mock/INFO", mockRecord(), LogOptions{Level: LevelInfo}, mockInfo},
		{"mock/INFO+DataTrace", mockRecord(), LogOptions{Level: LevelInfo, DataTrace: true}, mockData},
		{"http/OFF", httpRecord(), LogOptions{Level: LevelOff}, nil},
		{"http/ERROR success", httpRecord(), LogOptions{Level: LevelError}, nil},
		{"http/INFO", httpRecord(), LogOptions{Level: LevelInfo}, httpInfo},
		{"http/INFO+DataTrace", httpRecord(), LogOptions{Level: LevelInfo, DataTrace: true}, httpData},
		{"timeout/OFF", timeoutRecord(), LogOptions{Level: LevelOff}, nil},
		{"timeout/ERROR", timeoutRecord(), LogOptions{Level: LevelError}, timeoutErr},
		{"timeout/ERROR+DataTrace", timeoutRecord(), LogOptions{Level: LevelError, DataTrace: true}, timeoutErr},
		{"timeout/INFO", timeoutRecord(), LogOptions{Level: LevelInfo}, timeoutInfo},
		{"invalid endpoint/ERROR", invalidEndpointRecord(), LogOptions{Level: LevelError}, invalidErr},
		{"invalid endpoint/INFO", invalidEndpointRecord(), LogOptions{Level: LevelInfo}, invalidInfo},
		{"no matching method response/ERROR", noMethodResponseRecord(), LogOptions{Level: LevelError}, nmmrErr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, msgs(tc.rec.Lines(tc.opts))); diff != "" {
				t.Errorf("Lines(%+v) (-want +got):\n%s", tc.opts, diff)
			}
		})
	}
}

func TestLinesTimes(t *testing.T) {
	tests := []struct {
		name string
		rec  *Record
		opts LogOptions
		want []time.Time
	}{
		// Lines before the integration carry the start time, the endpoint
		// request the integration start, the response the integration end,
		// the completion the end.
		{"http/INFO", httpRecord(), LogOptions{Level: LevelInfo}, []time.Time{t0, t0, t0, t0, at(2), at(2), at(47), at(49), at(49)}},
		{"timeout/ERROR", timeoutRecord(), LogOptions{Level: LevelError}, []time.Time{at(29003), at(29003)}},
		{"invalid endpoint/INFO", invalidEndpointRecord(), LogOptions{Level: LevelInfo}, []time.Time{t0, t0, t0, t0, at(1), at(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []time.Time
			for _, l := range tc.rec.Lines(tc.opts) {
				got = append(got, l.Time)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("line times (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinesFailureDetail(t *testing.T) {
	tests := []struct {
		name string
		err  *diag.Error
		want string
	}{
		{"NO_MATCHING_METHOD_RESPONSE appends the code", diag.New(diag.PhaseMethodResponse, diag.NoMatchingMethodResponse, "418"),
			"Execution failed due to configuration error: Output mapping refers to an invalid method response: 418"},
		{"NO_MATCHING_METHOD_RESPONSE without detail", diag.New(diag.PhaseMethodResponse, diag.NoMatchingMethodResponse, ""),
			"Execution failed due to configuration error: Output mapping refers to an invalid method response"},
		{"other config errors keep the detail out", diag.New(diag.PhaseIntegrationResponse, diag.NoMatchingIntegrationRsp, "Endpoint Response Status Code: 404"),
			"Execution failed due to configuration error: No match for output mapping and no default output mapping configured"},
		{"network error line", diag.New(diag.PhaseIntegration, diag.UpstreamConnectRefused, "dial tcp: refused"),
			"Execution failed due to a network error communicating with endpoint"},
		{"TLS untrusted", diag.New(diag.PhaseIntegration, diag.UpstreamTLSUntrusted, "x509"),
			"Execution failed due to configuration error: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"},
		{"client refusal without a log line logs its meaning alone", diag.New(diag.PhaseIntegrationRequest, diag.UnsupportedMediaType, "x"),
			diag.Lookup(diag.UnsupportedMediaType).Meaning},
		{"unknown cause logs as INTERNAL_ERROR", diag.New(diag.PhaseIntegration, diag.Cause("NOPE"), "x"),
			"Execution failed due to configuration error: Internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			r.Status = 500
			r.End = at(5)
			r.Err = tc.err
			got := msgs(r.Lines(LogOptions{Level: LevelError}))
			want := []string{tc.want, "Method completed with status: 500"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinesTemplateErrorNamesTemplate(t *testing.T) {
	r := base()
	r.Status = 500
	r.Err = diag.New(diag.PhaseIntegrationRequest, diag.TemplateError, "template GET /pets request template application/json at line 3, column 7")
	lines := r.Lines(LogOptions{Level: LevelError})
	if len(lines) == 0 || !strings.Contains(lines[0].Msg, "line 3, column 7") {
		t.Errorf("failure line %q does not name the template position", msgs(lines))
	}
}

func TestLinesTruncation(t *testing.T) {
	tests := []struct {
		name    string
		bodyLen int
		trunc   bool
	}{
		{"exactly 1024 bytes kept", 1024 - len("Method request body before transformations: "), false},
		{"1025 bytes cut", 1025 - len("Method request body before transformations: "), true},
		{"long body cut", 5000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mockRecord()
			r.Body = []byte(strings.Repeat("b", tc.bodyLen))
			var got string
			for _, l := range r.Lines(LogOptions{Level: LevelInfo, DataTrace: true}) {
				if strings.HasPrefix(l.Msg, "Method request body before transformations: ") {
					got = l.Msg
				}
			}
			full := "Method request body before transformations: " + strings.Repeat("b", tc.bodyLen)
			want := full
			if tc.trunc {
				want = full[:1024] + " [TRUNCATED]"
			}
			if got != want {
				t.Errorf("line is %d bytes ending %q, want %d bytes ending %q", len(got), tail(got), len(want), tail(want))
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 20 {
		return s[len(s)-20:]
	}
	return s
}

func TestLinesTruncationKeepsUTF8(t *testing.T) {
	r := mockRecord()
	// The prefix is 44 bytes; 490 two-byte runes put a rune across byte 1024.
	r.Body = []byte("a" + strings.Repeat("é", 490))
	for _, l := range r.Lines(LogOptions{Level: LevelInfo, DataTrace: true}) {
		if !utf8.ValidString(l.Msg) {
			t.Errorf("line %q is not valid UTF-8", tail(l.Msg))
		}
	}
}

func TestLinesStreamedBodies(t *testing.T) {
	r := httpRecord()
	r.Body = []byte("should not appear")
	r.BodyOmitted = true
	r.EndpointRespBodyKept = false
	r.ResponseBodyKept = false
	got := msgs(r.Lines(LogOptions{Level: LevelInfo, DataTrace: true}))
	want := map[string]bool{
		"Method request body before transformations: [streamed, not logged]":    true,
		"Endpoint request body after transformations: [streamed, not logged]":   true,
		"Endpoint response body before transformations: [streamed, not logged]": true,
		"Method response body after transformations: [streamed, not logged]":    true,
	}
	for _, m := range got {
		delete(want, m)
		if strings.Contains(m, "should not appear") {
			t.Errorf("omitted body logged: %q", m)
		}
	}
	for m := range want {
		t.Errorf("missing line %q", m)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
		ok   bool
	}{
		{"", LevelOff, true},
		{"OFF", LevelOff, true},
		{"off", LevelOff, true},
		{"ERROR", LevelError, true},
		{"error", LevelError, true},
		{"INFO", LevelInfo, true},
		{"Info", LevelInfo, true},
		{"DEBUG", LevelOff, false},
		{" INFO", LevelOff, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseLevel(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseLevel(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestTestInvokeText(t *testing.T) {
	lines := []Line{
		{Time: t0, Msg: "Starting execution for request: " + reqID},
		// A non-UTC time is rendered in UTC.
		{Time: time.Date(2024, time.December, 31, 23, 59, 59, 999e6, time.FixedZone("X", -2*3600)), Msg: "Method completed with status: 200"},
	}
	tests := []struct {
		name  string
		lines []Line
		want  string
	}{
		{"no lines", nil, "Execution log for request " + reqID + "\n"},
		{"two lines", lines, "Execution log for request " + reqID + "\n" +
			"Tue Mar 05 09:07:03 UTC 2024 : Starting execution for request: " + reqID + "\n" +
			"Wed Jan 01 01:59:59 UTC 2025 : Method completed with status: 200\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, TestInvokeText(reqID, tc.lines)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCloudWatchText(t *testing.T) {
	tests := []struct {
		name  string
		lines []Line
		want  string
	}{
		{"no lines", nil, ""},
		{"lines", []Line{{Time: t0, Msg: "a"}, {Time: at(9), Msg: "Method completed with status: 504"}},
			"(" + reqID + ") a\n(" + reqID + ") Method completed with status: 504\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, CloudWatchText(reqID, tc.lines)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestJavaMap(t *testing.T) {
	tests := []struct {
		name string
		in   []KV
		want string
	}{
		{"nil", nil, "{}"},
		{"empty", []KV{}, "{}"},
		{"one", []KV{{"a", "1"}}, "{a=1}"},
		{"order kept", []KV{{"z", "1"}, {"a", "2"}, {"m", ""}}, "{z=1, a=2, m=}"},
		{"no escaping", []KV{{"Accept", "text/html, */*"}, {"k=", "{v}"}}, "{Accept=text/html, */*, k=={v}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := JavaMap(tc.in); got != tc.want {
				t.Errorf("JavaMap(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLatencies(t *testing.T) {
	tests := []struct {
		name            string
		rec             *Record
		integ, response time.Duration
	}{
		{"http", httpRecord(), 45 * time.Millisecond, 49 * time.Millisecond},
		{"mock has no integration latency", mockRecord(), 0, 3 * time.Millisecond},
		{"unfinished", &Record{Start: t0, IntegrationStart: at(1)}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rec.IntegrationLatency(); got != tc.integ {
				t.Errorf("IntegrationLatency = %v, want %v", got, tc.integ)
			}
			if got := tc.rec.ResponseLatency(); got != tc.response {
				t.Errorf("ResponseLatency = %v, want %v", got, tc.response)
			}
		})
	}
}
