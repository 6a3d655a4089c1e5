package manifest

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Istio's objects that translation reads are kept unstructured, as the
// controller watches them (wasp has no Go dependency on Istio's API).
const (
	istioSecurityGroup   = "security.istio.io"
	istioNetworkingGroup = "networking.istio.io"
)

// istioObject returns an empty unstructured object when apiVersion/kind is
// an AuthorizationPolicy or a ServiceEntry (any served version), else nil.
func istioObject(apiVersion, kind string) *unstructured.Unstructured {
	group, _, _ := strings.Cut(apiVersion, "/")
	if (group == istioSecurityGroup && kind == "AuthorizationPolicy") || (group == istioNetworkingGroup && kind == "ServiceEntry") {
		return &unstructured.Unstructured{}
	}
	return nil
}

func (r *Result) addIstio(raw []byte, u *unstructured.Unstructured) error {
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		return err
	}
	if u.GetName() == "" {
		return fmt.Errorf("%s: metadata.name is required", u.GetKind())
	}
	if u.GetNamespace() == "" {
		u.SetNamespace(DefaultNamespace)
	}
	if u.GetKind() == "AuthorizationPolicy" {
		r.Input.AuthorizationPolicies = append(r.Input.AuthorizationPolicies, u)
	} else {
		r.Input.ServiceEntries = append(r.Input.ServiceEntries, u)
	}
	return nil
}
