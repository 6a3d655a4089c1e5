package limiter

import "errors"

// MaxAttempts bounds the compare-and-swap loop. Each retry means another
// worker updated the same slot between our read and our write; with one VM
// per worker thread, a handful of workers cannot make 16 consecutive
// attempts fail unless the host is misbehaving, and an unbounded loop would
// hold a worker forever.
const MaxAttempts = 16

// ErrContended is returned (with an allowed decision) when MaxAttempts
// compare-and-swaps in a row lost the race.
var ErrContended = errors.New("limiter: shared-data compare-and-swap kept failing")

// Decision is the outcome of one Take.
type Decision struct {
	// Allowed is false when the bucket had no whole token.
	Allowed bool
	// State is the bucket after the decision (for x-ratelimit-* headers).
	State State
	// Err reports a shared-data failure; the request is then allowed (fail
	// open: a broken limiter must not take the route down) and Err is
	// counted and logged by the caller.
	Err error
}

// Limiter takes tokens from one pool of buckets in a Store.
type Limiter struct {
	Bucket Bucket
	Pool   *Pool
	Store  Store
	// buf is reused for encoding: a VM runs one request at a time.
	buf []byte
}

// slotView is one slot as read in this attempt.
type slotView struct {
	index uint32
	state State
	cas   uint32
	found bool // the key exists
	valid bool // and holds a State
}

func (l *Limiter) read(i uint32) (slotView, error) {
	v := slotView{index: i}
	raw, cas, found, err := l.Store.Get(l.Pool.Key(i))
	if err != nil || !found {
		return v, err
	}
	v.cas, v.found = cas, true
	if s, err := decodeState(raw); err == nil {
		v.state, v.valid = s, true
	}
	return v, nil
}

// write stores s in slot v, conditional on v's CAS token when the key
// exists. An absent key is written with cas 0, which Envoy applies
// unconditionally: that is the first-touch race (see README.md).
func (l *Limiter) write(v slotView, s State) (bool, error) {
	l.buf = s.encode(l.buf[:0])
	cas := uint32(0)
	if v.found {
		cas = v.cas
	}
	return l.Store.Set(l.Pool.Key(v.index), l.buf, cas)
}

// Take takes one token from the bucket of the key value whose hash is owner
// (0 and a one-slot pool for a policy-wide bucket), at time now (Unix ns).
func (l *Limiter) Take(owner uint64, now int64) Decision {
	for attempt := 0; attempt < MaxAttempts; attempt++ {
		d, done, err := l.attempt(owner, now)
		if err != nil {
			return Decision{Allowed: true, Err: err}
		}
		if done {
			return d
		}
	}
	return Decision{Allowed: true, Err: ErrContended}
}

// attempt makes one read-decide-write pass; done=false means a CAS lost.
func (l *Limiter) attempt(owner uint64, now int64) (Decision, bool, error) {
	first, second := l.Pool.Candidates(owner)
	a, err := l.read(first)
	if err != nil {
		return Decision{}, false, err
	}
	if a.valid && a.state.Owner == owner {
		return l.takeFrom(a, now)
	}
	victim := a
	if second != first {
		b, err := l.read(second)
		if err != nil {
			return Decision{}, false, err
		}
		if b.valid && b.state.Owner == owner {
			return l.takeFrom(b, now)
		}
		victim = l.cheaperToEvict(a, b, now)
	}
	// The key value owns no slot: it starts a full bucket in the victim's.
	s, _ := l.Bucket.Take(l.Bucket.Full(owner, now), now)
	ok, err := l.write(victim, s)
	if err != nil || !ok {
		return Decision{}, false, err
	}
	return Decision{Allowed: true, State: s}, true, nil
}

// takeFrom takes a token from a slot the key value owns. A refused request
// writes nothing: refill is a pure function of time, so the stored state
// stays correct, and the limited path costs one shared-data read.
func (l *Limiter) takeFrom(v slotView, now int64) (Decision, bool, error) {
	s, allowed := l.Bucket.Take(v.state, now)
	if !allowed {
		return Decision{Allowed: false, State: s}, true, nil
	}
	ok, err := l.write(v, s)
	if err != nil || !ok {
		return Decision{}, false, err
	}
	return Decision{Allowed: true, State: s}, true, nil
}

// cheaperToEvict picks the slot whose loss is smallest: an empty slot or an
// unreadable value first, then the bucket with the most tokens now (a full
// bucket loses nothing). Ties go to a, so the choice is deterministic.
func (l *Limiter) cheaperToEvict(a, b slotView, now int64) slotView {
	if !a.valid {
		return a
	}
	if !b.valid {
		return b
	}
	if l.Bucket.Refill(b.state, now).Tokens > l.Bucket.Refill(a.state, now).Tokens {
		return b
	}
	return a
}
