package vtl

import (
	"math"
)

func (s *state) eval(e expr) (any, error) {
	switch e := e.(type) {
	case *litExpr:
		return e.v, nil
	case *refExpr:
		return s.evalRef(e)
	case *strExpr:
		return s.interpolate(e)
	case *listExpr:
		return s.list(e)
	case *mapExpr:
		return s.mapLit(e)
	case *rangeExpr:
		return s.rangeList(e)
	case *notExpr:
		v, err := s.eval(e.x)
		return !truthy(v), err
	case *negExpr:
		v, err := s.eval(e.x)
		return negate(v), err
	case *binExpr:
		return s.binary(e)
	}
	return nil, nil
}

func (s *state) interpolate(e *strExpr) (any, error) {
	if s.depth >= s.lim.MaxDepth {
		return nil, s.fail(e.p, ErrDepthLimit, "string interpolation nested too deeply")
	}
	s.depth++
	defer func() { s.depth-- }()
	str, err := s.capture(func() error { return s.nodes(e.nodes) })
	return str, err
}

func (s *state) list(e *listExpr) (any, error) {
	l := &List{Items: make([]any, 0, len(e.items))}
	for _, it := range e.items {
		v, err := s.eval(it)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, v)
	}
	return l, nil
}

func (s *state) mapLit(e *mapExpr) (any, error) {
	m := NewMap(len(e.keys))
	for i := range e.keys {
		k, err := s.eval(e.keys[i])
		if err != nil {
			return nil, err
		}
		v, err := s.eval(e.vals[i])
		if err != nil {
			return nil, err
		}
		m.Put(ToString(k), v)
	}
	return m, nil
}

func (s *state) rangeList(e *rangeExpr) (any, error) {
	fv, err := s.eval(e.from)
	if err != nil {
		return nil, err
	}
	tv, err := s.eval(e.to)
	if err != nil {
		return nil, err
	}
	from, ok1 := toInt(fv)
	to, ok2 := toInt(tv)
	if !ok1 || !ok2 {
		return nil, nil
	}
	n := to - from
	if n < 0 {
		n = -n
	}
	if n >= s.lim.MaxLoopIterations*10 {
		return nil, s.fail(e.p, ErrLoopLimit, "range [%d..%d] is too large", from, to)
	}
	l := &List{Items: make([]any, 0, n+1)}
	step := 1
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		l.Items = append(l.Items, int64(i))
		if i == to {
			break
		}
	}
	return l, nil
}

func (s *state) binary(e *binExpr) (any, error) {
	l, err := s.eval(e.l)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		r, err := s.eval(e.r)
		return truthy(r), err
	case "||":
		if truthy(l) {
			return true, nil
		}
		r, err := s.eval(e.r)
		return truthy(r), err
	}
	r, err := s.eval(e.r)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "==":
		return Equal(l, r), nil
	case "!=":
		return !Equal(l, r), nil
	case "<", "<=", ">", ">=":
		return compare(e.op, l, r), nil
	case "+":
		if isString(l) || isString(r) {
			return operandString(l, e.l) + operandString(r, e.r), nil
		}
	}
	return arith(e.op, l, r), nil
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// operandString is the string form of a + operand; Velocity prints a null
// operand as its source text.
func operandString(v any, e expr) string {
	if v == nil {
		if r, ok := e.(*refExpr); ok {
			return r.lit
		}
		return ""
	}
	return ToString(v)
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return 0, false
		}
		return int(x), true
	case float64:
		if x > math.MaxInt32 || x < math.MinInt32 || x != x {
			return 0, false
		}
		return int(x), true
	}
	return 0, false
}

// Equal is Velocity's ==: numbers compare by value, values of the same
// kind with Java equals, anything else by toString() with null taken as
// the empty string (as AWS does).
func Equal(a, b any) bool {
	if isNumber(a) && isNumber(b) {
		return toFloat(a) == toFloat(b) && numEqual(a, b)
	}
	if a != nil && b != nil && sameKind(a, b) {
		return deepEqual(a, b)
	}
	return nullString(a) == nullString(b)
}

func numEqual(a, b any) bool {
	ai, aok := a.(int64)
	bi, bok := b.(int64)
	if aok && bok {
		return ai == bi
	}
	return true
}

func nullString(v any) string {
	if v == nil {
		return ""
	}
	return ToString(v)
}

func sameKind(a, b any) bool {
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	case bool:
		_, ok := b.(bool)
		return ok
	case *Map:
		_, ok := b.(*Map)
		return ok
	case *List:
		_, ok := b.(*List)
		return ok
	}
	return false
}

func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string, bool:
		return a == b
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !deepEqual(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case *Map:
		y, ok := b.(*Map)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, e := range x.entries {
			v, ok := y.Get(e.key)
			if !ok || !deepEqual(e.val, v) {
				return false
			}
		}
		return true
	}
	return a == b
}

func compare(op string, a, b any) bool {
	if !isNumber(a) || !isNumber(b) {
		return false
	}
	var c int
	ai, aok := a.(int64)
	bi, bok := b.(int64)
	if aok && bok {
		c = cmpInt(ai, bi)
	} else {
		x, y := toFloat(a), toFloat(b)
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func negate(v any) any {
	switch x := v.(type) {
	case int64:
		return -x
	case float64:
		return -x
	}
	return nil
}

// arith applies + - * / % to numbers; anything else, and division by
// zero, gives null as in Velocity.
func arith(op string, a, b any) any {
	if !isNumber(a) || !isNumber(b) {
		return nil
	}
	ai, aok := a.(int64)
	bi, bok := b.(int64)
	if aok && bok {
		if v, ok := intArith(op, ai, bi); ok {
			return v
		}
		if op == "/" || op == "%" {
			return nil
		}
	}
	x, y := toFloat(a), toFloat(b)
	switch op {
	case "+":
		return x + y
	case "-":
		return x - y
	case "*":
		return x * y
	case "/":
		if y == 0 {
			return nil
		}
		return x / y
	case "%":
		if y == 0 {
			return nil
		}
		return math.Mod(x, y)
	}
	return nil
}

// intArith does integer arithmetic; ok is false on overflow or division
// by zero.
func intArith(op string, a, b int64) (any, bool) {
	switch op {
	case "+":
		r := a + b
		if (r > a) != (b > 0) {
			return nil, false
		}
		return r, true
	case "-":
		r := a - b
		if (r < a) != (b > 0) {
			return nil, false
		}
		return r, true
	case "*":
		if a == 0 || b == 0 {
			return int64(0), true
		}
		r := a * b
		if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return nil, false
		}
		return r, true
	case "/":
		if b == 0 {
			return nil, false
		}
		return a / b, true
	case "%":
		if b == 0 {
			return nil, false
		}
		return a % b, true
	}
	return nil, false
}

// ---- references ----

func (s *state) evalRef(r *refExpr) (any, error) {
	v, _ := s.vars.Get(r.root)
	for i := range r.chain {
		if v == nil {
			return nil, nil
		}
		var err error
		if v, err = s.access(v, &r.chain[i]); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *state) access(v any, a *accessor) (any, error) {
	switch a.kind {
	case accProp:
		return property(v, a.name), nil
	case accIndex:
		idx, err := s.eval(a.args[0])
		if err != nil {
			return nil, err
		}
		res, err := index(v, idx)
		if err != nil {
			return nil, s.fail(a.p, err, "%v", err)
		}
		return res, nil
	}
	args := a.constArgs
	if args == nil && len(a.args) > 0 {
		// Arguments are evaluated onto the state's stack: a call inside
		// an argument or inside the method pushes above them.
		base := len(s.args)
		for range a.args {
			s.args = append(s.args, nil)
		}
		defer func() {
			clear(s.args[base:])
			s.args = s.args[:base]
		}()
		for i, ae := range a.args {
			av, err := s.eval(ae)
			if err != nil {
				return nil, err
			}
			s.args[base+i] = av
		}
		args = s.args[base : base+len(a.args) : base+len(a.args)]
	}
	res, err := s.call(v, a.name, args)
	if err != nil {
		return nil, s.fail(a.p, err, "%s(): %v", a.name, err)
	}
	return res, nil
}

// property resolves $v.name as Velocity's introspection would for the
// value types templates see.
func property(v any, name string) any {
	switch x := v.(type) {
	case *Map:
		r, _ := x.Get(name)
		return r
	case Object:
		r, _ := x.Property(name)
		return r
	case string:
		if name == "empty" {
			return x == ""
		}
	case *List:
		if name == "empty" {
			return len(x.Items) == 0
		}
	}
	return nil
}

func index(v, idx any) (any, error) {
	switch x := v.(type) {
	case *List:
		i, ok := toInt(idx)
		if !ok {
			return nil, nil
		}
		if i < 0 {
			i += len(x.Items)
		}
		if i < 0 || i >= len(x.Items) {
			return nil, errIndex(idx, len(x.Items))
		}
		return x.Items[i], nil
	case *Map:
		r, _ := x.Get(ToString(idx))
		return r, nil
	case Object:
		r, _, err := x.Call("get", []any{idx})
		return r, err
	}
	return nil, nil
}
