package transform

import (
	"errors"
	"fmt"
	"strconv"

	"wasp.dev/filters/transform/template"
)

// message is one direction's message as it arrived.
type message struct {
	headers        map[string]string // lower-case name -> first value
	requestHeaders map[string]string
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
}

// errNotJSON: parseAs AsJson and the body is not JSON.
var errNotJSON = errors.New("body is not valid JSON")

// renderError is a template that failed on this message.
type renderError struct {
	what string // header "x" or body
	err  error
}

func (e *renderError) Error() string { return fmt.Sprintf("%s: %v", e.what, e.err) }

// applyHeaders returns the message's header list after the edits: remove,
// then set (in place of the first value, dropping the others; an empty value
// removes a regular header), then add (appended), then content-length for a
// replaced body when the message announced one. The filter hands the whole
// list to the host in one call, so the result does not depend on how a host
// merges repeated names.
func (e *edits) applyHeaders(pairs [][2]string) [][2]string {
	out := make([][2]string, 0, len(pairs)+len(e.set)+len(e.add))
	for _, p := range pairs {
		if !containsName(e.remove, p[0]) {
			out = append(out, p)
		}
	}
	for _, kv := range e.set {
		out = setHeader(out, kv[0], kv[1], kv[1] == "" && kv[0][0] != ':')
	}
	out = append(out, e.add...)
	if e.replaceBody {
		for i := range out {
			if out[i][0] == "content-length" {
				out[i][1] = strconv.Itoa(len(e.body))
			}
		}
	}
	return out
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// setHeader replaces the first value of name and drops the others; remove
// drops them all. An empty pseudo-header value leaves the pseudo-header as is.
func setHeader(pairs [][2]string, name, value string, remove bool) [][2]string {
	if value == "" && !remove {
		return pairs
	}
	out := pairs[:0]
	done := remove
	for _, p := range pairs {
		if p[0] != name {
			out = append(out, p)
			continue
		}
		if !done {
			out = append(out, [2]string{name, value})
			done = true
		}
	}
	if !done {
		out = append(out, [2]string{name, value})
	}
	return out
}

// headerMap indexes header pairs by lower-case name, keeping the first value
// (Envoy hands names in lower case already).
func headerMap(pairs [][2]string) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if _, ok := m[p[0]]; !ok {
			m[p[0]] = p[1]
		}
	}
	return m
}

// run evaluates every template against the message as it arrived: no
// template sees another's output.
func (t *transform) run(m *message) (*edits, error) {
	in := &template.Input{Headers: m.headers, RequestHeaders: m.requestHeaders, Body: string(m.body)}
	if t.parseJSON && m.hasBody && len(m.body) > 0 {
		v, err := template.DecodeJSON(m.body)
		if err != nil {
			return nil, errNotJSON
		}
		in.JSON = v
	}
	e := &edits{remove: t.remove}
	var buf []byte
	render := func(h headerTemplate) (string, error) {
		var err error
		buf, err = h.tmpl.AppendRender(buf[:0], in, t.limits)
		if err != nil {
			return "", &renderError{what: strconv.Quote(h.name), err: err}
		}
		if err := checkHeaderValue(h.name, buf); err != nil {
			return "", &renderError{what: strconv.Quote(h.name), err: err}
		}
		return string(buf), nil
	}
	for _, h := range t.set {
		v, err := render(h)
		if err != nil {
			return nil, err
		}
		e.set = append(e.set, [2]string{h.name, v})
	}
	for _, h := range t.add {
		v, err := render(h)
		if err != nil {
			return nil, err
		}
		if v != "" {
			e.add = append(e.add, [2]string{h.name, v})
		}
	}
	if t.body != nil && m.hasBody {
		out, err := t.body.AppendRender(nil, in, t.limits)
		if err != nil {
			return nil, &renderError{what: "body", err: err}
		}
		e.body, e.replaceBody = out, true
	}
	return e, nil
}

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
