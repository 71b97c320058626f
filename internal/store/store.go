// Package store keeps execution records for later questions: which requests
// failed, why, and how latency moved. Records reach it off the request path
// through a Recorder (bounded queue, batched writes, sampling, exact drop
// accounting); a Backend (SQLite or PostgreSQL, in the sub-packages) keeps
// them; a Service answers queries over HTTP for the admin API and the
// dashboard. See docs/store.md.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Backend.Get when no record has the id.
var ErrNotFound = errors.New("store: no such request")

// Record is one stored request: the summary of an execution record plus
// its AWS-format execution log.
type Record struct {
	// Seq is the backend's insertion order; it breaks ties between records
	// with the same Time and orders retention by rows.
	Seq int64
	// RequestID is x-amzn-RequestId; ExtendedRequestID is x-amz-apigw-id.
	RequestID         string
	ExtendedRequestID string
	// Time is when the request started.
	Time     time.Time
	APIID    string
	APIName  string
	Stage    string
	Method   string
	Resource string // matched resource template, e.g. /pets/{petId}; empty when unrouted
	Path     string // request path after the stage
	Status   int
	// Latency is AWS's Latency (start to last byte); IntegrationLatency the
	// time spent in the integration call (0 when none ran).
	Latency            time.Duration
	IntegrationLatency time.Duration
	IntegrationStatus  int
	// Cause is the diag cause code of a failure; empty on success.
	Cause string
	// Error is the full failure text (cause, detail and wrapped error).
	Error string
	// ResponseType is the AWS gateway response sent for a failure.
	ResponseType string
	SourceIP     string
	UserAgent    string
	// Weight is how many requests this record stands for: 1 for errors,
	// 1/sampleRate for sampled successes. Aggregates sum it.
	Weight float64
	// Log is the execution log rendered at INFO (with headers and bodies
	// when the stage has data trace on), credentials redacted. Get fills
	// it; List leaves it empty.
	Log []LogLine
}

// LogLine is one execution-log event.
type LogLine struct {
	Time time.Time `json:"time"`
	Msg  string    `json:"message"`
}

// Filter selects records for List. Zero fields match everything.
type Filter struct {
	APIID    string
	Stage    string
	Method   string
	Resource string
	// Status matches one status code exactly; StatusClass (1..5) matches
	// a class (4 for 4xx). At most one of them is set.
	Status      int
	StatusClass int
	Cause       string
	// From is inclusive, To exclusive; zero means unbounded.
	From, To time.Time
	// Limit caps the page (default 50, at most 1000).
	Limit int
	// After continues a listing: the records strictly older than it.
	After *Cursor
}

// Cursor is a position in the newest-first order of List.
type Cursor struct {
	Time time.Time
	Seq  int64
}

// Page is one page of List, newest first. Next is nil on the last page.
type Page struct {
	Records []Record
	Next    *Cursor
}

// Window selects the records an aggregate covers.
type Window struct {
	APIID string
	Stage string
	// From is inclusive, To exclusive; both are required.
	From, To time.Time
}

// Sample is what aggregates read of one record.
type Sample struct {
	Time    time.Time
	Status  int
	Latency time.Duration
	Weight  float64
}

// CauseCount is one row of the top causes.
type CauseCount struct {
	Cause string `json:"cause"`
	// Count is the number of stored records with the cause (errors are
	// never sampled, so this is the number of failed requests).
	Count int64 `json:"count"`
}

// Backend keeps records. Implementations are safe for concurrent use.
type Backend interface {
	// Write stores records in one transaction; it is all or nothing.
	Write(ctx context.Context, recs []Record) error
	// Get returns one record with its log, or ErrNotFound.
	Get(ctx context.Context, requestID string) (*Record, error)
	// List returns records matching f, newest first.
	List(ctx context.Context, f Filter) (Page, error)
	// Samples streams the time, status, latency and weight of every record
	// in w, oldest first.
	Samples(ctx context.Context, w Window, fn func(Sample)) error
	// TopCauses returns the most frequent causes in w, most frequent
	// first, ties by cause code.
	TopCauses(ctx context.Context, w Window, n int) ([]CauseCount, error)
	// Prune deletes records older than before (when non-zero) and all but
	// the newest maxRows rows (when maxRows > 0); it returns how many it
	// deleted.
	Prune(ctx context.Context, before time.Time, maxRows int64) (int64, error)
	// Close releases the backend.
	Close() error
}
