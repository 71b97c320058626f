// Package redislimit is the Redis backend of limit.Backend: token buckets
// as GCRA (github.com/go-redis/redis_rate, equivalent to AWS's rate plus
// burst bucket) and quota counters as integer keys that expire at the end
// of their period, so every node of a cluster shares them. AllowBatch
// decides all of a request's buckets and its quota in one round trip.
package redislimit

import (
	"context"
	"fmt"
	"github.com/archway-gw/archway/internal/redisconn"
	"math"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/archway-gw/archway/internal/gateway/limit"
)

// Options are the connection settings (limits.redis in archway.yaml).
type Options = redisconn.Options

// Backend is the Redis limit.Backend.
type Backend struct {
	rdb     *redis.Client
	batcher redis.Scripter // AllowBatch's scripts: rdb's auto-pipeliner
	rl      *redis_rate.Limiter
	prefix  string
	breaker redisconn.Breaker
}

var _ limit.Backend = (*Backend)(nil)

// New connects lazily: no command is sent until the first decision.
func New(o Options) *Backend {
	o = o.WithDefaults()
	rdb := redisconn.Client(o)
	b := &Backend{rdb: rdb, rl: redis_rate.NewLimiter(rdb), prefix: o.KeyPrefix, breaker: redisconn.Breaker{Backoff: o.Backoff}, batcher: rdb}
	if ap, err := rdb.AutoPipeline(); err == nil {
		b.batcher = ap
	}
	return b
}

// Name implements limit.Backend.
func (b *Backend) Name() string { return "redis" }

// Close implements limit.Backend.
func (b *Backend) Close() error { return b.rdb.Close() }

// Ping checks the server answers.
func (b *Backend) Ping(ctx context.Context) error { return b.rdb.Ping(ctx).Err() }

func (b *Backend) down() bool { return b.breaker.Down() }

// fail reports a failed command. The backend backs off only when the server
// failed: a command cut short because the caller's context ended (a client
// that hung up mid-request) says nothing about the server, and backing off
// then would let the next second of traffic through unchecked.
func (b *Backend) fail(ctx context.Context, err error) error {
	b.breaker.Fail(ctx)
	return fmt.Errorf("%w: redis: %w", limit.ErrUnavailable, err)
}

// gcra converts a rate to redis_rate's integer rate per period.
func gcra(r limit.Rate) redis_rate.Limit {
	if r.PerSecond == math.Trunc(r.PerSecond) && r.PerSecond >= 1 {
		return redis_rate.Limit{Rate: int(r.PerSecond), Burst: r.Burst, Period: time.Second}
	}
	return redis_rate.Limit{Rate: int(math.Round(r.PerSecond * 1000)), Burst: r.Burst, Period: 1000 * time.Second}
}

// Allow implements limit.Limiter.
func (b *Backend) Allow(ctx context.Context, key string, r limit.Rate, n int) (limit.Decision, error) {
	if b.down() {
		return limit.Decision{}, fmt.Errorf("%w: redis: backing off after a failure", limit.ErrUnavailable)
	}
	if r.Burst < n {
		return limit.Decision{RetryAfter: -1}, nil
	}
	if r.PerSecond <= 0 && n == 1 { // the burst, then nothing (as Memory)
		th, _, err := b.AllowBatch(ctx, []limit.Take{{Key: key, Rate: r}}, nil)
		return limit.Decision{Allowed: th < 0 && err == nil}, err
	}
	if math.IsInf(r.PerSecond, 1) {
		return limit.Decision{Allowed: true}, nil
	}
	res, err := b.rl.AllowN(ctx, b.prefix+key, gcra(r), n)
	if err != nil {
		return limit.Decision{}, b.fail(ctx, err)
	}
	d := limit.Decision{Allowed: res.Allowed >= n, Remaining: res.Remaining}
	if !d.Allowed {
		d.RetryAfter = res.RetryAfter
	}
	return d, nil
}

// consume adds ARGV[2] to KEYS[1] unless that passes ARGV[1]; the key
// expires at ARGV[3] (unix ms). Returns {count, added}.
var consume = redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[2])
if v + n > tonumber(ARGV[1]) then return {v, 0} end
v = redis.call('INCRBY', KEYS[1], n)
if v == n then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return {v, 1}
`)

// Consume implements limit.Quotas.
func (b *Backend) Consume(ctx context.Context, key string, lim, n int64, expires time.Time) (int64, bool, error) {
	if b.down() {
		return 0, false, fmt.Errorf("%w: redis: backing off after a failure", limit.ErrUnavailable)
	}
	v, err := consume.Run(ctx, b.rdb, []string{b.prefix + key}, lim, n, expires.UnixMilli()).Int64Slice()
	if err != nil {
		return 0, false, b.fail(ctx, err)
	}
	if len(v) != 2 {
		return 0, false, fmt.Errorf("redis quota script returned %v", v)
	}
	return v[0], v[1] == 1, nil
}

// Seed implements limit.Quotas: SET NX with the period's expiry.
func (b *Backend) Seed(ctx context.Context, key string, used int64, expires time.Time) error {
	if b.down() {
		return fmt.Errorf("%w: redis: backing off after a failure", limit.ErrUnavailable)
	}
	err := b.rdb.SetArgs(ctx, b.prefix+key, strconv.FormatInt(used, 10), redis.SetArgs{Mode: "NX", ExpireAt: expires}).Err()
	if err != nil && err != redis.Nil {
		return b.fail(ctx, err)
	}
	return nil
}

// batch is redis_rate's GCRA (same key format and value: the theoretical
// arrival time in seconds since 2017-01-01, so Allow and AllowBatch share
// buckets) over several buckets, then the quota script, in one round trip.
// KEYS: n bucket keys, then the quota key when ARGV[1] is 1.
// ARGV: hasQuota, quotaLimit, quotaExpireMs, then per bucket: emission
// interval (s), burst.
// Returns {index of the first empty bucket (0: none), quota ok, quota used}.
var batch = redis.NewScript(`
redis.replicate_commands()
local now = redis.call("TIME")
now = (now[1] - 1483228800) + (now[2] / 1000000)
local hasQuota = tonumber(ARGV[1])
local n = #KEYS - hasQuota
for i = 1, n do
  local ei = tonumber(ARGV[2 + 2 * i])
  local burst = tonumber(ARGV[3 + 2 * i])
  local tat = redis.call("GET", KEYS[i])
  if not tat then tat = now else tat = tonumber(tat) end
  tat = math.max(tat, now)
  local new_tat = tat + ei
  if now - (new_tat - ei * burst) < 0 then
    return {i, 0, 0}
  end
  local reset_after = new_tat - now
  if reset_after > 0 then
    redis.call("SET", KEYS[i], new_tat, "EX", math.ceil(reset_after))
  end
end
if hasQuota == 0 then return {0, 1, 0} end
local q = KEYS[n + 1]
local v = tonumber(redis.call("GET", q) or "0")
if v + 1 > tonumber(ARGV[2]) then return {0, 0, v} end
v = redis.call("INCRBY", q, 1)
if v == 1 then redis.call("PEXPIREAT", q, ARGV[3]) end
return {0, 1, v}
`)

var _ limit.Batcher = (*Backend)(nil)

// AllowBatch implements limit.Batcher.
func (b *Backend) AllowBatch(ctx context.Context, takes []limit.Take, q *limit.QuotaTake) (int, bool, error) {
	if b.down() {
		return -1, false, fmt.Errorf("%w: redis: backing off after a failure", limit.ErrUnavailable)
	}
	var keysBuf [4]string
	var argsBuf [12]any
	keys := keysBuf[:0]
	args := argsBuf[:0]
	if q != nil {
		args = append(args, 1, q.Limit, q.Expires.UnixMilli())
	} else {
		args = append(args, 0, 0, 0)
	}
	for _, t := range takes {
		keys = append(keys, "rate:"+b.prefix+t.Key) // redis_rate's key for Allow(t.Key)
		ei := 1e12                                  // a rate of 0: the burst, then nothing
		if t.Rate.PerSecond > 0 {
			ei = 1 / t.Rate.PerSecond
		}
		args = append(args, strconv.FormatFloat(ei, 'g', -1, 64), t.Rate.Burst)
	}
	if q != nil {
		keys = append(keys, b.prefix+q.Key)
	}
	v, err := batch.Run(ctx, b.batcher, keys, args...).Int64Slice()
	if err != nil {
		return -1, false, b.fail(ctx, err)
	}
	if len(v) != 3 {
		return -1, false, fmt.Errorf("redis batch script returned %v", v)
	}
	return int(v[0]) - 1, v[1] == 1, nil
}
