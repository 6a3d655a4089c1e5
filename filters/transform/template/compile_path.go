package template

import "strconv"

// A path is a variable and the member names after it (user.name,
// l.sku, loop.is_last), compiled into one closure: in Wasm each closure
// call costs more than the lookups themselves.
type pathRoot uint8

const (
	rootJSON    pathRoot = iota // a key of the JSON body
	rootSet                     // a set variable once its set has run, else rootJSON
	rootLoopVal                 // a loop's value variable
	rootLoopKey                 // a loop's key variable
	rootLoop                    // a loop's "loop" variable
)

type segment struct {
	name  string
	idx   int       // name as an array index, or -1
	field loopField // name as a loop member
}

// path compiles x if it is a variable followed by member names; nil if not.
func (c *compiler) path(x expr) evalFn {
	var segs []segment
	var positions []int // the order old renders counted steps in: outermost first
	for {
		m, ok := x.(*memberExpr)
		if !ok {
			break
		}
		idx := -1
		if i, err := strconv.Atoi(m.name); err == nil && i >= 0 {
			idx = i
		}
		segs = append(segs, segment{name: m.name, idx: idx, field: loopFieldOf(m.name)})
		positions = append(positions, m.pos)
		x = m.x
	}
	v, ok := x.(*varExpr)
	if !ok {
		return nil
	}
	positions = append(positions, v.pos)
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	root, depth, slot := c.resolveName(v.name)
	name, steps := v.name, len(positions)
	return func(r *renderer) (Value, error) {
		if r.steps+steps > r.lim.MaxSteps {
			at := positions[r.lim.MaxSteps-r.steps]
			r.steps = r.lim.MaxSteps + 1
			return Value{}, r.stepsError(at)
		}
		r.steps += steps
		var v Value
		switch root {
		case rootLoopVal:
			v = r.frames[depth].val
		case rootLoopKey:
			v = r.frames[depth].key
		case rootLoop:
			v = Value{kind: kindLoop, num: uint64(depth)}
		case rootSet:
			if v = r.sets[slot]; v.kind == kindUnset {
				v = plain(r.root.member(name))
			}
		default:
			v = plain(r.root.member(name))
		}
		for i := range segs {
			s := &segs[i]
			switch v.kind {
			case kindObject:
				v = plain(v.member(s.name))
			case kindArray:
				if s.idx >= 0 && s.idx < len(v.list) {
					v = plain(v.list[s.idx])
				} else {
					v = Value{}
				}
			case kindLoop:
				v = r.loopMember(int(v.num), s.field)
			default:
				return Value{}, nil
			}
		}
		return v, nil
	}
}

// resolveName says what a variable name reads: the innermost enclosing
// loop's key variable, value variable or "loop", else a set variable, else
// the JSON body.
func (c *compiler) resolveName(name string) (root pathRoot, depth, slot int) {
	for d := len(c.scopes) - 1; d >= 0; d-- {
		switch s := c.scopes[d]; {
		case s.keyVar != "" && s.keyVar == name:
			return rootLoopKey, d, 0
		case s.valVar == name:
			return rootLoopVal, d, 0
		case name == "loop":
			return rootLoop, d, 0
		}
	}
	if slot, ok := c.slots[name]; ok {
		return rootSet, 0, slot
	}
	return rootJSON, 0, 0
}
