package template

import (
	"encoding/json"
	"slices"
	"strings"
)

// DecodeJSON parses a JSON document (RFC 8259) into plain Go values: nil,
// bool, string, json.Number, []any and map[string]any, numbers in their
// exact text. It is JSONDoc.Decode followed by a conversion, for callers
// that want Go values (Input.JSON accepts them); a filter decoding a body
// per request should reuse a JSONDoc instead, which allocates nothing.
func DecodeJSON(data []byte) (any, error) {
	var d JSONDoc
	if err := d.Decode(string(data)); err != nil {
		return nil, err
	}
	return toAny(d.root), nil
}

func toAny(v Value) any {
	switch v.kind {
	case kindBool:
		return v.boolean()
	case kindInt, kindFloat:
		return json.Number(v.str)
	case kindString:
		return v.str
	case kindArray:
		l := make([]any, len(v.list))
		for i, e := range v.list {
			l[i] = toAny(e)
		}
		return l
	case kindObject:
		m := make(map[string]any, len(v.list)/2)
		for i := 0; i < len(v.list); i += 2 {
			m[v.list[i].str] = toAny(v.list[i+1])
		}
		return m
	}
	return nil
}

// fromAny converts Input.JSON (what DecodeJSON returns, or values built in
// Go: int, int64, float64 and the like) into the renderer's slab.
func (r *renderer) fromAny(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{kind: kindNull}
	case bool:
		return boolValue(x)
	case json.Number:
		return numberValue(string(x), strings.IndexAny(string(x), ".eE") < 0)
	case int:
		return intValue(int64(x))
	case int64:
		return intValue(x)
	case float64:
		return floatValue(x)
	case string:
		return stringValue(x)
	case []any:
		l := r.vals.take(len(x))
		for i, e := range x {
			l[i] = r.fromAny(e)
		}
		return Value{kind: kindArray, list: l}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		l := r.vals.take(2 * len(x))
		for i, k := range keys {
			l[2*i], l[2*i+1] = stringValue(k), r.fromAny(x[k])
		}
		return Value{kind: kindObject, list: l}
	}
	return Value{}
}
