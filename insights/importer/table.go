package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// table is an open CSV file: its header and a reader positioned after it.
type table struct {
	path   string
	r      *csv.Reader
	header []string
	cols   map[string]int // normalised header name -> index
}

// openTable reads the header of the CSV text in r, decoded from f's
// encoding and split at f's delimiter (',' when zero). It strips a UTF-8
// byte order mark and rejects binary or UTF-16 data.
func openTable(path string, r io.Reader, f format) (*table, error) {
	br := bufio.NewReaderSize(decoder(r, f.encoding), 64<<10)
	head, _ := br.Peek(512)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		head = head[3:]
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return nil, fmt.Errorf("%s: %w: UTF-16 text; export it as UTF-8 CSV", path, errNotCSV)
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, fmt.Errorf("%s: %w: binary data", path, errNotCSV)
	}
	cr := csv.NewReader(br)
	if f.delim != 0 {
		cr.Comma = f.delim
	}
	cr.FieldsPerRecord = -1 // row length is checked against the header, per row
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: %w: empty file, no header", path, errNotCSV)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: header: %v", path, errNotCSV, err)
	}
	t := &table{path: path, r: cr, header: make([]string, len(header)), cols: make(map[string]int, len(header))}
	var dups []string
	for i, h := range header {
		t.header[i] = strings.Clone(h)
		n := normCol(h)
		if n == "" {
			continue
		}
		if first, dup := t.cols[n]; dup {
			dups = append(dups, fmt.Sprintf("%q (columns %d and %d)", n, first+1, i+1))
			continue
		}
		t.cols[n] = i
	}
	if len(dups) > 0 {
		slices.Sort(dups)
		return nil, fmt.Errorf("%s: the header names a column twice: %s; rename or remove the copies", path, strings.Join(dups, ", "))
	}
	return t, nil
}

// openFile opens path as a table in format f; the caller closes the
// returned file.
func openFile(path string, fm format) (*table, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	t, err := openTable(path, f, fm)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return t, f, nil
}

// normCol normalises a header name: trimmed and lower case.
func normCol(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// col returns the index of the first present column among names, or -1.
func (t *table) col(names ...string) int {
	for _, n := range names {
		if i, ok := t.cols[n]; ok {
			return i
		}
	}
	return -1
}

// missing lists the requirements not met, in the order given; a
// requirement "a|b" is met by either column.
func (t *table) missing(need []string) []string {
	var out []string
	for _, req := range need {
		if t.col(strings.Split(req, "|")...) < 0 {
			out = append(out, strings.ReplaceAll(req, "|", " or "))
		}
	}
	return out
}

// field returns rec[i] trimmed, or "" when i < 0.
func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// rowFunc reads one data row. It returns the reason a row is rejected.
type rowFunc func(rec []string) error

// rows feeds every data row of t to fn, counting into fs and recording
// rejected rows. All-blank rows are passed over without being counted. It
// returns an error only when the file cannot be read any further.
func (im *importer) rows(t *table, fs *FileSummary, fn rowFunc) error {
	width := len(t.header)
	for {
		rec, err := t.r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("%s: %w", t.path, err)
			}
			if errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine {
				return fmt.Errorf("%s:%d: a quote opened on this line is never closed, so the %d rows after it would be read as one field and dropped; close the quote or remove it, then import again",
					t.path, pe.StartLine, pe.Line-pe.StartLine)
			}
			fs.Read++
			fs.Rejected++
			im.rowError(t.path, pe.StartLine, fmt.Sprintf("bad CSV: %v (line %d, column %d)", pe.Err, pe.Line, pe.Column))
			continue
		}
		if blank(rec) {
			continue
		}
		fs.Read++
		line, _ := t.r.FieldPos(0)
		if len(rec) != width {
			fs.Rejected++
			im.rowError(t.path, line, fmt.Sprintf("has %d fields, the header has %d", len(rec), width))
		} else if err := fn(rec); err != nil {
			fs.Rejected++
			im.rowError(t.path, line, err.Error())
		} else {
			fs.Imported++
		}
		if fs.Read%progressEvery == 0 && im.opts.Progress != nil {
			im.opts.Progress(t.path, fs.Read)
		}
	}
	if im.opts.Progress != nil {
		im.opts.Progress(t.path, fs.Read)
	}
	return nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func (im *importer) rowError(file string, line int, reason string) {
	if len(im.res.Errors) < MaxErrors {
		im.res.Errors = append(im.res.Errors, RowError{File: file, Line: line, Reason: reason})
	}
}
