package vtl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxTemplateSize is the largest template Parse accepts: AWS limits
// mapping templates to 300 KB.
const DefaultMaxTemplateSize = 300 * 1024

// maxNesting bounds block and expression nesting so that hostile templates
// cannot exhaust the stack.
const maxNesting = 200

// ErrTemplateTooLarge is wrapped by the ParseError for an oversized template.
var ErrTemplateTooLarge = errors.New("template too large")

// ParseError is a template syntax error at Line:Col (1-based; Col counts
// characters).
type ParseError struct {
	Template string
	Line     int
	Col      int
	Msg      string
	Err      error
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Template, e.Line, e.Col, e.Msg)
}

// Unwrap returns the underlying cause, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// Template is a parsed template. It is immutable and safe for concurrent
// use by many executions.
type Template struct {
	name   string
	src    string
	root   []node
	macros map[string]*macroDef
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

// Parse compiles src, which must be at most DefaultMaxTemplateSize bytes.
func Parse(name, src string) (*Template, error) {
	return ParseSize(name, src, DefaultMaxTemplateSize)
}

// ParseSize is Parse with an explicit template size limit in bytes
// (<= 0 means no limit).
func ParseSize(name, src string, maxSize int) (*Template, error) {
	t := &Template{name: name, src: src, macros: map[string]*macroDef{}}
	if maxSize > 0 && len(src) > maxSize {
		return nil, &ParseError{Template: name, Line: 1, Col: 1,
			Msg: fmt.Sprintf("template is %d bytes, limit %d", len(src), maxSize), Err: ErrTemplateTooLarge}
	}
	p := &parser{t: t, src: src}
	nodes, term, err := p.block()
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, p.errAt(p.termPos, "unexpected #"+term)
	}
	t.root = nodes
	return t, nil
}

// position converts a byte offset into 1-based line and column.
func (t *Template) position(p pos) (line, col int) {
	off := int(p)
	if off > len(t.src) {
		off = len(t.src)
	}
	if off < 0 {
		off = 0
	}
	line = 1 + strings.Count(t.src[:off], "\n")
	start := strings.LastIndexByte(t.src[:off], '\n') + 1
	col = 1 + utf8.RuneCountInString(t.src[start:off])
	return line, col
}

type parser struct {
	t       *Template
	src     string
	i       int
	base    int // offset of src inside the template (interpolated strings)
	depth   int
	termPos pos
}

func (p *parser) pos() pos { return pos(p.base + p.i) }

func (p *parser) errAt(at pos, msg string) error {
	line, col := p.t.position(at)
	return &ParseError{Template: p.t.name, Line: line, Col: col, Msg: msg}
}

func (p *parser) errf(format string, args ...any) error {
	return p.errAt(p.pos(), fmt.Sprintf(format, args...))
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxNesting {
		return p.errf("nesting too deep")
	}
	return nil
}

func (p *parser) peek(off int) byte {
	if p.i+off < len(p.src) {
		return p.src[p.i+off]
	}
	return 0
}

func appendText(nodes []node, at pos, s string) []node {
	if s == "" {
		return nodes
	}
	if n := len(nodes); n > 0 {
		if tn, ok := nodes[n-1].(*textNode); ok {
			tn.text += s
			return nodes
		}
	}
	return append(nodes, &textNode{p: at, text: s})
}

// block parses statements until EOF or a terminating #else, #elseif or
// #end, whose name it returns (the directive itself is consumed, its
// arguments are not).
func (p *parser) block() ([]node, string, error) {
	if err := p.enter(); err != nil {
		return nil, "", err
	}
	defer func() { p.depth-- }()
	var nodes []node
	for p.i < len(p.src) {
		if p.atSetWithSpace() {
			n, err := p.set()
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, n)
			continue
		}
		switch p.src[p.i] {
		case '#':
			n, text, term, err := p.hash()
			if err != nil {
				return nil, "", err
			}
			if term != "" {
				return nodes, term, nil
			}
			nodes = appendText(nodes, p.pos(), text)
			if n != nil {
				nodes = append(nodes, n)
			}
		case '$':
			at := p.pos()
			n, text, err := p.reference(0)
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				nodes = append(nodes, n)
			} else {
				nodes = appendText(nodes, at, text)
			}
		case '\\':
			at := p.pos()
			n, text, err := p.backslashes()
			if err != nil {
				return nil, "", err
			}
			nodes = appendText(nodes, at, text)
			if n != nil {
				nodes = append(nodes, n)
			}
		default:
			at := p.pos()
			j := p.i
			for j < len(p.src) && p.src[j] != '#' && p.src[j] != '$' && p.src[j] != '\\' {
				j++
			}
			nodes = appendText(nodes, at, p.src[p.i:j])
			p.i = j
		}
	}
	return nodes, "", nil
}

// atSetWithSpace reports whether the input is [ \t]*#set *( or
// [ \t]*#{set} *( : #set swallows the blanks before it.
func (p *parser) atSetWithSpace() bool {
	j := p.i
	for j < len(p.src) && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	rest := p.src[j:]
	var after string
	switch {
	case strings.HasPrefix(rest, "#set"):
		after = rest[4:]
	case strings.HasPrefix(rest, "#{set}"):
		after = rest[6:]
	default:
		return false
	}
	after = strings.TrimLeft(after, " ")
	if strings.HasPrefix(after, "(") {
		p.i = j
		return true
	}
	return false
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '-'
}
func isDirChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '@' }

// directiveWord reads the name after '#' at p.i: word or {word}. It
// returns the name, the length of the source it spans (from '#') and
// whether it was found.
func (p *parser) directiveWord() (string, int, bool) {
	j := p.i + 1
	bracketed := j < len(p.src) && p.src[j] == '{'
	if bracketed {
		j++
	}
	start := j
	if j >= len(p.src) || !(isLetter(p.src[j]) || p.src[j] == '_' || (!bracketed && p.src[j] == '@')) {
		return "", 0, false
	}
	for j < len(p.src) && isDirChar(p.src[j]) {
		j++
	}
	name := p.src[start:j]
	if bracketed {
		if j >= len(p.src) || p.src[j] != '}' {
			return "", 0, false
		}
		j++
	}
	return name, j - p.i, true
}

var builtinDirectives = map[string]bool{
	"if": true, "elseif": true, "else": true, "end": true, "set": true,
	"foreach": true, "define": true, "macro": true, "break": true, "stop": true,
	"include": true, "parse": true, "evaluate": true,
}

func (p *parser) isDirectiveName(name string) bool {
	if builtinDirectives[name] {
		return true
	}
	_, ok := p.t.macros[name]
	return ok
}

// hash handles '#' at p.i: comments, text blocks and directives. It
// returns a node or literal text, or the name of a block terminator.
func (p *parser) hash() (node, string, string, error) {
	start := p.pos()
	switch {
	case strings.HasPrefix(p.src[p.i:], "##"):
		p.skipLineComment()
		return nil, "", "", nil
	case strings.HasPrefix(p.src[p.i:], "#*"):
		end := strings.Index(p.src[p.i+2:], "*#")
		if end < 0 {
			return nil, "", "", p.errf("unterminated comment")
		}
		p.i += 2 + end + 2
		return nil, "", "", nil
	case strings.HasPrefix(p.src[p.i:], "#[["):
		end := strings.Index(p.src[p.i+3:], "]]#")
		if end < 0 {
			return nil, "", "", p.errf("unterminated #[[ text block")
		}
		text := p.src[p.i+3 : p.i+3+end]
		p.i += 3 + end + 3
		return nil, text, "", nil
	}
	name, n, ok := p.directiveWord()
	if !ok {
		p.i++
		return nil, "#", "", nil
	}
	switch name {
	case "else", "end":
		p.i += n
		p.eatLineEnd()
		p.termPos = start
		return nil, "", name, nil
	case "elseif":
		p.i += n
		p.termPos = start
		return nil, "", name, nil
	case "set":
		p.i += n
		if !strings.HasPrefix(strings.TrimLeft(p.src[p.i:], " "), "(") {
			return nil, p.src[int(start)-p.base : p.i], "", nil
		}
		p.i = int(start) - p.base
		nd, err := p.set()
		return nd, "", "", err
	}
	p.i += n
	nd, text, err := p.directive(name, start)
	return nd, text, "", err
}

func (p *parser) skipLineComment() {
	j := strings.IndexAny(p.src[p.i:], "\r\n")
	if j < 0 {
		p.i = len(p.src)
		return
	}
	p.i += j
	if strings.HasPrefix(p.src[p.i:], "\r\n") {
		p.i += 2
	} else {
		p.i++
	}
}

// eatLineEnd consumes [ \t]* and a line break, if a line break follows the
// blanks.
func (p *parser) eatLineEnd() {
	j := p.i
	for j < len(p.src) && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	switch {
	case strings.HasPrefix(p.src[j:], "\r\n"):
		p.i = j + 2
	case j < len(p.src) && (p.src[j] == '\n' || p.src[j] == '\r'):
		p.i = j + 1
	}
}

// directive parses the directive called name; p.i is just after its name.
func (p *parser) directive(name string, start pos) (node, string, error) {
	switch name {
	case "if":
		return p.ifDirective(start)
	case "foreach":
		return p.foreach(start)
	case "define":
		return p.define(start)
	case "macro":
		return p.macro(start)
	case "break", "stop":
		if p.atLeftParen() {
			if _, err := p.directiveArgs(); err != nil {
				return nil, "", err
			}
		}
		if name == "break" {
			return &breakNode{p: start}, "", nil
		}
		return &stopNode{p: start}, "", nil
	case "include", "parse", "evaluate":
		return nil, "", p.errAt(start, "#"+name+" is not supported")
	}
	return p.macroCall(name, start)
}

// macroCall parses #name(args). Without parentheses, or with arguments
// that do not parse, the text is literal, as for unknown directives.
func (p *parser) macroCall(name string, start pos) (node, string, error) {
	lit := p.src[int(start)-p.base : p.i]
	if !p.atLeftParen() {
		return nil, lit, nil
	}
	save, saveDepth := p.i, p.depth
	args, err := p.directiveArgs()
	if err != nil {
		p.i, p.depth = save, saveDepth
		return nil, lit, nil
	}
	return &macroCallNode{p: start, name: name, args: args, literal: p.src[int(start)-p.base : p.i]}, "", nil
}

// atLeftParen reports whether only whitespace separates p.i from '('.
func (p *parser) atLeftParen() bool {
	j := p.i
	for j < len(p.src) && isSpace(p.src[j]) {
		j++
	}
	return j < len(p.src) && p.src[j] == '('
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.i < len(p.src) && isSpace(p.src[p.i]) {
		p.i++
	}
}

func (p *parser) expect(c byte) error {
	p.skipSpace()
	if p.i >= len(p.src) || p.src[p.i] != c {
		if p.i >= len(p.src) {
			return p.errf("expected %q, found end of template", c)
		}
		return p.errf("expected %q, found %q", c, p.src[p.i])
	}
	p.i++
	return nil
}

// closeDirective consumes the ')' that ends a directive's arguments and,
// as Velocity does, the blanks and line break that follow it.
func (p *parser) closeDirective() error {
	if err := p.expect(')'); err != nil {
		return err
	}
	p.eatLineEnd()
	return nil
}

// directiveArgs parses ( arg arg ... ) of a macro call or #break/#stop:
// expressions or bare words, separated by blanks or commas.
func (p *parser) directiveArgs() ([]expr, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var args []expr
	for {
		p.skipSpace()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.src) && p.src[p.i] == ')' {
			break
		}
		if p.i >= len(p.src) {
			return nil, p.errf("unterminated directive arguments")
		}
		if isLetter(p.src[p.i]) && !p.atKeyword("true") && !p.atKeyword("false") {
			at := p.pos()
			w := p.word()
			args = append(args, &litExpr{p: at, v: w})
			continue
		}
		e, err := p.primary()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	return args, p.closeDirective()
}

func (p *parser) word() string {
	j := p.i
	for j < len(p.src) && isDirChar(p.src[j]) {
		j++
	}
	w := p.src[p.i:j]
	p.i = j
	return w
}

func (p *parser) set() (node, error) {
	start := p.pos()
	// p.i is at '#'
	if strings.HasPrefix(p.src[p.i:], "#{set}") {
		p.i += 6
	} else {
		p.i += 4
	}
	if err := p.expect('('); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i >= len(p.src) || p.src[p.i] != '$' {
		return nil, p.errf("#set needs a reference on its left side")
	}
	lhs, err := p.refExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expect('='); err != nil {
		return nil, err
	}
	v, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.closeDirective(); err != nil {
		return nil, err
	}
	return &setNode{p: start, target: lhs, value: v}, nil
}

func (p *parser) condition() (expr, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	c, err := p.expr()
	if err != nil {
		return nil, err
	}
	return c, p.closeDirective()
}

func (p *parser) ifDirective(start pos) (node, string, error) {
	n := &ifNode{p: start}
	c, err := p.condition()
	if err != nil {
		return nil, "", err
	}
	for {
		body, term, err := p.block()
		if err != nil {
			return nil, "", err
		}
		n.conds = append(n.conds, c)
		n.blocks = append(n.blocks, body)
		switch term {
		case "end":
			return n, "", nil
		case "else":
			els, term, err := p.block()
			if err != nil {
				return nil, "", err
			}
			if term != "end" {
				return nil, "", p.missingEnd("#if", start, term)
			}
			if els == nil {
				els = []node{}
			}
			n.els = els
			return n, "", nil
		case "elseif":
			if c, err = p.condition(); err != nil {
				return nil, "", err
			}
		default:
			return nil, "", p.missingEnd("#if", start, term)
		}
	}
}

func (p *parser) missingEnd(what string, start pos, term string) error {
	if term == "" {
		line, col := p.t.position(start)
		return p.errf("missing #end for %s at %d:%d", what, line, col)
	}
	return p.errAt(p.termPos, "unexpected #"+term+" in "+what)
}

func (p *parser) body(what string, start pos) ([]node, error) {
	b, term, err := p.block()
	if err != nil {
		return nil, err
	}
	if term != "end" {
		return nil, p.missingEnd(what, start, term)
	}
	return b, nil
}

// varName parses $name or ${name} (a plain variable, no chain).
func (p *parser) varName() (string, error) {
	p.skipSpace()
	if p.i >= len(p.src) || p.src[p.i] != '$' {
		return "", p.errf("expected a $variable")
	}
	r, err := p.refExpr()
	if err != nil {
		return "", err
	}
	if len(r.chain) > 0 {
		return "", p.errAt(r.p, "expected a plain $variable")
	}
	return r.root, nil
}

func (p *parser) foreach(start pos) (node, string, error) {
	if err := p.expect('('); err != nil {
		return nil, "", err
	}
	name, err := p.varName()
	if err != nil {
		return nil, "", err
	}
	p.skipSpace()
	if !p.atKeyword("in") {
		return nil, "", p.errf("expected 'in' in #foreach")
	}
	p.i += 2
	iter, err := p.expr()
	if err != nil {
		return nil, "", err
	}
	if err := p.closeDirective(); err != nil {
		return nil, "", err
	}
	b, err := p.body("#foreach", start)
	if err != nil {
		return nil, "", err
	}
	return &foreachNode{p: start, name: name, iter: iter, body: b}, "", nil
}

func (p *parser) define(start pos) (node, string, error) {
	if err := p.expect('('); err != nil {
		return nil, "", err
	}
	name, err := p.varName()
	if err != nil {
		return nil, "", err
	}
	if err := p.closeDirective(); err != nil {
		return nil, "", err
	}
	b, err := p.body("#define", start)
	if err != nil {
		return nil, "", err
	}
	return &defineNode{p: start, name: name, body: b}, "", nil
}

func (p *parser) macro(start pos) (node, string, error) {
	if err := p.expect('('); err != nil {
		return nil, "", err
	}
	p.skipSpace()
	if p.i >= len(p.src) || !(isLetter(p.src[p.i]) || p.src[p.i] == '_') {
		return nil, "", p.errf("#macro needs a name")
	}
	name := p.word()
	def := &macroDef{}
	for {
		p.skipSpace()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			continue
		}
		if p.i >= len(p.src) || p.src[p.i] != '$' {
			break
		}
		v, err := p.varName()
		if err != nil {
			return nil, "", err
		}
		def.params = append(def.params, v)
	}
	if err := p.closeDirective(); err != nil {
		return nil, "", err
	}
	p.t.macros[name] = def // registered before the body: recursion works
	b, err := p.body("#macro", start)
	if err != nil {
		return nil, "", err
	}
	def.body = b
	return nil, "", nil
}

// backslashes handles a run of '\' at p.i, which escapes a following
// reference or directive.
func (p *parser) backslashes() (node, string, error) {
	j := p.i
	for j < len(p.src) && p.src[j] == '\\' {
		j++
	}
	n := j - p.i
	if j < len(p.src) && p.src[j] == '$' {
		p.i = j
		ref, text, err := p.reference(n)
		if err != nil {
			return nil, "", err
		}
		if ref == nil {
			return nil, strings.Repeat(`\`, n) + text, nil
		}
		return ref, "", nil
	}
	if j < len(p.src) && p.src[j] == '#' {
		save := p.i
		p.i = j
		name, wl, ok := p.directiveWord()
		if ok && p.isDirectiveName(name) {
			half := strings.Repeat(`\`, n/2)
			if n%2 == 1 {
				text := half + p.src[j:j+wl]
				p.i = j + wl
				return nil, text, nil
			}
			return nil, half, nil // the directive itself is parsed next
		}
		p.i = save
	}
	p.i = j
	return nil, p.src[j-n : j], nil
}

// reference parses a reference in template text at p.i ('$'), preceded by
// nBackslash backslashes. When the text is not a reference it returns the
// literal text it consumed instead.
func (p *parser) reference(nBackslash int) (node, string, error) {
	start := p.pos()
	j := p.i + 1
	if j < len(p.src) && p.src[j] == '!' {
		j++
	}
	formal := j < len(p.src) && p.src[j] == '{'
	if formal {
		j++
	}
	if j >= len(p.src) || !(isLetter(p.src[j]) || p.src[j] == '_') {
		p.i = j
		if formal {
			p.i-- // leave '{' as text
		}
		return nil, p.src[int(start)-p.base : p.i], nil
	}
	ref, err := p.refExpr()
	if err != nil {
		return nil, "", err
	}
	n := &refNode{p: start, ref: ref}
	if formal {
		if n.alt, err = p.alternate(); err != nil {
			return nil, "", err
		}
	}
	n.literal = p.src[int(start)-p.base : p.i]
	n.escaped = nBackslash%2 == 1
	n.escPrefix = strings.Repeat(`\`, nBackslash/2)
	return n, "", nil
}

// alternate parses the optional |alt and the closing '}' of ${...}.
func (p *parser) alternate() (expr, error) {
	if p.i < len(p.src) && p.src[p.i] == '|' {
		p.i++
		alt, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.src) || p.src[p.i] != '}' {
			return nil, p.errf("expected '}' to close ${")
		}
		p.i++
		return alt, nil
	}
	return nil, nil
}

// refExpr parses $x.a.b(args)[i] at p.i ('$'), including ${...}, but not
// the alternate value.
func (p *parser) refExpr() (*refExpr, error) {
	start := p.pos()
	p.i++ // $
	if p.i < len(p.src) && p.src[p.i] == '!' {
		p.i++
	}
	formal := p.i < len(p.src) && p.src[p.i] == '{'
	if formal {
		p.i++
	}
	if p.i >= len(p.src) || !(isLetter(p.src[p.i]) || p.src[p.i] == '_') {
		return nil, p.errf("expected an identifier after $")
	}
	r := &refExpr{p: start, root: p.ident()}
	if err := p.chain(r); err != nil {
		return nil, err
	}
	if formal {
		if p.i < len(p.src) && p.src[p.i] == '|' {
			r.lit = p.src[int(start)-p.base:p.i] + "}"
			return r, nil // alternate value: the caller continues
		}
		if p.i >= len(p.src) || p.src[p.i] != '}' {
			return nil, p.errf("expected '}' to close ${")
		}
		p.i++
	}
	r.lit = p.src[int(start)-p.base : p.i]
	return r, nil
}

func (p *parser) ident() string {
	j := p.i
	for j < len(p.src) && isIdentChar(p.src[j]) {
		j++
	}
	s := p.src[p.i:j]
	p.i = j
	return s
}

func (p *parser) chain(r *refExpr) error {
	if err := p.enter(); err != nil {
		return err
	}
	defer func() { p.depth-- }()
	for p.i < len(p.src) {
		at := p.pos()
		switch {
		case p.src[p.i] == '[':
			p.i++
			idx, err := p.expr()
			if err != nil {
				return err
			}
			if err := p.expect(']'); err != nil {
				return err
			}
			r.chain = append(r.chain, accessor{p: at, kind: accIndex, args: []expr{idx}})
		case p.src[p.i] == '.' && isLetter(p.peek(1)):
			p.i++
			name := p.ident()
			if p.i < len(p.src) && p.src[p.i] == '(' {
				args, err := p.callArgs()
				if err != nil {
					return err
				}
				r.chain = append(r.chain, accessor{p: at, kind: accMethod, name: name, args: args, constArgs: literalArgs(args)})
				continue
			}
			r.chain = append(r.chain, accessor{p: at, kind: accProp, name: name})
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) callArgs() ([]expr, error) {
	p.i++ // (
	var args []expr
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == ')' {
		p.i++
		return args, nil
	}
	for {
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.skipSpace()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			continue
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		return args, nil
	}
}

// atKeyword reports whether the word kw starts at p.i and is not part of a
// longer identifier.
func (p *parser) atKeyword(kw string) bool {
	if !strings.HasPrefix(p.src[p.i:], kw) {
		return false
	}
	j := p.i + len(kw)
	return j >= len(p.src) || !isIdentChar(p.src[j])
}

// ---- expressions ----

func (p *parser) expr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.binary(0)
}

// binary operator levels, loosest first.
var opLevels = [][]struct{ sym, op string }{
	{{"||", "||"}, {"or", "||"}},
	{{"&&", "&&"}, {"and", "&&"}},
	{{"==", "=="}, {"!=", "!="}, {"eq", "=="}, {"ne", "!="}},
	{{"<=", "<="}, {">=", ">="}, {"<", "<"}, {">", ">"}, {"le", "<="}, {"ge", ">="}, {"lt", "<"}, {"gt", ">"}},
	{{"+", "+"}, {"-", "-"}},
	{{"*", "*"}, {"/", "/"}, {"%", "%"}},
}

func (p *parser) matchOp(level int) (string, bool) {
	p.skipSpace()
	for _, o := range opLevels[level] {
		if isLetter(o.sym[0]) {
			if p.atKeyword(o.sym) {
				p.i += len(o.sym)
				return o.op, true
			}
			continue
		}
		if strings.HasPrefix(p.src[p.i:], o.sym) {
			p.i += len(o.sym)
			return o.op, true
		}
	}
	return "", false
}

func (p *parser) binary(level int) (expr, error) {
	if level == len(opLevels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		at := p.pos()
		op, ok := p.matchOp(level)
		if !ok {
			return l, nil
		}
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = &binExpr{p: at, op: op, l: l, r: r}
	}
}

func (p *parser) unary() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.skipSpace()
	at := p.pos()
	switch {
	case p.i < len(p.src) && p.src[p.i] == '!' && p.peek(1) != '=':
		p.i++
		x, err := p.unary()
		return &notExpr{p: at, x: x}, err
	case p.atKeyword("not"):
		p.i += 3
		x, err := p.unary()
		return &notExpr{p: at, x: x}, err
	case p.i < len(p.src) && p.src[p.i] == '-' && !isDigit(p.peek(1)):
		p.i++
		x, err := p.unary()
		return &negExpr{p: at, x: x}, err
	}
	return p.primary()
}

func (p *parser) primary() (expr, error) {
	p.skipSpace()
	if p.i >= len(p.src) {
		return nil, p.errf("unexpected end of template in expression")
	}
	at := p.pos()
	c := p.src[p.i]
	switch {
	case c == '$':
		return p.refExpr()
	case c == '"' || c == '\'':
		return p.stringLit()
	case isDigit(c) || (c == '-' && isDigit(p.peek(1))) || (c == '.' && isDigit(p.peek(1))):
		return p.number()
	case c == '[':
		return p.listOrRange()
	case c == '{':
		return p.mapLit()
	case c == '(':
		p.i++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return e, p.expect(')')
	case p.atKeyword("true"):
		p.i += 4
		return &litExpr{p: at, v: true}, nil
	case p.atKeyword("false"):
		p.i += 5
		return &litExpr{p: at, v: false}, nil
	}
	return nil, p.errf("unexpected %q in expression", c)
}

func (p *parser) number() (expr, error) {
	at := p.pos()
	j := p.i
	if p.src[j] == '-' {
		j++
	}
	isFloat := false
	for j < len(p.src) && isDigit(p.src[j]) {
		j++
	}
	if j < len(p.src) && p.src[j] == '.' && !(j+1 < len(p.src) && p.src[j+1] == '.') {
		isFloat = true
		j++
		for j < len(p.src) && isDigit(p.src[j]) {
			j++
		}
	}
	if j < len(p.src) && (p.src[j] == 'e' || p.src[j] == 'E') {
		k := j + 1
		if k < len(p.src) && (p.src[k] == '+' || p.src[k] == '-') {
			k++
		}
		if k < len(p.src) && isDigit(p.src[k]) {
			isFloat = true
			for k < len(p.src) && isDigit(p.src[k]) {
				k++
			}
			j = k
		}
	}
	lit := p.src[p.i:j]
	p.i = j
	if !isFloat {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return &litExpr{p: at, v: n}, nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return nil, p.errAt(at, fmt.Sprintf("bad number %q", lit))
	}
	return &litExpr{p: at, v: f}, nil
}

func (p *parser) listOrRange() (expr, error) {
	at := p.pos()
	p.i++ // [
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == ']' {
		p.i++
		return &listExpr{p: at}, nil
	}
	first, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if strings.HasPrefix(p.src[p.i:], "..") {
		p.i += 2
		to, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &rangeExpr{p: at, from: first, to: to}, p.expect(']')
	}
	l := &listExpr{p: at, items: []expr{first}}
	for {
		p.skipSpace()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, e)
			continue
		}
		return l, p.expect(']')
	}
}

func (p *parser) mapLit() (expr, error) {
	at := p.pos()
	p.i++ // {
	m := &mapExpr{p: at}
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		k, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		p.skipSpace()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			continue
		}
		return m, p.expect('}')
	}
}

// stringLit parses '...' (no interpolation, ” is a quote) or "..." (""
// is a quote, \uXXXX escapes, interpolated when it holds $ or #).
func (p *parser) stringLit() (expr, error) {
	at := p.pos()
	q := p.src[p.i]
	contentStart := p.i + 1
	var b strings.Builder
	j := contentStart
	for {
		if j >= len(p.src) {
			return nil, p.errAt(at, "unterminated string literal")
		}
		c := p.src[j]
		if c == q {
			if j+1 < len(p.src) && p.src[j+1] == q && p.closes(j+2, q) {
				b.WriteByte(q)
				j += 2
				continue
			}
			break
		}
		b.WriteByte(c)
		j++
	}
	p.i = j + 1
	s := b.String()
	if q == '\'' {
		return &litExpr{p: at, v: s}, nil
	}
	s = unescapeUnicode(s)
	if !strings.ContainsAny(s, "$#") {
		return &litExpr{p: at, v: s}, nil
	}
	sub := &parser{t: p.t, src: s, base: p.base + contentStart, depth: p.depth}
	nodes, term, err := sub.block()
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, p.errAt(at, "unexpected #"+term+" in string literal")
	}
	return &strExpr{p: at, nodes: nodes}, nil
}

// closes reports whether a string quoted with q that continues at j is
// terminated, so that a doubled quote can be read as an escaped quote.
func (p *parser) closes(j int, q byte) bool {
	for j < len(p.src) {
		if p.src[j] == q {
			if j+1 < len(p.src) && p.src[j+1] == q {
				j += 2
				continue
			}
			return true
		}
		j++
	}
	return false
}

func unescapeUnicode(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+6 <= len(s) && s[i+1] == 'u' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				b.WriteRune(rune(n))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
