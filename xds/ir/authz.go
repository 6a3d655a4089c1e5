package ir

// Authorization: Istio AuthorizationPolicy (security.istio.io/v1) as the
// waypoint enforces it. The controller converts each policy that targets
// the waypoint (or a Service it serves) into one AuthorizationPolicy; the
// xDS side (wasp.dev/xds/authz) turns the policies of each filter chain into
// Envoy RBAC filters. Field names follow Istio's YAML so a dumped IR reads
// like the policy it came from.

// AuthorizationAction is Istio's action. Empty means ALLOW (Istio's default).
type AuthorizationAction string

const (
	AuthorizationAllow AuthorizationAction = "ALLOW"
	AuthorizationDeny  AuthorizationAction = "DENY"
	// AuthorizationAudit logs matching requests (Envoy RBAC action LOG);
	// it never denies.
	AuthorizationAudit AuthorizationAction = "AUDIT"
	// AuthorizationCustom delegates to an external authorizer, which wasp
	// does not run: requests the policy's rules match are denied (fail
	// closed, as Istio does when a CUSTOM provider cannot be used).
	AuthorizationCustom AuthorizationAction = "CUSTOM"
)

// Target kinds of an AuthorizationPolicy's targetRefs that a waypoint honours.
const (
	// TargetGateway and TargetGatewayClass apply to every Service the
	// waypoint serves (GatewayClass only from the root namespace: mesh-wide).
	TargetGateway      = "Gateway"
	TargetGatewayClass = "GatewayClass"
	// TargetService and TargetServiceEntry apply to that one service.
	TargetService      = "Service"
	TargetServiceEntry = "ServiceEntry"
)

// AuthorizationPolicy is one Istio AuthorizationPolicy.
type AuthorizationPolicy struct {
	Namespace string              `json:"namespace"`
	Name      string              `json:"name"`
	Action    AuthorizationAction `json:"action,omitempty"`
	// Provider names the CUSTOM action's extension provider (reported only).
	Provider string `json:"provider,omitempty"`
	// DryRun is the istio.io/dry-run annotation: the policy is evaluated
	// (Envoy shadow rules, stats and dynamic metadata) but never enforced.
	DryRun bool `json:"dryRun,omitempty"`
	// Targets are the policy's targetRefs the waypoint resolved. A policy
	// applies to a filter chain when one target selects the chain's service.
	Targets []AuthorizationTarget `json:"targets,omitempty"`
	// Rules are ORed. No rules: the policy matches nothing (an ALLOW policy
	// with no rules therefore denies everything it targets). One empty rule
	// ({}) matches everything.
	Rules []AuthorizationRule `json:"rules,omitempty"`
}

// AuthorizationTarget is one resolved targetRef.
type AuthorizationTarget struct {
	// Kind is one of the Target* constants.
	Kind string `json:"kind"`
	// Namespace of a Service or ServiceEntry target; empty means the
	// policy's namespace (Istio's targetRefs cannot leave it).
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// AuthorizationRule matches a request when one From, one To and every When
// match. An empty list matches anything.
type AuthorizationRule struct {
	From []AuthorizationSource    `json:"from,omitempty"`
	To   []AuthorizationOperation `json:"to,omitempty"`
	When []AuthorizationCondition `json:"when,omitempty"`
	// Unsupported names fields the producer found in the Istio rule but
	// cannot express here (e.g. a field newer than this IR). Such a rule
	// never matches for ALLOW; for DENY, AUDIT and CUSTOM those conditions
	// are dropped (a broader match), exactly as Istio treats a field it
	// cannot enforce. Each one is reported.
	Unsupported []string `json:"unsupported,omitempty"`
}

// AuthorizationSource is Istio's rule.from[].source; the fields are ANDed,
// the values within a field ORed, and a not* field matches when none of its
// values does. Values support Istio's "*" wildcards (prefix, suffix, any).
type AuthorizationSource struct {
	// Principals are SPIFFE IDs without the "spiffe://" prefix, e.g.
	// "cluster.local/ns/default/sa/frontend".
	Principals    []string `json:"principals,omitempty"`
	NotPrincipals []string `json:"notPrincipals,omitempty"`
	// RequestPrincipals are JWT "iss/sub" (needs RequestAuthentication,
	// which wasp does not implement: reported as unsupported).
	RequestPrincipals    []string `json:"requestPrincipals,omitempty"`
	NotRequestPrincipals []string `json:"notRequestPrincipals,omitempty"`
	Namespaces           []string `json:"namespaces,omitempty"`
	NotNamespaces        []string `json:"notNamespaces,omitempty"`
	// ServiceAccounts are "<name>" (policy namespace) or "<ns>/<name>".
	ServiceAccounts    []string `json:"serviceAccounts,omitempty"`
	NotServiceAccounts []string `json:"notServiceAccounts,omitempty"`
	// IPBlocks match the connection's source address (the client address
	// the PROXY header restored): "10.1.2.3" or "10.0.0.0/8".
	IPBlocks    []string `json:"ipBlocks,omitempty"`
	NotIPBlocks []string `json:"notIpBlocks,omitempty"`
	// RemoteIPBlocks match the original client (X-Forwarded-For aware).
	RemoteIPBlocks    []string `json:"remoteIpBlocks,omitempty"`
	NotRemoteIPBlocks []string `json:"notRemoteIpBlocks,omitempty"`
}

// AuthorizationOperation is Istio's rule.to[].operation. Hosts, methods and
// paths are HTTP-only.
type AuthorizationOperation struct {
	Hosts    []string `json:"hosts,omitempty"`
	NotHosts []string `json:"notHosts,omitempty"`
	// Ports are destination (Service) ports as decimal strings.
	Ports      []string `json:"ports,omitempty"`
	NotPorts   []string `json:"notPorts,omitempty"`
	Methods    []string `json:"methods,omitempty"`
	NotMethods []string `json:"notMethods,omitempty"`
	// Paths: exact "/a", prefix "/a/*", suffix "*.html", any "*".
	Paths    []string `json:"paths,omitempty"`
	NotPaths []string `json:"notPaths,omitempty"`
}

// AuthorizationCondition is one rule.when entry, e.g. key
// "request.headers[x-tenant]" or "source.namespace".
type AuthorizationCondition struct {
	Key       string   `json:"key"`
	Values    []string `json:"values,omitempty"`
	NotValues []string `json:"notValues,omitempty"`
}
