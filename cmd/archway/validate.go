package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/openapi"
	"github.com/archway-gw/archway/internal/runtime"
)

func validateCmd() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "validate FILE_OR_DIR",
		Short: "Check a definition without serving it; exits non-zero on any error",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return validate(cmd.OutOrStdout(), args[0], f)
		},
	}
	addDefinitionFlags(cmd, &f)
	return cmd
}

// validate loads and compiles the target the way serve does, and prints
// every finding as file:line:col: severity: message; fix: ...
func validate(w io.Writer, target string, f loadFlags) error {
	l, err := load(target, f)
	errorsFound := 0
	if l != nil {
		for _, d := range l.diags {
			fmt.Fprintln(w, d.String())
			if d.Severity == openapi.Error {
				errorsFound++
			}
		}
	}
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if errorsFound > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s: %d error(s)", target, errorsFound)}
	}
	_, warns, cerr := runtime.Compile(l.inputs, newBackend())
	for _, p := range warns {
		fmt.Fprintf(w, "%s: warning: %s; fix: %s\n", p.Pos, p.Message, p.Fix)
	}
	if cerr != nil {
		fmt.Fprintln(w, cerr.Error())
		return &exitError{code: 1, err: fmt.Errorf("%s is not valid", target)}
	}
	if errorsFound > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s: %d error(s)", target, errorsFound)}
	}
	fmt.Fprintf(w, "%s: ok (%d API(s))\n", target, len(l.inputs))
	return nil
}
