package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/store"
)

func TestOpenStore(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name    string
		store   *config.Store
		adminOn bool
		want    string // driver, or "" for no store
		file    string // SQLite file expected, relative to the config's directory
		wantErr bool
	}{
		{name: "no section, no admin", want: ""},
		{name: "no section, admin on", adminOn: true, want: "sqlite", file: ".archway/requests.db"},
		{name: "explicit sqlite without admin", store: &config.Store{Driver: "sqlite"}, want: "sqlite", file: ".archway/requests.db"},
		{name: "sqlite path", store: &config.Store{Driver: "sqlite", Path: "PATH/custom.db"}, want: "sqlite", file: "custom.db"},
		{name: "off", store: &config.Store{Driver: "off"}, adminOn: true, want: ""},
		{name: "postgres unreachable", store: &config.Store{Driver: "postgres", DSN: "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, config.FileName)
			cfg := &config.Config{}
			if tc.store != nil {
				s := *tc.store
				if s.Path != "" {
					s.Path = filepath.Join(dir, filepath.Base(s.Path))
				}
				cfg.Store = &s
			}
			svc, err := openStore(context.Background(), &loaded{cfg: cfg, files: []string{cfgPath}}, tc.adminOn, quiet)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if svc != nil {
					t.Fatalf("store opened: %s", svc.Driver)
				}
				return
			}
			if svc == nil || svc.Driver != tc.want {
				t.Fatalf("store %v, want %s", svc, tc.want)
			}
			closeStore(svc, quiet)
			if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
				t.Errorf("SQLite file: %v", err)
			}
		})
	}
}

func TestStoreCollector(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	svc, err := openStore(context.Background(), &loaded{cfg: &config.Config{Store: &config.Store{Driver: "sqlite", Path: filepath.Join(dir, "r.db")}}}, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newStoreCollector(svc.Recorder))
	for i := range 7 {
		svc.Recorder.Enqueue(store.Entry{Rec: &exec.Record{RequestID: fmt.Sprint("r", i), Status: 500}})
	}
	closeStore(svc, quiet)
	svc.Recorder.Enqueue(store.Entry{Rec: &exec.Record{RequestID: "late", Status: 500}})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			if c := m.GetCounter(); c != nil {
				got[key] = c.GetValue()
			} else {
				got[key] = m.GetGauge().GetValue()
			}
		}
	}
	want := map[string]float64{
		"archway_store_records_total/enqueued": 8, "archway_store_records_total/written": 7,
		"archway_store_records_total/sampled_out": 0, "archway_store_records_total/dropped_queue_full": 0,
		"archway_store_records_total/dropped_write_failed": 0, "archway_store_records_total/dropped_closed": 1,
		"archway_store_pending": 0, "archway_store_write_errors_total": 0, "archway_store_pruned_total": 0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}
