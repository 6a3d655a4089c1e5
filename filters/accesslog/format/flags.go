package format

import "strings"

// responseFlagNames are Envoy's short response flag names indexed by their
// bit in the response.flags bitmask (Envoy's CoreResponseFlag enum order,
// envoy/stream_info/stream_info.h). Envoy prints set flags joined by ",".
var responseFlagNames = [...]string{
	"LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL",
	"UAEX", "RLSE", "DC", "URX", "SI", "IH", "DPE", "UMSDR", "RFCF", "NFCF",
	"DT", "UPE", "NC", "OM", "DF", "DO", "DR", "UDO",
}

// RateLimited is the bit of Envoy's RL flag (CoreResponseFlag RateLimited).
const RateLimited uint64 = 1 << 11

// ResponseFlagBit returns the bitmask bit for a short flag name such as "RL".
func ResponseFlagBit(name string) (uint64, bool) {
	for i, n := range responseFlagNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// ResponseFlagNames lists the known short flag names in Envoy's order.
func ResponseFlagNames() []string { return append([]string(nil), responseFlagNames[:]...) }

// appendResponseFlags appends the short names of the set flags, or "-".
func appendResponseFlags(dst []byte, flags uint64) []byte {
	if flags == 0 {
		return append(dst, '-')
	}
	first := true
	for i, n := range responseFlagNames {
		if flags&(1<<i) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, n...)
		first = false
	}
	if first { // only bits Envoy has no short name for
		return append(dst, '-')
	}
	return dst
}

// FormatResponseFlags returns the flags as Envoy prints them.
func FormatResponseFlags(flags uint64) string {
	return string(appendResponseFlags(nil, flags))
}

// stripPort strips the port from an Envoy address ("1.2.3.4:80",
// "[::1]:80"), giving the IP as Envoy's *_WITHOUT_PORT operators print it.
func stripPort(addr string) string {
	if strings.HasPrefix(addr, "[") {
		if i := strings.IndexByte(addr, ']'); i > 0 {
			return addr[1:i]
		}
		return addr
	}
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && strings.Count(addr, ":") == 1 {
		return addr[:i]
	}
	return addr
}
