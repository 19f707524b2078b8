package insights

import (
	"cmp"
	"slices"
)

// The kinds of CRM data problem a TeamReport's Hygiene lists, in the order
// it lists them.
const (
	// HygienePastClose: open deals whose close date is a day already over.
	HygienePastClose = "past_close_date"
	// HygieneMissingAmount: open or won deals with no amount (an open deal
	// valued at its list price included).
	HygieneMissingAmount = "missing_amount"
	// HygieneMissingAccount: open or won deals with no account.
	HygieneMissingAccount = "missing_account"
	// HygieneWonZero: won deals with an amount of zero or less.
	HygieneWonZero = "won_zero"
	// HygieneClosedNoDate: won or lost deals without a close date, which
	// no period can count.
	HygieneClosedNoDate = "closed_no_date"
	// HygieneUnknownOwner: deals whose owner is not in Dataset.Reps.
	HygieneUnknownOwner = "unknown_owner"
	// HygieneUnknownProduct: deals whose product is not in
	// Dataset.ListPrices (checked only when ListPrices is not empty).
	HygieneUnknownProduct = "unknown_product"
	// HygieneDuplicate: every deal but the first with the same owner,
	// account, product, amount and created time (created time known).
	HygieneDuplicate = "duplicate"
)

var hygieneLabels = []struct{ kind, label string }{
	{HygienePastClose, "Open deals with a close date in the past"},
	{HygieneMissingAmount, "Open or won deals without an amount"},
	{HygieneMissingAccount, "Open or won deals without an account"},
	{HygieneWonZero, "Won deals worth nothing"},
	{HygieneClosedNoDate, "Closed deals without a close date"},
	{HygieneUnknownOwner, "Deals owned by someone not in the rep list"},
	{HygieneUnknownProduct, "Deals with a product not in the price list"},
	{HygieneDuplicate, "Likely duplicate deals"},
}

// Indexes into hygieneLabels.
const (
	hPastClose = iota
	hMissingAmount
	hMissingAccount
	hWonZero
	hClosedNoDate
	hUnknownOwner
	hUnknownProduct
	hDuplicate
)

// hit is one deal with one problem: kind indexes hygieneLabels.
type hit struct {
	kind int
	deal int32
}

// hygieneOf returns the data problems among group gi's deals as of now,
// with up to maxListed example deals each; deals without an owner count for
// all reps only. Problems do not depend on the period, so they are computed
// once.
func (e *engine) hygieneOf(gi int) []Hygiene {
	if e.hygiene == nil {
		e.hygiene = e.hygieneByGroup()
	}
	return e.hygiene[gi]
}

func (e *engine) hygieneByGroup() [][]Hygiene {
	hits := make([][]hit, len(e.reps))
	e.parallel(len(e.reps), func(ri int) {
		for _, di := range e.deals[ri] {
			hits[ri] = e.checkDeal(hits[ri], di, !e.known[ri])
		}
		hits[ri] = e.duplicates(hits[ri], e.deals[ri])
	})
	var orphans []hit
	for _, di := range e.orphans {
		orphans = e.checkDeal(orphans, di, true)
	}
	groups := e.groups()
	out := make([][]Hygiene, len(groups))
	for gi, g := range groups {
		var all [][]hit
		for _, ri := range g.members {
			all = append(all, hits[ri])
		}
		if g.kind == groupAll {
			all = append(all, orphans)
		}
		out[gi] = e.summarize(all)
	}
	return out
}

// checkDeal appends deal di's problems, other than duplication, to hits,
// as the deal stood at now (DealAt).
func (e *engine) checkDeal(hits []hit, di int32, unknownOwner bool) []hit {
	d := &e.ds.Deals[di]
	add := func(kind int) { hits = append(hits, hit{kind: kind, deal: di}) }
	s, exists := DealAt(d, e.now, e.ds.ListPrices)
	open, won := exists && s.Open(), exists && s.Status == StatusWon
	switch {
	case open && !s.Close.IsZero() && e.cal.EndOfDay(s.Close).Before(e.now):
		add(hPastClose)
	case d.Status != StatusOpen && d.Closed.IsZero():
		add(hClosedNoDate)
	}
	if (open || won) && !s.AmountKnown {
		add(hMissingAmount)
	}
	if (open || won) && d.Account == "" {
		add(hMissingAccount)
	}
	if won && s.AmountKnown && s.Amount <= 0 {
		add(hWonZero)
	}
	if unknownOwner {
		add(hUnknownOwner)
	}
	if len(e.ds.ListPrices) > 0 {
		if _, ok := e.ds.ListPrices[d.Product]; !ok {
			add(hUnknownProduct)
		}
	}
	return hits
}

// duplicates appends a hit for every deal among one owner's deals that
// repeats an earlier one's account, product, amount (as known at now) and
// created time (created time known).
func (e *engine) duplicates(hits []hit, deals []int32) []hit {
	type key struct {
		created int64
		amount  float64
		deal    int32
	}
	keys := make([]key, 0, len(deals))
	for _, di := range deals {
		d := &e.ds.Deals[di]
		if d.Created.IsZero() {
			continue
		}
		amount := d.Amount
		if s, ok := DealAt(d, e.now, e.ds.ListPrices); ok {
			amount = s.Amount
		}
		keys = append(keys, key{d.Created.UnixNano(), amount, di})
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.amount, b.amount), cmp.Compare(a.deal, b.deal))
	})
	for i := 1; i < len(keys); i++ {
		// Within a run of equal created time and amount, compare with every
		// earlier deal of the run.
		for j := i - 1; j >= 0 && keys[j].created == keys[i].created && keys[j].amount == keys[i].amount; j-- {
			a, b := &e.ds.Deals[keys[j].deal], &e.ds.Deals[keys[i].deal]
			if a.Account == b.Account && a.Product == b.Product {
				hits = append(hits, hit{kind: hDuplicate, deal: keys[i].deal})
				break
			}
		}
	}
	return hits
}

// summarize counts hits by kind, keeping the first maxListed deals of each.
func (e *engine) summarize(lists [][]hit) []Hygiene {
	out := make([]Hygiene, len(hygieneLabels))
	for k, l := range hygieneLabels {
		out[k] = Hygiene{Kind: l.kind, Label: l.label}
	}
	for _, hits := range lists {
		for _, h := range hits {
			x := &out[h.kind]
			x.Count++
			if len(x.Deals) < maxListed {
				x.Deals = append(x.Deals, e.ref(h.deal, -1, e.now))
			}
		}
	}
	kept := out[:0]
	for _, x := range out {
		if x.Count > 0 {
			kept = append(kept, x)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return kept
}
