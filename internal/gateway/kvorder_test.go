package gateway

import (
	"fmt"
	"net/http"
	"testing"
)

func TestMethodResponseKVsOrder(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   string
	}{
		{"trace id first", http.Header{"Content-Type": {"application/json"}, "X-Amzn-Trace-Id": {"Root=1-a"}}, "[{X-Amzn-Trace-Id Root=1-a} {Content-Type application/json}]"},
		{"others sorted", http.Header{"Zed": {"z"}, "Age": {"1"}, "Content-Type": {"t"}}, "[{Age 1} {Content-Type t} {Zed z}]"},
		{"multi-value joined", http.Header{"Vary": {"a", "b"}}, "[{Vary a,b}]"},
		{"empty", http.Header{}, "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 20; i++ { // map order must not leak into the log
				if got := fmt.Sprint(methodResponseKVs(tc.header)); got != tc.want {
					t.Fatalf("methodResponseKVs = %s, want %s", got, tc.want)
				}
			}
		})
	}
}
