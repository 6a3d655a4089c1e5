package config

// PluginConfig is the plugin configuration Envoy hands a built-in filter.
//
// wasp installs one plugin per filter kind per HTTP connection manager, not one
// per policy (see docs/adr/0002-wasm-per-route-config.md): Envoy's Wasm filter
// has no per-route configuration, and every extra plugin costs a root context
// on every worker plus a canary start of the Go runtime. The filter reads the
// request's route name (property xds.route_name) and looks up the policy here.
type PluginConfig[T any] struct {
	// Policies holds each distinct policy configuration once, by a key the
	// translator chooses (stable, e.g. "default/ratelimit@httproute/default/ollama").
	// Stateful filters derive their state's identity from this key (the rate
	// limiter names its shared-data bucket after it).
	Policies map[string]T `json:"policies,omitempty"`
	// Routes maps an Envoy route name to a key of Policies.
	Routes map[string]string `json:"routes,omitempty"`
	// Default is the key of the policy for requests whose route is not in
	// Routes (listener-wide policies such as access logs); empty means none.
	Default string `json:"default,omitempty"`
}

// PolicyFor returns the policy key and configuration for a route name, and
// false when no policy applies.
func (c *PluginConfig[T]) PolicyFor(routeName string) (string, *T, bool) {
	key, ok := c.Routes[routeName]
	if !ok {
		key = c.Default
	}
	if key == "" {
		return "", nil, false
	}
	p, ok := c.Policies[key]
	if !ok {
		return "", nil, false
	}
	return key, &p, true
}

// Names of Envoy properties the filters read.
const (
	// PropertyRouteName is the matched route's name (Envoy ≥ 1.33; the
	// top-level route_name was removed in 1.33).
	PropertyRouteName = "xds.route_name"
)
