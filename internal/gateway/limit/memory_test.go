package limit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// clock is a virtual clock for driving buckets deterministically.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestMemoryBucketArithmetic sends n requests spread evenly over a window
// and checks the allowed count against the token-bucket arithmetic:
// min(n, burst + rate·elapsed), to within one token (the last refill may
// fall just after the final request).
func TestMemoryBucketArithmetic(t *testing.T) {
	tests := []struct {
		name   string
		rate   Rate
		n      int
		window time.Duration
	}{
		{"issue: 50 rps burst 10, 1000 over 2s", Rate{50, 10}, 1000, 2 * time.Second},
		{"burst only, no time", Rate{50, 10}, 100, 0},
		{"slower than rate: all pass", Rate{100, 5}, 50, 2 * time.Second},
		{"fractional rate", Rate{0.5, 2}, 100, 10 * time.Second},
		{"burst larger than rate", Rate{5, 100}, 1000, 2 * time.Second},
		{"rate zero: burst only", Rate{0, 3}, 50, time.Second},
		{"burst zero: nothing", Rate{50, 0}, 50, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			c := &clock{t: start}
			m := NewMemory()
			m.Now = c.now
			allowed := 0
			var last time.Duration
			for i := 0; i < tc.n; i++ {
				if tc.n > 1 {
					last = time.Duration(int64(tc.window) * int64(i) / int64(tc.n-1))
				}
				c.set(start.Add(last))
				d, err := m.Allow(context.Background(), "k", tc.rate, 1)
				if err != nil {
					t.Fatal(err)
				}
				if d.Allowed {
					allowed++
				}
			}
			want := math.Min(float64(tc.n), float64(tc.rate.Burst)+tc.rate.PerSecond*last.Seconds())
			if tc.rate.Burst == 0 {
				want = 0
			}
			if math.Abs(float64(allowed)-want) > 1 {
				t.Errorf("allowed %d of %d, bucket arithmetic says %.1f (±1)", allowed, tc.n, want)
			}
		})
	}
}

func TestMemoryBucketsAreSeparateAndFollowRateChanges(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m := NewMemory()
	m.Now = c.now
	ctx := context.Background()
	take := func(key string, r Rate) int {
		n := 0
		for range 20 {
			if d, _ := m.Allow(ctx, key, r, 1); d.Allowed {
				n++
			}
		}
		return n
	}
	if got := take("a", Rate{1, 3}); got != 3 {
		t.Errorf("a: %d allowed, want 3", got)
	}
	if got := take("b", Rate{1, 4}); got != 4 {
		t.Errorf("b: %d allowed, want 4 (its own bucket)", got)
	}
	// A reload that changes a's rate starts a new, full bucket.
	if got := take("a", Rate{1, 7}); got != 7 {
		t.Errorf("a after a rate change: %d allowed, want 7", got)
	}
}

func TestMemoryQuotaExact(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	_, end := Bounds(Day, time.Now())
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if _, allowed, err := m.Consume(ctx, "q", 100, 1, end); err == nil && allowed {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if ok != 100 {
		t.Errorf("quota of 100 allowed %d of 400", ok)
	}
	// Seed does not overwrite a live counter.
	m.Seed(ctx, "q", 0, end)
	if _, allowed, _ := m.Consume(ctx, "q", 100, 1, end); allowed {
		t.Error("Seed reset a live counter")
	}
	// Seed restores a counter after a restart.
	m2 := NewMemory()
	m2.Seed(ctx, "q", 99, end)
	if used, allowed, _ := m2.Consume(ctx, "q", 100, 1, end); !allowed || used != 100 {
		t.Errorf("after Seed(99): used %d allowed %v, want 100 true", used, allowed)
	}
	if _, allowed, _ := m2.Consume(ctx, "q", 100, 1, end); allowed {
		t.Error("101st request allowed after Seed")
	}
}

func TestQuotaCounterExpires(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC)}
	m := NewMemory()
	m.Now = c.now
	ctx := context.Background()
	_, end := Bounds(Day, c.now())
	for range 3 {
		m.Consume(ctx, "q", 3, 1, end)
	}
	if _, ok, _ := m.Consume(ctx, "q", 3, 1, end); ok {
		t.Fatal("4th of 3 allowed")
	}
	c.set(end)
	_, end2 := Bounds(Day, c.now())
	if _, ok, _ := m.Consume(ctx, "q", 3, 1, end2); !ok {
		t.Error("counter did not reset at the end of its period")
	}
}

func TestBounds(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		p          Period
		t          string
		start, end string
	}{
		{Day, "2026-11-25T19:22:14Z", "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"},
		{Day, "2026-11-25T23:30:00-02:00", "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"},
		{Week, "2026-11-25T19:22:14Z", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"}, // Wednesday → Sunday
		{Week, "2026-11-22T00:00:00Z", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"}, // Sunday itself
		{Month, "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{Month, "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s", tc.p, tc.t), func(t *testing.T) {
			s, e := Bounds(tc.p, at(tc.t))
			if !s.Equal(at(tc.start)) || !e.Equal(at(tc.end)) {
				t.Errorf("Bounds = [%s, %s), want [%s, %s)", s.Format(time.RFC3339), e.Format(time.RFC3339), tc.start, tc.end)
			}
		})
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := NewMemory()
	ctx := context.Background()
	r := Rate{PerSecond: 1e9, Burst: 1 << 30}
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprintf("t:k:plan:key%d", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Allow(ctx, keys[i&63], r, 1)
			i++
		}
	})
}
