package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/keys"
)

// parseAPIStage reads API_ID:STAGE.
func parseAPIStage(s string) (keys.APIStage, error) {
	api, stage, ok := strings.Cut(s, ":")
	if !ok || api == "" || stage == "" {
		return keys.APIStage{}, errorf("--api-stage %q: write API_ID:STAGE", s)
	}
	return keys.APIStage{APIID: api, Stage: stage}, nil
}

// parseMethodThrottle reads API_ID:STAGE:/path/VERB=RATE,BURST.
func parseMethodThrottle(s string) (api, stage, method string, t keys.Throttle, err error) {
	lhs, rhs, ok := strings.Cut(s, "=")
	parts := strings.SplitN(lhs, ":", 3)
	r, b, ok2 := strings.Cut(rhs, ",")
	if !ok || !ok2 || len(parts) != 3 {
		return "", "", "", t, errorf("--method-throttle %q: write API_ID:STAGE:/path/VERB=RATE,BURST", s)
	}
	t.RateLimit, err = strconv.ParseFloat(r, 64)
	if err == nil {
		t.BurstLimit, err = strconv.Atoi(b)
	}
	if err != nil {
		return "", "", "", t, errorf("--method-throttle %q: rate and burst must be numbers: %w", s, err)
	}
	return parts[0], parts[1], parts[2], t, nil
}

func usagePlansCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:     "usage-plans",
		Aliases: []string{"usageplans"},
		Short:   "Manage usage plans: API stages, throttles, quotas and their API keys",
	}
	addStoreFlags(cmd, &sf)

	var (
		p                     keys.UsagePlan
		stages, methods       []string
		rate                  float64
		burst                 int
		qLimit, qOffset       int64
		qPeriod               string
		setRate, setQuotaFlag bool
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a usage plan",
		Args:  cobra.NoArgs,
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, _ []string) (any, error) {
			for _, a := range stages {
				st, err := parseAPIStage(a)
				if err != nil {
					return nil, err
				}
				p.APIStages = append(p.APIStages, st)
			}
			for _, m := range methods {
				api, stage, method, t, err := parseMethodThrottle(m)
				if err != nil {
					return nil, err
				}
				found := false
				for i := range p.APIStages {
					if p.APIStages[i].APIID == api && p.APIStages[i].Stage == stage {
						if p.APIStages[i].Throttle == nil {
							p.APIStages[i].Throttle = map[string]keys.Throttle{}
						}
						p.APIStages[i].Throttle[method] = t
						found = true
					}
				}
				if !found {
					return nil, errorf("--method-throttle %q: add --api-stage %s:%s too", m, api, stage)
				}
			}
			if setRate {
				p.Throttle = &keys.Throttle{RateLimit: rate, BurstLimit: burst}
			}
			if setQuotaFlag {
				p.Quota = &keys.Quota{Limit: qLimit, Offset: qOffset, Period: strings.ToUpper(qPeriod)}
			}
			return s.CreatePlan(ctx, p)
		}),
		PreRun: func(cmd *cobra.Command, _ []string) {
			setRate = cmd.Flags().Changed("rate") || cmd.Flags().Changed("burst")
			setQuotaFlag = cmd.Flags().Changed("quota-limit")
		},
	}
	fl := create.Flags()
	fl.StringVar(&p.Name, "name", "", "plan name (default: its id)")
	fl.StringVar(&p.Description, "description", "", "description")
	fl.StringArrayVar(&stages, "api-stage", nil, "API stage the plan covers, API_ID:STAGE (repeatable)")
	fl.StringArrayVar(&methods, "method-throttle", nil, "per-method throttle API_ID:STAGE:/path/VERB=RATE,BURST (repeatable)")
	fl.Float64Var(&rate, "rate", 0, "throttle rateLimit: requests per second per key")
	fl.IntVar(&burst, "burst", 0, "throttle burstLimit: bucket size per key")
	fl.Int64Var(&qLimit, "quota-limit", 0, "quota: requests per period per key")
	fl.Int64Var(&qOffset, "quota-offset", 0, "quota: requests subtracted from the limit in the first period")
	fl.StringVar(&qPeriod, "quota-period", "DAY", "quota period: DAY, WEEK or MONTH (UTC)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List usage plans",
		Args:  cobra.NoArgs,
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, _ []string) (any, error) {
			ps, err := s.ListPlans(ctx)
			if ps == nil {
				ps = []keys.UsagePlan{}
			}
			return map[string]any{"items": ps}, err
		}),
	}
	get := &cobra.Command{
		Use:   "get PLAN",
		Short: "Show one usage plan",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			return s.GetPlan(ctx, args[0])
		}),
	}
	del := &cobra.Command{
		Use:   "delete PLAN",
		Short: "Delete a usage plan and its key links",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			if err := s.DeletePlan(ctx, args[0]); err != nil {
				return nil, err
			}
			return map[string]string{"deleted": args[0]}, nil
		}),
	}
	addKey := &cobra.Command{
		Use:   "add-key PLAN KEY",
		Short: "Add an API key to a usage plan",
		Args:  cobra.ExactArgs(2),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			if err := s.AddKey(ctx, args[0], args[1]); err != nil {
				return nil, err
			}
			return s.GetPlan(ctx, args[0])
		}),
	}
	removeKey := &cobra.Command{
		Use:   "remove-key PLAN KEY",
		Short: "Remove an API key from a usage plan",
		Args:  cobra.ExactArgs(2),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			if err := s.RemoveKey(ctx, args[0], args[1]); err != nil {
				return nil, err
			}
			return s.GetPlan(ctx, args[0])
		}),
	}
	var start, end, keyID string
	usage := &cobra.Command{
		Use:   "usage PLAN",
		Short: "Show usage per key and day, as GetUsage: {usagePlanId, startDate, endDate, items: {keyId: [[used, remaining], ...]}}",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(&sf, func(ctx context.Context, s *keys.Store, args []string) (any, error) {
			today := time.Now().UTC().Format(keys.DayLayout)
			if start == "" {
				start = today
			}
			if end == "" {
				end = today
			}
			return s.GetUsage(ctx, args[0], keyID, start, end)
		}),
	}
	usage.Flags().StringVar(&start, "start", "", "first day, YYYY-MM-DD (default today, UTC)")
	usage.Flags().StringVar(&end, "end", "", "last day, YYYY-MM-DD, inclusive (default today, UTC)")
	usage.Flags().StringVar(&keyID, "key-id", "", "only this API key")
	cmd.AddCommand(create, list, get, del, addKey, removeKey, usage)
	return cmd
}
