package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStoreSection(t *testing.T) {
	half := 0.5
	tests := []struct {
		name    string
		yaml    string
		want    *Store
		wantErr string
	}{
		{name: "absent", yaml: "", want: nil},
		{name: "defaults", yaml: "store: {}\n", want: &Store{Driver: "sqlite"}},
		{name: "sqlite with everything", yaml: `store:
  driver: sqlite
  path: data/req.db
  sampleRate: 0.5
  queueSize: 100
  batchSize: 10
  flushInterval: 50ms
  retention: {maxAge: 24h, maxRows: 5000}
`, want: &Store{Driver: "sqlite", Path: "DIR/data/req.db", SampleRate: &half, QueueSize: 100, BatchSize: 10,
			FlushInterval: Duration(50 * time.Millisecond), Retention: StoreRetention{MaxAge: Duration(24 * time.Hour), MaxRows: 5000}}},
		{name: "postgres", yaml: "store: {driver: postgres, dsn: 'postgres://a@127.0.0.1/b'}\n", want: &Store{Driver: "postgres", DSN: "postgres://a@127.0.0.1/b"}},
		{name: "off", yaml: "store: {driver: off}\n", want: &Store{Driver: "off"}},
		{name: "postgres without dsn", yaml: "store: {driver: postgres}\n", wantErr: "store.dsn is required"},
		{name: "unknown driver", yaml: "store: {driver: mysql}\n", wantErr: `store.driver "mysql"`},
		{name: "sample rate over 1", yaml: "store: {sampleRate: 2}\n", wantErr: "store.sampleRate 2"},
		{name: "negative queue", yaml: "store: {queueSize: -1}\n", wantErr: "must not be negative"},
		{name: "unknown key", yaml: "store: {sample: 1}\n", wantErr: "sample"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "api.yaml", "openapi: 3.0.1\n")
			p := write(t, dir, FileName, "apis: [{definition: api.yaml}]\n"+tc.yaml)
			c, err := Load(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil && tc.want.Path != "" {
				tc.want.Path = filepath.Join(dir, strings.TrimPrefix(tc.want.Path, "DIR/"))
			}
			if diff := cmp.Diff(tc.want, c.Store); diff != "" {
				t.Errorf("store (-want +got):\n%s", diff)
			}
		})
	}
}
