package openapi

import (
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// importer holds the state of one Import.
type importer struct {
	file  string
	opts  Options
	root  *node
	diags []Diagnostic
	api   *apigw.RestAPI
	// oas3 is true for OpenAPI 3.x, false for Swagger 2.0.
	oas3 bool
	// consumes and produces are Swagger's document-level media types.
	consumes, produces []string
	// schemes are the declared security schemes.
	schemes map[string]schemeInfo
}

// run imports the whole document.
func (im *importer) run() *apigw.RestAPI {
	if !im.detectVersion() {
		return nil
	}
	im.fillVars(im.root, false)
	im.kinWarnings()
	title, _ := im.root.lookup("/info/title").str()
	id := stableID("restapi:"+title, 10)
	im.api = &apigw.RestAPI{ID: id, Name: title, Source: im.root.pos, Resources: []*apigw.Resource{}}
	im.info(im.root.get("info"))
	im.basePath()
	im.consumes = im.mediaTypes(im.root.get("consumes"))
	im.produces = im.mediaTypes(im.root.get("produces"))
	im.models()
	im.securitySchemes()
	im.apiExtensions()
	im.paths(im.root.get("paths"))
	im.topLevelExtra()
	return im.api
}

// detectVersion decides between Swagger 2.0 and OpenAPI 3.x.
func (im *importer) detectVersion() bool {
	if im.root.kind != kMap {
		im.fail(im.root, "", "the document is %s, not an OpenAPI object", "start the file with `openapi: 3.0.1` or `swagger: \"2.0\"` and the API's paths", kindName(im.root))
		return false
	}
	if v := im.root.get("openapi"); v != nil {
		s, _ := v.scalar()
		if strings.HasPrefix(s, "3.") {
			im.oas3 = true
			return true
		}
		im.fail(v, "", "openapi version %q is not supported", "use OpenAPI 3.0.x (or 3.1.x), or Swagger 2.0", s)
		return false
	}
	if v := im.root.get("swagger"); v != nil {
		if s, _ := v.scalar(); s == "2.0" {
			return true
		}
		im.fail(v, "", "swagger version %q is not supported", "use `swagger: \"2.0\"`", v.text)
		return false
	}
	im.fail(im.root, "", "neither `swagger: \"2.0\"` nor `openapi: 3.x` is set", "add `openapi: 3.0.1` (or `swagger: \"2.0\"`) at the top of the file")
	return false
}

// stableID derives a deterministic lower-case alphanumeric id of n characters.
func stableID(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	s := new(big.Int).SetBytes(sum[:]).Text(36)
	for len(s) < n {
		s = "0" + s
	}
	return s[:n]
}

// info reads title, description, version and keeps the rest raw.
func (im *importer) info(n *node) {
	if n == nil {
		im.warn(im.root, "info", "the definition has no info object", "add `info: {title: ..., version: ...}`; the title names the API")
		return
	}
	if n.kind != kMap {
		im.warn(n, "", "info is %s, not an object", "make info an object with title and version", kindName(n))
		return
	}
	if im.api.Name == "" {
		im.warn(n, "title", "info.title is missing; the API has no name", "set info.title")
	}
	for i, k := range n.keys {
		v := n.kids[i]
		switch k {
		case "title":
		case "description":
			im.api.Description = im.stringValue(v)
		case "version":
			im.api.Version, _ = v.scalar()
		default:
			im.api.InfoExtra = putRaw(im.api.InfoExtra, k, v)
		}
	}
}

// basePath reads Swagger's basePath or the path of the first OpenAPI 3 server.
func (im *importer) basePath() {
	if !im.oas3 {
		if s, ok := im.root.get("basePath").str(); ok {
			im.api.BasePath = normalizeBasePath(s)
		}
		return
	}
	srv := im.root.lookup("/servers/0")
	url, ok := srv.get("url").str()
	if !ok {
		return
	}
	for i, k := range srv.get("variables").keysOrNil() {
		def, _ := srv.get("variables").kids[i].get("default").scalar()
		url = strings.ReplaceAll(url, "{"+k+"}", def)
	}
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
		if j := strings.Index(url, "/"); j >= 0 {
			url = url[j:]
		} else {
			url = ""
		}
	}
	im.api.BasePath = normalizeBasePath(url)
}

// keysOrNil returns a map node's keys, nil for anything else.
func (n *node) keysOrNil() []string {
	if n == nil || n.kind != kMap {
		return nil
	}
	return n.keys
}

// normalizeBasePath makes "/v1/" and "v1" into "/v1" and "/" into "".
func normalizeBasePath(s string) string {
	s = strings.Trim(s, "/")
	if s == "" {
		return ""
	}
	return "/" + s
}

// mediaTypes reads a Swagger consumes/produces list.
func (im *importer) mediaTypes(n *node) []string {
	if n == nil {
		return nil
	}
	return im.stringList(n)
}

// stringList reads an array of strings, warning about other values.
func (im *importer) stringList(n *node) []string {
	if n == nil {
		return nil
	}
	if n.kind != kSeq {
		im.warn(n, "", "expected an array of strings, found %s; ignored", "write a list, e.g. [\"application/json\"]", kindName(n))
		return nil
	}
	out := []string{}
	for _, kid := range n.kids {
		s, ok := kid.scalar()
		if !ok {
			im.warn(kid, "", "expected a string, found %s; ignored", "write a string", kindName(kid))
			continue
		}
		out = append(out, s)
	}
	return out
}

// stringValue reads a scalar as a string, warning about other values.
func (im *importer) stringValue(n *node) string {
	if s, ok := n.scalar(); ok {
		return s
	}
	if n != nil && n.kind != kNull {
		im.warn(n, "", "expected a string, found %s; ignored", "write a string", kindName(n))
	}
	return ""
}

// putRaw stores n as compact JSON under key.
func putRaw(m map[string]json.RawMessage, key string, n *node) map[string]json.RawMessage {
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[key] = json.RawMessage(encodeJSON(n, ""))
	return m
}

// topLevelKeys are the document keys import interprets (or drops on purpose).
var topLevelKeys = map[string]bool{
	"swagger": true, "openapi": true, "info": true, "host": true, "basePath": true,
	"schemes": true, "consumes": true, "produces": true, "paths": true,
	"definitions": true, "parameters": true, "responses": true,
	"securityDefinitions": true, "components": true, "servers": true,
}

// topLevelExtra keeps uninterpreted top-level keys and warns about root security.
func (im *importer) topLevelExtra() {
	for i, k := range im.root.keys {
		v := im.root.kids[i]
		switch {
		case topLevelKeys[k] || isAWSExt(k):
		case k == "security":
			im.warn(v, "", "root-level security is ignored by API Gateway", "set `security` on each operation that needs it")
		default:
			im.api.Extra = putRaw(im.api.Extra, k, v)
		}
	}
}
