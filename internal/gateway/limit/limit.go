// Package limit takes tokens from rate-limit buckets and counts quotas.
// AWS API Gateway throttles with a token bucket: a bucket holds at most
// Burst tokens, refills at PerSecond tokens a second, and a request that
// finds it empty is throttled. Quotas are counters that reset at the start
// of each DAY, WEEK or MONTH (UTC). Two backends implement the interfaces:
// the in-process one in this package (NewMemory) and Redis (redislimit),
// which shares every bucket and counter between nodes.
package limit

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Rate is a token bucket: PerSecond tokens are added each second, up to
// Burst. AWS calls them rateLimit and burstLimit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Decision is the outcome of a Limiter.Allow call.
type Decision struct {
	// Allowed is true when the tokens were taken.
	Allowed bool
	// Remaining is how many whole tokens are left after the call.
	Remaining int
	// RetryAfter is how long until n tokens are available again; zero when
	// allowed.
	RetryAfter time.Duration
}

// Limiter takes tokens for a key; the memory and redis backends implement it.
type Limiter interface {
	// Allow takes n tokens from the bucket named key, created full (Burst
	// tokens) on first use. A rate with Burst < n never allows.
	Allow(ctx context.Context, key string, rate Rate, n int) (Decision, error)
}

// Quotas counts uses of a quota per period; the memory and redis backends
// implement it.
type Quotas interface {
	// Consume adds n to the counter named key when the result stays within
	// limit, and reports the count after the call and whether it was
	// added. The counter is dropped at expires (the end of its period).
	Consume(ctx context.Context, key string, limit int64, n int64, expires time.Time) (used int64, ok bool, err error)
	// Seed sets the counter to used unless it already exists (restoring a
	// period's usage after a restart from the embedded store).
	Seed(ctx context.Context, key string, used int64, expires time.Time) error
}

// Backend is a Limiter and a Quotas sharing one store.
type Backend interface {
	Limiter
	Quotas
	// Name is "memory" or "redis".
	Name() string
	// Close releases the backend's connections.
	Close() error
}

// ErrUnavailable is returned (wrapped) when a shared backend cannot be
// reached; callers then apply the stage's failure mode.
var ErrUnavailable = errors.New("limiter backend unavailable")

// Counters are process-wide limiter statistics, for metrics.
type Counters struct {
	// Throttled counts requests answered 429 Too Many Requests.
	Throttled uint64
	// QuotaExceeded counts requests answered 429 Limit Exceeded.
	QuotaExceeded uint64
	// InvalidAPIKey counts requests answered 403 for their API key.
	InvalidAPIKey uint64
	// FallbackOpen counts decisions let through because the backend was
	// unavailable and the stage fails open.
	FallbackOpen uint64
	// FallbackClosed counts requests refused because the backend was
	// unavailable and the stage fails closed.
	FallbackClosed uint64
}

var stats struct {
	throttled, quota, invalidKey, open, closed atomic.Uint64
}

// Stats returns the process-wide counters since start.
func Stats() Counters {
	return Counters{
		Throttled:      stats.throttled.Load(),
		QuotaExceeded:  stats.quota.Load(),
		InvalidAPIKey:  stats.invalidKey.Load(),
		FallbackOpen:   stats.open.Load(),
		FallbackClosed: stats.closed.Load(),
	}
}

// CountThrottled, CountQuotaExceeded, CountInvalidAPIKey and CountFallback
// record one event in Stats.
func CountThrottled() { stats.throttled.Add(1) }

// CountQuotaExceeded records a request refused by its quota.
func CountQuotaExceeded() { stats.quota.Add(1) }

// CountInvalidAPIKey records a request refused for its API key.
func CountInvalidAPIKey() { stats.invalidKey.Add(1) }

// CountFallback records a decision taken without the backend: open when
// the request was let through.
func CountFallback(open bool) {
	if open {
		stats.open.Add(1)
	} else {
		stats.closed.Add(1)
	}
}

// Period is a quota period: DAY, WEEK or MONTH.
type Period string

// Quota periods, as AWS names them.
const (
	Day   Period = "DAY"
	Week  Period = "WEEK"
	Month Period = "MONTH"
)

// Bounds returns the UTC period holding t: [start, end). Days start at
// 00:00 UTC, weeks on Sunday (AWS's older QuotaSettings documentation:
// "with a time period of WEEK, an offset of 0 starts on Sunday"), months
// on the 1st. A quota's offset (requests subtracted from the limit in the
// first period) never moves the boundaries.
func Bounds(p Period, t time.Time) (start, end time.Time) {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch p {
	case Week:
		start = day.AddDate(0, 0, -int(day.Weekday()))
		return start, start.AddDate(0, 0, 7)
	case Month:
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	default:
		return day, day.AddDate(0, 0, 1)
	}
}

// ParsePeriod accepts DAY, WEEK or MONTH.
func ParsePeriod(s string) (Period, bool) {
	switch Period(s) {
	case Day, Week, Month:
		return Period(s), true
	}
	return "", false
}

// Take names one bucket of a batch.
type Take struct {
	Key  string
	Rate Rate
}

// QuotaTake is the quota counted by a batch when every bucket allowed.
type QuotaTake struct {
	Key     string
	Limit   int64
	Expires time.Time
}

// Batcher is implemented by backends that decide several buckets and a
// quota in one round trip (Redis). The guard uses it when present.
type Batcher interface {
	// AllowBatch takes one token from each bucket in order and stops at
	// the first empty one, whose index it returns (-1 when all allowed;
	// tokens taken from earlier buckets stay taken, as with separate
	// Allow calls). When all allowed and q is not nil, it then consumes
	// one unit of the quota and reports whether it fit.
	AllowBatch(ctx context.Context, takes []Take, q *QuotaTake) (throttled int, quotaOK bool, err error)
}
