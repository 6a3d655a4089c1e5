package template

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// appendJSON writes a resolved value as compact JSON, byte for byte what
// encoding/json's Encoder (SetEscapeHTML(false)) writes for the same data
// decoded with UseNumber: object keys sorted, body numbers in their original
// text, undefined, NaN and infinities as null. Written here so that the
// render path needs no reflection and no encoding/json.
func appendJSON(dst []byte, v Value) []byte {
	switch v.kind {
	case kindUndefined, kindNull:
		return append(dst, "null"...)
	case kindBool:
		return strconv.AppendBool(dst, v.boolean())
	case kindInt:
		if v.str != "" {
			return append(dst, v.str...)
		}
		return strconv.AppendInt(dst, v.int(), 10)
	case kindFloat:
		if v.str != "" {
			return append(dst, v.str...)
		}
		return appendJSONFloat(dst, v.float())
	case kindString:
		return appendJSONString(dst, v.str, false)
	case kindArray:
		dst = append(dst, '[')
		for i, e := range v.list {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e)
		}
		return append(dst, ']')
	case kindObject:
		dst = append(dst, '{')
		m := membersOf(v)
		for i := 0; i < m.n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, m.key(i), false)
			dst = append(dst, ':')
			dst = appendJSON(dst, m.val(i))
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// appendJSONFloat formats like encoding/json: shortest representation,
// exponent form only below 1e-6 or from 1e21, with a one-digit negative
// exponent ("1e-7", not "1e-07").
func appendJSONFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a quoted JSON string the way encoding/json
// does: short escapes for \" \\ \b \f \n \r \t, \u00XX for other control
// characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD, and <, >
// and & escaped only with html (json.Marshal does, an Encoder with
// SetEscapeHTML(false) does not).
func appendJSONString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
