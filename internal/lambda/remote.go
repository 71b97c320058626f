package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// RemoteConfig configures a Remote.
type RemoteConfig struct {
	// Endpoint is the base URL of a Lambda-compatible Invoke API, such as
	// https://lambda.eu-west-1.amazonaws.com or another Archway's
	// lambda.listen address. Empty means AWS's regional endpoint.
	Endpoint string
	// Region signs the requests and picks AWS's endpoint. Default
	// AWS_REGION, else us-east-1.
	Region string
}

// Remote invokes functions through a Lambda-compatible Invoke API with the
// official aws-sdk-go-v2 client and the standard credential chain
// (environment, shared config and credentials files, SSO, container and
// instance roles). It is the Invoker for functions that are not local.
type Remote struct {
	client   *sdk.Client
	endpoint string
}

var _ Invoker = (*Remote)(nil)

// NewRemote returns a Remote for cfg. When the credential chain finds no
// credentials and the endpoint is on loopback (another Archway), requests
// are signed with placeholder credentials, which a local Invoke API does
// not check.
func NewRemote(ctx context.Context, cfg RemoteConfig) (*Remote, error) {
	region := cfg.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("lambda: loading AWS configuration: %w", err)
	}
	endpoint := cfg.Endpoint
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("lambda: endpoint %q is not an http(s) URL", endpoint)
		}
		if isLoopback(u.Hostname()) {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := ac.Credentials.Retrieve(cctx)
			cancel()
			if err != nil {
				ac.Credentials = credentials.NewStaticCredentialsProvider("archway", "archway", "")
			}
		}
	}
	client := sdk.NewFromConfig(ac, func(o *sdk.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		// A throttle or a rejected invoke reaches the gateway as it is, as
		// API Gateway does not retry Lambda invokes.
		o.Retryer = aws.NopRetryer{}
	})
	if endpoint == "" {
		endpoint = "https://lambda." + region + ".amazonaws.com"
	}
	return &Remote{client: client, endpoint: endpoint}, nil
}

// Endpoint returns the Invoke API base URL the Remote calls.
func (r *Remote) Endpoint() string { return r.endpoint }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Invoke calls the Invoke API. A function error is a Result with
// FunctionError set and Failure guessed from the error object (a timeout
// message, Runtime.ExitError); a rejected invoke is a *ServiceError with
// the endpoint's status, error type and message. opts.SourceARN is not
// sent: the remote service authorises the caller's credentials (IAM).
func (r *Remote) Invoke(ctx context.Context, name string, payload []byte, opts InvokeOptions) (*Result, error) {
	in := &sdk.InvokeInput{FunctionName: aws.String(name), Payload: payload, LogType: types.LogTypeTail}
	if opts.Qualifier != "" {
		in.Qualifier = aws.String(opts.Qualifier)
	}
	switch opts.InvocationType {
	case "", RequestResponse:
		in.InvocationType = types.InvocationTypeRequestResponse
	case Event:
		in.InvocationType = types.InvocationTypeEvent
		in.LogType = types.LogTypeNone
	case DryRun:
		in.InvocationType = types.InvocationTypeDryRun
		in.LogType = types.LogTypeNone
	default:
		in.InvocationType = types.InvocationType(opts.InvocationType)
	}
	if opts.ClientContext != "" {
		in.ClientContext = aws.String(base64.StdEncoding.EncodeToString([]byte(opts.ClientContext)))
	}
	start := time.Now()
	out, err := r.client.Invoke(ctx, in)
	if err != nil {
		return nil, r.serviceError(ctx, name, err)
	}
	res := &Result{
		StatusCode:      int(out.StatusCode),
		Payload:         out.Payload,
		FunctionError:   aws.ToString(out.FunctionError),
		ExecutedVersion: aws.ToString(out.ExecutedVersion),
		Duration:        time.Since(start),
	}
	res.RequestID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if out.LogResult != nil {
		if tail, err := base64.StdEncoding.DecodeString(*out.LogResult); err == nil {
			res.LogTail = string(tail)
			res.Log = strings.Split(strings.TrimRight(res.LogTail, "\n"), "\n")
		}
	}
	if res.FunctionError != "" {
		res.Failure = FailureUnhandled
		if p, ok := ParseFunctionError(res.Payload); ok {
			res.ErrorType = p.ErrorType
			switch {
			case strings.Contains(p.ErrorMessage, "Task timed out after"):
				res.Failure = FailureTimeout
			case p.ErrorType == "Runtime.ExitError":
				res.Failure = FailureExit
			case strings.HasPrefix(p.ErrorType, "Runtime.") && strings.Contains(p.ErrorType, "Init"):
				res.Failure = FailureInit
			}
		}
	}
	return res, nil
}

// serviceError turns an SDK error into a *ServiceError when the endpoint
// answered; transport failures and ctx's end are returned wrapped.
func (r *Remote) serviceError(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("lambda: invoke %s at %s: %w", name, r.endpoint, err)
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if errors.As(err, &ae) && errors.As(err, &re) {
		se := &ServiceError{StatusCode: re.HTTPStatusCode(), Type: ae.ErrorCode(), Message: ae.ErrorMessage()}
		var tmr *types.TooManyRequestsException
		if errors.As(err, &tmr) {
			se.Reason = string(tmr.Reason)
		}
		if se.StatusCode == 0 {
			se.StatusCode = http.StatusInternalServerError
		}
		return se
	}
	return fmt.Errorf("lambda: invoke %s at %s: %w", name, r.endpoint, err)
}
