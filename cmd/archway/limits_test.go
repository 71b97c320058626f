package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/gateway/usageplan"
	"github.com/archway-gw/archway/internal/keys"
)

func TestStageLimits(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	tests := []struct {
		name          string
		stage         config.Stage
		defaultClosed bool
		want          usageplan.Stage
	}{
		{"nothing set", config.Stage{}, false, usageplan.Stage{}},
		{"default closed", config.Stage{}, true, usageplan.Stage{FailClosed: true}},
		{"stage open overrides a closed default", config.Stage{LimitsFailureMode: "open"}, true, usageplan.Stage{}},
		{"stage throttle", config.Stage{Throttle: &config.Throttle{RateLimit: 10, BurstLimit: 5}}, false,
			usageplan.Stage{Throttle: &keys.Throttle{RateLimit: 10, BurstLimit: 5}}},
		{"method setting inherits the missing field from the stage", config.Stage{
			Throttle:       &config.Throttle{RateLimit: 10, BurstLimit: 5},
			MethodSettings: map[string]config.MethodSetting{"/pets/GET": {ThrottlingRateLimit: f(2)}}}, false,
			usageplan.Stage{Throttle: &keys.Throttle{RateLimit: 10, BurstLimit: 5}, Methods: map[string]keys.Throttle{"/pets/GET": {RateLimit: 2, BurstLimit: 5}}}},
		{"method burst without a stage throttle: no rate, no bucket", config.Stage{
			MethodSettings: map[string]config.MethodSetting{"*/*": {ThrottlingBurstLimit: i(3)}}}, false,
			usageplan.Stage{Methods: map[string]keys.Throttle{"*/*": {RateLimit: -1, BurstLimit: 3}}}},
		{"empty method setting ignored", config.Stage{MethodSettings: map[string]config.MethodSetting{"/a/GET": {}}}, false, usageplan.Stage{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := stageLimits(tc.stage, tc.defaultClosed)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAccountThrottle(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		b    int
		err  bool
	}{
		{in: "off", want: -1},
		{in: "10000,5000", want: 10000, b: 5000},
		{in: "0.5,1", want: 0.5, b: 1},
		{in: "100", err: true},
		{in: "-1,5", err: true},
		{in: "a,b", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r, err := parseAccountThrottle(tc.in)
			if (err != nil) != tc.err || !tc.err && (r.PerSecond != tc.want || r.Burst != tc.b) {
				t.Errorf("parseAccountThrottle(%q) = %+v, %v", tc.in, r, err)
			}
		})
	}
}
