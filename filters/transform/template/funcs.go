package template

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type builtin struct {
	name             string
	minArgs, maxArgs int
	readsBody        bool // needs the raw body
	readsJSON        bool // needs the parsed JSON body
	call             func(r *renderer, args []any) (any, error)
}

var builtins = map[string]*builtin{}

func register(b *builtin) { builtins[b.name] = b }

func init() {
	// kgateway's functions.
	register(&builtin{name: "header", minArgs: 1, maxArgs: 1, call: func(r *renderer, a []any) (any, error) {
		return r.in.Headers[strings.ToLower(toString(a[0]))], nil
	}})
	register(&builtin{name: "request_header", minArgs: 1, maxArgs: 1, call: func(r *renderer, a []any) (any, error) {
		return r.in.RequestHeaders[strings.ToLower(toString(a[0]))], nil
	}})
	register(&builtin{name: "body", readsBody: true, call: func(r *renderer, _ []any) (any, error) {
		return r.in.Body, nil
	}})
	register(&builtin{name: "context", readsJSON: true, call: func(r *renderer, _ []any) (any, error) {
		return normalize(r.in.JSON), nil
	}})
	register(&builtin{name: "base64_encode", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return base64.StdEncoding.EncodeToString([]byte(toString(a[0]))), nil
	}})
	register(&builtin{name: "base64url_encode", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return base64.RawURLEncoding.EncodeToString([]byte(toString(a[0]))), nil
	}})
	register(&builtin{name: "base64_decode", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return decodeBase64(toString(a[0]), base64.StdEncoding, base64.RawStdEncoding)
	}})
	register(&builtin{name: "base64url_decode", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return decodeBase64(toString(a[0]), base64.URLEncoding, base64.RawURLEncoding)
	}})
	register(&builtin{name: "substring", minArgs: 2, maxArgs: 3, call: substring})
	register(&builtin{name: "replace_with_string", minArgs: 3, maxArgs: 3, call: replaceAll})
	register(&builtin{name: "replace_with_random", minArgs: 2, maxArgs: 2, call: replaceWithRandom})
	register(&builtin{name: "env", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return os.Getenv(toString(a[0])), nil
	}})
	register(&builtin{name: "raw_string", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return jsonEscape(toString(a[0])), nil
	}})

	// Inja's and Jinja's common built-ins.
	register(&builtin{name: "length", minArgs: 1, maxArgs: 1, call: length})
	register(&builtin{name: "upper", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return strings.ToUpper(toString(a[0])), nil
	}})
	register(&builtin{name: "lower", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return strings.ToLower(toString(a[0])), nil
	}})
	register(&builtin{name: "capitalize", minArgs: 1, maxArgs: 1, call: capitalize})
	register(&builtin{name: "trim", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		return strings.TrimSpace(toString(a[0])), nil
	}})
	register(&builtin{name: "replace", minArgs: 3, maxArgs: 3, call: replaceAll})
	register(&builtin{name: "default", minArgs: 2, maxArgs: 2, call: func(_ *renderer, a []any) (any, error) {
		if a[0] == undefined || a[0] == nil {
			return a[1], nil
		}
		return a[0], nil
	}})
	register(&builtin{name: "exists", minArgs: 1, maxArgs: 1, readsJSON: true, call: func(r *renderer, a []any) (any, error) {
		v := r.in.JSON
		for _, part := range strings.Split(toString(a[0]), ".") {
			if v = member(v, part); v == undefined {
				return false, nil
			}
		}
		return true, nil
	}})
	register(&builtin{name: "existsIn", minArgs: 2, maxArgs: 2, call: func(_ *renderer, a []any) (any, error) {
		return member(a[0], toString(a[1])) != undefined, nil
	}})
	register(&builtin{name: "first", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		if l, ok := a[0].([]any); ok && len(l) > 0 {
			return normalize(l[0]), nil
		}
		return undefined, nil
	}})
	register(&builtin{name: "last", minArgs: 1, maxArgs: 1, call: func(_ *renderer, a []any) (any, error) {
		if l, ok := a[0].([]any); ok && len(l) > 0 {
			return normalize(l[len(l)-1]), nil
		}
		return undefined, nil
	}})
	register(&builtin{name: "join", minArgs: 2, maxArgs: 2, call: join})
	register(&builtin{name: "range", minArgs: 1, maxArgs: 1, call: rangeList})
	register(&builtin{name: "int", minArgs: 1, maxArgs: 1, call: toInt})
	register(&builtin{name: "float", minArgs: 1, maxArgs: 1, call: toFloat})
	register(&builtin{name: "round", minArgs: 1, maxArgs: 2, call: round})
}

func decodeBase64(s string, padded, raw *base64.Encoding) (any, error) {
	if b, err := padded.DecodeString(s); err == nil {
		return string(b), nil
	}
	b, err := raw.DecodeString(s)
	if err != nil {
		return nil, errors.New("input is not valid base64")
	}
	return string(b), nil
}

// substring(s, start[, length]) counts characters (runes). A start outside
// the string gives ""; a missing, zero or negative (as kgateway) or too long
// length runs to the end.
func substring(_ *renderer, a []any) (any, error) {
	s := toString(a[0])
	_, start, isInt, ok := number(a[1])
	if !ok || !isInt {
		return nil, fmt.Errorf("start must be an integer, got %s", typeName(a[1]))
	}
	n := utf8.RuneCountInString(s)
	if start < 0 || start > int64(n) {
		return "", nil
	}
	end := int64(n)
	if len(a) == 3 {
		_, l, isInt, ok := number(a[2])
		if !ok || !isInt {
			return nil, fmt.Errorf("length must be an integer, got %s", typeName(a[2]))
		}
		if l > 0 && start+l < end {
			end = start + l
		}
	}
	runes := []rune(s)
	return string(runes[start:end]), nil
}

func replaceAll(r *renderer, a []any) (any, error) {
	s, old, repl := toString(a[0]), toString(a[1]), toString(a[2])
	if old == "" {
		return s, nil
	}
	// Charge before building: n copies of repl could be large.
	if n := strings.Count(s, old); n > 0 && len(repl) > len(old) {
		if grow := n * (len(repl) - len(old)); grow > r.lim.MaxWorkBytes-r.work {
			return nil, fmt.Errorf("result larger than %d bytes", r.lim.MaxWorkBytes)
		}
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// replaceWithRandom replaces every occurrence of pattern with one random
// string: 16 random bytes in unpadded base64, as kgateway's function does.
func replaceWithRandom(r *renderer, a []any) (any, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("no randomness: %v", err)
	}
	return replaceAll(r, []any{a[0], a[1], base64.RawStdEncoding.EncodeToString(b[:])})
}

// jsonEscape returns s escaped for use inside a JSON string, without the
// surrounding quotes.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func length(_ *renderer, a []any) (any, error) {
	switch x := normalize(a[0]).(type) {
	case string:
		return int64(utf8.RuneCountInString(x)), nil
	case []any:
		return int64(len(x)), nil
	case map[string]any:
		return int64(len(x)), nil
	case undefinedValue, nil:
		return int64(0), nil
	}
	return nil, fmt.Errorf("no length for %s", typeName(a[0]))
}

func capitalize(_ *renderer, a []any) (any, error) {
	s := strings.ToLower(toString(a[0]))
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s, nil
	}
	return string(unicode.ToUpper(r)) + s[size:], nil
}

func join(r *renderer, a []any) (any, error) {
	l, ok := normalize(a[0]).([]any)
	if !ok {
		return nil, fmt.Errorf("needs an array, got %s", typeName(a[0]))
	}
	sep := toString(a[1])
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(toString(normalize(e)))
		if b.Len() > r.lim.MaxWorkBytes-r.work {
			return nil, fmt.Errorf("result larger than %d bytes", r.lim.MaxWorkBytes)
		}
	}
	return b.String(), nil
}

// rangeList returns [0, 1, …, n-1]. n is bounded by the remaining steps: a
// loop over a longer list could not finish anyway.
func rangeList(r *renderer, a []any) (any, error) {
	_, n, isInt, ok := number(a[0])
	if !ok || !isInt {
		return nil, fmt.Errorf("needs an integer, got %s", typeName(a[0]))
	}
	if n < 0 {
		n = 0
	}
	if n > int64(r.lim.MaxSteps-r.steps) {
		return nil, fmt.Errorf("%d is more than the %d evaluation steps left", n, r.lim.MaxSteps-r.steps)
	}
	r.work += 16 * int(n)
	if r.work > r.lim.MaxWorkBytes {
		return nil, fmt.Errorf("a list of %d items is larger than %d bytes", n, r.lim.MaxWorkBytes)
	}
	l := make([]any, n)
	for i := range l {
		l[i] = int64(i)
	}
	return l, nil
}

func toInt(_ *renderer, a []any) (any, error) {
	switch x := normalize(a[0]).(type) {
	case int64:
		return x, nil
	case float64:
		if math.IsNaN(x) || x >= math.MaxInt64 || x <= math.MinInt64 {
			return nil, fmt.Errorf("%v does not fit an integer", x)
		}
		return int64(x), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is not an integer", quoteToken(x))
		}
		return i, nil
	}
	return nil, fmt.Errorf("cannot convert %s to an integer", typeName(a[0]))
}

func toFloat(_ *renderer, a []any) (any, error) {
	switch x := normalize(a[0]).(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, fmt.Errorf("%s is not a number", quoteToken(x))
		}
		return f, nil
	}
	return nil, fmt.Errorf("cannot convert %s to a number", typeName(a[0]))
}

func round(_ *renderer, a []any) (any, error) {
	f, _, _, ok := number(a[0])
	if !ok {
		return nil, fmt.Errorf("needs a number, got %s", typeName(a[0]))
	}
	var digits int64
	if len(a) == 2 {
		_, d, isInt, ok := number(a[1])
		if !ok || !isInt || d < 0 || d > 15 {
			return nil, fmt.Errorf("precision must be an integer from 0 to 15")
		}
		digits = d
	}
	if digits == 0 {
		return int64(math.Round(f)), nil
	}
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p, nil
}
