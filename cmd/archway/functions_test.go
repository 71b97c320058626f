package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/lambda"
)

func TestFunctionsOf(t *testing.T) {
	two, zero := 2, 0
	cfg := &config.Config{Functions: []config.Function{
		{Name: "hello", Command: []string{"./hello"}, Timeout: config.Duration(time.Second), Memory: 256, ReservedConcurrency: &two, Dir: "/d", Env: map[string]string{"A": "b"}},
		{Name: "crud", Command: []string{"./crud"}, Timeout: config.Duration(3 * time.Second), Memory: 128},
		{Name: "off", Command: []string{"./off"}, ReservedConcurrency: &zero},
	}}
	tests := []struct {
		name    string
		cfg     *config.Config
		flags   []string
		want    []lambda.Function
		wantErr string
	}{
		{name: "config only", cfg: cfg, want: []lambda.Function{
			{Name: "hello", Command: []string{"./hello"}, Timeout: time.Second, MemoryMB: 256, ReservedConcurrency: 2, Reserved: true, Dir: "/d", Env: map[string]string{"A": "b"}},
			{Name: "crud", Command: []string{"./crud"}, Timeout: 3 * time.Second, MemoryMB: 128},
			{Name: "off", Command: []string{"./off"}, Reserved: true},
		}},
		{name: "flags split on spaces", flags: []string{"hello=go run ./examples/functions/hello"}, want: []lambda.Function{
			{Name: "hello", Command: []string{"go", "run", "./examples/functions/hello"}, Timeout: 3 * time.Second, MemoryMB: 128},
		}},
		{name: "a flag replaces a configured function", cfg: cfg, flags: []string{"crud=./other"}, want: []lambda.Function{
			{Name: "hello", Command: []string{"./hello"}, Timeout: time.Second, MemoryMB: 256, ReservedConcurrency: 2, Reserved: true, Dir: "/d", Env: map[string]string{"A": "b"}},
			{Name: "crud", Command: []string{"./other"}, Timeout: 3 * time.Second, MemoryMB: 128},
			{Name: "off", Command: []string{"./off"}, Reserved: true},
		}},
		{name: "no command", flags: []string{"hello="}, wantErr: "write it as NAME=COMMAND"},
		{name: "no name", flags: []string{"=./x"}, wantErr: "write it as NAME=COMMAND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := functionsOf(tc.cfg, tc.flags)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermissionsOf(t *testing.T) {
	got := permissionsOf([]config.Permission{{StatementID: "a", Principal: "apigateway.amazonaws.com", Action: "lambda:InvokeFunction", SourceARN: "arn:x", SourceAccount: "1"}})
	want := []lambda.Permission{{StatementID: "a", Principal: "apigateway.amazonaws.com", Action: "lambda:InvokeFunction", SourceARN: "arn:x", SourceAccount: "1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if permissionsOf(nil) != nil {
		t.Error("no permissions must stay nil (no policy)")
	}
}

func TestStartLambda(t *testing.T) {
	var out strings.Builder
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := &config.Config{Lambda: config.Lambda{Listen: "127.0.0.1:0", StrictPermissions: true}}
	svc, err := startLambda(context.Background(), cfg, nil, logger, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	m := regexp.MustCompile(`Lambda Invoke API listening on (http://\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no listener line in %q", out.String())
	}
	// The Invoke API answers: an unknown function is AWS's 404.
	resp, err := http.Post(m[1]+"/2015-03-31/functions/nosuch/invocations", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-Errortype") != "ResourceNotFoundException" {
		t.Errorf("Invoke API answered %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}
	if _, err := startLambda(context.Background(), &config.Config{Lambda: config.Lambda{Endpoint: "ftp://nowhere"}}, nil, logger, nil, io.Discard); err == nil {
		t.Error("an ftp endpoint was accepted")
	}
}
