package gatewayresponse

import "strings"

// Vars resolves the names a gateway-response template or parameter may use.
type Vars interface {
	// Context returns $context.NAME (e.g. "error.messageString", "stage").
	Context(name string) string
	// StageVariable returns $stageVariables.NAME.
	StageVariable(name string) string
	// MethodRequest returns method.request.{header,path,querystring}.NAME.
	MethodRequest(location, name string) string
}

// piece is literal text or a reference, compiled once per snapshot.
type piece struct {
	lit  string
	kind refKind
	name string
}

type refKind uint8

const (
	refNone refKind = iota
	refContext
	refStage
)

// Template is a compiled gateway-response template. Gateway-response
// templates are plain substitution of $context.* and $stageVariables.*
// (with ${...} and $stageVariables['x'] forms), not VTL.
type Template struct {
	pieces []piece
}

// CompileTemplate splits src into literal text and references.
func CompileTemplate(src string) *Template {
	t := &Template{}
	lit := 0
	for i := 0; i < len(src); i++ {
		if src[i] != '$' {
			continue
		}
		kind, name, end := parseRef(src, i)
		if kind == refNone {
			continue
		}
		if i > lit {
			t.pieces = append(t.pieces, piece{lit: src[lit:i]})
		}
		t.pieces = append(t.pieces, piece{kind: kind, name: name})
		lit = end
		i = end - 1
	}
	if lit < len(src) {
		t.pieces = append(t.pieces, piece{lit: src[lit:]})
	}
	return t
}

// parseRef reads a reference at src[i] == '$' and returns its kind, name and end.
func parseRef(src string, i int) (refKind, string, int) {
	j := i + 1
	braced := j < len(src) && src[j] == '{'
	if braced {
		j++
	}
	var kind refKind
	switch {
	case strings.HasPrefix(src[j:], "context."):
		kind, j = refContext, j+len("context.")
	case strings.HasPrefix(src[j:], "stageVariables."):
		kind, j = refStage, j+len("stageVariables.")
	case strings.HasPrefix(src[j:], "stageVariables['"):
		k := strings.Index(src[j+len("stageVariables['"):], "']")
		if k < 0 {
			return refNone, "", 0
		}
		start := j + len("stageVariables['")
		end := start + k + 2
		if braced {
			if end >= len(src) || src[end] != '}' {
				return refNone, "", 0
			}
			end++
		}
		return refStage, src[start : start+k], end
	default:
		return refNone, "", 0
	}
	start := j
	for j < len(src) && isNameByte(src[j]) {
		j++
	}
	for j > start && src[j-1] == '.' {
		j--
	}
	if j == start {
		return refNone, "", 0
	}
	name := src[start:j]
	if braced {
		if j >= len(src) || src[j] != '}' {
			return refNone, "", 0
		}
		j++
	}
	return kind, name, j
}

func isNameByte(c byte) bool {
	return c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Render writes the template with vars substituted; unknown names render empty.
func (t *Template) Render(b *strings.Builder, v Vars) {
	for _, p := range t.pieces {
		switch p.kind {
		case refContext:
			b.WriteString(v.Context(p.name))
		case refStage:
			b.WriteString(v.StageVariable(p.name))
		default:
			b.WriteString(p.lit)
		}
	}
}
