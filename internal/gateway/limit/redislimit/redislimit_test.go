package redislimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/gateway/limit"
	"github.com/archway-gw/archway/internal/testredis"
)

func newBackend(t testing.TB, prefix string) (*Backend, *testredis.Server) {
	srv := testredis.Start(t)
	b := New(Options{Addr: srv.Addr, KeyPrefix: fmt.Sprintf("test:%s:%d:", prefix, time.Now().UnixNano())})
	t.Cleanup(func() { b.Close() })
	return b, srv
}

// TestRedisBucketArithmetic: a key limited to 50 rps with burst 10, hit
// with 1000 requests spread over 2 s by 4 concurrent clients. GCRA on the
// Redis clock allows burst + rate·elapsed; the tolerance is 3 requests
// (clock granularity between the first and last decision).
func TestRedisBucketArithmetic(t *testing.T) {
	b, _ := newBackend(t, "arith")
	ctx := context.Background()
	r := limit.Rate{PerSecond: 50, Burst: 10}
	const n, clients = 1000, 4
	window := 2 * time.Second
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += clients {
				time.Sleep(time.Until(start.Add(window * time.Duration(i) / n)))
				d, err := b.Allow(ctx, "k", r, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	max := float64(r.Burst) + r.PerSecond*elapsed
	got := float64(allowed.Load())
	t.Logf("allowed %d of %d in %.3fs; bucket arithmetic: at most %.1f", allowed.Load(), n, elapsed, max)
	if got > max+3 {
		t.Errorf("allowed %v, more than burst + rate·elapsed = %.1f (+3)", got, max)
	}
	// The clients offer ten times the rate, so the bucket never idles:
	// at least burst + rate·(elapsed − the last inter-request gap).
	if min := float64(r.Burst) + r.PerSecond*(elapsed-0.1); got < min-3 {
		t.Errorf("allowed %v, fewer than %.1f (−3)", got, min)
	}
}

func TestRedisFractionalRate(t *testing.T) {
	b, _ := newBackend(t, "frac")
	ctx := context.Background()
	n := 0
	for range 10 {
		if d, err := b.Allow(ctx, "k", limit.Rate{PerSecond: 0.5, Burst: 2}, 1); err != nil {
			t.Fatal(err)
		} else if d.Allowed {
			n++
		}
	}
	if n != 2 {
		t.Errorf("0.5 rps burst 2: %d of 10 allowed at once, want 2", n)
	}
}

func TestRedisQuotaExact(t *testing.T) {
	b, _ := newBackend(t, "quota")
	ctx := context.Background()
	_, end := limit.Bounds(limit.Day, time.Now())
	var ok atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				_, allowed, err := b.Consume(ctx, "q", 100, 1, end)
				if err != nil {
					t.Error(err)
					return
				}
				if allowed {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 100 {
		t.Errorf("quota of 100 allowed %d of 320", ok.Load())
	}
	if err := b.Seed(ctx, "q", 0, end); err != nil {
		t.Fatal(err)
	}
	if _, allowed, _ := b.Consume(ctx, "q", 100, 1, end); allowed {
		t.Error("Seed overwrote a live counter")
	}
	if err := b.Seed(ctx, "fresh", 42, end); err != nil {
		t.Fatal(err)
	}
	if used, allowed, _ := b.Consume(ctx, "fresh", 100, 1, end); !allowed || used != 43 {
		t.Errorf("after Seed(42): used %d allowed %v, want 43 true", used, allowed)
	}
	ttl := b.rdb.PTTL(ctx, b.prefix+"q").Val()
	if want := time.Until(end); math.Abs(float64(ttl-want)) > float64(2*time.Second) {
		t.Errorf("quota key expires in %s, want the end of the day (%s)", ttl, want)
	}
}

// TestRedisKilled: after the server dies every call fails with
// ErrUnavailable (after the first, without trying: Backoff), and nothing
// panics.
func TestRedisKilled(t *testing.T) {
	b, srv := newBackend(t, "killed")
	if !srv.Started() {
		t.Skip("ARCHWAY_TEST_REDIS points at a server this test must not kill")
	}
	ctx := context.Background()
	r := limit.Rate{PerSecond: 100, Burst: 100}
	if _, err := b.Allow(ctx, "k", r, 1); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	for i := range 50 {
		_, err := b.Allow(ctx, "k", r, 1)
		if !errors.Is(err, limit.ErrUnavailable) {
			t.Fatalf("call %d after kill: err %v, want ErrUnavailable", i, err)
		}
		if _, _, err := b.Consume(ctx, "q", 10, 1, time.Now().Add(time.Hour)); !errors.Is(err, limit.ErrUnavailable) {
			t.Fatalf("Consume after kill: %v", err)
		}
		if _, _, err := b.AllowBatch(ctx, []limit.Take{{Key: "k", Rate: r}}, nil); !errors.Is(err, limit.ErrUnavailable) {
			t.Fatalf("AllowBatch after kill: %v", err)
		}
	}
	// Past the back-off, the next call tries the server again and fails
	// within the command timeout.
	time.Sleep(1100 * time.Millisecond)
	start := time.Now()
	if _, _, err := b.AllowBatch(ctx, []limit.Take{{Key: "k", Rate: r}}, nil); !errors.Is(err, limit.ErrUnavailable) {
		t.Fatalf("AllowBatch after the back-off: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("AllowBatch on a dead server took %s", d)
	}
}

// TestRedisCallerCanceled: a call cut short by its caller's context (a
// client that hung up) does not make the backend back off: the next call
// with a live context reaches the server and decides.
func TestRedisCallerCanceled(t *testing.T) {
	b, _ := newBackend(t, "canceled")
	r := limit.Rate{PerSecond: 100, Burst: 100}
	takes := []limit.Take{{Key: "k", Rate: r}}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Allow", func(ctx context.Context) error { _, err := b.Allow(ctx, "k", r, 1); return err }},
		{"AllowBatch", func(ctx context.Context) error { _, _, err := b.AllowBatch(ctx, takes, nil); return err }},
		{"Consume", func(ctx context.Context) error {
			_, _, err := b.Consume(ctx, "q", 10, 1, time.Now().Add(time.Hour))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The auto-pipelined AllowBatch may still run a command whose
			// caller has gone; either way it must not fail otherwise.
			if err := tc.call(canceled); err != nil && !errors.Is(err, limit.ErrUnavailable) {
				t.Fatalf("canceled call: err %v, want nil or ErrUnavailable", err)
			}
			if err := tc.call(context.Background()); err != nil {
				t.Fatalf("call after a canceled one: %v (the backend backed off)", err)
			}
		})
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	be, _ := newBackend(b, "bench")
	ctx := context.Background()
	r := limit.Rate{PerSecond: 1e6, Burst: 1 << 30}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := be.Allow(ctx, fmt.Sprintf("k%d", i&63), r, 1); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkRedisAllowBatch is the per-request decision of a keyed method
// (plan bucket, account bucket and quota in one script), from 64
// concurrent callers as under a 64-connection load: calls are
// auto-pipelined, so one round trip carries many decisions.
func BenchmarkRedisAllowBatch(b *testing.B) {
	be, _ := newBackend(b, "benchbatch")
	ctx := context.Background()
	r := limit.Rate{PerSecond: 1e6, Burst: 1 << 30}
	_, end := limit.Bounds(limit.Day, time.Now())
	b.ReportAllocs()
	b.SetParallelism(64)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		id := n.Add(1)
		takes := []limit.Take{{Key: fmt.Sprintf("plan:k%d", id), Rate: r}, {Key: "account", Rate: r}}
		q := &limit.QuotaTake{Key: fmt.Sprintf("q:k%d", id), Limit: 1 << 40, Expires: end}
		for pb.Next() {
			if th, ok, err := be.AllowBatch(ctx, takes, q); err != nil || th != -1 || !ok {
				b.Errorf("AllowBatch = %d, %v, %v", th, ok, err)
				return
			}
		}
	})
}

// TestRedisBatch: AllowBatch shares buckets with Allow, stops at the first
// empty bucket, and counts the quota only when every bucket allowed.
func TestRedisBatch(t *testing.T) {
	b, _ := newBackend(t, "batch")
	ctx := context.Background()
	slow := func(burst int) limit.Rate { return limit.Rate{PerSecond: 0.001, Burst: burst} }
	_, end := limit.Bounds(limit.Day, time.Now())
	q := &limit.QuotaTake{Key: "q", Limit: 100, Expires: end}
	takes := []limit.Take{{Key: "a", Rate: slow(5)}, {Key: "b", Rate: slow(3)}, {Key: "c", Rate: slow(10)}}
	var got []int
	quota := 0
	for range 8 {
		th, ok, err := b.AllowBatch(ctx, takes, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, th)
		if ok {
			quota++
		}
	}
	want := []int{-1, -1, -1, 1, 1, 0, 0, 0} // b empties after 3, a after 5
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("throttled indexes %v, want %v", got, want)
		}
	}
	if quota != 3 {
		t.Errorf("quota counted %d times, want 3 (only when every bucket allowed)", quota)
	}
	// Allow sees the same bucket: c took 3 tokens in the batch.
	n := 0
	for range 20 {
		if d, _ := b.Allow(ctx, "c", slow(10), 1); d.Allowed {
			n++
		}
	}
	if n != 7 {
		t.Errorf("Allow on c after the batch: %d allowed, want 7", n)
	}
	// A rate of 0 allows the burst, then nothing.
	zero := []limit.Take{{Key: "z", Rate: limit.Rate{PerSecond: 0, Burst: 2}}}
	n = 0
	for range 5 {
		if th, _, _ := b.AllowBatch(ctx, zero, nil); th == -1 {
			n++
		}
	}
	if n != 2 {
		t.Errorf("rate 0 burst 2: %d allowed", n)
	}
}
