package v1alpha1

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The patterns the CRD's CEL rules on IstioIntegration use, repeated here
// so objects the API server never checked (stored before the rules, or read
// from files by `wasp translate`) are judged the same way.
var (
	istioDiscoveryAddressPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[0-9]{1,5}$`)
	istioMetaIDPattern           = regexp.MustCompile(`^[!-~]+$`)
	istioProxyImagePattern       = regexp.MustCompile(`^[a-z0-9][-a-z0-9._/]*(:[0-9]+/[-a-z0-9._/]+)?(:[A-Za-z0-9_][-A-Za-z0-9_.]{0,127})?(@sha256:[a-f0-9]{64})?$`)
)

// Problem names the first unusable setting of an enabled integration as a
// field path under spec.istio and says what is wrong with it; it returns
// "", "" when the integration is off or usable. Empty fields are usable:
// they take the defaults.
func (i *IstioIntegration) Problem() (field, problem string) {
	if i == nil || !i.Enabled {
		return "", ""
	}
	if a := i.IstioDiscoveryAddress; a != "" {
		if !istioDiscoveryAddressPattern.MatchString(a) {
			return "spec.istio.istioDiscoveryAddress", fmt.Sprintf("%q is not host:port with a DNS name or IPv4 host (e.g. istiod.istio-system.svc:15012)", a)
		}
		if p, _ := strconv.Atoi(a[strings.LastIndexByte(a, ':')+1:]); p < 1 || p > 65535 {
			return "spec.istio.istioDiscoveryAddress", fmt.Sprintf("%q has port %d, outside 1-65535", a, p)
		}
	}
	if v := i.IstioMetaClusterId; v != "" && !istioMetaIDPattern.MatchString(v) {
		return "spec.istio.istioMetaClusterId", fmt.Sprintf("%q must be printable ASCII without spaces", v)
	}
	if v := i.IstioMetaMeshId; v != "" && !istioMetaIDPattern.MatchString(v) {
		return "spec.istio.istioMetaMeshId", fmt.Sprintf("%q must be printable ASCII without spaces", v)
	}
	if v := i.IstioProxyImage; v != "" && !istioProxyImagePattern.MatchString(v) {
		return "spec.istio.istioProxyImage", fmt.Sprintf("%q is not an image reference repository[:tag][@sha256:digest]", v)
	}
	return "", ""
}
