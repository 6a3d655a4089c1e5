package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// Publisher turns successive IRs into published snapshots, translating only
// the proxies whose IR changed since the last Apply.
type Publisher struct {
	srv  *Server
	opts translator.Options

	mu   sync.Mutex
	last map[string][sha256.Size]byte // node → hash of the IR last published
}

// NewPublisher publishes through srv.
func NewPublisher(srv *Server, opts translator.Options) *Publisher {
	return &Publisher{srv: srv, opts: opts, last: map[string][sha256.Size]byte{}}
}

// Result says what one Apply did.
type Result struct {
	// Translated lists the proxies that were re-translated and published.
	Translated []string
	// Removed lists proxies whose snapshots were dropped.
	Removed []string
	// Failed maps a proxy to why it kept its previous snapshot.
	Failed map[string]error
}

// Err joins the failures, nil if none.
func (r *Result) Err() error {
	var errs []error
	for _, n := range sortedNames(r.Failed) {
		errs = append(errs, r.Failed[n])
	}
	return errors.Join(errs...)
}

// Apply publishes in: each proxy is translated only if its IR differs from
// the last one published for it; a proxy that fails keeps serving its last
// good snapshot and does not stop the others. Changed proxies translate in
// parallel (they share nothing).
func (p *Publisher) Apply(ctx context.Context, in *ir.IR) *Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	res := &Result{Failed: map[string]error{}}
	seen := map[string]bool{}
	type job struct {
		px   *ir.Proxy
		hash [sha256.Size]byte
		err  error
	}
	var jobs []*job
	for i, px := range in.Proxies {
		if px == nil {
			res.Failed[fmt.Sprintf("proxies[%d]", i)] = fmt.Errorf("proxies[%d]: null entry", i)
			continue
		}
		if seen[px.Name] {
			res.Failed[px.Name] = fmt.Errorf("proxy %s: defined twice in the IR", px.Name)
			continue
		}
		seen[px.Name] = true
		b, err := json.Marshal(px) // maps marshal sorted: stable
		if err != nil {
			res.Failed[px.Name] = fmt.Errorf("proxy %s: %w", px.Name, err)
			continue
		}
		h := sha256.Sum256(b)
		if old, ok := p.last[px.Name]; ok && old == h {
			continue
		}
		jobs = append(jobs, &job{px: px, hash: h})
	}
	work := make(chan *job)
	var wg sync.WaitGroup
	for range min(len(jobs), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				r, err := translator.Translate(j.px, p.opts)
				if err == nil {
					_, err = p.srv.Publish(ctx, j.px.Name, r)
				}
				j.err = err
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			res.Failed[j.px.Name] = j.err
			continue
		}
		p.last[j.px.Name] = j.hash
		res.Translated = append(res.Translated, j.px.Name)
	}
	for _, name := range sortedNames(p.last) {
		if !seen[name] {
			p.srv.Forget(name)
			delete(p.last, name)
			res.Removed = append(res.Removed, name)
		}
	}
	return res
}
