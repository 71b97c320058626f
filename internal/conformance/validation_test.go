package conformance

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestModelFromDescription(t *testing.T) {
	tests := []struct {
		desc, name, schema string
		ok                 bool
	}{
		{"testSchema (draft-04: object, properties a:number, b:number, required [a,b])", "testSchema",
			`{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"],"title":"testSchema","type":"object"}`, true},
		{"Empty (draft-04: object)", "Empty", `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Empty","type":"object"}`, true},
		{"Pet (draft-04: object, properties id:integer)", "Pet", `{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"id":{"type":"integer"}},"title":"Pet","type":"object"}`, true},
		{"testSchema (object with a and b)", "", "", false},
		{"testSchema (draft-04: object, properties a)", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			m, err := modelFromDescription(tc.desc)
			if (err == nil) != tc.ok {
				t.Fatalf("error %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			if diff := cmp.Diff([]string{tc.name, tc.schema}, []string{m.Name, m.Schema}); diff != "" {
				t.Errorf("model (-want +got):\n%s", diff)
			}
		})
	}
}
