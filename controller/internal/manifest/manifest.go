// Package manifest reads Kubernetes manifests (multi-document YAML or JSON
// files, or directories of them) into a translate.Input, for `wasp
// translate` and the golden tests. Decoding is strict: an unknown or
// duplicated field is an error naming the file and document, as kubectl's
// server-side field validation would report it.
package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	"wasp.dev/controller/api/v1alpha1"
	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
	"wasp.dev/controller/internal/scheme"
	"wasp.dev/controller/internal/translate"
)

// DefaultNamespace is given to namespaced objects without one, as kubectl
// does with its default context.
const DefaultNamespace = "default"

// Result is what a load produced.
type Result struct {
	Input translate.Input
	// Other holds recognised objects translation does not read
	// (Deployments, ...), kept for callers that apply them.
	Other []runtime.Object
	// Skipped describes documents of kinds wasp does not know.
	Skipped []string

	admit Admit
}

var codecs = serializer.NewCodecFactory(scheme.New(), serializer.EnableStrict)

// Admit checks one document before it is decoded (obj is its JSON form):
// `wasp translate` passes the CRDs' admission rules (internal/admission).
// A non-nil error rejects the document, as the API server would.
type Admit func(gvk schema.GroupVersionKind, obj map[string]any) error

// LoadPaths reads every .yaml, .yml and .json file of the given files and
// directories (directories recursively, files in name order).
func LoadPaths(paths ...string) (*Result, error) { return LoadPathsAdmitted(nil, paths...) }

// LoadPathsAdmitted is LoadPaths with every document first checked by
// admit (nil admits everything).
func LoadPathsAdmitted(admit Admit, paths ...string) (*Result, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	res := &Result{admit: admit}
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		errs = append(errs, res.add(f, data)...)
	}
	return res, errors.Join(errs...)
}

// Load reads manifests from data (name is used in messages).
func Load(name string, data []byte) (*Result, error) {
	res := &Result{}
	return res, errors.Join(res.add(name, data)...)
}

func (r *Result) add(name string, data []byte) []error {
	var errs []error
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 1; ; doc++ {
		raw, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(errs, fmt.Errorf("%s: document %d: %w", name, doc, err))
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			continue
		}
		if err := r.addDoc(raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w", name, doc, err))
		}
	}
	return errs
}

func stripComments(b []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

func (r *Result) addDoc(raw []byte) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return fmt.Errorf("not a Kubernetes object: %w", err)
	}
	if meta.Kind == "" || meta.APIVersion == "" {
		return errors.New("missing apiVersion or kind")
	}
	if meta.Kind == "List" {
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if err := yaml.Unmarshal(raw, &list); err != nil {
			return err
		}
		for i, it := range list.Items {
			b, _ := yaml.Marshal(it)
			if err := r.addDoc(b); err != nil {
				return fmt.Errorf("items[%d]: %w", i, err)
			}
		}
		return nil
	}
	if u := istioObject(meta.APIVersion, meta.Kind); u != nil {
		return r.addIstio(raw, u)
	}
	if r.admit != nil {
		var m map[string]any
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return err
		}
		if err := r.admit(schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind), m); err != nil {
			return fmt.Errorf("%s %q: rejected at admission: %w", meta.Kind, meta.Metadata.Name, err)
		}
	}
	obj, _, err := codecs.UniversalDeserializer().Decode(raw, nil, nil)
	if err != nil {
		if runtime.IsNotRegisteredError(err) {
			r.Skipped = append(r.Skipped, fmt.Sprintf("%s %s (%s): not a kind wasp reads", meta.Kind, meta.Metadata.Name, meta.APIVersion))
			return nil
		}
		return fmt.Errorf("%s %q: %w", meta.Kind, meta.Metadata.Name, err)
	}
	if meta.Metadata.Name == "" {
		return fmt.Errorf("%s: metadata.name is required", meta.Kind)
	}
	in := &r.Input
	switch o := obj.(type) {
	case *gwv1.GatewayClass:
		in.GatewayClasses = append(in.GatewayClasses, o)
	case *gwv1beta1.GatewayClass:
		in.GatewayClasses = append(in.GatewayClasses, convert[gwv1.GatewayClass](o))
	case *gwv1.Gateway:
		in.Gateways = append(in.Gateways, defaultNS(o))
	case *gwv1beta1.Gateway:
		in.Gateways = append(in.Gateways, defaultNS(convert[gwv1.Gateway](o)))
	case *gwv1.HTTPRoute:
		in.HTTPRoutes = append(in.HTTPRoutes, defaultNS(o))
	case *gwv1beta1.HTTPRoute:
		in.HTTPRoutes = append(in.HTTPRoutes, defaultNS(convert[gwv1.HTTPRoute](o)))
	case *gwv1.ReferenceGrant:
		in.ReferenceGrants = append(in.ReferenceGrants, defaultNS(o))
	case *gwv1beta1.ReferenceGrant:
		in.ReferenceGrants = append(in.ReferenceGrants, defaultNS(convert[gwv1.ReferenceGrant](o)))
	case *corev1.Service:
		in.Services = append(in.Services, defaultNS(o))
	case *discoveryv1.EndpointSlice:
		in.EndpointSlices = append(in.EndpointSlices, defaultNS(o))
	case *corev1.Namespace:
		in.Namespaces = append(in.Namespaces, o)
	case *v1alpha1.TrafficPolicy:
		in.TrafficPolicies = append(in.TrafficPolicies, defaultNS(o))
	case *v1alpha1.HTTPListenerPolicy:
		in.HTTPListenerPolicies = append(in.HTTPListenerPolicies, defaultNS(o))
	case *corev1.Pod:
		// Only the metadata matters (the tlsMode label).
		o = defaultNS(o)
		in.Pods = append(in.Pods, &metav1.PartialObjectMetadata{TypeMeta: o.TypeMeta, ObjectMeta: o.ObjectMeta})
	case *v1alpha1.GatewayParameters:
		in.GatewayParameters = append(in.GatewayParameters, defaultNS(o))
	case *waspv1alpha1.WasmFilter:
		in.WasmFilters = append(in.WasmFilters, defaultNS(o))
	case *corev1.Secret:
		// TLS certificates of HTTPS listeners; printed only redacted.
		o = defaultNS(o)
		stringDataToData(o)
		in.Secrets = append(in.Secrets, o)
	default:
		r.Other = append(r.Other, obj)
	}
	return nil
}

type namespaced interface {
	GetNamespace() string
	SetNamespace(string)
}

func defaultNS[T namespaced](o T) T {
	if o.GetNamespace() == "" {
		o.SetNamespace(DefaultNamespace)
	}
	return o
}

// convert copies a v1beta1 Gateway API object into its v1 twin (the
// versions share one schema).
func convert[T any](from any) *T {
	var to T
	b, err := yaml.Marshal(from)
	if err == nil {
		err = yaml.Unmarshal(b, &to)
	}
	if err != nil {
		panic(fmt.Sprintf("manifest: convert %T: %v", from, err))
	}
	return &to
}

// stringDataToData merges stringData into data, as the API server does on
// write, so a hand-written manifest reads like the stored object.
func stringDataToData(s *corev1.Secret) {
	if len(s.StringData) == 0 {
		return
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
