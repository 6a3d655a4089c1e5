package wasmsource

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// The controller flags and Helm values that widen AddressPolicy; the
// refusal message names them so an operator knows what to change.
const (
	FlagAllowedCIDRs         = "wasm-fetch-allowed-cidrs"
	FlagAllowPrivateNetworks = "wasm-fetch-allow-private-networks"
	FlagDeniedCIDRs          = "wasm-fetch-denied-cidrs"

	helmAllowedCIDRs         = "controller.wasmFetch.allowedCIDRs"
	helmAllowPrivateNetworks = "controller.wasmFetch.allowPrivateNetworks"
	helmDeniedCIDRs          = "controller.wasmFetch.deniedCIDRs"
)

// AddressPolicy decides which IP addresses a fetch may connect to. Anyone
// who may create a WasmFilter names a URL or an image the controller
// fetches, from inside the cluster and with the controller's network
// position: without a policy that is a way to probe internal services and
// the cloud metadata endpoint. The check runs on the resolved address of
// every connection the fetch opens (the Dialer's Control hook, after DNS),
// so a name that resolves to a forbidden address, a DNS answer that
// changes between checks, an HTTP redirect or a registry's token realm
// cannot get past it.
//
// In order: an address in DeniedCIDRs is refused; one in AllowedCIDRs is
// allowed; then loopback, link-local (the metadata endpoint
// 169.254.169.254 among them), unspecified, multicast and broadcast
// addresses are refused, and private-network addresses (RFC 1918, RFC 6598
// shared space, IPv6 unique-local) are refused unless AllowPrivateNetworks
// is set. Everything else is allowed. An IPv4-mapped address is judged as
// its IPv4 address; a NAT64 address (64:ff9b::/96) must pass for the IPv4
// address it embeds too.
//
// The zero policy is the default: public addresses only.
type AddressPolicy struct {
	// AllowedCIDRs are reachable whatever their category: an in-cluster
	// registry's Service range, a test server on loopback.
	AllowedCIDRs []netip.Prefix
	// AllowPrivateNetworks permits the private-network ranges (not
	// loopback, link-local and the others, which only AllowedCIDRs opens).
	AllowPrivateNetworks bool
	// DeniedCIDRs are refused even when another rule allows them: a
	// cluster's Pod and Service ranges when they are public addresses, or
	// parts of a private network opened by AllowPrivateNetworks.
	DeniedCIDRs []netip.Prefix
}

// addressClass is a range of addresses a fetch is refused by default.
type addressClass struct {
	name    string
	match   func(netip.Addr) bool
	private bool // opened by AllowPrivateNetworks
}

var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598 (carrier-grade NAT, some CNIs)
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")     // RFC 1122 "this network"
	limitedBroadcast   = netip.MustParseAddr("255.255.255.255")
	metadataAddress    = netip.MustParseAddr("169.254.169.254")
	nat64              = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: the IPv4 address in the last 32 bits
)

// refusedClasses, most specific first: the first match names the address.
var refusedClasses = []addressClass{
	{name: "unspecified", match: func(a netip.Addr) bool { return a.IsUnspecified() || thisNetwork.Contains(a) }},
	{name: "loopback", match: netip.Addr.IsLoopback},
	{name: "link-local (the cloud metadata endpoint)", match: func(a netip.Addr) bool { return a == metadataAddress }},
	{name: "link-local", match: netip.Addr.IsLinkLocalUnicast},
	{name: "multicast", match: netip.Addr.IsMulticast},
	{name: "broadcast", match: func(a netip.Addr) bool { return a == limitedBroadcast }},
	{name: "a private network address", match: func(a netip.Addr) bool { return a.IsPrivate() || sharedAddressSpace.Contains(a) }, private: true},
}

// RefusedError is a connection the AddressPolicy did not allow: no packet
// was sent to Addr.
type RefusedError struct {
	Addr netip.Addr
	// Class is why ("loopback", "link-local", ...); Denied is the
	// DeniedCIDRs entry when that is why.
	Class  string
	Denied netip.Prefix
	// Private: AllowPrivateNetworks would allow it.
	Private bool
}

func (e *RefusedError) Error() string {
	if e.Denied.IsValid() {
		return fmt.Sprintf("address %s is in the denied range %s (--%s, Helm %s)", e.Addr, e.Denied, FlagDeniedCIDRs, helmDeniedCIDRs)
	}
	if e.Private {
		return fmt.Sprintf("address %s is %s; allowed by --%s (Helm %s) or --%s (Helm %s)",
			e.Addr, e.Class, FlagAllowPrivateNetworks, helmAllowPrivateNetworks, FlagAllowedCIDRs, helmAllowedCIDRs)
	}
	return fmt.Sprintf("address %s is %s; allowed only by --%s (Helm %s)", e.Addr, e.Class, FlagAllowedCIDRs, helmAllowedCIDRs)
}

// Check returns a *RefusedError when the policy does not allow a
// connection to a, else nil.
func (p AddressPolicy) Check(a netip.Addr) error {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if nat64.Contains(a) {
		// A NAT64 gateway connects to the embedded IPv4 address: judge that.
		b := a.As16()
		if err := p.Check(netip.AddrFrom4([4]byte(b[12:]))); err != nil {
			return err
		}
	}
	for _, d := range p.DeniedCIDRs {
		if d.Contains(a) {
			return &RefusedError{Addr: a, Denied: d}
		}
	}
	for _, ok := range p.AllowedCIDRs {
		if ok.Contains(a) {
			return nil
		}
	}
	for _, c := range refusedClasses {
		if c.match(a) {
			if c.private && p.AllowPrivateNetworks {
				return nil
			}
			return &RefusedError{Addr: a, Class: c.name, Private: c.private}
		}
	}
	return nil
}

// control is a net.Dialer Control hook: it runs once per address the
// dialer tries, after name resolution and before connect(2).
func (p AddressPolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to dial %q: not an IP address and port", address)
	}
	return p.Check(ap.Addr())
}

// transport is http.DefaultTransport's settings with every dial checked
// against the policy. It ignores HTTP(S)_PROXY: a proxy would resolve and
// connect to the target itself, out of reach of the check.
func (p AddressPolicy) transport() *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	t.DialTLSContext = nil
	return t
}

// ParseCIDRs parses a comma-separated list of CIDRs (a flag's value); a
// bare address is a single-address prefix.
func ParseCIDRs(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR (10.0.0.0/8, fd00::/8) or an address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
