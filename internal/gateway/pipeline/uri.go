package pipeline

import (
	"net/url"
	"strings"
)

type uriPiece struct {
	lit   string
	stage string // ${stageVariables.NAME}
	path  string // {NAME}, filled from integration.request.path.NAME
}

// URITemplate is a compiled integration URI.
type URITemplate struct {
	pieces  []uriPiece
	dynamic bool
	static  string
	// staticOK is false when a constant URI is not a valid endpoint.
	staticOK bool
	// hostFixed is true when scheme and host are literal and valid, so
	// only the path varies and no expansion can make the endpoint invalid.
	hostFixed bool
}

// CompileURI splits an integration URI into literal text, stage variables and
// path placeholders.
func CompileURI(s string) *URITemplate {
	t := &URITemplate{}
	lit := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${stageVariables."):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				continue
			}
			t.add(s[lit:i])
			t.pieces = append(t.pieces, uriPiece{stage: s[i+len("${stageVariables.") : i+end]})
			t.dynamic = true
			i += end
			lit = i + 1
		case s[i] == '{' && (i == 0 || s[i-1] != '$'):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				continue
			}
			t.add(s[lit:i])
			t.pieces = append(t.pieces, uriPiece{path: s[i+1 : i+end]})
			t.dynamic = true
			i += end
			lit = i + 1
		}
	}
	t.add(s[lit:])
	if !t.dynamic {
		t.static = s
		t.staticOK = ValidEndpoint(s)
	} else if len(t.pieces) > 0 && t.pieces[0].lit != "" {
		t.hostFixed = fixedHost(t.pieces[0].lit)
	}
	return t
}

// fixedHost reports whether a URI's literal prefix already holds a valid
// scheme and host followed by the start of the path.
func fixedHost(prefix string) bool {
	i := strings.Index(prefix, "://")
	if i < 0 {
		return false
	}
	j := strings.IndexByte(prefix[i+3:], '/')
	if j < 0 {
		return false
	}
	return ValidEndpoint(prefix[:i+3+j+1])
}

func (t *URITemplate) add(lit string) {
	if lit != "" {
		t.pieces = append(t.pieces, uriPiece{lit: lit})
	}
}

// Expand fills the template. pathVals holds integration.request.path values.
func (t *URITemplate) Expand(stage map[string]string, pathVals func(string) (string, bool)) (string, bool) {
	if !t.dynamic {
		return t.static, t.staticOK
	}
	var b strings.Builder
	for _, p := range t.pieces {
		switch {
		case p.stage != "":
			b.WriteString(stage[p.stage])
		case p.path != "":
			if v, ok := pathVals(p.path); ok {
				b.WriteString(v)
			} else {
				b.WriteString("{" + p.path + "}")
			}
		default:
			b.WriteString(p.lit)
		}
	}
	s := b.String()
	if t.hostFixed {
		return s, true
	}
	return s, ValidEndpoint(s)
}

// ValidEndpoint reports whether s is an absolute http(s) URL with a host, as
// API Gateway requires of HTTP integration endpoints.
func ValidEndpoint(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return false
	}
	return true
}
