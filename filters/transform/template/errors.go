package template

import (
	"fmt"
	"unicode/utf8"
)

// Error is a parse or render error at a position in the template source.
type Error struct {
	Line, Column int // 1-based; Column counts characters (runes), not bytes
	Msg          string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg) }

// position turns a byte offset into a 1-based line and column.
func position(src string, offset int) (line, col int) {
	if offset > len(src) {
		offset = len(src)
	}
	line, col = 1, 1
	for _, r := range src[:offset] {
		if r == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}

func errorAt(src string, offset int, format string, args ...any) *Error {
	line, col := position(src, offset)
	return &Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// quoteToken shows a token in an error message, shortened so that a huge
// literal does not flood a log line.
func quoteToken(s string) string {
	const maxShown = 32
	if utf8.RuneCountInString(s) > maxShown {
		r := []rune(s)
		s = string(r[:maxShown]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
