package importer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/repcoach/repcoach/insights"
)

// productKey folds a product or account name for matching: lower case, no
// spaces, so the pipeline's "GTXPro" finds products.csv's "GTX Pro".
func productKey(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

// canonicalProduct returns the products.csv spelling of p, if known.
func (im *importer) canonicalProduct(p string) string {
	if p == "" {
		return ""
	}
	if c, ok := im.canon[p]; ok {
		return c
	}
	c, ok := im.products[productKey(p)]
	if !ok {
		c = im.intern(p)
	}
	if len(im.canon) < maxInterned {
		im.canon[strings.Clone(p)] = c
	}
	return c
}

// mavenPipeline reads sales_pipeline.csv: one deal per row, the rep named by
// sales_agent, status from deal_stage (Won, Lost; Engaging and Prospecting
// are open).
func (im *importer) mavenPipeline(t *table, fs *FileSummary) error {
	var (
		cID      = t.col("opportunity_id")
		cAgent   = t.col("sales_agent")
		cProduct = t.col("product")
		cAccount = t.col("account")
		cStage   = t.col("deal_stage")
		cEngage  = t.col("engage_date")
		cClose   = t.col("close_date")
		cValue   = t.col("close_value")
	)
	return im.rows(t, fs, func(rec []string) error {
		im.presize(fs.Read, t.r.InputOffset())
		d := insights.Deal{ID: field(rec, cID)}
		if d.ID == "" {
			return errors.New("opportunity_id is blank")
		}
		d.ID = strings.Clone(d.ID)
		if d.Owner = insights.RepID(im.intern(field(rec, cAgent))); d.Owner == "" {
			return errors.New("sales_agent is blank")
		}
		if d.Stage = im.intern(field(rec, cStage)); d.Stage == "" {
			return errors.New("deal_stage is blank")
		}
		d.Status = im.stageStatus(d.Stage)
		var err error
		if d.Created, err = im.date(field(rec, cEngage)); err != nil {
			return fmt.Errorf("engage_date %v", err)
		}
		if d.Closed, err = im.date(field(rec, cClose)); err != nil {
			return fmt.Errorf("close_date %v", err)
		}
		if d.Status != insights.StatusOpen && d.Closed.IsZero() {
			return fmt.Errorf("%s deal has no close_date", d.Stage)
		}
		if !d.Created.IsZero() && d.Closed.Before(d.Created) && !d.Closed.IsZero() {
			return errors.New("close_date is before engage_date")
		}
		if d.Amount, d.AmountKnown, err = im.amount(field(rec, cValue)); err != nil {
			return fmt.Errorf("close_value: %v", err)
		}
		d.Product = im.canonicalProduct(field(rec, cProduct))
		d.Account = im.intern(field(rec, cAccount))
		if !d.Created.IsZero() {
			d.History = append(d.History, insights.StageChange{Stage: "Engaging", At: d.Created})
		}
		if d.Status != insights.StatusOpen {
			d.History = append(d.History, insights.StageChange{Stage: d.Stage, At: d.Closed})
		}
		im.addDeal(d)
		return nil
	})
}

// mavenTeams reads sales_teams.csv: one rep per row, ID and name the
// sales_agent, team the regional_office.
func (im *importer) mavenTeams(t *table, fs *FileSummary) error {
	cAgent, cManager, cOffice := t.col("sales_agent"), t.col("manager"), t.col("regional_office")
	return im.rows(t, fs, func(rec []string) error {
		name := im.intern(field(rec, cAgent))
		if name == "" {
			return errors.New("sales_agent is blank")
		}
		im.addRep(insights.Rep{
			ID:      insights.RepID(name),
			Name:    name,
			Manager: im.intern(field(rec, cManager)),
			Team:    im.intern(field(rec, cOffice)),
		})
		return nil
	})
}

// mavenProducts reads products.csv into Dataset.ListPrices.
func (im *importer) mavenProducts(t *table, fs *FileSummary) error {
	cProduct, cPrice := t.col("product"), t.col("sales_price")
	return im.rows(t, fs, func(rec []string) error {
		name := im.intern(field(rec, cProduct))
		if name == "" {
			return errors.New("product is blank")
		}
		price, known, err := im.amount(field(rec, cPrice))
		if err != nil {
			return fmt.Errorf("sales_price: %v", err)
		}
		if !known {
			return errors.New("sales_price is blank")
		}
		if im.ds.ListPrices == nil {
			im.ds.ListPrices = map[string]float64{}
		}
		im.ds.ListPrices[name] = price
		im.products[productKey(name)] = name
		return nil
	})
}

// mavenAccounts reads accounts.csv. Deals already carry the account name, so
// the file only checks that names are present; sector and the rest are not
// part of the domain.
func (im *importer) mavenAccounts(t *table, fs *FileSummary) error {
	cAccount := t.col("account")
	return im.rows(t, fs, func(rec []string) error {
		if field(rec, cAccount) == "" {
			return errors.New("account is blank")
		}
		return nil
	})
}
