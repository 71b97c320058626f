// Package keys is the embedded management store of API keys, usage plans,
// plan-key links and usage counters: one SQLite file (WAL, busy_timeout)
// under the data directory, shared by `archway keys`, `archway usage-plans`
// and every `archway serve` that uses the same directory. Key values are
// stored as SHA-256 digests; the clear value is shown once, at creation.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// FileName is the store's file inside the data directory.
const FileName = "archway.db"

// DefaultDataDir is the data directory when none is configured.
const DefaultDataDir = ".archway"

// ErrNotFound is returned (wrapped) for an unknown key or plan id.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a value or link already exists.
var ErrConflict = errors.New("conflict")

// Store is the open management store.
type Store struct {
	db   *sql.DB
	path string
}

const schema = `
CREATE TABLE IF NOT EXISTS api_keys (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	customer_id TEXT NOT NULL DEFAULT '',
	hash TEXT NOT NULL UNIQUE,
	last4 TEXT NOT NULL,
	vlen INTEGER NOT NULL,
	enabled INTEGER NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS usage_plans (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	api_stages TEXT NOT NULL DEFAULT '[]',
	throttle TEXT,
	quota TEXT,
	created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS plan_keys (
	plan_id TEXT NOT NULL REFERENCES usage_plans(id) ON DELETE CASCADE,
	key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
	PRIMARY KEY (plan_id, key_id)
);
CREATE TABLE IF NOT EXISTS usage (
	plan_id TEXT NOT NULL,
	key_id TEXT NOT NULL,
	day TEXT NOT NULL,
	used INTEGER NOT NULL,
	PRIMARY KEY (plan_id, key_id, day)
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (k, v) VALUES ('version', 0);
`

// Path returns the store file of a data directory.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Open opens (creating when missing) the store in dataDir.
func Open(ctx context.Context, dataDir string) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	p := Path(dataDir)
	dsn := "file:" + p + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", p, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating schema in %s: %w", p, err)
	}
	return &Store{db: db, path: p}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// File is the path of the store's file.
func (s *Store) File() string { return s.path }

// Version is a counter bumped by every change of keys, plans or links
// (not usage): servers poll it to reload what they enforce.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'version'`).Scan(&v)
	return v, err
}

// write runs f in a transaction that bumps the version.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET v = v + 1 WHERE k = 'version'`); err != nil {
		return err
	}
	return tx.Commit()
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
const valueAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// NewID returns a 10-character id as AWS uses for keys and plans.
func NewID() string { return randomString(idAlphabet, 10) }

// Hash is the stored digest of a key value.
func Hash(value string) [32]byte { return sha256.Sum256([]byte(value)) }

// Mask renders a key value as execution logs show it: every character but
// the last four replaced by '*'. Values of four characters or fewer are
// all stars.
func Mask(value string) string {
	if len(value) <= 4 {
		return strings.Repeat("*", len(value))
	}
	return strings.Repeat("*", len(value)-4) + value[len(value)-4:]
}

// APIKey is an API key as GetApiKey shows it (never with its value).
type APIKey struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description,omitempty"`
	CustomerID      string    `json:"customerId,omitempty"`
	Enabled         bool      `json:"enabled"`
	CreatedDate     time.Time `json:"createdDate"`
	LastUpdatedDate time.Time `json:"lastUpdatedDate"`
	// Value is set only in the answer to CreateKey.
	Value string `json:"value,omitempty"`
	// Masked is the value as logs show it.
	Masked string `json:"maskedValue"`
	// UsagePlans lists the ids of the plans the key is in.
	UsagePlans []string `json:"usagePlanIds"`
}

// NewKey is what CreateKey needs.
type NewKey struct {
	Name        string
	Description string
	CustomerID  string
	// Value is the key's value, 20 to 128 characters; empty generates 40.
	Value   string
	Enabled bool
}

// CreateKey stores a new key and returns it with its clear value (the only
// time the value is ever shown).
func (s *Store) CreateKey(ctx context.Context, in NewKey) (APIKey, error) {
	v := in.Value
	if v == "" {
		v = randomString(valueAlphabet, 40)
	}
	if n := len(v); n < 20 || n > 128 {
		return APIKey{}, fmt.Errorf("API key value is %d characters; AWS requires 20 to 128", n)
	}
	if len(in.Name) > 1024 {
		return APIKey{}, fmt.Errorf("API key name is longer than 1024 characters")
	}
	now := time.Now().UTC().Truncate(time.Second)
	k := APIKey{ID: NewID(), Name: in.Name, Description: in.Description, CustomerID: in.CustomerID,
		Enabled: in.Enabled, CreatedDate: now, LastUpdatedDate: now, Value: v, Masked: Mask(v), UsagePlans: []string{}}
	if k.Name == "" {
		k.Name = k.ID
	}
	h := Hash(v)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE hash = ?`, hex.EncodeToString(h[:])).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: an API key with this value already exists", ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, description, customer_id, hash, last4, vlen, enabled, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			k.ID, k.Name, k.Description, k.CustomerID, hex.EncodeToString(h[:]), v[len(v)-4:], len(v), k.Enabled, now.Unix(), now.Unix())
		return err
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("creating API key: %w", err)
	}
	return k, nil
}

type rowScanner interface{ Scan(...any) error }

// queryRows runs query and scans each row it returns with scan.
func queryRows[T any](ctx context.Context, db *sql.DB, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanString(r rowScanner) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}

// scanPair scans a plan_keys link: the owner's id, then the linked id.
func scanPair(r rowScanner) ([2]string, error) {
	var v [2]string
	err := r.Scan(&v[0], &v[1])
	return v, err
}

// linkedTable reads the rows of one table (API keys or usage plans) with
// the ids plan_keys links to each: a key's plans, a plan's keys.
type linkedTable[T any] struct {
	what string // the row's name in errors
	scan func(rowScanner) (T, error)
	// list selects every row, oldest first; get one row by id or by name
	// (the argument three times).
	list, get string
	// links selects every (row id, linked id) pair in link order; linksOf
	// the linked ids of one row id.
	links, linksOf string
	id             func(*T) string
	link           func(*T, ...string)
}

// listAll returns every row with its links.
func (t linkedTable[T]) listAll(ctx context.Context, db *sql.DB) ([]T, error) {
	out, err := queryRows(ctx, db, t.scan, t.list)
	if err != nil {
		return nil, err
	}
	links, err := queryRows(ctx, db, scanPair, t.links)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(out))
	for i := range out {
		byID[t.id(&out[i])] = i
	}
	for _, l := range links {
		if i, ok := byID[l[0]]; ok {
			t.link(&out[i], l[1])
		}
	}
	return out, nil
}

// getOne returns the row whose id is idOrName, or else whose name is, with
// its links; ErrNotFound when there is none.
func (t linkedTable[T]) getOne(ctx context.Context, db *sql.DB, idOrName string) (T, error) {
	v, err := t.scan(db.QueryRowContext(ctx, t.get, idOrName, idOrName, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%s %s: %w", t.what, idOrName, ErrNotFound)
	}
	if err != nil {
		return v, err
	}
	ids, err := queryRows(ctx, db, scanString, t.linksOf, t.id(&v))
	t.link(&v, ids...)
	return v, err
}

func scanKey(r rowScanner) (APIKey, error) {
	var k APIKey
	var last4 string
	var vlen int
	var created, updated int64
	if err := r.Scan(&k.ID, &k.Name, &k.Description, &k.CustomerID, &last4, &vlen, &k.Enabled, &created, &updated); err != nil {
		return k, err
	}
	k.CreatedDate, k.LastUpdatedDate = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	k.Masked = strings.Repeat("*", max(vlen-4, 0)) + last4
	k.UsagePlans = []string{}
	return k, nil
}

const keyCols = `id, name, description, customer_id, last4, vlen, enabled, created, updated`

// keyTable reads api_keys and the plans each key is in.
var keyTable = linkedTable[APIKey]{
	what:    "API key",
	scan:    scanKey,
	list:    `SELECT ` + keyCols + ` FROM api_keys ORDER BY created, id`,
	get:     `SELECT ` + keyCols + ` FROM api_keys WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1`,
	links:   `SELECT key_id, plan_id FROM plan_keys ORDER BY plan_id`,
	linksOf: `SELECT plan_id FROM plan_keys WHERE key_id = ? ORDER BY plan_id`,
	id:      func(k *APIKey) string { return k.ID },
	link:    func(k *APIKey, plans ...string) { k.UsagePlans = append(k.UsagePlans, plans...) },
}

// ListKeys returns every key, oldest first.
func (s *Store) ListKeys(ctx context.Context) ([]APIKey, error) {
	return keyTable.listAll(ctx, s.db)
}

// GetKey returns one key by id, or by name when no id matches.
func (s *Store) GetKey(ctx context.Context, idOrName string) (APIKey, error) {
	return keyTable.getOne(ctx, s.db, idOrName)
}

// SetKeyEnabled enables or disables a key.
func (s *Store) SetKeyEnabled(ctx context.Context, idOrName string, enabled bool) (APIKey, error) {
	k, err := s.GetKey(ctx, idOrName)
	if err != nil {
		return k, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET enabled = ?, updated = ? WHERE id = ?`, enabled, now.Unix(), k.ID)
		return err
	})
	k.Enabled, k.LastUpdatedDate = enabled, now
	return k, err
}

// DeleteKey deletes a key and its plan links (its usage stays, as AWS keeps
// usage records of deleted keys until they expire).
func (s *Store) DeleteKey(ctx context.Context, idOrName string) error {
	k, err := s.GetKey(ctx, idOrName)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, k.ID)
		return err
	})
}

// Throttle is a token bucket as usage plans and stages name it.
type Throttle struct {
	RateLimit  float64 `json:"rateLimit"`
	BurstLimit int     `json:"burstLimit"`
}

// Quota is a usage plan's quota.
type Quota struct {
	Limit  int64  `json:"limit"`
	Offset int64  `json:"offset"`
	Period string `json:"period"`
}

// APIStage is one API stage of a usage plan, with per-method throttles
// keyed "/{resourcePath}/{METHOD}" (AWS: "/pets/GET", "/*/*").
type APIStage struct {
	APIID    string              `json:"apiId"`
	Stage    string              `json:"stage"`
	Throttle map[string]Throttle `json:"throttle,omitempty"`
}

// UsagePlan is a usage plan as GetUsagePlan shows it.
type UsagePlan struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	APIStages   []APIStage `json:"apiStages"`
	Throttle    *Throttle  `json:"throttle,omitempty"`
	Quota       *Quota     `json:"quota,omitempty"`
	CreatedDate time.Time  `json:"createdDate"`
	// Keys lists the ids of the plan's API keys.
	Keys []string `json:"keyIds"`
}

// Validate checks a plan as CreateUsagePlan does.
func (p *UsagePlan) Validate() error {
	if p.Throttle != nil && (p.Throttle.RateLimit < 0 || p.Throttle.BurstLimit < 0) {
		return fmt.Errorf("throttle: rateLimit and burstLimit must not be negative")
	}
	if q := p.Quota; q != nil {
		if q.Limit < 0 || q.Offset < 0 {
			return fmt.Errorf("quota: limit and offset must not be negative")
		}
		switch q.Period {
		case "DAY", "WEEK", "MONTH":
		default:
			return fmt.Errorf("quota: period %q: use DAY, WEEK or MONTH", q.Period)
		}
		if q.Offset >= q.Limit && q.Limit > 0 {
			return fmt.Errorf("quota: offset %d must be less than the limit %d", q.Offset, q.Limit)
		}
	}
	for _, st := range p.APIStages {
		if st.APIID == "" || st.Stage == "" {
			return fmt.Errorf("apiStages: each entry needs apiId and stage")
		}
		for k, t := range st.Throttle {
			if _, _, ok := SplitMethodKey(k); !ok {
				return fmt.Errorf("apiStages %s/%s: throttle key %q: write /{resourcePath}/{METHOD}, e.g. /pets/GET", st.APIID, st.Stage, k)
			}
			if t.RateLimit < 0 || t.BurstLimit < 0 {
				return fmt.Errorf("apiStages %s/%s: throttle %s: negative limit", st.APIID, st.Stage, k)
			}
		}
	}
	return nil
}

// SplitMethodKey splits "/pets/{id}/GET" into "/pets/{id}" and "GET"; the
// resource "/*" and method "*" are wildcards.
func SplitMethodKey(k string) (resource, method string, ok bool) {
	i := strings.LastIndexByte(k, '/')
	if i <= 0 || !strings.HasPrefix(k, "/") || i == len(k)-1 {
		return "", "", false
	}
	return k[:i], k[i+1:], true
}

func nullJSON(v any, isNil bool) (any, error) {
	if isNil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// CreatePlan stores a new usage plan.
func (s *Store) CreatePlan(ctx context.Context, p UsagePlan) (UsagePlan, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	p.ID = NewID()
	if p.Name == "" {
		p.Name = p.ID
	}
	if p.APIStages == nil {
		p.APIStages = []APIStage{}
	}
	p.CreatedDate = time.Now().UTC().Truncate(time.Second)
	p.Keys = []string{}
	stages, err := json.Marshal(p.APIStages)
	if err != nil {
		return p, err
	}
	th, err := nullJSON(p.Throttle, p.Throttle == nil)
	if err != nil {
		return p, err
	}
	q, err := nullJSON(p.Quota, p.Quota == nil)
	if err != nil {
		return p, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usage_plans (id, name, description, api_stages, throttle, quota, created) VALUES (?,?,?,?,?,?,?)`,
			p.ID, p.Name, p.Description, string(stages), th, q, p.CreatedDate.Unix())
		return err
	})
	if err != nil {
		return p, fmt.Errorf("creating usage plan: %w", err)
	}
	return p, nil
}

func scanPlan(r rowScanner) (UsagePlan, error) {
	var p UsagePlan
	var stages string
	var th, q sql.NullString
	var created int64
	if err := r.Scan(&p.ID, &p.Name, &p.Description, &stages, &th, &q, &created); err != nil {
		return p, err
	}
	p.CreatedDate = time.Unix(created, 0).UTC()
	if err := json.Unmarshal([]byte(stages), &p.APIStages); err != nil {
		return p, fmt.Errorf("usage plan %s: apiStages: %w", p.ID, err)
	}
	if th.Valid {
		p.Throttle = &Throttle{}
		if err := json.Unmarshal([]byte(th.String), p.Throttle); err != nil {
			return p, fmt.Errorf("usage plan %s: throttle: %w", p.ID, err)
		}
	}
	if q.Valid {
		p.Quota = &Quota{}
		if err := json.Unmarshal([]byte(q.String), p.Quota); err != nil {
			return p, fmt.Errorf("usage plan %s: quota: %w", p.ID, err)
		}
	}
	p.Keys = []string{}
	return p, nil
}

const planCols = `id, name, description, api_stages, throttle, quota, created`

// planTable reads usage_plans and the keys each plan holds.
var planTable = linkedTable[UsagePlan]{
	what:    "usage plan",
	scan:    scanPlan,
	list:    `SELECT ` + planCols + ` FROM usage_plans ORDER BY created, id`,
	get:     `SELECT ` + planCols + ` FROM usage_plans WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1`,
	links:   `SELECT plan_id, key_id FROM plan_keys ORDER BY key_id`,
	linksOf: `SELECT key_id FROM plan_keys WHERE plan_id = ? ORDER BY key_id`,
	id:      func(p *UsagePlan) string { return p.ID },
	link:    func(p *UsagePlan, keys ...string) { p.Keys = append(p.Keys, keys...) },
}

// ListPlans returns every usage plan with its key ids, oldest first.
func (s *Store) ListPlans(ctx context.Context) ([]UsagePlan, error) {
	return planTable.listAll(ctx, s.db)
}

// GetPlan returns one plan by id, or by name when no id matches.
func (s *Store) GetPlan(ctx context.Context, idOrName string) (UsagePlan, error) {
	return planTable.getOne(ctx, s.db, idOrName)
}

// DeletePlan deletes a plan and its key links.
func (s *Store) DeletePlan(ctx context.Context, idOrName string) error {
	p, err := s.GetPlan(ctx, idOrName)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM usage_plans WHERE id = ?`, p.ID)
		return err
	})
}

// AddKey links a key to a plan (CreateUsagePlanKey). As AWS, a key may be
// in only one plan per API stage.
func (s *Store) AddKey(ctx context.Context, plan, key string) error {
	p, err := s.GetPlan(ctx, plan)
	if err != nil {
		return err
	}
	k, err := s.GetKey(ctx, key)
	if err != nil {
		return err
	}
	for _, other := range k.UsagePlans {
		if other == p.ID {
			return fmt.Errorf("%w: API key %s is already in usage plan %s", ErrConflict, k.ID, p.ID)
		}
		op, err := s.GetPlan(ctx, other)
		if err != nil {
			return err
		}
		for _, a := range op.APIStages {
			for _, b := range p.APIStages {
				if a.APIID == b.APIID && a.Stage == b.Stage {
					return fmt.Errorf("%w: API key %s is already in usage plan %s, which covers %s/%s too (AWS allows one plan per key and API stage)", ErrConflict, k.ID, op.ID, a.APIID, a.Stage)
				}
			}
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO plan_keys (plan_id, key_id) VALUES (?, ?)`, p.ID, k.ID)
		return err
	})
}

// RemoveKey unlinks a key from a plan (DeleteUsagePlanKey).
func (s *Store) RemoveKey(ctx context.Context, plan, key string) error {
	p, err := s.GetPlan(ctx, plan)
	if err != nil {
		return err
	}
	k, err := s.GetKey(ctx, key)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM plan_keys WHERE plan_id = ? AND key_id = ?`, p.ID, k.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("API key %s is not in usage plan %s: %w", k.ID, p.ID, ErrNotFound)
		}
		return nil
	})
}
