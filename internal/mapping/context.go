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

// contextObject is $context. Reading a variable ($context.requestId,
// $context.identity.sourceIp, ...) is answered from the RequestContext
// without building anything; the full map (with AWS's keySet() order) is
// built the first time a template needs it as a map: keySet(), entrySet(),
// iteration, other map methods, or a #set on $context itself.
type contextObject struct {
	c *RequestContext
	// prev seeds requestOverride and responseOverride, which are built on
	// first use (nil until then).
	prev          *Overrides
	reqOv, respOv *opaque
	identity      *opaque
	authorizer    *opaque
	errObj        *opaque
	full          *opaque
}

// emptyContext stands for a nil RequestContext; it is never modified.
var emptyContext RequestContext

func (o *contextObject) init(c *RequestContext, prev *Overrides) {
	if c == nil {
		c = &emptyContext
	}
	*o = contextObject{c: c, prev: prev}
}

func (o *contextObject) requestOverride() *opaque {
	if o.reqOv == nil {
		o.reqOv = newRequestOverride(o.prev)
	}
	return o.reqOv
}

func (o *contextObject) responseOverride() *opaque {
	if o.respOv == nil {
		o.respOv = newResponseOverride(o.prev)
	}
	return o.respOv
}

// value is the variable name of $context, as the full map would give it:
// the listed variables first, then Extra, then isCanaryRequest, authorizer
// and error.
func (o *contextObject) value(name string) (any, bool) {
	c := o.c
	switch name {
	case "resourceId":
		return nullable(c.ResourceID), true
	case "resourcePath":
		return nullable(c.ResourcePath), true
	case "httpMethod":
		return nullable(c.HTTPMethod), true
	case "extendedRequestId":
		return nullable(c.ExtendedRequestID), true
	case "requestTime":
		return nullable(c.RequestTime), true
	case "path":
		return nullable(c.Path), true
	case "accountId":
		return nullable(c.AccountID), true
	case "protocol":
		return nullable(c.Protocol), true
	case "requestOverride":
		return o.requestOverride(), true
	case "stage":
		return nullable(c.Stage), true
	case "domainPrefix":
		return nullable(c.DomainPrefix), true
	case "requestTimeEpoch":
		return c.RequestTimeEpoch, true
	case "requestId":
		return nullable(c.RequestID), true
	case "identity":
		return o.identityObject(), true
	case "domainName":
		return nullable(c.DomainName), true
	case "deploymentId":
		return nullable(c.DeploymentID), true
	case "responseOverride":
		return o.responseOverride(), true
	case "apiId":
		return nullable(c.APIID), true
	}
	if v, ok := c.Extra.Get(name); ok {
		return v, true
	}
	switch name {
	case "isCanaryRequest":
		return strconv.FormatBool(c.IsCanaryRequest), true
	case "authorizer":
		return o.authorizerObject(), true
	case "error":
		return o.errorObject(), true
	}
	return nil, false
}

func (o *contextObject) identityObject() *opaque {
	if o.identity == nil {
		o.identity = newIdentity(&o.c.Identity)
	}
	return o.identity
}

func (o *contextObject) authorizerObject() *opaque {
	if o.authorizer == nil {
		o.authorizer = newAuthorizer(o.c.Authorizer)
	}
	return o.authorizer
}

func (o *contextObject) errorObject() *opaque {
	if o.errObj == nil {
		e := newOpaque(4)
		e.m.Put("message", nullable(o.c.Error.Message))
		e.m.Put("messageString", nullable(o.c.Error.MessageString))
		e.m.Put("responseType", nullable(o.c.Error.ResponseType))
		e.m.Put("validationErrorString", nullable(o.c.Error.ValidationErrorString))
		o.errObj = e
	}
	return o.errObj
}

// materialize builds the full map once, with the objects already handed
// out, in the keySet() order recorded on AWS.
func (o *contextObject) materialize() *opaque {
	if o.full != nil {
		return o.full
	}
	c := o.c
	f := newOpaque(18)
	m := f.m
	m.Put("resourceId", nullable(c.ResourceID))
	m.Put("resourcePath", nullable(c.ResourcePath))
	m.Put("httpMethod", nullable(c.HTTPMethod))
	m.Put("extendedRequestId", nullable(c.ExtendedRequestID))
	m.Put("requestTime", nullable(c.RequestTime))
	m.Put("path", nullable(c.Path))
	m.Put("accountId", nullable(c.AccountID))
	m.Put("protocol", nullable(c.Protocol))
	m.Put("requestOverride", o.requestOverride())
	m.Put("stage", nullable(c.Stage))
	m.Put("domainPrefix", nullable(c.DomainPrefix))
	m.Put("requestTimeEpoch", c.RequestTimeEpoch)
	m.Put("requestId", nullable(c.RequestID))
	m.Put("identity", o.identityObject())
	m.Put("domainName", nullable(c.DomainName))
	m.Put("deploymentId", nullable(c.DeploymentID))
	m.Put("responseOverride", o.responseOverride())
	m.Put("apiId", nullable(c.APIID))
	h := vtl.NewMap(4)
	h.Put("isCanaryRequest", strconv.FormatBool(c.IsCanaryRequest))
	h.Put("authorizer", o.authorizerObject())
	h.Put("error", o.errorObject())
	c.Extra.Range(func(k string, v any) bool {
		h.Put(k, v)
		return true
	})
	f.hidden = h
	o.full = f
	return f
}

// Property implements vtl.Object.
func (o *contextObject) Property(name string) (any, bool) {
	if o.full != nil {
		return o.full.Property(name)
	}
	return o.value(name)
}

// Call implements vtl.Object with the java.util.Map methods.
func (o *contextObject) Call(name string, args []any) (any, bool, error) {
	if o.full == nil {
		switch {
		case name == "get" && len(args) == 1:
			v, _ := o.value(vtl.ToString(args[0]))
			return v, true, nil
		case name == "toString" && len(args) == 0:
			return "", true, nil
		}
	}
	return o.materialize().Call(name, args)
}

// SetProperty implements vtl.Setter.
func (o *contextObject) SetProperty(name string, v any) bool {
	return o.materialize().SetProperty(name, v)
}

// Items implements vtl.Iterable (the values, as for a map).
func (o *contextObject) Items() []any { return o.materialize().Items() }

// String implements vtl.Object.
func (o *contextObject) String() string { return "" }

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
