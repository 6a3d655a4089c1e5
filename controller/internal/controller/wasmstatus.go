package controller

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"wasp.dev/controller/internal/translate"
)

// writeWasmFilterStatus merges Accepted and Fetched into each WasmFilter
// (by condition type: other writers' conditions stay) and sets sha256 and
// observedGeneration.
func (r *Reconciler) writeWasmFilterStatus(ctx context.Context, snap *snapshot, out *translate.Output, now metav1.Time) []error {
	want := map[string]translate.WasmFilterStatus{}
	for _, s := range out.Status.WasmFilters {
		want[s.Namespace+"/"+s.Name] = s
	}
	var errs []error
	for _, wf := range snap.in.WasmFilters {
		w, ok := want[wf.Namespace+"/"+wf.Name]
		if !ok {
			continue
		}
		next := wf.Status
		next.Conditions = mergeConditions(wf.Status.Conditions, w.Conditions, now)
		next.SHA256 = w.SHA256
		next.ObservedGeneration = wf.Generation
		if semanticallyEqual(wf.Status, next) {
			continue
		}
		wf = wf.DeepCopy()
		wf.Status = next
		if err := r.client.Status().Update(ctx, wf); err != nil {
			errs = append(errs, fmt.Errorf("status of WasmFilter %s/%s: %w", wf.Namespace, wf.Name, err))
		}
	}
	return errs
}
