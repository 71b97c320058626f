package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
	"github.com/archway-gw/archway/internal/testcert"
	"github.com/archway-gw/archway/internal/testnet"
)

// backends are real servers, one per failure class.
type backends struct {
	ok, slow, reset, garbage, untrusted, expired, hostname string
	refused, unanswered                                    string
	pool                                                   *x509.CertPool
}

func startBackends(t *testing.T) *backends {
	t.Helper()
	b := &backends{}
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Server", "origin/1.0")
		w.Header().Set("X-Backend-Path", r.URL.Path)
		w.Header().Set("X-Backend-Query", r.URL.RawQuery)
		w.Header().Set("X-Backend-Saw-Api-Id", r.Header.Get("X-Amzn-Apigateway-Api-Id"))
		w.Header().Set("X-Backend-Saw-Mapped", r.Header.Get("X-Mapped"))
		if strings.HasSuffix(r.URL.Path, "/status/404") {
			w.WriteHeader(404)
		}
		fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	t.Cleanup(ok.Close)
	b.ok = ok.URL
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	b.slow = slow.URL
	b.reset = rawServer(t, func(c net.Conn) {
		http.ReadRequest(bufioReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	})
	b.garbage = rawServer(t, func(c net.Conn) {
		http.ReadRequest(bufioReader(c))
		io.WriteString(c, "THIS IS NOT HTTP\r\n\r\n")
		c.Close()
	})
	quiet := log.New(io.Discard, "", 0)
	untrusted := httptest.NewUnstartedServer(ok.Config.Handler)
	untrusted.Config.ErrorLog = quiet
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)
	b.untrusted = untrusted.URL
	ca := testcert.NewCA(t)
	b.pool = ca.Pool
	expired := httptest.NewUnstartedServer(ok.Config.Handler)
	expired.Config.ErrorLog = quiet
	expired.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))}}
	expired.StartTLS()
	t.Cleanup(expired.Close)
	b.expired = expired.URL
	other := httptest.NewUnstartedServer(ok.Config.Handler)
	other.Config.ErrorLog = quiet
	other.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "other.example")}}
	other.StartTLS()
	t.Cleanup(other.Close)
	b.hostname = strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.refused = "http://" + ln.Addr().String()
	ln.Close()
	b.unanswered = "http://" + testnet.UnansweredAddr(t)
	return b
}

func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return "http://" + ln.Addr().String()
}

func method(typ apigw.IntegrationType, uri string, opts ...func(*apigw.Method)) *apigw.Method {
	m := &apigw.Method{
		MethodResponses: map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}},
		Integration: &apigw.Integration{
			Type: typ, HTTPMethod: "GET", URI: uri,
			IntegrationResponses: []*apigw.IntegrationResponse{{Key: "default", StatusCode: "200"}},
		},
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

func timeout(ms int) func(*apigw.Method) {
	return func(m *apigw.Method) { m.Integration.TimeoutInMillis = ms }
}

func mock(status string, declared ...string) *apigw.Method {
	m := &apigw.Method{MethodResponses: map[string]*apigw.MethodResponse{}, Integration: &apigw.Integration{
		Type:                 apigw.IntegrationMock,
		RequestTemplates:     map[string]string{"application/json": `{"statusCode": ` + status + `}`},
		IntegrationResponses: []*apigw.IntegrationResponse{{Key: "default", StatusCode: status, ResponseTemplates: map[string]string{"application/json": `{"stage": "$context.stage"}`}}},
	}}
	for _, d := range declared {
		m.MethodResponses[d] = &apigw.MethodResponse{StatusCode: d}
	}
	return m
}

func testAPI(b *backends) *apigw.RestAPI {
	res := map[string]map[string]*apigw.Method{
		"/ok/{proxy+}": {"ANY": method(apigw.IntegrationHTTPProxy, b.ok+"/{proxy}", func(m *apigw.Method) {
			m.Integration.RequestParameters = map[string]string{"integration.request.path.proxy": "method.request.path.proxy", "integration.request.header.X-Mapped": "'static-value'"}
		})},
		"/pets":            {"GET": method(apigw.IntegrationHTTP, b.ok+"/pets")},
		"/mock":            {"GET": mock("200", "200")},
		"/mock-undeclared": {"GET": mock("201", "200")},
		"/refused":         {"GET": method(apigw.IntegrationHTTPProxy, b.refused+"/")},
		"/dns":             {"GET": method(apigw.IntegrationHTTPProxy, "http://backend.invalid/")},
		"/unanswered":      {"GET": method(apigw.IntegrationHTTPProxy, b.unanswered+"/")},
		"/slow":            {"GET": method(apigw.IntegrationHTTPProxy, b.slow+"/", timeout(100))},
		"/slow-http":       {"GET": method(apigw.IntegrationHTTP, b.slow+"/", timeout(100))},
		"/reset":           {"GET": method(apigw.IntegrationHTTPProxy, b.reset+"/")},
		"/garbage":         {"GET": method(apigw.IntegrationHTTPProxy, b.garbage+"/")},
		"/untrusted":       {"GET": method(apigw.IntegrationHTTPProxy, b.untrusted+"/")},
		"/expired":         {"GET": method(apigw.IntegrationHTTPProxy, b.expired+"/")},
		"/hostname":        {"GET": method(apigw.IntegrationHTTPProxy, b.hostname+"/")},
		"/stagevar":        {"GET": method(apigw.IntegrationHTTPProxy, "https://${stageVariables.missingHost}/")},
		"/stagevar-ok":     {"GET": method(apigw.IntegrationHTTPProxy, "${stageVariables.origin}/from-stage-var")},
		"/reserved": {"GET": method(apigw.IntegrationHTTP, b.ok+"/", func(m *apigw.Method) {
			m.Integration.RequestParameters = map[string]string{"integration.request.header.Content-Length": "'0'"}
		})},
		"/no-integration-resp": {"GET": method(apigw.IntegrationHTTP, b.ok+"/status/404", func(m *apigw.Method) {
			m.Integration.IntegrationResponses[0].Key, m.Integration.IntegrationResponses[0].SelectionPattern = "2\\d{2}", "2\\d{2}"
		})},
		"/selected-404": {"GET": method(apigw.IntegrationHTTP, b.ok+"/status/404", func(m *apigw.Method) {
			m.Integration.IntegrationResponses = append(m.Integration.IntegrationResponses, &apigw.IntegrationResponse{Key: "4\\d{2}", SelectionPattern: "4\\d{2}", StatusCode: "404"})
			m.MethodResponses["404"] = &apigw.MethodResponse{StatusCode: "404"}
		})},
		"/aws-not-served": {"POST": method(apigw.IntegrationAWS, "arn:aws:apigateway:us-east-1:sqs:path/000000000000/queue")},
		"/only-get":       {"GET": mock("200", "200")},
	}
	api := &apigw.RestAPI{ID: "testapi", Name: "test"}
	for p, ms := range res {
		api.Resources = append(api.Resources, &apigw.Resource{Path: p, Methods: ms})
	}
	return api
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

type tcase struct {
	name, method, path string
	body               string
	status             int
	wantBody           string // exact, when set
	errorType          string
	cause              diag.Cause
	headers            map[string]string
}

func TestExchanges(t *testing.T) {
	b := startBackends(t)
	// A short dial timeout so that the connect-timeout case is quick; loopback
	// connections to live backends take far less.
	tr := httpx.NewTransport(httpx.TransportOptions{RootCAs: b.pool, DialTimeout: 500 * time.Millisecond})
	snap, _, err := rt.Compile([]rt.Input{{API: testAPI(b), Stages: []apigw.Stage{{Name: "dev", Variables: map[string]string{"origin": b.ok}, Debug: true}}}}, &pipeline.Backend{Transport: tr, Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	records := make(chan *exec.Record, 1)
	srv := &Server{OnRecord: func(x *pipeline.Exchange, _ *rt.Stage) { records <- x.Rec }}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	const ise = `{"message": "Internal server error"}`
	const mat = `{"message":"Missing Authentication Token"}`
	tests := []tcase{
		{name: "proxy success", method: "GET", path: "/dev/ok/a/b?x=1", status: 200, wantBody: `{"path":"/a/b"}`,
			headers: map[string]string{"X-Backend-Query": "x=1", "X-Backend-Saw-Api-Id": "testapi", "X-Backend-Saw-Mapped": "static-value", "x-amzn-Remapped-Server": "origin/1.0", "Server": ""}},
		{name: "http non-proxy success", method: "GET", path: "/dev/pets", status: 200, wantBody: `{"path":"/pets"}`, headers: map[string]string{"Content-Type": "application/json", "X-Backend-Path": ""}},
		{name: "mock with stage substitution", method: "GET", path: "/dev/mock", status: 200, wantBody: `{"stage": "dev"}`},
		{name: "stage variable in uri", method: "GET", path: "/dev/stagevar-ok", status: 200, wantBody: `{"path":"/from-stage-var"}`},
		{name: "selection pattern picks 404", method: "GET", path: "/dev/selected-404", status: 404},
		{name: "unknown path", method: "GET", path: "/dev/nothing", status: 403, wantBody: mat, errorType: "MissingAuthenticationTokenException", cause: diag.RouteNotFound},
		{name: "undefined method", method: "POST", path: "/dev/only-get", status: 403, wantBody: mat, errorType: "MissingAuthenticationTokenException", cause: diag.MethodNotDefined},
		{name: "unknown stage", method: "GET", path: "/prod/mock", status: 403, wantBody: mat, errorType: "MissingAuthenticationTokenException", cause: diag.StageNotFound},
		{name: "connect refused", method: "GET", path: "/dev/refused", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamConnectRefused},
		{name: "connect timeout", method: "GET", path: "/dev/unanswered", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamConnectTimeout},
		{name: "dns failure", method: "GET", path: "/dev/dns", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamDNSFailure},
		{name: "integration timeout proxy", method: "GET", path: "/dev/slow", status: 504, wantBody: `{"message": "Endpoint request timed out"}`, errorType: "InternalServerErrorException", cause: diag.IntegrationTimeout},
		{name: "integration timeout http", method: "GET", path: "/dev/slow-http", status: 504, wantBody: `{"message": "Endpoint request timed out"}`, errorType: "InternalServerErrorException", cause: diag.IntegrationTimeout},
		{name: "reset mid-response", method: "GET", path: "/dev/reset", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamReset},
		{name: "garbage response", method: "GET", path: "/dev/garbage", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamBadResponse},
		{name: "tls untrusted", method: "GET", path: "/dev/untrusted", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamTLSUntrusted},
		{name: "tls expired", method: "GET", path: "/dev/expired", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamTLSExpired},
		{name: "tls hostname mismatch", method: "GET", path: "/dev/hostname", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.UpstreamTLSHostname},
		{name: "unresolved stage variable", method: "GET", path: "/dev/stagevar", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.InvalidEndpoint},
		{name: "reserved header mapping", method: "GET", path: "/dev/reserved", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.ReservedHeaderMapping},
		{name: "no integration response matches", method: "GET", path: "/dev/no-integration-resp", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.NoMatchingIntegrationRsp},
		{name: "no method response", method: "GET", path: "/dev/mock-undeclared", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.NoMatchingMethodResponse},
		{name: "integration type not served", method: "POST", path: "/dev/aws-not-served", status: 500, wantBody: ise, errorType: "InternalServerErrorException", cause: diag.IntegrationNotServed},
		{name: "payload too large", method: "POST", path: "/dev/ok/x", body: strings.Repeat("a", apigw.MaxPayloadBytes+1), status: 413, errorType: "RequestTooLargeException", cause: diag.RequestTooLarge},
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequestWithContext(context.Background(), tc.method, hs.URL+tc.path, body)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			rec := <-records
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s; cause %s", resp.StatusCode, tc.status, got, resp.Header.Get(CauseHeader))
			}
			if tc.wantBody != "" && string(got) != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
			if et := resp.Header.Get("x-amzn-ErrorType"); et != tc.errorType {
				t.Errorf("x-amzn-ErrorType %q, want %q", et, tc.errorType)
			}
			if resp.Header.Get("x-amzn-RequestId") != rec.RequestID || rec.RequestID == "" {
				t.Errorf("x-amzn-RequestId %q, record %q", resp.Header.Get("x-amzn-RequestId"), rec.RequestID)
			}
			if resp.StatusCode >= 400 && tc.status != 404 {
				if rec.Err == nil || rec.Err.Cause != tc.cause {
					t.Errorf("record cause %v, want %s", rec.Err, tc.cause)
				}
				if c := resp.Header.Get(CauseHeader); c != string(tc.cause) {
					t.Errorf("cause header %q, want %s", c, tc.cause)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			}
			for k, v := range tc.headers {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

// TestGatewayResponseCustomisation checks DEFAULT_5XX inheritance, header
// parameters and $context/$stageVariables substitution on real requests.
func TestGatewayResponseCustomisation(t *testing.T) {
	b := startBackends(t)
	api := testAPI(b)
	api.GatewayResponses = map[apigw.GatewayResponseType]*apigw.GatewayResponse{
		apigw.Default5XX: {StatusCode: "599", ResponseParameters: map[string]string{"gatewayresponse.header.X-Req-Accept": "method.request.header.Accept", "gatewayresponse.header.X-Static": "'s'"},
			ResponseTemplates: map[string]string{"application/json": `{"m":$context.error.messageString,"t":"$context.error.responseType","s":"$stageVariables.a","id":"$context.requestId"}`}},
		apigw.MissingAuthenticationToken: {StatusCode: "404"},
	}
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev", Variables: map[string]string{"a": "A"}}}}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	tests := []struct {
		name, path string
		status     int
		body       string
		headers    map[string]string
	}{
		{"DEFAULT_5XX inherited by API_CONFIGURATION_ERROR", "/dev/stagevar", 599, `{"m": "Internal server error","t":"API_CONFIGURATION_ERROR","s":"A","id":"<id>"}`, map[string]string{"X-Req-Accept": "text/x-test", "X-Static": "s"}},
		{"DEFAULT_5XX inherited by INTEGRATION_FAILURE", "/dev/refused", 599, `{"m": "Internal server error","t":"INTEGRATION_FAILURE","s":"A","id":"<id>"}`, nil},
		{"customised status, default template", "/dev/nothing", 404, `{"message":"Missing Authentication Token"}`, map[string]string{"X-Static": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", hs.URL+tc.path, nil)
			req.Header.Set("Accept", "text/x-test")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := strings.Replace(tc.body, "<id>", resp.Header.Get("x-amzn-RequestId"), 1)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			for k, v := range tc.headers {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

// TestSeveralAPIsByHost checks that APIs are told apart by Host and that an
// unknown host is unroutable when more than one API is served.
func TestSeveralAPIsByHost(t *testing.T) {
	mk := func(id, msg string) *apigw.RestAPI {
		m := mock("200", "200")
		m.Integration.IntegrationResponses[0].ResponseTemplates = map[string]string{"application/json": msg}
		return &apigw.RestAPI{ID: id, Name: id, Resources: []*apigw.Resource{{Path: "/who", Methods: map[string]*apigw.Method{"GET": m}}}}
	}
	stages := []apigw.Stage{{Name: "dev", Debug: true}}
	snap, _, err := rt.Compile([]rt.Input{{API: mk("abc123", "first"), Stages: stages}, {API: mk("def456", "second"), Stages: stages}}, &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	tests := []struct {
		host   string
		status int
		body   string
		cause  string
	}{
		{"abc123.execute-api.localhost", 200, "first", ""},
		{"DEF456.execute-api.localhost:8080", 200, "second", ""},
		{"zzz.execute-api.localhost", 403, `{"message":"Missing Authentication Token"}`, "API_NOT_FOUND"},
		{"localhost", 403, `{"message":"Missing Authentication Token"}`, "API_NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			req, _ := http.NewRequest("GET", hs.URL+"/dev/who", nil)
			req.Host = tc.host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || string(b) != tc.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b, tc.status, tc.body)
			}
			if got := resp.Header.Get(CauseHeader); got != tc.cause {
				t.Errorf("cause %q, want %q", got, tc.cause)
			}
		})
	}
}
