// Package lambda is Archway's local Lambda service. It runs the handlers a
// user would deploy, unchanged: any executable that speaks the Lambda
// Runtime API, such as a Go binary built with aws-lambda-go, or "go run
// ./fn".
//
// A Service holds the configured Functions. Each invocation takes a warm
// process from the function's pool or starts one (a cold start, measured
// as Init Duration), up to the function's concurrency; beyond it the
// invoke is throttled (TooManyRequestsException). Every process gets its
// own Runtime API endpoint on loopback, served by the service's single
// HTTP server, and finds it in AWS_LAMBDA_RUNTIME_API. As in Lambda, a
// process that runs past its timeout is killed ("Task timed out after N.NN
// seconds"), one that exits mid-invocation is reported as
// Runtime.ExitError and replaced on the next invocation, and a failed init
// is reported with the runtime's /init/error payload or Runtime.ExitError.
//
// The function's stdout and stderr are its log. Each invocation's lines,
// framed by START, END and REPORT (duration, billed duration, memory size,
// max memory used from /proc, init duration on cold starts), are returned
// in the Result, kept for operators (Service.Logs) and written to the
// service's slog.Logger.
//
// Service.Invoke is the Go entry point. The same server serves the Lambda
// Invoke API, POST /2015-03-31/functions/{name}/invocations, with the
// RequestResponse, Event (queued, retried twice on failure) and DryRun
// invocation types, X-Amz-Log-Type: Tail, X-Amz-Function-Error and AWS's
// JSON errors, so the official aws-sdk-go-v2 Lambda client can invoke local
// functions through BaseEndpoint.
//
// A function may carry a resource-based policy (Permissions); invokes that
// present an API Gateway source ARN are checked against it (Allows), and
// refused with AccessDeniedException as Lambda does. Functions that are not
// local go to Config.Fallback, typically a Remote: the same SDK client
// pointed at AWS Lambda or another Lambda-compatible endpoint.
// Service.Update replaces the function set on reload, draining the
// processes of changed and removed functions.
package lambda
