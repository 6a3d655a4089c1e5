package template

import (
	"math"
	"strconv"
)

// kind is the type of a Value. The zero Value is undefined: the value of a
// path that leads nowhere.
type kind uint8

const (
	kindUndefined kind = iota
	kindNull
	kindBool
	kindInt
	kindFloat
	kindString
	kindArray
	kindObject
	// kindLoop is the "loop" variable of the for loop at depth num: read
	// from the renderer's loop frame, never copied into a container (see
	// renderer.resolve).
	kindLoop
	// kindUnset marks a set variable's slot before its {% set %} ran.
	kindUnset
)

// Value is a template value: a small tagged struct instead of an `any`, so
// that scalars cost no allocation and containers are slices of one slab.
//
// Numbers keep both their value (num: int64 or float64 bits) and, when they
// come from a JSON body, their text (str), which is how they print inside an
// array or object (as encoding/json prints a json.Number). An array's items
// are list; an object's members are list as key, value, key, value… sorted
// by key with one member per key (the last one in the document wins).
type Value struct {
	kind kind
	num  uint64
	str  string
	list []Value
}

func boolValue(b bool) Value {
	if b {
		return Value{kind: kindBool, num: 1}
	}
	return Value{kind: kindBool}
}

func intValue(i int64) Value     { return Value{kind: kindInt, num: uint64(i)} }
func floatValue(f float64) Value { return Value{kind: kindFloat, num: math.Float64bits(f)} }
func stringValue(s string) Value { return Value{kind: kindString, str: s} }

func (v Value) boolean() bool   { return v.num != 0 }
func (v Value) int() int64      { return int64(v.num) }
func (v Value) float() float64  { return math.Float64frombits(v.num) }
func (v Value) isNothing() bool { return v.kind == kindUndefined || v.kind == kindNull }

// members returns an object's member count.
func (v Value) members() int { return len(v.list) / 2 }

// member reads obj.name; other values have no members.
func (v Value) member(name string) Value {
	if v.kind != kindObject {
		return Value{}
	}
	l := v.list
	n := len(l) / 2
	if n <= 8 {
		for i := 0; i < len(l); i += 2 {
			if l[i].str == name {
				return l[i+1]
			}
		}
		return Value{}
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l[2*m].str < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n && l[2*lo].str == name {
		return l[2*lo+1]
	}
	return Value{}
}

func typeName(v Value) string {
	switch v.kind {
	case kindUndefined:
		return "undefined"
	case kindNull:
		return "null"
	case kindBool:
		return "boolean"
	case kindInt, kindFloat:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "array"
	case kindObject, kindLoop:
		return "object"
	}
	return "unknown"
}

// truthy follows Inja: false, null, undefined, 0, "" and empty containers are
// false; everything else is true.
func truthy(v Value) bool {
	switch v.kind {
	case kindBool, kindInt:
		return v.num != 0
	case kindFloat:
		return v.float() != 0
	case kindString:
		return v.str != ""
	case kindArray, kindObject:
		return len(v.list) > 0
	case kindLoop:
		return true
	}
	return false
}

// number returns v as a float64 and whether it is an integer value.
func number(v Value) (f float64, i int64, isInt, ok bool) {
	switch v.kind {
	case kindInt:
		return float64(v.int()), v.int(), true, true
	case kindFloat:
		return v.float(), 0, false, true
	}
	return 0, 0, false, false
}

// equal compares resolved values (no kindLoop).
func equal(a, b Value) bool {
	if af, ai, aInt, ok := number(a); ok {
		bf, bi, bInt, ok := number(b)
		if !ok {
			return false
		}
		if aInt && bInt {
			return ai == bi
		}
		return af == bf
	}
	switch a.kind {
	case kindUndefined, kindNull:
		return b.isNothing()
	case kindBool:
		return b.kind == kindBool && a.num == b.num
	case kindString:
		return b.kind == kindString && a.str == b.str
	case kindArray, kindObject:
		if b.kind != a.kind || len(a.list) != len(b.list) {
			return false
		}
		for i := range a.list {
			if !equal(a.list[i], b.list[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// compare orders two numbers or two strings.
func compare(a, b Value) (int, bool) {
	if af, ai, aInt, ok := number(a); ok {
		bf, bi, bInt, ok := number(b)
		if !ok {
			return 0, false
		}
		if aInt && bInt {
			return cmp3(ai < bi, ai > bi), true
		}
		return cmp3(af < bf, af > bf), true
	}
	if a.kind != kindString || b.kind != kindString {
		return 0, false
	}
	return cmp3(a.str < b.str, a.str > b.str), true
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// appendValue writes a resolved value as template output: strings raw,
// numbers and booleans as JSON does, null as "null", undefined as nothing,
// and arrays and objects as compact JSON with sorted keys.
func appendValue(dst []byte, v Value) []byte {
	switch v.kind {
	case kindUndefined:
		return dst
	case kindNull:
		return append(dst, "null"...)
	case kindBool:
		return strconv.AppendBool(dst, v.boolean())
	case kindInt:
		return strconv.AppendInt(dst, v.int(), 10)
	case kindFloat:
		return appendFloat(dst, v.float())
	case kindString:
		return append(dst, v.str...)
	}
	return appendJSON(dst, v)
}

// appendFloat prints like Inja (nlohmann::json): 2.0 stays "2.0".
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	for _, c := range dst[start:] {
		switch c {
		case '.', 'e', 'E', 'n':
			return dst
		}
	}
	return append(dst, ".0"...)
}
