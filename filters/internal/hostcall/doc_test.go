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

func TestLookup(t *testing.T) {
	m := pairs([][2]string{{":method", "GET"}, {"x-a", ""}, {"x-b", "1"}, {"x-b", "2"}})
	for _, c := range []struct {
		name, want string
		ok         bool
	}{{":method", "GET", true}, {"x-a", "", true}, {"x-b", "1", true}, {"x-c", "", false}} {
		if got, ok := Lookup(m, c.name); got != c.want || ok != c.ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	// A truncated map never panics, and never answers from past its end.
	for cut := 0; cut < len(m); cut++ {
		if v, ok := Lookup(m[:cut], "x-b"); ok && v != "1" {
			t.Errorf("cut at %d: %q", cut, v)
		}
		if _, ok := Lookup(m[:cut], "x-c"); ok {
			t.Errorf("cut at %d: an absent header answered", cut)
		}
	}
}

func TestAppendPairs(t *testing.T) {
	hs := [][2]string{{":method", "GET"}, {"x-a", ""}, {"x-b", "1"}, {"x-b", "2"}}
	m := pairs(hs)
	got, ok := AppendPairs(nil, m)
	if !ok || len(got) != len(hs) {
		t.Fatalf("got %q, %v", got, ok)
	}
	for i := range hs {
		if got[i] != hs[i] {
			t.Errorf("pair %d: %q, want %q", i, got[i], hs[i])
		}
	}
	if got, ok := AppendPairs(nil, nil); !ok || len(got) != 0 {
		t.Fatalf("empty map: %q, %v", got, ok)
	}
	for cut := 1; cut < len(m); cut++ {
		if _, ok := AppendPairs(nil, m[:cut]); ok {
			t.Errorf("cut at %d: a truncated map decoded", cut)
		}
	}
}
