package template

import (
	"strconv"
	"strings"
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
	opens []open  // the containers being decoded, innermost last
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
//
// One loop with an explicit stack of open containers rather than a
// recursive descent: in Wasm a Go function call costs far more than a
// loop iteration, and a body is mostly calls' worth of small tokens.
func (d *JSONDoc) Decode(src string) error {
	d.vals.reset(keepDocValues)
	d.text.reset(keepDocBytes)
	if cap(d.stack) > keepDocValues {
		d.stack = nil
	}
	d.root, d.s, d.i, d.stack, d.opens, d.ok = Value{}, src, 0, d.stack[:0], d.opens[:0], false
	v, err := d.decode()
	if err != nil {
		return err
	}
	d.root, d.ok = v, true
	return nil
}

// open is a container being decoded: where its members start on the stack.
type open struct {
	mark   int
	object bool
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *JSONDoc) decode() (Value, error) {
	s, i := d.s, 0
	var v Value
	fail := func(at int, msg string) (Value, error) {
		d.i = at
		return Value{}, &JSONError{Offset: at, Msg: msg}
	}
	// expectKey: an object member starts at i (after '{' or ',').
	expectKey := false
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if len(d.opens) > maxJSONDepth {
			return fail(i, "nested too deeply")
		}
		if i >= len(s) {
			if expectKey {
				return fail(i, "expected a string key")
			}
			return fail(i, "unexpected end of JSON")
		}
		c := s[i]
		if expectKey && c != '"' {
			return fail(i, "expected a string key")
		}
		switch {
		case c == '"':
			// Strings without escapes are scanned here, not in a
			// function: most tokens of a body are short strings.
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\\' && s[j] >= 0x20 {
				j++
			}
			var str string
			if j < len(s) && s[j] == '"' {
				str, i = s[i+1:j], j+1
			} else {
				var err error
				if str, i, err = d.str(i); err != nil {
					return Value{}, err
				}
			}
			if expectKey {
				for i < len(s) && isSpace(s[i]) {
					i++
				}
				if i >= len(s) || s[i] != ':' {
					return fail(i, "expected ':' after an object key")
				}
				i++
				d.stack = append(d.stack, stringValue(str))
				expectKey = false
				continue
			}
			v = stringValue(str)
		case c == '{' || c == '[':
			i++
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			if c == '[' {
				if i < len(s) && s[i] == ']' {
					i++
					v = Value{kind: kindArray}
					break
				}
				d.opens = append(d.opens, open{mark: len(d.stack)})
				continue
			}
			if i < len(s) && s[i] == '}' {
				i++
				v = Value{kind: kindObject}
				break
			}
			d.opens = append(d.opens, open{mark: len(d.stack), object: true})
			expectKey = true
			continue
		case c == '-' || c >= '0' && c <= '9':
			// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, its text
			// kept; up to 18 integer digits are summed while scanning.
			start := i
			if c == '-' {
				i++
			}
			var n int64
			digits := 0
			switch {
			case i < len(s) && s[i] == '0':
				i++
				digits = 1
			case i < len(s) && s[i] >= '1' && s[i] <= '9':
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					n = n*10 + int64(s[i]-'0')
					i++
					digits++
				}
			default:
				return fail(i, "invalid number")
			}
			integer := true
			if i < len(s) && s[i] == '.' {
				i++
				integer = false
				if i >= len(s) || s[i] < '0' || s[i] > '9' {
					return fail(i, "invalid number")
				}
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					i++
				}
			}
			if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
				i++
				integer = false
				if i < len(s) && (s[i] == '+' || s[i] == '-') {
					i++
				}
				if i >= len(s) || s[i] < '0' || s[i] > '9' {
					return fail(i, "invalid number")
				}
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					i++
				}
			}
			if integer && digits <= 18 {
				if c == '-' {
					n = -n
				}
				v = Value{kind: kindInt, num: uint64(n), str: s[start:i]}
			} else {
				v = numberValue(s[start:i], integer)
			}
		case c == 't' && strings.HasPrefix(s[i:], "true"):
			v, i = boolValue(true), i+4
		case c == 'f' && strings.HasPrefix(s[i:], "false"):
			v, i = boolValue(false), i+5
		case c == 'n' && strings.HasPrefix(s[i:], "null"):
			v, i = Value{kind: kindNull}, i+4
		default:
			return fail(i, "unexpected character "+strconv.QuoteRune(rune(c)))
		}
		// v is complete: add it to its container, closing containers
		// as long as they end here.
		for {
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			if len(d.opens) == 0 {
				if i != len(s) {
					return fail(i, "data after the JSON value")
				}
				d.i = i
				return v, nil
			}
			d.stack = append(d.stack, v)
			top := d.opens[len(d.opens)-1]
			if i >= len(s) {
				return fail(i, "unexpected end of JSON")
			}
			c := s[i]
			if c == ',' {
				i++
				expectKey = top.object
				break // the next member's value
			}
			switch {
			case top.object && c == '}':
				v = d.finishObject(top.mark)
			case !top.object && c == ']':
				v = d.finish(kindArray, top.mark)
			case top.object:
				return fail(i, "expected ',' or '}' in an object")
			default:
				return fail(i, "expected ',' or ']' in an array")
			}
			i++
			d.opens = d.opens[:len(d.opens)-1]
		}
	}
}

func (d *JSONDoc) errorf(msg string) error { return &JSONError{Offset: d.i, Msg: msg} }

// finish moves the members decoded since mark from the stack into the slab.
func (d *JSONDoc) finish(k kind, mark int) Value {
	items := d.vals.take(len(d.stack) - mark)
	copy(items, d.stack[mark:])
	d.stack = d.stack[:mark]
	return Value{kind: k, list: items}
}

// finishObject keeps a small object's members in document order (see
// rawMembers) and sorts a larger one's for binary search.
func (d *JSONDoc) finishObject(mark int) Value {
	if len(d.stack)-mark <= 2*len(members{}.order) {
		v := d.finish(kindObject, mark)
		v.num = rawMembers
		return v
	}
	d.stack = d.stack[:mark+sortMembers(d.stack[mark:], &d.tmp)]
	return d.finish(kindObject, mark)
}

// str reads a string at i (the opening quote) and returns the offset after
// it. Without escapes the result shares the input's memory.
func (d *JSONDoc) str(i int) (string, int, error) {
	s := d.s
	start := i + 1
	for j := start; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return s[start:j], j + 1, nil
		case c == '\\':
			str, err := d.escapedStr(start, j)
			return str, d.i, err
		case c < 0x20:
			d.i = j
			return "", j, d.errorf("control character in a string")
		}
	}
	d.i = len(s)
	return "", len(s), d.errorf("unterminated string")
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
