package authz

// Names other components must agree on.
const (
	// PeerPrincipalFilterState is the connection filter state key holding
	// the client's SPIFFE ID; it must equal
	// translator.PeerPrincipalFilterState, whose set_filter_state filter
	// writes it (this package cannot import the translator, which imports
	// it).
	PeerPrincipalFilterState = "io.istio.peer_principal"

	// spiffePrefix is what Istio policies leave out of principals and
	// what the identity in the filter state starts with.
	spiffePrefix = "spiffe://"

	// FilterNamePrefix prefixes the name of each emitted RBAC filter:
	// "wasp.authz.custom", ".audit", ".deny", ".allow". Envoy picks the
	// implementation (envoy.filters.http.rbac or envoy.filters.network.rbac)
	// by the typed_config's type URL; distinct names keep config dumps
	// readable and leave room for per-route overrides keyed by name.
	FilterNamePrefix = "wasp.authz."

	// defaultNetworkStatPrefix is Istio's stat prefix for TCP RBAC filters;
	// Envoy requires a non-empty one.
	defaultNetworkStatPrefix = "tcp."
)

// Shadow-rule stat prefixes keep Istio's names so existing dashboards and
// the Istio docs' dry-run queries keep working.
const (
	dryRunAllowStatPrefix  = "istio_dry_run_allow_"
	dryRunDenyStatPrefix   = "istio_dry_run_deny_"
	dryRunCustomStatPrefix = "wasp_dry_run_custom_"
)
