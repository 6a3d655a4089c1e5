package template

import "unsafe"

// slab hands out runs of Values from one backing array, so that the arrays
// and objects of a decoded body or of one render cost no allocation each.
// A run that does not fit starts a bigger array (runs already handed out
// keep the old one); reset keeps the newest array, so after a few requests
// one array holds everything and decoding allocates nothing.
type slab struct{ buf []Value }

func (s *slab) take(n int) []Value {
	if cap(s.buf)-len(s.buf) < n {
		c := max(2*cap(s.buf), n, 64)
		s.buf = make([]Value, 0, c)
	}
	l := len(s.buf)
	s.buf = s.buf[:l+n]
	return s.buf[l : l+n : l+n]
}

// reset makes the slab reusable; an array above keep Values is let go, so
// that one huge body does not pin its memory forever.
func (s *slab) reset(keep int) {
	if cap(s.buf) > keep {
		s.buf = nil
		return
	}
	// Not cleared: the stale Values are overwritten by the next request,
	// and clearing tens of KiB per request is what costs in Wasm.
	s.buf = s.buf[:0]
}

// arena holds the bytes of strings built while decoding or rendering
// (unescaped JSON strings, function results, concatenations). A string is
// built by appending to tail() and made permanent by commit; the bytes are
// reused after reset, so the strings must not outlive the request that made
// them (the renderer copies everything it outputs).
type arena struct{ buf []byte }

func (a *arena) tail() []byte { return a.buf[len(a.buf):] }

// commit turns bytes appended to tail() into a string.
func (a *arena) commit(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	t := a.buf[len(a.buf):]
	if cap(t) > 0 && unsafe.SliceData(b) == unsafe.SliceData(t) {
		a.buf = a.buf[:len(a.buf)+len(b)]
	} else {
		// b outgrew the arena and is its own allocation: start a bigger
		// arena for what follows (b keeps its memory).
		a.buf = make([]byte, 0, max(2*cap(a.buf), 2*len(b), 1024))
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (a *arena) reset(keep int) {
	if cap(a.buf) > keep {
		a.buf = nil
		return
	}
	a.buf = a.buf[:0]
}
