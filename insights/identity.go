package insights

import "time"

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

// LinkBook is the outcome of the last identity refresh: every link, the
// clashes it found (sentences for sales ops), the CRM people left without
// a Slack user, the CRM data generation it read and when it ran.
type LinkBook struct {
	Links      map[string]Link `json:"links"` // Slack user ID → link
	Clashes    []string        `json:"clashes,omitempty"`
	Unmatched  []string        `json:"unmatched,omitempty"`
	Generation int64           `json:"generation"`
	At         time.Time       `json:"at"`
}
