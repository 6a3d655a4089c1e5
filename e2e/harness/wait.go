package harness

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// pollEvery paces status polling: the controller writes within
// milliseconds, and the API server is on the same machine.
const pollEvery = 100 * time.Millisecond

// WaitObject polls an object until ready(obj) returns "" (ready) or ctx
// ends; the last reason is in the error.
func (a *Applier) WaitObject(ctx context.Context, apiVersion, kind, ns, name string, ready func(*unstructured.Unstructured) string) (*unstructured.Unstructured, error) {
	last := "not found"
	for {
		u, err := a.Get(ctx, apiVersion, kind, ns, name)
		if err == nil {
			if last = ready(u); last == "" {
				return u, nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s %s/%s: %s (%w)", kind, ns, name, last, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// Condition finds a condition of type typ in conds (a status conditions
// list), returning its status and reason.
func Condition(conds []any, typ string) (status, reason string, ok bool) {
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			r, _ := m["reason"].(string)
			return s, r, true
		}
	}
	return "", "", false
}

// Conditions returns status.conditions of obj.
func Conditions(obj *unstructured.Unstructured) []any {
	c, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	return c
}

// NodeID reads the xDS node ID from the bootstrap the controller wrote for
// a Gateway's proxy (ConfigMap <gateway>, key envoy.yaml): what Envoy
// would send.
func (a *Applier) NodeID(ctx context.Context, ns, gateway string) (string, error) {
	cm, err := a.WaitObject(ctx, "v1", "ConfigMap", ns, gateway, func(u *unstructured.Unstructured) string {
		if s, _, _ := unstructured.NestedString(u.Object, "data", "envoy.yaml"); s == "" {
			return "no envoy.yaml"
		}
		return ""
	})
	if err != nil {
		return "", err
	}
	boot, _, _ := unstructured.NestedString(cm.Object, "data", "envoy.yaml")
	var b struct {
		Node struct {
			ID string `json:"id"`
		} `json:"node"`
	}
	if err := yaml.Unmarshal([]byte(boot), &b); err != nil {
		return "", fmt.Errorf("bootstrap of %s/%s: %w", ns, gateway, err)
	}
	if b.Node.ID == "" {
		return "", fmt.Errorf("bootstrap of %s/%s has no node.id", ns, gateway)
	}
	return b.Node.ID, nil
}
