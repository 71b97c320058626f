package authorizer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/authorizer/rediscache"
	"github.com/archway-gw/archway/internal/redisconn"
	"github.com/archway-gw/archway/internal/testredis"
)

// cachedCall sends GET /cached with token to a stage and returns how many
// times the authorizer function ran as the authorizer for it (a 200 also
// runs it once as the integration) and whether the result came from the
// cache.
func cachedCall(t *testing.T, e *env, stage, token string) (ran int, cached bool) {
	t.Helper()
	before := e.calls.count("authorizer")
	r := e.doAt(t, stage, "GET", "/cached", map[string]string{"Authorization": token})
	if r.status != 200 {
		t.Fatalf("%s: status %d, want 200: %s", stage, r.status, r.body)
	}
	return authCalls(e, before, 1), r.rec.Authorizer != nil && r.rec.Authorizer.Cached
}

// TestFlushStage: FlushStage makes the stage's cached results unreachable
// (the next request invokes the authorizer again, and its result is
// cached anew), and leaves the other stages' results alone.
func TestFlushStage(t *testing.T) {
	comp := &authorizer.Compiler{}
	e := newEnvWith(t, apiYAML, comp)
	ctx := context.Background()
	steps := []struct {
		name  string
		flush string // stage flushed before the request
		stage string
		ran   int
	}{
		{name: "dev first request invokes", stage: "dev", ran: 1},
		{name: "dev second request is cached", stage: "dev", ran: 0},
		{name: "prod first request invokes", stage: "prod", ran: 1},
		{name: "dev after its flush invokes", flush: "dev", stage: "dev", ran: 1},
		{name: "dev after the flush is cached again", stage: "dev", ran: 0},
		{name: "prod untouched by the dev flush", stage: "prod", ran: 0},
		{name: "prod after its flush invokes", flush: "prod", stage: "prod", ran: 1},
		{name: "dev untouched by the prod flush", stage: "dev", ran: 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.flush != "" {
				if err := comp.FlushStage(ctx, "authzapi", st.flush); err != nil {
					t.Fatal(err)
				}
			}
			ran, cached := cachedCall(t, e, st.stage, "allow-all")
			if ran != st.ran || cached != (st.ran == 0) {
				t.Errorf("authorizer invoked %d times (cached %v), want %d", ran, cached, st.ran)
			}
		})
	}
	// Flushing another API's stage of the same name changes nothing here.
	if err := comp.FlushStage(ctx, "otherapi", "dev"); err != nil {
		t.Fatal(err)
	}
	if ran, _ := cachedCall(t, e, "dev", "allow-all"); ran != 0 {
		t.Errorf("a flush of another API's stage reached this one: invoked %d times", ran)
	}
}

// TestFlushStageRedis: two gateways (two nodes) share one redis-server; a
// flush sent to node B reaches node A within rediscache.GenerationRefresh
// even though A holds the result in its local copy, and leaves the other
// stage cached.
func TestFlushStageRedis(t *testing.T) {
	srv := testredis.Start(t)
	prefix := fmt.Sprintf("%s%d:", t.Name(), time.Now().UnixNano())
	node := func() (*env, *authorizer.Compiler) {
		c := rediscache.New(rediscache.Options{Options: redisconn.Options{Addr: srv.Addr, KeyPrefix: prefix}, Local: 100})
		comp := &authorizer.Compiler{Cache: c}
		return newEnvWith(t, apiYAML, comp), comp
	}
	a, _ := node()
	b, compB := node()
	ctx := context.Background()

	if ran, _ := cachedCall(t, a, "dev", "allow-all"); ran != 1 {
		t.Fatalf("node A, first request: invoked %d times, want 1", ran)
	}
	if ran, _ := cachedCall(t, a, "prod", "allow-all"); ran != 1 {
		t.Fatalf("node A, prod: invoked %d times, want 1", ran)
	}
	if ran, cached := cachedCall(t, a, "dev", "allow-all"); ran != 0 || !cached {
		t.Fatalf("node A, second request: invoked %d times (cached %v), want 0", ran, cached)
	}
	if ran, _ := cachedCall(t, b, "dev", "allow-all"); ran != 0 {
		t.Fatalf("node B shares A's result: invoked %d times, want 0", ran)
	}
	if ran, _ := cachedCall(t, b, "dev", "allow"); ran != 1 {
		t.Fatalf("node B, another identity: invoked %d times, want 1", ran)
	}

	if err := compB.FlushStage(ctx, "authzapi", "dev"); err != nil {
		t.Fatal(err)
	}
	// Node B, which flushed, takes the new generation at once.
	if ran, _ := cachedCall(t, b, "dev", "allow"); ran != 1 {
		t.Errorf("node B after its flush: invoked %d times, want 1", ran)
	}
	// Node A re-reads the generation within GenerationRefresh: its local
	// copy of the old result is no longer served.
	time.Sleep(rediscache.GenerationRefresh + 100*time.Millisecond)
	if ran, _ := cachedCall(t, a, "dev", "allow-all"); ran != 1 {
		t.Errorf("node A, %v after B's flush: invoked %d times, want 1", rediscache.GenerationRefresh, ran)
	}
	if ran, cached := cachedCall(t, a, "prod", "allow-all"); ran != 0 || !cached {
		t.Errorf("node A, prod untouched by the dev flush: invoked %d times (cached %v), want 0", ran, cached)
	}
}
