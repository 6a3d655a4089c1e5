package template

import "strings"

type tokenKind int

const (
	tokEOF       tokenKind = iota
	tokText                // literal text between tags
	tokExprOpen            // {{
	tokExprClose           // }}
	tokStmtOpen            // {%
	tokStmtClose           // %}
	tokIdent               // name or keyword
	tokNumber              // 12, 1.5, 2e3
	tokString              // "..." or '...' (val holds the decoded text)
	tokPunct               // operators and punctuation
)

type token struct {
	kind tokenKind
	val  string
	pos  int // byte offset in the source
}

// lexer splits a template into text and the tokens inside {{ }} and {% %}
// tags. {# #} comments are dropped. A '-' next to a tag delimiter trims the
// whitespace on that side of the tag, as in Jinja and Inja.
type lexer struct {
	src      string
	pos      int
	toks     []token
	trimNext bool // the previous tag ended with '-': trim the next text's leading space
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for l.pos < len(l.src) {
		start := l.nextTagStart()
		l.emitText(l.src[l.pos:start])
		if start == len(l.src) {
			break
		}
		if err := l.lexTag(start); err != nil {
			return nil, err
		}
	}
	l.toks = append(l.toks, token{kind: tokEOF, pos: len(src)})
	return l.toks, nil
}

// nextTagStart finds the next "{{", "{%" or "{#" at or after l.pos.
func (l *lexer) nextTagStart() int {
	for i := l.pos; i+1 < len(l.src); i++ {
		if l.src[i] == '{' {
			switch l.src[i+1] {
			case '{', '%', '#':
				return i
			}
		}
	}
	return len(l.src)
}

func (l *lexer) emitText(text string) {
	if l.trimNext {
		text = strings.TrimLeft(text, " \t\r\n")
		l.trimNext = false
	}
	if text != "" {
		l.toks = append(l.toks, token{kind: tokText, val: text, pos: l.pos})
	}
}

// trimPreviousText implements a leading '-' ({{- or {%-): strip the
// whitespace at the end of the text just before the tag.
func (l *lexer) trimPreviousText() {
	n := len(l.toks)
	if n == 0 || l.toks[n-1].kind != tokText {
		return
	}
	l.toks[n-1].val = strings.TrimRight(l.toks[n-1].val, " \t\r\n")
	if l.toks[n-1].val == "" {
		l.toks = l.toks[:n-1]
	}
}

func (l *lexer) lexTag(start int) error {
	kind := l.src[start+1]
	l.pos = start + 2
	if l.pos < len(l.src) && l.src[l.pos] == '-' {
		l.trimPreviousText()
		l.pos++
	}
	if kind == '#' {
		end := strings.Index(l.src[l.pos:], "#}")
		if end < 0 {
			return errorAt(l.src, start, "unclosed comment: missing #}")
		}
		l.trimNext = end > 0 && l.src[l.pos+end-1] == '-'
		l.pos += end + 2
		return nil
	}
	open, closeKind, closer := tokExprOpen, tokExprClose, "}}"
	if kind == '%' {
		open, closeKind, closer = tokStmtOpen, tokStmtClose, "%}"
	}
	l.toks = append(l.toks, token{kind: open, val: l.src[start : start+2], pos: start})
	for {
		l.skipSpace()
		if l.pos >= len(l.src) {
			return errorAt(l.src, start, "unclosed %s: missing %s", l.src[start:start+2], closer)
		}
		if strings.HasPrefix(l.src[l.pos:], closer) {
			l.toks = append(l.toks, token{kind: closeKind, val: closer, pos: l.pos})
			l.pos += 2
			return nil
		}
		if l.src[l.pos] == '-' && strings.HasPrefix(l.src[l.pos+1:], closer) {
			l.toks = append(l.toks, token{kind: closeKind, val: closer, pos: l.pos + 1})
			l.pos += 3
			l.trimNext = true
			return nil
		}
		if err := l.lexToken(); err != nil {
			return err
		}
	}
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		switch l.src[l.pos] {
		case ' ', '\t', '\r', '\n':
			l.pos++
		default:
			return
		}
	}
}

// punctuation, longest first so that "==" wins over "=".
var punctuation = []string{"==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", ",", ".", "|", "=", ":"}

func (l *lexer) lexToken() error {
	c := l.src[l.pos]
	switch {
	case isIdentStart(c):
		start := l.pos
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		l.toks = append(l.toks, token{kind: tokIdent, val: l.src[start:l.pos], pos: start})
		return nil
	case isDigit(c):
		l.lexNumber()
		return nil
	case c == '"' || c == '\'':
		return l.lexString(c)
	}
	for _, p := range punctuation {
		if strings.HasPrefix(l.src[l.pos:], p) {
			l.toks = append(l.toks, token{kind: tokPunct, val: p, pos: l.pos})
			l.pos += len(p)
			return nil
		}
	}
	return errorAt(l.src, l.pos, "unexpected character %s", quoteToken(l.src[l.pos:l.pos+1]))
}

// lexNumber reads 12, 1.5 or 2e3. Right after a '.', only digits are taken,
// so that the path items.0.1 is items, 0, 1 and not items, 0.1.
func (l *lexer) lexNumber() {
	start := l.pos
	afterDot := len(l.toks) > 0 && l.toks[len(l.toks)-1].kind == tokPunct && l.toks[len(l.toks)-1].val == "."
	l.digits()
	if !afterDot {
		if l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1]) {
			l.pos++
			l.digits()
		}
		if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
			p := l.pos + 1
			if p < len(l.src) && (l.src[p] == '+' || l.src[p] == '-') {
				p++
			}
			if p < len(l.src) && isDigit(l.src[p]) {
				l.pos = p
				l.digits()
			}
		}
	}
	l.toks = append(l.toks, token{kind: tokNumber, val: l.src[start:l.pos], pos: start})
}

func (l *lexer) digits() {
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
}

func (l *lexer) lexString(quote byte) error {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == quote:
			l.pos++
			l.toks = append(l.toks, token{kind: tokString, val: b.String(), pos: start})
			return nil
		case c == '\\':
			if l.pos+1 >= len(l.src) {
				return errorAt(l.src, start, "unterminated string")
			}
			esc := l.src[l.pos+1]
			switch esc {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"', '\'', '/':
				b.WriteByte(esc)
			default:
				return errorAt(l.src, l.pos, "unknown escape \\%c in string", esc)
			}
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return errorAt(l.src, start, "unterminated string")
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }
