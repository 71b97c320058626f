package authorizer

import (
	"context"
	"sync"
	"sync/atomic"
)

// Generations numbers the cache generations of each (API id, stage): the
// generation is part of every cache key of that stage, so incrementing it
// (FlushStageAuthorizersCache) makes every result cached for the stage
// unreachable at once; the old entries expire by their TTL. A Cache that
// is shared between nodes (the Redis cache) implements Generations so
// that a flush on one node reaches all of them; otherwise the Compiler
// keeps the generations in process.
type Generations interface {
	// Generation returns the stage's current generation. A non-nil error
	// means it could not be read: the caller treats the cache as
	// unavailable and invokes the authorizer.
	Generation(ctx context.Context, apiID, stage string) (uint64, error)
	// Flush increments the stage's generation.
	Flush(ctx context.Context, apiID, stage string) error
}

// stageKey identifies a stage of an API (a comparable map key, so that a
// lookup allocates nothing).
type stageKey struct{ api, stage string }

// memGenerations is the in-process Generations: a counter per stage,
// created by its first flush (a stage never flushed is at generation 0).
type memGenerations struct {
	mu  sync.RWMutex
	gen map[stageKey]*atomic.Uint64
}

func (m *memGenerations) Generation(_ context.Context, apiID, stage string) (uint64, error) {
	m.mu.RLock()
	g := m.gen[stageKey{apiID, stage}]
	m.mu.RUnlock()
	if g == nil {
		return 0, nil
	}
	return g.Load(), nil
}

func (m *memGenerations) Flush(_ context.Context, apiID, stage string) error {
	k := stageKey{apiID, stage}
	m.mu.Lock()
	g := m.gen[k]
	if g == nil {
		if m.gen == nil {
			m.gen = map[stageKey]*atomic.Uint64{}
		}
		g = new(atomic.Uint64)
		m.gen[k] = g
	}
	m.mu.Unlock()
	g.Add(1)
	return nil
}

// generations is the cache's Generations when it has them, else the
// compiler's in-process counters.
func (c *Compiler) generations() Generations {
	if g, ok := c.Cache.(Generations); ok {
		return g
	}
	return &c.memGen
}

// FlushStage flushes the authorizer cache of one stage of an API (AWS's
// FlushStageAuthorizersCache): every result cached for the stage is
// unreachable from then on, and the next request of each identity invokes
// its authorizer again. With the in-process cache it takes effect at
// once; with the Redis cache, at once on this node and within
// rediscache.GenerationRefresh on the others.
func (c *Compiler) FlushStage(ctx context.Context, apiID, stage string) error {
	c.init()
	return c.generations().Flush(ctx, apiID, stage)
}
