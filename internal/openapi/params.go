package openapi

import (
	"encoding/json"
	"regexp"

	"github.com/archway-gw/archway/internal/apigw"
)

// paramLocations maps OpenAPI `in` to the method.request.* location.
var paramLocations = map[string]string{"path": "path", "query": "querystring", "header": "header"}

// swaggerSchemaKeys are the keys of a Swagger 2.0 parameter or header that
// describe its type; OpenAPI 3 keeps them under `schema`.
var swaggerSchemaKeys = map[string]bool{
	"type": true, "format": true, "items": true, "default": true, "maximum": true,
	"exclusiveMaximum": true, "minimum": true, "exclusiveMinimum": true,
	"maxLength": true, "minLength": true, "pattern": true, "maxItems": true,
	"minItems": true, "uniqueItems": true, "enum": true, "multipleOf": true,
}

// parameters reads path-level and operation-level parameters, in order; an
// operation parameter replaces a path-level one with the same name and in.
func (im *importer) parameters(m *apigw.Method, op, shared *node) {
	var list []*node
	index := map[string]int{}
	for _, src := range []*node{shared, op.get("parameters")} {
		if src == nil {
			continue
		}
		if src.kind != kSeq {
			im.fail(src, "", "parameters is %s, not an array", "write a list of parameter objects", kindName(src))
			continue
		}
		for _, p := range src.kids {
			p = im.resolve(p)
			if p == nil || p.kind != kMap {
				continue
			}
			name, _ := p.get("name").scalar()
			in, _ := p.get("in").scalar()
			id := in + "\x00" + name
			if i, ok := index[id]; ok {
				list[i] = p
				continue
			}
			index[id] = len(list)
			list = append(list, p)
		}
	}
	for _, p := range list {
		im.parameter(m, op, p)
	}
}

func (im *importer) parameter(m *apigw.Method, op, p *node) {
	name, _ := p.get("name").scalar()
	in, _ := p.get("in").scalar()
	if in == "body" && !im.oas3 {
		im.swaggerBody(m, op, p)
		return
	}
	loc, ok := paramLocations[in]
	if !ok {
		im.warn(p, "", "parameter %q in %q is not supported by API Gateway and is ignored", "use a path, query or header parameter", name, in)
		return
	}
	if name == "" {
		im.fail(p, "name", "parameter has no name", "set name")
		return
	}
	key := "method.request." + loc + "." + name
	required := in == "path" || p.get("required").isTrue()
	if m.RequestParameters == nil {
		m.RequestParameters = map[string]bool{}
		m.ParameterDocs = map[string]json.RawMessage{}
	}
	if _, dup := m.RequestParameters[key]; !dup {
		m.RequestParameterOrder = append(m.RequestParameterOrder, key)
	}
	m.RequestParameters[key] = required
	doc := p.clone()
	doc.del("name")
	doc.del("in")
	doc.del("required")
	m.ParameterDocs[key] = im.docRaw(doc)
}

// docRaw turns a parameter or header (without name/in/required) into the
// format-neutral OpenAPI 3 form the model keeps: type keys under schema
// (string when none is given, as AWS assumes), references in AWS form, keys
// sorted.
func (im *importer) docRaw(doc *node) json.RawMessage {
	if !im.oas3 {
		doc = toOAS3Doc(doc)
	}
	if doc.get("schema") == nil && doc.get("content") == nil {
		s := newMap()
		s.put("type", strNode("string"))
		doc.put("schema", s)
	}
	im.rewriteRefs(doc)
	doc.sortKeys()
	return json.RawMessage(encodeJSON(doc, ""))
}

// toOAS3Doc moves Swagger 2.0 type keys under schema.
func toOAS3Doc(n *node) *node {
	out, schema := newMap(), newMap()
	for i, k := range n.keys {
		if swaggerSchemaKeys[k] {
			schema.put(k, n.kids[i])
		} else {
			out.put(k, n.kids[i])
		}
	}
	if len(schema.keys) > 0 {
		out.put("schema", schema)
	}
	return out
}

// contentTypes returns an operation's Swagger consumes/produces, falling
// back to the document's, then to application/json.
func (im *importer) contentTypes(op *node, key string, global []string) []string {
	if v := op.get(key); v != nil {
		if l := im.stringList(v); len(l) > 0 {
			return l
		}
	}
	if len(global) > 0 {
		return global
	}
	return []string{"application/json"}
}

// swaggerBody reads a Swagger 2.0 body parameter into request models.
func (im *importer) swaggerBody(m *apigw.Method, op, p *node) {
	if model := im.schemaModel(p.get("schema")); model != "" {
		m.RequestModels = map[string]string{}
		for _, ct := range im.contentTypes(op, "consumes", im.consumes) {
			m.RequestModels[ct] = model
		}
	}
	doc := p.clone()
	doc.del("name")
	doc.del("in")
	doc.del("schema")
	doc.sortKeys()
	m.RequestBodyDoc = encodeJSON(doc, "")
}

// requestBody reads an OpenAPI 3 requestBody into request models.
func (im *importer) requestBody(m *apigw.Method, rb *node) {
	rb = im.resolve(rb)
	if rb == nil || rb.kind != kMap {
		return
	}
	content := rb.get("content")
	for i, ct := range content.keysOrNil() {
		if model := im.schemaModel(content.kids[i].get("schema")); model != "" {
			if m.RequestModels == nil {
				m.RequestModels = map[string]string{}
			}
			m.RequestModels[ct] = model
		}
	}
	doc := rb.clone()
	doc.del("content")
	doc.sortKeys()
	m.RequestBodyDoc = encodeJSON(doc, "")
}

var statusCodePattern = regexp.MustCompile(`^[1-5][0-9][0-9]$`)

// responses reads an operation's responses into method responses.
func (im *importer) responses(m *apigw.Method, op *node) {
	rs := op.get("responses")
	if rs == nil {
		return
	}
	if rs.kind != kMap {
		im.fail(rs, "", "responses is %s, not an object", "map status codes to responses", kindName(rs))
		return
	}
	for i, code := range rs.keys {
		if !statusCodePattern.MatchString(code) {
			im.warn(rs.kids[i], "", "response %q is not a status code; API Gateway ignores it", "declare each status code (e.g. 200, 400) explicitly", code)
			continue
		}
		if r := im.resolve(rs.kids[i]); r != nil && r.kind == kMap {
			if m.MethodResponses == nil {
				m.MethodResponses = map[string]*apigw.MethodResponse{}
			}
			m.MethodResponses[code] = im.methodResponse(code, op, r)
		}
	}
}

func (im *importer) methodResponse(code string, op, r *node) *apigw.MethodResponse {
	mr := &apigw.MethodResponse{StatusCode: code}
	if d, _ := r.get("description").scalar(); d != code+" response" {
		// "NNN response" is what AWS writes when there is no description.
		mr.Description = d
	}
	headers := r.get("headers")
	for i, h := range headers.keysOrNil() {
		hn := im.resolve(headers.kids[i])
		if hn == nil || hn.kind != kMap {
			continue
		}
		key := "method.response.header." + h
		if mr.ResponseParameters == nil {
			mr.ResponseParameters = map[string]bool{}
			mr.HeaderDocs = map[string]json.RawMessage{}
		}
		if _, dup := mr.ResponseParameters[key]; !dup {
			mr.ResponseParameterOrder = append(mr.ResponseParameterOrder, key)
		}
		mr.ResponseParameters[key] = hn.get("required").isTrue()
		doc := hn.clone()
		doc.del("required")
		mr.HeaderDocs[h] = im.docRaw(doc)
	}
	im.responseModels(mr, op, r)
	return mr
}

func (im *importer) responseModels(mr *apigw.MethodResponse, op, r *node) {
	add := func(ct, model string) {
		if model == "" {
			return
		}
		if mr.ResponseModels == nil {
			mr.ResponseModels = map[string]string{}
		}
		mr.ResponseModels[ct] = model
	}
	if !im.oas3 {
		if model := im.schemaModel(r.get("schema")); model != "" {
			for _, ct := range im.contentTypes(op, "produces", im.produces) {
				add(ct, model)
			}
		}
		return
	}
	content := r.get("content")
	for i, ct := range content.keysOrNil() {
		add(ct, im.schemaModel(content.kids[i].get("schema")))
	}
}
