package envtest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/internal/controller"
	"wasp.dev/controller/internal/deploy"
	"wasp.dev/xds/proxyauth"
)

// caNamespace is where the suite keeps wasp's CA (the controller's own
// namespace in a cluster).
const caNamespace = "wasp-system"

// TestProxyCertificate: the controller writes each Gateway's proxy a
// certificate from wasp's CA naming that Gateway, in the Secret its
// Deployment mounts, and leaves it alone while it is valid.
func TestProxyCertificate(t *testing.T) {
	ensureSeeds(t)
	var first []byte
	eventually(t, "the waypoint's certificate Secret", func() error {
		var s corev1.Secret
		if err := get(t, "default", deploy.ProxyTLSSecretName("kgateway-waypoint"), &s); err != nil {
			return err
		}
		if s.Type != corev1.SecretTypeTLS || !bytes.Equal(s.Data[deploy.ProxyTLSCAKey], proxyCA.CertPEM) {
			return fmt.Errorf("secret type %s, CA %q", s.Type, s.Data[deploy.ProxyTLSCAKey])
		}
		if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].Kind != "Gateway" {
			return fmt.Errorf("owner %v", s.OwnerReferences)
		}
		b, _ := pem.Decode(s.Data[deploy.ProxyTLSCertKey])
		if b == nil {
			return fmt.Errorf("tls.crt is not PEM")
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return err
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: proxyCA.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			return err
		}
		if node, err := proxyauth.NodeOf(cert); err != nil || node != "default/kgateway-waypoint" {
			return fmt.Errorf("certificate names %q (%v)", node, err)
		}
		first = s.Data[deploy.ProxyTLSCertKey]
		return nil
	})
	eventually(t, "the proxy Deployment mounts its certificate Secret", func() error {
		var d appsv1.Deployment
		if err := get(t, "default", "kgateway-waypoint", &d); err != nil {
			return err
		}
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Secret != nil && v.Secret.SecretName == deploy.ProxyTLSSecretName("kgateway-waypoint") {
				return nil
			}
		}
		return fmt.Errorf("volumes %v", d.Spec.Template.Spec.Volumes)
	})

	// Another reconciliation (a Gateway label changes) keeps the
	// certificate: no churn while it is valid.
	var gw gwv1.Gateway
	if err := get(t, "default", "kgateway-waypoint", &gw); err != nil {
		t.Fatal(err)
	}
	if gw.Labels == nil {
		gw.Labels = map[string]string{}
	}
	gw.Labels["wasp.dev/test-touch"] = time.Now().Format("150405")
	if err := k8s.Update(context.Background(), &gw); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	var s corev1.Secret
	if err := get(t, "default", deploy.ProxyTLSSecretName("kgateway-waypoint"), &s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Data[deploy.ProxyTLSCertKey], first) {
		t.Error("a valid certificate was re-issued")
	}

	// The CA Secret is reused, not replaced, by a second start.
	again, err := controller.LoadOrCreateCA(context.Background(), k8s, caNamespace, controller.DefaultCASecretName)
	if err != nil || !again.Cert.Equal(proxyCA.Cert) {
		t.Fatalf("second LoadOrCreateCA: %v", err)
	}
}
