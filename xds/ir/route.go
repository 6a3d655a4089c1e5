package ir

// Route is one Envoy route: one match and what to do with matching requests.
// A Gateway API rule with several matches becomes several Routes (same
// action, distinct names).
type Route struct {
	// Name is unique in the proxy and stable, e.g.
	// "httproute/default/ollama/rule/0/match/0". Wasm filters read it as
	// property xds.route_name to find their policy for this route, and
	// access logs print it (%ROUTE_NAME%). A rule copied into several
	// waypoint ports (an HTTPRoute parented to the waypoint Gateway) needs
	// a distinct name in each, e.g. suffixed with "@<namespace>/<service>:<port>".
	Name string `json:"name"`
	// Match; nil matches every request (path prefix "/").
	Match *Match `json:"match,omitempty"`

	// Exactly one action: Backends (forward), Redirect, or DirectResponse.

	// Backends to forward to, with weights; one entry means no split.
	Backends []*WeightedBackend `json:"backends,omitempty"`
	// Redirect answers with a redirect (RequestRedirect filter).
	Redirect *Redirect `json:"redirect,omitempty"`
	// DirectResponse answers locally, e.g. 500 for an unresolvable backend.
	DirectResponse *DirectResponse `json:"directResponse,omitempty"`

	// Filters of the Gateway API rule.
	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty"`
	URLRewrite      *URLRewrite     `json:"urlRewrite,omitempty"`
	Mirrors         []*Mirror       `json:"mirrors,omitempty"`

	Timeouts *Timeouts `json:"timeouts,omitempty"`
	Retry    *Retry    `json:"retry,omitempty"`

	// Wasm attaches Wasm filter policies to this route: WasmFilter name →
	// policy key in that filter's Policies. A filter absent here uses its
	// Default policy, if any.
	Wasm map[string]string `json:"wasm,omitempty"`
}

// Match is a conjunction: every set field must match.
type Match struct {
	Path        *PathMatch     `json:"path,omitempty"`
	Headers     []*StringMatch `json:"headers,omitempty"`
	QueryParams []*StringMatch `json:"queryParams,omitempty"`
	// Method, e.g. "GET"; empty matches any.
	Method string `json:"method,omitempty"`
}

// PathMatchType follows Gateway API.
type PathMatchType string

const (
	PathExact PathMatchType = "Exact"
	// PathPrefix matches whole path segments: "/foo" matches "/foo" and
	// "/foo/bar" but not "/foobar".
	PathPrefix PathMatchType = "PathPrefix"
	// PathRegularExpression is RE2, matched against the whole path.
	PathRegularExpression PathMatchType = "RegularExpression"
)

// PathMatch matches the request path (without query).
type PathMatch struct {
	Type  PathMatchType `json:"type"`
	Value string        `json:"value"`
}

// StringMatchType follows Gateway API header and query matches.
type StringMatchType string

const (
	MatchExact             StringMatchType = "Exact"
	MatchRegularExpression StringMatchType = "RegularExpression"
)

// StringMatch matches a header or query parameter by name.
type StringMatch struct {
	Name  string          `json:"name"`
	Type  StringMatchType `json:"type,omitempty"` // empty means Exact
	Value string          `json:"value"`
}

// WeightedBackend is one backendRef of a rule.
type WeightedBackend struct {
	// Backend is a Backend.Name of the proxy; empty when Unresolved.
	Backend string `json:"backend,omitempty"`
	// Unresolved marks a backendRef that could not be resolved: its share
	// of the traffic is answered 500 (Gateway API), not given to the others.
	Unresolved bool `json:"unresolved,omitempty"`
	// Weight relative to the route's other backends; 0 takes no traffic.
	Weight uint32 `json:"weight"`
	// RequestHeaders and ResponseHeaders are backendRef-level filters.
	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty"`
}

// HeaderModifier is RequestHeaderModifier / ResponseHeaderModifier.
type HeaderModifier struct {
	// Set overwrites (or adds) headers.
	Set []Header `json:"set,omitempty"`
	// Add appends values to existing headers.
	Add []Header `json:"add,omitempty"`
	// Remove deletes headers by name.
	Remove []string `json:"remove,omitempty"`
}

// Header is a name and value.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PathModifierType follows Gateway API.
type PathModifierType string

const (
	ReplaceFullPath    PathModifierType = "ReplaceFullPath"
	ReplacePrefixMatch PathModifierType = "ReplacePrefixMatch"
)

// PathModifier rewrites the path. ReplacePrefixMatch needs the route's
// Match.Path to be a PathPrefix.
type PathModifier struct {
	Type  PathModifierType `json:"type"`
	Value string           `json:"value"`
}

// Redirect is RequestRedirect. Nil fields keep the request's value.
type Redirect struct {
	Scheme   *string       `json:"scheme,omitempty"`
	Hostname *string       `json:"hostname,omitempty"`
	Path     *PathModifier `json:"path,omitempty"`
	Port     *uint32       `json:"port,omitempty"`
	// StatusCode is 301, 302, 303, 307 or 308; 0 means 302.
	StatusCode int `json:"statusCode,omitempty"`
}

// URLRewrite is the URLRewrite filter.
type URLRewrite struct {
	Hostname *string       `json:"hostname,omitempty"`
	Path     *PathModifier `json:"path,omitempty"`
}

// Mirror is RequestMirror: a copy of each request goes to Backend; the
// response is ignored.
type Mirror struct {
	Backend string `json:"backend"`
	// Percent of requests mirrored, 0-100; nil means 100.
	Percent *float64 `json:"percent,omitempty"`
}

// DirectResponse answers without an upstream.
type DirectResponse struct {
	Status uint32 `json:"status"`
	Body   string `json:"body,omitempty"`
}

// Timeouts follows HTTPRouteTimeouts.
type Timeouts struct {
	// Request bounds the whole request including retries; 0 disables.
	Request *Duration `json:"request,omitempty"`
	// BackendRequest bounds each upstream attempt (per-try timeout).
	BackendRequest *Duration `json:"backendRequest,omitempty"`
}

// Retry follows HTTPRouteRetry, plus kgateway's retryOn and perTryTimeout.
type Retry struct {
	// Attempts is the number of retries (not counting the first try).
	Attempts uint32 `json:"attempts"`
	// Codes are HTTP status codes that trigger a retry.
	Codes []uint32 `json:"codes,omitempty"`
	// On lists Envoy retry_on conditions, e.g. "connect-failure", "reset",
	// "5xx"; empty with Codes set means retriable-status-codes only, and
	// empty without Codes means Gateway API's default set (connect-failure,
	// refused-stream, unavailable, cancelled, retriable-status-codes).
	On []string `json:"retryOn,omitempty"`
	// Backoff is the base interval between retries.
	Backoff *Duration `json:"backoff,omitempty"`
	// PerTryTimeout overrides Timeouts.BackendRequest for retries.
	PerTryTimeout *Duration `json:"perTryTimeout,omitempty"`
}
