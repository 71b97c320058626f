package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorsDir is ../shared/conformance beside the repository.
var vectorsDir = filepath.Join("..", "..", "..", "shared", "conformance")

// requiredKinds must each have passing vectors: the foundation serves them.
var requiredKinds = []string{
	"routing", "error-response", "error-response+execution-log", "integration-response",
	"gateway-response-default", "gateway-response-crud", "gateway-response-inheritance", "integration-http", "integration-headers",
	"vtl", "vtl-util", "vtl-pipeline", "param-mapping",
}

func TestConformanceVectors(t *testing.T) {
	if _, err := os.Stat(vectorsDir); err != nil {
		t.Fatalf("conformance vectors not found at %s (CI lays shared/ beside the repository): %v", vectorsDir, err)
	}
	var out bytes.Buffer
	sum, err := RunDirs(context.Background(), []string{vectorsDir}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	disagree, err := documentedDisagreements(behaviourDoc)
	if err != nil {
		t.Fatal(err)
	}
	passedByKind := map[string]int{}
	for _, r := range sum.Results {
		_, documented := disagree[r.ID]
		delete(disagree, r.ID)
		switch {
		case r.Outcome == Fail && documented:
			t.Logf("%s %s fails as documented in %s (Vectors that disagree): %s", r.File, r.ID, behaviourDoc, r.Reason)
		case r.Outcome == Fail:
			t.Errorf("%s %s (%s): %s", r.File, r.ID, r.Kind, r.Reason)
		case documented:
			t.Errorf("%s %s is listed under Vectors that disagree in %s but did not fail (%s): update the document", r.File, r.ID, behaviourDoc, r.Outcome)
		}
		if r.Outcome == Pass {
			passedByKind[r.Kind]++
		}
	}
	for id := range disagree {
		t.Errorf("%s lists %s under Vectors that disagree, but no such vector ran", behaviourDoc, id)
	}
	for _, k := range requiredKinds {
		if passedByKind[k] == 0 {
			t.Errorf("no %s vector passed: the runner must serve this kind", k)
		}
	}
}

// behaviourDoc documents, under "## Vectors that disagree", each vector whose
// expectation contradicts a higher authority, one "### `id`" heading each.
var behaviourDoc = filepath.Join("..", "..", "docs", "aws-behaviour.md")

// documentedDisagreements returns the vector ids listed under "## Vectors
// that disagree" in the document at path.
func documentedDisagreements(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the documented disagreements: %w", err)
	}
	ids := map[string]bool{}
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			in = strings.TrimSpace(line) == "## Vectors that disagree"
		case in && strings.HasPrefix(line, "### `") && strings.HasSuffix(strings.TrimSpace(line), "`"):
			ids[strings.Trim(strings.TrimSpace(line[4:]), "`")] = true
		}
	}
	return ids, nil
}

func TestDocumentedDisagreements(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "doc.md")
	text := "## Other\n### `not-this`\n## Vectors that disagree\nWhy.\n### `vec-a`\ntext\n### `vec-b`\n## After\n### `nor-this`\n"
	if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := documentedDisagreements(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"vec-a": true, "vec-b": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("documentedDisagreements = %v, want %v", got, want)
	}
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		name             string
		expected, actual []string
		want             bool
	}{
		{"literal", []string{"abc"}, []string{"abc"}, true},
		{"literal differs", []string{"abc"}, []string{"abd"}, false},
		{"placeholder", []string{"AmazonAPIGateway_<id:1>"}, []string{"AmazonAPIGateway_x1"}, true},
		{"same placeholder same value", []string{"<id:1>", "<id:1>"}, []string{"a", "a"}, true},
		{"same placeholder other value", []string{"<id:1>", "<id:1>"}, []string{"a", "b"}, false},
		{"unnumbered placeholders are free", []string{"<Date>", "<Date>"}, []string{"a", "b"}, true},
		{"timestamp", []string{"DDD MMM dd hh:mm:ss UTC yyyy : x"}, []string{"Wed Nov 25 16:48:45 UTC 2026 : x"}, true},
		{"bad timestamp", []string{"DDD MMM dd hh:mm:ss UTC yyyy : x"}, []string{"yesterday : x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMatcher()
			got := true
			for i := range tc.expected {
				got = got && m.match(tc.expected[i], tc.actual[i])
			}
			if got != tc.want {
				t.Fatalf("match = %v, want %v", got, tc.want)
			}
		})
	}
}
