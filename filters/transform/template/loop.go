package template

// The loop variable: a reference to its loop's frame (renderer.frames),
// read field by field, made an object only where it must be one.

// loopField is a member of the loop variable: Inja's index (from 0),
// index1, is_first, is_last and parent, plus Jinja's first, last and length.
type loopField int8

const (
	loopNone loopField = iota
	loopIndex
	loopIndex1
	loopFirst
	loopLast
	loopLength
	loopParent
)

func loopFieldOf(name string) loopField {
	switch name {
	case "index":
		return loopIndex
	case "index1":
		return loopIndex1
	case "is_first", "first":
		return loopFirst
	case "is_last", "last":
		return loopLast
	case "length":
		return loopLength
	case "parent":
		return loopParent
	}
	return loopNone
}

// loopMember is a member of the loop variable of the loop at depth d.
func (r *renderer) loopMember(d int, field loopField) Value {
	f := &r.frames[d]
	switch field {
	case loopIndex:
		return intValue(int64(f.index))
	case loopIndex1:
		return intValue(int64(f.index + 1))
	case loopFirst:
		return boolValue(f.index == 0)
	case loopLast:
		return boolValue(f.index == f.length-1)
	case loopLength:
		return intValue(int64(f.length))
	case loopParent:
		return f.parent
	}
	return Value{}
}

// loopKeys are the loop object's members in key order.
var loopKeys = [...]string{"first", "index", "index1", "is_first", "is_last", "last", "length", "parent"}

// resolve turns a loop variable into an object of its current values. A
// loop Value only names a frame, which changes with the next iteration: it
// is resolved wherever it could outlive the iteration (a set, a list, a
// function argument) or is used as an object.
func (r *renderer) resolve(v Value) Value {
	if v.kind != kindLoop {
		return v
	}
	return r.loopObject(int(v.num))
}

func (r *renderer) loopObject(d int) Value {
	parent := r.resolve(r.frames[d].parent)
	n := len(loopKeys)
	if parent.kind == kindUndefined {
		n-- // as before: an undefined member is left out
	}
	l := r.vals.take(2 * n)
	for i := 0; i < n; i++ {
		l[2*i] = stringValue(loopKeys[i])
		if loopKeys[i] == "parent" {
			l[2*i+1] = parent
		} else {
			l[2*i+1] = r.loopMember(d, loopFieldOf(loopKeys[i]))
		}
	}
	return Value{kind: kindObject, list: l}
}
