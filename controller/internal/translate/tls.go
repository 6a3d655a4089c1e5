package translate

import (
	"crypto/tls"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// HTTPS listeners (TLS mode Terminate): each certificateRef must name a
// kubernetes.io/tls Secret, in the Gateway's namespace or in another one
// whose ReferenceGrant admits Gateways of this namespace. A listener with
// any bad reference reports ResolvedRefs=False (InvalidCertificateRef, or
// RefNotPermitted for a reference no grant allows) and is not programmed;
// the Gateway's other listeners are served. Certificates reach the proxy as
// SDS secrets named after the Secret (docs/policies.md "HTTPS listeners").

// certificateRefError is why a listener's certificates cannot be used.
type certificateRefError struct {
	reason gwv1.ListenerConditionReason
	msg    string
}

// resolveCertificates checks an HTTPS listener's TLS configuration and
// returns the names of its certificates, registering each in
// t.certificates.
func (t *translator) resolveCertificates(g *gatewayCtx, l gwv1.Listener) ([]string, *certificateRefError) {
	tc := l.TLS
	if tc == nil || len(tc.CertificateRefs) == 0 {
		return nil, &certificateRefError{gwv1.ListenerReasonInvalidCertificateRef, "an HTTPS listener needs tls.certificateRefs"}
	}
	if tc.Mode != nil && *tc.Mode != gwv1.TLSModeTerminate {
		return nil, &certificateRefError{gwv1.ListenerReasonInvalidCertificateRef, "an HTTPS listener terminates TLS: tls.mode must be Terminate"}
	}
	var names []string
	var bad []string
	notPermitted := false
	for _, ref := range tc.CertificateRefs {
		name, msg, permitted := t.certificate(g, ref)
		switch {
		case !permitted:
			notPermitted = true
			bad = append(bad, msg)
		case msg != "":
			bad = append(bad, msg)
		default:
			names = append(names, name)
		}
	}
	if len(bad) > 0 {
		reason := gwv1.ListenerReasonInvalidCertificateRef
		if notPermitted {
			reason = gwv1.ListenerReasonRefNotPermitted
		}
		return nil, &certificateRefError{reason, strings.Join(bad, "; ")}
	}
	return names, nil
}

// certificate resolves one certificateRef: its IR name, or why it is
// unusable (permitted false: no ReferenceGrant allows it). Messages name
// the Secret and what is wrong, never its content.
func (t *translator) certificate(g *gatewayCtx, ref gwv1.SecretObjectReference) (name, msg string, permitted bool) {
	group, kind, ns := "", "Secret", g.gw.Namespace
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	if group != "" || kind != "Secret" {
		return "", fmt.Sprintf("certificateRef %s/%s %s: only core Secrets are supported", group, kind, ref.Name), true
	}
	key := nsName{ns, string(ref.Name)}
	if ns != g.gw.Namespace && !t.grantAllows("Gateway", g.gw.Namespace, "Secret", ns, string(ref.Name)) {
		return "", fmt.Sprintf("no ReferenceGrant in namespace %s allows Gateways from %s to Secret %s", ns, g.gw.Namespace, ref.Name), false
	}
	s := t.x.secrets[key]
	if s == nil {
		// The controller sees only kubernetes.io/tls Secrets (secrets.go).
		return "", fmt.Sprintf("Secret %s not found (or not of type %s)", key, corev1.SecretTypeTLS), true
	}
	if c := t.certificates[key.String()]; c != nil {
		return c.Name, "", true
	}
	if problem := tlsSecretProblem(s); problem != "" {
		return "", fmt.Sprintf("Secret %s: %s", key, problem), true
	}
	c := &ir.TLSCertificate{
		Name:             key.String(),
		CertificateChain: string(s.Data[corev1.TLSCertKey]),
		PrivateKey:       ir.Sensitive(s.Data[corev1.TLSPrivateKeyKey]),
	}
	t.certificates[c.Name] = c
	return c.Name, "", true
}

// tlsSecretProblem says what makes a Secret unusable as a listener
// certificate: its type, or a certificate and key that do not parse or do
// not belong together (Envoy would refuse the listener otherwise).
func tlsSecretProblem(s *corev1.Secret) string {
	if s.Type != corev1.SecretTypeTLS {
		return fmt.Sprintf("type is %q, not %s", s.Type, corev1.SecretTypeTLS)
	}
	if _, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey]); err != nil {
		// crypto/tls errors describe the PEM structure, not key bytes.
		return "tls.crt and tls.key are not a valid certificate and matching key: " + err.Error()
	}
	return ""
}
