package pipeline

import (
	"strings"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/gatewayresponse"
)

// Template is a compiled mapping template.
type Template interface {
	// Render evaluates the template for the exchange over body (the request
	// body for request templates, the endpoint response body for response ones).
	Render(x *Exchange, body []byte) (string, error)
}

// CompileTemplate compiles a mapping template. Until the VTL engine is wired
// in, templates that only reference $context.* and $stageVariables.* are
// served by substitution (which is what VTL yields for them); any other
// template loads, is reported by NeedsVTL, and fails at run time with
// TEMPLATE_NOT_SERVED.
func CompileTemplate(src string) Template {
	if NeedsVTL(src) {
		return notServed{}
	}
	return substTemplate{gatewayresponse.CompileTemplate(src)}
}

type substTemplate struct{ t *gatewayresponse.Template }

func (s substTemplate) Render(x *Exchange, _ []byte) (string, error) {
	var b strings.Builder
	s.t.Render(&b, x)
	return b.String(), nil
}

type notServed struct{}

func (notServed) Render(*Exchange, []byte) (string, error) {
	return "", diag.New(diag.PhaseIntegrationRequest, diag.TemplateNotServed, "the template uses VTL beyond $context/$stageVariables substitution")
}

// NeedsVTL reports whether a template uses anything beyond $context.* and
// $stageVariables.* references: directives, $input, $util or variables.
func NeedsVTL(src string) bool {
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '#':
			if i+1 < len(src) && (isLetter(src[i+1]) || src[i+1] == '{' || src[i+1] == '#' || src[i+1] == '*') {
				return true
			}
		case '$':
			rest := src[i+1:]
			rest = strings.TrimPrefix(rest, "!")
			rest = strings.TrimPrefix(rest, "{")
			if rest != "" && isLetter(rest[0]) && !strings.HasPrefix(rest, "context.") && !strings.HasPrefix(rest, "stageVariables") {
				return true
			}
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
