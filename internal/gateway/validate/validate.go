// Package validate runs API Gateway request validators: the required method
// request parameters (validateRequestParameters) and the JSON Schema draft-04
// model of the request body (validateRequestBody). Validators and models are
// compiled once per snapshot; a request only checks.
package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// awsModelPrefix starts every model reference in AWS form:
// https://apigateway.amazonaws.com/restapis/{api-id}/models/{name}.
const awsModelPrefix = "https://apigateway.amazonaws.com/restapis/"

// defaultContentType is the media type a request without Content-Type has.
const defaultContentType = "application/json"

// builtinModels are the models every AWS REST API has unless it defines
// models of the same name.
var builtinModels = map[string]string{
	"Empty": `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Empty Schema","type":"object"}`,
	"Error": `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Error Schema","type":"object","properties":{"message":{"type":"string"}}}`,
}

// maxReasons caps the schema violations reported for one request.
const maxReasons = 10

// Compiler compiles the request validators of one API. Models are compiled
// on first use and shared by every method that uses them.
type Compiler struct {
	api     *apigw.RestAPI
	schemas *jsonschema.Compiler
	models  map[string]compiledModel
}

type compiledModel struct {
	schema *jsonschema.Schema
	err    error
}

// NewCompiler returns a Compiler for the validators and models of api.
func NewCompiler(api *apigw.RestAPI) *Compiler {
	return &Compiler{api: api}
}

// Method compiles the validator that applies to method am of resourcePath:
// the validator am names, else the API's default one. It returns a nil
// Checker when nothing is validated. Problems are warnings: a validator or
// model that cannot be used is skipped, as AWS accepts such definitions.
func (c *Compiler) Method(resourcePath string, am *apigw.Method) (pipeline.Checker, []pipeline.Problem) {
	var probs []pipeline.Problem
	warn := func(msg, fix string) {
		probs = append(probs, pipeline.Problem{Pos: am.Source, Message: fmt.Sprintf("%s %s: %s", am.HTTPMethod, resourcePath, msg), Fix: fix})
	}
	name := am.RequestValidatorID
	if name == "" {
		name = c.api.DefaultRequestValidator
	}
	if name == "" {
		return nil, nil
	}
	v := c.validator(name)
	if v == nil {
		warn(fmt.Sprintf("request validator %q is not declared; requests are not validated", name), "declare it under x-amazon-apigateway-request-validators, or name a declared one")
		return nil, probs
	}
	ch := &checker{}
	if v.ValidateRequestParameters {
		ch.params = requiredParams(am, warn)
	}
	if v.ValidateRequestBody {
		for _, ct := range sortedKeys(am.RequestModels) {
			model := am.RequestModels[ct]
			sch, err := c.model(model)
			if err != nil {
				warn(fmt.Sprintf("model %q for %s cannot be used, bodies of that type are not validated: %s", model, ct, oneLine(err)), "fix the model's JSON Schema (draft-04) or the reference to it")
				continue
			}
			if ch.bodies == nil {
				ch.bodies = map[string]*bodyModel{}
			}
			ch.bodies[mediaType(ct)] = &bodyModel{name: model, schema: sch}
		}
	}
	if len(ch.params) == 0 && len(ch.bodies) == 0 {
		return nil, probs
	}
	return ch, probs
}

// validator finds a validator by its key, or by its name.
func (c *Compiler) validator(id string) *apigw.RequestValidator {
	if v, ok := c.api.RequestValidators[id]; ok && v != nil {
		return v
	}
	for _, k := range sortedKeys(c.api.RequestValidators) {
		if v := c.api.RequestValidators[k]; v != nil && v.Name == id {
			return v
		}
	}
	return nil
}

// model compiles (once) the named model of the API.
func (c *Compiler) model(name string) (*jsonschema.Schema, error) {
	if cm, ok := c.models[name]; ok {
		return cm.schema, cm.err
	}
	if c.schemas == nil {
		c.schemas = jsonschema.NewCompiler()
		c.schemas.DefaultDraft(jsonschema.Draft4)
		c.schemas.AssertFormat()
		c.schemas.UseLoader(modelLoader{c})
		c.models = map[string]compiledModel{}
	}
	var cm compiledModel
	if _, ok := c.schemaText(name); !ok {
		cm.err = fmt.Errorf("the API defines no model %q", name)
	} else {
		cm.schema, cm.err = c.schemas.Compile(ModelURL(c.api.ID, name))
		if cm.err != nil {
			cm.err = fmt.Errorf("compiling model %q: %w", name, cm.err)
		}
	}
	c.models[name] = cm
	return cm.schema, cm.err
}

// schemaText returns the JSON Schema text of a model of the API, or of a
// built-in model the API does not redefine.
func (c *Compiler) schemaText(name string) (string, bool) {
	if m, ok := c.api.Models[name]; ok && m != nil {
		return m.Schema, true
	}
	s, ok := builtinModels[name]
	return s, ok
}

// ModelURL is the URL under which model name of API apiID is registered for
// $ref resolution: the form AWS's GetModel uses in schemas.
func ModelURL(apiID, name string) string {
	return awsModelPrefix + apiID + "/models/" + name
}

// modelLoader resolves AWS-form model references to the models of the API.
// Any API id is accepted in a reference: AWS only lets a model refer to
// models of its own API, and the id may have been changed after import.
// Nothing else is loaded (no files, no network).
type modelLoader struct{ c *Compiler }

// Load implements jsonschema.URLLoader.
func (l modelLoader) Load(url string) (any, error) {
	rest, ok := strings.CutPrefix(url, awsModelPrefix)
	_, name, found := strings.Cut(rest, "/models/")
	if !ok || !found || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("only models of this API can be referenced (%smodels/NAME)", awsModelPrefix+"{api-id}/")
	}
	text, ok := l.c.schemaText(name)
	if !ok {
		return nil, fmt.Errorf("the API defines no model %q", name)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("model %q is not JSON: %w", name, err)
	}
	return doc, nil
}

// location is where a method request parameter is read.
type location int

// Parameter locations, in the order AWS lists missing parameters.
const (
	locHeader location = iota
	locPath
	locQuery
)

var locations = map[string]location{"header": locHeader, "path": locPath, "querystring": locQuery}

type param struct {
	loc  location
	name string
}

// requiredParams returns the method's required parameters in the order AWS
// reports them missing: headers, then path, then query string parameters,
// each in definition order.
func requiredParams(am *apigw.Method, warn func(string, string)) []param {
	keys := am.RequestParameterOrder
	if len(keys) != len(am.RequestParameters) {
		keys = sortedKeys(am.RequestParameters)
	}
	var out []param
	for _, key := range keys {
		if !am.RequestParameters[key] {
			continue
		}
		rest, ok := strings.CutPrefix(key, "method.request.")
		locName, name, found := strings.Cut(rest, ".")
		loc, known := locations[locName]
		if !ok || !found || !known || name == "" {
			warn(fmt.Sprintf("required request parameter %q is not method.request.{header,path,querystring}.NAME; it is not checked", key), "rename the parameter")
			continue
		}
		out = append(out, param{loc: loc, name: name})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].loc < out[j].loc })
	return out
}

// bodyModel is the compiled model of one request media type.
type bodyModel struct {
	name   string
	schema *jsonschema.Schema
}

// checker is a compiled request validator.
type checker struct {
	params []param
	// bodies maps a lower-case media type (or $default) to its model; nil
	// when the body is not validated.
	bodies map[string]*bodyModel
}

// NeedsBody implements pipeline.Checker.
func (c *checker) NeedsBody() bool { return len(c.bodies) > 0 }

// Check implements pipeline.Checker: parameters first, then the body.
func (c *checker) Check(_ context.Context, x *pipeline.Exchange) error {
	if missing := c.missing(x); len(missing) > 0 {
		msg := "Missing required request parameters: [" + strings.Join(missing, ", ") + "]"
		return &diag.Error{Phase: diag.PhaseMethodRequest, Cause: diag.MissingRequestParameters, Detail: msg, Message: msg}
	}
	if len(c.bodies) == 0 {
		return nil
	}
	ct := mediaType(x.Req.Header.Get("Content-Type"))
	if ct == "" {
		ct = defaultContentType
	}
	bm := c.bodies[ct]
	if bm == nil {
		bm = c.bodies["$default"]
	}
	if bm == nil {
		return nil // no model for this content type: AWS does not validate
	}
	reasons := checkBody(bm.schema, x.Body)
	if len(reasons) == 0 {
		return nil
	}
	detail := "[" + strings.Join(reasons, ", ") + "]"
	return &diag.Error{
		Phase:           diag.PhaseMethodRequest,
		Cause:           diag.InvalidRequestBody,
		Detail:          "Request body does not match model schema for content type " + ct + ": " + detail,
		ValidationError: detail,
	}
}

// missing lists the required parameters absent or blank in the request.
func (c *checker) missing(x *pipeline.Exchange) []string {
	var out []string
	for _, p := range c.params {
		present := false
		switch p.loc {
		case locHeader:
			for _, v := range x.Req.Header.Values(p.name) {
				if strings.TrimSpace(v) != "" {
					present = true
					break
				}
			}
		case locPath:
			v, ok := x.PathParam(p.name)
			present = ok && v != ""
		case locQuery:
			present = strings.TrimSpace(x.MethodRequest("querystring", p.name)) != ""
		}
		if !present {
			out = append(out, p.name)
		}
	}
	return out
}

// checkBody validates body against schema and returns the violations, each
// as "at 'json-pointer': message". An empty body is checked as {}, as AWS
// does (a bodiless GET fails a model with required properties).
func checkBody(schema *jsonschema.Schema, body []byte) []string {
	var doc any = map[string]any{}
	if len(body) > 0 {
		var err error
		doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			return []string{"at '': the body is not valid JSON: " + err.Error()}
		}
	}
	err := schema.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{"at '': " + err.Error()}
	}
	type leaf struct{ at, msg string }
	var leaves []leaf
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, leaf{"/" + strings.Join(e.InstanceLocation, "/"), e.Error()})
			return
		}
		for _, cause := range e.Causes {
			walk(cause)
		}
	}
	walk(ve)
	// The validator visits properties in map order: sort for a stable text.
	sort.Slice(leaves, func(i, j int) bool {
		if leaves[i].at != leaves[j].at {
			return leaves[i].at < leaves[j].at
		}
		return leaves[i].msg < leaves[j].msg
	})
	var out []string
	for i, l := range leaves {
		if (i > 0 && l.msg == leaves[i-1].msg) || len(out) == maxReasons {
			continue
		}
		out = append(out, l.msg)
	}
	if len(out) == 0 {
		out = append(out, ve.Error())
	}
	return out
}

// oneLine joins the indented lines of a schema compile error.
func oneLine(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(strings.TrimSpace(l), "- ")
	}
	return strings.Join(lines, "; ")
}

// mediaType returns the lower-case media type of a Content-Type value,
// without parameters.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
