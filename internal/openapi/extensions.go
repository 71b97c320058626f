package openapi

import (
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// Extension names.
const (
	extIntegration          = "x-amazon-apigateway-integration"
	extAnyMethod            = "x-amazon-apigateway-any-method"
	extGatewayResponses     = "x-amazon-apigateway-gateway-responses"
	extBinaryMediaTypes     = "x-amazon-apigateway-binary-media-types"
	extRequestValidators    = "x-amazon-apigateway-request-validators"
	extRequestValidator     = "x-amazon-apigateway-request-validator"
	extAPIKeySource         = "x-amazon-apigateway-api-key-source"
	extAuthorizer           = "x-amazon-apigateway-authorizer"
	extAuthType             = "x-amazon-apigateway-authtype"
	extPolicy               = "x-amazon-apigateway-policy"
	extEndpointConfig       = "x-amazon-apigateway-endpoint-configuration"
	extMinCompressionSize   = "x-amazon-apigateway-minimum-compression-size"
	extDocumentation        = "x-amazon-apigateway-documentation"
	extCORS                 = "x-amazon-apigateway-cors"
	extImportExportVersion  = "x-amazon-apigateway-importexport-version"
	extTagValue             = "x-amazon-apigateway-tag-value"
	maxMinCompressionSize   = 10485760
	unservedFix             = "nothing to change: the setting is kept and exported, but Archway does not apply it yet"
	unknownExtensionFix     = "check the name against the API Gateway extension list; the value is kept and exported unchanged"
	httpAPIOnlyExtensionFix = "remove it, or import the definition as an HTTP API; the value is kept and exported unchanged"
)

// notServed lists extensions Archway loads into the model but whose
// behaviour the gateway does not apply yet. Import warns about each use, so
// that nobody mistakes a loaded setting for an enforced one. Remove an entry
// when the gateway starts serving the feature.
var notServed = map[string]string{
	extAPIKeySource:       "API key source",
	extPolicy:             "resource policies",
	extEndpointConfig:     "endpoint configuration",
	extMinCompressionSize: "response compression",
	extDocumentation:      "documentation parts",
}

// httpAPIOnly lists extensions that belong to HTTP APIs (v2), not REST APIs.
var httpAPIOnly = map[string]bool{extCORS: true, extTagValue: true}

// warnNotServed warns that a loaded extension is not applied by the gateway.
func (im *importer) warnNotServed(n *node, ext string) {
	if _, ok := notServed[ext]; !ok {
		return // served now
	}
	im.warn(n, "", "%s is loaded but not yet served: Archway does not apply %s", unservedFix, ext, notServed[ext])
}

// unknownExtension warns about an extension import does not interpret.
func (im *importer) unknownExtension(n *node, ext string) {
	switch {
	case ext == extImportExportVersion:
	case httpAPIOnly[ext]:
		im.warn(n, "", "%s applies to HTTP APIs only; a REST API ignores it", httpAPIOnlyExtensionFix, ext)
	default:
		im.warn(n, "", "unknown extension %s is ignored", unknownExtensionFix, ext)
	}
}

// apiExtensions reads the document-level x-amazon-apigateway-* keys.
func (im *importer) apiExtensions() {
	// Validators first: the default validator refers to them.
	if v := im.root.get(extRequestValidators); v != nil {
		im.requestValidators(v)
	}
	for i, k := range im.root.keys {
		if !isAWSExt(k) {
			continue
		}
		im.apiExtension(k, im.root.kids[i])
	}
}

func (im *importer) apiExtension(k string, v *node) {
	switch k {
	case extRequestValidators:
	case extGatewayResponses:
		im.gatewayResponses(v)
	case extBinaryMediaTypes:
		im.warnNotServed(v, k)
		im.api.BinaryMediaTypes = im.stringList(v)
	case extRequestValidator:
		im.warnNotServed(v, k)
		im.api.DefaultRequestValidator = im.validatorRef(v)
	case extAPIKeySource:
		im.warnNotServed(v, k)
		im.apiKeySource(v)
	case extPolicy:
		im.warnNotServed(v, k)
		im.api.Policy = im.rawJSONText(v)
	case extDocumentation:
		im.warnNotServed(v, k)
		im.api.Documentation = im.rawJSONText(v)
	case extEndpointConfig:
		im.warnNotServed(v, k)
		im.endpointConfiguration(v)
	case extMinCompressionSize:
		im.warnNotServed(v, k)
		im.minimumCompressionSize(v)
	default:
		im.unknownExtension(v, k)
		im.api.Extra = putRaw(im.api.Extra, k, v)
	}
}

// rawJSONText keeps an object as compact JSON text; a string is kept as is
// (AWS accepts the policy as an escaped JSON string too).
func (im *importer) rawJSONText(n *node) string {
	if s, ok := n.str(); ok {
		return s
	}
	return string(encodeJSON(n, ""))
}

func (im *importer) apiKeySource(v *node) {
	s, _ := v.scalar()
	up := strings.ToUpper(s)
	if up != "HEADER" && up != "AUTHORIZER" {
		im.fail(v, "", "api key source %q is not HEADER or AUTHORIZER", "use HEADER (the X-API-Key header) or AUTHORIZER (a Lambda authorizer returns usageIdentifierKey)", s)
		return
	}
	im.api.APIKeySource = up
}

func (im *importer) minimumCompressionSize(v *node) {
	s, _ := v.scalar()
	n, err := strconv.Atoi(s)
	if v.kind != kNum || err != nil || n < 0 || n > maxMinCompressionSize {
		im.fail(v, "", "minimum compression size %s is not an integer between 0 and 10485760", "use a byte count between 0 and 10485760, or remove the key to turn compression off", v.text)
		return
	}
	im.api.MinimumCompressionSize = &n
}

var endpointTypes = map[string]bool{"EDGE": true, "REGIONAL": true, "PRIVATE": true}

func (im *importer) endpointConfiguration(v *node) {
	if v.kind != kMap {
		im.fail(v, "", "endpoint configuration is %s, not an object", "write {types: [REGIONAL]} or {vpcEndpointIds: [...]}", kindName(v))
		return
	}
	ec := &apigw.EndpointConfiguration{}
	for i, k := range v.keys {
		kid := v.kids[i]
		switch k {
		case "types":
			for _, t := range im.stringList(kid) {
				if !endpointTypes[strings.ToUpper(t)] {
					im.fail(kid, "", "endpoint type %q is not EDGE, REGIONAL or PRIVATE", "use EDGE, REGIONAL or PRIVATE", t)
					continue
				}
				ec.Types = append(ec.Types, strings.ToUpper(t))
			}
		case "vpcEndpointIds":
			ec.VpcEndpointIDs = im.stringList(kid)
		case "disableExecuteApiEndpoint":
			ec.DisableExecuteAPIEndpoint = kid.isTrue()
		default:
			im.warn(kid, "", "unknown endpoint configuration key %q is ignored", "use types, vpcEndpointIds or disableExecuteApiEndpoint", k)
		}
	}
	im.api.EndpointConfiguration = ec
}

func (im *importer) requestValidators(v *node) {
	im.warnNotServed(v, extRequestValidators)
	if v.kind != kMap {
		im.fail(v, "", "request validators are %s, not an object", "map each validator name to {validateRequestBody: true, validateRequestParameters: true}", kindName(v))
		return
	}
	im.api.RequestValidators = map[string]*apigw.RequestValidator{}
	for i, name := range v.keys {
		kid := v.kids[i]
		rv := &apigw.RequestValidator{Name: name}
		for j, k := range kid.keysOrNil() {
			b := kid.kids[j]
			switch k {
			case "validateRequestBody":
				rv.ValidateRequestBody = im.boolValue(b)
			case "validateRequestParameters":
				rv.ValidateRequestParameters = im.boolValue(b)
			default:
				im.warn(b, "", "unknown request validator key %q is ignored", "use validateRequestBody and validateRequestParameters", k)
			}
		}
		im.api.RequestValidators[name] = rv
	}
}

// boolValue reads a boolean (or the strings "true"/"false").
func (im *importer) boolValue(n *node) bool {
	s, _ := n.scalar()
	switch strings.ToLower(s) {
	case "true":
		return true
	case "false":
		return false
	}
	im.fail(n, "", "expected true or false, found %s", "write true or false", kindName(n))
	return false
}

// validatorRef reads a request validator name, which must be declared.
func (im *importer) validatorRef(v *node) string {
	name, ok := v.str()
	if !ok {
		im.fail(v, "", "request validator is %s, not a name", "name one of x-amazon-apigateway-request-validators", kindName(v))
		return ""
	}
	if _, ok := im.api.RequestValidators[name]; !ok {
		im.fail(v, "", "request validator %q is not declared", "declare it under x-amazon-apigateway-request-validators at the top of the file", name)
		return ""
	}
	return name
}

func (im *importer) gatewayResponses(v *node) {
	if v.kind != kMap {
		im.fail(v, "", "gateway responses are %s, not an object", "map response types (e.g. DEFAULT_4XX) to {statusCode, responseParameters, responseTemplates}", kindName(v))
		return
	}
	im.api.GatewayResponses = map[apigw.GatewayResponseType]*apigw.GatewayResponse{}
	for i, k := range v.keys {
		t := apigw.GatewayResponseType(k)
		if _, ok := apigw.LookupGatewayResponseType(t); !ok {
			im.fail(v.kids[i], "", "gateway response type %q does not exist", "use one of DEFAULT_4XX, DEFAULT_5XX, ACCESS_DENIED, UNAUTHORIZED, ... (see the API Gateway response types)", k)
			continue
		}
		im.api.GatewayResponses[t] = im.gatewayResponse(t, v.kids[i])
	}
}

func (im *importer) gatewayResponse(t apigw.GatewayResponseType, v *node) *apigw.GatewayResponse {
	gr := &apigw.GatewayResponse{ResponseType: t}
	for i, k := range v.keysOrNil() {
		kid := v.kids[i]
		switch k {
		case "statusCode":
			gr.StatusCode = im.statusCode(kid)
		case "responseParameters":
			gr.ResponseParameters, _ = im.stringMap(kid)
			for _, p := range orderedKeys(kid) {
				if !strings.HasPrefix(p, "gatewayresponse.header.") {
					im.fail(kid.get(p), "", "gateway response parameter %q is not gatewayresponse.header.NAME", "map gatewayresponse.header.NAME to a value such as 'text' or method.request.header.X", p)
				}
			}
		case "responseTemplates":
			gr.ResponseTemplates, _ = im.stringMap(kid)
		default:
			im.warn(kid, "", "unknown gateway response key %q is ignored", "use statusCode, responseParameters and responseTemplates", k)
		}
	}
	return gr
}

// orderedKeys returns the keys of a map node (nil otherwise).
func orderedKeys(n *node) []string { return n.keysOrNil() }

// stringMap reads an object of strings, keeping key order.
func (im *importer) stringMap(n *node) (map[string]string, []string) {
	if n == nil || n.kind == kNull {
		return nil, nil
	}
	if n.kind != kMap {
		im.fail(n, "", "expected an object of strings, found %s", "write an object mapping names to strings", kindName(n))
		return nil, nil
	}
	m := make(map[string]string, len(n.keys))
	order := make([]string, 0, len(n.keys))
	for i, k := range n.keys {
		s, ok := n.kids[i].scalar()
		if !ok {
			im.fail(n.kids[i], "", "%q must be a string, found %s", "quote the value", k, kindName(n.kids[i]))
			continue
		}
		m[k] = s
		order = append(order, k)
	}
	return m, order
}
