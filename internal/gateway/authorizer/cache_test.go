package authorizer

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMemoryCache(t *testing.T) {
	c := NewMemoryCache(10)
	ctx := context.Background()
	r := &Result{PrincipalID: "p"}
	c.Set(ctx, "k", r, time.Minute)
	c.Set(ctx, "zero", r, 0) // a TTL of 0 caches nothing
	if got, ok, err := c.Get(ctx, "k"); !ok || got != r || err != nil {
		t.Errorf("Get(k) = %v, %v, %v", got, ok, err)
	}
	if _, ok, _ := c.Get(ctx, "zero"); ok {
		t.Error("an entry with TTL 0 was cached")
	}
	if _, ok, _ := c.Get(ctx, "absent"); ok {
		t.Error("absent key found")
	}
}

// TestResultJSON: a Result survives JSON, so a shared cache backend can
// store it.
func TestResultJSON(t *testing.T) {
	r, err := ParseResult([]byte(`{"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"execute-api:Invoke","Resource":["a","b"]}]},"context":{"s":"v","n":2,"b":true},"usageIdentifierKey":"k"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
