package clock

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 6, 16, 0, 0, 0, time.UTC)

func TestFakeSleepMovesTimeAtOnce(t *testing.T) {
	f := NewFake(t0)
	if err := f.Sleep(context.Background(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Now(), t0.Add(30*time.Second); !got.Equal(want) {
		t.Errorf("after Sleep(30s) Now = %v, want %v", got, want)
	}
	if got := f.Slept(); got != 30*time.Second {
		t.Errorf("Slept = %v, want 30s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on an ended context = %v, want context.Canceled", err)
	}
	if got, want := f.Now(), t0.Add(30*time.Second); !got.Equal(want) {
		t.Errorf("a cancelled Sleep moved the clock to %v", got)
	}
}

func TestManualSleepWaitsForAdd(t *testing.T) {
	f := NewManual(t0)
	ctx := context.Background()
	done := make(chan time.Time)
	go func() {
		_ = f.Sleep(ctx, time.Minute)
		done <- f.Now()
	}()
	if err := f.WaitSleepers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.Add(59 * time.Second)
	select {
	case <-done:
		t.Fatal("Sleep(1m) returned after 59s")
	default:
	}
	f.Add(time.Second)
	if got := <-done; !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("woke at %v, want %v", got, t0.Add(time.Minute))
	}
	if n := f.Sleepers(); n != 0 {
		t.Errorf("%d sleepers left", n)
	}
}

func TestManualSleepEndsWithContext(t *testing.T) {
	f := NewManual(t0)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- f.Sleep(ctx, time.Hour) }()
	if err := f.WaitSleepers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
	if n := f.Sleepers(); n != 0 {
		t.Errorf("%d sleepers left after cancel", n)
	}
}

func TestRealSleep(t *testing.T) {
	if err := Real.Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Real.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on an ended context = %v", err)
	}
	if Or(nil) != Real {
		t.Error("Or(nil) is not Real")
	}
}
