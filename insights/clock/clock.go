// Package clock is the one clock RepCoach reads and waits on: Real in
// production, and Fake, which tests set and advance so that no test
// sleeps for a lease to lapse, a Retry-After or a backoff.
//
// Code that needs the time takes a Clock (or its Now method) and never
// calls time.Now, time.Sleep or time.After itself.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits d, or until ctx ends, and then returns ctx's error (nil
	// if ctx has not ended). A d of zero or less does not wait.
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock.
var Real Clock = real{}

type real struct{}

func (real) Now() time.Time { return time.Now() }

func (real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ctx.Err()
	}
}

// Or returns c, or Real if c is nil: for configs whose zero value means
// the wall clock.
func Or(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// Fake is a clock that moves only when told. Its zero value is not usable;
// use NewFake. It is safe for concurrent use.
//
// By default Sleep does not block: it moves the clock on to the end of the
// wait at once (time passes, instantly), so code that waits out a
// Retry-After or a backoff runs at full speed and the test can read how
// much time it waited. With Manual, Sleep blocks until Add or Set moves
// the clock past the end of the wait, for tests that act while something
// waits (Sleepers says how many do).
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	manual  bool
	waiters []*waiter
	changed chan struct{} // closed and replaced when waiters change
	slept   time.Duration
}

type waiter struct {
	until time.Time
	done  chan struct{}
}

// NewFake returns a Fake clock set to t, whose Sleep moves time on at once.
func NewFake(t time.Time) *Fake {
	return &Fake{now: t, changed: make(chan struct{})}
}

// NewManual returns a Fake clock set to t, whose Sleep blocks until the
// test moves the clock past the end of the wait.
func NewManual(t time.Time) *Fake {
	f := NewFake(t)
	f.manual = true
	return f
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Slept returns the total of every wait Sleep moved the clock on for (not
// counting Add and Set).
func (f *Fake) Slept() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slept
}

// Sleep waits d in fake time: at once (moving the clock to now+d if it is
// not past it yet), or, for a Manual clock, until the clock reaches now+d.
// It returns ctx's error if ctx ends first.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	f.mu.Lock()
	until := f.now.Add(d)
	if !f.manual {
		f.slept += d
		if until.After(f.now) {
			f.now = until
		}
		f.mu.Unlock()
		return nil
	}
	w := &waiter{until: until, done: make(chan struct{})}
	f.waiters = append(f.waiters, w)
	f.notifyLocked()
	f.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		f.drop(w)
		f.mu.Unlock()
		return ctx.Err()
	}
}

// Add moves the clock on by d, waking the sleepers whose wait has ended.
func (f *Fake) Add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(f.now.Add(d))
}

// Set sets the clock to t (backwards too), waking the sleepers whose wait
// has ended.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(t)
}

func (f *Fake) setLocked(t time.Time) {
	f.now = t
	sort.SliceStable(f.waiters, func(i, j int) bool { return f.waiters[i].until.Before(f.waiters[j].until) })
	for len(f.waiters) > 0 && !f.waiters[0].until.After(t) {
		close(f.waiters[0].done)
		f.waiters = f.waiters[1:]
	}
	f.notifyLocked()
}

// Sleepers returns how many goroutines are in Sleep on a Manual clock.
func (f *Fake) Sleepers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// WaitSleepers blocks until at least n goroutines are in Sleep on a Manual
// clock, or ctx ends (returning its error).
func (f *Fake) WaitSleepers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		got, changed := len(f.waiters), f.changed
		f.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Fake) drop(w *waiter) {
	for i, x := range f.waiters {
		if x == w {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			break
		}
	}
	f.notifyLocked()
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}
