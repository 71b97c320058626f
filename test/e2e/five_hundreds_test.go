package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readmeRow is one route of examples/five-hundreds/README.md's table.
type readmeRow struct {
	route  string
	status int
	cause  string // "" for —
}

var (
	rowRouteRE  = regexp.MustCompile("^`(?:curl .*…/)?([a-z-]+)`")
	rowStatusRE = regexp.MustCompile(`\b([1-5]\d\d)\b`)
	rowCauseRE  = regexp.MustCompile("^`([A-Z_]+)`$")
)

// readmeRows parses the README's route table, so the test checks what the
// page claims.
func readmeRows(t *testing.T, path string) []readmeRow {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []readmeRow
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "| Route") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cols := strings.Split(line, " | ")
		if len(cols) < 5 {
			t.Fatalf("README row with %d columns: %s", len(cols), line)
		}
		m := rowRouteRE.FindStringSubmatch(strings.TrimPrefix(cols[0], "| "))
		s := rowStatusRE.FindStringSubmatch(cols[2])
		if m == nil || s == nil {
			t.Fatalf("README row without a route or status: %s", line)
		}
		st, _ := strconv.Atoi(s[1])
		r := readmeRow{route: m[1], status: st}
		if c := rowCauseRE.FindStringSubmatch(strings.TrimSpace(cols[3])); c != nil {
			r.cause = c[1]
		} else if strings.TrimSpace(cols[3]) != "—" {
			t.Fatalf("README row %s: cause column %q", r.route, cols[3])
		}
		rows = append(rows, r)
	}
	return rows
}

// TestFiveHundredsExample serves examples/five-hundreds through the built
// binary, with the example functions built as its README says, and checks
// every route of the README's table: status, body, x-amzn-ErrorType, the
// cause header and the execution-log lines.
func TestFiveHundredsExample(t *testing.T) {
	const example = "../../examples/five-hundreds"
	rows := readmeRows(t, filepath.Join(example, "README.md"))
	if len(rows) < 15 {
		t.Fatalf("the README lists %d routes", len(rows))
	}
	dir := t.TempDir()
	for _, f := range []string{"archway.yaml", "api.yaml"} {
		b, err := os.ReadFile(filepath.Join(example, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, dir, map[string]string{f: string(b)})
	}
	// The README builds the functions into bin/; the test links the ones
	// every e2e test shares.
	if err := os.Symlink(buildFunctions(t), filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	p := serve(t, "--listen", addr, "--var", "selfAddr="+addr, dir)

	const ise = `{"message": "Internal server error"}`
	// What each route must also show beyond the README's status and cause.
	type extra struct {
		method, body string
		wantBody     string // exact; ise for 5xx by default
		log          string // regexp over the execution log
	}
	extras := map[string]extra{
		"hello":               {wantBody: "-"},
		"unhandled":           {log: `Archway explanation \(LAMBDA_UNHANDLED_ERROR\): function panic returned an error \(Lambda request id [0-9a-f-]{36}\): something went wrong: the handler panicked; last log lines: .*handling GET /unhandled.*\n.*Lambda execution failed with status 200 due to customer function error: something went wrong: the handler panicked\. Lambda request id: [0-9a-f-]{36}`},
		"unhandled-non-proxy": {method: "POST", body: "{}", wantBody: `{"errorMessage":"something went wrong: the handler returned an error","errorType":"errorString"}`},
		"timeout":             {log: `customer function error: \S+ [0-9a-f-]{36} Task timed out after 1\.00 seconds\. Lambda request id`},
		"integration-timeout": {wantBody: `{"message": "Endpoint request timed out"}`, log: `did not answer within the integration timeout of 1000 ms; the invocation runs on\n.*Execution failed due to a timeout error`},
		"malformed":           {log: `returned a malformed proxy response: statusCode "abc" is not a number.*\n.*Execution failed due to configuration error: Malformed Lambda proxy response`},
		"crash":               {log: `Archway explanation \(LAMBDA_CRASHED\).*\n.*customer function error: RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 1`},
		"init-error":          {log: `Archway explanation \(LAMBDA_INIT_ERROR\): function initfail failed during init.*REQUIRED_SETTING is not set`},
		"throttled":           {log: `Archway explanation \(LAMBDA_THROTTLED\): function one-at-a-time: the Lambda service rejected the invoke: 429 TooManyRequestsException Rate Exceeded\.\n.*Execution failed due to configuration error: Invalid permissions on Lambda function`},
		"no-permission":       {log: regexp.QuoteMeta(`fix: aws lambda add-permission --function-name unshared --statement-id apigw-fivehundreds-dev-GET-no-permission --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn 'arn:aws:execute-api:us-east-1:000000000000:fivehundreds/dev/GET/no-permission'`) + `\n.*Execution failed due to configuration error: Invalid permissions on Lambda function`},
		"not-found":           {log: `404 ResourceNotFoundException Function not found: arn:aws:lambda:us-east-1:000000000000:function:nosuch\n.*Invalid permissions on Lambda function`},
		"not-post":            {log: `Execution failed due to configuration error: Lambda proxy integrations must use httpMethod POST`},
		"http-refused":        {log: `Execution failed due to a network error communicating with endpoint`},
		"bad-tls":             {log: `Execution failed due to configuration error: General SSLEngine problem`},
		"bad-template":        {log: `Execution failed due to configuration error: Unable to transform request: template GET /bad-template response default template application/json does not parse`},
		"no-method-response":  {log: `Execution failed due to configuration error: Output mapping refers to an invalid method response: 201`},
		"validation":          {wantBody: `{"message": "Missing required request parameters: [X-Tenant, name]"}`, log: `Missing required request parameters: \[X-Tenant, name\]`},
		"nowhere":             {wantBody: `{"message":"Missing Authentication Token"}`},
	}
	for _, row := range rows {
		t.Run(row.route, func(t *testing.T) {
			ex, ok := extras[row.route]
			if !ok {
				t.Fatalf("the README lists %s, which this test does not know", row.route)
			}
			method := ex.method
			if method == "" {
				method = "GET"
			}
			url := p.base + "/dev/" + row.route
			var r response
			if row.route == "throttled" {
				r = throttledResponse(t, url)
			} else {
				r = do(t, method, url, ex.body, "Content-Type", "application/json")
			}
			if r.status != row.status {
				t.Fatalf("status %d, README says %d; body %s", r.status, row.status, r.body)
			}
			if got := r.header.Get("x-archway-cause"); got != row.cause {
				t.Errorf("x-archway-cause %q, README says %q", got, row.cause)
			}
			want := ex.wantBody
			if want == "" && r.status >= 500 {
				want = ise
			}
			if want != "" && want != "-" && r.body != want {
				t.Errorf("body %q, want %q", r.body, want)
			}
			if et := r.header.Get("x-amzn-ErrorType"); r.status >= 500 && et != "InternalServerErrorException" {
				t.Errorf("x-amzn-ErrorType %q, want InternalServerErrorException", et)
			}
			if ex.log != "" {
				p.waitLog(t, regexp.MustCompile(ex.log))
			}
		})
	}
}

// throttledResponse holds one-at-a-time's only slot with a long request and
// returns the answer to a second one sent meanwhile.
func throttledResponse(t *testing.T, url string) response {
	t.Helper()
	for attempt := 0; attempt < 5; attempt++ {
		long := make(chan response, 1)
		go func() { long <- do(t, "GET", url, "") }()
		for {
			select {
			case r := <-long:
				if r.header.Get("x-archway-cause") == "LAMBDA_THROTTLED" {
					return r // a short one held the slot when the long one arrived
				}
			default:
				if r := do(t, "GET", url, ""); r.header.Get("x-archway-cause") == "LAMBDA_THROTTLED" {
					<-long
					return r
				}
				continue
			}
			break // the long one finished before any was throttled: again
		}
	}
	t.Fatal("no request was throttled")
	return response{}
}
