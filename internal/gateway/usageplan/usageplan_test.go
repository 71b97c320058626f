package usageplan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/limit"
	"github.com/archway-gw/archway/internal/gateway/limit/redislimit"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/keys"
	"github.com/archway-gw/archway/internal/testredis"
)

const (
	goldValue     = "gold-key-value-0123456789"
	disabledValue = "disabled-key-0123456789"
	looseValue    = "loose-key-0123456789abc"
	otherValue    = "other-stage-key-0123456789"
)

type fixture struct {
	dir   string
	store *keys.Store
	gold  keys.APIKey
	plan  keys.UsagePlan
}

// newFixture creates a store with: gold (in plan "gold" for pets/dev),
// disabled (in the plan, disabled), loose (in no plan), other (in a plan
// for pets/prod only).
func newFixture(t *testing.T, plan keys.UsagePlan) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := keys.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{dir: dir, store: s}
	mk := func(v string, enabled bool) keys.APIKey {
		k, err := s.CreateKey(ctx, keys.NewKey{Value: v, Enabled: enabled})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	f.gold = mk(goldValue, true)
	dis := mk(disabledValue, false)
	mk(looseValue, true)
	other := mk(otherValue, true)
	if plan.APIStages == nil {
		plan.APIStages = []keys.APIStage{{APIID: "pets", Stage: "dev"}}
	}
	f.plan, err = s.CreatePlan(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := s.CreatePlan(ctx, keys.UsagePlan{APIStages: []keys.APIStage{{APIID: "pets", Stage: "prod"}}})
	for _, l := range [][2]string{{f.plan.ID, f.gold.ID}, {f.plan.ID, dis.ID}, {prod.ID, other.ID}} {
		if err := s.AddKey(ctx, l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) compiler(t *testing.T, cfg Config) *Compiler {
	t.Helper()
	if cfg.Backend == nil {
		cfg.Backend = limit.NewMemory()
	}
	dir := f.dir
	cfg.OpenStore = func(ctx context.Context) (*keys.Store, error) { return keys.Open(ctx, dir) }
	c := New(cfg)
	t.Cleanup(func() { c.Close() })
	return c
}

func method(verb string, keyRequired bool) *apigw.Method {
	return &apigw.Method{HTTPMethod: verb, APIKeyRequired: keyRequired}
}

func guardOf(t *testing.T, c *Compiler, api *apigw.RestAPI, path string, m *apigw.Method) pipeline.Checker {
	t.Helper()
	g, probs := c.Guard(api, path, m)
	if len(probs) > 0 {
		t.Fatalf("problems: %+v", probs)
	}
	if g == nil {
		t.Fatal("no guard")
	}
	return g
}

func exchange(stage string, headers ...string) *pipeline.Exchange {
	r := httptest.NewRequest("GET", "/"+stage+"/pets", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return &pipeline.Exchange{Req: r, Rec: &exec.Record{Stage: stage}, APIID: "pets", Stage: &pipeline.Stage{Name: stage}}
}

func causeOf(err error) diag.Cause {
	var de *diag.Error
	if errors.As(err, &de) {
		return de.Cause
	}
	if err != nil {
		return "not a diag.Error: " + diag.Cause(err.Error())
	}
	return ""
}

var petsAPI = &apigw.RestAPI{ID: "pets"}

func TestAPIKeyChecks(t *testing.T) {
	f := newFixture(t, keys.UsagePlan{})
	c := f.compiler(t, Config{})
	g := guardOf(t, c, petsAPI, "/pets", method("GET", true))
	tests := []struct {
		name    string
		stage   string
		headers []string
		want    diag.Cause
	}{
		{"key in plan", "dev", []string{"x-api-key", goldValue}, ""},
		{"header name is case-insensitive", "dev", []string{"X-API-KEY", goldValue}, ""},
		{"no key", "dev", nil, diag.APIKeyMissing},
		{"empty key", "dev", []string{"x-api-key", ""}, diag.APIKeyMissing},
		{"unknown key", "dev", []string{"x-api-key", "not-a-key-0123456789"}, diag.APIKeyUnknown},
		{"disabled key", "dev", []string{"x-api-key", disabledValue}, diag.APIKeyDisabled},
		{"key in no plan", "dev", []string{"x-api-key", looseValue}, diag.APIKeyNotInPlan},
		{"key in a plan for another stage", "dev", []string{"x-api-key", otherValue}, diag.APIKeyNotInPlan},
		{"gold key on a stage its plan lacks", "prod", []string{"x-api-key", goldValue}, diag.APIKeyNotInPlan},
		{"key in the prod plan", "prod", []string{"x-api-key", otherValue}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := exchange(tc.stage, tc.headers...)
			err := g.Check(context.Background(), x)
			if got := causeOf(err); got != tc.want {
				t.Fatalf("cause %q, want %q (%v)", got, tc.want, err)
			}
			if tc.want == "" {
				return
			}
			info := err.(*diag.Error).Info()
			if info.ResponseType != apigw.InvalidAPIKey || info.Message != "Forbidden" {
				t.Errorf("response %s %q, want INVALID_API_KEY Forbidden", info.ResponseType, info.Message)
			}
			if len(tc.headers) > 1 && tc.headers[1] != "" && strings.Contains(err.Error(), tc.headers[1]) {
				t.Errorf("error shows the key in clear: %v", err)
			}
		})
	}
}

func TestAPIKeyFillsIdentity(t *testing.T) {
	f := newFixture(t, keys.UsagePlan{})
	c := f.compiler(t, Config{})
	g := guardOf(t, c, petsAPI, "/pets", method("GET", true))
	x := exchange("dev", "x-api-key", goldValue)
	if err := g.Check(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Auth == nil || x.Auth.APIKey != goldValue || x.Auth.APIKeyID != f.gold.ID {
		t.Fatalf("Auth = %+v", x.Auth)
	}
	want := strings.Repeat("*", len(goldValue)-4) + goldValue[len(goldValue)-4:]
	if got := x.Context("identity.apiKey"); got != want {
		t.Errorf("$context.identity.apiKey in logs = %q, want %q", got, want)
	}
	if got := x.Context("identity.apiKeyId"); got != f.gold.ID {
		t.Errorf("$context.identity.apiKeyId = %q", got)
	}
}

func TestAuthorizerKeySource(t *testing.T) {
	f := newFixture(t, keys.UsagePlan{})
	c := f.compiler(t, Config{})
	g := guardOf(t, c, &apigw.RestAPI{ID: "pets", APIKeySource: "AUTHORIZER"}, "/pets", method("GET", true))
	tests := []struct {
		name string
		auth *pipeline.Auth
		hdr  string
		want diag.Cause
	}{
		{"usageIdentifierKey in a plan", &pipeline.Auth{PrincipalID: "u", UsageIdentifierKey: goldValue}, "", ""},
		{"no usageIdentifierKey", &pipeline.Auth{PrincipalID: "u"}, goldValue, diag.APIKeyMissing},
		{"no authorizer result", nil, goldValue, diag.APIKeyMissing},
		{"disabled usageIdentifierKey", &pipeline.Auth{UsageIdentifierKey: disabledValue}, "", diag.APIKeyDisabled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := exchange("dev", "x-api-key", tc.hdr)
			x.Auth = tc.auth
			if got := causeOf(g.Check(context.Background(), x)); got != tc.want {
				t.Fatalf("cause %q, want %q", got, tc.want)
			}
			if tc.want == "" && (x.Auth.APIKeyID != f.gold.ID || x.Auth.PrincipalID != "u") {
				t.Errorf("Auth = %+v", x.Auth)
			}
		})
	}
}

// countUntilThrottled takes from the guard until it refuses, and returns
// how many passed and the refusal.
func countUntilThrottled(t *testing.T, g pipeline.Checker, stage string, headers ...string) (int, *diag.Error) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		err := g.Check(context.Background(), exchange(stage, headers...))
		if err != nil {
			de, ok := err.(*diag.Error)
			if !ok {
				t.Fatalf("not a diag.Error: %v", err)
			}
			return i, de
		}
	}
	t.Fatal("never throttled")
	return 0, nil
}

// TestThrottleLevels: each level's bucket, in AWS's order. The rates are
// tiny so that no token comes back while the test runs.
func TestThrottleLevels(t *testing.T) {
	slow := func(burst int) *keys.Throttle { return &keys.Throttle{RateLimit: 0.001, BurstLimit: burst} }
	tests := []struct {
		name      string
		plan      keys.UsagePlan
		stage     Stage
		account   limit.Rate
		path      string
		key       bool
		wantN     int
		wantCause diag.Cause
		wantLog   string
	}{
		{"usage plan first", keys.UsagePlan{Throttle: slow(3)}, Stage{Throttle: slow(5)}, limit.Rate{PerSecond: 0.001, Burst: 7}, "/pets", true,
			3, diag.ThrottledUsagePlan, "exceeded throttle limit for API Stage pets/dev: Key throttle limit exceeded for Usage Plan ID %PLAN%, RestApi pets, Stage dev, Resource /pets, HttpMethod GET. Limit: 0.00 Burst: 3"},
		{"per-method override replaces the plan's", keys.UsagePlan{Throttle: slow(5),
			APIStages: []keys.APIStage{{APIID: "pets", Stage: "dev", Throttle: map[string]keys.Throttle{"/pets/GET": *slow(2)}}}},
			Stage{}, limit.Rate{}, "/pets", true, 2, diag.ThrottledUsagePlan, "Burst: 2"},
		{"override for another method does not apply", keys.UsagePlan{Throttle: slow(4),
			APIStages: []keys.APIStage{{APIID: "pets", Stage: "dev", Throttle: map[string]keys.Throttle{"/pets/POST": *slow(1)}}}},
			Stage{}, limit.Rate{}, "/pets", true, 4, diag.ThrottledUsagePlan, "Burst: 4"},
		{"stage before account", keys.UsagePlan{Throttle: slow(9)}, Stage{Throttle: slow(5)}, limit.Rate{PerSecond: 0.001, Burst: 7}, "/pets", true,
			5, diag.ThrottledStage, "Method throttle limit exceeded for RestApi pets, Stage dev, Resource /pets, HttpMethod GET. Limit: 0.00 Burst: 5"},
		{"method setting replaces the stage's", keys.UsagePlan{}, Stage{Throttle: slow(5), Methods: map[string]keys.Throttle{"/pets/GET": *slow(2)}}, limit.Rate{}, "/pets", false,
			2, diag.ThrottledStage, "Burst: 2"},
		{"stage throttle without a key", keys.UsagePlan{}, Stage{Throttle: slow(3)}, limit.Rate{}, "/pets", false, 3, diag.ThrottledStage, "Burst: 3"},
		{"account last", keys.UsagePlan{Throttle: slow(9)}, Stage{Throttle: slow(8)}, limit.Rate{PerSecond: 0.001, Burst: 6}, "/pets", true,
			6, diag.ThrottledAccount, "Account throttle limit exceeded. Limit: 0.00 Burst: 6"},
	}
	run := func(t *testing.T, newBackend func() limit.Backend) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, tc.plan)
				be := newBackend()
				c := f.compiler(t, Config{Backend: be, Account: tc.account, Stages: map[string]map[string]Stage{"pets": {"dev": tc.stage}}})
				g := guardOf(t, c, petsAPI, tc.path, method("GET", tc.key))
				var hdr []string
				if tc.key {
					hdr = []string{"x-api-key", goldValue}
				}
				n, de := countUntilThrottled(t, g, "dev", hdr...)
				if n != tc.wantN || de.Cause != tc.wantCause {
					t.Fatalf("%d passed then %s, want %d then %s", n, de.Cause, tc.wantN, tc.wantCause)
				}
				info := de.Info()
				if info.ResponseType != apigw.Throttled || info.Message != "Too Many Requests" {
					t.Errorf("response %s %q", info.ResponseType, info.Message)
				}
				want := strings.ReplaceAll(tc.wantLog, "%PLAN%", f.plan.ID)
				if !strings.Contains(de.LogLine, want) {
					t.Errorf("log line %q does not hold %q", de.LogLine, want)
				}
				if tc.wantCause == diag.ThrottledUsagePlan && !strings.HasPrefix(de.LogLine, "API Key *********************6789 exceeded") {
					t.Errorf("log line does not start with the masked key: %q", de.LogLine)
				}
			})
		}
	}
	t.Run("memory", func(t *testing.T) { run(t, func() limit.Backend { return limit.NewMemory() }) })
	t.Run("redis", func(t *testing.T) {
		addr := testredis.Start(t).Addr
		run(t, func() limit.Backend {
			return redislimit.New(redislimit.Options{Addr: addr, KeyPrefix: fmt.Sprintf("levels%d:", time.Now().UnixNano())})
		})
	})
}

// TestQuotaExactlyAndAfterRestart: a quota of 100 per day allows exactly
// 100; usage reaches the store, and a new process (new compiler, new
// in-process backend, same store) continues from it.
func TestQuotaExactlyAndAfterRestart(t *testing.T) {
	f := newFixture(t, keys.UsagePlan{Quota: &keys.Quota{Limit: 100, Period: "DAY"}})
	c := f.compiler(t, Config{})
	g := guardOf(t, c, petsAPI, "/pets", method("GET", true))
	ok := 0
	var last *diag.Error
	for range 60 {
		if err := g.Check(context.Background(), exchange("dev", "x-api-key", goldValue)); err == nil {
			ok++
		} else {
			last = err.(*diag.Error)
		}
	}
	if ok != 60 || last != nil {
		t.Fatalf("%d of 60 passed (%v)", ok, last)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(keys.DayLayout)
	u, err := f.store.GetUsage(context.Background(), f.plan.ID, "", today, today)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Items[f.gold.ID]; len(got) != 1 || got[0][0] != 60 || got[0][1] != 40 {
		t.Errorf("usage today = %v, want [[60 40]]", got)
	}

	c2 := f.compiler(t, Config{})
	g2 := guardOf(t, c2, petsAPI, "/pets", method("GET", true))
	ok = 0
	for range 100 {
		err := g2.Check(context.Background(), exchange("dev", "x-api-key", goldValue))
		if err == nil {
			ok++
			continue
		}
		last = err.(*diag.Error)
	}
	if ok != 40 {
		t.Errorf("after restart %d passed, want the 40 left of 100", ok)
	}
	if last == nil || last.Cause != diag.QuotaExceeded || last.Info().Message != "Limit Exceeded" || last.Info().ResponseType != apigw.QuotaExceeded {
		t.Fatalf("refusal %+v", last)
	}
	want := fmt.Sprintf("exceeded quota limit for API Stage pets/dev: Key quota exhausted for Usage Plan ID %s. Q Limit: 100 Period: DAY", f.plan.ID)
	if !strings.Contains(last.LogLine, want) || strings.Contains(last.LogLine, goldValue) {
		t.Errorf("log line %q", last.LogLine)
	}
}

func TestStoreChangesAreSeenOnRefresh(t *testing.T) {
	f := newFixture(t, keys.UsagePlan{})
	c := f.compiler(t, Config{})
	g := guardOf(t, c, petsAPI, "/pets", method("GET", true))
	if err := g.Check(context.Background(), exchange("dev", "x-api-key", goldValue)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.SetKeyEnabled(context.Background(), f.gold.ID, false); err != nil {
		t.Fatal(err)
	}
	c.poll(context.Background())
	if got := causeOf(g.Check(context.Background(), exchange("dev", "x-api-key", goldValue))); got != diag.APIKeyDisabled {
		t.Errorf("after disabling: %q, want API_KEY_DISABLED", got)
	}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// TestFailureModes: with the Redis backend unreachable, an open stage lets
// requests through and a closed one answers 429 LIMITER_UNAVAILABLE; both
// are counted.
func TestFailureModes(t *testing.T) {
	f := newFixture(t, keys.UsagePlan{Throttle: &keys.Throttle{RateLimit: 10, BurstLimit: 10}, Quota: &keys.Quota{Limit: 5, Period: "DAY"}})
	be := redislimit.New(redislimit.Options{Addr: deadAddr(t)})
	c := f.compiler(t, Config{Backend: be, Stages: map[string]map[string]Stage{"pets": {"dev": {}, "prod": {FailClosed: true}}}})
	api := &apigw.RestAPI{ID: "pets"}
	g := guardOf(t, c, api, "/pets", method("GET", false))
	before := limit.Stats()
	for range 20 {
		if err := g.Check(context.Background(), exchange("dev")); err != nil {
			t.Fatalf("open stage refused: %v", err)
		}
	}
	err := g.Check(context.Background(), exchange("prod"))
	if got := causeOf(err); got != diag.LimiterUnavailable {
		t.Fatalf("closed stage: %q, want LIMITER_UNAVAILABLE", got)
	}
	if info := err.(*diag.Error).Info(); info.ResponseType != apigw.Throttled {
		t.Errorf("closed stage answers %s", info.ResponseType)
	}
	if !errors.Is(err, limit.ErrUnavailable) {
		t.Errorf("error does not wrap ErrUnavailable: %v", err)
	}
	after := limit.Stats()
	if after.FallbackOpen-before.FallbackOpen < 20 || after.FallbackClosed-before.FallbackClosed != 1 {
		t.Errorf("fallbacks counted: open +%d closed +%d", after.FallbackOpen-before.FallbackOpen, after.FallbackClosed-before.FallbackClosed)
	}
	// A request whose own context has ended (the client hung up) is not an
	// outage of the backend: it passes the open stage uncounted.
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	before = limit.Stats()
	if err := g.Check(canceled, exchange("dev")); err != nil {
		t.Fatalf("open stage, canceled request: %v", err)
	}
	if after := limit.Stats(); after.FallbackOpen != before.FallbackOpen {
		t.Errorf("a canceled request counted as %d fallbacks", after.FallbackOpen-before.FallbackOpen)
	}
}

func BenchmarkGuardKeyPlanQuota(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, _ := keys.Open(ctx, dir)
	k, _ := s.CreateKey(ctx, keys.NewKey{Value: goldValue, Enabled: true})
	p, _ := s.CreatePlan(ctx, keys.UsagePlan{APIStages: []keys.APIStage{{APIID: "pets", Stage: "dev"}},
		Throttle: &keys.Throttle{RateLimit: 1e9, BurstLimit: 1 << 30}, Quota: &keys.Quota{Limit: 1 << 40, Period: "MONTH"}})
	s.AddKey(ctx, p.ID, k.ID)
	s.Close()
	c := New(Config{Backend: limit.NewMemory(), Account: limit.Rate{PerSecond: 1e9, Burst: 1 << 30},
		OpenStore: func(ctx context.Context) (*keys.Store, error) { return keys.Open(ctx, dir) }})
	defer c.Close()
	g, _ := c.Guard(petsAPI, "/pets", method("GET", true))
	x := exchange("dev", "x-api-key", goldValue)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x.Auth = nil
		if err := g.Check(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
}
