package conformance

import (
	"fmt"
	"strings"
	"testing"
)

func TestTestInvokeLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"full", `GET /foo ?queryTest=value, header content-type: application/json, body {"test": "val123"}`,
			`[GET /foo ?queryTest=value content-type application/json {"test": "val123"}]`},
		{"path only", `GET /foo`, `[GET /foo    ]`},
		{"body only", `POST /a, body x`, `[POST /a    x]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := testInvokeLineRE.FindStringSubmatch(tc.in)
			if sm == nil {
				t.Fatalf("%q not read", tc.in)
			}
			if got := fmt.Sprint(sm[1:]); got != tc.want {
				t.Fatalf("read %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPlaceholdersFilled(t *testing.T) {
	tests := []struct {
		name      string
		want, got map[string]any
		ok        bool
	}{
		{"filled", map[string]any{"Host": "<host:1>", "A": "x"}, map[string]any{"Host": "h", "A": "x"}, true},
		{"empty placeholder value", map[string]any{"Host": "<host:1>"}, map[string]any{"Host": ""}, false},
		{"recorded empty", map[string]any{"Server": ""}, map[string]any{"Server": ""}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := placeholdersFilled(tc.want, tc.got) == ""; got != tc.ok {
				t.Fatalf("placeholdersFilled ok = %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestCheckAllLogLines(t *testing.T) {
	want := []string{"a", "b <x>", "c"}
	if why := checkAllLogLines("a\nb 1\nc", want); why != "" {
		t.Fatalf("matching log reported: %s", why)
	}
	why := checkAllLogLines("A\nb 1\nC\nd", want)
	if why == "" || !containsAll(why, "3 of 3", "line 1", "line 3", "line 4") {
		t.Fatalf("differences not all reported: %s", why)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
