// Package usageplan builds each method's API-key, throttle and quota step
// (pipeline.GuardCompiler), in AWS's order: the API key must be valid and
// in a usage plan for the API stage; then the key's usage-plan bucket (or
// its per-method override), the stage's method bucket and the account
// bucket are each taken from; then the key's quota is counted. Buckets and
// counters live in a limit.Backend (in process, or Redis for a cluster);
// keys and plans come from the embedded store (internal/keys), re-read
// whenever its version changes.
package usageplan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/limit"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/keys"
)

// AccountDefault is AWS's account-level throttle: 10000 requests per
// second with a burst of 5000.
var AccountDefault = limit.Rate{PerSecond: 10000, Burst: 5000}

// Stage is what a stage says about throttling, from archway.yaml.
type Stage struct {
	// Throttle is the stage's default method throttle (AWS: the stage's
	// "*/*" method settings); nil means none.
	Throttle *keys.Throttle
	// Methods are per-method throttles keyed "/{resourcePath}/{METHOD}".
	Methods map[string]keys.Throttle
	// FailClosed refuses requests (429, LIMITER_UNAVAILABLE) when the
	// limiter backend is unreachable; false lets them through.
	FailClosed bool
}

// Config configures a Compiler.
type Config struct {
	// Backend holds buckets and quota counters. Required.
	Backend limit.Backend
	// Account is the account-level bucket shared by every API and stage;
	// a zero Rate means AccountDefault, a negative PerSecond none.
	Account limit.Rate
	// Stages are the stage settings by API id, then stage name.
	Stages map[string]map[string]Stage
	// DefaultFailClosed is the failure mode of stages not in Stages.
	DefaultFailClosed bool
	// OpenStore opens the key store when the first method that requires an
	// API key is compiled; it may return (nil, nil) while the store does
	// not exist yet, and is then retried every poll. nil serves no keys
	// (every key is unknown).
	OpenStore func(ctx context.Context) (*keys.Store, error)
	// Logger receives fallbacks and store errors. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock of quota periods and usage days. Default time.Now.
	Now func() time.Time
}

// Compiler implements pipeline.GuardCompiler. It keeps its backend, store
// and usage counters across snapshot reloads.
type Compiler struct {
	cfg    Config
	stages atomic.Pointer[map[string]map[string]Stage]
	view   atomic.Pointer[keys.View]

	storeMu   sync.Mutex
	store     atomic.Pointer[keys.Store]
	wantStore atomic.Bool

	usage     sync.Map                  // usageKey → *atomic.Int64
	periods   [3]atomic.Pointer[period] // DAY, WEEK, MONTH
	batcher   limit.Batcher             // the backend, when it decides a request in one call
	lastLog   atomic.Int64
	fallbacks atomic.Int64 // since the last fallback log line

	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex // guards started
	run  bool
}

type usageKey struct{ plan, key, day string }

var _ pipeline.GuardCompiler = (*Compiler)(nil)

// New returns a Compiler; call Start to poll the store and record usage,
// and Close when done.
func New(cfg Config) *Compiler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Account == (limit.Rate{}) {
		cfg.Account = AccountDefault
	}
	c := &Compiler{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	c.batcher, _ = cfg.Backend.(limit.Batcher)
	st := cfg.Stages
	c.stages.Store(&st)
	return c
}

// SetStages replaces the stage settings used by methods compiled from now
// on (a reload of archway.yaml).
func (c *Compiler) SetStages(s map[string]map[string]Stage) { c.stages.Store(&s) }

// Backend returns the limiter backend.
func (c *Compiler) Backend() limit.Backend { return c.cfg.Backend }

// Store opens the key store if needed and returns it; nil while it does
// not exist.
func (c *Compiler) Store(ctx context.Context) (*keys.Store, error) {
	c.wantStore.Store(true)
	c.storeMu.Lock()
	defer c.storeMu.Unlock()
	if s := c.store.Load(); s != nil || c.cfg.OpenStore == nil {
		return s, nil
	}
	s, err := c.cfg.OpenStore(ctx)
	if err != nil || s == nil {
		return nil, err
	}
	c.store.Store(s)
	return s, c.Refresh(ctx)
}

// Refresh re-reads keys and plans from the store and seeds the current
// period's quota counters from recorded usage.
func (c *Compiler) Refresh(ctx context.Context) error {
	st := c.store.Load()
	if st == nil {
		return nil
	}
	v, err := st.View(ctx)
	if err != nil {
		return err
	}
	c.flush(ctx) // so that seeding sees what this process counted
	now := c.cfg.Now()
	seeded := map[string]bool{}
	for _, m := range v.AllBindings() {
		if m.Quota == nil {
			continue
		}
		start, end := limit.Bounds(limit.Period(m.Quota.Period), now)
		qk := m.QuotaPrefix + start.Format(keys.DayLayout)
		if seeded[qk] {
			continue
		}
		seeded[qk] = true
		used, err := st.Used(ctx, m.PlanID, m.Key.ID, start, end)
		if err != nil {
			return err
		}
		if err := c.cfg.Backend.Seed(ctx, qk, used, end); err != nil {
			c.cfg.Logger.Warn("seeding quota counter", "cause", string(diag.LimiterUnavailable), "error", err.Error())
		}
	}
	c.view.Store(v)
	return nil
}

// Start polls the store version every interval (reloading keys and plans
// when it changes) and writes usage counters to the store.
func (c *Compiler) Start(interval time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run {
		return
	}
	c.run = true
	go func() {
		defer close(c.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c.poll(ctx)
			cancel()
		}
	}()
}

func (c *Compiler) poll(ctx context.Context) {
	st := c.store.Load()
	if st == nil {
		if c.wantStore.Load() {
			if _, err := c.Store(ctx); err != nil {
				c.cfg.Logger.Warn("opening the key store", "error", err.Error())
			}
		}
		return
	}
	c.flush(ctx)
	ver, err := st.Version(ctx)
	if err != nil {
		c.cfg.Logger.Warn("reading the key store", "error", err.Error())
		return
	}
	if v := c.view.Load(); v != nil && v.Version == ver {
		return
	}
	if err := c.Refresh(ctx); err != nil {
		c.cfg.Logger.Warn("reloading keys and usage plans", "error", err.Error())
		return
	}
	c.cfg.Logger.Info("reloaded API keys and usage plans", "version", ver)
}

// flush writes the usage counted since the last flush.
func (c *Compiler) flush(ctx context.Context) {
	st := c.store.Load()
	if st == nil {
		return
	}
	var ds []keys.UsageDelta
	c.usage.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Swap(0); n > 0 {
			uk := k.(usageKey)
			ds = append(ds, keys.UsageDelta{PlanID: uk.plan, KeyID: uk.key, Day: uk.day, N: n})
		}
		return true
	})
	if err := st.AddUsage(ctx, ds); err != nil {
		c.cfg.Logger.Warn("recording usage", "error", err.Error())
		for _, d := range ds { // keep them for the next flush
			c.count(usageKey{d.PlanID, d.KeyID, d.Day}, d.N)
		}
	}
}

func (c *Compiler) count(k usageKey, n int64) {
	v, ok := c.usage.Load(k)
	if !ok {
		v, _ = c.usage.LoadOrStore(k, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(n)
}

// Close stops polling, writes the remaining usage and closes the store and
// the backend.
func (c *Compiler) Close() error {
	c.mu.Lock()
	if c.run {
		close(c.stop)
		<-c.done
		c.run = false
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.flush(ctx)
	var errs []error
	if st := c.store.Load(); st != nil {
		errs = append(errs, st.Close())
	}
	errs = append(errs, c.cfg.Backend.Close())
	return errors.Join(errs...)
}

// period is a quota period with its first day formatted, cached because
// every keyed request needs it.
type period struct {
	start, end time.Time
	day        string
}

// bounds returns the period of p holding now, from the cache when it is
// still current.
func (c *Compiler) bounds(p limit.Period, now time.Time) *period {
	i := 0
	switch p {
	case limit.Week:
		i = 1
	case limit.Month:
		i = 2
	}
	if cur := c.periods[i].Load(); cur != nil && !now.Before(cur.start) && now.Before(cur.end) {
		return cur
	}
	s, e := limit.Bounds(p, now)
	np := &period{start: s, end: e, day: s.Format(keys.DayLayout)}
	c.periods[i].Store(np)
	return np
}

func toRate(t keys.Throttle) limit.Rate {
	return limit.Rate{PerSecond: t.RateLimit, Burst: t.BurstLimit}
}

// Guard implements pipeline.GuardCompiler.
func (c *Compiler) Guard(api *apigw.RestAPI, resourcePath string, m *apigw.Method) (pipeline.Checker, []pipeline.Problem) {
	verb := strings.ToUpper(m.HTTPMethod)
	g := &guard{
		c:           c,
		apiID:       api.ID,
		resource:    resourcePath,
		verb:        verb,
		methodKey:   resourcePath + "/" + verb,
		keyRequired: m.APIKeyRequired,
		fromAuth:    strings.EqualFold(api.APIKeySource, "AUTHORIZER"),
		stages:      map[string]*stageGuard{},
	}
	if c.cfg.Account.PerSecond >= 0 {
		g.account = c.cfg.Account
		g.hasAccount = true
	}
	var probs []pipeline.Problem
	for name, st := range (*c.stages.Load())[api.ID] {
		g.stages[name] = g.stage(name, st)
	}
	g.def = g.stage("", Stage{FailClosed: c.cfg.DefaultFailClosed})
	if g.keyRequired {
		if _, err := c.Store(context.Background()); err != nil {
			probs = append(probs, pipeline.Problem{Pos: m.Source,
				Message: fmt.Sprintf("%s %s requires an API key but the key store cannot be opened: %v", verb, resourcePath, err),
				Fix:     "check dataDir in archway.yaml (the directory must be writable)"})
		}
	}
	if !g.keyRequired && !g.hasAccount && len(g.stages) == 0 {
		return nil, probs
	}
	return g, probs
}

func (g *guard) stage(name string, st Stage) *stageGuard {
	sg := &stageGuard{name: name, apiStage: g.apiID + "/" + name, failClosed: st.FailClosed}
	t := st.Throttle
	for _, k := range []string{g.methodKey, "/*/*", "*/*"} {
		if mt, ok := st.Methods[k]; ok {
			t = &mt
			break
		}
	}
	if t != nil && t.RateLimit >= 0 {
		sg.method = toRate(*t)
		sg.hasMethod = true
		sg.methodBucket = "t:s:" + g.apiID + ":" + name + ":" + g.methodKey
	}
	return sg
}

type guard struct {
	c           *Compiler
	apiID       string
	resource    string
	verb        string
	methodKey   string
	keyRequired bool
	fromAuth    bool
	account     limit.Rate
	hasAccount  bool
	stages      map[string]*stageGuard
	other       sync.Map // stage name → *stageGuard, for stages not in stages
	def         *stageGuard
}

type stageGuard struct {
	name         string
	apiStage     string
	failClosed   bool
	hasMethod    bool
	method       limit.Rate
	methodBucket string
}

// NeedsBody implements pipeline.Checker.
func (g *guard) NeedsBody() bool { return false }

func (g *guard) fail(cause diag.Cause, detail, logLine string) *diag.Error {
	return &diag.Error{Phase: diag.PhaseUsagePlan, Cause: cause, Detail: detail, LogLine: logLine}
}

// Check implements pipeline.Checker.
func (g *guard) Check(ctx context.Context, x *pipeline.Exchange) error {
	sg := g.def
	stageName := ""
	if x.Stage != nil {
		stageName = x.Stage.Name
		if s, ok := g.stages[stageName]; ok {
			sg = s
		} else if s, ok := g.other.Load(stageName); ok {
			sg = s.(*stageGuard)
		} else {
			// A stage archway.yaml does not describe: defaults, built once.
			s, _ := g.other.LoadOrStore(stageName, g.stage(stageName, Stage{FailClosed: g.c.cfg.DefaultFailClosed}))
			sg = s.(*stageGuard)
		}
	}
	var b *keys.Binding
	if g.keyRequired {
		var err *diag.Error
		b, err = g.key(x, sg)
		if err != nil {
			limit.CountInvalidAPIKey()
			return err
		}
	}
	if g.c.batcher != nil {
		return g.checkBatch(ctx, sg, stageName, b)
	}
	if b != nil {
		if r, bucket := g.clientBucket(b); bucket != "" {
			if throttled, err := g.take(ctx, sg, bucket, r); err != nil {
				return err
			} else if throttled {
				return g.planThrottled(b, stageName, r)
			}
		}
	}
	if sg.hasMethod {
		if throttled, err := g.take(ctx, sg, sg.methodBucket, sg.method); err != nil {
			return err
		} else if throttled {
			return g.stageThrottled(sg, stageName)
		}
	}
	if g.hasAccount {
		if throttled, err := g.take(ctx, sg, accountBucket, g.account); err != nil {
			return err
		} else if throttled {
			return g.accountThrottled()
		}
	}
	if b == nil {
		return nil
	}
	now := g.c.cfg.Now()
	if q := b.Quota; q != nil {
		p := g.c.bounds(limit.Period(q.Period), now)
		lim := keys.QuotaLimit(q, b.PlanCreated, p.start)
		_, ok, err := g.c.cfg.Backend.Consume(ctx, b.QuotaPrefix+p.day, lim, 1, p.end)
		if err != nil {
			if e := g.fallback(ctx, sg, err); e != nil {
				return e
			}
		} else if !ok {
			return g.quotaExceeded(b, stageName, lim)
		}
	}
	g.c.count(usageKey{b.PlanID, b.Key.ID, g.c.bounds(limit.Day, now).day}, 1)
	return nil
}

const accountBucket = "t:account"

// level is what a bucket of a batch stands for.
type level uint8

const (
	levelPlan level = iota
	levelStage
	levelAccount
)

// checkBatch takes every bucket and the quota in one backend call (one
// Redis round trip), in the same order and with the same answers as the
// separate calls of Check.
func (g *guard) checkBatch(ctx context.Context, sg *stageGuard, stageName string, b *keys.Binding) error {
	var takes [3]limit.Take
	var levels [3]level
	n := 0
	var planRate limit.Rate
	if b != nil {
		if r, bucket := g.clientBucket(b); bucket != "" {
			takes[n], levels[n], planRate = limit.Take{Key: bucket, Rate: r}, levelPlan, r
			n++
		}
	}
	if sg.hasMethod {
		takes[n], levels[n] = limit.Take{Key: sg.methodBucket, Rate: sg.method}, levelStage
		n++
	}
	if g.hasAccount {
		takes[n], levels[n] = limit.Take{Key: accountBucket, Rate: g.account}, levelAccount
		n++
	}
	now := g.c.cfg.Now()
	var qt *limit.QuotaTake
	var lim int64
	if b != nil && b.Quota != nil {
		p := g.c.bounds(limit.Period(b.Quota.Period), now)
		lim = keys.QuotaLimit(b.Quota, b.PlanCreated, p.start)
		qt = &limit.QuotaTake{Key: b.QuotaPrefix + p.day, Limit: lim, Expires: p.end}
	}
	if n == 0 && qt == nil {
		return nil
	}
	th, qok, err := g.c.batcher.AllowBatch(ctx, takes[:n], qt)
	switch {
	case err != nil:
		if e := g.fallback(ctx, sg, err); e != nil {
			return e
		}
	case th >= 0:
		switch levels[th] {
		case levelPlan:
			return g.planThrottled(b, stageName, planRate)
		case levelStage:
			return g.stageThrottled(sg, stageName)
		default:
			return g.accountThrottled()
		}
	case qt != nil && !qok:
		return g.quotaExceeded(b, stageName, lim)
	}
	if b != nil {
		g.c.count(usageKey{b.PlanID, b.Key.ID, g.c.bounds(limit.Day, now).day}, 1)
	}
	return nil
}

func (g *guard) planThrottled(b *keys.Binding, stageName string, r limit.Rate) *diag.Error {
	limit.CountThrottled()
	return g.fail(diag.ThrottledUsagePlan, fmt.Sprintf("API key %s, usage plan %s", b.Key.ID, b.PlanID),
		fmt.Sprintf("API Key %s exceeded throttle limit for API Stage %s/%s: Key throttle limit exceeded for Usage Plan ID %s, RestApi %s, Stage %s, Resource %s, HttpMethod %s. Limit: %.2f Burst: %d",
			b.Key.Masked, g.apiID, stageName, b.PlanID, g.apiID, stageName, g.resource, g.verb, r.PerSecond, r.Burst))
}

func (g *guard) stageThrottled(sg *stageGuard, stageName string) *diag.Error {
	limit.CountThrottled()
	return g.fail(diag.ThrottledStage, fmt.Sprintf("stage %s, method %s", stageName, g.methodKey),
		fmt.Sprintf("Method throttle limit exceeded for RestApi %s, Stage %s, Resource %s, HttpMethod %s. Limit: %.2f Burst: %d",
			g.apiID, stageName, g.resource, g.verb, sg.method.PerSecond, sg.method.Burst))
}

func (g *guard) accountThrottled() *diag.Error {
	limit.CountThrottled()
	return g.fail(diag.ThrottledAccount, "account",
		fmt.Sprintf("Account throttle limit exceeded. Limit: %.2f Burst: %d", g.account.PerSecond, g.account.Burst))
}

func (g *guard) quotaExceeded(b *keys.Binding, stageName string, lim int64) *diag.Error {
	limit.CountQuotaExceeded()
	q := b.Quota
	return g.fail(diag.QuotaExceeded, fmt.Sprintf("API key %s, usage plan %s: %d per %s", b.Key.ID, b.PlanID, lim, q.Period),
		fmt.Sprintf("API Key %s exceeded quota limit for API Stage %s/%s: Key quota exhausted for Usage Plan ID %s. Q Limit: %d Period: %s",
			b.Key.Masked, g.apiID, stageName, b.PlanID, q.Limit, q.Period))
}

// key finds the request's API key and its usage plan for the stage.
func (g *guard) key(x *pipeline.Exchange, sg *stageGuard) (*keys.Binding, *diag.Error) {
	var value string
	if g.fromAuth {
		if x.Auth != nil {
			value = x.Auth.UsageIdentifierKey
		}
	} else {
		value = x.Req.Header.Get("X-Api-Key")
	}
	if value == "" {
		src := "no x-api-key header"
		if g.fromAuth {
			src = "the authorizer returned no usageIdentifierKey"
		}
		return nil, g.fail(diag.APIKeyMissing, src, g.notAuthorized("", "no API Key was sent", sg))
	}
	h := keys.Hash(value)
	v := g.c.view.Load()
	b := v.Lookup(sg.apiStage, h)
	if b == nil {
		masked := keys.Mask(value)
		k := v.Key(h)
		switch {
		case k == nil:
			return nil, g.fail(diag.APIKeyUnknown, "API key "+masked, g.notAuthorized(masked, "API Key is not valid", sg))
		case !k.Enabled:
			return nil, g.fail(diag.APIKeyDisabled, "API key "+k.ID+" ("+masked+")", g.notAuthorized(masked, "API Key is disabled", sg))
		default:
			return nil, g.fail(diag.APIKeyNotInPlan, fmt.Sprintf("API key %s (%s) is in no usage plan for API stage %s", k.ID, masked, sg.apiStage),
				g.notAuthorized(masked, "API Key is not associated with a Usage Plan for API Stage "+sg.apiStage+": No Usage Plan found for key and API Stage", sg))
		}
	}
	if x.Auth == nil {
		x.Auth = &pipeline.Auth{}
	}
	x.Auth.APIKey, x.Auth.APIKeyID = value, b.Key.ID
	return b, nil
}

// notAuthorized is the execution-log line of a refused key, in the shape
// of AWS's "API Key authorized because method 'GET /' does not require
// API Key" line.
func (g *guard) notAuthorized(masked, why string, sg *stageGuard) string {
	k := "API Key"
	if masked != "" {
		k += " " + masked
	}
	return fmt.Sprintf("%s not authorized because method '%s %s' requires API Key and %s", k, g.verb, g.resource, why)
}

// clientBucket is the key's usage-plan bucket: the plan's per-method
// throttle for this API stage, else the plan's throttle; "" when neither.
func (g *guard) clientBucket(b *keys.Binding) (limit.Rate, string) {
	for _, k := range []string{g.methodKey, "/*/*"} {
		if t, ok := b.Methods[k]; ok {
			return toRate(t), b.Bucket + ":" + g.apiID + ":" + g.methodKey
		}
	}
	if b.Throttle != nil {
		return toRate(*b.Throttle), b.Bucket
	}
	return limit.Rate{}, ""
}

// take takes one token from bucket: throttled when it is empty; an error
// when the backend failed and the stage fails closed.
func (g *guard) take(ctx context.Context, sg *stageGuard, bucket string, r limit.Rate) (throttled bool, _ *diag.Error) {
	d, err := g.c.cfg.Backend.Allow(ctx, bucket, r, 1)
	if err != nil {
		return false, g.fallback(ctx, sg, err)
	}
	if !d.Allowed {
		return true, nil
	}
	return false, nil
}

// fallback applies the stage's failure mode to a backend error: nil lets
// the request through. A backend call cut short because the request's own
// context ended (the client hung up) is not an outage of the backend: it is
// neither counted nor logged as a fallback.
func (g *guard) fallback(ctx context.Context, sg *stageGuard, err error) *diag.Error {
	if ctx.Err() == nil {
		g.countFallback(sg, err)
	}
	if sg.failClosed {
		return &diag.Error{Phase: diag.PhaseUsagePlan, Cause: diag.LimiterUnavailable, Err: err,
			LogLine: fmt.Sprintf("Throttle and quota limits for API Stage %s could not be checked (%s backend unavailable); the stage fails closed", sg.apiStage, g.c.cfg.Backend.Name())}
	}
	return nil
}

// countFallback counts a fallback and logs it, at most once a second.
func (g *guard) countFallback(sg *stageGuard, err error) {
	limit.CountFallback(!sg.failClosed)
	g.c.fallbacks.Add(1)
	now := time.Now().UnixNano()
	if last := g.c.lastLog.Load(); now-last >= int64(time.Second) && g.c.lastLog.CompareAndSwap(last, now) {
		mode := "open"
		if sg.failClosed {
			mode = "closed"
		}
		g.c.cfg.Logger.Error("limiter backend unavailable", "cause", string(diag.LimiterUnavailable),
			"backend", g.c.cfg.Backend.Name(), "api", g.apiID, "stage", sg.name, "failureMode", mode,
			"fallbacks", g.c.fallbacks.Swap(0), "error", err.Error())
	}
}
