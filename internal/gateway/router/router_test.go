package router

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func build(t *testing.T, defs map[string][]string) *Router[string] {
	t.Helper()
	var routes []Route[string]
	for path, methods := range defs {
		m := map[string]string{}
		for _, meth := range methods {
			m[meth] = meth + " " + path
		}
		routes = append(routes, Route[string]{Path: path, Methods: m})
	}
	r, err := New(routes)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMatch(t *testing.T) {
	api := map[string][]string{
		"/":                      {"GET"},
		"/test":                  {"POST"},
		"/test/any":              {"ANY"},
		"/{proxy+}":              {"OPTIONS"},
		"/part1":                 {"GET"},
		"/part1/hardcoded-value": {"GET"},
		"/pets":                  {"GET", "POST"},
		"/pets/{petId}":          {"GET", "ANY"},
		"/pets/{petId}/toys":     {"GET"},
	}
	r := build(t, api)
	tests := []struct {
		name, method, path string
		want               string
		resource           string
		params             []Param
		pathMatched        bool
	}{
		{"root", "GET", "/", "GET /", "/", nil, true},
		{"root empty", "GET", "", "GET /", "/", nil, true},
		{"exact beats greedy", "POST", "/test", "POST /test", "/test", nil, true},
		{"method-aware fallthrough to greedy", "OPTIONS", "/test", "OPTIONS /{proxy+}", "/{proxy+}", []Param{{"proxy", "test"}}, true},
		{"ANY catches", "GET", "/test/any", "ANY /test/any", "/test/any", nil, true},
		{"hardcoded child", "GET", "/part1/hardcoded-value", "GET /part1/hardcoded-value", "/part1/hardcoded-value", nil, true},
		{"param", "GET", "/pets/123", "GET /pets/{petId}", "/pets/{petId}", []Param{{"petId", "123"}}, true},
		{"ANY only where method undefined", "DELETE", "/pets/123", "ANY /pets/{petId}", "/pets/{petId}", []Param{{"petId", "123"}}, true},
		{"concrete beats ANY", "GET", "/pets/7", "GET /pets/{petId}", "/pets/{petId}", []Param{{"petId", "7"}}, true},
		{"param stays encoded", "GET", "/pets/a%2Fb", "GET /pets/{petId}", "/pets/{petId}", []Param{{"petId", "a%2Fb"}}, true},
		{"trailing slash", "GET", "/pets/", "GET /pets", "/pets", nil, true},
		{"double slash", "GET", "//pets", "GET /pets", "/pets", nil, true},
		{"nested param", "GET", "/pets/1/toys", "GET /pets/{petId}/toys", "/pets/{petId}/toys", []Param{{"petId", "1"}}, true},
		{"encoded static matches", "GET", "/pet%73", "GET /pets", "/pets", nil, true},
		{"case sensitive", "OPTIONS", "/PETS", "OPTIONS /{proxy+}", "/{proxy+}", []Param{{"proxy", "PETS"}}, true},
		{"greedy keeps inner slashes, drops trailing", "OPTIONS", "/a//b/c/", "OPTIONS /{proxy+}", "/{proxy+}", []Param{{"proxy", "a//b/c"}}, true},
		{"method not defined", "PUT", "/pets", "", "", nil, true},
		{"greedy path matches but method does not", "GET", "/nothing/here", "", "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := r.Match(tc.method, tc.path)
			if res.Found != (tc.want != "") {
				t.Fatalf("Found = %v, want %v (%+v)", res.Found, tc.want != "", res)
			}
			if res.PathMatched != tc.pathMatched {
				t.Errorf("PathMatched = %v, want %v", res.PathMatched, tc.pathMatched)
			}
			if !res.Found {
				return
			}
			if res.Value != tc.want || res.Resource != tc.resource {
				t.Errorf("got %q on %q, want %q on %q", res.Value, res.Resource, tc.want, tc.resource)
			}
			if diff := cmp.Diff(tc.params, res.Params, cmp.Comparer(func(a, b []Param) bool {
				return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b)
			})); diff != "" && !(len(tc.params) == 0 && len(res.Params) == 0) {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnknownPath(t *testing.T) {
	r := build(t, map[string][]string{"/pets": {"GET"}, "/pets/{id}": {"GET"}})
	for _, p := range []string{"/nothing", "/pets/1/2", "/petsx"} {
		t.Run(p, func(t *testing.T) {
			if res := r.Match("GET", p); res.Found || res.PathMatched {
				t.Fatalf("Match(%q) = %+v, want no path match", p, res)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
	}{
		{"greedy not last", []string{"/{a+}/b"}},
		{"mixed part", []string{"/id-{id}"}},
		{"empty part", []string{"/a//b"}},
		{"no leading slash", []string{"pets"}},
		{"duplicate name", []string{"/{a}/{a}"}},
		{"sibling params differ", []string{"/a/{id}", "/a/{name}/b"}},
		{"param vs greedy differ", []string{"/a/{id}", "/a/{rest+}"}},
		{"defined twice", []string{"/a", "/a"}},
		{"bad name", []string{"/{a b}"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var routes []Route[int]
			for _, p := range tc.paths {
				routes = append(routes, Route[int]{Path: p, Methods: map[string]int{"GET": 1}})
			}
			if _, err := New(routes); err == nil {
				t.Fatalf("New(%v) succeeded, want an error", tc.paths)
			}
		})
	}
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"/", "/pets/{petId}", "/{proxy+}", "/a/{b}/c/{d+}", "//", "/{", "/{+}", "/a/{b}/{b}"} {
		f.Add(s, "/pets/1")
	}
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		segs, err := ParseTemplate(tmpl)
		if err != nil {
			return
		}
		for i, s := range segs {
			if s.Kind == Greedy && i != len(segs)-1 {
				t.Fatalf("greedy segment not last in %q", tmpl)
			}
		}
		r, err := New([]Route[int]{{Path: tmpl, Methods: map[string]int{"GET": 1}}})
		if err != nil {
			return
		}
		res := r.Match("GET", path)
		if res.Found && res.Resource != tmpl {
			t.Fatalf("matched %q, want %q", res.Resource, tmpl)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	r, _ := New([]Route[int]{
		{Path: "/pets", Methods: map[string]int{"GET": 1}},
		{Path: "/pets/{petId}", Methods: map[string]int{"GET": 2}},
		{Path: "/{proxy+}", Methods: map[string]int{"ANY": 3}},
	})
	b.ReportAllocs()
	for b.Loop() {
		if res := r.Match("GET", "/pets/123"); !res.Found {
			b.Fatal("no match")
		}
	}
}
