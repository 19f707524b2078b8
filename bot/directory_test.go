package bot

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
)

func newFakeDirectory(t *testing.T, cfg slackfake.Config) (*slackfake.Server, *Directory) {
	t.Helper()
	fake, err := slackfake.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	api := NewAPI("xoxb-fake", "xapp-1-fake", fake.APIURL(), http.DefaultClient)
	return fake, NewDirectory(api, Roles{Group: "sales-ops"})
}

// Finding 1: a group *named* like the ops group made its creator ops and
// locked the real ops out.
func TestOpsGroupLookAlikeByName(t *testing.T) {
	ctx := context.Background()
	fake, dir := newFakeDirectory(t, slackfake.Config{})
	const rep, ops = "U11REPWST1", "U02OPSLEAD"
	// A rep creates a group with another handle but the ops group's name;
	// it sorts after the real one.
	fake.AddUserGroup("sales-ops-fans", "sales-ops", rep)

	if got, err := dir.IsOps(ctx, rep); err != nil || got {
		t.Errorf("IsOps(rep in a look-alike group) = %v, %v; want false", got, err)
	}
	if got, err := dir.IsOps(ctx, ops); err != nil || !got {
		t.Errorf("IsOps(real ops) = %v, %v; want true", got, err)
	}
}

func TestOpsRoles(t *testing.T) {
	ctx := context.Background()
	salesOps := slackfake.DefaultUserGroups()["sales-ops"]
	tests := []struct {
		name      string
		roles     Roles
		wantOps   []string
		wantWarn  bool
		lookAlike bool
	}{
		{"by handle", Roles{Group: "sales-ops"}, salesOps, false, false},
		{"by handle with @", Roles{Group: "@sales-ops"}, salesOps, false, false},
		{"by ID", Roles{Group: slackfake.UserGroupID("sales-ops")}, salesOps, false, false},
		{"name only never matches", Roles{Group: "Sales Operations"}, nil, true, true},
		{"users only", Roles{Users: []string{"U0CUSTOM1", "U02OPSLEAD"}}, []string{"U02OPSLEAD", "U0CUSTOM1"}, false, false},
		{"group and users", Roles{Group: "sales-ops", Users: []string{"U0CUSTOM1"}}, append(slices.Clone(salesOps), "U0CUSTOM1"), false, false},
		{"missing group", Roles{Group: "no-such-group"}, nil, true, false},
		{"missing group, users still count", Roles{Group: "no-such-group", Users: []string{"U0CUSTOM1"}}, []string{"U0CUSTOM1"}, true, false},
		{"empty group", Roles{Group: "empty-ops"}, nil, true, false},
		{"nothing configured", Roles{}, nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, dir := newFakeDirectory(t, slackfake.Config{})
			fake.AddUserGroup("empty-ops", "empty-ops")
			fake.AddUserGroup("sales-operations", "Sales Operations", "U11REPWST1")
			dir.Roles = tt.roles
			got, err := dir.Ops(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(tt.wantOps))
			if !slices.Equal(got, want) {
				t.Errorf("Ops = %v, want %v", got, want)
			}
			warn, err := dir.CheckRoles(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if (warn != "") != tt.wantWarn {
				t.Errorf("CheckRoles warning = %q, want a warning: %v", warn, tt.wantWarn)
			}
		})
	}
}

// The ops group's ID is looked up once, not on every permission check, and
// its members at most every opsMaxAge.
func TestOpsGroupIDCached(t *testing.T) {
	ctx := context.Background()
	fake, dir := newFakeDirectory(t, slackfake.Config{})
	dir.opsMaxAge = time.Nanosecond // members re-read every time
	for range 5 {
		if ok, err := dir.IsOps(ctx, "U02OPSLEAD"); err != nil || !ok {
			t.Fatalf("IsOps = %v, %v", ok, err)
		}
	}
	if n := fake.Calls("usergroups.list"); n != 1 {
		t.Errorf("usergroups.list called %d times for 5 checks, want 1", n)
	}
	if n := fake.Calls("usergroups.users.list"); n != 5 {
		t.Errorf("usergroups.users.list called %d times, want 5 (max age 1 ns)", n)
	}

	// A missing group is not looked for again on every check either.
	fake2, dir2 := newFakeDirectory(t, slackfake.Config{})
	dir2.Roles = Roles{Group: "no-such-group"}
	for range 5 {
		if ok, err := dir2.IsOps(ctx, "U02OPSLEAD"); err != nil || ok {
			t.Fatalf("IsOps with a missing group = %v, %v", ok, err)
		}
	}
	if n := fake2.Calls("usergroups.list"); n != 1 {
		t.Errorf("usergroups.list called %d times for a missing group, want 1 within the max age", n)
	}
}
