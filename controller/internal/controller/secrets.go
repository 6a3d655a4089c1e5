package controller

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Gateway certificates (docs/policies.md "HTTPS listeners"). The
// controller watches Secrets as metadata only, restricted to type
// kubernetes.io/tls by a field selector (cmd/wasp): its cache holds names
// and resourceVersions, never Secret data. The data of exactly the Secrets
// that HTTPS listeners of wasp's Gateways name is read with a direct GET,
// again only when the Secret's resourceVersion changed; a change to any
// other Secret does not even trigger a reconciliation (tlsSecrets.wanted).

// tlsSecrets holds the referenced Secrets last read, by namespace/name.
type tlsSecrets struct {
	reader client.Reader // the API server, uncached

	mu     sync.Mutex
	wanted map[types.NamespacedName]bool
	read   map[types.NamespacedName]*corev1.Secret
}

func newTLSSecrets(reader client.Reader) *tlsSecrets {
	return &tlsSecrets{reader: reader, wanted: map[types.NamespacedName]bool{}, read: map[types.NamespacedName]*corev1.Secret{}}
}

// isWanted says whether a Secret event concerns a referenced Secret.
func (s *tlsSecrets) isWanted(o client.Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wanted[types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}]
}

// certificateRefs are the core Secrets that HTTPS listeners of Gateways of
// classes handled by controllerName name.
func certificateRefs(classes []gwv1.GatewayClass, gateways []gwv1.Gateway, controllerName string) map[types.NamespacedName]bool {
	ours := map[string]bool{}
	for _, c := range classes {
		if string(c.Spec.ControllerName) == controllerName {
			ours[c.Name] = true
		}
	}
	refs := map[types.NamespacedName]bool{}
	for _, g := range gateways {
		if !ours[string(g.Spec.GatewayClassName)] {
			continue
		}
		for _, l := range g.Spec.Listeners {
			if l.TLS == nil {
				continue
			}
			for _, ref := range l.TLS.CertificateRefs {
				if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
					continue
				}
				ns := g.Namespace
				if ref.Namespace != nil {
					ns = string(*ref.Namespace)
				}
				refs[types.NamespacedName{Namespace: ns, Name: string(ref.Name)}] = true
			}
		}
	}
	return refs
}

// load returns the referenced Secrets that exist, reading through the
// metadata cache (meta) and getting the data only of new or changed ones.
// A Secret the translation is not allowed to use (no ReferenceGrant) is
// still read: the translation decides, and reports RefNotPermitted.
func (s *tlsSecrets) load(ctx context.Context, refs map[types.NamespacedName]bool, meta *metav1.PartialObjectMetadataList) ([]*corev1.Secret, error) {
	versions := map[types.NamespacedName]string{}
	for _, m := range meta.Items {
		versions[types.NamespacedName{Namespace: m.Namespace, Name: m.Name}] = m.ResourceVersion
	}
	s.mu.Lock()
	s.wanted = refs
	s.mu.Unlock()
	next := map[types.NamespacedName]*corev1.Secret{}
	var out []*corev1.Secret
	for key := range refs {
		rv, ok := versions[key]
		if !ok {
			continue // not there (or not kubernetes.io/tls): InvalidCertificateRef
		}
		sec := s.read[key]
		if sec == nil || sec.ResourceVersion != rv {
			sec = &corev1.Secret{}
			if err := s.reader.Get(ctx, key, sec); err != nil {
				if apierrors.IsNotFound(err) {
					continue
				}
				return nil, err
			}
		}
		next[key] = sec
		out = append(out, sec)
	}
	s.read = next // Secrets no longer referenced are forgotten
	return out, nil
}
