package openapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// The schemes API Gateway's own export writes for API keys and IAM.
const (
	apiKeySchemeName = "api_key"
	sigv4SchemeName  = "sigv4"
)

// defaultAPIKeyScheme and defaultSigv4Scheme are the scheme bodies AWS's
// export writes (keys sorted). Import does not keep them in SecuritySchemes
// (they carry nothing the method does not say), so that import → export →
// import is lossless.
const (
	defaultAPIKeyScheme = `{"in":"header","name":"x-api-key","type":"apiKey"}`
	defaultSigv4Scheme  = `{"in":"header","name":"Authorization","type":"apiKey","x-amazon-apigateway-authtype":"awsSigv4"}`
)

// schemeInfo is what a method's security requirement needs of a scheme.
type schemeInfo struct {
	authType string
}

// securitySchemes reads securityDefinitions / components.securitySchemes.
func (im *importer) securitySchemes() {
	im.schemes = map[string]schemeInfo{}
	n := im.root.get("securityDefinitions")
	if im.oas3 {
		n = im.root.lookup("/components/securitySchemes")
	}
	if n == nil {
		return
	}
	if n.kind != kMap {
		im.fail(n, "", "security schemes are %s, not an object", "map scheme names to security scheme objects", kindName(n))
		return
	}
	for i, name := range n.keys {
		im.securityScheme(name, n.kids[i])
	}
}

func (im *importer) securityScheme(name string, n *node) {
	if n.kind != kMap {
		im.fail(n, "", "security scheme %q is %s, not an object", "write {type: apiKey, name: Authorization, in: header}", name, kindName(n))
		return
	}
	authz := n.get(extAuthorizer)
	authType, _ := n.get(extAuthType).scalar()
	if at := n.get(extAuthType); at != nil {
		im.warnNotServed(at, extAuthType)
	}
	im.schemes[name] = schemeInfo{authType: authType}
	rest := n.clone()
	rest.del(extAuthorizer)
	if authz != nil {
		rest.del(extAuthType)
	}
	if t, _ := rest.get("type").str(); t != "apiKey" {
		im.warn(n, "", "security scheme %q has type %q; API Gateway supports only apiKey schemes", "use type: apiKey with x-amazon-apigateway-authtype / x-amazon-apigateway-authorizer", name, t)
	}
	rest.sortKeys()
	raw := encodeJSON(rest, "")
	if authz != nil || (string(raw) != defaultAPIKeyScheme && string(raw) != defaultSigv4Scheme) {
		if im.api.SecuritySchemes == nil {
			im.api.SecuritySchemes = map[string]json.RawMessage{}
		}
		im.api.SecuritySchemes[name] = raw
	}
	if authz != nil {
		im.authorizer(name, authType, n, authz)
	}
}

var authorizerTypes = map[string]bool{"TOKEN": true, "REQUEST": true, "COGNITO_USER_POOLS": true}

func (im *importer) authorizer(name, authType string, scheme, n *node) {
	im.warnNotServed(n, extAuthorizer)
	if n.kind != kMap {
		im.fail(n, "", "authorizer %q is %s, not an object", "write {type: token, authorizerUri: ..., identitySource: ...}", name, kindName(n))
		return
	}
	a := &apigw.Authorizer{Name: name, AuthType: authType}
	var raw map[string]any
	_ = json.Unmarshal(encodeJSON(n, ""), &raw) // our own JSON always decodes
	a.Raw = raw
	for i, k := range n.keys {
		im.authorizerField(a, k, n.kids[i])
	}
	if a.Type == "" {
		im.fail(n, "type", "authorizer %q has no type", "set type: token, request or cognito_user_pools", name)
	}
	if a.IdentitySource == "" && a.Type == "TOKEN" {
		if h, ok := scheme.get("name").str(); ok {
			a.IdentitySource = "method.request.header." + h
		}
	}
	if im.api.Authorizers == nil {
		im.api.Authorizers = map[string]*apigw.Authorizer{}
	}
	im.api.Authorizers[name] = a
}

func (im *importer) authorizerField(a *apigw.Authorizer, k string, v *node) {
	s, _ := v.scalar()
	switch k {
	case "type":
		a.Type = strings.ToUpper(s)
		if !authorizerTypes[a.Type] {
			im.warn(v, "", "authorizer type %q is not a REST API authorizer type", "use token, request or cognito_user_pools", s)
		}
	case "authorizerUri":
		a.AuthorizerURI = s
	case "authorizerCredentials":
		a.AuthorizerCredentials = s
	case "identitySource":
		a.IdentitySource = s
	case "identityValidationExpression":
		a.IdentityValidationExpression = s
	case "authorizerResultTtlInSeconds":
		ttl, err := strconv.Atoi(s)
		if err != nil || ttl < 0 || ttl > 3600 {
			im.fail(v, "", "authorizerResultTtlInSeconds %q is not an integer between 0 and 3600", "use a number of seconds from 0 to 3600", s)
			return
		}
		a.AuthorizerResultTTLInSeconds = &ttl
	case "providerARNs":
		a.ProviderARNs = im.stringList(v)
	}
}

// methodSecurity applies an operation's security requirements to m.
func (im *importer) methodSecurity(m *apigw.Method, n *node) {
	if n.kind != kSeq {
		im.fail(n, "", "security is %s, not an array", "write a list of requirements, e.g. [{api_key: []}]", kindName(n))
		return
	}
	for _, req := range n.kids {
		for i, name := range req.keysOrNil() {
			im.securityRequirement(m, name, req.kids[i])
		}
	}
}

func (im *importer) securityRequirement(m *apigw.Method, name string, scopes *node) {
	if a, ok := im.api.Authorizers[name]; ok {
		m.AuthorizationType = "CUSTOM"
		if a.Type == "COGNITO_USER_POOLS" {
			m.AuthorizationType = "COGNITO_USER_POOLS"
			if sc := im.stringList(scopes); len(sc) > 0 {
				m.AuthorizationScopes = sc
			}
		}
		m.AuthorizerID = name
		return
	}
	info, declared := im.schemes[name]
	switch {
	case strings.EqualFold(info.authType, "awsSigv4"):
		m.AuthorizationType = "AWS_IAM"
	case declared:
		m.APIKeyRequired = true
	default:
		// AWS's importer ignores a requirement whose scheme is not
		// declared: the method does not require an API key
		// (aws/serverless-application-model#211).
		im.warn(scopes, "", "security scheme %q is not defined, so it is ignored: the method does not require an API key", "declare it under securityDefinitions (Swagger) or components.securitySchemes (OpenAPI 3) as type apiKey, name x-api-key, in header", name)
	}
}
