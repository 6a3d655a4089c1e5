package ir

import "encoding/json"

// Names of wasp's built-in Wasm filters. A WasmFilter with one of these
// names takes that filter's fixed place in the HTTP filter chain; any other
// name is a custom filter.
const (
	FilterAccessLog = "accesslog"
	FilterRateLimit = "ratelimit"
	FilterTransform = "transform"
)

// WasmModule is one .wasm binary. Exactly one of URL or File is set.
type WasmModule struct {
	// Name is unique in the proxy and becomes the VM id: every plugin of
	// one module shares one VM.
	Name string `json:"name"`
	// URL serves the code over HTTP, e.g. the controller's wasm server
	// "http://wasp-controller.wasp-system.svc:8082/wasm/<sha256>.wasm".
	// Envoy caches it by SHA256; the listener warms until it is fetched.
	URL string `json:"url,omitempty"`
	// SHA256 of the code, lowercase hex; required with URL.
	SHA256 string `json:"sha256,omitempty"`
	// File is a path inside the proxy's filesystem (development, tests).
	File string `json:"file,omitempty"`
	// HostEnvKeys are environment variables of the Envoy process exposed to
	// the VM (e.g. HOSTNAME for the access log's %HOSTNAME%).
	HostEnvKeys []string `json:"hostEnvKeys,omitempty"`
	// Env are static environment variables of the VM (what os.Getenv
	// reads in the module), e.g. a WasmFilter's spec.env.
	Env map[string]string `json:"env,omitempty"`
}

// FailurePolicy says what a request sees when the plugin's VM has failed.
type FailurePolicy string

const (
	// FailClosed answers 503 (details wasm_fail_stream). The default.
	FailClosed FailurePolicy = "FailClosed"
	// FailOpen passes requests through as if the filter were absent.
	FailOpen FailurePolicy = "FailOpen"
)

// WasmFilter is one Wasm filter kind on the proxy's HTTP connection
// managers, with every policy of that kind. The translator emits one
// plugin per WasmFilter per connection manager; its configuration is the
// envelope wasp.dev/filters/config.PluginConfig (policies by key, route
// name → key, default), and the filter selects the policy by the request's
// route name. A connection manager whose routes use none of the filter's
// policies, and with no Default, does not get the plugin.
type WasmFilter struct {
	// Name is unique in the proxy: one of the Filter* constants for a
	// built-in filter, anything else (DNS label) for a custom filter.
	Name string `json:"name"`
	// Module is the WasmModule (by Name) holding the code.
	Module string `json:"module"`
	// RootID selects the root context inside the module; empty is fine for
	// modules with one.
	RootID string `json:"rootID,omitempty"`
	// FailurePolicy; empty means FailClosed. Always set explicitly in the
	// Envoy config (Envoy's own default, FAIL_RELOAD, is never relied on).
	FailurePolicy FailurePolicy `json:"failurePolicy,omitempty"`
	// Policies are the filter's configurations by key (e.g.
	// "default/ratelimit"), each the JSON the filter parses for one policy
	// (the filter's type in wasp.dev/filters/config). Route.Wasm and Default
	// refer to these keys. Stateful filters derive state identity from the
	// key, so keep keys stable.
	Policies map[string]json.RawMessage `json:"policies,omitempty"`
	// Default is the policy key for routes that name none; empty means such
	// routes get no policy (the plugin then passes them through). The
	// access-log filter uses it to see every request.
	Default string `json:"default,omitempty"`
	// Custom marks a user's filter (a WasmFilter object). It has no
	// Policies and no Default: its configuration is handed to the plugin
	// verbatim, the plugin is disabled on the connection manager, and a
	// route enables it with Route.Wasm[Name] = Name.
	Custom *CustomWasm `json:"custom,omitempty"`
}

// CustomWasm is what a user's filter has beyond a built-in one.
type CustomWasm struct {
	// Configuration is the plugin configuration, verbatim (usually JSON);
	// empty means none.
	Configuration string `json:"configuration,omitempty"`
	// Placement and RelativeTo place the filter before or after a built-in
	// filter (FilterRateLimit or FilterTransform). Empty RelativeTo means
	// after every built-in filter (the same as After FilterTransform).
	Placement  Placement `json:"placement,omitempty"`
	RelativeTo string    `json:"relativeTo,omitempty"`
	// Priority orders custom filters in the same place: higher runs first;
	// ties by Name.
	Priority int32 `json:"priority,omitempty"`
}

// Placement is Before or After a built-in filter.
type Placement string

const (
	PlaceBefore Placement = "Before"
	PlaceAfter  Placement = "After"
)
