// Package conformance runs vector files recorded against AWS (the
// ../shared/conformance format) through the real engine: definitions are
// compiled into a snapshot and served by the gateway on a real socket, with
// real HTTP backends. Each vector passes, fails, or is reported unsupported
// with the reason; nothing is skipped silently.
package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Outcome of one vector.
type Outcome int

// Outcomes.
const (
	Pass Outcome = iota
	Fail
	Unsupported
)

func (o Outcome) String() string {
	return [...]string{"pass", "fail", "unsupported"}[o]
}

// Result is the outcome of one vector.
type Result struct {
	File, ID, Kind string
	Outcome        Outcome
	// Reason explains a failure (what differed) or why a vector is unsupported.
	Reason string
}

// Summary counts results.
type Summary struct {
	Passed, Failed, Unsupported int
	Results                     []Result
}

// Vector is one conformance case.
type Vector struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Provenance string          `json:"provenance"`
	Inputs     json.RawMessage `json:"inputs"`
	Expected   json.RawMessage `json:"expected"`
	Notes      string          `json:"notes"`
}

type vectorFile struct {
	Vectors []Vector `json:"vectors"`
}

// runner runs one kind of vector; all is the whole set (for cross references).
type runner func(ctx context.Context, v Vector, all map[string]Vector) (Outcome, string)

// runners maps each supported kind to its runner. Kinds absent here are
// reported as unsupported.
var runners = map[string]runner{
	"routing":                        runRouting,
	"error-response":                 runErrorResponse,
	"error-response+execution-log":   runErrorResponse,
	"integration-response":           runErrorResponse,
	"gateway-response-default":       runGatewayResponseDefault,
	"gateway-response-crud":          runGatewayResponseCRUD,
	"gateway-response-inheritance":   runGatewayResponseInheritance,
	"integration-http":               runIntegrationHTTP,
	"integration-headers":            runIntegrationHeaders,
	"mock-integration":               runMockIntegration,
	"integration-response-selection": runResponseSelection,
	"execution-log":                  runExecutionLog,
	"vtl":                            runVTL,
	"vtl-util":                       runVTL,
	"vtl-pipeline":                   runVTLPipeline,
	"param-mapping":                  runParamMapping,
	"binary-conversion-request":      runBinaryRequest,
	"binary-conversion-response":     runBinaryResponse,
	"proxy-event-v1":                 runProxyEventV1,
	"proxy-event-v1-headers":         runProxyEventV1Headers,
	"lambda-proxy-response":          runLambdaProxyResponse,
	"lambda-proxy-response-binary":   runLambdaProxyResponse,
	"integration-aws-lambda":         runAWSLambdaIntegration,
	"authorizer-input-v1":            runAuthorizerInput,
}

// RunDirs runs every *.json vector file in dirs (or the files themselves),
// prints per-file, per-kind counts and every failure to w, and ends with the
// line "N passed, N failed".
func RunDirs(ctx context.Context, dirs []string, w io.Writer) (Summary, error) {
	var files []string
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return Summary{}, fmt.Errorf("conformance: %w", err)
		}
		if !st.IsDir() {
			files = append(files, d)
			continue
		}
		m, err := filepath.Glob(filepath.Join(d, "*.json"))
		if err != nil {
			return Summary{}, fmt.Errorf("conformance: %w", err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	all := map[string]Vector{}
	perFile := map[string][]Vector{}
	for _, f := range files {
		vs, err := readFile(f)
		if err != nil {
			return Summary{}, err
		}
		perFile[f] = vs
		for _, v := range vs {
			all[v.ID] = v
		}
	}
	var sum Summary
	for _, f := range files {
		res := runVectors(ctx, filepath.Base(f), perFile[f], all)
		report(w, filepath.Base(f), res)
		for _, r := range res {
			switch r.Outcome {
			case Pass:
				sum.Passed++
			case Fail:
				sum.Failed++
			default:
				sum.Unsupported++
			}
		}
		sum.Results = append(sum.Results, res...)
	}
	fmt.Fprintf(w, "%d unsupported\n", sum.Unsupported)
	fmt.Fprintf(w, "%d passed, %d failed\n", sum.Passed, sum.Failed)
	return sum, nil
}

func readFile(path string) ([]Vector, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	var vf vectorFile
	if err := json.Unmarshal(data, &vf); err != nil {
		return nil, fmt.Errorf("conformance: %s: %w", path, err)
	}
	return vf.Vectors, nil
}

func runVectors(ctx context.Context, file string, vs []Vector, all map[string]Vector) []Result {
	out := make([]Result, 0, len(vs))
	for _, v := range vs {
		r := Result{File: file, ID: v.ID, Kind: v.Kind}
		run, ok := runners[v.Kind]
		if !ok {
			r.Outcome, r.Reason = Unsupported, "kind "+v.Kind+" is not supported yet"
		} else {
			r.Outcome, r.Reason = safeRun(ctx, run, v, all)
		}
		out = append(out, r)
	}
	return out
}

func safeRun(ctx context.Context, run runner, v Vector, all map[string]Vector) (o Outcome, reason string) {
	defer func() {
		if p := recover(); p != nil {
			o, reason = Fail, fmt.Sprintf("panic: %v", p)
		}
	}()
	return run(ctx, v, all)
}

func report(w io.Writer, file string, res []Result) {
	type counts struct{ pass, fail, unsup int }
	byKind := map[string]*counts{}
	var kinds []string
	for _, r := range res {
		c := byKind[r.Kind]
		if c == nil {
			c = &counts{}
			byKind[r.Kind] = c
			kinds = append(kinds, r.Kind)
		}
		switch r.Outcome {
		case Pass:
			c.pass++
		case Fail:
			c.fail++
		default:
			c.unsup++
		}
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		c := byKind[k]
		fmt.Fprintf(w, "%s %s: %d pass, %d fail, %d unsupported\n", file, k, c.pass, c.fail, c.unsup)
	}
	for _, r := range res {
		if r.Outcome == Fail {
			fmt.Fprintf(w, "  FAIL %s: %s\n", r.ID, r.Reason)
		}
	}
	for _, r := range res {
		if r.Outcome == Unsupported && !strings.HasPrefix(r.Reason, "kind ") {
			fmt.Fprintf(w, "  unsupported %s: %s\n", r.ID, r.Reason)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
