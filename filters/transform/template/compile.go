package template

import "strconv"

// Compilation: Parse turns the syntax tree into closures, once. Rendering
// then runs closures that know their operands, variable slots and loop
// depths: no type switch over nodes, no name lookups in maps, no argument
// slices per call.
type (
	execFn func(r *renderer) error
	evalFn func(r *renderer) (Value, error)
)

// scope is an enclosing for loop's variables; the loop at depth d keeps
// them in renderer.frames[d].
type scope struct{ keyVar, valVar string }

type compiler struct {
	scopes    []scope
	slots     map[string]int // set variable -> slot
	loopDepth int            // deepest loop nesting
}

func compile(body []node) (prog execFn, loopDepth, setSlots int) {
	c := &compiler{slots: map[string]int{}}
	collectSets(body, c.slots)
	return c.nodes(body), c.loopDepth, len(c.slots)
}

// collectSets gives every set variable a slot before compiling, so that a
// name read before its set (in the source or in a loop) checks the slot.
func collectSets(nodes []node, slots map[string]int) {
	for _, n := range nodes {
		switch n := n.(type) {
		case setNode:
			if _, ok := slots[n.name]; !ok {
				slots[n.name] = len(slots)
			}
		case ifNode:
			for _, b := range n.branches {
				collectSets(b.body, slots)
			}
		case forNode:
			collectSets(n.body, slots)
		}
	}
}

func (c *compiler) nodes(nodes []node) execFn {
	fns := make([]execFn, 0, len(nodes))
	for _, n := range nodes {
		fns = append(fns, c.node(n))
	}
	switch len(fns) {
	case 0:
		return func(*renderer) error { return nil }
	case 1:
		return fns[0]
	}
	return func(r *renderer) error {
		for _, f := range fns {
			if err := f(r); err != nil {
				return err
			}
		}
		return nil
	}
}

func (c *compiler) node(n node) execFn {
	switch n := n.(type) {
	case textNode:
		text, pos := n.text, n.pos
		return func(r *renderer) error { return r.writeText(text, pos) }
	case outputNode:
		x, pos := c.expr(n.x), n.x.position()
		return func(r *renderer) error {
			v, err := x(r)
			if err != nil {
				return err
			}
			return r.write(v, pos)
		}
	case ifNode:
		return c.ifNode(n)
	case forNode:
		return c.forNode(n)
	case setNode:
		x, slot := c.expr(n.x), c.slots[n.name]
		return func(r *renderer) error {
			v, err := x(r)
			if err != nil {
				return err
			}
			r.sets[slot] = r.resolve(v)
			return nil
		}
	}
	panic("template: unknown node")
}

func (c *compiler) ifNode(n ifNode) execFn {
	conds := make([]evalFn, len(n.branches)) // nil: else
	bodies := make([]execFn, len(n.branches))
	for i, b := range n.branches {
		if b.cond != nil {
			conds[i] = c.expr(b.cond)
		}
		bodies[i] = c.nodes(b.body)
	}
	return func(r *renderer) error {
		for i, cond := range conds {
			if cond == nil {
				return bodies[i](r)
			}
			v, err := cond(r)
			if err != nil {
				return err
			}
			if truthy(v) {
				return bodies[i](r)
			}
		}
		return nil
	}
}

func (c *compiler) forNode(n forNode) execFn {
	depth := len(c.scopes)
	iter, iterPos, pos := c.expr(n.iter), n.iter.position(), n.pos
	keyVar, valVar := n.keyVar, n.valVar
	// loop.parent is what "loop" means outside this for: only loop
	// variables count, not sets or the body.
	parent := c.parentLoop()
	c.scopes = append(c.scopes, scope{keyVar: keyVar, valVar: valVar})
	c.loopDepth = max(c.loopDepth, len(c.scopes))
	body := c.nodes(n.body)
	c.scopes = c.scopes[:depth]
	return func(r *renderer) error {
		it, err := iter(r)
		if err != nil {
			return err
		}
		it = r.resolve(it)
		switch it.kind {
		case kindUndefined, kindNull:
			return nil // nothing to loop over, like an empty list
		case kindArray, kindObject:
		default:
			return r.errAt(iterPos, "cannot loop over %s", typeName(it))
		}
		// Objects iterate in key order (as nlohmann::json does), giving
		// values to "for v in obj" and keys and values to "for k, v in obj".
		if keyVar != "" && it.kind != kindObject {
			return r.errAt(iterPos, "for %s, %s needs an object, got %s", keyVar, valVar, typeName(it))
		}
		f := &r.frames[depth]
		f.parent = Value{}
		if parent != nil {
			f.parent = parent(r)
		}
		isObject := it.kind == kindObject
		var m members
		if isObject {
			m = membersOf(it)
			f.length = m.n
		} else {
			f.length = len(it.list)
		}
		for i := 0; i < f.length; i++ {
			if err := r.step(pos); err != nil {
				return err
			}
			f.index = i
			if isObject {
				f.key, f.val = stringValue(m.key(i)), plain(m.val(i))
			} else {
				f.val = plain(it.list[i])
			}
			if err := body(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// parentLoop reads what "loop" means where a for starts (its
// loop.parent): an enclosing loop's variable named loop, else undefined
// (sets and the body do not count).
func (c *compiler) parentLoop() func(r *renderer) Value {
	root, depth, _ := c.resolveName("loop")
	switch root {
	case rootLoopVal:
		return func(r *renderer) Value { return r.frames[depth].val }
	case rootLoopKey:
		return func(r *renderer) Value { return r.frames[depth].key }
	case rootLoop:
		loop := Value{kind: kindLoop, num: uint64(depth)}
		return func(*renderer) Value { return loop }
	}
	return nil
}

func literalValue(v any) Value {
	switch x := v.(type) {
	case bool:
		return boolValue(x)
	case int64:
		return intValue(x)
	case float64:
		return floatValue(x)
	case string:
		return stringValue(x)
	}
	return Value{kind: kindNull}
}

func (c *compiler) expr(x expr) evalFn {
	pos := x.position()
	switch x := x.(type) {
	case *literalExpr:
		v := literalValue(x.v)
		return func(r *renderer) (Value, error) { return v, r.step(pos) }
	case *varExpr:
		return c.path(x)
	case *memberExpr:
		if p := c.path(x); p != nil {
			return p
		}
		obj, name, idx := c.expr(x.x), x.name, -1
		if i, err := strconv.Atoi(name); err == nil && i >= 0 {
			idx = i
		}
		return func(r *renderer) (Value, error) {
			if err := r.step(pos); err != nil {
				return Value{}, err
			}
			o, err := obj(r)
			if err != nil {
				return Value{}, err
			}
			return r.member(o, name, idx), nil
		}
	case *indexExpr:
		return c.index(x)
	case *listExpr:
		return c.list(x)
	case *callExpr:
		return c.call(x)
	case *unaryExpr:
		return c.unary(x)
	case *binaryExpr:
		return c.binary(x)
	}
	panic("template: unknown expression")
}

func (c *compiler) index(x *indexExpr) evalFn {
	obj, index, pos := c.expr(x.x), c.expr(x.index), x.pos
	return func(r *renderer) (Value, error) {
		if err := r.step(pos); err != nil {
			return Value{}, err
		}
		o, err := obj(r)
		if err != nil {
			return Value{}, err
		}
		i, err := index(r)
		if err != nil {
			return Value{}, err
		}
		switch o.kind {
		case kindObject:
			if i.kind == kindString {
				return plain(o.member(i.str)), nil
			}
		case kindArray:
			if _, n, isInt, ok := number(i); ok && isInt && n >= 0 && n < int64(len(o.list)) {
				return plain(o.list[n]), nil
			}
		}
		return Value{}, nil
	}
}

func (c *compiler) list(x *listExpr) evalFn {
	items, pos := c.exprs(x.items), x.pos
	return func(r *renderer) (Value, error) {
		if err := r.step(pos); err != nil {
			return Value{}, err
		}
		l := r.vals.take(len(items))
		for i, item := range items {
			v, err := item(r)
			if err != nil {
				return Value{}, err
			}
			if v.kind == kindUndefined {
				v = Value{kind: kindNull}
			}
			l[i] = r.resolve(v)
		}
		return Value{kind: kindArray, list: l}, r.charge(16*len(l), pos)
	}
}

func (c *compiler) exprs(xs []expr) []evalFn {
	fns := make([]evalFn, len(xs))
	for i, x := range xs {
		fns[i] = c.expr(x)
	}
	return fns
}

func (c *compiler) call(x *callExpr) evalFn {
	args, fn, pos := c.exprs(x.args), x.fn, x.pos
	return func(r *renderer) (Value, error) {
		if err := r.step(pos); err != nil {
			return Value{}, err
		}
		mark := len(r.args)
		for _, a := range args {
			v, err := a(r)
			if err != nil {
				r.args = r.args[:mark]
				return Value{}, err
			}
			r.args = append(r.args, r.resolve(v))
		}
		v, err := fn.call(r, r.args[mark:])
		r.args = r.args[:mark]
		if err != nil {
			if _, ok := err.(*Error); ok {
				return Value{}, err
			}
			return Value{}, r.errAt(pos, "%s: %v", fn.name, err)
		}
		if v.kind == kindString {
			if err := r.charge(len(v.str), pos); err != nil {
				return Value{}, err
			}
		}
		return v, nil
	}
}
