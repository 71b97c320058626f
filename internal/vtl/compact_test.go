package vtl

import "testing"

// compactSeeds are documents CompactJSON must print as JSON(ParseJSON(s))
// does, or hand back (repeated keys, bad JSON).
var compactSeeds = []string{
	``, ` `, `{}`, `[]`, ` { } `, `null`, `true`, `false`, `0`, `-0`, `007`, `1.0`, `-0.0`, `1e5`, `1E-7`,
	`12345678901234567890`, `1e400`, `-1e400`, `249.99`, `"a"`, `"\u00e9\ud83d\ude00\u2028"`, `"\x7f"`,
	`{"a":1,"b":[1,2,{"c":null}],"d":"x\"y\\z\/"}`, `{"id": 7, "name": "Rex", "price": 249.99}`,
	`{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":2}]`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `[1 2]`,
	`{"a":1} x`, `"unterminated`, `"ctl` + "\x01" + `"`, `tru`, `[[[[[[[[[[]]]]]]]]]]`, "\xff", `"\xff"`,
}

// TestCompactJSON checks CompactJSON against ParseJSON then JSON.
func TestCompactJSON(t *testing.T) {
	for _, s := range compactSeeds {
		t.Run(s, func(t *testing.T) { checkCompact(t, s) })
	}
}

// TestCompactJSONShortWay checks that documents without repeated keys are
// printed without being built.
func TestCompactJSONShortWay(t *testing.T) {
	for _, s := range []string{`{}`, `{"id": 7, "name": "Rex", "tags": ["a", {"b": [1.5, null]}]}`, `[{"a":1},{"a":2}]`, `"x"`} {
		if _, ok := CompactJSON(s); !ok {
			t.Errorf("CompactJSON(%q) took the long way", s)
		}
	}
}

func checkCompact(t *testing.T, s string) {
	got, ok := CompactJSON(s)
	v, err := ParseJSON(s)
	if err != nil {
		if ok {
			t.Fatalf("CompactJSON(%q) = %q, but ParseJSON fails: %v", s, got, err)
		}
		return
	}
	if want := JSON(v); ok && got != want {
		t.Fatalf("CompactJSON(%q) = %q, JSON(ParseJSON) = %q", s, got, want)
	}
}

// FuzzCompactJSON checks that CompactJSON prints any document exactly as
// parsing and printing it does, and declines what does not parse.
func FuzzCompactJSON(f *testing.F) {
	for _, s := range compactSeeds {
		f.Add(s)
	}
	f.Fuzz(checkCompact)
}
