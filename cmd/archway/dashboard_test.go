package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashboardDoctor checks that the dashboard's /api/doctor runs the
// doctor's static checks on the definition as it is on disk at each call.
func TestDashboardDoctor(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "api.yaml")
	write := func(uri string) {
		t.Helper()
		src := `openapi: 3.0.1
info: {title: doc, version: "1"}
paths:
  /x:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: ` + uri + "\n"
		if err := os.WriteFile(def, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var f loadFlags
	f.stage = "dev"
	srv := httptest.NewServer(dashboard(def, f, nil))
	defer srv.Close()
	type finding struct {
		Check, Severity, Cause, Position string
	}
	get := func() []finding {
		t.Helper()
		resp, err := http.Get(srv.URL + "/api/doctor")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d struct{ Findings []finding }
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d: %v", resp.StatusCode, err)
		}
		return d.Findings
	}
	for _, tc := range []struct {
		name, uri string
		want      string // check id, or "" for no finding
	}{
		{"unresolved stage variable", "http://${stageVariables.nowhere}/x", "stage-variable"},
		{"fixed on disk", "http://127.0.0.1:9/x", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(tc.uri)
			var got []string
			for _, fd := range get() {
				if fd.Severity == "error" {
					got = append(got, fd.Check+" "+fd.Cause+" "+fd.Position)
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("errors after the fix: %v", got)
			case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tc.want+" INVALID_ENDPOINT "+def+":")):
				t.Errorf("errors %v, want one %s finding at %s", got, tc.want, def)
			}
		})
	}
}
