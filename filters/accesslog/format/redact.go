package format

import (
	"strings"
)

// The redaction rule, the one every access-log path of wasp applies: the
// Wasm filter's renderer (this package), and the native Envoy format the
// xDS translator writes for requests the filter never saw (RedactFormat).
//
// An operator %REQ(H)%, %RESP(H)% or %TRAILER(H)% whose header H (or its
// fallback, in %REQ(H?G)%) is one of SensitiveHeaders prints Redacted,
// whether or not the request has the header, unless Options.Unredacted
// names the header. The operator is replaced by the literal when the format
// is parsed, so what a line shows never depends on the credential, and a
// native Envoy format string can say the same thing: Envoy's own formatter
// prints headers as they are, so the translator rewrites the format with
// the literal in place of the operator.

// Redacted is printed instead of a sensitive header's value.
const Redacted = "[REDACTED]"

// SensitiveHeaders are printed as Redacted unless Options.Unredacted names
// them: credentials must not land in logs by accident.
var SensitiveHeaders = []string{"authorization", "cookie", "proxy-authorization", "set-cookie"}

// redactedPiece stands for a sensitive header's operator.
var redactedPiece = piece{kind: opLiteral, lit: Redacted, redact: true}

// redactor decides which headers print as Redacted.
type redactor struct{ allowed map[string]bool }

func newRedactor(o Options) *redactor {
	r := &redactor{allowed: map[string]bool{}}
	for _, h := range o.Unredacted {
		r.allowed[strings.ToLower(h)] = true
	}
	return r
}

// sensitive reports whether header h (lower case) prints as Redacted.
func (r *redactor) sensitive(h string) bool {
	if h == "" || r.allowed[h] {
		return false
	}
	for _, s := range SensitiveHeaders {
		if s == h {
			return true
		}
	}
	return false
}

// RedactFormat returns the format string s with every operator the rule
// redacts replaced by the literal Redacted, and everything else as it is:
// a native Envoy format that prints what this package's renderer prints.
// It fails where ParseText fails.
func RedactFormat(s string, o Options) (string, error) {
	r := newRedactor(o)
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		p, n, err := parseCommand(s, i, r)
		if err != nil {
			return "", err
		}
		if p.redact {
			b.WriteString(Redacted)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String(), nil
}
