package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"slices"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"wasp.dev/controller/internal/controller"
	"wasp.dev/controller/internal/scheme"
	"wasp.dev/xds/proxyauth"
)

// proxyAuth is how the xDS and .wasm servers authenticate proxies
// (docs/security.md): wasp's CA and the servers' TLS configuration, or
// neither with --insecure-xds.
type proxyAuth struct {
	ca  *proxyauth.CA
	tls *tls.Config
}

// proxyAuthentication loads (or creates) wasp's CA from its Secret and
// builds the servers' TLS: a serving certificate for hosts from the CA,
// client certificates from the CA required.
func proxyAuthentication(ctx context.Context, cfg *rest.Config, namespace, secret string, insecure bool, hosts []string) (proxyAuth, error) {
	if insecure {
		return proxyAuth{}, nil
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return proxyAuth{}, err
	}
	ca, err := controller.LoadOrCreateCA(ctx, c, namespace, secret)
	if err != nil {
		return proxyAuth{}, fmt.Errorf("wasp's proxy CA (Secret %s/%s): %w", namespace, secret, err)
	}
	slices.Sort(hosts)
	return proxyAuth{ca: ca, tls: ca.Serving(slices.Compact(hosts)).TLS()}, nil
}

// urlHost is the host name of a URL.
func urlHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	return u.Hostname(), nil
}
