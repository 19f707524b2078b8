package importer

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/repcoach/repcoach/insights"
)

// genericFields are the fields a generic deals file may map.
var genericFields = []string{"id", "name", "owner", "stage", "status", "amount", "created", "closed", "moved", "product", "account", "manager", "team", "email", "currency"}

// genericAliases are the column names tried, in order, for an unmapped
// field (after the field's own name).
var genericAliases = map[string][]string{
	"id":       {"id", "deal_id", "deal id", "opportunity_id", "opportunity id"},
	"name":     {"name", "deal_name", "deal name", "opportunity_name"},
	"owner":    {"owner", "owner_id", "rep", "rep_id", "sales_agent", "deal_owner", "deal owner"},
	"stage":    {"stage", "deal_stage", "deal stage"},
	"status":   {"status", "deal_status"},
	"amount":   {"amount", "value", "close_value", "deal_value"},
	"created":  {"created", "created_date", "create_date", "created_at", "engage_date"},
	"closed":   {"closed", "close_date", "closed_date", "expected_close"},
	"moved":    {"moved", "last_modified", "modified", "updated", "updated_at", "last_activity"},
	"product":  {"product"},
	"account":  {"account", "company", "account_name"},
	"manager":  {"manager", "owner_manager"},
	"team":     {"team", "office", "regional_office"},
	"email":    {"email", "owner_email", "rep_email"},
	"currency": {"currency", "currency_code", "deal_currency_code", "currencyisocode"},
}

func isGenericField(f string) bool { return slices.Contains(genericFields, f) }

// aliasReq is the detection requirement for a field: any of its aliases.
func aliasReq(f string) string { return strings.Join(genericAliases[f], "|") }

// genericColumns resolves each generic field to a column index (-1 when
// absent). A mapped column that is missing is an error, as is a file
// without id, owner and one of stage or status.
func (im *importer) genericColumns(t *table) (map[string]int, error) {
	cols := make(map[string]int, len(genericFields))
	var missing []string
	for _, f := range genericFields {
		if c, ok := im.opts.Mapping[f]; ok {
			i := t.col(normCol(c))
			if i < 0 {
				missing = append(missing, fmt.Sprintf("%s (mapped from %s)", c, f))
			}
			cols[f] = i
			continue
		}
		cols[f] = t.col(genericAliases[f]...)
	}
	for _, f := range []string{"id", "owner"} {
		if _, mapped := im.opts.Mapping[f]; cols[f] < 0 && !mapped {
			missing = append(missing, f)
		}
	}
	if cols["stage"] < 0 && cols["status"] < 0 && im.opts.Mapping["stage"] == "" && im.opts.Mapping["status"] == "" {
		missing = append(missing, "stage or status")
	}
	if len(missing) > 0 {
		return nil, errors.New(strings.Join(missing, ", "))
	}
	return cols, nil
}

// genericDeals reads a generic deals file, one deal per row. The status
// column (open/won/lost, "Closed Won", ...) wins over the stage; without
// it, stages named Won/Closed Won or Lost/Closed Lost (or in
// Options.WonStages/LostStages) close the deal. Manager, team and email
// columns describe the owner and fill in the owner's rep.
func (im *importer) genericDeals(t *table, fs *FileSummary) error {
	c, err := im.genericColumns(t)
	if err != nil {
		return fmt.Errorf("%s: missing columns for generic deals: %w", t.path, err)
	}
	var (
		cID, cName, cOwner, cStage, cStatus = c["id"], c["name"], c["owner"], c["stage"], c["status"]
		cAmount, cCreated, cClosed, cMoved  = c["amount"], c["created"], c["closed"], c["moved"]
		cProduct, cAccount                  = c["product"], c["account"]
		cManager, cTeam, cEmail             = c["manager"], c["team"], c["email"]
		cCurrency                           = c["currency"]
		repInfo                             = cManager >= 0 || cTeam >= 0 || cEmail >= 0
	)
	return im.rows(t, fs, func(rec []string) error {
		im.presize(fs.Read, t.r.InputOffset())
		d := insights.Deal{ID: strings.Clone(field(rec, cID))}
		if d.ID == "" {
			return fmt.Errorf("%s is blank", t.header[cID])
		}
		if d.Owner = insights.RepID(im.intern(field(rec, cOwner))); d.Owner == "" {
			return fmt.Errorf("%s is blank", t.header[cOwner])
		}
		d.Stage = im.intern(field(rec, cStage))
		status := field(rec, cStatus)
		st, ok, err := parseStatus(status)
		switch {
		case err != nil:
			return err
		case ok:
			d.Status = st
		case d.Stage != "":
			d.Status = im.stageStatus(d.Stage)
			if st == statusClosed && d.Status == insights.StatusOpen {
				return fmt.Errorf("status %q but stage %q is neither won nor lost", status, d.Stage)
			}
		default:
			return errors.New("no stage or status")
		}
		if d.Stage == "" {
			d.Stage = defaultStage[d.Status]
		}
		if d.Amount, d.AmountKnown, err = im.amount(field(rec, cAmount)); err != nil {
			return err
		}
		if d.Created, err = im.date(field(rec, cCreated)); err != nil {
			return fmt.Errorf("%s %v", t.header[cCreated], err)
		}
		if d.Closed, err = im.date(field(rec, cClosed)); err != nil {
			return fmt.Errorf("%s %v", t.header[cClosed], err)
		}
		if d.Status != insights.StatusOpen && d.Closed.IsZero() {
			return fmt.Errorf("%s deal has no close date", d.Status)
		}
		if d.Moved, err = im.date(field(rec, cMoved)); err != nil {
			return fmt.Errorf("%s %v", t.header[cMoved], err)
		}
		d.Name = strings.Clone(field(rec, cName))
		d.Currency = im.intern(strings.ToUpper(field(rec, cCurrency)))
		d.Product = im.intern(field(rec, cProduct))
		d.Account = im.intern(field(rec, cAccount))
		if repInfo {
			r := insights.Rep{
				ID:      d.Owner,
				Manager: im.intern(field(rec, cManager)),
				Team:    im.intern(field(rec, cTeam)),
				Email:   im.intern(field(rec, cEmail)),
			}
			if r.Manager != "" || r.Team != "" || r.Email != "" {
				im.addRep(r)
			}
		}
		im.addDeal(d)
		return nil
	})
}

var defaultStage = map[insights.Status]string{
	insights.StatusOpen: "Open",
	insights.StatusWon:  "Won",
	insights.StatusLost: "Lost",
}

// genericReps reads a reps file: id (or name), name, email, manager and
// team (or office). A blank id takes the name.
func (im *importer) genericReps(t *table, fs *FileSummary) error {
	var (
		cID      = t.col("id", "rep_id")
		cName    = t.col("name", "rep_name", "full_name")
		cEmail   = t.col("email")
		cManager = t.col("manager")
		cTeam    = t.col("team", "office", "regional_office")
	)
	return im.rows(t, fs, func(rec []string) error {
		r := insights.Rep{
			ID:      insights.RepID(im.intern(field(rec, cID))),
			Name:    im.intern(field(rec, cName)),
			Email:   im.intern(field(rec, cEmail)),
			Manager: im.intern(field(rec, cManager)),
			Team:    im.intern(field(rec, cTeam)),
		}
		if r.ID == "" {
			r.ID = insights.RepID(r.Name)
		}
		if r.ID == "" {
			return errors.New("no id or name")
		}
		if r.Name == "" {
			r.Name = string(r.ID)
		}
		im.addRep(r)
		return nil
	})
}
