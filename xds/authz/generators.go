package authz

import (
	"fmt"
	"regexp"
	"strings"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// One function per Istio field: a single value to one Envoy matcher.

// hostPermission matches :authority case-insensitively (RFC 4343, Istio
// since 1.11). Like Istio it compares the whole authority: "example.com"
// does not match "example.com:8080"; write "example.com:*" for any port.
func hostPermission(v string) (*rbacv3.Permission, error) {
	return permHeader(headerMatch(":authority", v, true)), nil
}

func methodPermission(v string) (*rbacv3.Permission, error) {
	return permHeader(headerMatch(":method", v, false)), nil
}

// pathPermission matches the path without query or fragment (url_path):
// exact "/a", prefix "/a/*", suffix "*.html", any "*". Istio's path
// templates ("{*}", "{**}") need Envoy's uri_template extension, which
// wasp does not emit yet.
func pathPermission(v string) (*rbacv3.Permission, error) {
	if strings.Contains(v, "{*") {
		return nil, unsupportedError(fmt.Sprintf("path template %q is not supported by wasp", v))
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
