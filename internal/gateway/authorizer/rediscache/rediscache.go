// Package rediscache is the Redis implementation of authorizer.Cache:
// Lambda authorizer results are stored as JSON under a key derived from
// the authorizer and the identity, with the authorizer's TTL
// (authorizerResultTtlInSeconds) as the key's expiry, so every Archway
// node pointing at the same server shares them. It uses the connection
// settings of limits.redis; the identity (a token, say) is hashed into the
// key, never stored in clear.
//
// With Options.Local, each node also keeps the results it has read from or
// written to Redis in process, until the moment their Redis key expires, so
// a hot identity costs one Redis round trip per node, not one per request.
//
// The cache generation of each stage (authorizer.Generations, moved on by
// FlushStageAuthorizersCache) is kept in Redis too, under
// {prefix}authz-gen:{apiId}/{stage}, so a flush on one node reaches every
// node; each node re-reads it at most every GenerationRefresh.
package rediscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/archway-gw/archway/internal/redisconn"

	"github.com/redis/go-redis/v9"

	"github.com/archway-gw/archway/internal/gateway/authorizer"
)

// Options configures the cache: the connection settings of limits.redis
// (the key prefix is followed by "authz:"; the timeout defaults to 250ms,
// since a cache slower than that costs more than invoking the authorizer)
// and the in-process copy.
type Options struct {
	redisconn.Options
	// Local, when above 0, keeps up to that many results in process in
	// front of Redis: a result read from Redis (or written to it) is served
	// locally until the absolute time its Redis key expires, so the answer
	// is the one Redis would give while the key lives (results are never
	// changed before they expire). A key deleted in Redis by hand is still
	// served by nodes holding a copy until that time. Default 0: every Get
	// reads Redis.
	Local int
}

// Cache is the Redis authorizer.Cache.
type Cache struct {
	rdb     *redis.Client
	local   *authorizer.MemoryCache // nil: none (Options.Local 0)
	prefix  string
	breaker redisconn.Breaker

	genPrefix string
	genMu     sync.RWMutex
	gens      map[stageKey]*generation
}

// GenerationRefresh is how long a node uses the cache generation of a
// stage it has read before reading it from Redis again: a flush on
// another node takes effect here within that time.
const GenerationRefresh = time.Second

type stageKey struct{ api, stage string }

// generation is a node's copy of a stage's generation.
type generation struct {
	val  atomic.Uint64
	next atomic.Int64 // unix nanos after which it is read again
}

// raise stores v unless the copy already holds a later generation (a read
// that started before a flush may answer after it).
func (g *generation) raise(v uint64) {
	for {
		cur := g.val.Load()
		if v <= cur || g.val.CompareAndSwap(cur, v) {
			return
		}
	}
}

var (
	_ authorizer.Cache       = (*Cache)(nil)
	_ authorizer.Generations = (*Cache)(nil)
)

// New connects lazily: no command is sent until the first lookup.
func New(o Options) *Cache {
	o.Options = o.Options.WithDefaults()
	rdb := redisconn.Client(o.Options)
	c := &Cache{rdb: rdb, prefix: o.KeyPrefix + "authz:", genPrefix: o.KeyPrefix + "authz-gen:",
		breaker: redisconn.Breaker{Backoff: o.Backoff}, gens: map[stageKey]*generation{}}
	if o.Local > 0 {
		c.local = authorizer.NewMemoryCache(o.Local)
	}
	return c
}

// Close releases the connections.
func (c *Cache) Close() error { return c.rdb.Close() }

// Key is the Redis key of a cache key: the prefix, "authz:" and the
// SHA-256 of the key (which holds the identity) in hex.
func (c *Cache) Key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return c.prefix + hex.EncodeToString(sum[:])
}

func (c *Cache) down() bool { return c.breaker.Down() }

func (c *Cache) fail(err error) error {
	c.breaker.Fail(context.Background())
	return fmt.Errorf("%w: redis: %w", authorizer.ErrCacheUnavailable, err)
}

var errBackingOff = fmt.Errorf("%w: redis: backing off after a failure", authorizer.ErrCacheUnavailable)

// Get implements authorizer.Cache: the in-process copy, else GET and
// PTTL in one round trip (the copy then lives as long as the Redis key). A
// value that is not a result (written by something else) reads as a miss.
func (c *Cache) Get(ctx context.Context, key string) (*authorizer.Result, bool, error) {
	if c.local != nil {
		if r, ok, _ := c.local.Get(ctx, key); ok {
			return r, true, nil
		}
	}
	if c.down() {
		return nil, false, errBackingOff
	}
	k := c.Key(key)
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, k)
		if c.local != nil {
			pttl = p.PTTL(ctx, k)
		}
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, c.failed(ctx, err)
	}
	b, err := get.Bytes()
	if err != nil {
		return nil, false, c.failed(ctx, err)
	}
	var r authorizer.Result
	if err := json.Unmarshal(b, &r); err != nil || r.Policy == nil {
		return nil, false, nil
	}
	if pttl != nil {
		if ttl, err := pttl.Result(); err == nil && ttl > 0 {
			_ = c.local.Set(ctx, key, &r, ttl)
		}
	}
	return &r, true, nil
}

// failed wraps a command error; it backs off unless the request (not the
// server) went away.
func (c *Cache) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", authorizer.ErrCacheUnavailable, err)
	}
	return c.fail(err)
}

// Set implements authorizer.Cache: SET key json PX ttl, and the
// in-process copy.
func (c *Cache) Set(ctx context.Context, key string, r *authorizer.Result, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	if c.local != nil {
		_ = c.local.Set(ctx, key, r, ttl)
	}
	if c.down() {
		return errBackingOff
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the authorizer result: %w", err)
	}
	if err := c.rdb.Set(ctx, c.Key(key), b, ttl).Err(); err != nil {
		return c.failed(ctx, err)
	}
	return nil
}

// GenerationKey is the Redis key of a stage's cache generation.
func (c *Cache) GenerationKey(apiID, stage string) string {
	return c.genPrefix + apiID + "/" + stage
}

// Generation implements authorizer.Generations: the node's copy while it
// is younger than GenerationRefresh, else a GET (one request re-reads it;
// concurrent ones use the copy meanwhile). When Redis cannot be read the
// copy is used; a stage this node never read is then an error.
func (c *Cache) Generation(ctx context.Context, apiID, stage string) (uint64, error) {
	k := stageKey{apiID, stage}
	c.genMu.RLock()
	g := c.gens[k]
	c.genMu.RUnlock()
	now := time.Now().UnixNano()
	if g != nil {
		next := g.next.Load()
		if now < next || c.down() || !g.next.CompareAndSwap(next, now+int64(GenerationRefresh)) {
			return g.val.Load(), nil
		}
		if v, err := c.readGeneration(ctx, apiID, stage); err == nil {
			g.raise(v)
		}
		return g.val.Load(), nil
	}
	if c.down() {
		return 0, errBackingOff
	}
	v, err := c.readGeneration(ctx, apiID, stage)
	if err != nil {
		return 0, err
	}
	c.store(k, v, now)
	return v, nil
}

// store records a generation read (or set by a flush) at now.
func (c *Cache) store(k stageKey, v uint64, now int64) {
	c.genMu.Lock()
	g := c.gens[k]
	if g == nil {
		g = &generation{}
		c.gens[k] = g
	}
	c.genMu.Unlock()
	g.raise(v)
	g.next.Store(now + int64(GenerationRefresh))
}

func (c *Cache) readGeneration(ctx context.Context, apiID, stage string) (uint64, error) {
	s, err := c.rdb.Get(ctx, c.GenerationKey(apiID, stage)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, c.failed(ctx, err)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s holds %q, not a generation", authorizer.ErrCacheUnavailable, c.GenerationKey(apiID, stage), s)
	}
	return v, nil
}

// Flush implements authorizer.Generations: INCR of the stage's generation
// key (which never expires), taken at once by this node.
func (c *Cache) Flush(ctx context.Context, apiID, stage string) error {
	v, err := c.rdb.Incr(ctx, c.GenerationKey(apiID, stage)).Uint64()
	if err != nil {
		return fmt.Errorf("flushing the authorizer cache of %s/%s: %w", apiID, stage, c.failed(ctx, err))
	}
	c.store(stageKey{apiID, stage}, v, time.Now().UnixNano())
	return nil
}
