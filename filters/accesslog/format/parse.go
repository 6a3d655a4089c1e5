package format

import (
	"fmt"
	"strconv"
	"strings"
)

// Options tune parsing.
type Options struct {
	// Unredacted lists sensitive header names (any case) whose values the
	// format may print as they are.
	Unredacted []string
}

type opKind uint8

const (
	opLiteral opKind = iota
	opStartTime
	opHeader
	opNumber
	opString
	opDownstreamRemoteWithoutPort
	opResponseFlags
	opFilterState
)

// piece is one literal run or one operator of a format.
type piece struct {
	kind   opKind
	lit    string     // opLiteral
	field  Field      // opNumber, opString
	hkind  HeaderKind // opHeader
	name   string     // opHeader: main header; opFilterState: key
	alt    string     // opHeader: fallback header (X?Y)
	maxLen int        // :Z truncation, 0 = none
	layout timeLayout // opStartTime
	redact bool       // opLiteral standing for a sensitive header's operator (redact.go)
}

// simple operators without arguments.
var simpleOps = map[string]piece{
	"PROTOCOL":                               {kind: opString, field: Protocol},
	"RESPONSE_CODE":                          {kind: opNumber, field: ResponseCode},
	"RESPONSE_CODE_DETAILS":                  {kind: opString, field: ResponseCodeDetails},
	"RESPONSE_FLAGS":                         {kind: opResponseFlags},
	"BYTES_RECEIVED":                         {kind: opNumber, field: BytesReceived},
	"BYTES_SENT":                             {kind: opNumber, field: BytesSent},
	"DURATION":                               {kind: opNumber, field: Duration},
	"REQUEST_DURATION":                       {kind: opNumber, field: RequestDuration},
	"RESPONSE_DURATION":                      {kind: opNumber, field: ResponseDuration},
	"UPSTREAM_HOST":                          {kind: opString, field: UpstreamHost},
	"UPSTREAM_CLUSTER":                       {kind: opString, field: UpstreamCluster},
	"DOWNSTREAM_REMOTE_ADDRESS":              {kind: opString, field: DownstreamRemoteAddress},
	"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": {kind: opDownstreamRemoteWithoutPort, field: DownstreamRemoteAddress},
	"DOWNSTREAM_LOCAL_ADDRESS":               {kind: opString, field: DownstreamLocalAddress},
	"ROUTE_NAME":                             {kind: opString, field: RouteName},
	"HOSTNAME":                               {kind: opString, field: Hostname},
}

var headerOps = map[string]HeaderKind{"REQ": RequestHeader, "RESP": ResponseHeader, "TRAILER": ResponseTrailer}

// Error is a format error; Operator names the offending operator when there
// is one, so the controller can say which part of a policy is wrong.
type Error struct {
	Format   string
	Pos      int
	Operator string
	Reason   string
}

func (e *Error) Error() string {
	if e.Operator != "" {
		return fmt.Sprintf("access log format %q: operator %s at position %d: %s", e.Format, e.Operator, e.Pos, e.Reason)
	}
	return fmt.Sprintf("access log format %q: position %d: %s", e.Format, e.Pos, e.Reason)
}

// parseCommands splits a format string into pieces.
func parseCommands(s string, opt *redactor) ([]piece, error) {
	var out []piece
	addLit := func(t string) {
		if t == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].kind == opLiteral {
			out[n-1].lit += t
			return
		}
		out = append(out, piece{kind: opLiteral, lit: t})
	}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			addLit(s[i:])
			break
		}
		addLit(s[i : i+j])
		i += j
		p, n, err := parseCommand(s, i, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		i += n
	}
	return out, nil
}

// parseCommand parses the operator starting at s[at] == '%', with Envoy's
// grammar %NAME%, %NAME(ARGS)%, %NAME(ARGS):MAX%, and returns its length.
func parseCommand(s string, at int, opt *redactor) (piece, int, error) {
	i := at + 1
	start := i
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
		i++
	}
	name := s[start:i]
	fail := func(op, reason string) (piece, int, error) {
		return piece{}, 0, &Error{Format: s, Pos: at, Operator: op, Reason: reason}
	}
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return fail("", "a '%' that does not start an operator (operators look like %NAME%, %NAME(ARG)% or %NAME(ARG):N%)")
	}
	op := "%" + name + "%"
	var args string
	hasArgs := false
	if i < len(s) && s[i] == '(' {
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			return fail(op, "unterminated '('")
		}
		args, hasArgs = s[i+1:i+end], true
		i += end + 1
	}
	maxLen := 0
	if i < len(s) && s[i] == ':' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return fail(op, "':' must be followed by a maximum length")
		}
		n, err := strconv.Atoi(s[i+1 : j])
		if err != nil || n <= 0 {
			return fail(op, "bad maximum length "+s[i+1:j])
		}
		maxLen, i = n, j
	}
	if i >= len(s) || s[i] != '%' {
		return fail(op, "missing closing '%'")
	}
	i++
	n := i - at

	if p, ok := simpleOps[name]; ok {
		if hasArgs {
			return fail(op, "takes no argument")
		}
		if maxLen != 0 {
			return fail(op, "takes no maximum length")
		}
		return p, n, nil
	}
	switch name {
	case "START_TIME":
		if maxLen != 0 {
			return fail(op, "takes no maximum length")
		}
		layout := defaultStartTime
		if hasArgs && args != "" {
			layout = args
		}
		l, err := compileTimeLayout(layout)
		if err != nil {
			return fail(op, err.Error())
		}
		return piece{kind: opStartTime, layout: l}, n, nil
	case "REQ", "RESP", "TRAILER":
		if !hasArgs {
			return fail(op, "needs a header name, e.g. %"+name+"(X-REQUEST-ID)%")
		}
		main, alt, two := strings.Cut(args, "?")
		main, alt = strings.ToLower(strings.TrimSpace(main)), strings.ToLower(strings.TrimSpace(alt))
		if main == "" || two && alt == "" {
			return fail(op, "empty header name in ("+args+")")
		}
		if strings.Contains(alt, "?") {
			return fail(op, "more than one '?' in ("+args+")")
		}
		if opt.sensitive(main) || opt.sensitive(alt) {
			return redactedPiece, n, nil
		}
		return piece{kind: opHeader, hkind: headerOps[name], name: main, alt: alt, maxLen: maxLen}, n, nil
	case "FILTER_STATE":
		key, mode, _ := strings.Cut(args, ":")
		if key == "" {
			return fail(op, "needs a key, e.g. %FILTER_STATE(my.key)%")
		}
		if mode != "" && mode != "PLAIN" && mode != "TYPED" {
			return fail(op, "serialization must be PLAIN or TYPED, not "+mode)
		}
		return piece{kind: opFilterState, name: key, maxLen: maxLen}, n, nil
	}
	return fail(op, "unknown operator")
}
