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
// to one user ID, which must be in the job's audience. A dry run (the
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
	for _, o := range s.fanout(ctx, j, items, "", dry) {
		rep.add(o)
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("run %s: %w", name, err)
	}
	return rep, nil
}
