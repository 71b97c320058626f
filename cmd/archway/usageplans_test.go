package main

import (
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/keys"
)

func TestParseMethodThrottle(t *testing.T) {
	tests := []struct {
		in                 string
		api, stage, method string
		t                  keys.Throttle
		err                bool
	}{
		{in: "pets:dev:/pets/GET=5,10", api: "pets", stage: "dev", method: "/pets/GET", t: keys.Throttle{RateLimit: 5, BurstLimit: 10}},
		{in: "pets:dev:/pets/{id}/DELETE=0.5,1", api: "pets", stage: "dev", method: "/pets/{id}/DELETE", t: keys.Throttle{RateLimit: 0.5, BurstLimit: 1}},
		{in: "pets:dev=5,10", err: true},
		{in: "pets:dev:/pets/GET=5", err: true},
		{in: "pets:dev:/pets/GET=x,1", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			api, stage, method, th, err := parseMethodThrottle(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if !tc.err && (api != tc.api || stage != tc.stage || method != tc.method || th != tc.t) {
				t.Errorf("got %s %s %s %+v", api, stage, method, th)
			}
		})
	}
}

func FuzzParseMethodThrottle(f *testing.F) {
	for _, s := range []string{"pets:dev:/pets/GET=5,10", "a:b:c=1,2", "::=,", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		api, stage, method, _, err := parseMethodThrottle(s)
		if err == nil && (strings.Contains(api, ":") || strings.Contains(stage, ":")) {
			t.Errorf("%q: api %q stage %q hold a colon", s, api, stage)
		}
		_ = method
		if st, err := parseAPIStage(s); err == nil && (st.APIID == "" || st.Stage == "") {
			t.Errorf("parseAPIStage(%q) = %+v", s, st)
		}
	})
}
