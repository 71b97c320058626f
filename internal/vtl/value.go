package vtl

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values seen by templates are plain Go values of a closed set of types,
// modelled on what Velocity sees under AWS (json-smart over Java):
//
//	nil       Java null; renders as the empty string
//	string    java.lang.String
//	int64     java.lang.Integer / java.lang.Long
//	float64   java.lang.Double
//	bool      java.lang.Boolean
//	*Map      java.util.LinkedHashMap (insertion order, prints {k=v, k2=v2})
//	*List     json-smart JSONArray (prints as JSON) or java.util.ArrayList
//	          (prints [a, b]), see List.JSON
//	Object    a host object exposing properties and methods explicitly
//
// Any other Go value is rejected by the evaluator rather than reflected on.

// Object is a host value that exposes properties and methods to templates
// explicitly; the engine never reflects into Go values.
type Object interface {
	// Property returns the value of $obj.name, and false when the object
	// has no such property (the reference then evaluates to null).
	Property(name string) (any, bool)
	// Call invokes $obj.name(args...). args is only valid during the call
	// and must not be modified. It returns handled=false when the
	// object has no such method (the call then evaluates to null, as
	// Velocity does); a non-nil error aborts rendering.
	Call(name string, args []any) (result any, handled bool, err error)
	// String is the text the object renders as.
	String() string
}

// Setter is implemented by host objects that accept
// #set($obj.name = value).
type Setter interface {
	SetProperty(name string, value any) bool
}

// entry is one key/value pair of a Map.
type entry struct {
	key string
	val any
}

// Map is an insertion-ordered string-keyed map, the model of Java's
// LinkedHashMap as json-smart builds it. Its zero value is an empty map.
type Map struct {
	entries []entry
	index   map[string]int
}

const mapIndexThreshold = 12

// NewMap returns an empty map with room for n entries.
func NewMap(n int) *Map {
	if n <= smallMapSize {
		sm := &smallMap{}
		sm.m.entries = sm.e[:0]
		return &sm.m
	}
	return &Map{entries: make([]entry, 0, n)}
}

// smallMapSize is the room of maps made together with their entries.
const smallMapSize = 4

// smallMap is a Map and the storage of its first entries, made in one
// allocation.
type smallMap struct {
	m Map
	e [smallMapSize]entry
}

func (m *Map) find(k string) int {
	if m.index != nil {
		if i, ok := m.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range m.entries {
		if m.entries[i].key == k {
			return i
		}
	}
	return -1
}

// Get returns the value stored under k.
func (m *Map) Get(k string) (any, bool) {
	if m == nil {
		return nil, false
	}
	if i := m.find(k); i >= 0 {
		return m.entries[i].val, true
	}
	return nil, false
}

// Put stores v under k, keeping the position of an existing key, and
// returns the previous value.
func (m *Map) Put(k string, v any) any {
	if i := m.find(k); i >= 0 {
		old := m.entries[i].val
		m.entries[i].val = v
		return old
	}
	m.entries = append(m.entries, entry{k, v})
	if m.index != nil {
		m.index[k] = len(m.entries) - 1
	} else if len(m.entries) > mapIndexThreshold {
		m.index = make(map[string]int, len(m.entries)*2)
		for i, e := range m.entries {
			m.index[e.key] = i
		}
	}
	return nil
}

// Delete removes k and returns its value.
func (m *Map) Delete(k string) (any, bool) {
	i := m.find(k)
	if i < 0 {
		return nil, false
	}
	old := m.entries[i].val
	m.entries = append(m.entries[:i], m.entries[i+1:]...)
	if m.index != nil {
		m.index = make(map[string]int, len(m.entries))
		for j, e := range m.entries {
			m.index[e.key] = j
		}
	}
	return old, true
}

// Len returns the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}

// Keys returns the keys in insertion order.
func (m *Map) Keys() []string {
	if m == nil {
		return nil
	}
	ks := make([]string, len(m.entries))
	for i, e := range m.entries {
		ks[i] = e.key
	}
	return ks
}

// Range calls f for each entry in order until f returns false.
func (m *Map) Range(f func(k string, v any) bool) {
	if m == nil {
		return
	}
	for _, e := range m.entries {
		if !f(e.key, e.val) {
			return
		}
	}
}

// ValueForKey implements jp.Keyed.
func (m *Map) ValueForKey(k string) (any, bool) { return m.Get(k) }

// SetValueForKey implements jp.Keyed.
func (m *Map) SetValueForKey(k string, v any) { m.Put(k, v) }

// RemoveValueForKey implements jp.Keyed.
func (m *Map) RemoveValueForKey(k string) { m.Delete(k) }

// String renders the map as Java's AbstractMap.toString does.
func (m *Map) String() string {
	return javaString(m)
}

// List is an ordered list. JSON lists (json-smart JSONArray, what JSON
// parsing produces) print as compact JSON; the others (Java ArrayList, what
// list literals and ranges produce) print as [a, b].
type List struct {
	Items []any
	JSON  bool
}

// NewList returns a list of the given items.
func NewList(json bool, items ...any) *List {
	return &List{Items: items, JSON: json}
}

// Len returns the number of items.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.Items)
}

// ValueAtIndex implements jp.Indexed.
func (l *List) ValueAtIndex(i int) any {
	if i < 0 || i >= len(l.Items) {
		return nil
	}
	return l.Items[i]
}

// SetValueAtIndex implements jp.Indexed.
func (l *List) SetValueAtIndex(i int, v any) {
	if i >= 0 && i < len(l.Items) {
		l.Items[i] = v
	}
}

// Size implements jp.Indexed.
func (l *List) Size() int { return len(l.Items) }

// String renders the list as JSON or Java-style, see List.
func (l *List) String() string {
	return javaString(l)
}

// ToString returns the Java toString() form of v; null is "null".
func ToString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return FormatDouble(x)
	}
	return javaString(v)
}

// Render returns the text a reference to v inserts into the output:
// like ToString, except that null renders as the empty string.
func Render(v any) string {
	if v == nil {
		return ""
	}
	return ToString(v)
}

// javaString is the Java toString() form of a map, list or object.
func javaString(v any) string {
	bp := outPool.Get().(*[]byte)
	o := outWriter{buf: (*bp)[:0], max: math.MaxInt}
	writeJava(&o, v)
	str := string(o.buf)
	if cap(o.buf) <= maxPooledOutput {
		*bp = o.buf[:0]
		outPool.Put(bp)
	}
	return str
}

// writeJava writes the Java toString() form of v.
func writeJava(b *outWriter, v any) {
	switch x := v.(type) {
	case *Map:
		b.WriteByte('{')
		for i, e := range x.entries {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(e.key)
			b.WriteByte('=')
			writeJava(b, e.val)
		}
		b.WriteByte('}')
	case *List:
		if x.JSON {
			writeJSON(b, x)
			return
		}
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJava(b, it)
		}
		b.WriteByte(']')
	case Object:
		b.WriteString(x.String())
	default:
		if !writeNumber(b, v) {
			b.WriteString(ToString(v))
		}
	}
}

// JSON returns v serialised as compact JSON the way json-smart writes it.
func JSON(v any) string {
	bp := outPool.Get().(*[]byte)
	o := outWriter{buf: (*bp)[:0], max: math.MaxInt}
	writeJSON(&o, v)
	str := string(o.buf)
	if cap(o.buf) <= maxPooledOutput {
		*bp = o.buf[:0]
		outPool.Put(bp)
	}
	return str
}

func writeJSON(b *outWriter, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, x)
	case *Map:
		b.WriteByte('{')
		for i, e := range x.entries {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, e.key)
			b.WriteByte(':')
			writeJSON(b, e.val)
		}
		b.WriteByte('}')
	case *List:
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, it)
		}
		b.WriteByte(']')
	case Object:
		writeJSONString(b, x.String())
	default:
		if !writeNumber(b, v) {
			b.WriteString(ToString(v))
		}
	}
}

const hexDigits = "0123456789ABCDEF"

// writeJSONString escapes s as json-smart's default style does. Runs of
// characters that need no escaping are written at once; invalid UTF-8
// bytes become U+FFFD.
func writeJSONString(b *outWriter, s string) {
	b.WriteByte('"')
	run := 0 // start of the pending run of unescaped bytes
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= 0x80 {
			r, size = utf8.DecodeRuneInString(s[i:])
			if !(r == utf8.RuneError && size == 1) && !jsonEscaped(r) {
				i += size
				continue
			}
		}
		if run < i {
			b.WriteString(s[run:i])
		}
		i += size
		run = i
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case jsonEscaped(r):
			b.WriteString(`\u`)
			for sh := 12; sh >= 0; sh -= 4 {
				b.WriteByte(hexDigits[(r>>uint(sh))&0xf])
			}
		default: // an invalid byte
			b.WriteString(string(utf8.RuneError))
		}
	}
	if run < len(s) {
		b.WriteString(s[run:])
	}
	b.WriteByte('"')
}

// jsonEscaped reports whether json-smart writes r as \uXXXX.
func jsonEscaped(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x2000 && r <= 0x20ff)
}

// FormatDouble formats f as Java's Double.toString does.
func FormatDouble(f float64) string {
	var b [32]byte
	return string(appendDouble(b[:0], f))
}

// appendDouble appends f as Java's Double.toString writes it.
func appendDouble(dst []byte, f float64) []byte {
	switch {
	case f != f:
		return append(dst, "NaN"...)
	case f > 1.7976931348623157e308:
		return append(dst, "Infinity"...)
	case f < -1.7976931348623157e308:
		return append(dst, "-Infinity"...)
	case f == 0:
		if 1/f < 0 {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	abs := f
	if abs < 0 {
		abs = -abs
	}
	if abs >= 1e-3 && abs < 1e7 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		if !bytes.Contains(dst[start:], []byte{'.'}) {
			dst = append(dst, ".0"...)
		}
		return dst
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.ContainsRune(mant, '.') {
		mant += ".0"
	}
	if exp[0] == '+' {
		exp = exp[1:]
	}
	if len(exp) > 1 && exp[0] == '0' {
		exp = strings.TrimLeft(exp, "0")
	} else if len(exp) > 2 && exp[0] == '-' && exp[1] == '0' {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	}
	dst = append(dst, mant...)
	dst = append(dst, 'E')
	return append(dst, exp...)
}

// writeNumber writes an int64 or float64 as Java prints it.
func writeNumber(b *outWriter, v any) bool {
	switch x := v.(type) {
	case int64:
		_ = b.writeBytes(strconv.AppendInt(b.scratch[:0], x, 10))
	case float64:
		b.writeDouble(x)
	default:
		return false
	}
	return true
}
