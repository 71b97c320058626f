package doctor

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

const extAuthorizer = "x-amazon-apigateway-authorizer"

// schemesNode returns the security schemes of the document (Swagger 2
// securityDefinitions or OpenAPI 3 components.securitySchemes).
func (c *apiCheck) schemesNode() *docNode {
	if c.doc == nil {
		return nil
	}
	if n := c.doc.get("securityDefinitions"); n != nil {
		return n
	}
	return c.doc.lookup("components", "securitySchemes")
}

// authorizerPos is where authorizer name is defined.
func (c *apiCheck) authorizerPos(name string, field string) apigw.Pos {
	n := c.schemesNode().lookup(name, extAuthorizer)
	if f := n.get(field); field != "" && f != nil {
		return f.at()
	}
	if n != nil {
		return n.at()
	}
	return apigw.Pos{File: c.def.File}
}

// checkAuthorizerDocs checks what only the document shows: authorizer
// fields the import drops, and security requirements that name no scheme.
func (c *apiCheck) checkAuthorizerDocs() {
	schemes := c.schemesNode()
	if schemes != nil {
		for _, name := range schemes.keys {
			a := schemes.get(name).get(extAuthorizer)
			ttl := a.get("authorizerResultTtlInSeconds")
			if ttl == nil || !ttl.scalar {
				continue
			}
			if v, err := strconv.Atoi(ttl.text); err != nil || v < 0 || v > 3600 {
				c.add(Finding{Check: "authorizer", Severity: Error, Pos: ttl.at(), Object: "authorizer " + name,
					What: fmt.Sprintf("authorizerResultTtlInSeconds %s is not a whole number of seconds from 0 to 3600", ttl.text),
					AWS:  refused("authorizerResultTtlInSeconds must be between 0 and 3600"),
					Fix:  "set authorizerResultTtlInSeconds between 0 (no caching) and 3600; the default is 300"})
			}
		}
	}
	paths := c.doc.get("paths")
	if paths == nil {
		return
	}
	for _, p := range paths.keys {
		item := paths.get(p)
		for _, verb := range item.keys {
			if _, ok := operationVerbs[verb]; !ok {
				continue
			}
			sec := item.get(verb).get("security")
			if sec == nil {
				continue
			}
			for _, req := range sec.items {
				for _, name := range req.keys {
					if schemes.get(name) != nil || name == "api_key" {
						continue // api_key is AWS's own name for "API key required" (its samples leave it undefined)
					}
					obj := operationVerbs[verb] + " " + p
					f := Finding{Check: "authorizer", Severity: Warning, Pos: req.get(name).at(), Object: obj,
						What: fmt.Sprintf("the security requirement names %q, which no security scheme defines: no authorizer runs for this method; it is loaded as requiring an API key instead", name),
						Fix:  fmt.Sprintf("define %q under securityDefinitions (Swagger 2) or components.securitySchemes (OpenAPI 3) with x-amazon-apigateway-authorizer, or fix the name", name)}
					f.AWS = c.answer(diag.APIKeyMissing, c.stages[0].Name)
					f.AWS.Note = "for a request without a valid API key"
					f.Cause = diag.APIKeyMissing
					c.add(f)
				}
			}
		}
	}
}

// operationVerbs maps path-item keys to HTTP methods.
var operationVerbs = map[string]string{
	"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS",
	"head": "HEAD", "patch": "PATCH", "x-amazon-apigateway-any-method": "ANY",
}

// checkAuthorizers checks each imported authorizer and each method's
// reference to one.
func (c *apiCheck) checkAuthorizers() {
	names := make([]string, 0, len(c.api.Authorizers))
	for n := range c.api.Authorizers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c.checkAuthorizer(c.api.Authorizers[name])
	}
	for _, r := range c.api.Resources {
		for _, verb := range sortedVerbs(r.Methods) {
			m := r.Methods[verb]
			if m.AuthorizerID == "" || c.api.Authorizers[m.AuthorizerID] != nil {
				continue
			}
			mc := &methodCheck{apiCheck: c, r: r, m: m}
			mc.add(Finding{Check: "authorizer", Severity: Error, Pos: mc.pos([]string{"security"}), Object: mc.object(),
				What:  fmt.Sprintf("the method uses authorizer %q, which the API does not define; every call fails", m.AuthorizerID),
				AWS:   c.answer(diag.AuthorizerNotConfigured, c.stages[0].Name),
				Cause: diag.AuthorizerNotConfigured,
				Fix:   "define the authorizer under securitySchemes / securityDefinitions with x-amazon-apigateway-authorizer, or fix the method's security requirement"})
		}
	}
}

func (c *apiCheck) checkAuthorizer(a *apigw.Authorizer) {
	obj := "authorizer " + a.Name
	switch a.Type {
	case "TOKEN":
		if !strings.HasPrefix(a.IdentitySource, "method.request.header.") || strings.Contains(a.IdentitySource, ",") {
			what := "the TOKEN authorizer has no identitySource"
			if a.IdentitySource != "" {
				what = fmt.Sprintf("the TOKEN authorizer's identitySource %q is not one request header", a.IdentitySource)
			}
			c.add(Finding{Check: "authorizer", Severity: Error, Pos: c.authorizerPos(a.Name, "identitySource"), Object: obj,
				What: what + ": the token has nowhere to come from",
				AWS:  refused("identitySource is required for TOKEN authorizers: method.request.header.NAME"),
				Fix:  "set identitySource: method.request.header.Authorization (or the header that carries the token), or name the header in the security scheme (name: Authorization, in: header)"})
		}
	case "REQUEST":
		ttl := 300
		if a.AuthorizerResultTTLInSeconds != nil {
			ttl = *a.AuthorizerResultTTLInSeconds
		}
		if ttl > 0 && strings.TrimSpace(a.IdentitySource) == "" {
			c.add(Finding{Check: "authorizer", Severity: Error, Pos: c.authorizerPos(a.Name, "authorizerResultTtlInSeconds"), Object: obj,
				What: fmt.Sprintf("the REQUEST authorizer caches results for %d s but has no identitySource to key the cache on", ttl),
				AWS:  refused("identitySource is required when authorization caching is enabled"),
				Fix:  "list the identity sources (e.g. method.request.header.Authorization, method.request.querystring.token), or set authorizerResultTtlInSeconds: 0 to turn caching off"})
		}
	case "COGNITO_USER_POOLS":
		if len(a.ProviderARNs) == 0 {
			c.add(Finding{Check: "authorizer", Severity: Error, Pos: c.authorizerPos(a.Name, "providerARNs"), Object: obj,
				What: "the COGNITO_USER_POOLS authorizer lists no user pool (providerARNs)",
				AWS:  refused("providerARNs is required for COGNITO_USER_POOLS authorizers"),
				Fix:  "set providerARNs to the user pool ARNs, e.g. arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_ABC"})
		}
		return
	default:
		return
	}
	c.checkAuthorizerFunction(a, obj)
}

// checkAuthorizerFunction checks that a Lambda authorizer's authorizerUri
// names a function the gateway can invoke on every stage.
func (c *apiCheck) checkAuthorizerFunction(a *apigw.Authorizer, obj string) {
	pos := c.authorizerPos(a.Name, "authorizerUri")
	lr, ok := parseLambdaURI(a.AuthorizerURI)
	if !ok {
		what := "the authorizer has no authorizerUri"
		if a.AuthorizerURI != "" {
			what = fmt.Sprintf("authorizerUri %q is not a Lambda invocation URI", a.AuthorizerURI)
		}
		c.add(Finding{Check: "authorizer", Severity: Error, Pos: pos, Object: obj,
			What:  what + "; every call of the methods it protects fails",
			AWS:   c.answer(diag.AuthorizerInvokeFailed, c.stages[0].Name),
			Cause: diag.AuthorizerInvokeFailed,
			Fix:   "set authorizerUri to arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION/invocations"})
		return
	}
	for _, r := range c.resolveFunctions(lr.ref) {
		_, missing, fix, _ := c.lookupFunction(r)
		if missing == "" {
			continue
		}
		c.add(Finding{Check: "authorizer", Severity: Error, Pos: pos, Object: obj + c.stagesNote(r.stages),
			What:  "authorizerUri: " + missing + "; every call of the methods it protects fails",
			AWS:   c.answer(diag.AuthorizerInvokeFailed, r.stages[0]),
			Cause: diag.AuthorizerInvokeFailed,
			Fix:   fix + " in authorizerUri"})
	}
}
