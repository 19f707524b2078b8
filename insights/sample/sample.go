// Package sample generates realistic, made-up CRM data for the demo, tests
// and benchmarks: teams of reps under managers, a year or more of deals with
// stage histories, activities and quarterly quotas. The same Config always
// gives the same Dataset. Reps differ in skill, so every team has clear
// stars and strugglers, stale deals and a few deliberate data-hygiene
// problems for the insights to find. WriteCSV and friends write it in the
// generic shape the importer recognises.
package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// Config says what to generate.
type Config struct {
	// Seed picks the data; the same Config gives the same Dataset.
	Seed uint64
	// Managers and RepsPerManager size the team; values below 1 mean 1.
	Managers, RepsPerManager int
	// Deals is the total number of deals across all reps.
	Deals int
	// Start and End bound the deals' created dates; End is "now": deals
	// whose cycle ends after it are still open. A zero End is a year after
	// Start; a zero Start a year before End; both zero is 2024.
	Start, End time.Time
	// Offices are the teams' regional offices, dealt to managers in turn;
	// empty means Central, East and West.
	Offices []string
	// Location is the team's time zone: dates are the start of a day there.
	// Nil means UTC.
	Location *time.Location
	// ActivitiesPerDeal is the average number of calls, emails and meetings
	// logged per deal (busier reps log more): 0 means 3, negative none.
	ActivitiesPerDeal float64
}

// Stages is the pipeline a generated deal moves through, in order; a closed
// deal ends in Won or Lost.
var Stages = []string{"Prospecting", "Qualification", "Proposal", "Negotiation", "Won", "Lost"}

const openStages = 4 // Prospecting .. Negotiation

// Products and their list prices; a deal's product follows its size.
var products = []struct {
	name  string
	price float64
	upTo  float64 // deals up to this amount are sold as this product
}{
	{"Starter", 1500, 3000},
	{"Team", 5000, 10000},
	{"Business", 15000, 25000},
	{"Enterprise", 40000, math.Inf(1)},
}

var firstNames = []string{
	"Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
	"Kara", "Liam", "Maya", "Nico", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara",
	"Umar", "Vera", "Wes", "Xena", "Yusuf", "Zoe", "Aiden", "Bea", "Caleb", "Dana",
	"Emil", "Fatima", "Gus", "Hana", "Ivan", "Julia", "Kenji", "Lena", "Marco", "Nora",
	"Oscar", "Priya", "Rafael", "Sofia", "Theo", "Uma", "Victor", "Wen", "Yara", "Zane",
	"Amir", "Chloe", "Diego", "Erin", "Felix", "Gemma", "Hector", "Iris", "Jack", "Keiko",
}

var lastNames = []string{
	"Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
	"Kowalski", "Lopez", "Moreau", "Nakamura", "Olsen", "Patel", "Quist", "Rossi", "Silva", "Tanaka",
	"Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Alvarez", "Brooks", "Chen", "Diaz",
	"Ekström", "Ferreira", "Gupta", "Hansen", "Iqbal", "Jones", "Kim", "Larsen", "Mendes", "Novak",
	"Okafor", "Park", "Reyes", "Schmidt", "Torres", "Ueda", "Vogel", "Walsh", "Young", "Ziegler",
	"Andersen", "Bauer", "Castillo", "Dahl", "Engel", "Fox", "Grant", "Holm", "Ibarra", "Keller",
}

var accountWords = [][]string{
	{"Blue Harbor", "Northwind", "Red Canyon", "Silver Pine", "Cedar Point", "Granite", "Bright Lake",
		"Iron Ridge", "Maple Grove", "Summit", "Oak Valley", "Harbor Light", "Stone Bridge", "Clearwater", "Evergreen"},
	{"Logistics", "Foods", "Health", "Labs", "Systems", "Bank", "Retail", "Energy", "Media", "Motors"},
}

// rep is a generated rep and the traits that drive their numbers.
type rep struct {
	insights.Rep
	skill    float64 // 0 struggling .. 1 star
	winRate  float64
	sizeMult float64
	cycle    float64 // median days from created to close
	weak     int     // the stage where most of their lost deals die
	busy     float64 // activity multiplier
	stale    float64 // chance an open deal of theirs is stuck
	weight   float64 // share of the deals
}

// Generate returns a made-up Dataset as cfg describes: reps (IDs are their
// full names, managers are not reps), deals with stage histories, activities,
// a quota per rep and calendar quarter, and the products' list prices. Every
// date is the start of a day in cfg.Location except activity times, which
// fall in working hours.
func Generate(cfg Config) insights.Dataset {
	cfg = withDefaults(cfg)
	g := &gen{
		cfg: cfg,
		rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	g.days = int(math.Round(dayDiff(cfg.Start, cfg.End, cfg.Location)))
	if g.days < 1 {
		g.days = 1
	}
	g.reps = g.team()
	g.accounts = accounts()
	ds := insights.Dataset{ListPrices: map[string]float64{}}
	for _, p := range products {
		ds.ListPrices[p.name] = p.price
	}
	for _, r := range g.reps {
		ds.Reps = append(ds.Reps, r.Rep)
	}
	ds.Deals = make([]insights.Deal, 0, cfg.Deals)
	pick := g.repPicker()
	idWidth := max(6, len(fmt.Sprint(cfg.Deals)))
	for i := range cfg.Deals {
		r := pick()
		d := g.deal(r, fmt.Sprintf("D%0*d", idWidth, i+1))
		ds.Deals = append(ds.Deals, d)
		if cfg.ActivitiesPerDeal > 0 {
			ds.Activities = g.activities(ds.Activities, r, d)
		}
	}
	ds.Quotas = g.quotas()
	return ds
}

// Demo is the demo team: 3 managers with 7 reps each in three offices and
// about 3,000 deals created over the year up to now, in loc (nil is UTC).
func Demo(now time.Time, loc *time.Location) insights.Dataset {
	if loc == nil {
		loc = time.UTC
	}
	return Generate(Config{
		Seed:           2024,
		Managers:       3,
		RepsPerManager: 7,
		Deals:          3000,
		Start:          now.AddDate(-1, 0, 0),
		End:            now,
		Offices:        []string{"Central", "East", "West"},
		Location:       loc,
	})
}

func withDefaults(cfg Config) Config {
	cfg.Managers = max(cfg.Managers, 1)
	cfg.RepsPerManager = max(cfg.RepsPerManager, 1)
	cfg.Deals = max(cfg.Deals, 0)
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if len(cfg.Offices) == 0 {
		cfg.Offices = []string{"Central", "East", "West"}
	}
	switch {
	case cfg.Start.IsZero() && cfg.End.IsZero():
		cfg.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, cfg.Location)
		cfg.End = cfg.Start.AddDate(1, 0, 0)
	case cfg.End.IsZero():
		cfg.End = cfg.Start.AddDate(1, 0, 0)
	case cfg.Start.IsZero():
		cfg.Start = cfg.End.AddDate(-1, 0, 0)
	}
	if cfg.End.Before(cfg.Start) {
		cfg.Start, cfg.End = cfg.End, cfg.Start
	}
	switch {
	case cfg.ActivitiesPerDeal == 0:
		cfg.ActivitiesPerDeal = 3
	case cfg.ActivitiesPerDeal < 0:
		cfg.ActivitiesPerDeal = 0
	}
	return cfg
}

type gen struct {
	cfg      Config
	rng      *rand.Rand
	days     int // days from Start to End
	reps     []rep
	accounts []string
	dayCache map[int]time.Time
	actSeq   int
}

// day returns the start of the day n days after Start's day, in Location.
func (g *gen) day(n int) time.Time {
	if t, ok := g.dayCache[n]; ok {
		return t
	}
	y, m, d := g.cfg.Start.In(g.cfg.Location).Date()
	t := time.Date(y, m, d+n, 0, 0, 0, 0, g.cfg.Location)
	if g.dayCache == nil {
		g.dayCache = map[int]time.Time{}
	}
	g.dayCache[n] = t
	return t
}

// team makes the managers and reps: unique names, emails, offices, and
// skills spread so each team has a star and a struggler.
func (g *gen) team() []rep {
	n := g.cfg.Managers * (g.cfg.RepsPerManager + 1)
	names := g.names(n)
	var reps []rep
	for m := range g.cfg.Managers {
		manager := names[m*(g.cfg.RepsPerManager+1)]
		office := g.cfg.Offices[m%len(g.cfg.Offices)]
		star, struggler := g.rng.IntN(g.cfg.RepsPerManager), g.rng.IntN(g.cfg.RepsPerManager)
		for k := range g.cfg.RepsPerManager {
			nm := names[m*(g.cfg.RepsPerManager+1)+1+k]
			skill := clamp(0.5+0.17*g.rng.NormFloat64(), 0.2, 0.8)
			switch {
			case k == star:
				skill = 0.9 + 0.1*g.rng.Float64()
			case k == struggler && g.cfg.RepsPerManager > 1:
				skill = 0.1 * g.rng.Float64()
			}
			reps = append(reps, rep{
				Rep: insights.Rep{
					ID:      insights.RepID(nm.full),
					Name:    nm.full,
					Email:   nm.email,
					Manager: manager.full,
					Team:    office,
				},
				skill:    skill,
				winRate:  0.18 + 0.5*skill,
				sizeMult: 0.75 + 0.5*skill,
				cycle:    75 - 35*skill,
				weak:     g.rng.IntN(openStages),
				busy:     0.5 + skill,
				stale:    0.06 + 0.3*(1-skill),
				weight:   (0.7 + 0.6*skill) * (0.8 + 0.4*g.rng.Float64()),
			})
		}
	}
	return reps
}

type personName struct{ full, email string }

// names returns n unique names; past 3,600 they get middle initials.
func (g *gen) names(n int) []personName {
	base := len(firstNames) * len(lastNames)
	layers := 1
	for base*layers < 2*n && layers < 27 {
		layers++
	}
	if n > base*layers {
		panic(fmt.Sprintf("sample: cannot make %d unique names", n))
	}
	out := make([]personName, 0, n)
	for _, k := range g.rng.Perm(base * layers)[:n] {
		first, last, initial := firstNames[k%len(firstNames)], lastNames[k/len(firstNames)%len(lastNames)], k/base
		full := first + " " + last
		local := strings.ToLower(first) + "." + strings.ToLower(asciiFold(last))
		if initial > 0 {
			c := string(rune('A' + initial - 1))
			full = first + " " + c + ". " + last
			local = strings.ToLower(first) + "." + strings.ToLower(c) + "." + strings.ToLower(asciiFold(last))
		}
		out = append(out, personName{full: full, email: local + "@example.com"})
	}
	return out
}

// asciiFold replaces the few non-ASCII letters in the name lists.
func asciiFold(s string) string {
	return strings.NewReplacer("ö", "o", "ä", "a", "å", "a", "é", "e").Replace(s)
}

func accounts() []string {
	var out []string
	for _, a := range accountWords[0] {
		for _, b := range accountWords[1] {
			out = append(out, a+" "+b)
		}
	}
	return out
}

// repPicker returns a function that picks a rep in proportion to weight.
func (g *gen) repPicker() func() *rep {
	cum := make([]float64, len(g.reps))
	total := 0.0
	for i, r := range g.reps {
		total += r.weight
		cum[i] = total
	}
	return func() *rep {
		x := g.rng.Float64() * total
		i, _ := slices.BinarySearch(cum, x)
		return &g.reps[min(i, len(g.reps)-1)]
	}
}

// deal makes one deal for r: created in [Start, End), closed won or lost if
// its cycle ended by End, else open in the stage its progress reached.
func (g *gen) deal(r *rep, id string) insights.Deal {
	rng := g.rng
	amount := math.Exp(math.Log(8000)+0.8*rng.NormFloat64()) * r.sizeMult
	amount = math.Round(clamp(amount, 1000, 60000)/10) * 10
	product := products[len(products)-1].name
	for _, p := range products {
		if amount <= p.upTo {
			product = p.name
			break
		}
	}
	account := g.accounts[rng.IntN(len(g.accounts))]
	created := rng.IntN(g.days)
	cycle := int(clamp(r.cycle*math.Exp(0.45*rng.NormFloat64()), 7, 240))
	d := insights.Deal{
		ID:          id,
		Name:        account + " " + product,
		Owner:       r.ID,
		Amount:      amount,
		AmountKnown: true,
		Product:     product,
		Account:     account,
	}
	// stageDay is the day the deal entered open stage s (0..3).
	stageDay := func(s int) int { return created + cycle*s/openStages }
	history := func(upTo int) {
		for s := 0; s <= upTo; s++ {
			d.History = append(d.History, insights.StageChange{Stage: Stages[s], At: g.day(stageDay(s))})
		}
	}
	switch closeDay := created + cycle; {
	case closeDay <= g.days && rng.Float64() < r.winRate:
		d.Stage, d.Status = "Won", insights.StatusWon
		history(openStages - 1)
		d.Closed = g.day(closeDay)
	case closeDay <= g.days:
		// Lost: most die at the rep's weak stage, the rest anywhere.
		at := r.weak
		if rng.Float64() < 0.5 {
			at = rng.IntN(openStages)
		}
		closeDay = min(closeDay, stageDay(at)+max(1, cycle/openStages))
		d.Stage, d.Status = "Lost", insights.StatusLost
		history(at)
		d.Closed = g.day(closeDay)
	case rng.Float64() < r.stale:
		// Stuck: created long ago, no movement since an early stage, and
		// usually a close date that has already passed.
		created = max(0, g.days-cycle-30-rng.IntN(120))
		at := rng.IntN(2)
		d.Stage, d.Status = Stages[at], insights.StatusOpen
		history(at)
		if rng.Float64() < 0.7 {
			d.Closed = g.day(min(created+cycle, g.days-1-rng.IntN(30)))
		} else {
			d.Closed = g.day(g.days + 1 + rng.IntN(60))
		}
	default:
		progress := float64(g.days-created) / float64(cycle)
		at := min(int(progress*openStages), openStages-1)
		d.Stage, d.Status = Stages[at], insights.StatusOpen
		history(at)
		d.Closed = g.day(closeDay)
		if rng.Float64() < 0.03 {
			d.Closed = g.day(g.days - 1 - rng.IntN(20)) // hygiene: close date passed
		}
	}
	d.Created = d.History[0].At
	d.Moved = d.History[len(d.History)-1].At
	if d.Status != insights.StatusOpen {
		d.History = append(d.History, insights.StageChange{Stage: d.Stage, At: d.Closed})
		d.Moved = d.Closed
	}
	if d.Status == insights.StatusOpen {
		if rng.Float64() < 0.02 {
			d.Account = "" // hygiene: no account
			d.Name = product
		}
		if rng.Float64() < 0.02 {
			d.Amount, d.AmountKnown = 0, false // hygiene: no amount
		}
	}
	return d
}

// activities appends d's calls, emails and meetings: more for busy reps,
// timed between the deal's creation and its last movement (or End), in
// working hours.
func (g *gen) activities(acts []insights.Activity, r *rep, d insights.Deal) []insights.Activity {
	rng := g.rng
	n := poisson(rng, g.cfg.ActivitiesPerDeal*r.busy)
	from := dayDiff(g.cfg.Start, d.Created, g.cfg.Location)
	to := dayDiff(g.cfg.Start, d.Moved, g.cfg.Location)
	if d.Status == insights.StatusOpen {
		to = float64(g.days)
	}
	span := max(1, int(to-from))
	for range n {
		g.actSeq++
		kind := insights.ActivityCall
		switch x := rng.Float64(); {
		case x < 0.15:
			kind = insights.ActivityMeeting
		case x < 0.55:
			kind = insights.ActivityEmail
		}
		day := g.day(int(from) + rng.IntN(span))
		acts = append(acts, insights.Activity{
			ID:     fmt.Sprintf("A%08d", g.actSeq),
			Owner:  r.ID,
			Kind:   kind,
			At:     day.Add(time.Duration(8*60+rng.IntN(10*60)) * time.Minute),
			DealID: d.ID,
		})
	}
	return acts
}

// quotas gives every rep the same quarterly quota for each calendar quarter
// overlapping [Start, End]: what an average rep would win in a quarter,
// rounded to 1,000, so stars beat it and strugglers miss it.
func (g *gen) quotas() []insights.Quota {
	loc := g.cfg.Location
	y, m, _ := g.cfg.Start.In(loc).Date()
	first := time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, loc)
	var quarters []time.Time
	for q := first; q.Before(g.cfg.End); q = q.AddDate(0, 3, 0) {
		quarters = append(quarters, q)
	}
	perRepQuarter := float64(g.cfg.Deals) / float64(len(g.reps)) * 91 / float64(g.days)
	amount := math.Max(1000, math.Round(perRepQuarter*11000*0.34/1000)*1000)
	var out []insights.Quota
	for _, r := range g.reps {
		for _, q := range quarters {
			out = append(out, insights.Quota{Rep: r.ID, Start: q, End: q.AddDate(0, 3, 0), Amount: amount})
		}
	}
	return out
}

// poisson draws from a Poisson distribution with mean lambda (small).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// dayDiff is the number of days from a's day to b's day in loc.
func dayDiff(a, b time.Time, loc *time.Location) float64 {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return math.Round(time.Date(by, bm, bd, 12, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)).Hours() / 24)
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
