package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/admin"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/runtime"
)

// invokeFlags are `archway invoke`'s own flags.
type invokeFlags struct {
	method   string
	path     string
	resource string
	api      string
	headers  []string
	query    []string
	body     string
	json     bool
}

func invokeCmd() *cobra.Command {
	var f loadFlags
	var in invokeFlags
	cmd := &cobra.Command{
		Use:   "invoke FILE_OR_DIR",
		Short: "Run one request through a method offline, like the console's Test button, and print the response and the execution log",
		Long: `invoke loads FILE_OR_DIR as serve does, runs one request through the named
method of a stage without opening a listener, and prints the status, headers,
body, latency and the full AWS-format execution log. Local Lambda functions
(--function or archway.yaml) are started for the call and stopped after.
It exits 0 whenever a response was produced, whatever its status.`,
		Example: `  archway invoke petstore.yaml --path /pets/1
  archway invoke ./api --method POST --path /pets --header Content-Type:application/json --body @pet.json
  archway invoke petstore.yaml --path /pets --query limit=2 --stage-variable origin=http://127.0.0.1:9000 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return invoke(cmd.Context(), args[0], f, in, cmd.Flags().Changed("stage"), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addDefinitionFlags(cmd, &f)
	addFunctionFlag(cmd, &f)
	fl := cmd.Flags()
	fl.StringVarP(&in.method, "method", "X", "GET", "HTTP method")
	fl.StringVar(&in.path, "path", "", "request path after the stage, e.g. /pets/1 (the method is found by routing it)")
	fl.StringVar(&in.resource, "resource", "", "resource path, e.g. /pets/{petId}, instead of routing --path")
	fl.StringVar(&in.api, "api", "", "API id, when several APIs are served")
	fl.StringArrayVarP(&in.headers, "header", "H", nil, "request header NAME:VALUE (repeatable)")
	fl.StringArrayVar(&in.query, "query", nil, "query-string parameter NAME=VALUE (repeatable, in order)")
	fl.StringVarP(&in.body, "body", "d", "", "request body: a literal, @FILE, or @- for standard input")
	fl.BoolVar(&in.json, "json", false, "print the result as JSON (the admin API's test-invoke response)")
	return cmd
}

func invoke(ctx context.Context, target string, f loadFlags, in invokeFlags, stageSet bool, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := in.request()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	backend := newBackend()
	l, snap, err := compileTarget(target, f, backend, logger)
	if err != nil {
		return err
	}
	fns, err := functionsOf(l.cfg, f.functions)
	if err != nil {
		return err
	}
	if len(fns) > 0 || (l.cfg != nil && l.cfg.Lambda.Endpoint != "") {
		// As serve, but without the Invoke API listener: nothing outlives the call.
		lcfg := lambda.Config{Logger: logger}
		if l.cfg != nil {
			lcfg.StrictPermissions = l.cfg.Lambda.StrictPermissions
			if ep := l.cfg.Lambda.Endpoint; ep != "" {
				remote, err := lambda.NewRemote(ctx, lambda.RemoteConfig{Endpoint: ep, Region: l.cfg.Lambda.Region})
				if err != nil {
					return err
				}
				lcfg.Fallback = remote
			}
		}
		svc, err := lambda.New(lcfg, fns...)
		if err != nil {
			return err
		}
		defer svc.Close()
		backend.Lambda = svc
	}
	gw := &gateway.Server{Logger: logger}
	gw.Swap(snap)
	api, err := pickInvokeAPI(snap, in.api)
	if err != nil {
		return err
	}
	req.APIID = api.ID
	req.Stage = f.stage
	if _, ok := api.Stages[req.Stage]; !ok && !stageSet {
		req.Stage = firstStage(api)
	}
	if len(f.stageVars) > 0 {
		vars, err := parseKV(f.stageVars, "--stage-variable")
		if err != nil {
			return err
		}
		merged := map[string]string{}
		if st := api.Stages[req.Stage]; st != nil {
			for k, v := range st.Variables {
				merged[k] = v
			}
		}
		for k, v := range vars {
			merged[k] = v
		}
		req.StageVariables = merged
	}
	out, _, err := admin.TestInvoke(ctx, gw, req)
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	if in.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printInvoke(stdout, out)
	return nil
}

// request builds the test-invoke request from the flags.
func (in invokeFlags) request() (admin.TestInvokeRequest, error) {
	req := admin.TestInvokeRequest{Method: strings.ToUpper(in.method), Path: in.path, ResourcePath: in.resource, Headers: map[string]string{}}
	if in.path == "" && in.resource == "" {
		return req, errors.New("give --path (a request path after the stage, e.g. /pets/1) or --resource")
	}
	for _, h := range in.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return req, fmt.Errorf("--header %q: write it as NAME:VALUE", h)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if prev, dup := req.Headers[k]; dup {
			v = prev + "," + v
		}
		req.Headers[k] = v
	}
	var q []string
	for _, kv := range in.query {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return req, fmt.Errorf("--query %q: write it as NAME=VALUE", kv)
		}
		q = append(q, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	req.QueryString = strings.Join(q, "&")
	body, err := readBody(in.body)
	if err != nil {
		return req, err
	}
	req.Body = body
	return req, nil
}

// readBody reads --body: a literal, @FILE or @- (standard input).
func readBody(v string) (string, error) {
	if !strings.HasPrefix(v, "@") {
		return v, nil
	}
	var b []byte
	var err error
	if v == "@-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(v[1:])
	}
	if err != nil {
		return "", fmt.Errorf("--body %s: %w", v, err)
	}
	return string(b), nil
}

func pickInvokeAPI(snap *runtime.Snapshot, id string) (*runtime.API, error) {
	if id != "" {
		if a, ok := snap.ByID(id); ok {
			return a, nil
		}
		return nil, fmt.Errorf("--api %s: no such API; served: %s", id, apiIDs(snap))
	}
	if a := snap.Single(); a != nil {
		return a, nil
	}
	return nil, fmt.Errorf("several APIs are served; choose one with --api (%s)", apiIDs(snap))
}

func apiIDs(snap *runtime.Snapshot) string {
	var ids []string
	for _, a := range snap.APIs {
		ids = append(ids, a.ID+" ("+a.Name+")")
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}

func firstStage(api *runtime.API) string {
	var names []string
	for n := range api.Stages {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "dev"
	}
	return names[0]
}

// printInvoke prints a result for people: status line, headers, body, the
// cause and fix of a failure, then the execution log.
func printInvoke(w io.Writer, out *admin.TestInvokeResponse) {
	fmt.Fprintf(w, "Status: %d\nLatency: %d ms\n", out.Status, out.Latency)
	if out.Cause != "" {
		fmt.Fprintf(w, "Cause: %s\nFix: %s\n", out.Cause, out.Fix)
	}
	fmt.Fprintln(w, "\nResponse headers:")
	var keys []string
	for k := range out.MultiValueHeaders {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range out.MultiValueHeaders[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(w, "\nResponse body:")
	if out.IsBase64Encoded {
		fmt.Fprintln(w, "(base64) "+out.Body)
	} else {
		fmt.Fprintln(w, out.Body)
	}
	fmt.Fprintln(w, "\nLogs:")
	fmt.Fprint(w, out.Log)
}
