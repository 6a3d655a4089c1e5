package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/controller/internal/wasmserver"
	"wasp.dev/controller/internal/wasmsource"
)

// WasmOptions turn on WasmFilters: without them every WasmFilter stays
// Pending (FailClosed routes answer 500).
type WasmOptions struct {
	// Fetcher fetches, verifies, validates and caches modules.
	Fetcher *wasmsource.Fetcher
	// Server serves fetched modules to the proxies, at BaseURL.
	Server  *wasmserver.Server
	BaseURL string
	// InUse is the set the fetcher's cache consults before evicting
	// (wasmsource.CacheOptions.InUse = InUse.Has); the reconciler keeps it
	// to the modules of the current WasmFilters.
	InUse *ModuleSet
	// FetchTimeout bounds one background fetch, retries included; 0 means
	// DefaultWasmFetchTimeout.
	FetchTimeout time.Duration
	// RetryFailed is how long a failed fetch is reported before it is
	// tried again (a source that does not change may recover: a registry
	// back up); 0 means DefaultWasmRetryFailed.
	RetryFailed time.Duration
}

// Defaults for WasmOptions.
const (
	// DefaultWasmFetchTimeout covers the fetcher's own retries of a slow
	// registry (4 attempts with backoff) with room to spare.
	DefaultWasmFetchTimeout = 5 * time.Minute
	// DefaultWasmRetryFailed: often enough to notice a recovered source,
	// rarely enough not to hammer a broken one.
	DefaultWasmRetryFailed = time.Minute
)

// ModuleSet is a concurrent set of module sha256s.
type ModuleSet struct {
	mu sync.RWMutex
	m  map[string]bool
}

// NewModuleSet returns an empty set.
func NewModuleSet() *ModuleSet { return &ModuleSet{m: map[string]bool{}} }

// Has reports whether sum is in the set.
func (s *ModuleSet) Has(sum string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[sum]
}

func (s *ModuleSet) set(m map[string]bool) {
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
}

// wasmFetches runs WasmFilters' fetches off the reconcile path: a
// reconcile asks for each filter's state; a source never seen starts a
// background fetch and reads Pending; when the fetch ends, its outcome is
// recorded and a reconcile is triggered.
type wasmFetches struct {
	opts WasmOptions
	// reader reads ConfigMaps and pull Secrets directly: the manager's
	// cache holds only wasp's own ConfigMaps, and no Secrets.
	reader  client.Reader
	trigger chan event.GenericEvent
	log     logr.Logger
	ctx     context.Context // the manager's; set by Start

	mu     sync.Mutex
	states map[string]*fetchState // by source identity (sourceKey)
	// pullSecretNames are the image sources' pull secrets, by sourceKey.
	pullSecretNames map[string]secretRefs
	// lastGood is each filter's last served module, by "namespace/name":
	// while a changed source is still being fetched, the proxies keep the
	// previous module instead of failing (a rollout must not cause a 500
	// blip on FailClosed routes). Only reconciles touch it.
	lastGood map[string]translate.WasmFetch
}

type fetchState struct {
	running bool
	done    bool
	at      time.Time // when the last fetch ended
	fetch   translate.WasmFetch
}

func newWasmFetches(opts *WasmOptions, reader client.Reader, log logr.Logger) *wasmFetches {
	w := &wasmFetches{reader: reader, log: log, states: map[string]*fetchState{}, pullSecretNames: map[string]secretRefs{}, lastGood: map[string]translate.WasmFetch{},
		trigger: make(chan event.GenericEvent, 1), ctx: context.Background()}
	if opts != nil {
		w.opts = *opts
	}
	if w.opts.FetchTimeout <= 0 {
		w.opts.FetchTimeout = DefaultWasmFetchTimeout
	}
	if w.opts.RetryFailed <= 0 {
		w.opts.RetryFailed = DefaultWasmRetryFailed
	}
	return w
}

// Start records the manager's context (fetches stop with it).
func (w *wasmFetches) Start(ctx context.Context) error {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
	<-ctx.Done()
	return nil
}

// NeedLeaderElection: every replica serves modules to its proxies.
func (*wasmFetches) NeedLeaderElection() bool { return false }

// fetches returns the module state of every WasmFilter, by
// "namespace/name", starting the fetches that are needed; and keeps the
// wasm server and the cache's in-use set to the modules of these filters.
func (w *wasmFetches) fetches(ctx context.Context, wfs []*waspv1alpha1.WasmFilter) map[string]translate.WasmFetch {
	if w == nil {
		return nil
	}
	out := map[string]translate.WasmFetch{}
	keep := map[string]bool{}
	seen := map[string]bool{}
	for _, wf := range wfs {
		id := wf.Namespace + "/" + wf.Name
		if w.opts.Fetcher == nil || w.opts.Server == nil {
			out[id] = translate.WasmFetch{Reason: waspv1alpha1.ReasonPending, Message: "this controller runs without a module fetcher"}
			continue
		}
		src, err := w.source(ctx, wf)
		if err != nil {
			out[id] = translate.WasmFetch{Reason: waspv1alpha1.ReasonFetchFailed, Message: err.Error()}
			continue
		}
		seen[sourceKey(src)] = true
		f := w.state(src)
		if prev, ok := w.lastGood[id]; ok && f.Reason == waspv1alpha1.ReasonPending && w.opts.Server.HasCustom(prev.SHA256) {
			f = prev // the new source is on its way; serve the previous module meanwhile
		}
		if f.Reason == "" && f.SHA256 != "" {
			w.lastGood[id] = f
		} else {
			delete(w.lastGood, id) // failed: the filter's routes follow its failure policy
		}
		out[id] = f
		if f.SHA256 != "" {
			keep[f.SHA256] = true
		}
	}
	for id := range w.lastGood {
		if _, ok := out[id]; !ok {
			delete(w.lastGood, id)
		}
	}
	w.forget(seen)
	if w.opts.Server != nil {
		w.opts.Server.RetainCustom(func(sum string) bool { return keep[sum] })
	}
	if w.opts.InUse != nil {
		w.opts.InUse.set(keep)
	}
	return out
}

// forget drops the states of sources no WasmFilter names any more (a
// fetch still running keeps its state until it ends), so memory follows
// the current filters; the disk cache still has their modules.
func (w *wasmFetches) forget(seen map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, st := range w.states {
		if !seen[key] && !st.running {
			delete(w.states, key)
			delete(w.pullSecretNames, key)
		}
	}
}

// state returns the recorded state of src, starting a fetch when there is
// none, or when the last one failed more than RetryFailed ago.
func (w *wasmFetches) state(src wasmsource.Source) translate.WasmFetch {
	key := sourceKey(src)
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.states[key]
	if st == nil {
		st = &fetchState{}
		w.states[key] = st
	}
	failed := st.done && st.fetch.Reason != ""
	if !st.running && (!st.done || (failed && time.Since(st.at) >= w.opts.RetryFailed)) {
		st.running = true
		go w.run(key, src)
	}
	if !st.done {
		return translate.WasmFetch{Reason: waspv1alpha1.ReasonPending, Message: "fetching " + src.String()}
	}
	// A served module may have been dropped by RetainCustom while no
	// filter used it; fetch again (from the disk cache) if so.
	if st.fetch.SHA256 != "" && !w.opts.Server.HasCustom(st.fetch.SHA256) && !st.running {
		st.running = true
		go w.run(key, src)
		return translate.WasmFetch{Reason: waspv1alpha1.ReasonPending, Message: "fetching " + src.String()}
	}
	return st.fetch
}

// run fetches src in the background, records the outcome and triggers a
// reconcile.
func (w *wasmFetches) run(key string, src wasmsource.Source) {
	w.mu.Lock()
	parent := w.ctx
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(parent, w.opts.FetchTimeout)
	defer cancel()
	if src.Image != nil {
		src.Image.PullSecrets = w.pullSecrets(ctx, key, src)
	}
	mod, err := w.opts.Fetcher.Fetch(ctx, src)
	var f translate.WasmFetch
	if err != nil {
		f = translate.WasmFetch{Reason: string(wasmsource.ReasonOf(err)), Message: fetchMessage(err)}
		w.log.Info("wasm module fetch failed", "source", src.String(), "reason", f.Reason, "error", err.Error())
	} else {
		sum, url := w.opts.Server.AddCustom(w.opts.BaseURL, mod.Code)
		f = translate.WasmFetch{SHA256: sum, URL: url}
	}
	w.mu.Lock()
	if st := w.states[key]; st != nil {
		st.running, st.done, st.at, st.fetch = false, true, time.Now(), f
	}
	w.mu.Unlock()
	w.kick()
	if err != nil && parent.Err() == nil {
		// Report the failure now; try again after RetryFailed.
		time.AfterFunc(w.opts.RetryFailed, w.kick)
	}
}

// kick asks for a reconcile (one pending request is enough).
func (w *wasmFetches) kick() {
	select {
	case w.trigger <- event.GenericEvent{Object: &waspv1alpha1.WasmFilter{}}:
	default:
	}
}

// fetchMessage is the error without its reason (the condition has it).
func fetchMessage(err error) string {
	var e *wasmsource.Error
	if errors.As(err, &e) {
		if e.Attempts > 1 {
			return fmt.Sprintf("%s (after %d attempts): %v", e.Source, e.Attempts, e.Err)
		}
		return fmt.Sprintf("%s: %v", e.Source, e.Err)
	}
	return err.Error()
}

// source converts a WasmFilter's spec; a ConfigMap source is read now, so
// a changed ConfigMap is a new source.
func (w *wasmFetches) source(ctx context.Context, wf *waspv1alpha1.WasmFilter) (wasmsource.Source, error) {
	s := wf.Spec.Source
	var src wasmsource.Source
	switch {
	case s.Image != nil:
		src.Image = &wasmsource.ImageSource{Reference: s.Image.Reference}
		if s.Image.SHA256 != nil {
			src.SHA256 = string(*s.Image.SHA256)
		}
		// Pull secrets are read by the fetch (run), not part of the key.
		secrets := make([]string, 0, len(s.Image.PullSecrets))
		for _, ps := range s.Image.PullSecrets {
			secrets = append(secrets, ps.Name)
		}
		w.mu.Lock()
		w.pullSecretNames[sourceKey(src)] = secretRefs{ns: wf.Namespace, names: secrets}
		w.mu.Unlock()
	case s.HTTP != nil:
		src.HTTP = &wasmsource.HTTPSource{URL: s.HTTP.URL}
		src.SHA256 = string(s.HTTP.SHA256)
	case s.ConfigMap != nil:
		var cm corev1.ConfigMap
		if err := w.reader.Get(ctx, types.NamespacedName{Namespace: wf.Namespace, Name: s.ConfigMap.Name}, &cm); err != nil {
			return src, fmt.Errorf("configmap %s/%s: %w", wf.Namespace, s.ConfigMap.Name, err)
		}
		data, ok := cm.BinaryData[s.ConfigMap.Key]
		if !ok {
			str, ok := cm.Data[s.ConfigMap.Key]
			if !ok {
				return src, fmt.Errorf("configmap %s/%s has no key %q", wf.Namespace, s.ConfigMap.Name, s.ConfigMap.Key)
			}
			data = []byte(str)
		}
		src.ConfigMap = &wasmsource.ConfigMapSource{Namespace: wf.Namespace, Name: s.ConfigMap.Name, Key: s.ConfigMap.Key, Data: data}
		if s.ConfigMap.SHA256 != nil {
			src.SHA256 = string(*s.ConfigMap.SHA256)
		}
	default:
		return src, errors.New("source has none of image, http, configMap")
	}
	return src, nil
}

type secretRefs struct {
	ns    string
	names []string
}

// pullSecrets reads the image's pull secrets (dockerconfigjson or
// dockercfg); a missing one is skipped (the pull then fails with the
// registry's answer, which names the problem).
func (w *wasmFetches) pullSecrets(ctx context.Context, key string, _ wasmsource.Source) [][]byte {
	w.mu.Lock()
	refs := w.pullSecretNames[key]
	w.mu.Unlock()
	var out [][]byte
	for _, name := range refs.names {
		var s corev1.Secret
		if err := w.reader.Get(ctx, types.NamespacedName{Namespace: refs.ns, Name: name}, &s); err != nil {
			w.log.Info("pull secret unreadable", "secret", refs.ns+"/"+name, "error", err.Error())
			continue
		}
		for _, k := range []string{corev1.DockerConfigJsonKey, corev1.DockerConfigKey} {
			if b, ok := s.Data[k]; ok {
				out = append(out, b)
			}
		}
	}
	return out
}

// sourceKey identifies a source and its pin (as the fetcher's cache key
// does): the same key means the same module.
func sourceKey(s wasmsource.Source) string {
	switch {
	case s.Image != nil:
		return "image\x00" + s.Image.Reference + "\x00" + s.SHA256
	case s.HTTP != nil:
		return "http\x00" + s.HTTP.URL + "\x00" + s.SHA256
	case s.ConfigMap != nil:
		h := sha256.Sum256(s.ConfigMap.Data)
		return "configmap\x00" + s.ConfigMap.Namespace + "/" + s.ConfigMap.Name + "/" + s.ConfigMap.Key + "\x00" + hex.EncodeToString(h[:]) + "\x00" + s.SHA256
	}
	return ""
}
