package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/limit"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/usageplan"
	"github.com/archway-gw/archway/internal/keys"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// TestTestInvokeSkipsAccessControl: TestInvokeMethod bypasses API keys,
// throttles and authorizers, while the same method served to a client
// refuses a request without its key.
func TestTestInvokeSkipsAccessControl(t *testing.T) {
	m := mock("200", "200")
	m.APIKeyRequired = true
	api := &apigw.RestAPI{ID: "keyed", Name: "keyed", Resources: []*apigw.Resource{{Path: "/pets", Methods: map[string]*apigw.Method{"GET": m}}}}
	store, err := keys.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	guards := usageplan.New(usageplan.Config{Backend: limit.NewMemory(), OpenStore: func(context.Context) (*keys.Store, error) { return store, nil }})
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev"}}}},
		&pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify, Limits: guards})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{}
	srv.Swap(snap)
	t.Cleanup(srv.Close)

	tests := []struct {
		name   string
		invoke bool
		status int
	}{
		{"served to a client without a key", false, http.StatusForbidden},
		{"test-invoke without a key", true, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status := 0
			if tc.invoke {
				res, err := srv.TestInvoke(context.Background(), TestInvokeRequest{APIID: "keyed", Stage: "dev", ResourcePath: "/pets", HTTPMethod: "GET"})
				if err != nil {
					t.Fatal(err)
				}
				status = res.Status
			} else {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, httptest.NewRequest("GET", "/dev/pets", nil))
				status = w.Code
			}
			if status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
		})
	}
}
