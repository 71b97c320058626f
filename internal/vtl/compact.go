package vtl

import (
	"errors"
	"math"
	"strconv"
)

// errCompactFallback stops CompactJSON where the document needs to be
// built (an object repeats a key, or one is very large).
var errCompactFallback = errors.New("compact: take the long way")

// maxCompactKeys bounds the keys of one object CompactJSON checks for
// repeats; larger objects take the long way.
const maxCompactKeys = 64

// CompactJSON returns JSON(v) for v parsed from s by ParseJSON, without
// building v: the reading is ParseJSON's and the writing JSON's, value by
// value. ok is false when s does not parse, or when an object repeats a
// key (a Map keeps the first position and the last value); callers then
// parse and print.
func CompactJSON(s string) (string, bool) {
	p := jsonParser{s: s}
	bp := outPool.Get().(*[]byte)
	o := outWriter{buf: (*bp)[:0], max: math.MaxInt}
	var keys []string
	p.skipWS()
	err := p.compactValue(&o, &keys, 0)
	if err == nil {
		p.skipWS()
		if p.i != len(p.s) {
			err = errCompactFallback
		}
	}
	var str string
	if err == nil {
		str = string(o.buf)
	}
	if cap(o.buf) <= maxPooledOutput {
		*bp = o.buf[:0]
		outPool.Put(bp)
	}
	return str, err == nil
}

// compactValue mirrors value, writing what writeJSON would write for the
// value value returns. keys holds the keys of the objects being read.
func (p *jsonParser) compactValue(o *outWriter, keys *[]string, depth int) error {
	if depth > maxJSONDepth {
		return p.errf("nesting too deep")
	}
	if p.i >= len(p.s) {
		return p.errf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.compactObject(o, keys, depth)
	case c == '[':
		return p.compactArray(o, keys, depth)
	case c == '"':
		str, err := p.str()
		if err != nil {
			return err
		}
		writeJSONString(o, str)
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		n, f, isInt, err := p.numberValue()
		if err != nil {
			return err
		}
		if isInt {
			_ = o.writeBytes(strconv.AppendInt(o.scratch[:0], n, 10))
		} else {
			o.writeDouble(f)
		}
		return nil
	default:
		v, err := p.word()
		if err != nil {
			return err
		}
		writeJSON(o, v)
		return nil
	}
}

// compactObject mirrors object.
func (p *jsonParser) compactObject(o *outWriter, keys *[]string, depth int) error {
	p.i++
	o.WriteByte('{')
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		o.WriteByte('}')
		return nil
	}
	start := len(*keys)
	defer func() { *keys = (*keys)[:start] }()
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return p.errf("expected object key")
		}
		k, err := p.str()
		if err != nil {
			return err
		}
		if len(*keys)-start >= maxCompactKeys {
			return errCompactFallback
		}
		for _, seen := range (*keys)[start:] {
			if seen == k {
				return errCompactFallback
			}
		}
		*keys = append(*keys, k)
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.errf("expected ':'")
		}
		p.i++
		p.skipWS()
		if len(*keys)-start > 1 {
			o.WriteByte(',')
		}
		writeJSONString(o, k)
		o.WriteByte(':')
		if err := p.compactValue(o, keys, depth+1); err != nil {
			return err
		}
		p.skipWS()
		if p.i >= len(p.s) {
			return p.errf("unterminated object")
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == '}' {
			p.i++
			o.WriteByte('}')
			return nil
		}
		return p.errf("expected ',' or '}'")
	}
}

// compactArray mirrors array.
func (p *jsonParser) compactArray(o *outWriter, keys *[]string, depth int) error {
	p.i++
	o.WriteByte('[')
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		o.WriteByte(']')
		return nil
	}
	for n := 0; ; n++ {
		p.skipWS()
		if n > 0 {
			o.WriteByte(',')
		}
		if err := p.compactValue(o, keys, depth+1); err != nil {
			return err
		}
		p.skipWS()
		if p.i >= len(p.s) {
			return p.errf("unterminated array")
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == ']' {
			p.i++
			o.WriteByte(']')
			return nil
		}
		return p.errf("expected ',' or ']'")
	}
}
