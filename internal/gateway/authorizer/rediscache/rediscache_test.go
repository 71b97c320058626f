package rediscache

import (
	"context"
	"errors"
	"github.com/archway-gw/archway/internal/redisconn"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/testredis"
)

const resultJSON = `{"principalId":"user-1","policyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":["arn:aws:execute-api:us-east-1:000000000000:api/dev/GET/*"]},{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:000000000000:api/dev/DELETE/*"}]},"context":{"s":"v","n":2.5,"b":true},"usageIdentifierKey":"key-1"}`

func result(t *testing.T) *authorizer.Result {
	t.Helper()
	r, err := authorizer.ParseResult([]byte(resultJSON))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func prefix(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "-") + ":" }

func TestSetGet(t *testing.T) {
	srv := testredis.Start(t)
	c := New(Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix(t)}})
	defer c.Close()
	ctx := context.Background()
	want := result(t)
	const key = "api/tok/dev\x00secret-token-value"
	if _, ok, err := c.Get(ctx, key); ok || err != nil {
		t.Fatalf("Get before Set = %v, %v", ok, err)
	}
	if err := c.Set(ctx, key, want, 300*time.Second); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(ctx, key)
	if !ok || err != nil {
		t.Fatalf("Get after Set = %v, %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached result (-want +got):\n%s", diff)
	}
	// Another identity of the same authorizer is another entry.
	if _, ok, _ := c.Get(ctx, "api/tok/dev\x00other-token"); ok {
		t.Error("another identity hit the cache")
	}

	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, prefix(t)+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != c.Key(key) || !strings.HasPrefix(keys[0], prefix(t)+"authz:") {
		t.Fatalf("keys %q, want [%s]", keys, c.Key(key))
	}
	if strings.Contains(keys[0], "secret-token-value") {
		t.Errorf("the identity is stored in clear in the key %q", keys[0])
	}
	// The TTL is authorizerResultTtlInSeconds.
	pttl, err := rdb.PTTL(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pttl <= 290*time.Second || pttl > 300*time.Second {
		t.Errorf("PTTL %s, want about 300s", pttl)
	}
}

func TestTTL(t *testing.T) {
	srv := testredis.Start(t)
	c := New(Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix(t)}})
	defer c.Close()
	ctx := context.Background()
	r := result(t)
	tests := []struct {
		name    string
		ttl     time.Duration
		stored  bool
		expires bool
	}{
		{name: "zero TTL caches nothing", ttl: 0},
		{name: "negative TTL caches nothing", ttl: -time.Second},
		{name: "short TTL expires", ttl: 300 * time.Millisecond, stored: true, expires: true},
		{name: "long TTL stays", ttl: time.Hour, stored: true},
	}
	for _, tt := range tests {
		if err := c.Set(ctx, tt.name, r, tt.ttl); err != nil {
			t.Fatalf("%s: Set: %v", tt.name, err)
		}
	}
	for _, tt := range tests {
		if _, ok, err := c.Get(ctx, tt.name); ok != tt.stored || err != nil {
			t.Errorf("%s: stored = %v, %v; want %v", tt.name, ok, err, tt.stored)
		}
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for {
				_, ok, err := c.Get(ctx, tt.name)
				if err != nil {
					t.Fatal(err)
				}
				gone := !ok
				if gone == (tt.expires || !tt.stored) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("present = %v after %s", ok, tt.ttl)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestForeignValue: a value that is not an authorizer result reads as a
// miss, not as an error or an empty policy.
func TestForeignValue(t *testing.T) {
	srv := testredis.Start(t)
	c := New(Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix(t)}})
	defer c.Close()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	for _, v := range []string{"not json", `{"principalId":"x"}`, `[]`} {
		if err := rdb.Set(ctx, c.Key("k"), v, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if r, ok, err := c.Get(ctx, "k"); ok || err != nil {
			t.Errorf("value %q: Get = %v, %v, %v; want a miss", v, r, ok, err)
		}
	}
}

// TestUnavailable: with no server, Get and Set fail with
// ErrCacheUnavailable at once, and the cache backs off: the next calls
// fail without dialling. Once the backoff ends it tries again.
func TestUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := New(Options{Options: redisconn.Options{Addr: addr, Backoff: 300 * time.Millisecond}})
	defer c.Close()
	ctx := context.Background()
	_, ok, err := c.Get(ctx, "k")
	if ok || !errors.Is(err, authorizer.ErrCacheUnavailable) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Get with no server = %v, %v; want ErrCacheUnavailable (connection refused)", ok, err)
	}
	if _, _, err := c.Get(ctx, "k"); !errors.Is(err, errBackingOff) {
		t.Errorf("second Get = %v, want the backoff error", err)
	}
	if err := c.Set(ctx, "k", result(t), time.Minute); !errors.Is(err, errBackingOff) {
		t.Errorf("Set while backing off = %v, want the backoff error", err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, _, err := c.Get(ctx, "k"); errors.Is(err, errBackingOff) || !errors.Is(err, authorizer.ErrCacheUnavailable) {
		t.Errorf("Get after the backoff = %v, want a new attempt that fails", err)
	}
}

// TestServerKilled: a server that dies under a working cache turns hits
// into ErrCacheUnavailable, never into a panic or a stale success.
func TestServerKilled(t *testing.T) {
	srv := testredis.Start(t)
	if !srv.Started() {
		t.Skip("ARCHWAY_TEST_REDIS points at a server this test must not kill")
	}
	c := New(Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix(t)}})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", result(t), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Get(ctx, "k"); !ok || err != nil {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	srv.Kill()
	if _, ok, err := c.Get(ctx, "k"); ok || !errors.Is(err, authorizer.ErrCacheUnavailable) {
		t.Errorf("Get after kill = %v, %v; want ErrCacheUnavailable", ok, err)
	}
}

// TestLocalCopy: with Local, a node serves a result it read from Redis (or
// wrote) without asking Redis again, and only until the Redis key expires:
// deleting the key by hand does not reach a node holding a copy, expiry
// does. A node without Local always reads Redis.
func TestLocalCopy(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	const ttl = 600 * time.Millisecond
	tests := []struct {
		name   string
		local  int
		writer bool // the node itself wrote the result (else another node did)
		hitDel bool // still a hit after the Redis key was deleted
	}{
		{name: "no local copy", local: 0, writer: true, hitDel: false},
		{name: "local copy of a read result", local: 10, writer: false, hitDel: true},
		{name: "local copy of a written result", local: 10, writer: true, hitDel: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			other := New(Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix(t)}})
			defer other.Close()
			c := New(Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix(t)}, Local: tc.local})
			defer c.Close()
			w := other
			if tc.writer {
				w = c
			}
			set := time.Now()
			if err := w.Set(ctx, "k", result(t), ttl); err != nil {
				t.Fatal(err)
			}
			got, ok, err := c.Get(ctx, "k")
			if !ok || err != nil {
				t.Fatalf("Get = %v, %v", ok, err)
			}
			if diff := cmp.Diff(result(t), got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if err := rdb.Del(ctx, c.Key("k")).Err(); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := c.Get(ctx, "k"); ok != tc.hitDel || err != nil {
				t.Errorf("Get after the key was deleted = %v, %v; want %v", ok, err, tc.hitDel)
			}
			// Past the Redis expiry (plus a margin for the round trip that
			// read the remaining life), no copy is served.
			time.Sleep(time.Until(set.Add(ttl + 50*time.Millisecond)))
			if _, ok, err := c.Get(ctx, "k"); ok || err != nil {
				t.Errorf("Get after the Redis expiry = %v, %v; want a miss", ok, err)
			}
		})
	}
}

// TestLocalCopyServerKilled: with the server gone, a result held locally is
// still served until its expiry; any other identity reports the cache
// unavailable (the caller invokes the authorizer).
func TestLocalCopyServerKilled(t *testing.T) {
	srv := testredis.Start(t)
	if !srv.Started() {
		t.Skip("ARCHWAY_TEST_REDIS points at a server this test must not kill")
	}
	c := New(Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix(t)}, Local: 10})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", result(t), time.Minute); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if _, ok, err := c.Get(ctx, "k"); !ok || err != nil {
		t.Errorf("Get of a held result after kill = %v, %v; want a hit", ok, err)
	}
	if _, ok, err := c.Get(ctx, "other"); ok || !errors.Is(err, authorizer.ErrCacheUnavailable) {
		t.Errorf("Get of another identity after kill = %v, %v; want ErrCacheUnavailable", ok, err)
	}
}
