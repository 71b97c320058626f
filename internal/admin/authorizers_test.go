package admin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/gateway/authorizer"
)

// TestFlushAuthorizers: DELETE /api/apis/{apiId}/stages/{stage}/authorizers/cache
// answers 202 with no body and flushes that stage (through a real
// authorizer.Compiler), 404 for an API or stage not served (without
// flushing), 401 without the token, and 500 when the flush fails.
func TestFlushAuthorizers(t *testing.T) {
	gw, _ := newGateway(t)
	comp := &authorizer.Compiler{}
	t.Cleanup(comp.Close)
	var mu sync.Mutex
	var flushed []string
	fail := false
	flush := func(ctx context.Context, apiID, stage string) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("redis: connection refused")
		}
		flushed = append(flushed, apiID+"/"+stage)
		return comp.FlushStage(ctx, apiID, stage)
	}
	base := startAdmin(t, Options{Token: "s3cret", Gateway: gw, FlushAuthorizers: flush,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, c := range []struct {
		name, method, path, token string
		fail                      bool
		status                    int
		flushed                   []string
	}{
		{name: "flush dev", method: "DELETE", path: "/api/apis/adm1/stages/dev/authorizers/cache", token: "s3cret", status: 202, flushed: []string{"adm1/dev"}},
		{name: "without the token", method: "DELETE", path: "/api/apis/adm1/stages/dev/authorizers/cache", status: 401},
		{name: "wrong token", method: "DELETE", path: "/api/apis/adm1/stages/dev/authorizers/cache", token: "s3cre", status: 401},
		{name: "unknown stage", method: "DELETE", path: "/api/apis/adm1/stages/prod/authorizers/cache", token: "s3cret", status: 404},
		{name: "unknown api", method: "DELETE", path: "/api/apis/nope/stages/dev/authorizers/cache", token: "s3cret", status: 404},
		{name: "GET is not a route", method: "GET", path: "/api/apis/adm1/stages/dev/authorizers/cache", token: "s3cret", status: 404},
		{name: "flush fails", method: "DELETE", path: "/api/apis/adm1/stages/dev/authorizers/cache", token: "s3cret", fail: true, status: 500},
	} {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			flushed, fail = nil, c.fail
			mu.Unlock()
			status, body := do(t, c.method, base+c.path, c.token, "")
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if status == 202 && body != "" {
				t.Errorf("202 with a body: %q", body)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(c.flushed, flushed); diff != "" {
				t.Errorf("flushed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFlushAuthorizersOff: without the hook the route is not served.
func TestFlushAuthorizersOff(t *testing.T) {
	gw, _ := newGateway(t)
	base := startAdmin(t, Options{Gateway: gw})
	if status, body := do(t, "DELETE", base+"/api/apis/adm1/stages/dev/authorizers/cache", "", ""); status != 404 {
		t.Errorf("status %d, want 404: %s", status, body)
	}
}
