package limiter

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func newLimiter(store Store, b Bucket, slots uint32) *Limiter {
	return &Limiter{Bucket: b, Pool: NewPool("wasp.ratelimit/test/0/", slots), Store: store}
}

func TestLimiterSharesOneBucketAcrossVMs(t *testing.T) {
	store := NewMemoryStore()
	vms := []*Limiter{newLimiter(store, seedBucket, 1), newLimiter(store, seedBucket, 1)}
	var allowed int
	for i := 0; i < 10; i++ {
		if d := vms[i%2].Take(0, 0); d.Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("allowed %d of 10 across two VMs, want 3", allowed)
	}
}

// TestLimiterNoOverAdmissionInsideCASWindow lets VM B take every token
// between VM A's read and write: A's write must fail its CAS and A must
// then see the empty bucket.
func TestLimiterNoOverAdmissionInsideCASWindow(t *testing.T) {
	store := NewMemoryStore()
	a, b := newLimiter(store, seedBucket, 1), newLimiter(store, seedBucket, 1)
	if d := a.Take(0, 0); !d.Allowed { // creates the key: no first-touch race below
		t.Fatal("first take refused")
	}
	interleaved := false
	store.BetweenGetAndSet = func(string) {
		if interleaved {
			return
		}
		interleaved = true
		for i := 0; i < 2; i++ {
			if d := b.Take(0, 0); !d.Allowed {
				t.Errorf("VM B take %d refused", i+1)
			}
		}
	}
	if d := a.Take(0, 0); d.Allowed || d.Err != nil {
		t.Fatalf("VM A allowed=%v err=%v after B emptied the bucket inside A's CAS window", d.Allowed, d.Err)
	}
}

// TestLimiterConcurrentVMsAdmitExactlyMax runs goroutines as worker VMs at
// one frozen instant: exactly MaxTokens requests pass, however the CAS
// windows interleave.
func TestLimiterConcurrentVMsAdmitExactlyMax(t *testing.T) {
	store := NewMemoryStore()
	b := Bucket{MaxTokens: 100, TokensPerFill: 1, FillInterval: 1e9}
	newLimiter(store, b, 1).Take(0, 0) // create the key first
	var allowed, contended atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := newLimiter(store, b, 1)
			for i := 0; i < 50; i++ {
				d := l.Take(0, 0)
				if d.Err != nil {
					contended.Add(1)
				} else if d.Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 99 || contended.Load() != 0 {
		t.Fatalf("allowed %d (want 99 after the first) contended %d (want 0)", allowed.Load(), contended.Load())
	}
}

// TestLimiterFirstTouchRaceIsBounded shows the one over-admission Envoy's
// shared data permits: two VMs that both see the key absent both write
// without a CAS check; the later write wins and the earlier VM's tokens
// return — at most MaxTokens per extra VM, once per key.
func TestLimiterFirstTouchRaceIsBounded(t *testing.T) {
	store := NewMemoryStore()
	b := Bucket{MaxTokens: 3, TokensPerFill: 3, FillInterval: 60e9}
	a, other := newLimiter(store, b, 1), newLimiter(store, b, 1)
	raced := false
	store.BetweenGetAndSet = func(string) {
		if raced {
			return
		}
		raced = true
		for i := 0; i < 3; i++ { // B creates the key and empties it
			other.Take(0, 0)
		}
	}
	a.Take(0, 0) // A saw the key absent, then overwrote B's state
	store.BetweenGetAndSet = nil
	allowed := 1 + 3
	for i := 0; i < 10; i++ {
		if a.Take(0, 0).Allowed {
			allowed++
		}
	}
	if bound := 2 * 3; allowed > bound || allowed <= 3 {
		t.Fatalf("allowed %d: want the race visible (> 3) and bounded (<= %d)", allowed, bound)
	}
	// Once the key exists the race is gone for good.
	if a.Take(0, 0).Allowed || other.Take(0, 0).Allowed {
		t.Fatal("allowed after the bucket was empty")
	}
}

// failingStore fails every call, like a host without shared data.
type failingStore struct{}

func (failingStore) Get(string) ([]byte, uint32, bool, error) {
	return nil, 0, false, fmt.Errorf("no shared data")
}
func (failingStore) Set(string, []byte, uint32) (bool, error) { return false, fmt.Errorf("no") }

// casLosingStore always reports a mismatch, as if other VMs always won.
type casLosingStore struct{ *MemoryStore }

func (casLosingStore) Set(string, []byte, uint32) (bool, error) { return false, nil }

func TestLimiterFailsOpen(t *testing.T) {
	if d := newLimiter(failingStore{}, seedBucket, 1).Take(0, 0); !d.Allowed || d.Err == nil {
		t.Fatalf("store failure: allowed=%v err=%v, want allowed with an error", d.Allowed, d.Err)
	}
	d := newLimiter(casLosingStore{NewMemoryStore()}, seedBucket, 1).Take(0, 0)
	if !d.Allowed || d.Err != ErrContended {
		t.Fatalf("endless CAS loss: allowed=%v err=%v, want allowed with ErrContended", d.Allowed, d.Err)
	}
}

func TestLimiterOverwritesForeignValues(t *testing.T) {
	store := NewMemoryStore()
	l := newLimiter(store, seedBucket, 1)
	store.Set(l.Pool.Key(0), []byte("not a bucket"), 0)
	for i := 0; i < 3; i++ {
		if !l.Take(0, 0).Allowed {
			t.Fatalf("take %d refused over a foreign value", i+1)
		}
	}
	if l.Take(0, 0).Allowed {
		t.Fatal("fourth take allowed")
	}
}

// owners returns key values' hashes for a pool.
func owner(v string) uint64 { return HashKey(HashString("test"), v) }

func TestPoolCandidatesDiffer(t *testing.T) {
	for _, size := range []uint32{2, 3, 7, 1024} {
		p := NewPool("k/", size)
		for i := 0; i < 1000; i++ {
			a, b := p.Candidates(owner(fmt.Sprint(i)))
			if a == b || a >= size || b >= size {
				t.Fatalf("size %d: candidates %d, %d", size, a, b)
			}
		}
	}
	if a, b := NewPool("k/", 1).Candidates(12345); a != 0 || b != 0 {
		t.Fatalf("one-slot pool: candidates %d, %d", a, b)
	}
}

func TestLimiterPerKeyBucketsStayBounded(t *testing.T) {
	store := NewMemoryStore()
	l := newLimiter(store, seedBucket, 16)
	for i := 0; i < 1000; i++ {
		l.Take(owner(fmt.Sprint("client-", i)), 0)
	}
	if n := store.Len(); n > 16 {
		t.Fatalf("%d shared-data keys for a 16-slot pool", n)
	}
}

// TestLimiterEvictsTheFullerBucket fills a two-slot pool with A (empty) and
// B (one token left); C evicts B, the cheaper loss, and A stays limited.
func TestLimiterEvictsTheFullerBucket(t *testing.T) {
	store := NewMemoryStore()
	b := Bucket{MaxTokens: 2, TokensPerFill: 2, FillInterval: 60e9}
	l := newLimiter(store, b, 2)
	A, B, C := owner("a"), owner("b"), owner("c")
	want := func(o uint64, allowed bool, step string) {
		t.Helper()
		if d := l.Take(o, 0); d.Allowed != allowed {
			t.Fatalf("%s: allowed=%v, want %v", step, d.Allowed, allowed)
		}
	}
	want(A, true, "A 1")
	want(A, true, "A 2")
	want(A, false, "A 3")
	want(B, true, "B 1")
	want(C, true, "C evicts B")
	want(A, false, "A kept its empty bucket")
	want(B, true, "B back with a fresh bucket (evicts C)")
	want(B, true, "B second token of the fresh bucket")
	want(B, false, "B empty")
}
