package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"github.com/archway-gw/archway/internal/apigw"
)

// runMockIntegration serves a MOCK method whose request template renders the
// vector's text, and observes the selection value through an integration
// response whose selectionPattern is exactly the expected status (mapped to
// 299) beside a default one (200).
func runMockIntegration(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		Rendered *string `json:"rendered_request_template"`
	}
	var exp struct {
		StatusCode *int   `json:"status_code"`
		Error      string `json:"error"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil || in.Rendered == nil {
		return Unsupported, "no rendered_request_template in the vector"
	}
	json.Unmarshal(v.Expected, &exp)
	m := mockMethod("GET", "ok")
	m.Integration.RequestTemplates = map[string]string{"application/json": *in.Rendered}
	m.MethodResponses["299"] = &apigw.MethodResponse{StatusCode: "299"}
	if exp.StatusCode != nil {
		pat := regexp.QuoteMeta(strconv.Itoa(*exp.StatusCode))
		m.Integration.IntegrationResponses = append(m.Integration.IntegrationResponses, &apigw.IntegrationResponse{Key: pat, SelectionPattern: pat, StatusCode: "299"})
	}
	x, err := serveOnce(ctx, restAPI(map[string]map[string]*apigw.Method{"/mock": {"GET": m}}), apigw.Stage{Name: "dev"}, "GET", "/dev/mock", nil, "")
	if err != nil {
		return Fail, err.Error()
	}
	switch {
	case exp.StatusCode != nil && x.status != 299:
		return Fail, fmt.Sprintf("status %d (%s): the template's statusCode was not read as %d", x.status, x.body, *exp.StatusCode)
	case exp.Error != "" && fmt.Sprintf("%d %s", x.status, jsonMessage(x.body)) != exp.Error:
		return Fail, fmt.Sprintf("got %d %s, want %s", x.status, x.body, exp.Error)
	}
	return Pass, ""
}

func jsonMessage(b []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	json.Unmarshal(b, &m)
	return m.Message
}

// runResponseSelection calls an HTTP backend answering with the selection
// value as its status, through the vector's integration responses.
func runResponseSelection(ctx context.Context, v Vector, _ map[string]Vector) (Outcome, string) {
	var in struct {
		Responses map[string]struct {
			StatusCode       string `json:"statusCode"`
			SelectionPattern string `json:"selectionPattern"`
		} `json:"integration_responses"`
		Value string `json:"selection_value"`
	}
	var exp struct {
		Selected string `json:"selected_statusCode"`
	}
	if err := json.Unmarshal(v.Inputs, &in); err != nil || in.Value == "" {
		return Unsupported, "no selection_value in the vector"
	}
	json.Unmarshal(v.Expected, &exp)
	status, err := strconv.Atoi(in.Value)
	if err != nil {
		return Unsupported, "selection value " + in.Value + " is not a status: it needs a Lambda integration (served in a later issue)"
	}
	backend := statusBackend(status)
	defer backend.Close()
	m := httpMethodTo(apigw.IntegrationHTTP, backend.URL+"/")
	m.Integration.IntegrationResponses = nil
	for _, key := range sortedKeys(in.Responses) {
		r := in.Responses[key]
		k := key
		if r.SelectionPattern == "" {
			k = "default"
		}
		m.Integration.IntegrationResponses = append(m.Integration.IntegrationResponses, &apigw.IntegrationResponse{Key: k, StatusCode: r.StatusCode, SelectionPattern: r.SelectionPattern})
		m.MethodResponses[r.StatusCode] = &apigw.MethodResponse{StatusCode: r.StatusCode}
	}
	x, err := serveOnce(ctx, restAPI(map[string]map[string]*apigw.Method{"/": {"GET": m}}), apigw.Stage{Name: "dev"}, "GET", "/dev/", nil, "")
	if err != nil {
		return Fail, err.Error()
	}
	if strconv.Itoa(x.status) != exp.Selected {
		return Fail, fmt.Sprintf("backend status %s selected %d, want %s", in.Value, x.status, exp.Selected)
	}
	return Pass, ""
}
