package mapping

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/vtl"
)

var update = flag.Bool("update", false, "rewrite the expected output of the golden files under testdata/templates")

// A golden file (testdata/templates/*.txtar) holds sections in txtar form,
// each opened by a line "-- name --":
//
//	template   the mapping template (required)
//	body       the body $input sees (optional; absent means empty)
//	params     one per line: "path NAME=VALUE", "query ...", "header ...",
//	           "stage ..." (stage variable) (optional)
//	output     the expected output (written by -update)
//	overrides  the overrides the template set, one per line (written by
//	           -update, only when there are some)
//
// A section's text ends with the newline before the next marker; that one
// newline is not part of the value, so values may end without one.

type goldenCase struct {
	order    []string
	sections map[string]string
}

func parseGolden(data string) (*goldenCase, error) {
	g := &goldenCase{sections: map[string]string{}}
	var name string
	var b strings.Builder
	flush := func() {
		if name != "" {
			g.sections[name] = strings.TrimSuffix(b.String(), "\n")
			g.order = append(g.order, name)
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			flush()
			name = trimmed[3 : len(trimmed)-3]
			if _, dup := g.sections[name]; dup {
				return nil, fmt.Errorf("section %q appears twice", name)
			}
			continue
		}
		if name == "" {
			if strings.TrimSpace(line) != "" {
				return nil, fmt.Errorf("text before the first section: %q", line)
			}
			continue
		}
		b.WriteString(line)
	}
	flush()
	if _, ok := g.sections["template"]; !ok {
		return nil, fmt.Errorf("no template section")
	}
	return g, nil
}

func (g *goldenCase) set(name, value string) {
	if _, ok := g.sections[name]; !ok {
		g.order = append(g.order, name)
	}
	g.sections[name] = value
}

func (g *goldenCase) remove(name string) {
	delete(g.sections, name)
	for i, n := range g.order {
		if n == name {
			g.order = append(g.order[:i], g.order[i+1:]...)
			break
		}
	}
}

func (g *goldenCase) format() string {
	var b strings.Builder
	for _, n := range g.order {
		b.WriteString("-- " + n + " --\n")
		b.WriteString(g.sections[n])
		b.WriteString("\n")
	}
	return b.String()
}

// input builds the template input of a golden case; the $context is fixed.
func (g *goldenCase) input() (*Input, error) {
	in := &Input{
		Body: []byte(g.sections["body"]),
		Context: &RequestContext{
			ResourcePath: "/pets/{petId}", HTTPMethod: "POST", Stage: "test", RequestID: "c0ffee00-0000-4000-8000-000000000001",
			APIID: "api123", AccountID: "111111111111", Path: "/test/pets/7", Protocol: "HTTP/1.1",
			Identity: Identity{SourceIP: "203.0.113.7", UserAgent: "golden/1.0"},
		},
	}
	for _, line := range strings.Split(g.sections["params"], "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		where, kv, _ := strings.Cut(line, " ")
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("params line %q: want WHERE NAME=VALUE", line)
		}
		p := Param{Name: k, Value: v}
		switch where {
		case "path":
			in.PathParams = append(in.PathParams, p)
		case "query":
			in.QueryParams = append(in.QueryParams, p)
		case "header":
			in.Headers = append(in.Headers, p)
		case "stage":
			in.StageVariables = append(in.StageVariables, p)
		default:
			return nil, fmt.Errorf("params line %q: WHERE is path, query, header or stage", line)
		}
	}
	return in, nil
}

// formatOverrides lists what a template set through $context.*Override.
func formatOverrides(ov *Overrides) string {
	if ov == nil {
		return ""
	}
	var lines []string
	add := func(section string, os []Override) {
		for _, o := range os {
			lines = append(lines, section+" "+o.Name+"="+strings.Join(o.Values, ","))
		}
	}
	add("request.header", ov.RequestHeader)
	add("request.path", ov.RequestPath)
	add("request.querystring", ov.RequestQuerystring)
	if ov.ResponseStatus != 0 {
		lines = append(lines, fmt.Sprintf("response.status %d", ov.ResponseStatus))
	}
	add("response.header", ov.ResponseHeader)
	return strings.Join(lines, "\n")
}

func TestGoldenTemplates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "templates", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("found %d golden files, want at least 12", len(files))
	}
	sort.Strings(files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			g, err := parseGolden(string(data))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			in, err := g.input()
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			tmpl, err := vtl.Parse(filepath.Base(file), g.sections["template"])
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			out, ov, err := Render(context.Background(), tmpl, in)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			ovText := formatOverrides(ov)
			if *update {
				g.set("output", out)
				if ovText != "" {
					g.set("overrides", ovText)
				} else {
					g.remove("overrides")
				}
				if err := os.WriteFile(file, []byte(g.format()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, ok := g.sections["output"]
			if !ok {
				t.Fatalf("%s has no output section; run go test -run TestGoldenTemplates -update", file)
			}
			if diff := cmp.Diff(want, out); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(g.sections["overrides"], ovText); diff != "" {
				t.Errorf("overrides (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseGolden(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
		err      bool
	}{
		{"sections", "-- template --\n$x\n-- output --\nA\n\n", map[string]string{"template": "$x", "output": "A\n"}, false},
		{"value without final newline at EOF", "-- template --\nT", map[string]string{"template": "T"}, false},
		{"missing template", "-- output --\nA\n", nil, true},
		{"text before the first section", "x\n-- template --\nT\n", nil, true},
		{"duplicate section", "-- template --\nA\n-- template --\nB\n", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := parseGolden(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, g.sections); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if again, err := parseGolden(g.format()); err != nil || !cmp.Equal(again.sections, g.sections) {
				t.Errorf("format does not round-trip: %v %v", err, again)
			}
		})
	}
}
