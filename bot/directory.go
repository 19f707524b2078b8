package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/insights/clock"
)

// Directory reads the workspace's people from Slack: the member list (for
// matching CRM reps), one user's time zone, and a user group's members. It
// waits out 429 answers rather than failing.
type Directory struct {
	api *slack.Client
	// Roles says who is sales ops.
	Roles Roles
	// Zones caches users' time zones across restarts and replicas; nil
	// asks Slack every time.
	Zones ZoneCache
	// DefaultZone stands in for a user whose profile has no time zone.
	DefaultZone *time.Location
	// Clock ages the ops group and waits out 429s (nil means clock.Real).
	Clock clock.Clock

	// locales holds users' Slack locales (user ID -> "tr-TR") from users.list
	// and users.info.
	locales sync.Map

	mu             sync.Mutex
	groupID        string
	groupMissingAt time.Time
	ops            map[string]bool
	opsAsOf        time.Time
	opsMaxAge      time.Duration
}

// NewDirectory returns a directory reading through api, with roles saying
// who is sales ops.
func NewDirectory(api *slack.Client, roles Roles) *Directory {
	return &Directory{api: api, Roles: roles, opsMaxAge: 5 * time.Minute}
}

// Members returns every active human member of the workspace, following
// users.list pages, and caches their time zones on the way.
func (d *Directory) Members(ctx context.Context) ([]slack.User, error) {
	users, err := d.members(ctx)
	if err != nil {
		return nil, err
	}
	return users, d.CacheZones(ctx, users)
}

func (d *Directory) members(ctx context.Context) ([]slack.User, error) {
	var all []slack.User
	// Pages of 1,000, the most Slack serves: users.list is Tier 2 (20 a
	// minute), so 10,000 people take 10 calls rather than 50.
	p := d.api.GetUsersPaginated(slack.GetUsersOptionLimit(1000), slack.GetUsersOptionIncludeLocale(true))
	for {
		err := callWaiting(ctx, d.clock(), func() (err error) {
			p, err = p.Next(ctx) // a failed Next leaves the page as it was
			return err
		})
		if p.Done(err) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("users.list: %w", err)
		}
		for _, u := range p.Users {
			if !u.IsBot && !u.Deleted && u.ID != "USLACKBOT" {
				all = append(all, u)
			}
		}
	}
	return all, nil
}

// User returns one user's profile (with time zone) from users.info.
func (d *Directory) User(ctx context.Context, userID string) (*slack.User, error) {
	var u *slack.User
	err := callWaiting(ctx, d.clock(), func() (err error) {
		u, err = d.api.GetUserInfoContext(ctx, userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("users.info %s: %w", userID, err)
	}
	return u, nil
}

func (d *Directory) clock() clock.Clock { return clock.Or(d.Clock) }

// ZoneCache remembers users' IANA time zone names.
type ZoneCache interface {
	UserTZ(ctx context.Context, slackID string) (tz string, ok bool, err error)
	CacheUserTZ(ctx context.Context, slackID, tz string, ttl time.Duration) error
}

// profileZoneTTL is how long a user's time zone is trusted before asking
// Slack again: people travel, so about a day, and an hour more than the
// daily users.list crawl that renews it, so the scheduler never finds a
// gap and asks users.info for everyone.
const profileZoneTTL = 25 * time.Hour

// TimeZone returns userID's time zone from their Slack profile (cached for
// profileZoneTTL), or DefaultZone (UTC when nil) when the profile has none.
func (d *Directory) TimeZone(ctx context.Context, userID string) (*time.Location, error) {
	if d.Zones != nil {
		if tz, ok, err := d.Zones.UserTZ(ctx, userID); err == nil && ok {
			return d.location(tz), nil
		}
	}
	u, err := d.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	if d.Zones != nil && u.TZ != "" {
		if err := d.Zones.CacheUserTZ(ctx, userID, u.TZ, profileZoneTTL); err != nil {
			return nil, fmt.Errorf("cache time zone of %s: %w", userID, err)
		}
	}
	return d.location(u.TZ), nil
}

// CacheZones stores the time zones of users already fetched (from a
// users.list crawl), saving one users.info call each.
func (d *Directory) CacheZones(ctx context.Context, users []slack.User) error {
	for _, u := range users {
		if u.Locale != "" {
			d.locales.Store(u.ID, u.Locale)
		}
	}
	if d.Zones == nil {
		return nil
	}
	for _, u := range users {
		if u.TZ == "" {
			continue
		}
		if err := d.Zones.CacheUserTZ(ctx, u.ID, u.TZ, profileZoneTTL); err != nil {
			return fmt.Errorf("cache time zones: %w", err)
		}
	}
	return nil
}

func (d *Directory) location(tz string) *time.Location {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	if d.DefaultZone != nil {
		return d.DefaultZone
	}
	return time.UTC
}

// Roles says who is sales ops: the members of one Slack user group, named
// by its handle ("sales-ops" or "@sales-ops") or its ID ("S0123ABCD"), and
// the user IDs listed in Users. A group's display name never counts: any
// member can create a group and give it any name.
type Roles struct {
	Group string
	Users []string
}

// IsOps reports whether userID is sales ops: listed in Roles.Users or a
// member of the ops group. The group's ID is looked up once; its members
// are read at most every five minutes (usergroups.users.list is Tier 2),
// and a failed read keeps the last list. This is the one ops check every
// command, button and form uses.
func (d *Directory) IsOps(ctx context.Context, userID string) (bool, error) {
	if slices.Contains(d.Roles.Users, userID) {
		return true, nil
	}
	set, err := d.opsSet(ctx)
	return set[userID], err
}

// Ops returns the Slack IDs of sales ops, sorted: Roles.Users and the ops
// group's members.
func (d *Directory) Ops(ctx context.Context) ([]string, error) {
	set, err := d.opsSet(ctx)
	if err != nil {
		return nil, err
	}
	ids := slices.Clone(d.Roles.Users)
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// CheckRoles looks up the ops group at start. It returns a warning that
// says what to do when nobody can be sales ops (no group found by that
// handle or ID, or an empty one, and no Roles.Users) or when the group is
// missing, and an error only when Slack cannot be asked.
func (d *Directory) CheckRoles(ctx context.Context) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	group := strings.TrimPrefix(d.Roles.Group, "@")
	switch {
	case group == "" && len(d.Roles.Users) == 0:
		return "no sales ops configured: nobody can /recognize, see every team or pause DMs. Set REPCOACH_OPS_GROUP to a user group's handle or ID, or REPCOACH_OPS_USERS to Slack user IDs.", nil
	case group == "":
		return "", nil
	}
	id, err := d.opsGroupID(ctx)
	if err != nil {
		return "", err
	}
	if id == "" {
		return fmt.Sprintf("no Slack user group has the handle or ID %q (REPCOACH_OPS_GROUP); display names never count. Create a user group with handle %s and add your sales-ops people, or set REPCOACH_OPS_GROUP to an existing group's handle or ID, or list people in REPCOACH_OPS_USERS.", group, group), nil
	}
	members, err := d.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return "", fmt.Errorf("usergroups.users.list: %w", err)
	}
	if len(members) == 0 && len(d.Roles.Users) == 0 {
		return fmt.Sprintf("the user group @%s (REPCOACH_OPS_GROUP) has no members, so nobody is sales ops: add your sales-ops people to it, or list them in REPCOACH_OPS_USERS.", group), nil
	}
	return "", nil
}

// opsSet returns the ops group's members, read at most every opsMaxAge;
// when Slack fails to answer it keeps serving the last list it had.
func (d *Directory) opsSet(ctx context.Context) (map[string]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.opsAsOf.IsZero() && d.clock().Now().Sub(d.opsAsOf) < d.opsMaxAge {
		return d.ops, nil
	}
	id, err := d.opsGroupID(ctx)
	if err != nil {
		if d.ops != nil {
			return d.ops, nil
		}
		return nil, err
	}
	if id == "" {
		d.ops, d.opsAsOf = map[string]bool{}, d.clock().Now()
		return d.ops, nil
	}
	members, err := d.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		if d.ops != nil {
			return d.ops, nil
		}
		return nil, fmt.Errorf("usergroups.users.list: %w", err)
	}
	d.ops = make(map[string]bool, len(members))
	for _, m := range members {
		d.ops[m] = true
	}
	d.opsAsOf = d.clock().Now()
	return d.ops, nil
}

// opsGroupID finds the ops group's ID by exact handle or ID, never by
// name; d.mu is held. A group found is remembered for good (a group's ID
// never changes); a group not found is looked for again after opsMaxAge, so
// creating it later needs no restart.
func (d *Directory) opsGroupID(ctx context.Context) (string, error) {
	group := strings.TrimPrefix(d.Roles.Group, "@")
	if d.groupID != "" || group == "" {
		return d.groupID, nil
	}
	if !d.groupMissingAt.IsZero() && d.clock().Now().Sub(d.groupMissingAt) < d.opsMaxAge {
		return "", nil
	}
	groups, err := d.api.GetUserGroupsContext(ctx)
	if err != nil {
		return "", fmt.Errorf("usergroups.list: %w", err)
	}
	for _, g := range groups {
		if g.ID == group || g.Handle == group {
			d.groupID = g.ID
			return g.ID, nil
		}
	}
	d.groupMissingAt = d.clock().Now()
	return "", nil
}

// Locale returns a user's Slack language ("tr-TR", "en-US"): from the last
// users.list (asked with include_locale), else one users.info call. It
// never waits for Slack's rate limit: when users.info answers 429 (a
// fan-out to thousands of people exhausts its 100 a minute) it returns ""
// at once, and the caller falls back to the default language.
func (d *Directory) Locale(ctx context.Context, userID string) (string, error) {
	if v, ok := d.locales.Load(userID); ok {
		return v.(string), nil
	}
	u, err := d.api.GetUserInfoContext(ctx, userID)
	if _, limited := rateLimited(err); limited {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("users.info %s: %w", userID, err)
	}
	if u.Locale != "" {
		d.locales.Store(userID, u.Locale)
	}
	return u.Locale, nil
}
