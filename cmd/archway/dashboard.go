package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/archway-gw/archway/internal/doctor"
	"github.com/archway-gw/archway/internal/runtime"
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

// staticFindings loads target as serve does and returns the load's
// diagnostics, the compile problems and the doctor's static checks.
func staticFindings(target string, f loadFlags) ([]doctor.Finding, error) {
	l, lerr := load(target, f)
	if l == nil {
		return nil, lerr
	}
	base := doctor.FromDiagnostics(l.diags)
	in := doctor.Input{}
	if lerr != nil {
		if len(l.diags) == 0 {
			return nil, lerr
		}
		for _, file := range l.files {
			in.Definitions = append(in.Definitions, doctor.Definition{File: file})
		}
	} else {
		for _, i := range l.inputs {
			in.Definitions = append(in.Definitions, doctor.Definition{File: i.API.Source.File, API: i.API, Stages: i.Stages})
		}
		_, warns, cerr := runtime.Compile(l.inputs, newBackend())
		base = append(base, doctor.FromProblems(warns)...)
		var ce *runtime.CompileError
		switch {
		case errors.As(cerr, &ce):
			base = append(base, doctor.FromProblems(ce.Problems)...)
		case cerr != nil:
			return nil, cerr
		}
	}
	fns, err := functionsOf(l.cfg, f.functions)
	if err != nil {
		return nil, err
	}
	in.Functions = fns
	if l.cfg != nil {
		in.StrictPermissions = l.cfg.Lambda.StrictPermissions
		in.RemoteLambda = l.cfg.Lambda.Endpoint
	}
	return doctor.Merge(base, doctor.Check(in)), nil
}
