package store_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/archway-gw/archway/internal/store"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in            string
		status, class int
		ok            bool
	}{
		{"502", 502, 0, true},
		{"5xx", 0, 5, true},
		{"4XX", 0, 4, true},
		{"2xx", 0, 2, true},
		{"6xx", 0, 0, false},
		{"600", 0, 0, false},
		{"99", 0, 0, false},
		{"abc", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, c, err := store.ParseStatus(tc.in)
			if (err == nil) != tc.ok || s != tc.status || c != tc.class {
				t.Errorf("ParseStatus(%q) = %d, %d, %v", tc.in, s, c, err)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, in := range []string{"2026-03-01T12:00:00Z", "2026-03-01T13:00:00+01:00", "1772366400000"} {
		t.Run(in, func(t *testing.T) {
			got, err := store.ParseTime(in)
			if err != nil || !got.Equal(want) {
				t.Errorf("ParseTime(%q) = %v, %v", in, got, err)
			}
		})
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(store.Cursor{Time: time.UnixMicro(1772366400000000), Seq: 42}.String())
	f.Add("")
	f.Add("MTIzLjQ1")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseCursor(s)
		if err != nil {
			return
		}
		// What parses re-encodes to a cursor that parses to the same place.
		c2, err := store.ParseCursor(c.String())
		if err != nil || !c2.Time.Equal(c.Time) || c2.Seq != c.Seq {
			t.Errorf("%q: %v then %v, %v", s, c, c2, err)
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	f.Add("apiId=a&stage=dev&status=5xx&from=2026-03-01T12:00:00Z&to=1772366400000&limit=5&cursor=MTIzLjQ1")
	f.Add("status=500&method=get&resource=/pets/{id}")
	f.Add("limit=100000")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := store.ParseFilter(q)
		if err != nil {
			return
		}
		if fl.Limit < 0 || fl.Limit > store.MaxLimit || fl.StatusClass < 0 || fl.StatusClass > 5 || (fl.Status != 0 && (fl.Status < 100 || fl.Status > 599)) {
			t.Errorf("%q parsed out of range: %+v", raw, fl)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	f.Add("from=2026-03-01T12:00:00Z&to=2026-03-01T13:00:00Z&bucket=1m&top=3")
	f.Add("bucket=1ns")
	f.Add("from=1&to=2")
	f.Add("bucket=2562047h")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		out, err := store.ParseQuery(q, now)
		if err != nil {
			return
		}
		if !out.To.After(out.From) || out.Bucket <= 0 || store.BucketCount(out.To.Sub(out.From), out.Bucket) > store.MaxBuckets {
			t.Errorf("%q accepted: %+v", raw, out)
		}
	})
}

func FuzzAppendLogJSON(f *testing.F) {
	f.Add("Method completed with status: 200", int64(1772366400123456))
	f.Add("quote \" backslash \\ newline \n tab \t nul \x00 bell \x07 é 💥 \u2028 <>&", int64(0))
	f.Add("", int64(-1))
	f.Fuzz(func(t *testing.T, msg string, us int64) {
		if !utf8.ValidString(msg) {
			t.Skip("messages are cleaned to valid UTF-8 before encoding")
		}
		at := time.UnixMicro(us % (1 << 50)).UTC()
		in := []store.LogLine{{Time: at, Msg: msg}, {Time: at.Add(time.Millisecond), Msg: "second"}}
		out := store.AppendLogJSON(nil, in)
		var got []store.LogLine
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		if len(got) != 2 || got[0].Msg != msg || !got[0].Time.Equal(at) || got[1].Msg != "second" {
			t.Errorf("%q round-trips to %+v", out, got)
		}
	})
}
