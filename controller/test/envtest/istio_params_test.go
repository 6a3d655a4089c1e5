package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"wasp.dev/controller/api/v1alpha1"
)

// TestIstioParametersPerGateway: the class carries the chart's defaults
// (integration off, the seed's discovery address and IDs, as the Helm chart
// writes them); a Gateway's own GatewayParameters
// (spec.infrastructure.parametersRef) turn it on and override one field;
// switching it off in the Gateway's parameters removes the sidecar again.
func TestIstioParametersPerGateway(t *testing.T) {
	ctx := context.Background()
	const ns = "istio-params"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	must(k8s.Create(ctx, &v1alpha1.GatewayParameters{ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: ns},
		Spec: v1alpha1.GatewayParametersSpec{Istio: &v1alpha1.IstioIntegration{Enabled: false,
			IstioDiscoveryAddress: "istiod-1-21.istio-system.svc:15012", IstioMetaClusterId: "mycluster", IstioMetaMeshId: "mymesh"}}}))
	must(k8s.Create(ctx, &v1alpha1.GatewayParameters{ObjectMeta: metav1.ObjectMeta{Name: "sidecar", Namespace: ns},
		Spec: v1alpha1.GatewayParametersSpec{Istio: &v1alpha1.IstioIntegration{Enabled: true, IstioMetaClusterId: "edge-cluster"}}}))
	pns := gwv1.Namespace(ns)
	must(k8s.Create(ctx, &gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "wasp-istio-defaults"},
		Spec: gwv1.GatewayClassSpec{ControllerName: ours, ParametersRef: &gwv1.ParametersReference{
			Group: v1alpha1.GroupName, Kind: v1alpha1.KindGatewayParameters, Name: "defaults", Namespace: &pns}}}))
	listeners := []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 8080}}
	must(k8s.Create(ctx, &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "class-only", Namespace: ns},
		Spec: gwv1.GatewaySpec{GatewayClassName: "wasp-istio-defaults", Listeners: listeners}}))
	must(k8s.Create(ctx, &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "own", Namespace: ns},
		Spec: gwv1.GatewaySpec{GatewayClassName: "wasp-istio-defaults", Listeners: listeners,
			Infrastructure: &gwv1.GatewayInfrastructure{ParametersRef: &gwv1.LocalParametersReference{
				Group: v1alpha1.GroupName, Kind: v1alpha1.KindGatewayParameters, Name: "sidecar"}}}}))

	eventually(t, "class defaults: no sidecar", func() error { return containersAre(ns, "class-only", "envoy") })
	eventually(t, "own parameters: sidecar with merged settings", func() error {
		var d appsv1.Deployment
		if err := get(t, ns, "own", &d); err != nil {
			return err
		}
		if err := containersAre(ns, "own", "envoy,istio-proxy,sds"); err != nil {
			return err
		}
		env := containerEnv(d.Spec.Template.Spec.Containers[1])
		// The Gateway's cluster ID wins; the address and mesh ID are
		// the class's.
		want := map[string]string{"ISTIO_META_CLUSTER_ID": "edge-cluster", "CA_ADDR": "istiod-1-21.istio-system.svc:15012", "ISTIO_META_MESH_ID": "mymesh"}
		for k, v := range want {
			if env[k] != v {
				return fmt.Errorf("istio-proxy %s=%q, want %q", k, env[k], v)
			}
		}
		return istioVolumesPresent(d.Spec.Template.Spec.Volumes)
	})
	eventually(t, "own parameters: bootstrap with the SDS cluster", func() error { return bootstrapHasSDS(ns, "own", true) })
	eventually(t, "class defaults: bootstrap without the SDS cluster", func() error { return bootstrapHasSDS(ns, "class-only", false) })
	eventually(t, "IR: automatic mTLS only where the integration is on", func() error {
		if err := proxyAutoMTLS(ns+"/own", true); err != nil {
			return err
		}
		return proxyAutoMTLS(ns+"/class-only", false)
	})

	// Removing the integration removes the sidecar, its volumes and the
	// SDS cluster.
	eventually(t, "turn the integration off", func() error {
		var p v1alpha1.GatewayParameters
		if err := get(t, ns, "sidecar", &p); err != nil {
			return err
		}
		p.Spec.Istio.Enabled = false
		return k8s.Update(ctx, &p)
	})
	eventually(t, "sidecar removed", func() error {
		var d appsv1.Deployment
		if err := get(t, ns, "own", &d); err != nil {
			return err
		}
		if err := containersAre(ns, "own", "envoy"); err != nil {
			return err
		}
		if err := istioVolumesPresent(d.Spec.Template.Spec.Volumes); err == nil {
			return fmt.Errorf("istio volumes still there: %+v", d.Spec.Template.Spec.Volumes)
		}
		return bootstrapHasSDS(ns, "own", false)
	})
	eventually(t, "IR: no automatic mTLS", func() error { return proxyAutoMTLS(ns+"/own", false) })
}

// TestIstioParametersInvalid: a Gateway whose parameters cannot be used is
// rejected with InvalidParameters naming the field, and its running proxy
// is left as it was (no rollout of settings that cannot work); the API
// server refuses malformed Istio settings outright (CEL on the CRD).
func TestIstioParametersInvalid(t *testing.T) {
	ctx := context.Background()
	const ns = "istio-invalid"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))

	for field, spec := range map[string]v1alpha1.IstioIntegration{
		"istioDiscoveryAddress": {Enabled: true, IstioDiscoveryAddress: "istiod.istio-system.svc"},
		"istioMetaClusterId":    {Enabled: true, IstioMetaClusterId: "my cluster"},
		"istioProxyImage":       {Enabled: true, IstioProxyImage: "Istio/ProxyV2"},
	} {
		err := k8s.Create(ctx, &v1alpha1.GatewayParameters{ObjectMeta: metav1.ObjectMeta{Name: "bad-" + strings.ToLower(field), Namespace: ns},
			Spec: v1alpha1.GatewayParametersSpec{Istio: &spec}})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.istio."+field) {
			t.Errorf("malformed %s: want Invalid naming the field, got %v", field, err)
		}
	}
	// A port outside 1-65535 passes the pattern and fails the range rule.
	err := k8s.Create(ctx, &v1alpha1.GatewayParameters{ObjectMeta: metav1.ObjectMeta{Name: "bad-port", Namespace: ns},
		Spec: v1alpha1.GatewayParametersSpec{Istio: &v1alpha1.IstioIntegration{Enabled: true, IstioDiscoveryAddress: "istiod:70000"}}})
	if !apierrors.IsInvalid(err) {
		t.Errorf("port 70000: want Invalid, got %v", err)
	}

	must(k8s.Create(ctx, &v1alpha1.GatewayParameters{ObjectMeta: metav1.ObjectMeta{Name: "sidecar", Namespace: ns},
		Spec: v1alpha1.GatewayParametersSpec{Istio: &v1alpha1.IstioIntegration{Enabled: true}}}))
	must(k8s.Create(ctx, &gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "wasp-istio-invalid"},
		Spec: gwv1.GatewayClassSpec{ControllerName: ours}}))
	ref := func(name string) *gwv1.GatewayInfrastructure {
		return &gwv1.GatewayInfrastructure{ParametersRef: &gwv1.LocalParametersReference{
			Group: v1alpha1.GroupName, Kind: v1alpha1.KindGatewayParameters, Name: name}}
	}
	must(k8s.Create(ctx, &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: ns},
		Spec: gwv1.GatewaySpec{GatewayClassName: "wasp-istio-invalid", Infrastructure: ref("sidecar"),
			Listeners: []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 8080}}}}))
	eventually(t, "sidecar deployed", func() error { return containersAre(ns, "edge", "envoy,istio-proxy,sds") })

	eventually(t, "point the Gateway at parameters that do not exist", func() error {
		var gw gwv1.Gateway
		if err := get(t, ns, "edge", &gw); err != nil {
			return err
		}
		gw.Spec.Infrastructure = ref("typo")
		return k8s.Update(ctx, &gw)
	})
	eventually(t, "Accepted=False InvalidParameters naming the field", func() error {
		var gw gwv1.Gateway
		if err := get(t, ns, "edge", &gw); err != nil {
			return err
		}
		if err := condition(gw.Status.Conditions, "Accepted", "False", "InvalidParameters"); err != nil {
			return err
		}
		c := conditionOf(gw.Status.Conditions, "Accepted")
		if c.ObservedGeneration != gw.Generation || !strings.Contains(c.Message, "spec.infrastructure.parametersRef") || !strings.Contains(c.Message, ns+"/typo") {
			return fmt.Errorf("condition %+v (generation %d)", c, gw.Generation)
		}
		return nil
	})
	// Status is written after the proxy objects in the same pass: the
	// Deployment seen now is what that pass left.
	if err := containersAre(ns, "edge", "envoy,istio-proxy,sds"); err != nil {
		t.Errorf("running proxy changed under invalid parameters: %v", err)
	}

	must(k8s.Create(ctx, &v1alpha1.GatewayParameters{ObjectMeta: metav1.ObjectMeta{Name: "typo", Namespace: ns}}))
	eventually(t, "accepted again once the parameters exist", func() error {
		var gw gwv1.Gateway
		if err := get(t, ns, "edge", &gw); err != nil {
			return err
		}
		return condition(gw.Status.Conditions, "Accepted", "True", "Accepted")
	})
	eventually(t, "and deployed with them (no integration)", func() error { return containersAre(ns, "edge", "envoy") })
}

func conditionOf(cs []metav1.Condition, typ string) metav1.Condition {
	for _, c := range cs {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

// containersAre compares the proxy Deployment's container names.
func containersAre(ns, name, want string) error {
	var d appsv1.Deployment
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil {
		return err
	}
	var names []string
	for _, c := range d.Spec.Template.Spec.Containers {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != want {
		return fmt.Errorf("%s/%s containers %s, want %s", ns, name, got, want)
	}
	return nil
}

func containerEnv(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

// istioVolumesPresent checks the volumes istio-proxy and sds share: the
// certificate emptyDir, the projected token of audience istio-ca and the
// mesh root ConfigMap.
func istioVolumesPresent(vols []corev1.Volume) error {
	var certs, token, root bool
	for _, v := range vols {
		switch {
		case v.EmptyDir != nil && v.Name == "istio-certs":
			certs = true
		case v.Projected != nil && len(v.Projected.Sources) == 1 && v.Projected.Sources[0].ServiceAccountToken != nil:
			token = v.Projected.Sources[0].ServiceAccountToken.Audience == "istio-ca"
		case v.ConfigMap != nil && v.ConfigMap.Name == "istio-ca-root-cert":
			root = true
		}
	}
	if !certs || !token || !root {
		return fmt.Errorf("istio volumes: certs emptyDir %v, istio-ca token %v, root ConfigMap %v", certs, token, root)
	}
	return nil
}

// bootstrapHasSDS checks whether the proxy's bootstrap has the static
// cluster gateway_proxy_sds (the one the mTLS clusters name).
func bootstrapHasSDS(ns, name string, want bool) error {
	var cm corev1.ConfigMap
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
		return err
	}
	var boot struct {
		StaticResources struct {
			Clusters []struct {
				Name string `json:"name"`
			} `json:"clusters"`
		} `json:"static_resources"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["envoy.yaml"]), &boot); err != nil {
		return err
	}
	got := false
	for _, c := range boot.StaticResources.Clusters {
		got = got || c.Name == "gateway_proxy_sds"
	}
	if got != want {
		return fmt.Errorf("%s/%s bootstrap has gateway_proxy_sds: %v, want %v", ns, name, got, want)
	}
	return nil
}

// proxyAutoMTLS checks the published IR's Istio setting for one proxy.
func proxyAutoMTLS(name string, want bool) error {
	in, _ := pub.snapshot()
	if in == nil {
		return fmt.Errorf("nothing published")
	}
	for _, p := range in.Proxies {
		if p.Name == name {
			if got := p.IstioIntegration != nil && p.IstioIntegration.AutoMTLS; got != want {
				return fmt.Errorf("%s autoMtls %v, want %v", name, got, want)
			}
			return nil
		}
	}
	return fmt.Errorf("no proxy %s", name)
}
