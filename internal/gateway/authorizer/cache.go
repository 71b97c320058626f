package authorizer

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"
)

// Cache keeps authorizer results per identity for the authorizer's TTL.
// The in-process MemoryCache is the default; a shared backend (Redis) can
// implement the same interface so that every node sees one cache.
type Cache interface {
	// Get returns the result cached under key, if it has not expired.
	Get(ctx context.Context, key string) (*Result, bool)
	// Set caches r under key for ttl.
	Set(ctx context.Context, key string, r *Result, ttl time.Duration)
}

// DefaultCacheEntries bounds the in-process cache.
const DefaultCacheEntries = 100_000

type cached struct {
	r   *Result
	ttl time.Duration
}

// MemoryCache is the in-process Cache (otter, per-entry TTL).
type MemoryCache struct {
	c *otter.Cache[string, cached]
}

var _ Cache = (*MemoryCache)(nil)

// NewMemoryCache returns an in-process cache of at most entries results
// (DefaultCacheEntries when entries <= 0).
func NewMemoryCache(entries int) *MemoryCache {
	if entries <= 0 {
		entries = DefaultCacheEntries
	}
	c := otter.Must(&otter.Options[string, cached]{
		MaximumSize: entries,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, cached]) time.Duration {
			return e.Value.ttl
		}),
	})
	return &MemoryCache{c: c}
}

// Get implements Cache.
func (m *MemoryCache) Get(_ context.Context, key string) (*Result, bool) {
	v, ok := m.c.GetIfPresent(key)
	if !ok {
		return nil, false
	}
	return v.r, true
}

// Set implements Cache.
func (m *MemoryCache) Set(_ context.Context, key string, r *Result, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	m.c.Set(key, cached{r: r, ttl: ttl})
}
