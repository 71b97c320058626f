package vtl

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// ErrMethod is wrapped by errors that Java methods would throw
// (IndexOutOfBoundsException, NullPointerException, ...).
var ErrMethod = errors.New("method failed")

func errIndex(idx any, n int) error {
	return fmt.Errorf("%w: index %s out of bounds for length %d", ErrMethod, ToString(idx), n)
}

func errNullArg(name string) error {
	return fmt.Errorf("%w: null argument to %s", ErrMethod, name)
}

// call invokes $v.name(args). A method the value does not have gives null.
func (s *state) call(v any, name string, args []any) (any, error) {
	var (
		res     any
		handled bool
		err     error
	)
	switch x := v.(type) {
	case string:
		res, handled, err = stringMethod(x, name, args)
	case *Map:
		res, handled, err = mapMethod(x, name, args)
	case *List:
		res, handled, err = listMethod(x, name, args)
	case Object:
		res, handled, err = x.Call(name, args)
	}
	if handled || err != nil {
		return res, err
	}
	return anyMethod(v, name, args), nil
}

// anyMethod has the java.lang.Object methods and the Number/Boolean ones.
func anyMethod(v any, name string, args []any) any {
	switch {
	case name == "toString" && len(args) == 0:
		return ToString(v)
	case name == "equals" && len(args) == 1:
		return args[0] != nil && sameKindOrNumber(v, args[0]) && Equal(v, args[0])
	case name == "hashCode" && len(args) == 0:
		return int64(javaHash(ToString(v)))
	}
	switch x := v.(type) {
	case int64, float64:
		return numberMethod(x, name, args)
	case bool:
		if name == "booleanValue" && len(args) == 0 {
			return x
		}
	}
	return nil
}

func sameKindOrNumber(a, b any) bool {
	if isNumber(a) || isNumber(b) {
		_, ai := a.(int64)
		_, bi := b.(int64)
		return isNumber(a) && isNumber(b) && ai == bi
	}
	return sameKind(a, b)
}

func numberMethod(v any, name string, args []any) any {
	if len(args) != 0 {
		if name == "compareTo" && len(args) == 1 && isNumber(args[0]) {
			switch {
			case compare("<", v, args[0]):
				return int64(-1)
			case compare(">", v, args[0]):
				return int64(1)
			}
			return int64(0)
		}
		return nil
	}
	switch name {
	case "intValue", "longValue", "shortValue", "byteValue":
		if f, ok := v.(float64); ok {
			return int64(f)
		}
		return v
	case "doubleValue", "floatValue":
		return toFloat(v)
	}
	return nil
}

func javaHash(s string) int32 {
	var h int32
	for _, c := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(c)
	}
	return h
}

// ---- java.lang.String ----

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// jlen is String.length(): UTF-16 code units.
func jlen(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return len(utf16.Encode([]rune(s)))
}

// jsub is String.substring(b, e) on UTF-16 indices.
func jsub(s string, b, e int) (string, error) {
	n := jlen(s)
	if b < 0 || e > n || b > e {
		return "", fmt.Errorf("%w: begin %d, end %d, length %d", ErrMethod, b, e, n)
	}
	if isASCII(s) {
		return s[b:e], nil
	}
	u := utf16.Encode([]rune(s))
	return string(utf16.Decode(u[b:e])), nil
}

// jindex converts a byte offset into a UTF-16 index.
func jindex(s string, byteOff int) int {
	if byteOff < 0 || isASCII(s[:byteOff]) {
		return byteOff
	}
	return jlen(s[:byteOff])
}

// jbyte converts a UTF-16 index into a byte offset (clamped).
func jbyte(s string, idx int) int {
	if idx <= 0 {
		return 0
	}
	if isASCII(s) {
		if idx > len(s) {
			return len(s)
		}
		return idx
	}
	n := 0
	for i, r := range s {
		if n >= idx {
			return i
		}
		n += len(utf16.Encode([]rune{r}))
	}
	return len(s)
}

func argString(args []any, i int, method string) (string, error) {
	if args[i] == nil {
		return "", errNullArg(method)
	}
	return ToString(args[i]), nil
}

func argInt(args []any, i int) (int, bool) {
	return toInt(args[i])
}

type strMethod func(s string, args []any) (any, error)

var stringMethods = map[string]map[int]strMethod{
	"length":           {0: func(s string, _ []any) (any, error) { return int64(jlen(s)), nil }},
	"isEmpty":          {0: func(s string, _ []any) (any, error) { return s == "", nil }},
	"toString":         {0: func(s string, _ []any) (any, error) { return s, nil }},
	"trim":             {0: func(s string, _ []any) (any, error) { return strings.Trim(s, javaSpace), nil }},
	"toLowerCase":      {0: func(s string, _ []any) (any, error) { return strings.ToLower(s), nil }},
	"toUpperCase":      {0: func(s string, _ []any) (any, error) { return strings.ToUpper(s), nil }},
	"hashCode":         {0: func(s string, _ []any) (any, error) { return int64(javaHash(s)), nil }},
	"substring":        {1: strSubstring, 2: strSubstring},
	"charAt":           {1: strCharAt},
	"indexOf":          {1: strIndexOf, 2: strIndexOf},
	"lastIndexOf":      {1: strLastIndexOf, 2: strLastIndexOf},
	"contains":         {1: strPred("contains", strings.Contains)},
	"startsWith":       {1: strPred("startsWith", strings.HasPrefix), 2: strStartsWithOffset},
	"endsWith":         {1: strPred("endsWith", strings.HasSuffix)},
	"equalsIgnoreCase": {1: strEqualsIgnoreCase},
	"equals":           {1: strEquals},
	"compareTo":        {1: strCompareTo},
	"concat":           {1: strConcat},
	"replace":          {2: strReplace},
	"replaceAll":       {2: strReplaceAll},
	"replaceFirst":     {2: strReplaceFirst},
	"matches":          {1: strMatches},
	"split":            {1: strSplit, 2: strSplit},
}

// javaSpace is what String.trim() removes: every char <= ' '.
var javaSpace = func() string {
	var b strings.Builder
	for c := 0; c <= ' '; c++ {
		b.WriteByte(byte(c))
	}
	return b.String()
}()

func stringMethod(s, name string, args []any) (any, bool, error) {
	byArity, ok := stringMethods[name]
	if !ok {
		return nil, false, nil
	}
	f, ok := byArity[len(args)]
	if !ok {
		return nil, false, nil
	}
	r, err := f(s, args)
	return r, true, err
}

func strSubstring(s string, args []any) (any, error) {
	b, ok := argInt(args, 0)
	if !ok {
		return nil, nil
	}
	e := jlen(s)
	if len(args) == 2 {
		if e, ok = argInt(args, 1); !ok {
			return nil, nil
		}
	}
	return jsub(s, b, e)
}

func strCharAt(s string, args []any) (any, error) {
	i, ok := argInt(args, 0)
	if !ok {
		return nil, nil
	}
	return jsub(s, i, i+1)
}

func strIndexOf(s string, args []any) (any, error) {
	sub, err := argString(args, 0, "indexOf")
	if err != nil {
		return nil, err
	}
	from := 0
	if len(args) == 2 {
		from, _ = argInt(args, 1)
	}
	start := jbyte(s, from)
	i := strings.Index(s[start:], sub)
	if i < 0 {
		return int64(-1), nil
	}
	return int64(jindex(s, start+i)), nil
}

func strLastIndexOf(s string, args []any) (any, error) {
	sub, err := argString(args, 0, "lastIndexOf")
	if err != nil {
		return nil, err
	}
	hay := s
	if len(args) == 2 {
		from, _ := argInt(args, 1)
		if from < 0 {
			return int64(-1), nil
		}
		end := jbyte(s, from) + len(sub)
		if end < len(s) {
			hay = s[:end]
		}
	}
	i := strings.LastIndex(hay, sub)
	if i < 0 {
		return int64(-1), nil
	}
	return int64(jindex(s, i)), nil
}

func strPred(name string, f func(string, string) bool) strMethod {
	return func(s string, args []any) (any, error) {
		a, err := argString(args, 0, name)
		if err != nil {
			return nil, err
		}
		return f(s, a), nil
	}
}

func strStartsWithOffset(s string, args []any) (any, error) {
	p, err := argString(args, 0, "startsWith")
	if err != nil {
		return nil, err
	}
	off, _ := argInt(args, 1)
	if off < 0 || off > jlen(s) {
		return false, nil
	}
	return strings.HasPrefix(s[jbyte(s, off):], p), nil
}

func strEqualsIgnoreCase(s string, args []any) (any, error) {
	o, ok := args[0].(string)
	return ok && strings.EqualFold(s, o), nil
}

func strEquals(s string, args []any) (any, error) {
	o, ok := args[0].(string)
	return ok && s == o, nil
}

func strCompareTo(s string, args []any) (any, error) {
	o, err := argString(args, 0, "compareTo")
	if err != nil {
		return nil, err
	}
	a, b := utf16.Encode([]rune(s)), utf16.Encode([]rune(o))
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return int64(a[i]) - int64(b[i]), nil
		}
	}
	return int64(len(a) - len(b)), nil
}

func strConcat(s string, args []any) (any, error) {
	o, err := argString(args, 0, "concat")
	if err != nil {
		return nil, err
	}
	return s + o, nil
}

func strReplace(s string, args []any) (any, error) {
	old, err := argString(args, 0, "replace")
	if err != nil {
		return nil, err
	}
	repl, err := argString(args, 1, "replace")
	if err != nil {
		return nil, err
	}
	if old == "" {
		return javaReplaceEmpty(s, repl), nil
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// javaReplaceEmpty is "abc".replace("", "-") == "-a-b-c-".
func javaReplaceEmpty(s, repl string) string {
	var b strings.Builder
	b.WriteString(repl)
	for _, r := range s {
		b.WriteRune(r)
		b.WriteString(repl)
	}
	return b.String()
}

func regexArgs(args []any, method string) (string, string, error) {
	re, err := argString(args, 0, method)
	if err != nil {
		return "", "", err
	}
	repl, err := argString(args, 1, method)
	return re, repl, err
}

func strReplaceAll(s string, args []any) (any, error) {
	pat, repl, err := regexArgs(args, "replaceAll")
	if err != nil {
		return nil, err
	}
	re, err := compileJavaRegex(pat)
	if err != nil {
		return nil, err
	}
	return re.ReplaceAllString(s, javaReplacement(repl)), nil
}

func strReplaceFirst(s string, args []any) (any, error) {
	pat, repl, err := regexArgs(args, "replaceFirst")
	if err != nil {
		return nil, err
	}
	re, err := compileJavaRegex(pat)
	if err != nil {
		return nil, err
	}
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		return s, nil
	}
	out := re.ExpandString(nil, javaReplacement(repl), s, loc)
	return s[:loc[0]] + string(out) + s[loc[1]:], nil
}

func strMatches(s string, args []any) (any, error) {
	pat, err := argString(args, 0, "matches")
	if err != nil {
		return nil, err
	}
	re, err := compileJavaRegex("^(?:" + pat + ")$")
	if err != nil {
		return nil, err
	}
	return re.MatchString(s), nil
}

func strSplit(s string, args []any) (any, error) {
	pat, err := argString(args, 0, "split")
	if err != nil {
		return nil, err
	}
	limit := 0
	if len(args) == 2 {
		limit, _ = argInt(args, 1)
	}
	re, err := compileJavaRegex(pat)
	if err != nil {
		return nil, err
	}
	parts := javaSplit(s, re, limit)
	l := &List{Items: make([]any, len(parts))}
	for i, p := range parts {
		l.Items[i] = p
	}
	return l, nil
}

// ---- java.util.Map ----

func mapMethod(m *Map, name string, args []any) (any, bool, error) {
	switch len(args) {
	case 0:
		return mapMethod0(m, name)
	case 1:
		return mapMethod1(m, name, args[0])
	case 2:
		switch name {
		case "put":
			return m.Put(ToString(args[0]), args[1]), true, nil
		case "getOrDefault":
			if v, ok := m.Get(ToString(args[0])); ok {
				return v, true, nil
			}
			return args[1], true, nil
		case "putIfAbsent":
			k := ToString(args[0])
			if v, ok := m.Get(k); ok && v != nil {
				return v, true, nil
			}
			m.Put(k, args[1])
			return nil, true, nil
		}
	}
	return nil, false, nil
}

func mapMethod0(m *Map, name string) (any, bool, error) {
	switch name {
	case "size":
		return int64(m.Len()), true, nil
	case "isEmpty":
		return m.Len() == 0, true, nil
	case "keySet":
		l := &List{Items: make([]any, len(m.entries))}
		for i, e := range m.entries {
			l.Items[i] = e.key
		}
		return l, true, nil
	case "values":
		vals, _ := iterItems(m)
		return &List{Items: vals}, true, nil
	case "entrySet":
		l := &List{Items: make([]any, len(m.entries))}
		for i, e := range m.entries {
			l.Items[i] = &MapEntry{m: m, Key: e.key, Value: e.val}
		}
		return l, true, nil
	case "toString":
		return m.String(), true, nil
	case "clear":
		m.entries, m.index = m.entries[:0], nil
		return nil, true, nil
	}
	return nil, false, nil
}

func mapMethod1(m *Map, name string, a any) (any, bool, error) {
	switch name {
	case "get":
		v, _ := m.Get(ToString(a))
		return v, true, nil
	case "containsKey":
		_, ok := m.Get(ToString(a))
		return ok, true, nil
	case "containsValue":
		for _, e := range m.entries {
			if deepEqual(e.val, a) {
				return true, true, nil
			}
		}
		return false, true, nil
	case "remove":
		v, _ := m.Delete(ToString(a))
		return v, true, nil
	case "putAll":
		if o, ok := a.(*Map); ok {
			for _, e := range o.entries {
				m.Put(e.key, e.val)
			}
			return nil, true, nil
		}
		if a == nil {
			return nil, true, errNullArg("putAll")
		}
	case "equals":
		return deepEqual(m, a), true, nil
	}
	return nil, false, nil
}

// MapEntry is an element of $map.entrySet().
type MapEntry struct {
	m     *Map
	Key   string
	Value any
}

// Property implements Object.
func (e *MapEntry) Property(name string) (any, bool) {
	switch name {
	case "key":
		return e.Key, true
	case "value":
		return e.Value, true
	}
	return nil, false
}

// Call implements Object.
func (e *MapEntry) Call(name string, args []any) (any, bool, error) {
	switch {
	case name == "getKey" && len(args) == 0:
		return e.Key, true, nil
	case name == "getValue" && len(args) == 0:
		return e.Value, true, nil
	case name == "setValue" && len(args) == 1:
		old := e.Value
		e.Value = args[0]
		e.m.Put(e.Key, args[0])
		return old, true, nil
	case name == "toString" && len(args) == 0:
		return e.String(), true, nil
	}
	return nil, false, nil
}

// String renders key=value.
func (e *MapEntry) String() string { return e.Key + "=" + ToString(e.Value) }

// ---- java.util.List ----

func listMethod(l *List, name string, args []any) (any, bool, error) {
	switch len(args) {
	case 0:
		switch name {
		case "size", "count":
			return int64(len(l.Items)), true, nil
		case "isEmpty":
			return len(l.Items) == 0, true, nil
		case "toString":
			return l.String(), true, nil
		case "clear":
			l.Items = l.Items[:0]
			return nil, true, nil
		}
	case 1:
		return listMethod1(l, name, args[0])
	case 2:
		return listMethod2(l, name, args)
	}
	return nil, false, nil
}

func listMethod1(l *List, name string, a any) (any, bool, error) {
	switch name {
	case "get":
		i, ok := toInt(a)
		if !ok {
			return nil, false, nil
		}
		if i < 0 || i >= len(l.Items) {
			return nil, true, errIndex(a, len(l.Items))
		}
		return l.Items[i], true, nil
	case "add":
		l.Items = append(l.Items, a)
		return true, true, nil
	case "addAll":
		items, ok := iterItems(a)
		if !ok {
			return nil, false, nil
		}
		l.Items = append(l.Items, items...)
		return len(items) > 0, true, nil
	case "contains":
		return listIndexOf(l, a) >= 0, true, nil
	case "indexOf":
		return int64(listIndexOf(l, a)), true, nil
	case "lastIndexOf":
		for i := len(l.Items) - 1; i >= 0; i-- {
			if deepEqual(l.Items[i], a) {
				return int64(i), true, nil
			}
		}
		return int64(-1), true, nil
	case "remove":
		return listRemove(l, a)
	case "equals":
		return deepEqual(l, a), true, nil
	}
	return nil, false, nil
}

func listRemove(l *List, a any) (any, bool, error) {
	if i, ok := a.(int64); ok {
		if i < 0 || int(i) >= len(l.Items) {
			return nil, true, errIndex(a, len(l.Items))
		}
		old := l.Items[i]
		l.Items = append(l.Items[:i], l.Items[i+1:]...)
		return old, true, nil
	}
	i := listIndexOf(l, a)
	if i < 0 {
		return false, true, nil
	}
	l.Items = append(l.Items[:i], l.Items[i+1:]...)
	return true, true, nil
}

func listMethod2(l *List, name string, args []any) (any, bool, error) {
	i, ok := toInt(args[0])
	if !ok {
		return nil, false, nil
	}
	switch name {
	case "set":
		if i < 0 || i >= len(l.Items) {
			return nil, true, errIndex(args[0], len(l.Items))
		}
		old := l.Items[i]
		l.Items[i] = args[1]
		return old, true, nil
	case "add":
		if i < 0 || i > len(l.Items) {
			return nil, true, errIndex(args[0], len(l.Items))
		}
		l.Items = append(l.Items, nil)
		copy(l.Items[i+1:], l.Items[i:])
		l.Items[i] = args[1]
		return nil, true, nil
	case "subList":
		j, ok := toInt(args[1])
		if !ok || i < 0 || j > len(l.Items) || i > j {
			return nil, true, errIndex(args[1], len(l.Items))
		}
		return &List{Items: append([]any(nil), l.Items[i:j]...), JSON: l.JSON}, true, nil
	}
	return nil, false, nil
}

func listIndexOf(l *List, a any) int {
	for i, it := range l.Items {
		if deepEqual(it, a) {
			return i
		}
	}
	return -1
}

// CallMapMethod invokes the java.util.Map method name on m, for host
// objects that wrap a Map. handled is false when Map has no such method.
func CallMapMethod(m *Map, name string, args []any) (result any, handled bool, err error) {
	return mapMethod(m, name, args)
}
