package template

import (
	"strings"
	"sync"
)

// Input is what a template reads while rendering. The caller fills it per
// message; nothing in it is copied.
type Input struct {
	// HeaderList is the current direction's headers as they arrived, with
	// lower-case names (as Envoy hands them); header("x") reads the first
	// value. When nil, Headers is used.
	HeaderList [][2]string
	// RequestHeaderList is the request's headers as they arrived
	// (request_header("x")); for a request transformation, the same list.
	// When nil, RequestHeaders is used.
	RequestHeaderList [][2]string
	// Headers and RequestHeaders are the same as maps keyed by lower-case
	// name, first value, for callers that have maps at hand.
	Headers        map[string]string
	RequestHeaders map[string]string
	// Body is the raw message body (body()).
	Body string
	// Doc is the parsed body (paths and context()); nil when the body was
	// not parsed. It wins over JSON.
	Doc *JSONDoc
	// JSON is the parsed body as Go values (what DecodeJSON returns); it is
	// converted per render, so a filter should use Doc.
	JSON any
}

func (in *Input) header(name string) string {
	if in.HeaderList != nil {
		return firstValue(in.HeaderList, name)
	}
	return in.Headers[name]
}

func (in *Input) requestHeader(name string) string {
	if in.RequestHeaderList != nil {
		return firstValue(in.RequestHeaderList, name)
	}
	return in.RequestHeaders[name]
}

// firstValue scans the pairs: a request has a few dozen headers at most, and
// a scan costs less than building an index per request.
func firstValue(pairs [][2]string, name string) string {
	for i := range pairs {
		if pairs[i][0] == name {
			return pairs[i][1]
		}
	}
	return ""
}

// Limits bound one render. Zero fields take the defaults.
type Limits struct {
	// MaxOutputBytes caps the rendered text.
	MaxOutputBytes int
	// MaxWorkBytes caps the bytes of all strings and lists that evaluation
	// creates, output included, so that a loop cannot churn through memory
	// even when each value it builds is small enough.
	MaxWorkBytes int
	// MaxSteps caps evaluation steps (one per expression and loop
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

// frame is one running for loop: its iteration and current variables.
type frame struct {
	index, length int
	key, val      Value
	parent        Value // what "loop" meant outside this for (loop.parent)
}

// renderer is the per-render scratch state. Renderers are pooled: a render
// resets one and reuses its memory, so rendering allocates nothing in the
// steady state.
type renderer struct {
	src    string
	in     *Input
	root   Value // the JSON body
	lim    Limits
	out    []byte
	steps  int
	work   int
	frames []frame // indexed by loop depth
	sets   []Value // by set slot; kindUnset until the set runs
	args   []Value // call arguments, a stack shared by nested calls
	vals   slab    // lists built while rendering
	text   arena   // strings built while rendering
}

// Reuse bounds: a pooled renderer keeps up to this much memory.
const (
	keepRenderValues = 8 << 10
	keepRenderBytes  = 256 << 10
)

var renderers = sync.Pool{New: func() any { return new(renderer) }}

// Render renders the template. Errors are *Error with the line:column of the
// expression that failed.
func (t *Template) Render(in *Input, lim Limits) (string, error) {
	out, err := t.AppendRender(nil, in, lim)
	return string(out), err
}

// AppendRender renders the template, appending to dst. With a dst of enough
// capacity, an Input.Doc (or no JSON) and HeaderList, rendering allocates
// nothing.
func (t *Template) AppendRender(dst []byte, in *Input, lim Limits) ([]byte, error) {
	if in == nil {
		in = &Input{}
	}
	r := renderers.Get().(*renderer)
	r.start(t, in, lim, dst)
	base := len(dst)
	err := t.prog(r)
	out := r.out
	r.release()
	renderers.Put(r)
	if err != nil {
		return dst[:base], err
	}
	return out, nil
}

func (r *renderer) start(t *Template, in *Input, lim Limits, dst []byte) {
	r.src, r.in, r.lim, r.out, r.steps, r.work = t.src, in, lim.withDefaults(), dst, 0, 0
	if cap(r.frames) < t.loopDepth {
		r.frames = make([]frame, t.loopDepth)
	}
	r.frames = r.frames[:t.loopDepth]
	if cap(r.sets) < t.setSlots {
		r.sets = make([]Value, t.setSlots)
	}
	r.sets = r.sets[:t.setSlots]
	for i := range r.sets {
		r.sets[i] = Value{kind: kindUnset}
	}
	switch {
	case in.Doc != nil && in.Doc.ok:
		r.root = in.Doc.root
	case in.Doc == nil && in.JSON != nil:
		r.root = r.fromAny(in.JSON)
	default:
		r.root = Value{}
	}
}

// release drops what the render referenced, keeping the memory.
func (r *renderer) release() {
	clear(r.frames)
	clear(r.sets)
	clear(r.args[:cap(r.args)])
	r.args = r.args[:0]
	if cap(r.args) > keepRenderValues {
		r.args = nil
	}
	r.vals.reset(keepRenderValues)
	r.text.reset(keepRenderBytes)
	r.src, r.in, r.root, r.out = "", nil, Value{}, nil
}

func (r *renderer) errAt(pos int, format string, args ...any) error {
	return errorAt(r.src, pos, format, args...)
}

// step counts one evaluation step. It and charge are small enough to be
// inlined, their errors built out of line: in Wasm every call costs.
func (r *renderer) step(pos int) error {
	r.steps++
	if r.steps > r.lim.MaxSteps {
		return r.stepsError(pos)
	}
	return nil
}

//go:noinline
func (r *renderer) stepsError(pos int) error {
	return r.errAt(pos, "template exceeded %d evaluation steps", r.lim.MaxSteps)
}

// charge accounts for n bytes of newly built values.
func (r *renderer) charge(n int, pos int) error {
	r.work += n
	if r.work > r.lim.MaxWorkBytes || n > r.lim.MaxWorkBytes {
		return r.workError(pos)
	}
	return nil
}

//go:noinline
func (r *renderer) workError(pos int) error {
	return r.errAt(pos, "template built more than %d bytes", r.lim.MaxWorkBytes)
}

func (r *renderer) writeText(s string, pos int) error {
	if len(s) > r.lim.MaxOutputBytes-len(r.out) {
		return r.outputError(pos)
	}
	r.out = append(r.out, s...)
	return r.charge(len(s), pos)
}

//go:noinline
func (r *renderer) outputError(pos int) error {
	return r.errAt(pos, "output is larger than %d bytes", r.lim.MaxOutputBytes)
}

func (r *renderer) write(v Value, pos int) error {
	if v.kind == kindString {
		return r.writeText(v.str, pos)
	}
	before := len(r.out)
	r.out = appendValue(r.out, r.resolve(v))
	if len(r.out) > r.lim.MaxOutputBytes {
		return r.outputError(pos)
	}
	return r.charge(len(r.out)-before, pos)
}

// str makes a string in the render's arena.
func (r *renderer) str(b []byte) string { return r.text.commit(b) }

// toString renders a value as text (for functions that take strings).
func (r *renderer) toString(v Value) string {
	if v.kind == kindString {
		return v.str
	}
	return r.str(appendValue(r.text.tail(), r.resolve(v)))
}

// lower is strings.ToLower without an allocation for ASCII text.
func (r *renderer) lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			b := append(r.text.tail(), s...)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return r.str(b)
		}
	}
	return s
}

// upper is strings.ToUpper without an allocation for ASCII text.
func (r *renderer) upper(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToUpper(s)
		}
		if 'a' <= c && c <= 'z' {
			b := append(r.text.tail(), s...)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return r.str(b)
		}
	}
	return s
}

// plain is a value read out of a container: a number forgets its JSON text
// (a template reads a body number as its value, as Inja does), so that it
// prints as a computed number when put in a new list.
func plain(v Value) Value {
	if v.kind == kindInt || v.kind == kindFloat {
		v.str = ""
	}
	return v
}

// member reads obj.name; a numeric name indexes an array (idx, -1 when name
// is not a number). Anything that leads nowhere is undefined (Jinja's lenient
// lookup).
func (r *renderer) member(obj Value, name string, idx int) Value {
	switch obj.kind {
	case kindObject:
		return plain(obj.member(name))
	case kindArray:
		if idx >= 0 && idx < len(obj.list) {
			return plain(obj.list[idx])
		}
	case kindLoop:
		return r.loopMember(int(obj.num), loopFieldOf(name))
	}
	return Value{}
}
