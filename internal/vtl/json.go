package vtl

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrInvalidJSON is wrapped by ParseJSON errors.
var ErrInvalidJSON = errors.New("invalid JSON")

const maxJSONDepth = 512

// ParseJSON parses JSON text into template values: objects become *Map in
// document order, arrays JSON-printing *List, integers int64 (float64 when
// they do not fit), other numbers float64.
func ParseJSON(s string) (any, error) {
	p := jsonParser{s: s}
	p.skipWS()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.i != len(p.s) {
		return nil, p.errf("unexpected trailing data")
	}
	return v, nil
}

// smallList is a List and the storage of its first items, made in one
// allocation.
type smallList struct {
	l     List
	items [4]any
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) errf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrInvalidJSON, p.i, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, p.errf("nesting too deep")
	}
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		return str, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return p.word()
	}
}

func (p *jsonParser) word() (any, error) {
	for _, w := range [...]struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(p.s)-p.i >= len(w.s) && p.s[p.i:p.i+len(w.s)] == w.s {
			p.i += len(w.s)
			return w.v, nil
		}
	}
	return nil, p.errf("unexpected character %q", p.s[p.i])
}

func (p *jsonParser) object(depth int) (any, error) {
	p.i++
	m := NewMap(4)
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.errf("expected object key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("expected ':'")
		}
		p.i++
		p.skipWS()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m.Put(k, v)
		p.skipWS()
		if p.i >= len(p.s) {
			return nil, p.errf("unterminated object")
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		return nil, p.errf("expected ',' or '}'")
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	p.i++
	sl := &smallList{}
	l := &sl.l
	l.JSON, l.Items = true, sl.items[:0]
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return l, nil
	}
	for {
		p.skipWS()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, v)
		p.skipWS()
		if p.i >= len(p.s) {
			return nil, p.errf("unterminated array")
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == ']' {
			p.i++
			return l, nil
		}
		return nil, p.errf("expected ',' or ']'")
	}
}

func (p *jsonParser) number() (any, error) {
	n, f, isInt, err := p.numberValue()
	if err != nil {
		return nil, err
	}
	if isInt {
		return n, nil
	}
	return f, nil
}

// numberValue reads a number: an int64 when it is written as an integer
// that fits, else a float64.
func (p *jsonParser) numberValue() (n int64, f float64, isInt bool, err error) {
	start := p.i
	isFloat := false
	if p.s[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= '0' && c <= '9' {
			p.i++
			continue
		}
		if c == '.' || c == 'e' || c == 'E' || ((c == '+' || c == '-') && isFloat) {
			isFloat = true
			p.i++
			continue
		}
		break
	}
	lit := p.s[start:p.i]
	if !isFloat {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return n, 0, true, nil
		}
	}
	f, err = strconv.ParseFloat(lit, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, false, p.errf("bad number %q", lit)
	}
	return 0, f, false, nil
}

func (p *jsonParser) str() (string, error) {
	p.i++
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errf("control character in string")
		}
		p.i++
	}
	buf := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c == '\\':
			var err error
			if buf, err = p.escape(buf); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", p.errf("control character in string")
		default:
			buf = append(buf, c)
			p.i++
		}
	}
	return "", p.errf("unterminated string")
}

func (p *jsonParser) escape(buf []byte) ([]byte, error) {
	if p.i+1 >= len(p.s) {
		return nil, p.errf("bad escape")
	}
	c := p.s[p.i+1]
	p.i += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := p.hex4()
		if !ok {
			return nil, p.errf("bad \\u escape")
		}
		if utf16.IsSurrogate(r) && p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
			save := p.i
			p.i += 2
			if r2, ok := p.hex4(); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return utf8.AppendRune(buf, d), nil
				}
			}
			p.i = save
		}
		return utf8.AppendRune(buf, r), nil
	}
	return nil, p.errf("bad escape \\%c", c)
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}
