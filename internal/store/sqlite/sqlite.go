// Package sqlite is the request store's default backend: one SQLite file
// (modernc.org/sqlite, pure Go) in WAL mode.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/archway-gw/archway/internal/store"
)

// Dialect is SQLite's flavour of the shared SQL backend.
var Dialect = store.Dialect{
	Name:      "sqlite",
	Schema:    store.Schema("INTEGER PRIMARY KEY", "REAL"),
	MaxParams: 30000, // SQLITE_MAX_VARIABLE_NUMBER is 32766
}

// Open opens (creating when missing) the database file at path and its
// schema. The directory is created too.
func Open(ctx context.Context, path string) (*store.SQL, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: creating %s: %w", dir, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Statement journals (a multi-row INSERT opens one) stay in memory, and
	// a 16 MB page cache keeps the indexes' hot pages from spilling.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-16000)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	s, err := store.NewSQL(ctx, db, Dialect)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
