package mapping

import (
	"testing"

	"github.com/archway-gw/archway/internal/vtl"
)

// FuzzJSONPath checks that normalising, compiling and evaluating any path
// never panics.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$", "$.a-b", "$.a.b[0]", "$..x[1]", "$['a']", "$.*", "$[?(@.a == 1)]", "$.a-b.c-d[2]", "$..a-b", "a.b", "$[", "$.", "$.'x'"} {
		f.Add(s)
	}
	doc, err := vtl.ParseJSON(`{"a":{"b":[1,{"x":2}]},"a-b":{"c-d":[0,1,2]},"x":[3,4]}`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		_ = NormalizePath(path)
		cp, err := compilePath(path)
		if err != nil {
			return
		}
		_, _ = evalPath(cp, doc)
		if !cp.definite {
			return
		}
		// The allocation-free walk must agree with ojg wherever it answers.
		v, found, ok := walkDefinite(cp.x, doc)
		if !ok {
			return
		}
		res := cp.x.Get(doc)
		if found != (len(res) > 0) || (found && v != res[0]) {
			t.Fatalf("walkDefinite(%q) = %v, %v; ojg gives %v", path, v, found, res)
		}
	})
}
