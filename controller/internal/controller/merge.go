package controller

import (
	"reflect"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Status merging. Other controllers (istiod above all) write status on the
// same objects, so wasp only ever touches its own entries: conditions by
// type, route parents by (parentRef, controllerName), policy ancestors by
// (ancestorRef, controllerName). Lists are never replaced whole
// (facts.md "istiod co-owns status").

// mergeConditions sets each wanted condition by type, keeping the
// LastTransitionTime of a condition whose status did not change, and leaves
// conditions of other types alone.
func mergeConditions(have []metav1.Condition, want []metav1.Condition, now metav1.Time) []metav1.Condition {
	out := append([]metav1.Condition(nil), have...)
	for _, c := range want {
		c.LastTransitionTime = now
		meta.SetStatusCondition(&out, c)
	}
	return out
}

// mergeParents replaces wasp's route parent entries with want: entries of
// other controllers stay, wasp's entries not in want are dropped.
func mergeParents(have []gwv1.RouteParentStatus, want []gwv1.RouteParentStatus, ctrl gwv1.GatewayController, now metav1.Time) []gwv1.RouteParentStatus {
	return mergeEntries(have, want, ctrl, now, func(e *gwv1.RouteParentStatus) (gwv1.GatewayController, gwv1.ParentReference, *[]metav1.Condition) {
		return e.ControllerName, e.ParentRef, &e.Conditions
	})
}

// mergeAncestors is mergeParents for policy ancestors.
func mergeAncestors(have []gwv1.PolicyAncestorStatus, want []gwv1.PolicyAncestorStatus, ctrl gwv1.GatewayController, now metav1.Time) []gwv1.PolicyAncestorStatus {
	return mergeEntries(have, want, ctrl, now, func(e *gwv1.PolicyAncestorStatus) (gwv1.GatewayController, gwv1.ParentReference, *[]metav1.Condition) {
		return e.ControllerName, e.AncestorRef, &e.Conditions
	})
}

// mergeEntries merges per-parent status entries (route parents, policy
// ancestors): entries of other controllers stay as they are, wasp's entries
// matching a wanted reference get their conditions merged, wasp's others are
// dropped, and wanted entries not yet present are appended. fields exposes an
// entry's controller, reference and conditions.
func mergeEntries[E any](have, want []E, ctrl gwv1.GatewayController, now metav1.Time, fields func(*E) (gwv1.GatewayController, gwv1.ParentReference, *[]metav1.Condition)) []E {
	var out []E
	used := make([]bool, len(want))
	for _, h := range have {
		owner, ref, conds := fields(&h)
		if owner != ctrl {
			out = append(out, h)
			continue
		}
		for i := range want {
			_, wref, wconds := fields(&want[i])
			if !used[i] && reflect.DeepEqual(normParent(ref), normParent(wref)) {
				used[i] = true
				*conds = mergeConditions(*conds, *wconds, now)
				out = append(out, h)
				break
			}
		}
	}
	for i, w := range want {
		if !used[i] {
			_, _, conds := fields(&w)
			*conds = mergeConditions(nil, *conds, now)
			out = append(out, w)
		}
	}
	return out
}

// normParent fills a ParentReference's defaults so that a reference as the
// user wrote it and as the API server defaulted it compare equal.
func normParent(p gwv1.ParentReference) gwv1.ParentReference {
	if p.Group == nil {
		g := gwv1.Group(gwv1.GroupName)
		p.Group = &g
	}
	if p.Kind == nil {
		k := gwv1.Kind("Gateway")
		p.Kind = &k
	}
	return p
}

// mergeGatewayStatus sets wasp's view of a Gateway of its own class: its
// conditions by type, its listeners by name, its addresses.
func mergeGatewayStatus(have gwv1.GatewayStatus, want gwv1.GatewayStatus, now metav1.Time) gwv1.GatewayStatus {
	out := have
	out.Addresses = want.Addresses
	out.Conditions = mergeConditions(have.Conditions, want.Conditions, now)
	var ls []gwv1.ListenerStatus
	for _, w := range want.Listeners {
		for _, h := range have.Listeners {
			if h.Name == w.Name {
				w.Conditions = mergeConditions(h.Conditions, w.Conditions, now)
				break
			}
		}
		if w.Conditions == nil || !hasTimes(w.Conditions) {
			w.Conditions = mergeConditions(nil, w.Conditions, now)
		}
		ls = append(ls, w)
	}
	out.Listeners = ls
	return out
}

func hasTimes(cs []metav1.Condition) bool {
	for _, c := range cs {
		if c.LastTransitionTime.IsZero() {
			return false
		}
	}
	return true
}

// semanticallyEqual compares two statuses ignoring condition times, so an
// unchanged status is not written again (no write storms, no event loops).
func semanticallyEqual(a, b any) bool {
	return equality.Semantic.DeepEqual(stripTimes(a), stripTimes(b))
}

// stripTimes zeroes every metav1.Condition.LastTransitionTime reachable
// from v (v is a status struct passed by value through any).
func stripTimes(v any) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(deepCopyValue(reflect.ValueOf(v)))
	zeroTimes(rv)
	return rv.Interface()
}

var conditionType = reflect.TypeOf(metav1.Condition{})

func zeroTimes(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			zeroTimes(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == conditionType {
			v.FieldByName("LastTransitionTime").Set(reflect.ValueOf(metav1.Time{}))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				zeroTimes(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			zeroTimes(v.Index(i))
		}
	}
}

// deepCopyValue copies slices so zeroTimes does not write through to the
// caller's data.
func deepCopyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepCopyValue(v.Index(i)))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopyValue(v.Field(i)))
			}
		}
		return c
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopyValue(v.Elem()))
		return c
	}
	return v
}

func nowTime() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) }
