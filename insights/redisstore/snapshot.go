package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// versionKey names a key of version v's index: P{snap}:v:N:parts..., all in
// the {snap} slot with P{snap}:current.
func (s *Store) versionKey(v int64, parts ...string) string {
	return s.snapKey(append([]string{"v", strconv.FormatInt(v, 10)}, parts...)...)
}

// reportKey names the key holding a report written by version w, field
// being "rep:<period>:<rep>" or "team:<period>:<team>": Psnap:w:field. It
// has no hash tag, so the reports spread over every slot (and every master
// of a Redis Cluster). A report key is written once and never changed;
// later versions whose report is the same refer to it instead of writing
// their own.
func (s *Store) reportKey(w int64, field string) string {
	return s.p + "snap:" + strconv.FormatInt(w, 10) + ":" + field
}

func reportField(kind string, period insights.PeriodKind, name string) string {
	return kind + ":" + string(period) + ":" + name
}

// ref is a version index entry: the version that wrote a report, the
// fingerprint of its JSON and the report's as-of time,
// "w:fingerprint@as-of" (RFC 3339). The as-of time is kept in the entry,
// not in the report's JSON, because it moves with every publish while the
// figures mostly do not: a report whose figures are unchanged is shared
// with the version that wrote it, and each version's index gives it that
// version's as-of time. An entry without "@" (written before as-of times
// moved into the index) leaves the report's own.
type ref struct {
	w    int64
	fp   string
	asOf time.Time
}

func parseRef(s string) (ref, bool) {
	var r ref
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		if err := r.asOf.UnmarshalText([]byte(s[i+1:])); err != nil {
			return ref{}, false
		}
		s = s[:i]
	}
	w, fp, ok := strings.Cut(s, ":")
	if !ok {
		return ref{}, false
	}
	n, err := strconv.ParseInt(w, 10, 64)
	r.w, r.fp = n, fp
	return r, err == nil && n > 0
}

func (r ref) String() string {
	s := strconv.FormatInt(r.w, 10) + ":" + r.fp
	if r.asOf.IsZero() {
		return s
	}
	t, _ := r.asOf.MarshalText()
	return s + "@" + string(t)
}

// fingerprint identifies a report's JSON: the first 128 bits of its
// SHA-256 (hardware-accelerated, so about ten times faster than FNV here).
func fingerprint(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// Published says what a publish wrote.
type Published struct {
	// Version is the version made current.
	Version int64
	// Base is the version it replaced (0 if none); Written counts the
	// reports written anew, Kept those that were the same as in Base and
	// are shared with it, Dropped those of Base it no longer has.
	Base                   int64
	Written, Kept, Dropped int
}

// PublishSnapshot stores every report of snap as a new version N and makes
// it current; it is Publish returning only the version.
func (s *Store) PublishSnapshot(ctx context.Context, snap insights.Snapshot) (version int64, err error) {
	p, err := s.Publish(ctx, snap)
	return p.Version, err
}

// Publish stores every report of snap as a new version N and makes it
// current. N holds exactly snap's reports, but it writes only those that
// differ from the current version's (compared by a fingerprint of their
// JSON): the others are shared with it, so a sync that changed a few
// reports writes a few keys. N's index (one hash in the {snap} slot)
// names, for each report, the key of the version that wrote it; report keys
// carry no hash tag, so a Redis Cluster spreads them over its masters.
// Reports are written in pipelined batches of at most 1,000 commands, then
// N's index and meta, and a Lua script makes N current only if the version
// it was compared with is still current. Readers see the previous version
// until that moment and N from then on, never a mix: the previous version's
// keys are untouched until the flip. The versions N supersedes stay
// readable for Options.Grace and then expire (their reports N does not
// share); so do versions left behind by a publisher that crashed.
//
// Duplicate reports (same rep or team and period) collapse: the last wins.
// Every RepReport needs a Rep.ID and Period.Kind, every TeamReport a Team
// and Period.Kind. If another publisher made another version current
// first, Publish discards its own and returns an error wrapping
// ErrSuperseded. If N became current but retiring older versions failed,
// it returns N with an error; the clean-up is retried at the next publish.
func (s *Store) Publish(ctx context.Context, snap insights.Snapshot) (Published, error) {
	var out Published
	for i, r := range snap.Reps {
		if r.Rep.ID == "" || !validKind(r.Period.Kind) {
			return out, fmt.Errorf("publish snapshot: rep report %d has no rep ID or a bad period kind %q", i, r.Period.Kind)
		}
	}
	for i, t := range snap.Teams {
		if t.Team == "" || !validKind(t.Period.Kind) {
			return out, fmt.Errorf("publish snapshot: team report %d has no team or a bad period kind %q", i, t.Period.Kind)
		}
	}
	snap.Reps = lastOf(snap.Reps, func(r *insights.RepReport) string { return string(r.Period.Kind) + ":" + string(r.Rep.ID) })
	snap.Teams = lastOf(snap.Teams, func(t *insights.TeamReport) string { return string(t.Period.Kind) + ":" + t.Team })

	base, baseIdx, err := s.currentIndex(ctx)
	if err != nil {
		return out, fmt.Errorf("publish snapshot: read current index: %w", err)
	}
	out.Base = base
	v, err := s.rdb.Incr(ctx, s.snapKey("seq")).Result()
	if err != nil {
		return out, fmt.Errorf("publish snapshot: allocate version: %w", err)
	}
	// Register before writing anything, so an interrupted publish is found
	// and removed by the next one.
	if err := s.rdb.ZAdd(ctx, s.snapKey("versions"), redis.Z{Score: float64(v), Member: v}).Err(); err != nil {
		return out, fmt.Errorf("publish snapshot version %d: register: %w", v, err)
	}
	idx, written, kept, shared, err := s.writeSnapshot(ctx, v, snap, baseIdx)
	if err != nil {
		return out, fmt.Errorf("publish snapshot version %d: %w", v, err)
	}
	cur, err := flipFromScript.Run(ctx, s.rdb, []string{s.snapKey("current")}, v, base).Int64()
	if err != nil {
		return out, fmt.Errorf("publish snapshot version %d: make current: %w", v, err)
	}
	if cur != v {
		if rerr := s.retireVersion(ctx, v, cur, true); rerr != nil {
			return out, fmt.Errorf("publish snapshot version %d: %w (version %d is current); discard: %v", v, ErrSuperseded, cur, rerr)
		}
		return out, fmt.Errorf("publish snapshot version %d: %w (version %d is current)", v, ErrSuperseded, cur)
	}
	s.seen.Store(v)
	out.Version, out.Written, out.Kept, out.Dropped = v, written, kept, len(baseIdx)-shared
	old, err := s.rdb.ZRangeByScore(ctx, s.snapKey("versions"), &redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(v, 10)}).Result()
	if err != nil {
		return out, fmt.Errorf("published snapshot version %d; list older versions: %w", v, err)
	}
	for _, o := range old {
		ov, err := strconv.ParseInt(o, 10, 64)
		if err != nil {
			return out, fmt.Errorf("published snapshot version %d; bad registered version %q", v, o)
		}
		retire := func() error { return s.retireVersion(ctx, ov, v, false) }
		if ov == base {
			retire = func() error { return s.retireSuperseded(ctx, ov, baseIdx, idx) }
		}
		if err := retire(); err != nil {
			return out, fmt.Errorf("published snapshot version %d; retire version %d: %w", v, ov, err)
		}
	}
	return out, nil
}

// currentIndex returns the current version and its index (field -> ref);
// 0 and nil if nothing is published.
func (s *Store) currentIndex(ctx context.Context) (int64, map[string]ref, error) {
	for attempt := 0; ; attempt++ {
		cur, err := s.rdb.Get(ctx, s.snapKey("current")).Int64()
		if errors.Is(err, redis.Nil) {
			return 0, nil, nil
		}
		if err != nil {
			return 0, nil, err
		}
		raw, err := s.rdb.HGetAll(ctx, s.versionKey(cur, "idx")).Result()
		if err != nil {
			return 0, nil, err
		}
		if len(raw) == 0 && attempt < 2 {
			continue // flipped and expired under us; or an empty version
		}
		idx := make(map[string]ref, len(raw))
		for f, x := range raw {
			r, ok := parseRef(x)
			if !ok {
				return 0, nil, fmt.Errorf("version %d: bad index entry %q = %q", cur, f, x)
			}
			idx[f] = r
		}
		return cur, idx, nil
	}
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

// item is one report to publish.
type item struct {
	field, name string
	team        bool
}

// writeSnapshot writes version v: its meta started_at first (so an
// interrupted write can be cleaned up), then, batch by batch, the index
// entries of the reports the batch writes (before the keys, so no written
// key is ever missing from an index) and the reports that differ from base
// (whose index, field -> ref, may be nil), then the rest of the index, the
// rep and team sets and meta complete=1. It returns v's index, how many
// reports it wrote, how many it shares with base and how many of base's it
// replaces or shares (the rest it drops).
func (s *Store) writeSnapshot(ctx context.Context, v int64, snap insights.Snapshot, base map[string]ref) (idx map[string]ref, written, kept, inBase int, err error) {
	idxKey := s.versionKey(v, "idx")
	if err := s.rdb.HSet(ctx, s.versionKey(v, "meta"), "started_at", s.opts.Now().Format(time.RFC3339Nano)).Err(); err != nil {
		return nil, 0, 0, 0, fmt.Errorf("write meta: %w", err)
	}
	items := make([]item, 0, len(snap.Reps)+len(snap.Teams))
	for i := range snap.Reps {
		r := &snap.Reps[i]
		items = append(items, item{field: reportField("rep", r.Period.Kind, string(r.Rep.ID)), name: string(r.Rep.ID)})
	}
	for i := range snap.Teams {
		t := &snap.Teams[i]
		items = append(items, item{field: reportField("team", t.Period.Kind, t.Team), name: t.Team, team: true})
	}
	// Chunk by chunk, a few at a time: encode, compare with base, write
	// what differs. Only the chunks in flight are held encoded.
	refs := make([]ref, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pipelinesInFlight)
	for lo := 0; lo < len(items); lo += pipelineCommands {
		hi := min(lo+pipelineCommands, len(items))
		g.Go(func() error {
			var batch []int
			var vals [][]byte
			for i := lo; i < hi; i++ {
				b, asOf, err := encodeReport(&snap, i)
				if err != nil {
					return fmt.Errorf("encode report %s: %w", items[i].field, err)
				}
				fp := fingerprint(b)
				if old, ok := base[items[i].field]; ok && old.fp == fp {
					refs[i] = ref{w: old.w, fp: fp, asOf: asOf}
					continue
				}
				refs[i] = ref{w: v, fp: fp, asOf: asOf}
				batch, vals = append(batch, i), append(vals, b)
			}
			if len(batch) == 0 {
				return nil
			}
			args := make([]any, 0, 2*len(batch))
			for _, i := range batch {
				args = append(args, items[i].field, refs[i].String())
			}
			if err := s.rdb.HSet(gctx, idxKey, args...).Err(); err != nil {
				return fmt.Errorf("write index: %w", err)
			}
			_, err := s.rdb.Pipelined(gctx, func(p redis.Pipeliner) error {
				for k, i := range batch {
					p.Set(gctx, s.reportKey(v, items[i].field), vals[k], 0)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("write reports: %w", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, 0, 0, err
	}
	idx = make(map[string]ref, len(items))
	for i := range items {
		idx[items[i].field] = refs[i]
		if _, ok := base[items[i].field]; ok {
			inBase++
		}
		if refs[i].w == v {
			written++
		} else {
			kept++
		}
	}

	// The shared entries and the sets: keys of the {snap} slot only.
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		args := make([]any, 0, 2*pipelineCommands)
		var reps, teams []any
		send := func(final bool) {
			if len(args) > 0 && (final || len(args) >= 2*pipelineCommands) {
				p.HSet(ctx, idxKey, args...)
				args = args[:0:0]
			}
			if len(reps) > 0 && (final || len(reps) >= pipelineCommands) {
				p.SAdd(ctx, s.versionKey(v, "reps"), reps...)
				reps = nil
			}
			if len(teams) > 0 && (final || len(teams) >= pipelineCommands) {
				p.SAdd(ctx, s.versionKey(v, "teams"), teams...)
				teams = nil
			}
		}
		for i := range items {
			if refs[i].w != v {
				args = append(args, items[i].field, refs[i].String())
			}
			if items[i].team {
				teams = append(teams, items[i].name)
			} else {
				reps = append(reps, items[i].name)
			}
			send(false)
		}
		send(true)
		p.HSet(ctx, s.versionKey(v, "meta"),
			"as_of", snap.AsOf.Format(time.RFC3339Nano),
			"published_at", s.opts.Now().Format(time.RFC3339Nano),
			"reps", len(snap.Reps),
			"teams", len(snap.Teams),
			"written", written,
			"complete", 1,
		)
		return nil
	})
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("write index and meta: %w", err)
	}
	return idx, written, kept, inBase, nil
}

// encodeReport returns the JSON of snap's report i (the reps', then the
// teams') without its as-of time, and that time, which goes in the index
// entry (see ref).
func encodeReport(snap *insights.Snapshot, i int) ([]byte, time.Time, error) {
	if i < len(snap.Reps) {
		r := snap.Reps[i]
		asOf := r.AsOf
		r.AsOf = time.Time{}
		b, err := json.Marshal(&r)
		return b, asOf, err
	}
	t := snap.Teams[i-len(snap.Reps)]
	asOf := t.AsOf
	t.AsOf = time.Time{}
	b, err := json.Marshal(&t)
	return b, asOf, err
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

// retireVersion gives a TTL of Options.Grace to every report key version
// v's index names that version keep (the current one) does not share, and,
// once v is finished (or own: the caller wrote v and stopped), to v's index
// too, and drops v from the registry.
func (s *Store) retireVersion(ctx context.Context, v, keep int64, own bool) error {
	meta, err := s.rdb.HGetAll(ctx, s.versionKey(v, "meta")).Result()
	if err != nil {
		return fmt.Errorf("read meta: %w", err)
	}
	keepIdx := s.versionKey(keep, "idx")
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, s.versionKey(v, "idx"), cursor, "", pipelineCommands).Result()
		if err != nil {
			return fmt.Errorf("scan index: %w", err)
		}
		fields := make([]string, 0, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			fields = append(fields, kv[i])
		}
		var kept []any
		if len(fields) > 0 && keep != v {
			if kept, err = s.rdb.HMGet(ctx, keepIdx, fields...).Result(); err != nil {
				return fmt.Errorf("read index of version %d: %w", keep, err)
			}
		}
		var expire []string
		for i, f := range fields {
			r, ok := parseRef(kv[2*i+1])
			if !ok {
				continue
			}
			if kept != nil {
				if k, _ := kept[i].(string); k != "" {
					if kr, ok := parseRef(k); ok && kr.w == r.w {
						continue // shared with the version kept
					}
				}
			}
			expire = append(expire, s.reportKey(r.w, f))
		}
		if err := s.expireKeys(ctx, expire); err != nil {
			return err
		}
		cursor = next
		if cursor == 0 {
			break
		}
	}
	if !own && !s.finished(meta) {
		return nil
	}
	return s.expireVersion(ctx, v)
}

// retireSuperseded is retireVersion for the version v a publish replaced,
// whose index idx it read, keeping the version it published, whose index
// is keep: it needs no reads.
func (s *Store) retireSuperseded(ctx context.Context, v int64, idx, keep map[string]ref) error {
	var expire []string
	for f, r := range idx {
		if k, ok := keep[f]; ok && k.w == r.w {
			continue // shared with the version kept
		}
		expire = append(expire, s.reportKey(r.w, f))
	}
	if err := s.expireKeys(ctx, expire); err != nil {
		return err
	}
	return s.expireVersion(ctx, v)
}

// expireKeys gives keys a TTL of Options.Grace, pipelined.
func (s *Store) expireKeys(ctx context.Context, keys []string) error {
	for lo := 0; lo < len(keys); lo += pipelineCommands {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys[lo:min(lo+pipelineCommands, len(keys))] {
				p.PExpire(ctx, k, s.opts.Grace)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("expire reports: %w", err)
		}
	}
	return nil
}

// expireVersion gives version v's own keys a TTL of Options.Grace and
// drops v from the registry.
func (s *Store) expireVersion(ctx context.Context, v int64) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range []string{"meta", "idx", "teams", "reps"} {
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

// Reading a report takes two round trips: indexScript reads the current
// version and, in the same step, the index entries of the version this
// Store last saw current (the keys are P{snap}:current and that version's
// index, both in KEYS and in one slot); if another version is current by
// then it says so and the read starts again with it. Then the report keys
// the entries name are read with GET: they never change, and a version
// superseded during the read stays for Options.Grace, so every report read
// comes from the one version the index was read from.
//
// lookup returns the current version, the report keys of fields in it (""
// where it has none) and their as-of times, or insights.ErrNoData if
// nothing is published.
func (s *Store) lookup(ctx context.Context, fields []string) (int64, []string, []time.Time, error) {
	args := make([]any, len(fields))
	for i, f := range fields {
		args[i] = f
	}
	cur, vals, err := s.current(ctx, indexScript, "idx", args...)
	if err != nil {
		return 0, nil, nil, err
	}
	if len(vals) != len(fields) {
		return 0, nil, nil, fmt.Errorf("version %d: the index gave %d entries for %d reports", cur, len(vals), len(fields))
	}
	keys := make([]string, len(vals))
	asOf := make([]time.Time, len(vals))
	for i, x := range vals {
		if x == "" {
			continue
		}
		r, ok := parseRef(x)
		if !ok {
			return 0, nil, nil, fmt.Errorf("version %d: bad index entry %q", cur, x)
		}
		keys[i], asOf[i] = s.reportKey(r.w, fields[i]), r.asOf
	}
	return cur, keys, asOf, nil
}

// stored is a report as read: its JSON ("" when the version has none) and
// its as-of time from the index (zero when the JSON holds it).
type stored struct {
	json string
	asOf time.Time
}

// read returns the reports of fields from one version. It returns
// insights.ErrNoData if nothing is published.
func (s *Store) read(ctx context.Context, fields []string) ([]stored, error) {
	for attempt := 0; ; attempt++ {
		v, keys, asOf, err := s.lookup(ctx, fields)
		if err != nil {
			return nil, err
		}
		out := make([]stored, len(keys))
		for i := range out {
			out[i].asOf = asOf[i]
		}
		var missing bool
		if len(keys) == 1 {
			if keys[0] != "" {
				out[0].json, err = s.rdb.Get(ctx, keys[0]).Result()
				missing = errors.Is(err, redis.Nil)
				if missing {
					err = nil
				}
			}
		} else {
			cmds, perr := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys {
					if k != "" {
						p.Get(ctx, k)
					}
				}
				return nil
			})
			if perr != nil && !errors.Is(perr, redis.Nil) {
				err = perr
			}
			j := 0
			for i, k := range keys {
				if k == "" {
					continue
				}
				x, gerr := cmds[j].(*redis.StringCmd).Result()
				j++
				if errors.Is(gerr, redis.Nil) {
					missing = true
				}
				out[i].json = x
			}
		}
		if err != nil {
			return nil, err
		}
		if !missing {
			return out, nil
		}
		// The version expired under a very slow reader: read the current one.
		if attempt == 2 {
			return nil, fmt.Errorf("reports of snapshot version %d expired while being read", v)
		}
		s.seen.CompareAndSwap(v, 0)
	}
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
// in two round trips to Redis. It returns insights.ErrNoData if no snapshot
// was ever published and insights.ErrUnknownRep if the current one has no
// report for that rep and period.
func (s *Store) RepReport(ctx context.Context, rep insights.RepID, kind insights.PeriodKind) (insights.RepReport, error) {
	vals, err := s.read(ctx, []string{reportField("rep", kind, string(rep))})
	if err != nil {
		return insights.RepReport{}, fmt.Errorf("read %s report of rep %s: %w", kind, rep, err)
	}
	if vals[0].json == "" {
		return insights.RepReport{}, fmt.Errorf("read %s report of rep %s: %w", kind, rep, insights.ErrUnknownRep)
	}
	var r insights.RepReport
	if err := decodeReport(vals[0], &r, &r.AsOf); err != nil {
		return insights.RepReport{}, fmt.Errorf("decode %s report of rep %s: %w", kind, rep, err)
	}
	return r, nil
}

// RepReports returns the reports of reps for period kind, in order, all from
// the same snapshot version, in two round trips. It returns
// insights.ErrNoData if no snapshot was ever published and an error wrapping
// insights.ErrUnknownRep (naming the rep) if any of them has no report.
func (s *Store) RepReports(ctx context.Context, kind insights.PeriodKind, reps []insights.RepID) ([]insights.RepReport, error) {
	fields := make([]string, len(reps))
	for i, r := range reps {
		fields[i] = reportField("rep", kind, string(r))
	}
	vals, err := s.read(ctx, fields)
	if err != nil {
		return nil, fmt.Errorf("read %d %s rep reports: %w", len(reps), kind, err)
	}
	out := make([]insights.RepReport, len(reps))
	for i, v := range vals {
		if v.json == "" {
			return nil, fmt.Errorf("read %s report of rep %s: %w", kind, reps[i], insights.ErrUnknownRep)
		}
		if err := decodeReport(v, &out[i], &out[i].AsOf); err != nil {
			return nil, fmt.Errorf("decode %s report of rep %s: %w", kind, reps[i], err)
		}
	}
	return out, nil
}

// TeamReport returns team's report for period kind from the current
// snapshot, in two round trips. team is a team key such as insights.TeamAll
// or insights.ManagerTeam(name). It returns insights.ErrNoData if no
// snapshot was ever published and insights.ErrUnknownTeam if the current one
// has no report for that team and period.
func (s *Store) TeamReport(ctx context.Context, team string, kind insights.PeriodKind) (insights.TeamReport, error) {
	vals, err := s.read(ctx, []string{reportField("team", kind, team)})
	if err != nil {
		return insights.TeamReport{}, fmt.Errorf("read %s report of team %s: %w", kind, team, err)
	}
	if vals[0].json == "" {
		return insights.TeamReport{}, fmt.Errorf("read %s report of team %s: %w", kind, team, insights.ErrUnknownTeam)
	}
	var t insights.TeamReport
	if err := decodeReport(vals[0], &t, &t.AsOf); err != nil {
		return insights.TeamReport{}, fmt.Errorf("decode %s report of team %s: %w", kind, team, err)
	}
	return t, nil
}

// decodeReport decodes r's JSON into report and sets its as-of time, at
// asOf, from the index entry when the entry has one.
func decodeReport(r stored, report any, asOf *time.Time) error {
	if err := json.Unmarshal([]byte(r.json), report); err != nil {
		return err
	}
	if !r.asOf.IsZero() {
		*asOf = r.asOf
	}
	return nil
}

// current runs a script over P{snap}:current and the key part... of the
// version this Store last saw current, starting again when another is
// current: it returns the version and the script's values.
func (s *Store) current(ctx context.Context, sc *redis.Script, part string, args ...any) (int64, []string, error) {
	for attempt := 0; attempt < 5; attempt++ {
		v := s.seen.Load()
		res, err := sc.Run(ctx, s.rdb, []string{s.snapKey("current"), s.versionKey(v, part)}, append([]any{v}, args...)...).Slice()
		if err != nil {
			return 0, nil, err
		}
		cur, vals, err := versioned(res)
		if err != nil {
			return 0, nil, err
		}
		if cur == 0 {
			return 0, nil, insights.ErrNoData
		}
		if cur == v {
			return cur, vals, nil
		}
		s.seen.CompareAndSwap(v, cur)
	}
	return 0, nil, fmt.Errorf("the current snapshot version kept changing")
}

// members returns the sorted members of the current version's set.
func (s *Store) members(ctx context.Context, set string) ([]string, error) {
	_, vals, err := s.current(ctx, membersScript, set)
	if err != nil {
		return nil, err
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
	v, vals, err := s.current(ctx, currentScript, "meta", "as_of")
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read current snapshot: %w", err)
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

// The snapshot scripts. Each touches only the keys in KEYS, all in the
// {snap} slot: P{snap}:current and a key of the version the caller last saw
// current (ARGV[1]). Each returns {0} if nothing is current, {version} if a
// version other than ARGV[1] is current (the caller asks again with it),
// else {version, value...}.
var (
	// indexScript returns the index entries (KEYS[2]) of fields ARGV[2..].
	indexScript = newScript("indexScript", `
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
if v ~= ARGV[1] then return {tonumber(v)} end
local out = {tonumber(v)}
for i = 2, #ARGV do
  local x = redis.call('HGET', KEYS[2], ARGV[i])
  if not x then x = '' end
  out[#out + 1] = x
end
return out
`)

	// membersScript returns the members of set KEYS[2].
	membersScript = newScript("membersScript", `
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
if v ~= ARGV[1] then return {tonumber(v)} end
local out = redis.call('SMEMBERS', KEYS[2])
table.insert(out, 1, tonumber(v))
return out
`)

	// currentScript returns the field ARGV[2] of hash KEYS[2].
	currentScript = newScript("currentScript", `
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
if v ~= ARGV[1] then return {tonumber(v)} end
local x = redis.call('HGET', KEYS[2], ARGV[2])
if not x then x = '' end
return {tonumber(v), x}
`)

	// flipFromScript sets KEYS[1] to ARGV[1] if it holds ARGV[2] (absent
	// counts as 0) and ARGV[1] is greater, and returns the value KEYS[1]
	// holds afterwards.
	flipFromScript = newScript("flipFromScript", `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur ~= tonumber(ARGV[2]) or cur >= tonumber(ARGV[1]) then return cur end
redis.call('SET', KEYS[1], ARGV[1])
return tonumber(ARGV[1])
`)
)
