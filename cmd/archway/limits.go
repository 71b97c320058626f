package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/archway-gw/archway/internal/redisconn"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/gateway/limit"
	"github.com/archway-gw/archway/internal/gateway/limit/redislimit"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/usageplan"
	"github.com/archway-gw/archway/internal/keys"
)

// dataDirOf is the embedded store's directory: dataDir of archway.yaml,
// .archway beside it, or .archway in the working directory.
func dataDirOf(cfg *config.Config, cfgPath string) string {
	if cfg != nil && cfg.DataDir != "" {
		return cfg.DataDir
	}
	if cfgPath != "" {
		return filepath.Join(filepath.Dir(cfgPath), config.DefaultDataDir)
	}
	return config.DefaultDataDir
}

// setupLimits makes backend.Limits the usage-plan compiler (created on
// the first load; the backend and store live as long as the server) and
// gives it the stage settings of this load.
func setupLimits(backend *pipeline.Backend, l *loaded, accountFlag string, logger *slog.Logger) error {
	c, ok := backend.Limits.(*usageplan.Compiler)
	if !ok {
		var err error
		if c, err = newLimits(l, accountFlag, logger); err != nil {
			return err
		}
		backend.Limits = c
	}
	c.SetStages(stagesOf(l))
	return nil
}

// parseAccountThrottle reads --account-throttle: RATE,BURST or off.
func parseAccountThrottle(s string) (limit.Rate, error) {
	if s == "off" {
		return limit.Rate{PerSecond: -1}, nil
	}
	r, b, ok := strings.Cut(s, ",")
	rate, err1 := strconv.ParseFloat(r, 64)
	burst, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || rate < 0 || burst < 0 {
		return limit.Rate{}, fmt.Errorf("--account-throttle %q: write RATE,BURST (e.g. 10000,5000) or off", s)
	}
	return limit.Rate{PerSecond: rate, Burst: burst}, nil
}

func newLimits(l *loaded, accountFlag string, logger *slog.Logger) (*usageplan.Compiler, error) {
	cfg := usageplan.Config{Logger: logger}
	var lc config.Limits
	cfgPath := ""
	if l.cfg != nil {
		lc = l.cfg.Limits
		if len(l.files) > 0 {
			cfgPath = l.files[0]
		}
	}
	if lc.Backend == "redis" {
		cfg.Backend = redislimit.New(redisOptions(lc.Redis))
	} else {
		cfg.Backend = limit.NewMemory()
	}
	if a := lc.Account; a != nil {
		cfg.Account = limit.Rate{PerSecond: a.RateLimit, Burst: a.BurstLimit}
		if a.RateLimit < 0 {
			cfg.Account = limit.Rate{PerSecond: -1}
		}
	}
	if accountFlag != "" {
		r, err := parseAccountThrottle(accountFlag)
		if err != nil {
			return nil, err
		}
		cfg.Account = r
	}
	cfg.DefaultFailClosed = lc.FailureMode == "closed"
	dir := dataDirOf(l.cfg, cfgPath)
	cfg.OpenStore = func(ctx context.Context) (*keys.Store, error) {
		// Serving never creates the store: `archway keys create` does.
		if _, err := os.Stat(keys.Path(dir)); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return keys.Open(ctx, dir)
	}
	return usageplan.New(cfg), nil
}

// redisOptions are the connection settings of limits.redis, shared by the
// limiter and the authorizer cache.
func redisOptions(r config.Redis) redisconn.Options {
	return redisconn.Options{Addr: r.Addr, Username: r.Username, Password: r.Password,
		DB: r.DB, KeyPrefix: r.KeyPrefix, Timeout: time.Duration(r.Timeout)}
}

// stagesOf lists every served stage with its throttle settings.
func stagesOf(l *loaded) map[string]map[string]usageplan.Stage {
	out := map[string]map[string]usageplan.Stage{}
	defaultClosed := l.cfg != nil && l.cfg.Limits.FailureMode == "closed"
	for i, in := range l.inputs {
		m := map[string]usageplan.Stage{}
		out[in.API.ID] = m
		for _, st := range in.Stages {
			s := usageplan.Stage{FailClosed: defaultClosed}
			if l.cfg != nil && i < len(l.cfg.APIs) {
				for _, cs := range l.cfg.APIs[i].Stages {
					if cs.Name == st.Name {
						s = stageLimits(cs, defaultClosed)
					}
				}
			}
			m[st.Name] = s
		}
	}
	return out
}

func stageLimits(cs config.Stage, defaultClosed bool) usageplan.Stage {
	s := usageplan.Stage{FailClosed: defaultClosed}
	switch cs.LimitsFailureMode {
	case "closed":
		s.FailClosed = true
	case "open":
		s.FailClosed = false
	}
	if t := cs.Throttle; t != nil {
		s.Throttle = &keys.Throttle{RateLimit: t.RateLimit, BurstLimit: t.BurstLimit}
	}
	for k, ms := range cs.MethodSettings {
		if ms.ThrottlingRateLimit == nil && ms.ThrottlingBurstLimit == nil {
			continue
		}
		t := keys.Throttle{RateLimit: -1}
		if s.Throttle != nil {
			t = *s.Throttle
		}
		if ms.ThrottlingRateLimit != nil {
			t.RateLimit = *ms.ThrottlingRateLimit
		}
		if ms.ThrottlingBurstLimit != nil {
			t.BurstLimit = *ms.ThrottlingBurstLimit
		}
		if s.Methods == nil {
			s.Methods = map[string]keys.Throttle{}
		}
		s.Methods[k] = t
	}
	return s
}
