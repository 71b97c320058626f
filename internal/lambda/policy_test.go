package lambda

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestExecuteAPIARN(t *testing.T) {
	tests := []struct {
		name, method, path, want string
	}{
		{"root", "GET", "/", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/GET/"},
		{"nested", "post", "/pets/{petId}", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/POST/pets/{petId}"},
		{"any is star", "ANY", "/{proxy+}", "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/*/{proxy+}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExecuteAPIARN("us-east-1", "000000000000", "abc123", "dev", tc.method, tc.path); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestARNLike(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/GET/pets/{petId}"
	tests := []struct {
		pattern string
		want    bool
	}{
		{arn, true},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/*/GET/pets/{petId}", true},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/*/*/*", true},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/*", true},
		{"arn:aws:execute-api:*:*:abc123/*", true},
		{"arn:aws:execute-api:us-east-1:000000000000:*", true},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/d?v/GET/pets/*", true},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/prod/GET/pets/{petId}", false},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/*/POST/pets/{petId}", false},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/*/GET/pets", false},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/*/get/pets/*", false}, // case-sensitive
		{"arn:aws:execute-api:eu-west-1:000000000000:abc123/*", false},
		{"arn:aws:execute-api:us-east-1:111111111111:abc123/*", false},
		{"arn:aws:execute-api:us-east-1:000000000000:other/*", false},
		// * does not cross the colons between ARN fields.
		{"arn:aws:execute-api:us-east-1*abc123/*", false},
		{"arn:aws:execute-api:us-east-1:000000000000:abc123/*/GET/", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			if got := ARNLike(tc.pattern, arn); got != tc.want {
				t.Errorf("ARNLike = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	src := ExecuteAPIARN("us-east-1", "000000000000", "abc123", "dev", "GET", "/hello")
	allow := func(p Permission) Function { return Function{Name: "hello", Permissions: []Permission{p}} }
	tests := []struct {
		name   string
		fn     Function
		strict bool
		want   bool
	}{
		{"no policy", Function{Name: "hello"}, false, true},
		{"no policy, strict", Function{Name: "hello"}, true, false},
		{"exact", allow(Permission{StatementID: "a", SourceARN: src}), true, true},
		{"any stage", allow(Permission{StatementID: "a", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:abc123/*/GET/hello"}), false, true},
		{"other stage", allow(Permission{StatementID: "a", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:abc123/prod/GET/hello"}), false, false},
		{"other method", allow(Permission{StatementID: "a", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:abc123/*/POST/hello"}), false, false},
		{"ANY written literally never matches", allow(Permission{StatementID: "a", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:abc123/*/ANY/hello"}), false, false},
		{"other api", allow(Permission{StatementID: "a", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:zzz/*"}), false, false},
		{"no source arn", allow(Permission{StatementID: "a"}), true, true},
		{"other principal", allow(Permission{StatementID: "a", Principal: "s3.amazonaws.com"}), false, false},
		{"any principal", allow(Permission{StatementID: "a", Principal: "*", SourceARN: src}), false, true},
		{"lambda:*", allow(Permission{StatementID: "a", Action: "lambda:*", SourceARN: src}), false, true},
		{"other action", allow(Permission{StatementID: "a", Action: "lambda:GetFunction", SourceARN: src}), false, false},
		{"source account matches", allow(Permission{StatementID: "a", SourceAccount: "000000000000"}), false, true},
		{"source account differs", allow(Permission{StatementID: "a", SourceAccount: "123456789012"}), false, false},
		{"second statement allows", Function{Name: "hello", Permissions: []Permission{
			{StatementID: "a", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:zzz/*"},
			{StatementID: "b", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:abc123/*/*/*"},
		}}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, fix := Allows(tc.fn, src, tc.strict)
			if ok != tc.want {
				t.Fatalf("Allows = %v, want %v", ok, tc.want)
			}
			if ok != (fix == "") {
				t.Errorf("fix %q with ok %v", fix, ok)
			}
			if !ok {
				want := "aws lambda add-permission --function-name hello --statement-id apigw-abc123-dev-GET-hello --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn '" + src + "'"
				if fix != want {
					t.Errorf("fix:\n got %s\nwant %s", fix, want)
				}
				// The fix, applied, allows the call.
				fixed := tc.fn
				fixed.Permissions = append(append([]Permission(nil), tc.fn.Permissions...), Permission{StatementID: "fix", SourceARN: src})
				if ok, _ := Allows(fixed, src, tc.strict); !ok {
					t.Error("the permission the fix adds does not allow the call")
				}
			}
		})
	}
}

func TestStatementID(t *testing.T) {
	tests := []struct{ src, want string }{
		{"arn:aws:execute-api:us-east-1:0:abc/dev/GET/pets/{petId}", "apigw-abc-dev-GET-pets-petId"},
		{"arn:aws:execute-api:us-east-1:0:abc/dev/*/", "apigw-abc-dev"},
		{"arn:aws:execute-api:us-east-1:0:abc/dev/GET/" + strings.Repeat("x", 200), "apigw-abc-dev-GET-" + strings.Repeat("x", 100-len("apigw-abc-dev-GET-"))},
	}
	for _, tc := range tests {
		t.Run(tc.want[:min(len(tc.want), 30)], func(t *testing.T) {
			if got := statementID(tc.src); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestInvokePermissionDenied runs a real function behind a policy: an invoke
// with an allowed source ARN runs it, another is AccessDeniedException
// without starting a process, and a direct invoke (no source ARN, IAM's
// business) is never checked.
func TestInvokePermissionDenied(t *testing.T) {
	allowed := ExecuteAPIARN("us-east-1", "000000000000", "abc123", "dev", "GET", "/hello")
	denied := ExecuteAPIARN("us-east-1", "000000000000", "abc123", "prod", "GET", "/hello")
	fn := example("hello", func(f *Function) {
		f.Permissions = []Permission{{StatementID: "dev-only", SourceARN: "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/*/*"}}
	})
	s := newService(t, Config{Logger: discardLogger()}, fn, example("crud"))
	ctx := context.Background()
	if res, err := s.Invoke(ctx, "hello", []byte(query()), InvokeOptions{SourceARN: allowed}); err != nil || res.FunctionError != "" {
		t.Fatalf("allowed invoke: %v %+v", err, res)
	}
	_, err := s.Invoke(ctx, "hello", []byte(query()), InvokeOptions{SourceARN: denied})
	var se *ServiceError
	if !errors.As(err, &se) || !errors.Is(err, ErrAccessDenied) || se.StatusCode != 403 {
		t.Fatalf("denied invoke: %v, want AccessDeniedException 403", err)
	}
	if !strings.Contains(se.Message, denied) {
		t.Errorf("message %q does not name the source ARN", se.Message)
	}
	if _, err := s.Invoke(ctx, "hello", []byte(query()), InvokeOptions{}); err != nil {
		t.Errorf("direct invoke: %v", err)
	}
	// crud has no policy: allowed unless strict.
	if _, err := s.Invoke(ctx, "crud", []byte(`{"httpMethod":"GET","path":"/items"}`), InvokeOptions{SourceARN: denied}); err != nil {
		t.Errorf("crud without policy: %v", err)
	}
	if ok, fix := s.Allows("hello", denied); ok || !strings.HasPrefix(fix, "aws lambda add-permission --function-name hello ") {
		t.Errorf("Service.Allows = %v %q", ok, fix)
	}

	strict := newService(t, Config{Logger: discardLogger(), StrictPermissions: true}, example("crud"))
	if _, err := strict.Invoke(ctx, "crud", []byte(`{}`), InvokeOptions{SourceARN: denied}); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("strict, no policy: %v, want AccessDeniedException", err)
	}
	if st, _ := strict.Stats("crud"); st.Processes != 0 {
		t.Errorf("a denied invoke started %d processes", st.Processes)
	}
}

func FuzzARNLike(f *testing.F) {
	f.Add("arn:aws:execute-api:*:*:abc/*/GET/*", "arn:aws:execute-api:us-east-1:0:abc/dev/GET/x")
	f.Add("a*b?c**", "axxbyc")
	f.Fuzz(func(t *testing.T, pattern, arn string) {
		got := ARNLike(pattern, arn)
		if pattern == arn && !got {
			t.Errorf("ARNLike(%q, itself) = false", pattern)
		}
		if !strings.ContainsAny(pattern, "*?") && got != (pattern == arn) {
			t.Errorf("literal pattern %q vs %q: %v", pattern, arn, got)
		}
	})
}
