package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/limit"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/usageplan"
	"github.com/archway-gw/archway/internal/keys"
)

// apiKeyExpected is what an API-key vector expects. Vectors recorded with
// LocalStack's body and headers (AWS asserted the status only) carry them
// under *_localstack; both forms are checked.
type apiKeyExpected struct {
	Status        int               `json:"status"`
	BodyJSON      json.RawMessage   `json:"body_json"`
	Headers       map[string]string `json:"headers"`
	BodyJSONLS    json.RawMessage   `json:"body_json_localstack"`
	HeadersLS     map[string]string `json:"headers_localstack"`
	ExecutionLogs []string          `json:"log_lines"`
}

// runAPIKeyError serves a MOCK method with apiKeyRequired through the
// real usage-plan guard and key store. The store holds one enabled key in
// a usage plan for the vector's stage; the client's x-api-key names which
// key it sends: a literal value is created as that key, and the recorder's
// placeholders ("<same key after enabled=false>", "<unknown key>", "<valid
// key>") are turned into the key disabled, a value the store does not
// hold, or the key as created.
func runAPIKeyError(ctx context.Context, v Vector, in errorInputs) (Outcome, string) {
	var exp apiKeyExpected
	if err := json.Unmarshal(v.Expected, &exp); err != nil {
		return Fail, "expected: " + err.Error()
	}
	var method struct {
		APIKeyRequired bool `json:"apiKeyRequired"`
	}
	json.Unmarshal(in.Method, &method)
	var source struct {
		APIKeySource string `json:"apiKeySource"`
	}
	json.Unmarshal(v.Inputs, &source)
	if s := strings.ToUpper(source.APIKeySource); s != "" && s != "HEADER" {
		return Unsupported, "API key source " + s + " needs an authorizer the vector does not describe"
	}
	client := clientRequest{Method: "GET", Path: "/dev/keyed"}
	if in.Client != nil {
		client.Headers = in.Client.Headers
		if in.Client.Method != "" {
			client.Method = in.Client.Method
		}
		if in.Client.Path != "" {
			client.Path = in.Client.Path
		}
	}
	stage, path := splitStagePath(client.Path)
	if stage == "" {
		stage = "dev"
	}

	dir, err := os.MkdirTemp("", "archway-conformance-keys-")
	if err != nil {
		return Fail, err.Error()
	}
	defer os.RemoveAll(dir)
	store, err := keys.Open(ctx, dir)
	if err != nil {
		return Fail, "opening the key store: " + err.Error()
	}
	defer store.Close()

	sent, hasKey := "", false
	for k, val := range client.Headers {
		if strings.EqualFold(k, "x-api-key") {
			sent, hasKey = val, true
		}
	}
	placeholder := strings.HasPrefix(sent, "<") && strings.HasSuffix(sent, ">")
	lower := strings.ToLower(sent)
	value := ""
	if hasKey && !placeholder {
		value = sent
	}
	key, err := store.CreateKey(ctx, keys.NewKey{Name: "conformance", Value: value, Enabled: true})
	if err != nil {
		return Fail, "creating the key: " + err.Error()
	}
	plan, err := store.CreatePlan(ctx, keys.UsagePlan{Name: "conformance", APIStages: []keys.APIStage{{APIID: "conformance", Stage: stage}}})
	if err != nil {
		return Fail, "creating the plan: " + err.Error()
	}
	if err := store.AddKey(ctx, plan.ID, key.ID); err != nil {
		return Fail, "adding the key to the plan: " + err.Error()
	}
	headers := map[string]string{}
	for k, val := range client.Headers {
		headers[k] = val
	}
	if placeholder {
		switch {
		case strings.Contains(lower, "enabled=false") || strings.Contains(lower, "disabled"):
			if _, err := store.SetKeyEnabled(ctx, key.ID, false); err != nil {
				return Fail, "disabling the key: " + err.Error()
			}
			headers["x-api-key"] = key.Value
		case strings.Contains(lower, "unknown") || strings.Contains(lower, "invalid") || strings.Contains(lower, "wrong"):
			headers["x-api-key"] = "not-a-key-the-store-holds-0123456789"
		case strings.Contains(lower, "valid") || strings.Contains(lower, "same key") || strings.Contains(lower, "enabled"):
			headers["x-api-key"] = key.Value
		default:
			return Unsupported, fmt.Sprintf("x-api-key placeholder %q names no key the runner can build", sent)
		}
	}

	guards := usageplan.New(usageplan.Config{
		Backend:   limit.NewMemory(),
		OpenStore: func(context.Context) (*keys.Store, error) { return store, nil },
	})
	m := mockMethod(client.Method, "ok")
	m.APIKeyRequired = method.APIKeyRequired
	api := restAPI(map[string]map[string]*apigw.Method{pathOrRoot(path): {strings.ToUpper(client.Method): m}})
	api.APIKeySource = source.APIKeySource
	h, err := newHarnessWith(api, apigw.Stage{Name: stage}, &pipeline.Backend{
		Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Limits: guards,
	})
	if err != nil {
		return Fail, err.Error()
	}
	defer h.close()
	x, err := h.do(ctx, client.Method, client.Path, headers, "")
	if err != nil {
		return Fail, err.Error()
	}
	for _, e := range []errorExpected{
		{Status: exp.Status, BodyJSON: exp.BodyJSON, Headers: exp.Headers},
		{Status: exp.Status, BodyJSON: exp.BodyJSONLS, Headers: exp.HeadersLS},
	} {
		if why := checkError(x, e); why != "" {
			return Fail, why
		}
	}
	return Pass, ""
}

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
