package importer

import (
	"maps"

	"github.com/repcoach/repcoach/insights"
)

// Merge returns base with add laid over it: deals and activities with the
// same ID are replaced by add's (keeping base's order, new ones appended),
// reps with the same ID take add's non-empty fields, quotas with the same
// rep, start and end take add's amount, and list prices are unioned with
// add's winning. Activities without an ID are matched on all their fields.
// Merging the same data again changes nothing: Merge(Merge(a, b), b)
// equals Merge(a, b). Neither argument is modified; the result shares no
// slices or maps with them (History slices are shared).
func Merge(base, add insights.Dataset) insights.Dataset {
	var out insights.Dataset

	out.Deals = mergeByKey(base.Deals, add.Deals, func(d insights.Deal) string { return d.ID },
		func(_, n insights.Deal) insights.Deal { return n })
	out.Activities = mergeByKey(base.Activities, add.Activities, activityKey,
		func(_, n insights.Activity) insights.Activity { return n })
	out.Reps = mergeByKey(base.Reps, add.Reps, func(r insights.Rep) insights.RepID { return r.ID }, mergeRep)
	out.Quotas = mergeByKey(base.Quotas, add.Quotas,
		func(q insights.Quota) quotaKey { return quotaKey{q.Rep, q.Start.UnixNano(), q.End.UnixNano()} },
		func(_, n insights.Quota) insights.Quota { return n })
	if len(base.ListPrices)+len(add.ListPrices) > 0 {
		out.ListPrices = make(map[string]float64, len(base.ListPrices)+len(add.ListPrices))
		maps.Copy(out.ListPrices, base.ListPrices)
		maps.Copy(out.ListPrices, add.ListPrices)
	}
	return out
}

type activityIdentity struct {
	id     string
	owner  insights.RepID
	kind   insights.ActivityKind
	at     int64
	dealID string
}

func activityKey(a insights.Activity) activityIdentity {
	if a.ID != "" {
		return activityIdentity{id: a.ID}
	}
	return activityIdentity{owner: a.Owner, kind: a.Kind, at: a.At.UnixNano(), dealID: a.DealID}
}

// mergeByKey lays add over base by key; it returns nil when both are empty.
func mergeByKey[T any, K comparable](base, add []T, key func(T) K, combine func(old, new T) T) []T {
	if len(base)+len(add) == 0 {
		return nil
	}
	out := make([]T, 0, len(base)+len(add))
	idx := make(map[K]int, len(base)+len(add))
	for _, list := range [][]T{base, add} {
		for _, v := range list {
			k := key(v)
			if i, ok := idx[k]; ok {
				out[i] = combine(out[i], v)
				continue
			}
			idx[k] = len(out)
			out = append(out, v)
		}
	}
	return out
}
