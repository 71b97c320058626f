package apigw

// GatewayResponseType names a class of response API Gateway itself generates.
type GatewayResponseType string

// The gateway response types AWS defines.
const (
	AccessDenied                 GatewayResponseType = "ACCESS_DENIED"
	APIConfigurationError        GatewayResponseType = "API_CONFIGURATION_ERROR"
	AuthorizerConfigurationError GatewayResponseType = "AUTHORIZER_CONFIGURATION_ERROR"
	AuthorizerFailure            GatewayResponseType = "AUTHORIZER_FAILURE"
	BadRequestParameters         GatewayResponseType = "BAD_REQUEST_PARAMETERS"
	BadRequestBody               GatewayResponseType = "BAD_REQUEST_BODY"
	Default4XX                   GatewayResponseType = "DEFAULT_4XX"
	Default5XX                   GatewayResponseType = "DEFAULT_5XX"
	ExpiredToken                 GatewayResponseType = "EXPIRED_TOKEN"
	IntegrationFailure           GatewayResponseType = "INTEGRATION_FAILURE"
	IntegrationTimeout           GatewayResponseType = "INTEGRATION_TIMEOUT"
	InvalidAPIKey                GatewayResponseType = "INVALID_API_KEY"
	InvalidSignature             GatewayResponseType = "INVALID_SIGNATURE"
	MissingAuthenticationToken   GatewayResponseType = "MISSING_AUTHENTICATION_TOKEN"
	QuotaExceeded                GatewayResponseType = "QUOTA_EXCEEDED"
	RequestTooLarge              GatewayResponseType = "REQUEST_TOO_LARGE"
	ResourceNotFound             GatewayResponseType = "RESOURCE_NOT_FOUND"
	Throttled                    GatewayResponseType = "THROTTLED"
	Unauthorized                 GatewayResponseType = "UNAUTHORIZED"
	UnsupportedMediaType         GatewayResponseType = "UNSUPPORTED_MEDIA_TYPE"
	WAFFiltered                  GatewayResponseType = "WAF_FILTERED"
)

// GatewayResponse is a gateway response definition (x-amazon-apigateway-gateway-responses).
type GatewayResponse struct {
	ResponseType GatewayResponseType `json:"responseType"`
	// StatusCode is empty for DEFAULT_4XX/DEFAULT_5XX unless customised.
	StatusCode string `json:"statusCode,omitempty"`
	// ResponseParameters maps gatewayresponse.header.NAME to an expression.
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	// DefaultResponse is true when the values are AWS's defaults (or inherited from DEFAULT_4XX/5XX).
	DefaultResponse bool `json:"defaultResponse"`
}

// DefaultGatewayResponseTemplate is the body template of every default gateway response.
const DefaultGatewayResponseTemplate = `{"message":$context.error.messageString}`

// GatewayResponseInfo is what AWS fixes for a response type: its default status,
// the family it inherits from and the x-amzn-ErrorType header it carries.
type GatewayResponseInfo struct {
	Type          GatewayResponseType
	DefaultStatus string // "" for DEFAULT_4XX/5XX
	Parent        GatewayResponseType
	ErrorType     string
}

// GatewayResponseTypes lists every type in the order AWS lists them (alphabetical).
var GatewayResponseTypes = []GatewayResponseInfo{
	{AccessDenied, "403", Default4XX, "AccessDeniedException"},
	{APIConfigurationError, "500", Default5XX, "InternalServerErrorException"},
	{AuthorizerConfigurationError, "500", Default5XX, "AuthorizerConfigurationException"},
	{AuthorizerFailure, "500", Default5XX, "AuthorizerFailureException"},
	{BadRequestBody, "400", Default4XX, "BadRequestException"},
	{BadRequestParameters, "400", Default4XX, "BadRequestException"},
	{Default4XX, "", "", ""},
	{Default5XX, "", "", ""},
	{ExpiredToken, "403", Default4XX, "ExpiredTokenException"},
	{IntegrationFailure, "504", Default5XX, "InternalServerErrorException"},
	{IntegrationTimeout, "504", Default5XX, "InternalServerErrorException"},
	{InvalidAPIKey, "403", Default4XX, "ForbiddenException"},
	{InvalidSignature, "403", Default4XX, "InvalidSignatureException"},
	{MissingAuthenticationToken, "403", Default4XX, "MissingAuthenticationTokenException"},
	{QuotaExceeded, "429", Default4XX, "LimitExceededException"},
	{RequestTooLarge, "413", Default4XX, "RequestTooLargeException"},
	{ResourceNotFound, "404", Default4XX, "ResourceNotFoundException"},
	{Throttled, "429", Default4XX, "TooManyRequestsException"},
	{Unauthorized, "401", Default4XX, "UnauthorizedException"},
	{UnsupportedMediaType, "415", Default4XX, "BadRequestException"},
	{WAFFiltered, "403", Default4XX, "WafFilteredException"},
}

// LookupGatewayResponseType returns the fixed facts of a response type.
func LookupGatewayResponseType(t GatewayResponseType) (GatewayResponseInfo, bool) {
	for _, i := range GatewayResponseTypes {
		if i.Type == t {
			return i, true
		}
	}
	return GatewayResponseInfo{}, false
}

// EffectiveGatewayResponses resolves every response type against the customised
// set, applying AWS's DEFAULT_4XX/DEFAULT_5XX inheritance: an unconfigured type
// takes its parent's status (when the parent sets one), parameters and templates,
// and still reports DefaultResponse true. The result is in AWS's listing order.
func EffectiveGatewayResponses(custom map[GatewayResponseType]*GatewayResponse) []*GatewayResponse {
	out := make([]*GatewayResponse, 0, len(GatewayResponseTypes))
	for _, info := range GatewayResponseTypes {
		out = append(out, EffectiveGatewayResponse(custom, info.Type))
	}
	return out
}

// EffectiveGatewayResponse resolves one type; see EffectiveGatewayResponses.
func EffectiveGatewayResponse(custom map[GatewayResponseType]*GatewayResponse, t GatewayResponseType) *GatewayResponse {
	if c, ok := custom[t]; ok && c != nil {
		r := *c
		r.ResponseType = t
		r.DefaultResponse = false
		if r.ResponseParameters == nil {
			r.ResponseParameters = map[string]string{}
		}
		if len(r.ResponseTemplates) == 0 {
			r.ResponseTemplates = map[string]string{"application/json": DefaultGatewayResponseTemplate}
		}
		if r.StatusCode == "" {
			info, _ := LookupGatewayResponseType(t)
			r.StatusCode = info.DefaultStatus
		}
		return &r
	}
	info, _ := LookupGatewayResponseType(t)
	r := &GatewayResponse{
		ResponseType:       t,
		StatusCode:         info.DefaultStatus,
		ResponseParameters: map[string]string{},
		ResponseTemplates:  map[string]string{"application/json": DefaultGatewayResponseTemplate},
		DefaultResponse:    true,
	}
	if p, ok := custom[info.Parent]; ok && p != nil && info.Parent != "" {
		if p.StatusCode != "" {
			r.StatusCode = p.StatusCode
		}
		if p.ResponseParameters != nil {
			r.ResponseParameters = p.ResponseParameters
		}
		if len(p.ResponseTemplates) > 0 {
			r.ResponseTemplates = p.ResponseTemplates
		}
	}
	return r
}
