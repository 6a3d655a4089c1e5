package main

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// maxCASAttempts bounds the compare-and-swap loop: every worker may race
// for the key, but each failed attempt means another one succeeded.
const maxCASAttempts = 16

// incrementSharedCounter adds one to the 8-byte little-endian counter at key
// and returns the new value. Shared data has no atomic increment, so it reads
// the value with its cas and writes it back with that cas, retrying when
// another VM got there first. An absent key is inserted without a cas check
// (Envoy's semantics), so two first writers may both "win": one count is
// then lost, which a counter of requests can afford.
func incrementSharedCounter(key string) (uint64, error) {
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		data, cas, err := proxywasm.GetSharedData(key)
		var n uint64
		switch {
		case errors.Is(err, types.ErrorStatusNotFound):
		case err != nil:
			return 0, err
		case len(data) == 8:
			n = binary.LittleEndian.Uint64(data)
		default:
			return 0, errors.New("corrupt counter")
		}
		n++
		err = proxywasm.SetSharedData(key, binary.LittleEndian.AppendUint64(nil, n), cas)
		if errors.Is(err, types.ErrorStatusCasMismatch) {
			continue
		}
		return n, err
	}
	return 0, errors.New("too much contention")
}

func formatUint(n uint64) string { return strconv.FormatUint(n, 10) }
