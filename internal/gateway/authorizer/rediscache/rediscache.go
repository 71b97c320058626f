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
package rediscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/archway-gw/archway/internal/redisconn"
	"time"

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
}

var _ authorizer.Cache = (*Cache)(nil)

// New connects lazily: no command is sent until the first lookup.
func New(o Options) *Cache {
	o.Options = o.Options.WithDefaults()
	rdb := redisconn.Client(o.Options)
	c := &Cache{rdb: rdb, prefix: o.KeyPrefix + "authz:", breaker: redisconn.Breaker{Backoff: o.Backoff}}
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
