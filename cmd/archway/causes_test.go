package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCausesDocInSync keeps docs/causes.md equal to the catalog it documents.
// Regenerate with: go run ./cmd/archway causes > docs/causes.md
func TestCausesDocInSync(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "docs", "causes.md"))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	writeCauses(&got)
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("docs/causes.md is stale; run `go run ./cmd/archway causes > docs/causes.md` (-doc +catalog):\n%s", diff)
	}
}
