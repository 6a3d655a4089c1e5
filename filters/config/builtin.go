package config

// The built-in filters (rate limit, transform, access log) are libraries
// linked into one module, filters/builtin, so that Envoy runs them in one VM
// per worker: every plugin of the module carries the same vm_id, VM
// configuration and code (Envoy's VM key, docs/adr/0004-builtin-filters-one-vm.md),
// and its root_id picks the filter.
const (
	// BuiltinModule is the module's name: its file is builtin.wasm, its
	// vm_id "builtin".
	BuiltinModule = "builtin"

	RootIDRateLimit = "ratelimit"
	RootIDTransform = "transform"
	RootIDAccessLog = "accesslog"
)
