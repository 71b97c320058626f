package diag

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
)

// allCauses lists every declared cause code.
var allCauses = []Cause{
	RouteNotFound, MethodNotDefined, StageNotFound, APINotFound, RequestTooLarge,
	MissingRequestParameters, InvalidRequestBody,
	ReservedHeaderMapping, InvalidEndpoint, IntegrationNotServed, TemplateError,
	MockStatusInvalid, BinaryConversionFailed, TemplateOnBinary,
	RequestBodyNotJSON, ResponseBodyNotJSON,
	UnsupportedMediaType, IntegrationTimeout, UpstreamConnectRefused,
	UpstreamDNSFailure, UpstreamConnectTimeout, UpstreamReset, UpstreamBadResponse,
	UpstreamTLSUntrusted, UpstreamTLSExpired, UpstreamTLSHostname, UpstreamTLSHandshake,
	NoMatchingIntegrationRsp, NoMatchingMethodResponse, ClientAborted, InternalError,
	LambdaUnhandledError, LambdaTimeout, LambdaCrashed, LambdaInitError,
	LambdaMalformedProxyResponse, LambdaNotFound, LambdaThrottled, LambdaInvokeRejected, LambdaPermissionDenied,
	LambdaProxyMethodNotPost,
}

func TestCatalogCoversEveryCause(t *testing.T) {
	var got, want []string
	for _, c := range Catalog() {
		got = append(got, string(c.Cause))
	}
	for _, c := range allCauses {
		want = append(want, string(c))
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalog causes (-declared +catalog):\n%s", diff)
	}
}

func TestCatalogEntries(t *testing.T) {
	for _, c := range Catalog() {
		t.Run(string(c.Cause), func(t *testing.T) {
			if c.Meaning == "" || c.AWS == "" || c.Fix == "" {
				t.Errorf("Meaning %q, AWS %q, Fix %q: all are required", c.Meaning, c.AWS, c.Fix)
			}
			if c.Message == "" && !c.Null {
				t.Error("no client message and not Null")
			}
			info, ok := apigw.LookupGatewayResponseType(c.ResponseType)
			if !ok {
				t.Fatalf("ResponseType %q is not an API Gateway response type", c.ResponseType)
			}
			if c.Status != 0 && (c.Status < 100 || c.Status > 599) {
				t.Errorf("Status %d is not an HTTP status", c.Status)
			}
			// The client status must be known: the cause's or the type's.
			if c.Status == 0 && info.DefaultStatus == "" {
				t.Errorf("neither the cause nor %s sets a status", c.ResponseType)
			}
			if c.LogLine != "" && !strings.HasPrefix(c.LogLine, "Execution failed due to ") && !strings.HasPrefix(c.LogLine, "Lambda execution failed ") {
				t.Errorf("LogLine %q does not start as AWS's do", c.LogLine)
			}
			if got := Lookup(c.Cause); !cmp.Equal(got, c) {
				t.Errorf("Lookup(%s) = %+v, want the catalog entry", c.Cause, got)
			}
		})
	}
}

// TestCatalogClientMapping pins what the client of each cause receives.
func TestCatalogClientMapping(t *testing.T) {
	type client struct {
		Type    apigw.GatewayResponseType
		Status  int
		Message string
		Spaced  bool
	}
	const ise = "Internal server error"
	want := map[Cause]client{
		RouteNotFound:            {apigw.MissingAuthenticationToken, 0, "Missing Authentication Token", false},
		MethodNotDefined:         {apigw.MissingAuthenticationToken, 0, "Missing Authentication Token", false},
		StageNotFound:            {apigw.MissingAuthenticationToken, 0, "Missing Authentication Token", false},
		APINotFound:              {apigw.MissingAuthenticationToken, 0, "Missing Authentication Token", false},
		RequestTooLarge:          {apigw.RequestTooLarge, 0, "Request Too Long", false},
		MissingRequestParameters: {apigw.BadRequestParameters, 0, "Missing required request parameters", true},
		InvalidRequestBody:       {apigw.BadRequestBody, 0, "Invalid request body", true},
		ReservedHeaderMapping:    {apigw.APIConfigurationError, 0, ise, true},
		InvalidEndpoint:          {apigw.APIConfigurationError, 0, ise, true},
		IntegrationNotServed:     {apigw.APIConfigurationError, 0, ise, true},
		TemplateError:            {apigw.APIConfigurationError, 0, ise, true},
		MockStatusInvalid:        {apigw.APIConfigurationError, 0, ise, true},
		BinaryConversionFailed:   {apigw.APIConfigurationError, 0, ise, true},
		TemplateOnBinary:         {apigw.APIConfigurationError, 0, ise, true},
		RequestBodyNotJSON:       {apigw.BadRequestBody, 0, "Invalid JSON in request body", true},
		ResponseBodyNotJSON:      {apigw.APIConfigurationError, 0, ise, true},
		UnsupportedMediaType:     {apigw.UnsupportedMediaType, 0, "Unsupported Media Type", true},
		IntegrationTimeout:       {apigw.IntegrationTimeout, 0, "Endpoint request timed out", true},
		UpstreamConnectRefused:   {apigw.IntegrationFailure, 500, ise, true},
		UpstreamDNSFailure:       {apigw.IntegrationFailure, 500, ise, true},
		UpstreamConnectTimeout:   {apigw.IntegrationFailure, 500, ise, true},
		UpstreamReset:            {apigw.IntegrationFailure, 500, ise, true},
		UpstreamBadResponse:      {apigw.IntegrationFailure, 500, ise, true},
		UpstreamTLSUntrusted:     {apigw.APIConfigurationError, 0, ise, true},
		UpstreamTLSExpired:       {apigw.APIConfigurationError, 0, ise, true},
		UpstreamTLSHostname:      {apigw.APIConfigurationError, 0, ise, true},
		UpstreamTLSHandshake:     {apigw.APIConfigurationError, 0, ise, true},
		NoMatchingIntegrationRsp: {apigw.APIConfigurationError, 0, ise, true},
		NoMatchingMethodResponse: {apigw.APIConfigurationError, 0, ise, true},
		ClientAborted:            {apigw.BadRequestBody, 400, "Invalid request body", true},
		InternalError:            {apigw.Default5XX, 500, ise, true},
		// Lambda: function errors 502, rejected invokes 500 (aws-errors.md rows 1-5).
		LambdaUnhandledError:         {apigw.Default5XX, 502, ise, true},
		LambdaTimeout:                {apigw.Default5XX, 502, ise, true},
		LambdaCrashed:                {apigw.Default5XX, 502, ise, true},
		LambdaInitError:              {apigw.Default5XX, 502, ise, true},
		LambdaMalformedProxyResponse: {apigw.Default5XX, 502, ise, true},
		LambdaNotFound:               {apigw.APIConfigurationError, 0, ise, true},
		LambdaThrottled:              {apigw.APIConfigurationError, 0, ise, true},
		LambdaInvokeRejected:         {apigw.APIConfigurationError, 0, ise, true},
		LambdaPermissionDenied:       {apigw.APIConfigurationError, 0, ise, true},
		LambdaProxyMethodNotPost:     {apigw.IntegrationFailure, 500, ise, true},
	}
	for _, c := range allCauses {
		if isAuthCause(c) || isIAMCause(c) || isLimitCause(c) {
			continue // pinned by TestAuthorizerClientMapping and TestIAMClientMapping
		}
		t.Run(string(c), func(t *testing.T) {
			i := Lookup(c)
			got := client{i.ResponseType, i.Status, i.Message, i.Spaced}
			if diff := cmp.Diff(want[c], got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogDetail(t *testing.T) {
	// AWS ends the invalid-method-response line with ": <code>"; Archway
	// also ends a template failure with the template, line and column.
	var got []Cause
	for _, c := range Catalog() {
		if c.LogDetail {
			got = append(got, c.Cause)
			if c.LogLine == "" {
				t.Errorf("%s has LogDetail without a LogLine", c.Cause)
			}
		}
	}
	if diff := cmp.Diff([]Cause{TemplateError, NoMatchingMethodResponse}, got); diff != "" {
		t.Errorf("causes with LogDetail (-want +got):\n%s", diff)
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, c := range []Cause{"", "NOPE", "route_not_found"} {
		t.Run(string(c), func(t *testing.T) {
			got := Lookup(c)
			if got.Cause != InternalError || got.ResponseType != apigw.Default5XX || got.Status != 500 {
				t.Errorf("Lookup(%q) = %s/%s/%d, want INTERNAL_ERROR/DEFAULT_5XX/500", c, got.Cause, got.ResponseType, got.Status)
			}
			if got.Fix != Lookup(InternalError).Fix {
				t.Errorf("Fix = %q", got.Fix)
			}
		})
	}
}

func TestAs(t *testing.T) {
	d := New(PhaseMethodResponse, NoMatchingMethodResponse, "201")
	plain := errors.New("boom")
	tests := []struct {
		name string
		err  error
		same *Error // when set, As must return this pointer
		want Error
	}{
		{"diag error", d, d, *d},
		{"wrapped diag error", fmt.Errorf("serving: %w", d), d, *d},
		{"doubly wrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", d)), d, *d},
		{"joined", errors.Join(plain, d), d, *d},
		{"plain error", plain, nil, Error{Phase: PhaseIntegration, Cause: InternalError, Err: plain}},
		{"io.EOF", io.EOF, nil, Error{Phase: PhaseIntegration, Cause: InternalError, Err: io.EOF}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := As(tc.err)
			if got == nil {
				t.Fatal("As returned nil")
			}
			if tc.same != nil && got != tc.same {
				t.Errorf("As returned %p, want the wrapped %p", got, tc.same)
			}
			if got.Phase != tc.want.Phase || got.Cause != tc.want.Cause || got.Detail != tc.want.Detail || got.Err != tc.want.Err {
				t.Errorf("As = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	inner := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"cause only", &Error{Cause: RouteNotFound}, "ROUTE_NOT_FOUND"},
		{"detail", New(PhaseMethodResponse, NoMatchingMethodResponse, "201"), "NO_MATCHING_METHOD_RESPONSE: 201"},
		{"wrapped", Wrap(PhaseIntegration, UpstreamConnectRefused, inner, "GET http://127.0.0.1:1/"), "UPSTREAM_CONNECT_REFUSED: GET http://127.0.0.1:1/: dial tcp 127.0.0.1:1: connect: connection refused"},
		{"wrapped without detail", Wrap(PhaseIntegration, UpstreamReset, io.ErrUnexpectedEOF, ""), "UPSTREAM_CONNECTION_RESET: unexpected EOF"},
		{"formatted", Newf(PhaseIntegrationRequest, InvalidEndpoint, "uri %q (%d)", "/x", 3), `INVALID_ENDPOINT: uri "/x" (3)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConstructorsAndUnwrap(t *testing.T) {
	inner := errors.New("inner")
	w := Wrap(PhaseIntegration, UpstreamTLSExpired, inner, "d")
	if diff := cmp.Diff(Error{Phase: PhaseIntegration, Cause: UpstreamTLSExpired, Detail: "d"}, *w, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Err" }, cmp.Ignore())); diff != "" {
		t.Errorf("Wrap (-want +got):\n%s", diff)
	}
	if w.Unwrap() != inner || !errors.Is(w, inner) {
		t.Errorf("Unwrap = %v, want the inner error", w.Unwrap())
	}
	if errors.Is(fmt.Errorf("x: %w", w), io.EOF) {
		t.Error("errors.Is matched an unrelated error")
	}
	n := New(PhaseRoute, StageNotFound, "stage prod")
	if n.Unwrap() != nil {
		t.Errorf("New(...).Unwrap() = %v, want nil", n.Unwrap())
	}
	if got := n.Info(); got.Cause != StageNotFound || got.ResponseType != apigw.MissingAuthenticationToken {
		t.Errorf("Info = %s/%s", got.Cause, got.ResponseType)
	}
	if got := Newf(PhaseRoute, RouteNotFound, "%s/%d", "a", 1); got.Detail != "a/1" || got.Phase != PhaseRoute || got.Cause != RouteNotFound || got.Err != nil {
		t.Errorf("Newf = %+v", *got)
	}
}
