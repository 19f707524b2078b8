package importer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/repcoach/repcoach/insights"
)

// sfOpportunities reads a Salesforce Opportunity export (API column names).
// IsWon and IsClosed decide the status where present, else StageName does;
// OwnerId is the rep; AccountId is replaced by the account's name when an
// Account export was read; LastStageChangeDate, else LastModifiedDate, is
// when the deal last moved.
func (im *importer) sfOpportunities(t *table, fs *FileSummary) error {
	var (
		cID       = t.col("id")
		cName     = t.col("name")
		cAccount  = t.col("accountid")
		cStage    = t.col("stagename")
		cAmount   = t.col("amount")
		cClose    = t.col("closedate")
		cIsClosed = t.col("isclosed")
		cIsWon    = t.col("iswon")
		cOwner    = t.col("ownerid")
		cCreated  = t.col("createddate")
		cMoved    = t.col("laststagechangedate", "lastmodifieddate")
		cProduct  = t.col("product__c", "product")
		cProb     = t.col("probability")
		cForecast = t.col("forecastcategoryname", "forecastcategory")
		cCurrency = t.col("currencyisocode")
	)
	return im.rows(t, fs, func(rec []string) error {
		im.presize(fs.Read, t.r.InputOffset())
		d := insights.Deal{ID: strings.Clone(field(rec, cID))}
		if d.ID == "" {
			return errors.New("Id is blank")
		}
		if d.Owner = insights.RepID(im.intern(field(rec, cOwner))); d.Owner == "" {
			return errors.New("OwnerId is blank")
		}
		if d.Stage = im.intern(field(rec, cStage)); d.Stage == "" {
			return errors.New("StageName is blank")
		}
		switch {
		case cIsWon >= 0 && parseBool(field(rec, cIsWon)):
			d.Status = insights.StatusWon
		case cIsClosed >= 0 && parseBool(field(rec, cIsClosed)):
			d.Status = insights.StatusLost
		case cIsClosed >= 0:
			d.Status = insights.StatusOpen
		default:
			d.Status = im.stageStatus(d.Stage)
		}
		var err error
		if d.Closed, err = im.date(field(rec, cClose)); err != nil {
			return fmt.Errorf("CloseDate %v", err)
		}
		if d.Status != insights.StatusOpen && d.Closed.IsZero() {
			return errors.New("closed deal has no CloseDate")
		}
		if d.Created, err = im.date(field(rec, cCreated)); err != nil {
			return fmt.Errorf("CreatedDate %v", err)
		}
		if d.Moved, err = im.date(field(rec, cMoved)); err != nil {
			return fmt.Errorf("%s %v", t.header[cMoved], err)
		}
		if d.Amount, d.AmountKnown, err = im.amount(field(rec, cAmount)); err != nil {
			return fmt.Errorf("Amount: %v", err)
		}
		if d.Probability, d.HasProbability, err = parseProbability(field(rec, cProb), true); err != nil {
			return fmt.Errorf("Probability: %v", err)
		}
		d.ForecastCategory = forecastCategory(field(rec, cForecast))
		d.Name = strings.Clone(field(rec, cName))
		d.Currency = im.intern(strings.ToUpper(field(rec, cCurrency)))
		d.Product = im.intern(field(rec, cProduct))
		if acc := field(rec, cAccount); acc != "" {
			if name, ok := im.accounts[acc]; ok {
				d.Account = name
			} else {
				d.Account = im.intern(acc)
			}
		}
		im.addDeal(d)
		return nil
	})
}

// sfTasks reads a Salesforce Task export: one activity per task, its kind
// from TaskSubtype, Type or Type__c, else the Subject, its time ActivityDate
// (the due date) or else CreatedDate.
func (im *importer) sfTasks(t *table, fs *FileSummary) error {
	return im.sfActivities(t, fs, insights.ActivityOther,
		t.col("activitydate", "createddate"), t.col("createddate"))
}

// sfEvents reads a Salesforce Event export: meetings unless the type says
// call or email, at ActivityDateTime or StartDateTime.
func (im *importer) sfEvents(t *table, fs *FileSummary) error {
	return im.sfActivities(t, fs, insights.ActivityMeeting,
		t.col("activitydatetime", "startdatetime", "activitydate"), t.col("createddate"))
}

func (im *importer) sfActivities(t *table, fs *FileSummary, def insights.ActivityKind, cAt, cCreated int) error {
	var (
		cID      = t.col("id")
		cOwner   = t.col("ownerid")
		cWhat    = t.col("whatid")
		cTypes   = []int{t.col("tasksubtype"), t.col("eventsubtype"), t.col("type"), t.col("type__c")}
		cSubject = t.col("subject")
	)
	return im.rows(t, fs, func(rec []string) error {
		a := insights.Activity{ID: strings.Clone(field(rec, cID)), Kind: def}
		if a.ID == "" {
			return errors.New("Id is blank")
		}
		if a.Owner = insights.RepID(im.intern(field(rec, cOwner))); a.Owner == "" {
			return errors.New("OwnerId is blank")
		}
		var err error
		if a.At, err = im.date(field(rec, cAt)); err != nil {
			return fmt.Errorf("%s %v", t.header[cAt], err)
		}
		if a.At.IsZero() && cCreated >= 0 {
			if a.At, err = im.date(field(rec, cCreated)); err != nil {
				return fmt.Errorf("CreatedDate %v", err)
			}
		}
		if a.At.IsZero() {
			return errors.New("no activity date")
		}
		a.Kind = sfKind(rec, cTypes, cSubject, def)
		if what := field(rec, cWhat); strings.HasPrefix(what, "006") {
			a.DealID = im.intern(what)
		}
		im.addActivity(a)
		return nil
	})
}

// sfKind decides an activity's kind: the first type column with a value
// other than the generic "Task" decides (Call, Email, Meeting, else other);
// with none, a subject that mentions a call, email or meeting does; else def.
func sfKind(rec []string, cTypes []int, cSubject int, def insights.ActivityKind) insights.ActivityKind {
	for _, c := range cTypes {
		v := field(rec, c)
		if v == "" || strings.EqualFold(v, "task") {
			continue
		}
		if k, ok := activityKind(v); ok {
			return k
		}
		return insights.ActivityOther
	}
	if k, ok := activityKind(field(rec, cSubject)); ok {
		return k
	}
	return def
}

// activityKind recognises call, email and meeting in a type or subject.
func activityKind(s string) (insights.ActivityKind, bool) {
	s = strings.ToLower(s)
	switch {
	case s == "":
		return "", false
	case strings.Contains(s, "call"):
		return insights.ActivityCall, true
	case strings.Contains(s, "email"), strings.Contains(s, "e-mail"):
		return insights.ActivityEmail, true
	case strings.Contains(s, "meeting"), strings.Contains(s, "demo"), s == "event":
		return insights.ActivityMeeting, true
	}
	return "", false
}

// sfAccounts reads a Salesforce Account export: Id -> Name, used to name
// opportunities' accounts.
func (im *importer) sfAccounts(t *table, fs *FileSummary) error {
	cID, cName := t.col("id"), t.col("name")
	return im.rows(t, fs, func(rec []string) error {
		id, name := field(rec, cID), field(rec, cName)
		if id == "" {
			return errors.New("Id is blank")
		}
		if name == "" {
			return errors.New("Name is blank")
		}
		im.accounts[strings.Clone(id)] = im.intern(name)
		return nil
	})
}

// sfUsers reads a users export (Id, Name or FirstName and LastName, Email,
// ManagerName or Manager.Name, Department/Division/UserRole.Name as team)
// into the OwnerId -> rep mapping. Options.Users wins over it. Users become
// reps only when they own deals or activities.
func (im *importer) sfUsers(t *table, fs *FileSummary) error {
	var (
		cID      = t.col("id")
		cName    = t.col("name")
		cFirst   = t.col("firstname")
		cLast    = t.col("lastname")
		cEmail   = t.col("email")
		cManager = t.col("managername", "manager.name", "manager")
		cTeam    = t.col("team", "userrole.name", "department", "division")
	)
	return im.rows(t, fs, func(rec []string) error {
		id := field(rec, cID)
		if id == "" {
			return errors.New("Id is blank")
		}
		name := field(rec, cName)
		if name == "" {
			name = strings.TrimSpace(field(rec, cFirst) + " " + field(rec, cLast))
		}
		if name == "" {
			return errors.New("no Name")
		}
		id = strings.Clone(id)
		im.users[id] = insights.Rep{
			ID:      insights.RepID(id),
			Name:    strings.Clone(name),
			Email:   strings.Clone(field(rec, cEmail)),
			Manager: im.intern(field(rec, cManager)),
			Team:    im.intern(field(rec, cTeam)),
		}
		return nil
	})
}
