package authz

import (
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// wildcard is Istio's value syntax: "*" alone matches any non-empty value,
// a leading "*" a suffix, a trailing "*" a prefix, anything else exactly.
const wildcard = "*"

// anyValue is Istio's translation of "*": present and non-empty.
const anyValue = ".+"

// maxRegexProgramSize is Envoy's default for re2.max_program_size.error_level:
// a larger safe_regex fails the whole listener, so it is refused here (the
// translator applies the same limit to route regexes).
const maxRegexProgramSize = 100

// stringMatch applies Istio's wildcard syntax; prefix ("spiffe://" for
// principals) is prepended to exact and prefix matches, where the value
// starts at the beginning.
func stringMatch(v, prefix string, ignoreCase bool) *matcherv3.StringMatcher {
	switch {
	case v == wildcard:
		return regexMatch(anyValue)
	case strings.HasPrefix(v, wildcard):
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Suffix{Suffix: v[1:]}, IgnoreCase: ignoreCase}
	case strings.HasSuffix(v, wildcard):
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: prefix + strings.TrimSuffix(v, wildcard)}, IgnoreCase: ignoreCase}
	default:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: prefix + v}, IgnoreCase: ignoreCase}
	}
}

func regexMatch(re string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{
		SafeRegex: &matcherv3.RegexMatcher{Regex: re},
	}}
}

// checkedRegex refuses what Envoy's RE2 would refuse: bad syntax or a
// program above maxRegexProgramSize (Go's compiler is RE2's design and
// counts instructions nearly the same way).
func checkedRegex(re string) (*matcherv3.StringMatcher, error) {
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", re, err)
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", re, err)
	}
	if n := len(prog.Inst); n > maxRegexProgramSize {
		return nil, fmt.Errorf("regex %q compiles to %d instructions, above Envoy's limit of %d", re, n, maxRegexProgramSize)
	}
	return regexMatch(re), nil
}

// wildcardRegex quotes v for a regex, with each "*" meaning ".*" (Istio's
// namespace matching).
func wildcardRegex(v string) string {
	parts := strings.Split(v, wildcard)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, ".*")
}

// headerMatch is Istio's header matcher: "*" = present, else the wildcard
// string match on the (comma-joined) header value.
func headerMatch(name, v string, ignoreCase bool) *routev3.HeaderMatcher {
	if v == wildcard {
		return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}}
	}
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: stringMatch(v, "", ignoreCase),
	}}
}

// cidr parses Istio's ipBlocks syntax: an address or an address/prefix.
func cidr(v string) (*corev3.CidrRange, error) {
	var p netip.Prefix
	if strings.Contains(v, "/") {
		var err error
		if p, err = netip.ParsePrefix(v); err != nil {
			return nil, fmt.Errorf("invalid CIDR %q", v)
		}
	} else {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("invalid IP %q", v)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	return &corev3.CidrRange{AddressPrefix: p.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(p.Bits()))}, nil
}

// port parses a destination port ("0".."65535", as Istio accepts).
func port(v string) (uint32, error) {
	n, err := strconv.ParseUint(v, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("invalid port %q", v)
	}
	return uint32(n), nil
}

// bracketed returns the name in "prefix[name]".
func bracketed(key, prefix string) (string, error) {
	rest := strings.TrimPrefix(key, prefix)
	if len(rest) < 3 || rest[0] != '[' || rest[len(rest)-1] != ']' || strings.ContainsAny(rest[1:len(rest)-1], "[]") {
		return "", fmt.Errorf("invalid key %q: want %s[<name>]", key, prefix)
	}
	return rest[1 : len(rest)-1], nil
}
