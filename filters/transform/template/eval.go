package template

import (
	"math"
	"strings"
)

func (r *renderer) eval(x expr) (any, error) {
	if err := r.step(x.position()); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case *literalExpr:
		return x.v, nil
	case *varExpr:
		return r.lookup(x.name), nil
	case *memberExpr:
		obj, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		return member(obj, x.name), nil
	case *indexExpr:
		return r.evalIndex(x)
	case *listExpr:
		items := make([]any, len(x.items))
		for i, e := range x.items {
			v, err := r.eval(e)
			if err != nil {
				return nil, err
			}
			if v == undefined {
				v = nil
			}
			items[i] = v
		}
		return items, r.charge(16*len(items), x.pos)
	case *callExpr:
		args := make([]any, len(x.args))
		for i, a := range x.args {
			v, err := r.eval(a)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		v, err := x.fn.call(r, args)
		if err != nil {
			if _, ok := err.(*Error); ok {
				return nil, err
			}
			return nil, r.errAt(x.pos, "%s: %v", x.fn.name, err)
		}
		if s, ok := v.(string); ok {
			if err := r.charge(len(s), x.pos); err != nil {
				return nil, err
			}
		}
		return v, nil
	case *unaryExpr:
		v, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		if x.op == "not" {
			return !truthy(v), nil
		}
		f, i, isInt, ok := number(v)
		switch {
		case !ok:
			return nil, r.errAt(x.pos, "cannot negate %s", typeName(v))
		case isInt && i != math.MinInt64:
			return -i, nil
		}
		return -f, nil
	case *binaryExpr:
		return r.evalBinary(x)
	}
	return nil, r.errAt(x.position(), "unknown expression")
}

func (r *renderer) evalIndex(x *indexExpr) (any, error) {
	obj, err := r.eval(x.x)
	if err != nil {
		return nil, err
	}
	idx, err := r.eval(x.index)
	if err != nil {
		return nil, err
	}
	switch o := obj.(type) {
	case map[string]any:
		if k, ok := idx.(string); ok {
			return member(o, k), nil
		}
	case []any:
		if _, i, isInt, ok := number(idx); ok && isInt && i >= 0 && i < int64(len(o)) {
			return normalize(o[i]), nil
		}
	}
	return undefined, nil
}

func (r *renderer) evalBinary(x *binaryExpr) (any, error) {
	l, err := r.eval(x.l)
	if err != nil {
		return nil, err
	}
	switch x.op { // short-circuit operators first
	case "and":
		if !truthy(l) {
			return false, nil
		}
		rv, err := r.eval(x.r)
		return truthy(rv), err
	case "or":
		if truthy(l) {
			return true, nil
		}
		rv, err := r.eval(x.r)
		return truthy(rv), err
	}
	rv, err := r.eval(x.r)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "==":
		return equal(l, rv), nil
	case "!=":
		return !equal(l, rv), nil
	case "<", "<=", ">", ">=":
		c, ok := compare(l, rv)
		if !ok {
			return nil, r.errAt(x.pos, "cannot compare %s %s %s", typeName(l), x.op, typeName(rv))
		}
		switch x.op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "in", "not in":
		in, err := r.contains(rv, l, x.pos)
		if x.op == "not in" {
			in = !in
		}
		return in, err
	case "~":
		s := toString(l) + toString(rv)
		return s, r.charge(len(s), x.pos)
	}
	return r.arith(x, l, rv)
}

func (r *renderer) contains(container, item any, pos int) (bool, error) {
	switch c := normalize(container).(type) {
	case []any:
		for _, e := range c {
			if equal(e, item) {
				return true, nil
			}
		}
		return false, nil
	case map[string]any:
		k, ok := normalize(item).(string)
		if !ok {
			return false, nil
		}
		_, found := c[k]
		return found, nil
	case string:
		s, ok := normalize(item).(string)
		if !ok {
			return false, r.errAt(pos, "\"in\" a string needs a string, got %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case undefinedValue, nil:
		return false, nil
	}
	return false, r.errAt(pos, "cannot test \"in\" %s", typeName(container))
}

func (r *renderer) arith(x *binaryExpr, l, rv any) (any, error) {
	if x.op == "+" {
		ls, lok := normalize(l).(string)
		rs, rok := normalize(rv).(string)
		if lok && rok {
			s := ls + rs
			return s, r.charge(len(s), x.pos)
		}
		la, lok := normalize(l).([]any)
		ra, rok := normalize(rv).([]any)
		if lok && rok {
			if err := r.charge(16*(len(la)+len(ra)), x.pos); err != nil {
				return nil, err
			}
			return append(append(make([]any, 0, len(la)+len(ra)), la...), ra...), nil
		}
	}
	lf, li, lInt, lok := number(l)
	rf, ri, rInt, rok := number(rv)
	if !lok || !rok {
		return nil, r.errAt(x.pos, "cannot compute %s %s %s", typeName(l), x.op, typeName(rv))
	}
	both := lInt && rInt
	switch x.op {
	case "+":
		if both {
			if s := li + ri; (s > li) == (ri > 0) {
				return s, nil
			}
		}
		return lf + rf, nil
	case "-":
		if both {
			if d := li - ri; (d < li) == (ri > 0) {
				return d, nil
			}
		}
		return lf - rf, nil
	case "*":
		if both && li != 0 && ri != 0 {
			if p := li * ri; p/ri == li && !(li == -1 && ri == math.MinInt64) && !(ri == -1 && li == math.MinInt64) {
				return p, nil
			}
			return lf * rf, nil
		}
		if both {
			return int64(0), nil
		}
		return lf * rf, nil
	case "/":
		if rf == 0 {
			return nil, r.errAt(x.pos, "division by zero")
		}
		return lf / rf, nil
	case "%":
		if rf == 0 {
			return nil, r.errAt(x.pos, "modulo by zero")
		}
		if !both {
			return math.Mod(lf, rf), nil
		}
		return li % ri, nil
	}
	return nil, r.errAt(x.pos, "unknown operator %s", x.op)
}
