package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"wasp.dev/e2e/envoysim"
	"wasp.dev/e2e/harness"
)

// xdsTimeout bounds the wait for a snapshot with the wanted content.
const xdsTimeout = 90 * time.Second

func withTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// connectProxy reads the node ID from the Gateway's bootstrap and connects
// an ADS client as that proxy.
func connectProxy(t testing.TB, in *harness.Installation, ns, gateway string) *harness.ADSClient {
	t.Helper()
	node, err := in.Applier.NodeID(withTimeout(t, statusTimeout), ns, gateway)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := in.Applier.ProxyCredentials(withTimeout(t, statusTimeout), ns, gateway)
	if err != nil {
		t.Fatal(err)
	}
	c, err := harness.DialADS(context.Background(), in.Addr.XDS, node, creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// waitXDS waits for a snapshot satisfying ready and validates every
// message in it (nested Anys included).
func waitXDS(t testing.TB, c *harness.ADSClient, what string, ready func(*envoysim.Resources) bool) *envoysim.Resources {
	t.Helper()
	res, err := c.WaitFor(withTimeout(t, xdsTimeout), ready)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	if err := res.Validate(); err != nil {
		t.Fatalf("snapshot with %s does not validate: %v", what, err)
	}
	return res
}

func listenerOnPort(res *envoysim.Resources, port uint32) *listenerv3.Listener {
	for _, l := range res.Listeners {
		if l.GetAddress().GetSocketAddress().GetPortValue() == port {
			return l
		}
	}
	return nil
}

// newSim starts the Envoy simulation on a snapshot, fetching code through
// the chart Service's name as a proxy would. host carries state across
// config updates (nil: a new Envoy).
func newSim(t testing.TB, in *harness.Installation, ads *harness.ADSClient, res *envoysim.Resources, opts envoysim.Options) *envoysim.Proxy {
	t.Helper()
	if opts.Fetcher == nil {
		resolve, problems := resolveCode(in, res)
		for _, p := range problems {
			t.Log(p, "(TestSeedWaypointOllama/WasmURLsOnChartService reports it; mapped to the wasm server to go on)")
		}
		// The proxy fetches code with the certificate it dials xDS with.
		opts.Fetcher = &envoysim.Fetcher{Resolve: resolve, Dir: t.TempDir(), TLS: ads.Credentials()}
	}
	p, err := envoysim.New(context.Background(), res, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// codeResolve checks that every code URI in the snapshot is reachable the
// way a proxy reaches it: a DNS name and port of the chart's Service. A URI
// that is not is an error; it is then mapped to the controller's wasm
// listener anyway, so the rest of the test still runs.
func codeResolve(t testing.TB, in *harness.Installation, res *envoysim.Resources) map[string]string {
	t.Helper()
	resolve, problems := resolveCode(in, res)
	for _, p := range problems {
		t.Error(p)
	}
	return resolve
}

func resolveCode(in *harness.Installation, res *envoysim.Resources) (map[string]string, []string) {
	resolve := map[string]string{}
	for k, v := range in.Resolve {
		resolve[k] = v
	}
	var problems []string
	for _, raw := range envoysim.RemoteCodeURIs(res) {
		u, err := url.Parse(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("code URI %q: %v", raw, err))
			continue
		}
		if _, ok := resolve[u.Host]; !ok {
			problems = append(problems, fmt.Sprintf("code URI %s: %s is not a DNS name and port of the chart's Service (ports: %v): a proxy cannot fetch it", raw, u.Host, servicePorts(in)))
			resolve[u.Host] = in.Addr.Wasm
		}
	}
	return resolve, problems
}

// servicePorts lists the chart Service's ports (of its first DNS name).
func servicePorts(in *harness.Installation) []string {
	var out []string
	for k := range in.Resolve {
		if h, p, _ := strings.Cut(k, ":"); h == in.ServiceHosts[0] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// checkCode downloads every remote .wasm the snapshot names through the
// chart Service and compares its sha256 with the xDS.
func checkCode(t *testing.T, in *harness.Installation, ads *harness.ADSClient, p *envoysim.Proxy, res *envoysim.Resources) {
	t.Helper()
	resolve, _ := resolveCode(in, res) // newSim reported the problems
	f := &envoysim.Fetcher{Resolve: resolve, TLS: ads.Credentials()}
	client := fClient(f)
	seen := 0
	for chain, plugins := range p.Plugins() {
		for _, pl := range plugins {
			if !strings.HasPrefix(pl.CodeSource, "https://") {
				t.Errorf("%s %s: code is not served by the controller: %s", chain, pl.FilterName, pl.CodeSource)
				continue
			}
			resp, err := client.Get(pl.CodeSource)
			if err != nil {
				t.Errorf("GET %s: %v", pl.CodeSource, err)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sum := sha256.Sum256(b)
			if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != pl.CodeSHA256 {
				t.Errorf("GET %s: HTTP %d, sha256 %x; the xDS says %s", pl.CodeSource, resp.StatusCode, sum, pl.CodeSHA256)
			}
			seen++
		}
	}
	if seen == 0 {
		t.Error("no Wasm plugin in the snapshot")
	}
}

func fClient(f *envoysim.Fetcher) *http.Client { return f.HTTPClient() }
