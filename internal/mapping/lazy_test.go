package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/archway-gw/archway/internal/vtl"
)

// TestOverridesCarriedWithoutContext checks that overrides set by an earlier
// template come back the same whether or not this template uses $context
// (which is built only on first use).
func TestOverridesCarriedWithoutContext(t *testing.T) {
	prev := &Overrides{
		RequestHeader:  []Override{{Name: "X-A", Values: []string{"1"}}, {Name: "X-M", Values: []string{"a", "b"}}},
		RequestPath:    []Override{{Name: "id", Values: []string{"7"}}},
		ResponseStatus: 404,
		ResponseHeader: []Override{{Name: "X-R", Values: []string{"r"}}},
	}
	tests := []struct {
		name, src string
		want      *Overrides
	}{
		{"no $context", `plain $input.body`, prev},
		{"$context read", `$context.stage $context.requestOverride.header.X-A`, prev},
		{"$context written", `#set($context.responseOverride.status = 201)`, &Overrides{
			RequestHeader: prev.RequestHeader, RequestPath: prev.RequestPath, ResponseStatus: 201, ResponseHeader: prev.ResponseHeader}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ov := renderInput(t, tc.src, &Input{Overrides: prev, Context: &RequestContext{Stage: "dev"}})
			if diff := cmp.Diff(tc.want, ov, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("overrides (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("nil overrides", func(t *testing.T) {
		_, ov := renderInput(t, `x`, &Input{})
		if diff := cmp.Diff(&Overrides{}, ov, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("overrides (-want +got):\n%s", diff)
		}
	})
}

// TestContextReadsBeforeAndAfterMaterializing checks that $context answers
// the same whether it has been built as a full map (keySet()) or not.
func TestContextReadsBeforeAndAfterMaterializing(t *testing.T) {
	extra := mapOf("xrayTraceId", "Root=1", "isCanaryRequest", "overridden")
	in := func() *Input {
		return &Input{Context: &RequestContext{
			Stage: "dev", RequestID: "r1", RequestTimeEpoch: 42, IsCanaryRequest: true,
			Identity:   Identity{SourceIP: "1.2.3.4", APIKey: "k"},
			Authorizer: mapOf("principalId", "me", "n", int64(3)),
			Error:      ErrorContext{Message: "boom"},
			Extra:      extra,
		}}
	}
	const reads = `$context.stage|$context.get('requestId')|$context.requestTimeEpoch|$context.identity.sourceIp|$context.identity.apiKey|` +
		`$context.authorizer.principalId|$context.authorizer.n|$context.error.message|$context.isCanaryRequest|$context.xrayTraceId|[$context.nope]|[$context]`
	lazy, _ := renderInput(t, reads, in())
	full, _ := renderInput(t, `#set($k = $context.keySet())`+reads, in())
	if lazy != full {
		t.Errorf("reads differ:\n lazy %q\n full %q", lazy, full)
	}
	if want := "dev|r1|42|1.2.3.4|k|me|3|boom|overridden|Root=1|[]|[]"; lazy != want {
		t.Errorf("reads = %q, want %q", lazy, want)
	}
	// An object handed out before the map is built is the one in the map.
	got, _ := renderInput(t, `#set($id = $context.identity)#set($k = $context.keySet())#set($id.sourceIp = "changed")$context.identity.sourceIp $k.size()`, in())
	if got != "changed 18" {
		t.Errorf("got %q, want %q", got, "changed 18")
	}
	// A #set on $context itself is seen afterwards.
	got, _ = renderInput(t, `#set($context.stage = "other")$context.stage`, in())
	if got != "other" {
		t.Errorf("got %q, want %q", got, "other")
	}
}

// TestWalkDefiniteAgreesWithOJG pins the allocation-free evaluation of
// definite paths to ojg's answers (FuzzJSONPath checks the same on any path).
func TestWalkDefiniteAgreesWithOJG(t *testing.T) {
	doc, err := vtl.ParseJSON(`{"a":{"b":[1,{"x":2}],"n":null,"s":"str"},"a-b":{"c-d":[0,1,2]},"x":[3,4]}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", "$", "@", "$.a", "$.a.b[1].x", "$.a.b[-1]", "$.a.b[-3]", "$.a.b[5]", "$.a.n", "$.a.n.x",
		"$.a.s.x", "$.a.b.x", "$['a-b']['c-d'][2]", "$.a-b.c-d[0]", "$.x[0].y", "$.missing", "$[0]"} {
		t.Run(path, func(t *testing.T) {
			cp, err := compilePath(path)
			if err != nil {
				t.Fatal(err)
			}
			if !cp.definite {
				t.Fatalf("%q is not definite", path)
			}
			res := cp.x.Get(doc)
			v, found := evalPath(cp, doc)
			if found != (len(res) > 0) || (found && vtl.JSON(v) != vtl.JSON(res[0])) {
				t.Errorf("evalPath(%q) = %v, %v; ojg gives %v", path, v, found, res)
			}
		})
	}
}

// TestConsecutiveDeepScansRejected keeps paths whose evaluation explodes
// (found by FuzzJSONPath) out, and the ordinary deep scans in.
func TestConsecutiveDeepScansRejected(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"$..a", true},
		{"$..*", true},
		{"$..[0]", true},
		{"$..a..b", true},
		{"$..", true},
		{"$....a", false},
		{"$" + strings.Repeat(".", 400), false},
		{strings.Repeat(".", 116), false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			_, err := CompileJSONPath(tc.path)
			if (err == nil) != tc.ok {
				t.Fatalf("CompileJSONPath(%q) err = %v, want ok %v", tc.path, err, tc.ok)
			}
			if err != nil && !errors.Is(err, errDoubleDescent) {
				t.Errorf("err = %v, want errDoubleDescent", err)
			}
		})
	}
}

// TestFilterPanicMatchesNothing: ojg panics comparing maps in a filter
// (found by FuzzJSONPath); the path matches nothing instead.
func TestFilterPanicMatchesNothing(t *testing.T) {
	got, _ := renderInput(t, `[$input.json('$[?($!=$)]')]`, &Input{Body: []byte(`{"a": {"b": 1}}`)})
	if got != "[[]]" {
		t.Errorf("got %q, want %q", got, "[[]]")
	}
}
