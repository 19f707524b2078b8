package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/repcoach/repcoach/insights"
)

const (
	// pipelineCommands is the most commands sent in one pipeline.
	pipelineCommands = 1000
	// pipelinesInFlight is how many pipelines a bulk write runs at once.
	pipelinesInFlight = 4
)

// snapKey names a snapshot key: P{snap}:parts...
func (s *Store) snapKey(parts ...string) string {
	return s.key(append([]string{"{snap}"}, parts...)...)
}

// versionBase is the start of every key of snapshot version v, without the
// version: the read scripts append the version themselves.
func (s *Store) versionBase() string { return s.snapKey("v") + ":" }

func (s *Store) versionKey(v int64, parts ...string) string {
	return s.versionBase() + strconv.FormatInt(v, 10) + ":" + strings.Join(parts, ":")
}

// PublishSnapshot stores every report of snap as a new version N and makes
// it current. It writes one key per rep and period and per team and period
// (JSON), plus an index of reps and teams, in pipelined batches of at most
// 1,000 commands, then atomically sets the current version to N. Readers see
// the previous version until that moment and version N from then on, never a
// mix. The versions it supersedes stay readable for Options.Grace and then
// expire; so do versions left behind by a publisher that crashed.
//
// Duplicate reports (same rep or team and period) collapse: the last wins.
// Every RepReport needs a Rep.ID and Period.Kind, every TeamReport a Team
// and Period.Kind. If another publisher made a newer version current first,
// PublishSnapshot discards its own and returns an error wrapping
// ErrSuperseded. If version N became current but retiring older versions
// failed, it returns N with an error; the clean-up is retried at the next
// publish.
func (s *Store) PublishSnapshot(ctx context.Context, snap insights.Snapshot) (version int64, err error) {
	for i, r := range snap.Reps {
		if r.Rep.ID == "" || !validKind(r.Period.Kind) {
			return 0, fmt.Errorf("publish snapshot: rep report %d has no rep ID or a bad period kind %q", i, r.Period.Kind)
		}
	}
	for i, t := range snap.Teams {
		if t.Team == "" || !validKind(t.Period.Kind) {
			return 0, fmt.Errorf("publish snapshot: team report %d has no team or a bad period kind %q", i, t.Period.Kind)
		}
	}
	snap.Reps = lastOf(snap.Reps, func(r *insights.RepReport) string { return string(r.Period.Kind) + ":" + string(r.Rep.ID) })
	snap.Teams = lastOf(snap.Teams, func(t *insights.TeamReport) string { return string(t.Period.Kind) + ":" + t.Team })
	v, err := s.rdb.Incr(ctx, s.snapKey("seq")).Result()
	if err != nil {
		return 0, fmt.Errorf("publish snapshot: allocate version: %w", err)
	}
	// Register before writing anything, so an interrupted publish is found
	// and removed by the next one.
	if err := s.rdb.ZAdd(ctx, s.snapKey("versions"), redis.Z{Score: float64(v), Member: v}).Err(); err != nil {
		return 0, fmt.Errorf("publish snapshot version %d: register: %w", v, err)
	}
	if err := s.writeSnapshot(ctx, v, snap); err != nil {
		return 0, fmt.Errorf("publish snapshot version %d: %w", v, err)
	}
	cur, err := flipScript.Run(ctx, s.rdb, []string{s.snapKey("current")}, v).Int64()
	if err != nil {
		return 0, fmt.Errorf("publish snapshot version %d: make current: %w", v, err)
	}
	if cur != v {
		if rerr := s.retireVersion(ctx, v, true); rerr != nil {
			return 0, fmt.Errorf("publish snapshot version %d: %w (version %d is current); discard: %v", v, ErrSuperseded, cur, rerr)
		}
		return 0, fmt.Errorf("publish snapshot version %d: %w (version %d is current)", v, ErrSuperseded, cur)
	}
	old, err := s.rdb.ZRangeByScore(ctx, s.snapKey("versions"), &redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(v, 10)}).Result()
	if err != nil {
		return v, fmt.Errorf("published snapshot version %d; list older versions: %w", v, err)
	}
	for _, o := range old {
		ov, err := strconv.ParseInt(o, 10, 64)
		if err != nil {
			return v, fmt.Errorf("published snapshot version %d; bad registered version %q", v, o)
		}
		if err := s.retireVersion(ctx, ov, false); err != nil {
			return v, fmt.Errorf("published snapshot version %d; retire version %d: %w", v, ov, err)
		}
	}
	return v, nil
}

// validKind reports whether k can be part of a key: not empty, no colon.
func validKind(k insights.PeriodKind) bool { return k != "" && !strings.Contains(string(k), ":") }

// lastOf returns xs without the items whose key an earlier item shares,
// each kept one holding the value of the last item with its key. It returns
// xs itself when there are no duplicates.
func lastOf[T any](xs []T, key func(*T) string) []T {
	idx := make(map[string]int, len(xs))
	var out []T
	for i := range xs {
		k := key(&xs[i])
		if j, ok := idx[k]; ok {
			if out == nil {
				out = slices.Clone(xs[:i])
			}
			out[j] = xs[i]
			continue
		}
		idx[k] = len(idx)
		if out != nil {
			out = append(out, xs[i])
		}
	}
	if out == nil {
		return xs
	}
	return out
}

// writeSnapshot writes the keys of version v. Each pipeline adds its keys'
// names to the version's index sets before writing the keys, on the same
// connection, so no written key is ever missing from the index.
func (s *Store) writeSnapshot(ctx context.Context, v int64, snap insights.Snapshot) error {
	if err := s.rdb.HSet(ctx, s.versionKey(v, "meta"), "started_at", s.opts.Now().Format(time.RFC3339Nano)).Err(); err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pipelinesInFlight)
	const per = pipelineCommands - 4 // room for the index commands
	repKeys, teamKeys := s.versionKey(v, "repkeys"), s.versionKey(v, "teamkeys")
	for lo := 0; lo < len(snap.Reps); lo += per {
		batch := snap.Reps[lo:min(lo+per, len(snap.Reps))]
		g.Go(func() error {
			members := make([]any, len(batch))
			reps := make([]any, len(batch))
			vals := make([][]byte, len(batch))
			for i := range batch {
				r := &batch[i]
				members[i] = string(r.Period.Kind) + ":" + string(r.Rep.ID)
				reps[i] = string(r.Rep.ID)
				b, err := json.Marshal(r)
				if err != nil {
					return fmt.Errorf("encode report of rep %s for %s: %w", r.Rep.ID, r.Period.Kind, err)
				}
				vals[i] = b
			}
			_, err := s.rdb.Pipelined(gctx, func(p redis.Pipeliner) error {
				p.SAdd(gctx, repKeys, members...)
				p.SAdd(gctx, s.versionKey(v, "reps"), reps...)
				for i := range batch {
					p.Set(gctx, s.versionKey(v, "rep", members[i].(string)), vals[i], 0)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("write rep reports: %w", err)
			}
			return nil
		})
	}
	for lo := 0; lo < len(snap.Teams); lo += per {
		batch := snap.Teams[lo:min(lo+per, len(snap.Teams))]
		g.Go(func() error {
			members := make([]any, len(batch))
			teams := make([]any, len(batch))
			vals := make([][]byte, len(batch))
			for i := range batch {
				t := &batch[i]
				members[i] = string(t.Period.Kind) + ":" + t.Team
				teams[i] = t.Team
				b, err := json.Marshal(t)
				if err != nil {
					return fmt.Errorf("encode report of team %s for %s: %w", t.Team, t.Period.Kind, err)
				}
				vals[i] = b
			}
			_, err := s.rdb.Pipelined(gctx, func(p redis.Pipeliner) error {
				p.SAdd(gctx, teamKeys, members...)
				p.SAdd(gctx, s.versionKey(v, "teams"), teams...)
				for i := range batch {
					p.Set(gctx, s.versionKey(v, "team", members[i].(string)), vals[i], 0)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("write team reports: %w", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	err := s.rdb.HSet(ctx, s.versionKey(v, "meta"),
		"as_of", snap.AsOf.Format(time.RFC3339Nano),
		"published_at", s.opts.Now().Format(time.RFC3339Nano),
		"reps", len(snap.Reps),
		"teams", len(snap.Teams),
		"complete", 1,
	).Err()
	if err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	return nil
}

// abandonAfter is how long after it started an unfinished snapshot or
// dataset write is taken for dead.
const abandonAfter = time.Hour

// finished reports whether a version or generation with meta hash meta can
// be forgotten once its keys are set to expire: it was written completely,
// or it never got far enough to write anything, or its writer is taken for
// dead. An unfinished one may still be written to by a (doomed) concurrent
// writer; it stays registered, and each clean-up expires the keys it added.
func (s *Store) finished(meta map[string]string) bool {
	if len(meta) == 0 || meta["complete"] == "1" {
		return true
	}
	started, err := time.Parse(time.RFC3339Nano, meta["started_at"])
	return err != nil || s.opts.Now().Sub(started) > abandonAfter
}

// retireVersion gives every key of version v a TTL of Options.Grace and,
// once v is finished (or own: the caller wrote v and stopped), its index
// too, and drops v from the registry.
func (s *Store) retireVersion(ctx context.Context, v int64, own bool) error {
	meta, err := s.rdb.HGetAll(ctx, s.versionKey(v, "meta")).Result()
	if err != nil {
		return fmt.Errorf("read meta: %w", err)
	}
	for _, idx := range []struct{ set, kind string }{{"repkeys", "rep"}, {"teamkeys", "team"}} {
		it := s.rdb.SScan(ctx, s.versionKey(v, idx.set), 0, "", pipelineCommands).Iterator()
		var keys []string
		flush := func() error {
			if len(keys) == 0 {
				return nil
			}
			_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys {
					p.PExpire(ctx, k, s.opts.Grace)
				}
				return nil
			})
			keys = keys[:0]
			return err
		}
		for it.Next(ctx) {
			keys = append(keys, s.versionKey(v, idx.kind, it.Val()))
			if len(keys) == pipelineCommands {
				if err := flush(); err != nil {
					return fmt.Errorf("expire %s keys: %w", idx.kind, err)
				}
			}
		}
		if err := it.Err(); err != nil {
			return fmt.Errorf("scan %s: %w", idx.set, err)
		}
		if err := flush(); err != nil {
			return fmt.Errorf("expire %s keys: %w", idx.kind, err)
		}
	}
	if !own && !s.finished(meta) {
		return nil
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range []string{"meta", "repkeys", "teamkeys", "teams", "reps"} {
			p.PExpire(ctx, s.versionKey(v, k), s.opts.Grace)
		}
		p.ZRem(ctx, s.snapKey("versions"), v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("expire index: %w", err)
	}
	return nil
}

// read runs readScript for the current version and the keys
// <kind>:<period>:<name> of names. It returns insights.ErrNoData if nothing
// is published; a missing key comes back as nil.
func (s *Store) read(ctx context.Context, kind string, period insights.PeriodKind, names []string) (int64, []*string, error) {
	args := make([]any, 0, 2+len(names))
	args = append(args, s.versionBase(), ":"+kind+":"+string(period)+":")
	for _, n := range names {
		args = append(args, n)
	}
	res, err := readScript.Run(ctx, s.rdb, []string{s.snapKey("current")}, args...).Slice()
	if err != nil {
		return 0, nil, err
	}
	v, vals, err := versioned(res)
	if err != nil {
		return 0, nil, err
	}
	if v == 0 {
		return 0, nil, insights.ErrNoData
	}
	if len(vals) != len(names) {
		return 0, nil, fmt.Errorf("read script returned %d values for %d keys", len(vals), len(names))
	}
	out := make([]*string, len(vals))
	for i, x := range vals {
		if x != "" {
			out[i] = &vals[i]
		}
	}
	return v, out, nil
}

// versioned splits a script reply {version, string...}.
func versioned(res []any) (int64, []string, error) {
	if len(res) == 0 {
		return 0, nil, fmt.Errorf("empty script reply")
	}
	v, ok := res[0].(int64)
	if !ok {
		return 0, nil, fmt.Errorf("script reply starts with %T, not a version", res[0])
	}
	vals := make([]string, len(res)-1)
	for i, x := range res[1:] {
		s, ok := x.(string)
		if !ok {
			return 0, nil, fmt.Errorf("script reply item %d is %T, not a string", i+1, x)
		}
		vals[i] = s
	}
	return v, vals, nil
}

// RepReport returns rep's report for period kind from the current snapshot,
// in one round trip to Redis. It returns insights.ErrNoData if no snapshot
// was ever published and insights.ErrUnknownRep if the current one has no
// report for that rep and period.
func (s *Store) RepReport(ctx context.Context, rep insights.RepID, kind insights.PeriodKind) (insights.RepReport, error) {
	_, vals, err := s.read(ctx, "rep", kind, []string{string(rep)})
	if err != nil {
		return insights.RepReport{}, fmt.Errorf("read %s report of rep %s: %w", kind, rep, err)
	}
	if vals[0] == nil {
		return insights.RepReport{}, fmt.Errorf("read %s report of rep %s: %w", kind, rep, insights.ErrUnknownRep)
	}
	var r insights.RepReport
	if err := json.Unmarshal([]byte(*vals[0]), &r); err != nil {
		return insights.RepReport{}, fmt.Errorf("decode %s report of rep %s: %w", kind, rep, err)
	}
	return r, nil
}

// RepReports returns the reports of reps for period kind, in order, all from
// the same snapshot version, in one round trip. It returns
// insights.ErrNoData if no snapshot was ever published and an error wrapping
// insights.ErrUnknownRep (naming the rep) if any of them has no report.
func (s *Store) RepReports(ctx context.Context, kind insights.PeriodKind, reps []insights.RepID) ([]insights.RepReport, error) {
	names := make([]string, len(reps))
	for i, r := range reps {
		names[i] = string(r)
	}
	_, vals, err := s.read(ctx, "rep", kind, names)
	if err != nil {
		return nil, fmt.Errorf("read %d %s rep reports: %w", len(reps), kind, err)
	}
	out := make([]insights.RepReport, len(reps))
	for i, v := range vals {
		if v == nil {
			return nil, fmt.Errorf("read %s report of rep %s: %w", kind, reps[i], insights.ErrUnknownRep)
		}
		if err := json.Unmarshal([]byte(*v), &out[i]); err != nil {
			return nil, fmt.Errorf("decode %s report of rep %s: %w", kind, reps[i], err)
		}
	}
	return out, nil
}

// TeamReport returns team's report for period kind from the current
// snapshot, in one round trip. team is a team key such as insights.TeamAll
// or insights.ManagerTeam(name). It returns insights.ErrNoData if no
// snapshot was ever published and insights.ErrUnknownTeam if the current one
// has no report for that team and period.
func (s *Store) TeamReport(ctx context.Context, team string, kind insights.PeriodKind) (insights.TeamReport, error) {
	_, vals, err := s.read(ctx, "team", kind, []string{team})
	if err != nil {
		return insights.TeamReport{}, fmt.Errorf("read %s report of team %s: %w", kind, team, err)
	}
	if vals[0] == nil {
		return insights.TeamReport{}, fmt.Errorf("read %s report of team %s: %w", kind, team, insights.ErrUnknownTeam)
	}
	var t insights.TeamReport
	if err := json.Unmarshal([]byte(*vals[0]), &t); err != nil {
		return insights.TeamReport{}, fmt.Errorf("decode %s report of team %s: %w", kind, team, err)
	}
	return t, nil
}

// members returns the sorted members of the current version's index set.
func (s *Store) members(ctx context.Context, set string) ([]string, error) {
	res, err := membersScript.Run(ctx, s.rdb, []string{s.snapKey("current")}, s.versionBase(), ":"+set).Slice()
	if err != nil {
		return nil, err
	}
	v, vals, err := versioned(res)
	if err != nil {
		return nil, err
	}
	if v == 0 {
		return nil, insights.ErrNoData
	}
	slices.Sort(vals)
	return vals, nil
}

// Teams returns the sorted keys of the teams in the current snapshot (every
// team with a report for at least one period). It returns insights.ErrNoData
// if no snapshot was ever published.
func (s *Store) Teams(ctx context.Context) ([]string, error) {
	teams, err := s.members(ctx, "teams")
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return teams, nil
}

// Reps returns the sorted IDs of the reps in the current snapshot (every rep
// with a report for at least one period). It returns insights.ErrNoData if
// no snapshot was ever published.
func (s *Store) Reps(ctx context.Context) ([]insights.RepID, error) {
	names, err := s.members(ctx, "reps")
	if err != nil {
		return nil, fmt.Errorf("list reps: %w", err)
	}
	reps := make([]insights.RepID, len(names))
	for i, n := range names {
		reps[i] = insights.RepID(n)
	}
	return reps, nil
}

// Current returns the current snapshot version and the AsOf it was computed
// for. It returns insights.ErrNoData if no snapshot was ever published.
func (s *Store) Current(ctx context.Context) (version int64, asOf time.Time, err error) {
	res, err := currentScript.Run(ctx, s.rdb, []string{s.snapKey("current")}, s.versionBase(), ":meta", "as_of").Slice()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read current snapshot: %w", err)
	}
	v, vals, err := versioned(res)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read current snapshot: %w", err)
	}
	if v == 0 {
		return 0, time.Time{}, fmt.Errorf("read current snapshot: %w", insights.ErrNoData)
	}
	if len(vals) != 1 || vals[0] == "" {
		return 0, time.Time{}, fmt.Errorf("read current snapshot: version %d has no as_of", v)
	}
	asOf, err = time.Parse(time.RFC3339Nano, vals[0])
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read current snapshot version %d: bad as_of: %w", v, err)
	}
	return v, asOf, nil
}
