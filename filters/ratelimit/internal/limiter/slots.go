package limiter

import "strconv"

// Per-client buckets live in a fixed pool of slots, one shared-data key
// each, because shared data has no delete: a key per distinct client would
// grow without bound. A key value hashes to two candidate slots (two-choice
// hashing, which keeps collisions rare until the pool is nearly full); the
// slot records its owner's hash, and a newcomer whose candidates are both
// owned by others evicts the fuller one: a full bucket is the same as no
// bucket, so evicting it loses nothing, and otherwise the loss (tokens the
// evicted client gets back when it returns) is the smallest available.

// fnv64a constants (FNV-1a, 64 bit). FNV is stable across processes and
// VMs, which a slot index must be; it is not keyed, so a client could craft
// colliding values, but flooding distinct values evicts others in any
// bounded cache (Envoy's LRU of dynamic descriptors included).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// HashKey hashes a key value under a pool's seed (the policy identity's
// hash), so the same client lands on different slots in different pools.
func HashKey(seed uint64, value string) uint64 {
	h := seed
	for i := 0; i < len(value); i++ {
		h ^= uint64(value[i])
		h *= fnvPrime
	}
	// Finalizer (splitmix64's) so that low bits, used for the slot index,
	// depend on every input byte.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// HashString is FNV-1a of s, for seeds.
func HashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// Pool names the slots of one policy's buckets.
type Pool struct {
	// Prefix is the shared-data key prefix; slot i's key is Prefix + i.
	Prefix string
	// Size is the number of slots (1 for a policy-wide bucket).
	Size uint32
	// keys caches each slot's key so a request allocates none; a pool of
	// MaxRateLimitMaxKeys costs ~3 MiB, so large pools build keys on demand.
	keys []string
}

// maxCachedKeys bounds the per-pool cache of slot key strings.
const maxCachedKeys = 4096

// NewPool returns a pool of size slots under prefix.
func NewPool(prefix string, size uint32) *Pool {
	if size == 0 {
		size = 1
	}
	p := &Pool{Prefix: prefix, Size: size}
	if size <= maxCachedKeys {
		p.keys = make([]string, size)
		for i := range p.keys {
			p.keys[i] = prefix + strconv.Itoa(i)
		}
	}
	return p
}

// Key returns slot i's shared-data key.
func (p *Pool) Key(i uint32) string {
	if p.keys != nil {
		return p.keys[i]
	}
	return p.Prefix + strconv.FormatUint(uint64(i), 10)
}

// Candidates returns the two slots a key hash may live in; they differ
// whenever the pool has two slots or more.
func (p *Pool) Candidates(h uint64) (uint32, uint32) {
	n := uint64(p.Size)
	first := h % n
	if n == 1 {
		return 0, 0
	}
	second := (first + 1 + (h>>32)%(n-1)) % n
	return uint32(first), uint32(second)
}
