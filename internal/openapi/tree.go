package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// kind is the JSON kind of a node.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNum
	kStr
	kMap
	kSeq
)

// node is an ordered JSON value with the position and JSON pointer it was
// read from. Every node of a parsed document knows where it came from, which
// makes the tree the JSON-pointer→position index diagnostics use.
type node struct {
	kind kind
	// text is the string value, or the JSON literal of a bool or number.
	text string
	// keys and kids hold a map's entries in order (keys[i] → kids[i]), or a
	// sequence's items (keys nil).
	keys []string
	kids []*node
	// pos is where the value starts; keyPos where its key is, for map entries.
	pos    apigw.Pos
	keyPos apigw.Pos
	ptr    string
}

// SyntaxError reports input that is not JSON or YAML, with its position.
type SyntaxError struct {
	Pos apigw.Pos
	Msg string
	Err error
}

// Error renders the error as file:line:col: message.
func (e *SyntaxError) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the parser's own error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Limits that keep hostile input (alias bombs, deep nesting) cheap.
const (
	maxNodes = 1 << 20
	maxDepth = 512
)

// get returns the value of key in a map node, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kMap {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.kids[i]
		}
	}
	return nil
}

// str returns the string value of a string node.
func (n *node) str() (string, bool) {
	if n == nil || n.kind != kStr {
		return "", false
	}
	return n.text, true
}

// scalar returns the text of any scalar (string, number or bool).
func (n *node) scalar() (string, bool) {
	if n == nil || n.kind == kMap || n.kind == kSeq || n.kind == kNull {
		return "", false
	}
	return n.text, true
}

// diagPos is where a diagnostic about n points: the key of a collection
// (where the reader looks for it), the value of a scalar.
func (n *node) diagPos() apigw.Pos {
	if (n.kind == kMap || n.kind == kSeq) && n.keyPos.Line > 0 {
		return n.keyPos
	}
	return n.pos
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// unescapePointer reverses escapePointer.
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// lookup resolves a JSON pointer from n.
func (n *node) lookup(ptr string) *node {
	if ptr == "" {
		return n
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil
	}
	cur := n
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapePointer(tok)
		switch {
		case cur == nil:
			return nil
		case cur.kind == kMap:
			cur = cur.get(tok)
		case cur.kind == kSeq:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(cur.kids) {
				return nil
			}
			cur = cur.kids[i]
		default:
			return nil
		}
	}
	return cur
}

// parseDocument parses JSON or YAML into a node tree. Only the first YAML
// document is read; the count of documents is returned so callers can warn.
func parseDocument(file string, data []byte) (root *node, docs int, err error) {
	defer func() {
		// goccy/go-yaml is a third-party parser fed untrusted bytes: a crash
		// in it is reported as unreadable input, never passed on to callers.
		if r := recover(); r != nil {
			root, docs = nil, 0
			err = &SyntaxError{Pos: apigw.Pos{File: file, Line: 1, Col: 1}, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	if strings.HasSuffix(strings.ToLower(file), ".json") {
		// goccy/go-yaml reads JSON as YAML flow style, which forgives
		// mistakes such as {,}; a .json file must be JSON.
		if err := checkJSON(file, data); err != nil {
			return nil, 0, err
		}
	}
	f, perr := parser.ParseBytes(data, 0)
	if perr != nil {
		return nil, 0, syntaxError(file, perr)
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		docs++
		if body == nil {
			body = d.Body
		}
	}
	if body == nil {
		return nil, 0, &SyntaxError{Pos: apigw.Pos{File: file, Line: 1, Col: 1}, Msg: "empty document"}
	}
	b := &builder{file: file, anchors: map[string]ast.Node{}, budget: maxNodes}
	root, err = b.build(body, "", 0)
	return root, docs, err
}

// syntaxError turns a goccy/go-yaml error into a SyntaxError with a position.
func syntaxError(file string, err error) error {
	pos := apigw.Pos{File: file, Line: 1, Col: 1}
	msg := strings.SplitN(err.Error(), "\n", 2)[0]
	var se *yaml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Message
		if se.Token != nil && se.Token.Position != nil {
			pos.Line, pos.Col = se.Token.Position.Line, se.Token.Position.Column
		}
	} else if m := bracketPos.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		pos.Col, _ = strconv.Atoi(m[2])
		msg = strings.TrimSpace(msg[len(m[0]):])
	}
	return &SyntaxError{Pos: pos, Msg: "not valid JSON or YAML: " + msg, Err: err}
}

// checkJSON reports the first JSON syntax error with its line and column.
func checkJSON(file string, data []byte) error {
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return nil
	}
	line, col := lineCol(data, int(se.Offset))
	return &SyntaxError{Pos: apigw.Pos{File: file, Line: line, Col: col}, Msg: "not valid JSON: " + se.Error(), Err: err}
}

// lineCol converts a byte offset into a 1-based line and column; the
// column is that of the last byte read before offset.
func lineCol(data []byte, offset int) (line, col int) {
	if len(data) == 0 {
		return 1, 1
	}
	offset = min(max(offset, 1), len(data))
	before := data[:offset-1]
	line = bytes.Count(before, []byte("\n")) + 1
	col = offset - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

var bracketPos = regexp.MustCompile(`^\[(\d+):(\d+)\]`)

// builder converts a goccy/go-yaml AST into nodes.
type builder struct {
	file    string
	anchors map[string]ast.Node
	budget  int
}

func (b *builder) posOf(t *token.Token) apigw.Pos {
	if t == nil || t.Position == nil {
		return apigw.Pos{File: b.file}
	}
	return apigw.Pos{File: b.file, Line: t.Position.Line, Col: t.Position.Column}
}

func (b *builder) fail(n ast.Node, format string, args ...any) error {
	var t *token.Token
	if n != nil {
		t = n.GetToken()
	}
	return &SyntaxError{Pos: b.posOf(t), Msg: fmt.Sprintf(format, args...)}
}

func (b *builder) build(n ast.Node, ptr string, depth int) (*node, error) {
	b.budget--
	if b.budget < 0 {
		return nil, b.fail(n, "document too large (more than %d values after alias expansion)", maxNodes)
	}
	if depth > maxDepth {
		return nil, b.fail(n, "document nested deeper than %d levels", maxDepth)
	}
	if n == nil {
		return &node{kind: kNull, ptr: ptr, pos: apigw.Pos{File: b.file}}, nil
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		return b.build(x.Body, ptr, depth+1)
	case *ast.AnchorNode:
		if x.Name != nil {
			b.anchors[x.Name.GetToken().Value] = x.Value
		}
		return b.build(x.Value, ptr, depth+1)
	case *ast.AliasNode:
		return b.alias(x, ptr, depth)
	case *ast.TagNode:
		return b.build(x.Value, ptr, depth+1)
	case *ast.MappingNode:
		return b.mapping(n, x.Values, ptr, depth)
	case *ast.MappingValueNode:
		return b.mapping(n, []*ast.MappingValueNode{x}, ptr, depth)
	case *ast.SequenceNode:
		return b.sequence(x, ptr, depth)
	}
	return b.scalarNode(n, ptr)
}

func (b *builder) alias(x *ast.AliasNode, ptr string, depth int) (*node, error) {
	name := ""
	if x.Value != nil {
		name = x.Value.GetToken().Value
	}
	target, ok := b.anchors[name]
	if !ok {
		return nil, b.fail(x, "unknown alias *%s", name)
	}
	return b.build(target, ptr, depth+1)
}

func (b *builder) scalarNode(n ast.Node, ptr string) (*node, error) {
	out := &node{ptr: ptr, pos: b.posOf(n.GetToken())}
	switch x := n.(type) {
	case *ast.StringNode:
		out.kind, out.text = kStr, x.Value
	case *ast.LiteralNode:
		out.kind = kStr
		if x.Value != nil {
			out.text = x.Value.Value
		}
	case *ast.IntegerNode:
		out.kind, out.text = kNum, numberText(x.Token, x.Value)
	case *ast.FloatNode:
		out.kind, out.text = kNum, numberText(x.Token, x.Value)
	case *ast.BoolNode:
		out.kind, out.text = kBool, strconv.FormatBool(x.Value)
	case *ast.NullNode:
		out.kind = kNull
	case *ast.InfinityNode, *ast.NanNode:
		out.kind, out.text = kStr, n.GetToken().Value
	default:
		return nil, b.fail(n, "unsupported YAML node %s", n.Type())
	}
	return out, nil
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// numberText keeps the number as written when it is a JSON number (2.50
// stays 2.50), else renders the YAML value (0x1F becomes 31).
func numberText(t *token.Token, v any) string {
	if t != nil && jsonNumber.MatchString(t.Value) {
		return t.Value
	}
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func (b *builder) sequence(x *ast.SequenceNode, ptr string, depth int) (*node, error) {
	out := &node{kind: kSeq, ptr: ptr, pos: b.posOf(x.GetToken())}
	for i, v := range x.Values {
		kid, err := b.build(v, ptr+"/"+strconv.Itoa(i), depth+1)
		if err != nil {
			return nil, err
		}
		out.kids = append(out.kids, kid)
	}
	return out, nil
}

func (b *builder) mapping(n ast.Node, pairs []*ast.MappingValueNode, ptr string, depth int) (*node, error) {
	out := &node{kind: kMap, ptr: ptr, pos: b.posOf(n.GetToken())}
	if mn, flow := n.(*ast.MappingNode); (!flow || !mn.IsFlowStyle) && len(pairs) > 0 && pairs[0] != nil && pairs[0].Key != nil {
		// A block mapping starts at its first key; a flow mapping at its {.
		out.pos = b.posOf(pairs[0].Key.GetToken())
	}
	for _, p := range pairs {
		if p == nil || p.Key == nil {
			continue
		}
		if p.Key.IsMergeKey() {
			if err := b.merge(out, p.Value, ptr, depth); err != nil {
				return nil, err
			}
			continue
		}
		key, err := b.keyText(p.Key, ptr, depth)
		if err != nil {
			return nil, err
		}
		kid, err := b.build(p.Value, ptr+"/"+escapePointer(key), depth+1)
		if err != nil {
			return nil, err
		}
		kid.keyPos = b.posOf(p.Key.GetToken())
		out.put(key, kid)
	}
	return out, nil
}

// put sets key, replacing an earlier duplicate (the last one wins, as in
// most JSON decoders).
func (n *node) put(key string, v *node) {
	for i, k := range n.keys {
		if k == key {
			n.kids[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.kids = append(n.kids, v)
}

// merge applies a YAML merge key (<<): entries not already present are added.
func (b *builder) merge(out *node, v ast.Node, ptr string, depth int) error {
	src, err := b.build(v, ptr, depth+1)
	if err != nil {
		return err
	}
	maps := []*node{src}
	if src.kind == kSeq {
		maps = src.kids
	}
	for _, m := range maps {
		if m.kind != kMap {
			return b.fail(v, "merge key (<<) needs a mapping")
		}
		for i, k := range m.keys {
			if out.get(k) == nil {
				out.keys = append(out.keys, k)
				out.kids = append(out.kids, m.kids[i])
			}
		}
	}
	return nil
}

func (b *builder) keyText(k ast.MapKeyNode, ptr string, depth int) (string, error) {
	switch x := k.(type) {
	case *ast.StringNode:
		return x.Value, nil
	case *ast.MappingKeyNode:
		v, err := b.build(x.Value, ptr, depth+1)
		if err != nil {
			return "", err
		}
		if s, ok := v.scalar(); ok {
			return s, nil
		}
		return "", b.fail(x, "mapping keys must be scalars")
	}
	v, err := b.build(k, ptr, depth+1)
	if err != nil {
		return "", err
	}
	if v.kind == kNull {
		return "null", nil
	}
	if s, ok := v.scalar(); ok {
		return s, nil
	}
	return "", b.fail(k, "mapping keys must be scalars")
}

// ---- JSON rendering and decoding of nodes ----

// encodeJSON renders n as JSON; indent "" gives compact output.
func encodeJSON(n *node, indent string) []byte {
	var buf bytes.Buffer
	writeJSON(&buf, n, indent, "")
	return buf.Bytes()
}

func writeJSON(buf *bytes.Buffer, n *node, indent, prefix string) {
	if n == nil {
		buf.WriteString("null")
		return
	}
	switch n.kind {
	case kNull:
		buf.WriteString("null")
	case kBool, kNum:
		buf.WriteString(n.text)
	case kStr:
		buf.Write(quoteJSON(n.text))
	case kSeq:
		writeCollection(buf, n, indent, prefix, '[', ']')
	case kMap:
		writeCollection(buf, n, indent, prefix, '{', '}')
	}
}

func writeCollection(buf *bytes.Buffer, n *node, indent, prefix string, open, closing byte) {
	buf.WriteByte(open)
	if len(n.kids) == 0 {
		buf.WriteByte(closing)
		return
	}
	inner := prefix + indent
	for i, kid := range n.kids {
		if i > 0 {
			buf.WriteByte(',')
		}
		if indent != "" {
			buf.WriteString("\n" + inner)
		}
		if n.kind == kMap {
			buf.Write(quoteJSON(n.keys[i]))
			buf.WriteByte(':')
			if indent != "" {
				buf.WriteByte(' ')
			}
		}
		writeJSON(buf, kid, indent, inner)
	}
	if indent != "" {
		buf.WriteString("\n" + prefix)
	}
	buf.WriteByte(closing)
}

// quoteJSON quotes s as a JSON string without HTML escaping (AWS exports
// "<html>" as is).
func quoteJSON(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// decodeJSON reads JSON into nodes, keeping key order.
func decodeJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode JSON: trailing data")
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return decodeObject(dec, depth)
		}
		return decodeArray(dec, depth)
	case string:
		return &node{kind: kStr, text: t}, nil
	case json.Number:
		return &node{kind: kNum, text: t.String()}, nil
	case bool:
		return &node{kind: kBool, text: strconv.FormatBool(t)}, nil
	}
	return &node{kind: kNull}, nil
}

func decodeObject(dec *json.Decoder, depth int) (*node, error) {
	out := &node{kind: kMap}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		v, err := decodeValue(dec, depth+1)
		if err != nil {
			return nil, err
		}
		out.put(key, v)
	}
	_, err := dec.Token()
	return out, err
}

func decodeArray(dec *json.Decoder, depth int) (*node, error) {
	out := &node{kind: kSeq}
	for dec.More() {
		v, err := decodeValue(dec, depth+1)
		if err != nil {
			return nil, err
		}
		out.kids = append(out.kids, v)
	}
	_, err := dec.Token()
	return out, err
}

// ---- building nodes for export ----

func newMap() *node          { return &node{kind: kMap} }
func newSeq() *node          { return &node{kind: kSeq} }
func strNode(s string) *node { return &node{kind: kStr, text: s} }
func boolNode(b bool) *node  { return &node{kind: kBool, text: strconv.FormatBool(b)} }
func intNode(i int) *node    { return &node{kind: kNum, text: strconv.Itoa(i)} }
func (n *node) add(v *node)  { n.kids = append(n.kids, v) }
func (n *node) set(k string, v *node) {
	if v != nil {
		n.put(k, v)
	}
}

// del removes key from a map node.
func (n *node) del(key string) {
	for i, k := range n.keys {
		if k == key {
			n.keys = append(n.keys[:i:i], n.keys[i+1:]...)
			n.kids = append(n.kids[:i:i], n.kids[i+1:]...)
			return
		}
	}
}

// clone copies n deeply (positions included).
func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	c.keys = append([]string(nil), n.keys...)
	c.kids = make([]*node, len(n.kids))
	for i, k := range n.kids {
		c.kids[i] = k.clone()
	}
	return &c
}

// sortKeys orders a map node's top-level keys alphabetically.
func (n *node) sortKeys() {
	idx := make([]int, len(n.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return n.keys[idx[a]] < n.keys[idx[b]] })
	keys := make([]string, len(idx))
	kids := make([]*node, len(idx))
	for i, j := range idx {
		keys[i], kids[i] = n.keys[j], n.kids[j]
	}
	n.keys, n.kids = keys, kids
}

// stringSeq builds a sequence of strings.
func stringSeq(ss []string) *node {
	out := newSeq()
	for _, s := range ss {
		out.add(strNode(s))
	}
	return out
}

// rawNode decodes raw JSON held by the model; invalid JSON becomes a string
// so that export never fails on a hand-built model.
func rawNode(raw []byte) *node {
	n, err := decodeJSON(raw)
	if err != nil {
		return strNode(string(raw))
	}
	return n
}

// isTrue reports whether n is the boolean true (or the string "true").
func (n *node) isTrue() bool {
	return n != nil && (n.kind == kBool || n.kind == kStr) && n.text == "true"
}
