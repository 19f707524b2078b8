package importer

import (
	"bytes"
	"encoding/csv"

	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/sample"
)

// turkishNames stand in for the sample's rep names, so that the export
// carries every letter Windows-1254 has and Windows-1252 lacks.
var turkishNames = []string{
	"Ayşe Yılmaz", "İbrahim Öztürk", "Çağrı Doğan", "Gülşen Işık", "Şükrü Ağaoğlu",
	"Ilgın Şahin", "Özge Kılıç", "Barış Güneş", "Eda Aydın", "Tuğba Erdoğan",
	"Oğuz Çelik", "İpek Yıldız", "Mert Koç", "Derya Şimşek", "Hakan Aksoy", "Zeynep Kaya",
}

// trAmount writes an amount as a Turkish spreadsheet does: 1.234.567,50.
func trAmount(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	if frac == "" {
		frac = "00"
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String() + "," + frac
}

// trTime writes a time as a Turkish spreadsheet does: 29.11.2026, with
// the time of day after it when there is one.
func trTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	if h, m, s := t.Clock(); h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0 {
		return t.Format("02.01.2006")
	}
	return t.Format("02.01.2006 15:04:05")
}

// writeWindows1254 writes rows as semicolon-separated Windows-1254 text.
func writeWindows1254(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.UseCRLF = true
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	enc, err := charmap.Windows1254.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, enc, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTurkishExportMatchesOriginal writes generated deals twice, as a plain
// UTF-8 CSV and as a Turkish spreadsheet would export them (semicolons,
// 1.234,50 amounts, 29.11.2026 dates, Windows-1254 names with ğ ş ı İ), and
// checks that both import to the same deals and the same figures, with the
// format detected and the guessed encoding reported.
func TestTurkishExportMatchesOriginal(t *testing.T) {
	loc := time.FixedZone("Europe/Istanbul", 3*3600)
	ds := sample.Generate(sample.Config{Seed: 11, Managers: 2, RepsPerManager: 8, Deals: 1500,
		End: time.Date(2026, 11, 27, 0, 0, 0, 0, loc), Location: loc})
	rename := map[insights.RepID]insights.RepID{}
	for i, r := range ds.Reps {
		rename[r.ID] = insights.RepID(turkishNames[i%len(turkishNames)])
	}
	for i := range ds.Deals {
		ds.Deals[i].Owner = rename[ds.Deals[i].Owner]
	}
	dir := t.TempDir()
	var orig bytes.Buffer
	if err := sample.WriteCSV(&orig, ds); err != nil {
		t.Fatal(err)
	}
	origPath := filepath.Join(dir, "deals-utf8.csv")
	if err := os.WriteFile(origPath, orig.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := [][]string{sample.DealColumns}
	for _, d := range ds.Deals {
		amount := ""
		if d.AmountKnown {
			amount = trAmount(d.Amount)
		}
		rows = append(rows, []string{d.ID, d.Name, string(d.Owner), d.Stage, string(d.Status), amount,
			trTime(d.Created, loc), trTime(d.Closed, loc), trTime(d.Moved, loc), d.Product, d.Account})
	}
	trPath := filepath.Join(dir, "deals-tr.csv")
	writeWindows1254(t, trPath, rows)
	if raw, _ := os.ReadFile(trPath); !bytes.Contains(raw, []byte{0xDD}) || !bytes.Contains(raw, []byte{0xFD}) {
		t.Fatal("the export should hold İ and ı as Windows-1254 bytes")
	}

	want, err := Import([]string{origPath}, Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Import([]string{trPath}, Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Errors)+len(got.Errors) > 0 {
		t.Fatalf("row errors: original %v, Turkish %v", want.Errors, got.Errors)
	}
	fs := got.Files[0]
	if fs.Encoding != "windows-1254" || fs.Delimiter != ';' || fs.Decimal != "comma" || fs.DateFormat != "dd.mm.yyyy" {
		t.Errorf("read as %q %q %q %q, want windows-1254 ';' comma dd.mm.yyyy", fs.Encoding, fs.Delimiter, fs.Decimal, fs.DateFormat)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "Windows-1254") {
		t.Errorf("warnings: got %q, want one naming Windows-1254", got.Warnings)
	}
	if len(want.Warnings) != 0 {
		t.Errorf("UTF-8 original warned: %q", want.Warnings)
	}
	if len(got.Dataset.Deals) != len(ds.Deals) {
		t.Fatalf("deals: got %d, want %d", len(got.Dataset.Deals), len(ds.Deals))
	}
	if !reflect.DeepEqual(got.Dataset.Deals, want.Dataset.Deals) {
		for i := range want.Dataset.Deals {
			if !reflect.DeepEqual(got.Dataset.Deals[i], want.Dataset.Deals[i]) {
				t.Fatalf("deal %d:\nTurkish %+v\nUTF-8   %+v", i, got.Dataset.Deals[i], want.Dataset.Deals[i])
			}
		}
	}
	// The same figures: each rep's won revenue and deal counts.
	if g, w := wonByRep(got.Dataset), wonByRep(want.Dataset); !reflect.DeepEqual(g, w) {
		t.Errorf("won revenue by rep:\nTurkish %v\nUTF-8   %v", g, w)
	}
	if _, ok := wonByRep(got.Dataset)["Şükrü Ağaoğlu"]; !ok {
		t.Errorf("no deals for Şükrü Ağaoğlu: names were not decoded from Windows-1254")
	}
}

func wonByRep(ds insights.Dataset) map[insights.RepID][3]float64 {
	out := map[insights.RepID][3]float64{}
	for _, d := range ds.Deals {
		v := out[d.Owner]
		switch d.Status {
		case insights.StatusWon:
			v[0] += d.Amount
			v[1]++
		case insights.StatusLost:
			v[2]++
		}
		out[d.Owner] = v
	}
	return out
}

// TestTurkishMavenMatchesOriginal rewrites the Maven set from ../shared as a
// Turkish spreadsheet export into a temporary folder (nothing is kept) and
// checks it imports to the same deals, reps and list prices as the original,
// but for the agents' names, which it gives Turkish letters.
func TestTurkishMavenMatchesOriginal(t *testing.T) {
	for set, dir := range dataSets(t, mavenFixture, mavenDir) {
		t.Run(set, func(t *testing.T) { turkishMavenMatchesOriginal(t, dir) })
	}
}

func turkishMavenMatchesOriginal(t *testing.T, mavenDir string) {
	dir := t.TempDir()
	names := map[string]string{}
	turkish := func(agent string) string {
		if n, ok := names[agent]; ok {
			return n
		}
		n := turkishNames[len(names)%len(turkishNames)] + " " + agent
		names[agent] = n
		return n
	}
	for _, f := range []struct {
		name   string
		agent  int   // column of a sales agent, or -1
		dates  []int // ISO dates to write as dd.mm.yyyy
		amount []int // numbers to write with a decimal comma
	}{
		{"sales_pipeline.csv", 1, []int{5, 6}, []int{7}},
		{"sales_teams.csv", 0, nil, nil},
		{"products.csv", -1, nil, []int{2}},
		{"accounts.csv", -1, nil, []int{3}},
	} {
		rows := readCSV(t, filepath.Join(mavenDir, f.name))
		for _, rec := range rows[1:] {
			if f.agent >= 0 {
				rec[f.agent] = turkish(rec[f.agent])
			}
			for _, c := range f.dates {
				if rec[c] != "" {
					d, err := time.Parse(time.DateOnly, rec[c])
					if err != nil {
						t.Fatal(err)
					}
					rec[c] = d.Format("02.01.2006")
				}
			}
			for _, c := range f.amount {
				if rec[c] != "" {
					v, err := strconv.ParseFloat(rec[c], 64)
					if err != nil {
						t.Fatal(err)
					}
					rec[c] = trAmount(v)
				}
			}
		}
		writeWindows1254(t, filepath.Join(dir, f.name), rows)
	}
	want, err := Import([]string{mavenDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Import([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Errors) != len(want.Errors) {
		t.Fatalf("row errors: Turkish %d %v, original %d", len(got.Errors), got.Errors, len(want.Errors))
	}
	if len(got.Dataset.Deals) != len(want.Dataset.Deals) || len(got.Dataset.Deals) < 10 {
		t.Fatalf("deals: Turkish %d, original %d", len(got.Dataset.Deals), len(want.Dataset.Deals))
	}
	for i, w := range want.Dataset.Deals {
		w.Owner = insights.RepID(turkish(string(w.Owner)))
		if g := got.Dataset.Deals[i]; !reflect.DeepEqual(g, w) {
			t.Fatalf("deal %d:\nTurkish  %+v\noriginal %+v", i, g, w)
		}
	}
	for i, w := range want.Dataset.Reps {
		w.ID, w.Name = insights.RepID(turkish(string(w.ID))), turkish(w.Name)
		if g := got.Dataset.Reps[i]; !reflect.DeepEqual(g, w) {
			t.Errorf("rep %d: Turkish %+v, original %+v", i, g, w)
		}
	}
	if !reflect.DeepEqual(got.Dataset.ListPrices, want.Dataset.ListPrices) {
		t.Errorf("list prices: Turkish %v, original %v", got.Dataset.ListPrices, want.Dataset.ListPrices)
	}
	g, w := wonByRep(got.Dataset), wonByRep(want.Dataset)
	for agent, v := range w {
		if g[insights.RepID(turkish(string(agent)))] != v {
			t.Errorf("%s: Turkish %v, original %v", agent, g[insights.RepID(turkish(string(agent)))], v)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestAmbiguousDates is the ambiguity rule: a file whose numeric dates all
// fit both day-first and month-first is refused, naming the column and a
// line, until DateFormat says which; one date past the 12th decides.
func TestAmbiguousDates(t *testing.T) {
	const ambiguous = "id;owner;status;amount;closed\n" +
		"1;Ayşe;won;1.000,00;05.11.2026\n" +
		"2;Ayşe;lost;;03.04.2026\n" +
		"3;Ayşe;won;250,50;07.07.2026\n"
	path := filepath.Join(t.TempDir(), "deals.csv")
	if err := os.WriteFile(path, []byte(ambiguous), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Import([]string{path}, Options{})
	if err == nil {
		t.Fatal("want an error for dates that fit both orders")
	}
	for _, want := range []string{`column "closed", line 2: "05.11.2026"`, "5 November", "11 May", "--date-format"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for _, tt := range []struct {
		format string
		month  time.Month
		day    int
	}{{"dd.mm.yyyy", time.November, 5}, {"mm/dd/yyyy", time.May, 11}} {
		res, err := Import([]string{path}, Options{DateFormat: tt.format})
		if err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		d := res.Dataset.Deals[0]
		if d.Closed.Month() != tt.month || d.Closed.Day() != tt.day || d.Amount != 1000 {
			t.Errorf("%s: deal 1 closed %v amount %v, want %d %v and 1000", tt.format, d.Closed, d.Amount, tt.day, tt.month)
		}
	}
	// One unambiguous date settles the file, wherever it is.
	settled := ambiguous + "4;Ayşe;won;10,00;29.11.2026\n"
	if err := os.WriteFile(path, []byte(settled), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Import([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Dataset.Deals[0].Closed; d.Month() != time.November || d.Day() != 5 {
		t.Errorf("deal 1 closed %v, want 5 November", d)
	}
	if res.Files[0].DateFormat != "dd.mm.yyyy" {
		t.Errorf("date format %q, want dd.mm.yyyy", res.Files[0].DateFormat)
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		name, data string
		opts       Options
		want       []string // in the error; nil for no error
	}{
		{"ambiguous decimal", "id;owner;status;amount;closed\n1;A;won;1.234;2026-11-05\n2;A;won;12.500;2026-11-05\n", Options{},
			[]string{`column "amount", line 2: "1.234"`, "--decimal comma"}},
		{"ambiguous decimal given", "id;owner;status;amount;closed\n1;A;won;1.234;2026-11-05\n", Options{Decimal: "comma"}, nil},
		{"comma file thousands", "id,owner,status,amount,closed\n1,A,won,\"1,234\",2026-11-05\n", Options{}, nil},
		{"decimals disagree", "id;owner;status;amount;closed\n1;A;won;1.234,50;2026-11-05\n2;A;won;1,234.50;2026-11-05\n", Options{},
			[]string{"line 2", "line 3", "decimal comma", "decimal point"}},
		{"dates disagree", "id,owner,status,closed\n1,A,won,29/11/2026\n2,A,won,11/29/2026\n", Options{},
			[]string{"day-first", "month-first", `line 3: "11/29/2026"`}},
		{"bad encoding", "id,owner,status\n", Options{Encoding: "ebcdic"}, []string{"unknown encoding"}},
		{"bad date format", "id,owner,status\n", Options{DateFormat: "yyyy.dd.mm"}, []string{"unknown date format"}},
		{"bad decimal", "id,owner,status\n", Options{Decimal: "space"}, []string{"want comma or point"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "deals.csv")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Import([]string{path}, tt.opts)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want one saying %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestEncodings reads the same Turkish names written in each encoding,
// named and detected.
func TestEncodings(t *testing.T) {
	const text = "id\towner\tstatus\tamount\tclosed\n1\tİpek Işık\twon\t1.500,25\t29.11.2026 14:05\n2\tŞule Ağca\tlost\t\t01.12.2026\n"
	for _, tt := range []struct {
		name, encoding, detected string
		encode                   func(string) []byte
		warns                    bool
	}{
		{"utf-8", "", "utf-8", func(s string) []byte { return []byte(s) }, false},
		{"windows-1254 named", "windows-1254", "windows-1254", enc(charmap.Windows1254), false},
		{"windows-1254 detected", "", "windows-1254", enc(charmap.Windows1254), true},
		{"iso-8859-9 named", "ISO-8859-9", "iso-8859-9", enc(charmap.ISO8859_9), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "deals.tsv.csv")
			if err := os.WriteFile(path, tt.encode(text), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Import([]string{path}, Options{Encoding: tt.encoding, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) > 0 {
				t.Fatal(res.Errors)
			}
			if got := res.Files[0]; got.Encoding != tt.detected || got.Delimiter != '\t' {
				t.Errorf("read as %q %q, want %q tab", got.Encoding, got.Delimiter, tt.detected)
			}
			if (len(res.Warnings) > 0) != tt.warns {
				t.Errorf("warnings %q, want some: %v", res.Warnings, tt.warns)
			}
			d := res.Dataset.Deals
			if d[0].Owner != "İpek Işık" || d[1].Owner != "Şule Ağca" {
				t.Errorf("owners %q %q", d[0].Owner, d[1].Owner)
			}
			if want := time.Date(2026, 11, 29, 14, 5, 0, 0, time.UTC); d[0].Amount != 1500.25 || !d[0].Closed.Equal(want) {
				t.Errorf("deal 1: %v on %v, want 1500.25 on %v", d[0].Amount, d[0].Closed, want)
			}
		})
	}
	// Windows-1252 text (no Turkish letters) is detected as such.
	path := filepath.Join(t.TempDir(), "deals.csv")
	if err := os.WriteFile(path, enc(charmap.Windows1252)("id,owner,status,closed\n1,José Müller,won,2026-11-05\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Import([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Dataset.Deals[0].Owner; got != "José Müller" || res.Files[0].Encoding != "windows-1252" || len(res.Warnings) != 1 {
		t.Errorf("got %q as %s, warnings %q", got, res.Files[0].Encoding, res.Warnings)
	}
}

func enc(cm *charmap.Charmap) func(string) []byte {
	return func(s string) []byte {
		b, err := cm.NewEncoder().Bytes([]byte(s))
		if err != nil {
			panic(err)
		}
		return b
	}
}

func TestNumberShape(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"1054", 0}, {"1.234,50", ','}, {"1,234.50", '.'}, {"12,5", ','}, {"12.5", '.'},
		{"1.234", '?'}, {"12,500", '?'}, {"1.234.567", ','}, {"1,234,567", '.'},
		{"₺1.234.567,00", ','}, {"$ 1,234", '?'}, {"1 234,50 TL", ','}, {"-12,75", ','},
		{"2024-01-22", 0}, {"abc", 0}, {"16:14", 0}, {"1.", 0},
	}
	for _, tt := range tests {
		if got := numberShape(tt.in); got != tt.want {
			t.Errorf("numberShape(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		head string
		want rune
	}{
		{"a,b,c\n1;2,3", ','}, {"a;b;c\n", ';'}, {"a\tb\tc", '\t'}, {`"x,y";b;c`, ';'}, {"single\n", ','},
		{"\xef\xbb\xbfId;Name\n", ';'}, {"a|b|c\n", '|'},
	}
	for _, tt := range tests {
		if got := detectDelimiter([]byte(tt.head)); got != tt.want {
			t.Errorf("detectDelimiter(%q): got %q, want %q", tt.head, got, tt.want)
		}
	}
}

func TestAmountDecimalComma(t *testing.T) {
	im := &importer{cur: format{decimal: ','}}
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"1.234,50", 1234.5, false}, {"₺1.234.567", 1234567, false}, {"1 234,5 TL", 1234.5, false},
		{"12,5", 12.5, false}, {"1054", 1054, false}, {"1,2,3", 0, true}, {"-5,00", 0, true}, {"abc", 0, true},
	}
	for _, tt := range tests {
		got, _, err := im.amount(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("amount(%q): got %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestDealCurrency reads each deal's currency where the CRM names it.
func TestDealCurrency(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Opportunity.csv": "Id,StageName,CloseDate,OwnerId,Amount,CurrencyIsoCode\n006A,Closed Won,2026-11-05,005X,1000,eur\n006B,Closed Won,2026-11-05,005X,1000,\n",
		"hubspot.csv":     "Deal ID,Deal Stage,Deal owner,Amount,Close Date,Deal Currency Code\n11,closedwon,Ana,500,2026-11-05,TRY\n",
		"generic.csv":     "id,owner,status,amount,closed,currency\nG1,Ana,won,10,2026-11-05,USD\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Import([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range res.Dataset.Deals {
		got[d.ID] = d.Currency
	}
	want := map[string]string{"006A": "EUR", "006B": "", "11": "TRY", "G1": "USD"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("currencies: got %v, want %v", got, want)
	}
}
