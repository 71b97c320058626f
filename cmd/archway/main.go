// Command archway runs AWS API Gateway definitions anywhere and explains
// every failure. Subcommands: serve, validate, export, conformance, causes.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "archway",
		Short:         "An API gateway that runs the AWS API Gateway model anywhere and explains every error",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), validateCmd(), exportCmd(), conformanceCmd(), causesCmd(), keysCmd(), usagePlansCmd())
	root.AddCommand(doctorCmd())
	root.AddCommand(invokeCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "archway:", err)
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}
