package doctor

import (
	"fmt"

	"github.com/archway-gw/archway/internal/diag"
)

// checkMethodResponses finds integration responses whose statusCode the
// method does not declare: a backend response they select fails with 500
// "Output mapping refers to an invalid method response".
func (mc *methodCheck) checkMethodResponses() {
	in := mc.m.Integration
	if !usesTemplates(in.Type) {
		return // proxy integrations have no integration responses
	}
	for _, ir := range in.IntegrationResponses {
		if _, ok := mc.m.MethodResponses[ir.StatusCode]; ok {
			continue
		}
		which := fmt.Sprintf("a backend response matching selection pattern %q", ir.SelectionPattern)
		if ir.IsDefault() {
			which = "every backend response that no other integration response selects"
		}
		mc.add(Finding{Check: "method-response", Severity: Error, Pos: mc.pos([]string{integ, "responses", ir.Key}, []string{integ, "responses", ir.Key, "statusCode"}),
			Object: fmt.Sprintf("%s, integration response %q", mc.object(), ir.Key),
			What:   fmt.Sprintf("the integration response maps to status %s, which the method does not declare among its responses: %s fails", ir.StatusCode, which),
			AWS:    mc.answer(diag.NoMatchingMethodResponse, mc.stages[0].Name),
			Cause:  diag.NoMatchingMethodResponse,
			Fix:    fmt.Sprintf("declare response %s under the method's responses, or map the integration response to a declared status", ir.StatusCode)})
	}
}
