package template

// Nodes of a parsed template.
type node interface{ isNode() }

type textNode struct {
	text string
	pos  int
}

type outputNode struct{ x expr }

type ifBranch struct {
	cond expr // nil for else
	body []node
}

type ifNode struct{ branches []ifBranch }

type forNode struct {
	keyVar, valVar string // keyVar is empty in "for x in list"
	iter           expr
	body           []node
	pos            int
}

type setNode struct {
	name string
	x    expr
}

func (textNode) isNode()   {}
func (outputNode) isNode() {}
func (ifNode) isNode()     {}
func (forNode) isNode()    {}
func (setNode) isNode()    {}

// Expressions.
type expr interface{ position() int }

type literalExpr struct {
	v   any
	pos int
}

type listExpr struct {
	items []expr
	pos   int
}

// varExpr is a name at the root of a path: a loop or set variable, else a key
// of the JSON body.
type varExpr struct {
	name string
	pos  int
}

// memberExpr is x.name; a numeric name also indexes arrays (items.0).
type memberExpr struct {
	x    expr
	name string
	pos  int
}

type indexExpr struct {
	x, index expr
	pos      int
}

type callExpr struct {
	fn   *builtin
	args []expr
	pos  int
}

type unaryExpr struct {
	op  string
	x   expr
	pos int
}

type binaryExpr struct {
	op   string
	l, r expr
	pos  int
}

func (e *literalExpr) position() int { return e.pos }
func (e *listExpr) position() int    { return e.pos }
func (e *varExpr) position() int     { return e.pos }
func (e *memberExpr) position() int  { return e.pos }
func (e *indexExpr) position() int   { return e.pos }
func (e *callExpr) position() int    { return e.pos }
func (e *unaryExpr) position() int   { return e.pos }
func (e *binaryExpr) position() int  { return e.pos }
