package doctor

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/lambda"
)

// The region and account the gateway puts in function and execute-api ARNs
// when the URI names a function only (internal/gateway/pipeline uses the same).
const (
	defaultRegion  = "us-east-1"
	defaultAccount = "000000000000"
)

// lambdaRef is the function reference of a Lambda invocation URI:
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{ref}/invocations.
type lambdaRef struct {
	region string
	ref    string
}

// parseLambdaURI recognises a Lambda invocation URI; ok is false for other
// AWS service URIs.
func parseLambdaURI(uri string) (lambdaRef, bool) {
	rest, ok := strings.CutPrefix(uri, "arn:")
	if !ok {
		return lambdaRef{}, false
	}
	parts := strings.SplitN(rest, ":", 5)
	if len(parts) < 5 || parts[1] != "apigateway" || parts[3] != "lambda" {
		return lambdaRef{}, false
	}
	p, ok := strings.CutPrefix(parts[4], "path/2015-03-31/functions/")
	if !ok {
		return lambdaRef{}, false
	}
	ref, ok := strings.CutSuffix(p, "/invocations")
	if !ok || ref == "" {
		return lambdaRef{}, false
	}
	region := parts[2]
	if region == "" || strings.Contains(region, "${") {
		region = defaultRegion
	}
	return lambdaRef{region: region, ref: ref}, true
}

// resolvedFunction is a function reference after stage-variable expansion,
// with the stages that resolve to it.
type resolvedFunction struct {
	name, qualifier string
	stages          []string
}

// resolveFunctions expands ref for every stage. Stages whose expansion
// leaves no function name (an undefined stage variable) are left out: the
// stage-variable check reports them.
func (c *apiCheck) resolveFunctions(ref string) []resolvedFunction {
	byName := map[string]*resolvedFunction{}
	var order []string
	for _, st := range c.stages {
		exp, _ := expandStageVars(ref, st.Variables)
		name, qual := lambda.SplitFunctionName(exp)
		if name == "" {
			continue
		}
		key := name + ":" + qual
		r, ok := byName[key]
		if !ok {
			r = &resolvedFunction{name: name, qualifier: qual}
			byName[key] = r
			order = append(order, key)
		}
		r.stages = append(r.stages, st.Name)
	}
	out := make([]resolvedFunction, 0, len(order))
	for _, k := range order {
		out = append(out, *byName[k])
	}
	return out
}

// stagesNote renders " (stage a)" or " (stages a, b)" unless the finding
// holds for every stage.
func (c *apiCheck) stagesNote(stages []string) string {
	if len(stages) == 0 || len(stages) == len(c.stages) {
		return ""
	}
	if len(stages) == 1 {
		return " (stage " + stages[0] + ")"
	}
	s := append([]string(nil), stages...)
	sort.Strings(s)
	return " (stages " + strings.Join(s, ", ") + ")"
}

// lookupFunction finds a local function for a resolved reference. missing
// explains why it is not found and fix how to fix that; remote reports
// that a remote Lambda endpoint would be asked instead.
func (c *apiCheck) lookupFunction(r resolvedFunction) (fn lambda.Function, missing, fix string, remote bool) {
	fn, ok := c.fns[r.name]
	declare := fmt.Sprintf("declare function %s (functions: in archway.yaml, or --function %s=COMMAND), set lambda.endpoint for remote functions, or fix the function name", r.name, r.name)
	switch {
	case !ok && c.in.RemoteLambda != "":
		return fn, "", "", true
	case !ok && len(c.fns) == 0:
		return fn, fmt.Sprintf("function %s is not declared: there are no local functions (functions: in archway.yaml, or --function) and no remote Lambda endpoint", r.name), declare, false
	case !ok:
		return fn, fmt.Sprintf("function %s is not among the local functions (%s) and no remote Lambda endpoint is configured", r.name, strings.Join(c.functionNames(), ", ")), declare, false
	case r.qualifier != "" && r.qualifier != lambda.LatestVersion:
		return fn, fmt.Sprintf("function %s is local, but the local Lambda service serves only $LATEST, not qualifier %s", r.name, r.qualifier), fmt.Sprintf("drop the qualifier :%s from the function reference, or set lambda.endpoint to a Lambda service that has it", r.qualifier), false
	}
	return fn, "", "", false
}

func (c *apiCheck) functionNames() []string {
	names := make([]string, 0, len(c.fns))
	for n := range c.fns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkLambda checks an AWS / AWS_PROXY integration that invokes Lambda:
// the function exists, its timeout fits the integration timeout, and its
// resource-based policy lets the method invoke it.
func (mc *methodCheck) checkLambda() {
	in := mc.m.Integration
	if in.Type != apigw.IntegrationAWS && in.Type != apigw.IntegrationAWSProxy {
		return
	}
	lr, ok := parseLambdaURI(in.URI)
	if !ok {
		return
	}
	uriPos := mc.pos([]string{integ, "uri"})
	for _, r := range mc.resolveFunctions(lr.ref) {
		obj := mc.object() + mc.stagesNote(r.stages)
		fn, missing, fix, remote := mc.lookupFunction(r)
		if remote {
			continue
		}
		if missing != "" {
			mc.add(Finding{Check: "lambda-function", Severity: Error, Pos: uriPos, Object: obj,
				What:  missing + "; every call fails",
				AWS:   mc.answer(diag.LambdaNotFound, r.stages[0]),
				Cause: diag.LambdaNotFound,
				Fix:   fix + " in the integration uri"})
			continue
		}
		mc.checkTimeout(obj, fn, r.stages[0])
		mc.checkPermission(lr, fn, r.stages)
	}
}

// checkTimeout compares the integration timeout with the function's.
func (mc *methodCheck) checkTimeout(obj string, fn lambda.Function, stage string) {
	in := mc.m.Integration
	it := time.Duration(in.TimeoutInMillis) * time.Millisecond
	set := "timeoutInMillis"
	if in.TimeoutInMillis == 0 {
		it = apigw.DefaultTimeoutInMillis * time.Millisecond
		set = "the default integration timeout"
	}
	if fn.Timeout <= it {
		return
	}
	fix := fmt.Sprintf("raise timeoutInMillis to at least %d (AWS allows 50 to 29000 by default), or lower function %s's timeout to %s or less", fn.Timeout.Milliseconds(), fn.Name, ms(it))
	if fn.Timeout > apigw.DefaultTimeoutInMillis*time.Millisecond {
		fix = fmt.Sprintf("lower function %s's timeout to %s or less (the integration cannot wait longer than 29000 ms without a quota increase), or make the call asynchronous", fn.Name, ms(it))
	}
	mc.add(Finding{Check: "integration-timeout", Severity: Warning, Pos: mc.pos([]string{integ, "timeoutInMillis"}, []string{integ, "uri"}), Object: obj,
		What: fmt.Sprintf("%s (%s) is shorter than function %s's timeout (%s): a call that runs longer than %s gets 504 at the gateway while the function keeps running",
			set, ms(it), fn.Name, ms(fn.Timeout), ms(it)),
		AWS:   mc.answer(diag.IntegrationTimeout, stage),
		Cause: diag.IntegrationTimeout,
		Fix:   fix})
}

// checkPermission evaluates the function's resource-based policy for the
// method's execute-api source ARN on every stage.
func (mc *methodCheck) checkPermission(lr lambdaRef, fn lambda.Function, stages []string) {
	if len(fn.Permissions) == 0 && !mc.in.StrictPermissions {
		return
	}
	var denied []string
	var fix, src string
	for _, st := range stages {
		s := lambda.ExecuteAPIARN(lr.region, defaultAccount, mc.api.ID, st, mc.m.HTTPMethod, mc.r.Path)
		if ok, f := lambda.Allows(fn, s, mc.in.StrictPermissions); !ok {
			denied = append(denied, st)
			if fix == "" {
				fix, src = f, s
			}
		}
	}
	if len(denied) == 0 {
		return
	}
	why := "its permissions have no statement that lets apigateway.amazonaws.com invoke it from " + src
	if len(fn.Permissions) == 0 {
		why = "it has no permissions and lambda.strictPermissions is on, so nothing lets apigateway.amazonaws.com invoke it from " + src
	}
	mc.add(Finding{Check: "lambda-permission", Severity: Error, Pos: mc.pos([]string{integ, "uri"}), Object: mc.object() + mc.stagesNote(denied),
		What:  fmt.Sprintf("function %s: %s; every call fails", fn.Name, why),
		AWS:   mc.answer(diag.LambdaPermissionDenied, denied[0]),
		Cause: diag.LambdaPermissionDenied,
		Fix:   fix + " (or add the same statement under the function's permissions in archway.yaml)"})
}
