package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/repcoach/repcoach/insights"
)

const (
	// bucketFields is the target number of records per bucket hash.
	bucketFields = 4096
	// hsetFields is the most records sent in one HSET command.
	hsetFields = 256
)

// The record kinds of a dataset, each stored in its own bucket hashes.
var recordKinds = []string{"reps", "deals", "activities", "quotas"}

var partOf = map[string]Parts{"reps": PartReps, "deals": PartDeals, "activities": PartActivities, "quotas": PartQuotas}

func (s *Store) dataKey(parts ...string) string { return s.key(append([]string{"data"}, parts...)...) }

func (s *Store) genKey(g int64, parts ...string) string {
	return s.dataKey(append([]string{"g", strconv.FormatInt(g, 10)}, parts...)...)
}

// SaveDataset replaces the stored CRM dataset with ds. Readers see the old
// dataset until the new one is completely written, then the new one: it is
// written as a new generation in pipelined batches and made current in one
// step. Records are keyed by ID (reps, deals, activities; quotas by rep and
// span; list prices by product), so duplicates collapse with the last one
// winning and saving the same dataset again stores the same data. A record
// with an empty ID is keyed by its position. The superseded generation stays
// readable for Options.Grace. If another SaveDataset made a newer generation
// current first, this one is discarded and the error wraps ErrSuperseded.
func (s *Store) SaveDataset(ctx context.Context, ds insights.Dataset) error {
	g, err := s.rdb.Incr(ctx, s.dataKey("seq")).Result()
	if err != nil {
		return fmt.Errorf("save dataset: allocate generation: %w", err)
	}
	if err := s.rdb.ZAdd(ctx, s.dataKey("gens"), redis.Z{Score: float64(g), Member: g}).Err(); err != nil {
		return fmt.Errorf("save dataset generation %d: register: %w", g, err)
	}
	if err := s.writeDataset(ctx, g, ds); err != nil {
		return fmt.Errorf("save dataset generation %d: %w", g, err)
	}
	cur, err := flipScript.Run(ctx, s.rdb, []string{s.dataKey("current")}, g).Int64()
	if err != nil {
		return fmt.Errorf("save dataset generation %d: make current: %w", g, err)
	}
	if cur != g {
		if rerr := s.retireGen(ctx, g, true); rerr != nil {
			return fmt.Errorf("save dataset generation %d: %w (generation %d is current); discard: %v", g, ErrSuperseded, cur, rerr)
		}
		return fmt.Errorf("save dataset generation %d: %w (generation %d is current)", g, ErrSuperseded, cur)
	}
	old, err := s.rdb.ZRangeByScore(ctx, s.dataKey("gens"), &redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(g, 10)}).Result()
	if err != nil {
		return fmt.Errorf("saved dataset generation %d; list older generations: %w", g, err)
	}
	for _, o := range old {
		og, err := strconv.ParseInt(o, 10, 64)
		if err != nil {
			return fmt.Errorf("saved dataset generation %d; bad registered generation %q", g, o)
		}
		if err := s.retireGen(ctx, og, false); err != nil {
			return fmt.Errorf("saved dataset generation %d; retire generation %d: %w", g, og, err)
		}
	}
	return nil
}

// layout plans how n records with IDs id(i) are stored: the index of the
// last record of each distinct ID (the last one wins), grouped by bucket.
func layout(n int, id func(i int) string) [][]int32 {
	last := make(map[string]int32, n)
	for i := range n {
		last[id(i)] = int32(i)
	}
	nb := bucketCount(len(last))
	buckets := make([][]int32, nb)
	for i := range n {
		k := id(i)
		if last[k] == int32(i) {
			b := bucketOf(k, nb)
			buckets[b] = append(buckets[b], int32(i))
		}
	}
	return buckets
}

// writeRecords stores items of one kind in generation g, a group of buckets
// per pipeline, encoding each group only when its pipeline is sent so that
// a large dataset is never held encoded in memory at once. It returns the
// number of distinct records and buckets for the generation's meta.
func writeRecords[T any](ctx context.Context, eg *errgroup.Group, s *Store, g int64, kind string, items []T, id func(i int, x *T) string) (records, buckets int) {
	plan := layout(len(items), func(i int) string { return id(i, &items[i]) })
	for lo := 0; lo < len(plan); {
		// A group of whole buckets, about 8 pipelines' worth of records.
		hi, n := lo, 0
		for hi < len(plan) && (n == 0 || n+len(plan[hi]) <= 8*pipelineCommands) {
			n += len(plan[hi])
			hi++
		}
		first, group := lo, plan[lo:hi]
		lo = hi
		records += n
		eg.Go(func() error {
			_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for bi, idx := range group {
					key := s.genKey(g, kind, strconv.Itoa(first+bi))
					for start := 0; start < len(idx); start += hsetFields {
						part := idx[start:min(start+hsetFields, len(idx))]
						args := make([]any, 0, 2*len(part))
						for _, i := range part {
							b, err := json.Marshal(&items[i])
							if err != nil {
								return fmt.Errorf("encode %s record %d: %w", kind, i, err)
							}
							args = append(args, id(int(i), &items[i]), b)
						}
						p.HSet(ctx, key, args...)
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("write %s: %w", kind, err)
			}
			return nil
		})
	}
	return records, len(plan)
}

func idOr(id string, i int) string {
	if id != "" {
		return id
	}
	return "#" + strconv.Itoa(i)
}

func quotaID(q *insights.Quota) string {
	return string(q.Rep) + "|" + q.Start.UTC().Format(time.RFC3339Nano) + "|" + q.End.UTC().Format(time.RFC3339Nano)
}

func bucketOf(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

func bucketCount(records int) int { return max(1, (records+bucketFields-1)/bucketFields) }

// writeDataset writes generation g: the meta hash first (so an interrupted
// write can be cleaned up), then the records, then the counts that make it
// complete.
func (s *Store) writeDataset(ctx context.Context, g int64, ds insights.Dataset) error {
	if err := s.rdb.HSet(ctx, s.genKey(g, "meta"), "started_at", s.opts.Now().Format(time.RFC3339Nano), "prices", len(ds.ListPrices)).Err(); err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(pipelinesInFlight)
	counts := map[string][2]int{}
	var n, b int
	n, b = writeRecords(ectx, eg, s, g, "reps", ds.Reps, func(i int, r *insights.Rep) string { return idOr(string(r.ID), i) })
	counts["reps"] = [2]int{n, b}
	n, b = writeRecords(ectx, eg, s, g, "deals", ds.Deals, func(i int, d *insights.Deal) string { return idOr(d.ID, i) })
	counts["deals"] = [2]int{n, b}
	n, b = writeRecords(ectx, eg, s, g, "activities", ds.Activities, func(i int, a *insights.Activity) string { return idOr(a.ID, i) })
	counts["activities"] = [2]int{n, b}
	n, b = writeRecords(ectx, eg, s, g, "quotas", ds.Quotas, func(_ int, q *insights.Quota) string { return quotaID(q) })
	counts["quotas"] = [2]int{n, b}
	if len(ds.ListPrices) > 0 {
		eg.Go(func() error {
			args := make([]any, 0, 2*len(ds.ListPrices))
			for p, v := range ds.ListPrices {
				args = append(args, p, strconv.FormatFloat(v, 'g', -1, 64))
			}
			if err := s.rdb.HSet(ectx, s.genKey(g, "prices"), args...).Err(); err != nil {
				return fmt.Errorf("write list prices: %w", err)
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	meta := []any{"complete", 1}
	for _, k := range recordKinds {
		meta = append(meta, k, counts[k][0], k+"_buckets", counts[k][1])
	}
	if err := s.rdb.HSet(ctx, s.genKey(g, "meta"), meta...).Err(); err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	return nil
}

// retireGen gives every key of generation g a TTL of Options.Grace and, once
// g is finished (or own: the caller wrote g and stopped), its meta too, and
// drops g from the registry.
func (s *Store) retireGen(ctx context.Context, g int64, own bool) error {
	meta, err := s.rdb.HGetAll(ctx, s.genKey(g, "meta")).Result()
	if err != nil {
		return fmt.Errorf("read meta: %w", err)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, kind := range recordKinds {
			n, _ := strconv.Atoi(meta[kind+"_buckets"])
			for b := range n {
				p.PExpire(ctx, s.genKey(g, kind, strconv.Itoa(b)), s.opts.Grace)
			}
		}
		p.PExpire(ctx, s.genKey(g, "prices"), s.opts.Grace)
		if own || s.finished(meta) {
			p.PExpire(ctx, s.genKey(g, "meta"), s.opts.Grace)
			p.ZRem(ctx, s.dataKey("gens"), g)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("expire keys: %w", err)
	}
	return nil
}

// Dataset returns the current CRM dataset, or insights.ErrNoData if none
// was ever saved. Reps and activities come back sorted by ID, deals by
// owner and ID (insights.SortDeals, the order Compute reads fastest),
// quotas by rep and start; duplicates by ID were collapsed when it was
// saved.
func (s *Store) Dataset(ctx context.Context) (insights.Dataset, error) {
	return s.DatasetParts(ctx, AllParts)
}

// Parts selects the parts of a dataset to read.
type Parts uint8

// The parts of a dataset.
const (
	PartReps Parts = 1 << iota
	PartDeals
	PartActivities
	PartQuotas
	PartPrices
	AllParts = PartReps | PartDeals | PartActivities | PartQuotas | PartPrices
)

// DatasetParts is Dataset reading only the parts asked for, so that a
// caller replacing the deals need not hold the old ones in memory. The
// other parts come back empty.
func (s *Store) DatasetParts(ctx context.Context, parts Parts) (insights.Dataset, error) {
	// A generation superseded while we read it stays for Options.Grace;
	// should we still lose the race, start over with the new one.
	for attempt := 0; ; attempt++ {
		ds, err := s.readDataset(ctx, parts)
		if !errors.Is(err, errGone) || attempt == 2 {
			return ds, err
		}
	}
}

// errGone means a dataset generation expired while being read.
var errGone = errors.New("generation expired while being read")

// currentDataGen returns the current dataset generation, or
// insights.ErrNoData if none was ever saved.
func (s *Store) currentDataGen(ctx context.Context) (int64, error) {
	g, err := s.DataGeneration(ctx)
	if err == nil && g == 0 {
		err = insights.ErrNoData
	}
	return g, err
}

func (s *Store) readDataset(ctx context.Context, parts Parts) (ds insights.Dataset, err error) {
	g, err := s.currentDataGen(ctx)
	if err != nil {
		return ds, fmt.Errorf("read dataset: %w", err)
	}
	meta, err := s.rdb.HGetAll(ctx, s.genKey(g, "meta")).Result()
	if err != nil {
		return ds, fmt.Errorf("read dataset generation %d: %w", g, err)
	}
	if len(meta) == 0 {
		return ds, fmt.Errorf("read dataset generation %d: %w", g, errGone)
	}
	count := func(kind string) (records, buckets int) {
		if parts&partOf[kind] == 0 {
			return 0, 0
		}
		records, _ = strconv.Atoi(meta[kind])
		buckets, _ = strconv.Atoi(meta[kind+"_buckets"])
		return records, buckets
	}
	n, b := count("reps")
	if ds.Reps, err = readRecords[insights.Rep](ctx, s, g, "reps", n, b); err != nil {
		return ds, fmt.Errorf("read dataset generation %d: %w", g, err)
	}
	n, b = count("deals")
	if ds.Deals, err = readRecords[insights.Deal](ctx, s, g, "deals", n, b); err != nil {
		return ds, fmt.Errorf("read dataset generation %d: %w", g, err)
	}
	n, b = count("activities")
	if ds.Activities, err = readRecords[insights.Activity](ctx, s, g, "activities", n, b); err != nil {
		return ds, fmt.Errorf("read dataset generation %d: %w", g, err)
	}
	n, b = count("quotas")
	if ds.Quotas, err = readRecords[insights.Quota](ctx, s, g, "quotas", n, b); err != nil {
		return ds, fmt.Errorf("read dataset generation %d: %w", g, err)
	}
	if parts&PartPrices == 0 {
		meta["prices"] = "0"
	}
	if meta["prices"] != "0" {
		prices, err := s.rdb.HGetAll(ctx, s.genKey(g, "prices")).Result()
		if err != nil {
			return ds, fmt.Errorf("read dataset generation %d: list prices: %w", g, err)
		}
		ds.ListPrices = make(map[string]float64, len(prices))
		for p, v := range prices {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return ds, fmt.Errorf("read dataset generation %d: list price of %q: %w", g, p, err)
			}
			ds.ListPrices[p] = f
		}
	}
	if len(ds.ListPrices) != atoi(meta["prices"]) {
		// The generation expired under us.
		return ds, fmt.Errorf("read dataset generation %d: list prices: %w", g, errGone)
	}
	slices.SortFunc(ds.Reps, func(a, b insights.Rep) int { return cmp.Compare(a.ID, b.ID) })
	insights.SortDeals(ds.Deals)
	slices.SortFunc(ds.Activities, func(a, b insights.Activity) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(ds.Quotas, func(a, b insights.Quota) int {
		return cmp.Or(cmp.Compare(a.Rep, b.Rep), a.Start.Compare(b.Start), a.End.Compare(b.End))
	})
	return ds, nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// readRecords reads and decodes the want records of kind in generation g
// from its buckets, a few buckets per round trip, decoding several groups
// of buckets at once.
func readRecords[T any](ctx context.Context, s *Store, g int64, kind string, want, buckets int) ([]T, error) {
	if want == 0 {
		return nil, nil
	}
	out := make([]T, 0, want)
	var mu sync.Mutex
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(pipelinesInFlight)
	const perTrip = 8
	for lo := 0; lo < buckets; lo += perTrip {
		eg.Go(func() error {
			vals, err := s.bucketValues(ectx, g, kind, lo, min(lo+perTrip, buckets))
			if err != nil {
				return fmt.Errorf("%s: %w", kind, err)
			}
			var part []T
			for bi, bucket := range vals {
				for _, v := range bucket {
					var x T
					if err := json.Unmarshal([]byte(v), &x); err != nil {
						return fmt.Errorf("decode %s of bucket %d: %w", kind, lo+bi, err)
					}
					part = append(part, x)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			out = append(out, part...)
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if len(out) != want {
		return nil, fmt.Errorf("%s: read %d records, want %d: %w", kind, len(out), want, errGone)
	}
	return out, nil
}

// bucketValues reads buckets [lo, hi) of kind in generation g in one
// pipeline: each bucket's values, the records' JSON (HVALS, not HGETALL:
// each record holds its own ID, and no map is built).
func (s *Store) bucketValues(ctx context.Context, g int64, kind string, lo, hi int) ([][]string, error) {
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b := lo; b < hi; b++ {
			p.HVals(ctx, s.genKey(g, kind, strconv.Itoa(b)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	vals := make([][]string, len(cmds))
	for i, c := range cmds {
		vals[i] = c.(*redis.StringSliceCmd).Val()
	}
	return vals, nil
}
