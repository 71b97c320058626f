package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/keys"
)

// storeFlags locate the embedded store.
type storeFlags struct {
	dataDir string
	config  string
}

func addStoreFlags(cmd *cobra.Command, sf *storeFlags) {
	cmd.PersistentFlags().StringVar(&sf.dataDir, "data-dir", "", "directory of the embedded store archway.db (default: $ARCHWAY_DATA_DIR, else dataDir of --config, else .archway beside ./archway.yaml or in the working directory)")
	cmd.PersistentFlags().StringVar(&sf.config, "config", "", "archway.yaml whose dataDir to use (default ./archway.yaml when present)")
}

// dir resolves the data directory as serve does for the same archway.yaml.
func (sf *storeFlags) dir() (string, error) {
	if sf.dataDir != "" {
		return sf.dataDir, nil
	}
	if d := os.Getenv("ARCHWAY_DATA_DIR"); d != "" {
		return d, nil
	}
	path := sf.config
	if path == "" {
		if _, err := os.Stat(config.FileName); err != nil {
			return config.DefaultDataDir, nil
		}
		path = config.FileName
	}
	cfg, err := config.Load(path)
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(path)
	return dataDirOf(cfg, abs), nil
}

func (sf *storeFlags) open(ctx context.Context) (*keys.Store, error) {
	d, err := sf.dir()
	if err != nil {
		return nil, err
	}
	return keys.Open(ctx, d)
}

// withStore runs f with the open store and prints what it returns as JSON.
func withStore(sf *storeFlags, f func(ctx context.Context, s *keys.Store, args []string) (any, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		s, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		v, err := f(ctx, s, args)
		if err != nil {
			return err
		}
		if v == nil {
			return nil
		}
		return printJSON(cmd.OutOrStdout(), v)
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func keysCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage API keys in the embedded store (values are stored as SHA-256 digests)",
	}
	addStoreFlags(cmd, &sf)

	var in keys.NewKey
	var disabled bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key; its value is printed once and never again",
		Args:  cobra.NoArgs,
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, _ []string) (any, error) {
			in.Enabled = !disabled
			return s.CreateKey(ctx, in)
		}),
	}
	create.Flags().StringVar(&in.Name, "name", "", "key name (default: its id)")
	create.Flags().StringVar(&in.Description, "description", "", "description")
	create.Flags().StringVar(&in.CustomerID, "customer-id", "", "AWS Marketplace customer id")
	create.Flags().StringVar(&in.Value, "value", "", "the key's value, 20 to 128 characters (default: 40 random characters)")
	create.Flags().BoolVar(&disabled, "disabled", false, "create the key disabled")

	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (values masked)",
		Args:  cobra.NoArgs,
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, _ []string) (any, error) {
			ks, err := s.ListKeys(ctx)
			if ks == nil {
				ks = []keys.APIKey{}
			}
			return map[string]any{"items": ks}, err
		}),
	}
	get := &cobra.Command{
		Use:   "get ID_OR_NAME",
		Short: "Show one API key (value masked)",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			return s.GetKey(ctx, args[0])
		}),
	}
	enable := &cobra.Command{
		Use:   "enable ID_OR_NAME",
		Short: "Enable an API key",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			return s.SetKeyEnabled(ctx, args[0], true)
		}),
	}
	disable := &cobra.Command{
		Use:   "disable ID_OR_NAME",
		Short: "Disable an API key: requests with it get 403 Forbidden",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			return s.SetKeyEnabled(ctx, args[0], false)
		}),
	}
	del := &cobra.Command{
		Use:   "delete ID_OR_NAME",
		Short: "Delete an API key and its usage-plan links",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			if err := s.DeleteKey(ctx, args[0]); err != nil {
				return nil, err
			}
			return map[string]string{"deleted": args[0]}, nil
		}),
	}
	cmd.AddCommand(create, list, get, enable, disable, del)
	return cmd
}

// errorf is fmt.Errorf, kept for the subcommands' argument errors.
var errorf = fmt.Errorf
