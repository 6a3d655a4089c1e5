package template

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Values are JSON values: nil (JSON null), bool, int64, float64, string,
// []any, map[string]any, plus json.Number inside decoded bodies (normalized
// when read) and undefined, the value of a path that leads nowhere.
type undefinedValue struct{}

var undefined any = undefinedValue{}

// normalize turns a json.Number into int64 or float64.
func normalize(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		if l, ok := v.(*loopInfo); ok {
			return l.asMap()
		}
		return v
	}
	// Only integer text can be an int64; trying ParseInt on "2.5" would
	// allocate an error for nothing.
	if strings.IndexAny(string(n), ".eE") < 0 {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i
		}
	}
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

func typeName(v any) string {
	switch normalize(v).(type) {
	case undefinedValue:
		return "undefined"
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// truthy follows Inja: false, null, undefined, 0, "" and empty containers are
// false; everything else is true.
func truthy(v any) bool {
	switch x := normalize(v).(type) {
	case undefinedValue, nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return false
}

// number returns v as a float64 and whether it is an integer value.
func number(v any) (f float64, i int64, isInt, ok bool) {
	switch x := normalize(v).(type) {
	case int64:
		return float64(x), x, true, true
	case float64:
		return x, 0, false, true
	}
	return 0, 0, false, false
}

func equal(a, b any) bool {
	a, b = normalize(a), normalize(b)
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
	switch x := a.(type) {
	case undefinedValue, nil:
		switch b.(type) {
		case undefinedValue, nil:
			return true
		}
		return false
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

// compare orders two numbers or two strings.
func compare(a, b any) (int, bool) {
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
	as, ok1 := normalize(a).(string)
	bs, ok2 := normalize(b).(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	return cmp3(as < bs, as > bs), true
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

// appendValue writes v as template output: strings raw, numbers and booleans
// as JSON does, null as "null", undefined as nothing, and arrays and objects
// as compact JSON with sorted keys.
func appendValue(dst []byte, v any) ([]byte, error) {
	switch x := normalize(v).(type) {
	case undefinedValue:
		return dst, nil
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x), nil
	case string:
		return append(dst, x...), nil
	}
	return appendJSON(dst, v)
}

// appendFloat prints like Inja (nlohmann::json): 2.0 stays "2.0".
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f), math.IsInf(f, 0):
		return append(dst, "null"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	if bytes.IndexAny(dst[start:], ".eEn") < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

func appendJSON(dst []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonSafe(v)); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}

// jsonSafe replaces what encoding/json cannot encode (undefined, NaN,
// infinities) with null.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case *loopInfo:
		return jsonSafe(x.asMap())
	case undefinedValue:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = jsonSafe(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonSafe(e)
		}
		return out
	}
	return v
}

// toString renders a value as text (for functions that take strings).
func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := appendValue(nil, v)
	return string(b)
}
