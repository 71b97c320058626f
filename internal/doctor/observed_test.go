package doctor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	adminapi "github.com/archway-gw/archway/internal/admin"
	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/store"
	"github.com/archway-gw/archway/internal/store/sqlite"
)

// TestFetchObserved reads the peak rate from a real admin API: the admin
// listener's handler (with a token) and the store's explorer API over a
// SQLite store holding 150 requests of stage prod
// in one minute (2.5/s) and 30 of stage dev (0.5/s).
func TestFetchObserved(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "requests.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := store.New(db, "sqlite", store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { svc.Close(context.Background()) })
	at := time.Now().Add(-10 * time.Minute).Truncate(time.Minute).Add(10 * time.Second)
	for i := range 180 {
		stage := "prod"
		if i >= 150 {
			stage = "dev"
		}
		rec := &exec.Record{RequestID: fmt.Sprintf("r%d", i), APIID: "limited", Stage: stage, Start: at, HTTPMethod: "GET", ResourcePath: "/pets", Status: 200}
		if !svc.Recorder.Enqueue(store.Entry{Rec: rec, APIID: "limited", APIName: "Limited"}) {
			t.Fatal("enqueue refused")
		}
	}
	if err := svc.Recorder.Close(ctx); err != nil { // drains the queue into SQLite
		t.Fatal(err)
	}
	const token = "doctor-test-token"
	admin := httptest.NewServer(adminapi.Handler(adminapi.Options{Token: token, Requests: svc.Handler(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(admin.Close)

	in := loadCase(t, "throttle")
	if _, err := FetchObserved(ctx, admin.URL, "wrong", in, time.Hour); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrong token: %v, want the admin's 401", err)
	}
	obs, err := FetchObserved(ctx, admin.URL, token, in, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, o := range obs {
		got[o.Stage] = o.RPS
		if !strings.Contains(o.Source, admin.URL) {
			t.Errorf("source %q does not name the admin", o.Source)
		}
	}
	if got["prod"] != 2.5 || got["dev"] != 0.5 {
		t.Fatalf("observed %v, want prod 2.5 and dev 0.5", got)
	}
	limits := map[string]map[string]StageLimits{"limited": {
		"prod": {Throttle: &config.Throttle{RateLimit: 2, BurstLimit: 4}},
		"dev":  {Throttle: &config.Throttle{RateLimit: 1, BurstLimit: 2}},
	}}
	fs := CheckThrottles(in, limits, obs)
	if len(fs) != 1 || fs[0].Object != "stage prod" || !strings.Contains(fs[0].What, "2.5 requests/s") {
		t.Fatalf("findings: %v", fs)
	}
}
