package translate

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sort"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
)

// SupportedFeatures are the Gateway API features wasp implements, reported
// on its GatewayClasses (sorted, as the API requires).
var SupportedFeatures = []gwv1.FeatureName{
	"Gateway",
	"GatewayHTTPListenerIsolation",
	"HTTPRoute",
	"HTTPRouteBackendRequestHeaderModification",
	"HTTPRouteBackendTimeout",
	"HTTPRouteHostRewrite",
	"HTTPRouteMethodMatching",
	"HTTPRouteNamedRouteRule",
	"HTTPRoutePathRedirect",
	"HTTPRoutePathRewrite",
	"HTTPRoutePortRedirect",
	"HTTPRouteQueryParamMatching",
	"HTTPRouteRequestMirror",
	"HTTPRouteRequestTimeout",
	"HTTPRouteResponseHeaderModification",
	"HTTPRouteSchemeRedirect",
	"Mesh",
	"MeshClusterIPMatching",
	"ReferenceGrant",
}

// gatewayClasses accepts every class whose controllerName is ours.
func (t *translator) gatewayClasses() {
	names := make([]string, 0, len(t.x.classes))
	for n := range t.x.classes {
		names = append(names, n)
	}
	sort.Strings(names)
	features := make([]gwv1.SupportedFeature, len(SupportedFeatures))
	for i, f := range SupportedFeatures {
		features[i] = gwv1.SupportedFeature{Name: f}
	}
	for _, n := range names {
		c := t.x.classes[n]
		if string(c.Spec.ControllerName) != t.opts.ControllerName {
			continue
		}
		accepted := cond(string(gwv1.GatewayClassConditionStatusAccepted), true,
			string(gwv1.GatewayClassReasonAccepted), "wasp handles this class", c.Generation)
		msg := t.badParametersRef(c)
		if p := t.classParameters(c); p != nil && msg == "" {
			// Malformed data is invalid parameters too; the class's
			// ingress Gateways are rejected with the same message
			// (parameters.go) and keep their running proxies.
			if field, problem := p.Spec.Istio.Problem(); field != "" {
				msg = fmt.Sprintf("GatewayParameters %s/%s: %s: %s", p.Namespace, p.Name, field, problem)
			}
		}
		if msg != "" {
			// Gateway API: a class with invalid parameters is not
			// accepted; with a missing or wrong reference its Gateways
			// keep working with defaults.
			accepted = cond(string(gwv1.GatewayClassConditionStatusAccepted), false,
				string(gwv1.GatewayClassReasonInvalidParameters), msg, c.Generation)
		}
		t.ourClasses[n] = c
		t.classStatus = append(t.classStatus, GatewayClassStatus{
			Name:              n,
			Conditions:        []metav1.Condition{accepted},
			SupportedFeatures: features,
		})
	}
}

// badParametersRef explains what is wrong with a class's parametersRef,
// or returns "" (no reference, or one to an existing GatewayParameters).
func (t *translator) badParametersRef(c *gwv1.GatewayClass) string {
	ref := c.Spec.ParametersRef
	if ref == nil {
		return ""
	}
	if string(ref.Group) != v1alpha1.GroupName || string(ref.Kind) != v1alpha1.KindGatewayParameters {
		return fmt.Sprintf("parametersRef must name a %s.%s, not %s.%s", v1alpha1.KindGatewayParameters, v1alpha1.GroupName, ref.Kind, ref.Group)
	}
	if ref.Namespace == nil {
		return "parametersRef needs a namespace (GatewayParameters are namespaced)"
	}
	for _, p := range t.in.GatewayParameters {
		if p.Namespace == string(*ref.Namespace) && p.Name == ref.Name {
			return ""
		}
	}
	return fmt.Sprintf("GatewayParameters %s/%s not found", *ref.Namespace, ref.Name)
}

// classParameters returns the GatewayParameters a class refers to, if it
// exists.
func (t *translator) classParameters(c *gwv1.GatewayClass) *v1alpha1.GatewayParameters {
	if t.badParametersRef(c) != "" || c.Spec.ParametersRef == nil {
		return nil
	}
	ref := c.Spec.ParametersRef
	for _, p := range t.in.GatewayParameters {
		if p.Namespace == string(*ref.Namespace) && p.Name == ref.Name {
			return p
		}
	}
	return nil
}

// isWaypointClass says whether Gateways of class c are waypoints.
func (t *translator) isWaypointClass(c *gwv1.GatewayClass, gw *gwv1.Gateway) bool {
	switch {
	case contains(t.opts.WaypointClasses, c.Name):
		return true
	case contains(t.opts.IngressClasses, c.Name):
		return false
	}
	for _, l := range gw.Spec.Listeners {
		if l.Protocol == ProtocolIstioProxy {
			return true
		}
	}
	return false
}
