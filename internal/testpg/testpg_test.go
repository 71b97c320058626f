package testpg

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

func TestStartNewDBStop(t *testing.T) {
	s := Start(t)
	u := s.NewDB(t)
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name == "postgres" || name == "" {
		t.Errorf("NewDB connected to %q, want a fresh database", name)
	}
	if u2 := s.NewDB(t); u2 == u {
		t.Errorf("two NewDB calls gave the same database %s", u)
	}
	if !s.Own {
		return
	}
	s.Stop()
	db.SetMaxIdleConns(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err == nil {
		t.Error("ping succeeded after Stop")
	}
	s.Stop() // idempotent
}
