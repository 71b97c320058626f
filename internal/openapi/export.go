package openapi

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// exportHostSuffix stands in for AWS's execute-api.{region}.amazonaws.com:
// an Archway API is served locally, so the export names a local host.
const exportHostSuffix = ".execute-api.localhost"

// ExportOAS30 renders the API as OpenAPI 3.0.1 in AWS's own export form (as
// GetExport with exportType=oas30 and extensions=apigateway produces):
// servers with a {basePath} variable, lower-case integration types,
// "NNN response" descriptions where none is set. Content Archway keeps beyond
// AWS's model (descriptions, tags, parameter schemas) is written too, so that
// import → export → import is lossless.
func ExportOAS30(api *apigw.RestAPI) ([]byte, error) {
	return export(api, true)
}

// ExportSwagger2 renders the API as Swagger 2.0 in AWS's own export form (as
// GetExport with exportType=swagger and extensions=apigateway produces); see
// ExportOAS30.
func ExportSwagger2(api *apigw.RestAPI) ([]byte, error) {
	return export(api, false)
}

// exporter holds the state of one export.
type exporter struct {
	api  *apigw.RestAPI
	oas3 bool
	// apiKeyScheme and sigv4Scheme name the schemes methods requiring an
	// API key or IAM authorization refer to; need* record that a default
	// scheme must be added.
	apiKeyScheme, sigv4Scheme string
	needAPIKey, needSigv4     bool
}

func export(api *apigw.RestAPI, oas3 bool) ([]byte, error) {
	if api == nil {
		return nil, errors.New("export: no API")
	}
	e := &exporter{api: api, oas3: oas3}
	e.pickSchemes()
	doc := e.document()
	return append(encodeJSON(doc, "  "), '\n'), nil
}

// document builds the whole definition in AWS's key order.
func (e *exporter) document() *node {
	doc := newMap()
	if e.oas3 {
		doc.set("openapi", strNode("3.0.1"))
	} else {
		doc.set("swagger", strNode("2.0"))
	}
	doc.set("info", e.info())
	if e.oas3 {
		doc.set("servers", e.servers())
	} else {
		e.hostAndBasePath(doc)
	}
	doc.set("paths", e.paths())
	if e.oas3 {
		doc.set("components", e.components())
	} else {
		doc.set("securityDefinitions", e.securitySchemes())
		doc.set("definitions", e.schemas())
	}
	e.apiExtensions(doc)
	for _, k := range sortedKeys(e.api.Extra) {
		doc.set(k, e.raw(e.api.Extra[k]))
	}
	return doc
}

func (e *exporter) info() *node {
	info := newMap()
	info.set("title", strNode(e.api.Name))
	if e.api.Description != "" {
		info.set("description", strNode(e.api.Description))
	}
	if e.api.Version != "" {
		info.set("version", strNode(e.api.Version))
	}
	for _, k := range sortedKeys(e.api.InfoExtra) {
		info.set(k, e.raw(e.api.InfoExtra[k]))
	}
	return info
}

// servers writes AWS's server entry: the invoke URL with a {basePath}
// variable whose default is the base path (AWS puts the stage name there).
func (e *exporter) servers() *node {
	vars := newMap()
	def := newMap()
	def.set("default", strNode(strings.TrimPrefix(e.api.BasePath, "/")))
	vars.set("basePath", def)
	srv := newMap()
	srv.set("url", strNode("https://"+e.api.ID+exportHostSuffix+"/{basePath}"))
	srv.set("variables", vars)
	list := newSeq()
	list.add(srv)
	return list
}

func (e *exporter) hostAndBasePath(doc *node) {
	doc.set("host", strNode(e.api.ID+exportHostSuffix))
	bp := e.api.BasePath
	if bp == "" {
		bp = "/"
	}
	doc.set("basePath", strNode(bp))
	doc.set("schemes", stringSeq([]string{"https"}))
}

// raw decodes model-held JSON and turns model references into the export
// format's local references.
func (e *exporter) raw(data []byte) *node {
	n := rawNode(data)
	prefix := swaggerRefPrefix
	if e.oas3 {
		prefix = oas3RefPrefix
	}
	rewriteRefs(n, func(ref string) string {
		if name, ok := modelNameFromRef(ref); ok {
			return prefix + escapePointer(name)
		}
		return ref
	})
	return n
}

func (e *exporter) components() *node {
	c := newMap()
	c.set("schemas", e.schemas())
	c.set("securitySchemes", e.securitySchemes())
	if len(c.keys) == 0 {
		return nil
	}
	return c
}

// schemas writes the models in definition order.
func (e *exporter) schemas() *node {
	if len(e.api.Models) == 0 {
		return nil
	}
	out := newMap()
	for _, name := range e.modelNames() {
		out.set(name, e.raw([]byte(e.api.Models[name].Schema)))
	}
	return out
}

// modelNames lists models in ModelOrder, then any others sorted.
func (e *exporter) modelNames() []string {
	seen := map[string]bool{}
	var names []string
	for _, n := range e.api.ModelOrder {
		if _, ok := e.api.Models[n]; ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	var rest []string
	for n := range e.api.Models {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// apiExtensions writes the API-level x-amazon-apigateway-* keys.
func (e *exporter) apiExtensions(doc *node) {
	a := e.api
	doc.set(extGatewayResponses, e.gatewayResponses())
	doc.set(extRequestValidators, e.requestValidators())
	if a.DefaultRequestValidator != "" {
		doc.set(extRequestValidator, strNode(a.DefaultRequestValidator))
	}
	if a.Policy != "" {
		doc.set(extPolicy, e.jsonText(a.Policy))
	}
	if a.Documentation != "" {
		doc.set(extDocumentation, e.jsonText(a.Documentation))
	}
	if a.BinaryMediaTypes != nil {
		doc.set(extBinaryMediaTypes, stringSeq(a.BinaryMediaTypes))
	}
	if a.APIKeySource != "" {
		doc.set(extAPIKeySource, strNode(a.APIKeySource))
	}
	doc.set(extEndpointConfig, e.endpointConfiguration())
	if a.MinimumCompressionSize != nil {
		doc.set(extMinCompressionSize, intNode(*a.MinimumCompressionSize))
	}
}

// jsonText writes JSON text held by the model as a value (a string when it
// is not JSON, as AWS accepts policies given as strings).
func (e *exporter) jsonText(s string) *node {
	if n, err := decodeJSON([]byte(s)); err == nil && (n.kind == kMap || n.kind == kSeq) {
		return n
	}
	return strNode(s)
}

func (e *exporter) gatewayResponses() *node {
	if len(e.api.GatewayResponses) == 0 {
		return nil
	}
	types := make([]string, 0, len(e.api.GatewayResponses))
	for t := range e.api.GatewayResponses {
		types = append(types, string(t))
	}
	sort.Strings(types)
	out := newMap()
	for _, t := range types {
		gr := e.api.GatewayResponses[apigw.GatewayResponseType(t)]
		if gr == nil {
			continue
		}
		n := newMap()
		if gr.StatusCode != "" {
			n.set("statusCode", strNode(gr.StatusCode))
		}
		if gr.ResponseParameters != nil {
			n.set("responseParameters", stringMapNode(gr.ResponseParameters, nil))
		}
		if gr.ResponseTemplates != nil {
			n.set("responseTemplates", stringMapNode(gr.ResponseTemplates, nil))
		}
		out.set(t, n)
	}
	return out
}

func (e *exporter) requestValidators() *node {
	if len(e.api.RequestValidators) == 0 {
		return nil
	}
	out := newMap()
	for _, name := range sortedKeys(e.api.RequestValidators) {
		rv := e.api.RequestValidators[name]
		n := newMap()
		n.set("validateRequestBody", boolNode(rv.ValidateRequestBody))
		n.set("validateRequestParameters", boolNode(rv.ValidateRequestParameters))
		out.set(name, n)
	}
	return out
}

func (e *exporter) endpointConfiguration() *node {
	ec := e.api.EndpointConfiguration
	if ec == nil {
		return nil
	}
	n := newMap()
	if ec.Types != nil {
		n.set("types", stringSeq(ec.Types))
	}
	if ec.VpcEndpointIDs != nil {
		n.set("vpcEndpointIds", stringSeq(ec.VpcEndpointIDs))
	}
	if ec.DisableExecuteAPIEndpoint {
		n.set("disableExecuteApiEndpoint", boolNode(true))
	}
	return n
}

// stringMapNode writes a map of strings in order (then remaining keys sorted).
func stringMapNode(m map[string]string, order []string) *node {
	out := newMap()
	for _, k := range orderedMapKeys(m, order) {
		out.set(k, strNode(m[k]))
	}
	return out
}

// orderedMapKeys lists m's keys in order, then any others sorted.
func orderedMapKeys[V any](m map[string]V, order []string) []string {
	seen := make(map[string]bool, len(m))
	keys := make([]string, 0, len(m))
	for _, k := range order {
		if _, ok := m[k]; ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// sortedKeys lists a map's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	return orderedMapKeys(m, nil)
}

// pickSchemes decides which scheme names API-key and IAM methods refer to:
// a declared scheme of that kind, else AWS's defaults api_key and sigv4.
func (e *exporter) pickSchemes() {
	e.apiKeyScheme, e.sigv4Scheme = apiKeySchemeName, sigv4SchemeName
	for _, name := range sortedKeys(e.api.SecuritySchemes) {
		if _, isAuthorizer := e.api.Authorizers[name]; isAuthorizer {
			continue
		}
		var s struct {
			Type     string `json:"type"`
			AuthType string `json:"x-amazon-apigateway-authtype"`
		}
		if json.Unmarshal(e.api.SecuritySchemes[name], &s) != nil || s.Type != "apiKey" {
			continue
		}
		if strings.EqualFold(s.AuthType, "awsSigv4") {
			e.sigv4Scheme = name
		} else if s.AuthType == "" {
			e.apiKeyScheme = name
		}
	}
}

// securitySchemes writes the declared schemes, the authorizers, and the
// default api_key / sigv4 schemes when methods use them.
func (e *exporter) securitySchemes() *node {
	e.scanMethods()
	out := newMap()
	names := map[string]bool{}
	for k := range e.api.SecuritySchemes {
		names[k] = true
	}
	for k := range e.api.Authorizers {
		names[k] = true
	}
	if e.needAPIKey && !names[e.apiKeyScheme] {
		out.set(e.apiKeyScheme, rawNode([]byte(defaultAPIKeyScheme)))
	}
	if e.needSigv4 && !names[e.sigv4Scheme] {
		out.set(e.sigv4Scheme, rawNode([]byte(defaultSigv4Scheme)))
	}
	for _, name := range sortedKeys(names) {
		out.set(name, e.securityScheme(name))
	}
	if len(out.keys) == 0 {
		return nil
	}
	return out
}

func (e *exporter) securityScheme(name string) *node {
	s := newMap()
	if raw, ok := e.api.SecuritySchemes[name]; ok {
		s = e.raw(raw)
	}
	a := e.api.Authorizers[name]
	if a == nil {
		return s
	}
	if len(s.keys) == 0 {
		s = authorizerScheme(a)
	}
	if a.AuthType != "" {
		s.set(extAuthType, strNode(a.AuthType))
	}
	s.set(extAuthorizer, authorizerNode(a))
	return s
}

// authorizerScheme synthesises the apiKey scheme an authorizer sits on.
func authorizerScheme(a *apigw.Authorizer) *node {
	header := "Unused"
	if h, ok := strings.CutPrefix(a.IdentitySource, "method.request.header."); ok && !strings.Contains(h, ",") {
		header = h
	}
	s := newMap()
	s.set("type", strNode("apiKey"))
	s.set("name", strNode(header))
	s.set("in", strNode("header"))
	return s
}

// authorizerNode writes x-amazon-apigateway-authorizer from Raw when the
// import kept it, else from the fields.
func authorizerNode(a *apigw.Authorizer) *node {
	if a.Raw != nil {
		if data, err := json.Marshal(a.Raw); err == nil {
			return rawNode(data)
		}
	}
	n := newMap()
	n.set("type", strNode(strings.ToLower(a.Type)))
	for _, kv := range [][2]string{
		{"authorizerUri", a.AuthorizerURI}, {"authorizerCredentials", a.AuthorizerCredentials},
		{"identitySource", a.IdentitySource}, {"identityValidationExpression", a.IdentityValidationExpression},
	} {
		if kv[1] != "" {
			n.set(kv[0], strNode(kv[1]))
		}
	}
	if a.AuthorizerResultTTLInSeconds != nil {
		n.set("authorizerResultTtlInSeconds", intNode(*a.AuthorizerResultTTLInSeconds))
	}
	if a.ProviderARNs != nil {
		n.set("providerARNs", stringSeq(a.ProviderARNs))
	}
	return n
}

// scanMethods records whether any method needs the default schemes.
func (e *exporter) scanMethods() {
	for _, r := range e.api.Resources {
		for _, m := range r.Methods {
			if m == nil {
				continue
			}
			e.needAPIKey = e.needAPIKey || m.APIKeyRequired
			e.needSigv4 = e.needSigv4 || m.AuthorizationType == "AWS_IAM"
		}
	}
}
