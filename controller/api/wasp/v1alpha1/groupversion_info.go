package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupName is wasp's own API group, for kinds kgateway has no equivalent
// of.
const GroupName = "wasp.dev"

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// KindWasmFilter is the kind name, used in status and events.
const KindWasmFilter = "WasmFilter"

func init() {
	SchemeBuilder.Register(&WasmFilter{}, &WasmFilterList{})
}
