package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr(s string) *string { return &s }

func TestLoadValid(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "elsewhere", "abs.json")
	p := write(t, dir, FileName, `listen: 0.0.0.0:9090
debug: true
executionLog: /var/log/archway/exec.log
accessLog: stderr
apis:
  - id: petstore
    definition: api.yaml
    vars:
      backend: http://127.0.0.1:8081
      region: eu-west-1
    stages:
      - name: dev
        variables:
          origin: http://127.0.0.1:8081
        loggingLevel: INFO
        dataTraceEnabled: true
        accessLogFormat: json
        debug: true
      - name: prod
        accessLogFormat: ""
  - definition: defs/orders.json
  - id: abs
    definition: `+abs+`
`)
	got, err := Load(p)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		Listen:       "0.0.0.0:9090",
		Debug:        true,
		ExecutionLog: "/var/log/archway/exec.log",
		AccessLog:    "stderr",
		APIs: []API{
			{
				ID:         "petstore",
				Definition: filepath.Join(dir, "api.yaml"),
				Vars:       map[string]string{"backend": "http://127.0.0.1:8081", "region": "eu-west-1"},
				Stages: []Stage{
					{Name: "dev", Variables: map[string]string{"origin": "http://127.0.0.1:8081"}, LoggingLevel: "INFO", DataTraceEnabled: true, AccessLogFormat: ptr("json"), Debug: true},
					{Name: "prod", AccessLogFormat: ptr("")},
				},
			},
			{Definition: filepath.Join(dir, "defs", "orders.json")},
			{ID: "abs", Definition: abs},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestLoadDefaultsLeftEmpty(t *testing.T) {
	// Load does not fill defaults: the zero values tell the caller a field
	// was not set (a nil AccessLogFormat is "not set", unlike "").
	dir := t.TempDir()
	p := write(t, dir, FileName, "apis:\n  - definition: ./a.yaml\n    stages:\n      - name: dev\n")
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{APIs: []API{{Definition: filepath.Join(dir, "a.yaml"), Stages: []Stage{{Name: "dev"}}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadRelativePaths(t *testing.T) {
	tests := []struct {
		name, def, want string
	}{
		{"plain", "api.yaml", "api.yaml"},
		{"dot", "./api.yaml", "api.yaml"},
		{"subdir", "defs/v1/api.json", "defs/v1/api.json"},
		{"parent", "../shared/api.yaml", "../shared/api.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "conf")
			p := write(t, dir, FileName, "apis:\n  - definition: "+tc.def+"\n")
			got, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tc.want); got.APIs[0].Definition != want {
				t.Errorf("Definition = %q, want %q", got.APIs[0].Definition, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		// want are substrings of the error after the file path prefix.
		want []string
	}{
		{"unknown top-level key", "listen: :8080\nlistn: :9090\napis:\n  - definition: a.yaml\n",
			[]string{`:2:1: unknown field "listn"`}},
		{"unknown stage key", "apis:\n  - definition: a.yaml\n    stages:\n      - name: dev\n        logLevel: INFO\n",
			[]string{`:5:9: unknown field "logLevel"`}},
		{"unknown api key", "apis:\n  - definition: a.yaml\n    stage: dev\n",
			[]string{`:3:5: unknown field "stage"`}},
		{"wrong type", "debug: maybe\napis:\n  - definition: a.yaml\n",
			[]string{":1:8: cannot unmarshal string into Go struct field Config.Debug of type bool"}},
		{"missing definition", "apis:\n  - definition: a.yaml\n  - id: second\n",
			[]string{"apis[1]: definition is required; set it to the OpenAPI file to serve"}},
		{"missing stage name", "apis:\n  - definition: a.yaml\n    stages:\n      - name: dev\n      - loggingLevel: INFO\n",
			[]string{"apis[0].stages[1]: name is required"}},
		{"empty apis", "apis: []\n", []string{"apis is empty; list at least one definition to serve"}},
		{"no apis key", "listen: :8080\n", []string{"apis is empty; list at least one definition to serve"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), FileName, tc.content)
			c, err := Load(p)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, p+":") {
				t.Errorf("error %q does not start with the file path %q", msg, p)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoadExactMessages(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"missing definition", "apis:\n  - id: x\n", ": apis[0]: definition is required; set it to the OpenAPI file to serve"},
		{"missing stage name", "apis:\n  - definition: a.yaml\n    stages:\n      - debug: true\n", ": apis[0].stages[0]: name is required"},
		{"empty apis", "apis: []\n", ": apis is empty; list at least one definition to serve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), FileName, tc.content)
			_, err := Load(p)
			if err == nil || err.Error() != p+tc.want {
				t.Errorf("err = %v, want %q", err, p+tc.want)
			}
		})
	}
}

func TestLoadEmptyFile(t *testing.T) {
	p := write(t, t.TempDir(), FileName, "")
	_, err := Load(p)
	if want := p + ": apis is empty; list at least one definition to serve"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestLoadErrorPositionForm(t *testing.T) {
	p := write(t, t.TempDir(), FileName, "listn: x\napis:\n  - definition: a.yaml\n")
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+":1:1: ") {
		t.Errorf("err = %v, want it to start with %q", err, p+":1:1: ")
	}
}

func TestLoadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), "reading config: ") || !os.IsNotExist(errorsUnwrap(err)) {
		t.Errorf("err = %v, want a wrapped not-exist error", err)
	}
}

func errorsUnwrap(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
