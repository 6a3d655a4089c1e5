package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Chart and release settings the suite and the demo install with.
const (
	ReleaseName      = "wasp"
	ReleaseNamespace = "wasp-system"
	// SeedWaypointClass is the waypoint class name the kgateway seeds use.
	SeedWaypointClass = "kgateway-waypoint"
	// readyTimeout bounds the controller's start (manager, caches, servers).
	readyTimeout = 2 * time.Minute
	// tokenTTL outlives any run of the suite or the demo.
	tokenTTL = 24 * time.Hour
)

// SeedValues are the helm --set values for the seeds: the waypoint class
// named as in the kgateway guides, and the chart's default waypoint class
// served as well (the GAMMA bookinfo seed uses it).
var SeedValues = []string{
	"gatewayClasses.waypoint.name=" + SeedWaypointClass,
	"controller.extraArgs={--waypoint-class=wasp-waypoint}",
}

// InstallOptions say where things are.
type InstallOptions struct {
	// Root is the repository root; Dir a temp dir the caller removes.
	Root, Dir string
	// Assets is KUBEBUILDER_ASSETS.
	Assets string
	// WaspBin is a built wasp binary (make build-wasp: filters embedded);
	// empty builds one into Dir and serves filters/dist with --wasm-dir.
	WaspBin string
	// Logf reports progress (nil: quiet).
	Logf func(format string, args ...any)
	// ControllerOutput receives the controller's log output (nil: kept
	// in memory only).
	ControllerOutput func([]byte)
}

// Installation is wasp installed from its chart on a real API server,
// with the controller process running as the chart's ServiceAccount.
type Installation struct {
	API     *APIServer
	Applier *Applier
	Helm    string
	// Rendered are the chart renders applied, by name ("defaults", "seeds").
	Rendered map[string][]byte
	// Bin is the wasp binary; ChartArgs what the chart passes; Args what
	// was run (listen addresses localized, FlagsDropped removed).
	Bin             string
	ChartArgs, Args []string
	FlagsDropped    []string
	Addr            LocalAddresses
	Controller      *Process
	ServiceHosts    []string
	Resolve         map[string]string
	// MissingRBAC are the permissions the controller declares (its
	// generated role) that the chart does not grant its ServiceAccount;
	// the harness granted them with a supplementary ClusterRole.
	MissingRBAC []string
	// Notes are deviations the installation had to make (for reports).
	Notes []string
}

// Install starts the API server, installs the Gateway API CRDs, renders
// and applies the chart (server-side dry-run, then for real; defaults,
// then with SeedValues) and starts the controller with the chart's flags.
func Install(ctx context.Context, o InstallOptions) (_ *Installation, err error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	in := &Installation{Rendered: map[string][]byte{}}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	logf("starting etcd + kube-apiserver (%s)", o.Assets)
	if in.API, err = StartAPIServer(o.Assets); err != nil {
		return in, err
	}
	if in.Applier, err = NewApplier(in.API.Config); err != nil {
		return in, err
	}
	logf("installing the Gateway API CRDs (standard channel)")
	if err := in.installGatewayAPI(ctx, o.Root); err != nil {
		return in, err
	}
	if in.Helm, err = HelmPath(); err != nil {
		return in, err
	}
	ns := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", ReleaseNamespace)
	if _, err := in.Applier.Apply(ctx, []byte(ns), "", false); err != nil {
		return in, err
	}
	chart := filepath.Join(o.Root, "charts", "wasp")
	for _, r := range []struct {
		name string
		sets []string
	}{{"defaults", nil}, {"seeds", SeedValues}} {
		logf("helm template %s (%s), server-side dry-run, then apply", chart, r.name)
		out, err := HelmTemplate(ctx, in.Helm, o.Dir, chart, ReleaseName, ReleaseNamespace, r.sets...)
		if err != nil {
			return in, err
		}
		in.Rendered[r.name] = out
		if err := in.applyChart(ctx, o.Root, out); err != nil {
			return in, fmt.Errorf("chart (%s values): %w", r.name, err)
		}
	}
	if err := in.startController(ctx, o, logf); err != nil {
		return in, err
	}
	return in, nil
}

// applyChart applies a render, dry-run first. A render without our CRDs
// while crds.install is on means the chart's generated files are missing:
// the controller's CRDs are applied from controller/config/crd/bases and
// that is noted.
func (in *Installation) applyChart(ctx context.Context, root string, rendered []byte) error {
	objs, err := Decode(rendered)
	if err != nil {
		return err
	}
	hasCRD := false
	for _, o := range objs {
		hasCRD = hasCRD || o.GetKind() == "CustomResourceDefinition"
	}
	if !hasCRD {
		files, _ := filepath.Glob(filepath.Join(root, "controller", "config", "crd", "bases", "*.yaml"))
		note := "the chart rendered no CustomResourceDefinition (charts/wasp/files/crds is empty): applied controller/config/crd/bases instead"
		if !contains(in.Notes, note) {
			in.Notes = append(in.Notes, note)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if _, err := in.Applier.Apply(ctx, b, "", false); err != nil {
				return err
			}
		}
	}
	// CRDs first, dry-run then for real: a custom resource of the chart
	// (dry-run included) needs its CRD established. Then everything else,
	// all dry-run, then all for real.
	var crds, rest []*unstructured.Unstructured
	for _, o := range objs {
		switch {
		case isHelmTestHook(o):
		case o.GetKind() == "CustomResourceDefinition":
			crds = append(crds, o)
		default:
			rest = append(rest, o)
		}
	}
	for _, group := range [][]*unstructured.Unstructured{crds, rest} {
		for _, dry := range []bool{true, false} {
			for _, o := range group {
				if _, err := in.Applier.ApplyObject(ctx, o.DeepCopy(), ReleaseNamespace, dry); err != nil {
					if dry {
						return fmt.Errorf("server-side dry-run: %w", err)
					}
					return err
				}
			}
		}
	}
	return nil
}

// isHelmTestHook reports a `helm test` hook: helm install does not create
// it, so neither does the harness.
func isHelmTestHook(o *unstructured.Unstructured) bool {
	return strings.Contains(o.GetAnnotations()["helm.sh/hook"], "test")
}

func (in *Installation) installGatewayAPI(ctx context.Context, root string) error {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Dir = filepath.Join(root, "controller")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("locating sigs.k8s.io/gateway-api (the controller's version): %w", err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard", "gateway.networking.k8s.io_*.yaml"))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		objs, err := Decode(b)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				continue // the safe-upgrades ValidatingAdmissionPolicy
			}
			if _, err := in.Applier.ApplyObject(ctx, o, "", false); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return errors.New("no Gateway API CRDs found in the module")
	}
	return nil
}

func (in *Installation) startController(ctx context.Context, o InstallOptions, logf func(string, ...any)) error {
	var err error
	if in.ChartArgs, err = ControllerArgs(in.Rendered["seeds"]); err != nil {
		return err
	}
	in.Bin = o.WaspBin
	var extra []string
	if in.Bin == "" {
		logf("building wasp (go build ./controller/cmd/wasp)")
		if in.Bin, err = BuildWasp(ctx, o.Root, o.Dir); err != nil {
			return err
		}
		dist := filepath.Join(o.Root, "filters", "dist")
		extra = append(extra, "--wasm-dir="+dist)
		in.Notes = append(in.Notes, "WASP_BIN unset: built wasp without embedded filters and served "+dist+" with --wasm-dir")
	}
	known, err := ControllerFlags(ctx, in.Bin)
	if err != nil {
		return err
	}
	args, la, err := Localize(in.ChartArgs)
	if err != nil {
		return err
	}
	in.Addr = la
	args, in.FlagsDropped = Reconcile(args, known)
	in.Args = append(args, extra...)
	svc, err := in.chartService()
	if err != nil {
		return err
	}
	in.resolve(svc)
	saName, err := in.chartServiceAccount()
	if err != nil {
		return err
	}
	missing, err := in.API.MissingRBAC(ctx, filepath.Join(o.Root, "controller", "config", "rbac", "role.yaml"), ReleaseNamespace, saName)
	if err != nil {
		return fmt.Errorf("checking the chart's RBAC: %w", err)
	}
	if len(missing) > 0 {
		for _, r := range missing {
			in.MissingRBAC = append(in.MissingRBAC, FormatRule(r))
		}
		if err := in.API.GrantRBAC(ctx, missing, ReleaseNamespace, saName); err != nil {
			return err
		}
		in.Notes = append(in.Notes, fmt.Sprintf("the chart's RBAC lacks %d permission(s) the controller declares (granted by ClusterRole %s): %v", len(missing), supplementName, in.MissingRBAC))
	}
	kc, err := in.API.ServiceAccountKubeconfig(ctx, ReleaseNamespace, saName, tokenTTL)
	if err != nil {
		return err
	}
	kcPath := filepath.Join(o.Dir, "controller.kubeconfig")
	if err := os.WriteFile(kcPath, kc, 0o600); err != nil {
		return err
	}
	logf("starting %s %s (as ServiceAccount %s/%s)", in.Bin, strings.Join(in.Args, " "), ReleaseNamespace, saName)
	in.Controller, err = Start(in.Bin, in.Args, []string{"KUBECONFIG=" + kcPath, "POD_NAMESPACE=" + ReleaseNamespace}, o.ControllerOutput)
	if err != nil {
		return err
	}
	return waitReady(ctx, in.Controller, la)
}

// waitReady waits for the controller's /readyz, failing early with its
// output when the process exits first.
func waitReady(ctx context.Context, p *Process, la LocalAddresses) error {
	if la.Health == "" {
		return errors.New("the chart passes no health address flag")
	}
	rctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- WaitHTTP(rctx, "http://"+la.Health+"/readyz") }()
	for {
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("controller not ready: %w\n%s", err, p.Output())
			}
			return nil
		case <-time.After(500 * time.Millisecond):
			if exited, werr := p.Exited(); exited {
				cancel()
				return fmt.Errorf("controller exited (%v):\n%s", werr, p.Output())
			}
		}
	}
}

// StartRendered starts a second controller process with exactly the args
// of rendered's controller Deployment (listen addresses moved to free
// loopback ports, nothing dropped or renamed) against the installation's
// API server, as the chart's ServiceAccount, and waits until it is ready.
// The caller stops the returned process.
func (in *Installation) StartRendered(ctx context.Context, rendered []byte, dir string) (*Process, error) {
	chartArgs, err := ControllerArgs(rendered)
	if err != nil {
		return nil, err
	}
	args, la, err := Localize(chartArgs)
	if err != nil {
		return nil, err
	}
	saName, err := in.chartServiceAccount()
	if err != nil {
		return nil, err
	}
	kc, err := in.API.ServiceAccountKubeconfig(ctx, ReleaseNamespace, saName, tokenTTL)
	if err != nil {
		return nil, err
	}
	kcPath := filepath.Join(dir, "controller.kubeconfig")
	if err := os.WriteFile(kcPath, kc, 0o600); err != nil {
		return nil, err
	}
	p, err := Start(in.Bin, args, []string{"KUBECONFIG=" + kcPath, "POD_NAMESPACE=" + ReleaseNamespace}, nil)
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, p, la); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// chartService returns the controller's Service from the seed render.
func (in *Installation) chartService() (*corev1.Service, error) {
	objs, err := Decode(in.Rendered["seeds"])
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetKind() == "Service" && o.GetAnnotations()["helm.sh/hook"] == "" {
			var s corev1.Service
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &s); err != nil {
				return nil, err
			}
			return &s, nil
		}
	}
	return nil, errors.New("the chart renders no Service")
}

func (in *Installation) chartServiceAccount() (string, error) {
	objs, err := Decode(in.Rendered["seeds"])
	if err != nil {
		return "", err
	}
	for _, o := range objs {
		if o.GetKind() == "ServiceAccount" && o.GetAnnotations()["helm.sh/hook"] == "" {
			return o.GetName(), nil
		}
	}
	return "", errors.New("the chart renders no ServiceAccount")
}

// resolve maps the Service's DNS names and ports to the local listeners,
// as cluster DNS plus the Service's targetPorts would: a proxy dialing
// <svc>.<ns>.svc[.<domain>]:<port> reaches the container port of that name.
func (in *Installation) resolve(svc *corev1.Service) {
	in.Resolve = map[string]string{}
	byPortName := map[string]string{"grpc-xds": in.Addr.XDS, "http-wasm": in.Addr.Wasm, "http-metrics": in.Addr.Metrics, "http-health": in.Addr.Health}
	base := svc.Name + "." + svc.Namespace
	in.ServiceHosts = []string{base + ".svc.cluster.local", base + ".svc", base}
	for _, p := range svc.Spec.Ports {
		local := byPortName[p.TargetPort.String()]
		if local == "" {
			continue
		}
		for _, h := range in.ServiceHosts {
			in.Resolve[fmt.Sprintf("%s:%d", h, p.Port)] = local
		}
	}
}

// Close stops the controller and the API server.
func (in *Installation) Close() error {
	var errs []error
	if in.Controller != nil {
		if err := in.Controller.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("controller: %w", err))
		}
	}
	if in.API != nil {
		if err := in.API.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
