package translate

import (
	"wasp.dev/xds/authz"
	"wasp.dev/xds/ir"
)

// DefaultControllerName is the spec.controllerName of wasp's GatewayClasses.
const DefaultControllerName = "wasp.dev/gateway-controller"

// Default GatewayClass names (the Helm chart creates classes with them).
const (
	DefaultWaypointClass = "wasp-waypoint"
	DefaultIngressClass  = "wasp"
)

// DefaultClusterDomain is the cluster DNS suffix used for Service hostnames.
const DefaultClusterDomain = "cluster.local"

// Options configure a translation. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// ControllerName marks GatewayClasses (and status entries) as wasp's.
	ControllerName string
	// WaypointClasses are GatewayClass names whose Gateways are Istio ambient
	// waypoints, e.g. "wasp-waypoint" or, to take over kgateway manifests,
	// "kgateway-waypoint".
	WaypointClasses []string
	// IngressClasses are GatewayClass names whose Gateways are ingress
	// gateways. A class of ours in neither list is a waypoint when one of its
	// Gateways' listeners speaks istio.io/PROXY, else ingress.
	IngressClasses []string
	// ClusterDomain is the DNS suffix of Service hostnames.
	ClusterDomain string
	// RequireProxyService makes a Gateway Programmed, with its Service's
	// hostname in status.addresses, only once the proxy Service (named after
	// the Gateway, in its namespace) exists. The controller sets it; offline
	// translation assumes the Service.
	RequireProxyService bool
	// WasmModules gives, by module name, where proxies load wasp's modules
	// from; the built-in filters are all in the one named
	// config.BuiltinModule ("builtin"). Without that entry the built-in
	// filters load DefaultWasmDir/builtin.wasm.
	WasmModules map[string]ir.WasmModule
	// IstioMesh is what AuthorizationPolicy translation needs of Istio's
	// mesh config: the root namespace of mesh-wide policies (empty means
	// istio-system) and the trust domain and its aliases.
	IstioMesh authz.Mesh
	// AccessLogDir is the directory, besides /dev/stdout and /dev/stderr,
	// where HTTPListenerPolicy file sinks may write (validate_policy.go);
	// empty means DefaultAccessLogDir.
	AccessLogDir string
}

// DefaultWasmDir is where a proxy image without the controller's wasm server
// would carry the built-in filters (used when Options.WasmModules lacks it).
const DefaultWasmDir = "/etc/wasp/filters"

// DefaultOptions returns wasp's defaults.
func DefaultOptions() Options {
	return Options{
		ControllerName:  DefaultControllerName,
		WaypointClasses: []string{DefaultWaypointClass},
		IngressClasses:  []string{DefaultIngressClass},
		ClusterDomain:   DefaultClusterDomain,
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
