package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/insights"
)

// LinkStore serves and changes the links from Slack users to CRM people.
type LinkStore interface {
	LinkUsers(ctx context.Context, links map[string]insights.RepID, ttl time.Duration) error
	UnlinkUsers(ctx context.Context, slackIDs []string) error
	UserRep(ctx context.Context, slackID string) (insights.RepID, error)
}

// LinkBooks keeps the outcome of the last identity refresh, which the next
// one starts from (links are sticky).
type LinkBooks interface {
	LinkBook(ctx context.Context) (insights.LinkBook, error)
	SaveLinkBook(ctx context.Context, book insights.LinkBook) error
}

// LinkDecisions keeps what sales ops decided about links from Slack.
type LinkDecisions interface {
	LinkDecisions(ctx context.Context) (map[string]insights.RepID, error)
	SetLinkDecision(ctx context.Context, slackID string, rep insights.RepID) error
}

// DataState tells whether CRM data is loaded and which import it is.
type DataState interface {
	DataGeneration(ctx context.Context) (int64, error)
}

// Members lists the workspace's active human members.
type Members interface {
	Members(ctx context.Context) ([]slack.User, error)
}

// Identity matches CRM reps and managers to Slack users and answers who a
// Slack user is. A rep links to their RepID; a manager who is not a rep
// links to their team key (insights.ManagerTeam). See Match for the order
// the rules apply in.
type Identity struct {
	Links     LinkStore
	Book      LinkBooks
	Decisions LinkDecisions
	Members   Members
	Data      DataState
	// Mapping maps a CRM rep ID or full name (lower case) to a Slack user
	// ID or email, for people the automatic match misses.
	Mapping map[string]string
	// NoNameMatch turns matching by full name off: only the mapping file,
	// sales ops' decisions and emails link people.
	NoNameMatch bool
	// TTL is how long served links are kept before the next refresh
	// (default 25 h, so a daily refresh never leaves a gap).
	TTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// RepFor returns the CRM identity of a Slack user: a RepID, or a manager's
// team key. It returns insights.ErrNoData when no CRM data is loaded yet,
// and insights.ErrUnknownRep when data is loaded but the user is not linked.
func (id *Identity) RepFor(ctx context.Context, slackUserID string) (insights.RepID, error) {
	rep, err := id.Links.UserRep(ctx, slackUserID)
	if errors.Is(err, insights.ErrUnknownRep) && id.Data != nil {
		if g, gerr := id.Data.DataGeneration(ctx); gerr == nil && g == 0 {
			return "", fmt.Errorf("rep of Slack user %s: %w", slackUserID, insights.ErrNoData)
		}
	}
	return rep, err
}

// LinkResult says how a refresh went.
type LinkResult struct {
	Linked    int
	ByHow     map[string]int   // links by how they were made
	Unmatched []string         // CRM names with no Slack user
	Clashes   []insights.Clash // for sales ops, sorted
}

// Link matches every rep and manager in reps (the CRM data of generation
// gen) to the workspace's members, starting from the last refresh's links
// and sales ops' decisions, stores the links and the book, and removes
// links that no longer hold.
func (id *Identity) Link(ctx context.Context, reps []insights.Rep, gen int64) (LinkResult, error) {
	users, err := id.Members.Members(ctx)
	if err != nil {
		return LinkResult{}, err
	}
	prev, err := id.Book.LinkBook(ctx)
	if err != nil {
		return LinkResult{}, err
	}
	decisions, err := id.Decisions.LinkDecisions(ctx)
	if err != nil {
		return LinkResult{}, err
	}
	m := Match(MatchInput{Reps: reps, Users: users, Mapping: id.Mapping, Decisions: decisions, Previous: prev.Links, NameMatch: !id.NoNameMatch})
	serve := make(map[string]insights.RepID, len(m.Links))
	byHow := map[string]int{}
	for uid, l := range m.Links {
		serve[uid] = l.Rep
		byHow[l.How]++
	}
	var gone []string
	for uid, l := range prev.Links {
		if nl, ok := m.Links[uid]; !ok || nl.Rep != l.Rep {
			gone = append(gone, uid)
		}
	}
	sort.Strings(gone)
	if err := id.Links.UnlinkUsers(ctx, gone); err != nil {
		return LinkResult{}, fmt.Errorf("remove old links: %w", err)
	}
	ttl := id.TTL
	if ttl <= 0 {
		ttl = 25 * time.Hour
	}
	if err := id.Links.LinkUsers(ctx, serve, ttl); err != nil {
		return LinkResult{}, fmt.Errorf("store links: %w", err)
	}
	now := time.Now
	if id.Now != nil {
		now = id.Now
	}
	book := insights.LinkBook{Links: m.Links, Clashes: m.Clashes, Unmatched: m.Unmatched, Generation: gen, At: now()}
	if err := id.Book.SaveLinkBook(ctx, book); err != nil {
		return LinkResult{}, err
	}
	return LinkResult{Linked: len(m.Links), ByHow: byHow, Unmatched: m.Unmatched, Clashes: m.Clashes}, nil
}

// MatchInput is what Match works from.
type MatchInput struct {
	Reps  []insights.Rep
	Users []slack.User // the workspace's members (guests and others included)
	// Mapping maps a CRM rep ID or full name (normalised) to a Slack user
	// ID or email.
	Mapping map[string]string
	// Decisions are sales ops' decisions: Slack ID → CRM person, or "" for
	// nobody.
	Decisions map[string]insights.RepID
	// Previous are the links of the last refresh (Slack ID → link).
	Previous map[string]insights.Link
	// NameMatch allows matching by full real name.
	NameMatch bool
}

// MatchResult is Match's outcome.
type MatchResult struct {
	Links     map[string]insights.Link
	Unmatched []string         // CRM names, sorted
	Clashes   []insights.Clash // for sales ops, sorted (ClashText writes one)
}

// Match pairs CRM people (reps, and managers who are not reps, linked to
// insights.ManagerTeam(name)) with Slack users. The rules apply in this
// order, and a person or a Slack user taken by one rule is never taken by
// a later one:
//
//  1. the mapping file (CRM ID or name → Slack ID or email);
//  2. sales ops' decisions from Slack (a user is this person, or nobody);
//  3. the email on the Slack profile (case-insensitive);
//  4. the previous refresh's links, kept as they were (sticky) while both
//     the person and the active Slack user still exist;
//  5. with NameMatch, the full real name (never the display name), only for
//     full members (not guests, restricted accounts, bots or deactivated
//     users), only where exactly one CRM person and one full member have it.
//
// Two people claiming one Slack user by the same rule get neither. A
// later name clash never moves or drops a link: it is reported in Clashes,
// as is a Slack member whose name copies a linked person's.
func Match(in MatchInput) MatchResult {
	active := map[string]slack.User{}
	byEmail := map[string][]string{}
	byName := map[string][]string{} // full members' real names
	for _, u := range in.Users {
		if u.Deleted || u.IsBot || u.ID == "USLACKBOT" {
			continue
		}
		active[u.ID] = u
		if e := strings.ToLower(strings.TrimSpace(u.Profile.Email)); e != "" {
			byEmail[e] = append(byEmail[e], u.ID)
		}
		if fullMember(u) {
			for _, n := range realNames(u) {
				byName[n] = append(byName[n], u.ID)
			}
		}
	}

	var people []person
	isRep := map[string]bool{}
	crmNames := map[string]int{}
	for _, r := range in.Reps {
		people = append(people, person{r.ID, r.Name, r.Email})
		isRep[normName(r.Name)] = true
		crmNames[normName(r.Name)]++
	}
	seenManager := map[string]bool{}
	for _, r := range in.Reps {
		m := normName(r.Manager)
		if m != "" && !isRep[m] && !seenManager[m] {
			seenManager[m] = true
			people = append(people, person{insights.RepID(insights.ManagerTeam(r.Manager)), r.Manager, ""})
			crmNames[m]++
		}
	}
	index := map[insights.RepID]int{}
	for i, p := range people {
		index[p.id] = i
	}

	links := map[string]insights.Link{}
	taken := map[insights.RepID]string{} // person → Slack ID
	var clashes []insights.Clash
	clash := func(c insights.Clash) { clashes = append(clashes, c) }
	// settle links each candidate pair of one rule where neither side is
	// taken and neither side is claimed twice within the rule.
	settle := func(how string, cands map[int]string) {
		claims := map[string][]int{}
		for i, uid := range cands {
			claims[uid] = append(claims[uid], i)
		}
		for uid, is := range claims {
			sort.Ints(is)
			if len(is) > 1 {
				var names []string
				for _, i := range is {
					names = append(names, people[i].name)
				}
				clash(insights.Clash{Kind: insights.ClashClaimed, User: uid, People: names, How: how})
				continue
			}
			i := is[0]
			p := people[i]
			switch {
			case links[uid].Rep != "" && links[uid].Rep != p.id:
				clash(insights.Clash{Kind: insights.ClashUserTaken, User: uid, People: []string{p.name, nameOf(people, index, links[uid].Rep)}, How: how, Held: links[uid].How})
			case taken[p.id] != "" && taken[p.id] != uid:
				clash(insights.Clash{Kind: insights.ClashPersonTaken, User: uid, People: []string{p.name}, Users: []string{taken[p.id]}, How: how, Held: links[taken[p.id]].How})
			case taken[p.id] == "":
				links[uid] = insights.Link{Rep: p.id, How: how}
				taken[p.id] = uid
			}
		}
	}

	// 1. The mapping file.
	cands := map[int]string{}
	for i, p := range people {
		for _, k := range []string{string(p.id), p.name} {
			to, ok := in.Mapping[normName(k)]
			if !ok || to == "" {
				continue
			}
			if _, ok := active[to]; ok {
				cands[i] = to
			} else if ids := byEmail[strings.ToLower(to)]; len(ids) == 1 {
				cands[i] = ids[0]
			}
			break
		}
	}
	settle(insights.LinkByMapping, cands)

	// 2. Sales ops' decisions; a decision for nobody blocks the user.
	blocked := map[string]bool{}
	cands = map[int]string{}
	for uid, rep := range in.Decisions {
		if _, ok := active[uid]; !ok {
			continue
		}
		if rep == "" {
			blocked[uid] = true
			continue
		}
		if i, ok := index[rep]; ok {
			cands[i] = uid
		}
	}
	settle(insights.LinkByOps, cands)

	// 3. Email.
	cands = map[int]string{}
	for i, p := range people {
		if e := strings.ToLower(strings.TrimSpace(p.email)); e != "" {
			if ids := byEmail[e]; len(ids) == 1 && !blocked[ids[0]] {
				cands[i] = ids[0]
			}
		}
	}
	settle(insights.LinkByEmail, cands)

	// 4. Sticky: last refresh's links stay while both sides exist.
	for _, uid := range slices.Sorted(maps.Keys(in.Previous)) {
		l := in.Previous[uid]
		_, person := index[l.Rep]
		if _, ok := active[uid]; !ok || !person || blocked[uid] || links[uid].Rep != "" || taken[l.Rep] != "" {
			continue
		}
		links[uid] = l
		taken[l.Rep] = uid
	}

	// 5. Full real name, unique on both sides, full members only.
	if in.NameMatch {
		for _, p := range people {
			n := normName(p.name)
			if taken[p.id] != "" || n == "" {
				continue
			}
			ids := byName[n]
			switch {
			case len(ids) == 0:
			case crmNames[n] > 1:
				clash(insights.Clash{Kind: insights.ClashCRMNamesake, People: []string{p.name}, Count: crmNames[n]})
			case len(ids) > 1:
				clash(insights.Clash{Kind: insights.ClashSlackNamesake, People: []string{p.name}, Users: slices.Sorted(slices.Values(ids))})
			case blocked[ids[0]] || links[ids[0]].Rep != "":
			default:
				links[ids[0]] = insights.Link{Rep: p.id, How: insights.LinkByName}
				taken[p.id] = ids[0]
			}
		}
	}

	// Copied names: another member showing a linked person's name.
	for _, p := range people {
		uid := taken[p.id]
		if uid == "" {
			continue
		}
		n := normName(p.name)
		var copies []string
		for _, u := range active {
			if u.ID != uid && (slices.Contains(realNames(u), n) || normName(u.Profile.DisplayName) == n) {
				copies = append(copies, u.ID)
			}
		}
		if len(copies) > 0 {
			sort.Strings(copies)
			clash(insights.Clash{Kind: insights.ClashCopiedName, User: uid, People: []string{p.name}, Users: copies, Held: links[uid].How})
		}
	}

	var unmatched []string
	for _, p := range people {
		if taken[p.id] == "" {
			unmatched = append(unmatched, p.name)
		}
	}
	sort.Strings(unmatched)
	slices.SortFunc(clashes, func(a, b insights.Clash) int { return strings.Compare(clashKey(a), clashKey(b)) })
	clashes = slices.CompactFunc(clashes, func(a, b insights.Clash) bool { return clashKey(a) == clashKey(b) })
	return MatchResult{Links: links, Unmatched: unmatched, Clashes: clashes}
}

// fullMember reports whether u is a full member of the workspace: not a
// guest or restricted account, a bot or deactivated.
func fullMember(u slack.User) bool {
	return !u.IsRestricted && !u.IsUltraRestricted && !u.IsBot && !u.IsAppUser && !u.Deleted && !u.IsStranger
}

// realNames returns a user's full real names, normalised (the user object's
// and the profile's, usually the same).
func realNames(u slack.User) []string {
	var out []string
	for _, n := range []string{u.RealName, u.Profile.RealName} {
		if n = normName(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// person is someone in the CRM: a rep, or a manager who is not a rep.
type person struct {
	id          insights.RepID
	name, email string
}

func nameOf(people []person, index map[insights.RepID]int, rep insights.RepID) string {
	if i, ok := index[rep]; ok {
		return people[i].name
	}
	return string(rep)
}

// clashKey orders clashes (by kind, then user, people and users) and
// tells repeats apart.
func clashKey(c insights.Clash) string {
	return fmt.Sprintf("%s\x00%s\x00%q\x00%q\x00%s\x00%s\x00%d", c.Kind, c.User, c.People, c.Users, c.How, c.Held, c.Count)
}

// ClashText writes c for sales ops in p's language, names escaped for
// mrkdwn.
func ClashText(p *i18n.Printer, c insights.Clash) string {
	people := escapeAll(c.People)
	name := func(i int) string {
		if i < len(people) {
			return people[i]
		}
		return "?"
	}
	how := func(h string) string { return p.T("clash.how." + h) }
	user := func(i int) string {
		if i < len(c.Users) {
			return c.Users[i]
		}
		return "?"
	}
	switch c.Kind {
	case insights.ClashClaimed:
		return p.T("clash.claimed", c.User, strings.Join(people, p.T("clash.and")), how(c.How))
	case insights.ClashUserTaken:
		return p.T("clash.usertaken", name(0), how(c.How), c.User, name(1), how(c.Held))
	case insights.ClashPersonTaken:
		return p.T("clash.persontaken", name(0), how(c.How), c.User, user(0), how(c.Held))
	case insights.ClashCRMNamesake:
		return p.T("clash.crmnames", name(0), c.Count)
	case insights.ClashSlackNamesake:
		return p.T("clash.slacknames", name(0), len(c.Users), mentions(c.Users))
	case insights.ClashCopiedName:
		return p.T("clash.copied", name(0), c.User, how(c.Held), mentions(c.Users), len(c.Users))
	}
	return p.T("clash.old")
}

func mentions(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "<@" + id + ">"
	}
	return strings.Join(out, ", ")
}

func normName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// ReadMapping reads a mapping file: CSV rows of (CRM rep ID or full name,
// Slack user ID or email), with an optional header row naming "crm" and
// "slack"; # starts a comment line.
func ReadMapping(r io.Reader) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	out := map[string]string{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("mapping: %w", err)
		}
		if len(rec) < 2 {
			l, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("mapping line %d: want two columns (CRM name, Slack ID or email), got %d", l, len(rec))
		}
		crm, slackID := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if line == 1 && strings.EqualFold(crm, "crm") {
			continue
		}
		out[normName(crm)] = slackID
	}
}
