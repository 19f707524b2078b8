package delivery_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights/clock"
	"github.com/repcoach/repcoach/insights/delivery"
)

// TestMemoryLeaseLapsesOnTheClock: a lease lapses when the fake clock
// passes it, with no real wait, and the next claim is a reclaim.
func TestMemoryLeaseLapsesOnTheClock(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 6, 16, 0, 0, 0, time.UTC))
	l := delivery.NewMemory(clk)
	ctx := context.Background()
	const key, lease = "job/2026-W45/U1", time.Minute
	steps := []struct {
		name  string
		owner string
		wait  time.Duration
		want  delivery.Claim
	}{
		{"first claim", "a", 0, delivery.New},
		{"own renewal", "a", 10 * time.Second, delivery.New},
		{"other while live", "b", 30 * time.Second, delivery.Held},
		{"other after the lapse", "b", time.Minute, delivery.Reclaimed},
		{"first owner now", "a", 0, delivery.Held},
	}
	for _, s := range steps {
		clk.Add(s.wait)
		if got, err := l.ClaimDelivery(ctx, key, s.owner, lease); err != nil || got != s.want {
			t.Errorf("%s: claim by %s = %v, %v; want %v", s.name, s.owner, got, err, s.want)
		}
	}
	if err := l.MarkDelivered(ctx, key, "a", "1.0"); !errors.Is(err, delivery.ErrNotOwner) {
		t.Errorf("mark by the lapsed owner = %v, want ErrNotOwner", err)
	}
	if err := l.MarkDelivered(ctx, key, "b", "2.0"); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.ClaimDelivery(ctx, key, "c", lease); got != delivery.Sent {
		t.Errorf("claim after the mark = %v, want sent", got)
	}
	if ts, ok := l.Delivered(key); !ok || ts != "2.0" {
		t.Errorf("Delivered = %q, %v", ts, ok)
	}
}

func TestMemoryRelease(t *testing.T) {
	l := delivery.NewMemory(clock.NewFake(time.Unix(0, 0)))
	ctx := context.Background()
	for _, tt := range []struct {
		maybePosted bool
		want        delivery.Claim
	}{{false, delivery.New}, {true, delivery.Reclaimed}} {
		key := "k/" + tt.want.String()
		if _, err := l.ClaimDelivery(ctx, key, "a", time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := l.ReleaseDelivery(ctx, key, "a", tt.maybePosted); err != nil {
			t.Fatal(err)
		}
		if got, _ := l.ClaimDelivery(ctx, key, "b", time.Hour); got != tt.want {
			t.Errorf("claim after release(maybePosted=%v) = %v, want %v", tt.maybePosted, got, tt.want)
		}
	}
}
