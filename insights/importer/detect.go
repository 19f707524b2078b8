package importer

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// A kind is one file shape of a profile: which columns identify it, when it
// is read and how.
type kind struct {
	profile string
	what    string // FileSummary.Kind
	phase   int    // 0 reference data, 1 deals, 2 activities, 3 quotas
	need    []string
	// read reads the rows of t; it is nil for files that are recognised and
	// ignored (Maven's data dictionary).
	read func(im *importer, t *table, fs *FileSummary) error
}

// kinds lists every file shape in detection order: the first whose columns
// are all present wins.
var kinds = []*kind{
	{profile: "maven", what: "deals", phase: 1,
		need: []string{"opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value"},
		read: (*importer).mavenPipeline},
	{profile: "maven", what: "reps", phase: 0,
		need: []string{"sales_agent", "manager", "regional_office"},
		read: (*importer).mavenTeams},
	{profile: "maven", what: "products", phase: 0,
		need: []string{"product", "sales_price"},
		read: (*importer).mavenProducts},
	{profile: "maven", what: "accounts", phase: 0,
		need: []string{"account", "sector"},
		read: (*importer).mavenAccounts},
	{profile: "maven", what: "ignored", phase: 0,
		need: []string{"table", "field", "description"}},
	{profile: "salesforce", what: "deals", phase: 1,
		need: []string{"id", "stagename", "closedate", "ownerid"},
		read: (*importer).sfOpportunities},
	{profile: "salesforce", what: "activities", phase: 2,
		need: []string{"id", "ownerid", "startdatetime|activitydatetime|eventsubtype"},
		read: (*importer).sfEvents},
	{profile: "salesforce", what: "activities", phase: 2,
		need: []string{"id", "ownerid", "subject|tasksubtype", "activitydate|createddate"},
		read: (*importer).sfTasks},
	{profile: "salesforce", what: "accounts", phase: 0,
		need: []string{"id", "name", "industry|type|billingcity|billingcountry|website|accountnumber"},
		read: (*importer).sfAccounts},
	{profile: "salesforce", what: "users", phase: 0,
		need: []string{"id", "username|managername|manager.name|managerid|isactive|profileid|userroleid|firstname", "name|firstname|email"},
		read: (*importer).sfUsers},
	{profile: "hubspot", what: "deals", phase: 1,
		need: []string{"deal id|record id", "deal stage", "deal owner"},
		read: (*importer).hubspotDeals},
	{profile: "quotas", what: "quotas", phase: 3,
		need: []string{"rep|rep_id|rep id|owner|sales_agent|email", "amount|quota|target", "period|start"},
		read: (*importer).quotaRows},
	{profile: "generic", what: "deals", phase: 1,
		need: []string{aliasReq("id"), aliasReq("owner"), aliasReq("stage") + "|" + aliasReq("status")},
		read: (*importer).genericDeals},
	{profile: "generic", what: "reps", phase: 0,
		need: []string{"id|rep_id|name|rep_name|full_name", "email|manager|team|office|regional_office"},
		read: (*importer).genericReps},
}

var profiles = []string{"generic", "maven", "salesforce", "hubspot", "quotas"}

// Profiles lists the profiles Options.Profile may force.
func Profiles() []string { return slices.Clone(profiles) }

// source is a file to read and the kind it was found to be; kind is nil for
// a file in a folder that was skipped.
type source struct {
	path   string
	kind   *kind
	note   string
	format format
}

// classify reads the header of path and finds its kind. For a file in a
// folder (inFolder) an unrecognised header is a skip, not an error.
func (im *importer) classify(path string, inFolder bool) (*source, error) {
	fm, warnings, err := im.sniff(path)
	if err != nil {
		if inFolder && errors.Is(err, os.ErrNotExist) {
			return &source{path: path, note: err.Error()}, nil
		}
		return nil, err
	}
	im.res.Warnings = append(im.res.Warnings, warnings...)
	t, f, err := openFile(path, fm)
	if err != nil {
		if inFolder {
			return &source{path: path, note: err.Error()}, nil
		}
		return nil, err
	}
	defer f.Close()
	allowed := func(k *kind) bool {
		switch im.opts.Profile {
		case "", "auto":
			return true
		}
		return k.profile == im.opts.Profile
	}
	mapped := len(im.opts.Mapping) > 0
	for _, k := range kinds {
		if !allowed(k) || mapped && k.what == "deals" && k.profile != "generic" {
			continue // a mapping means generic deals
		}
		if len(im.missing(k, t)) == 0 {
			return &source{path: path, kind: k, format: fm}, nil
		}
	}
	// Name what is missing for the closest kind.
	var best *kind
	var bestMissing []string
	bestFound := -1
	for _, k := range kinds {
		if !allowed(k) || k.read == nil {
			continue
		}
		missing := im.missing(k, t)
		if found := len(k.need) - len(missing); found > bestFound {
			best, bestMissing, bestFound = k, missing, found
		}
	}
	if inFolder {
		return &source{path: path, note: "not a recognised export"}, nil
	}
	if best == nil || (bestFound == 0 && (im.opts.Profile == "" || im.opts.Profile == "auto")) {
		return nil, fmt.Errorf("%s: not a recognised CRM export (columns: %s); profiles: %s",
			path, strings.Join(t.header, ", "), strings.Join(profiles, ", "))
	}
	return nil, fmt.Errorf("%s: missing columns for %s %s: %s", path, best.profile, best.what, strings.Join(bestMissing, ", "))
}

// missing lists the columns t lacks to be read as k. For generic deals
// with a mapping, that is the mapped columns that are absent.
func (im *importer) missing(k *kind, t *table) []string {
	if k.profile == "generic" && k.what == "deals" && len(im.opts.Mapping) > 0 {
		if _, err := im.genericColumns(t); err != nil {
			return []string{err.Error()}
		}
		return nil
	}
	return t.missing(k.need)
}

// read reads one classified file and records its summary.
func (im *importer) read(src *source) error {
	if src.kind == nil {
		im.res.Files = append(im.res.Files, FileSummary{Path: src.path, Profile: "skipped", Kind: "ignored", Note: src.note})
		return nil
	}
	fs := FileSummary{Path: src.path, Profile: src.kind.profile, Kind: src.kind.what,
		Encoding: src.format.encoding, Delimiter: src.format.delim, Decimal: decimalName[src.format.decimal],
		DateFormat: src.format.order.String()}
	if src.kind.read != nil {
		// Dates are cached by their text, which reads differently per file.
		im.cur = src.format
		clear(im.dates)
		t, f, err := openFile(src.path, src.format)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			im.size = fi.Size()
		}
		if err := src.kind.read(im, t, &fs); err != nil {
			return err
		}
	}
	im.res.Files = append(im.res.Files, fs)
	return nil
}

func validProfile(p string) bool {
	return p == "" || p == "auto" || slices.Contains(profiles, p)
}

var decimalName = map[byte]string{',': "comma", '.': "point"}
