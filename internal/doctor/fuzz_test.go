package doctor

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzIndexBytes feeds arbitrary documents to the position index: it must
// never panic, and every key it lists must be reachable.
func FuzzIndexBytes(f *testing.F) {
	f.Add([]byte("paths:\n  /a:\n    get: {x: 1}\n"))
	f.Add([]byte(`{"paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"uri": "http://h"}}}}}`))
	f.Add([]byte("a: &x {b: 1}\nc: *x\nd: {<<: *x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := indexBytes("f.yaml", data)
		if err != nil {
			return
		}
		for _, k := range root.keys {
			if root.get(k) == nil {
				t.Fatalf("key %q listed but not reachable", k)
			}
		}
	})
}

// FuzzTemplatePaths checks that every reported path comes from the
// template text at the reported line.
func FuzzTemplatePaths(f *testing.F) {
	f.Add("$input.path('$.a')\n#* $input.json('$.b') *#\n$input.json(\"$.c[0]\")")
	f.Add("## $input.path('$.x')\n${input.path('$.y')}")
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Split(src, "\n")
		for _, r := range templatePaths(src) {
			if r.line < 1 || r.line > len(lines) || !strings.Contains(src, r.path) {
				t.Fatalf("path %+v not in the template", r)
			}
		}
	})
}

// FuzzExpandStageVars checks that expansion leaves no reference to a
// defined variable behind.
func FuzzExpandStageVars(f *testing.F) {
	f.Add("http://${stageVariables.host}/${stageVariables.v}", "host")
	f.Add("${stageVariables.}${stageVariables", "x")
	f.Fuzz(func(t *testing.T, s, name string) {
		if strings.ContainsAny(name, "}$") {
			return
		}
		out, missing := expandStageVars(s, map[string]string{name: "V"})
		for _, m := range missing {
			if m == name {
				t.Fatalf("defined variable %q reported missing", name)
			}
		}
		if strings.Count(out, "${stageVariables."+name+"}") > strings.Count(s, "${stageVariables."+name+"}") {
			t.Fatalf("expansion added references: %q", out)
		}
	})
}

// FuzzSchemaWalk walks arbitrary JSONPaths through arbitrary schemas.
func FuzzSchemaWalk(f *testing.F) {
	f.Add(`{"type":"object","properties":{"a":{"type":"array","items":{"$ref":"#/definitions/b"}}},"definitions":{"b":{"properties":{"c":{}}}}}`, "$.a[0].c")
	f.Add(`{"allOf":[{"$ref":"#"}]}`, "$.x.y")
	f.Add(`{"allOf":[{"$ref":"#"},{"$ref":"#"},{"$ref":"#"}]}`, "$.a.b.c.d")
	f.Fuzz(func(t *testing.T, schema, path string) {
		var s any
		if json.Unmarshal([]byte(schema), &s) != nil {
			return
		}
		w := &schemaWalker{}
		w.walk(s, path)
	})
}
