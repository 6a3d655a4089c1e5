package template

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSONDoc is a decoded JSON document (RFC 8259) in the values templates work
// on. Decode it once per message and hand it to renders in Input.Doc.
//
// Decoding boxes nothing: scalars are Values, arrays and objects are runs of
// one slab, strings without escapes are slices of the source and unescaped
// strings share one byte arena. A JSONDoc is reusable: Decode resets it and
// reuses its memory, so a filter that keeps one per direction decodes a body
// of the usual size without allocating. It is not safe for concurrent use,
// and what it holds is valid until the next Decode.
type JSONDoc struct {
	root  Value
	s     string
	i     int
	stack []Value // members of the containers being decoded
	tmp   []Value // merge sort buffer for object members
	vals  slab
	text  arena
	ok    bool
}

// Reuse bounds: a doc keeps its memory for the next body up to these sizes.
const (
	keepDocValues = 16 << 10
	keepDocBytes  = 256 << 10
)

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

// JSONError is a body that is not valid JSON.
type JSONError struct {
	Offset int
	Msg    string
}

func (e *JSONError) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// Decode parses src, replacing what the doc held. Strings in the document
// share src's memory: src must stay unchanged while the doc is used. On
// error the doc is empty (a render sees no JSON).
func (d *JSONDoc) Decode(src string) error {
	d.vals.reset(keepDocValues)
	d.text.reset(keepDocBytes)
	if cap(d.stack) > keepDocValues {
		d.stack = nil
	}
	d.root, d.s, d.i, d.stack, d.ok = Value{}, src, 0, d.stack[:0], false
	d.skipSpace()
	v, err := d.value(0)
	if err == nil {
		d.skipSpace()
		if d.i != len(d.s) {
			err = d.errorf("data after the JSON value")
		}
	}
	clear(d.stack[:cap(d.stack)])
	if err != nil {
		return err
	}
	d.root, d.ok = v, true
	return nil
}

func (d *JSONDoc) errorf(msg string) error { return &JSONError{Offset: d.i, Msg: msg} }

func (d *JSONDoc) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *JSONDoc) value(depth int) (Value, error) {
	if depth > maxJSONDepth {
		return Value{}, d.errorf("nested too deeply")
	}
	if d.i >= len(d.s) {
		return Value{}, d.errorf("unexpected end of JSON")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		return stringValue(s), err
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case d.literal("true"):
		return boolValue(true), nil
	case d.literal("false"):
		return boolValue(false), nil
	case d.literal("null"):
		return Value{kind: kindNull}, nil
	}
	return Value{}, d.errorf("unexpected character " + strconv.QuoteRune(rune(d.s[d.i])))
}

func (d *JSONDoc) literal(word string) bool {
	if len(d.s)-d.i >= len(word) && d.s[d.i:d.i+len(word)] == word {
		d.i += len(word)
		return true
	}
	return false
}

// finish moves the members decoded since mark from the stack into the slab.
func (d *JSONDoc) finish(k kind, mark int) Value {
	items := d.vals.take(len(d.stack) - mark)
	copy(items, d.stack[mark:])
	d.stack = d.stack[:mark]
	return Value{kind: k, list: items}
}

func (d *JSONDoc) object(depth int) (Value, error) {
	d.i++ // {
	mark := len(d.stack)
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return Value{kind: kindObject}, nil
	}
	for {
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return Value{}, d.errorf("expected a string key")
		}
		k, err := d.str()
		if err != nil {
			return Value{}, err
		}
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return Value{}, d.errorf("expected ':' after an object key")
		}
		d.i++
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		d.stack = append(d.stack, stringValue(k), v)
		d.skipSpace()
		if d.i >= len(d.s) {
			return Value{}, d.errorf("unexpected end of JSON")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			d.stack = d.stack[:mark+sortMembers(d.stack[mark:], &d.tmp)]
			return d.finish(kindObject, mark), nil
		default:
			return Value{}, d.errorf("expected ',' or '}' in an object")
		}
	}
}

func (d *JSONDoc) array(depth int) (Value, error) {
	d.i++ // [
	mark := len(d.stack)
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return Value{kind: kindArray}, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		d.stack = append(d.stack, v)
		d.skipSpace()
		if d.i >= len(d.s) {
			return Value{}, d.errorf("unexpected end of JSON")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return d.finish(kindArray, mark), nil
		default:
			return Value{}, d.errorf("expected ',' or ']' in an array")
		}
	}
}

// str reads a string at d.i (the opening quote). Without escapes the result
// shares the input's memory.
func (d *JSONDoc) str() (string, error) {
	start := d.i + 1
	for j := start; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			d.i = j + 1
			return d.s[start:j], nil
		case c == '\\':
			return d.escapedStr(start, j)
		case c < 0x20:
			d.i = j
			return "", d.errorf("control character in a string")
		}
	}
	d.i = len(d.s)
	return "", d.errorf("unterminated string")
}

func (d *JSONDoc) escapedStr(start, j int) (string, error) {
	b := append(d.text.tail(), d.s[start:j]...)
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			return d.text.commit(b), nil
		case c < 0x20:
			d.i = j
			return "", d.errorf("control character in a string")
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(d.s) {
			break
		}
		switch e := d.s[j+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, n, ok := unicodeEscape(d.s, j)
			if !ok {
				d.i = j
				return "", d.errorf("invalid \\u escape")
			}
			b = utf8.AppendRune(b, r)
			j += n
			continue
		default:
			d.i = j
			return "", d.errorf("invalid escape")
		}
		j += 2
	}
	d.i = len(d.s)
	return "", d.errorf("unterminated string")
}

// unicodeEscape decodes \uXXXX at j (and a following low surrogate); it
// returns the rune and the bytes consumed. Lone surrogates become U+FFFD,
// as encoding/json does.
func unicodeEscape(s string, j int) (rune, int, bool) {
	r, ok := hex4(s, j+2)
	if !ok {
		return 0, 0, false
	}
	if utf16.IsSurrogate(r) {
		if j+12 <= len(s) && s[j+6] == '\\' && s[j+7] == 'u' {
			if r2, ok := hex4(s, j+8); ok {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return dec, 12, true
				}
			}
		}
		return utf8.RuneError, 6, true
	}
	return r, 6, true
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[at : at+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and keeps its
// text: integer text that fits is an int64, anything else a float64 (as
// templates read a json.Number).
func (d *JSONDoc) number() (Value, error) {
	start := d.i
	if d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.i < len(d.s) && d.s[d.i] >= '1' && d.s[d.i] <= '9':
		d.digits()
	default:
		return Value{}, d.errorf("invalid number")
	}
	integer := true
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		integer = false
		if !d.digits() {
			return Value{}, d.errorf("invalid number")
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		integer = false
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return Value{}, d.errorf("invalid number")
		}
	}
	v := numberValue(d.s[start:d.i], integer)
	return v, nil
}

// numberValue reads valid JSON number text.
func numberValue(text string, integer bool) Value {
	if integer {
		if i, ok := parseSmallInt(text); ok {
			return Value{kind: kindInt, num: uint64(i), str: text}
		}
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return Value{kind: kindInt, num: uint64(i), str: text}
		}
	}
	f, _ := strconv.ParseFloat(text, 64) // out of range: ±Inf, printed as null
	v := floatValue(f)
	v.str = text
	return v
}

// parseSmallInt parses up to 18 digits (always within int64) without
// strconv, whose error path allocates.
func parseSmallInt(s string) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func (d *JSONDoc) digits() bool {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// sortMembers sorts an object's key, value pairs by key, stably, and keeps
// the last of equal keys (as encoding/json does when decoding into a map).
// It returns the length of the deduplicated pairs. Small objects use an
// insertion sort; large ones a merge sort through tmp, so a body with many
// keys costs n log n, not n².
func sortMembers(p []Value, tmp *[]Value) int {
	n := len(p) / 2
	if n > 12 {
		if cap(*tmp) < len(p) {
			*tmp = make([]Value, len(p))
		}
		mergeSortPairs(p, (*tmp)[:len(p)])
	} else {
		for i := 1; i < n; i++ {
			for j := i; j > 0 && p[2*j].str < p[2*j-2].str; j-- {
				p[2*j], p[2*j-2] = p[2*j-2], p[2*j]
				p[2*j+1], p[2*j-1] = p[2*j-1], p[2*j+1]
			}
		}
	}
	out := 0
	for i := 0; i < n; i++ {
		if i+1 < n && p[2*i+2].str == p[2*i].str {
			continue // a later member has the same key
		}
		p[2*out], p[2*out+1] = p[2*i], p[2*i+1]
		out++
	}
	return 2 * out
}

// mergeSortPairs is a stable bottom-up merge sort of key, value pairs.
func mergeSortPairs(p, tmp []Value) {
	n := len(p) / 2
	src, dst := p, tmp
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid || j < hi {
				if j >= hi || i < mid && src[2*i].str <= src[2*j].str {
					dst[2*k], dst[2*k+1] = src[2*i], src[2*i+1]
					i++
				} else {
					dst[2*k], dst[2*k+1] = src[2*j], src[2*j+1]
					j++
				}
				k++
			}
		}
		src, dst = dst, src
	}
	if &src[0] != &p[0] {
		copy(p, src)
	}
	clear(tmp)
}
