package lambda

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRemote invokes functions that are not local through another
// service's Invoke API (a real Lambda-compatible endpoint running real
// functions) with the official SDK client, as Archway calls AWS Lambda.
func TestRemote(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	far := newService(t, Config{Region: "eu-west-1", AccountID: "123456789012"},
		example("hello"), example("panic"), example("timeout", withTimeout(500*time.Millisecond)), example("slow", withReserved(1)))
	url, err := far.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	remote, err := NewRemote(ctx, RemoteConfig{Endpoint: url, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if remote.Endpoint() != url {
		t.Errorf("endpoint %q", remote.Endpoint())
	}
	near := newService(t, Config{Fallback: remote}, example("crud"))

	t.Run("success", func(t *testing.T) {
		res, err := near.Invoke(ctx, "hello", []byte(query("name", "remote")), InvokeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var h hello
		decodeProxy(t, res.Payload, &h)
		if res.StatusCode != 200 || h.Message != "Hello, remote!" || h.FunctionARN != "arn:aws:lambda:eu-west-1:123456789012:function:hello" {
			t.Errorf("result %+v, greeting %+v", res, h)
		}
		if res.RequestID != h.RequestID || res.ExecutedVersion != "$LATEST" {
			t.Errorf("request id %q (function saw %q), version %q", res.RequestID, h.RequestID, res.ExecutedVersion)
		}
		if !strings.Contains(res.LogTail, "REPORT RequestId: "+h.RequestID) || len(res.Log) == 0 {
			t.Errorf("log tail %q", res.LogTail)
		}
	})
	t.Run("local functions stay local", func(t *testing.T) {
		if res, err := near.Invoke(ctx, "crud", []byte(`{"httpMethod":"GET","path":"/items"}`), InvokeOptions{}); err != nil || res.FunctionError != "" {
			t.Fatalf("%+v %v", res, err)
		}
		if _, ok := far.ARN("crud"); ok {
			t.Fatal("test setup: crud must not exist remotely")
		}
	})
	t.Run("function error", func(t *testing.T) {
		res, err := near.Invoke(ctx, "panic", []byte(query("mode", "error")), InvokeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.FunctionError != "Unhandled" || res.Failure != FailureUnhandled || res.ErrorType != "errorString" {
			t.Errorf("result %+v %s", res, res.Payload)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		res, err := near.Invoke(ctx, "timeout", []byte(`{}`), InvokeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failure != FailureTimeout || !strings.Contains(string(res.Payload), "Task timed out after 0.50 seconds") {
			t.Errorf("result %+v %s", res, res.Payload)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := near.Invoke(ctx, "nosuch", []byte(`{}`), InvokeOptions{})
		var se *ServiceError
		if !errors.As(err, &se) || !errors.Is(err, ErrResourceNotFound) || se.StatusCode != 404 ||
			se.Message != "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nosuch" {
			t.Errorf("err %v", err)
		}
	})
	t.Run("throttled", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = far.Invoke(ctx, "slow", []byte(query("ms", "800")), InvokeOptions{})
		}()
		waitFor(t, "slow to run", func() bool { st, _ := far.Stats("slow"); return st.Running == 1 })
		_, err := near.Invoke(ctx, "slow", []byte(query("ms", "0")), InvokeOptions{})
		var se *ServiceError
		if !errors.As(err, &se) || !errors.Is(err, ErrTooManyRequests) || se.StatusCode != 429 || se.Reason != "ReservedFunctionConcurrentInvocationLimitExceeded" {
			t.Errorf("err %v", err)
		}
		<-done
	})
	t.Run("Event", func(t *testing.T) {
		res, err := near.Invoke(ctx, "hello", []byte(`{}`), InvokeOptions{InvocationType: Event})
		if err != nil || res.StatusCode != 202 {
			t.Fatalf("%+v %v", res, err)
		}
		waitFor(t, "the remote Event invocation", func() bool {
			l, ok := far.InvocationLog("hello", res.RequestID)
			return ok && hasLine(l.Lines, "REPORT")
		})
	})
	t.Run("bad endpoint", func(t *testing.T) {
		if _, err := NewRemote(ctx, RemoteConfig{Endpoint: "ftp://x"}); err == nil {
			t.Error("NewRemote accepted ftp://x")
		}
	})
}
