package translator

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	rawbufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/sds"
)

// socketFor picks an endpoint's transport socket the way Envoy does: the
// first transport_socket_match whose every key/value is in the endpoint's
// envoy.transport_socket_match metadata, else the cluster's own socket (nil
// is plaintext).
func socketFor(c *clusterv3.Cluster, le *endpointv3.LbEndpoint) *corev3.TransportSocket {
	md := le.GetMetadata().GetFilterMetadata()[transportSocketMatchKey].GetFields()
	for _, m := range c.TransportSocketMatches {
		ok := true
		for k, v := range m.GetMatch().GetFields() {
			if !proto.Equal(md[k], v) {
				ok = false
			}
		}
		if ok {
			return m.TransportSocket
		}
	}
	return c.TransportSocket
}

// upstreamTLS unpacks and validates a TLS socket's context; nil when s is
// plaintext (nil or raw_buffer).
func upstreamTLS(t *testing.T, where string, s *corev3.TransportSocket) *tlsv3.UpstreamTlsContext {
	t.Helper()
	if s == nil {
		return nil
	}
	switch s.Name {
	case rawBufferTransportSocket:
		var rb rawbufferv3.RawBuffer
		if err := s.GetTypedConfig().UnmarshalTo(&rb); err != nil {
			t.Fatalf("%s: raw_buffer config: %v", where, err)
		}
		return nil
	case tlsTransportSocket:
		var tc tlsv3.UpstreamTlsContext
		if err := s.GetTypedConfig().UnmarshalTo(&tc); err != nil {
			t.Fatalf("%s: tls config: %v", where, err)
		}
		if err := tc.ValidateAll(); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		return &tc
	}
	t.Fatalf("%s: unexpected transport socket %q", where, s.Name)
	return nil
}

// TestIstioAutoMTLSEndpointSockets checks the goldens the way Envoy would
// use them: which socket each endpoint gets, and what the TLS one sends.
func TestIstioAutoMTLSEndpointSockets(t *testing.T) {
	// case → cluster → endpoint address → SNI ("" = plaintext).
	want := map[string]map[string]map[string]string{
		"istio-automtls": {
			"httpbin/httpbin:8000": {
				"10.0.2.1": "outbound_.8000_._.httpbin.httpbin.svc.cluster.local",
				"10.0.2.2": "",
			},
			"default/reviews:9080": {"10.0.3.1": ""},
		},
		"istio-automtls-optout": {
			"httpbin/httpbin:8000": {
				"10.0.2.1": "outbound_.8000_._.httpbin.httpbin.svc.cluster.local",
				"10.0.2.3": "outbound_.8000_._.httpbin.httpbin.svc.cluster.local",
			},
			"httpbin/httpbin-plaintext:8000": {"10.0.2.1": "", "10.0.2.3": ""},
		},
		"istio-integration-off": {
			"httpbin/httpbin:8000": {"10.0.2.1": "", "10.0.2.2": ""},
		},
	}
	for name, clusters := range want {
		t.Run(name, func(t *testing.T) {
			res, err := Translate(loadCase(t, "testdata/"+name+".in.yaml"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*clusterv3.Cluster{}
			for _, c := range res.Clusters {
				byName[c.Name] = c
			}
			seen := 0
			for _, cla := range res.Endpoints {
				c := byName[cla.ClusterName]
				for _, lle := range cla.Endpoints {
					for _, le := range lle.LbEndpoints {
						addr := le.GetEndpoint().GetAddress().GetSocketAddress().GetAddress()
						sni, ok := clusters[c.Name][addr]
						if !ok {
							t.Fatalf("unexpected endpoint %s in %s", addr, c.Name)
						}
						seen++
						tc := upstreamTLS(t, c.Name+" "+addr, socketFor(c, le))
						if sni == "" {
							if tc != nil {
								t.Errorf("%s %s: TLS (sni %q), want plaintext", c.Name, addr, tc.Sni)
							}
							continue
						}
						if tc == nil {
							t.Errorf("%s %s: plaintext, want Istio mTLS", c.Name, addr)
							continue
						}
						checkIstioTLS(t, c.Name+" "+addr, tc, sni)
					}
				}
			}
			total := 0
			for _, eps := range clusters {
				total += len(eps)
			}
			if seen != total {
				t.Fatalf("saw %d endpoints, want %d", seen, total)
			}
		})
	}
}

// checkIstioTLS spells out the contract with `wasp sds` and the
// destination sidecar in literals, so a change to either side shows here.
func checkIstioTLS(t *testing.T, where string, tc *tlsv3.UpstreamTlsContext, sni string) {
	t.Helper()
	if tc.Sni != sni {
		t.Errorf("%s: sni %q, want %q", where, tc.Sni, sni)
	}
	ctx := tc.CommonTlsContext
	if !slices.Equal(ctx.AlpnProtocols, []string{"istio"}) {
		t.Errorf("%s: alpn %v, want [istio]", where, ctx.AlpnProtocols)
	}
	certs := ctx.TlsCertificateSdsSecretConfigs
	if len(certs) != 1 || certs[0].Name != "istio_server_cert" {
		t.Fatalf("%s: certificate secrets %v", where, certs)
	}
	vc := ctx.GetValidationContextSdsSecretConfig()
	if vc.GetName() != "istio_validation_context" {
		t.Errorf("%s: validation context secret %q", where, vc.GetName())
	}
	for _, sc := range []*tlsv3.SdsSecretConfig{certs[0], vc} {
		gs := sc.GetSdsConfig().GetApiConfigSource().GetGrpcServices()
		if len(gs) != 1 || gs[0].GetEnvoyGrpc().GetClusterName() != "gateway_proxy_sds" {
			t.Errorf("%s: secret %s not fetched from cluster gateway_proxy_sds: %v", where, sc.Name, gs)
		}
	}
}

// TestIstioMatchesFollowTheIR checks every golden: a cluster has the two
// matches (mTLS first, catch-all {} last) exactly when the proxy's
// integration applies to its backend, and an endpoint carries metadata
// exactly when its cluster has them and its pod is sidecar-injected.
// Nothing else anywhere carries a transport socket.
func TestIstioMatchesFollowTheIR(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.yaml")
	withMatches := 0
	for _, in := range ins {
		p := loadCase(t, in)
		res, err := Translate(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		backends := map[string]*ir.Backend{}
		for _, b := range p.Backends {
			backends[b.Name] = b
		}
		for _, c := range res.Clusters {
			if c.TransportSocket != nil {
				t.Errorf("%s: cluster %s has a cluster-wide transport socket", in, c.Name)
			}
			b := backends[c.Name]
			if b == nil || !p.IstioAutoMTLS(b) {
				if len(c.TransportSocketMatches) != 0 {
					t.Errorf("%s: cluster %s has transport socket matches without Istio auto mTLS", in, c.Name)
				}
				continue
			}
			withMatches++
			m := c.TransportSocketMatches
			if len(m) != 2 {
				t.Fatalf("%s: cluster %s: %d matches, want 2", in, c.Name, len(m))
			}
			if got := m[0].Match.AsMap(); len(got) != 1 || got["tlsMode"] != "istio" {
				t.Errorf("%s: cluster %s: first match %v, want {tlsMode: istio}", in, c.Name, got)
			}
			want, err := sds.UpstreamTLSContext(sds.OutboundSNI(b.Service.Port, b.Service.Name, b.Service.Namespace))
			if err != nil {
				t.Fatal(err)
			}
			if got := upstreamTLS(t, c.Name, m[0].TransportSocket); !proto.Equal(got, want) {
				t.Errorf("%s: cluster %s: mTLS context differs from sds.UpstreamTLSContext:\n got %v\nwant %v", in, c.Name, got, want)
			}
			if m[1].Match == nil || len(m[1].Match.Fields) != 0 {
				t.Errorf("%s: cluster %s: last match %v, want the catch-all {}", in, c.Name, m[1].Match)
			}
			if upstreamTLS(t, c.Name, m[1].TransportSocket) != nil || m[1].TransportSocket.Name != rawBufferTransportSocket {
				t.Errorf("%s: cluster %s: catch-all is not plaintext", in, c.Name)
			}
		}
		for _, cla := range res.Endpoints {
			b := backends[cla.ClusterName]
			marked := map[string]bool{}
			if b != nil && p.IstioAutoMTLS(b) {
				for _, e := range b.Endpoints {
					marked[e.Address] = e.TLSMode == ir.TLSModeIstio
				}
			}
			for _, lle := range cla.Endpoints {
				for _, le := range lle.LbEndpoints {
					addr := le.GetEndpoint().GetAddress().GetSocketAddress().GetAddress()
					if has := le.Metadata != nil; has != marked[addr] {
						t.Errorf("%s: %s endpoint %s: metadata %v, want it: %v", in, cla.ClusterName, addr, le.Metadata, marked[addr])
					}
				}
			}
		}
	}
	if withMatches < 3 {
		t.Fatalf("only %d clusters with Istio matches across the goldens: the istio-* cases are missing", withMatches)
	}
}

// TestIstioAutoMTLSOffIsNoIntegration: an integration with autoMtls off
// translates exactly like no integration, and a backend that is not a
// Service (no SNI to send) stays plaintext even with autoMtls on.
func TestIstioAutoMTLSOffIsNoIntegration(t *testing.T) {
	yamlOf := func(p *ir.Proxy) string {
		res, err := Translate(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.YAML()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	on := loadCase(t, "testdata/istio-automtls.in.yaml")
	off := loadCase(t, "testdata/istio-automtls.in.yaml")
	off.IstioIntegration.AutoMTLS = false
	none := loadCase(t, "testdata/istio-automtls.in.yaml")
	none.IstioIntegration = nil
	if yamlOf(off) != yamlOf(none) {
		t.Fatal("autoMtls: false differs from no integration")
	}
	if strings.Contains(yamlOf(none), "transport_socket") || strings.Contains(yamlOf(none), transportSocketMatchKey) {
		t.Fatal("no integration, yet TLS config is emitted")
	}
	if !strings.Contains(yamlOf(on), transportSocketMatchKey) {
		t.Fatal("autoMtls on emits no endpoint metadata")
	}

	on.Backends[1].Service = nil // httpbin/httpbin:8000 as a non-Service backend
	res, err := Translate(on, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Clusters {
		if c.Name == "httpbin/httpbin:8000" && len(c.TransportSocketMatches) != 0 {
			t.Fatal("a backend without a Service got Istio matches")
		}
	}
}

func TestIstioIRErrorsNameTheCulprit(t *testing.T) {
	cases := map[string]struct {
		mutate func(*ir.Proxy)
		want   string
	}{
		"unknown tlsMode": {func(p *ir.Proxy) {
			p.Backends[1].Endpoints[1].TLSMode = "disabled"
		}, `backend httpbin/httpbin:8000 endpoint 10.0.2.2:8080: unknown tlsMode "disabled"`},
		"service without port": {func(p *ir.Proxy) {
			p.Backends[1].Service.Port = 0
		}, `backend httpbin/httpbin:8000: Istio auto mTLS needs the service's namespace, name and port`},
		"name too long for an SNI": {func(p *ir.Proxy) {
			p.Backends[1].Service.Name = strings.Repeat("x", 250)
		}, `backend httpbin/httpbin:8000: istio upstream tls context`},
		"waypoint with integration": {func(p *ir.Proxy) {
			p.Kind, p.Listeners, p.Waypoint = ir.KindWaypoint, nil, &ir.Waypoint{}
		}, `istioIntegration is for ingress proxies, not waypoints`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadCase(t, "testdata/istio-automtls.in.yaml")
			c.mutate(p)
			res, err := Translate(p, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Translate() error = %v, want it to contain %q", err, c.want)
			}
			if res != nil {
				t.Fatal("Translate returned resources along with an error")
			}
		})
	}
}
