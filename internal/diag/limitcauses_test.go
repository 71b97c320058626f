package diag

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
)

var limitCauses = []Cause{
	APIKeyMissing, APIKeyUnknown, APIKeyDisabled, APIKeyNotInPlan,
	ThrottledUsagePlan, ThrottledStage, ThrottledAccount, QuotaExceeded, LimiterUnavailable,
}

func init() { allCauses = append(allCauses, limitCauses...) }

func isLimitCause(c Cause) bool { return slices.Contains(limitCauses, c) }

// TestLimitClientMapping pins what the client of each API-key, throttle
// and quota cause receives (aws-errors.md rows 7-9): compact bodies, the
// types' default statuses (403, 429, 429).
func TestLimitClientMapping(t *testing.T) {
	type client struct {
		Type    apigw.GatewayResponseType
		Status  int
		Message string
		Spaced  bool
	}
	forbidden := client{apigw.InvalidAPIKey, 0, "Forbidden", false}
	throttled := client{apigw.Throttled, 0, "Too Many Requests", false}
	want := map[Cause]client{
		APIKeyMissing:      forbidden,
		APIKeyUnknown:      forbidden,
		APIKeyDisabled:     forbidden,
		APIKeyNotInPlan:    forbidden,
		ThrottledUsagePlan: throttled,
		ThrottledStage:     throttled,
		ThrottledAccount:   throttled,
		QuotaExceeded:      {apigw.QuotaExceeded, 0, "Limit Exceeded", false},
		LimiterUnavailable: throttled,
	}
	for _, c := range limitCauses {
		t.Run(string(c), func(t *testing.T) {
			i := Lookup(c)
			got := client{i.ResponseType, i.Status, i.Message, i.Spaced}
			if diff := cmp.Diff(want[c], got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
