package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, FileName, `dataDir: state
limits:
  backend: redis
  redis: {addr: "127.0.0.1:6390", password: pw, db: 2, keyPrefix: "gw:", timeout: 100ms}
  account: {rateLimit: 500, burstLimit: 100}
  failureMode: closed
apis:
  - definition: a.yaml
    stages:
      - name: dev
        throttle: {rateLimit: 10, burstLimit: 5}
        methodSettings:
          "/pets/GET": {throttlingRateLimit: 1.5, throttlingBurstLimit: 2}
          "*/*": {throttlingBurstLimit: 9}
        limitsFailureMode: open
`)
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	f, two, nine := 1.5, 2, 9
	if got.DataDir != filepath.Join(dir, "state") {
		t.Errorf("dataDir %q", got.DataDir)
	}
	want := Limits{Backend: "redis", Redis: Redis{Addr: "127.0.0.1:6390", Password: "pw", DB: 2, KeyPrefix: "gw:", Timeout: Duration(100e6)},
		Account: &Throttle{RateLimit: 500, BurstLimit: 100}, FailureMode: "closed"}
	if diff := cmp.Diff(want, got.Limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	st := got.APIs[0].Stages[0]
	wantSt := Stage{Name: "dev", Throttle: &Throttle{RateLimit: 10, BurstLimit: 5}, LimitsFailureMode: "open",
		MethodSettings: map[string]MethodSetting{"/pets/GET": {ThrottlingRateLimit: &f, ThrottlingBurstLimit: &two}, "*/*": {ThrottlingBurstLimit: &nine}}}
	if diff := cmp.Diff(wantSt, st); diff != "" {
		t.Errorf("stage (-want +got):\n%s", diff)
	}
}

func TestLoadLimitsErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown backend", "limits: {backend: memcached}\n", `limits.backend "memcached"`},
		{"redis without addr", "limits: {backend: redis}\n", "limits.redis.addr is required"},
		{"bad failure mode", "limits: {failureMode: maybe}\n", "limits.failureMode"},
		{"bad stage failure mode", "STAGE        limitsFailureMode: sometimes\n", "limitsFailureMode"},
		{"bad method key", "STAGE        methodSettings: {GET: {throttlingRateLimit: 1}}\n", "methodSettings key"},
		{"negative burst", "STAGE        throttle: {rateLimit: 1, burstLimit: -1}\n", "burstLimit"},
		{"unknown key", "limits: {backends: memory}\n", "backends"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := tc.yaml
			stage := "apis:\n  - definition: a.yaml\n    stages:\n      - name: dev\n"
			if rest, ok := strings.CutPrefix(y, "STAGE"); ok {
				y = stage + rest
			} else {
				y += stage
			}
			_, err := Load(write(t, t.TempDir(), FileName, y))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load error %v, want one naming %q", err, tc.want)
			}
		})
	}
}
