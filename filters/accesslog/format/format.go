package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// Format is a parsed access-log format, text or JSON. It is immutable and
// safe to render from many requests.
type Format struct {
	json   bool
	pieces []piece // text format
	root   []node  // JSON format: the top-level object's members, sorted
}

// node is one value of a JSON format: an object member (with its key) or a
// list item.
type node struct {
	key      []byte   // `"key":` pre-rendered; nil for a list item
	kind     nodeKind //
	raw      []byte   // nodeRaw: a number, rendered once
	pieces   []piece  // nodePieces: a string value with operators
	children []node   // nodeObject members (sorted) or nodeList items
}

type nodeKind uint8

const (
	nodePieces nodeKind = iota
	nodeRaw
	nodeObject
	nodeList
)

// ParseText parses a text format (fileSink.stringFormat).
func ParseText(s string, o Options) (*Format, error) {
	pieces, err := parseCommands(s, newRedactor(o))
	if err != nil {
		return nil, err
	}
	return &Format{pieces: pieces}, nil
}

// ParseJSON parses a JSON format dictionary (fileSink.jsonFormat). As in
// Envoy, values may be strings (with operators), nested objects, lists and
// numbers; booleans and null are rejected.
func ParseJSON(raw []byte, o Options) (*Format, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("access log jsonFormat: must be a JSON object: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("access log jsonFormat: must be a JSON object, not null")
	}
	if dec.More() {
		return nil, fmt.Errorf("access log jsonFormat: trailing data after the object")
	}
	nodes, err := parseObject(obj, "", newRedactor(o))
	if err != nil {
		return nil, err
	}
	return &Format{json: true, root: nodes}, nil
}

func parseObject(obj map[string]any, path string, r *redactor) ([]node, error) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	nodes := make([]node, 0, len(keys))
	for _, k := range keys {
		n, err := parseValue(obj[k], path+k, r)
		if err != nil {
			return nil, err
		}
		n.key = append(appendJSONString(nil, k), ':')
		nodes = append(nodes, n)
	}
	return nodes, nil
}

func parseValue(v any, where string, r *redactor) (node, error) {
	switch v := v.(type) {
	case string:
		pieces, err := parseCommands(v, r)
		if err != nil {
			return node{}, fmt.Errorf("access log jsonFormat key %q: %w", where, err)
		}
		return node{kind: nodePieces, pieces: pieces}, nil
	case map[string]any:
		children, err := parseObject(v, where+".", r)
		return node{kind: nodeObject, children: children}, err
	case []any:
		n := node{kind: nodeList}
		for i, item := range v {
			c, err := parseValue(item, where+"["+strconv.Itoa(i)+"]", r)
			if err != nil {
				return node{}, err
			}
			n.children = append(n.children, c)
		}
		return n, nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return node{}, fmt.Errorf("access log jsonFormat key %q: bad number %s", where, v)
		}
		return node{kind: nodeRaw, raw: appendNumber(nil, f)}, nil
	}
	return node{}, fmt.Errorf("access log jsonFormat key %q: only strings, nested objects, lists and numbers are supported (as in Envoy), not %v", where, v)
}

// appendNumber prints a format's number literal: integers without a
// fraction, others in the shortest form that reads back the same.
func appendNumber(dst []byte, f float64) []byte {
	const maxExact = 1 << 53 // integers beyond lose precision as float64
	if f == math.Trunc(f) && math.Abs(f) < maxExact {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// IsJSON reports whether the format renders a JSON object.
func (f *Format) IsJSON() bool { return f.json }

// Append renders the format for one request, without a trailing newline
// (a text format's own final newline is dropped: the sink adds one).
func (f *Format) Append(dst []byte, src Source) []byte {
	if f.json {
		return appendObject(dst, f.root, src)
	}
	for i := range f.pieces {
		dst = appendPiece(dst, &f.pieces[i], src, false)
	}
	if n := len(dst); n > 0 && dst[n-1] == '\n' {
		dst = dst[:n-1]
	}
	return dst
}

func appendObject(dst []byte, nodes []node, src Source) []byte {
	dst = append(dst, '{')
	for i := range nodes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValue(append(dst, nodes[i].key...), &nodes[i], src)
	}
	return append(dst, '}')
}

func appendValue(dst []byte, n *node, src Source) []byte {
	switch n.kind {
	case nodeObject:
		return appendObject(dst, n.children, src)
	case nodeList:
		dst = append(dst, '[')
		for i := range n.children {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, &n.children[i], src)
		}
		return append(dst, ']')
	case nodeRaw:
		return append(dst, n.raw...)
	}
	if len(n.pieces) == 1 && n.pieces[0].kind != opLiteral {
		return appendTyped(dst, &n.pieces[0], src)
	}
	dst = append(dst, '"')
	for j := range n.pieces {
		dst = appendPiece(dst, &n.pieces[j], src, true)
	}
	return append(dst, '"')
}

// number returns an operator's numeric value. Envoy prints 0 for a missing
// response code and byte counts; durations in whole milliseconds.
func number(p *piece, src Source) (int64, bool) {
	v, ok := src.Number(p.field)
	switch p.field {
	case ResponseCode, BytesReceived, BytesSent:
		if !ok {
			return 0, true
		}
		return v, true
	}
	if !ok {
		return 0, false
	}
	return v / 1e6, true
}

// text returns a string operator's value, false when missing (START_TIME,
// RESPONSE_FLAGS and numbers render directly into the output instead).
func text(p *piece, src Source) (string, bool) {
	switch p.kind {
	case opLiteral:
		return p.lit, true
	case opHeader:
		v, ok := src.Header(p.hkind, p.name)
		if !ok && p.alt != "" {
			v, ok = src.Header(p.hkind, p.alt)
		}
		if !ok {
			return "", false
		}
		return truncate(v, p.maxLen), true
	case opString, opDownstreamRemoteWithoutPort:
		v, ok := src.String(p.field)
		if !ok || v == "" {
			return "", false
		}
		if p.kind == opDownstreamRemoteWithoutPort {
			v = stripPort(v)
		}
		return v, true
	case opFilterState:
		v, ok := src.FilterState(p.name)
		if !ok {
			return "", false
		}
		return truncate(v, p.maxLen), true
	}
	return "", false
}

// appendPiece renders a piece as text ("-" when missing), JSON-escaped when
// it is part of a JSON string.
func appendPiece(dst []byte, p *piece, src Source, escape bool) []byte {
	switch p.kind {
	case opNumber:
		if v, ok := number(p, src); ok {
			return strconv.AppendInt(dst, v, 10)
		}
		return append(dst, '-')
	case opStartTime:
		if t, ok := src.StartTime(); ok {
			return appendTime(dst, p.layout, t, escape)
		}
		return append(dst, '-')
	case opResponseFlags:
		return appendResponseFlags(dst, src.ResponseFlags())
	}
	v, ok := text(p, src)
	if !ok {
		return append(dst, '-')
	}
	if escape {
		return appendJSONEscaped(dst, v)
	}
	return append(dst, v...)
}

// appendTyped renders a value that is exactly one operator: numbers stay
// numbers, strings are quoted, missing values are null.
func appendTyped(dst []byte, p *piece, src Source) []byte {
	switch p.kind {
	case opNumber:
		if v, ok := number(p, src); ok {
			return strconv.AppendInt(dst, v, 10)
		}
		return append(dst, "null"...)
	case opStartTime:
		t, ok := src.StartTime()
		if !ok {
			return append(dst, "null"...)
		}
		return append(appendTime(append(dst, '"'), p.layout, t, true), '"')
	case opResponseFlags:
		return append(appendResponseFlags(append(dst, '"'), src.ResponseFlags()), '"')
	}
	v, ok := text(p, src)
	if !ok {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, v)
}

// appendTime renders a time; a layout's literal text may need escaping.
func appendTime(dst []byte, l timeLayout, t time.Time, escape bool) []byte {
	start := len(dst)
	dst = l.append(dst, t)
	if escape && needsEscape(dst[start:]) {
		v := string(dst[start:])
		dst = appendJSONEscaped(dst[:start], v)
	}
	return dst
}

func truncate(s string, n int) string {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func appendJSONString(dst []byte, s string) []byte {
	return append(appendJSONEscaped(append(dst, '"'), s), '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONEscaped escapes quotes, backslashes and control characters and
// replaces invalid UTF-8 with U+FFFD; other characters pass through as
// Envoy's serializer does (no HTML escaping).
func appendJSONEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
	}
	return dst
}

// AppendJSONString appends s as a JSON string with the escaping the JSON
// formats use.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }
