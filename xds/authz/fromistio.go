package authz

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"wasp.dev/xds/ir"
)

// Converting Istio's AuthorizationPolicy (security.istio.io/v1) to the IR
// from its JSON, so the controller can watch the CRD as unstructured
// objects (it must run without Istio's CRDs or Go API installed) and hand
// over json.Marshal(obj["spec"]).

const (
	// DryRunAnnotation makes a policy shadow-only (Istio's annotation).
	DryRunAnnotation = "istio.io/dry-run"
	// WaypointGatewayClass is the only GatewayClass a (root-namespace)
	// policy may target; istiod reports others as Invalid.
	WaypointGatewayClass = "istio-waypoint"

	gatewayGroup    = "gateway.networking.k8s.io"
	istioNetworking = "networking.istio.io"
	coreGroup       = "core" // Istio accepts "" and "core" for Services
)

// The JSON shape of Istio's spec. Unknown keys are found separately (see
// unknownKeys) so a newer field is reported, not silently dropped.
type istioSpec struct {
	Selector   json.RawMessage  `json:"selector"`
	TargetRef  *istioTargetRef  `json:"targetRef"`
	TargetRefs []istioTargetRef `json:"targetRefs"`
	Action     string           `json:"action"`
	Provider   *struct {
		Name string `json:"name"`
	} `json:"provider"`
	Rules []json.RawMessage `json:"rules"`
}

type istioTargetRef struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type istioRule struct {
	From []struct {
		Source json.RawMessage `json:"source"`
	} `json:"from"`
	To []struct {
		Operation json.RawMessage `json:"operation"`
	} `json:"to"`
	When []ir.AuthorizationCondition `json:"when"`
}

// Fields each level understands (Istio's JSON names).
var (
	ruleFields      = []string{"from", "to", "when"}
	sourceFields    = jsonFields(ir.AuthorizationSource{})
	operationFields = jsonFields(ir.AuthorizationOperation{})
	conditionFields = []string{"key", "values", "notValues"}
)

// IstioPolicy is one AuthorizationPolicy as the controller read it.
type IstioPolicy struct {
	Namespace   string
	Name        string
	Annotations map[string]string
	// Spec is the JSON of .spec.
	Spec []byte
}

// FromIstio converts p for waypoints. It returns nil when no targetRef
// concerns a waypoint: selector-based policies (which waypoints ignore, as
// in Istio), targets of other kinds, and GatewayClass targets other than
// istio-waypoint in the root namespace. Which Gateway and Service targets
// are this waypoint's is the caller's to check (AuthorizationTarget names
// them). Fields wasp does not know become AuthorizationRule.Unsupported.
// Principals in the local trust domain ("cluster.local/...", the mesh's
// trust domain or an alias) are expanded to every local trust domain.
func FromIstio(p IstioPolicy, mesh Mesh) (*ir.AuthorizationPolicy, error) {
	rootNamespace := mesh.rootNamespace()
	var spec istioSpec
	if err := json.Unmarshal(p.Spec, &spec); err != nil {
		return nil, fmt.Errorf("authorization policy %s/%s: %w", p.Namespace, p.Name, err)
	}
	out := &ir.AuthorizationPolicy{Namespace: p.Namespace, Name: p.Name}
	refs := spec.TargetRefs
	if spec.TargetRef != nil { // deprecated singular form
		refs = append(refs, *spec.TargetRef)
	}
	for _, r := range refs {
		if t, ok := waypointTarget(r, p.Namespace, rootNamespace); ok {
			out.Targets = append(out.Targets, t)
		}
	}
	if len(out.Targets) == 0 {
		return nil, nil
	}
	switch a := ir.AuthorizationAction(spec.Action); a {
	case "", ir.AuthorizationAllow, ir.AuthorizationDeny, ir.AuthorizationAudit, ir.AuthorizationCustom:
		out.Action = a
	default:
		return nil, fmt.Errorf("authorization policy %s/%s: unknown action %q", p.Namespace, p.Name, spec.Action)
	}
	if spec.Provider != nil {
		out.Provider = spec.Provider.Name
	}
	// Istio treats an unparsable value as false (and logs it).
	out.DryRun, _ = strconv.ParseBool(p.Annotations[DryRunAnnotation])
	for i, raw := range spec.Rules {
		if string(raw) == "null" {
			continue // Istio skips a null rule
		}
		r, err := convertRule(raw)
		if err != nil {
			return nil, fmt.Errorf("authorization policy %s/%s rule %d: %w", p.Namespace, p.Name, i, err)
		}
		out.Rules = append(out.Rules, r)
	}
	mesh.expandTrustDomains(out)
	return out, nil
}

func waypointTarget(r istioTargetRef, policyNS, rootNS string) (ir.AuthorizationTarget, bool) {
	t := ir.AuthorizationTarget{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
	if t.Namespace == policyNS {
		t.Namespace = ""
	}
	switch {
	case r.Kind == ir.TargetGateway && r.Group == gatewayGroup:
		return t, true
	case r.Kind == ir.TargetGatewayClass && r.Group == gatewayGroup:
		return t, policyNS == rootNS && r.Name == WaypointGatewayClass
	case r.Kind == ir.TargetService && (r.Group == "" || r.Group == coreGroup):
		return t, true
	case r.Kind == ir.TargetServiceEntry && r.Group == istioNetworking:
		return t, true
	}
	return t, false
}

func convertRule(raw json.RawMessage) (ir.AuthorizationRule, error) {
	var out ir.AuthorizationRule
	var r istioRule
	if err := json.Unmarshal(raw, &r); err != nil {
		return out, err
	}
	unknown, err := unknownKeys(raw, ruleFields, "")
	if err != nil {
		return out, err
	}
	out.Unsupported = append(out.Unsupported, unknown...)
	for _, f := range r.From {
		var s ir.AuthorizationSource
		if len(f.Source) > 0 && string(f.Source) != "null" {
			if err := json.Unmarshal(f.Source, &s); err != nil {
				return out, fmt.Errorf("from.source: %w", err)
			}
			unknown, err := unknownKeys(f.Source, sourceFields, "from.source.")
			if err != nil {
				return out, err
			}
			out.Unsupported = append(out.Unsupported, unknown...)
		}
		out.From = append(out.From, s)
	}
	for _, t := range r.To {
		var o ir.AuthorizationOperation
		if len(t.Operation) > 0 && string(t.Operation) != "null" {
			if err := json.Unmarshal(t.Operation, &o); err != nil {
				return out, fmt.Errorf("to.operation: %w", err)
			}
			unknown, err := unknownKeys(t.Operation, operationFields, "to.operation.")
			if err != nil {
				return out, err
			}
			out.Unsupported = append(out.Unsupported, unknown...)
		}
		out.To = append(out.To, o)
	}
	out.When = r.When
	var whens []json.RawMessage
	if err := json.Unmarshal(raw, &struct {
		When *[]json.RawMessage `json:"when"`
	}{&whens}); err != nil {
		return out, err
	}
	for _, w := range whens {
		unknown, err := unknownKeys(w, conditionFields, "when.")
		if err != nil {
			return out, err
		}
		out.Unsupported = append(out.Unsupported, unknown...)
	}
	out.Unsupported = dedupSorted(out.Unsupported)
	return out, nil
}

// unknownKeys lists the keys of the JSON object raw not in known, prefixed.
func unknownKeys(raw json.RawMessage, known []string, prefix string) ([]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	var out []string
	for k := range m {
		if !slices.Contains(known, k) {
			out = append(out, prefix+k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// jsonFields lists the JSON names of a struct's fields (the IR uses
// Istio's names).
func jsonFields(v any) []string {
	var out []string
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

func dedupSorted(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	sort.Strings(in)
	out := in[:1]
	for _, s := range in[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}
