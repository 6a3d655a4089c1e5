package controller

import (
	"bytes"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/internal/deploy"
	"wasp.dev/xds/proxyauth"
)

// Proxy certificates (docs/security.md): each Gateway's proxy gets a
// client certificate from wasp's CA naming that Gateway, in the Secret
// its pod mounts. The Secret is read uncached by name (no list or watch
// of Secrets) and rewritten only when missing, signed by another CA, for
// another Gateway, or past two thirds of its life; the reconciler comes
// back when the earliest one is due.

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;update;patch;delete

// ensureProxyCertificate keeps gw's certificate Secret current and returns
// when it is next due for renewal (zero without a CA: --insecure-xds).
func (r *Reconciler) ensureProxyCertificate(ctx context.Context, gw *gwv1.Gateway, now time.Time) (time.Time, error) {
	ca := r.opts.ProxyCA
	if ca == nil {
		return time.Time{}, nil
	}
	node := gw.Namespace + "/" + gw.Name
	var cur corev1.Secret
	err := r.reader.Get(ctx, client.ObjectKey{Namespace: gw.Namespace, Name: deploy.ProxyTLSSecretName(gw.Name)}, &cur)
	switch {
	case err == nil:
		if bytes.Equal(cur.Data[deploy.ProxyTLSCAKey], ca.CertPEM) {
			if due, err := ca.CheckProxy(cur.Data[deploy.ProxyTLSCertKey], node, now); err == nil {
				return due, nil
			}
		}
	case !apierrors.IsNotFound(err):
		return time.Time{}, err
	}
	leaf, err := ca.IssueProxy(node, now)
	if err != nil {
		return time.Time{}, err
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: deploy.ProxyTLSSecretName(gw.Name), Namespace: gw.Namespace,
			Labels: map[string]string{deploy.LabelGatewayName: gw.Name, deploy.LabelManagedBy: deploy.ManagedByValue},
		},
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{
			deploy.ProxyTLSCertKey: leaf.CertPEM,
			deploy.ProxyTLSKeyKey:  leaf.KeyPEM,
			deploy.ProxyTLSCAKey:   ca.CertPEM,
		},
	}
	if err := r.apply(ctx, gw, s); err != nil {
		return time.Time{}, err
	}
	r.log.Info("proxy certificate issued", "gateway", node, "notAfter", leaf.NotAfter)
	return proxyauth.RenewAt(leaf.NotBefore, leaf.NotAfter), nil
}

// deleteProxyCertificate removes the certificate of a proxy wasp no
// longer runs (its Gateway left wasp's classes).
func (r *Reconciler) deleteProxyCertificate(ctx context.Context, namespace, gateway string) error {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: deploy.ProxyTLSSecretName(gateway)}}
	return client.IgnoreNotFound(r.client.Delete(ctx, s))
}

// renewalRetry bounds how long the reconciler sleeps: a missed renewal is
// retried well within the certificate's remaining third.
const renewalRetry = time.Hour

func requeueForRenewal(earliest, now time.Time) time.Duration {
	if earliest.IsZero() {
		return 0
	}
	d := earliest.Sub(now)
	if d < time.Second {
		d = time.Second
	}
	return min(d, renewalRetry)
}

// DefaultCASecretName is the Secret, in the controller's namespace, that
// holds wasp's CA (certificate and key).
const DefaultCASecretName = "wasp-proxy-ca"

// LoadOrCreateCA reads wasp's CA from the Secret name in namespace, or
// creates it there. Replicas starting together race on the create; the
// losers read the winner's CA, so every replica trusts the same one.
func LoadOrCreateCA(ctx context.Context, c client.Client, namespace, name string) (*proxyauth.CA, error) {
	key := client.ObjectKey{Namespace: namespace, Name: name}
	for range 3 {
		var s corev1.Secret
		err := c.Get(ctx, key, &s)
		if err == nil {
			ca, err := proxyauth.ParseCA(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
			if err != nil {
				return nil, fmt.Errorf("secret %s: %w", key, err)
			}
			return ca, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, err
		}
		ca, err := proxyauth.NewCA(time.Now())
		if err != nil {
			return nil, err
		}
		s = corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{deploy.LabelManagedBy: deploy.ManagedByValue}},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{corev1.TLSCertKey: ca.CertPEM, corev1.TLSPrivateKeyKey: ca.KeyPEM},
		}
		if err := c.Create(ctx, &s); err == nil {
			return ca, nil
		} else if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("secret %s: created and deleted concurrently", key)
}
