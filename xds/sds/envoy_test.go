package sds

import (
	"flag"
	"slices"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

func TestBootstrapCluster(t *testing.T) {
	c, err := BootstrapCluster(DefaultAddress)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != BootstrapClusterName || c.GetType() != clusterv3.Cluster_STATIC {
		t.Errorf("cluster %s type %v, want STATIC %s", c.Name, c.GetType(), BootstrapClusterName)
	}
	sa := c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	if sa.GetAddress() != "127.0.0.1" || sa.GetPortValue() != 8234 {
		t.Errorf("endpoint %s:%d, want %s", sa.GetAddress(), sa.GetPortValue(), DefaultAddress)
	}
	var opts httpv3.HttpProtocolOptions
	if err := c.TypedExtensionProtocolOptions[httpProtocolOptionsKey].UnmarshalTo(&opts); err != nil {
		t.Fatal(err)
	}
	if opts.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.Error("gRPC needs HTTP/2 to the SDS cluster")
	}

	for _, bad := range []string{"localhost:8234", "127.0.0.1", "127.0.0.1:70000"} {
		if _, err := BootstrapCluster(bad); err == nil {
			t.Errorf("BootstrapCluster(%q) succeeded", bad)
		}
	}
}

func TestUpstreamTLSContextNamesServedSecrets(t *testing.T) {
	up, err := UpstreamTLSContext(OutboundSNI(8000, "httpbin", "httpbin"))
	if err != nil {
		t.Fatal(err)
	}
	ctc := up.GetCommonTlsContext()
	if !slices.Equal(ctc.GetAlpnProtocols(), []string{"istio"}) {
		t.Errorf("ALPN %v, want [istio]", ctc.GetAlpnProtocols())
	}
	refs := append(slices.Clone(ctc.GetTlsCertificateSdsSecretConfigs()), ctc.GetValidationContextSdsSecretConfig())
	var names []string
	for _, r := range refs {
		names = append(names, r.GetName())
		api := r.GetSdsConfig().GetApiConfigSource()
		if api.GetApiType() != corev3.ApiConfigSource_GRPC ||
			api.GetGrpcServices()[0].GetEnvoyGrpc().GetClusterName() != BootstrapClusterName {
			t.Errorf("secret %s is not fetched over gRPC from %s: %v", r.GetName(), BootstrapClusterName, api)
		}
	}
	if !slices.Equal(names, bothSecrets) {
		t.Errorf("secret names %v, want %v", names, bothSecrets)
	}
}

func TestRegisterFlags(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("sds", flag.ContinueOnError)
	o.RegisterFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if o.Address != DefaultAddress || o.CertDir != DefaultCertDir || o.PollInterval != DefaultPollInterval {
		t.Errorf("defaults %+v", o)
	}
	if err := fs.Parse([]string{"--address=127.0.0.1:9000", "--cert-dir=/certs", "--poll-interval=5s"}); err != nil {
		t.Fatal(err)
	}
	if o.Address != "127.0.0.1:9000" || o.CertDir != "/certs" || o.PollInterval != 5*time.Second {
		t.Errorf("parsed %+v", o)
	}
}
