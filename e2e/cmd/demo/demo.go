package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"wasp.dev/e2e/envoysim"
	"wasp.dev/e2e/harness"
	"wasp.dev/filters/wasmtest"
)

// Timeouts of the demo's waits, generous for two shared cores.
const (
	installTimeout = 6 * time.Minute
	statusTimeout  = 90 * time.Second
	xdsTimeout     = 90 * time.Second
)

// gateway is one Gateway of the seeds, and what to show of its proxy.
type gateway struct {
	ns, name string
	// ready says when the proxy's snapshot has what the seeds configure.
	ready func(*envoysim.Resources) bool
}

var gateways = []gateway{
	{"default", "kgateway-waypoint", hasText(`\"maxTokens\":3`)},
	{"bookinfo", "waypoint", hasText("10.96.20.10")},
	{"kgateway-system", "http", hasText("www.example.com")},
	{"istio-system", "istio-gateway", hasText("app.example.com")},
}

// podSuffix is what a Deployment appends to a pod's name (ReplicaSet hash,
// random suffix), fixed so that the demo prints the same every run.
const podSuffix = "-5d8f7c9b6-q4x2z"

// podName is the name of the proxy pod the Gateway's Deployment would run:
// Envoy's HOSTNAME there.
func podName(g gateway) string { return g.name + podSuffix }

func hasText(s string) func(*envoysim.Resources) bool {
	return func(r *envoysim.Resources) bool {
		return strings.Contains(fmt.Sprint(r.Listeners)+fmt.Sprint(r.Routes), s)
	}
}

type demo struct {
	ctx  context.Context
	tmp  string
	out  io.Writer
	once bool
	in   *harness.Installation
	root string
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.out, "\n==> "+format+"\n", args...)
}

func (d *demo) run() error {
	var err error
	if d.root, err = harness.RepoRoot(); err != nil {
		return err
	}
	d.step("Installing wasp on a real kube-apiserver + etcd (no cluster needed)")
	ictx, cancel := context.WithTimeout(d.ctx, installTimeout)
	defer cancel()
	log, err := os.Create(filepath.Join(d.tmp, "controller.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	d.in, err = harness.Install(ictx, harness.InstallOptions{
		Root: d.root, Dir: d.tmp, Assets: os.Getenv("KUBEBUILDER_ASSETS"), WaspBin: os.Getenv("WASP_BIN"),
		Logf:             func(f string, a ...any) { d.say("    "+f, a...) },
		ControllerOutput: func(b []byte) { log.Write(b) },
	})
	if err != nil {
		return err
	}
	for _, n := range d.in.Notes {
		d.say("    note: %s", n)
	}
	if len(d.in.FlagsDropped) > 0 {
		d.say("    note: the controller does not define these chart flags; started without them: %s", strings.Join(d.in.FlagsDropped, " "))
	}
	d.say("    controller log: %s", log.Name())

	d.step("Applying examples/seeds/ (kubectl apply --server-side)")
	files, err := seedFiles(d.root)
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		objs, err := d.in.Applier.Apply(d.ctx, b, "default", false)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.root, f)
		var names []string
		for _, o := range objs {
			names = append(names, strings.ToLower(o.GetKind())+"/"+o.GetName())
		}
		d.say("    %-48s %s", rel, strings.Join(names, ", "))
	}

	d.step("Gateway status (written by the controller)")
	for _, g := range gateways {
		if err := d.printGateway(g); err != nil {
			return err
		}
	}
	d.printPolicies()

	sims := map[string]*envoysim.Proxy{}
	for _, g := range gateways {
		d.step("Envoy config of proxy %s/%s, as received over ADS", g.ns, g.name)
		res, creds, err := d.fetchXDS(g)
		if err != nil {
			return err
		}
		printSummary(d.out, res)
		// The proxy fetches its code with the certificate it dials xDS with.
		fetcher := &envoysim.Fetcher{Resolve: d.resolve(res), Dir: d.tmp, TLS: creds}
		// Each proxy is its own Envoy (its own Host: shared data, clock).
		// Its environment holds HOSTNAME, the pod name, as in a pod: an
		// access log's %HOSTNAME% (host_env_keys) prints it.
		sim, err := envoysim.New(d.ctx, res, envoysim.Options{Fetcher: fetcher, Seed: 1,
			HostEnv: map[string]string{"HOSTNAME": podName(g)}})
		if err != nil {
			return fmt.Errorf("%s/%s: %w", g.ns, g.name, err)
		}
		defer sim.Close()
		sims[g.ns+"/"+g.name] = sim
	}

	d.step("kubectl exec deploy/client -- curl http://ollama:80/   (four times, through the waypoint)")
	d.say("    ztunnel hands each request to the waypoint on 15088 with a PROXY header: destination 10.96.238.187:80")
	wp := sims["default/kgateway-waypoint"]
	var logs []string
	for i := 1; i <= 4; i++ {
		ex, err := wp.Do(envoysim.Request{
			ListenerPort: 15088, Destination: netip.MustParseAddrPort("10.96.238.187:80"),
			Source: netip.MustParseAddrPort("10.244.0.11:51234"), Method: "GET", Path: "/", Authority: "ollama",
			Headers: [][2]string{{"user-agent", "curl/8.12.1"}, {"accept", "*/*"}},
		}, func(*envoysim.UpstreamCall) *wasmtest.Response {
			return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "text/plain"}}, Body: []byte("Ollama is running")}
		})
		if err != nil {
			return err
		}
		d.say("    #%d  HTTP/1.1 %d %s  body=%q%s", i, ex.Status(), statusText(ex.Status()), ex.Result.Response.Body, via(ex))
		for _, l := range ex.AccessLog {
			logs = append(logs, l.Path+": "+strings.TrimSuffix(l.Line, "\n"))
		}
	}
	d.step("Waypoint access log (HTTPListenerPolicy access-logging, the seed's JSON format)")
	for _, l := range logs {
		d.say("    %s", l)
	}

	d.step("GAMMA: 1000 requests to reviews:9080 (default: 90/10, bookinfo: 1:1)")
	d.split(wp, "10.96.10.10:9080", "reviews")
	d.split(sims["bookinfo/waypoint"], "10.96.20.10:9080", "reviews.bookinfo")

	d.step("Ingress: curl -H 'Host: www.example.com' http://<gateway>:8080/headers")
	for _, host := range []string{"www.example.com", "disable-automtls.example"} {
		ex, err := sims["kgateway-system/http"].Do(envoysim.Request{ListenerPort: 8080, Authority: host, Path: "/headers"}, nil)
		if err != nil {
			return err
		}
		d.say("    Host: %-26s -> %d %s%s", host, ex.Status(), statusText(ex.Status()), via(ex))
	}
	ex, err := sims["istio-system/istio-gateway"].Do(envoysim.Request{ListenerPort: 80, Authority: "app.example.com", Path: "/"}, nil)
	if err != nil {
		return err
	}
	d.say("    Host: %-26s -> %d, x-served-by: %s%s", "app.example.com", ex.Status(), ex.Result.Header("x-served-by"), via(ex))

	if d.once {
		d.step("Done (DEMO_ONCE=1): stopping")
		return nil
	}
	kc, err := d.in.API.AdminKubeconfig()
	if err == nil {
		p := filepath.Join(d.tmp, "admin.kubeconfig")
		if os.WriteFile(p, kc, 0o600) == nil {
			d.step("The control plane keeps running. Try: KUBECONFIG=%s kubectl get gateways -A", p)
		}
	}
	d.say("    Press Ctrl-C to stop and clean up.")
	<-d.ctx.Done()
	return nil
}

func via(ex *envoysim.Exchange) string {
	switch {
	case ex.Result.LocalReply != nil:
		return fmt.Sprintf("   (answered by %s)", ex.Result.LocalReply.Plugin)
	case ex.Endpoint != "":
		return fmt.Sprintf("   (route %s -> %s %s)", ex.Route, ex.Cluster, ex.Endpoint)
	case ex.Route == "":
		return "   (no route)"
	}
	return fmt.Sprintf("   (route %s)", ex.Route)
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 404:
		return "Not Found"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 503:
		return "Service Unavailable"
	}
	return ""
}

func (d *demo) split(sim *envoysim.Proxy, dst, authority string) {
	counts := map[string]int{}
	for range 1000 {
		ex, err := sim.Do(envoysim.Request{ListenerPort: 15088, Destination: netip.MustParseAddrPort(dst), Authority: authority}, nil)
		if err != nil {
			d.say("    %s: %v", dst, err)
			return
		}
		counts[ex.Cluster]++
	}
	d.say("    %s: %v", dst, counts)
}

func (d *demo) printGateway(g gateway) error {
	ctx, cancel := context.WithTimeout(d.ctx, statusTimeout)
	defer cancel()
	// Wait for the controller's verdict: Programmed once the proxy Service
	// it created exists; whatever it says by the timeout is printed.
	gw, err := d.in.Applier.WaitObject(ctx, "gateway.networking.k8s.io/v1", "Gateway", g.ns, g.name, func(u *unstructured.Unstructured) string {
		if s, r, _ := harness.Condition(harness.Conditions(u), "Programmed"); s != "True" {
			return "Programmed=" + s + " (" + r + ")"
		}
		return ""
	})
	if err != nil {
		if d.ctx.Err() != nil {
			return d.ctx.Err()
		}
		if gw, err = d.in.Applier.Get(d.ctx, "gateway.networking.k8s.io/v1", "Gateway", g.ns, g.name); err != nil {
			return err
		}
	}
	class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
	d.say("    %s/%s (class %s)", g.ns, g.name, class)
	addrs, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
	for _, a := range addrs {
		am, _ := a.(map[string]any)
		d.say("      address    %v %v", am["type"], am["value"])
	}
	for _, c := range harness.Conditions(gw) {
		cm, _ := c.(map[string]any)
		d.say("      condition  %-12v %-6v %v", cm["type"], cm["status"], cm["reason"])
	}
	ls, _, _ := unstructured.NestedSlice(gw.Object, "status", "listeners")
	for _, l := range ls {
		lm, _ := l.(map[string]any)
		s, r, _ := harness.Condition(asSlice(lm["conditions"]), "Accepted")
		d.say("      listener   %-12v attachedRoutes=%v Accepted=%s (%s)", lm["name"], lm["attachedRoutes"], s, r)
	}
	return nil
}

func (d *demo) printPolicies() {
	d.say("    policies:")
	for _, p := range []struct{ kind, ns, name string }{
		{"TrafficPolicy", "default", "ratelimit"}, {"HTTPListenerPolicy", "default", "access-logging"}, {"TrafficPolicy", "default", "canary-limits"},
	} {
		ctx, cancel := context.WithTimeout(d.ctx, statusTimeout)
		u, err := d.in.Applier.WaitObject(ctx, "gateway.kgateway.dev/v1alpha1", p.kind, p.ns, p.name, func(u *unstructured.Unstructured) string {
			if anc, _, _ := unstructured.NestedSlice(u.Object, "status", "ancestors"); len(anc) == 0 {
				return "no status.ancestors yet"
			}
			return ""
		})
		cancel()
		if err != nil {
			d.say("      %s %s/%s: %v", p.kind, p.ns, p.name, err)
			continue
		}
		anc, _, _ := unstructured.NestedSlice(u.Object, "status", "ancestors")
		for _, a := range anc {
			am, _ := a.(map[string]any)
			as, ar, _ := harness.Condition(asSlice(am["conditions"]), "Accepted")
			ts, tr, _ := harness.Condition(asSlice(am["conditions"]), "Attached")
			ref, _ := am["ancestorRef"].(map[string]any)
			d.say("      %s %s/%s -> %v %v: Accepted=%s (%s) Attached=%s (%s)", p.kind, p.ns, p.name, ref["kind"], ref["name"], as, ar, ts, tr)
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func (d *demo) fetchXDS(g gateway) (*envoysim.Resources, *tls.Config, error) {
	ctx, cancel := context.WithTimeout(d.ctx, xdsTimeout)
	defer cancel()
	node, err := d.in.Applier.NodeID(ctx, g.ns, g.name)
	if err != nil {
		return nil, nil, err
	}
	// Authenticated as the proxy's pod is: with the certificate Secret the
	// controller wrote and its Deployment mounts.
	creds, err := d.in.Applier.ProxyCredentials(ctx, g.ns, g.name)
	if err != nil {
		return nil, nil, err
	}
	c, err := harness.DialADS(d.ctx, d.in.Addr.XDS, node, creds)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	res, err := c.WaitFor(ctx, g.ready)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy %s: %w", node, err)
	}
	if err := res.Validate(); err != nil {
		return nil, nil, fmt.Errorf("proxy %s: %w", node, err)
	}
	d.say("    node %q, versions %v", node, shortVersions(c.Versions()))
	return res, creds, nil
}

func shortVersions(v map[string]string) string {
	var parts []string
	for _, t := range []string{"Listener", "RouteConfiguration", "Cluster", "ClusterLoadAssignment"} {
		for k, ver := range v {
			if strings.HasSuffix(k, "."+t) {
				if len(ver) > 8 {
					ver = ver[:8]
				}
				parts = append(parts, t+"="+ver)
			}
		}
	}
	return strings.Join(parts, " ")
}

// resolve maps the code URIs' host:port to the controller's wasm server as
// cluster DNS and the chart's Service would; a URI on a port the Service
// does not expose is mapped anyway and reported.
func (d *demo) resolve(res *envoysim.Resources) map[string]string {
	r := map[string]string{}
	for k, v := range d.in.Resolve {
		r[k] = v
	}
	for _, u := range envoysim.RemoteCodeURIs(res) {
		hostport := strings.SplitN(strings.TrimPrefix(u, "http://"), "/", 2)[0]
		if _, ok := r[hostport]; !ok {
			d.say("    warning: %s is not a port of the chart's Service; a real proxy could not fetch %s", hostport, u)
			r[hostport] = d.in.Addr.Wasm
		}
	}
	return r
}
