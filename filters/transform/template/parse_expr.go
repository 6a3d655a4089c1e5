package template

import (
	"strconv"
)

func (p *parser) isPunct(vals ...string) (token, bool) {
	t := p.peek()
	if t.kind != tokPunct {
		return t, false
	}
	for _, v := range vals {
		if t.val == v {
			return t, true
		}
	}
	return t, false
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && t.val == kw
}

// parseExpr parses: or < and < not < comparison < ~ < + - < * / % < unary -
// < postfix (.name, [index], | filter).
func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(p.peek()); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseOr()
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	for err == nil && p.isKeyword("or") {
		t := p.next()
		var r expr
		if r, err = p.parseAnd(); err == nil {
			l = &binaryExpr{op: "or", l: l, r: r, pos: t.pos}
		}
	}
	return l, err
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	for err == nil && p.isKeyword("and") {
		t := p.next()
		var r expr
		if r, err = p.parseNot(); err == nil {
			l = &binaryExpr{op: "and", l: l, r: r, pos: t.pos}
		}
	}
	return l, err
}

func (p *parser) parseNot() (expr, error) {
	if p.isKeyword("not") {
		t := p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: "not", x: x, pos: t.pos}, nil
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (expr, error) {
	l, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	op := ""
	switch {
	case t.kind == tokPunct && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">="):
		op = t.val
		p.next()
	case p.isKeyword("in"):
		op = "in"
		p.next()
	case p.isKeyword("not") && p.toks[p.i+1].kind == tokIdent && p.toks[p.i+1].val == "in":
		op = "not in"
		p.next()
		p.next()
	default:
		return l, nil
	}
	r, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	return &binaryExpr{op: op, l: l, r: r, pos: t.pos}, nil
}

func (p *parser) parseConcat() (expr, error) {
	l, err := p.parseAdd()
	for err == nil {
		t, ok := p.isPunct("~")
		if !ok {
			break
		}
		p.next()
		var r expr
		if r, err = p.parseAdd(); err == nil {
			l = &binaryExpr{op: "~", l: l, r: r, pos: t.pos}
		}
	}
	return l, err
}

func (p *parser) parseAdd() (expr, error) {
	l, err := p.parseMul()
	for err == nil {
		t, ok := p.isPunct("+", "-")
		if !ok {
			break
		}
		p.next()
		var r expr
		if r, err = p.parseMul(); err == nil {
			l = &binaryExpr{op: t.val, l: l, r: r, pos: t.pos}
		}
	}
	return l, err
}

func (p *parser) parseMul() (expr, error) {
	l, err := p.parseUnary()
	for err == nil {
		t, ok := p.isPunct("*", "/", "%")
		if !ok {
			break
		}
		p.next()
		var r expr
		if r, err = p.parseUnary(); err == nil {
			l = &binaryExpr{op: t.val, l: l, r: r, pos: t.pos}
		}
	}
	return l, err
}

func (p *parser) parseUnary() (expr, error) {
	if t, ok := p.isPunct("-"); ok {
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: "-", x: x, pos: t.pos}, nil
	}
	return p.parsePostfix()
}

func (p *parser) parsePostfix() (expr, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for steps := 0; ; steps++ {
		if steps >= MaxNesting {
			return nil, p.errAt(p.peek(), "more than %d member, index or filter steps in one expression", MaxNesting)
		}
		t, ok := p.isPunct(".", "[", "|")
		if !ok {
			return x, nil
		}
		p.next()
		switch t.val {
		case ".":
			name := p.next()
			if name.kind != tokIdent && name.kind != tokNumber {
				return nil, p.errAt(name, "expected a name or an index after \".\", found %s", describe(name))
			}
			x = &memberExpr{x: x, name: name.val, pos: name.pos}
		case "[":
			index, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expect(tokPunct, "]"); err != nil {
				return nil, err
			}
			if p.toks[p.i-1].val != "]" {
				return nil, p.errAt(p.toks[p.i-1], "expected ], found %s", describe(p.toks[p.i-1]))
			}
			x = &indexExpr{x: x, index: index, pos: t.pos}
		case "|":
			name := p.next()
			if name.kind != tokIdent {
				return nil, p.errAt(name, "expected a function name after \"|\", found %s", describe(name))
			}
			if _, known := builtins[name.val]; !known {
				return nil, p.errAt(name, "unknown function %s", quoteToken(name.val))
			}
			args := []expr{x}
			if _, ok := p.isPunct("("); ok {
				p.next()
				more, err := p.parseArgs()
				if err != nil {
					return nil, err
				}
				args = append(args, more...)
			}
			if x, err = p.newCall(name, args); err != nil {
				return nil, err
			}
		}
	}
}

// parseArgs parses call arguments after "(" up to and including ")".
func (p *parser) parseArgs() ([]expr, error) {
	var args []expr
	if _, ok := p.isPunct(")"); ok {
		p.next()
		return nil, nil
	}
	for {
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		t := p.next()
		if t.kind == tokPunct && t.val == ")" {
			return args, nil
		}
		if t.kind != tokPunct || t.val != "," {
			return nil, p.errAt(t, "expected \",\" or \")\" in arguments, found %s", describe(t))
		}
	}
}

func (p *parser) newCall(name token, args []expr) (expr, error) {
	fn, ok := builtins[name.val]
	if !ok {
		return nil, p.errAt(name, "unknown function %s", quoteToken(name.val))
	}
	if len(args) < fn.minArgs || len(args) > fn.maxArgs {
		want := strconv.Itoa(fn.minArgs)
		if fn.maxArgs != fn.minArgs {
			want += " to " + strconv.Itoa(fn.maxArgs)
		}
		return nil, p.errAt(name, "%s takes %s arguments, got %d", name.val, want, len(args))
	}
	if fn.readsBody {
		p.usesBody = true
	}
	if fn.readsJSON {
		p.usesBody, p.usesJSON = true, true
	}
	return &callExpr{fn: fn, args: args, pos: name.pos}, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.next()
	switch t.kind {
	case tokNumber:
		return p.numberLiteral(t)
	case tokString:
		return &literalExpr{v: t.val, pos: t.pos}, nil
	case tokIdent:
		switch t.val {
		case "true", "True":
			return &literalExpr{v: true, pos: t.pos}, nil
		case "false", "False":
			return &literalExpr{v: false, pos: t.pos}, nil
		case "null", "none", "None":
			return &literalExpr{v: nil, pos: t.pos}, nil
		case "and", "or", "not", "in":
			return nil, p.errAt(t, "unexpected keyword %s", quoteToken(t.val))
		}
		if _, ok := p.isPunct("("); ok {
			if _, known := builtins[t.val]; !known {
				return nil, p.errAt(t, "unknown function %s", quoteToken(t.val))
			}
			p.next()
			args, err := p.parseArgs()
			if err != nil {
				return nil, err
			}
			return p.newCall(t, args)
		}
		if p.bound[t.val] == 0 {
			p.usesBody, p.usesJSON = true, true
		}
		return &varExpr{name: t.val, pos: t.pos}, nil
	case tokPunct:
		switch t.val {
		case "(":
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if c := p.next(); c.kind != tokPunct || c.val != ")" {
				return nil, p.errAt(c, "expected \")\", found %s", describe(c))
			}
			return x, nil
		case "[":
			return p.parseList(t)
		}
	}
	return nil, p.errAt(t, "expected a value, found %s", describe(t))
}

func (p *parser) parseList(open token) (expr, error) {
	l := &listExpr{pos: open.pos}
	if _, ok := p.isPunct("]"); ok {
		p.next()
		return l, nil
	}
	for {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, x)
		t := p.next()
		if t.kind == tokPunct && t.val == "]" {
			return l, nil
		}
		if t.kind != tokPunct || t.val != "," {
			return nil, p.errAt(t, "expected \",\" or \"]\" in list, found %s", describe(t))
		}
	}
}

func (p *parser) numberLiteral(t token) (expr, error) {
	if i, err := strconv.ParseInt(t.val, 10, 64); err == nil {
		return &literalExpr{v: i, pos: t.pos}, nil
	}
	f, err := strconv.ParseFloat(t.val, 64)
	if err != nil {
		return nil, p.errAt(t, "invalid number %s", quoteToken(t.val))
	}
	return &literalExpr{v: f, pos: t.pos}, nil
}
