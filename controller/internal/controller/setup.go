package controller

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
)

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses;gateways;httproutes;referencegrants,verbs=get;list;watch
// The waypoint class's inbound-binding annotation is kept correct with a patch.
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses,verbs=patch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses/status;gateways/status;httproutes/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=gateway.kgateway.dev,resources=trafficpolicies;httplistenerpolicies;gatewayparameters,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.kgateway.dev,resources=trafficpolicies/status;httplistenerpolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=services;namespaces;pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts;configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=wasp.dev,resources=wasmfilters,verbs=get;list;watch
// +kubebuilder:rbac:groups=wasp.dev,resources=wasmfilters/status,verbs=get;update;patch
// WasmFilter sources: a ConfigMap's module and an image's pull secrets are
// read directly (not cached) when a filter names them.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// Gateway certificates: Secrets are watched as metadata only (type
// kubernetes.io/tls) and the referenced ones read with a GET (secrets.go).
// +kubebuilder:rbac:groups="",resources=secrets,verbs=list;watch

// Setup registers the reconciler with mgr. Reconciliation runs on every
// replica (each serves xDS); only the elected leader writes.
func Setup(mgr ctrl.Manager, opts Options) error {
	if opts.FieldOwner == "" {
		opts.FieldOwner = "wasp"
	}
	// Report a Gateway's address only once its proxy Service exists.
	opts.Translate.RequireProxyService = true
	r := &Reconciler{client: mgr.GetClient(), reader: mgr.GetAPIReader(), opts: opts, log: mgr.GetLogger().WithName("reconciler"), elected: mgr.Elected(),
		events: &authzEvents{recorder: mgr.GetEventRecorder("wasp"), last: map[string]string{}}}
	r.secrets = newTLSSecrets(mgr.GetAPIReader())
	r.wasm = newWasmFetches(opts.Wasm, mgr.GetAPIReader(), mgr.GetLogger().WithName("wasm"))
	if err := mgr.Add(r.wasm); err != nil {
		return err
	}
	all := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{globalKey}
	})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("wasp").
		WithOptions(controller.Options{MaxConcurrentReconciles: 1, NeedLeaderElection: ptr(false)}).
		Watches(&gwv1.GatewayClass{}, all)
	for _, o := range []client.Object{
		&gwv1.Gateway{}, &gwv1.HTTPRoute{}, &gwv1.ReferenceGrant{},
		&v1alpha1.TrafficPolicy{}, &v1alpha1.HTTPListenerPolicy{}, &v1alpha1.GatewayParameters{},
		&corev1.Service{}, &discoveryv1.EndpointSlice{}, &corev1.Namespace{},
		&appsv1.Deployment{}, &corev1.ConfigMap{}, &corev1.ServiceAccount{},
		&waspv1alpha1.WasmFilter{},
	} {
		b = b.Watches(o, all)
	}
	// Pods as metadata only: the biggest object set of a cluster, of which
	// only the sidecar's tlsMode label is read (docs/istio-sidecar.md).
	b = b.WatchesMetadata(&corev1.Pod{}, all)
	// Secrets as metadata only, and only those a Gateway names trigger
	// anything (secrets.go).
	b = b.WatchesMetadata(&corev1.Secret{}, all, builder.WithPredicates(predicate.NewPredicateFuncs(r.secrets.isWanted)))
	// A finished module fetch (wasmfetch.go).
	b = b.WatchesRawSource(source.Channel(r.wasm.trigger, all))
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	// Istio's CRDs: watched if installed now, else once they appear.
	r.istio = &istioWatches{
		mapper: mgr.GetRESTMapper(), cache: mgr.GetCache(), ctrl: c, handler: all,
		log: mgr.GetLogger().WithName("istio"), every: opts.IstioRecheck, watched: map[schema.GroupVersionKind]bool{},
	}
	r.istio.check()
	return mgr.Add(r.istio)
}
