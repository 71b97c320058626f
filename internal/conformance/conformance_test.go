package conformance

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// vectorsDir is ../shared/conformance beside the repository.
var vectorsDir = filepath.Join("..", "..", "..", "shared", "conformance")

// requiredKinds must each have passing vectors: the foundation serves them.
var requiredKinds = []string{
	"routing", "error-response", "error-response+execution-log", "integration-response",
	"gateway-response-default", "gateway-response-crud", "gateway-response-inheritance", "integration-http", "integration-headers",
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
	passedByKind := map[string]int{}
	for _, r := range sum.Results {
		if r.Outcome == Fail {
			t.Errorf("%s %s (%s): %s", r.File, r.ID, r.Kind, r.Reason)
		}
		if r.Outcome == Pass {
			passedByKind[r.Kind]++
		}
	}
	for _, k := range requiredKinds {
		if passedByKind[k] == 0 {
			t.Errorf("no %s vector passed: the runner must serve this kind", k)
		}
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
