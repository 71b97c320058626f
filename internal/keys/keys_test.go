package keys

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestKeysLifecycleSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	v0, _ := s.Version(ctx)
	k, err := s.CreateKey(ctx, NewKey{Name: "alice", Value: "alice-key-0123456789-abcd", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if k.Value != "alice-key-0123456789-abcd" || k.Masked != strings.Repeat("*", 21)+"abcd" {
		t.Errorf("created key value %q masked %q", k.Value, k.Masked)
	}
	gen, err := s.CreateKey(ctx, NewKey{Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Value) != 40 || gen.Name != gen.ID {
		t.Errorf("generated key: value %q (len %d), name %q", gen.Value, len(gen.Value), gen.Name)
	}
	if v1, _ := s.Version(ctx); v1 != v0+2 {
		t.Errorf("version %d after two creates from %d", v1, v0)
	}
	if _, err := s.CreateKey(ctx, NewKey{Value: "alice-key-0123456789-abcd"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate value: %v, want ErrConflict", err)
	}
	if _, err := s.CreateKey(ctx, NewKey{Value: "short"}); err == nil {
		t.Error("a 5-character value was accepted")
	}
	if _, err := s.SetKeyEnabled(ctx, "alice", false); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// The file never holds a clear value.
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(dir, FileName+"-wal"))
	for _, v := range []string{k.Value, gen.Value} {
		if strings.Contains(string(raw)+string(wal), v) {
			t.Errorf("store file holds the clear value %q", v)
		}
	}

	s2 := open(t, dir)
	got, err := s2.GetKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || got.Name != "alice" || got.Value != "" || got.Masked != k.Masked {
		t.Errorf("after reopen: %+v", got)
	}
	list, err := s2.ListKeys(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListKeys: %d keys, %v", len(list), err)
	}
	if err := s2.DeleteKey(ctx, gen.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.GetKey(ctx, gen.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted key: %v, want ErrNotFound", err)
	}
}

func TestPlansLinksAndView(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	k1, _ := s.CreateKey(ctx, NewKey{Name: "k1", Value: "k1-value-0123456789abc", Enabled: true})
	k2, _ := s.CreateKey(ctx, NewKey{Name: "k2", Value: "k2-value-0123456789abc", Enabled: false})
	k3, _ := s.CreateKey(ctx, NewKey{Name: "k3", Value: "k3-value-0123456789abc", Enabled: true})
	p, err := s.CreatePlan(ctx, UsagePlan{Name: "gold",
		APIStages: []APIStage{{APIID: "pets", Stage: "dev", Throttle: map[string]Throttle{"/pets/GET": {RateLimit: 5, BurstLimit: 10}}}},
		Throttle:  &Throttle{RateLimit: 50, BurstLimit: 10},
		Quota:     &Quota{Limit: 100, Period: "DAY"}})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.CreatePlan(ctx, UsagePlan{Name: "other", APIStages: []APIStage{{APIID: "pets", Stage: "dev"}}})
	for _, k := range []APIKey{k1, k2} {
		if err := s.AddKey(ctx, "gold", k.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddKey(ctx, other.ID, k1.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("second plan on the same API stage: %v, want ErrConflict", err)
	}
	// The links read back from both sides, listed and one by one.
	keyIDs := []string{k1.ID, k2.ID}
	sort.Strings(keyIDs)
	keys, err := s.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := s.ListPlans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotGold, err := s.GetPlan(ctx, "gold")
	if err != nil {
		t.Fatal(err)
	}
	gotK1, err := s.GetKey(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{"GetPlan gold": fmt.Sprint(gotGold.Keys), "GetKey k1": fmt.Sprint(gotK1.UsagePlans)}
	for _, k := range keys {
		links["ListKeys "+k.Name] = fmt.Sprint(k.UsagePlans)
	}
	for _, pl := range plans {
		links["ListPlans "+pl.Name] = fmt.Sprint(pl.Keys)
	}
	wantLinks := map[string]string{
		"ListKeys k1": fmt.Sprint([]string{p.ID}), "ListKeys k2": fmt.Sprint([]string{p.ID}), "ListKeys k3": "[]",
		"ListPlans gold": fmt.Sprint(keyIDs), "ListPlans other": "[]",
		"GetPlan gold": fmt.Sprint(keyIDs), "GetKey k1": fmt.Sprint([]string{p.ID}),
	}
	if d := cmp.Diff(wantLinks, links); d != "" {
		t.Errorf("links (-want +got):\n%s", d)
	}
	v, err := s.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, apiStage, value string
		bound, known, enabled bool
	}{
		{"in plan", "pets/dev", "k1-value-0123456789abc", true, true, true},
		{"other stage", "pets/prod", "k1-value-0123456789abc", false, true, true},
		{"disabled", "pets/dev", "k2-value-0123456789abc", false, true, false},
		{"not in a plan", "pets/dev", "k3-value-0123456789abc", false, true, true},
		{"unknown", "pets/dev", "nobody-0123456789abcdef", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Hash(tc.value)
			b := v.Lookup(tc.apiStage, h)
			if (b != nil) != tc.bound {
				t.Fatalf("Lookup bound = %v, want %v", b != nil, tc.bound)
			}
			if b != nil && (b.PlanID != p.ID || b.Methods["/pets/GET"].RateLimit != 5 || b.Throttle.RateLimit != 50 || b.Quota.Limit != 100) {
				t.Errorf("binding %+v", b)
			}
			ki := v.Key(h)
			if (ki != nil) != tc.known || (ki != nil && ki.Enabled != tc.enabled) {
				t.Errorf("Key = %+v, want known %v enabled %v", ki, tc.known, tc.enabled)
			}
		})
	}
	if err := s.RemoveKey(ctx, "gold", k1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveKey(ctx, "gold", k3.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a key not in the plan: %v", err)
	}
	v2, _ := s.View(ctx)
	if v2.Version <= v.Version || v2.Lookup("pets/dev", Hash("k1-value-0123456789abc")) != nil {
		t.Error("removal not seen in a new view")
	}
	if err := s.DeletePlan(ctx, "gold"); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.GetKey(ctx, k2.ID); len(k.UsagePlans) != 0 {
		t.Errorf("links survive plan deletion: %v", k.UsagePlans)
	}
}

func TestPlanValidation(t *testing.T) {
	tests := []struct {
		name string
		p    UsagePlan
		err  string
	}{
		{"bad period", UsagePlan{Quota: &Quota{Limit: 1, Period: "YEAR"}}, "period"},
		{"offset not below limit", UsagePlan{Quota: &Quota{Limit: 5, Offset: 5, Period: "DAY"}}, "offset"},
		{"method key", UsagePlan{APIStages: []APIStage{{APIID: "a", Stage: "b", Throttle: map[string]Throttle{"GET": {}}}}}, "/{resourcePath}/{METHOD}"},
		{"stage missing", UsagePlan{APIStages: []APIStage{{APIID: "a"}}}, "apiId and stage"},
		{"negative throttle", UsagePlan{Throttle: &Throttle{RateLimit: -1}}, "negative"},
		{"burst above rate is fine (AWS accepts it)", UsagePlan{Throttle: &Throttle{RateLimit: 1, BurstLimit: 100}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("Validate() = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestGetUsage(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	k, _ := s.CreateKey(ctx, NewKey{Value: "usage-key-0123456789abc", Enabled: true})
	p, _ := s.CreatePlan(ctx, UsagePlan{APIStages: []APIStage{{APIID: "a", Stage: "dev"}}, Quota: &Quota{Limit: 100, Period: "WEEK"}})
	if err := s.AddKey(ctx, p.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	// 2025-11-23 is a Sunday: the week 23–29 and the next from 30 (the plan
	// was created later, so no offset period applies).
	err := s.AddUsage(ctx, []UsageDelta{
		{p.ID, k.ID, "2025-11-23", 10},
		{p.ID, k.ID, "2025-11-25", 5},
		{p.ID, k.ID, "2025-11-25", 2}, // added to the same day
		{p.ID, k.ID, "2025-11-30", 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.GetUsage(ctx, p.ID, "", "2025-11-24", "2025-12-01")
	if err != nil {
		t.Fatal(err)
	}
	want := Usage{UsagePlanID: p.ID, StartDate: "2025-11-24", EndDate: "2025-12-01", Items: map[string][][]int64{
		k.ID: {{0, 90}, {7, 83}, {0, 83}, {0, 83}, {0, 83}, {0, 83}, {1, 99}, {0, 99}},
	}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("GetUsage (-want +got):\n%s", diff)
	}
	used, err := s.Used(ctx, p.ID, k.ID, time.Date(2025, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC))
	if err != nil || used != 17 {
		t.Errorf("Used = %d, %v; want 17", used, err)
	}
}

func TestQuotaLimitOffset(t *testing.T) {
	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	q := &Quota{Limit: 100, Offset: 30, Period: "DAY"}
	if got := QuotaLimit(q, created, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)); got != 70 {
		t.Errorf("first period: %d, want 70", got)
	}
	if got := QuotaLimit(q, created, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)); got != 100 {
		t.Errorf("later period: %d, want 100", got)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "***", "abcd": "****", "abcde": "*bcde", "0123456789abcdefghij": "****************ghij"} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSplitMethodKey(f *testing.F) {
	for _, s := range []string{"/pets/GET", "/*/*", "/pets/{id}/DELETE", "GET", "/", "//", "/pets/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		res, m, ok := SplitMethodKey(s)
		if !ok {
			return
		}
		if res+"/"+m != s || m == "" || !strings.HasPrefix(res, "/") || strings.Contains(m, "/") {
			t.Errorf("SplitMethodKey(%q) = %q, %q", s, res, m)
		}
	})
}
