package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Limits is the limits: section: where throttle buckets and quota counters
// live, and the account-level throttle (docs/limits.md).
type Limits struct {
	// Backend is "memory" (in process, the default) or "redis" (shared by
	// every node pointing at the same server).
	Backend string `yaml:"backend"`
	// Redis is the server of the redis backend.
	Redis Redis `yaml:"redis"`
	// Account is the account-level throttle shared by every API and stage.
	// Default AWS's: rateLimit 10000, burstLimit 5000. A negative
	// rateLimit turns it off.
	Account *Throttle `yaml:"account"`
	// FailureMode is the limitsFailureMode of stages that do not set one:
	// "open" (default) or "closed".
	FailureMode string `yaml:"failureMode"`
}

// Redis is a Redis server.
type Redis struct {
	// Addr is host:port. Required with backend redis.
	Addr string `yaml:"addr"`
	// Username and Password authenticate. Default none.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DB is the database number. Default 0.
	DB int `yaml:"db"`
	// KeyPrefix is put before every key. Default "archway:".
	KeyPrefix string `yaml:"keyPrefix"`
	// Timeout bounds each command. Default 250ms.
	Timeout Duration `yaml:"timeout"`
}

// Throttle is a token bucket with AWS's names.
type Throttle struct {
	// RateLimit is the steady rate in requests per second.
	RateLimit float64 `yaml:"rateLimit"`
	// BurstLimit is the bucket size.
	BurstLimit int `yaml:"burstLimit"`
}

// MethodSetting is a stage's setting for one method, keyed
// "/{resourcePath}/{METHOD}" (or "*/*" for all) as AWS's methodSettings.
type MethodSetting struct {
	// ThrottlingRateLimit is the method's rate; negative means none.
	ThrottlingRateLimit *float64 `yaml:"throttlingRateLimit"`
	// ThrottlingBurstLimit is the method's burst.
	ThrottlingBurstLimit *int `yaml:"throttlingBurstLimit"`
}

// DefaultDataDir is where the embedded store lives when dataDir is not set:
// beside archway.yaml, or in the working directory when serving plain
// definition files. Load leaves DataDir empty when it is not set.
const DefaultDataDir = ".archway"

func (c *Config) resolveLimits(path, dir string) error {
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(dir, c.DataDir)
	}
	l := &c.Limits
	switch l.Backend {
	case "", "memory":
	case "redis":
		if l.Redis.Addr == "" {
			return fmt.Errorf("%s: limits.redis.addr is required with backend redis; set it to host:port", path)
		}
	default:
		return fmt.Errorf("%s: limits.backend %q: use memory or redis", path, l.Backend)
	}
	if err := checkFailureMode(l.FailureMode); err != nil {
		return fmt.Errorf("%s: limits.failureMode: %w", path, err)
	}
	if a := l.Account; a != nil && a.RateLimit >= 0 && a.BurstLimit < 0 {
		return fmt.Errorf("%s: limits.account.burstLimit must not be negative", path)
	}
	for i, a := range c.APIs {
		for j, s := range a.Stages {
			where := fmt.Sprintf("%s: apis[%d].stages[%d] (%s)", path, i, j, s.Name)
			if err := checkFailureMode(s.LimitsFailureMode); err != nil {
				return fmt.Errorf("%s: limitsFailureMode: %w", where, err)
			}
			if t := s.Throttle; t != nil && (t.BurstLimit < 0) {
				return fmt.Errorf("%s: throttle.burstLimit must not be negative", where)
			}
			for k, ms := range s.MethodSettings {
				if k != "*/*" && (!strings.HasPrefix(k, "/") || strings.LastIndexByte(k, '/') <= 0) {
					return fmt.Errorf("%s: methodSettings key %q: write /{resourcePath}/{METHOD}, e.g. /pets/GET, or */*", where, k)
				}
				if ms.ThrottlingBurstLimit != nil && *ms.ThrottlingBurstLimit < 0 {
					return fmt.Errorf("%s: methodSettings %q: throttlingBurstLimit must not be negative", where, k)
				}
			}
		}
	}
	return nil
}

func checkFailureMode(m string) error {
	switch m {
	case "", "open", "closed":
		return nil
	}
	return fmt.Errorf("%q: use open or closed", m)
}
