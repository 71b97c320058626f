package pipeline

// LambdaFunction is a compiled Lambda invocation URI,
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn}/invocations,
// the form both Lambda integrations and Lambda authorizers use.
type LambdaFunction struct {
	t *lambdaTarget
}

// ParseLambdaFunction compiles a Lambda invocation URI; ok is false when
// uri is not one.
func ParseLambdaFunction(uri string) (*LambdaFunction, bool) {
	t, ok := parseLambdaURI(uri)
	if !ok {
		return nil, false
	}
	return &LambdaFunction{t: t}, true
}

// Resolve expands stage variables and returns the function name to invoke
// and the function ARN AWS logs.
func (f *LambdaFunction) Resolve(stage map[string]string) (name, arn string, err error) {
	return f.t.resolve(stage)
}

// Endpoint is the Lambda Invoke URL AWS logs for the function ARN.
func (f *LambdaFunction) Endpoint(arn string) string { return f.t.endpoint(arn) }

// Region is the region of the URI (us-east-1 when it names none).
func (f *LambdaFunction) Region() string { return f.t.region }

// Ref is the function reference as written in the URI.
func (f *LambdaFunction) Ref() string { return f.t.ref }

// NewLambdaRequestID returns a random UUID (version 4), as Lambda's
// request ids are.
func NewLambdaRequestID() string { return newLambdaRequestID() }

// TraceID is the X-Amzn-Trace-Id the gateway sends for the exchange.
func TraceID(x *Exchange) string { return traceID(x) }

// DefaultAccountID is the AWS account id the gateway uses in ARNs and
// $context.accountId.
const DefaultAccountID = defaultLambdaAccount
