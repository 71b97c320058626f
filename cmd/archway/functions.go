package main

import (
	"fmt"
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
			fns = append(fns, lambda.Function{
				Name:                f.Name,
				Command:             f.Command,
				Dir:                 f.Dir,
				Env:                 f.Env,
				Timeout:             time.Duration(f.Timeout),
				MemoryMB:            f.Memory,
				ReservedConcurrency: f.ReservedConcurrency,
			})
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
