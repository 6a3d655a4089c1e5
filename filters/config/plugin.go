package config

import (
	"fmt"
	"sort"
)

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

// policy is a policy type whose pointer can validate it.
type policy[T any] interface {
	*T
	Validate() error
}

// validatePlugin checks every policy and that every route and the default
// name an existing policy. Keys are visited in sorted order, so the error is
// deterministic; errors carry the field path (policies["k"].…).
func validatePlugin[T any, P policy[T]](c *PluginConfig[T]) error {
	keys := make([]string, 0, len(c.Policies))
	for k := range c.Policies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" {
			return fieldErr(`policies[""]`, "a policy key must not be empty")
		}
		p := c.Policies[k]
		if err := P(&p).Validate(); err != nil {
			return prefixed(fmt.Sprintf("policies[%q]", k), err)
		}
	}
	routes := make([]string, 0, len(c.Routes))
	for r := range c.Routes {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		if _, ok := c.Policies[c.Routes[r]]; !ok {
			return fieldErr(fmt.Sprintf("routes[%q]", r), "names policy %q, which is not in policies", c.Routes[r])
		}
	}
	if c.Default != "" {
		if _, ok := c.Policies[c.Default]; !ok {
			return fieldErr("default", "names policy %q, which is not in policies", c.Default)
		}
	}
	return nil
}

// Names of Envoy properties the filters read.
const (
	// PropertyRouteName is the matched route's name (Envoy ≥ 1.33; the
	// top-level route_name was removed in 1.33).
	PropertyRouteName = "xds.route_name"
)
