package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"wasp.dev/controller/internal/controller"
	"wasp.dev/controller/internal/deploy"
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
	defaultXDSPort     = 18000
	defaultWasmPort    = 8082
	defaultMetricsAddr = ":8080"
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
	probeAddr := fs.String("health-probe-bind-address", defaultProbeAddr, "address of /healthz and /readyz")
	leaderElect := fs.Bool("leader-elect", true, "elect a leader among replicas; only the leader writes status and proxy objects")
	xdsAddr := fs.String("xds-bind-address", fmt.Sprintf(":%d", defaultXDSPort), "address of the xDS (ADS) gRPC server")
	xdsHost := fs.String("xds-host", "wasp-controller."+ns+".svc", "host name proxies dial for xDS")
	xdsPort := fs.Int("xds-port", defaultXDSPort, "port proxies dial for xDS")
	wasmAddr := fs.String("wasm-bind-address", fmt.Sprintf(":%d", defaultWasmPort), "address of the .wasm HTTP server")
	wasmURL := fs.String("wasm-base-url", "", "URL proxies fetch .wasm from (default http://<xds-host>:8082)")
	wasmDir := fs.String("wasm-dir", "", "directory of the built-in filters' .wasm (default: those embedded in the binary)")
	wasmCacheDir := fs.String("wasm-cache-dir", "", "directory of the WasmFilter module cache (content-addressed, LRU); default: a temporary directory removed at exit")
	wasmCacheBytes := fs.Int64("wasm-cache-max-bytes", defaultWasmCacheBytes, "size bound of the WasmFilter module cache")
	wasmMaxModule := fs.Int64("wasm-max-module-bytes", wasmsource.DefaultMaxModuleBytes, "largest WasmFilter module accepted (TooLarge past it)")
	proxyImage := fs.String("proxy-image", deploy.DefaultImage, "Envoy image of the proxies (GatewayParameters override it)")
	waspImage := fs.String("wasp-image", deploy.DefaultWaspImage, "this binary's image, run as `wasp sds` in ingress pods with the Istio integration")
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if d := tf.accessLogDir; !path.IsAbs(d) || path.Clean(d) != d || d == "/" {
		fmt.Fprintf(stderr, "wasp controller: --access-log-dir %q: want a clean absolute directory other than /\n", d)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts), zap.WriteTo(stderr)))
	log := ctrl.Log.WithName("wasp")
	slogger := slog.New(slog.NewJSONHandler(stderr, nil))

	wasm, err := wasmserver.Load(*wasmDir)
	if err != nil {
		log.Error(err, "loading .wasm modules")
		return 1
	}
	if *wasmURL == "" {
		*wasmURL = fmt.Sprintf("http://%s:%d", *xdsHost, defaultWasmPort)
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
	fetcher, err := wasmsource.New(wasmsource.Options{Cache: wasmCache, MaxModuleBytes: *wasmMaxModule})
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
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metricsserver.Options{BindAddress: *metricsAddr},
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
		}},
	})
	if err != nil {
		log.Error(err, "creating the manager")
		return 1
	}
	xds := server.New(ctx, server.Options{Logger: slogger})
	pub := server.NewPublisher(xds, translator.Options{})
	if err := controller.Setup(mgr, controller.Options{
		Translate: topts,
		Deploy:    deploy.Config{XDSHost: *xdsHost, XDSPort: int32(*xdsPort), Image: *proxyImage, WaspImage: *waspImage, AccessLogDir: tf.accessLogDir},
		Publisher: publisher{pub},
		Wasm:      &controller.WasmOptions{Fetcher: fetcher, Server: wasm, BaseURL: *wasmURL, InUse: inUse},
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
	if err := mgr.Add(everyReplica(func(ctx context.Context) error {
		return serveHTTP(ctx, *wasmAddr, wasm)
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

// publisher adapts the xDS publisher to the reconciler.
type publisher struct{ p *server.Publisher }

func (p publisher) Publish(ctx context.Context, in *ir.IR) map[string]error {
	return p.p.Apply(ctx, in).Failed
}

// everyReplica is a runnable that runs on every replica, leader or not:
// each replica serves xDS and .wasm to the proxies connected to it.
type everyReplica func(ctx context.Context) error

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }
func (everyReplica) NeedLeaderElection() bool          { return false }

func serveHTTP(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
