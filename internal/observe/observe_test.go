package observe

import (
	"testing"

	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

func TestTee(t *testing.T) {
	var calls []string
	fn := func(name string) RecordFunc {
		return func(*pipeline.Exchange, *rt.Stage) { calls = append(calls, name) }
	}
	for _, c := range []struct {
		name  string
		fns   []RecordFunc
		want  []string
		isNil bool
	}{
		{"none", nil, nil, true},
		{"only nils", []RecordFunc{nil, nil}, nil, true},
		{"one among nils", []RecordFunc{nil, fn("a"), nil}, []string{"a"}, false},
		{"several, in order", []RecordFunc{fn("a"), nil, fn("b"), fn("c")}, []string{"a", "b", "c"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls = nil
			got := Tee(c.fns...)
			if (got == nil) != c.isNil {
				t.Fatalf("Tee returned nil=%v, want %v", got == nil, c.isNil)
			}
			if got == nil {
				return
			}
			got(&pipeline.Exchange{}, nil)
			if len(calls) != len(c.want) {
				t.Fatalf("calls %v, want %v", calls, c.want)
			}
			for i := range calls {
				if calls[i] != c.want[i] {
					t.Fatalf("calls %v, want %v", calls, c.want)
				}
			}
		})
	}
}
