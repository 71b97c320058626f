package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// referenceDir holds the shared sample definitions; CI clones the repo with
// shared/ beside it.
const referenceDir = "../../../shared/reference/openapi"

var referenceFiles = []string{
	"aws-petstore.swagger.json",
	"aws-petstore.exported-by-aws.oas30.json",
	"aws-docs-request-validation.swagger.json",
}

// readReference reads a shared sample definition.
func readReference(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(referenceDir, name))
	if err != nil {
		t.Fatalf("read reference file (is ../shared beside the repo?): %v", err)
	}
	return data
}

// golden compares got with testdata/path, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	path = filepath.Join("testdata", path)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got; run with -update to accept):\n%s", path, d)
	}
}

// diagLines renders diagnostics one per line, with their pointers.
func diagLines(diags []Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s\n    at %q\n", d, d.Pointer)
	}
	return b.String()
}

// positions lists where each resource, method and integration was read from.
func positions(api *apigw.RestAPI) []string {
	out := []string{"api " + api.Source.String()}
	for _, r := range api.Resources {
		out = append(out, "resource "+r.Path+" "+r.Source.String())
		for _, k := range sortedKeys(r.Methods) {
			m := r.Methods[k]
			out = append(out, "method "+k+" "+r.Path+" "+m.Source.String())
			if m.Integration != nil {
				out = append(out, "integration "+k+" "+r.Path+" "+m.Integration.Source.String())
			}
		}
	}
	return out
}

// importGolden is what the import golden files hold.
type importGolden struct {
	API         *apigw.RestAPI `json:"api"`
	Positions   []string       `json:"positions"`
	Diagnostics []string       `json:"diagnostics"`
}

func TestImportReference(t *testing.T) {
	for _, name := range referenceFiles {
		t.Run(name, func(t *testing.T) {
			api, diags, err := Import(name, readReference(t, name), Options{})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if HasErrors(diags) {
				t.Errorf("AWS accepts this file, but import reported errors:\n%s", diagLines(diags))
			}
			g := importGolden{API: api, Positions: positions(api)}
			for _, d := range diags {
				g.Diagnostics = append(g.Diagnostics, d.String())
			}
			out, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("import", strings.TrimSuffix(name, ".json")+".golden.json"), append(out, '\n'))
		})
	}
}

func TestImportDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		file string
		vars map[string]string
	}{
		{name: "json syntax error", file: "syntax-error.json"},
		{name: "yaml syntax error", file: "syntax-error.yaml"},
		{name: "not an OpenAPI document", file: "not-openapi.yaml"},
		{name: "unsupported openapi version", file: "old-openapi.yaml"},
		{name: "broken integrations", file: "integration.yaml"},
		{name: "API-level extensions", file: "extensions.yaml"},
		{name: "paths, parameters and placeholders", file: "paths.yaml", vars: map[string]string{"unused": "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "diag", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, diags, err := Import(tc.file, data, Options{Vars: tc.vars})
			got := diagLines(diags)
			if err != nil {
				got = "error: " + err.Error() + "\n"
			}
			golden(t, filepath.Join("diag", tc.file+".golden"), []byte(got))
		})
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
		file string
	}{
		{name: "json", data: "{\n  \"a\": 1,,\n}", want: "f.json:2:"},
		{name: "yaml", data: "a: [1,\nb: 2\n", want: "f.json:1:"},
		{name: "empty", data: "", want: "f.json:1:1: not valid JSON"},
		{name: "alias bomb", data: aliasBomb, want: "f.yaml:1:", file: "f.yaml"},
		{name: "empty yaml", data: "# nothing\n", want: "f.yaml:1:1: empty document", file: "f.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "f.json"
			}
			_, _, err := Import(file, []byte(tc.data), Options{})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if !strings.HasPrefix(se.Error(), tc.want) {
				t.Errorf("err = %q, want prefix %q", se.Error(), tc.want)
			}
		})
	}
}

// aliasBomb expands to 10^8 values if aliases are followed without a limit.
const aliasBomb = `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
`

func TestVars(t *testing.T) {
	const doc = `{"swagger": "2.0", "info": {"title": "V", "version": "1"}, "paths": {"/p": {"get": {
  "responses": {"200": {"description": "ok"}},
  "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET",
    "uri": "${uri}/p/${stageVariables.x}",
    "requestTemplates": {"application/json": "${uri}"}}}}}}`
	tests := []struct {
		name     string
		vars     map[string]string
		wantURI  string
		warnings int
	}{
		{name: "filled", vars: map[string]string{"uri": "http://b.example"}, wantURI: "http://b.example/p/${stageVariables.x}"},
		{name: "unfilled", wantURI: "${uri}/p/${stageVariables.x}", warnings: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, diags, err := Import("v.json", []byte(doc), Options{Vars: tc.vars})
			if err != nil {
				t.Fatal(err)
			}
			in := api.Resources[0].Methods["GET"].Integration
			if in.URI != tc.wantURI {
				t.Errorf("uri = %q, want %q", in.URI, tc.wantURI)
			}
			if got := in.RequestTemplates["application/json"]; got != "${uri}" {
				t.Errorf("template = %q, want it untouched", got)
			}
			n := 0
			for _, d := range diags {
				if strings.Contains(d.Message, "placeholder") {
					n++
					if d.Pos.String() != "v.json:4:12" {
						t.Errorf("placeholder warning at %s, want v.json:4:12", d.Pos)
					}
				}
			}
			if n != tc.warnings {
				t.Errorf("%d placeholder warnings, want %d:\n%s", n, tc.warnings, diagLines(diags))
			}
		})
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		name string
		d    Diagnostic
		want string
	}{
		{
			name: "with fix",
			d:    Diagnostic{Pos: apigw.Pos{File: "a.yaml", Line: 3, Col: 7}, Severity: Error, Message: "bad", Fix: "do this"},
			want: "a.yaml:3:7: error: bad; fix: do this",
		},
		{
			name: "without fix",
			d:    Diagnostic{Pos: apigw.Pos{File: "a.yaml", Line: 1, Col: 1}, Severity: Warning, Message: "meh"},
			want: "a.yaml:1:1: warning: meh",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestYAMLMatchesJSON(t *testing.T) {
	const yamlDoc = `
openapi: 3.0.1
info: {title: Same, version: "1"}
paths:
  /a:
    get:
      parameters:
        - {name: q, in: query, required: true}
      responses:
        200:
          description: ok
      x-amazon-apigateway-integration: &mock
        type: MOCK
        requestTemplates:
          application/json: |
            {"statusCode": 200}
        responses:
          default: {statusCode: 200}
  /b:
    x-amazon-apigateway-any-method:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: *mock
`
	const jsonDoc = `{"openapi": "3.0.1", "info": {"title": "Same", "version": "1"}, "paths": {
 "/a": {"get": {"parameters": [{"name": "q", "in": "query", "required": true}],
   "responses": {"200": {"description": "ok"}},
   "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}\n"},
     "responses": {"default": {"statusCode": "200"}}}}},
 "/b": {"x-amazon-apigateway-any-method": {"responses": {"200": {"description": "ok"}},
   "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}\n"},
     "responses": {"default": {"statusCode": "200"}}}}}}}`
	fromYAML, d1, err := Import("a.yaml", []byte(yamlDoc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, d2, err := Import("a.json", []byte(jsonDoc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if HasErrors(d1) || HasErrors(d2) {
		t.Fatalf("unexpected errors:\n%s%s", diagLines(d1), diagLines(d2))
	}
	if d := cmp.Diff(fromJSON, fromYAML, ignoreSource); d != "" {
		t.Errorf("YAML and JSON import differ (-json +yaml):\n%s", d)
	}
	if fromYAML.Resources[1].Methods["ANY"] == nil {
		t.Errorf("x-amazon-apigateway-any-method did not become ANY")
	}
}

// ignoreSource drops positions, which differ between two files by nature.
var ignoreSource = cmp.Options{
	cmpopts.IgnoreFields(apigw.RestAPI{}, "Source"),
	cmpopts.IgnoreFields(apigw.Resource{}, "Source"),
	cmpopts.IgnoreFields(apigw.Method{}, "Source"),
	cmpopts.IgnoreFields(apigw.Integration{}, "Source"),
}

var exporters = []struct {
	name string
	ext  string
	fn   func(*apigw.RestAPI) ([]byte, error)
}{
	{name: "oas30", ext: ".oas30.json", fn: ExportOAS30},
	{name: "swagger2", ext: ".swagger2.json", fn: ExportSwagger2},
}

// roundTripFiles are definitions exercising what the reference files do not
// (authorizers, IAM, API keys, every API-level extension, $ref components).
var roundTripFiles = []string{"features.yaml"}

func TestRoundTrip(t *testing.T) {
	sources := map[string]func(t testing.TB) []byte{}
	for _, name := range referenceFiles {
		sources[name] = func(t testing.TB) []byte { return readReference(t, name) }
	}
	for _, name := range roundTripFiles {
		sources[name] = func(t testing.TB) []byte {
			data, err := os.ReadFile(filepath.Join("testdata", "roundtrip", name))
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	for _, name := range append(referenceFiles, roundTripFiles...) {
		for _, ex := range exporters {
			t.Run(name+"/"+ex.name, func(t *testing.T) {
				first, diags, err := Import(name, sources[name](t), Options{})
				if err != nil || HasErrors(diags) {
					t.Fatalf("Import: %v\n%s", err, diagLines(diags))
				}
				out, err := ex.fn(first)
				if err != nil {
					t.Fatalf("export: %v", err)
				}
				golden(t, filepath.Join("export", strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".yaml")+ex.ext), out)
				second, diags, err := Import("exported"+ex.ext, out, Options{})
				if err != nil || HasErrors(diags) {
					t.Fatalf("re-import: %v\n%s", err, diagLines(diags))
				}
				if d := cmp.Diff(first, second, ignoreSource); d != "" {
					t.Errorf("import → export → import changed the model (-first +second):\n%s", d)
				}
				again, err := ex.fn(second)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, again) {
					t.Errorf("second export differs from the first:\n%s", cmp.Diff(string(out), string(again)))
				}
			})
		}
	}
}

// TestExportMatchesAWS exports the imported PetStore sample as OpenAPI 3 and
// compares it with what AWS itself exported for the same import.
//
// The comparison is structural (JSON values, key order ignored) and leaves
// out on purpose:
//   - servers: AWS writes its invoke host and the stage name as the
//     {basePath} default; Archway writes a local host and the base path. Only
//     the shape (one server whose URL ends in /{basePath}) is compared.
//   - info.version: AWS writes the date of the import ("date" in the
//     recording); the sample sets none, so Archway writes none.
//   - tags, summary and description inside paths, and
//     x-amazon-apigateway-documentation: AWS keeps these as documentation
//     parts, which GetExport leaves out unless documentation is published;
//     Archway keeps them inline so that round trips are lossless.
//
// The integration URIs are compared exactly: the sample's ${uri} placeholder
// is filled with the URI AWS shows for /pets, which also makes
// ${uri}/{petId} match AWS's /pets/{petId} URI.
func TestExportMatchesAWS(t *testing.T) {
	vars := map[string]string{"uri": "http://petstore.execute-api.<region>.amazonaws.com/petstore/pets"}
	api, diags, err := Import("petstore", readReference(t, "aws-petstore.swagger.json"), Options{Vars: vars})
	if err != nil || HasErrors(diags) {
		t.Fatalf("Import: %v\n%s", err, diagLines(diags))
	}
	out, err := ExportOAS30(api)
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(readReference(t, "aws-petstore.exported-by-aws.oas30.json"), &want); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]map[string]any{"archway": got, "aws": want} {
		checkServerShape(t, name, doc)
		delete(doc, "servers")
		delete(doc, "x-amazon-apigateway-documentation")
		delete(doc["info"].(map[string]any), "version")
		stripDocumentation(doc["paths"])
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("export differs from AWS's (-aws +archway):\n%s", d)
	}
}

func checkServerShape(t *testing.T, name string, doc map[string]any) {
	t.Helper()
	servers, _ := doc["servers"].([]any)
	if len(servers) != 1 {
		t.Fatalf("%s: servers = %v, want one entry", name, doc["servers"])
	}
	srv := servers[0].(map[string]any)
	if url, _ := srv["url"].(string); !strings.HasSuffix(url, "/{basePath}") {
		t.Errorf("%s: server url %q does not end in /{basePath}", name, url)
	}
	if _, ok := srv["variables"].(map[string]any)["basePath"].(map[string]any)["default"]; !ok {
		t.Errorf("%s: server has no basePath default", name)
	}
}

// stripDocumentation removes the keys AWS keeps as documentation parts.
func stripDocumentation(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "tags")
		delete(x, "summary")
		delete(x, "description")
		for _, kid := range x {
			stripDocumentation(kid)
		}
	case []any:
		for _, kid := range x {
			stripDocumentation(kid)
		}
	}
}

func TestStableIDs(t *testing.T) {
	a, _, err := Import("a", readReference(t, "aws-petstore.swagger.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Import("b", readReference(t, "aws-petstore.exported-by-aws.oas30.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || len(a.ID) != 10 {
		t.Errorf("API ids %q and %q: want one 10-character id for the same title", a.ID, b.ID)
	}
	ids := map[string]string{}
	for _, r := range a.Resources {
		if other, dup := ids[r.ID]; dup {
			t.Errorf("resources %s and %s share id %s", r.Path, other, r.ID)
		}
		ids[r.ID] = r.Path
	}
}

func FuzzImport(f *testing.F) {
	for _, name := range referenceFiles {
		f.Add(readReference(f, name))
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "diag", "*.*"))
	for _, s := range seeds {
		if strings.HasSuffix(s, ".golden") {
			continue
		}
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		api, diags, err := Import("fuzz", data, Options{Vars: map[string]string{"uri": "http://backend.example"}})
		if err != nil {
			return
		}
		for _, d := range diags {
			if d.Pos.Line <= 0 {
				t.Errorf("diagnostic without a line: %s", d)
			}
		}
		if api == nil {
			return
		}
		for _, ex := range exporters {
			out, err := ex.fn(api)
			if err != nil {
				t.Fatalf("%s export: %v", ex.name, err)
			}
			if _, _, err := Import("re", out, Options{}); err != nil {
				t.Fatalf("%s export is not readable: %v\n%s", ex.name, err, out)
			}
		}
	})
}
