package template

import (
	"sort"
	"strconv"
)

// Input is what a template reads while rendering.
type Input struct {
	// Headers are the current direction's headers as they arrived, keyed by
	// lower-case name, first value (header("x")).
	Headers map[string]string
	// RequestHeaders are the request's headers as they arrived
	// (request_header("x")); for a request transformation, the same map.
	RequestHeaders map[string]string
	// Body is the raw message body (body()).
	Body string
	// JSON is the parsed body (paths and context()); nil when the body was
	// not parsed.
	JSON any
}

// Limits bound one render. Zero fields take the defaults.
type Limits struct {
	// MaxOutputBytes caps the rendered text.
	MaxOutputBytes int
	// MaxWorkBytes caps the bytes of all strings and lists that evaluation
	// creates, output included, so that a loop cannot churn through memory
	// even when each value it builds is small enough.
	MaxWorkBytes int
	// MaxSteps caps evaluation steps (one per node, expression and loop
	// iteration), so that nested loops end.
	MaxSteps int
}

// Defaults: a body transformation may echo a 1 MiB body (the filter's default
// buffer limit) with room to spare; 100 000 steps render a loop over a few
// thousand JSON items with conditions, and stay within milliseconds in Wasm.
const (
	DefaultMaxOutputBytes = 4 << 20
	DefaultMaxWorkBytes   = 16 << 20
	DefaultMaxSteps       = 100_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if l.MaxWorkBytes <= 0 {
		l.MaxWorkBytes = DefaultMaxWorkBytes
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultMaxSteps
	}
	return l
}

type binding struct {
	name string
	v    any
}

type renderer struct {
	src   string
	in    *Input
	lim   Limits
	out   []byte
	steps int
	work  int
	local []binding // loop variables, innermost last
	sets  map[string]any
}

// Render renders the template. Errors are *Error with the line:column of the
// expression that failed.
func (t *Template) Render(in *Input, lim Limits) (string, error) {
	out, err := t.AppendRender(nil, in, lim)
	return string(out), err
}

// AppendRender renders the template, appending to dst.
func (t *Template) AppendRender(dst []byte, in *Input, lim Limits) ([]byte, error) {
	if in == nil {
		in = &Input{}
	}
	r := &renderer{src: t.src, in: in, lim: lim.withDefaults(), out: dst}
	base := len(dst)
	if err := r.execNodes(t.body); err != nil {
		return dst[:base], err
	}
	return r.out, nil
}

func (r *renderer) errAt(pos int, format string, args ...any) error {
	return errorAt(r.src, pos, format, args...)
}

func (r *renderer) step(pos int) error {
	r.steps++
	if r.steps > r.lim.MaxSteps {
		return r.errAt(pos, "template exceeded %d evaluation steps", r.lim.MaxSteps)
	}
	return nil
}

// charge accounts for n bytes of newly built values.
func (r *renderer) charge(n int, pos int) error {
	r.work += n
	if r.work > r.lim.MaxWorkBytes || n > r.lim.MaxWorkBytes {
		return r.errAt(pos, "template built more than %d bytes", r.lim.MaxWorkBytes)
	}
	return nil
}

func (r *renderer) write(v any, pos int) error {
	before := len(r.out)
	var err error
	if s, ok := v.(string); ok {
		if len(s) > r.lim.MaxOutputBytes {
			return r.errAt(pos, "output is larger than %d bytes", r.lim.MaxOutputBytes)
		}
		r.out = append(r.out, s...)
	} else if r.out, err = appendValue(r.out, v); err != nil {
		return r.errAt(pos, "cannot print %s: %v", typeName(v), err)
	}
	if len(r.out) > r.lim.MaxOutputBytes {
		return r.errAt(pos, "output is larger than %d bytes", r.lim.MaxOutputBytes)
	}
	return r.charge(len(r.out)-before, pos)
}

func (r *renderer) execNodes(nodes []node) error {
	for _, n := range nodes {
		if err := r.exec(n); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) exec(n node) error {
	switch n := n.(type) {
	case textNode:
		return r.write(n.text, n.pos)
	case outputNode:
		v, err := r.eval(n.x)
		if err != nil {
			return err
		}
		return r.write(v, n.x.position())
	case ifNode:
		for _, b := range n.branches {
			if b.cond == nil {
				return r.execNodes(b.body)
			}
			c, err := r.eval(b.cond)
			if err != nil {
				return err
			}
			if truthy(c) {
				return r.execNodes(b.body)
			}
		}
		return nil
	case forNode:
		return r.execFor(n)
	case setNode:
		v, err := r.eval(n.x)
		if err != nil {
			return err
		}
		if r.sets == nil {
			r.sets = map[string]any{}
		}
		r.sets[n.name] = v
		return nil
	}
	return nil
}

func (r *renderer) execFor(n forNode) error {
	iter, err := r.eval(n.iter)
	if err != nil {
		return err
	}
	var keys []string
	var items []any
	switch x := normalize(iter).(type) {
	case undefinedValue, nil:
		return nil // nothing to loop over, like an empty list
	case []any:
		items = x
	case map[string]any:
		// Objects iterate in key order (as nlohmann::json does), giving
		// values to "for v in obj" and keys and values to "for k, v in obj".
		keys = make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		items = make([]any, len(keys))
		for i, k := range keys {
			items[i] = x[k]
		}
	default:
		return r.errAt(n.iter.position(), "cannot loop over %s", typeName(iter))
	}
	if n.keyVar != "" && keys == nil {
		return r.errAt(n.iter.position(), "for %s, %s needs an object, got %s", n.keyVar, n.valVar, typeName(iter))
	}
	parent := r.lookupLocal("loop")
	mark := len(r.local)
	defer func() { r.local = r.local[:mark] }()
	for i, item := range items {
		if err := r.step(n.pos); err != nil {
			return err
		}
		loop := &loopInfo{index: i, length: len(items), parent: parent}
		r.local = r.local[:mark]
		r.local = append(r.local, binding{"loop", loop}, binding{n.valVar, normalize(item)})
		if n.keyVar != "" {
			r.local = append(r.local, binding{n.keyVar, keys[i]})
		}
		if err := r.execNodes(n.body); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) lookupLocal(name string) any {
	for i := len(r.local) - 1; i >= 0; i-- {
		if r.local[i].name == name {
			return r.local[i].v
		}
	}
	return undefined
}

func (r *renderer) lookup(name string) any {
	if v := r.lookupLocal(name); v != undefined {
		return v
	}
	if v, ok := r.sets[name]; ok {
		return v
	}
	return member(r.in.JSON, name)
}

// member reads obj.name; a numeric name indexes an array. Anything that
// leads nowhere is undefined (Jinja's lenient lookup).
func member(obj any, name string) any {
	switch x := obj.(type) {
	case map[string]any:
		if v, ok := x[name]; ok {
			return normalize(v)
		}
	case []any:
		if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(x) {
			return normalize(x[i])
		}
	case *loopInfo:
		return x.member(name)
	}
	return undefined
}

// loopInfo is the "loop" variable inside a for: Inja's index (from 0),
// index1, is_first, is_last and parent, plus Jinja's first, last and length.
// A struct rather than a map: one loop iteration should not cost a map.
type loopInfo struct {
	index, length int
	parent        any
}

func (l *loopInfo) member(name string) any {
	switch name {
	case "index":
		return int64(l.index)
	case "index1":
		return int64(l.index + 1)
	case "is_first", "first":
		return l.index == 0
	case "is_last", "last":
		return l.index == l.length-1
	case "length":
		return int64(l.length)
	case "parent":
		return l.parent
	}
	return undefined
}

func (l *loopInfo) asMap() map[string]any {
	m := map[string]any{}
	for _, k := range []string{"index", "index1", "is_first", "is_last", "first", "last", "length", "parent"} {
		if v := l.member(k); v != undefined {
			m[k] = v
		}
	}
	return m
}
