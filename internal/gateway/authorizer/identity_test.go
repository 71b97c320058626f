package authorizer

import (
	"strings"
	"testing"
)

func TestParseIdentitySources(t *testing.T) {
	tests := []struct {
		in      string
		want    []string // kind:name
		wantErr string
	}{
		{"method.request.header.Authorization", []string{"header:Authorization"}, ""},
		{"method.request.header.X-Auth, method.request.querystring.tenant,stageVariables.env, context.requestId", []string{"header:X-Auth", "querystring:tenant", "stage:env", "context:requestId"}, ""},
		{"", nil, ""},
		{"method.request.path.id", nil, "is not"},
		{"method.request.header.", nil, "names nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseIdentitySources(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kn []string
			for _, s := range got {
				kn = append(kn, s.kind+":"+s.name)
			}
			if strings.Join(kn, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", kn, tc.want)
			}
		})
	}
}

func FuzzParseIdentitySources(f *testing.F) {
	f.Add("method.request.header.A, method.request.querystring.b")
	f.Add("stageVariables.x,context.y")
	f.Fuzz(func(t *testing.T, s string) {
		srcs, err := parseIdentitySources(s)
		if err != nil {
			return
		}
		for _, src := range srcs {
			if src.name == "" || !strings.HasSuffix(src.expr, src.name) {
				t.Fatalf("source %+v from %q", src, s)
			}
		}
	})
}
