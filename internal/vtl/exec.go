package vtl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// Budget errors, wrapped by the *Error that Execute returns.
var (
	ErrOutputLimit = errors.New("output size limit exceeded")
	ErrLoopLimit   = errors.New("#foreach iteration limit exceeded")
	ErrStepLimit   = errors.New("evaluation step limit exceeded")
	ErrDepthLimit  = errors.New("nesting depth limit exceeded")
)

// Default budgets, used for zero fields of Limits.
const (
	DefaultMaxOutputBytes    = 10 << 20 // the AWS payload limit
	DefaultMaxLoopIterations = 1000     // AWS: #foreach is limited to 1000 iterations
	DefaultMaxSteps          = 1_000_000
	DefaultMaxDepth          = 64
)

// Limits bounds one execution. Zero fields take the defaults above; the
// evaluation time is bounded by the context passed to Execute.
type Limits struct {
	MaxOutputBytes    int // bytes written, including interpolated strings
	MaxLoopIterations int // iterations of any single #foreach
	MaxSteps          int // statements and loop iterations in total
	MaxDepth          int // nesting of macro calls, #define blocks and interpolations
}

func (l Limits) withDefaults() Limits {
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if l.MaxLoopIterations <= 0 {
		l.MaxLoopIterations = DefaultMaxLoopIterations
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultMaxSteps
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Error is a run-time template failure at Line:Col.
type Error struct {
	Template string
	Line     int
	Col      int
	Msg      string
	Err      error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Template, e.Line, e.Col, e.Msg)
}

// Unwrap returns the cause (a budget error, a context error, ...).
func (e *Error) Unwrap() error { return e.Err }

// Context holds the variables of one execution. Variables set by the
// template go to an overlay, so the base map given to NewContext (or the
// Vars given to Reset) is never modified and may be shared.
type Context struct {
	base map[string]any
	vars Vars
	// local is the overlay: a few variables, searched linearly; index
	// finds them once there are many.
	local  []localVar
	index  map[string]int
	inline [4]localVar // the first variables set
}

// Vars resolves variables that a Context does not hold itself, computing
// them on demand (host objects made on first use).
type Vars interface {
	// Var returns the value of the variable name and whether it exists.
	Var(name string) (any, bool)
}

type localVar struct {
	name string
	v    any // undefined when restored to "not set"
}

// undefinedVar marks a local variable restored to "not set".
type undefinedVar struct{}

var undefined any = &undefinedVar{}

// localIndexThreshold is the overlay size from which Get uses a map.
const localIndexThreshold = 16

// NewContext returns a context that reads base (which it never modifies).
func NewContext(base map[string]any) *Context {
	return &Context{base: base}
}

// Reset empties c and makes it read base, then vars, for the variables
// the template has not set. Either may be nil.
func (c *Context) Reset(base map[string]any, vars Vars) {
	*c = Context{base: base, vars: vars}
}

func (c *Context) find(name string) int {
	if c.index != nil {
		if i, ok := c.index[name]; ok {
			return i
		}
		return -1
	}
	for i := range c.local {
		if c.local[i].name == name {
			return i
		}
	}
	return -1
}

// Get returns the value of a variable.
func (c *Context) Get(name string) (any, bool) {
	if i := c.find(name); i >= 0 && c.local[i].v != undefined {
		return c.local[i].v, true
	}
	if v, ok := c.base[name]; ok {
		return v, true
	}
	if c.vars != nil {
		return c.vars.Var(name)
	}
	return nil, false
}

// Set sets a variable.
func (c *Context) Set(name string, v any) {
	if i := c.find(name); i >= 0 {
		c.local[i].v = v
		return
	}
	if c.local == nil {
		c.local = c.inline[:0]
	}
	c.local = append(c.local, localVar{name: name, v: v})
	if c.index != nil {
		c.index[name] = len(c.local) - 1
	} else if len(c.local) > localIndexThreshold {
		c.index = make(map[string]int, 2*len(c.local))
		for i := range c.local {
			c.index[c.local[i].name] = i
		}
	}
}

// restore puts back a value saved with Get.
func (c *Context) restore(name string, v any, ok bool) {
	if ok {
		c.Set(name, v)
		return
	}
	if i := c.find(name); i >= 0 {
		c.local[i].v = undefined
	}
}

// control-flow signals, never returned to callers.
var (
	errBreak = errors.New("#break")
	errStop  = errors.New("#stop")
)

// Execute renders the template into w. vars may be nil. Rendering stops
// with an *Error at the first run-time failure, when a budget of limits is
// exhausted or when ctx is done; what was rendered before stays written.
func (t *Template) Execute(ctx context.Context, w io.Writer, vars *Context, limits Limits) error {
	bp := outPool.Get().(*[]byte)
	out, err := t.ExecuteAppend(ctx, (*bp)[:0], vars, limits)
	if len(out) > 0 {
		if _, werr := w.Write(out); werr != nil && err == nil {
			err = &Error{Template: t.name, Line: 1, Col: 1, Msg: werr.Error(), Err: werr}
		}
	}
	if cap(out) <= maxPooledOutput {
		*bp = out[:0]
		outPool.Put(bp)
	}
	return err
}

// ExecuteAppend is Execute appending the output to dst, which it returns
// (with what was rendered before a failure).
func (t *Template) ExecuteAppend(ctx context.Context, dst []byte, vars *Context, limits Limits) ([]byte, error) {
	var x Execution
	return x.Append(ctx, t, dst, vars, limits)
}

// Execution is the working state of one execution, for hosts that keep it
// together with their own per-render data (one allocation instead of two).
// Its zero value is ready to use; it must not be reused.
type Execution struct{ s state }

// Append executes t as ExecuteAppend does.
func (x *Execution) Append(ctx context.Context, t *Template, dst []byte, vars *Context, limits Limits) ([]byte, error) {
	if vars == nil {
		vars = NewContext(nil)
	}
	s := &x.s
	*s = state{ctx: ctx, t: t, vars: vars, lim: limits.withDefaults()}
	s.args = s.argsInline[:0]
	s.out.buf = dst
	s.out.max = s.lim.MaxOutputBytes
	err := s.nodes(t.root)
	if errors.Is(err, errStop) || errors.Is(err, errBreak) {
		err = nil
	}
	if err == nil {
		err = s.out.err
	}
	out := s.out.buf
	// A #define'd block rendered after the execution (a value kept by the
	// host) captures into storage of its own, never into dst.
	s.out.buf = nil
	return out, err
}

// Render is Execute into a string.
func (t *Template) Render(ctx context.Context, vars *Context, limits Limits) (string, error) {
	bp := outPool.Get().(*[]byte)
	out, err := t.ExecuteAppend(ctx, (*bp)[:0], vars, limits)
	str := string(out)
	if cap(out) <= maxPooledOutput {
		*bp = out[:0]
		outPool.Put(bp)
	}
	return str, err
}

// outPool recycles output buffers of Execute and Render.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledOutput is the largest output buffer kept for reuse.
const maxPooledOutput = 64 << 10

// outWriter is the output: bytes appended to buf, counted against max
// (interpolated strings and captured blocks count too).
type outWriter struct {
	buf     []byte
	n, max  int
	err     error
	scratch [32]byte
}

func (o *outWriter) WriteString(s string) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if o.n+len(s) > o.max {
		o.err = ErrOutputLimit
		return 0, o.err
	}
	o.n += len(s)
	o.buf = append(o.buf, s...)
	return len(s), nil
}

func (o *outWriter) WriteByte(c byte) error {
	if o.err != nil {
		return o.err
	}
	if o.n+1 > o.max {
		o.err = ErrOutputLimit
		return o.err
	}
	o.n++
	o.buf = append(o.buf, c)
	return nil
}

func (o *outWriter) writeBytes(b []byte) error {
	if o.err != nil {
		return o.err
	}
	if o.n+len(b) > o.max {
		o.err = ErrOutputLimit
		return o.err
	}
	o.n += len(b)
	o.buf = append(o.buf, b...)
	return nil
}

// writeDouble writes f as Java's Double.toString does.
func (o *outWriter) writeDouble(f float64) {
	_ = o.writeBytes(appendDouble(o.scratch[:0], f))
}

type state struct {
	ctx   context.Context
	t     *Template
	vars  *Context
	lim   Limits
	out   outWriter
	steps int
	depth int
	scope *foreachScope
	// args is the stack of evaluated method arguments.
	args       []any
	argsInline [4]any
}

func (s *state) fail(at pos, cause error, format string, args ...any) error {
	line, col := s.t.position(at)
	return &Error{Template: s.t.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// step charges one unit of work and checks the context now and then.
func (s *state) step(at pos) error {
	s.steps++
	if s.steps > s.lim.MaxSteps {
		return s.fail(at, ErrStepLimit, "%v", ErrStepLimit)
	}
	if s.steps&255 == 0 {
		if err := s.ctx.Err(); err != nil {
			return s.fail(at, err, "evaluation stopped: %v", err)
		}
	}
	return nil
}

func (s *state) nodes(ns []node) error {
	for _, n := range ns {
		if err := s.node(n); err != nil {
			return err
		}
		if s.out.err != nil {
			return s.fail(n.nodePos(), s.out.err, "%v", s.out.err)
		}
	}
	return nil
}

func (s *state) node(n node) error {
	if err := s.step(n.nodePos()); err != nil {
		return err
	}
	switch n := n.(type) {
	case *textNode:
		_, _ = s.out.WriteString(n.text)
		return nil
	case *refNode:
		return s.renderRef(n)
	case *setNode:
		return s.set(n)
	case *ifNode:
		return s.ifNode(n)
	case *foreachNode:
		return s.foreach(n)
	case *defineNode:
		s.vars.Set(n.name, &blockRef{body: n.body, s: s, p: n.p})
		return nil
	case *macroCallNode:
		return s.callMacro(n)
	case *breakNode:
		return errBreak
	case *stopNode:
		return errStop
	}
	return nil
}

func (s *state) renderRef(n *refNode) error {
	v, err := s.evalRef(n.ref)
	if err != nil {
		return err
	}
	if n.escaped {
		_, _ = s.out.WriteString(n.escPrefix)
		if v == nil {
			_, _ = s.out.WriteString(`\`)
		}
		_, _ = s.out.WriteString(n.literal)
		return nil
	}
	if n.alt != nil && isEmptyValue(v) {
		if v, err = s.eval(n.alt); err != nil {
			return err
		}
	}
	_, _ = s.out.WriteString(n.escPrefix)
	return s.write(v)
}

// isEmptyValue reports whether ${x|alt} uses its alternate value.
func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case *List:
		return x.Len() == 0
	case *Map:
		return x.Len() == 0
	}
	return false
}

// write renders v into the output (null renders empty).
func (s *state) write(v any) error {
	switch x := v.(type) {
	case nil:
	case string:
		_, _ = s.out.WriteString(x)
	case int64:
		_ = s.out.writeBytes(strconv.AppendInt(s.out.scratch[:0], x, 10))
	case float64:
		s.out.writeDouble(x)
	case *blockRef:
		return x.render(s)
	default:
		writeJava(&s.out, v)
	}
	return nil
}

func (s *state) set(n *setNode) error {
	v, err := s.eval(n.value)
	if err != nil || v == nil {
		// Velocity 1.7: a null right-hand side leaves the target unchanged.
		return err
	}
	if len(n.target.chain) == 0 {
		s.vars.Set(n.target.root, v)
		return nil
	}
	base, _ := s.vars.Get(n.target.root)
	last := len(n.target.chain) - 1
	for i := 0; i < last && base != nil; i++ {
		if base, err = s.access(base, &n.target.chain[i]); err != nil {
			return err
		}
	}
	if base == nil {
		return nil
	}
	return s.assign(base, &n.target.chain[last], v)
}

func (s *state) assign(base any, a *accessor, v any) error {
	key := a.name
	switch a.kind {
	case accMethod:
		return s.fail(a.p, nil, "cannot assign to the method call %s()", a.name)
	case accIndex:
		idx, err := s.eval(a.args[0])
		if err != nil {
			return err
		}
		if l, ok := base.(*List); ok {
			i, ok := toInt(idx)
			if !ok || i < 0 || i >= len(l.Items) {
				return s.fail(a.p, nil, "index %s out of bounds for length %d", ToString(idx), len(l.Items))
			}
			l.Items[i] = v
			return nil
		}
		key = ToString(idx)
	}
	switch b := base.(type) {
	case *Map:
		b.Put(key, v)
	case Setter:
		b.SetProperty(key, v)
	}
	return nil
}

func (s *state) ifNode(n *ifNode) error {
	for i, c := range n.conds {
		v, err := s.eval(c)
		if err != nil {
			return err
		}
		if truthy(v) {
			return s.nodes(n.blocks[i])
		}
	}
	if n.els != nil {
		return s.nodes(n.els)
	}
	return nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	}
	return true
}

// foreachScope is $foreach.
type foreachScope struct {
	index  int
	n      int
	parent *foreachScope
}

// Property implements Object.
func (f *foreachScope) Property(name string) (any, bool) {
	switch name {
	case "index":
		return int64(f.index), true
	case "count":
		return int64(f.index + 1), true
	case "hasNext":
		return f.index+1 < f.n, true
	case "first":
		return f.index == 0, true
	case "last":
		return f.index+1 == f.n, true
	case "parent":
		if f.parent == nil {
			return nil, true
		}
		return f.parent, true
	case "topmost":
		t := f
		for t.parent != nil {
			t = t.parent
		}
		return t, true
	}
	return nil, false
}

// Call implements Object.
func (f *foreachScope) Call(name string, args []any) (any, bool, error) {
	if len(args) != 0 {
		return nil, false, nil
	}
	prop := func(n string) (any, bool, error) {
		v, ok := f.Property(n)
		return v, ok, nil
	}
	switch name {
	case "hasNext", "getHasNext", "isHasNext":
		return prop("hasNext")
	case "getIndex":
		return prop("index")
	case "getCount":
		return prop("count")
	case "isFirst", "getFirst":
		return prop("first")
	case "isLast", "getLast":
		return prop("last")
	case "getParent":
		return prop("parent")
	case "getTopmost":
		return prop("topmost")
	}
	return nil, false, nil
}

func (f *foreachScope) String() string { return "" }

// Iterable is implemented by host objects that #foreach can walk.
type Iterable interface {
	Items() []any
}

func iterItems(v any) ([]any, bool) {
	switch x := v.(type) {
	case *List:
		return x.Items, true
	case *Map:
		vals := make([]any, len(x.entries))
		for i, e := range x.entries {
			vals[i] = e.val
		}
		return vals, true
	case Iterable:
		return x.Items(), true
	}
	return nil, false
}

func (s *state) foreach(n *foreachNode) error {
	coll, err := s.eval(n.iter)
	if err != nil {
		return err
	}
	items, ok := iterItems(coll)
	if !ok || len(items) == 0 {
		return nil
	}
	items = items[:len(items):len(items)]
	oldVar, hadVar := s.vars.Get(n.name)
	oldScope, hadScope := s.vars.Get("foreach")
	oldCount, hadCount := s.vars.Get("velocityCount")
	oldHasNext, hadHasNext := s.vars.Get("velocityHasNext")
	scope := &foreachScope{n: len(items), parent: s.scope}
	s.scope = scope
	s.vars.Set("foreach", scope)
	defer func() {
		s.scope = scope.parent
		s.vars.restore(n.name, oldVar, hadVar)
		s.vars.restore("foreach", oldScope, hadScope)
		s.vars.restore("velocityCount", oldCount, hadCount)
		s.vars.restore("velocityHasNext", oldHasNext, hadHasNext)
	}()
	for i, it := range items {
		if i >= s.lim.MaxLoopIterations {
			return s.fail(n.p, ErrLoopLimit, "#foreach ran more than %d iterations", s.lim.MaxLoopIterations)
		}
		if err := s.step(n.p); err != nil {
			return err
		}
		scope.index = i
		s.vars.Set(n.name, it)
		s.vars.Set("velocityCount", int64(i+1))
		s.vars.Set("velocityHasNext", i+1 < len(items))
		if err := s.nodes(n.body); err != nil {
			if errors.Is(err, errBreak) {
				return nil
			}
			return err
		}
	}
	return nil
}

func (s *state) callMacro(n *macroCallNode) error {
	def, ok := s.t.macros[n.name]
	if !ok {
		_, _ = s.out.WriteString(n.literal)
		return nil
	}
	if s.depth >= s.lim.MaxDepth {
		return s.fail(n.p, ErrDepthLimit, "macro #%s nested too deeply", n.name)
	}
	type saved struct {
		v  any
		ok bool
	}
	olds := make([]saved, len(def.params))
	for i, name := range def.params {
		var v any
		if i < len(n.args) {
			var err error
			if v, err = s.eval(n.args[i]); err != nil {
				return err
			}
		}
		olds[i].v, olds[i].ok = s.vars.Get(name)
		s.vars.Set(name, v)
	}
	s.depth++
	err := s.nodes(def.body)
	s.depth--
	for i, name := range def.params {
		s.vars.restore(name, olds[i].v, olds[i].ok)
	}
	return err
}

// blockRef is the value of a #define'd reference: its body renders when
// the reference is rendered or converted to a string.
type blockRef struct {
	body []node
	s    *state
	p    pos
}

func (b *blockRef) render(s *state) error {
	if s.depth >= s.lim.MaxDepth {
		return s.fail(b.p, ErrDepthLimit, "#define block nested too deeply")
	}
	s.depth++
	defer func() { s.depth-- }()
	return s.nodes(b.body)
}

// Property implements Object.
func (b *blockRef) Property(string) (any, bool) { return nil, false }

// Call implements Object.
func (b *blockRef) Call(name string, args []any) (any, bool, error) {
	if name == "toString" && len(args) == 0 {
		str, err := b.s.capture(func() error { return b.render(b.s) })
		return str, true, err
	}
	return nil, false, nil
}

// String renders the block; errors render as empty.
func (b *blockRef) String() string {
	str, _ := b.s.capture(func() error { return b.render(b.s) })
	return str
}

// capture runs f with its output taken out of the output as a string.
func (s *state) capture(f func() error) (string, error) {
	start := len(s.out.buf)
	err := f()
	if len(s.out.buf) < start { // cannot happen: captures nest
		start = len(s.out.buf)
	}
	str := string(s.out.buf[start:])
	s.out.buf = s.out.buf[:start]
	return str, err
}
