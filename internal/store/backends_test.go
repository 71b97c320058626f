package store_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/openapi"
	rt "github.com/archway-gw/archway/internal/runtime"
	"github.com/archway-gw/archway/internal/store"
	"github.com/archway-gw/archway/internal/store/postgres"
	"github.com/archway-gw/archway/internal/store/sqlite"
	"github.com/archway-gw/archway/internal/testpg"
)

// backend is one backend under test.
type backend struct {
	name string
	sql  *store.SQL
	// down makes the backend unavailable: the PostgreSQL server stops, the
	// SQLite database is closed.
	down func(t *testing.T)
	// lock holds the table's write lock from another connection until the
	// returned function is called: writes wait (real contention).
	lock func(t *testing.T) (release func())
}

// forEachBackend runs fn against SQLite and against a real PostgreSQL
// server started for the test (or the one ARCHWAY_TEST_POSTGRES names).
func forEachBackend(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *backend)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(t *testing.T) *backend {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "requests.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return &backend{
				name: "sqlite", sql: s,
				down: func(t *testing.T) { s.DB().Close() },
				lock: func(t *testing.T) func() {
					return holdLock(t, s.DB(), "BEGIN IMMEDIATE")
				},
			}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		srv := testpg.Start(t)
		fn(t, func(t *testing.T) *backend {
			s, err := postgres.Open(context.Background(), srv.NewDB(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return &backend{
				name: "postgres", sql: s,
				down: func(t *testing.T) {
					if !srv.Own {
						t.Skip("cannot stop the server ARCHWAY_TEST_POSTGRES names")
					}
					srv.Stop()
				},
				lock: func(t *testing.T) func() {
					return holdLock(t, s.DB(), "BEGIN", "LOCK TABLE requests IN ACCESS EXCLUSIVE MODE")
				},
			}
		})
	})
}

// holdLock runs stmts on a dedicated connection and rolls back on release.
func holdLock(t testing.TB, db *sql.DB, stmts ...string) func() {
	t.Helper()
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := c.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return func() {
		if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Errorf("rollback: %v", err)
		}
		c.Close()
	}
}

func count(t *testing.T, s *store.SQL) int64 {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func rate(f float64) *float64 { return &f }

// gatewayUnderTest is a real gateway serving testdata/api.yaml over real
// sockets, proxying to a real origin (200 on /ok, 502 on /boom) and to a
// closed port (/refused).
type gatewayUnderTest struct {
	URL string
	srv *gateway.Server
	hs  *http.Server
}

func startGateway(t *testing.T, svc *store.Service, stage apigw.Stage) *gatewayUnderTest {
	t.Helper()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, `{"error":"boom"}`)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(origin.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String()
	closed.Close()
	api, diags, err := openapi.ImportFile("testdata/api.yaml", openapi.Options{Vars: map[string]string{"origin": origin.URL, "refused": refused}})
	if err != nil || openapi.HasErrors(diags) {
		t.Fatalf("import: %v %v", err, diags)
	}
	api.ID = "loadapi"
	tr := httpx.NewTransport(httpx.TransportOptions{})
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{stage}}}, &pipeline.Backend{Transport: tr, Classify: httpx.Classify})
	if err != nil {
		t.Fatal(err)
	}
	g := &gatewayUnderTest{srv: &gateway.Server{Logger: quietLogger()}}
	g.srv.Swap(snap)
	g.srv.OnRecord = svc.OnRecord(g.srv.Snapshot)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.hs = &http.Server{Handler: g.srv}
	go g.hs.Serve(ln)
	g.URL = "http://" + ln.Addr().String()
	t.Cleanup(func() { g.hs.Close() })
	return g
}

// stop drains in-flight requests and flushes every record to OnRecord, as
// serve does on SIGTERM.
func (g *gatewayUnderTest) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.hs.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	g.srv.Close()
}

func stageDev() apigw.Stage { return apigw.Stage{Name: "dev", LoggingLevel: "ERROR"} }
