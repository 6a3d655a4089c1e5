package limiter

import (
	"encoding/binary"
	"errors"
	"math"
)

// stateSize is the encoded size of a State: tokens (float64 bits), last
// (int64) and owner (uint64), little-endian, 8 bytes each.
const stateSize = 24

// errBadState reports a shared-data value that is not a State (another
// plugin of the same vm_id wrote under our key prefix, which should never
// happen); the slot is then treated as absent and overwritten.
var errBadState = errors.New("limiter: shared-data value is not a bucket state")

// encode appends s's encoding to dst.
func (s State) encode(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.Tokens))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(s.Last))
	return binary.LittleEndian.AppendUint64(dst, s.Owner)
}

// decodeState parses an encoded State. It rejects wrong sizes and token
// counts that no bucket can hold (NaN, infinities, negative).
func decodeState(b []byte) (State, error) {
	if len(b) != stateSize {
		return State{}, errBadState
	}
	s := State{
		Tokens: math.Float64frombits(binary.LittleEndian.Uint64(b[0:8])),
		Last:   int64(binary.LittleEndian.Uint64(b[8:16])),
		Owner:  binary.LittleEndian.Uint64(b[16:24]),
	}
	if math.IsNaN(s.Tokens) || math.IsInf(s.Tokens, 0) || s.Tokens < 0 {
		return State{}, errBadState
	}
	return s, nil
}
