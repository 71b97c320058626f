package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/diag"
)

// StageLimits are the throttle settings of one stage (archway.yaml
// stages[].throttle and methodSettings).
type StageLimits struct {
	Throttle       *config.Throttle
	MethodSettings map[string]config.MethodSetting
}

// Observed is a peak request rate seen on a stage, or on one method of it.
type Observed struct {
	// APIID is the API; empty matches every API that has the stage.
	APIID string
	Stage string
	// Method is a methodSettings key, "/{resourcePath}/{METHOD}"; empty
	// for the whole stage.
	Method string
	// RPS is the peak rate in requests per second.
	RPS float64
	// Source says where the rate comes from (a flag, an admin URL).
	Source string
}

// ParseObservedRPS reads --observed-rps values: STAGE=RPS for a whole
// stage, or STAGE:/path/VERB=RPS for one method.
func ParseObservedRPS(vals []string) ([]Observed, error) {
	var out []Observed
	for _, v := range vals {
		k, rps, ok := strings.Cut(v, "=")
		r, err := strconv.ParseFloat(rps, 64)
		if !ok || err != nil || r < 0 || k == "" {
			return nil, fmt.Errorf("--observed-rps %q: write STAGE=RPS or STAGE:/path/VERB=RPS, e.g. prod:/pets/GET=120", v)
		}
		stage, method, _ := strings.Cut(k, ":")
		out = append(out, Observed{Stage: stage, Method: method, RPS: r, Source: "--observed-rps"})
	}
	return out, nil
}

// FetchObserved asks a running Archway's admin API (GET /api/stats) for the
// peak per-minute rate of every stage of in over the last window. token,
// when set, is sent as Authorization: Bearer TOKEN.
func FetchObserved(ctx context.Context, admin, token string, in Input, window time.Duration) ([]Observed, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	var out []Observed
	for _, d := range in.Definitions {
		if d.API == nil {
			continue
		}
		for _, st := range d.Stages {
			q := url.Values{"apiId": {d.API.ID}, "stage": {st.Name}, "bucket": {"1m"},
				"from": {time.Now().Add(-window).UTC().Format(time.RFC3339)}}
			u := strings.TrimSuffix(admin, "/") + "/api/stats?" + q.Encode()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, fmt.Errorf("--observed: %w", err)
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := client.Do(req)
			if err != nil {
				return nil, fmt.Errorf("--observed: %w", err)
			}
			var agg struct {
				Series []struct {
					Count float64 `json:"count"`
				} `json:"series"`
			}
			err = json.NewDecoder(resp.Body).Decode(&agg)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("--observed: GET %s: %s", u, resp.Status)
			}
			if err != nil {
				return nil, fmt.Errorf("--observed: reading %s: %w", u, err)
			}
			peak := 0.0
			for _, b := range agg.Series {
				peak = max(peak, b.Count/60)
			}
			out = append(out, Observed{APIID: d.API.ID, Stage: st.Name, RPS: peak, Source: "peak minute of the last " + window.String() + " at " + admin})
		}
	}
	return out, nil
}

// CheckThrottles compares observed rates with the throttle settings of
// each stage: a method's rate limit below its observed rate answers the
// excess with 429.
func CheckThrottles(in Input, limits map[string]map[string]StageLimits, observed []Observed) []Finding {
	var out []Finding
	for _, d := range in.Definitions {
		if d.API == nil {
			continue
		}
		c := newAPICheck(d, in, nil)
		for _, st := range c.stages {
			lim := limits[d.API.ID][st.Name]
			for _, o := range observed {
				if o.Stage != st.Name || (o.APIID != "" && o.APIID != d.API.ID) {
					continue
				}
				c.checkThrottle(st.Name, lim, o)
			}
		}
		out = append(out, c.out...)
	}
	Sort(out)
	return out
}

// methodRate is the effective rate limit of a methodSettings key on a
// stage: its own entry, else "*/*", else the stage throttle. ok is false
// when nothing limits it.
func methodRate(lim StageLimits, key string) (rate float64, from string, ok bool) {
	for _, k := range []string{key, "*/*"} {
		if ms, found := lim.MethodSettings[k]; found && ms.ThrottlingRateLimit != nil {
			if *ms.ThrottlingRateLimit < 0 {
				return 0, "", false
			}
			return *ms.ThrottlingRateLimit, fmt.Sprintf("methodSettings %q throttlingRateLimit", k), true
		}
	}
	if lim.Throttle != nil && lim.Throttle.RateLimit >= 0 {
		return lim.Throttle.RateLimit, "throttle.rateLimit", true
	}
	return 0, "", false
}

// throttlePos is where archway.yaml sets the throttle of the stage (the
// methodSettings entry key when given), else the API definition.
func (c *apiCheck) throttlePos(stage, key string) apigw.Pos {
	if c.in.ConfigFile != "" {
		if root, err := indexFile(c.in.ConfigFile); err == nil {
			for _, a := range root.get("apis").itemsOrNil() {
				if id := a.get("id"); id != nil && id.text != c.api.ID {
					continue
				}
				for _, st := range a.get("stages").itemsOrNil() {
					if st.get("name") == nil || st.get("name").text != stage {
						continue
					}
					if n := st.lookup("methodSettings", key); key != "" && n != nil {
						return n.at()
					}
					if n := st.get("throttle"); n != nil {
						return n.at()
					}
					if n := st.get("methodSettings"); n != nil {
						return n.at()
					}
					return st.get("name").at()
				}
			}
		}
	}
	return c.api.Source
}

func (c *apiCheck) checkThrottle(stage string, lim StageLimits, o Observed) {
	pos := c.throttlePos(stage, o.Method)
	answer := c.answer(diag.ThrottledStage, stage)
	if o.Method != "" {
		rate, from, ok := methodRate(lim, o.Method)
		if !ok || o.RPS <= rate {
			return
		}
		c.add(Finding{Check: "throttle", Severity: Warning, Pos: pos, Object: fmt.Sprintf("stage %s, method %s", stage, o.Method),
			What:  fmt.Sprintf("%s allows %g requests/s but %g requests/s were observed (%s): about %g requests/s beyond the burst are answered 429", from, rate, o.RPS, o.Source, o.RPS-rate),
			AWS:   answer,
			Cause: diag.ThrottledStage,
			Fix:   fmt.Sprintf("raise %s of stage %s to at least %g, or slow the clients down", from, stage, o.RPS)})
		return
	}
	// A whole-stage rate: every method has its own bucket, so only a
	// method limit below the stage's total can be reached by it.
	keys := []string{"(stage throttle)"}
	for k := range lim.MethodSettings {
		keys = append(keys, k)
	}
	sort.Strings(keys[1:])
	for _, k := range keys {
		var rate float64
		var from string
		var ok bool
		if k == "(stage throttle)" {
			if lim.Throttle == nil || lim.Throttle.RateLimit < 0 {
				continue
			}
			rate, from, ok = lim.Throttle.RateLimit, "throttle.rateLimit", true
		} else {
			rate, from, ok = methodRate(lim, k)
		}
		if !ok || o.RPS <= rate {
			continue
		}
		c.add(Finding{Check: "throttle", Severity: Warning, Pos: pos, Object: "stage " + stage,
			What: fmt.Sprintf("%s allows %g requests/s per method but the stage received %g requests/s (%s): a method that carries more than %g requests/s of it is answered 429 beyond its burst",
				from, rate, o.RPS, o.Source, rate),
			AWS:   answer,
			Cause: diag.ThrottledStage,
			Fix:   fmt.Sprintf("raise %s of stage %s, or measure per method (--observed-rps %s:/path/VERB=RPS) to see which method exceeds it", from, stage, stage)})
	}
}
