// Package numfmt writes numbers for the English texts of insights (coaching
// tips, the import report): whole numbers grouped by thousands with commas,
// 1234567.8 → "1,234,568". It is the one place outside handlers/i18n (which
// formats for each reader's locale) that groups digits; both use
// golang.org/x/text/message.
package numfmt

import (
	"math"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// english is safe for concurrent use: a message.Printer's Sprint keeps no
// state between calls.
var english = message.NewPrinter(language.English)

// Whole writes x rounded to a whole number (half away from zero) with
// thousands separators; a value that rounds to zero is "0", never "-0".
func Whole(x float64) string {
	return english.Sprint(number.Decimal(math.Round(x)+0, number.MaxFractionDigits(0)))
}

// Int writes n with thousands separators.
func Int(n int) string { return english.Sprint(number.Decimal(n)) }
