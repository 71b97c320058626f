package openapi

import (
	"sort"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// methodOrder is the order operations are written in; ANY goes last as
// x-amazon-apigateway-any-method.
var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "ANY"}

// docFirstKeys are Extra keys written before the interpreted ones, in the
// order OpenAPI documents usually have them.
var docFirstKeys = []string{"tags", "summary", "description", "externalDocs"}

func (e *exporter) paths() *node {
	out := newMap()
	for _, r := range e.api.Resources {
		if r == nil {
			continue
		}
		out.set(r.Path, e.resource(r))
	}
	return out
}

func (e *exporter) resource(r *apigw.Resource) *node {
	item := newMap()
	for _, k := range e.methodKeys(r) {
		name := strings.ToLower(k)
		if k == "ANY" {
			name = extAnyMethod
		}
		item.set(name, e.method(r.Methods[k]))
	}
	for _, k := range sortedKeys(r.Extra) {
		item.set(k, e.raw(r.Extra[k]))
	}
	return item
}

// methodKeys lists a resource's methods in methodOrder, then others sorted.
func (e *exporter) methodKeys(r *apigw.Resource) []string {
	var keys []string
	for _, k := range orderedMapKeys(r.Methods, methodOrder) {
		if r.Methods[k] != nil {
			keys = append(keys, k)
		}
	}
	return keys
}

func (e *exporter) method(m *apigw.Method) *node {
	op := newMap()
	for _, k := range docFirstKeys {
		if raw, ok := m.Extra[k]; ok {
			op.set(k, e.raw(raw))
		}
	}
	if m.OperationName != "" {
		op.set("operationId", strNode(m.OperationName))
	}
	if !e.oas3 {
		e.swaggerMediaTypes(op, m)
	}
	op.set("parameters", e.parameters(m))
	if e.oas3 {
		op.set("requestBody", e.requestBody(m))
	}
	op.set("responses", e.responses(m))
	op.set("security", e.security(m))
	for _, k := range sortedKeys(m.Extra) {
		if op.get(k) == nil {
			op.set(k, e.raw(m.Extra[k]))
		}
	}
	if m.RequestValidatorID != "" {
		op.set(extRequestValidator, strNode(m.RequestValidatorID))
	}
	if m.Integration != nil {
		op.set(extIntegration, e.integration(m.Integration))
	}
	return op
}

// swaggerMediaTypes writes consumes/produces from the request and response
// models' content types, as AWS's Swagger export does.
func (e *exporter) swaggerMediaTypes(op *node, m *apigw.Method) {
	if cts := sortedKeys(m.RequestModels); len(cts) > 0 {
		op.set("consumes", stringSeq(cts))
	}
	produces := map[string]bool{}
	for _, mr := range m.MethodResponses {
		if mr == nil {
			continue
		}
		for ct := range mr.ResponseModels {
			produces[ct] = true
		}
	}
	if len(produces) > 0 {
		op.set("produces", stringSeq(sortedKeys(produces)))
	}
}

// parameters writes method request parameters, in order, and the Swagger
// body parameter.
func (e *exporter) parameters(m *apigw.Method) *node {
	list := newSeq()
	for _, key := range orderedMapKeys(m.RequestParameters, m.RequestParameterOrder) {
		if p := e.parameter(m, key); p != nil {
			list.add(p)
		}
	}
	if !e.oas3 {
		if body := e.swaggerBody(m); body != nil {
			list.add(body)
		}
	}
	if len(list.kids) == 0 {
		return nil
	}
	return list
}

var paramIn = map[string]string{"path": "path", "querystring": "query", "header": "header"}

func (e *exporter) parameter(m *apigw.Method, key string) *node {
	rest, ok := strings.CutPrefix(key, "method.request.")
	if !ok {
		return nil
	}
	loc, name, ok := strings.Cut(rest, ".")
	in := paramIn[loc]
	if !ok || in == "" {
		return nil
	}
	p := newMap()
	p.set("name", strNode(name))
	p.set("in", strNode(in))
	doc := newMap()
	if raw, ok := m.ParameterDocs[key]; ok {
		doc = e.raw(raw)
	}
	if d := doc.get("description"); d != nil {
		p.set("description", d)
		doc.del("description")
	}
	if m.RequestParameters[key] {
		p.set("required", boolNode(true))
	}
	e.appendDoc(p, doc)
	return p
}

// appendDoc adds a format-neutral parameter/header doc to n: as is for
// OpenAPI 3, with schema keys flattened for Swagger 2.0. Without a doc the
// type is string, as AWS writes it.
func (e *exporter) appendDoc(n, doc *node) {
	if doc.get("schema") == nil && doc.get("content") == nil {
		s := newMap()
		s.set("type", strNode("string"))
		doc.set("schema", s)
	}
	for i, k := range doc.keys {
		if k == "schema" && !e.oas3 {
			for j, sk := range doc.kids[i].keys {
				n.set(sk, doc.kids[i].kids[j])
			}
			continue
		}
		n.set(k, doc.kids[i])
	}
}

// bodyModel picks the model a Swagger body or response schema refers to:
// application/json's, else the first content type's.
func bodyModel(models map[string]string) string {
	if m, ok := models["application/json"]; ok {
		return m
	}
	cts := sortedKeys(models)
	if len(cts) == 0 {
		return ""
	}
	return models[cts[0]]
}

func (e *exporter) modelRef(name string) *node {
	s := newMap()
	prefix := swaggerRefPrefix
	if e.oas3 {
		prefix = oas3RefPrefix
	}
	s.set("$ref", strNode(prefix+escapePointer(name)))
	return s
}

func (e *exporter) swaggerBody(m *apigw.Method) *node {
	model := bodyModel(m.RequestModels)
	if model == "" && m.RequestBodyDoc == nil {
		return nil
	}
	p := newMap()
	p.set("in", strNode("body"))
	name := model
	if name == "" {
		name = "body"
	}
	p.set("name", strNode(name))
	if m.RequestBodyDoc != nil {
		doc := e.raw(m.RequestBodyDoc)
		for i, k := range doc.keys {
			p.set(k, doc.kids[i])
		}
	}
	if model != "" {
		p.set("schema", e.modelRef(model))
	}
	return p
}

func (e *exporter) requestBody(m *apigw.Method) *node {
	if len(m.RequestModels) == 0 && m.RequestBodyDoc == nil {
		return nil
	}
	rb := newMap()
	content := newMap()
	for _, ct := range sortedKeys(m.RequestModels) {
		mt := newMap()
		mt.set("schema", e.modelRef(m.RequestModels[ct]))
		content.set(ct, mt)
	}
	if m.RequestBodyDoc != nil {
		doc := e.raw(m.RequestBodyDoc)
		if d := doc.get("description"); d != nil {
			rb.set("description", d)
			doc.del("description")
		}
		rb.set("content", content)
		for i, k := range doc.keys {
			rb.set(k, doc.kids[i])
		}
		return rb
	}
	rb.set("content", content)
	return rb
}

func (e *exporter) responses(m *apigw.Method) *node {
	out := newMap()
	codes := sortedKeys(m.MethodResponses)
	sort.Strings(codes)
	for _, code := range codes {
		if mr := m.MethodResponses[code]; mr != nil {
			out.set(code, e.response(code, mr))
		}
	}
	return out
}

func (e *exporter) response(code string, mr *apigw.MethodResponse) *node {
	r := newMap()
	desc := mr.Description
	if desc == "" {
		desc = code + " response"
	}
	r.set("description", strNode(desc))
	if !e.oas3 {
		if model := bodyModel(mr.ResponseModels); model != "" {
			r.set("schema", e.modelRef(model))
		}
	}
	r.set("headers", e.headers(mr))
	if e.oas3 {
		content := newMap()
		for _, ct := range sortedKeys(mr.ResponseModels) {
			mt := newMap()
			mt.set("schema", e.modelRef(mr.ResponseModels[ct]))
			content.set(ct, mt)
		}
		r.set("content", content)
	}
	return r
}

func (e *exporter) headers(mr *apigw.MethodResponse) *node {
	out := newMap()
	for _, key := range orderedMapKeys(mr.ResponseParameters, mr.ResponseParameterOrder) {
		name, ok := strings.CutPrefix(key, "method.response.header.")
		if !ok {
			continue
		}
		h := newMap()
		doc := newMap()
		if raw, ok := mr.HeaderDocs[name]; ok {
			doc = e.raw(raw)
		}
		if d := doc.get("description"); d != nil {
			h.set("description", d)
			doc.del("description")
		}
		if mr.ResponseParameters[key] {
			h.set("required", boolNode(true))
		}
		e.appendDoc(h, doc)
		out.set(name, h)
	}
	if len(out.keys) == 0 {
		return nil
	}
	return out
}

// security writes the method's security requirement.
func (e *exporter) security(m *apigw.Method) *node {
	req := newMap()
	switch {
	case m.AuthorizerID != "":
		req.set(m.AuthorizerID, stringSeq(orEmpty(m.AuthorizationScopes)))
	case m.AuthorizationType == "AWS_IAM":
		req.set(e.sigv4Scheme, newSeq())
	}
	if m.APIKeyRequired {
		req.set(e.apiKeyScheme, newSeq())
	}
	if len(req.keys) == 0 {
		return nil
	}
	list := newSeq()
	list.add(req)
	return list
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// integration writes x-amazon-apigateway-integration in AWS's key order.
func (e *exporter) integration(in *apigw.Integration) *node {
	n := newMap()
	if in.Type != "" {
		n.set("type", strNode(strings.ToLower(string(in.Type))))
	}
	e.optString(n, "httpMethod", in.HTTPMethod)
	e.optString(n, "uri", in.URI)
	e.optString(n, "connectionType", in.ConnectionType)
	e.optString(n, "connectionId", in.ConnectionID)
	e.optString(n, "credentials", in.Credentials)
	n.set("responses", e.integrationResponses(in))
	if in.RequestParameters != nil {
		n.set("requestParameters", stringMapNode(in.RequestParameters, in.RequestParameterOrder))
	}
	if in.RequestTemplates != nil {
		n.set("requestTemplates", stringMapNode(in.RequestTemplates, nil))
	}
	e.optString(n, "passthroughBehavior", strings.ToLower(string(in.PassthroughBehavior)))
	e.optString(n, "contentHandling", in.ContentHandling)
	if in.TimeoutInMillis != 0 {
		n.set("timeoutInMillis", intNode(in.TimeoutInMillis))
	}
	e.optString(n, "cacheNamespace", in.CacheNamespace)
	if in.CacheKeyParameters != nil {
		n.set("cacheKeyParameters", stringSeq(in.CacheKeyParameters))
	}
	if in.TLSConfig != nil {
		tls := newMap()
		tls.set("insecureSkipVerification", boolNode(in.TLSConfig.InsecureSkipVerification))
		n.set("tlsConfig", tls)
	}
	for _, k := range sortedKeys(in.Extra) {
		n.set(k, e.raw(in.Extra[k]))
	}
	return n
}

func (e *exporter) optString(n *node, key, v string) {
	if v != "" {
		n.set(key, strNode(v))
	}
}

func (e *exporter) integrationResponses(in *apigw.Integration) *node {
	if in.IntegrationResponses == nil {
		return nil
	}
	out := newMap()
	for _, r := range in.IntegrationResponses {
		if r == nil {
			continue
		}
		key := r.Key
		if key == "" {
			key = r.SelectionPattern
		}
		if key == "" {
			key = "default"
		}
		n := newMap()
		e.optString(n, "statusCode", r.StatusCode)
		if r.ResponseParameters != nil {
			n.set("responseParameters", stringMapNode(r.ResponseParameters, r.ResponseParameterOrder))
		}
		if r.ResponseTemplates != nil {
			n.set("responseTemplates", stringMapNode(r.ResponseTemplates, nil))
		}
		e.optString(n, "contentHandling", r.ContentHandling)
		out.set(key, n)
	}
	return out
}
