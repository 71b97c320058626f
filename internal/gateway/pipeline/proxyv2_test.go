package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
)

// goldenV2 is a testdata/proxyv2 request and the event it must produce.
type goldenV2 struct {
	Request struct {
		Method, Target, Host, RemoteAddr, Body string
		Headers                                [][2]string
		RouteKey, Stage, APIID, AccountID      string
		RequestID, TraceID                     string
		TimeEpoch                              int64
		PathParameters, StageVariables         map[string]string
	}
	Event json.RawMessage
}

func (g *goldenV2) input(t *testing.T) EventV2Input {
	t.Helper()
	rq := g.Request
	r := httptest.NewRequest(rq.Method, rq.Target, strings.NewReader(rq.Body))
	r.Host, r.RemoteAddr = rq.Host, rq.RemoteAddr
	for _, h := range rq.Headers {
		r.Header.Add(h[0], h[1])
	}
	return EventV2Input{
		Req: r, Body: []byte(rq.Body), RouteKey: rq.RouteKey, Stage: rq.Stage, APIID: rq.APIID, AccountID: rq.AccountID,
		RequestID: rq.RequestID, TraceID: rq.TraceID, Start: time.UnixMilli(rq.TimeEpoch),
		PathParameters: rq.PathParameters, StageVariables: rq.StageVariables,
	}
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// TestProxyEventV2Golden builds the event of the AWS documentation's format
// 2.0 example request and compares it with the documented event.
func TestProxyEventV2Golden(t *testing.T) {
	files, _ := filepath.Glob("testdata/proxyv2/docs-*.json")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var g goldenV2
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(BuildProxyEventV2(g.input(t)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(jsonValue(t, g.Event), jsonValue(t, got)); diff != "" {
				t.Errorf("event (-golden +built):\n%s", diff)
			}
			// The official Go type reads every field we send.
			var official events.APIGatewayV2HTTPRequest
			dec := json.NewDecoder(bytes.NewReader(got))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&official); err != nil {
				t.Errorf("events.APIGatewayV2HTTPRequest does not know a field: %v", err)
			}
			if official.RequestContext.HTTP.Method != g.Request.Method || official.Body != g.Request.Body {
				t.Errorf("official type read %+v", official.RequestContext.HTTP)
			}
		})
	}
}

// TestProxyEventV2ReadsOfficialSamples reads aws-lambda-go's sample events
// into ProxyEventV2 and writes them back unchanged.
func TestProxyEventV2ReadsOfficialSamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/proxyv2/aws-lambda-go-*.json")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var ev ProxyEventV2
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(jsonValue(t, raw), jsonValue(t, out)); diff != "" {
				t.Errorf("round trip (-sample +ours):\n%s", diff)
			}
		})
	}
}

func TestProxyEventV2Body(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantBody                string
		wantB64                 bool
	}{
		{"json", "application/json", `{"a":1}`, `{"a":1}`, false},
		{"json with charset", "application/json; charset=utf-8", `{}`, `{}`, false},
		{"vendor json", "application/vnd.api+json", `{}`, `{}`, false},
		{"text", "text/html", "<p>", "<p>", false},
		{"xml", "application/xml", "<a/>", "<a/>", false},
		{"form is base64", "application/x-www-form-urlencoded", "a=1&b=2", "YT0xJmI9Mg==", true},
		{"no content type is base64", "", "raw", "cmF3", true},
		{"binary", "image/png", "\x89PNG", "iVBORw==", true},
		{"empty body left out", "application/json", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			ev := BuildProxyEventV2(EventV2Input{Req: r, Body: []byte(tc.body), RouteKey: "POST /x", Stage: "$default"})
			if ev.Body != tc.wantBody || ev.IsBase64Encoded != tc.wantB64 {
				t.Errorf("body %q base64 %v, want %q %v", ev.Body, ev.IsBase64Encoded, tc.wantBody, tc.wantB64)
			}
			b, _ := json.Marshal(ev)
			if tc.body == "" && bytes.Contains(b, []byte(`"body"`)) {
				t.Errorf("empty body not left out: %s", b)
			}
		})
	}
}

func TestParseProxyResponseV2(t *testing.T) {
	type want struct {
		status int
		header http.Header
		body   string
	}
	js := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name    string
		payload string
		want    want
		errHas  string
	}{
		// Inferred responses (no statusCode).
		{"object without statusCode", `{"message": "Hello from Lambda!"}`, want{200, js, `{"message": "Hello from Lambda!"}`}, ""},
		{"string", `"Hello from Lambda!"`, want{200, js, `Hello from Lambda!`}, ""},
		{"number", `42`, want{200, js, `42`}, ""},
		{"array", ` [1, 2] `, want{200, js, `[1, 2]`}, ""},
		{"null", `null`, want{200, js, `null`}, ""},
		{"object with body but no statusCode is inferred whole", `{"body": "x", "headers": {"a": "b"}}`, want{200, js, `{"body": "x", "headers": {"a": "b"}}`}, ""},
		// Structured responses.
		{"structured", `{"statusCode": 201, "headers": {"content-type": "text/plain", "x-n": 5, "x-b": true}, "body": "made"}`,
			want{201, http.Header{"Content-Type": {"text/plain"}, "X-N": {"5"}, "X-B": {"true"}}, "made"}, ""},
		{"cookies become set-cookie", `{"statusCode": 200, "cookies": ["a=1; Path=/", "b=2"], "body": "ok"}`,
			want{200, http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"a=1; Path=/", "b=2"}}, "ok"}, ""},
		{"base64 body is decoded", `{"statusCode": 200, "isBase64Encoded": true, "body": "aGk=", "headers": {"Content-Type": "image/png"}}`,
			want{200, http.Header{"Content-Type": {"image/png"}}, "hi"}, ""},
		{"unknown keys ignored", `{"statusCode": 204, "multiValueHeaders": {"a": ["b"]}, "extra": 1}`, want{204, js, ""}, ""},
		{"content-length dropped", `{"statusCode": 200, "headers": {"Content-Length": "99"}, "body": "x"}`, want{200, js, "x"}, ""},
		// Malformed.
		{"not json", `Hello`, want{}, "not JSON"},
		{"two values", `{} {}`, want{}, "more than one"},
		{"statusCode string", `{"statusCode": "200"}`, want{}, "statusCode is the string"},
		{"statusCode null", `{"statusCode": null}`, want{}, "statusCode is null"},
		{"statusCode float", `{"statusCode": 200.5}`, want{}, "not an integer"},
		{"statusCode range", `{"statusCode": 99}`, want{}, "not an HTTP status"},
		{"body object", `{"statusCode": 200, "body": {"a": 1}}`, want{}, "body is an object"},
		{"header list", `{"statusCode": 200, "headers": {"a": ["b"]}}`, want{}, `headers["a"] is an array`},
		{"cookies object", `{"statusCode": 200, "cookies": {"a": "b"}}`, want{}, "cookies is an object"},
		{"cookie number", `{"statusCode": 200, "cookies": [1]}`, want{}, "cookies[0]"},
		{"bad base64", `{"statusCode": 200, "isBase64Encoded": true, "body": "%%%"}`, want{}, "not base64"},
		{"isBase64Encoded string", `{"statusCode": 200, "isBase64Encoded": "true"}`, want{}, "isBase64Encoded is the string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProxyResponseV2([]byte(tc.payload))
			if tc.errHas != "" {
				var pe *ProxyResponseError
				if !errors.As(err, &pe) || !strings.Contains(pe.Reason, tc.errHas) {
					t.Fatalf("err %v, want a ProxyResponseError containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want.status || string(got.Body) != tc.want.body {
				t.Errorf("got %d %q, want %d %q", got.Status, got.Body, tc.want.status, tc.want.body)
			}
			if diff := cmp.Diff(tc.want.header, got.Header); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseProxyResponseV2OfficialType checks that what
// events.APIGatewayV2HTTPResponse marshals is read as the function meant.
func TestParseProxyResponseV2OfficialType(t *testing.T) {
	in := events.APIGatewayV2HTTPResponse{
		StatusCode: 418, Headers: map[string]string{"X-Tea": "earl grey"}, Cookies: []string{"c=1"},
		Body: "aGVsbG8=", IsBase64Encoded: true,
	}
	b, _ := json.Marshal(in)
	got, err := ParseProxyResponseV2(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != 418 || string(got.Body) != "hello" || got.Header.Get("X-Tea") != "earl grey" || got.Header.Get("Set-Cookie") != "c=1" {
		t.Errorf("got %d %q %v", got.Status, got.Body, got.Header)
	}
}

func FuzzParseProxyResponseV2(f *testing.F) {
	for _, s := range []string{`{"statusCode":200,"body":"x"}`, `"s"`, `{"a":1}`, `{"statusCode":200,"cookies":["a"],"isBase64Encoded":true,"body":"aGk="}`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, err := ParseProxyResponseV2(payload)
		if err != nil {
			var pe *ProxyResponseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ProxyResponseError", err)
			}
			return
		}
		if got.Status < 100 || got.Status > 599 || got.Header.Get("Content-Type") == "" {
			t.Fatalf("response %d %v", got.Status, got.Header)
		}
	})
}
