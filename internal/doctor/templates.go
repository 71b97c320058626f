package doctor

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ohler55/ojg/jp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/mapping"
	"github.com/archway-gw/archway/internal/vtl"
)

// template is one mapping template of a method's integration.
type template struct {
	name        string // e.g. "request template application/json"
	src         string
	pos         apigw.Pos
	node        *docNode
	request     bool
	contentType string
}

// eachTemplate calls f for the request templates and then the integration
// response templates, in a stable order.
func (mc *methodCheck) eachTemplate(f func(template)) {
	in := mc.m.Integration
	for _, ct := range sortedKeys(in.RequestTemplates) {
		keys := []string{integ, "requestTemplates", ct}
		f(template{name: "request template " + ct, src: in.RequestTemplates[ct], request: true, contentType: ct,
			pos: mc.pos(keys), node: mc.node(keys...)})
	}
	for _, ir := range in.IntegrationResponses {
		for _, ct := range sortedKeys(ir.ResponseTemplates) {
			keys := []string{integ, "responses", ir.Key, "responseTemplates", ct}
			f(template{name: fmt.Sprintf("response template %s of integration response %q", ct, ir.Key), src: ir.ResponseTemplates[ct], contentType: ct,
				pos: mc.pos(keys), node: mc.node(keys...)})
		}
	}
}

// usesTemplates reports whether the gateway applies the integration's
// templates: proxy integrations pass requests and responses through.
func usesTemplates(t apigw.IntegrationType) bool {
	return t != apigw.IntegrationHTTPProxy && t != apigw.IntegrationAWSProxy
}

// checkTemplates parses every template and checks the JSONPaths of request
// templates against the method's request model.
func (mc *methodCheck) checkTemplates() {
	if !usesTemplates(mc.m.Integration.Type) {
		return
	}
	mc.eachTemplate(func(t template) {
		if !strings.ContainsAny(t.src, "$#") {
			return // plain text: served as it is
		}
		if _, err := vtl.Parse(t.name, t.src); err != nil {
			at := ""
			pos := t.pos
			var pe *vtl.ParseError
			if errors.As(err, &pe) {
				at = fmt.Sprintf(" at template line %d:%d: %s", pe.Line, pe.Col, pe.Msg)
				if p, ok := t.node.inBlock(mc.lines, pe.Line, pe.Col); ok {
					pos = p
				}
			} else {
				at = ": " + err.Error()
			}
			which := "a request with this content type"
			if !t.request {
				which = "a response selected by this integration response"
			}
			mc.add(Finding{Check: "template-parse", Severity: Error, Pos: pos, Object: mc.object() + ", " + t.name,
				What:  "the template does not parse" + at + "; " + which + " fails",
				AWS:   mc.answer(diag.TemplateError, mc.stages[0].Name),
				Cause: diag.TemplateError,
				Fix:   "fix the template at that line and column (docs: ../shared/reference/vtl-subset.md lists what AWS's Velocity accepts)"})
			return
		}
		if t.request {
			mc.checkTemplateModel(t)
		}
	})
}

// inputPathCall matches $input.path('...') and $input.json("...") with a
// literal path; paths built at run time cannot be checked statically.
var inputPathCall = regexp.MustCompile(`\$!?\{?input\.(path|json)\(\s*(?:'([^']*)'|"([^"]*)")\s*\)`)

// vtlComment matches ## line comments and #* block comments *#.
var vtlComment = regexp.MustCompile(`(?s)#\*.*?\*#|##[^\n]*`)

// pathRef is a literal JSONPath a template reads, with its template line:col.
type pathRef struct {
	fn, path  string
	line, col int
}

// templatePaths lists the literal $input.path/$input.json paths of src,
// ignoring comments.
func templatePaths(src string) []pathRef {
	blanked := vtlComment.ReplaceAllStringFunc(src, func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '\n' {
				return r
			}
			return ' '
		}, s)
	})
	var out []pathRef
	for _, m := range inputPathCall.FindAllStringSubmatchIndex(blanked, -1) {
		fn := blanked[m[2]:m[3]]
		path := ""
		if m[4] >= 0 {
			path = blanked[m[4]:m[5]]
		} else {
			path = blanked[m[6]:m[7]]
			if strings.ContainsAny(path[min(1, len(path)):], "$#") {
				continue // Velocity interpolates double-quoted strings: a path built at run time
			}
		}
		line := strings.Count(blanked[:m[0]], "\n") + 1
		col := m[0] - strings.LastIndexByte(blanked[:m[0]], '\n')
		out = append(out, pathRef{fn: fn, path: path, line: line, col: col})
	}
	return out
}

// checkTemplateModel walks each literal path of a request template against
// the JSON schema of the method's request model for the template's
// content type.
func (mc *methodCheck) checkTemplateModel(t template) {
	modelName := mc.m.RequestModels[t.contentType]
	model := mc.api.Models[modelName]
	if model == nil || model.Schema == "" {
		return
	}
	var root any
	if err := json.Unmarshal([]byte(model.Schema), &root); err != nil {
		return // the import reports schemas that are not JSON
	}
	w := &schemaWalker{api: mc.api}
	for _, ref := range templatePaths(t.src) {
		missing, under, ok := w.walk(root, ref.path)
		if ok || missing == "" {
			continue
		}
		pos := t.pos
		if p, ok := t.node.inBlock(mc.lines, ref.line, ref.col); ok {
			pos = p
		}
		mc.add(Finding{Check: "template-model", Severity: Warning, Pos: pos, Object: mc.object() + ", " + t.name,
			What: fmt.Sprintf("$input.%s('%s') at template line %d:%d reads %s, which model %s does not declare under %s: a body valid for the model never has it",
				ref.fn, ref.path, ref.line, ref.col, missing, modelName, under),
			AWS: noError("$input." + ref.fn + " yields nothing and the template renders an empty value"),
			Fix: fmt.Sprintf("correct the path in the template, or add %s to model %s", missing, modelName)})
	}
}

// schemaWalker follows JSONPaths through draft-04 schemas.
type schemaWalker struct {
	api *apigw.RestAPI
}

// walk follows path through schema. ok is true when the path exists or
// cannot be judged statically (wildcards, filters, a schema that says
// nothing); otherwise missing names the first step the schema lacks and
// under the path it is missing from.
func (w *schemaWalker) walk(schema any, path string) (missing, under string, ok bool) {
	x, err := jp.ParseString(mapping.NormalizePath(path))
	if err != nil {
		return "", "", true // the template check at run time reports bad paths
	}
	cur := []any{schema}
	doc := schema
	at := "$"
	for _, frag := range x {
		switch f := frag.(type) {
		case jp.Root, jp.At, jp.Bracket:
			continue
		case jp.Child:
			next, verdict := w.property(doc, cur, string(f))
			switch verdict {
			case unknown:
				return "", "", true
			case absent:
				return fmt.Sprintf("property %q", string(f)), at, false
			}
			cur = next
			at += "." + string(f)
		case jp.Nth:
			next, verdict := w.item(doc, cur, int(f))
			switch verdict {
			case unknown:
				return "", "", true
			case absent:
				return fmt.Sprintf("item [%d]", int(f)), at, false
			}
			cur = next
			at += fmt.Sprintf("[%d]", int(f))
		default:
			return "", "", true // wildcards, descents, filters, slices
		}
	}
	return "", "", true
}

type verdict int

const (
	found verdict = iota
	absent
	unknown
)

// expand resolves $ref and flattens allOf/anyOf/oneOf into the schemas a
// value may be validated against.
func (w *schemaWalker) expand(doc any, schemas []any) []map[string]any {
	var out []map[string]any
	budget := 1000 // self-referencing allOf/$ref would otherwise branch without end
	var visit func(s any, depth int)
	visit = func(s any, depth int) {
		m, ok := s.(map[string]any)
		budget--
		if !ok || depth > 32 || budget < 0 {
			return
		}
		if ref, ok := m["$ref"].(string); ok {
			visit(w.resolve(doc, ref), depth+1)
			return
		}
		out = append(out, m)
		for _, k := range []string{"allOf", "anyOf", "oneOf"} {
			if list, ok := m[k].([]any); ok {
				for _, s := range list {
					visit(s, depth+1)
				}
			}
		}
	}
	for _, s := range schemas {
		visit(s, 0)
	}
	return out
}

// resolve follows a $ref: another model of the API
// (https://apigateway.amazonaws.com/restapis/{id}/models/NAME, as the
// importer stores references) or a pointer into the same schema.
func (w *schemaWalker) resolve(doc any, ref string) any {
	if _, name, ok := strings.Cut(ref, "/models/"); ok {
		if w.api == nil {
			return nil
		}
		if m := w.api.Models[name]; m != nil {
			var s any
			if json.Unmarshal([]byte(m.Schema), &s) == nil {
				return s
			}
		}
		return nil
	}
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[tok]
	}
	return cur
}

// property finds the schemas of property name.
func (w *schemaWalker) property(doc any, cur []any, name string) ([]any, verdict) {
	var next []any
	declares := false
	for _, s := range w.expand(doc, cur) {
		if t, ok := s["type"].(string); ok && t != "object" {
			declares = true // a string or array has no properties
		}
		if props, ok := s["properties"].(map[string]any); ok {
			declares = true
			if p, ok := props[name]; ok {
				next = append(next, p)
			}
		}
		if pp, ok := s["patternProperties"].(map[string]any); ok {
			for pat, p := range pp {
				if re, err := regexp.Compile(pat); err == nil && re.MatchString(name) {
					next = append(next, p)
				}
			}
		}
		switch ap := s["additionalProperties"].(type) {
		case map[string]any:
			next = append(next, ap)
		case bool:
			declares = declares || !ap
		}
	}
	if len(next) > 0 {
		return next, found
	}
	if declares {
		return nil, absent
	}
	return nil, unknown
}

// item finds the schemas of array item i.
func (w *schemaWalker) item(doc any, cur []any, i int) ([]any, verdict) {
	var next []any
	declares := false
	for _, s := range w.expand(doc, cur) {
		if t, ok := s["type"].(string); ok && t != "array" {
			declares = true
		}
		switch it := s["items"].(type) {
		case map[string]any:
			next = append(next, it)
		case []any:
			declares = true
			if i >= 0 && i < len(it) {
				next = append(next, it[i])
			}
		}
	}
	if len(next) > 0 {
		return next, found
	}
	if declares {
		return nil, absent
	}
	return nil, unknown
}
