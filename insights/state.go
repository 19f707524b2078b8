package insights

import "time"

// DealState is what a deal looked like at one moment, derived only from
// what the data says happened before that moment (see DealAt). Every figure
// RepCoach publishes for a moment (now, the end of last week, the end of the
// previous period, any as-of) is computed from these states, so no figure
// uses what happened later.
type DealState struct {
	Status Status
	// Stage is the deal's stage at the moment: a closed deal's final stage;
	// for an open one the stage its history shows then, else its stage in
	// the data if it is still open there; "" when unknown (a deal that
	// closed later and has no stage history).
	Stage string
	// Amount is the deal's value at the moment: a closed deal's amount; for
	// an open one the amount its history shows then, else, for a deal still
	// open in the data, its amount; else its expected amount: its product's
	// list price (ListPrice is then true), else its last known amount. A
	// deal that was later lost at $0 is thus worth its expected amount while
	// open, never $0 unless nothing at all is known. AmountKnown says the
	// amount is one the CRM showed (not a list price, not unknown).
	Amount      float64
	ListPrice   bool
	AmountKnown bool
	// Probability is the CRM's win probability (0–1) at the moment, when
	// HasProbability: from the history, else the deal's own while it is
	// still open in the data and its history holds nothing later.
	Probability    float64
	HasProbability bool
	// ForecastCategory is the CRM's forecast category while the deal is
	// still open in the data and its history holds nothing later; else "".
	ForecastCategory string
	// Close is when a closed deal closed, or when an open deal was expected
	// to close as the CRM showed it then; zero if unknown (a deal that
	// closed later shows no expected close date, since its real close date
	// was not known then).
	Close time.Time
	// LastMove is the last time before the moment the deal moved (its
	// Moved time, a stage change, or its creation); zero if unknown.
	LastMove time.Time
}

// Open reports whether the deal was open.
func (s DealState) Open() bool { return s.Status == StatusOpen }

// Visible reports whether an event at t is known at the moment at: events
// strictly before at are; a date-only value (midnight) belongs to its day.
func Visible(t, at time.Time) bool { return !t.IsZero() && t.Before(at) }

// CreatedAt is when the deal came into being for point-in-time figures:
// Created, except that a closed deal whose close date is before its created
// date (Salesforce exports stamp CreatedDate with the load time) counts from
// its close date, since a closed deal counts by its close date. Zero when
// unknown: such a deal is taken to have existed all along.
func (d *Deal) CreatedAt() time.Time {
	if d.Status != StatusOpen && !d.Closed.IsZero() && d.Closed.Before(d.Created) {
		return d.Closed
	}
	return d.Created
}

// DealAt returns the state of d at the moment at, from what the data shows
// happened strictly before at, and false when the deal did not exist then:
// created at or after at, or closed without a close date (no moment can
// place it). A won or lost deal whose close is at or after at is open, in
// the stage its history shows then, at the amount it showed then or its
// expected amount (see DealState.Amount), with no expected close date.
// listPrices maps product to list price (Dataset.ListPrices).
func DealAt(d *Deal, at time.Time, listPrices map[string]float64) (DealState, bool) {
	created := d.CreatedAt()
	if !created.IsZero() && !created.Before(at) {
		return DealState{}, false
	}
	if d.Status != StatusOpen {
		if d.Closed.IsZero() {
			return DealState{}, false
		}
		if d.Closed.Before(at) {
			return DealState{Status: d.Status, Stage: d.Stage, Amount: d.Amount, AmountKnown: d.AmountKnown, Close: d.Closed, LastMove: d.Closed}, true
		}
	}
	// Open at the moment. j is the last history entry before it.
	j := -1
	for i := range d.History {
		if !d.History[i].At.Before(at) {
			break
		}
		j = i
	}
	asExported := d.Status == StatusOpen && j == len(d.History)-1
	s := DealState{Status: StatusOpen}
	switch {
	case asExported:
		s.Stage = d.Stage
	case j >= 0:
		s.Stage = d.History[j].Stage
	}
	amountSet, probSet := false, false
	for i := j; i >= 0 && (!amountSet || !probSet || s.Close.IsZero()); i-- {
		h := &d.History[i]
		if !amountSet && h.AmountKnown {
			s.Amount, s.AmountKnown, amountSet = h.Amount, true, true
		}
		if !probSet && h.HasProbability {
			s.Probability, s.HasProbability, probSet = h.Probability, true, true
		}
		if s.Close.IsZero() && !h.CloseDate.IsZero() {
			s.Close = h.CloseDate
		}
	}
	if asExported {
		if !probSet {
			s.Probability, s.HasProbability = d.Probability, d.HasProbability
		}
		s.ForecastCategory = d.ForecastCategory
	}
	if d.Status == StatusOpen && s.Close.IsZero() {
		s.Close = d.Closed
	}
	if !amountSet {
		s.Amount, s.ListPrice, s.AmountKnown = expectedAmount(d, listPrices)
	}
	s.LastMove = created
	if j >= 0 && d.History[j].At.After(s.LastMove) {
		s.LastMove = d.History[j].At
	}
	if Visible(d.Moved, at) && d.Moved.After(s.LastMove) {
		s.LastMove = d.Moved
	}
	return s, true
}

// expectedAmount is an open deal's value when no history records it: the
// deal's amount while it is still open in the data (list price when that is
// blank); for a deal that closed later, whose final amount was not known
// while it was open, its product's list price, else its last known amount
// (when above zero). listPrice says the value is a list price; known that
// it is an amount the CRM showed.
func expectedAmount(d *Deal, listPrices map[string]float64) (v float64, listPrice, known bool) {
	has := d.AmountKnown || d.Amount != 0
	if d.Status == StatusOpen && has {
		return d.Amount, false, true
	}
	if p, ok := listPrices[d.Product]; ok {
		return p, true, false
	}
	if d.Status != StatusOpen && has && d.Amount > 0 {
		return d.Amount, false, true
	}
	return 0, false, false
}
