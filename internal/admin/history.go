package admin

import (
	"slices"
	"sort"
	"sync"
	"time"

	rt "github.com/archway-gw/archway/internal/runtime"
)

// DefaultHistory is how many reloads History keeps by default.
const DefaultHistory = 50

// Reload is one start or reload attempt of the served definitions.
type Reload struct {
	// Time is when the attempt finished.
	Time time.Time `json:"time"`
	// Trigger says what started it: "start", "file" (a watched file
	// changed) or "signal" (SIGHUP).
	Trigger string `json:"trigger"`
	// Success is false when the new definitions did not compile; the
	// previous snapshot then kept serving.
	Success bool `json:"success"`
	// Error is why it failed.
	Error string `json:"error,omitempty"`
	// Duration is how long loading and compiling took, in milliseconds.
	DurationMs float64 `json:"durationMs"`
	// Snapshot summarises what is served after a successful attempt.
	Snapshot *SnapshotSummary `json:"snapshot,omitempty"`
}

// SnapshotSummary is what a snapshot serves, in brief.
type SnapshotSummary struct {
	APIs []APISummary `json:"apis"`
}

// APISummary is one API of a snapshot, in brief.
type APISummary struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Stages    []string `json:"stages"`
	Resources int      `json:"resources"`
	Methods   int      `json:"methods"`
}

// Summarize describes a snapshot.
func Summarize(snap *rt.Snapshot) *SnapshotSummary {
	if snap == nil {
		return nil
	}
	out := &SnapshotSummary{APIs: []APISummary{}}
	for _, a := range snap.APIs {
		s := APISummary{ID: a.ID, Name: a.Name, Resources: len(a.Resources), Stages: []string{}}
		for _, ms := range a.Resources {
			s.Methods += len(ms)
		}
		for name := range a.Stages {
			s.Stages = append(s.Stages, name)
		}
		sort.Strings(s.Stages)
		out.APIs = append(out.APIs, s)
	}
	return out
}

// History keeps the most recent reloads. The zero value is not usable; use
// NewHistory.
type History struct {
	mu   sync.Mutex
	max  int
	list []Reload // oldest first
}

// NewHistory returns a History keeping the last max entries (DefaultHistory
// when max <= 0).
func NewHistory(max int) *History {
	if max <= 0 {
		max = DefaultHistory
	}
	return &History{max: max}
}

// Add records an attempt.
func (h *History) Add(r Reload) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.list = append(h.list, r)
	if len(h.list) > h.max {
		h.list = slices.Delete(h.list, 0, len(h.list)-h.max)
	}
}

// List returns the kept attempts, newest first.
func (h *History) List() []Reload {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Reload, len(h.list))
	for i, r := range h.list {
		out[len(out)-1-i] = r
	}
	return out
}
