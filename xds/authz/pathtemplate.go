package authz

import (
	"fmt"
	"regexp"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	uritemplatev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/path/match/uri_template/v3"
)

// uriTemplateMatcher is Envoy's extension name for path templates.
const uriTemplateMatcher = "envoy.path.match.uri_template.uri_template_matcher"

// Istio's path template operators, each a whole path segment: "{*}" one
// segment, "{**}" zero or more (last only). Envoy spells them "*", "**".
const (
	templateSegment = "{*}"
	templateRest    = "{**}"
)

// templateLiteral is what Envoy's uri_template accepts in a literal
// segment (RFC 3986 path characters); anything else would make Envoy
// reject the whole listener, so it is refused here.
var templateLiteral = regexp.MustCompile(`^[A-Za-z0-9\-._~%!$&'()+,;:@=]+$`)

// pathTemplatePermission translates a path with Istio's template
// operators, refusing templates Envoy or Istio would not accept.
func pathTemplatePermission(v string) (*rbacv3.Permission, error) {
	if !strings.HasPrefix(v, "/") {
		return nil, fmt.Errorf("path template %q must start with /", v)
	}
	segs := strings.Split(v[1:], "/")
	for i, s := range segs {
		switch {
		case s == templateSegment:
			segs[i] = "*"
		case s == templateRest && i == len(segs)-1:
			segs[i] = "**"
		case s == templateRest:
			return nil, fmt.Errorf("path template %q: {**} must be the last segment", v)
		case !templateLiteral.MatchString(s):
			return nil, fmt.Errorf("path template %q: segment %q is neither {*}, {**} nor a plain path segment", v, s)
		}
	}
	cfg := &uritemplatev3.UriTemplateMatchConfig{PathTemplate: "/" + strings.Join(segs, "/")}
	a, err := pack(cfg)
	if err != nil {
		return nil, fmt.Errorf("path template %q: %w", v, err)
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_UriTemplate{UriTemplate: &corev3.TypedExtensionConfig{
		Name: uriTemplateMatcher, TypedConfig: a,
	}}}, nil
}
