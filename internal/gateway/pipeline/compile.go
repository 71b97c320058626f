package pipeline

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

// Problem is a compile finding about one method: Err set means the method
// cannot be compiled; otherwise it is a warning (loaded, maybe not served).
type Problem struct {
	Pos     apigw.Pos
	Message string
	Fix     string
	Err     bool
}

// reserved request-header mapping targets: for every integration type, and
// additionally for AWS and AWS_PROXY.
var (
	reservedAll = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}
	reservedAWS = map[string]bool{"Authorization": true, "Connection": true, "Expect": true, "Proxy-Authenticate": true, "Te": true}
)

// Option sets API-wide state on a method being compiled.
type Option func(*Method)

// WithBinaryMediaTypes gives the method its API's compiled binaryMediaTypes
// (see CompileMediaTypes), compiled once per API.
func WithBinaryMediaTypes(mt *MediaTypes) Option {
	return func(m *Method) { m.binary = mt }
}

// Compile turns one AWS method into a served Method. backend is shared by
// every method of a snapshot; opts carry API-wide state.
func Compile(apiID, resourcePath string, am *apigw.Method, backend *Backend, opts ...Option) (*Method, []Problem) {
	var probs []Problem
	pos := am.Source
	warn := func(msg, fix string) { probs = append(probs, Problem{Pos: pos, Message: msg, Fix: fix}) }
	fail := func(msg, fix string) { probs = append(probs, Problem{Pos: pos, Message: msg, Fix: fix, Err: true}) }

	m := &Method{APIID: apiID, HTTPMethod: am.HTTPMethod, ResourcePath: resourcePath, backend: backend, methodStatus: map[string]bool{}}
	for code := range am.MethodResponses {
		m.methodStatus[code] = true
	}
	for _, o := range opts {
		o(m)
	}
	in := am.Integration
	if in == nil {
		fail(fmt.Sprintf("%s %s has no x-amazon-apigateway-integration", am.HTTPMethod, resourcePath), "add an integration (type mock, http, http_proxy, aws or aws_proxy)")
		return nil, probs
	}
	if in.Source.Line > 0 {
		pos = in.Source
	}
	m.Type = IntegrationTypeOf(in.Type)
	m.backendVerb = strings.ToUpper(in.HTTPMethod)
	m.timeout = time.Duration(apigw.DefaultTimeoutInMillis) * time.Millisecond
	if in.TimeoutInMillis > 0 {
		m.timeout = time.Duration(in.TimeoutInMillis) * time.Millisecond
	}
	m.reqHandling = compileContentHandling(in.ContentHandling)
	m.passthrough = in.PassthroughBehavior
	if m.passthrough == "" {
		m.passthrough = apigw.PassthroughWhenNoMatch
	}
	for _, key := range orderedKeys(in.RequestParameters, in.RequestParameterOrder) {
		rm, err := CompileRequestMapping(key, in.RequestParameters[key])
		if err != nil {
			warn(err.Error(), "fix the mapping expression; the parameter is not sent until then")
			continue
		}
		if rm.target == tgtHeader {
			h := http.CanonicalHeaderKey(rm.name)
			if reservedAll[h] || (reservedAWS[h] && (m.Type == apigw.IntegrationAWS || m.Type == apigw.IntegrationAWSProxy)) {
				m.Fail = diag.Newf(diag.PhaseIntegrationRequest, diag.ReservedHeaderMapping, "requestParameters maps reserved header %s", rm.name)
				warn("integration.request.header."+rm.name+" maps a reserved header; AWS fails every call of this method with 500", "remove the mapping")
			}
		}
		m.reqMaps = append(m.reqMaps, rm)
	}
	if len(in.RequestTemplates) > 0 {
		m.reqTemplates = map[string]*Template{}
		for _, ct := range sortedKeys(in.RequestTemplates) {
			name := fmt.Sprintf("%s %s request template %s", am.HTTPMethod, resourcePath, ct)
			t, err := CompileTemplate(name, in.RequestTemplates[ct])
			if err != nil {
				warn(err.Error()+"; AWS accepts the definition and fails the requests that use this template (TEMPLATE_ERROR)", "fix the template at that line and column")
			}
			m.reqTemplates[strings.ToLower(ct)] = t
		}
	}
	compileResponses(m, in, warn, fail)
	switch m.Type {
	case apigw.IntegrationHTTP, apigw.IntegrationHTTPProxy:
		if in.URI == "" {
			fail("http integration has no uri", "set uri to the backend URL")
		}
		m.uri = CompileURI(in.URI)
		// HTTP_PROXY streams the body unless a contentHandling conversion
		// may have to rewrite it.
		m.needsBody = m.Type == apigw.IntegrationHTTP || hasBodySource(m.reqMaps) || m.reqHandling != handlingPassthrough
		if in.ConnectionType == "VPC_LINK" {
			warn("connectionType VPC_LINK is not served yet; the uri is called directly", "point the uri at a reachable backend")
		}
	case apigw.IntegrationMock:
		m.needsBody = len(m.reqTemplates) > 0
	case apigw.IntegrationAWS, apigw.IntegrationAWSProxy:
		if !compileLambda(m, in, warn) {
			notServed(m, in, warn)
		}
	default:
		notServed(m, in, warn)
	}
	return m, probs
}

// notServed makes every request of the method fail with INTEGRATION_NOT_SERVED.
func notServed(m *Method, in *apigw.Integration, warn func(string, string)) {
	if m.Fail == nil {
		m.Fail = diag.Newf(diag.PhaseIntegration, diag.IntegrationNotServed, "integration type %s", in.Type)
	}
	warn(fmt.Sprintf("integration type %s is loaded but not served yet; requests answer 500 (INTEGRATION_NOT_SERVED)", in.Type), "use http, http_proxy, mock or a Lambda aws/aws_proxy integration for now")
}

func hasBodySource(ms []RequestMapping) bool {
	for _, rm := range ms {
		if rm.src.kind == srcBody || rm.src.kind == srcBodyPath {
			return true
		}
	}
	return false
}

func compileResponses(m *Method, in *apigw.Integration, warn, fail func(string, string)) {
	for _, r := range in.IntegrationResponses {
		status, err := strconv.Atoi(r.StatusCode)
		if err != nil || status < 100 || status > 599 {
			fail(fmt.Sprintf("integration response %q has statusCode %q", r.Key, r.StatusCode), "set statusCode to an HTTP status such as \"200\"")
			continue
		}
		ir := &IntegrationResponse{Status: status, Code: r.StatusCode, handling: compileContentHandling(r.ContentHandling)}
		for _, key := range orderedKeys(r.ResponseParameters, r.ResponseParameterOrder) {
			h, ok := strings.CutPrefix(key, "method.response.header.")
			if !ok || h == "" {
				warn("response parameter "+key+" is not method.response.header.NAME", "rename the key")
				continue
			}
			src, err := CompileSource(r.ResponseParameters[key], false)
			if err != nil {
				warn(err.Error(), "fix the mapping expression")
				continue
			}
			ir.params = append(ir.params, ResponseMapping{header: h, src: src})
		}
		if len(r.ResponseTemplates) > 0 {
			ir.templates = map[string]*Template{}
			keys := sortedKeys(r.ResponseTemplates)
			ir.firstType = strings.ToLower(keys[0])
			for _, ct := range keys {
				name := fmt.Sprintf("%s %s response %s template %s", m.HTTPMethod, m.ResourcePath, r.Key, ct)
				t, err := CompileTemplate(name, r.ResponseTemplates[ct])
				if err != nil {
					warn(err.Error()+"; AWS accepts the definition and fails the requests that use this template (TEMPLATE_ERROR)", "fix the template at that line and column")
				}
				ir.templates[strings.ToLower(ct)] = t
			}
		}
		if r.IsDefault() {
			if m.defaultResp == nil {
				m.defaultResp = ir
			}
			continue
		}
		re, err := regexp.Compile(`^(?:` + r.SelectionPattern + `)$`)
		if err != nil {
			fail(fmt.Sprintf("selectionPattern %q is not a valid regular expression: %v", r.SelectionPattern, err), "fix the pattern (Java regex syntax without backreferences or lookaround)")
			continue
		}
		ir.pattern = re
		m.responses = append(m.responses, ir)
	}
}

// IntegrationTypeOf normalises an integration type (OpenAPI exports lower case).
func IntegrationTypeOf(t apigw.IntegrationType) apigw.IntegrationType {
	return apigw.IntegrationType(strings.ToUpper(string(t)))
}

func orderedKeys[V any](m map[string]V, order []string) []string {
	if len(order) == len(m) {
		return order
	}
	return sortedKeys(m)
}
