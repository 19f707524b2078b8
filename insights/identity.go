package insights

import (
	"encoding/json"
	"time"
)

// How a Slack user came to be linked to a CRM person, strongest first: the
// mapping file, a decision by sales ops, the email on the Slack profile,
// the full real name of a full member.
const (
	LinkByMapping = "mapping"
	LinkByOps     = "ops"
	LinkByEmail   = "email"
	LinkByName    = "name"
)

// Link is one Slack user's link to a CRM person (a RepID, or a manager's
// team key from ManagerTeam) and how it was made.
type Link struct {
	Rep RepID  `json:"rep"`
	How string `json:"how"`
}

// The kinds of Clash, each with the fields it sets.
const (
	// ClashClaimed: one Slack user (User) is claimed by several People by
	// one rule (How), and linked to none of them.
	ClashClaimed = "claimed"
	// ClashUserTaken: People[0] points by How at User, who is already
	// linked to People[1] (by Held): not linked.
	ClashUserTaken = "user-taken"
	// ClashPersonTaken: People[0] points by How at User, but is already
	// linked to Users[0] (by Held): not moved.
	ClashPersonTaken = "person-taken"
	// ClashCRMNamesake: Count people in the CRM share the name People[0],
	// so none is matched by name.
	ClashCRMNamesake = "crm-namesake"
	// ClashSlackNamesake: the Slack members Users share the full name of
	// People[0], so none is matched by name.
	ClashSlackNamesake = "slack-namesake"
	// ClashCopiedName: People[0] is linked to User (by Held); the members
	// Users show the same name and stay unlinked.
	ClashCopiedName = "copied-name"
)

// Clash is one conflict an identity refresh found between CRM people and
// Slack users, for sales ops to settle: a kind (the Clash* constants) and
// its arguments, so that each reader sees it in their own language. People
// are CRM names as written in the CRM (not escaped); User and Users are
// Slack user IDs; How and Held are Link* rules.
type Clash struct {
	Kind   string   `json:"kind"`
	User   string   `json:"user,omitempty"`
	People []string `json:"people,omitempty"`
	Users  []string `json:"users,omitempty"`
	How    string   `json:"how,omitempty"`  // the rule that made the claim
	Held   string   `json:"held,omitempty"` // how the link in the way was made
	Count  int      `json:"count,omitempty"`
}

// UnmarshalJSON reads a clash; a link book stored before clashes had
// kinds holds English sentences, read as a clash of no kind (the next
// refresh states it again).
func (c *Clash) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*c = Clash{}
		return nil
	}
	type plain Clash
	return json.Unmarshal(b, (*plain)(c))
}

// LinkBook is the outcome of the last identity refresh: every link, the
// clashes it found (for sales ops), the CRM people left without a Slack
// user, the CRM data generation it read and when it ran.
type LinkBook struct {
	Links      map[string]Link `json:"links"` // Slack user ID → link
	Clashes    []Clash         `json:"clashes,omitempty"`
	Unmatched  []string        `json:"unmatched,omitempty"`
	Generation int64           `json:"generation"`
	At         time.Time       `json:"at"`
}
