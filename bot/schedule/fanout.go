package schedule

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// fanItem is one recipient of a fan-out.
type fanItem struct {
	user string
	due  time.Time
	week Week
}

// fanout delivers items with Config.Workers workers and returns each
// one's outcome. It stops handing out items when ctx ends and returns once
// the deliveries under way have finished. run is "" for a manual run,
// which ignores the grace window and the outbox.
func (s *Scheduler) fanout(ctx context.Context, j *Job, items []fanItem, run string, dry Show) []Outcome {
	out := make([]Outcome, len(items))
	if len(items) == 0 {
		return out
	}
	feed := make(chan int)
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, len(items)) {
		wg.Go(func() {
			for i := range feed {
				out[i] = s.deliver(ctx, j, items[i], run, dry)
			}
		})
	}
	start := int(s.spin % uint32(len(items)))
feed:
	for k := range items {
		select {
		case feed <- (start + k) % len(items):
		case <-ctx.Done():
			break feed
		}
	}
	close(feed)
	wg.Wait()
	return out
}

// deliver sends one recipient's message: the checks (grace, Redis, pause,
// opt-out), the build, then the Sender, or in a dry run (dry not nil) dry
// instead: the one place a dry run is decided. A recipient sent, already
// sent, skipped or refused is marked done in run's outbox; run is "" for a
// manual run, which has none.
func (s *Scheduler) deliver(ctx context.Context, j *Job, it fanItem, run string, dry Show) (o Outcome) {
	key := j.Name + "/" + it.week.String() + "/" + it.user
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("scheduler: job panicked", "job", j.Name, "user", it.user, "panic", p, "stack", string(debug.Stack()))
			o = Outcome{Result: Failed, Err: fmt.Errorf("%s: job panicked: %v", key, p)}
		}
		switch o.Result {
		case Sent, AlreadySent, Skipped, Refused:
			s.done(ctx, run, it.user)
		}
		if o.Err != nil && (o.Result == Failed || o.Result == Refused) {
			if !strings.Contains(o.Err.Error(), key) {
				o.Err = fmt.Errorf("%s: %w", key, o.Err)
			}
			s.log.Error("scheduler: delivery failed", "key", key, "err", o.Err)
		}
	}()
	if ctx.Err() != nil {
		return Outcome{}
	}
	if run != "" {
		if !s.clock.Now().Before(it.due.Add(s.cfg.Grace)) {
			s.log.Warn("scheduler: send missed its grace window; skipped", "key", key, "due", it.due)
			return Outcome{Result: Skipped}
		}
		if s.dataLost(ctx) {
			return Outcome{}
		}
		if paused, err := s.prefs.Paused(ctx); err != nil || paused {
			return Outcome{}
		}
	}
	if j.OptOutKind != "" {
		out, err := s.prefs.OptedOut(ctx, it.user, j.OptOutKind)
		if err != nil {
			return Outcome{Result: Failed, Err: err}
		}
		if out {
			s.log.Debug("scheduler: recipient opted out", "key", key, "kind", j.OptOutKind)
			return Outcome{Result: Skipped}
		}
	}
	msg, err := j.Build(ctx, it.user, it.due)
	switch {
	case errors.Is(err, ErrSkip):
		s.log.Debug("scheduler: recipient skipped by the job", "key", key)
		return Outcome{Result: Skipped}
	case err != nil && ctx.Err() != nil:
		return Outcome{}
	case err != nil:
		return Outcome{Result: Failed, Err: fmt.Errorf("build message: %w", err)}
	}
	if dry != nil {
		dry(key, it.user, it.due, msg)
		return Outcome{Result: WouldSend}
	}
	o = s.send.Deliver(ctx, key, it.user, msg)
	if o.Result == Unrecorded {
		// Out, but not recorded: the item stays pending until the ledger
		// has it (this Sender retries the record; others find the post).
		s.log.Warn("scheduler: sent but not recorded yet", "key", key, "err", o.Err)
	}
	return o
}

// logDry is the dry run's Show when nobody asked for another: a log line.
func (s *Scheduler) logDry(key, userID string, due time.Time, _ Message) {
	s.log.Info("dry run: would send", "key", key, "user", userID, "due", due)
}
