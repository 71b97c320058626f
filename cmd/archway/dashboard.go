package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/archway-gw/archway/internal/doctor"
	"github.com/archway-gw/archway/web"
)

// dashboard is the web dashboard serve mounts at / on the admin listener.
// Its doctor page runs the doctor's static checks (never the probes, which
// dial every backend) on the definitions as they are on disk now: what the
// gateway serves, or, after a broken edit, why the reload failed.
func dashboard(target string, f loadFlags, logger *slog.Logger) http.Handler {
	return web.Handler(web.Options{
		Logger: logger,
		Doctor: func(ctx context.Context) ([]doctor.Finding, error) {
			return staticFindings(target, f)
		},
	})
}
