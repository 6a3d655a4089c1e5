package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/internal/deploy"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/ir"
	"wasp.dev/xds/proxyauth"
)

// IRPublisher receives every translated IR (the xDS server's publisher) and
// returns, by proxy name (the Gateway's "namespace/name"), the proxies whose
// Envoy configuration could not be built; they keep their last good one.
type IRPublisher interface {
	Publish(ctx context.Context, in *ir.IR) map[string]error
}

// Options configure the Reconciler.
type Options struct {
	Translate translate.Options
	Deploy    deploy.Config
	// Publisher, when set, receives the IR of every reconciliation.
	Publisher IRPublisher
	// FieldOwner names wasp in managedFields (server-side apply).
	FieldOwner string
	// IstioRecheck is how often Istio CRDs missing at start are looked for
	// again (istio.go); 0 means a minute.
	IstioRecheck time.Duration
	// Wasm fetches and serves WasmFilters' modules (wasmfetch.go); nil
	// leaves every WasmFilter Pending.
	Wasm *WasmOptions
	// ProxyCA signs each proxy's client certificate (proxycert.go); nil
	// (--insecure-xds) writes none.
	ProxyCA *proxyauth.CA
}

// Reconciler is the one reconciler of wasp (see the package comment).
type Reconciler struct {
	client client.Client
	// reader reads uncached: Secrets by name, never listed or watched.
	reader client.Reader
	opts   Options
	// renewAt is when the earliest proxy certificate is due (proxycert.go).
	renewAt time.Time
	log     logr.Logger
	// elected is closed once this replica leads; only the leader writes.
	elected <-chan struct{}
	// istio watches Istio's CRDs when installed (istio.go); events reports
	// on AuthorizationPolicies (authzevents.go).
	istio  *istioWatches
	events *authzEvents
	// wasm runs WasmFilters' module fetches (wasmfetch.go).
	wasm *wasmFetches
	// secrets reads the Secrets Gateways' HTTPS listeners name (secrets.go).
	secrets *tlsSecrets
}

// globalKey is the single work item every event maps to.
var globalKey = reconcile.Request{}

// Reconcile translates everything and applies the result.
func (r *Reconciler) Reconcile(ctx context.Context, _ reconcile.Request) (ctrl.Result, error) {
	snap, err := r.gather(ctx)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading the cluster: %w", err)
	}
	snap.in.WasmFetches = r.wasm.fetches(ctx, snap.in.WasmFilters)
	out := translate.Translate(&snap.in, r.opts.Translate)
	var errs []error
	var failed map[string]error
	if r.opts.Publisher != nil {
		failed = r.opts.Publisher.Publish(ctx, out.IR)
		for name, err := range failed {
			// Translation validates every object on its own status
			// (failure isolation, docs/security.md), so user input cannot
			// get here: this is a wasp bug, and it freezes the proxy.
			r.log.Error(err, "INTERNAL ERROR: validated objects did not translate to Envoy configuration; "+
				"the proxy keeps its last good configuration and gets no update until this is fixed (please report it)", "proxy", name)
		}
	}
	if !r.leading() {
		return ctrl.Result{}, nil
	}
	errs = append(errs, r.ensureClassAnnotations(ctx, snap)...)
	errs = append(errs, r.applyProxies(ctx, snap, out)...)
	markUnprogrammed(out, failed)
	errs = append(errs, r.writeStatus(ctx, snap, out)...)
	r.events.report(snap, out)
	if len(errs) > 0 && allConflicts(errs) {
		// The cache was behind the API server: the watch event that
		// follows brings the newer object; retry soon, quietly.
		r.log.V(1).Info("write conflict; retrying", "error", errors.Join(errs...).Error())
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	if len(errs) > 0 {
		return ctrl.Result{}, errors.Join(errs...)
	}
	return ctrl.Result{RequeueAfter: requeueForRenewal(r.renewAt, time.Now())}, nil
}

// conflictRetry is short: a conflict only means the cache lagged a write.
const conflictRetry = 200 * time.Millisecond

func allConflicts(errs []error) bool {
	for _, err := range errs {
		if !apierrors.IsConflict(err) {
			return false
		}
	}
	return true
}

func (r *Reconciler) leading() bool {
	if r.elected == nil {
		return true
	}
	select {
	case <-r.elected:
		return true
	default:
		return false
	}
}

// maxConditionMessage is metav1.Condition's message length limit.
const maxConditionMessage = 32768

// markUnprogrammed turns Programmed to False on Gateways whose proxy
// configuration failed to build, with the reason from the xDS translator.
func markUnprogrammed(out *translate.Output, failed map[string]error) {
	for i := range out.Status.Gateways {
		g := &out.Status.Gateways[i]
		err := failed[g.Namespace+"/"+g.Name]
		if err == nil {
			continue
		}
		msg := "internal error (please report): Envoy configuration could not be built; the proxy keeps its last good configuration: " + err.Error()
		if len(msg) > maxConditionMessage {
			msg = msg[:maxConditionMessage]
		}
		for j, c := range g.Status.Conditions {
			if c.Type == string(gwv1.GatewayConditionProgrammed) {
				c.Status, c.Reason, c.Message = metav1.ConditionFalse, string(gwv1.GatewayReasonInvalid), msg
				g.Status.Conditions[j] = c
			}
		}
	}
}
