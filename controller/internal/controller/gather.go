package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
	"wasp.dev/controller/internal/translate"
)

// snapshot is everything one reconciliation read.
type snapshot struct {
	in translate.Input
}

func (r *Reconciler) gather(ctx context.Context) (*snapshot, error) {
	s := &snapshot{}
	var (
		classes  gwv1.GatewayClassList
		gateways gwv1.GatewayList
		routes   gwv1.HTTPRouteList
		grants   gwv1.ReferenceGrantList
		services corev1.ServiceList
		slices   discoveryv1.EndpointSliceList
		nss      corev1.NamespaceList
		tps      v1alpha1.TrafficPolicyList
		lps      v1alpha1.HTTPListenerPolicyList
		gwParams v1alpha1.GatewayParametersList
		wfs      waspv1alpha1.WasmFilterList
	)
	pods := &metav1.PartialObjectMetadataList{}
	pods.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("PodList"))
	secretMeta := &metav1.PartialObjectMetadataList{}
	secretMeta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
	for _, l := range []client.ObjectList{&classes, &gateways, &routes, &grants, &services, &slices, &nss, &tps, &lps, &gwParams, &wfs, pods, secretMeta} {
		if err := r.client.List(ctx, l); err != nil {
			return nil, err
		}
	}
	in := &s.in
	for i := range classes.Items {
		in.GatewayClasses = append(in.GatewayClasses, &classes.Items[i])
	}
	for i := range gateways.Items {
		in.Gateways = append(in.Gateways, &gateways.Items[i])
	}
	for i := range routes.Items {
		in.HTTPRoutes = append(in.HTTPRoutes, &routes.Items[i])
	}
	for i := range grants.Items {
		in.ReferenceGrants = append(in.ReferenceGrants, &grants.Items[i])
	}
	for i := range services.Items {
		in.Services = append(in.Services, &services.Items[i])
	}
	for i := range slices.Items {
		in.EndpointSlices = append(in.EndpointSlices, &slices.Items[i])
	}
	for i := range nss.Items {
		in.Namespaces = append(in.Namespaces, &nss.Items[i])
	}
	for i := range tps.Items {
		in.TrafficPolicies = append(in.TrafficPolicies, &tps.Items[i])
	}
	for i := range lps.Items {
		in.HTTPListenerPolicies = append(in.HTTPListenerPolicies, &lps.Items[i])
	}
	for i := range pods.Items {
		in.Pods = append(in.Pods, &pods.Items[i])
	}
	var err error
	controllerName := r.opts.Translate.ControllerName
	if controllerName == "" {
		controllerName = translate.DefaultControllerName
	}
	refs := certificateRefs(classes.Items, gateways.Items, controllerName)
	if in.Secrets, err = r.secrets.load(ctx, refs, secretMeta); err != nil {
		return nil, err
	}
	if in.AuthorizationPolicies, err = r.listIstio(ctx, AuthorizationPolicyGVK); err != nil {
		return nil, err
	}
	if in.ServiceEntries, err = r.listIstio(ctx, ServiceEntryGVK); err != nil {
		return nil, err
	}
	for i := range wfs.Items {
		in.WasmFilters = append(in.WasmFilters, &wfs.Items[i])
	}
	for i := range gwParams.Items {
		in.GatewayParameters = append(in.GatewayParameters, &gwParams.Items[i])
	}
	return s, nil
}
