package lambda

import (
	"fmt"
	"github.com/archway-gw/archway/internal/wildcard"
	"net/http"
	"strings"
)

// APIGatewayPrincipal is the service principal API Gateway invokes
// functions as.
const APIGatewayPrincipal = "apigateway.amazonaws.com"

// InvokeAction is the action a permission must allow for an invoke.
const InvokeAction = "lambda:InvokeFunction"

// Permission is one statement of a function's resource-based policy, as
// `aws lambda add-permission` creates it: Allow Principal to perform Action
// when the caller's ARN is like SourceARN and its account is SourceAccount.
type Permission struct {
	// StatementID is the statement's Sid.
	StatementID string
	// Principal is the allowed service, e.g. apigateway.amazonaws.com; "*"
	// allows any. Default APIGatewayPrincipal.
	Principal string
	// Action is the allowed action, e.g. lambda:InvokeFunction, lambda:*.
	// Default InvokeAction.
	Action string
	// SourceARN is an ArnLike pattern (* and ? wildcards) the caller's ARN
	// must match. Empty matches any caller.
	SourceARN string
	// SourceAccount, when set, must equal the caller's account.
	SourceAccount string
}

// ErrAccessDenied is the Lambda service's answer to an invoke that no
// resource-based policy allows (403 AccessDeniedException). API Gateway
// turns it into 500 "Invalid permissions on Lambda function".
var ErrAccessDenied = &ServiceError{StatusCode: http.StatusForbidden, Type: "AccessDeniedException"}

// ExecuteAPIARN returns the source ARN API Gateway presents when a REST API
// method invokes a function:
// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path},
// where an ANY method is "*" and path is the resource path without its
// leading slash, path parameters as written ("pets/{petId}").
func ExecuteAPIARN(region, account, apiID, stage, method, resourcePath string) string {
	return ExecuteAPIARNPrefix(region, account, apiID) + stage + ExecuteAPIARNSuffix(method, resourcePath)
}

// ExecuteAPIARNPrefix is the part of ExecuteAPIARN before the stage,
// ending in "/".
func ExecuteAPIARNPrefix(region, account, apiID string) string {
	return "arn:aws:execute-api:" + region + ":" + account + ":" + apiID + "/"
}

// ExecuteAPIARNSuffix is the part of ExecuteAPIARN after the stage,
// starting with "/".
func ExecuteAPIARNSuffix(method, resourcePath string) string {
	method = strings.ToUpper(method)
	if method == "ANY" || method == "" {
		method = "*"
	}
	return "/" + method + "/" + strings.TrimPrefix(resourcePath, "/")
}

// Allows reports whether fn's resource-based policy lets API Gateway
// invoke it from sourceARN. A function without permissions is allowed
// unless strict. When it is not allowed, fix is the `aws lambda
// add-permission` command that allows exactly this caller.
func Allows(fn Function, sourceARN string, strict bool) (ok bool, fix string) {
	if len(fn.Permissions) == 0 && !strict {
		return true, ""
	}
	account := arnField(sourceARN, 4)
	for _, p := range fn.Permissions {
		if p.allows(APIGatewayPrincipal, InvokeAction, sourceARN, account) {
			return true, ""
		}
	}
	return false, AddPermissionCommand(fn.Name, sourceARN)
}

// allows evaluates one Allow statement.
func (p Permission) allows(principal, action, sourceARN, account string) bool {
	pr := p.Principal
	if pr == "" {
		pr = APIGatewayPrincipal
	}
	if pr != "*" && !strings.EqualFold(pr, principal) {
		return false
	}
	act := p.Action
	if act == "" {
		act = InvokeAction
	}
	if !wildcard.Match(strings.ToLower(act), strings.ToLower(action)) {
		return false
	}
	if p.SourceAccount != "" && p.SourceAccount != account {
		return false
	}
	return p.SourceARN == "" || ARNLike(p.SourceARN, sourceARN)
}

// ARNLike reports whether arn matches pattern as IAM's ArnLike condition
// does: both are split into their six colon-separated fields (the last one,
// the resource, keeps its colons) and each field is matched with * (any
// run of characters) and ? (any one character), case-sensitively. A
// pattern or ARN with fewer fields matches only itself.
func ARNLike(pattern, arn string) bool {
	pf := strings.SplitN(pattern, ":", 6)
	af := strings.SplitN(arn, ":", 6)
	if len(pf) != 6 || len(af) != 6 {
		// Not an ARN: only the identical string matches.
		return pattern == arn
	}
	for i := range pf {
		if !wildcard.Match(pf[i], af[i]) {
			return false
		}
	}
	return true
}

// arnField returns the n-th colon-separated field of an ARN (0-based), or "".
func arnField(arn string, n int) string {
	f := strings.SplitN(arn, ":", 6)
	if n < len(f) {
		return f[n]
	}
	return ""
}

// AddPermissionCommand returns the `aws lambda add-permission` command that
// lets API Gateway invoke the function from sourceARN.
func AddPermissionCommand(function, sourceARN string) string {
	return fmt.Sprintf("aws lambda add-permission --function-name %s --statement-id %s --action %s --principal %s --source-arn '%s'",
		function, statementID(sourceARN), InvokeAction, APIGatewayPrincipal, sourceARN)
}

// statementID derives a readable statement id (at most 100 characters of
// [a-zA-Z0-9-_], as Lambda requires) from the API id, stage, method and path
// of an execute-api ARN.
func statementID(sourceARN string) string {
	res := arnField(sourceARN, 5)
	var b strings.Builder
	b.WriteString("apigw")
	dash := false
	for _, r := range res {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !ok {
			dash = true
			continue
		}
		if dash || b.Len() == len("apigw") {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	id := b.String()
	if len(id) > 100 {
		id = id[:100]
	}
	return id
}

// accessDenied is Lambda's answer when no statement allows the caller.
func accessDenied(fnARN, sourceARN string) *ServiceError {
	return &ServiceError{
		StatusCode: http.StatusForbidden,
		Type:       ErrAccessDenied.Type,
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action (source ARN %s)",
			APIGatewayPrincipal, InvokeAction, fnARN, InvokeAction, sourceARN),
	}
}
