package clientkey

import (
	"strings"
	"testing"
)

func TestHostOnly(t *testing.T) {
	cases := map[string]string{
		"10.0.0.1:8080":            "10.0.0.1",
		"10.0.0.1":                 "10.0.0.1",
		"[2001:db8::1]:443":        "2001:db8::1",
		"2001:db8::1":              "2001:db8::1",
		"[2001:db8::1]":            "2001:db8::1",
		"[::ffff:10.0.0.1]:80":     "10.0.0.1", // v4-mapped is the same client
		" 10.0.0.2 ":               "10.0.0.2",
		"unix:/var/run/envoy.sock": "unix:/var/run/envoy.sock",
		"":                         "",
	}
	for in, want := range cases {
		if got := HostOnly(in); got != want {
			t.Errorf("HostOnly(%q) = %q, want %q", in, got, want)
		}
	}
	if got := HostOnly(strings.Repeat("x", 1000)); len(got) != MaxValueLen {
		t.Errorf("long non-address kept %d bytes, want %d", len(got), MaxValueLen)
	}
}

func TestFromForwarded(t *testing.T) {
	cases := []struct {
		header string
		hops   int
		want   string
		ok     bool
	}{
		{"1.1.1.1", 0, "1.1.1.1", true},
		{"1.1.1.1, 2.2.2.2", 0, "2.2.2.2", true},
		{"1.1.1.1, 2.2.2.2", 1, "1.1.1.1", true},
		{"1.1.1.1,2.2.2.2,3.3.3.3", 2, "1.1.1.1", true},
		{"1.1.1.1, 2.2.2.2", 2, "", false}, // fewer entries than trusted hops
		{"", 0, "", false},
		{"1.1.1.1, ", 0, "", false}, // empty entry where the client should be
		{"[2001:db8::1]:4711, 10.0.0.1", 1, "2001:db8::1", true},
		{"1.1.1.1", -1, "", false},
	}
	for _, c := range cases {
		got, ok := FromForwarded(c.header, c.hops)
		if got != c.want || ok != c.ok {
			t.Errorf("FromForwarded(%q, %d) = %q, %v; want %q, %v", c.header, c.hops, got, ok, c.want, c.ok)
		}
	}
}

// FuzzKeyExtraction feeds any header and address bytes to the extractors:
// no input panics, results are bounded, and an address-shaped result has
// no port.
func FuzzKeyExtraction(f *testing.F) {
	f.Add("1.1.1.1, 2.2.2.2", "10.0.0.1:8080", 1)
	f.Add("", "[::1]:1", 0)
	f.Add(",,,", "", 3)
	f.Add("\x00\xff, [", "[", 16)
	f.Fuzz(func(t *testing.T, header, addr string, hops int) {
		if hops > 64 || hops < -64 {
			hops %= 64
		}
		if v, ok := FromForwarded(header, hops); ok && len(v) > MaxValueLen {
			t.Fatalf("FromForwarded returned %d bytes", len(v))
		}
		v := HostOnly(addr)
		if len(v) > MaxValueLen {
			t.Fatalf("HostOnly returned %d bytes", len(v))
		}
		if len(Clamp(header)) > MaxValueLen {
			t.Fatal("Clamp exceeded MaxValueLen")
		}
	})
}
