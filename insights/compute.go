package insights

import "time"

// Team keys name the groups a TeamReport covers.
const (
	// TeamAll is the key of the report covering every rep.
	TeamAll = "all"
)

// ManagerTeam returns the team key of the reps reporting to manager.
func ManagerTeam(manager string) string { return "manager:" + manager }

// OfficeTeam returns the team key of the reps in an office or region.
func OfficeTeam(office string) string { return "office:" + office }

// Snapshot holds every report computed from one dataset at one moment: a
// RepReport for every rep and standard period, and a TeamReport for every
// manager's team, every office and all reps, for every standard period.
type Snapshot struct {
	AsOf  time.Time    `json:"as_of"`
	Reps  []RepReport  `json:"reps"`
	Teams []TeamReport `json:"teams"`
}
