package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Directory reads the workspace's people from Slack: the member list (for
// matching CRM reps), one user's time zone, and a user group's members. It
// waits out 429 answers rather than failing.
type Directory struct {
	api *slack.Client
	// Group is the handle of the user group whose members are sales ops.
	Group string

	mu        sync.Mutex
	groupID   string
	ops       map[string]bool
	opsAsOf   time.Time
	opsMaxAge time.Duration
}

// NewDirectory returns a directory reading through api.
func NewDirectory(api *slack.Client, opsGroup string) *Directory {
	return &Directory{api: api, Group: opsGroup, opsMaxAge: 5 * time.Minute}
}

// Members returns every active human member of the workspace, following
// users.list pages.
func (d *Directory) Members(ctx context.Context) ([]slack.User, error) {
	var all []slack.User
	p := d.api.GetUsersPaginated(slack.GetUsersOptionLimit(200))
	for {
		var err error
		p, err = p.Next(ctx)
		if p.Done(err) {
			break
		}
		if wait, ok := retryAfter(err); ok {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
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
	for {
		u, err := d.api.GetUserInfoContext(ctx, userID)
		if wait, ok := retryAfter(err); ok {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("users.info %s: %w", userID, err)
		}
		return u, nil
	}
}

// IsOps reports whether userID belongs to the ops user group. Membership
// is read at most every five minutes (usergroups.users.list is Tier 2). A
// workspace without that group has no ops.
func (d *Directory) IsOps(ctx context.Context, userID string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ops != nil && time.Since(d.opsAsOf) < d.opsMaxAge {
		return d.ops[userID], nil
	}
	id, err := d.opsGroupID(ctx)
	if err != nil || id == "" {
		return false, err
	}
	members, err := d.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return false, fmt.Errorf("usergroups.users.list: %w", err)
	}
	d.ops = make(map[string]bool, len(members))
	for _, m := range members {
		d.ops[m] = true
	}
	d.opsAsOf = time.Now()
	return d.ops[userID], nil
}

// opsGroupID finds the ops group's ID; d.mu is held.
func (d *Directory) opsGroupID(ctx context.Context) (string, error) {
	if d.groupID != "" || d.Group == "" {
		return d.groupID, nil
	}
	groups, err := d.api.GetUserGroupsContext(ctx)
	if err != nil {
		return "", fmt.Errorf("usergroups.list: %w", err)
	}
	for _, g := range groups {
		if g.Handle == d.Group || g.Name == d.Group {
			d.groupID = g.ID
		}
	}
	return d.groupID, nil
}

// retryAfter reports how long Slack asked us to wait, if err is a 429.
func retryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, 100*time.Millisecond), true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
