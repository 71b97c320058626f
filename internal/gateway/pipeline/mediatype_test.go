package pipeline

import (
	"mime"
	"strings"
	"testing"
)

// FuzzMediaType checks mediaType against mime.ParseMediaType, which it
// replaced on the request path: the same media type for every valid value,
// and the lower-cased, trimmed part before ';' for the rest.
func FuzzMediaType(f *testing.F) {
	for _, s := range []string{"application/json", "Text/HTML; charset=utf-8", "a/b;c", " x ", "image/*", "*/*;q=0.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		got := mediaType(s)
		if mt, _, err := mime.ParseMediaType(s); err == nil {
			if got != mt {
				t.Fatalf("mediaType(%q) = %q, mime says %q", s, got, mt)
			}
			return
		}
		base, _, _ := strings.Cut(s, ";")
		if want := strings.ToLower(strings.TrimSpace(base)); got != want {
			t.Fatalf("mediaType(%q) = %q, want %q", s, got, want)
		}
	})
}
