package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"wasp.dev/controller/internal/controller"
	"wasp.dev/controller/internal/deploy"
	"wasp.dev/controller/internal/metricsauth"
	"wasp.dev/controller/internal/scheme"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/controller/internal/wasmserver"
	"wasp.dev/controller/internal/wasmsource"
	"wasp.dev/xds/ir"
	"wasp.dev/xds/server"
	"wasp.dev/xds/translator"
)

// Ports of the controller's servers (defaults; the chart's Service maps them).
const (
	defaultXDSPort  = 18000
	defaultWasmPort = 8082
	// Metrics stay on loopback unless the operator exposes them (chart
	// value controller.metrics.expose, which adds --metrics-secure): they
	// describe every tenant's traffic.
	defaultMetricsAddr = "127.0.0.1:8080"
	defaultProbeAddr   = ":8081"
	// shutdownGrace bounds how long servers drain on exit.
	shutdownGrace = 10 * time.Second
	// defaultWasmCacheBytes holds a few dozen Go-built filters (~3 MiB each).
	defaultWasmCacheBytes = 256 << 20
)

func runController(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf translateFlags
	tf.register(fs)
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "wasp-system"
	}
	metricsAddr := fs.String("metrics-bind-address", defaultMetricsAddr, "address of the Prometheus metrics endpoint (0 disables)")
	metricsSecure := fs.Bool("metrics-secure", false, "serve metrics over HTTPS only to bearer tokens the API server authenticates (TokenReview) and authorizes for the path (SubjectAccessReview, e.g. get /metrics)")
	insecureXDS := fs.Bool("insecure-xds", false, "INSECURE, local development only: serve xDS and .wasm in plaintext to anyone, and give proxies no certificate")
	caSecret := fs.String("ca-secret", controller.DefaultCASecretName, "Secret in the controller's namespace holding wasp's proxy CA (created if missing)")
	probeAddr := fs.String("health-probe-bind-address", defaultProbeAddr, "address of /healthz and /readyz")
	leaderElect := fs.Bool("leader-elect", true, "elect a leader among replicas; only the leader writes status and proxy objects")
	xdsAddr := fs.String("xds-bind-address", fmt.Sprintf(":%d", defaultXDSPort), "address of the xDS (ADS) gRPC server")
	xdsHost := fs.String("xds-host", "wasp-controller."+ns+".svc", "host name proxies dial for xDS")
	xdsPort := fs.Int("xds-port", defaultXDSPort, "port proxies dial for xDS")
	wasmAddr := fs.String("wasm-bind-address", fmt.Sprintf(":%d", defaultWasmPort), "address of the .wasm HTTP server")
	wasmURL := fs.String("wasm-base-url", "", "URL proxies fetch .wasm from (default https://<xds-host>:8082; http with --insecure-xds)")
	wasmDir := fs.String("wasm-dir", "", "directory of the built-in filters' .wasm (default: those embedded in the binary)")
	wasmCacheDir := fs.String("wasm-cache-dir", "", "directory of the WasmFilter module cache (content-addressed, LRU); default: a temporary directory removed at exit")
	wasmCacheBytes := fs.Int64("wasm-cache-max-bytes", defaultWasmCacheBytes, "size bound of the WasmFilter module cache")
	wasmMaxModule := fs.Int64("wasm-max-module-bytes", wasmsource.DefaultMaxModuleBytes, "largest WasmFilter module accepted (TooLarge past it)")
	fetchAllowed := fs.String(wasmsource.FlagAllowedCIDRs, "", "comma-separated CIDRs WasmFilter fetches may connect to whatever they are (loopback, link-local, private); e.g. an in-cluster registry's Service range")
	fetchPrivate := fs.Bool(wasmsource.FlagAllowPrivateNetworks, false, "let WasmFilter fetches connect to private-network addresses (RFC 1918, 100.64.0.0/10, fc00::/7)")
	fetchDenied := fs.String(wasmsource.FlagDeniedCIDRs, "", "comma-separated CIDRs WasmFilter fetches never connect to, whatever else allows them (e.g. public Pod or Service ranges)")
	proxyImage := fs.String("proxy-image", deploy.DefaultImage, "Envoy image of the proxies (GatewayParameters override it)")
	waspImage := fs.String("wasp-image", deploy.DefaultWaspImage, "this binary's image, run as `wasp sds` in ingress pods with the Istio integration")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	slogger, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "wasp controller: %v\n", err)
		return 2
	}
	if d := tf.accessLogDir; !path.IsAbs(d) || path.Clean(d) != d || d == "/" {
		fmt.Fprintf(stderr, "wasp controller: --access-log-dir %q: want a clean absolute directory other than /\n", d)
		return 2
	}
	log := ctrl.Log.WithName("wasp")

	wasm, err := wasmserver.Load(*wasmDir)
	if err != nil {
		log.Error(err, "loading .wasm modules")
		return 1
	}
	if *wasmURL == "" {
		scheme := "https"
		if *insecureXDS {
			scheme = "http"
		}
		*wasmURL = fmt.Sprintf("%s://%s:%d", scheme, *xdsHost, defaultWasmPort)
	}
	wasmHost, err := urlHost(*wasmURL)
	if err != nil {
		log.Error(err, "--wasm-base-url")
		return 1
	}
	topts := tf.options()
	if mods := wasm.IRModules(*wasmURL); len(mods) > 0 {
		topts.WasmModules = mods
	} else {
		log.Info("no .wasm modules embedded or in --wasm-dir; proxies load filters from files", "dir", "/etc/wasp/filters")
	}

	if *wasmCacheDir == "" {
		// Per process: two controllers on one machine (tests, demos) must
		// not share a cache directory.
		d, err := os.MkdirTemp("", "wasp-wasm-cache-")
		if err != nil {
			log.Error(err, "creating the WasmFilter module cache directory")
			return 1
		}
		defer os.RemoveAll(d)
		*wasmCacheDir = d
	}
	inUse := controller.NewModuleSet()
	wasmCache, err := wasmsource.OpenCache(wasmsource.CacheOptions{Dir: *wasmCacheDir, MaxBytes: *wasmCacheBytes, InUse: inUse.Has})
	if err != nil {
		log.Error(err, "opening the WasmFilter module cache")
		return 1
	}
	fetchAddresses, err := fetchAddressPolicy(*fetchAllowed, *fetchPrivate, *fetchDenied)
	if err != nil {
		log.Error(err, "WasmFilter fetch address flags")
		return 2
	}
	fetcher, err := wasmsource.New(wasmsource.Options{Cache: wasmCache, MaxModuleBytes: *wasmMaxModule, Addresses: fetchAddresses})
	if err != nil {
		log.Error(err, "creating the WasmFilter module fetcher")
		return 1
	}

	managed := labels.SelectorFromSet(labels.Set{deploy.LabelManagedBy: deploy.ManagedByValue})
	// Only pods with an Istio sidecar label matter; "not cached" means "no
	// sidecar" to the translation.
	sidecarPods, err := labels.Parse(translate.LabelTLSMode)
	if err != nil {
		log.Error(err, "pod selector")
		return 1
	}
	metrics := metricsserver.Options{BindAddress: *metricsAddr}
	if *metricsSecure {
		metrics.SecureServing = true
		metrics.FilterProvider = metricsauth.Provider
	}
	restConfig := ctrl.GetConfigOrDie()
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metrics,
		HealthProbeBindAddress:  *probeAddr,
		LeaderElection:          *leaderElect,
		LeaderElectionID:        "wasp-controller.wasp.dev",
		LeaderElectionNamespace: ns,
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			// Only the proxy objects wasp made, not every ConfigMap of the cluster.
			&appsv1.Deployment{}:     {Label: managed},
			&corev1.ConfigMap{}:      {Label: managed},
			&corev1.ServiceAccount{}: {Label: managed},
			&corev1.Pod{}:            {Label: sidecarPods},
			// Gateway certificates: TLS Secrets, watched as metadata only
			// (internal/controller/secrets.go).
			&corev1.Secret{}: {Field: fields.OneTermEqualSelector("type", string(corev1.SecretTypeTLS))},
		}},
	})
	if err != nil {
		log.Error(err, "creating the manager")
		return 1
	}
	auth, err := proxyAuthentication(ctx, restConfig, ns, *caSecret, *insecureXDS, []string{*xdsHost, wasmHost})
	if err != nil {
		log.Error(err, "proxy authentication")
		return 1
	}
	if auth.ca == nil {
		log.Info("INSECURE: --insecure-xds serves xDS and .wasm in plaintext to anyone (local development only)")
	}
	xds := server.New(ctx, server.Options{Logger: slogger, TLS: auth.tls})
	topt := translator.Options{}
	if auth.ca != nil {
		topt.CodeServerTLS = deploy.ControllerTLS(wasmHost)
	}
	pub := server.NewPublisher(xds, topt)
	access := wasmserver.NewAccess()
	if err := controller.Setup(mgr, controller.Options{
		Translate: topts,
		Deploy:    deploy.Config{XDSHost: *xdsHost, XDSPort: int32(*xdsPort), Image: *proxyImage, WaspImage: *waspImage, InsecureXDS: auth.ca == nil, AccessLogDir: tf.accessLogDir},
		Publisher: publisher{p: pub, access: access},
		Wasm:      &controller.WasmOptions{Fetcher: fetcher, Server: wasm, BaseURL: *wasmURL, InUse: inUse},
		ProxyCA:   auth.ca,
	}); err != nil {
		log.Error(err, "setting up the reconciler")
		return 1
	}
	if err := mgr.Add(everyReplica(func(ctx context.Context) error {
		l, err := net.Listen("tcp", *xdsAddr)
		if err != nil {
			return err
		}
		log.Info("serving xDS", "address", *xdsAddr)
		return xds.Serve(ctx, l)
	})); err != nil {
		log.Error(err, "adding the xDS server")
		return 1
	}
	var wasmHandler http.Handler = wasm
	if auth.tls != nil {
		wasmHandler = wasmserver.RequireProxy(wasm, access)
	}
	if err := mgr.Add(everyReplica(func(ctx context.Context) error {
		return serveHTTP(ctx, *wasmAddr, wasmHandler, auth.tls)
	})); err != nil {
		log.Error(err, "adding the wasm server")
		return 1
	}
	_ = mgr.AddHealthzCheck("healthz", healthz.Ping)
	_ = mgr.AddReadyzCheck("readyz", healthz.Ping)
	log.Info("starting", "namespace", ns, "waypointClasses", topts.WaypointClasses, "ingressClasses", topts.IngressClasses)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "manager stopped")
		return 1
	}
	return 0
}

// publisher adapts the xDS publisher to the reconciler, and lets each
// proxy fetch exactly the modules its published configuration names.
type publisher struct {
	p      *server.Publisher
	access *wasmserver.Access
}

func (p publisher) Publish(ctx context.Context, in *ir.IR) map[string]error {
	commit := p.access.Update(in)
	defer commit()
	return p.p.Apply(ctx, in).Failed
}

// everyReplica is a runnable that runs on every replica, leader or not:
// each replica serves xDS and .wasm to the proxies connected to it.
type everyReplica func(ctx context.Context) error

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }
func (everyReplica) NeedLeaderElection() bool          { return false }

func serveHTTP(ctx context.Context, addr string, h http.Handler, tlsConfig *tls.Config) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	serve := srv.ListenAndServe
	if tlsConfig != nil {
		serve = func() error { return srv.ListenAndServeTLS("", "") }
	}
	if err := serve(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// fetchAddressPolicy is the WasmFilter fetch AddressPolicy of the
// --wasm-fetch-* flags.
func fetchAddressPolicy(allowed string, private bool, denied string) (wasmsource.AddressPolicy, error) {
	p := wasmsource.AddressPolicy{AllowPrivateNetworks: private}
	var err error
	if p.AllowedCIDRs, err = wasmsource.ParseCIDRs(allowed); err != nil {
		return p, fmt.Errorf("--%s: %w", wasmsource.FlagAllowedCIDRs, err)
	}
	if p.DeniedCIDRs, err = wasmsource.ParseCIDRs(denied); err != nil {
		return p, fmt.Errorf("--%s: %w", wasmsource.FlagDeniedCIDRs, err)
	}
	return p, nil
}
