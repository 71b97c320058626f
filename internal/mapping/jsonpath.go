package mapping

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ohler55/ojg/jp"

	"github.com/archway-gw/archway/internal/vtl"
)

// NormalizePath rewrites dot-notation names that ojg cannot read (such as
// $.a-b) into bracket notation ($['a-b']). Bracketed parts are copied as
// they are.
func NormalizePath(path string) string {
	if !needsNormalizing(path) {
		return path
	}
	var b strings.Builder
	for i := 0; i < len(path); {
		switch c := path[i]; c {
		case '[':
			j := bracketEnd(path, i)
			b.WriteString(path[i:j])
			i = j
		case '.':
			b.WriteByte('.')
			i++
			if i < len(path) && (path[i] == '.' || path[i] == '*') {
				continue
			}
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			name := path[i:j]
			if safeName(name) {
				b.WriteString(name)
			} else {
				s := b.String()
				if strings.HasSuffix(s, "..") {
					// $..a-b becomes $..['a-b']
				} else {
					b.Reset()
					b.WriteString(s[:len(s)-1])
				}
				b.WriteString("['" + strings.ReplaceAll(name, "'", `\'`) + "']")
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func needsNormalizing(path string) bool {
	for i := 0; i < len(path); i++ {
		if !safeByte(path[i]) && path[i] != '.' && path[i] != '[' && path[i] != ']' && path[i] != '$' && path[i] != '*' {
			return true
		}
	}
	return false
}

// safeByte reports whether ojg reads c as part of a dot-notation name.
func safeByte(c byte) bool {
	switch {
	case c >= 0x80, c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("#%;?^_{|}~", c) >= 0
}

func safeName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !safeByte(name[i]) {
			return false
		}
	}
	return true
}

// bracketEnd returns the index after the ']' closing the '[' at i,
// honouring quotes and nesting; len(s) when unterminated.
func bracketEnd(s string, i int) int {
	depth := 0
	var quote byte
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == '\\' {
				j++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

type compiledPath struct {
	x        jp.Expr
	definite bool
}

const maxCachedPaths = 4096

var (
	pathCache     sync.Map // string -> *compiledPath
	pathCacheSize atomic.Int64
)

// compilePath parses a JSONPath (after NormalizePath), with a cache.
func compilePath(path string) (cp *compiledPath, err error) {
	if v, ok := pathCache.Load(path); ok {
		return v.(*compiledPath), nil
	}
	defer func() {
		if r := recover(); r != nil { // defensive: a parser panic is a bad path
			cp, err = nil, fmt.Errorf("invalid JSONPath %q: %v", path, r)
		}
	}()
	x, err := jp.ParseString(NormalizePath(path))
	if err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %w", path, err)
	}
	if err := checkDescents(x); err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %w", path, err)
	}
	cp = &compiledPath{x: x, definite: isDefinite(x)}
	if pathCacheSize.Load() < maxCachedPaths {
		if _, loaded := pathCache.LoadOrStore(path, cp); !loaded {
			pathCacheSize.Add(1)
		}
	}
	return cp, nil
}

// errDoubleDescent rejects a deep scan that scans again ("$....a"): Jayway
// requires a name, '*' or a bracket after "..", and ojg's evaluation of
// consecutive deep scans grows exponentially with their number (found by
// FuzzJSONPath: a path of a few hundred dots never finished).
var errDoubleDescent = errors.New(`".." must be followed by a name, '*' or a bracket`)

// checkDescents rejects consecutive deep scans.
func checkDescents(x jp.Expr) error {
	for i := 1; i < len(x); i++ {
		if _, ok := x[i].(jp.Descent); ok {
			if _, prev := x[i-1].(jp.Descent); prev {
				return errDoubleDescent
			}
		}
	}
	return nil
}

// isDefinite reports whether the path names at most one value (Jayway's
// definite paths): only children and single indexes.
func isDefinite(x jp.Expr) bool {
	for _, f := range x {
		switch f.(type) {
		case jp.Root, jp.At, jp.Child, jp.Nth, jp.Bracket:
		default:
			return false
		}
	}
	return true
}

// evalPath applies the path to doc. A definite path gives the value (found
// reports whether it exists); an indefinite one a JSON list of matches.
func evalPath(cp *compiledPath, doc any) (v any, found bool) {
	defer func() {
		// ojg can panic while evaluating a filter over template values
		// (FuzzJSONPath: "[?($!=$)]" compares maps); the path then
		// matches nothing, as a filter that selects nothing.
		if r := recover(); r != nil {
			v, found = nil, false
			if !cp.definite {
				v, found = vtl.NewList(true), true
			}
		}
	}()
	if cp.definite {
		if v, found, ok := walkDefinite(cp.x, doc); ok {
			return v, found
		}
	}
	res := cp.x.Get(doc)
	if cp.definite {
		if len(res) == 0 {
			return nil, false
		}
		return res[0], true
	}
	return vtl.NewList(true, res...), true
}

// JSONPath is a compiled JSONPath expression, evaluated with the same rules
// as $input.path: for parameter mappings such as
// method.request.body.JSONPath and integration.response.body.JSONPath.
type JSONPath struct {
	cp *compiledPath
}

// CompileJSONPath parses path ("$.a.b[0]"); names that dot notation cannot
// hold are accepted as $input.path accepts them (see NormalizePath).
func CompileJSONPath(path string) (*JSONPath, error) {
	cp, err := compilePath(path)
	if err != nil {
		return nil, err
	}
	return &JSONPath{cp: cp}, nil
}

// Lookup applies the path to doc, a value from vtl.ParseJSON. A definite
// path gives the value it names; an indefinite one the list of matches.
// found is false when a definite path names nothing or an indefinite one
// matches nothing.
func (p *JSONPath) Lookup(doc any) (v any, found bool) {
	v, found = evalPath(p.cp, doc)
	if l, ok := v.(*vtl.List); ok && !p.cp.definite && l.Len() == 0 {
		return nil, false
	}
	return v, found
}

// walkDefinite evaluates a definite path over template values without
// ojg's allocations: children of maps and indexes of lists, as jp.Expr.Get
// does. ok is false when it meets anything else (the caller then asks ojg).
func walkDefinite(x jp.Expr, doc any) (v any, found, ok bool) {
	if len(x) == 0 {
		return nil, false, true // an empty expression names nothing
	}
	cur := doc
	for _, f := range x {
		switch f := f.(type) {
		case jp.Root:
			cur = doc
		case jp.At, jp.Bracket:
		case jp.Child:
			m, isMap := cur.(*vtl.Map)
			if !isMap {
				return nil, false, false
			}
			next, has := m.Get(string(f))
			if !has {
				return nil, false, true
			}
			cur = next
		case jp.Nth:
			l, isList := cur.(*vtl.List)
			if !isList {
				return nil, false, false
			}
			i, n := int(f), l.Size()
			if i < 0 {
				i += n
			}
			if i < 0 || i >= n {
				return nil, false, true
			}
			cur = l.ValueAtIndex(i)
		default:
			return nil, false, false
		}
	}
	return cur, true, true
}
