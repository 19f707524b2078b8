package schedule

import (
	"context"
	"time"
)

// runState is what this process knows of one week's run ("job/week").
// Its life: not sealed (waiting for the first recipient's send time,
// re-reading the audience) → sealed (the audience is in the Outbox) →
// finished (nothing pending). recheck says when the next Tick need look.
type runState struct {
	sealed   bool
	finished bool
	recheck  time.Time            // nothing to do before this
	retryAt  map[string]time.Time // failed items wait until then
	dry      map[string]bool      // items a dry run already logged
}

// runWeek moves run (job j in week wk) on at now.
func (s *Scheduler) runWeek(ctx context.Context, j *Job, wk Week, run string, now time.Time) {
	st := s.runs[run]
	if st == nil {
		st = &runState{retryAt: map[string]time.Time{}, dry: map[string]bool{}}
		s.runs[run] = st
	}
	if st.finished || now.Before(st.recheck) {
		return
	}
	if !st.sealed && !s.seal(ctx, j, wk, run, st, now) {
		return
	}
	pending, err := s.outbox.OutboxPending(ctx, run)
	if err != nil {
		s.log.Error("scheduler: read outbox", "run", run, "err", err)
		return
	}
	if len(pending) == 0 {
		st.finished = true
		return
	}
	s.sendDue(ctx, j, wk, run, st, pending, now)
}

// seal enqueues run's audience in the Outbox once the first recipient's
// send time has come, and reports whether it did.
func (s *Scheduler) seal(ctx context.Context, j *Job, wk Week, run string, st *runState, now time.Time) bool {
	ids, err := s.audience(ctx, j)
	if err != nil {
		s.log.Error("scheduler: read audience", "job", j.Name, "err", err)
		st.recheck = now.Add(s.cfg.Tick)
		return false
	}
	var first time.Time
	for _, id := range ids {
		loc, err := s.zone(ctx, id)
		if err != nil {
			continue // decided when it is pending
		}
		if d, ok := s.cal.Due(j.At, loc, wk); ok && (first.IsZero() || d.Before(first)) {
			first = d
		}
	}
	if first.IsZero() || now.Before(first) {
		st.recheck = now.Add(audienceRefresh)
		if !first.IsZero() && first.Before(st.recheck) {
			st.recheck = first
		}
		return false
	}
	if err := s.outbox.EnqueueOutbox(ctx, run, ids); err != nil {
		s.log.Error("scheduler: enqueue run", "run", run, "err", err)
		return false
	}
	st.sealed = true
	return true
}

// sendDue sends to the pending recipients whose send time has come, skips
// those past the grace window or not sending this week, and sets when the
// run needs looking at again.
func (s *Scheduler) sendDue(ctx context.Context, j *Job, wk Week, run string, st *runState, pending []string, now time.Time) {
	var (
		work     []fanItem
		next     time.Time
		missed   []string
		rep      Report
		zoneErrs int
		zoneErr  error
	)
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, id := range pending {
		if st.dry[id] {
			continue
		}
		if t, ok := st.retryAt[id]; ok && now.Before(t) {
			later(t)
			continue
		}
		loc, err := s.zone(ctx, id)
		if err != nil {
			if zoneErrs++; zoneErrs == 1 {
				zoneErr = err
			}
			later(now)
			continue
		}
		d, ok := s.cal.Due(j.At, loc, wk)
		switch {
		case !ok:
			s.done(ctx, run, id)
			rep.Skipped++
		case now.Before(d):
			later(d)
		case !now.Before(d.Add(s.cfg.Grace)):
			s.done(ctx, run, id)
			missed = append(missed, id)
			rep.Skipped++
		default:
			work = append(work, fanItem{user: id, due: d, week: wk})
		}
	}
	if zoneErrs > 0 {
		s.log.Warn("scheduler: recipients without a time zone wait for the next tick", "run", run, "count", zoneErrs, "err", zoneErr)
	}
	if len(missed) > 0 {
		s.log.Warn("scheduler: sends missed their grace window and were skipped", "run", run,
			"count", len(missed), "grace", s.cfg.Grace, "users", missed[:min(20, len(missed))])
	}
	var dry Show
	if s.cfg.DryRun {
		dry = s.logDry
	}
	for i, o := range s.fanout(ctx, j, work, run, dry) {
		rep.add(o)
		id := work[i].user
		switch o.Result {
		case Failed:
			st.retryAt[id] = now.Add(failedRetry)
			later(st.retryAt[id])
		case Held, Cancelled, Unrecorded:
			later(now)
		case WouldSend:
			st.dry[id] = true
		}
	}
	st.recheck = next
	if len(work) > 0 || rep.Skipped > 0 {
		s.log.Info("scheduler: run progressed", "run", run, "sent", rep.Sent, "already_sent", rep.AlreadySent,
			"skipped", rep.Skipped, "failed", rep.Failed, "held", rep.Held, "dry_run", rep.WouldSend)
	}
}

// done marks user done in run (if run is not ""), even if ctx has ended:
// the work it records is done.
func (s *Scheduler) done(ctx context.Context, run, user string) {
	if run == "" {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.outbox.OutboxDone(dctx, run, user); err != nil {
		s.log.Warn("scheduler: mark outbox item done", "run", run, "user", user, "err", err)
	}
}
