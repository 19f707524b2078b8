package schedule

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RunOptions are the options of a manual run (repcoach job run).
type RunOptions struct {
	DryRun bool   // log instead of sending; the Sender is not called
	Only   string // send to this one user ID of the audience only
	// Show, in a dry run, is given each message that would be sent,
	// instead of the log line (`repcoach job run --dry-run` prints them).
	Show Show
}

// Show is given, in a dry run, each message that would go to userID under
// delivery key key, and when it was due. It may be called from several
// goroutines at once.
type Show func(key, userID string, due time.Time, msg Message)

// RunJob runs job name once, now, for every recipient regardless of their
// local time (the `repcoach job run` command): each recipient's delivery
// key uses the current ISO week in their zone, so a recipient already sent
// this week's message is not sent it again, and the scheduled send later
// that week will not repeat it. Opt-outs are respected. Only limits the run
// to one user ID, which must be in the job's audience. Recipients another
// process held are tried once more after Config.HeldWait, by when a dead
// process's lease has lapsed (its posts are then looked for before
// sending again). A dry run (the
// option, or Config.DryRun) logs each message instead of sending it. It
// returns an error wrapping ErrUnknownJob (listing the jobs) for an
// unknown name, ErrPaused if sends are paused (unless dry), or the
// audience's error; per-recipient failures are in the report.
func (s *Scheduler) RunJob(ctx context.Context, name string, opts RunOptions) (Report, error) {
	var rep Report
	i, ok := s.byName[name]
	if !ok {
		names := make([]string, len(s.jobs))
		for k, j := range s.jobs {
			names[k] = j.Name
		}
		return rep, fmt.Errorf("%w %q (jobs: %s)", ErrUnknownJob, name, strings.Join(names, ", "))
	}
	j := &s.jobs[i]
	var dry Show
	if opts.DryRun || s.cfg.DryRun {
		dry = opts.Show
		if dry == nil {
			dry = s.logDry
		}
	}
	if dry == nil {
		paused, err := s.prefs.Paused(ctx)
		if err != nil {
			return rep, fmt.Errorf("run %s: %w", name, err)
		}
		if paused {
			return rep, fmt.Errorf("run %s: %w", name, ErrPaused)
		}
	}
	ids, err := s.audience(ctx, j)
	if err != nil {
		return rep, fmt.Errorf("run %s: %w", name, err)
	}
	if opts.Only != "" {
		if !slices.Contains(ids, opts.Only) {
			return rep, fmt.Errorf("run %s: %s is not in its audience", name, opts.Only)
		}
		ids = []string{opts.Only}
	}
	now := s.clock.Now()
	var items []fanItem
	for _, id := range ids {
		loc, err := s.zone(ctx, id)
		if err != nil {
			rep.add(Outcome{Result: Failed, Err: err})
			continue
		}
		items = append(items, fanItem{user: id, due: now, week: WeekOf(now.In(loc))})
	}
	rep.addAll(s.fanoutWaitingHeld(ctx, j, items, dry))
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("run %s: %w", name, err)
	}
	return rep, nil
}

// fanoutWaitingHeld is fanout for a manual run: the recipients another
// process held are tried once more after Config.HeldWait (if set), on the
// Scheduler's clock. It returns the outcomes in no particular order.
func (s *Scheduler) fanoutWaitingHeld(ctx context.Context, j *Job, items []fanItem, dry Show) []Outcome {
	outcomes := s.fanout(ctx, j, items, "", dry)
	if s.cfg.HeldWait <= 0 || dry != nil {
		return outcomes
	}
	var held []fanItem
	for i, o := range outcomes {
		if o.Result == Held {
			held = append(held, items[i])
		}
	}
	if len(held) == 0 {
		return outcomes
	}
	s.log.Info("run: waiting for deliveries another process holds, then trying them again", "job", j.Name, "count", len(held), "wait", s.cfg.HeldWait)
	if s.clock.Sleep(ctx, s.cfg.HeldWait) != nil {
		return outcomes
	}
	outcomes = slices.DeleteFunc(outcomes, func(o Outcome) bool { return o.Result == Held })
	return append(outcomes, s.fanout(ctx, j, held, "", nil)...)
}
