// Package admission validates objects of wasp's CRDs (gateway.kgateway.dev
// and wasp.dev) offline the way the API server does at admission: the
// CRD's OpenAPI schema (types, enums, patterns, lengths, item counts) and
// its x-kubernetes-validations CEL rules, with the API server's own
// libraries (k8s.io/apiextensions-apiserver, docs/adr/0006-offline-admission.md). `wasp
// translate` runs it so offline output never accepts what admission
// rejects. Only create-time rules apply: there is no old object offline.
package admission

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"wasp.dev/controller/config/crd"
)

// Validator holds the compiled schema of every served CRD version.
type Validator struct {
	kinds map[schema.GroupVersionKind]*version
}

type version struct {
	openAPI validation.SchemaValidator
	cel     *cel.Validator
	// structural is nil when the version has no CEL rules.
	structural *structuralschema.Structural
}

// New compiles the CRDs embedded from config/crd/bases.
func New() (*Validator, error) {
	v := &Validator{kinds: map[schema.GroupVersionKind]*version{}}
	files, err := fs.Glob(crd.Bases, "bases/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(crd.Bases, f)
		if err != nil {
			return nil, err
		}
		if err := v.add(b); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(f), err)
		}
	}
	return v, nil
}

func (v *Validator) add(b []byte) error {
	var def apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &def); err != nil {
		return err
	}
	for _, ver := range def.Spec.Versions {
		if !ver.Served || ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
			continue
		}
		var internal apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(ver.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			return err
		}
		openAPI, _, err := validation.NewSchemaValidator(&internal)
		if err != nil {
			return err
		}
		s, err := structuralschema.NewStructural(&internal)
		if err != nil {
			return err
		}
		gvk := schema.GroupVersionKind{Group: def.Spec.Group, Version: ver.Name, Kind: def.Spec.Names.Kind}
		v.kinds[gvk] = &version{openAPI: openAPI, structural: s, cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
	}
	return nil
}

// Knows says whether gvk is one of the validated kinds.
func (v *Validator) Knows(gvk schema.GroupVersionKind) bool { return v.kinds[gvk] != nil }

// Validate checks obj (a decoded JSON object) of kind gvk; kinds Knows
// does not know pass. The error lists every violation, each naming its
// field, as the API server's "is invalid" response does.
func (v *Validator) Validate(gvk schema.GroupVersionKind, obj map[string]any) error {
	ver := v.kinds[gvk]
	if ver == nil {
		return nil
	}
	errs := validation.ValidateCustomResource(nil, obj, ver.openAPI)
	if len(errs) == 0 && ver.cel != nil {
		// CEL rules assume a schema-valid object, as in the API server.
		celErrs, _ := ver.cel.Validate(context.Background(), nil, ver.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New(errs.ToAggregate().Error())
}
