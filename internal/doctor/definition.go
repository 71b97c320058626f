package doctor

import (
	"strings"

	"github.com/archway-gw/archway/internal/openapi"
	"github.com/archway-gw/archway/internal/runtime"
)

// FromDiagnostics turns the import's diagnostics (what `archway validate`
// prints) into findings of check "definition": an Error is a definition
// AWS refuses to import, a Warning one it imports with a warning.
func FromDiagnostics(diags []openapi.Diagnostic) []Finding {
	out := make([]Finding, 0, len(diags))
	for _, d := range diags {
		f := Finding{Check: "definition", Severity: Warning, Pos: d.Pos, What: d.Message, Fix: d.Fix,
			AWS: Answer{Note: "imports it with a warning (or ignores it)"}}
		if d.Severity == openapi.Error {
			f.Severity = Error
			f.AWS = Answer{Note: "refuses to import the definition; Archway does not serve it"}
		}
		out = append(out, f)
	}
	return out
}

// FromProblems turns the compiler's problems (what `archway validate`
// prints after the import) into findings of check "compile". Template
// parse errors are left out: the template-parse check reports them at the
// template's own line, with what AWS answers.
func FromProblems(probs []runtime.Problem) []Finding {
	out := make([]Finding, 0, len(probs))
	for _, p := range probs {
		if containsTemplateError(p.Message) {
			continue
		}
		f := Finding{Check: "compile", Severity: Warning, Pos: p.Pos, What: p.Message, Fix: p.Fix}
		if p.Err {
			f.Severity = Error
			f.AWS = Answer{Note: "Archway does not serve the definition"}
		}
		out = append(out, f)
	}
	return out
}

func containsTemplateError(msg string) bool { return strings.Contains(msg, "(TEMPLATE_ERROR)") }

// Merge combines the definition and compile findings with the checks'
// findings. A definition or compile finding at the same place as a check's
// finding is dropped: the check says the same with what AWS answers.
func Merge(base, checks []Finding) []Finding {
	taken := map[string]bool{}
	for _, f := range checks {
		taken[f.Pos.String()] = true
	}
	out := append([]Finding(nil), checks...)
	for _, f := range base {
		if !taken[f.Pos.String()] {
			out = append(out, f)
		}
	}
	Sort(out)
	return out
}
