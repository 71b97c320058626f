package vtl

// pos is a byte offset into the template source; Template.position turns it
// into line:col.
type pos int

// node is a statement of the template body.
type node interface{ nodePos() pos }

// expr is an expression inside a directive or a reference argument.
type expr interface{ exprPos() pos }

type textNode struct {
	p    pos
	text string
}

// refNode renders a reference: $x, $!x, ${x}, $!{x}, ${x|alt}, possibly
// preceded by escaping backslashes.
type refNode struct {
	p         pos
	ref       *refExpr
	alt       expr   // ${x|alt}
	literal   string // source text of the reference, without backslashes
	escPrefix string // half of the leading backslashes
	escaped   bool   // odd number of leading backslashes
}

type setNode struct {
	p      pos
	target *refExpr
	value  expr
}

type ifNode struct {
	p      pos
	conds  []expr
	blocks [][]node
	els    []node // nil when there is no #else
}

type foreachNode struct {
	p    pos
	name string
	iter expr
	body []node
}

type defineNode struct {
	p    pos
	name string
	body []node
}

type macroCallNode struct {
	p       pos
	name    string
	args    []expr
	literal string
}

type breakNode struct{ p pos }

type stopNode struct{ p pos }

func (n *textNode) nodePos() pos      { return n.p }
func (n *refNode) nodePos() pos       { return n.p }
func (n *setNode) nodePos() pos       { return n.p }
func (n *ifNode) nodePos() pos        { return n.p }
func (n *foreachNode) nodePos() pos   { return n.p }
func (n *defineNode) nodePos() pos    { return n.p }
func (n *macroCallNode) nodePos() pos { return n.p }
func (n *breakNode) nodePos() pos     { return n.p }
func (n *stopNode) nodePos() pos      { return n.p }

// macroDef is a #macro(name $a $b) body #end definition.
type macroDef struct {
	params []string
	body   []node
}

// accessor kinds of a reference chain.
const (
	accProp = iota
	accMethod
	accIndex
)

type accessor struct {
	p    pos
	kind int
	name string
	args []expr // method arguments, or the single index expression
	// constArgs are the values of method arguments that are all literals,
	// computed once by the parser; nil otherwise.
	constArgs []any
}

// literalArgs returns the values of args when every one is a literal.
func literalArgs(args []expr) []any {
	if len(args) == 0 {
		return nil
	}
	vals := make([]any, len(args))
	for i, a := range args {
		l, ok := a.(*litExpr)
		if !ok {
			return nil
		}
		vals[i] = l.v
	}
	return vals[:len(vals):len(vals)]
}

// refExpr is $root.a.b(args)[i].
type refExpr struct {
	p     pos
	root  string
	chain []accessor
	lit   string // source text, used where Velocity prints a null operand
}

type litExpr struct {
	p pos
	v any
}

// strExpr is an interpolated double-quoted string literal.
type strExpr struct {
	p     pos
	nodes []node
}

type listExpr struct {
	p     pos
	items []expr
}

type mapExpr struct {
	p    pos
	keys []expr
	vals []expr
}

type rangeExpr struct {
	p        pos
	from, to expr
}

type binExpr struct {
	p    pos
	op   string
	l, r expr
}

type notExpr struct {
	p pos
	x expr
}

type negExpr struct {
	p pos
	x expr
}

func (e *refExpr) exprPos() pos   { return e.p }
func (e *litExpr) exprPos() pos   { return e.p }
func (e *strExpr) exprPos() pos   { return e.p }
func (e *listExpr) exprPos() pos  { return e.p }
func (e *mapExpr) exprPos() pos   { return e.p }
func (e *rangeExpr) exprPos() pos { return e.p }
func (e *binExpr) exprPos() pos   { return e.p }
func (e *notExpr) exprPos() pos   { return e.p }
func (e *negExpr) exprPos() pos   { return e.p }
