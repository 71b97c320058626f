package diag

import "github.com/archway-gw/archway/internal/apigw"

// Cause codes. Each one is documented in docs/causes.md, which is generated
// from this catalog (go run ./cmd/archway causes > docs/causes.md) and checked
// by a test.
const (
	RouteNotFound                Cause = "ROUTE_NOT_FOUND"
	MethodNotDefined             Cause = "METHOD_NOT_DEFINED"
	StageNotFound                Cause = "STAGE_NOT_FOUND"
	APINotFound                  Cause = "API_NOT_FOUND"
	RequestTooLarge              Cause = "REQUEST_TOO_LARGE"
	MissingRequestParameters     Cause = "MISSING_REQUEST_PARAMETERS"
	InvalidRequestBody           Cause = "INVALID_REQUEST_BODY"
	ReservedHeaderMapping        Cause = "RESERVED_HEADER_MAPPING"
	InvalidEndpoint              Cause = "INVALID_ENDPOINT"
	IntegrationNotServed         Cause = "INTEGRATION_NOT_SERVED"
	TemplateError                Cause = "TEMPLATE_ERROR"
	MockStatusInvalid            Cause = "MOCK_STATUS_INVALID"
	BinaryConversionFailed       Cause = "BINARY_CONVERSION_FAILED"
	TemplateOnBinary             Cause = "TEMPLATE_ON_BINARY"
	UnsupportedMediaType         Cause = "UNSUPPORTED_MEDIA_TYPE"
	RequestBodyNotJSON           Cause = "REQUEST_BODY_NOT_JSON"
	ResponseBodyNotJSON          Cause = "RESPONSE_BODY_NOT_JSON"
	IntegrationTimeout           Cause = "INTEGRATION_TIMEOUT"
	UpstreamConnectRefused       Cause = "UPSTREAM_CONNECT_REFUSED"
	UpstreamDNSFailure           Cause = "UPSTREAM_DNS_FAILURE"
	UpstreamConnectTimeout       Cause = "UPSTREAM_CONNECT_TIMEOUT"
	UpstreamReset                Cause = "UPSTREAM_CONNECTION_RESET"
	UpstreamBadResponse          Cause = "UPSTREAM_BAD_RESPONSE"
	UpstreamTLSUntrusted         Cause = "UPSTREAM_TLS_UNTRUSTED"
	UpstreamTLSExpired           Cause = "UPSTREAM_TLS_EXPIRED"
	UpstreamTLSHostname          Cause = "UPSTREAM_TLS_HOSTNAME"
	UpstreamTLSHandshake         Cause = "UPSTREAM_TLS_HANDSHAKE"
	NoMatchingIntegrationRsp     Cause = "NO_MATCHING_INTEGRATION_RESPONSE"
	NoMatchingMethodResponse     Cause = "NO_MATCHING_METHOD_RESPONSE"
	ClientAborted                Cause = "CLIENT_ABORTED"
	LambdaUnhandledError         Cause = "LAMBDA_UNHANDLED_ERROR"
	LambdaTimeout                Cause = "LAMBDA_TIMEOUT"
	LambdaCrashed                Cause = "LAMBDA_CRASHED"
	LambdaInitError              Cause = "LAMBDA_INIT_ERROR"
	LambdaMalformedProxyResponse Cause = "LAMBDA_MALFORMED_PROXY_RESPONSE"
	LambdaNotFound               Cause = "LAMBDA_NOT_FOUND"
	LambdaThrottled              Cause = "LAMBDA_THROTTLED"
	LambdaInvokeRejected         Cause = "LAMBDA_INVOKE_REJECTED"
	LambdaProxyMethodNotPost     Cause = "LAMBDA_PROXY_METHOD_NOT_POST"
	InternalError                Cause = "INTERNAL_ERROR"
)

const (
	msgISE          = "Internal server error"
	fixTLSBackend   = "Serve the backend with a certificate from a public CA that is valid now and names the host in the integration URI, or set tlsConfig.insecureSkipVerification on the integration (AWS allows this for HTTP_PROXY only)."
	fixUnreachable  = "Check that the backend in the integration URI is running and reachable from the gateway (host, port, firewall); run `archway doctor` to probe every integration."
	netLog          = "Execution failed due to a network error communicating with endpoint"
	awsNetChoice    = "AWS does not document this case for public HTTP endpoints; Archway answers as AWS answers other INTEGRATION_FAILUREs it records (500 Internal server error), and logs LocalStack's wording."
	configErrPrefix = "Execution failed due to configuration error: "
	lambdaFnErrLog  = "Lambda execution failed with status 200 due to customer function error"
	awsLambdaFnErr  = "AWS_PROXY: 502 `{\"message\": \"Internal server error\"}` (Lambda developer guide services-apigateway-errors: a function error gives 502; recorded err-lambda-proxy-empty-response), log `" + lambdaFnErrLog + ": <errorMessage>. Lambda request id: <id>` (Knowledge Center malformed-502-api-gateway). AWS (non-proxy): not an error; the error object is the integration response, selected by errorMessage (recorded err-lambda-custom-*). "
	lambdaExplain   = " The explanation names the function, its Lambda request id and the last lines of its log."
	awsInvokeReject = "500 `{\"message\": \"Internal server error\"}` (Lambda developer guide services-apigateway-errors: \"If the Lambda API rejects the invocation request, API Gateway returns a 500 error code\"), after `Sending request to https://lambda.<region>.amazonaws.com/2015-03-31/functions/<arn>/invocations` in the log (aws-errors.md row 5)."
)

var catalog = []CauseInfo{
	{Cause: RouteNotFound, ResponseType: apigw.MissingAuthenticationToken, Message: "Missing Authentication Token",
		Meaning: "No resource of the API matches the request path.",
		AWS:     "MISSING_AUTHENTICATION_TOKEN: AWS answers every unroutable request with 403 Missing Authentication Token (recorded: err-rest-not-found).",
		Fix:     "Check the path against the API's resources (`archway validate` lists them); remember the first path segment is the stage. Customise MISSING_AUTHENTICATION_TOKEN to answer 404 if you prefer."},
	{Cause: MethodNotDefined, ResponseType: apigw.MissingAuthenticationToken, Message: "Missing Authentication Token",
		Meaning: "The resource exists but defines neither the request's method nor ANY.",
		AWS:     "MISSING_AUTHENTICATION_TOKEN: AWS answers an undefined method with 403, never 405 (recorded: err-rest-wrong-method).",
		Fix:     "Add the method (or x-amazon-apigateway-any-method) to the resource, or call it with a defined method."},
	{Cause: StageNotFound, ResponseType: apigw.MissingAuthenticationToken, Message: "Missing Authentication Token",
		Meaning: "The first path segment names no deployed stage of the API.",
		AWS:     "MISSING_AUTHENTICATION_TOKEN: a wrong stage under the API host is unroutable on AWS too.",
		Fix:     "Call /<stage>/<path> with a stage the gateway serves (`--stage`, or stages in archway.yaml)."},
	{Cause: APINotFound, ResponseType: apigw.MissingAuthenticationToken, Message: "Missing Authentication Token",
		Meaning: "Several APIs are served and the Host header names none of them.",
		AWS:     "On AWS each API has its own host; an unknown execute-api host never reaches an API.",
		Fix:     "Send Host: <apiId>.execute-api.localhost (the ids are printed at start-up), or use the /_api/<apiId>/<stage>/ path form."},
	{Cause: RequestTooLarge, ResponseType: apigw.RequestTooLarge, Message: "Request Too Long",
		Meaning: "The request payload is over API Gateway's 10 MB limit.",
		AWS:     "REQUEST_TOO_LARGE (413), which cannot be customised. AWS does not record the body; Archway sends the wording reported by users.",
		Fix:     "Send payloads under 10 MB; upload large objects to storage directly (e.g. a presigned URL)."},
	{Cause: MissingRequestParameters, ResponseType: apigw.BadRequestParameters, Message: "Missing required request parameters", Spaced: true,
		Meaning: "The method's request validator checks parameters (validateRequestParameters) and a header, query string or path parameter the method marks required is absent or blank. The client message lists every missing name.",
		AWS:     "BAD_REQUEST_PARAMETERS, 400 `Missing required request parameters: [a, b]`, names without location in header, path, query string order (recorded: err-rest-validation-missing-*); parameters are checked before the body.",
		Fix:     "Send the listed parameters with non-blank values, or mark them not required (required: false) in the method request."},
	{Cause: InvalidRequestBody, ResponseType: apigw.BadRequestBody, Message: "Invalid request body", Spaced: true,
		Meaning: "The method's request validator checks the body (validateRequestBody) and the body is not JSON or does not match the JSON Schema (draft-04) model mapped to the request's Content-Type; an empty body is checked as {}. The execution log and $context.error.validationErrorString say which keyword failed where.",
		AWS:     "BAD_REQUEST_BODY, 400 `Invalid request body` with details in $context.error.validationErrorString (recorded by LocalStack's AWS snapshot test_api_gateway_request_validator: invalid-request-body; a bodiless GET fails against a model with required properties).",
		Fix:     "Send a body matching the model (see the execution log for the failing JSON pointer), fix the model, or map the Content-Type to another model."},
	{Cause: ReservedHeaderMapping, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Invalid mapping to a reserved header",
		Meaning: "An integration requestParameters entry sets a header API Gateway reserves (Content-Length, Transfer-Encoding; plus Authorization, Connection, Expect, Proxy-Authenticate, TE for AWS/AWS_PROXY).",
		AWS:     "500 InternalServerErrorException before the backend is called (recorded: err-*-illegal-header-mapping-*).",
		Fix:     "Remove the integration.request.header mapping of the reserved header; the gateway sets it itself."},
	{Cause: InvalidEndpoint, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Invalid endpoint address",
		Meaning: "The integration URI is not a valid absolute http(s) URL after stage variables were substituted (often an undefined ${stageVariables.x}).",
		AWS:     "API_CONFIGURATION_ERROR, 500, log `Invalid endpoint address` (recorded: err-http-proxy-invalid-endpoint-stagevar, err-testinvoke-invalid-endpoint).",
		Fix:     "Define every stage variable the URI uses (`--stage-variable k=v` or archway.yaml), and make the URI an absolute http:// or https:// URL."},
	{Cause: IntegrationNotServed, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Integration type not served by this gateway version",
		Meaning: "The method's integration loads but is not served by this version of Archway yet: an AWS or AWS_PROXY integration of an AWS service other than Lambda (SQS, S3, DynamoDB, ...).",
		AWS:     "No AWS equivalent: AWS serves every type. `archway validate` warns about such methods.",
		Fix:     "Use an HTTP, HTTP_PROXY, MOCK or Lambda integration for this method, or upgrade Archway."},
	{Cause: TemplateError, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Unable to transform request", LogDetail: true,
		Meaning: "A mapping template failed: it does not parse, or it failed while rendering (an invalid JSONPath, a loop or output limit, a method error). The detail names the template and its line:col.",
		AWS:     "API_CONFIGURATION_ERROR, 500 Internal server error (LocalStack; AWS's log wording is not recorded).",
		Fix:     "Fix the template at the line:col given in the execution log; `archway validate` reports parse errors with their position."},
	{Cause: MockStatusInvalid, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Unable to parse statusCode from the MOCK request template output",
		Meaning: "A MOCK integration's request template did not produce JSON with an integer statusCode.",
		AWS:     "500 Internal server error (LocalStack unit vectors mock-ls-statuscode-*).",
		Fix:     "Make the request template render {\"statusCode\": 200} (an integer)."},
	{Cause: BinaryConversionFailed, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Unable to base64-decode the payload",
		Meaning: "A payload had to be base64-decoded and is not valid base64: a text request with contentHandling CONVERT_TO_BINARY, a text response with CONVERT_TO_BINARY, or a text response without contentHandling whose client's first Accept media type is in binaryMediaTypes.",
		AWS:     "API_CONFIGURATION_ERROR, 500 (developer guide api-gateway-payload-encodings-workflow: \"If the conversion fails, it returns a 500 response indicating an API configuration error\"; AWS-validated vectors err-binary-*). AWS's log wording is not recorded.",
		Fix:     "Send (or make the backend return) standard base64 text, list the payload's real Content-Type in binaryMediaTypes so it is passed as binary, or drop contentHandling CONVERT_TO_BINARY; for responses, check the client's first Accept media type."},
	{Cause: TemplateOnBinary, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Mapping templates cannot be applied to a binary payload",
		Meaning: "A request or response mapping template was selected for a payload that is binary after content handling (its Content-Type is in binaryMediaTypes, a base64 text was converted to binary, or a binary Accept asked for a base64-decoded response).",
		AWS:     "500 Internal server error (aws-errors.md row 20, AWS-validated vector err-binary-template-on-binary); AWS's log wording is not recorded.",
		Fix:     "Set contentHandling CONVERT_TO_TEXT (on the integration for requests, on the integration response for responses) so the template sees base64 text, or remove the template for that media type."},
	{Cause: RequestBodyNotJSON, ResponseType: apigw.BadRequestBody, Message: "Invalid JSON in request body", Spaced: true,
		LogLine: "Execution failed due to invalid JSON in the request body, which requestParameters map",
		Meaning: "An integration requestParameters entry maps the request body (method.request.body or method.request.body.JSONPath) and the body opens a JSON object ('{' after white space) that does not parse. A body that is not JSON and does not open an object is not an error: JSONPath parameters are then omitted.",
		AWS:     "400 `Invalid JSON in request body` (LocalStack's parameter-mapping unit test, pmap-ls-invalid-json-body, whose comment notes AWS raises it only for bodies starting with '{', also for plain method.request.body). AWS's execution-log wording is not recorded.",
		Fix:     "Send valid JSON, or map the parameter from a header or query string instead of the body."},
	{Cause: ResponseBodyNotJSON, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Unable to parse the integration response body for response parameter mapping",
		Meaning: "An integration response's responseParameters map integration.response.body.JSONPath and the backend's body opens a JSON object ('{' after white space) that does not parse.",
		AWS:     "500 Internal server error (LocalStack: the response-side equivalent of pmap-ls-invalid-json-body); AWS's log wording is not recorded.",
		Fix:     "Make the backend answer valid JSON, or map the header from integration.response.header.NAME or a static value."},
	{Cause: UnsupportedMediaType, ResponseType: apigw.UnsupportedMediaType, Message: "Unsupported Media Type", Spaced: true,
		Meaning: "No request template matches the request's Content-Type and the integration's passthroughBehavior (NEVER, or WHEN_NO_TEMPLATES with templates defined) refuses to pass the body through.",
		AWS:     "UNSUPPORTED_MEDIA_TYPE, 415 (developer guide: integration-passthrough-behaviors; body wording from LocalStack).",
		Fix:     "Add a request template for the Content-Type clients send, or set passthroughBehavior to WHEN_NO_MATCH."},
	{Cause: IntegrationTimeout, ResponseType: apigw.IntegrationTimeout, Message: "Endpoint request timed out", Spaced: true,
		LogLine: "Execution failed due to a timeout error",
		Meaning: "The backend did not answer within the integration's timeoutInMillis (default 29000).",
		AWS:     "INTEGRATION_TIMEOUT, 504 `Endpoint request timed out` (Knowledge Center api-gateway-504-errors).",
		Fix:     "Make the backend answer faster, or raise timeoutInMillis on the integration (50 to 29000 ms on AWS)."},
	{Cause: UpstreamConnectRefused, ResponseType: apigw.IntegrationFailure, Status: 500, Message: msgISE, Spaced: true, LogLine: netLog,
		Meaning: "The backend host refused the TCP connection: nothing listens on that port.",
		AWS:     awsNetChoice, Fix: fixUnreachable},
	{Cause: UpstreamDNSFailure, ResponseType: apigw.IntegrationFailure, Status: 500, Message: msgISE, Spaced: true, LogLine: netLog,
		Meaning: "The backend host name in the integration URI does not resolve.",
		AWS:     awsNetChoice, Fix: "Fix the host name in the integration URI (or the stage variable that fills it), or make it resolvable from the gateway."},
	{Cause: UpstreamConnectTimeout, ResponseType: apigw.IntegrationFailure, Status: 500, Message: msgISE, Spaced: true, LogLine: netLog,
		Meaning: "The TCP connection to the backend could not be opened in time (packets dropped, host down).",
		AWS:     awsNetChoice, Fix: fixUnreachable},
	{Cause: UpstreamReset, ResponseType: apigw.IntegrationFailure, Status: 500, Message: msgISE, Spaced: true, LogLine: netLog,
		Meaning: "The backend closed or reset the connection before a complete response was read.",
		AWS:     awsNetChoice, Fix: "Look at the backend's logs for a crash or a proxy that drops connections; check its keep-alive timeout is longer than the gateway's idle timeout (90 s)."},
	{Cause: UpstreamBadResponse, ResponseType: apigw.IntegrationFailure, Status: 500, Message: msgISE, Spaced: true, LogLine: netLog,
		Meaning: "The backend answered with something that is not HTTP/1.x (garbage, TLS to a plain-HTTP URI, or the wrong protocol).",
		AWS:     awsNetChoice, Fix: "Check the scheme and port of the integration URI point at an HTTP server (http:// vs https://)."},
	{Cause: UpstreamTLSUntrusted, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target",
		Meaning: "The backend's certificate is self-signed or issued by a CA the gateway does not trust.",
		AWS:     "API_CONFIGURATION_ERROR, 500, with the Java PKIX message (Knowledge Center api-gateway-ssl-certificate-backend).",
		Fix:     fixTLSBackend},
	{Cause: UpstreamTLSExpired, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed",
		Meaning: "The backend's certificate has expired (or is not valid yet).",
		AWS:     "API_CONFIGURATION_ERROR, 500 (Knowledge Center api-gateway-ssl-certificate-backend).",
		Fix:     "Renew the backend's certificate. " + fixTLSBackend},
	{Cause: UpstreamTLSHostname, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Host name does not match the certificate subject provided by the peer",
		Meaning: "The backend's certificate does not name the host in the integration URI.",
		AWS:     "API_CONFIGURATION_ERROR, 500, `Host name 'x' does not match the certificate subject provided by the peer (CN=y)` (Knowledge Center api-gateway-500-error-vpc).",
		Fix:     "Use the host name the certificate was issued for in the integration URI, or reissue the certificate with that name."},
	{Cause: UpstreamTLSHandshake, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "General SSLEngine problem",
		Meaning: "The TLS handshake with the backend failed for another reason (protocol version, cipher, not TLS at all).",
		AWS:     "API_CONFIGURATION_ERROR, 500, `General SSLEngine problem` (Knowledge Center api-gateway-ssl-certificate-backend).",
		Fix:     "Check the backend speaks TLS 1.2 or later on that port, with a certificate chain the gateway can verify."},
	{Cause: NoMatchingIntegrationRsp, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "No match for output mapping and no default output mapping configured",
		Meaning: "No integration response's selectionPattern matched the backend status and no default integration response exists.",
		AWS:     "API_CONFIGURATION_ERROR, 500 (developer guide: handle-errors-in-lambda-integration).",
		Fix:     "Add a default integration response (responses.default), or a selectionPattern that matches the backend status."},
	{Cause: NoMatchingMethodResponse, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Output mapping refers to an invalid method response", LogDetail: true,
		Meaning: "The selected integration response's statusCode is not declared among the method's responses.",
		AWS:     "API_CONFIGURATION_ERROR, 500, `Output mapping refers to an invalid method response: <code>` (Knowledge Center api-gateway-internal-server-error).",
		Fix:     "Declare the status under the method's responses, or change the integration response's statusCode."},
	{Cause: ClientAborted, ResponseType: apigw.BadRequestBody, Status: 400, Message: "Invalid request body", Spaced: true,
		Meaning: "The client closed the connection, or sent a malformed body, before the gateway could answer (while it read the body or waited for the integration).",
		AWS:     "AWS does not document this; the client is usually gone and never sees the answer.",
		Fix:     "Nothing on the API side; check the client or network between client and gateway."},
	{Cause: LambdaUnhandledError, ResponseType: apigw.Default5XX, Status: 502, Message: msgISE, Spaced: true,
		LogLine: lambdaFnErrLog,
		Meaning: "The Lambda function of the integration returned an error or panicked (X-Amz-Function-Error: Unhandled)." + lambdaExplain,
		AWS:     awsLambdaFnErr,
		Fix:     "Read the function's log lines in the explanation and fix the handler; to send a chosen status on AWS_PROXY, return a proxy response with that statusCode instead of an error."},
	{Cause: LambdaTimeout, ResponseType: apigw.Default5XX, Status: 502, Message: msgISE, Spaced: true,
		LogLine: lambdaFnErrLog,
		Meaning: "The Lambda function ran past its own timeout and was killed (`Task timed out after N.NN seconds`) before the integration timeout elapsed." + lambdaExplain,
		AWS:     "A function timeout is a function error: " + awsLambdaFnErr + "(aws-errors.md rows 3a, 3b; non-proxy answers 200 with the error object unless a selectionPattern matches `.*Task timed out.*`).",
		Fix:     "Make the handler finish sooner, or raise the function's timeout (functions[].timeout, default 3s); keep it below the integration's timeoutInMillis."},
	{Cause: LambdaCrashed, ResponseType: apigw.Default5XX, Status: 502, Message: msgISE, Spaced: true,
		LogLine: lambdaFnErrLog,
		Meaning: "The Lambda function's process exited or crashed while it owed a response (Runtime.ExitError: os.Exit, a fatal signal, out of memory). The next invocation starts a new process." + lambdaExplain,
		AWS:     "Lambda reports Runtime.ExitError as a function error: " + awsLambdaFnErr,
		Fix:     "Find why the process exits in the function's last log lines (os.Exit, log.Fatal, a fatal runtime error) and return an error or a response instead."},
	{Cause: LambdaInitError, ResponseType: apigw.Default5XX, Status: 502, Message: msgISE, Spaced: true,
		LogLine: lambdaFnErrLog,
		Meaning: "The Lambda function failed during init: it exited or posted /init/error before asking for its first invocation, its init timed out, or its command cannot start." + lambdaExplain,
		AWS:     "Lambda reports a failed init (Runtime.ExitError, Runtime.InitError) as a function error: " + awsLambdaFnErr,
		Fix:     "Check the function's command, working directory and environment (functions[] in archway.yaml); its log shows why init failed."},
	{Cause: LambdaMalformedProxyResponse, ResponseType: apigw.Default5XX, Status: 502, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Malformed Lambda proxy response",
		Meaning: "The AWS_PROXY function returned something that is not a valid proxy response: not a JSON object, a key other than statusCode, headers, multiValueHeaders, body and isBase64Encoded, a non-numeric statusCode, a header value that is not a string or boolean, a multiValueHeaders value that is not a list, or a body that is not a string. The execution log names the offending key or value." + lambdaExplain,
		AWS:     "502 `{\"message\": \"Internal server error\"}` (recorded: err-lambda-proxy-multi-headers-invalid, err-lambda-proxy-invalid-status-code, lambda-proxy-response-assert-wrong-format), log `Execution failed due to configuration error: Malformed Lambda proxy response` (Knowledge Center malformed-502-api-gateway).",
		Fix:     "Return {\"statusCode\": 200, \"headers\": {...}, \"body\": \"<string>\"} (events.APIGatewayProxyResponse in aws-lambda-go); JSON-encode an object body into the body string."},
	{Cause: LambdaNotFound, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Invalid permissions on Lambda function",
		Meaning: "The integration URI names a Lambda function the local Lambda service does not have (ResourceNotFoundException), or a stage variable in the function name is undefined.",
		AWS:     awsInvokeReject,
		Fix:     "Declare the function (functions: in archway.yaml, or --function NAME=COMMAND), or fix the function name or stage variable in the integration URI."},
	{Cause: LambdaThrottled, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Invalid permissions on Lambda function",
		Meaning: "The Lambda service throttled the invoke (TooManyRequestsException, 429): the function's reserved concurrency, or the account concurrency shared by unreserved functions, is in use.",
		AWS:     "API Gateway does not retry; the rejected invoke is " + awsInvokeReject,
		Fix:     "Raise the function's reservedConcurrency (or remove it), make the function faster, or throttle clients at the stage or usage plan."},
	{Cause: LambdaInvokeRejected, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Invalid permissions on Lambda function",
		Meaning: "The Lambda service rejected the invoke for another reason: the payload is over 6 MB or not JSON (an AWS non-proxy request template that renders invalid JSON), or the local Lambda service is shutting down.",
		AWS:     awsInvokeReject,
		Fix:     "Make the request template render valid JSON under 6 MB; the explanation carries the Lambda error type and message."},
	{Cause: LambdaProxyMethodNotPost, ResponseType: apigw.IntegrationFailure, Status: 500, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Lambda proxy integrations must use httpMethod POST",
		Meaning: "The AWS_PROXY integration's httpMethod (the verb used to call Lambda's Invoke API) is not POST.",
		AWS:     "500 `{\"message\": \"Internal server error\"}` (recorded: err-lambda-proxy-non-post-integration-method; LocalStack classes it INTEGRATION_FAILURE, yet AWS answered 500, not 504). AWS's log wording is not recorded.",
		Fix:     "Set the integration's httpMethod to POST; the method request can still use any verb."},
	{Cause: InternalError, ResponseType: apigw.Default5XX, Status: 500, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Internal error",
		Meaning: "An unexpected error inside Archway (a bug); the request was answered as AWS answers internal failures and the error is logged with its stack.",
		AWS:     "AWS answers its own internal failures with 500 Internal server error.",
		Fix:     "Report it with the execution log and the x-amzn-RequestId of the request."},
}
