package importer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/repcoach/repcoach/insights"
)

// hubspotStages names the internal stage IDs of HubSpot's default pipeline,
// which some exports show instead of the labels.
var hubspotStages = map[string]string{
	"appointmentscheduled":  "Appointment Scheduled",
	"qualifiedtobuy":        "Qualified To Buy",
	"presentationscheduled": "Presentation Scheduled",
	"decisionmakerboughtin": "Decision Maker Bought-In",
	"contractsent":          "Contract Sent",
	"closedwon":             "Closed Won",
	"closedlost":            "Closed Lost",
}

// hubspotProbability is the win probability of each stage of HubSpot's
// default sales pipeline, used when the export has no probability column.
var hubspotProbability = map[string]float64{
	"appointmentscheduled":  0.2,
	"qualifiedtobuy":        0.4,
	"presentationscheduled": 0.6,
	"decisionmakerboughtin": 0.8,
	"contractsent":          0.9,
}

// hubspotDeals reads a HubSpot deals export: Deal ID (or Record ID), Deal
// Name, Deal Stage, Amount, Close Date, Create Date, Deal owner and,
// where present, Last Modified Date, Associated Company, Deal probability
// (else the default pipeline's probability of the stage) and Forecast
// category. The owner's
// name is the rep ID; "Ana Diaz (ana@x.com)" also gives the rep's email.
func (im *importer) hubspotDeals(t *table, fs *FileSummary) error {
	var (
		cID      = t.col("deal id", "record id")
		cName    = t.col("deal name")
		cStage   = t.col("deal stage")
		cAmount  = t.col("amount")
		cClose   = t.col("close date")
		cCreated = t.col("create date")
		cOwner   = t.col("deal owner")
		cMoved   = t.col("last modified date", "last activity date")
		cAccount = t.col("associated company", "company name", "associated company (primary)")
		cProb    = t.col("deal probability", "deal stage probability", "probability", "hs_deal_stage_probability")
		cFcat    = t.col("forecast category", "hs_manual_forecast_category")
		cCur     = t.col("deal currency code", "deal_currency_code", "currency")
	)
	return im.rows(t, fs, func(rec []string) error {
		im.presize(fs.Read, t.r.InputOffset())
		d := insights.Deal{ID: strings.Clone(field(rec, cID))}
		if d.ID == "" {
			return fmt.Errorf("%s is blank", t.header[cID])
		}
		name, email := splitOwner(field(rec, cOwner))
		if name == "" {
			return errors.New("Deal owner is blank")
		}
		d.Owner = insights.RepID(im.intern(name))
		if email != "" {
			im.addRep(insights.Rep{ID: d.Owner, Name: string(d.Owner), Email: im.intern(email)})
		}
		stage := field(rec, cStage)
		if label, ok := hubspotStages[strings.ToLower(stage)]; ok {
			stage = label
		}
		if d.Stage = im.intern(stage); d.Stage == "" {
			return errors.New("Deal Stage is blank")
		}
		d.Status = im.stageStatus(d.Stage)
		var err error
		if d.Closed, err = im.date(field(rec, cClose)); err != nil {
			return fmt.Errorf("Close Date %v", err)
		}
		if d.Status != insights.StatusOpen && d.Closed.IsZero() {
			return errors.New("closed deal has no Close Date")
		}
		if d.Created, err = im.date(field(rec, cCreated)); err != nil {
			return fmt.Errorf("Create Date %v", err)
		}
		if d.Moved, err = im.date(field(rec, cMoved)); err != nil {
			return fmt.Errorf("%s %v", t.header[cMoved], err)
		}
		if d.Amount, d.AmountKnown, err = im.amount(field(rec, cAmount)); err != nil {
			return fmt.Errorf("Amount: %v", err)
		}
		if d.Probability, d.HasProbability, err = parseProbability(field(rec, cProb), false); err != nil {
			return fmt.Errorf("Deal probability: %v", err)
		}
		if p, ok := hubspotProbability[stageKey(d.Stage)]; ok && !d.HasProbability && d.Status == insights.StatusOpen {
			d.Probability, d.HasProbability = p, true
		}
		d.ForecastCategory = forecastCategory(field(rec, cFcat))
		d.Name = strings.Clone(field(rec, cName))
		d.Currency = im.intern(strings.ToUpper(field(rec, cCur)))
		d.Account = im.intern(field(rec, cAccount))
		im.addDeal(d)
		return nil
	})
}

// splitOwner splits "Ana Diaz (ana@x.com)" or "Ana Diaz <ana@x.com>" into
// name and email; a bare email is both.
func splitOwner(s string) (name, email string) {
	for _, br := range []string{"()", "<>"} {
		if i := strings.LastIndexByte(s, br[0]); i > 0 && strings.HasSuffix(s, br[1:]) {
			if e := s[i+1 : len(s)-1]; strings.Contains(e, "@") {
				return strings.TrimSpace(s[:i]), strings.TrimSpace(e)
			}
		}
	}
	if strings.Contains(s, "@") && !strings.Contains(s, " ") {
		return s, s
	}
	return s, ""
}
