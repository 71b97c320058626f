package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadFunctions(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, FileName, `apis:
  - definition: api.yaml
functions:
  - name: hello
    command: [./bin/hello]
  - name: slow
    command: [go, run, ./fn]
    env: {SLOW_MS: "200"}
    timeout: 500ms
    memory: 512
    reservedConcurrency: 5
    dir: fns
  - name: secs
    command: [/bin/fn]
    timeout: 7
    dir: /abs
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Function{
		{Name: "hello", Command: []string{"./bin/hello"}, Timeout: Duration(3 * time.Second), Memory: 128, Dir: dir},
		{Name: "slow", Command: []string{"go", "run", "./fn"}, Env: map[string]string{"SLOW_MS": "200"}, Timeout: Duration(500 * time.Millisecond), Memory: 512, ReservedConcurrency: intPtr(5), Dir: dir + "/fns"},
		{Name: "secs", Command: []string{"/bin/fn"}, Timeout: Duration(7 * time.Second), Memory: 128, Dir: "/abs"},
	}
	if diff := cmp.Diff(want, c.Functions); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
}

func TestLoadFunctionErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no name", "functions:\n  - command: [x]\n", "functions[0]: name is required"},
		{"no command", "functions:\n  - name: f\n", "functions[0] (f): command is required"},
		{"bad timeout", "functions:\n  - name: f\n    command: [x]\n    timeout: soon\n", "timeout \"soon\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), FileName, "apis:\n  - definition: api.yaml\n"+tc.yaml)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadPermissionsAndLambda(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, FileName, `apis:
  - definition: api.yaml
lambda:
  strictPermissions: true
  endpoint: http://127.0.0.1:9001
  region: eu-west-1
  listen: 127.0.0.1:9002
functions:
  - name: hello
    command: [./bin/hello]
    permissions:
      - statementId: apigw-1
        sourceArn: "arn:aws:execute-api:us-east-1:000000000000:abc123/*/GET/hello"
      - statementId: apigw-2
        principal: "*"
        action: "lambda:*"
        sourceAccount: "000000000000"
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	wantL := Lambda{StrictPermissions: true, Endpoint: "http://127.0.0.1:9001", Region: "eu-west-1", Listen: "127.0.0.1:9002"}
	if diff := cmp.Diff(wantL, c.Lambda); diff != "" {
		t.Errorf("lambda (-want +got):\n%s", diff)
	}
	wantP := []Permission{
		{StatementID: "apigw-1", Principal: "apigateway.amazonaws.com", Action: "lambda:InvokeFunction", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:abc123/*/GET/hello"},
		{StatementID: "apigw-2", Principal: "*", Action: "lambda:*", SourceAccount: "000000000000"},
	}
	if diff := cmp.Diff(wantP, c.Functions[0].Permissions); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
}

func TestLoadPermissionErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no statement id", "functions:\n  - name: f\n    command: [x]\n    permissions:\n      - sourceArn: x\n", "permissions[0]: statementId is required"},
		{"unknown key", "functions:\n  - name: f\n    command: [x]\n    permissions:\n      - statementId: a\n        sourceARN: x\n", "sourceARN"},
		{"unknown lambda key", "lambda:\n  strict: true\n", "strict"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), FileName, "apis:\n  - definition: api.yaml\n"+tc.yaml)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func intPtr(n int) *int { return &n }
