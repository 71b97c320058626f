package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// validationInputs are the inputs of request-validation vectors
// (err-rest-validation-*).
type validationInputs struct {
	Validator struct {
		Body   bool `json:"validateRequestBody"`
		Params bool `json:"validateRequestParameters"`
	} `json:"validator"`
	Params   orderedBools      `json:"method_request_parameters"`
	Models   map[string]string `json:"requestModels"`
	Resource string            `json:"resource"`
	Client   *struct {
		clientRequest
		JSON json.RawMessage `json:"json"`
	} `json:"client_request"`
}

// orderedBools is a JSON object of booleans that keeps its key order (AWS
// lists missing parameters in the method's parameter order).
type orderedBools struct {
	keys   []string
	values map[string]bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *orderedBools) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("method_request_parameters is not an object")
	}
	o.values = map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := t.(string)
		var v bool
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("method_request_parameters.%s: %w", k, err)
		}
		o.keys = append(o.keys, k)
		o.values[k] = v
	}
	return nil
}

// modelDescRE reads the vectors' description of a model, e.g.
// "testSchema (draft-04: object, properties a:number, b:number, required [a,b])".
var modelDescRE = regexp.MustCompile(`^(\w+) \(draft-04: (\w+)(?:, properties ([^)\]]*?))?(?:, required \[([^\]]*)\])?\)$`)

// modelFromDescription builds the model a vector describes in words.
func modelFromDescription(desc string) (*apigw.Model, error) {
	m := modelDescRE.FindStringSubmatch(desc)
	if m == nil {
		return nil, fmt.Errorf("model description %q is not in the form NAME (draft-04: TYPE, properties p:type, ..., required [p, ...])", desc)
	}
	schema := map[string]any{"$schema": "http://json-schema.org/draft-04/schema#", "title": m[1], "type": m[2]}
	if m[3] != "" {
		props := map[string]any{}
		for _, p := range strings.Split(m[3], ",") {
			name, typ, ok := strings.Cut(strings.TrimSpace(p), ":")
			if !ok {
				return nil, fmt.Errorf("property %q in %q has no type", p, desc)
			}
			props[name] = map[string]any{"type": typ}
		}
		schema["properties"] = props
	}
	if m[4] != "" {
		var req []string
		for _, r := range strings.Split(m[4], ",") {
			req = append(req, strings.TrimSpace(r))
		}
		schema["required"] = req
	}
	text, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("encoding the schema of %q: %w", desc, err)
	}
	return &apigw.Model{Name: m[1], ContentType: "application/json", Schema: string(text)}, nil
}

// runRequestValidation builds the vector's API (a validator, the method's
// request parameters and models, the resource) and sends the client request.
//
// The recordings come from LocalStack's AWS-validated
// test_api_gateway_request_validator, whose methods have AWS_PROXY Lambda
// integrations; a MOCK integration stands in for the Lambda here, since a
// request failing validation never reaches the integration.
func runRequestValidation(ctx context.Context, v Vector, exp errorExpected) (Outcome, string) {
	var in validationInputs
	if err := json.Unmarshal(v.Inputs, &in); err != nil {
		return Fail, "inputs: " + err.Error()
	}
	if in.Client == nil || in.Resource == "" {
		return Unsupported, "the validation vector has no client request or resource"
	}
	api := restAPI(nil)
	api.RequestValidators = map[string]*apigw.RequestValidator{"test-validator": {Name: "test-validator", ValidateRequestBody: in.Validator.Body, ValidateRequestParameters: in.Validator.Params}}
	m := mockMethod(in.Client.Method, "ok")
	m.RequestValidatorID = "test-validator"
	m.RequestParameters, m.RequestParameterOrder = in.Params.values, in.Params.keys
	for ct, desc := range in.Models {
		model, err := modelFromDescription(desc)
		if err != nil {
			return Unsupported, err.Error()
		}
		if api.Models == nil {
			api.Models = map[string]*apigw.Model{}
		}
		api.Models[model.Name] = model
		if m.RequestModels == nil {
			m.RequestModels = map[string]string{}
		}
		m.RequestModels[ct] = model.Name
	}
	api.Resources = []*apigw.Resource{{Path: in.Resource, Methods: map[string]*apigw.Method{in.Client.Method: m}}}
	stage, _ := splitStagePath(in.Client.Path)
	h, err := newHarness(api, apigw.Stage{Name: stage})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	headers := map[string]string{}
	for k, val := range in.Client.Headers {
		headers[k] = val
	}
	body := in.Client.Body
	if in.Client.JSON != nil {
		// python-requests' json= sends the value as JSON with this Content-Type.
		body = string(in.Client.JSON)
		if _, ok := headers["Content-Type"]; !ok {
			headers["Content-Type"] = "application/json"
		}
	}
	x, err := h.do(ctx, in.Client.Method, in.Client.requestPath(), headers, body)
	if err != nil {
		return Fail, err.Error()
	}
	if why := checkError(x, exp); why != "" {
		return Fail, why
	}
	if exp.Status >= 400 && x.header.Get("x-amzn-ErrorType") != "BadRequestException" {
		return Fail, fmt.Sprintf("x-amzn-ErrorType %q, want BadRequestException", x.header.Get("x-amzn-ErrorType"))
	}
	return Pass, ""
}
