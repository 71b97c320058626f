package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	sdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// sdkClient is the official Lambda client pointed at the service, with
// static credentials and no retries (a throttle must reach the test).
func sdkClient(t *testing.T, s *Service) (*sdk.Client, string) {
	t.Helper()
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return sdk.New(sdk.Options{
		Region:       "eu-central-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}, nil
		}),
		Retryer: aws.NopRetryer{},
	}), url
}

func TestInvokeAPIWithSDK(t *testing.T) {
	s := newService(t, Config{},
		example("hello"), example("panic"), example("slow", withReserved(1)))
	client, _ := sdkClient(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("RequestResponse", func(t *testing.T) {
		out, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("hello"), Payload: []byte(query("name", "SDK"))})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		var h hello
		pr := decodeProxy(t, out.Payload, &h)
		if out.StatusCode != 200 || pr.StatusCode != 200 || h.Message != "Hello, SDK!" || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("out = %+v, payload %s", out, out.Payload)
		}
		if out.LogResult != nil {
			t.Errorf("LogResult without Tail: %q", *out.LogResult)
		}
		if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != h.RequestID {
			t.Errorf("x-amzn-RequestId %q, the function saw %q", id, h.RequestID)
		}
	})

	t.Run("Tail", func(t *testing.T) {
		out, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("hello"), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatalf("LogResult %q: %v", aws.ToString(out.LogResult), err)
		}
		for _, want := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: ", "Max Memory Used: "} {
			if !strings.Contains(string(tail), want) {
				t.Errorf("tail lacks %q:\n%s", want, tail)
			}
		}
		if len(tail) > TailBytes {
			t.Errorf("tail is %d bytes, want at most %d", len(tail), TailBytes)
		}
	})

	t.Run("function error", func(t *testing.T) {
		out, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("panic"), Payload: []byte(query("mode", "error")), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		p, ok := ParseFunctionError(out.Payload)
		if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || !ok || p.ErrorType != "errorString" {
			t.Errorf("out = %+v, payload %s", out, out.Payload)
		}
		if tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult)); !strings.Contains(string(tail), "handling GET /") {
			t.Errorf("tail lacks the function's output:\n%s", tail)
		}
	})

	t.Run("Event", func(t *testing.T) {
		out, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("hello"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{}`)})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		if out.StatusCode != 202 || len(out.Payload) != 0 || id == "" {
			t.Fatalf("out = %+v, request id %q", out, id)
		}
		waitFor(t, "the Event invocation to run", func() bool {
			l, ok := s.InvocationLog("hello", id)
			return ok && hasLine(l.Lines, "REPORT RequestId: "+id)
		})
	})

	t.Run("DryRun", func(t *testing.T) {
		before := len(s.Logs("hello"))
		out, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("hello"), InvocationType: types.InvocationTypeDryRun})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if out.StatusCode != 204 || len(s.Logs("hello")) != before {
			t.Errorf("out = %+v; DryRun must not run the function", out)
		}
	})

	t.Run("unknown function", func(t *testing.T) {
		_, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("nope")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
		if want := "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"; aws.ToString(nf.Message) != want || aws.ToString(nf.Type) != "User" {
			t.Errorf("Message %q Type %q, want %q User", aws.ToString(nf.Message), aws.ToString(nf.Type), want)
		}
	})

	t.Run("throttled", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			_, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(query("ms", "1500"))})
			done <- err
		}()
		waitFor(t, "the first invocation to run", func() bool { st, _ := s.Stats("slow"); return st.Running == 1 })
		_, err := client.Invoke(ctx, &sdk.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(query("ms", "0"))})
		var tm *types.TooManyRequestsException
		if !errors.As(err, &tm) {
			t.Fatalf("err = %v, want TooManyRequestsException", err)
		}
		if aws.ToString(tm.Message) != "Rate Exceeded." || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
			t.Errorf("Message %q Reason %q", aws.ToString(tm.Message), tm.Reason)
		}
		if err := <-done; err != nil {
			t.Errorf("first invocation: %v", err)
		}
	})
}

// TestInvokeAPIWire checks the exact bytes of the error shapes.
func TestInvokeAPIWire(t *testing.T) {
	s := newService(t, Config{}, example("hello"))
	_, url := sdkClient(t, s)
	tests := []struct {
		name       string
		path       string
		header     http.Header
		body       string
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{
			name:       "unknown function",
			path:       "/2015-03-31/functions/nope/invocations",
			wantStatus: 404,
			wantType:   "ResourceNotFoundException",
			wantBody:   `{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"}`,
		},
		{
			name:       "payload not JSON",
			path:       "/2015-03-31/functions/hello/invocations",
			body:       "{",
			wantStatus: 400,
			wantType:   "InvalidRequestContentException",
		},
		{
			name:       "unknown invocation type",
			path:       "/2015-03-31/functions/hello/invocations",
			header:     http.Header{"X-Amz-Invocation-Type": {"Later"}},
			wantStatus: 400,
			wantType:   "InvalidParameterValueException",
		},
		{
			name:       "DryRun by ARN",
			path:       "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello/invocations",
			header:     http.Header{"X-Amz-Invocation-Type": {"DryRun"}},
			wantStatus: 204,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, url+tc.path, bytes.NewBufferString(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || resp.Header.Get("x-amzn-ErrorType") != tc.wantType {
				t.Errorf("status %d x-amzn-ErrorType %q body %s; want %d %q", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body, tc.wantStatus, tc.wantType)
			}
			if tc.wantBody != "" && string(body) != tc.wantBody {
				t.Errorf("body %s\nwant %s", body, tc.wantBody)
			}
		})
	}
}
