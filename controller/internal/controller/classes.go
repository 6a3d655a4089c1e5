package controller

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"wasp.dev/controller/internal/translate"
)

// ensureClassAnnotations keeps ambient.istio.io/waypoint-inbound-binding
// on wasp's waypoint classes: it is what makes ztunnel deliver waypoint
// traffic as PROXY protocol on 15088 (facts.md "sandwich" waypoints). The
// chart sets it; a class created by hand, or edited, is corrected here.
func (r *Reconciler) ensureClassAnnotations(ctx context.Context, snap *snapshot) []error {
	var errs []error
	for _, c := range snap.in.GatewayClasses {
		if string(c.Spec.ControllerName) != r.opts.Translate.ControllerName || !isWaypointClassName(r.opts.Translate, c.Name) {
			continue
		}
		if _, ok := c.Annotations[translate.AnnotationWaypointInboundBinding]; ok {
			// A different port set by the operator is respected (the
			// translation binds the port it names).
			continue
		}
		patch := client.MergeFrom(c.DeepCopy())
		c = c.DeepCopy()
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[translate.AnnotationWaypointInboundBinding] = translate.WaypointInboundBinding
		if err := r.client.Patch(ctx, c, patch); err != nil {
			errs = append(errs, fmt.Errorf("annotating GatewayClass %s: %w", c.Name, err))
		}
	}
	return errs
}

func isWaypointClassName(o translate.Options, name string) bool {
	for _, n := range o.WaypointClasses {
		if n == name {
			return true
		}
	}
	return false
}
