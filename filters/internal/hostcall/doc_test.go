package hostcall

import (
	"encoding/binary"
	"testing"
)

// pairs serializes headers in the ABI's map encoding.
func pairs(hs [][2]string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(hs)))
	for _, h := range hs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h[0])))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h[1])))
	}
	for _, h := range hs {
		b = append(append(append(append(b, h[0]...), 0), h[1]...), 0)
	}
	return b
}

func TestPairsSize(t *testing.T) {
	n, size, ok := PairsSize(pairs([][2]string{{":method", "GET"}, {"x-a", ""}, {"user-agent", "curl/8"}}))
	if !ok || n != 3 || size != int64(7+3+3+10+6) {
		t.Fatalf("n %d size %d ok %v", n, size, ok)
	}
	if n, size, ok := PairsSize(nil); !ok || n != 0 || size != 0 {
		t.Fatalf("empty map: n %d size %d ok %v", n, size, ok)
	}
	if _, _, ok := PairsSize([]byte{5, 0, 0, 0, 1}); ok {
		t.Fatal("truncated map accepted")
	}
}
