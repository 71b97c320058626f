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
	LambdaPermissionDenied       Cause = "LAMBDA_PERMISSION_DENIED"
	LambdaProxyMethodNotPost     Cause = "LAMBDA_PROXY_METHOD_NOT_POST"
	InternalError                Cause = "INTERNAL_ERROR"

	AuthorizerUnauthorized    Cause = "AUTHORIZER_UNAUTHORIZED"
	AuthorizerIdentityMissing Cause = "AUTHORIZER_IDENTITY_MISSING"
	AuthorizerIdentityInvalid Cause = "AUTHORIZER_IDENTITY_INVALID"
	AuthorizerDenied          Cause = "AUTHORIZER_DENIED"
	AuthorizerNotAllowed      Cause = "AUTHORIZER_NOT_ALLOWED"
	AuthorizerError           Cause = "AUTHORIZER_ERROR"
	AuthorizerTimeout         Cause = "AUTHORIZER_TIMEOUT"
	AuthorizerInvalidResponse Cause = "AUTHORIZER_INVALID_RESPONSE"
	AuthorizerInvokeFailed    Cause = "AUTHORIZER_INVOKE_FAILED"
	AuthorizerNotConfigured   Cause = "AUTHORIZER_NOT_CONFIGURED"
	IAMNotConfigured          Cause = "IAM_NOT_CONFIGURED"
	JWTMissing                Cause = "JWT_MISSING"
	JWTMalformed              Cause = "JWT_MALFORMED"
	JWTExpired                Cause = "JWT_EXPIRED"
	JWTBadSignature           Cause = "JWT_BAD_SIGNATURE"
	JWTUnknownKey             Cause = "JWT_UNKNOWN_KEY"
	JWTWrongIssuer            Cause = "JWT_WRONG_ISSUER"
	JWTWrongAudience          Cause = "JWT_WRONG_AUDIENCE"
	JWTWrongTokenUse          Cause = "JWT_WRONG_TOKEN_USE"
	JWTMissingScope           Cause = "JWT_MISSING_SCOPE"
	JWKSUnavailable           Cause = "JWKS_UNAVAILABLE"

	// API keys, usage plans, throttling and quotas (internal/gateway/usageplan).
	APIKeyMissing      Cause = "API_KEY_MISSING"
	APIKeyUnknown      Cause = "API_KEY_UNKNOWN"
	APIKeyDisabled     Cause = "API_KEY_DISABLED"
	APIKeyNotInPlan    Cause = "API_KEY_NOT_IN_USAGE_PLAN"
	ThrottledUsagePlan Cause = "THROTTLED_USAGE_PLAN"
	ThrottledStage     Cause = "THROTTLED_STAGE"
	ThrottledAccount   Cause = "THROTTLED_ACCOUNT"
	QuotaExceeded      Cause = "QUOTA_EXCEEDED"
	LimiterUnavailable Cause = "LIMITER_UNAVAILABLE"
)

// AWS_IAM authorization (internal/gateway/authorizer/iam).
const (
	IAMSignatureMissing    Cause = "IAM_SIGNATURE_MISSING"
	IAMSignatureMalformed  Cause = "IAM_SIGNATURE_MALFORMED"
	IAMCredentialScope     Cause = "IAM_CREDENTIAL_SCOPE"
	IAMSignatureExpired    Cause = "IAM_SIGNATURE_EXPIRED"
	IAMUnknownAccessKey    Cause = "IAM_UNKNOWN_ACCESS_KEY"
	IAMSessionTokenInvalid Cause = "IAM_SESSION_TOKEN_INVALID"
	IAMSignatureMismatch   Cause = "IAM_SIGNATURE_MISMATCH"
	IAMNotAuthorized       Cause = "IAM_NOT_AUTHORIZED"
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
	{Cause: LambdaPermissionDenied, ResponseType: apigw.APIConfigurationError, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Invalid permissions on Lambda function",
		Meaning: "The function's resource-based policy (permissions in archway.yaml) has no statement that lets apigateway.amazonaws.com invoke it from this API, stage, method and resource path; or lambda.strictPermissions is on and the function has no matching permission.",
		AWS:     "500 `{\"message\": \"Internal server error\"}` with `Execution failed due to configuration error: Invalid permissions on Lambda function` after `Sending request to https://lambda...` (aws-errors.md §5; Knowledge Center api-gateway-rest-api-lambda-integrations). Lambda itself answers AccessDeniedException (403). The same 500 appears when the SourceArn of the permission does not cover the stage or the method (ANY methods are `*` in the ARN).",
		Fix:     "Run the `aws lambda add-permission ... --source-arn 'arn:aws:execute-api:...'` command in the explanation (or add the same statement under the function's permissions in archway.yaml); widen with * for every stage (`/*/GET/path`) or method."},
	{Cause: LambdaProxyMethodNotPost, ResponseType: apigw.IntegrationFailure, Status: 500, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Lambda proxy integrations must use httpMethod POST",
		Meaning: "The AWS_PROXY integration's httpMethod (the verb used to call Lambda's Invoke API) is not POST.",
		AWS:     "500 `{\"message\": \"Internal server error\"}` (recorded: err-lambda-proxy-non-post-integration-method; LocalStack classes it INTEGRATION_FAILURE, yet AWS answered 500, not 504). AWS's log wording is not recorded.",
		Fix:     "Set the integration's httpMethod to POST; the method request can still use any verb."},
	{Cause: AuthorizerUnauthorized, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The Lambda authorizer answered \"Unauthorized\" (it threw or returned an error whose message is exactly Unauthorized).",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (UNAUTHORIZED; aws-errors.md 6a, developer guide apigateway-use-lambda-authorizer); execution log `Unauthorized request: <request id>`.",
		Fix:     "Send a credential the authorizer accepts; the explanation names the authorizer, its function and the Lambda request id, whose log says why it refused."},
	{Cause: AuthorizerIdentityMissing, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "An identity source of the authorizer is missing or empty in the request (a TOKEN authorizer's header; a REQUEST authorizer's sources when its result is cached), so the function was not invoked.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` without invoking the function (aws-errors.md 6a; developer guide configure-api-gateway-lambda-authorization-with-console).",
		Fix:     "Send every identity source the authorizer names (identitySource), e.g. the Authorization header; the explanation lists which one is missing."},
	{Cause: AuthorizerIdentityInvalid, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The TOKEN authorizer's token does not match its identityValidationExpression, so the function was not invoked.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` without invoking the function (aws-errors.md 6a).",
		Fix:     "Send a token that matches identityValidationExpression (the whole token must match), or correct the expression."},
	{Cause: AuthorizerDenied, ResponseType: apigw.AccessDenied, Message: "User is not authorized to access this resource with an explicit deny", MessageKey: "Message",
		Meaning: "The authorizer's policy has a Deny statement that covers this method ARN (an explicit Deny wins over every Allow).",
		AWS:     "403 `{\"Message\":\"User is not authorized to access this resource with an explicit deny\"}` with capital M while ACCESS_DENIED is not customised (aws-errors.md 6b). AWS's execution-log wording after `Successfully completed authorizer execution` is not recorded; Archway logs the client message.",
		Fix:     "Change the policy the authorizer returns, or the caller's rights; the explanation names the Deny statement's resource and the method ARN."},
	{Cause: AuthorizerNotAllowed, ResponseType: apigw.AccessDenied, Message: "User is not authorized to access this resource", MessageKey: "Message",
		Meaning: "No Allow statement of the authorizer's policy covers this method ARN (implicit deny). With caching, a policy cached for one method is reused for every method of the API that shares the identity.",
		AWS:     "403 `{\"Message\":\"User is not authorized to access this resource\"}` (aws-errors.md 6c; Knowledge Center api-gateway-403-error-lambda-authorizer: with caching on, return a policy covering every method, or set the TTL to 0).",
		Fix:     "Return an Allow for `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>` (wildcards allowed, e.g. `.../*/*`), or set authorizerResultTtlInSeconds to 0."},
	{Cause: AuthorizerError, ResponseType: apigw.AuthorizerConfigurationError, Message: "", Null: true, Spaced: true,
		LogLine: configErrPrefix + "Authorizer error",
		Meaning: "The authorizer function threw (returned a function error) with a message other than Unauthorized, or crashed.",
		AWS:     "500 `{\"message\": null}` (AUTHORIZER_CONFIGURATION_ERROR; aws-errors.md 6d). AWS parses the error object as the authorizer result and logs `Execution failed due to configuration error: Invalid JSON in response: Unrecognized field \"errorMessage\" , not marked as ignorable`, then `AuthorizerConfigurationException`.",
		Fix:     "Fix the authorizer function (the explanation names it, its Lambda request id and its last log lines); throw exactly \"Unauthorized\" to answer 401."},
	{Cause: AuthorizerTimeout, ResponseType: apigw.AuthorizerConfigurationError, Message: "", Null: true, Spaced: true,
		LogLine: configErrPrefix + "Authorizer error",
		Meaning: "The authorizer function ran past its timeout (or the gateway's authorizer timeout of 29 s) and gave no result.",
		AWS:     "500 `{\"message\": null}` (aws-errors.md 6d: authorizer timeout; third-party reports).",
		Fix:     "Make the authorizer faster (cache keys and JWKS outside the handler) or raise its function timeout."},
	{Cause: AuthorizerInvalidResponse, ResponseType: apigw.AuthorizerConfigurationError, Message: "", Null: true, Spaced: true,
		LogLine: configErrPrefix + "Authorizer error",
		Meaning: "The authorizer returned something that is not a valid authorizer result: not a JSON object, an unknown top-level field, no policyDocument, a statement without Effect/Action/Resource, an Effect other than Allow or Deny, or a context value that is an object or array.",
		AWS:     "500 `{\"message\": null}` (aws-errors.md 6d; developer guide api-gateway-lambda-authorizer-output: context values must be strings, numbers or booleans). AWS logs `Invalid JSON in response: ...` for unparsable output.",
		Fix:     "Return {\"principalId\", \"policyDocument\": {\"Version\", \"Statement\": [...]}, \"context\": {flat values}}; the explanation says which part is wrong."},
	{Cause: AuthorizerInvokeFailed, ResponseType: apigw.AuthorizerConfigurationError, Message: "", Null: true, Spaced: true,
		LogLine: configErrPrefix + "Authorizer error",
		Meaning: "The authorizer function could not be invoked: it is not declared, its authorizerUri is not a Lambda invocation URI, the Lambda service throttled or rejected the invoke, or its permissions do not let this API invoke it.",
		AWS:     "500 `{\"message\": null}`, with `Execution failed due to configuration error: Invalid permissions on Lambda function` before `Authorizer error` for permission problems (aws-errors.md 6d; Knowledge Center api-gateway-rest-api-lambda-integrations).",
		Fix:     "Declare the function (functions: in archway.yaml or --function NAME=COMMAND), fix authorizerUri, or grant the API permission to invoke it."},
	{Cause: AuthorizerNotConfigured, ResponseType: apigw.AuthorizerConfigurationError, Message: "", Null: true, Spaced: true,
		LogLine: configErrPrefix + "Authorizer error",
		Meaning: "The method names an authorizer the API does not define, or one whose type Archway does not serve.",
		AWS:     "AWS refuses to deploy such an API (BadRequestException); Archway serves the other methods and answers this one as an authorizer configuration error (500 `{\"message\": null}`).",
		Fix:     "Define the authorizer under securitySchemes / securityDefinitions with x-amazon-apigateway-authorizer, or fix the method's security requirement."},
	{Cause: IAMNotConfigured, ResponseType: apigw.AuthorizerConfigurationError, Message: "", Null: true, Spaced: true,
		LogLine: configErrPrefix + "Authorizer error",
		Meaning: "The method uses AWS_IAM authorization but this gateway has no SigV4 verifier configured, so it cannot check the caller.",
		AWS:     "No AWS equivalent: AWS always verifies SigV4. Archway refuses the request rather than let it through unchecked.",
		Fix:     "Configure IAM credentials and policies in archway.yaml (see docs/configuration.md), or remove x-amazon-apigateway-authtype awsSigv4 from the method."},
	{Cause: JWTMissing, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The Cognito user-pool authorizer's token header (identitySource) is missing or empty.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e).",
		Fix:     "Send the user pool's token in the header the authorizer names (default Authorization), with or without the Bearer prefix."},
	{Cause: JWTMalformed, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The token is not a readable JWT (three base64url parts with a JSON header and payload), or uses an algorithm other than RS256/ES256 family signatures.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e).",
		Fix:     "Send the ID or access token the user pool issued, unchanged."},
	{Cause: JWTExpired, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The token's exp is in the past (or nbf in the future).",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e: token invalid or expired).",
		Fix:     "Refresh the token (Cognito tokens last one hour by default)."},
	{Cause: JWTBadSignature, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The token's signature does not verify with the user pool key its kid names.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e).",
		Fix:     "Send a token the user pool signed; a token edited or signed by another issuer never verifies."},
	{Cause: JWTUnknownKey, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The token's kid names no key of the user pool's JWKS, even after fetching the JWKS again.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e).",
		Fix:     "Check that the token comes from the user pool in the authorizer's providerARNs, and that the JWKS URL (cognito: in archway.yaml) serves its keys."},
	{Cause: JWTWrongIssuer, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The token's iss is not the issuer of any user pool in the authorizer's providerARNs (https://cognito-idp.<region>.amazonaws.com/<poolId>, or the issuer set in archway.yaml).",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e).",
		Fix:     "Send a token of one of the authorizer's user pools, or add the pool to providerARNs."},
	{Cause: JWTWrongAudience, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The token's audience (aud of an ID token, client_id of an access token) is not one of the app clients configured for the user pool.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e; AWS accepts only tokens of the pool's app clients).",
		Fix:     "Send a token issued to one of the clientIds listed for the pool under cognito: in archway.yaml, or add the client id there."},
	{Cause: JWTWrongTokenUse, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The token's token_use does not fit the method: a method without authorizationScopes takes an ID token, a method with scopes takes an access token.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (developer guide apigateway-enable-cognito-user-pool: ID token without scopes, access token with scopes).",
		Fix:     "Send the ID token, or the access token when the method lists authorizationScopes."},
	{Cause: JWTMissingScope, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The access token's scope claim holds none of the method's authorizationScopes.",
		AWS:     "401 `{\"message\":\"Unauthorized\"}` (aws-errors.md 6e).",
		Fix:     "Request one of the method's scopes when obtaining the token, or change the method's authorizationScopes."},
	{Cause: JWKSUnavailable, ResponseType: apigw.Unauthorized, Message: "Unauthorized",
		Meaning: "The user pool's JWKS could not be fetched (unreachable, not JSON, no usable keys), so no token can be verified.",
		AWS:     "No recorded AWS equivalent (AWS's own user-pool keys are always reachable); Archway answers 401 as for any token it cannot verify.",
		Fix:     "Check the jwksUrl of the pool under cognito: in archway.yaml (default https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/jwks.json) and that it is reachable."},
	{Cause: IAMSignatureMissing, ResponseType: apigw.MissingAuthenticationToken, Message: "Missing Authentication Token",
		Meaning: "The method's authorizationType is AWS_IAM and the request carries no SigV4 signature: no Authorization header and no X-Amz-Algorithm query parameter.",
		AWS:     "MISSING_AUTHENTICATION_TOKEN, 403 `{\"message\":\"Missing Authentication Token\"}` (Knowledge Center api-gateway-iam-sigv4-mismatch: \"If the API request isn't signed, then you receive ... Missing Authentication Token\"; aws-errors.md row 10).",
		Fix:     "Sign the request with SigV4 for service execute-api (an AWS SDK signer, `aws-sigv4` in curl, awscurl), using an access key declared under iam.users in archway.yaml."},
	{Cause: IAMSignatureMalformed, ResponseType: apigw.InvalidSignature, Message: "Invalid signature",
		Meaning: "The request says it is SigV4-signed but the signature cannot be read: an Authorization header that is not AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature (a bearer token, for instance), no X-Amz-Date, a credential without five parts, or presigned query parameters missing or out of range. The client message says which.",
		AWS:     "403 with AWS's IncompleteSignatureException wording (`Authorization header requires 'Credential' parameter. ... Authorization=...`, `Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '...'.`, reported by users). AWS sends x-amzn-ErrorType IncompleteSignatureException, which no gateway response type carries; Archway answers through INVALID_SIGNATURE (x-amzn-ErrorType InvalidSignatureException) so that the response stays customisable.",
		Fix:     "Send `Authorization: AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=...` with an X-Amz-Date header, or a complete presigned URL; bearer tokens belong to Lambda or Cognito authorizers, not AWS_IAM methods."},
	{Cause: IAMCredentialScope, ResponseType: apigw.InvalidSignature, Message: "Invalid credential scope",
		Meaning: "The credential scope of the signature names another region than the API's, another service than execute-api, another terminator than aws4_request, or a day other than X-Amz-Date's.",
		AWS:     "INVALID_SIGNATURE, 403 with AWS's concatenated scope messages, e.g. `Credential should be scoped to a valid region, not 'us-east-1'. Credential should be scoped to correct service: 'execute-api'. ` (reported against API Gateway custom domains, Kong/insomnia#830).",
		Fix:     "Sign for service execute-api and the region of the method ARN (the execution log names it; us-east-1 by default)."},
	{Cause: IAMSignatureExpired, ResponseType: apigw.InvalidSignature, Message: "Signature expired",
		Meaning: "The signature's X-Amz-Date is more than 5 minutes from the gateway's clock, or a presigned URL is past X-Amz-Date + X-Amz-Expires.",
		AWS:     "403 `{\"message\":\"Signature expired: 20170212T175938Z is now earlier than 20170215T145534Z (20170215T150034Z - 5 min.)\"}` with x-amzn-ErrorType InvalidSignatureException (Knowledge Center api-gateway-troubleshoot-403-forbidden; aws-sdk-android#253), so INVALID_SIGNATURE, not EXPIRED_TOKEN. A date in the future answers `Signature not yet current: ... is still later than ... (... + 5 min.)`. AWS's wording for an expired presigned URL on execute-api is not recorded; Archway uses the same shape with the URL's own window.",
		Fix:     "Sign each request when it is sent (do not reuse a signed request), keep the client's clock in sync (NTP), and give presigned URLs an X-Amz-Expires that covers their use."},
	{Cause: IAMUnknownAccessKey, ResponseType: apigw.AccessDenied, Message: "The security token included in the request is invalid.",
		Meaning: "The access key id in the signature's credential is not declared under iam.users in archway.yaml.",
		AWS:     "ACCESS_DENIED, 403 `{\"message\":\"The security token included in the request is invalid.\"}` with x-amzn-ErrorType AccessDeniedException (Knowledge Center api-gateway-troubleshoot-403-forbidden: \"The caller used IAM keys that aren't valid\").",
		Fix:     "Sign with an access key listed under iam.users (check for stray whitespace or a newline in the key id), or add the user to archway.yaml."},
	{Cause: IAMSessionTokenInvalid, ResponseType: apigw.AccessDenied, Message: "The security token included in the request is invalid.",
		Meaning: "The access key is a session credential (sessionToken in archway.yaml) and the request's X-Amz-Security-Token is missing or different, or the key is a long-term key and the request carries a token.",
		AWS:     "ACCESS_DENIED, 403 `{\"message\":\"The security token included in the request is invalid.\"}`, as for an unknown key (a missing or wrong X-Amz-Security-Token is reported with this message, e.g. kndt84/aws-api-gateway-client#31).",
		Fix:     "Send the user's sessionToken as X-Amz-Security-Token (header, or query parameter of a presigned URL), and only for keys that have one."},
	{Cause: IAMSignatureMismatch, ResponseType: apigw.InvalidSignature, Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
		Meaning: "The signature is well formed and from a known key, but the gateway's signature over the request, rebuilt from the headers the client named in SignedHeaders, differs: a wrong secret key, or a request changed after signing (path, query, a signed header, the body). The client message and the execution log give the canonical request and string-to-sign the gateway computed (never the secret).",
		AWS:     "INVALID_SIGNATURE, 403 with x-amzn-ErrorType InvalidSignatureException and `{\"message\":\"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\\n\\nThe Canonical String for this request should have been\\n'...'\\n\\nThe String-to-Sign should have been\\n'...'\\n\"}` (Knowledge Center api-gateway-iam-sigv4-mismatch; the canonical-string form quoted by Broadcom KB 186297).",
		Fix:     "Compare the canonical request in the response (or execution log) with the one your client signed: the secret must belong to the access key, the path must include the stage, and nothing the client signed may change on the way (proxies rewriting Host or the path, a body re-encoded after signing)."},
	{Cause: IAMNotAuthorized, ResponseType: apigw.AccessDenied, Message: "User is not authorized to perform: execute-api:Invoke", MessageKey: "Message",
		Meaning: "The signature is valid, but the user's identity policies (iam.users[].policies) either do not allow execute-api:Invoke on the method ARN, or explicitly deny it.",
		AWS:     "ACCESS_DENIED, 403 with x-amzn-ErrorType AccessDeniedException and `{\"Message\":\"User: arn:aws:iam::ACCOUNT:user/NAME is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:REGION:********NNNN:API/STAGE/VERB/PATH because no identity-based policy allows the execute-api:Invoke action\"}`, or `... with an explicit deny in an identity-based policy` (Knowledge Center api-gateway-iam-sigv4-mismatch and api-gateway-troubleshoot-403-forbidden; the masked account and the capital M are what users report for IAM denials, e.g. ASFHyP3/hyp3#2283).",
		Fix:     "Add a statement with Effect Allow, Action execute-api:Invoke and a Resource matching the method ARN (arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH, wildcards * and ?) to the user's policies, or remove the Deny that matches it."},
	{Cause: InternalError, ResponseType: apigw.Default5XX, Status: 500, Message: msgISE, Spaced: true,
		LogLine: configErrPrefix + "Internal error",
		Meaning: "An unexpected error inside Archway (a bug); the request was answered as AWS answers internal failures and the error is logged with its stack.",
		AWS:     "AWS answers its own internal failures with 500 Internal server error.",
		Fix:     "Report it with the execution log and the x-amzn-RequestId of the request."},
	{Cause: APIKeyMissing, ResponseType: apigw.InvalidAPIKey, Message: "Forbidden",
		Meaning: "The method requires an API key (apiKeyRequired) and the request has none: no x-api-key header (apiKeySource HEADER), or no usageIdentifierKey from the authorizer (apiKeySource AUTHORIZER).",
		AWS:     awsInvalidKey,
		Fix:     "Send the key in the x-api-key header (`archway keys create` prints a value once), or make the authorizer return usageIdentifierKey."},
	{Cause: APIKeyUnknown, ResponseType: apigw.InvalidAPIKey, Message: "Forbidden",
		Meaning: "The request's API key matches no key in the store (keys are compared by SHA-256 digest; the log shows the masked value).",
		AWS:     awsInvalidKey,
		Fix:     "Check the value against `archway keys list` (masked values), or create the key; servers pick up store changes within a second."},
	{Cause: APIKeyDisabled, ResponseType: apigw.InvalidAPIKey, Message: "Forbidden",
		Meaning: "The request's API key exists but is disabled.",
		AWS:     awsInvalidKey,
		Fix:     "Enable it with `archway keys enable <id>`, or use another key."},
	{Cause: APIKeyNotInPlan, ResponseType: apigw.InvalidAPIKey, Message: "Forbidden",
		Meaning: "The request's API key is enabled but in no usage plan that covers this API stage.",
		AWS:     awsInvalidKey,
		Fix:     "Add the key to a usage plan whose apiStages list this API and stage: `archway usage-plans add-key <plan> <key>`."},
	{Cause: ThrottledUsagePlan, ResponseType: apigw.Throttled, Message: "Too Many Requests",
		Meaning: "The API key's usage-plan bucket (the plan's throttle, or its per-method override for this API stage) is empty: more requests than rateLimit per second beyond burstLimit.",
		AWS:     awsThrottle,
		Fix:     "Slow the client down (retry with backoff), or raise the usage plan's throttle (`archway usage-plans create --rate --burst`, or a per-method throttle in apiStages)."},
	{Cause: ThrottledStage, ResponseType: apigw.Throttled, Message: "Too Many Requests",
		Meaning: "The method's stage bucket is empty: the stage's throttle or its methodSettings entry for this method (per method, all callers together) allows fewer requests.",
		AWS:     awsThrottle,
		Fix:     "Raise throttle or methodSettings.\"/path/VERB\".throttlingRateLimit/throttlingBurstLimit of the stage in archway.yaml, or slow the clients down."},
	{Cause: ThrottledAccount, ResponseType: apigw.Throttled, Message: "Too Many Requests",
		Meaning: "The account-level bucket shared by every API and stage of the gateway is empty (AWS default 10000 requests per second, burst 5000).",
		AWS:     awsThrottle,
		Fix:     "Raise limits.account.rateLimit/burstLimit in archway.yaml (AWS raises it through Service Quotas)."},
	{Cause: QuotaExceeded, ResponseType: apigw.QuotaExceeded, Message: "Limit Exceeded",
		Meaning: "The API key has used its usage plan's quota for the current period (DAY, WEEK or MONTH, UTC).",
		AWS:     "QUOTA_EXCEEDED, 429 `{\"message\":\"Limit Exceeded\"}`; log `API Key **** exceeded quota limit for API Stage <api>/<stage>: Key quota exhausted for Usage Plan ID <id>. Q Limit: 500 Period: DAY` (Knowledge Center api-gateway-429-limit).",
		Fix:     "Wait for the next period, raise the plan's quota, or see usage with `archway usage-plans usage <plan>`."},
	{Cause: LimiterUnavailable, ResponseType: apigw.Throttled, Message: "Too Many Requests",
		Meaning: "The shared limiter backend (Redis) could not be reached and the stage fails closed (limitsFailureMode: closed): the request was refused rather than let through unmetered. With limitsFailureMode open (the default) the request passes and only the server log and limit.Stats() count it. The same code marks the server-log line (at most one a second) and the execution-record note of requests whose authorizer result could not be read from the Redis authorizer cache: those always pass to the authorizer function, whatever the failure mode, and authorizer.CacheStats().Fallbacks counts them (docs/authorizers.md).",
		AWS:     "AWS has no equivalent: its throttling store is internal. Archway answers as THROTTLED so that clients back off and retry.",
		Fix:     "Bring back the Redis server of limits.redis.addr (check `redis-cli -h HOST -p PORT ping`), or set limitsFailureMode: open on the stage."},
}

const (
	awsInvalidKey = "INVALID_API_KEY, 403 `{\"message\":\"Forbidden\"}` for a missing, unknown, disabled or not-in-plan key (aws-errors.md row 9; status asserted by AWS-validated tests, body widely reported)."
	awsThrottle   = "THROTTLED, 429 `{\"message\":\"Too Many Requests\"}`, checked per client (usage plan), then stage/method, then account (API Gateway request-throttling guide). Usage-plan log: `API Key **** exceeded throttle limit for API Stage <api>/<stage>: Key throttle limit exceeded for Usage Plan ID <id>, RestApi <api>, Stage <stage>, Resource <res>, HttpMethod GET. Limit: 5.00 Burst: 10` (Knowledge Center api-gateway-429-limit); AWS documents no line for stage and account throttles, Archway writes its own in the same shape."
)
