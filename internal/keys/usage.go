package keys

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/gateway/limit"
)

// DayLayout is the date format of usage days and GetUsage ranges.
const DayLayout = "2006-01-02"

// UsageDelta is a number of requests one key made under one plan on one
// UTC day.
type UsageDelta struct {
	PlanID, KeyID, Day string
	N                  int64
}

// AddUsage adds deltas to the usage counters in one transaction. It does
// not bump the version: usage is not configuration.
func (s *Store) AddUsage(ctx context.Context, ds []UsageDelta) error {
	if len(ds) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording usage: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO usage (plan_id, key_id, day, used) VALUES (?,?,?,?) ON CONFLICT (plan_id, key_id, day) DO UPDATE SET used = used + excluded.used`)
	if err != nil {
		return fmt.Errorf("recording usage: %w", err)
	}
	defer st.Close()
	for _, d := range ds {
		if _, err := st.ExecContext(ctx, d.PlanID, d.KeyID, d.Day, d.N); err != nil {
			return fmt.Errorf("recording usage: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording usage: %w", err)
	}
	return nil
}

// Used sums a key's recorded usage under a plan over the UTC days in
// [start, end).
func (s *Store) Used(ctx context.Context, plan, key string, start, end time.Time) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(used), 0) FROM usage WHERE plan_id = ? AND key_id = ? AND day >= ? AND day < ?`,
		plan, key, start.UTC().Format(DayLayout), end.UTC().Format(DayLayout)).Scan(&n)
	return n, err
}

// Usage is GetUsage's answer: for each key, one [used, remaining] pair per
// day from StartDate to EndDate.
type Usage struct {
	UsagePlanID string               `json:"usagePlanId"`
	StartDate   string               `json:"startDate"`
	EndDate     string               `json:"endDate"`
	Items       map[string][][]int64 `json:"items"`
}

// QuotaLimit is the quota limit of the period starting at start: the
// offset is subtracted in the plan's first period.
func QuotaLimit(q *Quota, planCreated, start time.Time) int64 {
	s, _ := limit.Bounds(limit.Period(q.Period), planCreated)
	if s.Equal(start) {
		return q.Limit - q.Offset
	}
	return q.Limit
}

// GetUsage reports usage per key (all the plan's keys, or only keyID) per
// day in [startDate, endDate] (YYYY-MM-DD, inclusive, as AWS). remaining is
// what the plan's quota left at the end of that day; 0 when the plan has
// no quota.
func (s *Store) GetUsage(ctx context.Context, plan, keyID, startDate, endDate string) (Usage, error) {
	p, err := s.GetPlan(ctx, plan)
	if err != nil {
		return Usage{}, err
	}
	start, err := time.Parse(DayLayout, startDate)
	if err != nil {
		return Usage{}, fmt.Errorf("start date %q: write YYYY-MM-DD", startDate)
	}
	end, err := time.Parse(DayLayout, endDate)
	if err != nil {
		return Usage{}, fmt.Errorf("end date %q: write YYYY-MM-DD", endDate)
	}
	if end.Before(start) {
		return Usage{}, fmt.Errorf("end date %s is before start date %s", endDate, startDate)
	}
	if end.Sub(start) > 366*24*time.Hour {
		return Usage{}, fmt.Errorf("date range longer than a year")
	}
	ids := p.Keys
	if keyID != "" {
		k, err := s.GetKey(ctx, keyID)
		if err != nil {
			return Usage{}, err
		}
		ids = []string{k.ID}
	}
	u := Usage{UsagePlanID: p.ID, StartDate: startDate, EndDate: endDate, Items: map[string][][]int64{}}
	for _, id := range ids {
		// Read from the start of the first day's quota period, so that
		// remaining counts what earlier days of the period used.
		from := start
		if p.Quota != nil {
			from, _ = limit.Bounds(limit.Period(p.Quota.Period), start)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT day, used FROM usage WHERE plan_id = ? AND key_id = ? AND day >= ? AND day <= ?`,
			p.ID, id, from.Format(DayLayout), endDate)
		if err != nil {
			return Usage{}, err
		}
		used := map[string]int64{}
		for rows.Next() {
			var d string
			var n int64
			if err := rows.Scan(&d, &n); err != nil {
				rows.Close()
				return Usage{}, err
			}
			used[d] = n
		}
		rows.Close()
		var items [][]int64
		var periodUsed int64
		var periodStart time.Time
		for d := from; !d.After(end); d = d.AddDate(0, 0, 1) {
			day := d.Format(DayLayout)
			var remaining int64
			if p.Quota != nil {
				ps, _ := limit.Bounds(limit.Period(p.Quota.Period), d)
				if !ps.Equal(periodStart) {
					periodStart, periodUsed = ps, 0
				}
				periodUsed += used[day]
				remaining = max(QuotaLimit(p.Quota, p.CreatedDate, ps)-periodUsed, 0)
			}
			if d.Before(start) {
				continue
			}
			items = append(items, []int64{used[day], remaining})
		}
		u.Items[id] = items
	}
	return u, nil
}

// KeyInfo is what a server knows of a key: enough to explain a refusal.
type KeyInfo struct {
	ID      string
	Enabled bool
	Masked  string
}

// Binding is a key's usage plan for one API stage.
type Binding struct {
	Key         *KeyInfo
	PlanID      string
	Throttle    *Throttle
	Quota       *Quota
	PlanCreated time.Time
	// Methods are the plan's per-method throttles for this API stage,
	// keyed "/{resourcePath}/{METHOD}".
	Methods map[string]Throttle
	// Bucket names the key's plan-level bucket and QuotaPrefix its quota
	// counters (the period's first day follows), computed once per view.
	Bucket, QuotaPrefix string
}

// View is an immutable snapshot of the keys and plans a server enforces.
type View struct {
	// Version is the store version the view was read at.
	Version int64
	keys    map[[32]byte]*KeyInfo
	// bindings: "apiId/stage" → key digest → binding (enabled keys only).
	bindings map[string]map[[32]byte]*Binding
}

// Key returns what is known of a key value's digest.
func (v *View) Key(h [32]byte) *KeyInfo {
	if v == nil {
		return nil
	}
	return v.keys[h]
}

// Lookup returns the binding of an enabled key on an API stage
// ("apiId/stage"), or nil.
func (v *View) Lookup(apiStage string, h [32]byte) *Binding {
	if v == nil {
		return nil
	}
	return v.bindings[apiStage][h]
}

// View reads the keys and plans into memory.
func (s *Store) View(ctx context.Context) (*View, error) {
	ver, err := s.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading store version: %w", err)
	}
	v := &View{Version: ver, keys: map[[32]byte]*KeyInfo{}, bindings: map[string]map[[32]byte]*Binding{}}
	rows, err := s.db.QueryContext(ctx, `SELECT id, hash, enabled, last4, vlen FROM api_keys`)
	if err != nil {
		return nil, fmt.Errorf("reading API keys: %w", err)
	}
	byID := map[string][32]byte{}
	for rows.Next() {
		var id, hash, last4 string
		var enabled bool
		var vlen int
		if err := rows.Scan(&id, &hash, &enabled, &last4, &vlen); err != nil {
			rows.Close()
			return nil, err
		}
		var h [32]byte
		if b, err := hex.DecodeString(hash); err == nil && len(b) == 32 {
			copy(h[:], b)
		}
		v.keys[h] = &KeyInfo{ID: id, Enabled: enabled, Masked: strings.Repeat("*", max(vlen-4, 0)) + last4}
		byID[id] = h
	}
	rows.Close()
	plans, err := s.ListPlans(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading usage plans: %w", err)
	}
	for _, p := range plans {
		for _, st := range p.APIStages {
			as := st.APIID + "/" + st.Stage
			m := v.bindings[as]
			if m == nil {
				m = map[[32]byte]*Binding{}
				v.bindings[as] = m
			}
			for _, kid := range p.Keys {
				h, ok := byID[kid]
				if !ok || !v.keys[h].Enabled {
					continue
				}
				m[h] = &Binding{Key: v.keys[h], PlanID: p.ID, Throttle: p.Throttle, Quota: p.Quota, PlanCreated: p.CreatedDate, Methods: st.Throttle,
					Bucket: "t:k:" + p.ID + ":" + kid, QuotaPrefix: "q:" + p.ID + ":" + kid + ":"}
			}
		}
	}
	return v, nil
}

// AllBindings lists every binding of the view.
func (v *View) AllBindings() []*Binding {
	if v == nil {
		return nil
	}
	var out []*Binding
	for _, m := range v.bindings {
		for _, b := range m {
			out = append(out, b)
		}
	}
	return out
}
