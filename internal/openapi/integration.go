package openapi

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

var integrationTypes = map[string]apigw.IntegrationType{
	"HTTP": apigw.IntegrationHTTP, "HTTP_PROXY": apigw.IntegrationHTTPProxy,
	"AWS": apigw.IntegrationAWS, "AWS_PROXY": apigw.IntegrationAWSProxy,
	"MOCK": apigw.IntegrationMock,
}

var passthroughBehaviors = map[string]apigw.PassthroughBehavior{
	"WHEN_NO_MATCH": apigw.PassthroughWhenNoMatch, "WHEN_NO_TEMPLATES": apigw.PassthroughWhenNoTemplates,
	"NEVER": apigw.PassthroughNever,
}

var integrationHTTPMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true,
	"HEAD": true, "OPTIONS": true, "ANY": true,
}

// minTimeoutInMillis is the smallest integration timeout AWS accepts.
const minTimeoutInMillis = 50

// integration reads x-amazon-apigateway-integration.
func (im *importer) integration(n *node, m *apigw.Method) *apigw.Integration {
	if n.kind != kMap {
		im.fail(n, "", "x-amazon-apigateway-integration is %s, not an object", "write {type: http, httpMethod: GET, uri: https://...}", kindName(n))
		return nil
	}
	in := &apigw.Integration{Source: n.diagPos(), PassthroughBehavior: apigw.PassthroughWhenNoMatch}
	for i, k := range n.keys {
		im.integrationField(in, k, n.kids[i])
	}
	im.checkIntegration(in, n, m)
	return in
}

func (im *importer) integrationField(in *apigw.Integration, k string, v *node) {
	switch k {
	case "type":
		im.integrationType(in, v)
	case "httpMethod":
		s := strings.ToUpper(im.stringValue(v))
		if !integrationHTTPMethods[s] {
			im.fail(v, "", "integration httpMethod %q is not an HTTP method", "use GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS or ANY", v.text)
		}
		in.HTTPMethod = s
	case "uri":
		in.URI = im.stringValue(v)
	case "connectionType":
		in.ConnectionType = strings.ToUpper(im.stringValue(v))
		if in.ConnectionType != "INTERNET" && in.ConnectionType != "VPC_LINK" {
			im.fail(v, "", "connectionType %q is not INTERNET or VPC_LINK", "use INTERNET or VPC_LINK", v.text)
		}
	case "connectionId":
		in.ConnectionID = im.stringValue(v)
	case "credentials":
		in.Credentials = im.stringValue(v)
	case "requestParameters":
		in.RequestParameters, in.RequestParameterOrder = im.stringMap(v)
	case "requestTemplates":
		in.RequestTemplates, _ = im.stringMap(v)
	case "passthroughBehavior":
		im.passthrough(in, v)
	case "contentHandling":
		in.ContentHandling = im.contentHandling(v)
	case "timeoutInMillis":
		im.timeout(in, v)
	case "cacheNamespace":
		in.CacheNamespace = im.stringValue(v)
	case "cacheKeyParameters":
		in.CacheKeyParameters = im.stringList(v)
	case "responses":
		im.integrationResponses(in, v)
	case "tlsConfig":
		in.TLSConfig = &apigw.TLSConfig{InsecureSkipVerification: v.get("insecureSkipVerification").isTrue()}
	case "integrationSubtype", "payloadFormatVersion":
		im.warn(v, "", "integration key %s applies to HTTP APIs only; a REST API ignores it", httpAPIOnlyExtensionFix, k)
		in.Extra = putRaw(in.Extra, k, v)
	default:
		im.warn(v, "", "unknown integration key %q is ignored", "check the spelling against x-amazon-apigateway-integration's keys; the value is kept and exported", k)
		in.Extra = putRaw(in.Extra, k, v)
	}
}

func (im *importer) integrationType(in *apigw.Integration, v *node) {
	s, _ := v.str()
	t, ok := integrationTypes[strings.ToUpper(s)]
	if !ok {
		im.fail(v, "", "unknown integration type %q", "use one of mock, http, http_proxy, aws, aws_proxy", v.text)
		return
	}
	in.Type = t
}

func (im *importer) passthrough(in *apigw.Integration, v *node) {
	s, _ := v.scalar()
	p, ok := passthroughBehaviors[strings.ToUpper(s)]
	if !ok {
		im.fail(v, "", "passthroughBehavior %q is not when_no_match, when_no_templates or never", "use when_no_match (the default), when_no_templates or never", s)
		return
	}
	in.PassthroughBehavior = p
}

func (im *importer) contentHandling(v *node) string {
	s, _ := v.scalar()
	up := strings.ToUpper(s)
	if up != "CONVERT_TO_BINARY" && up != "CONVERT_TO_TEXT" {
		im.fail(v, "", "contentHandling %q is not CONVERT_TO_BINARY or CONVERT_TO_TEXT", "use CONVERT_TO_BINARY or CONVERT_TO_TEXT, or remove it to pass bodies through", s)
		return ""
	}
	return up
}

func (im *importer) timeout(in *apigw.Integration, v *node) {
	s, _ := v.scalar()
	ms, err := strconv.Atoi(s)
	switch {
	case err != nil || ms < minTimeoutInMillis:
		im.fail(v, "", "timeoutInMillis %q is not an integer of at least 50", "use a timeout between 50 and 29000 milliseconds", s)
		return
	case ms > apigw.DefaultTimeoutInMillis:
		im.warn(v, "", "timeoutInMillis %d is above 29000; AWS allows it only for Regional APIs after a quota increase", "use at most 29000 unless the quota was raised", ms)
	}
	in.TimeoutInMillis = ms
}

// checkIntegration validates what needs the whole integration.
func (im *importer) checkIntegration(in *apigw.Integration, n *node, m *apigw.Method) {
	if n.get("type") == nil {
		im.fail(n, "type", "the integration has no type", "set type: mock, http, http_proxy, aws or aws_proxy")
	}
	if in.Type != "" && in.Type != apigw.IntegrationMock {
		if in.HTTPMethod == "" {
			im.fail(n, "httpMethod", "a %s integration needs httpMethod", "set httpMethod to the method the backend expects (POST for Lambda)", strings.ToLower(string(in.Type)))
		}
		if in.URI == "" && n.get("uri") == nil {
			im.fail(n, "uri", "a %s integration needs a uri", "set uri to the backend URL (http/http_proxy) or the AWS service ARN (aws/aws_proxy)", strings.ToLower(string(in.Type)))
		}
	}
	if (in.Type == apigw.IntegrationHTTP || in.Type == apigw.IntegrationHTTPProxy) && in.URI != "" && !strings.Contains(in.URI, "${") {
		if u, err := url.Parse(in.URI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			im.fail(n.get("uri"), "", "integration uri %q is not an absolute http(s) URL", "write the full backend URL, e.g. https://backend.example.com/pets", in.URI)
		}
	}
	im.checkRequestParameters(in, n.get("requestParameters"), m)
}

var (
	integrationRequestTarget = regexp.MustCompile(`^integration\.request\.(header|querystring|path)\.[^.\s]+$`)
	methodRequestSource      = regexp.MustCompile(`^method\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.(.+)$`)
	otherRequestSource       = regexp.MustCompile(`^('.*'|method\.request\.body(\..+)?|stageVariables\.\S+|context\.\S+)$`)
)

// checkRequestParameters validates integration request parameter mappings
// and that each method.request.* source is declared by the method.
func (im *importer) checkRequestParameters(in *apigw.Integration, n *node, m *apigw.Method) {
	for _, k := range in.RequestParameterOrder {
		v := n.get(k)
		val := in.RequestParameters[k]
		if !integrationRequestTarget.MatchString(k) {
			im.fail(v, "", "request parameter %q is not integration.request.{header|querystring|path}.NAME", "map e.g. integration.request.header.X-Id", k)
			continue
		}
		if in.Type == apigw.IntegrationAWSProxy || strings.Contains(val, "${") {
			continue
		}
		sm := methodRequestSource.FindStringSubmatch(val)
		switch {
		case sm != nil:
			im.checkDeclared(v, m, sm[1], sm[2], val)
		case !otherRequestSource.MatchString(val):
			im.fail(v, "", "invalid mapping expression %q for %s", "use method.request.{path|querystring|header}.NAME, method.request.body, 'literal', stageVariables.NAME or context.NAME", val, k)
		}
	}
}

// checkDeclared requires that a mapped method.request parameter is declared.
func (im *importer) checkDeclared(v *node, m *apigw.Method, loc, name, expr string) {
	switch loc {
	case "multivalueheader":
		loc = "header"
	case "multivaluequerystring":
		loc = "querystring"
	}
	key := "method.request." + loc + "." + name
	if _, ok := m.RequestParameters[key]; ok {
		return
	}
	in := map[string]string{"path": "path", "querystring": "query", "header": "header"}[loc]
	im.fail(v, "", "invalid mapping expression parameter %s: the method does not declare it", "add a parameter {name: "+name+", in: "+in+"} to the operation", expr)
}

// integrationResponses reads the responses of an integration, in order.
func (im *importer) integrationResponses(in *apigw.Integration, n *node) {
	if n.kind != kMap {
		im.fail(n, "", "integration responses are %s, not an object", "map selection patterns (or default) to {statusCode: ...}", kindName(n))
		return
	}
	for i, key := range n.keys {
		if r := im.integrationResponse(key, n.kids[i]); r != nil {
			in.IntegrationResponses = append(in.IntegrationResponses, r)
		}
	}
}

func (im *importer) integrationResponse(key string, n *node) *apigw.IntegrationResponse {
	if n.kind != kMap {
		im.fail(n, "", "integration response %q is %s, not an object", "write {statusCode: \"200\"}", key, kindName(n))
		return nil
	}
	r := &apigw.IntegrationResponse{Key: key}
	if key != "default" {
		r.SelectionPattern = key
		im.checkSelectionPattern(key, n)
	}
	for i, k := range n.keys {
		v := n.kids[i]
		switch k {
		case "statusCode":
			r.StatusCode = im.statusCode(v)
		case "responseParameters":
			r.ResponseParameters, r.ResponseParameterOrder = im.stringMap(v)
		case "responseTemplates":
			r.ResponseTemplates, _ = im.stringMap(v)
		case "contentHandling":
			r.ContentHandling = im.contentHandling(v)
		default:
			im.warn(v, "", "unknown integration response key %q is ignored", "use statusCode, responseParameters, responseTemplates or contentHandling", k)
		}
	}
	if n.get("statusCode") == nil {
		im.fail(n, "statusCode", "integration response %q has no statusCode", "set statusCode to the method response status, e.g. \"200\"", key)
	}
	im.checkResponseParameters(r, n.get("responseParameters"))
	return r
}

// statusCode reads an HTTP status code given as a string or a number.
func (im *importer) statusCode(v *node) string {
	s, _ := v.scalar()
	if !statusCodePattern.MatchString(s) {
		im.fail(v, "", "status code %q is not an HTTP status between 100 and 599", "write a three-digit status such as \"200\"", v.text)
		return ""
	}
	return s
}

// javaOnlyRegex spots constructs Java's regex engine (which AWS runs)
// accepts and Go's RE2 does not.
var javaOnlyRegex = regexp.MustCompile(`\(\?[=!<>]|\\[1-9]|[*+?}][+]|\\[pP]\{Is|\\[zZGQE]`)

// checkSelectionPattern validates a selection pattern as a regex. Patterns
// that only Java accepts load with a warning (AWS runs them).
func (im *importer) checkSelectionPattern(p string, n *node) {
	if _, err := regexp.Compile(p); err == nil {
		return
	}
	if javaOnlyRegex.MatchString(p) {
		im.warn(n, "", "selection pattern %q uses regex syntax Archway cannot run (lookaround, backreference or possessive quantifier); it never matches here", "rewrite the pattern without lookaround, backreferences or possessive quantifiers", p)
		return
	}
	_, err := regexp.Compile(p)
	im.fail(n, "", "selection pattern %q is not a valid regular expression: %s", "fix the regex; remember that JSON needs \\\\ for one backslash", p, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
}

var (
	methodResponseTarget  = regexp.MustCompile(`^method\.response\.header\.[^.\s]+$`)
	integrationRespSource = regexp.MustCompile(`^('.*'|integration\.response\.(header|multivalueheader)\.\S+|integration\.response\.body(\..+)?|stageVariables\.\S+|context\.\S+)$`)
)

func (im *importer) checkResponseParameters(r *apigw.IntegrationResponse, n *node) {
	for _, k := range r.ResponseParameterOrder {
		v := n.get(k)
		val := r.ResponseParameters[k]
		switch {
		case !methodResponseTarget.MatchString(k):
			im.fail(v, "", "response parameter %q is not method.response.header.NAME", "map e.g. method.response.header.Access-Control-Allow-Origin", k)
		case !integrationRespSource.MatchString(val) && !strings.Contains(val, "${"):
			im.fail(v, "", "invalid mapping expression %q for %s", "use 'literal', integration.response.header.NAME, integration.response.body(.path), stageVariables.NAME or context.NAME", val, k)
		}
	}
}

// checkMethodResponses warns about integration responses that name a status
// or header the method does not declare (AWS accepts these definitions).
func (im *importer) checkMethodResponses(m *apigw.Method, n *node) {
	if m.Integration == nil || n == nil {
		return
	}
	rs := n.get(extIntegration).get("responses")
	for _, r := range m.Integration.IntegrationResponses {
		mr := m.MethodResponses[r.StatusCode]
		rn := rs.get(r.Key)
		if mr == nil {
			if r.StatusCode != "" {
				im.warn(rn, "", "integration response %q maps to status %s, which the method does not declare", "add a "+r.StatusCode+" entry to the operation's responses", r.Key, r.StatusCode)
			}
			continue
		}
		for _, p := range r.ResponseParameterOrder {
			if _, ok := mr.ResponseParameters[p]; methodResponseTarget.MatchString(p) && !ok {
				im.warn(rn.get("responseParameters").get(p), "", "%s is not declared as a header of the %s method response", "add the header to responses."+r.StatusCode+".headers", p, r.StatusCode)
			}
		}
	}
}
