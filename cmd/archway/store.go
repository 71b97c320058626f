package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/store"
	"github.com/archway-gw/archway/internal/store/postgres"
	"github.com/archway-gw/archway/internal/store/sqlite"
)

// storeDrainTimeout bounds how long shutdown waits for the request store
// to write what is queued.
const storeDrainTimeout = 10 * time.Second

// openStore opens the request store (docs/store.md): as store: in
// archway.yaml says, else SQLite requests.db in the data directory when the
// admin listener, its only reader, is on. It returns nil when off.
func openStore(ctx context.Context, l *loaded, adminOn bool, logger *slog.Logger) (*store.Service, error) {
	var sc config.Store
	if l.cfg != nil && l.cfg.Store != nil {
		sc = *l.cfg.Store
	} else if !adminOn {
		return nil, nil
	}
	opt := store.Options{SampleRate: sc.SampleRate, QueueSize: sc.QueueSize, BatchSize: sc.BatchSize,
		FlushInterval: time.Duration(sc.FlushInterval), Logger: logger,
		MaxAge: config.DefaultStoreMaxAge, MaxRows: config.DefaultStoreMaxRows}
	if a := time.Duration(sc.Retention.MaxAge); a != 0 {
		opt.MaxAge = max(a, 0)
	}
	if n := sc.Retention.MaxRows; n != 0 {
		opt.MaxRows = max(n, 0)
	}
	switch sc.Driver {
	case "off":
		return nil, nil
	case "postgres":
		b, err := postgres.Open(ctx, sc.DSN)
		if err != nil {
			return nil, err
		}
		return store.New(b, "postgres", opt), nil
	}
	path := sc.Path
	if path == "" {
		cfgPath := ""
		if l.cfg != nil && len(l.files) > 0 {
			cfgPath = l.files[0]
		}
		path = filepath.Join(dataDirOf(l.cfg, cfgPath), config.DefaultStoreFile)
	}
	b, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return store.New(b, "sqlite", opt), nil
}

// closeStore drains the store's queue within storeDrainTimeout.
func closeStore(svc *store.Service, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), storeDrainTimeout)
	defer cancel()
	if err := svc.Close(ctx); err != nil {
		logger.Warn("request store: queue not fully written at shutdown", "error", err.Error())
	}
	st := svc.Recorder.Stats()
	logger.Info("request store closed", "enqueued", st.Enqueued, "written", st.Written, "sampledOut", st.SampledOut, "dropped", st.Dropped)
}

// storeCollector exports the request store's counters on /metrics:
// archway_store_records_total{outcome} (enqueued, written, sampled_out,
// dropped_queue_full, dropped_write_failed, dropped_closed; enqueued is the
// sum of the others once nothing is pending), archway_store_pending,
// archway_store_write_errors_total and archway_store_pruned_total.
type storeCollector struct {
	rec                                 *store.Recorder
	records, pending, writeErrs, pruned *prometheus.Desc
}

func newStoreCollector(rec *store.Recorder) *storeCollector {
	return &storeCollector{
		rec:       rec,
		records:   prometheus.NewDesc("archway_store_records_total", "Execution records offered to the request store, by outcome.", []string{"outcome"}, nil),
		pending:   prometheus.NewDesc("archway_store_pending", "Records queued or being written.", nil, nil),
		writeErrs: prometheus.NewDesc("archway_store_write_errors_total", "Batch transactions the database failed to commit.", nil, nil),
		pruned:    prometheus.NewDesc("archway_store_pruned_total", "Records deleted by retention.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.records
	ch <- c.pending
	ch <- c.writeErrs
	ch <- c.pruned
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.rec.Stats()
	for _, o := range []struct {
		name string
		v    uint64
	}{{"enqueued", st.Enqueued}, {"written", st.Written}, {"sampled_out", st.SampledOut},
		{"dropped_queue_full", st.DroppedFull}, {"dropped_write_failed", st.WriteFailed}, {"dropped_closed", st.DroppedClosed}} {
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.CounterValue, float64(o.v), o.name)
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(c.writeErrs, prometheus.CounterValue, float64(st.WriteErrors))
	ch <- prometheus.MustNewConstMetric(c.pruned, prometheus.CounterValue, float64(st.Pruned))
}
