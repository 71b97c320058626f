// Package postgres is the request store's PostgreSQL backend, through
// pgx's database/sql driver so that it shares its SQL with SQLite.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/archway-gw/archway/internal/store"
)

// Dialect is PostgreSQL's flavour of the shared SQL backend.
var Dialect = store.Dialect{
	Name:      "postgres",
	Schema:    store.Schema("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "DOUBLE PRECISION"),
	Numbered:  true,
	MaxParams: 60000, // the protocol allows 65535
}

// Open connects to the server named by dsn (a postgres:// URL or
// key=value string) and creates the schema.
func Open(ctx context.Context, dsn string) (*store.SQL, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres dsn: %w", err)
	}
	// pgx prepares and caches each statement text per connection (binary
	// parameters); batch inserts come in few lengths (mostly batchSize),
	// and this measured faster than unprepared text parameters.
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connecting to postgres: %w", err)
	}
	s, err := store.NewSQL(ctx, db, Dialect)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
