// Package apigw is the AWS API Gateway model: plain typed structs named as
// AWS names them, their defaults and their static validation. It performs no
// I/O and imports nothing else from Archway.
package apigw

import "encoding/json"

// IntegrationType is the kind of backend an Integration calls.
type IntegrationType string

// Integration types, as the AWS API spells them (OpenAPI exports use lower case).
const (
	IntegrationHTTP      IntegrationType = "HTTP"
	IntegrationHTTPProxy IntegrationType = "HTTP_PROXY"
	IntegrationAWS       IntegrationType = "AWS"
	IntegrationAWSProxy  IntegrationType = "AWS_PROXY"
	IntegrationMock      IntegrationType = "MOCK"
)

// PassthroughBehavior decides what happens to a request body for which no
// request template matches the Content-Type.
type PassthroughBehavior string

// Passthrough behaviours.
const (
	PassthroughWhenNoMatch     PassthroughBehavior = "WHEN_NO_MATCH"
	PassthroughWhenNoTemplates PassthroughBehavior = "WHEN_NO_TEMPLATES"
	PassthroughNever           PassthroughBehavior = "NEVER"
)

// DefaultTimeoutInMillis is the integration timeout AWS applies when none is set.
const DefaultTimeoutInMillis = 29000

// MaxPayloadBytes is the largest request payload API Gateway accepts (10 MB).
const MaxPayloadBytes = 10 * 1024 * 1024

// Pos is a place in a definition source file, for error messages.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String renders the position as file:line (or file:line:col).
func (p Pos) String() string {
	if p.File == "" && p.Line == 0 {
		return "<unknown>"
	}
	s := p.File
	if p.Line > 0 {
		s += ":" + itoa(p.Line)
		if p.Col > 0 {
			s += ":" + itoa(p.Col)
		}
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// RestAPI is a REST API (API Gateway v1) definition: its resources, methods
// and API-level settings.
type RestAPI struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version,omitempty"`
	// Resources are kept in definition order; Path is the full resource path.
	Resources []*Resource `json:"resources"`
	// BinaryMediaTypes lists media types treated as binary.
	BinaryMediaTypes []string `json:"binaryMediaTypes,omitempty"`
	// APIKeySource is HEADER (default) or AUTHORIZER.
	APIKeySource string `json:"apiKeySource,omitempty"`
	// MinimumCompressionSize is nil when compression is off.
	MinimumCompressionSize *int `json:"minimumCompressionSize,omitempty"`
	// EndpointConfiguration types: EDGE (default), REGIONAL, PRIVATE.
	EndpointConfiguration *EndpointConfiguration `json:"endpointConfiguration,omitempty"`
	// Policy is the resource policy document, kept as raw JSON.
	Policy string `json:"policy,omitempty"`
	// GatewayResponses keyed by response type (only the customised ones).
	GatewayResponses map[GatewayResponseType]*GatewayResponse `json:"gatewayResponses,omitempty"`
	// RequestValidators keyed by name.
	RequestValidators map[string]*RequestValidator `json:"requestValidators,omitempty"`
	// DefaultRequestValidator names the validator applied to methods that name none.
	DefaultRequestValidator string `json:"defaultRequestValidator,omitempty"`
	// Authorizers keyed by name.
	Authorizers map[string]*Authorizer `json:"authorizers,omitempty"`
	// Models keyed by name; the schema is raw JSON.
	Models map[string]*Model `json:"models,omitempty"`
	// Source is where the definition was read from.
	Source Pos `json:"-"`

	// BasePath is the base path the definition declares (Swagger basePath, or
	// the path of the first OpenAPI 3 server URL), e.g. /v1; empty for none.
	// AWS ignores it on import by default (basepath=ignore); it is kept so
	// that export is lossless.
	BasePath string `json:"basePath,omitempty"`
	// Documentation is x-amazon-apigateway-documentation, kept as raw JSON.
	Documentation string `json:"documentation,omitempty"`
	// ModelOrder keeps the definition order of Models' names.
	ModelOrder []string `json:"-"`
	// SecuritySchemes keeps every security scheme of the definition as raw
	// JSON, keyed by name, without its x-amazon-apigateway-authorizer and
	// x-amazon-apigateway-authtype (those live in Authorizers).
	SecuritySchemes map[string]json.RawMessage `json:"securitySchemes,omitempty"`
	// InfoExtra keeps the info keys other than title, description and
	// version (contact, license, termsOfService, x-*) as raw JSON.
	InfoExtra map[string]json.RawMessage `json:"infoExtra,omitempty"`
	// Extra keeps the top-level keys of the definition the gateway does not
	// interpret (tags, externalDocs, unknown extensions) as raw JSON, so that
	// export is lossless.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// EndpointConfiguration is x-amazon-apigateway-endpoint-configuration.
type EndpointConfiguration struct {
	Types                     []string `json:"types,omitempty"`
	VpcEndpointIDs            []string `json:"vpcEndpointIds,omitempty"`
	DisableExecuteAPIEndpoint bool     `json:"disableExecuteApiEndpoint,omitempty"`
}

// Resource is one path in the resource tree, with its methods.
type Resource struct {
	ID string `json:"id"`
	// Path is the full resource path, e.g. /pets/{petId}.
	Path string `json:"path"`
	// Methods keyed by HTTP method in upper case; "ANY" for x-amazon-apigateway-any-method.
	Methods map[string]*Method `json:"methods,omitempty"`
	Source  Pos                `json:"-"`
	// Extra keeps the path-item keys the gateway does not interpret
	// (summary, description, servers, unknown extensions) as raw JSON.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// Method is a resource method: its request contract, authorization and integration.
type Method struct {
	HTTPMethod          string   `json:"httpMethod"`
	AuthorizationType   string   `json:"authorizationType,omitempty"` // NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS
	AuthorizerID        string   `json:"authorizerId,omitempty"`
	AuthorizationScopes []string `json:"authorizationScopes,omitempty"`
	APIKeyRequired      bool     `json:"apiKeyRequired,omitempty"`
	OperationName       string   `json:"operationName,omitempty"`
	RequestValidatorID  string   `json:"requestValidatorId,omitempty"`
	// RequestParameters maps method.request.{header,querystring,path}.NAME to required.
	// RequestParameterOrder keeps the definition order of the keys.
	RequestParameters     map[string]bool `json:"requestParameters,omitempty"`
	RequestParameterOrder []string        `json:"-"`
	// RequestModels maps a content type to a model name.
	RequestModels map[string]string `json:"requestModels,omitempty"`
	// MethodResponses keyed by status code.
	MethodResponses map[string]*MethodResponse `json:"methodResponses,omitempty"`
	Integration     *Integration               `json:"methodIntegration,omitempty"`
	Source          Pos                        `json:"-"`
	// ParameterDocs keeps, per RequestParameters key, the rest of the OpenAPI
	// parameter in OpenAPI 3 form (description, schema, ...) as raw JSON.
	ParameterDocs map[string]json.RawMessage `json:"parameterDocs,omitempty"`
	// RequestBodyDoc keeps the OpenAPI 3 requestBody without its content
	// (description, required, ...) as raw JSON; empty when there is no body.
	RequestBodyDoc json.RawMessage `json:"requestBodyDoc,omitempty"`
	// Extra keeps the operation keys the gateway does not interpret (tags,
	// summary, description, externalDocs, unknown extensions) as raw JSON.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// MethodResponse declares a status a method may return and its headers and models.
type MethodResponse struct {
	StatusCode string `json:"statusCode"`
	// ResponseParameters maps method.response.header.NAME to required.
	ResponseParameters map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     map[string]string `json:"responseModels,omitempty"`
	// ResponseParameterOrder keeps the definition order of ResponseParameters' keys.
	ResponseParameterOrder []string `json:"-"`
	// Description is the OpenAPI response description.
	Description string `json:"description,omitempty"`
	// HeaderDocs keeps, per header name, the OpenAPI 3 header object
	// (description, schema, ...) as raw JSON.
	HeaderDocs map[string]json.RawMessage `json:"headerDocs,omitempty"`
}

// Integration is x-amazon-apigateway-integration: where and how the method calls its backend.
type Integration struct {
	Type                  IntegrationType     `json:"type"`
	HTTPMethod            string              `json:"httpMethod,omitempty"`
	URI                   string              `json:"uri,omitempty"`
	ConnectionType        string              `json:"connectionType,omitempty"` // INTERNET (default) or VPC_LINK
	ConnectionID          string              `json:"connectionId,omitempty"`
	Credentials           string              `json:"credentials,omitempty"`
	RequestParameters     map[string]string   `json:"requestParameters,omitempty"`
	RequestParameterOrder []string            `json:"-"`
	RequestTemplates      map[string]string   `json:"requestTemplates,omitempty"`
	PassthroughBehavior   PassthroughBehavior `json:"passthroughBehavior,omitempty"`
	ContentHandling       string              `json:"contentHandling,omitempty"`
	TimeoutInMillis       int                 `json:"timeoutInMillis,omitempty"`
	CacheNamespace        string              `json:"cacheNamespace,omitempty"`
	CacheKeyParameters    []string            `json:"cacheKeyParameters,omitempty"`
	// IntegrationResponses keyed by their key in the definition ("default" or the selection pattern).
	IntegrationResponses []*IntegrationResponse `json:"integrationResponses,omitempty"`
	TLSConfig            *TLSConfig             `json:"tlsConfig,omitempty"`
	Source               Pos                    `json:"-"`
	// Extra keeps the x-amazon-apigateway-integration keys the REST gateway
	// does not interpret (integrationSubtype, payloadFormatVersion, unknown
	// keys) as raw JSON.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// TLSConfig is the integration tlsConfig.
type TLSConfig struct {
	InsecureSkipVerification bool `json:"insecureSkipVerification,omitempty"`
}

// IntegrationResponse maps a backend response, selected by SelectionPattern, to a method response.
type IntegrationResponse struct {
	// Key is the key in the OpenAPI responses map ("default" or a regex).
	Key              string `json:"-"`
	StatusCode       string `json:"statusCode"`
	SelectionPattern string `json:"selectionPattern,omitempty"`
	// ResponseParameters maps method.response.header.NAME to an expression.
	ResponseParameters     map[string]string `json:"responseParameters,omitempty"`
	ResponseParameterOrder []string          `json:"-"`
	ResponseTemplates      map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling        string            `json:"contentHandling,omitempty"`
}

// IsDefault reports whether the response is the default (no selection pattern).
func (r *IntegrationResponse) IsDefault() bool {
	return r.SelectionPattern == "" || r.SelectionPattern == ".*"
}

// RequestValidator is one entry of x-amazon-apigateway-request-validators.
type RequestValidator struct {
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

// Model is a named JSON Schema (draft-04).
type Model struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType,omitempty"`
	Schema      string `json:"schema,omitempty"`
}

// Authorizer is x-amazon-apigateway-authorizer (kept for later issues; loaded and exported).
type Authorizer struct {
	Name                         string   `json:"name"`
	Type                         string   `json:"type"` // TOKEN, REQUEST, COGNITO_USER_POOLS
	AuthType                     string   `json:"authType,omitempty"`
	AuthorizerURI                string   `json:"authorizerUri,omitempty"`
	AuthorizerCredentials        string   `json:"authorizerCredentials,omitempty"`
	IdentitySource               string   `json:"identitySource,omitempty"`
	IdentityValidationExpression string   `json:"identityValidationExpression,omitempty"`
	AuthorizerResultTTLInSeconds *int     `json:"authorizerResultTtlInSeconds,omitempty"`
	ProviderARNs                 []string `json:"providerARNs,omitempty"`
	// Raw keeps the whole extension object so export is lossless.
	Raw map[string]any `json:"-"`
}

// Stage is a named deployment target with stage variables and settings.
type Stage struct {
	Name      string            `json:"stageName"`
	Variables map[string]string `json:"variables,omitempty"`
	// LoggingLevel for execution logs: OFF (default), ERROR or INFO.
	LoggingLevel string `json:"loggingLevel,omitempty"`
	// DataTraceEnabled logs full request and response bodies and headers.
	DataTraceEnabled bool `json:"dataTraceEnabled,omitempty"`
	// AccessLogFormat is the $context format of access log lines; empty means off.
	AccessLogFormat string `json:"accessLogFormat,omitempty"`
	// Debug adds the x-archway-cause header to error responses.
	Debug bool `json:"debug,omitempty"`
}
