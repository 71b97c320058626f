package gateway

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// The payloads of AWS's recorded binary tests: gzip bytes that are not
// UTF-8 (RAW), their base64, and a UTF-8 text.
var (
	binRaw, _ = hex.DecodeString("1f8b0800146cee6302ff4bcecf2d284a2d2e4e4d5148492c49d45128cec82fcd4951484a55c8cc2b4bccc94c51080d71d3b550282e29cacc4b0700b83910572f000000")
	binB64    = []byte(base64.StdEncoding.EncodeToString(binRaw))
	binText   = []byte("this is a UTF8 text typed object")
)

// MD5s recorded on AWS (S3 ETags in binary_conversions.json).
const (
	md5Raw         = "1e5a1bfed5308938e5549848bab02ac6"
	md5B64         = "76020056aa8e57ba307f9264167a34e4"
	md5UTF8Replace = "7301f0a0e8fc87c6f03320bf795ffde7"
)

func md5Of(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// binaryOrigin answers /store with the MD5 and length of what it received,
// and /object/{raw,b64,text} with a payload of the Content-Type in ?ct=.
func binaryOrigin(t *testing.T) string {
	t.Helper()
	payloads := map[string][]byte{"/object/raw": binRaw, "/object/b64": binB64, "/object/text": binText}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/store" {
			w.Header().Set("X-Received-Md5", md5Of(got))
			w.Header().Set("X-Received-Length", strconv.Itoa(len(got)))
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{}`))
			return
		}
		p, ok := payloads[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", r.URL.Query().Get("ct"))
		w.Write(p)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func binaryAPI(origin string) *apigw.RestAPI {
	store := func(typ apigw.IntegrationType, handling string, templates map[string]string) *apigw.Method {
		m := method(typ, origin+"/store")
		m.Integration.HTTPMethod = "PUT"
		m.Integration.ContentHandling = handling
		m.Integration.RequestTemplates = templates
		m.MethodResponses["200"].ResponseParameters = map[string]bool{"method.response.header.X-Received-Md5": true, "method.response.header.X-Received-Length": true}
		m.Integration.IntegrationResponses[0].ResponseParameters = map[string]string{
			"method.response.header.X-Received-Md5":    "integration.response.header.X-Received-Md5",
			"method.response.header.X-Received-Length": "integration.response.header.X-Received-Length",
		}
		return m
	}
	object := func(typ apigw.IntegrationType, path, handling string, templates map[string]string) *apigw.Method {
		m := method(typ, origin+path)
		m.Integration.IntegrationResponses[0].ContentHandling = handling
		m.Integration.IntegrationResponses[0].ResponseTemplates = templates
		return m
	}
	tmpl := map[string]string{"application/json": `{"body": "$input.body"}`, "image/png": `{"body": "$input.body"}`}
	res := map[string]map[string]*apigw.Method{
		"/store":             {"PUT": store(apigw.IntegrationHTTP, "", nil)},
		"/store-to-text":     {"PUT": store(apigw.IntegrationHTTP, "CONVERT_TO_TEXT", nil)},
		"/store-to-binary":   {"PUT": store(apigw.IntegrationHTTP, "CONVERT_TO_BINARY", nil)},
		"/store-template":    {"PUT": store(apigw.IntegrationHTTP, "", tmpl)},
		"/proxy-store":       {"PUT": store(apigw.IntegrationHTTPProxy, "", nil)},
		"/proxy-store-text":  {"PUT": store(apigw.IntegrationHTTPProxy, "CONVERT_TO_TEXT", nil)},
		"/raw":               {"GET": object(apigw.IntegrationHTTP, "/object/raw?ct=image/png", "", nil)},
		"/b64":               {"GET": object(apigw.IntegrationHTTP, "/object/b64?ct=binary/octet-stream", "", nil)},
		"/text":              {"GET": object(apigw.IntegrationHTTP, "/object/text?ct=text/plain", "", nil)},
		"/raw-to-text":       {"GET": object(apigw.IntegrationHTTP, "/object/raw?ct=image/png", "CONVERT_TO_TEXT", nil)},
		"/b64-to-binary":     {"GET": object(apigw.IntegrationHTTP, "/object/b64?ct=text/plain", "CONVERT_TO_BINARY", nil)},
		"/raw-template":      {"GET": object(apigw.IntegrationHTTP, "/object/raw?ct=image/png", "", tmpl)},
		"/raw-text-template": {"GET": object(apigw.IntegrationHTTP, "/object/raw?ct=image/png", "CONVERT_TO_TEXT", tmpl)},
		"/proxy-raw":         {"GET": object(apigw.IntegrationHTTPProxy, "/object/raw?ct=image/png", "", nil)},
		"/proxy-raw-as-text": {"GET": object(apigw.IntegrationHTTPProxy, "/object/raw?ct=text/plain", "", nil)},
	}
	api := &apigw.RestAPI{ID: "binapi", Name: "binary", BinaryMediaTypes: []string{"image/png", "application/pdf"}}
	for p, ms := range res {
		api.Resources = append(api.Resources, &apigw.Resource{Path: p, Methods: ms})
	}
	return api
}

func TestBinaryPayloads(t *testing.T) {
	origin := binaryOrigin(t)
	tr := httpx.NewTransport(httpx.TransportOptions{})
	snap, _, err := rt.Compile([]rt.Input{{API: binaryAPI(origin), Stages: []apigw.Stage{{Name: "dev", Debug: true}}}}, &pipeline.Backend{Transport: tr, Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	records := make(chan *exec.Record, 1)
	srv := &Server{OnRecord: func(x *pipeline.Exchange, _ *rt.Stage) { records <- x.Rec }}
	srv.Swap(snap)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	const ise = `{"message": "Internal server error"}`
	tests := []struct {
		name, method, path string
		contentType        string
		accept             string
		body               []byte
		status             int
		received           string // md5 of what the backend received
		wantBody           []byte // exact client body, when set
		cause              diag.Cause
		headers            map[string]string
	}{
		// Requests.
		{name: "binary request passes bytes", method: "PUT", path: "/dev/store", contentType: "image/png", body: binRaw, status: 200, received: md5Raw,
			headers: map[string]string{"X-Received-Length": "67"}},
		{name: "text request is UTF-8", method: "PUT", path: "/dev/store", contentType: "text/plain", body: binRaw, status: 200, received: md5UTF8Replace,
			headers: map[string]string{"X-Received-Length": "99"}},
		{name: "binary request converted to text", method: "PUT", path: "/dev/store-to-text", contentType: "image/png", body: binRaw, status: 200, received: md5B64},
		{name: "text request converted to binary", method: "PUT", path: "/dev/store-to-binary", contentType: "text/plain", body: binB64, status: 200, received: md5Raw},
		{name: "text request not base64", method: "PUT", path: "/dev/store-to-binary", contentType: "text/plain", body: binText, status: 500, wantBody: []byte(ise), cause: diag.BinaryConversionFailed},
		{name: "request template on binary", method: "PUT", path: "/dev/store-template", contentType: "image/png", body: binRaw, status: 500, wantBody: []byte(ise), cause: diag.TemplateOnBinary},
		{name: "request template on text", method: "PUT", path: "/dev/store-template", contentType: "application/json", body: binText, status: 200,
			received: md5Of([]byte(`{"body": "this is a UTF8 text typed object"}`))},
		{name: "proxy streams bytes", method: "PUT", path: "/dev/proxy-store", contentType: "text/plain", body: binRaw, status: 200, received: md5Raw},
		{name: "proxy converts binary to text", method: "PUT", path: "/dev/proxy-store-text", contentType: "image/png", body: binRaw, status: 200, received: md5B64,
			headers: map[string]string{"X-Received-Length": "92"}},
		// Responses.
		{name: "binary payload binary accept", method: "GET", path: "/dev/raw", accept: "image/png", status: 200, wantBody: binRaw,
			headers: map[string]string{"Content-Type": "application/json", "Content-Length": "67"}},
		{name: "binary payload text accept is encoded", method: "GET", path: "/dev/raw", accept: "text/plain", status: 200, wantBody: binB64},
		{name: "only the first accept type counts", method: "GET", path: "/dev/raw", accept: "text/html, image/png", status: 200, wantBody: binB64},
		{name: "text payload binary accept is decoded", method: "GET", path: "/dev/b64", accept: "image/png", status: 200, wantBody: binRaw},
		{name: "text payload text accept passes", method: "GET", path: "/dev/b64", accept: "application/json", status: 200, wantBody: binB64},
		{name: "text payload binary accept not base64", method: "GET", path: "/dev/text", accept: "application/pdf", status: 500, wantBody: []byte(ise), cause: diag.BinaryConversionFailed},
		{name: "converted to text whatever the accept", method: "GET", path: "/dev/raw-to-text", accept: "image/png", status: 200, wantBody: binB64},
		{name: "converted to binary whatever the accept", method: "GET", path: "/dev/b64-to-binary", accept: "text/plain", status: 200, wantBody: binRaw},
		{name: "response template on binary", method: "GET", path: "/dev/raw-template", accept: "image/png", status: 500, wantBody: []byte(ise), cause: diag.TemplateOnBinary},
		{name: "response template on converted text", method: "GET", path: "/dev/raw-text-template", accept: "image/png", status: 200,
			wantBody: []byte(`{"body": "` + string(binB64) + `"}`), headers: map[string]string{"Content-Type": "image/png"}},
		{name: "proxy passes binary to a text accept", method: "GET", path: "/dev/proxy-raw", accept: "text/plain", status: 200, wantBody: binRaw,
			headers: map[string]string{"Content-Type": "image/png", "Content-Length": "67"}},
		{name: "proxy passes bytes of a text type", method: "GET", path: "/dev/proxy-raw-as-text", accept: "image/png", status: 200, wantBody: binRaw},
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			req, _ := http.NewRequestWithContext(context.Background(), tc.method, hs.URL+tc.path, body)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			rec := <-records
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %q; cause %s", resp.StatusCode, tc.status, got, resp.Header.Get(CauseHeader))
			}
			if tc.wantBody != nil && !bytes.Equal(got, tc.wantBody) {
				t.Errorf("body %q (md5 %s), want %q (md5 %s)", got, md5Of(got), tc.wantBody, md5Of(tc.wantBody))
			}
			if tc.received != "" {
				if g := resp.Header.Get("X-Received-Md5"); g != tc.received {
					t.Errorf("backend received md5 %s, want %s", g, tc.received)
				}
			}
			if tc.cause != "" {
				if rec.Err == nil || rec.Err.Cause != tc.cause {
					t.Errorf("record cause %v, want %s", rec.Err, tc.cause)
				}
				if c := resp.Header.Get(CauseHeader); c != string(tc.cause) {
					t.Errorf("cause header %q, want %s", c, tc.cause)
				}
				if et := resp.Header.Get("x-amzn-ErrorType"); et != "InternalServerErrorException" {
					t.Errorf("x-amzn-ErrorType %q", et)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			} else if rec.Err != nil {
				t.Errorf("record has error %v", rec.Err)
			}
			for k, v := range tc.headers {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}
