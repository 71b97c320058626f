package conformance

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/archway-gw/archway/internal/apigw"
)

// Binary payloads are described by labels: RAW, TEXT, B64(x) and
// UTF8_REPLACED(x), optionally followed by a note in parentheses. RAW is the
// recording's own payload, gzip.compress(b"compressed data, should be invalid
// UTF-8 string", mtime=1676569620) in LocalStack's TestApiGatewayS3BinarySupport
// (67 bytes, md5 1e5a1bfe...), so the recorded MD5s can be checked as they are.
var (
	rawPayload  = mustHex("1f8b0800146cee6302ff4bcecf2d284a2d2e4e4d5148492c49d45128cec82fcd4951484a55c8cc2b4bccc94c51080d71d3b550282e29cacc4b0700b83910572f000000")
	textPayload = []byte("this is a UTF8 text typed object")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var errUnknownLabel = errors.New("unknown payload label")

// payload evaluates a payload label such as "B64(RAW)" or
// "RAW (gzip bytes, invalid UTF-8)".
func payload(label string) ([]byte, error) {
	s := strings.TrimSpace(label)
	if i := strings.Index(s, " ("); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	switch s {
	case "RAW":
		return rawPayload, nil
	case "TEXT":
		return textPayload, nil
	}
	fn, arg, ok := strings.Cut(s, "(")
	if !ok || !strings.HasSuffix(arg, ")") {
		return nil, fmt.Errorf("%w %q", errUnknownLabel, label)
	}
	in, err := payload(arg[:len(arg)-1])
	if err != nil {
		return nil, err
	}
	switch fn {
	case "B64":
		return []byte(base64.StdEncoding.EncodeToString(in)), nil
	case "UTF8_REPLACED":
		return utf8Replaced(in), nil
	}
	return nil, fmt.Errorf("%w %q", errUnknownLabel, label)
}

// utf8Replaced decodes b as UTF-8 the way the recorder's Python did
// (errors="replace": one U+FFFD per maximal ill-formed subpart).
func utf8Replaced(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			out.Write(b[:n])
			b = b[n:]
			continue
		}
		// Extend the ill-formed subpart while it is still the prefix of
		// some well-formed sequence.
		k := 1
		for k < len(b) && k < utf8.UTFMax && validPrefix(b[:k+1]) {
			k++
		}
		out.WriteString("\uFFFD")
		b = b[k:]
	}
	return out.Bytes()
}

// validPrefix reports whether p can be completed into one well-formed
// UTF-8 sequence.
func validPrefix(p []byte) bool {
	for _, tail := range [][]byte{nil, {0x80}, {0x80, 0x80}, {0x80, 0x80, 0x80}, {0xBF}, {0xBF, 0xBF}, {0xBF, 0xBF, 0xBF}} {
		c := append(append([]byte{}, p...), tail...)
		if r, n := utf8.DecodeRune(c); n == len(c) && r != utf8.RuneError {
			return true
		}
	}
	return false
}

var notesMD5RE = regexp.MustCompile(`md5\(([A-Z0-9_]+(?:\([A-Z0-9_()]+\))?)\)=([0-9a-f]{32})`)

// checkNotesMD5 checks the payloads the runner builds against the MD5s a
// vector's notes give for its labels.
func checkNotesMD5(notes string) string {
	for _, m := range notesMD5RE.FindAllStringSubmatch(notes, -1) {
		b, err := payload(m[1])
		if err != nil {
			continue
		}
		if got := md5hex(b); got != m[2] {
			return fmt.Sprintf("the runner's %s has md5 %s, the notes say %s", m[1], got, m[2])
		}
	}
	return ""
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// binaryInputs is the union of the binary-conversion input shapes.
type binaryInputs struct {
	BinaryMediaTypes []string `json:"binaryMediaTypes"`
	// request vectors
	RequestContentType string  `json:"request_content_type"`
	RequestHandling    *string `json:"integration_contentHandling"`
	PayloadSent        string  `json:"payload_sent"`
	// response vectors
	ResponseContentType string  `json:"integration_response_content_type"`
	ClientAccept        string  `json:"client_accept"`
	ResponseHandling    *string `json:"integration_response_contentHandling"`
	Object              string  `json:"s3_object"`
	// optional templates
	RequestTemplate  *string `json:"request_template"`
	ResponseTemplate *string `json:"response_template"`
}

type binaryExpected struct {
	Status        int     `json:"status"`
	Received      *string `json:"integration_received"`
	ETag          string  `json:"s3_etag"`
	ContentLength *int    `json:"s3_content_length"`
	Client        *string `json:"client_received"`
	ObjectETag    string  `json:"etag_header"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// binaryCase is one client call through an API with binaryMediaTypes.
type binaryCase struct {
	mediaTypes       []string
	reqHandling      string
	respHandling     string
	reqTemplate      *string
	respTemplate     *string
	contentType      string // client request Content-Type
	accept           string // client Accept
	body             []byte // client request body
	backendType      string // backend response Content-Type
	backendBody      []byte // backend response body
	backendReceived  []byte
	backendCalled    bool
	backendReceiveMu sync.Mutex
}

// run serves the case's API on a real socket, in front of a backend that
// records what it receives and answers backendBody, and makes the call.
func (c *binaryCase) run(ctx context.Context) (*exchange, error) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.backendReceiveMu.Lock()
		c.backendReceived, c.backendCalled = b, true
		c.backendReceiveMu.Unlock()
		if c.backendType != "" {
			w.Header().Set("Content-Type", c.backendType)
		}
		w.Write(c.backendBody)
	}))
	defer backend.Close()
	ir := &apigw.IntegrationResponse{Key: "default", StatusCode: "200", ContentHandling: c.respHandling}
	if c.respTemplate != nil {
		ir.ResponseTemplates = map[string]string{"application/json": *c.respTemplate}
	}
	in := &apigw.Integration{
		Type: apigw.IntegrationHTTP, HTTPMethod: "PUT", URI: backend.URL + "/object",
		ContentHandling:      c.reqHandling,
		IntegrationResponses: []*apigw.IntegrationResponse{ir},
	}
	if c.reqTemplate != nil {
		ct := strings.ToLower(strings.TrimSpace(strings.Split(c.contentType, ";")[0]))
		if ct == "" {
			ct = "application/json"
		}
		in.RequestTemplates = map[string]string{ct: *c.reqTemplate}
	}
	m := &apigw.Method{
		HTTPMethod:      "PUT",
		MethodResponses: map[string]*apigw.MethodResponse{"200": {StatusCode: "200"}},
		Integration:     in,
	}
	api := restAPI(map[string]map[string]*apigw.Method{"/object": {"PUT": m}})
	api.BinaryMediaTypes = c.mediaTypes
	h, err := newHarness(api, apigw.Stage{Name: "dev"})
	if err != nil {
		return nil, err
	}
	defer h.close()
	headers := map[string]string{}
	if c.contentType != "" {
		headers["Content-Type"] = c.contentType
	}
	if c.accept != "" {
		headers["Accept"] = c.accept
	}
	return h.do(ctx, "PUT", "/dev/object", headers, string(c.body))
}

func (c *binaryCase) received() ([]byte, bool) {
	c.backendReceiveMu.Lock()
	defer c.backendReceiveMu.Unlock()
	return c.backendReceived, c.backendCalled
}

func decodeBinary(v Vector) (binaryInputs, binaryExpected, string) {
	var in binaryInputs
	var exp binaryExpected
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return in, exp, "inputs: " + err.Error()
	}
	if err := json.Unmarshal(v.Expected, &exp); err != nil {
		return in, exp, "expected: " + err.Error()
	}
	if why := checkNotesMD5(v.Notes); why != "" {
		return in, exp, why
	}
	return in, exp, ""
}

func trimETag(s string) string { return strings.Trim(s, `"`) }

// runBinaryRequest checks what the integration receives for a client
// payload (binaryMediaTypes x Content-Type x integration contentHandling).
func runBinaryRequest(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	in, exp, why := decodeBinary(v)
	if why != "" {
		return Fail, why
	}
	sent, err := payload(in.PayloadSent)
	if err != nil {
		return Unsupported, err.Error()
	}
	c := &binaryCase{
		mediaTypes: in.BinaryMediaTypes, reqHandling: str(in.RequestHandling),
		reqTemplate: in.RequestTemplate, respTemplate: in.ResponseTemplate,
		contentType: in.RequestContentType, body: sent,
		// The recorded S3 PutObject answers with no body.
		accept: "application/json",
	}
	x, err := c.run(ctx)
	if err != nil {
		return Fail, err.Error()
	}
	want := exp.Status
	if want == 0 {
		want = 200
	}
	if x.status != want {
		return Fail, fmt.Sprintf("status %d, want %d (body %q)", x.status, want, truncate(string(x.body)))
	}
	got, called := c.received()
	if want != 200 {
		if called {
			return Fail, "the backend was called; the recorded request failed before the integration"
		}
		return Pass, ""
	}
	if exp.ETag != "" && md5hex(got) != trimETag(exp.ETag) {
		return Fail, fmt.Sprintf("integration received %d bytes with md5 %s, want md5 %s", len(got), md5hex(got), trimETag(exp.ETag))
	}
	if exp.ContentLength != nil && len(got) != *exp.ContentLength {
		return Fail, fmt.Sprintf("integration received %d bytes, want %d", len(got), *exp.ContentLength)
	}
	if exp.Received != nil {
		wantBody, err := payload(*exp.Received)
		if err != nil {
			return Unsupported, err.Error()
		}
		if !bytes.Equal(got, wantBody) {
			return Fail, fmt.Sprintf("integration received %q, want %s = %q", truncate(string(got)), *exp.Received, truncate(string(wantBody)))
		}
	}
	return Pass, ""
}

// runBinaryResponse checks what the client receives for an integration
// response payload (binaryMediaTypes x response Content-Type x Accept x
// integration response contentHandling).
func runBinaryResponse(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	in, exp, why := decodeBinary(v)
	if why != "" {
		return Fail, why
	}
	object, err := payload(in.Object)
	if err != nil {
		return Unsupported, err.Error()
	}
	if exp.ObjectETag != "" && md5hex(object) != trimETag(exp.ObjectETag) {
		return Fail, fmt.Sprintf("the runner's %s has md5 %s, the recorded ETag is %s", in.Object, md5hex(object), exp.ObjectETag)
	}
	c := &binaryCase{
		mediaTypes: in.BinaryMediaTypes, respHandling: str(in.ResponseHandling),
		reqTemplate: in.RequestTemplate, respTemplate: in.ResponseTemplate,
		accept: in.ClientAccept, backendType: in.ResponseContentType, backendBody: object,
	}
	x, err := c.run(ctx)
	if err != nil {
		return Fail, err.Error()
	}
	want := exp.Status
	if want == 0 {
		want = 200
	}
	if x.status != want {
		return Fail, fmt.Sprintf("status %d, want %d (body %q)", x.status, want, truncate(string(x.body)))
	}
	if exp.Client != nil {
		wantBody, err := payload(*exp.Client)
		if err != nil {
			return Unsupported, err.Error()
		}
		if !bytes.Equal(x.body, wantBody) {
			return Fail, fmt.Sprintf("client received %q (md5 %s), want %s = %q (md5 %s)", truncate(string(x.body)), md5hex(x.body), *exp.Client, truncate(string(wantBody)), md5hex(wantBody))
		}
	}
	return Pass, ""
}

// proseAlternatives reads a recorder's description of alternatives, such as
// "image/png (no binaryMediaTypes) or text/plain": the parts around " or ",
// without notes in parentheses.
func proseAlternatives(s string) []string {
	var out []string
	for _, p := range strings.Split(s, " or ") {
		if i := strings.Index(p, " ("); i >= 0 {
			p = p[:i]
		}
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// proseLabel maps a described payload ("raw gzip bytes", "plain UTF-8
// text", "B64(RAW)") to its label.
func proseLabel(s string) (string, bool) {
	if _, err := payload(s); err == nil {
		return s, true
	}
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "base64"):
		return "B64(RAW)", true
	case strings.Contains(l, "gzip") || strings.Contains(l, "raw") || strings.Contains(l, "binary"):
		return "RAW", true
	case strings.Contains(l, "text"):
		return "TEXT", true
	}
	return "", false
}

// binaryErrorInputs is the shape of error-response vectors about binary
// payloads: a request side (integration contentHandling, client request) or
// a response side (Accept, integration response Content-Type, payload).
type binaryErrorInputs struct {
	BinaryMediaTypes []string          `json:"binaryMediaTypes"`
	Integration      json.RawMessage   `json:"integration"`
	RequestHandling  string            `json:"integration_contentHandling"`
	ResponseHandling string            `json:"integration_response_contentHandling"`
	Client           map[string]string `json:"client_request"`
	ClientAccept     string            `json:"client_accept"`
	ResponseType     string            `json:"integration_response_content_type"`
	Payload          string            `json:"payload"`
	RequestTemplate  *string           `json:"request_template"`
	ResponseTemplate *string           `json:"response_template"`
}

// runBinaryError runs every combination a binary error-response vector
// describes and expects the recorded status (and body) from each.
func runBinaryError(ctx context.Context, v Vector, exp errorExpected) (Outcome, string) {
	var in binaryErrorInputs
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Unsupported, "inputs: " + err.Error()
	}
	// integration is an object in some shapes and a description in others.
	var integ struct {
		ContentHandling   string            `json:"contentHandling"`
		RequestTemplates  map[string]string `json:"requestTemplates"`
		ResponseTemplates map[string]string `json:"responseTemplates"`
	}
	json.Unmarshal(in.Integration, &integ)
	reqHandling := integ.ContentHandling
	if reqHandling == "" {
		reqHandling = in.RequestHandling
	}
	for _, t := range integ.RequestTemplates {
		in.RequestTemplate = &t
	}
	for _, t := range integ.ResponseTemplates {
		in.ResponseTemplate = &t
	}
	// A vector about templates on binary payloads that names no template
	// gets one that reads the body.
	if in.RequestTemplate == nil && in.ResponseTemplate == nil && strings.Contains(strings.ToLower(v.ID+" "+v.Notes), "template") {
		body := "$input.body"
		if in.Client != nil {
			in.RequestTemplate = &body
		} else {
			in.ResponseTemplate = &body
		}
	}
	var cases []*binaryCase
	switch {
	case in.Client != nil:
		labels, ok := proseLabels(in.Client["body"])
		if !ok {
			return Unsupported, fmt.Sprintf("cannot build the request body %q", in.Client["body"])
		}
		types := proseAlternatives(in.Client["Content-Type"])
		if len(types) == 0 {
			types = []string{""}
		}
		for _, ct := range types {
			for _, l := range labels {
				body, _ := payload(l)
				cases = append(cases, &binaryCase{
					mediaTypes: in.BinaryMediaTypes, reqHandling: reqHandling, respHandling: in.ResponseHandling,
					reqTemplate: in.RequestTemplate, respTemplate: in.ResponseTemplate,
					contentType: ct, body: body, accept: "application/json",
				})
			}
		}
	case in.Payload != "" || in.ClientAccept != "":
		labels, ok := proseLabels(in.Payload)
		if !ok {
			return Unsupported, fmt.Sprintf("cannot build the integration response %q", in.Payload)
		}
		types := proseAlternatives(in.ResponseType)
		if len(types) == 0 {
			types = []string{""}
		}
		for _, ct := range types {
			for _, l := range labels {
				body, _ := payload(l)
				cases = append(cases, &binaryCase{
					mediaTypes: in.BinaryMediaTypes, reqHandling: reqHandling, respHandling: in.ResponseHandling,
					reqTemplate: in.RequestTemplate, respTemplate: in.ResponseTemplate,
					accept: in.ClientAccept, backendType: ct, backendBody: body,
				})
			}
		}
	default:
		return Unsupported, "the inputs describe neither a binary request nor a binary response"
	}
	for _, c := range cases {
		x, err := c.run(ctx)
		if err != nil {
			return Fail, err.Error()
		}
		if why := checkError(x, exp); why != "" {
			return Fail, fmt.Sprintf("Content-Type %q, Accept %q, backend Content-Type %q: %s", c.contentType, c.accept, c.backendType, why)
		}
	}
	return Pass, ""
}

func proseLabels(s string) ([]string, bool) {
	var out []string
	for _, p := range proseAlternatives(s) {
		l, ok := proseLabel(p)
		if !ok {
			return nil, false
		}
		out = append(out, l)
	}
	return out, len(out) > 0
}
