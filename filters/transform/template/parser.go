package template

import (
	"strconv"
)

// Parse limits. They bound the work done on an untrusted template (a policy
// written by any namespace owner) before it ever renders.
const (
	// MaxTemplateBytes bounds a template's source. kgateway's CRD leaves
	// templates unbounded; 64 KiB is far above any header or body template
	// seen in its docs and keeps a policy's parse cost small.
	MaxTemplateBytes = 64 << 10
	// MaxNesting bounds the nesting of blocks and expressions, so that
	// neither the recursive parser nor the recursive evaluator can exhaust
	// the Wasm stack.
	MaxNesting = 64
)

// Template is a parsed template, safe for concurrent renders.
type Template struct {
	src       string
	prog      execFn // the compiled template
	loopDepth int    // deepest for-loop nesting: loop frames a render needs
	setSlots  int    // distinct set variables
	usesBody  bool
	usesJSON  bool
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// UsesBody reports whether rendering needs the message body: a JSON path, or
// a call to body() or context(). A transformation whose templates do not use
// the body need not buffer it.
func (t *Template) UsesBody() bool { return t.usesBody }

// UsesJSONContext reports whether the template reads the parsed JSON body
// (a path such as user.name, or context()).
func (t *Template) UsesJSONContext() bool { return t.usesJSON }

// Parse parses a template. Errors are *Error with the line:column of the
// offending token.
func Parse(src string) (*Template, error) {
	if len(src) > MaxTemplateBytes {
		return nil, &Error{Line: 1, Column: 1, Msg: "template is " + strconv.Itoa(len(src)) + " bytes, more than the limit of " + strconv.Itoa(MaxTemplateBytes)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, bound: map[string]int{}}
	body, end, err := p.parseNodes()
	if err != nil {
		return nil, err
	}
	if end.kind != tokEOF {
		return nil, p.errAt(end, "unexpected {%% %s %%} with no open block", end.val)
	}
	t := &Template{src: src, usesBody: p.usesBody, usesJSON: p.usesJSON}
	t.prog, t.loopDepth, t.setSlots = compile(body)
	return t, nil
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
	// bound counts, per name, the enclosing for loops and earlier sets that
	// define it: a name that is not bound reads the JSON body.
	bound    map[string]int
	usesBody bool
	usesJSON bool
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return errorAt(p.src, t.pos, format, args...)
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > MaxNesting {
		return p.errAt(t, "nesting deeper than %d", MaxNesting)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of template"
	case tokString:
		return "string " + quoteToken(t.val)
	}
	return quoteToken(t.val)
}

// blockKeywords end a block body; the caller decides which one it expects.
var blockKeywords = map[string]bool{"elif": true, "else": true, "endif": true, "endfor": true}

// parseNodes parses until the end of the template or a block keyword. For a
// block keyword it returns the keyword's token (after "{%"); the caller
// consumes the rest of that tag.
func (p *parser) parseNodes() ([]node, token, error) {
	var nodes []node
	for {
		t := p.next()
		switch t.kind {
		case tokEOF:
			return nodes, t, nil
		case tokText:
			nodes = append(nodes, textNode{text: t.val, pos: t.pos})
		case tokExprOpen:
			x, err := p.parseExpr()
			if err != nil {
				return nil, t, err
			}
			if err := p.expect(tokExprClose, "}}"); err != nil {
				return nil, t, err
			}
			nodes = append(nodes, outputNode{x: x})
		case tokStmtOpen:
			kw := p.next()
			if kw.kind != tokIdent {
				return nil, t, p.errAt(kw, "expected a statement (if, for, set…) after {%%, found %s", describe(kw))
			}
			if blockKeywords[kw.val] {
				return nodes, kw, nil
			}
			n, err := p.parseStatement(t, kw)
			if err != nil {
				return nil, t, err
			}
			if n != nil {
				nodes = append(nodes, n)
			}
		default:
			return nil, t, p.errAt(t, "unexpected %s", describe(t))
		}
	}
}

func (p *parser) expect(kind tokenKind, what string) error {
	t := p.next()
	if t.kind != kind {
		return p.errAt(t, "expected %s, found %s", what, describe(t))
	}
	return nil
}

func (p *parser) parseStatement(open, kw token) (node, error) {
	if err := p.enter(kw); err != nil {
		return nil, err
	}
	defer p.leave()
	switch kw.val {
	case "if":
		return p.parseIf(kw)
	case "for":
		return p.parseFor(kw)
	case "set":
		return p.parseSet()
	}
	return nil, p.errAt(kw, "unknown statement %s", quoteToken(kw.val))
}

func (p *parser) parseIf(ifTok token) (node, error) {
	var n ifNode
	cond, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(tokStmtClose, "%}"); err != nil {
		return nil, err
	}
	sawElse := false
	for {
		body, end, err := p.parseNodes()
		if err != nil {
			return nil, err
		}
		n.branches = append(n.branches, ifBranch{cond: cond, body: body})
		switch {
		case end.kind == tokEOF:
			return nil, p.errAt(ifTok, "unclosed {%% if %%}: missing {%% endif %%}")
		case end.val == "endif":
			if err := p.expect(tokStmtClose, "%}"); err != nil {
				return nil, err
			}
			return n, nil
		case end.val == "endfor":
			return nil, p.errAt(end, "unexpected {%% endfor %%}: the {%% if %%} at %s is still open", p.at(ifTok))
		case sawElse:
			return nil, p.errAt(end, "unexpected {%% %s %%} after {%% else %%}", end.val)
		case end.val == "elif" || (end.val == "else" && p.peek().kind == tokIdent && p.peek().val == "if"):
			if end.val == "else" {
				p.next() // "else if", Inja's spelling of elif
			}
			if cond, err = p.parseExpr(); err != nil {
				return nil, err
			}
		default: // else
			sawElse, cond = true, nil
		}
		if err := p.expect(tokStmtClose, "%}"); err != nil {
			return nil, err
		}
	}
}

func (p *parser) at(t token) string {
	line, col := position(p.src, t.pos)
	return strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

func (p *parser) parseFor(forTok token) (node, error) {
	n := forNode{pos: forTok.pos}
	first := p.next()
	if first.kind != tokIdent {
		return nil, p.errAt(first, "expected a loop variable after for, found %s", describe(first))
	}
	n.valVar = first.val
	if t := p.peek(); t.kind == tokPunct && t.val == "," {
		p.next()
		second := p.next()
		if second.kind != tokIdent {
			return nil, p.errAt(second, "expected a second loop variable after \",\", found %s", describe(second))
		}
		n.keyVar, n.valVar = first.val, second.val
	}
	if in := p.next(); in.kind != tokIdent || in.val != "in" {
		return nil, p.errAt(in, "expected \"in\" in {%% for %%}, found %s", describe(in))
	}
	iter, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	n.iter = iter
	if err := p.expect(tokStmtClose, "%}"); err != nil {
		return nil, err
	}
	locals := []string{n.valVar, "loop"}
	if n.keyVar != "" {
		locals = append(locals, n.keyVar)
	}
	for _, name := range locals {
		p.bound[name]++
	}
	body, end, err := p.parseNodes()
	for _, name := range locals {
		p.bound[name]--
	}
	if err != nil {
		return nil, err
	}
	switch {
	case end.kind == tokEOF:
		return nil, p.errAt(forTok, "unclosed {%% for %%}: missing {%% endfor %%}")
	case end.val != "endfor":
		return nil, p.errAt(end, "unexpected {%% %s %%}: the {%% for %%} at %s is still open", end.val, p.at(forTok))
	}
	if err := p.expect(tokStmtClose, "%}"); err != nil {
		return nil, err
	}
	n.body = body
	return n, nil
}

func (p *parser) parseSet() (node, error) {
	name := p.next()
	if name.kind != tokIdent {
		return nil, p.errAt(name, "expected a variable name after set, found %s", describe(name))
	}
	if eq := p.next(); eq.kind != tokPunct || eq.val != "=" {
		return nil, p.errAt(eq, "expected \"=\" after {%% set %s, found %s", name.val, describe(eq))
	}
	x, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(tokStmtClose, "%}"); err != nil {
		return nil, err
	}
	// From here on the name is a template variable (Inja's set writes the
	// data; wasp keeps it template-wide). Never unbound.
	p.bound[name.val]++
	return setNode{name: name.val, x: x}, nil
}
