// Package redisconn opens the Redis connections Archway's shared state
// uses (limits, quotas, the authorizer cache) with fail-fast settings, and
// provides the back-off that keeps a dead server from costing anything per
// request.
package redisconn

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options are the connection settings of limits.redis in archway.yaml.
type Options struct {
	// Addr is host:port of the Redis server. Required.
	Addr string
	// Username and Password authenticate (Redis 6 ACL); empty for none.
	Username string
	Password string
	// DB is the database number. Default 0.
	DB int
	// KeyPrefix is put before every key. Default "archway:".
	KeyPrefix string
	// Timeout bounds each command (dial, read, write). Default 250ms: a
	// limiter or cache that waits longer than that costs more than its
	// fallback.
	Timeout time.Duration
	// Backoff is how long the server is reported unavailable without
	// trying after a failed command. Default 1s.
	Backoff time.Duration
}

// WithDefaults returns o with every zero setting at its default.
func (o Options) WithDefaults() Options {
	if o.KeyPrefix == "" {
		o.KeyPrefix = "archway:"
	}
	if o.Timeout <= 0 {
		o.Timeout = 250 * time.Millisecond
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	return o
}

// Client returns a client that connects lazily and fails fast: one dial
// attempt (go-redis's default of 5, 100ms apart, would hold a request half
// a second when the server is down), no retries, and every command bounded
// by the timeout and the caller's context. o must have its defaults set.
func Client(o Options) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout,
		MaxRetries: -1, PoolTimeout: o.Timeout,
		DialerRetries: 1, DialerRetryTimeout: 10 * time.Millisecond,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
	})
}

// Breaker remembers a server failure for a back-off period.
type Breaker struct {
	// Backoff is how long Down reports true after a failure.
	Backoff   time.Duration
	downUntil atomic.Int64 // unix nanos
}

// Down reports whether a failure was recorded less than Backoff ago.
func (b *Breaker) Down() bool {
	u := b.downUntil.Load()
	return u != 0 && time.Now().UnixNano() < u
}

// Fail records a failed command, unless the command was cut short because
// ctx ended (a client that hung up): that says nothing about the server,
// and backing off then would skip the server for the next Backoff. It
// reports whether the failure was recorded.
func (b *Breaker) Fail(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	b.downUntil.Store(time.Now().Add(b.Backoff).UnixNano())
	return true
}
