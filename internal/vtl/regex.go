package vtl

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// Java regular expressions run on Go's RE2 engine. The common syntax is
// the same; RE2 rejects backreferences (\1), lookaround ((?=, (?!, (?<=,
// (?<!), possessive quantifiers (a*+) and atomic groups ((?>...)), so a
// template using them fails at run time with an error saying so.

const maxCachedRegexps = 1024

var (
	regexCache     sync.Map // pattern -> *regexp.Regexp
	regexCacheSize atomic.Int64
)

func compileJavaRegex(pat string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(pat); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("%w: regular expression %q is not supported by RE2 (no backreferences or lookaround): %w", ErrMethod, pat, err)
	}
	if regexCacheSize.Load() < maxCachedRegexps {
		if _, loaded := regexCache.LoadOrStore(pat, re); !loaded {
			regexCacheSize.Add(1)
		}
	}
	return re, nil
}

// javaReplacement converts a Java replacement string ($1, ${name}, \x) into
// Go's Expand template (${1}, ${name}, $$).
func javaReplacement(r string) string {
	if !strings.ContainsAny(r, `$\`) {
		return r
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case c == '$' && i+1 < len(r) && isDigit(r[i+1]):
			j := i + 1
			for j < len(r) && isDigit(r[j]) {
				j++
			}
			b.WriteString("${" + r[i+1:j] + "}")
			i = j - 1
		case c == '$' && i+1 < len(r) && r[i+1] == '{':
			end := strings.IndexByte(r[i:], '}')
			if end < 0 {
				b.WriteString("$$")
				continue
			}
			b.WriteString(r[i : i+end+1])
			i += end
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// javaSplit is String.split(regex, limit).
func javaSplit(s string, re *regexp.Regexp, limit int) []string {
	var parts []string
	start := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if limit > 0 && len(parts) == limit-1 {
			break
		}
		if m[1] == 0 { // a zero-width match at the beginning never splits
			continue
		}
		if m[0] == m[1] && m[0] >= len(s) {
			break
		}
		parts = append(parts, s[start:m[0]])
		start = m[1]
	}
	if len(parts) == 0 {
		return []string{s}
	}
	parts = append(parts, s[start:])
	if limit == 0 {
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	return parts
}
