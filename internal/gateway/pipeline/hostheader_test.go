package pipeline

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHeaderParamsHost(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		host   string
		want   string
	}{
		{"host sorted in", http.Header{"Accept": {"a"}, "X-Y": {"b"}}, "h.example", "[{Accept a} {Host h.example} {X-Y b}]"},
		{"host last", http.Header{"Accept": {"a"}}, "h.example", "[{Accept a} {Host h.example}]"},
		{"host only", http.Header{}, "h.example", "[{Host h.example}]"},
		{"no host (TestInvoke)", http.Header{"Accept": {"a"}}, "", "[{Accept a}]"},
		{"header wins", http.Header{"Host": {"given"}}, "h.example", "[{Host given}]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(headerParams(tc.header, tc.host)); got != tc.want {
				t.Fatalf("headerParams = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMethodHeaderHost(t *testing.T) {
	tests := []struct {
		name, host, header, want string
	}{
		{"host", "h.example", "Host", "h.example"},
		{"host any case", "h.example", "host", "h.example"},
		{"no host", "", "Host", ""},
		{"other header", "h.example", "Accept", "text/plain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept", "text/plain")
			x := &Exchange{Req: r, Host: tc.host}
			if got := x.MethodRequest("header", tc.header); got != tc.want {
				t.Fatalf("MethodRequest(header, %s) = %q, want %q", tc.header, got, tc.want)
			}
			v, ok := Source{kind: srcHeader, name: tc.header}.requestValue(x)
			if v != tc.want || ok != (tc.want != "") {
				t.Fatalf("method.request.header.%s = %q, %v, want %q", tc.header, v, ok, tc.want)
			}
		})
	}
}
