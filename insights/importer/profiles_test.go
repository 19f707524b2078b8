package importer

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/sample"
)

// salesforceWant is what a Salesforce export folder holds: counts, one
// open deal field by field, and the activities' kinds.
type salesforceWant struct {
	deals, won, lost, open         int
	owner                          string
	deal                           insights.Deal // Created and Moved are the same timestamp
	closed                         time.Time     // the deal's CloseDate, midnight in the team's zone
	activities, onDeals            int           // activities, and those whose WhatId is an opportunity
	calls, emails, meetings, other int
	accountID                      string // the deal's AccountId, kept when Account.csv is absent
}

func TestImportSalesforce(t *testing.T) {
	team := time.FixedZone("team", -5*3600)
	wants := map[string]salesforceWant{
		"shared": {
			deals: 50, won: 12, lost: 3, open: 35, owner: "005Ec000004oBPNIA2",
			deal: insights.Deal{
				ID: "006Ec00000AieKFIAZ", Name: "Patterson-Hansen - Merchant Services - November 2024",
				Stage: "Qualification", Amount: 1124741.15, Created: time.Date(2024, 1, 22, 16, 14, 25, 0, time.UTC),
				Product: "Merchant Services", Account: "Patterson-Hansen",
				// Probability 10 and ForecastCategoryName Pipeline in the export.
				Probability: 0.1, HasProbability: true, ForecastCategory: insights.ForecastPipeline,
			},
			closed:     time.Date(2024, 11, 10, 0, 0, 0, 0, team),
			activities: 75, onDeals: 0, calls: 17, emails: 18, meetings: 12, other: 28, // Type__c in the sample
			accountID: "001Ec00000GGw3iIAD",
		},
		"testdata": {
			deals: 6, won: 2, lost: 1, open: 3, owner: "005RC000001AaaaAAA",
			deal: insights.Deal{
				ID: "006RC00000Opp004AAA", Name: "Fabrikam - Merchant Services - November 2024",
				Stage: "Qualification", Amount: 310000, Created: time.Date(2024, 1, 22, 16, 14, 25, 0, time.UTC),
				Product: "Merchant Services", Account: "Fabrikam",
				Probability: 0.1, HasProbability: true, ForecastCategory: insights.ForecastPipeline,
			},
			closed:     time.Date(2024, 11, 10, 0, 0, 0, 0, team),
			activities: 4, onDeals: 3, calls: 1, emails: 1, meetings: 1, other: 1,
			accountID: "001RC00000Acc003AAA",
		},
	}
	for set, dir := range dataSets(t, salesforceFixture, salesforceDir) {
		t.Run(set, func(t *testing.T) { importSalesforce(t, dir, team, wants[set]) })
	}
}

func importSalesforce(t *testing.T, salesforceDir string, team *time.Location, w salesforceWant) {
	res, err := Import([]string{salesforceDir}, Options{Location: team})
	if err != nil {
		t.Fatal(err)
	}
	ds := res.Dataset
	status := map[insights.Status]int{}
	for _, d := range ds.Deals {
		status[d.Status]++
	}
	if got, want := len(ds.Deals), w.deals; got != want {
		t.Errorf("deals: got %d, want %d", got, want)
	}
	if status[insights.StatusWon] != w.won || status[insights.StatusLost] != w.lost || status[insights.StatusOpen] != w.open {
		t.Errorf("status mix: got %v, want %d won, %d lost, %d open", status, w.won, w.lost, w.open)
	}
	d := findDeal(ds.Deals, w.deal.ID)
	created := w.deal.Created
	want := w.deal
	want.Owner, want.Status, want.AmountKnown = insights.RepID(w.owner), insights.StatusOpen, true
	want.Closed, want.Moved = w.closed, created
	if !d.Created.Equal(created) || !d.Closed.Equal(want.Closed) || !d.Moved.Equal(created) {
		t.Errorf("dates: got created %v closed %v moved %v, want %v %v %v", d.Created, d.Closed, d.Moved, created, want.Closed, created)
	}
	d.Created, d.Closed, d.Moved = want.Created, want.Closed, want.Moved
	if !reflect.DeepEqual(d, want) {
		t.Errorf("deal:\ngot  %+v\nwant %+v", d, want)
	}
	if got := len(ds.Activities); got != w.activities {
		t.Errorf("activities: got %d, want %d", got, w.activities)
	}
	kinds := map[insights.ActivityKind]int{}
	onDeals := 0
	for _, a := range ds.Activities {
		kinds[a.Kind]++
		if a.DealID != "" {
			onDeals++
			if !strings.HasPrefix(a.DealID, "006") {
				t.Errorf("activity %s: DealID %q is not an opportunity", a.ID, a.DealID)
			}
		}
	}
	if onDeals != w.onDeals {
		t.Errorf("activities on a deal: got %d, want %d (only opportunity WhatIds count)", onDeals, w.onDeals)
	}
	if kinds[insights.ActivityCall] != w.calls || kinds[insights.ActivityEmail] != w.emails || kinds[insights.ActivityMeeting] != w.meetings || kinds[insights.ActivityOther] != w.other {
		t.Errorf("activity kinds: got %v, want %d calls, %d emails, %d meetings, %d other", kinds, w.calls, w.emails, w.meetings, w.other)
	}
	if got, want := ds.Reps, []insights.Rep{{ID: insights.RepID(w.owner), Name: w.owner}}; !reflect.DeepEqual(got, want) {
		t.Errorf("reps: got %+v, want %+v", got, want)
	}

	// Owners resolved through Options.Users.
	ana := insights.Rep{Name: "Ana Diaz", Email: "ana@example.com", Manager: "Mo Li", Team: "East"}
	res, err = Import([]string{filepath.Join(salesforceDir, "Opportunity.csv")}, Options{Users: map[string]insights.Rep{w.owner: ana}})
	if err != nil {
		t.Fatal(err)
	}
	ana.ID = insights.RepID(w.owner)
	if got, want := res.Dataset.Reps, []insights.Rep{ana}; !reflect.DeepEqual(got, want) {
		t.Errorf("reps with Users: got %+v, want %+v", got, want)
	}
	if got := findDeal(res.Dataset.Deals, w.deal.ID).Account; got != w.accountID {
		t.Errorf("account without Account.csv: got %q, want the ID", got)
	}
}

func TestImportSalesforceUsersFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Opportunity.csv": "\ufeffId,Name,StageName,Amount,CloseDate,IsClosed,IsWon,OwnerId,CreatedDate,LastModifiedDate\n" +
			"006A,Big,Closed Won,\"1,000\",2024-02-01,1,1,005X,2024-01-02T10:00:00.000+0000,2024-02-01T09:00:00.000+0000\n" +
			"006B,Small,Closed Lost,50,2024-02-03,1,,005Y,2024-01-02T10:00:00.000+0000,\n",
		"User.csv": "Id,Username,FirstName,LastName,Email,ManagerName,Department\n" +
			"005X,ana@corp,Ana,Diaz,ana@corp.example,Mo Li,East\n",
		"Event.csv": "Id,OwnerId,WhatId,Subject,StartDateTime,EventSubtype\n" +
			"00U1,005X,006A,Demo,2024-01-20T15:00:00.000+0000,Event\n",
		"quotas.csv": "rep,period,amount\nana diaz,2024-Q1,5000\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Import([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Dataset.Quotas; len(got) != 1 || got[0].Rep != "005X" {
		t.Errorf("quota by user name: got %+v, want rep 005X", got)
	}
	wantReps := []insights.Rep{
		{ID: "005X", Name: "Ana Diaz", Email: "ana@corp.example", Manager: "Mo Li", Team: "East"},
		{ID: "005Y", Name: "005Y"},
	}
	if !reflect.DeepEqual(res.Dataset.Reps, wantReps) {
		t.Errorf("reps: got %+v, want %+v", res.Dataset.Reps, wantReps)
	}
	wantAct := []insights.Activity{{ID: "00U1", Owner: "005X", Kind: insights.ActivityMeeting,
		At: time.Date(2024, 1, 20, 15, 0, 0, 0, time.UTC), DealID: "006A"}}
	if len(res.Dataset.Activities) != 1 || !res.Dataset.Activities[0].At.Equal(wantAct[0].At) {
		t.Fatalf("activities: got %+v, want %+v", res.Dataset.Activities, wantAct)
	}
	res.Dataset.Activities[0].At = wantAct[0].At
	if !reflect.DeepEqual(res.Dataset.Activities, wantAct) {
		t.Errorf("activities: got %+v, want %+v", res.Dataset.Activities, wantAct)
	}
	if d := findDeal(res.Dataset.Deals, "006A"); d.Status != insights.StatusWon || d.Amount != 1000 {
		t.Errorf("deal 006A: got %s %v, want won 1000", d.Status, d.Amount)
	}
	if d := findDeal(res.Dataset.Deals, "006B"); d.Status != insights.StatusLost || !d.Moved.IsZero() {
		t.Errorf("deal 006B: got %s moved %v, want lost, unknown move", d.Status, d.Moved)
	}
}

func TestImportHubSpot(t *testing.T) {
	content := "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline,Associated Company\n" +
		"11,Acme renewal,Closed Won,\"$12,500.50\",2024-01-22 16:14,01/02/2024,Ana Diaz (ana@example.com),Sales Pipeline,Acme\n" +
		"12,Beta,closedlost,900,01/25/2024,2024-01-03,Ana Diaz,Sales Pipeline,\n" +
		"13,Gamma,appointmentscheduled,,2024-03-01,2024-01-04,Bo Li,Sales Pipeline,Gamma Inc\n" +
		"14,Delta,contractsent,100,2024-13-01,2024-01-04,Bo Li,Sales Pipeline,\n" +
		"15,Eps,Closed Won,100,2024-02-01,2024-01-04,,Sales Pipeline,\n"
	team := time.FixedZone("team", 3600)
	res, err := Import([]string{writeFile(t, "hubspot-deals.csv", content)}, Options{Location: team})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Files[0].Profile; got != "hubspot" {
		t.Fatalf("profile: got %q, want hubspot", got)
	}
	want := []insights.Deal{
		{ID: "11", Name: "Acme renewal", Owner: "Ana Diaz", Stage: "Closed Won", Status: insights.StatusWon,
			Amount: 12500.5, AmountKnown: true, Closed: time.Date(2024, 1, 22, 16, 14, 0, 0, team),
			Created: time.Date(2024, 1, 2, 0, 0, 0, 0, team), Account: "Acme"},
		{ID: "12", Name: "Beta", Owner: "Ana Diaz", Stage: "Closed Lost", Status: insights.StatusLost,
			Amount: 900, AmountKnown: true, Closed: time.Date(2024, 1, 25, 0, 0, 0, 0, team),
			Created: time.Date(2024, 1, 3, 0, 0, 0, 0, team)},
		{ID: "13", Name: "Gamma", Owner: "Bo Li", Stage: "Appointment Scheduled", Status: insights.StatusOpen,
			Closed: time.Date(2024, 3, 1, 0, 0, 0, 0, team), Created: time.Date(2024, 1, 4, 0, 0, 0, 0, team), Account: "Gamma Inc",
			Probability: 0.2, HasProbability: true},
	}
	if !reflect.DeepEqual(res.Dataset.Deals, want) {
		t.Errorf("deals:\ngot  %+v\nwant %+v", res.Dataset.Deals, want)
	}
	if got := findRep(res.Dataset.Reps, "Ana Diaz").Email; got != "ana@example.com" {
		t.Errorf("owner email: got %q, want ana@example.com", got)
	}
	if len(res.Errors) != 2 || res.Errors[0].Line != 5 || res.Errors[1].Line != 6 || !strings.Contains(res.Errors[1].Reason, "owner is blank") {
		t.Errorf("errors: got %v, want lines 5 (bad date) and 6 (no owner)", res.Errors)
	}
}

// TestImportProbability reads the CRM's win probability and forecast
// category: Salesforce's Probability is a percentage, HubSpot's a fraction
// (or a percentage above 1); a blank is unknown.
func TestImportProbability(t *testing.T) {
	sf := "Id,StageName,Amount,Probability,CloseDate,IsClosed,IsWon,OwnerId,CreatedDate,ForecastCategoryName\n" +
		"006A,Negotiation,100,75,2024-03-01,,,005X,2024-01-01,Commit\n" +
		"006B,Qualification,100,,2024-03-01,,,005X,2024-01-01,Best Case\n" +
		"006C,Closed Won,100,100,2024-02-01,1,1,005X,2024-01-01,Closed\n"
	hs := "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Deal probability,Forecast category\n" +
		"21,A,contractsent,10,2024-03-01,2024-01-01,Ana,0.5,Commit\n" +
		"22,B,qualifiedtobuy,10,2024-03-01,2024-01-01,Ana,,\n" +
		"23,C,Custom stage,10,2024-03-01,2024-01-01,Ana,35,\n"
	res, err := Import([]string{writeFile(t, "Opportunity.csv", sf), writeFile(t, "hubspot-deals.csv", hs)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	for _, tc := range []struct {
		id       string
		p        float64
		has      bool
		category string
	}{
		{"006A", 0.75, true, insights.ForecastCommit},
		{"006B", 0, false, insights.ForecastBestCase},
		{"006C", 1, true, insights.ForecastClosed},
		{"21", 0.5, true, insights.ForecastCommit},
		{"22", 0.4, true, ""}, // HubSpot's default probability of the stage
		{"23", 0.35, true, ""},
	} {
		d := findDeal(res.Dataset.Deals, tc.id)
		if math.Abs(d.Probability-tc.p) > 1e-9 || d.HasProbability != tc.has || d.ForecastCategory != tc.category {
			t.Errorf("deal %s: got probability %v (known %v), category %q; want %v (%v), %q", tc.id, d.Probability, d.HasProbability, d.ForecastCategory, tc.p, tc.has, tc.category)
		}
	}
	res, err = Import([]string{writeFile(t, "Opportunity.csv", strings.Replace(sf, ",75,", ",175,", 1))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Reason, "Probability") {
		t.Errorf("probability 175: got errors %v, want one naming Probability", res.Errors)
	}
}

func TestImportGenericMapping(t *testing.T) {
	content := "Deal #,Who,Phase,Value,Won?,Closes,Boss,Region\n" +
		"1,ana,Signed,100,,2024-01-05,Mo,East\n" +
		"2,ana,Discovery,200,,2024-03-05,Mo,East\n" +
		"3,bo,Dead,300,,2024-01-06,,\n"
	res, err := Import([]string{writeFile(t, "deals.csv", content)}, Options{
		Profile:    "generic",
		Mapping:    map[string]string{"id": "Deal #", "owner": "Who", "stage": "Phase", "amount": "Value", "status": "Won?", "closed": "Closes", "manager": "Boss", "team": "Region"},
		WonStages:  []string{"signed"},
		LostStages: []string{"DEAD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Dataset.Deals {
		got = append(got, d.ID+":"+string(d.Status))
	}
	if want := "1:won 2:open 3:lost"; strings.Join(got, " ") != want {
		t.Errorf("statuses: got %v, want %s", got, want)
	}
	wantReps := []insights.Rep{{ID: "ana", Name: "ana", Manager: "Mo", Team: "East"}, {ID: "bo", Name: "bo"}}
	if !reflect.DeepEqual(res.Dataset.Reps, wantReps) {
		t.Errorf("reps: got %+v, want %+v", res.Dataset.Reps, wantReps)
	}
}

func TestImportQuotas(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	reps := write("reps.csv", "id,name,email,manager,team\n005X,Ana Diaz,ana@example.com,Mo,East\n")
	periods := write("quotas.csv", "rep,period,amount\n"+
		"005X,2017-Q4,\"100,000\"\n"+
		"Ana Diaz,2017-12,30000\n"+
		"ana@example.com,2017,400000\n"+
		"005X,2017-Q5,1\n"+
		"005X,2017-Q4,120000\n")
	ranges := write("targets.csv", "owner,start,end,quota\n005X,2018-01-01,2018-03-31,90000\n005X,2018-02-01,2018-01-01,5\n")
	team := time.FixedZone("team", -8*3600)
	res, err := Import([]string{periods, ranges, reps}, Options{Location: team})
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, team) }
	want := []insights.Quota{
		{Rep: "005X", Start: day(2017, 10, 1), End: day(2018, 1, 1), Amount: 120000},
		{Rep: "005X", Start: day(2017, 12, 1), End: day(2018, 1, 1), Amount: 30000},
		{Rep: "005X", Start: day(2017, 1, 1), End: day(2018, 1, 1), Amount: 400000},
		{Rep: "005X", Start: day(2018, 1, 1), End: day(2018, 4, 1), Amount: 90000},
	}
	if !reflect.DeepEqual(res.Dataset.Quotas, want) {
		t.Errorf("quotas:\ngot  %+v\nwant %+v", res.Dataset.Quotas, want)
	}
	if len(res.Errors) != 2 || res.Errors[0].Line != 5 || res.Errors[1].Line != 3 {
		t.Errorf("errors: got %v, want quotas.csv:5 and targets.csv:3", res.Errors)
	}
}

// TestRoundTrip writes a generated dataset with the sample package and reads
// it back: every deal and rep must survive unchanged (history aside).
func TestRoundTrip(t *testing.T) {
	team := time.FixedZone("team", 10*3600)
	ds := sample.Generate(sample.Config{Seed: 3, Managers: 2, RepsPerManager: 4, Deals: 400,
		End: time.Date(2025, 3, 1, 0, 0, 0, 0, team), Location: team})
	dir := t.TempDir()
	for name, write := range map[string]func(*bytes.Buffer) error{
		"deals.csv":  func(b *bytes.Buffer) error { return sample.WriteCSV(b, ds) },
		"reps.csv":   func(b *bytes.Buffer) error { return sample.WriteRepsCSV(b, ds) },
		"quotas.csv": func(b *bytes.Buffer) error { return sample.WriteQuotasCSV(b, ds) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Import([]string{dir}, Options{Location: team})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if !reflect.DeepEqual(res.Dataset.Reps, ds.Reps) {
		t.Errorf("reps differ:\ngot  %+v\nwant %+v", res.Dataset.Reps, ds.Reps)
	}
	if got, want := len(res.Dataset.Deals), len(ds.Deals); got != want {
		t.Fatalf("deals: got %d, want %d", got, want)
	}
	for i, want := range ds.Deals {
		want.History = nil
		if got := res.Dataset.Deals[i]; !reflect.DeepEqual(got, want) {
			t.Fatalf("deal %d:\ngot  %+v\nwant %+v", i, got, want)
		}
	}
	if !reflect.DeepEqual(res.Dataset.Quotas, ds.Quotas) {
		t.Errorf("quotas differ")
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		want      float64
		wantKnown bool
		wantErr   bool
	}{
		{"plain", "1054", 1054, true, false},
		{"blank", "  ", 0, false, false},
		{"thousands", "1,234.50", 1234.5, true, false},
		{"dollar", "$1234", 1234, true, false},
		{"dollar thousands", "$ 12,345", 12345, true, false},
		{"euro suffix", "99 €", 99, true, false},
		{"code", "1,000 USD", 1000, true, false},
		{"zero", "0", 0, true, false},
		{"negative zero", "-0", 0, true, false},
		{"negative", "-5", 0, false, true},
		{"negative dollar", "-$5", 0, false, true},
		{"decimal comma", "1.234,50", 0, false, true},
		{"short decimal comma", "12,5", 0, false, true},
		{"words", "ten", 0, false, true},
		{"nan", "NaN", 0, false, true},
		{"inf", "Inf", 0, false, true},
		{"hex", "0x10", 0, false, true},
		{"exponent", "1e6", 0, false, true},
		{"two dots", "1.2.3", 0, false, true},
		{"largest plausible", "1000000000000", 1e12, true, false},
		{"implausibly large", "1000000000001", 0, false, true},
		{"past int64", "9300000000000000000", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known, err := parseAmount(tt.input)
			if (err != nil) != tt.wantErr || got != tt.want || known != tt.wantKnown {
				t.Errorf("parseAmount(%q): got %v, %v, %v; want %v, %v, error %v", tt.input, got, known, err, tt.want, tt.wantKnown, tt.wantErr)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	team := time.FixedZone("team", -5*3600)
	tests := []struct {
		name    string
		input   string
		want    time.Time
		wantErr bool
	}{
		{"date", "2017-03-01", time.Date(2017, 3, 1, 0, 0, 0, 0, team), false},
		{"salesforce", "2024-01-22T16:14:25.000+0000", time.Date(2024, 1, 22, 16, 14, 25, 0, time.UTC), false},
		{"rfc3339", "2024-01-22T16:14:25Z", time.Date(2024, 1, 22, 16, 14, 25, 0, time.UTC), false},
		{"offset colon", "2024-01-22T16:14:25+02:00", time.Date(2024, 1, 22, 14, 14, 25, 0, time.UTC), false},
		{"hubspot minutes", "2024-01-22 16:14", time.Date(2024, 1, 22, 16, 14, 0, 0, team), false},
		{"local seconds", "2024-01-22 16:14:05", time.Date(2024, 1, 22, 16, 14, 5, 0, team), false},
		{"us date", "01/22/2024", time.Date(2024, 1, 22, 0, 0, 0, 0, team), false},
		{"us short", "1/2/2024", time.Date(2024, 1, 2, 0, 0, 0, 0, team), false},
		{"us time", "1/22/2024 4:14 PM", time.Date(2024, 1, 22, 16, 14, 0, 0, team), false},
		{"slash iso", "2024/01/22", time.Date(2024, 1, 22, 0, 0, 0, 0, team), false},
		{"day first", "22/01/2024", time.Time{}, true},
		{"feb 30", "2017-02-30", time.Time{}, true},
		{"year zero", "0001-01-01", time.Time{}, true},
		{"words", "yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTime(tt.input, team)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("parseTime(%q): got %v, %v; want %v, error %v", tt.input, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParsePeriod(t *testing.T) {
	team := time.FixedZone("team", 9*3600)
	day := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, team) }
	tests := []struct {
		name               string
		input              string
		wantStart, wantEnd time.Time
		wantErr            bool
	}{
		{"quarter", "2017-Q4", day(2017, 10), day(2018, 1), false},
		{"quarter compact", "2017q1", day(2017, 1), day(2017, 4), false},
		{"quarter first", "Q2 2017", day(2017, 4), day(2017, 7), false},
		{"month", "2017-12", day(2017, 12), day(2018, 1), false},
		{"month slash", "2017/02", day(2017, 2), day(2017, 3), false},
		{"year", "2017", day(2017, 1), day(2018, 1), false},
		{"quarter 5", "2017-Q5", time.Time{}, time.Time{}, true},
		{"month 13", "2017-13", time.Time{}, time.Time{}, true},
		{"bare q", "Q", time.Time{}, time.Time{}, true},
		{"words", "next year", time.Time{}, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end, err := parsePeriod(tt.input, team)
			if (err != nil) != tt.wantErr || !start.Equal(tt.wantStart) || !end.Equal(tt.wantEnd) {
				t.Errorf("parsePeriod(%q): got %v, %v, %v; want %v, %v, error %v", tt.input, start, end, err, tt.wantStart, tt.wantEnd, tt.wantErr)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    insights.Status
		wantOK  bool
		wantErr bool
	}{
		{"blank", "", "", false, false},
		{"won", "Won", insights.StatusWon, true, false},
		{"closed won", "Closed Won", insights.StatusWon, true, false},
		{"closedlost", "closedlost", insights.StatusLost, true, false},
		{"open", "OPEN", insights.StatusOpen, true, false},
		{"closed", "Closed", statusClosed, false, false},
		{"other", "maybe", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parseStatus(tt.input)
			if got != tt.want || ok != tt.wantOK || (err != nil) != tt.wantErr {
				t.Errorf("parseStatus(%q): got %q, %v, %v; want %q, %v, error %v", tt.input, got, ok, err, tt.want, tt.wantOK, tt.wantErr)
			}
		})
	}
}

func TestProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,owner,stage\n")
	for i := range 25000 {
		b.WriteString("D" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + ",ana,Open\n")
	}
	var calls []int
	path := writeFile(t, "deals.csv", b.String())
	if _, err := Import([]string{path}, Options{Progress: func(file string, rows int) {
		if file != path {
			t.Errorf("progress file: got %q, want %q", file, path)
		}
		calls = append(calls, rows)
	}}); err != nil {
		t.Fatal(err)
	}
	if want := []int{10000, 20000, 25000}; !reflect.DeepEqual(calls, want) {
		t.Errorf("progress calls: got %v, want %v", calls, want)
	}
}

// FuzzImportCSV feeds arbitrary bytes to every profile: Import may reject
// the file or its rows but must not panic, and its counts must add up.
func FuzzImportCSV(f *testing.F) {
	seeds := []string{
		"opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\nA,B,GTXPro,,Won,2017-01-01,2017-02-01,5\n",
		"\ufeffId,StageName,CloseDate,OwnerId,Amount,IsWon,IsClosed\n006,Closed Won,2024-01-01,005,1e9,1,1\n",
		"Deal ID,Deal Stage,Deal owner,Amount,Close Date\n1,closedwon,Ana,\"$1,000\",01/22/2024\n",
		"id,owner,stage,status,amount,created,closed\n1,a,x,won,NaN,2017-01-01,\"2017\n-01-02\"\n",
		"rep,period,amount\nana,2017-Q4,100\nbo,Q,5\n",
		"id,name,email,manager,team\n,,,,\n\"",
		"a,b\n\"unterminated",
		"",
		"\x00\x01",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range append([]string{""}, profiles...) {
			res, err := Import([]string{path}, Options{Profile: p, ShiftTo: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				continue
			}
			for _, fs := range res.Files {
				if fs.Read != fs.Imported+fs.Rejected {
					t.Errorf("profile %q: read %d != imported %d + rejected %d", p, fs.Read, fs.Imported, fs.Rejected)
				}
			}
			for _, e := range res.Errors {
				if e.Line < 2 || e.Line > lines {
					t.Errorf("profile %q: error line %d outside 2..%d: %s", p, e.Line, lines, e.Reason)
				}
			}
			for _, d := range res.Dataset.Deals {
				if math.IsNaN(d.Amount) || d.Amount < 0 || d.Amount > maxAmount {
					t.Errorf("profile %q: deal %s amount %v", p, d.ID, d.Amount)
				}
			}
		}
	})
}

func TestImportFolder(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"deals.csv": "id,owner,stage\n1,ana,Won\n",
		"notes.csv": "note\nhello\n",
		"README.md": "not csv",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Import([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Files {
		got = append(got, filepath.Base(f.Path)+":"+f.Profile)
	}
	// deals.csv: a won deal with no close date is rejected, the file is read.
	if want := "notes.csv:skipped deals.csv:generic"; strings.Join(got, " ") != want {
		t.Errorf("files: got %v, want %s", got, want)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Reason, "no close date") {
		t.Errorf("errors: got %v, want the won deal without close date", res.Errors)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.csv"), []byte("note\nhi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import([]string{empty}, Options{}); err == nil || !strings.Contains(err.Error(), "no recognised CRM export") {
		t.Errorf("folder without exports: got %v, want an error", err)
	}
}
