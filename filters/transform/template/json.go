package template

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeJSON parses a JSON document (RFC 8259) into the values templates
// work on: nil, bool, string, json.Number, []any and map[string]any. Numbers
// keep their exact text until a template reads them.
//
// It is a purpose-built parser rather than encoding/json: strings without
// escapes are slices of one copy of the input, which makes decoding a
// request body several times faster (and Wasm is where this matters).
func DecodeJSON(data []byte) (any, error) {
	d := &jsonDecoder{s: string(data)}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.i != len(d.s) {
		return nil, d.errorf("data after the JSON value")
	}
	return v, nil
}

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

type jsonDecoder struct {
	s string
	i int
}

// JSONError is a body that is not valid JSON.
type JSONError struct {
	Offset int
	Msg    string
}

func (e *JSONError) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

func (d *jsonDecoder) errorf(msg string) error { return &JSONError{Offset: d.i, Msg: msg} }

var errJSONEnd = errors.New("unexpected end of JSON")

func (d *jsonDecoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, d.errorf("nested too deeply")
	}
	if d.i >= len(d.s) {
		return nil, d.errorf(errJSONEnd.Error())
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, d.errorf("unexpected character " + strconv.QuoteRune(rune(d.s[d.i])))
}

func (d *jsonDecoder) literal(word string) bool {
	if len(d.s)-d.i >= len(word) && d.s[d.i:d.i+len(word)] == word {
		d.i += len(word)
		return true
	}
	return false
}

func (d *jsonDecoder) object(depth int) (any, error) {
	d.i++ // {
	m := map[string]any{}
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, d.errorf("expected a string key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, d.errorf("expected ':' after an object key")
		}
		d.i++
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, d.errorf(errJSONEnd.Error())
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, nil
		default:
			return nil, d.errorf("expected ',' or '}' in an object")
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	d.i++ // [
	l := []any{}
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return l, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, d.errorf(errJSONEnd.Error())
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return l, nil
		default:
			return nil, d.errorf("expected ',' or ']' in an array")
		}
	}
}

// str reads a string at d.i (the opening quote). Without escapes the result
// shares the input's memory.
func (d *jsonDecoder) str() (string, error) {
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

func (d *jsonDecoder) escapedStr(start, j int) (string, error) {
	b := []byte(d.s[start:j])
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			return string(b), nil
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
			r, n, ok := d.unicodeEscape(j)
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
func (d *jsonDecoder) unicodeEscape(j int) (rune, int, bool) {
	r, ok := hex4(d.s, j+2)
	if !ok {
		return 0, 0, false
	}
	if utf16.IsSurrogate(r) {
		if j+12 <= len(d.s) && d.s[j+6] == '\\' && d.s[j+7] == 'u' {
			if r2, ok := hex4(d.s, j+8); ok {
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

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonDecoder) number() (any, error) {
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
		return nil, d.errorf("invalid number")
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if !d.digits() {
			return nil, d.errorf("invalid number")
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return nil, d.errorf("invalid number")
		}
	}
	return json.Number(d.s[start:d.i]), nil
}

func (d *jsonDecoder) digits() bool {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}
