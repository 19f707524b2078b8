package slackfake

import (
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // user time zones must resolve on machines without a zoneinfo database
)

// User is a workspace member.
type User struct {
	ID       string
	Name     string // handle, e.g. "ana.souza"
	RealName string
	// DisplayName is the profile's display name, which the member edits at
	// will (default: Name).
	DisplayName string
	Email       string
	TZ          string // IANA name, e.g. "America/Los_Angeles"; empty means UTC
	TZOffset    int    // seconds east of UTC; when 0, computed from TZ at Config.Now on each answer
	IsBot       bool
	Deleted     bool
	// Restricted is a multi-channel guest, UltraRestricted a single-channel
	// guest (is_restricted / is_ultra_restricted).
	Restricted, UltraRestricted bool
	Locale                      string // Slack language, e.g. "tr-TR"; users.info and users.list say "en-US" when empty
}

// DefaultUsers returns the seeded workspace of 32 members: the RepCoach bot (BotUserID), Slackbot
// (no email, as in real workspaces), a deactivated rep, and 29 people in sales (a manager and
// reps in each of the Americas West, Americas East, EMEA and APAC teams, plus two reps who share
// a full name), ops and leadership, in time zones from America/Los_Angeles (UTC-8) through
// Europe/London, Asia/Kolkata (UTC+5:30) to Australia/Sydney. Emails are handle@repcoach.example.
func DefaultUsers() []User {
	p := func(id, name, real, tz string) User {
		return User{ID: id, Name: name, RealName: real, Email: name + "@repcoach.example", TZ: tz}
	}
	return []User{
		{ID: BotUserID, Name: "repcoach", RealName: "RepCoach", TZ: "America/Los_Angeles", IsBot: true},
		{ID: "USLACKBOT", Name: "slackbot", RealName: "Slackbot", TZ: "America/Los_Angeles"},
		// Leadership and ops.
		p("U01VPSALES", "olivia.hart", "Olivia Hart", "America/New_York"),
		p("U02OPSLEAD", "sam.rivera", "Sam Rivera", "America/Chicago"),
		p("U03OPSANLY", "priya.nair", "Priya Nair", "Asia/Kolkata"),
		p("U04OPSEMEA", "tom.becker", "Tom Becker", "Europe/Berlin"),
		// Americas West: manager and reps.
		p("U10MGRWEST", "dana.whitfield", "Dana Whitfield", "America/Los_Angeles"),
		p("U11REPWST1", "ana.souza", "Ana Souza", "America/Los_Angeles"),
		p("U12REPWST2", "marcus.lee", "Marcus Lee", "America/Los_Angeles"),
		p("U13REPWST3", "jordan.kim", "Jordan Kim", "America/Denver"),
		p("U14REPWST4", "lucia.fernandez", "Lucía Fernández", "America/Los_Angeles"),
		p("U15REPWST5", "ben.okafor", "Ben Okafor", "America/Phoenix"),
		// Americas East.
		p("U20MGREAST", "rachel.cohen", "Rachel Cohen", "America/New_York"),
		p("U21REPEST1", "david.martin", "David Martin", "America/New_York"),
		p("U22REPEST2", "keisha.brown", "Keisha Brown", "America/New_York"),
		p("U23REPEST3", "ethan.walsh", "Ethan Walsh", "America/Toronto"),
		p("U24REPEST4", "sofia.garcia", "Sofía García", "America/Chicago"),
		// EMEA.
		p("U30MGREMEA", "james.whitaker", "James Whitaker", "Europe/London"),
		p("U31REPEMA1", "emma.clarke", "Emma Clarke", "Europe/London"),
		p("U32REPEMA2", "lukas.schmidt", "Lukas Schmidt", "Europe/Berlin"),
		p("U33REPEMA3", "chloe.dubois", "Chloé Dubois", "Europe/Paris"),
		p("U34REPEMA4", "oisin.murphy", "Oisín Murphy", "Europe/Dublin"),
		p("U35REPEMA5", "amara.diallo", "Amara Diallo", "UTC"),
		// APAC.
		p("U40MGRAPAC", "arjun.mehta", "Arjun Mehta", "Asia/Kolkata"),
		p("U41REPAPC1", "kavya.reddy", "Kavya Reddy", "Asia/Kolkata"),
		p("U42REPAPC2", "rahul.sharma", "Rahul Sharma", "Asia/Kolkata"),
		p("U43REPAPC3", "yuki.tanaka", "Yuki Tanaka", "Asia/Tokyo"),
		p("U44REPAPC4", "liam.wilson", "Liam Wilson", "Australia/Sydney"),
		p("U45REPAPC5", "mei.lin", "Mei Lin", "Asia/Singapore"),
		// Two people who share a full name, and a deactivated rep whose email still resolves in
		// the CRM: both are cases identity matching must survive.
		p("U50REPDUP1", "alex.morgan", "Alex Morgan", "America/Los_Angeles"),
		p("U51REPDUP2", "alex.morgan2", "Alex Morgan", "Europe/London"),
		{ID: "U59REPGONE", Name: "chris.old", RealName: "Chris Oldham", Email: "chris.old@repcoach.example", TZ: "America/New_York", Deleted: true},
	}
}

// DefaultUserGroups returns the seeded user groups: "sales-ops" (ops and the VP of sales),
// "sales-managers" and "sales-reps".
func DefaultUserGroups() map[string][]string {
	return map[string][]string{
		"sales-ops":      {"U01VPSALES", "U02OPSLEAD", "U03OPSANLY", "U04OPSEMEA"},
		"sales-managers": {"U10MGRWEST", "U20MGREAST", "U30MGREMEA", "U40MGRAPAC"},
		"sales-reps": {"U11REPWST1", "U12REPWST2", "U13REPWST3", "U14REPWST4", "U15REPWST5",
			"U21REPEST1", "U22REPEST2", "U23REPEST3", "U24REPEST4",
			"U31REPEMA1", "U32REPEMA2", "U33REPEMA3", "U34REPEMA4", "U35REPEMA5",
			"U41REPAPC1", "U42REPAPC2", "U43REPAPC3", "U44REPAPC4", "U45REPAPC5",
			"U50REPDUP1", "U51REPDUP2"},
	}
}

// UserGroupID is the ID the fake gives the user group with this handle: "sales-ops" is
// "S0SALESOPS".
func UserGroupID(handle string) string {
	return "S0" + strings.ToUpper(strings.NewReplacer("-", "", ".", "", "_", "").Replace(handle))
}

// directory holds users and user groups. It is guarded by Server.mu.
type directory struct {
	users  []User // in insertion order, the order of users.list
	byID   map[string]int
	groups []userGroup
}

type userGroup struct {
	ID, Handle, Name string
	Members          []string
}

func newDirectory(users []User, groups map[string][]string) directory {
	d := directory{byID: map[string]int{}}
	d.add(users...)
	handles := make([]string, 0, len(groups))
	for h := range groups {
		handles = append(handles, h)
	}
	sort.Strings(handles)
	for _, h := range handles {
		d.groups = append(d.groups, userGroup{ID: UserGroupID(h), Handle: h, Name: h, Members: append([]string(nil), groups[h]...)})
	}
	return d
}

// add inserts or replaces users by ID.
func (d *directory) add(users ...User) {
	for _, u := range users {
		if i, ok := d.byID[u.ID]; ok {
			d.users[i] = u
			continue
		}
		d.byID[u.ID] = len(d.users)
		d.users = append(d.users, u)
	}
}

func (d *directory) user(id string) (User, bool) {
	i, ok := d.byID[id]
	if !ok {
		return User{}, false
	}
	return d.users[i], true
}

// byEmail finds an active user by email, case-insensitively.
func (d *directory) byEmail(email string) (User, bool) {
	for _, u := range d.users {
		if !u.Deleted && u.Email != "" && strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return User{}, false
}

func (d *directory) group(id string) (userGroup, bool) {
	for _, g := range d.groups {
		if g.ID == id {
			return g, true
		}
	}
	return userGroup{}, false
}

// AddUserGroup creates a user group with this handle and display name (any
// member may create one in a real workspace, and names need not be unique),
// listed after the existing groups, and returns its ID. An existing group
// with the handle is replaced.
func (s *Server) AddUserGroup(handle, name string, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := userGroup{ID: UserGroupID(handle), Handle: handle, Name: name, Members: append([]string(nil), members...)}
	for i := range s.dir.groups {
		if s.dir.groups[i].Handle == handle {
			s.dir.groups[i] = g
			return g.ID
		}
	}
	s.dir.groups = append(s.dir.groups, g)
	return g.ID
}

// AddUsers adds users to the workspace, replacing any with the same ID.
func (s *Server) AddUsers(u ...User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.add(u...)
}

func tzOffset(tz string, now time.Time) int {
	_, off := now.In(location(tz)).Zone()
	return off
}

func location(tz string) *time.Location {
	if tz == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

// tzNames returns Slack's tz_label texts for a zone the default users live in, standard and
// summer, and false for other zones.
func tzNames(tz string) (std, summer string, ok bool) {
	switch tz {
	case "America/Los_Angeles":
		return "Pacific Standard Time", "Pacific Daylight Time", true
	case "America/Denver", "America/Phoenix":
		return "Mountain Standard Time", "Mountain Daylight Time", true
	case "America/Chicago":
		return "Central Standard Time", "Central Daylight Time", true
	case "America/New_York", "America/Toronto":
		return "Eastern Standard Time", "Eastern Daylight Time", true
	case "Europe/London":
		return "Greenwich Mean Time", "British Summer Time", true
	case "Europe/Dublin":
		return "Greenwich Mean Time", "Irish Standard Time", true
	case "Europe/Berlin", "Europe/Paris":
		return "Central European Time", "Central European Summer Time", true
	case "Asia/Kolkata":
		return "India Standard Time", "", true
	case "Asia/Tokyo":
		return "Japan Standard Time", "", true
	case "Asia/Singapore":
		return "Singapore Standard Time", "", true
	case "Australia/Sydney":
		return "Australian Eastern Standard Time", "Australian Eastern Daylight Time", true
	case "UTC":
		return "Coordinated Universal Time", "", true
	}
	return "", "", false
}

// tzLabel is the zone's display name at now, or its abbreviation for zones without one above.
func tzLabel(tz string, now time.Time) string {
	if tz == "" {
		tz = "UTC"
	}
	t := now.In(location(tz))
	if std, summer, ok := tzNames(tz); ok {
		if t.IsDST() {
			return summer
		}
		return std
	}
	abbr, _ := t.Zone()
	return abbr
}

// Uninstall revokes every token, as uninstalling the app from the
// workspace does: later calls fail with token_revoked. Send the
// app_uninstalled and tokens_revoked events with SendEvent.
func (s *Server) Uninstall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uninstalled = true
	s.notifyLocked()
}
