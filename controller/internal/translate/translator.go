package translate

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/xds/ir"
)

// translator holds the state of one Translate call.
type translator struct {
	in   *Input
	opts Options
	x    *index

	classStatus []GatewayClassStatus
	ourClasses  map[string]*gwv1.GatewayClass

	gatewayList []*gatewayCtx // sorted by namespace/name
	gatewayByNN map[nsName]*gatewayCtx
	// servedBy maps a Service to the waypoint that serves it.
	servedBy map[nsName]*gatewayCtx

	routes     []*routeCtx // sorted by namespace/name
	routeByNN  map[nsName]*routeCtx
	backendSet map[string]*ir.Backend // every resolvable Service port, by backend name

	policies *policyState

	// Istio: ServiceEntries served (by ServiceEntry and by host), and the
	// AuthorizationPolicies each waypoint enforces (authorization.go).
	entryServedBy   map[nsName]*gatewayCtx
	hostServedBy    map[nsName]*gatewayCtx
	authzByWaypoint map[nsName]*waypointAuthz
	authzReports    []AuthorizationPolicyReport

	// wasmFilters are the WasmFilters, sorted (wasmfilters.go).
	wasmFilters []*wasmFilterCtx

	// certificates are the listeners' TLS certificates by name (tls.go).
	certificates map[string]*ir.TLSCertificate
}

func newTranslator(in *Input, opts Options) *translator {
	if opts.ClusterDomain == "" {
		opts.ClusterDomain = DefaultClusterDomain
	}
	if opts.ControllerName == "" {
		opts.ControllerName = DefaultControllerName
	}
	return &translator{
		in:          in,
		opts:        opts,
		x:           newIndex(in),
		ourClasses:  map[string]*gwv1.GatewayClass{},
		gatewayByNN: map[nsName]*gatewayCtx{},
		servedBy:    map[nsName]*gatewayCtx{},
		routeByNN:   map[nsName]*routeCtx{},
		backendSet:  map[string]*ir.Backend{},

		entryServedBy:   map[nsName]*gatewayCtx{},
		hostServedBy:    map[nsName]*gatewayCtx{},
		authzByWaypoint: map[nsName]*waypointAuthz{},
		certificates:    map[string]*ir.TLSCertificate{},
	}
}

// gatewayCtx is one Gateway of ours while it is translated.
type gatewayCtx struct {
	gw        *gwv1.Gateway
	key       nsName
	class     *gwv1.GatewayClass
	kind      ir.ProxyKind
	listeners []*listenerCtx
	accepted  bool
	// acceptedReason/Message explain a rejected Gateway.
	acceptedReason, acceptedMessage string

	// Ingress: routes attached per listener (by listener name).
	// Waypoint: the served Services, sorted, and the routes parented to the
	// Gateway itself.
	served    []*servedService
	gwRoutes  []*attachment
	listenerP *listenerCtx // waypoint: the PROXY listener
	// waypointFor is the istio.io/waypoint-for value in force.
	waypointFor string
	// params are the effective GatewayParameters (nil: defaults), valid
	// only when paramsUsable (parameters.go).
	params       *v1alpha1.GatewayParametersSpec
	paramsUsable bool
}

// listenerCtx is one Gateway listener.
type listenerCtx struct {
	l          gwv1.Listener
	conditions []metav1.Condition
	accepted   bool
	// programmed: served by the proxy (accepted, references resolved).
	programmed bool
	// supportedKinds for status; certificates name the TLS certificates
	// of an HTTPS listener (tls.go).
	supportedKinds []gwv1.RouteGroupKind
	certificates   []string
	attached       []*attachment
	// attachedRoutes counts distinct routes (for status).
	attachedRoutes map[nsName]bool
}

// servedService is a Service a waypoint serves.
type servedService struct {
	svc   *corev1.Service
	ports []*servedPort
	// entry is set for a ServiceEntry host; svc is then a view of it
	// (serviceentry.go).
	entry *entryHost
}

// servedPort is one TCP port of a served Service.
type servedPort struct {
	sp       corev1.ServicePort
	http     bool
	backend  string
	attached []*attachment // routes parented to the Service on this port
}

// attachment is one route attached to one parent (a listener or a Service
// port), with the hostnames it serves there (ingress only).
type attachment struct {
	route     *routeCtx
	hostnames []string
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
