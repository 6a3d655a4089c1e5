package limiter

// Sampler picks a share of requests (percentEnabled, percentEnforced). It
// spreads its picks evenly and deterministically — the nth call picks when
// floor(n·p/100) steps up — instead of drawing random numbers, so 50% picks
// exactly every other call and tests need no statistics. The count is per
// VM: each worker applies the same share.
type Sampler struct {
	Percent int32
	n       uint64
}

// Sample reports whether this call is in the share.
func (e *Sampler) Sample() bool {
	switch {
	case e.Percent >= 100:
		return true
	case e.Percent <= 0:
		return false
	}
	p := uint64(e.Percent)
	before := e.n * p / 100
	e.n++
	if e.n == 100 { // the pattern repeats every 100; keep n small
		e.n = 0
		return true
	}
	return e.n*p/100 > before
}
