package controller

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/internal/deploy"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/ir"
)

// applyProxies server-side-applies the proxy objects of every Gateway of
// wasp's classes (with the effective GatewayParameters the translation
// resolved), and deletes those of Gateways that are gone or no longer
// of its classes.
func (r *Reconciler) applyProxies(ctx context.Context, snap *snapshot, out *translate.Output) []error {
	var errs []error
	kinds := out.ProxyKinds
	now := time.Now()
	r.renewAt = time.Time{}
	for _, gw := range snap.in.Gateways {
		key := gw.Namespace + "/" + gw.Name
		kind, ok := kinds[key]
		if !ok {
			continue
		}
		// Unusable parameters (status InvalidParameters): leave the
		// running proxy as it is rather than roll out what cannot work.
		params, usable := out.Parameters[key]
		if !usable {
			continue
		}
		objs, err := deploy.Build(gw, kind, params, r.opts.Deploy)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		due, err := r.ensureProxyCertificate(ctx, gw, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("gateway %s/%s: proxy certificate: %w", gw.Namespace, gw.Name, err))
		} else if !due.IsZero() && (r.renewAt.IsZero() || due.Before(r.renewAt)) {
			r.renewAt = due
		}
		for _, o := range []client.Object{objs.ServiceAccount, objs.ConfigMap, objs.Service, objs.Deployment} {
			if err := r.apply(ctx, gw, o); err != nil {
				errs = append(errs, fmt.Errorf("gateway %s/%s: %w", gw.Namespace, gw.Name, err))
			}
		}
	}
	errs = append(errs, r.deleteOrphans(ctx, kinds)...)
	return errs
}

// apply makes gw the controller of o and server-side-applies it as wasp.
func (r *Reconciler) apply(ctx context.Context, gw *gwv1.Gateway, o client.Object) error {
	scheme := r.client.Scheme()
	gvk, err := apiutil.GVKForObject(o, scheme)
	if err != nil {
		return err
	}
	o.SetOwnerReferences([]metav1.OwnerReference{{
		APIVersion: gwv1.GroupVersion.String(), Kind: "Gateway", Name: gw.Name, UID: gw.UID,
		Controller: ptr(true), BlockOwnerDeletion: ptr(true),
	}})
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	// Leave out what a typed object always carries but apply must not own.
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	return r.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(r.opts.FieldOwner), client.ForceOwnership)
}

// deleteOrphans removes proxy objects wasp made for Gateways that are gone
// or no longer of its classes. Owner references would let the garbage
// collector do it for deleted Gateways; a Gateway that changed class keeps
// existing, so wasp cleans up itself.
func (r *Reconciler) deleteOrphans(ctx context.Context, keep map[string]ir.ProxyKind) []error {
	var errs []error
	sel := client.MatchingLabels{deploy.LabelManagedBy: deploy.ManagedByValue}
	lists := []client.ObjectList{&appsv1.DeploymentList{}, &corev1.ServiceList{}, &corev1.ConfigMapList{}, &corev1.ServiceAccountList{}}
	for _, l := range lists {
		if err := r.client.List(ctx, l, sel); err != nil {
			errs = append(errs, err)
			continue
		}
		items, err := metaItems(l)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range items {
			gw := o.GetLabels()[deploy.LabelGatewayName]
			if _, ok := keep[o.GetNamespace()+"/"+gw]; ok {
				continue
			}
			if err := r.client.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
				errs = append(errs, err)
			}
			if _, isDeployment := o.(*appsv1.Deployment); isDeployment {
				if err := r.deleteProxyCertificate(ctx, o.GetNamespace(), gw); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

func metaItems(l client.ObjectList) ([]client.Object, error) {
	var out []client.Object
	switch t := l.(type) {
	case *appsv1.DeploymentList:
		for i := range t.Items {
			out = append(out, &t.Items[i])
		}
	case *corev1.ServiceList:
		for i := range t.Items {
			out = append(out, &t.Items[i])
		}
	case *corev1.ConfigMapList:
		for i := range t.Items {
			out = append(out, &t.Items[i])
		}
	case *corev1.ServiceAccountList:
		for i := range t.Items {
			out = append(out, &t.Items[i])
		}
	default:
		return nil, fmt.Errorf("unexpected list %T", l)
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }
