package sffake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/repcoach/repcoach/insights"
)

const (
	timeLayout = "2006-01-02T15:04:05.000-0700"
	dateLayout = "2006-01-02"
)

// Field value types, for literal checks and JSON.
type kind int

const (
	kString kind = iota
	kBool
	kNumber
	kDateTime
	kDate
	kRef // an ID pointing at a parent record
)

// dateVal is a date-only value; dateTimeVal a timestamp; a nil any is null.
type (
	dateVal     time.Time
	dateTimeVal time.Time
)

// field is one queryable field of an object.
type field struct {
	name string // as Salesforce spells it
	kind kind
	get  func(o *org, i int) any
}

// parent is a lookup relationship (Account, Manager, Owner).
type parent struct {
	name   string // relationship name as spelt
	object *object
	ref    func(o *org, i int) string // parent ID or ""
}

// object is a queryable sObject.
type object struct {
	name    string
	fields  map[string]field  // by lower-case name
	parents map[string]parent // by lower-case relationship name
	count   func(o *org) int
	id      func(o *org, i int) string
	find    func(o *org, id string) (int, bool)
	deleted func(o *org, i int) bool
}

func (ob *object) add(name string, k kind, get func(o *org, i int) any) {
	ob.fields[strings.ToLower(name)] = field{name: name, kind: k, get: get}
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dateTimeVal(t)
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// objects returns the fake's sObjects; loc writes dates.
func objects(cfg Config) map[string]*object {
	loc, productField := cfg.Location, cfg.ProductField
	user := &object{name: "User", fields: map[string]field{}, parents: map[string]parent{},
		count:   func(o *org) int { return len(o.users) },
		id:      func(o *org, i int) string { return o.users[i].id },
		find:    func(o *org, id string) (int, bool) { i, ok := o.userIndex[id]; return i, ok },
		deleted: func(*org, int) bool { return false },
	}
	user.add("Id", kString, func(o *org, i int) any { return o.users[i].id })
	user.add("Name", kString, func(o *org, i int) any { return o.users[i].name })
	user.add("Email", kString, func(o *org, i int) any { return o.users[i].email })
	user.add("Username", kString, func(o *org, i int) any { return o.users[i].email })
	user.add("IsActive", kBool, func(*org, int) any { return true })
	user.add("Department", kString, func(o *org, i int) any { return strOrNil(o.users[i].department) })
	user.add("ManagerId", kRef, func(o *org, i int) any { return strOrNil(o.users[i].manager) })
	user.add("SystemModstamp", kDateTime, func(o *org, i int) any { return dateTimeVal(o.users[i].modstamp) })
	user.parents["manager"] = parent{name: "Manager", object: user, ref: func(o *org, i int) string { return o.users[i].manager }}

	account := &object{name: "Account", fields: map[string]field{}, parents: map[string]parent{},
		count:   func(o *org) int { return len(o.accounts) },
		id:      func(o *org, i int) string { return o.accounts[i].id },
		find:    func(o *org, id string) (int, bool) { i, ok := o.accIndex[id]; return i, ok },
		deleted: func(*org, int) bool { return false },
	}
	account.add("Id", kString, func(o *org, i int) any { return o.accounts[i].id })
	account.add("Name", kString, func(o *org, i int) any { return o.accounts[i].name })
	account.add("SystemModstamp", kDateTime, func(o *org, i int) any { return dateTimeVal(o.accounts[i].modstamp) })

	opp := &object{name: "Opportunity", fields: map[string]field{}, parents: map[string]parent{},
		count:   func(o *org) int { return len(o.opps) },
		id:      func(o *org, i int) string { return o.opps[i].id },
		find:    func(o *org, id string) (int, bool) { i, ok := o.oppIndex[id]; return i, ok },
		deleted: func(o *org, i int) bool { return o.opps[i].deleted },
	}
	d := func(o *org, i int) *oppRec { return &o.opps[i] }
	opp.add("Id", kString, func(o *org, i int) any { return d(o, i).id })
	opp.add("Name", kString, func(o *org, i int) any { return strOrNil(d(o, i).deal.Name) })
	opp.add("OwnerId", kRef, func(o *org, i int) any { return string(d(o, i).deal.Owner) })
	opp.add("AccountId", kRef, func(o *org, i int) any { return strOrNil(d(o, i).accountID) })
	opp.add("StageName", kString, func(o *org, i int) any { return d(o, i).deal.Stage })
	opp.add("IsClosed", kBool, func(o *org, i int) any { return d(o, i).deal.Status != "open" })
	opp.add("IsWon", kBool, func(o *org, i int) any { return d(o, i).deal.Status == "won" })
	opp.add("IsDeleted", kBool, func(o *org, i int) any { return d(o, i).deleted })
	opp.add("Amount", kNumber, func(o *org, i int) any {
		if !d(o, i).deal.AmountKnown {
			return nil
		}
		return d(o, i).deal.Amount
	})
	// Salesforce always has a probability; the dataset served may not, and
	// then the fake answers null rather than make one up.
	opp.add("Probability", kNumber, func(o *org, i int) any {
		if !d(o, i).deal.HasProbability {
			return nil
		}
		return d(o, i).deal.Probability * 100
	})
	opp.add("ForecastCategoryName", kString, func(o *org, i int) any { return forecastName(d(o, i).deal.ForecastCategory) })
	opp.add("CreatedDate", kDateTime, func(o *org, i int) any { return timeOrNil(d(o, i).deal.Created) })
	opp.add("CloseDate", kDate, func(o *org, i int) any {
		if d(o, i).deal.Closed.IsZero() {
			return nil
		}
		return dateVal(d(o, i).deal.Closed.In(loc))
	})
	opp.add("LastStageChangeDate", kDateTime, func(o *org, i int) any { return timeOrNil(d(o, i).moved) })
	opp.add("SystemModstamp", kDateTime, func(o *org, i int) any { return dateTimeVal(d(o, i).modstamp) })
	opp.add("LastModifiedDate", kDateTime, func(o *org, i int) any { return dateTimeVal(d(o, i).modstamp) })
	opp.add(productField, kString, func(o *org, i int) any { return strOrNil(d(o, i).deal.Product) })
	if cfg.MultiCurrency {
		opp.add("CurrencyIsoCode", kString, func(o *org, i int) any {
			if c := d(o, i).deal.Currency; c != "" {
				return c
			}
			return cfg.CorporateCurrency
		})
	}
	opp.parents["account"] = parent{name: "Account", object: account, ref: func(o *org, i int) string { return d(o, i).accountID }}
	opp.parents["owner"] = parent{name: "Owner", object: user, ref: func(o *org, i int) string { return string(d(o, i).deal.Owner) }}

	hist := &object{name: "OpportunityHistory", fields: map[string]field{}, parents: map[string]parent{},
		count:   func(o *org) int { return len(o.history) },
		id:      func(o *org, i int) string { return o.history[i].id },
		find:    func(*org, string) (int, bool) { return 0, false },
		deleted: func(*org, int) bool { return false },
	}
	h := func(o *org, i int) *historyRow { return &o.history[i] }
	hist.add("Id", kString, func(o *org, i int) any { return h(o, i).id })
	hist.add("OpportunityId", kRef, func(o *org, i int) any { return h(o, i).opp })
	hist.add("StageName", kString, func(o *org, i int) any { return h(o, i).stage })
	hist.add("CreatedDate", kDateTime, func(o *org, i int) any { return dateTimeVal(h(o, i).at) })
	hist.add("SystemModstamp", kDateTime, func(o *org, i int) any { return dateTimeVal(h(o, i).at) })
	hist.add("IsDeleted", kBool, func(*org, int) any { return false })
	hist.add("Amount", kNumber, func(o *org, i int) any {
		if !h(o, i).amountKnown {
			return nil
		}
		return h(o, i).amount
	})
	hist.add("Probability", kNumber, func(o *org, i int) any {
		if !h(o, i).hasProb {
			return nil
		}
		return h(o, i).prob * 100
	})
	hist.add("CloseDate", kDate, func(o *org, i int) any {
		if h(o, i).closed.IsZero() {
			return nil
		}
		return dateVal(h(o, i).closed.In(loc))
	})
	hist.parents["opportunity"] = parent{name: "Opportunity", object: opp, ref: func(o *org, i int) string { return h(o, i).opp }}

	return map[string]*object{"user": user, "account": account, "opportunity": opp, "opportunityhistory": hist}
}

// forecastName spells an insights forecast category as Salesforce's
// ForecastCategoryName picklist does.
func forecastName(c string) any {
	switch c {
	case insights.ForecastCommit:
		return "Commit"
	case insights.ForecastBestCase:
		return "Best Case"
	case insights.ForecastPipeline:
		return "Pipeline"
	case insights.ForecastOmitted:
		return "Omitted"
	case insights.ForecastClosed:
		return "Closed"
	}
	return nil
}

// soqlError is a query the fake refuses, with Salesforce's errorCode.
type soqlError struct {
	code, msg string
}

func (e *soqlError) Error() string { return e.code + ": " + e.msg }

func malformed(format string, args ...any) error {
	return &soqlError{"MALFORMED_QUERY", fmt.Sprintf(format, args...)}
}

// selected is one field of the SELECT list: a field of the object or of a
// parent.
type selected struct {
	parent *parent // nil for the object's own field
	field  field
}

type condition struct {
	field field
	op    string
	value any   // for comparisons
	in    []any // for IN
	// inStrings holds the IN list as a set when it is all strings (an ID
	// list), so that a query over millions of rows does not compare each
	// with every ID.
	inStrings map[string]bool
}

type query struct {
	object *object
	fields []selected
	where  []condition
}

// lex splits a SOQL statement into words, quoted strings and punctuation.
func lex(q string) ([]string, error) {
	var toks []string
	rs := []rune(q)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == ',' || r == '(' || r == ')':
			toks = append(toks, string(r))
			i++
		case r == '=':
			toks = append(toks, "=")
			i++
		case r == '!' || r == '<' || r == '>':
			if i+1 < len(rs) && rs[i+1] == '=' {
				toks = append(toks, string(rs[i:i+2]))
				i += 2
			} else if r == '!' {
				return nil, malformed("unexpected token: '!'")
			} else {
				toks = append(toks, string(r))
				i++
			}
		case r == '\'':
			var b strings.Builder
			b.WriteRune('\'')
			j := i + 1
			for ; j < len(rs) && rs[j] != '\''; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, malformed("unterminated string literal")
			}
			toks = append(toks, b.String())
			i = j + 1
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == ':' || r == '+' || r == '-':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || strings.ContainsRune("_.:+-", rs[j])) {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		default:
			return nil, malformed("unexpected token: '%c'", r)
		}
	}
	return toks, nil
}

// parse reads a SOQL statement against objs.
func parse(q string, objs map[string]*object) (*query, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	pos := 0
	peek := func() string {
		if pos < len(toks) {
			return toks[pos]
		}
		return ""
	}
	next := func() string { t := peek(); pos++; return t }
	if !strings.EqualFold(next(), "SELECT") {
		return nil, malformed("unexpected token: expecting SELECT")
	}
	var names []string
	for {
		t := next()
		if t == "" || t == "," {
			return nil, malformed("unexpected token: '%s'", t)
		}
		names = append(names, t)
		if peek() != "," {
			break
		}
		pos++
	}
	if !strings.EqualFold(next(), "FROM") {
		return nil, malformed("unexpected token: expecting FROM")
	}
	objName := next()
	ob, ok := objs[strings.ToLower(objName)]
	if !ok {
		return nil, &soqlError{"INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", objName)}
	}
	qu := &query{object: ob}
	for _, n := range names {
		sel, err := resolve(ob, n)
		if err != nil {
			return nil, err
		}
		qu.fields = append(qu.fields, sel)
	}
	if strings.EqualFold(peek(), "WHERE") {
		pos++
		for {
			c, err := parseCondition(ob, next, peek)
			if err != nil {
				return nil, err
			}
			qu.where = append(qu.where, c)
			if !strings.EqualFold(peek(), "AND") {
				break
			}
			pos++
		}
	}
	if t := peek(); t != "" {
		return nil, malformed("unexpected token: '%s'", t)
	}
	return qu, nil
}

// resolve finds a field name, maybe dotted through a parent.
func resolve(ob *object, name string) (selected, error) {
	rel, fname, dotted := strings.Cut(name, ".")
	if !dotted {
		f, ok := ob.fields[strings.ToLower(name)]
		if !ok {
			return selected{}, &soqlError{"INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.", name, ob.name)}
		}
		return selected{field: f}, nil
	}
	p, ok := ob.parents[strings.ToLower(rel)]
	if !ok {
		return selected{}, &soqlError{"INVALID_FIELD", fmt.Sprintf("Didn't understand relationship '%s' in field path.", rel)}
	}
	f, ok := p.object.fields[strings.ToLower(fname)]
	if !ok || strings.Contains(fname, ".") {
		return selected{}, &soqlError{"INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'.", fname, p.object.name)}
	}
	return selected{parent: &p, field: f}, nil
}

func parseCondition(ob *object, next, peek func() string) (condition, error) {
	name := next()
	f, ok := ob.fields[strings.ToLower(name)]
	if !ok {
		return condition{}, &soqlError{"INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'.", name, ob.name)}
	}
	c := condition{field: f, op: strings.ToUpper(next())}
	switch c.op {
	case "=", "!=", "<", "<=", ">", ">=":
		v, err := literal(f, next())
		if err != nil {
			return c, err
		}
		c.value = v
	case "IN":
		if next() != "(" {
			return c, malformed("unexpected token: expecting '(' after IN")
		}
		for {
			v, err := literal(f, next())
			if err != nil {
				return c, err
			}
			c.in = append(c.in, v)
			t := next()
			if t == ")" {
				break
			}
			if t != "," {
				return c, malformed("unexpected token: '%s'", t)
			}
		}
		c.inStrings = map[string]bool{}
		for _, v := range c.in {
			s, ok := v.(string)
			if !ok {
				c.inStrings = nil
				break
			}
			c.inStrings[s] = true
		}
	default:
		return c, malformed("unexpected token: '%s'", c.op)
	}
	return c, nil
}

// literal reads a literal for field f, as SOQL types it: quoted strings and
// IDs, bare datetimes, dates, numbers and booleans.
func literal(f field, tok string) (any, error) {
	if strings.EqualFold(tok, "null") {
		return nil, nil
	}
	bad := func(want string) error {
		return malformed("value of filter criterion for field '%s' must be of type %s and should not be enclosed in quotes", f.name, want)
	}
	switch f.kind {
	case kString, kRef:
		if !strings.HasPrefix(tok, "'") {
			return nil, malformed("unexpected token: '%s'", tok)
		}
		return tok[1:], nil
	case kBool:
		switch strings.ToLower(tok) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, bad("boolean")
	case kNumber:
		n, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, bad("double")
		}
		return n, nil
	case kDateTime:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
			if t, err := time.Parse(layout, tok); err == nil {
				return dateTimeVal(t), nil
			}
		}
		return nil, bad("dateTime")
	case kDate:
		t, err := time.Parse(dateLayout, tok)
		if err != nil {
			return nil, bad("date")
		}
		return dateVal(t), nil
	}
	return nil, bad("unknown")
}

// compare orders a and b of one kind; nil sorts first.
func compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case dateTimeVal:
		return time.Time(x).Compare(time.Time(b.(dateTimeVal)))
	case dateVal:
		xs, ys := time.Time(x).Format(dateLayout), time.Time(b.(dateVal)).Format(dateLayout)
		return strings.Compare(xs, ys)
	}
	return 0
}

// match reports whether record i satisfies every condition.
func (q *query) match(o *org, i int) bool {
	for _, c := range q.where {
		v := c.field.get(o, i)
		if c.inStrings != nil {
			if s, ok := v.(string); !ok || !c.inStrings[s] {
				return false
			}
			continue
		}
		if c.in != nil {
			found := false
			for _, w := range c.in {
				if compare(v, w) == 0 && v != nil {
					found = true
					break
				}
			}
			if !found {
				return false
			}
			continue
		}
		if (v == nil || c.value == nil) && c.op != "=" && c.op != "!=" {
			return false
		}
		r := compare(v, c.value)
		ok := false
		switch c.op {
		case "=":
			ok = r == 0
		case "!=":
			ok = r != 0
		case "<":
			ok = r < 0
		case "<=":
			ok = r <= 0
		case ">":
			ok = r > 0
		case ">=":
			ok = r >= 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// render writes record i as Salesforce does: attributes first, then the
// selected fields in order, parent fields nested under the relationship
// name (null when the lookup is empty).
func (q *query) render(b *bytes.Buffer, o *org, i int, version string) {
	ob := q.object
	b.WriteString(`{"attributes":{"type":"` + ob.name + `","url":"/services/data/` + version + `/sobjects/` + ob.name + `/` + ob.id(o, i) + `"}`)
	done := map[string]bool{}
	for _, s := range q.fields {
		if s.parent == nil {
			b.WriteString(`,"` + s.field.name + `":`)
			writeValue(b, s.field.get(o, i))
			continue
		}
		if done[s.parent.name] {
			continue
		}
		done[s.parent.name] = true
		b.WriteString(`,"` + s.parent.name + `":`)
		pid := s.parent.ref(o, i)
		pi, ok := s.parent.object.find(o, pid)
		if pid == "" || !ok {
			b.WriteString("null")
			continue
		}
		po := s.parent.object
		b.WriteString(`{"attributes":{"type":"` + po.name + `","url":"/services/data/` + version + `/sobjects/` + po.name + `/` + pid + `"}`)
		for _, t := range q.fields {
			if t.parent != nil && t.parent.name == s.parent.name {
				b.WriteString(`,"` + t.field.name + `":`)
				writeValue(b, t.field.get(o, pi))
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

func writeValue(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case dateTimeVal:
		b.WriteString(`"` + time.Time(x).UTC().Format(timeLayout) + `"`)
	case dateVal:
		b.WriteString(`"` + time.Time(x).Format(dateLayout) + `"`)
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	default:
		enc, _ := json.Marshal(x)
		b.Write(enc)
	}
}
