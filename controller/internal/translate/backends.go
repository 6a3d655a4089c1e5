package translate

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/xds/ir"
)

// backendName is the cluster name of a Service port.
func backendName(ns, svc string, port int32) string {
	return fmt.Sprintf("%s/%s:%d", ns, svc, port)
}

// h2AppProtocols are appProtocol values meaning cleartext HTTP/2 upstream.
var h2AppProtocols = map[string]bool{"h2c": true, "grpc": true, "kubernetes.io/h2c": true, "http2": true}

// serviceBackend returns (building once) the Backend of a Service port with
// the ready endpoints of its EndpointSlices.
func (t *translator) serviceBackend(s *corev1.Service, sp corev1.ServicePort) *ir.Backend {
	name := backendName(s.Namespace, s.Name, sp.Port)
	if b := t.backendSet[name]; b != nil {
		return b
	}
	b := &ir.Backend{
		Name:    name,
		Service: &ir.ServiceRef{Namespace: s.Namespace, Name: s.Name, Port: uint32(sp.Port)},
	}
	if sp.AppProtocol != nil && h2AppProtocols[strings.ToLower(*sp.AppProtocol)] {
		b.Protocol = ir.UpstreamHTTP2
	}
	b.Endpoints = t.endpoints(s, sp)
	// The seed's disableIstioAutoMtls, as a Service annotation
	// (docs/istio-sidecar.md); any value but "true" keeps mTLS on.
	b.DisableIstioAutoMTLS = s.Annotations[v1alpha1.AnnotationDisableIstioAutoMTLS] == "true"
	t.backendSet[name] = b
	return b
}

// endpoints reads the ready endpoints of a Service port from its
// EndpointSlices: the slice port with the Service port's name carries the
// target port number.
func (t *translator) endpoints(s *corev1.Service, sp corev1.ServicePort) []*ir.Endpoint {
	seen := map[string]bool{}
	var out []*ir.Endpoint
	for _, es := range t.x.slices[nsName{s.Namespace, s.Name}] {
		if es.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		for _, p := range es.Ports {
			pname := ""
			if p.Name != nil {
				pname = *p.Name
			}
			if pname != sp.Name || p.Port == nil {
				continue
			}
			if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
				continue
			}
			for _, ep := range es.Endpoints {
				if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
					continue
				}
				zone := ""
				if ep.Zone != nil {
					zone = *ep.Zone
				}
				tlsMode := t.podTLSMode(es.Namespace, ep.TargetRef)
				for _, a := range ep.Addresses {
					if !validEndpoint(a, *p.Port) {
						continue // the API server refuses these; files read offline may not
					}
					k := fmt.Sprintf("%s|%d", a, *p.Port)
					if seen[k] {
						continue
					}
					seen[k] = true
					out = append(out, &ir.Endpoint{Address: a, Port: uint32(*p.Port), Zone: zone, TLSMode: tlsMode})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Address != out[j].Address {
			return out[i].Address < out[j].Address
		}
		return out[i].Port < out[j].Port
	})
	return out
}

// podTLSMode reads the Istio sidecar's tlsMode of the Pod an endpoint
// points at: only the exact value "istio" marks it (facts.md "Upstream
// mTLS"); no targetRef, an unknown Pod, a recreated Pod (UID mismatch) or
// any other value mean plaintext.
func (t *translator) podTLSMode(sliceNS string, ref *corev1.ObjectReference) ir.EndpointTLSMode {
	if ref == nil || ref.Kind != "Pod" {
		return ir.TLSModeNone
	}
	ns := ref.Namespace
	if ns == "" {
		ns = sliceNS
	}
	p := t.x.pods[nsName{ns, ref.Name}]
	if p == nil || (ref.UID != "" && p.UID != "" && ref.UID != p.UID) {
		return ir.TLSModeNone
	}
	if p.Labels[LabelTLSMode] == string(ir.TLSModeIstio) {
		return ir.TLSModeIstio
	}
	return ir.TLSModeNone
}

// LabelTLSMode is the label Istio's injector puts on sidecar pods.
const LabelTLSMode = "security.istio.io/tlsMode"

// refError is why a backendRef could not be resolved, in Gateway API terms.
type refError struct {
	reason gwv1.RouteConditionReason
	msg    string
}

// resolveBackendRef turns a backendRef of a route in namespace fromNS into
// a Backend, or says why it cannot.
func (t *translator) resolveBackendRef(fromNS string, ref gwv1.BackendObjectReference) (*ir.Backend, *refError) {
	group, kind := "", "Service"
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if group == istioNetworkingGroup && kind == kindHostname {
		return t.hostBackend(fromNS, ref)
	}
	if group != "" || kind != "Service" {
		return nil, &refError{gwv1.RouteReasonInvalidKind, fmt.Sprintf("backendRef kind %s/%s is not supported (Service only)", group, kind)}
	}
	ns := fromNS
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	if ns != fromNS && !t.grantAllows("HTTPRoute", fromNS, "Service", ns, string(ref.Name)) {
		return nil, &refError{gwv1.RouteReasonRefNotPermitted, fmt.Sprintf("no ReferenceGrant in namespace %s allows HTTPRoutes from %s to Service %s", ns, fromNS, ref.Name)}
	}
	s := t.x.services[nsName{ns, string(ref.Name)}]
	if s == nil {
		return nil, &refError{gwv1.RouteReasonBackendNotFound, fmt.Sprintf("Service %s/%s not found", ns, ref.Name)}
	}
	if ref.Port == nil {
		return nil, &refError{gwv1.RouteReasonUnsupportedValue, fmt.Sprintf("backendRef to Service %s/%s needs a port", ns, ref.Name)}
	}
	for _, sp := range s.Spec.Ports {
		if sp.Port == int32(*ref.Port) && (sp.Protocol == "" || sp.Protocol == corev1.ProtocolTCP) {
			return t.serviceBackend(s, sp), nil
		}
	}
	return nil, &refError{gwv1.RouteReasonBackendNotFound, fmt.Sprintf("Service %s/%s has no TCP port %d", ns, ref.Name, *ref.Port)}
}

// grantAllows says whether a ReferenceGrant in toNS lets objects of
// fromKind (Gateway API group) in fromNS refer to the core object of toKind
// (Service, Secret) named name.
func (t *translator) grantAllows(fromKind, fromNS, toKind, toNS, name string) bool {
	for _, g := range t.x.grants {
		if g.Namespace != toNS {
			continue
		}
		fromOK := false
		for _, f := range g.Spec.From {
			if string(f.Group) == gwv1.GroupName && string(f.Kind) == fromKind && string(f.Namespace) == fromNS {
				fromOK = true
			}
		}
		if !fromOK {
			continue
		}
		for _, to := range g.Spec.To {
			if to.Group == "" && string(to.Kind) == toKind && (to.Name == nil || string(*to.Name) == name) {
				return true
			}
		}
	}
	return false
}

// unresolvedShare stands for a backendRef that cannot be resolved: its
// weight's share of the requests is answered 500 (Gateway API), never
// given to the rule's valid backends. A rule with no valid backend at all
// answers 500 outright (routes.go).
func unresolvedShare(weight uint32) *ir.WeightedBackend {
	return &ir.WeightedBackend{Unresolved: true, Weight: weight}
}
