package wasmsource

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Defaults, chosen for Go-built filters (a few MiB each) and a controller
// that must not stall a reconcile for long on a dead registry.
const (
	// DefaultMaxModuleBytes bounds one module: a Go filter is ~3 MiB, and
	// every Envoy worker (plus a canary) holds a copy.
	DefaultMaxModuleBytes = 64 << 20
	// DefaultAttempts is how many times a transient failure is tried.
	DefaultAttempts = 4
	// DefaultInitialBackoff doubles after each failed attempt...
	DefaultInitialBackoff = 500 * time.Millisecond
	// ...up to DefaultMaxBackoff: 0.5+1+2 s of waiting over 4 attempts.
	DefaultMaxBackoff = 8 * time.Second
	// DefaultAttemptTimeout bounds one attempt (connect to last byte).
	DefaultAttemptTimeout = 60 * time.Second
)

// Options configures a Fetcher. Zero values take the defaults.
type Options struct {
	// Cache stores fetched modules; required.
	Cache *Cache
	// MaxModuleBytes bounds a module's size (TooLarge past it).
	MaxModuleBytes int64
	// Attempts bounds the tries of a transiently failing fetch (≥ 1).
	Attempts int
	// InitialBackoff is the wait after the first failure; each next wait
	// doubles, up to MaxBackoff.
	InitialBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one attempt.
	AttemptTimeout time.Duration
	// Addresses is where HTTP and registry requests may connect (every
	// connection, redirects and token exchanges included); the zero
	// policy allows public addresses only.
	Addresses AddressPolicy
}

// Module is a verified, validated module in the cache.
type Module struct {
	SHA256    string
	Size      int64
	Path      string // the cached file; see Cache.Path
	Code      []byte
	FromCache bool // served without fetching
}

// Fetcher fetches, verifies, validates and caches modules. Safe for
// concurrent use; concurrent fetches of one source share one download.
type Fetcher struct {
	opts      Options
	transport http.RoundTripper // every dial checked against opts.Addresses
	sleep     func(context.Context, time.Duration) error
	mu        sync.Mutex
	inflight  map[string]*call
}

type call struct {
	done chan struct{}
	mod  Module
	err  error
}

// New returns a Fetcher.
func New(opts Options) (*Fetcher, error) {
	if opts.Cache == nil {
		return nil, errors.New("wasmsource: Options.Cache is required")
	}
	if opts.MaxModuleBytes <= 0 {
		opts.MaxModuleBytes = DefaultMaxModuleBytes
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	return &Fetcher{opts: opts, transport: opts.Addresses.transport(), sleep: sleepCtx, inflight: map[string]*call{}}, nil
}

// Fetch returns the module src names: from the cache when this source (and
// pin) was fetched before, else fetched, verified, validated and cached.
// A failure is an *Error carrying the status reason; failures are not
// cached, so the next Fetch tries again.
//
// A miss can take up to Attempts × AttemptTimeout plus the backoff: call it
// off the reconcile path, or bound ctx. Concurrent calls for one source
// share the first caller's download (and its outcome, cancellation
// included).
func (f *Fetcher) Fetch(ctx context.Context, src Source) (Module, error) {
	if err := src.check(); err != nil {
		return Module{}, &Error{Reason: ReasonFetchFailed, Source: src.String(), Err: err}
	}
	key := src.cacheKey()
	if m, ok := f.opts.Cache.lookup(key); ok {
		m.FromCache = true
		return m, nil
	}
	f.mu.Lock()
	if c, ok := f.inflight[key]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.mod, c.err
		case <-ctx.Done():
			return Module{}, &Error{Reason: ReasonFetchFailed, Source: src.String(), Err: ctx.Err()}
		}
	}
	c := &call{done: make(chan struct{})}
	f.inflight[key] = c
	f.mu.Unlock()

	c.mod, c.err = f.fetch(ctx, src, key)

	f.mu.Lock()
	delete(f.inflight, key)
	f.mu.Unlock()
	close(c.done)
	return c.mod, c.err
}

func (f *Fetcher) fetch(ctx context.Context, src Source, key string) (Module, error) {
	fail := func(r Reason, attempts int, err error) (Module, error) {
		return Module{}, &Error{Reason: r, Source: src.String(), Attempts: attempts, Err: err}
	}
	var (
		code     []byte
		attempts int
		err      error
	)
	switch {
	case src.ConfigMap != nil:
		code = src.ConfigMap.Data
		if int64(len(code)) > f.opts.MaxModuleBytes {
			err = tooLargeError{int64(len(code)), f.opts.MaxModuleBytes}
		}
	case src.HTTP != nil:
		code, attempts, err = f.retry(ctx, func(ctx context.Context) ([]byte, error) {
			return f.fetchHTTP(ctx, src.HTTP.URL)
		})
	case src.Image != nil:
		code, attempts, err = f.retry(ctx, func(ctx context.Context) ([]byte, error) {
			return f.fetchImage(ctx, src.Image)
		})
	}
	if err != nil {
		var tl tooLargeError
		if errors.As(err, &tl) {
			return fail(ReasonTooLarge, attempts, err)
		}
		var refused *RefusedError
		if errors.As(err, &refused) {
			// The policy's own message: no URL, no dial error around it.
			return fail(ReasonFetchRefused, attempts, refused)
		}
		return fail(ReasonFetchFailed, attempts, err)
	}
	if src.SHA256 != "" {
		if got := hashHex(code); got != src.SHA256 {
			return fail(ReasonDigestMismatch, attempts, fmt.Errorf("module sha256 is %s, want %s", got, src.SHA256))
		}
	}
	if err := ValidateModule(code); err != nil {
		return fail(ReasonInvalidModule, attempts, err)
	}
	m, err := f.opts.Cache.put(key, code)
	if err != nil {
		return fail(ReasonFetchFailed, attempts, err)
	}
	return m, nil
}

// retry runs get until it succeeds, fails permanently, or the attempts
// run out, waiting InitialBackoff, then twice that, ... (capped at
// MaxBackoff) between attempts.
func (f *Fetcher) retry(ctx context.Context, get func(context.Context) ([]byte, error)) ([]byte, int, error) {
	wait := f.opts.InitialBackoff
	var err error
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, f.opts.AttemptTimeout)
		var b []byte
		b, err = get(actx)
		cancel()
		if err == nil {
			return b, attempt, nil
		}
		var (
			p       permanentError
			refused *RefusedError
		)
		if errors.As(err, &p) || errors.As(err, &refused) || attempt >= f.opts.Attempts || ctx.Err() != nil {
			return nil, attempt, err
		}
		if serr := f.sleep(ctx, wait); serr != nil {
			return nil, attempt, errors.Join(err, serr)
		}
		wait = min(2*wait, f.opts.MaxBackoff)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
