package controller

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"

	"wasp.dev/controller/internal/translate"
)

// AuthorizationPolicy reporting. istiod owns the status of Istio's objects
// (WaypointAccepted), so wasp says what it could not enforce through an
// Event on the policy, alongside its condition on the waypoint Gateway
// (translate.ConditionAuthorizationEnforced).

// Event reasons on AuthorizationPolicies.
const (
	EventAuthorizationEnforced          = "WaspEnforced"
	EventAuthorizationPartiallyEnforced = "WaspPartiallyEnforced"
	EventAuthorizationInvalid           = "WaspInvalid"
	eventAction                         = "Translate"
)

// maxEventNote is the events.k8s.io/v1 note limit (1 kB).
const maxEventNote = 1024

// authzEvents remembers what was last reported per policy (by UID and
// generation), so a policy gets an Event when wasp's verdict changes, not
// on every reconciliation.
type authzEvents struct {
	recorder events.EventRecorder
	last     map[string]string
}

func (e *authzEvents) report(snap *snapshot, out *translate.Output) {
	if e == nil || e.recorder == nil {
		return
	}
	byKey := map[string]*unstructured.Unstructured{}
	for _, p := range snap.in.AuthorizationPolicies {
		byKey[p.GetNamespace()+"/"+p.GetName()] = p
	}
	seen := map[string]bool{}
	for _, rep := range out.Status.AuthorizationPolicies {
		obj := byKey[rep.Namespace+"/"+rep.Name]
		if obj == nil {
			continue
		}
		typ, reason, note := authzEvent(rep)
		id := fmt.Sprintf("%s/%d", obj.GetUID(), obj.GetGeneration())
		seen[id] = true
		if e.last[id] == reason+note {
			continue
		}
		e.last[id] = reason + note
		e.recorder.Eventf(obj, nil, typ, reason, eventAction, "%s", note)
	}
	for id := range e.last {
		if !seen[id] {
			delete(e.last, id) // deleted, changed generation, or no longer ours
		}
	}
}

// authzEvent is the Event for one report.
func authzEvent(rep translate.AuthorizationPolicyReport) (typ, reason, note string) {
	wps := strings.Join(rep.Waypoints, ", ")
	switch {
	case rep.Error != "":
		typ, reason = corev1.EventTypeWarning, EventAuthorizationInvalid
		note = "wasp cannot read this policy and does not enforce it: " + rep.Error
	case len(rep.Findings) > 0:
		typ, reason = corev1.EventTypeWarning, EventAuthorizationPartiallyEnforced
		parts := make([]string, 0, len(rep.Findings))
		for _, f := range rep.Findings {
			parts = append(parts, f.String())
		}
		note = "wasp waypoint(s) " + wps + " enforce this policy failing closed where they cannot enforce it as written: " + strings.Join(parts, "; ")
	default:
		typ, reason = corev1.EventTypeNormal, EventAuthorizationEnforced
		note = "enforced as written by wasp waypoint(s) " + wps
	}
	if len(note) > maxEventNote {
		note = note[:maxEventNote-3] + "..."
	}
	return typ, reason, note
}
