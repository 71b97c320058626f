package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// MaxBuckets bounds the buckets of one aggregate.
const MaxBuckets = 10000

// Query asks for aggregates over a window cut into buckets.
type Query struct {
	Window
	// Bucket is the width of one bucket; buckets start at From.
	Bucket time.Duration
	// TopCauses is how many causes to return (default 10).
	TopCauses int
}

// Bucket is the aggregate of one time window. Counts are weighted: a
// sampled success stands for 1/sampleRate requests, so Count estimates the
// requests served and the error counts are exact.
type Bucket struct {
	Start time.Time `json:"start"`
	// Stored is the number of stored records in the bucket.
	Stored int64 `json:"stored"`
	// Count is the (weighted) number of requests.
	Count float64 `json:"count"`
	// Count4xx and Count5xx are the requests answered 4xx and 5xx.
	Count4xx float64 `json:"4xx"`
	Count5xx float64 `json:"5xx"`
	// Rate4xx and Rate5xx are their shares of Count (0 when Count is 0).
	Rate4xx float64 `json:"4xxRate"`
	Rate5xx float64 `json:"5xxRate"`
	// P50, P90 and P99 are latency percentiles in milliseconds (weighted
	// nearest rank; 0 when the bucket is empty).
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// Aggregate is the answer to a Query.
type Aggregate struct {
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	Bucket time.Duration `json:"-"`
	// Series has one bucket per Bucket width from From to To, empty ones
	// included.
	Series []Bucket `json:"series"`
	// Total aggregates the whole window.
	Total Bucket `json:"total"`
	// TopCauses are the most frequent causes of errors in the window.
	TopCauses []CauseCount `json:"topCauses"`
}

// BucketCount is how many buckets of width bucket cover span (the last
// one may be partial), without overflowing.
func BucketCount(span, bucket time.Duration) int {
	if span <= 0 || bucket <= 0 {
		return 0
	}
	n := span / bucket
	if span%bucket != 0 {
		n++
	}
	return int(n)
}

// weighted is one latency sample with its weight.
type weighted struct {
	lat time.Duration
	w   float64
}

type acc struct {
	b    Bucket
	lats []weighted
}

func (a *acc) add(s Sample) {
	a.b.Stored++
	a.b.Count += s.Weight
	switch {
	case s.Status >= 500:
		a.b.Count5xx += s.Weight
	case s.Status >= 400:
		a.b.Count4xx += s.Weight
	}
	a.lats = append(a.lats, weighted{s.Latency, s.Weight})
}

func (a *acc) finish() Bucket {
	b := a.b
	if b.Count > 0 {
		b.Rate4xx = b.Count4xx / b.Count
		b.Rate5xx = b.Count5xx / b.Count
	}
	slices.SortFunc(a.lats, func(x, y weighted) int { return cmp.Compare(x.lat, y.lat) })
	b.P50 = ms(percentile(a.lats, 50))
	b.P90 = ms(percentile(a.lats, 90))
	b.P99 = ms(percentile(a.lats, 99))
	return b
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile returns the weighted nearest-rank p-th percentile of samples
// sorted by latency: the smallest latency whose cumulative weight reaches
// p% of the total weight. With unit weights this is the classic nearest
// rank, the value at rank ceil(p/100 * n).
func percentile(sorted []weighted, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	var total float64
	for _, s := range sorted {
		total += s.w
	}
	target := p / 100 * total
	var cum float64
	for _, s := range sorted {
		cum += s.w
		if cum >= target {
			return s.lat
		}
	}
	return sorted[len(sorted)-1].lat
}

// Aggregates computes series, totals and top causes over b. Percentiles are
// computed here, in Go, from the latencies the backend returns, so every
// backend answers the same.
func Aggregates(ctx context.Context, b Backend, q Query) (*Aggregate, error) {
	if q.From.IsZero() || q.To.IsZero() || !q.To.After(q.From) {
		return nil, fmt.Errorf("store: aggregate window [%v, %v) is empty", q.From, q.To)
	}
	if q.Bucket <= 0 {
		q.Bucket = q.To.Sub(q.From)
	}
	span := q.To.Sub(q.From)
	n := BucketCount(span, q.Bucket)
	if n > MaxBuckets {
		return nil, fmt.Errorf("store: %d buckets of %v over %v; at most %d", n, q.Bucket, span, MaxBuckets)
	}
	if q.TopCauses <= 0 {
		q.TopCauses = 10
	}
	accs := make([]acc, n)
	var total acc
	err := b.Samples(ctx, q.Window, func(s Sample) {
		i := int(s.Time.Sub(q.From) / q.Bucket)
		if i < 0 || i >= n {
			return
		}
		accs[i].add(s)
		total.add(s)
	})
	if err != nil {
		return nil, err
	}
	out := &Aggregate{From: q.From.UTC(), To: q.To.UTC(), Bucket: q.Bucket, Series: make([]Bucket, n)}
	for i := range accs {
		out.Series[i] = accs[i].finish()
		out.Series[i].Start = q.From.Add(time.Duration(i) * q.Bucket).UTC()
	}
	out.Total = total.finish()
	out.Total.Start = out.From
	out.TopCauses, err = b.TopCauses(ctx, q.Window, q.TopCauses)
	if err != nil {
		return nil, err
	}
	return out, nil
}
