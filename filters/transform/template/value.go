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

// rawMembers in an object's num: its members are in document order,
// repeated keys included (the last one counts). Small objects from a body
// stay that way: sorting 8 members costs more than scanning them, and most
// objects are only read by key.
const rawMembers = 1

// members is an object's members in key order, one per key.
type members struct {
	l     []Value
	n     int
	raw   bool
	order [8]uint8 // raw: indexes of pairs in key order
}

func membersOf(v Value) members {
	m := members{l: v.list}
	if v.num != rawMembers {
		m.n = len(v.list) / 2
		return m
	}
	m.raw = true
	for i := 0; i < len(v.list)/2; i++ { // stable insertion sort of indexes
		k, j := v.list[2*i].str, m.n
		for ; j > 0 && v.list[2*int(m.order[j-1])].str > k; j-- {
			m.order[j] = m.order[j-1]
		}
		m.order[j] = uint8(i)
		m.n++
	}
	out := 0
	for i := 0; i < m.n; i++ {
		if i+1 < m.n && m.key(i+1) == m.key(i) {
			continue // a later member has the same key
		}
		m.order[out] = m.order[i]
		out++
	}
	m.n = out
	return m
}

func (m *members) key(i int) string {
	if m.raw {
		i = int(m.order[i])
	}
	return m.l[2*i].str
}

func (m *members) val(i int) Value {
	if m.raw {
		i = int(m.order[i])
	}
	return m.l[2*i+1]
}

// member reads obj.name; other values have no members.
func (v Value) member(name string) Value {
	if v.kind != kindObject {
		return Value{}
	}
	l := v.list
	if v.num == rawMembers {
		for i := len(l) - 2; i >= 0; i -= 2 {
			if sameKey(l[i].str, name) {
				return l[i+1]
			}
		}
		return Value{}
	}
	n := len(l) / 2
	if n <= 8 {
		for i := 0; i < len(l); i += 2 {
			if sameKey(l[i].str, name) {
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

// sameKey compares the first bytes before the whole strings: most keys
// differ there, and in Wasm the call to compare memory is what costs.
func sameKey(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || a[0] == b[0] && a[len(a)-1] == b[len(b)-1]) && a == b
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
	case kindArray:
		if b.kind != a.kind || len(a.list) != len(b.list) {
			return false
		}
		for i := range a.list {
			if !equal(a.list[i], b.list[i]) {
				return false
			}
		}
		return true
	case kindObject:
		if b.kind != a.kind {
			return false
		}
		am, bm := membersOf(a), membersOf(b)
		if am.n != bm.n {
			return false
		}
		for i := 0; i < am.n; i++ {
			if am.key(i) != bm.key(i) || !equal(am.val(i), bm.val(i)) {
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
	if b, ok := appendShortDecimal(dst, f); ok {
		dst = b
	} else {
		dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	}
	for _, c := range dst[start:] {
		switch c {
		case '.', 'e', 'E', 'n':
			return dst
		}
	}
	return append(dst, ".0"...)
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// appendShortDecimal prints what strconv.AppendFloat(f, 'g', -1) prints for
// the common case of a number with few decimals (prices, ratios) without
// its shortest-digits search, which is costly in Wasm: for 1e-4 <= |f| <
// 1e6, 'g' uses the plain form, and the first k (up to 6) for which
// round(f·10^k)/10^k gives f back is the shortest round-tripping decimal
// (no two such decimals share a k at this magnitude: an ulp is far below
// 10^-6). Otherwise ok is false and the caller uses strconv.
func appendShortDecimal(dst []byte, f float64) ([]byte, bool) {
	a := math.Abs(f)
	if a < 1e-4 || a >= 1e6 {
		return dst, false
	}
	for k, p := range pow10 {
		m := math.Round(a * p)
		if m/p != a {
			continue
		}
		if f < 0 {
			dst = append(dst, '-')
		}
		n := uint64(m)
		whole, frac := n/uint64(p), n%uint64(p)
		dst = strconv.AppendUint(dst, whole, 10)
		if k > 0 {
			dst = append(dst, '.')
			var digits [6]byte
			for i := k - 1; i >= 0; i-- {
				digits[i] = byte('0' + frac%10)
				frac /= 10
			}
			dst = append(dst, digits[:k]...)
		}
		return dst, true
	}
	return dst, false
}
