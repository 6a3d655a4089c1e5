package translate

import (
	"fmt"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/xds/ir"
)

// resolveParameters sets g.params to the Gateway's effective
// GatewayParameters: its class's (the defaults, e.g. the Helm chart's
// `wasp` object) overridden field by field by its own
// spec.infrastructure.parametersRef. When those parameters are unusable it
// rejects the Gateway with reason InvalidParameters instead (Gateway API:
// "the Gateway SHOULD be rejected with Accepted=False and
// InvalidParameters"), and g.paramsUsable stays false, so its proxy objects
// are left as they are rather than rolled out with settings that cannot
// work (a crash-looping sidecar).
func (t *translator) resolveParameters(g *gatewayCtx) {
	var classSpec, gwSpec *v1alpha1.GatewayParametersSpec
	var classSrc string
	if p := t.classParameters(g.class); p != nil {
		classSpec, classSrc = &p.Spec, "GatewayParameters "+p.Namespace+"/"+p.Name
	}
	if ref := g.gw.Spec.Infrastructure; ref != nil && ref.ParametersRef != nil {
		p, msg := t.gatewayParameters(g.gw.Namespace, ref.ParametersRef)
		if msg != "" {
			g.reject(string(gwv1.GatewayReasonInvalidParameters), "spec.infrastructure.parametersRef: "+msg)
			return
		}
		gwSpec = &p.Spec
		// The Gateway's own istio block, when it has one, is judged on
		// its own: the message should name the object to fix.
		if field, problem := istioProblem(g, gwSpec); field != "" {
			g.reject(string(gwv1.GatewayReasonInvalidParameters),
				fmt.Sprintf("GatewayParameters %s/%s: %s: %s", p.Namespace, p.Name, field, problem))
			return
		}
	}
	g.params = mergeParameters(classSpec, gwSpec)
	if field, problem := istioProblem(g, g.params); field != "" {
		g.reject(string(gwv1.GatewayReasonInvalidParameters), fmt.Sprintf("%s (GatewayClass %s): %s: %s", classSrc, g.class.Name, field, problem))
		return
	}
	g.paramsUsable = true
}

// istioProblem judges the Istio integration of an ingress Gateway;
// waypoints ignore it (they stay in the ambient data plane).
func istioProblem(g *gatewayCtx, spec *v1alpha1.GatewayParametersSpec) (field, problem string) {
	if g.kind != ir.KindIngress || spec == nil {
		return "", ""
	}
	return spec.Istio.Problem()
}

// gatewayParameters finds the GatewayParameters a Gateway refers to (in the
// Gateway's namespace), or explains why it cannot.
func (t *translator) gatewayParameters(ns string, ref *gwv1.LocalParametersReference) (*v1alpha1.GatewayParameters, string) {
	if string(ref.Group) != v1alpha1.GroupName || string(ref.Kind) != v1alpha1.KindGatewayParameters {
		return nil, fmt.Sprintf("must name a %s.%s, not %s.%s", v1alpha1.KindGatewayParameters, v1alpha1.GroupName, ref.Kind, ref.Group)
	}
	for _, p := range t.in.GatewayParameters {
		if p.Namespace == ns && p.Name == ref.Name {
			return p, ""
		}
	}
	return nil, fmt.Sprintf("GatewayParameters %s/%s not found", ns, ref.Name)
}

// mergeParameters overrides the class's parameters with the Gateway's: each
// field the Gateway sets wins; within istio, `enabled` always comes from
// the Gateway's block (so a Gateway can turn the integration off) and the
// other fields when set. nil means "all defaults".
func mergeParameters(class, gw *v1alpha1.GatewayParametersSpec) *v1alpha1.GatewayParametersSpec {
	switch {
	case class == nil && gw == nil:
		return nil
	case class == nil:
		return gw.DeepCopy()
	case gw == nil:
		return class.DeepCopy()
	}
	out := class.DeepCopy()
	if gw.Image != "" {
		out.Image = gw.Image
	}
	if gw.Replicas != nil {
		out.Replicas = ptrTo(*gw.Replicas)
	}
	if gw.Resources != nil {
		out.Resources = gw.Resources.DeepCopy()
	}
	if gw.ServiceType != nil {
		out.ServiceType = ptrTo(*gw.ServiceType)
	}
	if gw.LogLevel != "" {
		out.LogLevel = gw.LogLevel
	}
	if gw.Istio != nil {
		out.Istio = mergeIstio(out.Istio, gw.Istio)
	}
	return out
}

func mergeIstio(class, gw *v1alpha1.IstioIntegration) *v1alpha1.IstioIntegration {
	if class == nil {
		return gw.DeepCopy()
	}
	out := class.DeepCopy()
	out.Enabled = gw.Enabled
	if gw.EnableAutoMtls != nil {
		out.EnableAutoMtls = ptrTo(*gw.EnableAutoMtls)
	}
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&out.IstioDiscoveryAddress, gw.IstioDiscoveryAddress},
		{&out.IstioMetaClusterId, gw.IstioMetaClusterId},
		{&out.IstioMetaMeshId, gw.IstioMetaMeshId},
		{&out.IstioProxyImage, gw.IstioProxyImage},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	return out
}

// reject marks the whole Gateway not accepted.
func (g *gatewayCtx) reject(reason, msg string) {
	g.accepted = false
	g.acceptedReason, g.acceptedMessage = reason, msg
}
