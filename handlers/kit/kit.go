// Package kit holds the Block Kit helpers every RepCoach message is built
// with: mrkdwn escaping of user text, number formatting, progress bars, and
// Check, which enforces Slack's Block Kit limits (SLACK.md) on a built
// message, since Slack publishes no schema and slack-go validates little.
package kit

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Escape makes user-supplied text safe inside mrkdwn: &, < and > become
// entities, so nobody can inject <!channel>, a mention or a disguised link.
func Escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Money formats an amount with thousands separators and no cents:
// 1234567.8 → "$1,234,568".
func Money(v float64) string {
	neg := v < 0
	n := int64(math.Round(math.Abs(v)))
	s := fmt.Sprintf("%d", n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-$" + b.String()
	}
	return "$" + b.String()
}

// Percent formats a fraction as a whole percentage, halves rounded up
// (away from zero): 0.256 → "26%", 0.525 → "53%".
func Percent(f float64) string { return fmt.Sprintf("%d%%", int64(math.Round(f*100))) }

// Whole formats v rounded to a whole number, halves up: 86.5 → "87".
func Whole(v float64) string { return fmt.Sprintf("%d", int64(math.Round(v))) }

// Change formats the relative change from prev to cur: "▲ 12%", "▼ 5%",
// "no change", or "new" when prev is zero and cur is not.
func Change(cur, prev float64) string {
	switch {
	case prev == 0 && cur == 0:
		return "no change"
	case prev == 0:
		return "new"
	}
	d := (cur - prev) / math.Abs(prev)
	switch {
	case math.Abs(d) < 0.005:
		return "no change"
	case d > 0:
		return "▲ " + Percent(d)
	default:
		return "▼ " + Percent(-d)
	}
}

// Bar draws a fraction as a ten-cell progress bar, capped at full:
// 0.62 → "▓▓▓▓▓▓░░░░".
func Bar(f float64) string {
	cells := int(math.Round(f * 10))
	cells = max(0, min(10, cells))
	return strings.Repeat("▓", cells) + strings.Repeat("░", 10-cells)
}

// Plural returns "1 deal" or "3 deals".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Truncate cuts s to at most n characters, ending in "…" when cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Markdown returns a mrkdwn text object.
func Markdown(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// Plain returns a plain_text text object.
func Plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// Section returns a section block of mrkdwn text.
func Section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(Markdown(Truncate(s, MaxSectionText)), nil, nil)
}

// Fields returns a section block of mrkdwn fields, two per row in Slack.
func Fields(fields ...string) *slack.SectionBlock {
	objs := make([]*slack.TextBlockObject, 0, len(fields))
	for _, f := range fields {
		objs = append(objs, Markdown(Truncate(f, MaxFieldText)))
	}
	return slack.NewSectionBlock(nil, objs, nil)
}

// Header returns a header block.
func Header(s string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(Plain(Truncate(s, MaxHeaderText)))
}

// Context returns a context block of mrkdwn elements.
func Context(parts ...string) *slack.ContextBlock {
	elems := make([]slack.MixedElement, 0, len(parts))
	for _, p := range parts {
		elems = append(elems, Markdown(p))
	}
	return slack.NewContextBlock("", elems...)
}

// Button returns a button element.
func Button(actionID, text, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, Plain(Truncate(text, MaxButtonText)))
	b.Style = style
	return b
}
