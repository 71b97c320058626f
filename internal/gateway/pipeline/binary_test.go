package pipeline

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

// binRaw is the payload of AWS's recorded binary tests (LocalStack
// TestApiGatewayS3BinarySupport): gzip bytes that are not UTF-8.
var (
	binRaw, _ = hex.DecodeString("1f8b0800146cee6302ff4bcecf2d284a2d2e4e4d5148492c49d45128cec82fcd4951484a55c8cc2b4bccc94c51080d71d3b550282e29cacc4b0700b83910572f000000")
	binB64    = []byte(base64.StdEncoding.EncodeToString(binRaw))
	binB64B64 = []byte(base64.StdEncoding.EncodeToString(binB64))
	binText   = []byte("this is a UTF8 text typed object")
)

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func TestBinaryPayloadsMatchRecording(t *testing.T) {
	// MD5s and lengths recorded on AWS (S3 ETags in binary_conversions.json).
	for _, tc := range []struct {
		name string
		b    []byte
		md5  string
		n    int
	}{
		{"RAW", binRaw, "1e5a1bfed5308938e5549848bab02ac6", 67},
		{"B64(RAW)", binB64, "76020056aa8e57ba307f9264167a34e4", 92},
		{"B64(B64(RAW))", binB64B64, "835317c6c047dd2a13bb05117594a71a", 124},
		{"TEXT", binText, "322a648674040849d29154aa1dce24a5", 32},
		{"UTF8_REPLACED(RAW)", toValidUTF8(binRaw), "7301f0a0e8fc87c6f03320bf795ffde7", 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := md5Hex(tc.b); got != tc.md5 || len(tc.b) != tc.n {
				t.Errorf("md5 %s, %d bytes; AWS recorded md5 %s, %d bytes", got, len(tc.b), tc.md5, tc.n)
			}
		})
	}
}

func TestCompileMediaTypes(t *testing.T) {
	tests := []struct {
		name  string
		list  []string
		nil   bool
		warns int
		match map[string]bool
	}{
		{"none", nil, true, 0, map[string]bool{"image/png": false, "": false}},
		{"exact", []string{"image/png"}, false, 0, map[string]bool{
			"image/png": true, "IMAGE/PNG": true, "image/png; charset=x": true, " image/png ": true,
			"image/jpeg": false, "image/pngx": false, "text/plain": false, "": false,
		}},
		{"first media type only", []string{"image/png"}, false, 0, map[string]bool{
			"image/png, text/plain": true, "text/plain, image/png": false, "text/html;q=0.9,image/png": false,
		}},
		{"type wildcard", []string{"image/*"}, false, 0, map[string]bool{
			"image/png": true, "image/webp": true, "image/": false, "imagex/png": false, "*/*": false, "text/plain": false,
		}},
		{"catch-all", []string{"*/*"}, false, 0, map[string]bool{
			"text/plain": true, "application/json": true, "*/*": true, "garbage": false, "": false,
		}},
		{"subtype wildcard is not supported", []string{"*/png"}, true, 1, map[string]bool{"image/png": false}},
		{"not a media type", []string{"png", "image/", "/png"}, true, 3, map[string]bool{"image/png": false}},
		{"parameters are ignored", []string{"application/octet-stream; x=y"}, false, 0, map[string]bool{"application/octet-stream": true}},
		{"mixed", []string{"*/x", "application/pdf", "image/*"}, false, 1, map[string]bool{
			"application/pdf": true, "image/gif": true, "application/json": false,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mt, warns := CompileMediaTypes(tc.list)
			if (mt == nil) != tc.nil {
				t.Errorf("CompileMediaTypes = %v, want nil %v", mt, tc.nil)
			}
			if len(warns) != tc.warns {
				t.Errorf("warnings %q, want %d", warns, tc.warns)
			}
			for v, want := range tc.match {
				if got := mt.Match(v); got != want {
					t.Errorf("Match(%q) = %v, want %v", v, got, want)
				}
			}
		})
	}
}

func TestToValidUTF8(t *testing.T) {
	valid := []byte("héllo ✓ 😀")
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"valid is unchanged", valid, valid},
		{"empty", nil, nil},
		{"lone continuation", []byte{'a', 0x80, 'b'}, []byte("a\uFFFDb")},
		{"truncated 3-byte sequence is one replacement", []byte{0xE2, 0x82, 'A'}, []byte("\uFFFDA")},
		{"truncated at the end", []byte{'A', 0xF0, 0x9F, 0x98}, []byte("A\uFFFD")},
		{"overlong lead", []byte{0xC0, 0xAF}, []byte("\uFFFD\uFFFD")},
		{"E0 needs A0..BF", []byte{0xE0, 0x80, 0x80}, []byte("\uFFFD\uFFFD\uFFFD")},
		{"surrogate", []byte{0xED, 0xA0, 0x80}, []byte("\uFFFD\uFFFD\uFFFD")},
		{"beyond U+10FFFF", []byte{0xF4, 0x90, 0x80, 0x80}, []byte("\uFFFD\uFFFD\uFFFD\uFFFD")},
		{"invalid byte", []byte{0xFF, 'x'}, []byte("\uFFFDx")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := toValidUTF8(tc.in); !bytes.Equal(got, tc.want) {
				t.Errorf("toValidUTF8(% x) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeBase64(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"aGk=", "hi", true},
		{"aGk", "hi", true}, // padding may be left out
		{"aGVsbG8gd29ybGQ=", "hello world", true},
		{"aGVsbG8gd29ybGQ", "hello world", true},
		{"aG=", "", false},    // cut-short padding
		{"aGk=\n", "", false}, // line break
		{"aG\r\nk=", "", false},
		{"a", "", false},
		{"aGk=aGk=", "", false},
		{string(binText), "", false},
		{string(binRaw), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := decodeBase64([]byte(tc.in))
			if (err == nil) != tc.ok || (tc.ok && string(got) != tc.want) {
				t.Errorf("decodeBase64(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

// binaryBackend answers every request with status 200, ctype and body, and
// keeps what it received.
type binaryBackend struct {
	ctype    string
	body     []byte
	received []byte
	called   bool
}

func (b *binaryBackend) backend() *Backend {
	return &Backend{
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			b.called = true
			if r.Body != nil {
				b.received, _ = io.ReadAll(r.Body)
			}
			h := http.Header{}
			if b.ctype != "" {
				h.Set("Content-Type", b.ctype)
			}
			return &http.Response{StatusCode: 200, Header: h, ContentLength: int64(len(b.body)), Body: io.NopCloser(bytes.NewReader(b.body))}, nil
		}),
		Classify: func(ctx context.Context, err error) *diag.Error {
			return diag.Wrap(diag.PhaseIntegration, diag.InternalError, err, "")
		},
	}
}

type binaryMethod struct {
	typ          apigw.IntegrationType
	mediaTypes   []string
	reqHandling  string
	respHandling string
	reqTemplate  string // for application/json and image/png
	respTemplate string // for application/json
}

func (bm binaryMethod) compile(t *testing.T, b *Backend) *Method {
	t.Helper()
	typ := bm.typ
	if typ == "" {
		typ = apigw.IntegrationHTTP
	}
	r := ir("default", "", "200")
	r.ContentHandling = bm.respHandling
	if bm.respTemplate != "" {
		r.ResponseTemplates = map[string]string{"application/json": bm.respTemplate}
	}
	in := &apigw.Integration{Type: typ, HTTPMethod: "POST", URI: "http://backend.example/o",
		ContentHandling: bm.reqHandling, IntegrationResponses: []*apigw.IntegrationResponse{r}}
	if bm.reqTemplate != "" {
		in.RequestTemplates = map[string]string{"application/json": bm.reqTemplate, "image/png": bm.reqTemplate, "text/plain": bm.reqTemplate}
	}
	am := &apigw.Method{HTTPMethod: "POST", MethodResponses: map[string]*apigw.MethodResponse{"200": {}}, Integration: in}
	mt, _ := CompileMediaTypes(bm.mediaTypes)
	m, probs := Compile("api1", "/r", am, b, WithBinaryMediaTypes(mt))
	for _, p := range probs {
		if p.Err {
			t.Fatalf("Compile: %s", p.Message)
		}
	}
	return m
}

func TestBinaryRequestConversion(t *testing.T) {
	png := []string{"image/png"}
	tests := []struct {
		name   string
		m      binaryMethod
		ctype  string
		body   []byte
		want   []byte
		cause  diag.Cause
		called bool // the backend is called despite the failure (never)
	}{
		// No contentHandling: binary passes through, text is UTF-8.
		{"text without media types is UTF-8", binaryMethod{}, "image/png", binRaw, toValidUTF8(binRaw), "", false},
		{"valid text unchanged", binaryMethod{mediaTypes: png}, "text/plain", binText, binText, "", false},
		{"binary content type passes bytes", binaryMethod{mediaTypes: png}, "image/png", binRaw, binRaw, "", false},
		{"binary with parameters", binaryMethod{mediaTypes: png}, "image/png; q=1", binRaw, binRaw, "", false},
		{"text content type is UTF-8", binaryMethod{mediaTypes: png}, "text/plain", binRaw, toValidUTF8(binRaw), "", false},
		{"wildcard", binaryMethod{mediaTypes: []string{"image/*"}}, "image/png", binRaw, binRaw, "", false},
		{"catch-all", binaryMethod{mediaTypes: []string{"*/*"}}, "text/plain", binRaw, binRaw, "", false},
		{"subtype wildcard never matches", binaryMethod{mediaTypes: []string{"*/png"}}, "image/png", binRaw, toValidUTF8(binRaw), "", false},
		{"no content type is text", binaryMethod{mediaTypes: []string{"*/*"}}, "", binRaw, toValidUTF8(binRaw), "", false},
		// CONVERT_TO_TEXT: binary is base64-encoded, text stays text.
		{"to text encodes binary", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_TEXT"}, "image/png", binRaw, binB64, "", false},
		{"to text encodes base64 again", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_TEXT"}, "image/png", binB64, binB64B64, "", false},
		{"to text keeps text", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_TEXT"}, "text/plain", binText, binText, "", false},
		{"to text without media types is UTF-8", binaryMethod{reqHandling: "CONVERT_TO_TEXT"}, "image/png", binRaw, toValidUTF8(binRaw), "", false},
		// CONVERT_TO_BINARY: text is base64-decoded, binary passes.
		{"to binary decodes text", binaryMethod{reqHandling: "CONVERT_TO_BINARY"}, "image/png", binB64, binRaw, "", false},
		{"to binary decodes text type", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_BINARY"}, "text/plain", binB64, binRaw, "", false},
		{"to binary keeps binary", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_BINARY"}, "image/png", binText, binText, "", false},
		{"to binary on non-base64 text", binaryMethod{reqHandling: "CONVERT_TO_BINARY"}, "text/plain", binText, nil, diag.BinaryConversionFailed, false},
		{"to binary on raw bytes", binaryMethod{reqHandling: "CONVERT_TO_BINARY"}, "image/png", binRaw, nil, diag.BinaryConversionFailed, false},
		// Templates apply to text only.
		{"template on text", binaryMethod{mediaTypes: png, reqTemplate: `{"b":"$input.body"}`}, "text/plain", binText, []byte(`{"b":"this is a UTF8 text typed object"}`), "", false},
		{"template on converted text", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_TEXT", reqTemplate: `$input.body`}, "image/png", binRaw, binB64, "", false},
		{"template on binary", binaryMethod{mediaTypes: png, reqTemplate: `$input.body`}, "image/png", binRaw, nil, diag.TemplateOnBinary, false},
		{"template on decoded binary", binaryMethod{reqHandling: "CONVERT_TO_BINARY", reqTemplate: `$input.body`}, "text/plain", binB64, nil, diag.TemplateOnBinary, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bb := &binaryBackend{ctype: "application/json", body: []byte(`{}`)}
			m := tc.m.compile(t, bb.backend())
			x := newExchange("POST", "/r", nil)
			if tc.ctype != "" {
				x.Req.Header.Set("Content-Type", tc.ctype)
			}
			x.Body = tc.body
			resp, err := m.Serve(context.Background(), x, nil)
			if tc.cause != "" {
				d := diag.As(err)
				if err == nil || d.Cause != tc.cause {
					t.Fatalf("Serve err = %v, want cause %s", err, tc.cause)
				}
				if d.Phase != diag.PhaseIntegrationRequest {
					t.Errorf("phase %s, want %s", d.Phase, diag.PhaseIntegrationRequest)
				}
				if info := d.Info(); info.ResponseType != apigw.APIConfigurationError {
					t.Errorf("response type %s, want API_CONFIGURATION_ERROR", info.ResponseType)
				}
				if bb.called != tc.called {
					t.Errorf("backend called = %v, want %v", bb.called, tc.called)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != 200 {
				t.Errorf("status %d", resp.Status)
			}
			if !bytes.Equal(bb.received, tc.want) {
				t.Errorf("integration received %q (md5 %s), want %q (md5 %s)", bb.received, md5Hex(bb.received), tc.want, md5Hex(tc.want))
			}
			if !bytes.Equal(x.Rec.EndpointBody, tc.want) {
				t.Errorf("Rec.EndpointBody = %q, want the converted body", x.Rec.EndpointBody)
			}
		})
	}
}

func TestBinaryResponseConversion(t *testing.T) {
	png := []string{"image/png"}
	tests := []struct {
		name   string
		m      binaryMethod
		ctype  string // backend Content-Type
		body   []byte // backend body
		accept string
		want   []byte
		cause  diag.Cause
	}{
		// No contentHandling: Accept picks the direction.
		{"no media types passes text", binaryMethod{}, "binary/octet-stream", binB64, "image/png", binB64, ""},
		{"no media types makes raw UTF-8", binaryMethod{}, "image/png", binRaw, "image/png", toValidUTF8(binRaw), ""},
		{"text payload binary accept decodes", binaryMethod{mediaTypes: png}, "binary/octet-stream", binB64, "image/png", binRaw, ""},
		{"first accept type decides", binaryMethod{mediaTypes: png}, "binary/octet-stream", binB64, "image/png, text/plain", binRaw, ""},
		{"binary accept second is text", binaryMethod{mediaTypes: png}, "binary/octet-stream", binB64, "text/plain, image/png", binB64, ""},
		{"binary payload binary accept passes", binaryMethod{mediaTypes: png}, "image/png", binRaw, "image/png", binRaw, ""},
		{"binary text payload binary accept passes", binaryMethod{mediaTypes: png}, "image/png", binText, "image/png", binText, ""},
		{"text payload text accept passes", binaryMethod{mediaTypes: png}, "binary/octet-stream", binB64, "text/plain", binB64, ""},
		{"binary payload text accept encodes", binaryMethod{mediaTypes: png}, "image/png", binB64, "text/plain", binB64B64, ""},
		{"binary payload no accept encodes", binaryMethod{mediaTypes: png}, "image/png", binRaw, "", binB64, ""},
		{"text payload binary accept not base64", binaryMethod{mediaTypes: png}, "binary/octet-stream", binText, "image/png", nil, diag.BinaryConversionFailed},
		{"raw text payload binary accept", binaryMethod{mediaTypes: png}, "binary/octet-stream", binRaw, "image/png", nil, diag.BinaryConversionFailed},
		// CONVERT_TO_TEXT: binary is encoded, text stays text, whatever the Accept.
		{"to text keeps text for binary accept", binaryMethod{mediaTypes: png, respHandling: "CONVERT_TO_TEXT"}, "binary/octet-stream", binB64, "image/png", binB64, ""},
		{"to text makes raw text UTF-8", binaryMethod{mediaTypes: png, respHandling: "CONVERT_TO_TEXT"}, "binary/octet-stream", binRaw, "image/png", toValidUTF8(binRaw), ""},
		{"to text encodes binary", binaryMethod{mediaTypes: png, respHandling: "CONVERT_TO_TEXT"}, "image/png", binRaw, "image/png", binB64, ""},
		{"to text encodes base64 again", binaryMethod{mediaTypes: png, respHandling: "CONVERT_TO_TEXT"}, "image/png", binB64, "image/png", binB64B64, ""},
		// CONVERT_TO_BINARY: text is decoded, binary passes, whatever the Accept.
		{"to binary decodes without media types", binaryMethod{respHandling: "CONVERT_TO_BINARY"}, "binary/octet-stream", binB64, "image/png", binRaw, ""},
		{"to binary decodes for text accept", binaryMethod{mediaTypes: png, respHandling: "CONVERT_TO_BINARY"}, "binary/octet-stream", binB64, "text/plain", binRaw, ""},
		{"to binary keeps binary for text accept", binaryMethod{mediaTypes: png, respHandling: "CONVERT_TO_BINARY"}, "image/png", binB64, "text/plain", binB64, ""},
		{"to binary on non-base64", binaryMethod{respHandling: "CONVERT_TO_BINARY"}, "text/plain", binText, "text/plain", nil, diag.BinaryConversionFailed},
		// Templates apply to text only.
		{"template on text", binaryMethod{mediaTypes: png, respTemplate: `{"b":"$input.body"}`}, "binary/octet-stream", binText, "application/json", []byte(`{"b":"this is a UTF8 text typed object"}`), ""},
		{"template on encoded binary", binaryMethod{mediaTypes: png, respHandling: "CONVERT_TO_TEXT", respTemplate: `$input.body`}, "image/png", binRaw, "image/png", binB64, ""},
		{"template on binary", binaryMethod{mediaTypes: png, respTemplate: `$input.body`}, "image/png", binRaw, "image/png", nil, diag.TemplateOnBinary},
		{"template on decoded text", binaryMethod{mediaTypes: png, respTemplate: `$input.body`}, "text/plain", binB64, "image/png", nil, diag.TemplateOnBinary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bb := &binaryBackend{ctype: tc.ctype, body: tc.body}
			m := tc.m.compile(t, bb.backend())
			x := newExchange("POST", "/r", nil)
			if tc.accept != "" {
				x.Req.Header.Set("Accept", tc.accept)
			}
			resp, err := m.Serve(context.Background(), x, nil)
			if tc.cause != "" {
				d := diag.As(err)
				if err == nil || d.Cause != tc.cause {
					t.Fatalf("Serve err = %v, want cause %s", err, tc.cause)
				}
				if d.Phase != diag.PhaseIntegrationResponse {
					t.Errorf("phase %s, want %s", d.Phase, diag.PhaseIntegrationResponse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(resp.Body, tc.want) {
				t.Errorf("client body %q (md5 %s), want %q (md5 %s)", resp.Body, md5Hex(resp.Body), tc.want, md5Hex(tc.want))
			}
		})
	}
}

func TestBinaryMockResponse(t *testing.T) {
	// A MOCK response has no Content-Type: a text payload. Its template
	// fails for a binary Accept (the empty payload is decoded to binary)
	// unless the integration response converts to text.
	tests := []struct {
		name     string
		handling string
		accept   string
		want     string
		cause    diag.Cause
	}{
		{"text accept", "", "application/json", `{"ok":true}`, ""},
		{"binary accept", "", "image/png", "", diag.TemplateOnBinary},
		{"binary accept converted to text", "CONVERT_TO_TEXT", "image/png", `{"ok":true}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ir("default", "", "200")
			r.ContentHandling = tc.handling
			r.ResponseTemplates = map[string]string{"application/json": `{"ok":true}`}
			am := &apigw.Method{HTTPMethod: "GET", MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
				Integration: &apigw.Integration{Type: "mock", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
					IntegrationResponses: []*apigw.IntegrationResponse{r}}}
			mt, _ := CompileMediaTypes([]string{"image/*"})
			m, _ := Compile("api1", "/r", am, nil, WithBinaryMediaTypes(mt))
			x := newExchange("GET", "/r", nil)
			x.Req.Header.Set("Accept", tc.accept)
			resp, err := m.Serve(context.Background(), x, nil)
			if tc.cause != "" {
				if d := diag.As(err); err == nil || d.Cause != tc.cause {
					t.Fatalf("Serve err = %v, want cause %s", err, tc.cause)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != tc.want {
				t.Errorf("body %q, want %q", resp.Body, tc.want)
			}
		})
	}
}

func TestBinaryHTTPProxy(t *testing.T) {
	png := []string{"image/png"}
	tests := []struct {
		name      string
		m         binaryMethod
		ctype     string
		body      []byte
		needsBody bool
		want      []byte
		cause     diag.Cause
	}{
		{"streams bytes untouched", binaryMethod{mediaTypes: png}, "text/plain", binRaw, false, binRaw, ""},
		{"to text encodes binary", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_TEXT"}, "image/png", binRaw, true, binB64, ""},
		{"to text leaves text bytes", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_TEXT"}, "text/plain", binRaw, true, binRaw, ""},
		{"to binary decodes text", binaryMethod{reqHandling: "CONVERT_TO_BINARY"}, "text/plain", binB64, true, binRaw, ""},
		{"to binary leaves binary", binaryMethod{mediaTypes: png, reqHandling: "CONVERT_TO_BINARY"}, "image/png", binB64, true, binB64, ""},
		{"to binary on non-base64", binaryMethod{reqHandling: "CONVERT_TO_BINARY"}, "text/plain", binText, true, nil, diag.BinaryConversionFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The backend answers raw bytes: a proxy passes them whatever the Accept.
			bb := &binaryBackend{ctype: "image/png", body: binRaw}
			tc.m.typ = apigw.IntegrationHTTPProxy
			m := tc.m.compile(t, bb.backend())
			if m.NeedsBody() != tc.needsBody {
				t.Errorf("NeedsBody = %v, want %v", m.NeedsBody(), tc.needsBody)
			}
			x := newExchange("POST", "/r", nil)
			x.Req = httptest.NewRequest("POST", "/r", bytes.NewReader(tc.body))
			x.Req.Header.Set("Content-Type", tc.ctype)
			x.Req.Header.Set("Accept", "text/plain")
			if tc.needsBody {
				x.Body = tc.body
			}
			w := httptest.NewRecorder()
			_, err := m.Serve(context.Background(), x, w)
			if tc.cause != "" {
				if d := diag.As(err); err == nil || d.Cause != tc.cause {
					t.Fatalf("Serve err = %v, want cause %s", err, tc.cause)
				}
				if bb.called {
					t.Error("backend called after a failed conversion")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bb.received, tc.want) {
				t.Errorf("backend received %q, want %q", bb.received, tc.want)
			}
			if !bytes.Equal(w.Body.Bytes(), binRaw) {
				t.Errorf("client received %q, want the backend's bytes", w.Body.Bytes())
			}
			if diff := cmp.Diff([]string{"67"}, w.Header()["Content-Length"]); diff != "" {
				t.Errorf("Content-Length (-want +got):\n%s", diff)
			}
		})
	}
}
