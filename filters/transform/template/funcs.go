package template

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// builtin is a function templates call. Its arguments are resolved values on
// the renderer's argument stack, valid until it returns; a string it returns
// lives in the render's arena.
type builtin struct {
	name             string
	minArgs, maxArgs int
	readsBody        bool // needs the raw body
	readsJSON        bool // needs the parsed JSON body
	call             func(r *renderer, args []Value) (Value, error)
}

var builtins = map[string]*builtin{}

func register(b *builtin) { builtins[b.name] = b }

func strFn(f func(r *renderer, s string) string) func(*renderer, []Value) (Value, error) {
	return func(r *renderer, a []Value) (Value, error) { return stringValue(f(r, r.toString(a[0]))), nil }
}

func init() {
	// kgateway's functions.
	register(&builtin{name: "header", minArgs: 1, maxArgs: 1, call: strFn(func(r *renderer, s string) string {
		return r.in.header(r.lower(s))
	})})
	register(&builtin{name: "request_header", minArgs: 1, maxArgs: 1, call: strFn(func(r *renderer, s string) string {
		return r.in.requestHeader(r.lower(s))
	})})
	register(&builtin{name: "body", readsBody: true, call: func(r *renderer, _ []Value) (Value, error) {
		return stringValue(r.in.Body), nil
	}})
	register(&builtin{name: "context", readsJSON: true, call: func(r *renderer, _ []Value) (Value, error) {
		if r.root.kind == kindUndefined {
			return Value{kind: kindNull}, nil
		}
		return plain(r.root), nil
	}})
	register(&builtin{name: "base64_encode", minArgs: 1, maxArgs: 1, call: strFn(func(r *renderer, s string) string {
		return r.str(base64.StdEncoding.AppendEncode(r.text.tail(), bytesOf(s)))
	})})
	register(&builtin{name: "base64url_encode", minArgs: 1, maxArgs: 1, call: strFn(func(r *renderer, s string) string {
		return r.str(base64.RawURLEncoding.AppendEncode(r.text.tail(), bytesOf(s)))
	})})
	register(&builtin{name: "base64_decode", minArgs: 1, maxArgs: 1, call: func(r *renderer, a []Value) (Value, error) {
		return r.decodeBase64(r.toString(a[0]), base64.StdEncoding, base64.RawStdEncoding)
	}})
	register(&builtin{name: "base64url_decode", minArgs: 1, maxArgs: 1, call: func(r *renderer, a []Value) (Value, error) {
		return r.decodeBase64(r.toString(a[0]), base64.URLEncoding, base64.RawURLEncoding)
	}})
	register(&builtin{name: "substring", minArgs: 2, maxArgs: 3, call: substring})
	register(&builtin{name: "replace_with_string", minArgs: 3, maxArgs: 3, call: replaceAll})
	register(&builtin{name: "replace_with_random", minArgs: 2, maxArgs: 2, call: replaceWithRandom})
	register(&builtin{name: "env", minArgs: 1, maxArgs: 1, call: strFn(func(_ *renderer, s string) string {
		return os.Getenv(s)
	})})
	register(&builtin{name: "raw_string", minArgs: 1, maxArgs: 1, call: strFn(func(r *renderer, s string) string {
		// JSON-escaped as json.Marshal does, without the quotes.
		q := r.str(appendJSONString(r.text.tail(), s, true))
		return q[1 : len(q)-1]
	})})

	// Inja's and Jinja's common built-ins.
	register(&builtin{name: "length", minArgs: 1, maxArgs: 1, call: length})
	register(&builtin{name: "upper", minArgs: 1, maxArgs: 1, call: strFn((*renderer).upper)})
	register(&builtin{name: "lower", minArgs: 1, maxArgs: 1, call: strFn((*renderer).lower)})
	register(&builtin{name: "capitalize", minArgs: 1, maxArgs: 1, call: strFn(capitalize)})
	register(&builtin{name: "trim", minArgs: 1, maxArgs: 1, call: strFn(func(_ *renderer, s string) string {
		return strings.TrimSpace(s)
	})})
	register(&builtin{name: "replace", minArgs: 3, maxArgs: 3, call: replaceAll})
	register(&builtin{name: "default", minArgs: 2, maxArgs: 2, call: func(_ *renderer, a []Value) (Value, error) {
		if a[0].isNothing() {
			return a[1], nil
		}
		return a[0], nil
	}})
	register(&builtin{name: "exists", minArgs: 1, maxArgs: 1, readsJSON: true, call: func(r *renderer, a []Value) (Value, error) {
		v, path := r.root, r.toString(a[0])
		for {
			part, rest, more := strings.Cut(path, ".")
			if v = r.member(v, part, arrayIndex(part)); v.kind == kindUndefined {
				return boolValue(false), nil
			}
			if !more {
				return boolValue(true), nil
			}
			path = rest
		}
	}})
	register(&builtin{name: "existsIn", minArgs: 2, maxArgs: 2, call: func(r *renderer, a []Value) (Value, error) {
		key := r.toString(a[1])
		return boolValue(r.member(a[0], key, arrayIndex(key)).kind != kindUndefined), nil
	}})
	register(&builtin{name: "first", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []Value) (Value, error) {
		if a[0].kind == kindArray && len(a[0].list) > 0 {
			return plain(a[0].list[0]), nil
		}
		return Value{}, nil
	}})
	register(&builtin{name: "last", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []Value) (Value, error) {
		if l := a[0].list; a[0].kind == kindArray && len(l) > 0 {
			return plain(l[len(l)-1]), nil
		}
		return Value{}, nil
	}})
	register(&builtin{name: "join", minArgs: 2, maxArgs: 2, call: join})
	register(&builtin{name: "range", minArgs: 1, maxArgs: 1, call: rangeList})
	register(&builtin{name: "int", minArgs: 1, maxArgs: 1, call: toInt})
	register(&builtin{name: "float", minArgs: 1, maxArgs: 1, call: toFloat})
	register(&builtin{name: "round", minArgs: 1, maxArgs: 2, call: round})
}

// bytesOf views a string's bytes without copying; the callee only reads.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// arrayIndex is a member name as an array index (strconv.Atoi's syntax), or
// -1.
func arrayIndex(name string) int {
	s := name
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	if neg && n != 0 {
		return -1
	}
	return n
}

func (r *renderer) decodeBase64(s string, padded, raw *base64.Encoding) (Value, error) {
	if b, err := padded.AppendDecode(r.text.tail(), bytesOf(s)); err == nil {
		return stringValue(r.str(b)), nil
	}
	b, err := raw.AppendDecode(r.text.tail(), bytesOf(s))
	if err != nil {
		return Value{}, errors.New("input is not valid base64")
	}
	return stringValue(r.str(b)), nil
}

// runeOffset is the byte offset of the n-th rune of s (len(s) past the end).
func runeOffset(s string, n int64) int {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// substring(s, start[, length]) counts characters (runes). A start outside
// the string gives ""; a missing, zero or negative (as kgateway) or too long
// length runs to the end.
func substring(r *renderer, a []Value) (Value, error) {
	s := r.toString(a[0])
	_, start, isInt, ok := number(a[1])
	if !ok || !isInt {
		return Value{}, fmt.Errorf("start must be an integer, got %s", typeName(a[1]))
	}
	n := int64(utf8.RuneCountInString(s))
	if start < 0 || start > n {
		return stringValue(""), nil
	}
	end := n
	if len(a) == 3 {
		_, l, isInt, ok := number(a[2])
		if !ok || !isInt {
			return Value{}, fmt.Errorf("length must be an integer, got %s", typeName(a[2]))
		}
		if l > 0 && start+l < end {
			end = start + l
		}
	}
	if utf8.ValidString(s) {
		from := runeOffset(s, start)
		return stringValue(s[from : from+runeOffset(s[from:], end-start)]), nil
	}
	// Invalid UTF-8 becomes U+FFFD, as the rune conversion does.
	runes := []rune(s)
	return stringValue(string(runes[start:end])), nil
}

func replaceAll(r *renderer, a []Value) (Value, error) {
	return r.replace(r.toString(a[0]), r.toString(a[1]), r.toString(a[2]))
}

func (r *renderer) replace(s, old, repl string) (Value, error) {
	if old == "" {
		return stringValue(s), nil
	}
	n := strings.Count(s, old)
	if n == 0 {
		return stringValue(s), nil
	}
	// Charge before building: n copies of repl could be large.
	if len(repl) > len(old) {
		if grow := n * (len(repl) - len(old)); grow > r.lim.MaxWorkBytes-r.work {
			return Value{}, fmt.Errorf("result larger than %d bytes", r.lim.MaxWorkBytes)
		}
	}
	b := r.text.tail()
	for {
		i := strings.Index(s, old)
		if i < 0 {
			break
		}
		b = append(append(b, s[:i]...), repl...)
		s = s[i+len(old):]
	}
	return stringValue(r.str(append(b, s...))), nil
}

// replaceWithRandom replaces every occurrence of pattern with one random
// string: 16 random bytes in unpadded base64, as kgateway's function does.
// The bytes come from math/rand/v2's global generator (ChaCha8, seeded by
// the runtime from the host's random_get): unique per render, which is what
// the function is for (request ids, cache busting), not a secret. crypto/rand
// would link Go's FIPS module (AES, SHA-2/3, DRBG, math/big) into the
// guest for no gain here: about 0.2 MB of the built-in module.
func replaceWithRandom(r *renderer, a []Value) (Value, error) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	s, pattern := r.toString(a[0]), r.toString(a[1])
	return r.replace(s, pattern, r.str(base64.RawStdEncoding.AppendEncode(r.text.tail(), b[:])))
}

func length(_ *renderer, a []Value) (Value, error) {
	switch v := a[0]; v.kind {
	case kindString:
		return intValue(int64(utf8.RuneCountInString(v.str))), nil
	case kindArray:
		return intValue(int64(len(v.list))), nil
	case kindObject:
		return intValue(int64(membersOf(v).n)), nil
	case kindUndefined, kindNull:
		return intValue(0), nil
	}
	return Value{}, fmt.Errorf("no length for %s", typeName(a[0]))
}

func capitalize(r *renderer, s string) string {
	s = r.lower(s)
	first, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return r.str(append(utf8.AppendRune(r.text.tail(), unicode.ToUpper(first)), s[size:]...))
}

func join(r *renderer, a []Value) (Value, error) {
	if a[0].kind != kindArray {
		return Value{}, fmt.Errorf("needs an array, got %s", typeName(a[0]))
	}
	sep := r.toString(a[1])
	b := r.text.tail()
	for i, e := range a[0].list {
		if i > 0 {
			b = append(b, sep...)
		}
		b = appendValue(b, plain(e))
		if len(b) > r.lim.MaxWorkBytes-r.work {
			return Value{}, fmt.Errorf("result larger than %d bytes", r.lim.MaxWorkBytes)
		}
	}
	return stringValue(r.str(b)), nil
}

// rangeList returns [0, 1, …, n-1]. n is bounded by the remaining steps: a
// loop over a longer list could not finish anyway.
func rangeList(r *renderer, a []Value) (Value, error) {
	_, n, isInt, ok := number(a[0])
	if !ok || !isInt {
		return Value{}, fmt.Errorf("needs an integer, got %s", typeName(a[0]))
	}
	if n < 0 {
		n = 0
	}
	if n > int64(r.lim.MaxSteps-r.steps) {
		return Value{}, fmt.Errorf("%d is more than the %d evaluation steps left", n, r.lim.MaxSteps-r.steps)
	}
	r.work += 16 * int(n)
	if r.work > r.lim.MaxWorkBytes {
		return Value{}, fmt.Errorf("a list of %d items is larger than %d bytes", n, r.lim.MaxWorkBytes)
	}
	l := r.vals.take(int(n))
	for i := range l {
		l[i] = intValue(int64(i))
	}
	return Value{kind: kindArray, list: l}, nil
}

func toInt(_ *renderer, a []Value) (Value, error) {
	switch v := a[0]; v.kind {
	case kindInt:
		return plain(v), nil
	case kindFloat:
		x := v.float()
		if math.IsNaN(x) || x >= math.MaxInt64 || x <= math.MinInt64 {
			return Value{}, fmt.Errorf("%v does not fit an integer", x)
		}
		return intValue(int64(x)), nil
	case kindBool:
		return intValue(int64(v.num)), nil
	case kindString:
		i, err := strconv.ParseInt(strings.TrimSpace(v.str), 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%s is not an integer", quoteToken(v.str))
		}
		return intValue(i), nil
	}
	return Value{}, fmt.Errorf("cannot convert %s to an integer", typeName(a[0]))
}

func toFloat(_ *renderer, a []Value) (Value, error) {
	switch v := a[0]; v.kind {
	case kindInt:
		return floatValue(float64(v.int())), nil
	case kindFloat:
		return plain(v), nil
	case kindString:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.str), 64)
		if err != nil {
			return Value{}, fmt.Errorf("%s is not a number", quoteToken(v.str))
		}
		return floatValue(f), nil
	}
	return Value{}, fmt.Errorf("cannot convert %s to a number", typeName(a[0]))
}

func round(_ *renderer, a []Value) (Value, error) {
	f, _, _, ok := number(a[0])
	if !ok {
		return Value{}, fmt.Errorf("needs a number, got %s", typeName(a[0]))
	}
	var digits int64
	if len(a) == 2 {
		_, d, isInt, ok := number(a[1])
		if !ok || !isInt || d < 0 || d > 15 {
			return Value{}, fmt.Errorf("precision must be an integer from 0 to 15")
		}
		digits = d
	}
	if digits == 0 {
		return intValue(int64(math.Round(f))), nil
	}
	p := math.Pow(10, float64(digits))
	return floatValue(math.Round(f*p) / p), nil
}
