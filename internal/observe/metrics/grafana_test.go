package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/lambda"
)

// TestGrafanaDashboardUsesRegisteredNames reads deploy/grafana/archway.json
// and checks that every archway_* series a panel queries is one this
// package registers, and that every registered family is on the dashboard.
func TestGrafanaDashboardUsesRegisteredNames(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "deploy", "grafana", "archway.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Lambda: oneFunction{}})
	// Every family exists once it has a sample: give each one.
	m.Invoked("f", &lambda.Result{})
	m.Throttled("f")
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, f := range fams {
		registered[f.GetName()] = true
	}
	for _, name := range []string{"archway_count_total", "archway_4xx_error_total", "archway_5xx_error_total", "archway_latency_milliseconds",
		"archway_integration_latency_milliseconds", "archway_cache_hit_count_total", "archway_cache_miss_count_total", "archway_throttle_count_total"} {
		registered[name] = true // vectors without samples are not gathered
	}
	used := map[string]bool{}
	re := regexp.MustCompile(`archway_[a-z0-9_]+`)
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range re.FindAllString(tg.Expr, -1) {
				base := name
				for _, suf := range []string{"_bucket", "_count", "_sum"} {
					if b, ok := strings.CutSuffix(name, suf); ok && registered[b] {
						base = b
					}
				}
				if !registered[base] {
					t.Errorf("panel %q queries %s, which is not registered", p.Title, name)
				}
				used[base] = true
			}
		}
	}
	for name := range registered {
		if !used[name] {
			t.Errorf("%s is on no panel of the dashboard", name)
		}
	}
}

// oneFunction is a Lambda source with one idle function.
type oneFunction struct{}

func (oneFunction) Functions() []lambda.Function      { return []lambda.Function{{Name: "f"}} }
func (oneFunction) Stats(string) (lambda.Stats, bool) { return lambda.Stats{}, true }
