package doctor

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/lambda"
)

// expandStageVars replaces every ${stageVariables.NAME} in s with the
// stage's value ("" when undefined, as the gateway does) and lists the
// undefined names.
func expandStageVars(s string, vars map[string]string) (string, []string) {
	var missing []string
	var b strings.Builder
	for {
		i := strings.Index(s, "${stageVariables.")
		if i < 0 {
			b.WriteString(s)
			break
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			b.WriteString(s)
			break
		}
		name := s[i+len("${stageVariables.") : i+end]
		b.WriteString(s[:i])
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
	return b.String(), missing
}

// templateStageVar matches the stage variables a template reads:
// $stageVariables.x, ${stageVariables.x}, $!stageVariables.x and
// $stageVariables.get('x').
var templateStageVar = regexp.MustCompile(`\$!?\{?stageVariables(?:\.([A-Za-z0-9_]+)|\.get\(\s*['"]([A-Za-z0-9_]+)['"]\s*\))`)

// templateStageVars lists the stage variables src reads, in order, once each.
func templateStageVars(src string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range templateStageVar.FindAllStringSubmatch(src, -1) {
		name := m[1] + m[2]
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// stagesWithout lists the stages that do not define name.
func (c *apiCheck) stagesWithout(name string) []string {
	var out []string
	for _, st := range c.stages {
		if _, ok := st.Variables[name]; !ok {
			out = append(out, st.Name)
		}
	}
	return out
}

// validEndpoint reports whether an expanded HTTP integration URI is what
// the gateway can call: an absolute http or https URL with a host.
func validEndpoint(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && p.Hostname() != ""
}

const stageVarFix = "define stage variable %s on %s (stages: in archway.yaml, or --stage-variable %s=VALUE)"

// checkStageVariables finds ${stageVariables.x} references that a stage
// leaves undefined: in the integration URI, the integration request
// parameters and the mapping templates.
func (mc *methodCheck) checkStageVariables() {
	in := mc.m.Integration
	mc.checkURIStageVars()
	for _, key := range sortedKeys(in.RequestParameters) {
		src := in.RequestParameters[key]
		name, ok := strings.CutPrefix(src, "stageVariables.")
		if !ok {
			continue
		}
		if miss := mc.stagesWithout(name); len(miss) > 0 {
			mc.add(Finding{Check: "stage-variable", Severity: Warning, Pos: mc.pos([]string{integ, "requestParameters", key}), Object: mc.object() + mc.stagesNote(miss),
				What: fmt.Sprintf("integration request parameter %s maps stage variable %s, which %s does not define: the backend gets it empty", key, name, stageList(miss)),
				AWS:  noError("the request goes on without the value"),
				Fix:  fmt.Sprintf(stageVarFix, name, stageList(miss), name)})
		}
	}
	mc.eachTemplate(func(t template) {
		for _, name := range templateStageVars(t.src) {
			if miss := mc.stagesWithout(name); len(miss) > 0 {
				mc.add(Finding{Check: "stage-variable", Severity: Warning, Pos: t.pos, Object: mc.object() + ", " + t.name + mc.stagesNote(miss),
					What: fmt.Sprintf("the template reads stage variable %s, which %s does not define: it renders empty", name, stageList(miss)),
					AWS:  noError("the template renders an empty value"),
					Fix:  fmt.Sprintf(stageVarFix, name, stageList(miss), name)})
			}
		}
	})
}

// checkURIStageVars expands the integration URI per stage.
func (mc *methodCheck) checkURIStageVars() {
	in := mc.m.Integration
	if !strings.Contains(in.URI, "${stageVariables.") {
		return
	}
	type group struct {
		missing, expanded string
		stages            []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, st := range mc.stages {
		exp, missing := expandStageVars(in.URI, st.Variables)
		if len(missing) == 0 {
			continue
		}
		key := strings.Join(missing, ",") + "\x00" + exp
		g, ok := byKey[key]
		if !ok {
			g = &group{missing: strings.Join(missing, ", "), expanded: exp}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.stages = append(g.stages, st.Name)
	}
	pos := mc.pos([]string{integ, "uri"})
	for _, g := range groups {
		obj := mc.object() + mc.stagesNote(g.stages)
		fix := fmt.Sprintf(stageVarFix, g.missing, stageList(g.stages), strings.SplitN(g.missing, ", ", 2)[0])
		switch in.Type {
		case apigw.IntegrationHTTP, apigw.IntegrationHTTPProxy:
			if !validEndpoint(g.expanded) {
				mc.add(Finding{Check: "stage-variable", Severity: Error, Pos: pos, Object: obj,
					What:  fmt.Sprintf("the integration uri uses stage variable %s, which %s does not define: it becomes %q, not a valid endpoint; every call fails", g.missing, stageList(g.stages), g.expanded),
					AWS:   mc.answer(diag.InvalidEndpoint, g.stages[0]),
					Cause: diag.InvalidEndpoint,
					Fix:   fix})
				continue
			}
			mc.add(Finding{Check: "stage-variable", Severity: Warning, Pos: pos, Object: obj,
				What: fmt.Sprintf("the integration uri uses stage variable %s, which %s does not define: requests go to %s", g.missing, stageList(g.stages), g.expanded),
				AWS:  noError("the request goes to the URI without the value"),
				Fix:  fix})
		case apigw.IntegrationAWS, apigw.IntegrationAWSProxy:
			if _, ok := parseLambdaURI(in.URI); !ok {
				continue // another AWS service
			}
			if lr, ok := parseLambdaURI(g.expanded); ok {
				if name, _ := lambda.SplitFunctionName(lr.ref); name != "" {
					continue // a partial name: the lambda-function check judges it
				}
			}
			mc.add(Finding{Check: "stage-variable", Severity: Error, Pos: pos, Object: obj,
				What:  fmt.Sprintf("the Lambda function in the integration uri comes from stage variable %s, which %s does not define: no function is named; every call fails", g.missing, stageList(g.stages)),
				AWS:   mc.answer(diag.LambdaNotFound, g.stages[0]),
				Cause: diag.LambdaNotFound,
				Fix:   fix})
		}
	}
}

// stageList renders "stage a" or "stages a, b".
func stageList(stages []string) string {
	if len(stages) == 1 {
		return "stage " + stages[0]
	}
	s := append([]string(nil), stages...)
	sort.Strings(s)
	return "stages " + strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
