package authorizer

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/archway-gw/archway/internal/diag"
)

// Cache keeps authorizer results per identity for the authorizer's TTL.
// The in-process MemoryCache is the default; the Redis cache (package
// rediscache) implements the same interface so that every node shares one
// cache when limits.backend is redis.
type Cache interface {
	// Get returns the result cached under key, if it has not expired. A
	// non-nil error means the cache could not be read: the caller treats
	// it as a miss and invokes the authorizer (the request never fails
	// because of the cache).
	Get(ctx context.Context, key string) (*Result, bool, error)
	// Set caches r under key for ttl; a ttl <= 0 caches nothing. An error
	// means the result was not stored.
	Set(ctx context.Context, key string, r *Result, ttl time.Duration) error
}

// ErrCacheUnavailable is returned (wrapped) by a shared Cache that cannot
// reach its store.
var ErrCacheUnavailable = errors.New("authorizer cache unavailable")

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

// Get implements Cache; it never fails.
func (m *MemoryCache) Get(_ context.Context, key string) (*Result, bool, error) {
	v, ok := m.c.GetIfPresent(key)
	if !ok {
		return nil, false, nil
	}
	return v.r, true, nil
}

// Set implements Cache; it never fails.
func (m *MemoryCache) Set(_ context.Context, key string, r *Result, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	m.c.Set(key, cached{r: r, ttl: ttl})
	return nil
}

// CacheCounters are process-wide authorizer cache statistics, for metrics.
type CacheCounters struct {
	// Hits counts requests decided from a cached result.
	Hits uint64
	// Misses counts cache lookups that found nothing (the function was
	// then invoked, or joined a concurrent invocation).
	Misses uint64
	// Fallbacks counts requests whose cache lookup failed (the shared
	// cache was unreachable): the function was invoked instead.
	Fallbacks uint64
	// StoreErrors counts results that could not be written to the cache.
	StoreErrors uint64
	// Coalesced counts requests that waited for a concurrent invocation
	// for the same identity instead of invoking the function themselves.
	Coalesced uint64
}

var cacheStats struct {
	hits, misses, fallbacks, storeErrors, coalesced atomic.Uint64
}

// CacheStats returns the process-wide authorizer cache counters since
// start.
func CacheStats() CacheCounters {
	return CacheCounters{
		Hits:        cacheStats.hits.Load(),
		Misses:      cacheStats.misses.Load(),
		Fallbacks:   cacheStats.fallbacks.Load(),
		StoreErrors: cacheStats.storeErrors.Load(),
		Coalesced:   cacheStats.coalesced.Load(),
	}
}

// cacheGet reads the cache; a failure counts as a fallback, is logged at
// most once a second (cause LIMITER_UNAVAILABLE: the shared store of
// limits.redis is down) and reads as a miss.
func (c *Compiler) cacheGet(ctx context.Context, key string) (r *Result, ok bool, err error) {
	r, ok, err = c.Cache.Get(ctx, key)
	switch {
	case err != nil:
		cacheStats.fallbacks.Add(1)
		c.cacheFallbacks.Add(1)
		c.logCacheFailure("authorizer cache unavailable; invoking the authorizer", err)
		return nil, false, err
	case ok:
		cacheStats.hits.Add(1)
	default:
		cacheStats.misses.Add(1)
	}
	return r, ok, nil
}

// cacheGeneration reads the stage's cache generation; a failure counts
// and logs like a failed lookup (cacheGet).
func (c *Compiler) cacheGeneration(ctx context.Context, apiID, stage string) (uint64, error) {
	g, err := c.generations().Generation(ctx, apiID, stage)
	if err != nil {
		cacheStats.fallbacks.Add(1)
		c.cacheFallbacks.Add(1)
		c.logCacheFailure("authorizer cache unavailable; invoking the authorizer", err)
		return 0, err
	}
	return g, nil
}

// cacheSet stores a result; a failure is counted and logged (rate
// limited), never returned: the request already has its result.
func (c *Compiler) cacheSet(ctx context.Context, key string, r *Result, ttl time.Duration) {
	if err := c.Cache.Set(ctx, key, r, ttl); err != nil {
		cacheStats.storeErrors.Add(1)
		c.logCacheFailure("authorizer cache unavailable; result not stored in the shared cache", err)
	}
}

// logCacheFailure logs a cache failure at most once a second, with the
// number of fallbacks since the previous line.
func (c *Compiler) logCacheFailure(msg string, err error) {
	now := time.Now().UnixNano()
	last := c.cacheLastLog.Load()
	if now-last < int64(time.Second) || !c.cacheLastLog.CompareAndSwap(last, now) {
		return
	}
	c.Logger.Error(msg, "cause", string(diag.LimiterUnavailable), "component", "authorizer-cache",
		"fallbacks", c.cacheFallbacks.Swap(0), "error", err.Error())
}
