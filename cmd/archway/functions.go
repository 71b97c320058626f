package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/lambda"
)

// functionsOf gathers the local Lambda functions of archway.yaml and of the
// --function NAME=COMMAND flags (the command split on spaces; a flag
// replaces a function of the same name).
func functionsOf(cfg *config.Config, flags []string) ([]lambda.Function, error) {
	var fns []lambda.Function
	index := map[string]int{}
	if cfg != nil {
		for _, f := range cfg.Functions {
			index[f.Name] = len(fns)
			fn := lambda.Function{
				Name:        f.Name,
				Command:     f.Command,
				Dir:         f.Dir,
				Env:         f.Env,
				Timeout:     time.Duration(f.Timeout),
				MemoryMB:    f.Memory,
				Permissions: permissionsOf(f.Permissions),
			}
			if f.ReservedConcurrency != nil {
				fn.ReservedConcurrency, fn.Reserved = *f.ReservedConcurrency, true
			}
			fns = append(fns, fn)
		}
	}
	for _, kv := range flags {
		name, cmd, ok := strings.Cut(kv, "=")
		args := strings.Fields(cmd)
		if !ok || name == "" || len(args) == 0 {
			return nil, fmt.Errorf("--function %q: write it as NAME=COMMAND, e.g. hello=./bin/hello", kv)
		}
		fn := lambda.Function{Name: name, Command: args, Timeout: config.DefaultFunctionTimeout, MemoryMB: config.DefaultFunctionMemory}
		if i, dup := index[name]; dup {
			fns[i] = fn
			continue
		}
		index[name] = len(fns)
		fns = append(fns, fn)
	}
	return fns, nil
}

// permissionsOf converts archway.yaml permissions to the Lambda service's.
func permissionsOf(ps []config.Permission) []lambda.Permission {
	if len(ps) == 0 {
		return nil
	}
	out := make([]lambda.Permission, len(ps))
	for i, p := range ps {
		out[i] = lambda.Permission{StatementID: p.StatementID, Principal: p.Principal, Action: p.Action, SourceARN: p.SourceARN, SourceAccount: p.SourceAccount}
	}
	return out
}

// startLambda starts the local Lambda service for fns, with the lambda:
// section of archway.yaml: strict permissions, a remote endpoint for the
// functions that are not local, and the Invoke API listener. The service
// exists even without functions, so that a reload can add some.
func startLambda(ctx context.Context, cfg *config.Config, fns []lambda.Function, logger *slog.Logger, obs lambda.Observer, stderr io.Writer) (*lambda.Service, error) {
	lcfg := lambda.Config{Logger: logger, Observer: obs}
	var lc config.Lambda
	if cfg != nil {
		lc = cfg.Lambda
	}
	lcfg.StrictPermissions = lc.StrictPermissions
	if lc.Endpoint != "" {
		remote, err := lambda.NewRemote(ctx, lambda.RemoteConfig{Endpoint: lc.Endpoint, Region: lc.Region})
		if err != nil {
			return nil, err
		}
		lcfg.Fallback = remote
		fmt.Fprintf(stderr, "archway: functions that are not local are invoked at %s\n", remote.Endpoint())
	}
	svc, err := lambda.New(lcfg, fns...)
	if err != nil {
		return nil, err
	}
	if lc.Listen != "" {
		url, err := svc.Start(lc.Listen)
		if err != nil {
			_ = svc.Close()
			return nil, err
		}
		fmt.Fprintf(stderr, "archway: Lambda Invoke API listening on %s\n", url)
	}
	return svc, nil
}

// reloadFunctions applies a reloaded archway.yaml to the running Lambda
// service: changed functions restart (drained first), removed ones stop,
// new ones start. The endpoint and listener are read at start-up only.
func reloadFunctions(svc *lambda.Service, cfg *config.Config, flags []string, logger *slog.Logger) {
	fns, err := functionsOf(cfg, flags)
	if err == nil {
		err = svc.Update(fns...)
	}
	if err != nil {
		logger.Error("reload: functions unchanged", "error", err.Error())
		return
	}
	if cfg != nil {
		svc.SetStrictPermissions(cfg.Lambda.StrictPermissions)
	}
}
