package wildcard

import (
	"regexp"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name, pattern, s string
		want             bool
	}{
		{"exact", "abc", "abc", true},
		{"exact differs", "abc", "abd", false},
		{"empty both", "", "", true},
		{"empty pattern", "", "a", false},
		{"star alone", "*", "", true},
		{"star any", "*", "arn:aws:execute-api:us-east-1:1:api/prod/GET/pets", true},
		{"star crosses slashes", "arn:*:api/*/GET/*", "arn:aws:x:api/prod/GET/a/b/c", true},
		{"question one", "a?c", "abc", true},
		{"question not zero", "a?c", "ac", false},
		{"star then literal", "a*c", "abbbc", true},
		{"literal star in subject", "a*c", "a*bc", true},
		{"star needs suffix", "*/GET/*", "api/prod/POST/x", false},
		{"trailing stars", "ab**", "ab", true},
		{"case sensitive", "GET", "get", false},
		{"prefix only", "abc", "ab", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Match(tc.pattern, tc.s); got != tc.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
			}
		})
	}
}

// FuzzMatch checks Match against the same glob written as an anchored
// regular expression.
func FuzzMatch(f *testing.F) {
	f.Add("a*c", "abbc")
	f.Add("*?*", "x")
	f.Add("arn:*:*/prod/*", "arn:aws:1:api/prod/GET/")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 64 {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)\A`)
		for _, r := range pattern {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`\z`)
		rx, err := regexp.Compile(re.String())
		if err != nil {
			return
		}
		// '?' is one byte in Match and one rune in the regexp: compare on
		// ASCII subjects only.
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return
			}
		}
		for i := 0; i < len(pattern); i++ {
			if pattern[i] >= 0x80 {
				return
			}
		}
		if got, want := Match(pattern, s), rx.MatchString(s); got != want {
			t.Fatalf("Match(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}
