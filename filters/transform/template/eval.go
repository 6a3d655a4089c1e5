package template

import (
	"math"
	"strings"
)

func (c *compiler) unary(x *unaryExpr) evalFn {
	operand, pos := c.expr(x.x), x.pos
	if x.op == "not" {
		return func(r *renderer) (Value, error) {
			if err := r.step(pos); err != nil {
				return Value{}, err
			}
			v, err := operand(r)
			return boolValue(!truthy(v)), err
		}
	}
	return func(r *renderer) (Value, error) {
		if err := r.step(pos); err != nil {
			return Value{}, err
		}
		v, err := operand(r)
		if err != nil {
			return Value{}, err
		}
		f, i, isInt, ok := number(v)
		switch {
		case !ok:
			return Value{}, r.errAt(pos, "cannot negate %s", typeName(r.resolve(v)))
		case isInt && i != math.MinInt64:
			return intValue(-i), nil
		}
		return floatValue(-f), nil
	}
}

// binaryOp computes a non-short-circuit operator on resolved operands.
type binaryOp func(r *renderer, l, rv Value, pos int) (Value, error)

func (c *compiler) binary(x *binaryExpr) evalFn {
	left, right, pos := c.expr(x.l), c.expr(x.r), x.pos
	switch x.op { // short-circuit operators first
	case "and", "or":
		isOr := x.op == "or"
		return func(r *renderer) (Value, error) {
			if err := r.step(pos); err != nil {
				return Value{}, err
			}
			l, err := left(r)
			if err != nil {
				return Value{}, err
			}
			if truthy(l) == isOr {
				return boolValue(isOr), nil
			}
			rv, err := right(r)
			return boolValue(truthy(rv)), err
		}
	}
	op := binaryOps(x.op)
	return func(r *renderer) (Value, error) {
		if err := r.step(pos); err != nil {
			return Value{}, err
		}
		l, err := left(r)
		if err != nil {
			return Value{}, err
		}
		rv, err := right(r)
		if err != nil {
			return Value{}, err
		}
		return op(r, r.resolve(l), r.resolve(rv), pos)
	}
}

func binaryOps(op string) binaryOp {
	switch op {
	case "==":
		return func(_ *renderer, l, rv Value, _ int) (Value, error) { return boolValue(equal(l, rv)), nil }
	case "!=":
		return func(_ *renderer, l, rv Value, _ int) (Value, error) { return boolValue(!equal(l, rv)), nil }
	case "<", "<=", ">", ">=":
		return func(r *renderer, l, rv Value, pos int) (Value, error) {
			c, ok := compare(l, rv)
			if !ok {
				return Value{}, r.errAt(pos, "cannot compare %s %s %s", typeName(l), op, typeName(rv))
			}
			switch op {
			case "<":
				return boolValue(c < 0), nil
			case "<=":
				return boolValue(c <= 0), nil
			case ">":
				return boolValue(c > 0), nil
			}
			return boolValue(c >= 0), nil
		}
	case "in", "not in":
		negate := op == "not in"
		return func(r *renderer, l, rv Value, pos int) (Value, error) {
			in, err := r.contains(rv, l, pos)
			return boolValue(in != negate), err
		}
	case "~":
		return func(r *renderer, l, rv Value, pos int) (Value, error) {
			s := r.str(appendValue(appendValue(r.text.tail(), l), rv))
			return stringValue(s), r.charge(len(s), pos)
		}
	}
	return func(r *renderer, l, rv Value, pos int) (Value, error) { return r.arith(op, l, rv, pos) }
}

func (r *renderer) contains(container, item Value, pos int) (bool, error) {
	switch container.kind {
	case kindArray:
		for _, e := range container.list {
			if equal(e, item) {
				return true, nil
			}
		}
		return false, nil
	case kindObject:
		return item.kind == kindString && container.member(item.str).kind != kindUndefined, nil
	case kindString:
		if item.kind != kindString {
			return false, r.errAt(pos, "\"in\" a string needs a string, got %s", typeName(item))
		}
		return strings.Contains(container.str, item.str), nil
	case kindUndefined, kindNull:
		return false, nil
	}
	return false, r.errAt(pos, "cannot test \"in\" %s", typeName(container))
}

func (r *renderer) arith(op string, l, rv Value, pos int) (Value, error) {
	if op == "+" {
		if l.kind == kindString && rv.kind == kindString {
			s := r.str(append(append(r.text.tail(), l.str...), rv.str...))
			return stringValue(s), r.charge(len(s), pos)
		}
		if l.kind == kindArray && rv.kind == kindArray {
			if err := r.charge(16*(len(l.list)+len(rv.list)), pos); err != nil {
				return Value{}, err
			}
			items := r.vals.take(len(l.list) + len(rv.list))
			copy(items[copy(items, l.list):], rv.list)
			return Value{kind: kindArray, list: items}, nil
		}
	}
	lf, li, lInt, lok := number(l)
	rf, ri, rInt, rok := number(rv)
	if !lok || !rok {
		return Value{}, r.errAt(pos, "cannot compute %s %s %s", typeName(l), op, typeName(rv))
	}
	both := lInt && rInt
	switch op {
	case "+":
		if both {
			if s := li + ri; (s > li) == (ri > 0) {
				return intValue(s), nil
			}
		}
		return floatValue(lf + rf), nil
	case "-":
		if both {
			if d := li - ri; (d < li) == (ri > 0) {
				return intValue(d), nil
			}
		}
		return floatValue(lf - rf), nil
	case "*":
		if both && li != 0 && ri != 0 {
			if p := li * ri; p/ri == li && !(li == -1 && ri == math.MinInt64) && !(ri == -1 && li == math.MinInt64) {
				return intValue(p), nil
			}
			return floatValue(lf * rf), nil
		}
		if both {
			return intValue(0), nil
		}
		return floatValue(lf * rf), nil
	case "/":
		if rf == 0 {
			return Value{}, r.errAt(pos, "division by zero")
		}
		return floatValue(lf / rf), nil
	case "%":
		if rf == 0 {
			return Value{}, r.errAt(pos, "modulo by zero")
		}
		if !both {
			return floatValue(math.Mod(lf, rf)), nil
		}
		return intValue(li % ri), nil
	}
	return Value{}, r.errAt(pos, "unknown operator %s", op)
}
