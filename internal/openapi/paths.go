package openapi

import (
	"regexp"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// operationKeys maps path-item keys to API Gateway HTTP methods.
var operationKeys = map[string]string{
	"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE",
	"options": "OPTIONS", "head": "HEAD", "patch": "PATCH", extAnyMethod: "ANY",
}

// paths reads the paths object into resources, in definition order.
func (im *importer) paths(n *node) {
	if n == nil {
		im.warn(im.root, "paths", "the definition has no paths", "add paths with operations and x-amazon-apigateway-integration")
		return
	}
	if n.kind != kMap {
		im.fail(n, "", "paths is %s, not an object", "map resource paths such as /pets to operations", kindName(n))
		return
	}
	for i, p := range n.keys {
		im.resource(p, n.kids[i])
	}
}

var pathParamName = regexp.MustCompile(`^\{[A-Za-z0-9._-]+\+?\}$`)

// checkPath validates a resource path as API Gateway does.
func (im *importer) checkPath(p string, n *node) bool {
	if !strings.HasPrefix(p, "/") {
		im.fail(n, "", "resource path %q does not start with /", "write the full path, e.g. /pets/{petId}", p)
		return false
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		switch {
		case s == "" && p != "/":
			im.fail(n, "", "resource path %q has an empty segment", "remove the doubled or trailing /", p)
			return false
		case strings.ContainsAny(s, "{}") && !pathParamName.MatchString(s):
			im.fail(n, "", "path segment %q of %q is not a valid {parameter}", "a parameter takes a whole segment: {name} or {name+}", s, p)
			return false
		case strings.HasSuffix(s, "+}") && i != len(segs)-1:
			im.fail(n, "", "greedy parameter %s must be the last segment of %q", "move {name+} to the end of the path", s, p)
			return false
		}
	}
	return true
}

// resource reads one path item.
func (im *importer) resource(p string, n *node) {
	if !im.checkPath(p, n) {
		return
	}
	if n.kind != kMap {
		im.fail(n, "", "path item %q is %s, not an object", "map HTTP methods (get, post, ...) to operations", p, kindName(n))
		return
	}
	r := &apigw.Resource{ID: stableID("resource:"+p, 6), Path: p, Methods: map[string]*apigw.Method{}, Source: n.diagPos()}
	shared := n.get("parameters")
	for i, k := range n.keys {
		v := n.kids[i]
		if method, ok := operationKeys[k]; ok {
			if m := im.method(method, p, v, shared); m != nil {
				r.Methods[method] = m
			}
			continue
		}
		switch {
		case k == "parameters":
		case k == "$ref":
			im.warn(v, "", "path item $ref is not supported by API Gateway; the path has no methods from it", "write the operations inline")
			r.Extra = putRaw(r.Extra, k, v)
		case k == "trace":
			im.warn(v, "", "API Gateway does not support TRACE; the operation is ignored", "remove it, or serve TRACE through x-amazon-apigateway-any-method")
			r.Extra = putRaw(r.Extra, k, v)
		case isAWSExt(k):
			im.unknownExtension(v, k)
			r.Extra = putRaw(r.Extra, k, v)
		default:
			r.Extra = putRaw(r.Extra, k, v)
		}
	}
	im.api.Resources = append(im.api.Resources, r)
}

// methodKeys are operation keys import interprets.
var methodKeys = map[string]bool{
	"operationId": true, "parameters": true, "requestBody": true, "responses": true,
	"security": true, "consumes": true, "produces": true, "schemes": true,
	extIntegration: true, extRequestValidator: true,
}

// method reads one operation.
func (im *importer) method(httpMethod, path string, n, shared *node) *apigw.Method {
	if n.kind != kMap {
		im.fail(n, "", "operation %s is %s, not an object", "write the operation as an object with responses and x-amazon-apigateway-integration", httpMethod, kindName(n))
		return nil
	}
	m := &apigw.Method{HTTPMethod: httpMethod, AuthorizationType: "NONE", Source: n.diagPos()}
	m.OperationName, _ = n.get("operationId").scalar()
	im.parameters(m, n, shared)
	if rb := n.get("requestBody"); rb != nil && im.oas3 {
		im.requestBody(m, rb)
	}
	im.responses(m, n)
	if sec := n.get("security"); sec != nil {
		im.methodSecurity(m, sec)
	}
	if v := n.get(extRequestValidator); v != nil {
		m.RequestValidatorID = im.validatorRef(v)
	}
	if v := n.get(extIntegration); v != nil {
		m.Integration = im.integration(v, m)
		im.checkMethodResponses(m, n)
	} else {
		im.warn(n, "", "%s %s has no x-amazon-apigateway-integration; requests to it fail", "add an x-amazon-apigateway-integration (type: mock, http, http_proxy, aws or aws_proxy)", httpMethod, path)
	}
	im.methodExtra(m, n)
	return m
}

// methodExtra keeps the operation keys import does not interpret.
func (im *importer) methodExtra(m *apigw.Method, n *node) {
	for i, k := range n.keys {
		v := n.kids[i]
		if methodKeys[k] || (k == "requestBody" && !im.oas3) {
			continue
		}
		if isAWSExt(k) {
			im.unknownExtension(v, k)
		}
		m.Extra = putRaw(m.Extra, k, v)
	}
}

// resolve follows a local $ref (e.g. #/components/parameters/x), up to a
// few hops; it returns n itself when there is no $ref.
func (im *importer) resolve(n *node) *node {
	for hops := 0; hops < 8 && n != nil && n.kind == kMap; hops++ {
		ref, ok := n.get("$ref").str()
		if !ok {
			return n
		}
		target := (*node)(nil)
		if strings.HasPrefix(ref, "#") {
			target = im.root.lookup(ref[1:])
		}
		if target == nil {
			im.fail(n.get("$ref"), "", "reference %q cannot be resolved", "point $ref at an existing local definition (#/...)", ref)
			return nil
		}
		n = target
	}
	return n
}
