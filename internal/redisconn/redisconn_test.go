package redisconn

import (
	"context"
	"testing"
	"time"
)

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Options
		want Options
	}{
		{"zero", Options{Addr: "x:1"}, Options{Addr: "x:1", KeyPrefix: "archway:", Timeout: 250 * time.Millisecond, Backoff: time.Second}},
		{"kept", Options{KeyPrefix: "p:", Timeout: time.Second, Backoff: 2 * time.Second}, Options{KeyPrefix: "p:", Timeout: time.Second, Backoff: 2 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.WithDefaults(); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBreaker(t *testing.T) {
	t.Run("a server failure trips it for the back-off", func(t *testing.T) {
		b := &Breaker{Backoff: time.Hour}
		if b.Down() {
			t.Fatal("down before any failure")
		}
		if !b.Fail(context.Background()) || !b.Down() {
			t.Fatal("not down after a failure")
		}
	})
	t.Run("it closes when the back-off has passed", func(t *testing.T) {
		b := &Breaker{Backoff: -time.Second}
		b.Fail(context.Background())
		if b.Down() {
			t.Fatal("still down after the back-off")
		}
	})
	t.Run("a cancelled caller is not a server failure", func(t *testing.T) {
		b := &Breaker{Backoff: time.Hour}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if b.Fail(ctx) || b.Down() {
			t.Fatal("a cancelled command tripped the breaker")
		}
	})
}
