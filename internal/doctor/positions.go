package doctor

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/archway-gw/archway/internal/apigw"
)

// docNode is one value of a definition document with the place it was read
// from: the doctor's own JSON-pointer index, so that a finding about any
// node (a timeout, a template, an authorizer field) points at its line.
type docNode struct {
	pos    apigw.Pos // where the value starts
	keyPos apigw.Pos // where its key is, for map entries
	text   string    // scalar text
	scalar bool
	// block is set for a YAML block scalar (| or >): its content starts on
	// the line after pos.
	block bool
	keys  []string // map keys in order
	kids  map[string]*docNode
	items []*docNode // sequence items
}

// at is where a finding about n points: the key of a map entry (where a
// reader looks for it), else the value.
func (n *docNode) at() apigw.Pos {
	if n == nil {
		return apigw.Pos{}
	}
	if n.keyPos.Line > 0 && !n.scalar {
		return n.keyPos
	}
	return n.pos
}

// get returns the child under key, or nil.
func (n *docNode) get(key string) *docNode {
	if n == nil || n.kids == nil {
		return nil
	}
	return n.kids[key]
}

// itemsOrNil returns the items of a sequence node (nil otherwise).
func (n *docNode) itemsOrNil() []*docNode {
	if n == nil {
		return nil
	}
	return n.items
}

// lookup walks plain (unescaped) keys from n.
func (n *docNode) lookup(keys ...string) *docNode {
	cur := n
	for _, k := range keys {
		if cur == nil {
			return nil
		}
		if cur.items != nil {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(cur.items) {
				return nil
			}
			cur = cur.items[i]
			continue
		}
		cur = cur.get(k)
	}
	return cur
}

// maxDocNodes bounds the index of a hostile document (alias bombs).
const maxDocNodes = 1 << 20

// indexFile parses a definition file (JSON or YAML) into a docNode tree.
func indexFile(path string) (root *docNode, err error) {
	root, _, err = indexFileLines(path)
	return root, err
}

// indexFileLines is indexFile that also returns the file's lines.
func indexFileLines(path string) (*docNode, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	root, err := indexBytes(path, data)
	return root, strings.Split(string(data), "\n"), err
}

// inBlock maps a line:col of the value of a literal block scalar (|) to
// its place in the file; ok is false for any other node (a quoted or
// folded value does not keep the file's lines).
func (n *docNode) inBlock(lines []string, line, col int) (apigw.Pos, bool) {
	if n == nil || !n.block || n.pos.Line < 1 || n.pos.Line > len(lines) {
		return apigw.Pos{}, false
	}
	head := lines[n.pos.Line-1]
	if n.pos.Col < 1 || n.pos.Col > len(head) || head[n.pos.Col-1] != '|' {
		return apigw.Pos{}, false
	}
	indent := -1
	for i := n.pos.Line; i < len(lines); i++ { // the first content line sets the indentation
		if t := strings.TrimLeft(lines[i], " "); t != "" {
			indent = len(lines[i]) - len(t)
			break
		}
	}
	value := strings.Split(strings.TrimSuffix(n.text, "\n"), "\n")
	if line > len(value) { // the end of the template, after its last newline
		line, col = len(value), len(value[len(value)-1])+1
	}
	at := n.pos.Line + line
	if indent < 0 || at > len(lines) {
		return apigw.Pos{}, false
	}
	return apigw.Pos{File: n.pos.File, Line: at, Col: indent + col}, true
}

func indexBytes(file string, data []byte) (root *docNode, err error) {
	defer func() {
		// A crash of the third-party parser is unreadable input, not ours.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("%s: YAML parser failed: %v", file, r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			b := &indexer{file: file, anchors: map[string]ast.Node{}, budget: maxDocNodes}
			return b.build(d.Body, 0), nil
		}
	}
	return nil, fmt.Errorf("%s: empty document", file)
}

type indexer struct {
	file    string
	anchors map[string]ast.Node
	budget  int
}

func (b *indexer) pos(n ast.Node) apigw.Pos {
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return apigw.Pos{File: b.file}
	}
	p := n.GetToken().Position
	return apigw.Pos{File: b.file, Line: p.Line, Col: p.Column}
}

func (b *indexer) build(n ast.Node, depth int) *docNode {
	b.budget--
	if n == nil || b.budget < 0 || depth > 512 {
		return &docNode{scalar: true}
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		return b.build(x.Body, depth+1)
	case *ast.AnchorNode:
		if x.Name != nil {
			b.anchors[x.Name.GetToken().Value] = x.Value
		}
		return b.build(x.Value, depth+1)
	case *ast.AliasNode:
		if x.Value != nil {
			if t, ok := b.anchors[x.Value.GetToken().Value]; ok {
				return b.build(t, depth+1)
			}
		}
		return &docNode{scalar: true, pos: b.pos(n)}
	case *ast.TagNode:
		return b.build(x.Value, depth+1)
	case *ast.MappingNode:
		return b.mapping(n, x.Values, depth)
	case *ast.MappingValueNode:
		return b.mapping(n, []*ast.MappingValueNode{x}, depth)
	case *ast.SequenceNode:
		out := &docNode{pos: b.pos(n), items: []*docNode{}}
		for _, v := range x.Values {
			out.items = append(out.items, b.build(v, depth+1))
		}
		return out
	case *ast.StringNode:
		return &docNode{scalar: true, text: x.Value, pos: b.pos(n)}
	case *ast.LiteralNode:
		out := &docNode{scalar: true, block: true, pos: b.pos(n)}
		if x.Value != nil {
			out.text = x.Value.Value
		}
		return out
	case *ast.NullNode:
		return &docNode{scalar: true, pos: b.pos(n)}
	}
	out := &docNode{scalar: true, pos: b.pos(n)}
	if t := n.GetToken(); t != nil {
		out.text = t.Value
	}
	return out
}

func (b *indexer) mapping(n ast.Node, pairs []*ast.MappingValueNode, depth int) *docNode {
	out := &docNode{pos: b.pos(n), kids: map[string]*docNode{}}
	for _, p := range pairs {
		if p == nil || p.Key == nil {
			continue
		}
		if p.Key.IsMergeKey() {
			src := b.build(p.Value, depth+1)
			maps := []*docNode{src}
			if src.items != nil {
				maps = src.items
			}
			for _, m := range maps {
				for _, k := range m.keys {
					if _, dup := out.kids[k]; !dup {
						out.keys = append(out.keys, k)
						out.kids[k] = m.kids[k]
					}
				}
			}
			continue
		}
		key := b.keyText(p.Key, depth)
		kid := b.build(p.Value, depth+1)
		kid.keyPos = b.pos(p.Key)
		if _, dup := out.kids[key]; !dup {
			out.keys = append(out.keys, key)
		}
		out.kids[key] = kid
	}
	return out
}

func (b *indexer) keyText(k ast.MapKeyNode, depth int) string {
	switch x := k.(type) {
	case *ast.StringNode:
		return x.Value
	case *ast.MappingKeyNode:
		return strings.TrimSpace(b.build(x.Value, depth+1).text)
	}
	if t := k.GetToken(); t != nil {
		return t.Value
	}
	return ""
}
