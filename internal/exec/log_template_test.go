package exec

import (
	"strings"
	"testing"
)

func TestLinesTemplateNotJSON(t *testing.T) {
	warn := &TemplateJSONError{Template: "POST /pets request template application/json", ContentType: "application/json", Line: 2, Column: 9, Msg: "invalid character 'x' looking for beginning of value"}
	const want = "Request template POST /pets request template application/json output is not valid JSON for Content-Type application/json (sent as is): invalid character 'x' looking for beginning of value at line 2, column 9"
	tests := []struct {
		name     string
		level    Level
		warn     *TemplateJSONError
		wantLine bool
	}{
		{"info flags it", LevelInfo, warn, true},
		{"error level leaves successful requests out", LevelError, warn, false},
		{"nothing to flag", LevelInfo, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httpRecord()
			r.TemplateNotJSON = tc.warn
			var msgs []string
			for _, l := range r.Lines(LogOptions{Level: tc.level, DataTrace: true}) {
				msgs = append(msgs, l.Msg)
			}
			idx, uri := -1, -1
			for i, m := range msgs {
				if m == want {
					idx = i
				}
				if strings.HasPrefix(m, "Endpoint request URI: ") {
					uri = i
				}
			}
			if (idx >= 0) != tc.wantLine {
				t.Fatalf("template line present = %v, want %v; log:\n%s", idx >= 0, tc.wantLine, strings.Join(msgs, "\n"))
			}
			if tc.wantLine && (uri < 0 || idx != uri-1) {
				t.Errorf("template line at %d, want just before the endpoint request URI (%d)", idx, uri)
			}
		})
	}
}
