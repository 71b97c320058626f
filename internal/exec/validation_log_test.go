package exec

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/diag"
)

// TestValidationFailureLines checks that request-validation failures log the
// validation result, as AWS does, instead of a configuration error.
func TestValidationFailureLines(t *testing.T) {
	const params = "Missing required request parameters: [h1, q1]"
	const body = "Request body does not match model schema for content type application/json: [at '': missing property 'b']"
	tests := []struct {
		name string
		err  *diag.Error
		want []string
	}{
		{"parameters", &diag.Error{Phase: diag.PhaseMethodRequest, Cause: diag.MissingRequestParameters, Detail: params, Message: params},
			[]string{params, "Method completed with status: 400"}},
		{"body", &diag.Error{Phase: diag.PhaseMethodRequest, Cause: diag.InvalidRequestBody, Detail: body, ValidationError: "[at '': missing property 'b']"},
			[]string{body, "Method completed with status: 400"}},
		{"body without detail falls back to the catalog", &diag.Error{Phase: diag.PhaseMethodRequest, Cause: diag.InvalidRequestBody},
			[]string{diag.Lookup(diag.InvalidRequestBody).Meaning, "Method completed with status: 400"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			r := &Record{RequestID: "id", Start: start, End: start, Status: 400, Err: tc.err}
			var got []string
			for _, l := range r.Lines(LogOptions{Level: LevelError}) {
				got = append(got, l.Msg)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
