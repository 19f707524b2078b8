package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// A format is how one file is written: its text encoding, field delimiter,
// decimal separator and the order of day and month in numeric dates. Import
// works it out per file from Options and, where Options leave it open, from
// the file itself (see sniff).
type format struct {
	encoding string // canonical name, see encodings; "" is UTF-8
	delim    rune
	decimal  byte      // '.' or ','
	order    dateOrder // how to read 05/11/2026; orderUnknown when no such date was seen
}

// dateOrder says which of the first two numbers of a numeric date is the day.
type dateOrder int

const (
	orderUnknown dateOrder = iota
	dayFirst               // 29.11.2026, 29/11/2026
	monthFirst             // 11/29/2026
)

func (o dateOrder) String() string {
	switch o {
	case dayFirst:
		return "dd.mm.yyyy"
	case monthFirst:
		return "mm/dd/yyyy"
	}
	return ""
}

// encodings are the text encodings Options.Encoding accepts, by canonical
// name; nil is UTF-8.
var encodings = map[string]encoding.Encoding{
	"utf-8":        nil,
	"windows-1254": charmap.Windows1254,
	"iso-8859-9":   charmap.ISO8859_9,
	"windows-1252": charmap.Windows1252,
}

// encodingAliases maps other common spellings to a canonical name.
var encodingAliases = map[string]string{
	"utf8": "utf-8", "cp1254": "windows-1254", "turkish": "windows-1254", "latin5": "iso-8859-9",
	"iso8859-9": "iso-8859-9", "cp1252": "windows-1252", "latin1": "windows-1252",
	"iso-8859-1": "windows-1252",
}

// ParseEncoding returns the canonical name of an encoding Options.Encoding
// accepts: utf-8, windows-1254, iso-8859-9 or windows-1252 (also cp1254,
// latin5, cp1252 and similar spellings, ignoring case). "" and "auto" mean
// detect and return "".
func ParseEncoding(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "auto" {
		return "", nil
	}
	if a, ok := encodingAliases[s]; ok {
		s = a
	}
	if _, ok := encodings[s]; !ok {
		return "", fmt.Errorf("unknown encoding %q (want utf-8, windows-1254, iso-8859-9 or windows-1252)", s)
	}
	return s, nil
}

// ParseDateFormat reads a --date-format value: a pattern such as
// dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy (the separator may be '.', '/' or
// '-' and does not have to match the data), or dmy / mdy. It returns
// "dmy" or "mdy"; "" and "auto" return "". yyyy-mm-dd is always read as
// such and needs no option.
func ParseDateFormat(s string) (string, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer(".", "", "/", "", "-", "", " ", "").Replace(k)
	switch k {
	case "", "auto":
		return "", nil
	case "ddmmyyyy", "dmy", "dmyy", "dayfirst", "ddmmyy":
		return "dmy", nil
	case "mmddyyyy", "mdy", "mdyy", "monthfirst", "mmddyy":
		return "mdy", nil
	}
	return "", fmt.Errorf("unknown date format %q (want dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy)", s)
}

// newFormat checks the format Options ask for; what they leave open is
// filled in per file by sniff.
func newFormat(opts Options) (format, error) {
	var f format
	var err error
	if f.encoding, err = ParseEncoding(opts.Encoding); err != nil {
		return f, err
	}
	switch opts.Delimiter {
	case 0, ',', ';', '\t', '|':
		f.delim = opts.Delimiter
	default:
		return f, fmt.Errorf("delimiter %q: want ',', ';', tab or '|'", opts.Delimiter)
	}
	switch strings.ToLower(opts.Decimal) {
	case "", "auto":
	case "comma", ",":
		f.decimal = ','
	case "point", "dot", ".":
		f.decimal = '.'
	default:
		return f, fmt.Errorf("decimal %q: want comma or point", opts.Decimal)
	}
	order, err := ParseDateFormat(opts.DateFormat)
	if err != nil {
		return f, err
	}
	switch order {
	case "dmy":
		f.order = dayFirst
	case "mdy":
		f.order = monthFirst
	}
	return f, nil
}

// sniffRows is how many data rows sniff reads looking for numeric dates and
// decimal separators before it concludes a file has none. When it has seen
// only ambiguous ones it reads on to the end.
const sniffRows = 10000

// sniff works out the parts of a file's format that want left open: the
// encoding (UTF-8 when the whole file is valid UTF-8, else Windows-1254 when
// Turkish letters are found, else Windows-1252, with a warning), the
// delimiter (the most frequent of ',', ';', tab and '|' in the header line),
// the decimal separator and the date order (from the values, see
// numberShape and dateShape). It returns an error naming a column and an
// example line when the values fit either reading, or contradict each other.
func (im *importer) sniff(path string) (format, []string, error) {
	f := im.fmt
	var warnings []string
	if f.encoding == "" {
		enc, warn, err := detectEncoding(path)
		if err != nil {
			return f, nil, err
		}
		f.encoding = enc
		if warn != "" {
			warnings = append(warnings, warn)
		}
	}
	file, err := os.Open(path)
	if err != nil {
		return f, nil, err
	}
	defer file.Close()
	br := bufio.NewReaderSize(decoder(file, f.encoding), 64<<10)
	if f.delim == 0 {
		head, _ := br.Peek(64 << 10)
		f.delim = detectDelimiter(head)
	}
	if f.decimal != 0 && f.order != orderUnknown {
		return f, warnings, nil
	}
	cr := csv.NewReader(br)
	cr.Comma = f.delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return f, warnings, nil // openTable reports it
	}
	header = append([]string(nil), header...)
	var ev evidence
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue // the reading pass reports the row
			}
			return f, nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		for i, v := range rec {
			ev.add(header, i, line, strings.TrimSpace(v))
		}
		if ev.settled(f) || row >= sniffRows && !ev.open(f) {
			break
		}
	}
	if f.order == orderUnknown {
		if f.order, err = ev.order(path); err != nil {
			return f, nil, err
		}
	}
	if f.decimal == 0 {
		if f.decimal, err = ev.decimal(path, f.delim); err != nil {
			return f, nil, err
		}
	}
	return f, warnings, nil
}

// decoder wraps r so that it yields UTF-8 from text in the named encoding.
func decoder(r io.Reader, name string) io.Reader {
	if enc := encodings[name]; enc != nil {
		return transform.NewReader(r, enc.NewDecoder())
	}
	return r
}

// turkishBytes are the bytes that are ğ Ğ ı İ ş Ş in Windows-1254 and
// ISO-8859-9 but Icelandic letters (ð Ð ý Ý þ Þ) in Windows-1252.
var turkishBytes = []byte{0xF0, 0xD0, 0xFD, 0xDD, 0xFE, 0xDE}

// detectEncoding reads the whole file: valid UTF-8 (or plain ASCII) is
// "utf-8" with no warning; otherwise it guesses and says so.
func detectEncoding(path string) (name, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	var counts [256]int
	valid := true
	buf := make([]byte, 256<<10)
	var carry []byte
	for first := true; ; first = false {
		n, rerr := f.Read(buf)
		if first && (bytes.HasPrefix(buf[:n], []byte("\xff\xfe")) || bytes.HasPrefix(buf[:n], []byte("\xfe\xff"))) {
			return "utf-8", "", nil // UTF-16: openTable says so
		}
		chunk := append(carry, buf[:n]...)
		carry = nil
		if valid {
			// Keep a rune split across reads for the next round.
			end := len(chunk)
			for i := 1; i <= utf8.UTFMax && i <= len(chunk); i++ {
				if utf8.RuneStart(chunk[len(chunk)-i]) {
					if !utf8.FullRune(chunk[len(chunk)-i:]) && rerr == nil {
						end = len(chunk) - i
					}
					break
				}
			}
			if !utf8.Valid(chunk[:end]) {
				valid = false
			} else {
				carry = append(carry, chunk[end:]...)
			}
		}
		for _, b := range chunk {
			if b >= 0x80 {
				counts[b]++
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", "", rerr
		}
	}
	if valid {
		return "utf-8", "", nil
	}
	for _, b := range turkishBytes {
		if counts[b] > 0 {
			return "windows-1254", fmt.Sprintf("%s: not UTF-8; read as Windows-1254 (Turkish letters such as ğ, ş, ı found); pass --encoding if names look wrong", path), nil
		}
	}
	return "windows-1252", fmt.Sprintf("%s: not UTF-8; read as Windows-1252 (Western European); pass --encoding windows-1254 for Turkish text if names look wrong", path), nil
}

// detectDelimiter picks the most frequent of ',', ';', tab and '|' outside
// quotes in the first line of head; ',' when there is none.
func detectDelimiter(head []byte) rune {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	counts := map[byte]int{}
	quoted := false
	for _, c := range head {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && c == '\n' {
			break
		}
		if !quoted && (c == ',' || c == ';' || c == '\t' || c == '|') {
			counts[c]++
		}
	}
	best, n := byte(','), 0
	for _, c := range []byte{',', ';', '\t', '|'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return rune(best)
}

// An example is where a value was seen: column, line and the value itself.
type example struct {
	col   string
	line  int
	value string
}

func (e *example) set(col string, line int, v string) {
	if e.line == 0 {
		*e = example{col: col, line: line, value: v}
	}
}

func (e example) String() string {
	return fmt.Sprintf("column %q, line %d: %q", e.col, e.line, e.value)
}

// evidence is what the values of a file say about its format: the first
// value that settles each reading, and the first that fits both.
type evidence struct {
	dayFirst, monthFirst, ambiguousDate example
	comma, point, ambiguousNumber       example
}

func (ev *evidence) add(header []string, i, line int, v string) {
	if v == "" {
		return
	}
	col := fmt.Sprint("column ", i+1)
	if i < len(header) {
		col = strings.TrimSpace(header[i])
	}
	if a, b, ok := dateShape(v); ok {
		switch {
		case a > 12 && b <= 12:
			ev.dayFirst.set(col, line, v)
		case b > 12 && a <= 12:
			ev.monthFirst.set(col, line, v)
		case a != b && a <= 12 && b <= 12:
			ev.ambiguousDate.set(col, line, v)
		}
		return
	}
	switch numberShape(v) {
	case ',':
		ev.comma.set(col, line, v)
	case '.':
		ev.point.set(col, line, v)
	case '?':
		ev.ambiguousNumber.set(col, line, v)
	}
}

// settled says whether every open part of f has been decided by a value.
func (ev *evidence) settled(f format) bool {
	dates := f.order != orderUnknown || ev.dayFirst.line > 0 || ev.monthFirst.line > 0
	numbers := f.decimal != 0 || ev.comma.line > 0 || ev.point.line > 0
	return dates && numbers
}

// open says whether only ambiguous values have been seen for an open part,
// so reading on may settle it.
func (ev *evidence) open(f format) bool {
	dates := f.order == orderUnknown && ev.ambiguousDate.line > 0 && ev.dayFirst.line == 0 && ev.monthFirst.line == 0
	numbers := f.decimal == 0 && ev.ambiguousNumber.line > 0 && ev.comma.line == 0 && ev.point.line == 0
	return dates || numbers
}

func (ev *evidence) order(path string) (dateOrder, error) {
	switch {
	case ev.dayFirst.line > 0 && ev.monthFirst.line > 0:
		return 0, fmt.Errorf("%s: dates disagree on the order of day and month: %s is day-first, %s is month-first; fix the file or pass --date-format",
			path, ev.dayFirst, ev.monthFirst)
	case ev.dayFirst.line > 0:
		return dayFirst, nil
	case ev.monthFirst.line > 0:
		return monthFirst, nil
	case ev.ambiguousDate.line > 0:
		a, b, _ := dateShape(ev.ambiguousDate.value)
		return 0, fmt.Errorf("%s: every date fits both day-first and month-first (%s could be %s or %s); pass --date-format dd.mm.yyyy or --date-format mm/dd/yyyy",
			path, ev.ambiguousDate, dayMonth(a, b), dayMonth(b, a))
	}
	return orderUnknown, nil
}

func dayMonth(day, month int) string {
	return fmt.Sprintf("%d %s", day, time.Month(month))
}

func (ev *evidence) decimal(path string, delim rune) (byte, error) {
	switch {
	case ev.comma.line > 0 && ev.point.line > 0:
		return 0, fmt.Errorf("%s: numbers disagree on the decimal separator: %s has a decimal comma, %s a decimal point; fix the file or pass --decimal comma|point",
			path, ev.comma, ev.point)
	case ev.comma.line > 0:
		return ',', nil
	case ev.point.line > 0:
		return '.', nil
	case ev.ambiguousNumber.line > 0 && delim != ',':
		return 0, fmt.Errorf("%s: numbers fit both a decimal comma and a decimal point (%s could be a thousand times more or less); pass --decimal comma or --decimal point",
			path, ev.ambiguousNumber)
	}
	// A comma-separated file writes decimal points, else its numbers would
	// all need quotes; "1,234" there is a thousands separator.
	return '.', nil
}

// numericDate matches d.m.yyyy, d/m/yyyy and d-m-yyyy, with an optional
// time after a space.
var numericDate = regexp.MustCompile(`^(\d{1,2})([./-])(\d{1,2})([./-])(\d{4})(?:[ T](.+))?$`)

// dateShape reports the first two numbers of a numeric date such as
// 29.11.2026 or 11/29/2026 14:05.
func dateShape(s string) (a, b int, ok bool) {
	if len(s) < 8 || s[0] < '0' || s[0] > '9' {
		return 0, 0, false
	}
	m := numericDate.FindStringSubmatch(s)
	if m == nil || m[2] != m[4] {
		return 0, 0, false
	}
	a, _ = strconv.Atoi(m[1])
	b, _ = strconv.Atoi(m[3])
	return a, b, true
}

// numberShape says what a number's separators tell: ',' or '.' for the
// decimal separator they prove, '?' when they fit both (one separator
// followed by exactly three digits: 1.234, 12,500), 0 when the value is not
// a number or has no separator.
func numberShape(s string) byte {
	s = stripCurrency(s)
	if s == "" || s[0] < '0' || s[0] > '9' || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return 0
	}
	commas, points, last := 0, 0, -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ',':
			commas++
			last = i
		case c == '.':
			points++
			last = i
		case c == ' ':
		case c < '0' || c > '9':
			return 0
		}
	}
	switch {
	case commas == 0 && points == 0:
		return 0
	case commas > 0 && points > 0:
		return s[last]
	case commas > 1:
		return '.'
	case points > 1:
		return ','
	case len(s)-last-1 == 3:
		return '?'
	}
	return s[last]
}

// currencyMarks are the currency symbols and codes an amount may carry.
var currencyMarks = []string{"$", "€", "£", "₺", "USD", "EUR", "GBP", "TRY", "TL"}

// stripCurrency trims a sign, currency marks and spaces (including no-break
// spaces) around a number.
func stripCurrency(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "-"))
	for _, c := range currencyMarks {
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, c), c))
	}
	return strings.TrimPrefix(s, "-")
}

// amount parses a money amount written with the file's decimal separator.
// With a decimal comma, '.' and spaces group thousands: "1.234,50" and
// "₺1 234,50" are 1234.5. The rules of parseAmount apply after that.
func (im *importer) amount(s string) (float64, bool, error) {
	if im.cur.decimal == ',' {
		t := strings.NewReplacer(".", "", " ", "", "\u00a0", "", "\u202f", "").Replace(s)
		if strings.Count(t, ",") > 1 {
			return 0, false, fmt.Errorf("amount %q: more than one decimal comma", s)
		}
		s = strings.Replace(t, ",", ".", 1)
	}
	v, known, err := parseAmount(s)
	if err != nil && im.cur.decimal == ',' {
		return v, known, fmt.Errorf("amount %q is not a number", strings.TrimSpace(s))
	}
	return v, known, err
}

// numericLayouts are the times that may follow a numeric date.
var numericLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02 3:04 PM", "2006-01-02 3:04:05 PM", "2006-01-02 15:04:05.000"}

// numericDateIn reads a numeric date in the file's day-month order: ok is
// false when s is not such a date; an error when it is and the order is not
// known, or it is not a real date.
func numericDateIn(s string, order dateOrder, loc *time.Location) (t time.Time, ok bool, err error) {
	m := numericDate.FindStringSubmatch(s)
	if m == nil || m[2] != m[4] {
		return time.Time{}, false, nil
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[3])
	day, month := a, b
	switch order {
	case monthFirst:
		day, month = b, a
	case orderUnknown:
		if a != b {
			return time.Time{}, true, fmt.Errorf("%q could be day-first or month-first; pass --date-format", s)
		}
	}
	iso := fmt.Sprintf("%s-%02d-%02d", m[5], month, day)
	if m[6] == "" {
		t, ok := isoDate(iso, loc)
		if !ok {
			return time.Time{}, true, fmt.Errorf("%q is not a date (read as %s)", s, order)
		}
		return t, true, nil
	}
	for _, l := range numericLayouts {
		if t, err := time.ParseInLocation(l, iso+" "+m[6], loc); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, true, fmt.Errorf("%q is not a date and time", s)
}
