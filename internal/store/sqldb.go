package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dialect is what differs between the SQL backends.
type Dialect struct {
	// Name is the driver's name for messages ("sqlite", "postgres").
	Name string
	// Schema are the statements that create the table and its indexes;
	// they must be idempotent (IF NOT EXISTS).
	Schema []string
	// Numbered selects $1, $2 placeholders instead of ?.
	Numbered bool
	// MaxParams caps the parameters of one statement.
	MaxParams int
}

// SQL is a Backend over database/sql, shared by the SQLite and PostgreSQL
// backends. Times are stored as Unix microseconds (UTC), durations as
// microseconds, so that both backends bucket and compare the same integers.
type SQL struct {
	db *sql.DB
	d  Dialect
}

// insertCols are the columns Write fills, in order.
var insertCols = []string{
	"request_id", "extended_id", "time_us", "api_id", "api_name", "stage", "method", "resource", "path",
	"status", "latency_us", "integration_latency_us", "integration_status", "cause", "error",
	"response_type", "source_ip", "user_agent", "weight", "log",
}

// listCols are the columns List and Get read (Get adds log).
const listCols = "seq, request_id, extended_id, time_us, api_id, api_name, stage, method, resource, path, " +
	"status, latency_us, integration_latency_us, integration_status, cause, error, response_type, source_ip, user_agent, weight"

// NewSQL creates the schema on db and returns the backend. It takes over db:
// Close closes it.
func NewSQL(ctx context.Context, db *sql.DB, d Dialect) (*SQL, error) {
	for _, stmt := range d.Schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("store: creating the %s schema: %w", d.Name, err)
		}
	}
	if d.MaxParams <= 0 {
		d.MaxParams = 30000
	}
	return &SQL{db: db, d: d}, nil
}

// DB returns the underlying database handle.
func (s *SQL) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *SQL) Close() error { return s.db.Close() }

// bind rewrites ? placeholders for dialects with numbered ones.
func (s *SQL) bind(q string) string {
	if !s.d.Numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Write inserts recs in one transaction. A request id already stored is
// kept as it is.
func (s *SQL) Write(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	per := s.d.MaxParams / len(insertCols)
	for len(recs) > 0 {
		n := min(per, len(recs))
		if err := s.insert(ctx, tx, recs[:n]); err != nil {
			return err
		}
		recs = recs[n:]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (s *SQL) insert(ctx context.Context, tx *sql.Tx, recs []Record) error {
	var b strings.Builder
	b.WriteString("INSERT INTO requests (")
	b.WriteString(strings.Join(insertCols, ", "))
	b.WriteString(") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(insertCols)), ", ") + ")"
	args := make([]any, 0, len(recs)*len(insertCols))
	for i := range recs {
		r := &recs[i]
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
		logText := AppendLogJSON(nil, r.Log)
		args = append(args, r.RequestID, r.ExtendedRequestID, r.Time.UnixMicro(), r.APIID, r.APIName, r.Stage,
			r.Method, r.Resource, r.Path, int64(r.Status), r.Latency.Microseconds(), r.IntegrationLatency.Microseconds(),
			int64(r.IntegrationStatus), r.Cause, r.Error, r.ResponseType, r.SourceIP, r.UserAgent, r.Weight, string(logText))
	}
	b.WriteString(" ON CONFLICT (request_id) DO NOTHING")
	if _, err := tx.ExecContext(ctx, s.bind(b.String()), args...); err != nil {
		return fmt.Errorf("store: insert: %w", err)
	}
	return nil
}

// AppendLogJSON appends lines as the JSON the log column holds,
// [{"time":"RFC 3339","message":"..."}], without reflection (it is on the
// writer's hot path). Messages must be valid UTF-8 (convert cleans them);
// invalid bytes are passed through.
func AppendLogJSON(b []byte, lines []LogLine) []byte {
	b = append(b, '[')
	for i, l := range lines {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"time":"`...)
		b = l.Time.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","message":"`...)
		for j := 0; j < len(l.Msg); j++ {
			c := l.Msg[j]
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xf])
			default:
				b = append(b, c)
			}
		}
		b = append(b, `"}`...)
	}
	return append(b, ']')
}

const hexDigit = "0123456789abcdef"

type scanner interface{ Scan(dest ...any) error }

func scanRecord(sc scanner, withLog bool) (Record, error) {
	var r Record
	var t, lat, ilat, status, istatus int64
	dest := []any{&r.Seq, &r.RequestID, &r.ExtendedRequestID, &t, &r.APIID, &r.APIName, &r.Stage, &r.Method,
		&r.Resource, &r.Path, &status, &lat, &ilat, &istatus, &r.Cause, &r.Error, &r.ResponseType,
		&r.SourceIP, &r.UserAgent, &r.Weight}
	var logText string
	if withLog {
		dest = append(dest, &logText)
	}
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	r.Time = time.UnixMicro(t).UTC()
	r.Status, r.IntegrationStatus = int(status), int(istatus)
	r.Latency, r.IntegrationLatency = time.Duration(lat)*time.Microsecond, time.Duration(ilat)*time.Microsecond
	if withLog && logText != "" {
		if err := json.Unmarshal([]byte(logText), &r.Log); err != nil {
			return r, fmt.Errorf("store: decoding the log of %s: %w", r.RequestID, err)
		}
	}
	return r, nil
}

// Get returns one record with its log.
func (s *SQL) Get(ctx context.Context, requestID string) (*Record, error) {
	row := s.db.QueryRowContext(ctx, s.bind("SELECT "+listCols+", log FROM requests WHERE request_id = ?"), requestID)
	r, err := scanRecord(row, true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s: %w", requestID, err)
	}
	return &r, nil
}

// where builds the conditions shared by List and the aggregates.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func windowWhere(win Window) *where {
	w := &where{}
	if win.APIID != "" {
		w.add("api_id = ?", win.APIID)
	}
	if win.Stage != "" {
		w.add("stage = ?", win.Stage)
	}
	if !win.From.IsZero() {
		w.add("time_us >= ?", win.From.UnixMicro())
	}
	if !win.To.IsZero() {
		w.add("time_us < ?", win.To.UnixMicro())
	}
	return w
}

// DefaultLimit and MaxLimit bound a List page.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// List returns records matching f, newest first.
func (s *SQL) List(ctx context.Context, f Filter) (Page, error) {
	w := windowWhere(Window{APIID: f.APIID, Stage: f.Stage, From: f.From, To: f.To})
	if f.Method != "" {
		w.add("method = ?", f.Method)
	}
	if f.Resource != "" {
		w.add("resource = ?", f.Resource)
	}
	if f.Status != 0 {
		w.add("status = ?", int64(f.Status))
	}
	if f.StatusClass != 0 {
		w.add("status >= ? AND status < ?", int64(f.StatusClass*100), int64(f.StatusClass*100+100))
	}
	if f.Cause != "" {
		// "cause <> ''" is the partial index's condition, written out so
		// that both planners pick the index.
		w.add("cause = ? AND cause <> ''", f.Cause)
	}
	if f.After != nil {
		t := f.After.Time.UnixMicro()
		w.add("(time_us < ? OR (time_us = ? AND seq < ?))", t, t, f.After.Seq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	q := "SELECT " + listCols + " FROM requests" + w.String() + " ORDER BY time_us DESC, seq DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := s.db.QueryContext(ctx, s.bind(q), w.args...)
	if err != nil {
		return Page{}, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		r, err := scanRecord(rows, false)
		if err != nil {
			return Page{}, fmt.Errorf("store: list: %w", err)
		}
		p.Records = append(p.Records, r)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("store: list: %w", err)
	}
	if len(p.Records) > limit {
		p.Records = p.Records[:limit]
		last := p.Records[limit-1]
		p.Next = &Cursor{Time: last.Time, Seq: last.Seq}
	}
	return p, nil
}

// Samples streams what aggregates need of every record in win, oldest first.
func (s *SQL) Samples(ctx context.Context, win Window, fn func(Sample)) error {
	w := windowWhere(win)
	q := "SELECT time_us, status, latency_us, weight FROM requests" + w.String() + " ORDER BY time_us, seq"
	rows, err := s.db.QueryContext(ctx, s.bind(q), w.args...)
	if err != nil {
		return fmt.Errorf("store: samples: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t, status, lat int64
		var weight float64
		if err := rows.Scan(&t, &status, &lat, &weight); err != nil {
			return fmt.Errorf("store: samples: %w", err)
		}
		fn(Sample{Time: time.UnixMicro(t).UTC(), Status: int(status), Latency: time.Duration(lat) * time.Microsecond, Weight: weight})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: samples: %w", err)
	}
	return nil
}

// TopCauses returns the n most frequent causes in win.
func (s *SQL) TopCauses(ctx context.Context, win Window, n int) ([]CauseCount, error) {
	w := windowWhere(win)
	w.add("cause <> ''") // literal: the partial index's condition
	q := "SELECT cause, COUNT(*) AS n FROM requests" + w.String() + " GROUP BY cause ORDER BY n DESC, cause LIMIT " + strconv.Itoa(max(n, 1))
	rows, err := s.db.QueryContext(ctx, s.bind(q), w.args...)
	if err != nil {
		return nil, fmt.Errorf("store: top causes: %w", err)
	}
	defer rows.Close()
	out := []CauseCount{}
	for rows.Next() {
		var c CauseCount
		if err := rows.Scan(&c.Cause, &c.Count); err != nil {
			return nil, fmt.Errorf("store: top causes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: top causes: %w", err)
	}
	return out, nil
}

// Prune deletes records older than before and all but the newest maxRows.
func (s *SQL) Prune(ctx context.Context, before time.Time, maxRows int64) (int64, error) {
	var total int64
	if !before.IsZero() {
		res, err := s.db.ExecContext(ctx, s.bind("DELETE FROM requests WHERE time_us < ?"), before.UnixMicro())
		if err != nil {
			return 0, fmt.Errorf("store: prune by age: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	if maxRows > 0 {
		res, err := s.db.ExecContext(ctx, s.bind("DELETE FROM requests WHERE seq <= (SELECT seq FROM requests ORDER BY seq DESC LIMIT 1 OFFSET ?)"), maxRows)
		if err != nil {
			return total, fmt.Errorf("store: prune by rows: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// Count returns the number of stored records (for tests and the doctor).
func (s *SQL) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM requests").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}

// Schema returns the table and index statements of a dialect. seqType is
// the column type of the auto-incrementing primary key and realType the
// floating-point type.
func Schema(seqType, realType string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS requests (
	seq ` + seqType + `,
	request_id TEXT NOT NULL UNIQUE,
	extended_id TEXT NOT NULL,
	time_us BIGINT NOT NULL,
	api_id TEXT NOT NULL,
	api_name TEXT NOT NULL,
	stage TEXT NOT NULL,
	method TEXT NOT NULL,
	resource TEXT NOT NULL,
	path TEXT NOT NULL,
	status INTEGER NOT NULL,
	latency_us BIGINT NOT NULL,
	integration_latency_us BIGINT NOT NULL,
	integration_status INTEGER NOT NULL,
	cause TEXT NOT NULL,
	error TEXT NOT NULL,
	response_type TEXT NOT NULL,
	source_ip TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	weight ` + realType + ` NOT NULL,
	log TEXT NOT NULL
)`,
		`CREATE INDEX IF NOT EXISTS requests_time ON requests (time_us, seq)`,
		`CREATE INDEX IF NOT EXISTS requests_api_stage_time ON requests (api_id, stage, time_us)`,
		// Only failures have a cause: a partial index costs successes nothing.
		`CREATE INDEX IF NOT EXISTS requests_cause_time ON requests (cause, time_us) WHERE cause <> ''`,
	}
}
