package authz

import (
	"fmt"
	"regexp"
	"strings"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// One function per Istio field: a single value to one Envoy matcher.

// hostPermission matches :authority case-insensitively (RFC 4343, Istio
// since 1.11), ignoring the port: wasp's HCM strips any host port before
// filters run (strip_any_host_port, for route matching), and an exact
// value also matches "<host>:<port>" so the result does not depend on
// that setting. "<host>:*" therefore means "<host>". A specific port
// ("<host>:8080") cannot be seen once stripped: it is unsupported, so an
// ALLOW rule never matches and a DENY rule ignores the hosts condition.
func hostPermission(v string) (*rbacv3.Permission, error) {
	host, hostPort, hasPort := splitHostPort(v)
	if hasPort {
		if hostPort != wildcard {
			return nil, unsupportedError(fmt.Sprintf("host %q names a port; the waypoint matches hosts without their port", v))
		}
		v = host
	}
	m := permHeader(headerMatch(":authority", v, true))
	if v == wildcard || strings.HasPrefix(v, wildcard) || strings.HasSuffix(v, wildcard) {
		return m, nil
	}
	withPort := permHeader(&routev3.HeaderMatcher{Name: ":authority", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: v + ":"}, IgnoreCase: true},
	}})
	return permOr([]*rbacv3.Permission{m, withPort}), nil
}

// splitHostPort splits "host:port" (and "[v6]:port"); a bare IPv6 address
// has no port.
func splitHostPort(v string) (host, port string, ok bool) {
	i := strings.LastIndexByte(v, ':')
	if i < 0 || strings.HasSuffix(v, "]") {
		return v, "", false
	}
	if strings.HasPrefix(v, "[") {
		return v[:i], v[i+1:], true
	}
	if strings.Count(v, ":") > 1 { // bare IPv6
		return v, "", false
	}
	return v[:i], v[i+1:], true
}

func methodPermission(v string) (*rbacv3.Permission, error) {
	return permHeader(headerMatch(":method", v, false)), nil
}

// pathPermission matches the path without query or fragment (url_path):
// exact "/a", prefix "/a/*", suffix "*.html", any "*". Istio's path
// templates ("/a/{*}/b", "/a/{**}") use Envoy's uri_template matcher.
func pathPermission(v string) (*rbacv3.Permission, error) {
	if strings.Contains(v, templateSegment) || strings.Contains(v, templateRest) { // Istio's test

		return pathTemplatePermission(v)
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{
		Rule: &matcherv3.PathMatcher_Path{Path: stringMatch(v, "", false)},
	}}}, nil
}

// portPermission matches the destination port: on the waypoint that is the
// Service port the PROXY header restored.
func portPermission(v string) (*rbacv3.Permission, error) {
	p, err := port(v)
	if err != nil {
		return nil, err
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: p}}, nil
}

func destinationIPPermission(v string) (*rbacv3.Permission, error) {
	c, err := cidr(v)
	if err != nil {
		return nil, err
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationIp{DestinationIp: c}}, nil
}

func sniPermission(v string) (*rbacv3.Permission, error) {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_RequestedServerName{
		RequestedServerName: stringMatch(v, "", false),
	}}, nil
}

// principalPrincipal matches the peer's SPIFFE ID, adding the "spiffe://"
// prefix Istio policies omit.
func principalPrincipal(v string) (*rbacv3.Principal, error) {
	return princPeer(stringMatch(v, spiffePrefix, false)), nil
}

// namespacePrincipal matches the namespace segment of the peer's SPIFFE ID
// (Istio: ".*/ns/<ns>/.*", "*" in the value meaning any characters).
func namespacePrincipal(v string) (*rbacv3.Principal, error) {
	m, err := checkedRegex(".*/ns/" + wildcardRegex(v) + "/.*")
	if err != nil {
		return nil, err
	}
	return princPeer(m), nil
}

// serviceAccountPrincipal matches "<sa>" (in the policy's namespace) or
// "<ns>/<sa>" against the peer's SPIFFE ID, as Istio does.
func (b *ruleBuilder) serviceAccountPrincipal(v string) (*rbacv3.Principal, error) {
	ns, sa, ok := strings.Cut(v, "/")
	if !ok {
		ns, sa = b.policy.Namespace, v
	}
	m, err := checkedRegex("spiffe://.+/ns/" + regexp.QuoteMeta(ns) + "/(.+/|)sa/" + regexp.QuoteMeta(sa) + "(/.+)?")
	if err != nil {
		return nil, err
	}
	return princPeer(m), nil
}

// sourceIPPrincipal matches the connection's source address: behind
// ztunnel, the client address restored from the PROXY header.
func sourceIPPrincipal(v string) (*rbacv3.Principal, error) {
	c, err := cidr(v)
	if err != nil {
		return nil, err
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_DirectRemoteIp{DirectRemoteIp: c}}, nil
}

// remoteIPPrincipal matches the original client (X-Forwarded-For aware,
// per the HCM's xff settings).
func remoteIPPrincipal(v string) (*rbacv3.Principal, error) {
	c, err := cidr(v)
	if err != nil {
		return nil, err
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_RemoteIp{RemoteIp: c}}, nil
}

func headerPrincipal(name string) func(string) (*rbacv3.Principal, error) {
	return func(v string) (*rbacv3.Principal, error) {
		return &rbacv3.Principal{Identifier: &rbacv3.Principal_Header{Header: headerMatch(name, v, false)}}, nil
	}
}
