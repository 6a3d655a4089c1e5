package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// proxyTLSDir is where a proxy pod mounts its certificate Secret (the
// bootstrap's SDS files name the files there).
const proxyTLSDir = "/etc/wasp/xds-tls"

// ProxyCredentials returns the TLS a proxy of Gateway ns/gateway dials the
// controller with, found the way its pod finds it: the Secret the
// Deployment mounts at /etc/wasp/xds-tls (tls.crt, tls.key, ca.crt) and
// the server name the bootstrap's xDS cluster sends (SNI) and checks.
func (a *Applier) ProxyCredentials(ctx context.Context, ns, gateway string) (*tls.Config, error) {
	var secret string
	_, err := a.WaitObject(ctx, "apps/v1", "Deployment", ns, gateway, func(u *unstructured.Unstructured) string {
		secret = mountedSecret(u)
		if secret == "" {
			return "no Secret mounted at " + proxyTLSDir
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	s, err := a.WaitObject(ctx, "v1", "Secret", ns, secret, func(u *unstructured.Unstructured) string {
		for _, k := range []string{"tls.crt", "tls.key", "ca.crt"} {
			if v, _, _ := unstructured.NestedString(u.Object, "data", k); v == "" {
				return "no " + k
			}
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	data := func(k string) []byte {
		v, _, _ := unstructured.NestedString(s.Object, "data", k)
		b, _ := base64.StdEncoding.DecodeString(v)
		return b
	}
	kp, err := tls.X509KeyPair(data("tls.crt"), data("tls.key"))
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", ns, secret, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data("ca.crt")) {
		return nil, fmt.Errorf("secret %s/%s: ca.crt holds no certificate", ns, secret)
	}
	sni, err := a.xdsServerName(ctx, ns, gateway)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp}, RootCAs: pool, ServerName: sni}, nil
}

// mountedSecret is the Secret a proxy Deployment mounts at proxyTLSDir.
func mountedSecret(u *unstructured.Unstructured) string {
	spec, _, _ := unstructured.NestedMap(u.Object, "spec", "template", "spec")
	containers, _ := spec["containers"].([]any)
	volumes, _ := spec["volumes"].([]any)
	for _, c := range containers {
		mounts, _ := c.(map[string]any)["volumeMounts"].([]any)
		for _, m := range mounts {
			mm, _ := m.(map[string]any)
			if mm["mountPath"] != proxyTLSDir {
				continue
			}
			for _, v := range volumes {
				vm, _ := v.(map[string]any)
				if vm["name"] == mm["name"] {
					name, _, _ := unstructured.NestedString(vm, "secret", "secretName")
					return name
				}
			}
		}
	}
	return ""
}

// xdsServerName is the SNI of the bootstrap's xDS cluster.
func (a *Applier) xdsServerName(ctx context.Context, ns, gateway string) (string, error) {
	cm, err := a.WaitObject(ctx, "v1", "ConfigMap", ns, gateway, func(*unstructured.Unstructured) string { return "" })
	if err != nil {
		return "", err
	}
	boot, _, _ := unstructured.NestedString(cm.Object, "data", "envoy.yaml")
	var b struct {
		StaticResources struct {
			Clusters []struct {
				Name            string `json:"name"`
				TransportSocket struct {
					TypedConfig struct {
						SNI string `json:"sni"`
					} `json:"typed_config"`
				} `json:"transport_socket"`
			} `json:"clusters"`
		} `json:"static_resources"`
	}
	if err := yaml.Unmarshal([]byte(boot), &b); err != nil {
		return "", fmt.Errorf("bootstrap of %s/%s: %w", ns, gateway, err)
	}
	for _, c := range b.StaticResources.Clusters {
		if c.Name == "wasp_xds" && c.TransportSocket.TypedConfig.SNI != "" {
			return c.TransportSocket.TypedConfig.SNI, nil
		}
	}
	return "", errors.New("bootstrap of " + ns + "/" + gateway + ": the xDS cluster sends no SNI (no TLS?)")
}
