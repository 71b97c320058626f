package openapi

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// Model references inside schemas are kept in the form AWS's GetModel
// returns them, independent of the source format:
// https://apigateway.amazonaws.com/restapis/{api-id}/models/{name}.
// Export turns them back into #/definitions/{name} or #/components/schemas/{name}.
const (
	swaggerRefPrefix = "#/definitions/"
	oas3RefPrefix    = "#/components/schemas/"
	awsRefHost       = "https://apigateway.amazonaws.com/restapis/"
	modelContentType = "application/json"
)

// ModelRef is the reference to model name of API apiID as the model's
// schemas hold it (the form AWS's GetModel returns).
func ModelRef(apiID, name string) string {
	return awsRefHost + apiID + "/models/" + name
}

// modelNameFromRef returns the model name an AWS-form reference points at.
func modelNameFromRef(ref string) (string, bool) {
	if !strings.HasPrefix(ref, awsRefHost) {
		return "", false
	}
	rest := ref[len(awsRefHost):]
	i := strings.Index(rest, "/models/")
	if i < 0 {
		return "", false
	}
	return rest[i+len("/models/"):], true
}

// sourceRefPrefix is the local schema reference prefix of the source format.
func (im *importer) sourceRefPrefix() string {
	if im.oas3 {
		return oas3RefPrefix
	}
	return swaggerRefPrefix
}

// models reads definitions (Swagger) or components.schemas (OpenAPI 3).
func (im *importer) models() {
	n := im.root.get("definitions")
	if im.oas3 {
		n = im.root.lookup("/components/schemas")
	}
	if n == nil {
		return
	}
	if n.kind != kMap {
		im.fail(n, "", "schemas are %s, not an object", "map model names to JSON schemas", kindName(n))
		return
	}
	for i, name := range n.keys {
		if !isAlphanumeric(name) {
			im.warn(n.kids[i], "", "model name %q is not alphanumeric; API Gateway requires alphanumeric model names", "rename the schema to letters and digits only (and update its $refs)", name)
		}
		im.addModel(name, n.kids[i])
	}
}

func isAlphanumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// addModel stores a schema as a model, references rewritten to AWS form.
func (im *importer) addModel(name string, schema *node) {
	if im.api.Models == nil {
		im.api.Models = map[string]*apigw.Model{}
	}
	if _, dup := im.api.Models[name]; !dup {
		im.api.ModelOrder = append(im.api.ModelOrder, name)
	}
	im.api.Models[name] = &apigw.Model{Name: name, ContentType: modelContentType, Schema: im.neutralSchemaText(schema)}
}

// neutralSchemaText renders a schema as compact JSON with references in AWS form.
func (im *importer) neutralSchemaText(schema *node) string {
	c := schema.clone()
	im.rewriteRefs(c)
	return string(encodeJSON(c, ""))
}

// rewriteRefs turns local schema references into AWS form, in place.
func (im *importer) rewriteRefs(n *node) {
	rewriteRefs(n, func(ref string) string {
		if name, ok := strings.CutPrefix(ref, im.sourceRefPrefix()); ok && !strings.Contains(name, "/") {
			return ModelRef(im.api.ID, unescapePointer(name))
		}
		return ref
	})
}

// rewriteRefs applies f to every "$ref" string under n.
func rewriteRefs(n *node, f func(string) string) {
	if n == nil {
		return
	}
	for i, kid := range n.kids {
		if n.kind == kMap && n.keys[i] == "$ref" && kid.kind == kStr {
			kid.text = f(kid.text)
			continue
		}
		rewriteRefs(kid, f)
	}
}

// schemaModel returns the model a body or response schema stands for: the
// referenced model, or a model AWS-style named MODEL<hash> for an inline
// schema. It returns "" (after a diagnostic) when there is none.
func (im *importer) schemaModel(schema *node) string {
	if schema == nil || schema.kind == kNull {
		return ""
	}
	if schema.kind != kMap {
		im.warn(schema, "", "schema is %s, not an object; no model is attached", "write a JSON schema object or a $ref", kindName(schema))
		return ""
	}
	if ref, ok := schema.get("$ref").str(); ok && len(schema.keys) == 1 {
		name, local := strings.CutPrefix(ref, im.sourceRefPrefix())
		name = unescapePointer(name)
		if !local || strings.Contains(name, "/") {
			im.warn(schema.get("$ref"), "", "schema reference %q does not name a local model; no model is attached", "refer to "+im.sourceRefPrefix()+"NAME", ref)
			return ""
		}
		if _, ok := im.api.Models[name]; !ok {
			im.warn(schema.get("$ref"), "", "model %q is not defined; API Gateway ignores the reference", "define it under "+strings.TrimSuffix(strings.TrimPrefix(im.sourceRefPrefix(), "#/"), "/"), name)
			return ""
		}
		return name
	}
	text := im.neutralSchemaText(schema)
	sum := sha256.Sum256([]byte(text))
	name := "MODEL" + hex.EncodeToString(sum[:3])
	if _, ok := im.api.Models[name]; !ok {
		im.addModel(name, schema)
	}
	return name
}
