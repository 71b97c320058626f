package store

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/archway-gw/archway/internal/exec"
)

// Defaults of Options.
const (
	DefaultQueueSize         = 10000
	DefaultBatchSize         = 500
	DefaultFlushInterval     = 200 * time.Millisecond
	DefaultWriteTimeout      = 5 * time.Second
	DefaultRetentionInterval = time.Minute
	// dropLogInterval spaces the warnings about dropped records.
	dropLogInterval = 10 * time.Second
)

// Options configure a Recorder. Zero values take the defaults.
type Options struct {
	// SampleRate is the fraction of successful requests (status < 400 and
	// no cause) that are stored, in [0, 1]. Errors are always stored. A
	// nil pointer means 1 (store everything).
	SampleRate *float64
	// QueueSize bounds the records waiting to be written. Default 10000.
	QueueSize int
	// BatchSize is the most records written in one transaction. Default 500.
	BatchSize int
	// FlushInterval is the longest a queued record waits for its batch to
	// fill. Default 200ms.
	FlushInterval time.Duration
	// WriteTimeout bounds one batch write. Default 5s.
	WriteTimeout time.Duration
	// MaxAge and MaxRows are the retention limits; zero means no limit.
	MaxAge  time.Duration
	MaxRows int64
	// RetentionInterval is how often the limits are enforced. Default 1m.
	RetentionInterval time.Duration
	// Logger receives warnings about dropped records and failed writes.
	Logger *slog.Logger
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
}

// Entry is one finished request offered to the recorder.
type Entry struct {
	Rec     *exec.Record
	APIID   string
	APIName string
	// DataTrace renders headers and bodies into the stored log, as the
	// stage's data trace setting does for the execution log.
	DataTrace bool
}

// Stats are the recorder's counters. Once the queue has drained (after
// Close, or when Pending is 0):
//
//	Enqueued = Written + SampledOut + Dropped
//
// Every record offered is in exactly one of those: stored, deliberately
// not kept (a sampled-out success), or lost (queue full, write failed, or
// offered after Close) and counted.
type Stats struct {
	// Enqueued counts every record offered to Enqueue.
	Enqueued uint64 `json:"enqueued"`
	// SampledOut counts successes not kept by sampling.
	SampledOut uint64 `json:"sampledOut"`
	// Written counts records committed to the backend.
	Written uint64 `json:"written"`
	// Dropped is DroppedFull + WriteFailed + DroppedClosed.
	Dropped uint64 `json:"dropped"`
	// DroppedFull counts records refused because the queue was full.
	DroppedFull uint64 `json:"droppedQueueFull"`
	// WriteFailed counts records whose batch the backend failed to commit.
	WriteFailed uint64 `json:"droppedWriteFailed"`
	// DroppedClosed counts records offered after Close.
	DroppedClosed uint64 `json:"droppedClosed"`
	// Pending is what is queued or being written now.
	Pending uint64 `json:"pending"`
	// Batches and WriteErrors count transactions committed and failed.
	Batches     uint64 `json:"batches"`
	WriteErrors uint64 `json:"writeErrors"`
	// Pruned counts records deleted by retention.
	Pruned uint64 `json:"pruned"`
	// QueueSize is the bound of the queue.
	QueueSize int `json:"queueSize"`
}

// Recorder takes execution records off the request path and writes them to
// a Backend in batches. Enqueue never blocks: when the queue is full the
// record is dropped and counted.
type Recorder struct {
	b    Backend
	opt  Options
	rate float64
	q    chan Entry

	enqueued, sampledOut, written, droppedFull, writeFailed, droppedClosed atomic.Uint64
	batches, writeErrors, pruned                                           atomic.Uint64
	closed                                                                 atomic.Bool

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	writeCtx  context.Context
	cancel    context.CancelFunc

	lastDropLog  time.Time
	loggedDrops  uint64
	lastFailLog  time.Time
	loggedFailed uint64
}

// NewRecorder starts a recorder writing to b. Close it to drain the queue.
func NewRecorder(b Backend, opt Options) *Recorder {
	if opt.QueueSize <= 0 {
		opt.QueueSize = DefaultQueueSize
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = DefaultFlushInterval
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = DefaultWriteTimeout
	}
	if opt.RetentionInterval <= 0 {
		opt.RetentionInterval = DefaultRetentionInterval
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	rate := 1.0
	if opt.SampleRate != nil {
		rate = min(max(*opt.SampleRate, 0), 1)
	}
	r := &Recorder{b: b, opt: opt, rate: rate, q: make(chan Entry, opt.QueueSize),
		stop: make(chan struct{}), done: make(chan struct{})}
	r.writeCtx, r.cancel = context.WithCancel(context.Background())
	go r.run()
	return r
}

// IsError reports whether a record is always stored: a status of 400 or
// more, or a failure with a cause.
func IsError(rec *exec.Record) bool {
	return rec.Status >= 400 || rec.Err != nil
}

// Enqueue offers a finished request. It never blocks and never fails the
// request: a success may be sampled out, and a record that finds the queue
// full is dropped; both are counted. It reports whether the record was
// queued.
func (r *Recorder) Enqueue(e Entry) bool {
	r.enqueued.Add(1)
	if r.closed.Load() {
		r.droppedClosed.Add(1)
		return false
	}
	if r.rate < 1 && !IsError(e.Rec) && (r.rate <= 0 || rand.Float64() >= r.rate) {
		r.sampledOut.Add(1)
		return false
	}
	if len(r.q) == cap(r.q) {
		// Full: do not pay for the copy (a slot freed meanwhile is lost to
		// this record, which is still counted).
		r.droppedFull.Add(1)
		return false
	}
	e.Rec = detach(e.Rec, e.DataTrace)
	select {
	case r.q <- e:
		return true
	default:
		release(e.Rec)
		r.droppedFull.Add(1)
		return false
	}
}

// maxLogBody is as much of a body as the stored log can show: AWS cuts
// every execution-log event at 1024 bytes.
const maxLogBody = 1024

// detach copies what the store needs of rec, so that a queued record does
// not keep the request's and response's bodies (up to 10 MB each) alive:
// without data trace the log shows no body; with it, at most the first
// maxLogBody bytes of each.
// The copies come from a pool and go back once written.
func detach(rec *exec.Record, dataTrace bool) *exec.Record {
	c := recPool.Get().(*exec.Record)
	*c = *rec
	c.Body, c.EndpointBody, c.EndpointRespBody, c.ResponseBody = nil, nil, nil, nil
	if dataTrace {
		c.Body, c.EndpointBody = clip(rec.Body), clip(rec.EndpointBody)
		c.EndpointRespBody, c.ResponseBody = clip(rec.EndpointRespBody), clip(rec.ResponseBody)
	}
	return c
}

var recPool = sync.Pool{New: func() any { return new(exec.Record) }}

// release returns a detached copy to the pool.
func release(c *exec.Record) {
	*c = exec.Record{}
	recPool.Put(c)
}

func clip(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b[:min(len(b), maxLogBody)]...)
}

// Stats returns a snapshot of the counters.
func (r *Recorder) Stats() Stats {
	// Read the outcomes before Enqueued so that Pending never underflows
	// while records are in flight.
	s := Stats{
		SampledOut:    r.sampledOut.Load(),
		Written:       r.written.Load(),
		DroppedFull:   r.droppedFull.Load(),
		WriteFailed:   r.writeFailed.Load(),
		DroppedClosed: r.droppedClosed.Load(),
		Batches:       r.batches.Load(),
		WriteErrors:   r.writeErrors.Load(),
		Pruned:        r.pruned.Load(),
		QueueSize:     r.opt.QueueSize,
	}
	s.Enqueued = r.enqueued.Load()
	s.Dropped = s.DroppedFull + s.WriteFailed + s.DroppedClosed
	if done := s.Written + s.SampledOut + s.Dropped; s.Enqueued > done {
		s.Pending = s.Enqueued - done
	}
	return s
}

// SampleRate is the effective fraction of successes stored.
func (r *Recorder) SampleRate() float64 { return r.rate }

// Close stops accepting records and writes what is queued. When ctx ends
// first, the writes still pending are abandoned and counted as failed.
// Call it after the producers have stopped (gateway.Server.Close).
func (r *Recorder) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		close(r.stop)
	})
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		r.cancel()
		<-r.done
		return ctx.Err()
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	defer r.cancel()
	batch := make([]Entry, 0, r.opt.BatchSize)
	flush := time.NewTicker(r.opt.FlushInterval)
	defer flush.Stop()
	retain := time.NewTicker(r.opt.RetentionInterval)
	defer retain.Stop()
	if r.opt.MaxAge > 0 || r.opt.MaxRows > 0 {
		r.Prune(r.writeCtx)
	}
	for {
		select {
		case e := <-r.q:
			batch = append(batch, e)
			if len(batch) == cap(batch) {
				batch = r.flush(batch)
			}
		case <-flush.C:
			batch = r.flush(batch)
			r.logDrops(false)
		case <-retain.C:
			if r.opt.MaxAge > 0 || r.opt.MaxRows > 0 {
				r.Prune(r.writeCtx)
			}
		case <-r.stop:
			for {
				select {
				case e := <-r.q:
					batch = append(batch, e)
					if len(batch) == cap(batch) {
						batch = r.flush(batch)
					}
					continue
				default:
				}
				break
			}
			r.flush(batch)
			r.logDrops(true)
			return
		}
	}
}

// flush writes batch and returns it emptied.
func (r *Recorder) flush(batch []Entry) []Entry {
	if len(batch) == 0 {
		return batch
	}
	recs := make([]Record, len(batch))
	for i, e := range batch {
		recs[i] = r.convert(e)
		release(e.Rec)
		batch[i] = Entry{}
	}
	ctx, cancel := context.WithTimeout(r.writeCtx, r.opt.WriteTimeout)
	err := r.b.Write(ctx, recs)
	cancel()
	if err != nil && r.committedAnyway(recs) {
		err = nil
	}
	if err != nil {
		r.writeErrors.Add(1)
		r.writeFailed.Add(uint64(len(recs)))
		r.logFailure(err)
	} else {
		r.batches.Add(1)
		r.written.Add(uint64(len(recs)))
	}
	return batch[:0]
}

// committedAnyway reports whether a batch whose write returned an error was
// committed all the same: a write cut short by its timeout while the
// database was committing fails on the client and succeeds on the server.
// Write is all or nothing, so the batch's first record tells. A commit the
// server was still finishing becomes visible a moment later, so a record
// not found is looked for twice more, 100 ms apart; a check that cannot be
// made counts the batch as failed.
func (r *Recorder) committedAnyway(recs []Record) bool {
	ctx, cancel := context.WithTimeout(context.Background(), r.opt.WriteTimeout)
	defer cancel()
	for try := 0; try < 3; try++ {
		if try > 0 {
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return false
			}
		}
		_, err := r.b.Get(ctx, recs[0].RequestID)
		if err == nil {
			return true
		}
		if !errors.Is(err, ErrNotFound) {
			return false
		}
	}
	return false
}

// logDrops warns about records dropped for a full queue, at most once per
// dropLogInterval (and once more at the end).
func (r *Recorder) logDrops(final bool) {
	n := r.droppedFull.Load()
	if n == r.loggedDrops {
		return
	}
	now := r.opt.Now()
	if !final && now.Sub(r.lastDropLog) < dropLogInterval {
		return
	}
	r.opt.Logger.Warn("request store dropped records", "event", "store.dropped", "reason", "queue_full",
		"count", n-r.loggedDrops, "total", n, "queueSize", r.opt.QueueSize,
		"fix", "the store cannot keep up: raise store.queueSize, lower store.sampleRate, or check the database")
	r.loggedDrops, r.lastDropLog = n, now
}

func (r *Recorder) logFailure(err error) {
	n := r.writeFailed.Load()
	now := r.opt.Now()
	if now.Sub(r.lastFailLog) < dropLogInterval && r.loggedFailed != 0 {
		return
	}
	r.opt.Logger.Warn("request store write failed; records dropped", "event", "store.dropped", "reason", "write_failed",
		"count", n-r.loggedFailed, "total", n, "error", err.Error(),
		"fix", "check that the store's database is reachable and writable")
	r.loggedFailed, r.lastFailLog = n, now
}

// Prune enforces the retention limits now.
func (r *Recorder) Prune(ctx context.Context) {
	var before time.Time
	if r.opt.MaxAge > 0 {
		before = r.opt.Now().Add(-r.opt.MaxAge)
	}
	ctx, cancel := context.WithTimeout(ctx, r.opt.WriteTimeout*4)
	defer cancel()
	n, err := r.b.Prune(ctx, before, r.opt.MaxRows)
	r.pruned.Add(uint64(n))
	if err != nil {
		r.opt.Logger.Warn("request store retention failed", "event", "store.retention", "error", err.Error())
	}
}
