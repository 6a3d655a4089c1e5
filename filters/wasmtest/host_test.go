package wasmtest

import (
	"slices"
	"testing"
)

// Envoy's shared-data semantics (cpp-host src/shared_data.cc).
func TestSharedDataCAS(t *testing.T) {
	h := NewHost()
	if st := h.SetSharedData("vm", "k", []byte("a"), 12345); st != StatusOK {
		t.Fatalf("absent key with a cas: %v, want OK (cas is checked only for existing keys)", st)
	}
	_, cas, ok := h.SharedData("vm", "k")
	if !ok || cas == 0 {
		t.Fatalf("cas %d ok %v", cas, ok)
	}
	if st := h.SetSharedData("vm", "k", []byte("b"), cas+1); st != StatusCasMismatch {
		t.Fatalf("stale cas: %v, want CasMismatch", st)
	}
	if st := h.SetSharedData("vm", "k", []byte("b"), cas); st != StatusOK {
		t.Fatalf("current cas: %v", st)
	}
	v, cas2, _ := h.SharedData("vm", "k")
	if string(v) != "b" || cas2 == cas {
		t.Fatalf("after set: %q cas %d (was %d)", v, cas2, cas)
	}
	if st := h.SetSharedData("vm", "k", []byte("c"), 0); st != StatusOK {
		t.Fatalf("cas 0 is unconditional: %v", st)
	}
	if _, _, ok := h.SharedData("other", "k"); ok {
		t.Fatal("keys are namespaced by vm_id")
	}
	h.casIndex = ^uint32(0)
	h.SetSharedData("vm", "x", nil, 0)
	h.SetSharedData("vm", "y", nil, 0)
	if _, cas, _ := h.SharedData("vm", "y"); cas == 0 {
		t.Fatal("cas wrapped to 0")
	}
}

func TestHeaderMapSemantics(t *testing.T) {
	m := newHeaderMap([][2]string{{"A", "1"}, {"b", "2"}, {"a", "3"}})
	if v, _ := m.get("a"); v != "1" {
		t.Errorf("get returns the first value, got %q", v)
	}
	m.replace("A", "x")
	if want := [][2]string{{"a", "x"}, {"b", "2"}, {"a", "3"}}; !slices.Equal(m.pairs, want) {
		t.Errorf("replace sets the first value only: %v", m.pairs)
	}
	m.add(":path", "/")
	if m.pairs[0][0] != ":path" {
		t.Errorf("pseudo-headers go first: %v", m.pairs)
	}
	m.remove("a")
	if want := [][2]string{{":path", "/"}, {"b", "2"}}; !slices.Equal(m.pairs, want) {
		t.Errorf("remove drops every value: %v", m.pairs)
	}
	if v, ok := m.getBytes([]byte("B")); !ok || v != "2" {
		t.Errorf("getBytes lower-cases: %q %v", v, ok)
	}
}

func TestPairsRoundTrip(t *testing.T) {
	pairs := [][2]string{{":status", "200"}, {"", ""}, {"k", "v\x00w"}}
	got, ok := DecodePairs(EncodePairs(pairs))
	if !ok || !slices.Equal(got, pairs) {
		t.Fatalf("round trip: %v %v", got, ok)
	}
	if _, ok := DecodePairs([]byte{5, 0, 0, 0}); ok {
		t.Fatal("a count larger than the data must be refused")
	}
}

func FuzzDecodePairs(f *testing.F) {
	f.Add(EncodePairs([][2]string{{"a", "b"}}))
	f.Add([]byte{1, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pairs, ok := DecodePairs(b)
		if !ok {
			return
		}
		again, ok := DecodePairs(EncodePairs(pairs))
		if !ok || !slices.Equal(again, pairs) {
			t.Fatalf("re-encoding %v gave %v", pairs, again)
		}
	})
}
