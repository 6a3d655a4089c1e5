package translate

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The value checks route and policy validation share (validate_route.go,
// validate_policy.go): what Envoy's validation rules refuse in a
// hostname, a header name or a header value.

func checkHostname(h string) string {
	if len(h) > maxHostname {
		return fmt.Sprintf("longer than %d bytes", maxHostname)
	}
	if strings.HasPrefix(h, "*.") {
		if errs := validation.IsWildcardDNS1123Subdomain(h); len(errs) > 0 {
			return strings.Join(errs, "; ")
		}
		return ""
	}
	if errs := validation.IsDNS1123Subdomain(h); len(errs) > 0 {
		return strings.Join(errs, "; ")
	}
	return ""
}

func checkHeaderName(n string) string {
	if len(n) > maxHeaderName {
		return fmt.Sprintf("longer than %d bytes", maxHeaderName)
	}
	if errs := validation.IsHTTPHeaderName(n); len(errs) > 0 {
		return fmt.Sprintf("%q is not an HTTP header name", n)
	}
	return ""
}

// checkModifiableHeader is checkHeaderName plus Envoy's refusal to modify
// pseudo-headers and host from a header modifier (URLRewrite changes the
// host).
func checkModifiableHeader(n string) string {
	if strings.HasPrefix(n, ":") || strings.EqualFold(n, "host") {
		return fmt.Sprintf("%q cannot be modified or removed by a header modifier", n)
	}
	return checkHeaderName(n)
}

// checkHeaderValue refuses what Envoy's HTTP_HEADER_VALUE rule refuses:
// NUL, CR and LF.
func checkHeaderValue(v string) string {
	if strings.ContainsAny(v, "\x00\r\n") {
		return "contains NUL, CR or LF"
	}
	return ""
}
