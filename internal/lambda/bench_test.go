package lambda

import (
	"context"
	"testing"
)

// BenchmarkInvokeWarm measures one warm invocation of a Go function through
// the Runtime API, end to end (delivery, handler, response, REPORT).
func BenchmarkInvokeWarm(b *testing.B) {
	s, err := New(Config{Logger: discardLogger()}, example("hello"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	ctx := context.Background()
	payload := []byte(`{"path":"/bench"}`)
	if _, err := s.Invoke(ctx, "hello", payload, InvokeOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Invoke(ctx, "hello", payload, InvokeOptions{})
		if err != nil || res.FunctionError != "" {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
