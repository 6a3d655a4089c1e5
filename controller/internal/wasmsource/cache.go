package wasmsource

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Cache layout under its directory. Every file is written to tmp/ first,
// synced, then renamed into place, so a crash leaves either the old state
// or the new one, never a partial module; leftovers in tmp/ are removed at
// open.
const (
	blobsDir = "blobs" // blobs/<sha256>.wasm: verified, validated modules
	refsDir  = "refs"  // refs/<sha256 of cache key>: the module's sha256
	tmpDir   = "tmp"
	blobExt  = ".wasm"
)

// CacheOptions configures a Cache.
type CacheOptions struct {
	// Dir is the cache's directory (created if missing).
	Dir string
	// MaxBytes bounds the modules' total size; least recently used modules
	// are evicted past it. The module just stored is never evicted, even
	// alone over the bound.
	MaxBytes int64
	// InUse, when set, protects modules from eviction, e.g. those the
	// current xDS snapshot references.
	InUse func(sha256 string) bool
}

// Cache is a content-addressed store of modules on disk with LRU eviction.
// Recency is kept in each blob's modification time, so it survives a
// restart. Safe for concurrent use by one process.
type Cache struct {
	opts CacheOptions
	mu   sync.Mutex
	// blobs is the index of blobs/: size and last use per sha256.
	blobs map[string]*blobInfo
	total int64
	now   func() time.Time
}

type blobInfo struct {
	size    int64
	lastUse time.Time
	// verified: this process has hashed the file (or written it), so a
	// later read of the same size skips re-hashing. A file changed behind
	// our back after that is still caught by Envoy, which checks the
	// sha256 in xDS against the bytes it downloads.
	verified bool
}

// OpenCache opens (creating) the cache in opts.Dir and indexes its blobs.
func OpenCache(opts CacheOptions) (*Cache, error) {
	if opts.Dir == "" || opts.MaxBytes <= 0 {
		return nil, errors.New("wasmsource: cache needs a directory and a positive MaxBytes")
	}
	for _, d := range []string{blobsDir, refsDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(opts.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	c := &Cache{opts: opts, blobs: map[string]*blobInfo{}, now: time.Now}
	// A temporary file is a write that never reached its rename.
	tmps, _ := os.ReadDir(filepath.Join(opts.Dir, tmpDir))
	for _, e := range tmps {
		_ = os.Remove(filepath.Join(opts.Dir, tmpDir, e.Name()))
	}
	entries, err := os.ReadDir(filepath.Join(opts.Dir, blobsDir))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		sum, ok := strings.CutSuffix(e.Name(), blobExt)
		if !ok || !sha256Hex.MatchString(sum) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		c.blobs[sum] = &blobInfo{size: info.Size(), lastUse: info.ModTime()}
		c.total += info.Size()
	}
	return c, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.opts.Dir }

// Size is the total size of the cached modules.
func (c *Cache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Path returns the file holding the module with this sha256, if cached.
// The file never changes; it may be removed by a later eviction.
func (c *Cache) Path(sum string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.blobs[sum]; !ok {
		return "", false
	}
	return c.blobPath(sum), true
}

// Read returns the module with this sha256, verified against its name
// once per process (a corrupted file is removed and reported missing), and
// marks it used.
func (c *Cache) Read(sum string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readLocked(sum)
}

func (c *Cache) readLocked(sum string) ([]byte, bool) {
	info, ok := c.blobs[sum]
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(c.blobPath(sum))
	if err == nil && ((info.verified && int64(len(b)) == info.size) || hashHex(b) == sum) {
		info.verified = true
		c.touchLocked(sum)
		return b, true
	}
	c.removeLocked(sum)
	return nil, false
}

// lookup resolves a cache key to its module, or reports a miss.
func (c *Cache) lookup(key string) (Module, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ref, err := os.ReadFile(c.refPath(key))
	if err != nil {
		return Module{}, false
	}
	sum := strings.TrimSpace(string(ref))
	b, ok := c.readLocked(sum)
	if !ok {
		return Module{}, false
	}
	return Module{SHA256: sum, Size: int64(len(b)), Path: c.blobPath(sum), Code: b}, true
}

// put stores a verified module under its sha256 and points key at it,
// then evicts past the size bound.
func (c *Cache) put(key string, b []byte) (Module, error) {
	sum := hashHex(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.blobs[sum]; !ok {
		if err := c.writeAtomic(c.blobPath(sum), b); err != nil {
			return Module{}, err
		}
		c.blobs[sum] = &blobInfo{size: int64(len(b)), verified: true}
		c.total += int64(len(b))
	}
	c.touchLocked(sum)
	if err := c.writeAtomic(c.refPath(key), []byte(sum+"\n")); err != nil {
		return Module{}, err
	}
	c.evictLocked(sum)
	return Module{SHA256: sum, Size: int64(len(b)), Path: c.blobPath(sum), Code: b}, nil
}

// evictLocked removes least recently used modules until the total fits,
// sparing keep and modules InUse.
func (c *Cache) evictLocked(keep string) {
	if c.total <= c.opts.MaxBytes {
		return
	}
	sums := make([]string, 0, len(c.blobs))
	for s := range c.blobs {
		sums = append(sums, s)
	}
	// Oldest first; ties broken by name so eviction is deterministic.
	sort.Slice(sums, func(i, j int) bool {
		a, b := c.blobs[sums[i]], c.blobs[sums[j]]
		if !a.lastUse.Equal(b.lastUse) {
			return a.lastUse.Before(b.lastUse)
		}
		return sums[i] < sums[j]
	})
	for _, s := range sums {
		if c.total <= c.opts.MaxBytes {
			break
		}
		if s == keep || (c.opts.InUse != nil && c.opts.InUse(s)) {
			continue
		}
		c.removeLocked(s)
	}
	c.pruneRefsLocked()
}

func (c *Cache) removeLocked(sum string) {
	if info, ok := c.blobs[sum]; ok {
		c.total -= info.size
		delete(c.blobs, sum)
	}
	_ = os.Remove(c.blobPath(sum))
}

// pruneRefsLocked removes refs whose module was evicted, so refs/ stays as
// small as blobs/.
func (c *Cache) pruneRefsLocked() {
	dir := filepath.Join(c.opts.Dir, refsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if _, ok := c.blobs[strings.TrimSpace(string(b))]; !ok {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// touchLocked marks a module used now, in memory and in its mtime (best
// effort: recency after a restart is a hint, not a correctness matter).
func (c *Cache) touchLocked(sum string) {
	now := c.now()
	if info, ok := c.blobs[sum]; ok {
		// Strictly increasing, so two uses within the clock's resolution
		// still order.
		if !now.After(info.lastUse) {
			now = info.lastUse.Add(time.Nanosecond)
		}
		info.lastUse = now
	}
	_ = os.Chtimes(c.blobPath(sum), now, now)
}

// writeAtomic writes b to path through a synced temporary file and a
// rename.
func (c *Cache) writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Join(c.opts.Dir, tmpDir), "put-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("wasmsource: write cache: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("wasmsource: write cache: %w", err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a rename durable (best effort; not every filesystem
// supports syncing a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func (c *Cache) blobPath(sum string) string {
	return filepath.Join(c.opts.Dir, blobsDir, sum+blobExt)
}

func (c *Cache) refPath(key string) string {
	return filepath.Join(c.opts.Dir, refsDir, hashHex([]byte(key)))
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
