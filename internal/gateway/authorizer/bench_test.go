package authorizer_test

import (
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	execlog "github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/openapi"
)

// BenchmarkCachedAuthorizer measures the authorizer step of a request
// whose result is cached: identity read, cache hit, policy evaluation.
func BenchmarkCachedAuthorizer(b *testing.B) {
	svc, err := lambda.New(lambda.Config{Logger: slog.New(slog.DiscardHandler)},
		lambda.Function{Name: "authorizer", Command: []string{filepath.Join(fnDir, "authorizer")}, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	api, _, err := openapi.Import("authz.yaml", []byte(apiYAML), openapi.Options{})
	if err != nil {
		b.Fatal(err)
	}
	api.ID = "authzapi"
	comp := &authorizer.Compiler{Backend: &pipeline.Backend{Lambda: svc}}
	defer comp.Close()
	var m = api.Resources[0].Methods["GET"]
	for _, r := range api.Resources {
		if r.Path == "/cached" {
			m = r.Methods["GET"]
		}
	}
	g, _ := comp.Guard(api, "/cached", m)
	req := httptest.NewRequest("GET", "/dev/cached", nil)
	req.Header.Set("Authorization", "allow-all")
	stage := &pipeline.Stage{Name: "dev"}
	check := func() error {
		x := &pipeline.Exchange{Req: req, Rec: &execlog.Record{Path: "/cached"}, Stage: stage}
		return g.Check(b.Context(), x)
	}
	if err := check(); err != nil { // fills the cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := check(); err != nil {
			b.Fatal(err)
		}
	}
}
