package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/conformance"
)

func conformanceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "conformance DIR...",
		Short: "Run conformance vectors (../shared/conformance format) through the real engine",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, err := conformance.RunDirs(cmd.Context(), args, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if sum.Failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d vector(s) failed", sum.Failed)}
			}
			return nil
		},
	}
}
