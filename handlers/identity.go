package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/insights"
)

// LinkStore remembers which CRM person each Slack user is.
type LinkStore interface {
	LinkUsers(ctx context.Context, links map[string]insights.RepID, ttl time.Duration) error
	UserRep(ctx context.Context, slackID string) (insights.RepID, error)
}

// Members lists the workspace's active human members.
type Members interface {
	Members(ctx context.Context) ([]slack.User, error)
}

// Identity matches CRM reps and managers to Slack users and answers who a
// Slack user is. A rep links to their RepID; a manager who is not a rep
// links to their team key (insights.ManagerTeam).
type Identity struct {
	Links   LinkStore
	Members Members
	// Mapping maps a CRM rep ID or full name (lower case) to a Slack user
	// ID or email, for people the automatic match misses.
	Mapping map[string]string
	// TTL is how long links are kept before the next refresh (default 25 h,
	// so a daily refresh never leaves a gap).
	TTL time.Duration
}

// RepFor returns the CRM identity of a Slack user: a RepID, or a manager's
// team key. It returns insights.ErrUnknownRep when the user is not linked.
func (id *Identity) RepFor(ctx context.Context, slackUserID string) (insights.RepID, error) {
	return id.Links.UserRep(ctx, slackUserID)
}

// LinkResult says how a refresh went.
type LinkResult struct {
	Linked    int
	Unmatched []string // CRM names with no Slack user
}

// Link matches every rep and manager in reps to the workspace's members
// and stores the links.
func (id *Identity) Link(ctx context.Context, reps []insights.Rep) (LinkResult, error) {
	users, err := id.Members.Members(ctx)
	if err != nil {
		return LinkResult{}, err
	}
	links, unmatched := Match(reps, users, id.Mapping)
	ttl := id.TTL
	if ttl <= 0 {
		ttl = 25 * time.Hour
	}
	if err := id.Links.LinkUsers(ctx, links, ttl); err != nil {
		return LinkResult{}, fmt.Errorf("store links: %w", err)
	}
	return LinkResult{Linked: len(links), Unmatched: unmatched}, nil
}

// Match pairs CRM people with Slack users: by the mapping first, then by
// email (case-insensitive), then by exact full name (real or display name,
// case-insensitive), a name match counting only where exactly one Slack
// user and one CRM person have that name. Reps link to their RepID;
// managers who are not reps link to insights.ManagerTeam(name). A Slack user
// two CRM people claim is linked to neither, so nobody is ever shown
// someone else's numbers. It returns the links (Slack ID → identity) and
// the names left unmatched, sorted.
func Match(reps []insights.Rep, users []slack.User, mapping map[string]string) (map[string]insights.RepID, []string) {
	byID := map[string]bool{}
	byEmail := map[string]string{}
	byName := map[string][]string{}
	for _, u := range users {
		byID[u.ID] = true
		if e := strings.ToLower(strings.TrimSpace(u.Profile.Email)); e != "" {
			byEmail[e] = u.ID
		}
		names := map[string]bool{}
		for _, n := range []string{u.RealName, u.Profile.RealName, u.Profile.DisplayName} {
			if n = normName(n); n != "" {
				names[n] = true
			}
		}
		for n := range names {
			byName[n] = append(byName[n], u.ID)
		}
	}
	// A person in the CRM: a rep, or a manager who is not a rep.
	type person struct {
		id          insights.RepID
		name, email string
	}
	var people []person
	isRep := map[string]bool{}
	crmNames := map[string]int{}
	for _, r := range reps {
		people = append(people, person{r.ID, r.Name, r.Email})
		isRep[normName(r.Name)] = true
		crmNames[normName(r.Name)]++
	}
	seenManager := map[string]bool{}
	for _, r := range reps {
		m := normName(r.Manager)
		if m != "" && !isRep[m] && !seenManager[m] {
			seenManager[m] = true
			people = append(people, person{insights.RepID(insights.ManagerTeam(r.Manager)), r.Manager, ""})
			crmNames[m]++
		}
	}

	// exact finds a person's Slack user by the mapping or by email.
	exact := func(p person) string {
		for _, k := range []string{string(p.id), p.name} {
			to, ok := mapping[normName(k)]
			if !ok || to == "" {
				continue
			}
			if byID[to] {
				return to
			}
			if uid, ok := byEmail[strings.ToLower(to)]; ok {
				return uid
			}
		}
		if e := strings.ToLower(strings.TrimSpace(p.email)); e != "" {
			return byEmail[e]
		}
		return ""
	}
	claims := map[string][]int{} // Slack ID → people claiming it
	found := make([]string, len(people))
	for i, p := range people {
		if uid := exact(p); uid != "" {
			found[i] = uid
			claims[uid] = append(claims[uid], i)
		}
	}
	for i, p := range people {
		n := normName(p.name)
		if found[i] != "" || crmNames[n] != 1 || len(byName[n]) != 1 {
			continue
		}
		uid := byName[n][0]
		if len(claims[uid]) == 0 {
			found[i] = uid
			claims[uid] = append(claims[uid], i)
		}
	}

	links := map[string]insights.RepID{}
	var unmatched []string
	for i, p := range people {
		if uid := found[i]; uid != "" && len(claims[uid]) == 1 {
			links[uid] = p.id
		} else {
			unmatched = append(unmatched, p.name)
		}
	}
	sort.Strings(unmatched)
	return links, unmatched
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
