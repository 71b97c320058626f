package mapping

import (
	"strconv"

	"github.com/archway-gw/archway/internal/vtl"
)

// RequestContext holds the $context variables of a REST API request.
// Empty strings render as empty, like AWS's nulls.
type RequestContext struct {
	ResourceID        string
	ResourcePath      string
	HTTPMethod        string
	ExtendedRequestID string
	RequestTime       string // CLF format
	Path              string // with the stage: /{stage}/{path}
	AccountID         string
	Protocol          string
	Stage             string
	DomainPrefix      string
	RequestTimeEpoch  int64 // milliseconds
	RequestID         string
	DomainName        string
	DeploymentID      string
	APIID             string
	IsCanaryRequest   bool
	Identity          Identity
	// Authorizer is $context.authorizer: principalId, claims, and the
	// context values a Lambda authorizer returned (numbers and booleans
	// are stringified, as on AWS). May be nil.
	Authorizer *vtl.Map
	// Error is $context.error.*.
	Error ErrorContext
	// Extra holds further variables (wafResponseCode, xrayTraceId,
	// integrationLatency, ...); readable, but not listed by keySet().
	Extra *vtl.Map
}

// Identity is $context.identity.
type Identity struct {
	CognitoIdentityPoolID         string
	AccountID                     string
	CognitoIdentityID             string
	Caller                        string
	SourceIP                      string
	PrincipalOrgID                string
	AccessKey                     string
	CognitoAuthenticationType     string
	CognitoAuthenticationProvider string
	UserArn                       string
	UserAgent                     string
	User                          string
	APIKey                        string
	APIKeyID                      string
}

// ErrorContext is $context.error.
type ErrorContext struct {
	Message               string
	MessageString         string
	ResponseType          string
	ValidationErrorString string
}

// opaque is an AWS context object: map-like to templates (get, keySet,
// property access, #set) but rendering as the empty string, as AWS renders
// $context.identity and the override maps. hidden holds readable
// properties that keySet() does not list.
type opaque struct {
	m      *vtl.Map
	hidden *vtl.Map
}

func newOpaque(n int) *opaque { return &opaque{m: vtl.NewMap(n)} }

// Property implements vtl.Object.
func (o *opaque) Property(name string) (any, bool) {
	if v, ok := o.m.Get(name); ok {
		return v, true
	}
	return o.hidden.Get(name)
}

// Call implements vtl.Object with the java.util.Map methods.
func (o *opaque) Call(name string, args []any) (any, bool, error) {
	if name == "get" && len(args) == 1 {
		v, _ := o.Property(vtl.ToString(args[0]))
		return v, true, nil
	}
	if name == "toString" && len(args) == 0 {
		return "", true, nil
	}
	return vtl.CallMapMethod(o.m, name, args)
}

// SetProperty implements vtl.Setter.
func (o *opaque) SetProperty(name string, v any) bool {
	o.m.Put(name, v)
	return true
}

// Items implements vtl.Iterable (the values, as for a map).
func (o *opaque) Items() []any {
	var vals []any
	o.m.Range(func(_ string, v any) bool {
		vals = append(vals, v)
		return true
	})
	return vals
}

// String implements vtl.Object.
func (o *opaque) String() string { return "" }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// newContextObject builds $context with the keySet() order recorded on AWS.
func newContextObject(c *RequestContext, reqOv, respOv *opaque) *opaque {
	if c == nil {
		c = &RequestContext{}
	}
	o := newOpaque(18)
	m := o.m
	m.Put("resourceId", nullable(c.ResourceID))
	m.Put("resourcePath", nullable(c.ResourcePath))
	m.Put("httpMethod", nullable(c.HTTPMethod))
	m.Put("extendedRequestId", nullable(c.ExtendedRequestID))
	m.Put("requestTime", nullable(c.RequestTime))
	m.Put("path", nullable(c.Path))
	m.Put("accountId", nullable(c.AccountID))
	m.Put("protocol", nullable(c.Protocol))
	m.Put("requestOverride", reqOv)
	m.Put("stage", nullable(c.Stage))
	m.Put("domainPrefix", nullable(c.DomainPrefix))
	m.Put("requestTimeEpoch", c.RequestTimeEpoch)
	m.Put("requestId", nullable(c.RequestID))
	m.Put("identity", newIdentity(&c.Identity))
	m.Put("domainName", nullable(c.DomainName))
	m.Put("deploymentId", nullable(c.DeploymentID))
	m.Put("responseOverride", respOv)
	m.Put("apiId", nullable(c.APIID))
	o.hidden = hiddenContext(c)
	return o
}

func hiddenContext(c *RequestContext) *vtl.Map {
	h := vtl.NewMap(4)
	h.Put("isCanaryRequest", strconv.FormatBool(c.IsCanaryRequest))
	h.Put("authorizer", newAuthorizer(c.Authorizer))
	e := newOpaque(4)
	e.m.Put("message", nullable(c.Error.Message))
	e.m.Put("messageString", nullable(c.Error.MessageString))
	e.m.Put("responseType", nullable(c.Error.ResponseType))
	e.m.Put("validationErrorString", nullable(c.Error.ValidationErrorString))
	h.Put("error", e)
	c.Extra.Range(func(k string, v any) bool {
		h.Put(k, v)
		return true
	})
	return h
}

func newIdentity(id *Identity) *opaque {
	o := newOpaque(12)
	m := o.m
	m.Put("cognitoIdentityPoolId", nullable(id.CognitoIdentityPoolID))
	m.Put("accountId", nullable(id.AccountID))
	m.Put("cognitoIdentityId", nullable(id.CognitoIdentityID))
	m.Put("caller", nullable(id.Caller))
	m.Put("sourceIp", nullable(id.SourceIP))
	m.Put("principalOrgId", nullable(id.PrincipalOrgID))
	m.Put("accessKey", nullable(id.AccessKey))
	m.Put("cognitoAuthenticationType", nullable(id.CognitoAuthenticationType))
	m.Put("cognitoAuthenticationProvider", nullable(id.CognitoAuthenticationProvider))
	m.Put("userArn", nullable(id.UserArn))
	m.Put("userAgent", nullable(id.UserAgent))
	m.Put("user", nullable(id.User))
	o.hidden = vtl.NewMap(2)
	o.hidden.Put("apiKey", nullable(id.APIKey))
	o.hidden.Put("apiKeyId", nullable(id.APIKeyID))
	return o
}

// newAuthorizer copies the authorizer map, stringifying scalar values as
// AWS does for Lambda authorizer context.
func newAuthorizer(a *vtl.Map) *opaque {
	o := newOpaque(a.Len())
	a.Range(func(k string, v any) bool {
		switch v.(type) {
		case int64, float64, bool:
			v = vtl.ToString(v)
		}
		o.m.Put(k, v)
		return true
	})
	return o
}
