package wasmsource

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// sizedModule returns a distinct valid module of about n bytes.
func sizedModule(seed byte, n int) []byte {
	m := proxyModule()
	m.padding = n
	m.paddingSeed = seed
	return m.bytes()
}

// fakeClock makes recency deterministic: each call is one second later.
func fakeClock() func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func TestCacheLRUEviction(t *testing.T) {
	a, b, c := sizedModule(1, 400), sizedModule(2, 400), sizedModule(3, 400)
	// Room for two modules, not three.
	limit := int64(len(a) + len(b) + len(c) - 1)
	cache, err := OpenCache(CacheOptions{Dir: t.TempDir(), MaxBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	cache.now = fakeClock()
	f, _ := newTestFetcher(t, Options{Cache: cache})
	cm := func(name string, data []byte) Source {
		return Source{ConfigMap: &ConfigMapSource{Namespace: "ns", Name: name, Key: "k", Data: data}}
	}
	fs := newFileServer(t)
	httpA := Source{HTTP: &HTTPSource{URL: fs.put("/a.wasm", a)}, SHA256: sha(a)}

	for _, src := range []Source{httpA, cm("b", b)} {
		if _, err := f.Fetch(context.Background(), src); err != nil {
			t.Fatal(err)
		}
	}
	// Use a again: b becomes the least recently used.
	if m, err := f.Fetch(context.Background(), httpA); err != nil || !m.FromCache {
		t.Fatalf("a should be a hit: %+v %v", m, err)
	}
	if _, err := f.Fetch(context.Background(), cm("c", c)); err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.Path(sha(b)); ok {
		t.Error("b (least recently used) was not evicted")
	}
	for _, keep := range [][]byte{a, c} {
		if _, ok := cache.Path(sha(keep)); !ok {
			t.Errorf("%s was evicted", sha(keep)[:8])
		}
	}
	if cache.Size() > limit {
		t.Errorf("cache holds %d bytes, over %d", cache.Size(), limit)
	}
	if _, err := os.Stat(filepath.Join(cache.Dir(), blobsDir, sha(b)+blobExt)); !os.IsNotExist(err) {
		t.Error("b's file is still on disk")
	}
	refs, _ := os.ReadDir(filepath.Join(cache.Dir(), refsDir))
	if len(refs) != 2 {
		t.Errorf("%d refs left, want 2 (b's pruned)", len(refs))
	}
	// a is still served without the network.
	before := fs.requests.Load()
	if m, err := f.Fetch(context.Background(), httpA); err != nil || !m.FromCache || fs.requests.Load() != before {
		t.Fatalf("a after eviction: %+v %v", m, err)
	}

	// Recency survives a restart (mtimes): reopened, c is older than a, so
	// adding b evicts c.
	reopened, err := OpenCache(CacheOptions{Dir: cache.Dir(), MaxBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	if reopened.Size() != cache.Size() {
		t.Fatalf("reopened size %d, want %d", reopened.Size(), cache.Size())
	}
	if _, err := reopened.put("b", b); err != nil {
		t.Fatal(err)
	}
	if _, ok := reopened.Path(sha(c)); ok {
		t.Error("after restart, c (older by mtime) was not evicted")
	}
	if _, ok := reopened.Path(sha(a)); !ok {
		t.Error("after restart, a (recent by mtime) was evicted")
	}
}

func TestCacheInUseIsNotEvicted(t *testing.T) {
	a, b := sizedModule(1, 400), sizedModule(2, 400)
	cache, err := OpenCache(CacheOptions{
		Dir: t.TempDir(), MaxBytes: int64(len(a)),
		InUse: func(s string) bool { return s == sha(a) },
	})
	if err != nil {
		t.Fatal(err)
	}
	cache.now = fakeClock()
	// a first: storing b then pushes the cache over its bound.
	for _, m := range [][]byte{a, b} {
		if _, err := cache.put(sha(m), m); err != nil {
			t.Fatal(err)
		}
	}
	// Both stay, over the bound: a is in use, b was just stored.
	for _, m := range [][]byte{a, b} {
		if _, ok := cache.Path(sha(m)); !ok {
			t.Errorf("%s evicted", sha(m)[:8])
		}
	}
}

func TestCacheCrashSafety(t *testing.T) {
	dir := t.TempDir()
	cache, err := OpenCache(CacheOptions{Dir: dir, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	good := sizedModule(1, 10)
	if _, err := cache.put("good", good); err != nil {
		t.Fatal(err)
	}
	// A write interrupted before its rename leaves only a temporary file.
	leftover := filepath.Join(dir, tmpDir, "put-123")
	if err := os.WriteFile(leftover, good[:5], 0o644); err != nil {
		t.Fatal(err)
	}
	// A blob damaged on disk (bit rot, a manual edit).
	bad := sizedModule(2, 10)
	if _, err := cache.put("bad", bad); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, blobsDir, sha(bad)+blobExt), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}

	reopened, err := OpenCache(CacheOptions{Dir: dir, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Error("temporary leftover not removed at open")
	}
	if _, ok := reopened.lookup("good"); !ok {
		t.Error("intact module lost")
	}
	if _, ok := reopened.lookup("bad"); ok {
		t.Error("a damaged module was served")
	}
	if _, ok := reopened.Path(sha(bad)); ok {
		t.Error("the damaged module is still indexed")
	}
}
