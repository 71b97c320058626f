package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/lambda"
)

// LambdaInvoker invokes Lambda functions for AWS and AWS_PROXY integrations;
// *lambda.Service implements it for local functions.
type LambdaInvoker interface {
	Invoke(ctx context.Context, name string, payload []byte, opts lambda.InvokeOptions) (*lambda.Result, error)
}

// Default region and account of function ARNs that name only a function.
const (
	defaultLambdaRegion  = "us-east-1"
	defaultLambdaAccount = "000000000000"
)

// lambdaTarget is the compiled function reference of a Lambda integration
// URI: arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn}/invocations,
// where {fn} is a function name or ARN, maybe with ${stageVariables.x}.
type lambdaTarget struct {
	region string
	// ref is the function reference as written; static is set when it has
	// no stage variables.
	ref    string
	static bool
	name   string // the function name, when static
	arn    string // the function ARN, when static
	// srcPrefix and srcSuffix frame the stage in the execute-api source
	// ARN the invoke presents to the function's resource-based policy.
	srcPrefix, srcSuffix string
}

// sourceARN is the execute-api ARN of this method on stage.
func (t *lambdaTarget) sourceARN(stage string) string {
	return t.srcPrefix + stage + t.srcSuffix
}

const lambdaPathPrefix = "path/2015-03-31/functions/"

// parseLambdaURI recognises a Lambda invocation URI. ok is false for other
// AWS service URIs.
func parseLambdaURI(uri string) (*lambdaTarget, bool) {
	rest, ok := strings.CutPrefix(uri, "arn:")
	if !ok {
		return nil, false
	}
	// aws:apigateway:{region}:lambda:path/...
	parts := strings.SplitN(rest, ":", 5)
	if len(parts) < 5 || parts[1] != "apigateway" || parts[3] != "lambda" {
		return nil, false
	}
	p, ok := strings.CutPrefix(parts[4], lambdaPathPrefix)
	if !ok {
		return nil, false
	}
	ref, ok := strings.CutSuffix(p, "/invocations")
	if !ok || ref == "" {
		return nil, false
	}
	t := &lambdaTarget{region: parts[2], ref: ref}
	if t.region == "" || strings.Contains(t.region, "${") {
		t.region = defaultLambdaRegion
	}
	if !strings.Contains(ref, "${stageVariables.") {
		t.static = true
		t.name, t.arn = functionNameARN(ref, t.region)
	}
	return t, true
}

// functionNameARN splits a function reference (a name, name:qualifier or
// ARN) into the name to invoke (with its qualifier) and the ARN AWS logs.
func functionNameARN(ref, region string) (name, arn string) {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		// arn:aws:lambda:{region}:{acct}:function:{name}[:qualifier]
		if len(parts) >= 7 && parts[5] == "function" {
			name = parts[6]
			if len(parts) > 7 {
				name += ":" + parts[7]
			}
			return name, ref
		}
		return ref, ref
	}
	name = ref
	base, qual, _ := strings.Cut(ref, ":")
	arn = lambda.FunctionARN(region, defaultLambdaAccount, base)
	if qual != "" {
		arn += ":" + qual
	}
	return name, arn
}

// resolve expands stage variables and returns the function name and ARN.
func (t *lambdaTarget) resolve(stage map[string]string) (name, arn string, err error) {
	if t.static {
		return t.name, t.arn, nil
	}
	ref := t.ref
	for {
		i := strings.Index(ref, "${stageVariables.")
		if i < 0 {
			break
		}
		end := strings.IndexByte(ref[i:], '}')
		if end < 0 {
			break
		}
		v := stage[ref[i+len("${stageVariables."):i+end]]
		ref = ref[:i] + v + ref[i+end+1:]
	}
	name, arn = functionNameARN(ref, t.region)
	base, _, _ := strings.Cut(name, ":")
	if base == "" || strings.HasSuffix(arn, ":function:") {
		return name, arn, fmt.Errorf("function reference %q expands to %q: a stage variable is undefined", t.ref, ref)
	}
	return name, arn, nil
}

// endpoint is the Lambda Invoke URL AWS logs as the endpoint request URI.
func (t *lambdaTarget) endpoint(arn string) string {
	return "https://lambda." + t.region + ".amazonaws.com/2015-03-31/functions/" + arn + "/invocations"
}

// compileLambda sets up an AWS or AWS_PROXY integration whose URI invokes a
// Lambda function. It returns false for other AWS service URIs.
func compileLambda(m *Method, in *apigw.Integration, warn func(string, string)) bool {
	t, ok := parseLambdaURI(in.URI)
	if !ok {
		return false
	}
	t.srcPrefix = lambda.ExecuteAPIARNPrefix(t.region, defaultLambdaAccount, m.APIID)
	t.srcSuffix = lambda.ExecuteAPIARNSuffix(m.HTTPMethod, m.ResourcePath)
	m.lambda = t
	m.needsBody = true
	if m.Type == apigw.IntegrationAWSProxy && m.backendVerb != "POST" && m.Fail == nil {
		m.Fail = diag.Newf(diag.PhaseIntegration, diag.LambdaProxyMethodNotPost, "integration httpMethod is %q; Lambda is invoked with POST", in.HTTPMethod)
		warn(fmt.Sprintf("AWS_PROXY integration httpMethod is %q; AWS fails every call with 500", in.HTTPMethod), "set the integration's httpMethod to POST (the method request may use any verb)")
	}
	return true
}

// invokeLambda invokes the method's function with payload, recording the
// endpoint request, and classifies a rejected or timed-out invoke. typ is
// the invocation type ("" is RequestResponse).
func (m *Method) invokeLambda(ctx context.Context, x *Exchange, payload []byte, typ lambda.InvocationType) (*lambda.Result, string, error) {
	name, arn, err := m.lambda.resolve(x.Stage.Variables)
	rec := x.Rec
	rec.EndpointURI = m.lambda.endpoint(arn)
	rec.EndpointBody = payload
	if err != nil {
		return nil, name, explain(diag.Wrap(diag.PhaseIntegrationRequest, diag.LambdaNotFound, err, "function "+name))
	}
	if x.Trace {
		rec.EndpointHeaders = nil
		if typ != "" {
			rec.EndpointHeaders = append(rec.EndpointHeaders, exec.KV{Key: lambda.HeaderInvocationType, Value: string(typ)})
		}
	}
	if m.backend == nil || m.backend.Lambda == nil {
		rec.EndpointSent = true
		return nil, name, explain(diag.Newf(diag.PhaseIntegration, diag.LambdaNotFound, "function %s: no local Lambda service is configured (ResourceNotFoundException)", name))
	}
	reqID := newLambdaRequestID()
	ictx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	rec.EndpointSent = true
	rec.IntegrationStart = time.Now()
	src := m.lambda.sourceARN(x.Stage.Name)
	res, err := m.backend.Lambda.Invoke(ictx, name, payload, lambda.InvokeOptions{RequestID: reqID, TraceID: traceID(x), SourceARN: src, InvocationType: typ})
	rec.IntegrationEnd = time.Now()
	if err == nil {
		rec.IntegrationReceived = true
		rec.IntegrationStatus = res.StatusCode
		rec.EndpointRespBody, rec.EndpointRespBodyKept = res.Payload, true
		return res, name, nil
	}
	var se *lambda.ServiceError
	if errors.As(err, &se) {
		rec.IntegrationReceived = true
		rec.IntegrationStatus = se.StatusCode
		rec.EndpointRespBody, rec.EndpointRespBodyKept = se.Body(), true
		cause := diag.LambdaInvokeRejected
		switch {
		case errors.Is(se, lambda.ErrAccessDenied):
			return nil, name, explain(diag.Wrap(diag.PhaseIntegration, diag.LambdaPermissionDenied, err,
				fmt.Sprintf("function %s: no statement of its resource-based policy lets %s invoke it from %s; fix: %s", name, lambda.APIGatewayPrincipal, src, lambda.AddPermissionCommand(name, src))))
		case errors.Is(se, lambda.ErrResourceNotFound):
			cause = diag.LambdaNotFound
		case errors.Is(se, lambda.ErrTooManyRequests):
			cause = diag.LambdaThrottled
		}
		return nil, name, explain(diag.Wrap(diag.PhaseIntegration, cause, err, fmt.Sprintf("function %s: the Lambda service rejected the invoke: %d %s %s", name, se.StatusCode, se.Type, se.Message)))
	}
	if errors.Is(ictx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, name, explain(diag.Wrap(diag.PhaseIntegration, diag.IntegrationTimeout, err,
			fmt.Sprintf("function %s (Lambda request id %s) did not answer within the integration timeout of %d ms; the invocation runs on", name, reqID, m.timeout.Milliseconds())))
	}
	if ctx.Err() != nil {
		return nil, name, diag.Wrap(diag.PhaseIntegration, diag.ClientAborted, err, "the client closed the connection before the function answered")
	}
	return nil, name, diag.Wrap(diag.PhaseIntegration, diag.InternalError, err, "invoking function "+name)
}

// lambdaFailure explains a function error: the cause by failure class, and
// a detail naming the function, its request id and its last log lines.
func lambdaFailure(name string, res *lambda.Result, msg string) (diag.Cause, string) {
	cause := diag.LambdaUnhandledError
	what := "returned an error"
	switch res.Failure {
	case lambda.FailureTimeout:
		cause, what = diag.LambdaTimeout, "ran past its timeout and was killed"
	case lambda.FailureExit:
		cause, what = diag.LambdaCrashed, "exited or crashed during the invocation"
	case lambda.FailureInit:
		cause, what = diag.LambdaInitError, "failed during init"
	case lambda.FailureResponseTooLarge:
		what = "returned a response over the Lambda payload limit"
	}
	return cause, fmt.Sprintf("function %s %s (Lambda request id %s): %s%s", name, what, res.RequestID, msg, LogTail(res.Log, 5))
}

// explain adds the Archway explanation of a Lambda failure to the execution
// log, before AWS's own failure line, so operators see which function, which
// invocation and what its log said.
func explain(d *diag.Error) *diag.Error {
	d.LogBefore = append(d.LogBefore, "Archway explanation ("+string(d.Cause)+"): "+d.Detail)
	return d
}

// LogTail renders the last n lines of a function log for an explanation:
// "; last log lines: a | b", or "" for an empty log.
func LogTail(log []string, n int) string {
	if len(log) == 0 {
		return ""
	}
	if len(log) > n {
		log = log[len(log)-n:]
	}
	return "; last log lines: " + strings.Join(log, " | ")
}

// newLambdaRequestID returns a random UUID (version 4), as Lambda's
// request ids are.
func newLambdaRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// serveLambda runs a Lambda integration: AWS_PROXY with the proxy event and
// response contract, AWS with templates and selection by errorMessage.
func (m *Method) serveLambda(ctx context.Context, x *Exchange) (*Response, error) {
	if m.Type == apigw.IntegrationAWSProxy {
		return m.serveLambdaProxy(ctx, x)
	}
	return m.serveLambdaAWS(ctx, x)
}

func (m *Method) serveLambdaAWS(ctx context.Context, x *Exchange) (*Response, error) {
	if err := m.checkBodyMappings(x); err != nil {
		return nil, err
	}
	body, err := m.requestBody(ctx, x)
	if err != nil {
		return nil, err
	}
	// integration.request.header.X-Amz-Invocation-Type ('Event' or
	// method.request.header.InvocationType) chooses the invocation type, as
	// on AWS: Event answers at once with Lambda's 202 and an empty body,
	// which the default integration response maps.
	var typ lambda.InvocationType
	if len(m.reqMaps) > 0 {
		if v := m.mapRequest(x).header.Get(lambda.HeaderInvocationType); v != "" {
			typ = lambda.InvocationType(v)
		}
	}
	res, name, err := m.invokeLambda(ctx, x, body, typ)
	if err != nil {
		return nil, err
	}
	value := ""
	if res.FunctionError != "" {
		p, _ := lambda.ParseFunctionError(res.Payload)
		value = p.ErrorMessage
		_, detail := lambdaFailure(name, res, p.ErrorMessage)
		x.Rec.IntegrationErrorDetail = detail
	}
	out, err := m.integrationResponse(ctx, x, value, nil, res.Payload)
	if err != nil {
		return nil, err
	}
	out.Header["X-Amzn-Trace-Id"] = []string{traceID(x)}
	return out, nil
}
