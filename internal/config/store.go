package config

import (
	"fmt"
	"path/filepath"
	"time"
)

// Defaults of the store: section (docs/store.md).
const (
	DefaultStoreFile       = "requests.db"
	DefaultStoreMaxAge     = 7 * 24 * time.Hour
	DefaultStoreMaxRows    = 1_000_000
	DefaultStoreSampleRate = 1.0
)

// Store is the store: section of archway.yaml: where execution records are
// kept for the admin API and the dashboard.
type Store struct {
	// Driver is sqlite (default), postgres, or off.
	Driver string `yaml:"driver"`
	// Path is the SQLite file, relative to archway.yaml. Default:
	// requests.db in the data directory.
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string (postgres://user@host/db).
	// Required with driver postgres.
	DSN string `yaml:"dsn"`
	// SampleRate is the fraction of successful requests stored, 0 to 1;
	// errors are always stored. Default 1.
	SampleRate *float64 `yaml:"sampleRate"`
	// QueueSize bounds the records waiting to be written. Default 10000.
	QueueSize int `yaml:"queueSize"`
	// BatchSize is the most records per transaction. Default 500.
	BatchSize int `yaml:"batchSize"`
	// FlushInterval is the longest a record waits for its batch. Default 200ms.
	FlushInterval Duration `yaml:"flushInterval"`
	// Retention limits what is kept.
	Retention StoreRetention `yaml:"retention"`
}

// StoreRetention are the store's retention limits.
type StoreRetention struct {
	// MaxAge deletes records older than this. Default 168h (7 days); a
	// negative value keeps records of any age.
	MaxAge Duration `yaml:"maxAge"`
	// MaxRows keeps at most this many records, the newest. Default
	// 1000000; a negative value sets no limit.
	MaxRows int64 `yaml:"maxRows"`
}

func (c *Config) resolveStore(path, dir string) error {
	s := c.Store
	if s == nil {
		return nil
	}
	switch s.Driver {
	case "", "sqlite":
		s.Driver = "sqlite"
		if s.Path != "" && !filepath.IsAbs(s.Path) {
			s.Path = filepath.Join(dir, s.Path)
		}
	case "postgres":
		if s.DSN == "" {
			return fmt.Errorf("%s: store.dsn is required with driver postgres; set it to a URL such as postgres://archway@127.0.0.1:5432/archway", path)
		}
	case "off":
	default:
		return fmt.Errorf("%s: store.driver %q: use sqlite, postgres or off", path, s.Driver)
	}
	if r := s.SampleRate; r != nil && (*r < 0 || *r > 1) {
		return fmt.Errorf("%s: store.sampleRate %v: give a number from 0 to 1", path, *r)
	}
	if s.QueueSize < 0 || s.BatchSize < 0 || s.FlushInterval < 0 {
		return fmt.Errorf("%s: store: queueSize, batchSize and flushInterval must not be negative", path)
	}
	return nil
}
