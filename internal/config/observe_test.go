package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAdminAndTracing(t *testing.T) {
	half := 0.5
	for _, c := range []struct {
		name    string
		yaml    string
		admin   Admin
		tracing *Tracing
		err     string
	}{
		{name: "absent: both off", yaml: ""},
		{name: "admin", yaml: "admin: {listen: 127.0.0.1:9090, token: t0k}\n", admin: Admin{Listen: "127.0.0.1:9090", Token: "t0k"}},
		{name: "tracing", yaml: "tracing:\n  endpoint: http://127.0.0.1:4318/v1/traces\n  sampleRatio: 0.5\n  headers: {Authorization: Bearer x}\n  serviceName: gw\n",
			tracing: &Tracing{Endpoint: "http://127.0.0.1:4318/v1/traces", SampleRatio: &half, Headers: map[string]string{"Authorization": "Bearer x"}, ServiceName: "gw"}},
		{name: "tracing without endpoint", yaml: "tracing: {sampleRatio: 1}\n", err: "tracing: endpoint is required"},
		{name: "sampleRatio over 1", yaml: "tracing: {endpoint: http://x/v1/traces, sampleRatio: 2}\n", err: "sampleRatio 2"},
		{name: "negative sampleRatio", yaml: "tracing: {endpoint: http://x/v1/traces, sampleRatio: -0.1}\n", err: "sampleRatio -0.1"},
		{name: "unknown admin key", yaml: "admin: {listen: 127.0.0.1:9090, tokne: x}\n", err: "tokne"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "api.yaml", "openapi: 3.0.1\n")
			p := write(t, dir, FileName, "apis: [{definition: api.yaml}]\n"+c.yaml)
			cfg, err := Load(p)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.admin, cfg.Admin); d != "" {
				t.Errorf("admin (-want +got):\n%s", d)
			}
			if d := cmp.Diff(c.tracing, cfg.Tracing); d != "" {
				t.Errorf("tracing (-want +got):\n%s", d)
			}
		})
	}
}
