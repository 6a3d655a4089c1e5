package main

import (
	"net/netip"
	"strings"
	"testing"
)

// TestFetchAddressPolicyFlags: the --wasm-fetch-* flags become the fetch
// policy; a bad CIDR names its flag.
func TestFetchAddressPolicyFlags(t *testing.T) {
	p, err := fetchAddressPolicy("10.96.0.0/12, 192.0.2.7", true, "10.244.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	if !p.AllowPrivateNetworks || len(p.AllowedCIDRs) != 2 || p.AllowedCIDRs[1] != netip.MustParsePrefix("192.0.2.7/32") ||
		len(p.DeniedCIDRs) != 1 || p.DeniedCIDRs[0] != netip.MustParsePrefix("10.244.0.0/16") {
		t.Fatalf("policy %+v", p)
	}
	if p.Check(netip.MustParseAddr("10.244.1.1")) == nil || p.Check(netip.MustParseAddr("10.96.0.10")) != nil {
		t.Fatalf("policy %+v decides wrongly", p)
	}
	if _, err := fetchAddressPolicy("10.0.0.0/40", false, ""); err == nil || !strings.Contains(err.Error(), "--wasm-fetch-allowed-cidrs") {
		t.Fatalf("bad allowed CIDR: %v", err)
	}
	if _, err := fetchAddressPolicy("", false, "nope"); err == nil || !strings.Contains(err.Error(), "--wasm-fetch-denied-cidrs") {
		t.Fatalf("bad denied CIDR: %v", err)
	}
	if zero, err := fetchAddressPolicy("", false, ""); err != nil || zero.Check(netip.MustParseAddr("127.0.0.1")) == nil {
		t.Fatalf("no flags: %+v, %v: loopback must be refused", zero, err)
	}
}
