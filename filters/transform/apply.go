package transform

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"wasp.dev/filters/transform/template"
)

// message is one direction's message as it arrived.
type message struct {
	headers        [][2]string // as they arrived, lower-case names
	requestHeaders [][2]string
	body           []byte
	hasBody        bool // false for a headers-only message
}

// edits is what a transformation changes, in the order it is applied:
// remove, then set, then add, then the body.
type edits struct {
	remove      []string
	set         [][2]string // an empty value removes the header
	add         [][2]string
	body        []byte
	replaceBody bool

	calls   []headerCall // headerCalls' result, reused
	lenText []byte       // the new content-length's digits
}

// scratch is a transform's working memory for one message, reused from one
// message to the next: rendering, decoding and editing a message then
// allocate (almost) nothing. A VM runs one callback at a time and a message
// is transformed and applied within one callback (finish), so one scratch
// per transform is never used by two messages at once. What it holds is
// only valid until the next message: header values handed to the host are
// copied by the host when it receives them.
type scratch struct {
	input template.Input
	doc   template.JSONDoc
	edits edits
	buf   []byte // one header value being rendered
	text  []byte // every rendered header value, back to back
	spans []int  // end offsets of the values in text
	body  []byte // the rendered body
}

// errNotJSON: parseAs AsJson and the body is not JSON.
var errNotJSON = errors.New("body is not valid JSON")

// renderError is a template that failed on this message.
type renderError struct {
	what string // header "x" or body
	err  error
}

func (e *renderError) Error() string { return fmt.Sprintf("%s: %v", e.what, e.err) }

// headerCall is one header edit as the host applies it.
type headerCall struct {
	op          headerOp
	name, value string
}

type headerOp uint8

const (
	opRemove  headerOp = iota // remove every value of name
	opReplace                 // set the only value of name
	opAdd                     // add a value of name
)

// headerCalls returns the edits as individual host calls, in order: remove,
// then set (one value in place of all; an empty value removes a regular
// header and leaves a pseudo-header as is), then add, then content-length
// for a replaced body when the message still has one. A name the message
// carries more than once is set by removing then adding it, so the result
// does not depend on whether a host's replace drops the other values.
func (e *edits) headerCalls(arrived [][2]string) []headerCall {
	calls := e.calls[:0]
	for _, name := range e.remove {
		calls = append(calls, headerCall{op: opRemove, name: name})
	}
	for _, kv := range e.set {
		name, v := kv[0], kv[1]
		switch {
		case v == "" && name[0] == ':':
		case v == "":
			calls = append(calls, headerCall{op: opRemove, name: name})
		case valuesAfter(arrived, calls, name) > 1:
			calls = append(calls, headerCall{op: opRemove, name: name}, headerCall{op: opAdd, name: name, value: v})
		default:
			calls = append(calls, headerCall{op: opReplace, name: name, value: v})
		}
	}
	for _, kv := range e.add {
		calls = append(calls, headerCall{op: opAdd, name: kv[0], value: kv[1]})
	}
	if e.replaceBody {
		if n := valuesAfter(arrived, calls, "content-length"); n > 0 {
			e.lenText = strconv.AppendInt(e.lenText[:0], int64(len(e.body)), 10)
			v := bytesAsString(e.lenText)
			if n > 1 {
				calls = append(calls, headerCall{op: opRemove, name: "content-length"}, headerCall{op: opAdd, name: "content-length", value: v})
			} else {
				calls = append(calls, headerCall{op: opReplace, name: "content-length", value: v})
			}
		}
	}
	e.calls = calls
	return calls
}

// valuesAfter counts the values of name the message has after calls.
func valuesAfter(arrived [][2]string, calls []headerCall, name string) int {
	count := 0
	for _, p := range arrived {
		if p[0] == name {
			count++
		}
	}
	for _, c := range calls {
		if c.name != name {
			continue
		}
		switch c.op {
		case opRemove:
			count = 0
		case opReplace:
			count = 1
		case opAdd:
			count++
		}
	}
	return count
}

// run evaluates every template against the message as it arrived: no
// template sees another's output. The edits live in the transform's scratch
// until the next message.
func (t *transform) run(m *message) (*edits, error) {
	sc := &t.scratch
	in := &sc.input
	// The body is read, never changed, while the templates render.
	*in = template.Input{HeaderList: m.headers, RequestHeaderList: m.requestHeaders, Body: bytesAsString(m.body)}
	if t.parseJSON && m.hasBody && len(m.body) > 0 {
		if err := sc.doc.Decode(in.Body); err != nil {
			return nil, errNotJSON
		}
		in.Doc = &sc.doc
	}
	e := &sc.edits
	e.remove, e.set, e.add, e.body, e.replaceBody = t.remove, e.set[:0], e.add[:0], nil, false
	sc.text, sc.spans = sc.text[:0], sc.spans[:0]
	for _, list := range [...][]headerTemplate{t.set, t.add} {
		for _, h := range list {
			var err error
			sc.buf, err = h.tmpl.AppendRender(sc.buf[:0], in, t.limits)
			if err == nil {
				err = checkHeaderValue(h.name, sc.buf)
			}
			if err != nil {
				return nil, &renderError{what: strconv.Quote(h.name), err: err}
			}
			sc.text = append(sc.text, sc.buf...)
			sc.spans = append(sc.spans, len(sc.text))
		}
	}
	// Strings over text only now: it no longer grows.
	start := 0
	for i, end := range sc.spans {
		v := bytesAsString(sc.text[start:end])
		start = end
		if i < len(t.set) {
			e.set = append(e.set, [2]string{t.set[i].name, v})
		} else if v != "" {
			e.add = append(e.add, [2]string{t.add[i-len(t.set)].name, v})
		}
	}
	if t.body != nil && m.hasBody {
		out, err := t.body.AppendRender(sc.body[:0], in, t.limits)
		if err != nil {
			return nil, &renderError{what: "body", err: err}
		}
		// The host copies the body it is given (hostcall.ReplaceBody).
		sc.body = out
		e.body, e.replaceBody = out, true
	}
	return e, nil
}

// bytesAsString views b as a string without copying; b must not change
// while the string is used.
func bytesAsString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// checkHeaderValue refuses values Envoy must never receive: control
// characters that would split or truncate a header, and pseudo-header values
// that are not what the pseudo-header means.
func checkHeaderValue(name string, v []byte) error {
	for _, c := range v {
		if c == '\r' || c == '\n' || c == 0 {
			return errors.New("value contains CR, LF or NUL")
		}
	}
	switch name {
	case ":status":
		if n, err := strconv.Atoi(string(v)); len(v) > 0 && (err != nil || n < 200 || n > 599) {
			return fmt.Errorf("%q is not a status code from 200 to 599", v)
		}
	case ":path":
		if len(v) > 0 && v[0] != '/' {
			return fmt.Errorf("%q does not start with /", v)
		}
	}
	return nil
}
