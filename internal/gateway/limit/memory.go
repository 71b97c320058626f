package limit

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Memory is the in-process Backend: token buckets from golang.org/x/time/rate
// and quota counters in a map. Every bucket and counter lives as long as
// the process (quota usage is restored from the embedded store through
// Seed after a restart).
type Memory struct {
	// Now returns the current time; nil means time.Now. Tests set it to
	// drive the buckets with a virtual clock.
	Now func() time.Time

	buckets sync.Map // string → *bucket
	mu      sync.Mutex
	counts  map[string]*counter
	sweep   time.Time
}

type bucket struct {
	mu   sync.Mutex
	rate Rate
	lim  *rate.Limiter
}

type counter struct {
	n       int64
	expires time.Time
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-process backend.
func NewMemory() *Memory { return &Memory{counts: map[string]*counter{}} }

// Name implements Backend.
func (m *Memory) Name() string { return "memory" }

// Close implements Backend.
func (m *Memory) Close() error { return nil }

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func newLimiter(r Rate) *rate.Limiter {
	l := rate.Limit(r.PerSecond)
	if math.IsInf(r.PerSecond, 1) {
		l = rate.Inf
	}
	return rate.NewLimiter(l, r.Burst)
}

// Allow implements Limiter. A bucket whose rate changed (a reload) is
// refilled from scratch with the new rate.
func (m *Memory) Allow(_ context.Context, key string, r Rate, n int) (Decision, error) {
	v, ok := m.buckets.Load(key)
	if !ok {
		v, _ = m.buckets.LoadOrStore(key, &bucket{rate: r, lim: newLimiter(r)})
	}
	b := v.(*bucket)
	now := m.now()
	b.mu.Lock()
	if b.rate != r {
		b.rate, b.lim = r, newLimiter(r)
	}
	res := b.lim.ReserveN(now, n)
	d := Decision{}
	if res.OK() && res.DelayFrom(now) == 0 {
		d.Allowed = true
	} else {
		if res.OK() {
			d.RetryAfter = res.DelayFrom(now)
			res.CancelAt(now)
		} else {
			d.RetryAfter = -1
		}
	}
	d.Remaining = int(b.lim.TokensAt(now))
	b.mu.Unlock()
	if d.Remaining < 0 {
		d.Remaining = 0
	}
	return d, nil
}

// Consume implements Quotas.
func (m *Memory) Consume(_ context.Context, key string, limit, n int64, expires time.Time) (int64, bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now)
	c := m.counts[key]
	if c == nil || !now.Before(c.expires) {
		c = &counter{expires: expires}
		m.counts[key] = c
	}
	if c.n+n > limit {
		return c.n, false, nil
	}
	c.n += n
	return c.n, true, nil
}

// Seed implements Quotas.
func (m *Memory) Seed(_ context.Context, key string, used int64, expires time.Time) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.counts[key]; c != nil && now.Before(c.expires) {
		return nil
	}
	m.counts[key] = &counter{n: used, expires: expires}
	return nil
}

// sweepLocked drops expired counters, at most once a minute.
func (m *Memory) sweepLocked(now time.Time) {
	if now.Sub(m.sweep) < time.Minute {
		return
	}
	m.sweep = now
	for k, c := range m.counts {
		if !now.Before(c.expires) {
			delete(m.counts, k)
		}
	}
}
