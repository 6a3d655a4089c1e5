package controller

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// +kubebuilder:rbac:groups=security.istio.io,resources=authorizationpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.istio.io,resources=serviceentries,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Istio's CRDs are optional: wasp watches AuthorizationPolicies and
// ServiceEntries, as unstructured objects (no Go dependency on Istio), only
// once the API server serves them. They are looked up at start and again
// every Options.IstioRecheck, so installing Istio after wasp needs no restart.
var (
	AuthorizationPolicyGVK = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}
	ServiceEntryGVK        = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "ServiceEntry"}
	istioKinds             = []schema.GroupVersionKind{AuthorizationPolicyGVK, ServiceEntryGVK}
)

// defaultIstioRecheck is how often missing Istio CRDs are looked for
// again: rare enough to cost nothing, soon enough after an Istio install.
const defaultIstioRecheck = time.Minute

// istioWatches tracks which Istio kinds are served and watched.
type istioWatches struct {
	mapper  meta.RESTMapper
	cache   cache.Cache
	ctrl    controller.Controller
	handler handler.EventHandler
	log     logr.Logger
	every   time.Duration

	mu      sync.RWMutex
	watched map[schema.GroupVersionKind]bool
}

// served says whether the API server serves gvk. The manager's RESTMapper
// is lazy and asks discovery again for a group it does not know.
func (w *istioWatches) served(gvk schema.GroupVersionKind) bool {
	_, err := w.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	return err == nil
}

// check starts a watch for every Istio kind now served and not yet
// watched, and says whether one started.
func (w *istioWatches) check() bool {
	started := false
	for _, gvk := range istioKinds {
		if w.isWatched(gvk) || !w.served(gvk) {
			continue
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		if err := w.ctrl.Watch(source.Kind[client.Object](w.cache, u, w.handler)); err != nil {
			w.log.Error(err, "watching Istio kind", "kind", gvk.String())
			continue
		}
		w.mu.Lock()
		w.watched[gvk] = true
		w.mu.Unlock()
		w.log.Info("watching Istio kind", "kind", gvk.String())
		started = true
	}
	return started
}

func (w *istioWatches) isWatched(gvk schema.GroupVersionKind) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.watched[gvk]
}

// Start re-checks for missing Istio kinds until ctx ends (a manager
// Runnable, on every replica: each one serves xDS).
func (w *istioWatches) Start(ctx context.Context) error {
	every := w.every
	if every <= 0 {
		every = defaultIstioRecheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			w.check()
		}
	}
}

// NeedLeaderElection: every replica needs the objects.
func (w *istioWatches) NeedLeaderElection() bool { return false }

// listIstio lists the watched objects of one Istio kind (none when its CRD
// is not installed).
func (r *Reconciler) listIstio(ctx context.Context, gvk schema.GroupVersionKind) ([]*unstructured.Unstructured, error) {
	if r.istio == nil || !r.istio.isWatched(gvk) {
		return nil, nil
	}
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := r.client.List(ctx, l); err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, &l.Items[i])
	}
	return out, nil
}
