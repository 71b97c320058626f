package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/openapi"
)

func exportCmd() *cobra.Command {
	var format string
	var vars []string
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Print a definition in AWS's export form (as GetExport with extensions=apigateway): --format oas30 or swagger",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return export(cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], format, vars)
		},
	}
	cmd.Flags().StringVar(&format, "format", "oas30", "oas30 or swagger")
	cmd.Flags().StringArrayVar(&vars, "var", nil, "fill a ${name} placeholder: name=value (repeatable)")
	return cmd
}

func export(w, errw io.Writer, file, format string, varList []string) error {
	vars, err := parseKV(varList, "--var")
	if err != nil {
		return err
	}
	api, diags, err := openapi.ImportFile(file, openapi.Options{Vars: vars})
	for _, d := range diags {
		fmt.Fprintln(errw, d.String())
	}
	if err != nil {
		return err
	}
	if openapi.HasErrors(diags) {
		return &exitError{code: 1, err: fmt.Errorf("%s has errors; nothing exported", file)}
	}
	var out []byte
	switch format {
	case "oas30", "openapi", "oas3":
		out, err = openapi.ExportOAS30(api)
	case "swagger", "swagger2", "oas2":
		out, err = openapi.ExportSwagger2(api)
	default:
		return fmt.Errorf("--format %q: use oas30 or swagger", format)
	}
	if err != nil {
		return fmt.Errorf("exporting %s: %w", file, err)
	}
	_, err = w.Write(out)
	return err
}
