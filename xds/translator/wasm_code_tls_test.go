package translator

import (
	"strings"
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// TestHTTPSCodeServer: https module URLs make the code-server cluster
// speak TLS with the configured client identity and the URL's host as
// SNI; without a configured identity they are refused.
func TestHTTPSCodeServer(t *testing.T) {
	p := loadCase(t, "testdata/wasm-filters.in.yaml")
	for _, m := range p.WasmModules {
		m.URL = strings.Replace(m.URL, "http://", "https://", 1)
	}
	if _, err := Translate(p, Options{}); err == nil || !strings.Contains(err.Error(), "no code server TLS") {
		t.Fatalf("https without CodeServerTLS: %v", err)
	}
	codeTLS := &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: "proxy"}},
	}}
	res, err := Translate(p, Options{CodeServerTLS: codeTLS})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range res.Clusters {
		if !strings.HasPrefix(c.Name, WasmCodeClusterPrefix) {
			continue
		}
		seen++
		var got tlsv3.UpstreamTlsContext
		if err := c.GetTransportSocket().GetTypedConfig().UnmarshalTo(&got); err != nil {
			t.Fatalf("%s: transport socket: %v", c.Name, err)
		}
		if got.Sni != "wasp-controller.wasp-system.svc" || got.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()[0].GetName() != "proxy" {
			t.Errorf("%s: TLS %v", c.Name, &got)
		}
	}
	if seen == 0 {
		t.Fatal("no code-server cluster")
	}
	if codeTLS.Sni != "" {
		t.Error("Translate changed Options.CodeServerTLS")
	}
}
