package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// harness serves one API on a real loopback socket.
type harness struct {
	srv     *httptest.Server
	gw      *gateway.Server
	records chan *exec.Record
	client  *http.Client
}

func newHarness(api *apigw.RestAPI, stage apigw.Stage) (*harness, error) {
	return newHarnessWith(api, stage, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
}

// newHarnessWith serves api through the given backends.
func newHarnessWith(api *apigw.RestAPI, stage apigw.Stage, backend *pipeline.Backend) (*harness, error) {
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{stage}}}, backend)
	if err != nil {
		return nil, fmt.Errorf("compiling the vector's API: %w", err)
	}
	h := &harness{records: make(chan *exec.Record, 16)}
	h.gw = &gateway.Server{OnRecord: func(x *pipeline.Exchange, _ *rt.Stage) { h.records <- x.Rec }}
	h.gw.Swap(snap)
	h.srv = httptest.NewServer(h.gw)
	h.client = &http.Client{Transport: &http.Transport{DisableCompression: true}}
	return h, nil
}

// serveOnce serves api on stage, sends one request and shuts down.
func serveOnce(ctx context.Context, api *apigw.RestAPI, stage apigw.Stage, method, path string, headers map[string]string, body string) (*exchange, error) {
	h, err := newHarness(api, stage)
	if err != nil {
		return nil, err
	}
	defer h.close()
	return h.do(ctx, method, path, headers, body)
}

func (h *harness) close() {
	h.srv.Close()
	h.gw.Close()
}

// exchange is a client request and what came back.
type exchange struct {
	status int
	header http.Header
	body   []byte
	rec    *exec.Record
	log    string // TestInvoke execution log, for invoke()
}

func (h *harness) do(ctx context.Context, method, path string, headers map[string]string, body string) (*exchange, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+path, rd)
	if err != nil {
		return nil, err
	}
	// The recordings were made with python-requests: its defaults apply
	// unless the vector sets the header.
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	req.Header.Set("Accept", "*/*")
	for k, v := range headers {
		req.Header.Set(k, v)
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

// invoke runs one method in process as TestInvokeMethod does (no routing,
// no headers added by an HTTP client).
func (h *harness) invoke(ctx context.Context, stage, resource, method, pathWithQuery, body string) (*exchange, error) {
	res, err := h.gw.TestInvoke(ctx, gateway.TestInvokeRequest{Stage: stage, ResourcePath: resource, HTTPMethod: method, PathWithQueryString: pathWithQuery, Body: body})
	if err != nil {
		return nil, err
	}
	return &exchange{status: res.Status, header: res.Header, body: res.Body, rec: res.Record, log: res.Log}, nil
}

func (h *harness) record() *exec.Record {
	select {
	case r := <-h.records:
		return r
	case <-time.After(5 * time.Second):
		return nil
	}
}

// echoBackend answers every request with what it received, as the recorded
// echo backends did: method, path, args, headers (lower-case names), data.
func echoBackend(status int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hs := map[string]string{"host": r.Host}
		for k, v := range r.Header {
			hs[strings.ToLower(k)] = strings.Join(v, ",")
		}
		if r.ContentLength > 0 {
			hs["content-length"] = fmt.Sprint(r.ContentLength)
		}
		var data any = string(b)
		var parsed any
		if json.Unmarshal(b, &parsed) == nil {
			data = parsed
		}
		w.Header().Set("Content-Type", "application/json")
		// The recorded echo backend (a Lambda function URL) answers with its own request id.
		w.Header().Set("x-amzn-RequestId", "6f1d8c2e-0000-4000-8000-000000000001")
		w.Header().Set("Connection", "keep-alive")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "args": r.URL.Query(), "headers": hs, "data": data, "status_code": status})
	}))
}

// placeholders are recorded volatile values such as <uuid:1> or <Date>.
var placeholderRE = regexp.MustCompile(`<[^<>]+>`)

// timestampRE matches the normalised TestInvoke timestamp form.
const timestampForm = "DDD MMM dd hh:mm:ss UTC yyyy"

// matcher compares recorded values with actual ones: each placeholder matches
// any value, and equal placeholders must stand for equal values.
type matcher struct {
	bound map[string]string
}

func newMatcher() *matcher { return &matcher{bound: map[string]string{}} }

func (m *matcher) match(expected, actual string) bool {
	if !strings.Contains(expected, "<") && !strings.Contains(expected, timestampForm) {
		return expected == actual
	}
	var pat strings.Builder
	pat.WriteString("^")
	var names []string
	rest := expected
	for {
		loc := placeholderRE.FindStringIndex(rest)
		if loc == nil {
			break
		}
		pat.WriteString(quoteWithTimestamps(rest[:loc[0]]))
		pat.WriteString("(.*?)")
		names = append(names, rest[loc[0]:loc[1]])
		rest = rest[loc[1]:]
	}
	pat.WriteString(quoteWithTimestamps(rest))
	pat.WriteString("$")
	re, err := regexp.Compile(pat.String())
	if err != nil {
		return false
	}
	sub := re.FindStringSubmatch(actual)
	if sub == nil {
		return false
	}
	for i, n := range names {
		if !strings.Contains(n, ":") {
			continue // unnumbered placeholders (<Date>) are not tied together
		}
		if prev, ok := m.bound[n]; ok && prev != sub[i+1] {
			return false
		}
		m.bound[n] = sub[i+1]
	}
	return true
}

func quoteWithTimestamps(s string) string {
	parts := strings.Split(s, timestampForm)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return strings.Join(parts, `[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}`)
}

// jsonEqual compares an expected JSON value with actual JSON text.
func jsonEqual(expected json.RawMessage, actual []byte) (bool, string) {
	var e, a any
	if err := json.Unmarshal(expected, &e); err != nil {
		return false, "expected value is not JSON"
	}
	if err := json.Unmarshal(actual, &a); err != nil {
		return false, fmt.Sprintf("body %q is not JSON", truncate(string(actual)))
	}
	if !deepMatch(newMatcher(), e, a) {
		return false, fmt.Sprintf("body %s, want %s", truncate(string(actual)), truncate(string(expected)))
	}
	return true, ""
}

func deepMatch(m *matcher, e, a any) bool {
	switch ev := e.(type) {
	case string:
		av, ok := a.(string)
		return ok && m.match(ev, av)
	case map[string]any:
		am, ok := a.(map[string]any)
		if !ok || len(am) != len(ev) {
			return false
		}
		for k, v := range ev {
			if !deepMatch(m, v, am[k]) {
				return false
			}
		}
		return true
	case []any:
		aa, ok := a.([]any)
		if !ok || len(aa) != len(ev) {
			return false
		}
		for i := range ev {
			if !deepMatch(m, ev[i], aa[i]) {
				return false
			}
		}
		return true
	default:
		eb, _ := json.Marshal(e)
		ab, _ := json.Marshal(a)
		return bytes.Equal(eb, ab)
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// matchHeaders checks every expected header (case-insensitive names) against
// the actual ones. Connection is not compared: it describes the transport
// between the recorder and AWS's edge, not API Gateway's answer.
func matchHeaders(m *matcher, expected map[string]string, actual http.Header) string {
	for k, v := range expected {
		if strings.EqualFold(k, "Connection") {
			continue
		}
		got := actual.Values(k)
		if len(got) == 0 {
			return fmt.Sprintf("header %s missing (want %q)", k, v)
		}
		if !m.match(v, strings.Join(got, ",")) {
			return fmt.Sprintf("header %s = %q, want %q", k, strings.Join(got, ","), v)
		}
	}
	return ""
}

func mockMethod(verb, message string) *apigw.Method {
	return &apigw.Method{
		HTTPMethod:      verb,
		MethodResponses: map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}},
		Integration: &apigw.Integration{
			Type:             apigw.IntegrationMock,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: []*apigw.IntegrationResponse{{
				Key: "default", StatusCode: "200",
				ResponseTemplates: map[string]string{"application/json": `{"message": ` + jsonString(message) + `}`},
			}},
		},
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func restAPI(resources map[string]map[string]*apigw.Method) *apigw.RestAPI {
	api := &apigw.RestAPI{ID: "conformance", Name: "conformance"}
	for path, ms := range resources {
		api.Resources = append(api.Resources, &apigw.Resource{Path: path, Methods: ms})
	}
	return api
}
